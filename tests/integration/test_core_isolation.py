"""Proposing never touches the working tree, the index or HEAD; approving only brings a
checked-out target along, and never over local changes. Plus the whole flow on a bare
repository through the API."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitgate.workflow import Gate
from gitutil import (
    AGENT,
    APPROVER,
    APPROVER2,
    commit,
    create_repo,
    freeze_clock,
    gitgate,
    gitgate_ok,
    make_gated_repo,
    ref_exists,
    rev_parse,
    run_git,
    run_git_raw,
    status_porcelain,
)


@pytest.fixture(autouse=True)
def _sealed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    freeze_clock(monkeypatch)
    yield  # conftest's hermetic seal already covers libgit2's config search path


def _snapshot(repo: Path) -> dict[str, object]:
    """Everything a proposal must leave alone."""
    git_dir = Path(run_git(repo, "rev-parse", "--absolute-git-dir").strip())
    index = git_dir / "index"
    files: dict[str, str] = {}
    if not run_git(repo, "rev-parse", "--is-bare-repository").strip() == "true":
        for root, dirs, names in os.walk(repo):
            dirs[:] = [d for d in dirs if d != ".git"]
            for name in names:
                path = Path(root) / name
                st = path.lstat()
                files[str(path.relative_to(repo))] = (
                    f"{st.st_mode:o} {st.st_mtime_ns} "
                    + hashlib.sha256(
                        path.read_bytes() if not path.is_symlink() else b""
                    ).hexdigest()
                )
    return {
        "HEAD": run_git(repo, "symbolic-ref", "-q", "HEAD", check=False),
        "HEAD commit": run_git(repo, "rev-parse", "-q", "--verify", "HEAD", check=False),
        "index": index.read_bytes() if index.exists() else None,
        "status": status_porcelain(repo) if files or index.exists() else "",
        "branches": run_git(repo, "for-each-ref", "refs/heads/main", "refs/tags"),
        "files": files,
    }


def _propose_everything(repo: Path, tmp_path: Path) -> list[str]:
    patch = tmp_path / "p.diff"
    patch.write_text(
        "diff --git a/src/a.txt b/src/a.txt\n--- a/src/a.txt\n+++ b/src/a.txt\n"
        "@@ -1 +1 @@\n-a\n+A\n"
    )
    return [
        gitgate_ok(repo, "propose", "write", "README.md", input="changed\n").strip(),
        gitgate_ok(repo, "propose", "create", "brand/new.txt", input="").strip(),
        gitgate_ok(repo, "propose", "delete", "gone.txt").strip(),
        gitgate_ok(repo, "propose", "patch", str(patch)).strip(),
    ]


FILES = {"README.md": "hello\n", "src/a.txt": "a\n", "gone.txt": "bye\n"}


def test_proposing_leaves_a_dirty_checkout_alone(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo", files=FILES)
    (repo / "README.md").write_text("local edit, not staged\n")
    (repo / "src/a.txt").write_text("staged edit\n")
    run_git(repo, "add", "src/a.txt")
    (repo / "untracked.txt").write_text("untracked\n")
    before = _snapshot(repo)
    assert before["status"] == " M README.md\nM  src/a.txt\n?? untracked.txt\n"
    pids = _propose_everything(repo, tmp_path)
    assert _snapshot(repo) == before
    for pid in pids:
        assert ref_exists(repo, f"refs/heads/gitgate/pending/{pid}")


def test_proposing_leaves_a_clean_checkout_alone(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo", files=FILES)
    before = _snapshot(repo)
    assert before["status"] == ""
    _propose_everything(repo, tmp_path)
    assert _snapshot(repo) == before


def test_proposing_on_a_bare_repository_moves_no_branch(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "bare.git", bare=True, files=FILES)
    before = _snapshot(repo)
    _propose_everything(repo, tmp_path)
    assert _snapshot(repo) == before
    assert not (repo / "index").exists()


def test_proposing_with_another_branch_checked_out(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo", files=FILES)
    run_git(repo, "checkout", "-q", "-b", "feature")
    (repo / "feature.txt").write_text("wip\n")
    before = _snapshot(repo)
    pid = gitgate_ok(repo, "propose", "write", "README.md", input="x\n").strip()
    assert _snapshot(repo) == before
    gitgate_ok(repo, "approve", pid, actor=APPROVER)
    after = _snapshot(repo)
    assert after["files"] == before["files"] and after["index"] == before["index"]
    assert after["HEAD"] == "refs/heads/feature\n"
    assert run_git(repo, "show", "main:README.md") == "x\n"


def test_approve_keeps_local_changes_and_warns(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo", files=FILES)
    pid = gitgate_ok(repo, "propose", "write", "README.md", input="approved\n").strip()
    (repo / "README.md").write_text("my local work\n")
    out = gitgate(repo, "approve", pid, actor=APPROVER)
    assert out.exit_code == 0
    assert out.stderr == (
        "warning: main is checked out here and has local changes; its working tree was not "
        "updated (run `git status`, then `git reset --keep main`)\n"
    )
    assert (repo / "README.md").read_text() == "my local work\n"  # never overwritten
    assert run_git(repo, "show", "main:README.md") == "approved\n"
    assert gitgate_ok(repo, "audit", "verify").startswith("audit log OK")


def test_approve_brings_a_clean_checkout_along(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo", files=FILES)
    (repo / "untracked.txt").write_text("stays\n")
    pids = _propose_everything(repo, tmp_path)
    out = gitgate(repo, "approve", *pids, actor=APPROVER)
    assert (out.exit_code, out.stderr) == (0, "")
    assert status_porcelain(repo) == "?? untracked.txt\n"
    assert (repo / "README.md").read_text() == "changed\n"
    assert (repo / "brand/new.txt").read_text() == ""
    assert not (repo / "gone.txt").exists()
    assert (repo / "src/a.txt").read_text() == "A\n"
    assert rev_parse(repo, "HEAD") == rev_parse(repo, "main")


def test_full_flow_on_a_bare_repository_through_the_api(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "srv.git", bare=True)
    commit(repo, {"README.md": "hello\n", "lib/x.py": "x = 1\n", "old.txt": "old\n"}, "initial")
    gate = Gate(repo)
    assert gate.store.is_bare
    init = gate.init(["main"], [APPROVER, APPROVER2], actor=APPROVER)
    assert (init.branch, init.wrote_policy, init.started_audit, init.warnings) == (
        "main",
        True,
        True,
        (),
    )

    write = gate.propose_write("README.md", "hello, bare\n", message="Greet", actor=AGENT)
    create = gate.propose_create("docs/a.md", "# A\n", actor=AGENT, executable=True)
    delete = gate.propose_delete("old.txt", actor=AGENT)
    patch = gate.propose_patch(
        "diff --git a/lib/x.py b/lib/x.py\n--- a/lib/x.py\n+++ b/lib/x.py\n@@ -1 +1 @@\n"
        "-x = 1\n+x = 2\n",
        actor=AGENT,
    )
    doomed = gate.propose_write("lib/x.py", "x = 3\n", actor=AGENT)
    withdrawn = gate.propose_write("README.md", "never\n", actor=AGENT)
    assert [p.status for p in gate.list()] == ["pending"] * 6
    assert {p.id for p in gate.list("pending")} == {
        write.id,
        create.id,
        delete.id,
        patch.id,
        doomed.id,
        withdrawn.id,
    }

    for p in (write, create, delete, patch):
        decision = gate.approve(p.id, actor=APPROVER2)
        assert decision.proposal.status == "executed" and decision.warnings == ()
    failed = gate.approve(doomed.id, actor=APPROVER).proposal
    assert failed.status == "failed"
    assert failed.result == {"error": "merge conflict", "conflicts": ["lib/x.py"]}
    gone = gate.reject(withdrawn.id, "superseded", actor=AGENT)  # the requester withdraws
    assert gone.status == "rejected" and gone.result == {"reason": "superseded"}

    assert run_git(repo, "show", "main:README.md") == "hello, bare\n"
    assert run_git(repo, "ls-tree", "main", "docs/a.md").startswith("100755 blob ")
    assert run_git_raw(repo, "cat-file", "-e", "main:old.txt", check=False).returncode != 0
    assert run_git(repo, "show", "main:lib/x.py") == "x = 2\n"
    assert run_git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/gitgate/") == ""
    assert run_git(repo, "for-each-ref", "--format=%(refname)", "refs/gitgate/archive/") == (
        "".join(f"refs/gitgate/archive/{i}\n" for i in sorted([doomed.id, withdrawn.id]))
    )
    events = [(e.seq, e.event, e.proposal) for e in gate.audit()]
    assert events[0] == (1, "init", None)
    assert [e[0] for e in events] == list(range(1, len(events) + 1))
    assert [e[1] for e in events].count("executed") == 4
    assert [e[1] for e in events].count("failed") == 1
    assert [e[1] for e in events].count("rejected") == 1
    report = gate.verify_audit()
    assert (report.ok, report.entries, report.proposals) == (True, len(events), 6)
    assert gate.get(withdrawn.id[:6]).status == "rejected"


def test_packed_refs_and_gc_do_not_confuse_gitgate(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo.git", bare=True, files=FILES)
    gate = Gate(repo)
    first = gate.propose_write("a.txt", "a\n", actor=AGENT)
    second = gate.propose_write("b.txt", "b\n", actor=AGENT)
    run_git(repo, "pack-refs", "--all")
    run_git(repo, "gc", "-q", "--prune=now")
    assert gate.approve(first.id, actor=APPROVER).proposal.status == "executed"
    run_git(repo, "pack-refs", "--all")
    assert gate.reject(second.id, "no", actor=APPROVER).status == "rejected"
    assert not ref_exists(repo, f"refs/heads/gitgate/pending/{second.id}")
    assert "gitgate/pending" not in run_git(repo, "for-each-ref")
    assert gate.verify_audit().ok
