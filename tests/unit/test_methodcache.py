"""The dataclass method cache: the same classes, with or without it, and a bad file ignored."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitgate import methodcache

SRC = Path(__file__).resolve().parents[2] / "src"

# Every gitgate module imported; each dataclass's generated methods fingerprinted.
_FINGERPRINT = r"""
import importlib, json, pkgutil, re, sys, dataclasses
import gitgate, gitgate.methodcache as m
mode, directory = sys.argv[1], sys.argv[2]
if mode == "off":
    m.uninstall()
else:
    m.install(directory)
names = sorted(i.name for i in pkgutil.walk_packages(gitgate.__path__, "gitgate.")
               if not i.name.endswith("__main__"))
for name in names:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
def code_print(code):
    return [code.co_code.hex(), repr(code.co_consts), code.co_names, code.co_varnames,
            code.co_freevars, code.co_filename, code.co_name, code.co_flags]
out = {}
for name in names:
    module = sys.modules.get(name)
    for attr, cls in sorted(vars(module or object()).items()):
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)
                and cls.__module__ == name):
            continue
        methods = {}
        for meth in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
            fn = cls.__dict__.get(meth)
            fn = getattr(fn, "__wrapped__", fn)
            if fn is None or not hasattr(fn, "__code__"):
                continue
            cells = [re.sub(" at 0x[0-9a-f]+", "", repr(c.cell_contents))  # no addresses
                     for c in (fn.__closure__ or ())]
            methods[meth] = [code_print(fn.__code__), fn.__qualname__, repr(fn.__defaults__),
                             repr(fn.__kwdefaults__), cells, repr(fn.__annotations__)]
        out[f"{name}.{attr}"] = methods
if mode != "off":
    m.save(force=True)
print(json.dumps({"classes": out, "fresh": sorted(m._fresh)}))
"""


def _fingerprint(mode: str, directory: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _FINGERPRINT, mode, str(directory)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_every_gitgate_dataclass_gets_the_same_methods_cold_warm_and_without(
    tmp_path: Path,
) -> None:
    without = _fingerprint("off", tmp_path)
    cold = _fingerprint("on", tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    warm = _fingerprint("on", tmp_path)
    classes = without["classes"]
    assert isinstance(classes, dict) and len(classes) > 60  # the whole package, not a few
    assert cold["classes"] == classes
    assert warm["classes"] == classes
    assert any(name.startswith("gitgate.journal.records.") for name in files), files
    assert warm["fresh"] == []  # served from the files: nothing compiled again


@pytest.fixture
def cache_dir(tmp_path: Path) -> Iterator[Path]:
    """The cache pointed at an empty directory for one test, then put back as it was."""
    directory = tmp_path / "cache"
    methodcache.install(str(directory))
    try:
        yield directory
    finally:
        methodcache.install()


def _define(module_name: str, source: str) -> types.ModuleType:
    """Define dataclasses in a fresh module called ``module_name``, as an import would."""
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module
    try:
        # dont_inherit: the module is compiled as a file of its own, without our __future__s
        exec(compile(source, f"<{module_name}>", "exec", dont_inherit=True), module.__dict__)
    finally:
        del sys.modules[module_name]
    return module


POINT = """
from dataclasses import dataclass, field
@dataclass(frozen=True)
class Point:
    x: int
    y: int = 2
    tags: tuple[str, ...] = field(default_factory=tuple)
    def __post_init__(self):
        if self.x < 0:
            raise ValueError("negative")
"""


def _exercise(cls: type) -> list[object]:
    a, b = cls(1), cls(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.x = 3  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        cls(-1)
    return [repr(a), a == b, hash(a) == hash(b), a == cls(2), repr(cls(5, 6, ("t",)))]


def test_a_class_behaves_the_same_served_from_the_cache(cache_dir: Path) -> None:
    methodcache.uninstall()
    plain = _exercise(_define("gitgate.fake_plain", POINT).Point)
    methodcache.install(str(cache_dir))
    cold = _exercise(_define("gitgate.fake", POINT).Point)
    assert methodcache.save(force=True) == 1
    methodcache.install(str(cache_dir))  # a new process: the file is read back
    warm = _exercise(_define("gitgate.fake", POINT).Point)
    assert not methodcache._fresh  # nothing compiled: every method came from the file
    assert plain == [r.replace("fake", "fake_plain") if isinstance(r, str) else r for r in cold]
    assert cold == warm


def test_other_generated_code_is_kept_and_served_like_the_methods(cache_dir: Path) -> None:
    # records.positional_builder compiles a function per record class through this.
    text = "def build(v0, v1):\n    return (v1, v0)"
    first = methodcache.compiled(text, "gitgate.fake")
    assert methodcache.save(force=True) == 1
    methodcache.install(str(cache_dir))  # a new process: the file is read back
    again = methodcache.compiled(text, "gitgate.fake")
    assert not methodcache._fresh
    assert again.co_code == first.co_code and again.co_consts == first.co_consts
    scope: dict[str, object] = {}
    exec(again, scope)
    assert scope["build"](1, 2) == (2, 1)  # type: ignore[operator]


def test_other_packages_dataclasses_are_left_alone(cache_dir: Path) -> None:
    _define("somebody_else", POINT)
    assert methodcache.save(force=True) == 0
    assert not cache_dir.exists()


def test_other_packages_classes_get_exactly_what_dataclasses_gives_them(cache_dir: Path) -> None:
    # Their texts go to exec from our frame: compiled there, they would take this package's
    # `from __future__ import annotations` and get string annotations ('_type_x').
    methodcache.uninstall()
    plain = _define("somebody_else", POINT).Point
    methodcache.install(str(cache_dir))
    served = _define("somebody_else", POINT).Point
    assert served.__init__.__annotations__ == plain.__init__.__annotations__
    assert served.__init__.__annotations__["x"] is int
    assert (
        served.__doc__
        == plain.__doc__
        == "Point(x: int, y: int = 2, tags: tuple[str, ...] = <factory>)"
    )
    assert _exercise(served) == _exercise(plain)


def test_a_changed_class_misses_and_its_file_keeps_only_what_is_used(cache_dir: Path) -> None:
    _define("gitgate.fake", POINT)
    methodcache.save(force=True)
    path = Path(methodcache.cache_file(str(cache_dir), "gitgate.fake"))
    first = path.read_bytes()
    methodcache.install(str(cache_dir))
    changed = POINT.replace("    y: int = 2\n", "    y: int = 2\n    z: str = 'z'\n")
    cls = _define("gitgate.fake", changed).Point
    assert methodcache._fresh == {"gitgate.fake"}  # __init__, __repr__... differ: compiled
    assert repr(cls(1)) == "Point(x=1, y=2, z='z', tags=())"
    used = set(methodcache._used["gitgate.fake"])
    methodcache.save(force=True)
    assert path.read_bytes() != first
    kept = set(methodcache._read(str(path)))
    assert kept == used  # the old class's texts are gone
    assert len(kept) == 6  # __init__, __repr__, __eq__, __hash__, __setattr__, __delattr__


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a cache at all",
        b"gitgate dataclass methods 1\n" + b"\x00\x00\x00\x00",  # another Python's magic
        None,  # the right header, then bytes marshal cannot read
        "right header, a list",
    ],
)
def test_a_file_that_is_not_ours_is_ignored(cache_dir: Path, content: object) -> None:
    magic = methodcache._magic()
    if content is None:
        data = magic + b"\xff\xfe garbage"
    elif content == "right header, a list":
        import marshal

        data = magic + marshal.dumps(["def __create_fn__(): pass"])
    else:
        assert isinstance(content, bytes)
        data = content
    cache_dir.mkdir()
    path = Path(methodcache.cache_file(str(cache_dir), "gitgate.fake"))
    path.write_bytes(data)
    cls = _define("gitgate.fake", POINT).Point
    assert repr(cls(1)) == "Point(x=1, y=2, tags=())"
    assert methodcache._fresh == {"gitgate.fake"}
    assert methodcache.save(force=True) == 1
    assert path.read_bytes().startswith(magic)  # replaced by a good one


def test_no_file_is_written_when_python_writes_no_bytecode(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _define("gitgate.fake", POINT)
    assert methodcache.save() == 0
    assert not cache_dir.exists()
    assert methodcache.save(force=True) == 1  # warm() writes it anyway


def test_an_unwritable_directory_is_not_an_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    methodcache.install(str(blocked / "cache"))
    try:
        cls = _define("gitgate.fake", POINT).Point
        assert cls(3).x == 3
        assert methodcache.save(force=True) == 0
    finally:
        methodcache.install()


def test_the_cache_follows_python_s_bytecode_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    directory = methodcache.default_directory()
    package = os.path.dirname(os.path.abspath(methodcache.__file__))
    assert directory == str(tmp_path / "prefix") + package
