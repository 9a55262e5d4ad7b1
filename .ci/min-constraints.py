#!/usr/bin/env python3
"""Print pip constraints that pin every dependency pyproject.toml declares to its lower bound.

CI installs gitgate a second time with these (``pip install -c FILE -e '.[test]'``) and runs
the suite again, so the oldest versions we claim to support are really tested. A dependency
without a ``>=`` bound is an error: every range must have a tested floor.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")
_FLOOR = re.compile(r">=\s*([0-9][0-9A-Za-z.+-]*)")


def floors(pyproject: Path, extras: list[str]) -> list[str]:
    """``name==floor`` for the runtime dependencies and the named extras."""
    project = tomllib.loads(pyproject.read_text("utf-8"))["project"]
    own = project["name"]
    reqs = list(project.get("dependencies", []))
    for extra in extras:
        reqs += project.get("optional-dependencies", {}).get(extra, [])
    pins = []
    for req in reqs:
        match = _REQ.match(req.split(";")[0])
        if not match or match.group(1) == own:
            continue
        floor = _FLOOR.search(match.group(2))
        if floor is None:
            sys.exit(f"error: {req!r} in pyproject.toml has no >= lower bound")
        pins.append(f"{match.group(1)}=={floor.group(1)}")
    return pins


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(floors(root / "pyproject.toml", sys.argv[1:] or ["test"])))
