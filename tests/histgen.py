"""Generated histories, and their replay through gitgate (shared by tests and a script).

:func:`generate_history` builds a seeded history of real commits in a work tree, each commit
made of one to three changes of the kinds ``git diff --binary`` can express: text edits,
additions, deletions, renames and copies (with edits and mode changes), executable bits,
binary files, symlinks (added, retargeted, replacing files and replaced by them),
file<->directory and symlink<->directory swaps, and names git C-quotes (spaces, quotes,
non-ASCII, ``^``, leading dashes...). Every name and symlink target it makes passes gitgate's
path policy, so every commit must replay exactly.

:func:`replay_through_api` and :func:`replay_through_cli` propose each commit's diff to a
second repository that starts from the same root, approve it, and count the commits whose
resulting tree is exactly git's.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitutil import AGENT, APPROVER, create_repo, rev_parse, run_git, run_git_raw, tree_listing

# One name part per character class git quotes (or that is otherwise awkward): a name is one
# of these, with a counter to keep it fresh. Control characters and backslashes are refused by
# the path policy; they are tested separately, not generated here.
NAME_PARTS: tuple[str, ...] = (
    "plain",
    "with space",
    'quo"te',
    "it's",
    "ünïcödé",
    "日本語",
    "car^et",
    "-dash",
    "--double-dash",
    "semi;colon",
    "#hash",
    "star*q?",
    "[brackets]",
    "trailing ",
    " leading",
    "tilde~1",
    "dollar$",
    "pct%zz",
    "amp&pipe|",
    "back`tick",
    "UPPER",
    "dots..x",
    "émoji-😀",
    "colon-free=eq",
)
WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")
DEFAULT_DIFF_ARGS: tuple[str, ...] = ("-M",)


@dataclass
class _Tree:
    """The work tree as the generator sees it (read from disk before every change)."""

    root: Path
    rng: random.Random
    counter: list[int] = field(default_factory=lambda: [0])

    def files(self) -> list[str]:
        """Regular files (not symlinks), repository-relative."""
        return [p for p in self._entries() if not (self.root / p).is_symlink()]

    def links(self) -> list[str]:
        """Symlinks."""
        return [p for p in self._entries() if (self.root / p).is_symlink()]

    def text_files(self) -> list[str]:
        """Regular files without NUL bytes."""
        return [p for p in self.files() if b"\0" not in (self.root / p).read_bytes()]

    def dirs(self, *, nonempty: bool = False) -> list[str]:
        """Real directories ('' is the root), never symlinks to directories."""
        out = [""]
        for dirpath, dirnames, _filenames in os.walk(self.root):
            dirnames[:] = sorted(
                d for d in dirnames if d != ".git" and not os.path.islink(os.path.join(dirpath, d))
            )
            rel = os.path.relpath(dirpath, self.root)
            if rel != ".":
                if nonempty and not _has_entries(Path(dirpath)):
                    continue
                out.append(rel)
        return out

    def _entries(self) -> list[str]:
        out: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            dirnames[:] = sorted(d for d in dirnames if d != ".git" and d not in links)
            for name in sorted(filenames + links):
                out.append(os.path.relpath(os.path.join(dirpath, name), self.root))
        return sorted(out)

    def fresh_name(self) -> str:
        """A name that exists nowhere in the tree yet."""
        self.counter[0] += 1
        part = self.rng.choice(NAME_PARTS)
        suffix = self.rng.choice(["", ".txt", ".md", ".py", ".bin", ""])
        return f"{part}{self.counter[0]}{suffix}"

    def fresh_path(self) -> str:
        """A path that does not exist, under a real directory or a new one."""
        parent = self.rng.choice(self.dirs())
        if self.rng.random() < 0.3:
            parent = os.path.join(parent, self.fresh_name()) if parent else self.fresh_name()
        name = self.fresh_name()
        return os.path.join(parent, name) if parent else name

    def text(self, lines: int | None = None) -> bytes:
        """Random text: words on lines, sometimes CRLF, sometimes without a final newline."""
        n = lines if lines is not None else self.rng.randint(1, 40)
        eol = "\r\n" if self.rng.random() < 0.05 else "\n"
        body = "".join(
            " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 6))) + eol
            for _ in range(n)
        )
        if self.rng.random() < 0.1:
            body = body.rstrip("\r\n")
        return body.encode()

    def binary(self) -> bytes:
        """Random bytes with a NUL at the front (git's binary sniff)."""
        return b"\0" + self.rng.randbytes(self.rng.randint(16, 2500))


def _has_entries(path: Path) -> bool:
    for _dirpath, _dirnames, filenames in os.walk(path):
        if filenames:
            return True
    return any(os.path.islink(p) for p in path.rglob("*"))


# -- filesystem primitives ---------------------------------------------------------------------


def _write(root: Path, path: str, data: bytes, *, executable: bool = False) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    target.write_bytes(data)
    os.chmod(target, 0o755 if executable else 0o644)


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


def _is_exec(root: Path, path: str) -> bool:
    return os.access(root / path, os.X_OK)


def _relative_target(link: str, to: str) -> str:
    return os.path.relpath(to, os.path.dirname(link) or ".")


# -- the changes -------------------------------------------------------------------------------

Change = Callable[[_Tree], bool]  # returns False when the tree offers nothing to change


def _edit_text(t: _Tree) -> bool:
    files = t.text_files()
    if not files:
        return False
    path = t.rng.choice(files)
    lines = (t.root / path).read_bytes().splitlines(keepends=True)
    for _ in range(t.rng.randint(1, 3)):
        where = t.rng.randint(0, len(lines))
        roll = t.rng.random()
        if roll < 0.4 or not lines:
            lines.insert(where, t.text(1))
        elif roll < 0.7:
            del lines[min(where, len(lines) - 1)]
        else:
            lines[min(where, len(lines) - 1)] = t.text(1)
    data = b"".join(lines)
    if data == (t.root / path).read_bytes():
        data += b"appended\n"
    _write(t.root, path, data, executable=_is_exec(t.root, path))
    return True


def _add_file(t: _Tree) -> bool:
    roll = t.rng.random()
    data = b"" if roll < 0.08 else t.binary() if roll < 0.3 else t.text()
    _write(t.root, t.fresh_path(), data, executable=t.rng.random() < 0.2)
    return True


def _delete_file(t: _Tree) -> bool:
    entries = t.files() + t.links()
    if len(entries) < 4:
        return False
    _remove(t.root, t.rng.choice(entries))
    return True


def _rename(t: _Tree) -> bool:
    files = t.files()
    if not files:
        return False
    old = t.rng.choice(files)
    new = t.fresh_path()
    data = (t.root / old).read_bytes()
    executable = _is_exec(t.root, old)
    if t.rng.random() < 0.3:
        executable = not executable  # rename with a mode change
    if t.rng.random() < 0.4 and b"\0" not in data and data.count(b"\n") > 3:
        data += t.text(1)  # rename with a small edit (similar enough for -M)
    _remove(t.root, old)
    _write(t.root, new, data, executable=executable)
    return True


def _copy(t: _Tree) -> bool:
    files = t.files()
    if not files:
        return False
    old = t.rng.choice(files)
    data = (t.root / old).read_bytes()
    if t.rng.random() < 0.3 and b"\0" not in data and data.count(b"\n") > 3:
        data += t.text(1)
    executable = _is_exec(t.root, old) != (t.rng.random() < 0.3)
    _write(t.root, t.fresh_path(), data, executable=executable)
    if t.rng.random() < 0.3:
        _edit_text(t)
    return True


def _chmod(t: _Tree) -> bool:
    files = t.files()
    if not files:
        return False
    path = t.rng.choice(files)
    os.chmod(t.root / path, 0o644 if _is_exec(t.root, path) else 0o755)
    return True


def _edit_binary(t: _Tree) -> bool:
    files = [p for p in t.files() if p not in t.text_files()]
    if not files:
        return False
    path = t.rng.choice(files)
    data = bytearray((t.root / path).read_bytes())
    for _ in range(t.rng.randint(1, 20)):
        data[t.rng.randrange(1, len(data))] = t.rng.randrange(256) if len(data) > 1 else 0
    data += t.rng.randbytes(t.rng.randint(0, 50))
    _write(t.root, path, bytes(data), executable=_is_exec(t.root, path))
    return True


def _link_target(t: _Tree, link: str) -> str:
    candidates = t.files() + [d for d in t.dirs() if d]
    if not candidates or t.rng.random() < 0.1:
        return "missing-" + t.fresh_name()  # dangling, but inside the repository
    return _relative_target(link, t.rng.choice(candidates))


def _add_link(t: _Tree) -> bool:
    path = t.fresh_path()
    _link(t.root, path, _link_target(t, path))
    return True


def _retarget_link(t: _Tree) -> bool:
    links = t.links()
    if not links:
        return False
    path = t.rng.choice(links)
    _link(t.root, path, _link_target(t, path))
    return True


def _file_to_link(t: _Tree) -> bool:
    files = t.files()
    if len(files) < 2:
        return False
    path = t.rng.choice(files)
    others = [f for f in files if f != path]
    _link(t.root, path, _relative_target(path, t.rng.choice(others)))
    return True


def _link_to_file(t: _Tree) -> bool:
    links = t.links()
    if not links:
        return False
    _write(t.root, t.rng.choice(links), t.text(), executable=t.rng.random() < 0.2)
    return True


def _file_to_dir(t: _Tree) -> bool:
    files = t.files()
    if not files:
        return False
    path = t.rng.choice(files)
    old = (t.root / path).read_bytes()
    _remove(t.root, path)
    for _ in range(t.rng.randint(1, 3)):
        _write(t.root, os.path.join(path, t.fresh_name()), t.text())
    if t.rng.random() < 0.5:  # the old content moves inside: a rename into the new directory
        _write(t.root, os.path.join(path, t.fresh_name()), old)
    return True


def _dir_to_file(t: _Tree) -> bool:
    dirs = [d for d in t.dirs(nonempty=True) if d]
    if not dirs:
        return False
    path = t.rng.choice(dirs)
    inside = sorted(p for p in t.files() if p.startswith(path + "/"))
    kept = (t.root / t.rng.choice(inside)).read_bytes() if inside else None
    _remove(t.root, path)
    data = kept if kept is not None and t.rng.random() < 0.5 else t.text()
    _write(t.root, path, data, executable=t.rng.random() < 0.2)  # maybe a rename out of it
    return True


def _dir_to_link(t: _Tree) -> bool:
    dirs = [d for d in t.dirs(nonempty=True) if d]
    if not dirs:
        return False
    path = t.rng.choice(dirs)
    _remove(t.root, path)
    outside = [f for f in t.files()]
    to = _relative_target(path, t.rng.choice(outside)) if outside else "missing"
    _link(t.root, path, to)
    return True


def _link_to_dir(t: _Tree) -> bool:
    links = t.links()
    if not links:
        return False
    path = t.rng.choice(links)
    _remove(t.root, path)
    for _ in range(t.rng.randint(1, 3)):
        name = os.path.join(path, t.fresh_name())
        if t.rng.random() < 0.2:
            _link(t.root, name, _relative_target(name, t.rng.choice(t.files() or [name])))
        else:
            _write(t.root, name, t.text())
    return True


def _delete_dir(t: _Tree) -> bool:
    dirs = [d for d in t.dirs(nonempty=True) if d]
    if len(dirs) < 3:
        return False
    _remove(t.root, t.rng.choice(dirs))
    return True


CHANGES: tuple[tuple[str, Change, int], ...] = (
    ("edit text", _edit_text, 10),
    ("add file", _add_file, 8),
    ("delete file", _delete_file, 4),
    ("rename", _rename, 6),
    ("copy", _copy, 4),
    ("chmod", _chmod, 3),
    ("edit binary", _edit_binary, 3),
    ("add symlink", _add_link, 3),
    ("retarget symlink", _retarget_link, 2),
    ("file to symlink", _file_to_link, 2),
    ("symlink to file", _link_to_file, 2),
    ("file to directory", _file_to_dir, 3),
    ("directory to file", _dir_to_file, 3),
    ("directory to symlink", _dir_to_link, 2),
    ("symlink to directory", _link_to_dir, 2),
    ("delete directory", _delete_dir, 1),
)


# -- the history -------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """A generated history: the repository, its commits (root first) and each one's title."""

    repo: Path
    commits: tuple[str, ...]
    titles: tuple[str, ...]


def generate_history(repo: Path, commits: int, seed: int) -> History:
    """Create ``repo`` with a root commit and ``commits`` generated commits on ``main``."""
    create_repo(repo)
    rng = random.Random(seed)
    tree = _Tree(repo, rng)
    for _ in range(12):
        _add_file(tree)
    for _ in range(2):
        _write(repo, tree.fresh_path(), tree.text(), executable=True)
        _add_link(tree)
    made = [_commit_all(repo, "root")]
    titles = ["root"]
    weights = [w for _, _, w in CHANGES]
    # every kind of change comes first, once each, so even a short history covers them all
    first = rng.sample(CHANGES, len(CHANGES))
    while len(made) <= commits:
        done: list[str] = []
        for n in range(rng.choice((1, 1, 2, 3))):
            forced = n == 0 and len(made) <= len(first)
            name, change, _weight = (
                first[len(made) - 1] if forced else rng.choices(CHANGES, weights)[0]
            )
            if change(tree):
                done.append(name)
        if not done or not run_git(repo, "status", "--porcelain"):
            continue
        titles.append(", ".join(done))
        made.append(_commit_all(repo, titles[-1]))
    return History(repo, tuple(made), tuple(titles))


_DATES = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}


def _commit_all(repo: Path, message: str) -> str:
    run_git(repo, "add", "-A")
    run_git(
        repo, "-c", "core.fileMode=true", "commit", "-q", "--allow-empty", "-m", message, env=_DATES
    )
    return rev_parse(repo, "HEAD")


def diff_args_for(index: int) -> tuple[str, ...]:
    """The ``git diff`` options for the ``index``-th commit: mostly -M, some copies, some none."""
    return (("-M",), ("-M",), ("-M", "-C", "--find-copies-harder"), ("--no-renames",))[index % 4]


def commit_patch(history: History, index: int) -> bytes:
    """``git diff --binary --full-index`` of commit ``index`` against its parent."""
    parent, child = history.commits[index - 1], history.commits[index]
    args = diff_args_for(index)
    return run_git_raw(
        history.repo, "diff", "--binary", "--full-index", *args, parent, child
    ).stdout


# -- the replay --------------------------------------------------------------------------------


@dataclass
class ReplayReport:
    """How many replayed commits came out exact, and what happened to the others."""

    exact: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Commits replayed."""
        return self.exact + len(self.failures)


def start_replay(history: History, path: Path) -> Path:
    """A repository holding the history's root on ``main``, with gitgate initialised."""
    from gitgate.workflow import Gate

    replay = create_repo(path)
    root = history.commits[0]
    run_git(history.repo, "push", "-q", str(replay), f"{root}:refs/heads/import")
    run_git(replay, "update-ref", "-d", "refs/heads/import")
    run_git(replay, "update-ref", "refs/heads/main", root)
    run_git(replay, "reset", "-q", "--hard", "main")
    Gate(replay).init(["main"], [APPROVER], actor=APPROVER)
    return replay


def replay_through_api(history: History, path: Path, limit: int | None = None) -> ReplayReport:
    """Propose and approve each commit's patch with the Python API; count exact trees."""
    from gitgate.errors import GitgateError
    from gitgate.workflow import Gate

    replay = start_replay(history, path)
    gate = Gate(replay)
    report = ReplayReport()
    for index in _indices(history, limit):
        title = f"{index}: {history.titles[index]}"
        try:
            proposal = gate.propose_patch(commit_patch(history, index), message=title, actor=AGENT)
            gate.approve(proposal.id, actor=APPROVER)
        except GitgateError as err:
            report.failures.append(f"{title}: refused: {err.message}")
            _resync(history, replay, index)
            continue
        _judge(history, replay, index, title, report)
    return report


def replay_through_cli(history: History, path: Path, limit: int | None = None) -> ReplayReport:
    """Like :func:`replay_through_api`, through ``python -m gitgate`` processes."""
    replay = start_replay(history, path)
    report = ReplayReport()
    for index in _indices(history, limit):
        title = f"{index}: {history.titles[index]}"
        patch_file = path.parent / f"{path.name}-{index}.patch"
        patch_file.write_bytes(commit_patch(history, index))
        proposed = _gitgate(
            replay, AGENT, "propose", "patch", str(patch_file), "-m", title, "--json"
        )
        if proposed.returncode != 0:
            report.failures.append(
                f"{title}: propose exit {proposed.returncode}: {proposed.stderr.strip()}"
            )
            _resync(history, replay, index)
            continue
        proposal_id = json.loads(proposed.stdout)["id"]
        approved = _gitgate(replay, APPROVER, "approve", proposal_id)
        if approved.returncode != 0:
            report.failures.append(
                f"{title}: approve exit {approved.returncode}: {approved.stderr.strip()}"
            )
            _resync(history, replay, index)
            continue
        _judge(history, replay, index, title, report)
    return report


def _indices(history: History, limit: int | None) -> Sequence[int]:
    last = len(history.commits) if limit is None else min(len(history.commits), limit + 1)
    return range(1, last)


def _judge(history: History, replay: Path, index: int, title: str, report: ReplayReport) -> None:
    if tree_listing(replay, "main") == tree_listing(history.repo, history.commits[index]):
        report.exact += 1
    else:
        report.failures.append(f"{title}: the tree differs from git's")
        _resync(history, replay, index)


def _resync(history: History, replay: Path, index: int) -> None:
    """After a failure, put the target back on git's tree so one miss counts once."""
    commit = history.commits[index]
    run_git(history.repo, "push", "-q", "-f", str(replay), f"{commit}:refs/heads/resync")
    listing = tree_listing(history.repo, commit)
    wanted = run_git(replay, "rev-parse", "resync^{tree}").strip()
    config = run_git(replay, "rev-parse", "main:.gitgate.toml").strip()
    env = {"GIT_INDEX_FILE": str(replay / ".git" / "resync-index")}
    run_git(replay, "read-tree", wanted, env=env)
    run_git(
        replay, "update-index", "--add", "--cacheinfo", f"100644,{config},.gitgate.toml", env=env
    )
    tree = run_git(replay, "write-tree", env=env).strip()
    new = run_git(replay, "commit-tree", tree, "-p", "main", "-m", "resync").strip()
    run_git(replay, "update-ref", "-d", "refs/heads/resync")
    # a resync is outside gitgate: the protected branch is moved by hand, as an admin would
    run_git(replay, "update-ref", "refs/heads/main", new)
    run_git(replay, "reset", "-q", "--hard", "main")
    assert tree_listing(replay, "main") == listing


def _gitgate(repo: Path, actor: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GITGATE_ACTOR": actor}
    return subprocess.run(
        [sys.executable, "-m", "gitgate", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
