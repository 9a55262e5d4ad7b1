"""gitgate.web.diffview: git diff text cut into escaped, highlighted file sections (pure)."""

from __future__ import annotations

import re

from gitgate.web import diffview
from gitgate.web.diffview import render_diff, unquote_path

PY_DIFF = (
    "diff --git a/src/app.py b/src/app.py\n"
    "index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644\n"
    "--- a/src/app.py\n"
    "+++ b/src/app.py\n"
    "@@ -1,3 +1,4 @@\n"
    " def main():\n"
    '-    return "<one>"\n'
    '+    """doc\n'
    '+    string"""\n'
    '+    return "<two>"\n'
    " # end\n"
    "\\ No newline at end of file\n"
)


def test_sections_lines_numbers_and_highlighting() -> None:
    [section] = render_diff(PY_DIFF)
    assert (section.path, section.old_path, section.change) == ("src/app.py", None, "modified")
    assert (section.added, section.removed, section.binary) == (3, 1, False)
    kinds = [(line.kind, line.old, line.new) for line in section.lines]
    assert kinds == [
        ("hunk", None, None),
        ("ctx", 1, 1),
        ("del", 2, None),
        ("add", None, 2),
        ("add", None, 3),
        ("add", None, 4),
        ("ctx", 3, 5),
        ("note", None, None),
    ]
    html = {(line.kind, line.new): line.html for line in section.lines}
    assert '<span class="k">def</span>' in html[("ctx", 1)]
    # the second line of a docstring is coloured as a string: each side is lexed whole
    assert html[("add", 3)].startswith('<span class="sd">')
    assert "&lt;two&gt;" in html[("add", 4)] and "<two>" not in html[("add", 4)]
    assert not section.collapsed and section.anchor == "file-1"


def test_everything_is_escaped_even_without_a_lexer() -> None:
    text = (
        "diff --git a/notes.unknownext b/notes.unknownext\n"
        "--- a/notes.unknownext\n+++ b/notes.unknownext\n"
        "@@ -1 +1 @@\n-<script>alert(1)</script>\n+<img src=x onerror=alert(1)>&amp;\n"
    )
    [section] = render_diff(text)
    rendered = "".join(line.html for line in section.lines)
    assert "<script>" not in rendered and "<img" not in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;amp;" in rendered


def test_renames_copies_modes_adds_deletes() -> None:
    text = (
        "diff --git a/old name.md b/new name.md\n"
        "similarity index 91%\nrename from old name.md\nrename to new name.md\n"
        "index 1111111..2222222 100644\n--- a/old name.md\n+++ b/new name.md\n"
        "@@ -1 +1 @@\n-a\n+b\n"
        "diff --git a/tool.sh b/tool.sh\nold mode 100644\nnew mode 100755\n"
        "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
        "index 1111111..2222222\n--- a/run.sh\n+++ b/run.sh\n@@ -1 +1 @@\n-x\n+y\n"
        "diff --git a/new.txt b/new.txt\nnew file mode 100755\nindex 0000000..1111111\n"
        "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hello\n"
        "diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\nindex 1111111..0000000\n"
        "--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
        "diff --git a/a.md b/c.md\nsimilarity index 100%\ncopy from a.md\ncopy to c.md\n"
    )
    renamed, mode_only, both, added, deleted, copied = render_diff(text)
    assert (renamed.path, renamed.old_path, renamed.change, renamed.similarity) == (
        "new name.md",
        "old name.md",
        "renamed",
        "91%",
    )
    assert (mode_only.change, mode_only.old_mode, mode_only.new_mode) == (
        "mode",
        "100644",
        "100755",
    )
    assert mode_only.lines == () and mode_only.collapsed
    assert (both.change, both.old_mode, both.new_mode, both.added) == (
        "modified",
        "100644",
        "100755",
        1,
    )
    assert (added.path, added.change, added.new_mode, added.old_path) == (
        "new.txt",
        "added",
        "100755",
        None,
    )
    assert (deleted.path, deleted.change, deleted.old_mode) == ("gone.txt", "deleted", "100644")
    assert (copied.path, copied.old_path, copied.change) == ("c.md", "a.md", "copied")


def test_quoted_paths() -> None:
    assert unquote_path('"caf\\303\\251 \\"x\\"\\t.txt"') == 'café "x"\t.txt'
    assert unquote_path("plain.txt") == "plain.txt"
    text = (
        'diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"\n'
        'new file mode 100644\n--- /dev/null\n+++ "b/caf\\303\\251.txt"\n@@ -0,0 +1 @@\n+x\n'
    )
    [section] = render_diff(text)
    assert section.path == "café.txt"


def test_binary_and_huge_are_placeholders() -> None:
    big = "".join(f"+line {n}\n" for n in range(diffview.HUGE_FILE_LINES + 1))
    text = (
        "diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..1111111\n"
        "Binary files /dev/null and b/logo.png differ\n"
        "diff --git a/big.txt b/big.txt\nnew file mode 100644\n--- /dev/null\n+++ b/big.txt\n"
        f"@@ -0,0 +1,{diffview.HUGE_FILE_LINES + 1} @@\n{big}"
        "diff --git a/small.txt b/small.txt\n--- a/small.txt\n+++ b/small.txt\n@@ -1 +1 @@\n-a\n+b\n"
    )
    binary, huge, small = render_diff(text)
    assert binary.binary and binary.placeholder and binary.placeholder.startswith("binary file")
    assert binary.lines == () and binary.collapsed and (binary.added, binary.removed) == (0, 0)
    assert huge.placeholder and huge.placeholder.startswith(
        f"large diff not shown ({diffview.HUGE_FILE_LINES + 2:,} lines"
    )
    assert huge.lines == () and huge.added == diffview.HUGE_FILE_LINES + 1
    assert small.placeholder is None and len(small.lines) == 3


def test_the_page_budget_stops_rendering() -> None:
    one = "diff --git a/f{n}.txt b/f{n}.txt\n--- a/f{n}.txt\n+++ b/f{n}.txt\n@@ -1 +1 @@\n-a\n+b\n"
    text = "".join(one.format(n=n) for n in range(5))
    sections = render_diff(text, budget=7)
    assert [len(s.lines) for s in sections] == [3, 3, 0, 0, 0]
    assert sections[2].placeholder and "already shows as many lines" in sections[2].placeholder


def test_long_lines_are_shown_plain() -> None:
    long_line = "x = " + "1" * diffview.LONG_LINE
    text = f"diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -0,0 +1 @@\n+{long_line}\n"
    [section] = render_diff(text)
    assert section.lines[1].html == long_line  # escaped text, no spans


def test_nothing_before_the_first_section_and_empty_input() -> None:
    assert render_diff("") == []
    assert render_diff("garbage\nmore\n") == []


def test_highlight_css_is_scoped() -> None:
    css = diffview.highlight_css(".code")
    rules = [r for r in re.findall(r"^([^{]+)\{", css, re.M) if r.strip()]
    assert rules and all(
        ".code" in r or r.strip().startswith(("pre", "td.linenos", "span.linenos")) for r in rules
    )
