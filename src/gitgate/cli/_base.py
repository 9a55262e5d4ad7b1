"""The click group, shared options and the single error boundary of the CLI.

Command modules (``gitgate.cli.*``) register their commands on :data:`main`. They parse,
call the library, and print through :func:`emit`; they never catch errors themselves: the
boundary in :class:`GitgateGroup` maps every error to one message and an exit code.

The group is lazy: :data:`COMMANDS` names the module(s) defining each command, and a module
is imported only when its command runs. ``gitgate classify`` then never loads pygit2 or the
workflow, and ``gitgate --help`` lists every command from the short help kept here as data
(a test checks it against each command's real help).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from gettext import gettext as _
from typing import Any, TypeVar

import click

from gitgate.errors import ExitCode, GitgateError, environment_fault

F = TypeVar("F", bound=Callable[..., Any])

_JSON_FLAG = "gitgate_json"


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a top-level command is defined, and the short help ``gitgate --help`` shows."""

    modules: tuple[str, ...]  # imported in order; each registers its commands on `main`
    short_help: str  # the first paragraph of the command's help, as click would shorten it


_PROPOSALS = "gitgate.cli.proposals"
_HOOKS = "gitgate.cli.hook_cmds"
_SAFETY = "gitgate.cli.safety_cmds"
_BUNDLES = "gitgate.cli.bundle_cmds"

#: Every top-level command. `propose` also needs run_cmds, which adds `propose command`.
COMMANDS: dict[str, LazyCommand] = {
    "approve": LazyCommand(
        (_PROPOSALS,),
        "Approve proposals: each is merged into its target, or recorded failed on a conflict.",
    ),
    "audit": LazyCommand((_PROPOSALS,), "Read and verify the append-only audit log."),
    "check-path": LazyCommand(
        (_SAFETY,),
        "Check whether actors may write PATHs (git tree paths, relative, `/`-separated).",
    ),
    "classify": LazyCommand(
        (_SAFETY,), "Say whether a shell command would run now, never, or after approval."
    ),
    "demo": LazyCommand(
        ("gitgate.cli.demo_cmd",),
        "Walk the whole gitgate flow in a throw-away repository, with explanations.",
    ),
    "doctor": LazyCommand(
        ("gitgate.cli.doctor_cmd",),
        "Check and repair the repository against its journal (the audit log).",
    ),
    "export": LazyCommand(
        (_BUNDLES,), "Write a proposal's bundle for offline review and print its sha256."
    ),
    "fetch": LazyCommand(
        (_HOOKS,),
        "Fetch gitgate's refs from REMOTE and fold them in (audit, notes, pending branches).",
    ),
    "hook": LazyCommand(
        (_HOOKS,), "Server-side enforcement: the pre-receive hook (see docs/SERVER.md)."
    ),
    "init": LazyCommand(
        (_PROPOSALS,), "Set up gitgate: commit .gitgate.toml and start the audit log."
    ),
    "list": LazyCommand((_PROPOSALS,), "List proposals, oldest first."),
    "mcp": LazyCommand(
        ("gitgate.cli.mcp_cmd",), "Serve the gated agent tools to an MCP client over stdin/stdout."
    ),
    "propose": LazyCommand(
        (_PROPOSALS, "gitgate.cli.run_cmds"),
        "Propose a change; it waits on a pending branch until approved.",
    ),
    "redact": LazyCommand(
        ("gitgate.cli.redact_cmd",),
        "Print FILE (or stdin) with every secret replaced by [REDACTED:<kind>].",
    ),
    "reject": LazyCommand(
        (_PROPOSALS,), "Reject proposals, recording why. The commit stays under an archive ref."
    ),
    "review": LazyCommand(
        (_BUNDLES,), "Verify an exported bundle and show what it proposes; needs no repository."
    ),
    "run": LazyCommand(("gitgate.cli.run_cmds",), "Run a command through the gate."),
    "serve": LazyCommand(
        ("gitgate.cli.serve_cmd",), "Serve the review pages and the approvals JSON API."
    ),
    "show": LazyCommand(
        (_PROPOSALS,),
        "Show one proposal: metadata, status, history, and the diff of the exact commit (and"
        " tree) an approval would merge — computed from that commit, never from stored"
        " metadata. Approve exactly what you saw with `gitgate approve ID --commit SHA`.",
    ),
}


class GitgateGroup(click.Group):
    """A click group whose ``main`` is the one error boundary of gitgate.

    Its commands are loaded on first use (:data:`COMMANDS`); help lists them without loading.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = COMMANDS.get(cmd_name)
        # Every module of the command, not just the one that registered it: `propose` comes
        # from proposals.py and `propose command` from run_cmds.py, and a process that
        # imported proposals.py on its own (the MCP server, a test) must still get both.
        if lazy is not None and any(m not in sys.modules for m in lazy.modules):
            load_command_modules(cmd_name)
        freeze_imported_objects()
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, from :data:`COMMANDS` for commands not loaded yet (no imports)."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or click.Command(
                name, short_help=None, help=COMMANDS[name].short_help
            )
            if not command.hidden:
                rows.append((name, command))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section(_("Commands")):  # as click words it
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning every error into a message and an exit code."""
        try:
            return super().invoke(ctx)
        except GitgateError as err:
            _report_error(ctx, err)
            ctx.exit(int(err.exit_code))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(int(ExitCode.INTERRUPTED))
        except BrokenPipeError:
            # `gitgate list | head` closes the pipe early: not an error worth a traceback.
            _silence_stdout()
            ctx.exit(int(ExitCode.OK))
        except Exception as exc:  # noqa: BLE001 - this is the boundary
            fault = environment_fault(exc)
            if fault is not None:
                # The machine or the repository, not gitgate: a full disk, permissions, a
                # read-only mount, a corrupt object or ref. One error line, and a way back.
                _report_error(ctx, fault)
                ctx.exit(int(fault.exit_code))
            debug = (ctx.obj or {}).get("debug", False) if isinstance(ctx.obj, dict) else False
            if debug:
                traceback.print_exc()
            if _wants_json(ctx):
                click.echo(
                    json.dumps({"error": "internal", "message": f"{type(exc).__name__}: {exc}"})
                )
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo(
                "hint: this is a bug in gitgate; rerun with --debug and please report it",
                err=True,
            )
            ctx.exit(int(ExitCode.INTERNAL))
        return None


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _wants_json(ctx: click.Context) -> bool:
    sub = ctx
    while sub is not None:
        if sub.meta.get(_JSON_FLAG):
            return True
        sub = sub.parent  # type: ignore[assignment]
    # The flag is recorded on the innermost context, which may be gone by now.
    return bool(ctx.meta.get(_JSON_FLAG))


def _report_error(ctx: click.Context, err: GitgateError) -> None:
    if _wants_json(ctx):
        click.echo(json.dumps(err.to_json(), sort_keys=True))
    click.echo(f"error: {err.message}", err=True)
    if err.hint:
        click.echo(f"hint: {err.hint}", err=True)


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[_JSON_FLAG] = True
    return value


def json_option(func: F) -> F:
    """Add ``--json`` to a command; errors are then reported as JSON on stdout too."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        callback=_remember_json,
        expose_value=True,
        is_eager=True,
        help="Print machine-readable JSON instead of text (errors too).",
    )(func)


def emit(as_json: bool, payload: Any, text: str | Callable[[], str]) -> None:
    """Print ``payload`` as JSON, or ``text`` for people."""
    if as_json:
        click.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))
        return
    out = text() if callable(text) else text
    if out:
        click.echo(out)


def emit_json_line(payload: Any) -> None:
    """Print one compact JSON object on its own line (for streams)."""
    click.echo(json.dumps(payload, sort_keys=True, default=str))


@click.group(cls=GitgateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--repo",
    "repo",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Run as if gitgate was started in this directory (a repository or inside one).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.version_option(package_name="gitgate-approvals")
@click.pass_context
def main(ctx: click.Context, repo: str, debug: bool) -> None:
    """gitgate: every change an automated actor asks for waits for a human.

    Proposals live on pending branches, their redacted metadata in git notes, every decision in
    an append-only audit log ref. Start with `gitgate demo`, or `gitgate init` in a repository.
    """
    ctx.ensure_object(dict)
    ctx.obj["repo"] = repo
    ctx.obj["debug"] = debug
    if debug:
        import logging  # only for --debug: every other start skips it

        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")


def freeze_imported_objects() -> None:
    """Move everything made so far (modules, classes, tables: it all lives to the end) out of
    the garbage collector's reach, once per process.

    The collector otherwise walks those objects again at every full collection and at exit:
    ~15 ms of a short command like `gitgate list`, about a tenth of its start. Objects made
    afterwards are collected as usual; only the first call freezes (a process that runs many
    commands, like the test suite, pins one snapshot, not one per command).
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()


def load_command_modules(name: str) -> None:
    """Import the modules defining top-level command ``name``; they register it on main."""
    for module in COMMANDS[name].modules:
        importlib.import_module(module)
