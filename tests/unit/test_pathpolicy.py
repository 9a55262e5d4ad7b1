"""Table-driven tests of gitgate.safety.pathpolicy."""

from __future__ import annotations

import pytest

from gitgate.safety.pathpolicy import (
    EXPORT_EXCLUDES,
    SENSITIVE_PATTERNS,
    check_no_symlink_parent,
    check_path,
    check_symlink_target,
    export_exclusion_reason,
    is_exportable,
)

# (path, fragment expected in the reason)
REFUSED = [
    ("", "empty path"),
    ("/etc/passwd", "absolute"),
    ("C:\\x", "absolute"),
    ("C:/x", "absolute"),
    ("c:x", "absolute"),
    ("\\\\server\\share\\x", "absolute"),
    ("a\\b", "backslash"),
    ("..", "'..'"),
    ("a/../b", "'..'"),
    ("a/..", "'..'"),
    ("./a", "'.'"),
    ("a//b", "empty component"),
    ("...", "only dots"),
    ("\uff0e\uff0e/x", "only dots"),  # fullwidth dots: NFKC '..'
    (".git", ".git"),
    (".git/config", ".git"),
    ("a/.git/hooks/pre-commit", ".git"),
    (".GIT/config", ".git"),
    (".Git/config", ".git"),
    (".git./config", ".git"),
    (".git /config", ".git"),
    (".git. . /config", ".git"),
    ("GIT~1/config", ".git"),
    ("git~2/config", ".git"),
    (".g\u200cit/config", ".git"),  # HFS+ ignores U+200C
    (".gi\ufefft/config", ".git"),
    (".git::$INDEX_ALLOCATION/x", ".git"),  # NTFS alternate data stream
    ("\uff0egit/config", ".git"),  # fullwidth dot, NFKC
    (".gitmodules", "gitmodules"),
    (".GitModules", "gitmodules"),
    ("sub/.gitmodules", "gitmodules"),
    ("gitmod~1", "gitmodules"),
    ("a\x00b", "NUL"),
    ("a\x01b", "control"),
    ("a\nb", "control"),
    ("a\x7fb", "control"),
    ("src/\u202egnp.exe", "invisible"),
    ("src/a\u200bb.py", "invisible"),
    ("%2e%2e/etc", "percent"),
    ("a%2Fb", "percent"),
    ("a%5cb", "percent"),
    ("%252e%252e/x", "percent"),
    ("x" * 256, "255"),
    ("a/" * 2048 + "b", "4096"),
    ("\ud800", "UTF-8"),
    # sensitive files
    (".env", ".env"),
    ("config/.env", ".env"),
    (".ENV", ".env"),
    (".env.local", ".env.*"),
    (".env.production", ".env.*"),
    (".env.", ".env"),  # NTFS drops the trailing dot
    ("\uff0eenv", ".env"),
    ("server.key", "*.key"),
    ("certs/site.PEM", "*.pem"),
    ("cert.p12", "*.p12"),
    ("cert.pfx", "*.pfx"),
    ("id_rsa", "id_rsa*"),
    ("home/.ssh/known_hosts", ".ssh/"),
    ("keys/id_dsa", "id_dsa*"),
    ("id_ecdsa", "id_ecdsa*"),
    ("id_ed25519", "id_ed25519*"),
    ("id_rsa.pub.bak", "id_rsa*"),
    ("secrets/db.yml", "secrets/"),
    ("deploy/Secrets/x", "secrets/"),
    ("secrets/", "secrets/"),
    ("credentials.json", "credentials.json"),
    (".npmrc", ".npmrc"),
    (".pypirc", ".pypirc"),
    (".netrc", ".netrc"),
    (".aws/credentials", ".aws/credentials"),
    ("home/u/.aws/credentials", ".aws/credentials"),
    (".ssh/config", ".ssh/"),
    ("release.keystore", "*.keystore"),
    ("app.jks", "*.jks"),
    (".htpasswd", ".htpasswd"),
    ("service-account.json", "service-account*.json"),
    ("gcp/service-account-prod.json", "service-account*.json"),
]

SAFE = [
    "README.md",
    "src/app.py",
    "src/gitignore.py",
    "docs/git-guide.md",
    ".github/workflows/ci.yml",
    ".gitignore",  # agents legitimately edit it
    ".gitattributes",
    "env.py",
    "environment.yml",
    "tokens.py",
    "key_handler.py",
    "keys.py",
    "monkey.keyboard",
    "public.pem.example",  # decided: a template, like .env.example
    "id_rsa.pub",
    "keys/id_ed25519.pub",
    ".env.example",
    ".env.sample",
    ".env.template",
    ".ENV.Example",
    "secrets.md",  # a file, not the secrets/ directory
    "docs/secret-management.md",
    "%20name.txt",  # percent-escapes that decode to nothing dangerous
    "a/b/c/d.txt",
    "dir/",
    "git~x",
    "café/naïve.txt",
    "x" * 255,
]


@pytest.mark.parametrize(("path", "fragment"), REFUSED)
def test_refused(path: str, fragment: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe
    assert fragment.lower() in verdict.reason.lower()
    assert "\n" not in verdict.reason
    assert verdict.path == path


@pytest.mark.parametrize("path", SAFE)
def test_safe(path: str) -> None:
    verdict = check_path(path)
    assert verdict.safe, verdict.reason
    assert verdict.reason == ""


@pytest.mark.parametrize(
    ("path", "patterns", "safe"),
    [
        ("conf/prod.yaml", ["conf/prod.*"], False),
        ("other/conf/prod.yaml", ["conf/prod.*"], False),
        ("conf/dev.yaml", ["conf/prod.*"], True),
        ("a/private/b.txt", ["private/"], False),
        ("private.txt", ["private/"], True),
        ("x/y.SECRET", ["*.secret"], False),
        ("x/y.secrets", ["*.secret"], True),
        ("deep/vault/keys/x", ["vault/keys/"], False),
        ("anything.tfstate", ["*.tfstate"], False),
    ],
)
def test_extra_sensitive(path: str, patterns: list[str], safe: bool) -> None:
    verdict = check_path(path, extra_sensitive=patterns)
    assert verdict.safe is safe
    if not safe:
        assert "sensitive" in verdict.reason


def test_constants_are_tuples_of_patterns() -> None:
    assert ".env" in SENSITIVE_PATTERNS and "secrets/" in SENSITIVE_PATTERNS
    assert "node_modules/" in EXPORT_EXCLUDES and "*.log" in EXPORT_EXCLUDES


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        (".env", "sensitive file (.env)"),
        ("config/id_rsa", "sensitive file (id_rsa*)"),
        ("dist/app.js", "build output (dist/)"),
        ("build/x.o", "build output (build/)"),
        ("src/pkg/build/x.py", "build output (build/)"),  # directories match at any depth
        ("web/node_modules/x/index.js", "dependency directory (node_modules/)"),
        ("logs/app.txt", "log directory (logs/)"),
        ("server.log", "log file (*.log)"),
        ("a/__pycache__/m.cpython-311.pyc", "bytecode cache"),
        ("m.pyc", "bytecode cache (*.pyc)"),
        (".coverage", "coverage output"),
        (".coverage.host.1234", "coverage output"),
        ("coverage/index.html", "coverage output"),
        ("htmlcov/index.html", "coverage output"),
        (".nyc_output/x.json", "coverage output"),
        ("coverage.xml", "coverage output"),
        ("lcov.info", "coverage output"),
        (".venv/bin/python", "virtual environment"),
        ("venv/lib/x.py", "virtual environment"),
        (".tox/py311/x", "tool cache"),
        (".pytest_cache/v/x", "tool cache"),
        (".mypy_cache/3.11/x.json", "tool cache"),
        (".git/config", "unsafe path"),
        ("../x", "unsafe path"),
        ("out/bin.exe", "excluded by policy (out/)"),
        ("report.tmp", "excluded by policy (*.tmp)"),
    ],
)
def test_export_excluded(path: str, fragment: str) -> None:
    reason = export_exclusion_reason(path, extra_excludes=["out/", "*.tmp"])
    assert reason is not None and fragment in reason
    assert not is_exportable(path, extra_excludes=["out/", "*.tmp"])


@pytest.mark.parametrize(
    "path",
    ["src/app.py", "README.md", ".env.example", "docs/build.md", "distance.py", "catalog.py"],
)
def test_exportable(path: str) -> None:
    assert export_exclusion_reason(path) is None
    assert is_exportable(path)


@pytest.mark.parametrize(
    ("link", "target", "fragment"),
    [
        ("a/link", "../../etc/passwd", "escapes"),
        ("link", "..", "escapes"),
        ("link", "/etc/passwd", "absolute"),
        ("link", "C:/Windows", "absolute"),
        ("link", ".git/config", ".git"),
        ("link", ".GIT", ".git"),
        ("a/link", "../.git/hooks", ".git"),
        ("link", "x/../.git", ".git"),
        ("link", "a\x00b", "NUL"),
        ("link", "a\nb", "control"),
        ("link", "", "empty"),
        ("link", "a\\b", "backslash"),
        ("link", ".env", "sensitive"),
        ("link", "keys/../secrets/db", "sensitive"),
        (".git/link", "x", ".git"),  # the link's own path is checked too
        (".gitmodules", "x", "gitmodules"),
    ],
)
def test_symlink_refused(link: str, target: str, fragment: str) -> None:
    verdict = check_symlink_target(link, target)
    assert not verdict.safe
    assert fragment.lower() in verdict.reason.lower()


@pytest.mark.parametrize(
    ("link", "target"),
    [("link", "src/app.py"), ("a/link", "../b"), ("a/b/link", "../../x"), ("link", "./x")],
)
def test_symlink_safe(link: str, target: str) -> None:
    assert check_symlink_target(link, target).safe


def test_no_symlink_parent() -> None:
    links = {"a/b"}
    seen: list[str] = []

    def is_symlink(prefix: str) -> bool:
        seen.append(prefix)
        return prefix in links

    verdict = check_no_symlink_parent("a/b/c/file", is_symlink)
    assert not verdict.safe and "'a/b'" in verdict.reason
    assert seen == ["a", "a/b"]
    assert check_no_symlink_parent("x/y/file", is_symlink).safe
    # The final component may itself be a symlink being replaced: only parents count.
    assert check_no_symlink_parent("a/b", is_symlink).safe
    assert not check_no_symlink_parent("../x", is_symlink).safe


def test_depth_limit() -> None:
    assert check_path("/".join(["d"] * 255) + "/f").safe
    deep = check_path("/".join(["d"] * 256) + "/f")
    assert not deep.safe and deep.reason == "path is 257 directories deep (limit 256)"
