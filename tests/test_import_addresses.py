"""Postal addresses in the customer import and export (`payvand.core.importing`), on SQLite and
PostgreSQL: one address per row, the export's `addresses` column, merges that add but never
duplicate."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.importer import ImportOptions, import_customers
from payvand.core.importing.export import export_customers
from payvand.core.importing.mapping import build_mapping
from payvand.core.importing.records import RowError, read_address
from payvand.core.models import AuditLog, Customer, CustomerAddress, CustomerEmail

FIELDS = ("label", "line1", "line2", "city", "region", "postal_code", "country")
HEADER = "name,email,address,address 2,city,province,zip,country,address type\n"


def write(tmp_path: Path, text: str, name: str = "customers.csv") -> Path:
    """Write a CSV fixture file (UTF-8)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def addresses(runtime: Any) -> dict[str, list[tuple[Any, ...]]]:
    """`{email: [address fields]}` of every customer, addresses in the order they were added."""
    with runtime.sessionmaker() as session:
        rows = session.execute(
            sa.select(CustomerEmail.email, *(getattr(CustomerAddress, f) for f in FIELDS))
            .join(CustomerAddress, CustomerAddress.customer_id == CustomerEmail.customer_id)
            .order_by(CustomerAddress.id)
        ).all()
    found: dict[str, list[tuple[Any, ...]]] = {}
    for email, *fields in rows:
        found.setdefault(email, []).append(tuple(fields))
    return found


def statements(runtime: Any) -> list[str]:
    """The SQL statements run on the runtime's engine from now on (COPY is not one of them)."""
    seen: list[str] = []
    sa.event.listen(runtime.engine, "before_cursor_execute", lambda _c, _cur, sql, *_: seen.append(sql))
    return seen


ROWS = (
    "Ali Rezaei,ali@example.com,Azadi St 12,Unit 4,Tehran,Tehran,1234567890,IR,home\n"
    "Sara Karimi,sara@example.com,Valiasr 100,,Shiraz,Fars,,iran,\n"
    "Bob Smith,bob@example.com,,,,,,,\n"
)


def test_new_customers_get_the_address_of_their_row(runtime, tmp_path, payvand_database):
    seen = statements(runtime)
    report = import_customers(runtime, write(tmp_path, HEADER + ROWS), ImportOptions(bulk=False))
    assert (report.inserted, report.rejected) == (3, 0)
    assert report.mapping == {
        "name": "full_name", "email": "email", "address": "address_line1", "address 2": "address_line2",
        "city": "city", "province": "region", "zip": "postal_code", "country": "country",
        "address type": "address_label",
    }
    assert addresses(runtime) == {
        "ali@example.com": [("home", "Azadi St 12", "Unit 4", "Tehran", "Tehran", "1234567890", "IR")],
        "sara@example.com": [(None, "Valiasr 100", None, "Shiraz", "Fars", None, "IR")],
    }
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO CORE_CUSTOMER_ADDRESS")]
    if payvand_database == "postgresql":
        assert inserts == []  # the addresses went in through COPY, as the customers did
    else:
        assert len(inserts) == 1  # one multi-row INSERT for the batch's addresses


@pytest.mark.sqlite_only
def test_the_sqlite_bulk_path_writes_the_addresses(runtime, tmp_path):
    rows = "".join(f"P{i} Q,p{i}@example.com,Street {i},,City{i % 3},,{i:05d},de,\n" for i in range(60))
    report = import_customers(runtime, write(tmp_path, HEADER + rows), ImportOptions(bulk=True, batch_size=25))
    assert report.bulk and report.inserted == 60 and report.batches == 3
    found = addresses(runtime)
    assert len(found) == 60
    assert found["p7@example.com"] == [(None, "Street 7", None, "City1", None, "00007", "DE")]


def test_an_import_without_address_columns_touches_no_address_table(runtime, tmp_path, make_customer):
    make_customer(given_name="Old", emails=["old@example.com"],
                  addresses=[{"line1": "Kept St 1", "city": "Tehran"}])
    seen = statements(runtime)
    text = "name,email,tags\nOld Again,old@example.com,vip\nNew One,new@example.com,\n"
    report = import_customers(runtime, write(tmp_path, text), ImportOptions())
    assert (report.inserted, report.merged) == (1, 1)
    assert [s for s in seen if "core_customer_address" in s] == []
    assert addresses(runtime) == {"old@example.com": [(None, "Kept St 1", None, "Tehran", None, None, None)]}


def test_a_merge_adds_a_new_address_and_never_duplicates_or_edits_one(runtime, tmp_path, make_customer):
    old = make_customer(given_name="Ali", emails=["ali@example.com"], addresses=[
        {"label": "home", "line1": "خیابان آزادی ۱۲", "city": "تهران", "postal_code": "1234567890", "country": "IR"},
    ])
    text = HEADER + (
        # the same address written differently (Arabic yeh, Latin digits, other case, no label): not added
        "Ali,ali@example.com,خيابان آزادي 12,,تهران,,۱۲۳۴۵۶۷۸۹۰,ir,\n"
        # a new one: added once, though two rows bring it
        "Ali,ALI@example.com,Valiasr 5,,Tehran,,,IR,work\n"
        "Ali,ali@example.com,VALIASR 5,,tehran,,,Iran,\n"
    )
    report = import_customers(runtime, write(tmp_path, text), ImportOptions(batch_size=2))
    assert (report.inserted, report.merged, report.rejected) == (0, 3, 0)
    home = ("home", "خیابان آزادی ۱۲", None, "تهران", None, "1234567890", "IR")
    work = ("work", "Valiasr 5", None, "Tehran", None, None, "IR")
    assert addresses(runtime) == {"ali@example.com": [home, work]}
    with runtime.sessionmaker() as session:
        entries = session.scalars(sa.select(AuditLog).where(AuditLog.action == "import")).all()
    changes = [e.after["updated"][str(old.id)] for e in entries if "updated" in (e.after or {})]
    assert changes == [{"addresses": [[dict(zip(FIELDS, home, strict=True))],
                                      [dict(zip(FIELDS, home, strict=True)), dict(zip(FIELDS, work, strict=True))]]}]


def test_rows_of_one_file_sharing_a_customer_share_their_addresses(runtime, tmp_path):
    text = HEADER + "Ali,ali@example.com,A St 1,,,,,,\nAli,ali@example.com,B St 2,,,,,,\nAli,ali@example.com,a st 1,,,,,,\n"
    report = import_customers(runtime, write(tmp_path, text), ImportOptions())
    assert (report.inserted, report.merged) == (1, 2)
    assert [a[1] for a in addresses(runtime)["ali@example.com"]] == ["A St 1", "B St 2"]


def test_each_bad_address_is_reported_with_its_line_and_code_and_good_rows_kept(runtime, tmp_path):
    text = HEADER + (
        "Good One,good1@example.com,Main St 1,,Tehran,,,IR,\n"
        "No Street,nostreet@example.com,,,Tehran,,1234567890,,\n"
        "Long Line,long@example.com," + "x" * 251 + ",,,,,,\n"
        "Long City,city@example.com,Main St 2,," + "c" * 121 + ",,,,\n"
        "Bad Country,country@example.com,Main St 3,,,,,Narnia,\n"
        "Bad Code,code@example.com,Main St 4,,,,,I1,\n"
        "Long Zip,zip@example.com,Main St 5,,,," + "1" * 21 + ",,\n"
        "Long Label,label@example.com,Main St 6,,,,,," + "l" * 33 + "\n"
        "Good Two,good2@example.com,Main St 7,,,,,Germany,\n"
    )
    rejects = tmp_path / "rejects.csv"
    report = import_customers(runtime, write(tmp_path, text), ImportOptions(rejects=str(rejects)))
    assert {r.line: r.code for r in report.rejects} == {
        3: "address_without_line1",
        4: "too_long",
        5: "too_long",
        6: "invalid_country",
        7: "invalid_country",
        8: "invalid_postal_code",
        9: "too_long",
    }
    reasons = {r.line: r.reason for r in report.rejects}
    assert reasons[4] == "address_line1 is longer than 250 characters"
    assert reasons[5] == "city is longer than 120 characters"
    assert reasons[6] == "country 'Narnia' is not a two-letter code such as IR or a country name"
    assert reasons[8].startswith("postal code '111111111111111111111' is refused")
    assert reasons[9] == "address_label is longer than 32 characters"
    assert report.inserted == 2
    assert {e: [a[6] for a in found] for e, found in addresses(runtime).items()} == {
        "good1@example.com": ["IR"], "good2@example.com": ["DE"],
    }
    assert "address_without_line1" in rejects.read_text(encoding="utf-8-sig")


def test_persian_headers_and_digits(runtime, tmp_path):
    text = (
        "نام,ایمیل,نشانی,شهر,استان,کد پستی,کشور,نوع آدرس\n"
        "علی رضایی,ali@example.com,خیابان انقلاب، پلاک ۴۵,تهران,تهران,۱۹۸۷۶-۵۴۳۲۱,ایران,خانه\n"
    )
    report = import_customers(runtime, write(tmp_path, text), ImportOptions())
    assert report.inserted == 1 and report.rejected == 0
    assert report.mapping["نشانی"] == "address_line1" and report.mapping["کد پستی"] == "postal_code"
    assert report.mapping["استان"] == "region" and report.mapping["نوع آدرس"] == "address_label"
    assert addresses(runtime)["ali@example.com"] == [
        ("خانه", "خیابان انقلاب، پلاک ۴۵", None, "تهران", "تهران", "19876-54321", "IR"),
    ]


def test_numbered_address_headers_go_to_their_own_line():
    mapping = build_mapping(["Name", "Address Line 1", "Address Line 2", "Zip Code", "آدرس ۲"])
    assert mapping.describe() == {
        "Name": "full_name", "Address Line 1": "address_line1", "Address Line 2": "address_line2",
        "Zip Code": "postal_code",
    }  # the Persian "address 2" found line 2 already taken


def test_the_api_rule_is_the_import_rule():
    """The same text is refused or kept, and kept in the same form, by the API's schema and the import."""
    from marshmallow import ValidationError

    from payvand.core.schemas import AddressSchema

    for value in ({"line1": "  Main  St  ", "postal_code": " ۱۲۳ "}, {"line1": "a", "postal_code": "1" * 21},
                  {"line1": "b" * 251}, {"line1": "c", "country": "XX"}, {"line1": "d", "city": "ك" * 120}):
        try:
            expected: Any = AddressSchema().load(value)
        except ValidationError:
            expected = None
        try:
            got: Any = dict(zip(FIELDS, read_address(value), strict=True))
        except RowError:
            got = None
        if expected is not None:
            expected = {f: expected.get(f) for f in FIELDS}
        assert got == expected, value


def test_export_writes_the_addresses_and_a_reimport_neither_loses_nor_duplicates_them(
    runtime, tmp_path, make_customer
):
    from customer_csv import wipe_customers

    make_customer(given_name="Ali", emails=["ali@example.com"], addresses=[
        {"label": "home", "line1": "=Azadi, St \"12\"", "city": "تهران", "postal_code": "123", "country": "IR"},
        {"line1": "Valiasr 5", "line2": "طبقه ۲"},
    ])
    make_customer(given_name="Sara", emails=["sara@example.com"])
    before = addresses(runtime)
    out = io.StringIO()
    export_customers(runtime.sessionmaker, out, "csv")
    text = out.getvalue()
    jsonl = io.StringIO()
    export_customers(runtime.sessionmaker, jsonl, "jsonl")
    assert [len(json.loads(line)["addresses"]) for line in jsonl.getvalue().splitlines()] == [2, 0]

    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("utf-8-sig"))
    again = import_customers(runtime, path, ImportOptions())
    assert (again.merged, again.rejected) == (2, 0) and again.mapping["addresses"] == "addresses"
    assert addresses(runtime) == before  # merged into themselves: nothing added

    wipe_customers(runtime)
    fresh = import_customers(runtime, path, ImportOptions())
    assert (fresh.inserted, fresh.rejected) == (2, 0)
    assert addresses(runtime) == before
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 2


def test_a_bad_addresses_cell_of_an_export_is_a_bad_row(runtime, tmp_path, make_customer):
    make_customer(given_name="Ali", emails=["ali@example.com"])
    out = io.StringIO()
    export_customers(runtime.sessionmaker, out, "csv")
    header, row = out.getvalue().splitlines()
    cells = row.split(",")
    position = header.split(",").index("addresses")
    bad = [*cells[:position], '"[1]"', *cells[position + 1:]]
    path = write(tmp_path, "\n".join([header, ",".join(bad)]) + "\n", "export.csv")
    report = import_customers(runtime, path, ImportOptions())
    assert [(r.line, r.code) for r in report.rejects] == [(2, "invalid_address")]


def test_the_address_fields_are_in_one_order_everywhere():
    from payvand.core.importing import tables
    from payvand.core.importing.mapping import ADDRESS_COLUMNS
    from payvand.core.schemas import ADDRESS_FIELDS

    assert tuple(ADDRESS_COLUMNS.values()) == ADDRESS_FIELDS == tables.ADDRESS_COLUMNS[1:] == FIELDS
