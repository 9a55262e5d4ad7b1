"""Checks every proposal passes before it becomes a commit: paths, symlinks, secrets.

Pure: the caller hands in the edits and two small lookups into the base tree, so the same
checks serve proposing (client side) and the pre-receive hook (server side).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gitgate.errors import SecretDetected, UnsafePath
from gitgate.safety.pathpolicy import check_no_symlink_parent, check_path, check_symlink_target
from gitgate.safety.secretscan import compressed_format, decoded_chunks, iter_secrets

MODE_LINK = 0o120000
MODE_GITLINK = 0o160000
# The kind of a hit for content that cannot be scanned (a compressed container): push
# protection refuses it like a secret unless --allow-secret.
UNSCANNED_KIND = "unscannable-compressed"


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
        """``path:line: kind`` for messages (``path: kind`` for a whole file, line 0)."""
        if self.line == 0:
            return f"{self.path}: {self.kind}"
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
    """Secrets in lines that the edits add (lines already in the old file do not count).

    Every added file is scanned whatever its size (window by window) and encoding (UTF-8,
    UTF-16/32 with a BOM or detected, text around NUL bytes). A compressed container (zip,
    gzip, ...) cannot be scanned: it is reported as an ``unscannable-compressed`` hit, so push
    protection refuses it unless --allow-secret.
    """
    hits: list[SecretHit] = []
    for item in contents:
        if item.data is None or item.mode in (MODE_LINK, MODE_GITLINK):
            continue
        packed = compressed_format(item.data)
        if packed is not None:
            if item.old_data != item.data:
                hits.append(SecretHit(item.path, 0, f"{UNSCANNED_KIND} ({packed})"))
            continue
        old_lines: frozenset[str] | None = None
        for finding, line_text in iter_secrets(decoded_chunks(item.data)):
            if old_lines is None:  # only files with a finding pay for reading the old one
                old_lines = _line_set(item.old_data)
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
        f"the proposal adds content that looks like a secret (or cannot be scanned): "
        f"{listed}{more}",
        hint="remove the secret (use an environment variable or a secret store); "
        "if it is a false alarm, propose again with --allow-secret (this is audited)",
    )


def _line_set(data: bytes | None) -> frozenset[str]:
    """The lines of the old file, decoded as the scan decodes (so UTF-16 lines compare)."""
    if not data:
        return frozenset()
    lines: set[str] = set()
    partial = ""
    for chunk in decoded_chunks(data):
        parts = (partial + chunk).split("\n")
        partial = parts.pop()
        lines.update(parts)
    lines.add(partial)
    return frozenset(lines)


def describe_edits(edits: Mapping[str, object]) -> list[str]:
    """Sorted list of edited paths (for arguments and messages)."""
    return sorted(edits)
