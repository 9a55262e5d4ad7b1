"""The vendor token table: ``data/secret_tokens.toml``, read through a derived JSON copy.

The TOML file is the table's source (documented, reviewed, extended by hand). Parsing it with
``tomllib`` costs ~15 ms, which every pre-receive hook run paid: the hook scans each pushed
entry, note and message for secrets. ``data/secret_tokens.json`` holds the same table and the
CRC-32 and length of the TOML bytes it was made from (a check against a stale copy, not
against an attacker: whoever can edit one file beside the code can edit the other). A copy
that does not match the TOML beside it (an edited table, a copy not refreshed) is ignored
and the TOML is parsed, so correctness never depends on the copy; a test checks that the
shipped copy is current.

Refresh the copy after editing the table: ``python -m gitgate.tokentable``.
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Any

# Paths as str: hashlib, pathlib (and the urllib and ipaddress it imports) were ~10 ms of
# every pre-receive hook's start-up, for two file names and a checksum.
_DATA = os.path.join(os.path.dirname(os.path.realpath(__file__)), "data")
SOURCE = os.path.join(_DATA, "secret_tokens.toml")
COPY = os.path.join(_DATA, "secret_tokens.json")

Token = dict[str, Any]


def load_tokens(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> list[Token]:
    """The ``[[token]]`` entries of the table, from the JSON copy when it matches the TOML."""
    raw = _read(source)
    try:
        cached = json.loads(_read(copy))
    except (OSError, ValueError):
        cached = None
    if (
        isinstance(cached, dict)
        and cached.get("source_crc32") == _checksum(raw)
        and isinstance(cached.get("token"), list)
    ):
        return list(cached["token"])
    return parse_tokens(raw)


def parse_tokens(raw: bytes) -> list[Token]:
    """The table parsed from its TOML source (the reference the copy is checked against)."""
    import tomllib  # only on a stale or missing copy

    tokens = tomllib.loads(raw.decode("utf-8"))["token"]
    if not isinstance(tokens, list):
        raise ValueError("secret_tokens.toml: `token` must be an array of tables")
    return tokens


def render_copy(raw: bytes) -> str:
    """The JSON copy of the TOML bytes ``raw``."""
    body = {"source_crc32": _checksum(raw), "token": parse_tokens(raw)}
    return json.dumps(body, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write_copy(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> None:
    with open(copy, "w", encoding="utf-8") as out:
        out.write(render_copy(_read(source)))


def _read(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _checksum(raw: bytes) -> str:
    return f"{zlib.crc32(raw):08x}-{len(raw)}"


if __name__ == "__main__":
    write_copy()
    print(f"wrote {COPY}")
