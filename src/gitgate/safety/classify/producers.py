"""Which file names a command hands on: ``find . -name '*.go'``, ``git ls-files '*.py'``.

``git ls-files '*.py' | xargs wc -l`` and ``find . -name '*.go' -exec grep -l TODO {} +``
run a reader on files nobody listed. They are diagnostics when the names are known to be
the repository's own files of a kind no secret is kept in (a glob the sensitive-path
catalogue cannot match), or when the reader prints nothing of the files but counts or
names. Anything else (names from an unknown command, a ``-o`` that may let any file
through, a start outside the repository) still needs a human.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gitgate.safety.classify.allowed import names_only
from gitgate.safety.classify.paths import locate, risky_glob, secret_reason
from gitgate.safety.classify.tables import tables


@dataclass(frozen=True, slots=True)
class Names:
    """Names of files inside the repository; ``patterns``: globs every name matches one of
    (empty when any name may come)."""

    patterns: tuple[str, ...] = ()

    @property
    def harmless(self) -> bool:
        """Whether no name can be a credential store's (every glob misses the catalogue)."""
        return bool(self.patterns) and all(_harmless_glob(p) for p in self.patterns)


def _harmless_glob(pattern: str) -> bool:
    """``*.py``, ``src/*.go``: an extension glob the catalogue cannot match (``*.json``
    can: credentials.json); or a plain name inside the repository that is not a store."""
    if not any(char in pattern for char in "*?[]{}$`~\\"):
        parts = pattern.split("/")
        plain = not pattern.startswith("/") and ".." not in parts and "" not in parts
        return plain and secret_reason(pattern.removeprefix("./")) is None
    base = pattern.rpartition("/")[2]
    if not base.startswith("*.") or any(char in base[2:] for char in "*?[]{}"):
        return False
    if risky_glob(base) is not None:
        return False
    # db-secret.yaml, service-account.json: stores whose names end in this extension (a
    # name sensitive whatever it ends in, private_key*, is the glob's business no more than
    # `cat src/*.py`'s)
    return not any(
        secret_reason(stem + base[1:]) and not secret_reason(stem + ".x-no-such-extension")
        for stem in _STORE_STEMS
    )


_STORE_STEMS = (
    "x",
    "secret",
    "secrets",
    "x-secret",
    "x-secrets",
    "x_secret",
    "credentials",
    "credential",
    "password",
    "passwords",
    "token",
    "tokens",
    "auth",
    "key",
    "private",
    "private_key",
    "service-account",
    "kubeconfig",
    "config",
    "vault",
    "keystore",
    "id_rsa",
    "master",
    ".env",
    "production",
    "prod",
    "settings",
    "database",
    "htpasswd",
    "netrc",
    "pgpass",
    "wallet",
)


# -- producers ---------------------------------------------------------------------------------

_FIND_VALUED = frozenset(["-maxdepth", "-mindepth", "-type", "-mtime", "-mmin", "-size", "-newer"])
_FIND_VALUED |= frozenset(["-user", "-group", "-perm", "-ctime", "-atime", "-cmin", "-amin"])
_FIND_VALUED |= frozenset(["-path", "-ipath", "-wholename", "-regex", "-iregex", "-links"])
_FIND_FLAGS = frozenset(["-print", "-print0", "-prune", "-empty", "-not", "!", "(", ")", "-and"])
_FIND_FLAGS |= frozenset(["-delete", "-depth"])  # -delete prints nothing; judged elsewhere
_FIND_FLAGS |= frozenset(["-a", "-true", "-false", "-readable", "-executable", "-xdev"])


def find_names(args: list[str], cwd: str | None) -> Names | None:
    """The names ``find START... EXPRESSION`` prints, or None when they cannot be told."""
    starts: list[str] = []
    index = 0
    while index < len(args) and not args[index].startswith(("-", "(", "!")):
        starts.append(args[index])
        index += 1
    if any(locate(start, cwd).where != "inside" for start in starts or ["."]):
        return None
    branches: list[list[str]] = [[]]
    expression = args[index:]
    position = 0
    while position < len(expression):
        word = expression[position]
        position += 1
        if word in ("-o", "-or"):
            branches.append([])
        elif word in ("-name", "-iname") or word in _FIND_VALUED:
            if position >= len(expression):
                return None
            branches[-1].extend([word, expression[position]])
            position += 1
        elif word in _FIND_FLAGS:
            branches[-1].append(word)
        elif word in ("-exec", "-execdir", "-ok", "-okdir"):
            while position < len(expression) and expression[position] not in (";", "+"):
                position += 1
            position += 1  # the command itself is judged elsewhere; it prints nothing here
        else:
            return None  # -L, -fprint, -delete, -printf...: not a plain list of names
    printing = any(w in ("-print", "-print0") for branch in branches for w in branch)
    patterns: list[str] = []
    for branch in branches:
        if printing and not any(w in ("-print", "-print0") for w in branch):
            continue  # `-path ./vendor -prune -o -name '*.go' -print`: the pruned side
        named = _positive_names(branch)
        if not named:
            return Names()
        patterns.extend(named)
    return Names(tuple(patterns))


def _positive_names(branch: list[str]) -> list[str]:
    """The -name globs a branch requires (not those it negates)."""
    found: list[str] = []
    for at, word in enumerate(branch[:-1]):
        if word in ("-name", "-iname") and (at == 0 or branch[at - 1] not in ("-not", "!")):
            found.append(branch[at + 1])
    return found


_LS_FILES_OK = frozenset(["-z", "-c", "--cached", "--full-name", "-m", "--modified", "--"])
_LS_FILES_OK |= frozenset(["--exclude-standard", "--recurse-submodules", "-t"])
_DIFF_NAME_OK = frozenset(["--name-only", "--cached", "--staged", "-z", "--relative", "--"])
_DIFF_VALUED = ("--diff-filter=",)


def git_names(args: list[str]) -> Names | None:
    """``git ls-files [PATHSPEC]`` (tracked files only), ``git diff --name-only``."""
    if not args:
        return None
    sub, rest = args[0], args[1:]
    if sub == "ls-files":
        allowed = _LS_FILES_OK
    elif sub == "diff" and "--name-only" in rest:
        allowed = _DIFF_NAME_OK
    else:
        return None
    pathspecs: list[str] = []
    after_dashes = False
    for arg in rest:
        if arg == "--":
            after_dashes = True
        elif arg.startswith("-") and not after_dashes:
            if arg not in allowed and not arg.startswith(_DIFF_VALUED):
                return None
        elif sub == "ls-files" or after_dashes:
            pathspecs.append(arg)
        # `git diff --name-only main...HEAD`: revisions, not paths
    return Names(tuple(pathspecs)) if all(pathspecs) else None


def _listed_names(name: str, args: list[str]) -> Names | None:
    """``echo README.md``, ``printf '%s\n' src/*.ts``, ``ls *.go``: the words (names or
    globs) printed, one per line; `ls` of a directory prints its entries, so only globs."""
    if name == "printf":
        if not args or args[0] not in ("%s\n", "%s\\n"):
            return None
        args = args[1:]
    if name == "echo" and args[:1] == ["-e"]:
        return None
    if not args or any(a.startswith("-") for a in args):
        return None
    if any(char in a for a in args for char in " \t\n'\"\\"):
        return None  # xargs splits "x .env" into two names, and reads quotes itself
    if name == "ls" and not all(any(c in a for c in "*?[") for a in args):
        return None
    return Names(tuple(args))


_SUFFIX_FILTER = re.compile(r"(?:\\\.|\[\.\])(\w+)\$?")
_PASS_THROUGH = frozenset(["sort", "uniq", "head", "tail", "cat"])


def pipeline_names(stages: list[list[str]], cwd: str | None) -> Names | None:
    """The names the last of ``stages`` prints: a producer, then filters that only drop
    lines (``grep '\\.py$'``, ``sort``, ``head``), never ones that rewrite them."""
    names: Names | None = None
    for position, argv in enumerate(stages):
        if not argv:
            return None
        name, args = argv[0], argv[1:]
        if position == 0:
            if name == "find":
                names = find_names(args, cwd)
            elif name == "git":
                names = git_names(args)
            elif name in ("echo", "printf", "ls"):
                names = _listed_names(name, args)
            if names is None:
                return None
            continue
        if name in _PASS_THROUGH and not any(not a.startswith("-") for a in args):
            continue
        if name != "grep" or names is None:
            return None
        narrowed = _grep_filter(args)
        if narrowed is None:
            return None
        if narrowed.patterns and not names.harmless:
            names = narrowed
    return names


_REVISION_FORMAT = re.compile(r"--(?:format|pretty)=(?:format:|tformat:)?%[Hh]")
_REVISION_LISTERS = frozenset(["log", "rev-list"])


def pipeline_revisions(stages: list[list[str]]) -> bool:
    """Whether the last of ``stages`` prints only commits' object names: ``git rev-list``,
    ``git log --format=%H``, then filters that only drop lines (``head -3``, ``sort -u``)."""
    if not stages or stages[0][:1] != ["git"] or len(stages[0]) < 2:
        return False
    sub, args = stages[0][1], stages[0][2:]
    if sub not in _REVISION_LISTERS:
        return False
    formats = [a for a in args if a.startswith(("--format", "--pretty", "--oneline"))]
    if sub == "log" and (len(formats) != 1 or not _REVISION_FORMAT.fullmatch(formats[0])):
        return False
    if sub == "rev-list" and formats:
        return False
    for argv in stages[1:]:
        if not argv or argv[0] not in _PASS_THROUGH or argv[0] == "cat":
            return False
        if any(not re.fullmatch(r"-[nu]|-\d+|-n\d+|\d+|--unique", a) for a in argv[1:]):
            return False
    return True


def _grep_filter(args: list[str]) -> Names | None:
    """``grep '\\.py$'`` narrows names to ``*.py``; ``grep -v x`` keeps a subset. Any
    option that changes what is printed (-o prints a part of a name) is not a filter."""
    operands = [a for a in args if not a.startswith("-")]
    options = [a for a in args if a.startswith("-")]
    plain = ("-v", "-E", "-i", "-e", "--invert-match")
    if len(operands) != 1 or any(o not in plain for o in options):
        return None
    if "-v" in options or "--invert-match" in options:
        return Names()
    match = _SUFFIX_FILTER.fullmatch(operands[0])
    return Names((f"*.{match.group(1)}",)) if match else Names()


# -- consumers ---------------------------------------------------------------------------------

_COUNTING = frozenset(["wc"])


def prints_no_contents(argv: list[str]) -> bool:
    """Whether a reader given unknown files prints only names or counts (``wc -l``,
    ``grep -l TODO``, ``ls -la``)."""
    if not argv:
        return False
    name, args = argv[0], argv[1:]
    if name in tables().name_only or name in _COUNTING or name in ("basename", "dirname"):
        return True
    if name in ("grep", "egrep", "fgrep", "rg"):
        return names_only(args)
    return False


# Readers whose code validator (not an [allow] table) says what their operands are.
_CODE_READERS = frozenset(["grep", "egrep", "fgrep", "rg", "ag", "jq", "yq", "sed", "awk", "gawk"])


def reads_its_operands(consumer: list[str]) -> bool:
    """Whether the names xargs or -exec appends are files the consumer reads or names:
    `tee`, `cp`, `touch` would write them (`… | xargs tee` empties every file)."""
    if not consumer:
        return False
    data = tables()
    if consumer[0] in data.string_only:
        return True  # basename, echo: they print the names, nothing more
    spec = data.allow.get(" ".join(consumer[:2])) or data.allow.get(consumer[0])
    if spec is not None:
        return spec.operands in ("files", "names") and spec.max_operands is None
    return consumer[0] in _CODE_READERS


def unlisted_files_harmless(names: Names | None, consumer: list[str]) -> bool:
    """Whether running ``consumer`` on ``names`` (known to be inside the repository) reads
    nothing a human must see first."""
    if names is None or not reads_its_operands(consumer):
        return False
    return names.harmless or prints_no_contents(consumer)
