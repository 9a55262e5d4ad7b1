"""The server's policies as parsed data, kept in its git directory: the hook skips tomllib.

Every push reads the pinned branch's ``.gitgate.toml``, and parsing TOML costs the hook
~5 ms a push (``tomllib`` and the ``typing`` it imports) for a text that changes a few
times a year. So the hook keeps what ``tomllib`` made of each policy text as JSON in
``<git dir>/gitgate-cache/policy-<crc32>.json``, with the text itself: an entry is used only
for exactly the text it holds (the name is just where to look), and anything else in the
file (torn, foreign, not JSON) is ignored and the text parsed again. Validation
(:func:`gitgate.policy.policy_from_data`) runs on every push whichever way the data came.

A document JSON cannot hold exactly (TOML dates, ``nan``) is not cached. The directory can
be deleted at any time; nothing fails when it cannot be written (a read-only repository).
It stays small: whenever an entry is written (a policy text not seen before), only the
:data:`KEEP` newest entries stay, and temporary files a killed hook left behind go.
Whoever can write the git directory can also replace the hook, so the cache adds no way in.
"""

from __future__ import annotations

import json
import os
import zlib

from gitgate.policy import load_toml

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from typing import Any

CACHE_DIR = "gitgate-cache"
# Entries kept: the policies of the pinned branch's last few tips. A push reads the policy at
# the old tip and at the new one, so two are in use at a time; older ones are only history.
KEEP = 8
# A temporary file older than this is a killed writer's leftover, not one being written.
STALE_TMP_SECONDS = 600.0


def policy_data(git_dir: str | os.PathLike[str], text: str) -> dict[str, Any]:
    """What ``tomllib.loads(text)`` gives, from the cache when it holds ``text``.

    Raises:
        PolicyError: when ``text`` is not TOML (nothing is cached then).
    """
    path = cache_path(git_dir, text)
    cached = _read(path, text)
    if cached is not None:
        return cached
    data = load_toml(text)
    _write(path, text, data)
    return data


def cache_path(git_dir: str | os.PathLike[str], text: str) -> str:
    name = f"policy-{zlib.crc32(text.encode('utf-8', 'surrogatepass')):08x}.json"
    return os.path.join(git_dir, CACHE_DIR, name)


def _read(path: str, text: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as f:
            entry = json.loads(f.read())
    except (OSError, ValueError):  # missing, unreadable, torn or not JSON: parse again
        return None
    if not isinstance(entry, dict) or entry.get("text") != text:
        return None
    data = entry.get("data")
    return data if isinstance(data, dict) else None


def _write(path: str, text: str, data: dict[str, Any]) -> None:
    try:
        encoded = json.dumps({"text": text, "data": data}, allow_nan=False)
    except (TypeError, ValueError):  # dates, nan, inf: JSON would not give them back
        return
    if json.loads(encoded)["data"] != data:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(encoded)
        os.replace(tmp, path)  # readers see the old file or the new one, never a torn one
    except OSError:  # read-only repository, full disk: the next push parses again
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return
    prune(os.path.dirname(path), keep=path)


def prune(directory: str, *, keep: str) -> None:
    """Leave the :data:`KEEP` newest entries (``keep`` among them) and no stale temporary file.

    Runs only after a write, so a push that finds its policy cached never lists the
    directory. Another hook pruning at the same time is harmless: a vanished file is skipped,
    and an entry removed under a reader is only parsed again.
    """
    entries: list[tuple[float, str]] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return
    now = _now()
    for name in names:
        if not name.startswith("policy-"):
            continue  # not ours: left alone
        full = os.path.join(directory, name)
        try:
            modified = os.stat(full).st_mtime
        except OSError:
            continue
        if name.endswith(".tmp"):
            if now - modified > STALE_TMP_SECONDS:
                _unlink(full)
        elif name.endswith(".json") and full != keep:
            entries.append((modified, full))
    entries.sort(reverse=True)
    for _modified, full in entries[KEEP - 1 :]:
        _unlink(full)


def _now() -> float:
    import time  # only when writing: the hook's usual path never needs it

    return time.time()


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:  # gone already, or not ours to remove
        pass
