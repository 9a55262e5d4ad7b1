"""Reviewing hand-crafted bundles: a valid one passes, every hostile variant is refused."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitgate.cli import main
from gitgate.export.bundle import plan_export
from gitgate.export.bundleformat import SCHEMA, name_problem
from gitgate.export.review import Limits, review_bundle
from gitgate.store.gitstore import FileDiff

OID = "1" * 40
CONTENT = b"print('hello')\n"
PATCH = b"diff --git a/a.py b/a.py\n"

Member = tuple[tarfile.TarInfo, bytes]


def regular(name: str, data: bytes) -> Member:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def special(name: str, kind: bytes, linkname: str = "") -> Member:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, b""


def manifest(files: dict[str, bytes] | None = None, **overrides: object) -> bytes:
    files = {"a.py": CONTENT} if files is None else files
    body: dict[str, object] = {
        "schema": SCHEMA,
        "id": "abcdefghij",
        "kind": "write",
        "tool": "write_file",
        "status": "pending",
        "message": "",
        "requester": "agent@example.com",
        "created_at": "2026-01-01T00:00:00Z",
        "approvals": [],
        "target": "main",
        "commits": {"base": OID, "proposal": "2" * 40},
        "files": [
            {
                "path": path,
                "change": "added",
                "type": "file",
                "mode": "100644",
                "member": f"files/{path}",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            for path, data in files.items()
        ],
        "excluded": [],
        "redacted": [],
        "patch": {
            "member": "patch.diff",
            "size": len(PATCH),
            "sha256": hashlib.sha256(PATCH).hexdigest(),
        },
    }
    body.update(overrides)
    return json.dumps(body).encode()


def valid_members() -> list[Member]:
    return [
        regular("files/a.py", CONTENT),
        regular("manifest.json", manifest()),
        regular("patch.diff", PATCH),
    ]


def write_bundle(path: Path, members: list[Member], tail: bytes = b"") -> Path:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    path.write_bytes(gzip.compress(raw.getvalue() + tail))
    return path


@pytest.fixture
def bundle_path(tmp_path: Path) -> Path:
    return tmp_path / "b.tar.gz"


def test_valid_bundle_passes(bundle_path: Path) -> None:
    report = review_bundle(write_bundle(bundle_path, valid_members()))
    assert report.problems == ()
    assert report.manifest is not None and report.manifest["id"] == "abcdefghij"
    assert report.patch == PATCH
    assert report.sha256 == hashlib.sha256(bundle_path.read_bytes()).hexdigest()


def _with(extra: Member) -> Callable[[], list[Member]]:
    return lambda: [*valid_members(), extra]


HOSTILE: dict[str, tuple[Callable[[], list[Member]], str]] = {
    "traversal": (_with(regular("../x", b"x")), "path traversal"),
    "nested-traversal": (_with(regular("files/../../x", b"x")), "path traversal"),
    "absolute": (_with(regular("/etc/x", b"x")), "absolute name"),
    "symlink": (_with(special("files/link", tarfile.SYMTYPE, "/etc/passwd")), "symbolic link"),
    "hardlink": (_with(special("files/hard", tarfile.LNKTYPE, "/etc/passwd")), "hard link"),
    "device": (_with(special("files/dev", tarfile.CHRTYPE)), "character device"),
    "fifo": (_with(special("files/fifo", tarfile.FIFOTYPE)), "fifo"),
    "directory": (_with(special("files/dir", tarfile.DIRTYPE)), "directory"),
    "not-in-manifest": (_with(regular("files/extra.py", b"x")), "not in the manifest"),
    "duplicate": (_with(regular("files/a.py", CONTENT)), "appears twice"),
    "changed-byte": (
        lambda: [regular("files/a.py", b"print('hellO')\n"), *valid_members()[1:]],
        "content changed",
    ),
    "missing-member": (lambda: valid_members()[1:], "missing from the bundle"),
    "no-manifest": (lambda: [valid_members()[0], valid_members()[2]], "manifest.json is missing"),
    "unknown-schema": (
        lambda: [
            valid_members()[0],
            regular("manifest.json", manifest(schema="x/9")),
            valid_members()[2],
        ],
        "unknown schema",
    ),
    "manifest-not-json": (
        lambda: [valid_members()[0], regular("manifest.json", b"{nope"), valid_members()[2]],
        "not JSON",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bundle_is_refused(case: str, bundle_path: Path) -> None:
    build, expected = HOSTILE[case]
    report = review_bundle(write_bundle(bundle_path, build()))
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems


def test_manifest_listing_an_unsafe_name_is_refused(bundle_path: Path) -> None:
    body = json.loads(manifest())
    body["files"][0]["path"] = "../a.py"
    body["files"][0]["member"] = "files/../a.py"
    members = [regular("manifest.json", json.dumps(body).encode()), valid_members()[2]]
    report = review_bundle(write_bundle(bundle_path, members))
    assert any("unsafe name" in p for p in report.problems), report.problems


def test_data_hidden_after_the_end_of_archive_is_refused(bundle_path: Path) -> None:
    hidden = io.BytesIO()
    with tarfile.open(fileobj=hidden, mode="w") as tar:
        info, data = regular("files/evil.sh", b"rm -rf /\n")
        tar.addfile(info, io.BytesIO(data))
    report = review_bundle(write_bundle(bundle_path, valid_members(), tail=hidden.getvalue()))
    assert any("after the end of the archive" in p for p in report.problems), report.problems


def test_not_a_tarball_is_refused(bundle_path: Path) -> None:
    bundle_path.write_bytes(gzip.compress(b"just some text, not a tar archive\n" * 20))
    report = review_bundle(bundle_path)
    assert any("not a readable tar.gz" in p for p in report.problems), report.problems


def test_not_gzip_is_refused(bundle_path: Path) -> None:
    bundle_path.write_bytes(b"PK\x03\x04 a zip file")
    assert any("not a readable tar.gz" in p for p in review_bundle(bundle_path).problems)


def test_truncated_bundle_is_refused(bundle_path: Path) -> None:
    data = write_bundle(bundle_path, valid_members()).read_bytes()
    bundle_path.write_bytes(data[: len(data) // 2])
    assert not review_bundle(bundle_path).ok


def _zeros_bomb(path: Path, size: int) -> Path:
    """A bundle whose one member is ``size`` zero bytes, honestly listed in the manifest."""
    zeros = hashlib.sha256()
    chunk = bytes(1 << 20)
    for _ in range(size // len(chunk)):
        zeros.update(chunk)
    body = json.loads(manifest())
    body["files"][0].update(size=size, sha256=zeros.hexdigest())

    class Zeros:
        def read(self, size: int) -> bytes:
            return bytes(size)

    with gzip.open(path, "wb", compresslevel=1) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info, _ = regular("files/a.py", b"")
            info.size = size
            tar.addfile(info, Zeros())  # type: ignore[arg-type]
            for info, data in [
                regular("manifest.json", json.dumps(body).encode()),
                valid_members()[2],
            ]:
                tar.addfile(info, io.BytesIO(data))
    return path


def test_gzip_bomb_is_refused_early(bundle_path: Path) -> None:
    _zeros_bomb(bundle_path, 200 << 20)
    assert bundle_path.stat().st_size < 2 << 20
    report = review_bundle(bundle_path)
    assert any("decompression bomb" in p for p in report.problems), report.problems


def test_total_size_limit(bundle_path: Path) -> None:
    write_bundle(bundle_path, valid_members())
    report = review_bundle(bundle_path, Limits(total_bytes=1000))
    assert any("decompresses to more than 1000 bytes" in p for p in report.problems)


def test_member_count_limit(bundle_path: Path) -> None:
    write_bundle(bundle_path, valid_members())
    report = review_bundle(bundle_path, Limits(members=2))
    assert any("more than 2 members" in p for p in report.problems)


def test_huge_pax_header_is_refused_without_reading_it(bundle_path: Path) -> None:
    info, data = regular("files/" + "a" * 200, b"x")
    info.pax_headers = {"comment": "x" * (5 << 20)}
    report = review_bundle(write_bundle(bundle_path, [(info, data), *valid_members()]))
    assert any("hostile header" in p for p in report.problems), report.problems


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("files/a.py", None),
        ("files/dir/ü.txt", None),
        ("manifest.json", None),
        ("", "empty name"),
        ("/etc/passwd", "absolute"),
        ("C:/x", "absolute"),
        ("../x", "traversal"),
        ("files/a/../../x", "traversal"),
        ("files//x", "not a normalised"),
        ("files/./x", "not a normalised"),
        ("files/x/", "not a normalised"),
        ("files\\..\\x", "backslashes"),
        ("files/a\nb", "control characters"),
    ],
)
def test_name_problem(name: str, problem: str | None) -> None:
    found = name_problem(name)
    assert (found is None) if problem is None else (found is not None and problem in found)


def _diff(path: str, change: str = "added") -> FileDiff:
    return FileDiff(path, change, None, 0o100644, 0, "3" * 40, "0" * 40)


def test_plan_excludes_sensitive_and_generated_paths() -> None:
    paths = [
        "src/ok.py",
        ".env",
        "config/id_rsa",
        "secrets/db.txt",
        "node_modules/x.js",
        "dist/a.js",
        "build/out.txt",
        "app.log",
        "pkg/__pycache__/m.pyc",
        "private/notes.md",
        "data/big.csv",
        ".env.example",
    ]
    plan = plan_export(
        [_diff(p) for p in paths],
        extra_excludes=("data/",),
        extra_sensitive=("private/",),
    )
    assert [d.path for d in plan.included] == [".env.example", "src/ok.py"]
    reasons = {e["path"]: e["reason"] for e in plan.excluded}
    assert reasons[".env"].startswith("sensitive file")
    assert reasons["config/id_rsa"].startswith("sensitive file")
    assert reasons["secrets/db.txt"].startswith("sensitive file")
    assert reasons["node_modules/x.js"] == "dependency directory (node_modules/)"
    assert reasons["dist/a.js"] == "build output (dist/)"
    assert reasons["app.log"] == "log file (*.log)"
    assert reasons["private/notes.md"] == "sensitive file (private/)"
    assert reasons["data/big.csv"] == "excluded by policy (data/)"
    assert all(e["change"] == "added" for e in plan.excluded)


def test_cli_review_refuses_hostile_bundle_with_exit_1(bundle_path: Path) -> None:
    write_bundle(bundle_path, [*valid_members(), regular("../x", b"x")])
    result = CliRunner().invoke(main, ["review", str(bundle_path)])
    assert result.exit_code == 1
    assert "path traversal" in result.output
    assert "failed verification" in result.output


def test_cli_review_json(bundle_path: Path) -> None:
    write_bundle(bundle_path, [*valid_members(), special("files/l", tarfile.SYMTYPE, "/")])
    result = CliRunner().invoke(main, ["review", "--json", str(bundle_path)])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    assert payload["error"] == "bundle-invalid"
    assert any("symbolic link" in p for p in payload["problems"])
    assert payload["manifest"]["id"] == "abcdefghij"


def test_cli_review_json_ok(bundle_path: Path) -> None:
    write_bundle(bundle_path, valid_members())
    result = CliRunner().invoke(main, ["review", "--json", str(bundle_path)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["ok"] is True and payload["problems"] == []
    assert payload["manifest"]["schema"] == SCHEMA
