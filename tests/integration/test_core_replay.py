"""History replay: every commit of a varied history, proposed as a patch and approved, must
give exactly the tree git itself recorded.

A source repository gets ~35 commits exercising what `git diff --binary` can express: renames,
copies, mode changes, binary files, symlinks (added, retargeted, replacing a file and replaced
by one), deletions, empty files, missing final newlines, names git quotes, nested directories,
file/directory swaps. A second repository starts from the same root commit with gitgate set up;
each commit's `git diff --binary -M C^ C` is proposed and approved there, and the target's tree
must then equal C's tree (ignoring `.gitgate.toml`, which gitgate itself added).
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gitgate.errors import UnsafePath
from gitgate.workflow import Gate
from gitutil import (
    AGENT,
    APPROVER,
    create_repo,
    rev_parse,
    run_git,
    run_git_raw,
    status_porcelain,
    tree_listing,
)

Step = Callable[[Path], None]


def _write(root: Path, path: str, data: bytes | str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    target.write_bytes(data.encode() if isinstance(data, str) else data)


def _remove(root: Path, path: str) -> None:
    target = root / path
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    else:
        target.unlink()


def _link(root: Path, path: str, to: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        _remove(root, path)
    os.symlink(to, target)


def _move(root: Path, old: str, new: str) -> None:
    (root / new).parent.mkdir(parents=True, exist_ok=True)
    os.rename(root / old, root / new)


def _lines(n: int, seed: int, prefix: str = "line") -> str:
    rnd = random.Random(seed)
    return "".join(
        f"{prefix} {i}: {rnd.choice(['alpha', 'beta', 'gamma', 'delta'])}\n" for i in range(n)
    )


def _binary(size: int, seed: int) -> bytes:
    data = bytearray(random.Random(seed).randbytes(size))
    data[10] = 0  # git's binary detection looks for NUL
    return bytes(data)


PYTHON = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(40))


def _step_root(r: Path) -> None:
    _write(r, "README.md", "# Demo\n\nA project.\n")
    _write(r, "src/app.py", PYTHON)
    _write(r, "docs/guide.md", _lines(60, 1, "guide"))
    _write(r, "assets/blob.bin", _binary(3000, 2))
    _write(r, "target.txt", "the target\n")
    _write(r, "other.txt", "another target\n")
    _write(r, "to-become-link.txt", "I will be a symlink\n")
    _write(r, "scripts/run.sh", "#!/bin/sh\necho run\n")
    _write(r, "file-then-dir", "a file for now\n")
    _write(r, "crlf.txt", "one\r\ntwo\r\nthree\r\n")
    _write(r, "tree-then-file/x.txt", "x\n")
    _write(r, "tree-then-file/deeper/y.txt", "y\n")
    _write(r, "tree-then-link/z.txt", "z\n")
    _write(r, "swap-a", "a file that becomes a directory\n")
    _write(r, "swap-b/inside.txt", "a directory that becomes a file\n" * 3)


STEPS: list[tuple[str, Step]] = [
    (
        "edit text in several hunks",
        lambda r: _write(
            r, "src/app.py", PYTHON.replace("x + 3\n", "x * 3\n").replace("x + 30\n", "x - 30\n")
        ),
    ),
    (
        "rename with a small edit",
        lambda r: (
            _move(r, "docs/guide.md", "docs/manual/guide.md"),
            _write(
                r,
                "docs/manual/guide.md",
                (r / "docs/manual/guide.md").read_text().replace("guide 7:", "GUIDE 7:"),
            ),
        ),
    ),
    (
        "copy of a file, kept original",
        lambda r: _write(r, "src/app_copy.py", PYTHON.replace("x + 39\n", "x + 390\n")),
    ),
    ("chmod +x", lambda r: os.chmod(r / "scripts/run.sh", 0o755)),
    (
        "binary modified",
        lambda r: _write(r, "assets/blob.bin", _binary(3000, 2)[:2000] + _binary(1500, 3)),
    ),
    ("binary added, with NUL bytes only", lambda r: _write(r, "assets/zeros.bin", b"\0" * 64)),
    ("symlink added", lambda r: _link(r, "link", "target.txt")),
    ("symlink retargeted", lambda r: _link(r, "link", "other.txt")),
    ("nested symlink up one level", lambda r: _link(r, "docs/up-link", "../README.md")),
    ("file replaced by a symlink", lambda r: _link(r, "to-become-link.txt", "target.txt")),
    ("symlink replaced by a file", lambda r: _write(r, "link", "now a plain file\n")),
    ("deletion", lambda r: _remove(r, "other.txt")),
    ("symlink deleted", lambda r: _remove(r, "docs/up-link")),
    ("empty file added", lambda r: _write(r, "empty.txt", b"")),
    ("empty file deleted", lambda r: _remove(r, "empty.txt")),
    ("no final newline", lambda r: _write(r, "nonl.txt", "first\nno newline at the end")),
    ("final newline added", lambda r: _write(r, "nonl.txt", "first\nno newline at the end\n")),
    ("final newline removed again", lambda r: _write(r, "nonl.txt", "first\nchanged")),
    (
        "unicode names",
        lambda r: (
            _write(r, "ünïcödé.txt", "ünïcödé content ✓\n"),
            _write(r, "日本/ファイル.md", "こんにちは\n"),
        ),
    ),
    (
        "names git quotes",
        lambda r: (
            _write(r, "with space.txt", "spaces\n"),
            _write(r, 'quote"d.txt', "quotes\n"),
            _write(r, "it's.txt", "apostrophe\n"),
            _write(r, "star*and?.txt", "globs\n"),
        ),
    ),
    ("rename of a quoted name", lambda r: _move(r, 'quote"d.txt', 'dir with space/quote"d 2.txt')),
    (
        "deeply nested dirs",
        lambda r: [_write(r, f"a/b/c/d/e/f{i}.txt", f"nested {i}\n") for i in range(5)],
    ),
    ("nested dir deleted", lambda r: _remove(r, "a/b/c")),
    (
        "file becomes a directory",
        lambda r: (
            _remove(r, "file-then-dir"),
            _write(r, "file-then-dir/inside.txt", "now a dir\n"),
        ),
    ),
    (
        "rename with mode change",
        lambda r: (_move(r, "scripts/run.sh", "bin/run"), os.chmod(r / "bin/run", 0o644)),
    ),
    (
        "binary renamed and modified",
        lambda r: (
            _move(r, "assets/blob.bin", "assets/moved.bin"),
            _write(r, "assets/moved.bin", (r / "assets/moved.bin").read_bytes()[:2800] + b"\0tail"),
        ),
    ),
    ("crlf edited", lambda r: _write(r, "crlf.txt", "one\r\nTWO\r\nthree\r\nfour\r\n")),
    (
        "unicode file renamed and deleted elsewhere",
        lambda r: (_move(r, "ünïcödé.txt", "ü/ñ.txt"), _remove(r, "日本/ファイル.md")),
    ),
    (
        "executable binary",
        lambda r: (_write(r, "bin/tool", _binary(500, 9)), os.chmod(r / "bin/tool", 0o755)),
    ),
    (
        "directory becomes a file",
        lambda r: (_remove(r, "tree-then-file"), _write(r, "tree-then-file", "now a file\n")),
    ),
    (
        "directory becomes a symlink, its files deleted",
        lambda r: _link(r, "tree-then-link", "README.md"),
    ),
    (
        "symlink becomes a directory",
        lambda r: (
            _remove(r, "tree-then-link"),
            _write(r, "tree-then-link/back.txt", "a dir again\n"),
        ),
    ),
    (
        "file and directory swap in one change, with renames into and out of them",
        lambda r: (
            _move(r, "swap-b/inside.txt", "swap-b.tmp"),
            _remove(r, "swap-b"),
            _move(r, "swap-b.tmp", "swap-b"),
            _move(r, "swap-a", "swap-a.tmp"),
            _move(r, "swap-a.tmp", "swap-a/moved-in.txt"),
        ),
    ),
    (
        "renames of names git quotes, with mode changes",
        lambda r: (
            _move(r, "with space.txt", '-lead ^caret/é "q".txt'),
            os.chmod(r / '-lead ^caret/é "q".txt', 0o755),
            _move(r, "it's.txt", "日本 語/it's ^.txt"),
        ),
    ),
]


@pytest.fixture(scope="module")
def source_history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The source repository and its commits, root first (built once per module)."""
    repo = create_repo(tmp_path_factory.mktemp("replay") / "source")
    env = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
    _step_root(repo)
    commits = [_commit_all(repo, "root", env)]
    for title, step in STEPS:
        step(repo)
        commits.append(_commit_all(repo, title, env))
    return repo, commits


def _commit_all(repo: Path, message: str, env: dict[str, str]) -> str:
    run_git(repo, "add", "-A")
    run_git(
        repo, "-c", "core.fileMode=true", "commit", "-q", "--allow-empty", "-m", message, env=env
    )
    return rev_parse(repo, "HEAD")


def test_history_covers_what_it_claims(source_history: tuple[Path, list[str]]) -> None:
    repo, commits = source_history
    assert len(commits) == len(STEPS) + 1 >= 25
    summary = run_git(repo, "log", "--format=", "--summary", "-M", "-C", "--find-copies-harder")
    for marker in (
        "rename ",
        "copy ",
        "mode change 100644 => 100755",
        "create mode 120000",
        "delete mode 120000",
        "create mode 100755",
    ):
        assert marker in summary, marker
    raw = run_git(repo, "log", "--format=", "--raw", "--no-renames")
    assert ":100644 120000 " in raw  # file replaced by symlink (typechange)
    assert ":120000 100644 " in raw  # symlink replaced by file
    numstat = run_git(repo, "log", "--format=", "--numstat")
    assert "-\t-\tassets/zeros.bin" in numstat  # binary


@pytest.mark.parametrize(
    ("diff_args", "bare"),
    [
        (("-M",), False),
        (("-M", "-C", "--find-copies-harder"), True),
        (("--no-renames",), True),
    ],
    ids=["renames-worktree", "copies-bare", "no-renames-bare"],
)
def test_replay_history_through_proposals(
    source_history: tuple[Path, list[str]],
    tmp_path: Path,
    diff_args: tuple[str, ...],
    bare: bool,
) -> None:
    source, commits = source_history
    replay = create_repo(tmp_path / "replay", bare=bare)
    run_git(source, "push", "-q", str(replay), f"{commits[0]}:refs/heads/import")
    run_git(replay, "update-ref", "-d", "refs/heads/import")
    run_git(replay, "update-ref", "refs/heads/main", commits[0])
    if not bare:
        run_git(replay, "reset", "-q", "--hard", "main")
    gate = Gate(replay)
    gate.init(["main"], [APPROVER], actor=APPROVER)
    assert tree_listing(replay, "main") == tree_listing(source, commits[0])

    for parent, child in zip(commits, commits[1:], strict=False):
        patch = run_git_raw(source, "diff", "--binary", *diff_args, parent, child).stdout
        message = run_git(source, "log", "-1", "--format=%s", child).strip()
        proposal = gate.propose_patch(patch, message=message, actor=AGENT)
        assert tree_listing(replay, proposal.commit) == tree_listing(source, child), message
        decision = gate.approve(proposal.id, actor=APPROVER)
        assert decision.proposal.status == "executed", message
        assert decision.warnings == (), message
        assert tree_listing(replay, "main") == tree_listing(source, child), message
        main_commit = rev_parse(replay, "main")
        assert rev_parse(replay, "main^2") == proposal.commit
        assert decision.proposal.result["merge"] == main_commit
        if not bare:
            assert status_porcelain(replay) == "", message

    report = gate.verify_audit()
    assert report.problems == ()
    assert report.proposals == len(STEPS)
    assert report.entries == 1 + 3 * len(STEPS)  # init, then proposed/approved/executed each
    if not bare:
        # the working tree followed: files, modes and symlinks as git recorded them
        assert os.readlink(replay / "to-become-link.txt") == "target.txt"
        assert os.access(replay / "bin/tool", os.X_OK)
        assert not os.access(replay / "bin/run", os.X_OK)
        assert (replay / "ü/ñ.txt").read_text() == "ünïcödé content ✓\n"


def test_replay_patch_with_tab_in_a_name_is_refused(tmp_path: Path) -> None:
    # git quotes a tab in a name ("tab\there"); gitgate's path policy refuses control characters
    repo = create_repo(tmp_path / "src")
    (repo / "a.txt").write_text("a\n")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-qm", "root")
    (repo / "tab\there.txt").write_text("tab\n")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-qm", "tab")
    patch = run_git_raw(repo, "diff", "--binary", "HEAD^", "HEAD").stdout
    assert b'"b/tab\\there.txt"' in patch
    gate = Gate(repo)
    gate.init(["main"], [APPROVER], actor=APPROVER)
    run_git(repo, "rm", "-q", "tab\there.txt")
    run_git(repo, "commit", "-qm", "remove it again")
    with pytest.raises(
        UnsafePath, match=r"unsafe path 'tab\\there.txt': control character U\+0009"
    ):
        gate.propose_patch(patch, actor=AGENT)


def test_replay_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "src")
    (repo / "a.txt").write_text("a\n")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-qm", "root")
    gate = Gate(repo)
    gate.init(["main"], [APPROVER], actor=APPROVER)
    os.symlink("../../etc/passwd", repo / "escape")
    run_git(repo, "add", "escape")
    patch = run_git_raw(repo, "diff", "--cached", "--binary").stdout
    run_git(repo, "rm", "-q", "--cached", "escape")
    with pytest.raises(UnsafePath, match="escapes the repository"):
        gate.propose_patch(patch, actor=AGENT)
