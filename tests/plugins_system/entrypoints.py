"""Installing test plugins through real entry points: a `*.dist-info` folder on `sys.path`.

`importlib.metadata.entry_points(group="payvand.plugins")` then finds them, so the kernel's
normal discovery path loads them, exactly as it loads a `pip install`ed plugin.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

GROUP = "payvand.plugins"

#: The dist-info folders the running tests installed (see `installed`); the fixture
#: `only_test_plugins_installed` hides every other `payvand.plugins` entry point.
TEST_FOLDERS: set[Path] = set()


def installed_by_tests(entry_point: importlib.metadata.EntryPoint) -> bool:
    """True when `entry_point` comes from a dist-info folder a test installed with `installed`."""
    dist = getattr(entry_point, "dist", None)
    path = getattr(dist, "_path", None)  # PathDistribution: the *.dist-info folder
    return path is not None and Path(path).resolve().parent in TEST_FOLDERS


def clear_metadata_caches() -> None:
    """Forget what importlib and importlib.metadata remember about `sys.path`."""
    importlib.invalidate_caches()
    fast_path = getattr(importlib.metadata, "FastPath", None)  # its lru_cache survives the call above
    cache_clear = getattr(getattr(fast_path, "__new__", None), "cache_clear", None)
    if cache_clear is not None:
        cache_clear()


def write_dist_info(folder: Path, distribution: str, version: str, entry_points: dict[str, str]) -> Path:
    """Write `<distribution>-<version>.dist-info` with METADATA and `entry_points.txt` into `folder`."""
    dist_info = folder / f"{distribution}-{version}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = [f"[{GROUP}]"] + [f"{name} = {target}" for name, target in entry_points.items()]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dist_info


@contextlib.contextmanager
def installed(
    folder: Path,
    entry_points: dict[str, str],
    *,
    distribution: str = "payvand_test_plugins",
    version: str = "0.1",
    code_paths: Iterable[Path] = (),
) -> Iterator[Path]:
    """Install `entry_points` (name -> "module" or "module:attr") for the duration of the block.

    `folder` gets the dist-info and goes on `sys.path` with `code_paths` (where the plugin
    packages live); both are removed afterwards and the metadata caches cleared again.
    """
    write_dist_info(folder, distribution, version, entry_points)
    added = [str(folder), *(str(p) for p in code_paths)]
    sys.path[:0] = added
    TEST_FOLDERS.add(folder.resolve())
    clear_metadata_caches()
    try:
        yield folder
    finally:
        TEST_FOLDERS.discard(folder.resolve())
        for path in added:
            if path in sys.path:
                sys.path.remove(path)
        clear_metadata_caches()
