"""CLI: gated execution (`gitgate run`) and command proposals (`gitgate propose command`)."""

from __future__ import annotations

import shlex
import sys

import click

from gitgate.cli._base import emit, json_option, main
from gitgate.cli.proposals import open_gate, propose
from gitgate.errors import ExitCode, GitgateError


def join_command(words: tuple[str, ...]) -> str:
    """One argument is a shell command as typed; several are quoted back into one."""
    if not words:
        raise GitgateError("no command given", hint="gitgate run -- CMD [ARGS…]")
    return words[0] if len(words) == 1 else shlex.join(words)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, type=click.UNPROCESSED, metavar="-- CMD…")
@click.option("--target", metavar="BRANCH", help="Target branch for a command proposal.")
@json_option
@click.pass_context
def run(ctx: click.Context, words: tuple[str, ...], target: str | None, as_json: bool) -> None:
    """Run a command through the gate.

    Read-only diagnostics classified `allow` run at once (minimal environment, timeout) and
    their output is printed, redacted; the exit status is the command's. `deny` is refused
    (exit 4). Everything else becomes a command proposal waiting for approval (exit 5).
    Every outcome is written to the audit log.
    """
    command = join_command(words)
    report = open_gate(ctx).run(command, target=target)
    verdict = report.verdict
    payload = {
        "command": command,
        "decision": verdict.decision,
        "reason": verdict.reason,
        "proposal": report.proposal.id if report.proposal else None,
        "exit_code": report.exit_code,
        "timed_out": report.timed_out,
        "output": report.output,
    }
    if verdict.decision == "allow":
        emit(as_json, payload, "")
        if not as_json:
            sys.stdout.write(report.output)
            if report.timed_out:
                click.echo("error: the command timed out", err=True)
        code = report.exit_code if report.exit_code is not None else int(ExitCode.ERROR)
        ctx.exit(code)
    if verdict.decision == "deny":
        emit(as_json, payload, "")
        click.echo(f"error: command refused: {verdict.reason}", err=True)
        ctx.exit(int(ExitCode.DENIED))
    assert report.proposal is not None
    emit(as_json, payload, report.proposal.id)
    if not as_json:
        click.echo(
            f"needs approval ({verdict.reason}): proposal {report.proposal.id} created; "
            f"an approver runs `gitgate approve {report.proposal.id}`",
            err=True,
        )
    ctx.exit(int(ExitCode.PENDING))


@propose.command("command", context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, type=click.UNPROCESSED, metavar="-- CMD…")
@click.option("--target", metavar="BRANCH", help="Target branch (default: the first protected).")
@click.option("-m", "--message", default="", help="What the command is for.")
@click.option("--tool", default="run_command", show_default=True, help="Tool name recorded.")
@json_option
@click.pass_context
def propose_command(
    ctx: click.Context,
    words: tuple[str, ...],
    target: str | None,
    message: str,
    tool: str,
    as_json: bool,
) -> None:
    """Propose a shell command; approving it runs it in a temporary worktree at the target.

    File changes it makes are merged like any proposal; a non-zero exit or a timeout records
    `failed`. Commands classified `deny` are refused.
    """
    proposal = open_gate(ctx).propose_command(
        join_command(words), target=target, message=message, tool=tool
    )
    emit(as_json, proposal.to_dict(), proposal.id)
