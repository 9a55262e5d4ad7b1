"""GitStore.iter_changes (the streaming tree walk) against libgit2's own diff.

Exports stream the changed files of a proposal from a side-by-side tree walk instead of
materialising libgit2's diff. These tests build random pairs of real trees (adds, deletes,
edits, mode flips, file <-> symlink <-> submodule, file <-> directory, renames, names that sort
around "/") and require exactly libgit2's entries in exactly its order.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gitgate.store.gitstore import MODE_GITLINK, MODE_LINK, GitStore, TreeEntry

NAMES = ["a", "a.txt", "a-b", "a0", "b", "dir", "dir.x", "z", "é", "Z", "x y", "deep"]
MODES = [0o100644, 0o100644, 0o100644, 0o100755, MODE_LINK, MODE_GITLINK]


def random_path(rng: random.Random) -> str:
    return "/".join(rng.choice(NAMES) for _ in range(rng.randint(1, 4)))


def blob_entry(store: GitStore, rng: random.Random, mode: int | None = None) -> TreeEntry:
    mode = mode if mode is not None else rng.choice(MODES)
    if mode == MODE_GITLINK:
        return TreeEntry(mode, f"{rng.getrandbits(160):040x}")
    # A handful of shared contents, so renames and copies are found.
    body = f"content {rng.randint(0, 12)}\n" * rng.randint(1, 30)
    return TreeEntry(mode, store.write_blob(body.encode()))


def add_entries(
    store: GitStore, tree: str | None, entries: dict[str, TreeEntry | None]
) -> str | None:
    """Add entries one by one, skipping any that would put a file under a file."""
    for path, entry in entries.items():
        try:
            tree = store.update_tree(tree, {path: entry})
        except Exception:  # noqa: BLE001 - a path colliding with an existing file: skip it
            continue
    return tree


def mutate(store: GitStore, rng: random.Random, tree: str) -> str:
    paths = [p for p, _ in store.iter_tree(tree)]
    changes: dict[str, TreeEntry | None] = {}
    for path in rng.sample(paths, k=min(len(paths), rng.randint(1, 8))):
        action = rng.choice(["delete", "edit", "mode", "kind", "rename", "keep"])
        entry = store.tree_entry(tree, path)
        assert entry is not None
        if action == "delete":
            changes[path] = None
        elif action == "edit":
            changes[path] = blob_entry(store, rng, entry.mode)
        elif action == "mode" and entry.mode in (0o100644, 0o100755):
            changes[path] = TreeEntry(0o100755 if entry.mode == 0o100644 else 0o100644, entry.oid)
        elif action == "kind":
            changes[path] = blob_entry(store, rng)
        elif action == "rename":
            changes[path] = None
            changes[random_path(rng)] = entry
    for _ in range(rng.randint(0, 5)):
        changes[random_path(rng)] = blob_entry(store, rng)
    # Applied one by one: a file may turn into a directory and the other way round.
    result = add_entries(store, tree, changes)
    assert result is not None
    return result


def random_pair(store: GitStore, seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    first = add_entries(
        store, None, {random_path(rng): blob_entry(store, rng) for _ in range(rng.randint(1, 25))}
    )
    assert first is not None
    return first, mutate(store, rng, first)


@pytest.fixture
def store(tmp_path: Path) -> GitStore:
    return GitStore.init_repository(tmp_path / "repo", bare=True)


def test_streamed_changes_equal_libgit2_diff(store: GitStore) -> None:
    kinds: set[str] = set()
    for seed in range(150):
        old, new = random_pair(store, seed)
        expected = store.changed_files(old, new)
        assert list(store.iter_changes(old, new)) == expected, f"seed {seed}"
        kinds.update(f.change for f in expected)
    # The generator really exercises every kind of change.
    assert {"added", "deleted", "modified", "renamed"} <= kinds


def test_streamed_changes_with_copy_detection(store: GitStore) -> None:
    store.config_set("diff.renames", "copies")
    kinds: set[str] = set()
    for seed in range(60):
        old, new = random_pair(store, 1000 + seed)
        expected = store.changed_files(old, new)
        assert list(store.iter_changes(old, new)) == expected, f"seed {seed}"
        kinds.update(f.change for f in expected)
    assert "copied" in kinds


def test_file_replaced_by_directory_and_kind_changes(store: GitStore) -> None:
    def text(word: str) -> str:
        return store.write_blob(f"{word}\n".encode() * 20)

    old = store.update_tree(
        None,
        {
            "d": TreeEntry(0o100644, text("one")),
            "d.txt": TreeEntry(0o100644, text("two")),
            "f": TreeEntry(0o100644, text("three")),
            "sub/x": TreeEntry(0o100644, text("four")),
        },
    )
    new = store.update_tree(
        None,
        {
            "d/inner": TreeEntry(0o100644, text("five")),
            "d.txt": TreeEntry(0o100644, text("two")),
            "f": TreeEntry(MODE_LINK, store.write_blob(b"target")),
            "sub": TreeEntry(0o100644, store.write_blob(b"now a file\n")),
        },
    )
    got = [(f.path, f.change) for f in store.iter_changes(old, new)]
    assert got == [
        ("d", "deleted"),
        ("d/inner", "added"),
        ("f", "deleted"),
        ("f", "added"),
        ("sub", "added"),
        ("sub/x", "deleted"),
    ]
    assert list(store.iter_changes(old, new)) == store.changed_files(old, new)


def test_deeply_nested_tree(store: GitStore) -> None:
    deep = "/".join(["d"] * 400) + "/leaf"
    old = store.update_tree(None, {"top": TreeEntry(0o100644, store.write_blob(b"x"))})
    new = store.update_tree(old, {deep: TreeEntry(0o100644, store.write_blob(b"y"))})
    assert [f.path for f in store.iter_changes(old, new)] == [deep]


# -- update_tree: a file and a directory swap in one change ------------------------------------


def _listing(store: GitStore, tree: str) -> dict[str, TreeEntry]:
    return dict(store.iter_tree(tree))


def test_update_tree_swaps_files_and_directories_both_ways(store: GitStore) -> None:
    blob = TreeEntry(0o100644, store.write_blob(b"x\n"))
    link = TreeEntry(MODE_LINK, store.write_blob(b"f"))
    old = store.update_tree(
        None, {"f": blob, "d/a": blob, "d/sub/b": blob, "s": link, "keep/c": blob}
    )
    edits: dict[str, TreeEntry | None] = {
        "f": None,
        "f/inside": blob,  # file -> directory
        "d": link,
        "d/a": None,
        "d/sub/b": None,  # directory -> symlink, deletions under it
        "s": None,
        "s/x": blob,  # symlink -> directory
    }
    new = store.update_tree(old, edits)
    assert _listing(store, new) == {"d": link, "f/inside": blob, "keep/c": blob, "s/x": blob}
    # and back again, in the other direction
    back = store.update_tree(
        new,
        {
            "d": None,
            "d/a": blob,
            "d/sub/b": blob,
            "f/inside": None,
            "f": blob,
            "s/x": None,
            "s": link,
        },
    )
    assert back == old


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({"d": "file", "d/new": "file"}, "d would be both a file and a directory"),
        ({"d": "file", "d/a": None}, r"d is a directory; cannot write a file there"),
        ({"d": "file"}, r"d is a directory; cannot write a file there"),
        ({"f/x": "file"}, "f is a file; cannot create files below it"),
        ({"d": None}, "d is a directory, not a file"),
    ],
)
def test_update_tree_still_refuses_real_conflicts(
    store: GitStore, edits: dict[str, str | None], message: str
) -> None:
    from gitgate.store.gitstore import TreeConflict

    blob = TreeEntry(0o100644, store.write_blob(b"x\n"))
    old = store.update_tree(None, {"f": blob, "d/a": blob, "d/b": blob})
    changes = {p: (blob if e else None) for p, e in edits.items()}
    with pytest.raises(TreeConflict, match=message):
        store.update_tree(old, changes)


def test_checks_judge_deletions_before_and_writes_after(store: GitStore) -> None:
    from gitgate.changes import check_edits
    from gitgate.errors import UnsafePath
    from gitgate.policy import Policy

    blob = TreeEntry(0o100644, store.write_blob(b"x\n"))
    link = TreeEntry(MODE_LINK, store.write_blob(b"keep"))
    base = store.update_tree(None, {"d/a": blob, "s": link, "keep/c": blob, "t": link})
    policy = Policy()
    # a directory becoming a symlink: its files are deleted, nothing is written through it
    assert check_edits(store, base, {"d": link, "d/a": None}, policy, allow_secret=False) == []
    # a symlink becoming a directory: the files land in a real directory
    assert check_edits(store, base, {"s": None, "s/x": blob}, policy, allow_secret=False) == []
    # but a write through a symlink that stays, or one the same change creates, is refused
    with pytest.raises(UnsafePath, match="parent 't' is a symlink"):
        check_edits(store, base, {"t/x": blob}, policy, allow_secret=False)
    with pytest.raises(UnsafePath, match="parent 'keep' is a symlink"):
        check_edits(
            store, base, {"keep": link, "keep/c": None, "keep/y": blob}, policy, allow_secret=False
        )
