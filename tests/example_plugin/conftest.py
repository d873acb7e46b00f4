"""Install the example plugin through a real entry point for the tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from plugins_system.entrypoints import installed

HERE = Path(__file__).parent


@pytest.fixture(scope="package", autouse=True)
def example_plugin_installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`payvand_example-0.1.dist-info` with an entry point in `payvand.plugins`, on sys.path."""
    folder = tmp_path_factory.mktemp("example-dist")
    with installed(folder, {"payvand_example": "payvand_example"}, distribution="payvand_example",
                   version="0.1", code_paths=[HERE]):
        yield folder


@pytest.fixture
def payvand_plugins() -> list[str]:
    """The example plugin, by its entry-point name."""
    return ["payvand_example"]


@pytest.fixture(autouse=True)
def cli_instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI runs keep their instance folder (secret key) in the test's tmp dir, not in the cwd."""
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path / "cli-instance"))
