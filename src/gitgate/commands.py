"""Approved command proposals: run once in a temporary worktree, turn file changes into a tree.

The command runs at the target's tip with a minimal environment (see :mod:`gitgate.runner`);
its output is redacted and truncated; a non-zero exit or a timeout is a failure that merges
nothing. Files it changes pass the same path, symlink and secret checks as any proposal, so an
approved command cannot smuggle in what a patch could not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitgate.changes import check_edits, edits_between
from gitgate.errors import GitgateError
from gitgate.policy import Policy
from gitgate.runner import RunResult, SandboxUnavailable, run_command
from gitgate.safety.redaction import redact
from gitgate.store.gitstore import GitStore


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an approved proposal turned out, before it is recorded.

    ``tree`` is what the target gets (None: the proposal failed and merges nothing);
    ``result`` goes into the note and the audit entry (already redacted).
    """

    tree: str | None
    result: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def failed(cls, error: str, **result: Any) -> Outcome:
        """A failure with its reason."""
        return cls(tree=None, result={"error": error, **result}, reason=error)


def execute_command(store: GitStore, tip: str, policy: Policy, command: str) -> Outcome:
    """Run an approved command at ``tip`` and describe the outcome.

    ``command`` is the text stored in the proposal commit itself (so the approval covers its
    exact bytes); commands holding a secret are refused at proposal time.
    """
    if not command.strip():
        return Outcome.failed("the proposal records no command")
    base_tree = store.commit(tip).tree
    with store.temporary_worktree(tip) as (worktree, admin_dir):
        try:
            ran = run_command(
                command,
                cwd=worktree,
                timeout=policy.commands.timeout,
                output_limit=policy.commands.output_limit,
                sandbox=policy.commands.sandbox,
                writable=(admin_dir,),
            )
        except SandboxUnavailable as err:
            return Outcome.failed(str(err))
        summary = _summary(ran)
        if not ran.ok:
            return Outcome.failed(_failure(ran), **summary)
        new_tree = store.worktree_tree(worktree, admin_dir)
    edits = edits_between(store, base_tree, new_tree)
    try:
        check_edits(store, base_tree, edits, policy, allow_secret=False)
    except GitgateError as err:
        return Outcome.failed(f"the command's changes were refused: {err.message}", **summary)
    return Outcome(tree=new_tree, result={**summary, "changed": sorted(edits)})


def _summary(ran: RunResult) -> dict[str, Any]:
    return {
        "exit_code": ran.exit_code,
        "timed_out": ran.timed_out,
        "seconds": round(ran.seconds, 3),
        "sandboxed": ran.sandboxed,
        "output": redact(ran.output.decode("utf-8", "replace")),
    }


def _failure(ran: RunResult) -> str:
    if ran.error:
        return ran.error
    if ran.timed_out:
        return f"timed out after {ran.seconds:.0f} s"
    return f"exited with status {ran.exit_code}"
