"""The Starlette application of ``gitgate serve``: review pages, approvals API, live events.

Every decision goes through :class:`gitgate.workflow.Gate` exactly as the CLI's: approvers
only, no self-approval, and an approval bound to the commit the page (or the API caller)
reviewed. Everything shown passes through :func:`gitgate.safety.redaction.redact` and is escaped by
Jinja2's autoescaping (the diff is escaped by :mod:`gitgate.web.diffview`).

Endpoints that touch git are plain functions: Starlette runs them on its thread pool, and each
thread keeps its own :class:`Gate` (a pygit2 repository is not shared between threads).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
import jinja2
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gitgate import errors
from gitgate.ids import ALPHABET, ID_LENGTH, MIN_PREFIX
from gitgate.journal.records import STATUSES, Proposal, RecordError, decode_proposal
from gitgate.safety.redaction import redact
from gitgate.web import auth
from gitgate.web.diffview import FileSection, highlight_css, render_diff
from gitgate.workflow import Gate

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Referrer: "same-origin", not "no-referrer": with no-referrer, browsers send `Origin: null` on
# form posts, and the origin check could not tell our own forms from a sandboxed attacker.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
MAX_BODY = 64 * 1024  # decisions are small JSON or form bodies
MAX_REASON = 4_000

# The HTTP status of each refusal the Gate can raise (anything else it raises: 409).
ERROR_STATUS: dict[type[errors.GitgateError], int] = {
    errors.UnknownProposal: 404,
    errors.NotAnApprover: 403,
    errors.SelfApproval: 403,
    errors.CommandDenied: 403,
    errors.StaleProposal: 409,
    errors.AlreadyDecided: 409,
    errors.ConcurrentUpdate: 409,
    errors.AmbiguousProposal: 400,
    errors.NotAGitgateRepo: 500,
    errors.PolicyError: 500,
}
CODE_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    500: "internal",
}
HINT_BY_STATUS = {
    400: "check the request against docs/SERVE.md",
    401: "send `Authorization: Bearer <token>`, or open the URL `gitgate serve` printed",
    403: "this identity may not do that",
    404: "list proposals with GET /api/proposals",
    405: "see docs/SERVE.md for the methods of each route",
    409: "reload the proposal and decide again",
    413: "decision bodies are small JSON objects",
    500: "see the server's log",
}


@dataclass(frozen=True)
class ServeConfig:
    """Everything the application needs to know, fixed when it starts.

    Args:
        repo: the repository (or a directory inside it).
        auth: how identities are known (tokens or a proxy header).
        allowed_hosts: host names the ``Host`` header may carry (None: any).
        cookie_name: the session cookie (servers on other ports use other names).
        secure_cookies: add ``Secure`` to the cookie (served over https).
        poll_interval: seconds between two looks at the notes ref for live events.
        stream_seconds: an event stream ends after this; browsers reconnect by themselves.
        page_size: proposals per list page.
        prewarm: render the diffs of pending proposals in the background while the server
            runs, so that an approver's first look at a big diff is fast.
    """

    repo: str
    auth: auth.AuthConfig
    allowed_hosts: tuple[str, ...] | None = None
    cookie_name: str = "gitgate_session"
    secure_cookies: bool = False
    poll_interval: float = 1.0
    stream_seconds: float = 300.0
    page_size: int = 200
    prewarm: bool = False


class ApiError(Exception):
    """An error answered as ``{error, hint}`` (API) or an error page."""

    def __init__(self, status: int, message: str, hint: str | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.hint = hint or HINT_BY_STATUS.get(status, "")
        self.code = code or CODE_BY_STATUS.get(status, "error")

    @classmethod
    def from_gitgate(cls, err: errors.GitgateError) -> ApiError:
        """The HTTP form of an error the Gate raised."""
        status = next((s for t, s in ERROR_STATUS.items() if isinstance(err, t)), 409)
        return cls(status, redact(err.message), redact(err.hint) if err.hint else None, err.code)

    def body(self) -> dict[str, str]:
        """The JSON error body."""
        return {"error": self.message, "hint": self.hint, "code": self.code}


@dataclass(frozen=True)
class Caller:
    """Who is calling, and how they proved it."""

    identity: str
    via: str  # bearer | session | proxy
    session: str | None = None


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, the Host check first."""

    def __init__(self, app: ASGIApp, allowed_hosts: tuple[str, ...] | None) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        if not auth.host_allowed(host, self.allowed_hosts):
            # DNS rebinding: a page on another name that resolves here must not reach us.
            error = ApiError(403, "unexpected Host header", "open the URL gitgate serve printed")
            response = JSONResponse(error.body(), status_code=403)
            await _with_headers(response)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                present = {name.lower() for name, _ in message["headers"]}
                for name, value in SECURITY_HEADERS:
                    if name not in present:
                        message["headers"].append((name, value))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


class DiffCache:
    """Rendered diffs by (base, commit), least recently used first out.

    A proposal's diff is a function of two immutable commits, so a rendering never goes stale;
    highlighting a large diff costs far more than reading it (pygments lexes ~5,000 lines a
    second), and a proposal is viewed again and again while it waits. Bounded by lines.
    """

    def __init__(self, max_lines: int = 400_000, max_entries: int = 256) -> None:
        self.max_lines = max_lines
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], list[FileSection]] = OrderedDict()
        self._lines = 0
        self._lock = threading.Lock()

    def get(
        self, key: tuple[str, str], render: Callable[[], list[FileSection]]
    ) -> list[FileSection]:
        """The cached sections of ``key``, rendering (outside the lock) on a miss."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        sections = render()
        size = sum(len(section.lines) for section in sections) + 1
        with self._lock:
            if key not in self._entries and size <= self.max_lines:
                self._entries[key] = sections
                self._lines += size
                while self._lines > self.max_lines or len(self._entries) > self.max_entries:
                    _, dropped = self._entries.popitem(last=False)
                    self._lines -= sum(len(section.lines) for section in dropped) + 1
        return sections


class Server:
    """The state of one running ``gitgate serve``: config, sessions, templates, gates."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.sessions = auth.Sessions()
        self.secret = secrets.token_bytes(32)
        self._local = threading.local()
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("gitgate.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["r"] = _redacted
        self.templates.filters["short"] = lambda sha: str(sha or "")[:12]
        self.static = _load_static()
        self.diffs = DiffCache()

    @property
    def gate(self) -> Gate:
        """This thread's Gate on the repository."""
        gate: Gate | None = getattr(self._local, "gate", None)
        if gate is None:
            gate = Gate(self.config.repo)
            self._local.gate = gate
        return gate

    # -- identity --------------------------------------------------------------------------

    def caller(self, request: Request) -> Caller | None:
        """The identity behind a request, or None when it proves none."""
        cfg = self.config.auth
        if cfg.proxy_header:
            identity = auth.clean_identity(request.headers.get(cfg.proxy_header))
            return Caller(identity, "proxy") if identity else None
        assert cfg.tokens is not None
        header = request.headers.get("authorization")
        if header is None and request.url.path.startswith("/api/"):
            # Jupyter-style `?token=` works for API calls too (it never sets a cookie there).
            query_token = request.query_params.get("token")
            header = f"Bearer {query_token}" if query_token is not None else None
        if header is not None:
            # A bad bearer token is refused even if a cookie would have passed.
            found = cfg.tokens.identify(auth.bearer_token(header))
            return Caller(found, "bearer") if found else None
        sid = request.cookies.get(self.config.cookie_name)
        identity = self.sessions.identify(sid)
        return Caller(identity, "session", sid) if identity else None

    def require(self, request: Request) -> Caller:
        """The caller, or a 401."""
        found = self.caller(request)
        if found is None:
            if self.config.auth.proxy_header:
                raise ApiError(
                    401,
                    f"the proxy named no user (header {self.config.auth.proxy_header})",
                    "reach gitgate through the authenticating proxy",
                )
            if request.headers.get("authorization") is not None:
                raise ApiError(401, "bad token", HINT_BY_STATUS[401])
            raise ApiError(401, "not signed in", HINT_BY_STATUS[401])
        return found

    def csrf(self, caller: Caller) -> str:
        """The CSRF token of this caller's forms."""
        return auth.csrf_token(self.secret, caller.identity, caller.session)

    def check_post(self, request: Request, caller: Caller, presented: str | None) -> None:
        """Refuse cross-origin POSTs, and POSTs from a browser without the right CSRF token."""
        headers = request.headers
        if not auth.same_origin(
            headers.get("origin"), headers.get("host"), headers.get("sec-fetch-site")
        ):
            raise ApiError(403, "cross-origin request refused", "use gitgate's own pages")
        from_browser = caller.via == "session" or (
            caller.via == "proxy" and ("origin" in headers or "sec-fetch-site" in headers)
        )
        if from_browser and not auth.csrf_ok(
            self.secret, caller.identity, caller.session, presented
        ):
            raise ApiError(403, "missing or wrong CSRF token", "reload the page and try again")

    def render(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        """A page from a template."""
        text = self.templates.get_template(name).render(**values)
        return HTMLResponse(text, status_code=status)


def _redacted(value: object) -> str:
    return redact("" if value is None else str(value))


def _load_static() -> dict[str, tuple[bytes, str]]:
    folder = resources.files("gitgate.web") / "static"
    files = {
        "app.js": ((folder / "app.js").read_bytes(), "text/javascript; charset=utf-8"),
        "app.css": ((folder / "app.css").read_bytes(), "text/css; charset=utf-8"),
    }
    files["highlight.css"] = (highlight_css(".code").encode(), "text/css; charset=utf-8")
    return files


# -- helpers shared by pages and API -----------------------------------------------------------


def checked_id(text: str) -> str:
    """A proposal id or prefix from a URL, or a 404 (it cannot name a proposal)."""
    cleaned = text.strip().lower()
    if not (MIN_PREFIX <= len(cleaned) <= ID_LENGTH) or any(c not in ALPHABET for c in cleaned):
        raise ApiError(404, f"no proposal {text[:40]!r}", HINT_BY_STATUS[404], "unknown-proposal")
    return cleaned


def proposal_title(p: Proposal) -> str:
    """The one-line title of a proposal (as ``gitgate list`` shows it), redacted."""
    first = (p.message.strip().splitlines() or [""])[0]
    if not first:
        if p.kind == "command":
            first = str(p.arguments.get("command", "command"))
        else:
            paths = [f.path for f in p.changed_files]
            first = f"{p.kind} " + ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "")
    return redact(first)[:120]


def waits_for(p: Proposal, identity: str, approvers: Iterable[str]) -> bool:
    """Tell whether ``identity`` could approve ``p`` now (pending, approver, not requester)."""
    from gitgate.policy import same_identity, same_identity_in

    return (
        p.is_pending
        and same_identity_in(identity, tuple(approvers))
        and not same_identity(identity, p.requester)
    )


def event_payload(p: Proposal, identity: str, approvers: Iterable[str]) -> dict[str, Any]:
    """What a live event says about one proposal (redacted)."""
    return {
        "id": p.id,
        "status": p.status,
        "kind": p.kind,
        "target": redact(p.target),
        "requester": redact(p.requester),
        "created_at": redact(p.created_at),
        "commit": p.commit,
        "title": proposal_title(p),
        "url": f"/p/{p.id}",
        "waits_for_you": waits_for(p, identity, approvers),
    }


def read_json_body(raw: bytes) -> dict[str, Any]:
    """A decision's JSON body (an object), or a 400."""
    if len(raw) > MAX_BODY:
        raise ApiError(413, "request body too large")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, "the body is not JSON", 'send e.g. {"commit": "<sha>"}') from err
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def body_string(body: Mapping[str, Any], key: str, hint: str) -> str:
    """A required non-empty string field of a body, or a 400."""
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{key!r} is required", hint)
    return value


def rendered_diff(server: Server, p: Proposal) -> list[FileSection]:
    """The proposal's diff as ``gitgate show --diff`` shows it (redacted), cut and highlighted."""

    def render() -> list[FileSection]:
        raw = server.gate.store.diff_text(p.base, p.commit, binary=False)
        return render_diff(redact(raw.decode("utf-8", "replace")))

    return server.diffs.get((p.base, p.commit), render)


PREWARM_PROPOSALS = 50  # the newest pending proposals whose diffs are rendered ahead


class Prewarmer:
    """A background thread rendering the diffs of pending proposals whenever the notes move.

    Highlighting is the cost of a big proposal page; an approver usually opens a proposal
    seconds after it appears, so the rendering is done then, not while they wait.
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="gitgate-prewarm", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait a moment for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        last: str | None = None
        while not self._stop.is_set():
            try:
                last = self._warm_if_moved(last)
            except Exception:  # noqa: BLE001 - a failed warm-up only costs a slower page
                log.debug("prewarming diffs failed", exc_info=True)
            self._stop.wait(self.server.config.poll_interval)

    def _warm_if_moved(self, last: str | None) -> str | None:
        gate = self.server.gate
        tip = gate.store.resolve(gate.policy().refs.notes)
        if tip == last:
            return tip
        pending = sorted(
            gate.list(status="pending"), key=lambda p: (p.created_at, p.id), reverse=True
        )
        for proposal in pending[:PREWARM_PROPOSALS]:
            if self._stop.is_set():
                break
            rendered_diff(self.server, proposal)
        return tip


def approve_as(gate: Gate, proposal_id: str, who: str, reviewed: str) -> Proposal:
    """Approve through the Gate, bound to the reviewed commit.

    The Gate checks the reviewed commit before who is asking; the web answers who first, so
    that a caller who may not decide learns nothing else (403 before 409). The same rules run
    again inside :meth:`Gate.approve`.
    """
    from gitgate.policy import same_identity

    proposal = gate.get(proposal_id)
    policy = gate.context(proposal.target).policy
    if not policy.is_approver(who):
        raise errors.NotAnApprover(
            f"{who} is not an approver of {proposal.target}",
            hint="approvers: " + (", ".join(policy.approvers) or "(none in the policy)"),
        )
    if same_identity(who, proposal.requester):
        raise errors.SelfApproval(
            f"{who} requested {proposal.id} and cannot approve it",
            hint="another approver must review it",
        )
    return gate.approve(proposal.id, actor=who, commit=reviewed).proposal


def gate_call(call: Callable[[], Any]) -> Any:
    """Run a Gate call, turning its refusals into HTTP errors."""
    try:
        return call()
    except errors.GitgateError as err:
        raise ApiError.from_gitgate(err) from err


# -- the application ------------------------------------------------------------------------


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI application for ``config``."""
    from gitgate.web import api, pages

    server = Server(config)
    routes = [*pages.routes(server), *api.routes(server)]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        warmer = Prewarmer(server) if config.prewarm else None
        if warmer is not None:
            warmer.start()
        try:
            yield
        finally:
            if warmer is not None:
                await anyio.to_thread.run_sync(warmer.stop)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders, allowed_hosts=config.allowed_hosts)],
        exception_handlers={
            ApiError: lambda request, exc: _error_response(server, request, exc),
            HTTPException: lambda request, exc: _error_response(
                server, request, ApiError(exc.status_code, _http_message(exc))
            ),
        },
    )
    app.state.server = server
    return app


def _http_message(exc: HTTPException) -> str:
    return {404: "no such page", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))


def _error_response(server: Server, request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    headers = {"www-authenticate": "Bearer"} if exc.status == 401 else None
    if request.url.path.startswith("/api/") or request.url.path == "/events":
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
    if exc.status == 401:
        return server.render(
            "login.html",
            status=401,
            error=exc.message,
            proxy=server.config.auth.proxy_header,
            next=safe_next(request.url.path),
            caller=None,
        )
    return server.render(
        "error.html", status=exc.status, error=exc.message, hint=exc.hint, caller=None
    )


def safe_next(path: str) -> str:
    """A path to return to after signing in: only our own absolute paths."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/"


# -- live events ----------------------------------------------------------------------------


def changes_since(server: Server, since: str | None, identity: str) -> tuple[str | None, list[str]]:
    """The notes tip now and the SSE messages for the proposals changed since ``since``."""
    gate = server.gate
    policy = gate.policy()
    tip = gate.store.resolve(policy.refs.notes)
    if tip == since or since is None:
        return tip, []
    messages: list[str] = []
    for annotated, _old, new in gate.store.diff_notes(since, tip):
        if new is None:
            continue
        try:
            p = decode_proposal(new)
        except RecordError:
            continue
        if p.commit != annotated:
            continue
        data = json.dumps(event_payload(p, identity, policy.approvers), sort_keys=True)
        messages.append(f"event: proposal\ndata: {data}\n\n")
    if messages:
        messages[-1] = f"id: {tip}\n" + messages[-1]
    else:
        messages.append(f"id: {tip}\nevent: tip\ndata: {{}}\n\n")
    return tip, messages


def known_tip(server: Server, since: str | None) -> str | None:
    """``since`` when it names a notes commit here, else the current notes tip."""
    gate = server.gate
    tip = gate.store.resolve(gate.policy().refs.notes)
    if since and tip and len(since) == 40 and all(c in "0123456789abcdef" for c in since):
        # The notes ref only fast-forwards: anything else is not a state this page saw.
        if gate.store.has_object(since) and gate.store.is_ancestor(since, tip):
            return since
    return tip


async def event_stream(server: Server, since: str | None, identity: str) -> AsyncIterator[str]:
    """Server-sent events: one ``proposal`` event per new or changed proposal."""
    cfg = server.config
    last = await anyio.to_thread.run_sync(known_tip, server, since)
    yield "retry: 2000\n\n"
    deadline = time.monotonic() + cfg.stream_seconds
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        tip, messages = await anyio.to_thread.run_sync(changes_since, server, last, identity)
        last = tip
        for message in messages:
            yield message
        if messages:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 15:
            yield ": keep-alive\n\n"  # proxies close idle connections
            quiet_since = time.monotonic()
        await anyio.sleep(cfg.poll_interval)


def sse_response(server: Server, since: str | None, identity: str) -> StreamingResponse:
    """The event stream response (no buffering by proxies)."""
    return StreamingResponse(
        event_stream(server, since, identity),
        media_type="text/event-stream",
        headers={"x-accel-buffering": "no"},
    )


# -- export ---------------------------------------------------------------------------------


def export_response(server: Server, proposal_id: str, who: str) -> Response:
    """Export a proposal's bundle (recording who did) and answer its bytes."""
    folder = Path(tempfile.mkdtemp(prefix="gitgate-serve-"))
    try:
        result = gate_call(
            lambda: server.gate.export(proposal_id, folder / "bundle.tar.gz", actor=who)
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        result.path,
        media_type="application/gzip",
        filename=f"gitgate-{result.proposal_id}.tar.gz",
        headers={"x-gitgate-sha256": result.sha256},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


VALID_STATUSES = STATUSES
