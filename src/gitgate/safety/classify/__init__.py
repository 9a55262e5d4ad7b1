"""Classify a shell command an actor wants to run: ``allow``, ``deny`` or ``approve``.

* ``allow``: read-only diagnostics (``git status``, ``docker ps``, ``cat README.md``) that may
  run at once: every part is a known read-only tool used in a read-only, bounded way, every
  file it can read is inside the repository and not sensitive, and nothing in it runs another
  program.
* ``deny``: never run: destructive commands, reading secrets (``.env``, ``~/.pgpass``,
  ``/etc/shadow``, ``$AWS_SECRET_ACCESS_KEY``, ``gh auth token``), options or environment that
  make a read-only tool run programs (``git -c core.pager=...``, ``PAGER=...``,
  ``find -exec``), decode-and-execute (``... | base64 -d | sh``, ``eval "$(...)"``).
* ``approve``: everything else; a human decides.

The command is parsed with a real shell parser (``bashlex``), never by prefix; see
:mod:`gitgate.safety.classify.walker`. The rule tables are data
(``gitgate/safety/data/commands.toml``, :mod:`gitgate.safety.classify.tables`); file names
inside the repository are judged by the shared sensitive-path catalogue
(:mod:`gitgate.safety.pathpolicy`). Anything the classifier does not understand, cannot
parse, or finds too big is ``approve``, or ``deny`` when a rough scan of
the text finds a deny rule. ``classify_command`` never raises and its work is bounded: input
is capped before parsing, recursion is depth-limited, and the parser runs under a hard bound
(:mod:`gitgate.safety.classify.parser`); a parse that hits it is ``approve``.

Known limits of bashlex, handled conservatively (``approve``): ``case``, ``[[ ]]``,
``$(( ))``, ``select``, ``coproc``, ``time`` as a reserved word, arrays and here-documents
with a quoted delimiter do not parse; ``$'...'`` (ANSI-C quoting) and ``${x:-$(cmd)}`` are
not expanded, so words holding them are treated as computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitgate.safety.classify.denies import ci_config_tampering
from gitgate.safety.classify.model import CommandRules, Ctx, Decision, Finding, approve, deny, worst
from gitgate.safety.classify.parser import MAX_COMMAND_BYTES
from gitgate.safety.classify.paths import indirect_secret
from gitgate.safety.classify.walker import classify_text, rough_scan
from gitgate.safety.lookalike import fold, lookalike_problem
from gitgate.safety.redaction import find_secrets

if TYPE_CHECKING:
    from gitgate.policy import Policy

__all__ = [
    "rules_for",
    "MAX_COMMAND_BYTES",
    "CommandRules",
    "Decision",
    "Verdict",
    "classify_command",
    "to_json",
]

_NO_RULES = CommandRules()
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision about one command.

    Attributes:
        command: the command as given.
        decision: ``allow``, ``deny`` or ``approve``.
        reason: one line saying why; for ``deny``/``approve`` it names the offending part.
    """

    command: str
    decision: Decision
    reason: str


def to_json(v: Verdict) -> dict[str, str]:
    """The verdict as a JSON-ready dict with keys ``command``, ``decision``, ``reason``."""
    return {"command": v.command, "decision": v.decision, "reason": v.reason}


def rules_for(policy: Policy) -> CommandRules:
    """The command rules a repository policy sets: the same for the gate that runs a command,
    the hook that checks its audit entry, and the CLI that explains a verdict."""
    commands = policy.commands
    return CommandRules(
        allow=commands.allow,
        deny=commands.deny,
        sensitive=policy.sensitive_paths,
        local_databases=commands.local_database_reads,
    )


def classify_command(command: str, rules: CommandRules = _NO_RULES) -> Verdict:
    """Decide whether a shell command may run now, never, or after a human approves it.

    Args:
        command: the shell command text (bash syntax), as the actor sent it.
        rules: extra allow/deny rules from the repository policy (``[commands]``).

    Returns:
        A :class:`Verdict`. Never raises, for any input.
    """
    if not isinstance(command, str):  # defensive: typed callers never do this
        return Verdict(repr(command), "approve", "command is not text")
    try:
        finding = _classify(command, rules)
    except Exception as exc:  # noqa: BLE001 - a classifier bug must not let a command through
        fallback = approve(f"could not classify ({type(exc).__name__}): a human must read it")
        finding = worst([*_safe_rough_scan(command, rules), fallback]) or fallback
    return Verdict(command, finding.decision, _one_line(finding.reason))


# Kinds of the secret detector too loose for a command line (`date +%H:%M:%S` reads like a
# user:password pair there).
_LOOSE_KINDS = frozenset(["basic-auth-credentials"])


def _secret_on_the_line(command: str) -> Finding | None:
    """``docker login -p dckr_pat_…``, ``cargo login TOKEN``, ``NPM_TOKEN=npm_… npx …``: a
    secret written into the command itself ends up in process lists, shell history, CI logs
    and this gate's own records; the secret detector that redacts those finds it here."""
    for found in find_secrets(command[:MAX_COMMAND_BYTES]):
        if found.kind not in _LOOSE_KINDS:
            return deny(f"the command line holds a secret ({found.kind}): pass it from a store")
    return None


def _classify(command: str, rules: CommandRules) -> Finding:
    finding = classify_text(command, Ctx(rules))
    if finding.decision != "deny":
        finding = _secret_on_the_line(command) or finding
    if finding.decision != "deny":
        tampering = ci_config_tampering(command[:MAX_COMMAND_BYTES])
        finding = deny(tampering) if tampering else finding
    if finding.decision == "approve":
        secret = indirect_secret(command[:MAX_COMMAND_BYTES])
        if secret is not None:
            finding = deny(f"an indirect command (computed name, xargs, eval) names {secret}")
    odd = lookalike_problem(command)
    if odd is None:
        return finding
    findings = [finding, approve(f"{odd}: the command may not be what it looks like")]
    folded = fold(command)
    if folded != command:
        as_read = classify_text(folded, Ctx(rules))
        if as_read.decision == "deny":
            findings.append(deny(f"read as ASCII, {as_read.reason}"))
    return worst(findings) or findings[1]


def _one_line(reason: str) -> str:
    """Escape control characters: a reason is one line, and must not drive a terminal."""
    return _CONTROL_OR_NEWLINE.sub(lambda m: repr(m.group(0))[1:-1], reason)


def _safe_rough_scan(command: str, rules: CommandRules) -> list[Finding]:
    try:
        return rough_scan(command, Ctx(rules))
    except Exception:  # noqa: BLE001 - the last line of defence
        return []
