"""Bringing a checked-out target along: only the changed paths, exactly as git would.

``GitStore.sync_checkout`` gives ``git read-tree -m -u`` trees of just the paths that differ
instead of the whole trees. These tests hold it to git's own result with the whole trees:
twin checkouts, random changes and random local state (edits, staged edits, untracked files
in the way, deleted files), the same outcome, index and working tree; and real approvals of
every kind of change leave a clean checkout.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.gitutil import (
    AGENT,
    APPROVER,
    make_gated_repo,
    run_git,
    run_git_raw,
    status_porcelain,
)
from tests.integration.test_tree_changes import random_pair

from gitgate.store.gitstore import MODE_GITLINK, GitStore, Identity

WHO = Identity("Test", "test@example.com")


def _worktree(repo: Path) -> dict[str, tuple[str, bytes]]:
    """Every file, link and directory under the working tree (``.git`` left out)."""
    found: dict[str, tuple[str, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = [d for d in dirnames if not (dirpath == str(repo) and d == ".git")]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(repo))
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path).encode())
            elif path.is_dir():
                found[rel] = ("dir", b"")
            else:
                kind = "exec" if os.access(path, os.X_OK) else "file"
                found[rel] = (kind, path.read_bytes())
    return found


def _index(repo: Path) -> str:
    return run_git(repo, "ls-files", "-s", "-z")


def _dirty(repo: Path, rng: random.Random, old: str, new: str, store: GitStore) -> None:
    """Local state a user might have, drawn from ``rng`` (the twin gets the same draws)."""
    changed = store.changed_paths(old, new)
    tracked = [p for p, e in store.iter_tree(old) if e.mode != MODE_GITLINK]
    for _ in range(rng.randint(0, 2)):
        action = rng.choice(["edit", "edit", "stage", "untracked", "delete", "none"])
        pool = changed if changed and rng.random() < 0.7 else tracked or changed
        if not pool:
            return
        path = rng.choice(pool)
        target = repo / path
        if action == "edit" and target.is_file() and not target.is_symlink():
            target.write_bytes(target.read_bytes() + b"local\n")
        elif action == "stage" and target.is_file() and not target.is_symlink():
            target.write_bytes(b"staged\n")
            run_git(repo, "add", "--", path)
        elif action == "untracked" and not target.exists() and not target.is_symlink():
            if target.parent.is_dir() and not target.parent.is_symlink():
                target.write_bytes(b"mine\n")
        elif action == "delete" and target.is_file() and not target.is_symlink():
            target.unlink()


@pytest.mark.parametrize("seed", range(40))
def test_sync_equals_read_tree_of_the_whole_trees(tmp_path: Path, seed: int) -> None:
    ours, twin = tmp_path / "ours", tmp_path / "twin"
    run_git(tmp_path, "init", "-q", "--initial-branch=main", str(ours))
    store = GitStore.open(ours)
    old_tree, new_tree = random_pair(store, 2000 + seed)
    old = store.create_commit(old_tree, [], "old\n", WHO, 1_700_000_000)
    new = store.create_commit(new_tree, [old], "new\n", WHO, 1_700_000_100)
    run_git(ours, "update-ref", "refs/heads/main", old)
    run_git(ours, "reset", "-q", "--hard", "main")
    shutil.copytree(ours, twin, symlinks=True)
    for repo in (ours, twin):  # the same local state in both
        run_git(repo, "update-index", "-q", "--refresh")  # the copy has new inodes and times
        _dirty(repo, random.Random(seed), old_tree, new_tree, store)
        run_git(repo, "update-ref", "refs/heads/main", new, old)

    warning = GitStore.open(ours).sync_checkout("main", old, new)
    reference = run_git_raw(twin, "read-tree", "-m", "-u", old, new, check=False)

    assert (warning is None) == (reference.returncode == 0), reference.stderr
    assert _index(ours) == _index(twin)
    assert _worktree(ours) == _worktree(twin)
    assert status_porcelain(ours) == status_porcelain(twin)


def test_sync_without_an_index_checks_everything_out(tmp_path: Path) -> None:
    # git's "initial checkout": with no index every file of the new tree is written.
    repo = tmp_path / "repo"
    run_git(tmp_path, "init", "-q", "--initial-branch=main", str(repo))
    store = GitStore.open(repo)
    old_tree, new_tree = random_pair(store, 7)
    old = store.create_commit(old_tree, [], "old\n", WHO, 1_700_000_000)
    new = store.create_commit(new_tree, [old], "new\n", WHO, 1_700_000_100)
    run_git(repo, "update-ref", "refs/heads/main", new)
    assert not (repo / ".git" / "index").exists()
    assert store.sync_checkout("main", old, new) is None
    assert run_git(repo, "ls-files") == run_git(repo, "ls-tree", "-r", "--name-only", "main")
    assert run_git(repo, "diff-index", "--cached", "main") == ""
    for path, _entry in store.iter_tree(new_tree):
        assert (repo / path).is_symlink() or (repo / path).exists(), path


def _approve_change(repo: Path, scratch: Path, change: str) -> None:
    """Make ``change`` (shell commands) in a scratch clone, propose its diff, approve it."""
    from gitgate.workflow import Gate

    run_git(scratch, "fetch", "-q", str(repo), "main")
    run_git(scratch, "reset", "-q", "--hard", "FETCH_HEAD")
    subprocess.run(["sh", "-c", change], cwd=scratch, check=True)
    run_git(scratch, "add", "-A")
    run_git(scratch, "commit", "-q", "-m", change)
    patch = run_git_raw(scratch, "diff", "-M", "--binary", "HEAD~1", "HEAD").stdout
    gate = Gate(repo)
    proposal = gate.propose_patch(patch, actor=AGENT)
    decision = gate.approve(proposal.id, actor=APPROVER)
    assert decision.proposal.status == "executed", decision
    assert decision.warnings == (), decision.warnings


def test_approvals_of_every_kind_of_change_leave_a_clean_checkout(tmp_path: Path) -> None:
    files = {f"wide/f{i:04d}.txt": f"file {i}\n" for i in range(300)}
    files |= {"a.txt": "a\n", "tool.sh": "echo hi\n", "dir/inner.txt": "inner\n", "f": "f\n"}
    repo = make_gated_repo(tmp_path / "repo", files=files)
    (repo / "untracked-note.txt").write_text("mine, never touched\n")
    (repo / "wide" / "f0007.txt").write_text("a local edit of an unchanged file\n")
    scratch = tmp_path / "scratch"
    run_git(tmp_path, "clone", "-q", str(repo), str(scratch))
    changes = [
        "echo new > added.txt",  # add
        "echo changed >> a.txt",  # modify
        "git rm -q wide/f0003.txt",  # delete
        "git mv wide/f0004.txt moved.txt",  # rename
        "chmod +x tool.sh",  # chmod
        "ln -s a.txt link",  # symlink
        "git rm -q f && mkdir f && echo x > f/x",  # file -> directory
        "git rm -q -r dir && echo now-a-file > dir",  # directory -> file
        "rm link && echo was-a-link > link",  # symlink -> file
    ]
    for change in changes:
        _approve_change(repo, scratch, change)
        # the index holds exactly the target's tree, the files hold the index's content
        assert run_git(repo, "diff-index", "--cached", "main") == "", change
        assert status_porcelain(repo) == (" M wide/f0007.txt\n?? untracked-note.txt\n"), change
    assert (repo / "dir").read_text() == "now-a-file\n"
    assert (repo / "f" / "x").read_text() == "x\n"
    assert os.access(repo / "tool.sh", os.X_OK)
    assert not (repo / "wide" / "f0004.txt").exists() and (repo / "moved.txt").exists()
    assert (repo / "untracked-note.txt").read_text() == "mine, never touched\n"
