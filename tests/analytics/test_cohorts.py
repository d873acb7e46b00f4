"""Cohort retention by first-purchase month, Gregorian and Jalali."""

from __future__ import annotations

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.services import cohorts
from tests.analytics.orders import add_orders


def test_retention_counts_customers_buying_again_in_later_months(in_app, db_session, make_customer):
    a, b, c = (make_customer(given_name=n).id for n in "ABC")
    add_orders(db_session, [
        (a, "2024-01-05", "10"), (a, "2024-01-20", "10"), (a, "2024-02-10", "10"), (a, "2024-04-01", "10"),
        (b, "2024-01-31", "10"), (b, "2024-03-01", "10"),
        (c, "2024-02-15", "10"),
    ])
    found = cohorts.retention("gregorian")
    assert [(x.label, x.size, x.retained) for x in found] == [
        ("2024/01", 2, [2, 1, 1, 1]),  # A bought in Feb and Apr, B in Mar
        ("2024/02", 1, [1, 0, 0]),
    ]
    assert found[0].rates == [1.0, 0.5, 0.5, 0.5]


def test_jalali_months_split_cohorts_where_the_jalali_calendar_does(in_app, db_session, make_customer):
    a, b = (make_customer(given_name=n).id for n in "AB")
    # 2024-03-19 is 1402/12/29 and 2024-03-20 is 1403/01/01: one Gregorian month, two Jalali ones.
    add_orders(db_session, [(a, "2024-03-19", "10"), (b, "2024-03-20", "10"), (a, "2024-04-25", "10")])
    assert [(x.label, x.size) for x in cohorts.retention("gregorian")] == [("2024/03", 2)]
    jalali = cohorts.retention("jalali")
    assert [(x.label, x.size, x.retained) for x in jalali] == [("1402/12", 1, [1, 0, 1]), ("1403/01", 1, [1, 0])]


def test_cohort_page_shows_gregorian_months_in_english(web_as, in_app, db_session, make_customer):
    a = make_customer(given_name="A").id
    add_orders(db_session, [(a, "2024-03-19", "10"), (a, "2024-04-25", "10")])
    assert "2024/03" in web_as([perm.VIEW]).get("/analytics/cohorts").text


def test_cohort_page_shows_jalali_months_in_persian(web_as, in_app, db_session, make_customer):
    a = make_customer(given_name="A").id
    add_orders(db_session, [(a, "2024-03-19", "10"), (a, "2024-04-25", "10")])
    persian = web_as([perm.VIEW])
    persian.post("/account/locale", {"locale": "fa"})
    assert "۱۴۰۲/۱۲" in persian.get("/analytics/cohorts").text


def test_cohort_page_needs_the_analytics_permission(web_as):
    assert web_as([]).get("/analytics/cohorts").status_code == 403
