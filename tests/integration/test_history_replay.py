"""Generated histories replayed through gitgate: every tree must come out exactly as git's.

The history (``tests/histgen.py``) mixes every change kind ``git diff --binary`` expresses,
names git C-quotes, file<->directory and symlink<->directory swaps. By default 40 commits go
through the API and 6 through the CLI processes (``gitgate propose patch`` + ``gitgate
approve``). ``GITGATE_LONG_REPLAY=1`` replays 200 commits through the API and 50 through the
CLI; ``tests/replay_history.py`` does the same from the command line and prints the counts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitgate.safety.pathpolicy import check_path, check_symlink_target
from gitutil import run_git
from histgen import (
    NAME_PARTS,
    History,
    generate_history,
    replay_through_api,
    replay_through_cli,
)

LONG = os.environ.get("GITGATE_LONG_REPLAY") == "1"
API_COMMITS = 200 if LONG else 40
CLI_COMMITS = 50 if LONG else 6


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """One generated history per module (seed 11; the script defaults to the same)."""
    return generate_history(tmp_path_factory.mktemp("history") / "source", API_COMMITS, seed=11)


def test_generated_history_covers_what_it_claims(history: History) -> None:
    assert len(history.commits) == API_COMMITS + 1
    raw = run_git(history.repo, "log", "--format=", "--raw", "-M", "-C", "--find-copies-harder")
    statuses = {line.split("\t")[0].split(" ")[-1][0] for line in raw.splitlines() if line}
    assert statuses >= {"R", "C", "A", "D", "M"}, statuses
    plain = run_git(history.repo, "log", "--format=", "--raw", "--no-renames")
    for change in (":100644 100755 ", ":100644 120000 ", ":120000 100644 "):
        assert change in plain, change  # chmod +x, file <-> symlink
    summary = run_git(history.repo, "log", "--format=%s")
    for kind in (
        "file to directory",
        "directory to file",
        "directory to symlink",
        "symlink to directory",
        "rename",
        "copy",
        "edit binary",
    ):
        assert kind in summary, kind
    quoted = run_git(history.repo, "-c", "core.quotePath=true", "log", "--format=", "--name-only")
    assert '"' in quoted  # names git quotes


def test_generated_names_and_links_pass_the_path_policy(history: History) -> None:
    assert all(check_path(part + "1.txt").safe for part in NAME_PARTS)
    listing = run_git(history.repo, "ls-tree", "-r", "-z", "HEAD").split("\0")
    for line in filter(None, listing):
        meta, path = line.split("\t", 1)
        assert check_path(path).safe, path
        if meta.startswith("120000"):
            target = run_git(history.repo, "cat-file", "blob", meta.split()[2])
            assert check_symlink_target(path, target).safe, (path, target)


def test_replay_through_the_api_is_exact(history: History, tmp_path: Path) -> None:
    report = replay_through_api(history, tmp_path / "api")
    assert report.failures == []
    assert report.exact == API_COMMITS


def test_replay_through_the_cli_is_exact(history: History, tmp_path: Path) -> None:
    report = replay_through_cli(history, tmp_path / "cli", limit=CLI_COMMITS)
    assert report.failures == []
    assert report.exact == CLI_COMMITS
