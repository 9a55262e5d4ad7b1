"""Database clients asked one read-only question of this machine's server: ``psql -h localhost
-d app -c "\\dt"``, ``mysql -e "SHOW TABLES"``, ``mongosh --eval "db.orders.countDocuments()"``.

The clients' command lines and the read-only grammar are data (``[sql_clients]``, ``[sql_read]``
and ``[mongo_read]`` in the data file); this module walks them. Statements that read secrets or
change anything are denied or held earlier (``queries.py``); what reaches here is allowed only
when every part is known to read."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from gitgate.safety.classify.tables import SqlClient, tables

LOCAL = frozenset(["localhost", "127.0.0.1", "::1", "[::1]", ".", "(local)", "(localdb)"])


def is_local_host(value: str) -> bool:
    """``localhost``, ``127.0.0.1``, a socket directory (``/var/run/postgresql``), and
    sqlcmd's ``tcp:localhost,1433`` or ``(local)``: this machine."""
    host = value.strip().removeprefix("tcp:").split(",")[0]
    if host.startswith("/"):
        return True
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host.lower() in LOCAL


def validate_sql_client(name: str) -> Callable[[list[str], str | None], str | None]:
    """The validator of a database client of ``[sql_clients]``."""
    client = tables().sql_clients[name]

    def validate(args: list[str], cwd: str | None) -> str | None:
        return sql_client_problem(name, client, args)

    return validate


def sql_client_problem(name: str, client: SqlClient, args: list[str]) -> str | None:
    """Why ``name ARGS`` is not a read-only question of a local server, or None."""
    queries: list[str] = []
    operands: list[str] = []
    listed = False
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        option, equals, attached = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
            continue
        if _flag_cluster(arg, client):
            listed = listed or any(f"-{letter}" in client.lists for letter in arg[1:])
            continue
        if not arg.startswith("--") and len(arg) > 2 and _takes_value(arg[:2], client):
            option, equals, attached = arg[:2], "=", arg[2:]  # -hlocalhost, -Upostgres, -c'\dt'
        if _takes_value(option, client):
            if equals:
                value = attached
            elif index < len(args):
                value = args[index]
                index += 1
            else:
                return f"{name} {option} without its value"
            if option in client.query:
                queries.append(value)
            elif option in client.hosts and not is_local_host(value):
                return f"{name} connects to another host ({value})"
            continue
        if arg in client.lists:
            listed = True
        if arg not in client.flags:
            return f"{name} {arg} is not known to be read-only"
    problem = _operands_problem(name, client, operands)
    if problem is not None:
        return problem
    if not queries and not listed:
        return f"{name} without a statement on its command line is interactive: it would hang"
    for text in queries:
        problem = statements_problem(name, text)
        if problem is not None:
            return problem
    return None


def _takes_value(option: str, client: SqlClient) -> bool:
    return option in client.query or option in client.hosts or option in client.valued


def _flag_cluster(arg: str, client: SqlClient) -> bool:
    """``-At``, ``-lqt``: short flags of the client run together."""
    return (
        re.fullmatch(r"-[A-Za-z0-9]{2,}", arg) is not None
        and arg not in client.flags
        and all(f"-{letter}" in client.flags for letter in arg[1:])
    )


def _operands_problem(name: str, client: SqlClient, operands: list[str]) -> str | None:
    """A connection URI or conninfo string must name this machine; cqlsh's operands are its
    host and port."""
    for position, operand in enumerate(operands):
        if "://" in operand:
            try:
                host = urlsplit(operand).hostname or "localhost"
            except ValueError:
                return f"{name}: cannot read the connection string {operand!r}"
            if not is_local_host(host):
                return f"{name} connects to another host ({host})"
        elif "=" in operand:
            if re.search(r"(?:^|\s)service\s*=", operand):
                return f"{name} connects through a service definition (~/.pg_service.conf)"
            hosts = re.findall(r"(?:^|\s)(?:host|hostaddr)\s*=\s*(\S+)", operand)
            if any(not is_local_host(h.strip("'\"")) for h in hosts):
                return f"{name} connects to another host"
        elif client.host_operands and position == 0 and not is_local_host(operand):
            return f"{name} connects to another host ({operand})"
    return None


def statements_problem(name: str, text: str) -> str | None:
    """Why a statement of ``text`` is not a read of the grammar, or None."""
    grammar = tables().sql_read
    for statement in filter(None, (part.strip() for part in text.split(";"))):
        if statement.startswith("\\"):
            if not any(p.fullmatch(statement.split()[0]) for p in grammar.psql_meta):
                return f"{name} {statement.split()[0]} is not a read-only meta-command"
            continue
        if not grammar.starts.match(statement):
            return f"the statement {statement[:40]!r} is not a read"
        found = grammar.denied.search(statement)
        if found is not None:
            return f"the statement {statement[:40]!r} names {found.group(0)!r}, which may write"
        if grammar.whole_people.search(statement):
            return f"the statement {statement[:40]!r} prints whole rows of people (password hashes)"
    return None


_CALL = re.compile(r"([A-Za-z_$][\w$]*)\s*\(")
_COMMAND_KEY = re.compile(
    r"(?:runCommand|adminCommand)\s*\(\s*\{\s*[\"']?(\w+)|(?:runCommand|adminCommand)\s*\(\s*[\"'](\w+)"
)


def validate_mongosh(args: list[str], cwd: str | None) -> str | None:
    """``mongosh [mongodb://localhost/app] --quiet --eval 'db.orders.countDocuments()'``."""
    grammar = tables().mongo_read
    code: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        option, equals, value = arg.partition("=")
        if not arg.startswith("-"):
            if "://" in arg:
                try:
                    host = urlsplit(arg).hostname or "localhost"
                except ValueError:
                    return f"mongosh: cannot read the connection string {arg!r}"
                if not is_local_host(host):
                    return f"mongosh connects to another host ({host})"
            elif arg.endswith(".js") or "/" in arg or ":" in arg:
                return f"mongosh {arg}: runs a script or reaches another server"
            continue
        if option in grammar.valued:
            if not equals:
                if index >= len(args):
                    return f"mongosh {option} without its value"
                value = args[index]
                index += 1
            if option == "--eval":
                code.append(value)
            elif option == "--host" and not is_local_host(value):
                return f"mongosh connects to another host ({value})"
            continue
        if arg not in grammar.flags:
            return f"mongosh {arg} is not known to be read-only"
    if not code:
        return "mongosh without --eval is interactive: it would hang"
    for text in code:
        problem = _mongo_problem(text)
        if problem is not None:
            return problem
    return None


def _mongo_problem(code: str) -> str | None:
    grammar = tables().mongo_read
    found = grammar.denied.search(code)
    if found is not None:
        return f"mongosh --eval uses {found.group(0).strip()!r}, which may write or run code"
    for name in _CALL.findall(code):
        if name not in grammar.calls:
            return f"mongosh --eval calls {name}(), which is not known to be read-only"
    for match in _COMMAND_KEY.finditer(code):
        command = (match.group(1) or match.group(2)).lower()
        if command not in grammar.commands:
            return (
                f"mongosh --eval runs the command {command!r}, which is not known to be read-only"
            )
    return None
