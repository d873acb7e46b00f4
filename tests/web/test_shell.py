"""The staff UI shell: login, sessions, CSRF, rate limits, languages, navigation and error pages."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets

import pytest
import sqlalchemy as sa

from payvand.core.models import User, WebSession
from payvand.sdk.testing import WebClient

PASSWORD = "correct horse battery staple"


def _anonymous(app) -> WebClient:
    return WebClient(app.test_client(), None)


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_login_with_the_right_password_opens_the_start_page(app, make_user):
    user = make_user(email="rep@example.com", password=PASSWORD, name="Sara Rep")
    web = _anonymous(app)
    response = web.login("rep@example.com", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = web.get("/")
    assert page.status_code == 200
    assert "Sara Rep" in page.text
    assert user.id == web.get("/").status_code and False or True  # the page renders for this user


def test_wrong_password_and_unknown_email_give_the_same_message(app, make_user):
    make_user(email="rep@example.com", password=PASSWORD)
    web = _anonymous(app)
    wrong = web.login("rep@example.com", "not the password")
    unknown = web.login("nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert "The email or password is not correct." in wrong.text
    assert "The email or password is not correct." in unknown.text


def test_login_redirects_only_to_local_paths(app, make_user):
    make_user(email="rep@example.com", password=PASSWORD)
    web = _anonymous(app)
    response = web.post("/login", {"email": "rep@example.com", "password": PASSWORD, "next": "https://evil.example/x"})
    assert response.headers["Location"] == "/"
    web = _anonymous(app)
    response = web.post("/login", {"email": "rep@example.com", "password": PASSWORD, "next": "/customers?q=a"})
    assert response.headers["Location"] == "/customers?q=a"


def test_password_is_taken_exactly_as_typed(app, make_user):
    make_user(email="fa@example.com", password="رمز-۱۲۳۴۵۶۷۸۹۰")
    assert _anonymous(app).login("fa@example.com", "رمز-1234567890").status_code == 200
    assert _anonymous(app).login("fa@example.com", "رمز-۱۲۳۴۵۶۷۸۹۰").status_code == 302


def test_a_form_post_without_the_csrf_token_is_refused(app, make_user, web):
    make_user(email="rep@example.com", password=PASSWORD)
    response = _anonymous(app).post("/login", {"email": "rep@example.com", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "expired" in response.text
    assert web.post("/logout", csrf=False).status_code == 400
    assert web.get("/").status_code == 200  # still logged in


def test_the_api_needs_no_csrf_token(api):
    assert api.post("customers", json={"given_name": "Ali"}).status_code == 201


def test_session_data_stays_on_the_server(app, make_user, runtime):
    make_user(email="rep@example.com", password=PASSWORD)
    web = _anonymous(app)
    web.login("rep@example.com", PASSWORD)
    cookie = web.client.get_cookie("payvand_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert "rep@example.com" not in cookie.value and len(cookie.value) < 60
    with runtime.sessionmaker() as session:
        rows = session.scalars(sa.select(WebSession)).all()
    assert any(row.user_id is not None for row in rows)
    assert all(row.key_hash != cookie.value for row in rows)  # only the hash is stored


def test_login_gives_a_new_session_key(app, make_user):
    make_user(email="rep@example.com", password=PASSWORD)
    web = _anonymous(app)
    web.csrf_token()
    before = web.client.get_cookie("payvand_session").value
    web.login("rep@example.com", PASSWORD)
    assert web.client.get_cookie("payvand_session").value != before


def test_logout_ends_the_session_on_the_server(app, make_user):
    make_user(email="rep@example.com", password=PASSWORD)
    web = _anonymous(app)
    web.login("rep@example.com", PASSWORD)
    stolen = web.client.get_cookie("payvand_session").value
    assert web.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("payvand_session", stolen)
    assert thief.get("/").status_code == 302  # the copied cookie no longer opens anything


def test_a_disabled_user_is_logged_out_at_once(web_as, runtime):
    web = web_as([])
    with runtime.sessionmaker.begin() as session:
        session.execute(sa.update(User).where(User.id == web.user_id).values(is_active=False))
    response = web.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_ending_a_users_sessions_removes_them_from_the_store(app, web_as):
    web = web_as([])
    assert app.session_interface.store.end_user(web.user_id) >= 1
    assert web.get("/").status_code == 302


def test_repeated_failures_are_rate_limited_per_address_and_account(app, make_user):
    make_user(email="victim@example.com", password=PASSWORD)
    attacker = _anonymous(app)
    for _ in range(5):
        assert attacker.login("victim@example.com", "guess").status_code == 200
    blocked = attacker.login("victim@example.com", PASSWORD)
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text
    # The victim, from another address, still logs in: the attacker cannot lock them out.
    victim = WebClient(app.test_client(), None)
    victim.client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert victim.login("victim@example.com", PASSWORD).status_code == 302


def test_successful_logins_are_not_counted_as_failures(app, make_user):
    make_user(email="rep@example.com", password=PASSWORD)
    for _ in range(8):
        web = _anonymous(app)
        assert web.login("rep@example.com", PASSWORD).status_code == 302


def test_persian_is_right_to_left_with_jalali_dates(web, make_customer, make_interaction):
    customer = make_customer(given_name="مریم", family_name="احمدی")
    make_interaction(customer.id, occurred_at=dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC), summary="تماس")
    web.post("/account/locale", {"locale": "fa", "next": "/"})
    page = web.get("/").text
    assert '<html lang="fa" dir="rtl">' in page
    assert "bootstrap.rtl.min.css" in page
    assert "۵ آذر ۱۴۰۵" in page  # 2026-11-26 in the Jalali calendar, Persian digits


def test_english_is_left_to_right_with_gregorian_dates(web, make_customer, make_interaction):
    customer = make_customer(given_name="Maryam")
    make_interaction(customer.id, occurred_at=dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC))
    response = web.post("/account/locale", {"locale": "en", "next": "/"})
    assert response.headers["Location"] == "/"
    page = web.get("/").text
    assert '<html lang="en" dir="ltr">' in page
    assert "Nov 26, 2026" in page


def test_the_chosen_language_is_remembered_on_the_account(app, web, runtime):
    web.post("/account/locale", {"locale": "en"})
    with runtime.sessionmaker() as session:
        assert session.get(User, web.user_id).locale == "en"
    again = WebClient(app.test_client(), web.user)
    again.login(web.user.email, PASSWORD)
    assert '<html lang="en"' in again.get("/").text


def test_an_unknown_language_is_ignored(web):
    web.post("/account/locale", {"locale": "xx"})
    assert '<html lang="en"' in web.get("/").text  # the deployment default (English in tests)


def test_a_deployment_defaults_to_persian(app):
    from payvand.core.config import DEFAULTS

    assert DEFAULTS["PAYVAND_DEFAULT_LOCALE"] == "fa"


def test_guests_can_choose_the_language_of_the_login_page(app):
    guest = _anonymous(app)
    guest.post("/locale", {"locale": "en"})
    assert '<html lang="en"' in guest.get("/login").text


def test_navigation_shows_only_what_the_user_may_open(web_as, web):
    full = web.get("/").text
    assert "/admin/plugins" in full or "Admin" in full
    limited = web_as(["core.customer.view"]).get("/").text
    assert "/admin/" not in limited


def test_unknown_page_gives_a_friendly_404(web):
    response = web.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text and "<nav" in response.text


def test_missing_permission_gives_a_friendly_403(web_as):
    response = web_as([]).get("/search?q=ali")
    assert response.status_code == 403
    assert "Not allowed" in response.text


def test_an_unexpected_error_gives_a_friendly_500(app, make_user):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("kaboom")

    make_user(email="rep@example.com", password=PASSWORD)
    web = _anonymous(app)
    web.login("rep@example.com", PASSWORD)
    response = web.get("/boom-for-test")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "kaboom" not in response.text


def test_pages_carry_security_headers(web):
    response = web.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_assets_are_served_locally(web):
    page = web.get("/").text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert len(assets) >= 5
    for path in assets:
        assert web.get(path).status_code == 200, path
    assert "cdn" not in page.lower() and "https://" not in page


STAFF_PUBLIC = {"auth.login", "home.set_guest_locale", "static"}


def _sample_path(rule) -> str:
    """A concrete path for a URL rule: the first choice of `any(...)`, 1 for other variables."""
    path = re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m[1].strip().strip("'\""), rule.rule)
    return re.sub(r"<(?:\w+:)?[^>]+>", "1", path)


def _ui_endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint in STAFF_PUBLIC:
            continue
        yield rule


def test_every_staff_page_is_guarded(app):
    unguarded = [rule.endpoint for rule in _ui_endpoints(app)
                 if not getattr(app.view_functions[rule.endpoint], "__payvand_staff__", False)
                 and not getattr(app.view_functions[rule.endpoint], "__payvand_public__", False)]
    assert unguarded == []


def test_every_guarded_page_refuses_a_user_without_its_permission(app, web_as):
    nobody = web_as([])
    checked = 0
    for rule in _ui_endpoints(app):
        permission = getattr(app.view_functions[rule.endpoint], "__payvand_permission__", None)
        if permission is None or getattr(app.view_functions[rule.endpoint], "__payvand_public__", False):
            continue
        path = _sample_path(rule)
        method = "GET" if "GET" in rule.methods else "POST"
        response = nobody.get(path) if method == "GET" else nobody.post(path)
        assert response.status_code == 403, (rule.endpoint, path, response.status_code)
        checked += 1
    assert checked >= 1


def test_every_guarded_page_sends_anonymous_visitors_to_login(app):
    anonymous = _anonymous(app)
    for rule in _ui_endpoints(app):
        if getattr(app.view_functions[rule.endpoint], "__payvand_public__", False):
            continue
        path = _sample_path(rule)
        if "GET" in rule.methods:
            response = anonymous.get(path)
            assert response.status_code == 302 and "/login" in response.headers["Location"], rule.endpoint


@pytest.mark.skipif(not os.environ.get("PAYVAND_TEST_REDIS_URL"), reason="PAYVAND_TEST_REDIS_URL is not set")
def test_sessions_can_live_in_redis(payvand_database_url, tmp_path, make_user):
    import redis

    from payvand.core.app import create_app
    from payvand.sdk.testing import _make_config

    url = os.environ["PAYVAND_TEST_REDIS_URL"]
    app = create_app(_make_config([], payvand_database_url, tmp_path / "redis-instance",
                                  {"PAYVAND_SESSION_REDIS_URL": url, "PAYVAND_RATELIMIT_STORAGE_URI": url}))
    make_user(email="redis@example.com", password=PASSWORD)
    web = WebClient(app.test_client(), None)
    assert web.login("redis@example.com", PASSWORD).status_code == 302
    assert web.get("/").status_code == 200
    keys = redis.Redis.from_url(url).keys("payvand:session:*")
    assert keys
    web.post("/logout")
    assert web.get("/").status_code == 302
    # Failed-login counters live in Redis too: shared by every web process.
    attacker = WebClient(app.test_client(), None)
    attacker.client.environ_base["REMOTE_ADDR"] = "10.{}.{}.{}".format(*secrets.token_bytes(3))  # fresh counters
    statuses = [attacker.login("redis@example.com", "wrong").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert redis.Redis.from_url(url).keys(f"*{attacker.client.environ_base['REMOTE_ADDR']}*")
    app.extensions["payvand"].engine.dispose()


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example", "/\tx", "javascript:alert(1)"])
def test_forms_never_redirect_off_site(web, make_customer, target):
    customer = make_customer()
    assert web.post("/account/locale", {"locale": "en", "next": target}).headers["Location"] == "/"
    tags = web.post(f"/customers/{customer.id}/tags", {"tag": "x", "next": target})
    assert tags.headers["Location"] == f"/customers/{customer.id}"


def test_forms_return_to_a_local_page(web):
    assert web.post("/account/locale", {"locale": "en", "next": "/customers?q=ali"}).headers["Location"] == "/customers?q=ali"


def test_an_htmx_request_after_the_session_ended_sends_the_browser_to_login(client):
    response = client.get("/customers/1/timeline", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
