"""`gitgate serve` benchmark: the list page at 1,000 proposals and a proposal page with a
5,000-line diff, beside `gitgate list` and `gitgate show --diff`, all in the same run.

Usage::

    python benchmarks/bench_serve.py            # 1,000 proposals, 5,000-line diff, 15 repetitions
    python benchmarks/bench_serve.py --quick    # 200 proposals, 5 repetitions
    python benchmarks/bench_serve.py --proposals 2000 --lines 8000 --reps 9

One repository (gitgate initialised, N small proposals, one proposal adding a 5,000-line Python
file) is built in a temporary directory with the user's git configuration kept out. Then, on
that repository, it times (medians):

* server, in process (Starlette's test client, no network): ``GET /`` (the default page of 200
  rows, and every row on one page), ``GET /api/proposals`` and ``GET /p/<id>`` (highlighted
  diff), the latter on a fresh server each time (first view) and on one that rendered it
  before (rendered diffs are cached by their two immutable commits);
* server, over HTTP: the same requests to a real ``gitgate serve`` process on loopback;
* CLI, in process (click's runner): ``gitgate list``, ``gitgate list --json``,
  ``gitgate show --diff``;
* CLI, a process each: ``python -m gitgate list`` / ``show --diff`` (Python start included).

and prints each server time as a ratio of the matching CLI time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

AGENT = "agent@example.com"
APPROVER = "alice@example.com"
TOKEN = "bench-token-0123456789abcdef"


def seal(home: Path) -> None:
    """Keep the user's git configuration out of the numbers."""
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


def build(root: Path, proposals: int, lines: int) -> tuple[Path, str]:
    """A repository with ``proposals`` small proposals and one ``lines``-line Python file."""
    from gitgate.workflow import Gate

    repo = root / "repo"
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(repo)], check=True)
    (repo / "README.md").write_text("bench\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "init"], check=True)
    gate = Gate(repo)
    gate.init(["main"], [APPROVER], actor=APPROVER)
    started = time.perf_counter()
    for n in range(proposals):
        gate.propose_create(
            f"notes/n{n:05d}.md", f"note {n}\n".encode(), message=f"note number {n}", actor=AGENT
        )
    took = time.perf_counter() - started
    print(f"built {proposals} proposals in {took:.1f} s", flush=True)
    body = "".join(
        f'def function_{n}(value: int) -> str:\n    """Doc {n}."""\n'
        f'    return f"{{value}} and {n}"  # comment {n}\n\n'
        for n in range(lines // 4)
    )
    big = gate.propose_create(
        "src/big_module.py", body.encode(), message="a big module", actor=AGENT
    )
    return repo, big.id


def median_time(call: Callable[[], object], reps: int) -> float:
    call()  # warm: imports, caches, lexers
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_process_server(repo: Path, page_size: int):  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from gitgate.web import auth
    from gitgate.web.app import ServeConfig, create_app

    config = ServeConfig(
        repo=str(repo),
        page_size=page_size,
        auth=auth.AuthConfig(tokens=auth.TokenTable.single(TOKEN, APPROVER)),
    )
    return TestClient(create_app(config), headers={"Authorization": f"Bearer {TOKEN}"})


def fetch(client, path: str) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.content


def cli_in_process(repo: Path, *args: str) -> str:
    from click.testing import CliRunner

    from gitgate.cli import main

    result = CliRunner().invoke(main, ["-C", str(repo), *args], env={"GITGATE_ACTOR": APPROVER})
    assert result.exit_code == 0, result.output
    return result.stdout


def cli_process(repo: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "gitgate", "-C", str(repo), *args],
        stdout=subprocess.DEVNULL,
        check=True,
        env={**os.environ, "GITGATE_ACTOR": APPROVER},
    )


def http_server(repo: Path) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitgate", "-C", str(repo), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "GITGATE_ACTOR": APPROVER},
    )
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("gitgate serve exited")
        found = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line)
        if found:
            return proc, found.group(1), found.group(2)


def http_get(base: str, token: str, path: str) -> bytes:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
        return bytes(response.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 proposals, 5 repetitions")
    parser.add_argument("--proposals", type=int, default=None)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    proposals = args.proposals or (200 if args.quick else 1000)
    reps = args.reps or (5 if args.quick else 15)

    with tempfile.TemporaryDirectory(prefix="gitgate-bench-serve-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        seal(root / "home")
        repo, big = build(root, proposals, args.lines)
        diff_lines = cli_in_process(repo, "show", big, "--diff").count("\n+")
        print(
            f"proposal {big}: {diff_lines} added lines in its diff; {reps} repetitions\n",
            flush=True,
        )

        paged = in_process_server(repo, page_size=200)
        whole = in_process_server(repo, page_size=proposals + 10)
        assert fetch(whole, "/").count(b"<tr data-id=") == proposals + 1
        assert json.loads(fetch(paged, "/api/proposals")).__len__() == proposals + 1
        assert b'<span class="k">def</span>' in fetch(paged, f"/p/{big}")

        rows: list[tuple[str, float, str, float]] = []
        cli_list = median_time(lambda: cli_in_process(repo, "list"), reps)
        cli_list_json = median_time(lambda: cli_in_process(repo, "list", "--json"), reps)
        cli_show = median_time(lambda: cli_in_process(repo, "show", big, "--diff"), reps)
        rows.append(
            (
                "GET / (200-row page)",
                median_time(lambda: fetch(paged, "/"), reps),
                "gitgate list",
                cli_list,
            )
        )
        rows.append(
            (
                f"GET / (all {proposals + 1} rows)",
                median_time(lambda: fetch(whole, "/"), reps),
                "gitgate list",
                cli_list,
            )
        )
        rows.append(
            (
                "GET /api/proposals",
                median_time(lambda: fetch(paged, "/api/proposals"), reps),
                "gitgate list --json",
                cli_list_json,
            )
        )
        rows.append(
            (
                f"GET /p/{big} ({diff_lines}-line diff), first view",
                median_time(lambda: fetch(in_process_server(repo, 200), f"/p/{big}"), reps),
                "gitgate show --diff",
                cli_show,
            )
        )
        rows.append(
            (
                f"GET /p/{big}, seen before (cached)",
                median_time(lambda: fetch(paged, f"/p/{big}"), reps),
                "gitgate show --diff",
                cli_show,
            )
        )

        proc, base, token = http_server(repo)
        try:
            http_rows = [
                (
                    "HTTP GET / (200-row page)",
                    median_time(lambda: http_get(base, token, "/"), reps),
                ),
                (
                    "HTTP GET /api/proposals",
                    median_time(lambda: http_get(base, token, "/api/proposals"), reps),
                ),
                (
                    f"HTTP GET /p/{big}",
                    median_time(lambda: http_get(base, token, f"/p/{big}"), reps),
                ),
            ]
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
        process_reps = max(3, reps // 3)
        proc_list = median_time(lambda: cli_process(repo, "list"), process_reps)
        proc_show = median_time(lambda: cli_process(repo, "show", big, "--diff"), process_reps)

    print(
        f"{'server (in process)':<52} {'median':>9}   {'CLI (in process)':<22} {'median':>9}  ratio"
    )
    for name, server_time, cli_name, cli_time in rows:
        print(
            f"{name:<52} {server_time * 1000:>7.1f}ms   {cli_name:<22} {cli_time * 1000:>7.1f}ms"
            f"  {server_time / cli_time:.2f}x"
        )
    print()
    for name, took in http_rows:
        print(f"{name:<40} {took * 1000:>7.1f}ms")
    print(
        "(a running `gitgate serve` renders pending diffs in the background, so an approver's"
        " first view is normally the cached one)"
    )
    print(f"{'python -m gitgate list':<40} {proc_list * 1000:>7.1f}ms  (a process each)")
    print(f"{'python -m gitgate show --diff':<40} {proc_show * 1000:>7.1f}ms  (a process each)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    raise SystemExit(main())
