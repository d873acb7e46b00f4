"""The SMS plugin's tests: loaded through its entry point (`sms`), sending to a local Kavenegar double."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.sms.servers import GatewayDouble, KavenegarDouble

API_KEY = "test-api-key-4f9a"
SECRET = "whsec_c21zLXdlYmhvb2stc2VjcmV0LWZvci10ZXN0cw=="


@pytest.fixture
def kavenegar() -> Iterator[KavenegarDouble]:
    """A local server speaking Kavenegar's documented REST format."""
    with KavenegarDouble(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The SMS plugin, by its entry-point name."""
    return ["sms"]


@pytest.fixture
def gateway() -> Iterator[GatewayDouble]:
    """A local HTTP gateway answering 201 with an id."""
    with GatewayDouble() as server:
        yield server


@pytest.fixture
def payvand_config(request: pytest.FixtureRequest, kavenegar: KavenegarDouble) -> dict[str, Any]:
    """Kavenegar at the local double, a sender line, the webhook secret; quiet hours off.

    A test may give its own (`parametrize("payvand_config", [{...}], indirect=True)`), where
    `{gateway}` in a value is the local gateway's URL.
    """
    given = getattr(request, "param", None)
    if given is not None:
        url = request.getfixturevalue("gateway").url if any("{gateway}" in str(v) for v in given.values()) else ""
        return {key: str(value).replace("{gateway}", url) if isinstance(value, str) else value
                for key, value in given.items()}
    return {"PAYVAND_SMS_PROVIDER": "kavenegar", "PAYVAND_SMS_KAVENEGAR_API_KEY": API_KEY,
            "PAYVAND_SMS_KAVENEGAR_URL": kavenegar.url + "/v1", "PAYVAND_SMS_SENDER": "10004346",
            "PAYVAND_SMS_WEBHOOK_SECRET": SECRET, "PAYVAND_QUIET_HOURS": "off"}


@pytest.fixture
def in_app(app: Any, runtime: Any) -> Any:
    """`with in_app() as session:` runs SDK calls in an app context with a bound session, committed at the end."""
    from payvand.core.db import bind_session

    @contextlib.contextmanager
    def scope() -> Iterator[Any]:
        with app.app_context(), runtime.sessionmaker.begin() as session, bind_session(session):
            yield session

    return scope
