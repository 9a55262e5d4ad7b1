"""Export bundles from real repositories, open them with tarfile and GNU tar, review them."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gitgate.cli import main
from gitgate.export.review import review_bundle
from gitgate.journal.records import Proposal
from gitgate.store.gitstore import GitStore
from gitgate.workflow import Gate

BOSS = "boss@example.com"
AGENT = "agent@example.com"
FAKE_TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1" + "1ySowm"  # valid CRC32
BINARY = bytes(range(256)) * 4


def git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=repo, input=data, capture_output=True, check=True
    ).stdout


@pytest.fixture
def repo(repo_dir: Path) -> Path:
    git(repo_dir, "init", "-q", "-b", "main")
    (repo_dir / "a.txt").write_text("alpha\n")
    (repo_dir / "old.txt").write_text("a file that will be renamed\n" * 5)
    (repo_dir / "gone.txt").write_text("deleted soon\n")
    (repo_dir / "run.sh").write_text("#!/bin/sh\necho hi\n")
    git(repo_dir, "add", "-A")
    git(repo_dir, "commit", "-q", "-m", "start")
    Gate(repo_dir).init(["main"], [BOSS], actor=BOSS)
    return repo_dir


def propose_worktree_change(repo: Path, change: Any, *, allow_secret: bool = False) -> Proposal:
    """Make ``change(repo)`` in the working tree, propose it as a patch, restore the tree."""
    change(repo)
    git(repo, "add", "-A")
    patch = git(repo, "diff", "--cached", "--binary", "-M", "HEAD")
    git(repo, "reset", "-q", "--hard", "HEAD")
    git(repo, "clean", "-qfd")
    return Gate(repo).propose_patch(patch, actor=AGENT, allow_secret=allow_secret)


def mixed_change(repo: Path) -> None:
    (repo / "a.txt").write_text("alpha\nbeta\n")
    (repo / "old.txt").rename(repo / "new.txt")
    (repo / "gone.txt").unlink()
    (repo / "run.sh").chmod(0o755)
    (repo / "img.bin").write_bytes(BINARY)
    (repo / "src").mkdir()
    (repo / "src" / "mod.py").write_text("x = 1\n")
    os.symlink("a.txt", repo / "link")


@pytest.fixture
def mixed(repo: Path) -> Proposal:
    return propose_worktree_change(repo, mixed_change)


def manifest_of(bundle: Path) -> dict[str, Any]:
    with tarfile.open(bundle) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return json.loads(member.read())


def by_path(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["path"]: e for e in manifest["files"]}


def test_bundle_matches_the_repository(repo: Path, mixed: Proposal, tmp_path: Path) -> None:
    result = Gate(repo).export(mixed.id, tmp_path / "out.tar.gz", actor=BOSS)
    store = GitStore.open(repo)
    manifest = manifest_of(result.path)
    entries = by_path(manifest)
    assert entries["a.txt"]["change"] == "modified"
    assert entries["new.txt"]["change"] == "renamed"
    assert entries["new.txt"]["renamed_from"] == "old.txt"
    assert entries["gone.txt"]["change"] == "deleted" and "member" not in entries["gone.txt"]
    assert entries["run.sh"]["change"] == "mode-change"
    assert entries["run.sh"]["mode"] == "100755" and entries["run.sh"]["old_mode"] == "100644"
    assert entries["img.bin"]["binary"] is True
    assert entries["link"] == {
        "path": "link",
        "change": "added",
        "type": "symlink",
        "mode": "120000",
        "target": "a.txt",
    }
    assert manifest["commits"] == {"base": mixed.base, "proposal": mixed.commit}
    assert manifest["status"] == "pending" and manifest["requester"] == AGENT

    out = tmp_path / "py"
    with tarfile.open(result.path) as tar:
        assert all(m.isreg() and m.mode == 0o644 and m.mtime == 0 for m in tar.getmembers())
        tar.extractall(out, filter="data")
    members = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    bundled = sorted(e["member"] for e in manifest["files"] if "member" in e)
    assert members == sorted([*bundled, "manifest.json", "patch.diff"])
    for entry in manifest["files"]:
        if "member" not in entry:
            continue
        data = (out / entry["member"]).read_bytes()
        assert data == store.read_path(mixed.commit, entry["path"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["size"]


def test_gnu_tar_extracts_the_same_files(repo: Path, mixed: Proposal, tmp_path: Path) -> None:
    result = Gate(repo).export(mixed.id, tmp_path / "b.tar.gz", actor=BOSS)
    out = tmp_path / "gnu"
    out.mkdir()
    subprocess.run(["tar", "-xzf", str(result.path), "-C", str(out)], check=True)
    store = GitStore.open(repo)
    for entry in manifest_of(result.path)["files"]:
        path = out / "files" / entry["path"]
        if "member" in entry:
            assert not path.is_symlink()
            assert path.read_bytes() == store.read_path(mixed.commit, entry["path"])
        else:
            assert not path.exists() and not path.is_symlink()
    listed = subprocess.run(
        ["tar", "-tzf", str(result.path)], check=True, capture_output=True, text=True
    ).stdout.split()
    assert listed == sorted(listed)  # members in sorted order
    assert listed[-2:] == ["manifest.json", "patch.diff"]


def test_patch_is_git_diff_of_the_proposal(repo: Path, mixed: Proposal, tmp_path: Path) -> None:
    result = Gate(repo).export(mixed.id, tmp_path / "b.tar.gz", actor=BOSS)
    with tarfile.open(result.path) as tar:
        member = tar.extractfile("patch.diff")
        assert member is not None
        patch = member.read()
    expected = git(repo, "diff", "-M", "--full-index", mixed.base, mixed.commit)
    assert patch == expected
    assert b"rename from old.txt\nrename to new.txt" in patch


def test_export_is_deterministic(repo: Path, mixed: Proposal, tmp_path: Path) -> None:
    gate = Gate(repo)
    first = gate.export(mixed.id, tmp_path / "one.tar.gz", actor=BOSS)
    second = gate.export(mixed.id, tmp_path / "two.tar.gz", actor=BOSS)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    header = first.path.read_bytes()[:10]
    assert header[3] == 0, "no FNAME/FEXTRA/FCOMMENT flags in the gzip header"
    assert header[4:8] == b"\0\0\0\0", "no mtime in the gzip header"


def test_export_writes_an_audit_entry(repo: Path, mixed: Proposal, tmp_path: Path) -> None:
    gate = Gate(repo)
    result = gate.export(mixed.id, tmp_path / "b.tar.gz", actor=BOSS)
    assert result.recorded and result.warnings == ()
    entry = gate.audit()[-1]
    assert entry.event == "exported" and entry.actor == BOSS and entry.proposal == mixed.id
    assert entry.details == {"bundle_sha256": result.sha256}
    assert gate.verify_audit().ok


class ReadOnlyStore(GitStore):
    """A store that reports a read-only repository (as on a read-only mount)."""

    def is_writable(self) -> bool:
        return False


def test_read_only_repository_exports_with_a_warning(
    repo: Path, mixed: Proposal, tmp_path: Path
) -> None:
    store = GitStore.open(repo)
    gate = Gate(store=ReadOnlyStore(store._repo))
    before = len(gate.audit())
    result = gate.export(mixed.id, tmp_path / "b.tar.gz", actor=BOSS)
    assert result.path.exists() and not result.recorded
    assert result.warnings == (
        "the repository is read-only: this export is not recorded in the audit log",
    )
    assert len(gate.audit()) == before


def test_excluded_paths_stay_out(repo: Path, tmp_path: Path) -> None:
    def change(r: Path) -> None:
        for name in ("build/out.txt", "app.log", "node_modules/x.js", "dist/a.js", "src/ok.py"):
            (r / name).parent.mkdir(parents=True, exist_ok=True)
            (r / name).write_text(f"content of {name}\n")

    proposal = propose_worktree_change(repo, change)
    result = Gate(repo).export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    manifest = manifest_of(result.path)
    assert [e["path"] for e in manifest["files"]] == ["src/ok.py"]
    assert {e["path"]: e["reason"] for e in manifest["excluded"]} == {
        "app.log": "log file (*.log)",
        "build/out.txt": "build output (build/)",
        "dist/a.js": "build output (dist/)",
        "node_modules/x.js": "dependency directory (node_modules/)",
    }
    with tarfile.open(result.path) as tar:
        names = tar.getnames()
        patch = tar.extractfile("patch.diff").read()  # type: ignore[union-attr]
    assert names == ["files/src/ok.py", "manifest.json", "patch.diff"]
    for hidden in (b"build/", b"app.log", b"node_modules", b"dist/"):
        assert hidden not in patch
    assert b"src/ok.py" in patch
    assert result.excluded == 4 and result.bundled == 1


def test_rename_out_of_an_excluded_dir_shows_as_added(repo: Path, tmp_path: Path) -> None:
    def first(r: Path) -> None:
        (r / "build").mkdir()
        (r / "build" / "keep.txt").write_text("kept content\n" * 10)

    gate = Gate(repo)
    gate.approve(propose_worktree_change(repo, first).id, actor=BOSS)
    proposal = propose_worktree_change(
        repo, lambda r: (r / "build/keep.txt").rename(r / "keep.txt")
    )
    result = gate.export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    with tarfile.open(result.path) as tar:
        patch = tar.extractfile("patch.diff").read()  # type: ignore[union-attr]
    assert b"build/" not in patch and b"new file mode" in patch
    entry = by_path(manifest_of(result.path))["keep.txt"]
    assert entry["change"] == "renamed" and "renamed_from" not in entry
    assert entry["source_excluded"] == "build output (build/)"


def test_secrets_are_redacted(repo: Path, tmp_path: Path) -> None:
    gate = Gate(repo)
    proposal = gate.propose_write(
        "config.py", f'TOKEN = "{FAKE_TOKEN}"\nDEBUG = True\n', actor=AGENT, allow_secret=True
    )
    result = gate.export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    raw = gzip.decompress(result.path.read_bytes())
    assert FAKE_TOKEN.encode() not in raw
    manifest = manifest_of(result.path)
    assert manifest["redacted"] == [{"path": "config.py", "count": 1}]
    assert manifest["patch"]["redacted"] == 1
    with tarfile.open(result.path) as tar:
        content = tar.extractfile("files/config.py").read()  # type: ignore[union-attr]
    assert content == b'TOKEN = "[REDACTED:github-token]"\nDEBUG = True\n'
    assert by_path(manifest)["config.py"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert result.redacted_files == 1
    assert review_bundle(result.path).ok


def test_binary_files_are_redacted_too(repo: Path, tmp_path: Path) -> None:
    # A binary (NULs, not UTF-16) carrying a token: push protection flags it, so the export
    # must not carry it raw either (fail closed); the other bytes survive untouched.
    head, tail = b"\x7fELF\x02\x01\x00\x00" + BINARY[:64], b"\x00\xff\xfe" + BINARY[64:128]
    data = head + f"token={FAKE_TOKEN}\n".encode() + tail

    def add_binary(r: Path) -> None:
        (r / "tool.bin").write_bytes(data)

    proposal = propose_worktree_change(repo, add_binary, allow_secret=True)
    result = Gate(repo).export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    assert FAKE_TOKEN.encode() not in gzip.decompress(result.path.read_bytes())
    entry = by_path(manifest_of(result.path))["tool.bin"]
    assert entry["binary"] is True and entry["redacted"] == 1
    with tarfile.open(result.path) as tar:
        content = tar.extractfile("files/tool.bin").read()  # type: ignore[union-attr]
    assert content == head + b"token=[REDACTED:github-token]\n" + tail


def test_executed_and_rejected_proposals_export(repo: Path, tmp_path: Path) -> None:
    gate = Gate(repo)
    executed = gate.propose_write("n.txt", "n\n", actor=AGENT)
    gate.approve(executed.id, actor=BOSS)
    rejected = gate.propose_write("m.txt", "m\n", actor=AGENT)
    gate.reject(rejected.id, "not now", actor=BOSS)
    done = manifest_of(gate.export(executed.id, tmp_path / "e.tar.gz", actor=BOSS).path)
    assert done["status"] == "executed"
    assert done["commits"]["merge"] == gate.get(executed.id).result["merge"]
    assert [a["by"] for a in done["approvals"]] == [BOSS]
    refused = manifest_of(gate.export(rejected.id, tmp_path / "r.tar.gz", actor=BOSS).path)
    assert refused["status"] == "rejected" and "merge" not in refused["commits"]
    assert refused["result"] == {"reason": "not now"}


def test_many_files_with_an_exclusion_batches_the_diff(repo: Path, tmp_path: Path) -> None:
    def change(r: Path) -> None:
        (r / "many").mkdir()
        for i in range(1200):
            (r / "many" / f"f{i:04}.txt").write_text(f"file {i}\n")
        (r / "debug.log").write_text("log\n")

    proposal = propose_worktree_change(repo, change)
    result = Gate(repo).export(proposal.id, tmp_path / "b.tar.gz", actor=BOSS)
    report = review_bundle(result.path)
    assert report.ok, report.problems
    assert report.patch.count(b"diff --git ") == 1200
    assert result.bundled == 1200 and result.excluded == 1


def test_cli_export_and_review(repo: Path, mixed: Proposal, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli.tar.gz"
    env = {"GITGATE_ACTOR": BOSS}
    result = runner.invoke(
        main, ["-C", str(repo), "export", mixed.id, "-o", str(out), "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert payload["recorded"] is True and payload["path"] == str(out)

    review = runner.invoke(main, ["review", str(out)])
    assert review.exit_code == 0, review.output
    lines = review.output.splitlines()
    assert lines[0] == "bundle cli.tar.gz: verified (manifest, patch and 5 files match)"
    assert lines[1] == f"sha256 {payload['sha256']}"
    assert "renamed     new.txt (from old.txt) (100644, 140 bytes)" in review.output
    assert "added       link -> a.txt (symlink)" in review.output
    assert "+beta" in lines
    assert "\x1b[" not in review.output  # no colour when not a terminal


def test_cli_export_default_name_in_current_directory(
    repo: Path, mixed: Proposal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    result = CliRunner().invoke(
        main, ["-C", str(repo), "export", mixed.id[:6]], env={"GITGATE_ACTOR": BOSS}
    )
    assert result.exit_code == 0, result.output
    bundle = work / f"gitgate-{mixed.id}.tar.gz"
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert result.output.splitlines()[-1] == f"sha256 {digest}"


def test_cli_export_unknown_proposal(repo: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(repo), "export", "zzzzzzzz"])
    assert result.exit_code == 1
    assert "no proposal" in result.output


def _tamper(bundle: Path, dest: Path) -> Path:
    """Rewrite ``bundle`` with one byte of its first file member changed."""
    members: list[tuple[tarfile.TarInfo, bytes]] = []
    with tarfile.open(bundle) as tar:
        for info in tar.getmembers():
            data = tar.extractfile(info).read()  # type: ignore[union-attr]
            if info.name.startswith("files/") and not members:
                data = bytes([data[0] ^ 1]) + data[1:]
            members.append((info, data))
    with tarfile.open(dest, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data))
    return dest


def test_python_m_gitgate_review_outside_any_repository(
    repo: Path, mixed: Proposal, tmp_path: Path
) -> None:
    bundle = Gate(repo).export(mixed.id, tmp_path / "b.tar.gz", actor=BOSS).path
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(bundle, outside / "b.tar.gz")
    _tamper(bundle, outside / "t.tar.gz")
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)}

    def review(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gitgate", "review", name],
            cwd=outside,
            env=env,
            capture_output=True,
            text=True,
        )

    good = review("b.tar.gz")
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("bundle b.tar.gz: verified")
    bad = review("t.tar.gz")
    assert bad.returncode == 1
    assert "'files/a.txt' has sha256" in bad.stderr and "(content changed)" in bad.stderr
