"""`gitgate mcp`: the real server process, driven by the MCP SDK's own stdio client.

Every test starts `python -m gitgate -C REPO mcp --actor …` as a subprocess (with this
worktree's sources first on PYTHONPATH) against a real repository under tmp_path, talks to it
with `mcp.client.stdio.stdio_client` + `ClientSession`, and checks what the repository, the
CLI and the audit log say afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp.server.mcpserver")  # the 2.x SDK (gitgate-approvals[mcp])

from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402
from mcp_types import CallToolResult  # noqa: E402

from gitgate.workflow import Gate  # noqa: E402
from gitutil import (  # noqa: E402
    AGENT,
    APPROVER,
    APPROVER2,
    commit,
    create_repo,
    gitgate,
    gitgate_ok,
    rev_parse,
)

SRC = Path(__file__).resolve().parents[2] / "src"
TOOLS = {
    "apply_patch",
    "write_file",
    "create_file",
    "delete_file",
    "run_command",
    "get_proposal",
    "list_proposals",
    "read_file",
    "list_files",
}
# Committed straight into the fixture repository (not through gitgate), so that reading it
# back shows redaction at work. Made-up values in the real formats (AWS's documented example
# key and tokens with a bad checksum count as placeholders, and are not redacted).
AWS_KEY = "AKIAQ3EGHT5KLMNWPZ7R"
GITHUB_TOKEN = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0" + "4N2q2A"  # valid CRC32
AGENT2 = "agent2@bots.example"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with main, a few files (one holding a key, a .env, secrets/), gitgate set up."""
    path = create_repo(tmp_path / "repo")
    commit(
        path,
        {
            "README.md": "hello\n",
            "src/app.py": "print('a')\nprint('b')\n",
            "src/settings.py": f"AWS_ACCESS_KEY_ID = '{AWS_KEY}'\nDEBUG = False\n",
            "docs/old.md": "old\n",
            ".env": "DB_PASSWORD=hunter2hunter2\n",
            "secrets/prod.key": "-----BEGIN PRIVATE KEY-----\n",
            "assets/logo.bin": "\x00\x01\x02binary",
        },
        "initial",
    )
    gitgate_ok(path, "init", "--approver", APPROVER, "--approver", APPROVER2, actor=APPROVER)
    return path


def server_params(repo: Path, actor: str, *extra: str) -> StdioServerParameters:
    """How an MCP client starts the server: `python -m gitgate -C REPO mcp --actor ACTOR`."""
    env = dict(os.environ)  # the test's sealed git environment, not the SDK's short default
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "gitgate", "-C", str(repo), "mcp", "--actor", actor, *extra],
        env=env,
    )


@asynccontextmanager
async def session(repo: Path, actor: str = AGENT, *extra: str) -> AsyncIterator[ClientSession]:
    """A live, initialised client session with a freshly started server."""
    with open(os.devnull, "w") as errlog:
        async with stdio_client(server_params(repo, actor, *extra), errlog=errlog) as (r, w):
            async with ClientSession(r, w) as s:
                await s.initialize()
                yield s


def drive(
    repo: Path, scenario: Callable[[ClientSession], Awaitable[None]], actor: str = AGENT
) -> None:
    """Run ``scenario`` against one server for ``actor``."""

    async def main() -> None:
        async with session(repo, actor) as s:
            await scenario(s)

    anyio.run(main)


async def ok(s: ClientSession, tool: str, **args: Any) -> dict[str, Any]:
    """Call a tool that must succeed: one text line, an object of structured content."""
    res = await s.call_tool(tool, args)
    text = texts(res)
    assert not res.is_error, text
    assert len(res.content) == 1 and "\n" not in text and text, text
    assert isinstance(res.structured_content, dict), res
    return res.structured_content


async def refused(s: ClientSession, tool: str, **args: Any) -> CallToolResult:
    """Call a tool that must be refused: a tool error, never a traceback."""
    res = await s.call_tool(tool, args)
    assert res.is_error, res
    text = texts(res)
    assert text.startswith("error: "), text
    assert "Traceback" not in text and 'File "' not in text, text
    assert isinstance(res.structured_content, dict)
    assert res.structured_content["message"] == text.splitlines()[0].removeprefix("error: ")
    return res


def texts(res: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in res.content)


def cli_error(repo: Path, *args: str, input: str | None = None) -> str:
    """The CLI's `error:` + `hint:` lines for the same request (what MCP must repeat)."""
    out = gitgate(repo, *args, input=input)
    assert out.exit_code in (1, 4), (out.exit_code, out.stdout, out.stderr)
    assert out.exception is None
    return out.stderr.rstrip("\n")


def everything(res: CallToolResult) -> str:
    """All a client receives from one call, as text (to look for leaks)."""
    return texts(res) + json.dumps(res.structured_content)


def main_tip(repo: Path) -> str:
    return rev_parse(repo, "refs/heads/main")


# -- the tool list ------------------------------------------------------------------------------


def test_exactly_the_gated_tools_with_descriptions_and_schemas(repo: Path) -> None:
    async def scenario(s: ClientSession) -> None:
        listed = (await s.list_tools()).tools
        assert {t.name for t in listed} == TOOLS  # nothing approves, rejects or edits policy
        by_name = {t.name: t for t in listed}
        for tool in listed:
            assert tool.description and tool.output_schema, tool.name
            assert tool.output_schema["type"] == "object"
        for name in ("apply_patch", "write_file", "create_file", "delete_file"):
            description = by_name[name].description or ""
            assert "NOT applied" in description and "approves" in description
            assert "get_proposal" in description
        assert "will not be approved either" in (by_name["run_command"].description or "")
        assert set(by_name["write_file"].input_schema["required"]) == {"path", "content"}
        assert set(by_name["write_file"].input_schema["properties"]) == {
            "path",
            "content",
            "message",
        }
        assert by_name["get_proposal"].input_schema["required"] == ["id"]
        assert by_name["read_file"].annotations and by_name["read_file"].annotations.read_only_hint
        caps = s.server_capabilities
        assert caps is not None and caps.tools is not None and caps.resources is not None
        assert s.server_info is not None and s.server_info.name == "gitgate"
        assert AGENT in (s.instructions or "") and "NOT change the repository" in (
            s.instructions or ""
        )

    drive(repo, scenario)


# -- proposing ----------------------------------------------------------------------------------


def test_every_propose_tool_makes_a_pending_proposal_and_applies_nothing(repo: Path) -> None:
    before = main_tip(repo)
    patch = (
        "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n"
        "@@ -1,2 +1,2 @@\n print('a')\n-print('b')\n+print('c')\n"
    )
    results: dict[str, dict[str, Any]] = {}
    summaries: list[str] = []

    async def scenario(s: ClientSession) -> None:
        calls: list[tuple[str, dict[str, Any]]] = [
            ("apply_patch", {"patch": patch, "message": "print c"}),
            ("write_file", {"path": "README.md", "content": "hi\n", "message": "greet"}),
            ("create_file", {"path": "docs/new.md", "content": "# New\n", "message": "doc"}),
            ("delete_file", {"path": "docs/old.md", "message": "stale"}),
        ]
        # An identity smuggled into the arguments changes nothing: the actor is the server's.
        calls[1][1]["actor"] = APPROVER
        for tool, args in calls:
            res = await s.call_tool(tool, args)
            assert not res.is_error and isinstance(res.structured_content, dict), texts(res)
            summaries.append(texts(res))
            results[tool] = res.structured_content

    drive(repo, scenario)
    expected_files = {
        "apply_patch": ["src/app.py"],
        "write_file": ["README.md"],
        "create_file": ["docs/new.md"],
        "delete_file": ["docs/old.md"],
    }
    gate = Gate(repo)
    for tool, data in results.items():
        assert set(data) == {"id", "status", "files"}
        assert data["status"] == "pending" and data["files"] == expected_files[tool]
        p = gate.get(data["id"])
        assert (p.status, p.tool, p.requester) == ("pending", tool, AGENT)
    assert len({d["id"] for d in results.values()}) == 4
    for line in summaries:
        assert "pending" in line and "nothing is applied until a human approves it" in line
    assert main_tip(repo) == before  # nothing reached the protected branch
    assert gate.store.read_path(before, "README.md") == b"hello\n"


def test_refusals_are_tool_errors_with_the_clis_message_and_hint(repo: Path) -> None:
    cases: list[tuple[str, dict[str, Any], tuple[str, ...], str | None]] = [
        (
            "write_file",
            {"path": "../x.txt", "content": "x\n"},
            ("propose", "write", "../x.txt"),
            "x\n",
        ),
        (
            "write_file",
            {"path": ".git/config", "content": "x\n"},
            ("propose", "write", ".git/config"),
            "x\n",
        ),
        ("write_file", {"path": ".env", "content": "A=1\n"}, ("propose", "write", ".env"), "A=1\n"),
        (
            "create_file",
            {"path": "README.md", "content": "x\n"},
            ("propose", "create", "README.md", "--from", "-"),
            "x\n",
        ),
        ("delete_file", {"path": "nope.txt"}, ("propose", "delete", "nope.txt"), None),
        ("apply_patch", {"patch": "not a diff\n"}, ("propose", "patch", "-"), "not a diff\n"),
        (
            "apply_patch",
            {"patch": "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"},
            ("propose", "patch", "-"),
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
        ),
        ("get_proposal", {"id": "zzzzzzzzzz"}, ("show", "zzzzzzzzzz"), None),
        ("get_proposal", {"id": "x!"}, ("show", "x!"), None),
        ("run_command", {"command": "rm -rf /"}, ("propose", "command", "--", "rm -rf /"), None),
    ]
    got: list[tuple[str, dict[str, Any]]] = []

    async def scenario(s: ClientSession) -> None:
        for tool, args, _cli, _stdin in cases:
            res = await refused(s, tool, **args)
            got.append((texts(res), res.structured_content or {}))

    drive(repo, scenario)
    for (tool, _args, cli, stdin), (text, data) in zip(cases, got, strict=True):
        assert text == cli_error(repo, *cli, input=stdin), tool
        assert data["hint"] and data["error"] != "internal", (tool, data)
    assert Gate(repo).list() == []  # no refusal left anything behind


def test_a_secret_in_content_is_refused_and_never_echoed(repo: Path) -> None:
    content = f"token = '{GITHUB_TOKEN}'\n"
    seen: list[str] = []

    async def scenario(s: ClientSession) -> None:
        res = await refused(s, "write_file", path="config/app.py", content=content)
        assert res.structured_content and res.structured_content["error"] == "secret-detected"
        seen.append(everything(res))
        # A secret in arguments of the wrong type: pydantic would quote it; gitgate does not.
        res = await refused(s, "write_file", path="a.txt", content={"k": GITHUB_TOKEN})
        assert "invalid arguments for write_file: content" in texts(res)
        seen.append(everything(res))
        # A secret in a path or an id is redacted from the error message.
        res = await refused(s, "read_file", path=f"../{GITHUB_TOKEN}")
        seen.append(everything(res))
        res = await refused(s, "get_proposal", id=GITHUB_TOKEN)
        seen.append(everything(res))
        audit = await s.read_resource("gitgate://audit")
        seen.append(getattr(audit.contents[0], "text", ""))

    drive(repo, scenario)
    assert seen[0].startswith(cli_error(repo, "propose", "write", "config/app.py", input=content))
    for text in seen:
        assert GITHUB_TOKEN not in text and GITHUB_TOKEN[:20] not in text
    assert "[REDACTED:" in seen[2] and "[REDACTED:" in seen[3]
    assert Gate(repo).list() == []


# -- commands -----------------------------------------------------------------------------------


def test_run_command_runs_allowed_proposes_others_and_denies_destructive(repo: Path) -> None:
    out: dict[str, Any] = {}

    async def scenario(s: ClientSession) -> None:
        out["ls"] = await ok(s, "run_command", command="ls")
        out["cat"] = await ok(s, "run_command", command="cat src/settings.py")
        out["make"] = await ok(s, "run_command", command="make deploy")
        res = await refused(s, "run_command", command="rm -rf .")
        out["rm"] = (texts(res), res.structured_content)
        res = await refused(s, "run_command", command="cat .env")
        out["env"] = texts(res)
        res = await refused(s, "run_command", command="   ")
        out["empty"] = texts(res)

    drive(repo, scenario)
    ls = out["ls"]
    assert ls["decision"] == "allow" and ls["exit_code"] == 0 and ls["timed_out"] is False
    assert set(ls["output"].split()) == {"README.md", "assets", "docs", "secrets", "src"}
    assert AWS_KEY not in out["cat"]["output"] and "[REDACTED:" in out["cat"]["output"]
    make = out["make"]
    assert make["decision"] == "approve" and make["status"] == "pending"
    assert Gate(repo).get(make["id"]).kind == "command"
    text, data = out["rm"]
    assert text.startswith("error: command refused: ") and data["error"] == "command-denied"
    assert text == cli_error(repo, "propose", "command", "--", "rm -rf .")
    assert out["env"].startswith("error: command refused: ")
    assert out["empty"] == "error: no command given\nhint: give a shell command, e.g. `git status`"
    events = [e.event for e in Gate(repo).audit()]
    assert events.count("command.auto") == 2 and events.count("command.denied") >= 2
    assert events.count("proposed") == 1


# -- following proposals --------------------------------------------------------------------------


def test_a_proposal_made_through_mcp_approved_with_the_cli_reads_executed(repo: Path) -> None:
    made: dict[str, Any] = {}

    async def propose(s: ClientSession) -> None:
        made["write"] = await ok(
            s, "write_file", path="docs/guide.md", content="# Guide\n", message="add a guide"
        )
        detail = await ok(s, "get_proposal", id=made["write"]["id"][:5])
        made["before"] = detail
        rows = (await ok(s, "list_proposals", status="pending"))["result"]
        made["pending"] = rows

    drive(repo, propose)
    pid = made["write"]["id"]
    before = made["before"]
    assert {"id", "status", "kind", "message", "files", "result"} <= set(before)
    assert (before["id"], before["status"], before["kind"]) == (pid, "pending", "write")
    assert before["message"] == "add a guide" and before["files"] == ["docs/guide.md"]
    assert before["result"] == {} and "+# Guide" in before["diff"]
    assert made["pending"] == [
        {"id": pid, "status": "pending", "kind": "write", "message": "add a guide"}
    ]

    gitgate_ok(repo, "approve", pid, actor=APPROVER)

    async def follow(s: ClientSession) -> None:
        made["after"] = await ok(s, "get_proposal", id=pid)
        made["executed"] = (await ok(s, "list_proposals", status="executed"))["result"]
        made["pending_now"] = (await ok(s, "list_proposals", status="pending"))["result"]
        made["read"] = await ok(s, "read_file", path="docs/guide.md")

    drive(repo, follow)
    after = made["after"]
    assert after["status"] == "executed"
    assert after["result"]["merge"] == main_tip(repo)
    assert [r["id"] for r in made["executed"]] == [pid] and made["pending_now"] == []
    assert made["read"]["content"] == "# Guide\n"


def test_list_proposals_shows_everyone_and_filters_by_status(repo: Path) -> None:
    gate = Gate(repo)
    mine = gate.propose_write("a.txt", "a\n", actor=AGENT, message="first\nsecond line")
    theirs = gate.propose_write("b.txt", "b\n", actor=AGENT2, message="theirs")
    gate.reject(theirs.id, "no", actor=APPROVER)
    out: dict[str, Any] = {}

    async def scenario(s: ClientSession) -> None:
        res = await s.call_tool("list_proposals", {})
        out["all"] = res.structured_content
        out["text"] = texts(res)
        out["rejected"] = await ok(s, "list_proposals", status="rejected")
        res = await refused(s, "list_proposals", status="merged")
        out["bad"] = texts(res)

    drive(repo, scenario)
    rows = {
        mine.id: {
            "id": mine.id,
            "status": "pending",
            "kind": "write",
            "message": "first\nsecond line",
        },
        theirs.id: {"id": theirs.id, "status": "rejected", "kind": "write", "message": "theirs"},
    }
    # oldest first, as `gitgate list` orders them (within one second, the id decides)
    assert out["all"]["result"] == [rows[p.id] for p in gate.list()]
    assert out["text"] == "2 proposals (1 pending, 1 rejected)"
    assert [r["id"] for r in out["rejected"]["result"]] == [theirs.id]
    assert out["bad"].startswith("error: invalid arguments for list_proposals: status")


# -- reading ----------------------------------------------------------------------------------------


def test_read_file_shows_the_target_redacted_and_refuses_hidden_paths(repo: Path) -> None:
    gate = Gate(repo)
    pending = gate.propose_write("README.md", "changed\n", actor=AGENT)
    out: dict[str, Any] = {}

    async def scenario(s: ClientSession) -> None:
        out["readme"] = await ok(s, "read_file", path="./README.md")
        out["settings"] = await ok(s, "read_file", path="src/settings.py")
        out["binary"] = await ok(s, "read_file", path="assets/logo.bin")
        out["at_proposal"] = await ok(s, "read_file", path="README.md", ref=pending.id)
        out["at_branch"] = await ok(s, "read_file", path="README.md", ref="main")
        for name, path in [
            ("env", ".env"),
            ("key", "secrets/prod.key"),
            ("up", "../etc/passwd"),
            ("git", ".git/config"),
            ("abs", "/etc/passwd"),
        ]:
            out[name] = texts(await refused(s, "read_file", path=path))
        out["dir"] = texts(await refused(s, "read_file", path="src"))
        out["missing"] = texts(await refused(s, "read_file", path="nope.md"))
        out["badref"] = texts(await refused(s, "read_file", path="README.md", ref="-x --output=y"))

    drive(repo, scenario)
    readme = out["readme"]
    assert readme["content"] == "hello\n" and readme["ref"] == "main"
    assert readme["commit"] == main_tip(repo) and readme["redacted"] is False
    settings = out["settings"]
    assert AWS_KEY not in settings["content"] and settings["redacted"] is True
    assert settings["content"].endswith("DEBUG = False\n")
    assert out["binary"]["binary"] is True and out["binary"]["content"] == ""
    assert out["at_proposal"]["content"] == "changed\n"
    assert out["at_proposal"]["commit"] == pending.commit
    assert out["at_branch"]["content"] == "hello\n"
    assert out["env"] == (
        "error: unsafe path '.env': sensitive file (.env): may hold secrets\n"
        "hint: gitgate never shows this path to an agent; see `gitgate check-path`"
    )
    for name in ("key", "up", "git", "abs"):
        assert out[name].startswith("error: unsafe path "), out[name]
    assert out["dir"].startswith("error: 'src' is not a file on main")
    assert out["missing"].startswith("error: 'nope.md' is not a file on main")
    assert out["badref"].startswith("error: unknown ref ")


def test_list_files_names_every_file_under_a_directory_but_sensitive_ones(repo: Path) -> None:
    out: dict[str, Any] = {}

    async def scenario(s: ClientSession) -> None:
        out["all"] = await ok(s, "list_files")
        out["src"] = await ok(s, "list_files", path="./src/")
        out["secrets"] = texts(await refused(s, "list_files", path="secrets"))
        out["git"] = texts(await refused(s, "list_files", path=".git"))
        out["file"] = texts(await refused(s, "list_files", path="README.md"))
        out["read_back"] = [
            (await ok(s, "read_file", path=name))["path"] for name in out["all"]["names"]
        ]

    drive(repo, scenario)
    everything_ = out["all"]
    assert everything_["names"] == [
        ".gitgate.toml",
        "README.md",
        "assets/logo.bin",
        "docs/old.md",
        "src/app.py",
        "src/settings.py",
    ]
    assert everything_["omitted"] == 2 and everything_["truncated"] is False  # .env, secrets/
    assert {"path": "src/app.py", "type": "file"} in everything_["entries"]
    assert out["read_back"] == everything_["names"]  # every name listed is readable as is
    assert out["src"]["names"] == ["src/app.py", "src/settings.py"] and out["src"]["path"] == "src"
    assert out["secrets"].startswith("error: unsafe path 'secrets': sensitive file")
    assert out["git"].startswith("error: unsafe path '.git'")
    assert out["file"].startswith("error: 'README.md' is not a directory on main")


# -- resources ---------------------------------------------------------------------------------------


def test_proposals_and_the_audit_log_are_resources(repo: Path) -> None:
    p = Gate(repo).propose_write("a.txt", f"x = '{GITHUB_TOKEN}'\n", actor=AGENT, allow_secret=True)
    out: dict[str, Any] = {}

    async def scenario(s: ClientSession) -> None:
        templates = (await s.list_resource_templates()).resource_templates
        out["templates"] = [t.uri_template for t in templates]
        out["static"] = [str(r.uri) for r in (await s.list_resources()).resources]
        res = await s.read_resource(f"gitgate://proposal/{p.id}")
        out["proposal"] = getattr(res.contents[0], "text", "")
        res = await s.read_resource("gitgate://audit")
        out["audit"] = getattr(res.contents[0], "text", "")
        try:
            await s.read_resource("gitgate://proposal/zzzzzzzzzz")
        except MCPError as err:
            out["missing"] = str(err)

    drive(repo, scenario)
    assert out["templates"] == ["gitgate://proposal/{proposal_id}"]
    assert out["static"] == ["gitgate://audit"]
    proposal = json.loads(out["proposal"])
    assert proposal["id"] == p.id and proposal["status"] == "pending"
    assert GITHUB_TOKEN not in out["proposal"] and "[REDACTED:" in proposal["diff"]
    audit = json.loads(out["audit"])
    assert [e["event"] for e in audit] == ["init", "proposed"]
    assert audit[1]["proposal"] == p.id and GITHUB_TOKEN not in out["audit"]
    assert "no proposal 'zzzzzzzzzz'" in out["missing"]


# -- identities and concurrency ---------------------------------------------------------------------


def test_two_agents_propose_at_the_same_time(repo: Path) -> None:
    per_agent = 6
    made: dict[str, list[dict[str, Any]]] = {AGENT: [], AGENT2: []}

    async def agent(actor: str, ready: anyio.Event, go: anyio.Event) -> None:
        async with session(repo, actor) as s:
            ready.set()
            await go.wait()
            async with anyio.create_task_group() as tg:
                for n in range(per_agent):

                    async def one(n: int = n) -> None:
                        path = f"work/{actor.split('@')[0]}-{n}.txt"
                        made[actor].append(await ok(s, "write_file", path=path, content=f"{n}\n"))

                    tg.start_soon(one)

    async def main() -> None:
        go = anyio.Event()
        readies = [anyio.Event(), anyio.Event()]
        async with anyio.create_task_group() as tg:
            tg.start_soon(agent, AGENT, readies[0], go)
            tg.start_soon(agent, AGENT2, readies[1], go)
            for r in readies:
                await r.wait()
            go.set()  # both servers are up: fire all twelve calls at once

    anyio.run(main)
    gate = Gate(repo)
    proposals = {p.id: p for p in gate.list(status="pending")}
    assert len(proposals) == 2 * per_agent
    for actor, results in made.items():
        assert len(results) == per_agent
        for data in results:
            assert proposals[data["id"]].requester == actor
            assert proposals[data["id"]].changed_files[0].path == data["files"][0]
    assert gate.verify_audit().ok
    assert [e.event for e in gate.audit()].count("proposed") == 2 * per_agent


def test_the_server_refuses_to_start_for_an_approver(repo: Path) -> None:
    for actor in (APPROVER, APPROVER2.upper(), f"  {APPROVER}  "):
        params = server_params(repo, actor)
        proc = subprocess.run(
            [sys.executable, *params.args],
            env=params.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 1, proc
        assert proc.stdout == ""
        lines = proc.stderr.splitlines()
        assert len(lines) == 2
        if actor != actor.strip():  # identities are taken exactly: spaces are refused first
            assert lines[0].startswith("error: the actor identity ")
            assert lines[0].endswith("is refused: it has surrounding whitespace")
            continue
        assert lines[0].startswith(f"error: {actor} is an approver in the policy on main")
        assert "an agent must not hold an approver's identity" in lines[0]
        assert lines[1].startswith("hint: start `gitgate mcp` with the agent's own identity")


def test_startup_errors_are_clean(repo: Path, tmp_path: Path) -> None:
    def start(*args: str, cwd_repo: Path = repo) -> subprocess.CompletedProcess[str]:
        params = server_params(cwd_repo, AGENT, *args)
        return subprocess.run(
            [sys.executable, *params.args],
            env=params.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )

    proc = start("--target", "dev")
    assert (proc.returncode, proc.stderr) == (
        1,
        "error: 'dev' is not a protected branch\nhint: protected branches: main\n",
    )
    plain = create_repo(tmp_path / "plain")
    commit(plain, {"a": "a\n"}, "a")
    proc = start(cwd_repo=plain)
    assert proc.returncode == 1 and proc.stderr.startswith(
        "error: this repository is not set up for gitgate\nhint: run `gitgate init"
    )
    params = server_params(repo, AGENT)
    proc = subprocess.run(
        [sys.executable, "-m", "gitgate", "-C", str(repo), "mcp"],
        env=params.env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and "Missing option '--actor'" in proc.stderr


def test_without_the_sdk_the_command_says_how_to_install_it(repo: Path) -> None:
    # sys.modules[name] = None is how Python spells "this package is not installed".
    code = (
        "import sys; sys.modules['mcp'] = None; from gitgate.cli import main; "
        f"main(['-C', {str(repo)!r}, 'mcp', '--actor', {AGENT!r}], prog_name='gitgate')"
    )
    params = server_params(repo, AGENT)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=params.env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        "error: `gitgate mcp` needs the MCP Python SDK (the `mcp` package, 2.x)\n"
        "hint: pip install 'gitgate-approvals[mcp]'\n"
    )


def test_help_does_not_load_the_sdk(repo: Path) -> None:
    code = (
        "import sys\nfrom gitgate.cli import main\n"
        "try:\n    main(['mcp', '--help'], prog_name='gitgate')\nexcept SystemExit:\n    pass\n"
        "print('loaded' if 'mcp' in sys.modules else 'not loaded')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=server_params(repo, AGENT).env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--actor ID" in proc.stdout
    assert "one server per agent identity" in " ".join(proc.stdout.split())
    assert proc.stdout.rstrip().endswith("not loaded")


def test_an_agent_made_approver_after_start_is_refused_from_then_on(repo: Path) -> None:
    out: dict[str, Any] = {}

    async def scenario(s: ClientSession) -> None:
        out["before"] = await ok(s, "list_proposals")
        # The policy changes under the running server: the agent becomes an approver.
        Gate(repo).init(["main"], [APPROVER, AGENT], force=True, actor=APPROVER)
        res = await refused(s, "write_file", path="x.txt", content="x\n")
        out["after"] = res.structured_content
        res = await refused(s, "read_file", path="README.md")
        out["read"] = res.structured_content

    drive(repo, scenario)
    assert out["before"] == {"result": []}
    assert (
        out["after"]["error"] == "approver-identity" and out["read"]["error"] == "approver-identity"
    )
    assert Gate(repo).list() == []


def test_an_unforeseen_failure_is_a_clean_tool_error_and_the_server_carries_on(
    repo: Path,
) -> None:
    # A real fault, not a mock: the blob of README.md disappears from the object store.
    blob = rev_parse(repo, "main:README.md")
    loose = repo / ".git" / "objects" / blob[:2] / blob[2:]
    loose.unlink()
    out: dict[str, Any] = {}

    async def scenario(s: ClientSession) -> None:
        res = await refused(s, "read_file", path="README.md")
        out["text"], out["data"] = texts(res), res.structured_content
        out["next"] = await ok(s, "read_file", path="src/app.py")

    drive(repo, scenario)
    assert out["text"].startswith("error: internal error: ")
    assert out["text"].endswith(
        "hint: this is a bug in gitgate; rerun `gitgate --debug mcp …` and please report it"
    )
    assert out["data"]["error"] == "internal"
    assert out["next"]["content"] == "print('a')\nprint('b')\n"


def test_target_names_the_branch_proposals_go_to_and_files_are_read_from(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "repo")
    commit(repo, {"README.md": "main\n"}, "initial")
    commit(repo, {"README.md": "release\n"}, "release", branch="release")
    gitgate_ok(
        repo,
        "init",
        "--protect",
        "main",
        "--protect",
        "release",
        "--approver",
        APPROVER,
        actor=APPROVER,
    )
    out: dict[str, Any] = {}

    async def main() -> None:
        async with session(repo, AGENT, "--target", "release") as s:
            out["read"] = await ok(s, "read_file", path="README.md")
            out["main"] = await ok(s, "read_file", path="README.md", ref="main")
            out["made"] = await ok(s, "write_file", path="README.md", content="next\n")

    anyio.run(main)
    assert (out["read"]["ref"], out["read"]["content"]) == ("release", "release\n")
    assert out["main"]["content"] == "main\n"
    assert Gate(repo).get(out["made"]["id"]).target == "release"
