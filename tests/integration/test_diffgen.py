"""diffgen.added_section against git itself: the same bytes for every kind of added file."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitgate.export.diffgen import added_section, git_quoted
from gitgate.store.gitstore import _PINNED_DIFF_CONFIG, _PINNED_DIFF_OPTIONS, GitStore, TreeEntry

NAME_PIECES = [
    "a",
    "b.txt",
    "dir",
    "café",
    "x y",
    'q"uote',
    "back\\slash",
    "tab\there",
    "ü/ÿ",
    "日本",
]
CONTENTS = [
    b"",
    b"one line\n",
    b"no newline",
    b"two\nlines",
    b"\n\n\n",
    b"crlf\r\nlines\r\n",
    b"nul \0 inside\n",
    b"x" * 9000 + b"\0",  # a NUL past the 8000 bytes git looks at: still text
    "ünïcödé\n".encode(),
    b"\xff\xfe not utf-8\n",
    b"line\n" * 300,
    b"+++ looks like a header\n--- too\n@@ -1 +1 @@\n",
]


def git_diff(repo: Path, old: str, new: str) -> bytes:
    return subprocess.run(
        ["git", *_PINNED_DIFF_CONFIG, "diff", *_PINNED_DIFF_OPTIONS, old, new],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout


def sections_for(store: GitStore, old: str, new: str) -> bytes:
    out = []
    for change in store.iter_changes(old, new):
        assert change.change == "added"
        data = b"" if change.mode == 0o160000 else store.read_blob(change.oid)
        out.append(added_section(change.path, change.mode, change.oid, data))
    return b"".join(out)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("diffgen") / "repo"
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def build(store: GitStore, files: dict[str, tuple[int, bytes]]) -> str:
    entries: dict[str, TreeEntry | None] = {}
    for path, (mode, data) in files.items():
        oid = "%040x" % (hash(path) & (2**160 - 1)) if mode == 0o160000 else store.write_blob(data)
        entries[path] = TreeEntry(mode, oid)
    return store.update_tree(None, entries)


def test_every_kind_of_added_file(repo: Path) -> None:
    store = GitStore.open(repo)
    empty = store.update_tree(None, {})
    files: dict[str, tuple[int, bytes]] = {}
    for i, data in enumerate(CONTENTS):
        files[f"f{i:02d}"] = (0o100644, data)
        files[f"exec/{i:02d}"] = (0o100755, data)
    files["link"] = (0o120000, b"target/without/newline")
    files["sub"] = (0o160000, b"")
    for i, piece in enumerate(NAME_PIECES):
        files[f"names/{piece}/{i}"] = (0o100644, b"named\n")
    tree = build(store, files)
    expected = git_diff(repo, empty, tree)
    assert sections_for(store, empty, tree) == expected
    assert b"Binary files /dev/null and b/f06 differ" in expected


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=3).map("/".join),
        st.tuples(
            st.sampled_from([0o100644, 0o100755, 0o120000]),
            st.one_of(st.sampled_from(CONTENTS), st.binary(max_size=300)),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_random_additions_match_git(repo: Path, files: dict[str, tuple[int, bytes]]) -> None:
    store = GitStore.open(repo)
    empty = store.update_tree(None, {})
    try:
        tree = build(store, files)
    except Exception:  # noqa: BLE001 - a path below a file of the same draw: not a tree
        return
    assert sections_for(store, empty, tree) == git_diff(repo, empty, tree)


def test_quoting_matches_git() -> None:
    rng = random.Random(3)
    for _ in range(200):
        name = "".join(rng.choice('ab "\\\t\né日\x01\x7f') for _ in range(rng.randint(1, 8)))
        quoted = git_quoted(name)
        if quoted.startswith(b'"'):
            assert quoted.endswith(b'"') and b"\n" not in quoted and b"\t" not in quoted
        else:
            assert quoted == name.encode()
