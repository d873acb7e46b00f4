"""The core's staff forms read numbers by the one rule: the log form's value and the customer
form's custom number fields take "۱٬۲۵۰٬۰۰۰" and refuse "1,5" with the rule's message."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.models import Customer, Interaction
from payvand.core.web.forms import NUMBER_MESSAGE
from payvand.sdk import CustomerField, PluginMeta, hookimpl


class Fields:
    """A plugin declaring a number field of customers."""

    meta = PluginMeta(name="typed_numbers_probe", version="1.0", title="Typed numbers probe")

    @hookimpl
    def payvand_customer_fields(self) -> list[Any]:
        """An integer and a decimal field."""
        return [CustomerField("typed_numbers_probe.visits", type="integer"),
                CustomerField("typed_numbers_probe.credit", type="decimal")]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [Fields()]


def _page(response: Any) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def test_the_log_form_reads_a_grouped_persian_value(web, make_customer, db_session):
    customer = make_customer()
    refused = web.post(
        f"/customers/{customer.id}/interactions",
        {"type": "core.call", "channel": "phone", "direction": "outbound", "summary": "Paid", "value": "1,5"},
    )
    assert refused.status_code == 422 and str(NUMBER_MESSAGE) in _page(refused)
    saved = web.post(
        f"/customers/{customer.id}/interactions",
        {"type": "core.call", "channel": "phone", "direction": "outbound", "summary": "Paid", "value": "۱٬۲۵۰٬۰۰۰"},
    )
    assert saved.status_code in (302, 303), _page(saved)
    assert db_session.scalars(sa.select(Interaction.value)).one() == Decimal(1250000)


def test_the_customer_form_reads_custom_number_fields_by_the_rule(web, db_session):
    refused = web.post("/customers/new", {"given_name": "Ali", "attr.typed_numbers_probe.visits": "1,5"})
    assert refused.status_code == 422 and str(NUMBER_MESSAGE) in _page(refused)
    saved = web.post("/customers/new", {"given_name": "Ali", "attr.typed_numbers_probe.visits": "۱٬۲۵۰",
                                        "attr.typed_numbers_probe.credit": "١٬٢٥٠٫٥"})
    assert saved.status_code in (302, 303), _page(saved)
    customer = db_session.scalars(sa.select(Customer)).one()
    assert customer.attributes["typed_numbers_probe.visits"] == 1250
    assert Decimal(str(customer.attributes["typed_numbers_probe.credit"])) == Decimal("1250.5")


def test_an_import_reads_custom_number_columns_by_the_same_rule(runtime, tmp_path):
    from payvand.core.importer import ImportOptions, import_customers

    path = tmp_path / "numbers.csv"
    path.write_text("given_name,typed_numbers_probe.visits,typed_numbers_probe.credit\n"
                    "Ali,۱٬۲۵۰,١٬٢٥٠٫٥\nSara,\"1,5\",2\n", encoding="utf-8")
    report = import_customers(runtime, path, ImportOptions())
    assert (report.rejected, report.inserted) == (1, 1), report.summary()
    with runtime.sessionmaker() as session:
        attributes = session.scalars(sa.select(Customer.attributes)).one()
    assert attributes["typed_numbers_probe.visits"] == 1250
    assert Decimal(str(attributes["typed_numbers_probe.credit"])) == Decimal("1250.5")
