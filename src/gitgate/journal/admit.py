"""Admitting a push: every ref change must be exactly what the pushed journal entries imply.

The hook's core rule, as a reference monitor: replay the entries a push adds on the server's old
state and compare. Accepted only when

* every entry's ``refs`` are what its event implies (:func:`replay.implied_refs`);
* every entry fits the proposal's state as the *journal* (not a note) had it: a ``proposed``
  entry carries the record of its own commit, on its recorded base, for a protected target,
  with an id never used before; a decision names the proposal's own commit; statuses only move
  forward;
* every gitgate-governed ref the push changes (protected branches, pending and archive refs)
  moves from exactly where the entries say to exactly where they say, and every ref the entries
  move is in the push;
* every note the push changes is byte for byte the note the entries derive, and every proposal
  the entries touch gets that note.

Reads the repository (objects are visible from git's quarantine), writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gitgate.journal.index import IndexRow, load_index
from gitgate.journal.records import (
    AuditEntry,
    Proposal,
    RecordError,
    decode_audit,
    encode_proposal,
    proposal_from_record,
)
from gitgate.journal.replay import fold, implied_refs, net_moves, proposals_touched
from gitgate.policy import RefNames

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from gitgate.store.gitobjects import RepoReader

Move = tuple[str | None, str | None]  # (old, new); None: absent

FETCH_HINT = "gitgate writes these together: fetch (gitgate fetch) and use `--push`"


@dataclass(frozen=True, slots=True)
class Refusal:
    """One ref the push may not change, and why."""

    ref: str
    reason: str
    hint: str = FETCH_HINT


@dataclass(frozen=True, slots=True)
class PushView:
    """A push as the journal rule sees it."""

    names: RefNames
    protected: tuple[str, ...]
    updates: Mapping[str, Move]  # every ref the push changes
    entries: Sequence[AuditEntry]  # the entries it appends, oldest first (already well-formed)


def judge(store: RepoReader, push: PushView) -> list[Refusal]:
    """Every refusal the journal rule finds in ``push`` (empty: admitted)."""
    refusals = _check_entries(store, push)
    if refusals:
        return refusals
    refusals += _check_moves(push)
    refusals += _check_notes(store, push)
    return refusals


def _check_entries(store: RepoReader, push: PushView) -> list[Refusal]:
    audit = push.names.audit
    out: list[Refusal] = []
    used = load_index(store, audit).rows  # the server's journal as it stands (the old tip)
    states: dict[str, Proposal | None] = {}
    for entry in push.entries:
        where = f"audit entry #{entry.seq} ({entry.event})"
        implied = implied_refs(entry, push.names)
        if implied is not None and entry.refs != implied:
            out.append(Refusal(audit, f"{where} declares ref moves its event does not imply"))
            continue
        commit = entry.commits.get("proposal")
        if entry.event == "proposed":
            problem = _proposed_problem(store, push, entry, used)
            if problem:
                out.append(Refusal(audit, f"{where}: {problem}"))
                continue
        if commit and entry.event in ("proposed", "approved", "executed", "failed", "rejected"):
            if commit not in states:
                states[commit] = _journal_state(store, used, entry.proposal or "")
            try:
                states[commit] = fold(states[commit], [entry])
            except RecordError as err:
                out.append(Refusal(audit, f"{where}: {err}"))
                continue
        if entry.event == "executed":
            problem = _merge_problem(store, entry)
            if problem:
                out.append(Refusal(audit, f"{where}: {problem}"))
    return out


def _proposed_problem(
    store: RepoReader, push: PushView, entry: AuditEntry, used: Mapping[str, IndexRow]
) -> str | None:
    pid = entry.proposal or ""
    if (
        pid in used
        or sum(1 for e in push.entries if e.event == "proposed" and e.proposal == pid) > 1
    ):
        return f"the proposal id {pid} was used before (ids are never reused)"
    try:
        record = proposal_from_record(entry.details.get("proposal"))
    except RecordError as err:
        return str(err)
    if record.target not in push.protected or entry.commits.get("target") != record.target:
        return f"it targets {record.target!r}, which is not a protected branch"
    if entry.commits.get("base") != record.base or not store.has_object(record.commit):
        return "its proposal commit or base is not the one it records"
    if store.commit(record.commit).parents != (record.base,):
        return "its proposal commit does not sit on the base it records"
    return None


def _merge_problem(store: RepoReader, entry: AuditEntry) -> str | None:
    merge = entry.commits.get("merge", "")
    if not merge or not store.has_object(merge):
        return "it names a merge commit that the push does not bring"
    info = store.commit(merge)
    wanted = (entry.commits.get("target_before"), entry.commits.get("proposal"))
    if info.parents != wanted:
        return "its merge does not join the target's old tip and the proposal commit"
    if f"Gitgate-Proposal: {entry.proposal}" not in info.message.splitlines():
        return "its merge lacks the Gitgate-Proposal trailer"
    return None


def _journal_state(store: RepoReader, used: Mapping[str, IndexRow], pid: str) -> Proposal | None:
    """A proposal as the server's journal has it (its entries, never its note)."""
    row = used.get(pid)
    entries = row.entries if row is not None else ()
    try:
        return fold(None, [decode_audit(store.commit(c).message) for c in entries])
    except RecordError:
        return None


def _governed(push: PushView, ref: str) -> bool:
    names = push.names
    return (
        ref.startswith((names.pending_prefix, names.archive_prefix))
        or ref.removeprefix("refs/heads/") in push.protected
        and ref.startswith("refs/heads/")
    )


def _check_moves(push: PushView) -> list[Refusal]:
    try:
        moves = net_moves(push.entries)
    except RecordError as err:
        return [Refusal(push.names.audit, f"the pushed entries contradict each other: {err}")]
    out: list[Refusal] = []
    for ref, (old, new) in sorted(push.updates.items()):
        if not _governed(push, ref):
            continue
        move = moves.get(ref)
        if (
            move is None
            and old is None
            and ref.startswith("refs/heads/")
            and not ref.startswith(push.names.pending_prefix)
        ):
            # Creating a listed protected branch that does not exist yet: judged by the
            # protected-branch rule (approver now, a commit already protected, the current
            # policy), since no decision of the journal creates a branch.
            continue
        if move is None:
            out.append(
                Refusal(
                    ref,
                    "no pushed journal entry moves this ref",
                    "gitgate refs and protected branches move only with the entry that "
                    "decides it (gitgate propose/approve/reject --push)",
                )
            )
        elif (old, new) != (move.first, move.final):
            out.append(
                Refusal(
                    ref,
                    f"the push moves it {_short(old)} -> {_short(new)}, the journal entries "
                    f"say {_short(move.first)} -> {_short(move.final)}",
                )
            )
    for ref, move in sorted(moves.items()):
        if move.first != move.final and ref not in push.updates:
            out.append(Refusal(ref, "the pushed entries move this ref, but the push does not"))
    return out


def _check_notes(store: RepoReader, push: PushView) -> list[Refusal]:
    notes_ref = push.names.notes
    old_tip, new_tip = push.updates.get(notes_ref, (store.resolve(notes_ref),) * 2)
    touched = proposals_touched(push.entries)
    used = load_index(store, push.names.audit).rows
    out: list[Refusal] = []
    changed = {annotated for annotated, _o, _n in store.diff_notes(old_tip, new_tip)}
    for annotated in sorted(changed - touched.keys()):
        out.append(Refusal(notes_ref, f"the note on {annotated[:12]} changes without an entry"))
    for commit, about in touched.items():
        pid = about[0].proposal or ""
        try:
            expected = fold(_journal_state(store, used, pid), about)
        except RecordError:
            continue  # already refused by the entry rules
        if expected is None:
            continue
        if store.read_note(new_tip, commit) != encode_proposal(expected):
            out.append(
                Refusal(
                    notes_ref,
                    f"the note of {pid} is not what the journal entries derive",
                    "notes are derived from the journal; push the ones gitgate wrote",
                )
            )
    return out


def _short(oid: str | None) -> str:
    return oid[:12] if oid else "nothing"
