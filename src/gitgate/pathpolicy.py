"""Which repository paths an automated actor may write, and which files leave in an export.

Every path here is a *git tree path*: relative, ``/``-separated, as stored in a tree object.
The paths come from actors that may be manipulated, so the checks assume the worst: a path
is judged on its raw form *and* on the forms a filesystem may turn it into (Unicode NFC and
NFKC, case folding, NTFS dropping trailing dots and spaces, HFS+ ignoring some invisible code
points, Windows 8.3 short names, percent-decoding by a web layer). A path is refused when any
of those forms breaks a rule.

The module is pure (stdlib only) so every layer of gitgate can use it.

Decisions worth knowing:

* ``public.pem.example`` and ``.env.example`` are *safe*: templates meant to be committed.
  Public keys (``id_rsa.pub``) are safe too.
* Sensitive directories and export directories (``secrets/``, ``build/``...) match at any
  depth, so ``src/mypkg/build/x.py`` is not exported. Policy ``extra_excludes`` cannot
  re-include it.
* Invisible formatting characters (zero-width, bidi overrides) are refused outright: they let
  a path read differently to the reviewing human than to the machine.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import unquote

__all__ = [
    "EXPORT_EXCLUDES",
    "SENSITIVE_PATTERNS",
    "PathVerdict",
    "check_no_symlink_parent",
    "check_path",
    "check_symlink_target",
    "export_exclusion_reason",
    "is_exportable",
    "is_sensitive_name",
    "matches_pattern",
]

MAX_PATH_BYTES = 4096
MAX_COMPONENT_BYTES = 255

# Glob patterns (see :func:`matches_pattern` for the syntax) of files that hold secrets.
# ``.env.*`` and ``id_*`` have exceptions handled in :data:`_SENSITIVE_EXCEPTIONS`.
SENSITIVE_PATTERNS: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.key",
    "*.pem",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "secrets/",
    "credentials.json",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".aws/credentials",
    ".ssh/",
    "*.keystore",
    "*.jks",
    ".htpasswd",
    "service-account*.json",
)

# Names that match a sensitive pattern but are meant to be shared: env templates and public
# keys. Only consulted for the patterns listed as keys.
_SENSITIVE_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    ".env.*": (".env.example", ".env.sample", ".env.template"),
    "id_rsa*": ("*.pub",),
    "id_dsa*": ("*.pub",),
    "id_ecdsa*": ("*.pub",),
    "id_ed25519*": ("*.pub",),
}

# (pattern, category) of generated or bulky files that never go into an export bundle.
_EXPORT_RULES: tuple[tuple[str, str], ...] = (
    (".git/", "git's own directory"),
    ("node_modules/", "dependency directory"),
    (".venv/", "virtual environment"),
    ("venv/", "virtual environment"),
    ("build/", "build output"),
    ("dist/", "build output"),
    ("logs/", "log directory"),
    ("*.log", "log file"),
    ("__pycache__/", "bytecode cache"),
    ("*.pyc", "bytecode cache"),
    (".coverage", "coverage output"),
    (".coverage.*", "coverage output"),
    ("coverage/", "coverage output"),
    ("htmlcov/", "coverage output"),
    (".nyc_output/", "coverage output"),
    ("coverage.xml", "coverage output"),
    ("lcov.info", "coverage output"),
    (".tox/", "tool cache"),
    (".pytest_cache/", "tool cache"),
    (".mypy_cache/", "tool cache"),
)
EXPORT_EXCLUDES: tuple[str, ...] = tuple(pattern for pattern, _ in _EXPORT_RULES)

# Code points HFS+ ignores when comparing names (git's is_hfs_dotgit list), plus other
# zero-width characters: ".g\u200cit" is ".git" to macOS.
_IGNORABLE = frozenset(
    [0x00AD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x2070))
)
_IGNORABLE_TABLE = dict.fromkeys(_IGNORABLE)

# NTFS 8.3 short names: "GIT~1" is ".git", "GITMOD~1" is ".gitmodules"; git also refuses the
# hashed short-name form of .gitmodules ("gi7eba~N").
_SHORT_DOTGIT = re.compile(r"git~\d+")
_SHORT_GITMODULES = re.compile(r"(gitmod~\d+|gi7eba~\d+)")
_DRIVE = re.compile(r"^[A-Za-z]:")
# Percent-escapes of '.', '/', '\\' and NUL: only useful to smuggle traversal past a decoder.
_ENCODED_SEPARATOR = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PathVerdict:
    """The judgement of one path.

    Attributes:
        path: the path as given.
        safe: whether the path may be written.
        reason: empty when safe; otherwise one line saying which rule refused it.
    """

    path: str
    safe: bool
    reason: str


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------


def _strip_ignorable(text: str) -> str:
    return text.translate(_IGNORABLE_TABLE)


def _component_forms(component: str) -> tuple[str, ...]:
    """Every name a filesystem might take ``component`` for, case-folded, in a fixed order.

    The forms are, in order: raw; NFC; NFKC; NFKC with HFS+ ignorable code points removed;
    that without NTFS's dropped trailing dots and spaces; and that cut at the first colon
    (NTFS alternate data streams: ``.git::$INDEX_ALLOCATION`` is ``.git``). The fixed order
    lets :func:`_path_variants` build whole-path spellings form by form.
    """
    raw = component.casefold()
    nfc = unicodedata.normalize("NFC", component).casefold()
    nfkc = unicodedata.normalize("NFKC", component).casefold()
    # casefold can leave text unnormalised ("ẞ" -> "ss" is fine, others are not), and
    # NFKC can map some characters onto ignorables: strip and normalise again afterwards.
    bare = unicodedata.normalize("NFKC", _strip_ignorable(nfkc).casefold())
    bare = _strip_ignorable(bare)
    trimmed = bare.rstrip(". ")
    stream = trimmed.split(":", 1)[0].rstrip(". ")
    return (raw, nfc, nfkc, bare, trimmed, stream)


def _is_dotgit(forms: Iterable[str]) -> bool:
    return any(form == ".git" or _SHORT_DOTGIT.fullmatch(form) for form in forms)


def _is_gitmodules(forms: Iterable[str]) -> bool:
    return any(form == ".gitmodules" or _SHORT_GITMODULES.fullmatch(form) for form in forms)


def _is_dots_only(forms: Iterable[str]) -> bool:
    # Windows resolves "..." and ".. " like "..": a name of only dots and spaces is traversal.
    return any(form != "" and form.strip(". ") == "" and "." in form for form in forms)


def _utf8_len(text: str) -> int | None:
    """UTF-8 byte length, or None when the text holds lone surrogates (not valid UTF-8)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _control_character(text: str) -> str | None:
    """Describe the first NUL or control character in ``text``, or None."""
    for char in text:
        if char == "\x00":
            return "NUL byte"
        if unicodedata.category(char) == "Cc":
            return f"control character U+{ord(char):04X}"
    return None


def _invisible_character(text: str) -> str | None:
    """Describe the first invisible formatting character (zero-width, bidi) in ``text``."""
    for char in text:
        if unicodedata.category(char) == "Cf" or ord(char) in _IGNORABLE:
            return f"invisible formatting character U+{ord(char):04X}"
    return None


def _bad_character(text: str) -> str | None:
    """Describe the first control or invisible character in ``text``, or None."""
    return _control_character(text) or _invisible_character(text)


def _is_absolute(path: str) -> bool:
    return path.startswith(("/", "\\")) or bool(_DRIVE.match(path))


# --------------------------------------------------------------------------------------------
# Pattern matching
# --------------------------------------------------------------------------------------------


def matches_pattern(components: Sequence[str], pattern: str, *, is_dir: bool = False) -> bool:
    """Whether a path (already split and case-folded) matches one policy glob pattern.

    Syntax (fnmatch, case-insensitive): a pattern ending with ``/`` names a directory at any
    depth (``secrets/`` matches ``a/secrets/b``); a pattern containing ``/`` otherwise matches
    the whole path or a tail of it at a component boundary (``.aws/credentials`` matches
    ``home/.aws/credentials``); any other pattern matches the name of any component.

    Args:
        components: the path's components, case-folded.
        pattern: the glob pattern.
        is_dir: whether the path itself names a directory (its last component counts as one).

    Returns:
        True when the pattern matches.
    """
    pattern = _normalised_pattern(pattern)
    if not pattern or not components:
        return False
    if pattern.endswith("/"):
        dirs = components if is_dir else components[:-1]
        if not dirs:
            return False
        directory = pattern.rstrip("/")
        if "/" not in directory:
            return any(fnmatchcase(name, directory) for name in dirs)
        return fnmatchcase("/" + "/".join(dirs) + "/", "*/" + directory.lstrip("/") + "/*")
    if "/" in pattern:
        return fnmatchcase("/" + "/".join(components), "*/" + pattern.lstrip("/"))
    return any(fnmatchcase(name, pattern) for name in components)


@functools.lru_cache(maxsize=1024)
def _normalised_pattern(pattern: str) -> str:
    # Called for every (path, pattern) pair: exports check thousands of paths per bundle.
    return unicodedata.normalize("NFKC", pattern.strip().casefold())


def _matching_pattern(
    forms_per_component: Sequence[tuple[str, ...]], patterns: Iterable[str], *, is_dir: bool
) -> str | None:
    """The first pattern any normalised form of the path matches, honouring exceptions."""
    variants = _path_variants(forms_per_component)
    for pattern in patterns:
        exceptions = _SENSITIVE_EXCEPTIONS.get(pattern, ())
        for components in variants:
            if not matches_pattern(components, pattern, is_dir=is_dir):
                continue
            if exceptions and _only_excepted(components, pattern, exceptions):
                continue
            return pattern
    return None


def _only_excepted(components: Sequence[str], pattern: str, exceptions: Sequence[str]) -> bool:
    """True when every component matching ``pattern`` is one of its allowed exceptions."""
    hits = [name for name in components if fnmatchcase(name, pattern)]
    return bool(hits) and all(any(fnmatchcase(n, exc) for exc in exceptions) for n in hits)


def _path_variants(forms_per_component: Sequence[tuple[str, ...]]) -> list[list[str]]:
    """Whole-path spellings, one per normalisation step applied to every component.

    The full product of component forms would explode; applying the same step to every
    component is what a filesystem does anyway.
    """
    if not forms_per_component:
        return []
    width = len(forms_per_component[0])
    return [[forms[k] for forms in forms_per_component] for k in range(width)]


# --------------------------------------------------------------------------------------------
# check_path
# --------------------------------------------------------------------------------------------


def _structural_problem(path: str) -> str | None:
    """Why ``path`` is unsafe as a tree path regardless of its names, or None."""
    if path == "":
        return "empty path"
    size = _utf8_len(path)
    if size is None:
        return "not valid UTF-8 (lone surrogate)"
    if size > MAX_PATH_BYTES:
        return f"path is {size} bytes long (limit {MAX_PATH_BYTES})"
    bad = _control_character(path)
    if bad is not None:
        return f"{bad} in path"
    if _is_absolute(path):
        return "absolute path: tree paths are relative to the repository root"
    if "\\" in path:
        return "backslash in path: it is a directory separator on Windows"
    return None


def _component_problem(component: str, forms: tuple[str, ...]) -> str | None:
    """Why one component is unsafe (traversal, git internals, length), or None."""
    if component == "":
        return "empty component ('//' or trailing '/')"
    if component == "..":
        return "'..' component: escapes the directory"
    if component == ".":
        return "'.' component: not a valid tree entry"
    length = _utf8_len(component) or 0
    if length > MAX_COMPONENT_BYTES:
        return f"component is {length} bytes long (limit {MAX_COMPONENT_BYTES})"
    if _is_dots_only(forms):
        return f"{component!r} component: a name of only dots is traversal on Windows"
    if _is_dotgit(forms):
        return f"{component!r} component: writes into git's own directory ('.git')"
    if _is_gitmodules(forms):
        return f"{component!r} component: '.gitmodules' can point submodules at any URL"
    return None


def _percent_problem(path: str) -> str | None:
    """Refuse percent-escapes that decode into separators, dots or unsafe paths."""
    if "%" not in path:
        return None
    if _ENCODED_SEPARATOR.search(path):
        return "percent-encoded '.', '/', '\\' or NUL: hides traversal from checks"
    decoded = path
    for _ in range(3):  # double and triple encoding ("%252e") decode in layers
        step = unquote(decoded, errors="surrogateescape")
        if step == decoded:
            break
        decoded = step
        if _ENCODED_SEPARATOR.search(decoded):
            return "multiply percent-encoded '.', '/', '\\' or NUL: hides traversal"
    if decoded != path:
        inner = _unsafe_reason(decoded)
        if inner is not None:
            return f"percent-decodes to an unsafe path ({inner})"
    return None


def _split(path: str) -> tuple[list[str], bool]:
    """Split a tree path; one trailing '/' marks a directory and is dropped."""
    is_dir = path.endswith("/") and not path.endswith("//")
    body = path[:-1] if is_dir else path
    return body.split("/"), is_dir


def _unsafe_reason(path: str) -> str | None:
    """The structural (non-sensitive) reason a path is refused, or None."""
    problem = _structural_problem(path)
    if problem is not None:
        return problem
    components, _ = _split(path)
    for component in components:
        problem = _component_problem(component, _component_forms(component))
        if problem is not None:
            return problem
    # Checked after the components so ".g\u200cit" is reported as the '.git' trick it is.
    invisible = _invisible_character(path)
    if invisible is not None:
        return f"{invisible} in path: the name reads differently to people"
    return _percent_problem(path)


def _sensitive_rule(path: str, extra: Sequence[str]) -> str | None:
    """The sensitive pattern (built-in or extra) the path matches, or None."""
    components, is_dir = _split(path)
    forms = [_component_forms(component) for component in components]
    return _matching_pattern(forms, (*SENSITIVE_PATTERNS, *extra), is_dir=is_dir)


def check_path(path: str, *, extra_sensitive: Sequence[str] = ()) -> PathVerdict:
    """Decide whether an actor may write ``path`` in a repository.

    Args:
        path: a git tree path (relative, ``/``-separated). One trailing ``/`` marks a
            directory.
        extra_sensitive: more glob patterns from the repository policy (see
            :func:`matches_pattern` for the syntax).

    Returns:
        A :class:`PathVerdict`; ``reason`` names the rule that refused the path.
        Never raises for any ``str``.
    """
    if not isinstance(path, str):  # defensive: callers may pass bytes from git
        return PathVerdict(repr(path), False, "path is not text")
    reason = _unsafe_reason(path)
    if reason is None:
        rule = _sensitive_rule(path, extra_sensitive)
        if rule is not None:
            reason = f"sensitive file ({rule}): may hold secrets"
    return PathVerdict(path, reason is None, reason or "")


def is_sensitive_name(path: str, *, extra_sensitive: Sequence[str] = ()) -> str | None:
    """The sensitive pattern ``path`` matches, ignoring structural checks, or None.

    Used by the command classifier for paths outside the repository (``~/.ssh/id_rsa``),
    which :func:`check_path` would refuse as absolute before looking at their names.

    Args:
        path: any ``/``-separated path, absolute or relative.
        extra_sensitive: more glob patterns from the repository policy.

    Returns:
        The matching pattern, or None.
    """
    try:
        cleaned = path.replace("\\", "/").strip("/")
        if not cleaned:
            return None
        return _sensitive_rule(cleaned, extra_sensitive)
    except Exception:  # noqa: BLE001 - conservative: an unjudgeable path is sensitive
        return "unreadable path"


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def export_exclusion_reason(path: str, *, extra_excludes: Sequence[str] = ()) -> str | None:
    """Why ``path`` is left out of an export bundle, or None when it is exported.

    Args:
        path: a git tree path.
        extra_excludes: more glob patterns from the repository policy.

    Returns:
        One line such as ``"sensitive file (.env)"`` or ``"build output (dist/)"``, or None.
    """
    unsafe = _unsafe_reason(path) if isinstance(path, str) else "path is not text"
    if unsafe is not None:
        return f"unsafe path: {unsafe}"
    rule = _sensitive_rule(path, ())
    if rule is not None:
        return f"sensitive file ({rule})"
    components, is_dir = _split(path)
    forms = [_component_forms(component) for component in components]
    for pattern, category in _EXPORT_RULES:
        if _matching_pattern(forms, (pattern,), is_dir=is_dir):
            return f"{category} ({pattern})"
    extra = _matching_pattern(forms, extra_excludes, is_dir=is_dir)
    if extra is not None:
        return f"excluded by policy ({extra})"
    return None


def is_exportable(path: str, *, extra_excludes: Sequence[str] = ()) -> bool:
    """Whether ``path`` goes into an export bundle.

    Args:
        path: a git tree path.
        extra_excludes: more glob patterns from the repository policy.

    Returns:
        True when no exclusion rule matches (see :func:`export_exclusion_reason`).
    """
    return export_exclusion_reason(path, extra_excludes=extra_excludes) is None


# --------------------------------------------------------------------------------------------
# Symlinks
# --------------------------------------------------------------------------------------------


def _resolve_target(link_path: str, target: str) -> tuple[list[str] | None, list[str]]:
    """Resolve ``target`` against the link's directory, lexically.

    Returns:
        (resolved components, or None when the target climbs above the repository root;
        every component named along the way).
    """
    resolved = link_path.split("/")[:-1]
    seen: list[str] = []
    for part in target.split("/"):
        if part in ("", "."):
            continue
        seen.append(part)
        if part == "..":
            if not resolved:
                return None, seen
            resolved.pop()
        else:
            resolved.append(part)
    return resolved, seen


def check_symlink_target(link_path: str, target: str) -> PathVerdict:
    """Decide whether a symlink at ``link_path`` may point to ``target``.

    The link's own path must pass :func:`check_path`. The target must be relative, free of
    control characters, stay inside the repository when resolved from the link's directory,
    not pass through or point into ``.git``, and not point at a sensitive file (the link would
    expose it under an innocent name).

    The resolution is lexical: symlinks *inside* the target path are not followed; callers
    writing through links use :func:`check_no_symlink_parent` as well.

    Args:
        link_path: the tree path of the symlink.
        target: the link's target text.

    Returns:
        A :class:`PathVerdict` about ``link_path``.
    """
    link = check_path(link_path)
    if not link.safe:
        return link

    def refuse(reason: str) -> PathVerdict:
        return PathVerdict(link_path, False, f"symlink target {target!r}: {reason}")

    if target == "":
        return refuse("empty target")
    size = _utf8_len(target)
    if size is None or size > MAX_PATH_BYTES:
        return refuse("not valid UTF-8 or too long")
    bad = _bad_character(target)
    if bad is not None:
        return refuse(bad)
    if _is_absolute(target):
        return refuse("absolute target points outside the repository")
    if "\\" in target:
        return refuse("backslash in target: a directory separator on Windows")
    resolved, seen = _resolve_target(link_path, target)
    if resolved is None:
        return refuse("escapes the repository")
    for part in seen:
        forms = _component_forms(part)
        if _is_dotgit(forms):
            return refuse("points into git's own directory ('.git')")
        if part != ".." and _is_dots_only(forms):
            return refuse(f"{part!r}: a name of only dots is traversal on Windows")
    if not resolved:
        return PathVerdict(link_path, True, "")  # the repository root itself
    rule = _sensitive_rule("/".join(resolved), ())
    if rule is not None:
        return refuse(f"points at a sensitive file ({rule})")
    return PathVerdict(link_path, True, "")


def check_no_symlink_parent(path: str, is_symlink: Callable[[str], bool]) -> PathVerdict:
    """Refuse a write to ``path`` when one of its parent directories is a symlink.

    Writing ``a/b/file`` when ``a`` is a symlink to ``/etc`` or ``../..`` would land the file
    outside the repository.

    Args:
        path: the tree path to be written; it must also pass :func:`check_path`.
        is_symlink: called with each proper prefix as a tree path without a trailing slash
            (``"a"``, ``"a/b"``); returns whether the repository holds a symlink there.
            Exceptions it raises propagate.

    Returns:
        A :class:`PathVerdict` naming the first symlinked parent.
    """
    verdict = check_path(path)
    if not verdict.safe:
        return verdict
    components, _ = _split(path)
    for depth in range(1, len(components)):
        prefix = "/".join(components[:depth])
        if is_symlink(prefix):
            return PathVerdict(
                path, False, f"parent {prefix!r} is a symlink: the write could leave the repository"
            )
    return PathVerdict(path, True, "")
