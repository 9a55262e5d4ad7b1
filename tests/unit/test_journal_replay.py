"""The journal's replay rules (pure): what each entry does to a proposal and to the refs."""

from __future__ import annotations

import dataclasses

import pytest

from gitgate.journal.records import AuditEntry, Proposal, RecordError, proposal_record
from gitgate.journal.replay import apply_entry, fold, implied_refs, net_moves, reflects, replay
from gitgate.policy import RefNames

C = "c" * 40
B = "b" * 40
M = "e" * 40
PID = "abcd234567"
T1, T2 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"
NAMES = RefNames()


def _record() -> dict[str, object]:
    proposal = Proposal(
        id=PID,
        kind="write",
        tool="write_file",
        target="main",
        base=B,
        commit=C,
        requester="agent",
        created_at=T1,
        status="pending",
        message="m",
    )
    return proposal_record(proposal)


def _proposed(**changes: object) -> AuditEntry:
    entry = AuditEntry(
        seq=2,
        event="proposed",
        actor="agent",
        time=T1,
        proposal=PID,
        details={"proposal": _record()},
        commits={"proposal": C, "base": B, "target": "main"},
    )
    return dataclasses.replace(entry, **changes)


def _decision(event: str, **details: object) -> AuditEntry:
    return AuditEntry(
        seq=3,
        event=event,
        actor="alice",
        time=T2,
        proposal=PID,
        details=dict(details),
        commits={"proposal": C, "target": "main", "merge": M, "target_before": B},
    )


def test_a_proposal_is_the_fold_of_its_entries() -> None:
    executed = _decision("executed", result={"merge": M, "target": "main"})
    state = fold(None, [_proposed(), _decision("approved"), executed])
    assert state is not None
    assert (state.status, state.requester, state.result["merge"]) == ("executed", "agent", M)
    assert [a.by for a in state.approvals] == ["alice"]
    assert [h.status for h in state.history] == ["pending", "executed"]
    assert fold(state, [executed]) == state  # applying an entry twice changes nothing
    assert reflects(state, executed)


@pytest.mark.parametrize("event", ["executed", "failed", "rejected", "approved"])
def test_a_decision_cannot_precede_its_proposal(event: str) -> None:
    with pytest.raises(RecordError, match="cannot follow status none"):
        apply_entry(None, _decision(event))


def test_a_status_only_moves_forward() -> None:
    rejected = apply_entry(apply_entry(None, _proposed()), _decision("rejected", reason="no"))
    for event in ("executed", "approved", "rejected"):
        with pytest.raises(RecordError, match="cannot follow status rejected"):
            apply_entry(rejected, _decision(event))


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "mallory"},  # a requester other than who proposed
        {"commits": {"proposal": M, "base": B, "target": "main"}},  # another commit
        {"time": T2},  # another creation time than the record's
    ],
)
def test_a_proposed_entry_must_match_its_record(change: dict[str, object]) -> None:
    with pytest.raises(RecordError, match="does not match the record"):
        apply_entry(None, _proposed(**change))


def test_a_record_with_extra_fields_is_refused() -> None:
    record = {**_record(), "status": "executed"}
    with pytest.raises(RecordError, match="malformed proposal record"):
        apply_entry(None, _proposed(details={"proposal": record}))


def test_implied_refs_by_event() -> None:
    pending, archive = NAMES.pending(PID), NAMES.archive(PID)
    assert implied_refs(_proposed(), NAMES) == {pending: (None, C)}
    assert implied_refs(_decision("executed"), NAMES) == {
        "refs/heads/main": (B, M),
        pending: (C, None),
    }
    for event in ("failed", "rejected"):
        assert implied_refs(_decision(event), NAMES) == {archive: (None, C), pending: (C, None)}
    assert implied_refs(_decision("approved"), NAMES) == {}


def test_net_moves_chain_and_refuse_contradictions() -> None:
    first = dataclasses.replace(_proposed(), refs={"refs/x": (None, C)})
    second = dataclasses.replace(_decision("rejected"), refs={"refs/x": (C, None)})
    moves = net_moves([first, second])
    assert (moves["refs/x"].first, moves["refs/x"].final, moves["refs/x"].seen) == (
        None,
        None,
        (None, C, None),
    )
    wrong = dataclasses.replace(second, refs={"refs/x": (M, None)})
    with pytest.raises(RecordError, match="the journal left it at"):
        net_moves([first, wrong])


def test_replay_reports_reused_ids_and_misfits() -> None:
    again = dataclasses.replace(_proposed(), seq=4)
    state = replay([_proposed(), _decision("rejected", reason="no"), again, _decision("failed")])
    assert state.states[C].status == "rejected"
    assert state.expected_refs(NAMES) == {NAMES.archive(PID): C}
    assert any("reuses the proposal id" in p for p in state.problems)
    assert any("cannot follow status rejected" in p for p in state.problems)
