"""Housekeeping: gitgate lets git pack the loose objects libgit2 writes, as git's own
commands do (`git gc --auto`), without disturbing any decision."""

from __future__ import annotations

from pathlib import Path

from gitgate.journal.engine import GC_EVERY
from gitgate.workflow import Gate
from gitutil import AGENT, APPROVER, make_gated_repo, run_git


def _packs(repo: Path) -> int:
    out = run_git(repo, "count-objects", "-v")
    return int(dict(line.split(": ") for line in out.splitlines())["packs"])


def test_git_gc_auto_runs_as_the_journal_grows(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo")
    # Thresholds low and in the foreground, so that the run is seen here and now.
    run_git(repo, "config", "gc.auto", "1")
    run_git(repo, "config", "gc.autoDetach", "false")
    gate = Gate(repo)
    assert _packs(repo) == 0
    seq = 0
    while seq < GC_EVERY:
        proposal = gate.propose_write(f"f{seq}.txt", f"{seq}\n", actor=AGENT)
        gate.approve(proposal.id, actor=APPROVER)
        seq = gate.audit()[-1].seq
    assert _packs(repo) >= 1
    report = gate.verify_audit()
    assert report.ok, report.problems
