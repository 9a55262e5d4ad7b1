"""gitgate across many clones: fetch gitgate's refs, merge them, push decisions atomically.

Every clone keeps its own notes, audit log and pending branches; the server (guarded by the
pre-receive hook) holds the shared truth. gitgate's refs are fetched into a namespace of their
own, ``refs/gitgate-remote/<remote>/...``, then folded into the local refs:

* audit log: fast-forwarded. When the clone wrote entries that the server lacks, they go again
  on top of the server's tip (renumbered, and stamped no earlier than the entry before them),
  each judged against the state the server's journal left: one that no longer fits (a local
  approval while the server's branch moved on) is dropped with a warning, and its proposal is
  pending again. Every other gitgate ref is then derived from the combined journal;
* notes: merged, deterministically: the union of both notes trees and, for a commit noted on
  both sides, the record whose status history is longer (ties: the larger encoded record);
* pending branches: mirrored (a local proposal that was never pushed is kept);
* archive refs: added; protected branches: fast-forwarded when the local one is behind.

Pushes use ``git push --atomic`` with a ``--force-with-lease`` per ref, so they are one
compare-and-swap on the server. A decision that lost a race is undone locally, recomputed
from the server's new tips and pushed again, a bounded number of times.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from gitgate import clock
from gitgate.errors import ConcurrentUpdate, GitError, GitgateError
from gitgate.homepolicy import CONFIG_BRANCH
from gitgate.journal.audit import LoggedEntry, actor_identity, append_entries, iter_log, read_log
from gitgate.journal.doctor import align_with_journal, only_gitgate_merges_over
from gitgate.journal.records import AuditEntry, Proposal, RecordError, decode_proposal
from gitgate.journal.replay import JournalState, replay
from gitgate.policy import POLICY_PATH, Policy
from gitgate.store.gitstore import EMPTY_TREE, GitStore, Identity, RefUpdate

if TYPE_CHECKING:
    from gitgate.workflow import Gate

log = logging.getLogger(__name__)

TRACKING_ROOT = "refs/gitgate-remote/"
CONFIG_REMOTE = "gitgate.remote"
DEFAULT_REMOTE = "origin"
MAX_PUSH_TRIES = 8
T = TypeVar("T")

# How git reports a push that lost a race (retry) rather than one the server refused.
_STALE_REASONS = (
    "stale info",
    "fetch first",
    "non-fast-forward",
    "failed to update ref",
    "failed to lock",
    "cannot lock ref",
    "incorrect old value",
    "atomic push failed",
    "atomic push failure",
    "atomic transaction failed",
)


class PushRefused(GitgateError):
    """The server refused a push (its pre-receive hook, or another rule)."""

    code = "push-refused"


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What folding a remote's gitgate refs into the local ones changed."""

    remote: str
    changes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PushResult:
    """The outcome of one ``git push``: accepted, lost a race (stale), or refused."""

    ok: bool
    stale: bool = False
    message: str = ""
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Move:
    """A ref to push: its new value (None: delete) and the value the remote must still have."""

    ref: str
    new: str | None
    expect: str | None


@dataclass
class _Plan:
    """Local ref updates computed from a fetch, applied in one transaction."""

    updates: list[RefUpdate] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checkouts: list[tuple[str, str, str]] = field(default_factory=list)

    def move(self, ref: str, new: str | None, old: str | None, change: str) -> None:
        """Plan moving ``ref`` from ``old`` to ``new``."""
        self.updates.append(RefUpdate(ref, new, old))
        self.changes.append(change)


# -- names -----------------------------------------------------------------------------------


def tracking_ref(remote: str, ref: str) -> str:
    """Where a fetch keeps the remote's value of ``ref`` (or of a ref prefix)."""
    return f"{TRACKING_ROOT}{remote}/{ref.removeprefix('refs/')}"


def fetch_refspecs(policy: Policy, remote: str) -> list[str]:
    """The refspecs that bring gitgate's refs and the protected branches from ``remote``.

    Every source ends in ``*``: a pattern that matches nothing is not an error, so a remote
    without notes yet (say) does not make the whole fetch fail.
    """
    refs = policy.refs
    sources = [
        refs.notes,
        refs.audit,
        refs.pending_prefix,
        refs.archive_prefix,
        *(f"refs/heads/{branch}" for branch in policy.protected),
    ]
    return [f"+{src}*:{tracking_ref(remote, src)}*" for src in sources]


def resolve_remote(gate: Gate, remote: str | None = None) -> str:
    """The remote to use: ``remote``, else ``gitgate.remote`` in git config, else origin."""
    return remote or gate.store.config_get(CONFIG_REMOTE) or DEFAULT_REMOTE


# -- setting up a clone ----------------------------------------------------------------------


def prepare_clone(gate: Gate, remote: str | None = None) -> SyncReport | None:
    """In a clone of a gitgate repository: configure the refspecs and fetch gitgate's refs.

    Returns None (and changes nothing) when there is no such remote or it carries no audit
    log: then this is not a clone of a gitgate repository.
    """
    store = gate.store
    name = resolve_remote(gate, remote)
    if not store.config_get(f"remote.{name}.url"):
        return None
    try:
        policy = gate.policy()
    except GitgateError:
        if not _adopt_policy_branch(store, name):
            return None
        policy = gate.policy()
    try:
        listed = store.run_git(["ls-remote", name, policy.refs.audit]).stdout
    except GitError as err:
        log.debug("cannot list %s: %s", name, err)
        return None
    if not listed.strip():
        return None
    for spec in fetch_refspecs(policy, name):
        store.config_add(f"remote.{name}.fetch", spec)
    store.config_set(CONFIG_REMOTE, name)
    return fetch(gate, name)


def _adopt_policy_branch(store: GitStore, remote: str) -> bool:
    """Take the remote's policy branch when the clone did not check it out.

    A clone of a server whose HEAD names another branch (git's default ``master``, say) has
    no local policy; without this, ``gitgate init`` would write a second policy and a second
    ``init`` entry there, which the server refuses. Looks at the remote's HEAD, then ``main``
    and ``master``; creates the local branch (tracking the remote's) only when it is missing.
    """
    remote_head = store.run_git(["symbolic-ref", "-q", f"refs/remotes/{remote}/HEAD"], check=False)
    named = remote_head.stdout.decode("utf-8", "replace").strip().rpartition("/")[2]
    for branch in dict.fromkeys(b for b in (named, "main", "master") if b):
        tip = store.resolve(f"refs/remotes/{remote}/{branch}")
        if tip is None or store.read_path(tip, POLICY_PATH) is None:
            continue
        if store.resolve(f"refs/heads/{branch}") is not None:
            return False  # a local branch of that name exists: never move it behind its back
        store.update_refs(
            [RefUpdate(f"refs/heads/{branch}", tip, None)],
            reason=f"gitgate init: {branch} from {remote}",
            who=actor_identity("gitgate"),
        )
        store.config_set(f"branch.{branch}.remote", remote)
        store.config_set(f"branch.{branch}.merge", f"refs/heads/{branch}")
        store.config_set(CONFIG_BRANCH, branch)
        head = store.head_branch()
        unborn = head is not None and store.resolve(f"refs/heads/{head}") is None
        if unborn and not store.is_bare:  # the clone checked out nothing
            store.run_git(["symbolic-ref", "HEAD", f"refs/heads/{branch}"])
            store.sync_checkout(branch, EMPTY_TREE, tip)
        return True
    return False


# -- fetching --------------------------------------------------------------------------------


def fetch(gate: Gate, remote: str | None = None) -> SyncReport:
    """Fetch gitgate's refs from ``remote`` and fold them into the local ones.

    Raises:
        GitError: when the fetch fails.
    """
    name = resolve_remote(gate, remote)
    policy = gate.policy()
    specs = fetch_refspecs(policy, name)
    gate.store.run_git(["fetch", "--prune", "--no-tags", "--quiet", name, *specs])
    return integrate(gate, policy, name)


def integrate(gate: Gate, policy: Policy, remote: str) -> SyncReport:
    """Fold the fetched remote-tracking gitgate refs into the local refs (one transaction)."""
    for _ in range(MAX_PUSH_TRIES):
        try:
            return _integrate_once(gate, policy, remote)
        except ConcurrentUpdate:
            time.sleep(random.uniform(0.01, 0.05))
    raise ConcurrentUpdate(
        "gave up folding fetched refs in: local gitgate refs kept changing",
        hint="try `gitgate fetch` again",
    )


def _integrate_once(gate: Gate, policy: Policy, remote: str) -> SyncReport:
    with gate.store.write_lock():  # no local decision is half-way while refs are folded in
        return _integrate_locked(gate, policy, remote)


def _integrate_locked(gate: Gate, policy: Policy, remote: str) -> SyncReport:
    store = gate.store
    who = _identity(gate)
    when = int(clock.now().timestamp())
    plan = _Plan()
    ref = policy.refs.audit
    local, theirs = store.resolve(ref), store.resolve(tracking_ref(remote, ref))
    if local is not None and theirs is not None and not store.is_ancestor(local, theirs):
        return _integrate_by_journal(gate, policy, remote, plan, (local, theirs), when)
    _plan_audit(store, policy, remote, plan, when)
    notes = _plan_notes(store, policy, remote, plan, who, when)
    _plan_pending(store, policy, remote, plan, notes)
    _plan_archive(store, policy, remote, plan)
    _plan_branches(store, policy, remote, plan)
    _note_checkout_moves(store, plan)
    if plan.updates:
        store.update_refs(plan.updates, reason=f"gitgate fetch {remote}", who=who)
    _sync_checkouts(store, plan)
    return SyncReport(remote, tuple(plan.changes), tuple(plan.warnings))


def _sync_checkouts(store: GitStore, plan: _Plan) -> None:
    for branch, old, new in plan.checkouts:
        warning = store.sync_checkout(branch, old, new)
        if warning:
            plan.warnings.append(warning)
    if plan.checkouts:  # only a record this fetch wrote (another's is the next command's)
        store.end_checkout_move()


def _note_checkout_moves(store: GitStore, plan: _Plan) -> None:
    """Before the refs move: the working tree of a checked-out branch the plan moves follows
    it even if this fetch stops half-way (the next gitgate command finishes it)."""
    for branch, old, _new in plan.checkouts:
        store.begin_checkout_move(branch, old)


# -- a clone with entries the server lacks -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rebased:
    """The local journal rebuilt on the server's: the new tip, what stayed, what was dropped."""

    tip: str
    state: JournalState
    kept: int
    dropped: tuple[tuple[AuditEntry, str], ...]  # (entry, why it no longer fits)


def _integrate_by_journal(
    gate: Gate, policy: Policy, remote: str, plan: _Plan, tips: tuple[str, str], when: int
) -> SyncReport:
    """Fold the server's journal in when this clone wrote entries the server lacks.

    The local entries go again on top of the server's tip, each judged against the state the
    server's journal (and the local entries kept before it) left: an entry that no longer fits
    (an approval made locally while the server's branch moved on, a decision the server already
    has) is dropped, and its proposal is decided again from the server's state. Every other
    gitgate ref is then derived from the combined journal, so nothing is left contradicting it.
    """
    store = gate.store
    local, theirs = tips
    rebased = _rebase_entries(store, local, theirs, when)
    if rebased.tip != local:
        plan.move(policy.refs.audit, rebased.tip, local, _rebase_change(theirs, local, rebased))
    for entry, why in rebased.dropped:
        what = f"{entry.event} of {entry.proposal}" if entry.proposal else entry.event
        plan.warnings.append(
            f"your {what} was not pushed and no longer fits {remote}'s audit log ({why}): "
            "it was taken back; decide again"
        )
    # Notes are derived from the journal: build them on the server's notes (its notes ref only
    # fast-forwards), then rewrite from the combined journal whatever differs.
    notes_ref = policy.refs.notes
    ours_notes, their_notes = (
        store.resolve(notes_ref),
        store.resolve(tracking_ref(remote, notes_ref)),
    )
    if their_notes is not None and ours_notes != their_notes:
        if ours_notes is None or not store.is_ancestor(their_notes, ours_notes):
            plan.move(notes_ref, their_notes, ours_notes, "notes: rebuilt on the remote's")
    for branch in policy.protected:
        _plan_branch_by_journal(store, branch, rebased.state, remote, plan)
    who = _identity(gate)
    _note_checkout_moves(store, plan)
    if plan.updates:
        store.update_refs(plan.updates, reason=f"gitgate fetch {remote}", who=who)
    _sync_checkouts(store, plan)
    plan.changes.extend(align_with_journal(store, policy, reason=f"gitgate fetch {remote}"))
    return SyncReport(remote, tuple(plan.changes), tuple(plan.warnings))


def _rebase_change(theirs: str, local: str, rebased: _Rebased) -> str:
    if rebased.tip == theirs and not rebased.kept:
        return "audit log: set to the remote's (no local entry still fits)"
    return f"audit log: {rebased.kept} local entries re-appended"


def _rebase_entries(store: GitStore, local: str, theirs: str, when: int) -> _Rebased:
    server_log = read_log(store, theirs)
    state = replay(logged.entry for logged in server_log)
    ours = _entries_since(store, local, theirs)
    if store.is_ancestor(theirs, local):  # only ahead: nothing of ours needs moving
        for logged in ours:
            state.advance(logged.entry)
        return _Rebased(local, state, len(ours), ())
    last_time = server_log[-1].entry.time if server_log else None
    kept: list[AuditEntry] = []
    dropped: list[tuple[AuditEntry, str]] = []
    for unit in _decision_units([logged.entry for logged in ours]):
        # an approval and the decision written with it stand or fall together: an approval
        # kept alone would be given again when the proposal is decided anew
        why = next((w for w in map(state.misfit, unit) if w is not None), None)
        if why is not None:
            dropped += [(entry, why) for entry in unit if entry.event != "approved"]
            continue
        for entry in unit:
            entry = _not_before(entry, last_time)
            state.advance(entry)
            kept.append(entry)
            last_time = entry.time
    tip = append_entries(store, theirs, kept, when=when) if kept else theirs
    return _Rebased(tip, state, len(kept), tuple(dropped))


def _decision_units(entries: list[AuditEntry]) -> list[list[AuditEntry]]:
    """The entries in the groups they were written in: an ``approved`` entry with the decision
    right after it (same proposal, same actor), every other entry alone."""
    units: list[list[AuditEntry]] = []
    for entry in entries:
        last = units[-1] if units else None
        if (
            last is not None
            and len(last) == 1
            and last[0].event == "approved"
            and entry.event in ("executed", "failed")
            and (entry.proposal, entry.actor) == (last[0].proposal, last[0].actor)
        ):
            last.append(entry)
        else:
            units.append([entry])
    return units


def _not_before(entry: AuditEntry, earliest: str | None) -> AuditEntry:
    """``entry`` stamped no earlier than ``earliest``: an entry enters the shared journal when
    it is appended there, and the server refuses entries older than the one before them. A
    ``proposed`` entry's record carries the same time (its ``created_at``)."""
    if earliest is None or entry.time >= earliest:  # ISO times in one format sort as text
        return entry
    details = dict(entry.details)
    record = details.get("proposal")
    if entry.event == "proposed" and isinstance(record, dict):
        details["proposal"] = {**record, "created_at": earliest}
    return replace(entry, time=earliest, details=details)


def _plan_branch_by_journal(
    store: GitStore,
    branch: str,
    state: JournalState,
    remote: str,
    plan: _Plan,
) -> None:
    ref = f"refs/heads/{branch}"
    final, current = state.refs.get(ref), store.resolve(ref)
    if final is None or current == final:
        return
    if current is None or store.is_ancestor(current, final):
        plan.move(ref, final, current, f"{branch}: fast-forwarded")
    elif only_gitgate_merges_over(store, current, final, state):
        plan.move(
            ref, final, current, f"{branch}: set to {remote}'s (an unpushed merge was taken back)"
        )
    else:
        plan.warnings.append(f"{branch} has diverged from {remote}'s; left it as it is")
        return
    if current is not None:
        plan.checkouts.append((branch, current, final))


def _identity(gate: Gate) -> Identity:
    try:
        return actor_identity(gate.resolve_actor())
    except GitgateError:
        return actor_identity("gitgate")


def _plan_audit(store: GitStore, policy: Policy, remote: str, plan: _Plan, when: int) -> None:
    ref = policy.refs.audit
    local, theirs = store.resolve(ref), store.resolve(tracking_ref(remote, ref))
    if theirs is None or local == theirs or (local and store.is_ancestor(theirs, local)):
        return
    if local is None or store.is_ancestor(local, theirs):
        plan.move(ref, theirs, local, "audit log: fast-forwarded")
        return
    # Both sides appended after a common tip: our entries go again on top of the remote's.
    ours = _entries_since(store, local, theirs)
    new_tip = append_entries(store, theirs, [logged.entry for logged in ours], when=when)
    plan.move(ref, new_tip, local, f"audit log: {len(ours)} local entries re-appended")


def _entries_since(store: GitStore, tip: str, base: str) -> list[LoggedEntry]:
    only_local = set(store.walk(tip, hide=[base]))
    found = []
    for logged in iter_log(store, tip):
        if logged.commit not in only_local:
            break
        found.append(logged)
    found.reverse()
    return found


def _plan_notes(
    store: GitStore, policy: Policy, remote: str, plan: _Plan, who: Identity, when: int
) -> str | None:
    """Plan the notes merge; return the notes commit the local ref will hold."""
    ref = policy.refs.notes
    local, theirs = store.resolve(ref), store.resolve(tracking_ref(remote, ref))
    if theirs is None or local == theirs or (local and store.is_ancestor(theirs, local)):
        return local
    if local is None or store.is_ancestor(local, theirs):
        plan.move(ref, theirs, local, "notes: fast-forwarded")
        return theirs
    merged = merge_notes(store, local, theirs, who=who, when=when)
    plan.move(ref, merged, local, "notes: merged with the remote's")
    return merged


def merge_notes(store: GitStore, ours: str, theirs: str, *, who: Identity, when: int) -> str:
    """Merge two notes commits: the union of both, the longer status history on overlap.

    Returns ``theirs`` when ours adds nothing, else one commit on top of ``theirs`` (a single
    parent: the server's hook refuses notes merge commits), so that the result fast-forwards
    the remote's notes ref.
    """
    chosen: dict[str, bytes] = {}
    for annotated, their_note, our_note in store.diff_notes(theirs, ours):
        if our_note is not None and (their_note is None or _prefer(our_note, their_note)):
            chosen[annotated] = our_note
    if not chosen:
        return theirs
    return store.write_notes(theirs, chosen, message="gitgate: merge notes\n", who=who, when=when)


def _prefer(ours: bytes, theirs: bytes) -> bool:
    """Tell whether our record wins: longer status history, then the larger encoding."""
    return (_history_length(ours), ours) > (_history_length(theirs), theirs)


def _history_length(raw: bytes) -> int:
    try:
        return len(decode_proposal(raw).history)
    except RecordError:
        return -1


def _plan_pending(
    store: GitStore, policy: Policy, remote: str, plan: _Plan, notes: str | None
) -> None:
    prefix = policy.refs.pending_prefix
    theirs, ours = _under(store, tracking_ref(remote, prefix)), _under(store, prefix)
    for pid in sorted(theirs.keys() | ours.keys()):
        remote_tip, local_tip = theirs.get(pid), ours.get(pid)
        if remote_tip == local_tip:
            continue
        if remote_tip is not None:
            plan.move(prefix + pid, remote_tip, local_tip, f"pending {pid}: mirrored")
        elif local_tip is not None and not _still_pending(store, notes, local_tip, pid):
            plan.move(prefix + pid, None, local_tip, f"pending {pid}: removed (decided)")


def _still_pending(store: GitStore, notes: str | None, commit: str, pid: str) -> bool:
    """A local pending branch the remote lacks is kept while its proposal is undecided."""
    raw = store.read_note(notes, commit)
    proposal = _decode(raw) if raw is not None else None
    return proposal is None or (proposal.id == pid and proposal.is_pending)


def _decode(raw: bytes) -> Proposal | None:
    try:
        return decode_proposal(raw)
    except RecordError:
        return None


def _plan_archive(store: GitStore, policy: Policy, remote: str, plan: _Plan) -> None:
    prefix = policy.refs.archive_prefix
    theirs, ours = _under(store, tracking_ref(remote, prefix)), _under(store, prefix)
    for pid, commit in sorted(theirs.items()):
        if pid not in ours:
            plan.move(prefix + pid, commit, None, f"archive {pid}: added")


def _plan_branches(store: GitStore, policy: Policy, remote: str, plan: _Plan) -> None:
    for branch in policy.protected:
        ref = f"refs/heads/{branch}"
        local, theirs = store.resolve(ref), store.resolve(tracking_ref(remote, ref))
        if theirs is None or local == theirs:
            continue
        if local is None or store.is_ancestor(local, theirs):
            plan.move(ref, theirs, local, f"{branch}: fast-forwarded")
            if local is not None:
                plan.checkouts.append((branch, local, theirs))
        elif not store.is_ancestor(theirs, local):
            plan.warnings.append(f"{branch} has diverged from {remote}'s; left it as it is")


def _under(store: GitStore, prefix: str) -> dict[str, str]:
    """The refs under ``prefix``, keyed by the rest of their name (a proposal id)."""
    return {name[len(prefix) :]: value for name, value in store.list_refs(prefix).items()}


# -- pushing ---------------------------------------------------------------------------------


def push_moves(store: GitStore, remote: str, moves: Sequence[Move]) -> PushResult:
    """Push ``moves`` as one atomic compare-and-swap on the remote."""
    if not moves:
        return PushResult(ok=True)
    args = ["push", "--porcelain", "--atomic", remote]
    args += [f"--force-with-lease={m.ref}:{m.expect or ''}" for m in moves]
    args += [f"{m.new}:{m.ref}" if m.new else f":{m.ref}" for m in moves]
    proc = store.run_git(args, check=False)
    if proc.returncode == 0:
        return PushResult(ok=True)
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    rejected = [reason for flag, _, reason in parse_push_porcelain(out) if flag == "!"]
    stale = bool(rejected) and all(any(s in r for s in _STALE_REASONS) for r in rejected)
    return PushResult(
        ok=False, stale=stale, message=_push_message(rejected, err), hint=_push_hint(err)
    )


def parse_push_porcelain(text: str) -> list[tuple[str, str, str]]:
    """Parse ``git push --porcelain`` output into (flag, ``src:dst``, summary) per ref."""
    rows: list[tuple[str, str, str]] = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and len(parts[0]) == 1:
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def _push_message(rejected: list[str], stderr: str) -> str:
    """What the server said, one line per reason (the hint is kept apart: _push_hint)."""
    said = _remote_lines(stderr)
    ours = [line.removeprefix("gitgate:").strip() for line in said if line.startswith("gitgate:")]
    if ours:
        reasons = [line for line in ours if not line.startswith("hint:")]
        real = [line for line in reasons if _WITH_THE_REST not in line]
        others = len(reasons) - len(real)
        lines = real or reasons
        if real and others:
            lines.append(f"({others} other ref(s) refused with them: the push is all or nothing)")
        return "\n".join(dict.fromkeys(lines))
    if said:
        return "\n".join(dict.fromkeys(said))
    reasons = sorted(set(rejected))
    if reasons:
        return "\n".join(reasons)
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    return "\n".join(lines[:3]) or "git push failed"


_WITH_THE_REST = "with the rest of this push"
_GITLAB_PREFIX = "GL-HOOK-ERR:"


def _remote_lines(stderr: str) -> list[str]:
    """The server's own lines (``remote: ...``), without git's and GitLab's prefixes."""
    lines = []
    for line in stderr.splitlines():
        if not line.startswith("remote:"):
            continue
        text = line.removeprefix("remote:").strip().removeprefix(_GITLAB_PREFIX).strip()
        if text:
            lines.append(text)
    return lines


def _push_hint(stderr: str) -> str:
    """One hint: the first refused ref's when gitgate's hook refused; else the forge's fault."""
    said = _remote_lines(stderr)
    hints = [
        line.removeprefix("gitgate:").strip().removeprefix("hint:").strip()
        for line in said
        if line.startswith("gitgate:") and line.removeprefix("gitgate:").strip().startswith("hint:")
    ]
    first = [h for h in hints if h][:1]  # the first refused ref's hint: the others follow from it
    if any(line.startswith("gitgate:") for line in said):
        return "; ".join([*first, "nothing was changed on the server (the rules: docs/SERVER.md)"])
    return (
        "nothing was changed on the server; it was refused before gitgate's hook judged it: "
        "check the pusher's rights at the forge (the refs each role must be able to push) "
        "and that the server can be reached"
    )


def _refused(remote: str, result: PushResult) -> PushRefused:
    reasons = "\n".join(f"  {line}" for line in result.message.splitlines())
    return PushRefused(f"{remote} refused the push:\n{reasons}", hint=result.hint)


def _gave_up(remote: str) -> ConcurrentUpdate:
    return ConcurrentUpdate(
        f"gave up after {MAX_PUSH_TRIES} tries: others kept updating {remote} first",
        hint="run the command again (it fetches and decides again)",
    )


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))


def _remote_value(store: GitStore, remote: str, ref: str) -> str | None:
    return store.resolve(tracking_ref(remote, ref))


def propose_and_push(
    gate: Gate, make: Callable[[], Proposal], remote: str | None = None
) -> Proposal:
    """Fetch, make a proposal on the current tips, and push it (pending, notes, audit log).

    When another clone pushed first, the fetch merges the notes and appends this clone's
    entries again on top, and the push is tried again (the proposal itself stays). When the
    push fails for good, the proposal is taken back locally too: a proposal the server does
    not have would otherwise ride along with, and spoil, every later push from this clone.

    Raises:
        PushRefused: the server refused the push.
        ConcurrentUpdate: after too many lost races.
    """
    name = resolve_remote(gate, remote)
    fetch(gate, name)
    refs = gate.policy().refs
    store = gate.store
    before = {ref: store.resolve(ref) for ref in (refs.notes, refs.audit)}
    proposal = make()
    before[refs.pending(proposal.id)] = None
    try:
        _push_proposal(gate, name, list(before))
    except GitgateError:
        _undo(gate, before)
        raise
    return proposal


def _push_proposal(gate: Gate, remote: str, watched: list[str]) -> None:
    store = gate.store
    for attempt in range(MAX_PUSH_TRIES):
        moves = [
            Move(ref, store.resolve(ref), _remote_value(store, remote, ref)) for ref in watched
        ]
        result = push_moves(store, remote, [m for m in moves if m.new != m.expect])
        if result.ok:
            return
        if not result.stale:
            raise _refused(remote, result)
        _backoff(attempt)
        fetch(gate, remote)
    raise _gave_up(remote)


def decide_and_push(
    gate: Gate, proposal_id: str, decide: Callable[[str], T], remote: str | None = None
) -> T:
    """Fetch, run one decision (approve or reject) on the remote's tips, push it atomically.

    If another clone moved any of the refs first, the local decision is undone, the new tips
    are fetched and the decision is made again: a decision is only valid on the tips it saw.

    Raises:
        PushRefused: the server refused the push.
        ConcurrentUpdate: after too many lost races.
    """
    name = resolve_remote(gate, remote)
    store = gate.store
    for attempt in range(MAX_PUSH_TRIES):
        fetch(gate, name)
        proposal = gate.get(proposal_id)
        watched = _decision_refs(gate, proposal)
        before = {ref: store.resolve(ref) for ref in watched}
        outcome = decide(proposal.id)
        after = {ref: store.resolve(ref) for ref in watched}
        moves = [
            Move(ref, after[ref], _remote_value(store, name, ref))
            for ref in watched
            if after[ref] != before[ref]
        ]
        result = push_moves(store, name, moves)
        if result.ok:
            return outcome
        _undo(gate, before, proposal.target)
        if not result.stale:
            raise _refused(name, result)
        if _ran_a_command(proposal, outcome):
            # Deciding again would run the command again: that is a person's call, not ours.
            raise ConcurrentUpdate(
                f"{name} moved while {proposal.id}'s command ran here; its result was not "
                "pushed, and the command is not run a second time on its own",
                hint=f"approve {proposal.id} with --push again to run it on the new tips, "
                "or reject it",
            )
        _backoff(attempt)
    raise _gave_up(name)


def _ran_a_command(proposal: Proposal, outcome: object) -> bool:
    decided = getattr(outcome, "proposal", None)
    status = getattr(decided, "status", None)
    return proposal.kind == "command" and status in ("executed", "failed")


def _decision_refs(gate: Gate, proposal: Proposal) -> list[str]:
    refs = gate.policy().refs
    return [
        f"refs/heads/{proposal.target}",
        refs.audit,
        refs.notes,
        refs.pending(proposal.id),
        refs.archive(proposal.id),
    ]


def _undo(gate: Gate, before: dict[str, str | None], target: str | None = None) -> None:
    """Put back refs moved locally by an operation whose push failed (a fetch restores the
    server's state on top of them)."""
    store = gate.store
    now = {ref: store.resolve(ref) for ref in before}
    updates = [RefUpdate(ref, before[ref], now[ref]) for ref in before if before[ref] != now[ref]]
    if updates:
        store.update_refs(
            updates, reason="gitgate: undo what the server did not take", who=_identity(gate)
        )
    ref = f"refs/heads/{target}"
    old, new = now.get(ref), before.get(ref)
    if target and old and new and old != new:
        store.sync_checkout(target, old, new)
