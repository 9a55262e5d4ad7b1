"""The walker: from a command's text to findings, part by part.

A text is parsed by bashlex (under a bound, :mod:`gitgate.classify.parser`) and every node
is visited: lists, pipelines, subshells, compound commands, functions, ``$(...)``, backticks,
process substitutions, redirections, here-documents. Each simple command is unwrapped
(``env``, ``nice``, ``timeout``, ``xargs``...), then judged: policy deny rules, built-in deny
rules, options and environment that run programs, code it runs (``sh -c``, ``python -c``,
decode-and-execute), the files it reads, and finally whether it is a read-only tool used in a
read-only way. All names and options come from the data tables
(:mod:`gitgate.classify.tables`); this module only knows the shell.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any

from gitgate.classify.allowed import first_operand, validator_for
from gitgate.classify.model import (
    CommandRules,
    Ctx,
    Finding,
    Word,
    allow,
    approve,
    argv_text,
    deny,
    has_deny,
    plain_words,
    short,
    worst,
)
from gitgate.classify.parser import ParserGaveUp, parse, pre_parse_problem
from gitgate.classify.paths import join_cwd, judge_path, locate, secret_reason
from gitgate.classify.tables import Tables, tables

_SCAN_LIMIT = 65536  # characters of an over-long command the rough deny scan looks at
_MAX_TEXT_DEPTH = 4  # nested `sh -c`, `eval`, `xargs`... strings classified recursively
_MAX_NODE_DEPTH = 64  # AST nesting walked before giving up

_STD_BIN_DIRS = frozenset(
    ["/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin", "/usr/local/sbin"]
)
_PYTHON_NAME = re.compile(r"python[0-9.]*")

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

# Code in `python -c` & co. that obviously deletes files or opens a reverse shell.
_CODE_DELETES = re.compile(
    r"rmtree|os\.(remove|unlink|rmdir|removedirs)\b|\bunlink(Sync)?\b|\brm(dir)?Sync\b|"
    r"fs\.(promises\.)?rm\b|FileUtils\.rm|File\.delete|\brm\s+-[a-zA-Z]*[rRf]|rimraf|"
    r"Remove-Item|\.unlink\(|\.rmdir\(",
)
_CODE_REVERSE_SHELL = re.compile(r"socket.*(dup2|pty\.spawn|subprocess|/bin/(ba)?sh)", re.DOTALL)
_CODE_SHELL_STRING = re.compile(
    r"(?:system|popen|exec|execSync|spawnSync|call|run|check_output|check_call|Popen)"
    r"\s*\(\s*(?:r|f|b)?(['\"])(.*?)\1",
    re.DOTALL,
)
# awk programs that run commands: system(), print | "cmd", "cmd" | getline, |&.
_AWK_RUNS = re.compile(r"system\s*\(|\|\s*\"|\"\s*\|\s*getline|\|&|\|\s*[a-zA-Z_]+\s*;?\s*$")


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
    if ctx.depth > _MAX_TEXT_DEPTH:
        return rough_scan(text, ctx) + [approve(f"nested too deeply: {short(text)}")]
    guard = pre_parse_problem(text)
    if guard is not None:
        return rough_scan(text, ctx) + [approve(guard)]
    if not text.strip():
        return []
    text_level = text_level_findings(text)
    try:
        trees = parse(text, ctx.budget)
    except ParserGaveUp as stopped:
        reason = f"the parser gave up ({stopped}): a human must read it"
        return text_level + rough_scan(text, ctx) + [approve(reason)]
    except Exception as exc:  # noqa: BLE001 - bashlex raises many types, even RecursionError
        reason = f"could not parse the command ({type(exc).__name__}): a human must read it"
        return text_level + rough_scan(text, ctx) + [approve(reason)]
    findings = text_level + _comment_findings(text, trees)
    if has_escaped_metachar(text):
        findings.append(approve("escaped shell operator (like '\\;'): the text is not what it seems"))
    walker = Walker(text, ctx)
    for tree in trees:
        findings.extend(walker.node(tree, 0))
    return findings


def text_level_findings(text: str) -> list[Finding]:
    """Deny patterns found anywhere in the text, whatever the syntax around them."""
    findings: list[Finding] = []
    metadata = _METADATA.search(text)
    if metadata:
        findings.append(deny(f"cloud metadata address {metadata.group(0)!r}: leaks credentials"))
    if _RAW_SOCKET.search(text):
        findings.append(deny("/dev/tcp or /dev/udp: raw network connection (reverse shell)"))
    if _FORK_BOMB.search(text):
        findings.append(deny("fork bomb: a function that pipes into itself"))
    control = _CONTROL.search(text)
    if control:
        code = f"U+{ord(control.group(0)):04X}"
        findings.append(approve(f"control character {code}: may hide text from the reviewer"))
    return findings


def _comment_findings(text: str, trees: Sequence[Any]) -> list[Finding]:
    """Text after '#' is invisible to the shell but visible to people."""
    if "#" not in text:
        return []
    covered = _leaf_spans(trees)
    for index, char in enumerate(text):
        if char == "#" and not any(start <= index < end for start, end in covered):
            return [approve(f"comment {short(text[index:], 40)!r}: hidden from the shell")]
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


def rough_scan(text: str, ctx: Ctx) -> list[Finding]:
    """Deny findings from a quote-blind scan of ``text``; never returns allow."""
    text = text[:_SCAN_LIMIT].replace("\x00", " ")
    findings = [f for f in text_level_findings(text) if f.decision == "deny"]
    if ctx.depth > _MAX_TEXT_DEPTH:
        return findings
    # Quotes and backslashes are dropped so r''m, "r"m and \rm all read as rm.
    unquoted = re.sub(r"\$'|['\"\\]", "", text)
    for segment in _ROUGH_SEPARATORS.split(unquoted):
        tokens = segment.split()
        while tokens and (tokens[0] in _RESERVED or is_assignment(tokens[0])):
            tokens.pop(0)
        if not tokens:
            continue
        judged = judge_argv(plain_words(tokens), ctx.deeper(), rough=True)
        findings.extend(f for f in judged if f.decision == "deny")
    return findings


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


# --------------------------------------------------------------------------------------------
# AST walker
# --------------------------------------------------------------------------------------------


class Walker:
    """Walks bashlex nodes, returning findings for every part."""

    def __init__(self, source: str, ctx: Ctx) -> None:
        self.source = source
        self.ctx = ctx
        self.handlers: dict[str, Callable[[Any, int], list[Finding]]] = {
            "list": self._children,
            "pipeline": self._pipeline,
            "command": self._command,
            "compound": self._compound,
            "function": self._function,
            "if": self._children,
            "for": self._children,
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
        for index, part in enumerate(commands):
            argv = self._argv_of(part)
            if index > 0 and argv and reads_code_from_stdin(argv):
                findings.extend(self._pipe_into_interpreter(stages, argv, part))
            findings.extend(self.node(part, depth))
            stages.append(argv)
        return findings

    def _pipe_into_interpreter(
        self, stages: list[list[Word]], argv: list[Word], part: Any
    ) -> list[Finding]:
        sink = argv_text(argv)
        upstream = " | ".join(argv_text(stage) for stage in stages)
        names = {command_name(stage[0].text)[0].lower() for stage in stages if stage}
        names |= {name.lower() for name in _command_names_of_stages(self, stages)}
        data = tables()
        if names & data.downloaders:
            pipeline = short(f"{upstream} | {sink}")
            return [deny(f"{pipeline!r}: downloads code and pipes it into {sink!r}")]
        decoder = next((stage for stage in stages if is_decoder(stage)), None)
        if decoder is not None:
            what = short(upstream + " | " + sink)
            return [deny(f"{what!r}: decodes text ({argv_text(decoder)}) and runs it")]
        findings = [approve(f"pipes into {sink!r}: runs whatever the left side prints")]
        # `echo 'rm -rf /' | sh`: judge the literal text the shell will run.
        literal = literal_echo(stages[-1]) if stages else None
        if literal is not None:
            findings.append(classify_text(literal, self.ctx.deeper()))
        return findings

    def _argv_of(self, node: Any) -> list[Word]:
        if getattr(node, "kind", "") != "command":
            return []
        words = [self._word(p) for p in node.parts if getattr(p, "kind", "") == "word"]
        return unwrap_quietly(words)

    # -- simple commands --------------------------------------------------------------------

    def _command(self, node: Any, depth: int) -> list[Finding]:
        findings: list[Finding] = []
        words: list[Word] = []
        assignments: list[Word] = []
        redirects: list[Any] = []
        for part in node.parts:
            kind = getattr(part, "kind", "")
            if kind == "word":
                findings.extend(self._expansions(part, depth))
                words.append(self._word(part))
            elif kind == "assignment":
                findings.extend(self._expansions(part, depth))
                assignments.append(self._word(part))
            elif kind == "redirect":
                redirects.append(part)
            else:
                findings.append(approve(f"unsupported shell construct ({kind})"))
        unwrapped = unwrap_quietly(words) if words else []
        reads_code = bool(unwrapped) and reads_code_from_stdin(unwrapped)
        for redirect in redirects:
            findings.extend(self._redirect(redirect, depth, reads_code=reads_code))
        findings.extend(judge_assignments(assignments, has_command=bool(words)))
        if words and command_name(words[0].text)[0] == "eval":
            findings.extend(self._computed_code(node, words))
        elif unwrapped:
            findings.extend(self._computed_code(node, unwrapped))
        if words:
            findings.extend(judge_argv(words, self.ctx))
            self._track_cd(words)
        return findings

    def _computed_code(self, node: Any, argv: list[Word]) -> list[Finding]:
        """``bash <(curl ...)``, ``python -c "$(curl ...)"``, ``eval "$(...)"``: code whose text
        comes from another command. Denied when that command downloads or decodes."""
        name = command_name(argv[0].text)[0].lower()
        data = tables()
        runs_code = (
            name in data.shells
            or name in ("source", ".", "eval")
            or _PYTHON_NAME.fullmatch(name) is not None
            or name in data.interpreters
        )
        if not runs_code:
            return []
        for part in node.parts:
            for sub in getattr(part, "parts", None) or []:
                if getattr(sub, "kind", "") not in ("commandsubstitution", "processsubstitution"):
                    continue
                inner = sub.command
                producers = _command_names(inner)
                text = self._raw(sub)
                if name == "eval":
                    return [deny(f"eval of command output {short(text)!r}: runs unseen code")]
                if producers & data.downloaders:
                    return [deny(f"{name} runs code downloaded by {short(text)!r}")]
                if any(is_decoder(plain_words(_split(t))) for t in _simple_texts(self, inner)):
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

    def _word(self, node: Any) -> Word:
        start, end = node.pos
        raw = self.source[start:end]
        text = str(node.word)
        parts = getattr(node, "parts", None) or []
        kinds = [getattr(part, "kind", "") for part in parts]
        if any(kind in ("commandsubstitution", "processsubstitution") for kind in kinds):
            return Word(text, raw, True)
        params = [str(getattr(p, "value", "")) for p in parts if getattr(p, "kind", "") == "parameter"]
        dynamic = "$'" in raw or '$"' in raw
        if params and all(p == "HOME" for p in params) and not dynamic:
            # $HOME/x and ${HOME}/x are ~/x: judge the path, do not give up on it.
            text = re.sub(r"\$\{HOME\}|\$HOME(?![A-Za-z0-9_])", "~", text)
            return Word(text, raw, False)
        if params:
            harmless = all(p in tables().harmless_variables for p in params)
            return Word(text, raw, True, soft=harmless and not dynamic)
        return Word(text, raw, dynamic)

    def _expansions(self, node: Any, depth: int) -> list[Finding]:
        """Findings for command and process substitutions and variables inside a word."""
        findings: list[Finding] = []
        for part in getattr(node, "parts", None) or []:
            kind = getattr(part, "kind", "")
            if kind in ("commandsubstitution", "processsubstitution"):
                findings.extend(self.node(part, depth))
                findings.append(approve(f"uses command output: {short(self._raw(part))!r}"))
            elif kind == "parameter":
                value = str(getattr(part, "value", ""))
                if "$(" in value or "`" in value:
                    # bashlex leaves ${x:-$(cmd)} unparsed: judge the text roughly.
                    findings.extend(rough_scan(value, self.ctx))
                name = re.match(r"[!#]?([A-Za-z_][A-Za-z0-9_]*)", value)
                if name and tables().secret_variable.search(name.group(1)):
                    findings.append(deny(f"expands ${name.group(1)}: prints a secret"))
        return findings

    def _raw(self, node: Any) -> str:
        start, end = node.pos
        return self.source[start:end]

    def _redirect(self, node: Any, depth: int, *, reads_code: bool) -> list[Finding]:
        kind = str(getattr(node, "type", ""))
        target = getattr(node, "output", None)
        findings: list[Finding] = []
        if kind in ("<<", "<<-"):
            body = str(getattr(getattr(node, "heredoc", None), "value", ""))
            return findings + self._heredoc(body, reads_code=reads_code)
        if target is None or isinstance(target, int) or not hasattr(target, "kind"):
            return findings  # fd duplication like 2>&1
        findings.extend(self._expansions(target, depth))
        word = self._word(target)
        if kind == "<<<":
            if reads_code:
                findings.append(classify_text(word.text, self.ctx.deeper()))
                findings.append(approve(f"feeds a here-string to {short(word.raw)!r}"))
            return findings
        if word.dynamic:
            findings.append(approve(f"redirection to a computed target {word.raw!r}"))
            return findings
        if kind == "<":
            found = judge_path(f"< {word.text}", word.text, self.ctx.cwd[0], contents=True)
            if found is not None:
                findings.append(found)
            if reads_code:
                findings.append(approve(f"runs the script {word.text!r} from stdin"))
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


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


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
            if "$(" in word.raw or "`" in word.raw:
                for token in re.split(r"[\s$()`|;&]+", word.raw):
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


def is_decoder(argv: list[Word]) -> bool:
    """Whether a stage turns opaque text into other text (``base64 -d``, ``xxd -r``)."""
    words = unwrap_quietly(argv)
    if not words:
        return False
    name = command_name(words[0].text)[0].lower()
    data = tables()
    if name in ("echo", "printf"):
        # printf '\x72\x6d' and echo -e '\162\155' decode escapes.
        return any(re.search(r"\\(x[0-9a-fA-F]{2}|[0-7]{3}|u[0-9a-fA-F]{4})", w.text) for w in words)
    flags = data.decoders.get(name)
    if flags is None:
        return False
    if not flags:
        return True
    args = [word.text for word in words[1:]]
    for arg in args:
        if arg in flags:
            return True
        if re.fullmatch(r"-[a-zA-Z]+", arg) and any(
            len(flag) == 2 and flag[1] in arg[1:] for flag in flags if flag.startswith("-")
        ):
            return True
    return False


def literal_echo(argv: list[Word]) -> str | None:
    """The text an ``echo``/``printf`` of literal words prints, if that is all."""
    if len(argv) < 1 or any(word.dynamic for word in argv):
        return None
    if command_name(argv[0].text)[0] not in ("echo", "printf"):
        return None
    words = [word.text for word in argv[1:] if not word.text.startswith("-")]
    return " ".join(words).replace("\\n", "\n")


def judge_write_target(target: str, what: str) -> list[Finding]:
    """Findings for a redirection or ``tee`` writing ``target``."""
    data = tables()
    if target in data.harmless_sinks:
        return []
    normal = posixpath.normpath(target) if target else target
    if data.raw_devices.match(normal):
        return [deny(f"{what!r} writes a raw device")]
    sensitive = secret_reason(normal) or secret_reason(target)
    if sensitive:
        return [deny(f"{what!r} overwrites {sensitive}")]
    if normal.startswith(data.system_dirs):
        return [deny(f"{what!r} overwrites a system file")]
    return [approve(f"{what!r} writes a file")]


def judge_assignments(assignments: list[Word], *, has_command: bool) -> list[Finding]:
    """Variable assignments: pager, loader and GIT_* variables run programs (deny);
    locale settings pass; anything else needs a human."""
    findings: list[Finding] = []
    for word in assignments:
        name, _, value = word.text.partition("=")
        name = name.rstrip("+")
        where = "for the command" if has_command else "in the shell"
        if runs_programs(name, value, dynamic=word.dynamic):
            findings.append(deny(f"sets {short(word.raw, 40)!r} {where}: makes tools run programs"))
        elif word.dynamic or not _harmless_env(name):
            findings.append(approve(f"sets {short(word.raw, 40)!r} {where}"))
    return findings


def runs_programs(name: str, value: str, *, dynamic: bool = False) -> bool:
    """Whether setting the variable ``name`` makes a tool run a program or load code."""
    data = tables()
    upper = name.upper()
    if upper in data.env_harmless_value_names and not dynamic:
        if value.strip() in data.env_harmless_values:
            return False
    return upper in data.env_exec or upper.startswith(data.env_exec_prefixes)


def _harmless_env(name: str) -> bool:
    data = tables()
    return name in data.env_harmless or name.startswith(data.env_harmless_prefixes) or (
        name.upper() in data.env_harmless_value_names
    )


# --------------------------------------------------------------------------------------------
# Simple commands: unwrap, deny rules, allow rules
# --------------------------------------------------------------------------------------------


def command_name(text: str) -> tuple[str, bool]:
    """(basename, trusted location) of a command word: ``/bin/rm`` -> ``("rm", True)``."""
    if "/" not in text:
        return text, True
    directory, _, base = text.rpartition("/")
    return base, posixpath.normpath(directory or "/") in _STD_BIN_DIRS


def judge_argv(words: list[Word], ctx: Ctx, *, rough: bool = False) -> list[Finding]:
    """Findings for one simple command given as words (wrappers included)."""
    findings: list[Finding] = []
    words = list(words)
    for _ in range(16):  # wrappers nest (`nice timeout 5 env X=1 cmd`): bounded
        if not words:
            return findings
        head = words[0]
        if head.dynamic:
            return findings + [approve(f"command name is computed: {argv_text(words)!r}")]
        name = command_name(head.text)[0]
        unwrapped = _unwrap(name, words, ctx)
        if unwrapped is None:
            break
        words, extra = unwrapped
        findings.extend(extra)
    else:
        return findings + [approve("too many nested command wrappers")]
    return findings + judge_simple(words, ctx, rough=rough)


def unwrap_quietly(words: list[Word]) -> list[Word]:
    """``words`` with wrappers (env, nice, timeout...) removed; findings discarded."""
    ctx = Ctx(CommandRules(), _MAX_TEXT_DEPTH + 1)
    for _ in range(16):
        if not words or words[0].dynamic:
            return words
        unwrapped = _unwrap(command_name(words[0].text)[0], words, ctx)
        if unwrapped is None:
            return words
        words = unwrapped[0]
    return words


def _skip_options(
    args: list[Word], with_value: Iterable[str], flags: Iterable[str] = ()
) -> list[Word] | None:
    """Drop leading options; None when an option is unknown (the caller then gives up)."""
    valued, plain = set(with_value), set(flags)
    index = 0
    while index < len(args):
        text = args[index].text
        if text == "--":
            return args[index + 1 :]
        if not text.startswith("-") or text == "-":
            return args[index:]
        if text in plain:
            index += 1
        elif text in valued:
            index += 2
        elif text.split("=", 1)[0] in valued or (text[:2] in valued and len(text) > 2):
            index += 1
        else:
            return None
    return []


_Unwrapped = tuple[list[Word], list[Finding]]


def _unwrap(name: str, words: list[Word], ctx: Ctx) -> _Unwrapped | None:
    """Strip one wrapper command; None when ``name`` is not a wrapper."""
    handler = _WRAPPERS.get(name)
    return None if handler is None else handler(words, ctx)


def _unwrap_env(words: list[Word], ctx: Ctx) -> _Unwrapped:
    args = words[1:]
    findings: list[Finding] = []
    while args:
        text = args[0].text
        if text in ("-S", "--split-string") and len(args) > 1:
            inner = plain_words(_split(args[1].text))
            return inner + args[2:], [approve(f"env -S splits {args[1].raw!r}")]
        if text.startswith("--split-string=") or (text.startswith("-S") and len(text) > 2):
            value = text.split("=", 1)[1] if text.startswith("--") else text[2:]
            return plain_words(_split(value)) + args[1:], [approve(f"env -S splits {value!r}")]
        if text in ("-u", "--unset", "-C", "--chdir"):
            args = args[2:]
        elif text in ("-i", "-", "--ignore-environment", "-0", "--null", "-v", "--debug"):
            args = args[1:]
        elif text == "--":
            args = args[1:]
            break
        elif text.startswith(("--unset=", "--chdir=", "-u", "-C")):
            args = args[1:]
        elif text.startswith("-"):
            return [], [approve(f"unknown env option {text!r}")]
        else:
            break
    while args and is_assignment(args[0].text):
        findings.extend(judge_assignments([args[0]], has_command=True))
        args = args[1:]
    if not args:
        return [], findings + [deny("env without a command prints the environment (secrets)")]
    return args, findings


def _unwrap_simple(
    with_value: Iterable[str] = (), flags: Iterable[str] = (), note: str = ""
) -> Callable[[list[Word], Ctx], _Unwrapped]:
    """A wrapper that takes options and then the command (nice, nohup, stdbuf...)."""

    def unwrap(words: list[Word], _ctx: Ctx) -> _Unwrapped:
        rest = _skip_options(words[1:], with_value, flags)
        if rest is None:
            return [], [approve(f"unknown option in {argv_text(words)!r}")]
        extra = [approve(f"{words[0].text} {note}")] if note else []
        return rest, extra

    return unwrap


def _unwrap_timeout(words: list[Word], ctx: Ctx) -> _Unwrapped:
    rest = _skip_options(
        words[1:],
        ("-s", "--signal", "-k", "--kill-after"),
        ("--preserve-status", "--foreground", "-v", "--verbose"),
    )
    if rest is None:
        return [], [approve(f"unknown option in {argv_text(words)!r}")]
    return rest[1:], []  # the first operand is the duration


def _unwrap_time(words: list[Word], ctx: Ctx) -> _Unwrapped:
    args = words[1:]
    if any(w.text in ("-o", "--output") or w.text.startswith("--output=") for w in args[:4]):
        return [], [approve(f"time -o writes a file: {argv_text(words)!r}")]
    rest = _skip_options(args, ("-f", "--format"), ("-p", "-v", "--verbose", "-a", "--append"))
    if rest is None:
        return [], [approve(f"unknown option in {argv_text(words)!r}")]
    return rest, []


def _unwrap_command(words: list[Word], ctx: Ctx) -> _Unwrapped:
    args = words[1:]
    if args and args[0].text in ("-v", "-V"):
        ctx.allowed.append("command -v")
        return [], [allow("looks up a command")]
    rest = _skip_options(args, (), ("-p",))
    if rest is None:
        return [], [approve(f"unknown option in {argv_text(words)!r}")]
    return rest, []


def _unwrap_exec(words: list[Word], ctx: Ctx) -> _Unwrapped:
    rest = _skip_options(words[1:], ("-a",), ("-c", "-l", "-cl", "-lc"))
    if rest is None:
        return [], [approve(f"unknown option in {argv_text(words)!r}")]
    return rest, [approve("exec replaces the shell")]


def _unwrap_xargs(words: list[Word], ctx: Ctx) -> _Unwrapped:
    rest = _skip_options(
        words[1:],
        ("-I", "-L", "-l", "-n", "-P", "-s", "-d", "-E", "-e", "-a", "--arg-file", "-i"),
        ("-0", "-r", "-t", "-x", "-p", "-o", "--null", "--no-run-if-empty", "--verbose")
        + ("--open-tty", "--interactive", "--exit"),
    )
    if rest is None:
        return [], [approve(f"unknown option in {argv_text(words)!r}")]
    if not rest:
        rest = [Word("echo", "echo")]
    inner = command_name(rest[0].text)[0].lower()
    data = tables()
    if inner in data.shells or _PYTHON_NAME.fullmatch(inner) or inner in data.interpreters:
        return [], [deny(f"xargs runs {argv_text(rest)!r}: code built from its input")]
    note = approve(f"xargs runs {argv_text(rest)!r} on arguments read from its input")
    return rest, [note]


def _unwrap_watch(words: list[Word], ctx: Ctx) -> _Unwrapped:
    rest = _skip_options(
        words[1:],
        ("-n", "--interval", "-d", "--differences", "-q", "--equexit"),
        ("-t", "--no-title", "-b", "--beep", "-e", "--errexit", "-g", "--chgexit", "-c")
        + ("--color", "-x", "--exec", "-p", "--precise", "-w", "--no-wrap"),
    )
    hang = approve("watch repeats forever: it would hang")
    if rest is None:
        return [], [hang]
    inner = classify_text(" ".join(w.text for w in rest), ctx.deeper())  # runs via `sh -c`
    return [], [inner, hang]


def _unwrap_eval(words: list[Word], ctx: Ctx) -> _Unwrapped:
    text = " ".join(word.text for word in words[1:])
    if any(word.dynamic for word in words[1:]):
        return [], [approve(f"eval of computed text: {argv_text(words)!r}")]
    inner = classify_text(text, ctx.deeper())
    return [], [inner, approve(f"eval runs {short(text)!r} as shell code")]


_WRAPPERS: dict[str, Callable[[list[Word], Ctx], _Unwrapped]] = {
    "env": _unwrap_env,
    "command": _unwrap_command,
    "builtin": _unwrap_simple(),
    "nice": _unwrap_simple(("-n", "--adjustment"), [f"-{n}" for n in range(-20, 20)]),
    "nohup": _unwrap_simple(note="detaches the command from the session"),
    "setsid": _unwrap_simple((), ("-f", "--fork", "-w", "--wait", "-c", "--ctty")),
    "ionice": _unwrap_simple(("-c", "--class", "-n", "--classdata"), ("-t", "--ignore")),
    "stdbuf": _unwrap_simple(("-i", "-o", "-e", "--input", "--output", "--error")),
    "timeout": _unwrap_timeout,
    "time": _unwrap_time,
    "exec": _unwrap_exec,
    "xargs": _unwrap_xargs,
    "watch": _unwrap_watch,
    "eval": _unwrap_eval,
    "busybox": _unwrap_simple(),
    "chronic": _unwrap_simple(),
    "caffeinate": _unwrap_simple(),
}


def _all_command_names(data: Tables) -> list[str]:
    """Every command name the tables know: what a globbed command name could match."""
    names = set(data.always_deny) | data.shells | data.readers | data.downloaders
    names |= data.system_packages | data.interactive | set(data.allow) | set(data.subcommands)
    names |= set(data.interpreters) | set(data.decoders) | set(_WRAPPERS) | {"dd", "kill"}
    names |= {rule.words[0] for rule in data.deny_rules} | {"python", "python3", "mkfs"}
    return sorted(names)


def _glob_name_findings(words: list[Word], ctx: Ctx) -> list[Finding]:
    """``/bin/r? -rf /``: judge the command as every known program its name could match."""
    base = command_name(words[0].text)[0]
    matches = [name for name in _all_command_names(tables()) if fnmatchcase(name, base)]
    findings: list[Finding] = [approve(f"glob in command position: {argv_text(words)!r}")]
    for name in matches[:40]:
        judged = judge_argv([Word(name, name), *words[1:]], ctx.deeper(), rough=True)
        if has_deny(judged):
            reason = next(f.reason for f in judged if f.decision == "deny")
            findings.append(deny(f"{words[0].text!r} may be {name}: {reason}"))
            break
    return findings


def judge_simple(words: list[Word], ctx: Ctx, *, rough: bool = False) -> list[Finding]:
    """Deny rules, then allow rules, for one unwrapped simple command."""
    head = words[0]
    name, trusted = command_name(head.text)
    lowered = name.lower()
    text = argv_text(words)
    if any(char in name for char in "*?["):
        return _glob_name_findings(words, ctx)
    denied = _policy_deny(words, ctx.rules) or baseline_deny(lowered, words)
    if denied is not None:
        return [denied]
    code = exec_findings(lowered, words, ctx)
    if has_deny(code):
        return code
    findings = argument_findings(lowered, words, ctx)
    if has_deny(findings) or rough:
        return findings
    if not trusted:
        return findings + [approve(f"runs a program by path: {text!r}")]
    computed = next((w for w in words[1:] if w.dynamic and not w.soft), None)
    if computed is None and lowered not in tables().string_only:
        computed = next((w for w in words[1:] if w.dynamic), None)
    if computed is not None:
        return findings + [approve(f"{name}: argument {computed.raw!r} is computed")]
    escaped = next((w for w in words if has_escaped_metachar(w.raw)), None)
    if escaped is not None:
        return findings + [approve(f"{name}: escaped shell character in {escaped.raw!r}")]
    if ctx.cwd[0] is None or locate(".", ctx.cwd[0]).where != "inside":
        if lowered not in ("cd", "pushd", "popd", "echo", "printf", "true", "pwd"):
            return findings + [approve(f"{text!r} runs outside the repository")]
    if _policy_allow(words, ctx.rules):
        ctx.allowed.append(text)
        return findings + [allow("allowed by policy")]
    return findings + baseline_allow(name, words, ctx, code)


# -- policy rules ----------------------------------------------------------------------------


def _rule_words(rule: str) -> list[str]:
    parts = _split(rule)
    if parts:
        parts[0] = command_name(parts[0])[0]
    return parts


def _in_order(rest: list[str], parts: Sequence[str]) -> bool:
    position = 0
    for part in parts:
        try:
            position = rest.index(part, position) + 1
        except ValueError:
            return False
    return True


def _policy_deny(words: list[Word], rules: CommandRules) -> Finding | None:
    """A policy deny rule matching ``words`` (name, then the rule's words in order)."""
    name = command_name(words[0].text)[0].lower()
    rest = [word.text.lower() for word in words[1:]]
    for rule in rules.deny:
        parts = [part.lower() for part in _rule_words(rule)]
        if parts and parts[0] == name and _in_order(rest, parts[1:]):
            return deny(f"{argv_text(words)!r} matches the policy deny rule {rule!r}")
    return None


def _policy_allow(words: list[Word], rules: CommandRules) -> bool:
    argv = [command_name(words[0].text)[0]] + [word.text for word in words[1:]]
    for rule in rules.allow:
        parts = _rule_words(rule)
        if parts and argv[: len(parts)] == parts:
            return True
    return False


# -- built-in deny rules ---------------------------------------------------------------------


def baseline_deny(name: str, words: list[Word]) -> Finding | None:
    """The built-in deny rules; ``name`` is the lower-cased basename."""
    data = tables()
    text = argv_text(words)
    args = [word.text for word in words[1:]]
    if name in data.always_deny:
        return deny(f"{text!r}: {name} {data.always_deny[name]}")
    if name.startswith("mkfs"):
        return deny(f"{text!r}: formats a filesystem")
    if name in data.system_packages:
        operand = first_operand(args)
        if operand is None or operand not in data.system_packages_harmless:
            return deny(f"{text!r}: the system package manager changes the machine")
    for rule in data.deny_rules:
        if _deny_rule_matches(rule, name, args):
            return deny(f"{text!r}: {rule.reason}")
    for check in (_deny_env_dump, _deny_kill, _deny_dd, _deny_network_shell):
        reason = check(name, args)
        if reason is not None:
            return deny(f"{text!r}: {reason}")
    return None


def _word_hits(pattern: str, args: list[str]) -> bool:
    for arg in args:
        low = arg.lower()
        if fnmatchcase(low, pattern.lower()) or low.startswith(pattern.lower() + "="):
            return True
        if (
            len(pattern) == 2
            and pattern.startswith("-")
            and re.fullmatch(r"-[a-zA-Z]+", arg)
            and pattern[1] in arg[1:]
        ):
            return True
    return False


def _deny_rule_matches(rule: Any, name: str, args: list[str]) -> bool:
    if rule.words[0] != name:
        return False
    lowered = [arg.lower() for arg in args]
    if not _in_order(lowered, rule.words[1:]):
        return False
    if rule.any and not any(_word_hits(p, args) for p in rule.any):
        return False
    return not any(_word_hits(p, args) for p in rule.unless)


def _deny_env_dump(name: str, args: list[str]) -> str | None:
    if name == "ps" and any(
        not arg.startswith("-") and re.fullmatch(r"[a-zA-Z]+", arg) and "e" in arg for arg in args
    ):
        return "ps e prints every process's environment (secrets)"
    if name == "export" and (not args or args == ["-p"]):
        return "prints the exported environment (secrets)"
    if name == "set" and (not args or args in (["-o", "posix"], ["--"])):
        return "prints every shell variable (secrets)"
    if name == "export":
        for arg in args:
            key, equals, value = arg.partition("=")
            if equals and runs_programs(key, value):
                return f"exports {key}: makes tools run programs"
    return None


def _deny_kill(name: str, args: list[str]) -> str | None:
    if name != "kill":
        return None
    targets = args[1:] if args and args[0].startswith("-") and args[0] != "--" else args
    if args[:1] == ["-s"] or args[:1] == ["-n"]:
        targets = args[2:]
    if any(target in ("1", "-1", "0", "--1") for target in targets if target != "--"):
        return "kills init, the process group or every process"
    return None


def _deny_dd(name: str, args: list[str]) -> str | None:
    if name != "dd":
        return None
    for arg in args:
        key, _, value = arg.partition("=")
        if key == "of" and posixpath.normpath(value or ".").startswith("/dev/"):
            if value not in tables().harmless_sinks:
                return f"writes the device {value}"
        if key == "if" and tables().raw_devices.match(posixpath.normpath(value or ".")):
            return f"reads the raw device {value}"
    return None


def _deny_network_shell(name: str, args: list[str]) -> str | None:
    if name in ("nc", "ncat", "netcat"):
        for arg in args:
            if arg in ("-e", "-c", "--exec", "--sh-exec", "--lua-exec") or (
                arg.startswith("-") and not arg.startswith("--") and ("e" in arg or "c" in arg)
            ):
                return "netcat executing a program: a reverse shell"
    if name == "socat" and any(
        arg.lower().startswith(("exec:", "system:")) or ",exec:" in arg.lower() for arg in args
    ):
        return "socat executing a program: a reverse shell"
    return None


# -- options and code that run programs ------------------------------------------------------


def exec_findings(name: str, words: list[Word], ctx: Ctx) -> list[Finding]:
    """Findings about programs a command runs: options (``find -exec``, ``git -c core.pager``),
    scripts (``sed e``, awk ``system()``), shells' ``-c`` strings, interpreters' inline code."""
    args = [word.text for word in words[1:]]
    findings: list[Finding] = []
    option = _exec_option(name, args)
    if option is not None:
        findings.append(deny(f"{name} {option} makes it run programs or write files"))
    if name == "git":
        findings.extend(_git_config_findings(args))
    if name == "find":
        findings.extend(_find_exec_findings(words, ctx))
    elif name in ("sed", "gsed"):
        findings.extend(_sed_findings(args))
    elif name in ("awk", "gawk", "mawk", "nawk"):
        program = _pattern_operand(name, args)
        if program is not None and _AWK_RUNS.search(program):
            findings.append(deny(f"the awk program {short(program, 40)!r} runs commands"))
    elif name in ("less", "more", "man") and any(
        a.startswith("+") and ("!" in a or "|" in a) for a in args
    ):
        findings.append(deny(f"{name} +COMMAND runs a shell command"))
    elif name in tables().shells:
        findings.extend(_shell_findings(words, ctx))
    else:
        code = inline_code(name, words)
        if code is not None:
            findings.extend(_code_findings(code, ctx))
    return findings


def _exec_option(name: str, args: list[str]) -> str | None:
    options = tables().exec_options.get(name, ())
    if name == "git" and "grep" in args:
        options = (*options, "-O", "--open-files-in-pager")
    for arg in args:
        if arg == "--" and name != "find":
            return None
        for option in options:
            if arg == option or (option.endswith("=") and arg.startswith(option)):
                return arg
            if option.startswith("--") and arg.startswith(option + "="):
                return arg
            if len(option) == 2 and option.startswith("-") and arg.startswith(option):
                if not arg.startswith("--") and name not in ("find",):
                    return arg
            if option.startswith("+") and arg.startswith(option):
                return arg
    return None


def _git_config_findings(args: list[str]) -> list[Finding]:
    """``git -c KEY=VALUE`` / ``--config-env``: keys that run programs are denied."""
    findings: list[Finding] = []
    index = 0
    while index < len(args) and args[index].startswith("-"):
        arg = args[index]
        value: str | None = None
        if arg == "-c" and index + 1 < len(args):
            value = args[index + 1]
            index += 1
        elif arg.startswith("-c") and len(arg) > 2:
            value = arg[2:]
        index += 1
        if value is None:
            continue
        key, _, setting = value.partition("=")
        key = key.lower()
        for pattern in tables().git_exec_config:
            if fnmatchcase(key, pattern):
                if pattern == "alias.*" and not setting.startswith("!"):
                    findings.append(approve(f"git -c {key}: an alias changes what git runs"))
                else:
                    findings.append(deny(f"git -c {key}=... makes git run a program"))
                break
    return findings


def _find_exec_findings(words: list[Word], ctx: Ctx) -> list[Finding]:
    """``find -exec CMD ;``: the commands are judged too (the action itself is denied)."""
    findings: list[Finding] = []
    index = 1
    while index < len(words):
        if words[index].text not in ("-exec", "-execdir", "-ok", "-okdir"):
            index += 1
            continue
        end = index + 1
        while end < len(words) and words[end].text not in (";", "+"):
            end += 1
        inner = words[index + 1 : end]
        if inner:
            findings.extend(judge_argv(inner, ctx.deeper()))
        index = end + 1
    return findings


def _sed_findings(args: list[str]) -> list[Finding]:
    """GNU sed's ``e`` command and ``s///e`` flag run programs; ``w``/``W`` write files."""
    if "--sandbox" in args:
        return []
    scripts = _sed_scripts(args)
    for script in scripts:
        problem = _sed_script_problem(script)
        if problem is not None:
            return [deny(f"sed script {short(script, 40)!r} {problem}")]
    return []


def _sed_scripts(args: list[str]) -> list[str]:
    scripts: list[str] = []
    index = 0
    explicit = False
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-e", "--expression") and index < len(args):
            scripts.append(args[index])
            explicit = True
            index += 1
        elif arg.startswith("--expression="):
            scripts.append(arg.partition("=")[2])
            explicit = True
        elif re.fullmatch(r"-[nEsruz]*e.+", arg):
            scripts.append(arg[arg.index("e") + 1 :])
            explicit = True
        elif arg in ("-f", "--file", "-l", "--line-length"):
            explicit = explicit or arg in ("-f", "--file")
            index += 1
        elif not arg.startswith("-") and not explicit:
            scripts.append(arg)
            explicit = True
    return scripts


_SED_ADDRESS = re.compile(r"^\s*(\d+|\$|/(?:[^/\\]|\\.)*/[IM]*|\\(.)(?:(?!\2).)*\2)?")


def _sed_script_problem(script: str) -> str | None:
    for command in re.split(r"[;\n]", script):
        body = command.strip()
        for _ in range(2):  # address, optional ",address"
            body = _SED_ADDRESS.sub("", body, count=1).lstrip()
            if body.startswith(","):
                body = body[1:]
        body = body.lstrip("!").lstrip()
        if not body:
            continue
        letter = body[0]
        if letter == "e":
            return "runs a command (e)"
        if letter in "wW":
            return "writes a file (w)"
        if letter == "s" and len(body) > 1:
            flags = _sed_s_flags(body)
            if "e" in flags:
                return "runs the replacement as a command (s///e)"
            if "w" in flags:
                return "writes a file (s///w)"
    return None


def _sed_s_flags(body: str) -> str:
    delimiter = body[1]
    count = 0
    index = 2
    while index < len(body) and count < 2:
        if body[index] == "\\":
            index += 2
            continue
        if body[index] == delimiter:
            count += 1
        index += 1
    return re.match(r"[a-zA-Z0-9]*", body[index:]).group(0) if count == 2 else ""  # type: ignore[union-attr]


def _shell_findings(words: list[Word], ctx: Ctx) -> list[Finding]:
    """Findings for ``sh``/``bash``/... invocations (the -c string classified recursively)."""
    args = words[1:]
    index = 0
    command_mode = False
    findings: list[Finding] = []
    while index < len(args):
        text = args[index].text
        if text in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            index += 2
            continue
        if text == "--":
            index += 1
            break
        if not text.startswith(("-", "+")) or text in ("-", "+"):
            break
        if text.startswith("-") and not text.startswith("--") and "c" in text:
            command_mode = True
        if text in ("-i", "-l", "--login", "--interactive") or (
            text.startswith("-") and not text.startswith("--") and ("i" in text or "l" in text)
        ):
            findings.append(approve(f"{words[0].text} {text}: reads startup files"))
        index += 1
    operands = args[index:]
    if command_mode and operands:
        findings.append(classify_text(operands[0].text, ctx.deeper()))
        if operands[0].dynamic:
            findings.append(approve(f"{words[0].text} -c of computed text"))
    elif operands:
        findings.append(approve(f"runs the script {operands[0].text!r}"))
    else:
        findings.append(approve(f"{words[0].text} reads commands from its input"))
    return findings


def inline_code(name: str, words: list[Word]) -> str | None:
    """The inline program of ``python -c CODE``, ``perl -e CODE``..., if any."""
    key = "python" if _PYTHON_NAME.fullmatch(name) else name
    flags = tables().interpreters.get(key)
    if flags is None:
        return None
    args = [word.text for word in words[1:]]
    if key == "deno":
        return args[1] if args[:1] == ["eval"] and len(args) > 1 else None
    letters = "".join(flag[1] for flag in flags if len(flag) == 2)
    for index, arg in enumerate(args):
        following = args[index + 1] if index + 1 < len(args) else ""
        if arg.lower() in flags:
            return following
        if not arg.startswith("-") or arg == "-":
            return None  # a script name: the rest are its arguments
        if key == "python" and arg.startswith("-c") and len(arg) > 2:
            return arg[2:]  # python -cCODE
        # perl -ne / -pe, python -Sc: the code flag ends a cluster of short options.
        if letters and re.fullmatch(r"-[a-zA-Z]+", arg) and arg[-1] in letters:
            return following
    return None


def _code_findings(code: str, ctx: Ctx) -> list[Finding]:
    data = tables()
    snippet = short(code, 40)
    findings: list[Finding] = [approve(f"runs inline code {snippet!r}")]
    deletes = _CODE_DELETES.search(code)
    if deletes:
        findings.append(deny(f"inline code deletes files ({deletes.group(0)!r})"))
    if _CODE_REVERSE_SHELL.search(code):
        findings.append(deny("inline code opens a socket and runs a shell: a reverse shell"))
    decode = data.code_decode.search(code)
    if decode and data.code_exec.search(code):
        findings.append(deny(f"inline code decodes or downloads ({decode.group(0)!r}) and runs it"))
    for match in list(_CODE_SHELL_STRING.finditer(code))[:8]:
        findings.append(classify_text(match.group(2), ctx.deeper()))
    # open(".env"), File.read("~/.pgpass"): a secret named in the code is read by it.
    for literal in list(_CODE_STRING.finditer(code))[:32]:
        path = literal.group(2)
        if path and secret_reason(join_cwd(ctx.cwd[0], path) or path):
            findings.append(deny(f"inline code names {path!r}: {secret_reason(path) or 'a secret'}"))
            break
    return findings


_CODE_STRING = re.compile(r"(['\"])([^'\"\s]{1,200})\1")


def reads_code_from_stdin(argv: list[Word]) -> bool:
    """Whether the (unwrapped) command executes what it reads on stdin."""
    if not argv or argv[0].dynamic:
        return False
    name = command_name(argv[0].text)[0].lower()
    args = [word.text for word in argv[1:]]
    if name in tables().shells:
        operands = [arg for arg in args if not arg.startswith(("-", "+"))]
        has_c = any(a.startswith("-") and not a.startswith("--") and "c" in a for a in args)
        return "-s" in args or (not operands and not has_c) or operands[:1] == ["-"]
    if _PYTHON_NAME.fullmatch(name) or name in ("perl", "ruby", "node", "nodejs", "php", "lua"):
        return (
            not args
            or args == ["-"]
            or all(arg.startswith("-") for arg in args)
            and (inline_code(name, argv) is None)
        )
    return name in ("source", ".") and args[:1] in (["/dev/stdin"], ["-"])


# -- arguments: the files a command reads ------------------------------------------------------


def argument_findings(name: str, words: list[Word], ctx: Ctx) -> list[Finding]:
    """Deny reading secret files; anything outside the repository or a device needs a human."""
    data = tables()
    if name in data.string_only or name in ("cd", "pushd", "popd", "export"):
        return []
    spec = data.allow.get(name)
    text_operands = spec is not None and spec.operands in ("none", "text")
    contents = (name in data.readers or _PYTHON_NAME.fullmatch(name) is not None) and (
        name not in data.name_only
    )
    findings: list[Finding] = []
    for shown, path, is_option_value in path_candidates(name, words[1:]):
        if text_operands and not is_option_value:
            if secret_reason(path) is None:
                continue
        found = judge_path(f"{name} {shown}", path, ctx.cwd[0], contents=contents)
        if found is not None:
            findings.append(found)
    if name == "tee":
        for word in words[1:]:
            if not word.text.startswith("-"):
                findings.extend(judge_write_target(word.text, f"tee {word.text}"))
    if name in ("cp", "mv", "ln", "install", "rsync"):
        operands = [word.text for word in words[1:] if not word.text.startswith("-")]
        if len(operands) >= 2:
            target = operands[-1]
            found = judge_write_target(target, f"{name} ... {target}")
            if name == "mv" and target.startswith("/dev/"):
                found = [deny(f"mv to {target} destroys the file")]
            findings.extend(found)
    return findings


def path_candidates(name: str, args: list[Word]) -> list[tuple[str, str, bool]]:
    """(word, path, is an option value) for a command's words that may name files.

    Patterns (``grep PATTERN``), messages (``-m MSG``) and formats are skipped; option values
    (``--file=X``, ``-f X`` of pattern commands), ``@file`` (curl), ``dd`` operands
    (``if=X``) and revision paths (``HEAD:.env``) are included.
    """
    data = tables()
    texts = [word.text for word in args]
    pattern_index, file_values = _pattern_positions(name, texts)
    candidates: list[tuple[str, str, bool]] = []
    skip_next = False
    for index, word in enumerate(args):
        text = word.text
        if index == pattern_index:
            continue
        if index in file_values:
            candidates.append((text, text, True))
            continue
        if skip_next:
            skip_next = False
            continue
        if text in data.text_options:
            skip_next = True
            continue
        if text.startswith("-") and len(text) > 1:
            option, equals, value = text.partition("=")
            if equals and option not in data.text_options:
                candidates.extend((text, v, True) for v in _value_paths(value))
            elif not equals and text.startswith("-") and not text.startswith("--") and len(text) > 2:
                attached = text[2:]
                if "/" in attached or attached.startswith((".", "~", "@")):
                    candidates.extend((text, v, True) for v in _value_paths(attached))
            continue
        candidates.extend((text, v, False) for v in _value_paths(text))
        if "=" in text and not text.startswith("="):
            candidates.extend((text, v, True) for v in _value_paths(text.partition("=")[2]))
        if ":" in text and "://" not in text:  # git show HEAD:.env, scp host:path
            candidates.append((text, text.rsplit(":", 1)[1], False))
    return candidates


def _value_paths(value: str) -> list[str]:
    """The paths a value may name: itself, ``@file`` (curl -d @.env), ``name=@file`` (-F)."""
    if "://" in value:
        return []
    paths = [value]
    if value.startswith("@") and len(value) > 1:
        paths.append(value[1:])
    for marker in ("=@", "=<", "@"):
        if marker in value[1:]:
            paths.append(value.split(marker, 1)[1].split(";", 1)[0])
            break
    return paths


def _pattern_positions(name: str, args: list[str]) -> tuple[int | None, set[int]]:
    """For pattern-first commands: the pattern's index and the indexes of file values."""
    grammar = tables().pattern_grammar.get(name)
    if grammar is None:
        return None, set()
    files: set[int] = set()
    pattern_given = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            index += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        option, equals, _ = arg.partition("=")
        if arg in grammar.two_valued:
            if arg in grammar.file:
                files.add(index + 2)
            index += 3
            continue
        if arg.startswith("--"):
            if option in grammar.text or option in grammar.file:
                pattern_given = pattern_given or option in grammar.text or name not in ("jq",)
            if option in grammar.file and not equals:
                files.add(index + 1)
            if option in grammar.long_valued and not equals:
                index += 1
            index += 1
            continue
        for position, letter in enumerate(arg[1:], start=1):
            if letter in grammar.valued:
                flag = "-" + letter
                if flag in grammar.text or flag in grammar.file:
                    pattern_given = True
                if position == len(arg) - 1:
                    if flag in grammar.file:
                        files.add(index + 1)
                    index += 1
                break
        index += 1
    if pattern_given or index >= len(args):
        return None, files
    return index, files


def _pattern_operand(name: str, args: list[str]) -> str | None:
    position, _files = _pattern_positions(name, args)
    return args[position] if position is not None and position < len(args) else None


# -- read-only commands ----------------------------------------------------------------------


def baseline_allow(name: str, words: list[Word], ctx: Ctx, code: list[Finding]) -> list[Finding]:
    """Allow read-only diagnostics; everything else needs a human."""
    data = tables()
    text = argv_text(words)
    args = [word.text for word in words[1:]]
    lowered = name.lower()
    if code:
        return code
    if lowered in data.interactive:
        return [approve(f"{text!r}: interactive program, it would hang")]
    if lowered in data.unbounded:
        return [approve(f"{text!r}: never stops by itself")]
    if lowered in ("cd", "pushd", "popd"):
        ctx.allowed.append(lowered)
        return [allow("changes directory")]
    validator = validator_for(lowered)
    if validator is None:
        return [approve(f"{text!r}: {name} is not a known read-only command")]
    problem = validator(args, ctx.cwd[0])
    if problem is not None:
        return [approve(f"{text!r}: {problem}")]
    label = name if name not in ("git", "docker", "kubectl", "systemctl") or not args else (
        f"{name} {first_operand(args) or args[0]}"
    )
    ctx.allowed.append(label)
    return [allow(f"{label} is read-only")]
