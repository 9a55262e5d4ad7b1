"""Attacks on where the policy comes from, and on the policy itself (issue 9, classes 1 and 5).

Each is a real ``git push`` into the bare server with the hook; each refusal leaves the
server's refs as they were.
"""

from __future__ import annotations

import pytest
from attack_helpers import (
    AUDIT,
    PENDING,
    accepted,
    disable_hook,
    enable_hook,
    land_policy,
    refused,
    rev,
    server_policy,
)

from conftest import World
from gitgate import remote
from gitgate.server import hookinstall
from gitgate.store.gitstore import GitStore
from gitgate.workflow import Gate
from gitutil import APPROVER, APPROVER2, commit, create_repo, make_gated_repo, run_git

INSTALL_HINT = (
    "gitgate: hint: the server's admin pins the policy branch: `gitgate hook install "
    "--branch BRANCH` in the server's repository"
)


def _own_policy_branch(world: World, branch: str) -> str:
    """mallory's branch carrying a policy that lets anyone do anything."""
    clone = world.clone("mallory")
    run_git(clone, "checkout", "-q", "-b", branch, "main")
    (clone / ".gitgate.toml").write_text('approvers = ["mallory@example.com"]\n')
    run_git(clone, "commit", "-qam", "my policy")
    return rev(world, "mallory", branch)


def test_unpinned_server_refuses_everything_even_a_policy_branch(world: World) -> None:
    """The issue's attack: HEAD names master, no gitgate.branch; mallory pushes master."""
    run_git(world.server, "config", "--unset", "gitgate.branch")
    run_git(world.server, "symbolic-ref", "HEAD", "refs/heads/master")
    _own_policy_branch(world, "master")
    lines = refused(world, "mallory", "master", user=None)
    assert lines == [
        "gitgate: refused refs/heads/master: the server has no policy branch (gitgate.branch)",
        INSTALL_HINT,
    ]
    lines = refused(world, "mallory", "master", ":refs/gitgate/audit", user=None)
    assert lines.count(INSTALL_HINT) == 1  # one hint for the whole push
    assert len([ln for ln in lines if "no policy branch" in ln]) == 2


def test_the_pinned_branch_only_never_head_main_or_master(world: World) -> None:
    """Pinned to main: a policy on master (HEAD) or elsewhere is never read."""
    run_git(world.server, "symbolic-ref", "HEAD", "refs/heads/master")
    tip = _own_policy_branch(world, "master")
    lines = refused(world, "mallory", f"{tip}:refs/heads/master")
    assert lines[0] == (
        "gitgate: refused refs/heads/master: the policy allows no pushes to this ref "
        "(deny by default)"
    )
    run_git(world.clone("mallory"), "checkout", "-q", "main")
    run_git(world.clone("mallory"), "commit", "-q", "--allow-empty", "-m", "direct")
    assert "is not an approved gitgate merge" in refused(world, "mallory", "main")[0]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "there is no .gitgate.toml on main"),
        ("approvers = [", "the policy on main is invalid: .gitgate.toml is not valid TOML"),
        ('protected = ["dev"]\napprovers = ["a"]\n', "the policy on main does not protect main"),
    ],
    ids=["missing", "invalid", "unprotected"],
)
def test_missing_or_broken_policy_refuses_every_ref(
    world: World, content: str | None, reason: str
) -> None:
    """An admin broke the server's policy by hand: the hook fails closed, naming the fix."""
    commit(world.server, {".gitgate.toml": content}, "broken by hand")
    run_git(world.clone("mallory"), "branch", "feature", "main")
    lines = refused(world, "mallory", "feature", ":refs/gitgate/audit")
    reasons = sorted(ln for ln in lines if not ln.startswith("gitgate: hint: "))
    assert len(reasons) == 2
    assert reasons[0].startswith(f"gitgate: refused refs/gitgate/audit: {reason}"), lines
    assert reasons[1].startswith(f"gitgate: refused refs/heads/feature: {reason}"), lines
    hints = [ln for ln in lines if ln.startswith("gitgate: hint: ")]
    assert len(hints) == 1
    assert hints[0].startswith("gitgate: hint: the server's admin restores a valid .gitgate.toml")


# -- the first push of a new server -----------------------------------------------------------


def _empty_server(world: World) -> GitStore:
    server = world.root / "new.git"
    create_repo(server, bare=True)
    store = GitStore.open(server)
    hookinstall.install(store, branch="main")
    run_git(server, "config", "gitgate.branch", "main")
    return store


def _set_up_clone(world: World) -> None:
    make_gated_repo(world.root / "admin", files={"README.md": "hi\n"})
    run_git(world.root / "admin", "remote", "add", "new", str(world.root / "new.git"))


def _push_new(world: World, *refspecs: str, user: str = APPROVER) -> tuple[int, str]:
    import os
    import subprocess

    env = {**os.environ, "REMOTE_USER": user}
    proc = subprocess.run(
        ["git", "-C", str(world.root / "admin"), "push", "--porcelain", "new", *refspecs],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return proc.returncode, proc.stderr


def _new_refs(world: World) -> str:
    return run_git(world.root / "new.git", "for-each-ref")


def test_bootstrap_push_sets_up_an_empty_server(world: World) -> None:
    _empty_server(world)
    _set_up_clone(world)
    code, err = _push_new(world, "main", AUDIT)
    assert code == 0, err
    refs = _new_refs(world)
    assert "refs/heads/main" in refs and AUDIT in refs
    # From then on the policy judges: a direct push to main is refused.
    admin = world.root / "admin"
    run_git(admin, "commit", "-q", "--allow-empty", "-m", "direct")
    code, err = _push_new(world, "main")
    assert code != 0 and "is not an approved gitgate merge" in err


@pytest.mark.parametrize(
    ("refspecs", "user", "reason"),
    [
        (["main"], APPROVER, "the set-up push carries exactly main and refs/gitgate/audit"),
        (
            ["main", AUDIT, "main:refs/heads/other"],
            APPROVER,
            "the set-up push carries exactly main and refs/gitgate/audit",
        ),
        ([AUDIT], APPROVER, "this server has no gitgate data yet"),
        (["main", AUDIT], APPROVER2, f"the init entry names {APPROVER}, but {APPROVER2}"),
        (["main", AUDIT], " " + APPROVER, "the set-up push needs an authenticated pusher"),
    ],
    ids=["no-log", "extra-ref", "no-branch", "other-pusher", "bad-identity"],
)
def test_bootstrap_is_refused_unless_exact(
    world: World, refspecs: list[str], user: str, reason: str
) -> None:
    _empty_server(world)
    _set_up_clone(world)
    code, err = _push_new(world, *refspecs, user=user)
    assert code != 0
    assert reason in err, err
    assert _new_refs(world) == ""


def test_bootstrap_policy_must_be_usable(world: World) -> None:
    _empty_server(world)
    create_repo(world.root / "admin")
    commit(world.root / "admin", {".gitgate.toml": "approvers = []\n"}, "no approvers")
    run_git(world.root / "admin", "remote", "add", "new", str(world.root / "new.git"))
    code, err = _push_new(world, "main")
    assert code != 0 and "it leaves .gitgate.toml with no approvers" in err, err
    assert _new_refs(world) == ""


def test_not_empty_is_not_a_bootstrap(world: World) -> None:
    """A server holding any ref, but no policy branch yet, refuses (no set-up by push)."""
    store = _empty_server(world)
    _set_up_clone(world)
    admin = world.root / "admin"
    run_git(
        admin,
        "push",
        "-q",
        str(store.git_dir),
        "main:refs/heads/x",
        check=False,
        env={"REMOTE_USER": APPROVER},
    )
    assert "refs/heads/x" not in _new_refs(world)  # refused: not a set-up push
    hook_file = store.git_dir / "hooks/pre-receive"
    hook_file.rename(hook_file.with_suffix(".off"))
    run_git(admin, "push", "-q", str(store.git_dir), "main:refs/heads/x")
    hook_file.with_suffix(".off").rename(hook_file)
    code, err = _push_new(world, "main", AUDIT)
    assert code != 0 and "there is no .gitgate.toml on main" in err, err


# -- the policy itself --------------------------------------------------------------------------


def _toml_with(world: World, old: str, new: str) -> str:
    text = server_policy(world)
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (("delete", ".gitgate.toml"), "it deletes .gitgate.toml"),
        (
            ("write", "approvers = ["),
            "it makes the policy invalid: .gitgate.toml is not valid TOML",
        ),
        (("write", "approvers = []\n"), "it leaves .gitgate.toml with no approvers"),
        (("write", 'protected = ["dev"]\napprovers = ["a"]\n'), "it stops protecting main"),
        (
            ("write", 'approvers = ["a"]\n[refs]\naudit = "refs/gitgate/log"\n'),
            "it moves gitgate's refs",
        ),
    ],
    ids=["delete", "invalid-toml", "no-approvers", "unprotects-main", "moves-refs"],
)
def test_a_proposal_breaking_the_policy_is_refused_at_the_hook(
    world: World, action: tuple[str, str], reason: str
) -> None:
    kind, arg = action
    if kind == "delete":
        out = world.gitgate("agent", "propose", "delete", ".gitgate.toml", "--push")
    else:
        src = world.root / "policy.toml"
        src.write_text(arg)
        out = world.gitgate(
            "agent", "propose", "write", ".gitgate.toml", "--from", str(src), "--push"
        )
    # gitgate may refuse it first (propose-time check_policy_change); else the hook must.
    assert out.code == 1, f"a proposal breaking the policy was accepted: {out.stdout}"
    assert reason in out.stderr, out.stderr
    assert not [r for r in world.server_refs() if r.startswith(PENDING)]


def test_a_policy_breaking_proposal_that_got_in_before_the_hook_never_lands(world: World) -> None:
    """Pushed while the hook was off; the approval that would land it is refused at main."""
    parked = disable_hook(world.server)
    try:
        # gitgate refuses this at propose time; an older or hostile client would not
        gate = Gate(world.clone("agent"))
        gate._check_policy_edit = lambda *args: None  # type: ignore[method-assign]
        pid = remote.propose_and_push(
            gate, lambda: gate.propose_delete(".gitgate.toml", actor="agent@example.com")
        ).id
    finally:
        enable_hook(world.server)
    assert parked.parent.joinpath("pre-receive").exists()
    main_before = world.server_refs()["refs/heads/main"]
    out = world.gitgate("alice", "approve", pid, "--push")
    assert out.code == 1
    assert "changes .gitgate.toml: it deletes .gitgate.toml" in out.stderr, out.stderr
    assert world.server_refs()["refs/heads/main"] == main_before


def test_removed_approver_cannot_create_a_protected_branch_at_an_old_commit(
    world: World,
) -> None:
    land_policy(
        world,
        _toml_with(
            world, 'protected = [\n    "main",\n]', 'protected = [\n    "main",\n    "release",\n]'
        ),
    )
    old = rev(world, "bob", "main")  # its policy still names bob
    land_policy(world, _toml_with(world, f'    "{APPROVER2}",\n', ""))
    assert APPROVER2 not in server_policy(world)
    lines = refused(world, "bob", f"{old}:refs/heads/release")
    assert lines[0] == (
        "gitgate: refused refs/heads/release: only an approver may create the protected "
        "branch release"
    )
    # Even a current approver may not start it at a commit carrying an older policy:
    lines = refused(world, "alice", f"{old}:refs/heads/release")
    assert "may only be created at a commit carrying the current policy of main" in lines[0]
    # ... nor at a commit that is not protected history:
    tip = rev(world, "alice", "main")
    unreviewed = run_git(
        world.clone("alice"), "commit-tree", f"{tip}^{{tree}}", "-p", tip, "-m", "unreviewed"
    ).strip()
    lines = refused(world, "alice", f"{unreviewed}:refs/heads/release")
    assert "may only be created at a commit already protected" in lines[0]
    # At main's current tip, an approver creates it.
    accepted(world, "alice", f"{rev(world, 'bob', 'main')}:refs/heads/release")
    assert "refs/heads/release" in world.server_refs()
