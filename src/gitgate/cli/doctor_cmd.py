"""CLI: doctor."""

from __future__ import annotations

import click

from gitgate.cli._base import emit, json_option, main
from gitgate.cli.proposals import open_gate


@main.command()
@click.option("--dry-run", is_flag=True, help="Report what would be repaired; change nothing.")
@json_option
@click.pass_context
def doctor(ctx: click.Context, dry_run: bool, as_json: bool) -> None:
    """Check and repair the repository against its journal (the audit log).

    Completes decisions a crash left half-done, removes lock files left by dead processes,
    puts pending and archive refs where the journal says (refs it never made are kept under
    refs/gitgate/orphans/), rewrites notes from the journal. Exits 1 when something is left
    that needs a person (e.g. a protected branch moved outside gitgate).
    """
    report = open_gate(ctx, complete=False).doctor(dry_run=dry_run)
    payload = {
        "ok": report.ok,
        "dry_run": report.dry_run,
        "actions": list(report.actions),
        "problems": list(report.problems),
    }

    def text() -> str:
        verb = "would " if dry_run else ""
        lines = [f"{verb}{action}" for action in report.actions]
        lines += [f"problem: {problem}" for problem in report.problems]
        if not lines:
            lines.append("nothing to repair: the repository agrees with its journal")
        return "\n".join(lines)

    emit(as_json, payload, text)
    if not report.ok:
        ctx.exit(1)
