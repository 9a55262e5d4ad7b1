"""Test-wide fixtures: every test runs in a sealed git environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from tests.gitutil import sealed_libgit2

# Performance is measured in benchmarks, never in tests: a property is judged on what it
# returns, not on how long one example took on a busy machine (with -n auto, CI runs a test
# per CPU, and a cold first call can take far over hypothesis's default 200 ms deadline).
settings.register_profile("gitgate", deadline=None)
settings.load_profile("gitgate")


@pytest.fixture(autouse=True)
def hermetic_seal(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Isolate git from the user's configuration, like git-revise's hermetic_seal."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "committer@example.com")
    monkeypatch.setenv("GIT_EDITOR", "false")
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    for var in (
        "GITGATE_ACTOR",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    ):
        monkeypatch.delenv(var, raising=False)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = user@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
        '[protocol "file"]\n\tallow = always\n'
    )
    # libgit2 ignores GIT_CONFIG_GLOBAL/NOSYSTEM and fixed its search path at import time.
    with sealed_libgit2():
        yield


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    """A directory for a repository under the test's tmp_path."""
    path = tmp_path / "repo"
    path.mkdir()
    return path


def pytest_configure(config: pytest.Config) -> None:
    """Keep hypothesis deterministic and quick in CI."""
    os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
