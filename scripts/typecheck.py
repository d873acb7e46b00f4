"""Type-check `payvand.core`, `payvand.sdk` and `payvand.plugins` with mypy (run by `.ci/run`).

setuptools maps the top-level folders `core/`, `sdk/` and `plugins/` to `payvand.*`
(`package-dir` in pyproject.toml); mypy reads no import hooks, so this lays them out as a
`payvand/` folder of symbolic links in a temporary directory and checks the packages there
with the settings of `[tool.mypy]`. Usage: `python scripts/typecheck.py [extra mypy args]`.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("core", "sdk", "plugins")


def main(argv: list[str]) -> int:
    """Lay out the package, run mypy on it and return mypy's exit status."""
    with tempfile.TemporaryDirectory(prefix="payvand-mypy-") as tmp:
        package = pathlib.Path(tmp, "payvand")
        package.mkdir()
        for name in PACKAGES:
            (package / name).symlink_to(ROOT / name, target_is_directory=True)
        command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                   *(arg for name in PACKAGES for arg in ("-p", f"payvand.{name}")), *argv]
        return subprocess.call(command, cwd=tmp)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
