"""Starting git for :mod:`gitgate.store.gitread` without the ``subprocess`` module.

Why: the pre-receive hook runs once per push, and ``import subprocess`` (threading, signal,
selectors, locale...) is ~5 ms of its start, more than starting the two git processes it
runs. ``os.posix_spawn`` and pipes do the same job here: :func:`run` is ``subprocess.run``
with captured output (stdin written and stdout/stderr read together through ``poll``, so no
size deadlocks), :func:`start_reader` a long-lived process we talk to over its stdin and
stdout (``git cat-file --batch``). Where ``os.posix_spawn`` does not exist (Windows), the
``subprocess`` module does it, imported then (also where this process's open descriptors
cannot be listed, to close the inheritable ones in the child as subprocess does).

The pipes ``os.pipe`` makes are not inherited (PEP 446); the spawn's dup2 actions make their
child ends the child's 0, 1 and 2, so git sees nothing else of ours.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gitgate.errors import GitError

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import IO, Any

# Where this process's open descriptors are listed; without such a list (or posix_spawn),
# subprocess starts git, as it closes what it cannot list.
_FD_DIR = next((d for d in ("/proc/self/fd", "/dev/fd") if os.path.isdir(d)), None)
_SPAWN = getattr(os, "posix_spawn", None) if _FD_DIR is not None else None
_READ_CHUNK = 64 << 10
_SIGKILL = 9  # the same number on every POSIX system; `import signal` is not needed for it


@dataclass(frozen=True, slots=True)
class Finished:
    """A git process that has ended: what ``subprocess.run`` would give back."""

    returncode: int
    stdout: bytes
    stderr: bytes


def _no_git() -> GitError:
    return GitError("git is not installed or not on PATH", hint="install git")


def run(cmd: Sequence[str], env: Mapping[str, str], stdin: bytes = b"") -> Finished:
    """Run ``cmd`` to its end, feeding it ``stdin``; its output and exit status.

    Raises:
        GitError: git is not installed.
    """
    if _SPAWN is None:
        return _run_subprocess(cmd, env, stdin)
    pid, to_child, from_out, from_err = _spawn_git(cmd, env, stdin=bool(stdin), stderr=True)
    assert from_err is not None
    out, err_text = _communicate(to_child, from_out, from_err, stdin)
    _, status = os.waitpid(pid, 0)
    return Finished(os.waitstatus_to_exitcode(status), out, err_text)


class Running:
    """A git process started by :func:`start`: :meth:`finish` collects what it printed."""

    __slots__ = ("_pid", "_out", "_err", "_popen", "_finished")

    def __init__(self, pid: int, out: int, err: int, popen: Any = None) -> None:
        self._pid, self._out, self._err, self._popen = pid, out, err, popen
        self._finished: Finished | None = None

    def finish(self) -> Finished:
        """Wait for the process to end: its exit status and output (asked again: the same)."""
        if self._finished is None:
            if self._popen is not None:
                out, err = self._popen.communicate()
                self._finished = Finished(self._popen.returncode, out, err)
            else:
                out, err = _communicate(None, self._out, self._err, b"")
                _, status = os.waitpid(self._pid, 0)
                self._finished = Finished(os.waitstatus_to_exitcode(status), out, err)
        return self._finished


def start(cmd: Sequence[str], env: Mapping[str, str]) -> Running:
    """Start ``cmd`` (no input) and return at once; :meth:`Running.finish` waits for it.

    For a short answer wanted later: git starts and answers beside what the caller does
    meanwhile. The caller must call ``finish`` (the process is reaped there).

    Raises:
        GitError: git is not installed.
    """
    if _SPAWN is None:
        return _start_subprocess(cmd, env)
    pid, _, from_out, from_err = _spawn_git(cmd, env, stdin=False, stderr=True)
    assert from_err is not None
    return Running(pid, from_out, from_err)


class Reader:
    """A long-lived git process (``cat-file --batch``): we write to its stdin and read its
    stdout; its stderr goes to /dev/null."""

    __slots__ = ("stdin", "stdout", "_pid", "_popen")

    def __init__(self, stdin: IO[bytes], stdout: IO[bytes], pid: int, popen: Any = None) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self._pid = pid
        self._popen = popen

    def close(self) -> None:
        """End the process (it may be mid-answer: it is killed, not asked) and reap it."""
        for stream in (self.stdout, self.stdin):
            try:
                stream.close()
            except OSError:  # flushing into a process that is gone
                pass
        if self._popen is not None:
            self._popen.kill()
            self._popen.wait()
            return
        try:
            os.kill(self._pid, _SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self._pid, 0)


def start_reader(cmd: Sequence[str], env: Mapping[str, str]) -> Reader:
    """Start ``cmd`` to talk to it over its stdin and stdout.

    Raises:
        GitError: git is not installed.
    """
    if _SPAWN is None:
        return _start_reader_subprocess(cmd, env)
    pid, to_child, from_out, _ = _spawn_git(cmd, env, stdin=True, stderr=False)
    assert to_child is not None
    return Reader(os.fdopen(to_child, "wb"), os.fdopen(from_out, "rb"), pid)


def _spawn_git(
    cmd: Sequence[str], env: Mapping[str, str], *, stdin: bool, stderr: bool
) -> tuple[int, int | None, int, int | None]:
    """:func:`_spawn`, git's absence said as a gitgate error."""
    try:
        return _spawn(cmd, env, stdin=stdin, stderr=stderr)
    except FileNotFoundError as err:
        raise _no_git() from err


def _spawn(
    cmd: Sequence[str], env: Mapping[str, str], *, stdin: bool, stderr: bool
) -> tuple[int, int | None, int, int | None]:
    """Start ``cmd``: (pid, its stdin to write or None, its stdout, its stderr or None).

    What is not piped is /dev/null. The child's ends are closed here whatever happens; ours
    too when the spawn fails.
    """
    assert _SPAWN is not None
    theirs: list[int] = []
    ours: list[int] = []
    try:
        if stdin:
            child_in, to_child = os.pipe()
            theirs.append(child_in)
            ours.append(to_child)
        else:
            child_in, to_child = os.open(os.devnull, os.O_RDONLY), None
            theirs.append(child_in)
        from_out, child_out = os.pipe()
        theirs.append(child_out)
        ours.append(from_out)
        if stderr:
            from_err, child_err = os.pipe()
            theirs.append(child_err)
            ours.append(from_err)
        else:
            from_err, child_err = None, os.open(os.devnull, os.O_WRONLY)
            theirs.append(child_err)
        actions: list[tuple[int, ...]] = [
            (os.POSIX_SPAWN_DUP2, child_in, 0),
            (os.POSIX_SPAWN_DUP2, child_out, 1),
            (os.POSIX_SPAWN_DUP2, child_err, 2),
        ]
        # subprocess closes every other descriptor (close_fds); ours are not inherited
        # anyway, but one the process was started with, or made inheritable, would be.
        actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inheritable_fds(set(theirs))]
        pid: int = _SPAWN(_executable(cmd[0], env), list(cmd), dict(env), file_actions=actions)
    except BaseException:
        for fd in ours:
            os.close(fd)
        raise
    finally:
        for fd in theirs:
            os.close(fd)
    return pid, to_child, from_out, from_err


def _executable(name: str, env: Mapping[str, str]) -> str:
    """``name`` found on the PATH of ``env`` (as subprocess looks for it; posix_spawnp would
    look on this process's PATH instead).

    Raises:
        FileNotFoundError: it is on none of them.
    """
    if os.sep in name:
        return name
    for directory in os.get_exec_path(env):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(name)


def _inheritable_fds(skip: set[int]) -> list[int]:
    """This process's open descriptors above 2 that a spawned child would inherit."""
    assert _FD_DIR is not None
    out = []
    for name in os.listdir(_FD_DIR):
        fd = int(name)
        if fd > 2 and fd not in skip:
            try:
                if os.get_inheritable(fd):
                    out.append(fd)
            except OSError:  # the listing's own descriptor, closed by now
                continue
    return out


def _communicate(
    to_child: int | None, from_out: int, from_err: int, data: bytes
) -> tuple[bytes, bytes]:
    """Write ``data`` and read both outputs together until the child closes them all.

    Writes go in PIPE_BUF pieces, only when poll says the pipe has room, so neither side
    ever waits on the other (as ``subprocess.communicate`` does).
    """
    import select

    chunks: dict[int, list[bytes]] = {from_out: [], from_err: []}
    poller = select.poll()
    open_fds = {from_out, from_err}
    for fd in open_fds:
        poller.register(fd, select.POLLIN | select.POLLPRI)
    view, offset = memoryview(data), 0
    if to_child is not None:
        poller.register(to_child, select.POLLOUT)
        open_fds.add(to_child)
    try:
        while open_fds:
            for fd, _event in poller.poll():
                if fd == to_child:
                    try:
                        offset += os.write(fd, view[offset : offset + select.PIPE_BUF])
                        done = offset >= len(view)
                    except BrokenPipeError:  # it stopped reading: what it says tells why
                        done = True
                    if done:
                        poller.unregister(fd)
                        os.close(fd)
                        open_fds.discard(fd)
                    continue
                chunk = os.read(fd, _READ_CHUNK)
                if chunk:
                    chunks[fd].append(chunk)
                else:
                    poller.unregister(fd)
                    os.close(fd)
                    open_fds.discard(fd)
    finally:
        for fd in open_fds:
            os.close(fd)
    return b"".join(chunks[from_out]), b"".join(chunks[from_err])


def _run_subprocess(cmd: Sequence[str], env: Mapping[str, str], stdin: bytes) -> Finished:
    import subprocess

    try:
        proc = subprocess.run(list(cmd), input=stdin, capture_output=True, env=dict(env))
    except FileNotFoundError as err:
        raise _no_git() from err
    return Finished(proc.returncode, proc.stdout, proc.stderr)


def _popen(cmd: Sequence[str], env: Mapping[str, str], *, reader: bool) -> Any:
    """subprocess's Popen of ``cmd``: a reader's stdin and stdout piped (stderr dropped), or
    a started command's stdout and stderr (no stdin)."""
    import subprocess

    pipe, null = subprocess.PIPE, subprocess.DEVNULL
    try:
        return subprocess.Popen(
            list(cmd),
            stdin=pipe if reader else null,
            stdout=pipe,
            stderr=null if reader else pipe,
            env=dict(env),
        )
    except FileNotFoundError as err:
        raise _no_git() from err


def _start_subprocess(cmd: Sequence[str], env: Mapping[str, str]) -> Running:
    popen = _popen(cmd, env, reader=False)
    return Running(popen.pid, -1, -1, popen)


def _start_reader_subprocess(cmd: Sequence[str], env: Mapping[str, str]) -> Reader:
    popen = _popen(cmd, env, reader=True)
    assert popen.stdin is not None and popen.stdout is not None
    return Reader(popen.stdin, popen.stdout, popen.pid, popen)
