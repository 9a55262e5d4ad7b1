"""The Gate: propose, approve, reject, inspect. The Python API and the CLI's only backend.

A proposal is one commit on top of its target's tip, kept at a pending branch; its redacted
metadata is a note on that commit; every step appends to the audit log. Each operation ends in
one atomic compare-and-swap ref update (target, pending branch, notes, audit log together), so a
concurrent writer can never make gitgate lose or half-write a decision: on a conflict the whole
decision is recomputed from the new tips and tried again, a bounded number of times.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from gitgate import clock, homepolicy
from gitgate.errors import (
    AlreadyDecided,
    AmbiguousProposal,
    CommandDenied,
    ConcurrentUpdate,
    GitgateError,
    NotAGitgateRepo,
    NotAnApprover,
    PolicyError,
    SecretDetected,
    SelfApproval,
    StaleProposal,
    UnknownProposal,
)
from gitgate.homepolicy import CONFIG_BRANCH
from gitgate.ids import new_id, parse_prefix
from gitgate.journal.audit import actor_identity, read_log
from gitgate.journal.engine import Journal, RollForward
from gitgate.store.gitstore import (
    EMPTY_TREE,
    MODE_BLOB,
    MODE_TREE,
    GitStore,
    TreeConflict,
    TreeDiff,
    TreeEntry,
)

if TYPE_CHECKING:
    # Imported where used: `list` and `show` start without the bundle writer, the change
    # checks, the command classifier (bashlex) and the runner.
    from gitgate.commands import Outcome
    from gitgate.export.bundle import ExportResult, Progress
    from gitgate.journal.doctor import DoctorReport
    from gitgate.journal.verify import VerifyReport
    from gitgate.safety.classify import CommandRules, Verdict
from gitgate.journal.index import IndexRow, ProposalIndex, load_index
from gitgate.journal.records import (
    AuditEntry,
    ChangedFile,
    Proposal,
    RecordError,
    command_from_message,
    command_trailer,
    decode_audit,
    proposal_record,
)
from gitgate.journal.replay import apply_entry, fold, implied_refs
from gitgate.policy import (
    POLICY_PATH,
    Policy,
    check_policy_change,
    identity_problem,
    parse_policy,
    render_policy,
)
from gitgate.safety.redaction import find_secrets, redact, redact_data

PREVIEW_CHARS = 4000
MAX_TRIES = 8
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Context:
    """What one operation reads first: the target branch, its tip, and the policy there."""

    branch: str
    tip: str
    policy: Policy

    @property
    def target_ref(self) -> str:
        """Full ref name of the target branch."""
        return f"refs/heads/{self.branch}"


@dataclass(frozen=True, slots=True)
class InitResult:
    """What ``gitgate init`` did."""

    branch: str
    policy_commit: str
    wrote_policy: bool
    started_audit: bool
    policy: Policy
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """Result of approving one proposal (the proposal as now recorded, plus warnings)."""

    proposal: Proposal
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Review:
    """A proposal with the exact commit and tree an approval would merge, and its preview."""

    proposal: Proposal
    commit: str
    tree: str
    preview: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """What ``gitgate show --json`` prints (and the web API returns): the proposal with
        the preview computed from its commit, and the tree an approval would merge."""
        return {
            **dataclasses.replace(self.proposal, preview=self.preview).to_dict(),
            "tree": self.tree,
        }


@dataclass(frozen=True, slots=True)
class RunReport:
    """What ``gitgate run`` did with a command."""

    verdict: Verdict
    proposal: Proposal | None = None
    exit_code: int | None = None
    timed_out: bool = False
    output: str = ""


@dataclass(frozen=True, slots=True)
class _Draft:
    """A proposal before it has an id, a commit and a note."""

    kind: str
    tool: str
    tree: str
    message: str
    title: str
    arguments: dict[str, Any]
    changed_files: tuple[ChangedFile, ...]
    details: dict[str, Any]
    command: str | None = None


@functools.lru_cache(maxsize=16)
def _parsed_policy(text: bytes) -> Policy:
    """The policy in ``text``; cached by content (an operation reads it several times, and a
    Policy is immutable). A parse error is raised again on each call: errors are not cached."""
    return parse_policy(text.decode("utf-8", "replace"))


class Gate:
    """gitgate on one repository.

    Args:
        path: the repository (or a directory inside it); bare or not.
        store: an already-open store (used by the hook and by tests).
    """

    def __init__(self, path: str | os.PathLike[str] = ".", *, store: GitStore | None = None):
        self.store = store if store is not None else GitStore.open(path)

    # -- identity and context --------------------------------------------------------------

    def resolve_actor(self, actor: str | None = None) -> str:
        """The acting identity: ``actor``, else ``$GITGATE_ACTOR``, else git's user.email.

        Raises:
            GitgateError: when none is set.
        """
        chosen = actor or os.environ.get("GITGATE_ACTOR") or self.store.user_email()
        if not chosen or not chosen.strip():
            raise GitgateError(
                "no actor identity",
                hint="set GITGATE_ACTOR, or `git config user.email you@example.com`",
            )
        problem = identity_problem(chosen)
        if problem is not None:
            raise GitgateError(
                f"the actor identity {chosen[:80]!r} is refused: {problem}",
                hint="identities are used exactly as the forge spells them; fix GITGATE_ACTOR",
            )
        return chosen

    def home_branch(self) -> str:
        """The branch whose policy configures gitgate here (``gitgate.branch`` in git config)."""
        return homepolicy.home_branch(self.store)

    def context(self, target: str | None = None) -> Context:
        """Read the target branch tip and the policy committed there.

        Raises:
            NotAGitgateRepo / PolicyError: when there is no usable policy.
        """
        home = self.home_branch()
        home_policy = self._load_policy(home)
        branch = target or home_policy.default_target
        if not home_policy.is_protected(branch):
            raise PolicyError(
                f"{branch!r} is not a protected branch",
                hint="protected branches: " + ", ".join(home_policy.protected),
            )
        tip = self.store.resolve(f"refs/heads/{branch}")
        if tip is None:
            raise GitgateError(
                f"the target branch {branch!r} does not exist",
                hint=f"create it, or fetch it (gitgate fetch); target: --target {branch}",
            )
        policy = home_policy if branch == home else self._load_policy_at(tip, home_policy)
        return Context(branch=branch, tip=tip, policy=policy)

    def policy(self) -> Policy:
        """The policy of the home branch."""
        return self._load_policy(self.home_branch())

    def _policy_text(self, branch: str) -> bytes | None:
        return homepolicy.policy_text(self.store, branch)

    def _load_policy(self, branch: str) -> Policy:
        text = self._policy_text(branch)
        if text is None:
            raise NotAGitgateRepo(
                f"no {POLICY_PATH} committed on {branch!r}",
                hint="run `gitgate init` (or fetch the branch that carries the policy)",
            )
        return _parsed_policy(text)

    def _load_policy_at(self, tip: str, fallback: Policy) -> Policy:
        text = self.store.read_path(tip, POLICY_PATH)
        return _parsed_policy(text) if text is not None else fallback

    # -- init ------------------------------------------------------------------------------

    def init(
        self,
        protect: Sequence[str] = (),
        approvers: Sequence[str] = (),
        *,
        force: bool = False,
        actor: str | None = None,
    ) -> InitResult:
        """Commit the policy on the protected branch and start the audit log.

        Safe to run twice: an existing policy is kept unless ``force``.
        """
        who = self.resolve_actor(actor)
        branch = protect[0] if protect else (self._configured_or_head() or "main")
        tip = self.store.resolve(f"refs/heads/{branch}")
        existing = self.store.read_path(tip, POLICY_PATH) if tip else None
        warnings: list[str] = []
        if existing is not None and not force:
            policy = parse_policy(existing.decode("utf-8", "replace"))
            if (protect and tuple(protect) != policy.protected) or (
                approvers and tuple(approvers) != policy.approvers
            ):
                warnings.append(
                    f"{POLICY_PATH} already exists on {branch}; kept it as it is "
                    "(use --force to overwrite, or propose a change to it)"
                )
            policy_commit, wrote = tip, False
        else:
            policy = Policy(protected=tuple(protect) or (branch,), approvers=tuple(approvers))
            policy = parse_policy(render_policy(policy))  # validate what we are about to commit
            policy_commit = self._policy_commit(tip, policy, who)
            wrote = True
        assert policy_commit is not None
        if not policy.approvers:
            warnings.append("the policy names no approvers: nobody can approve proposals yet")
        self.store.config_set(CONFIG_BRANCH, branch)
        if wrote:
            self.store.begin_checkout_move(branch, tip)
        started = self._start_audit(policy, branch, tip, policy_commit, who)
        if wrote:
            warning = self.store.sync_checkout(branch, tip or EMPTY_TREE, policy_commit)
            self.store.end_checkout_move()
            if warning:
                warnings.append(warning)
        return InitResult(branch, policy_commit, wrote, started, policy, tuple(warnings))

    def _configured_or_head(self) -> str | None:
        return self.store.config_get(CONFIG_BRANCH) or self.store.head_branch()

    def _policy_commit(self, tip: str | None, policy: Policy, who: str) -> str:
        """The commit that puts ``policy`` on the branch (not yet on it: the entry moves it)."""
        blob = self.store.write_blob(render_policy(policy).encode())
        base_tree = self.store.commit(tip).tree if tip else None
        tree = self.store.update_tree(base_tree, {POLICY_PATH: TreeEntry(MODE_BLOB, blob)})
        message = f"gitgate: set up policy\n\nProtected: {', '.join(policy.protected)}\n"
        return self.store.create_commit(
            tree, [tip] if tip else [], message, actor_identity(who), _ts()
        )

    def _start_audit(
        self, policy: Policy, branch: str, tip: str | None, policy_commit: str, who: str
    ) -> bool:
        """Journal the set-up: ``init`` (or ``policy`` when a log exists) moves the branch.

        Nothing is written when the log exists and the policy commit is already the tip.
        """
        audit_tip = self.store.resolve(policy.refs.audit)
        moves_branch = policy_commit != tip
        if audit_tip is not None and not moves_branch:
            return False
        event = "init" if audit_tip is None else "policy"
        entry = AuditEntry(
            seq=0,
            event=event,
            actor=who,
            time=clock.iso(clock.now()),
            details=redact_data(
                {"protected": list(policy.protected), "approvers": list(policy.approvers)}
            ),  # type: ignore[arg-type]
            commits={"policy": policy_commit, "target": branch},
            refs={f"refs/heads/{branch}": (tip, policy_commit)} if moves_branch else {},
        )
        self._commit(policy, who, [entry])
        return True

    # -- proposing -------------------------------------------------------------------------

    def propose_patch(
        self,
        patch: bytes | str,
        *,
        target: str | None = None,
        message: str = "",
        tool: str = "apply_patch",
        actor: str | None = None,
        allow_secret: bool = False,
    ) -> Proposal:
        """Propose a unified diff (as ``git diff --binary -M`` writes it)."""
        data = patch.encode() if isinstance(patch, str) else patch
        if not data.strip():
            raise GitgateError("the patch is empty", hint="give a unified diff (git diff output)")
        digest = _sha256(data)

        def edits(ctx: Context) -> dict[str, TreeEntry | None]:
            return self.store.apply_patch(self.store.commit(ctx.tip).tree, data)

        arguments = {"patch_sha256": digest, "patch_bytes": len(data)}
        return self._propose("patch", tool, edits, arguments, target, message, actor, allow_secret)

    def propose_write(
        self,
        path: str,
        content: bytes | str,
        *,
        target: str | None = None,
        message: str = "",
        tool: str = "write_file",
        actor: str | None = None,
        allow_secret: bool = False,
        executable: bool | None = None,
    ) -> Proposal:
        """Propose writing ``content`` to ``path`` (created or replaced)."""
        return self._propose_file(
            "write", path, content, target, message, tool, actor, allow_secret, executable
        )

    def propose_create(
        self,
        path: str,
        content: bytes | str = b"",
        *,
        target: str | None = None,
        message: str = "",
        tool: str = "create_file",
        actor: str | None = None,
        allow_secret: bool = False,
        executable: bool | None = None,
    ) -> Proposal:
        """Propose creating a new file; refused when ``path`` already exists."""
        return self._propose_file(
            "create", path, content, target, message, tool, actor, allow_secret, executable
        )

    def propose_delete(
        self,
        path: str,
        *,
        target: str | None = None,
        message: str = "",
        tool: str = "delete_file",
        actor: str | None = None,
    ) -> Proposal:
        """Propose deleting a file; refused when it does not exist."""

        def edits(ctx: Context) -> dict[str, TreeEntry | None]:
            entry = self.store.tree_entry(self.store.commit(ctx.tip).tree, path)
            if entry is None or entry.mode == MODE_TREE:
                raise GitgateError(
                    f"{path!r} is not a file on {ctx.branch}",
                    hint="check the path with `git ls-tree -r --name-only " + ctx.branch + "`",
                )
            return {path: None}

        return self._propose("delete", tool, edits, {"path": path}, target, message, actor, False)

    def _propose_file(
        self,
        kind: str,
        path: str,
        content: bytes | str,
        target: str | None,
        message: str,
        tool: str,
        actor: str | None,
        allow_secret: bool,
        executable: bool | None,
    ) -> Proposal:
        data = content.encode() if isinstance(content, str) else content
        path = _normalise_user_path(path)

        def edits(ctx: Context) -> dict[str, TreeEntry | None]:
            existing = self.store.tree_entry(self.store.commit(ctx.tip).tree, path)
            if kind == "create" and existing is not None:
                raise GitgateError(
                    f"{path!r} already exists on {ctx.branch}",
                    hint="use `gitgate propose write` to replace it",
                )
            if existing is not None and existing.mode == MODE_TREE:
                raise GitgateError(f"{path!r} is a directory on {ctx.branch}")
            mode = _file_mode(existing, executable)
            return {path: TreeEntry(mode, self.store.write_blob(data))}

        arguments = {
            "path": path,
            "bytes": len(data),
            "sha256": _sha256(data),
        }
        return self._propose(kind, tool, edits, arguments, target, message, actor, allow_secret)

    def _propose(
        self,
        kind: str,
        tool: str,
        make_edits: Callable[[Context], dict[str, TreeEntry | None]],
        arguments: dict[str, Any],
        target: str | None,
        message: str,
        actor: str | None,
        allow_secret: bool,
    ) -> Proposal:
        from gitgate.changes import check_edits

        who = self.resolve_actor(actor)
        _check_tool_and_message(tool, message)
        ctx = self.context(target)
        base_tree = self.store.commit(ctx.tip).tree
        try:
            edits = make_edits(ctx)
            self._check_policy_edit(ctx, base_tree, edits)
            secrets = check_edits(
                self.store, base_tree, edits, ctx.policy, allow_secret=allow_secret
            )
            new_tree = self.store.update_tree(base_tree, edits)
        except TreeConflict as err:
            raise GitgateError(str(err), hint="the proposal does not fit the target tree") from err
        if new_tree == base_tree:
            raise GitgateError(
                "the proposal changes nothing on " + ctx.branch,
                hint="the target already has this content",
            )
        diff = self.store.diff_trees(base_tree, new_tree, patch_limit=PREVIEW_CHARS)
        details: dict[str, Any] = {"kind": kind, "tool": tool, **_path_summary(edits)}
        if secrets:
            details["allowed_secrets"] = [h.describe() for h in secrets]
        draft = _Draft(
            kind=kind,
            tool=tool,
            tree=new_tree,
            message=message,
            title=_summary(kind, message, diff),
            arguments={**arguments, **_path_summary(edits)},
            changed_files=_changed_files(diff),
            details=details,
        )
        return self._store_proposal(ctx, who, draft)

    def _check_policy_edit(
        self, ctx: Context, base_tree: str, edits: dict[str, TreeEntry | None]
    ) -> None:
        """A proposal may change ``.gitgate.toml`` only into another usable policy (the hook
        refuses the same): never delete it, break it, or leave nobody to approve."""
        if POLICY_PATH not in edits:
            return
        entry = edits[POLICY_PATH]
        new = self.store.read_blob(entry.oid) if entry is not None else None
        old = self.store.read_path(ctx.tip, POLICY_PATH)
        home = ctx.branch if ctx.branch == self.home_branch() else None
        problem = check_policy_change(new, old_text=old, branch=home)
        if problem is not None:
            raise PolicyError(
                f"this proposal would break the policy: {problem}",
                hint=f"propose a {POLICY_PATH} that still parses, protects {ctx.branch} "
                "and names approvers",
            )

    def _store_proposal(self, ctx: Context, who: str, draft: _Draft) -> Proposal:
        """Write the proposal commit and journal its ``proposed`` entry (which carries the
        immutable record); the pending branch and the note follow from the entry."""
        pid = self._fresh_id(ctx.policy)
        commit = self.store.create_commit(
            draft.tree,
            [ctx.tip],
            _proposal_message(pid, draft.kind, draft.message, who, draft.title, draft.command),
            actor_identity(who),
            _ts(),
        )
        now = clock.iso(clock.now())
        proposal = Proposal(
            id=pid,
            kind=draft.kind,
            tool=redact(draft.tool),
            target=ctx.branch,
            base=ctx.tip,
            commit=commit,
            requester=who,
            created_at=now,
            status="pending",
            message=redact(draft.message),
            arguments=_redacted_dict(draft.arguments),
            changed_files=draft.changed_files,
        )
        entry = AuditEntry(
            seq=0,
            event="proposed",
            actor=who,
            time=now,
            proposal=pid,
            details={**_redacted_dict(draft.details), "proposal": proposal_record(proposal)},
            commits={"proposal": commit, "base": ctx.tip, "target": ctx.branch},
        )
        self._retry(lambda: self._commit(ctx.policy, who, [entry]))
        return apply_entry(None, entry)

    def _fresh_id(self, policy: Policy) -> str:
        """A proposal id never used in this journal (ids are random; this makes sure)."""
        used = load_index(self.store, policy.refs.audit).rows
        while True:
            pid = new_id()
            if pid not in used and self.store.resolve(policy.refs.archive(pid)) is None:
                return pid

    # -- commands --------------------------------------------------------------------------

    def classify(self, command: str, target: str | None = None) -> Verdict:
        """Classify a shell command with the baseline rules plus the policy's own."""
        from gitgate.safety.classify import classify_command

        policy = self.context(target).policy
        return classify_command(command, _command_rules(policy))

    def propose_command(
        self,
        command: str,
        *,
        target: str | None = None,
        message: str = "",
        tool: str = "run_command",
        actor: str | None = None,
    ) -> Proposal:
        """Propose a shell command; approving it runs it in a temporary worktree.

        Raises:
            CommandDenied: the command is classified ``deny`` (audited as ``command.denied``).
            SecretDetected: the command text holds a secret.
        """
        from gitgate.safety.classify import classify_command

        who = self.resolve_actor(actor)
        _check_tool_and_message(tool, message)
        ctx = self.context(target)
        verdict = classify_command(command, _command_rules(ctx.policy))
        if verdict.decision == "deny":
            self._audit_only(ctx.policy, who, "command.denied", command, {"reason": verdict.reason})
            raise CommandDenied(
                f"command refused: {verdict.reason}",
                hint="this command is never run through gitgate (see `gitgate classify`)",
            )
        _refuse_secret_in_command(command)
        draft = _Draft(
            kind="command",
            tool=tool,
            tree=self.store.commit(ctx.tip).tree,
            message=message,
            title=redact(message.strip().splitlines()[0] if message.strip() else f"run {command}")[
                :120
            ],
            arguments={"command": command, "classification": verdict.decision},
            changed_files=(),
            details={"kind": "command", "tool": tool, "command": command},
            command=command,
        )
        return self._store_proposal(ctx, who, draft)

    def run(
        self, command: str, *, actor: str | None = None, target: str | None = None
    ) -> RunReport:
        """Gated execution: run ``allow`` now, refuse ``deny``, propose everything else.

        Every outcome is an audit entry (``command.auto``, ``command.denied``, ``proposed``).
        """
        from gitgate.safety.classify import classify_command

        who = self.resolve_actor(actor)
        ctx = self.context(target)
        verdict = classify_command(command, _command_rules(ctx.policy))
        if verdict.decision == "approve":
            return RunReport(
                verdict, proposal=self.propose_command(command, target=target, actor=who)
            )
        if verdict.decision == "deny":
            self._audit_only(ctx.policy, who, "command.denied", command, {"reason": verdict.reason})
            return RunReport(verdict)
        from gitgate.runner import run_command

        ran = run_command(
            command,
            cwd=self.store.workdir or self.store.git_dir,
            timeout=ctx.policy.commands.timeout,
            output_limit=ctx.policy.commands.output_limit,
        )
        output = redact(ran.output.decode("utf-8", "replace"))
        details = {"exit_code": ran.exit_code, "timed_out": ran.timed_out, "output": output}
        self._audit_only(ctx.policy, who, "command.auto", command, details)
        return RunReport(verdict, exit_code=ran.exit_code, timed_out=ran.timed_out, output=output)

    def _audit_only(
        self, policy: Policy, who: str, event: str, command: str, details: dict[str, Any]
    ) -> None:
        entry = AuditEntry(
            seq=0,
            event=event,
            actor=who,
            time=clock.iso(clock.now()),
            details=_redacted_dict({"command": command, **details}),
        )
        self._retry(lambda: self._commit(policy, who, [entry]))

    # -- recording -------------------------------------------------------------------------

    def journal(self, policy: Policy | None = None) -> Journal:
        """The audit log of this repository, used as the journal."""
        return Journal(self.store, (policy or self.policy()).refs)

    def _commit(self, policy: Policy, who: str, entries: Sequence[AuditEntry]) -> None:
        """Journal ``entries`` (the commit point), then bring every ref and note in line.

        Each entry's ``refs`` are what its event implies (``journal.replay.implied_refs``),
        the same function the hook judges pushed entries with.
        """
        entries = [_with_implied_refs(e, policy) for e in entries]
        if self.store.resolve(policy.refs.audit) is None and entries[0].event != "init":
            raise NotAGitgateRepo(
                "the audit log is missing", hint="run `gitgate init` (or `gitgate fetch`)"
            )
        self.journal(policy).commit(entries, who, _ts())

    def complete(self) -> RollForward | None:
        """Finish any decision a crash left half-done (every command does this first).

        Returns what was completed, or None when there was nothing to do or the repository
        cannot be written (a read-only repository is read as it is).
        """
        try:
            journal = self.journal()
        except GitgateError:
            return None  # not set up yet: nothing to complete
        done = None
        if journal.needs_completion() and self.store.is_writable():
            done = journal.roll_forward()
        self.store.finish_checkout_move()
        return done

    def _retry(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` again when a ref moved under it; give up after a bounded number."""
        self.complete()
        for n in range(MAX_TRIES):
            try:
                return attempt()
            except ConcurrentUpdate as err:
                import logging
                import random

                logging.getLogger(__name__).debug("concurrent update (try %d): %s", n + 1, err)
                time.sleep(random.uniform(0.01, 0.05) * (n + 1))
        raise ConcurrentUpdate(
            f"gave up after {MAX_TRIES} tries: other processes kept changing gitgate's refs",
            hint="try again; if it persists, look for a stuck process holding a .lock file",
        )

    # -- finding ---------------------------------------------------------------------------

    def get(self, proposal_id: str) -> Proposal:
        """The proposal with this id or unique id prefix, as the journal records it.

        Derived from the journal through the index (its few entries are read), never from a
        note: a note is a copy that someone may have edited.

        Raises:
            UnknownProposal / AmbiguousProposal.
        """
        prefix = parse_prefix(proposal_id)
        rows = self._index().matching(prefix)
        if not rows:
            raise UnknownProposal(
                f"no proposal {proposal_id!r}", hint="list proposals with `gitgate list`"
            )
        if len(rows) > 1:
            ids = sorted(r.id for r in rows)
            raise AmbiguousProposal(
                f"{proposal_id!r} matches {len(ids)} proposals: {', '.join(ids[:8])}",
                hint="give more characters of the id",
            )
        return self._derive(rows[0])

    def list(self, status: str | None = None) -> list[Proposal]:
        """Every proposal (optionally only those with ``status``), oldest first."""
        return [self._derive(row) for row in self._index().with_status(status)]

    def _index(self) -> ProposalIndex:
        return load_index(self.store, self.policy().refs.audit)

    def _derive(self, row: IndexRow) -> Proposal:
        entries = [decode_audit(self.store.commit(c).message) for c in row.entries]
        try:
            derived = fold(None, entries)
        except RecordError as err:
            raise GitgateError(
                f"the journal's entries about {row.id} do not fit together: {err}",
                hint="run `gitgate audit verify`",
            ) from err
        assert derived is not None
        return derived

    # -- deciding --------------------------------------------------------------------------

    def approve(
        self, proposal_id: str, *, actor: str | None = None, commit: str | None = None
    ) -> Decision:
        """Approve a proposal: merge it into its target (``executed``) or record ``failed``.

        A command proposal is run first (once) in a temporary worktree; its file changes are
        what gets merged. With ``commit``, the approval binds to what was reviewed: it is
        refused unless the proposal is exactly that commit (a full id, or a prefix of 7+).

        Raises:
            NotAnApprover / SelfApproval / AlreadyDecided / UnknownProposal / StaleProposal.
        """
        who = self.resolve_actor(actor)
        if commit is not None:
            self._check_reviewed_commit(proposal_id, commit)
        if self.get(proposal_id).kind == "command":
            return self._approve_command(proposal_id, who)
        return self._retry(lambda: self._approve_once(proposal_id, who))

    def _check_reviewed_commit(self, proposal_id: str, commit: str) -> None:
        proposal = self.get(proposal_id)
        wanted = commit.strip().lower()
        if len(wanted) < 7 or not proposal.commit.startswith(wanted):
            raise StaleProposal(
                f"{proposal.id} is commit {proposal.commit[:12]}, not the reviewed {wanted[:12]}",
                hint=f"review it again (`gitgate show {proposal.id}`) and approve that commit",
            )

    def _approve_once(self, proposal_id: str, who: str) -> Decision:
        ctx, proposal = self._authorise(proposal_id, who)
        return self._record_decision(ctx, proposal, who, self._merge_outcome(ctx, proposal))

    def _approve_command(self, proposal_id: str, who: str) -> Decision:
        self.complete()
        ctx, proposal = self._authorise(proposal_id, who)
        ran = self._run_approved_command(ctx, proposal)

        def attempt() -> Decision:
            now_ctx, now_proposal = self._authorise(proposal_id, who)
            outcome = self._carry_outcome(ctx.tip, now_ctx.tip, ran)
            return self._record_decision(now_ctx, now_proposal, who, outcome)

        return self._retry(attempt)

    def _authorise(self, proposal_id: str, who: str) -> tuple[Context, Proposal]:
        """Everything that must hold before an approval: the rules of the policy."""
        proposal = self.get(proposal_id)
        ctx = self.context(proposal.target)
        self._check_decidable(ctx, proposal)
        if not ctx.policy.is_approver(who):
            raise NotAnApprover(
                f"{who} is not an approver of {ctx.branch}",
                hint="approvers: " + (", ".join(ctx.policy.approvers) or "(none in the policy)"),
            )
        if ctx.policy.same_identity(who, proposal.requester):
            raise SelfApproval(
                f"{who} requested {proposal.id} and cannot approve it",
                hint="another approver must review it",
            )
        self._check_proposal_commit(ctx, proposal)
        return ctx, proposal

    def _merge_outcome(self, ctx: Context, proposal: Proposal) -> Outcome:
        from gitgate.commands import Outcome

        if ctx.tip == proposal.base:
            return Outcome(tree=self.store.commit(proposal.commit).tree)
        merged = self.store.merge_trees(ctx.tip, proposal.commit)
        if merged.tree is not None:
            return Outcome(tree=merged.tree)
        return Outcome.failed("merge conflict", conflicts=list(merged.conflicts))

    def _run_approved_command(self, ctx: Context, proposal: Proposal) -> Outcome:
        """Run the command stored in the proposal commit, classified again right before.

        The approval covers the commit, so it covers the command's exact bytes; the policy or
        the rules may have changed since it was proposed, so a command now denied is not run.
        The command runs exactly once: a retry only re-records its result on new tips.
        """
        from gitgate.commands import Outcome, execute_command
        from gitgate.safety.classify import classify_command

        command = command_from_message(self.store.commit(proposal.commit).message)
        if command is None:
            return Outcome.failed("the proposal commit carries no command")
        verdict = classify_command(command, _command_rules(ctx.policy))
        if verdict.decision == "deny":
            return Outcome.failed(f"the command is now refused: {verdict.reason}")
        return execute_command(self.store, ctx.tip, ctx.policy, command)

    def _carry_outcome(self, ran_at: str, tip: str, ran: Outcome) -> Outcome:
        """Move a command's result onto a target that moved while the command ran."""
        from gitgate.commands import Outcome

        if ran.tree is None or ran_at == tip:
            return ran
        result = self.store.create_commit(
            ran.tree, [ran_at], "gitgate: command result\n", actor_identity("gitgate"), _ts()
        )
        merged = self.store.merge_trees(tip, result)
        if merged.tree is None:
            return Outcome.failed("merge conflict", conflicts=list(merged.conflicts), **ran.result)
        return Outcome(tree=merged.tree, result=ran.result)

    def _record_decision(
        self, ctx: Context, proposal: Proposal, who: str, outcome: Outcome
    ) -> Decision:
        now = clock.iso(clock.now())
        approved = AuditEntry(
            seq=0,
            event="approved",
            actor=who,
            time=now,
            proposal=proposal.id,
            commits={"proposal": proposal.commit, "target": ctx.branch},
        )
        if outcome.tree is None:
            entry = AuditEntry(
                seq=0,
                event="failed",
                actor=who,
                time=now,
                proposal=proposal.id,
                details={"result": _redacted_dict(outcome.result)},
                commits={"proposal": proposal.commit, "target": ctx.branch},
            )
            self._commit(ctx.policy, who, [approved, entry])
            return Decision(fold(proposal, [approved, entry]) or proposal)
        merge = self.store.create_commit(
            outcome.tree,
            [ctx.tip, proposal.commit],
            _merge_message(proposal, who),
            actor_identity(who),
            _ts(),
        )
        result = {**_redacted_dict(outcome.result), "merge": merge, "target": ctx.branch}
        entry = AuditEntry(
            seq=0,
            event="executed",
            actor=who,
            time=now,
            proposal=proposal.id,
            details={"result": result},
            commits={
                "proposal": proposal.commit,
                "merge": merge,
                "target": ctx.branch,
                "target_before": ctx.tip,
            },
        )
        self.store.begin_checkout_move(ctx.branch, ctx.tip)
        self._commit(ctx.policy, who, [approved, entry])
        warning = self.store.sync_checkout(ctx.branch, ctx.tip, merge)
        self.store.end_checkout_move()
        return Decision(
            fold(proposal, [approved, entry]) or proposal, (warning,) if warning else ()
        )

    def reject(self, proposal_id: str, reason: str, *, actor: str | None = None) -> Proposal:
        """Reject a proposal with a reason (an approver, or its requester withdrawing it)."""
        who = self.resolve_actor(actor)
        if not reason.strip():
            raise GitgateError("a reason is required to reject", hint="pass --reason TEXT")
        return self._retry(lambda: self._reject_once(proposal_id, reason, who))

    def _reject_once(self, proposal_id: str, reason: str, who: str) -> Proposal:
        proposal = self.get(proposal_id)
        ctx = self.context(proposal.target)
        self._check_decidable(ctx, proposal)
        if not (ctx.policy.is_approver(who) or ctx.policy.same_identity(who, proposal.requester)):
            raise NotAnApprover(
                f"{who} may not reject {proposal.id}",
                hint="only an approver, or the requester withdrawing it, can reject",
            )
        now = clock.iso(clock.now())
        clean_reason = redact(reason.strip())
        entry = AuditEntry(
            seq=0,
            event="rejected",
            actor=who,
            time=now,
            proposal=proposal.id,
            details={"reason": clean_reason, "result": {"reason": clean_reason}},
            commits={"proposal": proposal.commit},
        )
        self._commit(ctx.policy, who, [entry])
        return apply_entry(proposal, entry)

    def _check_decidable(self, ctx: Context, proposal: Proposal) -> None:
        if not proposal.is_pending:
            raise AlreadyDecided(
                f"{proposal.id} is already {proposal.status}",
                hint=f"see `gitgate show {proposal.id}`",
            )

    def _check_proposal_commit(self, ctx: Context, proposal: Proposal) -> None:
        """The approval binds to the exact commit proposed: refuse if anything drifted."""
        from gitgate.changes import check_edits, edits_between

        pending = self.store.resolve(ctx.policy.refs.pending(proposal.id))
        if pending != proposal.commit:
            raise GitgateError(
                f"the pending branch of {proposal.id} no longer points at the proposed commit",
                hint="someone rewrote it; reject this proposal and propose again",
            )
        info = self.store.commit(proposal.commit)
        if info.parents != (proposal.base,):
            raise GitgateError(f"proposal commit of {proposal.id} is not on its recorded base")
        if not self.store.is_ancestor(proposal.base, ctx.tip):
            # Merging a commit whose base is not in the target's history would bring every
            # unreviewed ancestor of that base along with it.
            raise GitgateError(
                f"the base of {proposal.id} is not in the history of {ctx.branch}",
                hint="reject it and propose again against the current target",
            )
        base_tree = self.store.commit(proposal.base).tree
        edits = edits_between(self.store, base_tree, info.tree)
        check_edits(self.store, base_tree, edits, ctx.policy, allow_secret=True)

    def review(self, proposal_id: str) -> Review:
        """What an approval of this proposal would merge, computed from its commit.

        The diff summary comes from the commit itself, never from anything stored beside it,
        so what is shown is what ``approve --commit`` binds to.
        """
        proposal = self.get(proposal_id)
        info = self.store.commit(proposal.commit)
        if proposal.kind == "command":
            command = command_from_message(info.message) or ""
            verdict = self.classify(command, proposal.target) if command else None
            preview: dict[str, Any] = {
                "command": redact(command),
                "classification": verdict.decision if verdict else "unknown",
                "reason": verdict.reason if verdict else "the commit carries no command",
            }
        else:
            base_tree = self.store.commit(proposal.base).tree
            preview = _preview(
                self.store.diff_trees(base_tree, info.tree, patch_limit=PREVIEW_CHARS)
            )
        return Review(proposal, proposal.commit, info.tree, preview)

    # -- audit -----------------------------------------------------------------------------

    def audit(self) -> builtins.list[AuditEntry]:
        """The audit log, oldest first."""
        tip = self.store.resolve(self.policy().refs.audit)
        return [logged.entry for logged in read_log(self.store, tip)]

    def verify_audit(self) -> VerifyReport:
        """Replay the journal and check every ref and note against it (journal.verify)."""
        from gitgate.journal.verify import verify_repository

        return verify_repository(self.store, self.policy())

    def doctor(self, *, dry_run: bool = False) -> DoctorReport:
        """Report and repair: half-done decisions, stale locks, orphan refs, stale notes."""
        from gitgate.journal.doctor import run_doctor

        return run_doctor(self.store, self.policy(), dry_run=dry_run)

    # -- export ----------------------------------------------------------------------------

    def export(
        self,
        proposal_id: str,
        dest: str | os.PathLike[str] | None = None,
        *,
        actor: str | None = None,
        progress: Progress | None = None,
    ) -> ExportResult:
        """Write the offline-review bundle of a proposal in any state (export.bundle)."""
        from gitgate.export.bundle import export_proposal

        return export_proposal(self, proposal_id, dest, actor=actor, progress=progress)

    def record_export(self, proposal: Proposal, checksum: str, actor: str | None = None) -> None:
        """Append an ``exported`` entry (who exported which bundle) to the audit log."""
        who = self.resolve_actor(actor)
        policy = self.policy()
        entry = AuditEntry(
            seq=0,
            event="exported",
            actor=who,
            time=clock.iso(clock.now()),
            proposal=proposal.id,
            details={"bundle_sha256": checksum},
            commits={"proposal": proposal.commit},
        )

        self._retry(lambda: self._commit(policy, who, [entry]))


def _with_implied_refs(entry: AuditEntry, policy: Policy) -> AuditEntry:
    implied = implied_refs(entry, policy.refs)
    return entry if implied is None else dataclasses.replace(entry, refs=implied)


def _ts() -> int:
    return int(clock.now().timestamp())


def _file_mode(existing: TreeEntry | None, executable: bool | None) -> int:
    if executable is not None:
        return 0o100755 if executable else MODE_BLOB
    if existing is not None and existing.mode == 0o100755:
        return 0o100755
    return MODE_BLOB


def _normalise_user_path(path: str) -> str:
    # Users type "./src/x.py"; git trees hold "src/x.py". Anything stranger goes to the policy.
    cleaned = path
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    return cleaned


def _redacted_dict(data: dict[str, Any]) -> dict[str, Any]:
    result = redact_data(data)
    assert isinstance(result, dict)
    return result


def _preview(diff: TreeDiff) -> dict[str, Any]:
    return {
        "diffstat": redact(diff.stat),
        "diff": redact(diff.patch),
        "truncated": diff.truncated,
        "files": len(diff.files),
        "insertions": diff.insertions,
        "deletions": diff.deletions,
    }


# Notes and audit entries must stay small whatever the proposal's size (a note over
# records.MAX_RECORD_BYTES is refused as hostile): past these counts only totals are kept;
# the full list is always in the proposal commit itself.
MAX_NOTED_FILES = 500
MAX_LISTED_PATHS = 200


def _path_summary(edits: dict[str, TreeEntry | None]) -> dict[str, Any]:
    paths = sorted(edits)
    summary: dict[str, Any] = {"paths": paths[:MAX_LISTED_PATHS]}
    if len(paths) > MAX_LISTED_PATHS:
        summary["paths_total"] = len(paths)
    return summary


def _changed_files(diff: TreeDiff) -> tuple[ChangedFile, ...]:
    return tuple(
        ChangedFile(
            path=redact(f.path),
            change=f.change,
            old_path=redact(f.old_path) if f.old_path else None,
            mode=f.mode or None,
        )
        for f in diff.files[:MAX_NOTED_FILES]
    )


def _summary(kind: str, message: str, diff: TreeDiff) -> str:
    first = message.strip().splitlines()[0] if message.strip() else ""
    if first:
        return redact(first)[:120]
    paths = [f.path for f in diff.files]
    shown = ", ".join(paths[:3]) + (f" (+{len(paths) - 3} more)" if len(paths) > 3 else "")
    return redact(f"{kind} {shown}")[:120]


def _proposal_message(
    pid: str, kind: str, message: str, who: str, title: str, command: str | None
) -> str:
    rest = message.strip().split("\n", 1)
    body = redact(rest[1].strip()) if len(rest) > 1 else ""
    # A body line that looks like one of gitgate's trailers is quoted, so it can never be
    # mistaken for one (the command trailer decides what an approval runs).
    body = "\n".join("> " + ln if ln.startswith("Gitgate-") else ln for ln in body.splitlines())
    parts = [f"gitgate proposal: {title.replace(chr(10), ' ')}"]
    if body:
        parts.append(body)
    trailers = f"Gitgate-Proposal: {pid}\nGitgate-Kind: {kind}\nRequested-by: {redact(who)}"
    if command is not None:
        trailers += "\n" + command_trailer(command)
    parts.append(trailers)
    return "\n\n".join(parts) + "\n"


_TOOL_RE = re.compile(r"[A-Za-z0-9_.:/-]{1,64}")
MAX_MESSAGE = 65_536


def _check_tool_and_message(tool: str, message: str) -> None:
    if not _TOOL_RE.fullmatch(tool):
        raise GitgateError(
            f"invalid tool name {tool[:80]!r}",
            hint="1 to 64 characters of letters, digits and _ . : / -",
        )
    if len(message) > MAX_MESSAGE:
        raise GitgateError(f"the message is longer than {MAX_MESSAGE} characters")


def _command_rules(policy: Policy) -> CommandRules:
    from gitgate.safety.classify import rules_for

    return rules_for(policy)


def _refuse_secret_in_command(command: str) -> None:
    kinds = sorted({f.kind for f in find_secrets(command)})
    if kinds:
        raise SecretDetected(
            "the command contains what looks like a secret: " + ", ".join(kinds),
            hint="gitgate stores commands in its metadata; pass secrets through the "
            "environment of an approved script instead",
        )


def _merge_message(proposal: Proposal, who: str) -> str:
    subject = proposal.message.strip().splitlines()[0] if proposal.message.strip() else ""
    subject = subject or f"{proposal.kind} " + ", ".join(f.path for f in proposal.changed_files[:3])
    return (
        f"Merge gitgate proposal {proposal.id}: {subject[:100]}\n\n"
        f"Gitgate-Proposal: {proposal.id}\n"
        f"Gitgate-Commit: {proposal.commit}\n"
        f"Requested-by: {proposal.requester}\n"
        f"Approved-by: {who}\n"
    )


def _sha256(data: bytes) -> str:
    import hashlib  # here: ~5 ms to import (OpenSSL), and `list`/`show` never hash

    return hashlib.sha256(data).hexdigest()
