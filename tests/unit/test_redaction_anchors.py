"""The secret scanner's two ways of finding trigger anchors give the same hits.

Short texts are searched with ``str.find`` per anchor (no trie to compile: a hook run scans a
few short entries); past a budget the trie regex takes over. Both must list exactly the same
(position, longest anchor) pairs, or a secret found by one would be missed by the other.
"""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gitgate.safety import redaction, tokentable

CORPORA = Path(__file__).resolve().parents[2] / "benchmarks" / "corpora"


def _anchors() -> list[str]:
    return sorted(redaction._scanner().dispatch)


def _both(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    scanner = redaction._scanner()
    return scanner._hits_by_find(text), scanner._hits_by_trie(text)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_find_and_trie_agree_on_texts_made_of_anchors(data: st.DataObject) -> None:
    anchors = _anchors()
    pieces = data.draw(
        st.lists(
            st.one_of(
                st.sampled_from(anchors),
                st.sampled_from(anchors).map(lambda a: a[:-1]),  # cut short: must not hit
                st.text(alphabet="ab -_=:\"'/.pPkKtT@\n", max_size=6),
            ),
            max_size=40,
        )
    )
    by_find, by_trie = _both("".join(pieces))
    assert by_find == by_trie


def test_find_and_trie_agree_on_the_tuning_corpora() -> None:
    texts = []
    for name in ("secrets_scanners_tune.jsonl",):
        for line in (CORPORA / name).read_text().splitlines():
            texts.append(json.loads(line)["text"])
    rng = random.Random(7)
    texts += ["".join(rng.sample(texts, 5)) for _ in range(50)]  # longer mixed texts
    assert len(texts) > 1000
    for text in texts:
        by_find, by_trie = _both(text)
        assert by_find == by_trie, text[:200]


def test_a_long_scan_switches_to_the_trie_and_finds_the_same_secrets() -> None:
    body = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5"
    n, check = zlib.crc32(body.encode()), ""
    while n:
        n, r = divmod(n, 62)
        check = redaction._BASE62[r] + check
    token = "ghp_" + body + check.rjust(6, "0")
    short = f"token = {token}\n"
    text = short + "filler line of text\n" * 10_000  # past the find budget
    spans = [(f.start, f.end) for f in redaction.find_secrets(short)]
    assert [short[s:e] for s, e in spans] == [token]
    assert [(f.start, f.end) for f in redaction.find_secrets(text)] == spans
    assert redaction._scanner()._trigger_re is not None


def test_the_shipped_token_table_copy_is_current() -> None:
    """`python -m gitgate.safety.tokentable` refreshes it after secret_tokens.toml is edited."""
    raw = Path(tokentable.SOURCE).read_bytes()
    assert Path(tokentable.COPY).read_text(encoding="utf-8") == tokentable.render_copy(raw)
    assert tokentable.load_tokens() == tokentable.parse_tokens(raw)


def test_a_stale_token_table_copy_is_ignored(tmp_path: Path) -> None:
    source, copy = tmp_path / "t.toml", tmp_path / "t.json"
    source.write_bytes(Path(tokentable.SOURCE).read_bytes())
    tokentable.write_copy(source, copy)
    edited = (
        source.read_text()
        + '\n[[token]]\nkind = "x-new"\ntriggers = ["xnew_"]\npattern = "xnew_[a-z]{20}"\n'
    )
    source.write_text(edited)  # the copy now describes other bytes
    kinds = [t["kind"] for t in tokentable.load_tokens(source, copy)]
    assert kinds[-1] == "x-new"
    copy.write_text("{not json")
    assert [t["kind"] for t in tokentable.load_tokens(source, copy)] == kinds


def _rarest_offset(literal: str) -> int:
    """The anchor offset as first written: the first of the rarest characters' costs."""
    costs = [redaction._char_cost(ch) for ch in literal[: max(1, len(literal) - 1)]]
    return costs.index(min(costs))


@settings(max_examples=400, deadline=None)
@given(literal=st.text(min_size=1, max_size=16))
def test_the_anchor_offset_is_the_first_rarest_character(literal: str) -> None:
    # The table-driven choice (str.translate over ASCII) and the plain one agree.
    assert redaction._anchor_offset(literal) == _rarest_offset(literal)


def test_every_trigger_is_anchored_at_its_first_rarest_character() -> None:
    for literal in redaction._build_handlers():
        assert redaction._anchor_offset(literal) == _rarest_offset(literal), literal
