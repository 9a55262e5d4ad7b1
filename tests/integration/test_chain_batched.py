"""GitStore.first_parent_chain_batched (git reads the chain) against first_parent_chain
(libgit2 reads it), on real repositories with random and hostile commits."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from tests.gitutil import run_git, run_git_raw

from gitgate.store.gitstore import ChainLink, GitStore

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
SIG = b"A U Thor <a@example.com> 1700000000 +0000"


def _write(repo: Path, raw: bytes) -> str:
    """Store ``raw`` as a commit object as it is (no format check: hostile clones do not
    check either)."""
    return run_git(
        repo, "hash-object", "-t", "commit", "--literally", "-w", "--stdin", input=raw
    ).strip()


def _commit(parents: list[str], message: bytes, *, header: bytes = b"") -> bytes:
    lines = [b"tree " + EMPTY_TREE.encode()]
    lines += [b"parent " + p.encode() for p in parents]
    lines += [b"author " + SIG, b"committer " + SIG]
    return b"\n".join(lines) + b"\n" + header + b"\n" + message


def _messages(rng: random.Random) -> Iterator[bytes]:
    """Messages gitgate writes, and others: invalid UTF-8, NULs, leading newlines, CRs."""
    plain = b'gitgate audit #1 init by a\n\n{\n "seq": 1\n}\n'
    odd = [
        b"",
        b"\n\n\nleading newlines",
        b"nul\x00after",
        b"\xff\xfe invalid utf-8",
        "unicode \u00e9\U0001f600".encode(),
        b"cr\r\nlf",
        b"\n",
    ]
    while True:
        if rng.random() < 0.6:
            yield plain
        else:
            yield rng.choice(odd) + bytes(rng.randrange(256) for _ in range(rng.randrange(4)))


# Headers libgit2 may read differently from the plain layout (the batched path leaves them to
# libgit2): an encoding, a signature, extra headers, odd or broken signatures.
ODD_HEADERS = [
    b"encoding ISO-8859-1\n",
    b"encoding no-such-codec\n",
    b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n",
    b"x-extra value\n",
]


def _odd_commit(rng: random.Random, parents: list[str], message: bytes) -> bytes:
    kind = rng.randrange(6)
    if kind < len(ODD_HEADERS):
        return _commit(parents, message, header=ODD_HEADERS[kind])
    if kind == 4:  # a broken committer
        return _commit(parents, message).replace(b"committer " + SIG, b"committer nobody")
    # upper-case ids, which libgit2 reads and prints in lower case
    return _commit([p.upper() for p in parents], message)


def _chain(repo: Path, rng: random.Random, length: int, *, odd: float = 0.08) -> list[str]:
    """A first-parent chain with merges (a second parent), odd commits and odd messages."""
    commits: list[str] = []
    side = _write(repo, _commit([], b"side\n"))
    messages = _messages(rng)
    for _ in range(length):
        parents = commits[-1:]
        if parents and rng.random() < 0.1:
            parents.append(side)
        message = next(messages)
        if rng.random() < odd:
            commits.append(_write(repo, _odd_commit(rng, parents, message)))
        else:
            commits.append(_write(repo, _commit(parents, message)))
    return commits


def batched(store: GitStore) -> Callable[[str | None], Iterator[ChainLink]]:
    """The batched walk from the first commit (a short chain is otherwise read directly), by
    a store of its own (a store lets git read its history once)."""
    return lambda tip: GitStore.open(store.git_dir).first_parent_chain_batched(tip, direct=0)


def _walk(walk: Callable[[str | None], Iterator[ChainLink]], tip: str | None) -> object:
    links: list[ChainLink] = []
    try:
        for link in walk(tip):
            links.append(link)
    except Exception as err:  # noqa: BLE001 - both walks must fail the same way, at the same link
        return links, type(err).__name__, str(err)
    return links, None


@pytest.mark.parametrize("seed", range(4))
def test_batched_chain_is_libgit2s_chain(repo_dir: Path, seed: int) -> None:
    run_git(repo_dir, "init", "-q")
    rng = random.Random(seed)
    commits = _chain(repo_dir, rng, 120)
    if seed % 2:
        run_git(repo_dir, "gc", "-q")  # packed (deltas) as well as loose
    store = GitStore.open(repo_dir)
    tips = [None, *rng.sample(commits, 12), commits[-1], commits[0]]
    for tip in tips:
        reference = _walk(store.first_parent_chain, tip)
        assert _walk(batched(store), tip) == reference, tip
        mixed = GitStore.open(repo_dir).first_parent_chain_batched(tip, direct=rng.randrange(5))
        assert _walk(lambda _tip, mixed=mixed: mixed, tip) == reference, tip


def test_missing_objects_and_non_commits_fail_as_libgit2_does(repo_dir: Path) -> None:
    run_git(repo_dir, "init", "-q")
    root = _write(repo_dir, _commit([], b"root\n"))
    dangling = _write(repo_dir, _commit(["1" * 40], b"parent missing\n"))
    on_blob = _write(repo_dir, _commit([EMPTY_TREE], b"parent is a tree\n"))
    top = _write(repo_dir, _commit([root], b"top\n"))
    blob = run_git(repo_dir, "hash-object", "-w", "--stdin", input=b"x").strip()
    store = GitStore.open(repo_dir)
    for tip in (dangling, on_blob, top, blob, "2" * 40, "abc"):
        assert _walk(batched(store), tip) == _walk(store.first_parent_chain, tip), tip
    assert _walk(batched(store), dangling)[-1] == "no such commit: " + "1" * 40


def test_replace_refs_and_grafts_do_not_change_the_chain(repo_dir: Path) -> None:
    """git would show a replacement or a graft; the chain is the objects' own (libgit2's)."""
    run_git(repo_dir, "init", "-q")
    commits = _chain(repo_dir, random.Random(7), 30, odd=0)
    store = GitStore.open(repo_dir)
    before = _walk(store.first_parent_chain, commits[-1])
    forged = _write(repo_dir, _commit([commits[5]], b"forged\n"))
    run_git(repo_dir, "replace", commits[20], forged)
    assert _walk(batched(store), commits[-1]) == before
    grafts = repo_dir / ".git" / "info" / "grafts"
    grafts.parent.mkdir(exist_ok=True)
    grafts.write_text(f"{commits[10]} {commits[2]}\n")
    fresh = GitStore.open(repo_dir)
    assert _walk(batched(fresh), commits[-1]) == _walk(fresh.first_parent_chain, commits[-1])


def test_a_walk_stopped_early_leaves_no_process(repo_dir: Path) -> None:
    run_git(repo_dir, "init", "-q")
    commits = _chain(repo_dir, random.Random(3), 50, odd=0)
    store = GitStore.open(repo_dir)
    walk = store.first_parent_chain_batched(commits[-1], direct=0)
    assert next(walk).oid == commits[-1]
    walk.close()  # the finally kills and reaps both git processes
    assert [link.oid for link in batched(store)(commits[-1])][-1] == commits[0]


@pytest.mark.parametrize(
    "signature",
    [
        b"A <a@b> 1 +9999",  # libgit2 reads odd offsets
        b"A <a@b> 1 +12345",
        b"A <a@b> 99999999999999999999 +0000",  # libgit2 refuses the timestamp
        b"A a@b 1 +0000",  # and a signature without <>
        b"<a@b> 1 +0000",
        b"A <> 1 +0000",
        b"A <a@b>",
        b"A <a@b> 1 +0100",
    ],
)
def test_odd_signatures_are_read_as_libgit2_reads_them(repo_dir: Path, signature: bytes) -> None:
    run_git(repo_dir, "init", "-q")
    root = _write(repo_dir, _commit([], b"root\n"))
    odd = _write(
        repo_dir, _commit([root], b"odd\n").replace(b"author " + SIG, b"author " + signature)
    )
    top = _write(repo_dir, _commit([odd], b"top\n"))
    store = GitStore.open(repo_dir)
    assert _walk(batched(store), top) == _walk(store.first_parent_chain, top)


def test_commits_read_later_are_the_commits_read_now(repo_dir: Path) -> None:
    run_git(repo_dir, "init", "-q")
    rng = random.Random(11)
    commits = _chain(repo_dir, rng, 60)
    blob = run_git(repo_dir, "hash-object", "-w", "--stdin", input=b"x").strip()
    store = GitStore.open(repo_dir)
    names = [
        *commits,
        blob,
        EMPTY_TREE,
        "0" * 40,
        commits[3][:12],
        commits[4].upper(),
        "HEAD",
        f"{commits[5]}\n{commits[6]}",
        "",
    ]
    for _ in range(6):
        asked = rng.sample(names, rng.randrange(len(names))) * rng.choice([1, 2])
        expected = _read(partial(store.read_commit_links, asked))
        for direct in (0, 10**6):
            later = GitStore.open(repo_dir).read_commit_links_later(asked, direct=direct)
            assert _read(later) == expected


def _read(read: Callable[[], dict[str, ChainLink]]) -> object:
    try:
        return list(read().items())
    except Exception as err:  # noqa: BLE001 - both reads must fail the same way
        return type(err).__name__, str(err)


def test_git_reads_a_stores_history_once(repo_dir: Path) -> None:
    """The second walk of a store is libgit2's (its cache is warm by then): same links."""
    run_git(repo_dir, "init", "-q")
    commits = _chain(repo_dir, random.Random(5), 40, odd=0)
    store = GitStore.open(repo_dir)
    walks = [_walk(lambda t: store.first_parent_chain_batched(t, direct=0), commits[-1])]
    walks.append(_walk(lambda t: store.first_parent_chain_batched(t, direct=0), commits[-1]))
    assert walks[0] == walks[1] == _walk(store.first_parent_chain, commits[-1])
    assert store._read_by_git == {"chain"}


def test_answers_cut_short_are_left_to_libgit2(repo_dir: Path) -> None:
    """git stopping mid-object (killed, out of memory) must not yield a truncated message."""
    from gitgate.store.gitstore import _batch_commits

    run_git(repo_dir, "init", "-q")
    commits = _chain(repo_dir, random.Random(9), 12, odd=0)
    answer = run_git_raw(repo_dir, "cat-file", "--batch", input="\n".join(commits) + "\n").stdout
    whole = _batch_commits(answer, commits)
    assert whole and set(whole) <= set(commits)  # odd messages are left to libgit2
    for cut in range(0, len(answer), 37):
        partial_read = _batch_commits(answer[:cut], commits)
        assert all(whole[oid] == link for oid, link in partial_read.items())
