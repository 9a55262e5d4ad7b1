"""bashlex under a hard bound: bashlex is pure Python and has looped forever on some inputs.

Also the guards applied before a text reaches the parser (size, nesting, a known runaway).
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_COMMAND_BYTES = 8192
_MAX_PAREN_NESTING = 32  # bashlex recurses per nesting level: refuse before it overflows
# Hard bound on bashlex for one classify_command call (nested texts share it). The largest
# ordinary commands (MAX_COMMAND_BYTES of short commands) parse in ~0.15 s (~0.5 s on a busy
# machine) and ~2 million profile events, well below either bound.
_PARSE_SECONDS = 2.0  # on the main thread: a real-time alarm (SIGALRM)
_ALARM_REPEAT = 0.05  # then again every 50 ms until the parse is gone
_PARSE_CALLS = 10_000_000  # elsewhere: profile events (calls, returns, builtins; 2-5 s)


@dataclass(slots=True)
class ParseBudget:
    """What is left of the parser's bound for one classify_command call."""

    seconds: float = field(default_factory=lambda: _PARSE_SECONDS)
    calls: int = field(default_factory=lambda: _PARSE_CALLS)


_ParseBudget = ParseBudget


def pre_parse_problem(text: str) -> str | None:
    """Why ``text`` is not handed to the parser at all, or None."""
    if "\x00" in text:
        return "NUL byte in command"
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return "command is not valid UTF-8"
    if size > MAX_COMMAND_BYTES:
        return f"command is {size} bytes long (limit {MAX_COMMAND_BYTES})"
    if _paren_nesting(text) > _MAX_PAREN_NESTING:
        return "command is nested too deeply"
    if _UNCLOSED_BRACE_PARAMETER.search(text):
        return "'${' without a closing '}' in the same word"
    return None


class ParserGaveUp(BaseException):
    """Stops a parse that hit its bound; a BaseException so no ``except Exception`` eats it."""


def parse(text: str, budget: ParseBudget) -> list[Any]:
    """``bashlex.parse(text)`` under ``budget``; raises :class:`ParserGaveUp` when it runs out.

    On the main thread a real-time alarm stops it (no overhead). Signals cannot reach other
    threads, so there a profile hook counts calls instead: deterministic, but it makes the
    parse about 2.5 times slower. Either way a loop that calls nothing (not even a builtin) is
    the only thing that escapes, and only on other threads.
    """
    # Imported here, and with its parser tables loaded rather than rebuilt (~90 ms).
    from gitgate.safety.classify.bashlex_tables import import_bashlex

    bashlex = import_bashlex()

    parse: Callable[[str], list[Any]] = bashlex.parse
    if _alarm_usable():
        try:
            return _parse_under_alarm(parse, text, budget)
        except _AlarmUnavailable:
            pass
    return _parse_under_call_budget(parse, text, budget)


class _AlarmUnavailable(Exception):
    """SIGALRM cannot be taken over here (not the main interpreter)."""


def _alarm_usable() -> bool:
    """Whether this thread can bound a parse with SIGALRM and hand it back intact afterwards."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return False
    if signal.getsignal(signal.SIGALRM) is None:  # installed outside Python: cannot restore it
        return False
    return signal.SIGALRM not in signal.pthread_sigmask(signal.SIG_BLOCK, ())


def _parse_under_alarm(
    parse: Callable[[str], list[Any]], text: str, budget: ParseBudget
) -> list[Any]:
    """Parse with an ITIMER_REAL alarm; the caller's SIGALRM handler and timer are restored."""
    if budget.seconds < 0.001:
        raise ParserGaveUp(f"took more than {_PARSE_SECONDS:g} s")
    state = {"armed": False, "early": False, "reporting": 0}
    previous_unraisable = sys.unraisablehook

    def on_alarm(_signum: int, frame: Any) -> None:
        if not state["armed"]:
            state["early"] = True  # before ours was armed: someone else's, or ours very late
        elif not state["reporting"] and getattr(frame, "f_code", None) is not own_hook_code:
            # Stays armed: the timer repeats (see below) and so does the exception, because
            # one raised while a finaliser (__del__, a GC callback) runs is lost. Never raised
            # while an unraisable exception is being reported (that report is someone else's
            # code, pytest's for one, and fails if we raise in it); the next repeat raises.
            raise ParserGaveUp(f"took more than {_PARSE_SECONDS:g} s")

    def report_unraisable(unraisable: Any) -> None:
        # Ours, raised in a finaliser, is dropped: the repeating alarm raises it again in the
        # parse, where it counts. Anything else goes to the hook that was there before.
        state["reporting"] += 1
        try:
            if not isinstance(unraisable.exc_value, ParserGaveUp):
                previous_unraisable(unraisable)
        finally:
            state["reporting"] -= 1

    own_hook_code = report_unraisable.__code__

    try:
        previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    except ValueError as err:  # "signal only works in main thread of the main interpreter"
        raise _AlarmUnavailable(str(err)) from err
    started = time.monotonic()
    previous_timer = (0.0, 0.0)
    theirs = False
    sys.unraisablehook = report_unraisable
    try:
        previous_timer = signal.setitimer(signal.ITIMER_REAL, budget.seconds, _ALARM_REPEAT)
        state["armed"] = True
        try:
            if state["early"]:
                if signal.getitimer(signal.ITIMER_REAL)[0] == 0:  # ours went off: spent
                    raise ParserGaveUp(f"took more than {_PARSE_SECONDS:g} s")
                theirs = True  # passed on below, once their handler is back
            return _run_parser(parse, text)
        finally:
            # An alarm already pending runs on_alarm right after this call and raises here;
            # the outer finally still restores everything.
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)  # first: no repeat may land past this point
        state["armed"] = False
        elapsed = time.monotonic() - started
        budget.seconds -= elapsed
        signal.signal(signal.SIGALRM, previous_handler)
        if sys.unraisablehook is report_unraisable:  # not if someone replaced it meanwhile
            sys.unraisablehook = previous_unraisable
        delay, interval = previous_timer
        if delay > 0:  # someone else's timer: re-arm it with what is left (at once if overdue)
            signal.setitimer(signal.ITIMER_REAL, max(delay - elapsed, 1e-6), interval)
        if theirs and previous_handler is not signal.SIG_IGN:
            signal.raise_signal(signal.SIGALRM)


def _run_parser(parse: Callable[[str], list[Any]], text: str) -> list[Any]:
    try:
        return parse(text)
    except BaseException as err:  # not a tuple of types: building one may need memory
        # The tracebacks hold the parser's frames and so all it allocated (a runaway parse can
        # hold hundreds of MB): let go of them before any handler up the stack needs memory.
        # Out of memory, unwinding chains a MemoryError per frame: clear the whole chain.
        link: BaseException | None = err
        while link is not None:
            link.__traceback__ = None
            link = link.__context__
        raise


def _parse_under_call_budget(
    parse: Callable[[str], list[Any]], text: str, budget: ParseBudget
) -> list[Any]:
    """Parse with a profile hook counting events (calls, returns, builtin calls)."""
    if budget.calls <= 0:
        raise ParserGaveUp(f"more than {_PARSE_CALLS} calls")
    left = budget.calls
    active = True

    def count(_frame: Any, _event: str, _arg: Any) -> None:
        nonlocal left
        if active:
            left -= 1
            if left < 0:
                raise ParserGaveUp(f"more than {_PARSE_CALLS} calls")

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        return _run_parser(parse, text)
    finally:
        active = False  # so the hook never raises inside the restoring call below
        sys.setprofile(previous)
        budget.calls = left


# bashlex 0.18 loops forever, eating memory, on a word holding "${" with no "}" after it in
# the same word (its expansion restarts at index 0 when str.find returns -1): "x'${a'".
# Such words never reach the parser. The word is assumed to end at whitespace, an operator
# or a quote, which may end it too early: that only refuses more.
_UNCLOSED_BRACE_PARAMETER = re.compile(r"\$\{[^}\s;&|<>()'\"`]*(?=[\s;&|<>()'\"`]|$)")


def _paren_nesting(text: str) -> int:
    """Maximum nesting of ( { and backticks, ignoring quoting: a cheap upper bound."""
    depth = deepest = 0
    backtick = False
    for char in text:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth = max(0, depth - 1)
        elif char == "`":
            backtick = not backtick
            depth += 1 if backtick else -1
        deepest = max(deepest, depth)
    return deepest
