"""Admin pages for API tokens: create (secret shown once), scopes, expiry, revoke, access rules."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.auth import create_token
from payvand.core.models import ApiToken, AuditLog, User, WebSession
from payvand.sdk.testing import WebClient

SECRET = re.compile(r'id="token-secret"[^>]*value="(pv_[^"]+)"')


@pytest.fixture
def payvand_config() -> dict[str, str]:
    """English pages, so the tests can read the messages as written."""
    return {"PAYVAND_DEFAULT_LOCALE": "en"}


def _create(web: WebClient, user_id: int, name: str = "website sync", scopes: str = "", **extra: str):
    return web.post("/admin/tokens/new", {"user_id": str(user_id), "name": name, "scopes": scopes, **extra})


def _bearer(app, secret: str, path: str = "/api/v1/customers") -> int:
    return app.test_client().get(path, headers={"Authorization": f"Bearer {secret}"}).status_code


def _tokens(runtime) -> list[ApiToken]:
    with runtime.sessionmaker() as session:
        rows = list(session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))
        session.expunge_all()
        return rows


def _queries(web: WebClient, path: str, count_queries) -> int:
    web.get(path)
    with count_queries() as queries:
        assert web.get(path).status_code == 200
    return len(queries)


# --------------------------------------------------------------------------- access


def test_a_user_manager_opens_the_token_pages(web_as):
    admin = web_as([perm.USERS_MANAGE])
    assert admin.get("/admin/tokens").status_code == 200
    assert admin.get("/admin/tokens/new").status_code == 200


def test_token_pages_refuse_a_user_without_the_permission(web_as, make_user, runtime):
    viewer = web_as([perm.CUSTOMER_VIEW])
    target = make_user(permissions=[perm.CUSTOMER_VIEW])
    with runtime.sessionmaker.begin() as session:
        token, _ = create_token(session, session.get(User, target.id), "sync")
        token_id = token.id
    assert viewer.get("/admin/tokens").status_code == 403
    assert viewer.get("/admin/tokens/new").status_code == 403
    assert _create(viewer, target.id).status_code == 403
    assert viewer.post(f"/admin/tokens/{token_id}/revoke").status_code == 403
    assert len(_tokens(runtime)) == 1 and _tokens(runtime)[0].revoked_at is None


def test_anonymous_visitors_are_sent_to_login(app):
    anonymous = WebClient(app.test_client(), None)
    for path in ("/admin/tokens", "/admin/tokens/new"):
        response = anonymous.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def test_token_forms_without_the_csrf_token_are_refused_with_400(web, make_user, runtime):
    target = make_user()
    assert web.post("/admin/tokens/new", {"user_id": str(target.id), "name": "x"}, csrf=False).status_code == 400
    with runtime.sessionmaker.begin() as session:
        token, _ = create_token(session, session.get(User, target.id), "sync")
        token_id = token.id
    assert web.post(f"/admin/tokens/{token_id}/revoke", csrf=False).status_code == 400
    assert [t.revoked_at for t in _tokens(runtime)] == [None]


# --------------------------------------------------------------------------- create and revoke


def test_a_created_token_works_against_the_api_until_it_is_revoked(web, app, make_user, runtime):
    owner = make_user(email="sync@example.com", permissions=[perm.CUSTOMER_VIEW])
    response = _create(web, owner.id, scopes="core.customer.view")
    assert response.status_code == 200
    secret = SECRET.search(response.text).group(1)
    assert "shown only this once" in response.text
    assert _bearer(app, secret) == 200

    token = _tokens(runtime)[0]
    assert token.user_id == owner.id and token.scopes == ["core.customer.view"] and token.name == "website sync"
    listing = web.get("/admin/tokens").text
    assert secret not in listing and f"{token.prefix}…" in listing and "sync@example.com" in listing

    revoked = web.post(f"/admin/tokens/{token.id}/revoke")
    assert revoked.status_code == 302
    assert _bearer(app, secret) == 401
    assert 'data-state="revoked"' in web.get("/admin/tokens").text
    again = web.post(f"/admin/tokens/{token.id}/revoke", follow_redirects=True)
    assert "was already revoked" in again.text


def test_the_secret_is_kept_nowhere_but_the_answer(web, make_user, runtime):
    owner = make_user()
    secret = SECRET.search(_create(web, owner.id).text).group(1)
    for path in ("/admin/tokens", "/admin/tokens/new", f"/admin/users/{owner.id}", "/"):
        assert secret not in web.get(path).text, path
    with runtime.sessionmaker() as session:
        audit = [str(entry.after) for entry in session.scalars(sa.select(AuditLog))]
        sessions = [str(row) for row in session.scalars(sa.select(WebSession.data))]
    assert audit and not any(secret in text for text in audit)
    assert not any(secret in text for text in sessions)
    assert not any(secret[10:20] in text for text in audit + sessions)


def test_creating_and_revoking_are_audited_with_the_prefix_only(web, make_user, runtime):
    owner = make_user(email="sync@example.com")
    _create(web, owner.id, scopes="core.customer.*")
    token = _tokens(runtime)[0]
    web.post(f"/admin/tokens/{token.id}/revoke")
    with runtime.sessionmaker() as session:
        entries = list(session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "api_token")
                                       .order_by(AuditLog.id)))
    assert [e.action for e in entries] == ["create", "revoke"]
    assert entries[0].after["prefix"] == token.prefix and entries[0].after["user"] == "sync@example.com"
    assert entries[0].after["scopes"] == ["core.customer.*"]
    assert all(e.actor_id == web.user_id for e in entries)


def test_scopes_narrow_what_the_token_may_do(web, app, make_user):
    owner = make_user(permissions=[perm.CUSTOMER_VIEW, perm.INTERACTION_VIEW])
    secret = SECRET.search(_create(web, owner.id, scopes="core.interaction.*").text).group(1)
    assert _bearer(app, secret) == 403


def test_no_scope_means_everything_the_user_may_do(web, app, make_user, runtime):
    owner = make_user(permissions=[perm.CUSTOMER_VIEW])
    secret = SECRET.search(_create(web, owner.id, scopes="\n  \n").text).group(1)
    assert _tokens(runtime)[0].scopes == ["*"]
    assert _bearer(app, secret) == 200


def test_an_unknown_scope_is_refused_with_the_close_names(web, make_user, runtime):
    owner = make_user()
    response = _create(web, owner.id, scopes="core.customer.veiw\ncore.nothing.*")
    assert response.status_code == 422
    error = re.search(r'id="f-scopes-error"[^>]*>([^<]*)<', response.text).group(1)
    assert "core.customer.veiw (core.customer.view" in error and "core.nothing.*" in error
    assert _tokens(runtime) == []


def test_missing_user_and_name_are_field_errors(web, runtime):
    response = web.post("/admin/tokens/new", {"scopes": "*"})
    assert response.status_code == 422
    assert re.search(r'id="f-user_id-error"[^>]*>Choose a user\.', response.text)
    assert re.search(r'id="f-name-error"[^>]*>This field is required\.', response.text)
    assert _tokens(runtime) == []


def test_a_disabled_user_gets_no_token(web, make_user, runtime):
    owner = make_user()
    with runtime.sessionmaker.begin() as session:
        session.get(User, owner.id).is_active = False
    response = _create(web, owner.id)
    assert response.status_code == 422
    assert "This user is disabled: enable them first." in response.text
    assert f'value="{owner.id}"' not in response.text  # not offered either
    assert _tokens(runtime) == []


def test_only_a_superuser_may_make_a_token_for_a_superuser(web_as, make_user, runtime):
    manager = web_as([perm.USERS_MANAGE])
    boss = make_user(email="boss@example.com", superuser=True)
    assert "boss@example.com" not in manager.get("/admin/tokens/new").text
    response = _create(manager, boss.id)
    assert response.status_code == 422 and "pv_" not in response.text
    assert _tokens(runtime) == []


def test_an_expiry_date_lets_the_token_work_through_that_day(web, app, make_user, runtime):
    owner = make_user(permissions=[perm.CUSTOMER_VIEW])
    secret = SECRET.search(_create(web, owner.id, expires_on="2031-03-20").text).group(1)
    expires = _tokens(runtime)[0].expires_at
    assert expires == dt.datetime(2031, 3, 20, 20, 30, tzinfo=dt.UTC)  # midnight in Tehran
    assert _bearer(app, secret) == 200


def test_a_jalali_expiry_in_persian_digits_is_accepted_in_persian(web, make_user, runtime):
    owner = make_user()
    web.post("/account/locale", {"locale": "fa"})
    response = _create(web, owner.id, expires_on="۱۴۱۰/۰۱/۰۱")
    assert response.status_code == 200, response.text
    assert _tokens(runtime)[0].expires_at == dt.datetime(2031, 3, 21, 20, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["2020-01-01", "tomorrow", "2031-02-30"])
def test_a_past_or_unreadable_expiry_is_refused(web, make_user, runtime, text):
    owner = make_user()
    response = _create(web, owner.id, expires_on=text)
    assert response.status_code == 422
    assert re.search(r'id="f-expires_on-error"', response.text)
    assert _tokens(runtime) == []


def test_an_expired_token_is_marked_and_refused(web, app, make_user, runtime):
    owner = make_user(permissions=[perm.CUSTOMER_VIEW])
    with runtime.sessionmaker.begin() as session:
        _, secret = create_token(session, session.get(User, owner.id), "old",
                                 expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    assert _bearer(app, secret) == 401
    assert 'data-state="expired"' in web.get("/admin/tokens").text


def test_the_user_page_links_to_the_users_tokens(web, make_user, runtime):
    owner = make_user(email="one@example.com")
    other = make_user(email="two@example.com")
    _create(web, owner.id, name="first")
    _create(web, other.id, name="second")
    page = web.get(f"/admin/users/{owner.id}").text
    assert f'href="/admin/tokens?user_id={owner.id}"' in page
    listing = web.get(f"/admin/tokens?user_id={owner.id}").text
    assert "one@example.com" in listing and "two@example.com" not in listing
    form = web.get(f"/admin/tokens/new?user_id={owner.id}").text
    assert re.search(rf'<option value="{owner.id}" selected>', form)


# --------------------------------------------------------------------------- list


def test_the_token_list_pages_newest_first(web, make_user, runtime):
    owner = make_user()
    with runtime.sessionmaker.begin() as session:
        user = session.get(User, owner.id)
        for n in range(55):
            create_token(session, user, f"token {n:02d}")
    first = web.get("/admin/tokens").text
    assert first.count('id="token-row-') == 50 and "token 54" in first and "token 04" not in first
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = web.get(next_url).text
    assert second.count('id="token-row-') == 5 and "token 00" in second


def test_the_token_pages_run_a_constant_number_of_queries(web, make_user, count_queries, runtime):
    owner = make_user()
    with runtime.sessionmaker.begin() as session:
        create_token(session, session.get(User, owner.id), "one")
    few_list = _queries(web, "/admin/tokens", count_queries)
    few_form = _queries(web, "/admin/tokens/new", count_queries)
    for _ in range(10):
        user_id = make_user().id
        with runtime.sessionmaker.begin() as session:
            create_token(session, session.get(User, user_id), "more")
            create_token(session, session.get(User, user_id), "again")
    assert _queries(web, "/admin/tokens", count_queries) == few_list
    assert _queries(web, "/admin/tokens/new", count_queries) == few_form
