"""The legitimate flow through the deny-by-default hook: everything gitgate does still passes.

Propose, approve, reject and withdraw across clones; a policy change by proposal (new
approver, allowed refs, a case-insensitive forge); an export and gated commands whose entries
are pushed; and at the end ``audit verify`` on the server is clean.
"""

from __future__ import annotations

import json

from attack_helpers import AUDIT, accepted, land_policy, propose, refused, server_policy

from conftest import AGENT2, World
from gitgate.workflow import Gate
from gitutil import APPROVER, APPROVER2, gitgate_subprocess, run_git


def _verify(world: World) -> None:
    proc = gitgate_subprocess(world.server, "audit", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _statuses(world: World) -> dict[str, str]:
    proc = gitgate_subprocess(world.server, "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return {p["id"]: p["status"] for p in json.loads(proc.stdout)}


def test_propose_approve_reject_withdraw(world: World) -> None:
    p1 = propose(world, "agent", "docs/one.md", "one\n")
    p2 = propose(world, "agent2", "docs/two.md", "two\n")
    p3 = propose(world, "agent", "docs/three.md", "three\n")
    assert world.gitgate("alice", "approve", p1, "--push").ok().startswith(f"{p1} executed")
    world.gitgate("bob", "reject", p2, "--reason", "not now", "--push").ok()
    world.gitgate("agent", "reject", p3, "--reason", "wrong file", "--push").ok()
    assert _statuses(world) == {p1: "executed", p2: "rejected", p3: "rejected"}
    assert run_git(world.server, "show", "main:docs/one.md") == "one\n"
    refs = world.server_refs()
    assert f"refs/gitgate/archive/{p2}" in refs and f"refs/gitgate/archive/{p3}" in refs
    _verify(world)


def test_policy_change_by_proposal_then_it_governs(world: World) -> None:
    text = server_policy(world)
    widened = text.replace(f'    "{APPROVER2}",\n', f'    "{APPROVER2}",\n    "{AGENT2}",\n')
    widened = widened.replace("allow_refs = []", 'allow_refs = [\n    "refs/heads/feature/*",\n]')
    assert widened.count(AGENT2) == 1 and "feature/*" in widened
    land_policy(world, widened)
    # The new approver approves; the newly allowed refs pass.
    pid = propose(world, "agent", "docs/new.md", "new\n")
    world.gitgate("agent2", "approve", pid, "--push").ok()
    accepted(world, "mallory", "main:refs/heads/feature/x", user=None)
    refused(world, "mallory", "main:refs/heads/other", user=None)
    _verify(world)


def test_a_case_insensitive_forge_declared_in_the_policy(world: World) -> None:
    text = server_policy(world)
    land_policy(
        world,
        text.replace("case_insensitive_identities = false", "case_insensitive_identities = true"),
    )
    pid = propose(world, "agent", "docs/new.md", "new\n")
    # The forge reports alice's account in upper case; her clone writes entries in lower case.
    out = world.gitgate("alice", "approve", pid, "--push", user="ALICE@EXAMPLE.COM")
    assert out.code == 0, out.stderr
    assert _statuses(world)[pid] == "executed"
    _verify(world)


def test_exports_and_gated_commands_push_their_entries(world: World) -> None:
    pid = propose(world, "agent", "docs/new.md", "new\n")
    bundle = world.root / "review.tar.gz"
    world.gitgate("alice", "fetch").ok()
    world.gitgate("alice", "export", pid, "-o", str(bundle)).ok()
    world.gitgate("alice", "run", "--", "ls").ok()
    out = world.gitgate("alice", "run", "--", "rm", "-rf", "/")
    assert out.code != 0 or "deny" in out.stdout
    events = [e.event for e in Gate(world.clone("alice")).audit()]
    assert events[-3:] == ["exported", "command.auto", "command.denied"], events
    accepted(world, "alice", AUDIT, user=APPROVER)
    assert world.server_refs()[AUDIT] == run_git(world.clone("alice"), "rev-parse", AUDIT).strip()
    _verify(world)
