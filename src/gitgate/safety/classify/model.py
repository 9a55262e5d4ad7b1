"""The classifier's small types: decisions, findings, shell words and the walk's context."""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from gitgate.safety.classify.parser import ParseBudget

Decision = Literal["allow", "deny", "approve"]
RANK: dict[Decision, int] = {"allow": 0, "approve": 1, "deny": 2}
MAX_TEXT_DEPTH = 4  # nested `sh -c`, `eval`, `xargs`... strings classified recursively


@dataclass(frozen=True, slots=True)
class CommandRules:
    """Extra rules from the repository policy.

    Attributes:
        allow: argv prefixes that are allowed (``"make test"``, ``"npm run lint"``).
        deny: argv prefixes that are denied (``"terraform"``, ``"kubectl delete"``); a deny
            rule matches when its words appear in order after the command name, so
            ``kubectl -n prod delete pod`` matches ``"kubectl delete"``. Deny wins.
        sensitive: more sensitive-path patterns (the policy's ``sensitive_paths``): reading a
            file that matches one is denied like reading ``.env``.
        local_databases: database clients' read-only statements against this machine's
            server are allowed (``[commands] local_database_reads``); off, they need a human.
    """

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    local_databases: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation about a part of a command; the worst one decides."""

    decision: Decision
    reason: str


def allow(reason: str) -> Finding:
    """A finding that lets the part run."""
    return Finding("allow", reason)


def approve(reason: str) -> Finding:
    """A finding that needs a human."""
    return Finding("approve", reason)


def deny(reason: str) -> Finding:
    """A finding that refuses the command."""
    return Finding("deny", reason)


def worst(findings: Iterable[Finding]) -> Finding | None:
    """The first finding of the highest rank, or None for no findings."""
    best: Finding | None = None
    for finding in findings:
        if best is None or RANK[finding.decision] > RANK[best.decision]:
            best = finding
    return best


def has_deny(findings: Iterable[Finding]) -> bool:
    """Whether any finding denies."""
    return any(finding.decision == "deny" for finding in findings)


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word: its unquoted text, its source text, and whether it is computed."""

    text: str
    raw: str
    dynamic: bool = False  # expands variables or command output: its value is unknown
    soft: bool = False  # dynamic only through harmless variables ($HOME, $PATH): fine to print
    # dynamic only through command substitutions, each judged by the walk: fine to print or to
    # compare (`echo "$(git rev-parse HEAD)"`), not to name a file or a program
    output: bool = False
    # holds a file name a for loop's glob found (`for f in src/*; do wc -l "$f"`): fine where
    # a name is read as a file, not where it would be read as code (a file may be named
    # `x;rm -rf ~`); see Walker._names_as_files
    named: bool = False

    @property
    def has_glob(self) -> bool:
        """Whether the word holds glob or brace characters."""
        return any(char in self.text for char in "*?[{")


def plain_words(texts: Iterable[str]) -> list[Word]:
    """Words from plain strings (``sh -c`` splits, rough scans)."""
    return [Word(text, text, "$" in text or "`" in text) for text in texts]


def short(text: str, limit: int = 60) -> str:
    """A one-line excerpt of ``text`` for reasons."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def argv_text(words: Sequence[Word]) -> str:
    """The words' source text, shortened, for reasons."""
    return short(" ".join(word.raw for word in words))


@dataclass(slots=True)
class Ctx:
    """What the recursive analysis carries around.

    ``cwd`` is where the shell is, as far as the walk knows: ``""`` for the repository root
    (commands start there), a repository-relative path after ``cd src``, an absolute or
    ``~``-path after ``cd /etc``, or None when it cannot be known (``cd "$X"``).
    """

    rules: CommandRules
    depth: int = 0  # nesting of re-parsed strings (sh -c, eval, ...)
    allowed: list[str] = field(default_factory=list)  # names of allowed commands, for reasons
    budget: ParseBudget = field(default_factory=ParseBudget)  # shared by nested texts
    cwd: list[str | None] = field(default_factory=lambda: [""])  # shared, so `cd` carries over
    # Literal values the shell was given (`X=rm`), so `$X -rf /` can be judged as `rm -rf /`;
    # a computed value removes the name. Shared like cwd.
    variables: dict[str, str] = field(default_factory=dict)
    # Files this command line fills with downloaded or decoded bytes (`curl -o x.sh URL`,
    # `base64 -d > x.sh`): running one later in the line is download-and-execute.
    staged: set[str] = field(default_factory=set)
    # What the pipe feeds the command being judged, when it is a known list of file names
    # (`git ls-files '*.py' | xargs wc -l`): a producers.Names, or None. Not shared.
    input_names: Any = None
    # Whether that pipe feeds only commits' object names (`git rev-list -3 HEAD | xargs git
    # show --stat`): a git reader handed them reads commits. Not shared.
    input_revisions: bool = False

    def deeper(self) -> Ctx:
        """The context for a nested text (``sh -c``); it shares budget, names and cwd."""
        return Ctx(
            self.rules,
            self.depth + 1,
            self.allowed,
            self.budget,
            self.cwd,
            self.variables,
            self.staged,
        )


_STD_BIN_DIRS = frozenset(
    ["/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin", "/usr/local/sbin"]
)
PYTHON_NAME = re.compile(r"python[0-9.]*")


def command_name(text: str) -> tuple[str, bool]:
    """(basename, trusted location) of a command word: ``/bin/rm`` -> ``("rm", True)``."""
    if "/" not in text:
        return text, True
    directory, _, base = text.rpartition("/")
    return base, posixpath.normpath(directory or "/") in _STD_BIN_DIRS


def split_words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def is_assignment(token: str) -> bool:
    """Whether ``token`` is a shell variable assignment (``X=1``, ``a[0]=x``, ``X+=y``)."""
    return re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=", token) is not None


def has_escaped_metachar(raw: str) -> bool:
    """Whether ``raw`` holds a backslash-escaped shell operator outside quotes (``\\;``).

    An escaped operator means a command was glued to text that looked like a separator:
    ``ls \\`` followed by ``; rm -rf x`` is one harmless ``ls``, but no longer what it seems.
    """
    quote = ""
    index = 0
    while index < len(raw):
        char = raw[index]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                index += 1
        elif char in "'\"":
            quote = char
        elif char == "\\" and index + 1 < len(raw) and raw[index + 1] in ";&|<>()`$#\n":
            return True
        elif char == "\\":
            index += 1
        index += 1
    return False


# -- ANSI-C quoting ------------------------------------------------------------------------------

_ANSI_SIMPLE = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
    "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip
_ANSI_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|.)")
_WORD_SEGMENT = re.compile(r"\$'((?:[^'\\]|\\.)*)'|'([^']*)'|\"([^\"\\$`]*)\"|([^'\"\\$`]+)", re.S)


def _ansi_c_body(body: str) -> str | None:
    """The text of a ``$'...'`` body, or None when an escape is not one this decoder knows.

    ``\\xHH`` and octal escapes are bytes and ``\\u`` escapes characters, as in bash: the
    bytes are decoded as UTF-8 at the end (``$'\\303\\251'`` is "é"), and a byte that is no
    UTF-8 stays an undecodable one (surrogate-escaped), as bash prints it.
    """
    out = bytearray()
    position = 0
    for match in _ANSI_ESCAPE.finditer(body):
        out += body[position : match.start()].encode("utf-8", "surrogatepass")
        code = match.group(1)
        if code in _ANSI_SIMPLE:
            out += _ANSI_SIMPLE[code].encode()
        elif code[0] in "uU":
            value = int(code[1:], 16)
            out += (chr(value) if value <= 0x10FFFF else "\ufffd").encode("utf-8", "surrogatepass")
        elif code[0] == "x":
            out.append(int(code[1:], 16) & 0xFF)
        elif code[0] in "01234567":
            out.append(int(code, 8) & 0xFF)
        else:
            return None  # \cX and unknown escapes: bash's rules differ, keep the word computed
        position = match.end()
    out += body[position:].encode("utf-8", "surrogatepass")
    text = out.decode("utf-8", "surrogateescape")
    return None if "\x00" in text else text  # bash cuts the word at NUL: not what it seems


_PLAIN_SEGMENT = re.compile(r"'([^']*)'|\"((?:[^\"\\]|\\.)*)\"|\\(.)|([^'\"\\]+)", re.S)
_DOUBLE_QUOTED_ESCAPE = re.compile(r"\\([$`\"\\\n])")


def literal_word(raw: str) -> str | None:
    """The text bash passes for a word with quotes and backslashes but no expansion
    (``'c'"u"'rl'`` is ``curl``), or None when it expands anything. bashlex joins some mixed
    quotings wrongly (it leaves ``c'"u"'rl``), and a command name must be read as bash reads it.
    """
    if "$" in raw or "`" in raw:
        return None
    parts: list[str] = []
    position = 0
    while position < len(raw):
        match = _PLAIN_SEGMENT.match(raw, position)
        if match is None or match.end() == position:
            return None  # an unclosed quote: bashlex would not have parsed it
        single, double, escaped, plain = match.groups()
        if single is not None:
            parts.append(single)
        elif double is not None:
            parts.append(_DOUBLE_QUOTED_ESCAPE.sub(r"\1", double))
        elif escaped is not None:
            parts.append("" if escaped == "\n" else escaped)
        else:
            parts.append(plain)
        position = match.end()
    return "".join(parts)


def ansi_c_word(raw: str) -> str | None:
    """The literal text of a word spelled with ``$'...'`` quoting (``$'\\t'``, ``a$'\\x2e'b``),
    or None when any part of it is computed (variables, substitutions) or undecodable."""
    if "$'" not in raw:
        return None
    parts: list[str] = []
    position = 0
    while position < len(raw):
        match = _WORD_SEGMENT.match(raw, position)
        if match is None or match.end() == position:
            return None
        ansi, single, double, plain = match.groups()
        if ansi is not None:
            decoded = _ansi_c_body(ansi)
            if decoded is None:
                return None
            parts.append(decoded)
        else:
            parts.append(single if single is not None else double if double is not None else plain)
        position = match.end()
    return "".join(parts)


# Interpreters' options that only check a file's syntax (perl -c is not one: it runs BEGIN).
SYNTAX_CHECKS: dict[str, tuple[str, ...]] = {
    "node": ("--check", "-c"), "nodejs": ("--check", "-c"), "php": ("-l", "--syntax-check"),
    "ruby": ("-c",), "bash": ("-n",), "sh": ("-n",), "dash": ("-n",), "zsh": ("-n",),
}  # fmt: skip


def checks_syntax_only(argv: Sequence[Word]) -> bool:
    """``ruby -c``, ``node --check``, ``bash -n``: parses the code it is given, runs none."""
    if not argv:
        return False
    name = argv[0].text.rsplit("/", 1)[-1].lower()
    checks = SYNTAX_CHECKS.get(name, ())
    return any(word.text in checks for word in argv[1:])


# Options of `gh api` / `glab api` that take the next word as their value (a field, a
# header, a method, a jq filter): that word is not the endpoint.
API_VALUED = frozenset(
    ["--input", "-F", "-f", "--field", "--raw-field", "--form", "-H", "--header", "--hostname"]
    + ["-q", "--jq", "-t", "--template", "-X", "--method", "--cache", "-p", "--preview"]
)

# What the walk reads in place of a commit's object name printed by another command
# (`git show $(git rev-parse HEAD~2)`, `git rev-list -3 HEAD | xargs git show`): hexadecimal,
# never an option, a path outside the repository or a program.
OBJECT_NAME = "0" * 40
