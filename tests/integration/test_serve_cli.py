"""The `gitgate serve` command: who may listen where, the printed URL, a real server process."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from serve_support import MALLORY, TOKENS, make_world, serve_process

from gitutil import AGENT, APPROVER, create_repo, gitgate, rev_parse


def request(url: str, token: str | None = None, body: object = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_help_lists_serve_and_stays_light() -> None:
    out = gitgate(Path("."), "--help")
    assert out.exit_code == 0 and "serve" in out.stdout
    # `gitgate --help` must not pay for starlette/uvicorn/jinja2/pygments
    probe = (
        "import sys; from click.testing import CliRunner; from gitgate.cli import main; "
        "CliRunner().invoke(main, ['--help']); "
        "print(sorted(m for m in ('starlette', 'uvicorn', 'jinja2', 'pygments') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
    help_text = gitgate(Path("."), "serve", "--help").stdout
    for option in ("--host", "--port", "--proxy-user-header", "--token"):
        assert option in help_text


def test_listening_beyond_loopback_needs_an_authority(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    out = gitgate(world.repo, "serve", "--host", "0.0.0.0", actor=APPROVER)
    assert out.exit_code == 1
    assert out.stderr.splitlines() == [
        "error: listening on 0.0.0.0 needs a way to know who is acting",
        "hint: put an authenticating proxy in front (--proxy-user-header NAME) or give tokens "
        "(--token FILE); see docs/SERVE.md",
    ]


def test_proxy_and_token_are_exclusive(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{APPROVER} {TOKENS[APPROVER]}\n")
    out = gitgate(world.repo, "serve", "--proxy-user-header", "X-User", "--token", str(tokens))
    assert out.exit_code == 2 and "choose one of --proxy-user-header and --token" in out.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no tokens"),
        ("alice@example.com\n", "line 1: expected `IDENTITY TOKEN`, found 1 fields"),
        ("# c\nalice@example.com short\n", "line 2: the token is shorter than 16 characters"),
        ("a@x tok-0123456789abcdef\nb@x tok-0123456789abcdef\n", "line 2: this token is already"),
        ("a@x sha256:abcd\n", "line 1: sha256: must be followed by 64 hex digits"),
    ],
)
def test_bad_token_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    world = make_world(tmp_path)
    tokens = tmp_path / "tokens"
    tokens.write_text(content)
    out = gitgate(world.repo, "serve", "--token", str(tokens))
    assert out.exit_code == 1, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    missing = gitgate(world.repo, "serve", "--token", str(tmp_path / "nope"))
    assert missing.exit_code == 1 and "cannot read the token file" in missing.stderr


def test_not_a_gitgate_repository(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "plain")
    out = gitgate(repo, "serve", actor=APPROVER)
    assert out.exit_code == 1 and "not set up for gitgate" in out.stderr


def test_a_real_server_with_the_printed_token(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    with serve_process(world.repo, "--poll-interval", "0.2", actor=APPROVER) as server:
        assert server.banner[0] == f"gitgate serve: listening loopback only as {APPROVER}"
        assert server.token and len(server.token) >= 40
        status, proposals = request(f"{server.base}/api/proposals", server.token)
        assert status == 200 and {p["id"] for p in proposals} == {world.write_id, world.by_bob_id}  # type: ignore[union-attr]
        status, error = request(f"{server.base}/api/proposals", "wrong-token-0123456789")
        assert status == 401 and set(error) == {"error", "hint", "code"}  # type: ignore[arg-type]
        commit = world.gate.get(world.write_id).commit
        status, approved = request(
            f"{server.base}/api/proposals/{world.write_id}/approve",
            server.token,
            {"commit": commit},
        )
        assert status == 200 and approved["status"] == "executed"  # type: ignore[index]
        assert rev_parse(world.repo, "main") == approved["result"]["merge"]  # type: ignore[index]
        # the local identity acted: the audit says who
        assert world.gate.audit()[-1].actor == APPROVER
    assert server.proc.returncode == 0


def test_a_real_server_with_a_token_file(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    tokens = tmp_path / "tokens"
    digest = __import__("hashlib").sha256(TOKENS[MALLORY].encode()).hexdigest()
    tokens.write_text(f"# who  token\n{APPROVER} {TOKENS[APPROVER]}\n{MALLORY} sha256:{digest}\n")
    tokens.chmod(0o600)
    with serve_process(world.repo, "--token", str(tokens), actor=AGENT) as server:
        assert server.token is None
        assert server.banner[0] == "gitgate serve: listening loopback only as 2 token identities"
        commit = world.gate.get(world.write_id).commit
        url = f"{server.base}/api/proposals/{world.write_id}/approve"
        status, body = request(url, TOKENS[MALLORY], {"commit": commit})
        assert status == 403 and body["code"] == "not-an-approver"  # type: ignore[index]
        status, body = request(url, TOKENS[APPROVER], {"commit": commit})
        assert status == 200 and body["status"] == "executed"  # type: ignore[index]
