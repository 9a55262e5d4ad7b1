"""The proposal index: a cache of the journal that rows are read from lazily.

The cache file's lines become rows only when asked for (every hook run loads the index to
look up a few ids). Whatever is read through the lazy rows must equal what a full parse of
the file, and a rebuild from the journal, give.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gitgate.journal import index as journal_index
from gitgate.journal.index import INDEX_FILE, IndexRow, IndexRows, load_index
from gitgate.store.gitstore import GitStore
from gitgate.workflow import Gate
from gitutil import AGENT, APPROVER, make_gated_repo

_ids = st.text(alphabet="abcdefgh", min_size=1, max_size=3)
_rows = st.builds(
    IndexRow,
    id=_ids,
    commit=st.just("c" * 40),
    status=st.sampled_from(["pending", "executed", "rejected"]),
    created_at=st.just("2026-11-30T00:00:00Z"),
    entries=st.lists(st.just("e" * 40), min_size=1, max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_rows, max_size=8),
    st.lists(st.tuples(st.sampled_from(["set", "del", "get"]), _ids, _rows), max_size=12),
)
def test_lazy_rows_behave_as_a_dict(on_file: list[IndexRow], ops: list[tuple]) -> None:
    lines = {row.id: journal_index._format_row(row) for row in on_file}
    lazy = IndexRows(dict(lines))
    plain = {row.id: row for row in on_file}
    for op, pid, row in ops:
        if op == "set":
            lazy[pid] = plain[pid] = row
        elif op == "del":
            assert (pid in plain) == (pid in lazy)
            if pid in plain:
                del plain[pid]
                del lazy[pid]
        else:
            assert lazy.get(pid) == plain.get(pid)
    assert list(lazy) == list(plain)
    assert len(lazy) == len(plain)
    assert dict(lazy.items()) == plain
    assert list(lazy.file_lines()) == [journal_index._format_row(r) for r in plain.values()]


def _rows_of(index: journal_index.ProposalIndex) -> dict[str, IndexRow]:
    return {pid: index.rows[pid] for pid in index.rows}


def test_the_cache_file_gives_the_rows_a_rebuild_gives(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo")
    gate = Gate(repo)
    ids = []
    for i in range(5):
        proposal = gate.propose_write(f"f{i}.txt", f"{i}\n", actor=AGENT)
        ids.append(proposal.id)
        if i % 2:
            gate.approve(proposal.id, actor=APPROVER)
    store = GitStore.open(repo)
    audit = gate.policy().refs.audit
    journal_index._MEMORY.clear()
    (store.git_dir / INDEX_FILE).unlink(missing_ok=True)
    rebuilt = _rows_of(load_index(store, audit))  # from the journal; writes the file
    assert sorted(rebuilt) == sorted(ids)
    assert {pid: row.status for pid, row in rebuilt.items()} == {
        pid: "executed" if i % 2 else "pending" for i, pid in enumerate(ids)
    }
    journal_index._MEMORY.clear()
    from_file = load_index(store, audit)
    assert from_file.rows._rows == {}  # nothing parsed before it is asked for
    assert ids[0] in from_file.rows and "zzzzzzzzzz" not in from_file.rows
    assert _rows_of(from_file) == rebuilt
    assert from_file.matching(ids[2][:6]) == [rebuilt[ids[2]]]
    pending = [rebuilt[pid] for pid in (ids[0], ids[2], ids[4])]
    assert from_file.with_status("pending") == sorted(pending, key=lambda r: (r.created_at, r.id))


def test_a_malformed_cache_line_makes_the_index_rebuild(tmp_path: Path) -> None:
    repo = make_gated_repo(tmp_path / "repo")
    gate = Gate(repo)
    proposal = gate.propose_write("f.txt", "x\n", actor=AGENT)
    store = GitStore.open(repo)
    audit = gate.policy().refs.audit
    path = store.git_dir / INDEX_FILE
    journal_index._MEMORY.clear()
    path.unlink(missing_ok=True)
    load_index(store, audit)  # rebuilt from the journal: writes the file
    head, line = path.read_text().splitlines()[:2]
    path.write_text(f"{head}\n{line} extra-field\n")  # six fields: not a row
    journal_index._MEMORY.clear()
    index = load_index(store, audit)
    assert _rows_of(index) == {proposal.id: index.rows[proposal.id]}
    assert index.rows[proposal.id].status == "pending"
    assert "extra-field" not in path.read_text()
