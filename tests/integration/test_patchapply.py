"""The in-process patch applier must agree with git on every patch it accepts.

Differential test: random edits are committed with real git, `git diff --binary -M` gives the
patch, and the fast path's result must equal the commit's tree — or the fast path must decline
(then `git apply` does the work). It must also not decline the plain cases it exists for.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from tests.gitutil import commit, create_repo, run_git, run_git_raw

from gitgate.patchapply import apply_simple_patch
from gitgate.store.gitstore import GitStore, TreeEntry

WORDS = ["alpha", "beta", "gamma", "delta", "", "  indented", "tab\there", "ünïcödé", "x" * 80]


def _random_text(rng: random.Random, lines: int) -> str:
    body = [
        rng.choice(WORDS) + (str(rng.randint(0, 9)) if rng.random() < 0.5 else "")
        for _ in range(lines)
    ]
    eol = "\r\n" if rng.random() < 0.1 else "\n"
    text = eol.join(body)
    return text + (eol if rng.random() < 0.8 else "")


def _mutate(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        pos = rng.randint(0, len(lines))
        if op < 0.4:
            lines.insert(pos, rng.choice(WORDS) + "!")
        elif op < 0.7 and lines:
            del lines[min(pos, len(lines) - 1)]
        elif lines:
            lines[min(pos, len(lines) - 1)] += " changed"
    out = "\n".join(lines)
    if rng.random() < 0.15:
        out = out.rstrip("\n")
    return out


def _edits_for(rng: random.Random, files: dict[str, str]) -> dict[str, str | None]:
    change: dict[str, str | None] = {}
    for name, text in files.items():
        roll = rng.random()
        if roll < 0.6:
            change[name] = _mutate(rng, text)
        elif roll < 0.7:
            change[name] = None
    if rng.random() < 0.4:
        change[f"new/file{rng.randint(0, 999)}.txt"] = _random_text(rng, rng.randint(0, 8))
    if rng.random() < 0.1:
        change["empty.txt"] = ""
    return change


@pytest.mark.parametrize("seed", range(40))
def test_fast_path_agrees_with_git(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    repo = create_repo(tmp_path / "r", bare=True)
    files = {f"dir{i % 3}/f{i}.txt": _random_text(rng, rng.randint(1, 40)) for i in range(5)}
    before = commit(repo, files, "before")
    after = commit(repo, _edits_for(rng, files), "after")
    patch = run_git_raw(repo, "diff", "--binary", "-M", before, after).stdout
    if not patch:
        return
    store = GitStore.open(repo)
    base_tree = store.commit(before).tree

    def lookup(path: str) -> tuple[int, bytes] | None:
        entry = store.tree_entry(base_tree, path)
        if entry is None or entry.mode == 0o040000:
            return None  # the lookup gives files and symlinks only, as GitStore's does
        return entry.mode, store.read_blob(entry.oid)

    states = apply_simple_patch(patch, lookup)
    if states is None:
        return  # declined: git apply handles it (covered by the history replay test)
    edits = {p: TreeEntry(s[0], store.write_blob(s[1])) if s else None for p, s in states.items()}
    assert store.update_tree(base_tree, edits) == store.commit(after).tree


def test_fast_path_takes_the_plain_cases(tmp_path: Path) -> None:
    accepted = 0
    for seed in range(30):
        rng = random.Random(1000 + seed)
        repo = create_repo(tmp_path / f"r{seed}", bare=True)
        text = "\n".join(f"line {i}" for i in range(50)) + "\n"
        before = commit(repo, {"a.txt": text}, "before")
        after = commit(repo, {"a.txt": _mutate(rng, text) + "\n"}, "after")
        patch = run_git_raw(repo, "diff", "-M", before, after).stdout
        store = GitStore.open(repo)
        tree = store.commit(before).tree
        entry = store.tree_entry(tree, "a.txt")
        assert entry is not None
        data = store.read_blob(entry.oid)
        state = (entry.mode, data)
        if apply_simple_patch(patch, lambda p, st=state: st if p == "a.txt" else None):
            accepted += 1
    assert accepted >= 25


@pytest.mark.parametrize(
    "patch",
    [
        b"",
        b"garbage\n",
        b"diff --git a/x b/x\nGIT binary patch\nliteral 0\n",
        b'diff --git "a/\\303\\274" "b/\\303\\274"\n',
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-nope\n+yes\n",
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -5,2 +5,2 @@\n-a\n+b\n",
        b"diff --git a/x b/x\ncopy from x\ncopy to y\n",
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n"
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-new\n+newer\n",
        # a file below a file (or a symlink) that exists: git's section-order rules decide
        b"diff --git a/x/y b/x/y\nnew file mode 100644\n--- /dev/null\n+++ b/x/y\n"
        b"@@ -0,0 +1 @@\n+new\n",
        b"diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n"
        b"+x\n\\ No newline at end of file\n"
        b"diff --git a/l/y b/l/y\nnew file mode 100644\n--- /dev/null\n+++ b/l/y\n"
        b"@@ -0,0 +1 @@\n+new\n",
    ],
)
def test_fast_path_declines_what_it_does_not_know(patch: bytes) -> None:
    assert apply_simple_patch(patch, lambda p: (0o100644, b"old\n") if p == "x" else None) is None


def test_git_apply_still_handles_what_the_fast_path_declines(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "r", bare=True)
    base = commit(repo, {"a.txt": "".join(f"{i}\n" for i in range(30))}, "base")
    moved = commit(
        repo, {"a.txt": "".join(f"{i}\n" for i in range(30)).replace("20\n", "X\n")}, "x"
    )
    patch = run_git_raw(repo, "diff", base, moved).stdout
    # shift the file by three lines: the hunk no longer sits where it says (git uses an offset)
    shifted = commit(repo, {"a.txt": "p\nq\nr\n" + "".join(f"{i}\n" for i in range(30))}, "s")
    store = GitStore.open(repo)
    edits = store.apply_patch(store.commit(shifted).tree, patch)
    entry = edits["a.txt"]
    assert entry is not None
    assert b"X\n" in store.read_blob(entry.oid) and store.read_blob(entry.oid).startswith(b"p\n")
    assert run_git(repo, "cat-file", "-t", entry.oid).strip() == "blob"
