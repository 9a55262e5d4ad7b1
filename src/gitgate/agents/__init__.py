"""Ways for AI agents to reach the gate directly, without shelling out to the CLI.

* :mod:`gitgate.agents.tools`: the gated agent tools (propose, run, inspect, read) over the
  public :class:`~gitgate.workflow.Gate` API, with the actor fixed once. No MCP here.
* :mod:`gitgate.agents.mcp`: ``gitgate mcp``, those tools as an MCP server over stdio (needs the
  optional ``mcp`` package: ``pip install 'gitgate-approvals[mcp]'``).
"""
