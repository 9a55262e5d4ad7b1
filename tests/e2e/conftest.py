"""A gitgate server (bare repository, hook installed) and clones of it, for real pushes.

Building the world takes a dozen git and gitgate runs, so it is built once per session and
copied for each test (only the clones' remote URLs need rewriting after the copy).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitgate.server import hookinstall
from gitgate.store.gitstore import GitStore
from gitutil import AGENT, APPROVER, APPROVER2, make_gated_repo, run_git, sealed_libgit2

MALLORY = "mallory@example.com"
AGENT2 = "agent2@example.com"
CLONES = {"agent": AGENT, "agent2": AGENT2, "alice": APPROVER, "bob": APPROVER2, "mallory": MALLORY}
FILES = {"README.md": "hello\n", "src/app.py": "print('app')\n", "docs/guide.md": "guide\n"}


@dataclass
class Pushed:
    """A finished ``git push``: exit status and what the pusher saw."""

    code: int
    stderr: str

    @property
    def refused_lines(self) -> list[str]:
        """The hook's refusal lines as the pusher sees them (``remote: gitgate: ...``)."""
        return [
            line.removeprefix("remote:").strip()
            for line in self.stderr.splitlines()
            if line.startswith("remote:") and "gitgate:" in line
        ]


@dataclass
class World:
    """The server and its clones (one per actor, named as in :data:`CLONES`)."""

    root: Path

    @property
    def server(self) -> Path:
        """The bare repository with the hook."""
        return self.root / "server.git"

    def clone(self, name: str) -> Path:
        """The clone of one actor."""
        return self.root / name

    def server_refs(self) -> dict[str, str]:
        """Every ref on the server with its value."""
        out = run_git(self.server, "for-each-ref", "--format=%(refname) %(objectname)")
        return dict(line.split(" ", 1) for line in out.splitlines())

    def push(
        self, name: str, *refspecs: str, user: str | None = "", env: Mapping[str, str] = {}
    ) -> Pushed:
        """``git push origin refspecs...`` from a clone as ``user`` (default: its actor)."""
        full = {k: v for k, v in os.environ.items() if k not in hook_identity_vars()}
        if user is not None:
            full["REMOTE_USER"] = user or CLONES[name]
        full.update(env)
        proc = subprocess.run(
            ["git", "-C", str(self.clone(name)), "push", "--porcelain", "origin", *refspecs],
            capture_output=True,
            text=True,
            env=full,
            check=False,
        )
        return Pushed(proc.returncode, proc.stderr + proc.stdout)

    def gitgate(
        self, name: str, *args: str, actor: str | None = None, user: str | None = None
    ) -> CliOutcome:
        """Run the gitgate CLI in-process in a clone, as its actor, pushing as that actor."""
        from gitgate.cli import main

        who = actor or CLONES[name]
        env = {"GITGATE_ACTOR": who, "REMOTE_USER": user or who}
        result = CliRunner().invoke(main, ["-C", str(self.clone(name)), *args], env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliOutcome(result.exit_code, result.stdout, result.stderr)


@dataclass
class CliOutcome:
    """Exit status and output of one in-process gitgate run."""

    code: int
    stdout: str
    stderr: str

    def ok(self) -> str:
        """Insist the run succeeded; return its stdout stripped."""
        assert self.code == 0, f"exit {self.code}\n{self.stdout}\n{self.stderr}"
        return self.stdout.strip()


def hook_identity_vars() -> tuple[str, ...]:
    """Every variable the hook may take the pusher from (cleared unless a test sets one)."""
    from gitgate.policy import DEFAULT_IDENTITY_ENV

    return (*DEFAULT_IDENTITY_ENV, "GL_ID")


def _seal(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("HOME", str(home))
    mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    mp.setenv("GIT_ALLOW_PROTOCOL", "file")
    mp.setenv("GIT_TERMINAL_PROMPT", "0")
    for var in ("GITGATE_ACTOR", "GIT_DIR", "GIT_WORK_TREE", *hook_identity_vars()):
        mp.delenv(var, raising=False)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = user@example.com\n[init]\n\tdefaultBranch = main\n"
    )


def _build(root: Path) -> None:
    server = make_gated_repo(root / "server.git", bare=True, files=FILES)
    hookinstall.install(GitStore.open(server))
    world = World(root)
    for name, actor in CLONES.items():
        run_git(root, "clone", "-q", str(server), name)
        world.gitgate(name, "init", actor=actor).ok()


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("e2e-template")
    home = tmp_path_factory.mktemp("e2e-home")
    with pytest.MonkeyPatch.context() as mp, sealed_libgit2():
        _seal(mp, home)
        _build(root)
    return root


@pytest.fixture
def world(_template: Path, tmp_path: Path) -> Iterator[World]:
    """A fresh copy of the server and clones for one test."""
    root = tmp_path / "world"
    shutil.copytree(_template, root, symlinks=True)
    for name in CLONES:
        run_git(root / name, "config", "remote.origin.url", str(root / "server.git"))
    with sealed_libgit2():
        yield World(root)
