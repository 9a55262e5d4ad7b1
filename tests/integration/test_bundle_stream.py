"""Exports stream: exclusions through either diff strategy, renames across the exclusion line,
large texts redacted window by window, memory flat in the number of files."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import tarfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from gitgate.errors import GitError
from gitgate.export import bundle, bundlepatch, targz
from gitgate.export.review import review_bundle
from gitgate.journal.records import Proposal
from gitgate.workflow import Gate

BOSS = "boss@example.com"
AGENT = "agent@example.com"
FAKE_TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1" + "1ySowm"  # valid CRC32


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "build").mkdir()
    (repo / "build" / "moved-out.txt").write_text("leaves the build dir\n" * 20)
    (repo / "docs").mkdir()
    (repo / "docs" / "moved-in.txt").write_text("goes into the build dir\n" * 20)
    (repo / "keep.txt").write_text("keep\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=a@example.com", "-c", "user.name=a", "commit", "-qm", "start")
    Gate(repo).init(["main"], [BOSS], actor=BOSS)
    return repo


def propose(repo: Path, change: Any) -> Proposal:
    change(repo)
    git(repo, "add", "-A")
    patch = git(repo, "diff", "--cached", "--binary", "-M", "HEAD")
    git(repo, "reset", "-q", "--hard", "HEAD")
    git(repo, "clean", "-qfdx")
    return Gate(repo).propose_patch(patch, actor=AGENT)


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def across_the_line(repo: Path, excluded_files: int) -> None:
    (repo / "build" / "moved-out.txt").rename(repo / "moved-out.txt")
    (repo / "docs" / "moved-in.txt").rename(repo / "build" / "moved-in.txt")
    (repo / "node_modules").mkdir()
    for i in range(excluded_files):
        (repo / "node_modules" / f"m{i:04}.js").write_text(f"module {i}\n")
    (repo / "src").mkdir()
    for i in range(30):
        (repo / "src" / f"s{i:02}.py").write_text(f"value = {i}\n")


@pytest.mark.parametrize("excluded_files", [3, 700])
def test_renames_across_the_exclusion_line(repo: Path, tmp_path: Path, excluded_files: int) -> None:
    """3 excluded paths: one diff leaving them out; 700: batches of the exported paths."""
    proposal = propose(repo, lambda r: across_the_line(r, excluded_files))
    result = Gate(repo).export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    report = review_bundle(result.path)
    assert report.ok, report.problems
    manifest = report.manifest
    assert manifest is not None
    files = {e["path"]: e for e in manifest["files"]}
    excluded = {e["path"]: e for e in manifest["excluded"]}
    # Out of build/: exported, shown as added, the old name withheld.
    assert files["moved-out.txt"]["source_excluded"] == "build output (build/)"
    assert "renamed_from" not in files["moved-out.txt"]
    # Into build/: not exported; the manifest says where the visible file went.
    assert excluded["build/moved-in.txt"]["renamed_from"] == "docs/moved-in.txt"
    assert len(excluded) == excluded_files + 1
    patch = report.patch.decode()
    assert "build/" not in patch and "node_modules" not in patch
    assert "deleted file mode 100644" in patch and "a/docs/moved-in.txt" in patch
    assert "new file mode 100644" in patch and "b/moved-out.txt" in patch
    assert patch.count("diff --git ") == 32  # 30 sources, the file out, the file gone
    assert result.bundled == 31


def test_both_diff_strategies_give_the_same_bundle(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = propose(repo, lambda r: across_the_line(r, 40))
    gate = Gate(repo)
    one_diff = gate.export(proposal.id, tmp_path / "one.tar.gz", actor=BOSS)
    # With room for only 5 left-out paths, the exported paths go to git in batches of 7.
    monkeypatch.setattr(bundle, "DIFF_BATCH", 7)
    monkeypatch.setattr(bundlepatch, "DIFF_BATCH", 7)
    batched = gate.export(proposal.id, tmp_path / "batched.tar.gz", actor=BOSS)
    assert members(one_diff.path)["patch.diff"] == members(batched.path)["patch.diff"]
    assert one_diff.sha256 == batched.sha256


def test_large_text_is_redacted_across_windows(repo: Path, tmp_path: Path) -> None:
    lines = [
        f"line {n:07d} of a large generated file, nothing secret here\n" for n in range(200_000)
    ]
    # Secrets near the start, in the middle and at the very end (12 MB in all).
    lines[10] = f'TOKEN = "{FAKE_TOKEN}"\n'
    lines[100_000] = f"export GITHUB_TOKEN={FAKE_TOKEN}\n"
    lines[-1] = f"token: {FAKE_TOKEN}\n"
    text = "".join(lines)

    def change(r: Path) -> None:
        (r / "big.txt").write_text(text)

    gate = Gate(repo)
    proposal = gate.propose_write("big.txt", text, actor=AGENT, allow_secret=True)
    result = gate.export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    raw = gzip.decompress(result.path.read_bytes())
    assert FAKE_TOKEN.encode() not in raw
    got = members(result.path)
    expected = text.replace(FAKE_TOKEN, "[REDACTED:github-token]").encode()
    assert got["files/big.txt"] == expected
    report = review_bundle(result.path)
    assert report.ok and report.manifest is not None
    assert report.manifest["redacted"] == [{"count": 3, "path": "big.txt"}]
    assert report.manifest["patch"]["redacted"] == 3


def python_peak_of_export(repo: Path, tmp_path: Path, count: int) -> int:
    def change(r: Path) -> None:
        for i in range(count):
            sub = r / f"set{count}" / f"d{i // 100:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"f{i:05d}.txt").write_text(f"file {i}\n" * 40)

    proposal = propose(repo, change)
    gate = Gate(repo)
    tracemalloc.start()
    try:
        gate.export(proposal.id, tmp_path / f"{count}.tar.gz", actor=BOSS)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_memory_is_flat_in_the_number_of_files(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small fixed buffers (compression blocks, queue, read chunks), so both sizes are well
    # past filling them; both are also past the 2,000 files a proposal's note lists.
    monkeypatch.setattr(targz, "FEED", 32 << 10)
    monkeypatch.setattr(targz, "MAX_QUEUED", 128 << 10)
    monkeypatch.setattr(bundle, "CHUNK", 64 << 10)
    monkeypatch.setattr(bundlepatch, "CHUNK", 64 << 10)
    small = python_peak_of_export(repo, tmp_path, 2500)
    large = python_peak_of_export(repo, tmp_path, 5000)
    # Twice the files may cost a little (a byte per change, Python's own caches), not the
    # ~1 KB per file an in-memory list of changes would (2.5 MB here).
    assert large - small < 300_000, (small, large)


def test_patch_worker_and_thread_give_the_same_bytes(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = propose(repo, lambda r: across_the_line(r, 5))
    gate = Gate(repo)
    forks: list[int] = []
    real_fork = bundlepatch.PatchJob._fork

    def counting_fork(job: bundlepatch.PatchJob) -> None:
        forks.append(1)
        real_fork(job)

    monkeypatch.setattr(bundlepatch.PatchJob, "_fork", counting_fork)
    monkeypatch.setattr(bundlepatch, "_fork_is_safe", lambda: True)
    forked = gate.export(proposal.id, tmp_path / "forked.tar.gz", actor=BOSS)
    assert forks == [1]
    monkeypatch.setattr(bundlepatch, "FORK_PATCH", False)
    threaded = gate.export(proposal.id, tmp_path / "threaded.tar.gz", actor=BOSS)
    assert forks == [1]
    assert forked.path.read_bytes() == threaded.path.read_bytes()


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "threaded"])
def test_git_failing_in_the_patch_job_fails_the_export_cleanly(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    proposal = propose(repo, lambda r: across_the_line(r, 5))
    monkeypatch.setattr(bundlepatch, "FORK_PATCH", fork)
    monkeypatch.setattr(bundlepatch, "_fork_is_safe", lambda: True)
    # git refuses to start with a malformed config parameter; pygit2 is unaffected.
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'broken")
    with pytest.raises(GitError, match="git diff failed"):
        Gate(repo).export(proposal.id, tmp_path / "out.tar.gz", actor=BOSS)
    assert list(tmp_path.glob("*out.tar.gz*")) == []


def blob_id(data: bytes) -> str:
    return (
        subprocess.run(
            ["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True
        )
        .stdout.decode()
        .strip()
    )


@pytest.mark.parametrize("where", ["in the changed lines", "outside the hunks"])
def test_no_hash_of_unredacted_content_leaves_in_a_bundle(
    repo: Path, tmp_path: Path, where: str
) -> None:
    """A weak secret must not be checkable against a hash of the original content."""
    lines = [f"setting_{n} = {n}\n" for n in range(60)]
    secret_line = 'db_password = "hunter2-but-longer"\n'
    gate = Gate(repo)
    if where == "outside the hunks":
        # The secret is already in the target; the proposal edits a line far from it.
        before = "".join([secret_line, *lines])
        gate.approve(
            gate.propose_write("app.conf", before, actor=AGENT, allow_secret=True).id, actor=BOSS
        )
        after = before.replace("setting_50 = 50", "setting_50 = 51")
    else:
        after = "".join([*lines[:30], secret_line, *lines[30:]])
    proposal = gate.propose_write("app.conf", after, actor=AGENT, allow_secret=True)
    result = gate.export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    raw = gzip.decompress(result.path.read_bytes())
    assert b"hunter2" not in raw
    original = after.encode()
    assert blob_id(original).encode() not in raw
    assert hashlib.sha256(original).hexdigest().encode() not in raw
    report = review_bundle(result.path)
    assert report.ok and report.manifest is not None
    assert report.manifest["arguments"]["sha256"] == "[REDACTED:content-hash]"
    assert b"\nindex " not in report.patch and b"@@ " in report.patch
    assert report.manifest["redacted"] == [{"count": 1, "path": "app.conf"}]


def test_clean_bundles_keep_the_exact_git_diff(repo: Path, tmp_path: Path) -> None:
    def change(r: Path) -> None:
        (r / "docs" / "moved-in.txt").rename(r / "docs" / "renamed.txt")
        (r / "keep.txt").write_text("kept, edited\n")

    proposal = propose(repo, change)
    result = Gate(repo).export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    report = review_bundle(result.path)
    assert report.ok and report.manifest is not None
    expected = git(repo, "diff", "-M", "--full-index", proposal.base, proposal.commit)
    assert report.patch == expected and b"\nindex " in expected
    assert report.manifest["arguments"]["patch_sha256"] != "[REDACTED:content-hash]"


def additions(r: Path) -> None:
    (r / "new dir").mkdir()
    (r / "new dir" / "café.txt").write_text("accented name\n")
    (r / "empty").write_bytes(b"")
    (r / "no-newline.txt").write_bytes(b"last line without newline")
    (r / "blob.bin").write_bytes(bytes(range(256)) * 3)
    (r / "crlf.txt").write_bytes(b"a\r\nb\r\n")
    os.symlink("keep.txt", r / "link")
    (r / "run.sh").write_text("#!/bin/sh\necho run\n")
    (r / "run.sh").chmod(0o755)
    (r / "node_modules").mkdir()
    (r / "node_modules" / "skip.js").write_text("excluded\n")


@pytest.mark.parametrize("attributes", [False, True], ids=["generated", "git"])
def test_patch_of_additions_is_gits_diff(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, attributes: bool
) -> None:
    """Only additions: the patch is written without git; with attributes git writes it."""
    generated: list[int] = []
    real = bundlepatch._added_sections

    def counting(*args: Any) -> Any:
        generated.append(1)
        return real(*args)

    # In this process (a thread, not a forked child), so the call can be counted.
    monkeypatch.setattr(bundlepatch, "FORK_PATCH", False)
    monkeypatch.setattr(bundlepatch, "_added_sections", counting)
    if attributes:
        (repo / ".git" / "info").mkdir(exist_ok=True)
        (repo / ".git" / "info" / "attributes").write_text("*.txt binary\n")
    proposal = propose(repo, additions)
    result = Gate(repo).export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    report = review_bundle(result.path)
    assert report.ok, report.problems
    expected = git(
        repo,
        "diff",
        "-M",
        "--full-index",
        proposal.base,
        proposal.commit,
        "--",
        ":(exclude)node_modules",
    )
    assert report.patch == expected
    assert (b"Binary files /dev/null and b/no-newline.txt differ" in expected) == attributes
    assert generated == ([] if attributes else [1])


def test_executed_command_bundle_shows_what_the_command_changed(repo: Path, tmp_path: Path) -> None:
    gate = Gate(repo)
    proposal = gate.propose_command("echo generated > out.txt", actor=AGENT)
    pending = gate.export(proposal.id, tmp_path / "pending.tar.gz", actor=BOSS)
    pending_report = review_bundle(pending.path)
    assert pending_report.ok and pending_report.manifest is not None
    assert pending_report.manifest["files"] == []  # nothing has run yet
    assert pending_report.manifest["diff"] == {"from": proposal.base, "to": proposal.commit}
    before = git(repo, "rev-parse", "main").decode().strip()
    executed = gate.approve(proposal.id, actor=BOSS).proposal
    merge = executed.result["merge"]
    result = gate.export(proposal.id, tmp_path / "executed.tar.gz", actor=BOSS)
    report = review_bundle(result.path)
    assert report.ok and report.manifest is not None
    assert report.manifest["diff"] == {"from": before, "to": merge}
    assert [(e["path"], e["change"]) for e in report.manifest["files"]] == [("out.txt", "added")]
    assert members(result.path)["files/out.txt"] == b"generated\n"
    assert b"+generated" in report.patch
