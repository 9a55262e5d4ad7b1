"""Benchmark gitgate.safety.classify: accuracy on two corpora, and speed against bashlex alone.

Run from the repository root::

    python benchmarks/bench_classify.py [--runs R] [--misses]

Corpora (``benchmarks/corpora/``, one command per line: expected decision, class, command):

* ``commands_tune.tsv``: the set the rules were tuned on;
* ``commands_eval.tsv``: written and committed before the rules were changed, never tuned on;
* ``commands_probe.tsv``: written blind after tuning ended (its header says what it scored
  before its one miss was fixed);
* ``commands_eval2.tsv``: a second frozen set (round 7: GTFOBins functions, options that take a
  FILE or run a PROGRAM, spellings of one path, credential stores), committed and scored
  before that round's rules changed, scored once more at its end;
* ``commands_probe2.tsv``: a second blind probe, written after round 7 was merged and scored
  once (its header says what it scored).
* ``commands_probe3.tsv``: a third blind probe (round 11, GTFOBins/LOLBAS-style escapes and
  obfuscation); its labels may say ``approve|deny`` (either is right).

For each it prints the accuracy, the confusion matrix (rows: expected; columns: classified),
how many commands expected ``deny`` were classified ``allow``, and the accuracy per class.
``--misses`` lists every miss with the classifier's reason.

Speed: every command of every corpus is classified (``classify_command``) and parsed by
``bashlex.parse`` alone, in the same run, passes interleaved, best of R runs (default 5)
each, caches cleared before every pass; it prints the microseconds per command of both and
their ratio.

Targets (issue 10): 0 dangerous or secret-reading commands allowed and accuracy >= 97 % on
each corpus. Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import bashlex  # noqa: E402

from gitgate.safety.classify import classify_command, paths  # noqa: E402

CORPORA = {
    "tuning (commands_tune.tsv)": ROOT / "benchmarks" / "corpora" / "commands_tune.tsv",
    "frozen eval (commands_eval.tsv)": ROOT / "benchmarks" / "corpora" / "commands_eval.tsv",
    "probe, written after tuning (commands_probe.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe.tsv",
    "second frozen eval, round 7 (commands_eval2.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_eval2.tsv",
    "second blind probe (commands_probe2.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe2.tsv",
    "third blind probe, round 11 (commands_probe3.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe3.tsv",
    "fourth blind probe, round 12 (commands_probe4.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe4.tsv",
    "fifth blind probe, round 12 (commands_probe5.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe5.tsv",
    "sixth blind probe, round 12 (commands_probe6.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe6.tsv",
    "seventh blind probe, round 13 (commands_probe7.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe7.tsv",
    "eighth blind probe, round 13 (commands_probe8.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe8.tsv",
    "ninth blind probe, round 14 (commands_probe9.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe9.tsv",
    "tenth blind probe, round 14 (commands_probe10.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe10.tsv",
    "eleventh blind probe, round 14 (commands_probe11.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe11.tsv",
    "twelfth blind probe, round 14 (commands_probe12.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe12.tsv",
    "thirteenth blind probe, round 14 (commands_probe13.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe13.tsv",
    "fourteenth blind probe, round 14 (commands_probe14.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe14.tsv",
    "fifteenth blind probe, round 15 (commands_probe15.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe15.tsv",
    "sixteenth blind probe, round 15 (commands_probe16.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe16.tsv",
    "seventeenth blind probe, round 15 (commands_probe17.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe17.tsv",
    "eighteenth blind probe, round 15 (commands_probe18.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe18.tsv",
    "nineteenth blind probe, round 15 (commands_probe19.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe19.tsv",
    "twentieth blind probe, round 16 (commands_probe20.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe20.tsv",
    "twenty-first blind probe, round 16 (commands_probe21.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe21.tsv",
    "twenty-second blind probe, round 16 (commands_probe22.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe22.tsv",
    "twenty-third blind probe, round 17 (commands_probe23.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe23.tsv",
    "twenty-fourth blind probe, round 17 (commands_probe24.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe24.tsv",
    "twenty-fifth blind probe, round 17 (commands_probe25.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe25.tsv",
    "twenty-sixth blind probe, round 17 (commands_probe26.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe26.tsv",
    "twenty-seventh blind probe, round 17 (commands_probe27.tsv)": ROOT
    / "benchmarks"
    / "corpora"
    / "commands_probe27.tsv",
}
DECISIONS = ("allow", "approve", "deny")
TARGET_ACCURACY = 97.0

Row = tuple[str, str, str]  # expected, class, command


def load(path: Path) -> list[Row]:
    """The corpus rows (comment lines start with '#')."""
    rows: list[Row] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expected, cls, command = line.split("\t", 2)
        # "approve|deny": either is right (a probe's label where both are defensible).
        if not set(expected.split("|")) <= set(DECISIONS):
            raise SystemExit(f"{path.name}: bad decision {expected!r}")
        rows.append((expected, cls, command))
    return rows


def evaluate(name: str, rows: list[Row], show_misses: bool) -> bool:
    """Print the figures of one corpus; True when its targets are met."""
    matrix: Counter[tuple[str, str]] = Counter()
    per_class: dict[str, list[int]] = {}
    misses: list[tuple[str, str, str, str]] = []
    for labels, cls, command in rows:
        verdict = classify_command(command)
        accepted = labels.split("|")
        # An "either" label counts on the row of the decision given when that is right, else
        # on the row of its most severe choice.
        expected = verdict.decision if verdict.decision in accepted else accepted[-1]
        matrix[(expected, verdict.decision)] += 1
        hits = per_class.setdefault(cls, [0, 0])
        hits[1] += 1
        if verdict.decision == expected:
            hits[0] += 1
        else:
            misses.append((expected, verdict.decision, command, verdict.reason))
    correct = sum(matrix[(d, d)] for d in DECISIONS)
    accuracy = 100.0 * correct / len(rows)
    dangerous = matrix[("deny", "allow")] + matrix[("approve", "allow")]
    print(f"\n== {name}: {len(rows)} commands")
    print(
        f"accuracy {correct}/{len(rows)} = {accuracy:.1f} %   not-allow-expected classified allow: "
        f"{dangerous} (deny-expected: {matrix[('deny', 'allow')]})"
    )
    print("confusion (rows expected, columns classified):")
    print(f"{'':>10}" + "".join(f"{d:>9}" for d in DECISIONS))
    for expected in DECISIONS:
        cells = "".join(f"{matrix[(expected, got)]:>9}" for got in DECISIONS)
        print(f"{expected:>10}{cells}")
    print("per class: " + ", ".join(f"{c} {h[0]}/{h[1]}" for c, h in sorted(per_class.items())))
    if show_misses:
        for expected, got, command, reason in misses:
            print(f"  miss: expected {expected}, got {got}: {command!r} -- {reason}")
    return dangerous == 0 and accuracy >= TARGET_ACCURACY


def one_pass(func: Callable[[str], object], commands: list[str]) -> float:
    """Wall time of one pass of ``func`` over ``commands``, in seconds."""
    paths.secret_reason.cache_clear()  # every pass starts cold, like a fresh process
    started = time.perf_counter()
    for command in commands:
        func(command)
    return time.perf_counter() - started


def best_of(runs: int, commands: list[str]) -> tuple[float, float]:
    """Best times of the baseline and of the classifier, passes interleaved so that both
    see the same machine load."""
    baseline = ours = float("inf")
    for _ in range(runs):
        baseline = min(baseline, one_pass(parse_only, commands))
        ours = min(ours, one_pass(classify_command, commands))
    return baseline, ours


def parse_only(command: str) -> object:
    """The baseline: bashlex's parse alone (what any bashlex-based classifier pays)."""
    try:
        return bashlex.parse(command)
    except Exception:  # noqa: BLE001 - unparsable commands cost what they cost
        return None


_TIMER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from gitgate.safety.classify import classify_command
commands = sys.stdin.read().split("\\0")
for c in commands: classify_command(c)
t = time.process_time()
for c in commands: classify_command(c)
print(time.process_time() - t)
"""


def compare_checkouts(other_src: str, commands: list[str], runs: int) -> None:
    """CPU time of this tree's classifier against another checkout's, alternating child
    processes (the machine's noise hits both alike); prints each ratio and the median."""
    here = str(ROOT / "src")
    payload = "\0".join(commands)
    ratios: list[float] = []
    for _ in range(max(runs, 3)):
        times = {}
        for src in (other_src, here):
            out = subprocess.run(
                [sys.executable, "-c", _TIMER, src],
                input=payload,
                capture_output=True,
                text=True,
                check=True,
            )
            times[src] = float(out.stdout.strip())
        ratios.append(times[here] / times[other_src])
    shown = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"this tree / {other_src}: {statistics.median(ratios):.2f} (runs: {shown})")


def main() -> int:
    """Print both corpora's figures and the speed comparison; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument(
        "--baseline",
        metavar="SRC",
        help="also time another checkout's classifier (its src/) on the same commands, "
        "interleaved in child processes, and print the ratio",
    )
    options = parser.parse_args()
    corpora = {name: load(path) for name, path in CORPORA.items()}
    met = [evaluate(name, rows, options.misses) for name, rows in corpora.items()]
    commands = [command for rows in corpora.values() for _, _, command in rows]
    classify_command("ls")  # load the tables and bashlex's parser tables once
    baseline, ours = best_of(options.runs, commands)
    per = 1e6 / len(commands)
    print(f"\n== speed over {len(commands)} commands, best of {options.runs} runs")
    print(f"bashlex.parse alone : {baseline * per:8.1f} us per command")
    print(f"classify_command    : {ours * per:8.1f} us per command")
    print(f"ratio               : {ours / baseline:8.2f}x")
    if options.baseline:
        compare_checkouts(options.baseline, commands, options.runs)
    ok = all(met)
    print(
        f"\ntargets (0 deny-expected allowed, accuracy >= {TARGET_ACCURACY:g} % on each): "
        + ("met" if ok else "MISSED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
