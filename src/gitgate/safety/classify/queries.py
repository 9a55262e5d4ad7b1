"""Text that clients are handed to run: statements of database clients (``psql -c``,
``mongosh --eval``, ``redis-cli CMD``), code of interpreters (``python -c``), the tables of
dump clients. The destructive, privileged, program-running and secret-reading kinds are denied,
whichever client carries them. Clients and kinds are data (``[queries]`` in the data file)."""

from __future__ import annotations

import re

from gitgate.safety.classify.tables import tables

# Statements end at a semicolon or a line break (redis-cli and mongosh take one per line).
_STATEMENT_END = re.compile(r";|\n")


def statement_texts(options: tuple[str, ...], args: list[str]) -> list[str]:
    """The texts a client is given: the values of ``options``, and for a client that takes its
    statement as operands (``"*"``), every word that is not an option."""
    texts: list[str] = []
    operands = "*" in options
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in options:
            if index < len(args):
                texts.append(args[index])
                index += 1
            continue
        value = _option_value(arg, options)
        if value is not None:
            texts.append(value)
        elif operands and not arg.startswith("-"):
            texts.append(arg)
    # `sqlite3 DB '.shell id'`: each operand may be a statement; `redis-cli CONFIG SET dir /x`:
    # the words together are one
    return [*texts, " ".join(texts)] if operands else texts


def _option_value(arg: str, options: tuple[str, ...]) -> str | None:
    """The value attached to a query option (``--command=X``, ``-cX``), or None."""
    for option in options:
        if option == "*":
            continue
        if option.startswith("--") and arg.startswith(option + "="):
            return arg[len(option) + 1 :]
        if len(option) == 2 and arg.startswith(option) and len(arg) > 2:
            return arg[2:]
    return None


def denied_statement(name: str, args: list[str]) -> str | None:
    """Why a text ``name`` is handed is denied, or None."""
    for group in tables().query_groups:
        options = group.clients.get(name)
        if options is None:
            continue
        for text in statement_texts(options, args):
            for statement in _STATEMENT_END.split(text):
                for rule in group.rules:
                    if any(pattern.search(statement) for pattern in rule.patterns):
                        return f"{rule.reason}: {statement.strip()[:60]!r}"
    return None
