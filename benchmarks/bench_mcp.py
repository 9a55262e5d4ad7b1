"""MCP benchmark: a `write_file` tool call through `gitgate mcp` against `gitgate propose write`.

Usage::

    python benchmarks/bench_mcp.py            # 30 calls each, a repository of 1,000 files
    python benchmarks/bench_mcp.py --quick    # 8 calls each
    python benchmarks/bench_mcp.py --files 100000

One bare repository (built with one `git fast-import`, then `gitgate init`) and, in the same run:

* MCP: one `gitgate -C REPO mcp --actor …` server started by the SDK's stdio client
  (`mcp.client.stdio` + `ClientSession`); each sample is one `write_file` tool call round trip
  (request out, proposal made, result back) with a new path each time. The server's start and
  the `initialize` handshake are timed separately, once.
* CLI: each sample is one `python -m gitgate -C REPO propose write PATH` process, content on
  stdin, as an agent shelling out would run it.
* in-process: `Gate.propose_write`, the floor both pay for.

It prints medians, the CLI/MCP ratio and how many calls amortise the server's start. It exits 1
if an MCP call is not faster than a CLI process (the point of the server).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import _seal_environment  # noqa: E402

AGENT = "agent@example.com"
APPROVER = "alice@example.com"


def seal_environment(home: Path) -> dict[str, str]:
    """The user's git configuration kept out (as bench_core); this checkout's gitgate first."""
    _seal_environment(home)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    return dict(os.environ)


def build_repo(path: Path, files: int) -> Path:
    """A bare repository whose main holds ``files`` small files in ~100 x 20 directories."""
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(path)], check=True)
    stream = io.BytesIO()
    stream.write(b"commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\n")
    stream.write(b"data 7\ninitial\n")
    for i in range(files):
        name = f"d{i % 100:02d}/s{(i // 100) % 20:02d}/f{i:06d}.txt".encode()
        data = b"file %d\nsome content line\n" % i
        stream.write(b"M 100644 inline %s\ndata %d\n%s\n" % (name, len(data), data))
    subprocess.run(
        ["git", f"--git-dir={path}", "fast-import", "--quiet"],
        input=stream.getvalue(),
        check=True,
    )
    from gitgate.workflow import Gate

    Gate(path).init(["main"], [APPROVER], actor=APPROVER)
    return path


def content(n: int) -> str:
    return f"# note {n}\n\nwritten by the benchmark\n"


async def mcp_samples(repo: Path, env: dict[str, str], calls: int) -> tuple[float, list[float]]:
    """(server start + initialize, per-call round trips) in seconds."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "gitgate", "-C", str(repo), "mcp", "--actor", AGENT],
        env=env,
    )
    samples: list[float] = []
    start = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        await session.list_tools()  # what a client does first; caches the output schemas
        started = time.perf_counter() - start
        for n in range(calls):
            t0 = time.perf_counter()
            res = await session.call_tool(
                "write_file",
                {"path": f"notes/mcp-{n}.md", "content": content(n), "message": "bench"},
            )
            samples.append(time.perf_counter() - t0)
            if res.is_error or not res.structured_content:
                raise RuntimeError(f"write_file failed: {res.content}")
    return started, samples


def cli_samples(repo: Path, env: dict[str, str], calls: int) -> list[float]:
    samples: list[float] = []
    for n in range(calls):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "gitgate",
                "-C",
                str(repo),
                "propose",
                "write",
                f"notes/cli-{n}.md",
                "-m",
                "bench",
            ],
            input=content(n).encode(),
            capture_output=True,
            env={**env, "GITGATE_ACTOR": AGENT},
            check=False,
        )
        samples.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"propose write failed: {proc.stderr.decode()}")
    return samples


def in_process_samples(repo: Path, calls: int) -> list[float]:
    from gitgate.workflow import Gate

    samples: list[float] = []
    for n in range(calls):
        t0 = time.perf_counter()
        Gate(repo).propose_write(f"notes/api-{n}.md", content(n), actor=AGENT, message="bench")
        samples.append(time.perf_counter() - t0)
    return samples


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 calls each instead of 30")
    parser.add_argument("--files", type=int, default=1000, help="files in the repository")
    args = parser.parse_args()
    calls = 8 if args.quick else 30
    with tempfile.TemporaryDirectory(prefix="gitgate-bench-mcp-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        env = seal_environment(root / "home")
        repo = build_repo(root / "repo.git", args.files)
        started, mcp = anyio.run(mcp_samples, repo, env, calls)
        cli = cli_samples(repo, env, calls)
        api = in_process_samples(repo, calls)
        from gitgate.workflow import Gate

        gate = Gate(repo)
        made = len(gate.list(status="pending"))
        verified = gate.verify_audit().ok
    mcp_ms, cli_ms, api_ms = ms(mcp), ms(cli), ms(api)
    print(f"repository: {args.files} files; {calls} calls each; {made} proposals made")
    print(f"in-process Gate.propose_write      median {api_ms:8.1f} ms")
    print(
        f"MCP write_file tool call           median {mcp_ms:8.1f} ms"
        f"   (min {min(mcp) * 1000:.1f}, max {max(mcp) * 1000:.1f})"
    )
    print(
        f"CLI `gitgate propose write` process median {cli_ms:7.1f} ms"
        f"   (min {min(cli) * 1000:.1f}, max {max(cli) * 1000:.1f})"
    )
    print(f"MCP server start + initialize      once   {started * 1000:8.1f} ms")
    print(f"ratio CLI / MCP: {cli_ms / mcp_ms:.1f}x   MCP / in-process: {mcp_ms / api_ms:.2f}x")
    saved = cli_ms - mcp_ms
    if saved > 0:
        print(f"the server's start is repaid after {started * 1000 / saved:.1f} calls")
    print(f"audit verify: {'ok' if verified else 'PROBLEMS'}")
    ok = mcp_ms < cli_ms and verified and made == 3 * calls
    print("target (an MCP call beats a CLI process):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
