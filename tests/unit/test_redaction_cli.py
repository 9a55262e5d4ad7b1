"""Tests of ``gitgate redact`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gitgate.cli import main

SECRET = "hunter2-Zq9!"
TEXT = f"hello\nDB_PASSWORD={SECRET}\nbye\n"


def test_stdin_text_mode_prints_redacted_text() -> None:
    result = CliRunner().invoke(main, ["redact"], input=TEXT)
    assert result.exit_code == 0, result.output
    assert result.output == "hello\nDB_PASSWORD=[REDACTED:password-assignment]\nbye\n"


def test_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "app.env"
    path.write_text(TEXT)
    result = CliRunner().invoke(main, ["redact", str(path)])
    assert result.exit_code == 0
    assert SECRET not in result.output
    assert "DB_PASSWORD=[REDACTED:password-assignment]" in result.output


def test_json_output_never_contains_the_secret() -> None:
    result = CliRunner().invoke(main, ["redact", "--json", "-"], input=TEXT)
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert payload["findings"] == [
        {"kind": "password-assignment", "line": 2, "start": 18, "end": 30}
    ]
    assert payload["redacted"] == TEXT.replace(SECRET, "[REDACTED:password-assignment]")
    assert SECRET not in result.output


def test_check_exits_1_and_lists_findings(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(TEXT)
    result = CliRunner().invoke(main, ["redact", "--check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: password-assignment" in result.stderr
    assert SECRET not in result.output


def test_check_clean_input_exits_0() -> None:
    result = CliRunner().invoke(main, ["redact", "--check"], input="nothing to see\n")
    assert result.exit_code == 0
    assert result.output == "nothing to see\n"


def test_unreadable_file_is_a_gitgate_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["redact", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert "cannot read" in result.stderr
    assert "hint:" in result.stderr


def test_unreadable_file_json_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["redact", "--json", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert json.loads(result.stdout.splitlines()[0])["message"].startswith("cannot read")


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(main, ["redact", "--help"])
    assert result.exit_code == 0
    assert "[REDACTED:<kind>]" in result.output
    assert "--check" in result.output
