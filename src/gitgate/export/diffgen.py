"""``git diff`` sections for added files, written without running git (pure).

An export of a proposal that only adds files would otherwise have git read every blob a
second time just to print it with a ``+`` in front (as much work as ``git archive`` of the
whole proposal). The format here is byte for byte what ``git diff --full-index -M`` prints
with gitgate's pinned options (``core.quotePath=true``, ``a/`` and ``b/`` prefixes, no
textconv, no attributes); ``tests/integration/test_diffgen.py`` checks it against git on
generated files. The caller decides when it applies: only additions, no attributes file.
"""

from __future__ import annotations

ZERO_OID = "0" * 40
MODE_GITLINK = 0o160000
BINARY_SNIFF = 8000  # git's buffer_is_binary: a NUL in the first 8000 bytes
BIG_FILE = 512 << 20  # core.bigFileThreshold's default: git shows larger files as binary

_C_ESCAPES = {
    0x07: b"\\a",
    0x08: b"\\b",
    0x09: b"\\t",
    0x0A: b"\\n",
    0x0B: b"\\v",
    0x0C: b"\\f",
    0x0D: b"\\r",
}


def git_quoted(name: str) -> bytes:
    """``name`` as git prints a path in a diff header with ``core.quotePath=true``."""
    raw = name.encode("utf-8", "surrogateescape")
    if all(0x20 <= b < 0x7F and b not in b'"\\' for b in raw):
        return raw
    out = bytearray(b'"')
    for b in raw:
        if b in b'"\\':
            out += b"\\" + bytes([b])
        elif b in _C_ESCAPES:
            out += _C_ESCAPES[b]
        elif b < 0x20 or b >= 0x7F:
            out += b"\\%03o" % b
        else:
            out.append(b)
    return bytes(out + b'"')


def added_section(path: str, mode: int, oid: str, data: bytes | bytearray) -> bytes:
    """The ``git diff`` section of a file (or symlink, or submodule) that did not exist.

    Args:
        path: the tree path.
        mode: its tree mode.
        oid: its blob id (the commit id for a submodule).
        data: the blob's content (empty for a submodule).
    """
    a_side, b_side = git_quoted("a/" + path), git_quoted("b/" + path)
    head = b"diff --git %s %s\nnew file mode %06o\nindex %s..%s\n" % (
        a_side,
        b_side,
        mode,
        ZERO_OID.encode(),
        oid.encode(),
    )
    if mode == MODE_GITLINK:
        data = b"Subproject commit %s\n" % oid.encode()
    elif not data:
        return head
    elif len(data) > BIG_FILE or b"\0" in data[:BINARY_SNIFF]:
        return head + b"Binary files /dev/null and %s differ\n" % b_side
    # git ends the "+++" line with a tab when the name holds a space (for GNU patch).
    tab = b"\t" if " " in path else b""
    return head + b"--- /dev/null\n+++ %s%s\n" % (b_side, tab) + _added_hunk(data)


def _added_hunk(data: bytes | bytearray) -> bytes:
    lines = data.count(b"\n")
    complete = data.endswith(b"\n")
    if not complete:
        lines += 1
    header = b"@@ -0,0 +1 @@\n" if lines == 1 else b"@@ -0,0 +1,%d @@\n" % lines
    body = b"+" + bytes(data[:-1] if complete else data).replace(b"\n", b"\n+") + b"\n"
    if not complete:
        body += b"\\ No newline at end of file\n"
    return header + body
