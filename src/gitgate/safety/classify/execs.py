"""Programs a command runs: options (``find -exec``, ``git -c core.pager=...``), scripts
(``sed e``, awk ``system()``), shells' ``-c`` strings, interpreters' inline code, and
decode-and-execute producers (``base64 -d``, ``xxd -r``)."""

from __future__ import annotations

import re
import shlex
from fnmatch import fnmatchcase
from typing import Any

# Modules, not names: commands and walker import this module too (nested texts recurse).
from gitgate.safety.classify import commands, walker  # noqa: E402
from gitgate.safety.classify.allowed import duckdb_queries
from gitgate.safety.classify.arguments import git_subcommand, pattern_operand
from gitgate.safety.classify.denies import (
    harmless_ssh_command,
    judge_write_target,
    ssh_option_runs_nothing,
)
from gitgate.safety.classify.inline_perl import perl_filter
from gitgate.safety.classify.inline_powershell import powershell_reads
from gitgate.safety.classify.inline_python import python_program, python_reads
from gitgate.safety.classify.inline_scripts import script_program, script_reads
from gitgate.safety.classify.model import (
    PYTHON_NAME,
    Ctx,
    Finding,
    Word,
    approve,
    command_name,
    deny,
    has_deny,
    short,
    split_words,
)
from gitgate.safety.classify.paths import (
    glob_aimed_at_secret,
    holds_secrets,
    join_cwd,
    judge_path,
    secret_reason,
)
from gitgate.safety.classify.producers import find_names, unlisted_files_harmless
from gitgate.safety.classify.tables import tables

# Code in `python -c` & co. that obviously deletes files or opens a reverse shell.
# `perl -e 'fork while fork'`, `python -c 'while 1: os.fork()'`: a fork bomb in any language.
_CODE_FORK_BOMB = re.compile(
    r"\bfork\s+while\s+fork\b|\bwhile\s*\(?\s*(?:1|true|True)\s*\)?\s*[:{]?\s*(?:os\.|Process\.)?fork\b"
    r"|\bfor\s*\(\s*;\s*;\s*\)\s*\{?\s*fork\b|\bloop\s*\{?\s*fork\b"
)
_CODE_DELETES = re.compile(
    r"rmtree|os\.(remove|unlink|rmdir|removedirs)\b|\bunlink(Sync)?\b|\brm(dir)?Sync\b|"
    r"fs\.(promises\.)?rm\b|FileUtils\.rm|File\.delete|\brm\s+-[a-zA-Z]*[rRf]|rimraf|"
    r"Remove-Item|\.unlink\(|\.rmdir\(",
)
_CODE_REVERSE_SHELL = re.compile(
    r"(?i)(?:socket|fsockopen|TCPSocket|TCPClient|Net\.Sockets|IO::Socket)"
    r".*(?:dup2|pty\.spawn|subprocess|/bin/(?:ba)?sh|\bexec\b|popen|\bsystem\b|spawn|cmd\.exe"
    r"|\biex\b|Invoke-Expression)",
    re.DOTALL,
)
_CODE_SHELL_STRING = re.compile(
    r"(?:system|popen|exec|execSync|spawnSync|call|run|check_output|check_call|Popen|execute)"
    r"\s*\(\s*(?:r|f|b)?(['\"])(.*?)\1",
    re.DOTALL,
)
# awk programs that run commands: system(), print | "cmd", "cmd" | getline, |&.
_AWK_RUNS = re.compile(r"system\s*\(|\|\s*\"|\"\s*\|\s*getline|\|&|\|\s*[a-zA-Z_]+\s*;?\s*$")


# -- options and code that run programs ------------------------------------------------------


def exec_findings(name: str, words: list[Word], ctx: Ctx) -> list[Finding]:
    """Findings about programs a command runs: options (``find -exec``, ``git -c core.pager``),
    scripts (``sed e``, awk ``system()``), shells' ``-c`` strings, interpreters' inline code."""
    args = [word.text for word in words[1:]]
    findings: list[Finding] = []
    rebase_commands: list[str] = []
    if name == "git" and git_subcommand(args)[0] == "rebase":
        args, rebase_commands = _split_rebase_exec(args)
    option = _exec_option(name, args)
    if option is not None:
        findings.append(deny(f"{name} {option} makes it run programs or write files"))
    for command in rebase_commands:
        # `git rebase --exec 'npm test'`: a shell runs CMD after each commit, judged as such.
        findings.append(walker.classify_text(command, ctx.deeper()))
        findings.append(approve(f"git rebase --exec runs {short(command)!r} after each commit"))
    if name == "git":
        findings.extend(_git_config_findings(args))
    if name == "alias":
        for arg in args:  # alias ls='rm -rf /': the body runs later as shell code
            body = arg.partition("=")[2]
            if body:
                findings.append(walker.classify_text(body, ctx.deeper()))
                findings.append(approve(f"alias {short(arg, 40)!r} changes what a name runs"))
    findings.extend(_program_env_findings(name, args))
    findings.extend(_program_read_findings(name, args, ctx))
    if name == "duckdb":
        findings.extend(_duckdb_read_findings(args, ctx))
    if name in ("duckdb", "sqlite3"):
        findings.extend(_sql_shell_findings(name, args, ctx))
    findings.extend(_carried_findings(name, words, ctx))
    inner = _command_run_elsewhere(name, args)
    if inner:
        # docker exec web dropdb app, ssh host 'rm -rf /srv': the command runs in a container
        # or on another machine; what it does there is judged like here (a human looks anyway)
        # ssh hands the words, joined, to the remote shell; exec runs them as an argv
        joined = name in ("ssh", "adb")
        text = " ".join(inner) if joined else " ".join(shlex.quote(a) for a in inner)
        judged = walker.classify_text(text, ctx.deeper())
        if judged.decision == "deny":
            findings.append(deny(f"{name} runs {short(' '.join(inner), 40)!r}: {judged.reason}"))
    if name == "find":
        findings.extend(_find_exec_findings(words, ctx))
    elif name in ("sed", "gsed"):
        findings.extend(_sed_findings(args))
        if "--sandbox" not in args:
            for script in _sed_scripts(args):
                findings.extend(_judge_read_files(name, _sed_read_files(script), ctx))
    elif name in ("awk", "gawk", "mawk", "nawk"):
        program = pattern_operand(name, args)
        if program is not None and _AWK_RUNS.search(program):
            findings.append(deny(f"the awk program {short(program, 40)!r} runs commands"))
        if program is not None:
            files = [m.group(1) for m in _AWK_GETLINE_FILE.finditer(program)]
            findings.extend(_judge_read_files(name, files, ctx))
            for target in _awk_write_targets(program):
                findings.extend(judge_write_target(target, f"{name} print > {target}"))
    elif name in ("less", "more", "man") and any(
        a.startswith("+") and ("!" in a or "|" in a) for a in args
    ):
        findings.append(deny(f"{name} +COMMAND runs a shell command"))
    elif name in tables().shells:
        findings.extend(_shell_findings(words, ctx))
    elif name == "cmd":
        findings.extend(_cmd_findings(words, ctx))
    elif name == "go":
        # go test -exec 'sudo -E', go build -toolexec 'sh -c …': a program run for each
        # test binary or compiler step.
        for value in option_values(_unquoted_once(words[1:]), ("-exec", "-toolexec")):
            findings.append(walker.classify_text(value, ctx.deeper()))
            findings.append(approve(f"go runs {short(value, 40)!r} for each binary or tool"))
    elif name in ("npm", "pnpm", "yarn") and args[:2] in (["pkg", "set"], ["set-script"]):
        # npm pkg set scripts.postinstall='…': a lifecycle script runs at every install.
        for arg in _unquoted_once(words[3:]):
            key, _, value = arg.partition("=")
            if key.startswith("scripts.") and value:
                findings.append(walker.classify_text(value, ctx.deeper()))
                findings.append(approve(f"sets the {key[8:]!r} script: runs at npm's will"))
    elif name == "ansible":
        # ansible HOSTS -m shell -a 'CMD': CMD runs on every host.
        module = next(iter(option_values(args, ("-m", "--module-name"))), "")
        if module.rsplit(".", 1)[-1] in ("shell", "command", "raw", "script"):
            for value in option_values(_unquoted_once(words[1:]), ("-a", "--args")):
                findings.append(walker.classify_text(value, ctx.deeper()))
    elif name == "osascript":
        findings.extend(_applescript_findings(inline_code(name, words) or "", ctx))
    elif name in ("make", "gmake", "bmake"):
        # make runs every recipe with $(SHELL): `make SHELL='sh -c "curl … | sh"'` runs that.
        for arg in _unquoted_once(words[1:]):
            variable, _, value = arg.partition("=")
            if variable in ("SHELL", "MAKESHELL", ".SHELLFLAGS") and value:
                findings.append(walker.classify_text(value, ctx.deeper()))
                findings.append(approve(f"make {short(arg, 40)!r} replaces the recipe shell"))
    else:
        code = inline_code(name, words)
        if code is not None:
            findings.extend(code_findings(code, ctx))
            findings = _read_only_inline(name, words, findings, ctx)
    return findings


def _carried_findings(name: str, words: list[Word], ctx: Ctx) -> list[Finding]:
    """``script -qc CMD``, ``git submodule foreach CMD``, ``git bisect run CMD…``: a command
    another program runs (``[carried_commands]``), judged as itself; the program needs a
    human whatever the command is."""
    args = [word.text for word in words[1:]]
    found = _carried_entry(name, args)
    if found is None:
        return []
    key, spec, after = found
    raw = _unquoted_once(words[1:])
    lines = [*option_values(raw, spec.shell_options), *_clustered_values(raw, spec.shell_options)]
    operands = [a for a in args[after:] if not a.startswith("-")]
    findings: list[Finding] = []
    if spec.operands == "argv" and operands:
        first = args.index(operands[0], after)
        findings.extend(commands.judge_argv(words[1 + first :], ctx.deeper()))
    elif spec.operands == "shell" and operands:
        lines.extend([" ".join(operands), *operands] if len(operands) > 1 else operands)
    for line in dict.fromkeys(lines):
        parts = split_words(line)
        if (
            parts
            and command_name(parts[0])[0].lower() in tables().shells
            and all(part.startswith("-") for part in parts[1:])
        ):
            # script -qc /bin/sh /dev/null: a shell nobody gave a command (a shell escape)
            findings.append(deny(f"{key} starts an interactive {parts[0]} (a shell escape)"))
        findings.append(walker.classify_text(line, ctx.deeper()))
    if lines or (spec.operands and operands):
        shown = short(" ".join(lines or operands), 40)
        findings.append(approve(f"{key} runs {shown!r}"))
    return findings


def _carried_entry(name: str, args: list[str]) -> tuple[str, Any, int] | None:
    """The ``[carried_commands]`` entry for this command, longest key first, and the index
    in ``args`` after the key's last word."""
    carried = tables().carried
    start = git_subcommand(args)[1] if name == "git" else 0
    positions = [i for i in range(start, len(args)) if not args[i].startswith("-")][:2]
    for count in (2, 1, 0):
        if count > len(positions):
            continue
        key = " ".join([name, *(args[i] for i in positions[:count])])
        if key in carried:
            return key, carried[key], positions[count - 1] + 1 if count else 0
    return None


def _clustered_values(args: list[str], options: tuple[str, ...]) -> list[str]:
    """``script -qc CMD``: a short option that takes a value, last in a cluster."""
    letters = {o[1] for o in options if len(o) == 2 and o[0] == "-"}
    return [
        args[i + 1]
        for i, arg in enumerate(args[:-1])
        if re.fullmatch(r"-[A-Za-z]{2,}", arg) and arg[-1] in letters
    ]


def _read_only_inline(
    name: str, words: list[Word], findings: list[Finding], ctx: Ctx
) -> list[Finding]:
    """``python3 -c 'import sys; print(sys.version)'``, ``perl -ne 'print if /x/'``, ``node
    -p 'process.version'``: a program the tables show to be read-only is judged by the files it
    opens, not held as code (inline_python.py, inline_perl.py, inline_scripts.py)."""
    if has_deny(findings):
        return findings
    if name == "perl" and perl_filter([word.text for word in words[1:]]):
        return [f for f in findings if not f.reason.startswith("runs inline code")]
    if name in ("pwsh", "powershell"):
        code = inline_code(name, words)
        shell_reads = powershell_reads(code) if code is not None else None
        if shell_reads is None:
            return findings
        kept = [f for f in findings if not f.reason.startswith("runs inline code")]
        for path, contents in shell_reads:
            found = judge_path(f"{name} {path!r}", path, ctx.cwd[0], contents=contents)
            kept.extend([found] if found is not None else [])
        return kept
    script = script_program(name, [word.text for word in words[1:]])
    if script is not None:
        script_files = script_reads(script.language, script.code)
        if script_files is None:
            return findings
        kept = [f for f in findings if not f.reason.startswith("runs inline code")]
        return kept + _judge_read_files(name, list(script_files), ctx)
    if not PYTHON_NAME.fullmatch(name):
        return findings
    program = python_program([word.text for word in words[1:]])
    reads = python_reads(*program) if program is not None else None
    if reads is None:
        return findings
    kept = [f for f in findings if not f.reason.startswith("runs inline code")]
    for path in reads:
        found = judge_path(f"{name} open({path!r})", path, ctx.cwd[0], contents=True)
        kept.extend([found] if found is not None else [])
    return kept


_EXEC_VALUED = frozenset(
    [
        "-u",
        "--user",
        "-e",
        "--env",
        "-w",
        "--workdir",
        "--index",
        "-c",
        "--container",
        "-n",
        "--namespace",
        "--env-file",
        "--context",
    ]
)
_SSH_VALUED = frozenset("bcDEeFIiJLlmOopQRSWw")


def _command_run_elsewhere(name: str, args: list[str]) -> list[str] | None:
    """The command ``docker exec C CMD…``, ``docker compose exec S CMD…``, ``kubectl exec P
    -- CMD…`` or ``ssh HOST CMD…`` runs, or None."""
    if name == "kubectl" and "exec" in args and "--" in args:
        return args[args.index("--") + 1 :] or None
    if name in ("docker", "podman") and args[:1] == ["compose"]:
        name, args = "docker-compose", args[1:]
    if name in ("docker", "podman", "docker-compose") and args[:1] == ["exec"]:
        rest = args[1:]
        index = 0
        while index < len(rest) and rest[index].startswith("-"):
            index += 2 if rest[index] in _EXEC_VALUED else 1
        return rest[index + 1 :] or None  # after the container or service
    if name == "adb" and "shell" in args:
        # adb [-s SERIAL] shell CMD…: a shell on the device runs the words, joined
        rest = args[args.index("shell") + 1 :]
        rest = rest[next((i for i, a in enumerate(rest) if not a.startswith("-")), len(rest)) :]
        return rest or None
    if name == "ssh":
        index = 0
        while index < len(args) and args[index].startswith("-"):
            flag = args[index]
            index += 2 if len(flag) == 2 and flag[1] in _SSH_VALUED else 1
        if index + 1 < len(args):
            return args[index + 1 :]
    return None


def _split_rebase_exec(args: list[str]) -> tuple[list[str], list[str]]:
    """``git rebase`` arguments without their ``--exec CMD`` / ``-x CMD``, and the CMDs."""
    rest: list[str] = []
    commands_run: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("--exec", "-x") and index + 1 < len(args):
            commands_run.append(args[index + 1])
            index += 2
            continue
        if arg.startswith("--exec="):
            commands_run.append(arg.partition("=")[2])
        elif arg.startswith("-x") and len(arg) > 2:
            commands_run.append(arg[2:])
        else:
            rest.append(arg)
        index += 1
    return rest, commands_run


def _program_env_findings(name: str, args: list[str]) -> list[Finding]:
    """jq ``env``/``$ENV``, awk ``ENVIRON``, yq ``env(NAME)``: a read-only tool's program that
    prints the environment prints its secrets, like ``env`` does. One variable of
    ``harmless_variables`` (``ENVIRON["HOME"]``) is fine."""
    data = tables()
    pattern = data.program_env.get(name)
    if pattern is None:
        return []
    program = pattern_operand(name, args)
    if program is None:
        return []
    for match in pattern.finditer(program):
        variable = match.groupdict().get("name")
        if variable is None or variable not in data.harmless_variables:
            what = short(match.group(0), 40)
            return [deny(f"the {name} program reads the environment ({what!r}): prints secrets")]
    return []


def _program_read_findings(name: str, args: list[str], ctx: Ctx) -> list[Finding]:
    """yq ``load_str("~/.git-credentials")``, jq ``import "x" as $x``: files a tool's program
    reads by itself, judged like its operands; a computed name needs a human."""
    pattern = tables().program_reads.get(name)
    program = pattern_operand(name, args) if pattern is not None else None
    if pattern is None or program is None:
        return []
    paths: list[str] = []
    for match in pattern.finditer(program):
        found = match.groupdict()
        if found.get("path") is None:
            what = short(match.group(0), 40)
            return [approve(f"the {name} program reads a file it computes ({what!r})")]
        path = found["path"]
        # jq finds `import "x"` as x.jq or x.json, `include "x"` as x.jq
        paths.extend([path, f"{path}.json", f"{path}.jq"] if name == "jq" else [path])
    return _judge_read_files(name, paths, ctx)


# A quoted string of SQL: any of them may name a file duckdb reads (FROM 'x.csv',
# read_text('.env')).
_SQL_STRING = re.compile(r"'((?:[^']|'')*)'")


def _duckdb_read_findings(args: list[str], ctx: Ctx) -> list[Finding]:
    """duckdb reads the files its query names, whatever function names them, and its
    database file: each is judged like an operand (a secret is denied)."""
    database, queries, _problem = duckdb_queries(args)
    paths = [database] if database not in (None, ":memory:") else []
    for sql in queries:
        paths.extend(m.group(1).replace("''", "'") for m in _SQL_STRING.finditer(sql))
    return _judge_read_files("duckdb", [p for p in paths if p], ctx)


def _sql_shell_findings(name: str, args: list[str], ctx: Ctx) -> list[Finding]:
    """``sqlite3 x.db '.shell rm -rf ~'``: the shells' dot-commands run a command, judged as
    itself; ``.import FILE``, ``.read FILE``, ``.open FILE`` read the file they name."""
    findings: list[Finding] = []
    for arg in args:
        for statement in arg.split(";"):
            match = re.match(r"\s*\.(?:shell|system)\s+(.*)", statement, re.DOTALL)
            if match:
                findings.append(walker.classify_text(match.group(1), ctx.deeper()))
                findings.append(approve(f"{name} runs {short(match.group(1), 40)!r}"))
            read = re.match(r"\s*\.(?:import|read|open|restore)\s+(?:-\S+\s+)*(\S+)", statement)
            if read:
                findings.extend(_judge_read_files(name, [read.group(1).strip("'\"")], ctx))
    return findings


def _exec_option(name: str, args: list[str]) -> str | None:
    options = tables().exec_options.get(name, ())
    if name == "git" and "grep" in args:
        options = (*options, "-O", "--open-files-in-pager")
    for index, arg in enumerate(args):
        if arg == "--" and name != "find":
            return None
        for option in options:
            value = _exec_option_value(arg, option, name)
            if value is None:
                continue
            if value == "" and index + 1 < len(args):
                value = args[index + 1]  # the program in the next word: man -P cat
            if not _harmless_program(name, option, value):
                return arg
    return None


def _exec_option_value(arg: str, option: str, name: str) -> str | None:
    """The value ``arg`` gives program option ``option`` ("" when it is in the next word),
    or None when ``arg`` is not that option."""
    if arg == option or _abbreviates(arg, option):
        return "" if "=" not in arg else arg.partition("=")[2]
    if option.endswith("=") and arg.startswith(option):
        return arg[len(option) :]
    if option.startswith("--") and arg.startswith(option + "="):
        return arg.partition("=")[2]
    if len(option) == 2 and option.startswith("-") and arg.startswith(option):
        if not arg.startswith("--") and name not in ("find",):
            return arg[2:]
    if option.startswith("+") and arg.startswith(option):
        return arg
    return None


def _harmless_program(name: str, option: str, value: str) -> bool:
    """``man -P cat``, ``tar -I zstd``: a program option naming a program that only prints
    or (de)compresses what it is given (``[exec_option_programs]``); ``ssh -o
    ConnectTimeout=3``: an ssh option that runs nothing (ProxyCommand would)."""
    if name in ("ssh", "scp", "sftp") and option == "-o":
        return ssh_option_runs_nothing(value)
    allowed = tables().exec_option_programs.get(f"{name} {option}", frozenset())
    return " ".join(value.split()) in allowed


def _abbreviates(arg: str, option: str) -> bool:
    """``--upl=…`` is ``--upload-pack=…``: getopt_long and git's parse-options take any
    unambiguous prefix of a long option (three letters or more here, ambiguous or not)."""
    if not (option.startswith("--") and arg.startswith("--")):
        return False
    name = arg[2:].partition("=")[0]
    return len(name) >= 3 and option[2:].rstrip("=").startswith(name)


def _git_config_findings(args: list[str]) -> list[Finding]:
    """``git -c KEY=VALUE``, ``git config KEY VALUE``: keys that run programs are denied."""
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
        elif arg in ("-C", "--git-dir", "--work-tree", "--namespace"):
            index += 1
        index += 1
        if value is not None:
            key, _, setting = value.partition("=")
            findings.extend(_git_key_findings(key, setting, f"git -c {key}"))
    if args[index : index + 1] in (["clone"], ["submodule"]):
        # git clone -c core.fsmonitor=… URL: the new repository's configuration, used at once
        for value in option_values(args[index + 1 :], ("-c", "--config")):
            key, _, setting = value.partition("=")
            findings.extend(_git_key_findings(key, setting, f"git {args[index]} -c {key}"))
    if args[index : index + 1] == ["config"]:
        assigned = _git_config_setting(args[index + 1 :])
        if assigned is not None:
            key, value = assigned
            findings.extend(_git_key_findings(key, value, f"git config {key}"))
    return findings


def _git_config_setting(args: list[str]) -> tuple[str, str] | None:
    """(key, value) that ``git config ... KEY VALUE`` sets, or None when it only reads."""
    operands: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-f", "--file", "--blob", "--type", "--default", "--comment"):
            index += 1
        elif not arg.startswith("-"):
            operands.append(arg)
    if operands[:1] == ["set"]:
        operands = operands[1:]
    if len(operands) >= 2 and "." in operands[0]:
        return operands[0], operands[1]
    return None


def _git_key_findings(key: str, setting: str, shown: str) -> list[Finding]:
    lowered = key.lower()
    harmless = tables().exec_option_programs.get(f"git -c {lowered}", frozenset())
    if " ".join(setting.split()) in harmless:
        return []  # git -c core.pager=cat, core.fsmonitor=false
    if lowered == "core.sshcommand" and harmless_ssh_command(setting):
        return [approve(f"{shown}: ssh with a chosen key")]  # a key, no program
    if any(fnmatchcase(lowered, pattern) for pattern in tables().git_redirect_config):
        return [deny(f"{shown}=...: sends git's requests elsewhere or runs a browser")]
    off = setting.strip("'\"").lower() in ("false", "no", "off", "0", "warn", "ignore")
    if off and any(fnmatchcase(lowered, p) for p in tables().git_protection_config):
        return [deny(f"{shown}={setting}: switches one of git's protections off")]
    for pattern in tables().git_exec_config:
        if fnmatchcase(lowered, pattern):
            if pattern == "alias.*" and not setting.startswith("!"):
                return [approve(f"{shown}: an alias changes what git runs")]
            return [deny(f"{shown}=... makes git run a program")]
    return []


# print > "FILE" / print >> (ENVIRON["HOME"] "/.bashrc"): the files an awk program writes,
# where they are literal (a home-relative one spelt through ENVIRON["HOME"] is ~/...).
_AWK_WRITE = re.compile(
    r"\bprintf?\b[^;{}]*?>>?\s*\(?\s*(?:ENVIRON\[\s*\"HOME\"\s*\]\s*)?\"([^\"]+)\""
)


def _awk_write_targets(program: str) -> list[str]:
    targets: list[str] = []
    for match in _AWK_WRITE.finditer(program):
        path = match.group(1)
        if "ENVIRON" in match.group(0):
            path = "~/" + path.lstrip("/")
        targets.append(path)
    return targets


def _find_exec_findings(words: list[Word], ctx: Ctx) -> list[Finding]:
    """``find -exec CMD ;``: CMD is judged as itself and needs a human at least (it runs on
    files nobody listed); ``-fprint FILE`` writes FILE, judged like ``> FILE``."""
    findings: list[Finding] = []
    for at, word in enumerate(words[:-1]):
        if word.text in ("-fprint", "-fprint0", "-fprintf", "-fls"):
            target = words[at + 1].text
            findings.extend(judge_write_target(target, f"find {word.text} {target}"))
    index = 1
    while index < len(words):
        action = words[index].text
        if action not in ("-exec", "-execdir", "-ok", "-okdir"):
            index += 1
            continue
        end = index + 1
        while end < len(words) and words[end].text not in (";", "+"):
            end += 1
        inner = words[index + 1 : end]
        if inner:
            findings.extend(commands.judge_argv(inner, ctx.deeper()))
            findings.extend(_find_exec_action(words, action, inner, ctx))
        index = end + 1
    return findings


def _find_exec_action(words: list[Word], action: str, inner: list[Word], ctx: Ctx) -> list[Finding]:
    """What running ``inner`` on every file the find selects adds to its own verdict."""
    shown = short(" ".join(w.text for w in inner), 40)
    program = command_name(inner[0].text)[0].lower()
    findings = [approve(f"find {action} runs {shown!r} on every file it finds")]
    data = tables()
    if program in data.shells:
        if all(w.text in ("-i", "-l", "-p") for w in inner[1:]):
            # find . -exec /bin/sh \; -quit: an interactive shell (a shell escape, GTFOBins)
            findings.append(deny(f"find {action} starts an interactive shell ({shown!r})"))
        if any("{}" in w.text and w.text != "{}" for w in inner[1:]):
            # sh -c 'cat {}': each file's NAME becomes shell code ("$(rm -rf ~).log" runs);
            # sh -c '…"$1"' _ {} passes it as data, and the script is judged by what it runs.
            findings.append(deny(f"find {action} {shown!r} puts file names into shell code"))
        return findings
    consumer = [program, *(w.text for w in inner[1:] if w.text != "{}")]
    names = find_names([w.text for w in words[1:]], ctx.cwd[0])
    plain = program not in data.interpreters and not PYTHON_NAME.fullmatch(program)
    if plain and action in ("-exec", "-execdir") and unlisted_files_harmless(names, consumer):
        return []  # find . -name '*.go' -exec grep -l TODO {} +: the repository's own files
    if program in data.name_only:
        return findings  # -exec ls -la {}: names only
    aimed = _find_aims_at_secret(words)
    if aimed is not None:
        findings.append(deny(f"find {action} {shown!r} acts on {aimed}"))
    named = any(word.text in _FIND_NAME_TESTS for word in words)
    for start in _find_starts(words) or [Word(".", ".")]:
        # find ~/.ssh -exec cat {} +: the command reads what the start holds; from the
        # repository's root with no name test, .env and keys are among them.
        place = join_cwd(ctx.cwd[0], start.text)
        secret = secret_reason(place or start.text)
        if secret is None and place is not None:
            secret = holds_secrets(place)
            if secret is None and place in ("", ".") and not named:
                secret = "every file under the repository root (.env, keys)"
        if secret is not None:
            findings.append(deny(f"find {action} {shown!r} reads {secret}"))
    return findings


def _find_starts(words: list[Word]) -> list[Word]:
    """The start points of ``find [options] START... EXPRESSION``."""
    starts: list[Word] = []
    for word in words[1:]:
        if word.text.startswith(("-", "(", "!", ")")) and word.text not in ("-", "--"):
            if starts or word.text not in ("-H", "-L", "-P"):
                break
            continue
        starts.append(word)
    return starts


_FIND_NAME_TESTS = frozenset(["-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename"])


def _find_aims_at_secret(words: list[Word]) -> str | None:
    """What secret a find's name tests select (``-name '*.pem'``, ``-name .env``), or None."""
    for at, word in enumerate(words[:-1]):
        if word.text in _FIND_NAME_TESTS:
            pattern = words[at + 1].text
            name = pattern.rstrip("/").rpartition("/")[2]
            reason = secret_reason(name) or secret_reason(pattern) or glob_aimed_at_secret(name)
            if reason is not None:
                return reason
    return None


def _sed_findings(args: list[str]) -> list[Finding]:
    """GNU sed's ``e`` command and ``s///e`` flag run programs (denied); ``w FILE``, ``W FILE``
    and ``s///w FILE`` write FILE, judged like a redirection to it."""
    if "--sandbox" in args:
        return []
    findings: list[Finding] = []
    for script in _sed_scripts(args):
        problem = _sed_script_problem(script)
        if problem is None:
            continue
        if isinstance(problem, tuple):
            target = problem[1]
            findings.extend(judge_write_target(target, f"sed w {target}"))
            continue
        return [deny(f"sed script {short(script, 40)!r} {problem}")]
    if any(
        a == "--in-place" or a.startswith("--in-place=") or re.fullmatch(r"-[a-zA-Z]*i\S*", a)
        for a in args
    ):
        # sed -i rewrites its files: judged like a redirection into each (a start-up file, a
        # system log, .git/hooks)
        for target in _sed_files(args):
            findings.extend(
                f for f in judge_write_target(target, f"sed -i {target}") if f.decision == "deny"
            )
    return findings


def _sed_files(args: list[str]) -> list[str]:
    """The files sed reads (and, with -i, rewrites): the operands after its script."""
    files: list[str] = []
    explicit = any(a in ("-e", "--expression", "-f", "--file") for a in args)
    index = 0
    script_seen = explicit
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-e", "--expression", "-f", "--file", "-l", "--line-length"):
            index += 1
        elif arg.startswith("-") and arg != "-":
            continue
        elif not script_seen:
            script_seen = True
        else:
            files.append(arg)
    return files


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


# awk `getline < "FILE"` / `getline line < "FILE"`: the program reads that file.
_AWK_GETLINE_FILE = re.compile(r"getline\b[^<;{}]*<\s*\"([^\"]+)\"")


def _judge_read_files(name: str, files: list[str], ctx: Ctx) -> list[Finding]:
    """Files a program reads by itself (sed ``r FILE``, awk ``getline < FILE``), judged like
    operands: a secret is denied, a file outside the repository needs a human."""
    findings: list[Finding] = []
    for path in files[:16]:
        found = judge_path(
            f"{name} reads {path}", path, ctx.cwd[0], contents=True, extra=ctx.rules.sensitive
        )
        if found is not None:
            findings.append(found)
    return findings


def _sed_read_files(script: str) -> list[str]:
    """The files a sed script's ``r FILE`` / ``R FILE`` commands read."""
    files: list[str] = []
    # GNU sed reads the file name to the end of the line; `;`, `{` and `}` are split on too,
    # so `1{r .env` + `}` and `p;r .env` are seen (a name holding `;` is cut short, and judged).
    for command in re.split(r"[;\n{}]", script):
        body = command.strip()
        for _ in range(2):
            body = _SED_ADDRESS.sub("", body, count=1).lstrip()
            if body.startswith(","):
                body = body[1:]
        body = body.lstrip("!").lstrip()
        if len(body) > 1 and body[0] in "rR":
            files.append(body[1:].strip())
    return files


_SED_ADDRESS = re.compile(r"^\s*(\d+|\$|/(?:[^/\\]|\\.)*/[IM]*|\\(.)(?:(?!\2).)*\2)?")


def _sed_script_problem(script: str) -> str | tuple[str, str] | None:
    """Why a sed script is denied, or ("writes", FILE) for a file it writes, or None."""
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
            return ("writes", body[1:].strip())
        if letter == "s" and len(body) > 1:
            flags = _sed_s_flags(body)
            if "e" in flags:
                return "runs the replacement as a command (s///e)"
            if "w" in flags:
                return ("writes", _sed_s_write_target(body))
    return None


def _sed_s_write_target(body: str) -> str:
    """The file of ``s/a/b/gw FILE``: the rest of the command after the ``w`` flag."""
    match = re.match(r"[a-vx-zA-Z0-9]*w\s*(.*)$", body[_sed_s_end(body) :], re.DOTALL)
    return match.group(1).strip() if match is not None else ""


def _sed_s_end(body: str) -> int:
    """Where the flags of ``s/a/b/FLAGS`` start (len(body) when the command is unfinished)."""
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
    return index if count == 2 else len(body)


def _sed_s_flags(body: str) -> str:
    return re.match(r"[a-zA-Z0-9]*", body[_sed_s_end(body) :]).group(0)  # type: ignore[union-attr]


def _shell_findings(words: list[Word], ctx: Ctx) -> list[Finding]:
    """Findings for ``sh``/``bash``/... invocations (the -c string classified recursively)."""
    args = words[1:]
    if len(args) > 1 and args[0].text == "-n" and not any(w.text.startswith("-") for w in args[1:]):
        return []  # bash -n FILE: parses the script, runs none of it (the file is judged a read)
    if [w.text for w in args] in (["--version"], ["--help"]):
        return []  # bash --version: prints and exits before reading anything
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
        findings.append(walker.classify_text(operands[0].text, ctx.deeper()))
        # Even a read-only string: a second shell re-reads the text with its own quoting and
        # start-up files (BASH_ENV), where this analysis could differ from what it runs.
        findings.append(approve(f"starts {words[0].text} to run {short(operands[0].text)!r}"))
        if _runs_printed_text(operands[0].raw):
            # sh -c "$(git notes show HEAD)": the script is whatever another program prints
            shown = short(operands[0].raw, 40)
            findings.append(deny(f"{words[0].text} -c {shown}: runs as code what a program prints"))
        elif operands[0].dynamic:
            findings.append(approve(f"{words[0].text} -c of computed text"))
    elif operands:
        findings.append(approve(f"runs the script {operands[0].text!r}"))
    else:
        findings.append(approve(f"{words[0].text} reads commands from its input"))
    return findings


def _runs_printed_text(raw: str) -> bool:
    """``"$(git notes show HEAD)"``: a shell's whole script is what a program prints (a
    file's text as it is, ``"$(cat scripts/ci.sh)"``, is running that script)."""
    whole = re.fullmatch(r"\"?(?:\$\((.*)\)|`(.*)`)\"?", raw, re.S)
    if whole is None:
        return False
    inner = (whole.group(1) or whole.group(2) or "").strip()
    return re.fullmatch(r"cat\s+[\w./-]+(?:\s+[\w./-]+)*", inner) is None


def _unquoted_once(words: list[Word]) -> list[str]:
    """The words as written, with one layer of quotes removed: the quotes inside a value
    (`-toolexec='sh -c "curl … | sh"'`) belong to the shell the value is handed to."""
    out: list[str] = []
    for word in words:
        unquoted = split_words(word.raw)
        out.append(unquoted[0] if len(unquoted) == 1 else word.text)
    return out


def option_values(args: list[str], options: tuple[str, ...]) -> list[str]:
    """The values ``args`` give ``options``: ``-o V``, ``-o=V``, ``--opt=V``, and a short
    option's attached value ``-oV``."""
    values: list[str] = []
    for index, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if name in options and equals:
            values.append(value)
        elif arg in options:
            if index + 1 < len(args):
                values.append(args[index + 1])
        elif len(arg) > 2 and arg[:2] in options and not arg.startswith("--"):
            values.append(arg[2:])
    return values


_APPLESCRIPT_SHELL = re.compile(r'(?i)\bdo\s+(?:shell\s+)?script\s+"((?:[^"\\]|\\.)*)"')
_APPLESCRIPT_DENY = re.compile(
    r"(?i)\blogin\s+item\b|\bhidden\s+answer\b|\badministrator\s+privileges\b"
    # typing into other applications, and script run inside a browser's page (its cookies)
    r"|\bkeystroke\b|\bkey\s+code\b|\bdo\s+javascript\b|\bexecute\b.*\bjavascript\b"
)


def _applescript_findings(code: str, ctx: Ctx) -> list[Finding]:
    """AppleScript that runs shell text (judged as such), adds a login item (persistence),
    asks for a password in a fake dialog, or runs with administrator privileges."""
    findings: list[Finding] = []
    for match in list(_APPLESCRIPT_SHELL.finditer(code))[:8]:
        findings.append(walker.classify_text(match.group(1), ctx.deeper()))
    bad = _APPLESCRIPT_DENY.search(code)
    if bad is not None:
        findings.append(
            deny(
                f"AppleScript {bad.group(0)!r}: persistence, a password prompt, root, keystrokes "
                "typed into other applications or script run in a browser's page"
            )
        )
    return findings


_CMD_VARIABLE = re.compile(r"%(\w+)%")


def _cmd_findings(words: list[Word], ctx: Ctx) -> list[Finding]:
    """``cmd /c TEXT``: Windows' shell runs the rest of the line; it is judged like ``sh -c``
    (``del``, ``rd /s``, ``format``, ``vssadmin`` are deny rules of their own)."""
    args = [word.text for word in words[1:]]
    for index, arg in enumerate(args):
        if arg.lower() in ("/c", "/k", "/r", "//c", "//k", "//r"):  # //c: Git Bash's spelling
            text = " ".join(args[index + 1 :])
            secret = next(
                (n for n in _CMD_VARIABLE.findall(text) if tables().secret_variable.search(n)), None
            )
            if secret is not None:
                return [deny(f"cmd expands the secret variable %{secret}%")]
            return [
                walker.classify_text(text, ctx.deeper()),
                approve(f"starts cmd to run {short(text)!r}"),
            ]
    return [approve("cmd reads commands from its input")]


def inline_code(name: str, words: list[Word]) -> str | None:
    """The inline program of ``python -c CODE``, ``perl -e CODE``..., if any."""
    key = "python" if PYTHON_NAME.fullmatch(name) else name
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


def code_findings(code: str, ctx: Ctx) -> list[Finding]:
    data = tables()
    snippet = short(code, 40)
    findings: list[Finding] = [approve(f"runs inline code {snippet!r}")]
    deletes = _CODE_DELETES.search(code)
    if deletes:
        findings.append(deny(f"inline code deletes files ({deletes.group(0)!r})"))
    if _CODE_FORK_BOMB.search(code):
        findings.append(deny("inline code forks without end: a fork bomb"))
    if _CODE_REVERSE_SHELL.search(code):
        findings.append(deny("inline code opens a socket and runs a shell: a reverse shell"))
    if data.code_env_dump.search(code):
        findings.append(deny("inline code prints the whole environment (secrets)"))
    started = data.code_shell.search(code)
    if started:
        what = short(started.group(0), 40)
        findings.append(deny(f"inline code starts an interactive shell ({what!r}): a shell escape"))
    secret_name = next((n for n in _ENV_NAME.findall(code) if data.secret_variable.search(n)), None)
    if secret_name is not None:
        findings.append(deny(f"inline code reads the secret variable {secret_name}"))
    outside = _RUNS_OUTSIDE.search(code)
    if outside:
        findings.append(
            deny(f"inline code runs a script from outside the repository ({outside.group(0)!r})")
        )
    decode = data.code_decode.search(code)
    if decode and data.code_exec.search(code):
        findings.append(deny(f"inline code decodes or downloads ({decode.group(0)!r}) and runs it"))
    for match in list(_CODE_SHELL_STRING.finditer(code))[:8]:
        findings.append(walker.classify_text(match.group(2), ctx.deeper()))
    for match in list(_CODE_BACKTICKS.finditer(code))[:8]:
        # perl's and ruby's `cmd`, php's shell_exec operator: a shell runs the text
        findings.append(walker.classify_text(match.group(1), ctx.deeper()))
        findings.append(approve(f"inline code runs {short(match.group(1), 30)!r} in a shell"))
    if _CODE_WRITES.search(code):
        homed = re.search(r"(?i)home|expanduser|~", code) is not None
        for literal in list(_CODE_STRING.finditer(code))[:32]:
            path = literal.group(2).replace("$HOME", "~")
            # homedir() + "/.zshrc", os.path.expanduser("~") + "/.bashrc": a file at home
            paths = [path, "~" + path] if homed and path.startswith("/.") else [path]
            target = next((t for p in paths if has_deny(t := judge_write_target(p, p))), [])
            if target:
                findings.append(deny(f"inline code writes {path!r}: {target[0].reason}"))
                break
    if _CODE_RUNS_PROGRAM.search(code):
        privileged = next(
            (m.group(2) for m in _CODE_STRING.finditer(code) if m.group(2) in _PRIVILEGED), None
        )
        if privileged is not None:
            findings.append(deny(f"inline code runs {privileged!r}: another user's privileges"))
        if re.search(r"['\"]credential['\"]\s*,\s*['\"](?:fill|get)['\"]", code):
            findings.append(deny("inline code asks git's credential helper for a password"))
    # open(".env"), File.read("~/.pgpass"): a secret named in the code is read by it.
    for literal in list(_CODE_STRING.finditer(code))[:32]:
        path = literal.group(2)
        if path and secret_reason(join_cwd(ctx.cwd[0], path) or path):
            findings.append(
                deny(f"inline code names {path!r}: {secret_reason(path) or 'a secret'}")
            )
            break
    return findings


_RUNS_OUTSIDE = re.compile(
    r"(?:runpy\.run_path|exec\s*\(\s*open|load|require|dofile|source)\s*\(?\s*['\"](?:/tmp|/dev/shm|/var/tmp|~)/"
)
_ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")  # GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY
_CODE_BACKTICKS = re.compile(r"`([^`]{1,500})`")
# Code that writes a file: a write call, an append or write mode, a redirection inside a string.
_CODE_WRITES = re.compile(
    r"(?i)write|append|\bputs\b|open\s*\([^)]*['\"][wa]\+?b?['\"]|>>|\bprint\s+\w+\s+['\"]"
)
_CODE_RUNS_PROGRAM = re.compile(
    r"(?i)exec\w*|spawn\w*|system|popen|subprocess|child_process|Process\.Start|Runtime"
)
_PRIVILEGED = frozenset(["sudo", "su", "doas", "pkexec", "runas", "/usr/bin/sudo", "/bin/su"])
_CODE_STRING = re.compile(r"(['\"])([^'\"\s]{1,200})\1")


def reads_code_from_stdin(argv: list[Word]) -> bool:
    """Whether the (unwrapped) command executes what it reads on stdin."""
    if not argv or argv[0].dynamic:
        return False
    name = command_name(argv[0].text)[0].lower()
    args = [word.text for word in argv[1:]]
    if name in tables().shells:
        if args[:1] in (["--version"], ["--help"]):
            return False
        operands = [arg for arg in args if not arg.startswith(("-", "+"))]
        has_c = any(a.startswith("-") and not a.startswith("--") and "c" in a for a in args)
        return "-s" in args or (not operands and not has_c) or operands[:1] == ["-"]
    if PYTHON_NAME.fullmatch(name) or name in tables().interpreters:
        return (
            not args
            or args == ["-"]
            or all(arg.startswith("-") for arg in args)
            and (inline_code(name, argv) is None)
        )
    if name in ("source", "."):
        return args[:1] in (["/dev/stdin"], ["-"])
    # `cmake -P /dev/stdin <<< '…'`, `awk -f /dev/stdin`: a script read from the input
    # (`cat /dev/stdin` only prints it)
    if name not in _SCRIPT_READERS:
        return False
    return any(arg in ("/dev/stdin", "/dev/fd/0", "/proc/self/fd/0") for arg in args)


# Programs that run a script file they are given (besides shells and interpreters).
_SCRIPT_READERS = frozenset(
    ["cmake", "tclsh", "wish", "gnuplot", "awk", "gawk", "mawk", "nawk", "sed", "jq", "make"]
    + ["gmake", "octave", "sqlite3", "psql", "mysql", "dc", "bc", "expect", "m4"]
)


def is_decoder(argv: list[Word]) -> bool:
    """Whether a stage turns opaque text into other text (``base64 -d``, ``xxd -r``)."""
    words = commands.unwrap_quietly(argv)
    if not words:
        return False
    name = command_name(words[0].text)[0].lower()
    data = tables()
    if name in ("echo", "printf"):
        # printf '\x72\x6d' and echo -e '\162\155' decode escapes.
        return any(
            re.search(r"\\(x[0-9a-fA-F]{2}|[0-7]{3}|u[0-9a-fA-F]{4})", w.text) for w in words
        )
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
