"""Who is acting on ``gitgate serve``: bearer tokens, a reverse proxy's header, sessions, CSRF.

Pure: no git and no web framework, so every rule here is testable on its own.

Three ways to know the identity behind a request (chosen once, when the server starts):

- **local** (the default, loopback only): one random token, printed in the URL as Jupyter
  does, stands for the local identity (``GITGATE_ACTOR``, else git's ``user.email``);
- **token file** (``--token FILE``): one bearer token per identity;
- **proxy header** (``--proxy-user-header NAME``): an authenticating reverse proxy names the
  user in a header it sets itself.

A browser trades a token for a session cookie once (``/?token=`` or the login form); the API
sends ``Authorization: Bearer <token>`` on every request. Tokens are kept only as SHA-256
digests and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from gitgate.errors import GitgateError

MIN_TOKEN_LENGTH = 16
MAX_IDENTITY_LENGTH = 200
SESSION_SECONDS = 12 * 3600
MAX_SESSIONS = 10_000  # a flood of logins cannot grow memory without bound
_DIGEST_PREFIX = "sha256:"


class TokenFileError(GitgateError):
    """The ``--token`` file cannot be used."""

    code = "token-file"


def digest(token: str) -> bytes:
    """The SHA-256 digest under which a token is kept."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


def clean_identity(raw: str | None) -> str | None:
    """An identity as gitgate accepts it (no control characters, bounded), else None."""
    if raw is None:
        return None
    cleaned = raw.strip()
    if not cleaned or len(cleaned) > MAX_IDENTITY_LENGTH:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        return None
    return cleaned


@dataclass(frozen=True)
class TokenTable:
    """Bearer tokens (kept as digests) and the identity each one stands for."""

    entries: tuple[tuple[bytes, str], ...]

    @classmethod
    def single(cls, token: str, identity: str) -> TokenTable:
        """A table of one token: the local mode's random token for the local identity."""
        return cls(((digest(token), identity),))

    def identify(self, token: str | None) -> str | None:
        """The identity a presented token stands for, or None.

        Every entry is compared (constant time each), so timing tells nothing about which
        entry came close.
        """
        if not token:
            return None
        presented = digest(token)
        found: str | None = None
        for known, identity in self.entries:
            if hmac.compare_digest(known, presented):
                found = identity
        return found

    def identities(self) -> tuple[str, ...]:
        """Every identity in the table, in file order, without repeats."""
        return tuple(dict.fromkeys(identity for _, identity in self.entries))


def parse_token_file(text: str, *, source: str = "token file") -> TokenTable:
    """Parse a token file: one ``IDENTITY TOKEN`` pair per line.

    ``TOKEN`` is the token itself (at least 16 characters) or ``sha256:<64 hex>``, the digest
    of the token, so that the file need not hold the secret. Blank lines and lines starting
    with ``#`` are ignored. One identity may have several tokens; one token may not name two
    identities.

    Raises:
        TokenFileError: on a malformed line (the message names it) or an empty table.
    """
    entries: list[tuple[bytes, str]] = []
    seen: set[bytes] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split()
        where = f"{source}, line {number}"
        if len(fields) != 2:
            raise TokenFileError(
                f"{where}: expected `IDENTITY TOKEN`, found {len(fields)} fields",
                hint="write one identity and its token per line, separated by a space",
            )
        identity = clean_identity(fields[0])
        if identity is None:
            raise TokenFileError(f"{where}: the identity is not usable")
        token_digest = _token_digest(fields[1], where)
        if token_digest in seen:
            raise TokenFileError(
                f"{where}: this token is already given to another line",
                hint="every token must name exactly one identity",
            )
        seen.add(token_digest)
        entries.append((token_digest, identity))
    if not entries:
        raise TokenFileError(
            f"{source} holds no tokens",
            hint="add lines like `alice@example.com <token>` (see docs/SERVE.md)",
        )
    return TokenTable(tuple(entries))


def _token_digest(field_text: str, where: str) -> bytes:
    if field_text.startswith(_DIGEST_PREFIX):
        hexpart = field_text[len(_DIGEST_PREFIX) :]
        try:
            raw = bytes.fromhex(hexpart)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise TokenFileError(f"{where}: sha256: must be followed by 64 hex digits")
        return raw
    if len(field_text) < MIN_TOKEN_LENGTH:
        raise TokenFileError(
            f"{where}: the token is shorter than {MIN_TOKEN_LENGTH} characters",
            hint="make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    return digest(field_text)


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


@dataclass(frozen=True)
class AuthConfig:
    """How the server learns who is acting (exactly one of the two is set)."""

    tokens: TokenTable | None = None
    proxy_header: str | None = None

    def __post_init__(self) -> None:
        if (self.tokens is None) == (self.proxy_header is None):
            raise ValueError("give either tokens or a proxy header")

    @property
    def mode(self) -> str:
        """``proxy`` or ``token``."""
        return "proxy" if self.proxy_header else "token"


@dataclass
class Sessions:
    """Browser sessions: a random id in an HttpOnly cookie, the identity kept here."""

    lifetime: float = SESSION_SECONDS
    _by_id: dict[str, tuple[str, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, identity: str) -> str:
        """Start a session for ``identity``; return its id (the cookie value)."""
        sid = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            if len(self._by_id) >= MAX_SESSIONS:
                self._expire(now)
            if len(self._by_id) >= MAX_SESSIONS:
                oldest = min(self._by_id, key=lambda key: self._by_id[key][1])
                del self._by_id[oldest]
            self._by_id[sid] = (identity, now + self.lifetime)
        return sid

    def identify(self, sid: str | None) -> str | None:
        """The identity of a live session, else None."""
        if not sid:
            return None
        with self._lock:
            found = self._by_id.get(sid)
            if found is None:
                return None
            if found[1] < time.monotonic():
                del self._by_id[sid]
                return None
            return found[0]

    def drop(self, sid: str | None) -> None:
        """End a session (log out)."""
        if sid:
            with self._lock:
                self._by_id.pop(sid, None)

    def _expire(self, now: float) -> None:
        for sid in [k for k, (_, until) in self._by_id.items() if until < now]:
            del self._by_id[sid]


def csrf_token(secret: bytes, identity: str, session: str | None) -> str:
    """The CSRF token of forms shown to ``identity`` in ``session`` (HMAC: nothing stored)."""
    message = f"csrf\0{identity}\0{session or ''}".encode("utf-8", "surrogateescape")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, identity: str, session: str | None, presented: str | None) -> bool:
    """Tell whether a form's CSRF token is the one issued for this identity and session."""
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(secret, identity, session), presented)


def same_origin(origin: str | None, host: str | None, fetch_site: str | None) -> bool:
    """Tell whether a state-changing request may come from where it says it comes from.

    Browsers send ``Origin`` on every POST; it must name this server's host (``Host``). A
    request without ``Origin`` (curl, scripts) is judged by ``Sec-Fetch-Site`` when present,
    else allowed: only browsers carry ambient cookies, and they send one of the two.
    """
    if origin is not None:
        if origin == "null" or not host:
            return False
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    return True


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """Tell whether a listen address is loopback only."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def host_allowed(host_header: str | None, allowed: Iterable[str] | None) -> bool:
    """Tell whether a ``Host`` header names this server (DNS rebinding defence).

    ``allowed`` holds host names without ports; None allows any host.
    """
    if allowed is None:
        return True
    if not host_header:
        return False
    name = host_header.strip().lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name
    else:
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    return name in {h.lower() for h in allowed}
