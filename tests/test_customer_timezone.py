"""The customer's time zone: a column validated with zoneinfo, through the API, the staff form,
the import and export, quiet hours, and the migration that copies `attributes.timezone`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from payvand.core.models import Customer


def _zone(runtime, customer_id: int) -> str | None:
    with runtime.sessionmaker() as session:
        return session.scalar(sa.select(Customer.timezone).where(Customer.id == customer_id))


def test_the_api_takes_a_known_zone_refuses_an_unknown_one_and_clears_it(api):
    created = api.post("customers", json={"given_name": "Sara", "timezone": "Europe/Berlin"})
    assert created.status_code == 201, created.json
    assert created.json["timezone"] == "Europe/Berlin"
    customer_id = created.json["id"]
    for bad in ("Mars/Olympus", "../../etc/passwd", " Asia/Tehran", "", "x" * 65):
        refused = api.patch(f"customers/{customer_id}", json={"timezone": bad})
        assert refused.status_code == 422, bad
        assert "timezone" in str(refused.json), refused.json
    assert api.get(f"customers/{customer_id}").json["timezone"] == "Europe/Berlin"
    cleared = api.patch(f"customers/{customer_id}", json={"timezone": None})
    assert cleared.status_code == 200 and cleared.json["timezone"] is None
    assert api.post("customers", json={"given_name": "Ali"}).json["timezone"] is None


def test_the_staff_form_sets_shows_and_clears_the_zone(web, make_customer, runtime):
    created = web.post("/customers/new", {"given_name": "Ali", "timezone": "Asia/Dubai"})
    assert created.status_code == 302, created.text
    customer_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert _zone(runtime, customer_id) == "Asia/Dubai"
    assert "Asia/Dubai" in web.get(f"/customers/{customer_id}").text
    form = web.get(f"/customers/{customer_id}/edit")
    assert 'name="timezone"' in form.text and 'value="Asia/Dubai"' in form.text
    wrong = web.post(f"/customers/{customer_id}/edit", {"given_name": "Ali", "timezone": "Asia/Nowhere",
                                                        "lifecycle_stage": "prospect", "kind": "person"})
    assert wrong.status_code == 422 and "Unknown time zone" in wrong.text
    cleared = web.post(f"/customers/{customer_id}/edit", {"given_name": "Ali", "timezone": "",
                                                          "lifecycle_stage": "prospect", "kind": "person"})
    assert cleared.status_code == 302
    assert _zone(runtime, customer_id) is None


def test_quiet_hours_follow_the_column_else_the_site_zone(runtime, make_customer):
    from payvand.core.messaging import dispatch

    window = dispatch.quiet_hours({"PAYVAND_QUIET_HOURS": "21:00-08:00"})
    night_in_tehran = dt.datetime(2026, 12, 7, 23, 30, tzinfo=ZoneInfo("Asia/Tehran"))
    tokyo = make_customer(given_name="Kenji", timezone="Asia/Tokyo")
    with runtime.sessionmaker() as session:
        zone = dispatch._zone(session.get(Customer, tokyo.id).timezone, ZoneInfo("Asia/Tehran"))
    assert str(zone) == "Asia/Tokyo"
    # 23:30 in Tehran is 05:00 next day in Tokyo: quiet there until 08:00 Tokyo time
    assert dispatch.quiet_until(night_in_tehran, zone, window) == dt.datetime(2026, 12, 8, 8, 0,
                                                                              tzinfo=ZoneInfo("Asia/Tokyo"))
    assert dispatch._zone(None, ZoneInfo("Asia/Tehran")) == ZoneInfo("Asia/Tehran")


def test_the_migration_copies_valid_attribute_zones_into_the_column(runtime, make_customer):
    from alembic import command

    from payvand.core.migrations.runner import branch_config, core_at_head, upgrade

    berlin = make_customer(given_name="A")
    bogus = make_customer(given_name="B")
    plain = make_customer(given_name="C")
    with runtime.engine.begin() as connection:
        command.downgrade(branch_config(connection), "de0bcf085995")
    assert "timezone" not in {c["name"] for c in sa.inspect(runtime.engine).get_columns("core_customer")}
    table = sa.table("core_customer", sa.column("id"), sa.column("attributes", sa.JSON()))
    with runtime.engine.begin() as connection:
        for customer_id, attributes in ((berlin.id, {"timezone": "Europe/Berlin", "x": 1}),
                                        (bogus.id, {"timezone": "Not/AZone"}), (plain.id, {"y": 2})):
            if runtime.engine.dialect.name == "postgresql":
                connection.execute(sa.text("UPDATE core_customer SET attributes = CAST(:a AS jsonb) WHERE id = :i"),
                                   {"a": __import__("json").dumps(attributes), "i": customer_id})
            else:
                connection.execute(sa.update(table).where(table.c.id == customer_id).values(attributes=attributes))
    upgrade(runtime.engine)
    assert core_at_head(runtime.engine)
    assert [_zone(runtime, c.id) for c in (berlin, bogus, plain)] == ["Europe/Berlin", None, None]
    with runtime.sessionmaker() as session:  # the attribute is left as it was
        assert session.get(Customer, berlin.id).attributes == {"timezone": "Europe/Berlin", "x": 1}


@pytest.mark.parametrize("merge_zone", [None, "Asia/Kabul"])
def test_a_merge_fills_an_empty_zone_from_the_source(runtime, make_customer, merge_zone):
    from payvand.core.actor import SYSTEM
    from payvand.core.services.merge import merge_customers

    target = make_customer(given_name="T", timezone=merge_zone)
    source = make_customer(given_name="S", timezone="Europe/Paris")
    with runtime.sessionmaker.begin() as session:
        merge_customers(session, session.get(Customer, target.id), session.get(Customer, source.id), SYSTEM,
                        runtime.plugins)
    assert _zone(runtime, target.id) == (merge_zone or "Europe/Paris")


def test_an_import_reads_a_time_zone_column_and_rejects_an_unknown_zone(runtime, tmp_path):
    from payvand.core.importer import ImportOptions, import_customers

    path = tmp_path / "people.csv"
    path.write_text("name,email,time zone\nSara,sara@example.com,Europe/London\nAli,ali@example.com,Tehran\n"
                    "Reza,reza@example.com,\n", encoding="utf-8")
    report = import_customers(runtime, path, ImportOptions())
    assert (report.inserted, report.rejected) == (2, 1)
    [reject] = report.rejects
    assert (reject.line, reject.code) == (3, "invalid_timezone")
    assert "'Tehran' is not an IANA time zone" in reject.reason
    with runtime.sessionmaker() as session:
        zones = dict(session.execute(sa.select(Customer.given_name, Customer.timezone)).all())
    assert zones == {"Sara": "Europe/London", "Reza": None}


def test_an_export_has_the_zone_and_an_export_made_before_the_column_still_imports_unguarded(runtime, make_customer,
                                                                                             tmp_path):
    import csv
    import io

    from customer_csv import export_text, import_text, wipe_customers

    from payvand.core.importing.guard import EXPORT_HEADER, guarded_indexes, is_payvand_export

    make_customer(given_name="=SUM(1)", timezone="America/New_York")
    rows = list(csv.DictReader(io.StringIO(export_text(runtime))))
    assert rows[0]["timezone"] == "America/New_York" and rows[0]["given_name"] == "'=SUM(1)"
    old_header = [name for name in EXPORT_HEADER if name not in ("timezone", "referred_by_id", "addresses")]
    assert is_payvand_export(old_header) and guarded_indexes(old_header)[0] == old_header.index("given_name")
    out = io.StringIO()
    writer = csv.DictWriter(out, old_header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    wipe_customers(runtime)
    import_text(runtime, tmp_path / "old.csv", out.getvalue())
    with runtime.sessionmaker() as session:
        assert session.execute(sa.select(Customer.given_name, Customer.timezone)).one() == ("=SUM(1)", None)
