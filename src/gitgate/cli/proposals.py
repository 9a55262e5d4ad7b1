"""CLI: init, propose, list, show, approve, reject, audit."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from gitgate import render
from gitgate.cli._base import F, emit, json_option, main
from gitgate.errors import GitgateError
from gitgate.journal.records import STATUSES, Proposal
from gitgate.workflow import Gate

T = TypeVar("T")


def open_gate(ctx: click.Context, *, complete: bool = True) -> Gate:
    """The Gate for the repository named by ``-C``, with any half-done decision completed
    (``complete=False``: as it is, for the commands that inspect or repair)."""
    gate = Gate(ctx.find_root().obj["repo"])
    if not complete:
        return gate
    completed = gate.complete()
    if completed is not None and completed.conflicts:
        click.echo("warning: " + "; ".join(completed.conflicts[:3]), err=True)
        click.echo("hint: run `gitgate doctor`", err=True)
    return gate


def push_option(func: F) -> F:
    """Add ``--push [REMOTE]``: fetch first, then push the result to the server atomically."""
    return click.option(
        "--push",
        "push",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[REMOTE]",
        help="Fetch first, then push the result to REMOTE (default: origin). Put it last.",
    )(func)


def proposing(ctx: click.Context, push: str | None, make: Callable[[Gate], Proposal]) -> Proposal:
    """Make a proposal here, or (with ``--push``) on the remote's tips and push it there."""
    gate = open_gate(ctx)
    if push is None:
        return make(gate)
    from gitgate.remote import propose_and_push

    return propose_and_push(gate, lambda: make(gate), push or None)


def deciding(gate: Gate, proposal_id: str, push: str | None, decide: Callable[[str], T]) -> T:
    """Run one decision here, or (with ``--push``) on the remote's tips and push it there."""
    if push is None:
        return decide(proposal_id)
    from gitgate.remote import decide_and_push

    return decide_and_push(gate, proposal_id, decide, push or None)


def read_input(source: str) -> bytes:
    """Read a file argument, ``-`` meaning standard input."""
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as err:
        raise GitgateError(f"cannot read {source}: {err.strerror}", hint="check the path") from err


@main.command()
@click.option(
    "--protect",
    "protect",
    multiple=True,
    metavar="BRANCH",
    help="Protected branch (repeatable; the first is the default target).",
)
@click.option(
    "--approver",
    "approvers",
    multiple=True,
    metavar="ID",
    help="Identity allowed to approve (repeatable), e.g. an e-mail.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing policy.")
@json_option
@click.pass_context
def init(
    ctx: click.Context,
    protect: tuple[str, ...],
    approvers: tuple[str, ...],
    force: bool,
    as_json: bool,
) -> None:
    """Set up gitgate: commit .gitgate.toml and start the audit log.

    Safe to run twice; an existing policy is kept unless --force. In a clone of a repository
    that already uses gitgate, it only configures this clone.
    """
    gate = open_gate(ctx)
    from gitgate.remote import prepare_clone

    synced = prepare_clone(gate)  # in a clone of a gitgate repository: refspecs + fetch
    result = gate.init(protect, approvers, force=force)
    payload = {
        "branch": result.branch,
        "policy_commit": result.policy_commit,
        "wrote_policy": result.wrote_policy,
        "started_audit": result.started_audit,
        "protected": list(result.policy.protected),
        "approvers": list(result.policy.approvers),
        "warnings": list(result.warnings),
    }
    if synced is not None:
        click.echo(f"this clone now fetches gitgate's refs from {synced.remote}", err=True)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    wrote = "committed .gitgate.toml" if result.wrote_policy else "kept the existing policy"
    emit(
        as_json,
        payload,
        f"gitgate is set up on {result.branch}: {wrote} ({result.policy_commit[:12]}); "
        f"approvers: {', '.join(result.policy.approvers) or 'none'}",
    )


def _propose_options(func: F) -> F:
    func = click.option(
        "--target", metavar="BRANCH", help="Target branch (default: the first protected)."
    )(func)
    func = click.option("-m", "--message", default="", help="What the change is for.")(func)
    func = click.option("--tool", default=None, help="Tool name recorded in the metadata.")(func)
    func = click.option(
        "--allow-secret",
        is_flag=True,
        help="Propose even if added content looks like a secret (audited).",
    )(func)
    return json_option(push_option(func))


def _report_proposal(as_json: bool, proposal: Proposal) -> None:
    emit(as_json, proposal.to_dict(), proposal.id)


@main.group()
def propose() -> None:
    """Propose a change; it waits on a pending branch until approved.

    Prints the proposal id. The actor is $GITGATE_ACTOR, else git's user.email.
    """


@propose.command("patch")
@click.argument("source", metavar="FILE|-")
@_propose_options
@click.pass_context
def propose_patch(
    ctx: click.Context,
    source: str,
    target: str | None,
    message: str,
    tool: str | None,
    allow_secret: bool,
    as_json: bool,
    push: str | None,
) -> None:
    """Propose a unified diff as `git diff --binary -M` writes it."""
    patch = read_input(source)
    proposal = proposing(
        ctx,
        push,
        lambda gate: gate.propose_patch(
            patch,
            target=target,
            message=message,
            tool=tool or "apply_patch",
            allow_secret=allow_secret,
        ),
    )
    _report_proposal(as_json, proposal)


@propose.command("write")
@click.argument("path")
@click.option(
    "--from",
    "source",
    default="-",
    metavar="FILE|-",
    show_default=True,
    help="Where the new content comes from.",
)
@_propose_options
@click.pass_context
def propose_write(
    ctx: click.Context,
    path: str,
    source: str,
    target: str | None,
    message: str,
    tool: str | None,
    allow_secret: bool,
    as_json: bool,
    push: str | None,
) -> None:
    """Propose writing PATH (created or replaced) with the content of --from."""
    content = read_input(source)
    proposal = proposing(
        ctx,
        push,
        lambda gate: gate.propose_write(
            path,
            content,
            target=target,
            message=message,
            tool=tool or "write_file",
            allow_secret=allow_secret,
        ),
    )
    _report_proposal(as_json, proposal)


@propose.command("create")
@click.argument("path")
@click.option(
    "--from",
    "source",
    default=None,
    metavar="FILE|-",
    help="Content of the new file (default: empty).",
)
@_propose_options
@click.pass_context
def propose_create(
    ctx: click.Context,
    path: str,
    source: str | None,
    target: str | None,
    message: str,
    tool: str | None,
    allow_secret: bool,
    as_json: bool,
    push: str | None,
) -> None:
    """Propose creating PATH; refused if it already exists."""
    content = read_input(source) if source else b""
    proposal = proposing(
        ctx,
        push,
        lambda gate: gate.propose_create(
            path,
            content,
            target=target,
            message=message,
            tool=tool or "create_file",
            allow_secret=allow_secret,
        ),
    )
    _report_proposal(as_json, proposal)


@propose.command("delete")
@click.argument("path")
@_propose_options
@click.pass_context
def propose_delete(
    ctx: click.Context,
    path: str,
    target: str | None,
    message: str,
    tool: str | None,
    allow_secret: bool,
    as_json: bool,
    push: str | None,
) -> None:
    """Propose deleting PATH."""
    proposal = proposing(
        ctx,
        push,
        lambda gate: gate.propose_delete(
            path, target=target, message=message, tool=tool or "delete_file"
        ),
    )
    _report_proposal(as_json, proposal)


@main.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only proposals with this status.")
@json_option
@click.pass_context
def list_cmd(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List proposals, oldest first."""
    proposals = open_gate(ctx).list(status=status)
    emit(as_json, [p.to_dict() for p in proposals], lambda: render.proposal_table(proposals))


@main.command()
@click.argument("proposal_id", metavar="ID")
@click.option("--diff", "full_diff", is_flag=True, help="Show the whole diff (redacted).")
@json_option
@click.pass_context
def show(ctx: click.Context, proposal_id: str, full_diff: bool, as_json: bool) -> None:
    """Show one proposal: metadata, status, history, and the diff of the exact commit (and
    tree) an approval would merge — computed from that commit, never from stored metadata.
    Approve exactly what you saw with `gitgate approve ID --commit SHA`."""
    gate = open_gate(ctx)
    review = gate.review(proposal_id)
    proposal = dataclasses.replace(review.proposal, preview=review.preview)
    diff = None
    if full_diff:
        diff = gate.store.diff_text(proposal.base, proposal.commit, binary=False).decode(
            "utf-8", "replace"
        )
    payload = review.to_dict()
    if diff is not None:
        from gitgate.safety.redaction import redact

        payload["diff"] = redact(diff)
    emit(as_json, payload, lambda: render.proposal_detail(proposal, diff=diff, tree=review.tree))


@main.command()
@click.argument("proposal_ids", metavar="ID...", nargs=-1, required=True)
@click.option(
    "--commit",
    "reviewed",
    metavar="SHA",
    help="The proposal commit you reviewed (from `gitgate show`); refused if it differs.",
)
@json_option
@push_option
@click.pass_context
def approve(
    ctx: click.Context,
    proposal_ids: tuple[str, ...],
    reviewed: str | None,
    as_json: bool,
    push: str | None,
) -> None:
    """Approve proposals: each is merged into its target, or recorded failed on a conflict.

    Only an approver named in the policy may approve, never the requester of the proposal.
    With --push, each decision is made on the server's tips and pushed atomically.
    Exits 1 if any proposal failed to merge.
    """
    gate = open_gate(ctx)
    if reviewed is not None and len(proposal_ids) != 1:
        raise click.UsageError("--commit binds one approval: give exactly one ID")
    results = []
    failed = False
    for pid in proposal_ids:
        decision = deciding(gate, pid, push, lambda p: gate.approve(p, commit=reviewed))
        for warning in decision.warnings:
            click.echo(f"warning: {warning}", err=True)
        p = decision.proposal
        results.append(p.to_dict())
        failed = failed or p.status != "executed"
        if not as_json:
            if p.status == "executed":
                click.echo(f"{p.id} executed: merged into {p.target} as {p.result['merge'][:12]}")
            else:
                click.echo(f"{p.id} failed: {p.result.get('error', 'unknown error')}")
                for path in p.result.get("conflicts", []):
                    click.echo(f"  conflict: {path}")
    if as_json:
        emit(True, results if len(results) > 1 else results[0], "")
    if failed:
        ctx.exit(1)


@main.command()
@click.argument("proposal_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--reason", "-r", required=True, help="Why it is rejected (recorded, redacted).")
@json_option
@push_option
@click.pass_context
def reject(
    ctx: click.Context,
    proposal_ids: tuple[str, ...],
    reason: str,
    as_json: bool,
    push: str | None,
) -> None:
    """Reject proposals, recording why. The commit stays under an archive ref."""
    gate = open_gate(ctx)
    results = [deciding(gate, pid, push, lambda p: gate.reject(p, reason)) for pid in proposal_ids]
    emit(
        as_json,
        [p.to_dict() for p in results] if len(results) > 1 else results[0].to_dict(),
        "\n".join(f"{p.id} rejected" for p in results),
    )


@main.group()
def audit() -> None:
    """Read and verify the append-only audit log."""


@audit.command("log")
@json_option
@click.pass_context
def audit_log(ctx: click.Context, as_json: bool) -> None:
    """Print the audit log, oldest first."""
    entries = open_gate(ctx).audit()
    emit(
        as_json,
        [e.to_dict() for e in entries],
        lambda: "\n".join(render.audit_line(e) for e in entries),
    )


@audit.command("verify")
@json_option
@click.pass_context
def audit_verify(ctx: click.Context, as_json: bool) -> None:
    """Check the audit log, notes and protected branches agree; exit 1 on any problem."""
    from gitgate.journal.verify import verify_repository

    gate = open_gate(ctx, complete=False)
    built: list[object] = []  # held until the process ends (see exit_without_teardown)
    report = verify_repository(gate.store, gate.policy(), keep=built)
    payload = {
        "ok": report.ok,
        "entries": report.entries,
        "proposals": report.proposals,
        "problems": list(report.problems),
    }
    summary = (
        f"audit log OK: {report.entries} entries, {report.proposals} proposals"
        if report.ok
        else "\n".join(f"problem: {p}" for p in report.problems)
    )
    emit(as_json, payload, summary)
    exit_without_teardown(ctx, 0 if report.ok else 1)


def exit_without_teardown(ctx: click.Context, code: int) -> None:
    """End the process now, as the CLI would, but without freeing its objects one by one.

    After `audit verify` at 10,000 proposals, the journal it decoded is a million objects:
    freeing them and then the interpreter took ~0.1 s of a 1.6 s run, for a process about
    to end (mypy's CLI exits this way too). Only in the CLI's own process (its standard
    streams its own, not a test's or an embedding program's): anywhere else, click's
    ordinary exit.
    """
    import os

    out, err = sys.__stdout__, sys.__stderr__
    if out is not None and err is not None and sys.stdout is out and sys.stderr is err:
        out.flush()  # a closed pipe raises here, and the CLI's usual handling follows
        err.flush()
        if "logging" in sys.modules:  # a log file (--verbose, GITGATE_LOG) keeps its last lines
            sys.modules["logging"].shutdown()
        os._exit(code)
    ctx.exit(code)
