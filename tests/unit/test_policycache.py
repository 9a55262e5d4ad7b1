"""The hook's cache of parsed policies: used only for exactly its text, never a way around
validation, and nothing breaks when it cannot be read or written."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from gitgate.errors import PolicyError
from gitgate.policy import parse_policy, policy_from_data
from gitgate.server import policycache

POLICY = """\
schema = 1
protected = ["main", "release"]
approvers = ["alice@example.com", "bob@example.com"]

[commands]
allow = ["make test"]
"""


def _cached(git_dir: Path) -> list[Path]:
    return sorted((git_dir / policycache.CACHE_DIR).glob("policy-*.json"))


def test_the_data_is_tomllib_s_and_the_second_read_comes_from_the_file(tmp_path: Path) -> None:
    data = policycache.policy_data(tmp_path, POLICY)
    assert data == tomllib.loads(POLICY)
    [entry] = _cached(tmp_path)
    assert json.loads(entry.read_text()) == {"text": POLICY, "data": data}
    # The file is what the next read uses: change its data, keep its text.
    entry.write_text(json.dumps({"text": POLICY, "data": {**data, "approvers": ["c@x.org"]}}))
    assert policycache.policy_data(tmp_path, POLICY)["approvers"] == ["c@x.org"]
    assert policy_from_data(data) == parse_policy(POLICY)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{",
        "[1, 2]",
        json.dumps({"text": "another policy", "data": {"protected": ["x"]}}),  # same name
        json.dumps({"text": POLICY, "data": ["not", "a", "table"]}),
        json.dumps({"text": POLICY}),
    ],
)
def test_an_entry_that_is_not_exactly_for_this_text_is_parsed_again(
    tmp_path: Path, content: str
) -> None:
    path = Path(policycache.cache_path(tmp_path, POLICY))
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert policycache.policy_data(tmp_path, POLICY) == tomllib.loads(POLICY)
    assert json.loads(path.read_text())["text"] == POLICY  # and the entry is made right


def test_invalid_toml_raises_the_policy_error_and_caches_nothing(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        policycache.policy_data(tmp_path, "protected = [")
    assert _cached(tmp_path) == []


def test_validation_is_not_the_cache_s_to_skip(tmp_path: Path) -> None:
    wrong = 'schema = 1\nprotected = []\napprovers = ["alice@example.com"]\n'
    data = policycache.policy_data(tmp_path, wrong)
    assert _cached(tmp_path)  # valid TOML: cached
    with pytest.raises(PolicyError, match="at least one branch"):
        policy_from_data(data)
    with pytest.raises(PolicyError, match="at least one branch"):
        policy_from_data(policycache.policy_data(tmp_path, wrong))


@pytest.mark.parametrize(
    "extra", ["when = 2026-12-01T02:00:00Z", "day = 2026-12-01", "x = nan", "y = inf"]
)
def test_what_json_cannot_give_back_is_parsed_every_time(tmp_path: Path, extra: str) -> None:
    text = POLICY.replace("[commands]", f"{extra}\n\n[commands]")
    data = policycache.policy_data(tmp_path, text)
    assert str(data) == str(tomllib.loads(text))  # nan != nan: compare what they print
    assert _cached(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes a read-only directory")
def test_a_read_only_repository_is_no_error(tmp_path: Path) -> None:
    git_dir = tmp_path / "ro.git"
    git_dir.mkdir()
    git_dir.chmod(0o555)
    try:
        assert policycache.policy_data(git_dir, POLICY) == tomllib.loads(POLICY)
    finally:
        git_dir.chmod(0o755)
    assert _cached(git_dir) == []


def test_an_unwritable_cache_location_is_no_error(tmp_path: Path) -> None:
    (tmp_path / policycache.CACHE_DIR).write_text("a file where the directory would be")
    assert policycache.policy_data(tmp_path, POLICY) == tomllib.loads(POLICY)
    assert not list(tmp_path.glob("**/*.tmp"))


def _policy(n: int) -> str:
    return POLICY + f'\n[paths]\ndeny = ["generated-{n}/**"]\n'


def test_only_the_newest_entries_stay_and_the_one_just_written_is_one_of_them(
    tmp_path: Path,
) -> None:
    cache = tmp_path / policycache.CACHE_DIR
    for n in range(policycache.KEEP + 4):
        policycache.policy_data(tmp_path, _policy(n))
        # Entry n was written at time 1000 + n (the file times are the only clock involved).
        path = policycache.cache_path(tmp_path, _policy(n))
        os.utime(path, (1000 + n, 1000 + n))
    kept = {json.loads(p.read_text())["text"] for p in _cached(tmp_path)}
    assert kept == {_policy(n) for n in range(4, policycache.KEEP + 4)}
    # A text seen long ago comes back: it is parsed, written and kept, though the others'
    # times are newer than the file system's clock says its own is.
    for p in _cached(tmp_path):
        os.utime(p, (4_000_000_000, 4_000_000_000))
    policycache.policy_data(tmp_path, _policy(0))
    texts = {json.loads(p.read_text())["text"] for p in _cached(tmp_path)}
    assert _policy(0) in texts and len(texts) == policycache.KEEP
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith("policy-")) == []


def test_a_killed_writer_s_temporary_file_goes_and_what_is_not_ours_stays(tmp_path: Path) -> None:
    cache = tmp_path / policycache.CACHE_DIR
    cache.mkdir()
    stale = cache / "policy-0000abcd.json.123.tmp"
    fresh = cache / "policy-0000abcd.json.456.tmp"
    foreign = cache / "notes.txt"
    for path in (stale, fresh, foreign):
        path.write_text("x")
    old = os.stat(fresh).st_mtime - policycache.STALE_TMP_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(foreign, (old, old))
    policycache.policy_data(tmp_path, POLICY)
    assert not stale.exists()
    assert fresh.exists()  # maybe another hook writing right now
    assert foreign.exists()
    assert len(_cached(tmp_path)) == 1


def test_a_cached_read_does_not_prune(tmp_path: Path) -> None:
    policycache.policy_data(tmp_path, POLICY)
    extra = [
        tmp_path / policycache.CACHE_DIR / f"policy-{n:08x}.json"
        for n in range(policycache.KEEP + 2)
    ]
    for path in extra:
        path.write_text("{}")
    policycache.policy_data(tmp_path, POLICY)  # found: the directory is not listed
    assert all(path.exists() for path in extra)
