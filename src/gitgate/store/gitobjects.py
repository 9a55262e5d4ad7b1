"""Git's objects as plain values, and the parsing of their raw bytes: no git access here.

gitstore.py (pygit2, and the git CLI) and gitread.py (git's plumbing alone, for the
pre-receive hook, which must start fast) both hand these out, so the code that judges a push
does not care which one read the repository. Parsing here is deliberately narrow: it reads an
object only when it is in git's plain layout, where libgit2 surely reads the same; anything
else is left to libgit2 (see :func:`plain_commit`, :func:`plain_tree`).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from gitgate.errors import GitError

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"

MODE_TREE = 0o040000
MODE_BLOB = 0o100644
MODE_EXEC = 0o100755
MODE_LINK = 0o120000
MODE_GITLINK = 0o160000
ZERO_OID = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """A blob (or symlink, or submodule) entry as it sits in a tree."""

    mode: int
    oid: str


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a commit is attributed to."""

    name: str
    email: str


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """What gitgate needs to know about one commit."""

    oid: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: Identity
    committer: Identity
    time: int


@dataclass(frozen=True, slots=True)
class ChainLink:
    """A commit as a chain walk needs it: id, tree, parents, message (no signatures)."""

    oid: str
    tree: str
    parents: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class NoteEntry:
    """One note in a notes tree: the object it annotates, its blob's id, and its mode."""

    annotated: str
    blob: str
    mode: int


def is_full_hex(oid: str) -> bool:
    return len(oid) in (40, 64) and not oid.strip("0123456789abcdef")


def note_paths(annotated: str) -> tuple[str, ...]:
    return (
        f"{annotated[:2]}/{annotated[2:]}",
        annotated,
        f"{annotated[:2]}/{annotated[2:4]}/{annotated[4:]}",
    )


def note_changes(
    sides: Mapping[str, Sequence[str | None]], read_blob: Callable[[str], bytes]
) -> list[tuple[str, bytes | None, bytes | None]]:
    """(annotated id, old note, new note) of each note whose blob differs between the two
    sides (blob ids, None where absent), in id order."""
    return [
        (
            annotated,
            read_blob(before) if before else None,
            read_blob(after) if after else None,
        )
        for annotated, (before, after) in sorted(sides.items())
        if before != after
    ]


def plain_commit(oid: str, raw: bytes) -> ChainLink | None:
    """The link libgit2 reads from a commit in git's plain layout (tree, parents, author,
    committer, a UTF-8 message), or None for anything else (libgit2 then reads it).

    libgit2's message is everything after the first empty line, up to a NUL, without
    leading newlines; pygit2 decodes it as UTF-8 (strictly: errors are libgit2's to raise).
    """
    header = _plain_header(len(oid))
    match = header.match(raw) if header is not None else None
    if match is None:
        return None
    end = match.end()
    nul = raw.find(b"\0", end)
    try:
        message = (raw[end:] if nul < 0 else raw[end:nul]).lstrip(b"\n").decode("utf-8")
    except UnicodeDecodeError:
        return None
    step = len(oid) + 8  # "parent " + id + "\n"
    block = match.group(2)
    parents = tuple(block[at + 7 : at + step - 1].decode() for at in range(0, len(block), step))
    return ChainLink(oid=oid, tree=match.group(1).decode(), parents=parents, message=message)


# A header libgit2 surely parses as written, whose signatures are "Name <email> seconds
# +hhmm" (anything else, libgit2 reads itself), by the length of the repository's ids.
_SIGNATURE = rb"[^<>\n]+ <[^<>\n]+> [0-9]{1,12} [+-](?:0[0-9]|1[0-4])[0-5][0-9]"


@functools.cache
def _plain_header(size: int) -> re.Pattern[bytes] | None:
    """The header regex for ids of ``size`` hex digits (compiled on first use)."""
    if size not in (40, 64):
        return None
    return re.compile(
        rb"tree ([0-9a-f]{%d})\n((?:parent [0-9a-f]{%d}\n)*)author (%s)\ncommitter (%s)\n\n"
        % (size, size, _SIGNATURE, _SIGNATURE)
    )


PINNED_TREE_DIFF = ("--no-renames", "-O/dev/null", "--ignore-submodules=none")


def raw_diff_records(
    out: bytes,
) -> Iterator[tuple[bytes | None, tuple[int, int, str, str, str] | None]]:
    """Parse ``git diff-tree -z`` raw output (no renames): header lines and records.

    Yields ``(header, None)`` for each ``--stdin`` header line (``"<a> <b>"``) and
    ``(None, (old mode, new mode, old id, new id, path))`` for each changed entry. Records
    are ``:<mode> <mode> <id> <id> <status>\0<path>\0``; a header ends with a newline and
    holds no NUL, so it is glued to the record that follows it. Paths decode as pygit2
    decodes names (the filesystem encoding, undecodable bytes escaped).

    Raises:
        GitError: on output of any other shape (fail closed: a change must not go unseen).
    """
    fields = out.split(b"\0")
    i = 0
    while i < len(fields):
        *headers, meta = fields[i].split(b"\n")
        for header in headers:
            yield header, None
        if not meta:
            if i != len(fields) - 1:
                raise GitError("git diff-tree: unexpected output")
            return
        parts = meta.split(b" ")
        if len(parts) != 5 or not meta.startswith(b":") or i + 1 >= len(fields):
            raise GitError("git diff-tree: unexpected output")
        old_mode, new_mode = int(parts[0][1:], 8), int(parts[1], 8)
        yield (
            None,
            (old_mode, new_mode, parts[2].decode(), parts[3].decode(), os.fsdecode(fields[i + 1])),
        )
        i += 2


# ``git diff-tree`` over many (old tree, new tree) pairs read from stdin, in one process.
PAIRS_DIFF_ARGS = ("diff-tree", "--stdin", "-r", "-z", "--always", *PINNED_TREE_DIFF)


def paths_of_pairs(output: bytes, pairs: Sequence[tuple[str, str]]) -> list[list[str]]:
    """The changed paths of each pair, from ``git diff-tree`` run with :data:`PAIRS_DIFF_ARGS`.

    Raises:
        GitError: when the output does not account for every pair, in order.
    """
    out: list[list[str]] = []
    for header, record in raw_diff_records(output):
        if header is not None:
            if len(out) >= len(pairs) or header.decode() != " ".join(pairs[len(out)]):
                raise GitError("git diff-tree: output does not match its input")
            out.append([])
        elif record is not None:
            if not out:
                raise GitError("git diff-tree: a change before any header")
            path = record[4]
            if not out[-1] or out[-1][-1] != path:  # a kind change comes out once
                out[-1].append(path)
    if len(out) != len(pairs):
        raise GitError("git diff-tree: output does not match its input")
    return out


def first_lines(stderr: bytes, limit: int = 4) -> str:
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    # every line of git's stderr may start with "error: "; the CLI adds its own prefix
    return "; ".join(ln.removeprefix("error: ") for ln in lines[:limit]) or "(git said nothing)"


# The parts of a plain signature: libgit2 trims the name and e-mail (git__isspace, which
# bytes.strip() strips too) and takes the committer's seconds as the commit's time.
_SIGNATURE_PARTS = re.compile(rb"([^<>\n]+)<([^<>\n]+)> ([0-9]{1,12}) ")


def plain_commit_info(oid: str, raw: bytes) -> CommitInfo | None:
    """:class:`CommitInfo` of a commit in git's plain layout (see :func:`plain_commit`), or
    None when libgit2 must read it (another layout, names or e-mails that are not UTF-8)."""
    link = plain_commit(oid, raw)
    if link is None:
        return None
    header = _plain_header(len(oid))
    match = header.match(raw) if header is not None else None
    assert match is not None  # plain_commit matched the same
    people = []
    for group in (3, 4):
        parts = _SIGNATURE_PARTS.match(match.group(group))
        if parts is None:
            return None
        try:
            name, email = (parts.group(i).strip().decode("utf-8") for i in (1, 2))
        except UnicodeDecodeError:
            return None
        people.append((Identity(name, email), int(parts.group(3))))
    (author, _), (committer, when) = people
    return CommitInfo(
        oid=oid,
        tree=link.tree,
        parents=link.parents,
        message=link.message,
        author=author,
        committer=committer,
        time=when,
    )


# Tree entry modes as git writes them today, and what libgit2's filemode reports for each.
_PLAIN_MODES = {
    b"100644": MODE_BLOB,
    b"100755": MODE_EXEC,
    b"120000": MODE_LINK,
    b"160000": MODE_GITLINK,
    b"40000": MODE_TREE,
}


# One entry of a tree read by :func:`plain_tree`: (name, mode, id). A plain tuple: zip makes
# them in C, where a class would cost a Python call per entry of a wide tree.
PlainTreeItem = tuple[str, int, str]


_PLAIN_TREE_MODES = frozenset(_PLAIN_MODES)


@functools.cache
def _tree_entries(width: int) -> re.Pattern[bytes]:
    # One entry: octal mode, a space, a name without NUL or "/", a NUL, the raw id.
    return re.compile(rb"([0-7]{5,6}) ([^\0/]+)\0(.{%d})" % width, re.DOTALL)


def plain_tree(raw: bytes, oid_size: int) -> dict[str, PlainTreeItem] | None:
    """The entries of a tree in git's plain layout by name, in stored order, or None for
    libgit2.

    Plain means what git itself writes: modes from git's five, names that are non-empty
    UTF-8 without ``/`` and not ``.`` or ``..``, and entries strictly in git's order (a
    subtree sorts as its name plus ``/``), so no name occurs twice. libgit2 finds an entry by
    bisecting on that order; in a tree out of order it may miss one a dict would find, so
    such trees, like every other oddity, are left to libgit2 to read. The entries are split
    by one regex and checked in bulk: a tree of 1,000 entries costs well under a millisecond.
    """
    width = oid_size // 2
    found = _tree_entries(width).findall(raw)
    if not found:
        return {} if not raw else None
    modes, names, ids = zip(*found, strict=True)
    # The matches must tile the whole object, or something else sits between them.
    if sum(map(len, modes)) + sum(map(len, names)) + len(found) * (2 + width) != len(raw):
        return None
    if not _PLAIN_TREE_MODES.issuperset(modes) or b"." in names or b".." in names:
        return None
    keys: Sequence[bytes] = names
    if b"40000" in modes:
        keys = [n + b"/" if m == b"40000" else n for m, n in zip(modes, names, strict=True)]
    if len(set(names)) != len(names) or list(keys) != sorted(keys):
        return None
    try:
        text = b"\0".join(names).decode("utf-8").split("\0")
    except UnicodeDecodeError:
        return None
    items = zip(text, map(_PLAIN_MODES.__getitem__, modes), map(bytes.hex, ids), strict=True)
    return dict(zip(text, items, strict=True))


# A git config file in the plain layout: every line blank or a comment, a section header
# without the old `[a.b]` form, or `name = value` with a value of plain characters (no quotes,
# escapes, continuation or inner whitespace, whose rules git's parser has). Anything else is
# git's to read.
_CONFIG_BLANK = re.compile(r"[ \t]*(?:[#;][^\n]*)?")
_CONFIG_SECTION = re.compile(
    r'[ \t]*\[([A-Za-z0-9-]+)(?:[ \t]+"([A-Za-z0-9._/-]*)")?\][ \t]*(?:[#;][^\n]*)?'
)
_CONFIG_VARIABLE = re.compile(
    r"[ \t]*([A-Za-z][A-Za-z0-9-]*)[ \t]*=[ \t]*([A-Za-z0-9._/@+:,=-]*)[ \t]*(?:[#;][^\n]*)?"
)
# Sections that bring in other files or other config files (a worktree's): git's to read.
_CONFIG_ELSEWHERE = frozenset({"include", "includeif", "extensions"})


def plain_config_value(text: str, key: str) -> str | None:
    """The last value of ``key`` (``section.name``) in a config file's ``text``, as
    ``git config --get`` reads it from that file; None when the file does not hold it or
    is not in the plain layout (then git must be asked, which also reads the other files)."""
    section, dot, name = key.lower().partition(".")
    if not dot or "." in name:
        return None
    found: str | None = None
    current: tuple[str, str | None] | None = None
    for line in text.split("\n"):
        if _CONFIG_BLANK.fullmatch(line):
            continue
        header = _CONFIG_SECTION.fullmatch(line)
        if header is not None:
            current = (header[1].lower(), header[2])
            if current[0] in _CONFIG_ELSEWHERE:
                return None
            continue
        variable = _CONFIG_VARIABLE.fullmatch(line)
        if variable is None or current is None:
            return None
        if current == (section, None) and variable[1].lower() == name:
            found = variable[2]
    return found


if TYPE_CHECKING:  # only annotations use it: a Protocol class costs ~1 ms to create
    from typing import Protocol

    class RepoReader(Protocol):
        """What judging a push reads from a repository: :class:`gitgate.store.gitstore.GitStore` and
        :class:`gitgate.store.gitread.GitReader` both give it, with the same answers."""

        @property
        def git_dir(self) -> str | os.PathLike[str]: ...

        def config_get(self, key: str) -> str | None: ...

        def resolve(self, ref: str) -> str | None: ...

        def head_branch(self) -> str | None: ...

        def list_refs(self, prefix: str) -> dict[str, str]: ...

        def has_object(self, oid: str) -> bool: ...

        def read_blob(self, oid: str) -> bytes: ...

        def commit(self, oid: str) -> CommitInfo: ...

        def tree_entry(self, tree: str, path: str) -> TreeEntry | None: ...

        def read_path(self, commit: str, path: str) -> bytes | None: ...

        def list_tree(self, tree: str) -> list[tuple[str, TreeEntry]]: ...

        def changed_paths(self, old: str, new: str) -> list[str]: ...

        def changed_paths_of_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[list[str]]: ...

        def is_ancestor(self, ancestor: str, descendant: str) -> bool: ...

        def walk(
            self, tip: str, *, hide: Sequence[str] = (), first_parent: bool = False
        ) -> Iterator[str]: ...

        def read_note(self, notes_commit: str | None, annotated: str) -> bytes | None: ...

        def diff_notes(
            self, old: str | None, new: str | None
        ) -> list[tuple[str, bytes | None, bytes | None]]: ...

        def first_parent_chain_batched(
            self, tip: str | None, *, direct: int | None = None
        ) -> Iterator[ChainLink]: ...
