"""The vendor token table: ``data/secret_tokens.toml``, read through a derived JSON copy.

The TOML file is the table's source (documented, reviewed, extended by hand). Parsing it with
``tomllib`` costs ~15 ms, which every pre-receive hook run paid: the hook scans each pushed
entry, note and message for secrets. ``data/secret_tokens.json`` holds the same table and the
SHA-256 of the TOML bytes it was made from. A copy that does not match the TOML beside it (an
edited table, a copy not refreshed) is ignored and the TOML is parsed, so correctness never
depends on the copy; a test checks that the shipped copy is current.

Refresh the copy after editing the table: ``python -m gitgate.tokentable``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

_DATA = Path(__file__).resolve().parent / "data"
SOURCE = _DATA / "secret_tokens.toml"
COPY = _DATA / "secret_tokens.json"

Token = dict[str, Any]


def load_tokens(source: Path = SOURCE, copy: Path = COPY) -> list[Token]:
    """The ``[[token]]`` entries of the table, from the JSON copy when it matches the TOML."""
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        cached = json.loads(copy.read_bytes())
    except (OSError, ValueError):
        cached = None
    if (
        isinstance(cached, dict)
        and cached.get("source_sha256") == digest
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
    body = {"source_sha256": hashlib.sha256(raw).hexdigest(), "token": parse_tokens(raw)}
    return json.dumps(body, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write_copy(source: Path = SOURCE, copy: Path = COPY) -> None:
    copy.write_text(render_copy(source.read_bytes()), encoding="utf-8")


if __name__ == "__main__":
    write_copy()
    print(f"wrote {COPY}")
