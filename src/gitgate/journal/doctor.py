"""``gitgate doctor``: bring a repository back in line with its journal, losing nothing.

In order, each step reported (``--dry-run`` reports without changing anything):

1. ``.lock`` files under refs/ (and ``packed-refs.lock``) older than a few seconds while no
   gitgate process holds the write lock: left by a process that died, removed;
2. entries whose effects are missing (a crash after the commit point): completed;
3. pending and archive refs that the journal does not explain: a missing or moved one is set
   to the journal's commit; one the journal never made (an orphan) is moved to
   ``refs/gitgate/orphans/…`` so that its commit stays reachable and can be looked at;
4. notes that differ from what the journal derives: rewritten from the journal;
5. the ``applied`` marker set to the journal's tip;
6. a checked-out protected branch whose working tree still holds the commit gitgate moved the
   branch from (the branch's last reflog entry is gitgate's): the tree is brought along.

A protected branch the journal cannot explain (moved outside gitgate) is reported, not
changed: that needs a person to decide which commits to keep. One exception: a branch whose
commits above the journal's are only merges of proposals the journal knows (what a `gitgate
fetch` interrupted after it took back an overtaken local approval leaves) is set back to the
journal's commit, as that fetch would have done; the proposals stay pending.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitgate.journal.audit import read_log
from gitgate.journal.engine import APPLIED_REF, Journal
from gitgate.journal.records import encode_proposal
from gitgate.journal.replay import JournalState, replay
from gitgate.policy import Policy, RefNames
from gitgate.store.gitstore import GitStore

ORPHAN_PREFIX = "refs/gitgate/orphans/"
MAX_UNPUSHED_MERGES = 64
LOCK_AGE = 5.0  # seconds: a ref lock git holds for longer than this is not a live update


@dataclass(frozen=True, slots=True)
class DoctorReport:
    """What doctor did (or would do) and what it could not fix."""

    actions: tuple[str, ...]
    problems: tuple[str, ...]
    dry_run: bool

    @property
    def ok(self) -> bool:
        """True when nothing is left that needs a person."""
        return not self.problems


def run_doctor(store: GitStore, policy: Policy, *, dry_run: bool = False) -> DoctorReport:
    """Repair what can be derived from the journal; report the rest."""
    if store.is_write_locked():
        return DoctorReport(
            (), ("another gitgate process is working on this repository; try again",), dry_run
        )
    actions = _clear_locks(store, dry_run)
    journal = Journal(store, policy.refs)
    if dry_run:
        return _diagnose(store, policy, journal, actions)
    with store.write_lock():
        return _repair(store, policy, journal, actions)


def _clear_locks(store: GitStore, dry_run: bool) -> list[str]:
    actions: list[str] = []
    for path, age in store.lock_files():
        if age < LOCK_AGE:
            continue
        actions.append(f"remove stale lock {path} ({age:.0f} s old)")
        if not dry_run:
            (store.git_dir / path).unlink(missing_ok=True)
    return actions


def _diagnose(
    store: GitStore, policy: Policy, journal: Journal, actions: list[str]
) -> DoctorReport:
    done = journal.roll_forward(dry_run=True)
    actions += [f"complete: {what}" for what in (*done.moved, *done.notes)]
    fixes, problems = _plan(store, policy)
    actions += [text for text, _ref, _new, _old in fixes]
    stale = _stale_checkout(store, policy)
    if stale is not None:
        actions.append(_follow_text(*stale))
    return DoctorReport(tuple(actions), (*done.conflicts, *problems), True)


def _repair(store: GitStore, policy: Policy, journal: Journal, actions: list[str]) -> DoctorReport:
    done = journal.roll_forward()
    store.finish_checkout_move()  # before any fix of its own overwrites the record
    actions += [f"completed: {what}" for what in (*done.moved, *done.notes)]
    fixes, problems = _plan(store, policy)
    actions += _apply_fixes(store, fixes, reason="gitgate doctor")
    actions += _rewrite_notes(store, policy)
    actions += follow_checkout(store, policy)
    conflicts = [c for c in done.conflicts if not _fixed_by(c, fixes)]
    if not conflicts:
        _mark_applied(store, policy, reason="gitgate doctor")
    return DoctorReport(tuple(actions), (*conflicts, *problems), False)


def align_with_journal(store: GitStore, policy: Policy, *, reason: str) -> list[str]:
    """Set the pending and archive refs and the notes to what the journal implies and mark the
    journal applied; return what changed. The caller holds the write lock and has already
    put the protected branches where the journal says (a fetch that rewrote local entries)."""
    fixes, _problems = _plan(store, policy)
    changes = _apply_fixes(store, fixes, reason=reason)
    changes += _rewrite_notes(store, policy)
    _mark_applied(store, policy, reason=reason)
    return changes


def follow_checkout(store: GitStore, policy: Policy) -> list[str]:
    """Bring a checked-out protected branch's working tree to the branch when gitgate moved
    the branch and stopped (a crash) before the working tree followed; return what was done.

    Only when the branch's last reflog entry is gitgate's and the index and working tree
    still hold exactly the commit that move started from: nothing of the user's is there to
    lose, and the two-way merge refuses anything else.
    """
    stale = _stale_checkout(store, policy)
    if stale is None:
        return []
    branch, old, tip = stale
    warning = store.sync_checkout(branch, old, tip)
    return [f"warning: {warning}"] if warning else [_follow_text(branch, old, tip)]


def _stale_checkout(store: GitStore, policy: Policy) -> tuple[str, str, str] | None:
    branch = None if store.is_bare else store.head_branch()
    if branch is None or branch not in policy.protected:
        return None
    ref = f"refs/heads/{branch}"
    tip, move = store.resolve(ref), store.last_move(ref)
    if tip is None or move is None:
        return None
    old, new, message = move
    if old is None or old == tip or new != tip or not message.startswith("gitgate"):
        return None
    return (branch, old, tip) if store.checkout_holds(old) else None


def _follow_text(branch: str, old: str, tip: str) -> str:
    return (
        f"bring the working tree of {branch} from {old[:12]} to {tip[:12]}, where gitgate moved it"
    )


def _apply_fixes(store: GitStore, fixes: list[Fix], *, reason: str) -> list[str]:
    done: list[str] = []
    for text, ref, new, old in fixes:
        branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
        if branch is None or new is None or old is None:
            store.update_ref(ref, new, old, reason=reason)
            done.append(text)
            continue
        # A branch set back: its working tree follows, as after any decision, and a crash in
        # between is finished by the next command (the record names where the tree is).
        store.begin_checkout_move(branch, old)
        store.update_ref(ref, new, old, reason=reason)
        done.append(text)
        warning = store.sync_checkout(branch, old, new)
        store.end_checkout_move()
        if warning:
            done.append(f"warning: {warning}")
    return done


def _mark_applied(store: GitStore, policy: Policy, *, reason: str) -> None:
    tip = store.resolve(policy.refs.audit)
    marker = store.resolve(APPLIED_REF)
    if tip is not None and marker != tip:
        store.update_ref(APPLIED_REF, tip, marker, reason=reason)


def _fixed_by(conflict: str, fixes: list[tuple[str, str, str | None, str | None]]) -> bool:
    return any(conflict.startswith(ref + " ") for _text, ref, _new, _old in fixes)


Fix = tuple[str, str, str | None, str | None]  # (what, ref, new, old)


def _plan(store: GitStore, policy: Policy) -> tuple[list[Fix], list[str]]:
    """The ref fixes the journal implies, and what it cannot fix."""
    refs = policy.refs
    state = replay(logged.entry for logged in read_log(store, store.resolve(refs.audit)))
    expected = state.expected_refs(refs)
    actual = {**store.list_refs(refs.pending_prefix), **store.list_refs(refs.archive_prefix)}
    fixes: list[Fix] = []
    problems = list(state.problems)
    for ref in sorted(expected.keys() | actual.keys()):
        want, have = expected.get(ref), actual.get(ref)
        if want == have:
            continue
        if want is None:
            assert have is not None
            if _decided_here(state, ref, have, refs):
                fixes.append((f"remove {ref} (decided in the journal)", ref, None, have))
                continue
            keep = ORPHAN_PREFIX + ref.removeprefix("refs/")
            if store.resolve(keep) is None:
                fixes.append((f"keep orphan {ref} as {keep}", keep, have, None))
            fixes.append((f"remove orphan {ref} (not in the journal)", ref, None, have))
        elif not store.has_object(want):
            problems.append(f"{ref}: the journal's commit {want[:12]} is not in this repository")
        else:
            fixes.append((f"set {ref} to {want[:12]} as the journal says", ref, want, have))
    for branch in policy.protected:
        final = state.refs.get(f"refs/heads/{branch}")
        tip = store.resolve(f"refs/heads/{branch}")
        if final and tip and not store.is_ancestor(final, tip):
            if only_gitgate_merges_over(store, tip, final, state):
                what = (
                    f"set {branch} back to {final[:12]} as the journal says (above it only "
                    "merges of proposals the journal has not merged: an interrupted fetch)"
                )
                fixes.append((what, f"refs/heads/{branch}", final, tip))
                continue
            problems.append(
                f"{branch} is at {tip[:12]}, which does not contain the journal's {final[:12]}: "
                "it was moved outside gitgate (decide which commits to keep, then "
                f"`git update-ref refs/heads/{branch} {final[:12]}`)"
            )
    return fixes, problems


def only_gitgate_merges_over(
    store: GitStore, current: str, final: str, state: JournalState
) -> bool:
    """Tell whether ``current`` is ``final``'s history plus only merges of proposals the journal
    knows (what an unpushed local approval leaves, e.g. after a fetch was interrupted half-way):
    then setting the branch to the journal's ``final`` loses nobody's own commit."""
    commit = current
    for _ in range(MAX_UNPUSHED_MERGES):
        if store.is_ancestor(commit, final):
            return True
        parents = store.commit(commit).parents
        if len(parents) != 2 or parents[1] not in state.states:
            return False
        commit = parents[0]
    return False


def _decided_here(state: JournalState, ref: str, commit: str, refs: RefNames) -> bool:
    """A pending ref left on a proposal the journal has decided is no orphan: its commit stays
    reachable through the merge or the archive ref the decision made."""
    proposal = state.states.get(commit)
    return proposal is not None and not proposal.is_pending and ref == refs.pending(proposal.id)


def _rewrite_notes(store: GitStore, policy: Policy) -> list[str]:
    refs = policy.refs
    state = replay(logged.entry for logged in read_log(store, store.resolve(refs.audit)))
    tip = store.resolve(refs.notes)
    changed: dict[str, bytes] = {}
    for commit, proposal in state.states.items():
        wanted = encode_proposal(proposal)
        if store.read_note(tip, commit) != wanted:
            changed[commit] = wanted
    if not changed:
        return []
    journal = Journal(store, refs)
    journal.write_notes(changed)
    return [f"rewrote the note of {state.states[c].id} from the journal" for c in sorted(changed)]
