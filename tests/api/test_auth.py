"""Authentication (bearer tokens) and authorisation (permissions, token scopes) of every route."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.auth import create_token
from payvand.core.models import ApiToken, User

from .helpers import error_of

#: Every core route with the permission it needs (ids are filled in by the test).
ROUTES = [
    ("GET", "customers", perm.CUSTOMER_VIEW),
    ("POST", "customers", perm.CUSTOMER_EDIT),
    ("GET", "customers/{id}", perm.CUSTOMER_VIEW),
    ("PATCH", "customers/{id}", perm.CUSTOMER_EDIT),
    ("DELETE", "customers/{id}", perm.CUSTOMER_DELETE),
    ("GET", "customers/{id}/interactions", perm.INTERACTION_VIEW),
    ("POST", "customers/{id}/interactions", perm.INTERACTION_CREATE),
    ("POST", "customers/{id}/merge", perm.CUSTOMER_MERGE),
    ("POST", "customers/merges/1/undo", perm.CUSTOMER_MERGE),
    ("GET", "customers/{id}/export", perm.CUSTOMER_EXPORT),
    ("POST", "customers/{id}/erase", perm.CUSTOMER_ERASE),
    ("GET", "plugins", perm.PLUGINS_VIEW),
    ("GET", "apitest/customers/{id}/badge", "apitest.badge.view"),
]


def _token_row(runtime, user_id):
    with runtime.sessionmaker() as session:
        return session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user_id)).one()


def _set_token(runtime, user_id, **values):
    with runtime.sessionmaker.begin() as session:
        session.execute(sa.update(ApiToken).where(ApiToken.user_id == user_id).values(**values))


def test_request_without_token_is_401_with_bearer_challenge(client):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "pv_abc", "Token pv_abc"])
def test_malformed_authorization_header_is_401(client, header):
    response = client.get("/api/v1/customers", headers={"Authorization": header})
    assert response.status_code == 401
    error_of(response)


@pytest.mark.parametrize("secret", ["pv_not-a-real-token", "nonsense", "pv_" + "x" * 500])
def test_unknown_token_is_401_invalid_token(client, secret):
    response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_revoked_token_is_401_at_once(api_as, runtime):
    caller = api_as(superuser=True)
    assert caller.get("customers").status_code == 200
    _set_token(runtime, caller.user_id, revoked_at=dt.datetime.now(dt.UTC))
    response = caller.get("customers")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_expired_token_is_401(api_as, runtime):
    caller = api_as(superuser=True)
    _set_token(runtime, caller.user_id, expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert caller.get("customers").status_code == 401


def test_token_expiring_later_still_works(api_as, runtime):
    caller = api_as(superuser=True)
    _set_token(runtime, caller.user_id, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert caller.get("customers").status_code == 200


def test_token_of_deactivated_user_is_401(api_as, runtime):
    caller = api_as(superuser=True)
    with runtime.sessionmaker.begin() as session:
        session.get(User, caller.user_id).is_active = False
    assert caller.get("customers").status_code == 401


def test_token_use_is_recorded(api_as, runtime):
    caller = api_as(superuser=True)
    assert _token_row(runtime, caller.user_id).last_used_at is None
    caller.get("plugins")
    assert _token_row(runtime, caller.user_id).last_used_at is not None


def test_openapi_document_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"] == "3.1.0"


def test_every_route_is_403_without_its_permission(api_as, make_customer, subtests):
    customer = make_customer()
    everything = [p.name for p in perm.CORE_PERMISSIONS] + ["apitest.badge.view"]
    for method, path, permission in ROUTES:
        with subtests.test(route=f"{method} {path}"):
            caller = api_as(permissions=[p for p in everything if p != permission])
            response = caller._call(method, path.format(id=customer.id), json={})
            assert response.status_code == 403, response.json
            error = error_of(response)
            assert error["code"] == "forbidden"
            assert error["fields"] == {"permission": [permission]}


def test_every_route_passes_the_permission_check_with_its_permission(api_as, make_customer, subtests):
    customer = make_customer()
    for method, path, permission in ROUTES:
        with subtests.test(route=f"{method} {path}"):
            caller = api_as(permissions=[permission])
            response = caller._call(method, path.format(id=customer.id), json={})
            assert response.status_code not in (401, 403, 500), response.json


def test_token_scope_narrower_than_the_users_permissions_is_403(api_as, make_customer):
    customer = make_customer()
    reader = api_as(permissions=[perm.CUSTOMER_VIEW, perm.CUSTOMER_EDIT], scopes=[perm.CUSTOMER_VIEW])
    assert reader.get(f"customers/{customer.id}").status_code == 200
    response = reader.patch(f"customers/{customer.id}", json={"given_name": "Nope"})
    assert response.status_code == 403
    assert error_of(response)["fields"] == {"permission": [perm.CUSTOMER_EDIT]}


def test_scoped_token_of_a_superuser_is_still_limited_to_its_scopes(api_as, make_customer):
    customer = make_customer()
    caller = api_as(superuser=True, scopes=["core.customer.*"])
    assert caller.get(f"customers/{customer.id}").status_code == 200
    assert caller.get(f"customers/{customer.id}/export").status_code == 200
    assert caller.get(f"customers/{customer.id}/interactions").status_code == 403
    assert caller.get("plugins").status_code == 403


def test_scope_does_not_grant_what_the_user_lacks(api_as, make_customer):
    customer = make_customer()
    caller = api_as(permissions=[perm.CUSTOMER_VIEW], scopes=["*"])
    assert caller.get(f"customers/{customer.id}").status_code == 200
    assert caller.delete(f"customers/{customer.id}").status_code == 403


def test_permissions_granted_through_a_role_count(app, runtime, make_user):
    from payvand.core.services.users import ensure_role

    user = make_user()
    with runtime.sessionmaker.begin() as session:
        role = ensure_role(session, "support", [perm.CUSTOMER_VIEW])
        row = session.get(User, user.id)
        row.roles.append(role)
        _, secret = create_token(session, row, "t", ["*"])
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    assert client.post("/api/v1/customers", json={"family_name": "X"}, headers=headers).status_code == 403
