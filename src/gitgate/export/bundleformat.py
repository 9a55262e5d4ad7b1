"""The export bundle format, shared by the writer (``bundle``) and the reviewer (``review``).

A bundle is a ``tar.gz`` whose members come in sorted order:

* ``files/<path>``: the after-state of every exported added or modified file, secrets
  redacted in text files (binary files as they are);
* ``manifest.json`` (schema :data:`SCHEMA`): what the proposal is and, per changed path, the
  change, mode, size and sha256 of the bundled content; the excluded paths with the reason;
  the redactions;
* ``patch.diff``: ``git diff base..proposal`` without the excluded paths, secrets redacted.

Pure: no git, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from gitgate.errors import GitgateError

SCHEMA = "gitgate.bundle/1"
MANIFEST_NAME = "manifest.json"
PATCH_NAME = "patch.diff"
FILES_PREFIX = "files/"
CHANGES = ("added", "modified", "deleted", "renamed", "copied", "mode-change", "typechange")
ENTRY_TYPES = ("file", "symlink", "submodule")
CHUNK = 1 << 20  # bytes read or hashed at a time
_BAD_NAME_CHARACTER = re.compile(r"[\x00-\x1f\x7f\\]")


class BundleInvalid(GitgateError):
    """A bundle failed verification: it was tampered with, truncated or is hostile."""

    code = "bundle-invalid"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        problems: Sequence[str] = (),
        manifest: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = tuple(problems)
        self.manifest = manifest

    def to_json(self) -> dict[str, object]:
        """The ``--json`` form: the error plus ``ok``, ``problems`` and ``manifest``."""
        out = super().to_json()
        out.update({"ok": False, "problems": list(self.problems), "manifest": self.manifest})
        return out


def name_problem(name: str) -> str | None:
    """Why a member name is unsafe (absolute, traversal, not normalised), or None."""
    if not name:
        return "a member has an empty name"
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return f"member {name!r} has an absolute name"
    if _BAD_NAME_CHARACTER.search(name):
        return f"member {name!r} has control characters or backslashes in its name"
    parts = name.split("/")
    if ".." in parts:
        return f"member {name!r} points outside the bundle (path traversal)"
    if "" in parts or "." in parts:
        return f"member {name!r} is not a normalised relative name"
    return None
