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

from gitgate.gitstore import MODE_GITLINK, MODE_LINK, GitStore, TreeEntry

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
