"""Refs outside gitgate's namespaces (issue 9, class 4): deny by default, shadows never.

Real pushes into the bare server with the hook; every refusal leaves the server's refs as
they were. The last tests check the refusal messages: one reason per ref, one hint.
"""

from __future__ import annotations

import pytest
from attack_helpers import accepted, land_policy, refused, rev, server_policy

from conftest import World
from gitutil import run_git

ALLOW_ALL = 'other_refs = "allow"\nallow_refs = []'


def _allow(world: World, hook_lines: str) -> None:
    text = server_policy(world)
    old = 'other_refs = "deny"\nallow_refs = []'
    assert old in text
    land_policy(world, text.replace(old, hook_lines))


ALWAYS_REFUSED = [
    ("refs/replace/{main}", "replace refs change what everyone sees of other commits"),
    ("refs/tags/main", "the name shadows the protected branch main"),
    ("refs/tags/MAIN", "the name shadows the protected branch main"),
    ("refs/main", "the name shadows the protected branch main"),
    ("refs/heads/MAIN", "the name case-folds onto refs/heads/main"),
    ("refs/heads/Main", "the name case-folds onto refs/heads/main"),
    ("refs/remotes/origin/main", "remote-tracking refs are not pushed to a gitgate server"),
    ("refs/gitgate/audit/x", "the name nests under refs/gitgate/audit (it would block it)"),
    ("refs/notes/gitgate/x", "the name nests under refs/notes/gitgate (it would block it)"),
    ("refs/heads/main/x", "the name nests under refs/heads/main (it would block it)"),
    (
        "refs/heads/gitgate/pending",
        "the name would block gitgate's namespace refs/heads/gitgate/pending/",
    ),
    ("refs/heads/gitgate", "the name would block gitgate's namespace refs/heads/gitgate/pending/"),
    ("refs/gitgate/archive", "the name would block gitgate's namespace refs/gitgate/archive/"),
    ("refs/notes", "the name is a directory of refs/notes/gitgate (it would block it)"),
    ("refs/Gitgate/Audit", "the name case-folds onto refs/gitgate/audit"),
    (
        "refs/heads/GitGate/Pending/abcdefghjk",
        "the name case-folds into gitgate's namespace refs/heads/gitgate/pending/",
    ),
    ("refs/tags/gitgate/pending/abcdefghjk", "the name shadows gitgate's pending branches"),
    ("refs/heads/x@y", "'refs/heads/x@y' is not an acceptable ref name"),
    ("refs/heads/_x/HEAD", "'refs/heads/_x/HEAD' is not an acceptable ref name"),
    ("refs/heads/a+b", "'refs/heads/a+b' is not an acceptable ref name"),
]
NAME_HINT = (
    "gitgate: hint: refused whatever the policy says: such names would hide, shadow or block "
    "gitgate's refs and protected branches"
)


def test_always_refused_whatever_the_policy(world: World) -> None:
    _allow(world, ALLOW_ALL)  # even a policy that lets every other ref through
    main = rev(world, "mallory", "origin/main")
    for pattern, reason in ALWAYS_REFUSED:
        ref = pattern.format(main=main)
        for user in ("alice@example.com", None):
            lines = refused(world, "mallory", f"main:{ref}", user=user)
            assert lines == [f"gitgate: refused {ref}: {reason}", NAME_HINT], lines


def test_replace_ref_cannot_swap_mains_tip(world: World) -> None:
    """The issue's attack: refs/replace/<main> would make the server show other code."""
    clone = world.clone("mallory")
    main = rev(world, "mallory", "main")
    evil = run_git(clone, "commit-tree", f"{main}^{{tree}}", "-m", "other code").strip()
    lines = refused(world, "mallory", f"{evil}:refs/replace/{main}", user=None)
    assert lines[0].endswith("replace refs change what everyone sees of other commits")
    assert run_git(world.server, "log", "-1", "--format=%s", "main").strip() != "other code"


@pytest.mark.parametrize(
    "ref", ["refs/heads/feature", "refs/tags/v1", "refs/notes/commits", "refs/stash", "refs/x/y"]
)
def test_other_refs_are_denied_by_default(world: World, ref: str) -> None:
    lines = refused(world, "alice", f"main:{ref}")
    assert lines == [
        f"gitgate: refused {ref}: the policy allows no pushes to this ref (deny by default)",
        "gitgate: hint: only gitgate's refs and protected branches are pushed here; an admin "
        'may allow more by name: [hook] allow_refs = ["refs/heads/feature/*"] in .gitgate.toml',
    ]


def test_allow_refs_lets_named_refs_through_and_nothing_else(world: World) -> None:
    _allow(world, 'other_refs = "deny"\nallow_refs = ["refs/heads/feature/*", "refs/tags/v*"]')
    accepted(world, "mallory", "main:refs/heads/feature/x", user=None)
    accepted(world, "mallory", "main:refs/tags/v1.0", user=None)
    accepted(world, "mallory", ":refs/heads/feature/x", user=None)
    assert "refs/tags/v1.0" in world.server_refs()
    for ref in ("refs/heads/feature/x/deeper", "refs/heads/featurex", "refs/tags/release"):
        lines = refused(world, "mallory", f"main:{ref}", user=None)
        assert lines[0].endswith("the policy allows no pushes to this ref (deny by default)")
    lines = refused(world, "mallory", "main:refs/tags/main", user=None)  # matches v*? no: shadow
    assert lines[0].endswith("the name shadows the protected branch main")


def test_deleting_a_protected_branch_carries_a_hint(world: World) -> None:
    lines = refused(world, "alice", ":refs/heads/main")
    assert lines == [
        "gitgate: refused refs/heads/main: main is protected and is never deleted",
        "gitgate: hint: protected branches are listed in `protected` of .gitgate.toml; removing "
        "one from that list is itself a proposal",
    ]


def test_one_reason_per_ref_and_each_hint_once(world: World) -> None:
    lines = refused(
        world, "mallory", "main:refs/heads/a", "main:refs/heads/b", ":refs/gitgate/audit"
    )
    reasons = [ln for ln in lines if not ln.startswith("gitgate: hint:")]
    hints = [ln for ln in lines if ln.startswith("gitgate: hint:")]
    assert sorted(reasons) == [
        "gitgate: refused refs/gitgate/audit: the audit log is never deleted",
        "gitgate: refused refs/heads/a: the policy allows no pushes to this ref (deny by default)",
        "gitgate: refused refs/heads/b: the policy allows no pushes to this ref (deny by default)",
    ]
    assert len(hints) == len(set(hints)) == 2
