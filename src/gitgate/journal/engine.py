"""The journal on a repository: commit decisions at one point, roll their effects forward.

A decision is committed by one compare-and-swap: the new entries on the audit ref. Before that
instant nothing of the decision is visible (its objects are unreachable); after it, the
decision exists, and the refs its entries name (target, pending, archive) and the proposal
notes are brought in line, idempotently. A crash between the two leaves entries whose effects
are missing; the next gitgate command finds them (everything after the ``applied`` marker, a
local ref) and completes them before doing anything else. All writers hold gitgate's write lock
(an OS lock, released when its holder dies), so rolling forward never races another writer.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gitgate.errors import ConcurrentUpdate, GitError, GitgateError
from gitgate.journal.audit import LoggedEntry, actor_identity, append_entries
from gitgate.journal.index import IndexRow, load_index
from gitgate.journal.records import (
    AuditEntry,
    Proposal,
    RecordError,
    decode_audit,
    encode_proposal,
)
from gitgate.journal.replay import NetMove, fold, net_moves, proposals_touched, state_of
from gitgate.policy import RefNames
from gitgate.store.gitstore import GitStore, RefUpdate

_GITGATE = actor_identity("gitgate")
GC_EVERY = 256  # entries between two `git gc --auto` (a no-op until git's thresholds are met)
APPLIED_REF = "refs/gitgate/applied"  # local only: the last entry whose effects are complete
MAX_BLIND_WALK = 10_000  # entries read back when the marker is missing (a fresh clone)
MAX_SETTLE_TRIES = (
    40  # ~4 s of backoff in all  # entries read back when the marker is missing (a fresh clone)
)


class JournalConflict(GitgateError):
    """A ref is somewhere the journal cannot explain, so its effects cannot be completed."""

    code = "journal-conflict"


@dataclass(frozen=True, slots=True)
class RollForward:
    """What completing the journal did (or, dry, would do)."""

    entries: int
    moved: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()


class Journal:
    """The audit log of one repository, used as a journal."""

    def __init__(self, store: GitStore, refs: RefNames) -> None:
        """Use ``refs`` (from the policy) as the names of gitgate's refs."""
        self.store = store
        self.refs = refs

    # -- committing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock with the journal complete (rolled forward) inside."""
        with self.store.write_lock():
            self._complete(dry_run=False, strict=True)
            yield

    def commit(self, entries: Sequence[AuditEntry], who: str, when: int) -> list[LoggedEntry]:
        """Append ``entries`` (the commit point), then apply their effects.

        Every ref move's ``old`` must be the ref's value now, else nothing is written and
        :class:`ConcurrentUpdate` is raised (the caller recomputes its decision).

        Raises:
            ConcurrentUpdate / GitgateError.
        """
        with self.writing():
            for entry in entries:
                for ref, (old, _new) in entry.refs.items():
                    if self.store.resolve(ref) != old:
                        raise ConcurrentUpdate(
                            f"{ref} moved while the decision was made", hint="try again"
                        )
            tip = self.store.resolve(self.refs.audit)
            new_tip = append_entries(self.store, tip, entries, when=when)
            # The commit point: from here on the decision exists.
            self.store.update_ref(self.refs.audit, new_tip, tip, reason="gitgate journal")
            written = _chain(self.store, new_tip, tip)
            try:
                self._apply(written, dry_run=False, strict=True)
            except (GitgateError, OSError) as err:
                message = err.message if isinstance(err, GitgateError) else str(err)
                raise GitError(
                    f"the decision is recorded, but completing it failed: {message}",
                    hint="run `gitgate doctor` (any gitgate command also completes it)",
                ) from err
        if any(logged.entry.seq % GC_EVERY == 0 for logged in written):
            # libgit2 writes loose objects and never packs them; git's own commands run
            # `gc --auto` as they write, so gitgate does too (10,000 proposals are ~180,000
            # loose objects otherwise, and every full read of the journal pays for them).
            self.store.gc_auto()
        return written

    # -- completing ------------------------------------------------------------------------

    def unapplied(self) -> list[LoggedEntry]:
        """The entries after the ``applied`` marker, oldest first (cheap: usually none)."""
        tip = self.store.resolve(self.refs.audit)
        if tip is None:
            return []
        marker = self.store.resolve(APPLIED_REF)
        if marker == tip:
            return []
        # Entries can arrive already applied (a push into a server, a fetch): unapplied entries
        # are always a suffix, so a newest entry in place means there is nothing to do.
        newest = _iter_back(self.store, tip)
        if self._looks_applied(next(newest).entry):
            return []
        if marker is not None and self.store.is_ancestor(marker, tip):
            return _chain(self.store, tip, marker)
        return self._blind_suffix(tip)

    def roll_forward(self, *, dry_run: bool = False) -> RollForward:
        """Complete every entry whose effects are missing (under the write lock)."""
        if dry_run:
            return self._complete(dry_run=True, strict=False)
        with self.store.write_lock():
            return self._complete(dry_run=False, strict=False)

    def needs_completion(self) -> bool:
        """Tell whether any entry's effects may be missing, or a crashed process left locks
        behind (no lock taken: cheap)."""
        if self.store.has_crashed_intent():
            return True
        try:
            return bool(self.unapplied())
        except RecordError:
            return True

    def _complete(self, *, dry_run: bool, strict: bool) -> RollForward:
        entries = self.unapplied()
        if not entries:
            return RollForward(0)
        return self._apply(entries, dry_run=dry_run, strict=strict)

    def _blind_suffix(self, tip: str) -> list[LoggedEntry]:
        """Without a marker: walk back to the newest entry whose effects are all in place."""
        suffix: list[LoggedEntry] = []
        for logged in _iter_back(self.store, tip):
            if len(suffix) >= MAX_BLIND_WALK or self._looks_applied(logged.entry):
                break
            suffix.append(logged)
        suffix.reverse()
        return suffix

    def _looks_applied(self, entry: AuditEntry) -> bool:
        for ref, (_old, new) in entry.refs.items():
            current = self.store.resolve(ref)
            if current != new and not self._built_upon_ref(ref, new, current):
                return False
        commit = entry.commits.get("proposal")
        if not commit or entry.event not in (
            "proposed",
            "approved",
            "executed",
            "failed",
            "rejected",
        ):
            return True
        raw = self.store.read_note(self.store.resolve(self.refs.notes), commit)
        derived = self._derived(
            load_index(self.store, self.refs.audit).rows.get(entry.proposal or ""), commit
        )
        return derived is not None and raw == encode_proposal(derived)

    def _apply(self, logged: Sequence[LoggedEntry], *, dry_run: bool, strict: bool) -> RollForward:
        """Bring every ref and note the entries name in line, in one ref transaction.

        git holds some locks briefly on its own (``git pack-refs`` locks ``packed-refs`` and
        every loose ref it packs): a lost race recomputes from the refs as they now are.
        """
        for attempt in range(MAX_SETTLE_TRIES):
            try:
                return self._apply_once(logged, dry_run=dry_run, strict=strict)
            except ConcurrentUpdate:
                if attempt == MAX_SETTLE_TRIES - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def _apply_once(
        self, logged: Sequence[LoggedEntry], *, dry_run: bool, strict: bool
    ) -> RollForward:
        entries = [item.entry for item in logged]
        try:
            moves = net_moves(entries)
        except RecordError as err:
            raise JournalConflict(
                f"the journal contradicts itself: {err}", hint="run `gitgate audit verify`"
            ) from err
        updates, moved, conflicts = self._ref_updates(moves)
        if conflicts and strict:
            raise JournalConflict(
                "gitgate's refs disagree with the audit log: " + "; ".join(conflicts[:3]),
                hint="run `gitgate doctor` to see and repair it",
            )
        changed = self._derived_notes(entries)
        if not dry_run:
            if changed:
                updates.append(self._notes_update(changed))
            if not conflicts:
                marker = self.store.resolve(APPLIED_REF)
                if marker != logged[-1].commit:
                    updates.append(RefUpdate(APPLIED_REF, logged[-1].commit, marker))
            if updates:
                self.store.update_refs(updates, reason="gitgate journal", who=_GITGATE)
        notes = [f"note of {commit[:12]}" for commit in sorted(changed)]
        return RollForward(len(entries), tuple(moved), tuple(notes), tuple(conflicts))

    def _ref_updates(
        self, moves: dict[str, NetMove]
    ) -> tuple[list[RefUpdate], list[str], list[str]]:
        updates: list[RefUpdate] = []
        moved: list[str] = []
        conflicts: list[str] = []
        for move in moves.values():
            current = self.store.resolve(move.ref)
            state = state_of(moves, move.ref, current)
            if state == "off" and self._built_upon(move, current):
                continue
            if state == "off":
                conflicts.append(
                    f"{move.ref} is at {_short(current)}, the journal says {_short(move.final)}"
                )
            elif state == "behind":
                moved.append(f"{move.ref}: {_short(current)} -> {_short(move.final)}")
                updates.append(RefUpdate(move.ref, move.final, current))
        return updates, moved, conflicts

    def _built_upon(self, move: NetMove, current: str | None) -> bool:
        return self._built_upon_ref(move.ref, move.final, current)

    def _built_upon_ref(self, ref: str, final: str | None, current: str | None) -> bool:
        """A branch that moved on from where the journal put it (commits on top) is left be:
        later approvals move it further, and commits made outside gitgate are verify's."""
        return (
            ref.startswith("refs/heads/")
            and not ref.startswith(self.refs.pending_prefix)
            and final is not None
            and current is not None
            and self.store.is_ancestor(final, current)
        )

    def _derived_notes(self, entries: Sequence[AuditEntry]) -> dict[str, bytes]:
        """Each touched proposal's note as the journal derives it, where the stored one
        differs (a note found in the repository is never built upon: someone may edit it)."""
        changed: dict[str, bytes] = {}
        index = load_index(self.store, self.refs.audit)
        tip = self.store.resolve(self.refs.notes)
        for commit, about in proposals_touched(entries).items():
            after = self._derived(index.rows.get(about[0].proposal or ""), commit)
            if after is None:
                continue
            wanted = encode_proposal(after)
            if self.store.read_note(tip, commit) != wanted:
                changed[commit] = wanted
        return changed

    def _notes_update(self, changed: dict[str, bytes]) -> RefUpdate:
        tip = self.store.resolve(self.refs.notes)
        new = self.store.write_notes(
            tip,
            changed,
            message="gitgate: notes derived from the journal\n",
            who=actor_identity("gitgate"),
            when=_now(),
        )
        return RefUpdate(self.refs.notes, new, tip)

    def _derived(self, row: IndexRow | None, commit: str) -> Proposal | None:
        if row is None or row.commit != commit:
            return self.derive_note(commit)
        try:
            return fold(None, [decode_audit(self.store.commit(c).message) for c in row.entries])
        except RecordError:
            return None

    def write_notes(self, changed: dict[str, bytes]) -> None:
        """Write these notes onto the notes ref (used by doctor)."""
        for attempt in range(MAX_SETTLE_TRIES):
            try:
                self.store.update_refs(
                    [self._notes_update(changed)], reason="gitgate notes", who=_GITGATE
                )
                return
            except ConcurrentUpdate:
                time.sleep(0.005 * (attempt + 1))
        raise ConcurrentUpdate("the notes ref kept moving", hint="try again")

    # -- reading ---------------------------------------------------------------------------

    def derive_note(self, commit: str) -> Proposal | None:
        """The note the whole journal implies for ``commit`` (reads every entry: slow path)."""
        tip = self.store.resolve(self.refs.audit)
        about = [
            logged.entry
            for logged in reversed(list(_iter_back(self.store, tip)))
            if logged.entry.commits.get("proposal") == commit
        ]
        try:
            return fold(None, about)
        except RecordError:
            return None


def _iter_back(store: GitStore, tip: str | None) -> Iterator[LoggedEntry]:
    current = tip
    while current is not None:
        info = store.commit(current)
        yield LoggedEntry(current, decode_audit(info.message))
        current = info.parents[0] if info.parents else None


def _chain(store: GitStore, tip: str, stop: str | None) -> list[LoggedEntry]:
    out: list[LoggedEntry] = []
    for logged in _iter_back(store, tip):
        if logged.commit == stop:
            break
        out.append(logged)
    out.reverse()
    return out


def _short(oid: str | None) -> str:
    return oid[:12] if oid else "nothing"


def _now() -> int:
    from gitgate import clock

    return int(clock.now().timestamp())
