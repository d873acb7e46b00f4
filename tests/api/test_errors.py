"""Every API error is `{"error": {"code", "message", "fields"}}` with the right 4xx, never a 5xx."""

from __future__ import annotations

import base64
import json

from .helpers import error_of

BODY_ROUTES = [
    ("POST", "customers"),
    ("PATCH", "customers/{id}"),
    ("POST", "customers/{id}/interactions"),
    ("POST", "customers/{id}/merge"),
]
BIG_IDS = [0, 2**31, 2**63 - 1, 2**63, 2**64, 10**30]
ID_ROUTES = [
    ("GET", "customers/{id}"),
    ("PATCH", "customers/{id}"),
    ("DELETE", "customers/{id}"),
    ("GET", "customers/{id}/interactions"),
    ("POST", "customers/{id}/interactions"),
    ("POST", "customers/{id}/merge"),
    ("POST", "customers/merges/{id}/undo"),
    ("GET", "customers/{id}/export"),
    ("POST", "customers/{id}/erase"),
    ("GET", "apitest/customers/{id}/badge"),
]
VALID_BODIES = {
    "customers": {"family_name": "Karimi"},
    "customers/{id}": {"family_name": "Karimi"},
    "customers/{id}/interactions": {"kind": "core.note", "channel": "phone"},
    "customers/{id}/merge": {"source_id": 1},
}


def cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_malformed_json_is_400(api, make_customer, subtests):
    customer = make_customer()
    for method, path in BODY_ROUTES:
        with subtests.test(route=f"{method} {path}"):
            response = api._call(method, path.format(id=customer.id), data='{"family_name": "K', content_type="application/json")
            assert response.status_code == 400
            assert error_of(response)["code"] == "bad_request"


def test_body_that_is_not_json_is_415(api, make_customer, subtests):
    customer = make_customer()
    for method, path in BODY_ROUTES:
        body = json.dumps(VALID_BODIES[path])
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None):
            with subtests.test(route=f"{method} {path}", content_type=content_type):
                kwargs = {"data": body} if content_type is None else {"data": body, "content_type": content_type}
                response = api._call(method, path.format(id=customer.id), **kwargs)
                assert response.status_code == 415
                assert error_of(response)["code"] == "unsupported_media_type"


def test_body_that_is_not_an_object_is_422(api, make_customer, subtests):
    customer = make_customer()
    for method, path in BODY_ROUTES:
        for body in ([], "text", 5, None, [{"source_id": 1}]):
            with subtests.test(route=f"{method} {path}", body=body):
                response = api._call(method, path.format(id=customer.id), data=json.dumps(body), content_type="application/json")
                assert response.status_code == 422
                assert error_of(response)["fields"] == {"_schema": ["Expected an object."]}


def test_body_over_the_size_limit_is_413(api, app, make_customer, subtests):
    customer = make_customer()
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"family_name": "K" * (limit + 10)})
    for method, path in BODY_ROUTES:
        with subtests.test(route=f"{method} {path}"):
            response = api._call(method, path.format(id=customer.id), data=body, content_type="application/json")
            assert response.status_code == 413
            assert error_of(response)["code"] == "payload_too_large"


def test_unknown_field_is_422_naming_it(api):
    response = api.post("customers", json={"family_name": "K", "shoe_size": 44})
    assert response.status_code == 422
    assert "shoe_size" in error_of(response)["fields"]


INVALID_CUSTOMERS = [
    ({"family_name": 5}, "family_name"),
    ({"family_name": "K", "emails": "a@b.co"}, "emails"),
    ({"family_name": "K", "emails": [5]}, "emails"),
    ({"family_name": "K", "emails": ["not-an-email"]}, "emails"),
    ({"family_name": "K", "phones": ["12"]}, "phones"),
    ({"family_name": "K", "birthday": "yesterday"}, "birthday"),
    ({"family_name": "K", "birthday": "1850-01-01"}, "birthday"),
    ({"family_name": "K", "birthday": "2999-01-01"}, "birthday"),
    ({"family_name": "K", "tags": [1]}, "tags"),
    ({"family_name": "K", "tags": ["   "]}, "tags"),
    ({"family_name": "K", "lifecycle_stage": "friend"}, "lifecycle_stage"),
    ({"family_name": "K", "kind": "robot"}, "kind"),
    ({"family_name": "K", "owner_id": "1"}, "owner_id"),
    ({"family_name": "K", "owner_id": 2**63}, "owner_id"),
    ({"family_name": "K", "owner_id": 999}, "owner_id"),
    ({"family_name": "K", "addresses": [{"line1": "  "}]}, "addresses"),
    ({"family_name": "K", "addresses": [{"city": "Tehran"}]}, "addresses"),
    ({"family_name": "K", "consents": [{"channel": "pigeon", "granted": True}]}, "consents"),
    ({"family_name": "K", "preferred_channel": "pigeon"}, "preferred_channel"),
    ({"family_name": "K", "preferred_language": "Persian"}, "preferred_language"),
    ({"family_name": "K\u0000"}, "family_name"),
    ({"family_name": "K", "attributes": {"apitest.score": "\u0000"}}, "attributes.apitest.score"),
    ({"family_name": "   "}, "family_name"),
    ({"given_name": None, "family_name": None}, "family_name"),
    ({"kind": "organization"}, "organization_name"),
    ({}, "family_name"),
]


def test_invalid_customer_is_422_with_a_field_message(api, count_rows, subtests):
    from payvand.core.models import Customer

    for body, field in INVALID_CUSTOMERS:
        with subtests.test(body=body):
            response = api.post("customers", json=body)
            assert response.status_code == 422, response.json
            error = error_of(response)
            assert error["code"] == "validation_failed"
            assert field in error["fields"], error["fields"]
    assert count_rows(Customer) == 0


def test_item_errors_name_the_item_index(api):
    response = api.post("customers", json={"family_name": "K", "emails": ["ok@example.com", "bad@"]})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]["emails"]) == ["1"]


INVALID_INTERACTIONS = [
    ({"channel": "phone"}, "kind"),
    ({"kind": "note", "channel": "phone"}, "kind"),
    ({"kind": "core.note"}, "channel"),
    ({"kind": "core.note", "channel": "pigeon"}, "channel"),
    ({"kind": "core.note", "channel": "phone", "direction": "sideways"}, "direction"),
    ({"kind": "core.note", "channel": "phone", "value": "12.5"}, "currency"),
    ({"kind": "core.note", "channel": "phone", "value": "abc", "currency": "IRR"}, "value"),
    ({"kind": "core.note", "channel": "phone", "value": "NaN", "currency": "IRR"}, "value"),
    ({"kind": "core.note", "channel": "phone", "value": "1e16", "currency": "IRR"}, "value"),
    ({"kind": "core.note", "channel": "phone", "value": "0.00001", "currency": "IRR"}, "value"),
    ({"kind": "core.note", "channel": "phone", "value": 1, "currency": "rial"}, "currency"),
    ({"kind": "core.note", "channel": "phone", "occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
    ({"kind": "core.note", "channel": "phone", "occurred_at": "9999-12-31T23:59:59-12:00"}, "occurred_at"),
    ({"kind": "core.note", "channel": "phone", "occurred_at": "tomorrow"}, "occurred_at"),
    ({"kind": "core.note", "channel": "phone", "summary": "x" * 501}, "summary"),
    ({"kind": "core.note", "channel": "phone", "payload": []}, "payload"),
    ({"kind": "core.note", "channel": "phone", "payload": {"a": "\u0000"}}, "payload.a"),
    ({"kind": "core.note", "channel": "phone", "source_id": "7"}, "source_type"),
]


def test_invalid_interaction_is_422_with_a_field_message(api, make_customer, count_rows, subtests):
    from payvand.core.models import Interaction

    customer = make_customer()
    for body, field in INVALID_INTERACTIONS:
        with subtests.test(body=body):
            response = api.post(f"customers/{customer.id}/interactions", json=body)
            assert response.status_code == 422, response.json
            assert field in error_of(response)["fields"], response.json
    assert count_rows(Interaction) == 0


def test_invalid_merge_body_is_422(api, make_customer, subtests):
    customer = make_customer()
    for body in ({}, {"source_id": "2"}, {"source_id": 0}, {"source_id": 2**63}, {"source_id": True}, {"source_id": 1.5}):
        with subtests.test(body=body):
            response = api.post(f"customers/{customer.id}/merge", json=body)
            assert response.status_code == 422, response.json
            assert "source_id" in error_of(response)["fields"]


def test_unknown_id_is_404_on_every_route(api, subtests):
    for method, path in ID_ROUTES:
        for unknown in BIG_IDS:
            with subtests.test(route=f"{method} {path}", id=unknown):
                response = api._call(method, path.format(id=unknown), json=VALID_BODIES.get(path))
                assert response.status_code == 404, response.json
                assert error_of(response)["code"] == "not_found"


def test_merge_with_unknown_source_is_404(api, make_customer):
    customer = make_customer()
    response = api.post(f"customers/{customer.id}/merge", json={"source_id": 2**62})
    assert response.status_code == 404


def test_unknown_api_path_is_a_json_404(api, subtests):
    for path in ("customers/-1", "customers/abc", "customers/1.5", "nothing-here", "customers/1/nothing"):
        with subtests.test(path=path):
            response = api.get(path)
            assert response.status_code == 404
            error_of(response)


def test_wrong_method_is_405_with_allow(api, make_customer):
    customer = make_customer()
    response = api.put(f"customers/{customer.id}", json={})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "PATCH" in response.headers["Allow"]


INVALID_LIST_ARGUMENTS = [
    ({"limit": 0}, "limit"),
    ({"limit": 201}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"sort": "email"}, "sort"),
    ({"stage": "friend"}, "stage"),
    ({"owner_id": "x"}, "owner_id"),
    ({"owner_id": str(2**64)}, "owner_id"),
    ({"q": ""}, "q"),
    ({"q": "a\u0000b"}, "q"),
    ({"tag": "x" * 65}, "tag"),
]


def test_invalid_list_argument_is_422(api, subtests):
    for query, field in INVALID_LIST_ARGUMENTS:
        with subtests.test(query=query):
            response = api.get("customers", query_string=query)
            assert response.status_code == 422, response.json
            assert field in error_of(response)["fields"]


def test_invalid_timeline_argument_is_422(api, make_customer, subtests):
    customer = make_customer()
    for query, field in (({"limit": 0}, "limit"), ({"kind": ""}, "kind"), ({"channel": "x\u0000"}, "channel")):
        with subtests.test(query=query):
            response = api.get(f"customers/{customer.id}/interactions", query_string=query)
            assert response.status_code == 422, response.json
            assert field in error_of(response)["fields"]


TAMPERED_CUSTOMER_CURSORS = [
    "not base64 !", cursor([]), cursor(["x"]), cursor([2**64]), cursor([-5]), cursor([True]), cursor({"a": 1}),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(), cursor([[[[[]]]]]), cursor([5, 5, 5]), cursor(["x" * 300, 5]),
]
TAMPERED_TIMELINE_CURSORS = [
    cursor(["2024-01-01T00:00:00+00:00"]), cursor(["yesterday", 5]), cursor(["2024-01-01T00:00:00+00:00", 2**70]),
    cursor(["0001-01-01T00:00:00+14:00", 5]), cursor([5, 5]), "%%%",
]


def test_tampered_customer_cursor_is_400(api, make_customer, subtests):
    make_customer()
    for value in TAMPERED_CUSTOMER_CURSORS:
        for sort in ("-id", "name"):
            with subtests.test(cursor=value, sort=sort):
                response = api.get("customers", query_string={"cursor": value, "sort": sort})
                if value == cursor([5, 5, 5]) or (sort == "-id" and value == cursor(["x" * 300, 5])):
                    assert response.status_code == 400
                    continue
                assert response.status_code == 400, (sort, response.json)
                assert error_of(response)["fields"] == {"cursor": ["Invalid cursor."]}


def test_tampered_timeline_cursor_is_400(api, make_customer, subtests):
    customer = make_customer()
    for value in TAMPERED_TIMELINE_CURSORS:
        with subtests.test(cursor=value):
            response = api.get(f"customers/{customer.id}/interactions", query_string={"cursor": value})
            assert response.status_code == 400, response.json
            error_of(response)


def test_stale_if_match_that_is_malformed_is_400(api, make_customer):
    customer = make_customer()
    for header in ('"abc"', '"99999999999"', "١"):
        response = api.patch(f"customers/{customer.id}", json={"family_name": "X"}, headers={"If-Match": header})
        assert response.status_code == 400, header
        assert "If-Match" in error_of(response)["fields"]


def test_pages_outside_the_api_keep_their_own_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert not response.is_json
