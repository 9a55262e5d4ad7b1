"""Attacks on a server guarded by the hook: each is refused with its reason, refs unchanged.

gitgate's own commands refuse to do these things, so the forgeries are built with gitgate's
internals (a decision recorded without its checks) or with git plumbing.
"""

from __future__ import annotations

import secrets

import pytest

from conftest import AGENT2, MALLORY, World
from gitgate.commands import Outcome
from gitgate.store.gitstore import MODE_BLOB, TreeEntry
from gitgate.workflow import Gate
from gitutil import AGENT, APPROVER, APPROVER2, run_git


def _propose(world: World, name: str, path: str, content: str) -> str:
    src = world.root / f"{name}-{secrets.token_hex(4)}"
    src.write_text(content)
    return world.gitgate(name, "propose", "write", path, "--from", str(src), "--push").ok()


def _forge_decision(
    world: World, name: str, pid: str, who: str, *, tree: str | None = None
) -> Gate:
    """Record an approval as ``who`` in a clone, skipping every check gitgate makes."""
    world.gitgate(name, "fetch").ok()
    gate = Gate(world.clone(name))
    proposal = gate.get(pid)
    ctx = gate.context(proposal.target)
    outcome = Outcome(tree=tree or gate.store.commit(proposal.commit).tree)
    gate._record_decision(ctx, proposal, who, outcome)
    return gate


def _decision_refspecs(pid: str) -> list[str]:
    return [
        "main",
        "refs/gitgate/audit",
        "refs/notes/gitgate",
        f":refs/heads/gitgate/pending/{pid}",
    ]


def _refused(world: World, name: str, *refspecs: str, user: str | None = "") -> list[str]:
    """Push, insist it is refused and that the server did not change; return the reasons."""
    before = world.server_refs()
    pushed = world.push(name, *refspecs, user=user)
    assert pushed.code != 0, pushed.stderr
    assert world.server_refs() == before
    assert pushed.refused_lines, pushed.stderr
    return pushed.refused_lines


def _commit_tree(world: World, name: str, files: dict[str, bytes], parent: str) -> str:
    """A commit on ``parent`` adding ``files`` (any path, even ones git porcelain refuses)."""
    gate = Gate(world.clone(name))
    store = gate.store
    edits = {p: TreeEntry(MODE_BLOB, store.write_blob(data)) for p, data in files.items()}
    tree = store.update_tree(store.commit(parent).tree, edits)
    return run_git(world.clone(name), "commit-tree", tree, "-p", parent, "-m", "sneaky").strip()


def _commit_raw(world: World, name: str, path: str, data: bytes, parent: str) -> str:
    """Like :func:`_commit_tree` for a path libgit2 will not write (``.git/...``): mktree."""
    clone = world.clone(name)
    *dirs, leaf = path.split("/")
    oid = run_git(clone, "hash-object", "-w", "--stdin", input=data).strip()
    entry = f"100644 blob {oid}\t{leaf}\n"
    for directory in reversed(dirs):
        oid = run_git(clone, "mktree", input=entry).strip()
        entry = f"040000 tree {oid}\t{directory}\n"
    top = run_git(clone, "ls-tree", parent) + entry
    tree = run_git(clone, "mktree", input=top).strip()
    return run_git(clone, "commit-tree", tree, "-p", parent, "-m", "sneaky").strip()


def _main(world: World, name: str) -> str:
    return run_git(world.clone(name), "rev-parse", "main").strip()


def test_direct_push_to_main(world: World) -> None:
    run_git(world.clone("mallory"), "commit", "-q", "--allow-empty", "-m", "direct")
    lines = _refused(world, "mallory", "main")
    assert lines[0].startswith("gitgate: refused refs/heads/main: commit ")
    assert lines[0].endswith("on main is not an approved gitgate merge")
    assert lines[1].startswith("gitgate: hint: propose the change")


@pytest.mark.parametrize("side_length", [1, 70])
def test_old_tip_only_as_a_second_parent(world: World, side_length: int) -> None:
    # main's old tip is merged in, but the first-parent line runs down a side line of
    # commits to the root: main would not be a fast-forward of itself. A side line longer
    # than the hook's short-line step (64) makes it bound the line by a walk.
    clone = world.clone("alice")
    old = _main(world, "alice")
    tree = run_git(clone, "rev-parse", "main^{tree}").strip()
    side = run_git(clone, "commit-tree", tree, "-m", "side root").strip()
    for i in range(side_length - 1):
        side = run_git(clone, "commit-tree", tree, "-p", side, "-m", f"side {i}").strip()
    merge = run_git(clone, "commit-tree", tree, "-p", side, "-p", old, "-m", "merge").strip()
    lines = _refused(world, "alice", f"{merge}:refs/heads/main")
    assert "the old tip of main is not on the first-parent line of the new one" in lines[0]


def test_direct_push_by_an_approver(world: World) -> None:
    run_git(world.clone("alice"), "commit", "-q", "--allow-empty", "-m", "direct")
    lines = _refused(world, "alice", "main")
    assert "is not an approved gitgate merge" in lines[0]


def test_non_approver_pushes_a_merge_with_a_forged_audit_entry(world: World) -> None:
    pid = _propose(world, "agent", "docs/a.md", "a\n")
    _forge_decision(world, "mallory", pid, MALLORY)
    lines = _refused(world, "mallory", *_decision_refspecs(pid))
    assert any(f"(approved): {MALLORY} is not an approver of main" in line for line in lines), lines


def test_approval_entry_naming_someone_else(world: World) -> None:
    pid = _propose(world, "agent", "docs/a.md", "a\n")
    _forge_decision(world, "mallory", pid, APPROVER)
    lines = _refused(world, "mallory", *_decision_refspecs(pid))
    assert any(
        f"names {APPROVER} as its actor, but {MALLORY} is pushing" in line for line in lines
    ), lines


def test_approver_cannot_push_someone_elses_approval(world: World) -> None:
    pid = _propose(world, "agent", "docs/a.md", "a\n")
    _forge_decision(world, "bob", pid, APPROVER)  # bob carries alice's (forged) approval
    lines = _refused(world, "bob", *_decision_refspecs(pid))
    assert any(f"names {APPROVER} as its actor, but {APPROVER2}" in line for line in lines)


def test_self_approval(world: World) -> None:
    pid = _propose(world, "alice", "docs/a.md", "a\n")
    _forge_decision(world, "alice", pid, APPROVER)
    lines = _refused(world, "alice", *_decision_refspecs(pid))
    assert any(f"{APPROVER} requested {pid} and cannot approve it" in line for line in lines)


def test_rewriting_the_audit_log(world: World) -> None:
    _propose(world, "agent", "docs/a.md", "a\n")
    clone = world.clone("mallory")
    world.gitgate("mallory", "fetch").ok()
    tip = run_git(clone, "rev-parse", "refs/gitgate/audit").strip()
    # Drop the last entry: point the log at its parent, with one new entry of our own.
    message = run_git(clone, "log", "-1", "--format=%B", tip)
    empty = run_git(clone, "hash-object", "-t", "tree", "-w", "/dev/null").strip()
    forged = run_git(
        clone, "commit-tree", empty, "-p", f"{tip}~1", "-m", message.replace("agent@", "x@")
    ).strip()
    lines = _refused(world, "mallory", f"+{forged}:refs/gitgate/audit")
    assert lines[0] == (
        "gitgate: refused refs/gitgate/audit: the audit log only fast-forwards "
        "(this push rewrites it)"
    )


def test_deleting_the_audit_log_notes_or_main(world: World) -> None:
    for ref, reason in [
        ("refs/gitgate/audit", "the audit log is never deleted"),
        ("refs/notes/gitgate", "the notes ref is never deleted"),
        ("refs/heads/main", "main is protected and is never deleted"),
    ]:
        lines = _refused(world, "alice", f":{ref}")
        assert lines[0] == f"gitgate: refused {ref}: {reason}"


def test_note_flipped_to_executed_without_an_entry(world: World) -> None:
    pid = _propose(world, "agent", "docs/a.md", "a\n")
    gate = Gate(world.clone("agent"))
    proposal = gate.get(pid).with_status("executed", "2026-01-01T00:00:00Z", APPROVER)
    from gitgate.journal.audit import actor_identity
    from gitgate.journal.records import encode_proposal

    notes = gate.store.resolve("refs/notes/gitgate")
    forged = gate.store.write_notes(
        notes,
        {proposal.commit: encode_proposal(proposal)},
        message="flip\n",
        who=actor_identity(AGENT),
        when=0,
    )
    lines = _refused(world, "agent", f"{forged}:refs/notes/gitgate")
    assert lines[0] == (
        f"gitgate: refused refs/notes/gitgate: the note of {pid} changes without an audit "
        "entry recording it"
    )


def test_merge_of_a_commit_other_than_the_approved_one(world: World) -> None:
    pid = _propose(world, "agent", "docs/a.md", "a\n")
    world.gitgate("bob", "fetch").ok()
    gate = Gate(world.clone("bob"))
    gate.approve(pid, actor=APPROVER2)  # a real approval, locally
    store = gate.store
    merge = store.resolve("refs/heads/main")
    assert merge is not None
    info = store.commit(merge)
    # Swap in a commit that also adds an unreviewed file, under the same message.
    other = _commit_tree(
        world, "bob", {"docs/a.md": b"a\n", "evil.sh": b"rm -rf /\n"}, info.parents[0]
    )
    swapped = run_git(
        world.clone("bob"),
        "commit-tree",
        store.commit(other).tree,
        "-p",
        info.parents[0],
        "-p",
        other,
        "-m",
        info.message,
    ).strip()
    run_git(world.clone("bob"), "update-ref", "refs/heads/main", swapped, merge)
    lines = _refused(world, "bob", *_decision_refspecs(pid))
    assert (
        f"gitgate: refused refs/heads/main: commit {swapped[:12]} on main is not an "
        "approved gitgate merge" in lines
    )


def test_merge_tree_with_more_than_the_approved_change(world: World) -> None:
    pid = _propose(world, "agent", "docs/a.md", "a\n")
    world.gitgate("bob", "fetch").ok()
    store = Gate(world.clone("bob")).store
    proposal_tree = store.commit(store.resolve(f"refs/heads/gitgate/pending/{pid}") or "").tree
    extra = store.update_tree(
        proposal_tree, {"evil.sh": TreeEntry(MODE_BLOB, store.write_blob(b"rm -rf /\n"))}
    )
    _forge_decision(world, "bob", pid, APPROVER2, tree=extra)
    lines = _refused(world, "bob", *_decision_refspecs(pid))
    assert f"gitgate: refused refs/heads/main: the merge of {pid} is not the approved tree" in lines


def test_policy_change_merged_without_approval(world: World) -> None:
    policy = run_git(world.clone("agent"), "show", "main:.gitgate.toml")
    widened = policy.replace(f'"{APPROVER2}"', f'"{APPROVER2}", "{AGENT2}"')
    assert widened != policy
    pid = _propose(world, "agent", ".gitgate.toml", widened)
    # A fast-forward of main onto the proposal commit, with no approval at all:
    commit = run_git(world.clone("agent"), "rev-parse", f"refs/heads/gitgate/pending/{pid}").strip()
    lines = _refused(world, "agent", f"{commit}:refs/heads/main")
    assert lines[0] == (
        f"gitgate: refused refs/heads/main: {pid} has no approval of commit {commit[:12]} "
        "in the audit log"
    )
    # agent2, named approver by the very change it approves, is judged by the OLD policy:
    _forge_decision(world, "agent2", pid, AGENT2)
    lines = _refused(world, "agent2", *_decision_refspecs(pid))
    assert any(f"{AGENT2} is not an approver of main" in line for line in lines), lines


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        (
            {
                "config/settings.txt": (
                    "token = ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0" + "4N2q2A\n"
                ).encode()
            },
            "adds what looks like a secret: config/settings.txt:1: github-token",
        ),
        ({".git/hooks/post-checkout": b"#!/bin/sh\ncurl evil\n"}, "unsafe path '.git/hooks/"),
    ],
    ids=["secret", "dot-git-path"],
)
def test_pending_branch_push_protection(world: World, files: dict[str, bytes], reason: str) -> None:
    ((path, data),) = files.items()
    commit = _commit_raw(world, "mallory", path, data, _main(world, "mallory"))
    lines = _refused(world, "mallory", f"{commit}:refs/heads/gitgate/pending/abcdefghjk")
    assert lines[0].startswith(
        f"gitgate: refused refs/heads/gitgate/pending/abcdefghjk: commit {commit[:12]}"
    )
    assert reason in lines[0], lines


def test_pending_branch_with_a_tree_nested_thousands_deep(world: World) -> None:
    """A tree 1,500 directories deep: refused with a reason, not a crash of the hook."""
    path = "/".join(["d"] * 1500) + "/leaf.txt"
    commit = _commit_raw(world, "mallory", path, b"deep\n", _main(world, "mallory"))
    lines = _refused(world, "mallory", f"{commit}:refs/heads/gitgate/pending/abcdefghjk")
    assert "1501 directories deep (limit 256)" in lines[0], lines


def test_pending_branch_deep_in_a_long_branch_is_scanned(world: World) -> None:
    base = _main(world, "mallory")
    bad = _commit_tree(world, "mallory", {"k.txt": b"AKIAQ3EGHT5KLMNWPZ7R\n"}, base)
    tip = _commit_tree(world, "mallory", {"ok.txt": b"fine\n"}, bad)
    lines = _refused(world, "mallory", f"{tip}:refs/heads/gitgate/pending/abcdefghjk")
    assert f"commit {bad[:12]} adds what looks like a secret" in lines[0]


def test_pending_branch_must_grow_from_the_target(world: World) -> None:
    clone = world.clone("mallory")
    empty = run_git(clone, "hash-object", "-t", "tree", "-w", "/dev/null").strip()
    root = run_git(clone, "commit-tree", empty, "-m", "orphan").strip()
    lines = _refused(world, "mallory", f"{root}:refs/heads/gitgate/pending/abcdefghjk")
    assert "has no parent: a pending branch grows from main" in lines[0]


def test_deleting_someone_elses_pending_branch(world: World) -> None:
    pid = _propose(world, "agent", "docs/a.md", "a\n")
    lines = _refused(world, "mallory", f":refs/heads/gitgate/pending/{pid}")
    assert lines[0] == (
        f"gitgate: refused refs/heads/gitgate/pending/{pid}: only the requester of {pid} or "
        "an approver may move or delete it"
    )


def test_no_identity(world: World) -> None:
    world.gitgate("agent", "propose", "create", "docs/x.md").ok()  # local only, not pushed
    gate = Gate(world.clone("agent"))
    pid = gate.list()[-1].id
    lines = _refused(
        world,
        "agent",
        f"refs/heads/gitgate/pending/{pid}",
        "refs/notes/gitgate",
        "refs/gitgate/audit",
        user=None,
    )
    assert (
        "gitgate: refused refs/gitgate/audit: the pusher's identity is unknown, so gitgate "
        "refs cannot be checked" in lines
    )
    assert len([ln for ln in lines if "identity is unknown" in ln]) == 3


def test_one_refused_ref_refuses_the_whole_push(world: World) -> None:
    pending = "refs/heads/gitgate/pending/abcdefghjk"
    lines = _refused(world, "mallory", f"main:{pending}", ":refs/gitgate/audit")
    assert lines == [
        "gitgate: refused refs/gitgate/audit: the audit log is never deleted",
        "gitgate: hint: it is append-only",
        f"gitgate: refused {pending}: refused with the rest of this push (judged as a unit)",
    ]
