"""The pre-receive hook: judge a whole push against the policy before any ref moves.

git runs pre-receive once per push, with one ``<old> <new> <ref>`` line per updated ref on
stdin, while the pushed objects still sit in a quarantine directory. The hook opens the
repository from git's environment (so it sees them), reads notes and audit entries from the
pushed commits (the refs have not moved yet), and never writes a ref or an object. If any ref
is refused the whole push is refused, which is what git does anyway when the hook fails.

Split like pre-commit's ``hook_impl``: :func:`parse_updates` (pure), :func:`decide` (reads the
store) and :func:`run` (environment and output). Imports stay light: this runs on every push,
so nothing here loads the workflow (bashlex), click or the secret scanner unless it must.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gitgate.audit import LoggedEntry, iter_log
from gitgate.errors import GitgateError
from gitgate.gitstore import EMPTY_TREE, GitStore
from gitgate.ids import is_valid_id
from gitgate.policy import POLICY_PATH, Policy, RefNames, parse_policy, same_identity
from gitgate.records import (
    STATUS_EVENTS,
    AuditEntry,
    Proposal,
    RecordError,
    decode_audit,
    decode_proposal,
)

ZERO_OIDS = frozenset({"0" * 40, "0" * 64})
GITLAB_PREFIX = "GL-HOOK-ERR: "
MAX_PENDING_COMMITS = 20_000  # a pending branch is a proposal, not a history import
MAX_APPROVAL_LOOKBACK = 100_000  # audit entries read back to find an approval pushed earlier
CONFIG_BRANCH = "gitgate.branch"  # as in gitgate.workflow, which the hook must not import


class HookError(GitgateError):
    """The hook's input or installation is not what it should be."""

    code = "hook"


@dataclass(frozen=True, slots=True)
class Update:
    """One line of pre-receive input: ``old``/``new`` are None for a created/deleted ref."""

    old: str | None
    new: str | None
    ref: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The hook's judgement on one ref: allowed, or refused with a reason and a hint."""

    ref: str
    allowed: bool
    reason: str = ""
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Home:
    """The branch that carries the policy, and the policy at its old tip."""

    branch: str
    policy: Policy


class _Refused(Exception):
    """Raised by a rule; turned into a refused :class:`Verdict` for the ref being judged."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


# -- parsing (pure) --------------------------------------------------------------------------


def parse_updates(text: str) -> list[Update]:
    """Parse pre-receive input: one ``<old> <new> <ref>`` line per ref.

    The all-zero id means "does not exist" (a create when old, a delete when new).

    Raises:
        HookError: on a malformed line or a ref named twice.
    """
    updates: list[Update] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(" ")
        if len(parts) != 3 or not all(parts):
            raise HookError(f"malformed pre-receive input on line {number}: {line[:200]!r}")
        old, new, ref = parts
        if not (_is_oid(old) and _is_oid(new)) or not ref.startswith("refs/"):
            raise HookError(f"malformed pre-receive input on line {number}: {line[:200]!r}")
        if ref in seen:
            raise HookError(f"pre-receive input names {ref} twice")
        seen.add(ref)
        updates.append(Update(_none_if_zero(old), _none_if_zero(new), ref))
    return updates


def pusher_from_env(env: Mapping[str, str], names: Sequence[str]) -> str | None:
    """The pusher's identity: the first of ``names`` set (non-blank) in ``env``."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def is_gitlab(env: Mapping[str, str]) -> bool:
    """Tell whether GitLab runs the hook (it shows only lines prefixed ``GL-HOOK-ERR:``)."""
    return bool(env.get("GL_ID") or env.get("GL_USERNAME"))


def format_verdicts(verdicts: Sequence[Verdict], *, gitlab: bool = False) -> list[str]:
    """The stderr lines for a refused push: one per refused ref, each followed by its hint."""
    lines: list[str] = []
    for verdict in verdicts:
        if verdict.allowed:
            continue
        lines.append(f"gitgate: refused {verdict.ref}: {verdict.reason}")
        if verdict.hint:
            lines.append(f"gitgate: hint: {verdict.hint}")
    prefix = GITLAB_PREFIX if gitlab else ""
    return [prefix + line for line in lines]


def _is_oid(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _none_if_zero(oid: str) -> str | None:
    return None if oid in ZERO_OIDS else oid


# -- deciding --------------------------------------------------------------------------------


def load_home(store: GitStore, updates: Sequence[Update] = ()) -> Home | None:
    """Find the policy branch and read ``.gitgate.toml`` at its OLD tip (None: not set up).

    A push cannot change the policy that judges it: a pushed new tip is never read here.

    Raises:
        PolicyError: when the committed policy cannot be parsed (the push is refused).
    """
    old_tips = {u.ref: u.old for u in updates}
    configured = store.config_get(CONFIG_BRANCH)
    candidates = [configured] if configured else [store.head_branch(), "main", "master"]
    for branch in candidates:
        if not branch:
            continue
        ref = f"refs/heads/{branch}"
        tip = old_tips[ref] if ref in old_tips else store.resolve(ref)
        text = store.read_path(tip, POLICY_PATH) if tip else None
        if text is not None:
            return Home(branch, parse_policy(text.decode("utf-8", "replace")))
    return None


def decide(
    store: GitStore, updates: Sequence[Update], pusher: str | None, *, home: Home | None = None
) -> list[Verdict]:
    """Judge every ref update of one push, with the whole push in view.

    Args:
        store: the repository, opened so that quarantined objects are visible.
        updates: the push, as :func:`parse_updates` returns it.
        pusher: the authenticated identity of the pusher, or None when unknown.
        home: the policy branch (read with :func:`load_home` when not given).

    Returns:
        One verdict per update, in order. When any ref is refused, every ref is.
    """
    home = home if home is not None else load_home(store, updates)
    if home is None:
        return [Verdict(u.ref, True) for u in updates]
    push = _Push(store, home, {u.ref: u for u in updates}, pusher)
    by_ref = {u.ref: push.judge(u) for u in push.in_judging_order()}
    return _as_unit([by_ref[u.ref] for u in updates])


def _as_unit(verdicts: list[Verdict]) -> list[Verdict]:
    if all(v.allowed for v in verdicts):
        return verdicts
    return [
        v
        if not v.allowed
        else Verdict(v.ref, False, "refused with the rest of this push (judged as a unit)")
        for v in verdicts
    ]


@dataclass
class _Push:
    """One push under judgement: the old tips, the pushed tips, and what the push adds."""

    store: GitStore
    home: Home
    updates: dict[str, Update]
    pusher: str | None
    entries: list[LoggedEntry] = field(default_factory=list)
    _policies: dict[str, Policy] = field(default_factory=dict)
    _notes: dict[tuple[str | None, str], Proposal | None] = field(default_factory=dict)

    @property
    def refs(self) -> RefNames:
        """Where the policy keeps gitgate's refs."""
        return self.home.policy.refs

    # -- reading the two states ------------------------------------------------------------

    def tip(self, ref: str) -> str | None:
        """The value ``ref`` has before this push (as the push itself expects it)."""
        update = self.updates.get(ref)
        return update.old if update is not None else self.store.resolve(ref)

    def after(self, ref: str) -> str | None:
        """The value ``ref`` will have if this push is accepted."""
        update = self.updates.get(ref)
        return update.new if update is not None else self.store.resolve(ref)

    def policy_for(self, branch: str | None) -> Policy:
        """The policy that governs ``branch``: its own committed policy at the old tip."""
        home = self.home
        if not branch or branch == home.branch or not home.policy.is_protected(branch):
            return home.policy
        if branch not in self._policies:
            tip = self.tip(f"refs/heads/{branch}")
            text = self.store.read_path(tip, POLICY_PATH) if tip else None
            self._policies[branch] = (
                parse_policy(text.decode("utf-8", "replace")) if text else home.policy
            )
        return self._policies[branch]

    def note(self, commit: str | None, *, before: bool = False) -> Proposal | None:
        """The proposal note on ``commit`` after this push (or before it)."""
        if not commit:
            return None
        notes_tip = (self.tip if before else self.after)(self.refs.notes)
        key = (notes_tip, commit)
        if key not in self._notes:
            self._notes[key] = _decode_note(self.store.read_note(notes_tip, commit), commit)
        return self._notes[key]

    def pushed_events(self, proposal_id: str) -> list[AuditEntry]:
        """The audit entries this push adds about one proposal, oldest first."""
        return [e.entry for e in self.entries if e.entry.proposal == proposal_id]

    def last_status(self, proposal_id: str) -> str | None:
        """The status the entries of this push leave a proposal in (None: unchanged)."""
        status = None
        for entry in self.pushed_events(proposal_id):
            status = STATUS_EVENTS.get(entry.event, status)
        return status

    # -- dispatch --------------------------------------------------------------------------

    def in_judging_order(self) -> list[Update]:
        """The audit log first (its new entries inform the other rules), then the rest."""
        return sorted(self.updates.values(), key=lambda u: u.ref != self.refs.audit)

    def judge(self, update: Update) -> Verdict:
        """Apply the rule for one ref."""
        try:
            self._dispatch(update)
        except _Refused as refused:
            return Verdict(update.ref, False, refused.reason, refused.hint)
        except RecordError as err:
            return Verdict(update.ref, False, f"unreadable gitgate record: {err}")
        return Verdict(update.ref, True)

    def _dispatch(self, update: Update) -> None:
        kind = ref_kind(self.home.policy, update.ref)
        if kind == "other":
            self._judge_other(update)
            return
        if self.pusher is None:
            raise _Refused(
                "the pusher's identity is unknown, so gitgate refs cannot be checked",
                "the server must authenticate pushes and pass the user in one of: "
                + ", ".join(self.home.policy.hook.identity_env),
            )
        judges = {
            "protected": self._judge_protected,
            "audit": self._judge_audit,
            "notes": self._judge_notes,
            "pending": self._judge_pending,
            "archive": self._judge_archive,
        }
        judges[kind](update)

    def _judge_other(self, update: Update) -> None:
        if self.home.policy.hook.other_refs == "deny":
            raise _Refused(
                "the policy allows pushes only to gitgate's refs and protected branches",
                'other_refs = "deny" in [hook] of .gitgate.toml',
            )

    # -- the audit log ---------------------------------------------------------------------

    def _judge_audit(self, update: Update) -> None:
        if update.new is None:
            raise _Refused("the audit log is never deleted", "it is append-only")
        if update.old is not None and not self.store.is_ancestor(update.old, update.new):
            raise _Refused(
                "the audit log only fast-forwards (this push rewrites it)",
                "fetch (gitgate fetch) and append your entries on top of the server's log",
            )
        entries = self._new_entries(update.old, update.new)
        prev_seq = _seq_at(self.store, update.old)
        for logged in entries:
            prev_seq += 1
            self._check_entry(logged.entry, prev_seq, creating=update.old is None)
        self.entries = entries  # only well-formed entries inform the other rules
        for proposal_id in {e.entry.proposal for e in self.entries if e.entry.proposal}:
            self._check_entries_match_note(proposal_id)

    def _new_entries(self, old: str | None, new: str) -> list[LoggedEntry]:
        """The entries from ``old`` (exclusive) to ``new``: one linear chain of entries."""
        limit = sum(1 for _ in self.store.walk(new, hide=[old] if old else []))
        chain: list[LoggedEntry] = []
        current: str | None = new
        while current != old:
            assert current is not None
            info = self.store.commit(current)
            if len(chain) >= limit or len(info.parents) > 1 or info.tree != EMPTY_TREE:
                raise _Refused(
                    f"audit entry {current[:12]} is not a plain link of the chain "
                    "(one parent, empty tree)",
                    "append entries with gitgate; never edit refs/gitgate/audit by hand",
                )
            try:
                entry = decode_audit(info.message)
            except RecordError as err:
                raise _Refused(f"audit entry {current[:12]} is malformed: {err}") from err
            chain.append(LoggedEntry(current, entry))
            current = info.parents[0] if info.parents else None
        chain.reverse()
        return chain

    def _check_entry(self, entry: AuditEntry, seq: int, *, creating: bool) -> None:
        where = f"audit entry #{entry.seq} ({entry.event})"
        if entry.seq != seq:
            raise _Refused(f"{where} breaks the sequence (expected #{seq})", _FETCH_HINT)
        if not same_identity(entry.actor, self.pusher or ""):
            raise _Refused(
                f"{where} names {entry.actor} as its actor, but {self.pusher} is pushing",
                "every pushed audit entry must be written by the pusher",
            )
        if entry.event in ("init", "policy") and not creating:
            raise _Refused(
                f"{where}: the policy is changed by an approved proposal, not by a new log",
                "propose the change to .gitgate.toml with gitgate",
            )
        if entry.event in ("approved", "executed", "failed"):
            self._check_decider(entry, approver_only=True)
        elif entry.event == "rejected":
            self._check_decider(entry, approver_only=False)
        if entry.event == "executed":
            self._check_executed_landed(entry)

    def _check_decider(self, entry: AuditEntry, *, approver_only: bool) -> None:
        where = f"audit entry #{entry.seq} ({entry.event})"
        note = self.note(entry.commits.get("proposal"))
        if note is None or note.id != entry.proposal:
            raise _Refused(f"{where} names no proposal commit with a gitgate note")
        policy = self.policy_for(note.target)
        pusher = self.pusher or ""
        is_requester = same_identity(pusher, note.requester)
        if approver_only and is_requester:
            raise _Refused(
                f"{where}: {pusher} requested {note.id} and cannot approve it",
                "another approver must review it",
            )
        if not (policy.is_approver(pusher) or (is_requester and not approver_only)):
            raise _Refused(
                f"{where}: {pusher} is not an approver of {note.target}",
                "approvers: " + (", ".join(policy.approvers) or "(none in the policy)"),
            )

    def _check_executed_landed(self, entry: AuditEntry) -> None:
        merge = entry.commits.get("merge", "")
        target = entry.commits.get("target", "")
        tip = self.after(f"refs/heads/{target}")
        if not merge or tip is None or not self.store.is_ancestor(merge, tip):
            raise _Refused(
                f"audit entry #{entry.seq} records a merge that is not on {target!r}",
                "push the target branch together with the entries (gitgate approve --push)",
            )

    def _check_entries_match_note(self, proposal_id: str) -> None:
        status = self.last_status(proposal_id)
        if status is None:
            return
        last = [e for e in self.pushed_events(proposal_id) if e.event in STATUS_EVENTS][-1]
        note = self.note(last.commits.get("proposal"))
        if note is None or note.id != proposal_id or note.status != status:
            found = note.status if note is not None and note.id == proposal_id else "no note"
            raise _Refused(
                f"the audit log says {proposal_id} is {status}, its note says {found}",
                "push the notes ref together with the audit log",
            )

    # -- the notes -------------------------------------------------------------------------

    def _judge_notes(self, update: Update) -> None:
        if update.new is None:
            raise _Refused("the notes ref is never deleted", "proposal notes are permanent")
        if update.old is not None and not self.store.is_ancestor(update.old, update.new):
            raise _Refused(
                "the notes ref only fast-forwards (this push rewrites it)",
                "fetch (gitgate fetch merges notes) and push again",
            )
        for annotated, old_raw, new_raw in self.store.diff_notes(update.old, update.new):
            if new_raw is None:
                raise _Refused(f"the note on {annotated[:12]} is removed", "notes are permanent")
            new = _decode_note(new_raw, annotated)
            if new is None:
                raise _Refused(f"the note on {annotated[:12]} is not a valid gitgate proposal")
            old = _decode_note(old_raw, annotated) if old_raw is not None else None
            self._check_note_change(old, new)

    def _check_note_change(self, old: Proposal | None, new: Proposal) -> None:
        status = self.last_status(new.id)
        if old is None:
            proposed = [e for e in self.pushed_events(new.id) if e.event == "proposed"]
            if not proposed or proposed[0].commits.get("proposal") != new.commit:
                raise _Refused(
                    f"the new note of {new.id} comes without its `proposed` audit entry",
                    "propose with gitgate and push the audit log too (propose --push)",
                )
            if not same_identity(new.requester, proposed[0].actor):
                raise _Refused(f"the note of {new.id} names a requester other than the pusher")
        elif _identity_fields(old) != _identity_fields(new):
            raise _Refused(f"the note of {new.id} changes who or what was proposed")
        if status is None:
            raise _Refused(
                f"the note of {new.id} changes without an audit entry recording it",
                "a proposal's status changes only through gitgate approve / reject",
            )
        if new.status != status:
            raise _Refused(
                f"the note of {new.id} says {new.status}, this push's audit entries say {status}"
            )

    # -- protected branches ----------------------------------------------------------------

    def _judge_protected(self, update: Update) -> None:
        branch = update.ref.removeprefix("refs/heads/")
        if update.new is None:
            raise _Refused(f"{branch} is protected and is never deleted")
        if update.old is None:
            self._judge_new_protected(branch, update.new)
            return
        if not self.store.is_ancestor(update.old, update.new):
            raise _Refused(f"{branch} is protected: it only fast-forwards", _PROPOSE_HINT)
        for commit in self._first_parent_chain(update.old, update.new, branch):
            self._check_landing(branch, commit)

    def _judge_new_protected(self, branch: str, new: str) -> None:
        for other in self.home.policy.protected:
            tip = self.tip(f"refs/heads/{other}")
            if tip is not None and self.store.is_ancestor(new, tip):
                return
        raise _Refused(
            f"{branch} is protected and may only be created at a commit already protected",
            _PROPOSE_HINT,
        )

    def _first_parent_chain(self, old: str, new: str, branch: str) -> list[str]:
        limit = sum(1 for _ in self.store.walk(new, hide=[old]))
        chain: list[str] = []
        current = new
        while current != old:
            parents = self.store.commit(current).parents
            if len(chain) >= limit or not parents:
                raise _Refused(
                    f"the old tip of {branch} is not on the first-parent line of the new one",
                    _PROPOSE_HINT,
                )
            chain.append(current)
            current = parents[0]
        return chain

    def _check_landing(self, branch: str, commit: str) -> None:
        """``commit`` must be a gitgate merge (or a proposal commit) approved by the pusher."""
        info = self.store.commit(commit)
        merged = info.parents[1] if len(info.parents) == 2 else commit
        note = self.note(merged) if len(info.parents) in (1, 2) else None
        if note is None:
            raise _Refused(
                f"commit {commit[:12]} on {branch} is not an approved gitgate merge",
                _PROPOSE_HINT,
            )
        if merged != commit and not _has_trailers(info.message, note):
            raise _Refused(f"merge {commit[:12]} lacks the trailers naming {note.id}")
        proposal = self.store.commit(note.commit)
        if note.target != branch or proposal.parents != (note.base,):
            raise _Refused(
                f"{commit[:12]} merges {note.id}, which targets {note.target} from another base"
            )
        if not self.store.is_ancestor(note.base, info.parents[0]):
            raise _Refused(f"the base of {note.id} is not in the history of {branch}")
        self._check_approval(branch, note)
        if merged != commit and note.kind != "command":
            self._check_merge_tree(info.tree, info.parents[0], note)

    def _check_approval(self, branch: str, note: Proposal) -> None:
        approval = self._find_approval(note)
        pusher = self.pusher or ""
        if approval is None:
            raise _Refused(
                f"{note.id} has no approval of commit {note.commit[:12]} in the audit log",
                "an approver must run `gitgate approve " + note.id + " --push`",
            )
        if not same_identity(approval.actor, pusher):
            raise _Refused(
                f"{note.id} was approved by {approval.actor}; only they can push its merge",
                "the approver pushes their own approval (gitgate approve --push)",
            )
        policy = self.policy_for(branch)
        if not policy.is_approver(pusher):
            raise _Refused(
                f"{pusher} is not an approver of {branch}",
                "approvers: " + (", ".join(policy.approvers) or "(none in the policy)"),
            )
        if same_identity(pusher, note.requester):
            raise _Refused(f"{pusher} requested {note.id} and cannot approve it")

    def _find_approval(self, note: Proposal) -> AuditEntry | None:
        for logged in reversed(self.entries):
            if _approves(logged.entry, note):
                return logged.entry
        # Pushed earlier: look back through the log, no further than the proposal itself.
        try:
            for count, logged in enumerate(iter_log(self.store, self.tip(self.refs.audit))):
                entry = logged.entry
                if _approves(entry, note):
                    return entry
                if count >= MAX_APPROVAL_LOOKBACK or (
                    entry.proposal == note.id and entry.event == "proposed"
                ):
                    return None
        except RecordError:
            return None
        return None

    def _check_merge_tree(self, tree: str, first_parent: str, note: Proposal) -> None:
        """The merge may only bring what the approved commit changes, nothing else.

        Checked from trees alone (the hook writes no objects, so no ``git merge-tree``): every
        path the merge changes must be one the proposal changes, and where the target did not
        touch that path since the base, the merge must hold exactly the proposal's version.
        """
        store = self.store
        base_tree = store.commit(note.base).tree
        proposal_tree = store.commit(note.commit).tree
        target_tree = store.commit(first_parent).tree
        if first_parent == note.base:
            if tree != proposal_tree:
                raise _Refused(f"the merge of {note.id} is not the approved tree", _PROPOSE_HINT)
            return
        proposed = set(store.changed_paths(base_tree, proposal_tree))
        for path in store.changed_paths(target_tree, tree):
            target_untouched = store.tree_entry(base_tree, path) == store.tree_entry(
                target_tree, path
            )
            if path not in proposed or (
                target_untouched
                and store.tree_entry(tree, path) != store.tree_entry(proposal_tree, path)
            ):
                raise _Refused(
                    f"the merge of {note.id} changes {path!r} beyond the approved commit",
                    _PROPOSE_HINT,
                )

    # -- pending branches ------------------------------------------------------------------

    def _judge_pending(self, update: Update) -> None:
        proposal_id = update.ref.removeprefix(self.refs.pending_prefix)
        if not is_valid_id(proposal_id):
            raise _Refused(
                f"{proposal_id!r} is not a gitgate proposal id",
                "pending branches are created by `gitgate propose --push`",
            )
        if update.old is not None:
            self._check_pending_owner(proposal_id, update.old)
        if update.new is not None:
            self._scan_pending(proposal_id, update.old, update.new)

    def _check_pending_owner(self, proposal_id: str, old: str) -> None:
        note = self.note(old) or self.note(old, before=True)
        requesters = [note.requester] if note is not None and note.id == proposal_id else []
        requesters += [e.actor for e in self.pushed_events(proposal_id) if e.event == "proposed"]
        pusher = self.pusher or ""
        target = note.target if note is not None else None
        if self.policy_for(target).is_approver(pusher) or any(
            same_identity(pusher, r) for r in requesters
        ):
            return
        raise _Refused(
            f"only the requester of {proposal_id} or an approver may move or delete it",
            "propose your own change instead (gitgate propose --push)",
        )

    def _scan_pending(self, proposal_id: str, old: str | None, new: str) -> None:
        note = self.note(new)
        if note is not None and note.id != proposal_id:
            raise _Refused(f"the pending branch of {proposal_id} holds the commit of {note.id}")
        target = note.target if note is not None else self.home.policy.default_target
        target_tip = self.tip(f"refs/heads/{target}")
        if target_tip is None:
            raise _Refused(f"the target branch {target!r} does not exist on the server")
        hide = [target_tip] + ([old] if old else [])
        commits = list(self.store.walk(new, hide=hide))
        if len(commits) > MAX_PENDING_COMMITS:
            raise _Refused(f"the pending branch brings more than {MAX_PENDING_COMMITS} commits")
        allowed = self._allowed_secrets(proposal_id)
        scan = _PendingScan(self.store, self.policy_for(target), set(commits), hide, allowed)
        for commit in commits:
            scan.check(commit, target)

    def _allowed_secrets(self, proposal_id: str) -> frozenset[str]:
        """Secrets its requester allowed on purpose (``propose --allow-secret``, audited)."""
        allowed: set[str] = set()
        for entry in self.pushed_events(proposal_id):
            listed = entry.details.get("allowed_secrets") if entry.event == "proposed" else None
            if isinstance(listed, list):
                allowed.update(str(item) for item in listed)
        return frozenset(allowed)

    # -- archive refs ----------------------------------------------------------------------

    def _judge_archive(self, update: Update) -> None:
        proposal_id = update.ref.removeprefix(self.refs.archive_prefix)
        if update.old is not None:
            raise _Refused("archive refs are never moved or deleted", "they keep decisions")
        note = self.note(update.new)
        if note is None or note.id != proposal_id or note.status not in ("rejected", "failed"):
            raise _Refused(
                f"an archive ref may only keep the commit of a rejected or failed {proposal_id}",
                "archive refs are written by gitgate reject / a failed approve",
            )


def ref_kind(policy: Policy, ref: str) -> str:
    """``protected``, ``audit``, ``notes``, ``pending``, ``archive`` or ``other``."""
    refs = policy.refs
    if ref.startswith("refs/heads/") and policy.is_protected(ref[len("refs/heads/") :]):
        return "protected"
    if ref == refs.audit:
        return "audit"
    if ref == refs.notes:
        return "notes"
    if ref.startswith(refs.pending_prefix):
        return "pending"
    if ref.startswith(refs.archive_prefix):
        return "archive"
    return "other"


@dataclass
class _PendingScan:
    """Push protection for the commits of a pending branch: paths, secrets, where it sits."""

    store: GitStore
    policy: Policy
    new_commits: set[str]
    on_history: list[str]  # tips whose history a parent may come from
    allowed_secrets: frozenset[str]

    def check(self, commit: str, target: str) -> None:
        """Refuse ``commit`` if it grows from outside ``target`` or adds unsafe content."""
        from gitgate.changes import check_edits  # loads the secret scanner: only when needed

        info = self.store.commit(commit)
        if not info.parents:
            raise _Refused(
                f"commit {commit[:12]} has no parent: a pending branch grows from {target}",
                "propose against the current target (gitgate fetch, then propose)",
            )
        for parent in info.parents:
            if parent not in self.new_commits and not any(
                self.store.is_ancestor(parent, tip) for tip in self.on_history
            ):
                raise _Refused(
                    f"commit {commit[:12]} does not sit on the history of {target}",
                    "propose against the current target (gitgate fetch, then propose)",
                )
        base_tree = self.store.commit(info.parents[0]).tree
        paths = self.store.changed_paths(base_tree, info.tree)
        edits = {path: self.store.tree_entry(info.tree, path) for path in paths}
        try:
            hits = check_edits(self.store, base_tree, edits, self.policy, allow_secret=True)
        except GitgateError as err:
            raise _Refused(f"commit {commit[:12]}: {err.message}", err.hint or "") from err
        refused = [h.describe() for h in hits if h.describe() not in self.allowed_secrets]
        if refused:
            raise _Refused(
                f"commit {commit[:12]} adds what looks like a secret: " + "; ".join(refused[:5]),
                "remove it; a false alarm is proposed with --allow-secret (audited)",
            )


_PROPOSE_HINT = (
    "propose the change (gitgate propose ... --push) and have an approver run "
    "`gitgate approve ID --push`"
)
_FETCH_HINT = "run `gitgate fetch`, then push again"


def _decode_note(raw: bytes | None, commit: str) -> Proposal | None:
    if raw is None:
        return None
    try:
        proposal = decode_proposal(raw)
    except RecordError:
        return None
    return proposal if proposal.commit == commit else None


def _identity_fields(p: Proposal) -> tuple[str, ...]:
    return (p.id, p.kind, p.target, p.base, p.commit, p.requester, p.created_at)


def _approves(entry: AuditEntry, note: Proposal) -> bool:
    return (
        entry.event == "approved"
        and entry.proposal == note.id
        and entry.commits.get("proposal") == note.commit
    )


def _has_trailers(message: str, note: Proposal) -> bool:
    lines = set(message.splitlines())
    return {f"Gitgate-Proposal: {note.id}", f"Gitgate-Commit: {note.commit}"} <= lines


def _seq_at(store: GitStore, tip: str | None) -> int:
    if tip is None:
        return 0
    try:
        return decode_audit(store.commit(tip).message).seq
    except RecordError as err:
        raise _Refused(f"the server's audit log tip is malformed: {err}") from err


# -- running ---------------------------------------------------------------------------------


def run(
    text: str, env: Mapping[str, str], *, path: str | os.PathLike[str] = "."
) -> tuple[int, list[str]]:
    """Judge one push: the exit status for git and the lines to show the pusher.

    Fails closed: any error while judging refuses the push.
    """
    prefix = GITLAB_PREFIX if is_gitlab(env) else ""
    try:
        updates = parse_updates(text)
        if not updates:
            return 0, []
        store = GitStore.open_from_env(path)
        home = load_home(store, updates)
        if home is None:
            note = "gitgate: no .gitgate.toml on the server yet; push accepted unchecked"
            return 0, [prefix + note]
        pusher = pusher_from_env(env, home.policy.hook.identity_env)
        verdicts = decide(store, updates, pusher, home=home)
    except GitgateError as err:
        lines = [f"gitgate: push refused: {err.message}"]
        lines += [f"gitgate: hint: {err.hint}"] if err.hint else []
        return 1, [prefix + line for line in lines]
    except Exception as err:  # noqa: BLE001 - fail closed, whatever went wrong
        return 1, [prefix + f"gitgate: push refused: internal error: {type(err).__name__}: {err}"]
    refused = not all(v.allowed for v in verdicts)
    return (1 if refused else 0), format_verdicts(verdicts, gitlab=bool(prefix))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m gitgate hook pre-receive``: stdin in, stderr out."""
    del argv  # pre-receive takes no arguments
    code, lines = run(sys.stdin.read(), os.environ)
    for line in lines:
        print(line, file=sys.stderr)
    return code
