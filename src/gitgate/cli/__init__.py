"""The ``gitgate`` command line: a thin layer that parses, calls the library and prints.

Each submodule registers its commands on :data:`main`; importing them here is what makes the
commands exist.
"""

from gitgate.cli._base import main

# Command modules register themselves on `main` when imported.
from gitgate.cli import (  # noqa: E402,F401  (imported for their side effect)
    proposals,
    redact_cmd,
    safety_cmds,
)

__all__ = ["main"]
