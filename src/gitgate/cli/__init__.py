"""The ``gitgate`` command line: a thin layer that parses, calls the library and prints.

Each submodule registers its commands on :data:`main` when imported. The group imports a
submodule only when one of its commands runs (``gitgate.cli._base.COMMANDS``), so a command
pays only for its own imports: ``gitgate classify`` never loads pygit2.
"""

from gitgate.cli._base import main

__all__ = ["main"]
