"""Races across clones: concurrent proposers and approvers pushing to one guarded server.

Each actor is a separate `python -m gitgate ... --push` process in its own clone; the losers
of each push race fetch, merge notes / decide again, and push again. Afterwards nothing is
lost and the server's audit log verifies clean.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from conftest import AGENT2, MALLORY, World
from gitutil import AGENT, APPROVER, APPROVER2, gitgate_subprocess, run_git

PROPOSERS = {"agent": AGENT, "agent2": AGENT2, "mallory": MALLORY, "carol": "carol@example.com"}
PER_PROPOSER = 2


def _start(world: World, clone: Path, actor: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "GITGATE_ACTOR": actor, "REMOTE_USER": actor}
    return subprocess.Popen(
        [sys.executable, "-m", "gitgate", "-C", str(clone), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _finish(procs: list[subprocess.Popen[str]]) -> list[str]:
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
        outputs.append(out)
    return outputs


def _propose_all(world: World) -> list[str]:
    """Each proposer clone proposes its files, one after another, all clones at once."""
    script = "; ".join(
        f'"{sys.executable}" -m gitgate -C "$1" propose write "files/$2-{n}.txt" '
        f'--from "$3" -m "$2 {n}" --push'
        for n in range(PER_PROPOSER)
    )
    procs = []
    for name, actor in PROPOSERS.items():
        content = world.root / f"{name}.txt"
        content.write_text(f"from {name}\n")
        env = {**os.environ, "GITGATE_ACTOR": actor, "REMOTE_USER": actor}
        procs.append(
            subprocess.Popen(
                ["sh", "-ec", script, "sh", str(world.clone(name)), name, str(content)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    return [pid for out in _finish(procs) for pid in out.split()]


def test_concurrent_proposers_and_approvers_lose_nothing(world: World) -> None:
    run_git(world.root, "clone", "-q", str(world.server), "carol")
    init = gitgate_subprocess(world.clone("carol"), "init", actor=PROPOSERS["carol"])
    assert init.returncode == 0, init.stderr

    pids = _propose_all(world)
    assert len(set(pids)) == len(PROPOSERS) * PER_PROPOSER
    statuses = _server_statuses(world)
    assert statuses == dict.fromkeys(pids, "pending")

    half = len(pids) // 2
    approvers = [("alice", APPROVER, pids[:half]), ("bob", APPROVER2, pids[half:])]
    procs = [
        _start(world, world.clone(name), actor, "approve", *mine, "--push")
        for name, actor, mine in approvers
    ]
    _finish(procs)

    assert _server_statuses(world) == dict.fromkeys(pids, "executed")
    events = Counter(
        (e["event"], e["proposal"]) for e in _server_json(world, "audit", "log", "--json")
    )
    for pid in pids:
        assert events[("proposed", pid)] == 1
        assert events[("approved", pid)] == 1
        assert events[("executed", pid)] == 1
    verify = gitgate_subprocess(world.server, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    files = run_git(world.server, "ls-tree", "-r", "--name-only", "main", "files/").split()
    assert len(files) == len(pids)
    assert not [r for r in world.server_refs() if r.startswith("refs/heads/gitgate/pending/")]


def _server_json(world: World, *args: str) -> list[dict[str, str]]:
    proc = gitgate_subprocess(world.server, *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def _server_statuses(world: World) -> dict[str, str]:
    return {p["id"]: p["status"] for p in _server_json(world, "list", "--json")}
