"""Building blocks shared by the attack suites: pushes that must be refused, forged records.

Every attack asserts two things: the push is refused with the hook's reason, and the
server's refs did not change (:func:`refused`).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from conftest import World
from gitgate.journal.audit import append_entries
from gitgate.journal.records import AuditEntry, encode_audit
from gitgate.workflow import Gate
from gitutil import run_git

PENDING = "refs/heads/gitgate/pending/"
AUDIT = "refs/gitgate/audit"
NOTES = "refs/notes/gitgate"
TOKEN = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0" + "4N2q2A"  # valid CRC32: a real-format token


def refused(world: World, name: str, *refspecs: str, user: str | None = "") -> list[str]:
    """Push, insist it is refused and that the server did not change; return the hook lines."""
    before = world.server_refs()
    pushed = world.push(name, *refspecs, user=user)
    assert pushed.code != 0, pushed.stderr
    assert world.server_refs() == before
    assert pushed.refused_lines, pushed.stderr
    return pushed.refused_lines


def accepted(world: World, name: str, *refspecs: str, user: str | None = "") -> None:
    """Push and insist it went through."""
    pushed = world.push(name, *refspecs, user=user)
    assert pushed.code == 0, pushed.stderr


def propose(world: World, name: str, path: str, content: str) -> str:
    """``gitgate propose write PATH --push`` from a clone; the new proposal's id."""
    src = world.root / f"{name}-{secrets.token_hex(4)}"
    src.write_text(content)
    return world.gitgate(name, "propose", "write", path, "--from", str(src), "--push").ok()


def rev(world: World, name: str, revision: str) -> str:
    """A revision in a clone, as a full commit id."""
    return run_git(world.clone(name), "rev-parse", revision).strip()


def server_policy(world: World) -> str:
    """The policy text on the server's main."""
    return run_git(world.server, "show", "main:.gitgate.toml")


def land_policy(world: World, text: str) -> None:
    """Change the server's policy the legitimate way: agent proposes, alice approves."""
    pid = propose(world, "agent", ".gitgate.toml", text)
    world.gitgate("alice", "approve", pid, "--push").ok()
    assert server_policy(world) == text
    for name in ("agent", "agent2", "alice", "bob", "mallory"):
        world.gitgate(name, "fetch").ok()


def append_forged(world: World, name: str, *entries: AuditEntry, when: int = 1_800_000_000) -> str:
    """Append entries to a clone's audit log, skipping gitgate's checks; return the new tip."""
    world.gitgate(name, "fetch").ok()
    store = Gate(world.clone(name)).store
    tip = store.resolve(AUDIT)
    return append_entries(store, tip, list(entries), when=when)


def append_raw(world: World, name: str, body: dict[str, object]) -> str:
    """Append one entry whose JSON body is exactly ``body`` (any keys); return the new tip."""
    world.gitgate(name, "fetch").ok()
    clone = world.clone(name)
    tip = run_git(clone, "rev-parse", AUDIT).strip()
    entry = AuditEntry(seq=1, event="init", actor="x", time="2026-01-01T00:00:00Z")
    subject = encode_audit(entry).split("\n", 1)[0]
    message = subject + "\n\n" + json.dumps(body, sort_keys=True, indent=1) + "\n"
    empty = run_git(clone, "hash-object", "-t", "tree", "-w", "/dev/null").strip()
    return run_git(clone, "commit-tree", empty, "-p", tip, "-m", message).strip()


def next_seq(world: World, name: str) -> int:
    """The sequence number the next entry of a clone's (fetched) log takes."""
    world.gitgate(name, "fetch").ok()
    return len(Gate(world.clone(name)).audit()) + 1


def disable_hook(server: Path) -> Path:
    """Move the hook aside (to emulate data that reached the server before the hook)."""
    active, parked = server / "hooks/pre-receive", server / "hooks/pre-receive.off"
    active.rename(parked)
    return parked


def enable_hook(server: Path) -> None:
    """Put the hook back after :func:`disable_hook`."""
    (server / "hooks/pre-receive.off").rename(server / "hooks/pre-receive")
