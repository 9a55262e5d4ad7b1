"""`audit verify`'s linear-time paths, each against the reference it replaces, on real
repositories: notes compared by blob id (byte for byte), the audit chain and merges read
without signatures, one first-parent walk per branch, and the fast note encoder."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitgate.journal.notebytes import note_bytes, value_text
from gitgate.journal.records import (
    MAX_RECORD_BYTES,
    Approval,
    ChangedFile,
    Proposal,
    StatusChange,
    encode_proposal,
)
from gitgate.journal.verify import _Lines, since_start
from gitgate.store.gitstore import MODE_EXEC, GitStore, Identity
from gitgate.workflow import Gate
from gitutil import AGENT, APPROVER, freeze_clock, gitgate_subprocess, make_gated_repo, rev_parse

NOTES = "refs/notes/gitgate"
WHO = Identity("t", "t@example.com")


@pytest.fixture(autouse=True)
def _frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_clock(monkeypatch)


@pytest.fixture
def gate(tmp_path: Path) -> Gate:
    """A gated repository with one executed and one pending proposal."""
    repo = make_gated_repo(tmp_path / "repo")
    gate = Gate(repo)
    done = gate.propose_write("a.txt", "a\n", actor=AGENT).id
    gate.approve(done, actor=APPROVER)
    gate.propose_write("b.txt", "b\n", actor=AGENT)
    assert gate.verify_audit().problems == ()
    return gate


def _pending(gate: Gate) -> Proposal:
    (proposal,) = gate.list(status="pending")
    return proposal


def _overwrite_note(gate: Gate, commit: str, data: bytes) -> None:
    tip = gate.store.resolve(NOTES)
    new = gate.store.write_notes(tip, {commit: data}, message="forged\n", who=WHO, when=1)
    gate.store.update_ref(NOTES, new, tip, reason="test")


# -- byte for byte ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reencode",
    [
        lambda obj: json.dumps(obj, sort_keys=True, indent=2) + "\n",  # other indentation
        lambda obj: json.dumps(obj, sort_keys=True, indent=1),  # no final newline
        lambda obj: json.dumps(dict(reversed(obj.items())), indent=1) + "\n",  # key order
        lambda obj: json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=False) + " \n",
    ],
    ids=["indent-2", "no-newline", "unsorted", "trailing-space"],
)
def test_a_note_with_equal_json_but_other_bytes_is_reported(gate: Gate, reencode: Any) -> None:
    waiting = _pending(gate)
    stored = gate.store.read_note(gate.store.resolve(NOTES), waiting.commit)
    assert stored is not None
    forged = reencode(json.loads(stored)).encode()
    assert forged != stored and json.loads(forged) == json.loads(stored)
    _overwrite_note(gate, waiting.commit, forged)
    assert gate.verify_audit().problems == (
        f"the note of {waiting.id} differs from the journal: "
        "same content in other bytes (not written by gitgate)",
    )


def test_a_forged_requester_is_reported(gate: Gate) -> None:
    waiting = _pending(gate)
    stored = gate.store.read_note(gate.store.resolve(NOTES), waiting.commit)
    assert stored is not None
    forged = stored.replace(AGENT.encode(), b"mallory@example.com")
    _overwrite_note(gate, waiting.commit, forged)
    assert gate.verify_audit().problems == (
        f"the note of {waiting.id} differs from the journal: rewritten, or left stale",
    )


def test_a_malformed_note_is_reported(gate: Gate) -> None:
    waiting = _pending(gate)
    _overwrite_note(gate, waiting.commit, b"{not json")
    (problem,) = gate.verify_audit().problems
    assert problem.startswith(f"the note of {waiting.id} differs from the journal: it is malformed")


def test_a_huge_note_is_reported_without_being_read(gate: Gate) -> None:
    waiting = _pending(gate)
    _overwrite_note(gate, waiting.commit, b" " * (MAX_RECORD_BYTES + 1))
    assert gate.verify_audit().problems == (
        f"the note of {waiting.id} differs from the journal: it is too large to be a note",
    )


def test_a_note_that_is_not_a_plain_file_is_reported(gate: Gate) -> None:
    """The right bytes under an executable mode: git shows it, gitgate never writes it."""
    waiting = _pending(gate)
    store = gate.store
    tip = store.resolve(NOTES)
    assert tip is not None
    blob = store.write_blob(encode_proposal(waiting))
    path = f"{waiting.commit[:2]}/{waiting.commit[2:]}"
    tree = store.update_tree(store.commit(tip).tree, {path: _entry(MODE_EXEC, blob)})
    store.update_ref(NOTES, store.create_commit(tree, [tip], "mode\n", WHO, 1), tip, reason="t")
    assert gate.verify_audit().problems == (
        f"the note of {waiting.id} differs from the journal: "
        "it is not a plain file in the notes tree (mode 100755)",
    )


def test_a_note_without_proposal_and_a_proposal_without_note(gate: Gate) -> None:
    waiting = _pending(gate)
    store = gate.store
    tip = store.resolve(NOTES)
    assert tip is not None
    stray = rev_parse(Path(str(store.workdir)), "main~1")
    path = f"{waiting.commit[:2]}/{waiting.commit[2:]}"
    tree = store.update_tree(store.commit(tip).tree, {path: None})
    moved = store.create_commit(tree, [tip], "drop\n", WHO, 1)
    store.update_ref(NOTES, moved, tip, reason="t")
    _overwrite_note(gate, stray, b"{}\n")
    assert set(gate.verify_audit().problems) == {
        f"the note on {stray[:12]} belongs to no proposal in the journal",
        f"proposal {waiting.id} has no note",
    }


def _entry(mode: int, oid: str) -> Any:
    from gitgate.store.gitstore import TreeEntry

    return TreeEntry(mode=mode, oid=oid)


# -- the read primitives against the readers they replace ------------------------------------


def test_note_blob_ids_list_what_iter_notes_reads(gate: Gate) -> None:
    """Flat, fanned-out and two-level notes, plus junk a notes tree may hold."""
    store = gate.store
    tip = store.resolve(NOTES)
    assert tip is not None
    base = store.commit(tip).tree
    flat, deep = "1" * 40, "2" * 40
    changes = {
        flat: _entry(0o100644, store.write_blob(b"flat\n")),
        f"{deep[:2]}/{deep[2:4]}/{deep[4:]}": _entry(0o100644, store.write_blob(b"deep\n")),
        "README": _entry(0o100644, store.write_blob(b"not a note\n")),
        "ab/short": _entry(0o100644, store.write_blob(b"not a note either\n")),
    }
    forged = store.create_commit(store.update_tree(base, changes), [tip], "junk\n", WHO, 1)
    listed = {(n.annotated, n.blob) for n in store.note_blob_ids(forged)}
    read = {(annotated, store.blob_id(data)) for annotated, data in store.iter_notes(forged)}
    assert listed == read
    assert {flat, deep} <= {annotated for annotated, _ in listed}
    assert len(listed) == 4  # two proposals' notes, plus the two planted here


def test_blob_id_is_the_id_git_gives(gate: Gate) -> None:
    rng = random.Random(7)
    for size in (0, 1, 100, 5000):
        data = bytes(rng.randrange(256) for _ in range(size))
        assert gate.store.blob_id(data) == gate.store.write_blob(data)


def test_first_parent_chain_reads_what_commit_reads(gate: Gate) -> None:
    store = gate.store
    tip = store.resolve("refs/gitgate/audit")
    links = list(store.first_parent_chain(tip))
    current, infos = tip, []
    while current is not None:
        info = store.commit(current)
        infos.append(info)
        current = info.parents[0] if info.parents else None
    assert [(x.oid, x.tree, x.parents, x.message) for x in links] == [
        (x.oid, x.tree, x.parents, x.message) for x in infos
    ]
    main = store.resolve("refs/heads/main")
    assert main is not None
    assert store.read_commit_links([main, "0" * 40, main[:7], "not hex", main.upper()]) == {
        main: links[0].__class__(main, *_shape(store, main))
    }


def _shape(store: GitStore, oid: str) -> tuple[str, tuple[str, ...], str]:
    info = store.commit(oid)
    return info.tree, info.parents, info.message


def test_a_merge_named_by_prefix_is_not_found(gate: Gate) -> None:
    """An executed entry names its merge by full id: a prefix must not resolve."""
    from gitgate.journal.audit import check_chain
    from gitgate.journal.verify import _check_executed, _Lines

    entries, _ = check_chain(gate.store, gate.store.resolve("refs/gitgate/audit"))
    executed = [e for e in entries if e.entry.event == "executed"]
    assert len(executed) == 1
    logged = executed[0]
    short = {**logged.entry.commits, "merge": logged.entry.commits["merge"][:8]}
    import dataclasses

    forged = dataclasses.replace(logged, entry=dataclasses.replace(logged.entry, commits=short))
    merges = gate.store.read_commit_links_later([short["merge"]], direct=0)()
    assert _check_executed([forged.entry], merges, _Lines(gate.store, {})) == [
        f"executed entry #{logged.entry.seq} names a merge that does not exist"
    ]


# -- one walk per branch, against libgit2's hidden walk ---------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1))
def test_since_start_equals_the_hidden_walk(
    tmp_path_factory: pytest.TempPathFactory, seed: int
) -> None:
    """Random DAGs (merges either way, side branches, unrelated roots): the fast path (start
    on the first-parent line) and the fallback both give ``walk(tip, hide=[start])``."""
    rng = random.Random(seed)
    store = GitStore.init_repository(tmp_path_factory.mktemp("dag"), bare=True)
    tree = store.update_tree(None, {})
    commits: list[str] = []
    for i in range(rng.randrange(2, 25)):
        parents: list[str] = []
        if commits and rng.random() < 0.9:
            parents.append(rng.choice(commits[-4:]))
        if len(commits) > 1 and rng.random() < 0.4:
            parents.append(rng.choice(commits))
        commits.append(store.create_commit(tree, list(dict.fromkeys(parents)), f"c{i}", WHO, i))
    for _ in range(6):
        tip, start = rng.choice(commits), rng.choice(commits)
        line = list(store.walk(tip, first_parent=True))
        expected = (
            list(store.walk(tip, hide=[start], first_parent=True))
            if store.is_ancestor(start, tip)
            else None
        )
        assert since_start(store, line, tip, start) == expected
        # verify's own walk: down to the set-up commit, through commits already read
        store.update_ref("refs/heads/b", tip, store.resolve("refs/heads/b"), reason="test")
        lines = _Lines(store, {"b": start}, max_unnamed=rng.choice([0, 1, 3, 100]))
        lines.known.update(store.read_commit_links(rng.sample(commits, len(commits) // 2)))
        assert since_start(store, lines.line("b"), tip, start) == expected
        assert [c for c in commits if lines.contains("b", c)] == [c for c in commits if c in line]


# -- the note encoder, against json.dumps --------------------------------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "\n", '"', "\\", "\u2028", "é", "\x00", "😀", "a\tb"]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
)
KEYS = TEXT | st.integers(-5, 5) | st.booleans() | st.none()
JSONISH = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(TEXT, inner, max_size=4)
        | st.dictionaries(KEYS, inner, max_size=3)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(JSONISH)
def test_value_text_is_json_dumps(value: Any) -> None:
    assert _outcome(value_text, value) == _outcome(
        lambda v: json.dumps(v, sort_keys=True, indent=1), value
    )


def _outcome(encode: Any, value: Any) -> object:
    """What ``encode`` returns, or the type of error it raises (keys of mixed types cannot be
    sorted: the fast path must refuse them exactly as the reference does)."""
    try:
        return encode(value)
    except TypeError as err:
        return type(err)


def test_value_text_handles_nesting_past_its_depth() -> None:
    deep: Any = "x"
    for i in range(200):
        deep = [deep] if i % 2 else {"k": deep}
    assert value_text(deep) == json.dumps(deep, sort_keys=True, indent=1)


ITEMS = st.dictionaries(TEXT, JSONISH, max_size=4)


@st.composite
def proposals(draw: st.DrawFn) -> Proposal:
    oid = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
    return Proposal(
        id=draw(st.text(alphabet="23456789abcdefghjkmnpqrstuvwxyz", min_size=10, max_size=10)),
        kind=draw(st.sampled_from(["patch", "write", "create", "delete", "command"])),
        tool=draw(TEXT),
        target=draw(TEXT),
        base=draw(oid),
        commit=draw(oid),
        requester=draw(TEXT),
        created_at=draw(TEXT),
        status=draw(st.sampled_from(["pending", "executed", "failed", "rejected"])),
        message=draw(TEXT),
        arguments=draw(ITEMS),
        preview=draw(ITEMS),
        history=tuple(draw(st.lists(st.builds(StatusChange, TEXT, TEXT, TEXT, TEXT), max_size=3))),
        approvals=tuple(draw(st.lists(st.builds(Approval, TEXT, TEXT, oid), max_size=2))),
        changed_files=tuple(
            draw(
                st.lists(
                    st.builds(
                        ChangedFile, TEXT, TEXT, st.none() | TEXT, st.none() | st.integers(0, 2**20)
                    ),
                    max_size=3,
                )
            )
        ),
        result=draw(ITEMS),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(proposals())
def test_note_bytes_is_encode_proposal(proposal: Proposal) -> None:
    assert _outcome(note_bytes, proposal) == _outcome(encode_proposal, proposal)


def test_note_bytes_of_real_notes(gate: Gate) -> None:
    """Every note a real flow wrote is what the fast encoder writes for its proposal."""
    store = gate.store
    notes = dict(store.iter_notes(store.resolve(NOTES)))
    assert len(notes) == 2
    for proposal in [*gate.list(status="pending"), *gate.list(status="executed")]:
        assert note_bytes(proposal) == notes[proposal.commit]


@pytest.mark.parametrize("as_json", [False, True])
def test_the_cli_process_ends_with_its_verdict_and_all_its_output(
    gate: Gate, as_json: bool
) -> None:
    """The real entry point, which ends its process without tearing the heap down: all of
    its output arrives, the same verdict as the API's, and the exit code, clean and tampered."""
    flag = ["--json"] if as_json else []
    report = gate.verify_audit()
    clean = gitgate_subprocess(gate.store.git_dir, "audit", "verify", *flag)
    assert clean.returncode == 0, clean.stderr
    if as_json:
        assert json.loads(clean.stdout) == {
            "ok": True,
            "entries": report.entries,
            "proposals": report.proposals,
            "problems": [],
        }
    else:
        assert clean.stdout == (
            f"audit log OK: {report.entries} entries, {report.proposals} proposals\n"
        )
    pending = _pending(gate)
    forged = json.loads(note_bytes(pending))
    forged["requester"] = "mallory@example.com"
    _overwrite_note(gate, pending.commit, json.dumps(forged).encode())
    problems = gate.verify_audit().problems
    assert len(problems) == 1 and pending.id in problems[0]
    tampered = gitgate_subprocess(gate.store.git_dir, "audit", "verify", *flag)
    assert tampered.returncode == 1, tampered.stderr
    if as_json:
        assert json.loads(tampered.stdout)["problems"] == list(problems)
    else:
        assert tampered.stdout == "".join(f"problem: {p}\n" for p in problems)
