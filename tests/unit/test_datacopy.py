"""The packaged TOML tables and their JSON copies (gitgate.safety.datacopy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitgate.safety import datacopy


@pytest.mark.parametrize("name", datacopy.TABLES)
def test_every_shipped_copy_is_current_and_in_the_tables_order(name: str) -> None:
    """`python -m gitgate.safety.datacopy` refreshes the copies after a table is edited."""
    raw = Path(datacopy.source_path(name)).read_bytes()
    assert Path(datacopy.copy_path(name)).read_text(encoding="utf-8") == datacopy.render(raw)
    # The same values in the same order (rules are tried in the order they are written).
    assert json.dumps(datacopy.load(name)) == json.dumps(datacopy.parse(raw))


def test_a_stale_or_broken_copy_is_ignored(tmp_path: Path) -> None:
    source, copy = tmp_path / "t.toml", tmp_path / "t.json"
    source.write_text('[a]\nrules = ["first", "second"]\n')
    datacopy.write_pair(source, copy)
    assert datacopy.load_pair(source, copy) == {"a": {"rules": ["first", "second"]}}
    source.write_text('[a]\nrules = ["first", "third"]\n')  # edited, copy not refreshed
    assert datacopy.load_pair(source, copy) == {"a": {"rules": ["first", "third"]}}
    for broken in ("{", "[]", '{"source_crc32": "x", "data": {}}', ""):
        copy.write_text(broken)
        assert datacopy.load_pair(source, copy) == {"a": {"rules": ["first", "third"]}}
    copy.unlink()
    assert datacopy.load_pair(source, copy) == {"a": {"rules": ["first", "third"]}}


def test_a_broken_source_is_an_error_even_with_a_copy(tmp_path: Path) -> None:
    source, copy = tmp_path / "t.toml", tmp_path / "t.json"
    source.write_text("a = 1\n")
    datacopy.write_pair(source, copy)
    source.write_text("a = [\n")
    with pytest.raises(ValueError, match="Invalid value"):
        datacopy.load_pair(source, copy)
