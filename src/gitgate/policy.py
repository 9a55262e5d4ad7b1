"""The policy: who may approve, which branches are protected, where gitgate keeps its refs.

The policy is ``.gitgate.toml`` committed on the protected branch. gitgate always reads it from
a committed tip (never from a working tree) so that a proposal cannot change the policy that
judges it. This module is pure: it parses and renders text, the caller fetches the blob.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

from gitgate.errors import PolicyError

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import Any

POLICY_PATH = ".gitgate.toml"
SCHEMA = 1

DEFAULT_IDENTITY_ENV = (
    "GL_USERNAME",  # GitLab
    "GITEA_PUSHER_NAME",  # Gitea / Forgejo
    "GL_USER",  # gitolite
    "SOFT_SERVE_USERNAME",  # Soft Serve
    "REMOTE_USER",  # git-http-backend
)

# A conservative subset of git's check-ref-format: enough to keep hostile names out.
_REF_COMPONENT = re.compile(r"[A-Za-z0-9._\-]+")
_GLOB_COMPONENT = re.compile(r"[A-Za-z0-9._\-*]+")


@dataclass(frozen=True, slots=True)
class RefNames:
    """Where gitgate keeps its data; every name can be changed in the policy."""

    pending_prefix: str = "refs/heads/gitgate/pending/"
    archive_prefix: str = "refs/gitgate/archive/"
    notes: str = "refs/notes/gitgate"
    audit: str = "refs/gitgate/audit"

    def pending(self, proposal_id: str) -> str:
        """Ref of the pending branch of a proposal."""
        return self.pending_prefix + proposal_id

    def archive(self, proposal_id: str) -> str:
        """Ref that keeps a rejected or failed proposal commit reachable."""
        return self.archive_prefix + proposal_id


@dataclass(frozen=True, slots=True)
class CommandPolicy:
    """Extra command rules and how approved commands run."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    timeout: int = 300
    sandbox: str = "auto"  # "never" | "auto" (bwrap if present) | "require"
    output_limit: int = 16_384
    # Read-only statements of database clients against this machine's server (`psql -h
    # localhost -c "\\dt"`) run at once; off (the default), a human decides.
    local_database_reads: bool = False


@dataclass(frozen=True, slots=True)
class HookPolicy:
    """Server-side enforcement settings (the pre-receive hook)."""

    identity_env: tuple[str, ...] = DEFAULT_IDENTITY_ENV
    # Refs that are neither gitgate's nor protected: refused ("deny") unless one of
    # ``allow_refs`` matches; "allow" lets any such ref through (the hook still refuses the
    # names that shadow gitgate's, whatever this says).
    other_refs: str = "deny"
    allow_refs: tuple[str, ...] = ()  # globs: ``*`` within one path component, ``**`` any depth
    # The forge compares user names case-insensitively (ASCII letters only, never Unicode
    # folding); off, identities compare exactly as the forge supplies them.
    case_insensitive_identities: bool = False

    def allows_ref(self, ref: str) -> bool:
        """Tell whether a ref outside gitgate's namespaces may be pushed at all."""
        return self.other_refs == "allow" or any(ref_glob_matches(g, ref) for g in self.allow_refs)


@dataclass(frozen=True, slots=True)
class Policy:
    """The parsed ``.gitgate.toml``."""

    protected: tuple[str, ...] = ("main",)
    approvers: tuple[str, ...] = ()
    # Catalogue additions, and exemptions written "!pattern" (from [paths] allow).
    sensitive_paths: tuple[str, ...] = ()
    export_exclude: tuple[str, ...] = ()
    refs: RefNames = field(default_factory=RefNames)
    commands: CommandPolicy = field(default_factory=CommandPolicy)
    hook: HookPolicy = field(default_factory=HookPolicy)

    @property
    def default_target(self) -> str:
        """The branch proposals target when none is named."""
        return self.protected[0]

    def is_approver(self, actor: str) -> bool:
        """Tell whether ``actor`` is named as an approver (see :func:`same_identity`)."""
        return same_identity_in(
            actor, self.approvers, case_insensitive=self.hook.case_insensitive_identities
        )

    def same_identity(self, a: str, b: str) -> bool:
        """Compare two identities the way this policy says the forge does."""
        return same_identity(a, b, case_insensitive=self.hook.case_insensitive_identities)

    def is_protected(self, branch: str) -> bool:
        """Tell whether ``branch`` (short name) is protected."""
        return branch in self.protected

    def with_changes(self, **changes: Any) -> Policy:
        """Return a copy with some fields replaced."""
        return replace(self, **changes)


MAX_IDENTITY = 200
# ASCII letters only: str.lower()/casefold() would fold U+212A KELVIN SIGN onto "k" and "ß"
# onto "ss", so two accounts the forge keeps apart would become one approver.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def identity_problem(identity: str) -> str | None:
    """Why ``identity`` cannot name anyone (None: it can).

    Identities are taken exactly as the forge supplies them, so anything a forge would not
    produce for a real account is refused rather than cleaned: surrounding whitespace,
    control, format (zero-width, bidi) and other non-printable characters, and over-long text.
    """
    if not identity:
        return "it is empty"
    if len(identity) > MAX_IDENTITY:
        return f"it is longer than {MAX_IDENTITY} characters"
    if identity != identity.strip():
        return "it has surrounding whitespace"
    for char in identity:
        if not char.isprintable():
            return f"it holds the non-printable character U+{ord(char):04X}"
    return None


def same_identity(a: str, b: str, *, case_insensitive: bool = False) -> bool:
    """Compare two identities the way gitgate does everywhere.

    Exact, character for character (no trimming, no Unicode normalisation or folding); with
    ``case_insensitive`` (``[hook] case_insensitive_identities``) ASCII letters match either
    case. An identity that :func:`identity_problem` refuses equals nothing, not even itself.
    """
    if identity_problem(a) is not None or identity_problem(b) is not None:
        return False
    if case_insensitive:
        return a.translate(_ASCII_LOWER) == b.translate(_ASCII_LOWER)
    return a == b


def same_identity_in(actor: str, names: tuple[str, ...], *, case_insensitive: bool = False) -> bool:
    """Tell whether ``actor`` equals one of ``names``."""
    return any(same_identity(actor, name, case_insensitive=case_insensitive) for name in names)


def ref_glob_matches(pattern: str, ref: str) -> bool:
    """Match a ref against an ``allow_refs`` glob (``*``: one component, ``**``: any depth)."""
    return _compile_glob(pattern).fullmatch(ref) is not None


@functools.lru_cache(maxsize=256)
def _compile_glob(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*)", pattern)
    body = "".join(
        "(?:[^/]+/)*[^/]+" if p == "**" else "[^/]*" if p == "*" else re.escape(p) for p in parts
    )
    return re.compile(body)


def check_policy_change(
    new_text: bytes | None, *, old_text: bytes | None = None, branch: str | None = None
) -> str | None:
    """Why a change of ``.gitgate.toml`` to ``new_text`` must be refused (None: acceptable).

    A policy change that lands must leave gitgate able to judge the next one, so the file may
    not be deleted (``None``), nor become unreadable or invalid, nor leave nobody to approve.
    With ``old_text`` its ``[refs]`` may not move (gitgate's data would be orphaned and a new,
    empty log could be started); with ``branch`` that branch must stay protected.
    """
    if new_text is None:
        return f"it deletes {POLICY_PATH}, which would leave the repository without a policy"
    try:
        policy = parse_policy(new_text.decode("utf-8"))
    except UnicodeDecodeError:
        return f"{POLICY_PATH} would not be UTF-8 text"
    except PolicyError as err:
        return f"it makes the policy invalid: {err.message}"
    if not policy.approvers:
        return f"it leaves {POLICY_PATH} with no approvers, so nothing could be approved again"
    if branch is not None and not policy.is_protected(branch):
        return f"it stops protecting {branch}, the branch that carries the policy"
    if old_text is not None:
        try:
            old = parse_policy(old_text.decode("utf-8", "replace"))
        except PolicyError:
            return None  # any valid policy is better than a broken one
        if old.refs != policy.refs:
            return "it moves gitgate's refs ([refs]); their history would be orphaned"
    return None


def parse_policy(text: str) -> Policy:
    """Parse ``.gitgate.toml`` text, validating every field.

    Raises:
        PolicyError: naming the field that is wrong.
    """
    return policy_from_data(load_toml(text))


def load_toml(text: str) -> dict[str, Any]:
    """The TOML document ``text`` as data, unvalidated.

    Raises:
        PolicyError: when it is not TOML.
    """
    # Imported here: tomllib and the typing it imports are ~5 ms, and the hook reads its
    # policies' data from a cache (gitgate.server.policycache).
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(
            f"{POLICY_PATH} is not valid TOML: {err}",
            hint="fix it through a proposal (gitgate propose write .gitgate.toml)",
        ) from err


def policy_from_data(data: dict[str, Any]) -> Policy:
    """The policy a parsed ``.gitgate.toml`` holds, every field validated (see parse_policy)."""
    schema = data.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise PolicyError(
            f"{POLICY_PATH} has schema {schema!r}, this gitgate understands {SCHEMA}",
            hint="upgrade gitgate",
        )
    protected = _str_tuple(data, "protected", ("main",))
    if not protected:
        raise PolicyError(f"{POLICY_PATH}: 'protected' must name at least one branch")
    for branch in protected:
        _check_branch_name(branch)
    approvers = _str_tuple(data, "approvers", ())
    for approver in approvers:
        problem = identity_problem(approver)
        if problem is not None:
            raise PolicyError(
                f"{POLICY_PATH}: approver {approver!r} cannot be an identity: {problem}"
            )
    return Policy(
        protected=protected,
        approvers=approvers,
        sensitive_paths=_sensitive_paths(data),
        export_exclude=_str_tuple(_table(data, "export"), "exclude", ()),
        refs=_parse_refs(_table(data, "refs")),
        commands=_parse_commands(_table(data, "commands")),
        hook=_parse_hook(_table(data, "hook")),
    )


def render_policy(policy: Policy) -> str:
    """Render a policy as TOML text (what ``gitgate init`` commits)."""
    import tomli_w  # only gitgate init renders; the hook on every push never does

    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "protected": list(policy.protected),
        "approvers": list(policy.approvers),
        "sensitive_paths": list(policy.sensitive_paths),
        "refs": {
            "pending_prefix": policy.refs.pending_prefix,
            "archive_prefix": policy.refs.archive_prefix,
            "notes": policy.refs.notes,
            "audit": policy.refs.audit,
        },
        "commands": {
            "allow": list(policy.commands.allow),
            "deny": list(policy.commands.deny),
            "timeout": policy.commands.timeout,
            "sandbox": policy.commands.sandbox,
            "output_limit": policy.commands.output_limit,
            "local_database_reads": policy.commands.local_database_reads,
        },
        "export": {"exclude": list(policy.export_exclude)},
        "hook": {
            "identity_env": list(policy.hook.identity_env),
            "other_refs": policy.hook.other_refs,
            "allow_refs": list(policy.hook.allow_refs),
            "case_insensitive_identities": policy.hook.case_insensitive_identities,
        },
    }
    header = (
        "# gitgate policy. Changes to this file are proposals like any other:\n"
        "# gitgate reads it from the protected branch's committed tip, never a working tree.\n"
    )
    return header + tomli_w.dumps(doc)


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise PolicyError(f"{POLICY_PATH}: [{key}] must be a table")
    return value


def _str_tuple(data: dict[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{POLICY_PATH}: '{key}' must be a list of strings")
    return tuple(value)


def _sensitive_paths(data: dict[str, Any]) -> tuple[str, ...]:
    """The policy's changes to the catalogue of sensitive paths (docs/SENSITIVE.md).

    ``sensitive_paths`` and ``[paths] sensitive`` add patterns; ``[paths] allow`` exempts
    paths from the built-in catalogue, carried as ``"!pattern"`` (the form ``sensitive_paths``
    also accepts) so that every consumer of ``sensitive_paths`` honours it.
    """
    paths = _table(data, "paths")
    unknown = set(paths) - {"sensitive", "allow"}
    if unknown:
        raise PolicyError(f"{POLICY_PATH}: [paths] has unknown keys: {', '.join(sorted(unknown))}")
    allow = _str_tuple(paths, "allow", ())
    for pattern in allow:
        if not pattern.strip() or pattern.lstrip().startswith("!"):
            raise PolicyError(
                f"{POLICY_PATH}: [paths] allow: {pattern!r} must be a non-empty pattern",
                hint="write the pattern itself, without '!'",
            )
    patterns = (*_str_tuple(data, "sensitive_paths", ()), *_str_tuple(paths, "sensitive", ()))
    return (*patterns, *("!" + pattern.strip() for pattern in allow))


def _int(data: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise PolicyError(f"{POLICY_PATH}: '{key}' must be a whole number from {low} to {high}")
    return value


def _choice(data: dict[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    value = data.get(key, default)
    if value not in choices:
        raise PolicyError(f"{POLICY_PATH}: '{key}' must be one of {', '.join(choices)}")
    return str(value)


def _check_branch_name(name: str) -> None:
    parts = name.split("/")
    if not all(_REF_COMPONENT.fullmatch(p) and not p.startswith(".") for p in parts) or (
        ".." in name or name.endswith(".lock")
    ):
        raise PolicyError(f"{POLICY_PATH}: {name!r} is not a valid branch name")


def _check_ref(name: str, *, prefix: bool) -> str:
    body = name[:-1] if prefix and name.endswith("/") else name
    parts = body.split("/")
    ok = (
        body.startswith("refs/")
        and len(parts) >= 2
        and all(_REF_COMPONENT.fullmatch(p) and not p.startswith(".") for p in parts)
        and ".." not in body
        and not body.endswith(".lock")
        and (not prefix or name.endswith("/"))
    )
    if not ok:
        kind = "a ref prefix ending in '/'" if prefix else "a ref name"
        raise PolicyError(f"{POLICY_PATH}: {name!r} is not {kind} under refs/")
    return name


def _parse_refs(data: dict[str, Any]) -> RefNames:
    default = RefNames()
    refs = RefNames(
        pending_prefix=_check_ref(
            str(data.get("pending_prefix", default.pending_prefix)), prefix=True
        ),
        archive_prefix=_check_ref(
            str(data.get("archive_prefix", default.archive_prefix)), prefix=True
        ),
        notes=_check_ref(str(data.get("notes", default.notes)), prefix=False),
        audit=_check_ref(str(data.get("audit", default.audit)), prefix=False),
    )
    names = [refs.pending_prefix, refs.archive_prefix, refs.notes + "/", refs.audit + "/"]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if a.startswith(b) or b.startswith(a):
                raise PolicyError(f"{POLICY_PATH}: [refs] names overlap: {a!r} and {b!r}")
    return refs


def _parse_commands(data: dict[str, Any]) -> CommandPolicy:
    return CommandPolicy(
        allow=_str_tuple(data, "allow", ()),
        deny=_str_tuple(data, "deny", ()),
        timeout=_int(data, "timeout", 300, 1, 86_400),
        sandbox=_choice(data, "sandbox", "auto", ("never", "auto", "require")),
        output_limit=_int(data, "output_limit", 16_384, 256, 10_000_000),
        local_database_reads=_true_or_false(data, "local_database_reads"),
    )


def _true_or_false(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise PolicyError(f"{POLICY_PATH}: {key!r} must be true or false")
    return value


def _parse_hook(data: dict[str, Any]) -> HookPolicy:
    globs = _str_tuple(data, "allow_refs", ())
    for glob in globs:
        _check_ref_glob(glob)
    insensitive = data.get("case_insensitive_identities", False)
    if not isinstance(insensitive, bool):
        raise PolicyError(f"{POLICY_PATH}: 'case_insensitive_identities' must be true or false")
    return HookPolicy(
        identity_env=_str_tuple(data, "identity_env", DEFAULT_IDENTITY_ENV),
        other_refs=_choice(data, "other_refs", "deny", ("allow", "deny")),
        allow_refs=globs,
        case_insensitive_identities=insensitive,
    )


def _check_ref_glob(glob: str) -> None:
    parts = glob.split("/")
    ok = (
        glob.startswith("refs/")
        and len(parts) >= 2
        and all(_GLOB_COMPONENT.fullmatch(p) and not p.startswith(".") for p in parts)
        and ".." not in glob
    )
    if not ok:
        raise PolicyError(
            f"{POLICY_PATH}: allow_refs entry {glob!r} is not a ref glob under refs/",
            hint='e.g. allow_refs = ["refs/heads/feature/*", "refs/tags/v*"]',
        )
