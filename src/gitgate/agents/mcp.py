"""``gitgate mcp``: the gated agent tools as an MCP server over stdio (official SDK, 2.x).

Only this module imports the ``mcp`` package, and only ``gitgate mcp`` imports this module, so
the rest of gitgate neither needs nor loads the SDK. The tools are
:class:`gitgate.agents.tools.AgentTools`; this module adds their descriptions and schemas and
the one boundary that turns every outcome into a tool result:

* success: structured content (an object) plus a one-line text summary;
* a refusal (:class:`~gitgate.errors.GitgateError`): a tool error (``isError``) whose text is
  the CLI's ``error:`` and ``hint:`` lines, and whose structured content is the CLI's ``--json``
  error object;
* a bug: a tool error naming the exception type, never a traceback.

Everything that leaves passes through :func:`gitgate.safety.redaction.redact`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal, NotRequired

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import (
    ResourceError,
    ResourceNotFoundError,
    ToolError,
    UnexpectedToolError,
)
from mcp_types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one below Python 3.12

from gitgate import __version__
from gitgate.agents.tools import AgentTools, ToolOutput, one_line, proposal_detail
from gitgate.errors import GitgateError, UnknownProposal
from gitgate.safety.redaction import redact, redact_data
from gitgate.workflow import Gate

log = logging.getLogger(__name__)

PROPOSAL_URI = "gitgate://proposal/{proposal_id}"
AUDIT_URI = "gitgate://audit"

INSTRUCTIONS = """\
gitgate is an approval gate on this Git repository. You act as {actor}; proposals target \
{target}.

- apply_patch, write_file, create_file and delete_file do NOT change the repository: each \
creates a proposal that waits until a human approves it. They return its id; follow it with \
get_proposal (status pending, then executed, failed or rejected).
- run_command runs read-only diagnostics at once; any other command becomes a proposal that \
waits for approval; destructive or secret-reading commands are denied, and a denied command \
will not be approved either.
- read_file and list_files show the target branch as it is now. Sensitive files (.env, keys, \
secrets/ ...) and unsafe paths are never shown, and secrets are redacted everywhere.
- Nothing here approves, rejects or changes the policy: only people do that.
- A refusal is a tool error with an `error:` line and a `hint:` line saying what to do next.
"""

# -- argument types: their descriptions are what the model reads ------------------------------

PatchArg = Annotated[
    str, Field(description="A unified diff as `git diff` writes it (paths a/… and b/…).")
]
PathArg = Annotated[
    str, Field(description="Path of the file in the repository, relative, '/'-separated.")
]
ContentArg = Annotated[str, Field(description="The complete new content of the file (text).")]
MessageArg = Annotated[
    str, Field(description="Why: one line for the approver, more lines if needed.")
]
CommandArg = Annotated[str, Field(description="One shell command line, e.g. `git log -5`.")]
IdArg = Annotated[
    str, Field(description="A proposal id, or a unique prefix of at least 4 characters.")
]
StatusArg = Annotated[
    Literal["pending", "executed", "failed", "rejected"] | None,
    Field(description="Only proposals with this status (default: all)."),
]
RefArg = Annotated[
    str | None,
    Field(
        description="A branch name or a proposal id to read from (default: the target "
        "branch's tip)."
    ),
]
DirArg = Annotated[
    str | None, Field(description="A directory, relative (default: the whole repository).")
]


# -- result schemas (published as each tool's outputSchema) -------------------------------------


class Proposed(TypedDict):
    """A new proposal waiting for approval."""

    id: str
    status: str
    files: list[str]


class CommandResult(TypedDict):
    """``allow``: ran now (exit_code, output); ``approve``: a pending proposal (id, status)."""

    decision: str
    reason: str
    exit_code: NotRequired[int | None]
    output: NotRequired[str]
    timed_out: NotRequired[bool]
    id: NotRequired[str]
    status: NotRequired[str]


class ProposalDetail(TypedDict):
    """A proposal as recorded (redacted), with its diff."""

    id: str
    status: str
    kind: str
    message: str
    files: list[str]
    result: dict[str, Any]
    target: str
    requester: str
    created_at: str
    commit: str
    diff: str
    diff_truncated: bool
    command: NotRequired[str]


class ProposalRow(TypedDict):
    """One line of list_proposals."""

    id: str
    status: str
    kind: str
    message: str


class ProposalList(TypedDict):
    """Proposals, oldest first (a list is wrapped in ``result``, as the SDK does)."""

    result: list[ProposalRow]


class FileContent(TypedDict):
    """A file at a ref: redacted text, or nothing for a binary file."""

    path: str
    ref: str
    commit: str
    type: str
    size: int
    binary: bool
    truncated: bool
    redacted: bool
    content: str


class FileEntry(TypedDict):
    """One file in a listing: its path from the top and its type."""

    path: str
    type: str


class FileListing(TypedDict):
    """Files under a directory; those the path policy hides are only counted."""

    path: str
    ref: str
    commit: str
    names: list[str]
    entries: list[FileEntry]
    omitted: int
    truncated: bool


# -- the boundary ------------------------------------------------------------------------------


class InternalError(GitgateError):
    """Something failed that gitgate did not foresee (the CLI's exit 3)."""

    code = "internal"  # as in the CLI's --json error object


def tool_result(run: Callable[[], ToolOutput]) -> CallToolResult:
    """Run a tool and turn its outcome into a result; nothing escapes as an exception."""
    try:
        out = run()
    except GitgateError as err:
        return error_result(err)
    except Exception as exc:  # noqa: BLE001 - this is the tools' boundary
        log.debug("tool crashed", exc_info=True)
        log.error("internal error: %s", redact(one_line(f"{type(exc).__name__}: {exc}")))
        return error_result(
            InternalError(
                f"internal error: {type(exc).__name__}: {exc}",
                hint="this is a bug in gitgate; rerun `gitgate --debug mcp …` and please report it",
            )
        )
    return CallToolResult(
        content=[TextContent(type="text", text=out.summary)], structured_content=out.data
    )


def error_result(err: GitgateError) -> CallToolResult:
    """A refusal as a tool error: the CLI's ``error:``/``hint:`` lines and its JSON object."""
    # The message may quote what the agent sent (a path, a command, an id): redacted. A hint is
    # gitgate's own advice built only from constants, the policy and the operator's branch
    # names, never from tool arguments; it is passed as the CLI prints it, because the
    # redactor's assignment rule misreads advice such as "--allow-secret (this is audited)".
    message = redact(err.message)
    hint = err.hint or None
    text = f"error: {message}" + (f"\nhint: {hint}" if hint else "")
    data: dict[str, Any] = {"error": err.code, "message": message}
    if hint:
        data["hint"] = hint
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=data, is_error=True
    )


def _invalid_arguments(tool: str, err: ValidationError) -> GitgateError:
    # pydantic's own text quotes the rejected input, which may hold a secret: name only the
    # argument and the rule it broke.
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in err.errors()
    )
    return GitgateError(
        f"invalid arguments for {tool}: {problems}",
        hint="see the tool's input schema (tools/list) for its arguments",
    )


class GateServer(MCPServer[Any]):
    """MCPServer whose every tool error, argument mistakes included, is redacted and CLI-shaped."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        """Call a tool; an unknown tool or bad arguments become a refusal, not SDK text."""
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError as err:
            log.error("tool %s failed: %s", name, type(err.__cause__).__name__)
            return error_result(
                InternalError(
                    f"internal error in {name}",
                    hint="this is a bug in gitgate; rerun `gitgate --debug mcp …` and report it",
                )
            )
        except ToolError as err:
            if isinstance(err.__cause__, ValidationError):
                return error_result(_invalid_arguments(name, err.__cause__))
            tools = ", ".join(sorted(t.name for t in await self.list_tools()))
            return error_result(GitgateError(f"unknown tool {name[:64]!r}", hint=f"tools: {tools}"))


# -- the server ---------------------------------------------------------------------------------


def build_server(tools: AgentTools, *, debug: bool = False) -> GateServer:
    """The MCP server for ``tools``: nine tools and two resources."""
    target = Gate(tools.repo).context(tools.target).branch
    server = GateServer(
        name="gitgate",
        title="gitgate approval gate",
        version=__version__,
        instructions=INSTRUCTIONS.format(actor=tools.actor, target=target),
        log_level="DEBUG" if debug else "WARNING",
    )
    _add_propose_tools(server, tools)
    _add_run_tool(server, tools)
    _add_follow_tools(server, tools)
    _add_read_tools(server, tools)
    _add_resources(server, tools)
    return server


_PROPOSES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)
_READS = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_NOT_APPLIED = (
    " The change is NOT applied: it becomes a proposal that waits until a human approves it. "
    "Returns the proposal id; follow it with get_proposal (pending, then executed, failed or "
    "rejected). Unsafe or sensitive paths and content that looks like a secret are refused."
)


def _add_propose_tools(server: GateServer, tools: AgentTools) -> None:
    def apply_patch(
        patch: PatchArg, message: MessageArg = ""
    ) -> Annotated[CallToolResult, Proposed]:
        return tool_result(lambda: tools.apply_patch(patch, message))

    def write_file(
        path: PathArg, content: ContentArg, message: MessageArg = ""
    ) -> Annotated[CallToolResult, Proposed]:
        return tool_result(lambda: tools.write_file(path, content, message))

    def create_file(
        path: PathArg, content: ContentArg, message: MessageArg = ""
    ) -> Annotated[CallToolResult, Proposed]:
        return tool_result(lambda: tools.create_file(path, content, message))

    def delete_file(path: PathArg, message: MessageArg = "") -> Annotated[CallToolResult, Proposed]:
        return tool_result(lambda: tools.delete_file(path, message))

    described: list[tuple[Callable[..., CallToolResult], str]] = [
        (apply_patch, "Propose a change to one or more files as one unified diff."),
        (write_file, "Propose writing a file with new content (created or replaced)."),
        (create_file, "Propose creating a new file; refused if it already exists."),
        (delete_file, "Propose deleting a file; refused if it does not exist."),
    ]
    for fn, what in described:
        server.add_tool(fn, description=what + _NOT_APPLIED, annotations=_PROPOSES)


def _add_run_tool(server: GateServer, tools: AgentTools) -> None:
    def run_command(command: CommandArg) -> Annotated[CallToolResult, CommandResult]:
        return tool_result(lambda: tools.run_command(command))

    server.add_tool(
        run_command,
        description="Run a shell command through the gate, in the repository. Read-only "
        "diagnostics (ls, git status, cat of ordinary files, …) run at once: decision 'allow' "
        "with exit_code and the output (redacted, size and time bounded). Any other command is "
        "NOT run: decision 'approve' creates a proposal that runs it once only after a human "
        "approves it (follow it with get_proposal). Destructive or secret-reading commands are "
        "denied with an error; a denied command will not be approved either, so do not retry "
        "it in another form.",
        annotations=ToolAnnotations(destructive_hint=False, open_world_hint=False),
    )


def _add_follow_tools(server: GateServer, tools: AgentTools) -> None:
    def get_proposal(id: IdArg) -> Annotated[CallToolResult, ProposalDetail]:
        return tool_result(lambda: tools.get_proposal(id))

    def list_proposals(status: StatusArg = None) -> Annotated[CallToolResult, ProposalList]:
        return tool_result(lambda: tools.list_proposals(status))

    server.add_tool(
        get_proposal,
        description="Show one proposal: status (pending until a human decides; then executed, "
        "failed or rejected), kind, message, files, result (the merge commit, the error, the "
        "reason for a rejection, or a command's exit code and output) and the diff, redacted.",
        annotations=_READS,
    )
    server.add_tool(
        list_proposals,
        description="List proposals (everyone's), oldest first: id, status, kind, message. "
        "Give a status to see only those (e.g. pending).",
        annotations=_READS,
    )


def _add_read_tools(server: GateServer, tools: AgentTools) -> None:
    def read_file(path: PathArg, ref: RefArg = None) -> Annotated[CallToolResult, FileContent]:
        return tool_result(lambda: tools.read_file(path, ref))

    def list_files(
        path: DirArg = None, ref: RefArg = None
    ) -> Annotated[CallToolResult, FileListing]:
        return tool_result(lambda: tools.list_files(path, ref))

    server.add_tool(
        read_file,
        description="Read a file as it is on the target branch now (or at a branch or "
        "proposal given as ref). Secrets in it are redacted; sensitive files (.env, keys, "
        "secrets/, …) and unsafe paths are refused; binary files are not shown.",
        annotations=_READS,
    )
    server.add_tool(
        list_files,
        description="List every file under a directory (default: the whole repository) on "
        "the target branch now (or at ref), as paths from the top that read_file takes, with "
        "their type (file, symlink, submodule). Sensitive and unsafe paths are left out.",
        annotations=_READS,
    )


def _add_resources(server: GateServer, tools: AgentTools) -> None:
    @server.resource(
        PROPOSAL_URI,
        name="proposal",
        description="A proposal as recorded (redacted), with its diff, as JSON.",
        mime_type="application/json",
    )
    def proposal(proposal_id: str) -> str:
        def read(gate: Gate) -> ToolOutput:
            return ToolOutput("", proposal_detail(gate, gate.get(proposal_id)))

        return _json(lambda: tools.call(read).data)

    @server.resource(
        AUDIT_URI,
        name="audit",
        description="The append-only audit log, oldest first (redacted), as JSON.",
        mime_type="application/json",
    )
    def audit() -> str:
        return _json(tools.audit_log)


def _json(read: Callable[[], object]) -> str:
    try:
        data = read()
    except UnknownProposal as err:
        raise ResourceNotFoundError(_resource_message(err)) from None
    except GitgateError as err:
        raise ResourceError(_resource_message(err)) from None
    return json.dumps(redact_data(data), indent=1, sort_keys=True)


def _resource_message(err: GitgateError) -> str:
    return redact(err.message + (f" (hint: {err.hint})" if err.hint else ""))


def serve(repo: str, actor: str, target: str | None = None, *, debug: bool = False) -> None:
    """Check the identity, then serve the tools on stdin/stdout until the client hangs up.

    Raises:
        GitgateError: before serving, for any reason the tools could not start.
    """
    tools = AgentTools.start(repo, actor, target)
    build_server(tools, debug=debug).run("stdio")
