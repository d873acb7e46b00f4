"""Dates far from today: refused at every door (API and staff forms) outside the business-date
range, and rows written before the range existed (dates the database holds, 0001–9999) still
render on every sales page, PDF and report, in Persian (Jalali) and English."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.models import Activity, Deal, Invoice, Quote

UTC = dt.UTC
FAR = {
    "min": (dt.date.min, dt.datetime.min.replace(tzinfo=UTC)),
    "max": (dt.date.max, dt.datetime.max.replace(tzinfo=UTC)),
}


@pytest.fixture
def documents(api, make_customer):
    """A customer with a priced product, a deal, a quote, an order and its invoice."""
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    pen = api.post("sales/products", json={"sku": "PEN", "name": "Pen"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{pen['id']}", json={"unit_price": "1000"})
    lines = [{"product_id": pen["id"], "quantity": "1"}]
    deal = api.post("sales/deals", json={"title": "Pens", "amount": "1000", "customer_id": customer.id}).get_json()
    quote = api.post("sales/quotes", json={"customer_id": customer.id, "lines": lines}).get_json()
    order = api.post("sales/orders", json={"customer_id": customer.id, "lines": lines}).get_json()
    invoice = api.post("sales/invoices", json={"order_id": order["id"]}).get_json()
    activity = api.post("sales/activities", json={"subject": "Call", "deal_id": deal["id"]}).get_json()
    return {"customer": customer.id, "deal": deal["id"], "quote": quote["id"], "invoice": invoice["id"],
            "activity": activity["id"]}


def _store_far_dates(db_session, ids, day: dt.date, moment: dt.datetime) -> None:
    """Write far dates straight into the rows, as data stored before the range was enforced."""
    db_session.execute(sa.update(Deal).where(Deal.id == ids["deal"]).values(expected_close=day))
    db_session.execute(sa.update(Quote).where(Quote.id == ids["quote"]).values(valid_until=day))
    db_session.execute(sa.update(Invoice).where(Invoice.id == ids["invoice"]).values(due_at=day))
    db_session.execute(sa.update(Activity).where(Activity.id == ids["activity"]).values(due_at=moment))
    db_session.commit()


@pytest.mark.parametrize("far", sorted(FAR))
@pytest.mark.parametrize("locale", ["fa", "en"])
def test_far_dates_already_stored_still_render_on_every_page(web_as, api, documents, db_session, far, locale):
    _store_far_dates(db_session, documents, *FAR[far])
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": locale})
    paths = ["/sales/deals", f"/sales/deals/{documents['deal']}", f"/sales/deals/{documents['deal']}/edit",
             "/sales/board", "/sales/forecast", "/sales/forecast?calendar=jalali", "/sales/forecast?calendar=gregorian",
             "/sales/quotes", f"/sales/quotes/{documents['quote']}", f"/sales/quotes/{documents['quote']}.pdf",
             "/sales/invoices", f"/sales/invoices/{documents['invoice']}", f"/sales/invoices/{documents['invoice']}.pdf",
             "/sales/activities", f"/sales/activities/{documents['activity']}/edit", "/sales/calendar", "/sales/reports",
             f"/customers/{documents['customer']}"]
    for path in paths:
        response = web.get(path)
        assert response.status_code < 500, (path, response.status_code)
    for calendar in ("jalali", "gregorian"):
        forecast = api.get(f"sales/forecast?by=month&calendar={calendar}", headers={"Accept-Language": locale})
        assert forecast.status_code == 200, forecast.json
    assert api.get(f"sales/deals/{documents['deal']}").status_code == 200
    assert api.get(f"sales/quotes/{documents['quote']}").status_code == 200


FAR_DATES = ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"]
FAR_TIMES = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z",
             "1899-12-31T23:59:59+03:30", "2200-01-01T00:00:00Z"]


@pytest.mark.parametrize("day", FAR_DATES)
def test_far_business_dates_are_refused_by_the_api_with_422(api, documents, day):
    checks = [
        ("post", "sales/deals", {"title": "Far", "expected_close": day}, "expected_close"),
        ("patch", f"sales/deals/{documents['deal']}", {"expected_close": day}, "expected_close"),
        ("post", "sales/quotes", {"customer_id": documents["customer"], "valid_until": day,
                                  "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]}, "valid_until"),
    ]
    for method, path, body, field in checks:
        response = getattr(api, method)(path, json=body)
        assert response.status_code == 422, (path, response.status_code, response.json)
        assert field in response.json["error"]["fields"], response.json
        assert "1900-01-01" in response.json["error"]["fields"][field][0]


def test_the_edges_of_the_range_are_accepted(api, documents):
    for day in ("1900-01-01", "2199-12-31"):
        response = api.patch(f"sales/deals/{documents['deal']}", json={"expected_close": day})
        assert (response.status_code, response.json["expected_close"]) == (200, day)
    due = api.patch(f"sales/activities/{documents['activity']}", json={"due_at": "2199-12-31T23:59:59-12:00"})
    assert (due.status_code, due.json["due_at"]) == (200, "2200-01-01T11:59:59+00:00")


@pytest.mark.parametrize("moment", FAR_TIMES)
def test_far_times_with_any_offset_are_refused_with_422(api, documents, moment):
    paid = api.post(f"sales/invoices/{documents['invoice']}/payments", json={"amount": "10", "paid_at": moment})
    assert paid.status_code == 422 and "paid_at" in paid.json["error"]["fields"], paid.json
    for field in ("due_at", "remind_at"):
        changed = api.patch(f"sales/activities/{documents['activity']}", json={field: moment})
        assert changed.status_code == 422 and field in changed.json["error"]["fields"], changed.json
    for name in ("due_from", "due_to"):
        listed = api.get("sales/activities", query_string={name: moment})
        assert listed.status_code == 422 and name in listed.json["error"]["fields"], listed.json


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_far_dates_typed_in_the_staff_forms_are_refused_not_500(web_as, api, documents, db_session, locale):
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": locale})
    for day in FAR_DATES + ["۹۹۹۹-۱۲-۳۱", "0001/01/01", "9999/12/31"]:
        deal = web.post(f"/sales/deals/{documents['deal']}/edit", {"title": "Pens", "amount": "1000", "expected_close": day})
        assert deal.status_code == 422, (day, deal.status_code)
        quote = web.post("/sales/quotes/new", {"customer_id": str(documents["customer"]), "valid_until": day,
                                               "lines-0-description": "x", "lines-0-quantity": "1",
                                               "lines-0-unit_price": "1"})
        assert quote.status_code == 422, (day, quote.status_code)
        activity = web.post(f"/sales/activities/{documents['activity']}/edit",
                            {"subject": "Call", "kind": "task", "deal_id": str(documents["deal"]),
                             "due_at": f"{day}T23:59"})
        assert activity.status_code in (400, 422), (day, activity.status_code)
        for path in (f"/sales/calendar?day={day}", f"/sales/activities?day={day}",
                     f"/sales/reports?start={day}", f"/sales/reports?end={day}"):
            assert web.get(path).status_code < 500, path
    page = web.post(f"/sales/deals/{documents['deal']}/edit",
                    {"title": "Pens", "amount": "1000", "expected_close": "9999-12-31"}).get_data(as_text=True)
    expected = "1900-01-01" if locale == "en" else "۱۹۰۰"
    assert expected in page
    assert db_session.scalar(sa.select(Deal.expected_close).where(Deal.id == documents["deal"])) is None
