"""``gitgate redact``: run gitgate's secret redaction over a file or stdin."""

from __future__ import annotations

import sys

import click

from gitgate.cli._base import emit, json_option, main
from gitgate.errors import GitgateError
from gitgate.safety.redaction import SecretFinding, find_secrets, redact


@main.command("redact")
@click.argument("file", default="-", required=False, metavar="[FILE]")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 if any secret is found, listing FILE:LINE: KIND for each on stderr.",
)
@json_option
def redact_command(file: str, check: bool, as_json: bool) -> None:
    """Print FILE (or stdin) with every secret replaced by [REDACTED:<kind>].

    This is the same redaction gitgate applies to everything it stores (git notes, audit log
    entries, commit messages) and prints: provider tokens (GitHub, AWS, Slack, Stripe, OpenAI,
    ...), private keys, JWTs, Authorization headers, passwords in URLs, and values assigned to
    secret-named keys (DB_PASSWORD=..., "api_key": "..."). Key names stay visible; only the
    values are replaced. Placeholders such as ${DB_PASSWORD} or <your-key> are left alone.

    With --json, prints {"findings": [{"kind", "line", "start", "end"}...], "redacted": TEXT};
    secret values are never printed. With --check, exits 1 when anything is found, which makes
    it usable as a pre-commit hook or CI step:

        git diff --cached | gitgate redact --check
    """
    text = _read(file)
    findings = find_secrets(text)
    redacted = redact(text)
    payload = {"findings": [_finding_json(f) for f in findings], "redacted": redacted}
    # The redacted text already ends as the input did; don't add a second newline.
    emit(as_json, payload, redacted.removesuffix("\n"))
    if check and findings:
        label = "<stdin>" if file == "-" else file
        for f in findings:
            click.echo(f"{label}:{f.line}: {f.kind}", err=True)
        raise click.exceptions.Exit(1)


def _finding_json(finding: SecretFinding) -> dict[str, object]:
    return {"kind": finding.kind, "line": finding.line, "start": finding.start, "end": finding.end}


def _read(file: str) -> str:
    """Read FILE ("-" is stdin) as UTF-8, keeping undecodable bytes visible but harmless."""
    try:
        if file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(file, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise GitgateError(
            f"cannot read {file}: {exc.strerror or exc}",
            hint="check the path and its permissions, or pipe the text on stdin",
        ) from exc
    return data.decode("utf-8", errors="replace")
