"""Erase must leave nothing: a customer with distinctive strings in every place Payvand and the
sales plugin keep them is erased through the API, then the whole database is dumped (SQLite
`iterdump`, PostgreSQL `pg_dump`) and searched for every string (`assert_nowhere_in_database`)."""

from __future__ import annotations

from typing import Any

import pytest

import payvand.plugins.sales as sales
from payvand.sdk import CustomerField, PluginMeta, hookimpl


class Profile:
    """A tiny plugin declaring a custom customer field, so the customer carries attributes too."""

    meta = PluginMeta(name="profile", version="1.0")

    @staticmethod
    @hookimpl
    def payvand_customer_fields() -> list[CustomerField]:
        return [CustomerField("profile.nickname", label="Nickname")]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [sales, Profile()]


#: Every distinctive string given to the customer somewhere; none may survive the erase.
TRACE = {
    "given": "Zarvandokht", "family": "Qorbanpourian", "org": "Xylotrophic Holdings",
    "email": "zarvandokht.q@erase-probe.example", "phone": "+989121119977",
    "line1": "Kuche-ye Yasamanzar 71", "city": "Shahrzadabad", "tag": "tag-plumbago-41",
    "nickname": "Nickname-Quetzalli", "interaction": "Called about Zanjabil-order-882",
    "note": "Note-Brindlewood private remark", "deal": "Deal-Marmalukia fit-out",
    "deal_renamed": "Deal-Marmalukia phase two", "activity": "Visit Tarragonite site",
    "activity_notes": "Gate code 4471-Hollyhock", "lead_message": "Please call Saffronwick after five",
    "lead_other_email": "zq.alt@erase-probe.example", "quote_line": "Custom mural Orpimentine",
    "reject": "Rejected-because-Vermilionix", "void": "Voided-for-Cinnabarite",
    "payment": "REF-Lapislazul-30071",
    "persian_name": "زروندخت", "persian_note": "یادداشت محرمانه درباره آویشن",
}
NATIONAL_PHONE = "09121119977"  # the customer's phone in national form (leads stored before normalisation)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _customer_everywhere(api: Any) -> int:
    """A customer with the trace strings in every core and sales place; returns its id."""
    t = TRACE
    customer = _ok(api.post("customers", json={
        "kind": "person", "given_name": t["given"], "family_name": t["family"], "organization_name": t["org"],
        "emails": [t["email"]], "phones": [t["phone"]], "tags": [t["tag"]],
        "addresses": [{"line1": t["line1"], "city": t["city"], "country": "IR"}],
        "attributes": {"profile.nickname": t["nickname"]},
    }), 201)
    cid = customer["id"]
    _ok(api.patch(f"customers/{cid}", json={"given_name": t["persian_name"]}), 200)  # an audited change
    _ok(api.post(f"customers/{cid}/interactions", json={"kind": "core.call", "channel": "phone",
                                                        "summary": t["interaction"]}), 201)
    _ok(api.post(f"customers/{cid}/interactions", json={"kind": "core.note", "channel": "other",
                                                        "summary": t["note"] + " " + t["persian_note"]}), 201)
    deal = _ok(api.post("sales/deals", json={"title": t["deal"], "customer_id": cid, "amount": "1000"}), 201)
    _ok(api.patch(f"sales/deals/{deal['id']}", json={"title": t["deal_renamed"]}), 200)  # audit before/after
    _ok(api.post("sales/activities", json={"subject": t["activity"], "notes": t["activity_notes"],
                                           "deal_id": deal["id"]}), 201)
    # an unconverted lead with the customer's email, one with its phone (national form)
    _ok(api.post("sales/leads", json={"given_name": t["given"], "family_name": t["family"], "email": t["email"],
                                      "message": t["lead_message"]}), 201)
    _ok(api.post("sales/leads", json={"organization_name": t["org"], "email": t["lead_other_email"],
                                      "phone": NATIONAL_PHONE}), 201)
    line = [{"description": t["quote_line"], "quantity": "1", "unit_price": "5000"}]
    rejected = _ok(api.post("sales/quotes", json={"customer_id": cid, "lines": line}), 201)
    _ok(api.post(f"sales/quotes/{rejected['id']}/reject", json={"reason": t["reject"]}), 200)
    quote = _ok(api.post("sales/quotes", json={"customer_id": cid, "deal_id": deal["id"], "lines": line}), 201)
    order = _ok(api.post(f"sales/quotes/{quote['id']}/accept"), 201)
    first = _ok(api.post("sales/invoices", json={"order_id": order["id"]}), 201)
    _ok(api.post(f"sales/invoices/{first['id']}/void", json={"reason": t["void"]}), 200)
    invoice = _ok(api.post("sales/invoices", json={"order_id": order["id"]}), 201)
    _ok(api.post(f"sales/invoices/{invoice['id']}/payments",
                 json={"amount": "1000", "method": "card", "reference": t["payment"]}), 201)
    return cid


def test_the_trace_strings_are_in_the_database_before_the_erase(api, database_dump):
    """The probe works: before the erase, every trace string is found in the dump."""
    from payvand.sdk.testing import traces_in

    _customer_everywhere(api)
    found = traces_in(database_dump(), list(TRACE.values()) + [NATIONAL_PHONE])
    assert set(found) == set(TRACE.values())  # every entry point stores the phone as +98..., never national


def test_export_includes_payments_and_the_leads_sharing_the_customers_email(api):
    cid = _customer_everywhere(api)
    part = _ok(api.get(f"customers/{cid}/export"))["plugins"]["sales"]
    assert [p["reference"] for p in part["payments"]] == [TRACE["payment"]]
    assert {lead["email"] for lead in part["leads"]} == {TRACE["email"], TRACE["lead_other_email"]}


def test_erase_leaves_none_of_the_customers_strings_in_the_database(api, assert_nowhere_in_database):
    cid = _customer_everywhere(api)
    _ok(api.post(f"customers/{cid}/erase"), 200)
    assert_nowhere_in_database(list(TRACE.values()) + [NATIONAL_PHONE])


def test_erase_keeps_the_audit_entries_and_the_amounts(api, db_session):
    import sqlalchemy as sa

    from payvand.core.models import AuditLog
    from payvand.plugins.sales.models import Deal, Invoice, Payment

    cid = _customer_everywhere(api)
    before = db_session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    _ok(api.post(f"customers/{cid}/erase"), 200)
    db_session.expire_all()
    deal_entries = db_session.execute(sa.select(AuditLog.action, AuditLog.before, AuditLog.after)
                                      .where(AuditLog.object_type == "sales_deal")).all()
    assert {row.action for row in deal_entries} == {"create", "update"}  # the facts stay ...
    assert all(row.before in (None, {"erased": True}) and row.after == {"erased": True} for row in deal_entries)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == before + 1  # ... plus the erase
    assert db_session.scalar(sa.select(Deal.amount).where(Deal.customer_id == cid)) == 1000
    paid = db_session.scalar(sa.select(Payment.amount).join(Invoice).where(Invoice.customer_id == cid))
    assert paid == 1000
