"""The catalogue of sensitive paths (gitgate/safety/data/sensitive.toml) and the rules of issue 10."""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

import pytest

from gitgate.errors import PolicyError
from gitgate.policy import parse_policy
from gitgate.safety import pathpolicy
from gitgate.safety.pathpolicy import (
    CATALOGUE,
    SENSITIVE_PATTERNS,
    CatalogueError,
    catalogue_entry,
    check_path,
    check_symlink_target,
    export_exclusion_reason,
    is_exportable,
    is_sensitive_name,
    parse_catalogue,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import paths_accuracy  # noqa: E402

DOC = ROOT / "docs" / "SENSITIVE.md"


def sample_path(pattern: str) -> str:
    """A concrete path the pattern names: wildcards filled in, directories given a file."""
    text = re.sub(r"\[!?[^]]*\]", "0", pattern).replace("*", "x").replace("?", "x")
    text = text.lstrip("/")
    return text + "f" if text.endswith("/") else text


# --------------------------------------------------------------------------------------------
# The data
# --------------------------------------------------------------------------------------------


def test_catalogue_is_packaged_data() -> None:
    data = resources.files("gitgate.safety").joinpath("data", "sensitive.toml")
    assert data.is_file()
    assert parse_catalogue(data.read_text("utf-8")) == CATALOGUE


def test_catalogue_feeds_the_sensitive_patterns() -> None:
    assert len(CATALOGUE.entries) >= 70
    assert SENSITIVE_PATTERNS == tuple(p for e in CATALOGUE.entries for p in e.patterns)
    categories = {entry.category for entry in CATALOGUE.entries}
    for family in (
        "cloud",
        "package-registry",
        "database",
        "ssh",
        "gpg",
        "password-manager",
        "container-registry",
        "kubernetes",
        "terraform",
        "environment",
        "vcs",
    ):
        assert family in categories


@pytest.mark.parametrize(
    "entry", CATALOGUE.entries, ids=[entry.name for entry in CATALOGUE.entries]
)
def test_every_catalogue_pattern_is_refused_and_never_exported(
    entry: pathpolicy.SensitiveEntry,
) -> None:
    assert entry.reason.strip() and entry.category.strip()
    for pattern in entry.patterns:
        path = sample_path(pattern)
        verdict = check_path(path)
        assert not verdict.safe, (pattern, path)
        assert verdict.reason.startswith("sensitive file ("), verdict.reason
        assert not is_exportable(path), (pattern, path)
        assert is_sensitive_name("/home/u/" + path) is not None
        assert is_sensitive_name("~/" + path) is not None
        # A copy of it is as sensitive (".pgpass.bak", "kubeconfig~").
        assert not check_path(path.rstrip("/") + ".bak").safe, pattern
        assert not is_exportable(path + "~"), pattern
        rule = is_sensitive_name(path)
        assert rule is not None and catalogue_entry(rule) is not None


def test_catalogue_entry_of_a_policy_pattern_is_none() -> None:
    assert catalogue_entry("*.sqlite") is None
    entry = catalogue_entry(".pgpass")
    assert entry is not None and entry.category == "database"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema = 1\n[[entry]\n", "not valid TOML"),
        ("schema = 2\n", "schema must be 1"),
        ("schema = 1\n", "no [[entry]] tables"),
        (
            'schema = 1\n[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\npatterns = []\n',
            "must not be empty",
        ),
        (
            'schema = 1\n[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\npatterns = ["x"]\n'
            'colour = "red"\n',
            "unknown keys ['colour']",
        ),
        (
            'schema = 1\n[[entry]]\nname = "a"\ncategory = "c"\nreason = ""\npatterns = ["x"]\n',
            "'reason' must be a non-empty string",
        ),
        (
            'schema = 1\n[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\npatterns = ["x"]\n'
            '[[entry]]\nname = "b"\ncategory = "c"\nreason = "r"\npatterns = ["X "]\n',
            "pattern listed twice: x",
        ),
        (
            'schema = 1\n[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\npatterns = ["x"]\n'
            '[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\npatterns = ["y"]\n',
            "entry name listed twice: a",
        ),
        (
            'schema = 1\n[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\npatterns = ["!x"]\n',
            "is for policies",
        ),
        (
            'schema = 1\n[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\n'
            'patterns = ["a/b"]\nexcept = ["b.example"]\n',
            "a name in 'except' needs a pattern without '/'",
        ),
        (
            'schema = 1\n[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\n'
            'patterns = ["d/"]\nexcept = ["d/public/"]\n',
            "a path in 'except' names files, not a directory",
        ),
        (
            'schema = 1\n[copies]\nsuffixes = ["/x"]\n[[entry]]\nname = "a"\ncategory = "c"\n'
            'reason = "r"\npatterns = ["x"]\n',
            "ASCII suffixes without '/'",
        ),
        (
            'schema = 1\n[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\n'
            'patterns = ["a\\u0000"]\n',
            "control character",
        ),
    ],
)
def test_malformed_catalogue_is_refused(text: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=re.escape(message)):
        parse_catalogue(text)


# --------------------------------------------------------------------------------------------
# Credential files beyond .env and keys (issue 10's classes)
# --------------------------------------------------------------------------------------------

REFUSED = [
    (".envrc", ".envrc"),
    ("services/api/.envrc", ".envrc"),
    ("authorized_keys", "/authorized_keys"),
    (".ssh/authorized_keys", ".ssh/"),
    ("keys/server.ppk", "*.ppk"),
    ("Vault.KDBX", "*.kdbx"),
    ("secring.gpg", "secring.*"),
    (".gnupg/private-keys-v1.d/A.key", "*.key"),  # the first matching pattern names it
    (".gnupg/pubring.kbx", ".gnupg/"),
    (".git-credentials", ".git-credentials"),
    (".pgpass", ".pgpass"),
    (".docker/config.json", ".docker/config.json"),
    (".kube/config", ".kube/"),
    ("deploy/kubeconfig", "/kubeconfig"),
    ("terraform.tfstate", "*.tfstate"),
    (".terraform.d/credentials.tfrc.json", "/credentials.tfrc.json"),
    ("_netrc", "/_netrc"),
    (".config/gcloud/credentials.db", ".config/gcloud/"),
    (".azure/msal_token_cache.json", ".azure/"),
    ("composer/auth.json", "/auth.json"),
    (".m2/settings-security.xml", "/settings-security.xml"),
    (".vault-token", ".vault-token"),
    (".bash_history", ".bash_history"),
    # copies of sensitive files
    (".pgpass.bak", ".pgpass"),
    (".netrc~", ".netrc"),
    ("credentials.json.orig.1", "credentials.json"),
    (".aws.bak/config", ".aws/"),
    ("trustdb.gpg.bak", "/trustdb.gpg"),  # each layer is judged, ".gpg" being a suffix too
    ("kubeconfig\uff0ebak", "/kubeconfig"),  # full-width dot: NFKC ".bak"
    (".git-credentials.bak. ", None),  # trailing space: refused for the whitespace first
]


@pytest.mark.parametrize(("path", "rule"), REFUSED)
def test_credential_stores_are_refused(path: str, rule: str | None) -> None:
    verdict = check_path(path)
    assert not verdict.safe
    if rule is not None:
        assert verdict.reason == f"sensitive file ({rule}): may hold secrets"
        assert export_exclusion_reason(path) == f"sensitive file ({rule})"


SAFE = [
    "src/auth/credentials.py",
    "aws/credentials/chain_provider.go",  # a source package named credentials
    "cmd/kubeadm/app/phases/kubeconfig/kubeconfig.go",
    "docs/kubeconfig.md",
    ".env.local.example",
    ".env.dist",
    "config/.env.template",
    "terraform.tfvars.example",
    ".envrc.example",
    "keys/id_ed25519.pub",
    "ssh_host_rsa_key.pub",
    "src/htpasswd.js",
    ".docker/php/Dockerfile",
    ".circleci/config.yml",
    "gradle.properties",
    ".terraform.lock.hcl",
    "docs/~notes.md",
    "backup~/file.txt",
    "my file.txt",
    "%20name.txt",
    "src/Outer$Inner.java",
    "README.md.bak",  # a copy of a harmless file
]


@pytest.mark.parametrize("path", SAFE)
def test_lookalikes_stay_safe(path: str) -> None:
    assert check_path(path).safe, check_path(path).reason
    assert is_exportable(path)


# --------------------------------------------------------------------------------------------
# Paths that name the home directory, variables, whitespace
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("~", "home-relative path ('~'): a shell expands it outside the repository"),
        ("~/.bashrc", "home-relative path ('~'): a shell expands it outside the repository"),
        ("~root/x", "home-relative path ('~'): a shell expands it outside the repository"),
        ("\uff5e/x", "home-relative path ('~'): a shell expands it outside the repository"),
        (
            "%7e/x",
            "percent-decodes to an unsafe path (home-relative path ('~'): a shell expands it "
            "outside the repository)",
        ),
        (
            "$HOME/.ssh",
            "'$HOME' component: a shell or Windows expands '$h', which can point outside the "
            "repository",
        ),
        (
            "a/${XDG_CONFIG_HOME}/x",
            "'${XDG_CONFIG_HOME}' component: a shell or Windows expands '${', which can point "
            "outside the repository",
        ),
        (
            "$(id)/x",
            "'$(id)' component: a shell or Windows expands '$(', which can point outside the "
            "repository",
        ),
        (
            "`id`",
            "'`id`' component: a shell or Windows expands '`', which can point outside the "
            "repository",
        ),
        (
            "%APPDATA%/gh/hosts.yml",
            "'%APPDATA%' component: a shell or Windows expands '%appdata%', which can point "
            "outside the repository",
        ),
        ("\uff04HOME/x", "expands '$h'"),
        (" ", "' ' component: a name of only whitespace"),
        ("docs/ /x.md", "' ' component: a name of only whitespace"),
        ("\u3000", "'\\u3000' component: a name of only whitespace"),
        ("\u00a0\u00a0/x", "a name of only whitespace"),
        ("x/\u2028", "a name of only whitespace"),
        (
            "notes.txt ",
            "'notes.txt ' component: trailing whitespace makes the name read as another",
        ),
    ],
)
def test_home_variables_and_whitespace_are_refused(path: str, reason: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe
    assert reason in verdict.reason
    assert export_exclusion_reason(path) == f"unsafe path: {verdict.reason}"


def test_symlink_to_a_copy_of_a_secret_is_refused() -> None:
    verdict = check_symlink_target("link", "config/.pgpass.old")
    assert not verdict.safe and "sensitive file (.pgpass)" in verdict.reason


# --------------------------------------------------------------------------------------------
# The policy extends and narrows the catalogue
# --------------------------------------------------------------------------------------------


def test_policy_paths_table_extends_and_exempts() -> None:
    policy = parse_policy(
        'sensitive_paths = ["*.sqlite"]\n'
        "[paths]\n"
        'sensitive = ["private/"]\n'
        'allow = ["infra/dev.tfvars", " tests/fixtures/*.pem "]\n'
    )
    assert policy.sensitive_paths == (
        "*.sqlite",
        "private/",
        "!infra/dev.tfvars",
        "!tests/fixtures/*.pem",
    )
    extra = policy.sensitive_paths
    assert check_path("infra/dev.tfvars", extra_sensitive=extra).safe
    assert check_path("tests/fixtures/Server.PEM", extra_sensitive=extra).safe
    assert is_sensitive_name("infra/dev.tfvars", extra_sensitive=extra) is None
    # Only what the exemption names, in every spelling of it:
    assert not check_path("infra/prod.tfvars", extra_sensitive=extra).safe
    assert not check_path("tests/fixtures/a.pem.", extra_sensitive=extra).safe
    assert not check_path("tests/fixtures/a.key", extra_sensitive=extra).safe
    # ...never the policy's own patterns, nor structural rules:
    assert not check_path("data/x.sqlite", extra_sensitive=extra).safe
    assert not check_path("private/notes.md", extra_sensitive=extra).safe
    assert not check_path("~/infra/dev.tfvars", extra_sensitive=extra).safe
    # ...and a catalogue file never leaves in a bundle, exemption or not.
    assert export_exclusion_reason("infra/dev.tfvars", extra_excludes=extra) == (
        "sensitive file (*.tfvars)"
    )
    assert export_exclusion_reason("src/app.py", extra_excludes=extra) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[paths]\nallow = ["!x"]\n', "[paths] allow: '!x' must be a non-empty pattern"),
        ('[paths]\nallow = [" "]\n', "[paths] allow: ' ' must be a non-empty pattern"),
        ('[paths]\nallow = "x"\n', "'allow' must be a list of strings"),
        ('[paths]\nsensitiv = ["x"]\n', "[paths] has unknown keys: sensitiv"),
        ('paths = ["x"]\n', "[paths] must be a table"),
    ],
)
def test_policy_paths_table_is_validated(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(message)):
        parse_policy(text)


# --------------------------------------------------------------------------------------------
# Goals of issue 10 on the corpora, and the documentation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("corpus", paths_accuracy.DEFAULT[:2], ids=lambda path: path.name)
def test_goals_on_the_corpora(corpus: Path) -> None:
    score = paths_accuracy.score(paths_accuracy.load(corpus))
    assert score.unsafe >= 150 and score.safe >= 95
    assert not score.unsafe_accepted, score.unsafe_accepted
    assert not score.wrongly_exported, score.wrongly_exported
    assert score.safe_refused_rate <= paths_accuracy.MAX_SAFE_REFUSED, score.safe_refused


def test_second_frozen_corpus_accepts_no_secret() -> None:
    """paths_eval2 (round 7): no credential store accepted or exported. Its safe paths that
    the catalogue refuses are inside whole-directory entries kept on purpose (~/.ssh/,
    .config/gcloud/, .docker/contexts/, .terraform.d/): docs/SENSITIVE.md lists them."""
    score = paths_accuracy.score(paths_accuracy.load(paths_accuracy.DEFAULT[2]))
    assert score.unsafe >= 100 and score.safe >= 30
    assert not score.unsafe_accepted, score.unsafe_accepted
    assert not score.wrongly_exported, score.wrongly_exported
    refused = sorted(case.path for case, _reason in score.safe_refused)
    assert all(
        path.startswith((".ssh/", ".config/gcloud/", ".docker/", ".terraform.d/"))
        for path in refused
    )


def render_catalogue_table() -> str:
    """The table of docs/SENSITIVE.md, from the catalogue itself."""
    lines = ["| entry | category | patterns | why |", "|---|---|---|---|"]
    for entry in CATALOGUE.entries:
        patterns = " ".join(f"`{p}`" for p in entry.patterns)
        if entry.exceptions:
            patterns += " (except " + " ".join(f"`{p}`" for p in entry.exceptions) + ")"
        lines.append(f"| {entry.name} | {entry.category} | {patterns} | {entry.reason} |")
    return "\n".join(lines) + "\n"


def test_documentation_lists_the_catalogue() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = render_catalogue_table()
    assert table in text, "regenerate the table in docs/SENSITIVE.md:\n" + table
    suffixes = " ".join(f"`{s}`" for s in CATALOGUE.copy_suffixes)
    assert suffixes in text
