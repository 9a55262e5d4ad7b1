"""Secret scanning of whole files for push protection: encodings, NUL bytes, any size.

Pure tests of gitgate.safety.redaction.scan_blob / gitgate.safety.checks.find_added_secrets, then one real
repository test of the proposal path (refused without --allow-secret, recorded with it).
"""

from __future__ import annotations

import gzip
import random
import string
import subprocess
import zlib
from pathlib import Path

import pytest

from gitgate.errors import SecretDetected
from gitgate.safety.checks import NewContent, find_added_secrets
from gitgate.safety.redaction import find_secrets, redact
from gitgate.safety.secretscan import iter_secrets, redact_blob, scan_blob, text_encoding
from gitgate.workflow import Gate

_rng = random.Random(99)
ALNUM = string.ascii_letters + string.digits
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
MODE_BLOB = 0o100644


def rnd(n: int) -> str:
    return "".join(_rng.choice(ALNUM) for _ in range(n))


def github_token() -> str:
    body = rnd(30)
    n, check = zlib.crc32(body.encode()), ""
    while n:
        n, r = divmod(n, 62)
        check = BASE62[r] + check
    return "ghp_" + body + check.rjust(6, "0")


TOKEN = github_token()
LINE = f"GITHUB_TOKEN={TOKEN}\n"


def kinds(data: bytes) -> list[str]:
    return [h.kind for h in find_added_secrets([NewContent("f.txt", MODE_BLOB, data)])]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_secret_in_other_unicode_encodings_is_found(codec: str) -> None:
    data = ("# settings\n" * 3 + LINE).encode(codec)
    hits = find_added_secrets([NewContent("conf.ini", MODE_BLOB, data)])
    assert [(h.line, h.kind) for h in hits] == [(4, "github-token")]


def test_utf16_without_bom_is_detected() -> None:
    assert text_encoding(("plain ascii text\n" * 4).encode("utf-16-le")) == ("utf-16-le", 0)
    assert text_encoding(("plain ascii text\n" * 4).encode("utf-16-be")) == ("utf-16-be", 0)
    assert text_encoding(b"plain text\n") == ("utf-8", 0)


def test_text_after_nul_bytes_is_scanned() -> None:
    data = b"\x00\x01\x02binary header\x00\n" + LINE.encode() + b"\x00trailer"
    assert kinds(data) == ["github-token"]


def test_file_larger_than_any_window_is_scanned_to_the_end() -> None:
    filler = b"an ordinary line of a large generated file\n" * 300_000  # ~13 MB
    data = filler + LINE.encode() + filler
    hits = find_added_secrets([NewContent("big.log", MODE_BLOB, data)])
    assert [(h.line, h.kind) for h in hits] == [(300_001, "github-token")]


@pytest.mark.parametrize("window", [64, 100, 1000])
def test_windowed_scan_finds_what_a_whole_scan_finds(window: int) -> None:
    lines = [f"line {i} {rnd(8)}" for i in range(200)]
    for i in (3, 50, 51, 199):
        lines[i] = f"password = '{rnd(14)}!'"
    lines[120] = f"api_token: {TOKEN}"
    text = "\n".join(lines) + "\n"
    whole = [(f.kind, f.start, f.end, f.line) for f in find_secrets(text)]
    pieces = [text[i : i + window] for i in range(0, len(text), window)]
    windowed = [
        (f.kind, f.start, f.end, f.line)
        for f, _ in iter_secrets(pieces, window=window, context=200)
    ]
    assert windowed == whole
    assert len(whole) == 5


def test_compressed_container_is_refused_as_unscannable() -> None:
    data = gzip.compress(LINE.encode())
    assert kinds(data) == ["unscannable-compressed (gzip)"]
    unchanged = NewContent("x.gz", MODE_BLOB, data, old_data=data)
    assert find_added_secrets([unchanged]) == []


def test_lines_already_in_the_old_utf16_file_do_not_count() -> None:
    old = ("a = 1\n" + LINE).encode("utf-16")
    new = ("a = 2\n" + LINE).encode("utf-16")
    assert find_added_secrets([NewContent("c.ini", MODE_BLOB, new, old_data=old)]) == []


def test_scan_blob_reports_line_text() -> None:
    ((finding, line),) = list(scan_blob(("x\n" + LINE).encode("utf-16")))
    assert finding.line == 2 and line == LINE.rstrip("\n")


def test_two_secrets_in_one_file_are_both_redacted() -> None:
    second = rnd(24) + "9"
    text = f"DB_PASSWORD={rnd(12)}7!\nSTRIPE_SECRET={second}\n"
    out = redact(text)
    assert second not in out and out.count("[REDACTED:") == 2


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def gate(tmp_path: Path) -> Gate:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("hello\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "start")
    g = Gate(repo)
    g.init(["main"], ["boss@example.com"], actor="boss@example.com")
    return g


@pytest.mark.parametrize(
    "content",
    [
        ("x = 1\n" + LINE).encode("utf-16"),
        b"\x00\x00binary\x00" + LINE.encode(),
        gzip.compress(b"anything at all\n"),
    ],
    ids=["utf16", "nul", "gzip"],
)
def test_proposal_is_refused_unless_allow_secret(gate: Gate, content: bytes) -> None:
    with pytest.raises(SecretDetected):
        gate.propose_write("data/file.bin", content, actor="agent@example.com")
    proposal = gate.propose_write(
        "data/file.bin", content, actor="agent@example.com", allow_secret=True
    )
    assert proposal.id


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-8"])
def test_redact_blob_keeps_the_encoding(codec: str) -> None:
    data = ("[auth]\n" + LINE).encode(codec)
    cleaned, count = redact_blob(data)
    assert count == 1
    text = bytes(cleaned).decode(codec)
    assert TOKEN not in text and "[REDACTED:github-token]" in text
    assert redact_blob(cleaned) == (cleaned, 0)
