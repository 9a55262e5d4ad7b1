"""The append-only audit log: building entries onto the chain, reading it, verifying it.

Each entry is a commit with the empty tree whose message is the encoded
:class:`~gitgate.journal.records.AuditEntry`, its parent the previous entry (like gittuf's
reference-state log). The chain lives at one ref that only ever fast-forwards; gitgate advances it
with compare-and-swap together with the refs the entry describes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from gitgate.journal.records import (
    AuditEntry,
    RecordError,
    decode_audit,
    encode_audit,
    positional_builder,
)
from gitgate.store.gitobjects import EMPTY_TREE, Identity

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from gitgate.store.gitobjects import RepoReader
    from gitgate.store.gitstore import GitStore


@dataclass(frozen=True, slots=True)
class LoggedEntry:
    """An audit entry together with the commit that holds it."""

    commit: str
    entry: AuditEntry


# check_chain builds one per entry of the journal (30,000 at 10,000 proposals): without the
# frozen dataclass's __init__ (see records.positional_builder)
_new_logged_entry = positional_builder(LoggedEntry, ("commit", "entry"))


def actor_identity(actor: str) -> Identity:
    """The commit identity gitgate uses for an actor (an e-mail, or any name)."""
    email = actor if "@" in actor else f"{actor}@gitgate.invalid"
    return Identity(name=actor, email=email)


def last_seq(store: RepoReader, tip: str | None) -> int:
    """The sequence number of the entry at ``tip`` (0 for an empty log).

    Raises:
        RecordError: when the tip is not a valid entry.
    """
    if tip is None:
        return 0
    return decode_audit(store.commit(tip).message).seq


def append_entries(
    store: GitStore, tip: str | None, entries: Sequence[AuditEntry], *, when: int
) -> str:
    """Write ``entries`` after ``tip``, numbering them on from it; return the new tip.

    The ``seq`` the caller put in each entry is replaced: only the chain decides numbering.
    """
    if not entries:
        raise ValueError("nothing to append")
    store.update_tree(None, {})  # make sure the empty tree object exists
    seq = last_seq(store, tip)
    current = tip
    for entry in entries:
        seq += 1
        numbered = replace(entry, seq=seq)
        parents = [current] if current else []
        current = store.create_commit(
            EMPTY_TREE, parents, encode_audit(numbered), actor_identity(entry.actor), when
        )
    assert current is not None
    return current


def iter_log(store: RepoReader, tip: str | None) -> Iterator[LoggedEntry]:
    """Yield the log newest first, following first parents; stops at malformed entries.

    Raises:
        RecordError: when an entry cannot be decoded (the caller decides what that means).
    """
    current = tip
    while current is not None:
        info = store.commit(current)
        yield LoggedEntry(commit=current, entry=decode_audit(info.message))
        current = info.parents[0] if info.parents else None


def read_log(store: RepoReader, tip: str | None) -> list[LoggedEntry]:
    """The whole log, oldest first."""
    entries = list(iter_log(store, tip))
    entries.reverse()
    return entries


def check_chain(store: RepoReader, tip: str | None) -> tuple[list[LoggedEntry], list[str]]:
    """Walk the chain and report structural problems (linearity, schema, numbering).

    Returns the entries that could be read (oldest first) and the problems found.
    """
    problems: list[str] = []
    entries: list[LoggedEntry] = []
    # Each entry's commit is read once, without its signatures, and decoded once: at 30,000
    # entries this walk is most of `audit verify`. git reads a long chain in a process of its
    # own, so inflating the commits runs beside the decoding here.
    append, build = entries.append, _new_logged_entry
    for link in store.first_parent_chain_batched(tip):
        current = link.oid
        if len(link.parents) > 1:
            problems.append(f"audit entry {current[:12]} has {len(link.parents)} parents")
        if link.tree != EMPTY_TREE:
            problems.append(f"audit entry {current[:12]} carries files (tree is not empty)")
        try:
            append(build(current, decode_audit(link.message)))
        except RecordError as err:
            problems.append(f"audit entry {current[:12]} is malformed: {err}")
    entries.reverse()
    for expected, logged in enumerate(entries, start=1):
        if logged.entry.seq != expected:
            problems.append(
                f"audit entry {logged.commit[:12]} has sequence {logged.entry.seq}, "
                f"expected {expected}"
            )
            break
    if entries and entries[0].entry.event != "init":
        problems.append("the audit log does not start with an init entry")
    return entries, problems
