"""Reviewing an export bundle offline: verify everything, trust nothing, extract nothing.

:func:`review_bundle` needs no repository. It stream-decompresses under a byte budget and a
compression-ratio limit (a gzip bomb is refused after a few MiB), accepts only regular-file
members with normalised relative names, and checks every member against the manifest (schema,
sizes, sha256, nothing missing, nothing extra). Nothing is ever written to disk.

Pure: no git.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from gitgate.errors import GitgateError
from gitgate.export.bundleformat import (
    CHANGES,
    CHUNK,
    ENTRY_TYPES,
    FILES_PREFIX,
    MANIFEST_NAME,
    PATCH_NAME,
    SCHEMA,
    BundleInvalid,
    name_problem,
)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_OID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


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
    span = manifest.get("diff")
    if isinstance(span, dict) and "from" in span and "to" in span:
        lines.append(f"changes shown: {str(span['from'])[:12]}..{str(span['to'])[:12]}")
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
