# ruff: noqa: F811 - the browser fixtures are imported from tests/browser/conftest.py by name
"""Browser test of the kanban board: drag a deal card to another column (Playwright `drag_to`).

Uses the browser fixtures of `tests/browser` (system Chromium, live server, `page`); SQLite only.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from payvand.plugins.sales.models import Deal
from payvand.plugins.sales.services import pipeline as svc
from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.helpers import staff_login

pytestmark = pytest.mark.sqlite_only
PASSWORD = "correct horse battery staple"


def test_dragging_a_card_to_another_column_moves_the_deal(page, live_server, make_user, make_customer, db_session):
    user = make_user(email="rep@example.com", password=PASSWORD, superuser=True, name="Rep Karimi")
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    pipeline = svc.ensure_default_pipeline(db_session)
    stages = {s.name: s.id for s in pipeline.stages}
    first = svc.create_deal(db_session, {"title": "Routers for Pars", "amount": Decimal(1250000),
                                         "customer_id": customer.id, "owner_id": user.id})
    svc.create_deal(db_session, {"title": "Already qualified", "stage_id": stages["Qualified"]})
    db_session.commit()
    deal_id = first.id

    staff_login(page, live_server, "rep@example.com", PASSWORD)
    page.goto(live_server.at("/sales/board"))
    card = page.locator(f"#deal-card-{deal_id}")
    target = page.locator(f"#stage-{stages['Qualified']} .sales-cards")
    with page.expect_response(lambda r: r.url.endswith(f"/sales/deals/{deal_id}/move")) as answer:
        card.drag_to(target.locator(".sales-card").first, target_position={"x": 20, "y": 5})  # above the first card
    assert answer.value.status == 200
    # the board updates after the server answers: wait for it (expect retries) rather than read at once
    expect(page.locator(f"#stage-{stages['Qualified']} #deal-card-{deal_id}")).to_have_count(1)
    expect(page.locator(f"#stage-{stages['New']} .sales-count")).to_have_text("0")
    expect(page.locator("#board-message")).to_be_hidden()

    db_session.expire_all()
    moved = db_session.get(Deal, deal_id)
    other = db_session.scalars(sa.select(Deal).where(Deal.title == "Already qualified")).one()
    assert moved.stage_id == stages["Qualified"] and moved.position < other.position  # above it

    page.reload()  # the server's order is the board's order
    titles = page.locator(f"#stage-{stages['Qualified']} .sales-card a.fw-semibold").all_inner_texts()
    assert titles == ["Routers for Pars", "Already qualified"]


def test_the_move_to_select_moves_a_card_without_dragging(page, live_server, make_user, db_session):
    make_user(email="kb@example.com", password=PASSWORD, superuser=True, name="Keyboard User")
    pipeline = svc.ensure_default_pipeline(db_session)
    stages = {s.name: s.id for s in pipeline.stages}
    made = svc.create_deal(db_session, {"title": "By keyboard"})
    db_session.commit()

    staff_login(page, live_server, "kb@example.com", PASSWORD)
    page.goto(live_server.at("/sales/board"))
    page.select_option(f"#move-stage-{made.id}", str(stages["Won"]))
    with page.expect_navigation():
        page.locator(f"#deal-move-{made.id} button[type=submit]").click()
    expect(page.locator(f"#stage-{stages['Won']} #deal-card-{made.id}")).to_have_count(1)
    db_session.expire_all()
    assert db_session.get(Deal, made.id).status == "won"
