"""The costs, profitability and social pages and their API: access by permission, the cost form's
field errors, the import's per-row report, saving target customers as a tag, the 360 panel, and
a constant number of queries."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from payvand.core.models import CustomerTag
from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import Cost
from payvand.plugins.analytics.services import costs, profit, social
from tests.analytics.orders import add_orders

PAGES = ["/analytics/costs", "/analytics/profit", "/analytics/social"]
GOOD = {"period_start": "2024-01-01", "period_end": "2024-01-31", "purpose": "acquisition", "channel": "search",
        "campaign": "", "amount": "1,200", "currency": "IRR", "note": ""}


@pytest.fixture
def ranked(in_app, db_session, make_customer):
    """Six January buyers (one referred by the first), January costs, a costs run and a social run."""
    ids = [make_customer(given_name=f"P{n}").id for n in range(6)]
    make_customer(given_name="Friend", referred_by_id=ids[0])
    add_orders(db_session, [(cid, "2024-01-1" + str(n), str(1000 * (n + 1))) for n, cid in enumerate(ids)])
    costs.save_cost({"period_start": dt.date(2024, 1, 1), "period_end": dt.date(2024, 1, 31), "purpose": "acquisition",
                     "channel": "", "campaign": "", "amount": Decimal(600), "currency": "IRR", "note": ""})
    profit.run_costs(profit.CostsOptions(dt.date(2024, 1, 1), dt.date(2024, 1, 31)))
    social.run_social(social.SocialOptions(dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
    db_session.commit()
    return ids


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_the_analytics_permission(web_as, client, path):
    assert web_as([perm.VIEW]).get(path).status_code == 200
    assert web_as(["core.customer.view"]).get(path).status_code == 403
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_adding_a_cost_needs_the_costs_permission_and_csrf(web_as, db_session):
    assert web_as([perm.VIEW]).post("/analytics/costs", GOOD).status_code == 403
    assert 'id="cost-form"' not in web_as([perm.VIEW]).get("/analytics/costs").text
    web = web_as([perm.VIEW, perm.COSTS])
    assert web.post("/analytics/costs", GOOD, csrf=False).status_code == 400
    assert web.post("/analytics/costs", GOOD).status_code == 302
    assert db_session.scalars(sa.select(Cost.amount)).all() == [Decimal(1200)]
    assert "search" in web.get("/analytics/costs").text


def test_the_cost_form_shows_field_errors_with_422(web_as):
    web = web_as([perm.VIEW, perm.COSTS])
    response = web.post("/analytics/costs", {**GOOD, "amount": "abc", "currency": "rial"})
    assert response.status_code == 422
    assert 'id="f-amount-error"' in response.text and 'id="f-currency-error"' in response.text
    backwards = web.post("/analytics/costs", {**GOOD, "period_start": "2024-02-10"})
    assert backwards.status_code == 422 and 'id="f-period_end-error"' in backwards.text
    web.post("/analytics/costs", GOOD)
    again = web.post("/analytics/costs", GOOD)
    assert again.status_code == 422 and "exists" in again.text


def test_a_persian_form_reads_jalali_dates_and_persian_digits(web_as, db_session):
    web = web_as([perm.VIEW, perm.COSTS])
    web.post("/account/locale", {"locale": "fa"})
    response = web.post("/analytics/costs", {**GOOD, "period_start": "۱۴۰۲/۱۰/۱۱", "period_end": "۱۴۰۲/۱۱/۱۱",
                                             "amount": "۱٬۲۰۰"})
    assert response.status_code == 302
    assert db_session.execute(sa.select(Cost.period_start, Cost.period_end, Cost.amount)).one() == (
        dt.date(2024, 1, 1), dt.date(2024, 1, 31), Decimal(1200))


def test_a_cost_is_changed_and_deleted(web_as, db_session):
    web = web_as([perm.VIEW, perm.COSTS])
    web.post("/analytics/costs", GOOD)
    cost_id = db_session.scalar(sa.select(Cost.id))
    assert 'id="cost-edit-form"' in web.get(f"/analytics/costs/{cost_id}").text
    assert web.post(f"/analytics/costs/{cost_id}", {**GOOD, "amount": "900"}).status_code == 302
    db_session.expire_all()
    assert db_session.scalar(sa.select(Cost.amount)) == Decimal(900)
    assert web.post(f"/analytics/costs/{cost_id}", {**GOOD, "purpose": "nothing"}).status_code == 422
    assert web.post(f"/analytics/costs/{cost_id}/delete").status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Cost)) == 0
    assert web.get("/analytics/costs/999999").status_code == 404


def test_the_import_keeps_good_rows_and_lists_the_refused_ones(web_as, db_session):
    web = web_as([perm.VIEW, perm.COSTS])
    text = ("period_start,period_end,purpose,channel,amount,currency\n"
            "2024-01-01,2024-01-31,acquisition,search,100,IRR\n"
            "2024-01-01,2024-01-31,someday,search,100,IRR\n")
    response = web.post("/analytics/costs/import", {"file": (io.BytesIO(text.encode()), "costs.csv")},
                        content_type="multipart/form-data")
    assert response.status_code == 302
    page = web.get("/analytics/costs").text
    assert 'id="cost-import-report"' in page and "purpose" in page.split('id="cost-import-report"')[1]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Cost)) == 1
    empty = web.post("/analytics/costs/import", {"file": (io.BytesIO(b""), "costs.csv")},
                     content_type="multipart/form-data")
    assert empty.status_code == 422 and 'id="f-file-error"' in empty.text


def test_the_profit_page_shows_months_chart_table_and_the_ranking(web_as, ranked):
    text = web_as([perm.VIEW]).get("/analytics/profit").text
    for element in ('id="profit-summary"', 'id="costs-per-customer"', 'id="costs-per-customer-table"',
                    'id="profit-periods"', 'id="profit-table"', "vendor/chart.js/chart.umd.min.js"):
        assert element in text, element
    table = text.split('id="profit-table"')[1]
    assert table.index("P5") < table.index("P0")  # the biggest spender is the most profitable
    assert 'id="profit-target"' not in text and 'id="profit-run-form"' not in text
    csv = web_as([perm.VIEW]).get("/analytics/profit.csv")
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("rank,display_name")
    assert len(csv.text.splitlines()) == 7


def test_saving_a_tag_or_running_needs_its_permission(web_as):
    web = web_as([perm.VIEW])
    assert web.post("/analytics/profit/tag", {"tag": "best"}).status_code == 403
    assert web.post("/analytics/social/tag", {"tag": "best"}).status_code == 403
    assert web.post("/analytics/social").status_code == 403
    assert web.post("/analytics/profit").status_code == 403


def test_target_customers_are_saved_as_a_tag(web_as, ranked, db_session):
    web = web_as([perm.VIEW, perm.TARGET])
    response = web.post("/analytics/profit/tag", {"tag": "best", "min_profit": "1000"})
    assert response.status_code == 302
    tagged = set(db_session.scalars(sa.select(CustomerTag.customer_id).where(CustomerTag.tag == "best")))
    assert tagged == set(ranked[-3:])  # margin 30% of 4,000+ less a 100 share of the costs: 1,100 and more
    assert web.post("/analytics/social/tag", {"tag": "connectors"}).status_code == 302
    assert set(db_session.scalars(sa.select(CustomerTag.customer_id).where(CustomerTag.tag == "connectors"))) == {ranked[0]}


def test_running_the_costs_and_social_scores_from_the_pages(web_as, ranked):
    web = web_as([perm.VIEW, perm.RUN])
    assert web.post("/analytics/profit", {"start": "2024-01-01", "end": "2024-03-31"}).status_code == 302
    assert "2024/03" in web.get("/analytics/profit").text
    assert web.post("/analytics/social").status_code == 302


def test_the_360_panel_shows_profit_and_the_explained_social_score(web_as, ranked):
    text = web_as(["core.customer.view", perm.VIEW]).get(f"/customers/{ranked[0]}").text
    assert 'id="analytics-profit"' in text and 'id="analytics-social"' in text and 'id="analytics-social-parts"' in text


def test_pages_run_a_constant_number_of_queries(web_as, count_queries, ranked, db_session, make_customer):
    web = web_as([perm.VIEW, perm.COSTS, perm.TARGET])
    for path in PAGES:
        web.get(path)
    counts = []
    for round_ in range(2):
        with count_queries() as queries:
            for path in PAGES:
                web.get(path)
        counts.append(len(queries))
        ids = [make_customer(given_name=f"M{round_}{n}").id for n in range(8)]
        add_orders(db_session, [(cid, "2024-01-20", "500") for cid in ids])
        for n in range(5):
            costs.save_cost({"period_start": dt.date(2024, 1, 1), "period_end": dt.date(2024, 1, 31),
                             "purpose": "retention", "channel": f"c{round_}{n}", "campaign": "", "amount": Decimal(5),
                             "currency": "IRR", "note": ""})
        profit.run_costs(profit.CostsOptions(dt.date(2024, 1, 1), dt.date(2024, 1, 31)))
        social.run_social(social.SocialOptions(dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
        db_session.commit()
    assert counts[0] == counts[1]


def test_menu_lists_the_new_pages(web_as):
    text = web_as([perm.VIEW]).get("/").text
    assert all(path in text for path in PAGES)


# --------------------------------------------------------------------------- API


def test_costs_api_creates_lists_changes_and_deletes(api_as):
    api = api_as(permissions=[perm.VIEW, perm.COSTS])
    body = {**GOOD, "amount": "1200"}
    created = api.post("analytics/costs", json=body)
    assert created.status_code == 201, created.json
    assert created.json["amount"] == "1200"
    assert api.post("analytics/costs", json=body).status_code == 409
    bad = api.post("analytics/costs", json={**body, "period_end": "2023-01-01", "purpose": "x"})
    assert bad.status_code == 422 and {"purpose", "period_end"} <= set(bad.json["error"]["fields"]) | {"period_end"}
    listed = api.get("analytics/costs", query_string={"purpose": "acquisition"})
    assert [item["id"] for item in listed.json["items"]] == [created.json["id"]]
    changed = api.put(f"analytics/costs/{created.json['id']}", json={**body, "amount": "5"})
    assert changed.status_code == 200 and changed.json["amount"] == "5"
    assert api.delete(f"analytics/costs/{created.json['id']}").status_code == 204
    assert api.get(f"analytics/costs/{created.json['id']}").status_code == 404


def test_costs_api_needs_the_costs_permission_to_write(api_as):
    reader = api_as(permissions=[perm.VIEW])
    assert reader.get("analytics/costs").status_code == 200
    assert reader.post("analytics/costs", json={**GOOD, "amount": "1"}).status_code == 403
    assert api_as(permissions=[]).get("analytics/costs").status_code == 403


def test_costs_api_imports_a_csv_body_and_reports_refused_rows(api_as):
    api = api_as(permissions=[perm.VIEW, perm.COSTS])
    text = ("period_start,period_end,purpose,amount,currency\n2024-01-01,2024-01-31,retention,10,IRR\n"
            "2024-01-01,2024-01-31,retention,ten,IRR\n")
    response = api.post("analytics/costs/import", data=text.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    assert (response.json["created"], response.json["refused"]) == (1, 1)
    assert response.json["errors"][0]["line"] == 3 and "amount" in response.json["errors"][0]["reason"]


def test_cac_costs_run_profitability_and_social_api(api_as, ranked):
    api = api_as(permissions=[perm.VIEW])
    figures = api.get("analytics/cac", query_string={"start": "2024-01-01", "end": "2024-01-31"})
    assert figures.status_code == 200, figures.json
    assert figures.json["cac"]["customers"] == 6 and figures.json["cac"]["per_customer"] == pytest.approx(100)
    assert api.get("analytics/cac", query_string={"start": "2024-02-01", "end": "2024-01-01"}).status_code == 422
    run = api.get("analytics/costs-run").json
    assert run["months"][0]["month"] == "2024-01" and run["months"][0]["cac"] == pytest.approx(100)
    page = api.get("analytics/profitability", query_string={"limit": 2})
    assert [item["rank"] for item in page.json["items"]] == [1, 2] and page.json["next_cursor"]
    following = api.get("analytics/profitability", query_string={"limit": 2, "cursor": page.json["next_cursor"]})
    assert [item["rank"] for item in following.json["items"]] == [3, 4]
    ranking = api.get("analytics/social").json["items"]
    assert ranking[0]["customer_id"] == ranked[0]
    explained = api.get(f"analytics/customers/{ranked[0]}/social")
    assert explained.status_code == 200 and [p["part"] for p in explained.json["parts"]] == list(social.PARTS)
    assert api.get(f"analytics/customers/{ranked[1]}/social").status_code == 404


def test_persian_pages_have_no_english_words(web_as, ranked):
    from payvand.sdk.page_checks import english_words

    web = web_as([perm.VIEW, perm.COSTS, perm.RUN, perm.TARGET, "core.customer.view"])
    web.post("/account/locale", {"locale": "fa"})
    names = [f"P{n}" for n in range(6)] + ["Friend", "RFM", "Test User", "user@example.com", web.user.email]
    for path in [*PAGES, f"/customers/{ranked[0]}"]:
        response = web.get(path)
        assert response.status_code == 200, path
        found = english_words(response.text, allow=names)
        assert found == [], (path, found)


def test_every_analytics_page_and_api_route_carries_the_security_headers(walk_pages, ranked, db_session):
    cost_id = db_session.scalar(sa.select(Cost.id))
    walked = walk_pages(values={"cost_id": cost_id, "customer_id": ranked[0], "product_id": 1},
                        prefix="/analytics")
    walked += walk_pages(values={"cost_id": cost_id, "customer_id": ranked[0], "product_id": 1},
                         prefix="/api/v1/analytics")
    paths = {path for path, _ in walked}
    assert {"/analytics/costs", f"/analytics/costs/{cost_id}", "/analytics/profit", "/analytics/social",
            "/api/v1/analytics/costs", "/api/v1/analytics/profitability"} <= paths
