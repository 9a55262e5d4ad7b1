"""Unit tests of gitgate.redaction (first cut; the full table follows)."""

from __future__ import annotations

import pytest

from gitgate.redaction import find_secrets, redact, redact_data

GH = "ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"


@pytest.mark.parametrize(
    "text",
    [
        f"GITHUB_TOKEN={GH}",
        "DB_PASSWORD=hunter2xyz",
        "postgres://user:p4ssw0rd@db.example.com/app",
    ],
)
def test_positive(text: str) -> None:
    assert find_secrets(text)
    assert redact(redact(text)) == redact(text)


@pytest.mark.parametrize("text", ["Enter your password below", "password_min_length = 8"])
def test_negative(text: str) -> None:
    assert find_secrets(text) == []


def test_redact_data() -> None:
    assert redact_data({"password": "x1y2", "n": 3}) == {"password": "[REDACTED:secret-value]", "n": 3}
