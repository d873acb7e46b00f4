"""Refusals of the sales services that carry values read in the page's language (views/messages.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import payvand.plugins.sales as sales
from payvand.plugins.sales.models import Invoice
from payvand.plugins.sales.views.messages import service_message


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [sales]


def test_an_overpayment_and_an_overrefund_are_refused_in_persian_on_the_invoice_page(web, make_customer, db_session):
    customer = make_customer()
    invoice = Invoice(number="INV-1405-000007", customer_id=customer.id, total=Decimal("5000"), currency="IRR",
                      year=1405, sequence=7)
    db_session.add(invoice)
    db_session.commit()
    web.post("/account/locale", {"locale": "fa"})
    over = web.post(f"/sales/invoices/{invoice.id}/payments", {"amount": "6000", "method": "card"})
    assert over.status_code == 422
    assert "A payment cannot exceed" not in over.text and "مانده بیشتر باشد" in over.text and "۵٬۰۰۰" in over.text
    refund = web.post(f"/sales/invoices/{invoice.id}/payments", {"amount": "-1", "method": "card"})
    assert refund.status_code == 422
    assert "A refund cannot exceed" not in refund.text and "پرداخت‌شده بیشتر باشد" in refund.text


@pytest.mark.parametrize(("english", "persian"), [
    ("Unknown currency 'XYZ'.", "واحد پول ناشناخته"),
    ("Unknown outcome 'maybe'.", "نتیجهٔ ناشناخته"),
    ("There is no product 12.", "۱۲"),
])
def test_the_pipeline_refusals_with_values_are_translated(app, english, persian):
    with app.test_request_context(headers={"Accept-Language": "fa"}):
        from flask import session

        session["locale"] = "fa"
        shown = service_message(english)
    assert persian in shown and english not in shown
