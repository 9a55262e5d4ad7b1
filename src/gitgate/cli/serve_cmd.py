"""CLI: serve (the review pages and the approvals API in a browser)."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path
from typing import Any

import click

from gitgate.cli._base import main
from gitgate.cli.proposals import open_gate
from gitgate.errors import GitgateError

DEFAULT_PORT = 8765


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback needs --proxy-user-header or --token.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--proxy-user-header",
    "proxy_header",
    metavar="NAME",
    help="Take the identity from this header, set by an authenticating reverse proxy.",
)
@click.option(
    "--token",
    "token_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Bearer tokens, one `IDENTITY TOKEN` line each (see docs/SERVE.md).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(0.05, 60),
    default=1.0,
    show_default=True,
    help="Seconds between two looks for new proposals (live updates).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    proxy_header: str | None,
    token_file: str | None,
    poll_interval: float,
) -> None:
    """Serve the review pages and the approvals JSON API.

    By default it listens on loopback only and prints a URL with a random token (as Jupyter
    does); whoever opens it acts as you ($GITGATE_ACTOR, else git's user.email). To listen
    elsewhere, name users through an authenticating proxy (--proxy-user-header) or give each
    one a token (--token FILE). Every decision follows the same rules as `gitgate approve`.
    """
    _require_extra()
    from gitgate.web import auth
    from gitgate.web.app import ServeConfig, create_app

    if proxy_header and token_file:
        raise click.UsageError("choose one of --proxy-user-header and --token")
    loopback = auth.is_loopback(host)
    if not loopback and not (proxy_header or token_file):
        raise GitgateError(
            f"listening on {host} needs a way to know who is acting",
            hint="put an authenticating proxy in front (--proxy-user-header NAME) or give "
            "tokens (--token FILE); see docs/SERVE.md",
        )
    gate = open_gate(ctx)
    gate.policy()  # fail now, not on the first page, when the repository is not set up
    shown_token: str | None = None
    if proxy_header:
        if not _is_header_name(proxy_header):
            raise click.BadParameter("not an HTTP header name", param_hint="--proxy-user-header")
        auth_config = auth.AuthConfig(proxy_header=proxy_header)
        who = f"the user named by the {proxy_header} header"
    elif token_file:
        auth_config = auth.AuthConfig(tokens=_read_token_file(Path(token_file)))
        identities = auth_config.tokens.identities() if auth_config.tokens else ()
        who = f"{len(identities)} token identities"
    else:
        identity = gate.resolve_actor()
        shown_token = auth.new_token()
        auth_config = auth.AuthConfig(tokens=auth.TokenTable.single(shown_token, identity))
        who = identity
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    config = ServeConfig(
        repo=str(gate.store.workdir or gate.store.git_dir),
        auth=auth_config,
        allowed_hosts=auth.LOOPBACK_HOSTS if loopback and not proxy_header else None,
        cookie_name=f"gitgate_session_{bound_port}",
        poll_interval=poll_interval,
        prewarm=True,
    )
    app = create_app(config)
    _announce(host, bound_port, who, shown_token, loopback)
    _run(app, sock)


def _require_extra() -> None:
    import importlib.util

    for name in ("starlette", "uvicorn", "jinja2", "pygments"):
        if importlib.util.find_spec(name) is None:
            raise GitgateError(
                f"gitgate serve needs {name}, which is not installed",
                hint="pip install 'gitgate-approvals[serve]'",
            )


def _is_header_name(name: str) -> bool:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    return bool(name) and all(c in allowed for c in name)


def _read_token_file(path: Path) -> Any:
    from gitgate.web.auth import parse_token_file

    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as err:
        raise GitgateError(
            f"cannot read the token file {path}: {err}", hint="check the path"
        ) from err
    if mode & (stat.S_IRWXG | stat.S_IRWXO) and os.name == "posix":
        click.echo(
            f"warning: {path} can be read by other users; `chmod 600 {path}` "
            "(or keep sha256: digests in it)",
            err=True,
        )
    return parse_token_file(text, source=str(path))


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, reuse_port=False)
    except OSError as err:
        raise GitgateError(
            f"cannot listen on {host}:{port}: {err.strerror}",
            hint="choose another --port (0 picks a free one)",
        ) from err


def _announce(host: str, port: int, who: str, token: str | None, loopback: bool) -> None:
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{port}/"
    scope = "loopback only" if loopback else f"on {host}"
    click.echo(f"gitgate serve: listening {scope} as {who}")
    if token is not None:
        click.echo(f"    {base}?token={token}")
        click.echo("API: send `Authorization: Bearer <the token in that URL>`")
    else:
        click.echo(f"    {base}")
    click.echo("Press Ctrl-C to stop.", err=True)


def _run(app: Any, sock: socket.socket) -> None:
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
        server_header=False,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; for a server that is the normal stop
    click.echo("gitgate serve: stopped", err=True)
