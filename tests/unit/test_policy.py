"""policy: parse/render round trip and validation of every field."""

from __future__ import annotations

import re

import pytest

from gitgate.errors import PolicyError
from gitgate.policy import (
    DEFAULT_IDENTITY_ENV,
    CommandPolicy,
    HookPolicy,
    Policy,
    RefNames,
    parse_policy,
    render_policy,
    same_identity,
)

FULL = Policy(
    protected=("main", "release/1.x"),
    approvers=("alice@example.com", "Bob <bob@example.com>"),
    sensitive_paths=("*.sqlite", "private/"),
    export_exclude=("data/",),
    refs=RefNames(
        pending_prefix="refs/heads/review/",
        archive_prefix="refs/review-archive/",
        notes="refs/notes/review",
        audit="refs/review/audit",
    ),
    commands=CommandPolicy(allow=("make test",), deny=("curl *",), timeout=60,
                           sandbox="require", output_limit=1024),
    hook=HookPolicy(identity_env=("REMOTE_USER",), other_refs="deny"),
)


@pytest.mark.parametrize("policy", [Policy(), Policy(approvers=("a@example.com",)), FULL],
                         ids=["default", "approver", "full"])
def test_render_parse_round_trip(policy: Policy) -> None:
    text = render_policy(policy)
    assert parse_policy(text) == policy
    assert render_policy(parse_policy(text)) == text


def test_rendered_policy_starts_with_a_comment_and_is_stable() -> None:
    text = render_policy(Policy())
    assert text.startswith("# gitgate policy.")
    assert "[refs]" in text and "[commands]" in text and "[hook]" in text
    assert render_policy(Policy()) == text


def test_empty_file_gives_defaults() -> None:
    policy = parse_policy("")
    assert policy == Policy()
    assert policy.default_target == "main"
    assert policy.hook.identity_env == DEFAULT_IDENTITY_ENV
    assert policy.refs.pending("0123456789") == "refs/heads/gitgate/pending/0123456789"
    assert policy.refs.archive("0123456789") == "refs/gitgate/archive/0123456789"


def test_approver_and_identity_matching_is_trimmed_and_case_insensitive() -> None:
    policy = parse_policy('approvers = ["Alice@Example.com"]')
    assert policy.is_approver(" alice@example.COM ")
    assert not policy.is_approver("alice@example.co")
    assert same_identity("A@B", "a@b ")
    assert not Policy().is_approver("anyone")


def test_is_protected_and_default_target() -> None:
    policy = parse_policy('protected = ["dev", "main"]')
    assert policy.default_target == "dev"
    assert policy.is_protected("main") and not policy.is_protected("gitgate/pending/x")


def test_with_changes() -> None:
    assert Policy().with_changes(approvers=("x",)).approvers == ("x",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("protected = [", ".gitgate.toml is not valid TOML"),
        ("schema = 2", ".gitgate.toml has schema 2, this gitgate understands 1"),
        ('schema = "1"', ".gitgate.toml has schema '1', this gitgate understands 1"),
        ("protected = []", ".gitgate.toml: 'protected' must name at least one branch"),
        ('protected = "main"', ".gitgate.toml: 'protected' must be a list of strings"),
        ("protected = [1]", ".gitgate.toml: 'protected' must be a list of strings"),
        ('approvers = "alice"', ".gitgate.toml: 'approvers' must be a list of strings"),
        ("approvers = [true]", ".gitgate.toml: 'approvers' must be a list of strings"),
        ("sensitive_paths = {}", ".gitgate.toml: 'sensitive_paths' must be a list of strings"),
        ('export = "x"', ".gitgate.toml: [export] must be a table"),
        ("refs = 1", ".gitgate.toml: [refs] must be a table"),
        ("commands = []", ".gitgate.toml: [commands] must be a table"),
        ('hook = "x"', ".gitgate.toml: [hook] must be a table"),
        # branch names
        ('protected = ["../main"]', ".gitgate.toml: '../main' is not a valid branch name"),
        ('protected = ["a..b"]', ".gitgate.toml: 'a..b' is not a valid branch name"),
        ('protected = [".hidden"]', ".gitgate.toml: '.hidden' is not a valid branch name"),
        ('protected = ["x.lock"]', ".gitgate.toml: 'x.lock' is not a valid branch name"),
        ('protected = ["a b"]', ".gitgate.toml: 'a b' is not a valid branch name"),
        ('protected = ["a//b"]', ".gitgate.toml: 'a//b' is not a valid branch name"),
        ('protected = ["main/"]', ".gitgate.toml: 'main/' is not a valid branch name"),
        ('protected = [""]', ".gitgate.toml: '' is not a valid branch name"),
        ('protected = ["ma~in"]', ".gitgate.toml: 'ma~in' is not a valid branch name"),
        ('protected = ["a\\nb"]', ".gitgate.toml: 'a\\nb' is not a valid branch name"),
        # ref names
        ('[refs]\naudit = "gitgate/audit"',
         ".gitgate.toml: 'gitgate/audit' is not a ref name under refs/"),
        ('[refs]\naudit = "refs/gitgate/audit/"',
         ".gitgate.toml: 'refs/gitgate/audit/' is not a ref name under refs/"),
        ('[refs]\nnotes = "refs/../HEAD"',
         ".gitgate.toml: 'refs/../HEAD' is not a ref name under refs/"),
        ('[refs]\nnotes = "refs/notes/x.lock"',
         ".gitgate.toml: 'refs/notes/x.lock' is not a ref name under refs/"),
        ('[refs]\nnotes = "refs"', ".gitgate.toml: 'refs' is not a ref name under refs/"),
        ('[refs]\npending_prefix = "refs/heads/pending"',
         ".gitgate.toml: 'refs/heads/pending' is not a ref prefix ending in '/' under refs/"),
        ('[refs]\narchive_prefix = "refs/a b/"',
         ".gitgate.toml: 'refs/a b/' is not a ref prefix ending in '/' under refs/"),
        # overlaps
        ('[refs]\narchive_prefix = "refs/heads/gitgate/"',
         ".gitgate.toml: [refs] names overlap: 'refs/heads/gitgate/pending/' and "
         "'refs/heads/gitgate/'"),
        ('[refs]\naudit = "refs/gitgate/archive/audit"',
         ".gitgate.toml: [refs] names overlap: 'refs/gitgate/archive/' and "
         "'refs/gitgate/archive/audit/'"),
        ('[refs]\nnotes = "refs/gitgate/audit"',
         ".gitgate.toml: [refs] names overlap: 'refs/gitgate/audit/' and 'refs/gitgate/audit/'"),
        # commands and hook
        ("[commands]\ntimeout = 0", ".gitgate.toml: 'timeout' must be a whole number from 1 to 86400"),
        ("[commands]\ntimeout = true",
         ".gitgate.toml: 'timeout' must be a whole number from 1 to 86400"),
        ('[commands]\ntimeout = "5"',
         ".gitgate.toml: 'timeout' must be a whole number from 1 to 86400"),
        ("[commands]\noutput_limit = 10",
         ".gitgate.toml: 'output_limit' must be a whole number from 256 to 10000000"),
        ('[commands]\nsandbox = "maybe"',
         ".gitgate.toml: 'sandbox' must be one of never, auto, require"),
        ('[commands]\nallow = "ls"', ".gitgate.toml: 'allow' must be a list of strings"),
        ('[hook]\nother_refs = "ignore"', ".gitgate.toml: 'other_refs' must be one of allow, deny"),
        ("[hook]\nidentity_env = [1]", ".gitgate.toml: 'identity_env' must be a list of strings"),
    ],
)
def test_invalid_policies_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    assert info.value.message.startswith(message), info.value.message
    assert info.value.code == "policy"


def test_invalid_toml_has_a_hint() -> None:
    with pytest.raises(PolicyError, match=re.escape("is not valid TOML")) as info:
        parse_policy("= nope")
    assert info.value.hint and "gitgate propose write .gitgate.toml" in info.value.hint


def test_unknown_keys_are_ignored() -> None:
    assert parse_policy('future_option = 1\n[future]\nx = 2') == Policy()
