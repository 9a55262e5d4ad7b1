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

Cost is linear in the entries (measured by ``benchmarks/bench_journal.py``): each entry's commit
is read and decoded once; notes are compared by blob id (the hash of the derived note's bytes
against the id in the notes tree), so no note blob is read unless it differs; each protected
branch's first-parent history is walked once, shared by the merge and branch checks.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass, field

from gitgate.errors import GitgateError
from gitgate.journal.audit import LoggedEntry, check_chain
from gitgate.journal.engine import Journal
from gitgate.journal.notebytes import note_bytes
from gitgate.journal.records import (
    MAX_RECORD_BYTES,
    AuditEntry,
    Proposal,
    RecordError,
    decode_proposal,
    encode_proposal,
)
from gitgate.journal.replay import JournalState
from gitgate.journal.replay import replay as replay_journal
from gitgate.policy import Policy
from gitgate.store.gitstore import MODE_BLOB, ChainLink, GitStore, NoteEntry

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


def verify_repository(
    store: GitStore, policy: Policy, *, keep: list[object] | None = None
) -> VerifyReport:
    """Run every check and collect the problems.

    ``keep``: a list to put what verify built in (the decoded journal, the replayed
    proposals, the merges read), for a caller that ends the process right after and need
    not free a million objects one by one (the CLI); without it all is freed on return.
    """
    with _no_cycle_collection():
        return _verify(store, policy, keep)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while verify builds its objects.

    Decoding 30,000 entries allocates millions of dicts and lists, none of them in cycles;
    the collector still ran every 700 allocations over an ever larger heap, ~20 % of verify at
    10,000 proposals (and the reason it grew faster than the journal). Memory is the same:
    reference counting frees everything; the collector runs again when verify returns.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _verify(store: GitStore, policy: Policy, keep: list[object] | None) -> VerifyReport:
    entries, problems = check_chain(store, store.resolve(policy.refs.audit))
    named = _Named.of(entries)
    # Every merge read once, without signatures (a missing one, or not a commit, left out):
    # by git, while the journal is replayed and the notes are compared here.
    merges = store.read_commit_links_later(e.commits.get("merge", "") for e in named.executed)
    state = replay_journal(e.entry for e in entries)
    problems += state.problems
    problems += _check_refs(store, policy, state)
    problems += _check_notes(store, policy, state)
    lines = _Lines(store, named.starts)
    read = merges()
    problems += _check_executed(named.executed, read, lines)
    problems += _check_branches(store, policy, named, lines)
    problems += _check_completion(store, policy)
    if keep is not None:
        keep += (entries, named, state, read, lines)
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
    """Every note must be, byte for byte, the note the journal derives for its proposal.

    Compared by blob id: the stored note's id (from the notes tree) against the id of the
    derived bytes (hashed, not written). Equal ids are equal bytes; only a differing note's
    blob is read, to say how it differs.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for note in store.note_blob_ids(store.resolve(policy.refs.notes)):
        derived = replay.states.get(note.annotated)
        if derived is None:
            problems.append(
                f"the note on {note.annotated[:12]} belongs to no proposal in the journal"
            )
            continue
        seen.add(note.annotated)
        if note.mode != MODE_BLOB or note.blob != store.blob_id(note_bytes(derived)):
            problems.append(
                f"the note of {derived.id} differs from the journal: {_how(store, note, derived)}"
            )
    for commit, state in replay.states.items():
        if commit not in seen:
            problems.append(f"proposal {state.id} has no note")
    return problems


def _how(store: GitStore, note: NoteEntry, derived: Proposal) -> str:
    """Why a note differs (only differing notes get here, so reading the blob is cheap)."""
    if note.mode != MODE_BLOB:
        return f"it is not a plain file in the notes tree (mode {note.mode:o})"
    if not store.has_object(note.blob):
        return "its blob is missing"
    if store.blob_size(note.blob) > MAX_RECORD_BYTES:
        return "it is too large to be a note"  # not read into memory: it may be huge
    try:
        raw = store.read_blob(note.blob)
        stored = decode_proposal(raw)
    except RecordError as err:
        return f"it is malformed ({err})"
    except GitgateError:
        return "its blob cannot be read"
    if encode_proposal(stored) == encode_proposal(derived):
        return "same content in other bytes (not written by gitgate)"
    return "rewritten, or left stale"


MAX_UNNAMED_READS = 10_000  # commits the journal does not name, read one by one on a line


@dataclass(frozen=True, slots=True)
class _Named:
    """The commits the journal names for the merge and branch checks, in one pass over it."""

    executed: list[AuditEntry]  # the ``executed`` entries about a proposal
    merges: set[str | None]  # the merge of every ``executed`` entry
    policy_commits: set[str | None]  # the policy commit of every ``init`` and ``policy`` entry
    starts: dict[str, str | None]  # each branch's commit at set-up (its last ``init``'s policy)

    @classmethod
    def of(cls, entries: list[LoggedEntry]) -> _Named:
        executed: list[AuditEntry] = []
        merges: set[str | None] = set()
        policy_commits: set[str | None] = set()
        starts: dict[str, str | None] = {}
        for logged in entries:
            entry = logged.entry
            event = entry.event
            if event == "executed":
                merges.add(entry.commits.get("merge"))
                if entry.proposal:
                    executed.append(entry)
            elif event == "init" or event == "policy":
                policy_commits.add(entry.commits.get("policy"))
                target = entry.commits.get("target")
                if event == "init" and target is not None:
                    starts[target] = entry.commits.get("policy")
        return cls(executed, merges, policy_commits, starts)


@dataclass
class _Lines:
    """Branches' first-parent lines, each walked once and shared by the merge and branch checks.

    A line is walked from the tip down to the branch's set-up commit through the merges the
    journal names (read once, for the merge check: so the walk itself reads almost nothing),
    and only further (libgit2's walk, to the root) when a question needs it.
    """

    store: GitStore
    starts: dict[str, str | None]
    known: dict[str, ChainLink] = field(default_factory=dict)
    tips: dict[str, str | None] = field(default_factory=dict)
    lines: dict[str, tuple[list[str], frozenset[str], bool]] = field(default_factory=dict)
    full: dict[str, frozenset[str]] = field(default_factory=dict)
    max_unnamed: int = MAX_UNNAMED_READS

    def tip(self, branch: str) -> str | None:
        """The branch's tip, resolved once (both checks then judge the same commit)."""
        if branch not in self.tips:
            self.tips[branch] = self.store.resolve(f"refs/heads/{branch}")
        return self.tips[branch]

    def line(self, branch: str) -> list[str]:
        """The branch's first-parent line from its tip, newest first, down to and including
        its set-up commit (or to the root, or to where it stopped: see :meth:`contains`)."""
        return self._walked(branch)[0]

    def contains(self, branch: str, commit: str) -> bool:
        """Tell whether ``commit`` is on the branch's first-parent line."""
        _, members, complete = self._walked(branch)
        if commit in members:
            return True
        if complete:
            return False
        if branch not in self.full:  # below the set-up commit: the whole line, in C
            tip = self.tip(branch)
            self.full[branch] = frozenset(self.store.walk(tip, first_parent=True) if tip else ())
        return commit in self.full[branch]

    def _walked(self, branch: str) -> tuple[list[str], frozenset[str], bool]:
        if branch not in self.lines:
            line, complete = self._walk(self.tip(branch), self.starts.get(branch))
            self.lines[branch] = (line, frozenset(line), complete)
        return self.lines[branch]

    def _walk(self, tip: str | None, stop: str | None) -> tuple[list[str], bool]:
        """(commits from ``tip`` down to ``stop`` included, True when that reached the root)."""
        line: list[str] = []
        current, unnamed = tip, 0
        while current is not None:
            line.append(current)
            if current == stop:
                return line, False
            link = self.known.get(current)
            if link is None:
                unnamed += 1
                link = self.store.read_commit_links([current]).get(current)
                if link is None or unnamed > self.max_unnamed:
                    return line, False  # a missing commit, or a long foreign history
            current = link.parents[0] if link.parents else None
        return line, True


def _check_executed(
    executed: list[AuditEntry], merges: dict[str, ChainLink], lines: _Lines
) -> list[str]:
    problems: list[str] = []
    lines.known.update(merges)
    for entry in executed:
        assert entry.proposal is not None
        merge = entry.commits.get("merge", "")
        target = entry.commits.get("target", "")
        info = merges.get(merge)
        if info is None:
            problems.append(f"executed entry #{entry.seq} names a merge that does not exist")
            continue
        commit = entry.commits.get("proposal")
        if len(info.parents) != 2 or info.parents[1] != commit:
            problems.append(
                f"merge {merge[:12]} of {entry.proposal} does not merge the proposed commit"
            )
        if TRAILER + entry.proposal not in info.message:
            problems.append(f"merge {merge[:12]} lacks its Gitgate-Proposal trailer")
        if not lines.contains(target, merge):
            problems.append(f"merge {merge[:12]} of {entry.proposal} is not on {target!r}")
    return problems


def _check_branches(store: GitStore, policy: Policy, named: _Named, lines: _Lines) -> list[str]:
    merges, policy_commits = named.merges, named.policy_commits
    problems: list[str] = []
    for branch in policy.protected:
        tip = lines.tip(branch)
        start = lines.starts.get(branch)
        if tip is None or start is None:
            continue
        since = since_start(store, lines.line(branch), tip, start)
        if since is None:
            problems.append(f"{branch} does not contain the commit gitgate was set up on")
            continue
        for commit in since:
            if commit in merges or commit in policy_commits:
                continue
            problems.append(
                f"commit {commit[:12]} on {branch} did not come through an approved proposal"
            )
    return problems


def since_start(store: GitStore, line: list[str], tip: str, start: str) -> list[str] | None:
    """The commits of ``tip``'s first-parent history that ``start`` does not reach, newest
    first: ``walk(tip, hide=[start], first_parent=True)``. None when ``start`` is not an
    ancestor of ``tip``.

    ``line`` is the start of ``tip``'s first-parent line (tip first). When ``start`` is on it
    (the usual case) the answer is the part above it: those commits descend from ``start`` so
    cannot be hidden by it, and everything below it is its ancestor. That needs no
    ``descendant_of`` (a graph walk per call); otherwise the general walk decides.
    """
    try:
        return line[: line.index(start)]
    except ValueError:
        pass
    if not store.is_ancestor(start, tip):
        return None
    return list(store.walk(tip, hide=[start], first_parent=True))


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
