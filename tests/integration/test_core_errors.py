"""Every error a user can cause: its own message and hint, exit code 1, no traceback; JSON on
stdout under --json."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitgate import workflow
from gitgate.errors import AmbiguousProposal, UnknownProposal
from gitgate.workflow import Gate
from gitutil import (
    AGENT,
    APPROVER,
    APPROVER2,
    assert_error,
    commit,
    create_repo,
    freeze_clock,
    gitgate,
    gitgate_ok,
    gitgate_subprocess,
    make_gated_repo,
    rev_parse,
    run_git,
)

UNSAFE_HINT = "gitgate refuses this path for every proposal; see `gitgate check-path`"


@pytest.fixture(autouse=True)
def _sealed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    freeze_clock(monkeypatch)
    yield  # conftest's hermetic seal already covers libgit2's config search path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_gated_repo(tmp_path / "repo", files={"README.md": "hello\n", "src/a.txt": "a\n"})


def propose(repo: Path, path: str = "new.txt", content: str = "x\n", actor: str = AGENT) -> str:
    return gitgate_ok(repo, "propose", "write", path, input=content, actor=actor).strip()


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Proposal ids come from this list (id generation is randomness, like the clock)."""
    ids = ["abcd000001", "abcd000002", "abce000003", "zzzz000004"]
    queue = list(ids)
    monkeypatch.setattr(workflow, "new_id", lambda: queue.pop(0))
    yield ids


# -- finding proposals --------------------------------------------------------------------


def test_unknown_id(repo: Path) -> None:
    assert_error(
        gitgate(repo, "show", "zzzz"), "no proposal 'zzzz'", "list proposals with `gitgate list`"
    )
    assert_error(
        gitgate(repo, "approve", "zzzz000000", actor=APPROVER),
        "no proposal 'zzzz000000'",
        "list proposals with `gitgate list`",
    )
    assert_error(
        gitgate(repo, "reject", "zzzz000000", "-r", "x", actor=APPROVER),
        "no proposal 'zzzz000000'",
        "list proposals with `gitgate list`",
    )


def test_malformed_id(repo: Path) -> None:
    assert_error(
        gitgate(repo, "show", "abc"),
        "not a proposal id: 'abc'",
        "ids are 10 characters of [0123456789abcdefghjkmnpqrstvwxyz]; give at least 4 of them "
        "(see `gitgate list`)",
    )
    assert_error(gitgate(repo, "show", "../../x"), "not a proposal id: '../../x'")


def test_ambiguous_prefix(repo: Path, fixed_ids: list[str]) -> None:
    for _ in range(3):
        propose(repo, f"f{_}.txt")
    assert_error(
        gitgate(repo, "show", "abcd"),
        "'abcd' matches 2 proposals: abcd000001, abcd000002",
        "give more characters of the id",
    )
    assert_error(
        gitgate(repo, "approve", "ABCD", actor=APPROVER),
        "'ABCD' matches 2 proposals: abcd000001, abcd000002",
    )
    # one more character is enough; prefixes are case-insensitive
    assert json.loads(gitgate_ok(repo, "show", "ABCD000002", "--json"))["id"] == "abcd000002"
    assert json.loads(gitgate_ok(repo, "show", "abce", "--json"))["id"] == "abce000003"


def test_ambiguous_prefix_api(repo: Path, fixed_ids: list[str]) -> None:
    gate = Gate(repo)
    gate.propose_write("a.txt", "a\n", actor=AGENT)
    gate.propose_write("b.txt", "b\n", actor=AGENT)
    with pytest.raises(AmbiguousProposal) as info:
        gate.get("abcd0")
    assert info.value.code == "ambiguous-proposal"
    assert gate.get("abcd000001").id == "abcd000001"
    gate.approve("abcd000001", actor=APPROVER)  # decided proposals are still found
    with pytest.raises(AmbiguousProposal):
        gate.get("abcd")
    with pytest.raises(UnknownProposal):
        gate.get("abcd000009")


# -- deciding -----------------------------------------------------------------------------


def test_not_an_approver(repo: Path) -> None:
    pid = propose(repo)
    assert_error(
        gitgate(repo, "approve", pid, actor="mallory@example.com"),
        "mallory@example.com is not an approver of main",
        f"approvers: {APPROVER}, {APPROVER2}",
    )
    assert_error(
        gitgate(repo, "reject", pid, "-r", "no", actor="mallory@example.com"),
        f"mallory@example.com may not reject {pid}",
        "only an approver, or the requester withdrawing it, can reject",
    )


def test_default_actor_is_git_user_email(repo: Path) -> None:
    pid = propose(repo)
    # no GITGATE_ACTOR: git's user.email (user@example.com, from the sealed config) acts
    assert_error(
        gitgate(repo, "approve", pid, actor=None), "user@example.com is not an approver of main"
    )


def test_self_approval(repo: Path) -> None:
    pid = propose(repo, actor=APPROVER)
    assert_error(
        gitgate(repo, "approve", pid, actor=APPROVER),
        f"{APPROVER} requested {pid} and cannot approve it",
        "another approver must review it",
    )
    # identities compare exactly as given: a case variant is another account, not an approver
    assert_error(
        gitgate(repo, "approve", pid, actor="Alice@Example.COM"),
        "Alice@Example.COM is not an approver of main",
    )
    assert gitgate_ok(repo, "approve", pid, actor=APPROVER2).startswith(f"{pid} executed")


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_already_decided(repo: Path, decision: str) -> None:
    pid = propose(repo)
    extra = ("-r", "no") if decision == "reject" else ()
    gitgate_ok(repo, decision, pid, *extra, actor=APPROVER)
    status = "executed" if decision == "approve" else "rejected"
    for again in (("approve", pid), ("reject", pid, "-r", "again")):
        assert_error(
            gitgate(repo, *again, actor=APPROVER2),
            f"{pid} is already {status}",
            f"see `gitgate show {pid}`",
        )


def test_pending_branch_moved_after_proposal_is_refused(repo: Path) -> None:
    pid = propose(repo)
    branch = f"refs/heads/gitgate/pending/{pid}"
    tree = rev_parse(repo, "main^{tree}")
    other = run_git(repo, "commit-tree", tree, "-p", branch, "-m", "swap").strip()
    run_git(repo, "update-ref", branch, other)
    before = rev_parse(repo, "main")
    assert_error(
        gitgate(repo, "approve", pid, actor=APPROVER),
        f"the pending branch of {pid} no longer points at the proposed commit",
        "someone rewrote it; reject this proposal and propose again",
    )
    assert rev_parse(repo, "main") == before


# -- proposing ----------------------------------------------------------------------------


def test_patch_does_not_apply(repo: Path) -> None:
    patch = (
        "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
        "@@ -1 +1 @@\n-not what is there\n+x\n"
    )
    assert_error(
        gitgate(repo, "propose", "patch", "-", input=patch),
        "the patch does not apply: patch failed: README.md:1; README.md: patch does not apply",
        "regenerate it against the current target (gitgate show / git diff)",
    )


def test_patch_for_a_missing_file(repo: Path) -> None:
    patch = "diff --git a/nope b/nope\n--- a/nope\n+++ b/nope\n@@ -1 +1 @@\n-a\n+b\n"
    assert_error(
        gitgate(repo, "propose", "patch", "-", input=patch),
        "the patch does not apply: nope: does not exist in index",
    )


def test_patch_garbage_and_empty(repo: Path) -> None:
    assert_error(
        gitgate(repo, "propose", "patch", "-", input="hello\n"),
        'the patch cannot be parsed: No valid patches in input (allow with "--allow-empty")',
        "give a unified diff as `git diff --binary -M` writes it",
    )
    assert_error(
        gitgate(repo, "propose", "patch", "-", input="  \n"),
        "the patch is empty",
        "give a unified diff (git diff output)",
    )


def test_patch_file_missing(repo: Path, tmp_path: Path) -> None:
    assert_error(
        gitgate(repo, "propose", "patch", str(tmp_path / "none.diff")),
        f"cannot read {tmp_path / 'none.diff'}: No such file or directory",
        "check the path",
    )


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (".git/config", "'.git' component: writes into git's own directory ('.git')"),
        ("sub/.GIT/hooks/pre-commit", "'.GIT' component: writes into git's own directory ('.git')"),
        ("../x", "'..' component: escapes the directory"),
        ("a/../../x", "'..' component: escapes the directory"),
        (".env", "sensitive file (.env): may hold secrets"),
        ("config/server.key", "sensitive file (*.key): may hold secrets"),
        ("/etc/passwd", "absolute path: tree paths are relative to the repository root"),
    ],
)
def test_unsafe_paths(repo: Path, path: str, reason: str) -> None:
    shown = path.removeprefix("./")
    assert_error(
        gitgate(repo, "propose", "write", path, input="x\n"),
        f"unsafe path {shown!r}: {reason}",
        UNSAFE_HINT,
    )
    assert_error(gitgate(repo, "propose", "create", path), f"unsafe path {shown!r}: {reason}")


def test_unsafe_path_in_a_patch(repo: Path) -> None:
    patch = (
        "diff --git a/.env b/.env\nnew file mode 100644\n--- /dev/null\n+++ b/.env\n"
        "@@ -0,0 +1 @@\n+X=1\n"
    )
    assert_error(
        gitgate(repo, "propose", "patch", "-", input=patch),
        "unsafe path '.env': sensitive file (.env): may hold secrets",
        UNSAFE_HINT,
    )


def test_create_existing_and_delete_missing(repo: Path) -> None:
    assert_error(
        gitgate(repo, "propose", "create", "README.md"),
        "'README.md' already exists on main",
        "use `gitgate propose write` to replace it",
    )
    assert_error(
        gitgate(repo, "propose", "delete", "nope.txt"),
        "'nope.txt' is not a file on main",
        "check the path with `git ls-tree -r --name-only main`",
    )
    assert_error(gitgate(repo, "propose", "delete", "src"), "'src' is not a file on main")


def test_proposal_that_changes_nothing(repo: Path) -> None:
    assert_error(
        gitgate(repo, "propose", "write", "README.md", input="hello\n"),
        "the proposal changes nothing on main",
        "the target already has this content",
    )


def test_file_where_a_directory_is(repo: Path) -> None:
    out = gitgate(repo, "propose", "write", "src", input="x\n")
    assert out.exit_code == 1 and out.stderr.startswith("error: 'src' is a directory on main")
    assert "Traceback" not in out.stderr
    out = gitgate(repo, "propose", "write", "README.md/inner", input="x\n")
    assert out.exit_code == 1
    assert out.stderr.splitlines()[0] == (
        "error: README.md is a file; cannot create files below it"
    )
    assert out.stderr.splitlines()[1] == "hint: the proposal does not fit the target tree"


def test_unknown_target(repo: Path) -> None:
    assert_error(
        gitgate(repo, "propose", "write", "a", "--target", "dev", input="x"),
        "'dev' is not a protected branch",
        "protected branches: main",
    )


# -- repositories -------------------------------------------------------------------------


def test_not_a_gitgate_repository(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "plain")
    commit(repo, {"a": "a\n"}, "initial")
    for args in (("list",), ("show", "abcd"), ("audit", "log"), ("propose", "delete", "a")):
        assert_error(
            gitgate(repo, *args),
            "this repository is not set up for gitgate",
            "run `gitgate init --approver you@example.com` (or `gitgate init` in a clone)",
        )


def test_not_a_git_repository(tmp_path: Path) -> None:
    folder = tmp_path / "nothing"
    folder.mkdir()
    assert_error(
        gitgate(folder, "list"),
        f"not a git repository: {folder}",
        "run gitgate inside a repository, or pass -C PATH",
    )


def test_missing_audit_log(repo: Path) -> None:
    run_git(repo, "update-ref", "-d", "refs/gitgate/audit")
    out = gitgate(repo, "propose", "write", "x.txt", input="x\n")
    assert_error(out, "the audit log is missing")


# -- JSON errors --------------------------------------------------------------------------


def test_json_errors_go_to_stdout(repo: Path, tmp_path: Path) -> None:
    out = gitgate(repo, "show", "zzzz", "--json")
    assert out.exit_code == 1
    assert json.loads(out.stdout) == {
        "error": "unknown-proposal",
        "message": "no proposal 'zzzz'",
        "hint": "list proposals with `gitgate list`",
    }
    assert out.stderr.startswith("error: no proposal 'zzzz'\n")

    pid = propose(repo)
    out = gitgate(repo, "approve", pid, "--json", actor=AGENT)
    assert out.exit_code == 1
    assert json.loads(out.stdout)["error"] == "not-an-approver"

    out = gitgate(repo, "propose", "write", ".env", "--json", input="x")
    assert json.loads(out.stdout)["error"] == "unsafe-path"

    plain = create_repo(tmp_path / "plain")
    out = gitgate(plain, "list", "--json")
    assert (out.exit_code, json.loads(out.stdout)["error"]) == (1, "not-initialised")


def test_exit_codes_of_the_real_entry_point(repo: Path, tmp_path: Path) -> None:
    proc = gitgate_subprocess(repo, "show", "zzzz")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == "error: no proposal 'zzzz'\nhint: list proposals with `gitgate list`\n"
    proc = gitgate_subprocess(tmp_path, "list")
    assert proc.returncode == 1 and proc.stderr.startswith("error: not a git repository: ")
    proc = gitgate_subprocess(repo, "list", "--status", "bogus")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


# -- faults of the environment: an error line and a way back, never exit 3 --------------------


def test_a_corrupt_newest_audit_entry_is_an_error_not_a_crash(repo: Path) -> None:
    tip = rev_parse(repo, "refs/gitgate/audit")
    junk = run_git(
        repo,
        "commit-tree",
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "-p",
        tip,
        input="gitgate audit junk\n",
    ).strip()
    run_git(repo, "update-ref", "refs/gitgate/audit", junk)
    for args in (("list",), ("propose", "delete", "README.md")):
        proc = gitgate_subprocess(repo, *args)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.splitlines() == [
            "error: a gitgate record is corrupt: not a gitgate audit entry",
            "hint: run `gitgate audit verify` to find it, then `gitgate doctor`",
        ]


def test_garbage_in_packed_refs_is_an_error_not_a_crash(repo: Path) -> None:
    run_git(repo, "pack-refs", "--all")
    with (repo / ".git" / "packed-refs").open("a") as handle:
        handle.write("this is not a ref line\n")
    proc = gitgate_subprocess(repo, "doctor")
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: git: ")
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_a_reftable_repository_names_the_way_out(repo: Path) -> None:
    # libgit2 cannot read reftable yet; git >= 2.45 can create such repositories. Simulated
    # with the extension alone (this machine's git may be older than reftable).
    run_git(repo, "config", "core.repositoryformatversion", "1")
    run_git(repo, "config", "extensions.refStorage", "reftable")
    for args in (("list",), ("doctor",), ("approve", "abcd000001")):
        proc = gitgate_subprocess(repo, *args)
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.splitlines()
        assert lines[0].startswith("error: this repository keeps its refs in the reftable format")
        assert lines[1] == (
            "hint: convert it to the files format with `git refs migrate --ref-format=files` "
            "(git >= 2.46), or clone it with `git clone --ref-format=files`"
        )


def _unshare_works() -> bool:
    import shutil
    import subprocess

    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs user+mount namespaces (unshare -rm)")
def test_a_read_only_repository_gives_an_error_line(repo: Path) -> None:
    import subprocess
    import sys

    script = (
        f"mount --bind {repo} {repo} && mount -o remount,bind,ro {repo} && "
        f"exec {sys.executable} -m gitgate -C {repo} propose delete README.md"
    )
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "GITGATE_ACTOR": AGENT},
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines()[0].startswith("error: ")
    assert proc.stderr.splitlines()[1] == "hint: the repository is on a read-only file system"
    # and reading still works on it
    listed = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script.replace("propose delete README.md", "list")],
        capture_output=True,
        text=True,
        env={**os.environ, "GITGATE_ACTOR": AGENT},
        check=False,
    )
    assert listed.returncode == 0, listed.stderr


def test_a_journal_commit_with_an_unknown_encoding_is_an_error_not_a_crash(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo")
    tip = run_git(repo, "rev-parse", "refs/gitgate/audit").strip()
    tree = run_git(repo, "rev-parse", f"{tip}^{{tree}}").strip()
    raw = (
        f"tree {tree}\nparent {tip}\nauthor a <a@example.com> 1800000000 +0000\n"
        f"committer a <a@example.com> 1800000000 +0000\nencoding x-no-such-charset\n\n"
        '{"x": 1}\n'
    )
    odd = run_git(repo, "hash-object", "-t", "commit", "-w", "--stdin", input=raw).strip()
    run_git(repo, "update-ref", "refs/gitgate/audit", odd, tip)
    for args in (["audit", "verify"], ["list"], ["doctor", "--dry-run"]):
        proc = gitgate_subprocess(repo, *args)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "internal error" not in proc.stderr, (args, proc.stderr)


def test_a_split_index_is_an_error_that_names_the_way_out(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo")
    run_git(repo, "update-index", "--split-index")  # libgit2 cannot read it
    src = tmp_path / "x.txt"
    src.write_text("x\n")
    proc = gitgate_subprocess(repo, "propose", "write", "b.txt", "--from", str(src))
    assert proc.returncode == 1, proc.stderr
    assert "index is split" in proc.stderr
    assert "git update-index --no-split-index" in proc.stderr
