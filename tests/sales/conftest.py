"""The sales plugin's tests run with the plugin enabled (passed as an object: it has no entry point yet)."""

from __future__ import annotations

from typing import Any

import pytest

import payvand.plugins.sales as sales


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The sales plugin."""
    return [sales]


@pytest.fixture
def in_app(app: Any) -> Any:
    """An app context for tests that call the services directly (hooks and settings need the app)."""
    with app.app_context():
        yield app
