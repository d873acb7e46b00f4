"""Data-protection requests: `GET /customers/{id}/export` and `POST /customers/{id}/erase`."""

from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa

from payvand.core.models import AuditLog, Customer, CustomerMerge, Interaction, OutboxEvent

from .helpers import error_of

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def person(make_customer):
    return make_customer(
        given_name="Sara", family_name="Karimi", emails=["sara@example.com"], phones=["09121234567"],
        addresses=[{"line1": "Valiasr 12", "city": "Tehran"}], birthday="1990-05-01", tags=["vip"],
        consents=[{"channel": "email", "granted": True, "source": "signup"}], attributes={"apitest.tier": "gold"},
    )


def test_export_contains_the_record_consent_history_timeline_merges_and_plugin_parts(api, make_customer, make_interaction):
    customer = person(make_customer)
    api.patch(f"customers/{customer.id}", json={"consents": [{"channel": "email", "granted": False}]})
    call = make_interaction(customer.id, kind="core.call", summary="Asked about prices", occurred_at=T0,
                            value=decimal.Decimal("1500.25"), currency="IRR").id
    badge = make_interaction(customer.id, kind="apitest.badge", occurred_at=T0 + dt.timedelta(days=1)).id
    duplicate = make_customer(given_name="S", family_name="K")
    merge_id = api.post(f"customers/{customer.id}/merge", json={"source_id": duplicate.id}).json["id"]

    response = api.get(f"customers/{customer.id}/export")
    assert response.status_code == 200
    export = response.json
    assert export["format"] == "payvand.customer-export/1"
    assert dt.datetime.fromisoformat(export["exported_at"]).tzinfo is not None
    assert export["customer"] == api.get(f"customers/{customer.id}").json
    assert [(c["channel"], c["granted"]) for c in export["consent_history"]] == [("email", True), ("email", False)]
    assert [i["id"] for i in export["interactions"]] == [call, badge]
    assert export["interactions"][0]["summary"] == "Asked about prices"
    assert export["interactions"][0]["value"] == "1500.25"
    assert [(m["id"], m["source_id"]) for m in export["merges"]] == [(merge_id, duplicate.id)]
    assert export["plugins"] == {"apitest": {"badge_interactions": [badge], "note": "from apitest",
                                             "member_since": "2024-01-01", "credit": "12.50"}}


def test_erase_removes_personal_data_but_keeps_aggregates(api, runtime, plugin, make_customer, make_interaction):
    customer = person(make_customer)
    make_customer(given_name="Other", tags=["vip"])  # a shared tag stays; one only this person carries goes
    api.patch(f"customers/{customer.id}", json={"family_name": "Ahmadi", "tags": ["vip", "met-sara-at-expo"]})
    for n in range(3):
        make_interaction(customer.id, kind="sales.order", summary=f"Order for Sara #{n}", payload={"address": "Valiasr"},
                         value=decimal.Decimal("100.5"), currency="IRR", occurred_at=T0 + dt.timedelta(days=n))
    response = api.post(f"customers/{customer.id}/erase")
    assert response.status_code == 200, response.json
    body = response.json
    assert plugin.erased == [customer.id]
    for key in ("given_name", "family_name", "organization_name", "birthday", "preferred_language", "preferred_channel"):
        assert body[key] is None, key
    assert (body["emails"], body["phones"], body["addresses"], body["attributes"]) == ([], [], [], {})
    assert body["display_name"] == f"Erased customer #{customer.id}"
    assert body["erased_at"] is not None
    assert body["tags"] == ["vip"] and body["consents"][0]["channel"] == "email"
    with runtime.sessionmaker() as session:
        rows = session.scalars(sa.select(Interaction).where(Interaction.customer_id == customer.id)).all()
        assert [(i.kind, i.value, i.currency, i.summary, i.payload) for i in rows] == [
            ("sales.order", decimal.Decimal("100.5"), "IRR", "", {})] * 3
        audit = session.scalars(sa.select(AuditLog).where(AuditLog.object_id == str(customer.id))
                                .order_by(AuditLog.id)).all()
        assert [a.action for a in audit] == ["create", "update", "erase"]
        assert all(a.before in (None, {"erased": True}) and a.after in (None, {"erased": True}) for a in audit)
        outbox = " ".join(str(e.payload) for e in session.scalars(sa.select(OutboxEvent)))
        assert "Karimi" not in outbox and "Ahmadi" not in outbox
        row = session.get(Customer, customer.id)
        assert (row.search_name, row.search_name_alt) == ("", "")
    assert api.get("customers", query_string={"q": "sara"}).json["items"] == []
    assert api.get("customers", query_string={"q": "0912123"}).json["items"] == []


def test_erase_also_erases_customers_merged_into_it(api, runtime, plugin, make_customer):
    customer = person(make_customer)
    duplicate = make_customer(given_name="Sarah", family_name="Karimi", emails=["sara@example.com"])
    merge_id = api.post(f"customers/{customer.id}/merge", json={"source_id": duplicate.id}).json["id"]
    assert api.post(f"customers/{customer.id}/erase").status_code == 200
    assert sorted(plugin.erased) == sorted([customer.id, duplicate.id])
    gone = api.get(f"customers/{duplicate.id}").json
    assert (gone["given_name"], gone["emails"]) == (None, [])
    with runtime.sessionmaker() as session:
        assert session.get(CustomerMerge, merge_id).target_before == {"erased": True}
    assert api.post(f"customers/merges/{merge_id}/undo").status_code == 409


def test_erasing_twice_is_409(api, make_customer):
    customer = make_customer()
    assert api.post(f"customers/{customer.id}/erase").status_code == 200
    response = api.post(f"customers/{customer.id}/erase")
    assert response.status_code == 409
    assert error_of(response)["code"] == "already_erased"
    assert api.patch(f"customers/{customer.id}", json={"given_name": "Back"}).status_code == 409


def test_plugin_veto_aborts_the_erasure(api, plugin, make_customer, make_interaction, count_rows):
    customer = person(make_customer)
    make_interaction(customer.id, summary="Keep me")
    before = api.get(f"customers/{customer.id}/export").json
    plugin.veto_erase = True
    response = api.post(f"customers/{customer.id}/erase")
    assert response.status_code == 409
    assert error_of(response)["message"] == "apitest refuses: unpaid invoices must be kept."
    after = api.get(f"customers/{customer.id}/export").json
    assert after["customer"] == before["customer"] and after["interactions"] == before["interactions"]
    assert count_rows(AuditLog, AuditLog.action == "erase") == 0
