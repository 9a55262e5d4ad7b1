"""Text for people: how proposals and audit entries look in a terminal. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from gitgate.journal.records import AuditEntry, Proposal
from gitgate.safety.redaction import redact

_STATUS_MARK = {"pending": "…", "executed": "✓", "failed": "✗", "rejected": "-"}


def proposal_line(p: Proposal) -> str:
    """One line of ``gitgate list``."""
    title = (p.message.strip().splitlines() or [_auto_title(p)])[0]
    return (
        f"{p.id}  {p.status:<8}  {p.kind:<7}  {p.target:<12}  {p.requester:<24}  "
        f"{p.created_at}  {redact(title)[:60]}"
    )


def proposal_table(proposals: Sequence[Proposal]) -> str:
    """The whole ``gitgate list`` output."""
    if not proposals:
        return "no proposals"
    header = (
        f"{'ID':<10}  {'STATUS':<8}  {'KIND':<7}  {'TARGET':<12}  {'REQUESTER':<24}  "
        f"{'CREATED':<20}  MESSAGE"
    )
    return "\n".join([header, *(proposal_line(p) for p in proposals)])


def proposal_detail(p: Proposal, *, diff: str | None = None, tree: str | None = None) -> str:
    """``gitgate show`` for people (``tree``: the tree an approval would merge)."""
    lines = [
        f"proposal {p.id}  [{p.status}]",
        f"kind:      {p.kind} (tool {p.tool})",
        f"target:    {p.target} (base {p.base[:12]})",
        f"commit:    {p.commit}",
        f"requester: {p.requester} at {p.created_at}",
    ]
    if tree is not None:
        lines.insert(4, f"tree:      {tree}")
    if p.message:
        lines.append("message:   " + p.message.strip().replace("\n", "\n           "))
    if p.kind == "command":
        command = p.preview.get("command", p.arguments.get("command", ""))
        lines.append(f"command:   {command}")
        verdict = p.preview.get("classification", "")
        lines.append(f"verdict:   {verdict}{': ' if verdict else ''}{p.preview.get('reason', '')}")
    for approval in p.approvals:
        lines.append(f"approved:  by {approval.by} at {approval.at} ({approval.commit[:12]})")
    lines.extend(_result_lines(p))
    lines.append("history:   " + " -> ".join(f"{h.status} ({h.by}, {h.at})" for h in p.history))
    total = int(p.preview.get("files", 0) or 0)
    if total > len(p.changed_files) and p.changed_files:
        noted = len(p.changed_files)
        lines.append(f"files:     {total} changed (the note lists the first {noted})")
    stat = str(p.preview.get("diffstat", "")).rstrip()
    if stat:
        lines += ["", stat]
    if diff is not None:
        lines += ["", redact(diff).rstrip()]
    elif p.preview.get("diff"):
        lines += ["", str(p.preview["diff"]).rstrip()]
        if p.preview.get("truncated"):
            lines.append(f"… preview truncated; `gitgate show {p.id} --diff` shows it all")
    return "\n".join(lines)


def _result_lines(p: Proposal) -> list[str]:
    result = p.result
    out: list[str] = []
    if "merge" in result:
        out.append(f"merged:    {result['merge']} into {result.get('target', p.target)}")
    if "reason" in result:
        out.append(f"reason:    {result['reason']}")
    if "error" in result:
        out.append(f"error:     {result['error']}")
        for path in result.get("conflicts", []):
            out.append(f"conflict:  {path}")
    if "exit_code" in result:
        out.append(f"exit code: {result['exit_code']}")
    if result.get("output"):
        out.append("output:\n" + str(result["output"]).rstrip())
    return out


def _auto_title(p: Proposal) -> str:
    paths = [f.path for f in p.changed_files]
    if p.kind == "command":
        return str(p.arguments.get("command", "command"))
    return f"{p.kind} " + ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "")


def audit_line(entry: AuditEntry) -> str:
    """One line of ``gitgate audit log``."""
    what = f" {entry.proposal}" if entry.proposal else ""
    extra = ""
    if "merge" in entry.commits:
        extra = f" -> {entry.commits['merge'][:12]}"
    elif "reason" in entry.details:
        extra = f": {entry.details['reason']}"
    return redact(f"#{entry.seq:<4} {entry.time}  {entry.event:<14}{what} by {entry.actor}{extra}")
