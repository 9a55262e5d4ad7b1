"""gitproc: git started with posix_spawn answers as subprocess would, leaks nothing, never
deadlocks on full pipes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.gitutil import run_git

from gitgate.errors import GitError
from gitgate.store import gitproc

# A child that echoes stdin to stdout and writes N bytes to stderr, then exits with a code:
# both pipes full at once is what deadlocks a naive reader.
ECHO = (
    "import sys; data = sys.stdin.buffer.read(); "
    "sys.stderr.buffer.write(b'e' * int(sys.argv[1])); sys.stderr.flush(); "
    "sys.stdout.buffer.write(data[::-1]); sys.exit(int(sys.argv[2]))"
)

pytestmark = pytest.mark.skipif(
    gitproc._SPAWN is None, reason="the subprocess fallback is all there is"
)


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()


@settings(max_examples=25, deadline=None)
@given(
    data=st.one_of(st.binary(max_size=64), st.integers(0, 3 << 20).map(lambda n: b"x\0y" * n)),
    err_size=st.sampled_from([0, 1, 4095, 65537, 300_000]),
    code=st.sampled_from([0, 1, 3, 128]),
)
def test_run_answers_as_subprocess_does(data: bytes, err_size: int, code: int) -> None:
    cmd = [sys.executable, "-c", ECHO, str(err_size), str(code)]
    env = dict(os.environ)
    spawned = gitproc.run(cmd, env, data)
    reference = gitproc._run_subprocess(cmd, env, data)
    assert spawned == reference
    assert spawned.stdout == data[::-1] and len(spawned.stderr) == err_size
    assert spawned.returncode == code


@settings(max_examples=10, deadline=None)
@given(
    err_size=st.sampled_from([0, 4095, 300_000]),
    out_size=st.sampled_from([0, 1, 70_000, 2 << 20]),
    code=st.sampled_from([0, 1, 128]),
)
def test_a_started_process_finishes_as_subprocess_and_run_do(
    err_size: int, out_size: int, code: int
) -> None:
    # Both pipes may be full before finish() is called: the child waits, then drains.
    script = (
        "import sys; sys.stderr.buffer.write(b'e' * int(sys.argv[1])); sys.stderr.flush(); "
        "sys.stdout.buffer.write(b'o' * int(sys.argv[2])); sys.exit(int(sys.argv[3]))"
    )
    cmd = [sys.executable, "-c", script, str(err_size), str(out_size), str(code)]
    env = dict(os.environ)
    before = _fds()
    running = gitproc.start(cmd, env)
    fallback = gitproc._start_subprocess(cmd, env)
    finished = running.finish()
    assert finished == fallback.finish() == gitproc.run(cmd, env)
    assert running.finish() is finished  # asked again: the same answer, reaped once
    assert (len(finished.stdout), len(finished.stderr), finished.returncode) == (
        out_size,
        err_size,
        code,
    )
    assert _fds() == before


def test_a_prefetched_config_value_is_what_config_get_reads(tmp_path: Path) -> None:
    from gitgate.store.gitread import GitReader

    repo = tmp_path / "r.git"
    run_git(tmp_path, "init", "-q", "--bare", str(repo))
    run_git(repo, "config", "gitgate.branch", "trunk")
    run_git(repo, "config", "--add", "gitgate.branch", "main")  # the last one counts
    plain, early = GitReader(repo), GitReader(repo)
    early.prefetch_config("gitgate.branch")
    early.prefetch_config("gitgate.nothing")
    early.prefetch_config("core.bare")  # asked and never read: reaped at close
    assert early.config_get("gitgate.branch") == plain.config_get("gitgate.branch") == "main"
    assert early.config_get("gitgate.nothing") is plain.config_get("gitgate.nothing") is None
    before = _fds()
    early.close()
    plain.close()
    assert _fds() <= before


def test_a_child_that_stops_reading_is_not_a_hang() -> None:
    cmd = [sys.executable, "-c", "import sys; sys.stdin.close(); print('bye')"]
    done = gitproc.run(cmd, dict(os.environ), b"z" * (4 << 20))
    assert done.returncode == 0 and done.stdout.strip() == b"bye"


def test_a_signal_is_a_negative_code_as_in_subprocess() -> None:
    cmd = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"]
    assert gitproc.run(cmd, dict(os.environ)).returncode == -15


def test_no_git_is_a_gitgate_error(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    with pytest.raises(GitError, match="not installed"):
        gitproc.run(["git", "version"], env)
    with pytest.raises(GitError, match="not installed"):
        gitproc.start_reader(["git", "cat-file", "--batch"], env)
    with pytest.raises(GitError, match="not installed"):
        gitproc.start(["git", "version"], env)


def test_the_reader_answers_and_is_reaped_and_nothing_leaks(tmp_path: Path) -> None:
    repo = tmp_path / "r.git"
    run_git(tmp_path, "init", "-q", "--bare", str(repo))
    blob = run_git(repo, "hash-object", "-w", "--stdin", input=b"hello\n").strip()
    before = _fds()
    for _ in range(20):
        reader = gitproc.start_reader(
            ["git", f"--git-dir={repo}", "cat-file", "--batch"], dict(os.environ)
        )
        reader.stdin.write(blob.encode() + b"\n")
        reader.stdin.flush()
        assert reader.stdout.readline().split() == [blob.encode(), b"blob", b"6"]
        assert reader.stdout.read(7) == b"hello\n\n"
        pid = reader._pid
        reader.close()
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left behind
        gitproc.run(["git", "--git-dir", str(repo), "cat-file", "-t", blob], dict(os.environ))
    assert _fds() == before


def test_the_child_gets_only_its_three_standard_descriptors(tmp_path: Path) -> None:
    keep = os.open(tmp_path, os.O_RDONLY)  # an fd of ours, not inheritable (PEP 446)
    os.set_inheritable(keep, True)  # and one that is: subprocess would close it in the child
    try:
        # The child lists its descriptors where gitproc lists ours (/proc/self/fd, /dev/fd).
        code = f"import os; print(sorted(map(int, os.listdir({gitproc._FD_DIR!r}))))"
        listed = gitproc.run([sys.executable, "-c", code], dict(os.environ)).stdout.decode()
    finally:
        os.close(keep)
    fds = [int(x) for x in listed.strip(" []\n").split(",")]
    # 0-2, and the listing's own directory: the inheritable one was closed in the child.
    assert fds[:3] == [0, 1, 2] and len(fds) == 4
