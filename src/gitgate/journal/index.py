"""A local index of proposals, derived from the journal: id -> commit, entry, status.

Finding a proposal by id or prefix, checking that an id was never used, and listing by status
must not read every note (at 10,000 proposals that is seconds). The index is a cache: a file in
the git directory, rebuilt from the audit log whenever it cannot be trusted (missing, corrupt,
or built on a log that was since rewritten) and brought up to date by reading only the entries
added since it was written. It holds nothing the journal does not, so losing it loses nothing.
"""

from __future__ import annotations

import _thread  # its lock is threading.Lock; threading itself is ~1 ms of the hook's start
import contextlib
import os
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass

from gitgate.journal.audit import LoggedEntry
from gitgate.journal.records import STATUS_EVENTS, RecordError, decode_audit
from gitgate.journal.replay import PROPOSAL_EVENTS

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from gitgate.store.gitobjects import RepoReader

INDEX_FILE = "gitgate-index"
INDEX_VERSION = 2


@dataclass(frozen=True, slots=True)
class IndexRow:
    """What the index knows of one proposal."""

    id: str
    commit: str
    status: str
    created_at: str
    entries: tuple[str, ...]  # the audit commits about it, oldest first (`proposed` first)


class IndexRows(MutableMapping[str, IndexRow]):
    """The rows by id. Those read from the cache file stay text until one is asked for.

    Every hook run and every command loads the index, mostly to look up a few ids: building
    10,000 rows up front cost ~40 ms at 10,000 proposals, per process. A text line becomes a
    row on first access; new and changed rows are kept as rows.
    """

    __slots__ = ("_lines", "_rows")

    def __init__(self, lines: dict[str, str] | None = None) -> None:
        self._lines: dict[str, str] = lines or {}  # id -> its line in the cache file
        self._rows: dict[str, IndexRow] = {}

    def __getitem__(self, pid: str) -> IndexRow:
        row = self._rows.get(pid)
        if row is None:
            row = _parse_row(self._lines[pid])
            self._rows[pid] = row
        return row

    def __contains__(self, pid: object) -> bool:
        return pid in self._rows or pid in self._lines

    def __setitem__(self, pid: str, row: IndexRow) -> None:
        self._rows[pid] = row

    def __delitem__(self, pid: str) -> None:
        found = self._rows.pop(pid, None) is not None
        found = self._lines.pop(pid, None) is not None or found
        if not found:
            raise KeyError(pid)

    def __iter__(self) -> Iterator[str]:
        # list() copies in one step under the GIL: another thread may extend the rows
        yield from list(self._lines)
        yield from [pid for pid in list(self._rows) if pid not in self._lines]

    def __len__(self) -> int:
        return len(self._lines) + sum(1 for pid in list(self._rows) if pid not in self._lines)

    def file_lines(self) -> Iterator[str]:
        """Every row as a line of the cache file (rows never asked for are copied as read)."""
        for pid in self:
            row = self._rows.get(pid)
            yield _format_row(row) if row is not None else self._lines[pid]


def _parse_row(line: str) -> IndexRow:
    pid, commit, status, created, entries = line.split(" ")
    return IndexRow(pid, commit, status, created, tuple(entries.split(",")))


def _format_row(row: IndexRow) -> str:
    return f"{row.id} {row.commit} {row.status} {row.created_at} {','.join(row.entries)}"


class ProposalIndex:
    """The proposals of one journal, by id."""

    def __init__(self, rows: IndexRows, tip: str | None, unsaved: int = 0) -> None:
        """Wrap rows built from the journal up to ``tip`` (``unsaved``: entries read since
        the file on disk was written)."""
        self.rows = rows
        self.tip = tip
        self.unsaved = unsaved

    def matching(self, prefix: str) -> list[IndexRow]:
        """Rows whose id starts with ``prefix``."""
        if prefix in self.rows:
            return [self.rows[prefix]]
        return [self.rows[pid] for pid in self.rows if pid.startswith(prefix)]

    def with_status(self, status: str | None) -> list[IndexRow]:
        """Rows with ``status`` (every row for None), oldest first."""
        rows = [self.rows[pid] for pid in self.rows]
        rows = [r for r in rows if status in (None, r.status)]
        return sorted(rows, key=lambda r: (r.created_at, r.id))


# One index per repository per process: a command asks for it several times, and a
# long-running server (MCP, serve) for every call.
_MEMORY: dict[str, ProposalIndex] = {}
_LOCK = _thread.allocate_lock()  # serve and MCP answer from threads; the rows are extended in place
SAVE_EVERY = 64  # entries: the file is rewritten (O(proposals)) at most this often


def load_index(store: RepoReader, audit_ref: str) -> ProposalIndex:
    """The index at the audit log's current tip.

    Kept in memory per process and on disk, where it may lag the log by fewer than
    :data:`SAVE_EVERY` entries: bringing it up to date reads only the entries added since.
    """
    with _LOCK:
        return _load(store, audit_ref)


def _load(store: RepoReader, audit_ref: str) -> ProposalIndex:
    tip = store.resolve(audit_ref)
    path = os.path.join(store.git_dir, INDEX_FILE)  # no pathlib: the hook reads this
    key = str(path)
    cached = _MEMORY.get(key) or _read(path)
    if cached is not None and cached.tip == tip:
        _MEMORY[key] = cached
        return cached
    if cached is not None and cached.tip is not None and tip is not None:
        if store.is_ancestor(cached.tip, tip):
            index = _extend(store, cached, tip)
            _MEMORY[key] = index
            if index.unsaved >= SAVE_EVERY:
                _write(path, index)
            return index
    index = _extend(store, ProposalIndex(IndexRows(), None), tip)
    _write(path, index)
    _MEMORY[key] = index
    return index


def _extend(store: RepoReader, index: ProposalIndex, tip: str | None) -> ProposalIndex:
    new: list[LoggedEntry] = []
    current = tip
    while current is not None and current != index.tip:
        info = store.commit(current)
        try:
            new.append(LoggedEntry(current, decode_audit(info.message)))
        except RecordError:
            pass  # a malformed entry is audit verify's business; it indexes nothing
        current = info.parents[0] if info.parents else None
    # In place: the index is extended after every decision, and copying 10,000 rows each time
    # made an approval cost O(proposals). Readers ask load_index again rather than keep one.
    rows = index.rows
    for logged in reversed(new):
        entry = logged.entry
        pid = entry.proposal
        if not pid or entry.event not in PROPOSAL_EVENTS:
            continue
        if entry.event == "proposed" and pid not in rows:
            commit = entry.commits.get("proposal", "")
            rows[pid] = IndexRow(pid, commit, "pending", entry.time, (logged.commit,))
        elif pid in rows:
            row = rows[pid]
            status = STATUS_EVENTS.get(entry.event, row.status)
            entries = (*row.entries, logged.commit)
            rows[pid] = IndexRow(row.id, row.commit, status, row.created_at, entries)
    index.tip = tip
    index.unsaved += len(new)
    return index


def _read(path: str) -> ProposalIndex | None:
    """Load the cache: a header line, then one space-separated line per proposal."""
    try:
        with open(path, encoding="ascii") as file:
            lines = file.read().splitlines()
        magic, version, tip = lines[0].split(" ")
        if magic != "gitgate-index" or version != str(INDEX_VERSION):
            return None
        rows = lines[1:]
        # The same check as splitting each line into its five fields, without the rows.
        if any(line.count(" ") != 4 for line in rows):
            return None
        by_id = {line[: line.index(" ")]: line for line in rows}
        return ProposalIndex(IndexRows(by_id), None if tip == "-" else tip)
    except (OSError, ValueError, IndexError):
        return None


def _write(path: str, index: ProposalIndex) -> None:
    """Save the cache atomically; a read-only repository simply goes without it."""
    import tempfile  # here: most runs (every hook run) only read the cache

    index.unsaved = 0
    lines = [f"gitgate-index {INDEX_VERSION} {index.tip or '-'}"]
    lines += index.rows.file_lines()
    with contextlib.suppress(OSError, UnicodeError):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".gitgate-index.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write("\n".join(lines) + "\n")
            os.replace(tmp, path)
        except (OSError, UnicodeError):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
