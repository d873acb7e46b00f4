"""The sales record rules (`services/rules.py`) on every door: two reps and a manager.

Rep B owns a customer with a lead, a deal, an activity, a quote, an order, an invoice and a
payment; rep A must neither see nor change any of them, through the API or the pages, and must
learn nothing about which ids exist (a hidden row answers exactly as a missing one). The
manager sees and changes everything. Owners are refused (422), never silently replaced.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from payvand.plugins.sales import permissions as perm

REP = [perm.LEAD_VIEW, perm.LEAD_EDIT, perm.DEAL_VIEW, perm.DEAL_EDIT, perm.DOCUMENT_VIEW, perm.DOCUMENT_EDIT,
       perm.PAYMENT_RECORD, "core.customer.view", "core.customer.export"]
MISSING = 987654


def _made(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def team(api, api_as, make_customer) -> dict[str, Any]:
    """Reps A and B and a manager (API clients); B's rows, one of each kind, on a customer B owns."""
    a, b, manager = api_as(REP), api_as(REP), api_as([*REP, perm.MANAGE])
    customer = make_customer(given_name="Bita", owner_id=b.user_id)
    lead = _made(b.post("sales/leads", json={"given_name": "Lead of B", "email": "b-lead@example.com"}))
    deal = _made(b.post("sales/deals", json={"title": "Deal of B", "customer_id": customer.id}))
    activity = _made(b.post("sales/activities", json={"subject": "Call for B", "notes": "B's private note",
                                                      "deal_id": deal["id"]}))
    line = [{"description": "Consulting", "quantity": "1", "unit_price": "1000"}]
    quote = _made(b.post("sales/quotes", json={"customer_id": customer.id, "deal_id": deal["id"], "lines": line}))
    other_quote = _made(b.post("sales/quotes", json={"customer_id": customer.id, "lines": line}))
    order = _made(b.post(f"sales/quotes/{quote['id']}/accept"))
    invoice = _made(b.post("sales/invoices", json={"order_id": order["id"]}))
    _made(b.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "100", "reference": "B-REF-1"}))
    spare_order = _made(api.post(f"sales/quotes/{other_quote['id']}/accept"))  # B's customer: B's order
    return {"a": a, "b": b, "manager": manager, "customer": customer, "lead": lead, "deal": deal,
            "activity": activity, "quote": quote, "other_quote": other_quote, "order": order, "invoice": invoice,
            "spare_order": spare_order}


def _reads(t: dict[str, Any]) -> list[str]:
    return [f"sales/leads/{t['lead']['id']}", f"sales/deals/{t['deal']['id']}",
            f"sales/activities/{t['activity']['id']}", f"sales/quotes/{t['quote']['id']}",
            f"sales/quotes/{t['quote']['id']}/pdf", f"sales/orders/{t['order']['id']}",
            f"sales/invoices/{t['invoice']['id']}", f"sales/invoices/{t['invoice']['id']}/pdf"]


def test_a_rep_gets_404_for_every_row_of_another_rep_and_the_owner_and_manager_get_200(team):
    for path in _reads(team):
        assert team["a"].get(path).status_code == 404, path
        assert team["b"].get(path).status_code == 200, path
        assert team["manager"].get(path).status_code == 200, path


def test_a_reps_lists_leave_out_another_reps_rows(team):
    for plural in ("leads", "deals", "activities", "quotes", "orders", "invoices"):
        assert team["a"].get(f"sales/{plural}").get_json()["items"] == [], plural
        assert team["b"].get(f"sales/{plural}").get_json()["items"], plural
        assert team["manager"].get(f"sales/{plural}").get_json()["items"], plural


def test_a_rep_cannot_change_another_reps_rows(team):
    a, t = team["a"], team
    changes = [
        ("patch", f"sales/leads/{t['lead']['id']}", {"status": "contacted"}),
        ("patch", f"sales/deals/{t['deal']['id']}", {"title": "Mine now"}),
        ("patch", f"sales/activities/{t['activity']['id']}", {"subject": "Mine now"}),
        ("post", f"sales/quotes/{t['other_quote']['id']}/send", None),
        ("post", f"sales/quotes/{t['other_quote']['id']}/reject", {"reason": "no"}),
        ("post", f"sales/quotes/{t['other_quote']['id']}/accept", None),
        ("post", f"sales/orders/{t['order']['id']}/status", {"status": "shipped"}),
        ("post", f"sales/invoices/{t['invoice']['id']}/void", {"reason": "mine"}),
        ("post", f"sales/invoices/{t['invoice']['id']}/payments", {"amount": "-100"}),
    ]
    for method, path, body in changes:
        response = getattr(a, method)(path, json=body) if body is not None else getattr(a, method)(path)
        assert response.status_code == 404, (path, response.get_json())
    hidden = a.post("sales/invoices", json={"order_id": t["spare_order"]["id"]})
    missing = a.post("sales/invoices", json={"order_id": MISSING})
    assert hidden.status_code == missing.status_code != 201
    invoice = team["b"].get(f"sales/invoices/{t['invoice']['id']}").get_json()
    assert (invoice["status"], invoice["paid_total"]) == ("partially_paid", "100")
    assert team["b"].get(f"sales/deals/{t['deal']['id']}").get_json()["title"] == "Deal of B"


def test_a_hidden_deal_answers_exactly_as_a_missing_one(team, make_customer):
    a = team["a"]
    mine = make_customer(given_name="Arash", owner_id=a.user_id)
    line = [{"description": "X", "quantity": "1", "unit_price": "10"}]

    def quote(deal_id: int) -> Any:
        return a.post("sales/quotes", json={"customer_id": mine.id, "deal_id": deal_id, "lines": line})

    hidden, missing = quote(team["deal"]["id"]), quote(MISSING)
    assert hidden.status_code == missing.status_code == 422
    assert hidden.get_json()["error"]["message"].replace(str(team["deal"]["id"]), "N") == \
        missing.get_json()["error"]["message"].replace(str(MISSING), "N")
    activity = a.post("sales/activities", json={"subject": "Peek", "deal_id": team["deal"]["id"]})
    assert activity.status_code == a.post("sales/activities", json={"subject": "Peek", "deal_id": MISSING}).status_code
    assert activity.status_code == 422


def test_owners_are_refused_not_rewritten_for_leads_deals_and_activities(team):
    a, b, manager = team["a"], team["b"], team["manager"]
    for path, body in (("sales/leads", {"given_name": "Lead", "email": "x@example.com"}),
                       ("sales/deals", {"title": "Deal"}),
                       ("sales/activities", {"subject": "Call", "customer_id": team["customer"].id})):
        refused = a.post(path, json={**body, "owner_id": b.user_id})
        assert refused.status_code == 422 and "owner_id" in refused.get_json()["error"]["fields"], path
        own = _made(a.post(path, json=body))
        assert own["owner_id"] == a.user_id, path
        plural = path.split("/")[1]
        moved = a.patch(f"sales/{plural}/{own['id']}", json={"owner_id": b.user_id})
        assert moved.status_code == 422 and "owner_id" in moved.get_json()["error"]["fields"], path
        assert _made(manager.post(path, json={**body, "owner_id": b.user_id}))["owner_id"] == b.user_id, path
        assert _made(manager.patch(f"sales/{plural}/{own['id']}", json={"owner_id": b.user_id}),
                     200)["owner_id"] == b.user_id, path


def test_the_export_holds_only_what_the_actor_may_see(team, api):
    a, b, manager, customer = team["a"], team["b"], team["manager"], team["customer"]
    a_deal = _made(a.post("sales/deals", json={"title": "Deal of A", "customer_id": customer.id}))
    _made(a.post("sales/activities", json={"subject": "Call for A", "deal_id": a_deal["id"]}))

    def part(client: Any) -> dict[str, Any]:
        return _made(client.get(f"customers/{customer.id}/export"), 200)["plugins"].get("sales", {})

    seen = part(a)
    assert [d["title"] for d in seen["deals"]] == ["Deal of A"]
    assert [x["subject"] for x in seen["activities"]] == ["Call for A"]
    assert (seen["quotes"], seen["orders"], seen["invoices"], seen["payments"]) == ([], [], [], [])
    assert "B's private note" not in str(seen)
    for client in (b, manager):  # B owns the customer: every document of it; the manager sees all
        full = part(client)
        assert [p["reference"] for p in full["payments"]] == ["B-REF-1"]
        assert len(full["quotes"]) == 2 and len(full["orders"]) == 2
    assert {d["title"] for d in part(manager)["deals"]} == {"Deal of A", "Deal of B"}


def test_accounting_with_document_all_sees_every_document_but_not_other_reps_deals(team, api_as):
    clerk = api_as([perm.DOCUMENT_VIEW, perm.PAYMENT_RECORD, perm.DEAL_VIEW, perm.DOCUMENT_ALL])
    assert clerk.get(f"sales/invoices/{team['invoice']['id']}").status_code == 200
    assert clerk.post(f"sales/invoices/{team['invoice']['id']}/payments", json={"amount": "10"}).status_code == 201
    assert clerk.get(f"sales/deals/{team['deal']['id']}").status_code == 404


# --------------------------------------------------------------------------- pages


def test_a_reps_pages_hide_and_refuse_another_reps_rows(team, web_as):
    t, rep = team, web_as(REP)
    for path in (f"/sales/leads/{t['lead']['id']}", f"/sales/deals/{t['deal']['id']}",
                 f"/sales/activities/{t['activity']['id']}/edit", f"/sales/quotes/{t['quote']['id']}",
                 f"/sales/quotes/{t['quote']['id']}.pdf", f"/sales/invoices/{t['invoice']['id']}",
                 f"/sales/invoices/{t['invoice']['id']}.pdf"):
        assert rep.get(path).status_code == 404, path
    for path in (f"/sales/quotes/{t['other_quote']['id']}/send", f"/sales/quotes/{t['other_quote']['id']}/reject",
                 f"/sales/quotes/{t['other_quote']['id']}/accept", f"/sales/invoices/{t['invoice']['id']}/void",
                 f"/sales/orders/{t['order']['id']}/status", f"/sales/orders/{t['spare_order']['id']}/invoice",
                 f"/sales/activities/{t['activity']['id']}/done", f"/sales/deals/{t['deal']['id']}/move"):
        assert rep.post(path, {"status": "shipped", "stage_id": "1"}).status_code == 404, path
    payment = rep.post(f"/sales/invoices/{t['invoice']['id']}/payments", {"amount": "-100", "method": "cash"})
    assert payment.status_code == 404
    for path, number in (("/sales/quotes", t["quote"]["number"]), ("/sales/orders", t["order"]["number"]),
                         ("/sales/invoices", t["invoice"]["number"]), ("/sales/leads", "Lead of B"),
                         ("/sales/deals", "Deal of B"), ("/sales/activities?scope=all", "Call for B")):
        page = rep.get(path)
        assert page.status_code == 200 and number not in page.get_data(as_text=True), path
    panel = rep.get(f"/customers/{t['customer'].id}").get_data(as_text=True)
    assert t["order"]["number"] not in panel and "Deal of B" not in panel


def test_a_reps_lead_and_deal_forms_and_import_refuse_another_owner(team, web_as, make_user):
    other = make_user()
    rep = web_as(REP + [perm.LEAD_EDIT])
    form = rep.post("/sales/leads/new", {"given_name": "Form lead", "email": "f@example.com", "owner_id": str(other.id)})
    assert form.status_code == 422
    deal = rep.post("/sales/deals/new", {"title": "Form deal", "currency": "IRR", "amount": "1",
                                         "owner_id": str(other.id)})
    assert deal.status_code == 422
    assert "Form deal" not in str(team["manager"].get("sales/deals").get_json())
    own = rep.post("/sales/deals/new", {"title": "Own deal", "currency": "IRR", "amount": "1"})
    assert own.status_code == 302
    edit = rep.post(own.headers["Location"].split("?")[0] + "/edit",
                    {"title": "Own deal", "currency": "IRR", "amount": "1", "owner_id": str(other.id)})
    assert edit.status_code == 422
    csv = f"first,email,owner\nImported,imp@example.com,{other.email}\n".encode()
    page = rep.post("/sales/leads/import", {"file": (io.BytesIO(csv), "leads.csv"), "on_duplicate": "update"},
                    content_type="multipart/form-data", follow_redirects=True)
    assert page.status_code in (200, 422)
    assert team["manager"].get("sales/leads?q=imp@example.com").get_json()["items"] == []


def test_a_reps_import_neither_changes_nor_reveals_another_reps_lead(team, web_as, in_app, db_session):
    from payvand.core.db import bind_session
    from payvand.plugins.sales.services.lead_import import import_leads

    rep = team["a"]
    csv = io.BytesIO(b"first,email,notes\nIntruder,b-lead@example.com,overwritten\n")
    with bind_session(db_session):
        result = import_leads(csv, on_duplicate="update", owner_id=rep.user_id, only_owner=rep.user_id)
        db_session.commit()
    assert result.created == 1 and result.updated == 0
    lead = team["b"].get(f"sales/leads/{team['lead']['id']}").get_json()
    assert (lead["given_name"], lead["message"]) == ("Lead of B", None)
