"""CLI: hook install | uninstall | pre-receive, and fetch (gitgate across clones)."""

from __future__ import annotations

import click

from gitgate import hook as server_hook
from gitgate.cli._base import emit, json_option, main
from gitgate.cli.proposals import open_gate
from gitgate.gitstore import GitStore


def _hook_store(ctx: click.Context, repo: str | None) -> GitStore:
    return GitStore.open(repo or ctx.find_root().obj["repo"])


@main.group()
def hook() -> None:
    """Server-side enforcement: the pre-receive hook (see docs/SERVER.md)."""


@hook.command("install")
@click.option(
    "--repo",
    "repo",
    type=click.Path(file_okay=False),
    default=None,
    help="The (bare) repository to guard (default: -C, or the current directory).",
)
@json_option
@click.pass_context
def hook_install(ctx: click.Context, repo: str | None, as_json: bool) -> None:
    """Install the pre-receive hook; an existing hook is kept and still runs first."""
    store = _hook_store(ctx, repo)
    result = server_hook.install(store)
    if server_hook.load_home(store) is None:
        click.echo(
            "warning: no .gitgate.toml on the protected branch yet: pushes are accepted "
            "unchecked until gitgate is set up (gitgate init)",
            err=True,
        )
    kept = f"; the previous hook runs first from {result.legacy.name}" if result.legacy else ""
    emit(
        as_json,
        {"hook": str(result.hook), "legacy": str(result.legacy) if result.legacy else None},
        f"installed the gitgate pre-receive hook at {result.hook}{kept}",
    )


@hook.command("uninstall")
@click.option(
    "--repo",
    "repo",
    type=click.Path(file_okay=False),
    default=None,
    help="The repository (default: -C, or the current directory).",
)
@json_option
@click.pass_context
def hook_uninstall(ctx: click.Context, repo: str | None, as_json: bool) -> None:
    """Remove the gitgate hook, putting back the hook it replaced."""
    result = server_hook.uninstall(_hook_store(ctx, repo))
    text = (
        f"removed the gitgate hook; restored the previous one at {result.hook}"
        if result.action == "restored"
        else f"removed the gitgate hook from {result.hook}"
    )
    emit(as_json, {"hook": str(result.hook), "action": result.action}, text)


@hook.command("pre-receive")
@click.pass_context
def hook_pre_receive(ctx: click.Context) -> None:
    """Run the hook: read git's ref updates on stdin, refuse the push on stderr (exit 1)."""
    ctx.exit(server_hook.main())


@main.command("fetch")
@click.argument("remote", required=False)
@json_option
@click.pass_context
def fetch_cmd(ctx: click.Context, remote: str | None, as_json: bool) -> None:
    """Fetch gitgate's refs from REMOTE and fold them in (audit, notes, pending branches)."""
    from gitgate.remote import fetch

    report = fetch(open_gate(ctx), remote)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    emit(
        as_json,
        {"remote": report.remote, "changes": list(report.changes)},
        "\n".join(report.changes) or f"up to date with {report.remote}",
    )
