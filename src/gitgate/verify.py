"""``gitgate audit verify``: replay the journal once and check every ref and note against it.

One pass over the audit log (linear in its length) rebuilds what the journal implies — each
proposal's state, where every ref it moved must be — then compares the repository with it:

* the chain: linear, empty trees, well-formed entries, sequence 1, 2, 3… from an ``init``;
* every entry fits the one before it (a status only moves forward, a ``proposed`` entry carries
  the record of exactly its requester and commit, ids are never reused, ref moves chain up);
* pending and archive refs: exactly the journal's (no phantom, no orphan, none moved);
* notes: byte-equal to what the journal derives (a rewritten note, a forged requester, a
  note without a proposal, a proposal without a note);
* every ``executed`` entry names a gitgate merge of that very commit, on its target;
* every commit on a protected branch since set-up is a merge or policy commit the journal names;
* entries whose effects were never completed (a crash: `gitgate doctor` finishes them) and
  ``.lock`` files left behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from gitgate.audit import LoggedEntry, check_chain
from gitgate.gitstore import GitStore
from gitgate.journal.engine import Journal
from gitgate.journal.replay import JournalState
from gitgate.journal.replay import replay as replay_journal
from gitgate.policy import Policy
from gitgate.records import RecordError, decode_proposal

TRAILER = "Gitgate-Proposal: "
STALE_LOCK_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of ``gitgate audit verify``."""

    entries: int
    proposals: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is inconsistent."""
        return not self.problems


def verify_repository(store: GitStore, policy: Policy) -> VerifyReport:
    """Run every check and collect the problems."""
    entries, problems = check_chain(store, store.resolve(policy.refs.audit))
    state = replay_journal(e.entry for e in entries)
    problems += state.problems
    problems += _check_refs(store, policy, state)
    problems += _check_notes(store, policy, state)
    problems += _check_executed(store, entries)
    problems += _check_branches(store, policy, entries)
    problems += _check_completion(store, policy)
    return VerifyReport(len(entries), len(state.states), tuple(problems))


def _check_refs(store: GitStore, policy: Policy, replay: JournalState) -> list[str]:
    refs = policy.refs
    expected = replay.expected_refs(refs)
    actual = {**store.list_refs(refs.pending_prefix), **store.list_refs(refs.archive_prefix)}
    problems: list[str] = []
    for ref in sorted(expected.keys() | actual.keys()):
        want, have = expected.get(ref), actual.get(ref)
        if want == have:
            continue
        if want is None:
            problems.append(f"{ref} is not in the journal (an orphan ref; `gitgate doctor`)")
        elif have is None:
            problems.append(f"{ref} is missing: the journal says {_short(want)}")
        else:
            problems.append(f"{ref} was moved to {_short(have)}; the journal says {_short(want)}")
    return problems


def _check_notes(store: GitStore, policy: Policy, replay: JournalState) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for annotated, raw in store.iter_notes(store.resolve(policy.refs.notes)):
        derived = replay.states.get(annotated)
        if derived is None:
            problems.append(f"the note on {annotated[:12]} belongs to no proposal in the journal")
            continue
        seen.add(annotated)
        # Compared as parsed JSON: the same test as the bytes (gitgate writes notes in one
        # canonical form), at the C parser's speed rather than the pretty-printer's.
        if _parsed(raw) != derived.to_dict():
            problems.append(f"the note of {derived.id} differs from the journal: {_how(raw)}")
    for commit, state in replay.states.items():
        if commit not in seen:
            problems.append(f"proposal {state.id} has no note")
    return problems


def _parsed(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _how(raw: bytes) -> str:
    try:
        decode_proposal(raw)
    except RecordError as err:
        return f"it is malformed ({err})"
    return "rewritten, or left stale"


def _check_executed(store: GitStore, entries: list[LoggedEntry]) -> list[str]:
    problems: list[str] = []
    on_branch: dict[str, set[str]] = {}
    for logged in entries:
        entry = logged.entry
        if entry.event != "executed" or not entry.proposal:
            continue
        merge = entry.commits.get("merge", "")
        target = entry.commits.get("target", "")
        if not merge or not store.has_object(merge):
            problems.append(f"executed entry #{entry.seq} names a merge that does not exist")
            continue
        info = store.commit(merge)
        commit = entry.commits.get("proposal")
        if len(info.parents) != 2 or info.parents[1] != commit:
            problems.append(
                f"merge {merge[:12]} of {entry.proposal} does not merge the proposed commit"
            )
        if TRAILER + entry.proposal not in info.message:
            problems.append(f"merge {merge[:12]} lacks its Gitgate-Proposal trailer")
        if target not in on_branch:
            tip = store.resolve(f"refs/heads/{target}")
            on_branch[target] = set(store.walk(tip, first_parent=True)) if tip else set()
        if merge not in on_branch[target]:
            problems.append(f"merge {merge[:12]} of {entry.proposal} is not on {target!r}")
    return problems


def _check_branches(store: GitStore, policy: Policy, entries: list[LoggedEntry]) -> list[str]:
    merges = {e.entry.commits.get("merge") for e in entries if e.entry.event == "executed"}
    policy_commits = {
        e.entry.commits.get("policy") for e in entries if e.entry.event in ("init", "policy")
    }
    starts = {
        e.entry.commits.get("target"): e.entry.commits.get("policy")
        for e in entries
        if e.entry.event == "init"
    }
    problems: list[str] = []
    for branch in policy.protected:
        tip = store.resolve(f"refs/heads/{branch}")
        start = starts.get(branch)
        if tip is None or start is None:
            continue
        if not store.is_ancestor(start, tip):
            problems.append(f"{branch} does not contain the commit gitgate was set up on")
            continue
        for commit in store.walk(tip, hide=[start], first_parent=True):
            if commit in merges or commit in policy_commits:
                continue
            problems.append(
                f"commit {commit[:12]} on {branch} did not come through an approved proposal"
            )
    return problems


def _check_completion(store: GitStore, policy: Policy) -> list[str]:
    problems: list[str] = []
    try:
        waiting = Journal(store, policy.refs).unapplied()
    except RecordError:
        waiting = []  # the chain check reports malformed entries
    if waiting:
        problems.append(
            f"{len(waiting)} journal entr{'y' if len(waiting) == 1 else 'ies'} not yet "
            "completed (a command stopped half-way): run `gitgate doctor`"
        )
    if not store.is_write_locked():
        for path, age in store.lock_files():
            if age >= STALE_LOCK_SECONDS:
                problems.append(f"stale lock {path} ({age:.0f} s old): run `gitgate doctor`")
    return problems


def _short(oid: str | None) -> str:
    return oid[:12] if oid else "nothing"
