"""The customer timeline: `GET/POST /api/v1/customers/{id}/interactions`."""

from __future__ import annotations

import datetime as dt

import pytest

from .helpers import error_of

UTC = dt.UTC
T0 = dt.datetime(2024, 3, 20, 12, 0, tzinfo=UTC)


def test_recording_an_interaction_returns_it(api, make_customer):
    customer = make_customer()
    response = api.post(f"customers/{customer.id}/interactions", json={
        "kind": "sales.order", "channel": "web", "direction": "outbound", "summary": "سفارش  شماره ۱۲",
        "occurred_at": "2024-03-20T15:30:00+03:30", "value": "1250000.50", "currency": "IRR",
        "source_type": "sales.order", "source_id": "42", "payload": {"items": 3},
    })
    assert response.status_code == 201, response.json
    body = response.json
    assert body["customer_id"] == customer.id
    assert (body["kind"], body["channel"], body["direction"]) == ("sales.order", "web", "outbound")
    assert body["summary"] == "سفارش  شماره ۱۲"  # free text is kept as written, spaces too
    assert dt.datetime.fromisoformat(body["occurred_at"]) == T0
    assert (body["value"], body["currency"]) == ("1250000.5", "IRR")
    assert (body["source_type"], body["source_id"], body["payload"]) == ("sales.order", "42", {"items": 3})


def test_values_are_exact_and_written_the_same_way_on_every_database(api, make_customer, subtests):
    customer = make_customer()
    for given, written in (("0.1", "0.1"), (12, "12"), ("-3.0001", "-3.0001"), ("999999999999999.9999", "999999999999999.9999"),
                           (1e3, "1000"), ("100.00", "100"), (0, "0")):
        with subtests.test(value=given):
            response = api.post(f"customers/{customer.id}/interactions",
                                json={"kind": "core.payment", "channel": "web", "value": given, "currency": "IRR"})
            assert response.status_code == 201, response.json
            assert response.json["value"] == written
    values = [i["value"] for i in api.get(f"customers/{customer.id}/interactions").json["items"]]
    assert sorted(values) == sorted(["0.1", "12", "-3.0001", "999999999999999.9999", "1000", "100", "0"])


def test_minimal_interaction_gets_defaults(api, make_customer):
    customer = make_customer()
    before = dt.datetime.now(UTC)
    body = api.post(f"customers/{customer.id}/interactions", json={"kind": "core.note", "channel": "phone"}).json
    assert body["direction"] == "inbound"
    assert body["summary"] == ""
    assert body["value"] is None and body["currency"] is None and body["payload"] == {}
    assert dt.datetime.fromisoformat(body["occurred_at"]) >= before - dt.timedelta(seconds=1)


def test_naive_time_is_taken_as_utc(api, make_customer):
    customer = make_customer()
    body = api.post(f"customers/{customer.id}/interactions",
                    json={"kind": "core.note", "channel": "phone", "occurred_at": "2024-03-20T12:00:00"}).json
    assert dt.datetime.fromisoformat(body["occurred_at"]) == T0


def test_timeline_is_newest_first_and_only_this_customers(api, make_customer, make_interaction):
    customer, other = make_customer(), make_customer()
    old = make_interaction(customer.id, occurred_at=T0 - dt.timedelta(days=2)).id
    new = make_interaction(customer.id, occurred_at=T0).id
    mid = make_interaction(customer.id, occurred_at=T0 - dt.timedelta(days=1)).id
    make_interaction(other.id, occurred_at=T0)
    page = api.get(f"customers/{customer.id}/interactions").json
    assert [i["id"] for i in page["items"]] == [new, mid, old]
    assert page["next_cursor"] is None


def test_timeline_filters_by_kind_and_channel(api, make_customer, make_interaction, subtests):
    customer = make_customer()
    call = make_interaction(customer.id, kind="core.call", channel="phone").id
    note = make_interaction(customer.id, kind="core.note", channel="phone").id
    mail = make_interaction(customer.id, kind="core.note", channel="email").id
    for query, expected in (({"kind": "core.note"}, {note, mail}), ({"channel": "phone"}, {call, note}),
                            ({"kind": "core.note", "channel": "email"}, {mail}), ({"kind": "sales.order"}, set())):
        with subtests.test(query=query):
            items = api.get(f"customers/{customer.id}/interactions", query_string=query).json["items"]
            assert {i["id"] for i in items} == expected


def test_timeline_pages_break_ties_on_time_by_id(api, make_customer, make_interaction):
    customer = make_customer()
    same_time = [make_interaction(customer.id, occurred_at=T0).id for _ in range(5)]
    older = [make_interaction(customer.id, occurred_at=T0 - dt.timedelta(minutes=n + 1)).id for n in range(4)]
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"customers/{customer.id}/interactions", query_string=query).json
        seen.extend(i["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(same_time, reverse=True) + older


def test_timeline_pages_stay_stable_when_newer_interactions_arrive(api, make_customer, make_interaction):
    customer = make_customer()
    existing = [make_interaction(customer.id, occurred_at=T0 - dt.timedelta(hours=n)).id for n in range(6)]
    first = api.get(f"customers/{customer.id}/interactions", query_string={"limit": 3}).json
    make_interaction(customer.id, occurred_at=T0 + dt.timedelta(hours=1))
    second = api.get(f"customers/{customer.id}/interactions", query_string={"limit": 3, "cursor": first["next_cursor"]}).json
    assert [i["id"] for i in first["items"] + second["items"]] == existing
    assert second["next_cursor"] is None


def test_unknown_channel_is_422_listing_the_known_ones(api, make_customer):
    customer = make_customer()
    response = api.post(f"customers/{customer.id}/interactions", json={"kind": "core.note", "channel": "pigeon"})
    assert response.status_code == 422
    assert "sms" in error_of(response)["fields"]["channel"][0]


@pytest.mark.parametrize("state", ["merged", "erased"])
def test_recording_on_a_merged_or_erased_customer_is_409(api, make_customer, state):
    customer, other = make_customer(), make_customer()
    if state == "merged":
        api.post(f"customers/{other.id}/merge", json={"source_id": customer.id})
    else:
        api.post(f"customers/{customer.id}/erase")
    response = api.post(f"customers/{customer.id}/interactions", json={"kind": "core.note", "channel": "phone"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "customer_inactive"


def test_recorded_interaction_names_its_author(api, make_customer, runtime):
    from payvand.core.models import Interaction

    customer = make_customer()
    created = api.post(f"customers/{customer.id}/interactions", json={"kind": "core.note", "channel": "phone"}).json
    with runtime.sessionmaker() as session:
        assert session.get(Interaction, created["id"]).created_by_id == api.user_id
