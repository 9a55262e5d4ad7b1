"""Export bundles for offline review: deterministic, verifiable, safe to open.

A bundle is a ``tar.gz`` whose members come in sorted order:

* ``files/<path>``: the after-state of every exported added or modified file, secrets
  redacted in text files (binary files as they are);
* ``manifest.json``: what the proposal is and, per changed path, the change, mode, size and
  sha256 of the bundled content; the excluded paths with the reason; the redactions;
* ``patch.diff``: ``git diff base..proposal`` without the excluded paths, secrets redacted.

The same proposal always gives the same bytes (sorted members, fixed header fields, a gzip
header without time or name), so a reviewer can quote the bundle's sha256. Members are written
one at a time into the gzip stream: memory follows the largest file, not the number of files.

Reviewing trusts nothing in the bundle. It stream-decompresses under a byte budget and a
compression-ratio limit (a gzip bomb is refused after a few MiB), accepts only regular-file
members with normalised relative names, and checks every member against the manifest.
Nothing is ever extracted to disk.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gitgate import __version__
from gitgate.errors import GitgateError
from gitgate.gitstore import MODE_GITLINK, MODE_LINK, FileDiff, GitStore
from gitgate.pathpolicy import export_exclusion_reason, is_sensitive_name
from gitgate.records import Proposal
from gitgate.redaction import redact, redact_bytes, redact_data
from gitgate.targz import TarGzWriter

if TYPE_CHECKING:
    from gitgate.workflow import Gate

SCHEMA = "gitgate.bundle/1"
MANIFEST_NAME = "manifest.json"
PATCH_NAME = "patch.diff"
FILES_PREFIX = "files/"
BINARY_SNIFF = 8000  # git's own heuristic: a NUL in the first 8000 bytes means binary
CHUNK = 1 << 20
GZIP_LEVEL = 6  # git archive's default, so the two are compared like for like
DIFF_BATCH = 500  # literal pathspecs per `git diff`...
PATHSPEC_BYTES = 64 << 10  # ...and their bytes: far below any command-line limit
MAX_LINK_TARGET = 4096  # a symlink target longer than PATH_MAX is described cut short
CHANGES = ("added", "modified", "deleted", "renamed", "copied", "mode-change", "typechange")
ENTRY_TYPES = ("file", "symlink", "submodule")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_BAD_NAME_CHARACTER = re.compile(r"[\x00-\x1f\x7f\\]")
_OID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")

Progress = Callable[[int, int], None]
"""Called with (files written, files to write) as an export goes."""


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


# --------------------------------------------------------------------------------------------
# Planning: which changed paths are exported (pure)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one changed path goes into the bundle."""

    reason: str | None
    """Why the path stays out, or None when it is exported."""
    source_reason: str | None = None
    """For a rename or copy: why its old path stays out (the old name is then not shown)."""


def judge(
    diff: FileDiff, extra_excludes: Sequence[str] = (), extra_sensitive: Sequence[str] = ()
) -> Verdict:
    """Decide whether one changed path is exported (see :func:`exclusion_reason`)."""
    reason = exclusion_reason(diff.path, extra_excludes, extra_sensitive)
    source = diff.old_path and exclusion_reason(diff.old_path, extra_excludes, extra_sensitive)
    return Verdict(reason, source or None)


@dataclass(frozen=True, slots=True)
class Plan:
    """The changed paths of a proposal split into exported and excluded ones."""

    included: tuple[FileDiff, ...]
    excluded: tuple[dict[str, Any], ...]
    hidden_sources: dict[str, str] = field(default_factory=dict)
    """Included renames/copies whose old path is excluded: new path -> the reason."""


def plan_export(
    files: Iterable[FileDiff],
    *,
    extra_excludes: Sequence[str] = (),
    extra_sensitive: Sequence[str] = (),
) -> Plan:
    """Decide, per changed path, whether it goes into the bundle (all at once, in memory).

    Exports themselves decide path by path as they stream (:func:`judge`); this gives the
    whole picture for callers that want it.

    Args:
        files: the changes between the base and the proposal commit.
        extra_excludes: the policy's ``[export] exclude`` patterns.
        extra_sensitive: the policy's ``sensitive_paths`` patterns (never exported either).

    Returns:
        A :class:`Plan`, both halves sorted by path; excluded entries carry the reason.
    """
    included: list[FileDiff] = []
    excluded: list[dict[str, Any]] = []
    hidden: dict[str, str] = {}
    for diff in sorted(files, key=lambda f: f.path):
        verdict = judge(diff, extra_excludes, extra_sensitive)
        if verdict.reason is not None:
            excluded.append(excluded_entry(diff, verdict))
            continue
        included.append(diff)
        if verdict.source_reason:
            hidden[diff.path] = verdict.source_reason
    return Plan(tuple(included), tuple(excluded), hidden)


def excluded_entry(diff: FileDiff, verdict: Verdict) -> dict[str, Any]:
    """The manifest entry of an excluded path: what changed and why it is not shown."""
    entry: dict[str, Any] = {
        "path": diff.path,
        "change": change_type(diff),
        "reason": verdict.reason,
    }
    if diff.change == "renamed" and diff.old_path and verdict.source_reason is None:
        # The old file is gone from its visible place: say where it went.
        entry["renamed_from"] = diff.old_path
    return entry


def exclusion_reason(
    path: str, extra_excludes: Sequence[str] = (), extra_sensitive: Sequence[str] = ()
) -> str | None:
    """Why ``path`` stays out of a bundle, or None when it is exported."""
    reason = export_exclusion_reason(path, extra_excludes=extra_excludes)
    if reason is None and extra_sensitive:
        rule = is_sensitive_name(path, extra_sensitive=extra_sensitive)
        reason = f"sensitive file ({rule})" if rule else None
    return reason


def change_type(diff: FileDiff) -> str:
    """The manifest's change name: git's, with a pure mode flip called ``mode-change``."""
    if diff.change == "modified" and diff.oid == diff.old_oid and diff.mode != diff.old_mode:
        return "mode-change"
    return diff.change if diff.change in CHANGES else "modified"


def entry_type(mode: int) -> str:
    """``file``, ``symlink`` or ``submodule`` for a tree entry mode."""
    if mode == MODE_LINK:
        return "symlink"
    if mode == MODE_GITLINK:
        return "submodule"
    return "file"


def member_name(path: str) -> str:
    """The tar member that holds the after-state of ``path``.

    Raises:
        BundleInvalid: when the result would not be a normalised relative name (defence in
            depth: the path policy already refused such paths).
    """
    name = FILES_PREFIX + path
    problem = name_problem(name)
    if problem is not None:
        raise BundleInvalid(f"cannot export {path!r}: {problem}")
    return name


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote."""

    path: Path
    proposal_id: str
    sha256: str
    size: int
    changed: int
    bundled: int
    excluded: int
    redacted_files: int
    recorded: bool = False
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "path": str(self.path),
            "proposal": self.proposal_id,
            "sha256": self.sha256,
            "size": self.size,
            "changed": self.changed,
            "bundled": self.bundled,
            "excluded": self.excluded,
            "redacted_files": self.redacted_files,
            "recorded": self.recorded,
            "warnings": list(self.warnings),
        }


def default_bundle_path(proposal_id: str, dest: str | os.PathLike[str] | None) -> Path:
    """Where the bundle goes: ``dest``, or ``gitgate-<id>.tar.gz`` in it when a directory."""
    name = f"gitgate-{proposal_id}.tar.gz"
    if dest is None:
        return Path.cwd() / name
    path = Path(dest)
    return path / name if path.is_dir() else path


def export_proposal(
    gate: Gate,
    proposal_id: str,
    dest: str | os.PathLike[str] | None = None,
    *,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Export a proposal (any state) and record the export in the audit log if possible.

    The export succeeds even when the repository is read-only; the result then says that
    nothing was recorded.
    """
    proposal = gate.get(proposal_id)
    policy = gate.policy()
    written = write_bundle(
        gate.store,
        proposal,
        default_bundle_path(proposal.id, dest),
        extra_excludes=policy.export_exclude,
        extra_sensitive=policy.sensitive_paths,
        progress=progress,
    )
    warning = _record_export(gate, proposal, written.sha256, actor)
    if warning is None:
        return replace(written, recorded=True)
    return replace(written, warnings=(*written.warnings, warning))


def _record_export(gate: Gate, proposal: Proposal, checksum: str, actor: str | None) -> str | None:
    """Append the ``exported`` audit entry; return a warning instead of failing the export."""
    if not gate.store.is_writable():
        return "the repository is read-only: this export is not recorded in the audit log"
    try:
        gate.record_export(proposal, checksum, actor)
    except (GitgateError, OSError) as err:
        return f"this export is not recorded in the audit log: {err}"
    return None


@dataclass
class _Spool:
    """Temporary files that keep the export's memory flat in the number of files.

    The manifest lists every file but must be written after the file members (members are
    sorted: ``files/`` < ``manifest.json`` < ``patch.diff``), and its size must be known
    before its tar header: so entries go to disk as they are made, one JSON line each, and
    the manifest is assembled from them on disk. git writes the raw diff into ``raw_diff``
    while the files are bundled; the redacted patch goes to ``patch``.
    """

    units: IO[bytes]
    excluded: IO[bytes]
    files: IO[bytes]
    redacted: IO[bytes]
    raw_diff: IO[bytes]
    patch: IO[bytes]
    manifest: IO[bytes]
    bundled: int = 0
    bundled_bytes: int = 0
    redacted_files: int = 0

    @classmethod
    @contextmanager
    def open(cls) -> Iterator[_Spool]:
        with ExitStack() as stack:
            units, excluded, files, redacted, raw_diff, patch, manifest = (
                stack.enter_context(tempfile.TemporaryFile()) for _ in range(7)
            )
            yield cls(units, excluded, files, redacted, raw_diff, patch, manifest)


@dataclass
class _Survey:
    """A first pass over the changes: what is exported, and how git must be asked for the diff.

    Per change one byte (exported or not), so the second pass need not judge again; the
    renames whose old path is hidden; and the literal paths the diff must leave out, or None
    when there are too many for one command line (the diff then goes in batches of the
    exported paths, spooled as JSON lines).
    """

    exported: bytearray = field(default_factory=bytearray)
    hidden_sources: dict[str, str] = field(default_factory=dict)
    leave_out: list[str] | None = field(default_factory=list)
    leave_out_bytes: int = 0
    changed: int = 0
    excluded: int = 0
    to_bundle: int = 0

    def omit_from_diff(self, path: str) -> None:
        if self.leave_out is None:
            return
        self.leave_out_bytes += len(path.encode("utf-8", "surrogateescape")) + 20
        if len(self.leave_out) >= DIFF_BATCH or self.leave_out_bytes > PATHSPEC_BYTES:
            self.leave_out = None
        else:
            self.leave_out.append(path)


def write_bundle(
    store: GitStore,
    proposal: Proposal,
    dest: Path,
    *,
    extra_excludes: Sequence[str] = (),
    extra_sensitive: Sequence[str] = (),
    progress: Progress | None = None,
) -> ExportResult:
    """Write the bundle of ``proposal`` to ``dest`` (atomically: a temporary file, renamed).

    Memory stays flat in the number of changed files: the changes are streamed from a tree
    walk twice (judge, then bundle), and everything per file goes to temporary files.

    Returns:
        The result, with the bundle's sha256 (``recorded`` is False: see
        :func:`export_proposal`).
    """
    base_tree = store.commit(proposal.base).tree
    new_tree = store.commit(proposal.commit).tree
    renames = store.rename_pairs(base_tree, new_tree)

    def changes() -> Iterator[FileDiff]:
        return store.iter_changes(base_tree, new_tree, renames=renames)

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with _Spool.open() as spool, ThreadPoolExecutor(1, "gitgate-diff") as background:
            survey = _survey(changes(), extra_excludes, extra_sensitive, spool)
            # git computes the diff on another core while the files are bundled here.
            diff = background.submit(_write_raw_diff, store, proposal, survey, spool)
            with open(tmp, "wb") as raw, TarGzWriter(raw, level=GZIP_LEVEL) as tar:
                _add_files(store, changes(), survey, tar, spool, progress)
                diff.result()
                patch_info = _write_patch(spool.raw_diff, spool.patch)
                size = _write_manifest(proposal, survey, patch_info, spool)
                tar.add_stream(MANIFEST_NAME, size, _read_back(spool.manifest))
                tar.add_stream(PATCH_NAME, patch_info["size"], _read_back(spool.patch))
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return ExportResult(
        path=dest,
        proposal_id=proposal.id,
        sha256=tar.sha256,
        size=tar.size,
        changed=survey.changed,
        bundled=spool.bundled,
        excluded=survey.excluded,
        redacted_files=spool.redacted_files,
    )


def _survey(
    changes: Iterable[FileDiff],
    extra_excludes: Sequence[str],
    extra_sensitive: Sequence[str],
    spool: _Spool,
) -> _Survey:
    """Judge every change; spool the excluded entries and the diff's path units."""
    survey = _Survey()
    for diff in changes:
        survey.changed += 1
        verdict = judge(diff, extra_excludes, extra_sensitive)
        unit: list[str] = []
        if verdict.reason is not None:
            survey.exported.append(0)
            survey.excluded += 1
            survey.omit_from_diff(diff.path)
            _spool_line(spool.excluded, excluded_entry(diff, verdict))
            if diff.change == "renamed" and diff.old_path and verdict.source_reason is None:
                unit = [diff.old_path]  # shown deleted: the file left for a hidden place
        else:
            survey.exported.append(1)
            survey.to_bundle += _bundles_content(diff)
            unit = [diff.path]
            if verdict.source_reason is not None and diff.old_path:
                survey.hidden_sources[diff.path] = verdict.source_reason
                survey.omit_from_diff(diff.old_path)  # so git cannot pair it: shown as added
            elif diff.change == "renamed" and diff.old_path:
                unit.insert(0, diff.old_path)  # in one batch, so git still pairs the two
        if unit:
            spool.units.write(json.dumps(unit).encode("ascii") + b"\n")
    return survey


def _write_raw_diff(store: GitStore, proposal: Proposal, survey: _Survey, spool: _Spool) -> None:
    """git's diff without the excluded paths, into ``spool.raw_diff`` (not redacted yet).

    One ``git diff`` leaving the excluded paths out when they fit on a command line;
    otherwise batches of the exported paths (a rename's two paths always together).
    """
    base, commit = proposal.base, proposal.commit
    if survey.leave_out is not None:
        store.write_diff(base, commit, spool.raw_diff, leave_out=survey.leave_out)
        return
    for batch in _unit_batches(spool.units):
        store.write_diff(base, commit, spool.raw_diff, paths=batch)


def _unit_batches(units: IO[bytes]) -> Iterator[list[str]]:
    units.seek(0)
    batch: list[str] = []
    size = 0
    for line in units:
        unit = json.loads(line)
        unit_size = sum(len(p.encode("utf-8", "surrogateescape")) + 20 for p in unit)
        if batch and (len(batch) + len(unit) > DIFF_BATCH or size + unit_size > PATHSPEC_BYTES):
            yield batch
            batch, size = [], 0
        batch.extend(unit)
        size += unit_size
    if batch:
        yield batch


def _read_back(spooled: IO[bytes]) -> Iterator[bytes]:
    spooled.seek(0)
    while chunk := spooled.read(CHUNK):
        yield chunk


def _add_files(
    store: GitStore,
    changes: Iterable[FileDiff],
    survey: _Survey,
    tar: TarGzWriter,
    spool: _Spool,
    progress: Progress | None,
) -> None:
    """Describe every exported change, writing file contents as members in sorted order."""
    seen = 0
    for index, diff in enumerate(changes):
        seen += 1
        if index >= len(survey.exported) or not survey.exported[index]:
            continue
        entry = _describe(store, diff, survey.hidden_sources.get(diff.path))
        if _bundles_content(diff):
            data, count, binary = _bundled_content(store.read_blob(diff.oid))
            name = member_name(diff.path)
            tar.add(name, data)
            entry.update(
                member=name,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                binary=binary,
            )
            del data  # a large file is not kept while the next one is read
            spool.bundled += 1
            spool.bundled_bytes += entry["size"]
            if count:
                entry["redacted"] = count
                spool.redacted_files += 1
                _spool_line(spool.redacted, {"count": count, "path": diff.path})
            if progress is not None:
                progress(spool.bundled, survey.to_bundle)
        _spool_line(spool.files, entry)
    if seen != survey.changed:  # the trees are immutable: this would be a bug, not a race
        raise GitgateError("the changes of the proposal differed between two passes")


def _spool_line(out: IO[bytes], entry: dict[str, Any]) -> None:
    # Compact JSON never holds a raw newline: one entry per line, ASCII only.
    out.write(json.dumps(entry, sort_keys=True).encode("ascii") + b"\n")


def _bundles_content(diff: FileDiff) -> bool:
    return diff.change != "deleted" and entry_type(diff.mode) == "file"


def _describe(store: GitStore, diff: FileDiff, hidden_source: str | None) -> dict[str, Any]:
    """The manifest entry of one included change, without the bundled-content fields.

    The old name of a rename out of an excluded path is not shown, only why.
    """
    deleted = diff.change == "deleted"
    mode = diff.old_mode if deleted else diff.mode
    entry: dict[str, Any] = {
        "path": diff.path,
        "change": change_type(diff),
        "type": entry_type(mode),
        "mode": f"{mode:06o}",
    }
    if hidden_source:
        entry["source_excluded"] = hidden_source
    elif diff.old_path:
        entry["renamed_from" if diff.change == "renamed" else "copied_from"] = diff.old_path
    if not deleted and diff.old_mode and diff.old_mode != diff.mode:
        entry["old_mode"] = f"{diff.old_mode:06o}"
    oid = diff.old_oid if deleted else diff.oid
    if entry["type"] == "symlink":
        # The target is data from the actor: described, redacted, never a link member.
        target = store.read_blob(oid)[:MAX_LINK_TARGET].decode("utf-8", "replace")
        entry["target"] = redact(target)
    elif entry["type"] == "submodule":
        entry["commit"] = oid
    return entry


def _bundled_content(data: bytes) -> tuple[bytes | bytearray, int, bool]:
    """The bytes to bundle for a blob, how many secrets were redacted, and binary-ness."""
    if b"\0" in data[:BINARY_SNIFF]:
        return data, 0, True
    redacted, count = redact_bytes(data)
    return redacted, count, False


def _write_patch(raw_diff: IO[bytes], out: IO[bytes]) -> dict[str, Any]:
    """Redact the raw diff file section by section into ``out``; return its manifest entry."""
    digest = hashlib.sha256()
    size = redactions = 0
    raw_diff.seek(0)
    for section in diff_sections(_read_back(raw_diff)):
        clean, count = redact_bytes(section)
        out.write(clean)
        digest.update(clean)
        size += len(clean)
        redactions += count
    return {
        "member": PATCH_NAME,
        "size": size,
        "sha256": digest.hexdigest(),
        "redacted": redactions,
    }


_SECTION_START = b"\ndiff --git "


def diff_sections(chunks: Iterable[bytes]) -> Iterator[bytearray]:
    """Cut a diff, arriving in chunks of any size, into its file sections.

    A section starts at a line beginning ``diff --git ``; content lines never do (they start
    with a space, ``+``, ``-`` or ``\\``). Each section is redacted on its own, so a secret
    is always judged within its file.
    """
    section = bytearray()
    for chunk in chunks:
        # Search only the new bytes (and a marker's length before them): a 50 MB section is
        # scanned once, not once per chunk.
        search = max(0, len(section) - len(_SECTION_START) + 1)
        section += chunk
        while (cut := section.find(_SECTION_START, search)) >= 0:
            yield section[: cut + 1]
            del section[: cut + 1]
            search = 0
    if section:
        yield section


# The lists that can hold one entry per changed file are written one compact entry per line;
# everything else is indented JSON. Either way the manifest is plain JSON, keys sorted.
_LISTED = ("excluded", "files", "redacted")


def _write_manifest(
    proposal: Proposal, survey: _Survey, patch_info: dict[str, Any], spool: _Spool
) -> int:
    """Assemble ``manifest.json`` in ``spool.manifest``; return its size."""
    fields = manifest_fields(proposal, patch_info)
    fields["totals"] = {
        "changed": survey.changed,
        "bundled": spool.bundled,
        "excluded": survey.excluded,
        "bytes": spool.bundled_bytes,
    }
    lists = {
        "excluded": _spooled_lines(spool.excluded),
        "files": _spooled_lines(spool.files),
        "redacted": _spooled_lines(spool.redacted),
    }
    size = 0
    for chunk in manifest_chunks(fields, lists):
        spool.manifest.write(chunk)
        size += len(chunk)
    return size


def _spooled_lines(spooled: IO[bytes]) -> Iterator[bytes]:
    spooled.seek(0)
    for line in spooled:
        yield line.rstrip(b"\n")


def manifest_fields(proposal: Proposal, patch_info: dict[str, Any]) -> dict[str, Any]:
    """The manifest's fields other than the per-file lists and totals."""
    commits = {"base": proposal.base, "proposal": proposal.commit}
    merge = proposal.result.get("merge")
    if proposal.status == "executed" and isinstance(merge, str):
        commits["merge"] = merge
    return {
        "schema": SCHEMA,
        "gitgate_version": __version__,
        "id": proposal.id,
        "kind": proposal.kind,
        "tool": redact(proposal.tool),
        "status": proposal.status,
        "message": redact(proposal.message),
        "requester": proposal.requester,
        "created_at": proposal.created_at,
        "approvals": [{"by": a.by, "at": a.at, "commit": a.commit} for a in proposal.approvals],
        "target": proposal.target,
        "commits": commits,
        "arguments": redact_data(proposal.arguments),
        "result": redact_data(proposal.result),
        "patch": patch_info,
    }


def manifest_chunks(
    fields: dict[str, Any], lists: Mapping[str, Iterable[bytes]]
) -> Iterator[bytes]:
    """``manifest.json`` as bytes chunks: ``fields`` plus ``lists`` of compact JSON lines.

    Keys are sorted, the text is ASCII (JSON escapes), and the same input always gives the
    same bytes.
    """
    keys = sorted({*fields, *lists})
    yield b"{\n"
    for index, key in enumerate(keys):
        end = b",\n" if index < len(keys) - 1 else b"\n"
        yield b" " + json.dumps(key).encode("ascii") + b": "
        if key in lists:
            first = True
            for line in lists[key]:
                yield (b"[\n  " if first else b",\n  ") + line
                first = False
            yield (b"[]" if first else b"\n ]") + end
        else:
            value = json.dumps(fields[key], sort_keys=True, indent=1).replace("\n", "\n ")
            yield value.encode("ascii") + end
    yield b"}\n"


# --------------------------------------------------------------------------------------------
# Reviewing (pure: reads one file, needs no repository)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """What a bundle may hold before it is refused as hostile (bytes are decompressed)."""

    members: int = 200_000
    member_bytes: int = 1 << 30
    total_bytes: int = 4 << 30
    manifest_bytes: int = 64 << 20
    single_read: int = 4 << 20  # any tar header asking for more than this is refused
    ratio: int = 200  # decompressed:compressed; source code rarely passes 20:1
    ratio_floor: int = 32 << 20  # the ratio is only judged past this many bytes
    patch_display: int = 16 << 20


@dataclass(frozen=True, slots=True)
class ReviewReport:
    """The outcome of verifying a bundle."""

    path: Path
    sha256: str
    problems: tuple[str, ...]
    manifest: dict[str, Any] | None
    patch: bytes = b""
    patch_truncated: bool = False

    @property
    def ok(self) -> bool:
        """True when the bundle verified completely."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "ok": self.ok,
            "problems": list(self.problems),
            "manifest": self.manifest,
            "sha256": self.sha256,
        }

    def error(self) -> BundleInvalid:
        """The error to raise for a bundle that failed verification."""
        count = len(self.problems)
        first = self.problems[0] if self.problems else "unknown problem"
        more = f" (and {count - 1} more)" if count > 1 else ""
        return BundleInvalid(
            f"{self.path.name} failed verification: {first}{more}",
            hint="do not trust this bundle; export it again from the repository",
            problems=self.problems,
            manifest=self.manifest,
        )


class _Stop(Exception):
    """Reading must stop: the rest of the bundle cannot be read safely."""


class _CountingReader:
    """The compressed file, counting the bytes read (for the compression ratio)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def seek(self, offset: int) -> int:
        # gzip only seeks to rewind, which a single forward pass never asks for.
        raise _Stop("the gzip stream asked to seek")


class _BudgetReader:
    """The decompressed stream, forward-only, that stops at the byte budget or a bomb."""

    def __init__(self, gz: gzip.GzipFile, compressed: _CountingReader, limits: Limits) -> None:
        self.gz = gz
        self.compressed = compressed
        self.limits = limits
        self.pos = 0

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self.limits.single_read:
            raise _Stop(f"a tar header asks to read {size} bytes at once (hostile header)")
        if self.pos + size > self.limits.total_bytes:
            raise _Stop(f"the bundle decompresses to more than {self.limits.total_bytes} bytes")
        data = self.gz.read(size)
        self.pos += len(data)
        self._check_ratio()
        return data

    def _check_ratio(self) -> None:
        packed = max(self.compressed.count, 1)
        if self.pos > self.limits.ratio_floor and self.pos > self.limits.ratio * packed:
            raise _Stop(
                f"decompression bomb: {self.pos} bytes from {packed} compressed "
                f"(more than {self.limits.ratio}:1)"
            )

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self.pos + offset
        if whence not in (io.SEEK_SET, io.SEEK_CUR) or target < self.pos:
            raise _Stop("the archive asks to seek backwards (it is not a plain stream)")
        while self.pos < target:
            if not self.read(min(CHUNK, target - self.pos)):
                break
        return self.pos

    def tell(self) -> int:
        return self.pos


@dataclass
class _Seen:
    """Members read so far: name -> (size, sha256)."""

    members: dict[str, tuple[int, str]] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None
    patch: bytes = b""
    patch_truncated: bool = False
    problems: list[str] = field(default_factory=list)


def review_bundle(path: str | os.PathLike[str], limits: Limits | None = None) -> ReviewReport:
    """Verify a bundle without trusting it; never raises for a bad bundle.

    Args:
        path: the ``.tar.gz`` file.
        limits: size limits (the defaults suit bundles of up to a few GiB).

    Returns:
        The report; ``ok`` is False with named ``problems`` when anything is wrong.

    Raises:
        GitgateError: when the file cannot be read at all.
    """
    bundle = Path(path)
    try:
        checksum = _file_sha256(bundle)
        seen = _Seen()
        with open(bundle, "rb") as raw:
            _read_members(raw, limits or Limits(), seen)
    except OSError as err:
        raise GitgateError(f"cannot read {bundle}: {err.strerror}", hint="check the path") from err
    problems = list(seen.problems)
    if seen.manifest is None:
        if not problems:
            problems.append("manifest.json is missing")
    else:
        problems.extend(compare_with_manifest(seen.manifest, seen.members))
    return ReviewReport(
        bundle, checksum, tuple(problems), seen.manifest, seen.patch, seen.patch_truncated
    )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        for block in iter(lambda: raw.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_members(raw: IO[bytes], limits: Limits, seen: _Seen) -> None:
    counting = _CountingReader(raw)
    try:
        with gzip.GzipFile(fileobj=counting, mode="rb") as gz:
            stream = _BudgetReader(gz, counting, limits)
            tar = tarfile.open(fileobj=stream, mode="r:")  # type: ignore[call-overload]
            count = 0
            while (info := tar.next()) is not None:
                tar.members.clear()  # tarfile would keep every header: memory per member
                count += 1
                if count > limits.members:
                    raise _Stop(f"more than {limits.members} members")
                _read_member(tar, info, limits, seen)
            _check_tail(stream)
    except _Stop as stop:
        seen.problems.append(f"{stop}; stopped reading")
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
        seen.problems.append(f"not a readable tar.gz: {err}")


def _check_tail(stream: _BudgetReader) -> None:
    # GNU tar's --ignore-zeros reads on past the end-of-archive blocks: hidden members there
    # would be extracted by some tools although this reader never saw them.
    while block := stream.read(CHUNK):
        if block.strip(b"\0"):
            raise _Stop("data after the end of the archive (hidden members?)")


def _read_member(tar: tarfile.TarFile, info: tarfile.TarInfo, limits: Limits, seen: _Seen) -> None:
    name = info.name
    problem = member_type_problem(info) or name_problem(name)
    if problem is not None:
        seen.problems.append(problem)
        return
    if name in seen.members:
        seen.problems.append(f"member {name!r} appears twice")
        return
    if info.size > limits.member_bytes:
        raise _Stop(f"member {name!r} is {info.size} bytes (limit {limits.member_bytes})")
    if name == MANIFEST_NAME and info.size > limits.manifest_bytes:
        raise _Stop(f"manifest.json is {info.size} bytes (limit {limits.manifest_bytes})")
    keep = limits.manifest_bytes if name == MANIFEST_NAME else 0
    keep = limits.patch_display if name == PATCH_NAME else keep
    size, digest, kept = _hash_member(tar, info, keep)
    seen.members[name] = (size, digest)
    if name == MANIFEST_NAME:
        seen.manifest = _parse_manifest(kept, seen.problems)
    elif name == PATCH_NAME:
        seen.patch, seen.patch_truncated = kept, size > len(kept)


def _hash_member(tar: tarfile.TarFile, info: tarfile.TarInfo, keep: int) -> tuple[int, str, bytes]:
    """Hash a member's data in chunks, keeping at most ``keep`` bytes of it."""
    digest = hashlib.sha256()
    kept = bytearray()
    size = 0
    source = tar.extractfile(info)
    assert source is not None  # regular files always have data
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
    if size != info.size:
        raise _Stop(f"member {info.name!r} is truncated")
    return size, digest.hexdigest(), bytes(kept)


def _parse_manifest(data: bytes, problems: list[str]) -> dict[str, Any] | None:
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        problems.append(f"manifest.json is not JSON: {err}")
        return None
    if not isinstance(manifest, dict):
        problems.append("manifest.json is not a JSON object")
        return None
    return manifest


_LINK_KINDS = (
    (tarfile.TarInfo.issym, "a symbolic link"),
    (tarfile.TarInfo.islnk, "a hard link"),
    (tarfile.TarInfo.ischr, "a character device"),
    (tarfile.TarInfo.isblk, "a block device"),
    (tarfile.TarInfo.isfifo, "a fifo"),
    (tarfile.TarInfo.isdir, "a directory"),
)


def member_type_problem(info: tarfile.TarInfo) -> str | None:
    """Why a member is refused for its type (bundles hold regular files only), or None."""
    for test, what in _LINK_KINDS:
        if test(info):
            target = f" -> {info.linkname!r}" if info.linkname else ""
            return f"member {info.name!r} is {what}{target}: bundles hold regular files only"
    if info.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
        return f"member {info.name!r} has unsupported type {info.type!r}"
    return None


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


def compare_with_manifest(
    manifest: dict[str, Any], members: dict[str, tuple[int, str]]
) -> list[str]:
    """Problems between a manifest and the members actually read (name -> size, sha256)."""
    problems, expected = manifest_problems(manifest)
    for name in sorted(set(members) - set(expected)):
        if name != MANIFEST_NAME:
            problems.append(f"member {name!r} is not in the manifest")
    for name, (size, digest) in sorted(expected.items()):
        if name not in members:
            problems.append(f"{name!r} is in the manifest but missing from the bundle")
            continue
        got_size, got_digest = members[name]
        if got_size != size:
            problems.append(f"{name!r} is {got_size} bytes; the manifest says {size}")
        if got_digest != digest:
            problems.append(
                f"{name!r} has sha256 {got_digest[:16]}…, the manifest says {digest[:16]}… "
                "(content changed)"
            )
    return problems


def manifest_problems(manifest: dict[str, Any]) -> tuple[list[str], dict[str, tuple[int, str]]]:
    """Check a manifest's shape; return the problems and the members it promises."""
    if manifest.get("schema") != SCHEMA:
        return [f"manifest.json has unknown schema {manifest.get('schema')!r}"], {}
    problems = [
        f"manifest.json: {key!r} must be a non-empty string"
        for key in ("id", "kind", "status", "target", "requester", "created_at")
        if not isinstance(manifest.get(key), str) or not manifest.get(key)
    ]
    problems += _commit_problems(manifest.get("commits"))
    expected: dict[str, tuple[int, str]] = {}
    patch = manifest.get("patch")
    _expect(patch, PATCH_NAME, "patch", expected, problems)
    files = manifest.get("files")
    if not isinstance(files, list):
        return [*problems, "manifest.json: 'files' must be a list"], expected
    for index, entry in enumerate(files):
        problems += _file_entry_problems(index, entry, expected)
    if not isinstance(manifest.get("excluded"), list):
        problems.append("manifest.json: 'excluded' must be a list")
    return problems, expected


def _commit_problems(commits: object) -> list[str]:
    if not isinstance(commits, dict):
        return ["manifest.json: 'commits' must be an object"]
    return [
        f"manifest.json: commits.{key} is not a commit id"
        for key in ("base", "proposal")
        if not isinstance(commits.get(key), str) or not _OID.fullmatch(commits[key])
    ]


def _file_entry_problems(
    index: int, entry: object, expected: dict[str, tuple[int, str]]
) -> list[str]:
    where = f"manifest.json: files[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return [f"{where} is not an object with a path"]
    problems: list[str] = []
    if entry.get("change") not in CHANGES:
        problems.append(f"{where} has unknown change {entry.get('change')!r}")
    if entry.get("type") not in ENTRY_TYPES:
        problems.append(f"{where} has unknown type {entry.get('type')!r}")
    if "member" in entry:
        if entry["member"] != FILES_PREFIX + entry["path"]:
            problems.append(f"{where}: member {entry['member']!r} does not match its path")
        _expect(entry, entry["member"], where, expected, problems)
    return problems


def _expect(
    entry: object,
    name: object,
    where: str,
    expected: dict[str, tuple[int, str]],
    problems: list[str],
) -> None:
    """Record the member an entry promises, or the reason it cannot be trusted."""
    if not isinstance(entry, dict) or not isinstance(name, str) or entry.get("member") != name:
        problems.append(f"{where}: not a valid member description")
        return
    size, digest = entry.get("size"), entry.get("sha256")
    bad_size = not isinstance(size, int) or isinstance(size, bool) or size < 0
    if bad_size or not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        problems.append(f"{where}: size or sha256 missing or malformed")
        return
    unsafe = name_problem(name)
    if unsafe is not None:
        problems.append(f"manifest.json lists an unsafe name: {unsafe}")
    elif name in expected:
        problems.append(f"manifest.json lists {name!r} twice")
    else:
        assert isinstance(size, int)
        expected[name] = (size, digest)


def summary_lines(manifest: dict[str, Any]) -> list[str]:
    """A few lines describing a verified manifest, for people."""
    commits = manifest.get("commits") or {}
    lines = [
        f"proposal {manifest.get('id')} ({manifest.get('kind')}, {manifest.get('status')}) "
        f"by {manifest.get('requester')} at {manifest.get('created_at')}",
        f"target {manifest.get('target')}: base {str(commits.get('base'))[:12]}, "
        f"proposal {str(commits.get('proposal'))[:12]}"
        + (f", merge {str(commits['merge'])[:12]}" if "merge" in commits else ""),
    ]
    message = str(manifest.get("message") or "").strip()
    if message:
        lines.append("message: " + message.splitlines()[0])
    for approval in manifest.get("approvals") or []:
        lines.append(f"approved by {approval.get('by')} at {approval.get('at')}")
    lines.append("changes:")
    lines += [f"  {_describe_entry(e)}" for e in manifest.get("files") or []]
    excluded = manifest.get("excluded") or []
    if excluded:
        lines.append("excluded:")
        lines += [f"  {e.get('path')}: {e.get('reason')}" for e in excluded]
    for item in manifest.get("redacted") or []:
        lines.append(f"redacted: {item.get('path')} ({item.get('count')} secrets)")
    return lines


def _describe_entry(entry: dict[str, Any]) -> str:
    change = str(entry.get("change"))
    text = f"{change:<11} {entry.get('path')}"
    if "renamed_from" in entry:
        text += f" (from {entry['renamed_from']})"
    if entry.get("type") == "symlink":
        text += f" -> {entry.get('target')} (symlink)"
    elif entry.get("type") == "submodule":
        text += f" (submodule at {str(entry.get('commit'))[:12]})"
    elif "size" in entry:
        text += f" ({entry.get('mode')}, {entry['size']} bytes)"
    return text
