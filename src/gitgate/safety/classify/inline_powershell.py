"""Is a one-line PowerShell program read-only? A conservative reading.

``pwsh -NoProfile -Command 'Get-Content README.md -TotalCount 40'``, ``Get-ChildItem -Recurse
-Filter *.csproj | Select-Object -ExpandProperty FullName``, ``$PSVersionTable.PSVersion``: an
agent on Windows asks these as often as ``cat`` and ``ls`` elsewhere. The tables
(``[inline_powershell]`` in commands.toml) list the cmdlets that only read or format, how each
reads its path arguments (their contents, or only their names), the cmdlets that only talk to
this machine, the switches that take no value, and the static members and variables that only
describe the machine. A program is read-only when:

* it is statements (``;``) of pipelines (``|``) whose stages are listed cmdlets, a listed
  variable or static member with property accesses, or a parenthesised such pipeline;
* it has no backtick escapes, subexpressions (``$(…)``), here-strings, call or dot-source
  operators (``&``, ``. x``), redirections (``>``), scriptblocks outside the filters
  (``Where-Object {…}``) or calls of methods that are not listed;
* a content reader fed from ``Get-ChildItem`` is limited by ``-Filter``/``-Include``.

It returns the paths read, each with whether their contents are read, for the walk to judge
like any other read; anything else is None and needs a human, as before. Pure: no git.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from gitgate.safety.classify.sqlclients import is_local_host
from gitgate.safety.classify.tables import tables

Read = tuple[str, bool]  # a path as the shell would see it, and whether its contents are read

_FORBIDDEN = re.compile(r"`|\$\(|@\(|@\{|@\"|@'|(?<![-\w])&|>|\.\s+[\\/.\w$]|^\s*\.\s")
_STRING = re.compile(r"'(?:''|[^'])*'|\"(?:[^\"`$]|\$(?!\())*\"")
_TOKEN = re.compile(
    r"""\s+
    |(?P<str>'(?:''|[^'])*'|"[^"]*")
    |(?P<type>\[[\w.]+\]::\w+)
    |(?P<var>\$(?:env:)?[\w]+(?:\.\w+(?:\(\))?)*)
    |(?P<group>[()])
    |(?P<block>\{[^{}]*\})
    |(?P<pipe>\|)
    |(?P<word>[^\s|(){};'"]+)
    """,
    re.VERBOSE | re.IGNORECASE,
)


_SESSION_FLAGS = frozenset(["-noprofile", "-nop", "-noninteractive", "-nologo", "-noni"])


def validate_powershell(args: list[str], cwd: str | None) -> str | None:
    """``pwsh -NoProfile -Command 'Get-Content README.md'``: only session switches, then a
    read-only program (not -File, -EncodedCommand or -ExecutionPolicy)."""
    for index, arg in enumerate(args):
        lowered = arg.lower()
        if lowered in ("-c", "-command") and index + 1 < len(args):
            if powershell_reads(" ".join(args[index + 1 :])) is None:
                return "the PowerShell program is not known to be read-only"
            return None
        if lowered not in _SESSION_FLAGS:
            return f"{arg} is not known to be read-only"
    return "PowerShell without -Command reads commands from its input"


def powershell_reads(code: str) -> list[Read] | None:
    """The paths a read-only PowerShell program reads, or None when it is not one."""
    if _FORBIDDEN.search(_STRING.sub("''", code)):
        return None
    reads: list[Read] = []
    for statement in _split_outside(code, ";"):
        if statement.strip() and not _pipeline(statement, reads):
            return None
    return reads


def _split_outside(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside quotes, parentheses and braces."""
    parts: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _pipeline(text: str, reads: list[Read]) -> bool:
    """Judge one pipeline, adding what it reads to ``reads``; False when not read-only."""
    listing: list[tuple[str, str]] | None = None  # a Get-ChildItem stage before this one
    for stage in _split_outside(text, "|"):
        tokens = _tokens(stage.strip())
        if tokens is None or not tokens:
            return False
        if not _stage(tokens, listing, reads):
            return False
        head = tokens[0][1].lower()
        listing = tokens if head in tables().inline_powershell.listers else None
    return True


def _tokens(text: str) -> list[tuple[str, str]] | None:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        position = match.end()
        kind = match.lastgroup
        if kind is not None:
            found.append((kind, match.group(kind)))
    return found


def _stage(
    tokens: list[tuple[str, str]], listing: list[tuple[str, str]] | None, reads: list[Read]
) -> bool:
    data = tables().inline_powershell
    kind, head = tokens[0]
    if kind == "group":
        return _group(tokens, reads)
    if kind in ("var", "type"):
        return _expression(tokens)
    name = head.lower()
    how = data.cmdlets.get(name)
    if kind != "word" or how is None:
        return False
    values, positional, blocks = _arguments(name, tokens[1:])
    if values is None:
        return False
    if blocks and name not in data.filters:
        return False
    if any(not _harmless_block(block) for block in blocks):
        return False
    if name in data.local_only:
        targets = positional + values.get("-uri", []) + values.get("-computername", [])
        return (
            bool(targets)
            and all(_local(t) for t in targets)
            and not (set(values) & {"-outfile", "-method", "-body", "-infile", "-credential"})
        )
    if name in data.pattern_first and "-pattern" not in values:
        positional = positional[1:]  # Select-String PATTERN [PATH]: the first word is text
    paths = positional + values.get("-path", []) + values.get("-literalpath", [])
    paths += values.get("-filepath", [])
    if how == "contents" and not paths:
        if listing is None:
            return True  # formats what the stage before it printed
        return _filtered_listing(listing, reads)
    if how in ("contents", "names"):
        reads.extend((_posix(path), how == "contents") for path in paths)
    return True


def _arguments(
    name: str, tokens: list[tuple[str, str]]
) -> tuple[dict[str, list[str]] | None, list[str], list[str]]:
    """(parameter values by lower-case name, positional words, scriptblocks) of a stage."""
    data = tables().inline_powershell
    values: dict[str, list[str]] = {}
    positional: list[str] = []
    blocks: list[str] = []
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        index += 1
        if kind == "block":
            blocks.append(text)
        elif kind == "word" and text.startswith("-") and len(text) > 1 and not text[1].isdigit():
            parameter = text.lower().rstrip(":")
            if parameter in data.switches or index >= len(tokens):
                values.setdefault(parameter, [])
            else:
                value_kind, value = tokens[index]
                index += 1
                if value_kind not in ("word", "str", "block"):
                    return None, [], []
                if value_kind == "block":
                    blocks.append(value)
                values.setdefault(parameter, []).append(_unquote(value))
        elif kind in ("word", "str"):
            positional.append(_unquote(text))
        else:
            return None, [], []  # a variable or a group as an argument: not followed
    return values, positional, blocks


def _filtered_listing(listing: list[tuple[str, str]], reads: list[Read]) -> bool:
    """``Get-ChildItem -Recurse -Filter *.ps1 | Select-String X``: the files listed are read;
    only a name filter keeps .env and keys out."""
    values, positional, _blocks = _arguments("get-childitem", listing[1:])
    if values is None:
        return False
    patterns = values.get("-filter", []) + values.get("-include", [])
    if not patterns:
        return False
    roots = positional + values.get("-path", []) or ["."]
    for root in roots:
        for pattern in patterns:
            reads.append((_posix(root).rstrip("/") + "/" + pattern, True))
    return True


def _group(tokens: list[tuple[str, str]], reads: list[Read]) -> bool:
    """``(Get-Content x | ConvertFrom-Json).sdk.version``: the inner pipeline, then members."""
    depth = 0
    for index, (kind, text) in enumerate(tokens):
        if kind == "group":
            depth += 1 if text == "(" else -1
            if depth == 0:
                inner = " ".join(t for _k, t in tokens[1:index])
                rest = tokens[index + 1 :]
                return _pipeline(inner, reads) and all(_member(t) for _k, t in rest)
    return False


_MEMBERS = re.compile(r"(?:\.\w+(?:\(\))?)+")


def _member(text: str) -> bool:
    """``.sdk.version``, ``.PSVersion.ToString()``: properties, and methods that only format."""
    if not _MEMBERS.fullmatch(text):
        return False
    methods = re.findall(r"\.(\w+)\(\)", text)
    return all(m.lower() in tables().inline_powershell.methods for m in methods)


def _expression(tokens: list[tuple[str, str]]) -> bool:
    """``$PSVersionTable.PSVersion.Major``, ``$env:PATH -split ";"``,
    ``[Environment]::OSVersion``: what describes PowerShell or the machine."""
    data = tables().inline_powershell
    for kind, text in tokens:
        if kind == "var":
            name, _, members = text[1:].partition(".")
            lowered = name.lower()
            if lowered.startswith("env:"):
                if lowered[4:] not in data.environment:
                    return False
            elif lowered not in data.variables:
                return False
            if members and not _member("." + members):
                return False
        elif kind == "type":
            if text.lower() not in data.static_members:
                return False
        elif kind == "word":
            if text.lower() not in data.operators and not re.fullmatch(r"[\w.%:-]+", text):
                return False
        elif kind != "str":
            return False
    return True


def _harmless_block(block: str) -> bool:
    """``{ $_.Length -gt 1KB }``: a filter of properties and comparisons, nothing called."""
    operators = tables().inline_powershell.operators
    for token in re.findall(r"'[^']*'|\"[^\"$`]*\"|\S+", block[1:-1]):
        if _BLOCK_OPERAND.fullmatch(token) or token.lower() in operators:
            continue
        return False  # a name that may be a command (`{ iex 'x' }`), a call, an assignment
    return True


# In a filter: `$_` or `$PSItem` and its properties, numbers (`1KB`), quoted text.
_BLOCK_OPERAND = re.compile(
    r"\$(?:_|PSItem)(?:\.\w+)*|\d+(?:\.\d+)?(?:KB|MB|GB|TB)?|'[^']*'|\"[^\"$`]*\"", re.I
)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _local(target: str) -> bool:
    """``localhost``, ``http://127.0.0.1:5000/health``: this machine."""
    if "://" not in target:
        return is_local_host(target)
    try:
        parts = urlsplit(target)
        host = parts.hostname or ""
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and not parts.username and is_local_host(host)


_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def _posix(path: str) -> str:
    """A Windows spelling as the walk judges paths: ``.\\src\\x`` is ``src/x``, ``C:\\x`` is
    absolute, ``$env:USERPROFILE\\x`` and ``~\\x`` are under the home directory, and a
    provider path (``HKLM:``, ``Env:``, ``Cert:``) is outside the repository."""
    text = path.replace("\\", "/")
    lowered = text.lower()
    for home in ("$env:userprofile", "$home", "$env:home"):
        if lowered.startswith(home):
            return "~" + text[len(home) :]
    if _DRIVE.match(path) or text.startswith("//"):
        return "/" + text
    if re.match(r"^\w+:", text):
        return "/" + text  # a provider drive: the registry, the environment, certificates
    return text
