"""Benchmark gitgate.safety.pathpolicy: the fast path against the reference matcher, same run.

Run from the repository root::

    python benchmarks/bench_pathpolicy.py [--paths N] [--runs R]

It generates N (default 10,000) distinct, realistic tree paths (directory names repeat from
path to path, file names are unique; about 3% fall under an export rule or a sensitive
pattern, like a real export) and times, per path:

* ``export_exclusion_reason(path, extra_excludes=("*.tmp", "docs/private/"))``;
* ``check_path(path)``;

with the current module and with the reference implementation kept in
``tests/unit/test_pathpolicy_fast.py`` (the algorithm before the fast path). The fast path
starts each run with empty caches. The fast figure is the best of R runs (default 5); the
reference, which tries every one of the catalogue's ~370 patterns on every spelling of every
component (~1,000x slower), runs once on the first M paths (``--reference-paths``, default
1,000), and the answers of both on those paths are compared.

Targets: ``export_exclusion_reason`` <= 10 us per path and >= 10x faster than the reference.
Exits 1 when one is missed or an answer differs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

import test_pathpolicy_fast as reference  # noqa: E402

from gitgate.safety import pathpolicy  # noqa: E402

EXTRA_EXCLUDES = ("*.tmp", "docs/private/")
TARGET_US = 10.0
TARGET_RATIO = 10.0


def generate_paths(count: int, seed: int = 1) -> list[str]:
    """``count`` distinct paths shaped like a mid-sized repository's changes."""
    rng = random.Random(seed)
    tops = ["src/pkg", "many", "tests/unit", "docs", "web/app/components", "lib"]
    exts = [".py", ".txt", ".md", ".ts", ".json", ".yml", ".c", ".h"]
    paths: list[str] = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.01:
            paths.append(f"web/node_modules/dep{rng.randrange(40)}/index{index}.js")
        elif roll < 0.02:
            paths.append(f"build/out{rng.randrange(20)}/obj{index}.o")
        elif roll < 0.025:
            paths.append(f"logs/run{index}.log")
        elif roll < 0.03:
            paths.append(f"config/env{index}/.env")
        elif roll < 0.5:
            paths.append(f"many/d{rng.randrange(100):03d}/f{index:05d}.txt")
        else:
            top = rng.choice(tops)
            depth = rng.randrange(3)
            dirs = "/".join(f"module_{rng.randrange(50)}" for _ in range(depth))
            name = f"file_{index}{rng.choice(exts)}"
            paths.append(f"{top}/{dirs}/{name}" if dirs else f"{top}/{name}")
    assert len(set(paths)) == count
    return paths


def clear_caches() -> None:
    pathpolicy._components.clear()
    pathpolicy._prefilters.clear()
    pathpolicy._export_memo.clear()


def timed(func: Callable[[str], Any], paths: Sequence[str]) -> tuple[float, list[Any]]:
    """(seconds, answers) of ``func`` over ``paths``."""
    answers: list[Any] = []
    append = answers.append
    start = time.perf_counter()
    for path in paths:
        append(func(path))
    return time.perf_counter() - start, answers


def measure(
    name: str,
    fast: Callable[[str], Any],
    slow: Callable[[str], Any],
    paths: Sequence[str],
    runs: int,
    reference_paths: int,
) -> tuple[float, float, bool]:
    """Print and return (fast us/path, reference us/path, answers identical)."""
    best = float("inf")
    fast_answers: list[Any] = []
    for _ in range(runs):
        clear_caches()
        seconds, fast_answers = timed(fast, paths)
        best = min(best, seconds)
    sample = paths[:reference_paths]
    slow_seconds, slow_answers = timed(slow, sample)
    fast_us = best / len(paths) * 1e6
    slow_us = slow_seconds / len(sample) * 1e6
    same = fast_answers[: len(sample)] == slow_answers
    print(
        f"{name:24s} fast {fast_us:7.2f} us/path   reference {slow_us:8.1f} us/path   "
        f"x{slow_us / fast_us:5.1f}   answers {'identical' if same else 'DIFFER'}"
    )
    return fast_us, slow_us, same


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference-paths", type=int, default=1_000)
    args = parser.parse_args(argv)
    paths = generate_paths(args.paths)
    excluded = sum(
        pathpolicy.export_exclusion_reason(path, extra_excludes=EXTRA_EXCLUDES) is not None
        for path in paths[:1000]
    )
    print(f"{len(paths):,} distinct paths, {excluded / 10:.1f}% excluded from an export")
    export_fast, export_slow, export_same = measure(
        "export_exclusion_reason",
        lambda path: pathpolicy.export_exclusion_reason(path, extra_excludes=EXTRA_EXCLUDES),
        lambda path: reference.reference_export_exclusion_reason(
            path, extra_excludes=EXTRA_EXCLUDES
        ),
        paths,
        args.runs,
        args.reference_paths,
    )
    _, _, check_same = measure(
        "check_path",
        pathpolicy.check_path,
        reference.reference_check_path,
        paths,
        args.runs,
        args.reference_paths,
    )
    ratio = export_slow / export_fast
    ok = export_same and check_same and export_fast <= TARGET_US and ratio >= TARGET_RATIO
    print(
        f"target export <= {TARGET_US:g} us/path and >= {TARGET_RATIO:g}x: "
        f"{export_fast:.2f} us, x{ratio:.1f} -> {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
