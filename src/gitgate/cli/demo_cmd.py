"""CLI: `gitgate demo`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from gitgate.cli._base import main
from gitgate.demo import run_demo
from gitgate.errors import GitgateError


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Walk the whole gitgate flow in a throw-away repository, with explanations.

    DIRECTORY must be new or empty (default: a new temporary directory, kept afterwards).
    """
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="gitgate-demo-"))
    elif directory.exists() and any(directory.iterdir()):
        raise GitgateError(
            f"{directory} is not empty", hint="give a new directory, or none for a temporary one"
        )
    click.echo(f"gitgate demo in {directory}")
    run_demo(directory, click.echo)
