"""Admin pages for staff users and roles: forms, rules (superusers, self-disable), sessions, audit."""

from __future__ import annotations

import os
import re
import uuid

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.auth import create_token
from payvand.core.models import ApiToken, AuditLog, Role, User, WebSession
from payvand.core.services.users import ensure_role
from payvand.sdk import PermissionSpec, PluginMeta, hookimpl
from payvand.sdk.testing import WebClient

PASSWORD = "correct horse battery staple"


class Ledger:
    """A plugin declaring two permissions, to see them grouped under its title."""

    meta = PluginMeta("ledger", "1.0", title="Ledger book")

    @hookimpl
    def payvand_permissions(self) -> list[PermissionSpec]:
        """The ledger's permissions."""
        return [PermissionSpec("ledger.entry.view", "See ledger entries"),
                PermissionSpec("ledger.entry.post", "Post ledger entries")]


@pytest.fixture
def payvand_plugins() -> list[object]:
    """The ledger plugin, so the role form has a second permission group."""
    return [Ledger()]


@pytest.fixture
def payvand_config() -> dict[str, str]:
    """English pages, so the tests can read the messages as written."""
    return {"PAYVAND_DEFAULT_LOCALE": "en"}


def _anonymous(app) -> WebClient:
    return WebClient(app.test_client(), None)


def _user(runtime, email: str) -> User:
    with runtime.sessionmaker() as session:
        user = session.scalars(sa.select(User).where(User.email == email)).one()
        user.roles  # noqa: B018 - load before the session closes
        session.expunge_all()
        return user


def _make_role(runtime, name: str, permissions: list[str]) -> int:
    with runtime.sessionmaker.begin() as session:
        return ensure_role(session, name, permissions).id


def _give_role(runtime, user_id: int, role_id: int) -> None:
    with runtime.sessionmaker.begin() as session:
        user = session.get(User, user_id)
        user.roles.append(session.get(Role, role_id))


def _queries(web: WebClient, path: str, count_queries) -> int:
    """How many SQL statements a GET of `path` runs (after a first GET settles the session)."""
    web.get(path)
    with count_queries() as queries:
        assert web.get(path).status_code == 200
    return len(queries)


def _edit_form(user: User, **changes) -> dict:
    data = {"name": user.name, "is_active": "1" if user.is_active else None,
            "is_superuser": "1" if user.is_superuser else None}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --------------------------------------------------------------------------- access


ADMIN_PAGES = ["/admin/users", "/admin/users/new", "/admin/roles", "/admin/roles/new"]


def test_a_user_manager_opens_every_users_and_roles_page(web_as, make_user, runtime):
    admin = web_as([perm.USERS_MANAGE])
    other = make_user(email="other@example.com")
    role_id = _make_role(runtime, "sales", [perm.CUSTOMER_VIEW])
    for path in ADMIN_PAGES + [f"/admin/users/{other.id}", f"/admin/roles/{role_id}"]:
        assert admin.get(path).status_code == 200, path


def test_users_and_roles_pages_refuse_a_user_without_the_permission(web_as, make_user, runtime):
    viewer = web_as([perm.CUSTOMER_VIEW, perm.AUDIT_VIEW])
    other = make_user(email="other@example.com")
    role_id = _make_role(runtime, "sales", [perm.CUSTOMER_VIEW])
    for path in ADMIN_PAGES + [f"/admin/users/{other.id}", f"/admin/roles/{role_id}"]:
        assert viewer.get(path).status_code == 403, path
    assert viewer.post("/admin/users/new", {"email": "x@example.com", "password": PASSWORD}).status_code == 403
    assert viewer.post(f"/admin/roles/{role_id}/delete").status_code == 403
    assert _user(runtime, "other@example.com").is_active


def test_anonymous_visitors_are_sent_to_login(app, make_user):
    user = make_user()
    for path in ADMIN_PAGES + [f"/admin/users/{user.id}"]:
        response = _anonymous(app).get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def test_forms_posted_without_the_csrf_token_are_refused_with_400(web, make_user, runtime):
    other = make_user(email="other@example.com")
    role_id = _make_role(runtime, "sales", [perm.CUSTOMER_VIEW])
    new_user = {"email": "new@example.com", "password": PASSWORD}
    assert web.post("/admin/users/new", new_user, csrf=False).status_code == 400
    assert web.post(f"/admin/users/{other.id}", {"name": "x"}, csrf=False).status_code == 400
    assert web.post("/admin/roles/new", {"name": "x", "permissions": perm.CUSTOMER_VIEW}, csrf=False).status_code == 400
    assert web.post(f"/admin/roles/{role_id}/delete", csrf=False).status_code == 400
    assert _user(runtime, "other@example.com").is_active
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 2
        assert session.get(Role, role_id) is not None


# --------------------------------------------------------------------------- create


def test_creating_a_user_reports_each_bad_field_with_422(web, runtime):
    response = web.post("/admin/users/new", {"email": "not-an-email", "password": "short"})
    assert response.status_code == 422
    assert re.search(r'id="f-email-error"[^>]*>Enter a valid email address\.', response.text)
    assert re.search(r'id="f-password-error"[^>]*>A password needs at least 10 characters\.', response.text)
    assert 'aria-invalid="true"' in response.text
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_a_missing_email_and_password_are_reported_as_required(web):
    response = web.post("/admin/users/new", {"name": "Nobody"})
    assert response.status_code == 422
    assert re.search(r'id="f-email-error"[^>]*>This field is required\.', response.text)
    assert re.search(r'id="f-password-error"[^>]*>This field is required\.', response.text)


def test_a_duplicate_email_is_refused_with_422(web, make_user):
    make_user(email="taken@example.com")
    response = web.post("/admin/users/new", {"email": " Taken@Example.com ", "password": PASSWORD})
    assert response.status_code == 422
    assert re.search(r'id="f-email-error"[^>]*>A user with this email already exists\.', response.text)


def test_a_new_user_gets_the_chosen_roles_and_can_log_in_with_the_exact_password(web, app, runtime):
    role_id = _make_role(runtime, "support", [perm.CUSTOMER_VIEW])
    password = "  spaces kept  "
    response = web.post("/admin/users/new", {"email": "New.Rep@Example.com", "name": "New Rep",
                                             "password": password, "roles": str(role_id)})
    assert response.status_code == 302
    user = _user(runtime, "new.rep@example.com")
    assert user.name == "New Rep" and user.is_active and not user.is_superuser
    assert [r.name for r in user.roles] == ["support"]
    assert response.headers["Location"] == f"/admin/users/{user.id}"

    newcomer = _anonymous(app)
    assert newcomer.login("new.rep@example.com", password.strip()).status_code == 200  # refused
    assert newcomer.login("new.rep@example.com", password).status_code == 302
    assert newcomer.get("/").status_code == 200


def test_creating_a_user_is_audited_without_the_password(web, runtime):
    web.post("/admin/users/new", {"email": "audited@example.com", "password": PASSWORD})
    with runtime.sessionmaker() as session:
        entry = session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "user",
                                                         AuditLog.action == "create")).one()
    assert entry.actor_id == web.user_id
    assert entry.after["email"] == "audited@example.com"
    assert PASSWORD not in str(entry.after)


def test_only_a_superuser_may_create_a_superuser(web_as, web, runtime):
    manager = web_as([perm.USERS_MANAGE])
    refused = manager.post("/admin/users/new", {"email": "boss@example.com", "password": PASSWORD, "is_superuser": "1"})
    assert refused.status_code == 422
    assert "Only a superuser can grant superuser." in refused.text
    assert 'name="is_superuser"' not in manager.get("/admin/users/new").text

    assert web.post("/admin/users/new", {"email": "boss@example.com", "password": PASSWORD,
                                         "is_superuser": "1"}).status_code == 302
    assert _user(runtime, "boss@example.com").is_superuser


# --------------------------------------------------------------------------- edit


def test_editing_a_user_changes_name_roles_and_password(web, app, make_user, runtime):
    user = make_user(email="rep@example.com", name="Old Name")
    role_id = _make_role(runtime, "sales", [perm.CUSTOMER_VIEW])
    response = web.post(f"/admin/users/{user.id}", _edit_form(user, name="New Name", roles=str(role_id),
                                                             password="a brand new secret"))
    assert response.status_code == 302
    changed = _user(runtime, "rep@example.com")
    assert changed.name == "New Name" and [r.name for r in changed.roles] == ["sales"]
    assert _anonymous(app).login("rep@example.com", "a brand new secret").status_code == 302
    with runtime.sessionmaker() as session:
        actions = set(session.scalars(sa.select(AuditLog.action).where(AuditLog.object_id == str(user.id))))
    assert {"update", "set_password"} <= actions


def test_an_empty_password_leaves_the_password_unchanged(web, app, make_user):
    user = make_user(email="rep@example.com", password=PASSWORD)
    assert web.post(f"/admin/users/{user.id}", _edit_form(user, password="")).status_code == 302
    assert _anonymous(app).login("rep@example.com", PASSWORD).status_code == 302


def test_a_short_new_password_is_refused_with_422(web, make_user):
    user = make_user()
    response = web.post(f"/admin/users/{user.id}", _edit_form(user, password="short"))
    assert response.status_code == 422
    assert re.search(r'id="f-password-error"[^>]*>A password needs at least 10 characters\.', response.text)


def test_editing_keeps_the_users_direct_permissions(web, make_user, runtime):
    user = make_user(email="direct@example.com", permissions=[perm.CUSTOMER_EXPORT])
    assert web.post(f"/admin/users/{user.id}", _edit_form(user)).status_code == 302
    roles = _user(runtime, "direct@example.com").roles
    assert [r.name for r in roles] == [f"user:{user.id}"]


def test_disabling_a_user_ends_their_open_session_at_once_and_stops_their_logins(web, web_as, runtime, app):
    victim = web_as([perm.CUSTOMER_VIEW], email="leaver@example.com")
    assert victim.get("/").status_code == 200
    user = _user(runtime, "leaver@example.com")

    response = web.post(f"/admin/users/{user.id}", _edit_form(user, is_active=None))
    assert response.status_code == 302

    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(WebSession)
                              .where(WebSession.user_id == user.id)) == 0
    following = victim.get("/")
    assert following.status_code == 302 and following.headers["Location"].startswith("/login")
    assert _anonymous(app).login("leaver@example.com", PASSWORD).status_code == 200
    assert web.get("/").status_code == 200  # the admin's own session goes on


def test_disabling_a_user_suspends_their_tokens_without_revoking_them(web, make_user, runtime, app):
    user = make_user(email="api@example.com", permissions=[perm.CUSTOMER_VIEW])
    with runtime.sessionmaker.begin() as session:
        _, secret = create_token(session, session.get(User, user.id), "sync", ["*"])
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/customers", headers=headers).status_code == 200

    web.post(f"/admin/users/{user.id}", _edit_form(user, is_active=None))
    assert api.get("/api/v1/customers", headers=headers).status_code == 401
    with runtime.sessionmaker() as session:
        assert session.scalars(sa.select(ApiToken.revoked_at)).one() is None

    web.post(f"/admin/users/{user.id}", _edit_form(_user(runtime, "api@example.com"), is_active="1"))
    assert api.get("/api/v1/customers", headers=headers).status_code == 200
    with runtime.sessionmaker() as session:
        actions = list(session.scalars(sa.select(AuditLog.action).where(AuditLog.object_type == "user")
                                       .order_by(AuditLog.id)))
    assert actions == ["disable", "enable"]


def test_an_admin_cannot_disable_themself(web_as, runtime):
    admin = web_as([perm.USERS_MANAGE], email="admin@example.com")
    me = _user(runtime, "admin@example.com")
    response = admin.post(f"/admin/users/{me.id}", _edit_form(me, is_active=None))
    assert response.status_code == 422
    assert re.search(r'id="f-is_active-error"[^>]*>You cannot disable your own account\.', response.text)
    assert _user(runtime, "admin@example.com").is_active
    assert admin.get("/admin/users").status_code == 200


def test_the_last_superuser_cannot_give_up_superuser(web, runtime, make_user):
    me = _user(runtime, web.user.email)
    response = web.post(f"/admin/users/{me.id}", _edit_form(me, is_superuser=None))
    assert response.status_code == 422
    assert "At least one active superuser must remain." in response.text
    assert _user(runtime, web.user.email).is_superuser

    make_user(email="second@example.com", superuser=True)
    assert web.post(f"/admin/users/{me.id}", _edit_form(me, is_superuser=None)).status_code == 302
    assert not _user(runtime, web.user.email).is_superuser


def test_a_superuser_may_disable_another_superuser_while_one_remains(web, make_user, runtime):
    other = make_user(email="second@example.com", superuser=True)
    assert web.post(f"/admin/users/{other.id}", _edit_form(other, is_active=None)).status_code == 302
    assert not _user(runtime, "second@example.com").is_active


def test_only_a_superuser_may_edit_a_superuser_or_grant_superuser(web_as, make_user, runtime):
    manager = web_as([perm.USERS_MANAGE])
    boss = make_user(email="boss@example.com", superuser=True)
    rep = make_user(email="rep@example.com")
    assert manager.get(f"/admin/users/{boss.id}").status_code == 403
    assert manager.post(f"/admin/users/{boss.id}", _edit_form(boss, is_active=None)).status_code == 403
    assert _user(runtime, "boss@example.com").is_active

    refused = manager.post(f"/admin/users/{rep.id}", _edit_form(rep, is_superuser="1"))
    assert refused.status_code == 422 and "Only a superuser can grant superuser." in refused.text
    assert not _user(runtime, "rep@example.com").is_superuser


def test_a_user_manager_gives_only_roles_whose_permissions_they_hold(web_as, make_user, runtime):
    manager = web_as([perm.USERS_MANAGE, perm.CUSTOMER_VIEW])
    viewers = _make_role(runtime, "viewers", [perm.CUSTOMER_VIEW])
    erasers = _make_role(runtime, "erasers", [perm.CUSTOMER_VIEW, perm.CUSTOMER_ERASE])
    refused = manager.post("/admin/users/new", {"email": "new@example.com", "password": PASSWORD,
                                                "roles": [str(erasers)]})
    assert refused.status_code == 422 and "You can only give permissions you hold yourself" in refused.text
    assert perm.CUSTOMER_ERASE in refused.text
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(User.id).where(User.email == "new@example.com")) is None

    rep = make_user(email="rep@example.com")
    refused = manager.post(f"/admin/users/{rep.id}", _edit_form(rep, roles=[str(erasers)]))
    assert refused.status_code == 422 and "You can only give permissions you hold yourself" in refused.text
    assert _user(runtime, "rep@example.com").roles == [r for r in _user(runtime, "rep@example.com").roles
                                                       if r.name.startswith("user:")]
    assert manager.post(f"/admin/users/{rep.id}", _edit_form(rep, roles=[str(viewers)])).status_code == 302


def test_a_user_keeps_a_role_that_their_manager_could_not_have_given(web_as, make_user, runtime):
    """Editing a user's name does not give again the stronger role they already hold."""
    manager = web_as([perm.USERS_MANAGE])
    erasers = _make_role(runtime, "erasers", [perm.CUSTOMER_ERASE])
    rep = make_user(email="rep@example.com", name="Old")
    _give_role(runtime, rep.id, erasers)
    kept = manager.post(f"/admin/users/{rep.id}", _edit_form(rep, name="New", roles=[str(erasers)]))
    assert kept.status_code == 302
    assert _user(runtime, "rep@example.com").name == "New"


def test_a_user_manager_puts_into_roles_only_permissions_they_hold(web_as, runtime):
    manager = web_as([perm.USERS_MANAGE, perm.CUSTOMER_VIEW])
    refused = manager.post("/admin/roles/new", {"name": "Erasers", "permissions": [perm.CUSTOMER_ERASE]})
    assert refused.status_code == 422 and "You can only give permissions you hold yourself" in refused.text
    assert manager.post("/admin/roles/new", {"name": "Viewers", "permissions": [perm.CUSTOMER_VIEW]}).status_code == 302
    viewers = _role_id(runtime, "Viewers")
    added = manager.post(f"/admin/roles/{viewers}", {"name": "Viewers",
                                                      "permissions": [perm.CUSTOMER_VIEW, perm.CUSTOMER_ERASE]})
    assert added.status_code == 422
    with runtime.sessionmaker() as session:
        assert session.get(Role, viewers).permissions == [perm.CUSTOMER_VIEW]


def _role_id(runtime, name: str) -> int:
    with runtime.sessionmaker() as session:
        return session.scalars(sa.select(Role.id).where(Role.name == name)).one()


def test_an_unknown_role_id_is_a_field_error(web, make_user):
    user = make_user()
    response = web.post(f"/admin/users/{user.id}", _edit_form(user, roles="999999"))
    assert response.status_code == 422
    assert re.search(r'id="f-roles-error"[^>]*>Choose roles from the list\.', response.text)


def test_an_unknown_user_is_404(web):
    assert web.get("/admin/users/999999").status_code == 404


# --------------------------------------------------------------------------- list


def test_the_user_list_shows_roles_status_and_last_login(web, web_as, make_user, runtime):
    role_id = _make_role(runtime, "support", [perm.CUSTOMER_VIEW])
    web_as([perm.CUSTOMER_VIEW], email="active@example.com")
    off = make_user(email="off@example.com", name="Turned Off")
    with runtime.sessionmaker.begin() as session:
        user = session.get(User, off.id)
        user.is_active = False
        user.roles.append(session.get(Role, role_id))
    page = web.get("/admin/users").text
    row = re.search(rf'<tr id="user-row-{off.id}">(.*?)</tr>', page, re.S).group(1)
    assert "off@example.com" in row and "Turned Off" in row and "support" in row
    assert 'data-state="disabled"' in row and "Unknown" in row
    active_row = re.search(r'<tr id="user-row-\d+">((?:(?!</tr>).)*active@example\.com.*?)</tr>', page, re.S).group(1)
    assert 'data-state="active"' in active_row and "Unknown" not in active_row
    assert 'data-superuser="yes"' in page  # the logged-in superuser


def test_the_user_list_searches_email_and_name(web, make_user):
    make_user(email="sara@example.com", name="Sara Ahmadi")
    make_user(email="reza@example.com", name="Reza Karimi")
    page = web.get("/admin/users?q=karimi").text
    assert "reza@example.com" in page and "sara@example.com" not in page
    page = web.get("/admin/users?q=SARA@").text
    assert "sara@example.com" in page and "reza@example.com" not in page
    assert "No user matches." in web.get("/admin/users?q=%25").text


def test_the_user_list_pages_by_email(web, make_user):
    for n in range(55):
        make_user(email=f"u{n:02d}@example.com")
    first = web.get("/admin/users").text
    assert first.count('id="user-row-') == 50
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = web.get(next_url).text
    assert second.count('id="user-row-') == 6  # 55 + the admin
    assert 'rel="next"' not in second
    emails = re.findall(r"(u\d\d)@example\.com", first + second)
    assert len(set(emails)) == 55


def test_the_user_list_runs_a_constant_number_of_queries(web, make_user, count_queries, runtime):
    role_id = _make_role(runtime, "support", [perm.CUSTOMER_VIEW])

    make_user(permissions=[perm.CUSTOMER_VIEW])
    few = _queries(web, "/admin/users", count_queries)
    for _ in range(20):
        _give_role(runtime, make_user(permissions=[perm.CUSTOMER_EXPORT]).id, role_id)
    assert _queries(web, "/admin/users", count_queries) == few


def test_the_edit_page_runs_a_constant_number_of_queries(web, make_user, count_queries, runtime):
    user = make_user(permissions=[perm.CUSTOMER_VIEW])
    few = _queries(web, f"/admin/users/{user.id}", count_queries)
    for n in range(10):
        role_id = _make_role(runtime, f"role{n}", [perm.CUSTOMER_VIEW, perm.CUSTOMER_EDIT])
        _give_role(runtime, user.id, role_id)
    assert _queries(web, f"/admin/users/{user.id}", count_queries) == few


# --------------------------------------------------------------------------- roles


def test_the_role_form_groups_permissions_by_plugin_with_descriptions(web):
    page = web.get("/admin/roles/new").text
    core = re.search(r'<section[^>]*id="perm-group-core".*?</section>', page, re.S).group(0)
    ledger = re.search(r'<section[^>]*id="perm-group-ledger".*?</section>', page, re.S).group(0)
    assert "Ledger book" in ledger
    assert 'value="ledger.entry.view"' in ledger and "See ledger entries" in ledger
    assert 'value="ledger.entry.view"' not in core
    assert 'value="core.users.manage"' in core and "Manage users, roles and API tokens" in core
    assert 'id="perm-core-customer-view"' in core and 'for="perm-core-customer-view"' in core
    assert page.index('id="perm-group-core"') < page.index('id="perm-group-ledger"')


def test_a_role_is_created_with_the_ticked_permissions_and_audited(web, runtime):
    response = web.post("/admin/roles/new", {"name": "Bookkeeper", "description": "Keeps the books",
                                             "permissions": ["ledger.entry.view", "ledger.entry.post"]})
    assert response.status_code == 302
    with runtime.sessionmaker() as session:
        role = session.scalars(sa.select(Role).where(Role.name == "Bookkeeper")).one()
        assert role.permissions == ["ledger.entry.post", "ledger.entry.view"]
        assert role.description == "Keeps the books"
        entry = session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "role")).one()
    assert entry.action == "create" and entry.after["permissions"] == role.permissions
    page = web.get("/admin/roles").text
    assert "Bookkeeper" in page and "ledger.entry.post, ledger.entry.view" in page


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": "", "permissions": perm.CUSTOMER_VIEW}, "name", "Give the role a name."),
    ({"name": "user:9", "permissions": perm.CUSTOMER_VIEW}, "name", "reserved for personal roles"),
    ({"name": "x" * 65, "permissions": perm.CUSTOMER_VIEW}, "name", "Longer than maximum length 64."),
    ({"name": "Empty"}, "permissions", "Choose at least one permission."),
    ({"name": "Odd", "permissions": "core.nothing.here"}, "permissions", "Unknown permission: core.nothing.here"),
])
def test_a_bad_role_is_refused_with_a_field_error(web, runtime, data, field, message):
    response = web.post("/admin/roles/new", data)
    assert response.status_code == 422
    assert re.search(rf'id="f-{field}-error"[^>]*>[^<]*{re.escape(message)}', response.text), response.text
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Role)) == 0


def test_a_duplicate_role_name_is_refused(web, runtime):
    _make_role(runtime, "sales", [perm.CUSTOMER_VIEW])
    response = web.post("/admin/roles/new", {"name": "sales", "permissions": perm.CUSTOMER_EDIT})
    assert response.status_code == 422 and "A role with this name already exists." in response.text


def test_granting_a_role_opens_a_page_and_taking_it_away_closes_it(web, web_as, runtime):
    clerk = web_as([perm.CUSTOMER_VIEW], email="clerk@example.com")
    assert clerk.get("/admin/roles").status_code == 403
    assert web.post("/admin/roles/new", {"name": "Admins", "permissions": perm.USERS_MANAGE}).status_code == 302
    with runtime.sessionmaker() as session:
        role_id = session.scalar(sa.select(Role.id).where(Role.name == "Admins"))
    user = _user(runtime, "clerk@example.com")
    assert web.post(f"/admin/users/{user.id}", _edit_form(user, roles=str(role_id))).status_code == 302
    assert clerk.get("/admin/roles").status_code == 200

    assert web.post(f"/admin/users/{user.id}", _edit_form(_user(runtime, "clerk@example.com"))).status_code == 302
    assert clerk.get("/admin/roles").status_code == 403


def test_editing_a_role_changes_its_grants_for_its_users_at_once(web, web_as, runtime):
    role_id = _make_role(runtime, "clerks", [perm.CUSTOMER_VIEW])
    clerk = web_as([], email="clerk@example.com")
    _give_role(runtime, clerk.user_id, role_id)
    assert clerk.get("/admin/users").status_code == 403
    response = web.post(f"/admin/roles/{role_id}", {"name": "clerks", "description": "",
                                                   "permissions": [perm.CUSTOMER_VIEW, perm.USERS_MANAGE]})
    assert response.status_code == 302
    assert clerk.get("/admin/users").status_code == 200
    with runtime.sessionmaker() as session:
        entry = session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "role")).one()
    assert entry.action == "update" and entry.after == {"permissions": [perm.CUSTOMER_VIEW, perm.USERS_MANAGE]}


def test_deleting_a_role_takes_it_from_its_users(web, web_as, runtime):
    role_id = _make_role(runtime, "admins", [perm.USERS_MANAGE])
    holder = web_as([], email="holder@example.com")
    _give_role(runtime, holder.user_id, role_id)
    assert holder.get("/admin/users").status_code == 200
    page = web.get(f"/admin/roles/{role_id}").text
    assert 'id="role-delete-form"' in page and "data-confirm=" in page
    response = web.post(f"/admin/roles/{role_id}/delete")
    assert response.status_code == 302
    assert holder.get("/admin/users").status_code == 403
    with runtime.sessionmaker() as session:
        assert session.get(Role, role_id) is None
        entry = session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "role")).one()
    assert entry.action == "delete" and entry.before["users"] == 1


def test_personal_roles_are_listed_apart_and_keep_their_name(web, make_user, runtime):
    user = make_user(email="direct@example.com", permissions=[perm.CUSTOMER_EXPORT])
    page = web.get("/admin/roles").text
    personal = re.search(r'id="personal-roles-table".*?</table>', page, re.S).group(0)
    assert "direct@example.com" in personal and perm.CUSTOMER_EXPORT in personal
    assert 'id="roles-empty"' in page
    with runtime.sessionmaker() as session:
        role_id = session.scalar(sa.select(Role.id).where(Role.name == f"user:{user.id}"))
    assert web.post(f"/admin/roles/{role_id}", {"name": "renamed", "permissions": []}).status_code == 302
    with runtime.sessionmaker() as session:
        role = session.get(Role, role_id)
        assert role.name == f"user:{user.id}" and role.permissions == []


def test_the_roles_page_runs_a_constant_number_of_queries(web, make_user, count_queries, runtime):
    _make_role(runtime, "one", [perm.CUSTOMER_VIEW])
    make_user(permissions=[perm.CUSTOMER_VIEW])
    few = _queries(web, "/admin/roles", count_queries)
    for n in range(15):
        _make_role(runtime, f"role{n}", [perm.CUSTOMER_VIEW, perm.CUSTOMER_EDIT])
        make_user(permissions=[perm.CUSTOMER_EXPORT])
    assert _queries(web, "/admin/roles", count_queries) == few


@pytest.mark.skipif(not os.environ.get("PAYVAND_TEST_REDIS_URL"), reason="PAYVAND_TEST_REDIS_URL is not set")
def test_disabling_a_user_ends_their_session_in_the_redis_store_too(app, make_user, runtime):
    from payvand.core.web.sessions import RedisStore

    store = RedisStore(os.environ["PAYVAND_TEST_REDIS_URL"], prefix=f"payvand:test:{uuid.uuid4().hex}:")
    app.session_interface.store = store
    make_user(email="admin@example.com", password=PASSWORD, superuser=True)
    make_user(email="leaver@example.com", password=PASSWORD, permissions=[perm.CUSTOMER_VIEW])
    admin, victim = _anonymous(app), _anonymous(app)
    assert admin.login("admin@example.com", PASSWORD).status_code == 302
    assert victim.login("leaver@example.com", PASSWORD).status_code == 302
    assert victim.get("/").status_code == 200
    user = _user(runtime, "leaver@example.com")
    try:
        assert admin.post(f"/admin/users/{user.id}", _edit_form(user, is_active=None)).status_code == 302
        assert not store.redis.smembers(f"{store.prefix}user:{user.id}")
        assert victim.get("/").headers["Location"].startswith("/login")
        assert admin.get("/admin/users").status_code == 200
    finally:
        store.redis.delete(*store.redis.keys(store.prefix + "*") or [store.prefix])


def test_a_grant_no_plugin_declares_any_more_is_shown_apart_and_may_be_kept(web, runtime):
    role_id = _make_role(runtime, "legacy", [perm.CUSTOMER_VIEW, "gone.thing.view"])
    page = web.get(f"/admin/roles/{role_id}").text
    other = re.search(r'<section[^>]*id="perm-group-other".*?</section>', page, re.S).group(0)
    assert 'value="gone.thing.view"' in other and "checked" in other
    response = web.post(f"/admin/roles/{role_id}", {"name": "legacy", "permissions": [perm.CUSTOMER_VIEW, "gone.thing.view"]})
    assert response.status_code == 302
    refused = web.post("/admin/roles/new", {"name": "fresh", "permissions": "gone.thing.view"})
    assert refused.status_code == 422 and "Unknown permission: gone.thing.view" in refused.text


def test_the_pages_render_in_persian_right_to_left(web, make_user, runtime):
    user = make_user(permissions=[perm.CUSTOMER_VIEW])
    role_id = _make_role(runtime, "sales", [perm.CUSTOMER_VIEW])
    web.post("/account/locale", {"locale": "fa"})
    for path in ADMIN_PAGES + [f"/admin/users/{user.id}", f"/admin/roles/{role_id}", "/admin/tokens", "/admin/tokens/new"]:
        page = web.get(path)
        assert page.status_code == 200 and 'dir="rtl"' in page.text, path
    assert web.post("/admin/users/new", {"email": "bad"}).status_code == 422
