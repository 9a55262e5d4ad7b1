"""The pre-receive hook's pure rules: ref names, audit entry shapes, times, notes tree names.

No git here: each rule takes text and a policy and says what is wrong (None: nothing), so the
reference monitor's judgement on names and records can be tested without a repository. The
hook (:mod:`gitgate.server.hook`) applies them to what a push brings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gitgate.journal.records import AuditEntry
from gitgate.policy import Policy

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import Any

RECORD_ALLOWANCE = 262_144  # a proposed entry's record: a message up to 64 KiB, 500 files
MAX_ENTRY_BYTES = 65_536  # one audit entry's commit message (events carrying output: + 2x limit)
MAX_COMMIT_MESSAGE = 72_000  # characters: gitgate's 64 KiB message limit, a title and trailers
MAX_NOTE_BYTES = 1_000_000  # as records.MAX_RECORD_BYTES
MAX_TEXT = 4_096  # a free-text field of an entry (reason, error, command)
MAX_LIST = 1_000  # items of a list field of an entry (paths, conflicts)
BACKDATE_SKEW = timedelta(minutes=5)  # clones' clocks differ a little; an entry may be this early
MAX_AHEAD = timedelta(minutes=10)  # ... and no further ahead of the server's clock than this
MAX_REF_LENGTH = 255

# The top-level keys of an entry's JSON body. "refs" is the journal's list of ref changes.
ENTRY_KEYS = frozenset(
    {"schema", "seq", "event", "actor", "time", "proposal", "details", "commits", "refs"}
)

_OID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z")
_REF_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._\-]*")
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class EventShape:
    """What one audit event carries: its proposal, commit names and detail fields."""

    proposal: bool  # names a proposal (required) or never does
    commits: frozenset[str]  # exactly these commit names
    details: Mapping[str, str]  # allowed detail fields and their types
    required: frozenset[str] = frozenset()  # detail fields that must be present
    output: bool = False  # carries a command's output (bounded by the policy's output_limit)


_POLICY_DETAILS = {"protected": "strs", "approvers": "strs"}
_RUN_DETAILS = {
    "exit_code": "int?",
    "timed_out": "bool",
    "seconds": "num",
    "sandboxed": "bool",
    "output": "output",
}
EVENT_SHAPES: dict[str, EventShape] = {
    "init": EventShape(
        False, frozenset({"policy", "target"}), _POLICY_DETAILS, frozenset(_POLICY_DETAILS)
    ),
    "policy": EventShape(
        False, frozenset({"policy", "target"}), _POLICY_DETAILS, frozenset(_POLICY_DETAILS)
    ),
    "proposed": EventShape(
        True,
        frozenset({"proposal", "base", "target"}),
        {
            "kind": "str",
            "tool": "str",
            "paths": "strs",
            "paths_total": "int",
            "allowed_secrets": "strs",
            "command": "text",
            "proposal": "object",  # the immutable record (checked by journal.admit)
        },
        frozenset({"kind", "tool"}),
    ),
    "approved": EventShape(True, frozenset({"proposal", "target"}), {}),
    "executed": EventShape(
        True,
        frozenset({"proposal", "merge", "target", "target_before"}),
        {**_RUN_DETAILS, "changed": "strs", "result": "object"},
        output=True,
    ),
    "failed": EventShape(
        True,
        frozenset({"proposal", "target"}),
        {**_RUN_DETAILS, "error": "text", "conflicts": "strs", "result": "object"},
        frozenset({"result"}),
        output=True,
    ),
    "rejected": EventShape(
        True,
        frozenset({"proposal"}),
        {"reason": "text", "result": "object"},
        frozenset({"reason"}),
    ),
    "exported": EventShape(
        True, frozenset({"proposal"}), {"bundle_sha256": "sha256"}, frozenset({"bundle_sha256"})
    ),
    "command.auto": EventShape(
        False,
        frozenset(),
        {"command": "text", "exit_code": "int?", "timed_out": "bool", "output": "output"},
        frozenset({"command", "exit_code", "timed_out", "output"}),
        output=True,
    ),
    "command.denied": EventShape(
        False,
        frozenset(),
        {"command": "text", "reason": "text"},
        frozenset({"command", "reason"}),
    ),
}


# -- ref names -------------------------------------------------------------------------------


def ref_name_problem(ref: str) -> str | None:
    """Why ``ref`` is not a name gitgate lets through at all (stricter than git's rules).

    ASCII letters, digits and ``._-`` in ``/``-separated components under ``refs/``; no
    component starting with ``.`` or ``-``, ending in ``.`` or ``.lock``; no ``..``; no ``HEAD``.
    """
    parts = ref.split("/")
    if len(ref) > MAX_REF_LENGTH:
        return f"the ref name is longer than {MAX_REF_LENGTH} characters"
    ok = (
        parts[0] == "refs"
        and len(parts) >= 2
        and all(_REF_COMPONENT.fullmatch(p) for p in parts[1:])
        and not any(p.endswith((".", ".lock")) for p in parts)
        and ".." not in ref
        and parts[-1] != "HEAD"
    )
    if not ok:
        return f"{ref[:120]!r} is not an acceptable ref name"
    return None


def gitgate_names(policy: Policy) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """gitgate's exact refs (protected branches, notes, audit) and its ref prefixes."""
    exact = tuple(f"refs/heads/{b}" for b in policy.protected) + (
        policy.refs.notes,
        policy.refs.audit,
    )
    return exact, (policy.refs.pending_prefix, policy.refs.archive_prefix)


def shadow_problem(policy: Policy, ref: str) -> str | None:
    """Why ``ref`` would shadow, block or impersonate gitgate's refs (None: it does not).

    Refused whatever the policy says: ``refs/replace/*`` (changes what every reader sees of
    a commit), ``refs/remotes/*``, names that case-fold onto gitgate's refs or protected
    branches (one file on a case-insensitive disk), refs nested under them or that they nest
    under (a directory/file conflict blocks one or the other), and names that shadow a
    protected or pending branch in ``git rev-parse`` (``refs/<name>``, ``refs/tags/<name>``).
    """
    if ref.startswith("refs/replace/"):
        return "replace refs change what everyone sees of other commits"
    if ref.startswith("refs/remotes/"):
        return "remote-tracking refs are not pushed to a gitgate server"
    low = ref.lower()
    exact, prefixes = gitgate_names(policy)
    for name in exact:
        if ref == name:
            return None
        if low == name.lower():
            return f"the name case-folds onto {name}"
        if low.startswith(name.lower() + "/"):
            return f"the name nests under {name} (it would block it)"
        if name.lower().startswith(low + "/"):
            return f"the name is a directory of {name} (it would block it)"
    for prefix in prefixes:
        if ref.startswith(prefix):
            return None
        directory = prefix.rstrip("/")
        if low.startswith(prefix.lower()):
            return f"the name case-folds into gitgate's namespace {prefix}"
        if low == directory.lower() or directory.lower().startswith(low + "/"):
            return f"the name would block gitgate's namespace {prefix}"
    return _shadowed_branch(policy, low)


def _shadowed_branch(policy: Policy, low: str) -> str | None:
    # git rev-parse tries refs/<name>, then refs/tags/<name>, before refs/heads/<name>.
    for lead in ("refs/tags/", "refs/"):
        if not low.startswith(lead) or low.startswith("refs/heads/"):
            continue
        branch_ref = "refs/heads/" + low[len(lead) :]
        for protected in policy.protected:
            if branch_ref == f"refs/heads/{protected}".lower():
                return f"the name shadows the protected branch {protected}"
        if branch_ref.startswith(policy.refs.pending_prefix.lower()):
            return "the name shadows gitgate's pending branches"
    return None


# -- audit entries ---------------------------------------------------------------------------


def entry_problem(entry: AuditEntry, keys: frozenset[str], size: int, policy: Policy) -> str | None:
    """Why an entry is not well-formed for its event (None: it is).

    Args:
        entry: the decoded entry.
        keys: the top-level keys of its JSON body (unknown ones are refused).
        size: the length of its commit message in bytes.
        policy: bounds command output (``[commands] output_limit``) and names the branches.
    """
    shape = EVENT_SHAPES.get(entry.event)
    if shape is None:
        return f"unknown event {entry.event!r}"
    unknown = keys - ENTRY_KEYS
    if unknown:
        return f"unknown field {sorted(unknown)[0]!r}"
    limit = MAX_ENTRY_BYTES + (2 * policy.commands.output_limit if shape.output else 0)
    if entry.event == "proposed":
        limit += RECORD_ALLOWANCE  # the record carries the message and the changed files
    if size > limit:
        return f"it is {size} bytes long (limit {limit})"
    if (entry.proposal is not None) != shape.proposal:
        return "it must name a proposal" if shape.proposal else "it may not name a proposal"
    return _commits_problem(entry, shape, policy) or _details_problem(entry, shape, policy)


def _commits_problem(entry: AuditEntry, shape: EventShape, policy: Policy) -> str | None:
    names = set(entry.commits)
    if names != shape.commits:
        missing, extra = sorted(shape.commits - names), sorted(names - shape.commits)
        if missing:
            return f"commits lack {missing[0]!r}"
        return f"commits hold unknown {extra[0][:80]!r}"
    for name, value in entry.commits.items():
        if name == "target":
            if not policy.is_protected(value):
                return f"its target {value[:80]!r} is not a protected branch"
        elif not _OID.fullmatch(value):
            return f"commits.{name} is not a full commit id"
    return None


def _details_problem(entry: AuditEntry, shape: EventShape, policy: Policy) -> str | None:
    details = entry.details
    for key in shape.required:
        if key not in details:
            return f"details lack {key!r}"
    output_limit = 2 * policy.commands.output_limit + 1_024
    for key, value in details.items():
        kind = shape.details.get(key)
        if kind is None:
            return f"details hold the unknown field {key[:80]!r}"
        if not _value_fits(kind, value, output_limit):
            return f"details.{key} is not a {_KIND_NAMES[kind]}"
    return None


_KIND_NAMES = {
    "str": "short string",
    "text": f"string of at most {MAX_TEXT} characters",
    "output": "bounded output string",
    "strs": f"list of at most {MAX_LIST} short strings",
    "int": "whole number",
    "int?": "whole number or null",
    "num": "number",
    "bool": "true or false",
    "sha256": "SHA-256 hex digest",
    "object": "JSON object",
}


def _value_fits(kind: str, value: Any, output_limit: int) -> bool:
    if kind == "str":
        return isinstance(value, str) and len(value) <= 256
    if kind == "text":
        return isinstance(value, str) and len(value) <= MAX_TEXT
    if kind == "output":
        return isinstance(value, str) and len(value) <= output_limit
    if kind == "strs":
        return (
            isinstance(value, list)
            and len(value) <= MAX_LIST
            and all(isinstance(v, str) and len(v) <= MAX_TEXT for v in value)
        )
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "sha256":
        return isinstance(value, str) and _SHA256.fullmatch(value) is not None
    if kind == "object":  # a nested record, bounded by the entry's size (e.g. a proposal)
        return isinstance(value, dict)
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind == "int":
        return is_int
    if kind == "int?":
        return is_int or value is None
    return is_int or (isinstance(value, float) and value == value and abs(value) < 1e12)


def time_problem(time: str, previous: str | None, now: datetime) -> str | None:
    """Why an entry's time cannot be true: malformed, before the previous entry, or ahead.

    ``previous`` is the time of the entry before it (None for the first); a few minutes of
    clock skew between clones are tolerated, more is back-dating.
    """
    moment = parse_time(time)
    if moment is None:
        return f"its time {time[:40]!r} is not YYYY-MM-DDTHH:MM:SSZ"
    if moment > now + MAX_AHEAD:
        return f"its time {time} is ahead of the server's clock ({iso(now)})"
    before = parse_time(previous) if previous else None
    if before is not None and moment < before - BACKDATE_SKEW:
        return f"its time {time} is before the previous entry's ({previous})"
    return None


def parse_time(text: str) -> datetime | None:
    """Parse an entry time, or None when it is not in gitgate's format."""
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    try:  # not strptime: its first call imports _strptime and builds locale tables (slow)
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def iso(moment: datetime) -> str:
    """Format a moment as an entry time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value (dict keys included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


# -- notes trees -----------------------------------------------------------------------------


def is_fanout_name(name: str) -> bool:
    """Tell whether a top-level notes tree entry has git's two-hex-digit fan-out name."""
    return len(name) == 2 and set(name) <= _HEX


def is_note_name(name: str, oid_length: int) -> bool:
    """Tell whether a fan-out entry names a note: the remaining 38 (or 62) hex digits."""
    return len(name) == oid_length - 2 and set(name) <= _HEX
