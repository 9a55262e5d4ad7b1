"""The server-rendered pages: ``/``, ``/p/<id>``, ``/audit``, sign-in, live events, static.

The core actions are plain HTML forms (approve, reject with a reason), so the pages work with
JavaScript off; ``app.js`` only adds live rows and notifications.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

import anyio
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gitgate.journal.records import AuditEntry, Proposal
from gitgate.web.app import (
    MAX_BODY,
    MAX_REASON,
    VALID_STATUSES,
    ApiError,
    Caller,
    Server,
    approve_as,
    checked_id,
    gate_call,
    proposal_title,
    rendered_diff,
    safe_next,
    sse_response,
    waits_for,
)

FORM_TYPE = "application/x-www-form-urlencoded"
DONE_MESSAGES = {"rejected": "Rejected."}


def routes(server: Server) -> list[Route]:
    """The page routes of ``server``."""
    return [
        Route("/", _page(server, _list_page), methods=["GET"]),
        Route("/p/{pid}", _page(server, _proposal_page), methods=["GET"]),
        Route("/p/{pid}/approve", _form(server, _approve_form), methods=["POST"]),
        Route("/p/{pid}/reject", _form(server, _reject_form), methods=["POST"]),
        Route("/audit", _page(server, _audit_page), methods=["GET"]),
        Route("/login", _login_page(server), methods=["GET"]),
        Route("/login", _login_form(server), methods=["POST"]),
        Route("/logout", _form(server, _logout_form), methods=["POST"]),
        Route("/events", _events(server), methods=["GET"]),
        Route("/static/{name}", _static(server), methods=["GET"]),
        Route("/favicon.ico", _no_icon, methods=["GET"]),
    ]


Handler = Callable[[Server, Request, Caller], Response]
FormHandler = Callable[[Server, Request, Caller, dict[str, str]], Response]


def _page(server: Server, handler: Handler) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        token = request.query_params.get("token")
        if token is not None and server.config.auth.tokens is not None:
            return _sign_in_from_url(server, request, token)
        caller = server.require(request)
        return await anyio.to_thread.run_sync(handler, server, request, caller)

    return endpoint


def _form(server: Server, handler: FormHandler) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        caller = server.require(request)
        fields = await _read_form(request)
        server.check_post(request, caller, fields.get("csrf"))
        return await anyio.to_thread.run_sync(handler, server, request, caller, fields)

    return endpoint


async def _read_form(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM_TYPE:
        raise ApiError(400, "expected a form", "submit the page's own form")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise ApiError(413, "form too large")
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as err:
        raise ApiError(400, "malformed form") from err
    return {key: values[0] for key, values in parsed.items()}


# -- signing in -----------------------------------------------------------------------------


def _sign_in_from_url(server: Server, request: Request, token: str) -> Response:
    """``/?token=…`` (the URL ``gitgate serve`` printed): a session cookie, then a clean URL."""
    assert server.config.auth.tokens is not None
    identity = server.config.auth.tokens.identify(token)
    if identity is None:
        raise ApiError(401, "bad token", "open the URL gitgate serve printed")
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    target = request.url.path + ("?" + urlencode(rest) if rest else "")
    return _signed_in(server, identity, target)


def _signed_in(server: Server, identity: str, target: str) -> Response:
    # The token leaves the address bar (and the history) at once: 303 to the same page.
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        server.config.cookie_name,
        server.sessions.create(identity),
        httponly=True,
        samesite="strict",
        secure=server.config.secure_cookies,
        path="/",
    )
    return response


def _login_page(server: Server) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        next_path = request.query_params.get("next", "/")
        return server.render(
            "login.html",
            error=None,
            proxy=server.config.auth.proxy_header,
            next=safe_next(next_path),
            caller=None,
        )

    return endpoint


def _login_form(server: Server) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        headers = request.headers
        from gitgate.web import auth

        if not auth.same_origin(
            headers.get("origin"), headers.get("host"), headers.get("sec-fetch-site")
        ):
            raise ApiError(403, "cross-origin request refused", "use gitgate's own pages")
        fields = await _read_form(request)
        tokens = server.config.auth.tokens
        identity = tokens.identify(fields.get("token", "").strip()) if tokens else None
        if identity is None:
            raise ApiError(401, "bad token", "paste the token gitgate serve printed")
        return _signed_in(server, identity, safe_next(fields.get("next", "/")))

    return endpoint


def _logout_form(server: Server, request: Request, caller: Caller, _f: dict[str, str]) -> Response:
    server.sessions.drop(caller.session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(server.config.cookie_name, path="/", httponly=True, samesite="strict")
    return response


# -- the list -------------------------------------------------------------------------------


def list_url(**params: str | int | None) -> str:
    """The list page URL with these filters (empty ones left out)."""
    kept = {k: v for k, v in params.items() if v not in (None, "", 0)}
    return "/" + ("?" + urlencode(kept) if kept else "")


def audit_rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """The audit log for the page, newest first, every value redacted."""
    rows = []
    for entry in reversed(entries):
        what = ""
        if "merge" in entry.commits:
            what = f"-> {entry.commits['merge'][:12]}"
        elif "reason" in entry.details:
            what = str(entry.details["reason"])
        rows.append(
            {
                "seq": entry.seq,
                "time": entry.time,
                "event": entry.event,
                "proposal": entry.proposal,
                "actor": entry.actor,
                "what": what,
            }
        )
    return rows


def _list_page(server: Server, request: Request, caller: Caller) -> Response:
    params = request.query_params
    status = params.get("status", "")
    status = status if status in VALID_STATUSES else ""
    target = params.get("target", "").strip()
    requester = params.get("requester", "").strip()
    q = params.get("q", "").strip().lower()
    page = _page_number(params.get("page"))
    gate = server.gate
    policy = gate_call(gate.policy)
    since = gate.store.resolve(policy.refs.notes)
    everything = gate_call(lambda: gate.list(status=status or None))
    targets = sorted({p.target for p in everything})
    chosen = [p for p in reversed(everything) if _matches(p, target, requester, q)]
    size = server.config.page_size
    shown = chosen[page * size : (page + 1) * size]
    rows = [_row(p, caller.identity, policy.approvers) for p in shown]
    filters = {"status": status, "target": target, "requester": requester, "q": q}
    return server.render(
        "list.html",
        caller=caller,
        csrf=server.csrf(caller),
        live=True,
        since=since,
        rows=rows,
        total=len(chosen),
        waiting=sum(1 for p in chosen if waits_for(p, caller.identity, policy.approvers)),
        statuses=VALID_STATUSES,
        targets=targets,
        filters=filters,
        filtered=any(filters.values()),
        newer_url=list_url(**filters, page=page - 1) if page > 0 else None,
        older_url=list_url(**filters, page=page + 1) if len(chosen) > (page + 1) * size else None,
    )


def _page_number(text: str | None) -> int:
    try:
        return max(0, min(int(text or 0), 1_000_000))
    except ValueError:
        return 0


def _matches(p: Proposal, target: str, requester: str, q: str) -> bool:
    if target and p.target != target:
        return False
    if requester and requester.lower() not in p.requester.lower():
        return False
    return not q or p.id.startswith(q)


def _row(p: Proposal, identity: str, approvers: tuple[str, ...]) -> dict[str, Any]:
    return {
        "id": p.id,
        "status": p.status,
        "kind": p.kind,
        "target": p.target,
        "requester": p.requester,
        "created_at": p.created_at,
        "title": proposal_title(p),
        "waits": waits_for(p, identity, approvers),
    }


# -- one proposal ---------------------------------------------------------------------------


def _proposal_page(server: Server, request: Request, caller: Caller) -> Response:
    done = request.query_params.get("done")
    return _render_proposal(server, caller, request.path_params["pid"], done=done)


def _render_proposal(
    server: Server,
    caller: Caller,
    raw_id: str,
    *,
    done: str | None = None,
    error: ApiError | None = None,
) -> Response:
    gate = server.gate
    review = gate_call(lambda: gate.review(checked_id(raw_id)))
    p = dataclasses.replace(review.proposal, preview=review.preview)
    policy = gate_call(gate.policy)
    sections = rendered_diff(server, p)
    may = waits_for(p, caller.identity, policy.approvers)
    return server.render(
        "proposal.html",
        status=error.status if error else 200,
        caller=caller,
        csrf=server.csrf(caller),
        live=True,
        since=gate.store.resolve(policy.refs.notes),
        page_proposal=p.id,
        p=p,
        title=proposal_title(p),
        tree=review.tree,
        result_rows=_result_rows(p),
        command=p.preview.get("command") or p.arguments.get("command", ""),
        classification=p.arguments.get("classification", ""),
        reason=p.preview.get("reason", ""),
        sections=sections,
        files_note=_files_note(p, len(sections)),
        may_approve=may,
        cannot_approve=_cannot_approve(p, caller.identity, policy.approvers),
        done=_done_message(p, done),
        error=error.message if error else None,
        error_hint=error.hint if error else None,
    )


def _result_rows(p: Proposal) -> list[tuple[str, str]]:
    result = p.result
    rows: list[tuple[str, str]] = []
    if "merge" in result:
        rows.append(("merged", f"{result['merge']} into {result.get('target', p.target)}"))
    for key in ("reason", "error"):
        if key in result:
            rows.append((key, str(result[key])))
    rows.extend(("conflict", str(path)) for path in result.get("conflicts", []))
    if "exit_code" in result:
        rows.append(("exit code", str(result["exit_code"])))
    if result.get("output"):
        rows.append(("output", str(result["output"])))
    return rows


def _files_note(p: Proposal, shown: int) -> str:
    total = int(p.preview.get("files", 0) or 0)
    return f"{total} files changed" if total > shown else ""


def _cannot_approve(p: Proposal, identity: str, approvers: tuple[str, ...]) -> str:
    from gitgate.policy import same_identity, same_identity_in

    if not same_identity_in(identity, approvers):
        return f"{identity} is not an approver; only approvers can approve."
    if same_identity(identity, p.requester):
        return "You requested this proposal: another approver must approve it."
    return ""


def _done_message(p: Proposal, done: str | None) -> str | None:
    if done == "approved" and p.status == "executed":
        merge = str(p.result.get("merge", ""))[:12]
        return f"Approved: merged into {p.target} as {merge}."
    if done == "approved" and p.status == "failed":
        return f"Approved, but the merge failed: {p.result.get('error', 'unknown error')}."
    return DONE_MESSAGES.get(done or "") if done == p.status else None


def _decide(
    server: Server, caller: Caller, raw_id: str, decide: Callable[[str], Proposal], done: str
) -> Response:
    try:
        pid = checked_id(raw_id)
        p = gate_call(lambda: decide(pid))
    except ApiError as err:
        if err.status == 404:
            raise
        return _render_proposal(server, caller, raw_id, error=err)
    return RedirectResponse(f"/p/{p.id}?done={done}", status_code=303)


def _approve_form(
    server: Server, request: Request, caller: Caller, fields: dict[str, str]
) -> Response:
    reviewed = fields.get("commit", "").strip()
    gate = server.gate

    def approve(pid: str) -> Proposal:
        if not reviewed:
            raise ApiError(400, "the form names no reviewed commit", "reload the page")
        return approve_as(gate, pid, caller.identity, reviewed)

    return _decide(server, caller, request.path_params["pid"], approve, "approved")


def _reject_form(
    server: Server, request: Request, caller: Caller, fields: dict[str, str]
) -> Response:
    reason = fields.get("reason", "").strip()
    gate = server.gate

    def reject(pid: str) -> Proposal:
        if not reason:
            raise ApiError(400, "a reason is required to reject", "say why in the reason box")
        if len(reason) > MAX_REASON:
            raise ApiError(400, f"the reason is longer than {MAX_REASON} characters")
        return gate.reject(pid, reason, actor=caller.identity)

    return _decide(server, caller, request.path_params["pid"], reject, "rejected")


# -- audit, events, static ------------------------------------------------------------------


def _audit_page(server: Server, request: Request, caller: Caller) -> Response:
    gate = server.gate
    report = gate_call(gate.verify_audit)
    entries = gate_call(gate.audit)
    return server.render(
        "audit.html",
        caller=caller,
        csrf=server.csrf(caller),
        report=report,
        rows=audit_rows(entries),
    )


def _events(server: Server) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        caller = server.require(request)
        # A reconnecting EventSource names the last event it saw; that beats the page's tip.
        since = request.headers.get("last-event-id") or request.query_params.get("since")
        return sse_response(server, since, caller.identity)

    return endpoint


async def _no_icon(request: Request) -> Response:
    return Response(status_code=204)  # browsers ask for it on their own; a 404 is noise


def _static(server: Server) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        found = server.static.get(request.path_params["name"])
        if found is None:
            raise ApiError(404, "no such file")
        data, media = found
        return Response(data, media_type=media, headers={"cache-control": "no-cache"})

    return endpoint
