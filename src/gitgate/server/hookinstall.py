"""Installing the pre-receive hook, the way each forge runs hooks, and checking it runs.

``gitgate hook install`` does three things, whatever the forge:

* pins where the policy lives: server git config ``gitgate.branch`` (the hook reads only
  that) and the bare repository's ``HEAD`` (so a plain ``git clone`` checks out that branch);
* writes gitgate's hook script where the forge runs it (see :data:`FORGES`);
* never disables a hook that is not gitgate's: a plain repository's foreign ``pre-receive``
  is kept as ``pre-receive.legacy`` and still runs first; a forge's own driver is never touched.

``gitgate hook status`` runs a dry check (:func:`status`): the script git will run exists, is
executable and gitgate's, the forge's driver still reaches it, and the script's Python, run as
the repository's owner (the user the forge runs hooks as), can import the hook.

This module starts processes of its own (gitolite's ``query-rc`` and the dry run as another
user, which git plumbing cannot do), so it is the one place besides gitstore that may.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitgate import methodcache
from gitgate.errors import GitgateError
from gitgate.homepolicy import CONFIG_BRANCH
from gitgate.policy import POLICY_PATH
from gitgate.store.gitstore import GitStore

HOOK_ID = "gitgate-hook-id: 6c1f0e9a4b7d4e2f8a3c5b9d0e1f2a7c"
LEGACY_SUFFIX = ".legacy"
SCRIPT_NAME = "gitgate"  # the file name inside a forge's hook directory

#: How each forge runs a repository's pre-receive hooks.
FORGES = ("plain", "gitolite", "gitlab", "gitea", "http-backend")

# The hook starts Python without its site initialisation (-S): on a server with many .pth
# files that step costs more than the push itself. The import path is the one gitgate was
# installed with (GITGATE_PATH, written by `gitgate hook install`); when gitgate cannot be
# imported from it (an empty path, a moved virtualenv), the hook starts the usual way. The
# collector is off while gitgate is imported (nothing made then is garbage); hook.main turns
# it back on.
_START = """\
GITGATE_START='import gc, os, sys
gc.disable()
sys.path[:1] = [p for p in sys.argv.pop(1).split(os.pathsep) if p]
try:
    from gitgate.server.hook import leave, main
except ImportError:
    os.execv(sys.executable, [sys.executable, "-m", "gitgate", "hook", "pre-receive"])
leave(main())'"""

HOOK_TEMPLATE = (
    """\
#!/bin/sh
# gitgate pre-receive hook: every push is judged against .gitgate.toml (docs/SERVER.md).
# {marker}
# Installed by `gitgate hook install`; `gitgate hook uninstall` restores a previous hook,
# which was kept as pre-receive.legacy and still runs first.
GITGATE_PYTHON={python}
GITGATE_PATH={path}
"""
    + _START
    + """
case $0 in */*) hooks_dir=${{0%/*}} ;; *) hooks_dir=. ;; esac
if [ -x "$hooks_dir/pre-receive.legacy" ]; then
    input=$(cat)
    printf '%s\\n' "$input" | "$hooks_dir/pre-receive.legacy" "$@" || exit $?
    printf '%s\\n' "$input" | "$GITGATE_PYTHON" -S -c "$GITGATE_START" "$GITGATE_PATH"
    exit $?
fi
exec "$GITGATE_PYTHON" -S -c "$GITGATE_START" "$GITGATE_PATH"
"""
)

# In a forge's hook directory the forge runs every script itself: no legacy chaining.
FORGE_HOOK_TEMPLATE = (
    """\
#!/bin/sh
# gitgate pre-receive hook: every push is judged against .gitgate.toml (docs/SERVER.md).
# {marker}
# Installed by `gitgate hook install --forge {forge}`; run by the forge with the other hooks
# of this directory; `gitgate hook uninstall --forge {forge}` removes it.
GITGATE_PYTHON={python}
GITGATE_PATH={path}
"""
    + _START
    + """
exec "$GITGATE_PYTHON" -S -c "$GITGATE_START" "$GITGATE_PATH"
"""
)

_PYTHON_LINE = re.compile(r"^(?:GITGATE_PYTHON=|exec )(.+)$", re.MULTILINE)  # the first
_DRY_RUN_TIMEOUT = 60.0


class HookError(GitgateError):
    """The hook cannot be installed, or is not what it should be."""

    code = "hook"


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What ``gitgate hook install`` / ``uninstall`` did."""

    hook: Path
    legacy: Path | None = None
    action: str = "installed"
    forge: str = "plain"
    branch: str | None = None
    todo: tuple[str, ...] = ()  # what is still to do before the hook is active


@dataclass(frozen=True, slots=True)
class Check:
    """One step of the dry check: what was checked, whether it holds, and what to do if not."""

    name: str
    ok: bool
    detail: str
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class HookStatus:
    """The outcome of ``gitgate hook status``: active only when every check holds."""

    repo: Path
    forge: str
    hook: Path
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def active(self) -> bool:
        """Tell whether git will run gitgate's hook on the next push."""
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, object]:
        """The status for ``--json``."""
        return {
            "repo": str(self.repo),
            "forge": self.forge,
            "hook": str(self.hook),
            "active": self.active,
            "checks": [
                {"name": c.name, "ok": c.ok, "detail": c.detail, "hint": c.hint}
                for c in self.checks
            ],
        }


# -- scripts ---------------------------------------------------------------------------------


def render_script(python: str, path: Sequence[str] = ()) -> str:
    """The hook script that runs gitgate with ``python`` (quoted for sh), importing it from
    ``path`` (see :func:`import_path`; empty: the hook starts Python the usual way)."""
    return HOOK_TEMPLATE.format(
        marker=HOOK_ID, python=shlex.quote(python), path=shlex.quote(os.pathsep.join(path))
    )


def render_forge_script(python: str, forge: str, path: Sequence[str] = ()) -> str:
    """The script a forge runs from its own hook directory (no legacy chaining)."""
    return FORGE_HOOK_TEMPLATE.format(
        marker=HOOK_ID,
        python=shlex.quote(python),
        forge=forge,
        path=shlex.quote(os.pathsep.join(path)),
    )


def import_path() -> tuple[str, ...]:
    """The directories this process imports from (gitgate, pygit2, cffi...), for the hook.

    The first entry of ``sys.path`` is left out unless Python was started with -P: it is the
    installing command's own directory or working directory, nothing the hook should import
    from. Entries that are not absolute, or cannot hold modules, are left out too.
    """
    entries = sys.path if sys.flags.safe_path else sys.path[1:]
    out: list[str] = []
    for entry in entries:
        if entry and os.path.isabs(entry) and os.pathsep not in entry and entry not in out:
            if os.path.isdir(entry) or os.path.isfile(entry):  # a directory or a zip
                out.append(entry)
    return tuple(out)


def is_gitgate_script(path: Path) -> bool:
    """Tell whether the file at ``path`` is a hook script gitgate installed."""
    try:
        return HOOK_ID in path.read_text("utf-8", "replace")
    except OSError:
        return False


def script_python(path: Path) -> str | None:
    """The Python a gitgate hook script runs, or None when it names none."""
    try:
        match = _PYTHON_LINE.search(path.read_text("utf-8", "replace"))
    except OSError:
        return None
    if match is None:
        return None
    try:
        words = shlex.split(match.group(1))
    except ValueError:  # not quoted as gitgate quotes: not a script it wrote
        return None
    return words[0] if words else None


# -- where hooks live ------------------------------------------------------------------------


def hooks_dir(store: GitStore) -> Path:
    """The repository's hooks directory (``core.hooksPath`` when set)."""
    configured = store.config_get("core.hooksPath")
    if configured:
        path = Path(os.path.expanduser(configured))
        return path if path.is_absolute() else (store.workdir or store.git_dir) / path
    return store.git_dir / "hooks"


def detect_forge(store: GitStore) -> str:
    """Guess which forge hosts the repository from what it leaves in it (else ``plain``)."""
    git_dir = store.git_dir
    hooks = git_dir / "hooks"
    if (git_dir / "gl-conf").exists() or _mentions(hooks / "update", "gitolite"):
        return "gitolite"
    if store.config_get("gitlab.fullpath") or (git_dir / "custom_hooks").is_dir():
        return "gitlab"
    if (hooks / "pre-receive.d" / "gitea").exists() or _mentions(hooks / "pre-receive", "gitea"):
        return "gitea"
    return "plain"


def _mentions(path: Path, word: str) -> bool:
    try:
        if path.is_symlink() and word in os.readlink(path).lower():
            return True
        return word in path.read_text("utf-8", "replace").lower()
    except OSError:
        return False


def forge_hook_path(store: GitStore, forge: str) -> Path:
    """Where gitgate's script goes for ``forge``.

    Raises:
        HookError: for gitolite when its rc names no ``LOCAL_CODE``.
    """
    if forge == "gitlab":
        return store.git_dir / "custom_hooks" / "pre-receive.d" / SCRIPT_NAME
    if forge == "gitea":
        return store.git_dir / "hooks" / "pre-receive.d" / SCRIPT_NAME
    if forge == "gitolite":
        return gitolite_local_code() / "hooks" / "repo-specific" / SCRIPT_NAME
    return hooks_dir(store) / "pre-receive"


def gitolite_local_code() -> Path:
    """gitolite's ``LOCAL_CODE`` directory, asked of gitolite itself (``gitolite query-rc``).

    Raises:
        HookError: when gitolite is not installed here or its rc sets no ``LOCAL_CODE``.
    """
    hint = (
        'as the gitolite hosting user, set LOCAL_CODE => "$ENV{HOME}/local" and enable '
        "'repo-specific-hooks' in ~/.gitolite.rc (docs/SERVER.md, gitolite)"
    )
    try:
        proc = subprocess.run(
            ["gitolite", "query-rc", "LOCAL_CODE"],
            capture_output=True,
            text=True,
            check=False,
            timeout=_DRY_RUN_TIMEOUT,
        )
    except FileNotFoundError as err:
        raise HookError("gitolite is not installed (no `gitolite` on PATH)", hint=hint) from err
    value = proc.stdout.strip()
    if proc.returncode != 0 or not value:
        raise HookError("gitolite's rc sets no LOCAL_CODE: it cannot run repo hooks", hint=hint)
    return Path(value)


# -- the policy branch -----------------------------------------------------------------------


def choose_branch(store: GitStore, branch: str | None = None) -> str:
    """The branch that carries the policy: ``branch``, else HEAD's branch, else ``main``.

    Raises:
        HookError: when that branch (or every default) carries no ``.gitgate.toml``.
    """
    if branch:
        valid = store.run_git(["check-ref-format", f"refs/heads/{branch}"], check=False)
        if valid.returncode != 0 or branch.startswith("-"):
            raise HookError(f"{branch!r} is not a valid branch name", hint="name a branch")
        # An empty repository may be pinned before its first push: the hook then accepts only
        # the set-up push (that branch with a usable policy, and an audit log starting `init`).
        if not _has_policy(store, branch) and store.list_refs("refs/"):
            raise HookError(
                f"the branch {branch!r} carries no {POLICY_PATH} here",
                hint="run `gitgate init` in a clone and push the branch and refs/gitgate/audit "
                "first (docs/SERVER.md), or name the branch that carries it with --branch",
            )
        return branch
    candidates = [b for b in (store.config_get(CONFIG_BRANCH), store.head_branch(), "main") if b]
    for candidate in dict.fromkeys(candidates):
        if _has_policy(store, candidate):
            return candidate
    tried = ", ".join(dict.fromkeys(candidates))
    raise HookError(
        f"no branch here carries {POLICY_PATH} (looked at {tried}): the hook would have no "
        "policy to enforce",
        hint="run `gitgate init --approver ...` in a clone and push the branch and "
        "refs/gitgate/audit first (docs/SERVER.md), or name the branch with --branch",
    )


def _has_policy(store: GitStore, branch: str) -> bool:
    tip = store.resolve(f"refs/heads/{branch}")
    return tip is not None and store.read_path(tip, POLICY_PATH) is not None


def pin_branch(store: GitStore, branch: str, forge: str) -> None:
    """Write ``gitgate.branch`` and point ``HEAD`` at the branch (or refuse, saying why).

    On GitLab and Gitea the forge owns HEAD (the project's default branch): it is checked,
    not written.

    Raises:
        HookError: when HEAD cannot name the branch.
    """
    head = store.head_branch()
    if head != branch:
        if forge in ("gitlab", "gitea"):
            raise HookError(
                f"HEAD names {head!r}, not {branch!r}: a plain clone would check out the wrong "
                f"branch, and {forge} keeps HEAD as the project's default branch",
                hint=f"set the project's default branch to {branch} in {forge}'s settings, "
                "then install again",
            )
        if not store.is_bare:
            raise HookError(
                f"HEAD names {head!r}, not {branch!r}, and this repository has a working tree",
                hint=f"check out {branch} there first, or guard a bare repository",
            )
        _symbolic_ref(store, branch)
    store.config_set(CONFIG_BRANCH, branch)


def _symbolic_ref(store: GitStore, branch: str) -> None:
    result = store.run_git(["symbolic-ref", "HEAD", f"refs/heads/{branch}"], check=False)
    if result.returncode != 0:
        why = result.stderr.decode("utf-8", "replace").strip()
        raise HookError(
            f"cannot point HEAD at refs/heads/{branch}: {why}",
            hint="run `gitgate hook install` as the user that owns the repository",
        )


# -- install / uninstall ---------------------------------------------------------------------


def install(
    store: GitStore,
    *,
    python: str | None = None,
    branch: str | None = None,
    forge: str | None = None,
) -> InstallResult:
    """Pin the policy branch and install the hook the way ``forge`` runs hooks.

    Raises:
        HookError: when there is no policy to enforce, HEAD cannot be pointed at it, or a
            foreign hook and a legacy hook both exist already.
    """
    chosen_forge = forge or detect_forge(store)
    if chosen_forge not in FORGES:
        raise HookError(f"unknown forge {chosen_forge!r}", hint="one of: " + ", ".join(FORGES))
    chosen = choose_branch(store, branch)
    interpreter = python or sys.executable
    _check_python_reachable(store, interpreter)
    pin_branch(store, chosen, chosen_forge)
    # Another interpreter than this one may not import from this one's directories.
    path = import_path() if interpreter == sys.executable else ()
    if chosen_forge in ("plain", "http-backend"):
        result = _install_plain(store, interpreter, path)
    else:
        result = _install_forge_script(store, interpreter, chosen_forge, path)
    _give_back_to_owner(store, [result.hook])
    if interpreter == sys.executable:
        # The hook runs as the repository's owner, who may not write gitgate's directory:
        # compile the dataclass methods it keeps there now, as the installing user.
        methodcache.warm()
    return InstallResult(
        result.hook,
        result.legacy,
        "installed",
        chosen_forge,
        chosen,
        tuple(c.hint or c.detail for c in _forge_checks(store, chosen_forge) if not c.ok),
    )


def _install_plain(store: GitStore, python: str, path: Sequence[str]) -> InstallResult:
    directory = hooks_dir(store)
    directory.mkdir(parents=True, exist_ok=True)
    hook = directory / "pre-receive"
    legacy = directory / ("pre-receive" + LEGACY_SUFFIX)
    moved: Path | None = None
    if hook.exists() and not is_gitgate_script(hook):
        if legacy.exists():
            raise HookError(
                f"{hook} is not gitgate's and {legacy.name} exists too",
                hint=f"merge them by hand, or remove {legacy}",
            )
        hook.rename(legacy)
        moved = legacy
    elif legacy.exists():
        moved = legacy
    _write_executable(hook, render_script(python, path))
    return InstallResult(hook, moved)


def _install_forge_script(
    store: GitStore, python: str, forge: str, path: Sequence[str]
) -> InstallResult:
    hook = forge_hook_path(store, forge)
    if hook.exists() and not is_gitgate_script(hook):
        raise HookError(f"{hook} exists and is not gitgate's; left it alone", hint="move it away")
    hook.parent.mkdir(parents=True, exist_ok=True)
    _write_executable(hook, render_forge_script(python, forge, path))
    return InstallResult(hook)


def _write_executable(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.gitgate-tmp")
    tmp.write_text(text)
    tmp.chmod(0o755)
    tmp.replace(path)  # atomic: a push running meanwhile sees the old script or the new one


def _give_back_to_owner(store: GitStore, written: Sequence[Path]) -> None:
    """Run as root on another user's repository: what we rewrote goes back to its owner.

    git config and HEAD are rewritten through lock files, so they would end up root's and
    the hosting user could no longer change them.
    """
    if os.geteuid() != 0:
        return
    owner = store.git_dir.stat()
    if owner.st_uid == 0:
        return
    for path in (*written, store.git_dir / "config", store.git_dir / "HEAD"):
        if path.exists() and path.stat().st_uid == 0 and store.git_dir in path.parents:
            os.chown(path, owner.st_uid, owner.st_gid)


def uninstall(store: GitStore, *, forge: str | None = None) -> InstallResult:
    """Remove gitgate's hook and put back the hook it replaced, if any.

    ``gitgate.branch`` stays: it says where the policy lives, hook or not.

    Raises:
        HookError: when the hook there is not gitgate's.
    """
    chosen = forge or detect_forge(store)
    if chosen not in ("plain", "http-backend"):
        hook = forge_hook_path(store, chosen)
        if hook.exists() and not is_gitgate_script(hook):
            raise HookError(f"{hook} is not gitgate's hook; left it alone")
        hook.unlink(missing_ok=True)
        return InstallResult(hook, None, "removed", chosen)
    directory = hooks_dir(store)
    hook = directory / "pre-receive"
    legacy = directory / ("pre-receive" + LEGACY_SUFFIX)
    if hook.exists() and not is_gitgate_script(hook):
        raise HookError(f"{hook} is not gitgate's hook; left it alone")
    hook.unlink(missing_ok=True)
    if legacy.exists():
        legacy.rename(hook)
        return InstallResult(hook, legacy, "restored", chosen)
    return InstallResult(hook, None, "removed", chosen)


# -- the hosting user ------------------------------------------------------------------------


def _check_python_reachable(store: GitStore, python: str) -> None:
    """Refuse a Python the repository's owner cannot run (say, a venv under a 0700 home)."""
    owner = store.git_dir.stat().st_uid
    blocked = unreachable_for(Path(python), owner)
    if blocked is not None:
        user = _user_name(owner)
        raise HookError(
            f"the hook would run {python}, but {user}, who owns the repository and so runs "
            f"its hooks, cannot reach it: {blocked}",
            hint="install gitgate in a virtualenv every user can read, e.g. "
            "`python3 -m venv /opt/gitgate && /opt/gitgate/bin/pip install CHECKOUT`, and run "
            "`/opt/gitgate/bin/gitgate hook install` (docs/SERVER.md, Install)",
        )


def unreachable_for(path: Path, uid: int) -> str | None:
    """Why user ``uid`` cannot execute ``path`` (a directory it cannot enter...), or None."""
    if uid == 0:
        return None
    groups = _groups_of(uid)
    target = Path(os.path.realpath(path))
    for directory in reversed(target.parents):
        if not _permits(directory, uid, groups, stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH):
            return f"{directory} is not searchable for it"
    if not _permits(target, uid, groups, stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH):
        return f"{target} is not executable for it"
    return None


def _permits(path: Path, uid: int, groups: set[int], u: int, g: int, o: int) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    if st.st_uid == uid:
        return bool(st.st_mode & u)
    if st.st_gid in groups:
        return bool(st.st_mode & g)
    return bool(st.st_mode & o)


def _groups_of(uid: int) -> set[int]:
    import grp
    import pwd

    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        return set()
    return {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if entry.pw_name in g.gr_mem}


def _user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


# -- status ----------------------------------------------------------------------------------


def status(store: GitStore, *, forge: str | None = None) -> HookStatus:
    """Check, without pushing, whether git will run gitgate's hook on the next push."""
    chosen = forge or detect_forge(store)
    try:
        hook = forge_hook_path(store, chosen)
    except HookError as err:
        check = Check("forge", False, err.message, err.hint)
        return HookStatus(store.git_dir, chosen, Path(), (check,))
    checks = [_branch_check(store), _head_check(store)]
    checks.append(_script_check(hook, chosen))
    checks += _forge_checks(store, chosen)
    if checks[2].ok:
        checks.append(_dry_run_check(store, hook))
    return HookStatus(store.git_dir, chosen, hook, tuple(checks))


def _branch_check(store: GitStore) -> Check:
    branch = store.config_get(CONFIG_BRANCH)
    if not branch:
        return Check(
            "policy branch",
            False,
            f"{CONFIG_BRANCH} is not set: the hook refuses every push",
            "run `gitgate hook install` (it writes gitgate.branch)",
        )
    if not _has_policy(store, branch):
        return Check(
            "policy branch",
            False,
            f"{CONFIG_BRANCH} = {branch}, but that branch carries no {POLICY_PATH}",
            f"push {branch} with its {POLICY_PATH} (gitgate init in a clone)",
        )
    return Check("policy branch", True, f"{CONFIG_BRANCH} = {branch}, with {POLICY_PATH}")


def _head_check(store: GitStore) -> Check:
    branch, head = store.config_get(CONFIG_BRANCH), store.head_branch()
    if branch and head != branch:
        return Check(
            "HEAD",
            False,
            f"HEAD names {head!r}, not {branch!r}: a plain clone checks out the wrong branch",
            "run `gitgate hook install` again (or set the forge's default branch)",
        )
    return Check("HEAD", True, f"HEAD names {head}")


def _script_check(hook: Path, forge: str) -> Check:
    hint = f"run `gitgate hook install --forge {forge}`"
    if not hook.exists():
        return Check("script", False, f"{hook} does not exist", hint)
    if not is_gitgate_script(hook):
        return Check("script", False, f"{hook} is not gitgate's hook", hint)
    if not hook.stat().st_mode & stat.S_IXUSR:
        return Check("script", False, f"{hook} is not executable", f"chmod 755 {hook}")
    if _START not in hook.read_text("utf-8", "replace"):
        # An older gitgate's script still judges every push (it falls back to `python -m
        # gitgate hook`), only with a slower start.
        return Check(
            "script",
            True,
            f"{hook} is gitgate's, executable, written by an older gitgate (it judges pushes, "
            f"but starts slower: run `gitgate hook install --forge {forge}` again)",
        )
    return Check("script", True, f"{hook} is gitgate's, executable")


def _forge_checks(store: GitStore, forge: str) -> list[Check]:
    """Does the forge still run the script? (what a forge's own setup run may have undone)."""
    if forge in ("plain", "http-backend"):
        return [_git_runs_check(store)]
    if forge == "gitolite":
        return [_gitolite_check(store)]
    if forge == "gitea":
        driver = store.git_dir / "hooks" / "pre-receive"
        ok = _mentions(driver, ".d/*")  # Gitea's driver loops over ${hookname}.d/*
        return [
            Check(
                "forge driver",
                ok,
                f"{driver} runs hooks/pre-receive.d/*"
                if ok
                else f"{driver} does not run hooks/pre-receive.d",
                None if ok else "in Gitea's site administration, resynchronize the git hooks",
            )
        ]
    return [Check("forge driver", True, "GitLab runs custom_hooks/pre-receive.d/* itself")]


def _git_runs_check(store: GitStore) -> Check:
    """The path git itself resolves for the hook (core.hooksPath, system config included)."""
    result = store.run_git(["rev-parse", "--git-path", "hooks/pre-receive"], check=False)
    runs = result.stdout.decode("utf-8", "replace").strip()
    path = Path(runs) if os.path.isabs(runs) else store.git_dir / runs
    if result.returncode != 0 or not is_gitgate_script(path):
        return Check(
            "git runs it",
            False,
            f"git runs {path} for pre-receive, which is not gitgate's hook",
            "run `gitgate hook install` (it follows core.hooksPath)",
        )
    return Check("git runs it", True, f"git runs {path}")


def _gitolite_check(store: GitStore) -> Check:
    hooks = store.git_dir / "hooks"
    linked = [p for p in hooks.glob("pre-receive.h*") if is_gitgate_script(p)]
    driver = hooks / "pre-receive"
    if not linked:
        return Check(
            "forge driver",
            False,
            "gitolite links no gitgate hook into this repository (no hooks/pre-receive.h*)",
            f"add `option hook.pre-receive = {SCRIPT_NAME}` to the repository in gitolite.conf "
            "and push gitolite-admin (or run `gitolite setup`)",
        )
    if not (driver.exists() and _mentions(driver, "$0.*")):
        return Check(
            "forge driver",
            False,
            f"{driver} is not gitolite's multi-hook driver, so {linked[0].name} never runs",
            "run `gitolite setup` as the hosting user (it restores the driver)",
        )
    return Check("forge driver", True, f"gitolite runs {linked[0].name} from {driver}")


def _dry_run_check(store: GitStore, hook: Path) -> Check:
    """Run the hook's Python as the repository's owner on an empty push: it must say nothing."""
    python = script_python(hook)
    if python is None:
        return Check("dry run", False, f"{hook} names no Python", "install the hook again")
    owner = store.git_dir.stat().st_uid
    blocked = unreachable_for(Path(python), owner)
    if blocked is not None:
        return Check(
            "dry run",
            False,
            f"{_user_name(owner)} cannot run {python}: {blocked}",
            "install gitgate where the hosting user can run it (docs/SERVER.md)",
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_DIR"] = str(store.git_dir)
    as_owner = os.geteuid() == 0 and owner != 0
    try:
        proc = subprocess.run(
            [python, "-m", "gitgate", "hook", "pre-receive"],
            input="",
            capture_output=True,
            text=True,
            env=env,
            cwd=store.git_dir,
            check=False,
            timeout=_DRY_RUN_TIMEOUT,
            user=owner if as_owner else None,
            group=store.git_dir.stat().st_gid if as_owner else None,
            extra_groups=sorted(_groups_of(owner)) if as_owner else None,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return Check("dry run", False, f"{python} did not run: {err}", None)
    if proc.returncode != 0:
        said = (proc.stderr.strip().splitlines() or ["(nothing)"])[-1]
        return Check(
            "dry run",
            False,
            f"{python} -m gitgate hook pre-receive failed as {_user_name(owner)}: {said}",
            "install gitgate (gitgate-approvals) into that Python, or install the hook again "
            "from a Python that has it",
        )
    return Check("dry run", True, f"{python} runs the hook as {_user_name(owner)}")
