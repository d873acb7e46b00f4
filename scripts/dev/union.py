"""Settle merge conflicts in documentation by keeping both sides (ours, then theirs).

    python scripts/dev/union.py FILE...
"""

from __future__ import annotations

import sys
from pathlib import Path


def union(text: str) -> str:
    """The text with every conflict block replaced by its two sides, ours first."""
    out: list[str] = []
    state = ""
    for line in text.splitlines(keepends=True):
        if line.startswith("<<<<<<< "):
            state = "ours"
        elif line.startswith("||||||| ") and state:
            state = "base"
        elif line.startswith("=======") and state:
            state = "theirs"
        elif line.startswith(">>>>>>> ") and state:
            state = ""
        elif state != "base":
            out.append(line)
    return "".join(out)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(union(path.read_text()))
