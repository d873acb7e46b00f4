"""Customer CSV export → import → export is a round trip: the formula guard is undone on import
of a Payvand export only, and every column comes back byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from customer_csv import export_text, import_text, wipe_customers

from payvand.core.importer import ImportOptions, import_customers
from payvand.core.importing.guard import FORMULA_START, guard, is_payvand_export, unguard
from payvand.core.models import Customer, CustomerTag
from payvand.sdk import CustomerField, PluginMeta, hookimpl
from payvand.sdk.testing import FORMULA_VALUES, PERSIAN_FREE_TEXT, assert_csv_round_trip, csv_cells

#: Columns the database assigns (a fresh database numbers and stamps rows anew).
DATABASE_COLUMNS = ("id", "created_at", "updated_at")


class Fields:
    """A plugin declaring the custom fields the round trip carries."""

    meta = PluginMeta(name="round_trip_probe", version="1.0", title="Round trip probe")

    @hookimpl
    def payvand_customer_fields(self) -> list[Any]:
        """A text and a number field."""
        return [CustomerField("round_trip_probe.note", type="string"),
                CustomerField("round_trip_probe.visits", type="integer")]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [Fields()]


def _seed(make_customer: Any) -> None:
    for n, value in enumerate(FORMULA_VALUES):
        make_customer(given_name=value, family_name=f"{value} خانواده", tags=[value, f"برچسب {n}"],
                      emails=[f"+{n}tag@example.com"], phones=[f"0912{n:07d}"])
    make_customer(kind="organization", organization_name="=شرکت ۱۲ (سهامی خاص)", given_name=None, family_name=None,
                  emails=["-sales@example.com"], tags=["+۱+۱", "a, b"], preferred_channel="email",
                  preferred_language="fa", lifecycle_stage="customer", birthday="1990-01-02", timezone="Asia/Kabul",
                  attributes={"round_trip_probe.note": PERSIAN_FREE_TEXT, "round_trip_probe.visits": 12})
    make_customer(given_name="علی", family_name="رضایی ۱۲", tags=["vip"])


def test_export_guards_every_cell_a_spreadsheet_would_run(runtime, make_customer):
    _seed(make_customer)
    rows = csv_cells(export_text(runtime))
    for row in rows:
        for column in ("given_name", "family_name", "organization_name", "display_name", "email", "tags"):
            assert not row[column].startswith(FORMULA_START), (column, row[column])
    names = {row["given_name"] for row in rows}
    assert "'=HYPERLINK(\"http://example.com\",\"x\")" in names
    assert "''quoted" in names and "'''twice" in names


def test_export_import_export_is_identical_on_every_column(runtime, make_customer, tmp_path):
    _seed(make_customer)
    first = assert_csv_round_trip(lambda: export_text(runtime), lambda text: import_text(runtime, tmp_path / "export.csv", text),
                                  reset=lambda: wipe_customers(runtime), ignore=DATABASE_COLUMNS)
    assert "'+1+1" in first
    with runtime.sessionmaker() as session:
        stored = set(session.scalars(sa.select(Customer.given_name)))
        tags = set(session.scalars(sa.select(CustomerTag.tag)))
    assert set(FORMULA_VALUES) <= stored
    assert set(FORMULA_VALUES) | {"+۱+۱", "a, b"} <= tags


def test_repeated_round_trips_add_no_guard(runtime, make_customer, tmp_path):
    make_customer(given_name="=HYPERLINK(\"x\")", tags=["+1+1"])
    for _ in range(3):
        text = export_text(runtime)
        wipe_customers(runtime)
        import_text(runtime, tmp_path / "export.csv", text)
    with runtime.sessionmaker() as session:
        assert session.scalars(sa.select(Customer.given_name)).one() == "=HYPERLINK(\"x\")"
        assert session.scalars(sa.select(CustomerTag.tag)).one() == "+1+1"


def test_a_leading_quote_in_someone_elses_file_is_kept(runtime, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("given_name,family_name,tags\n'Ali,'Rezaei,'vip\n", encoding="utf-8")
    import_customers(runtime, path, ImportOptions())
    with runtime.sessionmaker() as session:
        customer = session.scalars(sa.select(Customer)).one()
        assert (customer.given_name, customer.family_name) == ("'Ali", "'Rezaei")
        assert session.scalars(sa.select(CustomerTag.tag)).one() == "'vip"


@pytest.mark.parametrize("value", [*FORMULA_VALUES, "\tx", "\rx", "=", "'", "plain", "علی ۱۲"])
def test_guard_is_undone_exactly(value):
    assert unguard(guard(value)) == value
    assert not guard(value).startswith(FORMULA_START)


def test_only_the_exact_export_header_marks_a_payvand_export():
    from payvand.core.importing.export import CSV_COLUMNS

    assert is_payvand_export(["\ufeffid", *CSV_COLUMNS[1:]])
    assert not is_payvand_export(CSV_COLUMNS[:-1])
    assert not is_payvand_export(["given_name", "family_name"])


def test_the_rejects_file_of_an_export_imports_with_its_guards_removed(runtime, make_customer, tmp_path):
    make_customer(given_name="=Ali", family_name="'Rezaei", tags=["+vip"], emails=["ali@example.com"])
    text = export_text(runtime)
    wipe_customers(runtime)
    broken = text.replace("ali@example.com", "not-an-email")
    source = tmp_path / "export.csv"
    source.write_bytes(broken.encode("utf-8-sig"))
    rejects = tmp_path / "rejects.csv"
    report = import_customers(runtime, source, ImportOptions(rejects=rejects))
    assert report.rejected == 1
    fixed = rejects.read_text(encoding="utf-8-sig").replace("not-an-email", "ali@example.com")
    assert "'=Ali" in fixed
    import_text(runtime, tmp_path / "export.csv", fixed)
    with runtime.sessionmaker() as session:
        customer = session.scalars(sa.select(Customer)).one()
        assert (customer.given_name, customer.family_name) == ("=Ali", "'Rezaei")
        assert session.scalars(sa.select(CustomerTag.tag)).one() == "+vip"
