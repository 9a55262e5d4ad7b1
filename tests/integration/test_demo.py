"""`gitgate demo`: the README's first command walks the whole flow and everything verifies."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from gitgate.cli import main
from gitgate.export.review import review_bundle
from gitgate.workflow import Gate


def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", str(target)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "push protection" in out
    assert "verified: manifest, patch and 1 file(s) match" in out
    assert "audit log OK: 7 entries, 2 proposals" in out
    gate = Gate(target)
    assert gate.verify_audit().ok
    events = [entry.event for entry in gate.audit()]
    assert events == [
        "init",
        "proposed",
        "proposed",
        "approved",
        "executed",
        "rejected",
        "exported",
    ]
    (bundle,) = target.glob("review-*.tar.gz")
    assert review_bundle(bundle).ok


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    result = CliRunner().invoke(main, ["demo", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not empty" in result.output
    assert (tmp_path / "keep.txt").read_text() == "mine\n"
