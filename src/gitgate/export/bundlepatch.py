"""The patch of an export bundle: git's diff (or diffgen's), cut into sections, redacted.

Made on another core while ``bundle`` writes the files: a forked child where that is safe, a
thread otherwise (the bytes are the same). Sections with secrets lose their ``index`` line
(blob ids of unredacted content would let a reader test guesses of a weak secret).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import IO, TYPE_CHECKING, Any, NoReturn

from gitgate.errors import GitError
from gitgate.export.bundleformat import CHUNK, PATCH_NAME
from gitgate.export.diffgen import added_section, git_quoted
from gitgate.safety.redaction import redact_bytes
from gitgate.store.gitstore import MODE_GITLINK, GitStore

if TYPE_CHECKING:
    from gitgate.export.bundle import Spool, Survey

DIFF_BATCH = 500  # literal pathspecs per `git diff`...
PATHSPEC_BYTES = 64 << 10  # ...and their bytes: far below any command-line limit
FORK_PATCH = True  # make the patch in a forked child when safe (tests turn it off)


def pathspec_bytes(path: str) -> int:
    """What one literal pathspec adds to git's command line (the path and its magic)."""
    return len(path.encode("utf-8", "surrogateescape")) + 20


class PatchJob:
    """The redacted patch, made on another core while the files are bundled.

    Redaction is pure Python and holds the GIL, so a thread would not run it alongside the
    files; a forked child does (git's diff and the patch's redaction there, the files'
    reading and redaction here). The child inherits the temporary files, writes the patch
    into ``spool.patch`` and sends its manifest entry back through a pipe. Where fork is not
    safe (no fork, or other threads alive in this process), git still runs on a thread and
    the redaction happens here afterwards. The bytes are the same either way.
    """

    def __init__(self, store: GitStore, span: tuple[str, str], survey: Survey, spool: Spool):
        self._args = (store, span, survey, spool)
        self._child: tuple[int, int] | None = None  # (pid, read end of the pipe)
        self._pool: ThreadPoolExecutor | None = None
        self._diff: Future[None] | None = None

    @classmethod
    @contextmanager
    def start(
        cls, store: GitStore, span: tuple[str, str], survey: Survey, spool: Spool
    ) -> Iterator[PatchJob]:
        job = cls(store, span, survey, spool)
        for spooled in (spool.units, spool.raw_diff, spool.patch):
            spooled.flush()  # the child must not inherit half-written buffers
        try:
            if FORK_PATCH and _fork_is_safe():
                job._fork()
            else:
                job._pool = ThreadPoolExecutor(1, "gitgate-diff")
                job._diff = job._pool.submit(_write_raw_diff, store, span, survey, spool)
            yield job
        finally:
            job._stop()

    def result(self) -> dict[str, Any]:
        """Wait for the patch; return its manifest entry.

        Raises:
            GitError: when git's diff failed (in the child or the thread).
        """
        store, span, survey, spool = self._args
        if self._child is None:
            assert self._diff is not None
            self._diff.result()
            return _write_patch(read_back(spool.raw_diff), spool.patch)
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
    writer: int, store: GitStore, span: tuple[str, str], survey: Survey, spool: Spool
) -> NoReturn:
    """The forked child: write the redacted patch, report, and leave without cleanup.

    ``os._exit`` skips atexit handlers and the flushing of buffers inherited from the
    parent, which are the parent's to write.
    """
    code = 0
    try:
        # git's output is redacted as it comes: git and this child work side by side.
        info = _write_patch(_diff_chunks(store, span, survey, spool.units), spool.patch)
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


def _write_raw_diff(store: GitStore, span: tuple[str, str], survey: Survey, spool: Spool) -> None:
    """git's diff of the exported paths into ``spool.raw_diff`` (not redacted yet)."""
    for chunk in _diff_chunks(store, span, survey, spool.units):
        spool.raw_diff.write(chunk)
    spool.raw_diff.flush()


def _diff_chunks(
    store: GitStore, span: tuple[str, str], survey: Survey, units: IO[bytes]
) -> Iterator[bytes]:
    """git's diff without the excluded paths, as it comes.

    One ``git diff`` leaving the excluded paths out when they fit on a command line;
    otherwise batches of the exported paths (a rename's two paths always together).
    """
    base, commit = span
    if survey.only_additions and store.diff_is_plain():
        yield from _added_sections(store, span, survey)
        return
    if survey.leave_out is not None:
        yield from store.stream_diff(base, commit, leave_out=survey.leave_out)
        return
    for batch in _unit_batches(units):
        yield from store.stream_diff(base, commit, paths=batch)


def _added_sections(store: GitStore, span: tuple[str, str], survey: Survey) -> Iterator[bytes]:
    """The diff of a proposal that only adds files, written here instead of by git.

    git would read every blob again only to print it with "+" in front; ``diffgen`` writes
    the same bytes from the blobs. Runs in the patch job (a forked child or a thread), so
    it reads through a repository handle of its own.
    """
    own = GitStore.open(store.git_dir)
    base_tree = own.commit(span[0]).tree
    new_tree = own.commit(span[1]).tree
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
        unit_size = sum(pathspec_bytes(p) for p in unit)
        if batch and (len(batch) + len(unit) > DIFF_BATCH or size + unit_size > PATHSPEC_BYTES):
            yield batch
            batch, size = [], 0
        batch.extend(unit)
        size += unit_size
    if batch:
        yield batch


def read_back(spooled: IO[bytes]) -> Iterator[bytes]:
    spooled.seek(0)
    while chunk := spooled.read(CHUNK):
        yield chunk


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


def withhold_ids_of_redacted_files(spool: Spool, patch_info: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``index`` lines of files whose bundled content had secrets redacted.

    The patch was made alongside the files, so a section whose own lines held no secret (the
    secret sits outside the hunks) still names the blob; with the whole redacted file in the
    bundle that id would be a check for guesses. The patch is rewritten into the spare
    temporary file, which then becomes the patch.
    """
    redacted = {json.loads(line)["path"] for line in spooled_lines(spool.redacted)}
    endings = tuple(b" " + git_quoted("b/" + path) + b"\n" for path in redacted)
    out = spool.raw_diff
    out.seek(0)
    out.truncate()
    digest = hashlib.sha256()
    size = 0
    for section in diff_sections(read_back(spool.patch)):
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


def spooled_lines(spooled: IO[bytes]) -> Iterator[bytes]:
    spooled.seek(0)
    for line in spooled:
        yield line.rstrip(b"\n")
