"""Record formats: the proposal note and the audit entry, with their JSON codecs.

Pure: no git here. Both formats carry a schema string so that readers can refuse what they do
not understand instead of misreading it. Everything in a record has already been redacted by
the code that builds it; decoding validates shape and types, because notes and audit entries
arrive from other clones and may be hostile.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from gitgate import methodcache
from gitgate.ids import is_valid_id

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import Any, Literal, TypeVar

    Kind = Literal["patch", "write", "create", "delete", "command"]
    Status = Literal["pending", "executed", "failed", "rejected"]
    _R = TypeVar("_R")

PROPOSAL_SCHEMA = "gitgate.proposal/1"
AUDIT_SCHEMA = "gitgate.audit/1"

KINDS: tuple[str, ...] = ("patch", "write", "create", "delete", "command")
STATUSES: tuple[str, ...] = ("pending", "executed", "failed", "rejected")
EVENTS: tuple[str, ...] = (
    "init",
    "proposed",
    "approved",
    "executed",
    "failed",
    "rejected",
    "exported",
    "command.auto",
    "command.denied",
    "policy",
)
# The audit events that change a proposal's status, and the status each one sets.
STATUS_EVENTS: dict[str, str] = {
    "proposed": "pending",
    "executed": "executed",
    "failed": "failed",
    "rejected": "rejected",
}

MAX_RECORD_BYTES = 1_000_000  # a note or entry larger than this is refused as hostile


class RecordError(ValueError):
    """A note or audit entry is malformed."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of a proposal's status history."""

    status: str
    at: str
    by: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Approval:
    """An approval, bound to the exact proposal commit that was approved."""

    by: str
    at: str
    commit: str


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """One path a proposal changes."""

    path: str
    change: str  # added | modified | deleted | renamed | copied | typechange
    old_path: str | None = None
    mode: int | None = None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposal's metadata, as stored in its git note (already redacted)."""

    id: str
    kind: str
    tool: str
    target: str
    base: str
    commit: str
    requester: str
    created_at: str
    status: str
    message: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    preview: dict[str, Any] = field(default_factory=dict)
    history: tuple[StatusChange, ...] = ()
    approvals: tuple[Approval, ...] = ()
    changed_files: tuple[ChangedFile, ...] = ()
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def is_pending(self) -> bool:
        """Tell whether the proposal still waits for a decision."""
        return self.status == "pending"

    def with_status(self, status: str, at: str, by: str, note: str = "", **extra: Any) -> Proposal:
        """Return a copy moved to ``status``, with the step appended to the history."""
        step = StatusChange(status=status, at=at, by=by, note=note)
        return replace(self, status=status, history=(*self.history, step), **extra)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, schema first.

        Built by hand: ``dataclasses.asdict`` deep-copies every value, which made encoding
        the notes most of `audit verify`'s time.
        """
        return {
            "schema": PROPOSAL_SCHEMA,
            "id": self.id,
            "kind": self.kind,
            "tool": self.tool,
            "target": self.target,
            "base": self.base,
            "commit": self.commit,
            "requester": self.requester,
            "created_at": self.created_at,
            "status": self.status,
            "message": self.message,
            "arguments": self.arguments,
            "preview": self.preview,
            "history": [_plain(h) for h in self.history],
            "approvals": [_plain(a) for a in self.approvals],
            "changed_files": [_plain(c) for c in self.changed_files],
            "result": self.result,
        }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the append-only audit log (already redacted)."""

    seq: int
    event: str
    actor: str
    time: str
    proposal: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    commits: dict[str, str] = field(default_factory=dict)
    # The journal's promise: every ref this entry moves, as ``ref -> (old, new)`` (None: absent),
    # in the order they are applied. Once the entry is on the audit ref the moves are decided;
    # they are then applied, or completed by the next gitgate command after a crash.
    refs: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, schema first (``refs`` only when the entry moves refs)."""
        body = asdict(self)
        if not self.refs:
            del body["refs"]
        else:
            body["refs"] = [[ref, old, new] for ref, (old, new) in self.refs.items()]
        return {"schema": AUDIT_SCHEMA, **body}

    def summary(self) -> str:
        """One line for logs and commit subjects."""
        what = f" {self.proposal}" if self.proposal else ""
        return f"#{self.seq} {self.event}{what} by {self.actor}"


def positional_builder(cls: type[_R], names: tuple[str, ...]) -> Callable[..., _R]:
    """``cls(*values)``, the values in field order, without the frozen dataclass's
    ``__init__``.

    That ``__init__`` sets each field through ``object.__setattr__`` (frozen), ~0.7 µs a
    field: building 30,000 entries and 20,000 proposals was ~0.25 s of `audit verify`. This
    sets the slots directly, ~2x faster, to the same object: one call per field in a
    function written for the class (as :mod:`dataclasses` writes ``__init__``), since a loop
    over the fields cost as much as the ``__init__`` it replaces. It holds only for the
    layout it is made for: plain fields named ``names`` in that order, no
    ``__post_init__``; anything else fails here, at import, not quietly later.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if tuple(f.name for f in fields) != names or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} is not laid out as its builder expects")
    if not all(f.init for f in fields) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not laid out as its builder expects")
    scope: dict[str, Any] = {"make": object.__new__, "cls": cls}
    values = [f"v{i}" for i in range(len(names))]
    lines = [f"def build({', '.join(values)}):", "    obj = make(cls)"]
    for i, name in enumerate(names):
        scope[f"set{i}"] = cls.__dict__[name].__set__  # the slot's own setter
        lines.append(f"    set{i}(obj, v{i})")
    lines.append("    return obj")
    # Our own text (names v0.., set0..), compiled once and kept as dataclass methods are.
    exec(methodcache.compiled("\n".join(lines), cls.__module__), scope)  # noqa: S102
    build: Callable[..., _R] = scope["build"]
    build.__qualname__ = f"new_{cls.__name__}"
    return build


new_audit_entry = positional_builder(
    AuditEntry, ("seq", "event", "actor", "time", "proposal", "details", "commits", "refs")
)
new_status_change = positional_builder(StatusChange, ("status", "at", "by", "note"))
new_approval = positional_builder(Approval, ("by", "at", "commit"))
new_changed_file = positional_builder(ChangedFile, ("path", "change", "old_path", "mode"))
new_proposal = positional_builder(
    Proposal,
    (
        "id",
        "kind",
        "tool",
        "target",
        "base",
        "commit",
        "requester",
        "created_at",
        "status",
        "message",
        "arguments",
        "preview",
        "history",
        "approvals",
        "changed_files",
        "result",
    ),
)


# What a proposal is, fixed when it is made: the ``proposed`` journal entry carries exactly these
# fields, and a note's copy of them must never differ (only status, history, approvals and
# result move, each through a later entry).
RECORD_FIELDS: tuple[str, ...] = (
    "id",
    "kind",
    "tool",
    "target",
    "base",
    "commit",
    "requester",
    "created_at",
    "message",
    "arguments",
    "changed_files",
)


def proposal_record(proposal: Proposal) -> dict[str, Any]:
    """The immutable part of a proposal, as the ``proposed`` entry stores it."""
    body = proposal.to_dict()
    return {key: body[key] for key in RECORD_FIELDS}


def _plain(item: StatusChange | Approval | ChangedFile) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


def proposal_from_record(record: Any) -> Proposal:
    """A pending proposal (no history yet) from the record of a ``proposed`` entry.

    Defined as :func:`reference_proposal_from_record` (the record written out as a note and
    decoded as one, so a record is judged exactly as a note is). That JSON round trip was
    ~30 µs a proposal, a fifth of `audit verify`; for a record of plain JSON values (what
    decoding an entry gives, or tuples where it gives lists) a copy of it is what the round
    trip returns, so the copy is validated instead, by the very code that validates notes.
    Anything else (floats, non-string keys, subclasses, deep nesting, possibly too large)
    takes the reference path; a hypothesis test compares the two.

    Raises:
        RecordError: when the record is malformed or carries fields a record does not have.
    """
    if not isinstance(record, dict) or not set(record) <= _RECORD_FIELD_SET:
        raise RecordError("malformed proposal record in a proposed entry")
    proposal = _record_proposal(record)
    if proposal is not None:
        return proposal
    budget = [MAX_RECORD_BYTES - _NOTE_WRAPPER_BYTES]
    copied = _plain_copy(record, 0, budget)
    if copied is None or budget[0] < 0:
        return reference_proposal_from_record(record)
    return _proposal_from_obj({"schema": PROPOSAL_SCHEMA, **copied, "status": "pending"})


def _record_proposal(record: dict[str, Any]) -> Proposal | None:
    """:func:`proposal_from_record` for a record in the shape gitgate writes, else None.

    The shape: all eleven fields, each a plain string but ``arguments`` (a plain object) and
    ``changed_files`` (a list of the four-field objects gitgate writes), valid as a note's.
    Then the copy and the size bound are :func:`_plain_copy`'s, but only ``arguments`` is
    copied (the strings are kept and each changed file becomes a :class:`ChangedFile`, as
    the general path does), and the fields are checked in one pass. Anything else (or a
    record that might be too large) is None: the general path judges it.
    """
    if type(record) is not dict or len(record) != len(RECORD_FIELDS):
        return None  # the caller checked that every key is a record field: all are here
    pid, kind, tool, target = record["id"], record["kind"], record["tool"], record["target"]
    base, commit, requester = record["base"], record["commit"], record["requester"]
    created_at, message = record["created_at"], record["message"]
    arguments, changed = record["arguments"], record["changed_files"]
    strings = (pid, kind, tool, target, base, commit, requester, created_at, message)
    if set(map(type, strings)) != _STR_ONLY or type(changed) is not list:
        return None
    if not (
        tool
        and target
        and requester
        and created_at
        and kind in _KIND_SET
        and _OID.fullmatch(base) is not None
        and _OID.fullmatch(commit) is not None
        and is_valid_id(pid)
    ):
        return None
    # the bytes _plain_copy would count for the record's own object, its strings, and the
    # changed files' list and objects; arguments count theirs as they are copied
    budget = [MAX_RECORD_BYTES - _NOTE_WRAPPER_BYTES - _RECORD_KEYS_BYTES - 8]
    budget[0] -= sum(map(len, strings)) * 12 + 4 * len(strings)
    copied = _plain_copy(arguments, 1, budget) if type(arguments) is dict else None
    if copied is None:
        return None
    files = []
    for item in changed:
        if type(item) is not dict or item.keys() != _CHANGED_KEYS:
            return None
        path, change, old_path, mode = item["path"], item["change"], item["old_path"], item["mode"]
        if not (
            type(path) is str
            and type(change) is str
            and (old_path is None or type(old_path) is str)
            and (mode is None or (type(mode) is int and _SMALL(mode)))
        ):
            return None
        # its object (4), path and change (12 a character, 4 around), old path, mode (24)
        budget[0] -= _CHANGED_KEYS_BYTES + 4 + 12 * (len(path) + len(change)) + 8 + 24
        budget[0] -= 24 if old_path is None else 12 * len(old_path) + 4
        files.append(new_changed_file(path, change, old_path, mode))
    if budget[0] < 0:
        return None
    return new_proposal(
        pid,
        kind,
        tool,
        target,
        base,
        commit,
        requester,
        created_at,
        "pending",
        message,
        copied,
        {},
        (),
        (),
        tuple(files),
        {},
    )


_STR_ONLY = {str}
# _plain_copy's count for the keys: 12 bytes a character and 4 around, in the record's
# object and in each changed file's
_RECORD_KEYS_BYTES = sum(12 * len(key) + 4 for key in RECORD_FIELDS)
_CHANGED_KEYS_BYTES = sum(12 * len(key) + 4 for key in ("path", "change", "old_path", "mode"))


def reference_proposal_from_record(record: Any) -> Proposal:
    """:func:`proposal_from_record` by its definition: the record as a note, decoded."""
    if not isinstance(record, dict) or not set(record) <= _RECORD_FIELD_SET:
        raise RecordError("malformed proposal record in a proposed entry")
    body = {"schema": PROPOSAL_SCHEMA, **record, "status": "pending"}
    # decode_proposal, by the checked path alone: the fast paths are tested against this
    return checked_proposal_from_obj(_load_json(json.dumps(body).encode()))


_RECORD_FIELD_SET = frozenset(RECORD_FIELDS)
# `{"schema": "gitgate.proposal/1", ` and `, "status": "pending"}` around the record, with room.
_NOTE_WRAPPER_BYTES = 128
_MAX_PLAIN_DEPTH = 64  # far deeper than any record; deeper ones take the reference path
_INT_BOUND = 1 << 63  # smaller ints are far below json.dumps's digit limit
_SMALL = range(1 - _INT_BOUND, _INT_BOUND).__contains__  # one C call per int


def _plain_copy(value: Any, depth: int, budget: list[int]) -> Any:
    """A copy of ``value`` as ``json.loads(json.dumps(value))`` returns it, or None when that
    is not certain (the caller then takes the reference path).

    ``budget[0]`` is lowered by an upper bound of the bytes ``json.dumps`` writes for the
    value (a character escapes to at most 12 bytes, a scalar to at most 24, a separator to
    2), so a record that might exceed :data:`MAX_RECORD_BYTES` as a note is left to the
    reference, which refuses it exactly as before. Scalars, most of a record, are handled
    in the loops rather than by a call each.
    """
    kind = type(value)
    if kind is str:
        budget[0] -= 12 * len(value) + 4
        return value
    if depth >= _MAX_PLAIN_DEPTH:
        return None
    if kind is dict:
        out: dict[str, Any] = {}
        size = 4
        for key, item in value.items():
            if type(key) is not str:
                return None  # json.dumps converts int, float, bool and None keys itself
            size += 12 * len(key) + 4
            kind = type(item)
            if kind is str:
                size += 12 * len(item) + 4
            elif item is None or kind is bool or (kind is int and _SMALL(item)):
                size += 24
            else:
                item = _plain_copy(item, depth + 1, budget)
                if item is None:
                    return None
            out[key] = item
        budget[0] -= size
        return out
    if kind is list or kind is tuple:  # json.dumps writes a tuple as an array: a list back
        items: list[Any] = []
        size = 4
        for item in value:
            kind = type(item)
            if kind is str:
                size += 12 * len(item) + 4
            elif item is None or kind is bool or (kind is int and _SMALL(item)):
                size += 24
            else:
                item = _plain_copy(item, depth + 1, budget)
                if item is None:
                    return None
            items.append(item)
        budget[0] -= size
        return items
    budget[0] -= 24
    if kind is bool or (kind is int and _SMALL(value)):
        return value
    # floats (a NaN is unequal to its copy), huge ints (json's digit limit), subclasses, None
    # at the top (never a record: the caller passes a dict)
    return None


def encode_proposal(proposal: Proposal) -> bytes:
    """Serialise a proposal note (stable key order, so equal records give equal blobs)."""
    return (json.dumps(proposal.to_dict(), sort_keys=True, indent=1) + "\n").encode()


def decode_proposal(data: bytes) -> Proposal:
    """Parse and validate a proposal note.

    Raises:
        RecordError: when it is not a gitgate proposal note of a known schema.
    """
    return _proposal_from_obj(_load_json(data))


def _proposal_from_obj(obj: dict[str, Any]) -> Proposal:
    """Validate a decoded note (its JSON object) and build the proposal.

    Defined as :func:`checked_proposal_from_obj`. A note in the shape gitgate writes (every
    nested record with all its fields, plain JSON types) is validated in one pass instead:
    `audit verify` builds every proposal once (10,000 at the target size), and a call per
    field and a keyword ``__init__`` per nested record were most of that. Anything else (a
    field missing or of another type, a dict subclass, an unknown kind) takes the checked
    path, which accepts or refuses it with its own error; a hypothesis test compares the two.
    """
    proposal = _plain_proposal(obj)
    return proposal if proposal is not None else checked_proposal_from_obj(obj)


def _plain_proposal(obj: dict[str, Any]) -> Proposal | None:
    """The proposal when ``obj`` is a valid note in gitgate's own shape, else None (never
    raises: the caller's checked path then judges the note)."""
    get = obj.get
    pid, tool, target = get("id"), get("tool"), get("target")
    requester, created_at = get("requester"), get("created_at")
    kind, status, base, commit = get("kind"), get("status"), get("base"), get("commit")
    message, arguments = get("message", ""), get("arguments", _EMPTY)
    preview, result = get("preview", _EMPTY), get("result", _EMPTY)
    if not (
        get("schema") == PROPOSAL_SCHEMA
        and type(pid) is str
        and type(tool) is str
        and tool
        and type(target) is str
        and target
        and type(requester) is str
        and requester
        and type(created_at) is str
        and created_at
        and type(kind) is str
        and kind in _KIND_SET
        and type(status) is str
        and status in _STATUS_SET
        and type(base) is str
        and _OID.fullmatch(base) is not None
        and type(commit) is str
        and _OID.fullmatch(commit) is not None
        and type(message) is str
        and (arguments is _EMPTY or type(arguments) is dict)
        and (preview is _EMPTY or type(preview) is dict)
        and (result is _EMPTY or type(result) is dict)
        and is_valid_id(pid)
    ):
        return None
    history = _plain_items(get("history", _NONE), _STEP_KEYS, _step_from)
    approvals = _plain_items(get("approvals", _NONE), _APPROVAL_KEYS, _approval_from)
    changed = _plain_items(get("changed_files", _NONE), _CHANGED_KEYS, _changed_from)
    if history is None or approvals is None or changed is None:
        return None
    return new_proposal(
        pid,
        kind,
        tool,
        target,
        base,
        commit,
        requester,
        created_at,
        status,
        message,
        {} if arguments is _EMPTY else arguments,
        {} if preview is _EMPTY else preview,
        history,
        approvals,
        changed,
        {} if result is _EMPTY else result,
    )


def _plain_items(
    items: Any, keys: frozenset[str], build: Callable[[dict[str, Any]], Any]
) -> tuple[Any, ...] | None:
    """The nested records of a note's list, each a plain dict with exactly ``keys`` (None:
    anything else, for the checked path)."""
    if items is _NONE:
        return ()
    if type(items) is not list:
        return None
    out = []
    for item in items:
        if type(item) is not dict or item.keys() != keys:
            return None
        built = build(item)
        if built is None:
            return None
        out.append(built)
    return tuple(out)


def _step_from(item: dict[str, Any]) -> StatusChange | None:
    status, at, by, note = item["status"], item["at"], item["by"], item["note"]
    if type(status) is str and type(at) is str and type(by) is str and type(note) is str:
        return new_status_change(status, at, by, note)
    return None


def _approval_from(item: dict[str, Any]) -> Approval | None:
    by, at, commit = item["by"], item["at"], item["commit"]
    if type(by) is str and type(at) is str and type(commit) is str:
        return new_approval(by, at, commit)
    return None


def _changed_from(item: dict[str, Any]) -> ChangedFile | None:
    path, change, old_path, mode = item["path"], item["change"], item["old_path"], item["mode"]
    if (
        type(path) is str
        and type(change) is str
        and (old_path is None or type(old_path) is str)
        and (mode is None or type(mode) is int)
    ):
        return new_changed_file(path, change, old_path, mode)
    return None


_EMPTY: Any = object()  # a field left out: its default, a new {} (the checked path's too)
_NONE: Any = object()
_KIND_SET = frozenset(KINDS)
_STATUS_SET = frozenset(STATUSES)
_STEP_KEYS = frozenset(("status", "at", "by", "note"))
_APPROVAL_KEYS = frozenset(("by", "at", "commit"))
_CHANGED_KEYS = frozenset(("path", "change", "old_path", "mode"))


def checked_proposal_from_obj(obj: dict[str, Any]) -> Proposal:
    """:func:`_proposal_from_obj` by its definition: each field checked by a call of its
    own, in order (the first problem is the one reported)."""
    if obj.get("schema") != PROPOSAL_SCHEMA:
        raise RecordError(f"unknown proposal schema {obj.get('schema')!r}")
    try:
        proposal = new_proposal(  # the fields in order, each checked in that order
            _req_str(obj, "id"),
            _req_choice(obj, "kind", KINDS),
            _req_str(obj, "tool"),
            _req_str(obj, "target"),
            _req_oid(obj, "base"),
            _req_oid(obj, "commit"),
            _req_str(obj, "requester"),
            _req_str(obj, "created_at"),
            _req_choice(obj, "status", STATUSES),
            _opt_str(obj, "message"),
            _opt_dict(obj, "arguments"),
            _opt_dict(obj, "preview"),
            tuple(StatusChange(**_fields(h, StatusChange)) for h in _list(obj, "history")),
            tuple(Approval(**_fields(a, Approval)) for a in _list(obj, "approvals")),
            tuple(ChangedFile(**_fields(c, ChangedFile)) for c in _list(obj, "changed_files")),
            _opt_dict(obj, "result"),
        )
    except TypeError as err:
        raise RecordError(f"malformed proposal note: {err}") from err
    if not is_valid_id(proposal.id):
        raise RecordError(f"malformed proposal id {proposal.id!r}")
    return proposal


COMMAND_TRAILER = "Gitgate-Command: "


def command_trailer(command: str) -> str:
    """The trailer that carries a command proposal's exact command in its commit message."""
    return COMMAND_TRAILER + json.dumps(command)


def command_from_message(message: str) -> str | None:
    """The command stored in a proposal commit's trailers (None: none, or more than one)."""
    trailers = message.rstrip("\n").rsplit("\n\n", 1)[-1].splitlines()
    found = [line[len(COMMAND_TRAILER) :] for line in trailers if line.startswith(COMMAND_TRAILER)]
    if len(found) != 1:
        return None
    try:
        command = json.loads(found[0])
    except ValueError:
        return None
    return command if isinstance(command, str) else None


AUDIT_SUBJECT_PREFIX = "gitgate audit "


def encode_audit(entry: AuditEntry) -> str:
    """Serialise an audit entry as a commit message: a subject line, then the JSON body."""
    body = json.dumps(entry.to_dict(), sort_keys=True, indent=1)
    subject = AUDIT_SUBJECT_PREFIX + entry.summary().replace("\n", " ")
    return f"{subject}\n\n{body}\n"


def decode_audit(message: str) -> AuditEntry:
    """Parse and validate an audit entry from its commit message.

    The checks, their order and their errors are those of :func:`reference_decode_audit`,
    written inline: `audit verify` decodes every entry of the journal (30,000 at 10,000
    proposals), and a call per field was ~1 µs of the ~6 µs the checks take beside the JSON
    parse. JSON gives values of exact types (an ``int`` is never a subclass but ``bool``), so
    ``type(x) is int`` is the reference's ``isinstance`` test here. A hypothesis test
    compares the two on valid, damaged and hostile entries.

    Raises:
        RecordError: when the message is not a well-formed audit entry.
    """
    subject, sep, body = message.partition("\n\n")
    if not sep or not subject.startswith(AUDIT_SUBJECT_PREFIX):
        raise RecordError("not a gitgate audit entry")
    obj = _load_json_text(body)
    get = obj.get
    if get("schema") != AUDIT_SCHEMA:
        raise RecordError(f"unknown audit schema {get('schema')!r}")
    seq = get("seq")
    if type(seq) is not int or seq < 1:  # a bool is refused too, as by the reference
        raise RecordError("audit entry has no valid sequence number")
    proposal = get("proposal")
    if proposal is not None and (type(proposal) is not str or not is_valid_id(proposal)):
        raise RecordError("audit entry names a malformed proposal id")
    commits = get("commits", {})
    if type(commits) is not dict:
        raise RecordError("field 'commits' must be an object")
    if not all(map(isinstance, commits.values(), _STR_TYPES)):
        raise RecordError("audit entry 'commits' must map names to commit ids")
    refs = get("refs", _NO_REFS)
    refs = {} if refs is _NO_REFS else _ref_moves(refs)
    event = get("event")
    if type(event) is not str or not event:
        raise RecordError("field 'event' must be a non-empty string")
    if event not in _EVENT_SET:
        raise RecordError(f"field 'event' has unknown value {event!r}")
    actor = get("actor")
    if type(actor) is not str or not actor:
        raise RecordError("field 'actor' must be a non-empty string")
    time = get("time")
    if type(time) is not str or not time:
        raise RecordError("field 'time' must be a non-empty string")
    details = get("details", {})
    if type(details) is not dict:
        raise RecordError("field 'details' must be an object")
    return new_audit_entry(seq, event, actor, time, proposal, details, commits, refs)


_STR_TYPES = itertools.repeat(str)  # ``isinstance(value, str)`` for each value, in C
_EVENT_SET = frozenset(EVENTS)
_NO_REFS: Any = object()  # "refs" absent (null is present, and refused)


def reference_decode_audit(message: str) -> AuditEntry:
    """:func:`decode_audit` as it is defined: each check a call of its own, in this order."""
    subject, sep, body = message.partition("\n\n")
    if not sep or not subject.startswith(AUDIT_SUBJECT_PREFIX):
        raise RecordError("not a gitgate audit entry")
    obj = _load_json_text(body)
    if obj.get("schema") != AUDIT_SCHEMA:
        raise RecordError(f"unknown audit schema {obj.get('schema')!r}")
    seq = obj.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise RecordError("audit entry has no valid sequence number")
    proposal = obj.get("proposal")
    if proposal is not None and (not isinstance(proposal, str) or not is_valid_id(proposal)):
        raise RecordError("audit entry names a malformed proposal id")
    commits = _opt_dict(obj, "commits")
    if not all(isinstance(v, str) for v in commits.values()):
        raise RecordError("audit entry 'commits' must map names to commit ids")
    refs = _ref_moves(obj.get("refs", []))
    return new_audit_entry(  # the fields in order, each checked in that order
        seq,
        _req_choice(obj, "event", EVENTS),
        _req_str(obj, "actor"),
        _req_str(obj, "time"),
        proposal,
        _opt_dict(obj, "details"),
        commits,  # each value checked a str just above
        refs,
    )


def _ref_moves(value: Any) -> dict[str, tuple[str | None, str | None]]:
    """Decode ``[[ref, old, new], …]``: full ids or null, each ref named once."""
    if not isinstance(value, list):
        raise RecordError("audit entry 'refs' must be a list of [ref, old, new]")
    moves: dict[str, tuple[str | None, str | None]] = {}
    for item in value:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)):
            raise RecordError("audit entry 'refs' must be a list of [ref, old, new]")
        ref, old, new = item
        if not ref.startswith("refs/") or ref in moves:
            raise RecordError(f"audit entry 'refs' names {ref[:80]!r} badly or twice")
        if not (_is_oid_or_none(old) and _is_oid_or_none(new)) or old == new:
            raise RecordError(f"audit entry 'refs' has a malformed move of {ref[:80]!r}")
        moves[ref] = (old, new)
    return moves


_OID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def _is_oid_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and _OID.fullmatch(value) is not None)


def _load_json_text(text: str) -> dict[str, Any]:
    """``_load_json(text.encode())``, without encoding the text and decoding it back.

    gitgate writes entries in ASCII (``json.dumps`` escapes the rest). For ASCII text with
    no NUL among its first bytes, ``json.loads`` of the bytes detects UTF-8 and decodes them
    back to this very text, so parsing the text is the same. Any other text takes that path
    itself (a BOM, a UTF-16 guess, surrogates that cannot be encoded: all as before).
    """
    if not text.isascii() or "\x00" in text[:4]:
        return _load_json(text.encode())
    if len(text) > MAX_RECORD_BYTES:
        raise RecordError("record is too large")
    return _parsed(text)


def _load_json(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError("record is too large")
    return _parsed(data)


def _parsed(data: str | bytes) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise RecordError(f"record is not JSON: {err}") from err
    except RecursionError as err:  # "[[[[…" nested deeper than the parser's recursion limit
        raise RecordError("record is nested too deeply") from err
    if not isinstance(obj, dict):
        raise RecordError("record is not a JSON object")
    return obj


def _req_str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise RecordError(f"field {key!r} must be a non-empty string")
    return value


def _opt_str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key, "")
    if not isinstance(value, str):
        raise RecordError(f"field {key!r} must be a string")
    return value


def _req_oid(obj: dict[str, Any], key: str) -> str:
    value = _req_str(obj, key)
    if _OID.fullmatch(value) is None:
        raise RecordError(f"field {key!r} must be a full commit id")
    return value


def _req_choice(obj: dict[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = _req_str(obj, key)
    if value not in choices:
        raise RecordError(f"field {key!r} has unknown value {value!r}")
    return value


def _opt_dict(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key, {})
    if not isinstance(value, dict):
        raise RecordError(f"field {key!r} must be an object")
    return value


def _list(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise RecordError(f"field {key!r} must be a list")
    return value


def _fields(item: Any, cls: type) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RecordError(f"malformed {cls.__name__}")
    declared = cls.__dataclass_fields__  # type: ignore[attr-defined]
    out = {k: v for k, v in item.items() if k in declared}
    for key, value in out.items():
        # Nested records hold strings; optional ones may be null; ChangedFile.mode is an int.
        optional = declared[key].default is None
        is_int = isinstance(value, int) and not isinstance(value, bool)
        expected = is_int if key == "mode" else isinstance(value, str)
        if not (expected or (optional and value is None)):
            raise RecordError(f"malformed {cls.__name__}: field {key!r} has the wrong type")
    return out
