"""gitgate's packaged TOML tables, read through derived JSON copies.

The TOML files in ``gitgate/data`` are the sources: documented, reviewed, edited by hand.
``tomllib`` parses about a kilobyte a millisecond, and every ``classify`` (``commands.toml``,
41 KB), ``check-path`` (``sensitive.toml``) and pre-receive hook (``secret_tokens.toml``,
``sensitive.toml``) paid that on each start. Beside each source sits a JSON copy made from it,
which carries the source's CRC-32 and length; ``json`` reads it several times faster. A copy
that does not match the source beside it (a table edited, a copy not refreshed) is ignored
and the TOML is parsed, so correctness never depends on a copy. The checksum guards against
a stale copy, not against an attacker: whoever can edit one file beside the code can edit
the other. A test checks that every shipped copy is current.

Refresh the copies after editing a table: ``python -m gitgate.safety.datacopy``.
"""

from __future__ import annotations

import json
import os
import zlib

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import Any

    Table = dict[str, Any]

# Paths as str: pathlib (and the urllib and ipaddress under it) is ~5 ms of a start-up.
DATA_DIR = os.path.join(os.path.dirname(os.path.realpath(__file__)), "data")
TABLES = ("commands", "sensitive", "secret_tokens")


def source_path(name: str) -> str:
    return os.path.join(DATA_DIR, f"{name}.toml")


def copy_path(name: str) -> str:
    return os.path.join(DATA_DIR, f"{name}.json")


def load(name: str) -> Table:
    """The packaged table ``name``, from its JSON copy when that matches the TOML."""
    return load_pair(source_path(name), copy_path(name))


def load_pair(source: str | os.PathLike[str], copy: str | os.PathLike[str]) -> Table:
    """The table in the TOML file ``source``, from the JSON ``copy`` when it matches.

    Raises:
        OSError: when the source cannot be read; tomllib.TOMLDecodeError: when the source is
            not valid TOML and no current copy exists.
    """
    raw = read_bytes(source)
    try:
        cached = json.loads(read_bytes(copy))
    except (OSError, ValueError):
        cached = None
    if (
        isinstance(cached, dict)
        and cached.get("source_crc32") == checksum(raw)
        and isinstance(cached.get("data"), dict)
    ):
        table: Table = cached["data"]
        return table
    return parse(raw)


def parse(raw: bytes) -> Table:
    """The table parsed from its TOML bytes (the reference every copy is checked against)."""
    import tomllib  # only for a stale or missing copy

    return tomllib.loads(raw.decode("utf-8"))


def render(raw: bytes) -> str:
    """The JSON copy of the TOML bytes ``raw`` (tables keep their order: rules are ordered)."""
    body = {"source_crc32": checksum(raw), "data": parse(raw)}
    return json.dumps(body, indent=1, ensure_ascii=False) + "\n"


def write_pair(source: str | os.PathLike[str], copy: str | os.PathLike[str]) -> None:
    with open(copy, "w", encoding="utf-8") as out:
        out.write(render(read_bytes(source)))


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def checksum(raw: bytes) -> str:
    return f"{zlib.crc32(raw):08x}-{len(raw)}"


if __name__ == "__main__":
    for table in TABLES:
        write_pair(source_path(table), copy_path(table))
        print(f"wrote {copy_path(table)}")
