"""A ``git diff`` cut into per-file sections, highlighted for the review page. Pure.

The input is the text ``gitgate show --diff`` prints (``git diff -M --full-index``), already
redacted. Every character that reaches the page is escaped here, by pygments or by
:func:`html.escape`; the template marks the result safe and adds nothing unescaped.

Highlighting follows each side of the change: the new side (context and added lines) and the
old side (context and removed lines) are lexed as two texts, so a line inside a multi-line
string or comment is coloured as such. Binary files and huge sections become placeholders, and
the page stops rendering lines past a budget so one proposal cannot make it unusable.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

HUGE_FILE_LINES = 10_000  # a section longer than this is a placeholder
HUGE_FILE_BYTES = 2 * 1024 * 1024
PAGE_LINE_BUDGET = 60_000  # lines rendered on one page, all files together
LONG_LINE = 4_000  # pygments is slow on very long lines (minified files): shown plain

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One rendered line: kind ``add``/``del``/``ctx``/``hunk``/``note``, numbers, HTML."""

    kind: str
    old: int | None
    new: int | None
    html: str


@dataclass(frozen=True, slots=True)
class FileSection:
    """One file of the diff."""

    path: str
    old_path: str | None
    change: str  # added | deleted | modified | renamed | copied | mode
    old_mode: str | None
    new_mode: str | None
    similarity: str | None
    binary: bool
    added: int
    removed: int
    lines: tuple[DiffLine, ...]
    placeholder: str | None
    anchor: str

    @property
    def collapsed(self) -> bool:
        """Sections with nothing to read start collapsed."""
        return self.placeholder is not None or not self.lines


@dataclass(frozen=True, slots=True)
class _RawSection:
    """One file's part of a diff, not yet highlighted: its header lines and its body."""

    header: tuple[str, ...]
    body: tuple[str, ...]


def render_diff(text: str, *, budget: int = PAGE_LINE_BUDGET) -> list[FileSection]:
    """Cut ``text`` into highlighted file sections (placeholders past the line budget)."""
    sections: list[FileSection] = []
    left = budget
    for index, raw in enumerate(_split_sections(text)):
        section = _render_section(raw, index, left)
        left -= len(section.lines)
        sections.append(section)
    return sections


def _split_sections(text: str) -> Iterator[_RawSection]:
    header: list[str] = []
    body: list[str] = []
    in_body = False
    started = False
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            if started:
                yield _RawSection(tuple(header), tuple(body))
            header, body, in_body, started = [line], [], False, True
        elif not started:
            continue  # nothing precedes the first section in git's output
        elif in_body or line.startswith("@@") or line.startswith("Binary files "):
            in_body = True
            body.append(line)
        else:
            header.append(line)
    if started:
        while body and body[-1] == "":
            body.pop()
        yield _RawSection(tuple(header), tuple(body))


def _render_section(raw: _RawSection, index: int, budget: int) -> FileSection:
    meta = _parse_header(raw.header)
    binary = any(line.startswith("Binary files ") for line in raw.body[:1]) or any(
        line == "GIT binary patch" for line in raw.header
    )
    added = sum(1 for line in raw.body if line.startswith("+"))
    removed = sum(1 for line in raw.body if line.startswith("-"))
    placeholder = _placeholder(raw, binary, budget)
    lines = () if placeholder else tuple(_highlight(meta["path"], raw.body))
    return FileSection(
        path=meta["path"],
        old_path=meta["old_path"],
        change=meta["change"],
        old_mode=meta["old_mode"],
        new_mode=meta["new_mode"],
        similarity=meta["similarity"],
        binary=binary,
        added=0 if binary else added,
        removed=0 if binary else removed,
        lines=lines,
        placeholder=placeholder,
        anchor=f"file-{index + 1}",
    )


def _placeholder(raw: _RawSection, binary: bool, budget: int) -> str | None:
    if binary:
        return "binary file: not shown (download the export bundle to inspect it)"
    size = sum(len(line) + 1 for line in raw.body)
    if len(raw.body) > HUGE_FILE_LINES or size > HUGE_FILE_BYTES:
        return (
            f"large diff not shown ({len(raw.body):,} lines, {size:,} bytes); "
            "read it with `gitgate show --diff` or in the export bundle"
        )
    if len(raw.body) > budget:
        return (
            "not shown: this page already shows as many lines as it can; "
            "read the rest with `gitgate show --diff` or in the export bundle"
        )
    return None


def _parse_header(header: tuple[str, ...]) -> dict[str, Any]:
    first = header[0][len("diff --git ") :]
    minus = plus = None
    meta: dict[str, Any] = {
        "old_mode": None,
        "new_mode": None,
        "similarity": None,
        "change": "modified",
    }
    renamed_from = renamed_to = None
    for line in header[1:]:
        key, _, value = line.partition(" ")
        if line.startswith("--- "):
            minus = _side_path(line[4:])
        elif line.startswith("+++ "):
            plus = _side_path(line[4:])
        elif line.startswith(("rename from ", "copy from ")):
            renamed_from = unquote_path(line.split(" ", 2)[2])
            meta["change"] = "renamed" if key == "rename" else "copied"
        elif line.startswith(("rename to ", "copy to ")):
            renamed_to = unquote_path(line.split(" ", 2)[2])
        elif line.startswith("similarity index "):
            meta["similarity"] = line.rsplit(" ", 1)[1]
        elif line.startswith("new file mode "):
            meta["change"], meta["new_mode"] = "added", line.rsplit(" ", 1)[1]
        elif line.startswith("deleted file mode "):
            meta["change"], meta["old_mode"] = "deleted", line.rsplit(" ", 1)[1]
        elif line.startswith("old mode "):
            meta["old_mode"] = value.split(" ", 1)[1]
        elif line.startswith("new mode "):
            meta["new_mode"] = value.split(" ", 1)[1]
    old_default, new_default = _git_line_paths(first)
    old = renamed_from or minus or old_default
    new = renamed_to or plus or new_default
    if meta["change"] == "deleted":
        new = None
    if meta["change"] == "added":
        old = None
    path = new or old or first
    if meta["change"] == "modified" and meta["old_mode"] and not _has_index_line(header):
        meta["change"] = "mode"  # only the mode changed: git writes no index line
    meta["path"] = path
    meta["old_path"] = old if old and old != path else None
    return meta


def _has_index_line(header: tuple[str, ...]) -> bool:
    return any(line.startswith("index ") for line in header)


def _side_path(text: str) -> str | None:
    if text.strip() == "/dev/null":
        return None
    path = unquote_path(text.rstrip("\t"))
    return path[2:] if path[:2] in ("a/", "b/") else path


def _git_line_paths(rest: str) -> tuple[str | None, str | None]:
    """The two paths of a ``diff --git a/X b/Y`` line (quoted or not)."""
    if rest.startswith('"'):
        end = _quoted_end(rest)
        old = unquote_path(rest[: end + 1])
        new = unquote_path(rest[end + 2 :])
    else:
        # Unquoted names may hold spaces: when both sides name the same file, split evenly.
        half = (len(rest) - 1) // 2
        if rest[half] == " " and rest[:half][2:] == rest[half + 1 :][2:]:
            old, new = rest[:half], rest[half + 1 :]
        else:
            old, _, new = rest.partition(" b/")
            new = "b/" + new
        new = unquote_path(new)
    return _strip_side(old), _strip_side(new)


def _strip_side(path: str | None) -> str | None:
    if path is None:
        return None
    return path[2:] if path[:2] in ("a/", "b/") else path


def _quoted_end(text: str) -> int:
    pos = 1
    while pos < len(text):
        if text[pos] == "\\":
            pos += 2
            continue
        if text[pos] == '"':
            return pos
        pos += 1
    return len(text) - 1


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote_path(text: str) -> str:
    """Undo git's C-style quoting of a path (``"a/caf\\303\\251"`` -> ``a/café``)."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    inner = text[1:-1]
    out = bytearray()
    pos = 0
    while pos < len(inner):
        char = inner[pos]
        if char != "\\" or pos + 1 >= len(inner):
            out += char.encode("utf-8", "surrogateescape")
            pos += 1
            continue
        nxt = inner[pos + 1]
        if nxt in "01234567" and pos + 3 < len(inner) + 1:
            digits = inner[pos + 1 : pos + 4]
            if len(digits) == 3 and all(d in "01234567" for d in digits):
                out.append(int(digits, 8) & 0xFF)
                pos += 4
                continue
        out.append(_ESCAPES.get(nxt, ord(nxt) if ord(nxt) < 128 else 63))
        pos += 2
    return out.decode("utf-8", "replace")


# -- highlighting ---------------------------------------------------------------------------


def _highlight(path: str, body: tuple[str, ...]) -> Iterator[DiffLine]:
    old_side: list[str] = []
    new_side: list[str] = []
    for line in body:
        mark = line[:1]
        if mark in (" ", ""):
            old_side.append(line[1:])
            new_side.append(line[1:])
        elif mark == "-":
            old_side.append(line[1:])
        elif mark == "+":
            new_side.append(line[1:])
    old_html = _highlight_side(path, old_side)
    new_html = _highlight_side(path, new_side)
    yield from _numbered(body, old_html, new_html)


def _numbered(
    body: tuple[str, ...], old_html: list[str], new_html: list[str]
) -> Iterator[DiffLine]:
    old_no = new_no = 0
    old_at = new_at = 0
    for line in body:
        mark = line[:1]
        if line.startswith("@@"):
            found = _HUNK_RE.match(line)
            if found:
                old_no, new_no = int(found.group(1)), int(found.group(2))
            yield DiffLine("hunk", None, None, html.escape(line))
        elif mark in (" ", ""):
            yield DiffLine("ctx", old_no, new_no, new_html[new_at])
            old_no, new_no, old_at, new_at = old_no + 1, new_no + 1, old_at + 1, new_at + 1
        elif mark == "-":
            yield DiffLine("del", old_no, None, old_html[old_at])
            old_no, old_at = old_no + 1, old_at + 1
        elif mark == "+":
            yield DiffLine("add", None, new_no, new_html[new_at])
            new_no, new_at = new_no + 1, new_at + 1
        else:  # "\ No newline at end of file", or anything unexpected: shown as it is
            yield DiffLine("note", None, None, html.escape(line))


def _highlight_side(path: str, lines: list[str]) -> list[str]:
    """HTML for each line of one side; plain escaped text when no lexer fits or it fails."""
    plain = [html.escape(line) for line in lines]
    lexer = _lexer_for(path)
    if lexer is None or not lines or any(len(line) > LONG_LINE for line in lines):
        return plain
    from pygments import highlight  # type: ignore[import-untyped,unused-ignore]

    out = highlight("\n".join(lines) + "\n", lexer, _formatter())
    if out.endswith("\n"):
        out = out[:-1]
    rendered = out.split("\n")
    # A lexer that swallowed or added a line would misalign every number after it.
    return rendered if len(rendered) == len(lines) else plain


def _lexer_for(path: str) -> Any:
    return _lexer_for_name(path.rsplit("/", 1)[-1])


@lru_cache(maxsize=512)
def _lexer_for_name(name: str) -> Any:
    from pygments.lexers import (  # type: ignore[import-untyped,unused-ignore]
        get_lexer_for_filename,
    )
    from pygments.util import ClassNotFound  # type: ignore[import-untyped,unused-ignore]

    try:
        return get_lexer_for_filename(name, stripnl=False, stripall=False, ensurenl=True)
    except ClassNotFound:
        return None


@lru_cache(maxsize=1)
def _formatter() -> Any:
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped,unused-ignore]

    return HtmlFormatter(nowrap=True)


def highlight_css(scope: str = ".code") -> str:
    """The stylesheet of the highlighting classes, scoped under ``scope``."""
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped,unused-ignore]

    return str(HtmlFormatter(style="default").get_style_defs(scope))
