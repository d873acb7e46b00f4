"""The customer importer (`payvand.core.importer`) and exporter, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from payvand.core.importer import CannotImport, ImportOptions, import_customers
from payvand.core.importing.export import export_customers
from payvand.core.importing.records import customer_names
from payvand.core.importing.values import jalali_to_gregorian, parse_birthday
from payvand.core.models import (
    AuditLog,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    OutboxEvent,
)
from payvand.core.services.customers import names
from payvand.sdk import CustomerField, PluginMeta, hookimpl

HEADER = "given_name,family_name,email,mobile,birthday,tags\n"


def write(tmp_path: Path, text: str, name: str = "customers.csv", encoding: str = "utf-8") -> Path:
    """Write a CSV fixture file."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def customers(runtime: Any) -> list[dict[str, Any]]:
    """Every customer with emails, phones and tags, by id."""
    with runtime.sessionmaker() as session:
        rows = session.execute(sa.select(Customer.__table__).order_by(Customer.id)).mappings().all()
        emails = session.execute(
            sa.select(CustomerEmail.customer_id, CustomerEmail.email).order_by(CustomerEmail.id)
        ).all()
        phones = session.execute(
            sa.select(CustomerPhone.customer_id, CustomerPhone.number).order_by(CustomerPhone.id)
        ).all()
        tags = session.execute(
            sa.select(CustomerTag.customer_id, CustomerTag.tag).order_by(CustomerTag.tag)
        ).all()
    result = []
    for row in rows:
        item = dict(row)
        item["emails"] = [e for i, e in emails if i == row["id"]]
        item["phones"] = [p for i, p in phones if i == row["id"]]
        item["tags"] = [t for i, t in tags if i == row["id"]]
        result.append(item)
    return result


def test_good_rows_are_kept_and_bad_rows_reported_with_line_and_reason(runtime, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + (
            "Ali,Rezaei,ali@example.com,09121111111,,\n"
            "Bad,Email,not-an-email,09122222222,,\n"
            "Sara,Ahmadi,sara@example.com,09123333333,,\n"
            "Bad,Phone,x@example.com,12345,,\n"
            ",,,,,\n"
            "Bad,Date,d@example.com,09124444444,1990-13-45,\n"
            "Reza,Karimi,reza@example.com,09125555555,,\n"
        ),
    )
    report = import_customers(runtime, path)
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejects] == [
        (3, "invalid email 'not-an-email'"),
        (5, "invalid phone '12345' for region IR"),
        (6, "the row has no name, email or phone"),
        (7, "birthday '1990-13-45' is not a valid date"),
    ]
    assert (report.rows, report.inserted, report.rejected) == (7, 3, 4)
    assert [c["display_name"] for c in customers(runtime)] == [
        "Ali Rezaei",
        "Sara Ahmadi",
        "Reza Karimi",
    ]


def test_rejects_file_holds_line_reason_code_and_original_cells(runtime, tmp_path):
    path = write(tmp_path, HEADER + "Ok,Row,ok@example.com,,,\nBad,Row,bad@,,,\n")
    rejects = tmp_path / "rejects.csv"
    import_customers(runtime, path, ImportOptions(rejects=rejects))
    with open(rejects, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "line",
        "reason",
        "reason_code",
        "given_name",
        "family_name",
        "email",
        "mobile",
        "birthday",
        "tags",
    ]
    assert len(rows) == 2
    assert rows[1][0] == "3" and "invalid email 'bad@'" in rows[1][1] and rows[1][2] == "invalid_email"
    assert rows[1][3:] == ["Bad", "Row", "bad@", "", "", ""]


def test_persian_headers_bom_and_semicolons_are_detected(runtime, tmp_path):
    text = "نام;نام خانوادگی;موبایل;ایمیل;تاریخ تولد;برچسب\nعلي;رضائي;۰۹۱۲۳۴۵۶۷۸۹;Ali@Example.COM;۱۳۶۹/۰۵/۲۰;ویژه|vip\n"
    report = import_customers(runtime, write(tmp_path, text, encoding="utf-8-sig"))
    assert (report.encoding, report.delimiter, report.inserted) == ("utf-8", ";", 1)
    [customer] = customers(runtime)
    assert customer["given_name"] == "علی" and customer["search_name"] == "علی رضایی"
    assert customer["emails"] == ["ali@example.com"] and customer["phones"] == ["+989123456789"]
    assert customer["birthday"] == dt.date(1990, 8, 11)
    assert sorted(customer["tags"]) == sorted(["ویژه", "vip"])


def test_cp1256_file_from_persian_excel_is_read(runtime, tmp_path):
    text = "نام,نام خانوادگي,موبايل\nعلي,كريمي,09121234567\n"  # Arabic ي/ك: cp1256 has no Persian ی
    report = import_customers(runtime, write(tmp_path, text, encoding="cp1256"))
    assert report.encoding == "cp1256" and report.inserted == 1
    assert customers(runtime)[0]["display_name"] == "علی کریمی"


def test_invalid_utf8_line_is_rejected_and_the_others_kept(runtime, tmp_path):
    good = (
        "given_name,email\n" + "".join(f"Name{i},n{i}@example.com\n" for i in range(5000))
    ).encode()
    path = tmp_path / "mixed.csv"
    path.write_bytes(good + b"Bro\xffken,broken@example.com\nLast,last@example.com\n")
    report = import_customers(runtime, path)
    assert report.inserted == 5001
    assert [(r.line, r.reason) for r in report.rejects] == [
        (5002, "the line is not valid utf-8 text")
    ]


@pytest.mark.parametrize(
    "raw", ["۰۹۱۲ ۳۴۵ ۶۷۸۹", "٠٩١٢٣٤٥٦٧٨٩", "+98 (912) 345-6789", "00989123456789", "9123456789"]
)
def test_phones_in_any_digits_and_format_become_e164(runtime, tmp_path, raw):
    import_customers(runtime, write(tmp_path, f"name,phone\nAli,{raw}\n"))
    assert customers(runtime)[0]["phones"] == ["+989123456789"]


def test_duplicates_in_the_file_are_merged_into_the_first_row(runtime, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + (
            "Ali,,ali@example.com,09121111111,,a\n"
            ",Rezaei,ALI@example.com,,1990-01-02,b\n"  # same email: fills family name, birthday
            "Someone,Else,other@example.com,0912 111 1111,,c\n"  # same phone: adds the email and tag
        ),
    )
    report = import_customers(runtime, path, ImportOptions(on_duplicate="merge"))
    assert (report.inserted, report.merged, report.skipped) == (1, 2, 0)
    [customer] = customers(runtime)
    assert customer["display_name"] == "Ali Rezaei" and customer["birthday"] == dt.date(1990, 1, 2)
    assert customer["emails"] == ["ali@example.com", "other@example.com"]
    assert customer["tags"] == ["a", "b", "c"]


def test_duplicates_in_the_file_are_skipped_when_asked(runtime, tmp_path):
    path = write(
        tmp_path, HEADER + "Ali,,ali@example.com,,,\nAli,Two,ali@example.com,09121111111,,x\n"
    )
    report = import_customers(runtime, path, ImportOptions(on_duplicate="skip"))
    assert (report.inserted, report.merged, report.skipped) == (1, 0, 1)
    assert (
        report.skipped_rows[0].line == 3 and "duplicate of line 2" in report.skipped_rows[0].reason
    )
    [customer] = customers(runtime)
    assert customer["family_name"] is None and customer["phones"] == []


def test_duplicates_across_batches_are_found_in_the_database(runtime, tmp_path):
    rows = (
        "".join(f"N{i},,n{i}@example.com,,,\n" for i in range(5))
        + "Again,,N0@EXAMPLE.com,09121111111,,\n"
    )
    report = import_customers(runtime, write(tmp_path, HEADER + rows), ImportOptions(batch_size=2))
    assert (report.inserted, report.merged, report.batches) == (5, 1, 3)
    assert customers(runtime)[0]["phones"] == ["+989121111111"]


def test_existing_customer_is_merged_filling_only_empty_fields(runtime, make_customer, tmp_path):
    existing = make_customer(
        given_name="علی", family_name=None, emails=["ali@example.com"], tags=["old"]
    )
    path = write(tmp_path, HEADER + "Other,Rezaei,ali@example.com,09121111111,1990-01-02,new|old\n")
    report = import_customers(runtime, path)
    assert (report.inserted, report.merged) == (0, 1)
    [customer] = customers(runtime)
    assert customer["id"] == existing.id and customer["version"] == 2
    assert (customer["given_name"], customer["family_name"]) == ("علی", "Rezaei")
    assert customer["display_name"] == "علی Rezaei" and customer["search_name_alt"] == "rezaei علی"
    assert customer["phones"] == ["+989121111111"] and customer["tags"] == ["new", "old"]
    with runtime.sessionmaker() as session:
        event = session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.hook == "payvand_customer_updated")
        ).one()
    changes = event.payload["changes"][str(existing.id)]
    assert changes["family_name"] == [None, "Rezaei"] and changes["tags"] == [
        ["old"],
        ["old", "new"],
    ]


def test_existing_customer_is_left_alone_when_skipping(runtime, make_customer, tmp_path):
    make_customer(given_name="Ali", emails=["ali@example.com"])
    path = write(tmp_path, HEADER + "Ali,Rezaei,x@example.com|ali@example.com,,,\n")
    report = import_customers(runtime, path, ImportOptions(on_duplicate="skip"))
    assert (report.inserted, report.skipped) == (0, 1)
    [customer] = customers(runtime)
    assert customer["family_name"] == "Test" and customer["version"] == 1
    assert customer["emails"] == ["ali@example.com"]


def test_merge_never_moves_a_contact_owned_by_another_customer(runtime, make_customer, tmp_path):
    first = make_customer(emails=["a@example.com"])
    second = make_customer(phones=["09121111111"])
    import_customers(runtime, write(tmp_path, HEADER + "X,,a@example.com,09121111111,,\n"))
    by_id = {c["id"]: c for c in customers(runtime)}
    assert by_id[first.id]["phones"] == [] and by_id[second.id]["phones"] == ["+989121111111"]


def test_dry_run_writes_nothing_and_reports_what_a_real_run_does(runtime, tmp_path):
    path = write(
        tmp_path,
        HEADER + "".join(f"N{i},,n{i % 4}@example.com,,,\n" for i in range(10)) + "Bad,,bad,,,\n",
    )
    dry = import_customers(runtime, path, ImportOptions(dry_run=True, batch_size=3))
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)) == 0
    real = import_customers(runtime, path, ImportOptions(batch_size=3))
    assert dry.dry_run and (dry.inserted, dry.merged, dry.rejected) == (
        real.inserted,
        real.merged,
        real.rejected,
    ) == (4, 6, 1)


def test_one_audit_entry_per_batch_summarises_the_ids(runtime, tmp_path):
    path = write(tmp_path, HEADER + "".join(f"N{i},,n{i}@example.com,,,\n" for i in range(5)))
    report = import_customers(runtime, path, ImportOptions(batch_size=2))
    with runtime.sessionmaker() as session:
        entries = session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
    assert [(e.action, e.object_type, e.after["count"]) for e in entries] == [
        ("import", "customer", 2)
    ] * 2 + [("import", "customer", 1)]
    ids = [c["id"] for c in customers(runtime)]
    assert entries[0].after["ids"] == ids[:2] and entries[2].after["ids"] == [ids[4], ids[4]]
    assert report.first_id == ids[0] and report.last_id == ids[-1]


def _poison_trigger(runtime: Any) -> None:
    """A database rule that refuses one email, so a batch fails in the database itself."""
    with runtime.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON core_customer_email WHEN NEW.email = 'poison@example.com' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
                "IF NEW.email = 'poison@example.com' THEN RAISE EXCEPTION 'poisoned row' USING ERRCODE = '23514'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON core_customer_email "
                "FOR EACH ROW EXECUTE FUNCTION poison()"
            )


def test_database_failure_inside_a_batch_keeps_its_good_rows(runtime, tmp_path):
    _poison_trigger(runtime)
    rows = "".join(f"N{i},,n{i}@example.com,,,\n" for i in range(6)) + "P,,poison@example.com,,,\n"
    rows += "".join(f"M{i},,m{i}@example.com,,,\n" for i in range(3))
    report = import_customers(
        runtime, write(tmp_path, HEADER + rows), ImportOptions(batch_size=100)
    )
    assert (report.inserted, report.rejected) == (9, 1)
    assert report.rejects[0].line == 8 and "poisoned row" in report.rejects[0].reason
    assert len(customers(runtime)) == 9


def test_mapping_option_and_automatic_english_headers(runtime, tmp_path):
    text = "First Name,Surname,Cell,E-mail,Company,Notes\nAli,Rezaei,09121111111,a@example.com,Acme,hi\n"
    report = import_customers(
        runtime, write(tmp_path, text), ImportOptions(mapping={"Cell": "phone"})
    )
    assert report.mapping == {
        "First Name": "given_name",
        "Surname": "family_name",
        "Cell": "phone",
        "E-mail": "email",
        "Company": "organization_name",
    }
    assert report.ignored_columns == ["Notes"]
    [customer] = customers(runtime)
    assert (customer["kind"], customer["organization_name"], customer["phones"]) == (
        "person",
        "Acme",
        ["+989121111111"],
    )


def test_too_long_names_and_tags_are_rejected_with_the_field(runtime, tmp_path):
    long_name = "x" * 121
    text = (
        HEADER
        + f"{long_name},,a@example.com,,,\nOk,,b@example.com,,,{'t' * 65}\nFine,,c@example.com,,,\n"
    )
    report = import_customers(runtime, write(tmp_path, text))
    assert [(r.line, r.reason) for r in report.rejects] == [
        (2, "given_name is longer than 120 characters"),
        (3, "a tag is longer than 64 characters"),
    ]
    assert report.inserted == 1


def test_consent_columns_record_marketing_consent(runtime, tmp_path):
    from payvand.core.models import CustomerConsent

    text = (
        "name,email,newsletter,sms consent\nAli,a@example.com,بله,no\nSara,s@example.com,,maybe\n"
    )
    report = import_customers(runtime, write(tmp_path, text))
    assert report.inserted == 1 and report.rejects[0].reason == "'maybe' is not yes or no"
    with runtime.sessionmaker() as session:
        rows = session.execute(
            sa.select(
                CustomerConsent.channel, CustomerConsent.granted, CustomerConsent.source
            ).order_by(CustomerConsent.channel)
        ).all()
    assert rows == [("email", True, "import:customers.csv"), ("sms", False, "import:customers.csv")]


def test_organization_rows_get_their_kind_and_name(runtime, tmp_path):
    text = "organization,kind,lifecycle stage,email\nشركت پیوند,حقوقی,مشتری,info@payvand.ir\nAcme,,lead,\n"
    report = import_customers(runtime, write(tmp_path, text))
    assert report.inserted == 2
    rows = customers(runtime)
    assert [(c["kind"], c["display_name"], c["lifecycle_stage"]) for c in rows] == [
        ("organization", "شرکت پیوند", "customer"),
        ("organization", "Acme", "lead"),
    ]


def test_unknown_mapping_column_or_field_stops_before_writing(runtime, tmp_path):
    path = write(tmp_path, HEADER + "Ali,,a@example.com,,,\n")
    with pytest.raises(CannotImport, match="no column 'Nope'"):
        import_customers(runtime, path, ImportOptions(mapping={"Nope": "email"}))
    with pytest.raises(CannotImport, match="unknown field 'colour'"):
        import_customers(runtime, path, ImportOptions(mapping={"email": "colour"}))
    with pytest.raises(CannotImport, match="no column maps to a name, email or phone"):
        import_customers(runtime, write(tmp_path, "a,b\n1,2\n", "x.csv"))
    with pytest.raises(CannotImport, match="is empty"):
        import_customers(runtime, write(tmp_path, "", "empty.csv"))
    assert customers(runtime) == []


def test_text_and_binary_streams_are_accepted(runtime):
    import_customers(runtime, io.StringIO("name,email\nAli Rezaei,a@example.com\n"))
    import_customers(runtime, io.BytesIO(b"name;email\nSara Ahmadi;s@example.com\n"))
    assert [(c["given_name"], c["family_name"]) for c in customers(runtime)] == [
        ("Ali", "Rezaei"),
        ("Sara", "Ahmadi"),
    ]


def test_progress_is_reported_after_each_batch(runtime, tmp_path):
    path = write(tmp_path, HEADER + "".join(f"N{i},,n{i}@example.com,,,\n" for i in range(5)))
    seen: list[Any] = []
    import_customers(runtime, path, ImportOptions(batch_size=2), progress=seen.append)
    assert [p.rows for p in seen] == [2, 4, 5]
    assert seen[-1].bytes_read == seen[-1].total_bytes == path.stat().st_size


class BatchProbe:
    """A plugin recording the size of every customer batch it is told about."""

    meta = PluginMeta(name="import_probe", version="1.0.0", title="Import probe")

    @hookimpl
    def payvand_customer_fields(self) -> list[Any]:
        """A custom field the import can fill."""
        return [CustomerField("import_probe.segment", type="choice", choices=["gold", "silver"])]

    def __init__(self) -> None:
        self.created: list[int] = []
        self.updated: list[list[int]] = []

    @hookimpl
    def payvand_customer_created(self, customers: list[Any]) -> None:
        """Record the batch size."""
        self.created.append(len(customers))

    @hookimpl
    def payvand_customer_updated(self, customers: list[Any], changes: dict[int, Any]) -> None:
        """Record which customers were changed."""
        self.updated.append(sorted(changes))


class TestEvents:
    """Plugins hear about imported customers once per batch, through the outbox."""

    @pytest.fixture
    def probe(self) -> BatchProbe:
        return BatchProbe()

    @pytest.fixture
    def payvand_plugins(self, probe: BatchProbe) -> list[Any]:
        return [probe]

    def test_created_event_is_delivered_once_per_batch(self, runtime, run_jobs, probe, tmp_path):
        path = write(tmp_path, HEADER + "".join(f"N{i},,n{i}@example.com,,,\n" for i in range(7)))
        import_customers(runtime, path, ImportOptions(batch_size=3))
        assert run_jobs() == 3
        assert probe.created == [3, 3, 1]

    def test_custom_fields_declared_by_plugins_can_be_imported(self, runtime, tmp_path):
        text = "name,import_probe.segment\nAli,gold\nSara,bronze\n"
        report = import_customers(runtime, write(tmp_path, text))
        assert [r.line for r in report.rejects] == [3] and "import_probe.segment" in report.rejects[
            0
        ].reason
        mapped = write(tmp_path, "name,Tier\nReza,silver\n", "tier.csv")
        import_customers(runtime, mapped, ImportOptions(mapping={"Tier": "import_probe.segment"}))
        assert [c["attributes"] for c in customers(runtime)] == [
            {"import_probe.segment": "gold"},
            {"import_probe.segment": "silver"},
        ]

    def test_merged_customers_get_one_updated_event_per_batch(
        self, runtime, run_jobs, probe, make_customer, tmp_path
    ):
        a = make_customer(emails=["a@example.com"])
        b = make_customer(emails=["b@example.com"])
        run_jobs()
        probe.created.clear()
        path = write(
            tmp_path, HEADER + ",,a@example.com,,,x\n,,b@example.com,,,y\nNew,,c@example.com,,,\n"
        )
        import_customers(runtime, path)
        run_jobs()
        assert probe.updated == [sorted([a.id, b.id])] and probe.created == [1]


@given(
    st.sampled_from(["person", "organization"]),
    *[st.one_of(st.none(), st.text(alphabet="ab Aيكیک\u200c\u064bß ّ1۱", min_size=1, max_size=8))]
    * 3,
)
@settings(max_examples=300, deadline=None)
def test_cached_names_equal_the_service_names(kind, given_name, family, organization):
    assert customer_names(kind, given_name, family, organization) == names(
        kind, given_name, family, organization
    )


def test_birthdays_in_iso_and_jalali_with_persian_digits():
    assert parse_birthday("۱۹۹۰-۰۱-۰۲") == dt.date(1990, 1, 2)
    assert parse_birthday("1369/10/12") == dt.date(1991, 1, 2)
    assert jalali_to_gregorian(1403, 1, 1) == dt.date(2024, 3, 20)
    assert jalali_to_gregorian(1399, 12, 30) == dt.date(2021, 3, 20)
    with pytest.raises(ValueError):
        jalali_to_gregorian(1400, 12, 30)


def test_export_csv_round_trips_through_the_importer(runtime, make_customer, tmp_path):
    make_customer(
        given_name="علی",
        family_name="رضایی",
        emails=["a@example.com", "b@example.com"],
        phones=["09121111111"],
        tags=["vip", "تهران"],
        birthday="1990-01-02",
    )
    out = io.StringIO()
    assert export_customers(runtime.sessionmaker, out, "csv") == 1
    text = out.getvalue()
    assert (
        "علی,رضایی,,علی رضایی,a@example.com|b@example.com,+989121111111,vip|تهران,1990-01-02"
        in text
    )
    path = write(tmp_path, text, "export.csv", encoding="utf-8-sig")
    report = import_customers(runtime, path, ImportOptions(on_duplicate="skip"))
    assert (report.rows, report.skipped, report.rejected) == (1, 1, 0)
    assert report.mapping["id"] == "external_id" and report.mapping["referred_by_id"] == "referrer_external_id"
    assert "owner_id" in report.ignored_columns


def test_export_jsonl_lists_contacts_and_leaves_out_merged_customers(runtime, make_customer):
    from payvand.core.audit import SYSTEM
    from payvand.core.services.merge import merge_customers

    keep = make_customer(given_name="Keep", emails=["k@example.com"], tags=["t"])
    gone = make_customer(given_name="Gone", emails=["g@example.com"])
    with runtime.sessionmaker.begin() as session:
        merge_customers(
            session,
            session.get(Customer, keep.id),
            session.get(Customer, gone.id),
            SYSTEM,
            runtime.plugins,
        )
    out = io.StringIO()
    assert export_customers(runtime.sessionmaker, out, "jsonl") == 1
    [line] = out.getvalue().splitlines()
    data = json.loads(line)
    assert (
        data["id"] == keep.id
        and data["emails"] == ["k@example.com", "g@example.com"]
        and data["tags"] == ["t"]
    )


def test_a_key_filter_false_positive_is_confirmed_against_the_database(runtime):
    from payvand.core.importing.mapping import build_mapping
    from payvand.core.importing.records import RowParser
    from payvand.core.importing.writer import BatchWriter

    parser = RowParser(build_mapping(["name", "email"]), "IR")
    with BatchWriter(runtime.sessionmaker) as writer:
        writer.write([parser.parse(2, ["Ali", "a@example.com"])])
        assert writer.keys.filter is not None
        writer.keys.filter.bits[:] = b"\xff" * len(writer.keys.filter.bits)  # every key looks known
        outcome = writer.write([parser.parse(3, ["Sara", "s@example.com"])])
    assert len(outcome.inserted_ids) == 1 and outcome.merged == []
    assert [c["emails"] for c in customers(runtime)] == [["a@example.com"], ["s@example.com"]]


def test_returning_fallback_gives_ids_in_row_order(runtime):
    from payvand.core.importing.tables import insert_returning_ids

    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "kind": "person",
            "given_name": f"N{i}",
            "display_name": f"N{i}",
            "search_name": f"n{i}",
            "search_name_alt": f"n{i}",
            "lifecycle_stage": "prospect",
            "attributes": {},
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for i in range(5)
    ]
    with runtime.engine.begin() as connection:
        ids = insert_returning_ids(connection, rows)
    assert [
        c["given_name"] for c in sorted(customers(runtime), key=lambda c: ids.index(c["id"]))
    ] == [f"N{i}" for i in range(5)]


def test_on_postgresql_rows_go_in_through_copy_not_insert(runtime, tmp_path, payvand_database):
    if payvand_database != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    statements: list[str] = []
    sa.event.listen(runtime.engine, "before_cursor_execute",
                    lambda _c, _cur, statement, *_: statements.append(statement))
    rows = "".join(f"N{i},,n{i}@example.com,,,\n" for i in range(30))
    report = import_customers(runtime, write(tmp_path, HEADER + rows), ImportOptions(batch_size=10))
    assert report.inserted == 30 and len(customers(runtime)) == 30
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO CORE_CUSTOMER")]
    assert inserts == []  # customers and their emails went through COPY (which no statement event sees)
    assert any("core_audit_log" in s for s in statements)  # the audit entry is an ordinary statement


def test_copy_round_trips_awkward_values_on_postgresql(runtime, payvand_database):
    """What the importer COPYs (escapes, NULLs, timestamps with offsets, JSON, decimals) reads back as given."""
    if payvand_database != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    import datetime as dt
    import decimal

    from sqlalchemy.dialects.postgresql import JSONB

    from payvand.core.importing.tables import BulkInsert, processor

    table = sa.Table("copy_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("text", sa.Text), sa.Column("flag", sa.Boolean), sa.Column("at", sa.DateTime(timezone=True)),
                     sa.Column("day", sa.Date), sa.Column("doc", JSONB), sa.Column("amount", sa.Numeric(20, 4)))
    awkward = ["tab\there", "new\nline", "back\\slash \\N", "cr\rlf", "\\.", "سلام «نقل»", "", "'quote\"", "\\"]
    at = dt.datetime(2026, 12, 7, 4, 5, 6, 789, tzinfo=dt.timezone(dt.timedelta(hours=3, minutes=30)))
    doc = {"k": "v\n\"\\", "n": [1, None], "fa": "سلام"}
    with runtime.engine.begin() as connection:
        table.create(connection)
        to_json = processor(table.c.doc, connection.dialect)
        rows = [(i, text, i % 2 == 0, at, dt.date(1999, 12, 31), to_json(doc if i % 2 else {}),
                 decimal.Decimal("1234.5678")) for i, text in enumerate(awkward)]
        rows.append((len(awkward), None, None, None, None, None, None))
        BulkInsert(table, [c.name for c in table.c], connection.dialect).run(connection, rows)
        back = connection.execute(sa.select(table).order_by(table.c.id)).all()
        table.drop(connection)
    assert [r.text for r in back] == [*awkward, None]
    assert [r.flag for r in back] == [i % 2 == 0 for i in range(len(awkward))] + [None]
    assert {r.at for r in back[:-1]} == {at} and {r.day for r in back[:-1]} == {dt.date(1999, 12, 31)}
    assert [r.doc for r in back[:-1]] == [doc if i % 2 else {} for i in range(len(awkward))]
    assert {r.amount for r in back[:-1]} == {decimal.Decimal("1234.5678")}
    assert back[-1].doc is None and back[-1].at is None


def test_bulk_insert_converts_values_by_column_type_and_reserved_ids_are_used(runtime, payvand_database):
    """`bulk_insert` (COPY on PostgreSQL, multi-row INSERT on SQLite): JSON of strings, numbers and
    booleans kept apart (1, 1.0 and True are equal dict values but different JSON), aware timestamps."""
    import datetime as dt

    from payvand.core.db import table_of
    from payvand.core.importing.tables import bulk_insert, sequence_ids
    from payvand.core.models import AuditLog

    table = table_of(AuditLog)
    at = dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=3, minutes=30)))
    documents = [{"n": 1}, {"n": True}, {"n": 1.5}, {"n": "1"}, {"k": "v\n\\\t"}, {}, {"n": "1"}]
    columns = ("id", "at", "actor_label", "action", "object_type", "object_id", "before", "after")
    with runtime.engine.begin() as connection:
        ids = sequence_ids(connection, table, len(documents))
        if payvand_database == "postgresql":
            assert ids is not None and len(set(ids)) == len(documents) and ids == sorted(ids)
        else:
            assert ids is None
            ids = list(range(1001, 1001 + len(documents)))
        rows = [(i, at, "system", "probe", "thing", str(n), doc, None)
                for n, (i, doc) in enumerate(zip(ids, documents, strict=True))]
        assert bulk_insert(connection, table, columns, rows) == len(documents)
        back = connection.execute(sa.select(table.c.id, table.c.at, table.c.before).where(table.c.action == "probe")
                                  .order_by(table.c.id)).all()
    assert [row.id for row in back] == ids
    assert [row.before for row in back] == documents
    assert [type(row.before.get("n")) for row in back] == [int, bool, float, str, type(None), type(None), str]
    assert {row.at for row in back} == {at}


def test_copy_text_lines_arrive_as_bulk_insert_would_write_them(runtime, payvand_database):
    """`copy_formatter` + `bulk_insert_text` (PostgreSQL): the same rows as `bulk_insert` gives — JSON
    kept apart by type, escapes, aware timestamps, NULLs; elsewhere `bulk_insert_text` refuses."""
    import datetime as dt

    from payvand.core.db import table_of
    from payvand.core.importing.tables import bulk_insert_text, copy_formatter, sequence_ids
    from payvand.core.models import AuditLog

    table = table_of(AuditLog)
    at = dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=3, minutes=30)))
    documents = [{"n": 1}, {"n": True}, {"n": 1.5}, {"k": "v\n\\\t"}, {}, None]
    labels = ["plain", "tab\there", "back\\slash \\N", "line\nend", "سلام", ""]
    columns = ("id", "at", "actor_label", "action", "object_type", "object_id", "before", "after")
    line = copy_formatter(table, columns)  # no connection needed
    with runtime.engine.begin() as connection:
        if payvand_database != "postgresql":
            with pytest.raises(RuntimeError):
                bulk_insert_text(connection, table, columns, ["1\tx"])
            return
        ids = sequence_ids(connection, table, len(documents))
        assert ids is not None
        rows = [(i, at, label, "probe", "thing", str(n), doc, {"done": True})
                for n, (i, doc, label) in enumerate(zip(ids, documents, labels, strict=True))]
        assert bulk_insert_text(connection, table, columns, [line(row) for row in rows]) == len(rows)
        back = connection.execute(sa.select(table.c.id, table.c.at, table.c.actor_label, table.c.before,
                                            table.c.after).where(table.c.action == "probe").order_by(table.c.id)).all()
    assert [row.id for row in back] == ids
    assert [row.before for row in back] == documents
    assert [type((row.before or {}).get("n")) for row in back] == [int, bool, float, type(None), type(None), type(None)]
    assert [row.actor_label for row in back] == labels
    assert {row.at for row in back} == {at} and {str(row.after) for row in back} == {"{'done': True}"}


def test_values_copy_must_escape_arrive_as_written(runtime, tmp_path):
    r"""Names and tags with a backslash, `\N`, `\.` or the \x01 the COPY text uses for an id read back
    as written, both from text the reader built and from text rebuilt after a duplicate was absorbed."""
    rows = [
        ["O\\Brien", "\\N", "a@example.com", "", "", "back\\slash|\\."],
        ["Zahra", "x\x01y", "b@example.com", "", "", "plain"],
        ["", "", "b@example.com", "09121234567", "", "second\\tag"],  # absorbed into line 3: rebuilt
    ]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    report = import_customers(runtime, write(tmp_path, HEADER + text.getvalue()), ImportOptions(batch_size=10))
    assert (report.inserted, report.merged, report.rejected) == (2, 1, 0)
    first, second = customers(runtime)
    assert (first["given_name"], first["family_name"], first["display_name"]) == ("O\\Brien", "\\N", "O\\Brien \\N")
    assert first["search_name"] == names("person", "O\\Brien", "\\N", None)[1]
    assert sorted(first["tags"]) == ["\\.", "back\\slash"]
    assert second["family_name"] == "x\x01y" and second["phones"] == ["+989121234567"]
    assert sorted(second["tags"]) == ["plain", "second\\tag"]
