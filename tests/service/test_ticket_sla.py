"""The tickets' SLA clocks in `service_ticket_sla` (service_0011): one row per ticket, loaded with it,
read by the overdue queue and the SLA check, and moved by the migration without losing a row."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from payvand.plugins.service.models import SlaPolicy, Ticket, TicketEntry, TicketSla, TicketTag
from payvand.sdk import UTCDateTime

CLOCK = ("first_response_due_at", "next_response_due_at", "resolution_due_at", "sla_warned", "sla_breached")


def _clocks(session, ids) -> dict[int, tuple]:
    rows = session.execute(sa.select(TicketSla.ticket_id, *(getattr(TicketSla, c) for c in CLOCK))
                           .where(TicketSla.ticket_id.in_(ids))).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_every_new_ticket_has_its_clock_and_loads_it_in_the_same_statement(api, runtime, make_customer, in_app):
    with in_app() as session:
        session.add(SlaPolicy(name="All", position=1, first_response_minutes=60, resolution_minutes=600))
    customer = make_customer()
    made = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "clock"}).get_json()
    assert made["resolution_due_at"] and made["first_response_due_at"] and made["sla_breached"] is False
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with runtime.sessionmaker() as session:
        sa.event.listen(runtime.engine, "before_cursor_execute", seen)
        try:
            ticket = session.get(Ticket, made["id"])
            assert ticket is not None and ticket.sla is not None
            due = ticket.resolution_due_at
        finally:
            sa.event.remove(runtime.engine, "before_cursor_execute", seen)
        assert len(statements) == 1 and "service_ticket_sla" in statements[0]
        assert due.isoformat().startswith(made["resolution_due_at"][:19])
        assert session.get(TicketSla, made["id"]).resolution_due_at == due
    # the columns are gone from the ticket row
    columns = {c["name"] for c in sa.inspect(runtime.engine).get_columns("service_ticket")}
    assert not columns & set(CLOCK)


def test_deleting_a_ticket_deletes_its_clock(in_app, make_customer):
    customer = make_customer()
    with in_app() as session:
        ticket = Ticket(customer_id=customer.id, subject="gone", resolution_due_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        session.add(ticket)
        session.flush()
        ticket_id = ticket.id
        assert session.get(TicketSla, ticket_id).resolution_due_at == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with in_app() as session:
        session.delete(session.get(Ticket, ticket_id))
    with in_app() as session:
        assert session.get(TicketSla, ticket_id) is None


def test_the_overdue_queue_lists_exactly_the_late_unfinished_tickets(in_app, api, make_customer):
    customer = make_customer()
    now = dt.datetime.now(dt.UTC)
    past, future = now - dt.timedelta(hours=1), now + dt.timedelta(hours=5)
    cases = {  # subject: (status, first_response_at, paused_at, first due, next due, resolution due)
        "unanswered late": ("open", None, None, past, None, future),
        "next response late": ("open", now, None, past, past, future),
        "resolution late": ("open", now, None, past, None, past),
        "answered in time": ("open", now, None, past, None, future),
        "paused past due": ("pending", now, now, past, None, past),
        "solved late": ("solved", None, None, past, past, past),
        "no clock": ("new", None, None, None, None, None),
    }
    with in_app() as session:
        for subject, (status, answered, paused, first, following, resolution) in cases.items():
            session.add(Ticket(customer_id=customer.id, subject=subject, status=status, first_response_at=answered,
                               paused_at=paused, first_response_due_at=first, next_response_due_at=following,
                               resolution_due_at=resolution))
    page = api.get("/api/v1/service/tickets?queue=overdue").get_json()
    assert sorted(t["subject"] for t in page["items"]) == ["next response late", "resolution late", "unanswered late"]
    late = {t["subject"]: t for t in page["items"]}
    assert late["resolution late"]["resolution_due_at"] and late["unanswered late"]["next_response_due_at"] is None


def test_the_check_marks_the_clock_once(in_app, make_customer, runtime):
    from payvand.plugins.service.services.sla import check

    customer = make_customer()
    now = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    with in_app() as session:
        late = Ticket(customer_id=customer.id, subject="late", status="open",
                      resolution_due_at=now - dt.timedelta(minutes=1))
        done = Ticket(customer_id=customer.id, subject="done", status="closed",
                      resolution_due_at=now - dt.timedelta(minutes=1))
        session.add_all([late, done])
        session.flush()
        ids = (late.id, done.id)
    with in_app() as session:
        assert check(session, now) == {"warned": 0, "breached": 1}
    with in_app() as session:
        assert check(session, now) == {"warned": 0, "breached": 0}
        clocks = _clocks(session, ids)
    assert clocks[ids[0]][4] is True and clocks[ids[1]][4] is False


def test_the_migration_moves_every_clock_and_keeps_the_conversation(runtime, api, make_customer, in_app):
    from alembic import command

    from payvand.core.migrations.runner import branch_config, upgrade

    with in_app() as session:
        session.add(SlaPolicy(name="All", position=1, first_response_minutes=60, resolution_minutes=600))
    customer = make_customer()
    ids = [api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": f"m{n}", "body": "hello",
                                                     "tags": ["vip"]}).get_json()["id"] for n in range(3)]
    moment = dt.datetime(2026, 5, 1, 6, 30, 15, 123456, tzinfo=dt.UTC)
    with in_app() as session:
        session.execute(sa.update(TicketSla).where(TicketSla.ticket_id == ids[0]).values(
            sla_warned=True, next_response_due_at=moment))
        session.execute(sa.update(TicketSla).where(TicketSla.ticket_id == ids[1]).values(
            sla_breached=True, first_response_due_at=None))
        before = _clocks(session, ids)
        entries = session.scalar(sa.select(sa.func.count()).select_from(TicketEntry))
        tags = session.scalar(sa.select(sa.func.count()).select_from(TicketTag))
    assert entries and tags == 3
    plugin = runtime.plugins.installed["service"]
    with runtime.engine.begin() as connection:
        command.downgrade(branch_config(connection, plugin), "service_0011_kbpg")
    inspector = sa.inspect(runtime.engine)
    assert "service_ticket_sla" not in inspector.get_table_names()
    assert set(CLOCK) <= {c["name"] for c in inspector.get_columns("service_ticket")}
    moments = [sa.column(c, UTCDateTime()) for c in CLOCK[:3]]
    ticket = sa.table("service_ticket", sa.column("id"), *moments, *(sa.column(c, sa.Boolean()) for c in CLOCK[3:]))
    with runtime.engine.connect() as connection:  # the values are back on the ticket rows
        rows = connection.execute(sa.select(ticket.c.id, *(ticket.c[c] for c in CLOCK))
                                  .where(ticket.c.id.in_(ids))).all()
    assert {row[0]: tuple(row[1:]) for row in rows} == before
    upgrade(runtime.engine, [plugin])
    with in_app() as session:
        assert _clocks(session, ids) == before
        assert session.scalar(sa.select(sa.func.count()).select_from(TicketEntry)) == entries
        assert session.scalar(sa.select(sa.func.count()).select_from(TicketTag)) == tags
    indexes = {i["name"] for i in sa.inspect(runtime.engine).get_indexes("service_ticket")}
    assert not {"ix_service_ticket_resolution_due_at", "ix_service_ticket_first_response_due_at"} & indexes
    assert not {c["name"] for c in sa.inspect(runtime.engine).get_columns("service_ticket")} & set(CLOCK)


def test_upgrading_an_early_service_schema_with_tickets_keeps_every_entry(runtime, make_customer):
    """Upgrading from service_0001 rebuilds `service_ticket` on SQLite (batch mode: copy, drop,
    rename); the drop must not cascade to the entries that refer to the tickets."""
    from alembic import command

    from payvand.core.migrations.runner import branch_config, upgrade

    customer = make_customer()
    plugin = runtime.plugins.installed["service"]
    with runtime.engine.begin() as connection:
        command.downgrade(branch_config(connection, plugin), "service_0001")
    moment = "2026-05-01 06:30:00.000000"
    with runtime.engine.begin() as connection:
        for n in (1, 2):
            connection.execute(sa.text(
                "INSERT INTO service_ticket (id, customer_id, type, subject, status, priority, tags, channel, source, "
                "\"references\", version, created_at, updated_at, paused_minutes, sla_warned, sla_breached) VALUES "
                "(:id, :customer, 'question', 'old', 'open', 'normal', '[]', 'email', 'staff', '[]', 1, "
                ":moment, :moment, 0, false, false)"), {"id": n, "customer": customer.id, "moment": moment})
            connection.execute(sa.text(
                "INSERT INTO service_ticket_entry (id, ticket_id, kind, public, body, ticket_version, created_at) "
                "VALUES (:id, :id, 'reply', true, 'kept', 1, :moment)"), {"id": n, "moment": moment})
    upgrade(runtime.engine, [plugin])
    with runtime.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM service_ticket_entry WHERE body = 'kept'")) == 2
        assert connection.scalar(sa.text("SELECT count(*) FROM service_ticket_sla WHERE ticket_id IN (1, 2)")) == 2
