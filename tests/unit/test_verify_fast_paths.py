"""The fast paths `audit verify` takes, each against its reference on random valid and hostile
input: loading an entry's JSON as text, building a proposal from a ``proposed`` record without
a JSON round trip, and replaying the journal with drafts instead of one rebuild per entry."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gitgate.journal import records
from gitgate.journal.records import (
    MAX_RECORD_BYTES,
    RECORD_FIELDS,
    AuditEntry,
    Proposal,
    RecordError,
    _load_json,
    _load_json_text,
    decode_audit,
    encode_audit,
    proposal_from_record,
    proposal_record,
    reference_proposal_from_record,
)
from gitgate.journal.replay import JournalState, apply_entry, replay

SHAS = ["a" * 40, "b" * 40, "c" * 40, "d" * 40, "e" * 64]
IDS = ["abcd234567", "bcde345678", "cdef456789"]


def outcome(fn: Callable[[], Any]) -> tuple[str, str]:
    """What a call does, comparable across paths: its value's repr (tuples and lists differ,
    a NaN equals itself) or its exception's type and text."""
    try:
        return ("value", repr(fn()))
    except Exception as err:  # noqa: BLE001 - any difference between the paths matters
        return (type(err).__name__, str(err))


# -- JSON values, plain and not ------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "x", "\x00", "\ufeff", "é", "\U0001f600", "\ud800", '"', "\\", "\n"]
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _text
)
_keys = _text | st.integers(-3, 3) | st.none() | st.booleans()
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(_keys, inner, max_size=4)
    ),
    max_leaves=12,
)


def _valid_record(seed: int) -> dict[str, Any]:
    proposal = Proposal(
        id=IDS[seed % 3],
        kind=("write", "patch", "delete")[seed % 3],
        tool="write_file",
        target="main",
        base=SHAS[seed % 5],
        commit=SHAS[(seed + 1) % 5],
        requester="agent@example.com",
        created_at="2026-01-01T00:00:00Z",
        status="pending",
        message="m\u00e9" * (seed % 4),
        arguments={"paths": ["a", "b/c"], "bytes": seed, "nested": {"ok": [True, None]}},
        changed_files=(),
    )
    record = proposal_record(proposal)
    record["changed_files"] = [
        {"path": "a", "change": "added", "old_path": None, "mode": 33188},
        {"path": "b", "change": "renamed", "old_path": "c", "mode": 33261},
    ][: seed % 3]
    return record


@st.composite
def record_inputs(draw: st.DrawFn) -> Any:
    """A record gitgate writes, then perhaps damaged: fields replaced by any value, dropped,
    added; tuples for lists (in memory); or no record at all."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(_values)
    record: dict[Any, Any] = _valid_record(draw(st.integers(0, 30)))
    if choice == 1:
        record["changed_files"] = tuple(
            {**item, "mode": draw(st.integers(0, 2**64))} for item in record["changed_files"]
        )
    if choice == 2:
        record["arguments"] = {"paths": tuple(["x"] * draw(st.integers(0, 3)))}
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([*RECORD_FIELDS, "status", "schema", "history", 1]))
        if draw(st.booleans()):
            record[key] = draw(_values)
        else:
            record.pop(key, None)
    return record


def test_the_fast_record_path_is_taken_for_real_records() -> None:
    record = _valid_record(5)
    fast = proposal_from_record(record)
    assert fast == reference_proposal_from_record(record)
    # a copy, as the round trip gives: nothing shared with the entry's mutable values
    assert fast.arguments == record["arguments"] and fast.arguments is not record["arguments"]
    assert fast.arguments["nested"] is not record["arguments"]["nested"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record_inputs())
@example({**_valid_record(1), "message": "x" * (MAX_RECORD_BYTES // 12)})  # near the limit
@example({**_valid_record(1), "message": "\U0001f600" * (MAX_RECORD_BYTES // 11)})  # over it
@example({**_valid_record(1), "arguments": {"n": math.nan}})
@example({**_valid_record(1), "arguments": {1: "a", "1": "b"}})
@example({**_valid_record(1), "arguments": {"deep": [[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]}})
def test_proposal_from_record_is_the_json_round_trip(record: Any) -> None:
    assert outcome(lambda: proposal_from_record(record)) == outcome(
        lambda: reference_proposal_from_record(record)
    )


def test_an_int_too_long_for_text_is_judged_alike() -> None:
    """Python refuses to write an int of over 4,300 digits as text, so the JSON round trip
    fails on one: the fast path must fail alike. (A plain test, not an @example: hypothesis
    6.100, our oldest, cannot repr such an int when it reports an explicit example.)"""
    record = {**_valid_record(1), "arguments": {"big": 10**5000}}
    assert outcome(lambda: proposal_from_record(record)) == outcome(
        lambda: reference_proposal_from_record(record)
    )


def test_a_deep_record_takes_the_reference_path() -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    record = {**_valid_record(2), "arguments": {"x": deep}}
    assert outcome(lambda: proposal_from_record(record)) == outcome(
        lambda: reference_proposal_from_record(record)
    )


# -- an entry's JSON as text ---------------------------------------------------------------


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    """JSON texts gitgate writes (indented, ASCII), others, and damaged ones."""
    value = draw(_values | st.dictionaries(_text, _values, max_size=5))
    try:
        text = json.dumps(
            value,
            indent=draw(st.sampled_from([None, 1])),
            ensure_ascii=draw(st.booleans()),
            sort_keys=False,
        )
    except (ValueError, TypeError):  # huge ints, mixed keys: then some text of its own
        text = draw(_text)
    cut = draw(st.integers(0, 3))
    if cut == 1:
        text = text[: draw(st.integers(0, len(text)))]
    elif cut == 2:
        text = draw(st.sampled_from(["\ufeff", "\x00", " ", "{\x00", "\x00\x00"])) + text
    return text


@settings(max_examples=250, deadline=None)
@given(json_texts())
@example('{"a": 1}')
@example("{\x00}")
@example("\ufeff{}")
@example('{"s": "\ud800"}')
@example("[" * 100_000)
@example("{" + " " * MAX_RECORD_BYTES + "}")
def test_loading_text_is_loading_its_bytes(text: str) -> None:
    def reference() -> dict[str, Any]:
        return _load_json(text.encode())

    assert outcome(lambda: _load_json_text(text)) == outcome(reference)


@settings(max_examples=200, deadline=None)
@given(json_texts(), st.sampled_from(["gitgate audit #1 x", "gitgate audit \u00fc", "other"]))
def test_decode_audit_judges_any_body(body: str, subject: str) -> None:
    message = f"{subject}\n\n{body}"
    fast = outcome(lambda: decode_audit(message))
    # decode_audit as it was: every body parsed from its UTF-8 bytes
    saved = records._load_json_text
    records._load_json_text = lambda text: _load_json(text.encode())
    try:
        assert fast == outcome(lambda: decode_audit(message))
    finally:
        records._load_json_text = saved


# -- replay with drafts --------------------------------------------------------------------

EVENTS = ["proposed", "approved", "executed", "failed", "rejected", "init", "exported"]


@st.composite
def journals(draw: st.DrawFn) -> list[AuditEntry]:
    """Entries about a few proposals in any order, right and wrong: decisions before
    proposals, reused ids, records that do not match, results of the wrong type, ref moves
    that contradict the journal."""
    entries = []
    for seq in range(1, draw(st.integers(0, 14)) + 1):
        event = draw(st.sampled_from(EVENTS))
        n = draw(st.integers(0, 2))
        pid, commit = IDS[n], SHAS[n + draw(st.sampled_from([0, 0, 0, 1]))]
        details: dict[str, Any] = {}
        actor, time = "agent@example.com", "2026-01-01T00:00:00Z"
        if event == "proposed":
            record = _valid_record(n)
            record.update(id=pid, commit=commit)
            if draw(st.integers(0, 5)) == 0:
                record["requester"] = "mallory"
            details["proposal"] = record if draw(st.integers(0, 9)) else draw(_values)
        elif event != "approved":
            actor = "alice@example.com"
            time = draw(st.sampled_from(["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]))
            result = draw(
                st.sampled_from([{}, {"reason": "no"}, {"error": "boom"}, {"merge": SHAS[3]}])
            )
            details["result"] = result if draw(st.integers(0, 7)) else draw(_values)
        refs = {}
        for _ in range(draw(st.integers(0, 2))):
            ref = draw(st.sampled_from(["refs/heads/main", f"refs/heads/gitgate/pending/{pid}"]))
            old, new = draw(st.sampled_from([(None, SHAS[0]), (SHAS[0], SHAS[1]), (SHAS[1], None)]))
            refs[ref] = (old, new)
        entries.append(
            AuditEntry(
                seq=seq,
                event=event,
                actor=actor,
                time=time,
                proposal=pid if draw(st.integers(0, 9)) else None,
                details=details,
                commits={"proposal": commit, "target": "main"},
                refs=refs,
            )
        )
    return entries


def _reference_replay(entries: list[AuditEntry]) -> JournalState:
    state = JournalState()
    for entry in entries:
        state.problems.extend(state.advance(entry))
    return state


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journals())
def test_replay_is_advance_entry_by_entry(entries: list[AuditEntry]) -> None:
    fast, reference = replay(entries), _reference_replay(entries)
    assert repr(fast) == repr(reference)
    # and the same again from entries as they come back from their commit messages
    decoded = []
    for entry in entries:
        try:
            decoded.append(decode_audit(encode_audit(entry)))
        except (RecordError, ValueError, TypeError):
            continue
    assert repr(replay(decoded)) == repr(_reference_replay(decoded))


def test_apply_entry_leaves_its_input_alone() -> None:
    record = _valid_record(0)
    proposed = AuditEntry(
        1,
        "proposed",
        record["requester"],
        record["created_at"],
        proposal=record["id"],
        details={"proposal": record},
        commits={"proposal": record["commit"]},
    )
    pending = apply_entry(None, proposed)
    approved = apply_entry(pending, dataclasses.replace(proposed, seq=2, event="approved"))
    assert pending.approvals == () and len(approved.approvals) == 1
    assert approved.history == pending.history and approved.status == "pending"


# -- records built without their __init__ --------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.lists(_values, min_size=16, max_size=16))
def test_built_records_are_the_dataclasses(values: list[Any]) -> None:
    entry = records.new_audit_entry(*values[:8])
    assert entry == AuditEntry(*values[:8]) and type(entry) is AuditEntry
    assert repr(entry) == repr(AuditEntry(*values[:8]))
    proposal = records.new_proposal(*values)
    assert repr(proposal) == repr(Proposal(*values)) and type(proposal) is Proposal
    with pytest.raises(dataclasses.FrozenInstanceError):
        proposal.status = "executed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        records.new_proposal(*values[:15])


def test_a_builder_refuses_a_layout_it_was_not_made_for() -> None:
    with pytest.raises(TypeError, match="not laid out"):
        records.positional_builder(AuditEntry, ("event", "seq"))

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    with pytest.raises(TypeError, match="not laid out"):
        records.positional_builder(NoSlots, ("a",))


# -- a note's object validated in one pass -------------------------------------------------


class _Dict(dict):  # type: ignore[type-arg]
    """A dict subclass: the one-pass check leaves it to the checked path."""


def _valid_note(seed: int) -> dict[str, Any]:
    record = _valid_record(seed)
    note: dict[str, Any] = {"schema": records.PROPOSAL_SCHEMA, **record, "status": "executed"}
    note["history"] = [
        {"status": "pending", "at": "t1", "by": "agent@example.com", "note": ""},
        {"status": "executed", "at": "t2", "by": "alice@example.com", "note": "n" * (seed % 2)},
    ][: seed % 3]
    note["approvals"] = [{"by": "alice@example.com", "at": "t2", "commit": SHAS[1]}][: seed % 2]
    note["preview"] = {"diff": "x"} if seed % 2 else {}
    note["result"] = {"merge": SHAS[2]}
    for key in ("message", "arguments", "preview", "result", "history", "approvals"):
        if seed % 7 == len(key) % 7:
            note.pop(key)  # optional fields may be left out
    return note


@st.composite
def note_objects(draw: st.DrawFn) -> Any:
    """A note's JSON object as gitgate writes it, then perhaps damaged anywhere: top-level and
    nested fields replaced by any value, dropped or added, items of the wrong kind, dict
    subclasses, ints of other types."""
    note = _valid_note(draw(st.integers(0, 40)))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["top", "history", "approvals", "changed_files"]))
        if where == "top":
            key = draw(st.sampled_from([*note, "schema", "status", "extra", "history"]))
            choice = draw(st.integers(0, 3))
            if choice == 0:
                note.pop(key, None)
            elif choice == 1:
                note[key] = draw(_values)
            elif choice == 2:
                note[key] = draw(st.sampled_from(["", "x", "write", "pending", SHAS[0], None]))
            else:
                value = note.get(key)
                note[key] = _Dict(value) if isinstance(value, dict) else IDS[0].upper()
            continue
        items = note.get(where)
        if not isinstance(items, list) or not items:
            note[where] = draw(st.sampled_from([[], [{}], [None], ["x"], [[]]]))
            continue
        picked = items[draw(st.integers(0, len(items) - 1))]
        item = dict(picked) if isinstance(picked, dict) else {}
        key = draw(st.sampled_from([*item, "extra", "mode"]))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            item.pop(key, None)
        elif choice == 1:
            item[key] = draw(_values)
        elif choice == 2:
            item[key] = draw(st.sampled_from([True, 0, 2**80, None, "", "s"]))
        else:
            item = _Dict(item)
        note[where] = [*items, item] if draw(st.booleans()) else [item]
    return note


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(note_objects())
@example(_valid_note(0))
@example({**_valid_note(1), "changed_files": [{"path": "a", "change": "added", "mode": True}]})
@example({**_valid_note(2), "arguments": _Dict()})
def test_a_note_object_is_judged_as_the_checked_path_judges_it(note: Any) -> None:
    assert outcome(lambda: records._proposal_from_obj(note)) == outcome(
        lambda: records.checked_proposal_from_obj(note)
    )
    # and the same note as it comes back from its bytes (JSON types only)
    try:
        data = json.dumps(note).encode()
    except (TypeError, ValueError):
        return
    assert outcome(lambda: records.decode_proposal(data)) == outcome(
        lambda: records.checked_proposal_from_obj(json.loads(data))
    )


def test_notes_gitgate_writes_take_the_one_pass_path() -> None:
    for seed in range(40):
        note = _valid_note(seed)
        fast = records._plain_proposal(note)
        assert fast is not None and fast == records.checked_proposal_from_obj(note)
        assert records._plain_proposal({**note, "arguments": _Dict()}) is None


_ODD_VALUES: list[Any] = [
    None, "", "x", "write", "pending", SHAS[0], SHAS[4][:41], IDS[0], IDS[0].upper(), True,
    False, 0, 1, 2**80, 1.5, math.nan, [], [{}], {}, _Dict(), _Dict(a=1), ["x"],
]  # fmt: skip


def test_every_field_of_a_note_set_to_odd_values_is_judged_alike() -> None:
    """Each field, top-level and nested, left out or set to each odd value in turn."""
    cases = 0
    for seed in (4, 5, 10, 11):
        note = _valid_note(seed)
        for key in [*note, "history", "approvals", "changed_files", "preview", "extra"]:
            for value in [_EMPTY_MARK, *_ODD_VALUES]:
                damaged = {k: v for k, v in note.items() if k != key}
                if value is not _EMPTY_MARK:
                    damaged[key] = value
                _assert_alike(damaged)
                cases += 1
        for where in ("history", "approvals", "changed_files"):
            for item in note.get(where) or []:
                for key in [*item, "extra"]:
                    for value in [_EMPTY_MARK, *_ODD_VALUES]:
                        changed = {k: v for k, v in item.items() if k != key}
                        if value is not _EMPTY_MARK:
                            changed[key] = value
                        _assert_alike({**note, where: [item, changed]})
                        _assert_alike({**note, where: [_Dict(changed)]})
                        cases += 2
    assert cases > 1000


_EMPTY_MARK = object()


def _assert_alike(note: dict[str, Any]) -> None:
    assert outcome(lambda: records._proposal_from_obj(note)) == outcome(
        lambda: records.checked_proposal_from_obj(note)
    ), note


# -- a proposed entry's record in gitgate's own shape --------------------------------------


def test_every_field_of_a_record_set_to_odd_values_is_judged_alike() -> None:
    """Each field of a record, and of its changed files, left out or set to each odd value:
    the one-pass record path, the copying path and the JSON round trip agree."""
    cases = 0
    for seed in (1, 2, 4, 5):
        record = _valid_record(seed)
        assert records._record_proposal(record) is not None  # the shape gitgate writes
        for key in [*record, "extra"]:
            for value in [_EMPTY_MARK, *_ODD_VALUES, -(2**63), 2**63]:
                damaged = {k: v for k, v in record.items() if k != key}
                if value is not _EMPTY_MARK:
                    damaged[key] = value
                _assert_record_alike(damaged)
                cases += 1
        for item in record["changed_files"]:
            for key in [*item, "extra"]:
                for value in [_EMPTY_MARK, *_ODD_VALUES, -(2**63), 2**63 - 1, 2**63, 10**5000]:
                    changed = {k: v for k, v in item.items() if k != key}
                    if value is not _EMPTY_MARK:
                        changed[key] = value
                    _assert_record_alike({**record, "changed_files": [item, changed]})
                    _assert_record_alike({**record, "changed_files": [_Dict(changed)]})
                    cases += 2
    assert cases > 500


def test_the_record_path_takes_a_record_exactly_when_its_copy_fits() -> None:
    """Near the size limit: the one-pass path counts the bytes as the copy does, so it takes
    a record exactly when the copying path would (and both agree with the round trip)."""
    record = _valid_record(2)  # with changed files, one with an old path
    budget = [MAX_RECORD_BYTES - records._NOTE_WRAPPER_BYTES]
    records._plain_copy(record, 0, budget)
    room = budget[0] // 12  # characters the message can still grow by
    for extra in range(room - 2, room + 3):
        grown = {**record, "message": record["message"] + "x" * extra}
        budget = [MAX_RECORD_BYTES - records._NOTE_WRAPPER_BYTES]
        records._plain_copy(grown, 0, budget)
        assert (records._record_proposal(grown) is not None) == (budget[0] >= 0), extra
        _assert_record_alike(grown)


def _assert_record_alike(record: dict[str, Any]) -> None:
    fast = outcome(lambda: proposal_from_record(record))
    reference = outcome(lambda: reference_proposal_from_record(record))
    assert fast == reference, record
    if reference[0] != "value":  # (a repr can fail too: an int of 5,000 digits)
        try:
            reference_proposal_from_record(record)
        except Exception:  # noqa: BLE001 - refused: the one-pass path must not have taken it
            assert records._record_proposal(record) is None
    saved = records._record_proposal
    records._record_proposal = lambda record: None  # the copying path alone
    try:
        assert fast == outcome(lambda: proposal_from_record(record)), record
    finally:
        records._record_proposal = saved


# -- an audit entry decoded inline ---------------------------------------------------------


def _valid_entry_text(seed: int) -> dict[str, Any]:
    entry = AuditEntry(
        seq=seed + 1,
        event=EVENTS[seed % len(EVENTS)],
        actor="agent@example.com",
        time="2026-01-01T00:00:00Z",
        proposal=IDS[seed % 3] if seed % 4 else None,
        details={"proposal": _valid_record(seed)} if seed % 2 else {},
        commits={"proposal": SHAS[seed % 5], "target": "main"},
        refs={f"refs/heads/gitgate/pending/{IDS[0]}": (None, SHAS[1])} if seed % 3 else {},
    )
    body: dict[str, Any] = json.loads(encode_audit(entry).partition("\n\n")[2])
    return body


_ENTRY_ODD_VALUES: list[Any] = [
    *_ODD_VALUES, -1, 1 + 2**70, "refs/x", [["refs/a", None, SHAS[0]]],
    [["refs/a", None, SHAS[0]], ["refs/a", SHAS[0], None]], [["refs/a", SHAS[0], SHAS[0]]],
    [["heads/a", None, SHAS[0]]], [["refs/a", None]], [[1, None, SHAS[0]]],
    [["refs/a", None, SHAS[0][:39]]], [["refs/a", None, SHAS[4]]], {"a": 1}, {"a": "b"},
    "proposed", "approved", "init",
]  # fmt: skip


def _assert_entry_alike(body: Any, subject: str = "gitgate audit #1 x") -> None:
    message = f"{subject}\n\n{json.dumps(body, indent=1)}\n"
    assert outcome(lambda: decode_audit(message)) == outcome(
        lambda: records.reference_decode_audit(message)
    ), message


def test_every_field_of_an_entry_set_to_odd_values_is_judged_alike() -> None:
    cases = 0
    for seed in range(8):
        body = _valid_entry_text(seed)
        for key in [*body, "refs", "proposal", "details", "extra"]:
            for value in [_EMPTY_MARK, *_ENTRY_ODD_VALUES]:
                damaged = {k: v for k, v in body.items() if k != key}
                if value is not _EMPTY_MARK:
                    damaged[key] = value
                _assert_entry_alike(damaged)
                cases += 1
        _assert_entry_alike(body, "gitgate audit")
        _assert_entry_alike(body, "other")
    assert cases > 1000


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 40),
    st.lists(
        st.tuples(st.sampled_from(["schema", "seq", "event", "actor", "time", "proposal",
                                   "details", "commits", "refs", "extra"]), _values),
        max_size=3,
    ),
)  # fmt: skip
def test_decode_audit_is_its_reference_on_damaged_entries(
    seed: int, changes: list[tuple[str, Any]]
) -> None:
    body = _valid_entry_text(seed)
    for key, value in changes:
        body[key] = value
    try:
        json.dumps(body)
    except (TypeError, ValueError):
        return  # not JSON: no entry carries it
    _assert_entry_alike(body)
