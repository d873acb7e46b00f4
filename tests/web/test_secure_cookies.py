"""`PAYVAND_SECURE_COOKIES`: the session cookie gets the Secure flag (database and Redis stores)."""

from __future__ import annotations

import os

import pytest

from payvand.sdk.testing import WebClient, _make_config

PASSWORD = "correct horse battery staple"


def _session_cookie_header(response) -> str:
    [cookie] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("payvand_session=")]
    return cookie


@pytest.fixture
def payvand_config():
    return {"PAYVAND_SECURE_COOKIES": True}


def test_secure_cookies_setting_marks_the_session_cookie_secure(app, make_user):
    make_user(email="rep@example.com", password=PASSWORD)
    web = WebClient(app.test_client(), None)
    response = web.login("rep@example.com", PASSWORD)
    assert response.status_code == 302
    cookie = _session_cookie_header(response)
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    logout = web.post("/logout")
    assert "; Secure" in _session_cookie_header(logout)  # the cookie is cleared with the same flags


def test_secure_cookies_from_the_environment(monkeypatch, payvand_database_url, tmp_path, make_user):
    from payvand.core.app import create_app

    monkeypatch.setenv("PAYVAND_SECURE_COOKIES", "true")
    config = _make_config([], payvand_database_url, tmp_path / "env-instance", {})
    config.pop("PAYVAND_SECURE_COOKIES", None)
    app = create_app(config)
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        make_user(email="env@example.com", password=PASSWORD)
        response = WebClient(app.test_client(), None).login("env@example.com", PASSWORD)
        assert "; Secure" in _session_cookie_header(response)
    finally:
        app.extensions["payvand"].engine.dispose()


def test_cookies_are_not_secure_by_default(monkeypatch, payvand_database_url, tmp_path, make_user):
    from payvand.core.app import create_app

    monkeypatch.delenv("PAYVAND_SECURE_COOKIES", raising=False)
    app = create_app(_make_config([], payvand_database_url, tmp_path / "plain-instance", {}))
    try:
        make_user(email="plain@example.com", password=PASSWORD)
        response = WebClient(app.test_client(), None).login("plain@example.com", PASSWORD)
        assert "Secure" not in _session_cookie_header(response)
    finally:
        app.extensions["payvand"].engine.dispose()


@pytest.mark.skipif(not os.environ.get("PAYVAND_TEST_REDIS_URL"), reason="PAYVAND_TEST_REDIS_URL is not set")
def test_secure_cookies_with_sessions_in_redis(payvand_database_url, tmp_path, make_user):
    from payvand.core.app import create_app

    url = os.environ["PAYVAND_TEST_REDIS_URL"]
    app = create_app(_make_config([], payvand_database_url, tmp_path / "redis-instance",
                                  {"PAYVAND_SESSION_REDIS_URL": url, "PAYVAND_SECURE_COOKIES": True}))
    try:
        make_user(email="redis-secure@example.com", password=PASSWORD)
        response = WebClient(app.test_client(), None).login("redis-secure@example.com", PASSWORD)
        assert response.status_code == 302 and "; Secure" in _session_cookie_header(response)
    finally:
        app.extensions["payvand"].engine.dispose()
