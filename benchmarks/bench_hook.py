"""Benchmark the pre-receive hook: what it adds to a push, and how fast it scans commits.

Usage (from the repository root)::

    python benchmarks/bench_hook.py [--runs N]

1. One approved proposal (target, audit log, notes, pending-branch deletion in one atomic
   push) pushed with the hook and the very same push without it, alternating, N times each
   (default 10): medians, the ratio and the overhead in milliseconds. Between the two pushes
   the server's refs are put back with ``git update-ref`` so both push the same objects.

The scan of a 1,000-commit pending branch against a plain push is in ``bench_widedir.py``
(since the journal, a pending ref pushed without its ``proposed`` entry is refused outright,
so it is measured on the hook's scan itself). ``bench_hook_cpu.py`` gives the hook's CPU time,
which survives a busy machine better than these wall times.

Targets: hook overhead under 150 ms per push (issue 9); aim for 80 ms (issue 14).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import ensure_bytecode  # noqa: E402

if TYPE_CHECKING:
    from gitgate.journal.records import Proposal
    from gitgate.workflow import Gate

ALICE = "alice@example.com"
BOB = "bob@example.com"
AGENT = "agent@example.com"


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr}")
    return proc.stdout


def seal(home: Path) -> None:
    os.environ.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_TERMINAL_PROMPT="0",
    )
    (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")


def make_world(root: Path) -> tuple[Path, Path, Path]:
    """A bare server with gitgate and the hook; an agent clone and an approver clone."""
    from gitgate.remote import prepare_clone
    from gitgate.server import hookinstall
    from gitgate.store.gitstore import GitStore
    from gitgate.workflow import Gate

    server = root / "server.git"
    git(root, "init", "-q", "--bare", "-b", "main", str(server))
    seed = root / "seed"
    git(root, "init", "-q", "-b", "main", str(seed))
    for i in range(200):  # a little history and a few hundred files, as a real repo has
        (seed / f"src/m{i % 20}").mkdir(parents=True, exist_ok=True)
        (seed / f"src/m{i % 20}/f{i}.py").write_text(f"value = {i}\n" * 20)
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "seed")
    git(seed, "push", "-q", str(server), "main")
    Gate(server).init(["main"], [ALICE, BOB], actor=ALICE)
    hookinstall.install(GitStore.open(server))
    clones = []
    for name, actor in (("agent", AGENT), ("alice", ALICE)):
        clone = root / name
        git(root, "clone", "-q", str(server), name)
        gate = Gate(clone)
        prepare_clone(gate)
        gate.init(actor=actor)
        clones.append(clone)
    return server, clones[0], clones[1]


def timed_push(clone: Path, refspecs: list[str], user: str) -> float:
    return timed_push_cpu(clone, refspecs, user)[0]


def timed_push_cpu(clone: Path, refspecs: list[str], user: str) -> tuple[float, float]:
    """Push; return (wall seconds, CPU seconds of the push and every process under it).

    The CPU figure is reaped with ``wait4``: the push's user+system time includes its
    children's (receive-pack, the hook, the hook's Python), which a busy machine inflates far
    less than wall time.
    """
    env = {**os.environ, "REMOTE_USER": user}
    cmd = ["git", "-C", str(clone), "push", "-q", "--atomic", "origin", *refspecs]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"push failed: {err}")
    return wall, usage.ru_utime + usage.ru_stime


def server_refs(server: Path) -> dict[str, str]:
    out = git(server, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines())


def restore_refs(server: Path, before: dict[str, str]) -> None:
    after = server_refs(server)
    lines = [f"update {ref} {oid}\n" for ref, oid in before.items() if after.get(ref) != oid]
    lines += [f"delete {ref}\n" for ref in after if ref not in before]
    subprocess.run(
        ["git", "-C", str(server), "update-ref", "--stdin"],
        input="".join(lines),
        text=True,
        check=True,
    )


def hook_toggle(server: Path, on: bool) -> None:
    active, parked = server / "hooks/pre-receive", server / "hooks/pre-receive.off"
    if on and parked.exists():
        parked.rename(active)
    elif not on and active.exists():
        active.rename(parked)


# Floors: the same push through hooks that do nothing, to show what any pre-receive hook
# costs (git running a script) and what any Python hook costs (the interpreter's start).
FLOOR_HOOKS = {
    "sh hook (cat)": "#!/bin/sh\ncat >/dev/null\n",
    "python -S hook": f'#!/bin/sh\nexec "{sys.executable}" -S -c "import sys; sys.stdin.read()"\n',
}


def use_floor_hook(server: Path, script: str | None) -> None:
    """Park gitgate's hook and put ``script`` in its place (None: put gitgate's back)."""
    active, parked = server / "hooks/pre-receive", server / "hooks/pre-receive.off"
    if active.exists() and not parked.exists():
        active.rename(parked)
    elif active.exists():
        active.unlink()
    if script is None:
        parked.rename(active)
    else:
        active.write_text(script)
        active.chmod(0o755)


def _proposer(gate: Gate, n: int) -> Callable[[], Proposal]:
    return lambda: gate.propose_write(f"docs/n{n}.md", f"{n}\n", actor=AGENT)


def bench_approval(server: Path, agent: Path, alice: Path, runs: int) -> None:
    from gitgate.remote import fetch, propose_and_push
    from gitgate.workflow import Gate

    os.environ["REMOTE_USER"] = AGENT
    with_hook: list[float] = []
    without: list[float] = []
    cpu_with: list[float] = []
    cpu_without: list[float] = []
    floors: dict[str, list[tuple[float, float]]] = {}
    for n in range(runs):
        os.environ["REMOTE_USER"] = AGENT
        agent_gate = Gate(agent)
        proposal = propose_and_push(agent_gate, _proposer(agent_gate, n))
        alice_gate = Gate(alice)
        fetch(alice_gate)
        alice_gate.approve(proposal.id, actor=ALICE)
        refspecs = [
            "main",
            "refs/gitgate/audit",
            "refs/notes/gitgate",
            f":refs/heads/gitgate/pending/{proposal.id}",
        ]
        before = server_refs(server)
        for name, script in FLOOR_HOOKS.items():  # first: the refs are put back after each
            use_floor_hook(server, script)
            floors.setdefault(name, []).append(timed_push_cpu(alice, refspecs, ALICE))
            restore_refs(server, before)
        use_floor_hook(server, None)
        order = (True, False) if n % 2 == 0 else (False, True)
        for hooked in order:
            hook_toggle(server, hooked)
            elapsed, cpu = timed_push_cpu(alice, refspecs, ALICE)
            (with_hook if hooked else without).append(elapsed)
            (cpu_with if hooked else cpu_without).append(cpu)
            if hooked is order[0]:
                restore_refs(server, before)
        hook_toggle(server, True)
    hooked_ms = statistics.median(with_hook) * 1000
    plain_ms = statistics.median(without) * 1000
    print(f"approved proposal push, median of {runs}:")
    print(f"  with hook    {hooked_ms:8.1f} ms")
    print(f"  without hook {plain_ms:8.1f} ms")
    print(f"  ratio        {hooked_ms / plain_ms:8.2f}x   overhead {hooked_ms - plain_ms:.1f} ms")
    cpu_hooked = statistics.median(cpu_with) * 1000
    cpu_plain = statistics.median(cpu_without) * 1000
    overhead = cpu_hooked - cpu_plain
    print("  CPU time of the push and everything under it (median; steadier under load):")
    print(f"  with hook    {cpu_hooked:8.1f} ms CPU")
    print(f"  without hook {cpu_plain:8.1f} ms CPU")
    print(f"  overhead     {overhead:8.1f} ms CPU")
    for name, samples in floors.items():
        wall = statistics.median(t for t, _ in samples) * 1000 - plain_ms
        cpu = statistics.median(c for _, c in samples) * 1000 - cpu_plain
        print(f"  floor: {name:15} overhead {wall:6.1f} ms wall, {cpu:6.1f} ms CPU")
    for goal, issue in ((150, 9), (80, 14)):
        wall_met = hooked_ms - plain_ms <= goal
        print(
            f"  issue {issue} goal <= {goal} ms: wall {'met' if wall_met else 'MISSED'}, "
            f"CPU {'met' if overhead <= goal else 'MISSED'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    ensure_bytecode()  # as an installed copy has it
    with tempfile.TemporaryDirectory(prefix="gitgate-bench-hook-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        seal(root / "home")
        server, agent, alice = make_world(root)
        print(
            f"python {sys.version.split()[0]}, {git(root, 'version').strip()}, load {os.getloadavg()[0]:.1f}"
        )
        bench_approval(server, agent, alice, args.runs)


if __name__ == "__main__":
    main()
