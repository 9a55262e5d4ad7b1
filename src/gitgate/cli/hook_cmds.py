"""CLI: hook install | uninstall | status | pre-receive, and fetch (gitgate across clones)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from gitgate.cli._base import emit, json_option, main
from gitgate.cli.proposals import open_gate
from gitgate.server import hookinstall
from gitgate.store.gitstore import GitStore

F = TypeVar("F", bound=Callable[..., Any])


def _hook_store(ctx: click.Context, repo: str | None) -> GitStore:
    return GitStore.open(repo or ctx.find_root().obj["repo"])


@main.group()
def hook() -> None:
    """Server-side enforcement: the pre-receive hook (see docs/SERVER.md)."""


def _repo_option(func: F) -> F:
    return click.option(
        "--repo",
        "repo",
        type=click.Path(file_okay=False),
        default=None,
        help="The (bare) repository to guard (default: -C, or the current directory).",
    )(func)


def _forge_option(func: F) -> F:
    return click.option(
        "--forge",
        type=click.Choice(hookinstall.FORGES),
        default=None,
        help="How the server runs hooks (default: detected from the repository; else plain).",
    )(func)


@hook.command("install")
@_repo_option
@_forge_option
@click.option(
    "--branch",
    metavar="BRANCH",
    default=None,
    help="The branch that carries .gitgate.toml (default: gitgate.branch, HEAD's branch, "
    "main). Written to git config gitgate.branch; HEAD is pointed at it.",
)
@click.option(
    "--python",
    metavar="PATH",
    default=None,
    help="The Python the hook runs (default: this one). The hosting user must be able to run it.",
)
@json_option
@click.pass_context
def hook_install(
    ctx: click.Context,
    repo: str | None,
    forge: str | None,
    branch: str | None,
    python: str | None,
    as_json: bool,
) -> None:
    """Install the pre-receive hook and pin the policy branch (see docs/SERVER.md).

    Refuses when no branch carries .gitgate.toml yet: set gitgate up first (gitgate init in a
    clone, push the branch and refs/gitgate/audit), then install. On a plain repository an
    existing hook is kept and still runs first; a forge's own hooks are never touched.
    """
    store = _hook_store(ctx, repo)
    result = hookinstall.install(store, python=python, branch=branch, forge=forge)
    for todo in result.todo:
        click.echo(f"warning: the hook is not active yet: {todo}", err=True)
    kept = f"; the previous hook runs first from {result.legacy.name}" if result.legacy else ""
    emit(
        as_json,
        {
            "hook": str(result.hook),
            "legacy": str(result.legacy) if result.legacy else None,
            "forge": result.forge,
            "branch": result.branch,
            "todo": list(result.todo),
        },
        f"installed the gitgate pre-receive hook ({result.forge}) at {result.hook}{kept}\n"
        f"policy branch: {result.branch} (gitgate.branch; HEAD names it)",
    )


@hook.command("uninstall")
@_repo_option
@_forge_option
@json_option
@click.pass_context
def hook_uninstall(ctx: click.Context, repo: str | None, forge: str | None, as_json: bool) -> None:
    """Remove the gitgate hook, putting back the hook it replaced."""
    result = hookinstall.uninstall(_hook_store(ctx, repo), forge=forge)
    text = (
        f"removed the gitgate hook; restored the previous one at {result.hook}"
        if result.action == "restored"
        else f"removed the gitgate hook from {result.hook}"
    )
    emit(as_json, {"hook": str(result.hook), "action": result.action}, text)


@hook.command("status")
@_repo_option
@_forge_option
@json_option
@click.pass_context
def hook_status(ctx: click.Context, repo: str | None, forge: str | None, as_json: bool) -> None:
    """Check that the next push will really run gitgate's hook (a dry run; exit 1 if not).

    Checks the policy branch and HEAD, that the script is there, gitgate's and executable,
    that git (or the forge's hook driver) runs it, and that its Python runs the hook as the
    repository's owner. A forge that undid the install shows up here.
    """
    report = hookinstall.status(_hook_store(ctx, repo), forge=forge)
    emit(as_json, report.to_json(), lambda: _status_text(report))
    if not report.active:
        ctx.exit(1)


def _status_text(report: hookinstall.HookStatus) -> str:
    lines = []
    for check in report.checks:
        lines.append(f"{'ok' if check.ok else 'FAIL':4}  {check.name}: {check.detail}")
        if not check.ok and check.hint:
            lines.append(f"      hint: {check.hint}")
    verdict = "active" if report.active else "NOT active"
    lines.append(f"the gitgate hook is {verdict} ({report.forge}) in {report.repo}")
    return "\n".join(lines)


@hook.command("pre-receive")
@click.pass_context
def hook_pre_receive(ctx: click.Context) -> None:
    """Run the hook: read git's ref updates on stdin, refuse the push on stderr (exit 1)."""
    from gitgate.server.hook import main as run_hook

    ctx.exit(run_hook())


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
