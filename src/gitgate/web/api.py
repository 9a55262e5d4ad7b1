"""The approvals JSON API, mirroring the seed's ``/approvals`` API.

A proposal is the object ``gitgate show --json`` prints, a list a JSON array of them (oldest
first, as ``gitgate list --json``). Every error is ``{"error", "hint", "code"}`` with its HTTP
status: 400 bad request, 401 bad or missing token, 403 not allowed (non-approver,
self-approval, cross-origin), 404 unknown id, 409 stale commit or already decided.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gitgate.safety.redaction import redact, redact_data
from gitgate.web.app import (
    MAX_BODY,
    MAX_REASON,
    VALID_STATUSES,
    ApiError,
    Caller,
    Server,
    approve_as,
    body_string,
    checked_id,
    export_response,
    gate_call,
    read_json_body,
)

Reader = Callable[[Server, Request, Caller], Any]
Decider = Callable[[Server, Request, Caller, dict[str, Any]], Any]


def routes(server: Server) -> list[Route]:
    """The API routes of ``server``."""
    return [
        Route("/api/proposals", _get(server, _list), methods=["GET"]),
        Route("/api/proposals/{pid}", _get(server, _show), methods=["GET"]),
        Route("/api/proposals/{pid}/approve", _post(server, _approve), methods=["POST"]),
        Route("/api/proposals/{pid}/reject", _post(server, _reject), methods=["POST"]),
        Route("/api/proposals/{pid}/export", _export(server), methods=["GET"]),
        Route("/api/audit", _get(server, _audit), methods=["GET"]),
        Route("/api/audit/verify", _get(server, _verify), methods=["GET"]),
        Route("/api/whoami", _get(server, _whoami), methods=["GET"]),
    ]


def _json(payload: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status)


def _get(server: Server, reader: Reader) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        caller = server.require(request)
        payload = await anyio.to_thread.run_sync(reader, server, request, caller)
        return _json(payload)

    return endpoint


def _post(server: Server, decider: Decider) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        caller = server.require(request)
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                raise ApiError(413, "request body too large")
        server.check_post(request, caller, request.headers.get("x-csrf-token"))
        body = read_json_body(raw)
        payload = await anyio.to_thread.run_sync(decider, server, request, caller, body)
        return _json(payload)

    return endpoint


def _shown(data: dict[str, Any]) -> Any:
    # Notes are redacted when written; redacting again (idempotent) covers forged notes.
    return redact_data(data)


def _list(server: Server, request: Request, caller: Caller) -> Any:
    status = request.query_params.get("status") or None
    if status is not None and status not in VALID_STATUSES:
        raise ApiError(
            400,
            f"unknown status {redact(status)[:40]!r}",
            "status is one of " + ", ".join(VALID_STATUSES),
        )
    proposals = gate_call(lambda: server.gate.list(status=status))
    return [_shown(p.to_dict()) for p in proposals]


def _show(server: Server, request: Request, caller: Caller) -> Any:
    gate = server.gate
    review = gate_call(lambda: gate.review(checked_id(request.path_params["pid"])))
    p = review.proposal
    payload = review.to_dict()
    if request.query_params.get("diff") in ("1", "true"):
        # As `gitgate show --diff --json`.
        text = gate.store.diff_text(p.base, p.commit, binary=False).decode("utf-8", "replace")
        payload["diff"] = redact(text)
    return _shown(payload)


def _approve(server: Server, request: Request, caller: Caller, body: dict[str, Any]) -> Any:
    pid = checked_id(request.path_params["pid"])
    reviewed = body_string(
        body, "commit", 'send {"commit": "<the proposal commit you reviewed>"} (GET the proposal)'
    )
    approved = gate_call(lambda: approve_as(server.gate, pid, caller.identity, reviewed.strip()))
    return _shown(gate_call(lambda: server.gate.review(approved.id)).to_dict())


def _reject(server: Server, request: Request, caller: Caller, body: dict[str, Any]) -> Any:
    pid = checked_id(request.path_params["pid"])
    reason = body_string(body, "reason", 'send {"reason": "why it is rejected"}')
    if len(reason) > MAX_REASON:
        raise ApiError(400, f"the reason is longer than {MAX_REASON} characters")
    rejected = gate_call(lambda: server.gate.reject(pid, reason, actor=caller.identity))
    return _shown(gate_call(lambda: server.gate.review(rejected.id)).to_dict())


def _export(server: Server) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        caller = server.require(request)
        pid = checked_id(request.path_params["pid"])
        response: Response = await anyio.to_thread.run_sync(
            export_response, server, pid, caller.identity
        )
        return response

    return endpoint


def _audit(server: Server, request: Request, caller: Caller) -> Any:
    return [_shown(entry.to_dict()) for entry in gate_call(server.gate.audit)]


def _verify(server: Server, request: Request, caller: Caller) -> Any:
    report = gate_call(server.gate.verify_audit)
    return {
        "ok": report.ok,
        "entries": report.entries,
        "proposals": report.proposals,
        "problems": [redact(p) for p in report.problems],
    }


def _whoami(server: Server, request: Request, caller: Caller) -> Any:
    policy = gate_call(server.gate.policy)
    from gitgate.policy import same_identity_in

    return {
        "identity": caller.identity,
        "via": caller.via,
        "approver": same_identity_in(caller.identity, policy.approvers),
    }
