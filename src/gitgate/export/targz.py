"""A deterministic ``tar.gz`` writer for export bundles (pure: no git).

Why not ``tarfile`` + ``gzip.GzipFile``: ``tarfile`` keeps a ``TarInfo`` for every member it
writes (memory grows with the number of files) and builds each header through several layers
of Python (~60 µs a member); ``GzipFile`` compresses on the caller's thread. An export of
10,000 small files spent more time there than in git. This writer

* emits only regular-file members with every header field fixed (mode 0644, uid/gid 0, no
  owner names, mtime 0), so the archive depends on names and contents only. A name of at most
  100 ASCII characters gets a plain ustar header built from a template; anything else goes
  through ``tarfile``'s own PAX header code, so both forms are exactly what ``tarfile`` writes;
* ends the archive like ``tarfile`` (two zero blocks, padded to a 10 KiB record);
* compresses on worker threads, pigz-style (see :class:`TarGzWriter`): zlib releases the GIL,
  so compression overlaps with the caller's work (reading blobs, redacting) and with itself.
  Blocks are cut at fixed offsets of the uncompressed stream, so the output is byte-identical
  whatever the timing or the number of threads; the gzip header has no name and no time.

Memory stays at a few compression blocks whatever the number or size of members.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import threading
import zlib
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO

BLOCK = 512
RECORD = 20 * BLOCK  # tarfile.RECORDSIZE: the archive is padded to whole records
FEED = 256 << 10  # uncompressed bytes per compression block (a few in flight at most)
MAX_IN_FLIGHT = 4  # blocks queued for compression at most (per two threads): bounds memory
SMALL_MEMBER = 64 << 10  # members up to this size are gathered into blocks before queueing
MAX_QUEUED = 2 << 20  # bytes queued ahead of the feeder thread (a bigger piece waits for none)
WINDOW = 32 << 10  # deflate's window: the dictionary carried from one block to the next
_NAME_FIELD = 100
_MAX_USTAR_SIZE = 8**11 - 1  # 11 octal digits


def _template() -> tuple[bytes, bytes, int]:
    """The fixed parts of a ustar header and the checksum they contribute."""
    info = _member_info("x", 0)
    header = info.tobuf(tarfile.USTAR_FORMAT, "ascii", "strict")
    middle = header[_NAME_FIELD:124]  # mode, uid, gid
    tail = header[136:148], header[156:BLOCK]  # mtime; type, magic, owner names, devices
    fixed = sum(middle) + sum(tail[0]) + sum(tail[1]) + 8 * ord(" ")
    return middle, tail[0] + b"        " + tail[1], fixed


def _member_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


_MIDDLE, _TAIL, _FIXED_SUM = _template()


def member_header(name: str, size: int) -> bytes:
    """The header block(s) of a regular-file member, exactly as ``tarfile`` (PAX) writes them.

    Args:
        name: the member name (already checked to be a safe relative name).
        size: the member's data size in bytes.
    """
    if len(name) <= _NAME_FIELD and name.isascii() and size <= _MAX_USTAR_SIZE:
        name_field = name.encode("ascii").ljust(_NAME_FIELD, b"\0")
        size_field = b"%011o\0" % size
        checksum = _FIXED_SUM + sum(name_field) + sum(size_field)
        # The checksum field: six octal digits, NUL, and the eighth byte left as a space.
        head = name_field + _MIDDLE + size_field
        return head + _TAIL[:12] + b"%06o\0 " % checksum + _TAIL[20:]
    info = _member_info(name, size)
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


class TarGzWriter:
    """Write a deterministic tar.gz to ``out``, hashing and counting the compressed bytes.

    Use as a context manager or call :meth:`close`; ``sha256`` and ``size`` describe the file
    written once closed.

    The caller's thread only queues bytes (up to :data:`MAX_QUEUED` at a time), so it can go
    on (redacting the next file) while a feeder thread cuts the tar stream into blocks of
    :data:`FEED` bytes. The blocks are compressed in parallel the way ``pigz`` does it: each
    on its own, primed with the last 32 KiB of the block before (so compression barely
    suffers) and ended with a sync flush (so the pieces join into one valid deflate stream).
    A block's output depends only on its bytes and its predecessor's, never on timing or the
    number of threads.
    """

    def __init__(self, out: IO[bytes], *, level: int = 6, threads: int | None = None) -> None:
        self._deflater = _Deflater(out, level, threads or min(4, os.cpu_count() or 1))
        self._queue: deque[bytes | bytearray | memoryview | None] = deque()
        self._small = bytearray()  # small members not yet handed to the feeder
        self._queued = 0
        self._ready = threading.Condition()
        self._error: BaseException | None = None
        self._closed = False
        self._feeder = threading.Thread(target=self._feed_loop, name="gitgate-tar", daemon=True)
        self._feeder.start()

    def __enter__(self) -> TarGzWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._abandon()

    @property
    def sha256(self) -> str:
        """The sha256 of the compressed file (complete once closed)."""
        return self._deflater.hash.hexdigest()

    @property
    def size(self) -> int:
        """The size of the compressed file (complete once closed)."""
        return self._deflater.size

    def add(self, name: str, data: bytes | bytearray | memoryview) -> None:
        """Add one regular-file member holding ``data`` (which must not change afterwards)."""
        size = len(data)
        pad = b"\0" * (-size % BLOCK)
        if size <= SMALL_MEMBER:
            # Small members gather here and go to the feeder a block at a time: one hand-over
            # (and one wake-up of another thread) per 256 KiB, not per file.
            self._small += member_header(name, size)
            self._small += data
            self._small += pad
            if len(self._small) >= FEED:
                self._flush_small()
            return
        self._put(member_header(name, size))
        self._put(data)
        self._put(pad)

    def add_stream(self, name: str, size: int, chunks: Iterable[bytes]) -> None:
        """Add one member whose ``size`` bytes arrive as ``chunks``.

        Raises:
            ValueError: when the chunks do not add up to ``size`` (the archive is then
                unusable; the caller must discard it).
        """
        self._put(member_header(name, size))
        seen = 0
        for chunk in chunks:
            seen += len(chunk)
            if seen > size:
                break
            self._put(chunk)
        if seen != size:
            raise ValueError(f"member {name!r}: expected {size} bytes, got {seen}")
        self._put_padding(size)

    def close(self) -> None:
        """End the archive, flush the compressor and write the gzip trailer.

        Raises:
            OSError: or whatever else writing the output failed with.
        """
        if self._closed:
            return
        self._closed = True
        self._put(b"\0" * (2 * BLOCK))
        self._put(None)  # the feeder pads to a whole record and finishes the stream
        self._feeder.join()
        if self._error is not None:
            raise self._error

    # -- internals -------------------------------------------------------------------------

    def _put_padding(self, size: int) -> None:
        if size % BLOCK:
            self._put(b"\0" * (BLOCK - size % BLOCK))

    def _flush_small(self) -> None:
        if self._small:
            small, self._small = self._small, bytearray()
            self._put(small)

    def _put(self, data: bytes | bytearray | memoryview | None) -> None:
        if self._small:
            self._flush_small()  # keep the order of the stream
        size = 0 if data is None else len(data)
        if size == 0 and data is not None:
            return
        with self._ready:
            # A piece larger than the whole budget waits for an empty queue instead.
            while self._error is None and self._queued and self._queued + size > MAX_QUEUED:
                self._ready.wait()
            if self._error is not None:
                raise self._error
            self._queue.append(data)
            self._queued += size
            self._ready.notify_all()

    def _feed_loop(self) -> None:
        try:
            while True:
                with self._ready:
                    while not self._queue:
                        self._ready.wait()
                    data = self._queue.popleft()
                if data is None:
                    if self._error is None:
                        self._deflater.finish()
                    else:  # abandoned by the caller
                        self._deflater.abandon()
                    return
                self._deflater.feed(data)
                with self._ready:
                    self._queued -= len(data)
                    self._ready.notify_all()
        except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
            with self._ready:
                self._error = err
                self._queue.clear()
                self._ready.notify_all()
            self._deflater.abandon()

    def _abandon(self) -> None:
        self._closed = True
        with self._ready:
            self._queue.clear()
            self._error = self._error or RuntimeError("abandoned")
            self._queue.append(None)
            self._ready.notify_all()
        self._feeder.join()


class _Deflater:
    """The tar stream in, the gzip file out: blocks compressed on a thread pool (see above)."""

    def __init__(self, out: IO[bytes], level: int, workers: int) -> None:
        self._out = out
        self._level = level
        self._crc = 0
        self._raw_size = 0  # uncompressed bytes: the tar stream
        self.hash = hashlib.sha256()
        self.size = 0
        self._buffer = bytearray()
        self._previous = b""  # the last WINDOW bytes of the block before: the next dictionary
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gitgate-gzip")
        self._pending: deque[Future[bytes]] = deque()
        self._in_flight = max(MAX_IN_FLIGHT, 2 * workers)
        self._write_out(self._gzip_header())

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        # Blocks are cut at fixed offsets of the tar stream, never by timing: determinism.
        view = memoryview(data)
        while view:
            room = FEED - len(self._buffer)
            self._buffer += view[:room]
            view = view[room:]
            if len(self._buffer) >= FEED:
                self._submit(bytes(self._buffer), final=False)
                self._buffer.clear()

    def finish(self) -> None:
        """Pad the archive to a whole record, flush every block, write the gzip trailer."""
        remainder = (self._raw_size + len(self._buffer)) % RECORD
        if remainder:
            self.feed(b"\0" * (RECORD - remainder))
        self._submit(bytes(self._buffer), final=True)
        self._buffer.clear()
        try:
            while self._pending:
                self._write_out(self._pending.popleft().result())
            size = (self._raw_size & 0xFFFFFFFF).to_bytes(4, "little")
            self._write_out(self._crc.to_bytes(4, "little") + size)
        finally:
            self._pool.shutdown(wait=True)

    def abandon(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)

    def _submit(self, block: bytes, *, final: bool) -> None:
        self._raw_size += len(block)
        self._crc = zlib.crc32(block, self._crc)
        while len(self._pending) >= self._in_flight:
            self._write_out(self._pending.popleft().result())  # re-raises a worker's failure
        future = self._pool.submit(_deflate_block, block, self._previous, self._level, final)
        self._pending.append(future)
        self._previous = block[-WINDOW:]

    def _write_out(self, data: bytes) -> None:
        if data:
            self._out.write(data)
            self.hash.update(data)
            self.size += len(data)

    def _gzip_header(self) -> bytes:
        # RFC 1952, as gzip.GzipFile writes it with filename="" and mtime=0: no name, no time.
        xfl = {9: 2, 1: 4}.get(self._level, 0)
        return b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + bytes([xfl, 0xFF])


def _deflate_block(block: bytes, dictionary: bytes, level: int, final: bool) -> bytes:
    """One block of the raw deflate stream (runs on a worker thread; zlib drops the GIL)."""
    if dictionary:
        packer = zlib.compressobj(
            level, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0, zdict=dictionary
        )
    else:
        packer = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0)
    # A sync flush ends the block on a byte boundary without ending the stream; the last
    # block finishes it.
    return packer.compress(block) + packer.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)
