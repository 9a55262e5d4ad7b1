"""Is a ``perl -ne`` / ``-pe`` program a plain line filter? A conservative reading.

``perl -ne 'print if /TODO/' src/*.pl``, ``perl -pe 's/\\r$//' notes.txt``, ``perl -lne 'print
$1 if /version = "(.*)"/' Cargo.toml`` read lines and print some of them. A program is read as
such a filter only when every token is one of a few keywords, the line variables, a match, a
substitution without ``e``, a transliteration or a plain string; anything else (a call, a
file handle, backticks, code inside a regex: ``(?{ … })``, interpolated code: ``@{[ … ]}``)
needs a human, as any inline program does.
"""

from __future__ import annotations

import re

# Options that leave perl a line filter: -n/-p loops, -l line endings, -a/-F autosplit,
# -w warnings, -0 record separator. Not -i (edits files), -M/-m (loads a module), -I, -x, -d.
_FILTER_FLAGS = re.compile(r"-[nplawE0-9]*[ne]|-[nplaw0-9]+")
_WORDS = frozenset(
    ["print", "say", "if", "unless", "and", "or", "not", "next", "last", "chomp", "close"]
    + ["ARGV", "eof", "lc", "uc", "length", "defined", "split", "join", "printf", "STDOUT"]
)
_TOKEN = re.compile(
    r"""\s+
    |(?P<regex>(?:m|qr)?/(?:\\.|[^/\\])*/[msixgcn]*)
    |(?P<subst>(?:s|tr|y)/(?:\\.|[^/\\])*/(?:\\.|[^/\\])*/[msixgcnrd]*)
    |(?P<dquote>"(?:\\.|[^"\\$@]|\$(?:\d+|_|\.|ARGV|&)(?![\w{\[]))*")
    |(?P<squote>'(?:\\.|[^'\\])*')
    |(?P<var>\$(?:\d+|_|\.|&|ARGV)(?![\w{\[])|\$F\[-?\d+\]|@F(?![\w{\[]))
    |(?P<word>[A-Za-z_]\w*)
    |(?P<number>\d+)
    |(?P<op>==|!=|=~|!~|&&|\|\||[;,()<>!.])
    """,
    re.VERBOSE,
)
# Code a regex or a substitution could run: (?{ }), (??{ }), and the e flag.
_REGEX_CODE = re.compile(r"\(\?\??\{")
# A variable interpolated into a pattern or a replacement: `$x`, `${…}`, `@x` (`$` before
# `/`, `)` or `|` is an anchor, `$1` a capture).
_INTERPOLATED = re.compile(r"(?<!\\)(?:\$[A-Za-z_{:]|@[A-Za-z_{:$])")


def perl_filter(args: list[str]) -> bool:
    """Whether ``perl ARGS`` is ``perl [filter options] -e PROGRAM [files]`` and the program
    only filters lines (the files are judged apart, as reads)."""
    index = 0
    program: str | None = None
    flags = ""
    while index < len(args) and args[index].startswith("-"):
        flag = args[index]
        if flag.startswith("-F"):  # -F: or -F',' : a split pattern
            index += 1
            continue
        if not _FILTER_FLAGS.fullmatch(flag):
            return False
        flags += flag[1:]
        if flag.endswith(("e", "E")) and index + 1 < len(args):
            program = args[index + 1]
            index += 2
            break
        index += 1
    if program is None or not any(c in "np" for c in flags):
        return False  # without -n/-p the program runs once, a script rather than a filter
    files = args[index:]
    # perl's <> opens names with two-argument open: "| cmd" or "cmd |" runs cmd. Only names
    # that cannot start or end that way (inside a directory, no pipe) are read as files.
    if any("|" in name or name.startswith("-") or name.startswith(("<", ">")) for name in files):
        return False
    if any(any(c in name for c in "*?[") and "/" not in name for name in files):
        return False  # a bare glob could match a file named "| cmd"
    return _filter_program(program)


def _filter_program(program: str) -> bool:
    position = 0
    while position < len(program):
        match = _TOKEN.match(program, position)
        if match is None or match.end() == position:
            return False
        kind = match.lastgroup
        text = match.group(0)
        if kind in ("regex", "subst") and (_REGEX_CODE.search(text) or _INTERPOLATED.search(text)):
            return False  # (?{ code }), or $ENV{TOKEN} / @x interpolated into the pattern
        if kind == "subst" and re.search(r"/[a-z]*e[a-z]*$", text):
            return False  # s/…/…/e evaluates the replacement as code
        if kind == "word" and text not in _WORDS:
            return False
        position = match.end()
    return True
