"""A first end-to-end pass through the customer API."""


def test_create_read_and_list_customer(api):
    created = api.post("customers", json={"given_name": "علي", "family_name": "رضائي", "emails": ["Ali@Example.com"], "phones": ["۰۹۱۲۳۴۵۶۷۸۹"]})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["given_name"] == "علی"
    assert body["emails"] == [{"value": "ali@example.com", "label": None}]
    assert body["phones"][0]["value"] == "+989123456789"
    got = api.get(f"customers/{body['id']}")
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    listed = api.get("customers", query_string={"q": "علی"})
    assert [c["id"] for c in listed.json["items"]] == [body["id"]]
    by_phone = api.get("customers", query_string={"q": "0912 345"})
    assert [c["id"] for c in by_phone.json["items"]] == [body["id"]]
