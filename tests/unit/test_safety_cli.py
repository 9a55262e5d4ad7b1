"""Tests of `gitgate classify` and `gitgate check-path` through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gitgate.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_classify_single_text(runner: CliRunner) -> None:
    result = runner.invoke(main, ["classify", "docker ps"])
    assert result.exit_code == 0
    assert result.output.startswith("allow: ")


def test_classify_joins_several_arguments(runner: CliRunner) -> None:
    result = runner.invoke(main, ["classify", "--json", "rm", "-rf", "x"])
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert payload["command"] == "rm -rf x"
    assert payload["decision"] == "deny"


def test_classify_json_keys(runner: CliRunner) -> None:
    result = runner.invoke(main, ["classify", "--json", "ls > out"])
    payload = json.loads(result.output)
    assert set(payload) == {"command", "decision", "reason"}
    assert payload["decision"] == "approve"


def test_classify_stdin_text(runner: CliRunner) -> None:
    result = runner.invoke(main, ["classify", "-"], input="ls\nrm -rf /\n\nvim x\n")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["allow", "deny", "approve"]
    assert lines[1].split("\t")[2] == "rm -rf /"


def test_classify_stdin_json_lines(runner: CliRunner) -> None:
    result = runner.invoke(main, ["classify", "--json", "-"], input="ls\nsudo x\n")
    decisions = [json.loads(line)["decision"] for line in result.output.splitlines()]
    assert decisions == ["allow", "deny"]


def test_classify_without_command_is_an_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["classify"])
    assert result.exit_code == 1
    assert "error: no command to classify" in result.output


def test_classify_help(runner: CliRunner) -> None:
    result = runner.invoke(main, ["classify", "--help"])
    assert result.exit_code == 0
    assert "allow" in result.output and "approve" in result.output


def test_check_path_text_and_exit_status(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-path", "src/app.py", ".env"])
    assert result.exit_code == 1
    assert "ok  src/app.py" in result.output
    assert "refused  .env: sensitive file (.env)" in result.output


def test_check_path_all_safe_exits_zero(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-path", "README.md", ".github/workflows/ci.yml"])
    assert result.exit_code == 0


def test_check_path_json_list(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-path", "--json", "a.py", ".git/config"])
    assert result.exit_code == 1
    payload = json.loads(result.output)
    assert [item["safe"] for item in payload] == [True, False]
    assert ".git" in payload[1]["reason"]


def test_check_path_export(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-path", "--export", "dist/app.js", "src/a.py"])
    assert result.exit_code == 1
    assert "refused  dist/app.js: build output (dist/)" in result.output
    assert "ok  src/a.py" in result.output


def test_check_path_stdin_lines_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-path", "--json", "-"], input="a.py\nid_rsa\n")
    assert result.exit_code == 1
    items = [json.loads(line) for line in result.output.splitlines()]
    assert [item["path"] for item in items] == ["a.py", "id_rsa"]


def test_check_path_stdin_nul(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-path", "-z", "-"], input="a b.py\0new\nline\0")
    assert result.exit_code == 1  # the newline is a control character
    lines = result.output.splitlines()
    assert lines[0] == "ok  a b.py"
    assert lines[1].startswith("refused  new")


def test_check_path_without_paths_is_an_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-path"])
    assert result.exit_code == 1
    assert "error: no path to check" in result.output


def test_check_path_z_needs_stdin(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-path", "-z", "a"])
    assert result.exit_code == 1
    assert "-z" in result.output
