"""Scan whole files for secrets: any size, any common Unicode encoding, binary bytes included.

Push protection (``gitgate.safety.checks.find_added_secrets``) must not be evaded by how a file is
stored, so a blob is decoded the way a reader would see it (UTF-8, UTF-16 or UTF-32, by BOM or
by the zero bytes of UTF-16 text; anything else as UTF-8 with undecodable bytes replaced, so the
text around NUL bytes stays scannable) and scanned window by window with bounded memory.
Compressed containers are recognised by their magic bytes: their content cannot be read
without unpacking it, so callers treat them as unscannable.

Pure: standard library and :mod:`gitgate.safety.redaction` only.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from itertools import chain

from gitgate.safety.redaction import (
    CONTEXT,
    WINDOW,
    SecretFinding,
    find_secrets,
    redact_bytes,
    redact_counted,
)

__all__ = [
    "compressed_format",
    "decoded_chunks",
    "iter_secrets",
    "redact_blob",
    "scan_blob",
    "text_encoding",
]

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xef\xbb\xbf", "utf-8"),
)
_SNIFF = 8000
# Compressed containers: their text is not readable without unpacking, so nothing in them can
# be scanned. Push protection refuses them unless --allow-secret (README, "Secrets").
_COMPRESSED_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
)


def compressed_format(data: bytes | bytearray) -> str | None:
    """The name of the compressed container ``data`` starts with (zip, gzip...), or None."""
    for magic, name in _COMPRESSED_MAGIC:
        if data.startswith(magic):
            return name
    return None


def text_encoding(data: bytes | bytearray) -> tuple[str, int]:
    """(codec, bytes of BOM to skip) for scanning ``data`` as text.

    A BOM decides; without one, UTF-16 is recognised by its zero bytes (ASCII text in UTF-16
    has a NUL in every other byte). Anything else is read as UTF-8, undecodable bytes replaced,
    so text around NULs and other binary bytes is still scanned.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    head = bytes(data[:_SNIFF])
    if len(head) >= 8:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le", 0
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be", 0
    return "utf-8", 0


def decoded_chunks(data: bytes | bytearray, *, window: int = WINDOW) -> Iterator[str]:
    """``data`` decoded as text (see :func:`text_encoding`), ``window`` bytes at a time."""
    codec, skip = text_encoding(data)
    decoder = codecs.getincrementaldecoder(codec)("replace")
    view = memoryview(data)
    for pos in range(skip, len(data), window):
        yield decoder.decode(view[pos : pos + window])
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def iter_secrets(
    chunks: Iterable[str], *, window: int = WINDOW, context: int = CONTEXT
) -> Iterator[tuple[SecretFinding, str]]:
    """The findings of a text given in pieces, with the text of each finding's line.

    Memory stays bounded by ``window`` plus twice ``context`` whatever the total size: the text
    is judged window by window, each scanned with ``context`` more characters around it and cut
    at line ends, so no detector (none looks further than ``context``) sees a seam. Offsets and
    line numbers are those of the whole text.
    """
    buf = ""
    base_off, base_line, judged = 0, 1, 0
    ended: tuple[str | None] = (None,)
    for chunk in chain(chunks, ended):
        final = chunk is None
        if chunk is not None:
            buf += chunk
            if len(buf) < window + 2 * context:
                continue
        limit = len(buf)
        if not final:
            limit = buf.rfind("\n", judged, len(buf) - context) + 1 or len(buf) - context
        for f in find_secrets(buf):
            if judged <= f.start < limit:
                lo = buf.rfind("\n", 0, f.start) + 1
                hi = buf.find("\n", f.start)
                line_text = buf[lo : len(buf) if hi < 0 else hi]
                yield (
                    SecretFinding(
                        f.kind, base_off + f.start, base_off + f.end, base_line + f.line - 1
                    ),
                    line_text,
                )
        if final:
            return
        keep = buf.rfind("\n", 0, max(0, limit - context)) + 1
        base_off += keep
        base_line += buf.count("\n", 0, keep)
        judged = limit - keep
        buf = buf[keep:]


def scan_blob(
    data: bytes | bytearray, *, window: int = WINDOW, context: int = CONTEXT
) -> Iterator[tuple[SecretFinding, str]]:
    """Secrets in a file's bytes: any size, UTF-8/16/32 (BOM or detected), NULs included."""
    yield from iter_secrets(decoded_chunks(data, window=window), window=window, context=context)


def redact_blob(data: bytes | bytearray) -> tuple[bytes | bytearray, int]:
    """:func:`gitgate.safety.redaction.redact_bytes`, also redacting UTF-16/32 text in its
    encoding.

    UTF-8 (and anything not cleanly UTF-16/32) goes through ``redact_bytes`` unchanged; a
    UTF-16/32 file is decoded, redacted and encoded back with its BOM, so the export of a
    UTF-16 configuration file is redacted too. Returns ``data`` itself when nothing is found.
    """
    codec, skip = text_encoding(data)
    if codec == "utf-8":
        return redact_bytes(data)
    try:
        text = bytes(data[skip:]).decode(codec)
    except UnicodeDecodeError:
        return redact_bytes(data)
    cleaned, count = redact_counted(text)
    if not count:
        return data, 0
    return bytes(data[:skip]) + cleaned.encode(codec), count
