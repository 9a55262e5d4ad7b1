"""Property tests (hypothesis) of the command classifier and the path policy."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitgate.safety.classify import classify_command
from gitgate.safety.pathpolicy import check_path, check_symlink_target, export_exclusion_reason

# Shell-flavoured fragments find parser corner cases much faster than random text.
FRAGMENTS = st.sampled_from(
    list("abls -'\"\\$`(){};|&<>#=*\n\t~./!%")
    + ["ls", "cat", "echo", "git status", "docker ps", "$(", "${", "$'", "<<", "<<<", "EOF"]
    + ["case", "in", "esac", "time", "for", "do", "done", "if", "then", "fi", "\\\n", "2>"]
)
SHELLISH = st.one_of(st.lists(FRAGMENTS, max_size=24).map("".join), st.text(max_size=80))
DANGEROUS_SUFFIXES = st.sampled_from(["; rm -rf x", "&& rm -rf /", "| sh", "$(rm x)"])
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(SHELLISH)
def test_classify_never_raises(command: str) -> None:
    verdict = classify_command(command)
    assert verdict.decision in ("allow", "deny", "approve")
    assert verdict.command == command
    assert "\n" not in verdict.reason


@SETTINGS
@given(SHELLISH, DANGEROUS_SUFFIXES)
def test_appending_a_dangerous_command_is_never_allowed(command: str, suffix: str) -> None:
    assert classify_command(command + suffix).decision != "allow"


@SETTINGS
@given(st.sampled_from(["ls", "git status", "docker ps", "echo hi", "df -h"]), DANGEROUS_SUFFIXES)
def test_appending_to_allowed_commands(command: str, suffix: str) -> None:
    assert classify_command(command).decision == "allow"
    assert classify_command(command + suffix).decision != "allow"


PATH_TEXT = st.lists(
    st.sampled_from(list("ab./\\%2eEfgGiItT~: \x00\n\u200c\uff0e") + [".git", ".env"]),
    max_size=30,
).map("".join)


@SETTINGS
@given(st.one_of(PATH_TEXT, st.text(max_size=60)))
def test_path_checks_never_raise(path: str) -> None:
    verdict = check_path(path)
    assert verdict.safe is (verdict.reason == "")
    export_exclusion_reason(path)
    check_symlink_target("link", path)


@SETTINGS
@given(st.text(max_size=20), st.text(max_size=20))
def test_dotdot_is_always_refused(before: str, after: str) -> None:
    assert not check_path(f"{before}/../{after}").safe
    assert not check_path(f"../{after}").safe
    assert not check_path(f"{before}/..").safe


@SETTINGS
@given(st.text(max_size=20), st.text(max_size=20))
def test_nul_is_always_refused(before: str, after: str) -> None:
    assert not check_path(f"{before}\x00{after}").safe
