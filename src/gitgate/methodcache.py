"""Dataclass methods compiled once and kept beside gitgate's bytecode (start-up, issue 14).

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__`` as source text and compiles it with ``exec``. Compiling is
what costs: ~0.6 ms a class, about 20 ms of every gitgate start (35 classes for ``gitgate
list``, 31 for the pre-receive hook), more than all of gitgate's own module bodies.

:func:`install` hands ``dataclasses`` an ``exec`` that, for gitgate's own classes only (the
class's module is ``gitgate`` or below it), runs a code object compiled from the very same text
and kept in ``__pycache__/<module>.dataclasses.<tag>.bin``, keyed by that exact text: a class
whose generated text differs (a field added, another Python) simply misses and is compiled as
before. Nothing about the classes changes; only the compile is skipped. Dataclasses of every
other package go to the real ``exec`` untouched.

Trust: the file is a cache of the kind Python keeps for gitgate's ``.pyc`` files, in the same
directory, with the same permissions, written the same way (atomically, and never when writing
bytecode is off). Whoever can write it could already rewrite those ``.pyc`` files. A file that
is not exactly what this module writes (header, Python's bytecode magic, a dict of text to code)
is ignored. A directory the users who run gitgate may not write (a root-owned install) is
warmed by ``gitgate hook install``, or ``python -c "import gitgate.methodcache as m; m.warm()"``.
"""

from __future__ import annotations

import builtins
import dataclasses
import marshal
import os
import sys
from types import CodeType

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import Any

_HEADER = b"gitgate dataclass methods 1\n"
_MAGIC: bytes | None = None
_OWN = "gitgate"

_directory: str | None = None
_modules: dict[str, dict[str, CodeType]] = {}  # module name -> its file's texts and code
_used: dict[str, dict[str, CodeType]] = {}  # module name -> the texts its classes had here
_fresh: set[str] = set()  # modules with code compiled here that their file does not hold
_save_registered = False


def default_directory() -> str | None:
    """Where the cache lives: where Python keeps gitgate's bytecode (its ``__pycache__``, or
    the mirror of its directory under ``PYTHONPYCACHEPREFIX``).

    None (no cache) when Python names no cache tag: then every start compiles, as without
    this module.
    """
    if sys.implementation.cache_tag is None:
        return None
    package = os.path.dirname(os.path.abspath(__file__))
    if sys.pycache_prefix:
        return os.path.join(sys.pycache_prefix, package.lstrip(os.sep))
    return os.path.join(package, "__pycache__")


def cache_file(directory: str, module: str) -> str:
    """The file holding ``module``'s methods (one per module: a start reads only its own)."""
    return os.path.join(directory, f"{module}.dataclasses.{sys.implementation.cache_tag}.bin")


def install(directory: str | None = None) -> None:
    """Serve gitgate's dataclass methods from ``directory`` (default: :func:`default_directory`)."""
    global _directory
    _directory = directory if directory is not None else default_directory()
    _modules.clear()
    _used.clear()
    _fresh.clear()
    if _directory is not None:
        dataclasses.exec = _exec  # type: ignore[attr-defined]  # read by dataclasses' _create_fn


def uninstall() -> None:
    """Give ``dataclasses`` back the builtin ``exec`` (tests compare with and without)."""
    if getattr(dataclasses, "exec", None) is _exec:
        del dataclasses.exec  # type: ignore[attr-defined]


def _own_module(namespace: object) -> str | None:
    """The gitgate module whose globals these are, or None for anyone else's."""
    if not isinstance(namespace, dict):
        return None
    name = namespace.get("__name__")
    if isinstance(name, str) and (name == _OWN or name.startswith(_OWN + ".")):
        return name
    return None


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    """``exec`` as dataclasses calls it, with gitgate's method texts compiled at most once."""
    if not isinstance(source, str):
        return builtins.exec(source, globals, locals)
    module = _own_module(globals)
    if module is None:
        # Compiled here, not by exec: exec would compile the text with this module's
        # __future__ flags, and `annotations` would turn every annotation of the methods
        # (`a: _type_a`) into a string where dataclasses' own exec gives the type.
        return builtins.exec(_compile(source), globals, locals)
    return builtins.exec(compiled(source, module), globals, locals)


def compiled(source: str, module: str) -> CodeType:
    """``source``, code that gitgate's module ``module`` generates (a dataclass method, a
    record builder), compiled as dataclasses compiles it: from the module's cache file when
    it holds this very text, else compiled now and kept for the file."""
    if _directory is None:
        return _compile(source)
    codes = _codes_of(module)
    code = codes.get(source)
    if code is None:
        code = codes[source] = _compile(source)
        _note_fresh(module)
    _used.setdefault(module, {})[source] = code
    return code


def _compile(source: str) -> CodeType:
    """The text compiled exactly as dataclasses' own ``exec`` compiles it (that module has no
    ``__future__`` imports; this one has ``annotations``: hence ``dont_inherit``)."""
    return compile(source, "<string>", "exec", dont_inherit=True)


def _note_fresh(module: str) -> None:
    global _save_registered
    _fresh.add(module)
    if not _save_registered:
        import atexit

        atexit.register(save)
        _save_registered = True


def _codes_of(module: str) -> dict[str, CodeType]:
    codes = _modules.get(module)
    if codes is None:
        assert _directory is not None
        codes = _modules[module] = _read(cache_file(_directory, module))
    return codes


def _magic() -> bytes:
    """The header of every cache file: ours, then Python's bytecode magic (computed once)."""
    global _MAGIC
    if _MAGIC is None:
        # importlib.util's MAGIC_NUMBER is this one; importing importlib.util is ~1 ms more.
        bootstrap = sys.modules.get("_frozen_importlib_external")
        magic = getattr(bootstrap, "MAGIC_NUMBER", None)
        if not isinstance(magic, bytes):
            from importlib.util import MAGIC_NUMBER

            magic = MAGIC_NUMBER
        _MAGIC = _HEADER + magic
    return _MAGIC


def _read(path: str) -> dict[str, CodeType]:
    """The cache at ``path``, or nothing when it is missing or not exactly what we write."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    magic = _magic()
    if not data.startswith(magic):
        return {}
    try:
        loaded = marshal.loads(data[len(magic) :])
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, CodeType)}


def save(*, force: bool = False) -> int:
    """Write the methods compiled in this process into their modules' files (atomically).

    A module's file holds the texts its classes had in this process (an edited class leaves no
    stale entry behind). Skipped when Python writes no bytecode (unless ``force``) or the
    directory cannot be written. Returns how many files were written.
    """
    if _directory is None or (sys.dont_write_bytecode and not force):
        return 0
    written = 0
    for module in sorted(_fresh):
        if _write(cache_file(_directory, module), _used[module]):
            written += 1
            _fresh.discard(module)
    return written


def _write(path: str, codes: dict[str, CodeType]) -> bool:
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(_magic() + marshal.dumps(codes))
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True


def warm() -> int:
    """Compile every gitgate dataclass now and write the cache, bytecode setting or not.

    For installs whose directory the users who run gitgate cannot write: run it once as the
    installing user (``gitgate hook install`` does). Returns how many files were written.
    """
    import importlib
    import pkgutil

    import gitgate

    for info in pkgutil.walk_packages(gitgate.__path__, "gitgate."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
    return save(force=True)
