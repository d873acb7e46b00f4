# ruff: noqa: F811 - the browser fixtures are imported from tests/browser by name
"""Assignment rules reordered to a place: the rules page's drag and drop (`rules_reorder.js`,
proved in Chromium), the form field `to` behind it and the API's `to`; bad places refused with
400 / 422."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from payvand.plugins.service.models import AssignmentRule, Team
from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.data import Account, admin  # noqa: F401 (fixture)
from tests.browser.helpers import LiveServer, staff_login

MANAGE = ["service.manage", "service.ticket.view", "core.customer.view"]


def _rules(api, in_app, runtime, names: str = "abcd") -> list[int]:
    with in_app() as session:
        session.add(Team(name="Desk"))
    with runtime.sessionmaker() as session:
        team_id = session.scalar(sa.select(Team.id))
    return [api.post("/api/v1/service/assignment-rules", json={"team_id": team_id, "position": 5, "category": name})
            .get_json()["id"] for name in names]


def _order(runtime: Any) -> list[int]:
    with runtime.sessionmaker() as session:
        return list(session.scalars(sa.select(AssignmentRule.id).order_by(AssignmentRule.position, AssignmentRule.id)))


def test_a_rule_moves_to_a_place_by_the_form_and_the_api(web_as, api, in_app, runtime):
    a, b, c, d = _rules(api, in_app, runtime)
    web = web_as(MANAGE)
    page = web.get("/service/settings/rules").get_data(as_text=True)
    assert "rules_reorder.js" in page and f'data-move-form="rule-{a}-move-form"' in page
    assert web.post(f"/service/settings/rules/{d}/move", {"to": "۱"}).status_code == 302
    assert _order(runtime) == [d, a, b, c]
    assert web.post(f"/service/settings/rules/{d}/move", {"to": "3"}).status_code == 302
    assert _order(runtime) == [a, b, d, c]
    for bad in ("0", "5", "x", "²"):
        assert web.post(f"/service/settings/rules/{a}/move", {"to": bad}).status_code == 400
    moved = api.post(f"/api/v1/service/assignment-rules/{c}/move", json={"to": 1})
    assert moved.status_code == 200 and [r["id"] for r in moved.get_json()] == [c, a, b, d]
    assert [r["position"] for r in moved.get_json()] == [10, 20, 30, 40]
    refused = api.post(f"/api/v1/service/assignment-rules/{c}/move", json={"to": 9})
    assert refused.status_code == 422 and "to" in refused.get_json()["error"]["fields"]
    assert api.post(f"/api/v1/service/assignment-rules/{c}/move", json={"to": 2, "direction": "up"}).status_code == 422
    assert api.post(f"/api/v1/service/assignment-rules/{c}/move", json={}).status_code == 422
    assert _order(runtime) == [c, a, b, d]



@pytest.mark.sqlite_only
def test_dragging_a_rule_row_in_the_browser_moves_it_there(api, in_app, runtime, page: Page,
                                                          live_server: LiveServer, admin: Account):
    """Chromium drags the last rule onto the first row: the page sends `to` = 1 and shows the new order."""
    a, b, c = _rules(api, in_app, runtime, "abc")
    staff_login(page, live_server, admin.email, admin.password)
    page.goto(live_server.at("/service/settings/rules"))
    page.locator(f"#rule-row-{c}").drag_to(page.locator(f"#rule-row-{a}"))
    expect(page.locator("#rules-table tbody tr").first).to_have_id(f"rule-row-{c}")
    assert _order(runtime) == [c, a, b]
