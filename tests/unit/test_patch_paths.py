"""patchapply.patch_paths / unquote_c_path: the names a patch's own headers give.

``git apply --numstat`` prints only the new name of a rename and libgit2 cannot parse every
patch git writes, so gitgate reads the headers itself, git's C-quoting included. Whatever it
cannot read it must not guess: None sends the patch to the whole-tree index.
"""

from __future__ import annotations

import pytest

from gitgate.patchapply import patch_paths, unquote_c_path


@pytest.mark.parametrize(
    ("quoted", "name"),
    [
        (b'"a\\tb"', "a\tb"),
        (b'"a\\"b\\\\c"', 'a"b\\c'),
        (b'"\\303\\274ber"', "über"),
        (b'"\\a\\b\\f\\n\\r\\v"', "\a\b\f\n\r\v"),
        (b'"with space"', "with space"),
        (b"plain name", "plain name"),
        ("ünï".encode(), "ünï"),
    ],
)
def test_unquote(quoted: bytes, name: str) -> None:
    assert unquote_c_path(quoted) == name


@pytest.mark.parametrize(
    "bad", [b'"open', b'"bad \\x escape"', b'"\\777"', b'"a"b', b'"\\3"', b'"\\377"', b"\xff"]
)
def test_unquote_refuses_malformed_names(bad: bytes) -> None:
    with pytest.raises(ValueError):
        unquote_c_path(bad)


RENAME_QUOTED = b"""diff --git "a/q\\"d.txt" "b/dir with space/\\303\\274.txt"
similarity index 90%
rename from "q\\"d.txt"
rename to "dir with space/\\303\\274.txt"
index 1111111..2222222 100644
--- "a/q\\"d.txt"
+++ "b/dir with space/\\303\\274.txt"
@@ -1 +1,2 @@
 one
+two
"""

COPY_UNQUOTED_SPACES = b"""diff --git a/x y b/z w
similarity index 100%
copy from x y
copy to z w
"""

MODE_ONLY_SPACES = b"""diff --git a/a b c b/a b c
old mode 100644
new mode 100755
"""

HUNK_LINES_LOOK_LIKE_HEADERS = b"""diff --git a/f b/f
index 1111111..2222222 100644
--- a/f
+++ b/f
@@ -1,2 +1,2 @@
--- a/not-a-name
+++ b/not-a-name-either
rename from nowhere
"""

BINARY_DELETE = b"""diff --git "a/bin\\303\\244r" "b/bin\\303\\244r"
deleted file mode 100644
index 1111111..0000000
GIT binary patch
literal 0
HcmV?d00001

literal 5
McmZQzWMX0f00GDW

"""

QUOTED_WITH_TAB = b"""diff --git "a/sp ace" "b/sp ace"
--- "a/sp ace"\t
+++ "b/sp ace"\t
@@ -1 +1 @@
-a
+b
"""

NEW_FILE_HALF_QUOTED = b"""diff --git a/plain "b/new \\"q\\""
new file mode 100644
"""


@pytest.mark.parametrize(
    ("patch", "names"),
    [
        (RENAME_QUOTED, ['q"d.txt', "dir with space/ü.txt"]),
        (COPY_UNQUOTED_SPACES, ["x y", "z w"]),
        (MODE_ONLY_SPACES, ["a b c"]),
        (HUNK_LINES_LOOK_LIKE_HEADERS, ["f"]),
        (BINARY_DELETE, ["binär"]),
        (QUOTED_WITH_TAB, ["sp ace"]),
        (NEW_FILE_HALF_QUOTED, ["plain", 'new "q"']),
        (b"From 123 Mon Sep 17 00:00:00 2001\nSubject: x\n---\n" + MODE_ONLY_SPACES, ["a b c"]),
    ],
    ids=[
        "rename-quoted",
        "copy-spaces",
        "mode-only",
        "hunk-lines",
        "binary",
        "tab",
        "half-quoted",
        "format-patch",
    ],
)
def test_patch_paths(patch: bytes, names: list[str]) -> None:
    assert patch_paths(patch) == names


@pytest.mark.parametrize(
    "patch",
    [
        b"",
        b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n",  # no git headers: the whole tree decides
        b'diff --git "a/x y/z" "b/x y/z\n--- "a/x y/z"\n',  # unterminated quote
        b"diff --git x/f y/f\n",  # not git's a/ b/ prefixes
        b'diff --git "a/f" "b/f"\n--- "a/f"junk\n',
        b"diff --git a/f b/f\nrename from \xff\n",
    ],
    ids=["empty", "plain-diff", "unterminated", "prefixes", "junk", "not-utf8"],
)
def test_unreadable_headers_give_none(patch: bytes) -> None:
    assert patch_paths(patch) is None
