"""Accuracy of gitgate's path policy on labelled path corpora.

Run from the repository root::

    python benchmarks/paths_accuracy.py [--show] [CORPUS.tsv ...]

Each corpus (default: ``benchmarks/corpora/paths_tune.tsv`` and the frozen
``benchmarks/corpora/paths_eval.tsv`` and ``paths_eval2.tsv``, round 7) is a TSV of ``path``, expected write verdict
(``safe``/``unsafe``), expected export (``yes``/``no``) and a note; a path written in double
quotes is a JSON string (for whitespace and other invisible characters). For each corpus it
prints:

* unsafe paths accepted by ``check_path`` (goal 0);
* safe paths refused by ``check_path`` (goal <= 2 %);
* paths expected out of an export that ``is_exportable`` lets through (goal 0);
* paths expected in an export that it leaves out.

Exits 1 when a goal is missed on any corpus. ``--show`` lists every miss.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from gitgate.safety.pathpolicy import check_path, export_exclusion_reason  # noqa: E402

CORPORA = ROOT / "benchmarks" / "corpora"
DEFAULT = (
    CORPORA / "paths_tune.tsv",
    CORPORA / "paths_eval.tsv",
    CORPORA / "paths_eval2.tsv",
    CORPORA / "paths_probe2.tsv",  # blind probe, scored once before its classes were added
    CORPORA / "paths_probe3.tsv",  # third blind probe (round 11), likewise
    CORPORA / "paths_probe4.tsv",  # fourth blind probe (round 12): over-refusal, likewise
    CORPORA / "paths_probe5.tsv",  # fifth blind probe (round 13): ecosystems, spellings
    CORPORA / "paths_probe6.tsv",  # sixth blind probe (round 14): stores, over-refusal traps
    CORPORA / "paths_probe7.tsv",  # seventh blind probe (round 14): home directories in repos
    CORPORA / "paths_probe8.tsv",  # eighth blind probe (round 15): operations trees
    CORPORA / "paths_probe9.tsv",  # ninth blind probe (round 15): application repositories
    CORPORA / "paths_probe10.tsv",  # tenth blind probe (round 16): dotfiles repositories
    CORPORA / "paths_probe11.tsv",  # eleventh blind probe (round 16): enterprise repositories
    CORPORA / "paths_probe12.tsv",  # twelfth blind probe (round 17): data and ML repositories
    CORPORA / "paths_probe13.tsv",  # thirteenth (round 17): embedded, games, app signing
    CORPORA / "paths_probe14.tsv",  # fourteenth (round 17): web sites, CMS, hosting
)
MAX_SAFE_REFUSED = 0.02


@dataclass(frozen=True)
class Case:
    """One labelled path."""

    path: str
    safe: bool
    exported: bool
    note: str


@dataclass(frozen=True)
class Score:
    """The misses of the path policy on one corpus."""

    cases: int
    unsafe: int
    safe: int
    unsafe_accepted: tuple[Case, ...]
    safe_refused: tuple[tuple[Case, str], ...]
    wrongly_exported: tuple[Case, ...]
    wrongly_excluded: tuple[tuple[Case, str], ...]

    @property
    def safe_refused_rate(self) -> float:
        """Share of the safe paths that were refused."""
        return len(self.safe_refused) / self.safe if self.safe else 0.0

    @property
    def met(self) -> bool:
        """Whether the issue's goals hold on this corpus."""
        return (
            not self.unsafe_accepted
            and not self.wrongly_exported
            and self.safe_refused_rate <= MAX_SAFE_REFUSED
        )


def load(path: Path) -> list[Case]:
    """Read a corpus file (see the module docstring for its format)."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#") or line.startswith("path\t"):
            continue
        fields = line.split("\t")
        if (
            len(fields) not in (4, 5)
            or fields[1] not in ("safe", "unsafe")
            or fields[2] not in ("yes", "no")
        ):
            raise ValueError(f"{path}:{number}: malformed line {line!r}")
        raw, verdict, exported = fields[:3]
        note = ": ".join(fields[3:])  # class, or class and source (probe 4)
        text = json.loads(raw) if raw.startswith('"') else raw
        cases.append(Case(text, verdict == "safe", exported == "yes", note))
    return cases


def score(cases: Sequence[Case]) -> Score:
    """Judge every case with ``check_path`` and ``export_exclusion_reason``."""
    unsafe_accepted: list[Case] = []
    safe_refused: list[tuple[Case, str]] = []
    wrongly_exported: list[Case] = []
    wrongly_excluded: list[tuple[Case, str]] = []
    for case in cases:
        verdict = check_path(case.path)
        if verdict.safe and not case.safe:
            unsafe_accepted.append(case)
        elif not verdict.safe and case.safe:
            safe_refused.append((case, verdict.reason))
        reason = export_exclusion_reason(case.path)
        if reason is None and not case.exported:
            wrongly_exported.append(case)
        elif reason is not None and case.exported:
            wrongly_excluded.append((case, reason))
    return Score(
        cases=len(cases),
        unsafe=sum(not case.safe for case in cases),
        safe=sum(case.safe for case in cases),
        unsafe_accepted=tuple(unsafe_accepted),
        safe_refused=tuple(safe_refused),
        wrongly_exported=tuple(wrongly_exported),
        wrongly_excluded=tuple(wrongly_excluded),
    )


def report(name: str, result: Score, *, show: bool) -> None:
    """Print one corpus's figures (and, with ``show``, every miss)."""
    print(
        f"{name}: {result.cases} paths ({result.unsafe} unsafe, {result.safe} safe): "
        f"unsafe accepted {len(result.unsafe_accepted)}, "
        f"safe refused {len(result.safe_refused)} ({result.safe_refused_rate:.1%}), "
        f"sensitive exported {len(result.wrongly_exported)}, "
        f"exportable excluded {len(result.wrongly_excluded)} -> "
        f"{'met' if result.met else 'MISSED'}"
    )
    if not show:
        return
    for case in result.unsafe_accepted:
        print(f"  unsafe accepted   {case.path!r}  ({case.note})")
    for case, reason in result.safe_refused:
        print(f"  safe refused      {case.path!r}: {reason}")
    for case in result.wrongly_exported:
        print(f"  exported          {case.path!r}  ({case.note})")
    for case, reason in result.wrongly_excluded:
        print(f"  excluded          {case.path!r}: {reason}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="*", type=Path, default=list(DEFAULT))
    parser.add_argument("--show", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    ok = True
    for corpus in args.corpora:
        result = score(load(corpus))
        report(corpus.name, result, show=args.show)
        ok = ok and result.met
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
