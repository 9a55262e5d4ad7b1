"""``gitgate classify`` and ``gitgate check-path``: the safety rules, from the command line.

Both commands are thin: they read their input, call :mod:`gitgate.safety.classify` or
:mod:`gitgate.safety.pathpolicy` through a small helper taking the rules as a parameter (so the
repository policy's extra rules can be passed in later), and print.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import click

from gitgate.cli._base import emit, emit_json_line, json_option, main
from gitgate.errors import ExitCode, GitgateError
from gitgate.safety.pathpolicy import PathVerdict, check_path, export_exclusion_reason

if TYPE_CHECKING:  # the classifier is imported by `classify` only: check-path starts lighter
    from gitgate.policy import Policy
    from gitgate.safety.classify import CommandRules, Verdict

# --------------------------------------------------------------------------------------------
# Helpers (the rules are parameters: the policy will supply them)
# --------------------------------------------------------------------------------------------


def classify_one(command: str, rules: CommandRules | None = None) -> Verdict:
    """Classify one command with the given rules (the baseline rules by default)."""
    from gitgate.safety.classify import CommandRules, classify_command

    return classify_command(command, rules if rules is not None else CommandRules())


def repo_policy(ctx: click.Context) -> Policy | None:
    """The policy of the repository gitgate runs in, or None outside a gitgate repository."""
    repo = ctx.find_root().obj["repo"]
    if not may_be_in_repository(repo):
        return None  # certainly no repository: answer without loading git (pygit2) at all
    # Read through git's plumbing, as Gate would read it with libgit2 (the same home branch
    # and file): a command classified inside a repository need not import pygit2.
    from gitgate.homepolicy import home_branch, policy_text
    from gitgate.policy import parse_policy
    from gitgate.store.gitread import GitReader

    try:
        with GitReader.open(repo) as store:
            text = policy_text(store, home_branch(store))
        return parse_policy(text.decode("utf-8", "replace")) if text is not None else None
    except GitgateError:
        return None


def may_be_in_repository(path: str) -> bool:
    """False only when git's discovery from ``path`` cannot find a repository.

    Discovery (``GitStore.open``) looks at ``path`` and each directory above it (of the path
    as given and of its real path) for a ``.git`` entry or a git directory, which always has
    a ``HEAD``. When none of them has either, there is no repository. Anything unsure (a
    path that does not exist, an unreadable directory, GIT_DIR set) answers True, and the
    caller then asks git itself: a wrong True costs time, a wrong False would drop the
    repository's policy.
    """
    if any(os.environ.get(name) for name in ("GIT_DIR", "GIT_COMMON_DIR", "GIT_WORK_TREE")):
        return True
    try:
        if not os.path.isdir(path):
            return True
        starts = {os.path.abspath(path), os.path.realpath(path)}
    except (OSError, ValueError):
        return True
    for start in starts:
        directory = start
        while True:
            if _holds(directory, ".git") or _holds(directory, "HEAD"):
                return True
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    return False


def _holds(directory: str, name: str) -> bool:
    """Whether ``directory`` has an entry ``name`` (True when that cannot be known)."""
    try:
        os.lstat(os.path.join(directory, name))
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, ValueError):
        return True
    return True


def policy_rules(ctx: click.Context) -> CommandRules:
    """Command rules: the baseline plus, inside a gitgate repository, the policy's own."""
    from gitgate.safety.classify import CommandRules, rules_for

    policy = repo_policy(ctx)
    return CommandRules() if policy is None else rules_for(policy)


def check_one(
    path: str,
    *,
    export: bool = False,
    extra_sensitive: Sequence[str] = (),
    extra_excludes: Sequence[str] = (),
) -> PathVerdict:
    """Check one path for writing, or with ``export`` for exportability."""
    if not export:
        return check_path(path, extra_sensitive=extra_sensitive)
    reason = export_exclusion_reason(path, extra_excludes=extra_excludes)
    return PathVerdict(path, reason is None, reason or "")


def _path_json(verdict: PathVerdict) -> dict[str, object]:
    return {"path": verdict.path, "safe": verdict.safe, "reason": verdict.reason}


def _path_text(verdict: PathVerdict) -> str:
    if verdict.safe:
        return f"ok  {verdict.path}"
    return f"refused  {verdict.path}: {verdict.reason}"


def _stdin_lines() -> Iterator[str]:
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


def _stdin_records(nul: bool) -> Iterator[str]:
    if not nul:
        yield from _stdin_lines()
        return
    data = sys.stdin.read()
    yield from (record for record in data.split("\0") if record)


# --------------------------------------------------------------------------------------------
# gitgate classify
# --------------------------------------------------------------------------------------------


@main.command(
    "classify",
    # `gitgate classify rm -rf x`: everything from the first word on is the command.
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@json_option
@click.argument("command", nargs=-1)
def classify_cmd(as_json: bool, command: tuple[str, ...]) -> None:
    """Say whether a shell command would run now, never, or after approval.

    COMMAND is one argument (quote it) or several joined with spaces; everything after
    the first word belongs to the command. With `-`, read one command per line from stdin
    and print one line each, `DECISION<TAB>REASON<TAB>COMMAND` (one JSON object per line
    with --json).

    Decisions: `allow` (read-only diagnostics, runs at once), `deny` (never runs), `approve`
    (a human decides). Exit status is 0 whatever the decision.

    \b
    Examples:
      gitgate classify 'docker logs --tail 50 web'
      gitgate classify --json -- rm -rf build
      printf 'ls\\nrm -rf /\\n' | gitgate classify -
    """
    if not command:
        raise GitgateError(
            "no command to classify",
            hint="pass the command as one quoted argument, or `-` to read lines from stdin",
        )
    from gitgate.safety.classify import to_json

    rules = policy_rules(click.get_current_context())
    if command == ("-",):
        for line in _stdin_lines():
            verdict = classify_one(line, rules)
            if as_json:
                emit_json_line(to_json(verdict))
            else:
                click.echo(f"{verdict.decision}\t{verdict.reason}\t{verdict.command}")
        return
    verdict = classify_one(" ".join(command), rules)
    emit(as_json, to_json(verdict), f"{verdict.decision}: {verdict.reason}")


# --------------------------------------------------------------------------------------------
# gitgate check-path
# --------------------------------------------------------------------------------------------


@main.command("check-path")
@json_option
@click.option(
    "--export",
    "export",
    is_flag=True,
    help="Check whether each path would go into an export bundle instead.",
)
@click.option("-z", "nul", is_flag=True, help="With `-`, paths on stdin are NUL-separated.")
@click.argument("paths", nargs=-1)
def check_path_cmd(as_json: bool, export: bool, nul: bool, paths: tuple[str, ...]) -> None:
    """Check whether actors may write PATHs (git tree paths, relative, `/`-separated).

    Refused are paths outside the repository, into `.git`, `.gitmodules`, look-alike tricks
    (case, Unicode, NTFS/HFS names, percent-encoding) and sensitive files (`.env`, keys,
    credentials). With --export, check whether each path would be exported instead.

    With `-`, read one path per line from stdin (NUL-separated with -z); --json then prints
    one object per line. Exit status is 1 if any path is refused, 0 otherwise.

    \b
    Examples:
      gitgate check-path src/app.py .env
      git ls-files -z | gitgate check-path --export -z -
    """
    if not paths:
        raise GitgateError(
            "no path to check", hint="pass paths as arguments, or `-` to read them from stdin"
        )
    from_stdin = paths == ("-",)
    if nul and not from_stdin:
        raise GitgateError("-z only applies to paths read from stdin", hint="add `-`")
    inputs = _stdin_records(nul) if from_stdin else iter(paths)
    policy = repo_policy(click.get_current_context())
    extra_sensitive = policy.sensitive_paths if policy else ()
    extra_excludes = (*policy.export_exclude, *policy.sensitive_paths) if policy else ()
    verdicts: list[PathVerdict] = []
    for path in inputs:
        verdict = check_one(
            path,
            export=export,
            extra_sensitive=extra_sensitive,
            extra_excludes=extra_excludes,
        )
        verdicts.append(verdict)
        if from_stdin:
            # Stream: paths from `git ls-files` can be many.
            if as_json:
                emit_json_line(_path_json(verdict))
            else:
                click.echo(_path_text(verdict))
    if not from_stdin:
        emit(
            as_json,
            [_path_json(verdict) for verdict in verdicts],
            lambda: "\n".join(_path_text(verdict) for verdict in verdicts),
        )
    if any(not verdict.safe for verdict in verdicts):
        click.get_current_context().exit(int(ExitCode.ERROR))
