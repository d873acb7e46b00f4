"""The visibility walk: two reps whose rows differ, every route of every plugin and the core.

Each rep (no `sales.manage`, no `sales.document.all`) owns a customer and, with distinctive
markers, a lead, a deal, an activity, a quote, an order, an invoice and a payment. The walk
(`payvand.sdk.testing.assert_rows_isolated`) finds the routes itself — every GET route of the URL
map (staff pages) and every GET operation of the OpenAPI document (API) — and requests each as
each rep, with the other rep's ids in its path, through the staff session and an API token:
no marker or link of the other rep's rows may show, and a get of one of their rows answers 404.
"""

from __future__ import annotations

from typing import Any

import pytest

from payvand.plugins.sales import permissions as perm
from payvand.sdk.testing import ActorRows, WebClient, assert_rows_isolated

#: Everything a rep may do in the app, short of the bypasses (`sales.manage`, `sales.document.all`)
#: and the administration (users, plugins, settings, the audit log: not record data).
REP = [perm.LEAD_VIEW, perm.LEAD_EDIT, perm.DEAL_VIEW, perm.DEAL_EDIT, perm.DOCUMENT_VIEW, perm.DOCUMENT_EDIT,
       perm.PAYMENT_RECORD, perm.CATALOG_VIEW, perm.REPORTS_VIEW, "core.customer.view", "core.customer.edit",
       "core.customer.export", "core.customer.import", "core.interaction.view",
       "service.ticket.view", "service.ticket.edit", "service.kb.write"]
LINE = [{"description": "Consulting", "quantity": "1", "unit_price": "1000"}]

#: Routes the walk cannot fill, and why (a new route with an unknown argument fails the walk).
UNWALKABLE = {
    "/import/<int:job_id>": "an import job belongs to its uploader (checked by tests/web/test_imports.py)",
    "/import/<int:job_id>/mapping": "an import job belongs to its uploader (tests/web/test_imports.py)",
    "/import/<int:job_id>/progress": "an import job belongs to its uploader (tests/web/test_imports.py)",
    "/import/<int:job_id>/rejects": "an import job belongs to its uploader (tests/web/test_imports.py)",
    "/admin/users/<int:user_id>": "administration (core.users.manage), not record data",
    "/admin/roles/<int:role_id>": "administration (core.users.manage), not record data",
    "/sales/attachments/<int:attachment_id>": "product brochures: the catalog is shared, not ruled",
    "/customers/<int:customer_id>/messages/<int:message_id>":
        "needs core.messages.read, which reps lack; the customer's record rules (tests/messaging/test_staff_and_api.py)",
    "/customers/<int:customer_id>/messages/<int:message_id>/attachments/<int:attachment_id>":
        "needs core.messages.read, which reps lack (tests/messaging/test_staff_and_api.py)",
    "/chat/<int:conversation_id>":
        "needs core.messages.read, which reps lack; the customer's record rules (tests/messaging/test_chat.py)",
    "/chat/<int:conversation_id>/messages":
        "needs core.messages.read, which reps lack; the customer's record rules (tests/messaging/test_chat.py)",
    "/chat/widget/<version>/chat.js": "public: the chat widget's script, no record data",
    "/chat/widget/<version>/chat.css": "public: the chat widget's style sheet, no record data",
    "/unsubscribe/<token>": "public: the signed token names the customer (tests/messaging/test_unsubscribe.py)",
    "/mail/open/<token>": "public: the signed token names one message; a pixel, no data (tests/messaging/test_tracking.py)",
    "/mail/click/<token>": "public: the signed token names one message and its link (tests/messaging/test_tracking.py)",
    "/service/csat/<token_text>": "public: the signed token names the ticket (tests/service/test_csat.py)",
    "/service/live/<int:conversation_id>":
        "needs service.live_chat, which reps lack; the customer's record rules (tests/service/test_live_console.py)",
    "/service/nps/<token_text>": "public: the signed token names the campaign and customer (tests/service/test_nps.py)",
}


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Every plugin of the tree (the example plugin has no ruled rows of its own to give)."""
    import payvand.plugins.sales as sales
    import payvand.plugins.service as service

    return [sales, service]


#: Routes that show a customer's timeline: a shared record (docs/decisions.md, "The customer timeline
#: and record rules"), where "order O-1 placed" and "invoice INV-1 issued" summaries show to every
#: staff member who sees the customer.
TIMELINE = {
    "/": "the start page lists the interactions recorded last",
    "/api/v1/customers/{customer_id}/export": "the data-portability export holds the whole timeline",
    "/api/v1/customers/{customer_id}/interactions": "the customer's timeline",
    "/customers/<int:customer_id>": "the customer 360 page shows the timeline",
    "/customers/<int:customer_id>/timeline": "the timeline's next page",
}


def _made(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def rep(app: Any, runtime: Any, make_user: Any, make_customer: Any) -> Any:
    """`rep(tag)`: a rep (staff session and API token of one user) with one row of every ruled model."""
    from payvand.core.auth import create_token
    from payvand.core.models import User
    from payvand.sdk.testing import ApiClient

    def factory(tag: str) -> ActorRows:
        password = "correct horse battery staple"
        user = make_user(permissions=REP, password=password, name=f"Rep {tag}")
        with runtime.sessionmaker.begin() as session:
            _, secret = create_token(session, session.get(User, user.id), "walk", ["*"])
        api = ApiClient(app.test_client(), secret, user.id)
        web = WebClient(app.test_client(), user)
        assert web.login(user.email, password).status_code == 302
        customer = make_customer(given_name=f"Customer{tag}", owner_id=user.id)
        lead = _made(api.post("sales/leads", json={"organization_name": f"LeadOrg{tag}", "email": f"lead{tag}@example.com"}))
        deal = _made(api.post("sales/deals", json={"title": f"DealTitle{tag}", "customer_id": customer.id}))
        activity = _made(api.post("sales/activities", json={"subject": f"CallSubject{tag}", "deal_id": deal["id"]}))
        quote = _made(api.post("sales/quotes", json={"customer_id": customer.id, "deal_id": deal["id"], "lines": LINE}))
        order = _made(api.post(f"sales/quotes/{quote['id']}/accept"))
        invoice = _made(api.post("sales/invoices", json={"order_id": order["id"]}))
        _made(api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "100", "reference": f"PayRef{tag}"}))
        import datetime as dt

        from payvand.plugins.service.models import Contract, Team, TeamMember

        with runtime.sessionmaker.begin() as session:  # the service rule: a rep sees their team's tickets
            team = Team(name=f"Team{tag}")
            session.add(team)
            session.flush()
            session.add(TeamMember(team_id=team.id, user_id=user.id))
            team_id = team.id
            contract = Contract(customer_id=customer.id, name=f"Care {tag}", starts_on=dt.date(2020, 1, 1),
                                ends_on=dt.date(2099, 1, 1))  # open: whoever sees the customer sees its contract
            session.add(contract)
            session.flush()
            contract_id = contract.id
        ticket = _made(api.post("service/tickets", json={"customer_id": customer.id, "subject": f"TicketSubject{tag}",
                                                         "body": f"TicketBody{tag}", "team_id": team_id}))
        article = _made(api.post("service/articles", json={"title": f"Shared article {tag}"}))  # the KB is shared
        markers = [f"LeadOrg{tag}", f"lead{tag}@example.com", f"DealTitle{tag}", f"CallSubject{tag}",
                   quote["number"], order["number"], invoice["number"], f"PayRef{tag}", f"TicketSubject{tag}",
                   f"TicketBody{tag}"]
        return ActorRows(web=web, api=api, markers=markers, open={"customer_id": customer.id, "contract_id": contract_id,
                                                                "article_id": article["id"]},
                         summaries=[order["number"], invoice["number"], f"TicketSubject{tag}"],
                         ruled={"lead_id": lead["id"], "deal_id": deal["id"], "activity_id": activity["id"],
                                "quote_id": quote["id"], "order_id": order["id"], "invoice_id": invoice["id"],
                                "ticket_id": ticket["id"], "reference": f"service.ticket:{ticket['id']}"})

    return factory


def test_no_row_of_one_rep_shows_to_the_other_on_any_route(app: Any, api: Any, rep: Any) -> None:
    product = _made(api.post("sales/products", json={"sku": "WALK-1", "name": "Walk product"}))
    price_list = _made(api.post("sales/price-lists", json={"name": "Walk prices", "currency": "IRR"}))
    setup = {"team_id": _made(api.post("service/teams", json={"name": "Walk desk"}))["id"],  # the help desk's setup
             "calendar_id": _made(api.post("service/calendars", json={"name": "Walk hours"}))["id"],
             "policy_id": _made(api.post("service/sla-policies", json={"name": "Walk SLA"}))["id"],
             "macro_id": _made(api.post("service/macros", json={"name": "Walk macro", "body": "Hi"}))["id"],
             "number": 1}  # an article's first version (the KB is shared)
    shared = {"product_id": product["id"], "price_list_id": price_list["id"], "name": "revenue_by_owner", **setup}
    counts = assert_rows_isolated(app, {"a": rep("Aaa"), "b": rep("Bbb")}, unwalkable=UNWALKABLE, shared=shared,
                                  summaries_allowed=TIMELINE)
    assert counts["page"] > 40 and counts["api"] > 20, counts
