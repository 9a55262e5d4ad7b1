"""The pre-receive hook: a reference monitor that judges a whole push before any ref moves.

git runs pre-receive once per push, with one ``<old> <new> <ref>`` line per updated ref on
stdin, while the pushed objects still sit in a quarantine directory. The hook opens the
repository from git's environment (so it sees them), reads notes and audit entries from the
pushed commits (the refs have not moved yet), and never writes a ref or an object. If any ref
is refused the whole push is refused, which is what git does anyway when the hook fails.

Deny by default: the policy is read only from the branch the server's git config pins
(``gitgate.branch``, written by ``gitgate hook install``), at its OLD tip; without it every
ref is refused. Every ref passes one decision (:meth:`_Push.judge`): a strict name check,
the names that shadow gitgate's refs, then the rule of its kind; a ref of no kind is refused
unless the policy allows it by name.

Split like pre-commit's ``hook_impl``: :func:`parse_updates` (pure), :func:`decide` (reads the
store; the pure rules are in :mod:`gitgate.server.hookrules`) and :func:`run` (environment and
output). Imports stay light: this runs on every push, so nothing here loads the workflow
(bashlex), click or the secret scanner unless what was pushed needs it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gitgate import clock
from gitgate.errors import GitgateError, environment_fault
from gitgate.homepolicy import CONFIG_BRANCH
from gitgate.ids import is_valid_id
from gitgate.journal.audit import LoggedEntry, iter_log
from gitgate.journal.records import (
    KINDS,
    STATUS_EVENTS,
    STATUSES,
    AuditEntry,
    Proposal,
    RecordError,
    decode_audit,
    decode_proposal,
)
from gitgate.policy import (
    POLICY_PATH,
    Policy,
    RefNames,
    check_policy_change,
    identity_problem,
    parse_policy,
    policy_from_data,
)
from gitgate.server.hookrules import (
    MAX_COMMIT_MESSAGE,
    MAX_NOTE_BYTES,
    entry_problem,
    is_fanout_name,
    is_note_name,
    iter_strings,
    parse_time,
    ref_name_problem,
    shadow_problem,
    time_problem,
)
from gitgate.store.gitobjects import EMPTY_TREE, MODE_BLOB, MODE_TREE

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import NoReturn

    from gitgate.store.gitobjects import RepoReader

ZERO_OIDS = frozenset({"0" * 40, "0" * 64})
GITLAB_PREFIX = "GL-HOOK-ERR: "
_SHORT_LINE = 64  # first-parent steps taken before a line's length is bounded by a walk
MAX_PENDING_COMMITS = 20_000  # a pending branch is a proposal, not a history import
MAX_NOTES_COMMITS = 10_000  # notes commits one push may bring
MAX_APPROVAL_LOOKBACK = 100_000  # audit entries read back to find an approval pushed earlier

WITH_THE_REST = "refused with the rest of this push (judged as a unit)"


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
    policy_text: bytes = b""


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
    """The pusher's identity: the first of ``names`` set (non-empty) in ``env``, unaltered.

    Nothing is trimmed or folded: an identity with surrounding whitespace is a different
    account to the forge, and :func:`decide` refuses it (see ``policy.identity_problem``).
    """
    for name in names:
        value = env.get(name, "")
        if value:
            return value
    return None


def is_gitlab(env: Mapping[str, str]) -> bool:
    """Tell whether GitLab runs the hook (it shows only lines prefixed ``GL-HOOK-ERR:``)."""
    return bool(env.get("GL_ID") or env.get("GL_USERNAME"))


def format_verdicts(verdicts: Sequence[Verdict], *, gitlab: bool = False) -> list[str]:
    """The stderr lines for a refused push: one per refused ref, then its hint.

    A hint is printed once, after the first ref it applies to.
    """
    lines: list[str] = []
    hints: set[str] = set()
    for verdict in verdicts:
        if verdict.allowed:
            continue
        lines.append(f"gitgate: refused {verdict.ref}: {verdict.reason}")
        if verdict.hint and verdict.hint not in hints:
            hints.add(verdict.hint)
            lines.append(f"gitgate: hint: {verdict.hint}")
    prefix = GITLAB_PREFIX if gitlab else ""
    return [prefix + line for line in lines]


def _is_oid(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _none_if_zero(oid: str) -> str | None:
    return None if oid in ZERO_OIDS else oid


# -- where the policy comes from -------------------------------------------------------------

_INSTALL_HINT = (
    "the server's admin pins the policy branch: `gitgate hook install --branch BRANCH` "
    "in the server's repository"
)


def _restore_hint(branch: str) -> str:
    return (
        f"the server's admin restores a valid {POLICY_PATH} on {branch} (or re-pins the "
        "branch with `gitgate hook install --branch BRANCH`)"
    )


def load_home(store: RepoReader, updates: Sequence[Update] = ()) -> Home:
    """Read ``.gitgate.toml`` at the OLD tip of the pinned branch (``gitgate.branch``).

    Nothing else is ever consulted (no HEAD, no main/master guessing), and a pushed new tip
    is never read: a push cannot choose or change the policy that judges it.

    Raises:
        HookError: when the branch is not pinned, or its policy is missing or invalid; the
            hint names the admin's fix.
    """
    branch = store.config_get(CONFIG_BRANCH)
    if not branch:
        raise HookError(f"the server has no policy branch ({CONFIG_BRANCH})", hint=_INSTALL_HINT)
    ref = f"refs/heads/{branch}"
    old_tips = {u.ref: u.old for u in updates}
    tip = old_tips[ref] if ref in old_tips else store.resolve(ref)
    text = store.read_path(tip, POLICY_PATH) if tip else None
    if text is None:
        raise HookError(f"there is no {POLICY_PATH} on {branch}", hint=_restore_hint(branch))
    try:
        policy = _parse_cached(store, text.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise HookError(
            f"{POLICY_PATH} on {branch} is not UTF-8", hint=_restore_hint(branch)
        ) from err
    except GitgateError as err:
        message = f"the policy on {branch} is invalid: {err.message}"
        raise HookError(message, hint=_restore_hint(branch)) from err
    if not policy.is_protected(branch):
        raise HookError(
            f"the policy on {branch} does not protect {branch}", hint=_restore_hint(branch)
        )
    return Home(branch, policy, text)


def _parse_cached(store: RepoReader, text: str) -> Policy:
    """``parse_policy(text)``, its TOML parse kept in the server's git directory (the same
    validation runs on every push): see :mod:`gitgate.server.policycache`."""
    from gitgate.server.policycache import policy_data

    return policy_from_data(policy_data(store.git_dir, text))


def judge_push(
    store: RepoReader,
    updates: Sequence[Update],
    env: Mapping[str, str],
    *,
    now: datetime | None = None,
) -> list[Verdict]:
    """Judge one push as the hook does: find the policy, the pusher, then every ref."""
    branch = store.config_get(CONFIG_BRANCH)
    # The emptiness scan lists every ref: only when the policy branch is missing anyway.
    if branch and store.resolve(f"refs/heads/{branch}") is None and _is_empty(store):
        return _Bootstrap(store, branch, updates, env, now or clock.now()).judge()
    try:
        home = load_home(store, updates)
    except HookError as err:
        return [Verdict(u.ref, False, err.message, err.hint or "") for u in updates]
    pusher = pusher_from_env(env, home.policy.hook.identity_env)
    return decide(store, updates, pusher, home=home, now=now)


def _is_empty(store: RepoReader) -> bool:
    return not store.list_refs("refs/")


# -- deciding --------------------------------------------------------------------------------


def decide(
    store: RepoReader,
    updates: Sequence[Update],
    pusher: str | None,
    *,
    home: Home | None = None,
    now: datetime | None = None,
) -> list[Verdict]:
    """Judge every ref update of one push, with the whole push in view.

    Args:
        store: the repository, opened so that quarantined objects are visible.
        updates: the push, as :func:`parse_updates` returns it.
        pusher: the authenticated identity of the pusher, or None when unknown.
        home: the pinned policy (read with :func:`load_home` when not given).
        now: the server's time (default: :func:`gitgate.clock.now`).

    Returns:
        One verdict per update, in order. When any ref is refused, every ref is.

    Raises:
        HookError: when ``home`` is not given and the policy cannot be read.
    """
    home = home if home is not None else load_home(store, updates)
    if pusher is not None:
        problem = identity_problem(pusher)
        if problem is not None:
            reason = f"the pusher's identity {pusher[:80]!r} is refused: {problem}"
            hint = "identities are taken exactly as the forge supplies them; fix the account"
            return [Verdict(u.ref, False, reason, hint) for u in updates]
    push = _Push(store, home, {u.ref: u for u in updates}, pusher, now or clock.now())
    by_ref = {u.ref: push.judge(u) for u in push.in_judging_order()}
    if all(v.allowed for v in by_ref.values()):
        by_ref.update(_judge_journal(store, home, updates, push.entries))
    return _as_unit([by_ref[u.ref] for u in updates])


def _judge_journal(
    store: RepoReader, home: Home, updates: Sequence[Update], entries: Sequence[LoggedEntry]
) -> dict[str, Verdict]:
    """The reference monitor's core: replay the pushed entries on the old state; every
    governed ref change and note must be exactly what they imply (gitgate.journal.admit)."""
    from gitgate.journal.admit import PushView, judge

    view = PushView(
        names=home.policy.refs,
        protected=home.policy.protected,
        updates={u.ref: (u.old, u.new) for u in updates},
        entries=[logged.entry for logged in entries],
    )
    verdicts: dict[str, Verdict] = {}
    known = {u.ref for u in updates}
    for refusal in judge(store, view):
        ref = refusal.ref if refusal.ref in known else home.policy.refs.audit
        if ref not in known:
            ref = updates[0].ref
        if ref not in verdicts:
            verdicts[ref] = Verdict(ref, False, refusal.reason, refusal.hint)
    return verdicts


def _as_unit(verdicts: list[Verdict]) -> list[Verdict]:
    if all(v.allowed for v in verdicts):
        return verdicts
    return [v if not v.allowed else Verdict(v.ref, False, WITH_THE_REST) for v in verdicts]


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


def ref_refusal(policy: Policy, ref: str) -> tuple[str, str] | None:
    """Why ``ref`` is refused by name alone, and a hint (None: judge what the push does)."""
    problem = ref_name_problem(ref) or shadow_problem(policy, ref)
    if problem is not None:
        return problem, _NAME_HINT
    if ref_kind(policy, ref) == "other" and not policy.hook.allows_ref(ref):
        return "the policy allows no pushes to this ref (deny by default)", _OTHER_REFS_HINT
    return None


_NAME_HINT = (
    "refused whatever the policy says: such names would hide, shadow or block gitgate's refs "
    "and protected branches"
)
_OTHER_REFS_HINT = (
    "only gitgate's refs and protected branches are pushed here; an admin may allow more "
    'by name: [hook] allow_refs = ["refs/heads/feature/*"] in .gitgate.toml'
)


@dataclass
class _Push:
    """One push under judgement: the old tips, the pushed tips, and what the push adds."""

    store: RepoReader
    home: Home
    updates: dict[str, Update]
    pusher: str | None
    now: datetime
    entries: list[LoggedEntry] = field(default_factory=list)
    _policies: dict[str, Policy] = field(default_factory=dict)
    _notes: dict[tuple[str | None, str], Proposal | None] = field(default_factory=dict)

    @property
    def refs(self) -> RefNames:
        """Where the policy keeps gitgate's refs."""
        return self.home.policy.refs

    def same(self, a: str, b: str) -> bool:
        """Compare identities as the pinned policy says the forge does."""
        return self.home.policy.same_identity(a, b)

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
                _parse_cached(self.store, text.decode("utf-8", "replace")) if text else home.policy
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
        """Apply the rule for one ref: every ref update passes through here."""
        try:
            self._dispatch(update)
        except _Refused as refused:
            return Verdict(update.ref, False, refused.reason, refused.hint)
        except RecordError as err:
            return Verdict(update.ref, False, f"unreadable gitgate record: {err}")
        except GitgateError as err:
            return Verdict(update.ref, False, err.message, err.hint or "")
        return Verdict(update.ref, True)

    def _dispatch(self, update: Update) -> None:
        refusal = ref_refusal(self.home.policy, update.ref)
        if refusal is not None:
            raise _Refused(*refusal)
        kind = ref_kind(self.home.policy, update.ref)
        if kind == "other":
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

    # -- the audit log ---------------------------------------------------------------------

    def _judge_audit(self, update: Update) -> None:
        if update.new is None:
            raise _Refused("the audit log is never deleted", "it is append-only")
        if update.old is None and not self.home.policy.is_approver(self.pusher or ""):
            raise _Refused(
                "the audit log is started at set-up, not by a push",
                "fetch the server's log (gitgate fetch) and append to it",
            )
        if update.old is not None and not self.store.is_ancestor(update.old, update.new):
            raise _Refused(
                "the audit log only fast-forwards (this push rewrites it)",
                "fetch (gitgate fetch) and append your entries on top of the server's log",
            )
        entries = _new_entries(self.store, update.old, update.new)
        prev_seq, prev_time = _seq_and_time_at(self.store, update.old)
        for logged in entries:
            prev_seq += 1
            self._check_entry(logged, prev_seq, prev_time, creating=update.old is None)
            prev_time = logged.entry.time
        self.entries = entries  # only well-formed entries inform the other rules
        for proposal_id in {e.entry.proposal for e in self.entries if e.entry.proposal}:
            self._check_entries_match_note(proposal_id)

    def _check_entry(
        self, logged: LoggedEntry, seq: int, prev_time: str | None, *, creating: bool
    ) -> None:
        entry = logged.entry
        where = f"audit entry #{entry.seq} ({entry.event})"
        if entry.seq != seq:
            raise _Refused(f"{where} breaks the sequence (expected #{seq})", _FETCH_HINT)
        _check_entry_form(self.store, logged, self.home.policy, prev_time, self.now)
        _refuse_secrets({where: iter_strings(entry.details)}, "gitgate writes entries redacted")
        if not self.same(entry.actor, self.pusher or ""):
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
        elif entry.event == "exported":
            self._check_exported(entry)
        elif entry.event in ("command.auto", "command.denied"):
            self._check_command_claim(entry)
        if entry.event == "executed":
            self._check_executed_landed(entry)

    def _check_decider(self, entry: AuditEntry, *, approver_only: bool) -> None:
        where = f"audit entry #{entry.seq} ({entry.event})"
        note = self.note(entry.commits.get("proposal"))
        if note is None or note.id != entry.proposal:
            raise _Refused(f"{where} names no proposal commit with a gitgate note")
        policy = self.policy_for(note.target)
        pusher = self.pusher or ""
        is_requester = self.same(pusher, note.requester)
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

    def _check_exported(self, entry: AuditEntry) -> None:
        note = self.note(entry.commits.get("proposal"))
        if note is None or note.id != entry.proposal:
            raise _Refused(
                f"audit entry #{entry.seq} (exported) names no proposal commit of {entry.proposal}",
                "export entries are written by `gitgate export`",
            )

    def _check_command_claim(self, entry: AuditEntry) -> None:
        """``command.auto`` claims the policy let a command run; ``command.denied`` the opposite."""
        from gitgate.safety.classify import classify_command, rules_for  # bashlex: only here

        # the rules the gate classified with (sensitive paths and switches included)
        verdict = classify_command(
            str(entry.details.get("command", "")), rules_for(self.home.policy)
        )
        claimed = "allow" if entry.event == "command.auto" else "deny"
        if verdict.decision != claimed:
            raise _Refused(
                f"audit entry #{entry.seq} ({entry.event}) records a command the policy "
                f"classifies {verdict.decision!r}, not {claimed!r}",
                "command entries are written by `gitgate run`",
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
        self._check_notes_history(update.old, update.new)
        self._check_notes_layout(update.old, update.new)
        for annotated, old_raw, new_raw in self.store.diff_notes(update.old, update.new):
            if new_raw is None:
                raise _Refused(f"the note on {annotated[:12]} is removed", "notes are permanent")
            if len(new_raw) > MAX_NOTE_BYTES:
                raise _Refused(f"the note on {annotated[:12]} is larger than {MAX_NOTE_BYTES}")
            new = _decode_note(new_raw, annotated)
            if new is None:
                raise _Refused(f"the note on {annotated[:12]} is not a valid gitgate proposal")
            old = _decode_note(old_raw, annotated) if old_raw is not None else None
            self._check_note_change(old, new)
            self._scan_note(old, new)

    def _check_notes_history(self, old: str | None, new: str) -> None:
        """A linear chain of notes commits: one parent each (none only for the first)."""
        for count, commit in enumerate(self.store.walk(new, hide=[old] if old else [])):
            if count >= MAX_NOTES_COMMITS:
                raise _Refused(f"the push brings more than {MAX_NOTES_COMMITS} notes commits")
            parents = self.store.commit(commit).parents
            if len(parents) > 1 or (not parents and old is not None):
                raise _Refused(
                    f"notes commit {commit[:12]} has {len(parents)} parents; notes grow by "
                    "single-parent commits",
                    "fetch with gitgate (it rebuilds the notes on the server's) and push again",
                )

    def _check_notes_layout(self, old: str | None, new: str) -> None:
        """git's ``xx/38`` fan-out exactly, nothing else: what the hook reads, readers read."""
        oid_length = len(new)
        old_top = self._tree_map(self.store.commit(old).tree) if old else {}
        for name, entry in self._tree_map(self.store.commit(new).tree).items():
            if not is_fanout_name(name) or entry.mode != MODE_TREE:
                raise _Refused(
                    f"the notes tree holds {name[:80]!r} at its top, where only two-hex-digit "
                    "fan-out directories belong",
                    _NOTES_HINT,
                )
            before = old_top.get(name)
            if before == entry:
                continue  # unchanged since it was last judged
            old_sub = self._tree_map(before.oid) if before and before.mode == MODE_TREE else {}
            for leaf, item in self._tree_map(entry.oid).items():
                if old_sub.get(leaf) == item:
                    continue
                if not is_note_name(leaf, oid_length) or item.mode != MODE_BLOB:
                    raise _Refused(
                        f"the notes tree holds {name}/{leaf[:80]!r}, which is not a note in "
                        f"git's {name}/<{oid_length - 2} hex digits> layout",
                        _NOTES_HINT,
                    )

    def _tree_map(self, tree: str) -> dict[str, TreeItem]:
        return {name: TreeItem(e.mode, e.oid) for name, e in self.store.list_tree(tree)}

    def _check_note_change(self, old: Proposal | None, new: Proposal) -> None:
        status = self.last_status(new.id)
        if old is None:
            proposed = [e for e in self.pushed_events(new.id) if e.event == "proposed"]
            if not proposed or proposed[0].commits.get("proposal") != new.commit:
                raise _Refused(
                    f"the new note of {new.id} comes without its `proposed` audit entry",
                    "propose with gitgate and push the audit log too (propose --push)",
                )
            if not self.same(new.requester, proposed[0].actor):
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

    def _scan_note(self, old: Proposal | None, new: Proposal) -> None:
        """Secrets in a note: every string a new note holds, only what changed otherwise."""
        seen = set(iter_strings(old.to_dict())) if old is not None else set()
        fresh = [s for s in iter_strings(new.to_dict()) if s not in seen]
        fresh = [s for s in fresh if not self._is_public(s)]
        _refuse_secrets({f"the note of {new.id}": fresh}, _NOTES_HINT)

    def _is_public(self, text: str) -> bool:
        """Strings that cannot hide a secret: what the repository or the record format shows.

        Object ids present here, branch and proposal names, statuses and kinds, entry times
        and the pusher's own identity. Skipping them keeps the secret scanner (slow to load)
        off the common path of an approval, whose note only gains such strings.
        """
        if text in _RECORD_WORDS or self.home.policy.is_protected(text) or is_valid_id(text):
            return True
        if text == self.pusher or parse_time(text) is not None:
            return True
        return _is_oid(text) and self.store.has_object(text)

    # -- protected branches ----------------------------------------------------------------

    def _judge_protected(self, update: Update) -> None:
        branch = update.ref.removeprefix("refs/heads/")
        if update.new is None:
            raise _Refused(
                f"{branch} is protected and is never deleted",
                "protected branches are listed in `protected` of .gitgate.toml; removing one "
                "from that list is itself a proposal",
            )
        if update.old is None:
            self._judge_new_protected(branch, update.new)
            return
        if not self.store.is_ancestor(update.old, update.new):
            raise _Refused(f"{branch} is protected: it only fast-forwards", _PROPOSE_HINT)
        for commit in self._first_parent_chain(update.old, update.new, branch):
            self._check_landing(branch, commit)

    def _judge_new_protected(self, branch: str, new: str) -> None:
        """Create a listed protected branch: judged by the CURRENT pinned policy only.

        The pusher must be an approver now; the commit must already be protected history
        (on an existing protected branch), and carry exactly the current policy, so a branch
        cannot be started at an old commit whose policy still names someone since removed.
        """
        pusher = self.pusher or ""
        if not self.home.policy.is_approver(pusher):
            raise _Refused(
                f"only an approver may create the protected branch {branch}",
                "approvers: " + (", ".join(self.home.policy.approvers) or "(none)"),
            )
        if self.store.read_path(new, POLICY_PATH) != self.home.policy_text:
            raise _Refused(
                f"{branch} may only be created at a commit carrying the current policy of "
                f"{self.home.branch}",
                f"create it at the tip of {self.home.branch}",
            )
        for other in self.home.policy.protected:
            tip = self.tip(f"refs/heads/{other}")
            if tip is not None and self.store.is_ancestor(new, tip):
                return
        raise _Refused(
            f"{branch} is protected and may only be created at a commit already protected",
            _PROPOSE_HINT,
        )

    def _first_parent_chain(self, old: str, new: str, branch: str) -> list[str]:
        # The line from new down to old is part of walk(new, hide=[old]) (each commit on it
        # descends from old), so that walk's size bounds it. Counted only for a long line:
        # the usual push lands one merge, and the walk costs a git process.
        limit: int | None = None
        chain: list[str] = []
        current = new
        while current != old:
            if limit is None and len(chain) >= _SHORT_LINE:
                limit = sum(1 for _ in self.store.walk(new, hide=[old]))
            parents = self.store.commit(current).parents
            if (limit is not None and len(chain) >= limit) or not parents:
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
        self._check_policy_file(commit, info.parents[0], branch)
        if merged != commit:
            self._check_merge_message(commit, info.message, note)

    def _check_policy_file(self, commit: str, parent: str, branch: str) -> None:
        """A commit that changes ``.gitgate.toml`` must leave a usable policy behind."""
        store = self.store
        before = store.tree_entry(store.commit(parent).tree, POLICY_PATH)
        after = store.tree_entry(store.commit(commit).tree, POLICY_PATH)
        if before == after:
            return
        problem = check_policy_change(
            store.read_path(commit, POLICY_PATH),
            old_text=store.read_path(parent, POLICY_PATH),
            branch=branch if branch == self.home.branch else None,
        )
        if problem is not None:
            raise _Refused(
                f"commit {commit[:12]} changes {POLICY_PATH}: {problem}",
                f"a policy change must keep {POLICY_PATH} valid, with approvers",
            )

    def _check_merge_message(self, commit: str, message: str, note: Proposal) -> None:
        if len(message) > MAX_COMMIT_MESSAGE:
            raise _Refused(f"the message of merge {commit[:12]} is too long")
        paths = [f.path for f in note.changed_files]
        known = [note.message, note.id, note.commit, note.requester, self.pusher or ""]
        known += [*paths, f"{note.kind} " + ", ".join(paths[:3])]
        rest = [line for line in message.splitlines() if not _is_known_line(line, known)]
        _refuse_secrets({f"the message of merge {commit[:12]}": rest}, _PROPOSE_HINT)

    def _check_approval(self, branch: str, note: Proposal) -> None:
        approval = self._find_approval(note)
        pusher = self.pusher or ""
        if approval is None:
            raise _Refused(
                f"{note.id} has no approval of commit {note.commit[:12]} in the audit log",
                "an approver must run `gitgate approve " + note.id + " --push`",
            )
        if not self.same(approval.actor, pusher):
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
        if self.same(pusher, note.requester):
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
            self.same(pusher, r) for r in requesters
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
        home_branch = self.home.branch if target == self.home.branch else None
        scan = _PendingScan(
            self.store, self.policy_for(target), set(commits), hide, allowed, home_branch
        )
        scan.find_changed_paths(commits)
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


@dataclass(frozen=True, slots=True)
class TreeItem:
    """One entry of a tree as the notes layout check compares it."""

    mode: int
    oid: str


@dataclass
class _PendingScan:
    """Push protection for the commits of a pending branch: paths, secrets, where it sits."""

    store: RepoReader
    policy: Policy
    new_commits: set[str]
    on_history: list[str]  # tips whose history a parent may come from
    allowed_secrets: frozenset[str]
    home_branch: str | None = None  # set when the target carries the pinned policy
    changed: dict[str, list[str]] = field(default_factory=dict)  # by commit, vs its parent

    def find_changed_paths(self, commits: Sequence[str]) -> None:
        """What each commit changes against its first parent, for all of them at once.

        One ``git diff-tree --stdin`` walks every pair in C (equal subtrees skipped by id):
        walking each pair in Python read every entry of each changed directory again, most
        of a 1,000-commit branch's scan when each commit adds a file to one directory.
        """
        pairs: dict[str, tuple[str, str]] = {}
        for commit in commits:
            info = self.store.commit(commit)
            if info.parents:  # a root commit is refused by check() before its paths count
                pairs[commit] = (self.store.commit(info.parents[0]).tree, info.tree)
        found = self.store.changed_paths_of_pairs(list(pairs.values()))
        self.changed.update(zip(pairs, found, strict=True))

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
        self._check_message(commit, info.message)
        base_tree = self.store.commit(info.parents[0]).tree
        paths = self.changed.get(commit)
        if paths is None:
            paths = self.store.changed_paths(base_tree, info.tree)
        if POLICY_PATH in paths:
            self._check_policy(commit, info.parents[0])
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

    def _check_message(self, commit: str, message: str) -> None:
        if len(message) > MAX_COMMIT_MESSAGE:
            raise _Refused(
                f"the message of commit {commit[:12]} is longer than {MAX_COMMIT_MESSAGE} "
                "characters"
            )
        _refuse_secrets({f"the message of commit {commit[:12]}": [message]}, _PROPOSE_HINT)

    def _check_policy(self, commit: str, parent: str) -> None:
        problem = check_policy_change(
            self.store.read_path(commit, POLICY_PATH),
            old_text=self.store.read_path(parent, POLICY_PATH),
            branch=self.home_branch,
        )
        if problem is not None:
            raise _Refused(
                f"commit {commit[:12]} changes {POLICY_PATH}: {problem}",
                f"a policy change must keep {POLICY_PATH} valid, with approvers",
            )


# -- the first push of a new server ----------------------------------------------------------


@dataclass
class _Bootstrap:
    """An empty repository whose policy branch is pinned receives its set-up push.

    Accepted only as a unit: the pinned branch created with a valid policy, and the audit
    log created with exactly one entry, ``init``, written by the pusher about that commit.
    Nothing else may come with it; everything after it is judged by that policy.
    """

    store: RepoReader
    branch: str
    updates: Sequence[Update]
    env: Mapping[str, str]
    now: datetime

    def judge(self) -> list[Verdict]:
        """Verdicts for the set-up push: all allowed, or all refused."""
        try:
            self._check()
        except _Refused as refused:
            return [Verdict(u.ref, False, refused.reason, refused.hint) for u in self.updates]
        except (RecordError, GitgateError) as err:
            reason = f"the set-up push is malformed: {err}"
            return [Verdict(u.ref, False, reason, _BOOTSTRAP_HINT) for u in self.updates]
        return [Verdict(u.ref, True) for u in self.updates]

    def _check(self) -> None:
        pinned = f"refs/heads/{self.branch}"
        by_ref = {u.ref: u for u in self.updates}
        head = by_ref.get(pinned)
        if head is None or head.new is None:
            raise _Refused(
                f"this server has no gitgate data yet; the first push must create {self.branch} "
                f"with {POLICY_PATH}",
                _BOOTSTRAP_HINT,
            )
        text = self.store.read_path(head.new, POLICY_PATH)
        problem = check_policy_change(text, branch=self.branch)
        if problem is not None or text is None:
            raise _Refused(f"the set-up push's policy is not usable: {problem}", _BOOTSTRAP_HINT)
        policy = parse_policy(text.decode("utf-8"))
        if set(by_ref) != {pinned, policy.refs.audit}:
            raise _Refused(
                f"the set-up push carries exactly {self.branch} and {policy.refs.audit}",
                _BOOTSTRAP_HINT,
            )
        pusher = pusher_from_env(self.env, policy.hook.identity_env)
        if pusher is None or identity_problem(pusher) is not None:
            raise _Refused("the set-up push needs an authenticated pusher", _BOOTSTRAP_HINT)
        self._check_init(by_ref[policy.refs.audit], policy, pusher, head.new)

    def _check_init(self, update: Update, policy: Policy, pusher: str, tip: str) -> None:
        if update.new is None:
            raise _Refused("the set-up push must create the audit log", _BOOTSTRAP_HINT)
        chain = _new_entries(self.store, None, update.new)
        if len(chain) != 1:
            raise _Refused("the set-up audit log holds exactly one entry, init", _BOOTSTRAP_HINT)
        logged = chain[0]
        entry = logged.entry
        _check_entry_form(self.store, logged, policy, None, self.now)
        _refuse_secrets({"the init entry": iter_strings(entry.details)}, _BOOTSTRAP_HINT)
        if entry.event != "init" or entry.seq != 1:
            raise _Refused("the set-up audit log must start with init", _BOOTSTRAP_HINT)
        if not policy.same_identity(entry.actor, pusher):
            raise _Refused(f"the init entry names {entry.actor}, but {pusher} is pushing")
        if entry.commits.get("policy") != tip or entry.commits.get("target") != self.branch:
            raise _Refused(
                f"the init entry does not name the tip of {self.branch} as its policy commit",
                _BOOTSTRAP_HINT,
            )


_BOOTSTRAP_HINT = (
    "set up with `gitgate init` in a clone and push the policy branch and refs/gitgate/audit "
    "together as the first push (or set up first and install the hook afterwards)"
)

_PROPOSE_HINT = (
    "propose the change (gitgate propose ... --push) and have an approver run "
    "`gitgate approve ID --push`"
)
_FETCH_HINT = "run `gitgate fetch`, then push again"
_NOTES_HINT = "notes are written by gitgate; fetch with gitgate and push again"


def _new_entries(store: RepoReader, old: str | None, new: str) -> list[LoggedEntry]:
    """The entries from ``old`` (exclusive) to ``new``: one linear chain of entries."""
    limit = sum(1 for _ in store.walk(new, hide=[old] if old else []))
    chain: list[LoggedEntry] = []
    current: str | None = new
    while current != old:
        assert current is not None
        info = store.commit(current)
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


def _check_entry_form(
    store: RepoReader, logged: LoggedEntry, policy: Policy, prev_time: str | None, now: datetime
) -> None:
    """Well-formed for its event, bounded, and dated truthfully (see :mod:`hookrules`)."""
    entry = logged.entry
    where = f"audit entry #{entry.seq} ({entry.event})"
    message = store.commit(logged.commit).message
    problem = entry_problem(entry, _body_keys(message), len(message.encode()), policy)
    problem = problem or time_problem(entry.time, prev_time, now)
    if problem is None:
        problem = identity_problem(entry.actor)
        problem = f"its actor {entry.actor[:80]!r} is refused: {problem}" if problem else None
    if problem is not None:
        raise _Refused(f"{where} is refused: {problem}", "audit entries are written by gitgate")


def _body_keys(message: str) -> frozenset[str]:
    body = message.partition("\n\n")[2]
    obj = json.loads(body)  # decode_audit parsed it already
    return frozenset(obj) if isinstance(obj, dict) else frozenset()


def _refuse_secrets(texts: Mapping[str, Iterable[str]], hint: str) -> None:
    """Refuse when any text holds a secret; the scanner is imported only if there is text."""
    pending = {where: [t for t in items if t] for where, items in texts.items()}
    if not any(pending.values()):
        return
    from gitgate.safety.redaction import find_secrets  # slow to import: only when there is text

    for where, items in pending.items():
        kinds = sorted({f.kind for text in items for f in find_secrets(text)})
        if kinds:
            raise _Refused(f"{where} holds what looks like a secret: {', '.join(kinds)}", hint)


def _is_known_line(line: str, known: Sequence[str]) -> bool:
    """A merge message line that only repeats what was checked already (note, trailers)."""
    text = line.strip()
    if not text:
        return True
    if text.startswith("Merge gitgate proposal ") and ": " in text:
        text = text.split(": ", 1)[1]
    elif ": " in text and text.split(": ", 1)[0] in _TRAILERS:
        text = text.split(": ", 1)[1]
    return any(text in item for item in known if item)


_RECORD_WORDS = frozenset({*STATUSES, *KINDS, "merge", "target"})
_TRAILERS = frozenset({"Gitgate-Proposal", "Gitgate-Commit", "Requested-by", "Approved-by"})


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


def _seq_and_time_at(store: RepoReader, tip: str | None) -> tuple[int, str | None]:
    if tip is None:
        return 0, None
    try:
        entry = decode_audit(store.commit(tip).message)
    except RecordError as err:
        raise _Refused(f"the server's audit log tip is malformed: {err}") from err
    return entry.seq, entry.time


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
        from gitgate.store.gitread import GitReader  # git's plumbing: no pygit2 to import

        with GitReader.open_from_env(path) as store:
            # Every push reads objects and the policy's pin: git starts and reads its config
            # beside the imports the judgement needs (two cores: ~3 ms less a push).
            store.start()
            store.prefetch_config(CONFIG_BRANCH)
            _import_judgement()
            verdicts = judge_push(store, updates, env)
    except GitgateError as err:
        lines = [f"gitgate: push refused: {err.message}"]
        lines += [f"gitgate: hint: {err.hint}"] if err.hint else []
        return 1, [prefix + line for line in lines]
    except Exception as err:  # noqa: BLE001 - fail closed, whatever went wrong
        fault = environment_fault(err)
        if fault is None:
            lines = [f"gitgate: push refused: internal error: {type(err).__name__}: {err}"]
        else:  # the server's repository or disk: say what the admin can do about it
            lines = [f"gitgate: push refused: {fault.message}"]
            lines += [f"gitgate: hint (for the server's admin): {fault.hint}"] if fault.hint else []
        return 1, [prefix + line for line in lines]
    refused = not all(v.allowed for v in verdicts)
    return (1 if refused else 0), format_verdicts(verdicts, gitlab=bool(prefix))


def _import_judgement() -> None:
    """Import what judging every push uses, while git answers (see run)."""
    import gitgate.journal.admit
    import gitgate.server.policycache  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m gitgate hook pre-receive``: stdin in, stderr out."""
    del argv  # pre-receive takes no arguments
    import gc

    # What the imports made lives to the end: keep the collector from walking it again at
    # every full collection of the judgement and at exit (~5 ms of a push). The installed
    # script turns the collector off while it imports gitgate; on from here.
    if gc.get_freeze_count() == 0:  # once a process (`gitgate hook pre-receive` in a test)
        gc.freeze()
    gc.enable()
    code, lines = run(sys.stdin.read(), os.environ)
    for line in lines:
        print(line, file=sys.stderr)
    return code


def leave(code: int) -> NoReturn:
    """End the hook's own process with ``code`` at once (the installed script calls this).

    Python's teardown frees every object and module one by one (~4 ms of each push) for a
    process that is about to end anyway. The judgement is complete and its child processes
    are reaped before :func:`main` returns; what would still run at exit is written here: the
    dataclass method cache (an atexit hook) and the buffered streams.
    """
    try:
        from gitgate import methodcache

        methodcache.save()
    except Exception:  # noqa: BLE001, S110 - a cache that cannot be written changes no verdict
        pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # git closed the pipe: nothing is left to say
                pass
        os._exit(code)
