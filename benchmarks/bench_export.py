"""Benchmark `gitgate export` against `git archive --format=tar.gz` of the same paths.

Usage (from the repository root)::

    python benchmarks/bench_export.py [--quick]

Cases: a proposal touching N files of 1 KB each (10,000; 2,000 with --quick), the same with
a tenth of the files (to show memory stays flat in the number of files), and a proposal of one
50 MB text file (10 MB with --quick). Each export and each `git archive` runs in a child
process, so peak memory is the child's ru_maxrss; the Python baseline (interpreter plus
gitgate's imports) is printed for reference. Target: export within 2x of git archive.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BOSS = "boss@example.com"
AGENT = "agent@example.com"


def git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=repo, input=data, capture_output=True, check=True
    ).stdout


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("bench\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=b@example.com", "-c", "user.name=b", "commit", "-qm", "start")
    from gitgate.workflow import Gate

    Gate(repo).init(["main"], [BOSS], actor=BOSS)
    return repo


def text_kb(i: int) -> str:
    line = f"file {i:05d}: the quick brown fox jumps over the lazy dog {i * 7919 % 10007}\n"
    return (line * (1024 // len(line) + 1))[:1024]


def propose_many(repo: Path, count: int, folder: str) -> str:
    """Propose `count` new 1 KB files under `folder/` (built as one patch by git itself)."""
    from gitgate.workflow import Gate

    for i in range(count):
        sub = repo / folder / f"d{i // 500:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:05d}.txt").write_text(text_kb(i))
    return propose_tree_change(repo, lambda: None, Gate)


def propose_big(repo: Path, megabytes: int) -> str:
    from gitgate.workflow import Gate

    lines = (
        f"{n:08d} lorem ipsum dolor sit amet, consectetur {n * 31 % 977}\n" for n in range(10**9)
    )
    with open(repo / "big.txt", "w") as out:
        written = 0
        for line in lines:
            out.write(line)
            written += len(line)
            if written >= megabytes << 20:
                break
    return propose_tree_change(repo, lambda: None, Gate)


def propose_tree_change(repo: Path, _change: object, gate_cls: type) -> str:
    git(repo, "add", "-A")
    patch = git(repo, "diff", "--cached", "--binary", "HEAD")
    git(repo, "reset", "-q", "--hard", "HEAD")
    git(repo, "clean", "-qfdx")
    proposal = gate_cls(repo).propose_patch(patch, actor=AGENT)
    return f"{proposal.id}:{proposal.base}:{proposal.commit}"


# -- children: one measured operation each ------------------------------------------------------


def child(argv: list[str]) -> None:
    """Run one operation; print its wall time (after imports) and the process's peak memory."""
    start = time.perf_counter()
    if argv[0] == "export":
        from gitgate.workflow import Gate

        imported = time.perf_counter()
        # The whole API call: reading the note and policy, the bundle, the audit entry.
        Gate(argv[1]).export(argv[2].split(":")[0], Path(argv[3]), actor=BOSS)
    elif argv[0] == "archive":
        imported = time.perf_counter()
        subprocess.run(
            ["git", "archive", "--format=tar.gz", "-o", argv[3], argv[2], "--", *argv[4:]],
            cwd=argv[1],
            check=True,
        )
    else:
        import gitgate.export.bundle  # noqa: F401
        import gitgate.workflow  # noqa: F401

        imported = time.perf_counter()
    end = time.perf_counter()
    # ru_maxrss survives exec (it would report the forking parent's size); VmHWM does not.
    rss = peak_rss_mb() if argv[0] != "archive" else children_rss_mb()
    print(json.dumps({"wall": end - imported, "startup": imported - start, "rss_mb": rss}))


def peak_rss_mb() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure(*argv: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *argv], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


def bench_case(repo: Path, label: str, pid: str, paths: list[str], out: Path) -> list[str]:
    commit = pid.split(":")[2]
    export = measure("export", str(repo), pid, str(out / f"{label}.tar.gz"))
    archive = measure("archive", str(repo), commit, str(out / f"{label}.git.tar.gz"), *paths)
    size = (out / f"{label}.tar.gz").stat().st_size
    git_size = (out / f"{label}.git.tar.gz").stat().st_size
    ratio = export["wall"] / archive["wall"]
    return [
        label,
        f"{export['wall']:.2f}s (+{export['startup']:.2f}s)",
        f"{archive['wall']:.2f}s",
        f"{ratio:.2f}x",
        f"{export['rss_mb']:.0f} MB",
        f"{archive['rss_mb']:.0f} MB",
        f"{size / 1e6:.1f} / {git_size / 1e6:.1f} MB",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller cases (CI smoke run)")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    many = 2_000 if args.quick else 10_000
    big_mb = 10 if args.quick else 50
    rows = [
        [
            "case",
            "export (+startup)",
            "git archive",
            "ratio",
            "export rss",
            "archive rss",
            "bundle / git",
        ]
    ]
    with tempfile.TemporaryDirectory(prefix="gitgate-bench-") as tmp:
        root = Path(tmp)
        os.environ.setdefault("GITGATE_ACTOR", BOSS)
        repo = make_repo(root)
        out = root / "out"
        out.mkdir()
        small = propose_many(repo, many // 10, "few")
        rows.append(bench_case(repo, f"{many // 10} x 1 KB", small, ["few"], out))
        lots = propose_many(repo, many, "many")
        rows.append(bench_case(repo, f"{many} x 1 KB", lots, ["many"], out))
        big = propose_big(repo, big_mb)
        rows.append(bench_case(repo, f"1 x {big_mb} MB", big, ["big.txt"], out))
        baseline = measure("baseline")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(f"(python + gitgate imports alone: {baseline['rss_mb']:.0f} MB rss)")


if __name__ == "__main__":
    main()
