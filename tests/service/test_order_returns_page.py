# ruff: noqa: F811 - the browser fixtures are imported from tests/browser by name
"""The sales order page and the order API show what returns took back of each line: "returned N"
from `sales_order_line_return`, each return linked through its opaque reference
(`service.reference`) to the return's ticket, and the replacement order; in English and Persian."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

import payvand.plugins.sales as sales
import payvand.plugins.service as service
from payvand.plugins.sales.models import OrderLine, OrderLineReturn
from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.data import admin  # noqa: F401 (fixture)
from tests.service.lamps import deliver_paid_lamps

STAFF = ["sales.document.view", "sales.document.all", "service.ticket.view", "core.customer.view"]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The service plugin with the sales plugin."""
    return [service, sales]


@pytest.fixture
def returned(api, make_customer, run_jobs, db_session) -> dict[str, Any]:
    """A delivered order of three lamps: one refunded by one return, one replaced by another."""
    order, invoice, customer = deliver_paid_lamps(api, make_customer, quantity="3")
    line_id = db_session.scalar(sa.select(OrderLine.id).where(OrderLine.order_id == order["id"]))
    made = {}
    for last in ("refund", "replace"):
        ticket = api.post("service/tickets", json={"customer_id": customer.id, "subject": last}).get_json()
        opened = api.post(f"service/tickets/{ticket['id']}/return",
                          json={"items": [{"source": f"sales.order_line:{line_id}", "quantity": "1"}]}).get_json()
        for action in ("approve", "receive", last):
            assert api.post(f"service/returns/{opened['id']}/actions", json={"action": action}).status_code == 200
        made[last] = {"ticket": ticket["id"], "return": opened["id"]}
    run_jobs()
    db_session.expire_all()
    replacement = db_session.scalar(sa.select(OrderLineReturn.replacement_order_id)
                                    .where(OrderLineReturn.kind == "replaced"))
    assert replacement is not None
    return {"order": order, "line_id": line_id, "replacement": replacement, **made}


def test_the_order_api_gives_each_line_its_returned_units(api, returned):
    shown = api.get(f"sales/orders/{returned['order']['id']}").get_json()
    [line] = shown["lines"]
    assert (line["id"], Decimal(line["returned"]), Decimal(line["quantity"])) == (returned["line_id"], 2, 3)
    assert sorted(r["kind"] for r in shown["returns"]) == ["refunded", "replaced"]
    other = api.get(f"sales/orders/{returned['replacement']}").get_json()
    assert [Decimal(line["returned"]) for line in other["lines"]] == [0]


def test_the_order_page_shows_returned_units_linked_to_the_return_tickets(web_as, returned):
    web = web_as(STAFF)
    web.post("/account/locale", {"locale": "en"})
    page = web.get(f"/sales/orders/{returned['order']['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    block = html.split(f'id="line-returned-{returned["line_id"]}"')[1].split("</div>")[0]
    assert "Returned 2" in block and "refunded 1" in block and "replaced 1" in block
    for kind in ("refund", "replace"):
        link = f'/service/ref/service.return:{returned[kind]["return"]}'
        assert f'href="{link}"' in block
        opened = web.get(link)
        assert opened.status_code == 302
        assert opened.headers["Location"].endswith(f"/service/tickets/{returned[kind]['ticket']}#ticket-return")
    assert f'href="/sales/orders/{returned["replacement"]}"' in block
    assert web.get(f"/sales/orders/{returned['replacement']}").status_code == 200
    listing = web.get("/sales/orders").get_data(as_text=True)
    assert f'href="/sales/orders/{returned["order"]["id"]}"' in listing


def test_the_order_page_in_persian_has_no_english_for_the_returns(web_as, returned):
    web = web_as(STAFF)
    web.post("/account/locale", {"locale": "fa"})
    html = web.get(f"/sales/orders/{returned['order']['id']}").get_data(as_text=True)
    block = html.split(f'id="line-returned-{returned["line_id"]}"')[1].split("</div>")[0]
    text = "".join(part.split(">", 1)[-1] for part in block.split("<"))
    assert "۲" in text and "۱" in text
    assert not any(word in text for word in ("Returned", "refunded", "replaced", "return ticket", "replacement"))


def test_a_reference_that_is_unknown_or_hidden_answers_404(web_as, returned, make_user):
    web = web_as(STAFF)
    assert web.get("/service/ref/service.return:999999").status_code == 404
    assert web.get("/service/ref/sales.order:1").status_code == 404
    assert web.get("/service/ref/service.return:x").status_code == 404
    outsider = web_as(["sales.document.view", "sales.document.all"])
    assert outsider.get(f"/service/ref/service.return:{returned['refund']['return']}").status_code == 403
    assert web_as(STAFF).get("/sales/orders/999999").status_code == 404


@pytest.mark.sqlite_only
@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_order_page_with_returns_passes_the_accessibility_sweep(returned, page, live_server, admin, locale):
    """The order page with its returns in Chromium: the sweep of the service pages (roles, names,
    landmarks, contrast, direction) finds nothing and the page is no wider than the window."""
    from tests.browser.helpers import horizontal_overflow, staff_login
    from tests.browser.test_accessibility import switch_language
    from tests.browser.test_service_accessibility import check

    staff_login(page, live_server, admin.email, admin.password)
    switch_language(page, locale)
    response = page.goto(live_server.at(f"/sales/orders/{returned['order']['id']}"))
    assert response is not None and response.status == 200
    assert page.locator(f"#line-returned-{returned['line_id']} a").count() == 3
    assert check(page, locale) == [] and horizontal_overflow(page) == 0
