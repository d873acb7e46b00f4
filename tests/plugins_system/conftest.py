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
    """These tests count and list installed plugins: discovery sees only the test plugins.

    The test plugins are installed through real entry points (see `entrypoints.py`); every
    other `payvand.plugins` entry point — Payvand's own plugins, and any plugin the person
    running the suite has installed in the same environment — is left out, so the results do
    not depend on what else is installed.
    """
    import importlib.metadata

    from payvand.core import plugins
    from plugins_system.entrypoints import installed_by_tests

    real = importlib.metadata.entry_points

    def entry_points(**params):  # type: ignore[no-untyped-def]
        found = real(**params)
        if params.get("group") != plugins.ENTRY_POINT_GROUP:
            return found
        return [ep for ep in found if installed_by_tests(ep)]

    monkeypatch.setattr(plugins.importlib.metadata, "entry_points", entry_points)
