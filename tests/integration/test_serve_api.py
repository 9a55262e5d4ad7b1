"""The approvals JSON API of `gitgate serve`, on real repositories (Starlette's test client).

Every route, every status code the issue names (401, 403, 404, 409) and the ones a client can
cause besides (400, 405, 413), and the `{error, hint}` body of every error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_support import MALLORY, TOKENS, World, bearer, client, make_world, token_config

from gitgate.export.review import review_bundle
from gitgate.web import auth
from gitgate.web.app import ServeConfig
from gitutil import AGENT, APPROVER, APPROVER2, freeze_clock, gitgate_ok, rev_parse


@pytest.fixture(autouse=True)
def _frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    freeze_clock(monkeypatch)
    yield


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


@pytest.fixture
def api(world: World):  # type: ignore[no-untyped-def]
    with client(token_config(world.repo)) as c:
        yield c


def assert_error(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    """An error answer: the status, a JSON `{error, hint}` body (and our `code`)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "hint", "code"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["hint"], str) and body["hint"]
    if code is not None:
        assert body["code"] == code, body
    return body


def cli_json(repo: Path, *args: str) -> object:
    return json.loads(gitgate_ok(repo, *args, "--json", actor=APPROVER))


# -- reading ---------------------------------------------------------------------------------


def test_list_is_the_cli_list(world: World, api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/api/proposals", headers=bearer(APPROVER))
    assert response.status_code == 200
    assert response.json() == cli_json(world.repo, "list")
    # the frozen clock gives both the same time: the CLI's order is then by id
    assert [p["id"] for p in response.json()] == sorted([world.write_id, world.by_bob_id])


def test_list_filters_by_status(world: World, api) -> None:  # type: ignore[no-untyped-def]
    world.gate.reject(world.by_bob_id, "not now", actor=APPROVER)
    pending = api.get("/api/proposals?status=pending", headers=bearer(APPROVER)).json()
    rejected = api.get("/api/proposals?status=rejected", headers=bearer(APPROVER)).json()
    assert [p["id"] for p in pending] == [world.write_id]
    assert [(p["id"], p["status"]) for p in rejected] == [(world.by_bob_id, "rejected")]
    assert pending == cli_json(world.repo, "list", "--status", "pending")
    assert api.get("/api/proposals?status=", headers=bearer(APPROVER)).json() == cli_json(
        world.repo, "list"
    )


def test_list_refuses_an_unknown_status(api) -> None:  # type: ignore[no-untyped-def]
    body = assert_error(api.get("/api/proposals?status=merged", headers=bearer(APPROVER)), 400)
    assert body["error"] == "unknown status 'merged'"
    assert body["hint"] == "status is one of pending, executed, failed, rejected"


def test_show_is_the_cli_show(world: World, api) -> None:  # type: ignore[no-untyped-def]
    response = api.get(f"/api/proposals/{world.write_id}", headers=bearer(MALLORY))
    assert response.status_code == 200
    body = response.json()
    assert body == cli_json(world.repo, "show", world.write_id)
    assert body["id"] == world.write_id and body["status"] == "pending"
    assert body["commit"] == rev_parse(world.repo, f"refs/heads/gitgate/pending/{world.write_id}")
    by_prefix = api.get(f"/api/proposals/{world.write_id[:5]}", headers=bearer(APPROVER))
    assert by_prefix.json() == body


def test_show_with_diff_is_the_cli_show_diff(world: World, api) -> None:  # type: ignore[no-untyped-def]
    body = api.get(f"/api/proposals/{world.write_id}?diff=1", headers=bearer(APPROVER)).json()
    assert body == cli_json(world.repo, "show", world.write_id, "--diff")
    assert "+    return 2" in body["diff"]


@pytest.mark.parametrize("pid", ["zzzzzzzzzz", "zzzz", "not-an-id!", "ab", "a" * 11])
def test_show_unknown_or_malformed_id_is_404(api, pid: str) -> None:  # type: ignore[no-untyped-def]
    body = assert_error(api.get(f"/api/proposals/{pid}", headers=bearer(APPROVER)), 404)
    assert body["code"] == "unknown-proposal"


def test_audit_is_the_cli_audit_log(world: World, api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/api/audit", headers=bearer(AGENT))
    assert response.status_code == 200
    assert response.json() == cli_json(world.repo, "audit", "log")
    assert [e["event"] for e in response.json()] == ["init", "proposed", "proposed"]


def test_audit_verify(world: World, api) -> None:  # type: ignore[no-untyped-def]
    body = api.get("/api/audit/verify", headers=bearer(AGENT)).json()
    assert body == {"ok": True, "entries": 3, "proposals": 2, "problems": []}


def test_whoami(api) -> None:  # type: ignore[no-untyped-def]
    assert api.get("/api/whoami", headers=bearer(APPROVER)).json() == {
        "identity": APPROVER,
        "via": "bearer",
        "approver": True,
    }
    assert api.get("/api/whoami", headers=bearer(MALLORY)).json()["approver"] is False


# -- approve -----------------------------------------------------------------------------------


def test_approve_executes_and_moves_main(world: World, api) -> None:  # type: ignore[no-untyped-def]
    proposal = api.get(f"/api/proposals/{world.write_id}", headers=bearer(APPROVER)).json()
    before = rev_parse(world.repo, "main")
    response = api.post(
        f"/api/proposals/{world.write_id}/approve",
        headers=bearer(APPROVER),
        json={"commit": proposal["commit"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == world.write_id and body["status"] == "executed"
    assert body["commit"] == proposal["commit"]
    after = rev_parse(world.repo, "main")
    assert after != before and body["result"]["merge"] == after
    assert (
        rev_parse(world.repo, "main^1") == before
        and rev_parse(world.repo, "main^2") == body["commit"]
    )
    assert [a["by"] for a in body["approvals"]] == [APPROVER]
    assert body == cli_json(world.repo, "show", world.write_id)
    # deciding again: already decided
    again = api.post(
        f"/api/proposals/{world.write_id}/approve",
        headers=bearer(APPROVER2),
        json={"commit": proposal["commit"]},
    )
    assert_error(again, 409, "already-decided")


def test_approve_by_a_non_approver_is_403(world: World, api) -> None:  # type: ignore[no-untyped-def]
    commit = world.gate.get(world.write_id).commit
    for who in (MALLORY, AGENT):
        response = api.post(
            f"/api/proposals/{world.write_id}/approve", headers=bearer(who), json={"commit": commit}
        )
        body = assert_error(response, 403, "not-an-approver")
        assert body["error"] == f"{who} is not an approver of main"
    # a non-approver learns nothing about the commit either: 403 before 409
    stale = api.post(
        f"/api/proposals/{world.write_id}/approve",
        headers=bearer(MALLORY),
        json={"commit": "0" * 40},
    )
    assert_error(stale, 403, "not-an-approver")
    assert world.gate.get(world.write_id).status == "pending"


def test_self_approval_is_403(world: World, api) -> None:  # type: ignore[no-untyped-def]
    commit = world.gate.get(world.by_bob_id).commit
    response = api.post(
        f"/api/proposals/{world.by_bob_id}/approve",
        headers=bearer(APPROVER2),
        json={"commit": commit},
    )
    body = assert_error(response, 403, "self-approval")
    assert body["hint"] == "another approver must review it"
    assert world.gate.get(world.by_bob_id).status == "pending"


@pytest.mark.parametrize("reviewed", ["0" * 40, "deadbeef"])
def test_approve_of_another_commit_is_409(world: World, api, reviewed: str) -> None:  # type: ignore[no-untyped-def]
    before = rev_parse(world.repo, "main")
    response = api.post(
        f"/api/proposals/{world.write_id}/approve",
        headers=bearer(APPROVER),
        json={"commit": reviewed},
    )
    body = assert_error(response, 409, "stale-proposal")
    assert "not the reviewed" in body["error"]
    assert rev_parse(world.repo, "main") == before
    assert world.gate.get(world.write_id).status == "pending"


def test_approve_by_commit_prefix(world: World, api) -> None:  # type: ignore[no-untyped-def]
    commit = world.gate.get(world.write_id).commit
    response = api.post(
        f"/api/proposals/{world.write_id}/approve",
        headers=bearer(APPROVER),
        json={"commit": commit[:12]},
    )
    assert response.status_code == 200 and response.json()["status"] == "executed"


@pytest.mark.parametrize(
    "body",
    [b"", b"{}", b'{"commit": ""}', b'{"commit": 5}', b"[1]", b"not json", b'{"commit": null}'],
)
def test_approve_needs_the_reviewed_commit(world: World, api, body: bytes) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        f"/api/proposals/{world.write_id}/approve", headers=bearer(APPROVER), content=body
    )
    assert_error(response, 400)
    assert world.gate.get(world.write_id).status == "pending"


def test_approve_unknown_id_is_404(api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        "/api/proposals/zzzzzzzzzz/approve", headers=bearer(APPROVER), json={"commit": "0" * 40}
    )
    assert_error(response, 404, "unknown-proposal")


def test_huge_body_is_413(world: World, api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        f"/api/proposals/{world.write_id}/reject",
        headers=bearer(APPROVER),
        content=b'{"reason": "' + b"x" * 100_000 + b'"}',
    )
    assert_error(response, 413)


# -- reject ------------------------------------------------------------------------------------


def test_reject_records_the_reason(world: World, api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        f"/api/proposals/{world.write_id}/reject",
        headers=bearer(APPROVER2),
        json={"reason": "tests are missing"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "rejected" and body["result"] == {"reason": "tests are missing"}
    assert body == cli_json(world.repo, "show", world.write_id)
    audit = api.get("/api/audit", headers=bearer(APPROVER)).json()
    assert audit[-1]["event"] == "rejected" and audit[-1]["actor"] == APPROVER2
    again = api.post(
        f"/api/proposals/{world.write_id}/reject",
        headers=bearer(APPROVER),
        json={"reason": "again"},
    )
    assert_error(again, 409, "already-decided")


def test_reject_redacts_the_reason(world: World, api) -> None:  # type: ignore[no-untyped-def]
    secret = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0" + "4N2q2A"  # valid CRC32
    body = api.post(
        f"/api/proposals/{world.write_id}/reject",
        headers=bearer(APPROVER),
        json={"reason": f"it leaks {secret}"},
    ).json()
    assert secret not in json.dumps(body)
    assert body["result"]["reason"].startswith("it leaks [REDACTED:")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 3}])
def test_reject_needs_a_reason(world: World, api, body: dict) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        f"/api/proposals/{world.write_id}/reject", headers=bearer(APPROVER), json=body
    )
    assert_error(response, 400)


def test_reject_by_a_non_approver_is_403(world: World, api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        f"/api/proposals/{world.write_id}/reject", headers=bearer(MALLORY), json={"reason": "spite"}
    )
    assert_error(response, 403, "not-an-approver")
    assert world.gate.get(world.write_id).status == "pending"


def test_requester_may_withdraw(world: World, api) -> None:  # type: ignore[no-untyped-def]
    # The Gate's rule: the requester may reject (withdraw) their own proposal.
    response = api.post(
        f"/api/proposals/{world.write_id}/reject",
        headers=bearer(AGENT),
        json={"reason": "withdrawn"},
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_reject_unknown_id_is_404(api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        "/api/proposals/zzzzzzzzzz/reject", headers=bearer(APPROVER), json={"reason": "x"}
    )
    assert_error(response, 404)


# -- export ------------------------------------------------------------------------------------


def test_export_returns_the_bundle(world: World, api, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    response = api.get(f"/api/proposals/{world.write_id}/export", headers=bearer(MALLORY))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/gzip"
    assert f'filename="gitgate-{world.write_id}.tar.gz"' in response.headers["content-disposition"]
    data = response.content
    assert data[:2] == b"\x1f\x8b"
    assert hashlib.sha256(data).hexdigest() == response.headers["x-gitgate-sha256"]
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(data)
    report = review_bundle(bundle)
    assert report.ok, report
    # the same bytes as `gitgate export`, and the export is audited under the caller's name
    out = tmp_path / "cli.tar.gz"
    gitgate_ok(world.repo, "export", world.write_id, "-o", str(out), actor=APPROVER)
    assert out.read_bytes() == data
    exported = [e for e in world.gate.audit() if e.event == "exported"]
    assert [e.actor for e in exported] == [MALLORY, APPROVER]


def test_export_unknown_id_is_404(api) -> None:  # type: ignore[no-untyped-def]
    assert_error(api.get("/api/proposals/zzzzzzzzzz/export", headers=bearer(APPROVER)), 404)


# -- who is asking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {TOKENS[APPROVER]}"},
        {"Authorization": TOKENS[APPROVER]},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/proposals"),
        ("GET", "/api/proposals/{id}"),
        ("POST", "/api/proposals/{id}/approve"),
        ("POST", "/api/proposals/{id}/reject"),
        ("GET", "/api/proposals/{id}/export"),
        ("GET", "/api/audit"),
        ("GET", "/events"),
    ],
)
def test_no_or_bad_token_is_401(world: World, api, headers: dict, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    response = api.request(
        method,
        path.format(id=world.write_id),
        headers=headers,
        json={"commit": "0" * 40, "reason": "x"} if method == "POST" else None,
    )
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    assert world.gate.get(world.write_id).status == "pending"


def test_unknown_route_and_method(api) -> None:  # type: ignore[no-untyped-def]
    assert_error(api.get("/api/nothing", headers=bearer(APPROVER)), 404)
    assert_error(api.get("/api/approvals", headers=bearer(APPROVER)), 404)
    assert_error(api.delete("/api/proposals", headers=bearer(APPROVER)), 405)
    assert_error(api.get("/api/proposals/abcd/approve", headers=bearer(APPROVER)), 405)


def test_cross_origin_post_is_refused_even_with_a_token(world: World, api) -> None:  # type: ignore[no-untyped-def]
    commit = world.gate.get(world.write_id).commit
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        response = api.post(
            f"/api/proposals/{world.write_id}/approve",
            headers={**bearer(APPROVER), **headers},
            json={"commit": commit},
        )
        assert_error(response, 403, "forbidden")
    assert world.gate.get(world.write_id).status == "pending"
    same = api.post(
        f"/api/proposals/{world.write_id}/approve",
        headers={**bearer(APPROVER), "Origin": "http://testserver"},
        json={"commit": commit},
    )
    assert same.status_code == 200


def test_session_cookie_api_post_needs_the_csrf_header(world: World, api) -> None:  # type: ignore[no-untyped-def]
    signed = api.get(f"/?token={TOKENS[APPROVER]}", follow_redirects=False)
    assert signed.status_code == 303
    commit = world.gate.get(world.write_id).commit
    url = f"/api/proposals/{world.write_id}/approve"
    # reading with the cookie is fine
    assert api.get(f"/api/proposals/{world.write_id}").status_code == 200
    assert_error(api.post(url, json={"commit": commit}), 403)
    assert_error(api.post(url, json={"commit": commit}, headers={"X-CSRF-Token": "0" * 64}), 403)
    page = api.get(f"/p/{world.write_id}").text
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    ok = api.post(url, json={"commit": commit}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["status"] == "executed"


def test_proxy_header_names_the_user(world: World) -> None:
    config = ServeConfig(repo=str(world.repo), auth=auth.AuthConfig(proxy_header="X-Remote-User"))
    with client(config) as api:
        assert_error(api.get("/api/proposals"), 401)
        assert_error(api.get("/api/proposals", headers={"X-Remote-User": "  "}), 401)
        assert_error(api.get("/api/proposals", headers={"X-Remote-User": "a\x01b"}), 401)
        # a bearer token means nothing here: the proxy is the only authority
        assert_error(api.get("/api/proposals", headers=bearer(APPROVER)), 401)
        commit = world.gate.get(world.write_id).commit
        url = f"/api/proposals/{world.write_id}/approve"
        assert_error(
            api.post(url, headers={"X-Remote-User": MALLORY}, json={"commit": commit}), 403
        )
        # a browser (Origin sent) must carry the CSRF token even on the API
        browser = {"X-Remote-User": APPROVER, "Origin": "http://testserver"}
        assert_error(api.post(url, headers=browser, json={"commit": commit}), 403)
        response = api.post(url, headers={"X-Remote-User": APPROVER}, json={"commit": commit})
        assert response.status_code == 200 and response.json()["status"] == "executed"
        assert response.json()["approvals"][0]["by"] == APPROVER


def test_every_answer_carries_the_security_headers(world: World, api) -> None:  # type: ignore[no-untyped-def]
    for response in (
        api.get("/api/proposals", headers=bearer(APPROVER)),
        api.get("/api/proposals"),
        api.get("/api/nothing"),
        api.get("/static/app.js"),
    ):
        headers = response.headers
        assert headers["content-security-policy"].startswith(
            "default-src 'none'; script-src 'self'"
        )
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert "access-control-allow-origin" not in headers


def test_token_in_the_query_works_for_the_api(world: World, api) -> None:  # type: ignore[no-untyped-def]
    listed = api.get(f"/api/proposals?token={TOKENS[APPROVER]}")
    assert listed.status_code == 200 and "set-cookie" not in listed.headers
    assert_error(api.get("/api/proposals?token=wrong-token-0123456789"), 401)
    commit = world.gate.get(world.write_id).commit
    approved = api.post(
        f"/api/proposals/{world.write_id}/approve?token={TOKENS[APPROVER]}", json={"commit": commit}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "executed"
