"""Replaying the journal: what each entry does to a proposal and to the refs. Pure, no git.

The audit log is gitgate's journal. Every other piece of state is derived from it:

* a proposal's note is the fold of :func:`apply_entry` over the entries about it, starting from
  the immutable record in its ``proposed`` entry;
* every ref the entry moves is named in its ``refs`` (``ref -> (old, new)``).

The same functions serve the Gate (rolling forward after a crash), ``audit verify``, ``gitgate
doctor`` and the server's hook (which replays pushed entries on the old state and accepts only
the refs and notes they imply), so the four can never disagree about what an entry means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gitgate.journal.records import (
    STATUS_EVENTS,
    AuditEntry,
    Proposal,
    RecordError,
    new_approval,
    new_proposal,
    new_status_change,
    proposal_from_record,
)
from gitgate.policy import RefNames

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import Any

# Events that concern one proposal, and the status each may follow (a status only moves forward).
PROPOSAL_EVENTS: frozenset[str] = frozenset(
    {"proposed", "approved", "executed", "failed", "rejected"}
)
_MAY_FOLLOW: dict[str, frozenset[str | None]] = {
    "proposed": frozenset({None}),
    "approved": frozenset({"pending"}),
    "executed": frozenset({"pending"}),
    "failed": frozenset({"pending"}),
    "rejected": frozenset({"pending"}),
}


def apply_entry(state: Proposal | None, entry: AuditEntry) -> Proposal:
    """The proposal after ``entry``, given the proposal before it (None: not proposed yet).

    Raises:
        RecordError: when the entry cannot follow ``state`` (a status moving backwards, an
            approval of another commit, an entry about an unknown proposal).
    """
    return _advance(_Draft(state) if state is not None else None, entry).freeze()


class _Draft:
    """A proposal being folded: the fields entries change, held apart until :meth:`freeze`.

    Each entry used to rebuild the frozen proposal (16 fields, ``dataclasses.replace``): 40 %
    of replaying 30,000 entries. A replay keeps one draft per proposal and freezes it once.
    The fields hold what the rebuilt proposals held (tuples grown by one), so the frozen
    result is the same value; ``apply_entry`` is this very code, one entry long.
    """

    __slots__ = ("approvals", "base", "history", "result", "status")

    def __init__(self, base: Proposal) -> None:
        self.base = base
        self.status = base.status
        self.history = base.history
        self.approvals = base.approvals
        self.result = base.result

    def freeze(self) -> Proposal:
        """The proposal as the entries applied so far left it."""
        base = self.base
        return new_proposal(
            base.id,
            base.kind,
            base.tool,
            base.target,
            base.base,
            base.commit,
            base.requester,
            base.created_at,
            self.status,
            base.message,
            base.arguments,
            base.preview,
            self.history,
            self.approvals,
            base.changed_files,
            self.result,
        )

    def move(self, status: str, at: str, by: str, note: str = "") -> None:
        """What :meth:`Proposal.with_status` does: the status, one more history step."""
        self.status = status
        self.history = (*self.history, new_status_change(status, at, by, note))


def _advance(draft: _Draft | None, entry: AuditEntry) -> _Draft:
    """Apply ``entry`` to ``draft`` (a new draft for a ``proposed`` entry); checks first, so
    a refused entry leaves the draft as it was. The rules of :func:`apply_entry`."""
    status = draft.status if draft is not None else None
    if entry.event not in PROPOSAL_EVENTS or status not in _MAY_FOLLOW[entry.event]:
        raise RecordError(
            f"entry #{entry.seq} ({entry.event}) cannot follow status {status or 'none'}"
        )
    if entry.event == "proposed":
        return _proposed(entry)
    assert draft is not None
    commit = draft.base.commit
    if entry.commits.get("proposal") != commit or entry.proposal != draft.base.id:
        raise RecordError(f"entry #{entry.seq} names another commit than proposal {draft.base.id}")
    if entry.event == "approved":
        draft.approvals = (*draft.approvals, new_approval(entry.actor, entry.time, commit))
        return draft
    result = _result(entry)
    note = str(result.get("reason", result.get("error", ""))) if entry.event != "executed" else ""
    draft.move(STATUS_EVENTS[entry.event], entry.time, entry.actor, note)
    draft.result = result
    return draft


def reflects(state: Proposal | None, entry: AuditEntry) -> bool:
    """Tell whether a stored note already shows ``entry`` (so applying it again is a no-op)."""
    if state is None:
        return False
    if entry.event == "proposed":
        return state.id == entry.proposal
    if entry.event == "approved":
        return any(a.by == entry.actor and a.at == entry.time for a in state.approvals)
    wanted = STATUS_EVENTS.get(entry.event)
    return any(
        step.status == wanted and step.at == entry.time and step.by == entry.actor
        for step in state.history
    )


def fold(state: Proposal | None, entries: Iterable[AuditEntry]) -> Proposal | None:
    """Apply the entries a note does not show yet, in order."""
    for entry in entries:
        if not reflects(state, entry):
            state = apply_entry(state, entry)
    return state


def _proposed(entry: AuditEntry) -> _Draft:
    proposal = proposal_from_record(entry.details.get("proposal"))
    if (
        proposal.id != entry.proposal
        or proposal.commit != entry.commits.get("proposal")
        or proposal.requester != entry.actor
        or proposal.created_at != entry.time
    ):
        raise RecordError(f"proposed entry #{entry.seq} does not match the record it carries")
    draft = _Draft(proposal)
    draft.move("pending", entry.time, entry.actor)
    return draft


def _result(entry: AuditEntry) -> dict[str, Any]:
    result = entry.details.get("result", {})
    if not isinstance(result, dict):
        raise RecordError(f"entry #{entry.seq} has a malformed result")
    return result


# -- ref moves -------------------------------------------------------------------------------


def implied_refs(
    entry: AuditEntry, names: RefNames
) -> dict[str, tuple[str | None, str | None]] | None:
    """The ref moves an entry's event implies, from its own fields (None: not derivable —
    ``init``/``policy`` name the policy commit but not the branch's old tip).

    The Gate builds every entry's ``refs`` with this, and the hook refuses an entry whose
    ``refs`` say anything else, so the two can never disagree about what an entry moves.
    """
    commits = entry.commits
    pid = entry.proposal or ""
    proposal = commits.get("proposal")
    if entry.event == "proposed" and proposal:
        return {names.pending(pid): (None, proposal)}
    if entry.event == "executed" and proposal:
        target = f"refs/heads/{commits.get('target', '')}"
        return {
            target: (commits.get("target_before"), commits.get("merge")),
            names.pending(pid): (proposal, None),
        }
    if entry.event in ("failed", "rejected") and proposal:
        return {names.archive(pid): (None, proposal), names.pending(pid): (proposal, None)}
    if entry.event in ("init", "policy"):
        return None
    return {}


@dataclass(frozen=True, slots=True)
class NetMove:
    """Where a run of entries takes one ref: from ``first`` to ``final``, through ``seen``."""

    ref: str
    first: str | None
    final: str | None
    seen: tuple[str | None, ...]


def net_moves(entries: Iterable[AuditEntry]) -> dict[str, NetMove]:
    """The combined effect of consecutive entries on every ref they move.

    Raises:
        RecordError: when one entry's ``old`` is not where the previous entry left the ref
            (the journal contradicts itself).
    """
    chains: dict[str, list[str | None]] = {}
    for entry in entries:
        for ref, (old, new) in entry.refs.items():
            chain = chains.setdefault(ref, [old])
            if chain[-1] != old:
                raise RecordError(
                    f"entry #{entry.seq} moves {ref} from {_short(old)}, "
                    f"but the journal left it at {_short(chain[-1])}"
                )
            chain.append(new)
    return {ref: NetMove(ref, chain[0], chain[-1], tuple(chain)) for ref, chain in chains.items()}


@dataclass
class JournalState:
    """Everything the journal implies, rebuilt in one pass (:func:`replay`)."""

    states: dict[str, Proposal] = field(default_factory=dict)  # by proposal commit
    ids: dict[str, str] = field(default_factory=dict)  # proposal id -> commit
    refs: dict[str, str | None] = field(default_factory=dict)  # ref -> where the journal left it
    problems: list[str] = field(default_factory=list)

    def expected_refs(self, refs: RefNames) -> dict[str, str]:
        """The pending and archive refs the journal implies, with their commits."""
        out: dict[str, str] = {}
        for state in self.states.values():
            if state.status == "pending":
                out[refs.pending(state.id)] = state.commit
            elif state.status in ("rejected", "failed"):
                out[refs.archive(state.id)] = state.commit
        return out

    def advance(self, entry: AuditEntry) -> list[str]:
        """Apply one entry; return why it does not fit (its ref moves are applied anyway:
        the journal's word on refs stands, and every later entry is judged against it)."""
        problems = self.misfit_refs(entry)
        for ref, (_old, new) in entry.refs.items():
            self.refs[ref] = new
        if entry.event not in PROPOSAL_EVENTS:
            return problems
        commit = entry.commits.get("proposal", "")
        pid = entry.proposal or ""
        if entry.event == "proposed" and pid in self.ids:
            return [*problems, f"audit entry #{entry.seq} reuses the proposal id {pid}"]
        try:
            self.states[commit] = apply_entry(self.states.get(commit), entry)
        except RecordError as err:
            return [*problems, f"audit entry #{entry.seq} ({entry.event} {pid}): {err}"]
        self.ids.setdefault(pid, commit)
        return problems

    def misfit_refs(self, entry: AuditEntry) -> list[str]:
        """Each of ``entry``'s ref moves that does not start where the journal left the ref."""
        return [
            f"audit entry #{entry.seq} moves {ref} from {_short(old)}, but the "
            f"journal left it at {_short(self.refs[ref])}"
            for ref, (old, _new) in entry.refs.items()
            if ref in self.refs and self.refs[ref] != old
        ]

    def misfit(self, entry: AuditEntry) -> str | None:
        """Why ``entry`` cannot follow this state (refs or proposal status), without applying
        it; None when it fits."""
        problems = self.misfit_refs(entry)
        if problems or entry.event not in PROPOSAL_EVENTS:
            return problems[0] if problems else None
        pid = entry.proposal or ""
        if entry.event == "proposed" and pid in self.ids:
            return f"the proposal id {pid} is taken"
        try:
            apply_entry(self.states.get(entry.commits.get("proposal", "")), entry)
        except RecordError as err:
            return str(err)
        return None


def replay(entries: Iterable[AuditEntry]) -> JournalState:
    """Replay the whole journal, oldest entry first, noting every entry that does not fit.

    The same as :meth:`JournalState.advance` on each entry (a hypothesis test compares the
    two), with each proposal kept as a :class:`_Draft` and frozen once at the end.
    """
    result = JournalState()
    drafts: dict[str, _Draft] = {}
    refs, ids, problems = result.refs, result.ids, result.problems
    for entry in entries:
        # misfit_refs, then the moves, in one pass: an entry names each ref once, so each
        # ref is judged where the entries before this one left it
        for ref, (old, new) in entry.refs.items():
            if ref in refs and refs[ref] != old:
                problems.append(
                    f"audit entry #{entry.seq} moves {ref} from {_short(old)}, but the "
                    f"journal left it at {_short(refs[ref])}"
                )
            refs[ref] = new
        if entry.event not in PROPOSAL_EVENTS:
            continue
        commit = entry.commits.get("proposal", "")
        pid = entry.proposal or ""
        if entry.event == "proposed" and pid in ids:
            problems.append(f"audit entry #{entry.seq} reuses the proposal id {pid}")
            continue
        try:
            drafts[commit] = _advance(drafts.get(commit), entry)
        except RecordError as err:
            problems.append(f"audit entry #{entry.seq} ({entry.event} {pid}): {err}")
            continue
        ids.setdefault(pid, commit)
    result.states = {commit: draft.freeze() for commit, draft in drafts.items()}
    return result


def proposals_touched(entries: Iterable[AuditEntry]) -> dict[str, list[AuditEntry]]:
    """The entries about each proposal commit, in journal order."""
    out: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        commit = entry.commits.get("proposal")
        if entry.event in PROPOSAL_EVENTS and commit:
            out.setdefault(commit, []).append(entry)
    return out


def state_of(moves: Mapping[str, NetMove], ref: str, current: str | None) -> str:
    """How ``current`` relates to a ref's journal chain: ``done``, ``behind`` or ``off``."""
    move = moves[ref]
    if current == move.final:
        return "done"
    if current in move.seen:
        return "behind"
    return "off"


def _short(oid: str | None) -> str:
    return oid[:12] if oid else "nothing"
