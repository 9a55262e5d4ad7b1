"""The ``gitgate`` command line: a thin layer that parses, calls the library and prints.

Each submodule registers its commands on :data:`main`; importing them here is what makes the
commands exist.
"""

# Command modules register themselves on `main` when imported.
from gitgate.cli import (  # noqa: E402,F401  (imported for their side effect)
    bundle_cmds,
    demo_cmd,
    doctor_cmd,
    hook_cmds,
    mcp_cmd,
    proposals,
    redact_cmd,
    run_cmds,
    safety_cmds,
    serve_cmd,
)
from gitgate.cli._base import main

__all__ = ["main"]
