"""The service plugin's tests run with the plugin enabled."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

import payvand.plugins.service as service


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The service plugin."""
    return [service]


@pytest.fixture
def in_app(app: Any, runtime: Any) -> Any:
    """`with in_app() as session:` runs SDK calls in an app context with a bound session, committed at the end."""
    from payvand.core.db import bind_session

    @contextlib.contextmanager
    def scope() -> Iterator[Any]:
        with app.app_context(), runtime.sessionmaker.begin() as session, bind_session(session):
            yield session

    return scope
