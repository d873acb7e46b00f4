"""Shared fixtures of the plugin-system tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def cli_instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI runs keep their instance folder (secret key) in the test's tmp dir, not in the cwd."""
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path / "cli-instance"))
