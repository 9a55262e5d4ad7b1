"""runner.run_command against hostile output and process tricks, with real processes."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitgate.runner import RunResult, run_command

MARKER = re.compile(rb"\n\xe2\x80\xa6 \[(\d+) bytes truncated\]\n\Z")  # "\n… [N bytes truncated]\n"


def _run(
    command: str, cwd: Path, *, timeout: float = 20, limit: int = 4096
) -> tuple[RunResult, float]:
    started = time.monotonic()
    result = run_command(command, cwd=cwd, timeout=timeout, output_limit=limit)
    return result, time.monotonic() - started


def _dropped(output: bytes) -> int | None:
    found = MARKER.search(output)
    return int(found.group(1)) if found else None


def _kept(output: bytes) -> bytes:
    found = MARKER.search(output)
    return output[: found.start()] if found else output


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not: it waits for a parent that may never reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _gone_soon(pid: int) -> bool:
    deadline = time.monotonic() + 2
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not _alive(pid)


@pytest.fixture
def started_pids() -> Iterator[list[int]]:
    """Pids of processes a test expects to survive; killed afterwards."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


# -- ordinary commands -----------------------------------------------------------------------


def test_exit_code_and_merged_stderr(tmp_path: Path) -> None:
    result, _ = _run("echo out; echo err >&2; exit 3", tmp_path)
    assert (result.exit_code, result.output, result.timed_out) == (3, b"out\nerr\n", False)
    assert not result.ok and not result.error


def test_success_and_empty_output(tmp_path: Path) -> None:
    result, _ = _run("true", tmp_path)
    assert (result.exit_code, result.output, result.timed_out, result.ok) == (0, b"", False, True)


def test_runs_in_cwd(tmp_path: Path) -> None:
    (tmp_path / "here.txt").write_text("x")
    result, _ = _run("ls", tmp_path)
    assert result.output == b"here.txt\n"


def test_output_exactly_at_the_limit_is_not_marked(tmp_path: Path) -> None:
    result, _ = _run("head -c 256 /dev/zero", tmp_path, limit=256)
    assert result.output == b"\0" * 256


def test_one_byte_over_the_limit(tmp_path: Path) -> None:
    result, _ = _run("head -c 257 /dev/zero", tmp_path, limit=256)
    assert result.output == b"\0" * 256 + "\n… [1 bytes truncated]\n".encode()


def test_output_of_a_background_job_that_ends_in_time_is_kept(tmp_path: Path) -> None:
    result, seconds = _run("(sleep 0.3; echo late) & echo early", tmp_path, timeout=10)
    assert (result.exit_code, result.output, result.timed_out) == (0, b"early\nlate\n", False)
    assert seconds < 5


# -- huge output -----------------------------------------------------------------------------


def test_huge_output_is_counted_exactly_and_not_kept(tmp_path: Path) -> None:
    result, _ = _run("yes | head -c 50000000", tmp_path, limit=4096)
    assert result.exit_code == 0 and not result.timed_out
    assert _kept(result.output) == b"y\n" * 2048
    assert _dropped(result.output) == 50_000_000 - 4096


@pytest.mark.parametrize("command", ["yes", "cat /dev/zero", "yes >&2"])
def test_endless_output_times_out_with_bounded_output(tmp_path: Path, command: str) -> None:
    result, seconds = _run(command, tmp_path, timeout=1, limit=4096)
    assert result.timed_out and result.exit_code is None and not result.ok
    assert seconds < 4
    assert len(_kept(result.output)) == 4096
    dropped = _dropped(result.output)
    assert dropped is not None and dropped > 0


def test_memory_stays_bounded_whatever_the_output(tmp_path: Path) -> None:
    # In a fresh interpreter: peak memory after reading 300 MB with a 64 KiB limit.
    script = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from gitgate.runner import run_command
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = run_command("head -c 300000000 /dev/zero", cwd=Path({str(tmp_path)!r}),
                             timeout=60, output_limit=65536)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(result.exit_code, len(result.output), (after - before) // 1024)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=90, check=True
    )
    exit_code, length, grown_mib = map(int, done.stdout.split())
    assert exit_code == 0
    assert length == 65536 + len(f"\n… [{300_000_000 - 65536} bytes truncated]\n".encode())
    assert grown_mib < 20, f"peak memory grew by {grown_mib} MiB"


# -- processes that outlive their output, or hold it -----------------------------------------


def test_command_that_closes_its_output_still_times_out(tmp_path: Path) -> None:
    result, seconds = _run("exec >&- 2>&-; sleep 100", tmp_path, timeout=1)
    assert result.timed_out and result.exit_code is None
    assert seconds < 4


def test_command_that_redirects_its_output_still_times_out(tmp_path: Path) -> None:
    result, seconds = _run("echo before; exec >/dev/null 2>&1; sleep 100", tmp_path, timeout=1)
    assert result.timed_out and result.output == b"before\n"
    assert seconds < 4


def test_grandchild_holding_the_pipe_is_killed_at_the_timeout(tmp_path: Path) -> None:
    result, seconds = _run("sleep 100 & echo $!", tmp_path, timeout=1)
    assert result.timed_out and result.exit_code is None
    assert seconds < 4
    assert _gone_soon(int(result.output))


def test_grandchild_in_a_subshell_holding_the_pipe_is_killed(tmp_path: Path) -> None:
    result, seconds = _run(
        "(sh -c 'echo $$; exec sleep 100' &); echo shell done", tmp_path, timeout=1
    )
    assert result.timed_out
    assert seconds < 4
    pid = next(int(line) for line in result.output.split() if line.isdigit())
    assert _gone_soon(pid)


def test_background_job_with_closed_output_does_not_outlive_the_command(tmp_path: Path) -> None:
    result, seconds = _run("sleep 100 >&- 2>&- & echo $!", tmp_path, timeout=10)
    assert (result.exit_code, result.timed_out) == (0, False)
    assert seconds < 2
    assert _gone_soon(int(result.output))


@pytest.mark.skipif(shutil.which("setsid") is None, reason="needs setsid(1)")
def test_escaped_process_holding_the_pipe_cannot_hang_the_runner(
    tmp_path: Path, started_pids: list[int]
) -> None:
    # setsid leaves the process group, so the kill cannot reach it; the runner stops reading.
    result, seconds = _run("setsid sleep 100 & echo $!", tmp_path, timeout=1)
    started_pids.append(int(result.output.split()[0]))
    assert result.timed_out
    assert seconds < 4


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_sandboxed_endless_output_times_out(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_command("yes", cwd=tmp_path, timeout=1, output_limit=1024, sandbox="require")
    if not result.timed_out and b"bwrap" in result.output:
        pytest.skip(f"bubblewrap does not run here: {result.output[:200]!r}")
    assert result.sandboxed and result.timed_out
    assert time.monotonic() - started < 4
    assert len(_kept(result.output)) == 1024
