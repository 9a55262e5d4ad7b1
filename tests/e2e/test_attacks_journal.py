"""Attacks on the journal rule: a push is admitted only when every governed ref and note it
changes is exactly what its new audit entries imply. Each attack is a real push into the bare
server with the hook; each must be refused with the server unchanged."""

from __future__ import annotations

import json
import secrets

from conftest import World
from gitgate.workflow import Gate
from gitutil import APPROVER, run_git


def _propose(world: World, name: str, path: str, content: str) -> str:
    src = world.root / f"{name}-{secrets.token_hex(4)}"
    src.write_text(content)
    return world.gitgate(name, "propose", "write", path, "--from", str(src), "--push").ok()


def _refused(world: World, name: str, *refspecs: str) -> list[str]:
    before = world.server_refs()
    pushed = world.push(name, *refspecs, "--force")
    assert pushed.code != 0, pushed.stderr
    assert world.server_refs() == before
    assert pushed.refused_lines, pushed.stderr
    return pushed.refused_lines


def _rewrite_note(world: World, name: str, commit: str, change: dict[str, object]) -> None:
    clone = world.clone(name)
    note = json.loads(run_git(clone, "notes", "--ref=refs/notes/gitgate", "show", commit))
    note.update(change)
    path = world.root / f"note-{secrets.token_hex(4)}.json"
    path.write_text(json.dumps(note, sort_keys=True, indent=1) + "\n")
    run_git(clone, "notes", "--ref=refs/notes/gitgate", "add", "-f", "-F", str(path), commit)


def _fetched(world: World, name: str, pid: str) -> str:
    world.gitgate(name, "fetch").ok()
    return run_git(world.clone(name), "rev-parse", f"refs/heads/gitgate/pending/{pid}").strip()


def test_rewriting_someone_elses_note_is_refused(world: World) -> None:
    pid = _propose(world, "agent", "docs/a.md", "a\n")
    commit = _fetched(world, "mallory", pid)
    for change in ({"requester": "mallory@example.com"}, {"message": "harmless"}):
        _rewrite_note(world, "mallory", commit, change)
        assert _refused(world, "mallory", "refs/notes/gitgate")


def test_swapping_a_command_in_the_note_changes_nothing_that_runs(world: World) -> None:
    gate = Gate(world.clone("agent"))
    proposal = gate.propose_command("echo safe > out.txt", actor="agent@example.com")
    world.push(
        "agent",
        "refs/gitgate/audit",
        "refs/notes/gitgate",
        f"refs/heads/gitgate/pending/{proposal.id}",
    )
    commit = _fetched(world, "mallory", proposal.id)
    args = {**proposal.arguments, "command": "echo pwned > out.txt"}
    _rewrite_note(world, "mallory", commit, {"arguments": args})
    _refused(world, "mallory", "refs/notes/gitgate")
    # even a note forged in the approver's own clone is not what approve runs
    world.gitgate("alice", "fetch").ok()
    _rewrite_note(world, "alice", commit, {"arguments": args})
    world.gitgate("alice", "approve", proposal.id, "--push").ok()
    assert run_git(world.server, "show", "main:out.txt") == "safe\n"


def test_moving_or_deleting_someone_elses_pending_branch(world: World) -> None:
    pid = _propose(world, "agent", "docs/b.md", "b\n")
    commit = _fetched(world, "mallory", pid)
    other = run_git(
        world.clone("mallory"),
        "commit-tree",
        f"{commit}^{{tree}}",
        "-p",
        f"{commit}^",
        "-m",
        "swapped",
    ).strip()
    _refused(world, "mallory", f"{other}:refs/heads/gitgate/pending/{pid}")
    lines = _refused(world, "mallory", f":refs/heads/gitgate/pending/{pid}")
    assert lines


def test_reviving_a_rejected_proposal(world: World) -> None:
    pid = _propose(world, "agent", "docs/c.md", "c\n")
    world.gitgate("alice", "fetch").ok()
    world.gitgate("alice", "reject", pid, "-r", "no", "--push").ok()
    commit = run_git(world.server, "rev-parse", f"refs/gitgate/archive/{pid}").strip()
    world.gitgate("mallory", "fetch").ok()
    _rewrite_note(world, "mallory", commit, {"status": "pending"})
    _refused(world, "mallory", "refs/notes/gitgate", f"{commit}:refs/heads/gitgate/pending/{pid}")


def test_squatting_an_archive_ref(world: World) -> None:
    pid = _propose(world, "agent", "docs/d.md", "d\n")
    commit = _fetched(world, "mallory", pid)
    _refused(world, "mallory", f"{commit}:refs/gitgate/archive/{pid}")
    # and the real rejection still goes through afterwards
    world.gitgate("alice", "fetch").ok()
    world.gitgate("alice", "reject", pid, "-r", "no", "--push").ok()


def test_a_proposed_entry_reusing_an_id(world: World) -> None:
    first = _propose(world, "agent", "docs/e.md", "e\n")
    world.gitgate("alice", "fetch").ok()
    world.gitgate("alice", "approve", first, "--push").ok()
    # mallory proposes again under the executed proposal's id
    world.gitgate("mallory", "fetch").ok()
    gate = Gate(world.clone("mallory"))
    gate._fresh_id = lambda policy: first  # type: ignore[method-assign]
    gate.propose_write("docs/f.md", "f\n", actor="mallory@example.com")
    lines = _refused(
        world,
        "mallory",
        "refs/gitgate/audit",
        "refs/notes/gitgate",
        f"refs/heads/gitgate/pending/{first}",
    )
    assert any("was used before" in line for line in lines), lines


def test_entries_without_their_ref_moves(world: World) -> None:
    pid = _propose(world, "agent", "docs/g.md", "g\n")
    world.gitgate("alice", "fetch").ok()
    Gate(world.clone("alice")).approve(pid, actor=APPROVER)
    # the approval's entries and note, but main and the pending branch left where they were
    assert _refused(world, "alice", "refs/gitgate/audit", "refs/notes/gitgate")
