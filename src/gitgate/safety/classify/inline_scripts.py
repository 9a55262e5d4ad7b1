"""Is a one-line node, ruby, perl, php or lua program read-only? A conservative reading.

``node -p 'require("./package.json").version'``, ``ruby -e 'puts RUBY_VERSION'``, ``perl -e
'print 2**10, "\\n"'``, ``php -r 'echo count(file("README.md")), "\\n";'``, ``lua -e
'print(2^10)'`` compute and print. The tables (``[inline_scripts.LANG]`` in commands.toml)
list, per language, the global names a program may use (pure functions and constants), the
modules it may load, the readers whose literal path argument is the only file it opens, and
the accessors of single environment variables. A program is read-only when:

* every name that is not a member (``x.name``) is a listed global, a keyword, or a name the
  program itself declares (``const s = …``, ``|x|``, ``x =>``);
* no member is one of ``member_blocklist`` (``constructor``, ``write*``, ``exec*``, ``send``…);
* every reader gets one literal path (judged like any read), every ``require`` a listed
  module or a ``./x.json`` file, every environment read one harmless variable;
* there are no backquotes, comments, string-built names (``x["constructor"]``, ``$f(…)``,
  ``array_map("system", …)``), interpolated code (``#{…}``, ``@{[…]}``) or code in a regex.

Anything else needs a human, as before. Python has its own reader (``inline_python.py``).
Pure: no git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache

from gitgate.safety.classify.tables import InlineScript, tables

_TOKEN = re.compile(
    r"""\s+
    |(?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
    |(?P<num>\d[\w.]*)
    |(?P<var>[$@%][A-Za-z_]\w*|\$_|\$\.|\$\]|\$\d|\$/)
    |(?P<id>[A-Za-z_]\w*)
    |(?P<op>=>|->|::|\*\*|===|!==|==|!=|<=|>=|&&|\|\||\.\.|\+=|-=|\+\+|[-+*/%<>=!?:;,.()\[\]{}^|&~#])
    """,
    re.VERBOSE,
)
# Where a `/` starts a regex literal rather than a division.
_BEFORE_REGEX = frozenset(
    ["(", ",", "=", ":", "[", "!", "&&", "||", "?", "{", "}", ";", "=>", "=~", "!~"]
)
_REGEX = re.compile(r"/(?:\\.|[^/\\\n])*/[a-z]*")
_MEMBER_OPS = frozenset([".", "->", "::"])
_DECLARERS = frozenset(
    ["const", "let", "var", "local", "my", "our", "function", "for", "foreach", "as"]
)
# Strings naming what runs code: a callable given by name (php's array_map("system", …)).
_RUNS = re.compile(
    r"(?i)^(?:system|exec\w*|passthru|shell_exec|popen|proc_open|pcntl_exec|assert|eval"
    r"|create_function|include\w*|require\w*|call_user_func\w*|constructor|__proto__|prototype"
    r"|child_process|spawn\w*|fork|load\w*|dofile|send|public_send|instance_eval"
    r"|class_eval|method|define_method|const_get|open|syscall|unlink|putenv|ini_set|dl)$"
)
_ENCODINGS = frozenset(
    ["utf8", "utf-8", "r", "rb", "a", "l", "n", "*a", "*l", "*n", "latin1", "ascii"]
)


@dataclass(frozen=True, slots=True)
class Script:
    """One program given on a command line: its language and its text."""

    language: str
    code: str


def script_program(name: str, args: list[str]) -> Script | None:
    """The program of ``node -p CODE``, ``ruby [-rLIB] -e CODE``, ``perl [-MMOD] -le CODE``,
    ``php -r CODE`` or ``lua -e CODE`` when nothing else is on the line, or None."""
    spec = tables().inline_scripts.get(name)
    if spec is None:
        return None
    for index, arg in enumerate(args):
        if index + 2 == len(args) and (arg in spec.code_flags or _joined_code_flag(spec, arg)):
            return Script(name, args[index + 1])
        if arg in spec.options or _module_option(spec, arg):
            continue
        return None
    return None


def _joined_code_flag(spec: InlineScript, arg: str) -> bool:
    """``perl -le``, ``perl -wle``: flags that only change line endings or warnings, then -e."""
    return any(
        re.fullmatch(r"-[lw]+" + re.escape(flag[1:]), arg)
        for flag in spec.code_flags
        if len(flag) == 2
    )


def _module_option(spec: InlineScript, arg: str) -> bool:
    """``-rjson``, ``-MPOSIX``, ``-MDigest::SHA=sha256_hex``: a listed library."""
    for prefix in spec.module_flags:
        if arg.startswith(prefix) and arg[len(prefix) :].split("=", 1)[0] in spec.libraries:
            return True
    return False


@lru_cache(maxsize=256)
def script_reads(language: str, code: str) -> tuple[str, ...] | None:
    """The literal files a read-only one-line program reads, or None when it is not provably
    read-only."""
    spec = tables().inline_scripts.get(language)
    if spec is None or "`" in code or len(code) > 2000 or _code_shapes(language, code):
        return None
    tokens = _tokens(language, code)
    if tokens is None:
        return None
    if _unbounded(tokens) or _write_modes(language, tokens):
        return None
    declared = _declared(tokens)
    reads: list[str] = [
        text[1:-1]
        for kind, text in tokens
        if kind == "str" and "\\" not in text and re.match(r"[./~]|\w+/", text[1:-1])
    ]  # any literal that looks like a path may be opened by some call: judged as a read
    index = 0
    while index < len(tokens):
        step = _check(spec, language, tokens, index, declared, reads)
        if step is None:
            return None
        index = step
    return tuple(reads)


# Repetitions whose count must be a small literal ("a".repeat(3), "-" x 20, "=" * 40).
_REPEATERS = frozenset(["repeat", "rep", "padStart", "padEnd", "ljust", "rjust", "center"])
_REPEATERS |= frozenset(["times", "str_repeat", "str_pad", "x", "fill"])
# Open modes that write: a file named by the program is created or changed.
_WRITE_MODES = frozenset(
    ["w", "wb", "w+", "wb+", "a+", "ab", "ab+", "r+", "rb+", "x", "wx", "as", "a+b"]
)


def _unbounded(tokens: list[tuple[str, str]]) -> bool:
    """A repetition by anything but a small literal, a string multiplied, perl's ~0."""
    for index, (kind, text) in enumerate(tokens):
        if kind == "id" and text in _REPEATERS:
            start = index + 2 if tokens[index + 1 : index + 2] == [("op", "(")] else index + 1
            if not _small_count(tokens, start):
                return True
        if kind == "str" and tokens[index + 1 : index + 2] == [("op", "*")]:
            if not _small_count(tokens, index + 2):
                return True
        if text == "~":
            return True
    return False


def _small_count(tokens: list[tuple[str, str]], index: int) -> bool:
    """Whether a small number literal stands alone at ``index`` (not ``2**40``, ``8 * n``)."""
    if index >= len(tokens) or tokens[index][0] != "num":
        return False
    following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
    return following not in ("**", "*", "^", "+", "-", "<<", "..", ".")


def _write_modes(language: str, tokens: list[tuple[str, str]]) -> bool:
    """An open mode that writes anywhere in the program (lua's "a" reads all, after read)."""
    for index, (kind, text) in enumerate(tokens):
        if kind != "str":
            continue
        inner = text[1:-1]
        if inner in _WRITE_MODES:
            return True
        reading = language == "lua" and tokens[index - 2 : index - 1] == [("id", "read")]
        if inner == "a" and not reading:
            return True
    return False


def _code_shapes(language: str, code: str) -> bool:
    """Forms the token walk does not follow: comments, long strings, %x(), heredocs."""
    if language == "lua":
        return "--" in code or "[[" in code or "[=" in code
    if language == "ruby":
        return bool(re.search(r"%[a-zA-Z]?[({\[<|!]|<<[~-]?\w|\#(?!\{)|__END__", code))
    if language in ("perl", "php"):
        return bool(
            re.search(r"<<\s*['\"\w~]|\bq[qxwr]?\s*[^\w\s]|\by/|\bs/|\btr/|&\s*[$&{]", code)
        )
    return "//" in code.replace("://", "") or "/*" in code


def _tokens(language: str, code: str) -> list[tuple[str, str]] | None:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(code):
        last = tokens[-1][1] if tokens else "("
        if code[position] == "/" and (last in _BEFORE_REGEX or last in ("split", "grep", "match")):
            regex = _REGEX.match(code, position)
            if (
                regex is None
                or re.search(r"\(\?\??\{|#\{", regex.group(0))
                or "e" in regex.group(0).rsplit("/", 1)[1]
            ):
                return None  # code inside a pattern, or the e flag
            tokens.append(("regex", regex.group(0)))
            position = regex.end()
            continue
        match = _TOKEN.match(code, position)
        if match is None or match.end() == position:
            return None
        position = match.end()
        if match.lastgroup is not None:
            tokens.append((match.lastgroup, match.group(0)))
    return tokens


def _declared(tokens: list[tuple[str, str]]) -> frozenset[str]:
    """Names the program declares itself: after const/let/var/local/my/for…, before ``=``
    or ``=>``, between ruby's block bars, in an arrow function's parameter list."""
    names: set[str] = set()
    for index, (kind, text) in enumerate(tokens):
        if kind not in ("id", "var"):
            continue
        before = tokens[index - 1][1] if index else ""
        after = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if before in _DECLARERS or after in ("=", "=>", "+=", "-="):
            names.add(text)
        elif before in ("|", ",") and _in_block_bars(tokens, index):
            names.add(text)
    for index, (_kind, text) in enumerate(tokens):
        if text == "=>" and index and tokens[index - 1][1] == ")":
            depth, position = 0, index - 1
            while position >= 0:
                depth += {")": 1, "(": -1}.get(tokens[position][1], 0)
                if tokens[position][0] == "id":
                    names.add(tokens[position][1])
                if depth == 0:
                    break
                position -= 1
    return frozenset(names)


def _in_block_bars(tokens: list[tuple[str, str]], index: int) -> bool:
    """Whether the name at ``index`` is in ``{ |a, b| … }`` / ``do |x| … end``."""
    position = index - 1
    while position >= 0 and tokens[position][1] in (",", "|") or tokens[position][0] == "id":
        if tokens[position][1] == "|":
            return position > 0 and tokens[position - 1][1] in ("{", "do")
        position -= 1
    return False


def _check(
    spec: InlineScript,
    language: str,
    tokens: list[tuple[str, str]],
    index: int,
    declared: frozenset[str],
    reads: list[str],
) -> int | None:
    """The index after the construct at ``index`` when it is read-only, else None."""
    kind, text = tokens[index]
    before = tokens[index - 1] if index else ("", "")
    if kind == "num":
        return index + 1 if _small(text) else None  # "A" x 1e10, (1..1e9): unbounded output
    if kind == "regex":
        return index + 1
    if kind == "str":
        inner = text[1:-1]
        if _RUNS.match(inner) or (text[0] == '"' and _interpolates(language, inner)):
            return None
        if before == ("op", "[") and language in ("node", "lua"):
            return None  # x["constructor"], _G["os"]: a member named by a string
        return index + 1
    if kind == "op":
        if (
            text == "("
            and language == "php"
            and (before[0] in ("var", "str") or before[1] in (")", "]"))
        ):
            return None  # $f(…), ("sys"."tem")(…), "system"(…): a function named by a value
        if text == "#" and language != "lua":
            return None
        return index + 1
    if kind == "var":
        return _variable(language, tokens, index)
    member = before[1] in _MEMBER_OPS or (before[1] == ":" and language == "lua")
    if text in spec.readers:
        return _reader_call(tokens, index, reads)
    if text in spec.env:
        return _env_read(tokens, index)
    if text == "require" and language == "node" and not member:
        return _node_require(spec, tokens, index, reads)
    if member:
        blocked = any(fnmatchcase(text, pattern) for pattern in spec.member_blocklist)
        return None if blocked else index + 1
    if text in spec.names or text in declared:
        return index + 1
    return None


def _small(number: str) -> bool:
    """Whether every number in a numeric token (``42``, ``1..10``, ``0xff``) is at most a
    million: a program repeating or counting past it prints without bound."""
    for part in number.split(".."):
        try:
            value = float(int(part, 0)) if part[:2].lower() in ("0x", "0o", "0b") else float(part)
        except ValueError:
            return False
        if value > 1_000_000:
            return False
    return True


def _interpolates(language: str, inner: str) -> bool:
    """Whether a double-quoted string runs or reads something when it is built."""
    if language == "ruby":
        return "#{" in inner
    if language in ("perl", "php"):
        # "$x" and "$ENV{HOME}" read a variable; ${…}, @{…}, {$…} run code
        if re.search(r"\$\{|@\{|\{\$|@[A-Za-z_]", inner):
            return True
        names = re.findall(r"\$ENV\{(\w+)\}", inner)
        if "$ENV{" in inner and len(names) != inner.count("$ENV{"):
            return True
        return any(n not in tables().harmless_variables for n in names)
    return False


def _variable(language: str, tokens: list[tuple[str, str]], index: int) -> int | None:
    text = tokens[index][1]
    if language not in ("perl", "php"):
        return None
    if text in ("%ENV", "$_ENV", "$_SERVER", "$GLOBALS", "@ARGV", "$0"):
        return None
    if text == "$ENV":  # $ENV{HOME}
        window = [t[1] for t in tokens[index + 1 : index + 4]]
        name = window[1].strip("\"'") if len(window) == 3 else ""
        if window[:1] == ["{"] and window[2:] == ["}"] and name in tables().harmless_variables:
            return index + 4
        return None
    return index + 1


def _call_literals(tokens: list[tuple[str, str]], index: int) -> tuple[list[str], int] | None:
    """The literal arguments of the call whose name is at ``index`` (``f("a", "b")``)."""
    if tokens[index + 1 : index + 2] != [("op", "(")]:
        return None
    values: list[str] = []
    position = index + 2
    while position < len(tokens):
        kind, text = tokens[position]
        if kind != "str" or "\\" in text:
            return None
        values.append(text[1:-1])
        following = tokens[position + 1][1] if position + 1 < len(tokens) else ""
        if following == ")":
            return values, position + 2
        if following != ",":
            return None
        position += 2
    return None


def _reader_call(tokens: list[tuple[str, str]], index: int, reads: list[str]) -> int | None:
    """``readFileSync("x", "utf8")``, ``File.read("x")``, ``io.lines("x")``: the first literal
    is read; any other argument must be an encoding or a read mode."""
    found = _call_literals(tokens, index)
    if found is None:
        return None
    values, after = found
    if not values or any(v.lower() not in _ENCODINGS for v in values[1:]):
        return None
    path = values[0]
    if not path or "|" in path or path.startswith(("-", "<", ">")) or "$" in path:
        return None  # Ruby's IO.read("|cmd"), perl's two-argument open: a command
    if re.match(r"[A-Za-z][\w+.-]*:", path):
        return None  # https://…, php://…, phar://, expect://: a URL or a wrapper, not a file
    reads.append(path)
    return after


def _node_require(
    spec: InlineScript, tokens: list[tuple[str, str]], index: int, reads: list[str]
) -> int | None:
    """``require("fs")``, ``require("node:os")``: a listed built-in module;
    ``require("./x.json")``: a JSON file read. Anything else loads code (node_modules)."""
    found = _call_literals(tokens, index)
    if found is None or len(found[0]) != 1:
        return None
    module, after = found[0][0], found[1]
    if module in spec.libraries:
        return after
    if module.startswith("./") and module.endswith(".json") and ".." not in module:
        reads.append(module[2:])
        return after
    return None


def _env_read(tokens: list[tuple[str, str]], index: int) -> int | None:
    """``process.env.NODE_ENV``, ``ENV["HOME"]``, ``getenv("HOME")``, ``os.getenv("HOME")``:
    one variable of ``harmless_variables``."""
    harmless = tables().harmless_variables
    window = tokens[index + 1 : index + 4]
    texts = [t[1] for t in window]
    if texts[:1] == ["."] and len(window) > 1 and window[1][0] == "id":
        return index + 3 if window[1][1] in harmless else None
    if texts[:1] in (["["], ["("]) and len(window) == 3 and texts[2] in ("]", ")"):
        kind, text = window[1]
        return index + 4 if kind == "str" and text[1:-1] in harmless else None
    return None
