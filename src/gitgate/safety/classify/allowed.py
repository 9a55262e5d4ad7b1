"""Read-only commands: is this use of an allowed tool really read-only and bounded?

Each validator gets the arguments (quotes removed) and returns why the command is *not* a
read-only diagnostic, or None. Simple tools are described in ``data/commands.toml``
(``[allow.*]``) and judged by :func:`validate_spec`; tools with subcommands and their own
option grammars (git, docker, kubectl, grep, find...) have code here, reading their
subcommand tables from the same data file. Files the tools read are judged elsewhere
(:mod:`gitgate.safety.classify.paths`); deny rules and options that run programs too
(:mod:`gitgate.safety.classify.walker`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from functools import cache
from urllib.parse import urlsplit

from gitgate.safety.classify.inline_perl import perl_filter
from gitgate.safety.classify.inline_powershell import validate_powershell
from gitgate.safety.classify.inline_python import python_program, python_reads
from gitgate.safety.classify.inline_scripts import script_program, script_reads
from gitgate.safety.classify.paths import locate
from gitgate.safety.classify.sqlclients import validate_mongosh, validate_sql_client
from gitgate.safety.classify.tables import AllowSpec, tables

Validator = Callable[[list[str], "str | None"], "str | None"]


def short_flags(text: str, allowed: str) -> bool:
    """Whether ``text`` is a cluster of short flags (``-tlnp``) all in ``allowed``."""
    return bool(re.fullmatch(r"-[A-Za-z0-9]+", text)) and all(c in allowed for c in text[1:])


def first_operand(args: list[str]) -> str | None:
    """The first argument that is not an option."""
    return next((arg for arg in args if not arg.startswith("-")), None)


def _option_hit(arg: str, table: dict[str, str] | frozenset[str]) -> str | None:
    """The key of ``table`` that option ``arg`` uses (``-o``, ``-oFILE``, ``--out=X``, and a
    letter inside a cluster of short flags: ``-ro`` is ``-r -o``)."""
    cluster = re.fullmatch(r"-[A-Za-z]{2,}", arg) is not None
    for key in table:
        if cluster and len(key) == 2 and key.startswith("-") and key[1] in arg[1:]:
            return key
        if arg == key or (key.endswith("=") and arg.startswith(key)):
            return key
        if key.startswith("-") and len(key) > 2 and arg.startswith(key + "="):
            return key  # --output=x, and Go's single-dash -func=x
        if len(key) == 2 and key.startswith("-") and not arg.startswith("--"):
            if arg.startswith(key) and len(arg) > 2:
                return key
    return None


def subcommand_matches(entries: frozenset[str], args: list[str]) -> bool:
    """Whether ``args`` start with one of ``entries``: a word (``list``) or words
    (``metrics show``, ``-l *``). A last word ``$`` means nothing may follow (``npm run``
    lists the scripts, ``npm run build`` runs one); ``*`` means only operands may follow,
    no option (``php -l FILE...``: ``php -l -d auto_prepend_file=x`` would load code)."""
    for entry in entries:
        words = entry.split()
        tail = words[-1] if words[-1] in ("$", "*") and len(words) > 1 else None
        if tail is not None:
            words = words[:-1]
        if args[: len(words)] != words:
            continue
        rest = args[len(words) :]
        if tail == "$" and rest:
            continue
        if tail == "*" and (not rest or any(a.startswith("-") for a in rest)):
            continue
        return True
    return False


def _names_option(arg: str, options: frozenset[str]) -> bool:
    """Whether ``arg`` is one of ``options`` (or gives it a value: ``-func=x``), strictly:
    no cluster guessing, since `requires` grants (``-replace`` is not ``-p``)."""
    return any(arg == key or arg.startswith(key + "=") for key in options)


def validate_spec(spec: AllowSpec, args: list[str]) -> str | None:
    """Judge ``args`` against a data-described read-only tool."""
    if spec.requires and not any(_names_option(a, spec.requires) for a in args):
        # A formatter writes its files unless told only to check (black --check, gofmt -l).
        return f"needs one of {', '.join(sorted(spec.requires))} to be read-only"
    operands: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            operands.extend(args[index:])
            break
        if not arg.startswith("-") or arg == "-" or (spec.operands == "text" and operands):
            operands.append(arg)
            continue
        problem = _option_problem(spec, arg)
        if problem is not None:
            return problem
        if arg in spec.valued:
            index += 1
    if operands and operands[0] in spec.approve_verbs:
        return f"{operands[0]}: {spec.approve_verbs[operands[0]]}"
    if spec.subcommands and not subcommand_matches(spec.subcommands, operands):
        shown = operands[0] if operands else "(nothing)"
        return f"{shown} is not a read-only use"
    if spec.read_verbs and len(operands) > 1 and operands[1] not in spec.read_verbs:
        return f"{operands[1]!r} may change something"
    if spec.numeric_operands and not all(re.fullmatch(r"\d+(\.\d+)?[smhd]?", o) for o in operands):
        return "only a number of seconds is bounded"
    if spec.operands == "none" and operands:
        return f"unexpected argument {operands[0]!r}"
    if spec.operands == "variables":
        # printenv HOME is echo $HOME: only the variables known to be harmless run at once.
        unknown = [o for o in operands if o not in tables().harmless_variables]
        if unknown:
            return f"prints ${unknown[0]}, which may hold a secret"
    if spec.max_operands is not None and len(operands) > spec.max_operands:
        return f"{len(operands)} operands: the last may be written"
    return None


def _option_problem(spec: AllowSpec, arg: str) -> str | None:
    if _option_hit(arg, spec.unbounded_options) or (
        not arg.startswith("--")
        and any(len(o) == 1 and o in arg[1:] for o in spec.unbounded_options)
    ):
        return f"{arg} never ends: it would hang"
    denied = _option_hit(arg, spec.deny_options)
    if denied is not None:
        return f"{arg}: {spec.deny_options[denied]}"
    approved = _option_hit(arg, spec.approve_options)
    if approved is not None:
        return f"{arg}: {spec.approve_options[approved]}"
    if spec.options == "any":
        return None
    if arg in spec.flags or arg in spec.valued or arg.partition("=")[0] in spec.valued:
        return None
    if spec.numeric and re.fullmatch(r"-[0-9]+", arg):
        return None
    if short_flags(arg, spec.letters) if spec.letters else False:
        return None
    if arg[:2] in spec.valued and len(arg) > 2 and not arg.startswith("--"):
        return None
    return f"option {arg!r} is not known to be read-only"


# -- recursion -------------------------------------------------------------------------------


def _recursive_root(operands: list[str], cwd: str | None) -> str | None:
    """Why reading every file under ``operands`` is not fine (the root holds .env), or None."""
    for operand in operands or ["."]:
        place = locate(operand, cwd)
        if place.where == "inside" and place.path in (".", ""):
            return f"reads every file under {operand!r}, the repository root (.env, keys)"
    return None


# -- grep, rg, ag ----------------------------------------------------------------------------

_GREP_VALUED = frozenset("efmABCdD")


def validate_grep(args: list[str], cwd: str | None) -> str | None:
    """grep/egrep/fgrep: recursion into the repository root is not allowed."""
    operands: list[str] = []
    includes: list[str] = []
    recursive = pattern_given = False
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            operands.extend(args[index:])
            break
        if arg.startswith("--"):
            if arg.startswith("--include="):
                includes.append(arg.partition("=")[2])
            elif arg == "--include":
                includes.append(args[index] if index < len(args) else "")
                index += 1
                continue
            if arg in ("--recursive", "--dereference-recursive") or arg.startswith(
                "--directories=recurse"
            ):
                recursive = True
            if arg.startswith("--devices=read"):
                return "grep --devices=read reads device files"
            if arg in ("--regexp", "--file", "--max-count", "--directories", "--devices"):
                pattern_given = pattern_given or arg in ("--regexp", "--file")
                index += 1
            pattern_given = pattern_given or arg.startswith(("--regexp=", "--file="))
            continue
        if arg.startswith("-") and arg != "-":
            for position, letter in enumerate(arg[1:], start=1):
                if letter in "rR":
                    recursive = True
                if letter in _GREP_VALUED:
                    pattern_given = pattern_given or letter in "ef"
                    attached = arg[position + 1 :]
                    value = attached or (args[index] if index < len(args) else "")
                    if letter == "d" and value == "recurse":
                        recursive = True
                    if not attached:
                        index += 1
                    break
            continue
        operands.append(arg)
    files = operands if pattern_given else operands[1:]
    if recursive and not (includes and all(_SOURCE_GLOB.fullmatch(g) for g in includes)):
        if names_only(args):
            return None  # grep -rl X .: which files match, not what they hold
        return _recursive_root(files, cwd)
    return None


def names_only(args: list[str]) -> bool:
    """grep -l / -L / -c / -q: prints names, counts or nothing of the files it reads (not
    with -o or context, which print text again)."""
    flags = "".join(a[1:] for a in args if re.fullmatch(r"-[a-zA-Z]+", a))
    long = {a.partition("=")[0] for a in args if a.startswith("--")}
    names = set(flags) & set("lLcq") or long & {
        "--files-with-matches",
        "--files-without-match",
        "--count",
        "--quiet",
        "--silent",
    }
    return bool(names)


# `grep -r --include='*.py' X .` reads only source files: no credential store of the catalogue
# is named like one (configuration formats, php and sql are left out on purpose).
_SOURCE_GLOB = re.compile(
    r"\*\.(?:py|pyi|js|mjs|cjs|ts|tsx|jsx|go|rs|java|kt|kts|scala|rb|c|h|cc|cpp|hpp|cs|swift"
    r"|md|rst|html|css|scss|vue|svelte|ex|exs|dart|lua)"
)


_RG_HIDDEN = ("--hidden", "--no-ignore", "-u", "-uu", "-uuu", "--unrestricted", "-.", "-L")


def validate_rg(args: list[str], cwd: str | None) -> str | None:
    """ripgrep/ag: recursive, but skip hidden and ignored files unless told otherwise."""
    for arg in args:
        if arg.startswith("--pre"):
            return f"{arg} runs other programs on the files"
        if arg in _RG_HIDDEN or arg.startswith("--no-ignore") or re.fullmatch(r"-[a-zA-Z]*u", arg):
            if names_only(args):
                return None
            operands = [a for a in args if not a.startswith("-")][1:]
            return _recursive_root(operands, cwd)
    return None


# -- find --------------------------------------------------------------------------------------


def validate_find(args: list[str], cwd: str | None) -> str | None:
    """find: actions are judged (denied) by the walker; here only the start points matter."""
    return None


def validate_seq(args: list[str], cwd: str | None = None) -> str | None:
    """seq prints numbers: bounded only if the range is (a million lines at most)."""
    numbers: list[float] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-s", "-f", "--separator", "--format"):
            index += 1
        elif arg in ("-w", "--equal-width") or arg.startswith(("--separator=", "--format=")):
            continue
        else:
            try:
                numbers.append(float(arg))
            except ValueError:
                return f"seq {arg!r} is not a number"
    if not 1 <= len(numbers) <= 3:
        return "seq takes one to three numbers"
    first, step, last = (
        (1.0, 1.0, numbers[0])
        if len(numbers) == 1
        else ((numbers[0], 1.0, numbers[1]) if len(numbers) == 2 else tuple(numbers))
    )
    if step == 0 or abs((last - first) / step) > 1_000_000:
        return "seq prints more than a million lines"
    return None


# -- archives: listing only --------------------------------------------------------------------

# tar options that only list (with -t) or say how to read the archive. Everything else (a
# mode that extracts or writes, an option that runs a program) fails closed.
_TAR_LIST_LETTERS = "tvzjJaf"
_TAR_LIST_LONG = frozenset(
    [
        "--list",
        "--verbose",
        "--gzip",
        "--gunzip",
        "--bzip2",
        "--xz",
        "--lzma",
        "--zstd",
        "--auto-compress",
        "--numeric-owner",
        "--full-time",
        "--utc",
        "--quoting-style=escape",
        "--wildcards",
        "--no-wildcards",
        "--anchored",
        "--no-anchored",
        "--ignore-case",
    ]
)


def validate_tar(args: list[str], cwd: str | None) -> str | None:
    """tar -t: lists an archive. The archive (``-f FILE``) is judged as a file it reads; a
    ``host:file`` archive would make tar run rsh, so a colon fails closed."""
    listing = False
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg.startswith("-I"):
            skip = arg == "-I"  # tar -I zstd: a (de)compressor, judged as a program it runs
            continue
        if arg.startswith("--"):
            name = arg.split("=", 1)[0]
            if name == "--file":
                archive = arg.partition("=")[2] or (
                    args[index + 1] if index + 1 < len(args) else ""
                )
                if ":" in archive:
                    return f"tar archive {archive!r} names a remote host"
                continue
            if name == "--use-compress-program":
                continue  # a harmless (de)compressor, or denied as a program it runs
            if arg not in _TAR_LIST_LONG:
                return f"tar {arg} is not a listing option"
            listing = listing or arg == "--list"
            continue
        letters = arg[1:] if arg.startswith("-") else (arg if index == 0 else "")
        if not letters:
            if (
                ":" in arg
                and index > 0
                and args[index - 1].startswith("-")
                and "f" in args[index - 1]
            ):
                return f"tar archive {arg!r} names a remote host"
            continue  # the archive or a member name: judged as a path elsewhere
        if "x" in letters and "O" in letters:
            letters = letters.replace("x", "t").replace("O", "")  # -xO: to standard output
        if any(c not in _TAR_LIST_LETTERS for c in letters):
            return f"tar -{letters} is not a listing"
        listing = listing or "t" in letters
    return None if listing else "tar without -t (--list) extracts or writes an archive"


def validate_7z(args: list[str], cwd: str | None) -> str | None:
    """7z l: lists an archive."""
    return None if args[:1] == ["l"] else "7z without l extracts or writes"


def validate_jar(args: list[str], cwd: str | None) -> str | None:
    """jar tf FILE: lists an archive (jar's other modes create, extract or run)."""
    if args and re.fullmatch(r"-?t[vf]*", args[0]) and "f" in args[0]:
        return None
    return "jar without tf extracts, creates or runs"


def validate_ssh_keygen(args: list[str], cwd: str | None) -> str | None:
    """ssh-keygen -l[f FILE]: prints a key's fingerprint, nothing of the key."""
    flags = [a for a in args if a.startswith("-")]
    if flags and all(re.fullmatch(r"-[lfvE]+", a) for a in flags) and any("l" in a for a in flags):
        return None
    return "ssh-keygen other than -l (a fingerprint) writes or reads keys"


_UNZIP_LIST = frozenset(["-l", "-v", "-t", "-Z", "-q", "-qq", "-z", "-1", "-lv", "-tq", "-p"])
_UNZIP_LIST |= frozenset(["-Z1", "-Zl", "-Zt", "-Zs", "-Zv", "-Zm", "-Z2"])


def validate_unzip(args: list[str], cwd: str | None) -> str | None:
    """unzip -l / -v / -t / -Z / -p: lists, tests or prints an archive, writes nothing."""
    options = [arg for arg in args if arg.startswith("-")]
    if not any(
        opt in ("-l", "-v", "-t", "-lv", "-tq", "-p") or opt.startswith("-Z") for opt in options
    ):
        return "unzip without -l, -v, -t or -p extracts files"
    bad = next((opt for opt in options if opt not in _UNZIP_LIST), None)
    return None if bad is None else f"unzip {bad} is not a listing option"


# -- jq ----------------------------------------------------------------------------------------


_JQ_CODE_OPTIONS = ("-f", "--from-file", "-L")
# jq filters that may never end, and numbers past a million (`[range(1e10)]`).
_JQ_UNBOUNDED = re.compile(r"\b(?:repeat|while|until|limit\s*\(\s*infinite)\b|\binfinite\b")
_BIG_NUMBER = re.compile(r"\b\d+(?:\.\d+)?[eE]\+?(?:[7-9]|\d\d)\b|\b\d{8,}\b")


def _jq_program(args: list[str]) -> str:
    """The filter of a jq command line: its first operand, past options and their values."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("--arg", "--argjson", "--slurpfile", "--rawfile"):
            index += 3
        elif arg in ("--indent", "--args", "--jsonargs"):
            index += 2 if arg == "--indent" else len(args)
        elif arg.startswith("-") and arg != "-":
            index += 1
        else:
            return arg
    return ""


def validate_jq(args: list[str], cwd: str | None) -> str | None:
    """jq: its options may only read files (judged as operands); a program from a file or
    modules from a directory (-f, -L, import) is code nobody saw; some filters never end."""
    for arg in args:
        if arg in _JQ_CODE_OPTIONS or arg.startswith(("--from-file=", "-L")):
            return f"jq {arg}: runs a program from a file"
    program = _jq_program(args)
    if re.search(r"\b(?:import|include)\s+\"", program):
        return "the jq program loads a module"
    if _JQ_UNBOUNDED.search(program) or _BIG_NUMBER.search(program):
        return "the jq program may never end"
    return None


# -- sed and awk: the walker denies what runs programs or writes; here in-place edits -----------


def validate_sed(args: list[str], cwd: str | None) -> str | None:
    """sed without -i (its e/w commands are denied by the walker)."""
    for arg in args:
        if (
            arg in ("-i", "--in-place")
            or arg.startswith("--in-place=")
            or re.fullmatch(r"-[nEsrzu]*i.*", arg)
        ):
            return "sed -i edits files in place"
        if (
            arg in ("-f", "--file")
            or arg.startswith("--file=")
            or re.fullmatch(r"-[nEsrzu]*f.*", arg)
        ):
            return "sed -f runs a program from a file: its commands (e, w) are not seen here"
    return None


def validate_awk(args: list[str], cwd: str | None) -> str | None:
    """awk: writes in the program need a human (system() and pipes are denied elsewhere)."""
    for arg in args:
        if arg in ("-i", "--include", "-l", "--load", "-E", "--exec") or arg.startswith(
            ("--include=", "--load=", "-i", "-l")
        ):
            return f"awk {arg} loads a library file (code nobody saw)"
    program = _awk_program(args)
    if program is None:
        return "awk without an inline program"
    if re.search(r"\bwhile\b|\bfor\s*\(\s*;\s*;", program) or _BIG_NUMBER.search(program):
        return "the awk program may never end"
    if _AWK_WRITES.search(program) or re.search(r"getline\s*<", program):
        return "the awk program writes or reads files itself"
    return None


# print/printf redirected to a file (print > "out"), not a comparison ($3 > 100).
_AWK_WRITES = re.compile(r"\b(print|printf)\b[^;{}]*?>>?\s*[\"$A-Za-z_(]")


def _awk_program(args: list[str]) -> str | None:
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-F", "-v", "--assign", "--field-separator"):
            index += 2
            continue
        if arg in ("-f", "--file") or arg.startswith("-f"):
            return None
        if arg.startswith("-") and arg != "-":
            index += 1
            continue
        return arg
    return None


# -- date, ps, journalctl, systemctl ------------------------------------------------------------


def validate_date(args: list[str], cwd: str | None) -> str | None:
    """date prints; date -s sets the clock and -f reads a file of dates."""
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg.startswith("+") or arg in ("-u", "--utc", "-R", "--rfc-email", "--universal"):
            continue
        if arg in ("-d", "--date", "-r", "--reference"):
            index += 1  # -r FILE: the file's modification time (the path is judged apart)
            continue
        if arg.startswith(("--date=", "-I", "--iso-8601", "--rfc-3339=", "-d", "--reference=")):
            continue
        return f"date {arg!r} may set the clock or read files"
    return None


_PS_VALUED = "pCgGtqsuU"
_PS_LONG_VALUED = frozenset(["--format", "--sort", "--pid", "--ppid", "--user", "--group", "--tty"])
_PS_LONG_VALUED |= frozenset(["--sid", "--uid", "--gid", "--cols", "--rows", "--width"])
_COMMAND_LINE_COLUMNS = re.compile(r"(?i)(^|[,\s])(args|cmd|command)($|[,\s:=])")


def ps_bsd_words(args: list[str]) -> list[str]:
    """ps's BSD-syntax option words (``aux``), not the values of its options (``-u postgres``)."""
    words: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg.startswith("--"):
            if "=" not in arg and arg in _PS_LONG_VALUED:
                index += 1
        elif arg.startswith("-"):
            for position, letter in enumerate(arg[1:], start=1):
                if letter in _PS_VALUED or letter in "oO":
                    index += 0 if arg[position + 1 :] else 1
                    break
        elif re.fullmatch(r"[A-Za-z]+", arg):
            words.append(arg)
            if "o" in arg or "O" in arg:
                index += 1  # ps axo pid,command: the format
    return words


def ps_shows_command_lines(args: list[str]) -> bool:
    """Whether ps prints processes' whole command lines (which may hold passwords:
    ``mysql -pSECRET``, ``--requirepass``), not just their names.

    BSD syntax (``ps aux``) and full formats (``-f``, ``-F``) print them; so do the
    ``args``/``cmd``/``command`` columns of ``-o``/``-O``/``--format``. The default UNIX
    format (``ps -e``) and ``-o pid,comm`` print names only.
    """
    formats: list[str] = []
    shows = False
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg.startswith("--"):
            option, equals, value = arg.partition("=")
            if option == "--format":
                formats.append(value if equals else (args[index] if index < len(args) else ""))
            if not equals and option in _PS_LONG_VALUED:
                index += 1
            continue
        if arg.startswith("-"):
            letters = arg[1:]
            for position, letter in enumerate(letters):
                if letter in "oO":
                    attached = letters[position + 1 :]
                    if not attached and index < len(args):
                        attached = args[index]
                        index += 1
                    formats.append(attached)
                    break
                if letter in "fF":
                    shows = True
                if letter in _PS_VALUED:  # -u postgres: the next word is not BSD syntax
                    index += 0 if letters[position + 1 :] else 1
                    break
            continue
        if re.fullmatch(r"[A-Za-z]+", arg):  # BSD options: ps aux, ps axo pid,command
            if "o" in arg or "O" in arg:
                formats.append(args[index] if index < len(args) else "")
                index += 1
            elif "c" not in arg:
                shows = True
    return shows or any(_COMMAND_LINE_COLUMNS.search(value) for value in formats)


def validate_ps(args: list[str], cwd: str | None) -> str | None:
    """ps, without BSD ``e`` (prints each process's environment: secrets) and without whole
    command lines (they may hold passwords)."""
    if ps_shows_command_lines(args):
        return "ps prints whole command lines, which may hold passwords"
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-u", "-U", "-p", "-o", "-C", "-g", "-G", "--sort", "-q", "--pid", "--ppid"):
            index += 2
            continue
        if arg.startswith(("--sort=", "--format=", "-o")) or arg in ("--forest", "-H", "-w"):
            index += 1
            continue
        if re.fullmatch(r"-[AaedfFjlLMTwxyHN]+[oOpuUCgG]", arg):  # ps -eo pid,cmd
            index += 2
            continue
        if not arg.startswith("-") and re.fullmatch(r"[auxwfjlvmrsTcgnhHZ]+", arg):
            index += 1
            continue
        if short_flags(arg, "AaedfFjlLMTwxyHN"):
            index += 1
            continue
        return f"unexpected ps argument {arg!r}"
    return None


def validate_journalctl(args: list[str], cwd: str | None) -> str | None:
    """journalctl reading a bounded part of the journal."""
    valued = {"-u", "--unit", "-n", "--lines", "--since", "-S", "--until", "-U", "-p"}
    valued |= {"--priority", "-o", "--output", "-b", "--boot", "-g", "--grep", "-t"}
    valued |= {"--identifier", "--user-unit"}
    flags = {"--no-pager", "-r", "--reverse", "-x", "--catalog", "-k", "--dmesg", "-q"}
    flags |= {"--quiet", "--utc", "--no-hostname", "-a", "--all", "-l", "--full", "-e"}
    flags |= {"--pager-end", "--no-full", "-m", "--merge", "--list-boots", "--disk-usage"}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-f", "--follow") or (short_flags(arg, "frxkqalem") and "f" in arg):
            return "journalctl -f follows forever: it would hang"
        if arg in valued:
            optional = arg in ("-n", "-b")
            if not optional or (index < len(args) and re.fullmatch(r"-?\d+|all", args[index])):
                index += 1
        elif arg.partition("=")[0] in valued or arg in flags:
            continue
        elif arg[:2] in valued and len(arg) > 2 and not arg.startswith("--"):
            continue
        elif short_flags(arg, "rxkqalem"):
            continue
        else:
            return f"journalctl option {arg!r} is not known to be read-only"
    return None


def validate_systemctl(args: list[str], cwd: str | None) -> str | None:
    """systemctl status and listings."""
    read_only = {"status", "is-active", "is-enabled", "is-failed", "list-units", "list-timers"}
    read_only |= {"list-unit-files", "list-sockets"}
    flags = {"--no-pager", "-l", "--full", "-a", "--all", "--plain", "--no-legend", "-q"}
    flags |= {"--quiet", "--user", "--system", "--failed"}
    operand = first_operand(args)
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


# -- docker ------------------------------------------------------------------------------------


def _bounded_logs(args: list[str], what: str) -> str | None:
    """docker/kubectl logs: refuse --follow; docker needs --tail N."""
    has_tail = False
    for index, arg in enumerate(args):
        if arg in ("-f", "--follow") or arg.startswith("--follow="):
            return f"{what} -f follows forever: it would hang"
        if arg in ("--tail", "-n") and index + 1 < len(args) and args[index + 1].isdigit():
            has_tail = True
        if arg.startswith(("--tail=", "-n=")) and arg.partition("=")[2].isdigit():
            has_tail = True
        if arg == "--since" or arg.startswith("--since="):
            has_tail = True  # a time window: bounded like a line count
    return None if has_tail else f"{what} without --tail N prints the whole log"


_DOCKER_READ_ONLY = frozenset(["ps", "images", "version", "info", "top", "port", "diff"])
_DOCKER_LISTS = frozenset(["container", "image", "network", "volume", "context", "node", "service"])


def validate_docker(args: list[str], cwd: str | None) -> str | None:
    """docker: listings, bounded logs, stats without streaming."""
    if not args:
        return "docker without a subcommand"
    if args[0].startswith("-"):
        if args[0] in ("-v", "--version"):
            return None
        return "docker global options (other hosts or contexts) need a human"
    sub, rest = args[0], args[1:]
    if sub in _DOCKER_READ_ONLY:
        return None
    if sub in ("inspect", "container", "image") and _docker_inspect_fields(sub, rest):
        return None  # docker inspect -f '{{.State.Status}}' web
    if sub == "logs":
        return _bounded_logs(rest, "docker logs")
    if sub == "stats":
        return None if "--no-stream" in rest else "docker stats streams forever"
    if sub == "history":
        return None
    if sub == "events":
        return None if any(a.startswith("--until") for a in rest) else "docker events never ends"
    if sub == "compose":
        return validate_compose(rest, cwd)
    if sub in _DOCKER_LISTS and rest[:1] in (["ls"], ["list"]):
        return None
    if sub == "system" and rest[:1] == ["df"]:
        return None
    return f"docker {sub} is not a read-only diagnostic"


def _docker_inspect_fields(sub: str, rest: list[str]) -> bool:
    """``docker inspect --format TEMPLATE``: only named fields that hold no secret (a whole
    inspect prints the environment: passwords, tokens)."""
    if sub != "inspect":
        if rest[:1] != ["inspect"]:
            return False
        rest = rest[1:]
    templates: list[str] = []
    for index, arg in enumerate(rest):
        if arg in ("-f", "--format") and index + 1 < len(rest):
            templates.append(rest[index + 1])
        elif arg.startswith("--format="):
            templates.append(arg.partition("=")[2])
        elif arg.startswith("-f") and len(arg) > 2 and not arg.startswith("--"):
            templates.append(arg[2:])
    return len(templates) == 1 and harmless_template(templates[0])


def validate_tee(args: list[str], cwd: str | None) -> str | None:
    """``… | tee /dev/stderr | …``: a copy to the terminal; any file is a write."""
    sinks = tables().harmless_sinks
    for arg in args:
        if arg in ("-a", "--append", "-i", "--ignore-interrupts", "-p"):
            continue
        if arg not in sinks:
            return f"tee {arg} writes a file"
    return None


# sqlite3 DB SQL: the statements that only read, and the dot-commands that only print.
_SQLITE_READ = re.compile(
    r"(?is)\s*(?:select|explain|with|values)\b|\s*pragma\s+[\w.]+\s*(?:\(\s*[\w'\"]*\s*\))?\s*$"
)
_SQLITE_DOTS = frozenset([".tables", ".schema", ".indexes", ".indices", ".databases"])
_SQLITE_DOTS |= frozenset([".fullschema", ".dump"])  # .dump prints what the file holds
_SQLITE_DOTS |= frozenset([".dbinfo", ".show", ".headers", ".header", ".mode", ".width", ".stats"])
_SQLITE_WRITES = re.compile(
    r"(?i)\b(?:insert|update|delete|replace|drop|create|alter|attach|detach|vacuum|reindex|"
    r"readfile|writefile|edit|load_extension|fts3_tokenizer|zipfile|sqlar_|shell|system)\b"
)
_SQLITE_FLAGS = frozenset(["-readonly", "-header", "-noheader", "-csv", "-json", "-line", "-list"])
_SQLITE_FLAGS |= frozenset(["-column", "-box", "-table", "-markdown", "-bail", "-batch", "-html"])
_SQLITE_FLAGS |= frozenset(["-quote", "-tabs", "-ascii", "-nofollow", "-safe", "--readonly"])


def validate_sqlite3(args: list[str], cwd: str | None) -> str | None:
    """``sqlite3 -readonly app.db 'select count(*) from users'``: a query given on the
    command line runs and exits; without one sqlite3 waits for input."""
    operands: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-separator", "-nullvalue", "-newline"):
            index += 1
        elif arg.startswith("-") and not operands:
            if arg not in _SQLITE_FLAGS:
                return f"sqlite3 {arg} is not known to be read-only"
        else:
            operands.append(arg)
    if len(operands) < 2:
        return "sqlite3 without a query on its command line is interactive: it would hang"
    for sql in operands[1:]:
        if _SQLITE_WRITES.search(sql):
            return f"the query {sql[:40]!r} may change the database or reach files"
        problem = _statements_problem("sqlite3", sql, _SQLITE_READ, assignments=True)
        if problem is not None:
            return problem
    return None


def _statements_problem(
    tool: str, sql: str, reads: re.Pattern[str], *, assignments: bool = False
) -> str | None:
    """Why a statement of ``sql`` (split at ``;``) is not a read-only query or one of the
    dot-commands that only print, or None. ``assignments``: sqlite3's ``PRAGMA x = y`` sets."""
    for statement in filter(None, (part.strip() for part in sql.split(";"))):
        first = statement.split()[0].lower()
        if first.startswith("."):
            if first not in _SQLITE_DOTS:
                return f"{tool} {first} is not a read-only dot-command"
        elif not reads.match(statement) or (assignments and "=" in statement.split()[0:3][-1:]):
            return f"the query {statement[:40]!r} is not a read-only query"
    return None


# duckdb: statements that only read (files named in the query are judged where the walk sees
# them, execs.sql_file_reads), and the options of its command line that only format.
_DUCKDB_READ = re.compile(
    r"(?is)\s*(?:select|with|describe|summarize|show|explain|from|values|table)\b"
    r"|\s*pragma\s+(?:show_tables|show_tables_expanded|table_info|database_list|version"
    r"|storage_info|show)\b"
)
_DUCKDB_DENIED = re.compile(
    r"(?i)\b(?:copy|export|import|install|load|attach|detach|create|insert|update|delete|"
    r"drop|alter|set|reset|call|checkpoint|vacuum|use|getenv|current_setting|secret)\b"
    r"|\b(?:https?|s3|s3a|gs|gcs|az|azure|abfss|hf|r2|ftp)://"
)
_DUCKDB_FLAGS = frozenset(["-readonly", "-json", "-csv", "-box", "-line", "-list", "-markdown"])
_DUCKDB_FLAGS |= frozenset(["-table", "-column", "-html", "-header", "-noheader", "-bail"])
_DUCKDB_FLAGS |= frozenset(["-batch", "-ascii", "-quote", "-jsonlines", "-no-stdin"])


def duckdb_queries(args: list[str]) -> tuple[str | None, list[str], str | None]:
    """(the database file, the SQL texts, why not read-only) of a duckdb command line."""
    database: str | None = None
    queries: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-c", "-cmd", "-s") and index < len(args):
            queries.append(args[index])
            index += 1
        elif arg in ("-separator", "-nullvalue", "-newline"):
            index += 1
        elif arg.startswith("-"):
            if arg not in _DUCKDB_FLAGS:
                return database, queries, f"duckdb {arg} is not known to be read-only"
        elif database is None:
            database = arg
        else:
            queries.append(arg)
    return database, queries, None


def validate_duckdb(args: list[str], cwd: str | None) -> str | None:
    """``duckdb -c "SELECT … FROM 'data/x.parquet'"``: a query on the command line that only
    reads; a database file only with -readonly (duckdb creates or changes it otherwise)."""
    database, queries, problem = duckdb_queries(args)
    if problem is not None:
        return problem
    if not queries:
        return "duckdb without a query on its command line is interactive: it would hang"
    if database is not None and database != ":memory:" and "-readonly" not in args:
        return "duckdb opens the database for writing (without -readonly)"
    for sql in queries:
        if _DUCKDB_DENIED.search(sql):
            return f"the query {sql[:40]!r} may change files, load code or reach the network"
        problem = _statements_problem("duckdb", sql, _DUCKDB_READ)
        if problem is not None:
            return problem
    return None


_COMPOSE_NAME_LISTS = frozenset(
    ["--services", "--volumes", "--images", "--profiles", "--networks", "-q", "--quiet"]
)


# Miller verbs and DSL statements that write files.
_MLR_WRITES = re.compile(r"\b(?:tee|emit[pf]?|print|printn|eprint|dump|split)\s*>|\|\s*\"")


def validate_mlr(args: list[str], cwd: str | None) -> str | None:
    """Miller: a reader, unless a verb (tee, split) or a DSL redirection writes files."""
    if any(a in ("tee", "split", "case") or _MLR_WRITES.search(a) for a in args):
        return "mlr writes files (tee, split or a DSL redirection)"
    return validate_spec(tables().allow["mlr"], args)


def validate_top(args: list[str], cwd: str | None) -> str | None:
    """top -b -n N: one batch snapshot, printed and done (without -b it waits for keys)."""
    flags = "".join(a[1:] for a in args if re.fullmatch(r"-[a-zA-Z0-9]+", a))
    counted = any(re.fullmatch(r"-n\d*|-b?n\d*|-[a-z]*n", a) for a in args)
    if "c" in flags:
        return "top -c prints whole command lines, which may hold passwords"
    if "b" in flags and counted:
        return None
    return "top without -b -n N is interactive: it would hang"


def validate_compose(args: list[str], cwd: str | None) -> str | None:
    """docker compose ps / bounded logs."""
    index = 0
    while index < len(args) and args[index] in ("-f", "--file", "-p", "--project-name"):
        index += 2
    sub, rest = (args[index], args[index + 1 :]) if index < len(args) else ("", [])
    if sub in ("ps", "ls", "images", "version", "top"):
        return None
    if sub == "config" and any(a.startswith(("-o", "--output")) for a in rest):
        return "docker compose config --output writes a file"
    if sub == "config" and any(a in _COMPOSE_NAME_LISTS for a in rest):
        return None  # names of services or volumes; a full config resolves .env (denied)
    if sub == "logs":
        return _bounded_logs(rest, "docker compose logs")
    return f"docker compose {sub or '(nothing)'} is not a read-only diagnostic"


# -- kubectl -----------------------------------------------------------------------------------

_KUBECTL_READ = frozenset(["get", "describe", "logs", "top", "version", "cluster-info"])
_KUBECTL_READ |= frozenset(["api-resources", "api-versions", "explain", "events"])
_KUBECTL_CONFIG_READ = frozenset(["current-context", "get-contexts", "get-clusters", "view"])
_KUBECTL_VALUED = frozenset(["-n", "--namespace", "--context", "--cluster", "--user", "-l"])
_KUBECTL_VALUED |= frozenset(["--selector", "-o", "--output", "-c", "--container", "--tail"])
_KUBECTL_VALUED |= frozenset(["--since", "--sort-by", "--field-selector", "--kubeconfig"])


# Output formats that print whole objects: a pod's env values and a ConfigMap's data hold
# secrets as often as not, so they are for a human to see first.
_KUBECTL_DUMPS = ("yaml", "json", "jsonpath", "go-template", "template", "custom-columns")
_CONFIGMAPS = frozenset(["configmap", "configmaps", "cm"])


def _kubectl_dump(args: list[str], operands: list[str], *, describe: bool) -> str | None:
    kinds = {part.split("/")[0].split(".")[0].lower() for op in operands for part in op.split(",")}
    output = _kubectl_output(args)
    if kinds & {"secret", "secrets"}:
        # describe prints a secret's keys and sizes, get its names and types, never values
        # (get -o yaml/jsonpath does: denied).
        return "kubectl lists or describes secrets: a human should see it first"
    if kinds & _CONFIGMAPS and (describe or output is not None):
        return "kubectl prints ConfigMap data (often secrets): a human should see it first"
    if output is not None and output.split("=")[0].lower() in _KUBECTL_DUMPS:
        template = output.partition("=")[2]
        if not template or not harmless_template(template):
            return f"kubectl -o {output} prints whole objects (env values, data): a human first"
    return None


# Fields of a container, pod or object that hold what an operator hid there: environment
# values, command lines, a ConfigMap's or Secret's data, the last applied manifest.
_TEMPLATE_SECRET_FIELDS = frozenset(
    ["env", "envfrom", "args", "command", "cmd", "entrypoint", "data", "stringdata"]
    + ["binarydata", "annotations", "config", "containerconfig", "hostconfig", "labels"]
    + ["auths", "auth", "token", "password", "secret", "secrets"]
)
# Objects a path may stop at only inside a `range`: stopping there prints the whole object.
_TEMPLATE_OBJECTS = frozenset(["spec", "items", "metadata", "containers", ""])
_TEMPLATE_FIELD = re.compile(r"\.([A-Za-z_][\w-]*)((?:\[[^\]]*\])?)")
_TEMPLATE_BLOCK = re.compile(r"\{\{(.*?)\}\}|\{([^{}]*)\}")


def harmless_template(template: str) -> bool:
    """Whether a Go template or JSONPath prints only named leaf fields that hold no secret
    (``{{.State.Status}}``, ``{.items[*].spec.containers[*].image}``): never a whole object
    (``{{json .}}``, ``{.items}``) nor a field that holds values (env, args, data)."""
    blocks = [a or b for a, b in _TEMPLATE_BLOCK.findall(template)]
    if not blocks or ".." in template:
        return False  # {..value}: JSONPath's recursive descent reaches every env value
    for block in blocks:
        body = block.strip().strip("-").strip()
        if body in ("end", "else") or body[:1] in ('"', "'", "`"):
            continue  # {{end}}, {"\n"}: no field
        ranged = body.startswith("range ")
        body = body.removeprefix("range ")
        paths = re.findall(r"(?:^|[\s(|])((?:\.[\w\[\]*@?=' -]*)+)", body)
        words = [w for w in re.findall(r"[A-Za-z_]+", body) if w not in ("json", "range")]
        if not paths or re.search(r"(?:^|\s)\.(?:\s|$)", body) or "json" in words:
            return False  # `{{.}}`, `{{json .State}}`: a whole object
        last = [m[0] for m in _TEMPLATE_FIELD.findall(paths[-1])][-1:] or [""]
        fields = {m[0].lower() for p in paths for m in _TEMPLATE_FIELD.findall(p)}
        if fields & _TEMPLATE_SECRET_FIELDS:
            return False
        if not ranged and last[0].lower() in _TEMPLATE_OBJECTS:
            return False  # a path that stops at an object prints all of it (a range walks it)
    return True


def _kubectl_output(args: list[str]) -> str | None:
    for index, arg in enumerate(args):
        if arg in ("-o", "--output"):
            return args[index + 1] if index + 1 < len(args) else ""
        if arg.startswith(("-o=", "--output=")):
            return arg.partition("=")[2]
        if arg.startswith("-o") and len(arg) > 2:
            return arg[2:]
    return None


def validate_kubectl(args: list[str], cwd: str | None) -> str | None:
    """kubectl reads (get, describe, bounded logs...), never watching or following."""
    words: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-w", "--watch", "--watch-only", "-f", "--follow") or arg.startswith(
            ("--watch=", "--follow=")
        ):
            return f"kubectl {arg} never ends: it would hang"
        if arg in ("-s", "--server", "--token", "--as", "--as-group") or arg.startswith(
            ("--server=", "--token=", "--as=")
        ):
            return f"kubectl {arg} talks to another cluster or as someone else"
        if arg in _KUBECTL_VALUED:
            index += 1
            continue
        if arg.startswith("-"):
            continue
        words.append(arg)
    if not words:
        return "kubectl without a subcommand"
    sub = words[0]
    if sub == "config":
        if not (words[1:2] and words[1] in _KUBECTL_CONFIG_READ):
            return "kubectl config changes"
        output = _kubectl_output(args)
        template = (output or "").partition("=")[2]
        if template and not harmless_template(template):
            # {.users[*].user.token}: redacted unless --raw, but a human reads that choice
            return "kubectl config view prints credential fields"
        return None
    if sub == "auth":
        return None if words[1:2] == ["can-i"] else "kubectl auth needs a human"
    if sub == "rollout":
        return None if words[1:2] and words[1] in ("status", "history") else "kubectl rollout"
    if sub not in _KUBECTL_READ:
        return f"kubectl {sub} is not a read-only diagnostic"
    if sub in ("get", "describe"):
        dump = _kubectl_dump(args, words[1:], describe=sub == "describe")
        if dump is not None:
            return dump
    if sub == "logs" and not any(
        arg.startswith(("--tail", "--since", "--limit-bytes")) for arg in args
    ):
        return "kubectl logs without --tail N prints the whole log"
    return None


# -- curl --------------------------------------------------------------------------------------

_CURL_FLAGS = frozenset(
    ["-I", "--head", "-s", "--silent", "-S", "--show-error", "-f", "--fail", "-v", "--verbose"]
    + ["-i", "--include", "-k", "--insecure", "-g", "--globoff", "--compressed", "-4", "-6"]
    + ["--fail-with-body", "--no-progress-meter"]
)
_CURL_VALUED = frozenset(
    ["-m", "--max-time", "--connect-timeout", "-w", "--write-out", "-H", "--header", "-A"]
    + ["--user-agent", "--retry", "--retry-delay", "-X", "--request"]
)
LOCAL_HOSTS = frozenset(["localhost", "127.0.0.1", "::1"])


def validate_curl(args: list[str], cwd: str | None) -> str | None:
    """curl: GET/HEAD of a localhost URL only (health checks)."""
    urls: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in _CURL_FLAGS or short_flags(arg, "IsSfvik46g"):
            continue
        option, equals, value = arg.partition("=")
        if arg in _CURL_VALUED or (equals and option in _CURL_VALUED and option.startswith("--")):
            if not equals:
                value = args[index] if index < len(args) else ""
                index += 1
            if arg.startswith(("-X", "--request")) and value.upper() not in ("GET", "HEAD"):
                return f"curl -X {value} changes state"
            if arg in ("-w", "--write-out") and "@" in value:
                return "curl -w @FILE reads a file"
            continue
        if arg in ("-o", "--output") and index < len(args) and args[index] == "/dev/null":
            index += 1  # -o /dev/null: the body thrown away (a status check)
            continue
        if arg in ("-u", "--user") and index < len(args) and "$" not in args[index]:
            index += 1  # a literal user:password for a local service (the URL is checked)
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
    bad = next((url for url in urls if not is_local_url(url)), None)
    return None if bad is None else f"curl to {bad!r}: only localhost health checks are allowed"


def validate_wget(args: list[str], cwd: str | None) -> str | None:
    """wget -qO- URL: a localhost page printed, nothing written."""
    urls: list[str] = []
    index = 0
    to_stdout = False
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in ("-q", "--quiet", "-S", "--server-response", "--spider", "-nv"):
            continue
        if arg in ("-qO-", "-O-", "-qO", "-O", "--output-document"):
            value = "-" if arg.endswith("-") else (args[index] if index < len(args) else "")
            index += 0 if arg.endswith("-") else 1
            if value != "-":
                return "wget -O FILE writes a file"
            to_stdout = True
            continue
        if arg.startswith(("--output-document=", "--timeout=", "--tries=")):
            if arg.startswith("--output-document=") and arg.partition("=")[2] != "-":
                return "wget writes a file"
            to_stdout = to_stdout or arg.startswith("--output-document=")
            continue
        if arg in ("-T", "--timeout", "-t", "--tries"):
            index += 1
            continue
        if arg.startswith("-"):
            return f"wget option {arg!r} may send data or write files"
        urls.append(arg)
    if not urls or not (to_stdout or "--spider" in args):
        return "wget without -O - writes a file"
    bad = next((url for url in urls if not is_local_url(url)), None)
    return None if bad is None else f"wget of {bad!r}: only localhost is allowed"


def validate_nc(args: list[str], cwd: str | None) -> str | None:
    """nc -z localhost PORT: is a local port open (sends nothing)."""
    flags = "".join(a[1:] for a in args if re.fullmatch(r"-[a-zA-Z]+", a))
    operands = [a for a in args if not a.startswith("-")]
    if "z" not in flags or set(flags) - set("zvnw46") or not operands:
        return "nc without -z sends or receives data"
    hosts = [a for a in operands if not re.fullmatch(r"\d+(?:-\d+)?", a)]
    if any(host not in LOCAL_HOSTS and host != "127.0.0.1" for host in hosts):
        return "nc -z of another host"
    return None


_REDIS_READS = frozenset(["ping", "info", "dbsize", "time", "role", "lastsave", "--version"])
# Questions about a key's shape, never its value (GET, HGETALL, LRANGE print data).
_REDIS_READS |= frozenset(["ttl", "pttl", "type", "exists", "llen", "xlen", "scard", "zcard"])
_REDIS_READS |= frozenset(["hlen", "strlen", "slowlog", "memory", "object", "dbsize", "xinfo"])


def validate_redis_cli(args: list[str], cwd: str | None) -> str | None:
    """redis-cli [-h localhost] [-p PORT] ping|info|dbsize: a local server asked one harmless
    question (without a command it waits for input; `-a` would put a password in view)."""
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] != "--version":
        option = args[index]
        if option in ("-h", "-p", "-n") and index + 1 < len(args):
            if option == "-h" and args[index + 1] not in LOCAL_HOSTS:
                return "redis-cli of another host"
            index += 2
            continue
        return f"redis-cli {option} is not known to be read-only"
    command = [a.lower() for a in args[index:]]
    if not command:
        return "redis-cli without a command is interactive: it would hang"
    if command[0] in ("--scan", "--bigkeys", "--memkeys"):
        rest = command[1:]  # key names and sizes: --scan --pattern 'queue:*' --count 100
        allowed = ("--pattern", "--count", "--i")
        if all(a in allowed or not a.startswith("-") for a in rest):
            return None
    if command[0] not in _REDIS_READS or len(command) > 3:
        return f"redis-cli {command[0]} may change or print data"
    if command[0] in ("slowlog", "memory", "object", "xinfo") and command[1:2] not in (
        ["get"],
        ["len"],
        ["usage"],
        ["encoding"],
        ["freq"],
        ["idletime"],
        ["stream"],
        ["groups"],
    ):
        return f"redis-cli {' '.join(command[:2])} may change data"
    return None


def validate_ping(args: list[str], cwd: str | None) -> str | None:
    """ping -c N localhost: bounded, and this machine only."""
    count = None
    for index, arg in enumerate(args):
        if arg == "-c" and index + 1 < len(args) and args[index + 1].isdigit():
            count = int(args[index + 1])
        elif re.fullmatch(r"-c\d+", arg):
            count = int(arg[2:])
    hosts = [a for a in args if not a.startswith("-") and not a.isdigit()]
    if count is None or count > 10:
        return "ping without -c N never stops by itself"
    if any(host not in LOCAL_HOSTS for host in hosts):
        return "ping of another host"
    return None


def is_local_url(url: str) -> bool:
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
    return host in LOCAL_HOSTS or host == "0.0.0.0" or _loopback_number(host)


# A URL's shape among a command's words: a scheme, or a dotted host followed by a port or a
# path (a bare `out.json` is a file).
_URL_SHAPED = re.compile(r"(?i)https?://|[\w-]+(?:\.[\w-]+)+(?::\d+)?/")


def remote_urls(args: list[str]) -> list[str]:
    """The words of ``args`` that are URLs of another host (not this machine): judged by the
    scheme and host alone (`http://localhost:8080/check/{}` is this machine's)."""
    return [a for a in args if _URL_SHAPED.match(a) and not is_local_url(_host_part(a))]


def _host_part(url: str) -> str:
    """``https://host:8443`` of ``https://host:8443/path?q``: the scheme and the host."""
    scheme, sep, rest = url.partition("://")
    head = re.split(r"[/?#]", rest if sep else scheme, maxsplit=1)[0]
    return f"{scheme}://{head}" if sep else head


def _loopback_number(host: str | None) -> bool:
    """``127.1``, ``0x7f000001``, ``2130706433``: IPv4 spelt the old ways, on loopback."""
    if not host or not re.fullmatch(
        r"(?:0[xX][0-9a-fA-F]+|\d+)(?:\.(?:0[xX][0-9a-fA-F]+|\d+)){0,3}", host
    ):
        return False
    import socket  # here: only for these spellings; inet_aton reads them like curl does

    try:
        return socket.inet_aton(host)[0] == 127
    except OSError:
        return False


# -- git ---------------------------------------------------------------------------------------


def _inside_repository(path: str, cwd: str | None) -> bool:
    return not any(c in path for c in "*?[{$`") and locate(path, cwd).where == "inside"


def validate_git(args: list[str], cwd: str | None) -> str | None:
    """git read-only subcommands (global options that run programs are denied elsewhere)."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        arg = args[index]
        if arg in ("--no-pager", "-P", "--no-optional-locks", "--no-replace-objects"):
            index += 1
            continue
        if arg in ("--version", "--help"):
            return None if index == len(args) - 1 else f"git option {arg!r}"
        if arg == "-C" and index + 1 < len(args) and _inside_repository(args[index + 1], cwd):
            # Like `cd src && git log`: the same repository (a proposal cannot add a .git).
            index += 2
            continue
        setting = args[index + 1] if arg == "-c" and index + 1 < len(args) else arg[2:]
        if arg.startswith("-c") and _harmless_git_setting(setting):
            index += 2 if arg == "-c" else 1  # git -c core.pager=cat, core.fsmonitor=false
            continue
        # -c sets config, -C/--git-dir may point at a repository whose config runs programs.
        return f"git option {arg!r} can change what git runs"
    if index >= len(args):
        return "git without a subcommand"
    sub, rest = args[index], args[index + 1 :]
    validator = _GIT_SUBCOMMANDS.get(sub)
    if validator is None:
        return f"git {sub} is not a read-only subcommand"
    return _git_output_flags(rest) or validator(rest)


def _harmless_git_setting(setting: str) -> bool:
    """``core.pager=less -R``: a setting the tables list as harmless (a pager that only
    prints, fsmonitor off); any other ``-c`` may make git run a program."""
    key, equals, value = setting.partition("=")
    lowered = key.lower()
    data = tables()
    if any(fnmatchcase(lowered, pattern) for pattern in data.git_exec_config):
        allowed = data.exec_option_programs.get(f"git -c {lowered}", frozenset())
        return bool(equals) and " ".join(value.split()) in allowed
    return bool(equals) and any(fnmatchcase(lowered, p) for p in data.git_harmless_config)


def _git_output_flags(args: list[str]) -> str | None:
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--output") or arg in ("--ext-diff", "--textconv", "--filters"):
            return f"git {arg} writes files or runs configured programs"
        if arg.startswith(("--exec-path", "--upload-pack", "--receive-pack", "--open-files")):
            return f"git {arg} runs external programs"
        if arg == "-O" or (arg.startswith("-O") and not arg.startswith("--")):
            return f"git {arg} runs a pager program"
    return None


def _git_any(args: list[str]) -> str | None:
    return None


def git_history_search(args: list[str]) -> str | None:
    """git log/show/whatchanged that search history's contents for a string (``-S AKIA``,
    ``-G password``) and print the patches that hold it: a hunt for secrets ever committed."""
    terms = _pickaxe_terms(args)
    patches = any(a in tables().git_patch_options or a.startswith("-U") for a in args)
    if not patches or not any(SECRET_HUNT.search(term) for term in terms):
        return None  # `git log -p -S 'curl -s' -- scripts/`: review, not a hunt
    return "searches the history's patches for what looks like a secret"


# What a hunt for committed secrets searches for: key and token prefixes, secret words.
SECRET_HUNT = re.compile(
    r"(?i)secret|passw|passwd|token|api.?key|private|credential|auth|bearer|BEGIN|"
    r"\b(?:AKIA|ASIA|ghp_|gho_|github_pat_|glpat-|xox[abprs]-|sk_live|sk-|AIza|SG\.)|"
    r"^[A-Z0-9_]*(?:KEY|PASS|PWD)[A-Z0-9_]*=?$"
)


def _pickaxe_terms(args: list[str]) -> list[str]:
    """The strings ``-S``/``-G`` search history for (``-S X``, ``-SX``, ``-G=X``)."""
    terms: list[str] = []
    for index, arg in enumerate(args):
        if arg in ("-S", "-G") and index + 1 < len(args):
            terms.append(args[index + 1])
        elif re.fullmatch(r"-[SG].+", arg):
            terms.append(arg[2:].removeprefix("="))
    return terms


def _git_apply(args: list[str]) -> str | None:
    """git apply --check / --stat: tells whether and what a patch would change, changes
    nothing (unless --apply is given too)."""
    checks = {"--check", "--stat", "--numstat", "--summary"}
    if not any(a in checks for a in args):
        return "git apply without --check changes files"
    if any(a == "--apply" or a.startswith("--build-fake-ancestor") for a in args):
        return "git apply --apply changes files"
    return None


def _git_format_patch(args: list[str]) -> str | None:
    """git format-patch --stdout prints the patches (like git show); without it, it writes
    a file per commit."""
    if "--stdout" not in args or any(a.startswith(("-o", "--output")) for a in args):
        return "git format-patch writes patch files (only --stdout prints them)"
    return None


def _git_archive(args: list[str]) -> str | None:
    """git archive TREE: the tracked files, as an archive on standard output."""
    if any(a.startswith(("-o", "--output", "--remote", "--exec")) for a in args):
        return "git archive --output/--remote writes a file or talks to another host"
    return None


def _git_bisect(args: list[str]) -> str | None:
    return None if args in (["log"], ["visualize", "--oneline"]) else "git bisect moves HEAD"


def _git_rerere(args: list[str]) -> str | None:
    return None if args[:1] in (["status"], ["diff"], ["remaining"]) else "git rerere changes state"


def _git_fsck(args: list[str]) -> str | None:
    return "git fsck --lost-found writes files" if "--lost-found" in args else None


def _git_hash_object(args: list[str]) -> str | None:
    if "-w" in args or "--stdin-paths" in args:
        return "git hash-object -w writes objects"
    return None


def _git_lfs(args: list[str]) -> str | None:
    allowed = tables().subcommands.get("git-lfs", frozenset())
    if args and subcommand_matches(allowed, args):
        return None
    return f"git lfs {args[0] if args else ''} is not a read-only use".rstrip()


def _git_grep(args: list[str]) -> str | None:
    """git grep over ignored files (``--no-exclude-standard``) reads .env and keys."""
    if "--no-exclude-standard" in args or "--no-exclude-per-directory" in args:
        return "git grep --no-exclude-standard searches ignored files (.env, keys)"
    if "--no-index" in args and "--exclude-standard" not in args:
        return "git grep --no-index searches every file, ignored ones too (.env, keys)"
    return None


def _git_branch(args: list[str]) -> str | None:
    listing = {"-a", "--all", "-r", "--remotes", "-v", "-vv", "--verbose", "--list", "-l"}
    listing |= {"--show-current", "--no-color", "--color", "-i", "--ignore-case", "--column"}
    listing |= {"--no-column", "--omit-empty", "-av", "-avv", "-rv", "-vva", "-va"}
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
            index += 1
            continue
        if not arg.startswith("-") and is_list:
            continue
        if arg.startswith("-"):
            return f"git branch {arg} changes branches"
        return f"git branch {arg} creates a branch"
    return None


# git tag's listing options; those taking a value may have it in the next word.
_GIT_TAG_LISTING = ("-n", "--sort", "--contains", "--no-contains", "--points-at", "--merged")
_GIT_TAG_LISTING_VALUED = frozenset(
    ["--contains", "--no-contains", "--points-at", "--merged", "--no-merged", "--sort"]
    + ["--format"]
)


def _git_tag(args: list[str]) -> str | None:
    if not args or any(arg in ("-l", "--list", "-v", "--verify") for arg in args):
        return None  # listing, or checking tags' signatures
    if any(re.fullmatch(r"-n\d*", arg) for arg in args):
        return None  # git tag -n5 v2.*: lists tags with their messages
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in _GIT_TAG_LISTING_VALUED:
            index += 2  # git tag --contains HEAD: a commit, not a tag to create
            continue
        if not arg.startswith((*_GIT_TAG_LISTING, "--no-merged", "--format", "--column", "-i")):
            return "git tag creates or deletes tags"
        index += 1
    return None


def _git_remote(args: list[str]) -> str | None:
    if all(arg in ("-v", "--verbose") for arg in args) or args[:1] == ["get-url"]:
        return None
    if args[:1] == ["show"] and "-n" in args:
        return None  # git remote show -n origin: what is configured, without asking it
    return "git remote changes remotes or contacts them"


def _git_stash(args: list[str]) -> str | None:
    return None if args[:1] in (["list"], ["show"]) else "git stash changes the working tree"


# Sections of git's configuration that hold no credential (http.* may). Remote URLs may hold
# one, but `git remote -v` prints the same URLs.
_SAFE_CONFIG_SECTIONS = re.compile(
    r"\^?\(?(?:branch|user|core|color|init|pull|push|merge|diff|log|format|alias|gc|rebase"
    r"|status|commit|tag|advice|i18n|column|blame|grep|pretty|submodule|filter|lfs|remote)\\?\."
)
# A configuration file the repository tracks: data anyone can read (`cat .gitmodules`).
_TRACKED_CONFIG_FILES = frozenset([".gitmodules", "./.gitmodules"])


def _git_config(args: list[str]) -> str | None:
    # --get-regexp and `git config list` print every matching key: credentials among them.
    reading = {"--get", "--get-all", "get", "--type", "--default"}
    for option in ("-f", "--file"):
        if option in args[:-1] and args[args.index(option) + 1] in _TRACKED_CONFIG_FILES:
            rest = args[: args.index(option)] + args[args.index(option) + 2 :]
            listing = {"--list", "-l", "--get-regexp", "--name-only", "--get", "--get-all"}
            if rest and rest[0] in listing and len(rest) <= 3:
                return None  # git config -f .gitmodules --get-regexp 'submodule\..*\.url'
    types = {"--bool", "--int", "--path", "--bool-or-int", "--expiry-date", "--null", "-z"}
    typed = [a for a in args if a not in types and not a.startswith("--type=")]
    if typed and typed[0] in reading and len(typed) <= 3:
        return None  # git config --bool --get core.bare: one key, read as a type
    if args[:1] == ["--get-regexp"] and len(args) == 2 and _SAFE_CONFIG_SECTIONS.match(args[1]):
        return None  # git config --get-regexp '^branch\.': a section that holds no credential
    scopes = {"--global", "--local", "--system", "--worktree", "--show-origin", "--show-scope"}
    operands = [arg for arg in args if arg not in scopes]
    if len(operands) == 1 and "." in operands[0] and not operands[0].startswith("-"):
        return None  # git config user.name: one key, read
    return "git config may change or print configuration (credentials)"


def _git_var(args: list[str]) -> str | None:
    return "git var -l prints the whole configuration (credentials)" if "-l" in args else None


def _git_bundle(args: list[str]) -> str | None:
    """git bundle list-heads/verify FILE: what a bundle holds, read; create writes one."""
    return None if args[:1] in (["list-heads"], ["verify"]) else "git bundle writes or unbundles"


def _git_worktree(args: list[str]) -> str | None:
    return None if args[:1] == ["list"] else "git worktree changes worktrees"


def _git_notes(args: list[str]) -> str | None:
    verbs = [a for a in args if not a.startswith("--ref")]  # git notes --ref=review show
    if args and args[0] == "--ref" and len(args) > 1:
        verbs = args[2:]
    return None if verbs[:1] in (["list"], ["show"], []) else "git notes changes notes"


def _git_cat_file(args: list[str]) -> str | None:
    if any(a in ("-p", "-t", "-s", "-e") for a in args):
        return None
    if len(args) == 2 and args[0] in ("blob", "tree", "commit", "tag"):
        return None  # git cat-file commit HEAD: one object of that type, printed
    if any(a.startswith("--batch-check") for a in args) and not any(
        a.startswith(("--batch=", "--batch-command")) or a == "--batch" for a in args
    ):
        return None  # names, types and sizes of objects; --batch would print their contents
    return "git cat-file option"


def _git_submodule(args: list[str]) -> str | None:
    # `git submodule` alone is `status`; foreach, update, sync... run or change things.
    operands = [arg for arg in args if arg not in ("--quiet", "-q", "--cached", "--recursive")]
    if operands[:1] in ([], ["status"], ["summary"]):
        return None
    return "git submodule changes submodules or runs commands in them"


def _git_symbolic_ref(args: list[str]) -> str | None:
    """git symbolic-ref [--short] [-q] NAME: what a ref points to; -d, -m or a target set it."""
    operands = [arg for arg in args if not arg.startswith("-")]
    options = [arg for arg in args if arg.startswith("-")]
    reading = ("--short", "-q", "--quiet", "--no-recurse")
    if len(operands) == 1 and all(a in reading for a in options):
        return None
    return "git symbolic-ref changes a ref"


def _git_help(args: list[str]) -> str | None:
    """git help -a/-g lists commands or guides; help on a command opens a pager or browser."""
    if args and all(a in ("-a", "--all", "-g", "--guides", "--config", "-c") for a in args):
        return None
    return "git help opens a manual page (a pager or a browser)"


def _git_reflog(args: list[str]) -> str | None:
    reading = not args or args[0] in ("show", "exists") or args[0].startswith("-")
    return None if reading else "reflog"


def _git_listing(*verbs: str) -> Callable[[list[str]], str | None]:
    """A subcommand that only reads with one of ``verbs`` first (``git replace -l``,
    ``git sparse-checkout list``) and changes things otherwise."""

    def check(args: list[str]) -> str | None:
        return None if args[:1] and args[0] in verbs else "changes the repository"

    return check


def _git_interpret_trailers(args: list[str]) -> str | None:
    """git interpret-trailers --parse: trailers of the message on its input, printed;
    --in-place rewrites the files it is given."""
    return "rewrites files" if any(a.startswith("--in-place") for a in args) else None


def _git_clean(args: list[str]) -> str | None:
    dry_run = any(a == "--dry-run" or re.fullmatch(r"-[a-zA-Z]*n[a-zA-Z]*", a) for a in args)
    return None if dry_run else "git clean deletes untracked files"


_GIT_SUBCOMMANDS: dict[str, Callable[[list[str]], str | None]] = {
    "status": _git_any,
    "log": git_history_search,
    "diff": _git_any,
    "show": git_history_search,
    "branch": _git_branch,
    "rev-parse": _git_any,
    "ls-files": _git_any,
    "ls-tree": _git_any,
    "blame": _git_any,
    "annotate": _git_any,
    "tag": _git_tag,
    "remote": _git_remote,
    "describe": _git_any,
    "shortlog": _git_any,
    "stash": _git_stash,
    "grep": _git_grep,
    "config": _git_config,
    "cat-file": _git_cat_file,
    "reflog": _git_reflog,
    "rev-list": _git_any,
    "count-objects": _git_any,
    "for-each-ref": _git_any,
    "show-ref": _git_any,
    "name-rev": _git_any,
    "merge-base": _git_any,
    "whatchanged": git_history_search,
    "worktree": _git_worktree,
    "notes": _git_notes,
    "version": _git_any,
    "diff-tree": _git_any,
    "diff-index": _git_any,
    "diff-files": _git_any,
    "range-diff": _git_any,
    "cherry": _git_any,
    "check-ignore": _git_any,
    "check-attr": _git_any,
    "verify-commit": _git_any,
    "var": _git_var,
    "clean": _git_clean,
    "submodule": _git_submodule,
    "apply": _git_apply,
    "format-patch": _git_format_patch,
    "archive": _git_archive,
    "bisect": _git_bisect,
    "rerere": _git_rerere,
    "fsck": _git_fsck,
    "hash-object": _git_hash_object,
    "lfs": _git_lfs,
    "symbolic-ref": _git_symbolic_ref,
    "help": _git_help,
    "show-branch": _git_any,
    "verify-tag": _git_any,
    "check-ref-format": _git_any,
    "patch-id": _git_any,
    "get-tar-commit-id": _git_any,
    "show-index": _git_any,
    "interpret-trailers": _git_interpret_trailers,
    "replace": _git_listing("-l", "--list"),
    "sparse-checkout": _git_listing("list"),
    "bundle": _git_bundle,
}


# Standard-library modules that only print what they read (run isolated, -I/-P): their
# options that write or serve (pydoc -w/-p, zipfile -c/-e, tarfile -c/-e) are not here.
_STDLIB_PRINTERS = {
    "ast": frozenset(["-a", "--include-attributes", "-i", "--indent", "--no-type-comments"]),
    "tokenize": frozenset(["-e", "--exact"]),
    "dis": frozenset(["-C", "--show-caches", "-O", "--show-offsets"]),
    "calendar": frozenset(["-t", "--type", "-w", "--width", "-l", "--lines", "-s", "--spacing"]),
    "platform": frozenset(["--terse", "--nonaliased", "terse", "nonaliased"]),
    "zipfile": frozenset(["-l", "--list", "-t", "--test"]),
    "tarfile": frozenset(["-l", "--list", "-t", "--test", "-v", "--verbose"]),
    "base64": frozenset(["-d", "--decode", "-e", "--encode", "-t"]),
    "sysconfig": frozenset(),
    "site": frozenset(["--user-base", "--user-site"]),
    "this": frozenset(),
}


def _stdlib_printer(args: list[str]) -> bool:
    """``python3 -I -m ast src/app.py``, ``python3 -I -m zipfile -l x.whl``: an isolated
    standard-library module that prints what it reads (the files are judged as reads)."""
    if len(args) < 3 or args[0] not in ("-I", "-P") or args[1] != "-m":
        return False
    allowed = _STDLIB_PRINTERS.get(args[2])
    if allowed is None:
        return False
    options = [a for a in args[3:] if a.startswith("-")]
    listing = args[2] in ("zipfile", "tarfile")
    if listing and not any(a in ("-l", "--list", "-t", "--test") for a in options):
        return False
    return all(a.split("=", 1)[0] in allowed for a in options)


def _json_tool(args: list[str]) -> bool:
    """``python3 -I -m json.tool [--sort-keys] [FILE]``: isolated (without -I/-P the
    repository's own json/ package would be what runs), one file read, none written."""
    if _stdlib_printer(args):
        return True
    if len(args) < 3 or args[0] not in ("-I", "-P") or args[1:3] != ["-m", "json.tool"]:
        return False
    rest = [a for a in args[3:] if a not in ("--sort-keys", "--compact", "--no-ensure-ascii")]
    return len([a for a in rest if not a.startswith("-")]) <= 1 and all(
        not a.startswith("-") or re.fullmatch(r"--indent=\d+|--tab", a) for a in rest
    )


def _verbose_version(args: list[str]) -> bool:
    """``rustc --version --verbose``: a version query made more detailed, nothing else."""
    return args[0] in ("--version", "-V", "-v") and all(a in ("--verbose", "-v") for a in args[1:])


def validate_subcommand_tool(name: str) -> Validator:
    """Tools judged by their first operand (``pip list``, ``npm ls``, ``python3 --version``)."""

    def validate(args: list[str], cwd: str | None) -> str | None:
        if name.startswith("python") and args[:2] == ["-m", "pip"]:
            pip = validator_for("pip")  # python3 -m pip list
            return pip(args[2:], cwd) if pip is not None else "pip is not known"
        if name == "perl" and perl_filter(args):
            return None  # perl -ne 'print if /TODO/' FILE: a line filter
        if name.startswith("python") and _json_tool(args):
            return None  # python3 -I -m json.tool FILE: pretty-prints, the stdlib's own module
        program = python_program(args) if name.startswith("python") else None
        if program is not None and python_reads(*program) is not None:
            return None  # a read-only program; the files it opens are judged as reads
        script = script_program(name, args)
        if script is not None and script_reads(script.language, script.code) is not None:
            return None  # node -p, ruby -e…: likewise (inline_scripts.py)
        switch = tables().plugin_switches.get(name)
        if switch is not None:
            if switch not in args:
                return f"{name} starts the plugins the repository ships unless given {switch}"
            args = [a for a in args if a != switch]
        if name == "go" and args[:1] == ["env"] and any(a in ("-w", "-u") for a in args):
            return "go env -w changes the Go environment"
        allowed = tables().subcommands.get(name, frozenset())
        if args and args[0] in allowed:
            if args[0].startswith("-") and len(args) > 1 and not _verbose_version(args):
                return f"{name} {args[0]} followed by more arguments"
            return None
        if args and len(args[0]) > 1 and subcommand_matches(allowed, args):
            return None  # `dvc metrics show`, `php -l FILE`, `npm run` (alone)
        return f"{name} {args[0] if args else ''} is not a read-only use".replace("  ", " ")

    return validate


CODE_VALIDATORS: dict[str, Validator] = {
    "git": validate_git,
    "docker": validate_docker,
    "podman": validate_docker,
    "nerdctl": validate_docker,
    "docker-compose": validate_compose,
    "kubectl": validate_kubectl,
    "systemctl": validate_systemctl,
    "journalctl": validate_journalctl,
    "ps": validate_ps,
    "curl": validate_curl,
    "grep": validate_grep,
    "egrep": validate_grep,
    "fgrep": validate_grep,
    "rg": validate_rg,
    "ag": validate_rg,
    "find": validate_find,
    "jq": validate_jq,
    "sed": validate_sed,
    "awk": validate_awk,
    "gawk": validate_awk,
    "mawk": validate_awk,
    "nawk": validate_awk,
    "date": validate_date,
    "tar": validate_tar,
    "bsdtar": validate_tar,
    "unzip": validate_unzip,
    "seq": validate_seq,
    "7z": validate_7z,
    "ssh-keygen": validate_ssh_keygen,
    "jar": validate_jar,
    "tee": validate_tee,
    "wget": validate_wget,
    "nc": validate_nc,
    "ping": validate_ping,
    "redis-cli": validate_redis_cli,
    "mlr": validate_mlr,
    "top": validate_top,
    "sqlite3": validate_sqlite3,
    "duckdb": validate_duckdb,
}


@cache
def _sub_specs(name: str) -> list[tuple[list[str], AllowSpec]]:
    """``[allow."ruff check"]``, ``[allow."dvc metrics show"]``: the specs of ``name``'s
    subcommands that have their own options, longest first."""
    prefix = name + " "
    found = [(k.split()[1:], spec) for k, spec in tables().allow.items() if k.startswith(prefix)]
    return sorted(found, key=lambda item: -len(item[0]))


def _validate_by_subcommand(name: str, subs: list[tuple[list[str], AllowSpec]]) -> Validator:
    """Judge ``name SUB ...`` by SUB's own spec; a subcommand without one falls back to the
    tool's ``[subcommands]`` list (or is not read-only)."""

    def validate(args: list[str], cwd: str | None) -> str | None:
        for words, spec in subs:
            if args[: len(words)] == words:
                problem = validate_spec(spec, args[len(words) :])
                return None if problem is None else f"{name} {' '.join(words)}: {problem}"
        if name in tables().subcommands:
            return validate_subcommand_tool(name)(args, cwd)
        return f"{name} {args[0] if args else ''} is not a read-only use".replace("  ", " ")

    return validate


def validator_for(name: str) -> Validator | None:
    """The validator of a read-only command, or None when ``name`` is not one."""
    found = CODE_VALIDATORS.get(name)
    if found is not None:
        return found
    if name in tables().sql_clients:
        return validate_sql_client(name)
    if name in ("mongosh", "mongo"):
        return validate_mongosh
    if name in ("pwsh", "powershell"):
        return validate_powershell
    subs = _sub_specs(name)
    if subs:
        return _validate_by_subcommand(name, subs)
    spec = tables().allow.get(name)
    if spec is not None:
        return lambda args, _cwd: validate_spec(spec, args)
    if name in tables().subcommands:
        return validate_subcommand_tool(name)
    return None
