"""CLI: export (write an offline-review bundle) and review (verify one, no repository needed)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from gitgate.cli._base import emit, json_option, main
from gitgate.cli.proposals import open_gate
from gitgate.export.bundle import ExportResult, Progress
from gitgate.export.review import ReviewReport, review_bundle, summary_lines


@main.command("export")
@click.argument("proposal_id", metavar="ID")
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=None,
    help="Bundle file or directory (default: ./gitgate-<id>.tar.gz).",
)
@json_option
@click.pass_context
def export_cmd(ctx: click.Context, proposal_id: str, output: str | None, as_json: bool) -> None:
    """Write a proposal's bundle for offline review and print its sha256.

    Works for a proposal in any state. Excluded paths (secrets, build output...) are left
    out and secrets are redacted; the same proposal always gives the same bytes.
    """
    with _progress_bar() as progress:
        result = open_gate(ctx).export(proposal_id, output, progress=progress)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    emit(as_json, result.to_json(), lambda: _export_text(result))


def _export_text(result: ExportResult) -> str:
    return (
        f"wrote {result.path} ({result.bundled} files bundled, {result.excluded} excluded, "
        f"{result.redacted_files} with secrets redacted; {result.size} bytes)\n"
        f"sha256 {result.sha256}"
    )


@contextlib.contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A progress bar on stderr, only when stderr is a terminal."""
    stream = sys.stderr
    if not stream.isatty():
        yield None
        return
    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        def update(done: int, total: int) -> None:
            if not bars:
                bar = click.progressbar(length=total, label="exporting", file=stream)
                bars.append(stack.enter_context(bar))
            bars[0].update(done - bars[0].pos)

        yield update


@main.command("review")
@click.argument("bundle", type=click.Path(dir_okay=False))
@json_option
def review_cmd(bundle: str, as_json: bool) -> None:
    """Verify an exported bundle and show what it proposes; needs no repository.

    Every checksum is checked against the manifest; links, devices, path traversal, unknown
    members and decompression bombs are refused. Exits 1 when the bundle does not verify.
    """
    report = review_bundle(Path(bundle))
    if not report.ok:
        if not as_json:
            for problem in report.problems:
                click.echo(f"problem: {problem}", err=True)
        raise report.error()
    emit(as_json, report.to_json(), lambda: _review_text(report))


def _review_text(report: ReviewReport) -> str:
    assert report.manifest is not None
    files = report.manifest.get("totals", {}).get("bundled", 0)
    lines = [
        f"bundle {report.path.name}: verified (manifest, patch and {files} files match)",
        f"sha256 {report.sha256}",
        *summary_lines(report.manifest),
        "",
    ]
    color = sys.stdout.isatty()
    diff = report.patch.decode("utf-8", "replace")
    lines += [_color_line(line, color) for line in diff.splitlines()]
    if report.patch_truncated:
        lines.append("(diff truncated; the whole patch is patch.diff in the bundle)")
    return "\n".join(lines)


def _color_line(line: str, color: bool) -> str:
    if not color:
        return line
    if line.startswith(("+++", "---", "diff --git")):
        return click.style(line, bold=True)
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    return line
