"""Replay a generated history through gitgate and print how many trees came out exact.

Usage (from the repository root, with the worktree's source first on the path)::

    PYTHONPATH=$PWD/src:$PWD/tests python3 tests/replay_history.py --commits 200 --cli 50

The same generator and replay serve ``tests/integration/test_history_replay.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from histgen import generate_history, replay_through_api, replay_through_cli  # noqa: E402


def main() -> int:
    """Generate, replay through the API (and the CLI), print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--cli", type=int, default=0, help="commits replayed through the CLI")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gitgate-replay-") as tmp:
        root = Path(tmp)
        _seal(root)
        history = generate_history(root / "source", args.commits, args.seed)
        started = time.monotonic()
        api = replay_through_api(history, root / "api")
        print(f"API: {api.exact} of {api.total} exact ({time.monotonic() - started:.1f} s)")
        for line in api.failures:
            print("  " + line)
        if args.cli:
            started = time.monotonic()
            cli = replay_through_cli(history, root / "cli", limit=args.cli)
            print(f"CLI: {cli.exact} of {cli.total} exact ({time.monotonic() - started:.1f} s)")
            for line in cli.failures:
                print("  " + line)
            return 0 if not api.failures and not cli.failures else 1
        return 0 if not api.failures else 1


def _seal(root: Path) -> None:
    """Keep the user's git configuration out, as the tests' hermetic seal does."""
    home = root / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Replay\n\temail = replay@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    os.environ.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_ALLOW_PROTOCOL="file",
    )


if __name__ == "__main__":
    sys.exit(main())
