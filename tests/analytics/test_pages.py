"""The lifetime-value and RFM pages: access, charts with table views, constant query counts, both languages,
the customer 360 panel."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import Run
from payvand.plugins.analytics.services import lifetime, rfm
from tests.analytics.orders import add_orders
from tests.analytics.test_clv_cli import simulated_purchases


@pytest.fixture
def fitted(in_app, db_session, make_customer):
    """60 simulated customers with a stored CLV run (holdout up to 2024-12-31) and two RFM runs."""
    ids = [make_customer(given_name=f"C{n}").id for n in range(60)]
    add_orders(db_session, simulated_purchases(ids))
    lifetime.run_instance(lifetime.ClvOptions(dt.date(2024, 7, 31), holdout_end=dt.date(2024, 12, 31)))
    rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 6, 30)))
    rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
    db_session.commit()
    return ids


@pytest.mark.parametrize("path", ["/analytics/clv", "/analytics/rfm"])
def test_pages_need_the_analytics_permission(web_as, client, path):
    assert web_as([perm.VIEW]).get(path).status_code == 200
    assert web_as(["core.customer.view"]).get(path).status_code == 403
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_empty_pages_say_how_to_run(web_as):
    web = web_as([perm.VIEW])
    assert 'id="clv-empty"' in web.get("/analytics/clv").text
    assert 'id="rfm-empty"' in web.get("/analytics/rfm").text


def test_clv_page_shows_the_fit_charts_with_tables_and_the_customers(web_as, fitted):
    text = web_as([perm.VIEW]).get("/analytics/clv").text
    for element in ('id="clv-parameters"', 'id="clv-histogram"', 'id="clv-histogram-table"', 'id="clv-conditional"',
                    'id="clv-tracking"', 'id="clv-customers"', 'id="clv-churn-risk"', "vendor/chart.js/chart.umd.min.js"):
        assert element in text, element
    customers = text.split('id="clv-customers"', 1)[1].split("</table>", 1)[0]
    assert 0 < customers.count("</bdi></a>") == customers.count("</a>")  # every name isolated from the page's direction
    assert 'id="clv-run-form"' not in text  # running needs analytics.run
    assert 'id="clv-run-form"' in web_as([perm.VIEW, perm.RUN]).get("/analytics/clv").text


def test_clv_page_shows_the_parameters_to_four_significant_digits(web_as, fitted):
    import re

    from payvand.plugins.analytics.views.clv import shown_fit

    text = web_as([perm.VIEW]).get("/analytics/clv").text
    cells = re.findall(r'<td dir="ltr">(.*?)</td>', text.split('id="clv-parameters"', 1)[1].split("</table>", 1)[0])
    values = [value for cell in cells for value in re.findall(r"= ([-0-9.,e]+)", cell)]
    assert len(values) == 7
    assert all(len(re.sub(r"[^0-9]", "", value).strip("0")) <= 4 for value in values), values
    assert shown_fit({"bgnbd": {"r": 0.24259395, "alpha": 4.41359091}, "bgnbd_log_likelihood": -9582.42915}) == {
        "bgnbd": {"r": 0.2426, "alpha": 4.414}, "gamma_gamma": {}, "bgnbd_log_likelihood": -9582.43,
        "gamma_gamma_log_likelihood": None}


def test_rfm_page_shows_segment_sizes_and_transitions(web_as, fitted):
    text = web_as([perm.VIEW]).get("/analytics/rfm").text
    for element in ('id="rfm-segments"', 'id="rfm-segments-table"', 'id="rfm-transitions"', "Champions", "Can&#39;t lose"):
        assert element in text, element


def test_rfm_page_compares_with_a_chosen_earlier_scoring(web_as, fitted):
    june, december = (run.id for run in rfm.session().scalars(sa.select(Run).where(Run.kind == "rfm").order_by(Run.id)))
    rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 3, 31)))  # the newest scoring
    rfm.session().commit()
    web = web_as([perm.VIEW])

    def heading(text: str) -> str:
        return text.split('id="rfm-transitions"')[0].split("</form>")[-1]

    default = web.get("/analytics/rfm").text
    assert 'id="rfm-compare-form"' in default
    assert "Dec 31, 2024" in heading(default)  # the scoring before the newest
    chosen = web.get(f"/analytics/rfm?compare={june}").text
    assert "Jun 30, 2024" in heading(chosen) and "Dec 31, 2024" not in heading(chosen)
    assert f'value="{june}" selected' in chosen and f'value="{december}" selected' not in chosen
    assert web.get("/analytics/rfm?compare=abc").status_code == 200  # ignored: the default comparison


def test_pages_run_a_constant_number_of_queries(web_as, count_queries, fitted, db_session, make_customer):
    web = web_as([perm.VIEW])
    web.get("/analytics/clv")  # warm-up: first-request loads (session, settings) are not the page's
    counts = []
    for _ in range(2):
        with count_queries() as queries:
            web.get("/analytics/clv")
            web.get("/analytics/rfm")
        counts.append(len(queries))
        ids = [make_customer(given_name=f"D{n}").id for n in range(30)]
        add_orders(db_session, simulated_purchases(ids, seed=11))
        lifetime.run_instance(lifetime.ClvOptions(dt.date(2024, 7, 31)))
        rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
        db_session.commit()
    assert counts[0] == counts[1]


def test_persian_pages_show_jalali_dates(web_as, fitted):
    web = web_as([perm.VIEW])
    web.post("/account/locale", {"locale": "fa"})
    text = web.get("/analytics/rfm").text
    assert "۱۴۰۳" in text  # 2024 in the Jalali calendar, Persian digits
    assert "2024" not in text.split('id="rfm-summary"')[1].split("</p>")[0]


def test_persian_charts_label_their_categories_in_persian_digits(web_as, fitted):
    import json
    import re

    web = web_as([perm.VIEW])
    web.post("/account/locale", {"locale": "fa"})
    labels = [label for text in (web.get("/analytics/clv").text, web.get("/analytics/cycle").text)
              for block in re.findall(r'<script type="application/json">(.*?)</script>', text, re.S)
              for label in json.loads(block)["labels"]]
    assert any(re.search("[۰-۹]", label) for label in labels)  # the repeat-purchase counts, the months
    assert [label for label in labels if re.search("[0-9]", label)] == []  # as the table views write them


def test_running_from_the_page_stores_a_new_fit(web_as, fitted):
    web = web_as([perm.VIEW, perm.RUN])
    response = web.post("/analytics/clv", {"calibration_end": "2024-08-31", "period": "week"})
    assert response.status_code == 302
    assert "2024" in web.get("/analytics/clv").text
    assert web.post("/analytics/rfm", {"start": "2024-01-01", "end": "2024-12-31"}).status_code == 302


@pytest.mark.parametrize("path", ["/analytics/clv", "/analytics/rfm"])
def test_running_needs_the_run_permission(web_as, path):
    assert web_as([perm.VIEW]).post(path, {"end": "2024-12-31"}).status_code == 403



def test_customer_page_shows_the_analytics_panel_to_those_who_may_see_it(web_as, fitted):
    path = f"/customers/{fitted[0]}"
    assert 'id="analytics-panel"' in web_as(["core.customer.view", perm.VIEW]).get(path).text
    assert 'id="analytics-panel"' not in web_as(["core.customer.view"]).get(path).text


def test_menu_lists_the_analytics_pages_for_those_who_may_see_them(web_as):
    text = web_as([perm.VIEW]).get("/").text
    assert all(path in text for path in ("/analytics/clv", "/analytics/rfm", "/analytics/cohorts"))
    assert "/analytics/clv" not in web_as([]).get("/").text


def test_the_customer_form_shows_the_analytics_fields_choices_and_help_in_persian(web_as):
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": "fa"})
    text = web.get("/customers/new").text
    segment = text.split('name="attr.analytics.rfm_segment"', 1)[1].split("</select>", 1)[0]
    assert '<option value="champions">\u2068قهرمانان\u2069</option>' in segment and "champions<" not in segment
    assert '<option value="lost">\u2068از دست رفته\u2069</option>' in segment  # the analytics catalog's, not sales' "Lost"
    assert "Segment of the last RFM scoring" not in text and "P(alive) from the BG/NBD" not in text  # help translated
