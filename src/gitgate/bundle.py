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
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from gitgate import __version__
from gitgate.bundleformat import (
    CHANGES,
    CHUNK,
    FILES_PREFIX,
    MANIFEST_NAME,
    PATCH_NAME,
    SCHEMA,
    BundleInvalid,
    name_problem,
)
from gitgate.diffgen import added_section, git_quoted
from gitgate.errors import GitError, GitgateError
from gitgate.gitstore import MODE_GITLINK, MODE_LINK, FileDiff, GitStore
from gitgate.pathpolicy import export_exclusion_reason, is_sensitive_name
from gitgate.records import Proposal
from gitgate.redaction import redact, redact_bytes, redact_data
from gitgate.targz import TarGzWriter

if TYPE_CHECKING:
    from gitgate.workflow import Gate

BINARY_SNIFF = 8000  # git's own heuristic: a NUL in the first 8000 bytes means binary
GZIP_LEVEL = 6  # git archive's default, so the two are compared like for like
DIFF_BATCH = 500  # literal pathspecs per `git diff`...
PATHSPEC_BYTES = 64 << 10  # ...and their bytes: far below any command-line limit
FORK_PATCH = True  # make the patch in a forked child when safe (tests turn it off)
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
                # Big buffers: each flush to the OS lets the compression threads take the GIL.
                stack.enter_context(tempfile.TemporaryFile(buffering=CHUNK))
                for _ in range(7)
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
    only_additions: bool = True

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
        with _Spool.open() as spool:
            survey = _survey(changes(), extra_excludes, extra_sensitive, spool)
            with _PatchJob.start(store, proposal, survey, spool) as patch_job:
                with open(tmp, "wb") as raw, TarGzWriter(raw, level=GZIP_LEVEL) as tar:
                    _add_files(store, changes(), survey, tar, spool, progress)
                    patch_info = patch_job.result()
                    if spool.redacted_files:
                        patch_info = _withhold_ids_of_redacted_files(spool, patch_info)
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


class _PatchJob:
    """The redacted patch, made on another core while the files are bundled.

    Redaction is pure Python and holds the GIL, so a thread would not run it alongside the
    files; a forked child does (git's diff and the patch's redaction there, the files'
    reading and redaction here). The child inherits the temporary files, writes the patch
    into ``spool.patch`` and sends its manifest entry back through a pipe. Where fork is not
    safe (no fork, or other threads alive in this process), git still runs on a thread and
    the redaction happens here afterwards. The bytes are the same either way.
    """

    def __init__(self, store: GitStore, proposal: Proposal, survey: _Survey, spool: _Spool):
        self._args = (store, proposal, survey, spool)
        self._child: tuple[int, int] | None = None  # (pid, read end of the pipe)
        self._pool: ThreadPoolExecutor | None = None
        self._diff: Future[None] | None = None

    @classmethod
    @contextmanager
    def start(
        cls, store: GitStore, proposal: Proposal, survey: _Survey, spool: _Spool
    ) -> Iterator[_PatchJob]:
        job = cls(store, proposal, survey, spool)
        for spooled in (spool.units, spool.raw_diff, spool.patch):
            spooled.flush()  # the child must not inherit half-written buffers
        try:
            if FORK_PATCH and _fork_is_safe():
                job._fork()
            else:
                job._pool = ThreadPoolExecutor(1, "gitgate-diff")
                job._diff = job._pool.submit(_write_raw_diff, store, proposal, survey, spool)
            yield job
        finally:
            job._stop()

    def result(self) -> dict[str, Any]:
        """Wait for the patch; return its manifest entry.

        Raises:
            GitError: when git's diff failed (in the child or the thread).
        """
        store, proposal, survey, spool = self._args
        if self._child is None:
            assert self._diff is not None
            self._diff.result()
            return _write_patch(_read_back(spool.raw_diff), spool.patch)
        pid, reader = self._child
        with os.fdopen(reader, "rb") as pipe:
            message = pipe.read()
        os.waitpid(pid, 0)
        self._child = None
        try:
            answer = json.loads(message)
        except ValueError:
            answer = {"error": "the patch worker died"}
        if "error" in answer:
            raise GitError(f"cannot make the bundle's patch: {answer['error']}")
        info: dict[str, Any] = answer["patch"]
        return info

    def _fork(self) -> None:
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(reader)
            _patch_child(writer, *self._args)
        os.close(writer)
        self._child = (pid, reader)

    def _stop(self) -> None:
        if self._child is not None:  # the export failed before the patch was collected
            pid, reader = self._child
            os.close(reader)
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            self._child = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _fork_is_safe() -> bool:
    # Forking a multi-threaded process can deadlock the child on a lock another thread held;
    # on macOS system frameworks may not survive a fork at all (Python spawns there too).
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _patch_child(
    writer: int, store: GitStore, proposal: Proposal, survey: _Survey, spool: _Spool
) -> NoReturn:
    """The forked child: write the redacted patch, report, and leave without cleanup.

    ``os._exit`` skips atexit handlers and the flushing of buffers inherited from the
    parent, which are the parent's to write.
    """
    code = 0
    try:
        # git's output is redacted as it comes: git and this child work side by side.
        info = _write_patch(_diff_chunks(store, proposal, survey, spool.units), spool.patch)
        spool.patch.flush()
        message = json.dumps({"patch": info})
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which raises
        message = json.dumps({"error": str(err) or type(err).__name__})
        code = 1
    try:
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(message.encode())
    finally:
        os._exit(code)


def _write_raw_diff(store: GitStore, proposal: Proposal, survey: _Survey, spool: _Spool) -> None:
    """git's diff of the exported paths into ``spool.raw_diff`` (not redacted yet)."""
    for chunk in _diff_chunks(store, proposal, survey, spool.units):
        spool.raw_diff.write(chunk)
    spool.raw_diff.flush()


def _diff_chunks(
    store: GitStore, proposal: Proposal, survey: _Survey, units: IO[bytes]
) -> Iterator[bytes]:
    """git's diff without the excluded paths, as it comes.

    One ``git diff`` leaving the excluded paths out when they fit on a command line;
    otherwise batches of the exported paths (a rename's two paths always together).
    """
    base, commit = proposal.base, proposal.commit
    if survey.only_additions and store.diff_is_plain():
        yield from _added_sections(store, proposal, survey)
        return
    if survey.leave_out is not None:
        yield from store.stream_diff(base, commit, leave_out=survey.leave_out)
        return
    for batch in _unit_batches(units):
        yield from store.stream_diff(base, commit, paths=batch)


def _added_sections(store: GitStore, proposal: Proposal, survey: _Survey) -> Iterator[bytes]:
    """The diff of a proposal that only adds files, written here instead of by git.

    git would read every blob again only to print it with "+" in front; ``diffgen`` writes
    the same bytes from the blobs. Runs in the patch job (a forked child or a thread), so
    it reads through a repository handle of its own.
    """
    own = GitStore.open(store.git_dir)
    base_tree = own.commit(proposal.base).tree
    new_tree = own.commit(proposal.commit).tree
    changes = own.iter_changes(base_tree, new_tree, renames={})
    for index, diff in enumerate(changes):
        if index < len(survey.exported) and survey.exported[index]:
            data = b"" if diff.mode == MODE_GITLINK else own.read_blob(diff.oid)
            yield added_section(diff.path, diff.mode, diff.oid, data)


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
        if index < len(survey.exported) and survey.exported[index]:
            _add_file(store, diff, survey, tar, spool, progress)
    if seen != survey.changed:  # the trees are immutable: this would be a bug, not a race
        raise GitgateError("the changes of the proposal differed between two passes")


def _add_file(
    store: GitStore,
    diff: FileDiff,
    survey: _Survey,
    tar: TarGzWriter,
    spool: _Spool,
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
        return data, 0, True
    redacted, count = redact_bytes(data)
    return redacted, count, False


def _write_patch(raw_diff: Iterable[bytes], out: IO[bytes]) -> dict[str, Any]:
    """Redact a diff section by section into ``out``; return its manifest entry."""
    digest = hashlib.sha256()
    size = redactions = 0
    for section in diff_sections(raw_diff):
        clean, count = redact_bytes(section)
        if count:
            clean = _without_blob_ids(clean)
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


# "index <old>..<new> <mode>": git's ids of the original blobs. In a section where secrets were
# redacted they would let a reader check guesses of a weak secret against the rest of the
# file, so the line goes (git apply does not need it).
_INDEX_LINE = re.compile(rb"^index [0-9a-f]+\.\.[0-9a-f]+(?: [0-7]+)?\n", re.MULTILINE)
_HUNK_OR_BODY = re.compile(rb"^(?:@@|--- |Binary files )", re.MULTILINE)


def _without_blob_ids(section: bytes | bytearray) -> bytes:
    """A diff section without its ``index`` line (looked for in the header only)."""
    body = _HUNK_OR_BODY.search(section)
    header_end = body.start() if body else len(section)
    return bytes(_INDEX_LINE.sub(b"", section[:header_end], count=1) + section[header_end:])


def _withhold_ids_of_redacted_files(spool: _Spool, patch_info: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``index`` lines of files whose bundled content had secrets redacted.

    The patch was made alongside the files, so a section whose own lines held no secret (the
    secret sits outside the hunks) still names the blob; with the whole redacted file in the
    bundle that id would be a check for guesses. The patch is rewritten into the spare
    temporary file, which then becomes the patch.
    """
    redacted = {json.loads(line)["path"] for line in _spooled_lines(spool.redacted)}
    endings = tuple(b" " + git_quoted("b/" + path) + b"\n" for path in redacted)
    out = spool.raw_diff
    out.seek(0)
    out.truncate()
    digest = hashlib.sha256()
    size = 0
    for section in diff_sections(_read_back(spool.patch)):
        first_line = section[: section.find(b"\n") + 1]
        clean = _without_blob_ids(section) if first_line.endswith(endings) else section
        out.write(clean)
        digest.update(clean)
        size += len(clean)
    out.flush()
    spool.patch, spool.raw_diff = out, spool.patch
    return {**patch_info, "size": size, "sha256": digest.hexdigest()}


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
    redacted = bool(spool.redacted_files or patch_info["redacted"])
    fields = manifest_fields(proposal, patch_info, withhold_hashes=redacted)
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
