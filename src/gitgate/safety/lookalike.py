"""Look-alike characters: text a reviewer reads as one command while the shell runs another.

A command holding non-ASCII punctuation, spaces, invisible characters, or letters that
imitate Latin ones (Cyrillic ``с``, fullwidth ``ｒｍ``) is never ``allow``. It is also read
the way a person would, with every look-alike folded to its ASCII twin; if that reading is
denied, so is the command (``git status；rm -rf /`` with a fullwidth semicolon).
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Punctuation people read as ASCII punctuation (NFKC leaves most of these alone).
_FOLD = {
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2043", "-"),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02b9\uff07", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u02ba\uff02", '"'),
    **dict.fromkeys("\u037e\uff1b\ufe54", ";"),
    **dict.fromkeys("\u2215\u2044\u29f8\uff0f\u2571", "/"),
    **dict.fromkeys("\u29f5\u29f9\ufe68\uff3c", "\\"),
    **dict.fromkeys("\u2024\u2027\u00b7\u0387\ufe52\uff0e\u3002", "."),
    **dict.fromkeys("\u01c0\u2223\u23b8\u2502\uff5c\u05c0", "|"),
    **dict.fromkeys("\u0589\u2236\ua789\ufe55\uff1a", ":"),
    **dict.fromkeys("\uff06\ufe60", "&"),
    **dict.fromkeys("\u2039\uff1c\u276e", "<"),
    **dict.fromkeys("\u203a\uff1e\u276f", ">"),
    **dict.fromkeys("\uff04\ufe69", "$"),
    **dict.fromkeys("\u02cb\u1fef\uff40", "`"),
    **dict.fromkeys("\u2217\u204e\uff0a", "*"),
    **dict.fromkeys("\u02dc\u2053\uff5e", "~"),
    # Letters from other scripts that look Latin.
    **dict.fromkeys("\u0430\u03b1", "a"),
    **dict.fromkeys("\u0435\u0454", "e"),
    **dict.fromkeys("\u043e\u03bf\u0585", "o"),
    **dict.fromkeys("\u0440\u03c1", "p"),
    **dict.fromkeys("\u0441\u03f2", "c"),
    **dict.fromkeys("\u0445\u03c7", "x"),
    **dict.fromkeys("\u0443\u03b3", "y"),
    **dict.fromkeys("\u0455", "s"),
    **dict.fromkeys("\u0456\u03b9\u0131", "i"),
    **dict.fromkeys("\u0458", "j"),
    **dict.fromkeys("\u0501", "d"),
    **dict.fromkeys("\u0261", "g"),
    **dict.fromkeys("\u043c", "m"),
    **dict.fromkeys("\u043d", "h"),
    **dict.fromkeys("\u0442", "t"),
    **dict.fromkeys("\u0432", "b"),
    **dict.fromkeys("\u04bb", "h"),
    **dict.fromkeys("\u03bd", "v"),
    **dict.fromkeys("\u03c4", "t"),
    **dict.fromkeys("\u03ba", "k"),
    # Cyrillic palochka (small and capital) and more Cyrillic, Greek and Armenian twins: all of
    # scripts lookalike_problem already flags, so only the reading of such text changes.
    **dict.fromkeys("\u04cf\u04c0", "l"),
    **dict.fromkeys("\u04af", "y"),
    **dict.fromkeys("\u051b\u0566", "q"),
    **dict.fromkeys("\u051d", "w"),
    **dict.fromkeys("\u0475", "v"),
    **dict.fromkeys("\u057d", "u"),
    **dict.fromkeys("\u0570", "h"),
    **dict.fromkeys("\u0578", "n"),
    **dict.fromkeys("\u0410\u0391", "A"),
    **dict.fromkeys("\u0415\u0395", "E"),
    **dict.fromkeys("\u041e\u039f", "O"),
    **dict.fromkeys("\u0420\u03a1", "P"),
    **dict.fromkeys("\u0421", "C"),
    **dict.fromkeys("\u0422\u03a4", "T"),
    **dict.fromkeys("\u041c\u039c", "M"),
    **dict.fromkeys("\u041d\u0397", "H"),
    **dict.fromkeys("\u041a\u039a", "K"),
    **dict.fromkeys("\u0425\u03a7", "X"),
    **dict.fromkeys("\u0406\u0399", "I"),
    **dict.fromkeys("\u0408", "J"),
    **dict.fromkeys("\u0405", "S"),
    **dict.fromkeys("\u0392", "B"),
    **dict.fromkeys("\u0396", "Z"),
    **dict.fromkeys("\u039d", "N"),
    **dict.fromkeys("\u03a5\u04ae", "Y"),
}
# Latin letters NFKC leaves alone that people still read as one ASCII letter, found by their
# Unicode names: small capitals ("\u0262\u026a\u1d1b" is ".git" to a reader), dotless and
# script forms, and letters with a hook, bar or stroke ("\u0260", "\u0288"). Letters whose
# marks decompose ("\u0130" is "I" with a dot above) are read through NFKD instead.
_LATIN_TWIN = re.compile(
    r"LATIN (CAPITAL |SMALL )?LETTER (?:SMALL CAPITAL |DOTLESS |SCRIPT )?([A-Z])(?: WITH .+)?"
)
# Scripts whose letters imitate Latin ones.
_LOOKALIKE_SCRIPTS: tuple[str, ...] = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC")
_LOOKALIKE_SCRIPTS += ("FULLWIDTH", "HALFWIDTH", "MATHEMATICAL", "MODIFIER LETTER")
_LOOKALIKE_SCRIPTS += ("LATIN LETTER SMALL",)


def lookalike_problem(text: str) -> str | None:
    """Why ``text`` may read differently than it runs, or None (plain ASCII, or accented
    letters, digits and marks only)."""
    if text.isascii():
        return None
    for char in text:
        if char.isascii():
            continue
        category = unicodedata.category(char)
        name = unicodedata.name(char, "")
        code = f"U+{ord(char):04X}"
        if category[0] in "PSZC":
            return f"non-ASCII punctuation, space or invisible character {code} ({name or '?'})"
        if name.startswith(_LOOKALIKE_SCRIPTS) or char in _FOLD:
            return f"look-alike letter {code} ({name or '?'})"
        if unicodedata.normalize("NFKC", char) != char:
            return f"compatibility character {code} ({name or '?'})"
    return None


def fold(text: str) -> str:
    """``text`` as a person reads it: look-alikes replaced by ASCII, invisible ones removed.

    Beyond the table above, a letter reads as its compatibility form (fullwidth, mathematical
    letters), as its base letter without marks (``\u0130`` is ``I``, ``\u00e9`` is ``e``), or as
    the ASCII letter its name says it is a variant of (small capital ``\u0262`` is ``g``); a
    combining mark on its own (an NFD spelling's accent) is read as nothing. Only the reading
    changes: whether the text holds look-alikes at all is :func:`lookalike_problem`'s call.
    """
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
            continue
        if char in _FOLD:
            out.append(_FOLD[char])
            continue
        category = unicodedata.category(char)
        if category == "Cf":
            continue  # zero-width and direction marks: invisible
        if category[0] == "Z":
            out.append(" ")
            continue
        if unicodedata.combining(char):
            continue  # drawn on the letter before it, which is what people read
        twin = _ascii_twin(char)
        out.append(char if twin is None else twin)
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _ascii_twin(char: str) -> str | None:
    """The ASCII text one non-ASCII character reads as, or None (it reads as itself)."""
    normal = unicodedata.normalize("NFKC", char)
    if normal.isascii():
        return normal
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if bare and bare.isascii():
        return bare
    named = _LATIN_TWIN.fullmatch(unicodedata.name(char, ""))
    if named is None:
        return None
    letter = named.group(2)
    # A small capital reads as the lower-case letter: commands and paths are spelt so.
    return letter if named.group(1) == "CAPITAL " else letter.lower()
