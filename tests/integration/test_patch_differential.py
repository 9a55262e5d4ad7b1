"""Differential property tests: whatever ``git apply --index`` does with a patch, gitgate does.

Hypothesis draws a tree (files, executables, binary files, symlinks, names from every
character class git C-quotes) and a change to it (edits, deletions, renames and copies with mode
changes, file<->directory and symlink<->directory swaps, kind changes). Both trees are written
with pygit2's own index, not gitgate's tree code; ``git diff --binary --full-index -M`` between
them is the patch. Then:

* ``git apply --index`` in a work tree checked out at the old tree must give the new tree (the
  oracle checks itself);
* gitgate's three ways to apply (in-process, the narrow temporary index, the whole-tree index)
  give the same edits, and those edits on the old tree give exactly the new tree;
* through ``Gate.propose_patch`` + ``Gate.approve`` the target ends with exactly git's tree,
  its work tree checked out clean.

Names the path policy refuses (control characters, backslashes, invisible characters) get a
clean refusal (exit 1 at the CLI), never a wrong tree. Example counts are bounded so the suite
stays quick; raise ``GITGATE_DIFF_EXAMPLES`` to search longer.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pygit2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitgate.errors import GitgateError, PatchDoesNotApply, UnsafePath
from gitgate.patchapply import patch_paths
from gitgate.safety.pathpolicy import check_path, check_symlink_target
from gitgate.store.gitstore import GitStore, TreeEntry
from gitgate.workflow import Gate
from gitutil import (
    AGENT,
    APPROVER,
    assert_error,
    create_repo,
    gitgate,
    rev_parse,
    run_git,
    run_git_raw,
    status_porcelain,
    tree_listing,
)

EXAMPLES = int(os.environ.get("GITGATE_DIFF_EXAMPLES", "0")) or None
LINK, BLOB, EXEC = 0o120000, 0o100644, 0o100755

# Every class of character git quotes or that shells and tools find awkward, and plain letters
# so that names collide into shared directories often enough.
NAME_CHARS = "abcab" + " \"'^-*?[]#~$&;|`=é日😀"
REFUSED_NAMES = ("tab\there", "new\nline", "bell\x07", "del\x7f", "back\\slash", "zero\u200bw")


@dataclass(frozen=True)
class Change:
    """Two trees as path -> (mode, data); the patch between them is what is tested."""

    old: dict[str, tuple[int, bytes]]
    new: dict[str, tuple[int, bytes]]


def _name_ok(name: str) -> bool:
    return name not in (".", "..") and check_path(name).safe


names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=5).filter(_name_ok)
paths = st.lists(names, min_size=1, max_size=3).map("/".join)
text = st.lists(st.sampled_from(["a\n", "b\n", "c c\n", "\n", "d"]), max_size=12).map("".join)
binary = st.binary(min_size=1, max_size=300).map(lambda b: b"\0" + b)


def _consistent(tree: dict[str, tuple[int, bytes]], path: str) -> bool:
    """Whether ``path`` can join ``tree`` without being both a file and a directory."""
    parts = path.split("/")
    if any("/".join(parts[:i]) in tree for i in range(1, len(parts))):
        return False
    return not any(p.startswith(path + "/") for p in tree) and check_path(path).safe


def _link_to(link: str, tree: dict[str, tuple[int, bytes]], pick: int) -> bytes:
    files = sorted(p for p in tree if p != link)
    if not files:
        return b"missing"
    target = posixpath.relpath(files[pick % len(files)], posixpath.dirname(link) or ".")
    return target.encode() if check_symlink_target(link, target).safe else b"missing"


@st.composite
def entries(draw: st.DrawFn, tree: dict[str, tuple[int, bytes]], path: str) -> tuple[int, bytes]:
    """A file, executable, binary file or symlink for ``path``."""
    kind = draw(st.sampled_from(["text", "text", "exec", "binary", "link", "empty"]))
    if kind == "link":
        return LINK, _link_to(path, tree, draw(st.integers(0, 50)))
    data = draw(binary) if kind == "binary" else b"" if kind == "empty" else draw(text).encode()
    return (EXEC if kind == "exec" else BLOB), data


def _under(tree: dict[str, tuple[int, bytes]], directory: str) -> list[str]:
    return [p for p in tree if p.startswith(directory + "/")]


def _dirs(tree: dict[str, tuple[int, bytes]]) -> list[str]:
    return sorted({p.rsplit("/", 1)[0] for p in tree if "/" in p})


@st.composite
def changes(draw: st.DrawFn) -> Change:
    """A random tree and a random change to it (at least one path differs)."""
    old: dict[str, tuple[int, bytes]] = {}
    for path in draw(st.lists(paths, min_size=1, max_size=10)):
        if _consistent(old, path):
            old[path] = draw(entries(old, path))
    new = dict(old)
    ops = [
        "edit",
        "delete",
        "rename",
        "copy",
        "chmod",
        "add",
        "kind",
        "file-dir",
        "dir-file",
        "dir-link",
        "link-dir",
    ]
    for op in draw(st.lists(st.sampled_from(ops), min_size=1, max_size=4)):
        _apply_op(draw, new, op)
    if new == old:
        new[draw(names) + ".new"] = (BLOB, b"a change\n")
    return Change(old, new)


def _apply_op(draw: st.DrawFn, tree: dict[str, tuple[int, bytes]], op: str) -> None:
    files = sorted(tree)
    pick = draw(st.integers(0, 1000))
    victim = files[pick % len(files)] if files else None
    if op == "add" or victim is None:
        path = draw(paths)
        if _consistent(tree, path):
            tree[path] = draw(entries(tree, path))
    elif op == "edit":
        mode, data = tree[victim]
        tree[victim] = (mode, data + b"more\n") if mode != LINK else (mode, b"missing-too")
    elif op == "delete":
        del tree[victim]
    elif op in ("rename", "copy"):
        mode, data = tree[victim]
        if op == "rename":
            del tree[victim]
        target = draw(paths)
        if mode != LINK and draw(st.booleans()):
            mode = EXEC if mode == BLOB else BLOB  # with a mode change
        if mode == LINK and not check_symlink_target(target, data.decode()).safe:
            data = _link_to(target, tree, pick)  # the old target would leave the repository
        if _consistent(tree, target):
            tree[target] = (mode, data + (b"x\n" if draw(st.booleans()) and mode != LINK else b""))
    elif op == "chmod":
        mode, data = tree[victim]
        if mode != LINK:
            tree[victim] = (EXEC if mode == BLOB else BLOB, data)
    elif op == "kind":
        tree[victim] = draw(entries(tree, victim))
    elif op in ("file-dir", "link-dir"):
        if (tree[victim][0] == LINK) == (op == "link-dir"):
            del tree[victim]
            for name in draw(st.lists(names, min_size=1, max_size=2, unique=True)):
                tree[f"{victim}/{name}"] = draw(entries(tree, f"{victim}/{name}"))
    else:  # "dir-file", "dir-link": a directory replaced by a file or a symlink
        dirs = _dirs(tree)
        if dirs:
            directory = dirs[pick % len(dirs)]
            for path in _under(tree, directory):
                del tree[path]
            entry = draw(entries(tree, directory))
            if op == "dir-link":
                entry = (LINK, _link_to(directory, tree, pick))
            tree[directory] = entry


# -- building the trees with git's own index ----------------------------------------------------


def _write_tree(repo: pygit2.Repository, tree: dict[str, tuple[int, bytes]]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        index = pygit2.Index(os.path.join(tmp, "index"))
        for path, (mode, data) in tree.items():
            index.add(pygit2.IndexEntry(path, repo.create_blob(data), mode))
        return str(index.write_tree(repo))


def _commit(repo: pygit2.Repository, tree: str, parents: list[str]) -> str:
    sig = pygit2.Signature("Test", "test@example.com", 1_700_000_000, 0)
    return str(
        repo.create_commit(
            None, sig, sig, "c", pygit2.Oid(hex=tree), [pygit2.Oid(hex=p) for p in parents]
        )
    )


def _patch(repo_dir: Path, old: str, new: str) -> bytes:
    return run_git_raw(repo_dir, "diff", "--binary", "--full-index", "-M", old, new).stdout


def _git_apply_index(repo_dir: Path, base_commit: str, patch: bytes) -> str | None:
    """The oracle: ``git apply --index`` in a work tree at ``base_commit``; the tree it gives.

    None when git refuses the patch (``git diff`` can write patches git cannot apply: a rename
    listed after a file created below the renamed symlink is "beyond a symbolic link").
    """
    run_git(repo_dir, "checkout", "-q", "-f", "--detach", base_commit)
    run_git(repo_dir, "clean", "-qfdx")
    applied = run_git_raw(repo_dir, "apply", "--index", "-", input=patch, check=False)
    tree = run_git(repo_dir, "write-tree").strip() if applied.returncode == 0 else None
    run_git(repo_dir, "reset", "-q", "--hard")
    return tree


def _fresh(tmp_path: Path, name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=name, dir=tmp_path))


def _settings(default: int) -> settings:
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
        ],
    )


# -- the properties -----------------------------------------------------------------------------


@_settings(25)
@given(change=changes())
def test_every_way_of_applying_gives_gits_tree(tmp_path: Path, change: Change) -> None:
    repo_dir = create_repo(_fresh(tmp_path, "store"))
    repo = pygit2.Repository(str(repo_dir))
    old_tree, new_tree = _write_tree(repo, change.old), _write_tree(repo, change.new)
    old_commit = _commit(repo, old_tree, [])
    new_commit = _commit(repo, new_tree, [old_commit])
    patch = _patch(repo_dir, old_commit, new_commit)
    store = GitStore.open(repo_dir)
    oracle = _git_apply_index(repo_dir, old_commit, patch)
    if oracle is None:  # git refuses: so must gitgate, every way
        for full_index in (False, True):
            with pytest.raises(PatchDoesNotApply):
                store.apply_patch(old_tree, patch, full_index=full_index)
        return
    assert oracle == new_tree

    auto = store.apply_patch(old_tree, patch)
    full = store.apply_patch(old_tree, patch, full_index=True)
    named = patch_paths(patch)
    assert named is not None
    narrow = store._apply_on_temp_index(old_tree, patch, named)
    assert auto == full == narrow
    assert store.update_tree(old_tree, auto) == new_tree


@_settings(10)
@given(change=changes())
def test_propose_and_approve_give_gits_tree(tmp_path: Path, change: Change) -> None:
    repo_dir = create_repo(_fresh(tmp_path, "gate"))
    repo = pygit2.Repository(str(repo_dir))
    old_commit = _commit(repo, _write_tree(repo, change.old), [])
    new_commit = _commit(repo, _write_tree(repo, change.new), [old_commit])
    patch = _patch(repo_dir, old_commit, new_commit)
    oracle = _git_apply_index(repo_dir, old_commit, patch)
    run_git(repo_dir, "update-ref", "refs/heads/main", old_commit)
    run_git(repo_dir, "checkout", "-q", "-f", "main")
    gate = Gate(repo_dir)
    gate.init(["main"], [APPROVER], actor=APPROVER)
    if oracle is None:  # git refuses: gitgate refuses too, cleanly, and nothing moves
        before = rev_parse(repo_dir, "main")
        with pytest.raises(PatchDoesNotApply):
            gate.propose_patch(patch, message="generated", actor=AGENT)
        assert rev_parse(repo_dir, "main") == before
        return

    proposal = gate.propose_patch(patch, message="generated", actor=AGENT)
    assert tree_listing(repo_dir, proposal.commit) == tree_listing(repo_dir, new_commit)
    decision = gate.approve(proposal.id, actor=APPROVER)
    assert decision.proposal.status == "executed"
    assert tree_listing(repo_dir, "main") == tree_listing(repo_dir, new_commit)
    assert status_porcelain(repo_dir) == ""


# -- names git quotes ---------------------------------------------------------------------------


QUOTED = [
    "with space",
    'quo"te',
    "ünïcödé",
    "car^et",
    "-dash",
    "--double",
    "日本/語",
    "a b/c d",
    "it's",
    "star*?",
    "😀",
]


@pytest.mark.parametrize("quote_path", ["true", "false"])
def test_patch_paths_read_gits_quoting(tmp_path: Path, quote_path: str) -> None:
    repo_dir = create_repo(tmp_path / "quoting")
    repo = pygit2.Repository(str(repo_dir))
    old = {f"{n}.txt": (BLOB, f"{n}\n".encode() * 5) for n in QUOTED}
    old["tab\there"] = (BLOB, b"quoted even without core.quotePath\n")
    new = {f"moved {n}/{n}.md": (EXEC, d) for n, (_, d) in zip(QUOTED, old.values(), strict=False)}
    new["back\\slash"] = (BLOB, b"quoted too\n")
    old_commit = _commit(repo, _write_tree(repo, old), [])
    new_commit = _commit(repo, _write_tree(repo, new), [old_commit])
    patch = run_git_raw(
        repo_dir,
        "-c",
        f"core.quotePath={quote_path}",
        "diff",
        "--binary",
        "--full-index",
        "-M",
        old_commit,
        new_commit,
    ).stdout
    assert b"rename from" in patch and b'"' in patch
    assert set(patch_paths(patch) or []) == set(old) | set(new)


def test_unreadable_headers_fall_back_to_the_whole_tree(tmp_path: Path) -> None:
    # `diff -ru` output has no `diff --git` headers; git applies it all the same
    repo_dir = create_repo(tmp_path / "fallback")
    repo = pygit2.Repository(str(repo_dir))
    old_tree = _write_tree(repo, {"x y/z": (BLOB, b"one\n"), "keep": (BLOB, b"k\n")})
    patch = b"--- a/x y/z\t2026-01-01\n+++ b/x y/z\t2026-01-01\n@@ -1 +1 @@\n-one\n+two\n"
    assert patch_paths(patch) is None
    store = GitStore.open(repo_dir)
    edits = store.apply_patch(old_tree, patch)
    assert edits == {"x y/z": TreeEntry(BLOB, str(repo.create_blob(b"two\n")))}
    assert store.apply_patch(old_tree, patch, full_index=True) == edits
    with pytest.raises(GitgateError, match="does not apply"):
        store.apply_patch(old_tree, patch.replace(b"-one", b"-ONE"))


def test_a_patch_git_refuses_is_refused_the_same_way(tmp_path: Path) -> None:
    # found by the property test: git diff lists the rename of symlink d/l after the new file
    # d/l/x, and git apply refuses the file as "beyond a symbolic link"; so does gitgate
    repo_dir = create_repo(tmp_path / "beyond")
    repo = pygit2.Repository(str(repo_dir))
    old = {"d/l": (LINK, b"missing"), "keep": (BLOB, b"k\n")}
    new = {"d/l/x": (BLOB, b""), "top": (LINK, b"missing"), "keep": (BLOB, b"k\n")}
    old_tree = _write_tree(repo, old)
    old_commit = _commit(repo, old_tree, [])
    patch = _patch(repo_dir, old_commit, _commit(repo, _write_tree(repo, new), [old_commit]))
    assert b"rename to top" in patch
    assert _git_apply_index(repo_dir, old_commit, patch) is None
    store = GitStore.open(repo_dir)
    for full_index in (False, True):
        with pytest.raises(PatchDoesNotApply, match="'d/l/x' is beyond a symbolic link"):
            store.apply_patch(old_tree, patch, full_index=full_index)


# -- names the policy refuses -------------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED_NAMES, ids=[repr(n) for n in REFUSED_NAMES])
def test_refused_names_get_a_clean_error(tmp_path: Path, name: str) -> None:
    repo_dir = create_repo(tmp_path / "refused")
    repo = pygit2.Repository(str(repo_dir))
    old = {"keep.txt": (BLOB, b"keep\n"), "rename-me.txt": (BLOB, b"r\n" * 10)}
    new = {"keep.txt": (BLOB, b"keep\n"), f"dir/{name}": (BLOB, b"r\n" * 10)}
    old_commit = _commit(repo, _write_tree(repo, old), [])
    new_commit = _commit(repo, _write_tree(repo, new), [old_commit])
    patch = _patch(repo_dir, old_commit, new_commit)
    assert b"rename from" in patch
    run_git(repo_dir, "update-ref", "refs/heads/main", old_commit)
    run_git(repo_dir, "reset", "-q", "--hard", "main")
    gate = Gate(repo_dir)
    gate.init(["main"], [APPROVER], actor=APPROVER)
    before = rev_parse(repo_dir, "main")
    with pytest.raises(UnsafePath, match="unsafe path 'dir/"):
        gate.propose_patch(patch, actor=AGENT)
    patch_file = tmp_path / "refused.patch"
    patch_file.write_bytes(patch)
    out = gitgate(repo_dir, "propose", "patch", str(patch_file))
    assert_error(out, out.stderr.splitlines()[0].removeprefix("error: "))
    assert out.stderr.startswith("error: unsafe path 'dir/")
    assert rev_parse(repo_dir, "main") == before
    assert run_git(repo_dir, "for-each-ref", "refs/heads/gitgate/").strip() == ""
