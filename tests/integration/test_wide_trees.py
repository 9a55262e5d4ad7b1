"""Wide directories: the fast comparisons of a tree level against the reference walk.

A level with at least ``WIDE_TREE`` entries on both sides is not read entry by entry in
Python: a level of files alone goes to libgit2's diff, a level with subtrees to ``git
diff-tree`` (one level, no recursion); the hook's batch uses ``git diff-tree --stdin -r``.
Every way must give exactly what the Python walk gives (and libgit2's full diff), on random
real trees and on the shapes that matter (kind changes, file <-> directory, gitlinks,
undecodable names, many entries naming one subtree).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from tests.integration.test_tree_changes import random_pair

from gitgate.store import gitstore
from gitgate.store.gitstore import MODE_GITLINK, MODE_LINK, MODE_TREE, GitStore, TreeEntry


@pytest.fixture
def store(tmp_path: Path) -> GitStore:
    return GitStore.init_repository(tmp_path / "repo", bare=True)


def _reference(
    store: GitStore, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> tuple[list[str], list[gitstore.FileDiff]]:
    """The Python walk alone (no level is wide), then libgit2's own full diff."""
    with monkeypatch.context() as m:
        m.setattr(gitstore, "WIDE_TREE", 10**9)
        walked = store.changed_paths(old, new)
        streamed = list(store.iter_changes(old, new))
    assert streamed == store.changed_files(old, new)
    return walked, streamed


def test_every_level_compared_by_git_or_libgit2_equals_the_walk(
    store: GitStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pairs = [random_pair(store, seed) for seed in range(120)]
    expected = [_reference(store, monkeypatch, old, new) for old, new in pairs]
    monkeypatch.setattr(gitstore, "WIDE_TREE", 1)  # every level takes a fast way
    fresh = GitStore.open(store.git_dir)  # no remembered flat trees from the reference run
    flat_levels = 0
    for (old, new), (paths, files) in zip(pairs, expected, strict=True):
        assert fresh.changed_paths(old, new) == paths, (old, new)
        assert list(fresh.iter_changes(old, new)) == files, (old, new)
        assert fresh.rename_pairs(old, new) == store.rename_pairs(old, new)
        flat_levels += sum(fresh._flat_trees.values())
    assert flat_levels > 0  # both ways really ran: levels of files alone and with subtrees
    assert not all(fresh._flat_trees.values())


def test_the_hook_batch_equals_changed_paths(store: GitStore) -> None:
    pairs = [random_pair(store, 500 + seed) for seed in range(80)]
    pairs.append((pairs[0][0], pairs[0][0]))  # an empty change keeps its place
    batched = store.changed_paths_of_pairs(pairs)
    assert batched == [store.changed_paths(old, new) for old, new in pairs]
    assert batched[-1] == []
    assert store.changed_paths_of_pairs([]) == []


def _wide_tree(store: GitStore, n: int) -> tuple[str, dict[str, TreeEntry]]:
    entries = {
        f"f{i:05d}.txt": TreeEntry(0o100644, store.write_blob(f"file {i}\n".encode()))
        for i in range(n)
    }
    return store.update_tree(None, entries), entries


def test_one_wide_directory_every_kind_of_change(
    store: GitStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, entries = _wide_tree(store, gitstore.WIDE_TREE + 50)
    blob = TreeEntry(0o100644, store.write_blob(b"new\n"))
    rng = random.Random(7)
    names = rng.sample(sorted(entries), 12)
    edits: dict[str, TreeEntry | None] = {
        names[0]: blob,  # content
        names[1]: TreeEntry(0o100755, entries[names[1]].oid),  # mode
        names[2]: TreeEntry(MODE_LINK, store.write_blob(b"target")),  # file -> symlink
        names[3]: TreeEntry(MODE_GITLINK, "1" * 40),  # file -> gitlink
        names[4]: None,  # deleted
        names[5]: None,
        names[5] + "/inside": blob,  # file -> directory (the level now has a subtree)
        "zz-new": blob,  # added
    }
    new = _with_raw_name(store, store.update_tree(old, edits), b"caf\xe9", blob.oid)
    edits["caf\udce9"] = blob  # a name that is not UTF-8 (pygit2 cannot write one)
    paths, files = _reference(store, monkeypatch, old, new)
    assert store.changed_paths(old, new) == paths
    assert list(store.iter_changes(old, new)) == files
    assert set(paths) == set(edits)
    # A level of files alone on both sides: libgit2's way.
    flat_edits = {n: e for n, e in edits.items() if "/" not in n and n != "caf\udce9"}
    flat_new = _with_raw_name(store, store.update_tree(old, flat_edits), b"caf\xe9", blob.oid)
    assert store._has_no_subtrees(old) and store._has_no_subtrees(flat_new)
    paths, files = _reference(store, monkeypatch, old, flat_new)
    assert store.changed_paths(old, flat_new) == paths
    assert list(store.iter_changes(old, flat_new)) == files
    assert not store._has_no_subtrees(new)


def _with_raw_name(store: GitStore, tree: str, name: bytes, blob: str) -> str:
    """``tree`` plus a file whose name is raw bytes, written by git itself."""
    listing = store.run_git(["ls-tree", "-z", tree]).stdout
    listing += b"100644 blob " + blob.encode() + b"\t" + name + b"\0"
    return store.run_git(["mktree", "-z"], stdin=listing).stdout.decode().strip()


def test_many_entries_naming_one_subtree_are_not_walked_below(
    store: GitStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # libgit2's diff would visit every file below each of these entries; git's one-level
    # comparison sees equal ids and goes no further.
    sub, _ = _wide_tree(store, 300)
    # Whole subtrees as entries: the root holds thousands of entries naming one tree.
    level = {f"d{i:05d}": TreeEntry(MODE_TREE, sub) for i in range(gitstore.WIDE_TREE + 10)}
    old = store.update_tree(None, level)
    changed = TreeEntry(0o100644, store.write_blob(b"changed\n"))
    new = store.update_tree(old, {"d00042/f00007.txt": changed})
    assert store.changed_paths(old, new) == ["d00042/f00007.txt"]
    assert _reference(store, monkeypatch, old, new)[0] == ["d00042/f00007.txt"]


def test_raw_output_of_another_shape_is_refused() -> None:
    with pytest.raises(gitstore.GitError):
        list(gitstore._raw_diff_records(b":100644 100644 abc\0path\0"))
    with pytest.raises(gitstore.GitError):
        list(gitstore._raw_diff_records(b"garbage\0"))


def test_a_submodule_marked_ignored_is_still_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # .gitmodules may say `ignore = all`; git's diff would then hide the gitlink's change.
    repo = tmp_path / "work"
    store = GitStore.init_repository(repo)
    monkeypatch.chdir(repo)  # git takes the working tree (and its .gitmodules) from here
    (repo / ".gitmodules").write_text('[submodule "g"]\n\tpath = g\n\turl = ./g\n\tignore = all\n')
    blob = TreeEntry(0o100644, store.write_blob(b"x\n"))
    files = {f"f{i:05d}": blob for i in range(gitstore.WIDE_TREE + 5)}
    old = store.update_tree(None, {**files, "sub/x": blob})  # a level with a subtree: git's way
    new = store.update_tree(old, {"g": TreeEntry(MODE_GITLINK, "2" * 40)})
    assert store.changed_paths(old, new) == ["g"]
    assert store.changed_paths_of_pairs([(old, new)]) == [["g"]]
