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
    check_policy_change,
    identity_problem,
    parse_policy,
    ref_glob_matches,
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
    commands=CommandPolicy(
        allow=("make test",),
        deny=("curl *",),
        timeout=60,
        sandbox="require",
        output_limit=1024,
        local_database_reads=True,
    ),
    hook=HookPolicy(
        identity_env=("REMOTE_USER",),
        other_refs="allow",
        allow_refs=("refs/heads/feature/*", "refs/tags/v*"),
        case_insensitive_identities=True,
    ),
)


@pytest.mark.parametrize(
    "policy",
    [Policy(), Policy(approvers=("a@example.com",)), FULL],
    ids=["default", "approver", "full"],
)
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


def test_identities_compare_exactly_by_default() -> None:
    policy = parse_policy('approvers = ["Alice@Example.com"]')
    assert policy.is_approver("Alice@Example.com")
    assert not policy.is_approver("alice@example.com")
    assert not policy.is_approver(" Alice@Example.com")
    assert not policy.is_approver("Alice@Example.com ")
    assert not policy.is_approver("alice@example.co")
    assert same_identity("a@b", "a@b")
    assert not same_identity("A@B", "a@b")
    assert not Policy().is_approver("anyone")


def test_case_insensitive_identities_fold_ascii_only() -> None:
    policy = parse_policy(
        'approvers = ["kelvin", "strasse", "Alice"]\n[hook]\ncase_insensitive_identities = true'
    )
    assert policy.hook.case_insensitive_identities
    assert policy.is_approver("ALICE") and policy.is_approver("alice")
    assert policy.is_approver("KELVIN")
    assert not policy.is_approver("\u212aelvin")  # KELVIN SIGN: casefold() would make it "k"
    assert not policy.is_approver("stra\u00dfe")  # ß: casefold() would make it "ss"
    assert not policy.is_approver(" alice")
    assert policy.same_identity("Bob", "bOB")
    assert not parse_policy('approvers = ["Alice"]').same_identity("Alice", "alice")


@pytest.mark.parametrize(
    ("identity", "problem"),
    [
        ("alice", None),
        ("Bob Smith <bob@example.com>", None),
        ("", "it is empty"),
        (" alice", "it has surrounding whitespace"),
        ("alice\t", "it has surrounding whitespace"),
        ("al\x00ice", "it holds the non-printable character U+0000"),
        ("al\x1bice", "it holds the non-printable character U+001B"),
        ("ali\u200bce", "it holds the non-printable character U+200B"),
        ("alice\u202e", "it holds the non-printable character U+202E"),
        ("a\u00a0lice", "it holds the non-printable character U+00A0"),
        ("x" * 201, "it is longer than 200 characters"),
    ],
)
def test_identity_problem(identity: str, problem: str | None) -> None:
    assert identity_problem(identity) == problem
    if problem is not None:
        assert not same_identity(identity, identity)
        assert not same_identity(identity, identity, case_insensitive=True)


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
        (
            '[refs]\naudit = "gitgate/audit"',
            ".gitgate.toml: 'gitgate/audit' is not a ref name under refs/",
        ),
        (
            '[refs]\naudit = "refs/gitgate/audit/"',
            ".gitgate.toml: 'refs/gitgate/audit/' is not a ref name under refs/",
        ),
        (
            '[refs]\nnotes = "refs/../HEAD"',
            ".gitgate.toml: 'refs/../HEAD' is not a ref name under refs/",
        ),
        (
            '[refs]\nnotes = "refs/notes/x.lock"',
            ".gitgate.toml: 'refs/notes/x.lock' is not a ref name under refs/",
        ),
        ('[refs]\nnotes = "refs"', ".gitgate.toml: 'refs' is not a ref name under refs/"),
        (
            '[refs]\npending_prefix = "refs/heads/pending"',
            ".gitgate.toml: 'refs/heads/pending' is not a ref prefix ending in '/' under refs/",
        ),
        (
            '[refs]\narchive_prefix = "refs/a b/"',
            ".gitgate.toml: 'refs/a b/' is not a ref prefix ending in '/' under refs/",
        ),
        # overlaps
        (
            '[refs]\narchive_prefix = "refs/heads/gitgate/"',
            ".gitgate.toml: [refs] names overlap: 'refs/heads/gitgate/pending/' and "
            "'refs/heads/gitgate/'",
        ),
        (
            '[refs]\naudit = "refs/gitgate/archive/audit"',
            ".gitgate.toml: [refs] names overlap: 'refs/gitgate/archive/' and "
            "'refs/gitgate/archive/audit/'",
        ),
        (
            '[refs]\nnotes = "refs/gitgate/audit"',
            ".gitgate.toml: [refs] names overlap: 'refs/gitgate/audit/' and 'refs/gitgate/audit/'",
        ),
        # commands and hook
        (
            "[commands]\ntimeout = 0",
            ".gitgate.toml: 'timeout' must be a whole number from 1 to 86400",
        ),
        (
            "[commands]\ntimeout = true",
            ".gitgate.toml: 'timeout' must be a whole number from 1 to 86400",
        ),
        (
            '[commands]\ntimeout = "5"',
            ".gitgate.toml: 'timeout' must be a whole number from 1 to 86400",
        ),
        (
            "[commands]\noutput_limit = 10",
            ".gitgate.toml: 'output_limit' must be a whole number from 256 to 10000000",
        ),
        (
            '[commands]\nlocal_database_reads = "yes"',
            ".gitgate.toml: 'local_database_reads' must be true or false",
        ),
        (
            '[commands]\nsandbox = "maybe"',
            ".gitgate.toml: 'sandbox' must be one of never, auto, require",
        ),
        ('[commands]\nallow = "ls"', ".gitgate.toml: 'allow' must be a list of strings"),
        ('[hook]\nother_refs = "ignore"', ".gitgate.toml: 'other_refs' must be one of allow, deny"),
        (
            '[hook]\nallow_refs = ["heads/x"]',
            ".gitgate.toml: allow_refs entry 'heads/x' is not a ref glob under refs/",
        ),
        (
            '[hook]\nallow_refs = ["refs/../x"]',
            ".gitgate.toml: allow_refs entry 'refs/../x' is not a ref glob under refs/",
        ),
        (
            '[hook]\nallow_refs = ["refs/heads/a b"]',
            ".gitgate.toml: allow_refs entry 'refs/heads/a b' is not a ref glob under refs/",
        ),
        (
            '[hook]\ncase_insensitive_identities = "yes"',
            ".gitgate.toml: 'case_insensitive_identities' must be true or false",
        ),
        (
            'approvers = [" alice"]',
            ".gitgate.toml: approver ' alice' cannot be an identity: it has surrounding whitespace",
        ),
        (
            'approvers = ["al\\u200bice"]',
            ".gitgate.toml: approver 'al\\u200bice' cannot be an identity: it holds the "
            "non-printable character U+200B",
        ),
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
    assert parse_policy("future_option = 1\n[future]\nx = 2") == Policy()


def test_other_refs_are_denied_by_default() -> None:
    hook = parse_policy("").hook
    assert hook.other_refs == "deny" and hook.allow_refs == ()
    assert not hook.allows_ref("refs/heads/feature")
    assert parse_policy('[hook]\nother_refs = "allow"').hook.allows_ref("refs/heads/anything")


@pytest.mark.parametrize(
    ("glob", "ref", "matches"),
    [
        ("refs/heads/feature/*", "refs/heads/feature/x", True),
        ("refs/heads/feature/*", "refs/heads/feature/x/y", False),
        ("refs/heads/feature/*", "refs/heads/feature", False),
        ("refs/heads/feature/**", "refs/heads/feature/x/y", True),
        ("refs/tags/v*", "refs/tags/v1.2.3", True),
        ("refs/tags/v*", "refs/tags/release", False),
        ("refs/tags/v*", "refs/tags/v1/x", False),
        ("refs/heads/a.b", "refs/heads/aXb", False),  # dots are literal, not regex
        ("refs/heads/x", "refs/heads/X", False),
    ],
)
def test_ref_globs(glob: str, ref: str, matches: bool) -> None:
    assert ref_glob_matches(glob, ref) is matches
    policy = parse_policy(f'[hook]\nallow_refs = ["{glob}"]')
    assert policy.hook.allows_ref(ref) is matches


GOOD = b'approvers = ["alice"]\n'


@pytest.mark.parametrize(
    ("new", "kwargs", "problem"),
    [
        (GOOD, {}, None),
        (None, {}, "it deletes .gitgate.toml, which would leave the repository without a policy"),
        (b"approvers = [", {}, "it makes the policy invalid: .gitgate.toml is not valid TOML"),
        (
            b'protected = "main"',
            {},
            "it makes the policy invalid: .gitgate.toml: 'protected' must be a list of strings",
        ),
        (b"\xff\xfe", {}, ".gitgate.toml would not be UTF-8 text"),
        (
            b"approvers = []",
            {},
            "it leaves .gitgate.toml with no approvers, so nothing could be approved again",
        ),
        (b"", {}, "it leaves .gitgate.toml with no approvers, so nothing could be approved again"),
        (
            b'protected = ["dev"]\napprovers = ["a"]',
            {"branch": "main"},
            "it stops protecting main, the branch that carries the policy",
        ),
        (GOOD, {"branch": "main"}, None),
        (
            GOOD + b'[refs]\naudit = "refs/x/audit"',
            {"old_text": GOOD},
            "it moves gitgate's refs ([refs]); their history would be orphaned",
        ),
        (GOOD + b"sensitive_paths = ['x']", {"old_text": GOOD}, None),
        (GOOD, {"old_text": b"not [ toml"}, None),
    ],
)
def test_check_policy_change(
    new: bytes | None, kwargs: dict[str, bytes | str], problem: str | None
) -> None:
    found = check_policy_change(new, **kwargs)  # type: ignore[arg-type]
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem), found
