"""GitReader (git's plumbing, for the hook) answers exactly as GitStore (libgit2) does.

Every read the hook makes is asked of both on real repositories: ordinary ones, and objects
written with ``git hash-object --literally`` in shapes git itself never writes (trees out of
order, twice the same name, odd modes, names that are not UTF-8; commits with other headers,
encodings, broken signatures), plus packed, loose, symbolic and replaced refs and merge
histories. Where libgit2 answers, the reader must give the same answer; where libgit2
raises, the reader must raise too (the hook then refuses the push).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.gitutil import run_git, run_git_raw

from gitgate.errors import NotARepository
from gitgate.store import gitread
from gitgate.store.gitread import ANCESTRY_STEPS, GitReader
from gitgate.store.gitstore import GitStore

ZERO_SIG = b"A U Thor <a@example.com> 1700000000 +0000"


def _init(path: Path, *, bare: bool = True) -> Path:
    run_git(path.parent, "init", "-q", *(["--bare"] if bare else []), str(path))
    return path


def _write(repo: Path, kind: str, data: bytes) -> str:
    proc = run_git_raw(repo, "hash-object", "-t", kind, "--literally", "-w", "--stdin", input=data)
    return proc.stdout.decode().strip()


def _tree(repo: Path, entries: list[tuple[bytes, bytes, str]]) -> str:
    """A tree object of exactly these (mode, name, id) entries, in this order."""
    raw = b"".join(mode + b" " + name + b"\0" + bytes.fromhex(oid) for mode, name, oid in entries)
    return _write(repo, "tree", raw)


def _commit(
    repo: Path,
    tree: str,
    parents: list[str] = [],  # noqa: B006 - never mutated
    message: bytes = b"m\n",
    *,
    headers: bytes = b"",
    when: int = 1700000000,
) -> str:
    raw = b"tree " + tree.encode() + b"\n"
    raw += b"".join(b"parent " + p.encode() + b"\n" for p in parents)
    sig = b"A U Thor <a@example.com> %d +0000" % when
    raw += b"author " + sig + b"\ncommitter " + sig + b"\n" + headers + b"\n" + message
    return _write(repo, "commit", raw)


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        value = call()
        if hasattr(value, "__next__"):
            value = list(value)
        return "value", value
    except Exception:  # noqa: BLE001 - both must fail; how is each one's business
        return "raises", None


def _same(
    store: GitStore, reader: GitReader, method: str, *args: Any, **kwargs: Any
) -> tuple[str, Any]:
    expected = _outcome(lambda: getattr(store, method)(*args, **kwargs))
    got = _outcome(lambda: getattr(reader, method)(*args, **kwargs))
    assert got == expected, f"{method}{args}{kwargs}: reader {got}, libgit2 {expected}"
    return got


@pytest.fixture(autouse=True, params=["plumbing", "switching"])
def read_budget(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test twice: reading through the pipe, and switching to libgit2 after 3 objects
    (as a big push does), so that answers agree across the switch too."""
    if request.param == "switching":
        monkeypatch.setattr(gitread, "READ_BUDGET", 3)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return _init(tmp_path / "r.git")


def _pair(repo: Path) -> tuple[GitStore, GitReader]:
    return GitStore.open(repo), GitReader(repo)


# -- trees --------------------------------------------------------------------------------


def _blob(repo: Path, text: bytes) -> str:
    return _write(repo, "blob", text)


def _check_tree(repo: Path, tree: str, names: list[str]) -> None:
    store, reader = _pair(repo)
    with reader:
        _same(store, reader, "list_tree", tree)
        for name in names:
            for path in (name, f"{name}/x", f"{name}/sub/f", f"{name}/"):
                _same(store, reader, "tree_entry", tree, path)


ODD_TREES: dict[str, Callable[[str, str], list[tuple[bytes, bytes, str]]]] = {
    "out of order": lambda b, t: [(b"100644", b"b", b), (b"100644", b"a", b)],
    "same name twice": lambda b, t: [(b"100644", b"a", b), (b"100644", b"a", b)],
    "a file and a tree of one name": lambda b, t: [(b"100644", b"a", b), (b"40000", b"a", t)],
    "mode 100664": lambda b, t: [(b"100664", b"a", b)],
    "mode 040000": lambda b, t: [(b"040000", b"d", t)],
    "mode 100600": lambda b, t: [(b"100600", b"a", b)],
    "mode 644": lambda b, t: [(b"644", b"a", b)],
    "not utf-8": lambda b, t: [(b"100644", b"caf\xe9", b)],
    "a slash in a name": lambda b, t: [(b"100644", b"a/b", b)],
    "dot": lambda b, t: [(b"100644", b".", b)],
    "dot dot": lambda b, t: [(b"40000", b"..", t)],
    "empty name": lambda b, t: [(b"100644", b"", b)],
    "a tree's mode on a blob": lambda b, t: [(b"40000", b"d", b)],
    "a blob's mode on a tree": lambda b, t: [(b"100644", b"d", t)],
    "a missing subtree": lambda b, t: [(b"40000", b"d", "ab" * 20)],
    "gitlink": lambda b, t: [(b"160000", b"m", "cd" * 20)],
}


@pytest.mark.parametrize("shape", sorted(ODD_TREES))
def test_odd_trees_read_as_libgit2_reads_them(repo: Path, shape: str) -> None:
    blob = _blob(repo, b"x\n")
    sub = _tree(repo, [(b"100644", b"f", blob), (b"40000", b"sub", _tree(repo, []))])
    entries = ODD_TREES[shape](blob, sub)
    tree = _tree(repo, entries)
    names = [e[1].decode("utf-8", "surrogateescape") for e in entries] + ["zz"]
    _check_tree(repo, tree, names)
    # ... and the same tree one level down, and as a commit's tree read by path
    outer = _tree(repo, [(b"40000", b"top", tree)])
    _check_tree(repo, outer, [f"top/{n}" for n in names])
    commit = _commit(repo, outer)
    store, reader = _pair(repo)
    with reader:
        for name in names:
            _same(store, reader, "read_path", commit, f"top/{name}")


def test_a_wide_tree_is_read_by_libgit2_with_the_same_answers(repo: Path) -> None:
    blob = _blob(repo, b"x\n")
    names = sorted(f"file-{i:05d}.txt" for i in range(7000))  # over the plain-tree bound
    tree = _tree(repo, [(b"100644", n.encode(), blob) for n in names])
    _check_tree(repo, tree, [names[0], names[3500], names[-1], "absent"])


_NAME = st.sampled_from([b"a", b"b", b"a.b", b"a-b", b"ab", b"B", b"\xc3\xa9", b"\xff", b"a b"])
_MODE = st.sampled_from([b"100644", b"100755", b"120000", b"160000", b"40000", b"100664"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.tuples(_MODE, _NAME), max_size=6), shuffle=st.booleans())
def test_random_trees_agree(
    tmp_path_factory: pytest.TempPathFactory, data: Any, shuffle: bool
) -> None:
    repo = _init(tmp_path_factory.mktemp("rand") / "r.git")
    blob = _blob(repo, b"content\n")
    sub = _tree(repo, [(b"100644", b"f", blob)])
    entries = [(mode, name, sub if mode == b"40000" else blob) for mode, name in data]
    if not shuffle:  # git's order (a subtree sorts as name + "/"), duplicates kept
        entries.sort(key=lambda e: e[1] + (b"/" if e[0] == b"40000" else b""))
    tree = _tree(repo, entries)
    names = sorted({e[1].decode("utf-8", "surrogateescape") for e in entries} | {"a", "zz"})
    _check_tree(repo, tree, names)
    store, reader = _pair(repo)
    with reader:
        for other in (sub, _tree(repo, [])):
            _same(store, reader, "changed_paths", other, tree)


# -- commits ------------------------------------------------------------------------------

ODD_COMMITS: dict[str, bytes] = {
    "plain": b"author %s\ncommitter %s\n\nsubject\n\nbody\n",
    "encoding latin-1": b"author %s\ncommitter %s\nencoding ISO-8859-1\n\ncaf\xe9\n",
    "unknown encoding": b"author %s\ncommitter %s\nencoding x-nothing\n\nmessage\n",
    "gpgsig": b"author %s\ncommitter %s\ngpgsig -----BEGIN PGP SIGNATURE-----\n abc\n -----END PGP SIGNATURE-----\n\nsigned\n",
    "no blank line": b"author %s\ncommitter %s\n",
    "nul in message": b"author %s\ncommitter %s\n\nbefore\0after\n",
    "message not utf-8": b"author %s\ncommitter %s\n\n\xff\xfe\n",
    "leading newlines": b"author %s\ncommitter %s\n\n\n\nmessage\n",
    "no author": b"committer %s\n\nmessage\n",
    "signature without e-mail": b"author A U Thor 1700000000 +0000\ncommitter %s\n\nm\n",
    "spaces around the name": b"author   Spaced   <  a@example.com  > 1700000000 +0000\ncommitter %s\n\nm\n",
    "name not utf-8": b"author B\xe9b <b@example.com> 1700000000 +0000\ncommitter %s\n\nm\n",
    "odd time zone": b"author %s\ncommitter A <a@example.com> 1700000000 +9999\n\nm\n",
    "huge time": b"author %s\ncommitter A <a@example.com> 99999999999999999999 +0000\n\nm\n",
    "extra header": b"author %s\ncommitter %s\nx-custom value\n\nm\n",
}


@pytest.mark.parametrize("shape", sorted(ODD_COMMITS))
def test_odd_commits_read_as_libgit2_reads_them(repo: Path, shape: str) -> None:
    tree = _tree(repo, [])
    base = _commit(repo, tree)
    body = ODD_COMMITS[shape].replace(b"%s", ZERO_SIG)
    raw = b"tree " + tree.encode() + b"\nparent " + base.encode() + b"\n" + body
    commit = _write(repo, "commit", raw)
    child = _commit(repo, tree, [commit])
    store, reader = _pair(repo)
    with reader:
        _same(store, reader, "commit", commit)
        _same(store, reader, "is_ancestor", base, child)
        _same(store, reader, "is_ancestor", child, base)
        _same(store, reader, "walk", child)
        _same(store, reader, "walk", child, hide=[base])
        assert _outcome(lambda: reader.first_parent_chain_batched(child)) == _outcome(
            lambda: store.first_parent_chain(child)
        )


def test_objects_of_other_kinds_and_missing_ones(repo: Path) -> None:
    blob = _blob(repo, b"data\n")
    tree = _tree(repo, [(b"100644", b"f", blob)])
    commit = _commit(repo, tree)
    store, reader = _pair(repo)
    with reader:
        for oid in (blob, tree, commit, "0" * 40, "ab" * 20, "abc", "HEAD", f"{commit}^", "-x"):
            for method in ("has_object", "commit", "read_blob"):
                _same(store, reader, method, oid)
            _same(store, reader, "list_tree", oid) if oid != commit else None
            _same(store, reader, "is_ancestor", oid, commit)
            _same(store, reader, "is_ancestor", commit, oid)


# -- refs ---------------------------------------------------------------------------------


def test_refs_loose_packed_symbolic_and_replaced(tmp_path: Path) -> None:
    repo = _init(tmp_path / "r.git")
    tree = _tree(repo, [])
    first = _commit(repo, tree)
    second = _commit(repo, tree, [first], b"second\n")
    names = {
        "refs/heads/main": second,
        "refs/heads/main-2": first,
        "refs/heads/gitgate/pending/abc": first,
        "refs/gitgate/audit": second,
        "refs/notes/gitgate": first,
        "refs/tags/v1": first,
    }
    for name, target in names.items():
        run_git(repo, "update-ref", name, target)
    run_git(repo, "tag", "-a", "-m", "annotated", "v2", first)
    run_git(repo, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
    run_git(repo, "symbolic-ref", "refs/heads/dangling", "refs/heads/nothing")
    asked = [*names, "refs/heads/alias", "refs/heads/dangling", "refs/tags/v2", "HEAD"]
    asked += ["refs/heads/nothing", "refs/heads", "refs/heads/", "refs/heads/main/x"]
    asked += ["refs/heads/../config", "refs/heads/a..b", "refs/heads/main.lock"]
    asked += ["refs/heads//main", "refs/heads/main.", "refs/heads/main/", "refs/heads/.main"]
    asked += ["refs/heads/MAIN", "refs/heads/main\n", "refs/heads/ma in", "refs/heads/mäin"]

    def compare() -> None:
        store, reader = _pair(repo)
        with reader:
            for name in asked:
                _same(store, reader, "resolve", name)
            for prefix in ("refs/", "refs/heads/", "refs/heads/ma", "refs/gitgate/", "refs/x/"):
                _same(store, reader, "list_refs", prefix)

    compare()
    run_git(repo, "pack-refs", "--all")
    compare()
    run_git(repo, "update-ref", "refs/heads/main", first)  # loose again, over the packed one
    run_git(repo, "update-ref", "-d", "refs/heads/main-2")  # gone from packed-refs
    compare()
    # A replace ref must not change what either sees (libgit2 has none).
    run_git(repo, "replace", first, second)
    compare()
    store, reader = _pair(repo)
    with reader:
        _same(store, reader, "commit", first)
        _same(store, reader, "walk", second)


def test_config_values(tmp_path: Path) -> None:
    repo = _init(tmp_path / "r.git")
    run_git(repo, "config", "gitgate.branch", "main")
    run_git(repo, "config", "--add", "gitgate.multi", "one")
    run_git(repo, "config", "--add", "gitgate.multi", "two")
    run_git(repo, "config", "Section.Sub.Key", "cased")
    store, reader = _pair(repo)
    with reader:
        for key in ("gitgate.branch", "gitgate.multi", "gitgate.absent", "section.Sub.key"):
            _same(store, reader, "config_get", key)


# Pieces of config lines, plain and not: sections (cases, subsections, the old [a.b] form,
# include), variables (cases, spacing, comments, quotes, escapes, continuations, tabs inside,
# no '='), comments, odd bytes.
_CONFIG_LINES = st.sampled_from(
    [
        "[gitgate]",
        "[GitGate]",
        "[gitgate ]",
        '[gitgate "sub"]',
        "[gitgate.sub]",
        "[core]",
        "\t[gitgate] # c",
        "[include]",
        '[includeIf "gitdir:/x/"]',
        "[extensions]",
        "\tbranch = main",
        "branch=trunk",
        "  Branch =  dev  ",
        "BRANCH = x ; c",
        "branch =",
        "branch",
        'branch = "q uoted"',
        "branch = a\\tb",
        "branch = a b",
        "branch = a\tb",
        "branch = one \\",
        "\tbranch = re/lease-1.2",
        "branch = x#y",
        "branch = a=b",
        "other = main",
        "path = /tmp/x.cfg",
        "# branch = no",
        "; comment",
        "",
        "   ",
        "branch = caf\u00e9",
        "branch = x\r",
        "\x00",
        "[gitgate]branch = glued",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(_CONFIG_LINES, max_size=8),
    key=st.sampled_from(["gitgate.branch", "gitgate.sub.branch", "core.other"]),
)
def test_a_plain_config_reads_as_git_reads_that_file(
    tmp_path: Path, lines: list[str], key: str
) -> None:
    from gitgate.store.gitobjects import plain_config_value

    text = "\n".join(lines) + "\n"
    config = tmp_path / "config"
    config.write_text(text, encoding="utf-8")
    git = run_git_raw(tmp_path, "config", "-f", str(config), "-z", "--get", key, check=False)
    value = plain_config_value(text, key)
    if value is not None:  # None: not held, or not plain (git is asked then)
        assert git.returncode == 0 and git.stdout == value.encode() + b"\0", (text, key)


def test_the_repository_s_own_value_wins_and_anything_else_goes_to_git(tmp_path: Path) -> None:
    repo = _init(tmp_path / "r.git")
    home = tmp_path / "global.cfg"
    home.write_text("[gitgate]\n\tbranch = from-global\n\tonly = global-only\n")
    env = {"GIT_CONFIG_GLOBAL": str(home)}
    run_git(repo, "config", "gitgate.branch", "main")
    included = tmp_path / "included.cfg"
    included.write_text("[gitgate]\n\tlater = from-include\n")

    def both(key: str) -> tuple[str | None, str | None]:
        with pytest.MonkeyPatch.context() as mp:
            for name, value in env.items():
                mp.setenv(name, value)
            reader = GitReader(repo)
            with reader:
                read = reader.config_get(key)
            prefetched = GitReader(repo)
            with prefetched:
                prefetched.prefetch_config(key)
                early = prefetched.config_get(key)
            git = run_git_raw(repo, "config", "-z", "--get", key, check=False)
        expected = git.stdout.removesuffix(b"\0").decode() if git.returncode == 0 else None
        assert read == early == expected, key
        return read, expected

    assert both("gitgate.branch") == ("main", "main")  # ours, over the global file's
    assert both("gitgate.only") == ("global-only", "global-only")  # not ours: git reads it
    assert both("gitgate.absent") == (None, None)
    run_git(repo, "config", "include.path", str(included))  # an include: git's to follow
    run_git(repo, "config", "--add", "gitgate.later", "ours-first")
    assert both("gitgate.later")[1] == "from-include"
    env["GIT_CONFIG_COUNT"] = "1"  # `git -c` through the environment: git's
    env["GIT_CONFIG_KEY_0"] = "gitgate.branch"
    env["GIT_CONFIG_VALUE_0"] = "from-environment"
    assert both("gitgate.branch")[1] == "from-environment"


# -- history ------------------------------------------------------------------------------


def _random_history(repo: Path, seed: int, size: int) -> list[str]:
    rng = random.Random(seed)
    tree = _tree(repo, [])
    commits: list[str] = []
    for i in range(size):
        parents = rng.sample(commits, k=min(len(commits), rng.choice([1, 1, 1, 2])))
        commits.append(
            _commit(repo, tree, parents, b"c%d\n" % i, when=1700000000 + rng.randrange(50))
        )
    return commits


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ancestry_and_walks_agree_on_merge_histories(tmp_path: Path, seed: int) -> None:
    repo = _init(tmp_path / "r.git")
    commits = _random_history(repo, seed, 24)
    store, reader = _pair(repo)
    rng = random.Random(seed)
    with reader:
        for _ in range(120):
            a, b = rng.choice(commits), rng.choice(commits)
            _same(store, reader, "is_ancestor", a, b)
            expected = list(store.walk(b, hide=[a]))
            got = list(reader.walk(b, hide=[a]))
            assert sorted(got) == sorted(expected)
            assert len(set(got)) == len(got)
        for tip in commits[-3:]:
            assert sorted(reader.walk(tip)) == sorted(store.walk(tip))
            hide = rng.sample(commits, 2)
            assert sorted(reader.walk(tip, hide=hide)) == sorted(store.walk(tip, hide=hide))


def test_long_lines_beyond_the_search_bound(tmp_path: Path) -> None:
    repo = _init(tmp_path / "r.git")
    tree = _tree(repo, [])
    line = [_commit(repo, tree)]
    for i in range(ANCESTRY_STEPS * 2 + 5):
        line.append(_commit(repo, tree, [line[-1]], b"%d\n" % i))
    side = _commit(repo, tree, [line[3]], b"side\n")
    store, reader = _pair(repo)
    with reader:
        for a, b in [(line[0], line[-1]), (line[-1], line[0]), (side, line[-1]), (line[3], side)]:
            _same(store, reader, "is_ancestor", a, b)
        for hide in ([line[0]], [line[-40]], [side], [], [line[5], side]):
            _same(store, reader, "walk", line[-1], hide=hide)  # a line: the order is the line's


# -- notes --------------------------------------------------------------------------------


def _note_tree(repo: Path, layout: dict[str, bytes]) -> str:
    """A notes tree from {path: content} (paths as xx/38, flat or deeper)."""
    nested: dict[str, Any] = {}
    for path, content in layout.items():
        node = nested
        *dirs, leaf = path.split("/")
        for d in dirs:
            node = node.setdefault(d, {})
        node[leaf] = content

    def build(node: dict[str, Any]) -> str:
        entries = []
        for name, value in node.items():
            if isinstance(value, dict):
                entries.append((b"40000", name.encode(), build(value)))
            else:
                entries.append((b"100644", name.encode(), _blob(repo, value)))
        entries.sort(key=lambda e: e[1] + (b"/" if e[0] == b"40000" else b""))
        return _tree(repo, entries)

    return build(nested)


def _annotated(i: int) -> str:
    return hashlib.sha1(b"%d" % i).hexdigest()  # noqa: S324 - a name, not security


def test_notes_read_and_diffed_alike(repo: Path) -> None:
    ids = [_annotated(i) for i in range(6)]
    old = _note_tree(repo, {f"{i[:2]}/{i[2:]}": b"note %s\n" % i.encode() for i in ids[:4]})
    new_layout = {f"{i[:2]}/{i[2:]}": b"note %s\n" % i.encode() for i in ids[1:5]}
    new_layout[f"{ids[1][:2]}/{ids[1][2:]}"] = b"changed\n"
    new_layout[ids[5]] = b"flat\n"  # a flat copy
    new_layout[f"{ids[0][:2]}/{ids[0][2:4]}/{ids[0][4:]}"] = b"deeper\n"
    new = _note_tree(repo, new_layout)
    old_commit, new_commit = _commit(repo, old), _commit(repo, new)
    store, reader = _pair(repo)
    with reader:
        for side in (old_commit, new_commit, None):
            for annotated in ids:
                _same(store, reader, "read_note", side, annotated)
        for a, b in [(old_commit, new_commit), (None, new_commit), (new_commit, None)]:
            _same(store, reader, "diff_notes", a, b)
    # a notes tree libgit2 must read (out of order) gives the same diff
    blob = _blob(repo, b"odd\n")
    odd = _tree(repo, [(b"100644", ids[3].encode(), blob), (b"100644", ids[2].encode(), blob)])
    odd_commit = _commit(repo, odd)
    with reader:
        _same(store, reader, "diff_notes", old_commit, odd_commit)
        _same(store, reader, "read_note", odd_commit, ids[2])


@pytest.mark.parametrize("kind", ["grafts", "shallow"])
def test_grafted_and_shallow_histories_are_libgit2s(tmp_path: Path, kind: str) -> None:
    repo = _init(tmp_path / "r.git")
    commits = _random_history(repo, 7, 12)
    if kind == "grafts":  # the deprecated file libgit2 still honours: parents rewritten
        (repo / "info").mkdir(exist_ok=True)
        (repo / "info" / "grafts").write_text(f"{commits[8]} {commits[2]}\n{commits[5]}\n")
    else:
        (repo / "shallow").write_text(f"{commits[6]}\n")
    store, reader = _pair(repo)
    with reader:
        for oid in commits:
            _same(store, reader, "commit", oid)
            _same(store, reader, "walk", oid)
            _same(store, reader, "walk", oid, hide=[commits[3]])
            for other in commits[::3]:
                _same(store, reader, "is_ancestor", other, oid)
        assert _outcome(lambda: reader.first_parent_chain_batched(commits[-1])) == _outcome(
            lambda: store.first_parent_chain(commits[-1])
        )


def test_head_branch_and_opening_by_discovery(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    run_git(work, "init", "-q", "-b", "trunk")
    (work / "sub" / "dir").mkdir(parents=True)
    store, reader = GitStore.open(work / "sub" / "dir"), GitReader.open(work / "sub" / "dir")
    assert Path(reader.git_dir) == Path(store.git_dir)
    with reader:
        _same(store, reader, "head_branch")  # unborn: named all the same
    run_git(work, "commit", "-q", "--allow-empty", "-m", "one")
    for head in ("refs/heads/feature/x", "refs/remotes/origin/main", "refs/heads/a..b"):
        (work / ".git" / "HEAD").write_text(f"ref: {head}\n")
        with GitReader.open(work) as again:
            _same(GitStore.open(work), again, "head_branch")
    (work / ".git" / "HEAD").write_text("ref: refs/heads/trunk\n")
    run_git(work, "checkout", "-q", "--detach")
    with GitReader.open(work) as detached:
        _same(GitStore.open(work), detached, "head_branch")
    with pytest.raises(NotARepository):
        GitStore.open(tmp_path)
    # Not a directory at all: no repository (libgit2 would look from elsewhere).
    for nowhere in (tmp_path, tmp_path / "absent", work / ".git" / "HEAD"):
        with pytest.raises(NotARepository):
            GitReader.open(nowhere)
