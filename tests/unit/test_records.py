"""records: the proposal note and audit entry codecs; hostile input must raise RecordError."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from gitgate.journal.records import (
    AUDIT_SCHEMA,
    MAX_RECORD_BYTES,
    PROPOSAL_SCHEMA,
    Approval,
    AuditEntry,
    ChangedFile,
    Proposal,
    RecordError,
    StatusChange,
    decode_audit,
    decode_proposal,
    encode_audit,
    encode_proposal,
)

SHA_A = "a" * 40
SHA_B = "b" * 40
SHA256 = "c" * 64


def make_proposal(**changes: Any) -> Proposal:
    base = Proposal(
        id="0123456789",
        kind="patch",
        tool="apply_patch",
        target="main",
        base=SHA_A,
        commit=SHA_B,
        requester="agent@example.com",
        created_at="2026-01-02T03:04:05Z",
        status="pending",
        message="Fix the thing\n\nbody ünïcödé",
        arguments={"patch_sha256": "f" * 64, "paths": ["a.txt", "dir/b c.txt"]},
        preview={"diffstat": " a.txt | 1 +", "diff": "+x\n", "truncated": False, "files": 1},
        history=(StatusChange("pending", "2026-01-02T03:04:05Z", "agent@example.com"),),
        approvals=(),
        changed_files=(
            ChangedFile("a.txt", "modified", None, 0o100644),
            ChangedFile("new.txt", "renamed", "old.txt", 0o100755),
        ),
        result={},
    )
    return replace(base, **changes)


def proposal_dict(**changes: Any) -> dict[str, Any]:
    data = json.loads(encode_proposal(make_proposal()))
    data.update(changes)
    return data


def as_bytes(data: Any) -> bytes:
    return json.dumps(data).encode()


# -- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "proposal",
    [
        make_proposal(),
        make_proposal(
            status="executed",
            result={"merge": SHA_A, "target": "main"},
            approvals=(Approval("alice@example.com", "2026-01-02T04:00:00Z", SHA_B),),
        ),
        make_proposal(
            status="rejected", message="", arguments={}, preview={}, history=(), changed_files=()
        ),
        make_proposal(kind="delete", commit="d" * 64, base=SHA256),
    ],
    ids=["pending", "executed", "minimal", "sha256"],
)
def test_proposal_round_trip(proposal: Proposal) -> None:
    encoded = encode_proposal(proposal)
    assert decode_proposal(encoded) == proposal
    assert encode_proposal(decode_proposal(encoded)) == encoded  # stable bytes


def test_proposal_encoding_is_stable_json_with_schema_first_class() -> None:
    encoded = encode_proposal(make_proposal())
    data = json.loads(encoded)
    assert data["schema"] == PROPOSAL_SCHEMA
    assert encoded.endswith(b"\n")
    assert list(data) == sorted(data)


def test_with_status_appends_history() -> None:
    p = make_proposal()
    q = p.with_status(
        "rejected", "2026-01-03T00:00:00Z", "alice@example.com", "no", result={"reason": "no"}
    )
    assert q.status == "rejected" and not q.is_pending and p.is_pending
    assert q.history[-1] == StatusChange(
        "rejected", "2026-01-03T00:00:00Z", "alice@example.com", "no"
    )
    assert q.result == {"reason": "no"}
    assert decode_proposal(encode_proposal(q)) == q


def test_unknown_fields_are_ignored_in_nested_records() -> None:
    data = proposal_dict(history=[{"status": "pending", "at": "t", "by": "x", "extra": 1}])
    assert decode_proposal(as_bytes(data)).history == (StatusChange("pending", "t", "x"),)


@pytest.mark.parametrize(
    "entry",
    [
        AuditEntry(
            1,
            "init",
            "alice@example.com",
            "2026-01-02T03:04:05Z",
            details={"protected": ["main"]},
            commits={"policy": SHA_A, "target": "main"},
        ),
        AuditEntry(
            42,
            "executed",
            "alice@example.com",
            "2026-01-02T03:04:05Z",
            proposal="abcdefghjk",
            commits={"merge": SHA_A, "proposal": SHA_B},
        ),
        AuditEntry(
            7, "rejected", "x\ny", "t", proposal="0000000000", details={"reason": "multi\nline ✓"}
        ),
    ],
)
def test_audit_round_trip(entry: AuditEntry) -> None:
    message = encode_audit(entry)
    assert message.startswith("gitgate audit #")
    assert "\n" not in message.split("\n\n", 1)[0]  # the subject is one line
    assert decode_audit(message) == entry


def test_audit_summary() -> None:
    entry = AuditEntry(3, "approved", "alice@example.com", "t", proposal="abcdefghjk")
    assert entry.summary() == "#3 approved abcdefghjk by alice@example.com"
    assert AuditEntry(1, "init", "a", "t").summary() == "#1 init by a"


# -- hostile proposal notes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json at all", "record is not JSON"),
        (b"\xff\xfe\x00", "record is not JSON"),
        (b"", "record is not JSON"),
        (b"[1, 2, 3]", "record is not a JSON object"),
        (b'"a string"', "record is not a JSON object"),
        (b"null", "record is not a JSON object"),
        (as_bytes(proposal_dict(schema="gitgate.proposal/2")), "unknown proposal schema"),
        (
            as_bytes({k: v for k, v in proposal_dict().items() if k != "schema"}),
            "unknown proposal schema None",
        ),
        (as_bytes(proposal_dict(id="../../etc")), "malformed proposal id"),
        (as_bytes(proposal_dict(id="0123456789a")), "malformed proposal id"),
        (as_bytes(proposal_dict(id="ABCDEFGHJK")), "malformed proposal id"),
        (as_bytes(proposal_dict(id="")), "field 'id' must be a non-empty string"),
        (as_bytes(proposal_dict(id=12345)), "field 'id' must be a non-empty string"),
        (as_bytes(proposal_dict(kind="rm -rf")), "field 'kind' has unknown value"),
        (as_bytes(proposal_dict(status="approved")), "field 'status' has unknown value"),
        (as_bytes(proposal_dict(status=None)), "field 'status' must be a non-empty string"),
        (as_bytes(proposal_dict(base="HEAD")), "field 'base' must be a full commit id"),
        (as_bytes(proposal_dict(commit="A" * 40)), "field 'commit' must be a full commit id"),
        (as_bytes(proposal_dict(commit="a" * 39)), "field 'commit' must be a full commit id"),
        (as_bytes(proposal_dict(requester=["x"])), "field 'requester' must be a non-empty"),
        (as_bytes(proposal_dict(message=5)), "field 'message' must be a string"),
        (as_bytes(proposal_dict(arguments=[])), "field 'arguments' must be an object"),
        (as_bytes(proposal_dict(preview="x")), "field 'preview' must be an object"),
        (as_bytes(proposal_dict(result=1)), "field 'result' must be an object"),
        (as_bytes(proposal_dict(history={})), "field 'history' must be a list"),
        (as_bytes(proposal_dict(history=["x"])), "malformed StatusChange"),
        (as_bytes(proposal_dict(approvals=[1])), "malformed Approval"),
        (as_bytes(proposal_dict(changed_files=[None])), "malformed ChangedFile"),
        (as_bytes(proposal_dict(history=[{"status": "pending"}])), "malformed proposal note"),
        (
            as_bytes(proposal_dict(changed_files=[{"path": 5, "change": "added"}])),
            "malformed ChangedFile",
        ),
        (
            as_bytes(proposal_dict(changed_files=[{"path": "a", "change": "added", "mode": "x"}])),
            "malformed ChangedFile",
        ),
        (
            as_bytes(proposal_dict(history=[{"status": [], "at": "t", "by": "x"}])),
            "malformed StatusChange",
        ),
        (
            as_bytes(proposal_dict(approvals=[{"by": {}, "at": "t", "commit": SHA_A}])),
            "malformed Approval",
        ),
        (as_bytes(proposal_dict(approvals=[{"by": "x"}])), "malformed proposal note"),
    ],
)
def test_hostile_proposal_notes_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(RecordError, match="^" + _re_escape(message)):
        decode_proposal(data)


def test_huge_note_is_refused_before_parsing() -> None:
    data = b'{"schema": "' + PROPOSAL_SCHEMA.encode() + b'", "x": "' + b"a" * MAX_RECORD_BYTES
    data += b'"}'
    with pytest.raises(RecordError, match="^record is too large$"):
        decode_proposal(data)


def test_deeply_nested_note_is_a_record_error() -> None:
    data = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(RecordError):
        decode_proposal(data)


def test_record_error_is_a_value_error() -> None:
    assert issubclass(RecordError, ValueError)


# -- hostile audit entries ----------------------------------------------------------------


def audit_message(**changes: Any) -> str:
    entry = AuditEntry(
        3, "approved", "alice@example.com", "t", proposal="abcdefghjk", commits={"proposal": SHA_A}
    )
    subject, _, body = encode_audit(entry).partition("\n\n")
    data = json.loads(body)
    data.update(changes)
    return f"{subject}\n\n{json.dumps(data)}\n"


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("", "not a gitgate audit entry"),
        ("gitgate audit #1 init", "not a gitgate audit entry"),
        ("Merge branch 'x'\n\n{}", "not a gitgate audit entry"),
        ("gitgate audit #1\n\nnot json", "record is not JSON"),
        ("gitgate audit #1\n\n[]", "record is not a JSON object"),
        (audit_message(schema=AUDIT_SCHEMA + "x"), "unknown audit schema"),
        (audit_message(seq=0), "audit entry has no valid sequence number"),
        (audit_message(seq=-1), "audit entry has no valid sequence number"),
        (audit_message(seq="3"), "audit entry has no valid sequence number"),
        (audit_message(seq=True), "audit entry has no valid sequence number"),
        (audit_message(seq=2.0), "audit entry has no valid sequence number"),
        (audit_message(proposal="../x"), "audit entry names a malformed proposal id"),
        (audit_message(proposal=7), "audit entry names a malformed proposal id"),
        (audit_message(commits=["a"]), "field 'commits' must be an object"),
        (audit_message(commits={"merge": 1}), "audit entry 'commits' must map names"),
        (audit_message(event="deleted-everything"), "field 'event' has unknown value"),
        (audit_message(actor=""), "field 'actor' must be a non-empty string"),
        (audit_message(time=None), "field 'time' must be a non-empty string"),
        (audit_message(details="x"), "field 'details' must be an object"),
    ],
)
def test_hostile_audit_entries_are_refused(message: str, error: str) -> None:
    with pytest.raises(RecordError, match="^" + _re_escape(error)):
        decode_audit(message)


def test_huge_audit_entry_is_refused() -> None:
    message = "gitgate audit #1\n\n" + '{"x": "' + "a" * MAX_RECORD_BYTES + '"}'
    with pytest.raises(RecordError, match="too large"):
        decode_audit(message)


def _re_escape(text: str) -> str:
    import re

    return re.escape(text)
