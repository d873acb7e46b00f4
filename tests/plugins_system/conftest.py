"""Shared fixtures of the plugin-system tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def cli_instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI runs keep their instance folder (secret key) in the test's tmp dir, not in the cwd."""
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path / "cli-instance"))


@pytest.fixture(autouse=True)
def only_test_plugins_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count and list installed plugins: hide the first-party ones (`payvand.plugins.*`).

    The test plugins are installed through real entry points (see `entrypoints.py`); this only
    leaves Payvand's own plugins, installed with the package, out of what discovery sees.
    """
    import importlib.metadata

    from payvand.core import plugins

    real = importlib.metadata.entry_points

    def entry_points(**params):  # type: ignore[no-untyped-def]
        found = real(**params)
        if params.get("group") != plugins.ENTRY_POINT_GROUP:
            return found
        return [ep for ep in found if not ep.value.startswith("payvand.plugins.")]

    monkeypatch.setattr(plugins.importlib.metadata, "entry_points", entry_points)
