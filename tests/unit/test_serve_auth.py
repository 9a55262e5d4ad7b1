"""gitgate.web.auth: tokens, token files, sessions, CSRF, origins and hosts (pure)."""

from __future__ import annotations

import hashlib

import pytest

from gitgate.web import auth

ALICE_TOKEN = "alice-token-0123456789"


def test_token_table_identifies_only_exact_tokens() -> None:
    table = auth.TokenTable.single(ALICE_TOKEN, "alice@example.com")
    assert table.identify(ALICE_TOKEN) == "alice@example.com"
    for wrong in (None, "", ALICE_TOKEN[:-1], ALICE_TOKEN + "x", ALICE_TOKEN.upper()):
        assert table.identify(wrong) is None


def test_token_file_plain_and_digest() -> None:
    digest = hashlib.sha256(b"bob-token-0123456789ab").hexdigest()
    table = auth.parse_token_file(
        "# identity token\n\n"
        f"alice@example.com {ALICE_TOKEN}\n"
        f"  bob@example.com\tsha256:{digest}  \n"
        "alice@example.com second-token-for-alice\n"
    )
    assert table.identify(ALICE_TOKEN) == "alice@example.com"
    assert table.identify("bob-token-0123456789ab") == "bob@example.com"
    assert table.identify("second-token-for-alice") == "alice@example.com"
    assert table.identify(f"sha256:{digest}") is None  # the digest is not itself a token
    assert table.identities() == ("alice@example.com", "bob@example.com")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "tokens holds no tokens"),
        ("# only a comment\n", "tokens holds no tokens"),
        ("alice\n", "tokens, line 1: expected `IDENTITY TOKEN`, found 1 fields"),
        ("a b c\n", "tokens, line 1: expected `IDENTITY TOKEN`, found 3 fields"),
        ("alice short\n", "tokens, line 1: the token is shorter than 16 characters"),
        ("alice sha256:xyz\n", "tokens, line 1: sha256: must be followed by 64 hex digits"),
        (f"a {ALICE_TOKEN}\nb {ALICE_TOKEN}\n", "tokens, line 2: this token is already given"),
    ],
)
def test_token_file_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(auth.TokenFileError) as caught:
        auth.parse_token_file(text, source="tokens")
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("", None),
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("abc", None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert auth.bearer_token(header) == token


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("alice@example.com", "alice@example.com"),
        ("  alice  ", "alice"),
        ("", None),
        ("   ", None),
        (None, None),
        ("a\nb", None),
        ("a\x7fb", None),
        ("x" * 201, None),
    ],
)
def test_clean_identity(raw: str | None, clean: str | None) -> None:
    assert auth.clean_identity(raw) == clean


def test_auth_config_needs_exactly_one_authority() -> None:
    table = auth.TokenTable.single(ALICE_TOKEN, "a")
    with pytest.raises(ValueError):
        auth.AuthConfig()
    with pytest.raises(ValueError):
        auth.AuthConfig(tokens=table, proxy_header="X-User")
    assert auth.AuthConfig(proxy_header="X-User").mode == "proxy"
    assert auth.AuthConfig(tokens=table).mode == "token"


def test_sessions_expire_and_drop() -> None:
    sessions = auth.Sessions(lifetime=3600)
    sid = sessions.create("alice")
    assert len(sid) >= 40 and sessions.identify(sid) == "alice"
    assert sessions.identify("forged") is None and sessions.identify(None) is None
    sessions.drop(sid)
    assert sessions.identify(sid) is None
    expired = auth.Sessions(lifetime=-1)
    assert expired.identify(expired.create("bob")) is None


def test_csrf_is_bound_to_identity_and_session() -> None:
    secret = b"s" * 32
    token = auth.csrf_token(secret, "alice", "session-1")
    assert auth.csrf_ok(secret, "alice", "session-1", token)
    assert not auth.csrf_ok(secret, "bob", "session-1", token)
    assert not auth.csrf_ok(secret, "alice", "session-2", token)
    assert not auth.csrf_ok(b"t" * 32, "alice", "session-1", token)
    assert not auth.csrf_ok(secret, "alice", "session-1", None)
    assert not auth.csrf_ok(secret, "alice", "session-1", "")


@pytest.mark.parametrize(
    ("origin", "host", "site", "ok"),
    [
        ("http://127.0.0.1:8765", "127.0.0.1:8765", None, True),
        ("https://gate.example", "gate.example", "same-origin", True),
        ("http://127.0.0.1:9999", "127.0.0.1:8765", None, False),
        ("http://evil.example", "127.0.0.1:8765", "cross-site", False),
        ("null", "127.0.0.1:8765", None, False),
        ("file://", "127.0.0.1:8765", None, False),
        ("http://127.0.0.1:8765", None, None, False),
        (None, "127.0.0.1:8765", "cross-site", False),
        (None, "127.0.0.1:8765", "same-site", False),
        (None, "127.0.0.1:8765", "same-origin", True),
        (None, "127.0.0.1:8765", "none", True),
        (None, "127.0.0.1:8765", None, True),  # curl and scripts carry no cookies
    ],
)
def test_same_origin(origin: str | None, host: str | None, site: str | None, ok: bool) -> None:
    assert auth.same_origin(origin, host, site) is ok


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1:8765", True),
        ("localhost:8765", True),
        ("LOCALHOST", True),
        ("[::1]:8765", True),
        ("evil.example:8765", False),
        ("127.0.0.1.evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_host_allowed_on_loopback(host: str | None, ok: bool) -> None:
    assert auth.host_allowed(host, auth.LOOPBACK_HOSTS) is ok
    assert auth.host_allowed(host, None) is True


def test_is_loopback() -> None:
    assert auth.is_loopback("127.0.0.1") and auth.is_loopback("::1")
    assert auth.is_loopback("localhost") and auth.is_loopback("127.1.2.3")
    assert not auth.is_loopback("0.0.0.0") and not auth.is_loopback("192.168.1.5")
