"""Helpers shared by the secret-detection tests."""

from __future__ import annotations

from gitgate import find_secrets


def covered(text: str, secret: str) -> bool:
    """Every character of every occurrence of ``secret`` lies inside a finding."""
    mask = bytearray(len(text))
    for f in find_secrets(text):
        mask[f.start : f.end] = b"\x01" * (f.end - f.start)
    at = text.find(secret)
    assert at >= 0
    while at >= 0:
        if not all(mask[at : at + len(secret)]):
            return False
        at = text.find(secret, at + 1)
    return True
