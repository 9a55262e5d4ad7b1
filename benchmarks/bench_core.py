"""Core benchmark: propose(patch) + approve round trip, beside raw git plumbing, and `list`.

Usage::

    python benchmarks/bench_core.py            # 20 repetitions, 1,000 proposals for `list`
    python benchmarks/bench_core.py --quick    # 5 repetitions, 200 proposals
    python benchmarks/bench_core.py --profile  # also cProfile the in-process round trip

Repositories of 1,000 and 100,000 files (spread over nested directories) are built with one
`git fast-import`, in a bare repository, then `gitgate init`. For each size it measures, in the
same run and on the same repository:

* in-process: ``Gate.propose_patch`` + ``Gate.approve`` of a one-line patch;
* CLI: ``python -m gitgate propose patch -`` then ``python -m gitgate approve ID``;
* plumbing: what a script would do with git alone for the same patch: ``read-tree`` into a
  temporary index, ``apply --cached``, ``write-tree``, ``commit-tree``, ``update-ref``.

Targets (from the issue): in-process round trip <= 20 ms median at both sizes, 100k/1k ratio
<= 1.3, faster than plumbing; `gitgate list` over 1,000 proposals < 0.5 s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

AGENT = "agent@example.com"
APPROVER = "alice@example.com"
BENCH_FILE = "d42/s07/bench.txt"  # a file deep in the tree, edited by every patch


def ensure_bytecode() -> None:
    """Compile gitgate's modules to bytecode, as `pip install` does (and its dataclass methods,
    as its first run or `gitgate hook install` does).

    A process started with PYTHONDONTWRITEBYTECODE (some CI and sandbox images set it) never
    writes ``__pycache__``, so an editable checkout would recompile every gitgate module from
    source at every start: 50-150 ms that no installed copy pays. Existing bytecode is still read.
    """
    import compileall

    import gitgate

    compileall.compile_dir(str(Path(gitgate.__file__).parent), quiet=1)
    from gitgate import methodcache

    methodcache.warm()  # the dataclass methods kept beside the bytecode (methodcache.py)


def _seal_environment(home: Path) -> None:
    """Keep the user's git configuration (hooks, templates, signing) out of the numbers."""
    os.environ.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "GIT_AUTHOR_NAME": "Bench",
            "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "Bench",
            "GIT_COMMITTER_EMAIL": "bench@example.com",
            "GIT_TERMINAL_PROMPT": "0",
        }
    )
    os.environ.pop("GITGATE_ACTOR", None)
    (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")


def git(
    repo: Path,
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> str:
    proc = subprocess.run(
        ["git", f"--git-dir={repo}", *args],
        input=input,
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.decode()}")
    return proc.stdout.decode()


def build_repo(path: Path, files: int) -> Path:
    """A bare repository whose main holds ``files`` small files in ~100 x 20 directories."""
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(path)], check=True)
    stream = io.BytesIO()
    message = b"initial"
    stream.write(b"commit refs/heads/main\n")
    stream.write(b"committer Bench <bench@example.com> 1700000000 +0000\n")
    stream.write(b"data %d\n%s\n" % (len(message), message))
    for i in range(files):
        name = f"d{i % 100:02d}/s{(i // 100) % 20:02d}/f{i:06d}.txt".encode()
        data = b"file %d\nsome content line\n" % i
        stream.write(b"M 100644 inline %s\ndata %d\n%s\n" % (name, len(data), data))
    data = b"0\n"
    stream.write(b"M 100644 inline %s\ndata %d\n%s\n" % (BENCH_FILE.encode(), len(data), data))
    subprocess.run(
        ["git", f"--git-dir={path}", "fast-import", "--quiet"], input=stream.getvalue(), check=True
    )
    return path


def counter_patch(value: int) -> bytes:
    """A one-line patch of BENCH_FILE from ``value`` to ``value + 1``."""
    return (
        f"diff --git a/{BENCH_FILE} b/{BENCH_FILE}\n--- a/{BENCH_FILE}\n+++ b/{BENCH_FILE}\n"
        f"@@ -1 +1 @@\n-{value}\n+{value + 1}\n"
    ).encode()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class Bench:
    """One benchmark repository and the counters its patches advance."""

    def __init__(self, repo: Path) -> None:
        from gitgate.workflow import Gate

        self.repo = repo
        self.gate = Gate(repo)
        self.gate.init(["main"], [APPROVER], actor=APPROVER)
        self.value = 0  # BENCH_FILE's content on main
        git(repo, "branch", "plumbing", "main")
        self.plumbing_value = 0

    def in_process(self) -> float:
        patch = counter_patch(self.value)
        start = time.perf_counter()
        proposal = self.gate.propose_patch(patch, actor=AGENT)
        decision = self.gate.approve(proposal.id, actor=APPROVER)
        elapsed = time.perf_counter() - start
        assert decision.proposal.status == "executed", decision
        self.value += 1
        return elapsed

    def cli(self) -> float:
        patch = counter_patch(self.value)
        base = [sys.executable, "-m", "gitgate", "-C", str(self.repo)]
        start = time.perf_counter()
        proposed = subprocess.run(
            [*base, "propose", "patch", "-"],
            input=patch,
            capture_output=True,
            env={**os.environ, "GITGATE_ACTOR": AGENT},
            check=True,
        )
        pid = proposed.stdout.decode().strip()
        subprocess.run(
            [*base, "approve", pid],
            capture_output=True,
            check=True,
            env={**os.environ, "GITGATE_ACTOR": APPROVER},
        )
        elapsed = time.perf_counter() - start
        self.value += 1
        return elapsed

    def plumbing(self) -> float:
        patch = counter_patch(self.plumbing_value)
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            start = time.perf_counter()
            tip = git(self.repo, "rev-parse", "refs/heads/plumbing").strip()
            git(self.repo, "read-tree", tip, env=env)
            git(self.repo, "apply", "--cached", "-", input=patch, env=env)
            tree = git(self.repo, "write-tree", env=env).strip()
            new = git(self.repo, "commit-tree", tree, "-p", tip, "-m", "change").strip()
            git(self.repo, "update-ref", "refs/heads/plumbing", new, tip)
            elapsed = time.perf_counter() - start
        self.plumbing_value += 1
        return elapsed

    def measure(self, what: Callable[[], float], reps: int) -> list[float]:
        what()  # warm up: caches, lazily imported modules, packed objects
        return [what() for _ in range(reps)]

    def profile(self, rounds: int = 10) -> str:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(rounds):
            self.in_process()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(30)
        return out.getvalue()


def bench_list(repo: Path, proposals: int, reps: int) -> tuple[float, float, float]:
    """Create ``proposals`` pending proposals, then time `list` in-process and via the CLI."""
    from gitgate.workflow import Gate

    gate = Gate(repo)
    start = time.perf_counter()
    for i in range(proposals):
        gate.propose_write(f"proposals/p{i:05d}.txt", f"proposal {i}\n", actor=AGENT)
    setup = time.perf_counter() - start
    assert len(gate.list()) >= proposals
    in_process = []
    for _ in range(reps):
        start = time.perf_counter()
        listed = Gate(repo).list()
        in_process.append(time.perf_counter() - start)
    assert len(listed) >= proposals
    cli = []
    for _ in range(max(3, reps // 2)):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gitgate", "-C", str(repo), "list"],
            capture_output=True,
            check=True,
        )
        cli.append(time.perf_counter() - start)
    return setup, median_ms(in_process), median_ms(cli)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 repetitions, 200 proposals")
    parser.add_argument("--profile", action="store_true", help="cProfile the 100k round trip")
    parser.add_argument("--sizes", default="1000,100000", help="file counts (comma-separated)")
    args = parser.parse_args()
    reps = 5 if args.quick else 20
    list_size = 200 if args.quick else 1000
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory(prefix="gitgate-bench-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        _seal_environment(root / "home")
        print(
            f"git {git(root, 'version').split()[-1]}, python {sys.version.split()[0]}, "
            f"{reps} repetitions (medians)\n"
        )
        results: dict[int, dict[str, float]] = {}
        benches: dict[int, Bench] = {}
        for size in sizes:
            start = time.perf_counter()
            repo = build_repo(root / f"repo-{size}.git", size)
            built = time.perf_counter() - start
            bench = benches[size] = Bench(repo)
            row = {
                "in-process": median_ms(bench.measure(bench.in_process, reps)),
                "plumbing": median_ms(bench.measure(bench.plumbing, reps)),
                "cli": median_ms(bench.measure(bench.cli, max(3, reps // 2))),
            }
            results[size] = row
            print(
                f"{size:>7} files (built in {built:.1f} s): "
                f"in-process {row['in-process']:6.1f} ms | CLI {row['cli']:6.1f} ms | "
                f"plumbing {row['plumbing']:6.1f} ms | "
                f"in-process/plumbing {row['in-process'] / row['plumbing']:.2f}"
            )
            gate = bench.gate
            assert gate.verify_audit().ok, gate.verify_audit().problems

        verdicts = []
        for size, row in results.items():
            verdicts.append(
                (
                    f"in-process round trip at {size} files <= 20 ms",
                    row["in-process"] <= 20.0,
                    f"{row['in-process']:.1f} ms",
                )
            )
            verdicts.append(
                (
                    f"in-process faster than plumbing at {size} files",
                    row["in-process"] < row["plumbing"],
                    f"{row['in-process']:.1f} vs {row['plumbing']:.1f} ms",
                )
            )
        if len(sizes) >= 2:
            small, big = results[sizes[0]], results[sizes[-1]]
            ratio = big["in-process"] / small["in-process"]
            print(
                f"\n{sizes[-1]}/{sizes[0]} ratio: in-process {ratio:.2f}, "
                f"CLI {big['cli'] / small['cli']:.2f}, "
                f"plumbing {big['plumbing'] / small['plumbing']:.2f}"
            )
            verdicts.append(
                (f"{sizes[-1]}/{sizes[0]} in-process ratio <= 1.3", ratio <= 1.3, f"{ratio:.2f}")
            )

        setup, list_in, list_cli = bench_list(benches[sizes[0]].repo, list_size, reps)
        print(
            f"\n`gitgate list` over {list_size} proposals (created in {setup:.1f} s): "
            f"in-process {list_in:.1f} ms | CLI {list_cli:.1f} ms"
        )
        verdicts.append(
            (
                f"`gitgate list` over {list_size} proposals < 0.5 s (CLI)",
                list_cli < 500.0,
                f"{list_cli:.0f} ms",
            )
        )

        print("\ntargets:")
        for name, ok, value in verdicts:
            print(f"  [{'ok' if ok else 'MISSED'}] {name}: {value}")

        if args.profile:
            print(f"\ncProfile of 10 in-process round trips at {sizes[-1]} files:\n")
            print(benches[sizes[-1]].profile())
        return 0 if all(ok for _, ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
