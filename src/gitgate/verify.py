"""``gitgate audit verify``: the audit log, the notes and the protected branches must agree.

Checks, each reported as one line naming the inconsistency:

* the chain: linear, empty trees, well-formed entries, sequence 1, 2, 3… from an ``init``;
* every proposal note has its ``proposed`` entry, and its status is the one the log last set;
* every ``executed`` entry names a merge that exists, is a gitgate merge of that very proposal
  commit, and is on its target branch;
* every commit on a protected branch since gitgate was set up is a gitgate merge recorded by an
  ``executed`` entry, or a policy commit recorded by ``init``/``policy``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitgate.audit import LoggedEntry, check_chain
from gitgate.policy import Policy
from gitgate.records import STATUS_EVENTS, Proposal

if TYPE_CHECKING:
    from gitgate.workflow import Gate, VerifyReport

TRAILER = "Gitgate-Proposal: "


def verify_repository(gate: Gate, policy: Policy) -> VerifyReport:
    """Run every check and collect the problems."""
    from gitgate.workflow import VerifyReport

    store = gate.store
    entries, problems = check_chain(store, store.resolve(policy.refs.audit))
    proposals = list(gate.list())
    problems += _check_notes(entries, proposals)
    problems += _check_executed(gate, entries, proposals)
    problems += _check_branches(gate, policy, entries)
    return VerifyReport(entries=len(entries), proposals=len(proposals), problems=tuple(problems))


def _last_status(entries: list[LoggedEntry]) -> dict[str, str]:
    status: dict[str, str] = {}
    for logged in entries:
        entry = logged.entry
        if entry.proposal and entry.event in STATUS_EVENTS:
            status[entry.proposal] = STATUS_EVENTS[entry.event]
    return status


def _check_notes(entries: list[LoggedEntry], proposals: list[Proposal]) -> list[str]:
    problems: list[str] = []
    logged = _last_status(entries)
    noted = {p.id: p for p in proposals}
    for proposal in proposals:
        expected = logged.get(proposal.id)
        if expected is None:
            problems.append(f"proposal {proposal.id} has a note but no audit entry")
        elif expected != proposal.status:
            problems.append(
                f"proposal {proposal.id}: note says {proposal.status}, audit log says {expected}"
            )
    for pid in sorted(set(logged) - set(noted)):
        problems.append(f"proposal {pid} is in the audit log but has no note")
    return problems


def _check_executed(gate: Gate, entries: list[LoggedEntry], proposals: list[Proposal]) -> list[str]:
    store = gate.store
    problems: list[str] = []
    by_id = {p.id: p for p in proposals}
    for logged in entries:
        entry = logged.entry
        if entry.event != "executed" or not entry.proposal:
            continue
        merge = entry.commits.get("merge", "")
        target = entry.commits.get("target", "")
        proposal = by_id.get(entry.proposal)
        if not merge or not store.has_object(merge):
            problems.append(f"executed entry #{entry.seq} names a merge that does not exist")
            continue
        info = store.commit(merge)
        if proposal is not None and (len(info.parents) != 2 or info.parents[1] != proposal.commit):
            problems.append(
                f"merge {merge[:12]} of {entry.proposal} does not merge the proposed commit"
            )
        if TRAILER + entry.proposal not in info.message:
            problems.append(f"merge {merge[:12]} lacks its Gitgate-Proposal trailer")
        tip = store.resolve(f"refs/heads/{target}")
        if tip is None or not store.is_ancestor(merge, tip):
            problems.append(f"merge {merge[:12]} of {entry.proposal} is not on {target!r}")
    return problems


def _check_branches(gate: Gate, policy: Policy, entries: list[LoggedEntry]) -> list[str]:
    store = gate.store
    merges = {e.entry.commits.get("merge"): e.entry for e in entries if e.entry.event == "executed"}
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
