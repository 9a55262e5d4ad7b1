"""The click group, shared options and the single error boundary of the CLI.

Command modules (``gitgate.cli.*``) register their commands on :data:`main`. They parse,
call the library, and print through :func:`emit`; they never catch errors themselves: the
boundary in :class:`GitgateGroup` maps every error to one message and an exit code.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gitgate.errors import ExitCode, GitgateError, environment_fault

F = TypeVar("F", bound=Callable[..., Any])

_JSON_FLAG = "gitgate_json"


class GitgateGroup(click.Group):
    """A click group whose ``main`` is the one error boundary of gitgate."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning every error into a message and an exit code."""
        try:
            return super().invoke(ctx)
        except GitgateError as err:
            _report_error(ctx, err)
            ctx.exit(int(err.exit_code))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(int(ExitCode.INTERRUPTED))
        except BrokenPipeError:
            # `gitgate list | head` closes the pipe early: not an error worth a traceback.
            _silence_stdout()
            ctx.exit(int(ExitCode.OK))
        except Exception as exc:  # noqa: BLE001 - this is the boundary
            fault = environment_fault(exc)
            if fault is not None:
                # The machine or the repository, not gitgate: a full disk, permissions, a
                # read-only mount, a corrupt object or ref. One error line, and a way back.
                _report_error(ctx, fault)
                ctx.exit(int(fault.exit_code))
            debug = (ctx.obj or {}).get("debug", False) if isinstance(ctx.obj, dict) else False
            if debug:
                traceback.print_exc()
            if _wants_json(ctx):
                click.echo(
                    json.dumps({"error": "internal", "message": f"{type(exc).__name__}: {exc}"})
                )
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo(
                "hint: this is a bug in gitgate; rerun with --debug and please report it",
                err=True,
            )
            ctx.exit(int(ExitCode.INTERNAL))
        return None


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _wants_json(ctx: click.Context) -> bool:
    sub = ctx
    while sub is not None:
        if sub.meta.get(_JSON_FLAG):
            return True
        sub = sub.parent  # type: ignore[assignment]
    # The flag is recorded on the innermost context, which may be gone by now.
    return bool(ctx.meta.get(_JSON_FLAG))


def _report_error(ctx: click.Context, err: GitgateError) -> None:
    if _wants_json(ctx):
        click.echo(json.dumps(err.to_json(), sort_keys=True))
    click.echo(f"error: {err.message}", err=True)
    if err.hint:
        click.echo(f"hint: {err.hint}", err=True)


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[_JSON_FLAG] = True
    return value


def json_option(func: F) -> F:
    """Add ``--json`` to a command; errors are then reported as JSON on stdout too."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        callback=_remember_json,
        expose_value=True,
        is_eager=True,
        help="Print machine-readable JSON instead of text (errors too).",
    )(func)


def emit(as_json: bool, payload: Any, text: str | Callable[[], str]) -> None:
    """Print ``payload`` as JSON, or ``text`` for people."""
    if as_json:
        click.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))
        return
    out = text() if callable(text) else text
    if out:
        click.echo(out)


def emit_json_line(payload: Any) -> None:
    """Print one compact JSON object on its own line (for streams)."""
    click.echo(json.dumps(payload, sort_keys=True, default=str))


@click.group(cls=GitgateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--repo",
    "repo",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Run as if gitgate was started in this directory (a repository or inside one).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.version_option(package_name="gitgate-approvals")
@click.pass_context
def main(ctx: click.Context, repo: str, debug: bool) -> None:
    """gitgate: every change an automated actor asks for waits for a human.

    Proposals live on pending branches, their redacted metadata in git notes, every decision in
    an append-only audit log ref. Start with `gitgate demo`, or `gitgate init` in a repository.
    """
    ctx.ensure_object(dict)
    ctx.obj["repo"] = repo
    ctx.obj["debug"] = debug
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
