"""Where a file operand points, and whether reading it is fine.

Commands run at the repository's root. A path is *inside* when, joined to the walk's current
directory and normalised, it stays relative and does not climb out with ``..``. Everything
else (absolute paths, ``~``, ``$HOME``, ``..`` escapes, paths after ``cd /elsewhere``) is
*outside*: reading it needs a human, and reading a secret store is denied. Names inside the
repository are judged by the shared sensitive-path catalogue
(:func:`gitgate.safety.pathpolicy.is_sensitive_name`); absolute secret locations and home credential
stores come from the classifier's data file.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Literal

from gitgate.safety.classify.model import Finding, approve, deny
from gitgate.safety.classify.tables import tables
from gitgate.safety.pathpolicy import is_sensitive_name

Where = Literal["inside", "outside", "device", "unknown"]

_HOME_PREFIX = re.compile(r"^(~[^/]*|/home/[^/]+|/users/[^/]+|/root|/var/root)(/|$)", re.IGNORECASE)
_PROC_SECRET = re.compile(r"^/proc/[^/]+/(task/[^/]+/)?(environ|mem|cmdline|maps|auxv|fd/.*)$")
_GLOB_CHARS = "*?[{"


@dataclass(frozen=True, slots=True)
class Located:
    """A path operand resolved against the walk's current directory."""

    where: Where
    path: str  # normalised: repository-relative, absolute, or ~/...


def join_cwd(cwd: str | None, text: str) -> str | None:
    """``text`` seen from ``cwd`` (see :class:`~gitgate.safety.classify.model.Ctx`), normalised."""
    if text.startswith(("/", "~")):
        return _normal(text)
    if cwd is None:
        return None
    return _normal(posixpath.join(cwd, text) if cwd else text)


def _normal(text: str) -> str:
    if text.startswith("~"):
        user, slash, rest = text.partition("/")
        return user + (("/" + posixpath.normpath(rest)) if slash and rest else "")
    normal = posixpath.normpath(text) if text else "."
    return "/" + normal.lstrip("/") if normal.startswith("//") else normal


_WINDOWS_ABSOLUTE = re.compile(r"[A-Za-z]:[\\/]|\\\\")


def locate(text: str, cwd: str | None) -> Located:
    """Where ``text`` points when the shell is in ``cwd``."""
    if _WINDOWS_ABSOLUTE.match(text):
        return Located("outside", text)  # C:\\Users, \\\\server\\share: absolute to Windows
    path = join_cwd(cwd, text)
    if path is None:
        return Located("unknown", text)
    if path.startswith("/dev/") or path == "/dev":
        return Located("device", path)
    if path.startswith(("/", "~")) or path == ".." or path.startswith("../"):
        return Located("outside", path)
    return Located("inside", path)


@lru_cache(maxsize=4096)
def secret_reason(path: str, extra: tuple[str, ...] = ()) -> str | None:
    """Why the normalised ``path`` holds secrets, or None (a pure function: cached)."""
    if not path or "://" in path:
        return None
    data = tables()
    lowered = path.lower()
    if data.raw_devices.match(lowered):
        return f"the raw device {path}"
    globbed = any(char in path for char in _GLOB_CHARS)
    for candidate in _absolute_readings(lowered):
        for location in data.secret_locations:
            spot = location.lower()
            if globbed and fnmatchcase(spot, candidate):
                return f"the secret location {location} (glob {path})"
            if candidate == spot or candidate.startswith(spot.rstrip("/") + "/"):
                return f"the secret location {location}"
            if spot.endswith("_") and candidate.startswith(spot):
                return f"the secret location {location}"
        if _PROC_SECRET.match(candidate):
            return "another process's environment or memory"
    home_rest = _home_relative(path)
    if home_rest is not None and home_rest.lower() in data.home_readable:
        return None  # ~/.ssh/known_hosts, ~/.ssh/config: no key in them
    if home_rest is not None:
        for secret in data.home_secrets:
            if _covers(secret, home_rest):
                return f"the credential store ~/{secret}"
    named = _secret_name(lowered)
    if named is not None:
        return f"a credential store ({named})"
    rule = is_sensitive_name(path, extra_sensitive=extra) or is_sensitive_name(
        path + "/", extra_sensitive=extra
    )
    return f"a sensitive file ({rule})" if rule is not None else None


def _covers(secret: str, rest: str) -> bool:
    """Whether reading ``rest`` (below home) reads the secret entry ``secret``."""
    if rest.endswith(".pub"):
        return False
    if rest == secret or rest.startswith(secret + "/"):
        return True
    if any(char in rest for char in _GLOB_CHARS):  # ~/.ssh/* may match ~/.ssh/id_rsa
        example = secret.replace("*", "x").replace("?", "x")
        if fnmatchcase(example, rest) or fnmatchcase(example, rest + "/*"):
            return True
    if not any(char in secret for char in "*?["):
        return False
    directory = secret.rpartition("/")[0]
    return (
        rest == directory
        or fnmatchcase(rest, secret)
        or any(fnmatchcase(part, secret) for part in _prefixes(rest))
    )


def _prefixes(rest: str) -> list[str]:
    parts = rest.split("/")
    return ["/".join(parts[:count]) for count in range(1, len(parts))]


def _secret_name(lowered: str) -> str | None:
    """The credential-store name the path's last components match, or None."""
    if lowered.endswith(".pub"):
        return None
    parts = [part for part in lowered.split("/") if part not in ("", ".", "~")]
    expressions = tables().secret_name_res
    for count in (1, 2, 3):
        if len(parts) < count:
            break
        expression = expressions[count - 1]
        tail = "/".join(parts[-count:])
        if expression is not None and expression.match(tail):
            return next(p for p in tables().secret_names if fnmatchcase(tail, p))
    return None


def _absolute_readings(lowered: str) -> list[str]:
    """``lowered`` as an absolute path, also when it climbs out with ``..`` (which may reach /)."""
    if lowered.startswith("/"):
        return [lowered]
    if lowered.startswith("../"):
        rest = lowered
        while rest.startswith("../"):
            rest = rest[3:]
        return ["/" + rest]
    return []


def _home_relative(path: str) -> str | None:
    """The part of ``path`` below a home directory, lower-cased, or None."""
    match = _HOME_PREFIX.match(path)
    if match is not None:
        return path[match.end() :].lower()
    if path.startswith("../"):
        rest = path
        while rest.startswith("../"):
            rest = rest[3:]
        return rest.lower()  # ../../.ssh/id_rsa from ~/src/repo is ~/.ssh/id_rsa
    return None


def startup_file(path: str) -> str | None:
    """Which shell, session or tool start-up file (``~/.bashrc``, ``~/.gitconfig``, a ``.pth``
    file of the user's site-packages) the normalised ``path`` is or is under, or None:
    what is written there runs in every later shell, login or program start."""
    rest = _home_relative(path)
    if rest is None:
        return None
    for entry in tables().startup_files:
        if _covers(entry, rest.rstrip("/")):
            return f"~/{entry}"
    return None


def holds_secrets(path: str) -> str | None:
    """Whether the directory ``path`` (normalised) holds secret stores: ``/``, ``~``, ``/etc``,
    ``~/.config``... Reading it recursively reads them."""
    data = tables()
    lowered = path.lower().rstrip("/") or "/"
    if lowered in ("/", "~", "/home", "/users", "/root") or re.fullmatch(r"~[^/]*", lowered):
        return f"{path} holds credential stores"
    for location in data.secret_locations:
        if location.lower().startswith(lowered + "/"):
            return f"{path} holds {location}"
    rest = _home_relative(path)
    if rest is not None:
        rest = rest.rstrip("/")
        if not rest:
            return f"{path} is a home directory"
        for secret in data.home_secrets:
            if secret.startswith(rest + "/"):
                return f"{path} holds ~/{secret}"
    return None


# What makes a command indirect: a computed command name or word splitting, xargs, eval,
# source, here-strings, a shell given a string. Its parts cannot be judged one by one, so a
# secret named anywhere in it is read for all anyone can tell.
_INDIRECT_RE = re.compile(
    r"(?:^|[;&|(`]|\$\()\s*\$|\$\{?IFS\b|\bxargs\b|\beval\b|\bsource\b|<<<"
    r"|\b(?:ba|z|da|k)?sh\s+-c\b"
)
_WORD_BREAK_RE = re.compile(r"\$\{IFS\}|\$IFS\b|[\s;|&<>()`'\"=]+")
_HOME_RE = re.compile(r"^(?:\$HOME|\$\{HOME\})(?=/|$)")


def indirect_secret(text: str) -> str | None:
    """The secret an indirect command names (``c=cat; f=~/.aws/credentials; $c $f``,
    ``echo .env | xargs cat``), or None."""
    if _INDIRECT_RE.search(text) is None:
        return None
    for word in _WORD_BREAK_RE.split(text):
        word = _HOME_RE.sub("~", word)
        if not word or word.startswith("-") or "$" in word:
            continue
        path = _normal(word.removeprefix("./"))
        reason = secret_reason(path) if path else None
        if reason is not None:
            return reason
    return None


# bash expands braces only around a comma list or a range: {a,b}, {1..3}. `HEAD^{tree}` and
# `{{.State.Status}}` stay as they are.
_BRACE_EXPANSION = re.compile(r"\{[^{}]*(?:,|\.\.)[^{}]*\}")


def risky_glob(text: str) -> str | None:
    """Why a glob or brace operand might match a secret file, or None."""
    if not any(char in text for char in "*?[") and not _BRACE_EXPANSION.search(text):
        return None
    directory, _, base = text.rpartition("/")
    if any(char in directory for char in _GLOB_CHARS) or "{" in base:
        return f"glob {text!r} may match sensitive files"
    if any(fnmatchcase(sample, base.lower()) for sample in tables().samples):
        return f"glob {text!r} may match sensitive files"
    return None


def judge_path(
    shown: str, text: str, cwd: str | None, *, contents: bool, extra: tuple[str, ...] = ()
) -> Finding | None:
    """A finding about a command reading (``contents``) or naming the file ``text``, or None.

    Args:
        shown: the words to quote in the reason.
        text: the path as the shell will see it (quotes removed, ``$HOME`` as ``~``).
        cwd: the walk's current directory.
        contents: whether the command reads the file's bytes (cat) or only its name (ls).
        extra: more sensitive-path patterns from the repository policy.
    """
    if not text or "://" in text or text == "-":
        return None
    data = tables()
    place = locate(text, cwd)
    secret = secret_reason(place.path, extra) or (
        secret_reason(text, extra) if place.path != text else None
    )
    if secret is not None and contents:
        return deny(f"{shown!r} reads {secret}")
    # Naming a secret in the repository (`ls -la .env`, `test -f .env`, `git check-ignore
    # .env`, `find . -name '*.pem'`) reads nothing of it: judged by where it is, like any name.
    if place.where == "device":
        if place.path in data.harmless_sources or place.path in data.harmless_sinks:
            return None
        return approve(f"{shown!r}: {place.path} is a device file, not a bounded file")
    if contents and (place.path == ".git/config" or place.path.endswith("/.git/config")):
        # remote URLs with tokens, actions/checkout's http.extraheader
        return approve(f"{shown!r}: git's configuration may hold credentials")
    if place.where == "unknown":
        return approve(f"{shown!r}: the current directory is not known")
    if place.where == "outside":
        return approve(f"{shown!r} reaches {place.path}, outside the repository")
    glob = risky_glob(place.path)
    if glob is not None and contents:
        aimed = glob_aimed_at_secret(place.path)
        if aimed is not None:
            return deny(f"{shown!r}: glob {place.path!r} is aimed at {aimed}")
        return approve(f"{shown!r}: {glob}")
    return None


def glob_aimed_at_secret(text: str) -> str | None:
    """The sensitive name a glob spells out the start of (``.e*``, ``.en?``, ``id_*``), or None.

    A glob that starts with literal text (or a dot: ``.*`` is every hidden file) and matches a
    credential store reads it, like naming it would. ``*.yml`` or ``src/*`` start with a
    wildcard: they only *may* match one, which needs a human, not a refusal."""
    base = text.rpartition("/")[2].lower()
    first = min((base.find(c) for c in _GLOB_CHARS if c in base), default=-1)
    if first < 0 or "{" in base:
        return None
    prefix = base[:first]
    if len(prefix) < 2 and prefix != ".":
        return None
    return next((sample for sample in tables().samples if fnmatchcase(sample, base)), None)
