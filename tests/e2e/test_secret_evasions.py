"""Push protection against the secret-scanning evasions of issue 10, through the real hook.

Each case pushes a raw commit straight to a pending branch (no gitgate client involved) and
insists the server refuses it: a secret after a NUL byte, in UTF-16 text, in a file larger than
any scan window, and a compressed container that cannot be scanned.
"""

from __future__ import annotations

import gzip
import zlib

import pytest

from conftest import World
from gitgate.store.gitstore import MODE_BLOB, TreeEntry
from gitgate.workflow import Gate
from gitutil import run_git

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _github_token(body: str) -> str:
    n, check = zlib.crc32(body.encode()), ""
    while n:
        n, r = divmod(n, 62)
        check = _BASE62[r] + check
    return "ghp_" + body + check.rjust(6, "0")


LINE = f"GITHUB_TOKEN={_github_token('Qx7Lm2Vb9Rt4Wz8Kp3Hn6Dj1Fs5Gc0')}\n"


def _commit(world: World, files: dict[str, bytes]) -> str:
    clone = world.clone("mallory")
    parent = run_git(clone, "rev-parse", "main").strip()
    store = Gate(clone).store
    edits = {p: TreeEntry(MODE_BLOB, store.write_blob(data)) for p, data in files.items()}
    tree = store.update_tree(store.commit(parent).tree, edits)
    return run_git(clone, "commit-tree", tree, "-p", parent, "-m", "sneaky").strip()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "after-nul.bin",
            b"\x00\x00\x01header\x00" + LINE.encode(),
            "after-nul.bin:1: github-token",
        ),
        ("utf16.ini", ("[auth]\n" + LINE).encode("utf-16"), "utf16.ini:2: github-token"),
        (
            "big.log",
            b"filler line of a large log file\n" * 400_000 + LINE.encode(),
            "big.log:400001: github-token",
        ),
        ("data.gz", gzip.compress(LINE.encode()), "data.gz: unscannable-compressed (gzip)"),
    ],
    ids=["nul", "utf16", "over-8MB", "gzip"],
)
def test_push_of_hidden_secret_is_refused(
    world: World, name: str, data: bytes, reason: str
) -> None:
    commit = _commit(world, {name: data})
    before = world.server_refs()
    pushed = world.push("mallory", f"{commit}:refs/heads/gitgate/pending/abcdefghjk")
    assert pushed.code != 0, pushed.stderr
    assert world.server_refs() == before
    assert any(reason in line for line in pushed.refused_lines), pushed.refused_lines
