"""Fixtures of the API tests: every test runs with the `apitest` plugin enabled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from .plugin import ApiTestPlugin


@pytest.fixture
def plugin() -> ApiTestPlugin:
    """This test's instance of the test plugin (switches off, nothing recorded)."""
    return ApiTestPlugin()


@pytest.fixture
def payvand_plugins(plugin: ApiTestPlugin) -> list[Any]:
    """Enable the test plugin (one plugin set for the whole folder: one PostgreSQL migration)."""
    return [plugin]


@pytest.fixture
def count_rows(runtime: Any) -> Callable[..., int]:
    """`count_rows(Model, *where)`: how many rows match, read in a fresh session."""

    def count(model: Any, *where: Any) -> int:
        with runtime.sessionmaker() as session:
            return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return count
