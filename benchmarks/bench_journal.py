"""Journal benchmark: `audit verify`, `approve`, prefix `show` and `list --status pending` at N
earlier proposals, against the same at a small N, in the same run.

Usage::

    python benchmarks/bench_journal.py                 # 1,000 and 10,000 executed proposals
    python benchmarks/bench_journal.py --sizes 200,2000 # quicker

For each size a repository is filled through the real API (``Gate.propose_write`` +
``Gate.approve``: each an executed merge, so the journal holds 3 entries per proposal), plus 20
pending proposals. Then it times, median of several runs:

* ``Gate.verify_audit()`` (the whole journal replayed, every ref and note checked);
* one more ``propose`` + ``approve`` (should stay flat in the number of earlier merges);
* ``Gate.get(prefix)`` by a 5-character prefix, and ``Gate.list(status="pending")``.

It prints each figure with its ratio against the smallest size, and the targets: verify <= 2 s
at 10,000; approve flat (ratio <= 1.5); prefix show and pending list <= 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import _seal_environment  # noqa: E402

AGENT = "agent@example.com"
APPROVER = "alice@example.com"


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fill(root: Path, n: int) -> Path:
    import subprocess

    from gitgate.workflow import Gate

    repo = root / f"repo-{n}"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "README.md").write_text("hello\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "initial"], check=True)
    gate = Gate(repo)
    gate.init(["main"], [APPROVER], actor=APPROVER)
    started = time.perf_counter()
    for i in range(n):
        pid = gate.propose_write(f"d{i % 97}/f{i}.txt", f"{i}\n", actor=AGENT).id
        gate.approve(pid, actor=APPROVER)
        if (i + 1) % 1000 == 0:
            rate = (i + 1) / (time.perf_counter() - started)
            print(f"  filled {i + 1}/{n} ({rate:.0f}/s)", file=sys.stderr)
    for i in range(20):
        gate.propose_write(f"pending/p{i}.txt", f"{i}\n", actor=AGENT)
    return repo


def _measure(repo: Path, runs: int) -> dict[str, float]:
    from gitgate.workflow import Gate

    gate = Gate(repo)
    pending = gate.list(status="pending")
    prefix = pending[0].id[:5]
    counter = [0]

    def round_trip() -> None:
        counter[0] += 1
        pid = gate.propose_write(f"bench/x{counter[0]}.txt", "x\n", actor=AGENT).id
        gate.approve(pid, actor=APPROVER)

    report = gate.verify_audit()
    assert report.ok, report.problems[:5]
    return {
        "verify": _median(gate.verify_audit, max(1, runs // 2)),
        "propose+approve": _median(round_trip, runs),
        "show by prefix": _median(lambda: gate.get(prefix), runs),
        "list pending": _median(lambda: gate.list(status="pending"), runs),
    }


TARGETS = {"verify": 2.0, "show by prefix": 0.3, "list pending": 0.3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        _seal_environment(home)
        os.environ["GITGATE_ACTOR"] = AGENT
        results = {}
        for n in sizes:
            print(f"filling {n} executed proposals…", file=sys.stderr)
            results[n] = _measure(_fill(root, n), args.runs)
    base = results[sizes[0]]
    print(f"{'measure':<18}" + "".join(f"{n:>12,}" for n in sizes) + "   ratio (largest/smallest)")
    ok = True
    for name in base:
        row = "".join(f"{results[n][name] * 1000:>10.1f}ms" for n in sizes)
        ratio = results[sizes[-1]][name] / base[name]
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            met = results[sizes[-1]][name] <= target
            verdict = f"  target <= {target:g} s: {'met' if met else 'MISSED'}"
            ok = ok and met
        if name == "propose+approve":
            met = ratio <= 1.5
            verdict = f"  target flat (<= 1.5x): {'met' if met else 'MISSED'}"
            ok = ok and met
        print(f"{name:<18}{row}   {ratio:.2f}x{verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
