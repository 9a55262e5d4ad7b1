"""Standard modules imported at start-up for something we rarely use: loaded at first use.

``dataclasses`` imports ``inspect`` (with ``ast``, ``dis``, ``tokenize``: ~6 ms, a tenth of
the hook's whole Python cost) for one call, a docstring for a class that has none, and every
gitgate class has one. :func:`defer` puts a stand-in under the module's name that turns into
the real module the first time anything reads an attribute of it, so code that does use
``inspect`` works as before, and a process that never does never pays for it.

The stand-in is only put in place when the module is not imported yet; once loaded, the
real module is in ``sys.modules`` and the stand-in holds the same attributes, so the
importers that kept the stand-in see what the real module holds. Stdlib only: this runs
before any other gitgate module.
"""

from __future__ import annotations

import _thread
import sys
from types import ModuleType

_LOCK = _thread.allocate_lock()
_loaded: set[str] = set()  # names whose stand-in took on the real module's attributes


class _Deferred(ModuleType):
    """Stands in ``sys.modules`` for a module not loaded yet."""

    def __getattr__(self, attr: str) -> object:  # only for attributes it does not hold
        return getattr(_load(self), attr)


def defer(name: str) -> None:
    """Load the top-level module ``name`` only when an attribute of it is first read."""
    if name not in sys.modules:
        stand_in = _Deferred(name)
        stand_in.__spec__ = None  # the import system then takes it as loaded, not loading
        sys.modules[name] = stand_in


def is_deferred(name: str) -> bool:
    """Tell whether ``name`` is still a stand-in, not loaded yet."""
    return isinstance(sys.modules.get(name), _Deferred) and name not in _loaded


def _load(stand_in: _Deferred) -> ModuleType:
    name = stand_in.__name__
    with _LOCK:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        real = __import__(name)
        if name not in _loaded:
            # Importers that hold the stand-in (``dataclasses.inspect``) now find every
            # attribute on it directly; the real module's functions keep their own globals.
            vars(stand_in).update(vars(real))
            _loaded.add(name)
    return real
