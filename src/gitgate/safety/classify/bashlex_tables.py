"""Import bashlex without rebuilding its parser tables: they are loaded from a file.

bashlex builds its LALR tables with its copy of PLY at every import (``yacc.yacc()`` at the
bottom of ``bashlex/parser.py``): ~90 ms, most of ``gitgate classify``'s start-up. The tables
are a pure function of the grammar and of the generator, so :func:`import_bashlex` swaps
``yacc.yacc`` for the duration of the import with one that loads them, when they were built
for exactly this grammar and this ``yacc.py``:

* the key is a SHA-256 over yacc.py's bytes and the grammar PLY reflects from the module
  (start symbol, tokens, precedence, every production with its action's name, in order), so
  any other bashlex version, or an edited one, misses;
* the tables come from ``gitgate/safety/data/bashlex_tables.json``, shipped with gitgate, or from
  the user's cache (``$XDG_CACHE_HOME/gitgate``), written on a miss and trusted only when it
  is a regular file owned by this user and writable by nobody else (it steers the parser,
  so it gets the care of code);
* on a miss, on a malformed file, or if bashlex's internals are not what this expects, the
  original ``yacc.yacc`` builds the tables as it always did. Correctness never depends on
  the file; a test compares loaded tables with rebuilt ones.

JSON, not pickle: loading a file must never run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

FORMAT = 1
PACKAGED = Path(__file__).resolve().parent.parent / "data" / "bashlex_tables.json"

#: Where the tables of the last import came from: "packaged", "cache" or "built".
source: str | None = None

_lock = threading.Lock()

Tables = dict[str, Any]


def import_bashlex() -> ModuleType:
    """``import bashlex``, its parser tables loaded rather than rebuilt whenever possible."""
    loaded = sys.modules.get("bashlex.parser")
    if loaded is not None:
        return sys.modules["bashlex"]
    with _lock:
        if "bashlex.parser" not in sys.modules:
            _import_with_tables()
    return sys.modules["bashlex"]


def _import_with_tables() -> None:
    """Import bashlex with ``yacc.yacc`` swapped for :func:`_from_tables` during the import.

    bashlex's ``__init__`` imports its parser at once, so the package module is made from
    its spec first and ``bashlex.yacc`` imported into it, before ``__init__`` runs.
    """
    global source
    import importlib.util

    try:
        spec = importlib.util.find_spec("bashlex")
        if spec is None or spec.loader is None:
            raise ImportError("bashlex not found")
        package = importlib.util.module_from_spec(spec)
        sys.modules["bashlex"] = package
        import bashlex.yacc as yacc

        original = yacc.yacc
        yacc.yacc = _from_tables(yacc, original)
        try:
            spec.loader.exec_module(package)  # bashlex/__init__: parser.py calls yacc.yacc()
        finally:
            yacc.yacc = original
    except Exception:  # noqa: BLE001 - whatever went wrong, bashlex's own way decides
        for name in [n for n in sys.modules if n == "bashlex" or n.startswith("bashlex.")]:
            del sys.modules[name]
        source = "built"
        import bashlex  # noqa: F401


def _from_tables(yacc: ModuleType, original: Callable[..., Any]) -> Callable[..., Any]:
    """A stand-in for ``yacc.yacc``: the tables from a file when they match, else built."""

    def from_tables(*args: Any, **kwargs: Any) -> Any:
        global source
        caller = sys._getframe(1).f_globals
        module = sys.modules.get(str(caller.get("__name__")))
        if args or module is None or set(kwargs) - {"outputdir", "debug"}:
            source = "built"  # not the call bashlex 0.18 makes: build as it asks
            if len(args) < 3 and module is not None:  # yacc(method, debug, module, ...)
                kwargs.setdefault("module", module)  # (this frame now sits between them)
            return original(*args, **kwargs)
        try:
            key, pinfo = _grammar_key(yacc, module)
        except Exception:  # noqa: BLE001 - bashlex's internals moved: build as usual
            source = "built"
            return original(module=module, **kwargs)
        for where, tables in (("packaged", _read(PACKAGED)), ("cache", _read_cache(key))):
            if tables is not None and tables.get("key") == key:
                try:
                    parser = _parser_from(yacc, tables, pinfo, module)
                except Exception:  # noqa: BLE001 - malformed: try the next, or build
                    continue
                source = where
                return parser
        source = "built"
        parser = original(module=module, **kwargs)
        _write_cache(key, tables_of(parser, key))
        return parser

    return from_tables


def _grammar_key(yacc: ModuleType, module: ModuleType) -> tuple[str, Any]:
    """The key of the tables for this grammar and generator, and PLY's view of the grammar."""
    pdict = {name: getattr(module, name) for name in dir(module)}
    pinfo = yacc.ParserReflect(pdict, log=yacc.NullLogger())
    pinfo.get_all()
    if pinfo.error or pinfo.error_func is None:
        raise ValueError("grammar not reflected")
    grammar = [[func, name, list(syms)] for func, (_f, _l, name, syms) in pinfo.grammar]
    described = json.dumps(
        {
            "format": FORMAT,
            "yacc": hashlib.sha256(Path(str(yacc.__file__)).read_bytes()).hexdigest(),
            "start": pinfo.start,
            "tokens": list(pinfo.tokens),
            "precedence": [list(p) for p in pinfo.prec or ()],
            "grammar": grammar,
        },
        sort_keys=True,
    )
    return hashlib.sha256(described.encode()).hexdigest(), pinfo


def tables_of(parser: Any, key: str) -> Tables:
    """The tables of a built parser, as JSON data (state numbers as list positions)."""
    states = len(parser.action)
    return {
        "key": key,
        "productions": [[p.name, list(p.prod), p.func, p.prec] for p in parser.productions],
        "action": [dict(parser.action[state]) for state in range(states)],
        "goto": [dict(parser.goto.get(state, {})) for state in range(states)],
    }


def _parser_from(yacc: ModuleType, tables: Tables, pinfo: Any, module: ModuleType) -> Any:
    """An ``LRParser`` over loaded tables, its actions bound to ``module``'s functions."""
    action, goto, rows = tables["action"], tables["goto"], tables["productions"]
    if not (isinstance(action, list) and isinstance(goto, list) and len(action) == len(goto)):
        raise ValueError("malformed tables")
    productions = []
    for number, (name, prod, func, prec) in enumerate(rows):
        production = yacc.Production(
            number, str(name), [str(s) for s in prod], tuple(prec), func and str(func)
        )
        if func is not None and not callable(getattr(module, str(func), None)):
            raise ValueError(f"no action {func!r}")
        production.bind(pinfo.pdict)
        productions.append(production)
    lrtab = SimpleNamespace(
        lr_productions=productions,
        lr_action={
            state: _ints(row, len(productions), len(action)) for state, row in enumerate(action)
        },
        lr_goto={state: _ints(row, 0, len(action)) for state, row in enumerate(goto)},
    )
    parser = yacc.LRParser(lrtab, pinfo.error_func)
    setattr(yacc, "parse", parser.parse)  # noqa: B010 - as yacc.yacc() leaves it
    return parser


def _ints(row: Any, productions: int, states: int) -> dict[str, int]:
    """One table row, checked: every entry a shift to a state or a reduce by a production."""
    if not isinstance(row, dict):
        raise ValueError("malformed row")
    for symbol, value in row.items():
        if not isinstance(symbol, str) or type(value) is not int:
            raise ValueError("malformed entry")
        if not (-productions <= value < states):
            raise ValueError("entry out of range")
    return dict(row)


def _read(path: Path) -> Tables | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def cache_path(key: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gitgate" / f"bashlex-tables-{key[:32]}.json"


def _read_cache(key: str) -> Tables | None:
    path = cache_path(key)
    try:
        info = os.lstat(path)
        parent = os.stat(path.parent)
    except (OSError, ValueError):
        return None
    if not _private(info) or not _private(parent, directory=True):
        return None  # someone else could have written it: build instead
    return _read(path)


def _private(info: os.stat_result, *, directory: bool = False) -> bool:
    import stat

    kind_ok = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    return kind_ok and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _write_cache(key: str, tables: Tables) -> None:
    """Best effort: a cache that cannot be written only costs the next start-up time."""
    path = cache_path(key)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".bashlex-tables-")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(tables, out)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError, TypeError):
        pass


def write_packaged() -> Path:
    """Build the tables of the installed bashlex and write them as gitgate's packaged file."""
    global PACKAGED
    real, PACKAGED = PACKAGED, Path(os.devnull)  # a miss: the tables are built
    previous = os.environ.get("XDG_CACHE_HOME")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["XDG_CACHE_HOME"] = tmp  # and written here by the miss
            import_bashlex()
            key = _key_of_loaded()
            data = _read(cache_path(key))
    finally:
        PACKAGED = real
        if previous is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = previous
    if source != "built" or data is None:
        raise RuntimeError("bashlex was already imported; run this in a fresh process")
    PACKAGED.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    return PACKAGED


def _key_of_loaded() -> str:
    import bashlex.parser
    import bashlex.yacc

    return _grammar_key(bashlex.yacc, bashlex.parser)[0]


# python -m gitgate.safety.classify.bashlex_tables: refresh the data file
if __name__ == "__main__":
    print(write_packaged())
