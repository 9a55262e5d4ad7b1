"""The notes tree (issue 9, class 3): the hook and every reader see the same notes.

Only git's ``xx/38`` fan-out, nothing else in the tree, single-parent notes commits, and
every note a valid proposal record. Forgeries are built with git plumbing in a clone.
"""

from __future__ import annotations

import pytest
from attack_helpers import NOTES, TOKEN, propose, refused, rev

from conftest import World
from gitgate.journal.records import decode_proposal, encode_proposal
from gitgate.workflow import Gate
from gitutil import APPROVER, run_git


def _tree_lines(world: World, name: str, tree: str) -> str:
    return run_git(world.clone(name), "ls-tree", tree)


def _mktree(world: World, name: str, listing: str) -> str:
    return run_git(world.clone(name), "mktree", input=listing).strip()


def _blob(world: World, name: str, data: bytes) -> str:
    return run_git(world.clone(name), "hash-object", "-w", "--stdin", input=data).strip()


def _notes_commit(world: World, name: str, tree: str, *parents: str) -> str:
    args = [a for p in parents for a in ("-p", p)]
    return run_git(world.clone(name), "commit-tree", tree, *args, "-m", "notes").strip()


def _setup(world: World, name: str = "mallory") -> tuple[str, str, str]:
    """A pushed proposal by alice; the server's notes tip and its tree, fetched into ``name``."""
    pid = propose(world, "alice", "docs/a.md", "a\n")
    world.gitgate(name, "fetch").ok()
    tip = rev(world, name, NOTES)
    return pid, tip, rev(world, name, f"{tip}^{{tree}}")


def _flat_copy_with_other_requester(world: World, pid: str, tree: str) -> str:
    """The issue's attack: a flat copy of alice's note naming someone else as requester."""
    gate = Gate(world.clone("mallory"))
    proposal = gate.get(pid)
    forged = decode_proposal(encode_proposal(proposal))
    from dataclasses import replace

    blob = _blob(world, "mallory", encode_proposal(replace(forged, requester="agent@example.com")))
    return _tree_lines(world, "mallory", tree) + f"100644 blob {blob}\t{proposal.commit}\n"


def test_flat_copy_of_a_note_is_refused(world: World) -> None:
    pid, tip, tree = _setup(world)
    listing = _flat_copy_with_other_requester(world, pid, tree)
    forged = _notes_commit(world, "mallory", _mktree(world, "mallory", listing), tip)
    for user in ("", APPROVER):
        lines = refused(world, "mallory", f"{forged}:{NOTES}", user=user)
        assert "only two-hex-digit fan-out directories belong" in lines[0], lines


@pytest.mark.parametrize(
    "where",
    ["top-file", "top-dir", "leaf-short-name", "deeper-fanout", "executable", "upper-hex"],
)
def test_notes_tree_layout_is_exact(world: World, where: str) -> None:
    _pid, tip, tree = _setup(world)
    top = _tree_lines(world, "mallory", tree)
    fan_line = top.splitlines()[0]
    fan_name = fan_line.split("\t")[1]
    fan_tree = fan_line.split()[2]
    sub = _tree_lines(world, "mallory", fan_tree)
    note_line = sub.splitlines()[0]
    note_blob, note_name = note_line.split()[2], note_line.split("\t")[1]
    junk = _blob(world, "mallory", b"junk\n")
    if where == "top-file":
        new_top = top + f"100644 blob {junk}\tREADME\n"
    elif where == "top-dir":
        new_top = top + f"040000 tree {fan_tree}\tzz\n"
    else:
        if where == "leaf-short-name":
            new_sub = sub + f"100644 blob {junk}\tabc\n"
        elif where == "deeper-fanout":
            deeper = _mktree(world, "mallory", f"100644 blob {note_blob}\t{note_name[2:]}\n")
            new_sub = sub.replace(note_line + "\n", "") + f"040000 tree {deeper}\t{note_name[:2]}\n"
        elif where == "executable":
            new_sub = sub.replace(note_line, f"100755 blob {note_blob}\t{note_name}")
        else:
            new_sub = sub + f"100644 blob {junk}\t{'A' * 38}\n"
        new_fan = _mktree(world, "mallory", new_sub)
        new_top = top.replace(fan_line, f"040000 tree {new_fan}\t{fan_name}")
    forged = _notes_commit(world, "mallory", _mktree(world, "mallory", new_top), tip)
    lines = refused(world, "mallory", f"{forged}:{NOTES}", user=APPROVER)
    assert "the notes tree holds" in lines[0], lines


def test_notes_merge_commit_is_refused(world: World) -> None:
    _pid, tip, tree = _setup(world)
    other = _notes_commit(world, "mallory", tree)  # a root commit with the same notes
    merge = _notes_commit(world, "mallory", tree, tip, other)
    lines = refused(world, "mallory", f"{merge}:{NOTES}", user=APPROVER)
    assert f"notes commit {merge[:12]} has 2 parents" in lines[0], lines


def test_a_note_that_does_not_decode_is_refused(world: World) -> None:
    _pid, tip, tree = _setup(world)
    main = rev(world, "mallory", "main")
    garbage = _blob(world, "mallory", b'{"schema": "gitgate.proposal/1", "id": 1}')
    top = _tree_lines(world, "mallory", tree)
    sub = _mktree(world, "mallory", f"100644 blob {garbage}\t{main[2:]}\n")
    if f"\t{main[:2]}\n" in top:
        pytest.skip("main's fan-out directory is taken")  # ids are random; practically never
    forged_tree = _mktree(world, "mallory", top + f"040000 tree {sub}\t{main[:2]}\n")
    forged = _notes_commit(world, "mallory", forged_tree, tip)
    lines = refused(world, "mallory", f"{forged}:{NOTES}", user=APPROVER)
    assert lines[0].endswith(f"the note on {main[:12]} is not a valid gitgate proposal"), lines


def test_a_secret_in_a_new_note_is_refused(world: World) -> None:
    """A local proposal whose note is rewritten to carry a token, pushed with its entry."""
    world.gitgate("agent", "propose", "create", "docs/x.md").ok()  # local only
    gate = Gate(world.clone("agent"))
    proposal = gate.list()[-1]
    from dataclasses import replace

    from gitgate.journal.audit import actor_identity

    notes = gate.store.resolve(NOTES)
    parents = gate.store.commit(notes or "").parents
    parent = parents[0] if parents else None  # the first proposal creates the notes ref
    forged = gate.store.write_notes(
        parent,
        {proposal.commit: encode_proposal(replace(proposal, message=f"use {TOKEN}"))},
        message="notes\n",
        who=actor_identity("agent@example.com"),
        when=1_800_000_000,
    )
    lines = refused(
        world,
        "agent",
        f"refs/heads/gitgate/pending/{proposal.id}",
        f"{forged}:{NOTES}",
        "refs/gitgate/audit",
    )
    assert any(
        f"the note of {proposal.id} holds what looks like a secret: github-token" in ln
        for ln in lines
    ), lines
