"""Running a shell command for gitgate: minimal environment, timeout, captured output, sandbox.

Used for commands classified ``allow`` (run at once) and for approved command proposals (run in
a temporary worktree). The environment is built from scratch, never inherited, so secrets in the
caller's environment cannot reach the command; with bubblewrap the command also gets no network
and nothing writable outside its directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True, slots=True)
class RunResult:
    """What happened when a command ran."""

    exit_code: int | None  # None: it did not finish (timeout) or could not start
    output: bytes
    timed_out: bool
    seconds: float
    sandboxed: bool
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the command ran to completion with exit code 0."""
        return self.exit_code == 0 and not self.timed_out and not self.error


class SandboxUnavailable(RuntimeError):
    """The policy requires a sandbox and bubblewrap cannot run here."""


def bwrap_path() -> str | None:
    """Path of bubblewrap, when installed."""
    return shutil.which("bwrap")


def minimal_env(home: str) -> dict[str, str]:
    """A fresh environment: fixed PATH, a throw-away HOME, a UTF-8 locale; nothing inherited."""
    return {
        "PATH": SAFE_PATH,
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "TMPDIR": home,
    }


def run_command(
    command: str,
    *,
    cwd: Path,
    timeout: float,
    output_limit: int,
    sandbox: str = "never",
    writable: tuple[Path, ...] = (),
) -> RunResult:
    """Run ``command`` with ``/bin/sh -c`` in ``cwd``; capture at most ``output_limit`` bytes.

    Args:
        command: the shell command (already approved or classified ``allow``).
        cwd: where it runs.
        timeout: seconds before the whole process group is killed.
        output_limit: bytes of combined stdout+stderr kept.
        sandbox: "never", "auto" (bubblewrap when installed) or "require".
        writable: extra paths the sandbox keeps writable besides ``cwd``.

    Raises:
        SandboxUnavailable: ``sandbox="require"`` and bubblewrap is missing.
    """
    with tempfile.TemporaryDirectory(prefix="gitgate-home-") as home:
        argv, sandboxed = _argv(command, cwd, home, sandbox, writable)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                cwd=str(cwd),
                env=minimal_env(home),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so a timeout can kill everything it started
            )
        except OSError as err:
            return RunResult(None, b"", False, 0.0, sandboxed, error=f"cannot start: {err}")
        output, timed_out = _collect(proc, timeout, output_limit)
        return RunResult(
            exit_code=None if timed_out else proc.returncode,
            output=output,
            timed_out=timed_out,
            seconds=time.monotonic() - started,
            sandboxed=sandboxed,
        )


def _argv(
    command: str, cwd: Path, home: str, sandbox: str, writable: tuple[Path, ...]
) -> tuple[list[str], bool]:
    shell = ["/bin/sh", "-c", command]
    if sandbox == "never":
        return shell, False
    bwrap = bwrap_path()
    if bwrap is None:
        if sandbox == "require":
            raise SandboxUnavailable(
                "the policy requires a sandbox, but bubblewrap (bwrap) is not installed"
            )
        return shell, False
    argv = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in (cwd, Path(home), *writable):
        argv += ["--bind", str(path), str(path)]
    argv += ["--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"]
    argv += ["--chdir", str(cwd), "--", *shell]
    return argv, True


def _collect(proc: subprocess.Popen[bytes], timeout: float, limit: int) -> tuple[bytes, bool]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, _ = proc.communicate()
        return _truncate(out or b"", limit), True
    return _truncate(out or b"", limit), False


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _truncate(data: bytes, limit: int) -> bytes:
    if len(data) <= limit:
        return data
    return data[:limit] + f"\n… [{len(data) - limit} bytes truncated]\n".encode()
