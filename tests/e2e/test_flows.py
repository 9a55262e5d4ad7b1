"""Legitimate flows through a server guarded by the hook: they pass, and stay consistent."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from conftest import AGENT2, World
from gitgate import remote
from gitgate.errors import ConcurrentUpdate
from gitgate.workflow import Gate
from gitutil import AGENT, APPROVER, gitgate_subprocess, imported_modules, run_git


def _verify_server(world: World) -> None:
    proc = gitgate_subprocess(world.server, "audit", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("audit log OK"), proc.stdout


def _server_list(world: World) -> dict[str, str]:
    proc = gitgate_subprocess(world.server, "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return {p["id"]: p["status"] for p in json.loads(proc.stdout)}


def _propose(world: World, name: str, path: str, content: str) -> str:
    src = world.root / f"{name}-{path.replace('/', '_')}"
    src.write_text(content)
    return world.gitgate(name, "propose", "write", path, "--from", str(src), "--push").ok()


def test_init_in_a_clone_configures_fetch_of_gitgate_refs(world: World) -> None:
    specs = run_git(world.clone("agent"), "config", "--get-all", "remote.origin.fetch").split()
    assert "+refs/notes/gitgate*:refs/gitgate-remote/origin/notes/gitgate*" in specs
    assert "+refs/gitgate/audit*:refs/gitgate-remote/origin/gitgate/audit*" in specs
    pid = _propose(world, "agent2", "docs/new.md", "new\n")
    run_git(world.clone("agent"), "fetch", "-q")  # plain git fetch brings gitgate's refs
    tracked = run_git(
        world.clone("agent"), "for-each-ref", "--format=%(refname)", "refs/gitgate-remote/"
    )
    assert f"refs/gitgate-remote/origin/heads/gitgate/pending/{pid}" in tracked.split()
    assert "refs/gitgate-remote/origin/notes/gitgate" in tracked.split()


def test_propose_then_approve_from_other_clones(world: World) -> None:
    pid = _propose(world, "agent", "docs/new.md", "new\n")
    refs = world.server_refs()
    assert f"refs/heads/gitgate/pending/{pid}" in refs
    out = world.gitgate("alice", "approve", pid, "--push").ok()
    assert out.startswith(f"{pid} executed: merged into main")
    refs = world.server_refs()
    assert f"refs/heads/gitgate/pending/{pid}" not in refs
    assert run_git(world.server, "show", "main:docs/new.md") == "new\n"
    assert _server_list(world) == {pid: "executed"}
    _verify_server(world)
    # The agent's clone catches up: executed, pending branch gone, main fast-forwarded.
    world.gitgate("agent", "fetch").ok()
    agent = Gate(world.clone("agent"))
    assert agent.get(pid).status == "executed"
    assert agent.store.resolve(f"refs/heads/gitgate/pending/{pid}") is None
    assert agent.store.resolve("refs/heads/main") == refs["refs/heads/main"]


def test_reject_with_push_archives_the_proposal(world: World) -> None:
    pid = _propose(world, "agent", "docs/new.md", "new\n")
    world.gitgate("bob", "reject", pid, "--reason", "not now", "--push").ok()
    refs = world.server_refs()
    assert f"refs/heads/gitgate/pending/{pid}" not in refs
    assert f"refs/gitgate/archive/{pid}" in refs
    assert _server_list(world) == {pid: "rejected"}
    _verify_server(world)


def test_requester_may_withdraw_their_own_proposal(world: World) -> None:
    pid = _propose(world, "agent", "docs/new.md", "new\n")
    world.gitgate("agent", "reject", pid, "--reason", "wrong file", "--push").ok()
    assert _server_list(world) == {pid: "rejected"}


def test_losing_proposer_merges_notes_and_reappends_its_entry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clones propose from the same tips; the second push loses the race and recovers."""
    first: list[str] = []

    def make() -> object:
        # agent2 fetched already; agent pushes a proposal before agent2 makes its own.
        first.append(_propose(world, "agent", "docs/a.md", "a\n"))
        return Gate(world.clone("agent2")).propose_write("docs/b.md", "b\n", actor=AGENT2)

    monkeypatch.setenv("REMOTE_USER", AGENT2)
    second = remote.propose_and_push(Gate(world.clone("agent2")), make)  # type: ignore[arg-type]
    assert _server_list(world) == {first[0]: "pending", second.id: "pending"}
    log = [(e["event"], e["proposal"]) for e in _server_audit(world)]
    assert log[-2:] == [("proposed", first[0]), ("proposed", second.id)]
    _verify_server(world)


def test_losing_approver_decides_again_on_the_new_tip(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    p1 = _propose(world, "agent", "docs/a.md", "a\n")
    p2 = _propose(world, "agent2", "docs/b.md", "b\n")
    raced: list[str] = []
    gate = Gate(world.clone("alice"))

    def decide(pid: str) -> object:
        if not raced:  # bob wins the first race
            raced.append(world.gitgate("bob", "approve", p2, "--push").ok())
        return gate.approve(pid, actor=APPROVER)

    monkeypatch.setenv("REMOTE_USER", APPROVER)
    decision = remote.decide_and_push(gate, p1, decide)
    assert decision.proposal.status == "executed"  # type: ignore[attr-defined]
    assert _server_list(world) == {p1: "executed", p2: "executed"}
    main = world.server_refs()["refs/heads/main"]
    assert run_git(world.server, "show", f"{main}:docs/a.md") == "a\n"
    assert run_git(world.server, "show", f"{main}:docs/b.md") == "b\n"
    _verify_server(world)


def test_other_refs_are_denied_by_default(world: World) -> None:
    run_git(world.clone("mallory"), "branch", "feature", "main")
    assert world.push("mallory", "feature").code != 0
    assert world.push("mallory", "main:refs/tags/v1", user=None).code != 0
    assert "refs/heads/feature" not in world.server_refs()


def test_gitlab_sees_prefixed_lines(world: World) -> None:
    pushed = world.push(
        "mallory",
        ":refs/gitgate/audit",
        user=None,
        env={"GL_ID": "user-7", "GL_USERNAME": "mallory"},
    )
    assert pushed.code != 0
    lines = [
        ln.removeprefix("remote:").strip()
        for ln in pushed.stderr.splitlines()
        if "GL-HOOK-ERR" in ln
    ]
    assert lines == [
        "GL-HOOK-ERR: gitgate: refused refs/gitgate/audit: the audit log is never deleted",
        "GL-HOOK-ERR: gitgate: hint: it is append-only",
    ]


def _server_audit(world: World) -> list[dict[str, object]]:
    proc = gitgate_subprocess(world.server, "audit", "log", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_install_keeps_a_foreign_hook_and_runs_it_first(world: World) -> None:
    hooks = world.server / "hooks"
    (hooks / "pre-receive").unlink()
    (hooks / "pre-receive").write_text(
        "#!/bin/sh\nwhile read old new ref; do\n"
        "  case $ref in refs/heads/blocked) echo 'legacy: blocked is frozen' >&2; exit 1;; esac\n"
        "done\nexit 0\n"
    )
    (hooks / "pre-receive").chmod(0o755)
    proc = gitgate_subprocess(world.server, "hook", "install")
    assert proc.returncode == 0, proc.stderr
    assert (hooks / "pre-receive.legacy").exists()
    run_git(world.clone("mallory"), "branch", "blocked", "main")
    refused = world.push("mallory", "blocked")
    assert refused.code != 0 and "legacy: blocked is frozen" in refused.stderr
    refused = world.push("mallory", ":refs/gitgate/audit")  # gitgate still judges after it
    assert refused.code != 0 and "the audit log is never deleted" in refused.stderr
    src = world.root / "legacy-ok.txt"
    src.write_text("ok\n")
    world.gitgate("agent", "propose", "write", "ok.txt", "--from", str(src), "--push").ok()
    proc = gitgate_subprocess(world.server, "hook", "uninstall")
    assert proc.returncode == 0, proc.stderr
    assert "legacy: blocked" in (hooks / "pre-receive").read_text()
    assert not (hooks / "pre-receive.legacy").exists()


@pytest.mark.parametrize("start", ["installed", "no path", "stale path"])
def test_the_hook_judges_however_python_starts(world: World, start: str) -> None:
    """The installed hook imports gitgate from the path it was installed with, Python's site
    initialisation skipped; a script without that path (the repository's template) or with a
    path that no longer holds gitgate starts Python the usual way. Each judges pushes."""
    import gitgate
    from gitgate.server.hookinstall import render_script

    hook = world.server / "hooks" / "pre-receive"
    if start == "installed":
        line = next(x for x in hook.read_text().splitlines() if x.startswith("GITGATE_PATH="))
        holds_gitgate = str(Path(gitgate.__file__).resolve().parents[1])
        assert holds_gitgate in shlex.split(line.partition("=")[2])[0].split(os.pathsep)
    else:
        path = [] if start == "no path" else [str(world.root / "gone" / "site-packages")]
        hook.write_text(render_script(sys.executable, path))
    refused = world.push("mallory", ":refs/gitgate/audit")
    assert refused.code != 0 and "the audit log is never deleted" in refused.stderr
    src = world.root / "started.txt"
    src.write_text("ok\n")
    world.gitgate("agent", "propose", "write", "ok.txt", "--from", str(src), "--push").ok()


def test_the_hook_judges_an_approval_without_typing_tomllib_or_inspect(world: World) -> None:
    """What the installed hook imports to judge a real approval push, as git runs it (Python
    reports its imports through PYTHONPROFILEIMPORTTIME, relayed as ``remote:`` lines): the
    modules docs/ARCHITECTURE.md's "Start-up" says it does without stay out, the policy's
    TOML parse is read from the server's cache, and the push passes."""
    pid = _propose(world, "agent", "docs/timed.md", "timed\n")
    world.gitgate("alice", "fetch").ok()
    world.gitgate("alice", "approve", pid).ok()
    refspecs = [
        "main",
        "refs/gitgate/audit",
        "refs/notes/gitgate",
        f":refs/heads/gitgate/pending/{pid}",
    ]
    pushed = world.push("alice", *refspecs, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert pushed.code == 0, pushed.stderr[-3000:]
    imported = imported_modules(pushed.stderr)
    # the judgement ran: its reader, the secret scan, the journal check
    for module in (
        "gitgate.server.hook",
        "gitgate.store.gitread",
        "gitgate.safety.redaction",
        "gitgate.journal.admit",
        "gitgate.server.policycache",
    ):
        assert module in imported
    for module in ("typing", "tomllib", "inspect", "ast", "threading", "pygit2", "click"):
        assert module not in imported
    assert list((world.server / "gitgate-cache").glob("policy-*.json"))
    assert run_git(world.server, "show", "main:docs/timed.md") == "timed\n"


def test_repository_hook_file_is_the_rendered_template() -> None:
    from gitgate.server.hookinstall import render_script

    script = Path(__file__).parents[2] / "hooks" / "pre-receive"
    assert script.read_text() == render_script("python3")


def test_secret_allowed_on_purpose_passes_push_protection(world: World) -> None:
    src = world.root / "settings.txt"
    src.write_text("token = ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0" + "4N2q2A\n")
    out = world.gitgate(
        "agent",
        "propose",
        "write",
        "conf/settings.txt",
        "--from",
        str(src),
        "--allow-secret",
        "--push",
    )
    pid = out.ok()
    assert f"refs/heads/gitgate/pending/{pid}" in world.server_refs()


def test_command_proposal_approved_with_push(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = Gate(world.clone("agent"))
    monkeypatch.setenv("REMOTE_USER", "agent@example.com")
    proposal = remote.propose_and_push(
        gate, lambda: gate.propose_command("echo built > out.txt", actor="agent@example.com")
    )
    world.gitgate("alice", "approve", proposal.id, "--push").ok()
    assert run_git(world.server, "show", "main:out.txt") == "built\n"
    _verify_server(world)


def test_a_command_is_not_run_twice_when_its_push_loses_a_race(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = Gate(world.clone("agent"))
    monkeypatch.setenv("REMOTE_USER", AGENT)
    command = remote.propose_and_push(
        agent, lambda: agent.propose_command("echo built > out.txt", actor=AGENT)
    )
    other = _propose(world, "agent2", "docs/b.md", "b\n")
    gate = Gate(world.clone("alice"))
    runs: list[str] = []

    def decide(pid: str) -> object:
        if not runs:  # bob lands another approval while alice's command runs
            world.gitgate("bob", "approve", other, "--push").ok()
        runs.append(pid)
        return gate.approve(pid, actor=APPROVER)

    monkeypatch.setenv("REMOTE_USER", APPROVER)
    with pytest.raises(ConcurrentUpdate) as raised:
        remote.decide_and_push(gate, command.id, decide)
    assert runs == [command.id]  # ran once, not again on the new tips
    assert "not run a second time" in raised.value.message
    assert gate.get(command.id).status == "pending"  # taken back here, as on the server
    assert _server_list(world) == {command.id: "pending", other: "executed"}
    world.gitgate("alice", "approve", command.id, "--push").ok()  # a person asks again
    assert run_git(world.server, "show", "main:out.txt") == "built\n"
    _verify_server(world)


def test_a_refused_proposal_is_taken_back_locally(world: World) -> None:
    agent = Gate(world.clone("agent"))
    audit_before = agent.store.resolve("refs/gitgate/audit")
    src = world.root / "new.md"
    src.write_text("new\n")
    # The server knows this pusher as someone else than the actor the clone writes entries as.
    out = world.gitgate(
        "agent", "propose", "write", "docs/new.md", "--from", str(src), "--push", user="mallory"
    )
    assert out.code == 1
    assert out.stderr.startswith("error: origin refused the push:\n  refused refs/")
    assert "names agent@example.com as its actor, but mallory is pushing" in out.stderr
    assert agent.store.list_refs("refs/heads/gitgate/pending/") == {}
    assert agent.store.resolve("refs/gitgate/audit") == audit_before
    assert agent.list() == []
    _propose(world, "agent", "docs/new.md", "new\n")  # the clone is not stuck
    assert len(_server_list(world)) == 1


# -- a clone that wrote entries the server lacks ------------------------------------------


def test_a_local_approval_overtaken_by_the_server_is_taken_back_not_stuck(world: World) -> None:
    first = _propose(world, "agent", "docs/one.md", "one\n")
    second = _propose(world, "agent", "docs/two.md", "two\n")
    world.gitgate("alice", "fetch").ok()
    world.gitgate("alice", "approve", second).ok()  # local only: not pushed
    world.gitgate("bob", "approve", first, "--push").ok()  # the server's main moves meanwhile
    fetched = world.gitgate("alice", "fetch")
    assert fetched.code == 0, fetched.stderr
    assert f"your executed of {second} was not pushed and no longer fits" in fetched.stderr
    alice = world.clone("alice")
    assert gitgate_subprocess(alice, "audit", "verify").returncode == 0
    doctor = gitgate_subprocess(alice, "doctor", "--dry-run")
    assert doctor.returncode == 0 and "nothing to repair" in doctor.stdout, doctor.stdout
    local = Gate(alice)
    assert local.get(second).status == "pending"  # back to pending, never stuck
    assert local.store.resolve("refs/heads/main") == world.server_refs()["refs/heads/main"]
    world.gitgate("alice", "approve", second, "--push").ok()
    assert _server_list(world) == {first: "executed", second: "executed"}
    assert run_git(world.server, "show", "main:docs/one.md") == "one\n"
    assert run_git(world.server, "show", "main:docs/two.md") == "two\n"
    _verify_server(world)


def test_an_old_local_proposal_is_restamped_when_it_joins_the_servers_log(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from gitgate import clock

    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() - timedelta(hours=2))
    src = world.root / "offline.md"
    src.write_text("written offline\n")
    offline = world.gitgate("agent", "propose", "write", "docs/offline.md", "--from", str(src))
    pid = offline.ok()
    monkeypatch.setattr(clock, "now", real_now)
    other = _propose(world, "agent2", "docs/other.md", "other\n")  # the server's log moves on
    world.gitgate("agent", "fetch").ok()
    agent = world.clone("agent")
    assert gitgate_subprocess(agent, "audit", "verify").returncode == 0
    pushed = world.push(
        "agent",
        "refs/gitgate/audit",
        "refs/notes/gitgate",
        f"refs/heads/gitgate/pending/{pid}",
    )
    assert pushed.code == 0, pushed.stderr
    assert _server_list(world) == {other: "pending", pid: "pending"}
    _verify_server(world)


class _Crash(BaseException):
    """Stops a command the way a crash would (nothing in gitgate catches a BaseException)."""


def _fetch_crashing_at(world: World, k: int) -> None:
    """alice's fetch, stopped at its k-th fault point."""
    from gitgate.store import gitstore

    count = [0]

    def fault(step: str) -> None:
        count[0] += 1
        if count[0] == k:
            raise _Crash(step)

    gitstore.FAULTS = fault
    try:
        with pytest.raises(_Crash):
            world.gitgate("alice", "fetch")
    finally:
        gitstore.FAULTS = None


def test_a_fetch_that_crashes_half_way_is_completed_by_the_next_fetch(world: World) -> None:
    from gitgate.store import gitstore

    def overtaken() -> tuple[str, str]:
        first = _propose(world, "agent", "docs/one.md", f"one {overtaken.round}\n")
        second = _propose(world, "agent", "docs/two.md", f"two {overtaken.round}\n")
        overtaken.round += 1  # type: ignore[attr-defined]
        world.gitgate("alice", "fetch").ok()
        world.gitgate("alice", "approve", second).ok()  # local only
        world.gitgate("bob", "approve", first, "--push").ok()
        return first, second

    overtaken.round = 0  # type: ignore[attr-defined]
    seen: list[str] = []
    _first, second = overtaken()
    gitstore.FAULTS = seen.append
    try:
        world.gitgate("alice", "fetch").ok()
    finally:
        gitstore.FAULTS = None
    assert seen, "fetch passes no fault point"
    world.gitgate("alice", "approve", second, "--push").ok()
    for k in range(1, len(seen) + 1):
        _first, second = overtaken()
        _fetch_crashing_at(world, k)
        world.gitgate("alice", "fetch").ok()  # the next command completes it
        alice = world.clone("alice")
        verify = gitgate_subprocess(alice, "audit", "verify")
        assert verify.returncode == 0, (k, verify.stdout)
        assert Gate(alice).get(second).status == "pending", k
        assert (
            Gate(alice).store.resolve("refs/heads/main") == world.server_refs()["refs/heads/main"]
        )
        assert run_git(alice, "status", "--porcelain") == "", k  # the checkout followed
        world.gitgate("alice", "approve", second, "--push").ok()
    _verify_server(world)


def test_doctor_completes_a_fetch_that_crashed_half_way(world: World) -> None:
    """Another command may run before the next fetch: it must not fail with an internal
    error, and `gitgate doctor` (which that command's warning names) completes the fetch's
    work from the journal: the branch is set back, the overtaken proposal is pending."""
    from gitgate.store import gitstore

    seen: list[str] = []
    first = _propose(world, "agent", "docs/one.md", "one\n")
    second = _propose(world, "agent", "docs/two.md", "two\n")
    world.gitgate("alice", "fetch").ok()
    world.gitgate("alice", "approve", second).ok()
    world.gitgate("bob", "approve", first, "--push").ok()
    alice = world.clone("alice")
    snapshot = world.root / "alice-before"
    shutil.copytree(alice, snapshot, symlinks=True)
    gitstore.FAULTS = seen.append
    try:
        world.gitgate("alice", "fetch").ok()
    finally:
        gitstore.FAULTS = None
    for k in range(1, len(seen) + 1):
        shutil.rmtree(alice)
        shutil.copytree(snapshot, alice, symlinks=True)
        run_git(alice, "update-index", "-q", "--refresh")  # the copy's files have new stat data
        _fetch_crashing_at(world, k)
        listed = gitgate_subprocess(alice, "list")
        assert listed.returncode in (0, 1), (k, listed.stderr)
        assert "Traceback" not in listed.stderr, (k, listed.stderr)
        doctor = gitgate_subprocess(alice, "doctor")
        assert doctor.returncode == 0, (k, seen[k - 1], doctor.stdout, doctor.stderr)
        verify = gitgate_subprocess(alice, "audit", "verify")
        assert verify.returncode == 0, (k, verify.stdout)
        world.gitgate("alice", "fetch").ok()
        local = Gate(alice)
        assert local.get(second).status == "pending", k
        assert local.store.resolve("refs/heads/main") == world.server_refs()["refs/heads/main"]
        assert run_git(alice, "status", "--porcelain") == "", k
