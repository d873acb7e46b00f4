"""Tickets: opened by inbound email, answered through the email channel with threading headers,
the customer's reply threading back and reopening; the API, collisions, the status machine,
merge, split, closing solved tickets, routing and the record rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from payvand.plugins.service.models import AssignmentRule, SlaPolicy, Team, TeamMember, Ticket, TicketEntry
from payvand.sdk import SYSTEM, InboundMessage, receive_messages

EDIT = ["service.ticket.view", "service.ticket.edit"]


def inbound(session: Any, external_id: str, sender: str, subject: str, body: str, replies_to: tuple[str, ...] = ()):
    [received] = receive_messages(session, [InboundMessage(
        "email", external_id, sender, dt.datetime.now(dt.UTC), subject=subject, body=body, replies_to=replies_to)])
    return received


def tickets(runtime: Any) -> list[Ticket]:
    with runtime.sessionmaker() as session:
        found = list(session.scalars(sa.select(Ticket).order_by(Ticket.id)))
        for ticket in found:
            _ = [e.kind for e in ticket.entries]
        session.expunge_all()
        return found


def test_email_opens_a_ticket_the_reply_threads_and_the_customer_answer_reopens_it(
        runtime, in_app, api, make_customer, mail_sink, run_jobs):
    runtime.config["PAYVAND_MAIL_FROM"] = "Shop <crm@shop.example>"
    try:
        customer = make_customer(emails=[{"value": "sara@example.com"}])
        with in_app() as session:
            inbound(session, "<q1@mail.example>", "sara@example.com", "چاپگر کار نمی‌کند", "سلام، چاپگر روشن نمی‌شود.")
        run_jobs()
        [ticket] = tickets(runtime)
        assert (ticket.customer_id, ticket.status, ticket.source, ticket.channel) == (customer.id, "new", "email", "email")
        assert [e.kind for e in ticket.entries] == ["inbound"]

        answer = api.post(f"/api/v1/service/tickets/{ticket.id}/replies",
                          json={"body": "لطفاً کابل برق را بررسی کنید.", "version": ticket.version})
        assert answer.status_code == 201, answer.get_json()
        run_jobs()
        [mail] = mail_sink.messages
        assert mail["In-Reply-To"] == "<q1@mail.example>"
        assert "<q1@mail.example>" in mail["References"]
        assert mail["Subject"].startswith("Re: چاپگر کار نمی‌کند")
        [ticket] = tickets(runtime)
        assert ticket.status == "pending" and ticket.first_response_at is not None

        solved = api.patch(f"/api/v1/service/tickets/{ticket.id}", json={"status": "solved"})
        assert solved.status_code == 200 and solved.get_json()["status"] == "solved"

        with in_app() as session:
            inbound(session, "<q2@mail.example>", "sara@example.com", "Re: چاپگر", "باز هم روشن نمی‌شود",
                    replies_to=("<q1@mail.example>", mail["Message-ID"]))
        run_jobs()
        [ticket] = tickets(runtime)  # the same ticket, no new one
        assert ticket.status == "open" and ticket.solved_at is None
        assert [e.kind for e in ticket.entries] == ["inbound", "reply", "inbound"]
        run_jobs()  # delivered again: nothing doubles
        assert len(tickets(runtime)[0].entries) == 3
    finally:
        runtime.config.pop("PAYVAND_MAIL_FROM", None)


def test_an_unknown_sender_becomes_a_prospect_with_a_ticket(runtime, in_app, run_jobs):
    with in_app() as session:
        received = inbound(session, "<n1@mail.example>", "new.person@example.com", "Price?", "How much is it?")
    run_jobs()
    [ticket] = tickets(runtime)
    assert received.new_customer and ticket.customer_id == received.customer_id and ticket.subject == "Price?"


def test_a_stale_reply_is_refused_and_names_what_arrived(api, make_customer):
    customer = make_customer(emails=[{"value": "ali@example.com"}])
    made = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "Invoice copy",
                                                     "type": "request", "references": ["sales.order:42"]})
    assert made.status_code == 201, made.get_json()
    ticket = made.get_json()
    assert ticket["references"] == ["sales.order:42"]
    seen = ticket["version"]
    first = api.post(f"/api/v1/service/tickets/{ticket['id']}/replies",
                     json={"body": "internal: checking", "public": False, "version": seen})
    assert first.status_code == 201
    second = api.post(f"/api/v1/service/tickets/{ticket['id']}/replies", json={"body": "We sent it", "version": seen})
    assert second.status_code == 409
    assert str(first.get_json()["id"]) in second.get_json()["error"]["fields"]["version"][0]


def test_the_status_machine_refuses_a_closed_ticket_moving(api, make_customer):
    customer = make_customer()
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "x", "kind": "call",
                                                       "body": "called about delivery"}).get_json()
    assert ticket["entries"][0]["kind"] == "call"
    path = f"/api/v1/service/tickets/{ticket['id']}"
    assert api.patch(path, json={"status": "solved"}).status_code == 200
    assert api.patch(path, json={"status": "closed"}).status_code == 200
    refused = api.patch(path, json={"status": "open"})
    assert refused.status_code == 422 and "status" in refused.get_json()["error"]["fields"]


def test_solved_tickets_close_after_the_configured_days(runtime, in_app, api, make_customer):
    from payvand.plugins.service.services.tickets import close_solved

    customer = make_customer()
    ids = [api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": s}).get_json()["id"]
           for s in ("old", "recent")]
    for ticket_id in ids:
        api.patch(f"/api/v1/service/tickets/{ticket_id}", json={"status": "solved"})
    with in_app() as session:
        session.execute(sa.update(Ticket).where(Ticket.id == ids[0]).values(
            solved_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=5)))
    with in_app() as session:
        assert close_solved(session) == 1
    assert [t.status for t in tickets(runtime)] == ["closed", "solved"]


def test_merge_moves_the_conversation_and_split_moves_one_entry_out(runtime, api, make_customer):
    customer = make_customer()
    a = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "A", "body": "one"}).get_json()
    b = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "B", "body": "two"}).get_json()
    merged = api.post(f"/api/v1/service/tickets/{a['id']}/merge", json={"target_id": b["id"]})
    assert merged.status_code == 200, merged.get_json()
    assert sorted(e["body"] for e in merged.get_json()["entries"]) == ["one", "two"]
    source = api.get(f"/api/v1/service/tickets/{a['id']}").get_json()
    assert source["status"] == "closed" and source["merged_into_id"] == b["id"]
    moved = next(e for e in merged.get_json()["entries"] if e["body"] == "one")
    split = api.post(f"/api/v1/service/tickets/{b['id']}/entries/{moved['id']}/split", json={"subject": "A again"})
    assert split.status_code == 201, split.get_json()
    assert [e["body"] for e in split.get_json()["entries"]] == ["one"]
    assert [e["body"] for e in api.get(f"/api/v1/service/tickets/{b['id']}").get_json()["entries"]] == ["two"]


def test_other_customers_tickets_cannot_be_merged(api, make_customer):
    a = api.post("/api/v1/service/tickets", json={"customer_id": make_customer().id, "subject": "A"}).get_json()
    b = api.post("/api/v1/service/tickets", json={"customer_id": make_customer().id, "subject": "B"}).get_json()
    assert api.post(f"/api/v1/service/tickets/{a['id']}/merge", json={"target_id": b["id"]}).status_code == 422


def test_rules_route_to_a_team_round_robin_and_agents_see_their_teams_tickets(
        runtime, in_app, api, api_as, make_user, make_customer):
    one, two = make_user(permissions=EDIT), make_user(permissions=EDIT)
    outsider = api_as(EDIT)
    with in_app() as session:
        team = Team(name="English", languages=["en"], strategy="round_robin")
        other = Team(name="Other")
        session.add_all([team, other])
        session.flush()
        session.add_all([TeamMember(team_id=team.id, user_id=one.id), TeamMember(team_id=team.id, user_id=two.id),
                         AssignmentRule(position=1, language="en", team_id=team.id),
                         AssignmentRule(position=2, team_id=other.id, assign_agent=False)])
    customer = make_customer()
    made = [api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": f"t{n}",
                                                      "language": "en"}).get_json() for n in range(3)]
    assert [t["assignee_id"] for t in made] == [one.id, two.id, one.id]
    fa = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "fa",
                                                   "language": "fa"}).get_json()
    assert fa["assignee_id"] is None
    # the outsider is in no team: the English team's tickets are missing for them, as is the other team's
    assert outsider.get(f"/api/v1/service/tickets/{made[0]['id']}").status_code == 404
    assert outsider.get("/api/v1/service/tickets").get_json()["items"] == []
    unassigned = api.get("/api/v1/service/tickets?queue=unassigned").get_json()["items"]
    assert [t["id"] for t in unassigned] == [fa["id"]]


def test_least_open_load_picks_the_agent_with_fewest_unfinished_tickets(runtime, in_app, api, make_user, make_customer):
    busy, free = make_user(permissions=EDIT), make_user(permissions=EDIT)
    with in_app() as session:
        team = Team(name="Load", strategy="least_open")
        session.add(team)
        session.flush()
        session.add_all([TeamMember(team_id=team.id, user_id=busy.id), TeamMember(team_id=team.id, user_id=free.id),
                         AssignmentRule(position=1, team_id=team.id)])
    customer = make_customer()
    api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "x", "assignee_id": busy.id,
                                              "team_id": None})
    made = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "y"}).get_json()
    assert made["assignee_id"] in (busy.id, free.id)
    third = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "z"}).get_json()
    assert {made["assignee_id"], third["assignee_id"]} == {busy.id, free.id} or third["assignee_id"] == free.id


def test_sla_due_times_pause_while_pending_and_breaches_escalate(runtime, in_app, api, make_customer):
    from payvand.plugins.service.services import sla

    with in_app() as session:
        session.add(SlaPolicy(name="All", position=1, first_response_minutes=60, resolution_minutes=600))
    customer = make_customer()
    made = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "slow"}).get_json()
    assert made["first_response_due_at"] and made["resolution_due_at"]
    with in_app() as session:
        ticket = session.get(Ticket, made["id"])
        created = dt.datetime(2026, 12, 7, 5, 30, tzinfo=dt.UTC)  # Monday 09:00 Tehran
        ticket.created_at = created
        sla.apply_policy(session, ticket, None)
        assert ticket.resolution_due_at == dt.datetime(2026, 12, 8, 7, 30, tzinfo=dt.UTC)  # 480 + 120 → Tue 11:00
        sla.pause(ticket, created + dt.timedelta(hours=1))
        sla.resume(session, ticket, created + dt.timedelta(hours=3))  # two business hours paused
        assert ticket.paused_minutes == 120
        assert ticket.resolution_due_at == dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)
    with in_app() as session:
        result = sla.check(session, now=dt.datetime(2026, 12, 9, tzinfo=dt.UTC))
        assert result["breached"] == 1
        ticket = session.get(Ticket, made["id"])
        assert ticket.sla_breached and ticket.priority == "high"


def test_recompute_after_a_calendar_change(runtime, in_app, api, make_customer):
    from payvand.plugins.service.models import Calendar
    from payvand.plugins.service.services import hours as bh
    from payvand.plugins.service.services import sla

    with in_app() as session:
        calendar = Calendar(name="Office", timezone="Asia/Tehran", schedule=bh.IRANIAN_WEEK, is_default=True)
        session.add(calendar)
        session.flush()
        session.add(SlaPolicy(name="All", position=1, resolution_minutes=60, calendar_id=calendar.id))
    customer = make_customer()
    made = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "s"}).get_json()
    with in_app() as session:
        session.execute(sa.update(Ticket).values(created_at=dt.datetime(2026, 12, 7, 5, 30, tzinfo=dt.UTC)))
        calendar = session.scalars(sa.select(Calendar)).one()
        calendar.holidays = [{"date": "2026-12-07", "calendar": "gregorian"}]
        session.flush()
        assert sla.recompute(session, calendar.id) == 1
    with in_app() as session:
        assert session.get(Ticket, made["id"]).resolution_due_at == dt.datetime(2026, 12, 8, 5, 30, tzinfo=dt.UTC)


def tiny_png() -> bytes:
    """A valid 1×1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00\x00"))
            + chunk(b"IEND", b""))


def test_attachments_go_through_the_upload_checker(in_app, make_customer):
    import pytest

    from payvand.plugins.service.services.tickets import TicketError, create_ticket

    customer = make_customer()
    png = tiny_png()
    with in_app() as session, pytest.raises(TicketError):
        create_ticket(session, {"customer_id": customer.id, "subject": "x"}, SYSTEM,
                      files=[("evil.png", b"<html><script>alert(1)</script>")])
    with in_app() as session:
        ticket = create_ticket(session, {"customer_id": customer.id, "subject": "x"}, SYSTEM, files=[("a.png", png)])
        [entry] = ticket.entries
        assert [a.content_type for a in entry.attachments] == ["image/png"]
        assert session.scalar(sa.select(sa.func.count()).select_from(TicketEntry)) == 1


def test_a_breach_can_reassign_to_the_next_agent(runtime, in_app, api, make_user, make_customer):
    from payvand.plugins.service.services import sla

    one, two = make_user(permissions=EDIT), make_user(permissions=EDIT)
    with in_app() as session:
        team = Team(name="Esc")
        session.add(team)
        session.flush()
        session.add_all([TeamMember(team_id=team.id, user_id=one.id), TeamMember(team_id=team.id, user_id=two.id),
                         AssignmentRule(position=1, team_id=team.id),
                         SlaPolicy(name="Fast", position=1, first_response_minutes=1)])
    made = api.post("/api/v1/service/tickets", json={"customer_id": make_customer().id, "subject": "x"}).get_json()
    assert made["assignee_id"] == one.id
    with in_app() as session:  # as the settings page stores it
        from payvand.core.models import Setting

        session.merge(Setting(key="service.breach_actions", value="reassign"))
    with in_app() as session:
        assert sla.check(session, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))["breached"] == 1
    ticket = api.get(f"/api/v1/service/tickets/{made['id']}").get_json()
    assert ticket["assignee_id"] == two.id and ticket["priority"] == "normal" and ticket["sla_breached"]


def _answer(api, runtime, ticket_id: int) -> str:
    """Send a public reply on the ticket; the Message's reference (its Message-ID)."""
    from payvand.core.models.message import Message

    ticket = api.get(f"/api/v1/service/tickets/{ticket_id}").get_json()
    entry = api.post(f"/api/v1/service/tickets/{ticket_id}/replies",
                     json={"body": "answer", "version": ticket["version"]}).get_json()
    assert "message_id" in entry, entry
    with runtime.sessionmaker() as session:
        return session.get(Message, entry["message_id"]).reference


def test_a_reply_to_a_closed_ticket_opens_a_follow_up_and_to_a_merged_one_lands_in_the_target(
        runtime, in_app, api, make_customer, run_jobs, mail_sink):
    make_customer(emails=[{"value": "reza@example.com"}])
    with in_app() as session:
        inbound(session, "<a1@mail.example>", "reza@example.com", "First", "one")
        inbound(session, "<b1@mail.example>", "reza@example.com", "Second", "two")
    run_jobs()
    first, second = tickets(runtime)
    first_ref, second_ref = _answer(api, runtime, first.id), _answer(api, runtime, second.id)
    for status in ("solved", "closed"):
        api.patch(f"/api/v1/service/tickets/{first.id}", json={"status": status})
    third = api.post("/api/v1/service/tickets", json={"customer_id": second.customer_id, "subject": "Third"}).get_json()
    assert api.post(f"/api/v1/service/tickets/{second.id}/merge", json={"target_id": third["id"]}).status_code == 200
    with in_app() as session:
        inbound(session, "<a2@mail.example>", "reza@example.com", "Re: First", "again", replies_to=(first_ref,))
        inbound(session, "<b2@mail.example>", "reza@example.com", "Re: Second", "more", replies_to=(second_ref,))
    run_jobs()
    found = {t.id: t for t in tickets(runtime)}
    follow_up = max(found)
    assert found[follow_up].references == [f"service.ticket:{first.id}"]
    assert [e.body for e in found[follow_up].entries] == ["again"]
    assert found[third["id"]].entries[-1].body == "more"


def test_automatic_mail_opens_no_ticket(runtime, in_app, make_customer, run_jobs):
    make_customer(emails=[{"value": "bot@example.com"}])
    with in_app() as session:
        receive_messages(session, [InboundMessage("email", "<auto@mail.example>", "bot@example.com",
                                                  dt.datetime.now(dt.UTC), subject="Out of office", automatic=True)])
    run_jobs()
    assert tickets(runtime) == []
