"""A fast, exact applier for the common shape of ``git diff`` output. Pure.

Most patches an actor proposes are plain text edits. Applying those here, in-process, saves a
``git apply`` process per proposal. The applier is deliberately narrow: it accepts a patch only
when every hunk matches exactly at the line numbers it states, and returns ``None`` for
anything else (binary patches, copies, quoted names, offsets, fuzz, malformed input). The
caller then falls back to ``git apply``, so gitgate's behaviour is always git's: this module can
only ever make the common case faster, never different.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

FileState = tuple[int, bytes]  # (mode, content)
Lookup = Callable[[str], FileState | None]

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_MODE = re.compile(rb"^(100644|100755|120000)$")
_NO_EOL = b"\\ No newline at end of file"


class _Unsupported(Exception):
    """This patch is not for the fast path; let git apply it."""


@dataclass
class _Section:
    """One file's part of a patch, as it is read: paths, modes, what it does, its hunks."""

    old_path: str | None = None
    new_path: str | None = None
    header_paths: tuple[str, str] | None = None
    old_mode: int | None = None
    new_mode: int | None = None
    is_new: bool = False
    is_deleted: bool = False
    is_rename: bool = False
    hunks: list[list[bytes]] = field(default_factory=list)


def apply_simple_patch(patch: bytes, lookup: Lookup) -> dict[str, FileState | None] | None:
    """Apply ``patch`` to the files ``lookup`` returns; None when git must do it instead.

    Returns the new state of every touched path (None: deleted).
    """
    try:
        sections = _parse(patch)
        if not sections:
            return None
        return _apply_all(sections, lookup)
    except (_Unsupported, ValueError, IndexError, UnicodeDecodeError):
        return None


# -- parsing -----------------------------------------------------------------------------------


def _parse(patch: bytes) -> list[_Section]:
    lines = patch.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    sections: list[_Section] = []
    current: _Section | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(b"diff --git "):
            current = _Section(header_paths=_split_header(line[len(b"diff --git ") :]))
            sections.append(current)
            i += 1
        elif current is None:
            if line.strip() and not line.startswith(b"From ") and sections:
                raise _Unsupported
            i += 1  # preamble (e.g. a commit message from format-patch)
        elif line.startswith(b"@@ "):
            i = _read_hunk(lines, i, current)
        else:
            _read_extended_header(line, current)
            i += 1
    return sections


def _split_header(rest: bytes) -> tuple[str, str] | None:
    if rest.startswith(b'"'):
        raise _Unsupported  # quoted names: git's unquoting rules are git's business
    text = rest.decode("utf-8")
    # Unambiguous only when both names are the same ("a/P b/P"), which is the case that
    # matters here: hunk-less sections (mode changes, empty files) have no ---/+++ lines.
    if len(text) % 2 == 1:
        half = (len(text) - 1) // 2
        a, b = text[:half], text[half + 1 :]
        if a.startswith("a/") and b.startswith("b/") and a[2:] == b[2:]:
            return a[2:], b[2:]
    return None


def _read_extended_header(line: bytes, sec: _Section) -> None:
    if line.startswith(b"--- "):
        sec.old_path = _side_path(line[4:], b"a/")
    elif line.startswith(b"+++ "):
        sec.new_path = _side_path(line[4:], b"b/")
    elif line.startswith(b"old mode "):
        sec.old_mode = _mode(line[9:])
    elif line.startswith(b"new mode "):
        sec.new_mode = _mode(line[9:])
    elif line.startswith(b"new file mode "):
        sec.is_new, sec.new_mode = True, _mode(line[14:])
    elif line.startswith(b"deleted file mode "):
        sec.is_deleted, sec.old_mode = True, _mode(line[18:])
    elif line.startswith(b"rename from "):
        sec.is_rename, sec.old_path = True, _plain(line[12:])
    elif line.startswith(b"rename to "):
        sec.is_rename, sec.new_path = True, _plain(line[10:])
    elif line.startswith((b"similarity index ", b"dissimilarity index ")):
        pass
    elif line.startswith(b"index "):
        parts = line.split(b" ")
        if len(parts) == 3:
            sec.old_mode = sec.old_mode or _mode(parts[2])
    else:
        raise _Unsupported  # binary patches, copies, anything unexpected


def _side_path(raw: bytes, prefix: bytes) -> str | None:
    raw = raw.split(b"\t", 1)[0]
    if raw == b"/dev/null":
        return None
    if not raw.startswith(prefix):
        raise _Unsupported
    return _plain(raw[len(prefix) :])


def _plain(raw: bytes) -> str:
    if raw.startswith(b'"') or not raw:
        raise _Unsupported
    return raw.decode("utf-8")


def _mode(raw: bytes) -> int:
    if not _MODE.match(raw.strip()):
        raise _Unsupported
    return int(raw.strip(), 8)


def _read_hunk(lines: list[bytes], i: int, sec: _Section) -> int:
    m = _HUNK.match(lines[i])
    if not m:
        raise _Unsupported
    old_count = int(m.group(2) or b"1")
    new_count = int(m.group(4) or b"1")
    body = [lines[i]]
    i += 1
    seen_old = seen_new = 0
    while i < len(lines) and (seen_old < old_count or seen_new < new_count):
        line = lines[i]
        tag = line[:1]
        if tag == b" " or line == b"":
            seen_old, seen_new = seen_old + 1, seen_new + 1
        elif tag == b"-":
            seen_old += 1
        elif tag == b"+":
            seen_new += 1
        elif line != _NO_EOL:
            raise _Unsupported
        body.append(line)
        i += 1
    while i < len(lines) and lines[i] == _NO_EOL:
        body.append(lines[i])
        i += 1
    if seen_old != old_count or seen_new != new_count:
        raise _Unsupported
    sec.hunks.append(body)
    return i


# -- applying ----------------------------------------------------------------------------------


def _apply_all(sections: list[_Section], lookup: Lookup) -> dict[str, FileState | None]:
    result: dict[str, FileState | None] = {}
    for sec in sections:
        old_path, new_path = _paths(sec)
        if old_path in result or (new_path in result and new_path != old_path):
            raise _Unsupported  # the same path twice: leave the ordering rules to git
        before = lookup(old_path) if old_path else None
        if old_path and before is None:
            raise _Unsupported  # git will say what is missing
        if sec.is_new and new_path and lookup(new_path) is not None:
            raise _Unsupported
        if sec.is_rename and new_path and lookup(new_path) is not None:
            raise _Unsupported
        if new_path and _below_a_file(new_path, lookup, result):
            raise _Unsupported  # a file or symlink becomes a directory: git's ordering rules
        after = _apply_section(sec, before)
        if old_path and old_path != new_path:
            result[old_path] = None
        if new_path:
            result[new_path] = after
    return result


def _below_a_file(path: str, lookup: Lookup, result: dict[str, FileState | None]) -> bool:
    """Whether a leading directory of ``path`` is a file or symlink, before or in the patch.

    git refuses a path "beyond a symbolic link" depending on the order of the patch's
    sections; such patches are left to git.
    """
    parts = path.split("/")
    for depth in range(1, len(parts)):
        prefix = "/".join(parts[:depth])
        if result.get(prefix) is not None or lookup(prefix) is not None:
            return True
    return False


def _paths(sec: _Section) -> tuple[str | None, str | None]:
    old_path, new_path = sec.old_path, sec.new_path
    if not sec.hunks and not sec.is_rename:
        if sec.header_paths is None:
            raise _Unsupported
        old_path, new_path = sec.header_paths
    if sec.is_new:
        old_path = None
    if sec.is_deleted:
        new_path = None
    if old_path is None and new_path is None:
        raise _Unsupported
    return old_path, new_path


def _apply_section(sec: _Section, before: FileState | None) -> FileState | None:
    old_mode, content = before if before else (0, b"")
    if sec.old_mode is not None and before is not None and sec.old_mode != old_mode:
        raise _Unsupported
    lines = _split_lines(content)
    offset = 0
    for hunk in sec.hunks:
        lines, offset = _apply_hunk(lines, hunk, offset)
    data = b"".join(lines)
    if sec.is_deleted:
        if data:
            raise _Unsupported  # git refuses a deletion that leaves content
        return None
    mode = sec.new_mode or old_mode or 0o100644
    return mode, data


def _split_lines(content: bytes) -> list[bytes]:
    if not content:
        return []
    parts = content.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _apply_hunk(lines: list[bytes], hunk: list[bytes], offset: int) -> tuple[list[bytes], int]:
    m = _HUNK.match(hunk[0])
    assert m is not None
    old_start, old_count = int(m.group(1)), int(m.group(2) or b"1")
    old: list[bytes] = []
    new: list[bytes] = []
    last_target: tuple[list[bytes], ...] = ()
    for line in hunk[1:]:
        if line == _NO_EOL:
            _strip_last_newline(last_target)
            continue
        tag, text = line[:1] or b" ", line[1:] + b"\n"
        last_target = (old, new) if tag == b" " else (old,) if tag == b"-" else (new,)
        for side in last_target:
            side.append(text)
    start = (old_start - 1 if old_count else old_start) + offset
    if start < 0 or lines[start : start + len(old)] != old:
        raise _Unsupported  # not at the stated place: git may find it elsewhere, or explain
    if old_start == 1 and old_count == 0 and lines and start != 0:
        raise _Unsupported
    return lines[:start] + new + lines[start + len(old) :], offset + len(new) - len(old)


def _strip_last_newline(targets: tuple[list[bytes], ...]) -> None:
    for side in targets:
        if side and side[-1].endswith(b"\n"):
            side[-1] = side[-1][:-1]


# -- the names a patch touches -----------------------------------------------------------------

_C_ESCAPES = {
    ord("a"): 7,
    ord("b"): 8,
    ord("t"): 9,
    ord("n"): 10,
    ord("v"): 11,
    ord("f"): 12,
    ord("r"): 13,
    ord('"'): ord('"'),
    ord("\\"): ord("\\"),
}
_HEADER_END = (b"@@", b"GIT binary patch", b"Binary files ")
_NAME_HEADERS = (
    (b"rename from ", None),
    (b"rename to ", None),
    (b"copy from ", None),
    (b"copy to ", None),
    (b"--- ", b"a/"),
    (b"+++ ", b"b/"),
)


def patch_paths(patch: bytes) -> list[str] | None:
    """Every path a ``git diff`` patch names (old and new), from its own headers.

    Reads ``diff --git a/X b/Y``, ``rename from``/``rename to``, ``copy from``/``copy to`` and
    the ``---``/``+++`` lines of each file section, undoing git's C-quoting (``"…"`` with
    ``\\t \\n \\" \\\\`` and octal ``\\ooo`` bytes). ``git apply --numstat`` prints only the new
    name of a rename, and libgit2 cannot parse every patch git writes; this can.

    Returns:
        The names in order of first appearance, or None when a header cannot be read (the
        caller then works on the whole tree instead of the named paths).
    """
    try:
        return _collect_paths(patch)
    except (_Unsupported, ValueError, UnicodeDecodeError):
        return None


def _collect_paths(patch: bytes) -> list[str] | None:
    names: list[str] = []
    in_header = False
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git "):
            in_header = True
            names.extend(_header_names(line[len(b"diff --git ") :]))
        elif in_header and line.startswith(_HEADER_END):
            in_header = False  # hunks follow; their lines are content, not headers
        elif in_header:
            names.extend(_named_path(line))
    if not names:
        return None
    return list(dict.fromkeys(names))


def _named_path(line: bytes) -> list[str]:
    line = line.rstrip(b"\r")
    for prefix, side in _NAME_HEADERS:
        if line.startswith(prefix):
            raw = line[len(prefix) :]
            if side is None:
                return [unquote_c_path(raw)]
            name = _side_name(raw)
            if name == "/dev/null":
                return []
            if not name.startswith(side.decode()):
                raise _Unsupported
            return [name[2:]]
    return []


def _side_name(raw: bytes) -> str:
    """The name of a ``---``/``+++`` line; git adds a tab after names with spaces."""
    if not raw.startswith(b'"'):
        return raw.split(b"\t", 1)[0].decode("utf-8")
    name, used = _unquote_prefix(raw)
    if raw[used:] and not raw[used:].startswith(b"\t"):
        raise ValueError("text after a quoted name")
    return name


def _header_names(rest: bytes) -> list[str]:
    """The names of ``diff --git a/X b/Y``; [] when unquoted and ambiguous (spaces)."""
    if rest.startswith(b'"'):
        first, used = _unquote_prefix(rest)
        second = rest[used:].lstrip(b" ")
        return _strip_sides(first, unquote_c_path(second))
    if rest.endswith(b'"'):
        start = rest.rfind(b' "')
        if start < 0:
            raise _Unsupported
        return _strip_sides(rest[:start].decode("utf-8"), unquote_c_path(rest[start + 1 :]))
    text = rest.decode("utf-8")
    if len(text) % 2 == 1:
        half = (len(text) - 1) // 2
        a, b = text[:half], text[half + 1 :]
        if text[half] == " " and a[2:] == b[2:]:
            return _strip_sides(a, b)
    if text.count(" ") == 1:
        a, b = text.split(" ")
        return _strip_sides(a, b)
    return []  # "a/x y b/z": the ---/+++ or rename lines name the files


def _strip_sides(a: str, b: str) -> list[str]:
    if not (a.startswith("a/") and b.startswith("b/")):
        raise _Unsupported
    return [a[2:], b[2:]]


def unquote_c_path(raw: bytes) -> str:
    """A name as git writes it in a patch: as is, or C-quoted in double quotes.

    Raises:
        ValueError: a malformed quoted name, or one that is not UTF-8.
    """
    if not raw.startswith(b'"'):
        return raw.decode("utf-8")
    name, used = _unquote_prefix(raw)
    if used != len(raw):
        raise ValueError("text after a quoted name")
    return name


def _unquote_prefix(raw: bytes) -> tuple[str, int]:
    """Unquote the quoted name at the start of ``raw``; return it and the bytes it used."""
    out = bytearray()
    i = 1
    while i < len(raw):
        byte = raw[i]
        if byte == ord('"'):
            return out.decode("utf-8"), i + 1
        if byte != ord("\\"):
            out.append(byte)
            i += 1
            continue
        code = raw[i + 1] if i + 1 < len(raw) else -1
        if code in _C_ESCAPES:
            out.append(_C_ESCAPES[code])
            i += 2
        elif ord("0") <= code <= ord("3"):
            digits = raw[i + 1 : i + 4]
            if len(digits) != 3 or not all(ord("0") <= d <= ord("7") for d in digits):
                raise ValueError("bad octal escape in a quoted name")
            out.append(int(digits, 8))
            i += 4
        else:
            raise ValueError("bad escape in a quoted name")
    raise ValueError("unterminated quoted name")
