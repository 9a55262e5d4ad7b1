"""The hook's pure parts: its input, the pusher's identity, its output, the script it installs."""

from __future__ import annotations

import pytest

from gitgate.hook import (
    GITLAB_PREFIX,
    HookError,
    Update,
    Verdict,
    format_verdicts,
    is_gitlab,
    parse_updates,
    pusher_from_env,
    ref_kind,
)
from gitgate.hookinstall import HOOK_ID, render_script
from gitgate.policy import DEFAULT_IDENTITY_ENV, Policy
from gitgate.remote import parse_push_porcelain

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
        ({"REMOTE_USER": "  "}, None),
        ({"REMOTE_USER": "web"}, "web"),
        ({"REMOTE_USER": "web", "GL_USERNAME": "gitlab-user"}, "gitlab-user"),
        ({"GITEA_PUSHER_NAME": "gitea", "GL_USER": "gitolite"}, "gitea"),
        ({"GL_USERNAME": "", "SOFT_SERVE_USERNAME": " soft "}, "soft"),
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
    assert 'exec "$GITGATE_PYTHON" -m gitgate hook pre-receive\n' in script
    assert "GITGATE_PYTHON=python3\n" in render_script("python3")


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
