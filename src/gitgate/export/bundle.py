"""Exporting a proposal as a bundle for offline review (the format: ``bundleformat``).

The same proposal always gives the same bytes (sorted members, fixed header fields, a gzip
header without time or name: ``targz``), so a reviewer can quote the bundle's sha256.

Memory stays flat in the number of files: the changes are streamed from a side-by-side walk
of the two trees (twice: judge every path, then bundle), each file is read, redacted and
handed to the compressor one at a time, and the manifest's per-file lists are assembled in
temporary files. git computes the patch on another core meanwhile, and compression runs on
worker threads. A large text is redacted window by window (``redaction.redact_bytes``).
The reviewing side is ``review``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gitgate import __version__
from gitgate.errors import GitgateError
from gitgate.export.bundleformat import (
    CHANGES,
    CHUNK,
    FILES_PREFIX,
    MANIFEST_NAME,
    PATCH_NAME,
    SCHEMA,
    BundleInvalid,
    name_problem,
)
from gitgate.export.bundlepatch import (
    DIFF_BATCH,
    PATHSPEC_BYTES,
    PatchJob,
    pathspec_bytes,
    read_back,
    spooled_lines,
    withhold_ids_of_redacted_files,
)
from gitgate.export.diffgen import BINARY_SNIFF
from gitgate.export.targz import TarGzWriter
from gitgate.journal.records import Proposal
from gitgate.safety.pathpolicy import export_exclusion_reason, is_sensitive_name
from gitgate.safety.redaction import redact, redact_bytes, redact_data
from gitgate.store.gitstore import MODE_GITLINK, MODE_LINK, FileDiff, GitStore

if TYPE_CHECKING:
    from gitgate.workflow import Gate

GZIP_LEVEL = 6  # git archive's default, so the two are compared like for like
CONTENT_HASH_MARKER = "[REDACTED:content-hash]"
MAX_LINK_TARGET = 4096  # a symlink target longer than PATH_MAX is described cut short

Progress = Callable[[int, int], None]
"""Called with (files written, files to write) as an export goes."""


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
class Spool:
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
    def open(cls) -> Iterator[Spool]:
        with ExitStack() as stack:
            units, excluded, files, redacted, raw_diff, patch, manifest = (
                # Big buffers: each flush to the OS lets the compression threads take the GIL.
                stack.enter_context(tempfile.TemporaryFile(buffering=CHUNK))
                for _ in range(7)
            )
            yield cls(units, excluded, files, redacted, raw_diff, patch, manifest)


@dataclass
class Survey:
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
    only_additions: bool = True

    def omit_from_diff(self, path: str) -> None:
        if self.leave_out is None:
            return
        self.leave_out_bytes += pathspec_bytes(path)
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
    span = diff_span(store, proposal)
    base_tree = store.commit(span[0]).tree
    new_tree = store.commit(span[1]).tree
    renames = store.rename_pairs(base_tree, new_tree)

    def changes() -> Iterator[FileDiff]:
        return store.iter_changes(base_tree, new_tree, renames=renames)

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with Spool.open() as spool:
            survey = _survey(changes(), extra_excludes, extra_sensitive, spool)
            with PatchJob.start(store, span, survey, spool) as patch_job:
                with open(tmp, "wb") as raw, TarGzWriter(raw, level=GZIP_LEVEL) as tar:
                    _add_files(store, changes(), survey, tar, spool, progress)
                    patch_info = patch_job.result()
                    if spool.redacted_files:
                        patch_info = withhold_ids_of_redacted_files(spool, patch_info)
                    size = _write_manifest(proposal, span, survey, patch_info, spool)
                    tar.add_stream(MANIFEST_NAME, size, read_back(spool.manifest))
                    tar.add_stream(PATCH_NAME, patch_info["size"], read_back(spool.patch))
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


def diff_span(store: GitStore, proposal: Proposal) -> tuple[str, str]:
    """The two commits whose difference a bundle shows (``diff`` in the manifest).

    The proposal's change, base..proposal; but a command proposal's commit changes nothing
    (its command runs at approval), so an executed one shows what its merge changed on the
    target: the command's effect, which is what an auditor needs to see.
    """
    merge = proposal.result.get("merge")
    if proposal.kind == "command" and proposal.status == "executed" and isinstance(merge, str):
        parents = store.commit(merge).parents
        if parents:
            return parents[0], merge
    return proposal.base, proposal.commit


def _survey(
    changes: Iterable[FileDiff],
    extra_excludes: Sequence[str],
    extra_sensitive: Sequence[str],
    spool: Spool,
) -> Survey:
    """Judge every change; spool the excluded entries and the diff's path units."""
    survey = Survey()
    for diff in changes:
        survey.changed += 1
        survey.only_additions = survey.only_additions and diff.change == "added"
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


def _add_files(
    store: GitStore,
    changes: Iterable[FileDiff],
    survey: Survey,
    tar: TarGzWriter,
    spool: Spool,
    progress: Progress | None,
) -> None:
    """Describe every exported change, writing file contents as members in sorted order."""
    seen = 0
    for index, diff in enumerate(changes):
        seen += 1
        if index < len(survey.exported) and survey.exported[index]:
            _add_file(store, diff, survey, tar, spool, progress)
    if seen != survey.changed:  # the trees are immutable: this would be a bug, not a race
        raise GitgateError("the changes of the proposal differed between two passes")


def _add_file(
    store: GitStore,
    diff: FileDiff,
    survey: Survey,
    tar: TarGzWriter,
    spool: Spool,
    progress: Progress | None,
) -> None:
    entry = _describe(store, diff, survey.hidden_sources.get(diff.path))
    if _bundles_content(diff):
        data, count, binary = _bundled_content(store.read_blob(diff.oid))
        name = member_name(diff.path)
        tar.add(name, data)
        entry.update(
            member=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), binary=binary
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
        from gitgate.safety.secretscan import redact_blob, text_encoding

        # UTF-16/32 text has NULs but is text: redacted in its own encoding. Other binaries
        # are redacted too (fail closed): their bytes survive except a secret's own, which
        # push protection would have flagged in the same file.
        blob, count = redact_blob(data)
        return blob, count, text_encoding(data)[0] == "utf-8"
    redacted, count = redact_bytes(data)
    return redacted, count, False


# The lists that can hold one entry per changed file are written one compact entry per line;
# everything else is indented JSON. Either way the manifest is plain JSON, keys sorted.
_LISTED = ("excluded", "files", "redacted")


def _write_manifest(
    proposal: Proposal,
    span: tuple[str, str],
    survey: Survey,
    patch_info: dict[str, Any],
    spool: Spool,
) -> int:
    """Assemble ``manifest.json`` in ``spool.manifest``; return its size."""
    redacted = bool(spool.redacted_files or patch_info["redacted"])
    fields = manifest_fields(proposal, patch_info, withhold_hashes=redacted)
    fields["diff"] = {"from": span[0], "to": span[1]}
    fields["totals"] = {
        "changed": survey.changed,
        "bundled": spool.bundled,
        "excluded": survey.excluded,
        "bytes": spool.bundled_bytes,
    }
    lists = {
        "excluded": spooled_lines(spool.excluded),
        "files": spooled_lines(spool.files),
        "redacted": spooled_lines(spool.redacted),
    }
    size = 0
    for chunk in manifest_chunks(fields, lists):
        spool.manifest.write(chunk)
        size += len(chunk)
    return size


def manifest_fields(
    proposal: Proposal, patch_info: dict[str, Any], *, withhold_hashes: bool = False
) -> dict[str, Any]:
    """The manifest's fields other than the per-file lists and totals.

    ``withhold_hashes``: something was redacted, so the proposal's hashes of its original
    content (``sha256``, ``patch_sha256``) are withheld: with the rest of the content in the
    bundle, a weak secret could be guessed and checked against them.
    """
    arguments = redact_data(proposal.arguments)
    if withhold_hashes and isinstance(arguments, dict):
        arguments = {
            key: CONTENT_HASH_MARKER if key.endswith("sha256") else value
            for key, value in arguments.items()
        }
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
        "arguments": arguments,
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
