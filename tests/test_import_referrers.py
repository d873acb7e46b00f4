"""The customer import's referrer columns (`payvand.core.importing.referrers`), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.importer import ImportOptions, import_customers
from payvand.core.models import AuditLog, Customer, OutboxEvent


def write(tmp_path: Path, text: str, name: str = "customers.csv") -> Path:
    """Write a CSV fixture file (UTF-8)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def referrers(runtime: Any) -> dict[str, str | None]:
    """`{given name: the referrer's given name or None}` for every customer."""
    with runtime.sessionmaker() as session:
        rows = session.execute(sa.select(Customer.id, Customer.given_name, Customer.referred_by_id)).all()
    names = {row.id: row.given_name for row in rows}
    return {row.given_name: names.get(row.referred_by_id) for row in rows}


def refused(report: Any) -> list[tuple[int, str]]:
    """The refused referrers of a report as (line, reason code)."""
    return [(r.line, r.code) for r in report.referrer_rejects]


def test_referrer_by_email_names_a_customer_later_in_the_file(runtime, tmp_path):
    path = write(tmp_path, "given_name,email,referrer_email\n"
                           "Ali,ali@example.com,sara@example.com\n"
                           "Sara,sara@example.com,\n"
                           "Reza,reza@example.com,SARA@Example.com\n")
    report = import_customers(runtime, path)
    assert (report.inserted, report.rejected, report.referrers, report.referrers_refused) == (3, 0, 2, 0)
    assert referrers(runtime) == {"Ali": "Sara", "Sara": None, "Reza": "Sara"}


def test_referrer_by_phone_names_an_existing_customer(runtime, make_customer, tmp_path):
    make_customer(given_name="Old", phones=["09121111111"])
    path = write(tmp_path, "given_name,mobile,referrer_phone\n"
                           "New,09122222222,+98 912 111 1111\n")
    report = import_customers(runtime, path)
    assert (report.inserted, report.referrers) == (1, 1)
    assert referrers(runtime) == {"Old": None, "New": "Old"}


def test_referrer_by_external_id_names_rows_of_the_same_file(runtime, tmp_path):
    path = write(tmp_path, "external_id,given_name,email,referrer_external_id\n"
                           "C-1,Ali,ali@example.com,C-3\n"
                           "C-2,Sara,sara@example.com,C-1\n"
                           "C-3,Reza,reza@example.com,\n")
    report = import_customers(runtime, path)
    assert report.mapping["external_id"] == "external_id"
    assert (report.referrers, report.referrers_refused) == (2, 0)
    assert referrers(runtime) == {"Ali": "Reza", "Sara": "Ali", "Reza": None}


def test_external_id_is_tried_before_email_then_phone(runtime, make_customer, tmp_path):
    make_customer(given_name="ByEmail", emails=["e@example.com"])
    make_customer(given_name="ByPhone", phones=["09121111111"])
    path = write(tmp_path, "id,given_name,email,referrer_id,referrer_email,referrer_phone\n"
                           "7,First,first@example.com,8,e@example.com,09121111111\n"
                           "8,Second,second@example.com,unknown,e@example.com,09121111111\n"
                           "9,Third,third@example.com,,nobody@example.com,09121111111\n")
    report = import_customers(runtime, path)
    assert report.referrers == 3
    assert referrers(runtime) == {"ByEmail": None, "ByPhone": None, "First": "Second",
                                  "Second": "ByEmail", "Third": "ByPhone"}


def test_bad_referrers_are_reported_with_their_line_and_the_rows_still_imported(runtime, make_customer, tmp_path):
    gone = make_customer(given_name="Gone", emails=["gone@example.com"])
    with runtime.sessionmaker.begin() as session:  # as a merge leaves a source: merged away
        keep = make_customer(given_name="Keep", emails=["keep@example.com"])
        session.execute(sa.update(Customer).where(Customer.id == gone.id).values(merged_into_id=keep.id))
    path = write(tmp_path, "given_name,email,referrer_email,referrer_phone\n"
                           "Unknown,u@example.com,nobody@example.com,\n"
                           "Self,self@example.com,self@example.com,\n"
                           "Merged,m@example.com,gone@example.com,\n"
                           "BadEmail,b@example.com,not-an-email,\n"
                           "BadPhone,p@example.com,,12345\n"
                           "Fine,f@example.com,keep@example.com,\n")
    rejects = tmp_path / "rejects.csv"
    report = import_customers(runtime, path, ImportOptions(rejects=rejects))
    assert (report.inserted, report.rejected, report.referrers, report.referrers_refused) == (6, 0, 1, 5)
    assert refused(report) == [(2, "unknown_referrer"), (3, "self_referral"), (4, "inactive_referrer"),
                               (5, "invalid_referrer_email"), (6, "invalid_referrer_phone")]
    assert report.referrer_rejects[0].reason.startswith("no customer in the file or the database")
    found = referrers(runtime)
    assert found["Fine"] == "Keep"
    assert [found[n] for n in ("Unknown", "Self", "Merged", "BadEmail", "BadPhone")] == [None] * 5
    with open(rejects, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["line", "reason", "reason_code"]
    assert rows[2][0] == "3" and rows[2][2] == "self_referral"
    assert rows[2][3:] == ["Self", "self@example.com", "self@example.com", ""]
    assert "referrers set 1, refused 5" in report.summary()


def test_an_erased_referrer_is_refused(runtime, make_customer, tmp_path):
    erased = make_customer(given_name="Erased", emails=["erased@example.com"])
    with runtime.sessionmaker.begin() as session:
        session.execute(sa.update(Customer).where(Customer.id == erased.id)
                        .values(erased_at=sa.func.current_timestamp()))
    path = write(tmp_path, "given_name,email,referrer_email\nNew,new@example.com,erased@example.com\n")
    report = import_customers(runtime, path)
    assert refused(report) == [(2, "inactive_referrer")]


def test_a_loop_in_the_file_refuses_the_link_of_its_latest_line(runtime, tmp_path):
    path = write(tmp_path, "given_name,email,referrer_email\n"
                           "A,a@example.com,b@example.com\n"
                           "B,b@example.com,c@example.com\n"
                           "C,c@example.com,a@example.com\n"
                           "D,d@example.com,a@example.com\n")
    report = import_customers(runtime, path)
    assert refused(report) == [(4, "referral_loop")]
    assert referrers(runtime) == {"A": "B", "B": "C", "C": None, "D": "A"}


def test_a_loop_through_existing_links_is_refused(runtime, make_customer, tmp_path):
    top = make_customer(given_name="Top", emails=["top@example.com"])
    make_customer(given_name="Mid", emails=["mid@example.com"], referred_by_id=top.id)
    path = write(tmp_path, "given_name,email,referrer_email\nTop,top@example.com,mid@example.com\n")
    report = import_customers(runtime, path)
    assert (report.merged, report.referrers) == (1, 0)
    assert refused(report) == [(2, "referral_loop")]
    assert referrers(runtime) == {"Top": None, "Mid": "Top"}


def test_an_existing_referrer_is_kept_and_a_reimport_changes_nothing(runtime, make_customer, tmp_path):
    first = make_customer(given_name="First", emails=["first@example.com"])
    make_customer(given_name="Linked", emails=["linked@example.com"], referred_by_id=first.id)
    path = write(tmp_path, "given_name,email,referrer_email\n"
                           "Linked,linked@example.com,new@example.com\n"
                           "New,new@example.com,first@example.com\n"
                           "Other,other@example.com,new@example.com\n")
    report = import_customers(runtime, path)
    assert (report.inserted, report.merged, report.referrers) == (2, 1, 2)
    expected = {"First": None, "Linked": "First", "New": "First", "Other": "New"}
    assert referrers(runtime) == expected
    with runtime.sessionmaker() as session:
        before = dict(session.execute(sa.select(Customer.id, Customer.version)).all())
        audits = session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
        outbox = session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent))
    again = import_customers(runtime, path)
    assert (again.inserted, again.merged, again.referrers, again.referrers_refused) == (0, 3, 0, 0)
    assert referrers(runtime) == expected
    with runtime.sessionmaker() as session:
        assert dict(session.execute(sa.select(Customer.id, Customer.version)).all()) == before
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audits
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)) == outbox


def test_setting_referrers_is_audited_and_sends_customer_updated(runtime, tmp_path):
    path = write(tmp_path, "given_name,email,referrer_email\nA,a@example.com,b@example.com\nB,b@example.com,\n")
    import_customers(runtime, path)
    with runtime.sessionmaker() as session:
        ids = dict(session.execute(sa.select(Customer.given_name, Customer.id)).all())
        entries = session.scalars(sa.select(AuditLog).where(AuditLog.action == "import")).all()
        version = session.scalar(sa.select(Customer.version).where(Customer.id == ids["A"]))
    updated = [e.after for e in entries if e.after and "referrers" in e.after]
    assert updated == [{"source": "import:customers.csv", "referrers": 1,
                        "updated": {str(ids["A"]): {"referred_by_id": [None, ids["B"]]}}}]
    assert version == 2


def test_the_first_good_referrer_of_rows_merged_into_one_customer_counts(runtime, make_customer, tmp_path):
    make_customer(given_name="R1", emails=["r1@example.com"])
    make_customer(given_name="R2", emails=["r2@example.com"])
    path = write(tmp_path, "given_name,email,referrer_email\n"
                           "Ali,ali@example.com,nobody@example.com\n"
                           "Ali,ali@example.com,r1@example.com\n"
                           "Ali,ali@example.com,r2@example.com\n")
    report = import_customers(runtime, path, ImportOptions(batch_size=2))
    assert (report.inserted, report.merged, report.referrers) == (1, 2, 1)
    assert refused(report) == [(2, "unknown_referrer")]
    assert referrers(runtime)["Ali"] == "R1"


def test_skipped_duplicates_set_no_referrer_but_can_be_named(runtime, make_customer, tmp_path):
    make_customer(given_name="Known", emails=["known@example.com"])
    path = write(tmp_path, "external_id,given_name,email,referrer_external_id\n"
                           "K,Known,known@example.com,N\n"
                           "N,New,new@example.com,K\n")
    report = import_customers(runtime, path, ImportOptions(on_duplicate="skip"))
    assert (report.inserted, report.skipped, report.referrers) == (1, 1, 1)
    assert referrers(runtime) == {"Known": None, "New": "Known"}


def test_a_dry_run_sets_no_referrer_but_checks_them(runtime, make_customer, tmp_path):
    make_customer(given_name="Old", emails=["old@example.com"])
    gone = make_customer(given_name="Gone", phones=["09121111111"])
    with runtime.sessionmaker.begin() as session:
        session.execute(sa.update(Customer).where(Customer.id == gone.id).values(erased_at=sa.func.current_timestamp()))
    path = write(tmp_path, "external_id,given_name,email,referrer_external_id,referrer_email,referrer_phone\n"
                           "N1,New,new@example.com,,old@example.com,\n"
                           "N2,Later,later@example.com,N5,,\n"
                           "N3,Self,self@example.com,,self@example.com,\n"
                           "N4,Nobody,nobody@example.com,,x@example.com,\n"
                           "N5,Forward,forward@example.com,,,09121111111\n"
                           "N6,Bad,bad@example.com,,,12\n")
    report = import_customers(runtime, path, ImportOptions(dry_run=True, batch_size=2))
    assert (report.inserted, report.referrers) == (6, 2)
    assert refused(report) == [(4, "self_referral"), (5, "unknown_referrer"), (6, "inactive_referrer"),
                               (7, "invalid_referrer_phone")]
    assert "referrers found 2, refused 4" in report.summary()
    assert referrers(runtime) == {"Old": None, "Gone": None}


def test_a_payvand_export_brings_its_referrals_into_an_empty_database(runtime, make_customer, tmp_path):
    import io

    from payvand.core.importing.export import export_customers

    top = make_customer(given_name="Top", emails=["top@example.com"])
    make_customer(given_name="Child", emails=["child@example.com"], referred_by_id=top.id)
    out = io.StringIO()
    export_customers(runtime.sessionmaker, out, "csv")
    with runtime.sessionmaker.begin() as session:
        session.execute(sa.update(Customer).values(referred_by_id=None))
        session.execute(sa.delete(Customer))
    report = import_customers(runtime, write(tmp_path, out.getvalue(), "export.csv"))
    assert (report.inserted, report.referrers) == (2, 1)
    assert referrers(runtime) == {"Top": None, "Child": "Top"}


@pytest.mark.parametrize("bulk", [True, False])
def test_sqlite_bulk_and_normal_paths_resolve_forward_references(runtime, tmp_path, bulk):
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("the bulk path is SQLite's")
    if bulk and runtime.engine.url.database in (None, "", ":memory:"):
        pytest.skip("the bulk path needs a database file")
    lines = ["given_name,email,referrer_email"]
    lines += [f"P{i},p{i}@example.com,p{i + 1}@example.com" for i in range(300)]
    report = import_customers(runtime, write(tmp_path, "\n".join(lines) + "\n"),
                              ImportOptions(bulk=bulk, batch_size=50))
    assert report.bulk is bulk
    assert (report.inserted, report.referrers, report.referrers_refused) == (300, 299, 1)
    assert refused(report) == [(301, "unknown_referrer")]
    found = referrers(runtime)
    assert found["P0"] == "P1" and found["P298"] == "P299" and found["P299"] is None


def test_the_postgresql_copy_path_resolves_forward_references(runtime, tmp_path):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    lines = ["external_id,given_name,email,referrer_external_id"]
    lines += [f"X{i},P{i},p{i}@example.com,X{(i + 1) % 60}" for i in range(60)]  # a loop through 60
    lines += [f"X{i},P{i},p{i}@example.com,X{i - 1}" for i in range(60, 300)]
    report = import_customers(runtime, write(tmp_path, "\n".join(lines) + "\n"),
                              ImportOptions(batch_size=50, reader_process=True))
    assert report.reader_process
    # the link of the loop's last line (line 61) closes it and is refused
    assert (report.inserted, report.referrers, refused(report)) == (300, 299, [(61, "referral_loop")])
    found = referrers(runtime)
    assert found["P0"] == "P1" and found["P59"] is None and found["P60"] == "P59" and found["P299"] == "P298"


def test_a_rejected_row_cannot_be_a_referrer(runtime, tmp_path):
    path = write(tmp_path, "external_id,given_name,email,referrer_external_id\n"
                           "A,Ali,ali@example.com,B\n"
                           "B,Bad,not-an-email,\n")
    report = import_customers(runtime, path)
    assert (report.inserted, report.rejected, [r.line for r in report.rejects]) == (1, 1, [3])
    assert refused(report) == [(2, "unknown_referrer")]
    assert referrers(runtime) == {"Ali": None}


def test_a_database_failure_while_setting_referrers_aborts_with_the_rows_kept(runtime, tmp_path):
    from payvand.core.importer import ImportAborted
    from payvand.core.importing import referrers as module

    path = write(tmp_path, "given_name,email,referrer_email\nA,a@example.com,b@example.com\nB,b@example.com,\n")
    broken = module._UPDATE.replace("referred_by_id = e.referrer_id", "referred_by_id = e.no_such_column")
    original, module._UPDATE = module._UPDATE, broken
    try:
        with pytest.raises(ImportAborted, match="while setting the referrers") as caught:
            import_customers(runtime, path)
    finally:
        module._UPDATE = original
    assert caught.value.report.inserted == 2
    assert referrers(runtime) == {"A": None, "B": None}
    again = import_customers(runtime, path)  # the temporary tables were dropped: a re-run completes the links
    assert (again.merged, again.referrers) == (2, 1)
    assert referrers(runtime) == {"A": "B", "B": None}
