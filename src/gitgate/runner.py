"""Running a shell command for gitgate: minimal environment, timeout, captured output, sandbox.

Used for commands classified ``allow`` (run at once) and for approved command proposals (run in
a temporary worktree). The environment is built from scratch, never inherited, so secrets in the
caller's environment cannot reach the command; with bubblewrap the command also gets no network
and nothing writable outside its directory.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_READ_CHUNK = 65536  # bytes read from the pipe at a time: memory is output_limit + this
_DRAIN_SECONDS = 1.0  # after a timeout kill: how long to wait for the rest of the output
_REAP_SECONDS = 5.0  # after a kill: how long to wait for the command to be gone


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
        output_limit: bytes of combined stdout+stderr kept; the rest is read and counted
            (so the command is never blocked on a full pipe) but not kept.
        sandbox: "never", "auto" (bubblewrap when installed) or "require".
        writable: extra paths the sandbox keeps writable besides ``cwd``.

    The command is finished when its output is closed and its shell has exited; whatever it
    left running in its process group then is killed. At the timeout the whole process group
    is killed, including processes that closed their output or still hold it open.

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
    """Read the output as it comes, keeping ``limit`` bytes; True when the timeout hit.

    Memory stays at ``limit`` + one read, however much the command prints.
    """
    assert proc.stdout is not None  # stdout=PIPE
    deadline = time.monotonic() + timeout
    out = _Output(limit)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout.fileno(), selectors.EVENT_READ)
            closed = _read_until(selector, out, deadline)
            # The output is closed; the shell may still run (`exec >&-; sleep 100`).
            timed_out = not closed or not _exited_unreaped(proc, deadline)
            # Kill the group while the shell is unreaped: a zombie keeps its process group id
            # from being reused, so nothing else can be hit. After a normal end this kills
            # what the command left behind (`sleep 100 >&- &`).
            _kill_group(proc)
            if not closed:  # what was written before the kill; bounded, in case a process
                # outside the group (setsid) holds the pipe open
                _read_until(selector, out, time.monotonic() + _DRAIN_SECONDS)
    finally:
        _kill_group(proc)  # again, for an exception above (KeyboardInterrupt); harmless twice
        proc.stdout.close()
        try:
            proc.wait(_REAP_SECONDS)
        except subprocess.TimeoutExpired:  # not gone even after SIGKILL: leave it to Popen
            pass
    return out.value(), timed_out


class _Output:
    """The first ``limit`` bytes of the output and how many more there were."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def value(self) -> bytes:
        if not self.dropped:
            return bytes(self.kept)
        return bytes(self.kept) + f"\n… [{self.dropped} bytes truncated]\n".encode()


def _read_until(selector: selectors.BaseSelector, out: _Output, deadline: float) -> bool:
    """Read into ``out`` until the pipe is closed (True) or ``deadline`` passes (False)."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        for key, _ in selector.select(remaining):
            chunk = os.read(key.fd, _READ_CHUNK)
            if not chunk:
                return True
            out.add(chunk)


def _exited_unreaped(proc: subprocess.Popen[bytes], deadline: float) -> bool:
    """Wait until ``deadline`` for ``proc`` to exit, without reaping it; True when it did."""
    pause = 0.001
    while True:
        try:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:  # already reaped
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, 0.05)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if proc.returncode is None:
            proc.kill()
