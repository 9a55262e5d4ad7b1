"""Constructs bashlex cannot parse, reshaped into ones it can that read and run the same.

bashlex knows neither ``[[ … ]]`` nor ``case … esac``; without this module every command
holding one is ``approve`` ("could not parse"). For judging, what matters is what a
construct runs and reads, not what it computes, so:

* ``[[ A && ( B || ! C ) ]]`` becomes ``[ A -a '(' B -o ! C ')' ]``: the same words, whose
  command and process substitutions run alike. A pattern (``== *.py``) or a regular
  expression (``=~ ^(a|b)$``) becomes one quoted word: ``[[`` neither splits nor globs it.
  ``[[``'s ``-eq``/``-lt``/… evaluate their operands as arithmetic, where ``a[$(cmd)]`` runs
  ``cmd`` (``[`` only reads integers), so a computed operand there is left unparsed
  (``approve``).
* ``case W in P1|P2) B1 ;; P3) B2 ;; esac`` becomes ``{ true W P1 P2 P3; B1; B2; }``: the
  subject and every pattern are expanded (their substitutions run), and any arm may run.

Only the top level is reshaped; a construct inside a substitution, a here-document, an
extended glob or an array, or anything this scanner does not follow, leaves the text as it
was (None). Pure: no git, no parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words after which a new command starts (besides operators).
_COMMAND_KEYWORDS = frozenset(
    ["then", "do", "else", "elif", "if", "while", "until", "!", "{", "time"]
)
_OPERATORS = (";;&", ";;", ";&", "&&", "||", "|&", ">>", "<<<", "<&", ">&", "&>", ";", "&", "|")
_ARITHMETIC = frozenset(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"])
_GLOB_CHARS = frozenset("*?[")
_NUMBER = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|\d+(?:#[0-9A-Za-z@_]+)?)")
_PLAIN = re.compile(r"[^'\"`$\\\s]+")
_MAX_TOKENS = 4000


class _GiveUp(Exception):
    """The text holds something this scanner does not follow: leave it as it was."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word", "op" (an operator), "newline", "comment"
    start: int
    end: int
    text: str


def reshape(text: str) -> str | None:
    """``text`` with its top-level ``[[ ]]`` and ``case`` reshaped, or None when it holds
    neither or cannot be reshaped safely."""
    if "[[" not in text and "case" not in text:
        return None
    try:
        tokens = _tokens(text)
        out = _rewrite(text, tokens)
    except _GiveUp:
        return None
    return out if out != text else None


# -- scanning -----------------------------------------------------------------------------


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    at = 0
    inside = False  # between `[[` and `]]`: where `=~` is followed by an expression
    while at < len(text):
        if len(tokens) > _MAX_TOKENS:
            raise _GiveUp
        char = text[at]
        if char in " \t":
            at += 1
        elif char == "\n":
            tokens.append(_Token("newline", at, at + 1, "\n"))
            at += 1
        elif tokens and tokens[-1].kind == "word" and tokens[-1].text == "=~" and inside:
            end = _regex_end(text, at)  # ^(a|b)$: parentheses and bars are the expression's
            tokens.append(_Token("regex", at, end, text[at:end]))
            at = end
        elif char == "#" and (at == 0 or text[at - 1] in " \t\n;&|()"):
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            tokens.append(_Token("comment", at, end, text[at:end]))
            at = end
        elif text.startswith("<<", at) and not text.startswith("<<<", at):
            raise _GiveUp  # a here-document: its body is not shell syntax
        elif char in "()":
            tokens.append(_Token("op", at, at + 1, char))
            at += 1
        elif char in ";&|<>":
            op = next((o for o in _OPERATORS if text.startswith(o, at)), char)
            tokens.append(_Token("op", at, at + len(op), op))
            at += len(op)
        else:
            end = _word_end(text, at)
            tokens.append(_Token("word", at, end, text[at:end]))
            inside = (inside or text[at:end] == "[[") and text[at:end] != "]]"
            at = end
    return tokens


def _word_end(text: str, at: int) -> int:
    """Where the word starting at ``at`` ends (quotes and substitutions followed)."""
    while at < len(text):
        char = text[at]
        if char in " \t\n;&|<>)":
            return at
        if char == "(":
            raise _GiveUp  # an array (a=(…)), an extended glob (!(x)), a function (f())
        if char == "\\":
            if text.startswith("\\\n", at):
                raise _GiveUp
            at += 2
        elif char == "'":
            at = _closing(text, at + 1, "'")
        elif char == '"':
            at = _double_quoted_end(text, at + 1)
        elif char == "`":
            at = _backtick_end(text, at + 1)
        elif text.startswith("$(", at) or text.startswith("${", at):
            at = _nested_end(text, at + 2, ")" if text[at + 1] == "(" else "}")
        elif text.startswith("$'", at):
            at = _ansi_c_end(text, at + 2)
        else:
            at += 1
    return at


def _closing(text: str, at: int, quote: str) -> int:
    end = text.find(quote, at)
    if end < 0:
        raise _GiveUp
    return end + 1


def _ansi_c_end(text: str, at: int) -> int:
    return _unescaped_end(text, at, "'")


def _double_quoted_end(text: str, at: int) -> int:
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
        elif char == '"':
            return at + 1
        elif char == "`":
            at = _backtick_end(text, at + 1)
        elif text.startswith("$(", at) or text.startswith("${", at):
            at = _nested_end(text, at + 2, ")" if text[at + 1] == "(" else "}")
        else:
            at += 1
    raise _GiveUp


def _backtick_end(text: str, at: int) -> int:
    return _unescaped_end(text, at, "`")


def _unescaped_end(text: str, at: int, closer: str) -> int:
    """Just past the first ``closer`` from ``at`` that no backslash escapes."""
    while at < len(text):
        if text[at] == "\\":
            at += 2
        elif text[at] == closer:
            return at + 1
        else:
            at += 1
    raise _GiveUp


def _nested_end(text: str, at: int, closer: str) -> int:
    """The end of ``$(…)``/``${…}`` opened just before ``at``; nesting and quotes followed."""
    depth = 1
    opener = "(" if closer == ")" else "{"
    start = at
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
            continue
        if char == "'" and closer == ")":
            at = _closing(text, at + 1, "'")
            continue
        if char == '"':
            at = _double_quoted_end(text, at + 1)
            continue
        if char == "`":
            at = _backtick_end(text, at + 1)
            continue
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                if re.search(r"\b(?:case|esac)\b|<<(?!<)", text[start:at]):
                    raise _GiveUp  # a case arm's `)` or a here-document: not followed
                return at + 1
        at += 1
    raise _GiveUp


# -- rewriting ----------------------------------------------------------------------------


def _at_command_start(tokens: list[_Token], index: int) -> bool:
    if index == 0:
        return True
    before = tokens[index - 1]
    if before.kind in ("newline", "comment"):
        return True
    if before.kind == "op":
        return before.text not in ("<", ">", ">>", "<<<", "<&", ">&", "&>", ")")
    return before.text in _COMMAND_KEYWORDS and _at_command_start(tokens, index - 1)


def _rewrite(text: str, tokens: list[_Token]) -> str:
    pieces: list[str] = []
    done = 0  # text[:done] is already in pieces
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if (
            token.kind == "word"
            and token.text in ("[[", "case")
            and _at_command_start(tokens, index)
        ):
            if token.text == "[[":
                replacement, index_after, end = _double_bracket(text, tokens, index)
            else:
                replacement, index_after, end = _case(text, tokens, index)
            pieces.append(text[done : token.start])
            pieces.append(replacement)
            done = end
            index = index_after
            continue
        if (
            token.kind == "word"
            and token.text in ("]]", "esac")
            and _at_command_start(tokens, index)
        ):
            raise _GiveUp  # not where this scanner expects it
        index += 1
    pieces.append(text[done:])
    return "".join(pieces)


def _double_bracket(text: str, tokens: list[_Token], first: int) -> tuple[str, int, int]:
    """``[[ … ]]`` from ``tokens[first]``: (its ``[ … ]`` form, next token index, text end)."""
    words: list[str] = []
    index = first + 1
    arithmetic = computed = False
    while True:
        if index >= len(tokens):
            raise _GiveUp
        token = tokens[index]
        if token.kind == "word" and token.text == "]]":
            break
        if token.kind in ("newline", "comment"):
            raise _GiveUp
        if token.kind == "op":
            words.append(_condition_operator(token.text))
        elif token.kind == "regex":
            words.append(f"'{token.text}'")  # no quote inside: _regex_end gave up on one
        else:
            arithmetic = arithmetic or token.text in _ARITHMETIC
            computed = computed or not (_NUMBER.fullmatch(token.text) or token.text[0] in "-!")
            words.append(_pattern_word(token.text))
        index += 1
    if arithmetic and computed:
        # [[ $x -eq 1 ]], even [[ x -eq 1 ]]: the operands are arithmetic, so a variable's
        # value is evaluated, and a[$(cmd)] in it runs cmd; only numbers are left alone
        raise _GiveUp
    if not words:
        raise _GiveUp
    return "[ " + " ".join(words) + " ]", index + 1, tokens[index].end


def _condition_operator(op: str) -> str:
    mapped = {"&&": "-a", "||": "-o", "(": "'('", ")": "')'", "<": "'<'", ">": "'>'"}
    if op not in mapped:
        raise _GiveUp
    return mapped[op]


def _pattern_word(word: str) -> str:
    """A word of ``[[``: never globbed there, so a plain pattern is quoted for ``[``."""
    if _GLOB_CHARS & set(word) and _PLAIN.fullmatch(word):
        return f"'{word}'"
    return word


def _regex_end(text: str, at: int) -> int:
    """Where the regular expression after ``=~`` starting at ``at`` ends: bash reads it up
    to a blank outside parentheses."""
    depth = 0
    while at < len(text):
        char = text[at]
        if char in "'\"`":
            raise _GiveUp  # quoted parts are literal in a bash regex: not followed
        if char == "$" and at + 1 < len(text) and (text[at + 1].isalnum() or text[at + 1] in "{(_"):
            raise _GiveUp  # a variable or a substitution inside the expression
        if char == "\\":
            at += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise _GiveUp
        elif depth == 0 and char in " \t\n":
            break
        at += 1
    if depth != 0:
        raise _GiveUp
    return at


def _case(text: str, tokens: list[_Token], first: int) -> tuple[str, int, int]:
    """``case … esac`` from ``tokens[first]``: (``{ true W P…; B1; B2; }``, next index, end)."""
    index = first + 1
    subject: list[str] = []
    while index < len(tokens) and not (tokens[index].kind == "word" and tokens[index].text == "in"):
        if tokens[index].kind != "word":
            raise _GiveUp
        subject.append(tokens[index].text)
        index += 1
    if len(subject) != 1 or index >= len(tokens):
        raise _GiveUp
    index += 1
    patterns: list[str] = []
    bodies: list[str] = []
    while True:
        index = _skip_blank(tokens, index)
        if index >= len(tokens):
            raise _GiveUp
        token = tokens[index]
        if token.kind == "word" and token.text == "esac":
            break
        index, arm_patterns = _case_patterns(tokens, index)
        patterns.extend(arm_patterns)
        index, body = _case_body(text, tokens, index)
        body = re.sub(r"(?<!\\);\s*$", "", body.strip()).strip()
        if body:
            bodies.append(body)
    words = ["true", subject[0], *(_pattern_word(p) for p in patterns)]
    shaped = "{ " + "; ".join([" ".join(words), *bodies]) + "; }"
    return shaped, index + 1, tokens[index].end


def _skip_blank(tokens: list[_Token], index: int) -> int:
    while index < len(tokens) and tokens[index].kind in ("newline", "comment"):
        index += 1
    return index


def _case_patterns(tokens: list[_Token], index: int) -> tuple[int, list[str]]:
    """The patterns of one arm (``(P1 | P2)``), and the index after its ``)``."""
    if tokens[index].kind == "op" and tokens[index].text == "(":
        index += 1
    patterns: list[str] = []
    expect_word = True
    while index < len(tokens):
        token = tokens[index]
        if expect_word and token.kind == "word" and token.text not in ("esac", "in"):
            patterns.append(token.text)
            expect_word = False
        elif not expect_word and token.kind == "op" and token.text == "|":
            expect_word = True
        elif not expect_word and token.kind == "op" and token.text == ")":
            return index + 1, patterns
        else:
            raise _GiveUp
        index += 1
    raise _GiveUp


def _case_body(text: str, tokens: list[_Token], index: int) -> tuple[int, str]:
    """The body of one arm, up to ``;;``/``;&``/``;;&`` or ``esac``; the index after it."""
    start = tokens[index].start if index < len(tokens) else len(text)
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "op" and token.text in (";;", ";&", ";;&"):
            return index + 1, text[start : token.start]
        if token.kind == "word" and token.text == "esac" and _at_command_start(tokens, index):
            return index, text[start : token.start]
        if token.kind == "word" and token.text in ("case", "[[", "]]", "esac"):
            raise _GiveUp  # nested: not followed
        if token.kind == "comment":
            raise _GiveUp  # a comment would swallow the rest of the reshaped line
        index += 1
    raise _GiveUp
