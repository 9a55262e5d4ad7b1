"""Checks every proposal passes before it becomes a commit: paths, symlinks, secrets.

Pure: the caller hands in the edits and two small lookups into the base tree, so the same
checks serve proposing (client side) and the pre-receive hook (server side).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gitgate.errors import SecretDetected, UnsafePath
from gitgate.pathpolicy import check_no_symlink_parent, check_path, check_symlink_target
from gitgate.redaction import find_secrets

MODE_LINK = 0o120000
MODE_GITLINK = 0o160000
SECRET_SCAN_LIMIT = 8_000_000  # larger blobs are data, not configuration; not scanned
BINARY_SNIFF = 8000


@dataclass(frozen=True, slots=True)
class NewContent:
    """The after-state of one edited path, as the checks need it."""

    path: str
    mode: int
    data: bytes | None  # None: the path is deleted
    old_data: bytes | None = None


@dataclass(frozen=True, slots=True)
class SecretHit:
    """A secret found in added content: where and what kind, never the value."""

    path: str
    line: int
    kind: str

    def describe(self) -> str:
        """``path:line: kind`` for messages."""
        return f"{self.path}:{self.line}: {self.kind}"


def check_paths(
    paths: Sequence[str],
    *,
    extra_sensitive: Sequence[str],
    is_symlink: Callable[[str], bool],
) -> None:
    """Refuse the first path the path policy rejects, or that writes through a symlink.

    Raises:
        UnsafePath: naming the path and the rule.
    """
    for path in paths:
        verdict = check_path(path, extra_sensitive=extra_sensitive)
        if not verdict.safe:
            raise UnsafePath(
                f"unsafe path {path!r}: {verdict.reason}",
                hint="gitgate refuses this path for every proposal; see `gitgate check-path`",
            )
        through = check_no_symlink_parent(path, is_symlink)
        if not through.safe:
            raise UnsafePath(f"unsafe path {path!r}: {through.reason}")


def check_symlinks(contents: Sequence[NewContent]) -> None:
    """Refuse new symlinks that point outside the repository or at absolute paths.

    Raises:
        UnsafePath: naming the link and its target.
    """
    for item in contents:
        if item.mode != MODE_LINK or item.data is None:
            continue
        target = item.data.decode("utf-8", "replace")
        verdict = check_symlink_target(item.path, target)
        if not verdict.safe:
            raise UnsafePath(f"unsafe symlink {item.path!r} -> {target!r}: {verdict.reason}")


def find_added_secrets(contents: Sequence[NewContent]) -> list[SecretHit]:
    """Secrets in lines that the edits add (lines already in the old file do not count)."""
    hits: list[SecretHit] = []
    for item in contents:
        if item.data is None or item.mode in (MODE_LINK, MODE_GITLINK):
            continue
        if len(item.data) > SECRET_SCAN_LIMIT or b"\0" in item.data[:BINARY_SNIFF]:
            continue
        text = item.data.decode("utf-8", "replace")
        old_lines = _line_set(item.old_data)
        lines = text.split("\n")
        for finding in find_secrets(text):
            line_text = lines[finding.line - 1] if finding.line <= len(lines) else ""
            if line_text in old_lines:
                continue
            hits.append(SecretHit(path=item.path, line=finding.line, kind=finding.kind))
    return hits


def refuse_secrets(hits: Sequence[SecretHit]) -> None:
    """Raise push protection's refusal for secrets found in added content.

    Raises:
        SecretDetected: listing file, line and kind of each (never the value).
    """
    if not hits:
        return
    listed = "; ".join(h.describe() for h in hits[:10])
    more = f" (and {len(hits) - 10} more)" if len(hits) > 10 else ""
    raise SecretDetected(
        f"the proposal adds content that looks like a secret: {listed}{more}",
        hint="remove the secret (use an environment variable or a secret store); "
        "if it is a false alarm, propose again with --allow-secret (this is audited)",
    )


def _line_set(data: bytes | None) -> frozenset[str]:
    if not data or b"\0" in data[:BINARY_SNIFF]:
        return frozenset()
    return frozenset(data.decode("utf-8", "replace").split("\n"))


def describe_edits(edits: Mapping[str, object]) -> list[str]:
    """Sorted list of edited paths (for arguments and messages)."""
    return sorted(edits)
