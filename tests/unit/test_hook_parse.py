"""The hook's pure parts: its input, the pusher's identity, its output, the script it installs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitgate.journal.records import AuditEntry
from gitgate.policy import DEFAULT_IDENTITY_ENV, HookPolicy, Policy
from gitgate.remote import parse_push_porcelain
from gitgate.server.hook import (
    GITLAB_PREFIX,
    HookError,
    Update,
    Verdict,
    format_verdicts,
    is_gitlab,
    parse_updates,
    pusher_from_env,
    ref_kind,
    ref_refusal,
)
from gitgate.server.hookinstall import HOOK_ID, render_script
from gitgate.server.hookrules import entry_problem, is_fanout_name, is_note_name, time_problem

A = "a" * 40
B = "b" * 40
Z = "0" * 40


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{A} {B} refs/heads/main\n", [Update(A, B, "refs/heads/main")]),
        (f"{Z} {B} refs/heads/new\n", [Update(None, B, "refs/heads/new")]),
        (f"{A} {Z} refs/heads/old\n", [Update(A, None, "refs/heads/old")]),
        ("", []),
        ("\n\n", []),
        (
            f"{A} {B} refs/heads/main\n{Z} {A} refs/gitgate/audit",
            [Update(A, B, "refs/heads/main"), Update(None, A, "refs/gitgate/audit")],
        ),
        (f"{'c' * 64} {'0' * 64} refs/tags/v1\n", [Update("c" * 64, None, "refs/tags/v1")]),
    ],
    ids=["update", "create", "delete", "empty", "blank-lines", "several", "sha256"],
)
def test_parse_updates(text: str, expected: list[Update]) -> None:
    assert parse_updates(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{A} {B}\n", "malformed pre-receive input on line 1"),
        (f"{A} {B} refs/heads/main extra\n", "malformed pre-receive input on line 1"),
        (f"{A} nothex refs/heads/main\n", "malformed pre-receive input on line 1"),
        (f"{A.upper()} {B} refs/heads/main\n", "malformed pre-receive input on line 1"),
        (f"{A} {B} HEAD\n", "malformed pre-receive input on line 1"),
        (f"{A}  {B} refs/heads/main\n", "malformed pre-receive input on line 1"),
        (f"{A} {B} refs/x\n{A} {B} refs/x\n", "pre-receive input names refs/x twice"),
    ],
    ids=[
        "two-fields",
        "four-fields",
        "not-hex",
        "upper-case",
        "not-a-ref",
        "double-space",
        "twice",
    ],
)
def test_parse_updates_refuses_malformed_input(text: str, message: str) -> None:
    with pytest.raises(HookError) as err:
        parse_updates(text)
    assert err.value.message.startswith(message)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"REMOTE_USER": "  "}, "  "),  # taken as given; decide() refuses it
        ({"REMOTE_USER": "web"}, "web"),
        ({"REMOTE_USER": "web", "GL_USERNAME": "gitlab-user"}, "gitlab-user"),
        ({"GITEA_PUSHER_NAME": "gitea", "GL_USER": "gitolite"}, "gitea"),
        ({"GL_USERNAME": "", "SOFT_SERVE_USERNAME": " soft "}, " soft "),
        ({"USER": "root"}, None),
    ],
)
def test_pusher_follows_the_policy_order(env: dict[str, str], expected: str | None) -> None:
    assert pusher_from_env(env, DEFAULT_IDENTITY_ENV) == expected


def test_pusher_from_a_custom_variable_list() -> None:
    assert pusher_from_env({"MY_USER": "me", "REMOTE_USER": "x"}, ("MY_USER",)) == "me"
    assert pusher_from_env({"REMOTE_USER": "x"}, ("MY_USER",)) is None


def test_format_verdicts_one_line_per_refused_ref_then_its_hint() -> None:
    verdicts = [
        Verdict("refs/heads/main", False, "not a gitgate merge", "propose it"),
        Verdict("refs/heads/feature", True),
        Verdict("refs/notes/gitgate", False, "refused with the rest of this push"),
    ]
    assert format_verdicts(verdicts) == [
        "gitgate: refused refs/heads/main: not a gitgate merge",
        "gitgate: hint: propose it",
        "gitgate: refused refs/notes/gitgate: refused with the rest of this push",
    ]
    assert all(line.startswith(GITLAB_PREFIX) for line in format_verdicts(verdicts, gitlab=True))
    assert format_verdicts([Verdict("refs/heads/x", True)]) == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"GL_ID": "user-1"}, True),
        ({"GL_USERNAME": "u"}, True),
        ({"GL_ID": ""}, False),
    ],
)
def test_is_gitlab(env: dict[str, str], expected: bool) -> None:
    assert is_gitlab(env) is expected


@pytest.mark.parametrize(
    ("ref", "kind"),
    [
        ("refs/heads/main", "protected"),
        ("refs/heads/release", "protected"),
        ("refs/heads/mainline", "other"),
        ("refs/gitgate/audit", "audit"),
        ("refs/notes/gitgate", "notes"),
        ("refs/notes/commits", "other"),
        ("refs/heads/gitgate/pending/abcdefghjk", "pending"),
        ("refs/gitgate/archive/abcdefghjk", "archive"),
        ("refs/tags/v1", "other"),
    ],
)
def test_ref_kind(ref: str, kind: str) -> None:
    assert ref_kind(Policy(protected=("main", "release")), ref) == kind


def test_render_script_embeds_the_python_quoted_and_the_marker() -> None:
    script = render_script("/opt/my python/bin/python3")
    assert script.startswith("#!/bin/sh\n")
    assert HOOK_ID in script
    assert "GITGATE_PYTHON='/opt/my python/bin/python3'\n" in script
    assert 'exec "$GITGATE_PYTHON" -S -c "$GITGATE_START" "$GITGATE_PATH"\n' in script
    assert "GITGATE_PYTHON=python3\n" in render_script("python3")
    assert "GITGATE_PATH=''\n" in render_script("python3")
    with_path = render_script("python3", ["/opt/my venv/lib/site-packages", "/srv/src"])
    assert "GITGATE_PATH='/opt/my venv/lib/site-packages:/srv/src'\n" in with_path


def test_parse_push_porcelain() -> None:
    out = (
        "To /srv/repo.git\n"
        "!\tHEAD:refs/heads/main\t[rejected] (stale info)\n"
        "!\t(delete):refs/heads/gitgate/pending/x\t[rejected] (atomic push failed)\n"
        "*\tabc:refs/gitgate/audit\t[new reference]\n"
        "Done\n"
    )
    assert parse_push_porcelain(out) == [
        ("!", "HEAD:refs/heads/main", "[rejected] (stale info)"),
        ("!", "(delete):refs/heads/gitgate/pending/x", "[rejected] (atomic push failed)"),
        ("*", "abc:refs/gitgate/audit", "[new reference]"),
    ]


# -- deny by default: names ----------------------------------------------------------------------

POLICY = Policy(protected=("main", "release/1.x"))


@pytest.mark.parametrize(
    ("ref", "refusal"),
    [
        ("refs/heads/main", None),
        ("refs/heads/release/1.x", None),
        ("refs/gitgate/audit", None),
        ("refs/notes/gitgate", None),
        ("refs/heads/gitgate/pending/abcdefghjk", None),
        ("refs/gitgate/archive/abcdefghjk", None),
        ("refs/heads/feature", "the policy allows no pushes to this ref (deny by default)"),
        ("refs/tags/v1", "the policy allows no pushes to this ref (deny by default)"),
        ("refs/replace/" + A, "replace refs change what everyone sees of other commits"),
        ("refs/remotes/origin/main", "remote-tracking refs are not pushed to a gitgate server"),
        ("refs/heads/MAIN", "the name case-folds onto refs/heads/main"),
        ("refs/heads/Release/1.X", "the name case-folds onto refs/heads/release/1.x"),
        (
            "refs/heads/release",
            "the name is a directory of refs/heads/release/1.x (it would block it)",
        ),
        (
            "refs/heads/release/1.x/y",
            "the name nests under refs/heads/release/1.x (it would block it)",
        ),
        ("refs/tags/main", "the name shadows the protected branch main"),
        ("refs/tags/release/1.x", "the name shadows the protected branch release/1.x"),
        ("refs/main", "the name shadows the protected branch main"),
        (
            "refs/gitgate/audit/x",
            "the name nests under refs/gitgate/audit (it would block it)",
        ),
        ("refs/gitgate", "the name is a directory of refs/gitgate/audit (it would block it)"),
        ("refs/notes/gitgate/x", "the name nests under refs/notes/gitgate (it would block it)"),
        ("refs/notes/GITGATE", "the name case-folds onto refs/notes/gitgate"),
        (
            "refs/heads/gitgate/pending",
            "the name would block gitgate's namespace refs/heads/gitgate/pending/",
        ),
        (
            "refs/heads/gitgate",
            "the name would block gitgate's namespace refs/heads/gitgate/pending/",
        ),
        ("refs/gitgate/archive", "the name would block gitgate's namespace refs/gitgate/archive/"),
        (
            "refs/heads/Gitgate/pending/abcdefghjk",
            "the name case-folds into gitgate's namespace refs/heads/gitgate/pending/",
        ),
        ("refs/tags/gitgate/pending/abcdefghjk", "the name shadows gitgate's pending branches"),
        ("refs/heads/a b", "'refs/heads/a b' is not an acceptable ref name"),
        ("refs/heads/x.lock", "'refs/heads/x.lock' is not an acceptable ref name"),
        ("refs/heads/.x", "'refs/heads/.x' is not an acceptable ref name"),
        ("refs/heads/-x", "'refs/heads/-x' is not an acceptable ref name"),
        ("refs/heads/x.", "'refs/heads/x.' is not an acceptable ref name"),
        ("refs/heads/a..b", "'refs/heads/a..b' is not an acceptable ref name"),
        ("refs/heads/a//b", "'refs/heads/a//b' is not an acceptable ref name"),
        ("refs/heads/HEAD", "'refs/heads/HEAD' is not an acceptable ref name"),
        ("refs/heads/x@{1}", "'refs/heads/x@{1}' is not an acceptable ref name"),
        ("refs/heads/caf\u00e9", "'refs/heads/caf\u00e9' is not an acceptable ref name"),
        ("refs/heads/\u212aelvin", "'refs/heads/\u212aelvin' is not an acceptable ref name"),
        ("refs/heads/x\x7f", "'refs/heads/x\\x7f' is not an acceptable ref name"),
        ("refs/" + "x" * 300, "the ref name is longer than 255 characters"),
    ],
)
def test_ref_refusal(ref: str, refusal: str | None) -> None:
    found = ref_refusal(POLICY, ref)
    assert (found[0] if found else None) == refusal


def test_allowed_other_refs_still_refuse_shadows() -> None:
    policy = POLICY.with_changes(
        hook=HookPolicy(other_refs="deny", allow_refs=("refs/tags/*", "refs/heads/**"))
    )
    assert ref_refusal(policy, "refs/tags/v1") is None
    assert ref_refusal(policy, "refs/heads/feature/x") is None
    assert ref_refusal(policy, "refs/tags/main") is not None
    assert ref_refusal(policy, "refs/heads/MAIN") is not None
    assert ref_refusal(policy, "refs/heads/gitgate") is not None
    assert ref_refusal(policy, "refs/replace/" + A) is not None
    wide = POLICY.with_changes(hook=HookPolicy(other_refs="allow"))
    assert ref_refusal(wide, "refs/heads/anything") is None
    assert ref_refusal(wide, "refs/remotes/x") is not None


def test_each_hint_is_printed_once() -> None:
    verdicts = [
        Verdict("refs/heads/a", False, "no", "the hint"),
        Verdict("refs/heads/b", False, "no", "the hint"),
        Verdict("refs/heads/c", False, "other", "another hint"),
        Verdict("refs/heads/d", False, "refused with the rest of this push (judged as a unit)"),
    ]
    assert format_verdicts(verdicts) == [
        "gitgate: refused refs/heads/a: no",
        "gitgate: hint: the hint",
        "gitgate: refused refs/heads/b: no",
        "gitgate: refused refs/heads/c: other",
        "gitgate: hint: another hint",
        "gitgate: refused refs/heads/d: refused with the rest of this push (judged as a unit)",
    ]


# -- entries ------------------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
KEYS = frozenset({"schema", "seq", "event", "actor", "time", "proposal", "details", "commits"})


def _entry(event: str, **fields: object) -> AuditEntry:
    base: dict[str, object] = {
        "seq": 2,
        "event": event,
        "actor": "a",
        "time": "2026-06-01T12:00:00Z",
    }
    base.update(fields)
    return AuditEntry(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (
            _entry("approved", proposal="abcdefghjk", commits={"proposal": A, "target": "main"}),
            None,
        ),
        (_entry("approved", commits={"proposal": A, "target": "main"}), "it must name a proposal"),
        (
            _entry("approved", proposal="abcdefghjk", commits={"proposal": A}),
            "commits lack 'target'",
        ),
        (
            _entry(
                "approved", proposal="abcdefghjk", commits={"proposal": "abc", "target": "main"}
            ),
            "commits.proposal is not a full commit id",
        ),
        (
            _entry("approved", proposal="abcdefghjk", commits={"proposal": A, "target": "dev"}),
            "its target 'dev' is not a protected branch",
        ),
        (
            _entry(
                "approved",
                proposal="abcdefghjk",
                details={"x": 1},
                commits={"proposal": A, "target": "main"},
            ),
            "details hold the unknown field 'x'",
        ),
        (
            _entry("rejected", proposal="abcdefghjk", commits={"proposal": A}),
            "details lack 'reason'",
        ),
        (
            _entry(
                "rejected",
                proposal="abcdefghjk",
                details={"reason": "x" * 5000},
                commits={"proposal": A},
            ),
            "details.reason is not a string of at most 4096 characters",
        ),
        (
            _entry(
                "exported",
                proposal="abcdefghjk",
                details={"bundle_sha256": "x"},
                commits={"proposal": A},
            ),
            "details.bundle_sha256 is not a SHA-256 hex digest",
        ),
        (
            _entry(
                "command.auto",
                details={"command": "ls", "exit_code": None, "timed_out": True, "output": ""},
            ),
            None,
        ),
        (
            _entry(
                "command.auto",
                details={"command": "ls", "exit_code": True, "timed_out": True, "output": ""},
            ),
            "details.exit_code is not a whole number or null",
        ),
        (
            _entry(
                "command.auto",
                details={"command": "ls", "exit_code": 0, "timed_out": 1, "output": ""},
            ),
            "details.timed_out is not a true or false",
        ),
        (
            _entry(
                "command.auto",
                details={
                    "command": "ls",
                    "exit_code": 0,
                    "timed_out": False,
                    "output": "x" * 40_000,
                },
            ),
            "details.output is not a bounded output string",
        ),
        (
            _entry(
                "proposed",
                proposal="abcdefghjk",
                details={"kind": "write", "tool": "t", "paths": ["a", 1]},
                commits={"proposal": A, "base": B, "target": "main"},
            ),
            "details.paths is not a list of at most 1000 short strings",
        ),
        (
            _entry(
                "init",
                details={"protected": ["main"], "approvers": []},
                commits={"policy": A, "target": "main"},
            ),
            None,
        ),
    ],
)
def test_entry_problem(entry: AuditEntry, problem: str | None) -> None:
    assert entry_problem(entry, KEYS, 500, Policy()) == problem


def test_entry_size_and_keys() -> None:
    entry = _entry("command.denied", details={"command": "x", "reason": "y"})
    assert entry_problem(entry, KEYS, 65_536, Policy()) is None
    assert entry_problem(entry, KEYS, 65_537, Policy()) == "it is 65537 bytes long (limit 65536)"
    auto = _entry(
        "command.auto", details={"command": "x", "exit_code": 0, "timed_out": False, "output": ""}
    )
    assert entry_problem(auto, KEYS, 65_537, Policy()) is None  # + 2 x output_limit
    assert entry_problem(entry, KEYS | {"extra"}, 10, Policy()) == "unknown field 'extra'"
    assert entry_problem(entry, KEYS | {"refs"}, 10, Policy()) is None  # the journal's ref list


@pytest.mark.parametrize(
    ("time", "previous", "problem"),
    [
        ("2026-06-01T12:00:00Z", None, None),
        ("2026-06-01T12:09:59Z", None, None),
        ("2026-06-01T12:10:01Z", None, "ahead of the server's clock (2026-06-01T12:00:00Z)"),
        ("2026-06-01T11:56:00Z", "2026-06-01T12:00:00Z", None),  # skew between clones
        ("2026-06-01T11:54:59Z", "2026-06-01T12:00:00Z", "is before the previous entry's"),
        ("2026-06-01 12:00:00", None, "is not YYYY-MM-DDTHH:MM:SSZ"),
        ("2026-13-01T12:00:00Z", None, "is not YYYY-MM-DDTHH:MM:SSZ"),
    ],
)
def test_time_problem(time: str, previous: str | None, problem: str | None) -> None:
    found = time_problem(time, previous, NOW)
    assert (found is None) == (problem is None), found
    if problem is not None:
        assert found is not None and problem in found


def test_notes_tree_names() -> None:
    assert is_fanout_name("ab") and not is_fanout_name("AB") and not is_fanout_name("abc")
    assert is_note_name("c" * 38, 40) and is_note_name("c" * 62, 64)
    assert not is_note_name("c" * 38, 64) and not is_note_name("C" * 38, 40)
    assert not is_note_name("g" * 38, 40)
