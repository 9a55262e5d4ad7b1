"""`gitgate serve` in a real headless Chromium (Debian's chromium + chromium-driver, Selenium).

A real `gitgate serve` process on loopback, a real browser opening the URL it printed: the list,
a proposal with its highlighted diff, approving with a click (main moves), rejecting with a
reason, and a new proposal appearing live. Each test saves screenshots under its tmp dir and
checks the browser logged no error (a CSP violation would be one).

Skipped, saying why, only when no browser is installed (`.ci/install-browser` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gitgate.workflow import Gate
from gitutil import AGENT, APPROVER, APPROVER2, commit, create_repo, rev_parse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT = 30  # seconds: two shared cores, a browser and a server


def _skip_reason() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not CHROMIUM or not CHROMEDRIVER:
        return (
            "no browser: chromium and chromium-driver are not installed and could not be "
            "(run .ci/install-browser as root)"
        )
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


@dataclass
class Site:
    """A running `gitgate serve` and the repository behind it."""

    repo: Path
    gate: Gate
    base: str
    url: str  # the printed URL, token included
    proposal: str  # a pending python change by the agent


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    repo = create_repo(tmp_path / "repo")
    commit(repo, {"README.md": "hello\n", "src/app.py": 'def main():\n    return "one"\n'}, "init")
    gate = Gate(repo)
    gate.init(["main"], [APPROVER, APPROVER2], actor=APPROVER)
    new_app = (
        '"""The app."""\n\nimport os\n\n\ndef main() -> str:\n'
        "    # read the greeting <b>from</b> the environment\n"
        '    return os.environ.get("GREETING", "two")\n'
    )
    p = gate.propose_write("src/app.py", new_app.encode(), message="Greeting from env", actor=AGENT)
    env = {**os.environ, "GITGATE_ACTOR": APPROVER}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gitgate",
            "-C",
            str(repo),
            "serve",
            "--port",
            "0",
            "--poll-interval",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = None
        while url is None:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"gitgate serve exited {proc.wait()}")
            url = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=\S+", line)
        yield Site(repo, gate, url.group(1), url.group(0), p.id)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(
        executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log")
    )
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, condition: Any, what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(condition, message=what)


def css(driver: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, selector), selector)


def shot(driver: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path)), name
    assert path.stat().st_size > 5_000  # a real picture, not an empty canvas
    return path


def assert_no_browser_errors(driver: Any) -> None:
    """Nothing severe in the console: no script error, no CSP violation, no failed load."""
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe


def open_signed_in(driver: Any, site: Site) -> None:
    driver.get(site.url)  # the printed URL: a session cookie, then the list without the token
    wait_for(driver, lambda d: d.current_url == site.base + "/", "redirect to the list")
    css(driver, "#proposals")


def test_list_and_highlighted_diff(browser: Any, site: Site, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    open_signed_in(browser, site)
    row = css(browser, f'tr[data-id="{site.proposal}"]')
    assert "Greeting from env" in row.text and "pending" in row.text
    assert "token=" not in browser.current_url
    cookie = browser.get_cookie(browser.get_cookies()[0]["name"])
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    shot(browser, tmp_path, "list")

    row.find_element(By.CSS_SELECTOR, "a.pid").click()
    wait_for(browser, lambda d: d.current_url == f"{site.base}/p/{site.proposal}", "proposal page")
    section = css(browser, "details.file#file-1")
    assert section.get_attribute("open") is not None
    assert "src/app.py" in section.find_element(By.TAG_NAME, "summary").text
    keywords = [k.text for k in section.find_elements(By.CSS_SELECTOR, "td.src span.k")]
    assert "def" in keywords and "return" in keywords
    strings = [s.text for s in section.find_elements(By.CSS_SELECTOR, "td.src span.s2")]
    assert '"GREETING"' in strings
    comment = section.find_element(By.CSS_SELECTOR, "td.src span.c1")
    assert comment.text == "# read the greeting <b>from</b> the environment"  # escaped, shown
    added = section.find_elements(By.CSS_SELECTOR, "tr.l-add")
    assert len(added) == 8
    color = (
        added[0].find_element(By.CSS_SELECTOR, "td.src").value_of_css_property("background-color")
    )
    assert color == "rgba(230, 255, 236, 1)"  # the stylesheet applies under the strict CSP
    commit_shown = browser.find_element(By.ID, "commit").text
    assert commit_shown == site.gate.get(site.proposal).commit
    shot(browser, tmp_path, "proposal")

    section.find_element(By.TAG_NAME, "summary").click()  # collapse the file
    wait_for(browser, lambda d: section.get_attribute("open") is None, "collapsed")
    assert not added[0].is_displayed()
    shot(browser, tmp_path, "collapsed")
    assert_no_browser_errors(browser)


def test_approve_with_a_click(browser: Any, site: Site, tmp_path: Path) -> None:
    before = rev_parse(site.repo, "main")
    open_signed_in(browser, site)
    browser.get(f"{site.base}/p/{site.proposal}")
    css(browser, "button#approve").click()
    done = css(browser, "#done")
    after = rev_parse(site.repo, "main")
    assert after != before
    assert rev_parse(site.repo, "main^2") == site.gate.get(site.proposal).commit
    assert done.text == f"Approved: merged into main as {after[:12]}."
    assert css(browser, "#status").text == "executed"
    assert site.gate.get(site.proposal).approvals[0].by == APPROVER
    shot(browser, tmp_path, "approved")

    from selenium.webdriver.common.by import By

    browser.find_element(By.LINK_TEXT, "Audit log").click()
    banner = css(browser, "#verify")
    assert banner.text == "audit log OK: 4 entries, 1 proposals"
    events = [
        row.find_elements(By.TAG_NAME, "td")[2].text
        for row in browser.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")
    ]
    assert events == ["executed", "approved", "proposed", "init"]
    shot(browser, tmp_path, "audit")
    assert_no_browser_errors(browser)


def test_reject_with_a_reason(browser: Any, site: Site, tmp_path: Path) -> None:
    open_signed_in(browser, site)
    browser.get(f"{site.base}/p/{site.proposal}")
    css(browser, "button#reject").click()  # no reason yet: the browser keeps the form
    time.sleep(0.5)
    assert site.gate.get(site.proposal).status == "pending"
    assert browser.current_url == f"{site.base}/p/{site.proposal}"
    css(browser, "textarea#reason").send_keys("Needs a test for the default greeting")
    shot(browser, tmp_path, "reject-reason")
    css(browser, "button#reject").click()
    wait_for(browser, lambda d: "done=rejected" in d.current_url, "rejected page")
    assert css(browser, "#status").text == "rejected"
    assert css(browser, "#done").text == "Rejected."
    p = site.gate.get(site.proposal)
    assert p.status == "rejected" and p.result == {
        "reason": "Needs a test for the default greeting"
    }
    assert rev_parse(site.repo, "refs/gitgate/archive/" + p.id) == p.commit
    shot(browser, tmp_path, "rejected")
    assert_no_browser_errors(browser)


def test_a_new_proposal_appears_live(browser: Any, site: Site, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    open_signed_in(browser, site)
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": site.base, "permissions": ["notifications"]}
    )
    # Record the notifications the page raises (headless Chromium shows none on screen).
    browser.execute_script(
        "window.__raised = []; const Real = window.Notification;"
        "window.Notification = function (title, options) {"
        "  window.__raised.push([title, options.body]); return new Real(title, options); };"
        "window.Notification.permission = Real.permission;"
    )
    wait_for(
        browser,
        lambda d: d.execute_script("return document.body.dataset.liveState") == "open",
        "event stream open",
    )
    rows_before = len(browser.find_elements(By.CSS_SELECTOR, "#proposals tbody tr"))
    shot(browser, tmp_path, "live-before")

    fresh = site.gate.propose_create(
        "CHANGELOG.md", b"- greeting from env\n", message="Changelog entry", actor=AGENT
    )
    row = css(browser, f'tr[data-id="{fresh.id}"]')
    assert "Changelog entry" in row.text and "pending" in row.text
    assert "waits" in row.get_attribute("class")
    rows = browser.find_elements(By.CSS_SELECTOR, "#proposals tbody tr")
    assert len(rows) == rows_before + 1 and rows[0].get_attribute("data-id") == fresh.id
    raised = wait_for(browser, lambda d: d.execute_script("return window.__raised"), "notification")
    assert raised == [[f"gitgate: {fresh.id} waits for your review", "Changelog entry"]]
    shot(browser, tmp_path, "live-after")

    # a change of status shows up in place
    site.gate.reject(fresh.id, "duplicate", actor=APPROVER2)
    wait_for(
        browser,
        lambda d: "rejected" in d.find_element(By.CSS_SELECTOR, f'tr[data-id="{fresh.id}"]').text,
        "status updated live",
    )

    # and on a proposal's own page, a banner says it changed
    browser.get(f"{site.base}/p/{site.proposal}")
    wait_for(
        browser,
        lambda d: d.execute_script("return document.body.dataset.liveState") == "open",
        "event stream open on the proposal page",
    )
    site.gate.reject(site.proposal, "superseded", actor=APPROVER2)
    banner = css(browser, "#live-banner")
    wait_for(browser, lambda d: banner.is_displayed(), "banner")
    assert banner.text == "This proposal changed: it is now rejected. Reload"
    shot(browser, tmp_path, "live-banner")
    assert_no_browser_errors(browser)


def test_pages_work_without_javascript(tmp_path: Path, site: Site) -> None:
    """The core actions are plain forms: with JavaScript off, approving still works."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'nojs-profile'}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2}
    )
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        open_signed_in(driver, site)
        driver.get(f"{site.base}/p/{site.proposal}")
        assert driver.execute_script is not None
        css(driver, "button#approve").click()
        css(driver, "#done")
        assert site.gate.get(site.proposal).status == "executed"
        shot(driver, tmp_path, "approved-without-js")
    finally:
        driver.quit()
