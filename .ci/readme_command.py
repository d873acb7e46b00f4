"""Print one of the README's two commands (`start` or `test`), so CI runs exactly what users read."""

import pathlib
import re
import sys

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def commands() -> list[str]:
    """The shell commands of the README's first two ```sh blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return [block.strip() for block in blocks[:2]]


if __name__ == "__main__":
    which = {"start": 0, "test": 1}[sys.argv[1]]
    print(commands()[which])
