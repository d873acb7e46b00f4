"""Fixtures of the messaging tests: a recording channel plugin, the SDK run inside the app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from messaging.channels import FakeChannel, make_plugin

_PLUGIN, _CHANNEL = make_plugin()


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [_PLUGIN]


@pytest.fixture
def fake_channel() -> Iterator[FakeChannel]:
    """The test plugin's channel, emptied for each test."""
    _CHANNEL.batches.clear()
    _CHANNEL.sent_at.clear()
    _CHANNEL.on = True
    yield _CHANNEL


@pytest.fixture
def in_app(app: Any, runtime: Any) -> Any:
    """Run SDK calls in an app context with a session bound: `with in_app() as session:` commits at the end."""
    import contextlib

    from payvand.core.db import bind_session

    @contextlib.contextmanager
    def scope() -> Iterator[Any]:
        with app.app_context(), runtime.sessionmaker.begin() as session, bind_session(session):
            yield session

    return scope


@pytest.fixture
def no_quiet_hours(runtime: Any) -> Iterator[None]:
    """Quiet hours off (the tests run at any hour)."""
    runtime.config["PAYVAND_QUIET_HOURS"] = "off"
    yield
    runtime.config.pop("PAYVAND_QUIET_HOURS", None)
