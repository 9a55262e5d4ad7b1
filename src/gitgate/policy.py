"""The policy: who may approve, which branches are protected, where gitgate keeps its refs.

The policy is ``.gitgate.toml`` committed on the protected branch. gitgate always reads it from
a committed tip (never from a working tree) so that a proposal cannot change the policy that
judges it. This module is pure: it parses and renders text, the caller fetches the blob.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

import tomli_w

from gitgate.errors import PolicyError

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


@dataclass(frozen=True, slots=True)
class HookPolicy:
    """Server-side enforcement settings (the pre-receive hook)."""

    identity_env: tuple[str, ...] = DEFAULT_IDENTITY_ENV
    other_refs: str = "allow"  # "allow" | "deny": refs gitgate does not own


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
        """Tell whether ``actor`` is named as an approver (case-insensitive)."""
        return same_identity_in(actor, self.approvers)

    def is_protected(self, branch: str) -> bool:
        """Tell whether ``branch`` (short name) is protected."""
        return branch in self.protected

    def with_changes(self, **changes: Any) -> Policy:
        """Return a copy with some fields replaced."""
        return replace(self, **changes)


def same_identity(a: str, b: str) -> bool:
    """Compare two actor identities the way gitgate does everywhere (trimmed, case-folded)."""
    return a.strip().casefold() == b.strip().casefold()


def same_identity_in(actor: str, names: tuple[str, ...]) -> bool:
    """Tell whether ``actor`` equals one of ``names``."""
    return any(same_identity(actor, name) for name in names)


def parse_policy(text: str) -> Policy:
    """Parse ``.gitgate.toml`` text, validating every field.

    Raises:
        PolicyError: naming the field that is wrong.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(
            f"{POLICY_PATH} is not valid TOML: {err}",
            hint="fix it through a proposal (gitgate propose write .gitgate.toml)",
        ) from err
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
    return Policy(
        protected=protected,
        approvers=_str_tuple(data, "approvers", ()),
        sensitive_paths=_sensitive_paths(data),
        export_exclude=_str_tuple(_table(data, "export"), "exclude", ()),
        refs=_parse_refs(_table(data, "refs")),
        commands=_parse_commands(_table(data, "commands")),
        hook=_parse_hook(_table(data, "hook")),
    )


def render_policy(policy: Policy) -> str:
    """Render a policy as TOML text (what ``gitgate init`` commits)."""
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
        },
        "export": {"exclude": list(policy.export_exclude)},
        "hook": {
            "identity_env": list(policy.hook.identity_env),
            "other_refs": policy.hook.other_refs,
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
    )


def _parse_hook(data: dict[str, Any]) -> HookPolicy:
    return HookPolicy(
        identity_env=_str_tuple(data, "identity_env", DEFAULT_IDENTITY_ENV),
        other_refs=_choice(data, "other_refs", "allow", ("allow", "deny")),
    )
