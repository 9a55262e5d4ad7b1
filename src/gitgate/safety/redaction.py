"""Find secrets in text and replace them with ``[REDACTED:<kind>]`` markers.

Everything gitgate stores (git notes, audit log entries, commit messages) and prints goes through
this module, so it has two jobs pulling in opposite directions: never let a credential through,
and never hide the ordinary text a human reviewer has to read.

How it works, and why it is fast enough to run on every diff:

1. One compiled regular expression (a trie of literal *trigger* strings such as ``ghp_``,
   ``AKIA``, ``://``, ``-----BEGIN `` and secret-ish words such as ``password`` or ``token``) is
   scanned over the text. Almost all text contains few triggers, so this pass dominates.
2. Each trigger hit runs only the detectors registered for that trigger, anchored at the hit:
   provider token formats, PEM blocks, URL credentials, ``Authorization`` headers, and the
   assignment detector that parses ``name = value`` / ``name: value`` / ``--name value``.
3. Candidate spans are merged (overlaps become one span, so no fragment of a secret survives)
   and candidates touching an existing marker are dropped, which makes :func:`redact`
   idempotent.

The module is pure: standard library only, no I/O.
"""

from __future__ import annotations

import _thread  # its lock is threading.Lock; threading itself is ~1 ms of the hook's start
import binascii
import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import Any, TypeAlias

__all__ = ["SecretFinding", "find_secrets", "redact", "redact_bytes", "redact_data"]

MARKER_PREFIX = "[REDACTED:"


class _LazyPattern:
    """A module-level regex compiled at its first use, which then takes its global's place.

    This module has ~70 of them; compiling them at import cost every short-lived process that
    imports redaction (the hook, `gitgate list`) ~25 ms, mostly for patterns it never uses.
    """

    __slots__ = ("_name", "_pattern", "_flags", "_compiled")

    def __init__(self, name: str, pattern: str, flags: int = 0) -> None:
        self._name, self._pattern, self._flags = name, pattern, flags
        self._compiled: re.Pattern[str] | None = None

    def _real(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
            if globals().get(self._name) is self:  # later lookups get the pattern itself
                globals()[self._name] = self._compiled
        return self._compiled

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._real(), attr)


def _lazy(name: str, pattern: str, flags: int = 0) -> re.Pattern[str]:
    return _LazyPattern(name, pattern, flags)  # type: ignore[return-value]  # stands in for one


_MARKER_RE = _lazy("_MARKER_RE", r"\[REDACTED:[a-z0-9-]+\]")
_DATA_MARKER = "[REDACTED:secret-value]"


@dataclass(frozen=True, slots=True)
class SecretFinding:
    """One secret found in a text.

    Attributes:
        kind: short label of what was found, e.g. ``"github-token"``.
        start: offset of the first character of the secret value (the key name, ``Bearer ``
            or ``://user:`` prefix is not part of the span).
        end: offset one past the last character of the secret value.
        line: 1-based line number of ``start``.
    """

    kind: str
    start: int
    end: int
    line: int


# A candidate span: (start, end, kind, priority). Higher priority names the merged span.
_Cand = tuple[int, int, str, int]
_Handler = Callable[[str, int, str, list[_Cand]], None]

_PRIO_CONTEXT = 10
_PRIO_GENERIC = 20
_PRIO_PROVIDER = 50
_PRIO_PEM = 60

# ---------------------------------------------------------------------------------------------
# Provider token formats. Each is anchored at its trigger literal; ``_B`` keeps a trigger inside
# a longer word (``disk-``) from matching.
# ---------------------------------------------------------------------------------------------
_B = r"(?<![A-Za-z0-9])"
_E = r"(?![A-Za-z0-9])"


@dataclass(frozen=True, slots=True)
class _Provider:
    """One vendor token format from the token table: its triggers and its regex."""

    kind: str
    triggers: tuple[str, ...]
    source: str  # the regex, compiled at its first trigger hit (see _compiled)
    group: int = 0
    check_random: bool = False
    checksum: str = ""
    before: int = 0
    strict: bool = False  # a value starting with a trigger has this shape or is a look-alike
    url: bool = False  # the whole URL is the credential: the finding starts at its scheme
    paired: bool = False  # an account's identifier: reported only beside another secret
    client: bool = False  # also issued as a client key: public in an app's client config
    public: str = ""  # a test of the token's content that says it is made to be public


def _load_providers() -> tuple[_Provider, ...]:
    """The vendor token table, kept as data in ``gitgate/safety/data/secret_tokens.toml``."""
    # Imported here: only the first scan needs the table, not every importer of this module.
    from gitgate.safety.tokentable import load_tokens

    out: list[_Provider] = []
    for entry in load_tokens():
        pattern = str(entry["pattern"])
        if entry.get("left", True):
            pattern = _B + pattern
        if entry.get("right", True):
            pattern += _E
        out.append(
            _Provider(
                kind=str(entry["kind"]),
                triggers=tuple(entry["triggers"]),
                source=pattern,
                group=int(entry.get("group", 0)),
                check_random=bool(entry.get("random", False)),
                checksum=str(entry.get("checksum", "")),
                before=int(entry.get("before", 0)),
                strict=bool(entry.get("strict", False)),
                url=bool(entry.get("url", False)),
                paired=bool(entry.get("paired", False)),
                client=bool(entry.get("client", False)),
                public=str(entry.get("public", "")),
            )
        )
    return tuple(out)


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _github_checksum_ok(token: str) -> bool:
    """GitHub's documented format: prefix, 30 random base62 chars, base62 CRC32 of them (6)."""
    body, check = token[4:34], token[34:40]
    n = zlib.crc32(body.encode("ascii"))
    digits = ""
    while n:
        n, r = divmod(n, 62)
        digits = _BASE62[r] + digits
    return digits.rjust(6, "0") == check


def _ecr_envelope_ok(token: str) -> bool:
    """An Amazon ECR authorization token (what ``aws ecr get-login-password`` prints, what
    ``get-authorization-token`` wraps as "AWS:<token>"): base64 of a KMS envelope, the JSON
    ``{"payload": …, "datakey": …, "version": …, "type": "DATA_KEY", …}``. Any other base64
    JSON that starts with a "payload" member (a queue message, an event) is data."""
    body = token.rstrip("=")
    try:
        decoded = binascii.a2b_base64(body[: len(body) - len(body) % 4])
    except binascii.Error:
        return False
    return decoded.startswith(b'{"payload"') and b'"datakey"' in decoded


def _public_jwt(token: str) -> bool:
    """A JWT whose claims make it public: PostgREST's anonymous role (Supabase's anon key,
    which its client libraries ship to every browser: row-level security decides what it may
    read), or the Supabase CLI's local demo keys (issuer "supabase-demo"), printed by every
    ``supabase start`` and in its documentation."""
    parts = token.split(".")
    if len(parts) < 2 or not parts[1].startswith("eyJ"):
        return False
    import json  # (only when a JWT is met; the module's import stays light)

    body = parts[1][:2048]
    try:
        claims = json.loads(binascii.a2b_base64(body.replace("-", "+").replace("_", "/") + "=="))
    except (ValueError, binascii.Error):
        return False
    return isinstance(claims, dict) and (
        claims.get("role") == "anon" or claims.get("iss") == "supabase-demo"
    )


_PUBLIC_CHECKS: dict[str, Callable[[str], bool]] = {"jwt-claims": _public_jwt}


_CHECKSUMS: dict[str, Callable[[str], bool]] = {
    "github-crc32": _github_checksum_ok,
    "ecr-envelope": _ecr_envelope_ok,
}


# A token-shaped value that fails its format's checksum is a look-alike (documentation examples,
# typos, other scanners' test fixtures), not a credential: the assignment detector must not
# report it either. Unless the text uses it as one (_used_as_credential).
def _fails_checksum(value: str) -> bool:
    return any(
        value.startswith(p.triggers)
        and _compiled(p.source).fullmatch(value) is not None
        and not _CHECKSUMS[p.checksum](value)
        for p in _checksummed()
    )


@cache
def _providers() -> tuple[_Provider, ...]:
    return _load_providers()


@cache
def _checksummed() -> tuple[_Provider, ...]:
    return tuple(p for p in _providers() if p.checksum)


# Where a text uses a token as a credential, whatever its checksum says (a token generated by
# hand, a format's older or newer generation): in a URL's user information, as an Authorization
# header's value, under the key of an OAuth grant's token or of a password, or assigned to a
# variable that the text then uses in one of those places ("ARG GITHUB_TOKEN=…" and later
# "https://${GITHUB_TOKEN}:x-oauth-basic@github.com"). A name alone ("GITHUB_TOKEN=ghp_…",
# "token: ghp_…") is not enough: that is how the look-alikes of other scanners' test suites
# are written.
_AUTH_BEFORE_RE = _lazy(
    "_AUTH_BEFORE_RE",
    r"authori[sz]ation[^\w\n]{1,8}(?:(?:bearer|token|basic)[ \t]+)?\Z",
    re.I,
)
_KEY_BEFORE_RE = _lazy(
    "_KEY_BEFORE_RE",
    r"(?<![\w.\-$])([A-Za-z_][\w.\-]{0,63})[\"'\]]?[ \t]*(?:=>|:=|[:=])[ \t]*[\"']?\Z",
)
_XML_KEY_BEFORE_RE = _lazy(
    "_XML_KEY_BEFORE_RE",
    r"(?:<([A-Za-z_][\w.\-]{0,63})>[ \t]*|(?:key|name)=[\"']([A-Za-z_][\w.\-]{0,63})[\"'][ \t]+"
    r"value=[\"'])\Z",
)
_PASSWORD_THEN_HOST_RE = _lazy("_PASSWORD_THEN_HOST_RE", r":[^\s/@?#\"'<>]{0,256}@")
_USER_INFO_RE = _lazy("_USER_INFO_RE", r"[^\s/@:?#\"'<>]{1,256}:")
# The OAuth 2.0 token response's fields (RFC 6749, 5.1), in the spellings stores use for them:
# the record of an issued grant, not a configuration someone fills in.
_GRANT_KEYS = frozenset({"access_token", "accesstoken", "refresh_token", "refreshtoken"})
_CREDENTIAL_USE_SPAN = 16384
_CREDENTIAL_USES = 16  # references judged per token: its uses, not every mention


def _in_user_info(text: str, start: int, end: int) -> bool:
    """``https://TOKEN@host``, ``https://user:TOKEN@host``, ``https://TOKEN:x@host``."""
    lo = max(0, start - 264)
    line_start = text.rfind("\n", lo, start) + 1 or lo
    at = text.rfind("://", line_start, start)
    if at < 0:
        return False
    user = at + 3
    if user < start and _USER_INFO_RE.fullmatch(text, user, start) is None:
        return False
    return text.startswith("@", end) or _PASSWORD_THEN_HOST_RE.match(text, end) is not None


# Given to a login as its password: --password X, or echo X | docker login --password-stdin.
_PASSWORD_FLAG_BEFORE_RE = _lazy("_PASSWORD_FLAG_BEFORE_RE", r"--password(?:=|[ \t]+)[\"']?\Z")
_STDIN_LOGIN_AFTER_RE = _lazy(
    "_STDIN_LOGIN_AFTER_RE", r"[\"'}]{0,2}[ \t]*\|[^\n|;&]{0,256}?--password-stdin"
)


def _credential_position(text: str, start: int, end: int) -> bool:
    return (
        _in_user_info(text, start, end)
        or _AUTH_BEFORE_RE.search(text, max(0, start - 48), start) is not None
        or _PASSWORD_FLAG_BEFORE_RE.search(text, max(0, start - 16), start) is not None
        or _STDIN_LOGIN_AFTER_RE.match(text, end) is not None
    )


def _used_as_credential(text: str, start: int, end: int) -> bool:
    if _credential_position(text, start, end):
        return True
    xml = _XML_KEY_BEFORE_RE.search(text, max(0, start - 80), start)
    if xml is not None:
        # <password>ghp_…</password> (Maven), <add key="ClearTextPassword" value="ghp_…"/>
        # (NuGet): a password element or setting, never a variable used elsewhere.
        words = [w.lower() for w in _NAME_SPLIT_RE.findall(xml.group(1) or xml.group(2))]
        return bool(words) and words[-1] in ("password", "passwd", "pwd", "pass")
    key = _KEY_BEFORE_RE.search(text, max(0, start - 80), start)
    if key is None:
        return False
    name = key.group(1).rsplit(".", 1)[-1]
    words = [w.lower() for w in _NAME_SPLIT_RE.findall(name)]
    if name.lower().replace("-", "_") in _GRANT_KEYS or (
        words and words[-1] in ("password", "passwd", "pwd", "pass")
    ):
        return True
    # The variable it is assigned to, used where a credential goes elsewhere in the text.
    ref = re.compile(r"\$\{?" + re.escape(name) + r"\}?(?![\w])")
    lo, hi = max(0, start - _CREDENTIAL_USE_SPAN), min(len(text), end + _CREDENTIAL_USE_SPAN)
    for i, m in enumerate(ref.finditer(text, lo, hi)):
        if i == _CREDENTIAL_USES or _credential_position(text, m.start(), m.end()):
            return i < _CREDENTIAL_USES
    return False


@cache
def _paired_kinds() -> frozenset[str]:
    return frozenset(p.kind for p in _providers() if p.paired)


# How near another secret an identifier (a Twilio account SID) must be to be reported with it.
_PAIRED_WINDOW = 256


def _drop_lone_identifiers(cands: list[_Cand]) -> None:
    """Remove the findings of a ``paired`` format that no other finding is near: an account's
    identifier is half of a credential only beside the other half."""
    paired = _paired_kinds()
    if not any(c[2] in paired for c in cands):
        return  # (the common case: one pass over the findings)
    others = [(s, e) for s, e, kind, _ in cands if kind not in paired]
    cands[:] = [
        c
        for c in cands
        if c[2] not in paired
        or any(s - _PAIRED_WINDOW < c[1] and c[0] < e + _PAIRED_WINDOW for s, e in others)
    ]


@cache
def _strict_prefixes() -> tuple[str, ...]:
    return tuple(t for p in _providers() if p.strict for t in p.triggers)


@cache
def _published_values() -> frozenset[str]:
    """Credentials their vendor publishes for everyone to use (the table's ``[[published]]``):
    a diff holding one leaks nothing."""
    from gitgate.safety.tokentable import load_published

    values = load_published()
    # A 32-byte key is written with or without "0x" (a wallet's private key).
    hex_keys = {"0x" + v for v in values if len(v) == 64 and _HEX_RE.fullmatch(v)}
    return values | hex_keys


@cache
def _published_near() -> dict[str, tuple[str, ...]]:
    """Defaults published for one context (the Android debug keystore's "android")."""
    from gitgate.safety.tokentable import load_published_near

    return load_published_near()


_NEAR_SPAN = 512


def _drop_published_defaults(text: str, cands: list[_Cand]) -> None:
    """Remove findings that are a context's published default, written in that context."""
    near = _published_near()
    kept = []
    for c in cands:
        words = near.get(text[c[0] : c[1]]) if c[1] - c[0] < 64 else None
        if words is not None:
            window = text[max(0, c[0] - _NEAR_SPAN) : c[1] + _NEAR_SPAN]
            if any(w in window for w in words):
                continue
        kept.append(c)
    cands[:] = kept


def _vendor_lookalike(value: str) -> bool:
    """A value with a vendor's prefix but not that vendor's shape: a truncated or altered
    example ("sk-ant-oat01-tooShort", "xoxp-1234-1234-1234-…", a GitHub token whose checksum
    fails). The assignment detector does not report it either."""
    if _fails_checksum(value):
        return True
    if not value.startswith(_strict_prefixes()):
        return False
    return not any(
        p.group == 0 and not p.before and _compiled(p.source).fullmatch(value)
        for p in _providers()
        if value.startswith(p.triggers)
    )


# Discord bot tokens have no literal prefix: their first part is base64 of a numeric id.
_DISCORD_BOT_RE = _lazy(
    "_DISCORD_BOT_RE",
    r"(?<![A-Za-z0-9_\-.])[MNO][A-Za-z0-9]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,40}"
    r"(?![A-Za-z0-9_\-.])",
)
# Bot tokens are "<bot id>:<35 characters>"; the ones Telegram issues today start "AA".
_TELEGRAM_RE = _lazy(
    "_TELEGRAM_RE",
    r"(?<![0-9])(?:[0-9]{6,12}:AA[A-Za-z0-9_\-]{30,1024}"
    r"|[0-9]{5,16}:A[A-Za-z0-9_\-]{34}(?![A-Za-z0-9_\-]))",
)


@cache
def _compiled(source: str) -> re.Pattern[str]:
    """A vendor pattern, compiled when its trigger is first met: a scan meets few of the ~200,
    and compiling them all cost every short-lived process (the hook, `gitgate list`) ~40 ms."""
    return re.compile(source)


def _provider_handler(provider: _Provider) -> _Handler:
    def handle(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
        if pos < provider.before:
            return
        m = _compiled(provider.source).match(text, pos - provider.before)
        if m is None:
            return
        start, end = m.span(provider.group)
        value = text[start:end]
        if (
            provider.checksum
            and not _CHECKSUMS[provider.checksum](value)
            and not _used_as_credential(text, start, end)
        ):
            return
        body = value[len(hit) :] if provider.group == 0 and not provider.before else value
        if _is_token_placeholder(body) or value in _published_values():
            return
        if provider.check_random and not (_looks_random(body, min_len=12) or _dense_random(body)):
            return
        if provider.client and _in_client_config(text, start, end):
            return
        if provider.public and _PUBLIC_CHECKS[provider.public](value):
            return
        if provider.url:
            start = _url_start(text, m.start())
        out.append((start, end, provider.kind, _PRIO_PROVIDER))

    return handle


# Where a key is part of what an app or a page ships to every user, so that it is public by
# design (Google's browser, Android and iOS keys, restricted to the app or site that uses them):
# a Firebase client configuration (the web config's authDomain and messagingSenderId,
# google-services.json's mobilesdk_app_id and current_key, GoogleService-Info.plist's
# GOOGLE_APP_ID and GCM_SENDER_ID, FlutterFire's FirebaseOptions), an Android manifest's
# <meta-data>, an iOS property list, the Maps JavaScript API's loader or embed URL, and the
# variables build tools inline into browser bundles (NEXT_PUBLIC_…, VITE_…).
_CLIENT_CONFIG_MARKERS = (
    "authdomain", "messagingsenderid", "gcmsenderid", "mobilesdkappid", "googleappid",
    "firebaseapp.com", "currentkey", "firebaseoptions",
)  # fmt: skip
# Expo's app config (ios.config.googleMapsApiKey) and the Maps JavaScript API's loaders
# (@react-google-maps/api's useJsApiLoader({googleMapsApiKey})), in that spelling only: a
# server's GOOGLE_MAPS_API_KEY is no client's.
_CLIENT_FIELD_RE = _lazy("_CLIENT_FIELD_RE", r"[\"']?googleMapsApiKey[\"']?[ \t]*:[ \t]*[\"'`]?\Z")
_CLIENT_CONFIG_SPAN = 1024
_CLIENT_URL_RE = _lazy("_CLIENT_URL_RE", r"maps/(?:api/js|embed/v\d)\b[^\s\"'<>]{0,512}\Z")
_CLIENT_ENV_BEFORE_RE = _lazy(
    "_CLIENT_ENV_BEFORE_RE",
    r"\b(?:NEXT_PUBLIC|NUXT_PUBLIC|EXPO_PUBLIC|REACT_APP|VITE|VUE_APP|GATSBY)_[A-Z0-9_]{1,64}"
    r"[\"']?[ \t]*[:=][ \t]*[\"'`]?\Z",
)
_SEPARATORS_TABLE = str.maketrans("", "", "_-")


@cache
def _client_providers() -> tuple[_Provider, ...]:
    return tuple(p for p in _providers() if p.client)


def _public_client_key(text: str, start: int, end: int, value: str) -> bool:
    """A client key (a format its vendor also issues for apps) in a client configuration."""
    return any(
        value.startswith(p.triggers) and _compiled(p.source).fullmatch(value) is not None
        for p in _client_providers()
    ) and _in_client_config(text, start, end)


def _in_client_config(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", max(0, start - 512), start) + 1
    if _CLIENT_ENV_BEFORE_RE.search(text, line_start, start) is not None:
        return True
    if _CLIENT_URL_RE.search(text, line_start, start) is not None:
        return True
    if _CLIENT_FIELD_RE.search(text, max(line_start, start - 64), start) is not None:
        return True
    meta = text.rfind("<meta-data", line_start, start)
    if meta >= 0 and text.find(">", meta, start) < 0:
        return True
    lo, hi = max(0, start - _CLIENT_CONFIG_SPAN), min(len(text), end + _CLIENT_CONFIG_SPAN)
    window = text[lo:hi].lower().translate(_SEPARATORS_TABLE)
    if any(marker in window for marker in _CLIENT_CONFIG_MARKERS):
        return True
    return (
        text.startswith("<string>", start - 8) and "<plist" in text[max(0, start - 16384) : start]
    )


_HOST_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")


def _url_start(text: str, host: int) -> int:
    """Where the URL whose host (or, for a trigger in its path or a subdomain, a later part of
    it: discord.com/api/webhooks/…, <tenant>.webhook.office.com) is at ``host`` starts: its
    scheme, when one is written."""
    at, floor = host, max(0, host - 255)
    while at > floor and text[at - 1] in _HOST_CHARS:
        at -= 1
    for scheme in ("https://", "http://"):
        if text.startswith(scheme, at - len(scheme)):
            return at - len(scheme)
    return host


_TOKEN_PLACEHOLDER_RE = _lazy(
    "_TOKEN_PLACEHOLDER_RE",
    r"example|sample|dummy|your|placeholder|redacted|xxxx|\*\*\*|\.\.\.|<|>|0000000|token_?here"
    r"|[_\-]here\b|fake|123456789|abcdefgh",
    re.I,
)


_TOKEN_PART_SEP_RE = _lazy("_TOKEN_PART_SEP_RE", r"[/\-_.:]")


def _is_token_placeholder(body: str) -> bool:
    """``ghp_xxxx…``, ``AKIA…EXAMPLE``, ``xoxb-your-token``: a real prefix on a fake body."""
    if _TOKEN_PLACEHOLDER_RE.search(body) is not None:
        return True
    core = [c for c in body if c.isalnum()]
    # Generated bodies use most of their alphabet; a fill pattern ("abcabc", "1111") does not.
    if len(core) >= 12 and len(set(core)) < 6:
        return True
    # Parts that each repeat one character: a stand-in for a path ("XXX/YYY/ZZZ", a webhook's).
    parts = _TOKEN_PART_SEP_RE.split(body)
    return len(parts) >= 2 and all(len(set(part)) == 1 for part in parts)


def _dense_random(body: str) -> bool:
    """A long body with the spread of a generated token, even when ``_looks_random`` balks.

    ``_looks_random`` rejects runs of capitals ("WTOXIWUHAJVSDMG" reads as words to it); after
    a vendor prefix, a long high-entropy body with digits is what generated tokens look like.
    """
    return (
        len(body) >= 20
        and any(c.isdigit() for c in body)
        and len(set(body)) >= 12
        and _TOKEN_CHARS_RE.fullmatch(body) is not None
        and _entropy(body) >= 3.8
    )


def _telegram(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    # The trigger is ":A"; the bot id is the run of digits just before it.
    start = pos
    while start > 0 and pos - start < 16 and text[start - 1].isdigit():
        start -= 1
    m = _TELEGRAM_RE.match(text, start)
    if m is not None and (
        text.startswith(":AA", pos) or _looks_random(m.group()[pos - start + 1 :])
    ):
        out.append((m.start(), m.end(), "telegram-bot-token", _PRIO_PROVIDER))


# ---------------------------------------------------------------------------------------------
# PEM / OpenSSH private keys, raw or with JSON-escaped newlines.
# ---------------------------------------------------------------------------------------------
_PEM_HEAD_RE = _lazy("_PEM_HEAD_RE", r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----")
# Used only when the END line is missing (a truncated key): eat the base64 body lines.
_PEM_BODY_RE = _lazy(
    "_PEM_BODY_RE",
    r"(?:(?:\\r)?(?:\\n|\r?\n)[ \t+\-\"]*"
    r"(?:[A-Za-z0-9+/=]{8,1024}|Proc-Type:[^\n\\]*|DEK-Info:[^\n\\]*|Comment:[^\n\\]*)?)*",
)
_PEM_MAX_BODY = 32768
# (escaped once in JSON, twice or more when that JSON is itself a string: \\n)
_ESCAPED_NEWLINE_RE = _lazy("_ESCAPED_NEWLINE_RE", r"(?:\\{1,3}r)?\\{1,3}n")


def _pem(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _PEM_HEAD_RE.match(text, pos)
    if m is None:
        return
    footer = f"-----END {m.group(1)}-----"
    idx = text.find(footer, m.end(), m.end() + _PEM_MAX_BODY)
    end = idx + len(footer) if idx >= 0 else _PEM_BODY_RE.match(text, m.end()).end()  # type: ignore[union-attr]
    body_end = idx if idx >= 0 else end
    # A header with no key material ("-----BEGIN RSA PRIVATE KEY-----" in code that looks for
    # one, "..." in documentation) is not a key.
    if _PEM_MATERIAL_RE.search(text, m.end(), body_end) is None:
        return
    if _filler_body(text, m.end(), body_end):
        return  # "XXXX…", "AAAA…": a stand-in for the key in documentation and fixtures
    if idx >= 0 and text.startswith("\\", end) and "\\n" in text[m.end() : m.end() + 6]:
        # A key in a JSON string ("-----BEGIN …\nMIG…\n-----END …-----\n", JSON's escaped
        # newlines): the escape that ends the footer line is the key file's last byte, and
        # part of the value a redaction must hide.
        nl = _ESCAPED_NEWLINE_RE.match(text, end)
        end = nl.end() if nl is not None else end
    out.append((pos, end, "private-key", _PRIO_PEM))


def _filler_body(text: str, start: int, end: int) -> bool:
    """A body of a handful of distinct characters (a real key uses all of base64's 64)."""
    seen: set[str] = set()
    for ch in text[start : min(end, start + 4096)]:
        if ch.isalnum():
            seen.add(ch)
            if len(seen) >= 8:
                return False
    return True


def _pem_stand_in(text: str, start: int, end: int) -> bool:
    """A private-key block in ``text[start:end]`` with no key in it ("…", "XXXX" between the
    lines): what _pem does not report, the value of KEY="-----BEGIN …" is not a secret either
    (a real key there is _pem's finding)."""
    if not text.startswith("-----BEGIN ", start):
        return False
    m = _PEM_HEAD_RE.match(text, start)
    if m is None:
        return False
    body_end = text.find("-----END ", m.end(), end)
    body_end = end if body_end < 0 else body_end
    return _PEM_MATERIAL_RE.search(text, m.end(), body_end) is None or _filler_body(
        text, m.end(), body_end
    )


# Key material: a run of base64 (escaped newlines \n end a run too).
_PEM_MATERIAL_RE = _lazy("_PEM_MATERIAL_RE", r"[A-Za-z0-9+/=]{24}")
_PUTTY_RE = _lazy("_PUTTY_RE", r"Private-Lines:[ \t]*(\d{1,3})[ \t]*\r?\n")


def _putty(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    """PuTTY .ppk files: the private part is the base64 lines after ``Private-Lines: N``."""
    m = _PUTTY_RE.match(text, pos)
    if m is None:
        return
    end = m.end()
    for _ in range(int(m.group(1))):
        nl = text.find("\n", end, end + 1024)
        end = len(text) if nl < 0 else nl + 1
    if end > m.end():
        out.append((m.end(), end, "private-key", _PRIO_PEM))


# ---------------------------------------------------------------------------------------------
# Credentials in URLs, Authorization headers, curl -u.
# ---------------------------------------------------------------------------------------------
# The password may contain '@' (people do write that); the greedy class backtracks to the last
# '@' before the host, so the whole password is covered. A '>' too (Redis ACL passwords start
# with one): "<http://host>" ends at it, but then no "@host" follows.
_URL_CRED_RE = _lazy(
    "_URL_CRED_RE", r"://[^\s/:?#\"'<>]{0,256}:([^\s/?\"'<]{1,1024})@[A-Za-z0-9\[._\-{$%]"
)
_AUTH_HEADER_RE = _lazy(
    "_AUTH_HEADER_RE",
    r"(?:Bearer|bearer|BEARER|Basic|BASIC|basic|Token|Digest)[ \t]+([A-Za-z0-9\-._~+/]{1,4096}=*)",
)
_CURL_USER_RE = _lazy("_CURL_USER_RE", r"(?:-u|--user)(?:[ \t]+|=)")
_SHELL_WORD_MAX = 2048
_WORD_BREAKS = frozenset(" \t\r\n;|&<>()")


# A password with "/" (generated base64 ones have it): only when it cannot be a port and path
# (host:8443/users/@alice) nor a repository (github.com:org/repo.git@v1), see _url_credentials.
_URL_CRED_SLASH_RE = _lazy(
    "_URL_CRED_SLASH_RE",
    r"://[^\s/@:?#\"'<>]{0,256}:([^\s/?#\"'<>@][^\s?#\"'<>@]{0,1023})@[A-Za-z0-9\[._\-{$%]",
)


# A password with an unencoded "?" (invalid in a URL, written anyway): only when it cannot be
# a port and a query (host:8080?next=mailto:a@b.org), see _url_credentials.
_URL_CRED_QUERY_RE = _lazy(
    "_URL_CRED_QUERY_RE",
    r"://[^\s/@:?#\"'<>]{0,256}:([^\s/?#\"'<>@][^\s/#\"'<>@]{0,1023})@[A-Za-z0-9\[._\-{$%]",
)


def _query_mark_ends(password: str) -> bool:
    """``user:Autumn2025?@host``: a "?" right before the "@" cannot start a query (it would
    be empty, then "@host"), so it ends a password, whatever its shape."""
    return password.endswith("?") and "/" not in password and len(password) >= 7


def _url_credentials(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _URL_CRED_RE.match(text, pos)
    if m is None:
        m = _URL_CRED_SLASH_RE.match(text, pos) or _URL_CRED_QUERY_RE.match(text, pos)
        if m is None or _port_first(m.group(1)):
            return
        if not (_password_shaped(m.group(1)) or _query_mark_ends(m.group(1))):
            return
    password = m.group(1)
    if len(password) < 3:
        return  # user:p@host, ab: a stand-in, no password anyone chose
    if text[m.start() + 3 : m.start(1) - 1] == password:
        return  # postgres:postgres@, guest:guest@: a local stack's default, the user's name
    if _is_placeholder(password) or ("%" in password and _encoded_reference(password)):
        return  # (a percent-encoded reference is still one: %24%7BDB_PASSWORD%7D)
    out.append((m.start(1), m.end(1), "url-credentials", _PRIO_GENERIC))


# A Sentry DSN (https://<public key>@o1.ingest.sentry.io/<project>, and the legacy
# https://<public key>:<secret key>@host/<project>, self-hosted Sentry and GlitchTip alike): the
# keys are 32 hex digits in the user information and the path ends in the numeric project id.
# Whoever has the key can send events as the project, so outside the code that ships it to
# browsers the key is a credential, however harmless its name sounds.
_DSN_RE = _lazy(
    "_DSN_RE",
    r"://([0-9a-f]{32})(?::([0-9a-f]{32}))?@[A-Za-z0-9.\-]{1,253}(?::\d{1,5})?/"
    r"(?:[\w.\-]{1,64}/){0,4}\d{1,12}(?![\w/.\-])",
)
# Where a DSN is public by design (Sentry's documentation says so of the browser SDK's): the
# JavaScript SDK's Sentry.init({dsn: …}), which runs in every visitor's browser, and the
# variables frameworks inline into browser bundles (NEXT_PUBLIC_SENTRY_DSN, PUBLIC_SENTRY_DSN).
_BROWSER_DSN_RE = _lazy(
    "_BROWSER_DSN_RE",
    r"Sentry\.init\(\s*\{[^;(){}]{0,160}\Z"
    r"|[Pp][Uu][Bb][Ll][Ii][Cc][\w\-]{0,64}[\"']?[ \t]*[:=][ \t]*[\"'`]?[A-Za-z+]{2,16}\Z",
)


def _sentry_dsn(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _DSN_RE.match(text, pos)
    if m is None or _is_token_placeholder(m.group(1)):
        return
    if _BROWSER_DSN_RE.search(text, max(0, pos - 192), pos) is not None:
        return
    out.append((m.start(1), m.end(2) if m.group(2) else m.end(1), "sentry-dsn", _PRIO_PROVIDER))


_PERCENT_RE = _lazy("_PERCENT_RE", r"%([0-9A-Fa-f]{2})")


def _unpercent(value: str) -> str:
    """RFC 3986 percent-decoding (of ASCII: enough to see a reference or placeholder)."""
    return _PERCENT_RE.sub(lambda m: chr(int(m.group(1), 16)), value)


def _encoded_reference(password: str) -> bool:
    """A placeholder once percent-decoded; a "$" glued to a word there ("Harbor%24Quay7") is
    a literal dollar sign someone encoded, not a variable (``${…}`` still is one)."""
    return _is_placeholder(_LITERAL_DOLLAR_RE.sub("S", _unpercent(password)))


_LITERAL_DOLLAR_RE = _lazy("_LITERAL_DOLLAR_RE", r"\$(?=[A-Za-z_0-9])")


def _port_first(value: str) -> bool:
    """``8443/users`` or ``8080?next=...``: a port and a path or query; ``org/repo.git``: a
    repository path after scp-like ``host:`` (``https://github.com:org/repo.git@v1``). Not a
    password either way."""
    head = value.replace("?", "/").split("/")[0]
    return head.isdigit() or _REPO_PATH_RE.fullmatch(value) is not None


_REPO_PATH_RE = _lazy("_REPO_PATH_RE", r"[\w.\-]+(?:/[\w.\-]+)*/[\w.\-]+\.git")


def _auth_header(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _AUTH_HEADER_RE.match(text, pos)
    if m is None or (pos > 0 and text[pos - 1].isalnum()):
        return
    value = m.group(1)
    if len(value) < 8 or _is_placeholder(value) or not _has_credential_shape(value):
        return
    if value in _published_values():
        return  # jwt.io's example token in an API's documentation: "Bearer eyJhbGciOi…"
    out.append((m.start(1), m.end(1), "authorization-header", _PRIO_GENERIC))


_COOKIE_PAIR_RE = _lazy("_COOKIE_PAIR_RE", r"[ \t]*([^=;,\s]{1,128})=([^;,\s\"']{1,4096});?")


# A header map's "Cookie": "a=b; session=…" (a Sentry event, a JSON log, a Python dict).
_COOKIE_KEY_SEP_RE = _lazy("_COOKIE_KEY_SEP_RE", r"[ \t]*:[ \t]*(?=[\"'])")


def _cookie_field(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    """A HAR or JSON header list's ``{"name": "Cookie", "value": "a=b; session=…"}``, or a
    header map's ``"Cookie": "a=b; session=…"``."""
    sep = _COOKIE_KEY_SEP_RE.match(text, pos + len(hit))
    if sep is not None:
        _cookie_header(text, sep.end(), text[sep.end()], out)
        return
    m = _VALUE_FIELD_RE.match(text, pos + len(hit))
    if m is None or not text.startswith('"', m.end()):
        return
    if _NAME_FIELD_RE.search(text, max(0, pos - 24), pos + 1) is None:
        return
    _cookie_header(text, m.end(), '"', out)


def _cookie_header(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    """``Cookie: session=…; csrftoken=…``: a value that looks generated is a bearer secret."""
    at = pos + len(hit)
    while True:
        m = _COOKIE_PAIR_RE.match(text, at)
        if m is None:
            return
        value = m.group(2)
        if (_looks_random(value) or _dense_random(value)) and not _is_placeholder(value):
            out.append((m.start(2), m.end(2), "cookie", _PRIO_GENERIC))
        at = m.end()


# A cookie jar serialised as YAML by Ruby's http-cookie gem (fastlane's FASTLANE_SESSION, what
# `fastlane spaceauth` prints: the Apple ID session): each "- !ruby/object:HTTP::Cookie" record
# holds a cookie's name, value, domain; a generated value is a session.
_RUBY_COOKIE_VALUE_RE = _lazy(
    "_RUBY_COOKIE_VALUE_RE",
    r"\r?\n[ \t]{1,16}value:[ \t]*[\"']?([^\s\"']{8,4096})[\"']?[ \t]*\r?$",
    re.M,
)
_RUBY_COOKIE_SPAN = 8192


def _ruby_cookie(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    at = pos + len(hit)
    nxt = text.find(hit, at, at + _RUBY_COOKIE_SPAN)
    hi = nxt if nxt >= 0 else min(len(text), at + _RUBY_COOKIE_SPAN)
    m = _RUBY_COOKIE_VALUE_RE.search(text, at, hi)
    if m is None:
        return
    value = m.group(1)
    if (_looks_random(value) or _dense_random(value)) and not _is_placeholder(value):
        out.append((m.start(1), m.end(1), "cookie", _PRIO_GENERIC))


def _shell_word(text: str, at: int) -> tuple[str, list[int]] | None:
    """The shell word at ``at`` as the shell reads it (quotes removed, ``kevin:'pw'`` and
    ``"id":"pw"`` joined), with the index in ``text`` of each of its characters."""
    chars: list[str] = []
    where: list[int] = []
    i, n = at, min(len(text), at + _SHELL_WORD_MAX)
    while i < n and text[i] not in _WORD_BREAKS:
        c = text[i]
        if c in "'\"":
            if i > at and any(ch.isspace() for ch in text[i : text.find(c, i + 1, n) + 1 or n]):
                return None  # 'vim -u test", then ":set': a quote closing elsewhere, not a word
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                if c == '"' and text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`':
                    j += 1
                chars.append(text[j])
                where.append(j)
                j += 1
            if j >= n or text[j] != c:
                return None  # not closed on its line: no word to judge
            i = j + 1
            continue
        if c == "\\" and i + 1 < n:
            i += 1
        chars.append(text[i])
        where.append(i)
        i += 1
    return "".join(chars), where


_STRFTIME_RE = _lazy("_STRFTIME_RE", r"%[-_0^#]?[A-Za-z]")


def _curl_user(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    """curl -u user:password; -u KEY: (Stripe, Mailgun: the API key is the user name and
    the password is empty, so the user part is the secret)."""
    m = _CURL_USER_RE.match(text, pos)
    if m is None or (pos > 0 and not text[pos - 1].isspace()):
        return
    word = _shell_word(text, m.end())
    if word is None or ":" not in word[0]:
        return  # no password given: curl prompts for it
    value, where = word
    if len(_STRFTIME_RE.findall(value)) >= 2:
        return  # date -u +%Y-%m-%dT%H:%M:%SZ: a strftime format (UTC), not user:password
    user, _, password = value.partition(":")
    if password:
        first = len(user) + 1
        if _is_placeholder(password, quoted=True) or len(set(password)) < 3:
            return  # $PASS, ${{ secrets.X }}, xxx:yyy
    else:
        first = 0
        if _is_placeholder(user) or not (_looks_random(user) or _password_shaped(user)):
            return
        if user in _published_values():
            return  # Stripe's documented test key, in every example of its API reference
        value = user
    out.append((where[first], where[len(value) - 1] + 1, "basic-auth-credentials", _PRIO_GENERIC))


def _has_credential_shape(value: str) -> bool:
    """True unless ``value`` reads like a word ("Bearer token", "Basic authentication")."""
    has_digit = any(c.isdigit() for c in value)
    has_upper = any(c.isupper() for c in value)
    has_lower = any(c.islower() for c in value)
    return has_digit or (has_upper and has_lower and not value.istitle()) or value.endswith("=")


# ---------------------------------------------------------------------------------------------
# Context detectors: a value whose shape alone is ambiguous (a 40-char base64 string, a UUID,
# 32 hex digits) counts as a secret when a provider name appears near it on the same line.
# ---------------------------------------------------------------------------------------------
_CONTEXT_WINDOW = 200
_AWS_SECRET_RE = _lazy("_AWS_SECRET_RE", r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_UUID_RE = _lazy(
    "_UUID_RE",
    r"(?<![0-9A-Fa-f-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"(?![0-9A-Fa-f-])",
)
# PagerDuty's Events API routing (integration) keys: 32 hex digits, named near "pagerduty".
_HEX32_RE = _lazy("_HEX32_RE", r"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])")
_HEX32_40_RE = _lazy(
    "_HEX32_40_RE", r"(?<![0-9A-Za-z])(?:[0-9a-f]{40}|[0-9a-f]{32})(?![0-9A-Za-z])"
)
# GoCardless access tokens (gitleaks): live_ and 40 characters, named near "gocardless".
_GOCARDLESS_RE = _lazy("_GOCARDLESS_RE", r"(?<![\w\-])live_[A-Za-z0-9\-_=]{40}(?![\w\-=])")
_VAULT_LEGACY_RE = _lazy("_VAULT_LEGACY_RE", r"(?<![\w.])s\.[A-Za-z0-9]{24}(?![\w])")
# Alibaba Cloud AccessKey secrets: 30 letters and digits (a few more tolerated), written beside
# their LTAI… key id.
_ALIBABA_SECRET_RE = _lazy(
    "_ALIBABA_SECRET_RE", r"(?<![A-Za-z0-9/+=])[A-Za-z0-9]{30,32}(?![A-Za-z0-9/+=])"
)


def _aws_secret_shape(value: str) -> bool:
    # Real keys mix cases and digits; a git object id (hex) or a word run does not.
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() or c in "+/" for c in value)
    )


def _context_handler(
    kind: str, pattern: re.Pattern[str], accept: Callable[[str], bool] | None = None
) -> _Handler:
    def handle(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
        lo = max(0, pos - _CONTEXT_WINDOW)
        lo = text.rfind("\n", lo, pos) + 1 or lo
        hi = min(len(text), pos + _CONTEXT_WINDOW)
        nl = text.find("\n", pos, hi)
        hi = hi if nl < 0 else nl
        for m in pattern.finditer(text, lo, hi):
            if m.start() <= pos < m.end():
                continue  # the name is inside the run ("…GjhAws8S…", a session id): no context
            if (accept is None or accept(m.group())) and not _is_token_placeholder(m.group()):
                out.append((m.start(), m.end(), kind, _PRIO_CONTEXT))

    return handle


def _case_variants(*words: str) -> tuple[str, ...]:
    return tuple(v for w in words for v in (w.lower(), w.upper(), w.capitalize()))


# ---------------------------------------------------------------------------------------------
# Assignments: ``name = value``, ``name: value``, ``"name": "value"``, ``--name value``,
# ``<name>value</name>`` where the name is secret-like.
# ---------------------------------------------------------------------------------------------
_STRONG, _KEYISH = 2, 1

_STRONG_TOKENS = frozenset(
    {
        "password", "passwd", "passphrase", "passcode", "secret", "token",
        "credential", "credentials", "creds", "cred", "apikey", "privatekey", "accesskey",
        "secretkey", "pat",
        # server directives named for a password in one word (redis.conf, Sentinel)
        "requirepass", "masterauth", "masterpass", "psk",
        # LDAP clients: SSSD's ldap_default_authtok, nslcd's and OpenLDAP's bindpw/rootpw
        "authtok", "bindpw", "rootpw",
        # a Bitcoin private key in Wallet Import Format (BTC_WIF, privateKeyWif)
        "wif",
    }
)  # fmt: skip
# Too common inside other names (pass_through, bypass_cache) unless they end the name.
_STRONG_LAST_TOKENS = frozenset({"pass", "pwd", "pw"})
_STRONG_KEY_PREFIXES = frozenset(
    {
        "api", "access", "secret", "private", "app", "application", "master", "encryption",
        "signing", "sign", "client", "consumer", "auth", "service", "account", "storage",
        "subscription", "shared", "admin", "deploy", "hmac", "jwt", "session", "aes", "webhook",
        "license", "rsa", "ssh", "secure", "crypt", "crypto", "cipher", "decryption", "dd",
        "datadog", "mailgun", "sendgrid", "stripe", "twilio", "heroku", "openai", "anthropic",
        # a wallet's private key by the account it signs for (DEPLOYER_KEY, signerKey)
        "deployer", "wallet", "signer", "relayer",
    }
)  # fmt: skip
_KEYISH_TOKENS = frozenset(
    {
        "key", "auth", "authorization", "salt", "cookie", "sessionid", "session",
        "appid",  # OpenWeatherMap's and others' API key parameter (?appid=…)
        "encrypt",  # Consul's and Nomad's gossip key: encrypt = "<base64>"
    }
)  # fmt: skip
# A name with one of these anywhere is about something public or not a credential at all.
_NEVER_TOKENS = frozenset(
    {
        "public", "pub", "publishable", "page", "next", "continuation", "pagination", "cursor",
        "sort", "primary", "foreign", "partition", "cache", "idempotency", "dedup", "lookup",
        "routing", "index", "row", "column", "hash", "hashed", "digest", "checksum", "sha",
        "commit", "revision", "etag", "fingerprint", "i18n", "translation", "label", "hint",
        "placeholder", "description", "desc", "message", "msg", "prompt", "help", "title",
        "text", "error", "forgot", "reset", "confirm", "show", "hide", "toggle", "is",
        "has", "use", "should", "can", "want", "no", "input", "button", "form", "field",
        # a test fixture's name says it is not real: FAKE_API_KEY, DUMMY_PASSWORD, mockToken
        "fake", "dummy", "mock", "example", "sample",
    }
)  # fmt: skip
# A name ending with one of these describes a secret (its length, type, file) but is not one.
_QUALIFIER_TOKENS = frozenset(
    {
        "type", "types", "url", "uri", "urls", "endpoint", "host", "hostname", "port", "length",
        "len", "size", "count", "min", "max", "limit", "file", "filename", "path", "dir",
        "directory", "name", "names", "id", "ids", "expiry", "expires", "expiration", "expire",
        "exp", "ttl", "timeout", "lifetime", "age", "header", "prefix", "suffix", "format",
        "fields", "env", "var", "variable", "policy", "regex", "pattern", "enabled", "enable",
        "disabled", "required", "rotation", "version", "algorithm", "alg", "method", "mode",
        "scheme", "strategy", "kind", "source", "provider", "store", "manager", "ref",
        "reference", "location", "generator", "validator", "changed", "updated", "at", "time",
        "date", "timestamp", "schema", "class", "list", "mask", "flag", "mixin", "display",
        "visible", "style", "strength", "rules", "valid", "verified", "usage", "used", "budget",
        "server", "service", "handler", "factory", "client", "stdin", "cmd", "command", "script",
        "helper", "chars", "complexity", "attempts", "retries", "level",
        "bits", "bytes", "encoding", "param", "parameter", "arg", "option", "options",
        "config", "settings", "key_id", "secrets", "keys", "tokens", "state", "status",
        "audience", "issuer", "scope", "scopes", "grant", "response", "request",
        "callback", "hook", "info", "window", "loader", "resolver", "bucket", "refresh",
        "sourcer", "cls", "seconds", "secs", "ms", "interval", "delay", "dict", "map", "buffer",
        "parser", "reader", "writer", "stream", "fn", "func", "function", "number", "char",
        "encryption", "hashing", "hasher", "namespace", "ns",
    }
)  # fmt: skip
# Names whose value is public by design though they end in "key".
_PUBLIC_NAME_TAILS = (
    ["site", "key"],
    ["pusher", "app", "key"],
    ["pusher", "key"],
    ["dkim", "token"],  # DKIM tokens are published in DNS
    # anti-forgery tokens: a per-session nonce in a form or header, no credential
    ["csrf", "token"],
    ["xsrf", "token"],
    ["authenticity", "token"],
    ["csrfmiddlewaretoken"],
    # keys made for the browser or the app: search-only keys (Algolia, Typesense,
    # Meilisearch), anonymous keys (Supabase)
    ["search", "key"],
    ["search", "only", "key"],
    ["search", "api", "key"],
    ["anon", "key"],
    # StoreKit's appAccountToken: a UUID the app makes to tie a purchase to its user
    ["app", "account", "token"],
    # client tokens are embedded in apps by design (Facebook's SDK ClientToken, Datadog's
    # browser logs, Rollbar's post_client_item)
    ["client", "token"],
)
# A name written as one word (``PGPASSWORD``, ``APITOKEN``): a known prefix, then a secret
# word. Only known prefixes: ERRORTOKEN (a token type), NOPASSWORD (a flag) are not secrets.
_GLUED_SUFFIXES = ("password", "passwd", "secret", "token", "passphrase", "pass", "pwd", "pw")
_GLUED_PREFIXES = _STRONG_KEY_PREFIXES | frozenset(
    {
        "pg", "mysql", "mongo", "redis", "db", "database", "root", "user", "bot", "refresh",
        "bearer", "oauth", "github", "gitlab", "slack", "npm", "pypi", "docker", "registry",
        "smtp", "mail", "ldap", "vault", "ssh", "ftp", "keystore", "truststore", "store", "id",
        "my", "sa", "pw", "ci", "deploy", "bind", "admin",
    }
)  # fmt: skip


# The words a setter or builder named for a secret is made of (setPassword, withApiKey,
# .client_secret(...)); any other word makes it something else (getPassword, hashPassword).
_CALL_NOUNS = (
    _STRONG_TOKENS | _STRONG_LAST_TOKENS | _STRONG_KEY_PREFIXES | frozenset({"key", "auth"})
)


def _glued_secret_word(word: str) -> bool:
    for suffix in _GLUED_SUFFIXES:
        if word.endswith(suffix) and word[: -len(suffix)] in _GLUED_PREFIXES:
            return True
    return False


# Words specific enough to name a secret wherever they sit inside a name written without
# separators (detect-secrets' keyword plugin matches them anywhere).
_EMBEDDED_COMPOUNDS = (
    "apikey", "privatekey", "secretkey", "accesskey", "password", "passwd", "passphrase",
    "apisecret", "clientsecret", "authtoken", "accesstoken",
)  # fmt: skip
# Around such a word, the start of these makes the name about something else: a qualifier
# (api_key_name, passwordfile), a negation (haspassword, passwordreset) or a plural.
_SUFFIX_WORDS = tuple(sorted(w for w in _QUALIFIER_TOKENS | _NEVER_TOKENS if len(w) >= 3))
_PREFIX_WORDS = tuple(sorted(_NEVER_TOKENS))


def _embedded_compound(word: str) -> bool:
    """One word of a name holds such a compound: theapikey, fooapikeyfoo (not NOPASSWORD,
    passwordfile, passwords)."""
    for compound in _EMBEDDED_COMPOUNDS:
        at = word.find(compound)
        if at < 0:
            continue
        before, after = word[:at], word[at + len(compound) :]
        if after.startswith(("s", *_SUFFIX_WORDS)) or before.endswith(_PREFIX_WORDS):
            continue
        return True
    return False


_NAME_SPLIT_RE = _lazy("_NAME_SPLIT_RE", r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


# Prefixes web and app build tools give the variables they inline into the code they ship
# (Next.js, Nuxt, Expo, Create React App, Vite, Vue CLI, Gatsby, SvelteKit/Astro, Storybook):
# what such a variable holds is in every visitor's copy of the app, so a key named there is a
# client key (a publishable, anonymous, search-only or site key), unless the rest of its name
# says it is a secret someone exposed by mistake (NEXT_PUBLIC_ALGOLIA_ADMIN_KEY).
_CLIENT_ENV_PREFIXES = (
    "NEXT_PUBLIC_", "NUXT_PUBLIC_", "NUXT_ENV_", "EXPO_PUBLIC_", "REACT_APP_", "VITE_",
    "VUE_APP_", "GATSBY_", "PUBLIC_", "STORYBOOK_",
)  # fmt: skip
# Words that make a name in a shipped variable a secret all the same.
_EXPOSED_SECRET_WORDS = frozenset(
    {"secret", "admin", "private", "service", "password", "passwd", "pwd", "pass", "master",
     "signing", "management", "root", "encryption", "webhook", "passphrase", "mnemonic"}
)  # fmt: skip
# A framework's own prefix before a variable's name (Next.js reads NEXT_SERVER_ACTIONS_…):
# not the "next" of a pagination token (next_token, nextPageToken).
_FRAMEWORK_ENV_PREFIXES = ("NEXT_", "NUXT_")


@lru_cache(maxsize=4096)
def _name_strength(name: str) -> int:
    """How secret-like an identifier is: ``_STRONG``, ``_KEYISH`` or 0."""
    if name[:1].isupper() and name.startswith(_CLIENT_ENV_PREFIXES):
        rest = name[len(next(p for p in _CLIENT_ENV_PREFIXES if name.startswith(p))) :]
        strength = _name_strength(rest) if rest else 0
        rest_words = {t.lower() for t in _NAME_SPLIT_RE.findall(rest)}
        return strength if rest_words & _EXPOSED_SECRET_WORDS else 0
    if name[:1].isupper() and name.startswith(_FRAMEWORK_ENV_PREFIXES) and name.count("_") >= 2:
        name = name[5:]  # NEXT_SERVER_ACTIONS_ENCRYPTION_KEY (not NEXT_PAGE_TOKEN: "page")
    # For dotted names only the attribute itself counts: self.password yes, Token.Number no.
    parts = name.rsplit(".", 2)
    attr = parts[-1]
    if len(parts) > 1 and attr.lower() == "key":
        attr = parts[-2] + "_" + attr  # HOCON/properties play.http.secret.key, api.key: one name
    tokens = [t.lower() for t in _NAME_SPLIT_RE.findall(attr)]
    words = [t for t in tokens if not t.isdigit()]
    if not words or words[-1] in _QUALIFIER_TOKENS:
        return 0
    if words[0] in ("existing", "from") and "secret" in words:
        return 0  # Helm's existingSecret, Drone's from_secret: the name of a stored secret
    if words[-2:] == ["hash", "salt"]:
        return _KEYISH  # Drupal's hash_salt: the salt of its one-time links and tokens
    if any(words[-len(tail) :] == tail for tail in _PUBLIC_NAME_TAILS):
        return 0  # public by design: reCAPTCHA/hCaptcha site keys, Pusher's app key
    if any(t in _NEVER_TOKENS and not _vendor_word_before(words, i) for i, t in enumerate(words)):
        return 0
    if any(t in _STRONG_TOKENS for t in words) or words[-1] in _STRONG_LAST_TOKENS:
        return _STRONG
    if _glued_secret_word(words[-1]):
        return _STRONG  # one word without separators: PGPASSWORD, APITOKEN, clientsecret
    for i, t in enumerate(words):
        if t == "key" and i > 0 and words[i - 1] in _STRONG_KEY_PREFIXES:
            return _STRONG
    if any(_embedded_compound(t) for t in words):
        return _STRONG  # theapikey, fooapikeyfoo
    if any(t in _KEYISH_TOKENS for t in words[-2:]) or _glued_key(words[-1]):
        return _KEYISH  # (key_down_event, session_start_time: about something else)
    return 0


@cache
def _glued_key_prefixes() -> tuple[str, ...]:
    return tuple(sorted(_STRONG_KEY_PREFIXES))


def _glued_key(word: str) -> bool:
    """``storageaccountkey``, ``masterkey``: a key named without separators. Only key-ish (the
    value must look generated): "…key" ends many words."""
    return word.endswith("key") and word[:-3].endswith(_glued_key_prefixes())


# Words that make a name about a text shown to people (password_hint, token_help_text) when
# they follow the secret word; before it they can be part of a vendor's name (MessageBird's
# message-birdToken).
_TEXT_WORDS = frozenset(
    {"message", "msg", "description", "desc", "title", "text", "label", "hint", "help"}
)


def _vendor_word_before(words: list[str], i: int) -> bool:
    if words[i] not in _TEXT_WORDS or i + 1 >= len(words):
        return False
    rest = words[i + 1 :]
    return not any(w in _TEXT_WORDS or w in _NEVER_TOKENS for w in rest) and (
        any(w in _STRONG_TOKENS for w in rest) or rest[-1] in _STRONG_LAST_TOKENS
    )


def _assignment_kind(name: str) -> str:
    low = name.lower()
    if "aws" in low and "secret" in low:
        return "aws-secret-access-key"
    if "pass" in low or "pwd" in low or low.endswith("pw"):
        return "password-assignment"
    return "secret-assignment"


# Bounds keep every hit's work constant, so one huge line cannot make a scan quadratic.
_MAX_NAME = 128
_MAX_LOOKBACK = 256
_IDENT_TAIL_RE = _lazy("_IDENT_TAIL_RE", r"[A-Za-z0-9_.\-]{0,128}")
_IDENT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
# After the name: an optional closing quote (also JSON-escaped) and ``]`` (``ENV["X"] =``), then
# the operator. ``annot`` handles ``token: str = "..."`` and Rust's ``KEY: &[u8] = b"..."``;
# ``==`` is a comparison, not assignment.
_SEP_HEAD = r"(?P<close>\\?[\"'`])?(?:\[\]|\])?[ \t]*(?:"
_SEP_ANNOT = (
    r"(?P<annot>:[ \t]*&?(?:'static[ \t]+)?(?:\[[\w]{1,16};[ \t]*\d{1,5}\]"  # Rust [u8; 32]
    r"|[A-Za-z_\[][\w\[\]., |<>]*?)[ \t]*=(?!=))|"
)
_SEP_TAIL = (
    r"(?P<gotype>(?<=[\w\"'])[ \t]+(?:string|\[\]byte|String|str)[ \t]*=(?!=))"
    r"|(?P<op>:::=|::=|:=|\?=|\.=|\+=|\|\|=|=>|=(?!=)|:(?!:)|>))"
    r"[ \t]*"
)
_SEP_RE = _lazy("_SEP_RE", _SEP_HEAD + _SEP_ANNOT + _SEP_TAIL)
# ": Abc=def" (a space after the colon, none around the "=") is YAML's value; Python writes
# "tok: Token = None" or, unannotated in a signature, "tok:Token=None".
_SEP_NO_ANNOT_RE = _lazy("_SEP_NO_ANNOT_RE", _SEP_HEAD + _SEP_TAIL)


def _yaml_not_annotation(sep: re.Match[str]) -> bool:
    annot = sep.group("annot")
    return (
        annot is not None
        and annot[1] in " \t"
        and annot[-2] not in " \t"
        and sep.group()[-1] not in " \t"
    )


# ("NAME", "value") as call arguments: setProperty, put, Setenv, headers tuples; and XML
# attribute pairs key="NAME" value="value".
_HEADER_FLAG_RE = _lazy("_HEADER_FLAG_RE", r"(?:-H|--header)[ \t=]*\Z")
# Assignment by position, no operator: C's "#define NAME value", fish's "set -gx NAME value".
_DEFINE_RE = _lazy("_DEFINE_RE", r"[ \t+]*#[ \t]*define[ \t]+\Z")
_DOCKER_ENV_RE = _lazy("_DOCKER_ENV_RE", r"[ \t+]*ENV[ \t]+\Z")  # Dockerfile: ENV NAME value
# Server directives that set a variable: Apache's SetEnv NAME value, nginx's fastcgi_param /
# uwsgi_param / scgi_param NAME value;
_SERVER_ENV_RE = _lazy("_SERVER_ENV_RE", r"[ \t+]*(?:SetEnv|(?:fastcgi|uwsgi|scgi)_param)[ \t]+\Z")
# aws configure set NAME VALUE, npm/yarn/pip config set NAME VALUE.
_CONFIG_SET_RE = _lazy(
    "_CONFIG_SET_RE", r"\b(?:configure|config)[ \t]+set(?:[ \t]+--?[\w\-]+)*[ \t]+\Z"
)
# In a comment a name and its value may be separated by words or just a space.
_COMMENT_OP_RE = _lazy(
    "_COMMENT_OP_RE", r"[ \t]+(?:is|was)(?:[ \t]+now)?:?[ \t]+|==[ \t]*|[ \t]+(?=\S)"
)
# Prose between a secret's name and "is": "password for the office is", "token of the bot was".
_PROSE_GAP_RE = _lazy(
    "_PROSE_GAP_RE",
    r"(?:[ \t]+(?:for|of|on|to|at|in)(?:[ \t]+(?:the|my|our|your|this|that|a|an))?"
    r"[ \t]+[A-Za-z][\w.-]*(?:[ \t]+[A-Za-z][\w.-]*)?){1,2}[ \t]+(?:is|was)(?:[ \t]+now)?:?"
    r"[ \t]+",
)
_MD_TO_RE = _lazy("_MD_TO_RE", r"`[ \t]+(?:to|as|=)[ \t]+(?=`)")
# fish's "set -gx NAME value"; Windows' "setx NAME value" (/M: machine-wide).
_FISH_SET_RE = _lazy(
    "_FISH_SET_RE", r"[ \t+]*(?:set(?:[ \t]+-[A-Za-z]{1,4})+|setx(?:[ \t]+/[Mm])?)[ \t]+\Z"
)
_PAIR_OPENER_RE = _lazy(
    "_PAIR_OPENER_RE", r"[({=][ \t]*(?:\r?\n[ \t]*)?[rRbBuUfF]{0,2}\Z"
)  # f("NAME", …), key="NAME", { "NAME", … } (C#, Go initialisers): not a list of names
# Setters whose first argument names what the second sets; Spark's DataFrameReader options too
# (.option("password", …)). (A generic set("password", …) or config(…) stays loose: its
# second argument may as well be another name.)
_SETTER_RE = _lazy(
    "_SETTER_RE",
    r"\b(?:define|setProperty|[Ss]etenv|putenv|SetEnvironmentVariable|set_env|[Pp]ut"
    r"|setdefault|[Ss]etHeader|[Aa]ddHeader|option|setConf|setOption)"
    r"[ \t]*\([ \t]*(?:\r?\n[ \t]*)?[rRbBuUfF]{0,2}\Z",
)
# (an XML attribute pair may carry a namespace: <meta-data android:name="…" android:value="…"/>)
_PAIR_RE = _lazy(
    "_PAIR_RE",
    r"[\"'][ \t]*(?:,|[ \t](?:[A-Za-z][\w\-]{0,31}:)?value[ \t]*=)[ \t]*(?:\r?\n[ \t]*)?(?=[\"'])",
)
_COMMENT_LINE_RE = _lazy("_COMMENT_LINE_RE", r"[ \t]*(?:#|//|;|--|/\*|\*|<!--|REM[ \t]|rem[ \t])")
_LINE_PREFIX_RE = _lazy(
    "_LINE_PREFIX_RE",
    r"[ \t+\-]*(?:(?:export|set|setx|ENV|ARG|declare|local|readonly|env)[ \t]+(?:-\w+[ \t]+)?)?"
    r"[\"']?",
)
_YAML_ITEM_RE = _lazy("_YAML_ITEM_RE", r"[ \t]*-[ \t]+")
_ENV_PREFIX_RE = _lazy(
    "_ENV_PREFIX_RE",
    r"(?:[ \t]*-[ \t]+|[+\- ]?)"  # "- NAME=value" (a compose list item), or a diff marker
    r"(?:(?:export|set|setx|ENV|ARG|declare|local|readonly|env)[ \t]+(?:-\w+[ \t]+)?)?",
)
_FLAG_CONTEXT_RE = _lazy(
    "_FLAG_CONTEXT_RE", r"(?:-e|--env|--build-arg|--set|--set-string|-D)[ \t=]*$"
)
# A scheme word before a credential; Rails' token auth writes "Token token=…".
_SCHEME_RE = _lazy(
    "_SCHEME_RE",
    r"(?:Bearer|bearer|BEARER|Basic|BASIC|Token|token|Bot|Digest)[ \t]+(?:token=(?=[^\s,]))?",
)
# Authorization: <any scheme> <credential> (ApiKey, SSWS, Splunk, GenieKey, Key=...).
_ANY_SCHEME_RE = _lazy("_ANY_SCHEME_RE", r"[A-Za-z][A-Za-z0-9_\-]{1,30}(?:[ \t]+|=)(?=[^\s])")
# Python r/b/u/f prefixes; ``@"..."``: Objective-C NSString literals and C# verbatim strings.
# Python's r/b/u/f, C#'s @, SQL's N'…' and E'…', C++'s L"…" and u8"…".
_PY_STR_PREFIX_RE = _lazy("_PY_STR_PREFIX_RE", r"(?:[rRbBuUfF]{1,2}|@|[NEL]|u8)(?=[\"'])")
# A backslash-newline inside a double- or single-quoted string continues it on the next line
# (shell, YAML double quotes, Python): the value runs on to the closing quote.
_QUOTED_SOURCES = {
    '"': r'"((?:[^"\\\n]|\\(?:\r?\n|.)){0,4096})"',
    "'": r"'((?:[^'\\\n]|\\(?:\r?\n|.)){0,4096})'",
    "`": r"`([^`\n]{0,4096})`",
    # JSON inside a string ("{\"password\": \"a\\\"b\"}"): one inner character is an outer
    # escaped backslash pair (4 backslashes), an inner escaped quote (3 and a quote), another
    # inner escape, an outer escape or a plain character; the inner string ends at \".
    '\\"': r'\\"((?:\\\\\\\\|\\\\\\"|\\\\[^\\"]|\\[^\\"]|[^\\"\n]){0,4096}?)\\"',
    "\\'": r"\\'(.{0,4096}?)\\'",
}
# Shell single quotes take a backslash literally ('abc\' is "abc\"): tried when the escape-
# aware form finds no closing quote.
_RAW_SQ_RE = _lazy("_RAW_SQ_RE", r"'([^'\n]{0,4096})'")
# A doubled quote is one quote character inside the value: YAML single-quoted scalars, SQL
# and PowerShell strings ('it''s'), C# verbatim and VB strings ("a""b").
_DOUBLED_SOURCES = {
    '"': r'"((?:[^"\n]|""){0,4096})"',
    "'": r"'((?:[^'\n]|''){0,4096})'",
}


@cache
def _quoted_res() -> dict[str, re.Pattern[str]]:
    """The quoted-string patterns by opening quote, compiled at the first quoted value (held in
    a dict, a lazy pattern would pay an attribute lookup per use)."""
    return {k: re.compile(v) for k, v in _QUOTED_SOURCES.items()}


@cache
def _doubled_res() -> dict[str, re.Pattern[str]]:
    return {k: re.compile(v) for k, v in _DOUBLED_SOURCES.items()}


# A conversion around a literal that keeps its value (Go's []byte("…"), Rust's Some("…") and
# String::from("…"), Pydantic's SecretStr("…"), Node's Buffer.from("…"); Pulumi's input types
# and secret outputs, pulumi.String("…"), pulumi.ToSecret(pulumi.String("…")) in Go,
# Output.secret("…") in Python, Output.CreateSecret in .NET, Output.ofSecret in Java; the AWS
# CDK's jsii.String("…") in Go; JSON.stringify("…"), how a bundler's define: {} inlines a string).
_WRAPPER_STARTS = frozenset("[SBn*pjOJ")
_WRAPPER_RE = _lazy(
    "_WRAPPER_RE",
    r"(?:\[\]byte|Some|String::from|SecretStr|SecretString::new|Secret::new|Buffer\.from"
    r"|new[ \t]+String|pulumi\.(?:String|StringPtr|ToSecret|secret|Output\.secret)"
    r"|Output\.(?:secret|CreateSecret|ofSecret)|jsii\.String|JSON\.stringify)\([ \t]*"
    r"(?=[\"']|pulumi\.String\()"
    r"|\*(?=b[\"'])",  # Rust: *b"…" copies a byte string into a [u8; N]
)
# Python/TOML/Java/C# triple-quoted strings: the value may span lines.
_TRIPLE_SPAN = 4096
# A string in parentheses (black wraps long ones so), or adjacent literals concatenated:
# KEY = ("part one" "part two").
_CONCAT_RE = _lazy(
    "_CONCAT_RE",
    r"\(\s{0,64}((?:\"[^\"\\\n]{1,1024}\"|'[^'\\\n]{1,1024}')"
    r"(?:\s{0,64}(?:\"[^\"\\\n]{1,1024}\"|'[^'\\\n]{1,1024}')){0,16})\s{0,64}\)",
)
# Unquoted values: where a value ends depends on the syntax around it. A closing bracket
# glued to more value characters is part of the value (generated passwords use them).
_TOKEN_RE = _lazy(
    "_TOKEN_RE",
    r"(?:[^\s\"'`,;&)}\]>|<\\]|[)\]](?=[A-Za-z0-9!#%*^~@])|\\[ \t]|\\(?![\"'nrt])){1,4096}",
)
# In .env files ; and & glued inside a word are literal (in shell they are operators, but
# then followed by a space or another operator); a \n there is literal unless a NAME= follows
# (an env file escaped into a JSON string); a backslash-escaped space or operator is part of
# a shell word ("abc\ def").
_ENV_TOKEN_RE = _lazy(
    "_ENV_TOKEN_RE",
    r"(?:[^\s\"'`;&|\\]|[;&]{1,8}(?=[^\s;&|])|\\[ \t;&|]|\\(?![\"'])(?![nrt][A-Z_]{1,64}=))"
    r"{1,4096}",
)
_REST_RE = _lazy("_REST_RE", r"[^\n\r]{0,4096}")
# <name>value</name>, the value possibly on its own line.
_XML_VALUE_RE = _lazy("_XML_VALUE_RE", r"\s{0,256}?([^<\s][^<\n]{0,4095}?)\s{0,256}</")
# A <Value>/<value> child holding an element's value, after an optional comment.
_XML_CHILD_VALUE_RE = _lazy(
    "_XML_CHILD_VALUE_RE",
    r"\s{0,256}(?:<!--[^\n]{0,256}?-->\s{0,256})?<([Vv]alue)>\s{0,64}([^<\s][^<\n]{0,4095}?)"
    r"\s{0,64}</\1>",
)
_TRAILING_COMMENT_RE = _lazy("_TRAILING_COMMENT_RE", r"[ \t]+(?:#|//|;).*$")


@dataclass(slots=True)
class _Value:
    """A candidate secret value found after a keyword: where it is and how it was written."""

    start: int
    end: int
    quoted: bool
    literal: bool  # the syntax makes an unquoted value a literal string (env, YAML, URL query)
    loose: bool = False  # literal, but a bare name there is still a variable (f(password=pw))
    comment: bool = False  # in a comment: only a password-shaped value counts
    content: str | None = None  # what to judge when it is not the span's text (joined parts)


# Hadoop's Azure properties name the storage account and endpoint after the setting
# (fs.azure.account.key.<account>.dfs.core.windows.net): the setting is what comes before.
_NAME_TEMPLATE_TAIL_RE = _lazy(
    "_NAME_TEMPLATE_TAIL_RE",
    r"(?:\$?\{[\w.\[\]'\"]{1,64}\}|[\"'][ \t]*\+[ \t]*[\w.]{1,64}[ \t]*\+[ \t]*[\"']"
    r"|[\w.\-]){1,192}",
)
_STORAGE_HOST_TAIL_RE = _lazy(
    "_STORAGE_HOST_TAIL_RE",
    r"\.(?:\$?\{[^}]{1,64}\}|[\w\-]{1,64}|[\"'][ \t]*\+[ \t]*[\w.]{1,64}[ \t]*\+[ \t]*[\"'])"
    r"\.(?:dfs|blob|file|queue|table|web)\.core\."
    r"(?:windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)\Z",
)


def _ident_bounds(text: str, pos: int) -> tuple[int, int]:
    start, floor = pos, max(0, pos - _MAX_NAME)
    while start > floor and text[start - 1] in _IDENT_CHARS:
        start -= 1
    m = _IDENT_TAIL_RE.match(text, pos)
    return start, (m.end() if m else pos)


def _annotation_prefix_never(text: str, start: int) -> bool:
    """Whether the name at ``start`` is the last part of a ``prefix/name`` key whose prefix
    says it is no secret (``checksum/secret``, ``hash/password``)."""
    if start < 2 or text[start - 1] != "/":
        return False
    i = start - 1
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "-_."):
        i -= 1
    words = [w.lower() for w in _NAME_SPLIT_RE.findall(text[i : start - 1])]
    return bool(words) and words[-1] in _NEVER_TOKENS


def _inside_arn(text: str, start: int) -> bool:
    """Whether the name at ``start`` is a part of an Amazon Resource Name (``arn:…:secret:``),
    bare or in a secret store's reference (``aws-sm://arn:…``, ``ssm://arn:…``)."""
    if start < 4 or text[start - 1] != ":":
        return False
    lo = max(0, start - 256)
    i = start
    while i > lo and not text[i - 1].isspace() and text[i - 1] not in "\"'`=,([{<>":
        i -= 1
    if text.startswith(("arn:", "ARN:"), i):
        return True
    scheme = text.find("://", i, start)
    return scheme >= 0 and text.startswith(("arn:", "ARN:"), scheme + 3)


# The map a plain "key" sits in, on the line before it: 'crypt' => [, encryption: {.
_CRYPT_PARENT_RE = _lazy(
    "_CRYPT_PARENT_RE",
    r"(?<![\w\-])[\"']?(?:crypt|encryption|encrypt|cipher|signing)[\"']?[ \t]*(?:=>|:|=)[ \t]*"
    r"(?:\[|\{|array[ \t]*\()?\Z",
    re.I,
)


# A "key" that logs someone in: beside a user name in one object ({"username": "x", "key":
# "…"}: kaggle.json, an API's credentials file) or an argument of a login call
# (wandb.login(key="…"), client.authenticate(key=…)).
_LOGIN_PARTNER_RE = _lazy(
    "_LOGIN_PARTNER_RE",
    r"(?:[\"'](?:user(?:_?name)?|login)\\?[\"'][ \t]*[:=]"
    r"|\b(?:login|log_in|authenticate|auth)[ \t]*\()[^{}()\n]{0,160}\Z",
    re.I,
)


_HEX_KEY_RE = _lazy("_HEX_KEY_RE", r"[0-9a-f]{32,64}|[0-9A-F]{32,64}")


def _key_of_a_login(text: str, start: int) -> bool:
    return _LOGIN_PARTNER_RE.search(text, max(0, start - 192), start) is not None


def _under_crypt_parent(text: str, start: int) -> bool:
    # (cheap tests first: every "key" name asks)
    nl = text.rfind("\n", max(0, start - 64), start)
    if nl < 0 or text[nl + 1 : start].strip(" \t\"'"):
        return False  # not the first name on its line
    prev = text[max(0, nl - 64) : nl].rstrip(" \t\r")
    return prev.endswith(("[", "{", "(", ">", ":", "=")) and (
        _CRYPT_PARENT_RE.search(prev) is not None
    )


def _assignment(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    start, end = _ident_bounds(text, pos)
    raw = text[start:end]
    if raw.endswith(".") and text.startswith(("{", "${", '" +', "' +", '"+', "'+"), end):
        # f"fs.azure.account.key.{account}.dfs.core.windows.net": a property named per account
        tail = _NAME_TEMPLATE_TAIL_RE.match(text, end)
        if tail is not None:
            end = tail.end()
            raw = text[start:end]
    is_flag = raw.startswith("--")
    name = raw.strip(".-")
    if ".core." in name:
        host = _STORAGE_HOST_TAIL_RE.search(name)
        if host is not None:
            name = name[: host.start()]  # the key of one account: fs.azure.account.key
    strength = _name_strength(name)
    if strength == _KEYISH and start > 0 and text[start - 1] == " " and name.lower() == "key":
        strength = _two_word_strength(text, start)
    elif strength == _KEYISH and name.lower() == "key" and _under_crypt_parent(text, start):
        strength = _STRONG  # Magento's env.php: 'crypt' => ['key' => '<32 hex>']
    if not strength:
        plural = _collection_strength(name)
        if plural:
            _collection(text, start, end, plural, name, out)
        elif name.lower() in _CREDENTIAL_MAP_NAMES:
            _credential_map(text, start, end, name, out)
        return
    if _inside_arn(text, start):
        return  # arn:aws:secretsmanager:…:secret:prod/db/password-AbC123 names a resource
    if start > 1 and text[start - 1] == "/" and _annotation_prefix_never(text, start):
        return  # checksum/secret: <sha256> (a Helm annotation): a digest of the secret
    if text[end : end + 1] in _CELL_ENDS and text[start - 1 : start] in _CELL_STARTS:
        if _csv_column(text, start, end, strength, name, out):
            return  # a CSV/TSV header cell: its values are in the rows below
    # "{Password: "x"}" opens a struct or object literal; "{password}" is a placeholder.
    braced = start > 1 and text[start - 1] == "{" and text[start - 2] != "$"
    if start > 0 and text[start - 1] in "${" and not braced and not _php_variable(text, start):
        # ${CLIENT_SECRET}, $TOKEN: a reference, not an assignment; but the default of
        # ${DB_PASSWORD:-x} (shell) or ${db.password:x} (Spring) is a literal value.
        _reference_default(text, start, end, strength, name, out)
        return
    # PowerShell, Java tools and Windows programs take long options with one dash:
    # -Password 'x', -ApiKey "x", -storagekey <base64>.
    ps_param = (
        raw[0] == "-"
        and not is_flag
        and raw[1:2].isalpha()
        and raw[2:4].isalpha()
        and text[end : end + 1] in (" ", "\t")
    )
    value = _parse_value(text, start, end, is_flag or ps_param, strength)
    if value is not None and not value.quoted:
        # key = process.env.KEY || "…": the literal the code falls back to is the secret
        value = _fallback_literal(text, value.start) or value
    elif value is None and text.startswith(_WRAP_STARTS, end):
        value = _wrapped_fallback(text, end)  # key =\n  process.env.KEY ||\n  "…"
    if strength == _STRONG and not braced and (value is None or _opens_map(text, value)):
        # DBPassword: {Type: String, Default: x}: a parameter or map, not a value (read as one,
        # the value is the bare "{" of a JSON object or a YAML flow mapping, no secret).
        _credential_map(text, start, end, name, out)
        return
    if value is None or (braced and not value.quoted):
        return
    if ps_param and not value.quoted:
        value.comment = True  # an unquoted word there could be a variable's name
    elif value.loose and not value.quoted and _after_user_name(text, start):
        value.literal, value.loose = True, False  # "user: demo-admin / pass: X": a listing
    vstart, vend = value.start, value.end
    scheme = _SCHEME_RE.match(text, vstart, vend)
    if scheme is None and not value.quoted and text.startswith((" ", "\t"), vend):
        # WEBHOOK_AUTH=Bearer x#y@z (an .env line): the unquoted value stopped at the space
        # after its scheme word; the credential is the word after it.
        scheme = _SCHEME_RE.match(text, vstart)
        after = _TOKEN_RE.match(text, scheme.end()) if scheme is not None else None
        if (
            scheme is None
            or after is None
            or text[vstart:vend] != text[vstart : scheme.end()].rstrip()
        ):
            scheme = None
        else:
            vend = after.end()
    if scheme is None and name.lower().endswith("authorization"):
        scheme = _ANY_SCHEME_RE.match(text, vstart, vend)
        if scheme is None and not value.quoted:
            # -H "Authorization: SSWS 00A…": a word cut the unquoted value at the scheme
            scheme = _ANY_SCHEME_RE.match(text, vstart, vend + 64)
            if (
                scheme is not None
                and text[vstart : scheme.end()].rstrip(" \t=") != text[vstart:vend]
            ):
                scheme = None
            token = _TOKEN_RE.match(text, scheme.end()) if scheme is not None else None
            if scheme is not None and token is not None and token.end() > scheme.end():
                vend = token.end()
            else:
                scheme = None
    if scheme is not None and scheme.end() < vend:
        # "Authorization: Bearer x": keep the scheme word visible, and a scheme makes any name
        # a credential name.
        vstart, strength = scheme.end(), _STRONG
        m = _TOKEN_RE.match(text, vstart, vend)
        vend = m.end() if m else vend
        if value.content is not None:
            # "Bearer " + "token": the joined literal without its scheme is what is judged.
            joined = _SCHEME_RE.match(value.content) or _ANY_SCHEME_RE.match(value.content)
            value.content = value.content[joined.end() :] if joined else value.content
    piece = text[vstart:vend]
    if (
        piece
        and not (piece[0].isalnum() and piece.rstrip("=")[-1:].isalnum())
        and _appends(text, end)
    ):
        return  # url += "&token=", token += "-suffix": a piece of a string being built
    if scheme is None and strength == _KEYISH and _header_credential(text, start, name):
        strength = _STRONG  # -H 'Authorization: <uuid>': whatever its shape, it is the secret
    judged = value.content if value.content is not None else text[vstart:vend]
    # {"username": "…", "key": "…"} (kaggle.json), wandb.login(key=…): a generated key, hex
    # digits too (which a key-ish name alone does not make a secret: a digest)
    login_key = (
        strength == _KEYISH
        and value.quoted
        and name.lower() == "key"
        and _HEX_KEY_RE.fullmatch(judged) is not None
        and _key_of_a_login(text, start)
    )
    if login_key:
        strength = _STRONG
    if (
        _value_is_secret(judged, value, strength, name)
        and not _sealed(text, start, judged)
        and not _maven_encrypted(text, vstart, judged)
        and not _pem_stand_in(text, vstart, vend)
        and not _echoes_name(judged, name)  # (last: few values get this far)
        # (a piece of a connection string keeps its ";": "AccountKey=<published key>;")
        and judged.rstrip(";") not in _published_values()
        and not (name == "pass" and judged in _SETUP_PASSES)
        # {{ lookup('aws_secret', 'prod/shop/aws') }}: the terms of a template's query
        and not _inside_template_expression(text, start)
        # analytics._writeKey="…" in a page's <script>: a key-ish name in what every visitor
        # downloads is a client key (Segment's snippet), not a secret of the server's
        and not (strength == _KEYISH and _in_inline_script(text, start))
        and not _public_client_key(text, vstart, vend, judged)
    ):
        out.append((vstart, vend, _assignment_kind(name), _PRIO_GENERIC))
    if value.quoted and text.startswith(" ->", vend + 1):
        # A Terraform plan's change: ~ password = "old" -> "new"; the new value is as secret.
        change = _PLAN_CHANGE_RE.match(text, vend + 1)
        new = _value_at(text, change.end(), mode="token", literal=True) if change else None
        if new is not None and _value_is_secret(text[new.start : new.end], new, strength, name):
            out.append((new.start, new.end, _assignment_kind(name), _PRIO_GENERIC))


_PLAN_CHANGE_RE = _lazy("_PLAN_CHANGE_RE", r"[ \t]+->[ \t]+(?=\")")
_SCRIPT_SPAN = 4096


def _in_inline_script(text: str, start: int) -> bool:
    """Inside an HTML page's inline ``<script>`` element (opened before, not closed yet)."""
    opened = text.rfind("<script", max(0, start - _SCRIPT_SPAN), start)
    return opened >= 0 and text.find("</script>", opened, start) < 0


# unattend.xml's <settings pass="oobeSystem">: the configuration pass the settings apply in.
_SETUP_PASSES = frozenset(
    {
        "windowsPE", "offlineServicing", "generalize", "specialize", "auditSystem",
        "auditUser", "oobeSystem",
    }
)  # fmt: skip
_APPEND_RE = _lazy("_APPEND_RE", r"(?:\\?[\"'`])?[ \t]*\+=")

# "user: demo-admin / pass: X", "login=ops, pwd=X": a user name and then its password on one
# line, the way credentials are handed over in chat and notes. No code writes a password
# after a user name and a "/", "," or "|" like this, so the bare word there is the value.
_USER_BEFORE_RE = _lazy(
    "_USER_BEFORE_RE",
    r"(?:^|[\s(\[])(?:user(?:name)?|login|usr)[ \t]*[:=][ \t]*"
    r"[^\s,/|;\"'`]{1,64}[ \t]*[/,|;][ \t]*\Z",
    re.I,
)


def _after_user_name(text: str, start: int) -> bool:
    lo = max(0, start - 160)
    line_start = text.rfind("\n", lo, start) + 1 or lo  # (not 0: a long line is not read whole)
    if "(" in text[line_start:start]:
        return False  # connect(user: "admin", password: dbPass): named arguments of a call
    return _USER_BEFORE_RE.search(text, line_start, start) is not None


def _appends(text: str, end: int) -> bool:
    return text.startswith("+=", end) or _APPEND_RE.match(text, end) is not None


_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})


def _header_credential(text: str, start: int, name: str) -> bool:
    """The value of an Authorization header given to curl's -H: a credential however it
    looks (a bare UUID or an OpenShift sha256~ token carries no scheme word)."""
    return (
        name.lower() in _CREDENTIAL_HEADERS
        and start > 0
        and text[start - 1] in "\"'"
        and _HEADER_FLAG_RE.search(text, max(0, start - 24), start - 1) is not None
    )


# A SealedSecret's spec.encryptedData (Bitnami sealed-secrets) holds ciphertext that only the
# cluster's controller can open: made to be committed, like SOPS ENC[...] values. The value
# must look like that ciphertext too (100+ characters of base64; kubeseal's start "Ag..."),
# so a plain password put under such a key is still found.
_SEALED_VALUE_RE = _lazy("_SEALED_VALUE_RE", r"[A-Za-z0-9+/]{100,}={0,2}")
_CIPHERTEXT_PARENT_RE = _lazy("_CIPHERTEXT_PARENT_RE", r"[ \t]*encrypted_?data:[ \t]*\r?$", re.I)
_PARENT_LINES = 16
_MAX_PARENT_LINE = 65536  # bounds each step up: sibling values of sealed ciphertext are long


def _sealed(text: str, start: int, value: str) -> bool:
    """Whether ``value`` is sealed-secrets ciphertext under an ``encryptedData:`` parent."""
    return _SEALED_VALUE_RE.fullmatch(value) is not None and _under_ciphertext(text, start)


def _maven_encrypted(text: str, vstart: int, value: str) -> bool:
    return (
        value.startswith("{")
        and _MAVEN_ENCRYPTED_RE.fullmatch(value) is not None
        and text[max(0, vstart - 256) : vstart].rstrip().endswith(">")
    )


def _under_ciphertext(text: str, start: int) -> bool:
    """Whether the YAML key at ``start`` sits directly under an ``encryptedData:`` parent."""
    line_start = text.rfind("\n", max(0, start - _MAX_LOOKBACK), start) + 1
    indent = _spaces(text, line_start)
    if (
        indent == 0
        or line_start == 0
        or "encrypted" not in text[max(0, line_start - 4096) : line_start].lower()
    ):
        return False
    end = line_start - 1
    for _ in range(_PARENT_LINES):
        floor = max(0, end - _MAX_PARENT_LINE)
        begin = text.rfind("\n", floor, end) + 1
        if begin == 0 and floor > 0:
            return False  # a line longer than any YAML key line: not this layout
        width = _spaces(text, begin)
        if begin + width < end and text[begin + width] != "#" and width < indent:
            return _CIPHERTEXT_PARENT_RE.match(text, begin, end) is not None
        if begin == 0:
            return False
        end = begin - 1
    return False


# ---------------------------------------------------------------------------------------------
# CSV/TSV: a header cell names the column, the secrets are that column's cells in the rows
# below (RFC 4180 quoting: "a,b" and "a""b" are one cell).
# ---------------------------------------------------------------------------------------------
_CELL_ENDS = frozenset((",", "\t", "\r", "\n", ""))
_CELL_STARTS = frozenset((",", "\t", "\n", ""))
_HEADER_CELL_RE = _lazy("_HEADER_CELL_RE", r"[ \t]*\"?[A-Za-z_][\w .\-]{0,63}\"?[ \t]*\r?")
# Bounds per header line (the first secret column's hit reads the rows once for all of them).
_CSV_MAX_CELLS = 32
_CSV_ROWS = 64
_CSV_SPAN = 16384
_CSV_CELL_RE = _lazy("_CSV_CELL_RE", r'"((?:[^"\n]|""){0,1024})"(?=[,\r\n]|\Z)|([^,\r\n]{0,1024})')
_TSV_CELL_RE = _lazy(
    "_TSV_CELL_RE", r'"((?:[^"\n]|""){0,1024})"(?=[\t\r\n]|\Z)|([^\t\r\n]{0,1024})'
)


def _csv_column(
    text: str, start: int, end: int, strength: int, name: str, out: list[_Cand]
) -> bool:
    line_start = text.rfind("\n", max(0, start - _MAX_LOOKBACK), start) + 1
    line_end = text.find("\n", end, end + _MAX_LOOKBACK)
    if line_end < 0:
        return False
    header = text[line_start:line_end].rstrip("\r")
    delim = "\t" if "\t" in header else ","
    col = header.count(delim, 0, start - line_start)
    # (Every secret-named cell of a header line is a hit: the line's analysis is cached.)
    columns = _header_columns(header, delim)
    if not columns or not any(i == col for i, _, _ in columns):
        return False  # "password\t=\tx" (an INI line with tabs), prose with commas
    row_end = text.find("\n", line_end + 1, line_end + 1 + _MAX_LOOKBACK * 4)
    row = text[line_end + 1 : row_end if row_end >= 0 else len(text)]
    if row.count(delim) < header.count(delim):
        return False  # no row of the same width below: not a table
    if columns[0][0] != col:
        return True  # the header's first secret column reads the rows for all of them (once)
    at, limit = line_end + 1, min(len(text), line_end + 1 + _CSV_SPAN)
    for _ in range(_CSV_ROWS):
        if at >= limit or text[at] in "\r\n":
            break
        nl = text.find("\n", at, limit)
        if _header_columns(text[at : nl if nl >= 0 else limit].rstrip("\r"), delim):
            break  # another header: its own hit reads the rows below it (each row read once)
        spans = _csv_cells(text, at, limit, delim, columns[-1][0])
        for i, cname, cstrength in columns:
            if i < len(spans) and spans[i][1] > spans[i][0]:
                _csv_value(text, spans[i], cname, cstrength, out)
        if nl < 0:
            break
        at = nl + 1
    return True


@lru_cache(maxsize=256)
def _header_columns(line: str, delim: str) -> tuple[tuple[int, str, int], ...]:
    """(index, name, strength) of the secret-named cells of a header row; none unless it has
    3 to 32 cells and every one is a name."""
    cells = line.split(delim)
    if not 3 <= len(cells) <= _CSV_MAX_CELLS:
        return ()
    if not all(_HEADER_CELL_RE.fullmatch(c) for c in cells):
        return ()
    names = [c.strip().strip('"') for c in cells]
    return tuple((i, n, st) for i, n in enumerate(names) if (st := _name_strength(n)))


def _csv_value(
    text: str, span: tuple[int, int], name: str, strength: int, out: list[_Cand]
) -> None:
    # A password column holds passwords whatever their shape; a "token" or "key" column may
    # hold words (an NLP table), so there only password-shaped or random cells count.
    passwords = _PASSWORD_NAME_RE.search(name) is not None
    value = _Value(span[0], span[1], passwords, True)
    value.comment = not passwords
    if _value_is_secret(text[span[0] : span[1]], value, strength, name):
        out.append((span[0], span[1], _assignment_kind(name), _PRIO_GENERIC))


def _csv_cells(text: str, at: int, limit: int, delim: str, last: int) -> list[tuple[int, int]]:
    """The spans of cells 0..``last`` of the row at ``at`` (inside their quotes), as many as
    the row has."""
    cell_re = _TSV_CELL_RE if delim == "\t" else _CSV_CELL_RE
    spans: list[tuple[int, int]] = []
    for _ in range(last + 1):
        m = cell_re.match(text, at, limit)
        if m is None:
            break
        g = 1 if m.group(1) is not None else 2
        spans.append((m.start(g), m.end(g)))
        if not text.startswith(delim, m.end()):
            break
        at = m.end() + 1
    return spans


# ---------------------------------------------------------------------------------------------
# Collections under a plural name that says secret: ``passwords:`` lists, ``user_passwords:``
# maps (owner -> password), ``PASSWORDS = {...}``, ``"apiKeys": {...}``, HCL ``tokens {...}``.
# Each scalar directly inside counts when it is password-shaped or random: the keys of such a
# map are owners, not field names, but "backend: vault" or "- db_password" (a list of secret
# names, docker-compose's secrets:) must stay. Nested structures are not read.
# ---------------------------------------------------------------------------------------------
_COLLECTION_OPEN_RE = _lazy(
    "_COLLECTION_OPEN_RE",
    r"[\"'`]?\]?[ \t]*(?:(?P<op>:|=>|=|:=)[ \t]*)?"
    r"(?:(?P<bracket>[{\[])|(?P<block>(?<=:)[ \t]*(?:#[^\n]{0,256})?\r?\n))",
)
# (a member of a class or object that holds constants: Kotlin's "const val NAME =", Java's and
# C#'s "public static final String NAME =", TypeScript's "readonly NAME =")
_ENTRY_KEY_RE = _lazy(
    "_ENTRY_KEY_RE",
    r"[ \t]*(?:(?:public|private|protected|internal|static|final|const|val|var|readonly)[ \t]+"
    r"){0,4}(?:(?<=[ \t])(?:string|String)[ \t]+)?"
    r"(?:\"([^\"\n]{1,128})\"|'([^'\n]{1,128})'|([\w.@\-]{1,128}))[ \t]*(?::|=>|=)[ \t]*",
)
_COLLECTION_SPAN = 4096
_COLLECTION_LINES = 64
# Entry names that hold who or where, not a secret, even under a plural secret name.
_COLLECTION_SKIP = frozenset({"user", "username", "login", "email", "account", "owner"})


def _collection_strength(name: str) -> int:
    """A plural name's strength by its singular: passwords, apiKeys, TOKENS, user_passwords."""
    if len(name) < 4 or name[-1] not in "sS" or name[-2] in "sS":
        return 0
    return _name_strength(name[:-1])


def _opened_entries(
    text: str, start: int, end: int, *, maps_only: bool
) -> tuple[list[tuple[str | None, int, int]], bool] | None:
    """The entries of the collection the key at ``start``..``end`` opens, and whether they are
    code (``loose``: a bare name there is a variable) rather than YAML (a plain scalar is a
    literal string); None when it opens none.

    ``passwords[i]`` indexes, so ``[`` counts only after ``=`` or ``:``; with ``maps_only``
    a list never counts, nor ``password{...}`` (a block of code, unlike HCL ``tokens {...}``).
    """
    m = _COLLECTION_OPEN_RE.match(text, end)
    if m is None:
        return None
    bracket = m.group("bracket")
    if bracket is not None:
        if maps_only and bracket == "[":
            return None
        if m.group("op") is None and (bracket == "[" or maps_only):
            return None
        return _bracket_entries(text, m.start("bracket")), True
    if not _at_line_start(text, start - (start > 0 and text[start - 1] in "\"'")):
        return None
    return _block_entries(text, m.end(), _line_indent(text, start)), False


def _collection(
    text: str, start: int, end: int, strength: int, name: str, out: list[_Cand]
) -> None:
    opened = _opened_entries(text, start, end, maps_only=False)
    if opened is None:
        return
    entries, loose = opened
    passwords = _PASSWORD_NAME_RE.search(name) is not None
    for key, vstart, vend in entries:
        if key is not None and _entry_name_skipped(key):
            continue
        value = _value_at(text, vstart, mode="token", literal=True, loose=loose)
        if value is None or value.end > vend:
            continue
        judged = text[value.start : value.end]
        if not _collection_item_shaped(judged.strip(), passwords):
            continue
        if _value_is_secret(judged, value, strength, name):
            out.append((value.start, value.end, _assignment_kind(name), _PRIO_GENERIC))


# A secret-named key that opens a map instead of holding a value: a template parameter whose
# default is the secret (CloudFormation/SAM ``DBPassword: {Type: String, Default: x}``, like
# Terraform's ``default =``), an output or setting that holds it in its ``value`` (``terraform
# output -json``'s ``"api_token": {"sensitive": false, "value": "x"}``), or a map from host to
# credential (composer's auth.json ``"github-oauth": {"github.com": "token"}``,
# ``tokens: {registry.example.com: x}``).
_DEFAULT_ENTRY_NAMES = frozenset({"default", "defaultvalue", "default_value", "value"})
# Documented maps of host -> credential whose own name says no secret word.
_CREDENTIAL_MAP_NAMES = frozenset(
    {"github-oauth", "gitlab-oauth", "gitlab-token", "bitbucket-oauth", "forgejo-token"}
)
_HOST_KEY_RE = _lazy("_HOST_KEY_RE", r"[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})+(?::\d{1,5})?")


def _opens_map(text: str, value: _Value) -> bool:
    """An unquoted value that is the opening of a map: "{" alone (a JSON object over several
    lines, or one whose first key is quoted) or a whole YAML flow mapping."""
    if value.quoted or not text.startswith("{", value.start):
        return False
    piece = text[value.start : value.end]
    return piece == "{" or _FLOW_MAPPING_RE.fullmatch(piece) is not None


def _credential_map(text: str, start: int, end: int, name: str, out: list[_Cand]) -> None:
    opened = _opened_entries(text, start, end, maps_only=True)
    if opened is None:
        return
    entries, loose = opened
    passwords = _PASSWORD_NAME_RE.search(name) is not None
    for key, vstart, vend in entries:
        if key is None:
            continue
        default = key.lower() in _DEFAULT_ENTRY_NAMES
        if not default and _HOST_KEY_RE.fullmatch(key) is None:
            continue  # Type: String, MinLength: 8, description: ...
        # A YAML block's plain scalar runs to the line's end; in braces it ends at , } ].
        mode = "flow" if loose else "rest"
        value = _value_at(text, vstart, mode=mode, literal=True, loose=loose)
        if value is None or value.end > vend:
            continue
        judged = text[value.start : value.end]
        if not default and not _collection_item_shaped(judged.strip(), passwords):
            continue  # "example.com: docs": a host's entry must still look like a secret
        if _value_is_secret(judged, value, _STRONG, name):
            out.append((value.start, value.end, _assignment_kind(name), _PRIO_GENERIC))


def _collection_item_shaped(v: str, passwords: bool) -> bool:
    """Whether an item of a secret collection has a secret's shape.

    Under ``passwords``, anything a person would choose counts (one word of 6+ characters
    with a digit, a symbol or mixed case: "Winter2024!", "tango-rocket-7"); under
    ``secrets``/``tokens``/``keys``, which also list the names of secrets, only a
    password-shaped or random one.
    """
    if passwords:
        return (
            len(v) >= 6
            and not any(c.isspace() for c in v)
            and (not v.isalpha() or (not v.islower() and not v.isupper() and not v.istitle()))
        )
    if _SNAKE_NAME_RE.fullmatch(v) is not None and _UUID_RE.fullmatch(v) is None:
        return False  # api_key_v2, db-password-2: the name of a secret (not a UUID token)
    return _password_shaped(v) or _looks_random(v)


_SNAKE_NAME_RE = _lazy("_SNAKE_NAME_RE", r"[a-z][a-z0-9]*(?:[_\-.][a-z0-9]+)+")


def _entry_name_skipped(key: str) -> bool:
    words = [t.lower() for t in _NAME_SPLIT_RE.findall(key)]
    return any(w in _QUALIFIER_TOKENS or w in _NEVER_TOKENS or w in _COLLECTION_SKIP for w in words)


def _line_indent(text: str, pos: int) -> int:
    line_start = text.rfind("\n", max(0, pos - _MAX_LOOKBACK), pos) + 1
    return _spaces(text, line_start)


def _entry(text: str, lo: int, hi: int) -> tuple[str | None, int, int] | None:
    """One entry ``key: value`` / ``key = value`` / ``value`` of ``text[lo:hi]``."""
    while lo < hi and text[lo] in " \t":
        lo += 1
    if lo >= hi:
        return None
    km = _ENTRY_KEY_RE.match(text, lo, hi)
    if km is not None and km.end() < hi:
        key = km.group(1) or km.group(2) or km.group(3)
        return key, km.end(), hi
    return None, lo, hi


def _bracket_entries(text: str, open_at: int) -> list[tuple[str | None, int, int]]:
    """The top-level entries of ``{...}`` / ``[...]``: split at commas and line ends, entries
    holding a nested bracket skipped. A collection longer than the span yields the entries
    read so far (a long map still has its first secrets found)."""
    out: list[tuple[str | None, int, int]] = []
    depth, quote, seg, nested = 0, "", open_at + 1, False
    hi = min(len(text), open_at + _COLLECTION_SPAN)
    i = open_at
    while i < hi:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote or ch == "\n":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "{[(":
            depth += 1
            nested = nested or depth > 1
        elif ch in "}])":
            depth -= 1
            if depth == 0:
                if not nested:
                    _add_entry(text, seg, i, out)
                return out
        elif depth == 1 and ch in ",\n":
            if not nested:
                _add_entry(text, seg, i, out)
            seg, nested = i + 1, False
        i += 1
    return out


def _add_entry(text: str, lo: int, hi: int, out: list[tuple[str | None, int, int]]) -> None:
    found = _entry(text, lo, hi)
    if found is not None:
        out.append(found)


def _block_entries(text: str, at: int, parent_indent: int) -> list[tuple[str | None, int, int]]:
    """The entries of a YAML block under a key: ``- item`` or ``key: value`` lines at the first
    child's indentation; a child with deeper lines under it is a nested structure."""
    out: list[tuple[str | None, int, int]] = []
    indent = -1
    for _ in range(_COLLECTION_LINES):
        if at >= len(text):
            break
        nl = text.find("\n", at, at + _COLLECTION_SPAN)
        line_end = len(text) if nl < 0 else nl
        width = _spaces(text, at)
        body = at + width
        if body >= line_end or text[body] in "#\r":
            at = line_end + 1
            continue  # a blank or comment line
        if width <= parent_indent or (indent >= 0 and width < indent):
            break
        if indent < 0:
            indent = width
        if width > indent:
            if out and out[-1][1] >= out[-1][2]:
                out.pop()  # the previous child heads a nested structure
            at = line_end + 1
            continue
        hi = line_end - (text[line_end - 1] == "\r")
        if text.startswith("- ", body):
            body += 2
        found = _entry(text, body, hi)
        if found is not None:
            out.append(found)
        at = line_end + 1
    return out


# ${X:-default}, ${X:=default}, ${x:default}; not ${X:?error message} nor ${X:+alternative}.
_DEFAULT_RE = _lazy("_DEFAULT_RE", r":[-=]?(?![?+])([^}\s\"'`]{1,1024})\}")
_WORD8_RE = _lazy("_WORD8_RE", r"[^\s]{8,}")


def _reference_default(
    text: str, start: int, end: int, strength: int, name: str, out: list[_Cand]
) -> None:
    if start < 2 or text[start - 2 : start] != "${":
        return
    m = _DEFAULT_RE.match(text, end)
    if m is None:
        return
    ctx = _Value(m.start(1), m.end(1), False, True)
    if _value_is_secret(m.group(1), ctx, strength, name):
        out.append((m.start(1), m.end(1), _assignment_kind(name), _PRIO_GENERIC))


def _two_word_strength(text: str, start: int) -> int:
    """``api key``, ``Secret Key``: a strong name written as two words, else ``key`` alone."""
    lo = max(0, start - 18)
    space = text.rfind(" ", lo, start - 1)
    word = text[space + 1 if space >= 0 else lo : start - 1]
    if word.lower() in ("public", "pub", "host", "server"):
        return 0  # "public key: <base64>" (wg show, ssh-keyscan): made to be shared
    return _STRONG if word.isalpha() and word.lower() in _STRONG_KEY_PREFIXES else _KEYISH


def _maybe_password_word(text: str, pos: int) -> bool:
    """A cheap first look at the word at ``pos``: 8+ characters, not a lowercase word."""
    m = _WORD8_RE.match(text, pos)
    return m is not None and not m.group().isalpha()


_NEXT_LINE_RE = _lazy("_NEXT_LINE_RE", r"\r?\n([ \t]{1,64})(?=\S)")
# What starts a YAML node that is not a plain scalar: a list item, comment, collection,
# anchor, alias, tag or block scalar.
_NOT_PLAIN_STARTS = "-#{[&*!|>%@`"


def _next_line_value(text: str, vpos: int, line_start: int, yaml: bool) -> _Value | None:
    nxt = _NEXT_LINE_RE.match(text, vpos)
    if nxt is None or len(nxt.group(1)) <= _spaces(text, line_start):
        return None
    at = nxt.end()
    if text[at] in "\"'":
        if text.startswith(text[at] * 3, at):
            return None  # a docstring after "def f(...) -> Authorization:", not a value
        return _value_at(text, at, mode="token", literal=True)
    if not yaml or text[at] in _NOT_PLAIN_STARTS or _KEY_LINE_RE.match(text, at) is not None:
        return None  # a nested mapping, a list, code: not this key's scalar
    return _value_at(text, at, mode="rest", literal=True)


_BRACKETS_RE = _lazy("_BRACKETS_RE", r"[{}()\[\]<>]")


def _spaces(text: str, pos: int) -> int:
    n = 0
    while pos + n < len(text) and text[pos + n] in " \t":
        n += 1
    return n


def _whole_string_value(text: str, quote_at: int, vpos: int) -> _Value | None:
    """``set "NAME=a&b;c"``, ``'password=a#b'``, systemd's ``Environment="NAME=a b"``: a
    string holding one assignment keeps ``&;#`` and spaces in the value, up to its closing
    quote."""
    close = text.find(text[quote_at], vpos, vpos + 1024)
    if close <= vpos or text[close - 1] == "\\":
        return None
    if _NEXT_PAIR_RE.search(text, vpos, close) is not None:
        return None  # "host=db password=x user=y": a conninfo, its values end at a space
    return _Value(vpos, close, False, True, True)


_NEXT_PAIR_RE = _lazy("_NEXT_PAIR_RE", r"\s[\w.\-]{1,64}=")


# What may stand before a variable being declared or assigned on its line: nothing, Perl's
# "my", a type or modifiers ("String $x =", "private static $x ="), PHP's "$" of "$$x", a
# quote opening a JSON/YAML key ("\"$x\": …"), an XML element ("<$x>…").
_DECLARED_PREFIX_RE = _lazy(
    "_DECLARED_PREFIX_RE",
    r"[+\- \t]?[ \t]*(?:[A-Za-z_][\w<>\[\],.?]*[ \t]+){0,3}(?:\\?[\"']|[$<])?",
)
# ...but after these words "$x" is read: "[ $TOKEN = x ]", "if $a == …", "echo $x = …".
_READS_VARIABLE_WORDS = frozenset(
    {"if", "elif", "while", "until", "test", "echo", "print", "printf", "return", "case", "[[",
     "and", "or", "not", "then", "do", "else", "unless", "eq", "ne", "when"}
)  # fmt: skip


def _php_variable(text: str, start: int) -> bool:
    """``$password = "…"`` (PHP, Perl, PowerShell), after at most a type or modifiers on its
    line: a variable being assigned, not one being read."""
    if text[start - 1] != "$":
        return False
    line_start = text.rfind("\n", max(0, start - _MAX_LOOKBACK), start) + 1
    prefix = text[line_start : start - 1]
    if _DECLARED_PREFIX_RE.fullmatch(prefix) is None:
        return False
    return not any(w.lower() in _READS_VARIABLE_WORDS for w in prefix.split())


# An environment lookup and the operator that supplies a default when it is unset.
_FALLBACK_RE = _lazy(
    "_FALLBACK_RE",
    r"(?:process\.env|import\.meta\.env|os\.environ|ENV|env|\$_ENV|\$_SERVER|getenv\(\))"
    r"(?:\.[A-Za-z_$][\w$]*|\[[\"'][\w.\-]{1,128}[\"']\]){0,2}"
    r"\s{0,64}(?:\|\||\?\?|\bor\b|\?:)\s{0,64}"
    # PowerShell: if ($env:KEY) { $env:KEY } else { "…" }
    r"|if\s{0,8}\(\s{0,8}\$env:\w{1,128}\s{0,8}\)\s{0,8}\{\s{0,8}\$env:\w{1,128}\s{0,8}\}"
    r"\s{0,8}else\s{0,8}\{\s{0,8}",
)


# Conversions that keep a literal's value: Key = Convert.FromBase64String("…") holds the key
# as much as Key = "…" does.
_CONVERSION_RE = _lazy(
    "_CONVERSION_RE",
    r"(?:Convert\.FromBase64String|Convert\.FromHexString|Encoding\.(?:UTF8|ASCII|Unicode|Default)"
    r"\.GetBytes|Base64\.(?:getDecoder\(\)|getUrlDecoder\(\)|getMimeDecoder\(\))\.decode"
    r"|base64\.(?:b64decode|urlsafe_b64decode|standard_b64decode)|bytes\.fromhex"
    r"|base64_decode|hex2bin)\(\s{0,16}(?=[\"'])",
)


def _fallback_literal(text: str, vpos: int) -> _Value | None:
    m = _FALLBACK_RE.match(text, vpos)
    if m is None and text[vpos : vpos + 1] in "BCEbh":
        m = _CONVERSION_RE.match(text, vpos)
    if m is None:
        return None
    value = _value_at(text, m.end(), mode="token", literal=True)
    return value if value is not None and value.quoted else None


_WRAP_STARTS = (" =", "=", ":")
_SEP_THEN_LINE_RE = _lazy("_SEP_THEN_LINE_RE", r"[ \t]*[=:][ \t]*\r?\n\s{0,64}")


def _wrapped_fallback(text: str, end: int) -> _Value | None:
    m = _SEP_THEN_LINE_RE.match(text, end)
    return _fallback_literal(text, m.end()) if m is not None else None


# C++ brace initialisation: std::string key{"…"}, AccountKey{ "…" }.
_BRACE_INIT_RE = _lazy("_BRACE_INIT_RE", r"\{\s{0,64}(?=[\"'])")
_BRACE_CLOSE_RE = _lazy("_BRACE_CLOSE_RE", r"[\"']\s{0,64}\}")
# Java and C# wrap a long declaration before its "=".
_FIELD_DEFAULT_RE = _lazy(
    "_FIELD_DEFAULT_RE",
    r"(?:dataclasses\.)?[fF]ield\(\s*(?:default\s*=\s*)?([\"'])((?:(?!\1)[^\\\n]){1,512})\1",
)
_WRAPPED_SEP_RE = _lazy("_WRAPPED_SEP_RE", r"[ \t]*\r?\n[ \t]{1,64}=(?!=)[ \t]*(?:\r?\n[ \t]*)?")


# An INI section header ("[pypi]", "[security]", "[domain/example.com]", "[Service]") on a line
# of its own: below it, "name = value" is configuration, and an unquoted value is text even
# when it looks like a name ("admin_password = Falcon_maple_F0DNE").
_INI_HEADER_RE = _lazy("_INI_HEADER_RE", r"\[[\w .:/\-\"']{1,64}\][ \t]*\r?\n")
_INI_LOOKBACK = 8192


def _under_ini_section(text: str, line_start: int) -> bool:
    at = text.rfind("\n[", max(0, line_start - _INI_LOOKBACK), line_start)
    if at < 0:
        if not text.startswith("["):
            return False
        at = -1
    header = _INI_HEADER_RE.match(text, at + 1)
    if header is None:
        return False
    between = text[header.end() : line_start]
    return "(" not in between and "{" not in between and "def " not in between


def _parse_value(text: str, start: int, end: int, is_flag: bool, strength: int) -> _Value | None:
    if text.startswith(_PAIR_FOLLOW, end):  # cheap test first: most names are followed by = or :
        listed = _name_value_pair(text, start, end)
        if listed is not None:
            return listed
    after = text[end : end + 1]
    if after == "{":
        brace = _BRACE_INIT_RE.match(text, end)
        if brace is not None:
            value = _value_at(text, brace.end(), mode="token", literal=True)
            if value is not None and _BRACE_CLOSE_RE.match(text, value.end):
                return value
    elif after == "\n" or after == "\r":
        wrapped = _WRAPPED_SEP_RE.match(text, end)
        if wrapped is not None:
            return _value_at(text, wrapped.end(), mode="token", literal=False)
    sep = _SEP_RE.match(text, end)
    if sep is not None and _yaml_not_annotation(sep):
        sep = _SEP_NO_ANNOT_RE.match(text, end)  # YAML "password: Abc=def", not a type
    name_quoted = start > 0 and text[start - 1] in "\"'`"
    if name_quoted and _PAIR_OPENER_RE.search(text, max(0, start - 16), start - 1) is not None:
        pair = _PAIR_RE.match(text, end)
        if pair is not None:
            # ("NAME", "value") could as well be a list of names ('token', 'page_size'): an
            # identifier there counts only when it looks generated. Not after a setter whose
            # first argument is a name and second its value: define(), setProperty(), Setenv().
            value = _value_at(text, pair.end(), mode="token", literal=True)
            if value is not None:
                value.loose = _SETTER_RE.search(text, max(0, start - 40), start - 1) is None
            return value
    if sep is not None and name_quoted and sep.group("close") is None:
        # A string holding "Name: value" (an HTTP header, a conninfo) or prose ('Password: ').
        # After curl's -H it is a header for sure, so the value is literal whatever its shape.
        header = _HEADER_FLAG_RE.search(text, max(0, start - 24), start - 1) is not None
        # 'name=value' in one string (ansible -e, conninfo, a query): the value is literal.
        glued = sep.group("op") == "=" and sep.group() == "="
        if text.startswith(text[start - 1], sep.end()):
            return None  # "…password=" + pw: the string ends there, the value is code
        if glued and _inside_template_expression(text, start):
            return None  # {{ lookup('hashi_vault', 'secret=kv/data/api:token') }}: a query
        value = _whole_string_value(text, start - 1, sep.end()) if glued else None
        if value is None:
            # Loose unless a header: 'Credential=x' in a list of test strings is no secret.
            value = _value_at(text, sep.end(), mode="token", literal=header or glued, loose=glued)
        if glued and value is not None and _four_kinds(text[value.start : value.end]):
            # "DB_PASSWORD=SRDy.DH7C" (systemd's Environment=): inside the string no dotted
            # name is an attribute, and a chosen password has all four kinds of character.
            value.loose = False
        return value
    if sep is None and name_quoted and _XML_KEY_ATTR_RE.search(text, max(0, start - 8), start - 1):
        # .NET settings: <setting name="SmtpPassword" serializeAs="String"><value>x</value>
        setting = _XML_SETTING_RE.match(text, end)
        value_m = _XML_VALUE_RE.match(text, setting.end()) if setting is not None else None
        return None if value_m is None else _Value(value_m.start(1), value_m.end(1), False, True)
    if sep is None and end < len(text) and text[end] == "(" and not name_quoted:
        return _setter_argument(text, start, end)  # setPassword("…"), .api_key("…")
    if sep is None:
        prose = _MD_TO_RE.match(text, end) if name_quoted and text[start - 1] == "`" else None
        if prose is not None:
            # Markdown prose: "Set `API_KEY` to `value`": the value is a literal in backticks.
            return _value_at(text, prose.end(), mode="token", literal=True)
        special = text.startswith(_AFTER_NAME_SPECIAL, end)  # one test for the two forms below
        cell = _markdown_cell(text, start, end) if special else None
        if cell is not None:
            return cell
        if (
            special
            and text.startswith(" `", end)
            and strength == _STRONG
            and text[start:end].lower() != "pass"
            and not text.startswith("``", end + 1)
        ):
            # Prose with a code span: "log in with password `X`", "pw `X`": a password-shaped
            # word (not after the verb "pass": "pass `check_0d=True`").
            value = _value_at(text, end + 1, mode="token", literal=True)
            if value is not None:
                value.comment = True
            return value
        if end < len(text) and text[end] == "," and _at_line_start(text, start):
            # A CSV row "name,value,...": a name there could as well head a column of names,
            # so the value counts only when it looks generated (loose).
            row = _value_at(text, end + 1, mode="token", literal=True)
            if row is not None:
                row.loose = True
            return row
        gap = _PROSE_GAP_RE.match(text, end) if strength == _STRONG and not name_quoted else None
        if gap is not None:
            # "the wifi password for the office is X": prose naming what the password is for;
            # as after "password is", only a password-shaped word counts.
            value = _value_at(text, gap.end(), mode="env", literal=True)
            if value is None or _BRACKETS_RE.search(text, value.start, value.end) is not None:
                return None
            value.comment = True
            return value
        said = _COMMENT_OP_RE.match(text, end)
        # "key fingerprint", "token expiry": a bare space counts only after a strong name (and
        # is tested first: nearly every name in prose is followed by one).
        if said is not None and said.group().isspace():
            # Not after a --flag either: its line starts with "--", which is no SQL comment.
            if is_flag or strength != _STRONG or not _maybe_password_word(text, said.end()):
                said = None
        if said is not None and _in_comment(text, start):
            # "# root password is hunter2!x", "REM password==...": prose in a comment, so only
            # a password-shaped word counts.
            value = _value_at(text, said.end(), mode="token", literal=True)
            if value is not None:
                value.comment = True
            return value
        if (
            said is not None
            and strength == _STRONG
            and said.group().split()[:1] in (["is"], ["was"], ["is:"], ["was:"])
        ):
            # Prose outside a comment (a commit message, a PR text): "the password is X." —
            # again only a password-shaped word counts ("is incorrect", "is stored" do not),
            # and the word runs to a space (prose has no ";" or "&" separators).
            value = _value_at(text, said.end(), mode="env", literal=True)
            if value is None or _BRACKETS_RE.search(text, value.start, value.end) is not None:
                return None  # "the key is {len(key)} bytes": an f-string or call, not a word
            value.comment = True  # (a full stop after it is covered too: it may be its own)
            return value
        if said is not None and not name_quoted and _at_line_start(text, start):
            # A server directive "Name value" on its own line (redis.conf's requirepass,
            # Apache's AuthLDAPBindPassword "x"): one value, then the line ends.
            return _directive_value(text, said.end())
        if said is not None and text.startswith("'", said.end()) and _sql_role(text, start):
            # ALTER ROLE app WITH PASSWORD '...', CREATE USER x PASSWORD '...'; not MySQL's
            # IDENTIFIED BY PASSWORD '*<hash>'.
            if _BY_BEFORE_RE.search(text, max(0, start - 8), start) is not None:
                return None
            return _value_at(text, said.end(), mode="token", literal=True)
        positional = _positional_assignment(text, start) if end < len(text) else None
        if positional is not None and text[end] in " \t":
            vpos = end
            while vpos < len(text) and text[vpos] in " \t":
                vpos += 1
            if text.startswith("(", vpos):
                return None  # fish command substitution: (read -s), (cat token)
            if positional == "docker":
                # Dockerfile's "ENV NAME value": the value is the rest of the line, spaces too.
                return _value_at(text, vpos, mode="rest", literal=True)
            # A C constant is an expression unless quoted; a shell word is a literal.
            return _value_at(text, vpos, mode="env", literal=positional == "shell")
        if said is not None and said.group().isspace() and strength == _STRONG and not is_flag:
            # "hardcode api token <40 random characters> for demo": in prose, a strong name then
            # a word only a generator makes (long, random) is that secret.
            value = _value_at(text, said.end(), mode="token", literal=True)
            word = text[value.start : value.end] if value is not None else ""
            # API tokens are url-safe; a base64 blob there ("+", "/", "=") is data as often.
            if _looks_random(word, min_len=20) and re.fullmatch(r"[\w.~-]+", word):
                return value
        if is_flag and text.startswith(("  ", "\t"), end):
            return None  # `-W, --password           force password prompt`: a help column
        if is_flag and end < len(text) and text[end] in " \t":
            vpos = end
            while vpos < len(text) and text[vpos] in " \t":
                vpos += 1
            value = _value_at(text, vpos, mode="env", literal=True)
            if value is not None and _MYSQL_CMD_RE.search(_line_before(text, start)):
                # mysql's --password takes its value only after "=" (else it prompts and the
                # next word is the database), but a password-shaped word there was meant as one.
                value.comment = True
            return value
        return None
    op = sep.group("op")
    if op == ">":
        # Only XML: <password>value</password>, <entry key="password">value</entry>
        xml_attr = name_quoted and _XML_KEY_ATTR_RE.search(text, max(0, start - 8), start - 1)
        if (start == 0 or text[start - 1] != "<") and not xml_attr:
            return None
        cdata = _CDATA_RE.match(text, sep.end())
        if cdata is not None:
            # <password><![CDATA[a<b&c]]></password>: the value is the CDATA's content.
            return _Value(cdata.start(1), cdata.end(1), True, True)
        m = _XML_VALUE_RE.match(text, sep.end())
        if m is None:
            # unattend.xml: <AdministratorPassword><Value>x</Value><PlainText>…: the element
            # holds its value in a <Value> child.
            child = _XML_CHILD_VALUE_RE.match(text, sep.end())
            return None if child is None else _Value(child.start(2), child.end(2), False, True)
        return _Value(m.start(1), m.end(1), False, True)
    vpos = sep.end()
    if text.startswith(("field(", "Field(", "dataclasses.field("), vpos):
        # Python: `secret: str = field(default="…", repr=False)`, pydantic's Field("…"):
        # the default is the value.
        default = _FIELD_DEFAULT_RE.match(text, vpos)
        if default is None:
            return None
        return _Value(default.start(2), default.end(2), True, True)
    if (
        op == ":"
        and text.startswith(("**", "__"), vpos)
        and text[start - 2 : start] in ("**", "__")
    ):
        # Markdown "**Password:** value": a label in prose, its value a literal word.
        value = _value_at(text, vpos + 2 + _spaces(text, vpos + 2), mode="env", literal=True)
        if value is not None:
            value.comment = True
        return value
    floor = max(0, start - _MAX_LOOKBACK)
    line_start = text.rfind("\n", floor, start) + 1 or floor
    head = start - 1 if name_quoted else start
    at_line_start = _LINE_PREFIX_RE.fullmatch(text, line_start, head) is not None
    if at_line_start and vpos < len(text) and text[vpos] in "\r\n":
        # Nothing after the operator: the value may be on the next, more indented line
        # ('"password":\n  "x"', 'password =\n    "x"', YAML's 'password:\n  x').
        return _next_line_value(text, vpos, line_start, at_line_start and op == ":")
    spaced = " " in sep.group() or "\t" in sep.group()
    if not at_line_start and _COMMENT_LINE_RE.match(text, line_start, head) is not None:
        # "# prod db password: hunter2!": in a comment, a password-shaped word is the value.
        value = _value_at(text, vpos, mode="token", literal=True)
        if value is not None:
            value.comment = True
        return value
    if is_flag:
        return _value_at(text, vpos, mode="env", literal=True)
    if at_line_start and op == ":" and not name_quoted:
        props = _YAML_PROPS_RE.match(text, vpos)
        if props is not None and props.end() < len(text) and text[props.end()] not in "\r\n":
            vpos = props.end()  # "password: &pw value", "password: !!str value": syntax first
        block = _yaml_block(text, vpos)
        if block is not None:
            # "password: |" then the value, indented, on the next lines.
            return block
        if _CODE_FIELD_END_RE.match(text, vpos) is not None:
            # "Password: cfg.Password," / "password: config.password,": a field of an object
            # or struct literal in code (YAML scalars do not end in a comma), whose unquoted
            # value is an expression unless it looks generated.
            return _value_at(text, vpos, mode="token", literal=True, loose=True)
        # YAML: unquoted values are literal strings and run to the end of the line, and on
        # over more indented lines (a multi-line plain scalar).
        value = _value_at(text, vpos, mode="rest", literal=True)
        if value is not None and not value.quoted:
            _plain_continuation(text, value, _spaces(text, line_start))
        return value
    if op in _ASSIGN_OPS and not spaced and _ENV_PREFIX_RE.fullmatch(text, line_start, start):
        if op == "=" and "." in text[start:end] and line_start == head:
            # A dotted name cannot be a shell variable: a .properties line, whose value is the
            # rest of the line (";", "&", "#" and spaces included), continued by a backslash.
            return _value_at(text, vpos, mode="props", literal=True)
        if op == "=" and _YAML_ITEM_RE.fullmatch(text, line_start, start) is not None:
            # docker-compose's "- NAME=value" list item: a YAML plain scalar, so the value is
            # the rest of the line, spaces included (a " #" starts a comment).
            return _value_at(text, vpos, mode="rest", literal=True)
        # An unindented NAME=value line: .env, .npmrc, shell.
        return _value_at(text, vpos, mode="env", literal=True)
    if at_line_start and op in _ASSIGN_OPS and spaced:
        # INI/TOML or code: literal unless it reads as code (a name, a call, an operator).
        # Make's ?= and ::= assign text, never an expression. An INI value goes on over more
        # indented lines (configparser's multi-line values), like a YAML plain scalar.
        loose = op in ("=", ":=") and not _under_ini_section(text, line_start)
        value = _value_at(text, vpos, mode="rest", literal=True, loose=loose)
        if value is not None and not value.quoted:
            _plain_continuation(text, value, _spaces(text, line_start))
        return value
    before = text[line_start:start]
    if (start > 0 and text[start - 1] in "?&;") or _FLAG_CONTEXT_RE.search(before) is not None:
        if text[start - 1] in "?&" and text.startswith(('"', "'"), vpos):
            return None  # "…?password=" + pw: the URL string ends there, the value is code
        if text[start - 1] == ";" and text.startswith("{", vpos):
            braced = _ODBC_BRACED_RE.match(text, vpos)
            if braced is not None:
                # ODBC: Pwd={a;b}}c} — braces quote a value with ";", "}}" is a brace in it.
                return _Value(braced.start(1), braced.end(1), True, True)
        if text[start - 1] == ";" and text[vpos : vpos + 1] not in _QUOTE_STARTS:
            # ADO.NET/ODBC: "…;Password=a)b;…": the value runs to the next ";" or quote.
            conn = _CONN_VALUE_RE.match(text, vpos)
            if conn is not None:
                return _Value(vpos, conn.end(), False, True)
        return _value_at(text, vpos, mode="token", literal=True)
    if op == ":" and _YAML_FLOW_RE.match(text, line_start, start) is not None:
        # "db: {user: app, password: x}": a YAML flow mapping, whose plain values are
        # literals ending at "," "}" "]" (an identifier there still has to look generated: it
        # could be JS).
        return _value_at(text, vpos, mode="flow", literal=True, loose=True)
    if op == "=" and not spaced and _kv_before(before):
        # "host=db user=app password=x": a conninfo or option string, whose values are literal
        # and end at a space (a glued "&" or ";" is part of them: no query string has spaces).
        return _value_at(text, vpos, mode="env", literal=True)
    # name=value inside a line: a shell word, a conninfo string, or a keyword argument; the
    # value is literal unless it reads as code (checked by _unquoted_is_literal).
    return _value_at(text, vpos, mode="token", literal=op == "=" and not spaced, loose=True)


_CODE_FIELD_END_RE = _lazy("_CODE_FIELD_END_RE", r"[^\n]{0,1024}?,[ \t]*(?://[^\n]*)?\r?$", re.M)
_XML_SETTING_RE = _lazy("_XML_SETTING_RE", r"[\"'][^<>\n]{0,256}>\s{0,256}<value>")
# (nginx and many C-like configuration files end a directive with ";")
_LINE_REST_RE = _lazy("_LINE_REST_RE", r"[\"'`]?[ \t]*;?[ \t]*(?:#[^\n]*)?\r?(?:\n|\Z)")


# A Markdown table row "| DB password | `value` |": the name ends its cell, the value is the
# next cell (a code span or plain text); only a password-shaped or random value counts there,
# a cell is as often a description ("stored in Vault").
_AFTER_NAME_SPECIAL = (" |", "\t|", "|", " `")
_MD_ROW_HEAD_RE = _lazy("_MD_ROW_HEAD_RE", r"[ \t]*\|[^|\n]{0,256}\Z")
_MD_CELL_RE = _lazy(
    "_MD_CELL_RE",
    r"[ \t]*\|[ \t]*(?:`([^`\n]{1,512})`|([^|`\s][^|`\n]{0,511}?))[ \t]*(?:\||$)",
    re.M,
)


def _markdown_cell(text: str, start: int, end: int) -> _Value | None:
    line_start = text.rfind("\n", max(0, start - _MAX_LOOKBACK), start) + 1
    if _MD_ROW_HEAD_RE.match(text, line_start, start) is None:
        return None
    m = _MD_CELL_RE.match(text, end)
    if m is None:
        return None
    g = 1 if m.group(1) is not None else 2
    value = _Value(m.start(g), m.end(g), g == 1, True)
    value.comment = True
    return value


def _directive_value(text: str, vpos: int) -> _Value | None:
    """The one value of a ``Directive value`` line; unquoted, it must be password-shaped (a
    line of prose also starts with a word such as "Password")."""
    value = _value_at(text, vpos, mode="env", literal=True)
    if value is None or _LINE_REST_RE.match(text, value.end) is None:
        return None
    value.comment = not value.quoted
    return value


# Operators that assign a literal at the start of a line: INI/.env "=", Make "?=", ":=", "::=".
_ASSIGN_OPS = frozenset({"=", "?=", ":=", "::=", ":::="})
_CDATA_RE = _lazy("_CDATA_RE", r"\s{0,256}<!\[CDATA\[(.{1,4096}?)\]\]>", re.S)
_XML_KEY_ATTR_RE = _lazy("_XML_KEY_ATTR_RE", r"(?:key|name|Key|Name)=\Z")
# A word "name=value" then a space before this name: not a keyword argument (no comma).
_KV_WORD_RE = _lazy("_KV_WORD_RE", r"[\"']?[\w.\-]{1,64}=[^\s=,()\"']{1,256}")


_QUOTE_STARTS = ("", '"', "'", "\\", "{")
_CONN_VALUE_RE = _lazy("_CONN_VALUE_RE", r"[^;\"'\s]{1,1024}(?=[;\"']|\s|\Z)")
_ODBC_BRACED_RE = _lazy("_ODBC_BRACED_RE", r"\{((?:[^}\n]|\}\}){1,1024})\}(?=[;\"'\s]|\Z)")
_YAML_FLOW_RE = _lazy("_YAML_FLOW_RE", r"[ \t]*(?:-[ \t]+)?(?:[\w.\-]{1,128}:[ \t]+)?\{[^=\n]*\Z")


def _kv_before(before: str) -> bool:
    """Whether the word before (after a space) is ``name=value``: an option string."""
    if not before.endswith((" ", "\t")):
        return False
    words = before[-320:].split()
    return bool(words) and _KV_WORD_RE.fullmatch(words[-1]) is not None


# {"name": "API_KEY", "value": "…"}, "- name: DB_PASSWORD / value: …" (Kubernetes env),
# {"ParameterKey": "DbPassword", "ParameterValue": "…"}, {"Key": "password", "Value": "…"}.
_NAME_FIELD_RE = _lazy(
    "_NAME_FIELD_RE",
    r"(?:name|Name|NAME|key|Key|KEY|ParameterKey|ParameterName)[\"']?[ \t]*[:=][ \t]*[\"']?\Z",
)
_VALUE_FIELD_RE = _lazy(
    "_VALUE_FIELD_RE",
    r"[\"']?[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?[\"']?(?:value|Value|VALUE|ParameterValue)[\"']?"
    r"[ \t]*[:=][ \t]*",
)


_PAIR_FOLLOW = ('"', "'", ",", "\n", "\r")


def _name_value_pair(text: str, start: int, end: int) -> _Value | None:
    """The value of a name/value pair whose name field holds a secret-like name."""
    m = _VALUE_FIELD_RE.match(text, end)  # first: it fails at the first character mostly
    if m is None or _NAME_FIELD_RE.search(text, max(0, start - 24), start) is None:
        return None
    # {name: "password", value: form.password} is code, an identifier there a variable; a
    # YAML list item (value on the next line) holds a literal.
    yaml = "\n" in m.group()
    return _value_at(text, m.end(), mode="token", literal=True, loose=not yaml)


# A YAML node's properties: an anchor (&name) and/or a core tag (!!str), then the value. Not
# local tags: !vault holds ciphertext, CloudFormation's !Ref and !Sub name other values.
_YAML_PROPS_RE = _lazy(
    "_YAML_PROPS_RE", r"(?:(?:&[\w.\-]{1,64}|!!(?:str|binary)|!unsafe)[ \t]+){1,2}"
)
_YAML_BLOCK_HEAD_RE = _lazy("_YAML_BLOCK_HEAD_RE", r"[|>][-+1-9]{0,2}[ \t]*\r?\n")
_YAML_LINE_RE = _lazy("_YAML_LINE_RE", r"([ \t]*)([^\r\n]{0,4096}?)[ \t]*\r?(?:\n|\Z)")
# Bounds per hit (a PEM key of 4096 bits is ~51 lines, ~3.3 KB): a text of nested
# "password: |" heads must not make each of them read far.
_YAML_BLOCK_LINES = 64
_YAML_BLOCK_CHARS = 8192


def _yaml_block(text: str, vpos: int) -> _Value | None:
    """A YAML literal/folded block scalar (``|``, ``>-``): every line indented like its first.

    Judged as one word when each line is one (a key, a certificate body), else as the text.
    """
    head = _YAML_BLOCK_HEAD_RE.match(text, vpos)
    if head is None:
        return None
    at, indent, start, end = head.end(), -1, -1, -1
    words: list[str] = []
    limit = min(len(text), head.end() + _YAML_BLOCK_CHARS)
    for _ in range(_YAML_BLOCK_LINES):
        m = _YAML_LINE_RE.match(text, at, limit)
        if m is None or m.end() == at:
            break
        if m.group(2):
            width = len(m.group(1))
            if indent < 0:
                indent = width
            if width < indent or width == 0 or _starts_entry(m.group(2)):
                break
            start = m.start(2) if start < 0 else start
            end = m.end(2)
            words.append(m.group(2))
        at = m.end()
    if start < 0:
        return None
    value = _Value(start, end, True, True)  # a block scalar is a string, like a quoted one
    if len(words) > 1:
        one_word_lines = not any(" " in w or "\t" in w for w in words)
        value.content = "".join(words) if one_word_lines else " ".join(words)
    return value


# A YAML plain scalar goes on over the next lines that are more indented than its key and
# start no other node (a key, a list item, a comment). What is judged stays the first line, so
# this only widens a finding: "client_secret: abc\n    def" hides "def" too.
_PLAIN_LINES = 8
_PLAIN_LINE_RE = _lazy(
    "_PLAIN_LINE_RE", r"\r?\n([ \t]{1,64})([^\s#\-?:,\[\]{}&*!|>'\"%@`][^\n]{0,1023})"
)


def _plain_continuation(text: str, value: _Value, key_indent: int) -> None:
    at, end = value.end, value.end
    for _ in range(_PLAIN_LINES):
        m = _PLAIN_LINE_RE.match(text, at)
        if m is None or len(m.group(1)) <= key_indent:
            break
        line = m.group(2)
        if _KEY_LINE_RE.match(line) is not None or ": " in line or " #" in line:
            break
        end = at = m.start(2) + len(line.rstrip())
    if end != value.end:
        if value.content is None:
            value.content = text[value.start : value.end]
        value.end = end


def _at_line_start(text: str, start: int) -> bool:
    line_start = text.rfind("\n", max(0, start - _MAX_LOOKBACK), start) + 1
    return not text[line_start:start].strip()


def _in_comment(text: str, start: int) -> bool:
    line_start = text.rfind("\n", max(0, start - _MAX_LOOKBACK), start) + 1
    return _COMMENT_LINE_RE.match(text, line_start, start) is not None


_BY_BEFORE_RE = _lazy("_BY_BEFORE_RE", r"\bBY[ \t]+\Z", re.I)
# MySQL/MariaDB: SET PASSWORD FOR 'app'@'%' = 'pw' (anchored at its own trigger, so that the
# assignment detector's every "password " does not pay for it).
_SET_PASSWORD_FOR_RE = _lazy(
    "_SET_PASSWORD_FOR_RE", r"SET[ \t]+PASSWORD[ \t]+FOR[ \t]+[^=;\n]{1,256}?=[ \t]*(?=['\"])", re.I
)


def _set_password_for(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    if pos > 0 and text[pos - 1].isalnum():
        return
    m = _SET_PASSWORD_FOR_RE.match(text, pos)
    value = _value_at(text, m.end(), mode="token", literal=True) if m is not None else None
    if value is not None and _value_is_secret(text[value.start : value.end], value, _STRONG):
        out.append((value.start, value.end, "password-in-code", _PRIO_GENERIC))


# CREATE/ALTER USER|ROLE|LOGIN … PASSWORD '…', and the options of a foreign server or user
# mapping: OPTIONS (user 'x', password '…').
_SQL_ROLE_RE = _lazy(
    "_SQL_ROLE_RE", r"\b(?:ALTER|CREATE)[ \t]+(?:USER|ROLE|LOGIN)\b|\bOPTIONS[ \t]*\(", re.I
)


def _sql_role(text: str, start: int) -> bool:
    return _SQL_ROLE_RE.search(_line_before(text, start)) is not None


# A word that a positional assignment's line has before its name (one search, in C, is
# cheaper than a str.rfind per word: this runs for most names).
_POSITIONAL_HINT_RE = _lazy("_POSITIONAL_HINT_RE", r"define|set|ENV|Env|_param")


def _positional_assignment(text: str, start: int) -> str | None:
    """``"c"`` for ``#define NAME value``, ``"shell"`` for fish's ``set -gx NAME value``."""
    if _POSITIONAL_HINT_RE.search(text, max(0, start - 24), start) is None:
        return None  # the common case, decided without finding the line start
    line_start = text.rfind("\n", max(0, start - _MAX_LOOKBACK), start) + 1
    if _DEFINE_RE.fullmatch(text, line_start, start) is not None:
        return "c"
    if _DOCKER_ENV_RE.fullmatch(text, line_start, start) is not None:
        return "docker"
    if _CONFIG_SET_RE.search(text, max(line_start, start - 64), start) is not None:
        return "shell"
    if _SERVER_ENV_RE.fullmatch(text, line_start, start) is not None:
        return "shell"
    return "shell" if _FISH_SET_RE.fullmatch(text, line_start, start) is not None else None


def _value_at(
    text: str, vpos: int, *, mode: str, literal: bool, loose: bool = False, adjacent: bool = False
) -> _Value | None:
    """The value at ``vpos``, delimited by how it is written: quoted (any quoting the syntaxes
    here have), a heredoc, or unquoted per ``mode`` ("token", "env", "rest", "props", "flow").
    ``adjacent``: literals separated by white space only are one ("a" "b" in C and Python; in
    a shell they are two words)."""
    if vpos >= len(text):
        return None
    if text.startswith(("$'", "<<", '@"', "@'", "r#", "br#", "[[", "[="), vpos):
        special = _special_string(text, vpos)
        if special is not None:
            return special
    for _ in range(2):  # (pulumi.ToSecret(pulumi.String("…")): two)
        if vpos >= len(text) or text[vpos] not in _WRAPPER_STARTS:
            break
        w = _WRAPPER_RE.match(text, vpos)
        if w is None:
            break
        vpos = w.end()  # []byte("…"), Some("…"): a conversion that keeps the literal
    m = _PY_STR_PREFIX_RE.match(text, vpos)
    if m is not None:
        if text[vpos : m.end()].lower().count("f"):
            return None  # f-string: an expression, not a literal
        vpos = m.end()
    ch = text[vpos]
    if ch == "\\" and text.startswith(('\\"', "\\'"), vpos):
        ch = text[vpos : vpos + 2]
    if ch in "\"'" and text.startswith(ch * 3, vpos):
        return _triple_quoted(text, vpos, ch)
    quoted = _quoted_res().get(ch)
    if quoted is not None:
        return _quoted_value(text, vpos, ch, quoted, adjacent or mode != "env")
    if ch == "(" and mode != "env":
        return _concatenated(text, vpos)
    if mode == "flow":
        flow = _FLOW_SCALAR_RE.match(text, vpos)
        chunk = _TRAILING_COMMENT_RE.sub("", flow.group()).rstrip() if flow is not None else ""
        return _Value(vpos, vpos + len(chunk), False, literal, loose) if chunk else None
    if mode in ("rest", "props"):
        rest = _REST_RE.match(text, vpos)
        assert rest is not None
        chunk = _TRAILING_COMMENT_RE.sub("", rest.group()).rstrip().rstrip(",;")
        if not chunk:
            return None
        end = vpos + len(chunk)
        value = _Value(vpos, end, False, literal, loose)
        if mode == "props" and chunk.endswith("\\"):
            value.end = _continued_lines(text, end)
            value.content = _CONTINUATION_RE.sub("", text[vpos : value.end])
        return value
    token_re = _ENV_TOKEN_RE if mode == "env" else _TOKEN_RE
    tm = token_re.match(text, vpos)
    if tm is None or tm.end() == vpos:
        return None
    return _Value(vpos, tm.end(), False, literal, loose)


def _quoted_value(
    text: str, vpos: int, ch: str, quoted: re.Pattern[str], adjacent: bool = True
) -> _Value | None:
    qm = quoted.match(text, vpos)
    if qm is None and ch == "'":
        qm = _RAW_SQ_RE.match(text, vpos)
    if qm is None:
        # Not closed on its line: a multi-line string (YAML and shell quotes may span lines),
        # or prose with a stray quote (then no closing quote ends a line soon after).
        return _multiline_quoted(text, vpos, ch) if ch in "\"'" else None
    doubled = _doubled_res().get(ch)
    if doubled is not None and text.startswith(ch, qm.end()):
        # 'it''s' (YAML, SQL, PowerShell), @"a""b" (C#), or Python's 'a' 'b' glued: one value.
        dm = doubled.match(text, vpos)
        if dm is not None and dm.end() > qm.end():
            qm = dm
    value = _Value(qm.start(1), qm.end(1), True, True)
    if qm.end() < len(text) and text[qm.end()] in _CONCAT_STARTS:
        _concatenated_literals(text, qm.end(), value, qm.group(1), adjacent)
    return value


# A YAML (or shell) quoted scalar over several lines: the closing quote ends a later line. The
# span covers every line; what is judged is its first line (a line break folds to a space, so
# a wrapped token is judged by its first half, and a wrapped sentence stays prose).
_QUOTED_LINES = 4
_QUOTED_LINE_RE = _lazy("_QUOTED_LINE_RE", r"[^\n]{0,1024}")
_CLOSE_AT_END_RE = _lazy("_CLOSE_AT_END_RE", r"[ \t]*(?:#[^\n]*)?,?\r?(?:\n|\Z)")


def _multiline_quoted(text: str, vpos: int, ch: str) -> _Value | None:
    first = _QUOTED_LINE_RE.match(text, vpos + 1)
    assert first is not None
    head = first.group().rstrip("\r")
    if not head.strip() or ch in head or first.end() >= len(text):
        return None
    at = first.end() + 1
    for _ in range(_QUOTED_LINES):
        line = _QUOTED_LINE_RE.match(text, at)
        assert line is not None
        close = text.find(ch, at, line.end())
        if close >= 0:
            if text[close - 1] == "\\" or _CLOSE_AT_END_RE.match(text, close + 1) is None:
                return None
            if not text[at:close].strip():
                return None
            value = _Value(vpos + 1, close, True, True)
            value.content = head.strip()
            return value
        if not line.group().strip() or line.end() >= len(text):
            return None  # a blank line or the end: no closing quote near, prose
        at = line.end() + 1
    return None


def _special_string(text: str, vpos: int) -> _Value | None:
    """Strings whose delimiters are not a plain quote: shell $'…', heredocs, PowerShell
    here-strings, Lua long brackets, Rust raw strings."""
    ch = text[vpos]
    if ch == "$":
        return _ansi_c_value(text, vpos)
    if ch == "<":
        return _heredoc_value(text, vpos)
    special = {"@": _PS_HERE_STRING_RE, "[": _LUA_LONG_RE}.get(ch, _RUST_RAW_RE)
    m = special.match(text, vpos)
    return None if m is None or not m.group(2).strip() else _Value(m.start(2), m.end(2), True, True)


# PowerShell here-strings: @" or @' ending its line, the text, then "@ or '@ at a line start.
_PS_HERE_STRING_RE = _lazy("_PS_HERE_STRING_RE", r"@([\"'])[ \t]*\r?\n(.{1,4096}?)\r?\n\1@", re.S)
# Lua long brackets: [[…]], [==[…]==] (no escapes).
_LUA_LONG_RE = _lazy("_LUA_LONG_RE", r"\[(=*)\[(.{1,4096}?)\]\1\]", re.S)
# Rust raw strings: r"…", r#"…"#, br##"…"## (no escapes; a quote inside needs a #).
_RUST_RAW_RE = _lazy("_RUST_RAW_RE", r"b?r(#{1,4})\"(.{0,4096}?)\"\1")


# Shell's ANSI-C quoting: $'a\'b\x21' (backslash escapes, an escaped quote inside).
_ANSI_C_RE = _lazy("_ANSI_C_RE", r"\$'((?:[^'\\\n]|\\.){1,4096})'")


def _ansi_c_value(text: str, vpos: int) -> _Value | None:
    m = _ANSI_C_RE.match(text, vpos)
    return None if m is None else _Value(m.start(1), m.end(1), True, True)


# A heredoc as a value: HCL's password = <<EOT / <<-EOT, Ruby's <<~EOS, PHP's <<<'EOT'. Its
# lines up to the delimiter line are the string.
_HEREDOC_VALUE_RE = _lazy(
    "_HEREDOC_VALUE_RE", r"<<<?[-~]?[ \t]*([\"']?)([A-Za-z_][A-Za-z0-9_]{0,31})\1[ \t]*\r?\n"
)
_HEREDOC_SPAN = 8192
_HEREDOC_LINES = 32


def _heredoc_value(text: str, vpos: int) -> _Value | None:
    head = _HEREDOC_VALUE_RE.match(text, vpos)
    if head is None:
        return None
    close = _heredoc_end(text, head.end(), head.group(2))
    if close < 0:
        return None
    start, end = head.end(), close
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return _Value(start, end, True, True) if end > start else None


def _heredoc_end(text: str, body: int, word: str) -> int:
    """Where the line holding only the delimiter ``word`` starts (indented, maybe with a ";"),
    within ``_HEREDOC_LINES`` lines; -1 if none (a value that long is no password, and a text
    of many heads must not make each read far)."""
    at, limit = body, min(len(text), body + _HEREDOC_SPAN)
    for _ in range(_HEREDOC_LINES):
        nl = text.find("\n", at, limit)
        line = text[at : nl if nl >= 0 else limit].strip(" \t\r")
        if line == word or line == word + ";":
            return at
        if nl < 0 or "<<" in line:
            return -1  # (another head: a heredoc of heads holds no password)
        at = nl + 1
    return -1


# A plain scalar in a YAML flow collection ({user: app, password: x}) ends at "," "}" "]";
# "{" and "[" cannot be in it either, except in a ${reference}.
_FLOW_SCALAR_RE = _lazy("_FLOW_SCALAR_RE", r"(?:\$\{[^}\n]{0,256}\}|[^,\[\]{}\n]){1,4096}")


# "part one" + "part two" (JS, Java, Go, C#), 'a' . 'b' (PHP), "a" .. "b" (Lua), "a" & "b"
# (VB): literals joined by an operator are one value. Only literal parts: "Bearer " + token
# stays the scheme alone.
_CONCAT_STARTS = frozenset(" \t+.&\\\"'")
# A literal repeated (Python's and Ruby's "0" * 32): what tests write for a fake of a length.
_REPEAT_RE = _lazy("_REPEAT_RE", r"[ \t]*\*[ \t]*(?:\d|[A-Za-z_(])")
_CONCAT_OP_RE = _lazy("_CONCAT_OP_RE", r"[ \t]*(?:\+|\.\.|\.|&)\s{0,64}(?=[\"'])")
# No operator: C, Python, Go (in parentheses) and SQL join adjacent literals, also across a
# backslash-newline (#define K "a" \ "b"); a shell joins only glued pieces ('ab'"cd").
_ADJACENT_RE = _lazy("_ADJACENT_RE", r"(?:[ \t]*\\?\r?\n)?[ \t]*(?=[\"'])")
_CONCAT_PARTS = 8


def _concatenated_literals(
    text: str, at: int, value: _Value, first: str, adjacent: bool = True
) -> None:
    parts = [first]
    for _ in range(_CONCAT_PARTS):
        if text.startswith(("\\'", '\\"'), at):
            # A shell word 'it'\''s': an escaped quote glued between quoted pieces.
            parts.append(text[at + 1])
            value.end, at = at + 2, at + 2
            continue
        op = _CONCAT_OP_RE.match(text, at)
        if op is None and text[at : at + 1] in "\"'":
            op = _ADJACENT_RE.match(text, at)  # glued: one shell word, one Python string
        elif op is None and adjacent:
            op = _ADJACENT_RE.match(text, at)
        if op is None or op.end() >= len(text):
            break
        quote = text[op.end()]
        if text.startswith(quote * 3, op.end()):
            break
        nxt = _quoted_res()[quote].match(text, op.end())
        if nxt is None:
            break
        parts.append(nxt.group(1))
        value.end, at = nxt.end(1), nxt.end()
    if _REPEAT_RE.match(text, at) is not None:
        value.content = ""  # "dapi" + "0" * 32, "x" * 40: a fill pattern a test builds
    elif len(parts) > 1:
        value.content = "".join(parts)


def _triple_quoted(text: str, vpos: int, ch: str) -> _Value | None:
    """A triple-quoted value (Python, TOML, Java/C# text blocks): its content, stripped."""
    close = text.find(ch * 3, vpos + 3, vpos + 3 + _TRIPLE_SPAN)
    if close < 0:
        return None
    start, end = vpos + 3, close
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return _Value(start, end, True, True) if end > start else None


def _concatenated(text: str, vpos: int) -> _Value | None:
    """``("part one"\n "part two")``: adjacent literals in parentheses are one string."""
    m = _CONCAT_RE.match(text, vpos)
    if m is None:
        return None
    parts = _QUOTED_PART_RE.findall(m.group(1))
    value = _Value(m.start(1), m.end(1), True, True)
    value.content = "".join(a or b for a, b in parts)
    return value


# A line that starts a new entry (YAML "key:", properties "key="): it ends a block scalar or
# continued value. Real secret blocks (key bodies, tokens) never hold one, and stopping there
# keeps a text of nested heads from making each head read the lines of all the others.
_KEY_LINE_RE = _lazy("_KEY_LINE_RE", r"[\w.\-\"']{1,128}[ \t]*(?:[=:](?:[ \t]|\r?\n|\Z)|=)")


def _starts_entry(line: str) -> bool:
    """``key: …`` or ``key=…`` begins the line; a generated run before an ``=`` is no key
    ("dnkey-<26 random>-<…>=8_6…" is a token holding base64 padding)."""
    m = _KEY_LINE_RE.match(line)
    if m is None:
        return False
    name = line[: m.end()].rstrip(" \t=:")
    return not _looks_random(name, min_len=20)


_CONTINUATION_RE = _lazy("_CONTINUATION_RE", r"\\\r?\n[ \t]*")
_QUOTED_PART_RE = _lazy("_QUOTED_PART_RE", r"\"([^\"]*)\"|'([^']*)'")
_MAX_CONTINUED = 32


def _continued_lines(text: str, end: int) -> int:
    """Java properties: a line ending in a backslash continues on the next line."""
    for _ in range(_MAX_CONTINUED):
        if end == 0 or text[end - 1] != "\\":
            break
        nl = text.find("\n", end)
        if nl < 0:
            break
        nxt = _REST_RE.match(text, nl + 1)
        assert nxt is not None
        line = nxt.group().rstrip()
        if not line.strip() or _KEY_LINE_RE.match(line.lstrip()) is not None:
            break  # a new "key=" line: the value (or a hostile run of heads) ends here
        end = nl + 1 + len(line)
    return end


# ---------------------------------------------------------------------------------------------
# Value classification: placeholders, code, prose and public material are not secrets.
# ---------------------------------------------------------------------------------------------
_PLACEHOLDER_WORDS = frozenset(
    {
        "", "none", "null", "nil", "undefined", "true", "false", "yes", "no", "on", "off",
        "password", "passwd", "pass", "pwd", "secret", "secrets", "token", "key", "apikey",
        "api_key", "api-key", "changeme", "change_me", "change-me", "example", "dummy", "test",
        "testing", "debug", "default", "required", "optional", "empty", "blank", "string", "str",
        "int", "bool", "bytes", "any", "object", "number", "bearer", "basic", "digest", "bot",
        "inherit", "hidden", "masked", "mask", "unset", "tbd", "todo", "n/a", "na", "redacted",
        "placeholder", "sample", "foo", "bar", "baz", "foobar", "secret_key", "access_token",
        "auth_token", "mypassword", "my_password", "yourpassword", "your_password",
        "str | none", "optional[str]", "string?", "char", "text", "your",
        # switches (token_auth: enabled) and types of secret-holding fields (secret: Buffer;)
        "enabled", "disabled", "enable", "disable", "buffer", "uint8array", "arraybuffer",
        "bytearray", "secretstr", "secretstring", "securestring", "secretbytes", "cryptokey",
        "keyobject", "blob", "byte[]", "char[]", "[]byte", "secret<string>",
        "fixme", "tba", "xxx", "username", "user", "host", "hostname", "port", "database",
        "dbname", "url", "uri", "dsn", "email", "value", "data", "tls.key", "tls.crt", "ca.crt",
        "wrong", "invalid", "incorrect", "bogus", "keyboard cat", "data+omitted", "omitted",
        "supersecret", "topsecret",  # kubectl's and other tools' help examples
        # permission levels (GitHub Actions' `id-token: write`, a token's scope)
        "read", "write", "read-all", "write-all", "read-only", "readonly", "read-write",
        # the word "password" in the languages of a login form's translations
        # ("login.password": "Passwort" in an i18n file names the field, it is not one)
        "passwort", "kennwort", "contraseña", "contrasena", "mot de passe", "senha", "parola",
        "wachtwoord", "lösenord", "losenord", "hasło", "haslo", "heslo", "salasana",
        "adgangskode", "passord", "jelszó", "jelszo", "parolă", "пароль", "パスワード", "密码",
        "密碼", "비밀번호", "şifre", "sifre", "κωδικός", "סיסמה", "كلمة المرور", "mật khẩu",
        "kata sandi", "รหัสผ่าน",
    }
)  # fmt: skip
_PLACEHOLDER_RE = _lazy(
    "_PLACEHOLDER_RE",
    r"""^(?:
        [xX*.\-_#•?~=]+                       # xxx, ****, ..., ---
      | <[^<>]*>                              # <your-key>
      | \$[A-Za-z_]\w*                        # $DB_PASSWORD
      | \$\{[^}]*\}?                          # ${DB_PASSWORD}
      | \#\{[^}]*\}?                          # #{access_token} (Ruby, CoffeeScript)
      | \$\(.*\)?                             # $(cat secret)
      | %(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*|(?:[A-Z][a-z]+)+)%   # %PASSWORD% (Windows)
      | %(?:[A-Za-z_][\w\-]*(?:\.[\w\-]+)+|vault:[^%\s]+)%   # TeamCity: %env.TOKEN%, %vault:kv!/x%
      | \{[\w.\s\-]*\}                        # {password}, {0}
      | [A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+         # YOUR_API_KEY, DB_PASSWORD
      | %(?:\([\w]+\))?[sdr]                  # %s, %(password)s
      | \#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})[};]*   # a CSS colour (#8a2be2)
    )$""",
    re.X,
)
_PLACEHOLDER_SUB_RE = _lazy(
    "_PLACEHOLDER_SUB_RE",
    r"\[REDACTED|0{8}|<[A-Za-z][\w\s\-]{2,39}>|your[_\-\s]?(?:api|secret|key|token|pass|own|real)"
    r"|example|changeme|change[_-]me|placeholder|dummy|redacted|replace[_-]?(?:me|with|this)"
    r"|insert[_-]|xxxx|\*\*\*|\.\.\.|process\.env|os\.environ|getenv|secrets\.|\bENV\["
    r"|your[_\-\s]|[_\-]here\b|fake|123456789|abcdefgh"
    # references to a secret store, not the secret: vault paths, ARNs, 1Password, sops tags
    r"|^(?:vault:|arn:aws:|op://|!vault|azurekeyvault://|gcp-secret://|@Microsoft\.KeyVault\("
    # TeamCity's stored-secret tokens (password("env.X", "credentialsJSON:<uuid>")), a secret's
    # id in AWS Secrets Manager (secretsmanager:prod/ci/token-AbC123)
    r"|credentialsJSON:|secretsmanager:|secrets-manager:"
    # a program or file that holds it, an environment variable (Apache, OpenSSL, rclone)
    r"|exec:[/.~]|file:[/.~]|env:[A-Za-z_])",
    re.I,
)
_PUBLIC_PREFIX_RE = _lazy(
    "_PUBLIC_PREFIX_RE",
    r"^(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-|sk-ssh-|-----BEGIN (?:PUBLIC KEY|CERTIFICATE|"
    r"RSA PUBLIC KEY|PGP PUBLIC)|sha(?:1|224|256|384|512)[-:=]|md5[-:]|data:|blake2b?[-:])",
)
_PATH_OR_URL_RE = _lazy(
    "_PATH_OR_URL_RE", r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://|urn:|/|\./|\.\./|~/|[A-Za-z]:\\)"
)
# Code that computes a value: calls, indexing, env lookups. Checked for every unquoted value.
_HARD_CODE_RE = _lazy(
    "_HARD_CODE_RE",
    r"^(?:[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*[ \t]*[(\[]"
    r"|(?:os|process|ENV|env|System)\.)",
)
# Code-looking values that are plain literals in env and YAML files.
_SOFT_CODE_RE = _lazy(
    "_SOFT_CODE_RE",
    r"^(?:(?:await|new|lambda|function|yield|not|require|import|typeof|this|self)\b"
    r"|[(\[{<&*!@]"
    r"|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$"
    r"|[A-Za-z_$][\w$.]*[ \t]+(?:\|\||\?\?|&&|or|and|if|\+|-|\*|/|%|\?|:|=)(?:[ \t]|$))",
)
_IDENTIFIER_RE = _lazy("_IDENTIFIER_RE", r"[A-Za-z_$][\w$]*")
_DOTTED_RE = _lazy("_DOTTED_RE", r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")
_NUMBER_RE = _lazy("_NUMBER_RE", r"[-+]?\d+(?:\.\d+)?")
_WORDY_PIECE_RE = _lazy("_WORDY_PIECE_RE", r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_HEX_RE = _lazy("_HEX_RE", r"[0-9a-fA-F]+")
_SECRET_WORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "token", "key", "auth", "credential",
     "credentials", "apikey", "access"}
)  # fmt: skip


# Template expressions: what they stand for is filled in elsewhere.
_TEMPLATE_RE = _lazy(
    "_TEMPLATE_RE",
    r"\$\{[^}\n]{0,256}\}|\{\{.{0,256}?\}\}|\{%.{0,256}?%\}|<%.{0,256}?%>|#\{[^}\n]{0,256}\}"
    r"|\$\([^)\n]{0,256}\)|@@?[A-Za-z_][\w.\-]{0,128}@@?"
    r"|%(?:[A-Z_][A-Z0-9_]{0,128}|[a-z_][a-z0-9_]{0,128}|(?:[A-Z][a-z]{1,32}){1,8})%"
    r"|%env\([\w:.\-]{1,128}\)%"  # Symfony's environment processors
    # Razor: clientSecret: "@Model.ClientSecret" (the page renders the model's value)
    r"|@(?:Model|ViewBag|ViewData|TempData|Configuration|Config|Settings|Options)\b[\w.]{0,128}"
    r"|\$[A-Za-z_]\w{0,128}|\$\{\{|\{\{|\$\{",
)
# [FILTERED], [MASKED], (hidden), ***REMOVED***, *SENSITIVE*DATA*DELETED* (Windows Setup),
# <redacted>, ENC[...] (sops)
_MASK_RE = _lazy(
    "_MASK_RE",
    r"^(?:\[[A-Za-z _\-]{1,32}\]?|\([A-Za-z _\-]{1,32}\)"
    r"|\*+[A-Za-z _\-]*(?:\*[A-Za-z _\-]+){0,4}\*+|ENC\[.*\]"
    r"|<[^<>]{0,64}>)$",
)


# ENV[, getenv( : an unquoted expression cut at the quote of its argument. A quoted value is
# whole, so a password ending in "(" or "[" is not one.
_CUT_EXPR_RE = _lazy("_CUT_EXPR_RE", r"[A-Za-z_$][\w$.]*[\[(]")


_INNERMOST_TEMPLATE_RE = _lazy("_INNERMOST_TEMPLATE_RE", r"\$\{[^${}]*\}")
# A template inside another: "${A:${B}}", "${ssm:/x/${stage}/y}", "{{resolve:…${stage}…}}".
_NESTED_TEMPLATE_RE = _lazy("_NESTED_TEMPLATE_RE", r"(?:\$\{|\{\{)[^}]*\$\{")


def _is_placeholder(value: str, quoted: bool = False) -> bool:
    v = value.strip().strip("\"'\\")
    if _NESTED_TEMPLATE_RE.search(v) is not None:
        # ${FLYWAY_PASSWORD:${DB_PASSWORD}}, ${ssm:/app/${stage}/db/password}: the inner
        # templates first, then the outer one is judged.
        collapsed = _INNERMOST_TEMPLATE_RE.sub("_", v)
        if collapsed != v:
            return _is_placeholder(collapsed, quoted)
    low = v.lower()
    if low in _PLACEHOLDER_WORDS or _MASK_RE.match(v):
        return True
    if _PLACEHOLDER_RE.match(v) and not _braced_random(v):
        return True
    if not quoted and _CUT_EXPR_RE.fullmatch(v) is not None:
        return True
    if _PLACEHOLDER_SUB_RE.search(v) is not None:
        return True
    core = [c for c in v if c.isalnum()]
    if len(core) >= 12 and len(set(core)) < 5:
        return True  # a fill pattern: 0000…, abab…
    if _TEMPLATE_RE.search(v) is None or _malformed_template(v):
        return False
    # "NFEq${x}iwJ9" keeps a secret around the template; "${USER}:${PASS}" does not.
    rest = _TEMPLATE_RE.sub("", v)
    rest_core = "".join(c for c in rest if c.isalnum())
    kinds = any(c.islower() for c in rest_core) + any(c.isupper() for c in rest_core)
    kinds += any(c.isdigit() for c in rest_core)
    return len(rest_core) < 6 or _is_wordy(rest_core) or kinds < 2


_TEMPLATE_DELIMS = (
    ("${{", "}}"),
    ("{{", "}}"),
    ("{%", "%}"),
    ("<%", "%>"),
    ("#{", "}"),
    ("${", "}"),
    ("$(", ")"),
)
_CLOSERS = {")": "(", "]": "["}
# What may follow a template opener the value was cut after ("{{ vault_pw", "${DB_").
_OPEN_TAIL_RE = _lazy("_OPEN_TAIL_RE", r"[\w\s.\-|'\"():,\[\]]*")


_ALL_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _unclosed(text: str, closers: dict[str, str]) -> int | None:
    """How many brackets ``text`` leaves open, or None when one closes out of order."""
    stack: list[str] = []
    for c in text:
        if c in closers and (not stack or stack.pop() != closers[c]):
            return None
        if c in "([{" and c in closers.values():
            stack.append(c)
    return len(stack)


def _nests(value: str) -> bool:
    """Whether every closing bracket of ``value`` closes the last one opened, as in code."""
    return _unclosed(value, _ALL_CLOSERS) is not None


def _balanced(inner: str, *, cut: bool = False) -> bool:
    """Brackets close in order; ``cut``: the text may end before they close (a value cut
    at a quote inside the expression: "{{ vault(")."""
    left = _unclosed(inner, _CLOSERS)
    return left is not None and (cut or left == 0)


def _malformed_template(v: str) -> bool:
    """A template opener no engine would parse: "{{h}o)p${e]nob(ody[finds>-_$#thisone}}"
    (detect-secrets' test password) has braces inside and brackets that never close. Such a
    value is a literal with template-like characters in it, not a reference to fill in."""
    for match in _TEMPLATE_RE.finditer(v):
        text = match.group()
        for opener, closer in _TEMPLATE_DELIMS:
            if not text.startswith(opener):
                continue
            if text == opener:  # cut after the opener: the rest must read as an expression
                tail = v[match.end() :]
                if _OPEN_TAIL_RE.fullmatch(tail) is None or not _balanced(tail, cut=True):
                    return True
            else:
                inner = text[len(opener) : len(text) - len(closer)]
                if "{" in inner or "}" in inner or not _balanced(inner):
                    return True
            break
    return False


def _braced_random(v: str) -> bool:
    """``{ZqL5kVrX1n8tA2}``: a generated value in braces, not a ``{password}`` or ``{0}``."""
    return v.startswith("{") and v.endswith("}") and _looks_random(v[1:-1], min_len=12)


def _is_prose(value: str) -> bool:
    """Several ordinary words: a label or a sentence, not a credential."""
    words = value.split()
    if len(words) < 2:
        return False
    plain = sum(1 for w in words if w.strip(".,!?:;'\"()").isalpha())
    return plain / len(words) >= 0.6


def _is_wordy(value: str) -> bool:
    """An identifier-like run of words (``my-app-prod-key``), not random characters."""
    pieces = _WORDY_PIECE_RE.findall(value)
    letters = [p for p in pieces if not p.isdigit()]
    if not letters:
        return False
    digit_runs = len(pieces) - len(letters)
    mean = sum(len(p) for p in letters) / len(letters)
    return mean >= 3.5 and digit_runs <= 2


_TOKEN_CHARS_RE = _lazy("_TOKEN_CHARS_RE", r"[A-Za-z0-9+/=_\-.~%]+")
_ALNUM_RUN_RE = _lazy("_ALNUM_RUN_RE", r"[A-Za-z0-9]+")


def _longest_alnum_run(value: str) -> int:
    return max((len(r) for r in _ALNUM_RUN_RE.findall(value)), default=0)


def _entropy(value: str) -> float:
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _looks_random(value: str, min_len: int = 16) -> bool:
    """A high-entropy token: what generated keys look like, and identifiers do not."""
    if len(value) < min_len or any(c.isspace() for c in value):
        return False
    if _UUID_RE.fullmatch(value) or _PUBLIC_PREFIX_RE.match(value):
        return False
    classes = (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
    )
    if classes < 2 or _is_wordy(value) or _PATH_OR_URL_RE.match(value):
        return False
    # Generated keys use token alphabets (base64, hex, url-safe) and have long unbroken runs;
    # regexes, escapes and dotted config names do not.
    if not _TOKEN_CHARS_RE.fullmatch(value) or _longest_alnum_run(value) < 8:
        return False
    return _entropy(value) >= 3.0


# A regular expression (a character class then a quantifier, a non-capturing group): the
# pattern of a secret (cl_pw = r'([0-9a-f]{64})' in a scanner), never a chosen password.
_REGEX_SHAPE_RE = _lazy("_REGEX_SHAPE_RE", r"\[[^\]\s]{1,64}\][{*+?]|\(\?[:=!<]")


def _value_is_secret(value: str, ctx: _Value, strength: int, name: str = "") -> bool:
    v = value.strip()
    if not v or MARKER_PREFIX in v or _is_placeholder(v, ctx.quoted) or _names_a_secret(v):
        return False
    if _fake_phrase(v) or _VERSION_SPEC_RE.fullmatch(v) or _FLOW_MAPPING_RE.fullmatch(v):
        return False  # a fixture's fake, a dependency's version range, a schema {type: x}
    if _PASSWORD_HASH_RE.fullmatch(v) or _CIPHERTEXT_RE.match(v):
        return False  # a crypt/LDAP/Postgres hash or an encrypted block: what is stored instead
    if _PUBLISHABLE_RE.fullmatch(v) or _ETH_ADDRESS_RE.fullmatch(v):
        return False  # a key made to be public (Stripe's pk_live_, Mapbox's pk.), an address
    if v.startswith("eyJ") and _public_jwt(v):
        return False  # Supabase's anon key
    if v.isalpha() and len(v) <= 24 and not _mixed_case_word(v) and _last_word(name) == "token":
        return False  # a word ("token": "shipped" in NLP data): no token is one
    if v.startswith("{") and _embedded_object(v):
        return False  # a JSON object in a string: its members are judged by their own names
    if _DECLARATION_VALUE_RE.fullmatch(v):
        return False  # `24 bytes` (kubectl describe), `String!` (GraphQL), rule lists
    if _REGEX_SHAPE_RE.search(v) is not None:
        return False
    if _vendor_lookalike(v):
        return False
    if _PUBLIC_PREFIX_RE.match(v) or (_PATH_OR_URL_RE.match(v) and not _slash_led_token(v)):
        return False
    if not ctx.quoted and not _unquoted_is_literal(v, ctx.literal, ctx.loose):
        return False
    if ctx.comment and not _password_shaped(v):
        return False
    if ctx.quoted and ctx.loose and _IDENTIFIER_RE.fullmatch(v) and not _looks_random(v):
        return False
    if _NUMBER_RE.fullmatch(v) and len(v) < 6:
        return False
    if _is_prose(v) and not (
        (ctx.quoted or (ctx.literal and _bare_passphrase(v))) and _is_passphrase(v, name)
    ):
        return False
    if strength == _KEYISH:
        # A weak name ("key", "salt") needs a random-looking value, and not a hex
        # digest (git ids, md5/sha checksums are what such names usually hold).
        if ctx.quoted and _generated_string(v):
            return True  # wp-config's salts: NONCE_KEY, AUTH_SALT
        pair = _USER_PASS_RE.fullmatch(v)
        if pair is not None and _four_kinds(pair.group(1)):
            return True  # npmAuthIdent: "user:password", auth: admin:pw
        # A cache key ("node-modules-Linux-<sha256 of the lockfile>") is words then a digest;
        # an object key ("builds/<uuid>/bundle.tar.zst") a relative path to a file.
        return (
            _looks_random(v)
            and (not _HEX_RE.fullmatch(v) or _vendor_key_variable(name, v))
            and not _NAMED_DIGEST_RE.fullmatch(v)
            and not _FILE_PATH_RE.fullmatch(v)
        )
    return len(v) >= 4


# An environment variable named for a service's key (KAGGLE_KEY, OPENWEATHER_KEY): what it
# holds is that service's API key, often 32 or 40 hex digits; a digest would be named for what
# it digests (…_SHA, …_HASH, CACHE_KEY: those names are never key-ish).
# (Lowercase hex only: an OpenPGP fingerprint, Docker images' ENV GPG_KEY 7169605F…, is
# printed in capitals.)
_VENDOR_KEY_VAR_RE = _lazy("_VENDOR_KEY_VAR_RE", r"(?!GPG_|PGP_)[A-Z][A-Z0-9]{2,31}_(?:API_)?KEY")


def _vendor_key_variable(name: str, value: str) -> bool:
    return (
        len(value) in (32, 40)
        and value.islower()
        and _VENDOR_KEY_VAR_RE.fullmatch(name) is not None
    )


# Password hashes (crypt(3)'s $id$, LDAP's {SCHEME}, Postgres md5/SCRAM, Django's
# algorithm$iterations$salt$hash): one-way, made to be stored where the password is not.
_PASSWORD_HASH_RE = _lazy(
    "_PASSWORD_HASH_RE",
    r"\$(?:1|2[abxy]?|5|6|y|gy|7|sha1|md5|apr1|argon2(?:id|i|d)|scrypt|pbkdf2[\w-]*)\$[\w./$=,+:-]{8,}"
    r"|\{(?:S?SHA(?:256|384|512)?|S?MD5|CRYPT|PBKDF2[\w-]*|ARGON2|BCRYPT)\}[\w./+=$-]{8,}"
    r"|md5[0-9a-f]{32}|SCRAM-SHA-256\$\d+:[\w+/=]+\$[\w+/=]+:[\w+/=]+"
    r"|(?:pbkdf2_sha(?:1|256)|argon2|bcrypt(?:_sha256)?|scrypt)\$[\w./$=+-]{16,}",
)
# Blocks that are ciphertext: PGP messages, age files, ansible-vault payloads, KMS blobs (SOPS's
# ENC[…] is a placeholder already, _MASK_RE).
_CIPHERTEXT_RE = _lazy(
    "_CIPHERTEXT_RE",
    r"-----BEGIN (?:PGP MESSAGE|AGE ENCRYPTED FILE|ENCRYPTED MESSAGE)|\$ANSIBLE_VAULT;"
    # an OpenPGP message's packets in base64 without the armour (a public-key encrypted session
    # key packet first: Renovate's encrypted hostRules), and an AWS KMS ciphertext blob (its
    # version and key-id header: "AQICAH…", what `aws kms encrypt` prints)
    r"|(?:wcFMA|wcBMA|hQEMA|hQIMA|hQGMA|AQI[BCD]AH)[A-Za-z0-9+/]{94,}={0,2}\Z"
    # Jenkins' encrypted secrets ("{AQAAABAAAAA…}": version 1, a 16-byte IV, then the data),
    # what its config.xml and Secret.fromString take: only the controller's master key opens them
    r"|\{AQAAABAAAA[A-Za-z0-9+/]{16,}={0,2}\}\Z"
    # Windows DPAPI blobs (version 1 and the provider's GUID df9d8cd0-…, in base64 or hex; .rdp
    # files write it after "51:b:"): NuGet.Config's Password, publish profiles'
    # EncryptedPassword, Remote Desktop's password. Only that user on that machine opens them.
    r"|AQAAANCMnd8BFdERjHoAwE/Cl\+s[A-Za-z0-9+/]{20,}={0,2}\Z"
    r"|(?:\d{1,3}:b:)?(?i:01000000d08c9ddf0115d1118c7a00c04fc297eb)[0-9A-Fa-f]{16,}\Z"
    # IIS's encrypted attributes (applicationHost.config: [enc:IISWASOnlyCngProvider:…:enc]) and
    # Spring Cloud Config's {cipher}… (decrypted by the config server's key).
    r"|\[enc:[\w.\-]{1,64}:[A-Za-z0-9+/=]{16,}:enc\]\Z"
    r"|\{cipher\}(?:\{[\w:.\-]{1,128}\})*[A-Za-z0-9+/=]{16,}\Z",
)
_NAMED_DIGEST_RE = _lazy("_NAMED_DIGEST_RE", r"(?:[A-Za-z][A-Za-z0-9.]*[-_])+[0-9a-f]{32,128}")
# A relative path whose last part has a file extension: no key alphabet has both "/" and "."
# (base64 has no ".", base64url and JWTs no "/").
_FILE_PATH_RE = _lazy(
    "_FILE_PATH_RE", r"(?:[\w\-]{1,128}/){1,32}[\w\-.]{0,128}\.[A-Za-z][A-Za-z0-9]{0,7}"
)
# An account's address (Ethereum's 20 bytes in hex, EIP-55 mixed case or not): public.
_ETH_ADDRESS_RE = _lazy("_ETH_ADDRESS_RE", r"0x[0-9a-fA-F]{40}")


def _mixed_case_word(v: str) -> bool:
    """``xQmRtz``: capitals inside a word, as generated runs have (not Acme, shipped, API)."""
    return not (v.islower() or v.isupper() or v.istitle())


def _last_word(name: str) -> str:
    words = _NAME_SPLIT_RE.findall(name)
    return words[-1].lower() if words else ""


# Keys their vendor makes to be shipped in web pages and apps: Stripe's publishable keys, Mapbox's
# public access tokens (pk.<base64 JSON>.<signature>; the secret ones are sk.), Datadog's client
# tokens ("pub" and 32 hex digits: the browser SDKs' and RUM's, sent as ?dd-api-key= from every
# page; API and application keys have no prefix); PostHog's project keys (phc_; the personal
# ones, phx_, are secret); RevenueCat's public SDK keys (appl_, goog_, amzn_, strp_, rcb_; the
# secret ones are sk_); Supabase's publishable keys (sb_publishable_; the secret ones
# sb_secret_); Paddle's client-side tokens (live_/test_ and 27 hex digits) and Adyen's client
# keys (live_/test_ and 32 capitals and digits), both made for Paddle.js and Adyen's Drop-in.
_PUBLISHABLE_RE = _lazy(
    "_PUBLISHABLE_RE",
    r"pk_(?:live|test)_[A-Za-z0-9]{8,255}|pk\.eyJ[A-Za-z0-9_\-]{10,1024}\.[A-Za-z0-9_\-]{10,256}"
    r"|pub[0-9a-f]{32}|phc_[A-Za-z0-9]{30,64}|(?:appl|goog|amzn|strp|rcb)_[A-Za-z0-9]{20,40}"
    r"|sb_publishable_[A-Za-z0-9_\-]{16,128}|(?:live|test)_(?:[0-9a-f]{27}|[A-Z0-9]{32})",
)
# Maven's encrypted passwords (settings.xml's <password>{…}</password>, made by mvn
# --encrypt-password): base64 in braces, Maven 4's with its cipher's attributes first. Only as
# an XML element's content: a generated password could be written in braces elsewhere.
_MAVEN_ENCRYPTED_RE = _lazy(
    "_MAVEN_ENCRYPTED_RE",
    r"\{(?:\[[\w=,./ \-]{1,256}\])?(?:[A-Za-z0-9+/]{4}){5,256}"
    r"(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\}",
)
# A JSON object held in a string ("{\"value\": \"…\", \"salt\": \"…\"}", Keycloak's
# secretData/credentialData): its member names and string values.
_EMBEDDED_MEMBER_RE = _lazy(
    "_EMBEDDED_MEMBER_RE",
    r'(\\{0,3})"([\w.\-]{1,64})\1"[ \t]*:[ \t]*(?:\1"((?:[^"\\\n]|\\[^"\n]){0,4096})\1")?',
)
_EMBEDDED_OPEN_RE = _lazy("_EMBEDDED_OPEN_RE", r'\{\s*\\{0,3}"')
# The members of a password hash record beside its salt.
_HASHED_NAMES = frozenset({"value", "hash", "hashedpassword", "passwordhash", "password_hash"})


def _embedded_object(v: str) -> bool:
    """A JSON object written into a string value that holds no secret of its own: a password
    hash record (Keycloak's ``{"value": "<hash>", "salt": "<salt>"}``), or parameters (its
    ``{"hashIterations": 27500, "algorithm": "pbkdf2-sha256"}``): no member named to hold a
    value or a secret, none that looks generated or chosen. An object with such a member (an
    OTP seed, ``{"value": "JBSWY3DPEHPK3PXP"}``) is still one secret."""
    if not v.endswith("}") or _EMBEDDED_OPEN_RE.match(v) is None:
        return False
    members = _EMBEDDED_MEMBER_RE.findall(v, 1)
    if not members:
        return False
    names = {name.lower() for _, name, _ in members}
    if "salt" in names and names & _HASHED_NAMES:
        return True  # one-way: what is stored instead of the password
    return not any(value and _member_may_be_secret(name, value) for _, name, value in members)


def _member_may_be_secret(name: str, value: str) -> bool:
    if name.lower() in _HASHED_NAMES or name.lower() == "data" or _name_strength(name):
        return not _is_placeholder(value, True)  # {"value": "JBSWY3DPEHPK3PXP"}: an OTP seed
    return _looks_random(value) or _password_shaped(value) or _four_kinds(value)


# A dependency's version or range (package.json's "@octokit/auth-token": "^2.12.7").
_VERSION_SPEC_RE = _lazy(
    "_VERSION_SPEC_RE",
    r"(?:npm:|workspace:)?(?:(?:[~^]|[<>]=?|=)\s*v?\d+(?:\.(?:\d+|[xX*])){0,3}"
    r"|v?\d+(?:\.(?:\d+|[xX*])){1,3})(?:-[\w.]{1,20})?(?:\+[\w.]{1,20})?",
)
# What describes a value instead of being one: kubectl describe's sizes ("24 bytes"), a
# GraphQL or TypeScript type ("String!", "string?"), a Laravel validation rule list
# ("required|string|min:12|confirmed"), an angle-bracket placeholder cut at a space
# ("<generate").
_DECLARATION_VALUE_RE = _lazy(
    "_DECLARATION_VALUE_RE",
    r"\d+ bytes|[A-Z][A-Za-z]*[!?]|\[[A-Z][A-Za-z]*!?\]!?"
    r"|[a-z_]+(?::[\w,.]+)?(?:\|[a-z_]+(?::[\w,.]+)?)+|<[A-Za-z][\w-]*:?"
    r"|\{:?\w+,\s*[\"'][A-Z][A-Z0-9_]*[\"']\}"  # Elixir's {:system, "SENDGRID_API_KEY"}
    # ASP.NET's machineKey: validationKey="AutoGenerate,IsolateApps" (the runtime makes the key)
    r"|AutoGenerate(?:,Isolate(?:Apps|ByAppId))*",
)
# A YAML/JSON flow mapping of a schema or an options list: {type: string}, {format: x}.
_FLOW_MAPPING_RE = _lazy("_FLOW_MAPPING_RE", r"\{\s*[A-Za-z_][\w-]*\s*:\s*[^{}]*\}")
# "user:password" glued into one value under an auth-ish name.
_USER_PASS_RE = _lazy("_USER_PASS_RE", r"[\w.@\-]{1,64}:([^\s:/]{8,256})")


def _four_kinds(v: str) -> bool:
    """Lower and upper case, digits and symbols: a chosen password ("MapleGranite28%"), not
    an identifier ("Ipv4IpamPoolId") nor a file name ("secp384r1.pem")."""
    return (
        any(c.islower() for c in v)
        and any(c.isupper() for c in v)
        and any(c.isdigit() for c in v)
        and any(not c.isalnum() for c in v)
    )


def _slash_led_token(v: str) -> bool:
    """Base64 that happens to start with "/" (an AWS secret key): dense, few slashes."""
    return v.startswith("/") and v.count("/") <= 3 and _dense_random(v)


def _generated_string(v: str) -> bool:
    """A long string drawn from a wide alphabet, spaces and punctuation included (WordPress
    salts, some generated keys): every kind of character, high entropy, few spaces."""
    if len(v) < 32 or v.count(" ") * 8 > len(v):
        return False
    kinds = (
        any(c.islower() for c in v)
        + any(c.isupper() for c in v)
        + any(c.isdigit() for c in v)
        + any(not c.isalnum() and not c.isspace() for c in v)
    )
    return kinds == 4 and _entropy(v) >= 4.8 and _SAME_CASE_RUN_RE.search(v) is None


# Seven letters of one case in a row: a word or constant ("PLATFORM", "irectories"), which a
# string drawn from ~90 characters has with a chance of about 1 in 50.
_SAME_CASE_RUN_RE = _lazy("_SAME_CASE_RUN_RE", r"[A-Z]{7}|[a-z]{7}")


_PASSWORD_NAME_RE = _lazy("_PASSWORD_NAME_RE", r"pass|pwd", re.I)
# Words of a form label or a message about a password, never of a passphrase.
_LABEL_WORDS = frozenset(
    {
        "enter", "your", "please", "must", "invalid", "incorrect", "wrong", "required", "the",
        "is", "are", "be", "for", "of", "to", "an", "field", "confirm", "new", "current", "reset",
        "forgot", "password", "passwords", "not", "do", "does", "match", "at", "least",
        "characters", "type", "here", "with", "and", "or", "this", "that", "you", "too",
        "short", "long", "weak", "strong", "change", "set", "update", "old", "repeat", "show",
        "a", "secret", "my",
    }
)  # fmt: skip


# Unquoted, a passphrase is still a literal where the syntax makes values strings (INI, YAML):
# four to six lowercase words (and a number), none of them a word of code or of a note about
# where the value is ("see ops team wiki").
_DICEWARE_RE = _lazy("_DICEWARE_RE", r"[a-z]{3,12}(?: [a-z]{3,12}){3,5}(?: [0-9]{1,6})?")
_NOTE_WORDS = frozenset(
    {"see", "ask", "use", "get", "set", "via", "stored", "vault", "team", "admin", "file", "env",
     "environment", "manager", "value", "same", "above", "below", "docs", "wiki", "page", "read",
     "keychain", "keyring", "prompt", "prompted", "generated", "random", "later", "runtime"}
)  # fmt: skip


def _bare_passphrase(v: str) -> bool:
    return _DICEWARE_RE.fullmatch(v) is not None and not any(w in _NOTE_WORDS for w in v.split())


_CODE_WORDS = frozenset(
    {"and", "not", "for", "else", "await", "lambda", "yield", "new", "return", "from", "import",
     "then", "elif", "unless", "when", "case", "with", "async", "def", "let", "var", "const"}
)  # fmt: skip


def _is_passphrase(value: str, name: str) -> bool:
    """A quoted multi-word value under a password name: a passphrase, unless it is a label."""
    words = value.lower().split()
    if not _PASSWORD_NAME_RE.search(name) or not 2 <= len(words) <= 6:
        return False
    return not any(w.strip(".,!?:;'\"()") in _LABEL_WORDS or w in _CODE_WORDS for w in words)


# A symbol no identifier, path or version holds (they have "-", "_", ".", "/", ":").
_PASSWORD_SYMBOL_RE = _lazy("_PASSWORD_SYMBOL_RE", r"[!#$%&*+=?@^~]")


def _password_shaped(value: str) -> bool:
    """A single word that mixes character kinds the way chosen passwords do (not a word)."""
    if len(value) < 8 or any(c.isspace() for c in value):
        return False
    if _is_wordy(value) and not (_four_kinds(value) and _PASSWORD_SYMBOL_RE.search(value)):
        return False  # (but "Hjplqk&TN%4fma" is no identifier: every kind, and "&" "%")
    kinds = (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )
    return kinds >= 3 or (kinds == 2 and _entropy(value) >= 3.0)


_YAML_SYNTAX_RE = _lazy("_YAML_SYNTAX_RE", r"[!&*][A-Za-z_][\w.\-]*(?:[ \t].*)?")


def _unquoted_is_literal(value: str, literal_ctx: bool, loose: bool) -> bool:
    if _HARD_CODE_RE.match(value):
        return False
    if _DOTTED_RE.fullmatch(value):
        # win32api.RegOpenKeyEx: an attribute, in code; but no attribute is a generated run
        # (Mapbox "pk.<60 random>.<22>", Harness "sat.<id>.<id>.<secret>"). A part with "_"
        # is a snake or constant name (NID_pbe_WithSHA1And3_Key_TripleDES_CBC), not that run.
        return (literal_ctx and not loose) or any(
            "_" not in part and _looks_random(part, min_len=20) for part in value.split(".")
        )
    if loose and (
        _IDENTIFIER_RE.fullmatch(value) or (_SOFT_CODE_RE.match(value) and _nests(value))
    ):
        # A variable or call in code, unless generated-looking (pwgen's 12+ characters).
        return _looks_random(value, min_len=12)
    if literal_ctx:
        # YAML tags/anchors/aliases (!vault, &pw, *pw) are syntax, not the value; but no anchor
        # is named like a generated run (.env's DB_PASSWORD=*QJrf1_Q-Ddr03zH…: a password).
        return _YAML_SYNTAX_RE.fullmatch(value) is None or _looks_random(value[1:].split()[0])
    # In code an unquoted value is an expression (a variable, a call, an operator) unless it
    # is clearly a random token, or a chosen password no expression could be ("a#b", "x!y":
    # no language here glues "#" or "~" to a letter, or puts "!" between two). Brackets that
    # close out of order ("{{h}o)p${e]…") make no expression either.
    if _SOFT_CODE_RE.match(value) and _nests(value):
        return False
    return _looks_random(value) or (
        _NOT_EXPRESSION_RE.search(value) is not None and _password_shaped(value)
    )


_NOT_EXPRESSION_RE = _lazy(
    "_NOT_EXPRESSION_RE", r"[A-Za-z0-9][#~]|[#~][A-Za-z0-9]|[A-Za-z0-9]![A-Za-z0-9]"
)


_NOT_ALNUM_RE = _lazy("_NOT_ALNUM_RE", r"[^a-z0-9]+")


def _echoes_name(value: str, name: str) -> bool:
    """``SEND_MESSAGE_TOKEN = "send_message"``: a constant spelling (part of) its own name."""
    if len(value) > 3 * len(name):
        return False  # (longer than any spelling of the name: most values, cheaply)
    squashed = _NOT_ALNUM_RE.sub("", value.lower())
    if len(squashed) < 4:
        return False
    if squashed in _NOT_ALNUM_RE.sub("", name.lower()):
        return True
    # "send_initial_metadata * send_message" under ..._AND_SEND_MESSAGE_TOKEN: its words
    words = [w.lower() for w in _NAME_SPLIT_RE.findall(value)]
    return len(words) >= 2 and set(words) <= {w.lower() for w in _NAME_SPLIT_RE.findall(name)}


def _names_a_secret(value: str) -> bool:
    """``'aws_secret_access_key'``, ``"AWSSecretKey"``: the name of a secret, not one. Also a
    secret's name or address in a store: ``db-password:latest`` (GCP Secret Manager),
    ``docker-registry-creds`` (a Jenkins credentials id), ``database/creds/ledger`` (Vault),
    ``jwt.secret`` (a property), ``db-password:/etc/credstore/x`` (systemd)."""
    if _IDENTIFIER_RE.fullmatch(value) and not any(c.isdigit() for c in value):
        return any(t.lower() in _SECRET_WORDS for t in _NAME_SPLIT_RE.findall(value))
    return _names_a_stored_secret(value)


_STORE_ADDRESS_RE = _lazy("_STORE_ADDRESS_RE", r"[A-Za-z][\w.\-/:,=]{2,200}")
_STORE_SEPARATORS_RE = _lazy("_STORE_SEPARATORS_RE", r"[-_./:,=]+")
_STORE_WORDS = frozenset({"creds", "cred", "credstore", "secrets", "keys", "tokens", "passwords"})
# Lowercase words joined by "/" (and "-" or "_" inside a part): the name a secrets backend
# files a value under (Airflow's sql_alchemy_conn_secret = airflow/metadb-conn), not a value.
_STORE_PATH_RE = _lazy(
    "_STORE_PATH_RE", r"[a-z]{2,24}(?:[-_][a-z]{2,24})*(?:/[a-z]{2,24}(?:[-_][a-z]{2,24})*)+"
)


def _names_a_stored_secret(value: str) -> bool:
    v = re.sub(r":(?:latest|\d{1,4})$", "", value)  # secret-manager versions
    if not _STORE_ADDRESS_RE.fullmatch(v) or not any(c in v for c in "-./:,="):
        return False
    parts = [p for p in _STORE_SEPARATORS_RE.split(v) if p]
    if len(parts) < 2 or any(not p.isalpha() or len(p) > 24 for p in parts):
        return False  # a digit or a long run: generated, or a password with a separator
    if _STORE_PATH_RE.fullmatch(v) is not None:
        return True  # airflow/connections/metadb, prod/billing-db: a path of words in a store
    words = {w.lower() for p in parts for w in _NAME_SPLIT_RE.findall(p)}
    return bool(words & (_SECRET_WORDS | _STORE_WORDS))


_PHRASE_SEPARATORS_RE = _lazy("_PHRASE_SEPARATORS_RE", r"[-_\s.]+")
# Values written to look fake: what tests and examples put where a secret goes.
_FAKE_WORDS = frozenset(
    {"test", "testing", "fake", "dummy", "invalid", "wrong", "bad", "bogus", "stub", "mock",
     "example", "sample", "placeholder", "incorrect", "not", "random", "your", "some",
     "changeme", "replace", "here", "insert", "todo", "xxx", "fixture", "unused"}
)  # fmt: skip
_PHRASE_WORDS = _FAKE_WORDS | _SECRET_WORDS | frozenset(
    {"a", "an", "the", "real", "long", "string", "value", "my", "me", "this", "with", "of",
     "api", "jwt", "session", "github", "openai", "stripe", "aws", "slack", "db", "database",
     "user", "admin", "app", "client", "private", "public", "signing", "encryption", "webhook",
     "sk", "pk", "rk", "ghp", "gho", "xoxb", "xoxp", "npm", "pat"}
)  # fmt: skip
# Well-known example values people copy from documentation: express-session's secret,
# xkcd's passphrase.
_KNOWN_EXAMPLES = frozenset({"keyboard cat", "correct horse battery staple"})


def _fake_phrase(value: str) -> bool:
    """``not-a-real-secret``, ``wrong-password``, ``some-long-random-string``, ``test_secret``:
    words only, every one of them from the vocabulary of fakes, at least one saying so."""
    low = value.strip().lower()
    if low in _KNOWN_EXAMPLES:
        return True
    words = [w for w in _PHRASE_SEPARATORS_RE.split(low) if w]
    if not words or len(words) > 8 or any(not w.isalpha() for w in words):
        return False
    return all(w in _PHRASE_WORDS for w in words) and any(w in _FAKE_WORDS for w in words)


# ---------------------------------------------------------------------------------------------
# Structured forms: command-line passwords, non-URL DSNs, auth tuples, .netrc, Terraform
# variable defaults, JWK private members, Kubernetes Secrets. Each is anchored at a literal.
# ---------------------------------------------------------------------------------------------
_LINE_WINDOW = 512


def _inside_template_expression(text: str, pos: int) -> bool:
    """Whether ``pos`` is inside a Jinja/Go-template expression opened on its line."""
    lo = max(0, pos - _LINE_WINDOW)
    start = text.rfind("\n", lo, pos) + 1 or lo
    if text.find("{", start, pos) < 0:
        return False  # the usual case: no brace on the line before the name
    line = text[start:pos]
    return line.rfind("{{") > line.rfind("}}") or line.rfind("{%") > line.rfind("%}")


_TF_RESULT_RE = _lazy("_TF_RESULT_RE", r'"result"\s*:\s*"((?:[^"\\\n]|\\.){6,256})"')
_TF_RANDOM_SECRET_RE = _lazy("_TF_RANDOM_SECRET_RE", r'"type"\s*:\s*"random_(?:password|string)"')


def _terraform_random_result(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    """Terraform state: the ``"result"`` of a ``random_password`` resource is the password
    (and of a ``random_string`` often a secret), in plain text."""
    m = _TF_RESULT_RE.match(text, pos)
    if m is None:
        return
    resource = text.rfind('"type"', max(0, pos - 2048), pos)
    if resource < 0 or _TF_RANDOM_SECRET_RE.match(text, resource) is None:
        return
    if not _is_placeholder(m.group(1), quoted=True):
        out.append((m.start(1), m.end(1), "password-assignment", _PRIO_GENERIC))


# Redis: `AUTH pw`, `AUTH user pw` on a line of its own, and MONITOR's `"AUTH" "pw"`.
_REDIS_AUTH_RE = _lazy(
    "_REDIS_AUTH_RE",
    r'(?:"AUTH"(?:\s+"[^"\s]{1,64}")?\s+"((?:[^"\\\n]|\\.){1,256})"'
    r"|(?<![^\s>])AUTH\s+(?:\S+\s+)?([^\s\"']{4,256})\s*$)",
    re.MULTILINE,
)


def _redis_auth(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _REDIS_AUTH_RE.match(text, pos)
    if m is None:
        return
    group = 1 if m.group(1) is not None else 2
    value = m.group(group)
    if (
        _is_placeholder(value, quoted=True)
        or not _password_shaped(value)
        and not _looks_random(value)
    ):
        return
    out.append((m.start(group), m.end(group), "password-assignment", _PRIO_GENERIC))


def _psk_assignment(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    at = pos + len(hit) - len(hit.lstrip("\n\t "))
    _assignment(text, at, hit.strip(), out)


def _lowercase_basic(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    _auth_header(text, pos + len(hit) - len("basic"), "basic", out)


def _line_before(text: str, pos: int) -> str:
    lo = max(0, pos - _LINE_WINDOW)
    return text[text.rfind("\n", lo, pos) + 1 or lo : pos]


_CONTINUED_COMMAND_LINES = 8


def _command_before(text: str, pos: int, continuations: str = "\\") -> str:
    """The shell command before ``pos``, across backslash-continued lines: ``az login
    --service-principal \\`` then ``-p secret`` on the next line is one command.
    ``continuations``: the characters that continue a line (PowerShell's "`", cmd's "^")."""
    lo = max(0, pos - _LINE_WINDOW)
    start = text.rfind("\n", lo, pos) + 1 or lo
    for _ in range(_CONTINUED_COMMAND_LINES):
        end = start - 1  # the newline ending the previous line
        if end <= lo:
            break
        tail = end - 1 if end > 0 and text[end - 1] == "\r" else end
        if tail <= 0 or text[tail - 1] not in continuations:
            break
        start = text.rfind("\n", lo, end) + 1 or lo
    return text[start:pos]


def _add_literal(
    out: list[_Cand], start: int, end: int, kind: str, value: str, quoted: bool = False
) -> None:
    if end > start and not _is_placeholder(value, quoted) and MARKER_PREFIX not in value:
        out.append((start, end, kind, _PRIO_GENERIC))


# mysql -p'secret' / -psecret (glued: mysql's own syntax); sshpass -p / docker login -p /
# redis-cli -a (spaced).
_GLUED_P_RE = _lazy(
    "_GLUED_P_RE", r"[ \t]-p(?:'([^'\n]{1,256})'|\"([^\"\n]{1,256})\"|([^\s'\"$][^\s]{0,255}))"
)
_SPACED_P_RE = _lazy(
    "_SPACED_P_RE",
    r"[ \t]-[pa][ \t]+(?:'([^'\n]{1,256})'|\"([^\"\n]{1,256})\"|([^\s'\"$][^\s]{0,255}))",
)
# A user flag earlier in the same command: "-u NAME -p VALUE" is a login, whatever the tool.
_USER_FLAG_RE = _lazy("_USER_FLAG_RE", r"(?:^|[ \t])(?:-u|--user(?:name)?)(?:[ \t]+|=)[^\s-]")
_MYSQL_CMD_RE = _lazy("_MYSQL_CMD_RE", r"\b(?:mysql\w*|mariadb[\w\-]*)\b")
_SPACED_P_CMD_RE = _lazy(
    "_SPACED_P_CMD_RE",
    r"\bsshpass\b|\b(?:docker|podman|buildah|helm|nerdctl|skopeo|oras|az)\b[^|;&\n]*\blogin\b"
    r"|\bmongo\w*\b",
)
_SPACED_A_CMD_RE = _lazy("_SPACED_A_CMD_RE", r"\bredis-cli\b")


# (trigger, the command that must start the line's segment, what follows the trigger).
_CLI_WORD = r"(?:'([^'\n]{1,256})'|\"([^\"\n]{1,256})\"|([^\s'\"$%][^\s]{0,255}))"
_CLI_VALUE_RE = _lazy("_CLI_VALUE_RE", r"[ \t]*" + _CLI_WORD)
# keytool's -storepass/-srcstorepass/-keypass... are triggered without their dash: anchored at
# "pass" they share the assignment detector's scan stop instead of adding to the "-" ones.
_CLI_FLAGS: dict[str, str] = {
    " -P": r"\b(?:sqlcmd|bcp|osql|isql)\b",
    " -w": r"\bldap\w*\b",
    "storepass": r"\bkeytool\b",
    "keypass": r"\bkeytool\b",
}
_CLI_CMD_RES = {k: _lazy(f"_CLI_CMD_{i}", v) for i, (k, v) in enumerate(_CLI_FLAGS.items())}
# openssl -passin pass:x / -passout pass:x / -pass pass:x (env:, file:, fd: are references).
_OPENSSL_PASS_RE = _lazy("_OPENSSL_PASS_RE", r"-pass(?:in|out|word)?[ \t]+\Z")
# smbclient/rpcclient -U 'DOMAIN\\user%password'.
_SMB_USER_RE = _lazy("_SMB_USER_RE", r"-U[ \t]+['\"]?[^\s%'\"]{1,256}%([^\s'\"]{1,256})")
_SMB_CMD_RE = _lazy("_SMB_CMD_RE", r"\b(?:smbclient|rpcclient|smbmap|smbget|net)\b")
# net use Z: \\server\share PASSWORD /user:DOMAIN\name
_NET_USE_RE = _lazy(
    "_NET_USE_RE", r"\bnet[ \t]+use\b[^\n]*?\\\\[^\s]+[ \t]+([^\s/*][^\s]{0,255})[ \t]+\Z", re.I
)
# htpasswd -b[c] FILE USER PASSWORD, htpasswd -nb USER PASSWORD.
_HTPASSWD_RE = _lazy(
    "_HTPASSWD_RE",
    r"htpasswd((?:[ \t]+-[A-Za-z]{1,6})+)((?:[ \t]+(?:'[^'\n]*'|\"[^\"\n]*\"|[^\s|;&]+)){2,3})",
)
_HT_WORD_RE = _lazy("_HT_WORD_RE", r"'([^'\n]*)'|\"([^\"\n]*)\"|([^\s|;&]+)")


def _cli_flag(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    """A password flag or argument of a known command (sqlcmd -P, ldapsearch -w, keytool...)."""
    if hit[0] != " " and (pos == 0 or text[pos - 1] not in "-tc"):
        return  # keytool: -storepass, -srcstorepass, -deststorepass, -keypass, -srckeypass...
    if _CLI_CMD_RES[hit].search(_command_before(text, pos)) is None:
        return
    at = pos + len(hit)
    m = _CLI_VALUE_RE.match(text, at)
    if m is not None and m.start() < m.end() and text[at : at + 1] in " \t":
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        _add_literal(out, m.start(g), m.end(g), "password-flag", m.group(g), quoted=g < 3)


# rabbitmqctl add_user NAME PASSWORD / change_password NAME PASSWORD (anchored at the command:
# a trigger on " add_user" would stop the scan at every "_" of the text).
_RABBITMQCTL_RE = _lazy(
    "_RABBITMQCTL_RE",
    r"rabbitmqctl(?:[ \t]+-\S+(?:[ \t]+[^\s-]\S*)?)*[ \t]+(?:add_user|change_password)"
    r"[ \t]+(?:'[^'\n]{1,256}'|\"[^\"\n]{1,256}\"|\S{1,256})[ \t]+" + _CLI_WORD,
)


def _rabbitmqctl(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _RABBITMQCTL_RE.match(text, pos)
    if m is not None:
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        _add_literal(out, m.start(g), m.end(g), "password-flag", m.group(g), quoted=g < 3)


# A literal piped into a command that reads a password from stdin (printf with a "%s" format
# first prints its argument as echo does).
_ECHO_PIPE_RE = _lazy(
    "_ECHO_PIPE_RE",
    r"\b(?:echo|printf)[ \t]+(?:-[ne]{1,2}[ \t]+)?"
    r"(?:'%s[^'%\n]{0,8}'[ \t]+|\"%s[^\"%\n]{0,8}\"[ \t]+)?"
    + _CLI_WORD
    + r"[ \t]*\|[^|\n]{0,200}\Z",
)
# Commands whose value argument is stored as a secret: gh secret set NAME --body V, az keyvault
# secret set --value V, aws secretsmanager ... --secret-string V, aws ssm put-parameter
# --type SecureString --value V.
_SECRET_CLI_VALUE_RE = _lazy(
    "_SECRET_CLI_VALUE_RE",
    r"[^\n|;&]{0,256}?(?<!\S)(?:--value|--body|-b|--secret-string)(?:[ \t]+|=)" + _CLI_WORD,
)
_FROM_LITERAL_RE = _lazy("_FROM_LITERAL_RE", r"--from-literal=['\"]?[\w.\-]{1,253}=" + _CLI_WORD)


_PASSPHRASE_FD = ("--passphrase-fd 0", "--passphrase-fd=0")
# Commands that store what they read from stdin as a secret: echo X | gh secret set NAME,
# wrangler secret put NAME, firebase functions:secrets:set NAME, gcloud secrets create NAME
# --data-file=-, docker secret create NAME -.
_STDIN_SECRET_SETTERS = (
    "secret set ", "secret put ", "secrets:set ", "--data-file=-", "secret create ",
)  # fmt: skip
# cmd --password-stdin <<< "pw": a here-string feeds the password.
_HERE_STRING_RE = _lazy("_HERE_STRING_RE", r"[^\n|;&]{0,256}?<<<[ \t]*" + _CLI_WORD)
# chpasswd <<EOF / user:password lines / EOF.
_HEREDOC_HEAD_RE = _lazy(
    "_HEREDOC_HEAD_RE", r"[^\n]{0,256}?<<-?[ \t]*['\"]?(\w{1,32})['\"]?[^\n]*\n"
)
_CHPASSWD_LINE_RE = _lazy("_CHPASSWD_LINE_RE", r"[ \t]*[\w.\-]{1,64}:([^\s:]{1,256})[ \t]*\r?\n")
_HEREDOC_LINES = 64


def _heredoc_input(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    """A password fed to a stdin reader by a here-string or (chpasswd) a heredoc."""
    at = pos + len(hit)
    m = _HERE_STRING_RE.match(text, at)
    if m is not None:
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        _add_literal(out, m.start(g), m.end(g), "password-flag", m.group(g), quoted=g < 3)
        return
    head = _HEREDOC_HEAD_RE.match(text, at) if hit == "chpasswd" else None
    if head is None:
        return
    at = head.end()
    for _ in range(_HEREDOC_LINES):
        line = _CHPASSWD_LINE_RE.match(text, at)
        if line is None:
            return
        _add_literal(out, line.start(1), line.end(1), "password-flag", line.group(1))
        at = line.end()


def _echo_pipe(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    """``echo hunter2 | sudo -S …``, ``echo pw | docker login --password-stdin``."""
    lo = max(0, pos - _LINE_WINDOW)
    lo = text.rfind("\n", lo, pos) + 1 or lo
    m = _ECHO_PIPE_RE.search(text, lo, pos)
    if m is not None:
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        _add_literal(out, m.start(g), m.end(g), "password-flag", m.group(g), quoted=g < 3)


def _secret_cli(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    at = pos + len(hit)
    if hit == "SecureString":
        at = text.rfind("\n", max(0, pos - _LINE_WINDOW), pos) + 1
        if "put-parameter" not in text[at:pos]:
            return
    m = _SECRET_CLI_VALUE_RE.match(text, at)
    if m is not None:
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        _add_literal(out, m.start(g), m.end(g), "secret-value", m.group(g), quoted=g < 3)


def _from_literal(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    """kubectl create secret … --from-literal=KEY=VALUE: every value of a Secret is secret."""
    if "create secret" not in _command_before(text, pos):
        return
    m = _FROM_LITERAL_RE.match(text, pos)
    if m is not None:
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        _add_literal(out, m.start(g), m.end(g), "kubernetes-secret", m.group(g), quoted=g < 3)


def _openssl_pass(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    if _OPENSSL_PASS_RE.search(text, max(0, pos - 16), pos) is None:
        return
    m = _CLI_VALUE_RE.match(text, pos + len(hit))
    if m is not None:
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        _add_literal(out, m.start(g), m.end(g), "password-flag", m.group(g), quoted=g < 3)


def _smb_user(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _SMB_USER_RE.match(text, pos + 1)
    if m is not None and _SMB_CMD_RE.search(_line_before(text, pos)) is not None:
        _add_literal(out, m.start(1), m.end(1), "password-flag", m.group(1))


def _net_use(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    lo = max(0, pos - _LINE_WINDOW)
    lo = text.rfind("\n", lo, pos) + 1 or lo
    m = _NET_USE_RE.search(text, lo, pos)
    if m is not None:
        _add_literal(out, m.start(1), m.end(1), "password-flag", m.group(1))


def _htpasswd(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _HTPASSWD_RE.match(text, pos)
    if m is None or "b" not in m.group(1):
        return  # without -b the password is prompted for
    words = list(_HT_WORD_RE.finditer(text, m.start(2), m.end(2)))
    need = 2 if "n" in m.group(1) else 3  # -n prints instead of writing a file
    if len(words) < need:
        return
    w = words[need - 1]
    g = next(i for i in (1, 2, 3) if w.group(i) is not None)
    _add_literal(out, w.start(g), w.end(g), "password-flag", w.group(g), quoted=g < 3)


# Redis ACL users: redis.conf's `user app on >password ~keys +@all` and `ACL SETUSER app on
# >password` (any command line that says it). The word after '>' is the password; `#<sha256>`
# (a hash) and `nopass` are not. Anchored at "on >", where the documented form puts it: a bare
# ">" would be a new scan stop at every shell redirection.
_REDIS_ACL_RE = _lazy("_REDIS_ACL_RE", r"on >(\S{1,1024})")
_REDIS_ACL_USER_RE = _lazy(
    "_REDIS_ACL_USER_RE", r"(?:[ \t]*user|.*\bacl[ \t]+setuser)[ \t]+\S+[ \t]+(?:\S+[ \t]+)*", re.I
)


def _redis_acl(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _REDIS_ACL_RE.match(text, pos)
    line = text.rfind("\n", 0, pos) + 1
    if m is None or pos - line > 512 or not _REDIS_ACL_USER_RE.fullmatch(text, line, pos):
        return
    _add_literal(out, m.start(1), m.end(1), "password-flag", m.group(1))


# SQL (MySQL, Oracle, Snowflake...): CREATE/ALTER USER x IDENTIFIED [WITH plugin] BY 'pw'.
# Not "BY PASSWORD '*hash'" nor Oracle's "BY VALUES 'hash'" (hashes), nor EXTERNALLY; nor
# MySQL's "IDENTIFIED WITH plugin AS 'auth_string'": the string is stored as given, the hash
# of a password ('*6BB4…', '$A$005$…') or what the plugin needs (AWSAuthenticationPlugin AS
# 'RDS', an LDAP DN).
_IDENTIFIED_RE = _lazy(
    "_IDENTIFIED_RE",
    r"IDENTIFIED[ \t]+(?:WITH[ \t]+[\w'\"]{1,64}[ \t]+)?BY[ \t]+(?!(?:PASSWORD|VALUES)\b)"
    r"(?:'((?:[^'\n]|''){1,256})'|\"([^\"\n]{1,256})\"|([^\s;'\"]{1,256}))",
    re.I,
)


# The statement a SQL IDENTIFIED BY belongs to, possibly begun on an earlier line.
_SQL_USER_STMT_RE = _lazy(
    "_SQL_USER_STMT_RE", r"\b(?:(?:ALTER|CREATE)[ \t]+(?:USER|ROLE|LOGIN)|GRANT)\b[^;]*\Z", re.I
)


def _identified_by(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _IDENTIFIED_RE.match(text, pos)
    if m is None or (pos > 0 and text[pos - 1].isalnum()):
        return
    # Only in a CREATE/ALTER USER or GRANT statement: "a library identified by 'name'" in a
    # docstring is prose.
    if _SQL_USER_STMT_RE.search(text, max(0, pos - _MAX_LOOKBACK), pos) is None:
        return
    g = next(i for i in (1, 2, 3) if m.group(i) is not None)
    if g == 3 and not _password_shaped(m.group(3)):
        return  # "grant access to a user identified by their ID": an unquoted word of prose
    _add_literal(out, m.start(g), m.end(g), "password-in-code", m.group(g), quoted=g < 3)


# DuckDB's secrets manager: CREATE [OR REPLACE] [PERSISTENT|TEMPORARY] SECRET [name] (TYPE s3,
# KEY_ID '…', SECRET '…', REGION '…'): parameters are "NAME 'value'", no operator between.
_CREATE_SECRET_RE = _lazy(
    "_CREATE_SECRET_RE",
    r"CREATE[ \t]+(?:OR[ \t]+REPLACE[ \t]+)?(?:(?:PERSISTENT|TEMPORARY)[ \t]+)?SECRET\b"
    r"[^(;\n]{0,128}\(",
    re.I,
)
_SECRET_PARAM_RE = _lazy(
    "_SECRET_PARAM_RE",
    r"(?<![\w.])([A-Za-z_]{2,32})[ \t]+'((?:[^'\n]|''){1,1024})'|(\))",
)
# The parameters that hold the credential (S3/R2/GCS's SECRET and SESSION_TOKEN, Azure's
# CLIENT_SECRET and ACCOUNT_KEY, Hugging Face's TOKEN, HTTP's BEARER_TOKEN, a proxy's
# password); KEY_ID is the key's other half, reported as an AWS key id is.
_SECRET_PARAMS = frozenset(
    {"secret", "session_token", "token", "password", "client_secret", "account_key",
     "bearer_token", "http_proxy_password", "proxy_password", "client_certificate_password"}
)  # fmt: skip
_CREATE_SECRET_SPAN = 4096


def _create_secret(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    if pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        return
    head = _CREATE_SECRET_RE.match(text, pos)
    if head is None:
        return
    found: list[tuple[int, int, str]] = []
    key_ids: list[tuple[int, int, str]] = []
    for m in _SECRET_PARAM_RE.finditer(text, head.end(), head.end() + _CREATE_SECRET_SPAN):
        if m.group(3) is not None:
            break  # the parameter list's closing parenthesis
        name, value = m.group(1).lower(), m.group(2)
        if name in _SECRET_PARAMS:
            if _value_is_secret(value, _Value(m.start(2), m.end(2), True, True), _STRONG, name):
                found.append((m.start(2), m.end(2), value))
        elif name == "key_id" and (_looks_random(value) or _HEX_KEY_RE.fullmatch(value)):
            key_ids.append((m.start(2), m.end(2), value))
    if found:
        for start, end, value in found + key_ids:
            _add_literal(out, start, end, "secret-assignment", value, quoted=True)


def _cli_password(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    before = _command_before(text, pos)
    m = _GLUED_P_RE.match(text, pos)
    if m is not None and _MYSQL_CMD_RE.search(before) is not None:
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        _add_literal(out, m.start(g), m.end(g), "password-flag", m.group(g), quoted=g < 3)
        return
    m = _SPACED_P_RE.match(text, pos)
    if m is None:
        return
    g = next(i for i in (1, 2, 3) if m.group(i) is not None)
    word = m.group(g)
    if g == 3 and word[0] == "-" and (word.startswith("--") or not _password_shaped(word)):
        return  # the next flag ("-p -h db"), not a value that starts with "-" ("-Xk9~mQ2p")
    flag_cmd = _SPACED_A_CMD_RE if text[pos + 2] == "a" else _SPACED_P_CMD_RE
    if flag_cmd.search(before) is not None:
        _add_literal(out, m.start(g), m.end(g), "password-flag", word, quoted=g < 3)
    elif text[pos + 2] == "p" and _USER_FLAG_RE.search(before) is not None:
        # "tool -u admin -p VALUE" (influx, rabbitmqadmin, ...): -p after a user is its
        # password; unquoted, only a password-shaped word (-p is a port for some tools).
        if g < 3 or _password_shaped(word):
            _add_literal(out, m.start(g), m.end(g), "password-flag", word, quoted=g < 3)


# Go MySQL driver DSNs: user:password@tcp(host)/db, @unix(/sock); Oracle thin: user/pass@host.
# The password may contain "@" (the last one before "tcp(" ends it), never ":" or a quote.
_DSN_HEAD_RE = _lazy("_DSN_HEAD_RE", r"([\w.\-]{0,64}):([^\s\"'`:]{1,256})$")
_ORACLE_THIN_RE = _lazy("_ORACLE_THIN_RE", r"thin:[\w.\-$]{1,64}/([^@\s\"'/]{1,256})@")


def _dsn(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    before = _line_before(text, pos)
    # Not cut at "=": passwords contain it, and the user name before the ":" cannot.
    cut = max(before.rfind(c) for c in " \t\"'`(,;")
    m = _DSN_HEAD_RE.search(before[cut + 1 :])
    if m is not None:
        start = pos - len(before) + cut + 1 + m.start(2)
        _add_literal(out, start, start + len(m.group(2)), "dsn-credentials", m.group(2))


def _oracle_thin(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _ORACLE_THIN_RE.match(text, pos)
    if m is not None:
        _add_literal(out, m.start(1), m.end(1), "dsn-credentials", m.group(1))


# Bundler's credentials for a gem server: BUNDLE_<HOST> with the host's dots as "__"
# (BUNDLE_ENTERPRISE__CONTRIBSYS__COM: "user:password", BUNDLE_RUBYGEMS__PKG__GITHUB__COM).
# Not BUNDLE_BUILD__<gem> (build flags) nor BUNDLE_MIRROR__<url>.
_BUNDLER_CRED_RE = _lazy(
    "_BUNDLER_CRED_RE",
    r"BUNDLE_(?!BUILD__|MIRROR__)[A-Z0-9_]{0,128}[A-Z0-9]__[A-Z0-9][A-Z0-9_]{0,128}"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?([^\s\"']{1,512})",
)


def _bundler_credentials(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    if pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        return
    m = _BUNDLER_CRED_RE.match(text, pos)
    if m is None:
        return
    value = m.group(1)
    pair = _USER_PASS_RE.fullmatch(value) or _HEX_PAIR_RE.fullmatch(value)
    if pair is not None or _looks_random(value) or _dense_random(value):
        _add_literal(out, m.start(1), m.end(1), "bundler-credentials", value)


_HEX_PAIR_RE = _lazy("_HEX_PAIR_RE", r"[0-9a-f]{8}:[0-9a-f]{8}")  # Sidekiq Enterprise/Pro


# ~/.pgpass: hostname:port:database:username:password, one entry per line.
_PGPASS_RE = _lazy(
    "_PGPASS_RE",
    r"[+\- ]?[A-Za-z0-9_.\-*\[\]]{1,253}:(?:\d{1,5}|\*)"
    r":[^:\s]{1,128}:[^:\s]{1,128}:(\S{1,256})[ \t]*\r?$",
    re.M,
)


# /etc/shadow's ageing fields ("99999:7:::"): a shadow line, not a .pgpass one.
_SHADOW_TAIL_RE = _lazy("_SHADOW_TAIL_RE", r"[\d:]*")


def _pgpass(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    line_start = text.rfind("\n", max(0, pos - _LINE_WINDOW), pos) + 1
    m = _PGPASS_RE.match(text, line_start)
    if m is not None and m.start(1) > pos and not _SHADOW_TAIL_RE.fullmatch(m.group(1)):
        _add_literal(out, m.start(1), m.end(1), "pgpass-password", m.group(1))


# auth=("user", "pass"), BasicAuth("user", "pass"), .login("user", "pass"),
# NetworkCredential("user", "pass"), simple_bind_s("cn=…", "pass").
# (C#'s verbatim strings: new NetworkCredential(@"DOMAIN\\user", "…"))
_TUPLE_RE = _lazy(
    "_TUPLE_RE",
    r"[ \t]*[(\[][ \t]*@?([\"'])[^\"'\n]{1,256}\1[ \t]*,"
    r"[ \t]*@?([\"'])([^\"'\n]{1,256})\2[ \t]*[)\],.]",
)


def _auth_tuple(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    at = pos + len(hit)
    if hit[-1] == "=":  # "auth =": the tuple follows the operator
        while at < len(text) and text[at] in " \t":
            at += 1
    elif hit[-1] != "(":
        return
    else:
        at -= 1
    m = _TUPLE_RE.match(text, at)
    if m is None:
        return
    value = m.group(3)
    if len(value) >= 4 and not _is_prose(value) and not _names_a_secret(value):
        _add_literal(out, m.start(3), m.end(3), "password-in-code", value)


# PowerShell: ConvertTo-SecureString "literal" -AsPlainText: the literal is the secret.
_SECURE_STRING_RE = _lazy(
    "_SECURE_STRING_RE",
    r"ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?([\"'])([^\"'\n]{1,1024})\1"
    r"[^\n]{0,64}?-AsPlainText",
    re.I,
)
# Ruby: Net::SMTP.start(address, port, helo, user, password, authtype).
_SMTP_START_RE = _lazy(
    "_SMTP_START_RE", r"SMTP\.start\((?:[^,()\n]{1,256},){4}[ \t]*([\"'])([^\"'\n]{1,256})\1"
)
# A DSN-named value "user:password@host/...": the Go MySQL, Snowflake and ODBC driver forms
# without a scheme (URLs with one are handled by _url_credentials).
_KEYWORD_DSN_RE = _lazy(
    "_KEYWORD_DSN_RE",
    r"[\w.\-]{0,64}[\"']?[ \t]*(?::=|=|:)[ \t]*[\"'`]?"
    r"([\w.\-]{1,64}):([^\s\"'`:@/]{1,256})@[\w.\-\[(]",
)


# Authress service client keys: sc_<id>.<key id>.acc_<account>.<secret>; anchored at "acc_"
# (the prefixes sc_/ext_ are met at every "sc_", "text_" of a text).
_AUTHRESS_HEAD_RE = _lazy(
    "_AUTHRESS_HEAD_RE",
    r"(?<![A-Za-z0-9])(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\Z",
)
_AUTHRESS_RE = _lazy(
    "_AUTHRESS_RE",
    r"(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.acc[_\-][a-z0-9\-]{10,32}"
    r"\.[A-Za-z0-9+/_=\-]{30,120}(?![A-Za-z0-9+/_=\-])",
)


def _authress(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    if pos == 0 or text[pos - 1] != ".":
        return
    head = _AUTHRESS_HEAD_RE.search(text, max(0, pos - 49), pos - 1)
    if head is None:
        return
    m = _AUTHRESS_RE.match(text, head.start())
    if m is not None:
        _add_literal(out, m.start(), m.end(), "authress-key", m.group())


def _secure_string(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _SECURE_STRING_RE.match(text, pos)
    if m is not None:
        _add_literal(out, m.start(2), m.end(2), "password-in-code", m.group(2))


def _smtp_start(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _SMTP_START_RE.match(text, pos)
    if m is not None:
        _add_literal(out, m.start(2), m.end(2), "password-in-code", m.group(2))


def _keyword_dsn(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    m = _KEYWORD_DSN_RE.match(text, pos + len(hit))
    if m is not None and not m.group(2).startswith(("$", "%")):
        _add_literal(out, m.start(2), m.end(2), "dsn-credentials", m.group(2))


# .netrc: "machine host login user password secret" (one line or several), anchored at the
# entry keyword so that the common word "password" costs nothing.
# The .netrc grammar: tokens separated by white space, each keyword followed by its value.
_NETRC_ENTRY_RE = _lazy(
    "_NETRC_ENTRY_RE",
    r"(?:machine[ \t]+\S{1,256}(?:\s{1,64}(?:login|account|port|protocol)[ \t]+\S{1,256}){0,4}"
    r"|default(?:\s{1,64}(?:login|account)[ \t]+\S{1,256}){1,3})"
    r"\s{1,64}password[ \t]+(\S{1,256})",
)


def _netrc(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    if pos > 0 and not text[pos - 1].isspace():
        return
    m = _NETRC_ENTRY_RE.match(text, pos)
    if m is not None and not m.group(1).startswith("$"):
        _add_literal(out, m.start(1), m.end(1), "netrc-password", m.group(1))


# Terraform: variable "db_password" { default = "…" }, anchored at the block head.
_TF_DEFAULT_RE = _lazy("_TF_DEFAULT_RE", r"(?<![\w.])default[ \t]*=[ \t]*\"([^\"\n]{1,1024})\"")
_TF_VARIABLE_RE = _lazy("_TF_VARIABLE_RE", r"variable[ \t]+\"([\w\-]{1,128})\"[ \t]*\{")
_TF_BLOCK_SPAN = 4096


def _terraform_default(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    head = _TF_VARIABLE_RE.match(text, pos)
    if head is None or _name_strength(head.group(1)) != _STRONG:
        return
    close = text.find("\n}", head.end(), head.end() + _TF_BLOCK_SPAN)
    m = _TF_DEFAULT_RE.search(text, head.end(), close if close >= 0 else head.end() + 1024)
    if m is None:
        return
    ctx = _Value(m.start(1), m.end(1), True, True)
    if _value_is_secret(m.group(1), ctx, _STRONG, head.group(1)):
        out.append((m.start(1), m.end(1), "password-assignment", _PRIO_GENERIC))


# A Terraform resource that holds a secret by what it is (github_actions_secret,
# aws_secretsmanager_secret_version, an SSM SecureString) or by what it is named
# ("legacy_db_password", name = "/app/prod/db_password") keeps it in a generic attribute:
# value, plaintext_value. In configuration, and in a plan's output ("+ value = "…"", "~ value =
# "…" -> "…"") when the provider did not mark the attribute sensitive.
_TF_RESOURCE_RE = _lazy(
    "_TF_RESOURCE_RE",
    r"resource[ \t]+\"([\w\-]{1,128})\"[ \t]+\"([\w\-]{1,128})\"[ \t]*\{[ \t]*\r?\n",
)
_TF_ATTR_RE = _lazy(
    "_TF_ATTR_RE",
    r"[ \t]*(?:[+~\-][ \t]+)?([A-Za-z_]\w{0,63})[ \t]*=[ \t]*\"((?:[^\"\\\n]|\\.){0,1024})\""
    r"(?:[ \t]*->[ \t]*\"((?:[^\"\\\n]|\\.){0,1024})\")?",
)
_TF_QUOTED_RE = _lazy("_TF_QUOTED_RE", r"\"(?:[^\"\\\n]|\\.)*\"")
_TF_VALUE_ATTRS = frozenset({"value", "plaintext_value"})
# Attributes that name the secret a resource holds (an SSM parameter's path, a CI variable's key).
_TF_NAME_ATTRS = frozenset({"name", "key", "secret_name", "variable_name", "parameter_name"})
_TF_RESOURCE_LINES = 64
_TF_PATH_SEP_RE = _lazy("_TF_PATH_SEP_RE", r"[/.:]")


def _terraform_resource(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    head = _TF_RESOURCE_RE.match(text, pos)
    if head is None:
        return
    rtype, label = head.group(1), head.group(2)
    names_secret = "secret" in rtype or _name_strength(label) == _STRONG
    values: list[tuple[int, int]] = []
    at, depth = head.end(), 1
    for _ in range(_TF_RESOURCE_LINES):
        nl = text.find("\n", at, at + 4096)
        end = len(text) if nl < 0 else nl
        if depth == 1:
            m = _TF_ATTR_RE.match(text, at, end)
            if m is not None:
                attr, lit = m.group(1).lower(), m.group(2)
                if attr in _TF_VALUE_ATTRS:
                    values += [m.span(g) for g in (2, 3) if m.group(g)]
                elif attr in _TF_NAME_ATTRS:
                    leaf = _TF_PATH_SEP_RE.split(lit.rstrip("/"))[-1]
                    names_secret = names_secret or _name_strength(leaf) == _STRONG
                elif attr == "type" and lit == "SecureString":
                    names_secret = True
        line = _TF_QUOTED_RE.sub("", text[at:end])
        depth += line.count("{") - line.count("}")
        if depth <= 0 or nl < 0:
            break
        at = nl + 1
    if not names_secret:
        return
    for start, end in values:
        if _value_is_secret(text[start:end], _Value(start, end, True, True), _STRONG, "password"):
            out.append((start, end, "password-assignment", _PRIO_GENERIC))


# JWK: the private members of a key object with "kty".
_JWK_PRIVATE_RE = _lazy(
    "_JWK_PRIVATE_RE", r"\"(d|p|q|dp|dq|qi|k)\"[ \t]*:[ \t]*\"([A-Za-z0-9_\-]{16,8192})\""
)
_JWK_SPAN = 16384


def _jwk(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    lo = text.rfind("{", max(0, pos - _JWK_SPAN), pos)
    hi = text.find("}", pos, pos + _JWK_SPAN)
    if lo < 0 or hi < 0:
        return
    for m in _JWK_PRIVATE_RE.finditer(text, lo, hi):
        out.append((m.start(2), m.end(2), "jwk-private-key", _PRIO_PROVIDER))


# Kubernetes Secret manifests: every value under data: / stringData:.
_K8S_DOC_SPAN = 65536
_K8S_BLOCK_RE = _lazy("_K8S_BLOCK_RE", r"^[ \t]{0,8}(?:data|stringData):[ \t]*\r?$", re.M)
_K8S_ITEM_RE = _lazy("_K8S_ITEM_RE", r"([ \t]+)[\w.\-]{1,253}:[ \t]*(.*?)[ \t]*\r?$", re.M)


def _encodes_placeholder(value: str) -> bool:
    """``data:`` values are base64: "YmFyCg==" is "bar" and "cGFzc3dvcmQ=" is "password",
    placeholders of a sample manifest, not secrets."""
    if len(value) > 64 or len(value) % 4 or not _B64_VALUE_RE.fullmatch(value):
        return False
    try:
        decoded = binascii.a2b_base64(value, strict_mode=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return _is_placeholder(decoded.strip())


_B64_VALUE_RE = _lazy("_B64_VALUE_RE", r"[A-Za-z0-9+/]+={0,2}")


def _k8s_secret(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    lo = text.rfind("\n---", max(0, pos - _K8S_DOC_SPAN), pos)
    lo = max(0, pos - _K8S_DOC_SPAN) if lo < 0 else lo + 4
    hi = text.find("\n---", pos, pos + _K8S_DOC_SPAN)
    hi = min(len(text), pos + _K8S_DOC_SPAN) if hi < 0 else hi
    for block in _K8S_BLOCK_RE.finditer(text, lo, hi):
        at = block.end() + 1
        indent = None
        while at < hi:
            m = _K8S_ITEM_RE.match(text, at, hi)
            if m is None or (indent is not None and m.group(1) != indent):
                break
            indent = m.group(1)
            value = m.group(2).strip("\"'")
            scalar = _yaml_block(text, m.start(2)) if value[:1] in ("|", ">") else None
            if scalar is not None:
                # key.pem: | then the value's lines, more indented: the whole block is secret.
                judged = scalar.content or text[scalar.start : scalar.end]
                _add_literal(out, scalar.start, scalar.end, "kubernetes-secret", judged)
                at = text.find("\n", scalar.end) + 1 or hi
                continue
            if value and not _encodes_placeholder(value):
                vstart = text.find(value, m.start(2), m.end(2) + 1)
                _add_literal(out, vstart, vstart + len(value), "kubernetes-secret", value)
            at = m.end() + 1


# ---------------------------------------------------------------------------------------------
# Calls: a credential passed by position to a documented client API (the ``[[call]]`` table of
# secret_tokens.toml: getConnection(url, user, "pw"), new PDO($dsn, "u", "pw")...), and a
# setter or builder named for a secret (setPassword("…"), .password("…"), withApiKey("…")).
# Only string literals count: a variable or a call there is the code done right.
# ---------------------------------------------------------------------------------------------
_CALL_SPAN = 1024
_CALL_MAX_ARGS = 8
# A string literal argument, possibly wrapped in a conversion that keeps its value.
_ARG_LITERAL_RE = _lazy(
    "_ARG_LITERAL_RE",
    r"\s{0,64}(?:(?:Some|\[\]byte|String::from|SecretStr|SecretString::new|Secret::new"
    r"|Buffer\.from|new[ \t]+String|Encoding\.(?:UTF8|ASCII|Unicode|Default)\.GetBytes"
    r"|pulumi\.String|jsii\.String)\(\s{0,16})?(?=[rRbBuU@]?[\"'])",
)
# Verbs that set a value: the argument of setPassword("…") is the password, that of
# getPassword("…"), checkPassword("…") or hash_password("…") is not.
_SETTER_VERBS = frozenset({"set", "with", "use"})


def _call_args(text: str, at: int) -> list[tuple[int, int]]:
    """The top-level argument spans of a call whose arguments start at ``at``, up to its
    closing ")"; empty when the call does not close within the bounds."""
    out: list[tuple[int, int]] = []
    depth, quote, seg = 0, "", at
    hi = min(len(text), at + _CALL_SPAN)
    i = at
    while i < hi:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote or ch == "\n":
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                out.append((seg, i))
                return out
            depth -= 1
        elif ch == "," and depth == 0:
            out.append((seg, i))
            seg = i + 1
            if len(out) >= _CALL_MAX_ARGS:
                return []
        elif ch == ";" and depth == 0:
            return []  # a statement ended: not an argument list
        i += 1
    return []


def _literal_arg(text: str, lo: int, hi: int) -> _Value | None:
    """The string literal that is the argument ``text[lo:hi]``, or None (code)."""
    m = _ARG_LITERAL_RE.match(text, lo, hi)
    if m is None:
        return None
    value = _value_at(text, m.end(), mode="token", literal=True)
    if value is None or not value.quoted or value.end >= hi:
        return None
    return value


def _call_handler(callee: str, arg: int, min_args: int, secret: str = "password") -> _Handler:
    def handle(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
        if pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
            return  # inside a longer name
        args = _call_args(text, pos + len(hit))
        if len(args) < max(min_args, arg + 1):
            return
        value = _literal_arg(text, *args[arg])
        if value is None:
            return
        judged = text[value.start : value.end]
        if judged in _published_values():
            return  # a development chain's funded account (Hardhat's, Anvil's)
        if secret == "private-key":
            if _PRIVATE_KEY_HEX_RE.fullmatch(judged) and not _is_token_placeholder(judged):
                out.append((value.start, value.end, "private-key", _PRIO_GENERIC))
        elif secret == "mnemonic":
            if _seed_phrase(judged):
                out.append((value.start, value.end, "seed-phrase", _PRIO_GENERIC))
        elif _value_is_secret(judged, value, _STRONG, "password"):
            out.append((value.start, value.end, "password-in-code", _PRIO_GENERIC))

    return handle


# ---------------------------------------------------------------------------------------------
# Command-line options whose argument is a credential no name announces (the ``[[cli]]`` table
# of secret_tokens.toml): signtool's /p, codecov's -t, snyk auth <token>.
# ---------------------------------------------------------------------------------------------
_CLI_ARG_RE = _lazy("_CLI_ARG_RE", r"[ \t]*" + _CLI_WORD)
# Lines go on after "\" in a shell, "`" in PowerShell and "^" in cmd.exe: Windows tools are
# run from all three.
_ANY_CONTINUATION = "\\`^"


def _generated_token(value: str) -> bool:
    """A value an issuer generated: random-looking, a UUID (Snyk's and Codecov's tokens are),
    or a long run of hex digits (a legacy SonarQube or DigitalOcean token)."""
    return (
        _UUID_RE.fullmatch(value) is not None
        or _looks_random(value)
        or _dense_random(value)
        or (len(value) >= 32 and _HEX_RE.fullmatch(value) is not None)
    )


def _cli_handler(command: str, secret: str, kind: str, skip: int) -> _Handler:
    def handle(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
        if (
            hit[0].isalpha()
            and hit[-1] == " "
            and pos > 0
            and (text[pos - 1].isalnum() or text[pos - 1] in "_-")
        ):
            return  # a command's name inside a longer word ("mysnyk auth")
        if command and (
            _compiled(command).search(_command_before(text, pos, _ANY_CONTINUATION)) is None
        ):
            return
        at = pos + len(hit)
        for _ in range(skip):  # the words before the value (pulumi config set --secret NAME V)
            word = _CLI_ARG_RE.match(text, at)
            if word is None or word.end() == at or text[word.end() : word.end() + 1] not in " \t":
                return
            at = word.end()
        m = _CLI_ARG_RE.match(text, at)
        if m is None:
            return
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        value = m.group(g)
        if g == 3 and value[0] in "-/":
            return  # the next option ("/p /fd", "snyk auth --help"), not its value
        quoted = g < 3
        if secret == "password":
            ctx = _Value(m.start(g), m.end(g), quoted, True)
            if not _value_is_secret(value, ctx, _STRONG, "password"):
                return
        elif (
            _is_placeholder(value, quoted)
            or MARKER_PREFIX in value
            or _vendor_lookalike(value)
            or not _generated_token(value)
        ):
            return
        out.append((m.start(g), m.end(g), kind, _PRIO_GENERIC))

    return handle


def _load_cli() -> list[tuple[tuple[str, ...], _Handler]]:
    """(triggers, handler) per entry of the ``[[cli]]`` table."""
    from gitgate.safety.tokentable import load_cli

    return [
        (
            tuple(str(t) for t in entry["triggers"]),
            _cli_handler(
                str(entry.get("command", "")),
                str(entry["secret"]),
                str(entry["kind"]),
                int(entry.get("skip", 0)),
            ),
        )
        for entry in load_cli()
    ]


def _load_calls() -> list[tuple[str, _Handler]]:
    """(trigger, handler) per entry of the ``[[call]]`` and ``[[wallet_call]]`` tables."""
    from gitgate.safety.tokentable import load_calls, load_wallet_calls

    out: list[tuple[str, _Handler]] = []
    for entry in load_calls():
        callee, arg = str(entry["callee"]), int(entry["arg"])
        min_args = int(entry.get("min_args", arg + 1 if arg >= 0 else 1))
        handler = _call_handler(callee, arg, min_args)
        out.append((callee + str(entry.get("open", "(")), handler))
    for entry in load_wallet_calls():
        callee, arg, secret = str(entry["callee"]), int(entry["arg"]), str(entry["secret"])
        if secret not in ("private-key", "mnemonic"):
            raise ValueError(f"secret_tokens.toml: [[wallet_call]] {callee}: secret {secret!r}")
        out.append((callee + "(", _call_handler(callee, arg, arg + 1, secret)))
    return out


def _setter_argument(text: str, start: int, end: int) -> _Value | None:
    """The literal passed to a setter or builder named for a secret: ``setPassword("…")``,
    ``.password("…")``, ``withApiKey("…")``; one argument only. A bare noun (a builder, not
    a "set") must hold a literal shaped like a secret (password-shaped, all four kinds of
    character, or random)."""
    method = text[start:end].rsplit(".", 1)[-1]
    words = [t.lower() for t in _NAME_SPLIT_RE.findall(method) if not t.isdigit()]
    setter = bool(words) and words[0] in _SETTER_VERBS
    nouns = words[1:] if setter else words
    if not nouns or any(w not in _CALL_NOUNS for w in nouns):
        return None
    args = _call_args(text, end + 1)
    if len(args) != 1:
        return None
    value = _literal_arg(text, *args[0])
    if value is not None and not setter and not _echo_worthy(text[value.start : value.end]):
        return None  # .secret("db-credentials") names a secret: only a secret's shape counts
    return value


# A credential wrapped in base64 (to get past a scanner, or as a format needs it): a Docker
# config.json (``{"auths": …}``, a Kubernetes ``.dockerconfigjson``) or a vendor token whose
# prefix base64 writes as these characters (``Z2hwX`` is "ghp_"). The run is decoded and
# scanned; it counts when its decoded text holds a secret.
_B64_WRAPPED_TRIGGERS = (
    "eyJhdXRocyI6",  # {"auths":
    "Z2hwX", "Z2hvX", "Z2hzX", "Z2h1X", "Z2hyX",  # ghp_ gho_ ghs_ ghu_ ghr_
    "Z2l0aHViX3BhdF",  # github_pat_
    "Z2xwYXQt",  # glpat-
    "eG94Yi0", "eG94cC0",  # xoxb- xoxp-
    "c2tfbGl2ZV8",  # sk_live_
    "c2stYW50LQ", "c2stcHJvai0",  # sk-ant- sk-proj-
    "QUtJQ",  # AKIA
    "QVdTOmV5SndZWGxzYjJGa",  # AWS:eyJwYXlsb2Fk (an ECR authorization token, as its API returns it)
    "bnBtX",  # npm_
)  # fmt: skip
_B64_RUN_RE = _lazy("_B64_RUN_RE", r"[A-Za-z0-9+/]{16,8192}={0,2}(?![A-Za-z0-9+/=])")
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _base64_wrapped(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    if pos > 0 and text[pos - 1] in _B64_CHARS:
        return
    m = _B64_RUN_RE.match(text, pos)
    if m is None:
        return
    run = m.group()
    import binascii

    try:
        decoded = binascii.a2b_base64(run + "=" * (-len(run.rstrip("=")) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return
    if not decoded.isprintable() and not decoded.replace("\n", "").isprintable():
        return
    found = find_secrets(decoded)  # (shorter than the run: the recursion ends)
    if found:
        out.append((m.start(), m.end(), "base64-" + found[0].kind, _PRIO_PROVIDER))


# A literal "user:password" (or ":token", as Azure DevOps takes a PAT) passed to a base64
# encoder: the value of a Basic Authorization header, built in code. The part after the colon
# counts when it is password-shaped or random.
_BASIC_PAIR_RE = _lazy("_BASIC_PAIR_RE", r"[\w.@+\-]{0,64}:(?!//)([^\s:\"'\\]{8,256})")


# 'id' + ':' + 'secret': a Basic credential joined from its two literals.
_JOINED_PAIR_RE = _lazy(
    "_JOINED_PAIR_RE",
    r"\s{0,64}([\"'])([^\"'\s:]{1,256})\1\s{0,16}\+\s{0,16}([\"']):\3\s{0,16}\+\s{0,16}"
    r"([\"'])([^\"'\s]{1,256})\4\s{0,16}\Z",
)
_TO_BASE64_RE = _lazy("_TO_BASE64_RE", r"\)\s{0,16}\.toString\(\s{0,16}[\"']base64")


def _encoded_basic(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    if pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        return
    args = _call_args(text, pos + len(hit))
    if not args:
        return
    if hit == "Buffer.from(" and not _TO_BASE64_RE.match(text, args[-1][1]):
        return  # Node's Basic header: Buffer.from(user + ":" + pw).toString("base64")
    joined = _JOINED_PAIR_RE.match(text, *args[0])
    if joined is not None:
        secret = joined.group(5)
        ctx = _Value(joined.start(5), joined.end(5), True, True)
        if (_password_shaped(secret) or _looks_random(secret)) and _value_is_secret(
            secret, ctx, _STRONG, "password"
        ):
            user = joined.group(2)
            if _looks_random(user) or _HEX_KEY_RE.fullmatch(user):
                # a generated user name is a key's id (Infura's project id, an API key's)
                out.append((joined.start(2), joined.end(2), "password-in-code", _PRIO_GENERIC))
            out.append((joined.start(5), joined.end(5), "password-in-code", _PRIO_GENERIC))
        return
    value = _literal_arg(text, *args[0])
    if value is None:
        return
    pair = _BASIC_PAIR_RE.fullmatch(text, value.start, value.end)
    if pair is None:
        return
    secret = pair.group(1)
    ctx = _Value(pair.start(1), value.end, True, True)
    if (_password_shaped(secret) or _looks_random(secret)) and _value_is_secret(
        secret, ctx, _STRONG, "password"
    ):
        out.append((pair.start(1), value.end, "password-in-code", _PRIO_GENERIC))


# Android's Gradle build fields: buildConfigField("String", "NAME", "\"value\"") (Kotlin DSL)
# or buildConfigField 'String', 'NAME', '"value"' (Groovy): the value is a Java literal inside
# the string, judged under NAME.
_BUILD_CONFIG_RE = _lazy(
    "_BUILD_CONFIG_RE",
    r"buildConfigField[ \t]*\(?[ \t]*[\"']String[\"'][ \t]*,[ \t]*[\"']([\w.]{1,128})[\"'][ \t]*,"
    r"[ \t]*(?:\"\\\"([^\"\\\n]{1,1024})\\\"\"|'\"([^\"'\n]{1,1024})\"')",
)


def _build_config_field(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _BUILD_CONFIG_RE.match(text, pos)
    if m is None:
        return
    name = m.group(1)
    strength = _name_strength(name)
    group = 2 if m.group(2) is not None else 3
    if strength and _value_is_secret(
        m.group(group), _Value(m.start(group), m.end(group), True, True), strength, name
    ):
        out.append((m.start(group), m.end(group), _assignment_kind(name), _PRIO_GENERIC))


# A TOTP seed named in prose ("otp seed for the admin account: <base32>"): the first base32
# word of 16+ characters on the line after the words. The seed every authenticator's docs
# print (JBSWY3DPEHPK3PXP, "Hello!" and 0xDEADBEEF) is an example.
_OTP_TRIGGERS = tuple(
    f"{otp} {word}"
    # (not "OTP …"/"MFA …": their capitals would be new scan stops; "TOTP", "2FA" are not)
    for otp in ("otp", "totp", "TOTP", "2fa", "2FA", "mfa")
    for word in ("seed", "secret")
)
_BASE32_RE = _lazy("_BASE32_RE", r"(?<![A-Za-z0-9])[A-Z2-7]{16,128}={0,6}(?![A-Za-z0-9])")
_OTP_EXAMPLES = frozenset({"JBSWY3DPEHPK3PXP"})


# ---------------------------------------------------------------------------------------------
# Enterprise configuration files whose secret no assignment names: ASP.NET's machineKey and
# DataProtection key ring, Symfony's vault key, WildFly's credential references, Spring Boot's
# actuator, Windows commands that take /user: and /pass:.
# ---------------------------------------------------------------------------------------------
# <machineKey validationKey="<hex>" decryptionKey="<hex>" …/>: the keys that sign and encrypt
# forms-auth tickets and view state ("AutoGenerate,IsolateApps" lets the runtime make them).
_MACHINE_KEY_RE = _lazy(
    "_MACHINE_KEY_RE", r"validationKey[ \t]*=[ \t]*([\"'])([0-9A-Fa-f]{32,256})\1"
)
# ASP.NET Core DataProtection's key ring (keys/key-<guid>.xml): an unencrypted <masterKey> holds
# the key in a <value> child, after a comment saying so.
_MASTER_KEY_RE = _lazy("_MASTER_KEY_RE", r"<masterKey\b[^<>]{0,512}>")
# Symfony's secrets vault: <env>.decrypt.private.php returns the key as a string of \xNN
# escapes (rawurlencode with "%" made "\x"); its .encrypt.public.php twin is public.
_VAULT_KEY_RE = _lazy(
    "_VAULT_KEY_RE",
    r"[^\n]{0,256}\s{0,64}return[ \t]+\"((?:\\x[0-9A-Fa-f]{2}|[A-Za-z0-9\-_.~]){32,4096})\";",
)
# WildFly/JBoss Elytron: <credential-reference clear-text="…"/>, and the CLI's
# credential-reference={clear-text=…}.
_CLEAR_TEXT_RE = _lazy(
    "_CLEAR_TEXT_RE",
    r"clear-text[ \t]*=[ \t]*(?:\"([^\"\n]{1,1024})\"|'([^'\n]{1,1024})'|([^\s,}\"'/>]{1,1024}))",
)
# Spring Boot's actuator, asked for one property (GET /actuator/env/<name>): the response gives
# its value (unless sanitised to "******") once per property source.
_ACTUATOR_NAME_RE = _lazy("_ACTUATOR_NAME_RE", r"actuator/env/([\w.\-\[\]]{1,128})")
_JSON_VALUE_RE = _lazy("_JSON_VALUE_RE", r'"value"[ \t]*:[ \t]*"((?:[^"\\\n]|\\.){1,1024})"')
_ACTUATOR_SPAN = 4096
# Windows commands with slash options: cmdkey /user:NAME /pass:PW, schtasks … /ru NAME /rp PW,
# net user NAME PW /add.
_SLASH_USER_RE = _lazy("_SLASH_USER_RE", r"[ \t]/(?:u|user|ru)[:\s]", re.I)
_SLASH_PASS_RE = _lazy("_SLASH_PASS_RE", r"/(?:pass|password|rp)(?::|[ \t]+)" + _CLI_WORD, re.I)
_NET_USER_RE = _lazy(
    "_NET_USER_RE",
    r"net[ \t]+user[ \t]+(?:\"[^\"\n]{1,64}\"|[^\s/*\"]{1,64})[ \t]+([^\s/*\"%$][^\s]{0,255})"
    r"[ \t]+/(?:add|domain)\b",
    re.I,
)


def _machine_key(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _MACHINE_KEY_RE.match(text, pos)
    if m is not None and not _is_placeholder(m.group(2), quoted=True):
        out.append((m.start(2), m.end(2), "secret-assignment", _PRIO_GENERIC))


def _master_key(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _MASTER_KEY_RE.match(text, pos)
    child = _XML_CHILD_VALUE_RE.match(text, m.end()) if m is not None else None
    if child is None:
        return
    value = child.group(2)
    if _looks_random(value) and not _CIPHERTEXT_RE.match(value):
        out.append((child.start(2), child.end(2), "secret-assignment", _PRIO_GENERIC))


def _vault_key(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _VAULT_KEY_RE.match(text, pos)
    if m is not None and m.group(1).count("\\x") >= 8:
        out.append((m.start(1), m.end(1), "private-key", _PRIO_GENERIC))


def _clear_text(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _CLEAR_TEXT_RE.match(text, pos)
    if m is None:
        return
    g = next(i for i in (1, 2, 3) if m.group(i) is not None)
    value = _Value(m.start(g), m.end(g), g < 3, True)
    if _value_is_secret(m.group(g), value, _STRONG, "password"):
        out.append((m.start(g), m.end(g), "password-assignment", _PRIO_GENERIC))


def _actuator_env(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _ACTUATOR_NAME_RE.match(text, pos)
    if m is None or _name_strength(m.group(1)) != _STRONG:
        return
    hi = min(len(text), m.end() + _ACTUATOR_SPAN)
    nxt = text.find("\n$ ", m.end(), hi)  # the transcript's next command
    for v in _JSON_VALUE_RE.finditer(text, m.end(), hi if nxt < 0 else nxt):
        value = _Value(v.start(1), v.end(1), True, True)
        if _value_is_secret(v.group(1), value, _STRONG, m.group(1)):
            out.append((v.start(1), v.end(1), "password-assignment", _PRIO_GENERIC))


def _slash_pass(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    line = _line_before(text, pos)
    if _SLASH_USER_RE.search(line) is None:
        return  # a password only beside a user name: a lone switch may be another tool's
    m = _SLASH_PASS_RE.match(text, pos + 1)
    if m is not None:
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        _add_literal(out, m.start(g), m.end(g), "password-flag", m.group(g), quoted=g < 3)


def _net_user(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _NET_USER_RE.match(text, pos)
    if m is not None:
        _add_literal(out, m.start(1), m.end(1), "password-flag", m.group(1))


def _otp_seed(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    if pos > 0 and text[pos - 1].isalnum():
        return
    hi = min(len(text), pos + _CONTEXT_WINDOW)
    nl = text.find("\n", pos, hi)
    m = _BASE32_RE.search(text, pos + len(hit), hi if nl < 0 else nl)
    if m is None:
        return
    seed = m.group().rstrip("=")
    if (
        seed not in _OTP_EXAMPLES
        and seed not in _published_values()
        and sum(c.isdigit() for c in seed) >= 2
        and len(set(seed)) >= 10
        and not _is_token_placeholder(seed)
    ):
        out.append((m.start(), m.end(), "otp-seed", _PRIO_CONTEXT))


# "user / password" written in prose or a comment: "creds: billing_ro / <password>", "login
# with admin / <password>", or a comment line holding just the pair. The line must name
# credentials (or be that bare comment), and the word after the slash must be password-shaped
# with a symbol, or random ("the login page / SignIn2Page" is no pair).
_PAIR_USER_RE = _lazy("_PAIR_USER_RE", r"`?[\w.@+\-]{2,64}`?\Z")
_PAIR_VALUE_RE = _lazy(
    "_PAIR_VALUE_RE", r" / `?([^\s`'\"()\[\]{}<>/]{8,128}?)`?(?=[.,;:!?]?(?:\s|\Z))"
)
_PAIR_CUE_RE = _lazy(
    "_PAIR_CUE_RE",
    r"\b(?:creds?|credentials?|account|login|log in|username|user|password|passwd|pw)\b",
    re.I,
)
_BARE_COMMENT_RE = _lazy("_BARE_COMMENT_RE", r"[ \t]*(?://|#|--|;|\*)[ \t]*\Z")


def _slash_pair(text: str, pos: int, _hit: str, out: list[_Cand]) -> None:
    m = _PAIR_VALUE_RE.match(text, pos)
    if m is None:
        return
    line_start = text.rfind("\n", max(0, pos - _LINE_WINDOW), pos) + 1
    user = _PAIR_USER_RE.search(text, line_start, pos)
    if user is None or user.group().strip("`").isdigit():
        return
    before = text[line_start : user.start()]
    if _PAIR_CUE_RE.search(before) is None and _BARE_COMMENT_RE.fullmatch(before) is None:
        return
    value = m.group(1)
    ctx = _Value(m.start(1), m.end(1), False, True, comment=True)
    if (
        _password_shaped(value)
        and (_PASSWORD_SYMBOL_RE.search(value) is not None or _looks_random(value))
        and _value_is_secret(value, ctx, _STRONG, "password")
    ):
        out.append((m.start(1), m.end(1), "password-assignment", _PRIO_GENERIC))


# ---------------------------------------------------------------------------------------------
# The trigger scanner.
# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# Wallets: seed phrases (BIP-39), private keys in the forms web3 tools take them.
# ---------------------------------------------------------------------------------------------
# A secp256k1 private key as Ethereum's tools write it: 32 bytes in hex, "0x" or not.
_PRIVATE_KEY_HEX_RE = _lazy("_PRIVATE_KEY_HEX_RE", r"(?:0x)?[0-9a-fA-F]{64}")
_SEED_LENGTHS = frozenset({12, 15, 18, 21, 24})


@cache
def _bip39_words() -> frozenset[str]:
    from gitgate.safety.tokentable import load_bip39

    return load_bip39()


def _seed_phrase(value: str) -> bool:
    """12 to 24 words of the BIP-39 list: a wallet's seed, unless a published one (Hardhat's
    "test test … junk", the standard's test vectors) or a fill of one word ("abandon … about")."""
    words = value.split()
    if len(words) not in _SEED_LENGTHS or len(set(words)) < len(words) // 2:
        return False
    wordlist = _bip39_words()
    return all(w in wordlist for w in words) and " ".join(words) not in _published_values()


# A run of 12 or more lowercase words (BIP-39's are 3 to 8 letters long) on one line; the
# phrase is its last 12 to 24 (a label's words may come first).
_WORD_RUN_RE = _lazy(
    "_WORD_RUN_RE", r"(?<![A-Za-z\-])[a-z]{3,8}(?:[ \t]+[a-z]{3,8}){11,31}(?![A-Za-z\-])"
)
_SEED_LENGTHS_DOWN = tuple(sorted(_SEED_LENGTHS, reverse=True))
_SEED_LINES = 4
_SEED_SPAN = 1024


def _seed_phrase_after(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    """A seed phrase after a name or label of one: MNEMONIC="…", accounts: { mnemonic: "…" },
    const seedPhrase =\n  '…', a tool's "Save this seed phrase …:" then the words on the next
    line. Only words of the BIP-39 list count, so an instruction's "mnemonic" or prose does
    not; the phrase is looked for on the rest of the line and the few lines after it."""
    if hit.lower() == "phrase" and text[max(0, pos - 4) : pos].lower() == "pass":
        return  # a passphrase: a password's name, the assignment detector's
    at, hi = pos + len(hit), min(len(text), pos + _SEED_SPAN)
    for _ in range(_SEED_LINES):
        line_end = text.find("\n", at, hi)
        line_end = hi if line_end < 0 else line_end
        for run in _WORD_RUN_RE.finditer(text, at, line_end):
            words = run.group().split()
            for n in _SEED_LENGTHS_DOWN:
                if len(words) >= n and _seed_phrase(" ".join(words[-n:])):
                    # (the phrase ends the run: words before it are a label's)
                    start = run.start() + _word_offset(run.group(), len(words) - n)
                    out.append((start, run.end(), "seed-phrase", _PRIO_GENERIC))
                    return
        if line_end >= hi:
            return
        at = line_end + 1


def _word_offset(run: str, skip: int) -> int:
    """Where word number ``skip`` of a run of words separated by blanks starts."""
    at = 0
    for _ in range(skip):
        while run[at] not in " \t":
            at += 1
        while run[at] in " \t":
            at += 1
    return at


# Solana's Keypair.fromSecretKey(Uint8Array.from([…64 bytes…])): the secret key as numbers.
_KEYPAIR_SPAN = 1024


def _secret_key_bytes(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    at = text.find("[", pos + len(hit), pos + len(hit) + 64)
    if at < 0:
        return
    m = _BYTE_ARRAY_RE.match(text, at, at + _KEYPAIR_SPAN)
    if m is not None and all(int(n) < 256 for n in re.findall(r"\d+", m.group())):
        out.append((m.start(), m.end(), "private-key", _PRIO_GENERIC))


# minisign and rsign (Tauri's updater) secret key files: "untrusted comment: minisign encrypted
# secret key" and a base64 line; Tauri's TAURI_SIGNING_PRIVATE_KEY is that file in base64
# ("dW50cnVzdGVkIGNvbW1lbnQ6" is "untrusted comment:"). Public keys' and signatures' comments
# say "public key" and "signature from … secret key".
_MINISIGN_LINE_RE = _lazy(
    "_MINISIGN_LINE_RE", r"untrusted comment:([^\n]{0,256})\r?\n[ \t]*([A-Za-z0-9+/]{40,512}={0,2})"
)
_MINISIGN_B64_RE = _lazy(
    "_MINISIGN_B64_RE", r"dW50cnVzdGVkIGNvbW1lbnQ6[A-Za-z0-9+/]{16,8192}={0,2}"
)


def _minisign_secret(comment: str) -> bool:
    low = comment.lower()
    return "secret key" in low and "signature" not in low


def _minisign_key(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    if hit.startswith("untrusted"):
        m = _MINISIGN_LINE_RE.match(text, pos)
        if m is not None and _minisign_secret(m.group(1)):
            out.append((m.start(2), m.end(2), "private-key", _PRIO_PEM))
        return
    m = _MINISIGN_B64_RE.match(text, pos)
    if m is None:
        return
    head = m.group()[:128]
    try:
        decoded = binascii.a2b_base64(head[: len(head) - len(head) % 4]).decode("utf-8", "replace")
    except binascii.Error:
        return
    if _minisign_secret(decoded.split("\n", 1)[0]):
        out.append((m.start(), m.end(), "private-key", _PRIO_PEM))


# Hardhat's and Truffle's network settings: accounts: ["0x<key>", …], privateKeys: […].
_ACCOUNTS_LIST_RE = _lazy("_ACCOUNTS_LIST_RE", r"[\"']?[ \t]*(?:=>|[:=])[ \t]*\[\s{0,64}(?=[\"'])")
_LIST_ITEM_RE = _lazy("_LIST_ITEM_RE", r"([\"'])((?:0x)?[0-9a-fA-F]{64})\1\s{0,64}(,\s{0,64})?")


def _accounts_list(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    if pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        return
    m = _ACCOUNTS_LIST_RE.match(text, pos + len(hit))
    at = m.end() if m is not None else -1
    for _ in range(_CALL_MAX_ARGS if m is not None else 0):
        item = _LIST_ITEM_RE.match(text, at)
        if item is None:
            return
        key = item.group(2)
        if key not in _published_values() and not _is_token_placeholder(key):
            out.append((item.start(2), item.end(2), "private-key", _PRIO_GENERIC))
        if item.group(3) is None:
            return
        at = item.end()


# A terminal transcript printing a file that holds one secret (cat ~/.tauri/app.key, type
# keystore\password.txt, cat .secret, cat ~/.config/solana/id.json): the line it prints is
# the secret. The file's name says so: a password, secret, token, seed or key file, or a
# wallet's keypair.
_PRINT_FILE_RE = _lazy(
    "_PRINT_FILE_RE",
    r"(?:sudo[ \t]+)?(?:cat|type|Get-Content)(?:[ \t]+-[\w-]+)*"
    r"[ \t]+[\"']?([^\s\"'|;&<>]{1,256})[\"']?[ \t]*\r?$",
    re.M,
)
_SECRET_FILE_RE = _lazy(
    "_SECRET_FILE_RE",
    r"(?:^|[/\\])(?:\.?[\w.\-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|mnemonic|seed|"
    r"api[_\-]?key|private[_\-]?key)[\w.\-]*|[\w.\-]+\.(?:key|pass|secret|seed)"
    r"|[\w.\-]*keypair[\w.\-]*\.json|id\.json)$",
    re.I,
)
_PASSWORD_FILE_RE = _lazy("_PASSWORD_FILE_RE", r"pass|pwd|secret[^/\\]*$", re.I)
_PRINTED_LINE_RE = _lazy("_PRINTED_LINE_RE", r"[ \t]*([^\r\n]{6,4096}?)[ \t]*\r?(?:\n|\Z)")
# A keypair file of Solana's CLI: the 64 bytes of the secret key as a JSON array.
_BYTE_ARRAY_RE = _lazy("_BYTE_ARRAY_RE", r"\[\s*(?:\d{1,3}\s*,\s*){63}\d{1,3}\s*\]")


def _printed_key_file(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    line_start = text.rfind("\n", max(0, pos - _LINE_WINDOW), pos) + 1
    prompt = _PROMPT_RE.match(text, line_start, pos)
    if prompt is None or text[prompt.end() : pos].strip() not in ("", "sudo"):
        return
    m = _PRINT_FILE_RE.match(text, pos)
    if m is None or _SECRET_FILE_RE.search(m.group(1)) is None:
        return
    line2 = m.end() + 1
    printed = _PRINTED_LINE_RE.match(text, line2) if line2 < len(text) else None
    if printed is None or _PROMPT_RE.match(text, line2) is not None:
        return
    nxt = printed.end()
    if nxt < len(text) and text[nxt] not in "\r\n":
        following = text[nxt : text.find("\n", nxt, nxt + 256) % (nxt + 256) or nxt + 256]
        if _PROMPT_RE.match(following.rstrip() + " ") is None:
            return  # more lines follow: a file of several entries, judged by their own names
    value = printed.group(1)
    if value.startswith("-----BEGIN"):
        return  # a PEM block (the key detector's)
    word = " " not in value and "\t" not in value and len(value) <= 1024
    if (
        _seed_phrase(value)
        or _BYTE_ARRAY_RE.fullmatch(value) is not None
        or (word and _lone_secret_word(value, min_len=12))
        # a password file's one line is the password, whatever it looks like
        or (
            word and _PASSWORD_FILE_RE.search(m.group(1)) and not _PASSWORD_HASH_RE.fullmatch(value)
        )
    ):
        _add_literal(out, printed.start(1), printed.end(1), "printed-secret", value)


def _build_handlers() -> dict[str, list[_Handler]]:
    table: dict[str, list[_Handler]] = {}

    def add(triggers: Iterable[str], handler: _Handler) -> None:
        for t in triggers:
            table.setdefault(t, []).append(handler)

    for provider in _providers():
        add(provider.triggers, _provider_handler(provider))
    for trigger, handler in _load_calls():
        add((trigger,), handler)
    for triggers, handler in _load_cli():
        add(triggers, handler)
    add((":A",), _telegram)
    add(("-----BEGIN ",), _pem)
    add(("Private-Lines:",), _putty)
    add((" -p", "\t-p", " -a", "\t-a"), _cli_password)
    add(_CLI_FLAGS, _cli_flag)
    add(("pass:",), _openssl_pass)
    add((" -U",), _smb_user)
    add(("/user:", "/USER:"), _net_use)
    add(("htpasswd",), _htpasswd)
    add(("on >",), _redis_acl)
    add(("rabbitmqctl",), _rabbitmqctl)
    # (gpg --passphrase-fd 0: the passphrase is read from stdin, as a login's password is)
    add(("sudo -S", "--password-stdin", "chpasswd", *_PASSPHRASE_FD), _echo_pipe)
    add(_STDIN_SECRET_SETTERS, _echo_pipe)
    add(("--password-stdin", "chpasswd", *_PASSPHRASE_FD), _heredoc_input)
    # aws ssm put-parameter is anchored at "SecureString" (a plain String is configuration).
    add(("secret set", "secretsmanager", "SecureString"), _secret_cli)
    add(("--from-literal=",), _from_literal)
    add(("ConvertTo-SecureString",), _secure_string)
    add(("IDENTIFIED ", "identified ", "Identified "), _identified_by)
    add(("CREATE ", "create ", "Create "), _create_secret)
    add(
        (*_case_variants("mnemonic"), "PHRASE", "Phrase", "phrase", "SEED", "Seed"),
        _seed_phrase_after,
    )
    add(("accounts", "privateKeys"), _accounts_list)
    add(("fromSecretKey(",), _secret_key_bytes)
    add(("untrusted comment:", "dW50cnVzdGVkIGNvbW1lbnQ6"), _minisign_key)
    add(("cat ", "type ", "Get-Content "), _printed_key_file)
    add(("SMTP.start(",), _smtp_start)
    add(("acc_", "acc-"), _authress)  # not ".acc": "." would be a new scan stop
    # Not lowercase "dsn": a scan stop at every "d" (the Go form is caught by "@tcp(").
    add(("DSN", "Dsn"), _keyword_dsn)
    add(("@tcp(", "@unix(", "@udp("), _dsn)
    add(("thin:",), _oracle_thin)
    add(
        (
            "auth=", "auth =", "Auth(", "auth(", "login(", "Login(", "Credential(",
            "Credentials(", "bind_s(", "simple_bind(", "Authentication(",
        ),
        _auth_tuple,
    )  # fmt: skip
    add(("machine ", "default login", "default\n", "default\r"), _netrc)
    add((":5432:", ":*:"), _pgpass)
    add(("BUNDLE_",), _bundler_credentials)
    add(('"result"',), _terraform_random_result)
    add(('"AUTH"', "AUTH "), _redis_auth)
    add(("SET PASSWORD FOR", "set password for", "Set Password For"), _set_password_for)
    add(('variable "',), _terraform_default)
    add(('resource "',), _terraform_resource)
    add(('"kty"',), _jwk)
    # (the API server takes the kind case-sensitively; manifests in docs and tests do not)
    add(
        (
            "kind: Secret",
            'kind: "Secret"',
            "kind: 'Secret'",
            "kind: secret",
            'kind: "secret"',
            "kind: 'secret'",
        ),
        _k8s_secret,
    )
    add(("://",), _url_credentials)
    add(("://",), _sentry_dsn)
    add(("Bearer", "bearer", "BEARER", "Basic", "BASIC", "Token", "Digest"), _auth_header)
    # A lowercase "basic" only after the header's name: the word alone is everywhere.
    add(("ization: basic", "IZATION: basic"), _lowercase_basic)
    add(("-u ", "--user"), _curl_user)
    add(("Cookie:", "cookie:", "COOKIE:"), _cookie_header)
    add(("ruby/object:HTTP::Cookie",), _ruby_cookie)
    add(('"Cookie"', '"cookie"', "'Cookie'"), _cookie_field)
    add(
        _case_variants("aws"),
        _context_handler("aws-secret-access-key", _AWS_SECRET_RE, _aws_secret_shape),
    )
    # A key id names its provider as well as the word does: the secret written beside it on
    # its line (a constructor's next argument, "AKIA… / <secret>" in a ticket) is its half.
    add(
        ("AKIA", "ASIA"),
        _context_handler("aws-secret-access-key", _AWS_SECRET_RE, _aws_secret_shape),
    )
    add(
        ("LTAI",),
        _context_handler("alibaba-access-key-secret", _ALIBABA_SECRET_RE, _aws_secret_shape),
    )
    add(_case_variants("heroku"), _context_handler("heroku-api-key", _UUID_RE))
    add(_case_variants("twilio"), _context_handler("twilio-auth-token", _HEX32_40_RE))
    # Lowercase "datadog" would cost a scan stop at every "d"; lowercase names such as
    # dd_api_key are strong assignment names anyway.
    add(("DATADOG", "Datadog", "DD_"), _context_handler("datadog-key", _HEX32_40_RE))
    add(_case_variants("vault"), _context_handler("vault-token", _VAULT_LEGACY_RE))
    # Infura's project id (now its "API key") and secret: 32 hex digits named near "Infura"
    # (not lowercase: its endpoints' "infura.io/v3/<key>" is a token of the table).
    add(("INFURA", "Infura"), _context_handler("infura-key", _HEX32_RE))
    add(_case_variants("pass", "pwd", "secret", "token", "key", "auth", "cred"), _assignment)
    add(_case_variants("encrypt"), _assignment)
    # ?appid=… (OpenWeatherMap and others): a key-ish name, so only a generated value counts.
    add((*_case_variants("appid"), "AppID", "AppId"), _assignment)
    # Personal access tokens (GITHUB_PAT, azure_devops_pat): not lowercase "pat", in "path".
    # Only where the name ends: "_pat" alone would stop the scan at every "path" and "pattern".
    add((p + e for p in ("_pat", "_PAT", "Pat") for e in ("=", " ", ":", '"', "'")), _assignment)
    # bind_pw, LDAP_PW, bindPw: anchored at "pw"/"PW"/"Pw" ("p" and "P" are scan stops already;
    # "_pw" + an operator would anchor at "w " and stop the scan at every "new ", "show ").
    add(("_pw", "_PW", "Pw"), _assignment)
    # LDAP's bindpw/rootpw (nslcd.conf, slapd.conf, Helm values): one word, no "_" before "pw".
    add(("bindpw", "rootpw", "BINDPW", "ROOTPW"), _assignment)
    add(_case_variants("wif"), _assignment)
    # wp-config's LOGGED_IN_SALT/NONCE_SALT, Rails' salts: a key-ish name (a generated value
    # only), with no other trigger word in it (AUTH_SALT has "AUTH").
    add(("SALT", "_salt", "Salt"), _assignment)
    add(
        (
            "base64 -d", "base64 --decode", "base64 -D", "get-secret-value", "kv get",
            "secrets versions access", "auth token", "print-access-token", "op read",
            "pass show", "find-generic-password", "config:get", "get-login-password",
            "get-authorization-token", "auth:token", *_ENCODE_TRIGGERS,
        ),
        _printed_secret,
    )  # fmt: skip
    add(("master.key", "vault_pass", "vault-pass"), _key_file_diff)
    add(
        (
            "keys list", "keys renew", "key list", "keys show", "list-keys", "admin-key show",
            "credential show", "Get-Az",
        ),
        _key_listing,
    )  # fmt: skip
    add(("insecure-password", "stats auth "), _haproxy)
    add(("]:587 ", "]:465 ", "]:25 ", "]:2525 ", "]:submission "), _line_password(_SASL_PASSWD_RE))
    add(('" "', '"\t"'), _userlist)
    add(('"sensitive": true', '"sensitive":true'), _sensitive_output)
    # Wi-Fi pre-shared keys (NetworkManager's psk=, wpa_supplicant's psk="…"), anchored where
    # the name starts a line or follows a separator.
    add(("\npsk=", "\npsk =", "\tpsk=", " psk=", "\nPSK=", " psk:"), _psk_assignment)
    # $pat = '…' (PowerShell, PHP, Perl): anchored at the sigil, read from the name after it
    # (not "$PAT"/"$Pat": their anchor would be the capital, a stop at every "Path").
    add(("$pat",), _sigil_assignment)
    # Session cookies pasted as name=value (from devtools, a captured request): sessionid=…,
    # _app_session=…, PHPSESSID=…; key-ish names, so only a generated value counts.
    # (not a bare "session=": an "s" anchor would stop the scan at every "s")
    add(("_session=", "sessionid=", "SESSID=", "SESSIONID="), _assignment)
    add(
        (*_case_variants("pagerduty"), "PagerDuty"),
        _context_handler("pagerduty-key", _HEX32_RE),
    )
    add((" / ",), _slash_pair)
    add(("pw `", "PW `"), _assignment)
    add(_B64_WRAPPED_TRIGGERS, _base64_wrapped)
    add(
        (
            "ToBase64String(",
            "btoa(",
            "b64encode(",
            "encodeToString(",
            "strict_encode64(",
            "Buffer.from(",
        ),
        _encoded_basic,
    )
    add(("buildConfigField",), _build_config_field)
    add(_OTP_TRIGGERS, _otp_seed)
    add(("validationKey",), _machine_key)
    add(("<masterKey",), _master_key)
    add(("decrypt.private",), _vault_key)
    add(("clear-text",), _clear_text)
    add(("actuator/env/",), _actuator_env)
    add(
        (" /pass:", " /PASS:", " /Pass:", " /password:", " /Password:", " /rp ", " /RP "),
        _slash_pass,
    )
    add(("net user ", "NET USER ", "net USER "), _net_user)
    add(
        (*_case_variants("gocardless"), "GoCardless"),
        _context_handler("gocardless-token", _GOCARDLESS_RE),
    )
    return table


# A terminal transcript in which a command prints a secret: the line after the prompt that ran
# it is the secret (``$ gh auth token`` then ``gho_…``; ``$ kubectl get secret x -o
# jsonpath='{.data.password}' | base64 -d`` then the password). Only a prompt starts such a
# line ("$ ", "% ", "user@host:~$ ", "PS C:\\> ", and a CI log's "+ " that set -x writes
# before each command it runs): a "#" line is as often a comment in a script, whose next line
# is code.
_PROMPT_RE = _lazy(
    "_PROMPT_RE",
    r"[ \t]*(?:[\w.\-]+@[\w.\-]+(?::[^\s$#]{0,128})?[$#]|\$|%|❯|PS(?: [^>\n]{0,128})?>|\+{1,4})"
    r"[ \t]+",
)
# A secret decoded from a Kubernetes Secret's data needs both words on the line.
_DECODES_SECRET_RE = _lazy("_DECODES_SECRET_RE", r"secret|\.data\b", re.I)
_PRINTED_VALUE_RE = _lazy("_PRINTED_VALUE_RE", r"[ \t]*(\S{8,512}?)(?:\$[ \t]+)?\r?$", re.M)


def _printed_secret(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    line_start = text.rfind("\n", max(0, pos - _LINE_WINDOW), pos) + 1
    encodes = hit in _ENCODE_TRIGGERS
    if encodes and line_start == 0 and pos > _LINE_WINDOW:
        return  # (an encoding pipe is met on long lines too: its command must be near it)
    prompt = _PROMPT_RE.match(text, line_start, pos)
    if prompt is None:
        return
    line_end = text.find("\n", pos, pos + _LINE_WINDOW if encodes else len(text))
    if line_end < 0:
        return
    command = text[prompt.end() : line_end]
    if "$(" in command or "`" in command or ">" in command.replace("2>", ""):
        return  # the value went into a variable or a file, not onto the screen
    if encodes:
        if _DECODE_FLAG_RE.match(text, pos + len(hit)) is not None:
            return  # "| base64 -w0 -d": the decoding triggers judge it
        if not _echoes_secret_variable(text, max(prompt.end(), pos - 256), pos + 6):
            return
    elif (
        hit.startswith("base64")
        and _DECODES_SECRET_RE.search(command) is None
        and not _echoes_secret_variable(text, max(prompt.end(), pos - 256), pos + len(hit))
    ):
        return
    m = _PRINTED_VALUE_RE.match(text, line_end + 1)
    if m is None or _PROMPT_RE.match(text, line_end + 1, m.end()) is not None:
        return
    value = m.group(1)
    if _lone_secret_word(value) or (
        encodes and _BASE64_WORD_RE.fullmatch(value) is not None and len(set(value)) >= 6
    ):
        _add_literal(out, m.start(1), m.end(1), "printed-secret", value)


# echo "$REGISTRY_PASSWORD" | base64 (a CI job's debugging): the line it prints is the secret
# in base64, as good as the secret; | base64 -d of such a variable prints the secret itself.
_ECHOED_VARIABLE_RE = _lazy(
    "_ECHOED_VARIABLE_RE",
    r"(?<![\w.\-/$])(?:echo|printf)(?:[ \t]+-[neE]{1,3})*"
    r"(?:[ \t]+(?:'%s[^'%]{0,8}'|\"%s[^\"%]{0,8}\"))?[ \t]+"
    r"[\"']?\$\{?([A-Za-z_]\w{0,127})\}?[\"']?[ \t]*\|[ \t]*base64\b",
)
# (anchored at "64", as the decoding triggers are: a "|" anchor would stop the scan at every
# pipe and "||" of every text)
_ENCODE_TRIGGERS = ("base64\n", "base64\r", "base64 -w")
_DECODE_FLAG_RE = _lazy("_DECODE_FLAG_RE", r"[^|;&\n]{0,64}?(?:[ \t]-[a-zA-Z]*[dD]|--decode)\b")
_BASE64_WORD_RE = _lazy("_BASE64_WORD_RE", r"[A-Za-z0-9+/]{8,4096}={0,2}")


def _echoes_secret_variable(text: str, lo: int, hi: int) -> bool:
    m = _ECHOED_VARIABLE_RE.search(text, lo, hi)
    return m is not None and _name_strength(m.group(1)) == _STRONG


# A cloud CLI command that prints account keys (az storage account keys list, az cognitiveservices
# account keys list, az redis list-keys, az acr credential show, Get-AzStorageAccountKey): in its
# output (a table, JSON or TSV, up to the next prompt or blank line) every generated-looking word
# is a key, whatever its column is called ("Value", "key1", "primaryKey").
_KEY_LISTING_RE = _lazy(
    "_KEY_LISTING_RE",
    r"(?:\baz[ \t][^\n]{0,256}?\b(?:keys?[ \t]+(?:list|renew|show)|list-keys|admin-key[ \t]+show"
    r"|credential[ \t]+show)"
    r"|Get-Az[A-Za-z]{0,64}Key)\b",
)
_LISTED_WORD_RE = _lazy(
    "_LISTED_WORD_RE", r"(?<![\w+/=\-])[A-Za-z0-9+/_\-]{20,1024}={0,2}(?![\w+/=\-])"
)
_LISTING_LINES = 32
_LISTING_SPAN = 16384


def _key_listing(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    line_start = text.rfind("\n", max(0, pos - _LINE_WINDOW), pos) + 1
    if line_start == 0 and pos > _LINE_WINDOW:
        return  # a line too long to be a command
    prompt = _PROMPT_RE.match(text, line_start, pos)
    at = prompt.end() if prompt is not None else line_start
    while at < pos and text[at] in " \t":
        at += 1
    if not text.startswith(("az ", "az\t", "Get-Az"), at):
        return  # the command itself must start the line: not a sentence about it
    line_end = text.find("\n", pos, pos + _LINE_WINDOW)
    listing = _KEY_LISTING_RE.match(text, at, line_end) if line_end >= 0 else None
    if listing is None or listing.end() < pos + len(hit):
        return  # (no output below, a line too long to be a command, or its first hit judges)
    command = text[at:line_end]
    if "$(" in command or "`" in command or ">" in command.replace("2>", ""):
        return  # the keys went into a variable or a file, not onto the screen
    limit = min(len(text), line_end + _LISTING_SPAN)
    start, seen = line_end + 1, False
    for _ in range(_LISTING_LINES):
        if start >= limit:
            return
        end = text.find("\n", start, limit)
        end = limit if end < 0 else end
        if not text[start:end].strip():
            if seen:
                return  # the end of the output (PowerShell's starts with a blank line)
            start = end + 1
            continue
        if _PROMPT_RE.match(text, start, end) is not None or text.startswith(
            ("az ", "Get-Az"), start
        ):
            return  # the next command
        seen = True
        for m in _LISTED_WORD_RE.finditer(text, start, end):
            word = m.group()
            if _looks_random(word, min_len=20) or _dense_random(word):
                _add_literal(out, m.start(), m.end(), "printed-secret", word)
        start = end + 1


# A diff that adds a file whose whole content is a key: Rails' config/master.key (32 hex
# digits), Ansible's vault password file. Its name is on the "+++ b/" line; the value is the
# first added line of the hunk below, a single word.
_KEY_FILE_HEADER_RE = _lazy(
    "_KEY_FILE_HEADER_RE",
    r"\+\+\+ (?:b/)?(?:[^\s]*/)?(?:master\.key|\.?vault[_\-]pass(?:word)?(?:\.txt)?)\r?\n",
)
_ADDED_WORD_RE = _lazy("_ADDED_WORD_RE", r"@@[^\n]{0,256}\n\+[ \t]*(\S{8,512})[ \t]*\r?(?:\n|\Z)")


def _key_file_diff(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    line_start = text.rfind("\n", max(0, pos - _LINE_WINDOW), pos) + 1
    header = _KEY_FILE_HEADER_RE.match(text, line_start)
    if header is None:
        return
    m = _ADDED_WORD_RE.match(text, header.end())
    if m is None:
        return
    if _lone_secret_word(m.group(1)):
        _add_literal(out, m.start(1), m.end(1), "key-file", m.group(1))


# Configuration lines whose password sits in a fixed position, with no name before it:
# HAProxy's `user NAME insecure-password PW` and `stats auth USER:PW`, Postfix's sasl_passwd
# (`[smtp.example.com]:587 user:password`), PgBouncer's userlist.txt (`"user" "password"`).
_HAPROXY_RE = _lazy(
    "_HAPROXY_RE", r"(?:insecure-password|stats[ \t]+auth[ \t]+[^\s:]{1,64}:)[ \t]*(\S{1,256})"
)
_SASL_PASSWD_RE = _lazy(
    "_SASL_PASSWD_RE",
    r"[ \t]*\[[\w.\-]{1,253}\](?::\w{1,16})?[ \t]+[^\s:]{1,128}:(\S{1,256})[ \t]*\r?$",
    re.M,
)
_USERLIST_RE = _lazy("_USERLIST_RE", r"\"[^\"\s]{1,64}\"[ \t]+\"([^\"\n]{1,256})\"[ \t]*\r?$", re.M)
# The same file is recognised by its name, or by a sibling line holding a hash (mkauth.py and
# auth_query write SCRAM verifiers and md5 hashes): its other values are plain passwords, however
# they are spelt (pgbouncer compares them as written), the way pg_hba's users choose them.
_USERLIST_HASH_RE = _lazy(
    "_USERLIST_HASH_RE",
    r"^\"[^\"\s]{1,64}\"[ \t]+\"(?:md5[0-9a-f]{32}|SCRAM-SHA-256\$\d)",
    re.M,
)
_USERLIST_SPAN = 2048


def _lone_secret_word(value: str, min_len: int = 16) -> bool:
    """A word standing alone where a secret goes (a printed line, a key file, a config
    field): a secret if password-shaped or random, and not a stored hash. Placeholders are
    left out by :func:`_add_literal`."""
    if _PASSWORD_HASH_RE.fullmatch(value):
        return False
    return _password_shaped(value) or _looks_random(value, min_len=min_len)


def _haproxy(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    m = _HAPROXY_RE.match(text, pos)
    if m is not None and not _PASSWORD_HASH_RE.fullmatch(m.group(1)):
        _add_literal(out, m.start(1), m.end(1), "password-in-config", m.group(1))


def _userlist_file(text: str, pos: int) -> bool:
    """Whether the ``"user" "value"`` line at ``pos`` is in a userlist.txt: named so above it,
    or beside a line holding a hash. (str.find first: every line of a long file of quoted
    pairs asks, and must not cost a regex search of its surroundings each.)"""
    if text.find("userlist", max(0, pos - _USERLIST_SPAN), pos) >= 0:
        return True
    lo, hi = max(0, pos - _USERLIST_SPAN // 2), min(len(text), pos + _USERLIST_SPAN // 2)
    for marker in ('"md5', '"SCRAM-SHA-256$'):
        at = text.find(marker, lo, hi)
        for _ in range(4):
            if at < 0:
                break
            line_start = text.rfind("\n", max(0, at - 72), at) + 1
            if _USERLIST_HASH_RE.match(text, line_start) is not None:
                return True
            at = text.find(marker, at + 1, hi)
    return False


def _userlist(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    line_start = text.rfind("\n", max(0, pos - _LINE_WINDOW), pos) + 1
    m = _USERLIST_RE.match(text, line_start)
    if m is None or m.start(1) < pos:
        return
    value = m.group(1)
    if _PASSWORD_HASH_RE.fullmatch(value):
        return
    if not _lone_secret_word(value, min_len=12):
        if len(value) < 4 or _is_prose(value) or not _userlist_file(text, pos):
            return
    _add_literal(out, m.start(1), m.end(1), "password-in-config", value)


def _line_password(pattern: re.Pattern[str]) -> _Handler:
    def handle(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
        line_start = text.rfind("\n", max(0, pos - _LINE_WINDOW), pos) + 1
        m = pattern.match(text, line_start)
        if m is None or m.start(1) < pos:
            return
        if _lone_secret_word(m.group(1), min_len=12):
            _add_literal(out, m.start(1), m.end(1), "password-in-config", m.group(1))

    return handle


# terraform output -json: an output marked sensitive carries its value in clear.
_SENSITIVE_VALUE_RE = _lazy(
    "_SENSITIVE_VALUE_RE", r"[^{}]{0,256}?\"value\"[ \t]*:[ \t]*\"((?:[^\"\\\n]|\\.){1,4096})\""
)


def _sensitive_output(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    m = _SENSITIVE_VALUE_RE.match(text, pos + len(hit))
    if m is not None:
        _add_literal(out, m.start(1), m.end(1), "sensitive-output", m.group(1), quoted=True)


def _sigil_assignment(text: str, pos: int, hit: str, out: list[_Cand]) -> None:
    _assignment(text, pos + 1, hit[1:], out)


# Discord bot tokens have no literal to trigger on, and their first characters vary too much
# to serve as one (other scanners' examples use any letters after M/N/O). Their middle does
# not: ".xxxxxx." then 27+ characters. One whole-text scan for that middle costs about 1% of
# a scan; each hit then looks back for the id part.
_DISCORD_MID_RE = _lazy("_DISCORD_MID_RE", r"\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27}")


def _discord_bots(text: str, out: list[_Cand]) -> None:
    for mid in _DISCORD_MID_RE.finditer(text):
        dot = mid.start()
        for start in range(max(0, dot - 28), dot - 23):  # the id part: 24 to 28 characters
            if text[start] not in "MNO":
                continue
            m = _DISCORD_BOT_RE.match(text, start)
            if m is not None:
                if _looks_random(m.group(), min_len=50):
                    out.append((m.start(), m.end(), "discord-bot-token", _PRIO_PROVIDER))
                break  # the leftmost match is the token; a later M/N/O is inside it


# Rough character frequencies (percent) in code and prose. Each trigger is scanned for from
# its rarest character: the scanner stops at every occurrence of a trigger's first character,
# so a trigger starting with "e" or "t" would make it stop at a third of the text.
_CHAR_FREQ = dict(
    zip(
        "etaoinsrlhdcumpfgywbvkxjqz",
        (12, 9, 8, 8, 7, 7, 7, 6.5, 4.5, 4, 4, 3.5, 3, 3, 2.5, 2.5, 2, 2, 2, 1.5, 1, 0.8, 0.3,
         0.2, 0.1, 0.1),
        strict=True,
    )
)  # fmt: skip
_PUNCT_FREQ = {" ": 15, ".": 3, "_": 3, "-": 1.5, "=": 1.5, "(": 1.5, ")": 1.5, '"': 1.5}


def _char_cost(ch: str) -> float:
    if ch in _CHAR_FREQ:
        return _CHAR_FREQ[ch]
    if ch.isupper():
        return 0.6
    return 1.0 if ch.isdigit() else _PUNCT_FREQ.get(ch, 0.8)


def _anchor_offset(literal: str) -> int:
    """Offset of the rarest character of ``literal`` that still leaves >= 2 chars to match."""
    head = literal[: max(1, len(literal) - 1)]
    if head.isascii():
        # The same choice through str.translate: each character replaced by one that sorts
        # as its cost, so min() and index() run in C (~1 ms of the hook's first scan).
        ranked = head.translate(_cost_ranks())
        return ranked.index(min(ranked))  # the first of the rarest
    costs = [_char_cost(ch) for ch in head]
    return costs.index(min(costs))


@cache
def _cost_ranks() -> dict[int, str]:
    """A ``str.translate`` table: every ASCII character to a character whose order is its
    cost's order among ASCII characters' costs (equal costs, equal characters)."""
    costs = sorted({_char_cost(chr(i)) for i in range(128)})
    return {i: chr(0x100 + costs.index(_char_cost(chr(i)))) for i in range(128)}


_Trie: TypeAlias = "dict[str, _Trie]"


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, factored as a trie so each position costs one test.

    Terminal nodes become greedy optional groups, so the longest trigger wins.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        # Children that end a word become one character class: a node with many of them
        # ("pat" + 56 letters) would otherwise cost a branch test each at every "pat".
        leaves = sorted(ch for ch, child in node.items() if ch and child == {"": {}})
        leaves = leaves if len(leaves) > 1 else []
        # Most frequent characters first: branches of a node start with distinct characters,
        # so their order never changes the match, but the engine tries them in turn at every
        # candidate position, and most positions hold a frequent character.
        children = sorted(node.items(), key=lambda kv: (-_char_cost(kv[0]) if kv[0] else 0, kv[0]))
        branches = [re.escape(ch) + build(child) for ch, child in children if ch not in leaves]
        branches = [b for b in branches if b]
        if leaves:
            branches.append("[" + "".join(re.escape(ch) for ch in leaves) + "]")
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return build(trie)


# One dispatch entry: (full trigger literal, its anchor offset, handlers).
_Entry = tuple[str, int, list[_Handler]]


def _build_dispatch() -> dict[str, list[_Entry]]:
    dispatch: dict[str, list[_Entry]] = {}
    for literal, handlers in _build_handlers().items():
        off = _anchor_offset(literal)
        dispatch.setdefault(literal[off:], []).append((literal, off, handlers))
    dispatch.setdefault(MARKER_PREFIX, []).append((MARKER_PREFIX, 0, []))
    return dispatch


# Below this many characters scanned in a process, anchors are found with ``str.find`` (one
# pass per anchor, ~1 us each on a short text); past it, the trigger trie is compiled (~7 ms,
# then one pass over the text for all anchors). A pre-receive hook scans a few short entries,
# notes and messages per push and never pays for the trie; an export or a large diff does.
_FIND_BUDGET = 64 * 1024


class _Scanner:
    """The trigger set: built on first use, not at import (``gitgate --help`` and every
    command that never redacts would otherwise pay for ~100 vendor patterns). The trie regex
    over every anchor is compiled only once enough text has been scanned to repay it."""

    __slots__ = ("dispatch", "entries_for_hit", "overlaps", "_trigger_re", "_found_chars", "_lock")

    def __init__(self, dispatch: dict[str, list[_Entry]]) -> None:
        self.dispatch = dispatch
        # Per-hit caches, filled as hits are met.
        self.entries_for_hit: dict[str, list[_Entry]] = {}
        self.overlaps: dict[str, bool] = {}
        self._trigger_re: re.Pattern[str] | None = None
        self._found_chars = 0
        self._lock = _thread.allocate_lock()

    def overlaps_another(self, hit: str) -> bool:
        """Whether a trigger anchor could begin inside ``hit`` (after its first character)."""
        found = self.overlaps.get(hit)
        if found is None:
            tails = [hit[i:] for i in range(1, len(hit))]
            found = any(a.startswith(s) or s.startswith(a) for s in tails for a in self.dispatch)
            self.overlaps[hit] = found
        return found

    def entries_for(self, hit: str) -> list[_Entry]:
        """Entries of ``hit`` and of every anchor that is a prefix of it (longest match wins)."""
        found = self.entries_for_hit.get(hit)
        if found is None:
            found = [e for a, es in self.dispatch.items() if hit.startswith(a) for e in es]
            self.entries_for_hit[hit] = found
        return found

    def trigger_re(self) -> re.Pattern[str]:
        if self._trigger_re is None:
            with self._lock:
                if self._trigger_re is None:
                    self._trigger_re = re.compile(_trie_pattern(self.dispatch))
        return self._trigger_re

    def hits(self, text: str) -> list[tuple[int, str]]:
        """Every position where an anchor occurs, ascending, with the longest anchor there.

        Each anchor occurring at a position is a prefix of the longest one there, so
        :meth:`entries_for` of the longest covers them all: both ways of searching (the trie,
        or ``str.find`` per anchor) give the same list.
        """
        if self._trigger_re is None and self._found_chars + len(text) <= _FIND_BUDGET:
            self._found_chars += len(text)
            return self._hits_by_find(text)
        return self._hits_by_trie(text)

    def _hits_by_find(self, text: str) -> list[tuple[int, str]]:
        longest: dict[int, str] = {}
        find = text.find
        for anchor in self.dispatch:
            at = find(anchor)
            while at >= 0:
                if len(anchor) > len(longest.get(at, "")):
                    longest[at] = anchor
                at = find(anchor, at + 1)
        return sorted(longest.items())

    def _hits_by_trie(self, text: str) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        search, overlaps = self.trigger_re().search, self.overlaps
        m = search(text)
        while m is not None:
            anchor, hit = m.start(), m.group()
            out.append((anchor, hit))
            # Triggers can overlap ("-p" of " -p" and "pass" of "--password"): resume inside
            # the hit only when another trigger could start there.
            again = overlaps.get(hit)
            if again is None:
                again = self.overlaps_another(hit)
            m = search(text, anchor + 1 if again else m.end())
        return out


@lru_cache(maxsize=1)
def _scanner() -> _Scanner:
    return _Scanner(_build_dispatch())


def _candidates(text: str) -> tuple[list[_Cand], list[tuple[int, int]]]:
    cands: list[_Cand] = []
    markers: list[tuple[int, int]] = []
    skip_until = 0
    scanner = _scanner()
    # The per-hit cache is read inline: a method call per hit was ~1 % of a scan.
    entries_of = scanner.entries_for_hit
    for anchor, hit in scanner.hits(text):
        entries = entries_of.get(hit)
        if entries is None:
            entries = scanner.entries_for(hit)
        for literal, off, handlers in entries:
            pos = anchor - off
            if pos < skip_until or pos < 0 or not text.startswith(literal, pos):
                continue  # inside an existing [REDACTED:...] marker, or not the full trigger
            if literal == MARKER_PREFIX:
                mm = _MARKER_RE.match(text, pos)
                if mm is not None:
                    markers.append(mm.span())
                    skip_until = mm.end()
                continue
            for handler in handlers:
                handler(text, pos, literal, cands)
    _discord_bots(text, cands)
    if cands:
        _drop_lone_identifiers(cands)
        _drop_published_defaults(text, cands)
    if cands:
        _wrapped_values(text, cands)
        cands.extend(_echoes(text, cands))
    return cands, markers


# A backslash at the end of a line joins the next line to the value before it, in every syntax
# that has one: a shell word (quoted or not), a C/Python string, a .properties value, a YAML
# double-quoted scalar, a Makefile line. So a finding that ends there (or just after the
# backslash) goes on over the next line's first word: "Bearer abc\<newline>def" is one token.
_WRAPPED_RE = _lazy("_WRAPPED_RE", r"\\\r?\n[ \t]{0,64}([^\s\"'`\\,;]{1,4096})")
_MAX_WRAPS = 8


def _wrapped_values(text: str, cands: list[_Cand]) -> None:
    for i, (start, end, kind, prio) in enumerate(cands):
        at = end - 1 if text[end - 1 : end] == "\\" else end
        if not text.startswith("\\", at):
            continue  # the common case: one comparison per finding
        new_end = end
        for _ in range(_MAX_WRAPS):
            m = _WRAPPED_RE.match(text, at)
            if m is None or _KEY_LINE_RE.match(text, m.start(1)) is not None:
                break  # (a "name=" line starts a new entry, as _continued_lines decides)
            new_end = at = m.end()
            if not text.startswith("\\", at):
                break
        cands[i] = (start, new_end, kind, prio)


# A secret found once is a secret wherever else it appears nearby: the password of
# "MYSQL_ROOT_PASSWORD: x" again in a healthcheck's "-px", in a DSN, in a log line. Only values
# that cannot be common text (8+ characters, not a word or a number alone), and only within a
# window around the finding (the same file, at the scale of a config file), so the extra work
# stays bounded per finding.
_ECHO_MIN = 8
_ECHO_WINDOW = 4096


def _echoes(text: str, cands: list[_Cand]) -> list[_Cand]:
    out: list[_Cand] = []
    find = text.find
    repeated: dict[str, list[_Cand]] = {}
    for cand in cands:
        start, end, kind, prio = cand
        if end - start < _ECHO_MIN or end - start > 1024 or prio <= _PRIO_CONTEXT:
            continue  # (a context guess, "a 40-character word near 'aws'", is not spread)
        value = text[start:end]
        lo, hi = max(0, start - _ECHO_WINDOW), min(len(text), end + _ECHO_WINDOW)
        # Searched before the value is judged: most values occur once, and the search (two
        # C-level finds) costs less than judging the value's shape.
        if find(value, lo, start) >= 0 or find(value, end, hi) >= 0:
            repeated.setdefault(value, []).append(cand)
    for value, found in repeated.items():
        if not _echo_worthy(value):
            continue
        # One pass over the union of the windows of every finding of this value: a text of
        # thousands of the same finding must not make each of them search its window.
        known = {start for start, _, _, _ in found}
        kind = found[0][2]
        windows = sorted(
            (max(0, s - _ECHO_WINDOW), min(len(text), e + _ECHO_WINDOW)) for s, e, _, _ in found
        )
        lo, hi = windows[0]
        for nlo, nhi in [*windows[1:], (len(text) + 1, 0)]:
            if nlo <= hi:
                hi = max(hi, nhi)
                continue
            at = find(value, lo, hi)
            while at >= 0:
                if at not in known:
                    out.append((at, at + len(value), kind, _PRIO_CONTEXT))
                at = find(value, at + len(value), hi)
            lo, hi = nlo, nhi
    return out


def _echo_worthy(value: str) -> bool:
    """Already judged a secret where it was found; elsewhere it must not be ordinary text
    either: password-shaped, random, or all four kinds of character ("CopperNebula75*"). Not
    a name such as "types-pywin32" (a false positive there must not spread)."""
    if any(c.isspace() for c in value) or MARKER_PREFIX in value:
        return False
    return (
        _password_shaped(value)
        or _four_kinds(value)
        or _looks_random(value)
        or (len(value) >= 16 and _PASSPHRASE_RE.fullmatch(value) is not None)
    )


# A passphrase of three or more words (diceware, "willow-copper-harbor-99"): ordinary words
# one by one, yet not ordinary text once joined; "types-pywin32" has two parts.
_PASSPHRASE_RE = _lazy("_PASSPHRASE_RE", r"[a-z]{3,}(?:[-_.][a-z]{3,}){2,}(?:[-_.]?[0-9]{1,6})?")


def _overlaps_marker(start: int, end: int, markers: list[tuple[int, int]]) -> bool:
    return any(ms < end and start < me for ms, me in markers)


def _merge(cands: list[_Cand], markers: list[tuple[int, int]]) -> list[_Cand]:
    """Union overlapping candidates; the highest-priority (then longest) one names the span."""
    merged: list[_Cand] = []
    for start, end, kind, prio in sorted(cands):
        if start >= end or (markers and _overlaps_marker(start, end, markers)):
            continue
        if merged and start < merged[-1][1]:
            ps, pe, pk, pp = merged[-1]
            if (prio, end - start) > (pp, pe - ps):
                pk, pp = kind, prio
            merged[-1] = (ps, max(pe, end), pk, pp)
        else:
            merged.append((start, end, kind, prio))
    return merged


def find_secrets(text: str) -> list[SecretFinding]:
    """Find the secrets in ``text``.

    Args:
        text: any text: a diff, a commit message, a config file, a command line.

    Returns:
        Findings sorted by ``start``, non-overlapping. Each span covers the secret value only,
        never the key name or prefix before it. Existing ``[REDACTED:...]`` markers are not
        reported again.
    """
    cands, markers = _candidates(text)
    findings: list[SecretFinding] = []
    line, counted = 1, 0
    for start, end, kind, _prio in _merge(cands, markers):
        line += text.count("\n", counted, start)
        counted = start
        findings.append(SecretFinding(kind, start, end, line))
    return findings


def redact(text: str) -> str:
    """Replace every secret in ``text`` with ``[REDACTED:<kind>]``.

    Args:
        text: the text to clean.

    Returns:
        The text with each finding's span replaced. Idempotent: redacting the result again
        changes nothing.
    """
    return redact_counted(text)[0]


# A secret glued to another one ("ghp_…--password hunter2") can hide the second from the
# first pass: its detector needs a boundary that only the first marker provides. Passes repeat
# (only when one found something) until nothing more is found, so the result is a fixpoint.
MAX_PASSES = 4


def redact_counted(text: str) -> tuple[str, int]:
    """Redact to a fixpoint; return the text and how many spans were replaced."""
    total = 0
    for _ in range(MAX_PASSES):
        findings = find_secrets(text)
        if not findings:
            break
        text = _splice(text, findings)
        total += len(findings)
    return text, total


# Large texts are redacted window by window so a 50 MB file is never decoded whole: each window
# is scanned with CONTEXT more bytes on both sides, cut at line ends, and keeps only the
# findings that start inside it. No detector looks further than CONTEXT (the longest is a PEM
# body of 32 KiB), so the findings are those of a scan of the whole text.
WINDOW = 4 << 20
CONTEXT = 64 << 10


def redact_bytes(
    data: bytes | bytearray, *, window: int = WINDOW, context: int = CONTEXT
) -> tuple[bytes | bytearray, int]:
    """Redact the secrets in text bytes; return the new bytes and how many were replaced.

    Bytes that are not UTF-8 survive unchanged (surrogateescape), so only secrets change.
    When nothing is found, ``data`` itself is returned (no copy).

    Args:
        data: the text, any size.
        window: bytes judged per scan (tests make it small to exercise the seams).
        context: bytes of context scanned on each side of a window.
    """
    if len(data) <= window + 2 * context:
        text, count = redact_counted(data.decode("utf-8", "surrogateescape"))
        return (text.encode("utf-8", "surrogateescape"), count) if count else (data, 0)
    parts: list[bytes] = []
    count = 0
    start = done = 0  # start: where the current window begins; done: bytes already in parts
    while start < len(data):
        end = _line_end(data, start + window)
        out, consumed, found = _redact_window(data, start, end, context)
        if found:
            parts.append(bytes(data[done:start]))
            parts.append(out)
            done = start + consumed
            count += found
        start = max(end, start + consumed)
    if not count:
        return data, 0
    parts.append(bytes(data[done:]))
    return b"".join(parts), count


def _line_end(data: bytes | bytearray, pos: int) -> int:
    """The offset just past the first newline at or after ``pos`` (or the end)."""
    if pos >= len(data):
        return len(data)
    nl = data.find(b"\n", pos)
    return len(data) if nl < 0 else nl + 1


def _redact_window(
    data: bytes | bytearray, start: int, end: int, context: int
) -> tuple[bytes, int, int]:
    """Redact the findings starting in ``data[start:end]``, scanning ``context`` around it.

    Returns:
        (the redacted bytes replacing ``data[start:start + consumed]``, ``consumed``, how many
        findings). ``consumed`` passes ``end`` when the last finding runs past it.
    """
    lo = data.rfind(b"\n", 0, max(0, start - context)) + 1
    hi = _line_end(data, end + context)
    region = data[lo:hi]
    text = region.decode("utf-8", "surrogateescape")
    if region.isascii():  # one character per byte: offsets carry over
        first, last = start - lo, end - lo
    else:
        # Window boundaries are line ends, where UTF-8 sequences never split: decoding the
        # parts separately gives the same characters as decoding the whole.
        first = len(data[lo:start].decode("utf-8", "surrogateescape"))
        last = first + len(data[start:end].decode("utf-8", "surrogateescape"))
    findings = [f for f in find_secrets(text) if first <= f.start < last]
    if not findings:
        return b"", 0, 0
    stop = max(last, findings[-1].end)
    shifted = [SecretFinding(f.kind, f.start - first, f.end - first, f.line) for f in findings]
    piece = text[first:stop]
    consumed = len(piece.encode("utf-8", "surrogateescape"))
    cleaned, more = redact_counted(_splice(piece, shifted))  # the later passes, in the piece
    return cleaned.encode("utf-8", "surrogateescape"), consumed, len(findings) + more


def _splice(text: str, findings: list[SecretFinding]) -> str:
    parts: list[str] = []
    pos = 0
    for f in findings:
        parts.append(text[pos : f.start])
        parts.append(f"{MARKER_PREFIX}{f.kind}]")
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def redact_data(value: object) -> object:
    """Redact every string inside a JSON-like structure.

    Dict keys are kept as they are. A string value stored under a secret-named key
    (``password``, ``api_key``, ``token``...) is replaced whole by ``[REDACTED:secret-value]``
    unless it is a placeholder; every other string goes through :func:`redact`.

    Args:
        value: a str, dict, list or tuple (nested freely); other values are returned as is.

    Returns:
        A new structure of the same shape.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_item(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_data(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_data(v) for v in value)
    return value


def _redact_item(key: object, value: object) -> object:
    if isinstance(key, str) and isinstance(value, str):
        strength = _name_strength(key)
        if strength == _STRONG and not _is_placeholder(value) and value.strip():
            return _DATA_MARKER
        if strength == _KEYISH and _looks_random(value.strip()):
            return _DATA_MARKER
    return redact_data(value)
