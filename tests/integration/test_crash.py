"""Crash safety: stop every decision after each step of its ref updates; the next command
completes it or finds no trace, and ``audit verify`` passes. Also real ``kill -9`` runs of the
CLI, a stale lock, and ``git pack-refs`` running alongside."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitgate.store import gitstore
from gitgate.workflow import Gate
from gitutil import (
    AGENT,
    APPROVER,
    commit,
    freeze_clock,
    gitgate_subprocess,
    make_gated_repo,
    ref_exists,
    rev_parse,
    run_git,
)


class SimulatedCrash(BaseException):
    """Stops a command the way a crash would: nothing in gitgate catches a BaseException."""


@pytest.fixture(autouse=True)
def _sealed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    freeze_clock(monkeypatch)
    yield
    gitstore.FAULTS = None


def _steps(action: Callable[[Gate], object], repo: Path) -> list[str]:
    seen: list[str] = []
    gitstore.FAULTS = seen.append
    try:
        action(Gate(repo))
    finally:
        gitstore.FAULTS = None
    return seen


def _crash_at(k: int) -> Callable[[str], None]:
    count = [0]

    def fault(step: str) -> None:
        count[0] += 1
        if count[0] == k:
            raise SimulatedCrash(step)

    return fault


def _propose(gate: Gate) -> object:
    return gate.propose_write("a.txt", "new\n", actor=AGENT)


def _fresh(tmp_path: Path, name: str) -> tuple[Path, str]:
    repo = make_gated_repo(tmp_path / name)
    pid = Gate(repo).propose_write("README.md", "hello world\n", actor=AGENT).id
    return repo, pid


ACTIONS: dict[str, Callable[[Gate, str], object]] = {
    "propose": lambda gate, _pid: _propose(gate),
    "approve": lambda gate, pid: gate.approve(pid, actor=APPROVER),
    "reject": lambda gate, pid: gate.reject(pid, "no", actor=APPROVER),
}


def _settled(repo: Path, pid: str, action: str) -> None:
    """After a crash and one more command: the decision is whole, or absent; verify is OK."""
    gate = Gate(repo)
    gate.complete()
    report = gate.verify_audit()
    assert report.ok, report.problems
    # main is checked out: its working tree followed whatever the journal did to it
    assert run_git(repo, "status", "--porcelain") == ""
    status = gate.get(pid).status
    pending = ref_exists(repo, f"refs/heads/gitgate/pending/{pid}")
    archived = ref_exists(repo, f"refs/gitgate/archive/{pid}")
    if status == "pending":
        assert pending and not archived
        assert action != "approve" or rev_parse(repo, "main") == gate.get(pid).base
    elif status == "executed":
        assert not pending and not archived
        assert rev_parse(repo, "main") == gate.get(pid).result["merge"]
    else:
        assert status == "rejected" and archived and not pending
    # and the proposal can still be decided (never stuck)
    if status == "pending":
        assert gate.approve(pid, actor=APPROVER).proposal.status == "executed"
        assert gate.verify_audit().ok


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_crash_after_every_step(tmp_path: Path, action: str) -> None:
    repo, pid = _fresh(tmp_path, "probe")
    steps = _steps(lambda gate: ACTIONS[action](gate, pid), repo)
    assert len(steps) >= 4, steps  # the audit CAS, then the derived refs and notes
    for k in range(1, len(steps) + 1):
        repo, pid = _fresh(tmp_path, f"{action}-{k}")
        before = {p.id for p in Gate(repo).list()}
        gitstore.FAULTS = _crash_at(k)
        with pytest.raises(SimulatedCrash):
            ACTIONS[action](Gate(repo), pid)
        gitstore.FAULTS = None
        _settled(repo, pid, action)
        after = {p.id for p in Gate(repo).list()}
        if action == "propose":
            # a crash before the commit point leaves no proposal; after it, exactly one more
            assert len(after - before) in (0, 1)
            for new in after - before:
                assert ref_exists(repo, f"refs/heads/gitgate/pending/{new}")


def test_kill_9_of_the_cli_at_every_step(tmp_path: Path) -> None:
    repo, pid = _fresh(tmp_path, "probe")
    steps = _steps(lambda gate: gate.approve(pid, actor=APPROVER), repo)
    for k in range(1, len(steps) + 1):
        repo, pid = _fresh(tmp_path, f"kill-{k}")
        env = {**os.environ, "GITGATE_ACTOR": APPROVER, "GITGATE_TEST_CRASH_AT": str(k)}
        proc = subprocess.run(
            [sys.executable, "-m", "gitgate", "-C", str(repo), "approve", pid],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert proc.returncode == -9, (k, proc.stderr)
        # the next command (any) completes it; no "other processes kept changing" error
        listed = gitgate_subprocess(repo, "list", "--json", actor=APPROVER)
        assert listed.returncode == 0, listed.stderr
        verify = gitgate_subprocess(repo, "audit", "verify", actor=APPROVER)
        assert verify.returncode == 0, (k, verify.stdout)
        _settled(repo, pid, "approve")
        assert not list((repo / ".git" / "refs").rglob("*.lock"))


def test_a_stale_lock_is_reported_and_removed_by_doctor(tmp_path: Path) -> None:
    repo, pid = _fresh(tmp_path, "repo")
    lock = repo / ".git" / "refs" / "heads" / "main.lock"
    lock.write_text("0" * 40 + "\n")
    os.utime(lock, (1, 1))  # long ago: its owner is gone
    out = gitgate_subprocess(repo, "audit", "verify")
    assert out.returncode == 1
    assert "stale lock refs/heads/main.lock" in out.stdout
    dry = gitgate_subprocess(repo, "doctor", "--dry-run")
    assert dry.returncode == 0 and "would remove stale lock refs/heads/main.lock" in dry.stdout
    assert lock.exists()
    fixed = gitgate_subprocess(repo, "doctor")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert not lock.exists()
    assert Gate(repo).approve(pid, actor=APPROVER).proposal.status == "executed"


def test_doctor_repairs_refs_moved_or_deleted_by_hand(tmp_path: Path) -> None:
    repo, pid = _fresh(tmp_path, "repo")
    other = Gate(repo).propose_write("b.txt", "b\n", actor=AGENT).id
    Gate(repo).reject(other, "no", actor=APPROVER)
    run_git(repo, "update-ref", "-d", f"refs/heads/gitgate/pending/{pid}")
    run_git(repo, "update-ref", "-d", f"refs/gitgate/archive/{other}")
    stray = commit(repo, {"x.txt": "x\n"}, "stray", branch="gitgate/pending/aaaaaaaaaa")
    report = Gate(repo).verify_audit()
    assert not report.ok and len(report.problems) == 3, report.problems
    out = gitgate_subprocess(repo, "doctor", "--json")
    assert out.returncode == 0, out.stdout
    assert Gate(repo).verify_audit().ok
    assert rev_parse(repo, "refs/gitgate/orphans/heads/gitgate/pending/aaaaaaaaaa") == stray
    assert Gate(repo).approve(pid, actor=APPROVER).proposal.status == "executed"


def test_pack_refs_alongside_loses_nothing(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo")
    stop = threading.Event()

    def pack() -> None:
        while not stop.is_set():
            run_git(repo, "pack-refs", "--all", check=False)

    packer = threading.Thread(target=pack)
    packer.start()
    try:
        ids = [Gate(repo).propose_write(f"f{i}.txt", f"{i}\n", actor=AGENT).id for i in range(12)]
        for pid in ids[:6]:
            Gate(repo).approve(pid, actor=APPROVER)
        for pid in ids[6:9]:
            Gate(repo).reject(pid, "no", actor=APPROVER)
    finally:
        stop.set()
        packer.join()
    gate = Gate(repo)
    assert gate.verify_audit().ok, gate.verify_audit().problems
    statuses = [gate.get(pid).status for pid in ids]
    assert statuses == ["executed"] * 6 + ["rejected"] * 3 + ["pending"] * 3


def test_the_checkout_record_of_a_running_or_garbled_writer_is_not_acted_on(
    tmp_path: Path,
) -> None:
    from gitgate.store.gitstore import CHECKOUT_INTENT, GitStore

    repo = make_gated_repo(tmp_path / "repo")
    store = GitStore.open(repo)
    record = store.git_dir / CHECKOUT_INTENT
    tip = rev_parse(repo, "main")
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as alive:
        try:
            record.write_text(f"{alive.pid} main {tip}\n")
            assert store.unfinished_checkout_move() is None  # its writer is still at work
            assert record.exists()
        finally:
            alive.kill()
    alive.wait()
    assert store.unfinished_checkout_move() == ("main", tip)  # its writer is gone
    record.write_text("12 main not-a-commit\n")
    assert store.unfinished_checkout_move() is None
    assert not record.exists()  # a torn record is dropped, not trusted
