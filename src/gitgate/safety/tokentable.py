"""The vendor token table: ``data/secret_tokens.toml``, read through its JSON copy.

It also holds the ``[[call]]`` table (client APIs whose positional argument is a credential; the
``[[wallet_call]]`` one, those of web3 libraries taking a private key or a seed phrase), the
``[[cli]]`` one (command-line options whose argument is a credential), the ``[[published]]``
one (credentials their vendor publishes, which no detector reports) and ``[bip39]`` (the word
list of wallet seed phrases).

The copy, and why it exists, are :mod:`gitgate.safety.datacopy`'s (it serves every packaged table);
this module names the token table's files and gives its ``[[token]]`` entries.
Refresh the copies after editing a table: ``python -m gitgate.safety.datacopy``.
"""

from __future__ import annotations

import os

from gitgate.safety import datacopy

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import Any

    Token = dict[str, Any]

SOURCE = datacopy.source_path("secret_tokens")
COPY = datacopy.copy_path("secret_tokens")


def load_tokens(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> list[Token]:
    """The ``[[token]]`` entries of the table, from the JSON copy when it matches the TOML."""
    return _tokens(datacopy.load_pair(source, copy))


def load_calls(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> list[Token]:
    """The ``[[call]]`` entries: client APIs that take a credential as a positional argument."""
    calls = datacopy.load_pair(source, copy).get("call", [])
    if not isinstance(calls, list):
        raise ValueError("secret_tokens.toml: `call` must be an array of tables")
    return list(calls)


def load_wallet_calls(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> list[Token]:
    """The ``[[wallet_call]]`` entries: web3 APIs whose argument is a private key or a seed
    phrase."""
    calls = datacopy.load_pair(source, copy).get("wallet_call", [])
    if not isinstance(calls, list) or not all(
        isinstance(c, dict) and {"callee", "arg", "secret"} <= c.keys() for c in calls
    ):
        raise ValueError("secret_tokens.toml: `wallet_call` must be tables of callee, arg, secret")
    return list(calls)


def _tables_with(
    name: str, key: str, source: str | os.PathLike[str], copy: str | os.PathLike[str]
) -> list[Token]:
    """The ``[[name]]`` entries of the data file, each a table holding a ``key`` list."""
    entries = datacopy.load_pair(source, copy).get(name, [])
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get(key), list) for e in entries
    ):
        raise ValueError(f"secret_tokens.toml: `{name}` must be tables with a `{key}` list")
    return list(entries)


def load_cli(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> list[Token]:
    """The ``[[cli]]`` entries: command-line options whose argument is a credential."""
    return _tables_with("cli", "triggers", source, copy)


def load_published(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> frozenset[str]:
    """The ``[[published]]`` values: credentials their vendor publishes for everyone to use
    (not those published for one context only, see :func:`load_published_near`)."""
    entries = _tables_with("published", "values", source, copy)
    return frozenset(str(v) for e in entries if "near" not in e for v in e["values"])


def load_published_near(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> dict[str, tuple[str, ...]]:
    """The ``[[published]]`` defaults of one context: each value, with the words (any of them)
    that must be written near it for it to be that default."""
    entries = _tables_with("published", "values", source, copy)
    out: dict[str, tuple[str, ...]] = {}
    for e in entries:
        near = e.get("near")
        if near is None:
            continue
        if not isinstance(near, list) or not near:
            raise ValueError("secret_tokens.toml: `near` must be a non-empty list")
        for v in e["values"]:
            out[str(v)] = out.get(str(v), ()) + tuple(str(n) for n in near)
    return out


def load_bip39(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> frozenset[str]:
    """The BIP-39 English word list (``[bip39] english``): the words of wallet seed phrases."""
    table = datacopy.load_pair(source, copy).get("bip39", {})
    words = table.get("english") if isinstance(table, dict) else None
    if not isinstance(words, str) or len(words.split()) != 2048:
        raise ValueError("secret_tokens.toml: `bip39.english` must hold the 2048 words")
    return frozenset(words.split())


def parse_tokens(raw: bytes) -> list[Token]:
    """The table parsed from its TOML source (the reference the copy is checked against)."""
    return _tokens(datacopy.parse(raw))


def render_copy(raw: bytes) -> str:
    """The JSON copy of the TOML bytes ``raw``."""
    return datacopy.render(raw)


def write_copy(
    source: str | os.PathLike[str] = SOURCE, copy: str | os.PathLike[str] = COPY
) -> None:
    datacopy.write_pair(source, copy)


def _tokens(table: datacopy.Table) -> list[Token]:
    tokens = table.get("token")
    if not isinstance(tokens, list):
        raise ValueError("secret_tokens.toml: `token` must be an array of tables")
    return list(tokens)


if __name__ == "__main__":
    write_copy()
    print(f"wrote {COPY}")
