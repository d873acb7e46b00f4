"""The document kit (`payvand.sdk.documents`), through the integrator guide's "Documents" example:
the guide's code block is executed, its tables created on the test database (SQLite and
PostgreSQL), and a repair invoice is numbered, totalled, moved along its flow and printed."""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
import types
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from payvand.sdk import Base
from payvand.sdk.documents import DocumentError, StatusFlow

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "integrator-guide.md"


@functools.cache
def guide_example() -> dict:
    """The names the guide's Documents block defines (executed once per process; its tables are
    taken out of the shared metadata again so migration checks do not see them)."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("### Documents"):]
    section = section[:section.index("\n## ")]
    (block,) = re.findall(r"^```python\n(.*?)^```$", section, re.S | re.M)
    module = types.ModuleType("repairs_guide_example")
    sys.modules[module.__name__] = module  # SQLAlchemy resolves the annotations in the class's module
    exec(compile(block, "integrator-guide.md#documents", "exec"), module.__dict__)  # noqa: S102 - our own guide
    names = module.__dict__
    for name in ("repairs_invoice_line", "repairs_invoice", "repairs_counter"):
        Base.metadata.remove(Base.metadata.tables[name])
    return names


@pytest.fixture
def kit(runtime):
    names = guide_example()
    tables = [names[n].__table__ for n in ("RepairCounter", "RepairInvoice", "RepairLine")]
    for table in tables:
        table.create(runtime.engine)
    yield names
    for table in reversed(tables):
        table.drop(runtime.engine)


def test_the_guide_example_numbers_totals_moves_and_prints_a_document(kit, app, db_session, make_customer):
    customer = make_customer(given_name="Sara", emails=["sara@example.com"])
    day = dt.date(2026, 12, 6)  # Jalali 1405
    with app.test_request_context():
        first = kit["create_repair_invoice"](db_session, customer.id, day,
                                            [("Screen", Decimal(1), Decimal(1_000_000), Decimal(10)),
                                             ("Labour", Decimal("1.5"), Decimal(200_000), Decimal(0))])
        second = kit["create_repair_invoice"](db_session, customer.id, day, [("Battery", 2, 350_000, 10)])
        assert (first.number, second.number) == ("R-1405-000001", "R-1405-000002")
        assert (first.subtotal, first.tax_total, first.total) == (Decimal(1_300_000), Decimal(100_000),
                                                                   Decimal(1_400_000))
        assert [line.total for line in first.lines] == [Decimal(1_100_000), Decimal(300_000)]

        kit["issue"](db_session, first)
        assert first.status == "issued"
        with pytest.raises(DocumentError) as again:
            kit["issue"](db_session, first)
        assert kit["refuse"](again.value)["status"] == 409
        with pytest.raises(DocumentError) as unknown:
            kit["transition"](db_session, first, kit["REPAIR_FLOW"], "lost")
        assert (unknown.value.status, unknown.value.field) == (422, "status")

        body = kit["repair_invoice_pdf"](first, customer)
        assert body.startswith(b"%PDF")
        db_session.commit()

    audits = db_session.execute(sa.text("SELECT action, object_type, object_id FROM core_audit_log "
                                        "WHERE object_type = 'repairs_invoice'")).all()
    assert [tuple(row) for row in audits] == [("status", "repairs_invoice", str(first.id))]
    kinds = db_session.execute(sa.text("SELECT kind FROM core_interaction WHERE customer_id = :c"),
                               {"c": customer.id}).all()
    assert [row.kind for row in kinds] == ["repairs.invoice_issued"]


def test_a_rolled_back_document_gives_its_number_back(kit, app, db_session, make_customer):
    customer = make_customer()
    day = dt.date(2026, 3, 1)  # Jalali 1404 (before Nowruz)
    with app.test_request_context():
        kit["create_repair_invoice"](db_session, customer.id, day, [("Fan", 1, 10, 0)])
        db_session.rollback()
        again = kit["create_repair_invoice"](db_session, customer.id, day, [("Fan", 1, 10, 0)])
        assert again.number == "R-1404-000001"
        with pytest.raises(DocumentError) as empty:
            kit["create_repair_invoice"](db_session, customer.id, day, [])
        assert (empty.value.status, empty.value.field) == (422, "lines")


def test_a_flow_refuses_moves_to_undeclared_states_and_labels_fall_back_to_the_state():
    with pytest.raises(ValueError, match="undeclared"):
        StatusFlow("voucher", {"new": ("used",)})
    flow = StatusFlow("voucher", {"new": ("used",), "used": ()})
    assert flow.label("used") == "used" and flow.allowed("used") == () and flow.states == ("new", "used")
