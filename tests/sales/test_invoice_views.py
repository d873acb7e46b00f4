"""Another plugin's billing view of an invoice is offered on the invoice page (`payvand_invoice_views`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import payvand.plugins.sales as sales
from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Invoice
from payvand.sdk import Panel, PluginMeta, hookimpl


class OfficialLayout:
    """A tiny third-party plugin with an alternative invoice layout."""

    meta = PluginMeta(name="official_layout", version="1.0", requires=("sales",))

    @staticmethod
    @hookimpl
    def payvand_invoice_views(invoice: Any, actor: Any) -> Panel:
        return Panel(title="Official layout", html=f"<p class='official'>Invoice {invoice.number}</p>")


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [sales, OfficialLayout()]


def test_other_plugins_views_are_offered_on_the_invoice_page(web_as, make_customer, db_session):
    customer = make_customer()
    invoice = Invoice(number="INV-1405-000042", customer_id=customer.id, total=Decimal("5000"), currency="IRR",
                      year=1405, sequence=42)
    db_session.add(invoice)
    db_session.commit()
    page = web_as([perm.DOCUMENT_VIEW, perm.DOCUMENT_ALL]).get(f"/sales/invoices/{invoice.id}").text
    assert 'id="invoice-views"' in page and "Official layout" in page
    assert "<p class='official'>Invoice INV-1405-000042</p>" in page
