"""CPU time of one pre-receive hook run, the figure that survives a busy machine.

Usage (from the repository root)::

    python benchmarks/bench_hook_cpu.py [--runs N]

Wall-clock push timings (bench_hook.py) swing with the load of a shared machine; the CPU time
a process consumes barely does. This builds the same world as bench_hook.py, pushes one
approved proposal (target, audit log, notes, pending deletion) through the hook, puts the
server's refs back, and then runs the installed hook script (``hooks/pre-receive``, as git runs
it) and ``python -m gitgate hook pre-receive`` on exactly that push's input N times (default
20), measuring each child's user+system CPU time. For scale it also measures ``python -c pass``
and ``python -c "import pygit2"``. Reported: medians, and the
hook's CPU above a bare interpreter start (the overhead a push pays).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_hook as bench  # noqa: E402  (the same world as the wall-clock benchmark)


def run_cpu(args: list[str], *, cwd: Path, stdin: str, env: dict[str, str]) -> float:
    """Run a child to completion, reaping it ourselves; return its user+system CPU seconds."""
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{args} exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    bench.ensure_bytecode()  # as an installed copy has it
    from gitgate.remote import fetch, propose_and_push
    from gitgate.workflow import Gate

    with tempfile.TemporaryDirectory(prefix="gitgate-bench-hookcpu-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        bench.seal(root / "home")
        server, agent, alice = bench.make_world(root)
        os.environ["REMOTE_USER"] = bench.AGENT
        agent_gate = Gate(agent)
        proposal = propose_and_push(agent_gate, bench._proposer(agent_gate, 0))
        alice_gate = Gate(alice)
        fetch(alice_gate)
        alice_gate.approve(proposal.id, actor=bench.ALICE)
        before = bench.server_refs(server)
        refspecs = [
            "main",
            "refs/gitgate/audit",
            "refs/notes/gitgate",
            f":refs/heads/gitgate/pending/{proposal.id}",
        ]
        bench.timed_push(alice, refspecs, bench.ALICE)  # through the hook: it must pass
        after = bench.server_refs(server)
        zero = "0" * 40
        lines = "".join(
            f"{before.get(ref, zero)} {after.get(ref, zero)} {ref}\n"
            for ref in sorted(set(before) | set(after))
            if before.get(ref) != after.get(ref)
        )
        bench.restore_refs(server, before)
        env = {**os.environ, "REMOTE_USER": bench.ALICE, "GIT_DIR": str(server)}
        python = sys.executable
        samples: dict[str, list[float]] = {
            "python -c pass": [],
            "import pygit2": [],
            "hook": [],
            "python -m gitgate hook": [],
        }
        for _ in range(args.runs):
            samples["python -c pass"].append(
                run_cpu([python, "-c", "pass"], cwd=server, stdin="", env=env)
            )
            samples["import pygit2"].append(
                run_cpu([python, "-c", "import pygit2"], cwd=server, stdin="", env=env)
            )
            samples["hook"].append(
                run_cpu([str(server / "hooks" / "pre-receive")], cwd=server, stdin=lines, env=env)
            )
            samples["python -m gitgate hook"].append(
                run_cpu(
                    [python, "-m", "gitgate", "hook", "pre-receive"],
                    cwd=server,
                    stdin=lines,
                    env=env,
                )
            )
        print(f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}, {args.runs} runs")
        print(f"push judged ({len(lines.splitlines())} refs):\n" + lines.rstrip())
        medians = {k: statistics.median(v) * 1000 for k, v in samples.items()}
        for name, ms in medians.items():
            print(f"  {name:22} {ms:7.1f} ms CPU (median; min {min(samples[name]) * 1000:.1f})")
        print(
            f"  hook above a bare interpreter: {medians['hook'] - medians['python -c pass']:.1f} ms CPU"
        )


if __name__ == "__main__":
    main()
