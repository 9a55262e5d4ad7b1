"""Differential tests: the fast path policy against a frozen copy of the reference algorithm.

``gitgate.safety.pathpolicy`` answers ``export_exclusion_reason``, ``check_path``,
``is_sensitive_name`` and ``check_symlink_target`` through per-component caches and regex
prefilters. Those are security checks, so the fast versions must return exactly what the
original, straightforward implementation returned for every input. The original algorithm
is kept below, verbatim except for names (``reference_*``) and the dropped lru_cache; the
policy *data* (pattern lists, code-point tables, regexes) is imported, so a policy change
does not break this test but any change of how it is applied does.

The catalogue of sensitive paths (issue 10) changed verdicts on purpose, and the reference
knows nothing of those rules: a first component a shell expands (``~``, ``$HOME``,
``%APPDATA%``), names of only or ending in whitespace, copies of sensitive files
(``.pgpass.bak``) and policy exemptions (``!pattern``). Where one of them *may* apply
(:func:`catalogue_rules_may_apply`, written here independently of the module and erring
towards "may"), the fast verdict is only required to be at least as strict as the reference
(:func:`assert_at_least_as_strict`); everywhere else it must be identical.

``benchmarks/bench_pathpolicy.py`` imports the reference from here to time both.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gitgate.safety import pathpolicy
from gitgate.safety.lookalike import fold
from gitgate.safety.pathpolicy import (
    _DRIVE,
    _ENCODED_SEPARATOR,
    _EXPORT_RULES,
    _IGNORABLE,
    _IGNORABLE_TABLE,
    _SENSITIVE_EXCEPTIONS,
    _SENSITIVE_PATH_EXCEPTIONS,
    _SHORT_DOTGIT,
    _SHORT_GITMODULES,
    MAX_COMPONENT_BYTES,
    MAX_PATH_BYTES,
    SENSITIVE_PATTERNS,
    PathVerdict,
    check_path,
    check_symlink_target,
    export_exclusion_reason,
    is_exportable,
    is_sensitive_name,
)

# --------------------------------------------------------------------------------------------
# The reference: gitgate.safety.pathpolicy as it was before the fast path (commit 93ccb32)
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


def reference_matches_pattern(
    components: Sequence[str], pattern: str, *, is_dir: bool = False
) -> bool:
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


@functools.cache  # a pure function of the pattern; the reference calls it per pattern per path
def _normalised_pattern(pattern: str) -> str:
    return unicodedata.normalize("NFKC", pattern.strip().casefold())


def _matching_pattern(
    forms_per_component: Sequence[tuple[str, ...]], patterns: Iterable[str], *, is_dir: bool
) -> str | None:
    """The first pattern any normalised form of the path matches, honouring exceptions."""
    variants = _path_variants(forms_per_component)
    for pattern in patterns:
        exceptions = _SENSITIVE_EXCEPTIONS.get(pattern, ())
        for components in variants:
            if not reference_matches_pattern(components, pattern, is_dir=is_dir):
                continue
            if exceptions and _only_excepted(components, pattern, exceptions):
                continue
            # Not in 93ccb32: files a directory rule shares (".ssh/*.pub"), added on purpose.
            if not is_dir and any(
                reference_matches_pattern(components, shared)
                for shared in _SENSITIVE_PATH_EXCEPTIONS.get(pattern, ())
            ):
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


def reference_check_path(path: str, *, extra_sensitive: Sequence[str] = ()) -> PathVerdict:
    """Decide whether an actor may write ``path`` in a repository.

    Args:
        path: a git tree path (relative, ``/``-separated). One trailing ``/`` marks a
            directory.
        extra_sensitive: more glob patterns from the repository policy (see
            :func:`reference_matches_pattern` for the syntax).

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


def reference_is_sensitive_name(path: str, *, extra_sensitive: Sequence[str] = ()) -> str | None:
    """The sensitive pattern ``path`` matches, ignoring structural checks, or None.

    Used by the command classifier for paths outside the repository (``~/.ssh/id_rsa``),
    which :func:`reference_check_path` would refuse as absolute before looking at their names.

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


def reference_export_exclusion_reason(
    path: str, *, extra_excludes: Sequence[str] = ()
) -> str | None:
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


def reference_check_symlink_target(link_path: str, target: str) -> PathVerdict:
    """Decide whether a symlink at ``link_path`` may point to ``target``.

    The link's own path must pass :func:`reference_check_path`. The target must be relative, free of
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
    link = reference_check_path(link_path)
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


# --------------------------------------------------------------------------------------------
# Where the catalogue's new rules change verdicts on purpose
# --------------------------------------------------------------------------------------------

_COPY_SUFFIXES = tuple(pathpolicy.CATALOGUE.copy_suffixes)
_EXPANDS = re.compile(r"\$[a-z0-9_{(]|`|%[a-z_][a-z0-9_()]*%", re.IGNORECASE)


def _spellings(path: str) -> set[str]:
    """The path, its percent-decodings and their NFKC case-folded forms."""
    texts = {path}
    decoded = path
    for _ in range(4):
        decoded = unquote(decoded, errors="surrogateescape")
        texts.add(decoded)
    folded = {
        unicodedata.normalize("NFKC", t).casefold() for t in texts if _utf8_len(t) is not None
    }
    return texts | folded


# Dotfile managers' source names (chezmoi's `dot_netrc`, yadm's `x##class.Work`) are also
# judged as the file they install: any name starting with one of the catalogue's source
# prefixes, or holding its alternate marker, may be.
_CATALOGUE = pathpolicy.CATALOGUE
_SOURCE_STARTS = tuple(
    start
    for start in (*_CATALOGUE.source_prefixes, _CATALOGUE.source_literal, _CATALOGUE.source_dot)
    if start
)


def _may_name_source(name: str) -> bool:
    lowered = name.lower()
    marker = _CATALOGUE.alternate_marker
    return lowered.startswith(_SOURCE_STARTS) or bool(marker and marker in name)


def _component_may_change(name: str) -> bool:
    bare = _strip_ignorable(name)
    if not bare:
        return False
    return (
        _EXPANDS.search(bare) is not None
        or bare.isspace()
        or bare[-1].isspace()
        or bare.rstrip(". ").lower().endswith(_COPY_SUFFIXES)
        or _may_name_source(name)
        or _may_name_source(bare)
    )


def catalogue_rules_may_apply(path: object, extra: Sequence[object] = ()) -> bool:
    """Whether a rule the reference lacks might decide ``path`` (errs towards True)."""
    if any(isinstance(p, str) and p.lstrip().startswith("!") for p in extra):
        return True
    if not isinstance(path, str):
        return False
    if not path.isascii() and fold(path) != path:
        return True  # read as people read it (`.еnv` is `.env`): a rule the reference lacks
    for text in _spellings(path):
        components = text.replace("\\", "/").split("/")
        if _strip_ignorable(components[0]).startswith("~") or "~" in text[:2]:
            return True
        if any(_component_may_change(name) for name in components):
            return True
    return False


def _refuses(answer: object) -> bool:
    if isinstance(answer, PathVerdict):
        return not answer.safe
    return answer is not None


def assert_at_least_as_strict(fast: object, reference: object) -> None:
    """Where the reference refuses (or excludes, or finds a rule), the fast path must too."""
    if _refuses(reference):
        assert _refuses(fast), (fast, reference)


def is_exemption(pattern: object) -> bool:
    return isinstance(pattern, str) and pattern.lstrip().startswith("!")


def check_against_reference(
    fast: Callable[[list[Any]], object],
    reference: Callable[[list[Any]], object],
    path: object,
    extra: list[Any],
) -> None:
    """Compare ``fast(extra)`` with ``reference(extra)``, the new rules aside.

    Identical answers, except where a new catalogue rule may apply: then at least as strict.
    Policy exemptions (``!pattern``) are the one rule that widens: with them, the answer may
    only be more lenient than without them, which is compared as above.
    """
    positive = [p for p in extra if not is_exemption(p)]
    answer = fast(positive)
    expected = reference(positive)
    if catalogue_rules_may_apply(path, positive):
        assert_at_least_as_strict(answer, expected)
    else:
        assert answer == expected
    if len(positive) != len(extra) and _refuses(fast(extra)):
        assert _refuses(answer), (path, extra)


# --------------------------------------------------------------------------------------------
# Generated inputs
# --------------------------------------------------------------------------------------------

# Pieces that hit every branch: sensitive and export names, their exceptions, case and width
# variants, NFC/NFKC tricks, HFS+ ignorables, NTFS trailing dots/spaces, short names and
# streams, percent-encoding, traversal, separators and empty components.
PIECES = [
    ".env",
    ".env.example",
    ".env.local",
    "id_rsa",
    "id_rsa.pub",
    "id_ed25519",
    "secrets",
    "SECRETS",
    "Secret",
    "build",
    "dist",
    "node_modules",
    "__pycache__",
    ".git",
    ".GIT",
    "GIT~1",
    "gitmod~1",
    ".gitmodules",
    ".g\u200cit",
    "\uff53ecrets",
    "\uff0egit",
    "credentials",
    "credentials.json",
    ".aws",
    ".ssh",
    "id_rsa.pub",
    "x.PUB",
    "meta",
    "meta.json",
    ".terraform.d",
    "plugin-cache",
    "%2e%2e",
    "%252e",
    "%41",
    "%",
    "..",
    ".",
    "a.log",
    "x.key",
    "m.pyc",
    "coverage",
    ".coverage",
    "x.PEM",
    "logs",
    "gen",
    "x.py",
    "docs",
    "private",
    "a",
    "b",
    "\u00e9",
    "e\u0301",
    "\u017f",
    "\u212a",
    "\ufb01",
    "\u1e9e",
    "\u0130",
    "\ufdfa",
    "\uff0f",
    "\u00ad",
    "\u200b",
    "\u202e",
    "\ufeff",
    " ",
    ". ",
    "...",
    "::$DATA",
    ":",
    "~",
    "\\",
    "C:",
    "\x00",
    "\n",
    "\x7f",
    "\x85",
    "/",
    "/",
    "/",
    "//",
    ".tmp",
    "service-account",
    ".json",
    # dotfile managers' source names (judged as the file they install too)
    "dot_",
    "private_",
    "literal_",
    "##os.Linux",
    "\u0262\u026a\u1d1b",
]
# The same minus separators, controls, backslashes and traversal: paths that pass the
# structural checks, so most examples reach the pattern matching.
NAME_PIECES = [
    piece
    for piece in PIECES
    if piece not in ("/", "//", "\\", "..", ".", "...", ". ", "%2e%2e", "%252e", "C:")
    and not any(unicodedata.category(char) in ("Cc", "Cf") for char in piece)
]
COMPONENT = st.lists(st.sampled_from(PIECES), max_size=3).map("".join)
NAME = st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=3).map("".join)
PIECE_PATH = st.lists(COMPONENT, min_size=1, max_size=5).map("/".join)
CLEAN_PATH = st.lists(NAME, min_size=1, max_size=5).map("/".join)
PATHS = st.one_of(
    CLEAN_PATH,
    CLEAN_PATH,
    CLEAN_PATH.map(lambda path: path + "/"),
    PIECE_PATH,
    PIECE_PATH.map(lambda path: path + "/"),
    st.text(
        alphabet=st.sampled_from(list("aAbeEgGiItTsS./%2~: \\\u200c\uff0e\u017f\u212a")),
        max_size=24,
    ),
    st.text(max_size=24),
)
EXTRA_PATTERNS = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "*.tmp",
                "docs/private/",
                "gen/*.py",
                "Secret*",
                "a/b",
                "a/b/",
                "private/",
                "/a",
                "/",
                "",
                "   ",
                "*",
                "?",
                "[!a]*",
                "[",
                "*/",
                "**/b",
                "a//",
                "*.PY",
                ".env.*",
                "id_rsa*",
                "\uff33\uff25\uff23\uff32\uff25\uff34*",
                "a\uff0fb",
                "\u212a*",
                "e\u0301",
                "\u00e9*",
                " .env.* ",
                "x[/]y",
                "*.log",
                "build/",
            ]
        ),
        st.text(alphabet=st.sampled_from(list("ab*?[]!/.-~ ")), max_size=8),
    ),
    max_size=4,
)
# Each example runs the frozen reference over the whole catalogue, which has grown to ~250
# entries: 500 examples a test keep the suite inside CI's time limit. Set
# GITGATE_PATH_EXAMPLES (e.g. 5000) for a deeper run after changing the matcher.
EXAMPLES = int(os.environ.get("GITGATE_PATH_EXAMPLES", "500"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(PATHS, EXTRA_PATTERNS)
@example("src/pkg/module_17/file.py", [])
@example(".env.example", [".env.*"])
@example("a/.aws/credentials", [])
@example("docs/private/x.md", ["docs/private/"])
@example("a\uff0fb", ["a/b"])
@example("dot_netrc", [])
def test_export_exclusion_reason_matches_reference(path: str, extra: list[str]) -> None:
    check_against_reference(
        lambda ex: export_exclusion_reason(path, extra_excludes=ex),
        lambda ex: reference_export_exclusion_reason(path, extra_excludes=ex),
        path,
        extra,
    )
    reason = export_exclusion_reason(path, extra_excludes=extra)
    assert export_exclusion_reason(path, extra_excludes=tuple(extra)) == reason
    assert is_exportable(path, extra_excludes=extra) is (reason is None)


@SETTINGS
@given(PATHS, EXTRA_PATTERNS)
@example("deploy/Secrets/x", [])
@example("x.tmp/", ["*.tmp"])
@example("private_dot_ssh/private_id_rsa", [])
@example(".android/adbkey##class.Work", [])
def test_check_path_matches_reference(path: str, extra: list[str]) -> None:
    check_against_reference(
        lambda ex: check_path(path, extra_sensitive=ex),
        lambda ex: reference_check_path(path, extra_sensitive=ex),
        path,
        extra,
    )


@SETTINGS
@given(
    st.one_of(PATHS, PATHS.map(lambda path: "/" + path), PATHS.map(lambda p: "~\\" + p)),
    EXTRA_PATTERNS,
)
@example("~/.ssh/id_rsa", [])
@example("/home/u/.aws/credentials", [])
@example("\uff0fcredentials", [])  # read as "/credentials": a look-alike separator
@example("C:\uff0fcredentials", [])
def test_is_sensitive_name_matches_reference(path: str, extra: list[str]) -> None:
    check_against_reference(
        lambda ex: is_sensitive_name(path, extra_sensitive=ex),
        lambda ex: reference_is_sensitive_name(path, extra_sensitive=ex),
        path,
        extra,
    )


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(PIECE_PATH, PATHS)
def test_check_symlink_target_matches_reference(link: str, target: str) -> None:
    fast = check_symlink_target(link, target)
    reference = reference_check_symlink_target(link, target)
    if catalogue_rules_may_apply(link) or catalogue_rules_may_apply(target):
        assert_at_least_as_strict(fast, reference)
    else:
        assert fast == reference


@settings(
    max_examples=max(1, EXAMPLES // 3), deadline=None, suppress_health_check=list(HealthCheck)
)
@given(PATHS, EXTRA_PATTERNS)
def test_tiny_cache_matches_reference(path: str, extra: list[str]) -> None:
    # Overflowing the component cache and the per-component verdicts must not change answers.
    saved = pathpolicy._CACHE_SIZE, pathpolicy._HITS_PER_COMPONENT
    pathpolicy._CACHE_SIZE, pathpolicy._HITS_PER_COMPONENT = 3, 1
    try:
        for _ in range(2):
            check_against_reference(
                lambda ex: export_exclusion_reason(path, extra_excludes=ex),
                lambda ex: reference_export_exclusion_reason(path, extra_excludes=ex),
                path,
                extra,
            )
            check_against_reference(
                lambda ex: check_path(path, extra_sensitive=ex),
                lambda ex: reference_check_path(path, extra_sensitive=ex),
                path,
                extra,
            )
    finally:
        pathpolicy._CACHE_SIZE, pathpolicy._HITS_PER_COMPONENT = saved


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=12))
def test_ascii_forms_fast_path(component: str) -> None:
    assert pathpolicy._component_forms(component) == _component_forms(component)


def test_control_regex_is_exactly_category_cc() -> None:
    control = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"}
    assert {
        chr(c) for c in range(sys.maxunicode + 1) if pathpolicy._CONTROL.fullmatch(chr(c))
    } == control


def test_ascii_has_no_invisible_characters() -> None:
    # _invisible_character skips ASCII text on the strength of this.
    assert not [c for c in range(128) if unicodedata.category(chr(c)) == "Cf" or c in _IGNORABLE]


# --------------------------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "extra", "expected"),
    [
        ("many/d012/f01234.txt", (), None),
        ("src/pkg/module_17/file.py", (), None),
        (".env", (), "sensitive file (.env)"),
        (".env.example", (), None),
        (
            ".env.example",
            (".env.*",),
            None,
        ),  # an extra pattern spelled like a built-in keeps its exceptions
        (
            ".env.example",
            (" .env.*",),
            "excluded by policy ( .env.*)",
        ),  # ...only when spelled the same
        ("keys/id_rsa.pub", (), None),
        ("keys/id_rsa.pub.bak", (), "sensitive file (id_rsa*)"),
        ("deploy/\uff53ecrets/db.yml", (), "sensitive file (secrets/)"),
        ("src/secrets", (), None),  # a file named like the directory pattern
        ("src/secrets/", (), "sensitive file (secrets/)"),  # ...but a directory path matches
        ("home/u/.aws/credentials", (), "sensitive file (.aws/credentials)"),
        ("home/u/.aws/credentials/", (), "sensitive file (.aws/credentials)"),
        ("x/.aws/credentials.bak", (), "sensitive file (.aws/)"),  # all of ~/.aws now
        ("x/aws/credentials.md", (), None),
        ("web/node_modules/x/index.js", (), "dependency directory (node_modules/)"),
        ("src/pkg/build/x.py", (), "build output (build/)"),
        # NFKC keeps the umlaut (the look-alike reading of "B\u00fcild" as "Build" is the
        # fold's, which the reference lacks: tests/unit/test_pathpolicy_dotfiles.py)
        ("a/B\u00fcilds/x", (), None),
        ("a/BUILD./x", (), "build output (build/)"),  # NTFS drops the trailing dot
        ("a/b.LOG", (), "log file (*.log)"),
        ("a/b.log::$DATA", (), "log file (*.log)"),  # NTFS stream: the name before ':'
        ("gen/x/y.py", ("gen/*.py",), "excluded by policy (gen/*.py)"),  # '*' spans '/'
        ("docs/private/x.md", ("docs/private/",), "excluded by policy (docs/private/)"),
        ("docs/private", ("docs/private/",), None),
        ("a\uff0fb", ("a/b",), "excluded by policy (a/b)"),  # NFKC turns U+FF0F into '/'
        ("notes/SecretPlan.md", ("Secret*",), "excluded by policy (Secret*)"),
        ("notes/x.tmp", ("*.log", "*.tmp"), "excluded by policy (*.tmp)"),
        (
            "a/.g\u200cit/x",
            (),
            "unsafe path: '.g\\u200cit' component: writes into git's own directory ('.git')",
        ),
        (
            "%2e%2e/x",
            (),
            "unsafe path: percent-encoded '.', '/', '\\' or NUL: hides traversal from checks",
        ),
    ],
)
def test_export_examples(path: str, extra: tuple[str, ...], expected: str | None) -> None:
    assert export_exclusion_reason(path, extra_excludes=extra) == expected
    assert reference_export_exclusion_reason(path, extra_excludes=extra) == expected


def test_first_export_rule_wins() -> None:
    # Both "node_modules/" and "build/" match; the rule listed first gives the reason.
    assert export_exclusion_reason("build/node_modules/x") == "dependency directory (node_modules/)"
    assert export_exclusion_reason("x/__pycache__/m.pyc") == "bytecode cache (__pycache__/)"


def test_non_text_patterns_behave_as_before() -> None:
    # An earlier pattern that matches is returned before the bad one is ever looked at...
    assert (
        check_path("a.key", extra_sensitive=[None]).reason
        == "sensitive file (*.key): may hold secrets"
    )  # type: ignore[list-item]
    assert (
        export_exclusion_reason("x.tmp", extra_excludes=["*.tmp", 5])
        == "excluded by policy (*.tmp)"
    )  # type: ignore[list-item]
    # ...and reaching it fails just as the reference does.
    with pytest.raises(AttributeError):
        check_path("a.txt", extra_sensitive=[None])  # type: ignore[list-item]
    with pytest.raises(AttributeError):
        reference_check_path("a.txt", extra_sensitive=[None])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        export_exclusion_reason("a.txt", extra_excludes=[["*.txt"]])  # type: ignore[list-item]
    assert is_sensitive_name("a.txt", extra_sensitive=[None]) == "unreadable path"  # type: ignore[list-item]
    assert export_exclusion_reason(b"a.txt") == "unsafe path: path is not text"  # type: ignore[arg-type]
    assert check_path(b"a") == PathVerdict("b'a'", False, "path is not text")  # type: ignore[arg-type]


def test_extras_as_a_string_are_its_characters() -> None:
    # Sequence[str]: a bare string is a sequence of one-character patterns, as before.
    assert export_exclusion_reason("x/a", extra_excludes="ab") == "excluded by policy (a)"
    assert reference_export_exclusion_reason("x/a", extra_excludes="ab") == "excluded by policy (a)"


def test_only_directory_names_are_cached() -> None:
    # File names are mostly unique: caching them would grow an export's memory with its files.
    assert check_path("cached_dir_a/uncached_file_a.txt").safe
    assert "cached_dir_a" in pathpolicy._components
    assert "uncached_file_a.txt" not in pathpolicy._components
    assert export_exclusion_reason("cached_dir_b/") is None  # a directory path
    assert "cached_dir_b" in pathpolicy._components


def test_long_directory_names_are_not_cached() -> None:
    name = "\ufdfa" * 200  # NFKC makes each of these 18 characters
    assert check_path(f"a/{name}/b") == reference_check_path(f"a/{name}/b")
    assert "a" in pathpolicy._components
    assert name not in pathpolicy._components
    long_dir = "x" * 10_000
    assert is_sensitive_name(long_dir + "/a.key") == "*.key"
    assert long_dir not in pathpolicy._components


def test_sensitive_patterns_are_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_path("a/b.cfg").safe
    monkeypatch.setattr(pathpolicy, "SENSITIVE_PATTERNS", (*SENSITIVE_PATTERNS, "*.cfg"))
    assert check_path("a/b.cfg").reason == "sensitive file (*.cfg): may hold secrets"


def test_duplicate_export_patterns_keep_the_first_category(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = (("*.txt", "first"), ("build/", "build output"), ("*.txt", "second"))
    monkeypatch.setattr(pathpolicy, "_EXPORT_RULES", rules)
    assert export_exclusion_reason("a/b.txt") == "first (*.txt)"
    assert export_exclusion_reason("build/b.txt") == "first (*.txt)"
    assert export_exclusion_reason("build/b.py") == "build output (build/)"
