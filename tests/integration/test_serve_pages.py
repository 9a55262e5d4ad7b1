"""The review pages of `gitgate serve` (Starlette's test client, real repositories).

Signing in by the printed URL, the list with its filters, a proposal with its highlighted diff
(renames, modes, binary and huge files), the forms that approve and reject (CSRF, origin), the
audit page with the verify banner, live events, and the page's own defences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_support import MALLORY, TOKENS, World, bearer, client, make_world, token_config

from gitgate.web.app import CSP
from gitgate.web.diffview import HUGE_FILE_LINES
from gitutil import AGENT, APPROVER, APPROVER2, commit, freeze_clock, rev_parse, run_git

SECRET = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0" + "4N2q2A"  # valid CRC32
ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(autouse=True)
def _frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    freeze_clock(monkeypatch)
    yield


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def signed_in(config, identity: str = APPROVER):  # type: ignore[no-untyped-def]
    """A test client holding a session cookie, as a browser does after opening the URL."""
    c = client(config)
    response = c.get(f"/?token={TOKENS[identity]}", follow_redirects=False)
    assert response.status_code == 303
    return c


@pytest.fixture
def browser(world: World):  # type: ignore[no-untyped-def]
    with signed_in(token_config(world.repo)) as c:
        yield c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)  # type: ignore[union-attr]


def text_of(html: str) -> str:
    """The visible text of a page, roughly: tags dropped, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# -- signing in --------------------------------------------------------------------------------


def test_the_printed_url_signs_in_and_drops_the_token(world: World) -> None:
    with client(token_config(world.repo)) as c:
        first = c.get("/")
        assert first.status_code == 401 and 'name="token"' in first.text
        response = c.get(f"/?status=pending&token={TOKENS[APPROVER]}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/?status=pending"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("gitgate_session=")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        page = c.get("/")
        assert page.status_code == 200
        assert f"signed in as <strong>{APPROVER}</strong>" in page.text


def test_a_bad_token_in_the_url_is_401(world: World) -> None:
    with client(token_config(world.repo)) as c:
        response = c.get("/?token=not-the-token-at-all", follow_redirects=False)
        assert response.status_code == 401
        assert "bad token" in response.text and "set-cookie" not in response.headers


def test_login_form(world: World) -> None:
    with client(token_config(world.repo)) as c:
        assert c.get("/login").status_code == 200
        bad = c.post(
            "/login",
            data={"token": "nope", "next": "/audit"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert bad.status_code == 401
        cross = c.post(
            "/login",
            data={"token": TOKENS[APPROVER2]},
            headers={"Origin": "http://evil.example"},
            follow_redirects=False,
        )
        assert cross.status_code == 403
        good = c.post(
            "/login",
            data={"token": TOKENS[APPROVER2], "next": "//evil.example/"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert good.status_code == 303 and good.headers["location"] == "/"
        assert f"signed in as <strong>{APPROVER2}</strong>" in c.get("/audit").text


def test_logout_ends_the_session(browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.get("/").text
    bad = browser.post("/logout", data={"csrf": "0" * 64}, headers=ORIGIN, follow_redirects=False)
    assert bad.status_code == 403
    out = browser.post(
        "/logout", data={"csrf": csrf_of(page)}, headers=ORIGIN, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert browser.get("/").status_code == 401


def test_bearer_works_on_pages_too(world: World) -> None:
    with client(token_config(world.repo)) as c:
        assert c.get("/", headers=bearer(MALLORY)).status_code == 200
        assert (
            c.get("/", headers={"Authorization": "Bearer wrong-token-xxxxxxxx"}).status_code == 401
        )


# -- the list ----------------------------------------------------------------------------------


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-id="([0-9a-z]{10})"', html)


def test_list_newest_first_with_filters(
    world: World, browser, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    freeze_clock(monkeypatch, "2026-03-05T00:00:00Z")
    later = world.gate.propose_create("LATER.md", b"x\n", message="later", actor=AGENT)
    world.gate.reject(world.by_bob_id, "no", actor=APPROVER)
    html = browser.get("/").text
    oldest = sorted([world.write_id, world.by_bob_id], reverse=True)
    assert row_ids(html) == [later.id, *oldest]
    assert "3 proposals; 2 waiting for you." in text_of(html)
    assert row_ids(browser.get("/?status=rejected").text) == [world.by_bob_id]
    assert row_ids(browser.get("/?status=pending&requester=AGENT@").text) == [
        later.id,
        world.write_id,
    ]
    assert row_ids(browser.get(f"/?q={world.write_id[:5].upper()}").text) == [world.write_id]
    assert row_ids(browser.get("/?target=main&requester=bob").text) == [world.by_bob_id]
    assert row_ids(browser.get("/?target=other").text) == []
    assert "No proposals match these filters." in browser.get("/?target=other").text
    assert row_ids(browser.get("/?status=bogus").text) == [later.id, *oldest]


def test_list_pages(world: World) -> None:
    for n in range(3):
        world.gate.propose_create(f"f{n}.md", b"x\n", actor=AGENT)
    with signed_in(token_config(world.repo, page_size=2)) as c:
        first = c.get("/").text
        second = c.get("/?page=1").text
        third = c.get("/?page=2").text
        assert len(row_ids(first)) == 2 and len(row_ids(second)) == 2 and len(row_ids(third)) == 1
        assert 'href="/?page=1">older' in first and "newer" not in text_of(first)
        assert set(row_ids(first) + row_ids(second) + row_ids(third)) == {
            p.id for p in world.gate.list()
        }
        assert row_ids(c.get("/?page=x").text) == row_ids(first)


def test_list_escapes_and_redacts(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    p = world.gate.propose_create(
        "x.md", b"x\n", message=f"<img src=x onerror=alert(1)> {SECRET}", actor=AGENT
    )
    html = browser.get("/").text
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert SECRET not in html and "[REDACTED:" in html
    assert SECRET not in browser.get(f"/p/{p.id}").text


# -- one proposal ------------------------------------------------------------------------------


def test_proposal_page_shows_what_would_merge(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    p = world.gate.get(world.write_id)
    response = browser.get(f"/p/{p.id}")
    assert response.status_code == 200
    html = response.text
    tree = run_git(world.repo, "rev-parse", f"{p.commit}^{{tree}}").strip()
    assert f'<dd class="mono" id="commit">{p.commit}</dd>' in html
    assert f'<dd class="mono" id="tree">{tree}</dd>' in html
    assert "Return &lt;b&gt;two&lt;/b&gt;" in html and "<b>two</b>" not in html
    assert f'name="commit" value="{p.commit}"' in html
    assert f'href="/api/proposals/{p.id}/export"' in html
    # the diff: highlighted python, line numbers, one collapsible section per file
    assert '<details class="file" id="file-1" open>' in html
    assert '<span class="k">return</span>' in html
    assert re.search(r'<tr class="l-add"><td class="no"></td><td class="no">2</td>', html)
    assert "History" in html and "pending" in html


def test_proposal_page_by_prefix_and_unknown(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    assert browser.get(f"/p/{world.write_id[:4]}").status_code == 200
    missing = browser.get("/p/zzzzzzzzzz")
    assert missing.status_code == 404 and "no proposal" in missing.text
    assert browser.get("/p/<script>").status_code == 404


def test_renames_modes_binary_and_huge_files(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    patch = (
        "diff --git a/docs/old-name.md b/docs/new-name.md\n"
        "similarity index 100%\nrename from docs/old-name.md\nrename to docs/new-name.md\n"
        "diff --git a/tool.sh b/tool.sh\nold mode 100644\nnew mode 100755\n"
    )
    renamed = world.gate.propose_patch(patch.encode(), message="rename + chmod", actor=AGENT)
    html = browser.get(f"/p/{renamed.id}").text
    assert "docs/old-name.md &rarr; docs/new-name.md" in html
    assert '<span class="change c-renamed">renamed 100%</span>' in html
    assert "mode 100644 &rarr; 100755" in html
    assert '<span class="change c-mode">mode</span>' in html

    binary = world.gate.propose_create(
        "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)), actor=AGENT
    )
    html = browser.get(f"/p/{binary.id}").text
    assert "binary file: not shown" in html and '<details class="file" id="file-1">' in html

    big = "".join(f"row {n}\n" for n in range(HUGE_FILE_LINES + 5))
    huge = world.gate.propose_create("big.txt", big.encode(), actor=AGENT)
    html = browser.get(f"/p/{huge.id}").text
    assert f"large diff not shown ({HUGE_FILE_LINES + 6:,} lines" in html
    assert "row 5000" not in html


def test_the_diff_is_redacted_as_the_cli_shows_it(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    content = f'TOKEN = "{SECRET}"\nsafe = "<script>alert(1)</script>"\n'.encode()
    p = world.gate.propose_create("leak.py", content, actor=AGENT, allow_secret=True)
    html = browser.get(f"/p/{p.id}").text
    assert SECRET not in html
    assert "[REDACTED:" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    api = browser.get(f"/api/proposals/{p.id}?diff=1").json()
    assert SECRET not in api["diff"] and "[REDACTED:" in api["diff"]


def test_command_proposal_shows_command_and_verdict(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    p = world.gate.propose_command("make test", message="run the <tests>", actor=AGENT)
    html = browser.get(f"/p/{p.id}").text
    assert '<section class="command" id="command">' in html
    assert '<pre class="mono">make test</pre>' in html
    assert "Classification: <strong>approve</strong>. Reason: " in html
    assert "Reason: &#39;make test&#39;: make test is not a read-only use" in html
    assert "A command proposal changes nothing until it is approved and run." in html


def test_the_page_tells_who_cannot_approve(world: World) -> None:
    with signed_in(token_config(world.repo), MALLORY) as c:
        assert f"{MALLORY} is not an approver" in c.get(f"/p/{world.write_id}").text
    with signed_in(token_config(world.repo), APPROVER2) as c:
        assert "You requested this proposal" in c.get(f"/p/{world.by_bob_id}").text
        assert 'id="cannot"' not in c.get(f"/p/{world.write_id}").text


# -- deciding with the forms -------------------------------------------------------------------


def test_approve_with_the_form(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.get(f"/p/{world.write_id}").text
    before = rev_parse(world.repo, "main")
    form = {"csrf": csrf_of(page), "commit": world.gate.get(world.write_id).commit}
    response = browser.post(
        f"/p/{world.write_id}/approve", data=form, headers=ORIGIN, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{world.write_id}?done=approved"
    after = rev_parse(world.repo, "main")
    assert after != before and rev_parse(world.repo, "main^2") == form["commit"]
    shown = browser.get(response.headers["location"]).text
    assert f"Approved: merged into main as {after[:12]}." in shown
    assert 'id="approve-form"' not in shown
    assert world.gate.get(world.write_id).approvals[0].by == APPROVER


def test_forms_need_csrf_and_same_origin(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.get(f"/p/{world.write_id}").text
    commit_id = world.gate.get(world.write_id).commit
    url = f"/p/{world.write_id}/approve"
    assert browser.post(url, data={"commit": commit_id}, headers=ORIGIN).status_code == 403
    assert (
        browser.post(url, data={"commit": commit_id, "csrf": "0" * 64}, headers=ORIGIN).status_code
        == 403
    )
    cross = browser.post(
        url,
        data={"commit": commit_id, "csrf": csrf_of(page)},
        headers={"Origin": "http://evil.example"},
    )
    assert cross.status_code == 403 and "cross-origin request refused" in cross.text
    not_form = browser.post(url, content=json.dumps({"commit": commit_id}), headers=ORIGIN)
    assert not_form.status_code == 400
    # another session's token is not this one's
    with signed_in(token_config(world.repo)) as other:
        foreign = csrf_of(other.get("/").text)
    assert (
        browser.post(url, data={"commit": commit_id, "csrf": foreign}, headers=ORIGIN).status_code
        == 403
    )
    assert world.gate.get(world.write_id).status == "pending"


def test_approve_form_of_a_stale_commit_shows_409(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.get(f"/p/{world.write_id}").text
    response = browser.post(
        f"/p/{world.write_id}/approve",
        data={"csrf": csrf_of(page), "commit": "1" * 40},
        headers=ORIGIN,
    )
    assert response.status_code == 409
    assert 'id="error"' in response.text and "not the reviewed 111111111111" in response.text
    assert world.gate.get(world.write_id).status == "pending"


def test_approve_form_by_non_approver_and_self_is_403(world: World) -> None:
    commit_id = world.gate.get(world.by_bob_id).commit
    for who in (MALLORY, APPROVER2):
        with signed_in(token_config(world.repo), who) as c:
            token = csrf_of(c.get("/").text)
            response = c.post(
                f"/p/{world.by_bob_id}/approve",
                data={"csrf": token, "commit": commit_id},
                headers=ORIGIN,
            )
            assert response.status_code == 403
            expected = "not an approver" if who == MALLORY else "cannot approve it"
            assert expected in response.text
    assert world.gate.get(world.by_bob_id).status == "pending"


def test_reject_with_the_form(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.get(f"/p/{world.write_id}").text
    empty = browser.post(
        f"/p/{world.write_id}/reject", data={"csrf": csrf_of(page), "reason": " "}, headers=ORIGIN
    )
    assert empty.status_code == 400 and "a reason is required" in empty.text
    response = browser.post(
        f"/p/{world.write_id}/reject",
        data={"csrf": csrf_of(page), "reason": "needs <tests>"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 303
    p = world.gate.get(world.write_id)
    assert p.status == "rejected" and p.result == {"reason": "needs <tests>"}
    shown = browser.get(response.headers["location"]).text
    assert "Rejected." in shown and "needs &lt;tests&gt;" in shown
    again = browser.post(
        f"/p/{world.write_id}/reject",
        data={"csrf": csrf_of(page), "reason": "again"},
        headers=ORIGIN,
    )
    assert again.status_code == 409


# -- audit -------------------------------------------------------------------------------------


def test_audit_page_with_verify_banner(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    html = browser.get("/audit").text
    assert 'class="banner good" id="verify"' in html
    assert "audit log OK: 3 entries, 2 proposals" in html
    assert f'<a href="/p/{world.write_id}">{world.write_id}</a>' in html
    # a commit pushed onto main behind gitgate's back
    commit(world.repo, {"README.md": "sneaky\n"}, "bypass")
    html = browser.get("/audit").text
    assert 'class="banner bad" id="verify"' in html and "problem" in html


# -- live events -------------------------------------------------------------------------------


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1)
            for line in block.splitlines()
            if ": " in line and not line.startswith(":")
        )
        if fields.get("event"):
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_events_tell_what_changed_since_the_page(world: World) -> None:
    config = token_config(world.repo, poll_interval=0.05, stream_seconds=0.3)
    with signed_in(config) as c:
        since = re.search(r'data-since="([0-9a-f]{40})"', c.get("/").text).group(1)  # type: ignore[union-attr]
        new = world.gate.propose_create("NEW.md", b"new\n", message="brand new", actor=AGENT)
        world.gate.reject(world.by_bob_id, "no", actor=APPROVER)
        response = c.get(f"/events?since={since}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = dict((p["id"], p) for _, p in sse_events(response.text))
        assert set(events) == {new.id, world.by_bob_id}
        assert events[new.id] == {
            "id": new.id,
            "status": "pending",
            "kind": "create",
            "target": "main",
            "requester": AGENT,
            "created_at": new.created_at,
            "commit": new.commit,
            "title": "brand new",
            "url": f"/p/{new.id}",
            "waits_for_you": True,
        }
        assert events[world.by_bob_id]["status"] == "rejected"
        assert events[world.by_bob_id]["waits_for_you"] is False
        # an EventSource reconnecting with the last id it saw gets nothing twice
        last = re.findall(r"^id: ([0-9a-f]{40})$", response.text, re.M)[-1]
        again = c.get("/events", headers={"Last-Event-ID": last})
        assert sse_events(again.text) == []


def test_events_without_since_start_from_now(world: World) -> None:
    config = token_config(world.repo, poll_interval=0.05, stream_seconds=0.2)
    with signed_in(config) as c:
        assert sse_events(c.get("/events").text) == []
        assert sse_events(c.get("/events?since=" + "f" * 40).text) == []
        # a commit that is not an earlier notes tip (here: main) is not a state a page saw
        main = rev_parse(world.repo, "main")
        tree = run_git(world.repo, "rev-parse", "main^{tree}").strip()
        for bogus in (main, tree):
            response = c.get(f"/events?since={bogus}")
            assert response.status_code == 200 and sse_events(response.text) == []


# -- the page's own defences -------------------------------------------------------------------


def test_security_headers_and_csp(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", f"/p/{world.write_id}", "/audit", "/login", "/nothing-here"):
        response = browser.get(path)
        assert response.headers["content-security-policy"] == CSP, path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        # the CSP forbids inline script, style and handlers: the pages must need none
        tags = " ".join(re.findall(r"<[^>]+>", response.text))
        assert "<script>" not in response.text and "style=" not in tags
        assert not re.search(r"\son[a-z]+=", tags), path
    assert "'unsafe-inline'" not in CSP and "default-src 'none'" in CSP


def test_host_header_is_checked_on_loopback(world: World) -> None:
    config = token_config(world.repo, allowed_hosts=("127.0.0.1", "localhost", "::1"))
    with client(config) as rebound:
        response = rebound.get("/", headers=bearer(APPROVER))
        assert response.status_code == 403 and response.json()["error"] == "unexpected Host header"
    with client(config, base_url="http://127.0.0.1:8765") as local:
        assert local.get("/", headers=bearer(APPROVER)).status_code == 200
    with client(config, base_url="http://localhost:8765") as local:
        assert local.get("/api/proposals", headers=bearer(APPROVER)).status_code == 200


def test_static_files(browser) -> None:  # type: ignore[no-untyped-def]
    js = browser.get("/static/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in js.text  # values go in through textContent only
    css = browser.get("/static/highlight.css")
    assert css.status_code == 200 and ".code .k" in css.text
    assert browser.get("/static/../app.py").status_code == 404
    assert browser.get("/static/nope.js").status_code == 404


def test_page_errors_are_pages(browser) -> None:  # type: ignore[no-untyped-def]
    response = browser.get("/nothing-here")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "no such page" in response.text


def test_diff_cache_is_bounded_and_least_recently_used_first_out() -> None:
    from gitgate.web.app import DiffCache
    from gitgate.web.diffview import render_diff

    one = "diff --git a/f.txt b/f.txt\n--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-a\n+b\n"
    calls: list[str] = []

    def render(name: str):  # type: ignore[no-untyped-def]
        def run():  # type: ignore[no-untyped-def]
            calls.append(name)
            return render_diff(one)

        return run

    cache = DiffCache(max_lines=8, max_entries=10)  # each entry costs 3 lines + 1
    for name in ("a", "b", "a", "c", "a", "b"):
        cache.get((name, name), render(name))
    # a, b cached; a used again; c pushes out b (least recent); b is rendered again
    assert calls == ["a", "b", "c", "b"]
    huge = DiffCache(max_lines=2)
    huge.get(("x", "x"), render("x"))
    huge.get(("x", "x"), render("x"))
    assert calls[-2:] == ["x", "x"]  # larger than the whole cache: never kept


def test_prewarm_renders_pending_diffs_in_the_background(world: World) -> None:
    import time

    config = token_config(world.repo, prewarm=True, poll_interval=0.05)
    with client(config) as c:
        server = c.app.state.server
        pending = {(p.base, p.commit) for p in world.gate.list(status="pending")}

        def warmed() -> set[tuple[str, str]]:
            return set(server.diffs._entries)

        deadline = time.monotonic() + 20
        while warmed() != pending and time.monotonic() < deadline:
            time.sleep(0.05)
        assert warmed() == pending
        fresh = world.gate.propose_create("LATE.md", b"late\n", actor=AGENT)
        while (fresh.base, fresh.commit) not in warmed() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (fresh.base, fresh.commit) in warmed()
        # what the page shows is what it would have rendered itself
        assert "LATE.md" in c.get(f"/p/{fresh.id}", headers=bearer(APPROVER)).text
