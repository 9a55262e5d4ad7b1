"""The gated agent tools, over the public Gate API, for one fixed agent identity.

This is what ``gitgate mcp`` serves, kept free of MCP so that it reads (and is tested) as plain
gitgate: each tool either returns a :class:`ToolOutput` (a one-line summary and a JSON object)
or raises :class:`~gitgate.errors.GitgateError` with the same message and hint the CLI prints.

What an agent can do here is exactly what the seed's Developer AI may do: propose changes
(which wait for a human), run allowed diagnostics, follow its proposals, read the target
branch. Nothing here approves, rejects or changes the policy, and the actor is fixed when the
tools are made: no argument of any tool names an identity.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gitgate.errors import CommandDenied, GitgateError, UnsafePath
from gitgate.ids import ID_LENGTH
from gitgate.journal.records import STATUSES, Proposal
from gitgate.policy import same_identity_in
from gitgate.safety.pathpolicy import check_path
from gitgate.safety.redaction import redact, redact_data
from gitgate.workflow import Context, Gate

# How much an agent gets back in one result: enough to work with, bounded so that a huge file
# or diff cannot flood the model's context or the pipe.
MAX_READ_BYTES = 256 * 1024
MAX_DIFF_CHARS = 64 * 1024
MAX_LIST_NAMES = 5000
BINARY_SNIFF = 8000
_MODE_TYPES = {0o100644: "file", 0o100755: "file", 0o120000: "symlink", 0o160000: "submodule"}
_REF_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")
_SUMMARY_FILES = 3


class ApproverIdentity(GitgateError):
    """The agent's identity is an approver's: an agent must never hold one."""

    code = "approver-identity"


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a tool returns: a one-line summary for people and the data for machines.

    Both are redacted by :meth:`AgentTools.call`, the one way results leave this module.
    """

    summary: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AgentTools:
    """The agent tools of one repository, for one actor, proposing to one target.

    Make it with :meth:`start`, which refuses an approver's identity. Every call opens the
    repository afresh (about half a millisecond), so calls may run on several threads at once
    and always see the current tips; concurrent writers are the Gate's business (its refs move
    by compare-and-swap).
    """

    repo: str
    actor: str
    target: str | None = None

    @classmethod
    def start(cls, repo: str, actor: str, target: str | None = None) -> AgentTools:
        """Check the repository, the target and the identity, and fix them for every call.

        Raises:
            GitgateError: no usable repository, policy or target, or a malformed identity.
            ApproverIdentity: ``actor`` is an approver in the policy.
        """
        gate = Gate(repo)
        tools = cls(repo=repo, actor=gate.resolve_actor(actor), target=target)
        tools._guard(gate)
        return tools

    # -- the boundary ------------------------------------------------------------------------

    def call(self, tool: Callable[[Gate], ToolOutput]) -> ToolOutput:
        """Run one tool on a fresh Gate and redact what it returns.

        The identity is checked again on every call: if the policy made the agent an approver
        after the server started, every tool refuses from then on.
        """
        gate = Gate(self.repo)
        self._guard(gate)
        out = tool(gate)
        data = redact_data(out.data)
        assert isinstance(data, dict)
        return ToolOutput(one_line(redact(out.summary)), data)

    def _guard(self, gate: Gate) -> Context:
        ctx = gate.context(self.target)
        policies = {ctx.branch: ctx.policy}
        home = gate.home_branch()
        if home not in policies:
            policies[home] = gate.policy()
        for branch, policy in policies.items():
            # Conservative on purpose: an agent's identity may not even be a case variant of
            # an approver's (a forge that folds case would make them one account).
            if same_identity_in(self.actor, policy.approvers, case_insensitive=True):
                raise ApproverIdentity(
                    f"{self.actor} is an approver in the policy on {branch}: "
                    "an agent must not hold an approver's identity",
                    hint="start `gitgate mcp` with the agent's own identity (--actor "
                    "agent@…); approvers decide with `gitgate approve` / `gitgate reject`",
                )
        return ctx

    # -- proposing ----------------------------------------------------------------------------

    def apply_patch(self, patch: str, message: str = "") -> ToolOutput:
        """Propose a unified diff."""
        return self.call(
            lambda gate: proposed(
                gate.propose_patch(
                    patch,
                    target=self.target,
                    message=message,
                    tool="apply_patch",
                    actor=self.actor,
                )
            )
        )

    def write_file(self, path: str, content: str, message: str = "") -> ToolOutput:
        """Propose writing a file (created or replaced)."""
        return self.call(
            lambda gate: proposed(
                gate.propose_write(
                    path,
                    content,
                    target=self.target,
                    message=message,
                    tool="write_file",
                    actor=self.actor,
                )
            )
        )

    def create_file(self, path: str, content: str, message: str = "") -> ToolOutput:
        """Propose creating a new file."""
        return self.call(
            lambda gate: proposed(
                gate.propose_create(
                    path,
                    content,
                    target=self.target,
                    message=message,
                    tool="create_file",
                    actor=self.actor,
                )
            )
        )

    def delete_file(self, path: str, message: str = "") -> ToolOutput:
        """Propose deleting a file."""
        return self.call(
            lambda gate: proposed(
                gate.propose_delete(
                    path,
                    target=self.target,
                    message=message,
                    tool="delete_file",
                    actor=self.actor,
                )
            )
        )

    def run_command(self, command: str) -> ToolOutput:
        """Run an allowed diagnostic now, propose a command that needs approval, refuse deny.

        Raises:
            CommandDenied: the command is classified ``deny`` (audited as ``command.denied``).
        """
        return self.call(lambda gate: self._run(gate, command))

    def _run(self, gate: Gate, command: str) -> ToolOutput:
        if not command.strip():
            raise GitgateError("no command given", hint="give a shell command, e.g. `git status`")
        report = gate.run(command, actor=self.actor, target=self.target)
        verdict = report.verdict
        if verdict.decision == "deny":
            # The message and hint of `gitgate propose command` for the same refusal.
            raise CommandDenied(
                f"command refused: {verdict.reason}",
                hint="this command is never run through gitgate (see `gitgate classify`)",
            )
        if report.proposal is not None:
            p = report.proposal
            return ToolOutput(
                f"needs approval ({verdict.reason}): proposal {p.id} is pending; the command "
                "does not run until a human approves it; follow it with get_proposal",
                {"decision": "approve", "id": p.id, "status": p.status, "reason": verdict.reason},
            )
        state = "timed out" if report.timed_out else f"exit {report.exit_code}"
        return ToolOutput(
            f"ran now ({verdict.reason}): {state}, {len(report.output)} characters of output",
            {
                "decision": "allow",
                "exit_code": report.exit_code,
                "output": report.output,
                "timed_out": report.timed_out,
                "reason": verdict.reason,
            },
        )

    # -- following proposals --------------------------------------------------------------------

    def get_proposal(self, proposal_id: str) -> ToolOutput:
        """One proposal by id or unique prefix, with its diff (redacted, bounded)."""

        def show(gate: Gate) -> ToolOutput:
            p = gate.get(proposal_id)
            data = proposal_detail(gate, p)
            return ToolOutput(f"proposal {p.id}: {p.status} ({p.kind}) {p.message}", data)

        return self.call(show)

    def list_proposals(self, status: str | None = None) -> ToolOutput:
        """Proposals, oldest first, optionally only those with ``status``."""
        if status is not None and status not in STATUSES:
            raise GitgateError(f"unknown status {status!r}", hint="one of: " + ", ".join(STATUSES))

        def listing(gate: Gate) -> ToolOutput:
            found = gate.list(status=status)
            rows = [
                {"id": p.id, "status": p.status, "kind": p.kind, "message": p.message}
                for p in found
            ]
            counts = ", ".join(
                f"{sum(1 for p in found if p.status == s)} {s}"
                for s in STATUSES
                if any(p.status == s for p in found)
            )
            what = f"{status} proposals" if status else "proposals"
            return ToolOutput(
                f"{len(rows)} {what}" + (f" ({counts})" if counts else ""), {"result": rows}
            )

        return self.call(listing)

    # -- reading the target --------------------------------------------------------------------

    def read_file(self, path: str, ref: str | None = None) -> ToolOutput:
        """The content of a file at the target's tip (or ``ref``), redacted and bounded.

        Raises:
            UnsafePath: the path is unsafe or sensitive (never shown to an agent).
        """

        def read(gate: Gate) -> ToolOutput:
            clean = _clean_path(path)
            if not clean:
                raise GitgateError("no path given", hint="name a file, e.g. README.md")
            ctx = gate.context(self.target)
            _refuse_hidden(clean, ctx, is_dir=False)
            label, commit = _resolve_ref(gate, ctx, ref)
            entry = gate.store.tree_entry(gate.store.commit(commit).tree, clean)
            if entry is None or entry.mode in (0o040000, 0o160000):
                raise GitgateError(
                    f"{clean!r} is not a file on {label}",
                    hint="see what is there with list_files",
                )
            return _file_output(gate, clean, label, commit, entry.mode, entry.oid)

        return self.call(read)

    def list_files(self, path: str | None = None, ref: str | None = None) -> ToolOutput:
        """Every file under a directory at the target's tip (or ``ref``), as paths from the top.

        The paths are what read_file takes. Sensitive and unsafe paths are left out (only
        counted); the list stops at :data:`MAX_LIST_NAMES`.
        """

        def listing(gate: Gate) -> ToolOutput:
            clean = _clean_path(path or "")
            ctx = gate.context(self.target)
            if clean:
                _refuse_hidden(clean, ctx, is_dir=True)
            label, commit = _resolve_ref(gate, ctx, ref)
            tree = gate.store.commit(commit).tree
            if clean:
                entry = gate.store.tree_entry(tree, clean)
                if entry is None or entry.mode != 0o040000:
                    raise GitgateError(
                        f"{clean!r} is not a directory on {label}",
                        hint="list its parent directory with list_files",
                    )
                tree = entry.oid
            found = _files_under(gate, tree, clean, ctx)
            where = clean or "the repository"
            notes = [f"{found.omitted} sensitive or unsafe left out"] if found.omitted else []
            if found.truncated:
                notes.append(f"stopped at {MAX_LIST_NAMES}: list a subdirectory")
            return ToolOutput(
                f"{len(found.entries)} files under {where} on {label}"
                + (f" ({'; '.join(notes)})" if notes else ""),
                {
                    "path": clean,
                    "ref": label,
                    "commit": commit,
                    "names": [e["path"] for e in found.entries],
                    "entries": found.entries,
                    "omitted": found.omitted,
                    "truncated": found.truncated,
                },
            )

        return self.call(listing)

    # -- resources -------------------------------------------------------------------------------

    def audit_log(self) -> list[dict[str, Any]]:
        """The audit log, oldest first (entries are stored redacted; redacted again here)."""

        def read(gate: Gate) -> ToolOutput:
            return ToolOutput("", {"entries": [e.to_dict() for e in gate.audit()]})

        out = self.call(read)
        entries = out.data["entries"]
        assert isinstance(entries, list)
        return entries


# -- helpers ---------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """``text`` on one line (a summary never spans lines, whatever a message holds)."""
    return " ".join(text.split())


def proposed(p: Proposal) -> ToolOutput:
    """The result of a propose tool: the id to follow and the files it would change."""
    files = [f.path for f in p.changed_files]
    shown = ", ".join(files[:_SUMMARY_FILES]) + (" …" if len(files) > _SUMMARY_FILES else "")
    return ToolOutput(
        f"proposal {p.id} is {p.status} ({p.kind} {shown}): nothing is applied until a human "
        "approves it; follow it with get_proposal",
        {"id": p.id, "status": p.status, "files": files},
    )


def proposal_detail(gate: Gate, p: Proposal) -> dict[str, Any]:
    """What get_proposal and the proposal resource show: the note's fields and the diff."""
    diff, truncated = _diff(gate, p)
    data: dict[str, Any] = {
        "id": p.id,
        "status": p.status,
        "kind": p.kind,
        "message": p.message,
        "files": [f.path for f in p.changed_files],
        "result": p.result,
        "target": p.target,
        "requester": p.requester,
        "created_at": p.created_at,
        "commit": p.commit,
        "diff": diff,
        "diff_truncated": truncated,
    }
    if p.kind == "command":
        data["command"] = str(p.arguments.get("command", ""))
    return data


def _diff(gate: Gate, p: Proposal) -> tuple[str, bool]:
    if p.kind == "command":
        return "", False
    raw = gate.store.diff_text(p.base, p.commit, binary=False).decode("utf-8", "replace")
    if len(raw) <= MAX_DIFF_CHARS:
        return raw, False
    return raw[:MAX_DIFF_CHARS], True


def _clean_path(path: str) -> str:
    # Agents write "./src/x.py" or "src/" like people do; git trees hold "src/x.py". Anything
    # stranger ("/etc", "a/../b", ".git/config") is left for the path policy to refuse.
    cleaned = path.strip()
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    if cleaned in (".", ""):
        return ""
    return cleaned[:-1] if cleaned.endswith("/") and not cleaned.endswith("//") else cleaned


def _refuse_hidden(path: str, ctx: Context, *, is_dir: bool) -> None:
    verdict = check_path(path + "/" if is_dir else path, extra_sensitive=ctx.policy.sensitive_paths)
    if not verdict.safe:
        raise UnsafePath(
            f"unsafe path {path!r}: {verdict.reason}",
            hint="gitgate never shows this path to an agent; see `gitgate check-path`",
        )


def _resolve_ref(gate: Gate, ctx: Context, ref: str | None) -> tuple[str, str]:
    """(label, commit) of what to read: the target's tip, a branch, or a proposal's commit."""
    if ref is None or not ref.strip() or ref.strip() == ctx.branch:
        return ctx.branch, ctx.tip
    name = ref.strip()
    if _REF_RE.fullmatch(name) and ".." not in name and not name.endswith((".lock", "/")):
        tip = gate.store.resolve(f"refs/heads/{name}")
        if tip is not None:
            return name, tip
    if 4 <= len(name) <= ID_LENGTH:
        try:
            p = gate.get(name)
        except GitgateError:
            pass
        else:
            return f"proposal {p.id}", p.commit
    raise GitgateError(
        f"unknown ref {name[:100]!r}",
        hint="give a branch name or a proposal id (or leave ref out for the target's tip)",
    )


def _file_output(gate: Gate, path: str, label: str, commit: str, mode: int, oid: str) -> ToolOutput:
    size = gate.store.blob_size(oid)
    data = gate.store.read_blob(oid)[:MAX_READ_BYTES] if size else b""
    binary = b"\0" in data[:BINARY_SNIFF]
    kind = "symlink" if mode == 0o120000 else "file"
    text = "" if binary else data.decode("utf-8", "replace")
    truncated = size > MAX_READ_BYTES and not binary
    cleaned = redact(text)
    if binary:
        summary = f"{path} on {label}: binary file of {size} bytes, content not shown"
    else:
        more = f", first {MAX_READ_BYTES} bytes shown" if truncated else ""
        secret = ", secrets redacted" if cleaned != text else ""
        summary = f"{path} on {label}: {kind} of {size} bytes{more}{secret}"
    return ToolOutput(
        summary,
        {
            "path": path,
            "ref": label,
            "commit": commit,
            "type": kind,
            "size": size,
            "binary": binary,
            "truncated": truncated,
            "redacted": cleaned != text,
            "content": cleaned,
        },
    )


@dataclass(frozen=True, slots=True)
class _Listing:
    """The files an agent may see under a directory, and how many were left out."""

    entries: list[dict[str, str]]
    omitted: int
    truncated: bool


def _files_under(gate: Gate, tree: str, prefix: str, ctx: Context) -> _Listing:
    """The files an agent may see under ``tree`` (path order), and how many were left out."""
    entries: list[dict[str, str]] = []
    omitted = 0
    base = f"{prefix}/" if prefix else ""
    for path, entry in gate.store.iter_tree(tree, base):
        if len(entries) == MAX_LIST_NAMES:
            return _Listing(entries, omitted, True)
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            omitted += 1  # not a name the path policy can judge: not shown
            continue
        if not check_path(path, extra_sensitive=ctx.policy.sensitive_paths).safe:
            omitted += 1
            continue
        entries.append({"path": path, "type": _MODE_TYPES.get(entry.mode, "other")})
    return _Listing(entries, omitted, False)
