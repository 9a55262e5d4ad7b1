"""Deferred stdlib modules: a stand-in until first use, then exactly the real module."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitgate import deferred

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on sys.path for throw-away modules; they are forgotten afterwards."""
    sys.path.insert(0, str(tmp_path))
    before = set(sys.modules)
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            del sys.modules[name]


def _write_counting_module(directory: Path, name: str) -> Path:
    """A module that appends a line to a file each time its body runs."""
    runs = directory / f"{name}.runs"
    (directory / f"{name}.py").write_text(
        f"with open({str(runs)!r}, 'a') as f:\n"
        "    f.write('ran\\n')\n"
        "VALUE = 42\n"
        "def double(x):\n"
        "    return 2 * x\n"
    )
    return runs


def test_the_module_runs_at_first_attribute_read_and_is_then_the_real_one(
    module_dir: Path,
) -> None:
    runs = _write_counting_module(module_dir, "gg_deferred_a")
    deferred.defer("gg_deferred_a")
    import gg_deferred_a  # type: ignore[import-not-found]

    assert deferred.is_deferred("gg_deferred_a")
    assert not runs.exists()  # importing the stand-in ran nothing
    assert gg_deferred_a.double(21) == gg_deferred_a.VALUE == 42
    assert runs.read_text() == "ran\n"
    real = sys.modules["gg_deferred_a"]
    assert real is not gg_deferred_a and real.__file__ == str(module_dir / "gg_deferred_a.py")
    assert not deferred.is_deferred("gg_deferred_a")
    # the stand-in holds what the real module holds; a later import gets the real one
    assert gg_deferred_a.double is real.double
    import gg_deferred_a as again

    assert again is real
    with pytest.raises(AttributeError):
        _ = gg_deferred_a.missing
    assert runs.read_text() == "ran\n"  # ran once


def test_an_imported_module_is_left_alone(module_dir: Path) -> None:
    _write_counting_module(module_dir, "gg_deferred_b")
    import gg_deferred_b  # type: ignore[import-not-found]

    deferred.defer("gg_deferred_b")
    assert sys.modules["gg_deferred_b"] is gg_deferred_b
    assert not deferred.is_deferred("gg_deferred_b")


def test_a_missing_module_fails_at_first_use_as_its_import_would(module_dir: Path) -> None:
    deferred.defer("gg_deferred_nowhere")
    import gg_deferred_nowhere  # type: ignore[import-not-found]

    with pytest.raises(ModuleNotFoundError):
        _ = gg_deferred_nowhere.anything


def test_threads_racing_to_first_use_run_the_module_once(module_dir: Path) -> None:
    runs = _write_counting_module(module_dir, "gg_deferred_c")
    deferred.defer("gg_deferred_c")
    import gg_deferred_c  # type: ignore[import-not-found]

    start = threading.Barrier(8)
    results: list[int] = []

    def use() -> None:
        start.wait()
        results.append(gg_deferred_c.double(1))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [2] * 8
    assert runs.read_text() == "ran\n"


# In a fresh interpreter without site (as the hook starts), inspect stays a stand-in until a
# class without a docstring makes dataclasses use it; then everything is the real module.
_FRESH = r"""
import sys
import gitgate, gitgate.server.hook
from gitgate import deferred
assert deferred.is_deferred("inspect"), "inspect loaded at start"
assert deferred.is_deferred("copy"), "copy loaded at start"
import dataclasses
@dataclasses.dataclass
class Undocumented:
    a: int
    b: list = dataclasses.field(default_factory=list)
assert Undocumented.__doc__ == "Undocumented(a: int, b: list = <factory>)", Undocumented.__doc__
assert not deferred.is_deferred("inspect")
import inspect
assert inspect is sys.modules["inspect"] and inspect.signature(Undocumented)
assert dataclasses.asdict(Undocumented(1, [[2]])) == {"a": 1, "b": [[2]]}
assert not deferred.is_deferred("copy")
print("ok")
"""


def test_a_fresh_hook_interpreter_defers_and_then_loads_the_real_modules() -> None:
    proc = subprocess.run(
        [sys.executable, "-S", "-c", _FRESH],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
