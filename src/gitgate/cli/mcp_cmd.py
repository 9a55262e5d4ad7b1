"""CLI: ``gitgate mcp``, the agent tools as an MCP server over stdio.

The MCP SDK is imported only when the command runs, so ``gitgate --help`` and every other
command stay as fast as before and work without the optional ``mcp`` package.
"""

from __future__ import annotations

import click

from gitgate.cli._base import main
from gitgate.errors import GitgateError


@main.command("mcp")
@click.option(
    "--actor",
    required=True,
    metavar="ID",
    help="The agent's identity, fixed for the server's life (never an approver's).",
)
@click.option("--target", metavar="BRANCH", help="Target branch (default: the first protected).")
@click.pass_context
def mcp_cmd(ctx: click.Context, actor: str, target: str | None) -> None:
    """Serve the gated agent tools to an MCP client over stdin/stdout.

    Tools: apply_patch, write_file, create_file, delete_file (each makes a proposal that waits
    for a human), run_command (allowed diagnostics run now, others become proposals, denied
    commands are refused), get_proposal, list_proposals, read_file, list_files. Resources:
    gitgate://proposal/<id> and gitgate://audit. Nothing approves, rejects or changes the policy.

    Run one server per agent identity; the server refuses to start if ACTOR is an approver.
    An MCP client starts it as: gitgate -C REPO mcp --actor agent@bots.example
    """
    try:
        from gitgate.agents.mcp import serve
    except ImportError as err:
        if (err.name or "").split(".")[0] not in ("mcp", "mcp_types", "pydantic"):
            raise
        raise GitgateError(
            "`gitgate mcp` needs the MCP Python SDK (the `mcp` package, 2.x)",
            hint="pip install 'gitgate-approvals[mcp]'",
        ) from err
    root = ctx.find_root().obj
    serve(root["repo"], actor, target, debug=root["debug"])
