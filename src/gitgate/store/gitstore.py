"""GitStore: the only module that talks to git (pygit2, and the git CLI where libgit2 cannot).

Everything else in gitgate speaks in plain values: commit ids as hex strings, paths as str,
blobs as bytes. The git CLI is used where libgit2 falls short, each time for a measured reason:

* ``git apply --cached`` on a temporary index holding only the touched paths: libgit2's patch
  parser rejects some valid ``git diff`` output, and pygit2 can only apply to the real index.
* ``git merge-tree --write-tree``: a three-way tree merge in milliseconds where libgit2's
  ``merge_commits`` needs a full index (395 ms at 100k files).
* ``git read-tree -m -u``: bring a checked-out branch's working tree along, safely (given
  trees of just the changed paths: the same per-path result without reading whole trees).
* ``git diff-tree``: one level of two wide directories compared in C when either holds a
  subtree (libgit2's diff would walk every equal subtree below), and the changed paths of
  every commit of a pushed branch in one process (``--stdin``).
* pushes and fetches, which must run server hooks (libgit2 runs none).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pygit2
from pygit2.enums import DeltaStatus, DiffStatsFormat, FileMode, RepositoryOpenFlag

from gitgate.errors import (
    ConcurrentUpdate,
    GitError,
    GitgateError,
    NotARepository,
    PatchDoesNotApply,
    environment_fault,
)
from gitgate.store.gitobjects import EMPTY_TREE as EMPTY_TREE
from gitgate.store.gitobjects import MODE_BLOB as MODE_BLOB
from gitgate.store.gitobjects import MODE_EXEC as MODE_EXEC
from gitgate.store.gitobjects import MODE_GITLINK as MODE_GITLINK
from gitgate.store.gitobjects import MODE_LINK as MODE_LINK
from gitgate.store.gitobjects import MODE_TREE as MODE_TREE
from gitgate.store.gitobjects import PAIRS_DIFF_ARGS, note_changes, paths_of_pairs
from gitgate.store.gitobjects import PINNED_TREE_DIFF as _PINNED_TREE_DIFF
from gitgate.store.gitobjects import ZERO_OID as ZERO_OID
from gitgate.store.gitobjects import ChainLink as ChainLink
from gitgate.store.gitobjects import CommitInfo as CommitInfo
from gitgate.store.gitobjects import Identity as Identity
from gitgate.store.gitobjects import NoteEntry as NoteEntry
from gitgate.store.gitobjects import TreeEntry as TreeEntry
from gitgate.store.gitobjects import first_lines as _first_lines
from gitgate.store.gitobjects import is_full_hex as _is_full_hex
from gitgate.store.gitobjects import note_paths as _note_paths
from gitgate.store.gitobjects import plain_commit as _plain_commit
from gitgate.store.gitobjects import raw_diff_records as _raw_diff_records

if TYPE_CHECKING:
    import subprocess
    from logging import Logger


def _log() -> Logger:
    # logging, subprocess, tempfile and the patch applier are imported where they are used:
    # the pre-receive hook, which runs on every push, needs none of them on its usual path.
    import logging

    return logging.getLogger(__name__)


LOCK_FILE = "gitgate.lock"

# The crash seam: tests set FAULTS to a callable that raises (or kill the process) at a named
# step of a ref update; GITGATE_TEST_CRASH_AT=N makes the Nth step kill the process with
# SIGKILL, for real `kill -9` runs of the CLI. Both are no-ops in normal use.
FAULTS: Callable[[str], None] | None = None
_crash_counter = [0]


def fault_point(step: str) -> None:
    """A point where a crash is injected in tests (see FAULTS)."""
    if FAULTS is not None:
        FAULTS(step)
    crash_at = os.environ.get("GITGATE_TEST_CRASH_AT")
    if crash_at:
        _crash_counter[0] += 1
        if str(_crash_counter[0]) == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)


def environment_error(what: str, err: OSError) -> GitgateError:
    """An OS fault (disk full, permissions, read-only) as an ``error:`` line with a hint."""
    fault = environment_fault(err)
    assert fault is not None
    return GitError(f"{what}: {fault.message}", hint=fault.hint)


def _update_ref_command(update: RefUpdate) -> str:
    """One NUL-terminated ``git update-ref --stdin -z`` command with its compare value."""
    if update.new is None:
        return f"delete {update.name}\0{update.old or ''}\0"
    if update.old is None:
        return f"create {update.name}\0{update.new}\0"
    return f"update {update.name}\0{update.new}\0{update.old}\0"


# How git and libgit2 say that a ref moved or is locked (a race to retry, not a fault).
_CONTENTION = (
    "but expected",
    "already exists",
    "File exists",
    "exists",
    "lock",
    "unable to resolve",
    "does not exist",
    # `git pack-refs` removes emptied ref directories while libgit2 is creating a ref in one
    "failed to make directory",
)


def _ref_update_error(stderr: str) -> GitgateError:
    first = _first_lines(stderr.encode(), 2)
    if any(marker in stderr for marker in _CONTENTION) and not any(
        m in stderr for m in ("No space left", "Read-only file system", "Permission denied")
    ):
        return ConcurrentUpdate(
            f"a ref moved or is locked by another process: {first}",
            hint="try again; if it persists, `gitgate doctor` removes locks left by a "
            "crashed process",
        )
    fault = environment_fault(OSError(0, first)) if first else None
    hint = fault.hint if fault is not None else "check disk space and permissions"
    return GitError(f"cannot update refs: {first}", hint=hint)


def _flock(fd: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise ConcurrentUpdate(
                    "another gitgate process has held the write lock for too long",
                    hint="wait for it to finish; a crashed process releases the lock itself",
                ) from None
            time.sleep(0.02)


_STATUS_NAMES = {
    DeltaStatus.ADDED: "added",
    DeltaStatus.DELETED: "deleted",
    DeltaStatus.MODIFIED: "modified",
    DeltaStatus.RENAMED: "renamed",
    DeltaStatus.COPIED: "copied",
    DeltaStatus.TYPECHANGE: "typechange",
}


@dataclass(frozen=True, slots=True)
class RefUpdate:
    """One compare-and-swap ref update.

    ``old`` is the value the ref must still have (None: it must not exist);
    ``new`` is the value to set (None: delete the ref).
    """

    name: str
    new: str | None
    old: str | None


@dataclass(frozen=True, slots=True)
class FileDiff:
    """One changed path between two trees."""

    path: str
    change: str
    old_path: str | None
    mode: int
    old_mode: int
    oid: str
    old_oid: str


@dataclass(frozen=True, slots=True)
class TreeDiff:
    """The difference between two trees, with a bounded patch text for previews."""

    files: tuple[FileDiff, ...]
    stat: str
    patch: str
    truncated: bool
    insertions: int
    deletions: int


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """Result of a three-way merge: a tree, or the conflicting paths."""

    tree: str | None
    conflicts: tuple[str, ...] = ()
    messages: str = ""


@dataclass
class _Node:
    """A directory level of pending tree edits (see :meth:`GitStore.update_tree`)."""

    children: dict[str, _Node] = field(default_factory=dict)
    is_leaf: bool = False
    entry: TreeEntry | None = None


class TreeConflict(GitError):
    """An edit needs a path to be both a file and a directory."""

    code = "tree-conflict"


CHECKOUT_INTENT = "gitgate-checkout"  # in the git dir: see GitStore.begin_checkout_move


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def _message_of(commit: pygit2.Commit) -> str:
    """A commit's message as text. An ``encoding`` header Python does not know (or bytes that
    are not what it names) would raise from pygit2: such a message is read as UTF-8 with
    replacement characters instead, as one without the header is, and judged by its content
    (an audit entry that is not valid JSON of its schema is reported as malformed)."""
    try:
        return commit.message
    except (LookupError, UnicodeDecodeError, ValueError):
        return bytes(commit.raw_message).decode("utf-8", "replace")


def _identity_of(signature: pygit2.Signature) -> Identity:
    """A signature's name and e-mail, read as :func:`_message_of` reads a message."""
    try:
        return Identity(signature.name, signature.email)
    except (LookupError, UnicodeDecodeError, ValueError):
        raw_name, raw_email = bytes(signature.raw_name), bytes(signature.raw_email)
        return Identity(raw_name.decode("utf-8", "replace"), raw_email.decode("utf-8", "replace"))


class GitStore:
    """Access to one repository: objects, refs, notes, and the few git commands gitgate runs."""

    def __init__(self, repo: pygit2.Repository) -> None:
        """Wrap an open pygit2 repository (use :meth:`open` or :meth:`open_from_env`)."""
        _cache_large_trees()
        self._repo = repo
        self._lock_fd: int | None = None
        self._intent_written = False
        self._flat_trees: dict[str, bool] = {}

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> GitStore:
        """Open the repository at or above ``path``.

        Raises:
            NotARepository: when there is none.
        """
        found = pygit2.discover_repository(str(path))
        if found is None:
            raise NotARepository(
                f"not a git repository: {path}",
                hint="run gitgate inside a repository, or pass -C PATH",
            )
        try:
            return cls(pygit2.Repository(found))
        except pygit2.GitError as err:
            if "not owned by current user" not in str(err):
                raise
            raise _not_owned(Path(found)) from err

    @classmethod
    def open_from_env(cls, path: str | os.PathLike[str]) -> GitStore:
        """Open as git's environment says (inside a hook: sees quarantined objects)."""
        return cls(pygit2.Repository(str(path), flags=RepositoryOpenFlag.FROM_ENV))

    @classmethod
    def init_repository(cls, path: str | os.PathLike[str], *, bare: bool = False) -> GitStore:
        """Create a new repository whose first branch is ``main``."""
        return cls(pygit2.init_repository(str(path), bare=bare, initial_head="main"))

    @property
    def git_dir(self) -> Path:
        """The repository's git directory."""
        return Path(self._repo.path)

    @property
    def workdir(self) -> Path | None:
        """The working tree, or None for a bare repository."""
        wd = self._repo.workdir
        return Path(wd) if wd else None

    @property
    def is_bare(self) -> bool:
        """Tell whether the repository has no working tree."""
        return bool(self._repo.is_bare)

    # -- config ----------------------------------------------------------------------------

    def config_get(self, key: str) -> str | None:
        """Read a git config value, or None."""
        try:
            value = self._repo.config[key]
        except (KeyError, pygit2.GitError):
            return None
        return str(value)

    def config_set(self, key: str, value: str) -> None:
        """Write a git config value into the repository's own config."""
        self._repo.config[key] = value

    def config_add(self, key: str, value: str) -> None:
        """Add a value to a multi-valued git config key unless it is already there."""
        try:
            existing = list(self._repo.config.get_multivar(key))
        except (KeyError, pygit2.GitError):
            existing = []
        if value not in existing:
            self._repo.config.set_multivar(key, "^$", value)

    # -- objects ---------------------------------------------------------------------------

    def has_object(self, oid: str) -> bool:
        """Tell whether an object exists (in quarantine too, inside a hook)."""
        try:
            return pygit2.Oid(hex=oid) in self._repo
        except ValueError:
            return False

    def read_blob(self, oid: str) -> bytes:
        """Return a blob's content."""
        # Straight from the object database: half the cost of building a Blob object, which
        # counts when an export reads 10,000 of them.
        found = self._repo.odb.read(oid)
        kind, data = found[0], found[1]
        if kind != pygit2.enums.ObjectType.BLOB:
            raise GitError(f"{oid} is not a blob")
        return bytes(data)

    def blob_size(self, oid: str) -> int:
        """Return a blob's size without reading it into memory where possible."""
        header = self._repo.odb.read_header(oid) if hasattr(self._repo.odb, "read_header") else None
        if header is not None:
            return int(header[1])
        return len(self.read_blob(oid))

    def write_blob(self, data: bytes) -> str:
        """Store a blob and return its id."""
        return str(self._repo.create_blob(data))

    def commit(self, oid: str) -> CommitInfo:
        """Describe a commit.

        Raises:
            GitError: when ``oid`` is not a commit.
        """
        try:
            obj = self._repo[oid]
        except (KeyError, ValueError) as err:
            raise GitError(f"no such commit: {oid}") from err
        if not isinstance(obj, pygit2.Commit):
            raise GitError(f"{oid} is not a commit")
        return CommitInfo(
            oid=str(obj.id),
            tree=str(obj.tree_id),
            parents=tuple(str(p) for p in obj.parent_ids),
            message=_message_of(obj),
            author=_identity_of(obj.author),
            committer=_identity_of(obj.committer),
            time=int(obj.commit_time),
        )

    def create_commit(
        self,
        tree: str,
        parents: Sequence[str],
        message: str,
        author: Identity,
        when: int,
    ) -> str:
        """Write a commit object (no ref moves) and return its id."""
        sig = pygit2.Signature(author.name, author.email, when, 0)
        oid = self._repo.create_commit(
            None, sig, sig, message, pygit2.Oid(hex=tree), [pygit2.Oid(hex=p) for p in parents]
        )
        return str(oid)

    def tree_entry(self, tree: str, path: str) -> TreeEntry | None:
        """Return the entry at ``path`` inside ``tree`` (a blob, link or gitlink), or None."""
        try:
            entry = self._repo[tree]
            assert isinstance(entry, pygit2.Tree)
            obj = entry[path]
        except (KeyError, ValueError):
            return None
        return TreeEntry(mode=int(obj.filemode), oid=str(obj.id))

    def is_tree_at(self, tree: str, path: str) -> bool:
        """Tell whether ``path`` inside ``tree`` is a directory."""
        entry = self.tree_entry(tree, path)
        return entry is not None and entry.mode == MODE_TREE

    def read_path(self, commit: str, path: str) -> bytes | None:
        """Return the content of ``path`` at ``commit``, or None when absent or not a file."""
        tree = self.commit(commit).tree
        entry = self.tree_entry(tree, path)
        if entry is None or entry.mode == MODE_TREE or entry.mode == MODE_GITLINK:
            return None
        return self.read_blob(entry.oid)

    def iter_tree(self, tree: str, prefix: str = "") -> Iterator[tuple[str, TreeEntry]]:
        """Yield every non-tree entry under ``tree`` with its full path."""
        obj = self._repo[tree]
        assert isinstance(obj, pygit2.Tree)
        for item in obj:
            path = f"{prefix}{item.name}"
            if int(item.filemode) == MODE_TREE:
                yield from self.iter_tree(str(item.id), path + "/")
            else:
                yield path, TreeEntry(mode=int(item.filemode), oid=str(item.id))

    def list_tree(self, tree: str) -> list[tuple[str, TreeEntry]]:
        """The entries of one tree, one level deep (names as stored, subtrees included)."""
        obj = self._repo[tree]
        assert isinstance(obj, pygit2.Tree)
        return [(item.name or "", TreeEntry(int(item.filemode), str(item.id))) for item in obj]

    def update_tree(self, base_tree: str | None, changes: Mapping[str, TreeEntry | None]) -> str:
        """Return the id of ``base_tree`` with ``changes`` applied (None deletes the path).

        Only the trees on the changed paths are read and rewritten, so the cost depends on the
        touched paths, not on the size of the repository. A file and a directory may swap in
        one change, as in any ``git diff``: a file (or symlink) written at ``p`` replaces the
        directory ``p`` when the changes delete everything in it, and files written below
        ``p`` replace the file ``p`` when ``p`` is deleted.

        Raises:
            TreeConflict: when a path would have to be a file and a directory at once.
        """
        root = _Node()
        for path, entry in changes.items():
            node = root
            parts = path.split("/")
            for part in parts[:-1]:
                node = node.children.setdefault(part, _Node())
            leaf = node.children.setdefault(parts[-1], _Node())
            leaf.is_leaf, leaf.entry = True, entry
        base = self._repo[base_tree] if base_tree else None
        assert base is None or isinstance(base, pygit2.Tree)
        return self._write_node(base, root, "") or str(self._repo.TreeBuilder().write())

    def _write_node(self, tree: pygit2.Tree | None, node: _Node, prefix: str) -> str | None:
        builder = self._repo.TreeBuilder(tree) if tree is not None else self._repo.TreeBuilder()
        for name, child in node.children.items():
            existing = builder.get(name)
            path = prefix + name
            if child.is_leaf and child.entry is not None:
                if child.children and _writes_below(child):
                    raise TreeConflict(f"{path} would be both a file and a directory")
                self._check_directory_emptied(existing, child, path)
                builder.insert(name, pygit2.Oid(hex=child.entry.oid), child.entry.mode)
            elif child.children:
                self._write_subdir(builder, name, existing, child, path)
            elif existing is not None:
                if int(existing.filemode) == MODE_TREE:
                    raise TreeConflict(f"{path} is a directory, not a file")
                builder.remove(name)
        if len(builder) == 0:
            return None
        return str(builder.write())

    def _check_directory_emptied(
        self, existing: pygit2.Object | None, child: _Node, path: str
    ) -> None:
        """A file may replace a directory only when the edits delete all that was in it.

        Nothing leaves the tree unless an edit names it, so every removed path passes the
        same checks as any other edit.
        """
        if existing is None or int(existing.filemode) != MODE_TREE:
            return
        subtree = self._repo[existing.id]
        assert isinstance(subtree, pygit2.Tree)
        if self._write_node(subtree, child, path + "/") is not None:
            raise TreeConflict(f"{path} is a directory; cannot write a file there")

    def _write_subdir(
        self,
        builder: pygit2.TreeBuilder,
        name: str,
        existing: pygit2.Object | None,
        child: _Node,
        path: str,
    ) -> None:
        subtree: pygit2.Tree | None = None
        if existing is not None:
            if int(existing.filemode) == MODE_TREE:
                obj = self._repo[existing.id]
                assert isinstance(obj, pygit2.Tree)
                subtree = obj
            elif not child.is_leaf:
                raise TreeConflict(f"{path} is a file; cannot create files below it")
        written = self._write_node(subtree, child, path + "/")
        if written is None:
            if existing is not None:
                builder.remove(name)
        else:
            builder.insert(name, pygit2.Oid(hex=written), MODE_TREE)

    # -- patches ---------------------------------------------------------------------------

    def apply_patch(
        self, base_tree: str, patch: bytes, *, full_index: bool = False
    ) -> dict[str, TreeEntry | None]:
        """Apply a ``git diff --binary`` style patch to ``base_tree``; return the tree edits.

        Plain text patches that match exactly are applied in-process. Others go to ``git apply
        --cached`` on a temporary index holding only what the patch can touch: the paths its
        own headers name (rename and copy sources included), the files that sit where those
        paths need a directory, and the files under a directory one of them replaces. When
        that narrow index does not take the patch, git tries once more on an index of the
        whole tree and has the last word. All three give git's result.

        Args:
            base_tree: the tree the patch applies to.
            patch: the patch bytes.
            full_index: go straight to the whole-tree index (the tests compare the ways).

        Raises:
            PatchDoesNotApply: with git's own reason.
        """
        from gitgate.patchapply import patch_paths

        if not full_index:
            fast = self._apply_in_process(base_tree, patch)
            if fast is not None:
                return fast
            paths = patch_paths(patch)
            if paths is not None:
                try:
                    return self._apply_on_temp_index(base_tree, patch, paths)
                except PatchDoesNotApply as err:
                    _log().debug("narrow index refused the patch (%s); trying the whole tree", err)
        return self._apply_on_full_index(base_tree, patch)

    def _apply_in_process(self, base_tree: str, patch: bytes) -> dict[str, TreeEntry | None] | None:
        """Plain text patches that match exactly are applied here, saving a git process."""
        from gitgate.patchapply import apply_simple_patch

        def lookup(path: str) -> tuple[int, bytes] | None:
            entry = self.tree_entry(base_tree, path)
            if entry is None or entry.mode in (MODE_TREE, MODE_GITLINK):
                return None
            return entry.mode, self.read_blob(entry.oid)

        states = apply_simple_patch(patch, lookup)
        if states is None:
            return None
        edits: dict[str, TreeEntry | None] = {}
        for path, state in states.items():
            new = TreeEntry(state[0], self.write_blob(state[1])) if state else None
            if new != self.tree_entry(base_tree, path):
                edits[path] = new
        return edits

    def _apply_on_temp_index(
        self, base_tree: str, patch: bytes, paths: list[str]
    ) -> dict[str, TreeEntry | None]:
        import tempfile

        entries = self._entries_a_patch_can_touch(base_tree, paths)
        with tempfile.TemporaryDirectory(prefix="gitgate-apply-") as tmp:
            index_path = os.path.join(tmp, "index")
            index = pygit2.Index(index_path)
            for path, entry in entries.items():
                index.add(pygit2.IndexEntry(path, pygit2.Oid(hex=entry.oid), FileMode(entry.mode)))
            index.write()
            self._git_apply_cached(patch, index_path)
            result = pygit2.Index(index_path)
            after = {e.path: TreeEntry(mode=int(e.mode), oid=str(e.id)) for e in result}
        edits: dict[str, TreeEntry | None] = {}
        for path in entries.keys() | after.keys():
            if entries.get(path) != after.get(path):
                edits[path] = after.get(path)
        return edits

    def _entries_a_patch_can_touch(self, base_tree: str, paths: list[str]) -> dict[str, TreeEntry]:
        """The named paths' entries, plus what git replaces when a file and a directory swap.

        ``git apply --cached`` silently drops index entries that conflict with a path it
        writes (a file where a directory goes, the files under a directory a file replaces),
        so those must be in the narrow index for it to give the whole-tree result.
        """
        entries: dict[str, TreeEntry] = {}
        for path in paths:
            parts = path.split("/")
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                entry = self.tree_entry(base_tree, prefix)
                if entry is None:
                    break
                if entry.mode != MODE_TREE:
                    entries[prefix] = entry
                    break
                if depth == len(parts):
                    for sub, sub_entry in self.iter_tree(entry.oid, prefix + "/"):
                        entries[sub] = sub_entry
        return entries

    def _apply_on_full_index(self, base_tree: str, patch: bytes) -> dict[str, TreeEntry | None]:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="gitgate-apply-") as tmp:
            index_path = os.path.join(tmp, "index")
            env = {"GIT_INDEX_FILE": index_path}
            self.run_git(["read-tree", base_tree], env=env)
            self._git_apply_cached(patch, index_path)
            new_tree = self.run_git(["write-tree"], env=env).stdout.decode().strip()
        edits: dict[str, TreeEntry | None] = {}
        for path in self.changed_paths(base_tree, new_tree):
            entry = self.tree_entry(new_tree, path)
            edits[path] = entry if entry is not None and entry.mode != MODE_TREE else None
        return edits

    def _git_apply_cached(self, patch: bytes, index_path: str) -> None:
        proc = self.run_git(
            ["apply", "--cached", "--whitespace=nowarn", "--recount", "-"],
            stdin=patch,
            env={"GIT_INDEX_FILE": index_path},
            check=False,
        )
        if proc.returncode == 0:
            return
        if b"No valid patches in input" in proc.stderr:
            raise PatchDoesNotApply(
                "the patch cannot be parsed: " + _first_lines(proc.stderr),
                hint="give a unified diff as `git diff --binary -M` writes it",
            )
        raise PatchDoesNotApply(
            "the patch does not apply: " + _first_lines(proc.stderr),
            hint="regenerate it against the current target (gitgate show / git diff)",
        )

    # -- diffs and merges ------------------------------------------------------------------

    def diff_trees(self, old: str, new: str, *, patch_limit: int = 0) -> TreeDiff:
        """Compare two trees (renames detected); keep at most ``patch_limit`` chars of patch."""
        old_tree, new_tree = self._narrowed_trees(old, new)
        diff = old_tree.diff_to_tree(new_tree)
        diff.find_similar()
        files = tuple(_file_diff(d) for d in diff.deltas)
        chunks: list[str] = []
        size = 0
        truncated = False
        if patch_limit > 0:
            for patch in diff:
                if patch is None:
                    continue
                text = patch.text or ""
                if size + len(text) > patch_limit:
                    chunks.append(text[: max(0, patch_limit - size)])
                    truncated = True
                    break
                chunks.append(text)
                size += len(text)
        stats = diff.stats
        return TreeDiff(
            files=files,
            stat=stats.format(_stat_format(len(files)), 72),
            patch="".join(chunks),
            truncated=truncated,
            insertions=int(stats.insertions),
            deletions=int(stats.deletions),
        )

    def changed_files(self, old: str, new: str) -> list[FileDiff]:
        """The changed files between two trees (renames detected), sorted by path.

        libgit2's own diff, materialised; :meth:`iter_changes` gives the same list streamed.
        """
        # libgit2 orders a kind change (deleted + added at one path) differently depending on
        # whether rename detection re-sorted its list: fix one order, the deletion first.
        return sorted(
            self._libgit2_changes(old, new), key=lambda f: (f.path, f.change != "deleted")
        )

    def _libgit2_changes(self, old: str, new: str) -> Iterator[FileDiff]:
        old_tree, new_tree = self._tree(old), self._tree(new)
        assert old_tree is not None and new_tree is not None
        diff = old_tree.diff_to_tree(new_tree)
        diff.find_similar()
        return (_file_diff(d) for d in diff.deltas)

    def iter_changes(
        self, old: str, new: str, *, renames: Mapping[str, FileDiff] | None = None
    ) -> Iterator[FileDiff]:
        """The changed files between two trees, in path order, renames detected, streamed.

        The same entries as :meth:`changed_files`, but memory stays flat in the number of
        changes (an export of 10,000 files): the two trees are walked side by side, one
        directory at a time, reading no file content. Renames (and copies when
        ``diff.renames=copies``) need every addition and deletion at once, so only when a
        change has both does libgit2 pair them first; only the pairs are kept.

        Args:
            old: the old tree.
            new: the new tree.
            renames: :meth:`rename_pairs` of the same trees, when already known (a caller
                walking twice pairs once).
        """
        if renames is None:
            renames = self.rename_pairs(old, new)
        moved_away = {f.old_path for f in renames.values() if f.change == "renamed"}
        for path, before, after in _walk_tree_changes(self._repo, old, new, self._level_diff):
            if before is None and after is not None:
                paired = renames.get(path)
                yield paired or FileDiff(path, "added", None, after[1], 0, after[0], ZERO_OID)
            elif after is None and before is not None:
                if path not in moved_away:
                    yield FileDiff(path, "deleted", None, 0, before[1], ZERO_OID, before[0])
            elif before is not None and after is not None:
                yield FileDiff(path, "modified", None, after[1], before[1], after[0], before[0])

    def rename_pairs(self, old: str, new: str) -> dict[str, FileDiff]:
        """Renamed and copied files by new path; empty when the change cannot have any."""
        added = deleted = False
        for _path, before, after in _walk_tree_changes(self._repo, old, new, self._level_diff):
            added = added or before is None
            deleted = deleted or after is None
            if added and deleted:
                break
        copies = (self.config_get("diff.renames") or "").lower() in ("copy", "copies")
        if not added or not (deleted or copies):
            return {}
        return {
            f.path: f for f in self._libgit2_changes(old, new) if f.change in ("renamed", "copied")
        }

    def _narrowed_trees(self, old: str, new: str) -> tuple[pygit2.Tree, pygit2.Tree]:
        """Two trees holding only the paths that differ, so a diff costs what changed.

        libgit2's tree-to-tree diff visits every file even below identical subtrees (5.5 ms at
        100k files against 0.26 ms at 1k, measured); finding the changed paths first, skipping
        equal subtrees by id, and diffing trees of just those paths gives the same result.
        """
        changed = self.changed_paths(old, new)
        if len(changed) > NARROW_LIMIT:
            small_old, small_new = old, new
        else:
            small_old = self._subset_tree(old, changed)
            small_new = self._subset_tree(new, changed)
        a, b = self._repo[small_old], self._repo[small_new]
        assert isinstance(a, pygit2.Tree) and isinstance(b, pygit2.Tree)
        return a, b

    def _subset_tree(self, tree: str, paths: list[str]) -> str:
        entries: dict[str, TreeEntry | None] = {}
        for path in paths:
            entry = self.tree_entry(tree, path)
            if entry is not None and entry.mode != MODE_TREE:
                entries[path] = entry
        return self.update_tree(None, entries)

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Paths of the non-tree entries that differ between two trees (equal subtrees skipped).

        In path order, each once; walked without recursion, so a hostile tree nested
        thousands deep cannot exhaust the stack (the pre-receive hook calls this on pushes).
        """
        out: list[str] = []
        for path, _before, _after in _walk_tree_changes(self._repo, old, new, self._level_diff):
            if not out or out[-1] != path:  # a kind change comes out twice
                out.append(path)
        return out

    def changed_paths_of_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[list[str]]:
        """:meth:`changed_paths` of many (old tree, new tree) pairs, with one git process.

        The pre-receive hook judges every commit of a pushed branch against its parent: git's
        ``diff-tree --stdin`` walks all the pairs in C, skipping equal subtrees by id as
        :meth:`changed_paths` does, for the price of one process start.

        Raises:
            GitError: when git fails or its output does not account for every pair.
        """
        if not pairs:
            return []
        stdin = "".join(f"{old} {new}\n" for old, new in pairs).encode()
        proc = self.run_git(list(PAIRS_DIFF_ARGS), stdin=stdin)
        return paths_of_pairs(proc.stdout, pairs)

    def _level_diff(self, old: str, new: str) -> list[tuple[str, _Keyed | None, _Keyed | None]]:
        """The entries of one level of two wide trees that differ (not below it).

        Two levels of files alone (no subtree on either side) go to libgit2's diff, in
        process, on the parsed trees it caches: nothing below them for it to walk. A level
        with subtrees goes to git (without ``-r`` it lists a changed subtree as one entry and
        does not descend), never to libgit2, which would walk every file of every *equal*
        subtree too: a hostile tree of 2,000 entries naming one big subtree would cost
        millions of steps. Either way the caller's walk goes on as from its own comparison.
        """
        if self._has_no_subtrees(old) and self._has_no_subtrees(new):
            a, b = self._tree(old), self._tree(new)
            assert a is not None and b is not None
            sides: dict[str, list[_Keyed | None]] = {}
            for delta in a.diff_to_tree(b).deltas:
                if delta.status != DeltaStatus.ADDED:
                    f = delta.old_file
                    sides.setdefault(f.path, [None, None])[0] = (f.id, int(f.mode), f.path)
                if delta.status != DeltaStatus.DELETED:
                    f = delta.new_file
                    sides.setdefault(f.path, [None, None])[1] = (f.id, int(f.mode), f.path)
            return [(name, x, y) for name, (x, y) in sorted(sides.items())]
        proc = self.run_git(["diff-tree", "-z", *_PINNED_TREE_DIFF, old, new])
        records = []
        for header, record in _raw_diff_records(proc.stdout):
            if header is not None or record is None:
                raise GitError("git diff-tree: unexpected header")
            records.append(record)
        return _level_entries(records)

    def _has_no_subtrees(self, tree: str) -> bool:
        """Whether a tree holds no subtree (remembered: a tree never changes)."""
        known = self._flat_trees.get(tree)
        if known is None:
            obj = self._tree(tree)
            assert obj is not None
            # map/set run in C: ~10 ms for 100,000 entries, where reading modes costs 0.2 s
            known = pygit2.Tree not in set(map(type, obj))
            if len(self._flat_trees) >= 256:
                self._flat_trees.clear()
            self._flat_trees[tree] = known
        return known

    def _tree(self, oid: str | None) -> pygit2.Tree | None:
        if oid is None:
            return None
        obj = self._repo[oid]
        assert isinstance(obj, pygit2.Tree)
        return obj

    def diff_text(self, old: str, new: str, *, binary: bool = True) -> bytes:
        """The full ``git diff`` text between two commits or trees (renames detected)."""
        args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", "--full-index"]
        if binary:
            args.append("--binary")
        proc = self.run_git([*args, old, new, "--"])
        return proc.stdout

    def merge_trees(self, ours: str, theirs: str) -> MergeOutcome:
        """Three-way merge of two commits in memory (nothing is checked out)."""
        proc = self.run_git(
            ["merge-tree", "--write-tree", "--name-only", "-z", ours, theirs], check=False
        )
        if proc.returncode not in (0, 1):
            raise GitError("git merge-tree failed: " + _first_lines(proc.stderr))
        fields = proc.stdout.split(b"\0")
        tree = fields[0].decode().strip()
        if proc.returncode == 0:
            return MergeOutcome(tree=tree)
        conflicts: list[str] = []
        for raw in fields[1:]:
            if not raw:
                break  # an empty field ends the list of conflicted paths
            name = raw.decode("utf-8", "surrogateescape")
            if name not in conflicts:
                conflicts.append(name)
        return MergeOutcome(tree=None, conflicts=tuple(conflicts))

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Tell whether ``ancestor`` is ``descendant`` or one of its ancestors."""
        if ancestor == descendant:
            return True
        try:
            return bool(
                self._repo.descendant_of(pygit2.Oid(hex=descendant), pygit2.Oid(hex=ancestor))
            )
        except (pygit2.GitError, KeyError, ValueError):
            return False

    def walk(
        self, tip: str, *, hide: Sequence[str] = (), first_parent: bool = False
    ) -> Iterator[str]:
        """Yield commit ids reachable from ``tip`` but not from ``hide``, newest first."""
        walker = self._repo.walk(pygit2.Oid(hex=tip))
        if first_parent:
            walker.simplify_first_parent()
        for h in hide:
            if self.has_object(h):
                walker.hide(pygit2.Oid(hex=h))
        for commit in walker:
            yield str(commit.id)

    # -- refs ------------------------------------------------------------------------------

    def resolve(self, ref: str) -> str | None:
        """Return the commit id a ref points at, or None when it does not exist."""
        try:
            reference = self._repo.references.get(ref)
        except (pygit2.InvalidSpecError, ValueError):
            return None
        if reference is None:
            return None
        return str(reference.resolve().target)

    def resolve_revision(self, rev: str) -> str | None:
        """Resolve any revision expression (a sha, a branch) to a commit id, or None."""
        try:
            obj = self._repo.revparse_single(rev)
            commit = obj.peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            return None
        return str(commit.id)

    def list_refs(self, prefix: str) -> dict[str, str]:
        """All refs whose names start with ``prefix``, with their targets."""
        out: dict[str, str] = {}
        for name in self._repo.references:
            if name.startswith(prefix):
                target = self.resolve(name)
                if target is not None:
                    out[name] = target
        return out

    def head_branch(self) -> str | None:
        """The branch HEAD points at (short name), even when it has no commits yet."""
        try:
            target = self._repo.references["HEAD"].target
        except (KeyError, pygit2.GitError):
            return None
        if isinstance(target, str) and target.startswith("refs/heads/"):
            return target[len("refs/heads/") :]
        return None

    # -- a checked-out branch's working tree follows the branch, even across a crash ------

    def begin_checkout_move(self, branch: str, old: str | None) -> None:
        """Before gitgate moves ``branch``: when it is checked out here, record the commit its
        working tree holds, so that a crash before the tree follows is finished by the next
        gitgate command (:meth:`unfinished_checkout_move`)."""
        if old is None or self.workdir is None or self.head_branch() != branch:
            return
        with contextlib.suppress(OSError):
            (self.git_dir / CHECKOUT_INTENT).write_text(f"{os.getpid()} {branch} {old}\n")

    def end_checkout_move(self) -> None:
        """The working tree followed (or there was nothing to follow): forget the record."""
        with contextlib.suppress(OSError):
            (self.git_dir / CHECKOUT_INTENT).unlink(missing_ok=True)

    def unfinished_checkout_move(self) -> tuple[str, str] | None:
        """(branch, commit its working tree holds) left by a gitgate process that stopped
        before the working tree followed the branch; None when there is none, or its writer
        is still running."""
        try:
            words = (self.git_dir / CHECKOUT_INTENT).read_text("ascii").split()
        except (OSError, UnicodeError):
            return None
        if len(words) != 3 or not words[0].isdigit() or not _is_full_hex(words[2]):
            self.end_checkout_move()  # not ours to read: a torn write
            return None
        pid = int(words[0])
        if pid != os.getpid() and _process_alive(pid):
            return None
        return words[1], words[2]

    def finish_checkout_move(self) -> None:
        """A gitgate process moved a checked-out branch and stopped before its working tree
        followed: bring the tree along now (a two-way merge: local changes are kept, and
        then the tree is left for the user, as after any decision)."""
        unfinished = self.unfinished_checkout_move()
        if unfinished is None:
            return
        branch, old = unfinished
        tip = self.resolve(f"refs/heads/{branch}")
        if tip is not None and tip != old:
            self.sync_checkout(branch, old, tip)  # a no-op unless it is checked out here
        self.end_checkout_move()

    def last_move(self, ref: str) -> tuple[str | None, str, str] | None:
        """The newest reflog entry of ``ref``: (old value or None, new value, message), or
        None when the ref has no reflog."""
        try:
            reference = self._repo.references.get(ref)
            entries = reference.log() if reference is not None else iter(())
            entry = next(iter(entries), None)
        except (pygit2.GitError, KeyError, ValueError, OSError):
            return None
        if entry is None:
            return None
        old = str(entry.oid_old)
        return (None if old.strip("0") == "" else old), str(entry.oid_new), entry.message or ""

    def checkout_holds(self, commit: str) -> bool:
        """Tell whether the index holds ``commit``'s tree and the working tree the index."""
        if self.workdir is None:
            return False
        # stat data first (a copied or touched file is not a change), then the two compares
        self.run_git(["update-index", "-q", "--refresh"], cwd=self.workdir, check=False)
        staged = ["diff-index", "--cached", "--quiet", "--ignore-submodules", commit, "--"]
        if self.run_git(staged, cwd=self.workdir, check=False).returncode != 0:
            return False
        unstaged = ["diff-files", "--quiet", "--ignore-submodules"]
        return self.run_git(unstaged, cwd=self.workdir, check=False).returncode == 0

    def update_refs(self, updates: Sequence[RefUpdate], *, reason: str, who: Identity) -> None:
        """Apply the updates as one transaction, each only if its ref still has its ``old``.

        Creations and updates go through libgit2 in process; a transaction with a deletion goes
        through ``git update-ref --stdin``, because git locks ``packed-refs`` when it deletes a
        ref, so a ``git pack-refs`` running alongside can never resurrect a deleted one (with
        libgit2 it could). The refs of one transaction move all or none *unless the process
        dies* mid-commit, so callers never rely on several refs moving together: gitgate's
        journal makes one ref (the audit log) the commit point and derives the rest. While
        the gitgate write lock is held, the refs being updated are recorded in it first, so
        that the next gitgate process can remove the ``.lock`` files a crashed one left
        (:meth:`clear_stale_locks`).

        Raises:
            ConcurrentUpdate: when a ref moved or is locked; nothing is changed then.
            GitError: when git cannot write the refs (disk, permissions, corruption).
        """
        del who  # the reflog names the repository's committer, as for any git command
        ordered = sorted(updates, key=lambda u: u.name)
        self._record_intent(ordered)
        names = " ".join(u.name for u in ordered)
        fault_point(f"before {names}")
        if all(u.new is not None for u in ordered):
            self._set_refs_in_process(ordered, reason)
        else:
            self._update_refs_with_git(ordered, reason)
        fault_point(f"after {names}")
        self._record_intent(())

    def _set_refs_in_process(self, ordered: Sequence[RefUpdate], reason: str) -> None:
        """Creations and updates through libgit2 (no process to start): lock every ref,
        compare its value *after* the locks are held (pygit2's transaction does not), set.
        Only deletions need git itself (:meth:`_update_refs_with_git`)."""
        try:
            with self._repo.transaction() as txn:
                for update in ordered:
                    txn.lock_ref(update.name)
                fault_point("locked " + " ".join(u.name for u in ordered))
                for update in ordered:
                    current = self.resolve(update.name)
                    if current != update.old:
                        raise ConcurrentUpdate(
                            f"{update.name} moved meanwhile "
                            f"(expected {_short(update.old)}, found {_short(current)})",
                            hint="someone else changed it at the same time; try again",
                        )
                for update in ordered:
                    assert update.new is not None
                    txn.set_target(update.name, update.new, message=reason)
        except pygit2.GitError as err:
            raise _ref_update_error(str(err)) from err
        except OSError as err:
            raise environment_error("cannot update refs", err) from err

    def _update_refs_with_git(self, ordered: Sequence[RefUpdate], reason: str) -> None:
        """Any transaction with a deletion: git locks ``packed-refs`` when it deletes a ref,
        so a ``git pack-refs`` alongside cannot resurrect it (with libgit2 it could)."""
        commands = "".join(_update_ref_command(u) for u in ordered)
        proc = self.run_git(
            ["update-ref", "--stdin", "-z", "-m", reason],
            stdin=commands.encode(),
            check=False,
            env={"GIT_CONFIG_PARAMETERS": "", "LC_ALL": "C"},
        )
        if proc.returncode != 0:
            raise _ref_update_error(proc.stderr.decode("utf-8", "replace"))

    def update_ref(self, name: str, new: str | None, old: str | None, *, reason: str) -> None:
        """One compare-and-swap ref update (see :meth:`update_refs`)."""
        self.update_refs([RefUpdate(name, new, old)], reason=reason, who=Identity("gitgate", ""))

    # -- the write lock: one gitgate writer at a time, and no stale locks after a crash -------

    @contextlib.contextmanager
    def write_lock(self, *, timeout: float = 60.0) -> Iterator[None]:
        """Hold gitgate's write lock on this repository (an OS lock: it dies with its owner).

        Raises:
            GitgateError: when the repository is read-only or the lock is not free in time.
        """
        if self._lock_fd is not None:  # re-entrant within one process
            yield
            return
        path = self.git_dir / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
        except OSError as err:
            raise environment_error("cannot take gitgate's write lock", err) from err
        try:
            _flock(fd, timeout)
            self._lock_fd = fd
            self._clear_crashed_intent()
            yield
        finally:
            self._lock_fd = None
            os.close(fd)  # closing releases the lock

    def _record_intent(self, updates: Sequence[RefUpdate]) -> None:
        """Write which refs this process is about to lock (empty: none) into the lock file."""
        if self._lock_fd is None:
            return
        text = "".join(f"{u.name}\n" for u in updates)
        if not text and not self._intent_written:
            return
        self._intent_written = bool(text)
        os.ftruncate(self._lock_fd, 0)
        if text:
            # No fsync: the record must outlive the process (kill -9), not the machine; after
            # a reboot, git's lock files are judged by age (doctor).
            os.pwrite(self._lock_fd, f"{os.getpid()} {time.time():.3f}\n{text}".encode(), 0)

    def _clear_crashed_intent(self) -> None:
        """A non-empty lock file means its last holder died while updating refs: remove the
        ``.lock`` files it left (only those created while it ran), then clear the record."""
        assert self._lock_fd is not None
        raw = os.pread(self._lock_fd, 1 << 20, 0).decode("utf-8", "replace")
        if not raw.strip():
            return
        head, _, rest = raw.partition("\n")
        try:
            started = float(head.split()[1])
        except (IndexError, ValueError):
            started = 0.0
        names = [line for line in rest.splitlines() if line.startswith("refs/")]
        removed = self.clear_stale_locks(names, not_before=started - 1, older_than=0.0)
        for path in removed:
            _log().warning("removed %s, left by a gitgate process that stopped mid-update", path)
        os.ftruncate(self._lock_fd, 0)

    def clear_stale_locks(
        self, names: Sequence[str], *, not_before: float = 0.0, older_than: float = 600.0
    ) -> list[str]:
        """Remove ``.lock`` files of ``names`` (and ``packed-refs.lock``) that are stale.

        A lock counts as stale when it is older than ``older_than`` seconds and was created no
        earlier than ``not_before`` (a UNIX time). Returns the paths removed.
        """
        removed: list[str] = []
        now = time.time()
        for rel in [*(f"{name}.lock" for name in names), "packed-refs.lock"]:
            path = self.git_dir / rel
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if mtime >= not_before and now - mtime >= older_than:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(str(path))
        return removed

    def lock_files(self) -> list[tuple[str, float]]:
        """Every ``*.lock`` file under refs/ and the packed-refs lock, with its age in seconds."""
        found: list[tuple[str, float]] = []
        now = time.time()
        candidates = [self.git_dir / "packed-refs.lock", *(self.git_dir / "refs").rglob("*.lock")]
        for path in candidates:
            try:
                found.append((str(path.relative_to(self.git_dir)), now - path.stat().st_mtime))
            except OSError:
                continue
        return found

    def has_crashed_intent(self) -> bool:
        """Tell whether a gitgate process died while updating refs (its record is still there)."""
        try:
            return (self.git_dir / LOCK_FILE).stat().st_size > 0 and not self.is_write_locked()
        except OSError:
            return False

    def is_write_locked(self) -> bool:
        """Tell whether another process holds gitgate's write lock right now."""
        try:
            fd = os.open(self.git_dir / LOCK_FILE, os.O_RDWR)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False

    def sync_checkout(self, branch: str, old: str, new: str) -> str | None:
        """Bring the working tree along when ``branch`` is checked out here.

        Returns a warning to show the user, or None. Uses ``git read-tree -m -u``: a two-way
        merge that refuses to overwrite local changes, like a fast-forward ``git merge``.
        """
        if self.is_bare or self.head_branch() != branch or self.workdir is None:
            return None
        # Move to the branch's tip as it is now, not to `new`: when two approvals race, the
        # later sync then still ends at the final tip whatever order the two run in.
        latest = self.resolve(f"refs/heads/{branch}") or new
        trees = self._two_way_trees(old, latest, self.workdir)
        if trees is None:
            return None  # nothing differs: nothing to bring along
        proc = self.run_git(["read-tree", "-m", "-u", *trees], cwd=self.workdir, check=False)
        if proc.returncode != 0:
            return (
                f"{branch} is checked out here and has local changes; its working tree was "
                f"not updated (run `git status`, then `git reset --keep {branch}`)"
            )
        return None

    def _two_way_trees(self, old: str, new: str, workdir: Path) -> tuple[str, str] | None:
        """The two trees ``git read-tree -m -u`` merges to take the checkout from old to new.

        Not the whole trees but trees of just the paths that differ: for every path in
        neither of them git's two-way merge keeps the index entry and the file as they are
        (cases 4 and 5 of its table), which is what it does with the whole trees for a path
        both hold alike, so each path comes out exactly as with the whole trees, local
        changes refused alike; yet git no longer reads two trees of 100,000 entries and
        compares them with the index. With no index yet, git checks out everything
        ("initial checkout"): the whole trees then, as when very many paths differ.
        Returns None when nothing differs.
        """
        old_tree, new_tree = self._peeled_tree(old), self._peeled_tree(new)
        changed = self.changed_paths(old_tree, new_tree)
        if not changed:
            return None
        index = self.git_dir / "index"
        if os.environ.get("GIT_INDEX_FILE"):  # git reads it relative to the working tree
            index = workdir / os.environ["GIT_INDEX_FILE"]
        if len(changed) > NARROW_LIMIT or not index.exists():
            return old, new
        return self._subset_tree(old_tree, changed), self._subset_tree(new_tree, changed)

    def _peeled_tree(self, rev: str) -> str:
        obj = self._repo[rev].peel(pygit2.Tree)
        return str(obj.id)

    # -- notes (always written with git's xx/38 fan-out) --------------------------------------

    def read_note(self, notes_commit: str | None, annotated: str) -> bytes | None:
        """Return the note attached to ``annotated`` in a notes commit, or None."""
        if notes_commit is None:
            return None
        tree = self._repo[self.commit(notes_commit).tree]
        assert isinstance(tree, pygit2.Tree)
        for path in _note_paths(annotated):
            try:
                obj = tree[path]
            except KeyError:
                continue
            if int(obj.filemode) != MODE_TREE:
                return self.read_blob(str(obj.id))
        return None

    def iter_notes(self, notes_commit: str | None) -> Iterator[tuple[str, bytes]]:
        """Yield (annotated object id, note content) for every note in a notes commit."""
        if notes_commit is None:
            return
        tree = self._repo[self.commit(notes_commit).tree]
        assert isinstance(tree, pygit2.Tree)
        yield from self._iter_note_tree(tree, "")

    def _iter_note_tree(self, tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, bytes]]:
        for item in tree:
            name = prefix + (item.name or "")
            if int(item.filemode) == MODE_TREE:
                if len(name) < 40:
                    sub = self._repo[item.id]
                    assert isinstance(sub, pygit2.Tree)
                    yield from self._iter_note_tree(sub, name)
            elif len(name) == 40:
                blob = self._repo[item.id]
                if isinstance(blob, pygit2.Blob):
                    yield name, bytes(blob.data)

    def write_notes(
        self,
        notes_commit: str | None,
        notes: Mapping[str, bytes],
        *,
        message: str,
        who: Identity,
        when: int,
    ) -> str:
        """Write a new notes commit on top of ``notes_commit`` with ``notes`` set; return it.

        libgit2 writes flat notes trees, which at 10,000 notes were ~100x slower to read and
        ~30x slower to update than git's ``xx/38`` fan-out, so the trees are built by hand.
        """
        root = None
        if notes_commit is not None:
            obj = self._repo[self.commit(notes_commit).tree]
            assert isinstance(obj, pygit2.Tree)
            root = obj
        root_builder = (
            self._repo.TreeBuilder(root) if root is not None else self._repo.TreeBuilder()
        )
        by_prefix: dict[str, dict[str, bytes]] = {}
        for annotated, data in notes.items():
            by_prefix.setdefault(annotated[:2], {})[annotated[2:]] = data
            if root_builder.get(annotated) is not None:
                root_builder.remove(annotated)  # drop a flat copy, so one note stays
        for prefix, entries in sorted(by_prefix.items()):
            existing = root_builder.get(prefix)
            sub = None
            if existing is not None and int(existing.filemode) == MODE_TREE:
                sub_obj = self._repo[existing.id]
                assert isinstance(sub_obj, pygit2.Tree)
                sub = sub_obj
            builder = self._repo.TreeBuilder(sub) if sub is not None else self._repo.TreeBuilder()
            for rest, data in entries.items():
                builder.insert(rest, self._repo.create_blob(data), MODE_BLOB)
            root_builder.insert(prefix, builder.write(), MODE_TREE)
        tree = str(root_builder.write())
        parents = [notes_commit] if notes_commit else []
        return self.create_commit(tree, parents, message, who, when)

    # -- worktrees (approved commands run in one) ---------------------------------------------

    @contextlib.contextmanager
    def temporary_worktree(self, commit: str) -> Iterator[tuple[Path, Path]]:
        """A detached worktree at ``commit`` in a temporary directory, removed afterwards.

        Yields the worktree and its administrative directory inside the git dir.
        """
        import tempfile

        with tempfile.TemporaryDirectory(prefix="gitgate-run-") as tmp:
            worktree = Path(tmp) / "worktree"
            self.run_git(["worktree", "add", "--detach", "--quiet", str(worktree), commit])
            admin = Path(
                self.run_git(["rev-parse", "--absolute-git-dir"], cwd=worktree)
                .stdout.decode()
                .strip()
            )
            try:
                yield worktree, admin
            finally:
                self.run_git(["worktree", "remove", "--force", str(worktree)], check=False)
                self.run_git(["worktree", "prune"], check=False)

    def worktree_tree(self, worktree: Path, admin: Path) -> str:
        """The tree of everything in ``worktree`` now (ignored files excluded).

        git is pointed at the worktree's admin dir explicitly: the command that ran there
        could have rewritten the worktree's ``.git`` file to aim git at another repository.
        """
        env = {"GIT_DIR": str(admin), "GIT_WORK_TREE": str(worktree)}
        self.run_git(["add", "-A", "--", "."], env=env, cwd=worktree)
        proc = self.run_git(["write-tree"], env=env, cwd=worktree)
        return proc.stdout.decode().strip()

    # -- identity --------------------------------------------------------------------------

    def user_email(self) -> str | None:
        """git's ``user.email`` as configured for this repository."""
        return self.config_get("user.email")

    # -- the git CLI -----------------------------------------------------------------------

    def gc_auto(self) -> None:
        """Let git pack loose objects when it thinks it should (`git gc --auto`, which returns
        at once below its thresholds and otherwise detaches into the background). Best effort:
        housekeeping never fails a decision."""
        import subprocess

        with contextlib.suppress(OSError, subprocess.SubprocessError, GitError):
            self.run_git(["gc", "--auto", "--quiet"], check=False, timeout=60)

    def run_git(
        self,
        args: Sequence[str],
        *,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        check: bool = True,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git`` against this repository (also for push/fetch/hook plumbing)."""
        import subprocess

        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env.setdefault("GIT_TERMINAL_PROMPT", "0")
        cmd = ["git"]
        if cwd is None:
            cmd.append(f"--git-dir={self.git_dir}")
        cmd.extend(args)
        _log().debug("running %s", cmd)
        try:
            proc = subprocess.run(
                cmd,
                input=stdin if stdin is not None else b"",
                capture_output=True,
                env=full_env,
                cwd=str(cwd) if cwd else None,
                check=False,
                timeout=timeout,
            )
        except FileNotFoundError as err:
            raise GitError("git is not installed or not on PATH", hint="install git") from err
        except subprocess.TimeoutExpired as err:
            raise GitError(f"git {args[0]} timed out") from err
        if check and proc.returncode != 0:
            raise GitError(f"git {args[0]} failed: {_first_lines(proc.stderr)}")
        return proc

    # -- export support ----------------------------------------------------------------------

    def diff_is_plain(self) -> bool:
        """Whether ``stream_diff`` prints files as their bytes, nothing configured in between.

        Attributes (``$GIT_DIR/info/attributes``, a work tree's ``.gitattributes`` when
        ``core.worktree`` points somewhere) can mark files binary or give them diff drivers,
        and ``core.bigFileThreshold`` makes big files binary; when none is set, a generated
        diff of added files equals git's (``diffgen``).
        """
        info = self.git_dir / "info" / "attributes"
        if (info.exists() and info.stat().st_size) or (self.git_dir / ".gitattributes").exists():
            return False
        return self.config_get("core.worktree") is None and (
            self.config_get("core.bigFileThreshold") is None
        )

    def stream_diff(
        self,
        old: str,
        new: str,
        *,
        paths: Sequence[str] | None = None,
        leave_out: Sequence[str] = (),
    ) -> Iterator[bytes]:
        """Stream ``git diff -M --full-index`` between two commits, in chunks of up to 1 MiB.

        Output options that user config could change (algorithm, prefixes, context, quoting,
        order, attributes) are pinned, so the same commits always give the same bytes: export
        bundles are compared by checksum. Binary files show as ``Binary files ... differ``.
        git runs in its own process, so it computes while the caller handles the chunks.

        Args:
            old: the old commit or tree.
            new: the new commit or tree.
            paths: when given, only these exact paths (literal pathspecs).
            leave_out: exact paths the diff must not show (a rename from one of them then
                shows as an addition). Keep both lists short enough for one command line.

        Raises:
            GitError: when git fails.
        """
        import subprocess
        import tempfile

        if paths is not None and not paths:
            return
        pathspecs = [f":(literal){p}" for p in paths or ()]
        pathspecs += [f":(exclude,literal){p}" for p in leave_out]
        cmd = [
            "git",
            f"--git-dir={self.git_dir}",
            *_PINNED_DIFF_CONFIG,
            "diff",
            *_PINNED_DIFF_OPTIONS,
            old,
            new,
            "--",
            *pathspecs,
        ]
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ATTR_NOSYSTEM": "1"}
        with tempfile.TemporaryFile() as errors:
            # stderr to a file: a full stderr pipe would deadlock a long diff. The git dir as
            # cwd: git would read a .gitattributes in the caller's directory otherwise.
            with subprocess.Popen(
                cmd,
                cwd=self.git_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=env,
            ) as proc:
                stdout = proc.stdout
                assert isinstance(stdout, io.BufferedReader)
                while chunk := stdout.read1(1 << 20):
                    yield chunk
                code = proc.wait()
            if code != 0:
                errors.seek(0)
                raise GitError(f"git diff failed: {_first_lines(errors.read())}")

    def is_writable(self) -> bool:
        """Tell whether this process may write objects and refs (not on a read-only mount)."""
        return all(os.access(self.git_dir / sub, os.W_OK) for sub in (".", "objects", "refs"))

    # -- remote support ----------------------------------------------------------------------

    def diff_notes(
        self, old: str | None, new: str | None
    ) -> list[tuple[str, bytes | None, bytes | None]]:
        """The notes that differ between two notes commits: (annotated id, old note, new note).

        None on one side means the note is absent there. Subtrees with equal ids are skipped,
        so the cost follows the change, not the number of notes (the hook and notes merging
        depend on that). Any fan-out (flat, ``xx/38``, deeper) is understood on both sides.
        """
        sides: dict[str, list[str | None]] = {}
        self._diff_note_trees(self._notes_tree(old), self._notes_tree(new), "", sides)
        return note_changes(sides, self.read_blob)

    def _notes_tree(self, notes_commit: str | None) -> pygit2.Tree | None:
        if notes_commit is None:
            return None
        tree = self._repo[self.commit(notes_commit).tree]
        assert isinstance(tree, pygit2.Tree)
        return tree

    def _diff_note_trees(
        self,
        old: pygit2.Tree | None,
        new: pygit2.Tree | None,
        prefix: str,
        sides: dict[str, list[str | None]],
    ) -> None:
        olds = {item.name or "": item for item in old} if old is not None else {}
        news = {item.name or "": item for item in new} if new is not None else {}
        for name in sorted(olds.keys() | news.keys()):
            a, b = olds.get(name), news.get(name)
            if a is not None and b is not None and a.id == b.id:
                continue
            path = prefix + name
            if a is not None and b is not None and _is_subtree(a) and _is_subtree(b):
                self._diff_note_trees(
                    self._note_subtree(a.id), self._note_subtree(b.id), path, sides
                )
                continue
            for side, item in enumerate((a, b)):
                for annotated, blob in self._note_blobs(item, path):
                    sides.setdefault(annotated, [None, None])[side] = blob

    def _note_blobs(self, item: pygit2.Object | None, path: str) -> Iterator[tuple[str, str]]:
        if item is None:
            return
        if _is_subtree(item):
            if len(path) < 40:
                for child in self._note_subtree(item.id):
                    yield from self._note_blobs(child, path + (child.name or ""))
        elif len(path) in (40, 64):
            yield path, str(item.id)

    def _note_subtree(self, oid: pygit2.Oid) -> pygit2.Tree:
        tree = self._repo[oid]
        assert isinstance(tree, pygit2.Tree)
        return tree

    # -- bulk reads for `audit verify`: each object read once, no signature decoded ------------

    def first_parent_chain(self, tip: str | None) -> Iterator[ChainLink]:
        """Yield ``tip`` and its first-parent ancestors, newest first, as :class:`ChainLink`.

        The audit log's shape. ~10x cheaper a commit than :meth:`commit`, which decodes both
        signatures: at 30,000 entries that was a third of `audit verify`.

        Raises:
            GitError: when an object on the chain is missing or not a commit.
        """
        current = tip
        while current is not None:
            link = self._chain_link(current)
            if link is None:
                raise GitError(f"no such commit: {current}")
            yield link
            current = link.parents[0] if link.parents else None

    def read_commit_links(self, oids: Iterable[str]) -> dict[str, ChainLink]:
        """The commits among ``oids`` that exist, as :class:`ChainLink` (others left out)."""
        found: dict[str, ChainLink] = {}
        for oid in oids:
            if oid not in found:
                link = self._chain_link(oid)
                if link is not None:
                    found[oid] = link
        return found

    def _chain_link(self, oid: str) -> ChainLink | None:
        # Full ids only: a hostile entry's "abc1" must not resolve as a prefix.
        if not _is_full_hex(oid):
            return None
        try:
            obj = self._repo[oid]
        except (KeyError, ValueError, pygit2.GitError):
            return None
        if not isinstance(obj, pygit2.Commit):
            return None
        return ChainLink(
            oid=str(obj.id),
            tree=str(obj.tree_id),
            parents=tuple(str(p) for p in obj.parent_ids),
            message=_message_of(obj),
        )

    def note_blob_ids(self, notes_commit: str | None) -> Iterator[NoteEntry]:
        """Every note of a notes commit with its blob id and mode, reading trees only.

        The same notes :meth:`iter_notes` yields (any fan-out; a 40-character path is a note),
        plus entries of other kinds there, so a caller can refuse them. Comparing blob ids with
        the hash of the expected bytes is the byte-for-byte test without reading 10,000 blobs.
        """
        if notes_commit is None:
            return
        root = self._repo[self.commit(notes_commit).tree]
        assert isinstance(root, pygit2.Tree)
        # An explicit stack: a hostile notes tree may nest deep (names are bounded by 40 chars).
        stack: list[tuple[pygit2.Tree, str]] = [(root, "")]
        while stack:
            tree, prefix = stack.pop()
            for item in tree:
                name = prefix + (item.name or "")
                mode = int(item.filemode)
                if mode == MODE_TREE:
                    if len(name) < 40:
                        stack.append((self._note_subtree(item.id), name))
                elif len(name) == 40:
                    yield NoteEntry(annotated=name, blob=str(item.id), mode=mode)

    def blob_id(self, data: bytes) -> str:
        """The id ``data`` has (or would have) as a blob here, without writing it."""
        return str(pygit2.hash(data))

    def first_parent_chain_batched(
        self, tip: str | None, *, direct: int | None = None
    ) -> Iterator[ChainLink]:
        """:meth:`first_parent_chain`, the same links, read by git in a process of its own.

        Reading 30,000 audit commits through libgit2 (inflating each from the pack) was half
        a second of `audit verify`'s one core; ``git rev-list --first-parent | git cat-file
        --batch`` does it on another while the caller decodes. Nothing is taken on git's
        word: each link comes from the commit's own bytes (replace refs off), and its first
        parent must be the next commit git sends. When it is not (grafts, a commit-graph
        out of step, a missing object), or a commit is not in git's plain layout (other
        headers, a message not UTF-8), that commit and the rest of the walk are libgit2's.
        The first ``direct`` links (:data:`BATCH_AFTER`) are read here: starting two
        processes costs more than reading a short chain; so is all of it when libgit2's
        cache is likely warm (see :meth:`_git_reads_faster`).
        """
        if not self._git_reads_faster("chain"):
            yield from self.first_parent_chain(tip)
            return
        expected = tip
        for _ in range(BATCH_AFTER if direct is None else direct):
            if expected is None:
                return
            link = self._chain_link(expected)
            if link is None:
                raise GitError(f"no such commit: {expected}")
            yield link
            expected = link.parents[0] if link.parents else None
        if expected is not None and _is_full_hex(expected) and not self._has_grafts():
            expected = yield from self._batched_links(expected)
        if expected is not None:
            yield from self.first_parent_chain(expected)

    # What git has read for this store in batches (each kind once; see below).
    _read_by_git: frozenset[str] = frozenset()

    def _git_reads_faster(self, kind: str) -> bool:
        """Tell whether to let git read many commits of ``kind`` (True once per store).

        In a new process libgit2's object cache is cold and inflating each commit is the
        cost, which git pays on another core. Once libgit2 has read them (the next time),
        its cache answers faster than any pipe: a long-running server verifies from it.
        Objects git may find elsewhere than libgit2 (environment overrides) rule it out.
        """
        if kind in self._read_by_git or any(os.environ.get(name) for name in _OBJECT_ENV):
            return False
        self._read_by_git = self._read_by_git | {kind}
        return True

    def _has_grafts(self) -> bool:
        """Tell whether libgit2 would rewrite parents here (``info/grafts``, ``shallow``)."""
        return (self.git_dir / "info" / "grafts").exists() or (self.git_dir / "shallow").exists()

    def _batched_links(self, tip: str) -> Generator[ChainLink, None, str | None]:
        """Yield links from git's walk while they agree with the commits; return the commit
        to go on from (None: the walk reached the root)."""
        import subprocess

        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1"}
        git = ["git", "--no-replace-objects", f"--git-dir={self.git_dir}"]
        expected: str | None = tip
        try:
            lister = subprocess.Popen(
                [*git, "rev-list", "--first-parent", tip, "--"],
                cwd=self.git_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            return expected
        with lister:
            try:
                reader = subprocess.Popen(
                    [*git, "cat-file", "--batch", "--buffer"],
                    cwd=self.git_dir,
                    stdin=lister.stdout,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            except OSError:
                lister.kill()
                return expected
            assert lister.stdout is not None
            lister.stdout.close()  # the reader holds it now
            with reader:
                out = reader.stdout
                assert out is not None
                try:
                    while expected is not None:
                        header = out.readline().split()
                        if len(header) != 3 or header[0] != expected.encode():
                            break  # the end of git's walk, a missing object, or another path
                        size = int(header[2]) if header[2].isdigit() else -1
                        raw = out.read(size + 1) if size >= 0 else b""
                        if len(raw) != size + 1 or not raw.endswith(b"\n"):
                            break  # cut short (git stopped): libgit2 reads from here
                        plain = header[1] == b"commit"
                        link = _plain_commit(expected, raw[:-1]) if plain else None
                        link = link or self._chain_link(expected)
                        if link is None:
                            break  # not a commit: first_parent_chain says so
                        yield link
                        expected = link.parents[0] if link.parents else None
                finally:
                    reader.kill()
                    lister.kill()
        return expected

    def read_commit_links_later(
        self, oids: Iterable[str], *, direct: int | None = None
    ) -> Callable[[], dict[str, ChainLink]]:
        """Start reading commits; the function returned waits and gives what
        :meth:`read_commit_links` gives for ``oids``.

        Many commits are read by ``git cat-file --batch`` in a process of its own (so the
        caller works meanwhile), each link from the commit's own bytes as in
        :meth:`first_parent_chain_batched`; what git does not answer plainly (a missing
        object, another type, another layout) libgit2 reads. Fewer than ``direct``
        (:data:`BATCH_AFTER`) commits, or any when libgit2's cache is likely warm (see
        :meth:`_git_reads_faster`), are read here, at once.
        """
        import subprocess

        wanted = list(dict.fromkeys(oids))
        asked = [oid for oid in wanted if _is_full_hex(oid)]  # a name would be a revision
        few = len(asked) < (BATCH_AFTER if direct is None else direct)
        if few or self._has_grafts() or not self._git_reads_faster("commits"):
            return lambda: self.read_commit_links(wanted)
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1"}
        git = ["git", "--no-replace-objects", f"--git-dir={self.git_dir}"]
        try:
            proc = subprocess.Popen(
                [*git, "cat-file", "--batch", "--buffer"],
                cwd=self.git_dir,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            return lambda: self.read_commit_links(wanted)
        answer: list[bytes] = []
        request = "".join(f"{oid}\n" for oid in asked).encode()
        worker = threading.Thread(
            target=lambda: answer.append(proc.communicate(request)[0]), daemon=True
        )
        worker.start()

        def result() -> dict[str, ChainLink]:
            worker.join()
            plain = _batch_commits(answer[0] if answer else b"", asked)
            found: dict[str, ChainLink] = {}
            for oid in wanted:
                link = plain.get(oid) or self._chain_link(oid)
                if link is not None:
                    found[oid] = link
            return found

        return result


MAX_STAT_FILES = 100
# Commits a chain walk reads through libgit2 before it asks git for the rest (~5 ms to start
# two processes, ~15 µs a commit read here).
BATCH_AFTER = 512
# Narrowing costs ~40 µs a changed path; a full tree diff ~55 ns a file: past this many
# changed paths narrowing only pays in very large trees, and a big change costs more anyway.
NARROW_LIMIT = 1_000
# A directory level with at least this many entries on both sides is compared by git in C
# (one process, ~2-3 ms) rather than read entry by entry in Python (~2 µs an entry).
WIDE_TREE = 2_000


# Everything in a user's or system config (or a stray .gitattributes in the current directory)
# that could change `git diff` bytes is pinned: bundles are compared by checksum.
_Side = tuple[str, int] | None  # (object id, mode) of a non-tree entry, or None: absent


def _walk_tree_changes(
    repo: pygit2.Repository, old: str, new: str, wide: _LevelDiff | None = None
) -> Iterator[tuple[str, _Side, _Side]]:
    """Every changed non-tree path between two trees, in path order: (path, before, after).

    Equal subtrees are skipped by id. A path whose entry changes kind (file, symlink,
    submodule) comes out twice, deleted then added, as in libgit2's diff. Paths sort as git
    sorts them (a directory as its name plus "/"), which is plain string order of the full
    paths. An explicit stack, not recursion: a hostile tree may nest thousands deep.
    ``wide`` compares one level of two wide directories (see :data:`WIDE_TREE`).
    """
    stack = [_merged_entries(repo, old, new, "", wide)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        path, x, y = item
        if (x is not None and x[1] == MODE_TREE) or (y is not None and y[1] == MODE_TREE):
            old_sub = str(x[0]) if x is not None else None
            new_sub = str(y[0]) if y is not None else None
            stack.append(_merged_entries(repo, old_sub, new_sub, path + "/", wide))
            continue
        before = (str(x[0]), x[1]) if x is not None else None
        after = (str(y[0]), y[1]) if y is not None else None
        if before and after and _mode_kind(before[1]) != _mode_kind(after[1]):
            yield path, before, None
            yield path, None, after
        else:
            yield path, before, after


# libgit2 keeps parsed trees in its object cache only up to 4 KiB (about 100 entries), so a
# wide directory was inflated and parsed again on every lookup (~10-50 ms at 100,000 entries,
# dozens of lookups per proposal). Trees are immutable by id, so caching them is always safe;
# the cache as a whole stays bounded by libgit2's total (256 MiB by default).
TREE_CACHE_LIMIT = 16 << 20
_tree_cache_set = [False]


def _cache_large_trees() -> None:
    if not _tree_cache_set[0]:
        pygit2.settings.cache_object_limit(pygit2.enums.ObjectType.TREE, TREE_CACHE_LIMIT)
        _tree_cache_set[0] = True


def _mode_kind(mode: int) -> int:
    return mode & 0o170000


_Keyed = tuple[pygit2.Oid, int, str]  # an entry's id, mode and name
# One level of two trees compared elsewhere: (name, old entry, new entry) of each entry that
# differs, in sort-key order (GitStore._level_diff: git's diff-tree, in C).
_LevelDiff = Callable[[str, str], list[tuple[str, "_Keyed | None", "_Keyed | None"]]]


def _merged_entries(
    repo: pygit2.Repository,
    old: str | None,
    new: str | None,
    prefix: str,
    wide: _LevelDiff | None = None,
) -> Iterator[tuple[str, _Keyed | None, _Keyed | None]]:
    """The entries of one directory on both sides that differ, merged in sort-key order."""
    a_tree, b_tree = _tree_or_none(repo, old), _tree_or_none(repo, new)
    if (
        wide is not None
        and a_tree is not None
        and b_tree is not None
        and min(len(a_tree), len(b_tree)) >= WIDE_TREE
    ):
        # Python spends ~2 µs an entry reading a level; a directory of 100,000 files where one
        # changed would cost 0.2 s a side. git compares the two levels in C and lists only the
        # entries that differ (when one side is small, most entries differ anyway).
        assert old is not None and new is not None
        for name, x, y in wide(old, new):
            yield prefix + name, x, y
        return
    a = _keyed_entries(a_tree)
    b = _keyed_entries(b_tree)
    for key in sorted(a.keys() | b.keys()):
        x, y = a.get(key), b.get(key)
        if x is not None and y is not None and x[0] == y[0] and x[1] == y[1]:
            continue
        entry = x if x is not None else y
        assert entry is not None
        yield prefix + entry[2], x, y


def _tree_or_none(repo: pygit2.Repository, tree: str | None) -> pygit2.Tree | None:
    if tree is None:
        return None
    obj = repo[tree]
    assert isinstance(obj, pygit2.Tree)
    return obj


def _keyed_entries(obj: pygit2.Tree | None) -> dict[str, _Keyed]:
    # A subtree keys as "name/": "a.txt" < "a/" < "a0" is git's order and full-path order.
    if obj is None:
        return {}
    keyed: dict[str, _Keyed] = {}
    for entry in obj:
        mode = int(entry.filemode)  # read once: pygit2 builds an enum on every access
        name = entry.name or ""
        keyed[name + "/" if mode == MODE_TREE else name] = (entry.id, mode, name)
    return keyed


# `git diff-tree` must list every changed entry whatever the configuration: no renames, no
# order file, and no submodule hidden by an `ignore` setting (.gitmodules in a working tree
# or HEAD can say `ignore = all`, which would hide a gitlink being added or moved).


def _level_entries(
    records: Sequence[tuple[int, int, str, str, str]],
) -> list[tuple[str, _Keyed | None, _Keyed | None]]:
    """One level's raw records as :func:`_merged_entries` yields them, in sort-key order.

    A record that pairs a tree with a non-tree (git lists them apart, as "p" and "p/" sort
    apart) is split, so a directory is only ever compared with a directory.
    """
    keyed: list[tuple[str, str, _Keyed | None, _Keyed | None]] = []
    for old_mode, new_mode, old_id, new_id, name in records:
        x = (pygit2.Oid(hex=old_id), old_mode, name) if old_mode else None
        y = (pygit2.Oid(hex=new_id), new_mode, name) if new_mode else None
        if x is not None and y is not None and (old_mode == MODE_TREE) != (new_mode == MODE_TREE):
            keyed.append((_sort_key(name, old_mode), name, x, None))
            keyed.append((_sort_key(name, new_mode), name, None, y))
        else:
            keyed.append((_sort_key(name, old_mode or new_mode), name, x, y))
    keyed.sort(key=lambda item: item[0])
    return [(name, x, y) for _key, name, x, y in keyed]


def _sort_key(name: str, mode: int) -> str:
    return name + "/" if mode == MODE_TREE else name


_PINNED_DIFF_CONFIG = (
    "-c",
    "core.quotePath=true",
    "-c",
    "diff.suppressBlankEmpty=false",
    "-c",
    "core.attributesFile=/dev/null",
)
_PINNED_DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--diff-algorithm=myers",
    "--indent-heuristic",
    "--unified=3",
    "--inter-hunk-context=0",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "-M",
    "-l1000",
    "--full-index",
    "--submodule=short",
    "--ignore-submodules=none",
    "-O/dev/null",
)


def _stat_format(n_files: int) -> DiffStatsFormat:
    # A per-file diffstat of a 10,000-file proposal would swamp the note; give totals then.
    if n_files > MAX_STAT_FILES:
        return DiffStatsFormat.SHORT
    return DiffStatsFormat.FULL | DiffStatsFormat.INCLUDE_SUMMARY


def _file_diff(delta: pygit2.DiffDelta) -> FileDiff:
    status = _STATUS_NAMES.get(delta.status, "modified")
    old_path = delta.old_file.path if status in ("renamed", "copied") else None
    return FileDiff(
        path=delta.new_file.path if status != "deleted" else delta.old_file.path,
        change=status,
        old_path=old_path,
        mode=int(delta.new_file.mode),
        old_mode=int(delta.old_file.mode),
        oid=str(delta.new_file.id),
        old_oid=str(delta.old_file.id),
    )


def _short(oid: str | None) -> str:
    return oid[:12] if oid else "nothing"


def _writes_below(node: _Node) -> bool:
    """Whether any edit below ``node`` writes an entry (rather than deleting one)."""
    stack = list(node.children.values())
    while stack:
        child = stack.pop()
        if child.is_leaf and child.entry is not None:
            return True
        stack.extend(child.children.values())
    return False


def _is_subtree(item: pygit2.Object) -> bool:
    return int(item.filemode) == MODE_TREE


def _not_owned(git_dir: Path) -> NotARepository:
    """git's "dubious ownership" refusal, said plainly: who owns it, and what to run instead."""
    import pwd  # only here: Unix-only, and only needed for this message

    uid = git_dir.stat().st_uid
    try:
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        owner = f"#{uid}"
    path = str(git_dir).rstrip("/")
    return NotARepository(
        f"{path} belongs to {owner} (uid {uid}), not to the user running gitgate: "
        "git refuses to work in a repository another user owns (dubious ownership)",
        hint=f"run gitgate as its owner: `sudo -u {owner} gitgate ...` (files written as "
        f"another user can lock {owner} out of its own repository); to only read it, "
        f"`git config --global --add safe.directory {path}`",
    )


# Environment that makes git read objects from elsewhere than libgit2 (a hook's quarantine,
# alternates, another repository): batched reads are then left to libgit2.
_OBJECT_ENV = (
    "GIT_DIR",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_QUARANTINE_PATH",
)


def _batch_commits(output: bytes, asked: Sequence[str]) -> dict[str, ChainLink]:
    """The commits in plain layout among ``git cat-file --batch``'s answers to ``asked``
    (in order; it stops at the first answer that is not about the id asked)."""
    found: dict[str, ChainLink] = {}
    at = 0
    for oid in asked:
        eol = output.find(b"\n", at)
        header = output[at:eol].split() if eol >= 0 else []
        if not header or header[0] != oid.encode():
            break
        if len(header) != 3:  # "<oid> missing" and the like
            at = eol + 1
            continue
        size = int(header[2]) if header[2].isdigit() else -1
        end = eol + 1 + size
        if size < 0 or output[end : end + 1] != b"\n":
            break  # cut short (git stopped): libgit2 reads the rest
        if header[1] == b"commit":
            link = _plain_commit(oid, output[eol + 1 : end])
            if link is not None:
                found[oid] = link
        at = end + 1
    return found
