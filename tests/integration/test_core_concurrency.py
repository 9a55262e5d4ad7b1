"""Concurrent gitgate processes on one repository lose nothing: every decision is in the audit
log, numbered without gaps, and `audit verify` stays clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitgate.workflow import Gate
from gitutil import (
    AGENT,
    APPROVER,
    APPROVER2,
    make_gated_repo,
    rev_parse,
    run_git,
    status_porcelain,
)

WORKERS = 6


@pytest.fixture(autouse=True)
def _sealed() -> Iterator[None]:
    yield  # conftest's hermetic seal already covers libgit2's config search path


def _start(repo: Path, actor: str, *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "GITGATE_ACTOR": actor}
    return subprocess.Popen(
        [sys.executable, "-m", "gitgate", "-C", str(repo), *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _run_all(procs: list[tuple[subprocess.Popen[str], str | None]]) -> list[tuple[int, str, str]]:
    results = []
    for proc, stdin in procs:
        out, err = proc.communicate(stdin, timeout=120)
        results.append((proc.returncode, out, err))
    return results


def _check_log(gate: Gate) -> list[tuple[int, str, str | None]]:
    entries = [(e.seq, e.event, e.proposal) for e in gate.audit()]
    assert [seq for seq, _, _ in entries] == list(range(1, len(entries) + 1))
    report = gate.verify_audit()
    assert report.problems == ()
    return entries


@pytest.mark.parametrize("bare", [True, False], ids=["bare", "worktree"])
def test_concurrent_approvals_lose_no_entry(tmp_path: Path, bare: bool) -> None:
    files = {f"f{i}.txt": f"{i}\n" for i in range(WORKERS)}
    repo = make_gated_repo(tmp_path / "repo", bare=bare, files=files)
    gate = Gate(repo)
    pids = [
        gate.propose_write(f"f{i}.txt", f"changed {i}\n", actor=AGENT).id for i in range(WORKERS)
    ]
    # all processes start before any finishes: they race for the same refs
    procs = [
        (_start(repo, (APPROVER, APPROVER2)[i % 2], "approve", pid, "--json"), None)
        for i, pid in enumerate(pids)
    ]
    results = _run_all(procs)
    for code, out, err in results:
        assert code == 0, err
        assert json.loads(out)["status"] == "executed"
        assert "Traceback" not in err

    entries = _check_log(gate)
    assert len(entries) == 1 + WORKERS * 3
    for pid in pids:
        assert [event for _, event, p in entries if p == pid] == [
            "proposed",
            "approved",
            "executed",
        ]
        assert gate.get(pid).status == "executed"
    merges = run_git(repo, "rev-list", "--first-parent", "--merges", "main").split()
    assert len(merges) == WORKERS
    for i in range(WORKERS):
        assert run_git(repo, "show", f"main:f{i}.txt") == f"changed {i}\n"
    if not bare:
        assert rev_parse(repo, "HEAD") == rev_parse(repo, "main")
        # The checkout follows every merge, or warns and is left for the user to reset.
        warned = any("working tree was" in err for _, _, err in results)
        if not warned:
            assert status_porcelain(repo) == ""


def test_concurrent_proposals_lose_no_entry(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo.git", bare=True)
    procs = [
        (_start(repo, AGENT, "propose", "write", f"new{i}.txt"), f"content {i}\n")
        for i in range(WORKERS)
    ]
    results = _run_all(procs)
    pids = []
    for code, out, err in results:
        assert code == 0, err
        pids.append(out.strip())
    assert len(set(pids)) == WORKERS
    gate = Gate(repo)
    assert sorted(p.id for p in gate.list("pending")) == sorted(pids)
    entries = _check_log(gate)
    assert sorted(p for _, event, p in entries if event == "proposed") == sorted(pids)


def test_concurrent_mixed_decisions(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo.git", bare=True)
    gate = Gate(repo)
    pids = [gate.propose_write(f"m{i}.txt", f"{i}\n", actor=AGENT).id for i in range(WORKERS)]
    procs: list[tuple[subprocess.Popen[str], str | None]] = []
    for i, pid in enumerate(pids):
        if i % 2:
            procs.append((_start(repo, APPROVER, "reject", pid, "-r", f"no {i}"), None))
        else:
            procs.append((_start(repo, APPROVER2, "approve", pid), None))
    procs += [(_start(repo, AGENT, "propose", "write", f"late{i}.txt"), "late\n") for i in range(2)]
    for code, _, err in _run_all(procs):
        assert code == 0, err
    entries = _check_log(gate)
    statuses = {p.id: p.status for p in gate.list()}
    assert [statuses[pid] for pid in pids] == ["executed", "rejected"] * (WORKERS // 2)
    assert sum(1 for s in statuses.values() if s == "pending") == 2
    assert len(entries) == 1 + WORKERS + (WORKERS // 2) * 2 + (WORKERS // 2) + 2
