"""gitgate: an approval gate for changes to Git repositories, kept inside Git itself.

The Python API mirrors the CLI::

    from gitgate import Gate
    gate = Gate("path/to/repo")
    p = gate.propose_write("README.md", "hello\\n", actor="agent@example.com")
    gate.approve(p.id, actor="alice@example.com")

Pure helpers are public too: :func:`redact`, :func:`check_path`, :func:`is_exportable`,
:func:`classify_command`.
"""

from __future__ import annotations

from gitgate import deferred

# dataclasses imports inspect (~6 ms) to write docstrings our classes already have, and copy
# (with weakref, ~1 ms) for deep copies in asdict/astuple, which the hook never makes.
deferred.defer("inspect")
deferred.defer("copy")

from gitgate import methodcache  # noqa: E402 - after the deferral: it imports dataclasses

methodcache.install()  # before any gitgate dataclass is defined

# typing.TYPE_CHECKING without importing typing (~4 ms of every start): see
# docs/ARCHITECTURE.md, "Start-up". mypy reads any name TYPE_CHECKING as true.
TYPE_CHECKING = False

__version__ = "0.1.0"

__all__ = [
    "Gate",
    "GitgateError",
    "Proposal",
    "AuditEntry",
    "redact",
    "find_secrets",
    "check_path",
    "is_exportable",
    "classify_command",
    "__version__",
]

# Imported lazily so that `python -m gitgate hook …` and the pure helpers start fast and do
# not load pygit2 before they need it.
_LAZY = {
    "Gate": ("gitgate.workflow", "Gate"),
    "GitgateError": ("gitgate.errors", "GitgateError"),
    "Proposal": ("gitgate.journal.records", "Proposal"),
    "AuditEntry": ("gitgate.journal.records", "AuditEntry"),
    "redact": ("gitgate.safety.redaction", "redact"),
    "find_secrets": ("gitgate.safety.redaction", "find_secrets"),
    "check_path": ("gitgate.safety.pathpolicy", "check_path"),
    "is_exportable": ("gitgate.safety.pathpolicy", "is_exportable"),
    "classify_command": ("gitgate.safety.classify", "classify_command"),
}

if TYPE_CHECKING:
    from typing import Any

    from gitgate.errors import GitgateError
    from gitgate.journal.records import AuditEntry, Proposal
    from gitgate.safety.classify import classify_command
    from gitgate.safety.pathpolicy import check_path, is_exportable
    from gitgate.safety.redaction import find_secrets, redact
    from gitgate.workflow import Gate


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'gitgate' has no attribute {name!r}")
