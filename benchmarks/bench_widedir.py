"""Wide directories and large checkouts (issue 14), each against a baseline from the same run.

Usage (from the repository root; PYTHONPATH picks the gitgate under test)::

    PYTHONPATH=src python benchmarks/bench_widedir.py            # 100,000 files, 1,000 commits
    PYTHONPATH=src python benchmarks/bench_widedir.py --quick    # 20,000 files, 300 commits

1. **Flat round trip.** A bare repository whose 100,000 files sit in ONE directory (built with
   one ``git fast-import``; bench_core's nested layout is built too, for 2). ``Gate.propose_patch`` + ``Gate.approve`` of a one-line patch to
   one of them, beside the same patch with git plumbing alone (``read-tree`` into a temporary
   index, ``apply --cached``, ``write-tree``, ``commit-tree``, ``update-ref``).
   Goal: round trip <= 1x plumbing.
2. **Approve in a checkout.** A non-bare clone with ``main`` checked out (100,000 files in
   the index and the working tree) against a bare clone of the same repository: the time of
   ``Gate.approve`` alone (the proposal is made first, untimed), turn about. Two layouts:
   bench_core's nested one (100 x 20 directories) and the flat one. Goal: checkout <= 1.5x
   bare. The working tree must come out clean (``git status --porcelain`` prints nothing).
3. **Hook scan.** A pending branch of 1,000 commits (each adds a file to one directory, which
   grows to 1,000 entries) pushed to a server with the hook disabled (the plain push), and the
   hook's judgement of that push in-process (``hook.decide``, no interpreter start). The push
   carries no journal entry, so the journal check refuses it at the end, after every commit is
   scanned. Goal: scan <= 1x plain push.

Prints medians, ratios and goal met/missed; exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import BENCH_FILE as NESTED_FILE  # noqa: E402
from bench_core import _seal_environment, build_repo, git  # noqa: E402

AGENT = "agent@example.com"
APPROVER = "alice@example.com"
BENCH_FILE = "bench.txt"  # sits among the 100,000 files of the one directory
Goal = tuple[str, float, float]  # what, measured ratio, the most it may be


def build_flat(path: Path, files: int) -> Path:
    """A bare repository whose main holds ``files`` small files in the root directory."""
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(path)], check=True)
    stream = io.BytesIO()
    stream.write(b"commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\n")
    stream.write(b"data 7\ninitial\n")
    for i in range(files):
        data = b"file %d\nsome content line\n" % i
        stream.write(b"M 100644 inline f%06d.txt\ndata %d\n%s\n" % (i, len(data), data))
    stream.write(b"M 100644 inline %s\ndata 2\n0\n" % BENCH_FILE.encode())
    subprocess.run(
        ["git", f"--git-dir={path}", "fast-import", "--quiet"], input=stream.getvalue(), check=True
    )
    return path


def counter_patch(value: int, path: str = BENCH_FILE) -> bytes:
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -1 +1 @@\n-{value}\n+{value + 1}\n"
    ).encode()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class Counter:
    """A repository with gitgate and the value BENCH_FILE holds on main."""

    def __init__(self, repo: Path, path: str = BENCH_FILE) -> None:
        from gitgate.workflow import Gate

        self.repo = repo
        self.path = path
        self.gate = Gate(repo)
        self.gate.init(["main"], [APPROVER], actor=APPROVER)
        self.value = 0

    def round_trip(self) -> float:
        start = time.perf_counter()
        self.approve(self.propose())
        return time.perf_counter() - start

    def propose(self) -> str:
        return self.gate.propose_patch(counter_patch(self.value, self.path), actor=AGENT).id

    def approve(self, proposal_id: str) -> float:
        start = time.perf_counter()
        decision = self.gate.approve(proposal_id, actor=APPROVER)
        elapsed = time.perf_counter() - start
        assert decision.proposal.status == "executed", decision
        assert not decision.warnings, decision.warnings
        self.value += 1
        return elapsed

    def timed_approve(self) -> float:
        return self.approve(self.propose())


def plumbing(repo: Path, value: list[int]) -> float:
    """The same patch with git alone, on a branch of its own."""
    patch = counter_patch(value[0])
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        start = time.perf_counter()
        tip = git(repo, "rev-parse", "refs/heads/plumbing").strip()
        git(repo, "read-tree", tip, env=env)
        git(repo, "apply", "--cached", "-", input=patch, env=env)
        tree = git(repo, "write-tree", env=env).strip()
        new = git(repo, "commit-tree", tree, "-p", tip, "-m", "change").strip()
        git(repo, "update-ref", "refs/heads/plumbing", new, tip)
        elapsed = time.perf_counter() - start
    value[0] += 1
    return elapsed


def measure(what: Callable[[], float], reps: int) -> list[float]:
    what()  # warm up: caches, lazily imported modules
    return [what() for _ in range(reps)]


def alternate(
    a: Callable[[], float], b: Callable[[], float], reps: int
) -> tuple[list[float], list[float]]:
    """Run two measurements turn about, so a change of machine load hits both alike."""
    a(), b()
    xs: list[float] = []
    ys: list[float] = []
    for _ in range(reps):
        xs.append(a())
        ys.append(b())
    return xs, ys


def bench_flat(bare: Path, reps: int) -> list[Goal]:
    bench = Counter(bare)
    git(bare, "branch", "plumbing", "main")
    value = [0]
    ours, theirs = alternate(bench.round_trip, lambda: plumbing(bare, value), reps)
    rt, pl = median_ms(ours), median_ms(theirs)
    print(
        f"  round trip (propose patch + approve) {rt:7.1f} ms | plumbing {pl:7.1f} ms | "
        f"ratio {rt / pl:.2f}"
    )
    return [("flat round trip <= 1x plumbing", rt / pl, 1.0)]


def bench_checkout(root: Path, layout: str, source: Path, path: str, reps: int) -> list[Goal]:
    """``approve`` with main checked out against the same in a bare copy, turn about."""
    bare, checkout = root / f"{layout}-bare.git", root / f"{layout}-checkout"
    start = time.perf_counter()
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True)
    subprocess.run(["git", "clone", "-q", str(source), str(checkout)], check=True)
    print(f"{layout} checkout cloned in {time.perf_counter() - start:.1f} s")
    in_bare, in_checkout = Counter(bare, path), Counter(checkout, path)
    bare_ms, co_ms = (
        median_ms(s) for s in alternate(in_bare.timed_approve, in_checkout.timed_approve, reps)
    )
    status = subprocess.run(
        ["git", "-C", str(checkout), "status", "--porcelain"], capture_output=True, check=True
    ).stdout
    assert status == b"", status[:500]
    print(
        f"  approve, {layout}: checkout {co_ms:7.1f} ms | bare {bare_ms:7.1f} ms | "
        f"ratio {co_ms / bare_ms:.2f} (working tree clean afterwards)"
    )
    floor_ms = median_ms([index_write_floor(checkout, path) for _ in range(reps)])
    print(
        f"    floor: git's smallest index update here (update-index of one unchanged entry) "
        f"{floor_ms:6.1f} ms = {floor_ms / bare_ms:.2f}x bare"
    )
    # git's split index writes only the entries that changed since the shared index: what a
    # user with a very large checkout can turn on (`git config core.splitIndex true`).
    in_worktree(checkout, "config", "core.splitIndex", "true")
    in_worktree(checkout, "update-index", "--split-index")
    split_bare_ms, split_ms = (
        median_ms(s) for s in alternate(in_bare.timed_approve, in_checkout.timed_approve, reps)
    )
    print(
        f"    with core.splitIndex: checkout {split_ms:7.1f} ms | bare {split_bare_ms:7.1f} ms | "
        f"ratio {split_ms / split_bare_ms:.2f}; floor "
        f"{median_ms([index_write_floor(checkout, path) for _ in range(reps)]):.1f} ms"
    )
    return [(f"approve in a {layout} checkout <= 1.5x bare", co_ms / bare_ms, 1.5)]


def index_write_floor(checkout: Path, path: str) -> float:
    """The least any update of the checkout's index costs git: one entry put back unchanged
    (git still reads and rewrites, and checksums, the whole index)."""
    mode, sha = in_worktree(checkout, "ls-files", "-s", "--", path).split()[:2]
    start = time.perf_counter()
    in_worktree(checkout, "update-index", "--cacheinfo", f"{mode},{sha},{path}")
    elapsed = time.perf_counter() - start
    # --cacheinfo leaves the entry without the file's stat data: git would take the file
    # for changed (and gitgate refuse to overwrite it) until the index is refreshed.
    in_worktree(checkout, "update-index", "-q", "--refresh")
    return elapsed


def in_worktree(checkout: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), *args], capture_output=True, text=True, check=True
    ).stdout


def bench_hook_scan(root: Path, commits: int) -> list[Goal]:
    import bench_hook

    from gitgate.journal.audit import actor_identity
    from gitgate.server import hook
    from gitgate.store.gitstore import GitStore, TreeEntry

    hook_root = root / "hook"
    hook_root.mkdir()
    server, agent, _alice = bench_hook.make_world(hook_root)
    store = GitStore.open(agent)
    tip = store.resolve("refs/heads/main")
    assert tip is not None
    who = actor_identity(AGENT)
    for i in range(commits):
        blob = store.write_blob(f"# note {i}\nvalue_{i} = {i * 7919}\n".encode())
        tree = store.update_tree(
            store.commit(tip).tree, {f"notes/n{i:04d}.py": TreeEntry(0o100644, blob)}
        )
        tip = store.create_commit(tree, [tip], f"step {i}\n", who, 1_700_000_000 + i)
    ref = "refs/heads/gitgate/pending/abcdefghjk"
    bench_hook.hook_toggle(server, False)
    push = bench_hook.timed_push(agent, [f"{tip}:{ref}"], AGENT)
    bench_hook.hook_toggle(server, True)
    from gitgate.store.gitread import GitReader

    git(server, "update-ref", "-d", ref)  # the objects are in the server now

    def judged_by(open_store: Callable[[], Any]) -> float:
        scans = []
        for _ in range(3):
            start = time.perf_counter()
            with open_store() as judged:  # cold, as in a new hook process
                verdicts = hook.decide(judged, [hook.Update(None, tip, ref)], AGENT)
            scans.append(time.perf_counter() - start)
        # Every commit passes the scan; only the journal check (no entry moves it) refuses.
        assert [v.reason for v in verdicts] == ["no pushed journal entry moves this ref"]
        return statistics.median(scans)

    scan = judged_by(lambda: GitReader(server))  # what the hook runs
    libgit2 = judged_by(lambda: contextlib.nullcontext(GitStore.open(server)))  # via libgit2
    print(
        f"pending branch of {commits} commits: plain push {push * 1000:7.1f} ms | "
        f"hook scan {scan * 1000:7.1f} ms ({scan / commits * 1e6:.0f} us a commit) | "
        f"ratio {scan / push:.2f} | through libgit2 {libgit2 * 1000:.1f} ms"
    )
    return [("hook scan <= 1x plain push", scan / push, 1.0)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 files, 300 commits")
    parser.add_argument("--files", type=int, default=None)
    parser.add_argument("--commits", type=int, default=None)
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    files = args.files or (20_000 if args.quick else 100_000)
    commits = args.commits or (300 if args.quick else 1_000)
    reps = args.reps or (5 if args.quick else 9)
    import gitgate

    with tempfile.TemporaryDirectory(prefix="gitgate-bench-wide-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        _seal_environment(root / "home")
        print(
            f"gitgate from {Path(gitgate.__file__).parent}, git "
            f"{git(root, 'version').split()[-1]}, python {sys.version.split()[0]}, "
            f"load {os.getloadavg()[0]:.1f}, {reps} repetitions (medians)\n"
        )
        start = time.perf_counter()
        flat = build_flat(root / "flat.git", files)
        nested = build_repo(root / "nested.git", files)
        print(
            f"flat and nested repositories of {files} files built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        goals = bench_checkout(root, "nested", nested, NESTED_FILE, reps)
        goals += bench_checkout(root, "flat", flat, BENCH_FILE, reps)
        goals += bench_flat(flat, reps)
        goals += bench_hook_scan(root, commits)
    print("\ngoals:")
    for name, ratio, limit in goals:
        print(f"  [{'met' if ratio <= limit else 'MISSED'}] {name}: {ratio:.2f}x")
    return 0 if all(ratio <= limit for _n, ratio, limit in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
