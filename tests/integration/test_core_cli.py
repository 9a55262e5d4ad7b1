"""The CLI flows, end to end on real repositories: init, propose, list, show, approve, reject,
audit log and audit verify (clean and tampered)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitgate.journal.audit import actor_identity
from gitgate.journal.records import AuditEntry, encode_audit
from gitutil import (
    AGENT,
    APPROVER,
    APPROVER2,
    FROZEN,
    commit,
    create_repo,
    freeze_clock,
    gitgate,
    gitgate_ok,
    gitgate_subprocess,
    ref_exists,
    rev_parse,
    run_git,
    status_porcelain,
    tree_listing,
)

T = FROZEN


@pytest.fixture(autouse=True)
def _sealed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    freeze_clock(monkeypatch)
    yield  # conftest's hermetic seal already covers libgit2's config search path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A non-bare repository with main checked out, two commits, gitgate initialised."""
    path = create_repo(tmp_path / "repo")
    commit(path, {"README.md": "hello\n", "src/app.py": "print('a')\nprint('b')\n"}, "initial")
    commit(path, {"notes.txt": "one\ntwo\nthree\n"}, "second")
    gitgate_ok(path, "init", "--approver", APPROVER, "--approver", APPROVER2, actor=APPROVER)
    return path


def propose_write(repo: Path, path: str, content: str, *extra: str, actor: str = AGENT) -> str:
    out = gitgate_ok(repo, "propose", "write", path, *extra, input=content, actor=actor)
    assert out.endswith("\n") and len(out) == 11, out
    return out.strip()


def init_line(repo: Path, wrote: bool, approvers: str = f"{APPROVER}, {APPROVER2}") -> str:
    what = "committed .gitgate.toml" if wrote else "kept the existing policy"
    return (
        f"gitgate is set up on main: {what} ({rev_parse(repo, 'main')[:12]}); "
        f"approvers: {approvers}\n"
    )


# -- init ---------------------------------------------------------------------------------


def test_init_on_checked_out_main(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "repo")
    before = commit(repo, {"README.md": "hello\n"}, "initial")
    out = gitgate(repo, "init", "--approver", APPROVER, actor=APPROVER)
    assert (out.exit_code, out.stderr) == (0, "")
    assert out.stdout == init_line(repo, True, APPROVER)
    assert rev_parse(repo, "main^") == before
    assert run_git(repo, "diff", "--name-status", "main^", "main") == "A\t.gitgate.toml\n"
    assert status_porcelain(repo) == ""  # the working tree and index followed the new commit
    assert (repo / ".gitgate.toml").read_text() == run_git(repo, "show", "main:.gitgate.toml")
    assert run_git(repo, "config", "gitgate.branch") == "main\n"
    assert gitgate_ok(repo, "audit", "log") == f"#1    {T}  init           by {APPROVER}\n"
    assert run_git(repo, "log", "-1", "--format=%an <%ae>%n%B", "main") == (
        f"{APPROVER} <{APPROVER}>\ngitgate: set up policy\n\nProtected: main\n\n"
    )


def test_init_twice_is_safe(repo: Path) -> None:
    policy_commit = rev_parse(repo, "main")
    audit = rev_parse(repo, "refs/gitgate/audit")
    out = gitgate(repo, "init", actor=APPROVER)
    assert (out.exit_code, out.stderr) == (0, "")
    assert out.stdout == init_line(repo, False)
    # different options: kept as it is, with a warning saying how to change it
    out = gitgate(repo, "init", "--approver", "mallory@example.com", actor="mallory@example.com")
    assert out.exit_code == 0
    assert out.stdout == init_line(repo, False)
    assert out.stderr == (
        "warning: .gitgate.toml already exists on main; kept it as it is "
        "(use --force to overwrite, or propose a change to it)\n"
    )
    assert (rev_parse(repo, "main"), rev_parse(repo, "refs/gitgate/audit")) == (
        policy_commit,
        audit,
    )


def test_init_force_overwrites_and_is_audited(repo: Path) -> None:
    first = rev_parse(repo, "main")
    out = gitgate(repo, "init", "--force", "--approver", "carol@example.com", actor=APPROVER)
    assert (out.exit_code, out.stderr) == (0, "")
    assert out.stdout == init_line(repo, True, "carol@example.com")
    assert rev_parse(repo, "main^") == first
    assert 'approvers = [\n    "carol@example.com",\n]' in run_git(
        repo, "show", "main:.gitgate.toml"
    )
    assert status_porcelain(repo) == ""
    assert gitgate_ok(repo, "audit", "log") == (
        f"#1    {T}  init           by {APPROVER}\n#2    {T}  policy         by {APPROVER}\n"
    )
    assert gitgate_ok(repo, "audit", "verify") == "audit log OK: 2 entries, 0 proposals\n"


def test_init_on_empty_repository(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "empty")
    out = gitgate(repo, "init", "--approver", APPROVER, actor=APPROVER)
    assert (out.exit_code, out.stderr) == (0, "")
    assert out.stdout == init_line(repo, True, APPROVER)
    assert run_git(repo, "rev-list", "--count", "main") == "1\n"
    assert run_git(repo, "ls-tree", "--name-only", "main") == ".gitgate.toml\n"
    assert status_porcelain(repo) == ""
    assert run_git(repo, "symbolic-ref", "HEAD") == "refs/heads/main\n"
    pid = propose_write(repo, "first.txt", "first file\n")
    assert gitgate_ok(repo, "approve", pid, actor=APPROVER).startswith(f"{pid} executed")
    assert (repo / "first.txt").read_text() == "first file\n"
    assert status_porcelain(repo) == ""


def test_init_on_bare_repository(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "bare.git", bare=True)
    commit(repo, {"README.md": "hi\n"}, "initial")
    out = gitgate(repo, "init", "--approver", APPROVER, actor=APPROVER)
    assert (out.exit_code, out.stderr) == (0, "")
    assert out.stdout == init_line(repo, True, APPROVER)
    assert gitgate_ok(repo, "audit", "verify") == "audit log OK: 1 entries, 0 proposals\n"


def test_init_without_approvers_warns(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "repo")
    commit(repo, {"a": "a\n"}, "initial")
    out = gitgate(repo, "init", actor=APPROVER)
    assert out.exit_code == 0
    assert out.stdout == init_line(repo, True, "none")
    assert (
        out.stderr == "warning: the policy names no approvers: nobody can approve proposals yet\n"
    )


def test_init_json(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "repo")
    commit(repo, {"a": "a\n"}, "initial")
    out = gitgate_ok(
        repo, "init", "--approver", APPROVER, "--protect", "main", "--json", actor=APPROVER
    )
    assert json.loads(out) == {
        "branch": "main",
        "policy_commit": rev_parse(repo, "main"),
        "wrote_policy": True,
        "started_audit": True,
        "protected": ["main"],
        "approvers": [APPROVER],
        "warnings": [],
    }


# -- propose ------------------------------------------------------------------------------


def test_propose_each_kind_then_list(repo: Path, tmp_path: Path) -> None:
    tip = rev_parse(repo, "main")
    w = propose_write(repo, "README.md", "hello world\n", "-m", "Reword the greeting")
    c = gitgate_ok(repo, "propose", "create", "docs/new.md", "--from", "-", input="new\n").strip()
    d = gitgate_ok(repo, "propose", "delete", "notes.txt").strip()
    patch = tmp_path / "change.patch"
    patch.write_text(
        "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n"
        "@@ -1,2 +1,2 @@\n print('a')\n-print('b')\n+print('B')\n"
    )
    p = gitgate_ok(repo, "propose", "patch", str(patch), "-m", "Shout B").strip()
    assert rev_parse(repo, "main") == tip  # nothing lands before approval
    assert len({w, c, d, p}) == 4

    for pid, changes in [
        (w, "M\tREADME.md\n"),
        (c, "A\tdocs/new.md\n"),
        (d, "D\tnotes.txt\n"),
        (p, "M\tsrc/app.py\n"),
    ]:
        branch = f"refs/heads/gitgate/pending/{pid}"
        assert rev_parse(repo, f"{branch}^") == tip
        assert run_git(repo, "diff", "--name-status", tip, branch) == changes

    def row(pid: str, kind: str, title: str) -> str:
        return f"{pid}  pending   {kind:<7}  main          {AGENT:<24}  {T}  {title}"

    header = (
        "ID          STATUS    KIND     TARGET        REQUESTER                 CREATED"
        "               MESSAGE"
    )
    expected = [
        row(w, "write", "Reword the greeting"),
        row(c, "create", "create docs/new.md"),
        row(d, "delete", "delete notes.txt"),
        row(p, "patch", "Shout B"),
    ]
    expected[:] = sorted(expected)  # same created_at: ordered by id
    assert gitgate_ok(repo, "list") == "\n".join([header, *expected]) + "\n"
    assert gitgate_ok(repo, "list", "--status", "executed") == "no proposals\n"
    listed = json.loads(gitgate_ok(repo, "list", "--json", "--status", "pending"))
    assert [x["id"] for x in listed] == sorted([w, c, d, p])
    assert {x["schema"] for x in listed} == {"gitgate.proposal/1"}
    by_id = {x["id"]: x for x in listed}
    assert by_id[c]["kind"] == "create" and by_id[c]["arguments"]["path"] == "docs/new.md"
    assert by_id[p]["changed_files"] == [
        {"path": "src/app.py", "change": "modified", "old_path": None, "mode": 0o100644}
    ]


def test_propose_write_from_file_and_exec_bit_kept(repo: Path, tmp_path: Path) -> None:
    run_git(repo, "update-index", "--chmod=+x", "src/app.py")
    run_git(repo, "commit", "-qm", "make it executable")
    # a direct commit; this test only checks the proposal tree, not verify
    source = tmp_path / "content"
    source.write_bytes(b"\x00\x01binary\xff")
    pid = gitgate_ok(repo, "propose", "write", "src/app.py", "--from", str(source)).strip()
    listing = run_git(repo, "ls-tree", f"refs/heads/gitgate/pending/{pid}", "src/app.py")
    assert listing.startswith("100755 blob ")
    assert run_git(
        repo,
        "cat-file",
        "blob",
        f"gitgate/pending/{pid}:src/app.py",
    ) == ("\x00\x01binary\udcff")


def test_proposal_commit_message_and_author(repo: Path) -> None:
    pid = propose_write(repo, "README.md", "x\n", "-m", "Subject line\n\nBody text.")
    assert run_git(repo, "log", "-1", "--format=%an <%ae>%n%B", f"gitgate/pending/{pid}") == (
        f"{AGENT} <{AGENT}>\n"
        "gitgate proposal: Subject line\n\nBody text.\n\n"
        f"Gitgate-Proposal: {pid}\nGitgate-Kind: write\nRequested-by: {AGENT}\n\n"
    )


# -- show ---------------------------------------------------------------------------------


def test_show_text_json_and_diff(repo: Path) -> None:
    pid = propose_write(repo, "README.md", "hello world\n", "-m", "Reword")
    base = rev_parse(repo, "main")
    pcommit = rev_parse(repo, f"gitgate/pending/{pid}")
    ptree = rev_parse(repo, f"gitgate/pending/{pid}^{{tree}}")
    diff = (
        "diff --git a/README.md b/README.md\n"
        "index ce01362..3b18e51 100644\n"
        "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-hello\n+hello world\n"
    )
    head = (
        f"proposal {pid}  [pending]\n"
        "kind:      write (tool write_file)\n"
        f"target:    main (base {base[:12]})\n"
        f"commit:    {pcommit}\n"
        f"tree:      {ptree}\n"
        f"requester: {AGENT} at {T}\n"
        "message:   Reword\n"
        f"history:   pending ({AGENT}, {T})\n"
        "\n"
        " README.md | 2 +-\n"
        " 1 file changed, 1 insertion(+), 1 deletion(-)\n"
        "\n"
    )
    assert gitgate_ok(repo, "show", pid) == head + diff
    full = gitgate_ok(repo, "show", pid[:5], "--diff")
    assert full == head + diff.replace(
        "ce01362..3b18e51",
        "ce013625030ba8dba906f756967f9e9ca394464a..3b18e512dba79e4c8300dd08aeb37f8e728b8dad",
    )
    data = json.loads(gitgate_ok(repo, "show", pid, "--json", "--diff"))
    assert data["id"] == pid and data["status"] == "pending" and data["commit"] == pcommit
    assert data["base"] == base and data["requester"] == AGENT and data["message"] == "Reword"
    assert "+hello world\n" in data["diff"]
    assert data["preview"]["files"] == 1 and data["preview"]["insertions"] == 1
    assert data["history"] == [{"status": "pending", "at": T, "by": AGENT, "note": ""}]


# -- approve ------------------------------------------------------------------------------


def test_approve_merges_with_trailers(repo: Path) -> None:
    pid = propose_write(repo, "README.md", "hello world\n", "-m", "Reword the greeting")
    before = rev_parse(repo, "main")
    proposal_commit = rev_parse(repo, f"gitgate/pending/{pid}")
    out = gitgate(repo, "approve", pid, actor=APPROVER)
    merge = rev_parse(repo, "main")
    assert (out.exit_code, out.stderr) == (0, "")
    assert out.stdout == f"{pid} executed: merged into main as {merge[:12]}\n"
    assert run_git(repo, "rev-list", "--parents", "-1", "main") == (
        f"{merge} {before} {proposal_commit}\n"
    )
    assert run_git(repo, "log", "-1", "--format=%an <%ae>%n%B", "main") == (
        f"{APPROVER} <{APPROVER}>\n"
        f"Merge gitgate proposal {pid}: Reword the greeting\n\n"
        f"Gitgate-Proposal: {pid}\nGitgate-Commit: {proposal_commit}\n"
        f"Requested-by: {AGENT}\nApproved-by: {APPROVER}\n\n"
    )
    trailers = run_git(repo, "log", "-1", "--format=%(trailers:only,unfold)", "main")
    assert f"Gitgate-Proposal: {pid}\n" in trailers and f"Approved-by: {APPROVER}\n" in trailers
    assert rev_parse(repo, "main^{tree}") == rev_parse(repo, f"{proposal_commit}^{{tree}}")
    assert not ref_exists(repo, f"refs/heads/gitgate/pending/{pid}")
    assert status_porcelain(repo) == ""
    assert (repo / "README.md").read_text() == "hello world\n"
    data = json.loads(gitgate_ok(repo, "show", pid, "--json"))
    assert data["status"] == "executed"
    assert data["result"] == {"merge": merge, "target": "main"}
    assert data["approvals"] == [{"by": APPROVER, "at": T, "commit": proposal_commit}]
    assert [h["status"] for h in data["history"]] == ["pending", "executed"]
    assert gitgate_ok(repo, "audit", "log") == (
        f"#1    {T}  init           by {APPROVER}\n"
        f"#2    {T}  proposed       {pid} by {AGENT}\n"
        f"#3    {T}  approved       {pid} by {APPROVER}\n"
        f"#4    {T}  executed       {pid} by {APPROVER} -> {merge[:12]}\n"
    )
    assert gitgate_ok(repo, "audit", "verify") == "audit log OK: 4 entries, 1 proposals\n"


def test_approve_several_and_json(repo: Path) -> None:
    a = propose_write(repo, "a.txt", "a\n")
    b = propose_write(repo, "b.txt", "b\n")
    data = json.loads(gitgate_ok(repo, "approve", a, b, "--json", actor=APPROVER2))
    assert [(x["id"], x["status"]) for x in data] == [(a, "executed"), (b, "executed")]
    assert run_git(repo, "log", "--format=%s", "-2", "--first-parent", "main") == (
        f"Merge gitgate proposal {b}: write b.txt\nMerge gitgate proposal {a}: write a.txt\n"
    )
    assert status_porcelain(repo) == ""


def test_approve_after_target_moved_merges_cleanly(repo: Path) -> None:
    first = propose_write(repo, "src/app.py", "print('A')\nprint('b')\n")
    second = propose_write(repo, "notes.txt", "one\ntwo\nthree\nfour\n")
    second_commit = rev_parse(repo, f"gitgate/pending/{second}")
    gitgate_ok(repo, "approve", first, actor=APPROVER)
    moved = rev_parse(repo, "main")
    out = gitgate(repo, "approve", second, actor=APPROVER)
    assert out.exit_code == 0
    merge = rev_parse(repo, "main")
    assert out.stdout == f"{second} executed: merged into main as {merge[:12]}\n"
    assert rev_parse(repo, "main^1") == moved
    assert rev_parse(repo, "main^2") == second_commit
    assert run_git(repo, "show", "main:src/app.py") == "print('A')\nprint('b')\n"
    assert run_git(repo, "show", "main:notes.txt") == "one\ntwo\nthree\nfour\n"
    assert status_porcelain(repo) == ""
    assert gitgate_ok(repo, "audit", "verify") == "audit log OK: 7 entries, 2 proposals\n"


def test_approve_conflict_is_recorded_failed(repo: Path) -> None:
    first = propose_write(repo, "notes.txt", "ONE\ntwo\nthree\n")
    second = propose_write(repo, "notes.txt", "uno\ntwo\nthree\n")
    gitgate_ok(repo, "approve", first, actor=APPROVER)
    target = rev_parse(repo, "main")
    second_commit = rev_parse(repo, f"gitgate/pending/{second}")
    out = gitgate(repo, "approve", second, actor=APPROVER)
    assert (out.exit_code, out.stderr) == (1, "")
    assert out.stdout == f"{second} failed: merge conflict\n  conflict: notes.txt\n"
    assert rev_parse(repo, "main") == target  # untouched
    assert status_porcelain(repo) == ""
    assert rev_parse(repo, f"refs/gitgate/archive/{second}") == second_commit
    assert not ref_exists(repo, f"refs/heads/gitgate/pending/{second}")
    data = json.loads(gitgate_ok(repo, "show", second, "--json"))
    assert data["status"] == "failed"
    assert data["result"] == {"error": "merge conflict", "conflicts": ["notes.txt"]}
    assert (
        gitgate_ok(repo, "list", "--status", "failed")
        .splitlines()[1]
        .startswith(f"{second}  failed ")
    )
    log = gitgate_ok(repo, "audit", "log").splitlines()
    assert log[-2:] == [
        f"#6    {T}  approved       {second} by {APPROVER}",
        f"#7    {T}  failed         {second} by {APPROVER}",
    ]
    assert gitgate_ok(repo, "audit", "verify") == "audit log OK: 7 entries, 2 proposals\n"
    text = gitgate_ok(repo, "show", second)
    assert "error:     merge conflict\nconflict:  notes.txt\n" in text


# -- reject -------------------------------------------------------------------------------


def test_reject_requires_a_reason(repo: Path) -> None:
    pid = propose_write(repo, "a.txt", "a\n")
    out = gitgate(repo, "reject", pid, actor=APPROVER)
    assert out.exit_code == 2
    assert "Missing option '--reason'" in out.stderr
    out = gitgate(repo, "reject", pid, "--reason", "  ", actor=APPROVER)
    assert out.exit_code == 1
    assert out.stderr == "error: a reason is required to reject\nhint: pass --reason TEXT\n"


def test_reject_records_reason_and_archives(repo: Path) -> None:
    pid = propose_write(repo, "a.txt", "a\n")
    pcommit = rev_parse(repo, f"gitgate/pending/{pid}")
    tip = rev_parse(repo, "main")
    out = gitgate(repo, "reject", pid, "--reason", "not needed", actor=APPROVER)
    assert (out.exit_code, out.stdout, out.stderr) == (0, f"{pid} rejected\n", "")
    assert rev_parse(repo, "main") == tip
    assert rev_parse(repo, f"refs/gitgate/archive/{pid}") == pcommit
    assert not ref_exists(repo, f"refs/heads/gitgate/pending/{pid}")
    data = json.loads(gitgate_ok(repo, "show", pid, "--json"))
    assert (data["status"], data["result"]) == ("rejected", {"reason": "not needed"})
    assert data["history"][-1] == {
        "status": "rejected",
        "at": T,
        "by": APPROVER,
        "note": "not needed",
    }
    assert "reason:    not needed\n" in gitgate_ok(repo, "show", pid)
    assert gitgate_ok(repo, "audit", "log").splitlines()[-1] == (
        f"#3    {T}  rejected       {pid} by {APPROVER}: not needed"
    )
    assert gitgate_ok(repo, "audit", "verify") == "audit log OK: 3 entries, 1 proposals\n"


def test_requester_may_withdraw(repo: Path) -> None:
    pid = propose_write(repo, "a.txt", "a\n")
    data = json.loads(gitgate_ok(repo, "reject", pid, "-r", "changed my mind", "--json"))
    assert (data["status"], data["result"]["reason"]) == ("rejected", "changed my mind")


# -- audit verify: tampering --------------------------------------------------------------


def _executed_and_pending(repo: Path) -> tuple[str, str]:
    done = propose_write(repo, "a.txt", "a\n")
    gitgate_ok(repo, "approve", done, actor=APPROVER)
    waiting = propose_write(repo, "b.txt", "b\n")
    return done, waiting


def test_verify_detects_a_direct_git_commit(repo: Path) -> None:
    _executed_and_pending(repo)
    (repo / "README.md").write_text("sneaky\n")
    run_git(repo, "commit", "-qam", "direct change")
    sneaky = rev_parse(repo, "main")
    out = gitgate(repo, "audit", "verify")
    assert (out.exit_code, out.stderr) == (1, "")
    assert out.stdout == (
        f"problem: commit {sneaky[:12]} on main did not come through an approved proposal\n"
    )


def test_verify_detects_update_ref(repo: Path) -> None:
    _executed_and_pending(repo)
    tree = rev_parse(repo, "main^{tree}")
    forged = run_git(repo, "commit-tree", tree, "-p", "main", "-m", "Approved-by: alice").strip()
    run_git(repo, "update-ref", "refs/heads/main", forged)
    out = gitgate(repo, "audit", "verify")
    assert out.exit_code == 1
    assert out.stdout == (
        f"problem: commit {forged[:12]} on main did not come through an approved proposal\n"
    )


def test_verify_detects_a_rewritten_note(repo: Path, tmp_path: Path) -> None:
    _, waiting = _executed_and_pending(repo)
    pcommit = rev_parse(repo, f"gitgate/pending/{waiting}")
    note = json.loads(run_git(repo, "notes", "--ref=refs/notes/gitgate", "show", pcommit))
    note["status"] = "executed"
    forged = tmp_path / "note.json"
    forged.write_text(json.dumps(note))
    run_git(repo, "notes", "--ref=refs/notes/gitgate", "add", "-f", "-F", str(forged), pcommit)
    # Readers derive a proposal from the journal: the forged note changes nothing they show.
    assert json.loads(gitgate_ok(repo, "show", waiting, "--json"))["status"] == "pending"
    out = gitgate(repo, "audit", "verify")
    assert out.exit_code == 1
    assert out.stdout == (
        f"problem: the note of {waiting} differs from the journal: rewritten, or left stale\n"
    )


def test_verify_detects_audit_reset_and_forged_entry(repo: Path) -> None:
    done, waiting = _executed_and_pending(repo)
    merge = rev_parse(repo, "main")
    entries = run_git(repo, "rev-list", "--reverse", "refs/gitgate/audit").split()
    assert len(entries) == 5  # init, proposed, approved, executed, proposed
    # rewind to "proposed" of the first proposal and forge a rejection of it as entry #5
    forged_entry = AuditEntry(
        seq=5,
        event="rejected",
        actor=APPROVER,
        time=T,
        proposal=done,
        details={"reason": "forged"},
        commits={},
    )
    ident = actor_identity(APPROVER)
    forged = run_git(
        repo,
        "commit-tree",
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "-p",
        entries[1],
        input=encode_audit(forged_entry),
        env={"GIT_AUTHOR_NAME": ident.name, "GIT_AUTHOR_EMAIL": ident.email},
    ).strip()
    run_git(repo, "update-ref", "refs/gitgate/audit", forged)
    out = gitgate(repo, "audit", "verify")
    assert out.exit_code == 1
    problems = out.stdout.splitlines()
    assert problems[0] == f"problem: audit entry {forged[:12]} has sequence 5, expected 3"
    assert {
        f"problem: audit entry #5 (rejected {done}): entry #5 (rejected) cannot follow status none",
        f"problem: refs/heads/gitgate/pending/{waiting} is not in the journal"
        " (an orphan ref; `gitgate doctor`)",
        f"problem: commit {merge[:12]} on main did not come through an approved proposal",
    } <= set(problems)
    assert any(p.startswith("problem: the note on ") for p in problems)


def test_verify_detects_a_truncated_audit_log(repo: Path) -> None:
    done, waiting = _executed_and_pending(repo)
    entries = run_git(repo, "rev-list", "--reverse", "refs/gitgate/audit").split()
    run_git(repo, "update-ref", "refs/gitgate/audit", entries[2])  # drop "executed" and after
    out = gitgate(repo, "audit", "verify")
    assert out.exit_code == 1
    merge = rev_parse(repo, "main")
    assert {
        f"problem: the note of {done} differs from the journal: rewritten, or left stale",
        f"problem: refs/heads/gitgate/pending/{waiting} is not in the journal"
        " (an orphan ref; `gitgate doctor`)",
        f"problem: commit {merge[:12]} on main did not come through an approved proposal",
    } <= set(out.stdout.splitlines())


def test_verify_json(repo: Path) -> None:
    _executed_and_pending(repo)
    data = json.loads(gitgate_ok(repo, "audit", "verify", "--json"))
    assert data == {"ok": True, "entries": 5, "proposals": 2, "problems": []}
    run_git(repo, "commit", "-q", "--allow-empty", "-m", "sneaky")
    out = gitgate(repo, "audit", "verify", "--json")
    assert out.exit_code == 1
    data = json.loads(out.stdout)
    assert data["ok"] is False and len(data["problems"]) == 1


def test_audit_log_json(repo: Path) -> None:
    pid = propose_write(repo, "a.txt", "a\n")
    data = json.loads(gitgate_ok(repo, "audit", "log", "--json"))
    assert [(e["seq"], e["event"], e["proposal"]) for e in data] == [
        (1, "init", None),
        (2, "proposed", pid),
    ]
    details = data[1]["details"]
    assert details["proposal"]["id"] == pid  # the immutable record travels in the entry
    del details["proposal"]
    assert details == {"kind": "write", "tool": "write_file", "paths": ["a.txt"]}
    assert data[1]["commits"]["proposal"] == rev_parse(repo, f"gitgate/pending/{pid}")


# -- the real entry point -------------------------------------------------------------------


def test_full_flow_through_python_m_gitgate(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "repo")
    commit(repo, {"README.md": "hello\n"}, "initial")
    proc = gitgate_subprocess(repo, "init", "--approver", APPROVER, actor=APPROVER)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    proc = gitgate_subprocess(repo, "propose", "write", "README.md", input=b"bye\n")
    assert proc.returncode == 0, proc.stderr
    pid = proc.stdout.strip()
    proc = gitgate_subprocess(repo, "approve", pid, actor=APPROVER)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{pid} executed: merged into main as ")
    assert (repo / "README.md").read_text() == "bye\n"
    assert status_porcelain(repo) == ""
    proc = gitgate_subprocess(repo, "audit", "verify")
    assert (proc.returncode, proc.stdout) == (0, "audit log OK: 4 entries, 1 proposals\n")
    proc = gitgate_subprocess(repo, "approve", pid, actor=APPROVER)
    assert proc.returncode == 1
    assert proc.stderr == f"error: {pid} is already executed\nhint: see `gitgate show {pid}`\n"
    proc = gitgate_subprocess(repo, "frobnicate")
    assert proc.returncode == 2


def test_policy_change_through_a_proposal(repo: Path) -> None:
    text = run_git(repo, "show", "main:.gitgate.toml").replace(
        f'    "{APPROVER2}",\n', f'    "{APPROVER2}",\n    "carol@example.com",\n'
    )
    pid = propose_write(repo, ".gitgate.toml", text)
    gitgate_ok(repo, "approve", pid, actor=APPROVER)
    other = propose_write(repo, "c.txt", "c\n")
    assert gitgate_ok(repo, "approve", other, actor="carol@example.com").startswith(other)
    assert gitgate_ok(repo, "audit", "verify") == "audit log OK: 7 entries, 2 proposals\n"
    assert tree_listing(repo, "main", exclude=()).count(".gitgate.toml") == 1
