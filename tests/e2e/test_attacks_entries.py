"""Audit entries, messages and identities (issue 9, class 6).

Entries pushed into the permanent log must be well-formed for their event, bounded, free of
secrets and truthfully dated; pushed commit messages carry no secrets; identities compare
exactly as the forge supplies them. Each attack is a real push; the server does not change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from attack_helpers import (
    AUDIT,
    PENDING,
    TOKEN,
    append_forged,
    append_raw,
    next_seq,
    propose,
    refused,
    rev,
)

from conftest import MALLORY, World
from gitgate import clock
from gitgate.commands import Outcome
from gitgate.journal.records import AuditEntry
from gitgate.workflow import Gate
from gitutil import APPROVER, run_git


def _now(offset: timedelta = timedelta()) -> str:
    return clock.iso(datetime.now(UTC) + offset)


def _entry(world: World, event: str, **fields: object) -> AuditEntry:
    base: dict[str, object] = {
        "seq": next_seq(world, "mallory"),
        "event": event,
        "actor": MALLORY,
        "time": _now(),
    }
    base.update(fields)
    return AuditEntry(**base)  # type: ignore[arg-type]


def _push_entry(world: World, entry: AuditEntry, name: str = "mallory") -> list[str]:
    tip = append_forged(world, name, entry)
    return refused(world, name, f"{tip}:{AUDIT}")


def test_a_token_in_a_free_form_entry(world: World) -> None:
    entry = _entry(
        world,
        "command.denied",
        details={"command": f"curl -H 'Authorization: token {TOKEN}' https://x", "reason": "x"},
    )
    lines = _push_entry(world, entry)
    assert lines[0] == (
        f"gitgate: refused {AUDIT}: audit entry #{entry.seq} (command.denied) holds what looks "
        "like a secret: github-token"
    ), lines


def test_900_kb_of_junk(world: World) -> None:
    entry = _entry(
        world,
        "command.auto",
        details={"command": "ls", "exit_code": 0, "timed_out": False, "output": "A" * 900_000},
    )
    lines = _push_entry(world, entry)
    assert f"audit entry #{entry.seq} (command.auto) is refused: it is " in lines[0], lines
    assert "bytes long (limit 98304)" in lines[0], lines


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (timedelta(days=-400), "is before the previous entry's"),
        (timedelta(hours=1), "is ahead of the server's clock"),
    ],
    ids=["back-dated", "future"],
)
def test_entry_times_must_be_true(world: World, offset: timedelta, reason: str) -> None:
    entry = _entry(
        world,
        "command.auto",
        time=_now(offset),
        details={"command": "ls", "exit_code": 0, "timed_out": False, "output": ""},
    )
    lines = _push_entry(world, entry)
    assert reason in lines[0], lines


def test_malformed_time(world: World) -> None:
    entry = _entry(
        world,
        "command.denied",
        time="yesterday",
        details={"command": "rm -rf /", "reason": "x"},
    )
    assert "its time 'yesterday' is not YYYY-MM-DDTHH:MM:SSZ" in _push_entry(world, entry)[0]


@pytest.mark.parametrize(
    ("event", "fields", "reason"),
    [
        (
            "command.auto",
            {"details": {"command": "rm -rf /", "exit_code": 0, "timed_out": False, "output": ""}},
            "records a command the policy classifies 'deny', not 'allow'",
        ),
        (
            "command.denied",
            {"details": {"command": "ls", "reason": "dangerous"}},
            "records a command the policy classifies 'allow', not 'deny'",
        ),
        (
            "exported",
            {
                "proposal": "abcdefghjk",
                "details": {"bundle_sha256": "0" * 64},
                "commits": {"proposal": "1" * 40},
            },
            "(exported) names no proposal commit of abcdefghjk",
        ),
    ],
    ids=["auto-ran-a-denied-command", "denied-an-allowed-command", "exported-nothing"],
)
def test_false_claims(world: World, event: str, fields: dict[str, object], reason: str) -> None:
    lines = _push_entry(world, _entry(world, event, **fields))
    assert reason in lines[0], lines


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"details": {"command": "ls", "reason": "x", "note": "hi"}},
            "details hold the unknown field 'note'",
        ),
        ({"details": {"command": "ls"}}, "details lack 'reason'"),
        ({"details": {"command": 7, "reason": "x"}}, "details.command is not a string"),
        (
            {"details": {"command": "x" * 5000, "reason": "x"}},
            "details.command is not a string of at most",
        ),
        (
            {"proposal": "abcdefghjk", "details": {"command": "ls", "reason": "x"}},
            "it may not name a proposal",
        ),
        (
            {"commits": {"merge": "1" * 40}, "details": {"command": "ls", "reason": "x"}},
            "commits hold unknown 'merge'",
        ),
        ({"actor": MALLORY + " ", "details": {"command": "ls", "reason": "x"}}, "its actor"),
    ],
    ids=[
        "unknown-detail",
        "missing-detail",
        "wrong-type",
        "too-long",
        "proposal",
        "commits",
        "actor",
    ],
)
def test_entries_are_well_formed_for_their_event(
    world: World, fields: dict[str, object], reason: str
) -> None:
    lines = _push_entry(world, _entry(world, "command.denied", **fields))
    assert reason in lines[0], lines


def test_unknown_top_level_field(world: World) -> None:
    body = {
        "schema": "gitgate.audit/1",
        "seq": next_seq(world, "mallory"),
        "event": "command.denied",
        "actor": MALLORY,
        "time": _now(),
        "details": {"command": "rm -rf /", "reason": "x"},
        "commits": {},
        "proposal": None,
        "approved_by_everyone": True,
    }
    tip = append_raw(world, "mallory", body)
    lines = refused(world, "mallory", f"{tip}:{AUDIT}")
    assert "unknown field 'approved_by_everyone'" in lines[0], lines


def test_approved_entry_for_a_made_up_target(world: World) -> None:
    pid = propose(world, "agent", "docs/a.md", "a\n")
    world.gitgate("alice", "fetch").ok()
    commit = rev(world, "alice", f"{PENDING}{pid}")
    entry = AuditEntry(
        seq=next_seq(world, "alice"),
        event="approved",
        actor=APPROVER,
        time=_now(),
        proposal=pid,
        commits={"proposal": commit, "target": "nowhere"},
    )
    lines = _push_entry(world, entry, "alice")
    assert "its target 'nowhere' is not a protected branch" in lines[0], lines


def test_a_secret_in_a_pending_commit_message(world: World) -> None:
    clone = world.clone("mallory")
    main = rev(world, "mallory", "main")
    sneaky = run_git(
        clone, "commit-tree", f"{main}^{{tree}}", "-p", main, "-m", f"deploy with {TOKEN}"
    ).strip()
    lines = refused(world, "mallory", f"{sneaky}:{PENDING}abcdefghjk")
    assert lines[0] == (
        f"gitgate: refused {PENDING}abcdefghjk: the message of commit {sneaky[:12]} holds what "
        "looks like a secret: github-token"
    ), lines


def test_an_overlong_pending_commit_message(world: World) -> None:
    clone = world.clone("mallory")
    main = rev(world, "mallory", "main")
    sneaky = run_git(
        clone, "commit-tree", f"{main}^{{tree}}", "-p", main, "-m", "x" * 100_000
    ).strip()
    lines = refused(world, "mallory", f"{sneaky}:{PENDING}abcdefghjk")
    assert f"the message of commit {sneaky[:12]} is longer than 72000" in lines[0], lines


# -- identities -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "problem"),
    [
        (" " + APPROVER, "it has surrounding whitespace"),
        (APPROVER + " ", "it has surrounding whitespace"),
        (APPROVER + "\u200b", "it holds the non-printable character U+200B"),
        ("alice\u00a0@example.com", "it holds the non-printable character U+00A0"),
    ],
)
def test_identities_with_whitespace_or_invisible_characters(
    world: World, user: str, problem: str
) -> None:
    pid = propose(world, "agent", "docs/a.md", "a\n")
    world.gitgate("alice", "fetch").ok()
    Gate(world.clone("alice")).approve(pid, actor=APPROVER)
    refspecs = ["main", AUDIT, "refs/notes/gitgate", f":{PENDING}{pid}"]
    lines = refused(world, "alice", *refspecs, user=user)
    expected = f"gitgate: refused {AUDIT}: the pusher's identity {user!r} is refused: {problem}"
    assert expected in lines, lines
    assert len([ln for ln in lines if "the pusher's identity" in ln]) == len(refspecs)


@pytest.mark.parametrize("user", ["ALICE@EXAMPLE.COM", "Alice@example.com"])
def test_a_case_variant_of_an_approver_is_someone_else(world: World, user: str) -> None:
    """Two htpasswd accounts, ALICE and alice: only alice is the approver."""
    pid = propose(world, "agent", "docs/a.md", "a\n")
    world.gitgate("alice", "fetch").ok()
    gate = Gate(world.clone("alice"))
    proposal = gate.get(pid)  # recorded as `user`, skipping gitgate's own approver check
    ctx = gate.context(proposal.target)
    gate._record_decision(
        ctx, proposal, user, Outcome(tree=gate.store.commit(proposal.commit).tree)
    )
    refspecs = ["main", AUDIT, "refs/notes/gitgate", f":{PENDING}{pid}"]
    lines = refused(world, "alice", *refspecs, user=user)
    assert any(f"(approved): {user} is not an approver of main" in ln for ln in lines), lines


def test_the_hook_takes_its_time_from_gitgate_clock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Judged in-process with the clock frozen in 2020: an entry of today is in the future."""
    from gitgate.policy import parse_policy
    from gitgate.server import hook
    from gitgate.store.gitstore import GitStore
    from gitutil import freeze_clock

    entry = _entry(world, "command.denied", details={"command": "rm -rf /", "reason": "x"})
    new = append_forged(world, "mallory", entry)
    store = GitStore.open(world.clone("mallory"))
    text = store.read_path(rev(world, "mallory", "origin/main"), ".gitgate.toml")
    assert text is not None
    home = hook.Home("main", parse_policy(text.decode()), text)
    update = hook.Update(rev(world, "mallory", AUDIT), new, AUDIT)
    assert hook.decide(store, [update], MALLORY, home=home) == [hook.Verdict(AUDIT, True)]
    freeze_clock(monkeypatch, "2020-01-01T00:00:00Z")
    (verdict,) = hook.decide(store, [update], MALLORY, home=home)
    assert not verdict.allowed
    assert "is ahead of the server's clock (2020-01-01T00:00:00Z)" in verdict.reason


@pytest.mark.parametrize("header", ["encoding x-no-such-charset", "encoding utf-8"])
def test_an_entry_commit_with_an_odd_encoding_is_refused_not_a_crash(
    world: World, header: str
) -> None:
    """pygit2 raises on a commit whose `encoding` header Python does not know, or whose bytes
    are not what it names: the hook (and every reader) must judge such a commit, not crash."""
    world.gitgate("mallory", "fetch").ok()
    clone = world.clone("mallory")
    tip = rev(world, "mallory", AUDIT)
    tree = run_git(clone, "rev-parse", f"{tip}^{{tree}}").strip()
    raw = (
        f"tree {tree}\nparent {tip}\nauthor m\xff <m@example.com> 1800000000 +0000\n"
        f"committer m <m@example.com> 1800000000 +0000\n{header}\n\n"
    ).encode("latin-1") + b'{"seq": 1, "event": "\xff"}\n'
    odd = run_git(clone, "hash-object", "-t", "commit", "-w", "--stdin", input=raw).strip()
    lines = refused(world, "mallory", f"{odd}:{AUDIT}", user=MALLORY)
    assert not any("internal error" in line for line in lines), lines
