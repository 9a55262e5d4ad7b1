"""The one source of time in gitgate, so that tests can freeze it."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Return the current time, timezone-aware in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """Format a moment as RFC 3339 UTC text, e.g. ``2026-11-27T18:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
