"""Helpers shared by the secret-detection tests."""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from gitgate import find_secrets

ALNUM = string.ascii_letters + string.digits


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


def secret_makers(rng: random.Random) -> tuple[Callable[..., str], Callable[[], str]]:
    """``rnd(n, alphabet=ALNUM)``: n random characters with every kind (lower, upper, digit)
    the alphabet has; ``chosen()``: a password a person chose (words, a number, a symbol).
    Both draw from ``rng``, so a test file's cases are the same at every run."""

    def rnd(n: int, alphabet: str = ALNUM) -> str:
        kinds = [k for k in (str.isdigit, str.isupper, str.islower) if any(map(k, alphabet))]
        while True:
            v = "".join(rng.choice(alphabet) for _ in range(n))
            if all(any(map(k, v)) for k in kinds):
                return v

    def chosen() -> str:
        word = rng.choice(["Maple", "Harbor", "Copper", "Falcon", "Summit"])
        return f"{word}{rng.choice(['Tango', 'Ember', 'Quartz'])}{rng.randint(10, 9999)}!"

    return rnd, chosen
