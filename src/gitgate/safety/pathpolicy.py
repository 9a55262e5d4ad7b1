"""Which repository paths an automated actor may write, and which files leave in an export.

Every path here is a *git tree path*: relative, ``/``-separated, as stored in a tree object.
The paths come from actors that may be manipulated, so the checks assume the worst: a path
is judged on its raw form *and* on the forms a filesystem may turn it into (Unicode NFC and
NFKC, case folding, NTFS dropping trailing dots and spaces, HFS+ ignoring some invisible code
points, Windows 8.3 short names, percent-decoding by a web layer). A path is refused when any
of those forms breaks a rule.

The module is pure (stdlib only) so every layer of gitgate can use it.

Which files are sensitive is data: the catalogue ``gitgate/safety/data/sensitive.toml`` of the
credential stores common tools write (docs/SENSITIVE.md), loaded once at import (a broken
catalogue fails the import: never a policy that silently protects nothing). Copies of a
sensitive file (``.pgpass.bak``) are sensitive too. A policy adds patterns and exempts
catalogue paths from the write check with ``"!pattern"``; exports keep every catalogue file out.

Decisions worth knowing:

* ``public.pem.example`` and ``.env.example`` are *safe*: templates meant to be committed.
  Public keys (``id_rsa.pub``) are safe too.
* A first component a shell expands (``~``, ``$HOME``, ``%APPDATA%``) and names of only
  whitespace, or ending with it, are refused: they name something other than what they say.
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
from fnmatch import fnmatchcase, translate
from typing import Any
from urllib.parse import unquote

from gitgate.safety.lookalike import fold

__all__ = [
    "CATALOGUE",
    "EXPORT_EXCLUDES",
    "SENSITIVE_PATTERNS",
    "Catalogue",
    "CatalogueError",
    "PathVerdict",
    "SensitiveEntry",
    "catalogue_entry",
    "check_no_symlink_parent",
    "check_path",
    "check_symlink_target",
    "export_exclusion_reason",
    "is_exportable",
    "is_sensitive_name",
    "matches_pattern",
    "parse_catalogue",
]

MAX_PATH_BYTES = 4096
MAX_COMPONENT_BYTES = 255
# Deeper than any real project (git's own core.maxTreeDepth guards its recursion too); a
# path nested thousands deep only serves to exhaust the stack of whatever walks the tree.
MAX_PATH_DEPTH = 256

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
# Names a shell or Windows replaces before the file system sees them: "$HOME", "${X}", "$(cmd)",
# "`cmd`", "%USERPROFILE%". Matched on case-folded NFKC forms ("\uff04HOME" is "$HOME").
_EXPANSION = re.compile(r"\$[a-z0-9_{(]|`|%[a-z_][a-z0-9_()]*%")
# Percent-escapes of '.', '/', '\\' and NUL: only useful to smuggle traversal past a decoder.
_ENCODED_SEPARATOR = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)
# Exactly the code points of general category Cc (C0, DEL, C1). Unicode's stability policy
# freezes Cc, so this class never drifts from unicodedata.category(); a regex scan is ~20x
# faster than asking unicodedata character by character.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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
    if component.isascii():
        # The common case, ~4x faster: NFC and NFKC leave ASCII alone, casefold() is lower()
        # on it, and no ASCII character is ignorable. Same tuple as the general case below.
        raw = component.lower()
        trimmed = raw.rstrip(". ")
        return (raw, raw, raw, raw, trimmed, trimmed.split(":", 1)[0].rstrip(". "))
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
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _control_character(text: str) -> str | None:
    """Describe the first NUL or control character in ``text``, or None."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "NUL byte"
    return f"control character U+{ord(char):04X}"


def _invisible_character(text: str) -> str | None:
    """Describe the first invisible formatting character (zero-width, bidi) in ``text``."""
    if text.isascii():  # O(1) in CPython; no ASCII character is Cf or HFS+-ignorable
        return None
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
    ``home/.aws/credentials``, and ``/kubeconfig`` a *file* named kubeconfig at any depth);
    any other pattern matches the name of any component.

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
        name = pattern[1:]
        if pattern.startswith("/") and "/" not in name:
            # A FILE of that name: its wildcards stay inside the name, so `/kubeconfig-*` is
            # not `cmd/kubeconfig-gen/main.go`. (The prefilter's `*/kubeconfig-*` is wider:
            # it only rules paths out.)
            return fnmatchcase(components[-1], name)
        return fnmatchcase("/" + "/".join(components), "*/" + pattern.lstrip("/"))
    return any(fnmatchcase(name, pattern) for name in components)


@functools.lru_cache(maxsize=1024)
def _normalised_pattern(pattern: str) -> str:
    # Called for every (path, pattern) pair: exports check thousands of paths per bundle.
    return unicodedata.normalize("NFKC", pattern.strip().casefold())


# --------------------------------------------------------------------------------------------
# The catalogue of sensitive paths (data: gitgate/safety/data/sensitive.toml, docs/SENSITIVE.md)
# --------------------------------------------------------------------------------------------

CATALOGUE_SCHEMA = 1
_ENTRY_KEYS = frozenset({"name", "category", "reason", "patterns", "except"})


class CatalogueError(ValueError):
    """The catalogue of sensitive paths is malformed (a broken installation: fail closed)."""


@dataclass(frozen=True, slots=True)
class SensitiveEntry:
    """One kind of credential store in the catalogue.

    Attributes:
        name: a short unique identifier (``"dotenv"``, ``"kubeconfig"``).
        category: the family it belongs to (``"cloud"``, ``"database"``...).
        reason: one sentence saying what the files hold.
        patterns: glob patterns (see :func:`matches_pattern`) naming the files.
        exceptions: what matches a pattern of the entry but is meant to be shared. A name
            (no ``/``: ``*.example``, ``*.pub``) exempts components that match one of its
            name patterns; a path (``.ssh/*.pub``, matched like an ``a/b`` pattern) exempts
            files under one of its directory patterns (``.ssh/``). Neither reaches the
            entry's other patterns, so a key file is never shared by a directory exception.
    """

    name: str
    category: str
    reason: str
    patterns: tuple[str, ...]
    exceptions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The parsed catalogue: its entries and the suffixes that mark copies of a file."""

    entries: tuple[SensitiveEntry, ...]
    copy_suffixes: tuple[str, ...]
    # Backup and editor suffixes that make a copy of any configuration file sensitive, and
    # the names of configuration files (globs) they apply to: see [copies] in the catalogue.
    config_copy_suffixes: tuple[str, ...] = ()
    copied_configs: tuple[str, ...] = ()
    # Copy suffixes of archive formats (some of copy_suffixes): an archive may hold a whole
    # directory, so ".aws.tar.gz" is judged as the directory ".aws/" too.
    archive_suffixes: tuple[str, ...] = ()
    # How dotfile managers name the source of a file they install (see [sources] in the
    # catalogue): chezmoi's attribute prefixes, the prefix that ends them, its spelling of a
    # leading dot, and the marker of yadm's alternates ("name##condition"). Lower-case.
    source_prefixes: tuple[str, ...] = ()
    source_literal: str = ""
    source_dot: str = ""
    alternate_marker: str = ""


def _text_list(value: object, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogueError(f"{where}: must be a list of non-empty strings")
    if not value and not allow_empty:
        raise CatalogueError(f"{where}: must not be empty")
    if any(_CONTROL.search(v) for v in value):
        raise CatalogueError(f"{where}: control character in a pattern")
    return tuple(value)


def _parse_entry(raw: object, index: int) -> SensitiveEntry:
    where = f"entry {index + 1}"
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: must be a table")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}")
    texts = {key: raw.get(key) for key in ("name", "category", "reason")}
    for key, value in texts.items():
        if not isinstance(value, str) or not value.strip():
            raise CatalogueError(f"{where}: {key!r} must be a non-empty string")
    patterns = _text_list(raw.get("patterns"), f"{where} ({texts['name']}) patterns")
    exceptions = _text_list(raw.get("except", []), f"{where} except", allow_empty=True)
    if any(p.lstrip().startswith("!") for p in patterns):
        raise CatalogueError(f"{where}: '!' (an exemption) is for policies, not the catalogue")
    if any("/" not in e for e in exceptions) and all("/" in p.lstrip("/") for p in patterns):
        # _only_excepted compares component names: an "a/b" pattern never names one.
        raise CatalogueError(f"{where}: a name in 'except' needs a pattern without '/'")
    if any("/" in e and e.rstrip().endswith("/") for e in exceptions):
        raise CatalogueError(f"{where}: a path in 'except' names files, not a directory")
    return SensitiveEntry(
        str(texts["name"]), str(texts["category"]), str(texts["reason"]), patterns, exceptions
    )


def parse_catalogue(text: str) -> Catalogue:
    """Parse and validate catalogue TOML (the format of ``gitgate/safety/data/sensitive.toml``).

    Args:
        text: the TOML text.

    Returns:
        The :class:`Catalogue`.

    Raises:
        CatalogueError: naming what is wrong (unknown keys, a pattern listed twice...).
    """
    import tomllib  # here: the packaged catalogue is read from its JSON copy

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CatalogueError(f"not valid TOML: {err}") from err
    return catalogue_from_data(data)


def catalogue_from_data(data: dict[str, Any]) -> Catalogue:
    """Validate a parsed catalogue (see :func:`parse_catalogue`).

    Raises:
        CatalogueError: naming what is wrong.
    """
    if data.get("schema") != CATALOGUE_SCHEMA:
        raise CatalogueError(f"schema must be {CATALOGUE_SCHEMA}")
    raw_entries = data.get("entry")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise CatalogueError("no [[entry]] tables")
    entries = tuple(_parse_entry(raw, index) for index, raw in enumerate(raw_entries))
    names = [entry.name for entry in entries]
    patterns = [_normalised_pattern(p) for entry in entries for p in entry.patterns]
    for what, values in (("entry name", names), ("pattern", patterns)):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise CatalogueError(f"{what} listed twice: {', '.join(repeated)}")
    copies = data.get("copies", {})
    if not isinstance(copies, dict):
        raise CatalogueError("[copies] must be a table")
    suffixes = _text_list(copies.get("suffixes", []), "copies.suffixes", allow_empty=True)
    if any("/" in s or not s.isascii() for s in suffixes):
        raise CatalogueError("copies.suffixes: ASCII suffixes without '/'")
    lowered = tuple(s.lower() for s in suffixes)
    config_suffixes = _text_list(
        copies.get("config_suffixes", []), "copies.config_suffixes", allow_empty=True
    )
    if any(s.lower() not in lowered for s in config_suffixes):
        raise CatalogueError("copies.config_suffixes: each must be one of copies.suffixes")
    configs = _text_list(copies.get("configs", []), "copies.configs", allow_empty=True)
    if any("/" in c for c in configs):
        raise CatalogueError("copies.configs: file name globs without '/'")
    archives = _text_list(copies.get("archives", []), "copies.archives", allow_empty=True)
    if any(s.lower() not in lowered for s in archives):
        raise CatalogueError("copies.archives: each must be one of copies.suffixes")
    sources = _parse_sources(data.get("sources", {}))
    return Catalogue(
        entries,
        lowered,
        tuple(s.lower() for s in config_suffixes),
        tuple(c.lower() for c in configs),
        tuple(s.lower() for s in archives),
        *sources,
    )


def _parse_sources(sources: object) -> tuple[tuple[str, ...], str, str, str]:
    """Validate [sources]: (prefixes, literal prefix, dot prefix, alternate marker)."""
    if not isinstance(sources, dict):
        raise CatalogueError("[sources] must be a table")
    unknown = set(sources) - {"prefixes", "literal", "dot", "alternate"}
    if unknown:
        raise CatalogueError(f"[sources] has unknown keys {sorted(unknown)}")
    prefixes = _text_list(sources.get("prefixes", []), "sources.prefixes", allow_empty=True)
    texts = [sources.get(key, "") for key in ("literal", "dot", "alternate")]
    if not all(isinstance(text, str) for text in texts):
        raise CatalogueError("sources.literal, .dot and .alternate must be strings")
    for text in (*prefixes, *texts):
        # Matched against raw names, before any normalisation: plain ASCII, no separator.
        if text != text.strip() or "/" in text or not text.isascii():
            raise CatalogueError(f"[sources]: {text!r} must be ASCII without '/' or spaces")
    literal, dot, alternate = (str(text).lower() for text in texts)
    return tuple(p.lower() for p in prefixes), literal, dot, alternate


def _packaged_catalogue() -> Catalogue:
    from gitgate.safety import datacopy  # the TOML through its JSON copy: ~15 ms less a start

    try:
        data = datacopy.load("sensitive")
    except ValueError as err:  # TOMLDecodeError, UnicodeDecodeError
        raise CatalogueError(f"not valid TOML: {err}") from err
    return catalogue_from_data(data)


# Loaded once at import: a missing or broken catalogue makes every import of the path policy
# fail, never a policy that silently protects nothing.
CATALOGUE: Catalogue = _packaged_catalogue()

# Every pattern of the catalogue, in order (the first that matches names the rule).
SENSITIVE_PATTERNS: tuple[str, ...] = tuple(
    pattern for entry in CATALOGUE.entries for pattern in entry.patterns
)

# Names that match a sensitive pattern but are meant to be shared: env templates and public
# keys. Only consulted for the patterns listed as keys.
_SENSITIVE_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    pattern: names
    for entry in CATALOGUE.entries
    if (names := tuple(e for e in entry.exceptions if "/" not in e))
    for pattern in entry.patterns
    if "/" not in pattern.lstrip("/")  # a name, or a file's name ("/kubeconfig_*")
}

# Files under a directory rule that are meant to be shared: the public halves in ~/.ssh,
# gcloud's named configurations, docker contexts' endpoint metadata, source code in a
# `secrets/` package; and files a rule names in a place that makes them something else (a
# Helm chart's templates/db-secrets.yaml is a template, docs/…/passwords.txt a page). Only
# consulted for files: a directory under such a rule may still hold anything.
_SENSITIVE_PATH_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    pattern: paths
    for entry in CATALOGUE.entries
    if (paths := tuple(e for e in entry.exceptions if "/" in e))
    for pattern in entry.patterns
}
_ENTRY_OF_PATTERN: dict[str, SensitiveEntry] = {
    pattern: entry for entry in CATALOGUE.entries for pattern in entry.patterns
}


def catalogue_entry(rule: str) -> SensitiveEntry | None:
    """The catalogue entry of a rule returned by :func:`is_sensitive_name` (or None).

    Args:
        rule: a pattern, as :func:`is_sensitive_name` and the refusal reasons name it.

    Returns:
        The entry the pattern belongs to; None for a policy pattern.
    """
    return _ENTRY_OF_PATTERN.get(rule)


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
            if not is_dir and _path_excepted(components, pattern):
                continue
            return pattern
    return None


def _path_excepted(components: Sequence[str], pattern: str) -> bool:
    """True when a file ``pattern`` matches is one its entry shares where it is
    (``.ssh/*.pub``, ``templates/secret.yaml``)."""
    shared = _SENSITIVE_PATH_EXCEPTIONS.get(pattern)
    return shared is not None and any(matches_pattern(components, p) for p in shared)


def _only_excepted(components: Sequence[str], pattern: str, exceptions: Sequence[str]) -> bool:
    """True when every component matching ``pattern`` is one of its allowed exceptions."""
    if pattern.startswith("/"):  # a file's name: the last component only
        hits = [components[-1]] if components and fnmatchcase(components[-1], pattern[1:]) else []
    else:
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
# Fast path: per-component cache and pattern prefilters
# --------------------------------------------------------------------------------------------
#
# Exports judge ~10,000 paths each, and the reference matcher above tries every pattern on
# every spelling of every component with fnmatch: ~300 us a path. Two facts make it cheap:
#
# * directory names repeat from path to path, so everything that depends on one component
#   alone (its forms, its structural problem, whether a pattern could match it) is computed
#   once and cached (:class:`_Component`);
# * almost no path matches anything, so one combined regex per pattern kind can prove "no
#   pattern matches" (:class:`_Prefilter`). Only when it cannot does the reference matcher
#   run, on the few patterns not ruled out, so every verdict and reason still comes from
#   :func:`_matching_pattern` itself.

# Only directory names are cached: they repeat from path to path, while file names are
# mostly unique, and caching them would make an export's memory grow with its number of
# files (tests/integration/test_bundle_stream.py). Bound on cached directory names; the
# cache is emptied when full (cheaper than LRU bookkeeping, and refilled within one path).
_CACHE_SIZE = 4096
# Only short names are cached, so hostile input cannot pin much memory: NFKC can make a
# form up to 18 times longer than the name (U+FDFA). An entry holds <= ~1,300 characters.
_CACHEABLE_CHARS = MAX_COMPONENT_BYTES
_CACHEABLE_FORM_CHARS = 4 * MAX_COMPONENT_BYTES
# Prefilter verdicts kept per component, one per pattern tuple seen (policies rarely differ).
_HITS_PER_COMPONENT = 16

# What a pattern is tested against, mirroring the branches of matches_pattern():
_NAME = 0  # "*.key": every name of the path
_DIRNAME = 1  # "secrets/": every directory name (all but the last, unless the path is a dir)
_TAIL = 2  # ".aws/credentials": "/" + the joined path
_SUBDIR = 3  # "a/b/": "/" + the joined directories + "/"
# Bits of a component's prefilter verdict.
_NAME_HIT = 1
_DIRNAME_HIT = 2
_SLASH_HIT = 4  # the component is one a path-tail or sub-directory pattern names


class _Component:
    """Everything the checks derive from one path component alone, computed once."""

    __slots__ = ("forms", "names", "single", "problem", "invisible", "flawed", "home", "hits")

    forms: tuple[str, ...]
    names: tuple[str, ...]
    single: str | None
    problem: str | None
    invisible: str | None
    flawed: bool
    home: bool
    hits: dict[_Prefilter, int]

    def __init__(self, component: str) -> None:
        self.forms = _component_forms(component)
        # The distinct forms, in order: the name patterns need each spelling only once.
        self.names = tuple(dict.fromkeys(self.forms))
        # Every normalisation step leaves an ASCII name like "src" alone: its only spelling.
        self.single = self.names[0] if len(self.names) == 1 else None
        # The _is_* tests are any() over the forms: the distinct ones give the same answer.
        self.problem = _component_problem(component, self.names)
        self.invisible = _invisible_character(component)
        self.flawed = self.problem is not None or self.invisible is not None
        # A shell expands a leading "~" ("~", "~root", "~+"): only a problem as the first
        # component, which is why it is kept apart from ``problem``.
        if component.isascii():  # its forms only lower-case it and trim its end
            self.home = component.startswith("~")
        else:
            self.home = any(name.startswith("~") for name in self.names)
        # _Prefilter -> bits (_NAME_HIT, _DIRNAME_HIT); filled by _Prefilter.component_hits.
        self.hits = {}


_components: dict[str, _Component] = {}


def _component(component: str, *, keep: bool) -> _Component:
    """The :class:`_Component` of ``component``, cached when ``keep`` (a directory name)."""
    info = _components.get(component)
    if info is None:
        info = _Component(component)
        if (
            keep
            and len(component) <= _CACHEABLE_CHARS
            and sum(map(len, info.names)) <= _CACHEABLE_FORM_CHARS
        ):
            if len(_components) >= _CACHE_SIZE:
                _components.clear()
            _components[component] = info
    return info


class _PathView:
    """One split path with its components' cached data and, lazily, its joined spellings."""

    __slots__ = ("infos", "is_dir", "_tails", "_subdirs")

    def __init__(self, path: str) -> None:
        components, self.is_dir = _split(path)
        cached = _components.get
        last = components.pop()
        self.infos = [cached(name) or _component(name, keep=True) for name in components]
        self.infos.append(cached(last) or _component(last, keep=self.is_dir))
        self._tails: tuple[str, ...] | None = None
        self._subdirs: tuple[str, ...] | None = None

    def forms(self) -> list[tuple[str, ...]]:
        """The argument :func:`_matching_pattern` takes."""
        return [info.forms for info in self.infos]

    def dir_infos(self) -> list[_Component]:
        """The components :func:`matches_pattern` treats as directories."""
        return self.infos if self.is_dir else self.infos[:-1]

    def tails(self) -> tuple[str, ...]:
        """Every ``"/" + "/".join(variant)`` that :func:`matches_pattern` tests, once each."""
        if self._tails is None:
            infos = self.infos
            singles = [info.single for info in infos if info.single is not None]
            if len(singles) == len(infos):  # all six spellings are the same
                self._tails = ("/" + "/".join(singles),)
            else:
                width = len(infos[0].forms)
                tails = ("/" + "/".join([info.forms[k] for info in infos]) for k in range(width))
                self._tails = tuple(dict.fromkeys(tails))
        return self._tails

    def subdirs(self) -> tuple[str, ...]:
        """Every ``"/" + "/".join(dirs) + "/"`` that :func:`matches_pattern` tests, once each."""
        if self._subdirs is None:
            dirs = self.dir_infos()
            if not dirs:
                self._subdirs = ()
            else:
                singles = [info.single for info in dirs if info.single is not None]
                if len(singles) == len(dirs):
                    self._subdirs = ("/" + "/".join(singles) + "/",)
                else:
                    width = len(dirs[0].forms)
                    joined = ("/".join([info.forms[k] for info in dirs]) for k in range(width))
                    self._subdirs = tuple(dict.fromkeys("/" + d + "/" for d in joined))
        return self._subdirs


def _pattern_test(pattern: str) -> tuple[int, str] | None:
    """(what to test, fnmatch glob) for a normalised pattern, as matches_pattern reads it.

    None for a pattern that never matches (empty once normalised).
    """
    if not pattern:
        return None
    if pattern.endswith("/"):
        directory = pattern.rstrip("/")
        if "/" not in directory:
            return _DIRNAME, directory
        return _SUBDIR, "*/" + directory.lstrip("/") + "/*"
    if "/" in pattern:
        return _TAIL, "*/" + pattern.lstrip("/")
    return _NAME, pattern


# A glob filed in a _GlobIndex: (its position in the pattern tuple, its compiled regex).
_Indexed = tuple[int, re.Pattern[str]]


def _literal_runs(glob: str) -> list[tuple[str, int]]:
    """The runs of literal text of an fnmatch glob, each with the index where it ends.

    Mirrors :func:`fnmatch.translate`: ``*`` and ``?`` are wildcards, ``[...]`` is a class
    (``!`` negates, a ``]`` right after the opening is a member), and a ``[`` with no closing
    ``]`` is a literal ``[``. Every string the glob matches contains each run, in order.
    """
    runs: list[tuple[str, int]] = []
    current: list[str] = []
    index, size = 0, len(glob)

    def close(end: int) -> None:
        if current:
            runs.append(("".join(current), end))
            current.clear()

    while index < size:
        char = glob[index]
        if char in "*?":
            close(index)
            index += 1
            continue
        if char == "[":
            end = index + 1
            if end < size and glob[end] == "!":
                end += 1
            if end < size and glob[end] == "]":
                end += 1
            while end < size and glob[end] != "]":
                end += 1
            if end < size:  # a class: no literal text
                close(index)
                index = end + 1
                continue
        current.append(char)
        index += 1
    close(size)
    return runs


class _GlobIndex:
    """Which globs of a set match a string, found through their literal parts.

    ``fnmatchcase(s, glob)`` is exactly ``re.match(translate(glob), s)``. Every string a glob
    matches starts with the glob's literal text before its first wildcard, ends with its
    literal text after its last wildcard, contains every literal run in between, and equals
    the glob when it has no wildcard (:func:`_literal_runs`). So each glob is filed under one
    such literal (whole, suffix, prefix, or failing those its longest run), and a string is
    tried only against the globs whose literal it holds: a few dict lookups instead of
    hundreds of regex matches. The answers are the regexes' own.
    """

    __slots__ = ("exact", "anchored", "suffixes", "prefixes", "inner", "loose", "anchors")

    # Literals starting with '.' or '/' (extensions, path tails) are looked up at each '.'
    # or '/' of the string: one lookup per separator instead of one per literal length.
    _ANCHORS = "./"
    _KEY = 3  # prefixes and inner literals are filed under their first characters

    def __init__(self, globs: Sequence[tuple[int, str]]) -> None:
        self.exact: dict[str, list[_Indexed]] = {}
        self.anchored: dict[str, list[_Indexed]] = {}
        self.suffixes: dict[int, dict[str, list[_Indexed]]] = {}
        self.prefixes: dict[str, list[tuple[str, _Indexed]]] = {}
        self.inner: dict[str, list[tuple[str, _Indexed]]] = {}
        self.loose: list[tuple[str, _Indexed]] = []
        for position, glob in globs:
            self._add(position, glob)
        used = {key[0] for key in self.anchored} | {key[0] for key in self.inner}
        self.anchors = "".join(sorted(used))

    def _add(self, position: int, glob: str) -> None:
        entry = (position, re.compile(translate(glob)))
        runs = _literal_runs(glob)
        if runs == [(glob, len(glob))]:  # no wildcard at all
            self.exact.setdefault(glob, []).append(entry)
            return
        key = self._KEY
        trail = runs[-1][0] if runs and runs[-1][1] == len(glob) else ""
        lead = runs[0][0] if runs and runs[0][1] == len(runs[0][0]) else ""
        inner = max((text for text, _ in runs), key=len, default="")
        if trail and trail[0] in self._ANCHORS:
            self.anchored.setdefault(trail, []).append(entry)
        elif trail:
            self.suffixes.setdefault(len(trail), {}).setdefault(trail, []).append(entry)
        elif len(lead) >= key:
            self.prefixes.setdefault(lead[:key], []).append((lead, entry))
        elif len(inner) >= key and inner[0] in self._ANCHORS:
            self.inner.setdefault(inner[:key], []).append((inner, entry))
        else:
            self.loose.append((inner, entry))

    def candidates(self, text: str) -> list[_Indexed]:
        """The globs that may match ``text`` (a superset of those that do)."""
        found: list[_Indexed] = list(self.exact.get(text, ()))
        anchored, inner, key = self.anchored, self.inner, self._KEY
        for anchor in self.anchors:
            index = text.find(anchor)
            while index >= 0:
                hits = anchored.get(text[index:])
                if hits is not None:
                    found += hits
                for literal, entry in inner.get(text[index : index + key], ()):
                    if text.startswith(literal, index):
                        found.append(entry)
                index = text.find(anchor, index + 1)
        if self.suffixes:
            size = len(text)
            for length, table in self.suffixes.items():
                if length <= size:
                    found += table.get(text[-length:], ())
        if self.prefixes:
            for literal, entry in self.prefixes.get(text[:key], ()):
                if text.startswith(literal):
                    found.append(entry)
        if self.loose:
            found += [entry for literal, entry in self.loose if literal in text]
        return found

    def positions(self, text: str) -> set[int]:
        """The positions of the globs that match ``text``."""
        return {position for position, regex in self.candidates(text) if regex.match(text)}

    def any_match(self, text: str) -> bool:
        """Whether any glob matches ``text``."""
        for _, regex in self.candidates(text):
            if regex.match(text):
                return True
        return False


class _ComponentKeys:
    """Component names that every path matching one of some slash globs must contain.

    A path-tail or sub-directory glob (``*/.aws/credentials``, ``*/helm/registry/*``) can
    only match ``"/" + "/".join(components)`` if the text between two of its ``/`` is a
    whole component (``.aws``), or the text after its last ``/`` starts one
    (``*/kubeconfig-*``), provided no component itself holds a ``/`` (see
    :meth:`_Prefilter.component_hits`). One such key per glob lets the per-component cache
    rule out the slash patterns for almost every path before any joined string is built. A
    glob with no key (``*/*``) makes :attr:`always` true.
    """

    __slots__ = ("names", "prefixes", "always")

    def __init__(self, globs: Iterable[str]) -> None:
        self.names: set[str] = set()
        self.prefixes: list[str] = []
        self.always = False
        for glob in globs:
            exact, prefix = _component_key(glob)
            if exact is not None:
                self.names.add(exact)
            elif prefix is not None:
                self.prefixes.append(prefix)
            else:
                self.always = True

    def hit(self, name: str) -> bool:
        """Whether ``name`` is (or starts) a key component."""
        return name in self.names or (bool(self.prefixes) and name.startswith(tuple(self.prefixes)))


def _component_key(glob: str) -> tuple[str | None, str | None]:
    """(a component every match contains, else a prefix of one); (None, None) if neither."""
    exact: list[str] = []
    prefixes: list[str] = []
    for text, end in _literal_runs(glob):
        parts = text.split("/")
        for index in range(1, len(parts)):  # parts[0] is not preceded by '/' in the run
            if index < len(parts) - 1 or end == len(glob):
                exact.append(parts[index])
            elif parts[index]:
                prefixes.append(parts[index])
    if exact:
        return max(exact, key=len), None
    if prefixes:
        return None, max(prefixes, key=len)
    return None, None


class _Prefilter:
    """A sound test that no pattern of a tuple matches a path (exceptions aside).

    For each kind of pattern (see :func:`_pattern_test`), a :class:`_GlobIndex` of its
    globs. Names are tested against every form of every component; the two slash kinds
    against the very strings :func:`matches_pattern` builds, but only when a component is
    one the slash globs need (:class:`_ComponentKeys`). Ignoring the exceptions
    (``.env.example``) only lets more paths through to the reference matcher.
    """

    __slots__ = ("tests", "name", "dirname", "tail", "subdir", "slash")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        globs: tuple[list[tuple[int, str]], ...] = ([], [], [], [])
        tests: list[int | None] = []
        for position, pattern in enumerate(patterns):
            if type(pattern) is not str:  # the reference matcher decides what that means
                raise TypeError("not a str pattern")
            test = _pattern_test(_normalised_pattern(pattern))
            if test is None:
                tests.append(None)
                continue
            kind, glob = test
            globs[kind].append((position, glob))
            tests.append(kind)
        self.tests = tuple(tests)
        self.name, self.dirname, self.tail, self.subdir = (
            _GlobIndex(group) if group else None for group in globs
        )
        self.slash = _ComponentKeys(glob for _, glob in (*globs[_TAIL], *globs[_SUBDIR]))

    def component_hits(self, info: _Component) -> int:
        """Which kinds of pattern any form of the component matches (or, slash, helps)."""
        hits = 0
        names = info.names
        if self.name is not None and any(map(self.name.any_match, names)):
            hits |= _NAME_HIT
        if self.dirname is not None and any(map(self.dirname.any_match, names)):
            hits |= _DIRNAME_HIT
        # NFKC can put a '/' inside a component ("a\uff0fb" is "a/b"): the joined strings
        # then have components the keys cannot see, so such a component always counts.
        if any(map(self.slash.hit, names)) or any("/" in name for name in names):
            hits |= _SLASH_HIT
        if len(info.hits) >= _HITS_PER_COMPONENT:
            info.hits.clear()
        info.hits[self] = hits
        return hits

    def may_match(self, view: _PathView) -> bool:
        """False only when no pattern can match the path in any of its spellings."""
        infos = view.infos
        dirs = len(infos) if view.is_dir else len(infos) - 1
        slash = self.slash.always
        for index, info in enumerate(infos):
            hits = info.hits.get(self)
            if hits is None:
                hits = self.component_hits(info)
            if hits & _NAME_HIT or (hits & _DIRNAME_HIT and index < dirs):
                return True
            slash = slash or bool(hits & _SLASH_HIT)
        if not slash:
            return False
        if self.tail is not None:
            for tail in view.tails():
                if self.tail.any_match(tail):
                    return True
        if self.subdir is not None:
            for subdir in view.subdirs():
                if self.subdir.any_match(subdir):
                    return True
        return False

    def candidates(self, patterns: tuple[str, ...], view: _PathView) -> list[str]:
        """The patterns, in order, that the prefilter cannot rule out one by one."""
        found: set[int] = set()
        lookups: tuple[tuple[_GlobIndex | None, Iterable[str]], ...] = (
            (self.name, {name for info in view.infos for name in info.names}),
            (self.dirname, {name for info in view.dir_infos() for name in info.names}),
            (self.tail, view.tails()),
            (self.subdir, view.subdirs()),
        )
        for index, strings in lookups:
            if index is not None:
                for text in strings:
                    found |= index.positions(text)
        return [patterns[position] for position in sorted(found)]


# Prefilters by pattern list. A list is a *base* tuple that lives as long as the module's
# constants (looked up by identity: hashing ~40 strings on every path would be a tenth of the
# fast path's time) plus the policy's extra patterns (hashed: a handful). The base is kept in
# the entry so its id cannot be reused by another object while the entry lives. None is
# remembered for lists the prefilter cannot take (patterns that are not text).
_MAX_BASES = 8
_MAX_EXTRAS = 64
_prefilters: dict[int, tuple[tuple[str, ...], dict[tuple[str, ...], _Prefilter | None]]] = {}


def _prefilter(base: tuple[str, ...], extra: tuple[str, ...] = ()) -> _Prefilter | None:
    """The prefilter of ``(*base, *extra)``, or None when only the reference can judge it.

    Unhashable or non-text patterns: the reference matcher then behaves (and fails) exactly
    as it always did, including returning an earlier pattern before reaching a bad one.
    """
    entry = _prefilters.get(id(base))
    if entry is None or entry[0] is not base:
        if len(_prefilters) >= _MAX_BASES:
            _prefilters.clear()
        entry = (base, {})
        _prefilters[id(base)] = entry
    by_extra = entry[1]
    try:
        return by_extra[extra]
    except KeyError:
        pass
    except TypeError:  # an unhashable pattern
        return None
    try:
        prefilter: _Prefilter | None = _Prefilter((*base, *extra))
    except Exception:  # noqa: BLE001 - any failure here means "use the reference"
        prefilter = None
    if len(by_extra) >= _MAX_EXTRAS:
        by_extra.clear()
    by_extra[extra] = prefilter
    return prefilter


def _first_match(view: _PathView, base: tuple[str, ...], extra: tuple[str, ...] = ()) -> str | None:
    """``_matching_pattern(view.forms(), (*base, *extra))``, skipped when nothing can match.

    ``base`` must be a tuple that is not rebuilt per call (see :data:`_prefilters`).
    """
    prefilter = _prefilter(base, extra)
    patterns = (*base, *extra) if extra else base
    if prefilter is None:
        return _matching_pattern(view.forms(), patterns, is_dir=view.is_dir)
    if not prefilter.may_match(view):
        return None
    kept = prefilter.candidates(patterns, view)
    return _matching_pattern(view.forms(), kept, is_dir=view.is_dir)


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
    depth = path.count("/") + 1
    if depth > MAX_PATH_DEPTH:
        return f"path is {depth} directories deep (limit {MAX_PATH_DEPTH})"
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
    return _lookalike_problem(component, forms)


def _lookalike_problem(component: str, forms: tuple[str, ...]) -> str | None:
    """Refuse names that read as something else: expansions and (edge) whitespace."""
    if component.isascii() and component[0] not in "$`%" and not component[-1].isspace():
        return None  # the common case: no ASCII form can start an expansion then
    expansion = next((found for form in forms if (found := _EXPANSION.match(form))), None)
    if expansion is not None:
        return (
            f"{component!r} component: a shell or Windows expands {expansion.group()!r}, "
            "which can point outside the repository"
        )
    if component.isspace():
        return f"{component!r} component: a name of only whitespace"
    if component[-1].isspace():
        # NTFS drops trailing spaces: "a " and "a" are one file there, two in git.
        return f"{component!r} component: trailing whitespace makes the name read as another"
    return None


def _home_problem(view: _PathView) -> str | None:
    """Refuse a path whose first component a shell expands to a home directory."""
    first = view.infos[0]
    if not first.home:
        return None
    return "home-relative path ('~'): a shell expands it outside the repository"


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
    return _unsafe_view(path)[0]


def _unsafe_view(path: str) -> tuple[str | None, _PathView | None]:
    """(:func:`_unsafe_reason`, the split path for the pattern checks to reuse).

    The path is split only once it passes the whole-path checks: a 1 MB path costs nothing.
    A path spelt with look-alike letters (``.gіt/hooks`` with a Cyrillic ``і``) is also
    judged as people read it: git sees another name, the reviewer sees ``.git``.
    """
    reason, view = _unsafe_view_as_spelt(path)
    if reason is None:
        reason = _reading_problem(path)
    return reason, view


def _reading_problem(path: str) -> str | None:
    """Why ``path`` is unsafe as people read it, or as the file a dotfile manager installs
    from it (``dot_git/hooks/x`` is ``.git/hooks/x`` once chezmoi has applied it)."""
    read_as = path if path.isascii() else fold(path)
    if read_as != path:
        looks, _ = _unsafe_view_as_spelt(read_as)
        if looks is not None:
            return f"{looks} (spelt with look-alike letters)"
    installed = _installed_path(read_as)
    if installed is not None:
        looks, _ = _unsafe_view_as_spelt(installed)
        if looks is not None:
            return f"{looks} (as {installed!r}, the file this dotfile source name installs)"
    return None


def _unsafe_view_as_spelt(path: str) -> tuple[str | None, _PathView | None]:
    problem = _structural_problem(path)
    if problem is not None:
        return problem, None
    view = _PathView(path)
    for info in view.infos:
        if info.flawed:
            break
    else:  # the usual case: one pass
        home = _home_problem(view)
        if home is not None:
            return home, view
        return (_percent_problem(path) if "%" in path else None), view
    for info in view.infos:
        if info.problem is not None:
            return info.problem, view
    # Checked after the components so ".g\u200cit" is reported as the '.git' trick it is.
    # The first invisible character of the path is the first one of its components: '/'
    # is not invisible.
    for info in view.infos:
        if info.invisible is not None:
            return f"{info.invisible} in path: the name reads differently to people", view
    return _home_problem(view) or _percent_problem(path), view


def _sensitive_rule(
    path: str, extra: Sequence[str], view: _PathView | None = None, *, as_source: bool = True
) -> str | None:
    """The sensitive pattern (built-in or extra) the path, or the file it is a copy of, matches.

    ``extra`` may hold exemptions (``"!pattern"``): a path they match in every spelling is
    not judged by the catalogue (the policy's own patterns still apply). ``as_source``: also
    judge the file a dotfile manager installs from the path (once: what chezmoi installs from
    ``literal_dot_netrc`` is ``dot_netrc``, not read again).
    """
    if view is None:
        view = _PathView(path)
    positive, exempt = _split_exemptions(extra)
    rule = _direct_sensitive_rule(view, positive, exempt)
    if rule is None and _may_be_copy(path):
        for original in _originals_of_copy(path):
            rule = _direct_sensitive_rule(_PathView(original), positive, exempt)
            if rule is not None:
                break
        if rule is None:
            rule = _config_copy_rule(path)
            if rule is not None and exempt and _is_exempt(view, exempt):
                rule = None
    if rule is None and as_source:
        installed = _installed_path(path)  # chezmoi's `dot_netrc` is `.netrc`
        if installed is not None and _structural_problem(installed) is None:
            looks = _sensitive_rule(installed, extra, as_source=False)
            if looks is not None:
                rule = f"{looks}, as the dotfile {installed!r} this source name installs"
    if rule is None and not path.isascii():
        read_as = fold(path)  # `.еnv` (a Cyrillic е) is `.env` to whoever reads it
        # Look-alike separators are read as separators ("C:／credentials" is a credentials
        # file), cleaned as is_sensitive_name cleans a path: check_path and exports have
        # refused such a path already (_reading_problem), the names are what is left to judge.
        read_as = read_as.replace("\\", "/").strip("/")
        size = _utf8_len(read_as)
        if read_as not in ("", path) and size is not None and size <= MAX_PATH_BYTES:
            looks = _sensitive_rule(read_as, extra, as_source=as_source)
            if looks is not None:
                rule = f"{looks}, spelt with look-alike letters"
    return rule


def _config_copy_rule(path: str) -> str | None:
    """The rule a backup or editor copy of a configuration file breaks, or None.

    Web servers hand ``config.php~`` or ``settings.yml.bak`` out as plain text, database
    password included, where the original would have been run or kept private; such copies
    are what scanners of public sites look for. Only a file's own name counts.
    """
    if path.endswith("/"):
        return None
    name = unicodedata.normalize("NFKC", path.rsplit("/", 1)[-1]).lower()
    for _ in range(_MAX_COPY_LAYERS):
        split = _split_copy_suffix(name, CATALOGUE.config_copy_suffixes)
        if split is None:
            return None
        name, suffix = split
        for config in CATALOGUE.copied_configs:
            if fnmatchcase(name, config):
                return f"copy of a configuration file: {config}{suffix}"
    return None


# --------------------------------------------------------------------------------------------
# Dotfile managers' source names (data: [sources] in the catalogue)
# --------------------------------------------------------------------------------------------
#
# A dotfiles repository keeps ~/.netrc as `dot_netrc` (chezmoi), ~/.ssh/id_ed25519 as
# `private_dot_ssh/encrypted_private_id_ed25519.age`, and ~/.aws/credentials for one machine
# as `.aws/credentials##class.Work` (a yadm alternate): the secret is in the tree under a name
# no pattern names. Such a path is judged as spelt *and* as the file it installs, so a name
# that only looks like a source name (`private_key`) loses nothing. chezmoi's `.tmpl` stays on
# the name: a template is judged as a template of its file (`.ssh/config.tmpl` is shared,
# `.ssh/id_rsa.tmpl` is not), and `.age` and `.asc` are encryption suffixes of [copies].


def _source_starts(catalogue: Catalogue) -> tuple[str, ...]:
    starts = (*catalogue.source_prefixes, catalogue.source_literal, catalogue.source_dot)
    return tuple(start for start in starts if start)


def _source_start_regex(starts: Sequence[str]) -> re.Pattern[str] | None:
    alternatives = "|".join(re.escape(start) for start in starts)
    return re.compile(f"(?:^|/)(?:{alternatives})", re.IGNORECASE) if starts else None


def _source_hint(starts: Sequence[str]) -> str | None:
    """A character (not a letter: case does not change it) that every start holds, or None."""
    common = set.intersection(*(set(start) for start in starts)) if starts else set()
    marks = sorted(char for char in common if not char.isalpha())
    return marks[0] if marks else None


# Whether a path may hold a source name at all: exports ask it of every path, so a path
# without the starts' common character ("_") or yadm's marker is ruled out by two `in` tests.
_SOURCE_STARTS = _source_starts(CATALOGUE)
_SOURCE_START = _source_start_regex(_SOURCE_STARTS)
_SOURCE_HINT = _source_hint(_SOURCE_STARTS)


def _may_name_source(path: str) -> bool:
    marker = CATALOGUE.alternate_marker
    if marker and marker in path:
        return True
    if _SOURCE_START is None or (_SOURCE_HINT is not None and _SOURCE_HINT not in path):
        return False
    return _SOURCE_START.search(path) is not None


def _installed_path(path: str) -> str | None:
    """The path a dotfile manager installs from source path ``path``, or None when no
    component of it is a source name (chezmoi attributes, ``dot_``, a yadm ``##`` suffix)."""
    if not _may_name_source(path):
        return None
    components, is_dir = _split(path)
    installed = [_installed_name(name) for name in components]
    if installed == components:
        return None
    return "/".join(installed) + ("/" if is_dir else "")


def _installed_name(name: str) -> str:
    """One source name as the name it installs: ``private_dot_ssh`` is ``.ssh``.

    Case-insensitive, though chezmoi is not: reading ``Private_Dot_Netrc`` as ``.Netrc`` too
    only refuses more. A prefix is stripped only when a name is left after it.
    """
    marker = CATALOGUE.alternate_marker
    if marker and marker in name:
        base = name.split(marker, 1)[0]  # yadm: "adbkey##class.Work" is "adbkey"
        name = base or name
    literal, dot = CATALOGUE.source_literal, CATALOGUE.source_dot
    prefixes = CATALOGUE.source_prefixes
    while True:
        if literal and len(name) > len(literal) and name[: len(literal)].lower() == literal:
            return name[len(literal) :]  # chezmoi reads no attribute after literal_
        prefix = next(
            (p for p in prefixes if len(name) > len(p) and name[: len(p)].lower() == p), None
        )
        if prefix is None:
            break
        name = name[len(prefix) :]  # chezmoi attributes, read in any order
    if dot and len(name) > len(dot) and name[: len(dot)].lower() == dot:
        name = "." + name[len(dot) :]
    return name


def _direct_sensitive_rule(
    view: _PathView, extra: tuple[str, ...], exempt: tuple[str, ...]
) -> str | None:
    patterns = SENSITIVE_PATTERNS
    if type(patterns) is not tuple:  # replaced by a mutable sequence: never remembered
        patterns, extra = (), (*patterns, *extra)
    if not exempt:
        return _first_match(view, patterns, extra)
    rule = _first_match(view, patterns)
    if rule is not None and not _is_exempt(view, exempt):
        return rule
    return _first_match(view, (), extra)


def _is_exemption(pattern: object) -> bool:
    return type(pattern) is str and pattern.lstrip().startswith("!")


def _split_exemptions(extra: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the policy's sensitive patterns, its exemptions without the '!')."""
    patterns = tuple(extra)
    if not any(map(_is_exemption, patterns)):
        return patterns, ()
    positive = tuple(p for p in patterns if not _is_exemption(p))
    exempt = tuple(p.lstrip()[1:] for p in patterns if _is_exemption(p))
    return positive, tuple(p for p in exempt if p.strip())


def _is_exempt(view: _PathView, exemptions: Sequence[str]) -> bool:
    """Whether one exemption matches the path in *every* spelling (conservative)."""
    variants = _path_variants(view.forms())
    return any(
        all(matches_pattern(components, pattern, is_dir=view.is_dir) for components in variants)
        for pattern in exemptions
    )


def _copy_suffix_regex(suffixes: Sequence[str]) -> re.Pattern[str] | None:
    if not suffixes:
        return None
    ordered = sorted(suffixes, key=len, reverse=True)
    alternatives = "|".join(re.escape(suffix) for suffix in ordered)
    return re.compile(f"(?:{alternatives})[. ]*(?:/|\\Z)", re.IGNORECASE)


# Whether a path may name a copy ("x.bak", "a~/b"): a quick test before the stripping below.
_COPY_SUFFIX = _copy_suffix_regex(CATALOGUE.copy_suffixes)
_MAX_COPY_LAYERS = 4  # "credentials.json.bak.old.1~"


def _may_be_copy(path: str) -> bool:
    if not path.isascii():
        path = unicodedata.normalize("NFKC", path)
    if _EMACS_AUTOSAVE_RE.fullmatch(path.rstrip("/").rsplit("/", 1)[-1]):
        return True
    return _COPY_SUFFIX is not None and _COPY_SUFFIX.search(path) is not None


def _originals_of_copy(path: str) -> list[str]:
    """``path`` with one, two... layers of copy suffixes stripped from every component.

    ``.aws.bak/credentials.old`` gives ``.aws/credentials``; ``trustdb.gpg.bak`` gives
    ``trustdb.gpg`` then ``trustdb`` (each layer is judged: ``.gpg`` is a suffix too).
    Components are NFKC-normalised first, so full-width spellings of a suffix count. A file
    that loses an archive suffix is also given as the directory it may pack: ``.dbt.tar.gz``
    gives ``.dbt.tar``, ``.dbt`` and ``.dbt/``.
    """
    components, is_dir = _split(path)
    current = [unicodedata.normalize("NFKC", component) for component in components]
    originals: list[str] = []
    for _ in range(_MAX_COPY_LAYERS):
        stripped = [_strip_copy_suffix(component) for component in current]
        if stripped == current:
            break
        unpacked = not is_dir and _is_archive_of(current[-1], stripped[-1])
        current = stripped
        originals.append("/".join(current) + ("/" if is_dir else ""))
        if unpacked:
            originals.append("/".join(current) + "/")
    # Vim's swap file of "id_rsa" is ".id_rsa.swp": the original lost the dot Vim added;
    # Emacs auto-saves ".env" as "#.env#".
    last = components[-1] if components else ""
    for editor_copy in (_VIM_SWAP_RE.fullmatch(last), _EMACS_AUTOSAVE_RE.fullmatch(last)):
        if editor_copy is not None:
            original = [*components[:-1], editor_copy.group(1)]
            originals.append("/".join(original) + ("/" if is_dir else ""))
    return originals


_VIM_SWAP_RE = re.compile(r"\.([^.].*)\.sw[a-p]", re.IGNORECASE)
_EMACS_AUTOSAVE_RE = re.compile(r"#(.+)#")


def _is_archive_of(name: str, stripped: str) -> bool:
    """Whether ``stripped`` is ``name`` without an archive suffix (``.tar``, ``.zip``...)."""
    archives = CATALOGUE.archive_suffixes
    return bool(archives) and stripped != name and name.rstrip(". ").lower().endswith(archives)


def _strip_copy_suffix(name: str) -> str:
    """``name`` without one copy suffix (and NTFS's trailing dots and spaces), if it has one."""
    split = _split_copy_suffix(name, CATALOGUE.copy_suffixes)
    return name if split is None else split[0]


def _split_copy_suffix(name: str, suffixes: Sequence[str]) -> tuple[str, str] | None:
    """(``name`` without one of ``suffixes`` and NTFS's trailing dots and spaces, the suffix),
    or None when it ends with none of them or nothing would be left."""
    trimmed = name.rstrip(". ")
    lowered = trimmed.lower()
    suffix = next((s for s in suffixes if lowered.endswith(s)), None)
    if suffix is None or not trimmed[: -len(suffix)].strip(". "):
        return None
    return trimmed[: -len(suffix)], suffix


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
    reason, view = _unsafe_view(path)
    if reason is None:
        rule = _sensitive_rule(path, extra_sensitive, view)
        if rule is not None:
            reason = f"sensitive file ({rule}): may hold secrets"
    return PathVerdict(path, reason is None, reason or "")


def is_sensitive_name(path: str, *, extra_sensitive: Sequence[str] = ()) -> str | None:
    """The sensitive pattern ``path`` matches, ignoring structural checks, or None.

    Used by the command classifier for paths outside the repository (``~/.ssh/id_rsa``),
    which :func:`check_path` would refuse as absolute before looking at their names.

    Args:
        path: any ``/``-separated path, absolute or relative.
        extra_sensitive: more glob patterns from the repository policy; ``"!pattern"``
            exempts what it matches (in every spelling) from the built-in catalogue.

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

    Every file of the catalogue is excluded, and so are copies of one (``.pgpass.bak``).

    Args:
        path: a git tree path.
        extra_excludes: more glob patterns from the repository policy; exemptions
            (``"!pattern"``) among them are ignored: a policy cannot export a catalogue file.

    Returns:
        One line such as ``"sensitive file (.env)"`` or ``"build output (dist/)"``, or None.
    """
    reason = _export_exclusion_as_spelt(path, extra_excludes)
    if reason is None and isinstance(path, str) and not path.isascii():
        read_as = fold(path)  # `.еnv` stays out like `.env`: it reads as one
        if read_as != path:
            looks = _export_exclusion_as_spelt(read_as, extra_excludes)
            if looks is not None:
                reason = f"{looks}, spelt with look-alike letters"
    return reason


def _export_exclusion_as_spelt(path: str, extra_excludes: Sequence[str]) -> str | None:
    """:func:`export_exclusion_reason` for the path as spelt (no look-alike reading)."""
    if not isinstance(path, str):
        return "unsafe path: path is not text"
    unsafe, view = _unsafe_view(path)
    if unsafe is not None:
        return f"unsafe path: {unsafe}"
    assert view is not None  # set whenever the path passed the whole-path checks
    patterns, categories, both = _export_table(_EXPORT_RULES, SENSITIVE_PATTERNS)
    # A list or tuple of extras can be read now; any other iterable is read only once the
    # built-in rules have passed, as it always was (a generator is consumed only then).
    listed = type(extra_excludes) in (tuple, list)
    # Exemptions ("!pattern", from [paths] allow) widen what may be written, never what
    # leaves in a bundle: they are dropped here, and every catalogue file stays out.
    extra = _split_exemptions(extra_excludes)[0] if listed else ()
    # Nearly every path matches no pattern at all: one prefilter over the sensitive, export
    # and listed extra patterns says so at once (a copy, "x.pem.bak", is judged in full).
    gate = None if both is None else _prefilter(both, extra)
    if (
        gate is not None
        and not gate.may_match(view)
        and not _may_be_copy(path)
        and not _may_name_source(path)
    ):
        if listed:
            return None
    else:
        rule = _sensitive_rule(path, (), view)
        if rule is not None:
            return f"sensitive file ({rule})"
        # One prefilter for all the export rules: the first rule in order still wins, since
        # _matching_pattern returns the first pattern that matches.
        rule = _first_match(view, (), patterns) if both is None else _first_match(view, patterns)
        if rule is not None:
            return f"{categories[rule]} ({rule})"
    rule = _first_match(view, (), extra) if listed else _lazy_extra_rule(view, extra_excludes)
    if rule is not None:
        return f"excluded by policy ({rule})"
    return None


def _lazy_extra_rule(view: _PathView, extra_excludes: Iterable[str]) -> str | None:
    """The first extra pattern that matches, reading ``extra_excludes`` as the reference did.

    The reference matched each pattern as the iterable yielded it, so a pattern yielded
    before the iterable fails still wins, and the failure surfaces only otherwise.
    """
    read: list[str] = []
    try:
        for pattern in extra_excludes:
            read.append(pattern)
    except Exception as error:  # noqa: BLE001 - re-raised below unless a pattern matched
        rule = _first_match(view, (), tuple(read))
        if rule is not None:
            return rule
        raise error
    return _first_match(view, (), tuple(read))


_ExportTable = tuple[tuple[str, ...], dict[str, str], tuple[str, ...] | None]
# ((rules, sensitive patterns), table) for the last pair seen: looked up by identity, as
# hashing the nested tuples on every path would cost more than the whole export check.
_export_memo: list[tuple[tuple[object, object], _ExportTable]] = []


def _export_table(rules: Sequence[tuple[str, str]], sensitive: Sequence[str]) -> _ExportTable:
    """The patterns of ``rules`` in order, each pattern's category (its first rule's), and
    the sensitive patterns followed by the export ones.

    Only tuples are remembered by identity (a list may change in place): otherwise the table
    is rebuilt and the combined list is None, and callers do without the shared prefilter.
    """
    for (known_rules, known_sensitive), table in _export_memo:
        if known_rules is rules and known_sensitive is sensitive:
            return table
    categories: dict[str, str] = {}
    for pattern, category in rules:
        categories.setdefault(pattern, category)
    patterns = tuple(pattern for pattern, _ in rules)
    constant = type(rules) is tuple and type(sensitive) is tuple
    table = (patterns, categories, (*sensitive, *patterns) if constant else None)
    if constant:
        _export_memo[:] = [((rules, sensitive), table)]
    return table


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
