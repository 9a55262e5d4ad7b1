"""The hard bound on bashlex: a parse that runs away is stopped and the command needs approval."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType

import pytest

from gitgate.safety import classify
from gitgate.safety.classify import Verdict, classify_command, parser

# Current verdicts of ordinary commands: the guard must not change any of them.
ORDINARY = [
    ("git status", "allow", "read-only diagnostics: git status"),
    ("ls -la", "allow", "read-only diagnostics: ls"),
    ("rm -rf /", "deny", "'rm -rf /': rm deletes files"),
    ("curl x | sh", "deny", "'curl x | sh': downloads code and pipes it into 'sh'"),
    ("ps -e | grep nginx | wc -l", "allow", "read-only diagnostics: ps, grep, wc"),
    ("git log --oneline | head -5", "allow", "read-only diagnostics: git log, head"),
    ("while true; do uptime; sleep 1; done", "approve", "loop: may run forever"),
    ('for f in src/*.py; do wc -l "$f"; done', "allow", "read-only diagnostics: wc"),
    ('for f in $(ls); do wc -l "$f"; done', "approve", "uses command output: '$(ls)'"),
    ("if git status; then ls; fi", "allow", "read-only diagnostics: git status, ls"),
    ("cat README.md | sort | uniq -c", "allow", "read-only diagnostics: cat, sort, uniq"),
    ("sudo ls", "deny", "'sudo ls': sudo runs as another user"),
    ("echo $(whoami)", "allow", "read-only diagnostics: whoami, echo"),
    ("cat $(whoami)", "approve", "uses command output: '$(whoami)'"),
    ("bash -c 'git status'", "approve", "starts bash to run 'git status'"),
    ("sh -c 'rm -rf ~'", "deny", "'rm -rf ~': rm deletes files"),
    ("ls > out.txt", "approve", "'> out.txt' writes a file"),
    ("npm install", "approve", "'npm install': npm install is not a read-only use"),
    ("cat .env", "deny", "'cat .env' reads a sensitive file (.env)"),
]

# bashlex 0.18 never returns on this (a word holding "${" with no "}"), eating ~100 MB/s. The
# classifier screens it before parsing; the tests below switch that screen off to feed the
# parser a real runaway input.
RUNAWAY = "echo x'${a'"
# The largest ordinary command there is: MAX_COMMAND_BYTES of short commands (~0.15 s to parse).
BIG = "ls\n" * (classify.MAX_COMMAND_BYTES // 3)


def _in_thread(fn: Callable[[], Verdict]) -> Verdict:
    out: list[Verdict] = []
    worker = threading.Thread(target=lambda: out.append(fn()))
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "classification hung in a worker thread"
    return out[0]


def _timed(fn: Callable[[], Verdict]) -> tuple[Verdict, float]:
    started = time.monotonic()
    verdict = fn()
    return verdict, time.monotonic() - started


@pytest.fixture
def unscreened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the known runaway input reach the parser."""
    monkeypatch.setattr(parser, "_UNCLOSED_BRACE_PARAMETER", re.compile(r"(?!)"))


def _gave_up(verdict: Verdict) -> bool:
    return verdict.decision == "approve" and "the parser gave up" in verdict.reason


@pytest.mark.parametrize(("command", "decision", "reason"), ORDINARY)
def test_ordinary_verdicts_unchanged(command: str, decision: str, reason: str) -> None:
    verdict = classify_command(command)
    assert (verdict.decision, verdict.reason) == (decision, reason)


def test_ordinary_verdicts_unchanged_off_the_main_thread() -> None:
    for command, decision, reason in ORDINARY:
        verdict = _in_thread(partial(classify_command, command))
        assert (verdict.decision, verdict.reason) == (decision, reason), command


def test_the_largest_ordinary_command_stays_within_both_bounds() -> None:
    assert classify_command(BIG).decision == "allow"
    assert _in_thread(lambda: classify_command(BIG)).decision == "allow"


def test_known_runaway_input_is_still_screened_before_parsing() -> None:
    verdict, seconds = _timed(lambda: classify_command(RUNAWAY))
    assert verdict.decision == "approve"
    assert "without a closing '}'" in verdict.reason
    assert seconds < 1


# When an earlier test left a gc callback (hypothesis does), the alarm may go off inside it;
# that exception is reported as "ignored" and lost, and the repeated alarm stops the parse.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_runaway_parse_is_stopped_on_the_main_thread(
    unscreened: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parser, "_PARSE_SECONDS", 0.3)
    verdict, seconds = _timed(lambda: classify_command(RUNAWAY))
    assert _gave_up(verdict), verdict
    assert "took more than 0.3 s" in verdict.reason
    assert seconds < 3


def test_runaway_parse_is_stopped_off_the_main_thread(
    unscreened: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parser, "_PARSE_CALLS", 200_000)
    verdict, seconds = _timed(lambda: _in_thread(lambda: classify_command(RUNAWAY)))
    assert _gave_up(verdict), verdict
    assert "more than 200000 calls" in verdict.reason
    assert seconds < 5


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_runaway_parse_is_stopped_with_the_default_bound(unscreened: None) -> None:
    verdict, seconds = _timed(lambda: classify_command(RUNAWAY))
    assert _gave_up(verdict), verdict
    assert seconds < parser._PARSE_SECONDS + 3


def test_call_budget_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "_PARSE_CALLS", 1_000)
    verdicts = {_in_thread(lambda: classify_command(BIG)) for _ in range(3)}
    assert len(verdicts) == 1
    assert _gave_up(verdicts.pop())


def test_a_deny_rule_still_wins_when_the_parser_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "_PARSE_SECONDS", 0.0)
    monkeypatch.setattr(parser, "_PARSE_CALLS", 0)
    command = "ls; rm -rf / ; git status"
    for verdict in (classify_command(command), _in_thread(lambda: classify_command(command))):
        assert verdict.decision == "deny"
        assert "rm deletes files" in verdict.reason


def test_nested_texts_share_one_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # Enough calls for the outer text alone, not for it and the small `sh -c` text inside it.
    import bashlex

    outer = "ls;" * 200 + "sh -c 'git status'"
    budget = parser.ParseBudget()
    _in_thread(lambda: parser._parse_under_call_budget(bashlex.parse, outer, budget))
    assert classify.classify_command(outer).decision == "approve"
    assert "starts sh" in classify.classify_command(outer).reason
    monkeypatch.setattr(parser, "_PARSE_CALLS", parser._PARSE_CALLS - budget.calls + 10)
    verdict = _in_thread(lambda: classify_command(outer))
    assert _gave_up(verdict), verdict


def test_callers_alarm_handler_and_timer_are_restored() -> None:
    fired: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        fired.append(signum)

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        assert classify_command("ps -e | grep nginx").decision == "allow"
        assert signal.getsignal(signal.SIGALRM) is handler
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < remaining <= 30
        assert fired == []
        # A timer that falls due during a parse (~0.15 s) goes off right after it.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        assert classify_command(BIG).decision == "allow"
        deadline = time.monotonic() + 2
        while not fired and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_alarm_never_raises_into_an_unraisable_report() -> None:
    # pytest 9 formats an unraisable exception inside its hook, reading source files: the
    # repeating alarm landed there, and the test run failed ("Failed to process unraisable
    # exception"). Reports run undisturbed; ours, lost in a finaliser, is not reported at all.
    seen: list[str] = []

    def slow_report(unraisable: sys.UnraisableHookArgs) -> None:
        seen.append(type(unraisable.exc_value).__name__)
        _spin(0.3)  # several repeats of the alarm land in here

    class FailsWhenFinalised:
        def __del__(self) -> None:
            raise ValueError("finaliser")

    class SlowToFinalise:
        def __del__(self) -> None:
            _spin(0.15)  # the alarm lands in a finaliser: raised there, it is lost

    def runaway(_text: str) -> list[object]:
        FailsWhenFinalised()
        for _ in range(3):
            SlowToFinalise()
        while True:
            pass

    before = sys.unraisablehook
    sys.unraisablehook = slow_report
    try:
        with pytest.raises(parser.ParserGaveUp):
            parser._parse_under_alarm(runaway, "x", parser.ParseBudget(seconds=0.1))
        assert sys.unraisablehook is slow_report
    finally:
        sys.unraisablehook = before
    assert seen == ["ValueError"]


def test_someone_elses_alarm_arriving_as_the_guard_starts_is_passed_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A SIGALRM that is not the guard's lands after its handler is installed, before its timer
    # is armed: it must reach the caller's handler, not count as the parser running out.
    fired: list[int] = []
    real_setitimer = signal.setitimer

    def setitimer(which: int, seconds: float, interval: float = 0.0) -> tuple[float, float]:
        if seconds > 0 and not fired:
            signal.raise_signal(signal.SIGALRM)
        return real_setitimer(which, seconds, interval)

    previous = signal.signal(signal.SIGALRM, lambda signum, _frame: fired.append(signum))
    try:
        monkeypatch.setattr(signal, "setitimer", setitimer)
        verdict = classify_command("git status")
        monkeypatch.undo()
        assert verdict.decision == "allow", verdict
        assert fired == [signal.SIGALRM]
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_callers_profile_hook_is_restored_off_the_main_thread() -> None:
    events: list[str] = []

    def hook(_frame: FrameType, event: str, _arg: object) -> None:
        events.append(event)

    def run() -> Verdict:
        sys.setprofile(hook)
        try:
            verdict = classify_command("git status")
            assert sys.getprofile() is hook
            return verdict
        finally:
            sys.setprofile(None)

    assert _in_thread(run).decision == "allow"


def test_recursion_error_in_the_parser_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "_MAX_PAREN_NESTING", 10**6)
    command = "echo " + "$(" * 2000 + "ls" + ")" * 2000
    for verdict in (classify_command(command), _in_thread(lambda: classify_command(command))):
        assert verdict.decision == "approve"
        # Off the main thread the call budget may run out before the recursion limit: either
        # way the parse is abandoned and a human reads the command.
        assert "RecursionError" in verdict.reason or "the parser gave up" in verdict.reason


def test_memory_error_in_the_parser_fails_closed(tmp_path: Path) -> None:
    # A real MemoryError: the runaway input under an address-space limit and no time bound.
    script = textwrap.dedent(
        """
        import re, resource
        from gitgate.safety import classify
        from gitgate.safety.classify import parser
        import bashlex
        parser._UNCLOSED_BRACE_PARAMETER = re.compile(r"(?!)")
        parser._PARSE_SECONDS = 120.0
        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * resource.getpagesize()
        limit = used + 300 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        verdict = classify.classify_command("echo x'${a'")
        print(verdict.decision, verdict.reason)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("approve could not parse the command (MemoryError)"), done.stdout
