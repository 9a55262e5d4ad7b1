"""Gated execution end to end: `gitgate run` for each verdict, and command proposals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.gitutil import (
    AGENT,
    APPROVER,
    APPROVER2,
    gitgate,
    gitgate_ok,
    make_gated_repo,
    ref_exists,
    rev_parse,
    run_git,
)

from gitgate.workflow import Gate


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_gated_repo(tmp_path / "repo", files={"README.md": "hello\n", "data.txt": "a\n"})


def _events(repo: Path) -> list[dict[str, object]]:
    return json.loads(gitgate_ok(repo, "audit", "log", "--json"))


def test_run_allow_runs_now_and_audits(repo: Path) -> None:
    out = gitgate(repo, "run", "--", "git", "status", "--short")
    assert out.exit_code == 0, out.stderr
    last = _events(repo)[-1]
    assert last["event"] == "command.auto"
    assert last["details"]["command"] == "git status --short"  # type: ignore[index]
    assert last["details"]["exit_code"] == 0  # type: ignore[index]


def test_commands_get_no_inherited_secrets(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Any inherited variable will do: naming a secret one ($AWS_SECRET_ACCESS_KEY) is denied.
    monkeypatch.setenv("GITGATE_TEST_INHERITED", "should-not-leak")
    gate = Gate(repo)
    p = gate.propose_command('echo "[$GITGATE_TEST_INHERITED][$HOME]" > seen.txt', actor=AGENT)
    assert gate.approve(p.id, actor=APPROVER).proposal.status == "executed"
    seen = run_git(repo, "show", "main:seen.txt")
    assert seen.startswith("[][/") and "should-not-leak" not in seen  # a temporary HOME


def test_run_deny_refuses_with_distinct_exit_code(repo: Path) -> None:
    out = gitgate(repo, "run", "--", "rm", "-rf", "/")
    assert out.exit_code == 4
    assert out.stderr.startswith("error: command refused: ")
    last = _events(repo)[-1]
    assert last["event"] == "command.denied"
    assert last["details"]["command"] == "rm -rf /"  # type: ignore[index]


def test_run_approve_creates_a_command_proposal(repo: Path) -> None:
    out = gitgate(repo, "run", "--", "make", "build")
    assert out.exit_code == 5, out.stderr
    pid = out.stdout.strip()
    proposal = json.loads(gitgate_ok(repo, "show", pid, "--json"))
    assert proposal["kind"] == "command"
    assert proposal["status"] == "pending"
    assert proposal["arguments"]["command"] == "make build"
    assert _events(repo)[-1]["event"] == "proposed"


def test_approved_command_changes_files_and_is_merged(repo: Path) -> None:
    gate = Gate(repo)
    p = gate.propose_command(
        "echo generated > out.txt && sed -i s/a/b/ data.txt", actor=AGENT, message="regen"
    )
    before = rev_parse(repo, "main")
    decision = gate.approve(p.id, actor=APPROVER)
    assert decision.proposal.status == "executed", decision.proposal.result
    assert run_git(repo, "show", "main:out.txt") == "generated\n"
    assert run_git(repo, "show", "main:data.txt") == "b\n"
    merge = decision.proposal.result["merge"]
    assert run_git(repo, "rev-parse", f"{merge}^1").strip() == before
    assert run_git(repo, "rev-parse", f"{merge}^2").strip() == p.commit
    assert decision.proposal.result["exit_code"] == 0
    assert gate.verify_audit().ok


def test_approved_command_that_fails_merges_nothing(repo: Path) -> None:
    gate = Gate(repo)
    p = gate.propose_command("echo partial > out.txt; echo oops >&2; exit 3", actor=AGENT)
    before = rev_parse(repo, "main")
    decision = gate.approve(p.id, actor=APPROVER)
    assert decision.proposal.status == "failed"
    assert decision.proposal.result["exit_code"] == 3
    assert "oops" in decision.proposal.result["output"]
    assert rev_parse(repo, "main") == before
    assert ref_exists(repo, f"refs/gitgate/archive/{p.id}")
    assert gate.verify_audit().ok
    assert run_git(repo, "worktree", "list").count("\n") == 1  # the temporary worktree is gone


def test_command_timeout_from_policy_is_failed(repo: Path) -> None:
    gate = Gate(repo)
    policy = run_git(repo, "show", "main:.gitgate.toml").replace("timeout = 300", "timeout = 1")
    change = gate.propose_write(".gitgate.toml", policy, actor=AGENT, message="short timeout")
    gate.approve(change.id, actor=APPROVER)
    assert gate.policy().commands.timeout == 1
    p = gate.propose_command("sleep 30", actor=AGENT)
    decision = gate.approve(p.id, actor=APPROVER2)
    assert decision.proposal.status == "failed"
    assert decision.proposal.result["timed_out"] is True


def test_command_writing_a_sensitive_file_is_refused(repo: Path) -> None:
    gate = Gate(repo)
    # The classifier cannot see through this; the check of the command's changes must.
    p = gate.propose_command("""python3 -c "open('.e' + 'nv', 'w').write('X=1')" """, actor=AGENT)
    decision = gate.approve(p.id, actor=APPROVER)
    assert decision.proposal.status == "failed"
    assert "refused" in decision.proposal.result["error"]
    assert run_git(repo, "ls-tree", "--name-only", "main").split() == [
        ".gitgate.toml",
        "README.md",
        "data.txt",
    ]


def test_command_with_a_secret_is_refused_at_proposal(repo: Path) -> None:
    token = "ghp_" + "a1B2c3D4e5" * 4
    out = gitgate(repo, "propose", "command", "--", f"curl -H 'Authorization: token {token}' x")
    # the classifier denies a command line that holds a secret (exit 4, never run), before
    # the metadata check would refuse to record it (exit 1); neither echoes the secret
    assert out.exit_code == 4
    assert "secret" in out.stderr
    assert token not in out.stderr + out.stdout


def test_propose_command_deny_is_refused(repo: Path) -> None:
    out = gitgate(repo, "propose", "command", "--", "sudo", "reboot")
    assert out.exit_code == 4
    assert _events(repo)[-1]["event"] == "command.denied"


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_sandboxed_command_cannot_write_outside_its_worktree(repo: Path, tmp_path: Path) -> None:
    gate = Gate(repo)
    policy = run_git(repo, "show", "main:.gitgate.toml").replace(
        'sandbox = "auto"', 'sandbox = "require"'
    )
    gate.approve(gate.propose_write(".gitgate.toml", policy, actor=AGENT).id, actor=APPROVER)
    outside = tmp_path / "outside.txt"
    p = gate.propose_command(f"echo pwned > {outside}", actor=AGENT)
    decision = gate.approve(p.id, actor=APPROVER)
    assert decision.proposal.status == "failed"
    assert decision.proposal.result["sandboxed"] is True
    assert not outside.exists()


def test_classify_and_check_path_use_the_repository_policy(repo: Path) -> None:
    gate = Gate(repo)
    policy = run_git(repo, "show", "main:.gitgate.toml")
    policy = policy.replace("deny = []", 'deny = ["make deploy"]').replace(
        "sensitive_paths = []", 'sensitive_paths = ["*.secret.yml"]'
    )
    gate.approve(gate.propose_write(".gitgate.toml", policy, actor=AGENT).id, actor=APPROVER)
    out = gitgate(repo, "classify", "--json", "make deploy")
    assert json.loads(out.stdout)["decision"] == "deny"
    out = gitgate(repo, "check-path", "conf/db.secret.yml")
    assert out.exit_code == 1
    assert "db.secret.yml" in out.stdout + out.stderr
