"""Helpers for tests that need real git repositories (under tmp_path, never mkdtemp).

Modelled on git-machete ``tests/git_repository.py``: small functions that run real git, so a
test reads as the commands a user would type.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from click.testing import CliRunner, Result

APPROVER = "alice@example.com"
APPROVER2 = "bob@example.com"
AGENT = "agent@example.com"


def run_git(
    repo: Path,
    *args: str,
    input: bytes | str | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run ``git -C repo args...`` and return its stdout as text (raises on failure)."""
    proc = run_git_raw(repo, *args, input=input, check=check, env=env)
    return proc.stdout.decode("utf-8", "surrogateescape")


def run_git_raw(
    repo: Path,
    *args: str,
    input: bytes | str | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git -C repo args...`` and return the completed process (bytes)."""
    data = input.encode() if isinstance(input, str) else input
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=data,
        capture_output=True,
        env=full_env,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"git {' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stderr.decode('utf-8', 'replace')}"
        )
    return proc


def create_repo(path: Path, bare: bool = False, *, branch: str = "main") -> Path:
    """Create an empty repository at ``path`` (created if needed) and return its path."""
    path.mkdir(parents=True, exist_ok=True)
    args = ["init", "-q", f"--initial-branch={branch}"]
    if bare:
        args.append("--bare")
    run_git(path, *args)
    return path


def commit(
    repo: Path,
    files: Mapping[str, bytes | str | None],
    message: str,
    *,
    branch: str = "main",
) -> str:
    """Commit ``files`` (path -> content; None deletes) on ``branch``; return the commit id.

    Works on bare and non-bare repositories alike and never touches a working tree or the
    repository's index: it builds the commit with plumbing on a temporary index.
    """
    git_dir = Path(run_git(repo, "rev-parse", "--absolute-git-dir").strip())
    index = git_dir / "gitutil-index"
    env = {"GIT_INDEX_FILE": str(index)}
    parent = run_git(
        repo, "rev-parse", "-q", "--verify", f"refs/heads/{branch}^{{commit}}", check=False
    ).strip()
    try:
        if parent:
            run_git(repo, "read-tree", parent, env=env)
        else:
            run_git(repo, "read-tree", "--empty", env=env)
        for path, content in files.items():
            if content is None:
                # --index-info with mode 0 removes the entry; it works without a work tree,
                # unlike --force-remove, so bare repositories can delete files too.
                run_git(
                    repo, "update-index", "--index-info", env=env, input=f"0 {'0' * 40}\t{path}\n"
                )
                continue
            data = content.encode() if isinstance(content, str) else content
            oid = run_git(repo, "hash-object", "-w", "--stdin", input=data).strip()
            run_git(repo, "update-index", "--add", "--cacheinfo", f"100644,{oid},{path}", env=env)
        tree = run_git(repo, "write-tree", env=env).strip()
    finally:
        index.unlink(missing_ok=True)
    parents = ["-p", parent] if parent else []
    new = run_git(repo, "commit-tree", tree, *parents, "-m", message).strip()
    run_git(repo, "update-ref", f"refs/heads/{branch}", new, parent or "0" * 40)
    if not _is_bare(repo) and _head_branch(repo) == branch:
        # keep a checked-out branch's index and working tree in step, as `git commit` would
        if parent:
            run_git(repo, "read-tree", "-m", "-u", parent, new)
        else:
            run_git(repo, "read-tree", "-u", "--reset", new)
    return new


def _is_bare(repo: Path) -> bool:
    return run_git(repo, "rev-parse", "--is-bare-repository").strip() == "true"


def _head_branch(repo: Path) -> str:
    return run_git(repo, "symbolic-ref", "-q", "--short", "HEAD", check=False).strip()


def rev_parse(repo: Path, rev: str) -> str:
    """``git rev-parse --verify rev``."""
    return run_git(repo, "rev-parse", "--verify", "-q", rev).strip()


def ref_exists(repo: Path, ref: str) -> bool:
    """Tell whether a ref exists."""
    return run_git_raw(repo, "rev-parse", "--verify", "-q", ref, check=False).returncode == 0


def tree_listing(repo: Path, rev: str, *, exclude: Sequence[str] = (".gitgate.toml",)) -> str:
    """``git ls-tree -r rev`` (mode, type, oid, path) without the ``exclude``d paths."""
    out = run_git_raw(repo, "ls-tree", "-r", "-z", "--full-tree", rev).stdout
    lines = [
        line
        for line in out.decode("utf-8", "surrogateescape").split("\0")
        if line and line.split("\t", 1)[1] not in exclude
    ]
    return "\n".join(lines)


def status_porcelain(repo: Path) -> str:
    """``git status --porcelain`` (ignored files included, untracked too)."""
    return run_git(repo, "--no-optional-locks", "status", "--porcelain", "--untracked-files=all")


# -- the gitgate CLI -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one gitgate CLI run printed and returned."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None


def gitgate(
    repo: Path,
    *args: str,
    actor: str | None = AGENT,
    input: bytes | str | None = None,
) -> Outcome:
    """Run the gitgate CLI in-process (click's CliRunner) as ``gitgate -C repo args...``."""
    from gitgate.cli import main

    env = {"GITGATE_ACTOR": actor} if actor else {}
    runner = CliRunner()
    result: Result = runner.invoke(
        main, ["-C", str(repo), *args], env=env, input=input, catch_exceptions=True
    )
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    return Outcome(result.exit_code, result.stdout, result.stderr, exc)


def gitgate_ok(repo: Path, *args: str, **kwargs: object) -> str:
    """Run gitgate and insist it succeeds; return its stdout."""
    out = gitgate(repo, *args, **kwargs)  # type: ignore[arg-type]
    assert out.exception is None, out.exception
    assert out.exit_code == 0, f"exit {out.exit_code}\nstdout: {out.stdout}\nstderr: {out.stderr}"
    return out.stdout


def assert_error(out: Outcome, message: str, hint: str | None = None) -> None:
    """A GitgateError as the CLI reports it: exit 1, one error line, a hint, no traceback."""
    assert out.exception is None, out.exception
    assert out.exit_code == 1, f"exit {out.exit_code}: {out.stdout}{out.stderr}"
    lines = out.stderr.splitlines()
    assert lines[0] == f"error: {message}", out.stderr
    assert sum(1 for ln in lines if ln.startswith("error:")) == 1, out.stderr
    assert len(lines) == 2 and lines[1].startswith("hint: "), out.stderr
    if hint is not None:
        assert lines[1] == f"hint: {hint}", out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def gitgate_subprocess(
    repo: Path,
    *args: str,
    actor: str | None = AGENT,
    input: bytes | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the real entry point, ``python -m gitgate -C repo args...``, in a subprocess."""
    env = dict(os.environ)
    if actor:
        env["GITGATE_ACTOR"] = actor
    return subprocess.run(
        [sys.executable, "-m", "gitgate", "-C", str(repo), *args],
        input=input.decode() if input is not None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def make_gated_repo(
    path: Path,
    *,
    bare: bool = False,
    files: Mapping[str, str] | None = None,
    approvers: Sequence[str] = (APPROVER, APPROVER2),
) -> Path:
    """A repository with one commit on main and gitgate initialised (via the API)."""
    from gitgate.workflow import Gate

    create_repo(path, bare=bare)
    commit(path, files if files is not None else {"README.md": "hello\n"}, "initial")
    Gate(path).init(["main"], list(approvers), actor=APPROVER)
    return path


FROZEN = "2026-03-04T05:06:07Z"


@contextmanager
def sealed_libgit2() -> Iterator[None]:
    """Point libgit2's global/XDG/system config search at the sealed HOME, then restore it.

    libgit2 fixes its search path when pygit2 is imported (from the real HOME) and ignores
    GIT_CONFIG_GLOBAL/GIT_CONFIG_NOSYSTEM, so conftest's hermetic seal does not reach gitgate's
    own config reads (e.g. its fallback actor, ``user.email``) without this.
    """
    import pygit2
    from pygit2.enums import ConfigLevel

    paths = pygit2.settings.search_path
    wanted = {
        ConfigLevel.GLOBAL: os.environ["HOME"],
        ConfigLevel.XDG: os.environ.get("XDG_CONFIG_HOME", os.environ["HOME"]),
        ConfigLevel.SYSTEM: os.environ["HOME"] + "/no-system-config",
    }
    saved = {level: paths[level] for level in wanted}
    for level, value in wanted.items():
        paths[level] = value
    try:
        yield
    finally:
        for level, value in saved.items():
            paths[level] = value


def freeze_clock(monkeypatch: object, when: str = FROZEN) -> None:
    """Make gitgate's clock (its only source of time) return ``when``."""
    from datetime import datetime

    from gitgate import clock

    moment = datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)  # type: ignore[attr-defined]


def imported_modules(stderr: str) -> set[str]:
    """The modules ``python -X importtime`` (or PYTHONPROFILEIMPORTTIME) reported importing,
    every one, nested or not; lines git relays as ``remote: import time: ...`` included."""
    lines = (line.partition("import time:")[2] for line in stderr.splitlines())
    return {line.rpartition("|")[2].strip() for line in lines if "|" in line}
