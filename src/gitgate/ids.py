"""Proposal ids: short, unique, unmistakable for commit ids, safe inside ref names."""

from __future__ import annotations

import re

from gitgate.errors import GitgateError

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import NewType

    ProposalId = NewType("ProposalId", str)
else:  # what NewType gives at run time: the text itself
    ProposalId = str

# Crockford-style lowercase base32 without i, l, o, u: no hex look-alike confusion with shas
# is impossible to rule out entirely, but ids are 10 characters where shas are 40.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 10  # 50 bits: collisions across clones stay negligible at millions of proposals
MIN_PREFIX = 4

_ID_RE = re.compile(rf"[{ALPHABET}]{{{ID_LENGTH}}}")
_PREFIX_RE = re.compile(rf"[{ALPHABET}]{{{MIN_PREFIX},{ID_LENGTH}}}")


def new_id() -> ProposalId:
    """Return a fresh random proposal id."""
    import secrets  # here: the hook, which reads ids and never makes one, skips the import

    return ProposalId("".join(secrets.choice(ALPHABET) for _ in range(ID_LENGTH)))


def is_valid_id(text: str) -> bool:
    """Tell whether ``text`` is a complete, well-formed proposal id."""
    return _ID_RE.fullmatch(text) is not None


def parse_prefix(text: str) -> str:
    """Validate a user-typed id or id prefix, returning it normalised to lower case.

    Raises:
        GitgateError: when the text cannot be a proposal id prefix.
    """
    cleaned = text.strip().lower()
    if not _PREFIX_RE.fullmatch(cleaned):
        raise GitgateError(
            f"not a proposal id: {text!r}",
            hint=f"ids are {ID_LENGTH} characters of [{ALPHABET}]; "
            f"give at least {MIN_PREFIX} of them (see `gitgate list`)",
        )
    return cleaned
