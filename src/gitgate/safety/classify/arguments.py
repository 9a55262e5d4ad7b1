"""The files a command reads: which of its words name files, and how each is judged."""

from __future__ import annotations

import re
from urllib.parse import unquote

from gitgate.safety.classify.denies import judge_write_target
from gitgate.safety.classify.model import (
    API_VALUED,
    Ctx,
    Finding,
    Word,
    approve,
    deny,
)
from gitgate.safety.classify.paths import holds_secrets, join_cwd, judge_path, secret_reason
from gitgate.safety.classify.tables import OptionValues, tables

# -- arguments: the files a command reads ------------------------------------------------------


def argument_findings(name: str, words: list[Word], ctx: Ctx) -> list[Finding]:
    """Deny reading secret files; anything outside the repository or a device needs a human."""
    data = tables()
    if name in data.string_only or name in ("cd", "pushd", "popd", "export"):
        return []
    spec = data.allow.get(name)
    text_operands = spec is not None and spec.operands in ("none", "text")
    # Fail closed: a command not known to only name files (ls, stat, du...) may print or
    # send what it is given (sha384sum, shuf, `gh gist create`, `aws s3 cp`, any tool nobody
    # listed), so a secret among its files is a read, not a name.
    contents = name not in data.name_only and (spec is None or spec.operands != "names")
    contents = contents or name == "type"  # cmd's `type FILE` prints the file
    # openssl x509/crl/verify parse certificates: a private key given to them is not printed.
    certificates = name == "openssl" and [w.text for w in words[1:2]] in (
        ["x509"],
        ["crl"],
        ["verify"],
    )
    contents = contents and not certificates
    if name == "git" and contents:
        contents = _git_reads_contents([word.text for word in words[1:]])
    findings: list[Finding] = []
    recursive = _reads_recursively(name, [word.text for word in words[1:]])
    cwd = _git_directory(words, ctx.cwd[0]) if name == "git" else ctx.cwd[0]
    for shown, path, role in path_candidates(name, words[1:]):
        if name in _RESOURCE_NAMERS and role == "operand" and not any(c in path for c in "/."):
            continue  # kubectl describe secret api-token: a resource's name, not a file
        if name in ("sqlite3", "duckdb") and role == "operand" and _sql_text(words, shown):
            continue  # sqlite3 app.db .dump 'SELECT …': the database's name, then statements
        if name == "curl" and role == "reads" and _curl_inline_value(shown, path):
            continue  # curl -H 'Accept: x', -d 'a=b': text sent; @FILE names a file
        if name in ("terraform", "tofu") and _terraform_own_file(words, shown, role):
            continue  # terraform plan -out=tfplan, apply tfplan: its own plan, not printed
        if role == "writes":
            if path == "-":
                continue  # wget -O -, curl -o -: standard output, by every tool's convention
            findings.extend(judge_write_target(path, f"{name} {shown}"))
            continue
        if text_operands and role == "operand":
            if secret_reason(path, ctx.rules.sensitive) is None:
                continue
        reads = contents or (role == "reads" and not certificates)
        found = judge_path(f"{name} {shown}", path, cwd, contents=reads, extra=ctx.rules.sensitive)
        if found is not None and found.decision != "deny" and contents and recursive:
            place = join_cwd(cwd, path)
            holds = holds_secrets(place) if place is not None else None
            if holds is not None:
                found = deny(f"{name} {shown!r} reads every file under it: {holds}")
        if found is None and certificates:
            key = secret_reason(path, ctx.rules.sensitive)
            if key is not None:  # not printed, but not for the gate to read either
                found = approve(f"{name} {shown!r} is given {key}")
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
            written = judge_write_target(target, f"{name} ... {target}")
            if name == "mv" and target.startswith("/dev/"):
                written = [deny(f"mv to {target} destroys the file")]
            findings.extend(written)
    return findings


def _git_directory(words: list[Word], cwd: str | None) -> str | None:
    """Where ``git -C DIR ...`` works: its paths are relative to DIR (several -C chain)."""
    args = [word.text for word in words[1:]]
    _sub, end = git_subcommand(args)
    for index in range(end):
        if args[index] == "-C" and index + 1 < len(args):
            if words[index + 2].dynamic:
                return None
            cwd = join_cwd(cwd, args[index + 1]) if cwd is not None else None
    return cwd


def git_subcommand(args: list[str]) -> tuple[str, int]:
    """The subcommand of ``git [global options] SUB ...`` and its index ("" when none)."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in ("-C", "-c", "--git-dir", "--work-tree") else 1
    return (args[index], index) if index < len(args) else ("", index)


def _git_reads_contents(args: list[str]) -> bool:
    """Whether this git command prints file contents (show, diff, log -p) or only names."""
    data = tables()
    sub, index = git_subcommand(args)
    if sub in data.git_name_only:
        return False
    rest = args[index + 1 :]
    if sub in ("show", "diff") and any(a.startswith(_STAT_ONLY) for a in rest):
        if not any(a in data.git_patch_options or a.startswith("-U") for a in rest):
            return False  # git show --stat HEAD -- .env: names and counts, no lines
    if sub in ("log", "whatchanged", "shortlog"):
        return any(
            arg == option
            or (option.startswith("-") and len(option) == 2 and arg.startswith(option))
            or arg.startswith(option + "=")
            for arg in args[index + 1 :]
            for option in data.git_patch_options
        )
    return True


# Tools whose plain operands name cluster resources, not files (-f FILE is still a file).
_RESOURCE_NAMERS = frozenset(["kubectl", "oc", "helm"])
_STAT_ONLY = ("--stat", "--numstat", "--shortstat", "--name-only", "--name-status", "--dirstat")
_ALWAYS_RECURSIVE = frozenset(["rg", "ag", "ack", "tar", "bsdtar", "7z", "cpio", "rsync", "rclone"])
_ALWAYS_RECURSIVE |= frozenset(["restic", "borg", "duplicity", "zip", "scp", "git"])


def _reads_recursively(name: str, args: list[str]) -> bool:
    """Whether the command reads whole directory trees (grep -r, cp -a, tar, rg)."""
    if name in _ALWAYS_RECURSIVE:
        return True
    for arg in args:
        if arg in ("--recursive", "--dereference-recursive", "--archive"):
            return True
        if re.fullmatch(r"-[a-zA-Z]+", arg) and any(c in arg[1:] for c in "rRa"):
            return name not in ("ls", "du", "sort", "tail", "head", "wc", "cat")
    return False


Candidate = tuple[str, str, str]  # the words to quote, a path, its role (see path_candidates)
_CLUSTER = re.compile(r"-[A-Za-z0-9]+")


def option_values_for(name: str, args: list[str]) -> OptionValues | None:
    """The option table of this command (for git, of its subcommand: ``git log``)."""
    data = tables()
    if name == "git":
        sub, _index = git_subcommand(args)
        return data.option_values.get(f"git {sub}") if sub else None
    return data.option_values.get(name)


# Tools whose first operand is a subcommand (their other operands are judged as usual).
_SUBCOMMAND_TOOLS = frozenset(
    [
        "docker",
        "podman",
        "nerdctl",
        "kubectl",
        "helm",
        "docker-compose",
        "systemctl",
        "gh",
        "npm",
        "pnpm",
        "yarn",
        "cargo",
        "go",
        "brew",
        "terraform",
        "tofu",
        "aws",
        "gcloud",
        "az",
    ]
)


# curl options whose value is the text itself unless it starts with @ (then a file's name).
_CURL_INLINE = frozenset(
    ["-H", "--header", "-w", "--write-out", "-d", "--data", "--data-binary", "--data-raw"]
    + ["--data-urlencode", "-F", "--form"]
)


def _curl_inline_value(shown: str, path: str) -> bool:
    """Whether ``path`` is a curl option's whole value given inline (not ``@file``)."""
    option = shown.split(" ", 1)[0].split("=", 1)[0]
    if option not in _CURL_INLINE or path.startswith("@"):
        return False
    return shown.endswith(path) and not shown.endswith("@" + path)


def _sql_text(words: list[Word], shown: str) -> bool:
    """Whether ``shown`` is an operand after the database file of sqlite3/duckdb (SQL or a
    dot-command, judged by the SQL checks)."""
    operands = [w.text for w in words[1:] if not w.text.startswith("-")]
    return bool(operands) and shown != operands[0]


def _terraform_own_file(words: list[Word], shown: str, role: str) -> bool:
    """A plan or state file terraform writes or applies itself (``-out=tfplan``, ``apply
    tfplan``, ``-state=x``): never printed by those subcommands (``show`` is judged apart).
    A ``-var-file`` stays a read: its parse errors quote its lines."""
    if role == "operand":
        sub = next((w.text for w in words[1:] if not w.text.startswith("-")), "")
        return sub == "apply"
    return shown.lstrip("-").startswith(("out", "state", "backup"))


def _has_subcommands(name: str) -> bool:
    """Whether ``name`` may take verbs among its operands: a subcommand tool, or any command
    not known to read the files it is given (cat, grep, cp, interpreters, shells)."""
    data = tables()
    if name in _SUBCOMMAND_TOOLS:
        return True
    return (
        name not in data.readers
        and name not in data.allow
        and name not in data.pattern_first
        and name not in data.shells
        and name not in data.interpreters
    )


# The endpoint of `gh api` / `glab api`: a path of the forge's REST API (or graphql), never
# a file; any other operand (`--input .env`, `-F body=@.env`) is still judged.
_API_PATH = re.compile(
    r"/?(?:repos|orgs|users?|projects|groups|namespaces|graphql|gists|search|teams"
    r"|enterprises|notifications|installation|applications|app|apps|issues|repositories"
    r"|markdown|meta|rate_limit|licenses|events|feeds|emojis|marketplace_listing)(?:/|$)"
)


def path_candidates(name: str, args: list[Word]) -> list[Candidate]:
    """(words, path, role) for a command's words that may name files.

    Roles: ``operand`` (a plain argument), ``value`` (the value of an option the tables say
    nothing about: judged like an operand), ``reads`` (a file the command reads whatever it
    is), ``writes`` (a file it writes). The values of options that THIS command's tables
    call free text (``git log --grep TEXT``, ``grep -m 5``) are skipped; any other word
    after an option is judged (fail closed: for most tools ``-m`` is a flag and the word
    after it is a file). ``@file`` (curl), ``dd`` operands (``if=X``) and revision paths
    (``HEAD:.env``) are included; after ``--`` every word is an operand.
    """
    texts = [word.text for word in args]
    pattern_index, file_values = _pattern_positions(name, texts)
    values = option_values_for(name, texts)
    candidates: list[Candidate] = []
    pending: tuple[str, str] | None = None  # (option, role) whose value is the next word
    ended = False
    subcommand_first = name in _SUBCOMMAND_TOOLS
    endpoint = False
    for index, word in enumerate(args):
        text = word.text
        if index == pattern_index:
            continue
        if index in file_values:
            candidates.append((text, text, "reads"))
            continue
        if pending is not None:
            option, role = pending
            pending = None
            if role != "text":
                shown = f"{option} {text}"
                candidates.extend((shown, v, role) for v in _value_paths(text))
            continue
        if not ended and text == "--":
            ended = True
            continue
        if not ended and text.startswith("-") and len(text) > 1:
            found, pending = _option_candidates(text, values)
            candidates.extend(found)
            continue
        if subcommand_first:
            subcommand_first = False  # `docker history IMAGE`: a subcommand, not a file
            endpoint = name in ("gh", "glab") and text == "api"  # then a URL path, no file
            continue
        after_valued = index > 0 and args[index - 1].text in API_VALUED
        if endpoint and _API_PATH.match(text) and not after_valued:
            endpoint = False  # gh api repos/o/r/actions/secrets/public-key: a URL's path
            continue
        if text in tables().subcommand_words and _has_subcommands(name):
            continue  # `kubectl rollout history`, `alembic history`: a verb, not a file
        if name == "git" and ended and text.startswith((":!", ":^", ":(exclude)")):
            continue  # git diff -- ':!*.test.ts': a pathspec that leaves files out
        candidates.extend(_operand_candidates(word, git=name == "git"))
    return candidates


def _option_candidates(
    text: str, values: OptionValues | None
) -> tuple[list[Candidate], tuple[str, str] | None]:
    """Candidates in one option word, and the (option, role) that takes the next word."""
    option, equals, value = text.partition("=")
    role = values.role(option) if values is not None else None
    if equals:  # --output=FILE, -in=FILE
        if role == "text":
            return [], None
        return [(text, v, role or "value") for v in _value_paths(value)], None
    if role is not None:  # the value is the next word
        return [], (text, role)
    if text.startswith("--") or len(text) <= 2:
        return [], None
    short = values.role(text[:2]) if values is not None else None
    if short == "text":
        return [], None  # -m5, -k2: the value is attached, the next word is judged
    if short is not None:
        return [(text, v, short) for v in _value_paths(text[2:])], None
    if values is not None and _CLUSTER.fullmatch(text):
        # -ro FILE (sort -r -o FILE): a letter that reads or writes inside a cluster takes
        # the rest of the cluster, or the next word, as its value.
        for position, letter in enumerate(text[1:], start=1):
            role = values.role("-" + letter)
            if role in ("reads", "writes"):
                rest = text[position + 1 :]
                if rest:
                    return [(text, v, role) for v in _value_paths(rest)], None
                return [], (text, role)
    attached = text[2:]
    if "/" in attached or attached.startswith((".", "~", "@")):
        return [(text, v, "value") for v in _value_paths(attached)], None
    return [], None


def _operand_candidates(word: Word, *, git: bool = False) -> list[Candidate]:
    text = word.text
    found: list[Candidate] = []
    if git and text.startswith(":/"):
        return []  # git show ':/fix race': the newest commit whose message matches
    if git and ":" in text and "://" not in text and text.startswith("/"):
        # -L '/^func Parse/,+30:parser.go': a line range (a regex), then the file
        return [(text, text.rsplit(":", 1)[1], "operand")]
    for expanded in expand_braces(text) if not word.dynamic else [text]:
        found.extend((text, v, "operand") for v in _value_paths(expanded))
    if "=" in text and not text.startswith("="):
        found.extend((text, v, "value") for v in _value_paths(text.partition("=")[2]))
    if ":" in text and "://" not in text:  # git show HEAD:.env, scp host:path, -v src:dst
        found.append((text, text.rsplit(":", 1)[1], "operand"))
        if not git:  # git's HEAD~3:x is a revision, then a file
            found.append((text, text.split(":", 1)[0], "operand"))
    return found


_BRACE = re.compile(r"\{([^{}]*,[^{}]*)\}")


def expand_braces(text: str, limit: int = 64) -> list[str]:
    """``a{b,c}d`` -> ``abd``, ``acd`` (what bash does before running the command)."""
    results = [text]
    for _ in range(4):  # nested or repeated groups: a few rounds, bounded
        expanded: list[str] = []
        changed = False
        for item in results:
            match = _BRACE.search(item)
            if match is None:
                expanded.append(item)
                continue
            changed = True
            for choice in match.group(1).split(","):
                expanded.append(item[: match.start()] + choice + item[match.end() :])
        results = expanded[:limit]
        if not changed:
            break
    return results


def _value_paths(value: str) -> list[str]:
    """The paths a value may name: itself, ``@file`` (curl -d @.env), ``name=@file`` (-F),
    and the local file of a ``file:`` URL (``curl file:///etc/shadow`` reads it)."""
    if "://" in value:
        return _file_url_paths(value)
    paths = [value]
    if value.startswith("@") and len(value) > 1:
        paths.append(value[1:])
    for marker in ("=@", "=<", "@"):
        if marker in value[1:]:
            paths.append(value.split(marker, 1)[1].split(";", 1)[0])
            break
    return paths


_FILE_URL = re.compile(r"(?i)(?:^|[=@<])file://([^/]*)(/[^?#;]*)")


def _file_url_paths(value: str) -> list[str]:
    """``file://HOST/PATH`` anywhere in a value: PATH, percent-decoded (curl decodes it)."""
    return [unquote(match.group(2)) for match in _FILE_URL.finditer(value)]


def _pattern_positions(name: str, args: list[str]) -> tuple[int | None, set[int]]:
    """For pattern-first commands: the pattern's index and the indexes of file values."""
    if name == "git":
        sub, at = git_subcommand(args)
        if sub != "grep":
            return None, set()
        # git grep PATTERN: the pattern is text (`git grep -n 'BEGIN RSA PRIVATE KEY'`).
        pattern, found = _pattern_positions("grep", args[at + 1 :])
        shift = at + 1
        if pattern is not None and re.fullmatch(r"[\w./~^@{}-]+:\S+", args[pattern + shift]):
            pattern = None  # `HEAD:.env` reads like a revision's file: judged as one
        return (None if pattern is None else pattern + shift), {i + shift for i in found}
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


def pattern_operand(name: str, args: list[str]) -> str | None:
    """The pattern or program operand of a pattern-first command (grep PATTERN), or None."""
    position, _files = _pattern_positions(name, args)
    return args[position] if position is not None and position < len(args) else None
