"""GitReader: a read-only view of a repository through git's own plumbing, without pygit2.

Why it exists: the pre-receive hook runs once per push and only reads, and importing pygit2
(libgit2, OpenSSL, a hundred enums) was ~65 ms of a ~150 ms hook. So the hook reads objects
through one long-running ``git cat-file --batch`` and asks git itself for refs, config,
ancestry and tree diffs.

It answers exactly as :class:`gitgate.store.gitstore.GitStore` (libgit2) would, and the tests
compare the two. Objects are parsed here only in git's plain layout (see
:mod:`gitgate.store.gitobjects`): a commit with other headers or encodings, a tree out of order or
with odd modes or names, a repository with grafts, a ref outside ``refs/``: each of those
calls is handed to a GitStore, opened (and pygit2 imported) only then. Git is always run
with replace objects off, as libgit2 reads: a ``refs/replace`` ref must not change what the
hook sees.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence

from gitgate.errors import GitError, NotARepository
from gitgate.store import gitproc
from gitgate.store.gitobjects import (
    MODE_GITLINK,
    MODE_TREE,
    PAIRS_DIFF_ARGS,
    ChainLink,
    CommitInfo,
    PlainTreeItem,
    TreeEntry,
    first_lines,
    is_full_hex,
    note_changes,
    note_paths,
    paths_of_pairs,
    plain_commit,
    plain_commit_info,
    plain_config_value,
    plain_tree,
)

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import IO, Concatenate, ParamSpec, TypeVar

    from gitgate.store.gitstore import GitStore

    _P = ParamSpec("_P")
    _R = TypeVar("_R")

# Commits a breadth-first ancestry check reads here before it asks ``git merge-base``, which
# has the commit-graph's generation numbers: a "no" otherwise costs the whole history.
ANCESTRY_STEPS = 64
# Ref names read from the files here (others: libgit2); see _is_plain_ref_name.
_PLAIN_REF = re.compile(r"refs/[A-Za-z0-9_./-]+")
# Objects read through the pipe before libgit2 reads the rest (see _past_budget_to_libgit2):
# ~70 ms to import it, and then ~60 us less a commit of a big push.
READ_BUDGET = 600
# Objects kept once read (a push judgement reads the same commits and trees many times).
_CACHE_OBJECTS = 4096
_CACHE_BYTES = 64 << 10  # larger objects are read again when asked again
# Trees larger than this (~5,000 entries) are libgit2's: it parses a wide directory in C
# about a hundred times faster than Python would, which pays for importing it.
_PLAIN_TREE_BYTES = 256 << 10


def _past_budget_to_libgit2(
    method: Callable[Concatenate[GitReader, _P], _R],
) -> Callable[Concatenate[GitReader, _P], _R]:
    """Past :data:`READ_BUDGET` objects read through the pipe, the same call goes to libgit2.

    A big push (a pending branch of hundreds of commits) reads thousands of objects, each a
    round trip through the pipe and a parse in Python, where libgit2 reads one in C in a
    fraction of that: once importing it is the cheaper way, every further read is its. Both
    answer alike, so the judgement does not change when the reader switches.
    """
    name = method.__name__

    def dispatch(self: GitReader, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if self._reads > READ_BUDGET:
            result: _R = getattr(self._libgit2(), name)(*args, **kwargs)
            return result
        return method(self, *args, **kwargs)

    dispatch.__name__, dispatch.__doc__ = name, method.__doc__
    return dispatch


class _NotPlain(Exception):
    """Something this reader leaves to libgit2 (see the module docstring)."""


class GitReader:
    """Read-only repository access through git's plumbing (see the module docstring)."""

    def __init__(self, git_dir: str | os.PathLike[str]) -> None:
        # A str, not a Path: pathlib (and the urllib and ipaddress it imports) is ~5 ms of
        # a hook's start-up.
        self._git_dir = os.path.abspath(git_dir)
        self._batch: gitproc.Reader | None = None
        self._objects: dict[str, tuple[bytes, bytes]] = {}
        self._refs: dict[str, str | None] = {}
        self._config: dict[str, str | None] = {}
        self._config_asked: dict[str, gitproc.Running] = {}  # prefetch_config, not yet read
        self._trees: dict[str, dict[str, PlainTreeItem] | None] = {}
        self._commits: dict[str, CommitInfo] = {}
        self._reads = 0
        self._store: GitStore | None = None
        self._files_backend: bool | None = None
        self._packed: bytes | None = None
        self._grafts = self._exists("info/grafts") or self._exists("shallow")

    @classmethod
    def open_from_env(cls, path: str | os.PathLike[str] = ".") -> GitReader:
        """Open as git's environment says, as :meth:`GitStore.open_from_env` does: ``GIT_DIR``
        when set (inside a hook; quarantined objects are found through the environment),
        else the repository at or above ``path``."""
        named = os.environ.get("GIT_DIR")
        if named:
            return cls(named)
        proc = _run(["git", "-C", os.fspath(path), "rev-parse", "--absolute-git-dir"])
        if proc.returncode != 0:
            raise GitError(f"not a git repository: {path}: {first_lines(proc.stderr)}")
        return cls(os.fsdecode(proc.stdout.rstrip(b"\n")))

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> GitReader:
        """The repository at or above ``path``, found as :meth:`GitStore.open` finds it
        (the environment's ``GIT_DIR`` is not consulted).

        Raises:
            NotARepository: when there is none.
        """
        env = {k: v for k, v in _env().items() if k not in _DISCOVERY_ENV}
        proc = None
        if os.path.isdir(path):
            proc = _run(["git", "-C", os.fspath(path), "rev-parse", "--absolute-git-dir"], env=env)
        if proc is None or proc.returncode != 0:
            raise NotARepository(
                f"not a git repository: {path}",
                hint="run gitgate inside a repository, or pass -C PATH",
            )
        return cls(os.fsdecode(proc.stdout.rstrip(b"\n")))

    def start(self) -> None:
        """Start the object reader now, not at the first read: git's own start (its config,
        the pack indexes) then runs beside whatever the caller does before reading."""
        self._batch_pipes()

    def prefetch_config(self, key: str) -> None:
        """Read a config value from the repository's own file when it holds it plainly,
        else ask git for it now; :meth:`config_get` reads the answer. git then reads its
        config files beside what the caller does before it needs the value."""
        if key in self._config or key in self._config_asked:
            return
        value = self._config_from_file(key)
        if value is not None:
            self._config[key] = value
        else:
            self._config_asked[key] = gitproc.start(self._git(_config_args(key)), _env())

    def _config_from_file(self, key: str) -> str | None:
        """``key`` from ``<git dir>/config`` when that file sets it in the plain layout and
        nothing can override it: the repository's own file is the last one git reads
        (unless the environment adds settings, or a worktree has its own); None otherwise,
        and then git is asked."""
        if any(name in os.environ for name in _CONFIG_ENV) or self._exists("commondir"):
            return None
        try:
            with open(os.path.join(self._git_dir, "config"), "rb") as file:
                data = file.read(_CONFIG_MAX_BYTES + 1)
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return plain_config_value(text, key) if len(data) <= _CONFIG_MAX_BYTES else None

    def close(self) -> None:
        """Stop the object reader, and reap what was prefetched and not read (also done when
        the process ends)."""
        batch, self._batch = self._batch, None
        if batch is not None:
            batch.close()
        asked, self._config_asked = self._config_asked, {}
        for running in asked.values():
            running.finish()

    def __enter__(self) -> GitReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def git_dir(self) -> str:
        """The repository's git directory (a str: see __init__)."""
        return self._git_dir

    def _exists(self, name: str) -> bool:
        return os.path.exists(os.path.join(self._git_dir, name))

    # -- the reference reader: libgit2, for whatever is not plain ---------------------------

    def _libgit2(self) -> GitStore:
        if self._store is None:
            from gitgate.store.gitstore import GitStore

            self._store = GitStore.open_from_env(self._git_dir)
        return self._store

    # -- config and refs ---------------------------------------------------------------------

    def config_get(self, key: str) -> str | None:
        """Read a git config value (the last one, as libgit2 and ``git config`` do), or None."""
        if key not in self._config:
            asked = self._config_asked.pop(key, None)
            plain = self._config_from_file(key) if asked is None else None
            if plain is not None:
                self._config[key] = plain
                return plain
            proc = (
                asked.finish()
                if asked is not None
                else self.run_git(_config_args(key), check=False)
            )
            if proc.returncode == 1:  # not set
                self._config[key] = None
            elif proc.returncode != 0:
                raise GitError(f"git config failed: {first_lines(proc.stderr)}")
            else:
                self._config[key] = os.fsdecode(proc.stdout.removesuffix(b"\0"))
        return self._config[key]

    def resolve(self, ref: str) -> str | None:
        """Return the id a ref points at (symbolic refs followed), or None when it does not
        exist. Read once: a judgement sees one state of each ref."""
        if not ref.startswith("refs/"):
            return self._libgit2().resolve(ref)
        if ref not in self._refs:
            try:
                self._refs[ref] = self._ref_from_files(ref)
            except _NotPlain:
                self._refs[ref] = self._libgit2().resolve(ref)
        return self._refs[ref]

    def _ref_from_files(self, ref: str, depth: int = 0) -> str | None:
        """A ref read as git's files backend stores it: a loose file, else ``packed-refs``.

        Two file reads where a process would cost milliseconds. Anything this does not read
        plainly (reftable, a worktree's common dir, an odd name, a symlink, a chain of
        symbolic refs, a file of another shape) raises _NotPlain, and libgit2 answers.
        """
        if depth > 2 or not _is_plain_ref_name(ref):
            raise _NotPlain(ref)
        value = self._loose_file(ref)
        if value is None:
            return self._packed_ref(ref)
        if value.startswith(b"ref: "):
            target = self._ref_from_files(value[5:].decode("ascii", "replace"), depth + 1)
            if target is None:  # as libgit2, which cannot resolve it
                raise GitError(f"{ref} points at {value[5:]!r}, which does not exist")
            return target
        if not is_full_hex(value.decode("ascii", "replace")):
            raise _NotPlain(ref)
        return value.decode()

    def _loose_file(self, name: str) -> bytes | None:
        """A ref file of the files backend (its content, without the newline), or None when
        there is none; raises _NotPlain where this reader does not read refs as files."""
        if not self._is_files_backend():
            raise _NotPlain(name)
        path = os.path.join(self._git_dir, name)
        try:
            if os.path.islink(path):  # a symbolic ref of old: libgit2's to follow
                raise _NotPlain(name)
            with open(path, "rb") as file:
                return file.read().removesuffix(b"\n")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def _is_files_backend(self) -> bool:
        """Refs as loose files and packed-refs, in this git dir (not reftable, no worktree's
        common dir)."""
        if self._files_backend is None:
            odd = ("reftable", "commondir")
            self._files_backend = not any(self._exists(name) for name in odd)
        return self._files_backend

    def _packed_ref(self, ref: str) -> str | None:
        if self._packed is None:
            try:
                with open(os.path.join(self._git_dir, "packed-refs"), "rb") as file:
                    self._packed = file.read()
            except FileNotFoundError:
                self._packed = b""
            first = self._packed.split(b"\n", 1)[0]
            if self._packed and not first.startswith(b"# pack-refs with:"):
                raise _NotPlain(ref)
        needle = b" " + ref.encode() + b"\n"
        at = self._packed.find(needle)
        if at < 0:
            return None
        start = self._packed.rfind(b"\n", 0, at) + 1
        value = self._packed[start:at].decode("ascii", "replace")
        if not is_full_hex(value):
            raise _NotPlain(ref)
        return value

    def head_branch(self) -> str | None:
        """The branch HEAD points at (short name), even when it has no commits yet."""
        try:
            return self._head_from_file()
        except _NotPlain:
            return self._libgit2().head_branch()

    def _head_from_file(self) -> str | None:
        try:
            value = self._loose_file("HEAD")
        except OSError as err:
            raise _NotPlain("HEAD") from err
        if value is None:
            raise _NotPlain("HEAD")
        if is_full_hex(value.decode("ascii", "replace")):
            return None  # detached
        target = value.removeprefix(b"ref: ").decode("ascii", "replace")
        if not value.startswith(b"ref: ") or not _is_plain_ref_name(target):
            raise _NotPlain("HEAD")
        return target.removeprefix("refs/heads/") if target.startswith("refs/heads/") else None

    def list_refs(self, prefix: str) -> dict[str, str]:
        """All refs whose names start with ``prefix``, with their targets: libgit2's answer
        (the hook lists refs only to tell whether a repository without its policy branch is
        empty; git's listing would skip a broken symbolic ref that libgit2 refuses)."""
        return self._libgit2().list_refs(prefix)

    # -- objects -------------------------------------------------------------------------------

    @_past_budget_to_libgit2
    def has_object(self, oid: str) -> bool:
        """Tell whether an object exists (quarantined ones too, inside a hook)."""
        return self._read(oid) is not None

    @_past_budget_to_libgit2
    def read_blob(self, oid: str) -> bytes:
        """Return a blob's content."""
        found = self._read(oid)
        if found is None:
            raise GitError(f"no such blob: {oid}")
        if found[0] != b"blob":
            raise GitError(f"{oid} is not a blob")
        return found[1]

    @_past_budget_to_libgit2
    def commit(self, oid: str) -> CommitInfo:
        """Describe a commit.

        Raises:
            GitError: when ``oid`` is not a commit.
        """
        info = self._commits.get(oid)
        if info is not None:
            return info
        found = self._read(oid)
        if found is None:
            raise GitError(f"no such commit: {oid}")
        if found[0] != b"commit":
            raise GitError(f"{oid} is not a commit")
        info = plain_commit_info(oid, found[1]) if not self._grafts else None
        if info is None:
            return self._libgit2().commit(oid)  # and with grafts, its parents
        if len(self._commits) >= _CACHE_OBJECTS:
            self._commits.clear()
        self._commits[oid] = info
        return info

    def _link(self, oid: str) -> ChainLink:
        """A commit's tree, parents and message; raises _NotPlain when libgit2 must read it."""
        found = self._read(oid) if not self._grafts else None  # grafts rewrite parents
        link = plain_commit(oid, found[1]) if found and found[0] == b"commit" else None
        if link is None:
            raise _NotPlain(oid)
        return link

    @_past_budget_to_libgit2
    def first_parent_chain_batched(
        self, tip: str | None, *, direct: int | None = None
    ) -> Iterator[ChainLink]:
        """``tip`` and its first-parent ancestors, newest first (what GitStore yields)."""
        del direct  # every link is read through the one cat-file process here
        current = tip
        while current is not None:
            if self._grafts:
                yield from self._libgit2().first_parent_chain(current)
                return
            try:
                link = self._link(current)
            except _NotPlain:
                yield from self._libgit2().first_parent_chain(current)
                return
            yield link
            current = link.parents[0] if link.parents else None

    # -- trees ---------------------------------------------------------------------------------

    @_past_budget_to_libgit2
    def tree_entry(self, tree: str, path: str) -> TreeEntry | None:
        """Return the entry at ``path`` inside ``tree``, or None."""
        try:
            return self._entry(tree, path)
        except _NotPlain:
            return self._libgit2().tree_entry(tree, path)

    def _entry(self, tree: str, path: str) -> TreeEntry | None:
        parts = path.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise _NotPlain(path)
        current = TreeEntry(MODE_TREE, tree)
        for depth, part in enumerate(parts):
            if current.mode != MODE_TREE:
                return None
            kind = self._kind(current.oid)
            if kind is None and depth > 0:  # libgit2 cannot descend: an error, not "absent"
                raise GitError(f"object not found: {current.oid}")
            if kind != b"tree":
                return None  # no tree at all, or a tree's mode on another object: absent
            found = self._tree(current.oid).get(part)
            if found is None:
                return None
            current = TreeEntry(found[1], found[2])
        return current

    def _kind(self, oid: str) -> bytes | None:
        found = self._read(oid)
        return found[0] if found is not None else None

    def _tree(self, oid: str) -> dict[str, PlainTreeItem]:
        """A tree's plain entries by name, in stored order; raises _NotPlain when libgit2
        must read it, GitError when there is no such tree."""
        if oid not in self._trees:
            found = self._read(oid)
            if found is None or found[0] != b"tree":
                raise GitError(f"no such tree: {oid}")
            listed = plain_tree(found[1], len(oid)) if len(found[1]) <= _PLAIN_TREE_BYTES else None
            if len(self._trees) >= _CACHE_OBJECTS:
                self._trees.clear()
            self._trees[oid] = listed
        items = self._trees[oid]
        if items is None:
            raise _NotPlain(oid)
        return items

    @_past_budget_to_libgit2
    def read_path(self, commit: str, path: str) -> bytes | None:
        """Return the content of ``path`` at ``commit``, or None when absent or not a file."""
        entry = self.tree_entry(self.commit(commit).tree, path)
        if entry is None or entry.mode in (MODE_TREE, MODE_GITLINK):
            return None
        return self.read_blob(entry.oid)

    @_past_budget_to_libgit2
    def list_tree(self, tree: str) -> list[tuple[str, TreeEntry]]:
        """The entries of one tree, one level deep (names as stored, subtrees included)."""
        try:
            items = self._tree(tree)
        except _NotPlain:
            return self._libgit2().list_tree(tree)
        return [(name, TreeEntry(mode, oid)) for name, mode, oid in items.values()]

    @_past_budget_to_libgit2
    def changed_paths(self, old: str, new: str) -> list[str]:
        """Paths of the non-tree entries that differ between two trees, in path order (full
        paths sort as git sorts entries), each once; equal subtrees skipped by id."""
        try:
            return self._changed_paths(old, new)
        except _NotPlain:
            return self._libgit2().changed_paths(old, new)

    def _changed_paths(self, old: str, new: str) -> list[str]:
        out: list[str] = []
        stack = [self._differing_entries(old, new, "")]
        while stack:  # not recursion: a hostile tree may nest thousands deep
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
                continue
            path, x, y = item
            if MODE_TREE in (x[1] if x else 0, y[1] if y else 0):  # both, or one alone
                old_sub, new_sub = (x[2] if x else None), (y[2] if y else None)
                stack.append(self._differing_entries(old_sub, new_sub, path + "/"))
            elif not out or out[-1] != path:
                out.append(path)
        return out

    def _differing_entries(
        self, old: str | None, new: str | None, prefix: str
    ) -> Iterator[tuple[str, PlainTreeItem | None, PlainTreeItem | None]]:
        """One level of two trees: the entries that differ, in git's order. A subtree keys as
        its name plus "/", so a file and a subtree of one name are two entries."""
        a, b = (_keyed(self._plain_items(t)) for t in (old, new))
        for key in sorted(a.keys() | b.keys()):
            x, y = a.get(key), b.get(key)
            if x is not None and y is not None and x[1:] == y[1:]:
                continue
            yield prefix + key.removesuffix("/"), x, y

    def changed_paths_of_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[list[str]]:
        """:meth:`changed_paths` of many pairs, with one ``git diff-tree`` (as GitStore)."""
        if not pairs:
            return []
        if not all(is_full_hex(oid) for pair in pairs for oid in pair):
            return self._libgit2().changed_paths_of_pairs(pairs)
        stdin = "".join(f"{old} {new}\n" for old, new in pairs).encode()
        return paths_of_pairs(self.run_git(list(PAIRS_DIFF_ARGS), stdin=stdin).stdout, pairs)

    # -- history -------------------------------------------------------------------------------

    @_past_budget_to_libgit2
    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Tell whether ``ancestor`` is ``descendant`` or one of its ancestors."""
        if ancestor == descendant:
            return True
        if not (is_full_hex(ancestor) and is_full_hex(descendant)):
            return False  # libgit2 cannot parse such an id either
        if self._grafts:
            return self._libgit2().is_ancestor(ancestor, descendant)
        try:
            found = self._search_ancestry(ancestor, descendant)
        except _NotPlain:  # a commit libgit2 must read (or none at all): its answer
            return self._libgit2().is_ancestor(ancestor, descendant)
        if found is not None:
            return found
        # Far: git's own walk, with the commit-graph's generation numbers. Any failure (a
        # missing commit) is a "no", as libgit2's is.
        proc = self.run_git(["merge-base", "--is-ancestor", ancestor, descendant], check=False)
        return proc.returncode == 0

    def _search_ancestry(self, ancestor: str, descendant: str) -> bool | None:
        """Breadth-first from ``descendant``: the answer, or None past :data:`ANCESTRY_STEPS`."""
        if self._read(ancestor) is None:
            return False
        seen = {descendant}
        frontier = [descendant]
        for _ in range(ANCESTRY_STEPS):
            if not frontier:
                return False
            current = frontier.pop(0)
            for parent in self._link(current).parents:
                if parent == ancestor:
                    return True
                if parent not in seen:
                    seen.add(parent)
                    frontier.append(parent)
        return None if frontier else False

    @_past_budget_to_libgit2
    def walk(
        self, tip: str, *, hide: Sequence[str] = (), first_parent: bool = False
    ) -> Iterator[str]:
        """Commit ids reachable from ``tip`` but not from ``hide``, newest first."""
        if self._grafts or not is_full_hex(tip) or not all(is_full_hex(h) for h in hide):
            yield from self._libgit2().walk(tip, hide=hide, first_parent=first_parent)
            return
        try:
            linear = self._linear_walk(tip, [h for h in hide if self.has_object(h)])
        except _NotPlain:
            linear = None
        if linear is not None:
            yield from linear
            return
        if self._read(tip) is None:
            raise GitError(f"no such commit: {tip}")
        args = ["rev-list", *(["--first-parent"] if first_parent else []), tip]
        hidden = [h for h in hide if self.has_object(h)]  # as GitStore.walk: missing ones skipped
        args += [f"^{h}" for h in hidden]
        listed = [line.decode() for line in self.run_git([*args, "--"]).stdout.split(b"\n") if line]
        try:
            for oid in listed:
                self._link(oid)  # git may read a commit libgit2 refuses: then libgit2 walks
        except _NotPlain:
            yield from self._libgit2().walk(tip, hide=hide, first_parent=first_parent)
            return
        yield from listed

    def _linear_walk(self, tip: str, hide: Sequence[str]) -> list[str] | None:
        """The walk when ``tip`` reaches the one commit hidden (or, with none, the root)
        through commits of one parent each, within :data:`ANCESTRY_STEPS`; else None.

        Every commit on such a line descends from the hidden one, so none is reachable from
        it: the line is the whole answer (the usual push: entries appended, one merge).
        """
        if len(hide) > 1:
            return None
        stop = hide[0] if hide else None
        line: list[str] = []
        current = tip
        for _ in range(ANCESTRY_STEPS):
            if current == stop:
                return line
            parents = self._link(current).parents
            line.append(current)
            if len(parents) != 1:
                return line if not parents and stop is None else None
            current = parents[0]
        return None

    # -- notes ---------------------------------------------------------------------------------

    @_past_budget_to_libgit2
    def read_note(self, notes_commit: str | None, annotated: str) -> bytes | None:
        """Return the note attached to ``annotated`` in a notes commit, or None."""
        if notes_commit is None:
            return None
        tree = self.commit(notes_commit).tree
        for path in note_paths(annotated):
            entry = self.tree_entry(tree, path)
            if entry is not None and entry.mode != MODE_TREE:
                return self.read_blob(entry.oid)
        return None

    @_past_budget_to_libgit2
    def diff_notes(
        self, old: str | None, new: str | None
    ) -> list[tuple[str, bytes | None, bytes | None]]:
        """The notes that differ between two notes commits (see GitStore.diff_notes)."""
        trees = [self.commit(c).tree if c is not None else None for c in (old, new)]
        sides: dict[str, list[str | None]] = {}
        try:
            self._diff_note_trees(trees[0], trees[1], "", sides)
        except _NotPlain:
            return self._libgit2().diff_notes(old, new)
        return note_changes(sides, self.read_blob)

    def _plain_items(self, tree: str | None) -> dict[str, PlainTreeItem]:
        return self._tree(tree) if tree is not None else {}

    def _diff_note_trees(
        self, old: str | None, new: str | None, prefix: str, sides: dict[str, list[str | None]]
    ) -> None:
        olds, news = self._plain_items(old), self._plain_items(new)
        for name in sorted(olds.keys() | news.keys()):
            a, b = olds.get(name), news.get(name)
            if a is not None and b is not None and a[2] == b[2]:
                continue
            path = prefix + name
            if a is not None and b is not None and a[1] == MODE_TREE == b[1]:
                self._diff_note_trees(a[2], b[2], path, sides)
                continue
            for side, item in enumerate((a, b)):
                for annotated, blob in self._note_blobs(item, path):
                    sides.setdefault(annotated, [None, None])[side] = blob

    def _note_blobs(self, item: PlainTreeItem | None, path: str) -> Iterator[tuple[str, str]]:
        if item is None:
            return
        _name, mode, oid = item
        if mode == MODE_TREE:
            if len(path) < 40:
                for child in self._plain_items(oid).values():
                    yield from self._note_blobs(child, path + child[0])
        elif len(path) in (40, 64):
            yield path, oid

    # -- git -----------------------------------------------------------------------------------

    def _read(self, oid: str) -> tuple[bytes, bytes] | None:
        """(type, content) of an object, or None when there is none by that full id."""
        if not is_full_hex(oid):
            return None  # never a revision expression: only ids are asked
        cached = self._objects.get(oid)
        if cached is not None:
            return cached
        stdin, stdout = self._batch_pipes()
        self._reads += 1
        try:
            stdin.write(oid.encode() + b"\n")
            stdin.flush()
            header = stdout.readline().split()
            if len(header) == 2 and header[1] == b"missing":
                return None
            if len(header) != 3 or header[0] != oid.encode() or not header[2].isdigit():
                raise GitError(f"git cat-file: unexpected answer for {oid}")
            size = int(header[2])
            data = stdout.read(size + 1)
        except OSError as err:
            self.close()
            raise GitError(f"git cat-file stopped: {err}") from err
        if len(data) != size + 1 or not data.endswith(b"\n"):
            self.close()
            raise GitError(f"git cat-file: {oid} cut short")
        found = (header[1], data[:-1])
        if size <= _CACHE_BYTES:
            if len(self._objects) >= _CACHE_OBJECTS:
                self._objects.clear()
            self._objects[oid] = found
        return found

    def _batch_pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._batch is None:
            self._batch = gitproc.start_reader(self._git(["cat-file", "--batch"]), _env())
        return self._batch.stdin, self._batch.stdout

    def _git(self, args: Sequence[str]) -> list[str]:
        return ["git", "--no-replace-objects", f"--git-dir={self._git_dir}", *args]

    def run_git(
        self, args: Sequence[str], *, stdin: bytes | None = None, check: bool = True
    ) -> gitproc.Finished:
        """Run a git plumbing command against this repository."""
        proc = _run(self._git(args), stdin=stdin)
        if check and proc.returncode != 0:
            raise GitError(f"git {args[0]} failed: {first_lines(proc.stderr)}")
        return proc


# What makes git read config beyond the repository's own file, after it (`-c`, `git -c` of a
# parent process) or instead of it; and the largest file read here.
_CONFIG_ENV = ("GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG")
_CONFIG_MAX_BYTES = 64 << 10


def _config_args(key: str) -> list[str]:
    return ["config", "-z", "--get", key]


def _env() -> dict[str, str]:
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1"}


# What git would take from the environment instead of discovering the repository.
_DISCOVERY_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE")


def _run(
    cmd: list[str], *, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> gitproc.Finished:
    return gitproc.run(cmd, env if env is not None else _env(), stdin or b"")


def _keyed(items: dict[str, PlainTreeItem]) -> dict[str, PlainTreeItem]:
    # "a.txt" < "a/" < "a0": git's order of entries, and the order of full paths.
    return {(i[0] + "/" if i[1] == MODE_TREE else i[0]): i for i in items.values()}


def _is_plain_ref_name(ref: str) -> bool:
    """A name that is valid and names the same file on every filesystem: ASCII letters,
    digits, ``_.-`` between slashes, no empty or dot-led component, no ``..``, no ``.lock``
    or ``.`` at a component's end. Anything else is libgit2's to judge."""
    if not _PLAIN_REF.fullmatch(ref) or ".." in ref:
        return False
    return all(
        part and not part.startswith(".") and not part.endswith((".", ".lock"))
        for part in ref.split("/")
    )
