"""Start-up cost of gitgate's commands, against bare interpreter baselines from the same run.

Usage (from the repository root)::

    python benchmarks/bench_startup.py             # 15 runs of each command (medians)
    python benchmarks/bench_startup.py --runs 5

Each command is a fresh process, as a user or git starts it, measured in rounds: one round
runs every command once (in a shuffled order, so a burst of load on the machine is spread over
all of them), and the figure of each command is its median over the rounds. Baselines:

* ``python -c pass``: the interpreter alone (with whatever site imports this Python has);
* ``python -c "import pygit2, click"``: the two libraries every git-touching command needs;
* ``python -c "import pygit2"``: what the pre-receive hook paid before it read through git's
  plumbing (gitread.py); it no longer imports pygit2 for an ordinary push.

The CLI is started as the ``gitgate`` console script starts it (``from gitgate.cli import
main``), from this checkout's ``src``. ``list`` and ``show`` run in a small gitgate repository
with one pending proposal; the hook runs as git starts it (``python -m gitgate hook
pre-receive`` in a bare server repository, one update on stdin: a direct push to the protected
branch, which it refuses after reading the pinned policy).

Goals (issue 14): ``--help``, ``classify``, ``check-path`` and ``redact`` <= 4x ``python -c
pass``; ``list`` and ``show`` <= 1.3x ``import pygit2, click``. Exits 1 if one is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import _seal_environment, ensure_bytecode  # noqa: E402

PY = sys.executable
CLI = "import sys; from gitgate.cli import main; sys.argv[0] = 'gitgate'; sys.exit(main())"
ALICE = "alice@example.com"
AGENT = "agent@example.com"


@dataclass(frozen=True)
class Case:
    name: str
    argv: list[str]
    cwd: Path
    stdin: bytes = b""
    ok_codes: tuple[int, ...] = (0,)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def gitgate(cwd: Path, *args: str, actor: str = ALICE, stdin: bytes = b"") -> str:
    proc = subprocess.run(
        [PY, "-c", CLI, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=True,
        env={**os.environ, "GITGATE_ACTOR": actor},
    )
    return proc.stdout.decode().strip()


def make_repos(root: Path) -> tuple[Path, Path, str]:
    """A small gitgate working repository with one pending proposal, and a hooked server."""
    work = root / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    for i in range(20):
        (work / f"src/f{i}.py").parent.mkdir(exist_ok=True)
        (work / f"src/f{i}.py").write_text(f"value = {i}\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "seed")
    gitgate(work, "init", "--approver", ALICE, "--approver", "bob@example.com")
    pid = gitgate(work, "propose", "write", "docs/note.md", actor=AGENT, stdin=b"hello\n")
    server = root / "server.git"
    git(root, "clone", "-q", "--bare", str(work), str(server))
    gitgate(server, "hook", "install")
    return work, server, pid


def cases(root: Path) -> tuple[list[Case], dict[str, str]]:
    work, server, pid = make_repos(root)
    outside = root / "outside"  # no repository at or above it: classify needs no policy
    outside.mkdir()
    tip = git(work, "rev-parse", "main")
    parent = git(work, "rev-parse", "main^")
    return [
        Case("python -c pass", [PY, "-c", "pass"], root),
        Case("import pygit2, click", [PY, "-c", "import pygit2, click"], root),
        Case("import pygit2", [PY, "-c", "import pygit2"], root),
        Case("--help", [PY, "-c", CLI, "--help"], outside),
        Case("classify -- ls", [PY, "-c", CLI, "classify", "--", "ls"], outside),
        Case("check-path x", [PY, "-c", CLI, "check-path", "x"], outside),
        Case("redact", [PY, "-c", CLI, "redact"], outside, stdin=b"token=abc\n"),
        Case("classify -- ls (in repo)", [PY, "-c", CLI, "classify", "--", "ls"], work),
        Case("list", [PY, "-c", CLI, "list"], work),
        Case("show", [PY, "-c", CLI, "show", pid], work),
        Case(
            "hook process",
            [PY, "-m", "gitgate", "hook", "pre-receive"],
            server,
            stdin=f"{tip} {parent} refs/heads/main\n".encode(),
            ok_codes=(1,),  # refused: main moves only by approved merges
        ),
    ], {"pid": pid}


def run_once(case: Case) -> float:
    start = time.perf_counter()
    proc = subprocess.run(case.argv, cwd=case.cwd, input=case.stdin, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in case.ok_codes:
        raise RuntimeError(f"{case.name}: exit {proc.returncode}: {proc.stderr.decode()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (>= 5)")
    args = parser.parse_args()
    ensure_bytecode()  # as an installed copy has it
    runs = max(5, args.runs)
    with tempfile.TemporaryDirectory(prefix="gitgate-bench-startup-") as tmp:
        root = Path(tmp).resolve()
        (root / "home").mkdir()
        _seal_environment(root / "home")
        os.environ.pop("GITGATE_ACTOR", None)
        os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
        all_cases, _ = cases(root)
        for case in all_cases:  # warm up: .pyc files written, page cache filled
            run_once(case)
        samples: dict[str, list[float]] = {case.name: [] for case in all_cases}
        rng = random.Random(14)
        for _ in range(runs):
            order = list(all_cases)
            rng.shuffle(order)
            for case in order:
                samples[case.name].append(run_once(case))
        med = {name: statistics.median(values) * 1000 for name, values in samples.items()}

    print(
        f"python {sys.version.split()[0]} ({PY}), {runs} rounds, medians, "
        f"load {os.getloadavg()[0]:.1f}\n"
    )
    base_pass, base_libs = med["python -c pass"], med["import pygit2, click"]
    base_pygit2 = med["import pygit2"]
    print(f"{'command':28} {'ms':>8} {'/ pass':>8} {'/ pygit2+click':>15}")
    for name, value in med.items():
        print(f"{name:28} {value:8.1f} {value / base_pass:8.2f} {value / base_libs:15.2f}")

    verdicts = []
    for name in ("--help", "classify -- ls", "check-path x", "redact"):
        ratio = med[name] / base_pass
        verdicts.append((f"`{name}` <= 4x python -c pass", ratio <= 4.0, f"{ratio:.2f}x"))
    for name in ("list", "show"):
        ratio = med[name] / base_libs
        verdicts.append((f"`{name}` <= 1.3x import pygit2, click", ratio <= 1.3, f"{ratio:.2f}x"))
    hook = med["hook process"]
    print(
        f"\nhook process: {hook - base_pass:.1f} ms above `python -c pass`, "
        f"{hook / base_pygit2:.2f}x `import pygit2`; see bench_hook.py for a push's overhead"
    )
    print("\ngoals:")
    for name, ok, value in verdicts:
        print(f"  [{'met' if ok else 'MISSED'}] {name}: {value}")
    return 0 if all(ok for _, ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
