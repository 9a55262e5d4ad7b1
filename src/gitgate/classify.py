"""Classify a shell command an actor wants to run: ``allow``, ``deny`` or ``approve``.

* ``allow``: read-only diagnostics (``git status``, ``docker ps``, ``df -h``) that may run at
  once.
* ``deny``: never run (``rm``, ``sudo``, package installs, reading secrets, ``curl | sh``...).
* ``approve``: everything else; a human decides.

The command is parsed with a real shell parser (``bashlex``), never by prefix. A command is
allowed only when *every* simple command in it (pipelines, lists, subshells, compound
commands, ``$(...)``, backticks, process substitution) is allowed and nothing writes a file.
Anything the classifier does not understand, cannot parse, or finds too big is ``approve``,
or ``deny`` when a rough scan of the text finds a deny rule. ``classify_command`` never raises
and its work is bounded: input is capped before parsing, recursion is depth-limited, and the
parser runs under a hard bound (see :func:`_parse`); a parse that hits it is ``approve``.

Known limits of bashlex, handled conservatively (``approve``): ``case``, ``[[ ]]``,
``$(( ))``, ``select``, ``coproc``, ``time`` as a reserved word, arrays and here-documents
with a quoted delimiter do not parse; ``$'...'`` (ANSI-C quoting) and ``${x:-$(cmd)}`` are
not expanded, so words holding them are treated as computed.
"""

from __future__ import annotations

import posixpath
import re
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal
from urllib.parse import urlsplit

from gitgate.pathpolicy import is_sensitive_name

__all__ = [
    "CommandRules",
    "Decision",
    "Verdict",
    "classify_command",
    "to_json",
]

Decision = Literal["allow", "deny", "approve"]

MAX_COMMAND_BYTES = 8192
_SCAN_LIMIT = 65536  # characters of an over-long command the rough deny scan looks at
_MAX_TEXT_DEPTH = 4  # nested `sh -c`, `eval`, `xargs`... strings classified recursively
_MAX_NODE_DEPTH = 64  # AST nesting walked before giving up
_MAX_PAREN_NESTING = 32  # bashlex recurses per nesting level: refuse before it overflows
# Hard bound on bashlex for one classify_command call (nested texts share it). The largest
# ordinary commands (MAX_COMMAND_BYTES of short commands) parse in ~0.15 s (~0.5 s on a busy
# machine) and ~2 million profile events, well below either bound.
_PARSE_SECONDS = 2.0  # on the main thread: a real-time alarm (SIGALRM)
_ALARM_REPEAT = 0.05  # then again every 50 ms until the parse is gone
_PARSE_CALLS = 10_000_000  # elsewhere: profile events (calls, returns, builtins; 2-5 s)
_RANK: dict[Decision, int] = {"allow": 0, "approve": 1, "deny": 2}


@dataclass(frozen=True, slots=True)
class CommandRules:
    """Extra rules from the repository policy.

    Attributes:
        allow: argv prefixes that are allowed (``"make test"``, ``"npm run lint"``).
        deny: argv prefixes that are denied (``"terraform"``, ``"kubectl delete"``); a deny
            rule matches when its words appear in order after the command name, so
            ``kubectl -n prod delete pod`` matches ``"kubectl delete"``. Deny wins.
    """

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision about one command.

    Attributes:
        command: the command as given.
        decision: ``allow``, ``deny`` or ``approve``.
        reason: one line saying why; for ``deny``/``approve`` it names the offending part.
    """

    command: str
    decision: Decision
    reason: str


def to_json(v: Verdict) -> dict[str, str]:
    """The verdict as a JSON-ready dict with keys ``command``, ``decision``, ``reason``."""
    return {"command": v.command, "decision": v.decision, "reason": v.reason}


# --------------------------------------------------------------------------------------------
# Findings: every part of a command contributes some; the worst one wins.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Finding:
    decision: Decision
    reason: str


def _allow(reason: str) -> _Finding:
    return _Finding("allow", reason)


def _approve(reason: str) -> _Finding:
    return _Finding("approve", reason)


def _deny(reason: str) -> _Finding:
    return _Finding("deny", reason)


def _worst(findings: Iterable[_Finding]) -> _Finding | None:
    """The first finding of the highest rank, or None for no findings."""
    best: _Finding | None = None
    for finding in findings:
        if best is None or _RANK[finding.decision] > _RANK[best.decision]:
            best = finding
    return best


def _at_least_approve(findings: Sequence[_Finding], reason: str) -> list[_Finding]:
    """Keep deny findings, and make sure the result is not ``allow``."""
    return [*findings, _approve(reason)]


@dataclass(slots=True)
class _ParseBudget:
    """What is left of the parser's bound for one classify_command call."""

    seconds: float = field(default_factory=lambda: _PARSE_SECONDS)
    calls: int = field(default_factory=lambda: _PARSE_CALLS)


@dataclass(slots=True)
class _Ctx:
    """What the recursive analysis carries around."""

    rules: CommandRules
    depth: int = 0  # nesting of re-parsed strings (sh -c, eval, ...)
    allowed: list[str] = field(default_factory=list)  # names of allowed commands, for reasons
    budget: _ParseBudget = field(default_factory=_ParseBudget)  # shared by nested texts

    def deeper(self) -> _Ctx:
        return _Ctx(self.rules, self.depth + 1, self.allowed, self.budget)


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    """One shell word: its unquoted text, its source text, and whether it is computed."""

    text: str
    raw: str
    dynamic: bool = False  # expands variables or command output: its value is unknown

    @property
    def has_glob(self) -> bool:
        return any(char in self.text for char in "*?[{")


def _plain_words(texts: Iterable[str]) -> list[_Word]:
    return [_Word(text, text, "$" in text or "`" in text) for text in texts]


def _short(text: str, limit: int = 60) -> str:
    """A one-line excerpt of ``text`` for reasons."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _argv_text(words: Sequence[_Word]) -> str:
    return _short(" ".join(word.raw for word in words))


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

_STD_BIN_DIRS = frozenset(
    ["/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin", "/usr/local/sbin"]
)
_SHELLS = frozenset(["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "fish", "csh"])
_SHELLS |= frozenset(["tcsh", "rbash"])
_INTERPRETER_CODE_FLAGS: dict[str, tuple[str, ...]] = {
    "python": ("-c",),
    "perl": ("-e", "-E"),
    "ruby": ("-e",),
    "node": ("-e", "--eval", "-p", "--print"),
    "nodejs": ("-e", "--eval", "-p", "--print"),
    "deno": ("eval",),
    "bun": ("-e", "--eval"),
    "php": ("-r",),
    "lua": ("-e",),
    "rscript": ("-e",),
    "osascript": ("-e",),
    "pwsh": ("-c", "-command"),
    "powershell": ("-c", "-command"),
}
_PYTHON_NAME = re.compile(r"python[0-9.]*")
_INTERACTIVE = frozenset(
    [
        "vi", "vim", "nvim", "view", "nano", "emacs", "pico", "ed", "less", "more", "most",
        "top", "htop", "btop", "atop", "iotop", "watch", "man", "info", "screen", "tmux",
        "mc", "ranger", "irb", "ipython", "psql", "mysql", "sqlite3", "ftp", "telnet",
    ]
)  # fmt: skip
_DOWNLOADERS = frozenset(["curl", "wget", "fetch", "nc", "ncat", "netcat", "socat", "aria2c"])

# Commands whose only effect is to print or test names: a sensitive name among their
# arguments is not read (but is still worth a human look, except for pure string tools).
_STRING_ONLY = frozenset(["echo", "printf", "basename", "dirname", "true", "false", ":"])
_NAME_ONLY = frozenset(["ls", "find", "stat", "file", "test", "[", "which", "type", "realpath"])
_NAME_ONLY |= frozenset(["readlink", "du", "touch", "mkdir"])
# Commands whose first operand is a pattern or script, not a file.
_PATTERN_FIRST = frozenset(["grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "awk"])
_PATTERN_FIRST |= frozenset(["gawk", "mawk", "nawk", "jq", "yq"])
# Options whose value is free text (messages, patterns, formats), not a file.
_TEXT_OPTIONS = frozenset(
    [
        "-m", "--message", "-e", "--regexp", "--grep", "--author", "--committer", "-S", "-G",
        "--format", "--pretty", "--since", "--until", "--after", "--before", "-F",
    ]
)  # fmt: skip

_PACKAGE_MANAGERS_ALWAYS = frozenset(["apt", "apt-get", "aptitude", "yum", "dnf", "zypper"])
_PACKAGE_MANAGERS_ALWAYS |= frozenset(["pacman", "snap", "port", "emerge"])
_NPM_INSTALL = frozenset(
    ["install", "i", "ci", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta"]
) | frozenset(["isntal", "isntall", "install-test", "it", "install-ci-test", "cit"])
_PACKAGE_INSTALL: dict[str, frozenset[str]] = {
    "apk": frozenset(["add"]),
    "brew": frozenset(["install", "reinstall", "upgrade"]),
    "npm": _NPM_INSTALL,
    "pnpm": frozenset(["install", "i", "add"]),
    "yarn": frozenset(["add", "install", "global"]),
    "pip": frozenset(["install", "download"]),
    "pip3": frozenset(["install", "download"]),
    "pipx": frozenset(["install", "run"]),
    "gem": frozenset(["install"]),
    "cargo": frozenset(["install"]),
    "go": frozenset(["install", "get"]),
    "uv": frozenset(["pip", "tool"]),
    "conda": frozenset(["install"]),
}
_ALWAYS_DENY: dict[str, str] = {
    "rm": "deletes files",
    "shred": "destroys files",
    "unlink": "deletes files",
    "wipefs": "wipes disks",
    "fdisk": "rewrites partition tables",
    "parted": "rewrites partition tables",
    "chmod": "changes permissions",
    "chown": "changes file ownership",
    "chgrp": "changes file ownership",
    "chattr": "changes file attributes",
    "sudo": "runs as another user",
    "su": "runs as another user",
    "doas": "runs as another user",
    "pkexec": "runs as another user",
    "runuser": "runs as another user",
    "ssh": "opens a remote shell",
    "scp": "copies files to or from another host",
    "sftp": "copies files to or from another host",
    "rsync": "copies files to or from another host",
    "iptables": "changes the firewall",
    "ip6tables": "changes the firewall",
    "nft": "changes the firewall",
    "ufw": "changes the firewall",
    "firewall-cmd": "changes the firewall",
    "printenv": "prints the environment (secrets)",
    "reboot": "reboots the machine",
    "shutdown": "shuts the machine down",
    "halt": "halts the machine",
    "poweroff": "powers the machine off",
    "killall": "kills processes by name",
    "killall5": "kills every process",
    "pkill": "kills processes by name",
    "passwd": "changes passwords",
    "useradd": "changes users",
    "userdel": "changes users",
    "usermod": "changes users",
    "visudo": "changes sudo rules",
    "crontab": "changes scheduled jobs",
    "mount": "changes mounts",
    "umount": "changes mounts",
    "insmod": "loads kernel modules",
    "modprobe": "loads kernel modules",
    "rmmod": "unloads kernel modules",
}
_SYSTEMCTL_MUTATING = frozenset(
    [
        "start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "enable",
        "disable", "reenable", "mask", "unmask", "kill", "isolate", "daemon-reload", "edit",
        "set-property", "link", "preset", "preset-all", "revert", "set-environment",
        "unset-environment", "import-environment", "reboot", "poweroff", "halt", "kexec",
        "suspend", "hibernate", "hybrid-sleep", "rescue", "emergency", "default", "freeze",
        "thaw", "clean", "set-default", "switch-root", "exit", "soft-reboot",
    ]
)  # fmt: skip

_METADATA = re.compile(
    r"169\.254\.169\.254|169\.254\.170\.2(?![0-9])|metadata\.google\.internal|"
    r"metadata\.goog(?![a-z])|fd00:ec2::254|100\.100\.100\.200|2852039166|0xa9fea9fe|"
    r"0251\.0376\.0251\.0376|0xa9\.0xfe\.0xa9\.0xfe|instance-data\.ec2\.internal",
    re.IGNORECASE,
)
_RAW_SOCKET = re.compile(r"/dev/(tcp|udp)/", re.IGNORECASE)
_FORK_BOMB = re.compile(r"([\w:.]+)\s*\(\s*\)\s*\{[^}]*\1\s*\|\s*\1")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

# Absolute locations whose content is secret (prefix match on the normalised path).
_SENSITIVE_LOCATIONS = (
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/ssh/ssh_host_",
    "/etc/ssl/private",
    "/etc/kubernetes/admin.conf",
    "/root",
    "/var/run/secrets",
    "/run/secrets",
    "/proc/self/environ",
    "/dev/mem",
    "/dev/kmem",
)
_PROC_ENVIRON = re.compile(r"^/proc/[^/]+/(environ|mem|cmdline|maps)$")
# Secret files relative to a home directory (~, ~user, /home/user, /Users/user, /root).
_HOME_SECRETS = (
    ".ssh",
    ".aws",
    ".gnupg",
    ".docker/config.json",
    ".kube/config",
    ".netrc",
    ".git-credentials",
    ".config/gh",
    ".config/gcloud",
    ".azure",
    ".npmrc",
    ".pypirc",
    ".vault-token",
    ".password-store",
    ".terraform.d/credentials.tfrc.json",
    ".bash_history",
    ".zsh_history",
    ".python_history",
)
_HOME_PREFIX = re.compile(r"^(~[^/]*|/home/[^/]+|/users/[^/]+|/root)(/|$)", re.IGNORECASE)
_RAW_DEVICE = re.compile(r"^/dev/(sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|mapper/|md|loop|mem)")
_HARMLESS_SINKS = frozenset(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/fd/1"])
_HARMLESS_SINKS |= frozenset(["/dev/fd/2", "/dev/tty"])
_SYSTEM_DIRS: tuple[str, ...] = ("/etc/", "/boot/", "/usr/", "/bin/", "/sbin/", "/lib")
_SYSTEM_DIRS += ("/var/lib/", "/sys/", "/proc/")

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


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def classify_command(command: str, rules: CommandRules = CommandRules()) -> Verdict:
    """Decide whether a shell command may run now, never, or after a human approves it.

    Args:
        command: the shell command text (bash syntax), as the actor sent it.
        rules: extra allow/deny rules from the repository policy.

    Returns:
        A :class:`Verdict`. Never raises, for any input.
    """
    if not isinstance(command, str):  # defensive: typed callers never do this
        return Verdict(repr(command), "approve", "command is not text")
    try:
        finding = _classify_text(command, _Ctx(rules))
    except Exception as exc:  # noqa: BLE001 - a classifier bug must not let a command through
        fallback = _approve(f"could not classify ({type(exc).__name__}): a human must read it")
        finding = _worst([*_safe_rough_scan(command, rules), fallback]) or fallback
    return Verdict(command, finding.decision, _one_line(finding.reason))


def _one_line(reason: str) -> str:
    """Escape control characters: a reason is one line, and must not drive a terminal."""
    return _CONTROL_OR_NEWLINE.sub(lambda m: repr(m.group(0))[1:-1], reason)


def _safe_rough_scan(command: str, rules: CommandRules) -> list[_Finding]:
    try:
        return _rough_scan(command, _Ctx(rules))
    except Exception:  # noqa: BLE001 - the last line of defence
        return []


def _classify_text(text: str, ctx: _Ctx) -> _Finding:
    """Classify one command string (the top level, or a string from ``sh -c``, ``eval``...)."""
    findings = _classify_findings(text, ctx)
    worst = _worst(findings)
    if worst is None:
        return _approve(f"empty command: {_short(text) or 'nothing to run'}")
    if worst.decision == "allow":
        names = ", ".join(dict.fromkeys(ctx.allowed)) or "nothing to run"
        return _allow(f"read-only diagnostics: {_short(names, 80)}")
    return worst


def _classify_findings(text: str, ctx: _Ctx) -> list[_Finding]:
    """All findings about ``text``, with the pre-parse guards applied."""
    if ctx.depth > _MAX_TEXT_DEPTH:
        return _rough_scan(text, ctx) + [_approve(f"nested too deeply: {_short(text)}")]
    guard = _pre_parse_problem(text)
    if guard is not None:
        return _rough_scan(text, ctx) + [_approve(guard)]
    if not text.strip():
        return []
    text_level = _text_level_findings(text)
    try:
        trees = _parse(text, ctx.budget)
    except _ParserGaveUp as stopped:
        reason = f"the parser gave up ({stopped}): a human must read it"
        return text_level + _rough_scan(text, ctx) + [_approve(reason)]
    except Exception as exc:  # noqa: BLE001 - bashlex raises many types, even RecursionError
        reason = f"could not parse the command ({type(exc).__name__}): a human must read it"
        return text_level + _rough_scan(text, ctx) + [_approve(reason)]
    findings = text_level + _comment_findings(text, trees)
    if _has_escaped_metachar(text):
        findings.append(
            _approve("escaped shell operator (like '\\;'): the text is not what it seems")
        )
    walker = _Walker(text, ctx)
    for tree in trees:
        findings.extend(walker.node(tree, 0))
    return findings


def _pre_parse_problem(text: str) -> str | None:
    """Why ``text`` is not handed to the parser at all, or None."""
    if "\x00" in text:
        return "NUL byte in command"
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return "command is not valid UTF-8"
    if size > MAX_COMMAND_BYTES:
        return f"command is {size} bytes long (limit {MAX_COMMAND_BYTES})"
    if _paren_nesting(text) > _MAX_PAREN_NESTING:
        return "command is nested too deeply"
    if _UNCLOSED_BRACE_PARAMETER.search(text):
        return "'${' without a closing '}' in the same word"
    return None


# --------------------------------------------------------------------------------------------
# The parser under a hard bound: bashlex is pure Python and has looped forever on some inputs.
# --------------------------------------------------------------------------------------------


class _ParserGaveUp(BaseException):
    """Stops a parse that hit its bound; a BaseException so no ``except Exception`` eats it."""


def _parse(text: str, budget: _ParseBudget) -> list[Any]:
    """``bashlex.parse(text)`` under ``budget``; raises :class:`_ParserGaveUp` when it runs out.

    On the main thread a real-time alarm stops it (no overhead). Signals cannot reach other
    threads, so there a profile hook counts calls instead: deterministic, but it makes the
    parse about 2.5 times slower. Either way a loop that calls nothing (not even a builtin) is
    the only thing that escapes, and only on other threads.
    """
    import bashlex  # imported here: its parser tables cost ~60 ms at every CLI start

    parse: Callable[[str], list[Any]] = bashlex.parse
    if _alarm_usable():
        try:
            return _parse_under_alarm(parse, text, budget)
        except _AlarmUnavailable:
            pass
    return _parse_under_call_budget(parse, text, budget)


class _AlarmUnavailable(Exception):
    """SIGALRM cannot be taken over here (not the main interpreter)."""


def _alarm_usable() -> bool:
    """Whether this thread can bound a parse with SIGALRM and hand it back intact afterwards."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return False
    if signal.getsignal(signal.SIGALRM) is None:  # installed outside Python: cannot restore it
        return False
    return signal.SIGALRM not in signal.pthread_sigmask(signal.SIG_BLOCK, ())


def _parse_under_alarm(
    parse: Callable[[str], list[Any]], text: str, budget: _ParseBudget
) -> list[Any]:
    """Parse with an ITIMER_REAL alarm; the caller's SIGALRM handler and timer are restored."""
    if budget.seconds < 0.001:
        raise _ParserGaveUp(f"took more than {_PARSE_SECONDS:g} s")
    state = {"armed": False, "early": False}

    def on_alarm(_signum: int, _frame: Any) -> None:
        if state["armed"]:
            # Stays armed: the timer repeats (see below) and so does the exception, because
            # one raised while a finaliser (__del__, a GC callback) runs is printed and lost.
            raise _ParserGaveUp(f"took more than {_PARSE_SECONDS:g} s")
        state["early"] = True  # before ours was armed: someone else's, or ours very late

    try:
        previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    except ValueError as err:  # "signal only works in main thread of the main interpreter"
        raise _AlarmUnavailable(str(err)) from err
    started = time.monotonic()
    previous_timer = (0.0, 0.0)
    theirs = False
    try:
        previous_timer = signal.setitimer(signal.ITIMER_REAL, budget.seconds, _ALARM_REPEAT)
        state["armed"] = True
        try:
            if state["early"]:
                if signal.getitimer(signal.ITIMER_REAL)[0] == 0:  # ours went off: spent
                    raise _ParserGaveUp(f"took more than {_PARSE_SECONDS:g} s")
                theirs = True  # passed on below, once their handler is back
            return _run_parser(parse, text)
        finally:
            # An alarm already pending runs on_alarm right after this call and raises here;
            # the outer finally still restores everything.
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)  # first: no repeat may land past this point
        state["armed"] = False
        elapsed = time.monotonic() - started
        budget.seconds -= elapsed
        signal.signal(signal.SIGALRM, previous_handler)
        delay, interval = previous_timer
        if delay > 0:  # someone else's timer: re-arm it with what is left (at once if overdue)
            signal.setitimer(signal.ITIMER_REAL, max(delay - elapsed, 1e-6), interval)
        if theirs and previous_handler is not signal.SIG_IGN:
            signal.raise_signal(signal.SIGALRM)


def _run_parser(parse: Callable[[str], list[Any]], text: str) -> list[Any]:
    try:
        return parse(text)
    except BaseException as err:  # not a tuple of types: building one may need memory
        # The tracebacks hold the parser's frames and so all it allocated (a runaway parse can
        # hold hundreds of MB): let go of them before any handler up the stack needs memory.
        # Out of memory, unwinding chains a MemoryError per frame: clear the whole chain.
        link: BaseException | None = err
        while link is not None:
            link.__traceback__ = None
            link = link.__context__
        raise


def _parse_under_call_budget(
    parse: Callable[[str], list[Any]], text: str, budget: _ParseBudget
) -> list[Any]:
    """Parse with a profile hook counting events (calls, returns, builtin calls)."""
    if budget.calls <= 0:
        raise _ParserGaveUp(f"more than {_PARSE_CALLS} calls")
    left = budget.calls
    active = True

    def count(_frame: Any, _event: str, _arg: Any) -> None:
        nonlocal left
        if active:
            left -= 1
            if left < 0:
                raise _ParserGaveUp(f"more than {_PARSE_CALLS} calls")

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        return _run_parser(parse, text)
    finally:
        active = False  # so the hook never raises inside the restoring call below
        sys.setprofile(previous)
        budget.calls = left


# bashlex 0.18 loops forever, eating memory, on a word holding "${" with no "}" after it in
# the same word (its expansion restarts at index 0 when str.find returns -1): "x'${a'".
# Such words never reach the parser. The word is assumed to end at whitespace, an operator
# or a quote, which may end it too early: that only refuses more.
_UNCLOSED_BRACE_PARAMETER = re.compile(r"\$\{[^}\s;&|<>()'\"`]*(?=[\s;&|<>()'\"`]|$)")


def _paren_nesting(text: str) -> int:
    """Maximum nesting of ( { and backticks, ignoring quoting: a cheap upper bound."""
    depth = deepest = 0
    backtick = False
    for char in text:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth = max(0, depth - 1)
        elif char == "`":
            backtick = not backtick
            depth += 1 if backtick else -1
        deepest = max(deepest, depth)
    return deepest


def _text_level_findings(text: str) -> list[_Finding]:
    """Deny patterns found anywhere in the text, whatever the syntax around them."""
    findings: list[_Finding] = []
    metadata = _METADATA.search(text)
    if metadata:
        findings.append(_deny(f"cloud metadata address {metadata.group(0)!r}: leaks credentials"))
    if _RAW_SOCKET.search(text):
        findings.append(_deny("/dev/tcp or /dev/udp: raw network connection (reverse shell)"))
    if _FORK_BOMB.search(text):
        findings.append(_deny("fork bomb: a function that pipes into itself"))
    control = _CONTROL.search(text)
    if control:
        code = f"U+{ord(control.group(0)):04X}"
        findings.append(_approve(f"control character {code}: may hide text from the reviewer"))
    return findings


# --------------------------------------------------------------------------------------------
# Comments: text after '#' is invisible to the shell but visible to people.
# --------------------------------------------------------------------------------------------


def _comment_findings(text: str, trees: Sequence[Any]) -> list[_Finding]:
    if "#" not in text:
        return []
    covered = _leaf_spans(trees)
    for index, char in enumerate(text):
        if char == "#" and not any(start <= index < end for start, end in covered):
            return [_approve(f"comment {_short(text[index:], 40)!r}: hidden from the shell")]
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


def _rough_scan(text: str, ctx: _Ctx) -> list[_Finding]:
    """Deny findings from a quote-blind scan of ``text``; never returns allow."""
    text = text[:_SCAN_LIMIT].replace("\x00", " ")
    findings = [f for f in _text_level_findings(text) if f.decision == "deny"]
    if ctx.depth > _MAX_TEXT_DEPTH:
        return findings
    # Quotes and backslashes are dropped so r''m, "r"m and \rm all read as rm.
    unquoted = re.sub(r"\$'|['\"\\]", "", text)
    for segment in _ROUGH_SEPARATORS.split(unquoted):
        tokens = segment.split()
        while tokens and (tokens[0] in _RESERVED or _is_assignment(tokens[0])):
            tokens.pop(0)
        if not tokens:
            continue
        judged = _judge_argv(_plain_words(tokens), ctx.deeper(), rough=True)
        findings.extend(f for f in judged if f.decision == "deny")
    return findings


def _is_assignment(token: str) -> bool:
    return re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=", token) is not None


# --------------------------------------------------------------------------------------------
# AST walker
# --------------------------------------------------------------------------------------------


class _Walker:
    """Walks bashlex nodes, returning findings for every part."""

    def __init__(self, source: str, ctx: _Ctx) -> None:
        self.source = source
        self.ctx = ctx
        self.handlers: dict[str, Callable[[Any, int], list[_Finding]]] = {
            "list": self._list,
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

    def node(self, node: Any, depth: int) -> list[_Finding]:
        if depth > _MAX_NODE_DEPTH:
            return [_approve("command is nested too deeply")]
        kind = getattr(node, "kind", None)
        handler = self.handlers.get(str(kind))
        if handler is None:
            return [_approve(f"unsupported shell construct ({kind})")]
        return handler(node, depth + 1)

    def _nothing(self, _node: Any, _depth: int) -> list[_Finding]:
        return []

    def _children(self, node: Any, depth: int) -> list[_Finding]:
        findings: list[_Finding] = []
        for child in getattr(node, "parts", None) or getattr(node, "list", None) or []:
            findings.extend(self.node(child, depth))
        return findings

    def _list(self, node: Any, depth: int) -> list[_Finding]:
        return self._children(node, depth)

    def _operator(self, node: Any, _depth: int) -> list[_Finding]:
        if getattr(node, "op", "") == "&":
            return [_approve("'&' runs a command in the background")]
        return []

    def _loop(self, node: Any, depth: int) -> list[_Finding]:
        return _at_least_approve(self._children(node, depth), "loop: may run forever")

    def _compound(self, node: Any, depth: int) -> list[_Finding]:
        findings: list[_Finding] = []
        for child in getattr(node, "list", None) or []:
            findings.extend(self.node(child, depth))
        for redirect in getattr(node, "redirects", None) or []:
            findings.extend(self._redirect(redirect, depth, reads_code=False))
        return findings

    def _function(self, node: Any, depth: int) -> list[_Finding]:
        parts = getattr(node, "parts", None) or []
        name = next((p.word for p in parts if getattr(p, "kind", "") == "word"), "?")
        body = [p for p in parts if getattr(p, "kind", "") not in ("word", "reservedword")]
        findings: list[_Finding] = []
        for child in body:
            findings.extend(self.node(child, depth))
        if any(name in _command_names(child) for child in body):
            findings.append(_deny(f"function {name!r} calls itself: fork bomb"))
        return _at_least_approve(findings, f"defines a shell function {name!r}")

    def _substitution(self, node: Any, depth: int) -> list[_Finding]:
        return self.node(node.command, depth)

    def _pipeline(self, node: Any, depth: int) -> list[_Finding]:
        findings: list[_Finding] = []
        commands = [p for p in node.parts if getattr(p, "kind", "") not in ("pipe", "reservedword")]
        upstream: list[_Word] = []
        for index, part in enumerate(commands):
            argv = self._argv_of(part)
            if index > 0 and argv and _reads_code_from_stdin(argv):
                findings.extend(self._pipe_into_interpreter(upstream, argv))
            findings.extend(self.node(part, depth))
            upstream.extend(argv)
            upstream.append(_Word("|", "|"))
        return findings

    def _pipe_into_interpreter(self, upstream: list[_Word], argv: list[_Word]) -> list[_Finding]:
        sink = _argv_text(argv)
        names = {_command_name(word.text)[0] for word in upstream}
        if names & _DOWNLOADERS:
            pipeline = _short(f"{_argv_text(upstream)} {sink}")
            return [_deny(f"{pipeline!r}: downloads code and pipes it into {sink!r}")]
        findings = [_approve(f"pipes into {sink!r}: runs whatever the left side prints")]
        # `echo 'rm -rf /' | sh`: judge the literal text the shell will run.
        literal = _literal_echo(upstream)
        if literal is not None:
            findings.append(_classify_text(literal, self.ctx.deeper()))
        return findings

    def _argv_of(self, node: Any) -> list[_Word]:
        if getattr(node, "kind", "") != "command":
            return []
        words = [self._word(p) for p in node.parts if getattr(p, "kind", "") == "word"]
        return _unwrap_quietly(words)

    # -- simple commands --------------------------------------------------------------------

    def _command(self, node: Any, depth: int) -> list[_Finding]:
        findings: list[_Finding] = []
        words: list[_Word] = []
        assignments: list[_Word] = []
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
                findings.append(_approve(f"unsupported shell construct ({kind})"))
        reads_code = bool(words) and _reads_code_from_stdin(_unwrap_quietly(words))
        for redirect in redirects:
            findings.extend(self._redirect(redirect, depth, reads_code=reads_code))
        findings.extend(_judge_assignments(assignments, has_command=bool(words)))
        if words:
            findings.extend(_judge_argv(words, self.ctx))
        return findings

    def _word(self, node: Any) -> _Word:
        start, end = node.pos
        raw = self.source[start:end]
        dynamic = _has_expansion(node) or "$'" in raw or '$"' in raw
        return _Word(str(node.word), raw, dynamic)

    def _expansions(self, node: Any, depth: int) -> list[_Finding]:
        """Findings for command and process substitutions inside a word."""
        findings: list[_Finding] = []
        for part in getattr(node, "parts", None) or []:
            kind = getattr(part, "kind", "")
            if kind in ("commandsubstitution", "processsubstitution"):
                inner = self.node(part, depth)
                findings.extend(inner)
                findings.append(_approve(f"uses command output: {_short(self._raw(part))!r}"))
            elif kind == "parameter":
                value = str(getattr(part, "value", ""))
                if "$(" in value or "`" in value:
                    # bashlex leaves ${x:-$(cmd)} unparsed: judge the text roughly.
                    findings.extend(_rough_scan(value, self.ctx))
        return findings

    def _raw(self, node: Any) -> str:
        start, end = node.pos
        return self.source[start:end]

    def _redirect(self, node: Any, depth: int, *, reads_code: bool) -> list[_Finding]:
        kind = str(getattr(node, "type", ""))
        target = getattr(node, "output", None)
        findings: list[_Finding] = []
        if kind in ("<<", "<<-"):
            body = str(getattr(getattr(node, "heredoc", None), "value", ""))
            return findings + self._heredoc(body, reads_code=reads_code)
        if target is None or isinstance(target, int) or not hasattr(target, "kind"):
            return findings  # fd duplication like 2>&1
        findings.extend(self._expansions(target, depth))
        word = self._word(target)
        if kind == "<<<":
            if reads_code:
                findings.append(_classify_text(word.text, self.ctx.deeper()))
                findings.append(_approve(f"feeds a here-string to {_short(word.raw)!r}"))
            return findings
        if word.dynamic:
            findings.append(_approve(f"redirection to a computed target {word.raw!r}"))
            return findings
        if kind == "<":
            sensitive = _sensitive_path_reason(word.text)
            if sensitive:
                findings.append(_deny(f"reads {word.text!r}: {sensitive}"))
            if reads_code:
                findings.append(_approve(f"runs the script {word.text!r} from stdin"))
            return findings
        if kind in (">&", "<&") and (word.text.isdigit() or word.text == "-"):
            return findings  # fd duplication or closing, spelled as a word
        return findings + _judge_write_target(word.text, f"{kind} {word.text}")

    def _heredoc(self, body: str, *, reads_code: bool) -> list[_Finding]:
        findings: list[_Finding] = []
        text = body.rsplit("\n", 1)[0] if "\n" in body else ""  # drop the delimiter line
        if reads_code:
            findings.append(_classify_text(text, self.ctx.deeper()))
            findings.append(_approve("feeds a here-document to an interpreter"))
        elif "$(" in text or "`" in text:
            findings.extend(_rough_scan(text, self.ctx))
            findings.append(_approve("here-document runs command substitutions"))
        return findings


def _has_expansion(node: Any) -> bool:
    return any(
        getattr(part, "kind", "") in ("parameter", "commandsubstitution", "processsubstitution")
        for part in getattr(node, "parts", None) or []
    )


def _command_names(node: Any) -> set[str]:
    """Every command name used inside ``node`` (for the fork-bomb check)."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if getattr(current, "kind", "") == "command":
            words = [p for p in current.parts if getattr(p, "kind", "") == "word"]
            if words:
                names.add(str(words[0].word))
        for attr in ("parts", "list"):
            stack.extend(getattr(current, attr, None) or [])
        command = getattr(current, "command", None)
        if command is not None and hasattr(command, "kind"):
            stack.append(command)
    return names


def _literal_echo(upstream: list[_Word]) -> str | None:
    """The text an upstream ``echo``/``printf`` of literal words prints, if that is all."""
    if len(upstream) < 2 or upstream[-1].text != "|":
        return None
    argv = upstream[:-1]
    if "|" in (word.text for word in argv) or any(word.dynamic for word in argv):
        return None
    if _command_name(argv[0].text)[0] not in ("echo", "printf"):
        return None
    words = [word.text for word in argv[1:] if not word.text.startswith("-")]
    return " ".join(words).replace("\\n", "\n")


def _judge_write_target(target: str, what: str) -> list[_Finding]:
    """Findings for a redirection or ``tee`` writing ``target``."""
    if target in _HARMLESS_SINKS:
        return []
    normal = posixpath.normpath(target) if target else target
    if _RAW_DEVICE.match(normal):
        return [_deny(f"{what!r} writes a raw device")]
    sensitive = _sensitive_path_reason(target)
    if sensitive:
        return [_deny(f"{what!r} overwrites {sensitive}")]
    if normal.startswith(_SYSTEM_DIRS):
        return [_deny(f"{what!r} overwrites a system file")]
    return [_approve(f"{what!r} writes a file")]


def _judge_assignments(assignments: list[_Word], *, has_command: bool) -> list[_Finding]:
    """Variable assignments: harmless locale settings pass, anything else needs a human."""
    findings: list[_Finding] = []
    for word in assignments:
        name, _, value = word.text.partition("=")
        if word.dynamic or not _harmless_env(name, value):
            where = "for the command" if has_command else "in the shell"
            findings.append(_approve(f"sets {_short(word.raw, 40)!r} {where}"))
    return findings


def _harmless_env(name: str, value: str) -> bool:
    if name in ("LANG", "LANGUAGE", "TZ", "NO_COLOR", "COLUMNS", "LINES", "TERM"):
        return True
    if name.startswith("LC_"):
        return True
    return name in ("PAGER", "GIT_PAGER", "SYSTEMD_PAGER") and value in ("", "cat")


# --------------------------------------------------------------------------------------------
# Simple commands: unwrap, deny rules, allow rules
# --------------------------------------------------------------------------------------------


def _command_name(text: str) -> tuple[str, bool]:
    """(basename, trusted location) of a command word: ``/bin/rm`` -> ``("rm", True)``."""
    if "/" not in text:
        return text, True
    directory, _, base = text.rpartition("/")
    return base, posixpath.normpath(directory or "/") in _STD_BIN_DIRS


def _judge_argv(words: list[_Word], ctx: _Ctx, *, rough: bool = False) -> list[_Finding]:
    """Findings for one simple command given as words (wrappers included)."""
    findings: list[_Finding] = []
    words = list(words)
    for _ in range(16):  # wrappers nest (`nice timeout 5 env X=1 cmd`): bounded
        if not words:
            return findings
        head = words[0]
        if head.dynamic:
            return findings + [_approve(f"command name is computed: {_argv_text(words)!r}")]
        name = _command_name(head.text)[0]
        unwrapped = _unwrap(name, words, ctx)
        if unwrapped is None:
            break
        words, extra = unwrapped
        findings.extend(extra)
    else:
        return findings + [_approve("too many nested command wrappers")]
    return findings + _judge_simple(words, ctx, rough=rough)


def _unwrap_quietly(words: list[_Word]) -> list[_Word]:
    """``words`` with wrappers (env, nice, timeout...) removed; findings discarded."""
    ctx = _Ctx(CommandRules(), _MAX_TEXT_DEPTH + 1)
    for _ in range(16):
        if not words or words[0].dynamic:
            return words
        unwrapped = _unwrap(_command_name(words[0].text)[0], words, ctx)
        if unwrapped is None:
            return words
        words = unwrapped[0]
    return words


def _skip_options(
    args: list[_Word], with_value: Iterable[str], flags: Iterable[str] = ()
) -> list[_Word] | None:
    """Drop leading options; None when an option is unknown (the caller then gives up).

    Args:
        args: the words after the wrapper's name.
        with_value: options taking the next word as value (``-n``); ``--opt=value`` and
            ``-nVALUE`` forms are understood too.
        flags: options without value. A word ``--`` ends the options.
    """
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


_Unwrapped = tuple[list[_Word], list[_Finding]]


def _unwrap(name: str, words: list[_Word], ctx: _Ctx) -> _Unwrapped | None:
    """Strip one wrapper command; None when ``name`` is not a wrapper."""
    handler = _WRAPPERS.get(name)
    return None if handler is None else handler(words, ctx)


def _unwrap_env(words: list[_Word], ctx: _Ctx) -> _Unwrapped:
    args = words[1:]
    findings: list[_Finding] = []
    while args:
        text = args[0].text
        if text in ("-S", "--split-string") and len(args) > 1:
            inner = _split_words(args[1].text)
            return inner + args[2:], [_approve(f"env -S splits {args[1].raw!r}")]
        if text.startswith("--split-string=") or (text.startswith("-S") and len(text) > 2):
            value = text.split("=", 1)[1] if text.startswith("--") else text[2:]
            return _split_words(value) + args[1:], [_approve(f"env -S splits {value!r}")]
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
            return [], [_approve(f"unknown env option {text!r}")]
        else:
            break
    while args and _is_assignment(args[0].text):
        findings.extend(_judge_assignments([args[0]], has_command=True))
        args = args[1:]
    if not args:
        return [], findings + [_deny("env without a command prints the environment (secrets)")]
    return args, findings


def _split_words(text: str) -> list[_Word]:
    try:
        return _plain_words(shlex.split(text))
    except ValueError:
        return _plain_words(text.split())


def _unwrap_simple(
    with_value: Iterable[str] = (), flags: Iterable[str] = (), note: str = ""
) -> Callable[[list[_Word], _Ctx], _Unwrapped]:
    """A wrapper that takes options and then the command (nice, nohup, stdbuf...)."""

    def unwrap(words: list[_Word], _ctx: _Ctx) -> _Unwrapped:
        rest = _skip_options(words[1:], with_value, flags)
        if rest is None:
            return [], [_approve(f"unknown option in {_argv_text(words)!r}")]
        extra = [_approve(f"{words[0].text} {note}")] if note else []
        return rest, extra

    return unwrap


def _unwrap_timeout(words: list[_Word], ctx: _Ctx) -> _Unwrapped:
    rest = _skip_options(
        words[1:],
        ("-s", "--signal", "-k", "--kill-after"),
        ("--preserve-status", "--foreground", "-v", "--verbose"),
    )
    if rest is None:
        return [], [_approve(f"unknown option in {_argv_text(words)!r}")]
    return rest[1:], []  # the first operand is the duration


def _unwrap_time(words: list[_Word], ctx: _Ctx) -> _Unwrapped:
    args = words[1:]
    if any(w.text in ("-o", "--output") or w.text.startswith("--output=") for w in args[:4]):
        return [], [_approve(f"time -o writes a file: {_argv_text(words)!r}")]
    rest = _skip_options(args, ("-f", "--format"), ("-p", "-v", "--verbose", "-a", "--append"))
    if rest is None:
        return [], [_approve(f"unknown option in {_argv_text(words)!r}")]
    return rest, []


def _unwrap_command(words: list[_Word], ctx: _Ctx) -> _Unwrapped:
    args = words[1:]
    if args and args[0].text in ("-v", "-V"):
        ctx.allowed.append("command -v")
        return [], [_allow("looks up a command")]
    rest = _skip_options(args, (), ("-p",))
    if rest is None:
        return [], [_approve(f"unknown option in {_argv_text(words)!r}")]
    return rest, []


def _unwrap_exec(words: list[_Word], ctx: _Ctx) -> _Unwrapped:
    rest = _skip_options(words[1:], ("-a",), ("-c", "-l", "-cl", "-lc"))
    if rest is None:
        return [], [_approve(f"unknown option in {_argv_text(words)!r}")]
    return rest, [_approve("exec replaces the shell")]


def _unwrap_xargs(words: list[_Word], ctx: _Ctx) -> _Unwrapped:
    rest = _skip_options(
        words[1:],
        ("-I", "-L", "-l", "-n", "-P", "-s", "-d", "-E", "-e", "-a", "--arg-file", "-i"),
        ("-0", "-r", "-t", "-x", "-p", "-o", "--null", "--no-run-if-empty", "--verbose")
        + ("--open-tty", "--interactive", "--exit"),
    )
    if rest is None:
        return [], [_approve(f"unknown option in {_argv_text(words)!r}")]
    if not rest:
        rest = [_Word("echo", "echo")]
    note = _approve(f"xargs runs {_argv_text(rest)!r} on arguments read from its input")
    return rest, [note]


def _unwrap_watch(words: list[_Word], ctx: _Ctx) -> _Unwrapped:
    rest = _skip_options(
        words[1:],
        ("-n", "--interval", "-d", "--differences", "-q", "--equexit"),
        ("-t", "--no-title", "-b", "--beep", "-e", "--errexit", "-g", "--chgexit", "-c")
        + ("--color", "-x", "--exec", "-p", "--precise", "-w", "--no-wrap"),
    )
    hang = _approve("watch is interactive: it would hang")
    if rest is None:
        return [], [hang]
    # watch runs its arguments through `sh -c`.
    inner = _classify_text(" ".join(w.text for w in rest), ctx.deeper())
    return [], [inner, hang]


def _unwrap_eval(words: list[_Word], ctx: _Ctx) -> _Unwrapped:
    text = " ".join(word.text for word in words[1:])
    if any(word.dynamic for word in words[1:]):
        return [], [_approve(f"eval of computed text: {_argv_text(words)!r}")]
    inner = _classify_text(text, ctx.deeper())
    return [], [inner, _approve(f"eval runs {_short(text)!r} as shell code")]


_WRAPPERS: dict[str, Callable[[list[_Word], _Ctx], _Unwrapped]] = {
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
}


def _judge_simple(words: list[_Word], ctx: _Ctx, *, rough: bool = False) -> list[_Finding]:
    """Deny rules, then allow rules, for one unwrapped simple command."""
    head = words[0]
    name, trusted = _command_name(head.text)
    argv_text = _argv_text(words)
    denied = _policy_deny(words, ctx.rules) or _baseline_deny(name.lower(), words)
    if denied is not None:
        return [denied]
    code = _shell_or_code_findings(name.lower(), words, ctx)
    if any(f.decision == "deny" for f in code):
        return code
    findings = _argument_findings(name, words)
    if any(f.decision == "deny" for f in findings) or rough:
        return findings
    if any(char in head.text for char in "*?[{"):
        return findings + [_approve(f"glob in command position: {argv_text!r}")]
    if not trusted:
        return findings + [_approve(f"runs a program by path: {argv_text!r}")]
    computed = next((w for w in words[1:] if w.dynamic), None)
    if computed is not None:
        return findings + [_approve(f"{name}: argument {computed.raw!r} is computed")]
    escaped = next((w for w in words if _has_escaped_metachar(w.raw)), None)
    if escaped is not None:
        reason = f"{name}: escaped shell character in {escaped.raw!r}"
        return findings + [_approve(reason)]
    if _policy_allow(words, ctx.rules):
        ctx.allowed.append(argv_text)
        return findings + [_allow("allowed by policy")]
    return findings + _baseline_allow(name, words, ctx, code)


def _has_escaped_metachar(raw: str) -> bool:
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


# -- policy rules ----------------------------------------------------------------------------


def _rule_words(rule: str) -> list[str]:
    try:
        parts = shlex.split(rule)
    except ValueError:
        parts = rule.split()
    if parts:
        parts[0] = _command_name(parts[0])[0]
    return parts


def _policy_deny(words: list[_Word], rules: CommandRules) -> _Finding | None:
    """A policy deny rule matching ``words`` (name, then the rule's words in order)."""
    name = _command_name(words[0].text)[0].lower()
    rest = [word.text.lower() for word in words[1:]]
    for rule in rules.deny:
        parts = [part.lower() for part in _rule_words(rule)]
        if not parts or parts[0] != name:
            continue
        position = 0
        for part in parts[1:]:
            try:
                position = rest.index(part, position) + 1
            except ValueError:
                break
        else:
            return _deny(f"{_argv_text(words)!r} matches the policy deny rule {rule!r}")
    return None


def _policy_allow(words: list[_Word], rules: CommandRules) -> bool:
    argv = [_command_name(words[0].text)[0]] + [word.text for word in words[1:]]
    for rule in rules.allow:
        parts = _rule_words(rule)
        if parts and argv[: len(parts)] == parts:
            return True
    return False


# -- baseline deny -------------------------------------------------------------------------


def _baseline_deny(name: str, words: list[_Word]) -> _Finding | None:
    """The built-in deny rules; ``name`` is the lower-cased basename."""
    argv = _argv_text(words)
    args = [word.text for word in words[1:]]
    if name in _ALWAYS_DENY:
        return _deny(f"{argv!r}: {name} {_ALWAYS_DENY[name]}")
    if name.startswith("mkfs") or name in ("mke2fs", "mkswap"):
        return _deny(f"{argv!r}: formats a filesystem")
    for check in (_deny_packages, _deny_service_and_power, _deny_env_dump, _deny_kill):
        reason = check(name, args)
        if reason is not None:
            return _deny(f"{argv!r}: {reason}")
    reason = _deny_dd(name, args) or _deny_network_shell(name, args)
    if reason is not None:
        return _deny(f"{argv!r}: {reason}")
    return None


def _first_operand(args: list[str]) -> str | None:
    return next((arg for arg in args if not arg.startswith("-")), None)


def _deny_packages(name: str, args: list[str]) -> str | None:
    if name in _PACKAGE_MANAGERS_ALWAYS:
        return "package manager changes the system"
    operand = _first_operand(args)
    if _PYTHON_NAME.fullmatch(name) and args[:2] == ["-m", "pip"]:
        operand = _first_operand(args[2:])
        name = "pip"
    if operand is not None and operand.lower() in _PACKAGE_INSTALL.get(name, frozenset()):
        return f"installs packages ({name} {operand})"
    return None


def _deny_service_and_power(name: str, args: list[str]) -> str | None:
    if name == "systemctl":
        operand = _first_operand(args)
        if operand is not None and operand.lower() in _SYSTEMCTL_MUTATING:
            return f"systemctl {operand} changes services or power state"
    if name == "service" and len(args) >= 2 and args[1] != "status":
        return f"service {args[1]} changes services"
    if name in ("init", "telinit") and args[:1] in (["0"], ["6"], ["1"], ["s"], ["S"]):
        return "changes the runlevel (shutdown/reboot)"
    return None


def _deny_env_dump(name: str, args: list[str]) -> str | None:
    if name == "export" and (not args or args == ["-p"]):
        return "prints the exported environment (secrets)"
    if name in ("declare", "typeset") and args and all(a.startswith("-") for a in args):
        if any(flag in "".join(args) for flag in ("p", "x")):
            return "prints shell variables (secrets)"
    if name == "set" and not args:
        return "prints every shell variable (secrets)"
    if name == "compgen" and "-e" in args:
        return "lists the environment"
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
            if value not in _HARMLESS_SINKS:
                return f"writes the device {value}"
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


def _shell_or_code_findings(name: str, words: list[_Word], ctx: _Ctx) -> list[_Finding]:
    """Findings about code a command runs: ``sh -c``, ``python -c``, ``find -exec``, awk."""
    if name in _SHELLS:
        return _shell_findings(words, ctx)
    if name == "find":
        return _find_exec_findings(words, ctx)
    if name in ("awk", "gawk", "mawk", "nawk"):
        program = _first_operand([w.text for w in words[1:]])
        if program is not None and ("system" in program or "|" in program or ">" in program):
            return _code_findings(program, ctx)
        return []
    code = _inline_code(name, words)
    if code is not None:
        return _code_findings(code, ctx)
    return []


def _shell_findings(words: list[_Word], ctx: _Ctx) -> list[_Finding]:
    """Findings for ``sh``/``bash``/... invocations (the -c string classified recursively)."""
    args = words[1:]
    index = 0
    command_mode = False
    findings: list[_Finding] = []
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
            findings.append(_approve(f"{words[0].text} {text}: reads startup files"))
        index += 1
    operands = args[index:]
    if command_mode and operands:
        findings.append(_classify_text(operands[0].text, ctx.deeper()))
        if operands[0].dynamic:
            findings.append(_approve(f"{words[0].text} -c of computed text"))
    elif operands:
        findings.append(_approve(f"runs the script {operands[0].text!r}"))
    else:
        findings.append(_approve(f"{words[0].text} reads commands from its input"))
    return findings


def _find_exec_findings(words: list[_Word], ctx: _Ctx) -> list[_Finding]:
    """Judge the commands of ``find -exec CMD ;`` (each -exec/-ok up to ``;`` or ``+``)."""
    findings: list[_Finding] = []
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
            findings.extend(_judge_argv(inner, ctx.deeper()))
        findings.append(_approve(f"find {words[index].text} runs {_argv_text(inner)!r}"))
        index = end + 1
    return findings


def _inline_code(name: str, words: list[_Word]) -> str | None:
    """The inline program of ``python -c CODE``, ``perl -e CODE``..., if any."""
    key = "python" if _PYTHON_NAME.fullmatch(name) else name
    flags = _INTERPRETER_CODE_FLAGS.get(key)
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
        if re.fullmatch(r"-[a-zA-Z]+", arg) and arg[-1] in letters:
            return following
    return None


def _code_findings(code: str, ctx: _Ctx) -> list[_Finding]:
    snippet = _short(code, 40)
    findings: list[_Finding] = [_approve(f"runs inline code {snippet!r}")]
    deletes = _CODE_DELETES.search(code)
    if deletes:
        findings.append(_deny(f"inline code deletes files ({deletes.group(0)!r})"))
    if _CODE_REVERSE_SHELL.search(code):
        findings.append(_deny("inline code opens a socket and runs a shell: a reverse shell"))
    for match in list(_CODE_SHELL_STRING.finditer(code))[:8]:
        findings.append(_classify_text(match.group(2), ctx.deeper()))
    return findings


# -- arguments: sensitive files --------------------------------------------------------------


def _sensitive_path_reason(text: str) -> str | None:
    """Why the path ``text`` holds secrets, or None."""
    if not text or "://" in text:
        return None
    normal = posixpath.normpath(text)
    lowered = normal.lower()
    for location in _SENSITIVE_LOCATIONS:
        if (
            lowered == location
            or lowered.startswith(location.rstrip("/") + "/")
            or (location.endswith("_") and lowered.startswith(location))
        ):
            return f"the secret location {location}"
    if _PROC_ENVIRON.match(lowered):
        return "another process's environment or memory"
    home = _HOME_PREFIX.match(normal)
    if home is not None:
        rest = normal[home.end() :].lower()
        for secret in _HOME_SECRETS:
            if rest == secret or rest.startswith(secret + "/"):
                return f"the secret file ~/{secret}"
    rule = is_sensitive_name(normal) or is_sensitive_name(normal + "/")
    if rule is not None:
        return f"a sensitive file ({rule})"
    return None


# Commands that read file contents: naming a sensitive file is a leak, so it is denied.
_READERS = frozenset(
    [
        "cat", "tac", "head", "tail", "less", "more", "most", "grep", "egrep", "fgrep", "rg",
        "ag", "ack", "strings", "xxd", "od", "hexdump", "base64", "base32", "cp", "mv",
        "tar", "zip", "gzip", "bzip2", "xz", "zcat", "openssl", "source", ".", "vi", "vim",
        "nvim", "nano", "emacs", "code", "diff", "cmp", "sort", "uniq", "cut", "awk", "sed",
        "nl", "paste", "column", "jq", "yq", "bat", "view", "dd", "git", "python", "python3",
        "node", "perl", "ruby", "sh", "bash", "zsh", "wc", "md5sum", "sha1sum", "sha256sum",
        "split", "tee", "install", "ln", "docker", "kubectl", "gpg", "scp", "curl", "wget",
        "iconv", "fold", "fmt", "pr", "expand", "tr", "rev", "look", "comm", "join", "csplit",
    ]
)  # fmt: skip


def _argument_findings(name: str, words: list[_Word]) -> list[_Finding]:
    """Deny reading sensitive files; flag sensitive names and writes for a human."""
    if name in _STRING_ONLY:
        return []
    findings: list[_Finding] = []
    for shown, text in _path_candidates(name, words[1:]):
        reason = _sensitive_path_reason(text)
        if reason is None:
            continue
        what = f"{name} {shown}"
        if name in _NAME_ONLY:
            findings.append(_approve(f"{what!r} names {reason}"))
        elif name in _READERS or name.startswith("python"):
            findings.append(_deny(f"{what!r} reads {reason}"))
        else:
            findings.append(_approve(f"{what!r} touches {reason}"))
    if name == "tee":
        for word in words[1:]:
            if not word.text.startswith("-"):
                findings.extend(_judge_write_target(word.text, f"tee {word.text}"))
    return findings


def _path_candidates(name: str, args: list[_Word]) -> list[tuple[str, str]]:
    """(word, path) pairs of a command's words that may name files.

    Patterns (``grep PATTERN``), messages (``-m MSG``) and formats are skipped; option values
    (``--file=X``), ``dd`` operands (``if=X``) and revision paths (``HEAD:.env``) are
    included.
    """
    candidates: list[tuple[str, str]] = []
    skip_next = False
    pattern_pending = name in _PATTERN_FIRST
    for word in args:
        text = word.text
        if skip_next:
            skip_next = False
            continue
        if text in _TEXT_OPTIONS:
            skip_next = True
            pattern_pending = pattern_pending and text not in ("-e", "--regexp")
            continue
        if text.startswith("-"):
            option, equals, value = text.partition("=")
            if equals and option not in _TEXT_OPTIONS:
                candidates.append((text, value))
            continue
        if pattern_pending:
            pattern_pending = False
            continue
        candidates.append((text, text))
        if "=" in text and name == "dd":
            candidates.append((text, text.partition("=")[2]))
        if ":" in text:  # git show HEAD:.env, scp host:path
            candidates.append((text, text.rsplit(":", 1)[1]))
    return candidates


# -- baseline allow ------------------------------------------------------------------------


def _baseline_allow(
    name: str, words: list[_Word], ctx: _Ctx, code: list[_Finding]
) -> list[_Finding]:
    """Allow read-only diagnostics; everything else needs a human.

    ``code`` holds the findings about a shell's ``-c`` string or an interpreter's inline
    code, already computed by the caller.
    """
    argv_text = _argv_text(words)
    args = [word.text for word in words[1:]]
    if name in _INTERACTIVE:
        return [_approve(f"{argv_text!r}: interactive program, it would hang")]
    if code:
        return code
    if _PYTHON_NAME.fullmatch(name) or name in _INTERPRETER_CODE_FLAGS:
        what = "interactive interpreter, it would hang" if not args else "runs a program"
        return [_approve(f"{argv_text!r}: {what}")]
    validator = _ALLOWED.get(name)
    if validator is None:
        return [_approve(f"{argv_text!r}: {name} is not a known read-only command")]
    problem = validator(args)
    if problem is not None:
        return [_approve(f"{argv_text!r}: {problem}")]
    label = name if name not in ("git", "docker", "systemctl") or not args else f"{name} {args[0]}"
    ctx.allowed.append(label)
    return [_allow(f"{label} is read-only")]


_Validator = Callable[[list[str]], str | None]


def _no_operands(allowed_flags: Iterable[str]) -> _Validator:
    """Allow only the given flags and no operands (``uptime``, ``whoami``...)."""
    flags = frozenset(allowed_flags)

    def validate(args: list[str]) -> str | None:
        bad = next((arg for arg in args if arg not in flags), None)
        return None if bad is None else f"unexpected argument {bad!r}"

    return validate


def _short_flags(text: str, allowed: str) -> bool:
    """Whether ``text`` is a cluster of short flags (``-tlnp``) all in ``allowed``."""
    return bool(re.fullmatch(r"-[A-Za-z0-9]+", text)) and all(c in allowed for c in text[1:])


def _validate_ps(args: list[str]) -> str | None:
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-u", "-U", "-p", "-o", "-C", "-g", "-G", "--sort", "-q", "--pid", "--ppid"):
            index += 2
            continue
        if arg.startswith(("--sort=", "--format=", "-o")) or arg in ("--forest", "-H", "-w"):
            index += 1
            continue
        # BSD-style "e" (no dash) prints each process's environment: secrets.
        if not arg.startswith("-") and re.fullmatch(r"[auxwfjlvmrsTcgnhHZ]+", arg):
            index += 1
            continue
        if _short_flags(arg, "AaedfFjlLMTwxyHN"):
            index += 1
            continue
        return f"unexpected ps argument {arg!r}"
    return None


def _validate_files_command(
    valued: Iterable[str], flags: Iterable[str], *, flag_letters: str = ""
) -> _Validator:
    """Validator for cat/head/tail/wc: known options, file operands without risky globs."""
    valued_set, flag_set = frozenset(valued), frozenset(flags)

    def validate(args: list[str]) -> str | None:
        index = 0
        while index < len(args):
            arg = args[index]
            index += 1
            if arg == "--":
                continue
            if arg.startswith("-") and arg != "-":
                if arg in valued_set:
                    index += 1
                elif arg in flag_set or arg.partition("=")[0] in valued_set:
                    pass
                elif re.fullmatch(r"-[0-9]+", arg) or _short_flags(arg, flag_letters):
                    pass
                elif arg[:2] in valued_set and len(arg) > 2:
                    pass
                else:
                    return f"option {arg!r} is not known to be read-only"
                continue
            glob = _risky_glob(arg)
            if glob is not None:
                return glob
        return None

    return validate


# One name per sensitive rule: a glob operand matching any of them may read secrets.
_SENSITIVE_SAMPLES = (
    ".env", ".env.local", "a.key", "a.pem", "a.p12", "a.pfx", "id_rsa", "id_ed25519", "id_dsa",
    "id_ecdsa", "credentials.json", ".npmrc", ".netrc", ".pypirc", ".htpasswd", "a.jks",
    "a.keystore", "service-account.json", "secrets",
)  # fmt: skip


def _risky_glob(arg: str) -> str | None:
    """Why a glob or brace operand might match a sensitive file, or None."""
    if not any(char in arg for char in "*?[{"):
        return None
    directory, _, base = arg.rpartition("/")
    if any(char in directory for char in "*?[{") or "{" in base:
        return f"glob {arg!r} may match sensitive files"
    if any(fnmatchcase(sample, base.lower()) for sample in _SENSITIVE_SAMPLES):
        return f"glob {arg!r} may match sensitive files"
    if directory and _sensitive_path_reason(directory + "/x"):
        return f"glob {arg!r} is in a sensitive directory"
    return None


_validate_cat = _validate_files_command((), ("-",), flag_letters="nbAeEsStTuv")
_validate_head = _validate_files_command(
    ("-n", "-c", "--lines", "--bytes"), ("-q", "-v", "--quiet", "--silent", "--verbose")
)
_validate_tail_files = _validate_files_command(
    ("-n", "-c", "--lines", "--bytes"), ("-q", "-v", "--quiet", "--silent", "--verbose")
)
_validate_wc = _validate_files_command((), (), flag_letters="clmwL")


def _validate_tail(args: list[str]) -> str | None:
    for arg in args:
        if arg in ("-f", "-F", "--retry") or arg.startswith(("--follow", "--pid")):
            return "follows the file forever (tail -f): it would hang"
        if _short_flags(arg, "fFqvnc0123456789") and any(c in arg for c in "fF"):
            return "follows the file forever (tail -f): it would hang"
    return _validate_tail_files(args)


_GREP_VALUED = frozenset("efmABCdD")


def _validate_grep(args: list[str]) -> str | None:
    operands: list[str] = []
    index = 0
    pattern_given = False
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            operands.extend(args[index:])
            break
        if arg.startswith("--"):
            if arg in ("--recursive", "--dereference-recursive") or arg.startswith(
                ("--directories=recurse", "--devices=read")
            ):
                return "recursive grep may read secret files (.env, keys)"
            if arg in ("--regexp", "--file", "--max-count", "--directories", "--devices"):
                pattern_given = pattern_given or arg in ("--regexp", "--file")
                index += 1
            pattern_given = pattern_given or arg.startswith(("--regexp=", "--file="))
            continue
        if arg.startswith("-") and arg != "-":
            for position, letter in enumerate(arg[1:], start=1):
                if letter in "rR":
                    return "recursive grep may read secret files (.env, keys)"
                if letter in _GREP_VALUED:
                    pattern_given = pattern_given or letter in "ef"
                    attached = arg[position + 1 :]
                    value = attached or (args[index] if index < len(args) else "")
                    if letter == "d" and value == "recurse":
                        return "recursive grep may read secret files (.env, keys)"
                    if not attached:
                        index += 1
                    break
            continue
        operands.append(arg)
    files = operands if pattern_given else operands[1:]
    for name in files:
        glob = _risky_glob(name)
        if glob is not None:
            return glob
    return None


_FIND_ACTIONS = frozenset(
    ["-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls"]
)


def _validate_find(args: list[str]) -> str | None:
    bad = next((arg for arg in args if arg in _FIND_ACTIONS), None)
    return None if bad is None else f"find {bad} acts on files"


def _validate_echo(_args: list[str]) -> str | None:
    return None


def _validate_date(args: list[str]) -> str | None:
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg.startswith("+") or arg in ("-u", "--utc", "-R", "--rfc-email", "--universal"):
            continue
        if arg in ("-d", "--date"):
            index += 1
            continue
        if arg.startswith(("--date=", "-I", "--iso-8601", "--rfc-3339=")):
            continue
        return f"date {arg!r} may set the clock or read files"
    return None


def _validate_df(args: list[str]) -> str | None:
    for arg in args:
        if (
            arg.startswith("-")
            and not (
                _short_flags(arg, "ahHiklPTx") or arg.startswith(("--output", "--total", "--type="))
            )
            and arg not in ("--human-readable", "--si", "--inodes", "--local", "--all")
        ):
            return f"unexpected df option {arg!r}"
    return None


def _validate_socket_lister(letters: str) -> _Validator:
    def validate(args: list[str]) -> str | None:
        for arg in args:
            if not _short_flags(arg, letters) and arg not in ("--numeric", "--listening"):
                return f"unexpected option {arg!r}"
        return None

    return validate


def _validate_ls(args: list[str]) -> str | None:
    return None  # ls only lists names; sensitive names were flagged already


def _validate_journalctl(args: list[str]) -> str | None:
    valued = {"-u", "--unit", "-n", "--lines", "--since", "-S", "--until", "-U", "-p"}
    valued |= {"--priority", "-o", "--output", "-b", "--boot", "-g", "--grep", "-t"}
    valued |= {"--identifier", "--user-unit", "-D", "--directory"}
    flags = {"--no-pager", "-r", "--reverse", "-x", "--catalog", "-k", "--dmesg", "-q"}
    flags |= {"--quiet", "--utc", "--no-hostname", "-a", "--all", "-l", "--full", "-e"}
    flags |= {"--pager-end", "--no-full", "-m", "--merge", "--list-boots", "--disk-usage"}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-f", "--follow") or (_short_flags(arg, "frxkqalem") and "f" in arg):
            return "journalctl -f follows forever: it would hang"
        if arg in valued:
            optional = arg in ("-n", "-b")  # these take an optional value
            if not optional or (index < len(args) and re.fullmatch(r"-?\d+|all", args[index])):
                index += 1
        elif arg.partition("=")[0] in valued or arg in flags:
            continue
        elif arg[:2] in valued and len(arg) > 2 and not arg.startswith("--"):
            continue
        elif _short_flags(arg, "rxkqalem"):
            continue
        else:
            return f"journalctl option {arg!r} is not known to be read-only"
    return None


def _validate_systemctl(args: list[str]) -> str | None:
    read_only = {"status", "is-active", "is-enabled", "is-failed", "list-units", "list-timers"}
    read_only |= {"list-unit-files", "list-sockets"}
    flags = {"--no-pager", "-l", "--full", "-a", "--all", "--plain", "--no-legend", "-q"}
    flags |= {"--quiet", "--user", "--system", "--failed"}
    operand = _first_operand(args)
    if operand is None or operand not in read_only:
        return f"systemctl {operand or ''} is not a read-only subcommand".replace("  ", " ")
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.startswith("-"):
            continue
        if arg in ("-n", "--lines", "-t", "--type", "--state"):
            index += 1
        elif arg.partition("=")[0] in ("--lines", "--type", "--state") or arg in flags:
            continue
        elif re.fullmatch(r"-n\d+", arg):
            continue
        else:
            return f"systemctl option {arg!r} (remote hosts, containers) needs a human"
    return None


def _tail_limit(args: list[str]) -> str | None:
    """For docker logs: require --tail N and refuse --follow."""
    has_tail = False
    for index, arg in enumerate(args):
        if arg in ("-f", "--follow") or arg.startswith("--follow="):
            return "docker logs -f follows forever: it would hang"
        if arg in ("--tail", "-n") and index + 1 < len(args) and args[index + 1].isdigit():
            has_tail = True
        if arg.startswith(("--tail=", "-n=")) and arg.partition("=")[2].isdigit():
            has_tail = True
    return None if has_tail else "docker logs without --tail N prints the whole log"


def _validate_docker(args: list[str]) -> str | None:
    if not args:
        return "docker without a subcommand"
    if args[0].startswith("-"):
        return "docker global options (other hosts or contexts) need a human"
    sub, rest = args[0], args[1:]
    if sub == "ps":
        return None
    if sub == "logs":
        return _tail_limit(rest)
    if sub == "compose":
        return _validate_compose(rest)
    return f"docker {sub} is not a read-only diagnostic"


def _validate_compose(args: list[str]) -> str | None:
    index = 0
    while index < len(args) and args[index] in ("-f", "--file", "-p", "--project-name"):
        index += 2
    sub, rest = (args[index], args[index + 1 :]) if index < len(args) else ("", [])
    if sub == "ps":
        return None
    if sub == "logs":
        return _tail_limit(rest)
    return f"docker compose {sub or '(nothing)'} is not a read-only diagnostic"


_CURL_FLAGS = frozenset(
    ["-I", "--head", "-s", "--silent", "-S", "--show-error", "-f", "--fail", "-v", "--verbose"]
    + ["-i", "--include", "-k", "--insecure", "-g", "--globoff", "--compressed", "-4", "-6"]
    + ["--fail-with-body", "--no-progress-meter", "-sS", "-sI", "-Is", "-fsS", "-fs", "-sf"]
)
_CURL_VALUED = frozenset(
    ["-m", "--max-time", "--connect-timeout", "-w", "--write-out", "-H", "--header", "-A"]
    + ["--user-agent", "--retry", "--retry-delay", "-X", "--request"]
)
_LOCAL_HOSTS = frozenset(["localhost", "127.0.0.1", "::1"])


def _validate_curl(args: list[str]) -> str | None:
    urls: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in _CURL_FLAGS or _short_flags(arg, "IsSfvik46g"):
            continue
        option, equals, value = arg.partition("=")
        if arg in _CURL_VALUED or (equals and option in _CURL_VALUED and option.startswith("--")):
            if not equals:
                value = args[index] if index < len(args) else ""
                index += 1
            if arg.startswith(("-X", "--request")) and value.upper() not in ("GET", "HEAD"):
                return f"curl -X {value} changes state"
            continue
        if arg.startswith("-X") and len(arg) > 2:
            if arg[2:].upper() not in ("GET", "HEAD"):
                return f"curl {arg} changes state"
            continue
        if arg.startswith("-"):
            return f"curl option {arg!r} may send data or write files"
        urls.append(arg)
    if not urls:
        return "curl without a URL"
    bad = next((url for url in urls if not _is_local_url(url)), None)
    return None if bad is None else f"curl to {bad!r}: only localhost health checks are allowed"


def _is_local_url(url: str) -> bool:
    candidate = url if "://" in url else "http://" + url
    try:
        parts = urlsplit(candidate)
        host = parts.hostname
        _ = parts.port  # raises on garbage ports
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password:
        return False
    # curl expands [1-9] and {a,b} in URLs: refuse them outside the host brackets.
    if any(char in parts.path + parts.query for char in "[]{}"):
        return False
    return host in _LOCAL_HOSTS


def _validate_git(args: list[str]) -> str | None:
    index = 0
    while index < len(args) and args[index].startswith("-"):
        arg = args[index]
        if arg in ("--no-pager", "-P", "--no-optional-locks", "--no-replace-objects"):
            index += 1
            continue
        # -c sets config (core.pager, diff.external...), -C/--git-dir may point at a
        # repository whose config runs programs (core.fsmonitor): a human must look.
        return f"git option {arg!r} can change what git runs"
    if index >= len(args):
        return "git without a subcommand"
    sub, rest = args[index], args[index + 1 :]
    validator = _GIT_SUBCOMMANDS.get(sub)
    if validator is None:
        return f"git {sub} is not a read-only subcommand"
    return validator(rest)


def _git_output_flags(args: list[str]) -> str | None:
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--output") or arg in ("--ext-diff", "--exec-path"):
            return f"git {arg} writes files or runs external programs"
        if arg.startswith(("--exec-path=", "--upload-pack", "--receive-pack")):
            return f"git {arg} runs external programs"
    return None


def _git_branch(args: list[str]) -> str | None:
    listing = {"-a", "--all", "-r", "--remotes", "-v", "-vv", "--verbose", "--list", "-l"}
    listing |= {"--show-current", "--no-color", "--color", "-i", "--ignore-case", "--column"}
    listing |= {"--no-column", "--omit-empty"}
    valued = {"--contains", "--no-contains", "--merged", "--no-merged", "--points-at"}
    valued |= {"--sort", "--format", "--abbrev"}
    is_list = any(arg in ("--list", "-l") for arg in args)
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in listing or arg.partition("=")[0] in valued and "=" in arg:
            continue
        if arg.startswith("--color=") or arg.startswith("--column="):
            continue
        if arg in valued:
            index += 1  # the value is optional for some; a following pattern is harmless
            continue
        if not arg.startswith("-") and is_list:
            continue
        if arg.startswith("-"):
            return f"git branch {arg} changes branches"
        return f"git branch {arg} creates a branch"
    return None


def _git_status(args: list[str]) -> str | None:
    return _git_output_flags(args)


_GIT_SUBCOMMANDS: dict[str, _Validator] = {
    "status": _git_status,
    "log": _git_output_flags,
    "diff": _git_output_flags,
    "show": _git_output_flags,
    "branch": _git_branch,
    "rev-parse": _git_output_flags,
    "ls-files": _git_output_flags,
}


_ALLOWED: dict[str, _Validator] = {
    "docker": _validate_docker,
    "docker-compose": _validate_compose,
    "systemctl": _validate_systemctl,
    "journalctl": _validate_journalctl,
    "ps": _validate_ps,
    "df": _validate_df,
    "free": _no_operands(["-h", "-m", "-g", "-k", "-b", "-t", "-w", "--human", "--total"]),
    "curl": _validate_curl,
    "netstat": _validate_socket_lister("tulpnaeWwxrsig"),
    "ss": _validate_socket_lister("tulpnaexwrsimoH46"),
    "uptime": _no_operands(["-p", "--pretty", "-s", "--since"]),
    "whoami": _no_operands([]),
    "id": _no_operands(["-u", "-g", "-G", "-n", "-un", "-gn"]),
    "hostname": _no_operands(["-f", "-s", "-i", "-I", "-d", "--fqdn", "--short"]),
    "uname": _no_operands(["-a", "-s", "-n", "-r", "-v", "-m", "-p", "-i", "-o", "--all"]),
    "pwd": _no_operands(["-L", "-P"]),
    "ls": _validate_ls,
    "cat": _validate_cat,
    "head": _validate_head,
    "tail": _validate_tail,
    "grep": _validate_grep,
    "egrep": _validate_grep,
    "fgrep": _validate_grep,
    "wc": _validate_wc,
    "find": _validate_find,
    "git": _validate_git,
    "echo": _validate_echo,
    "date": _validate_date,
    "true": _no_operands([]),
}


def _reads_code_from_stdin(argv: list[_Word]) -> bool:
    """Whether the (unwrapped) command executes what it reads on stdin."""
    if not argv or argv[0].dynamic:
        return False
    name = _command_name(argv[0].text)[0].lower()
    args = [word.text for word in argv[1:]]
    if name in _SHELLS:
        operands = [arg for arg in args if not arg.startswith(("-", "+"))]
        has_c = any(a.startswith("-") and not a.startswith("--") and "c" in a for a in args)
        return "-s" in args or (not operands and not has_c)
    if _PYTHON_NAME.fullmatch(name) or name in ("perl", "ruby", "node", "nodejs", "php"):
        return (
            not args
            or args == ["-"]
            or all(arg.startswith("-") for arg in args)
            and (_inline_code(name, argv) is None)
        )
    return name in ("source", ".") and args[:1] in (["/dev/stdin"], ["-"])
