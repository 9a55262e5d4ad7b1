"""Shared by the `gitgate serve` tests: a gated repository with proposals, and its app.

Not a test module: the test_serve_*.py files next to it import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitgate.web import auth
from gitgate.web.app import ServeConfig, create_app
from gitgate.workflow import Gate
from gitutil import AGENT, APPROVER, APPROVER2, commit, create_repo

MALLORY = "mallory@example.com"  # has a token, is no approver
TOKENS = {
    APPROVER: "alice-token-0123456789",
    APPROVER2: "bob-token-0123456789ab",
    AGENT: "agent-token-0123456789",
    MALLORY: "mallory-token-01234567",
}
BASE_FILES = {
    "README.md": "hello\n",
    "src/app.py": "def main():\n    return 1\n",
    "tool.sh": "#!/bin/sh\necho hi\n",
    "docs/old-name.md": "".join(f"line {n}\n" for n in range(40)),
}


@dataclass
class World:
    """A gated repository and a few proposals in it."""

    repo: Path
    gate: Gate
    write_id: str  # AGENT: modify src/app.py
    by_bob_id: str  # APPROVER2 proposed it: bob cannot approve it himself


def make_world(tmp_path: Path) -> World:
    """main with BASE_FILES, gitgate initialised (alice, bob approve), two pending proposals."""
    repo = create_repo(tmp_path / "repo")
    commit(repo, BASE_FILES, "initial")
    gate = Gate(repo)
    gate.init(["main"], [APPROVER, APPROVER2], actor=APPROVER)
    write = gate.propose_write(
        "src/app.py",
        b"def main():\n    return 2\n",
        message="Return <b>two</b>",
        actor=AGENT,
    )
    by_bob = gate.propose_create("NOTES.md", b"notes\n", message="notes", actor=APPROVER2)
    return World(repo, gate, write.id, by_bob.id)


def token_config(repo: Path, **extra: object) -> ServeConfig:
    """A config whose token table is TOKENS."""
    entries = tuple((auth.digest(token), who) for who, token in TOKENS.items())
    return ServeConfig(
        repo=str(repo), auth=auth.AuthConfig(tokens=auth.TokenTable(entries)), **extra
    )  # type: ignore[arg-type]


def bearer(identity: str) -> dict[str, str]:
    """The Authorization header of an identity's token."""
    return {"Authorization": f"Bearer {TOKENS[identity]}"}


def client(config: ServeConfig, **kwargs: object):  # type: ignore[no-untyped-def]
    """A Starlette TestClient on the app."""
    from starlette.testclient import TestClient

    return TestClient(create_app(config), **kwargs)  # type: ignore[arg-type]


# -- a real `gitgate serve` process ---------------------------------------------------------------

import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402


@dataclass
class Running:
    """A `gitgate serve` subprocess and what it printed."""

    proc: subprocess.Popen[str]
    base: str  # http://127.0.0.1:PORT
    token: str | None
    banner: list[str]


@contextmanager
def serve_process(repo: Path, *args: str, actor: str = APPROVER) -> Iterator[Running]:
    """Run `python -m gitgate -C repo serve --port 0 ARGS` until the block ends (SIGINT)."""
    env = {**os.environ, "GITGATE_ACTOR": actor}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitgate", "-C", str(repo), "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        banner: list[str] = []
        deadline = time.monotonic() + 30
        url = None
        assert proc.stdout is not None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(
                    f"serve exited: {proc.wait()} {proc.stderr.read() if proc.stderr else ''}"
                )
            banner.append(line.rstrip("\n"))
            found = re.search(r"(http://[^/\s]+)/(\?token=(\S+))?", line)
            if found:
                url = found
        assert url is not None, banner
        yield Running(proc, url.group(1), url.group(3), banner)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
