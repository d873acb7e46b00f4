"""The inbox's tag filter: `service_ticket_tag` follows every way a ticket's tags change, and a
tag page is read newest first under the record rule, keyset pages continuing each other."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.plugins.service.models import Team, Ticket, TicketTag

EDIT = ["service.ticket.view", "service.ticket.edit", "core.customer.view"]


def _tags(db_session):
    db_session.expire_all()
    return sorted(tuple(row) for row in db_session.execute(sa.select(TicketTag.ticket_id, TicketTag.tag)))


def _open(api, customer_id, subject, tags=()):
    made = api.post("/api/v1/service/tickets", json={"customer_id": customer_id, "subject": subject, "tags": list(tags)})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def _ids(api, query):
    found = api.get(f"/api/v1/service/tickets?{query}")
    assert found.status_code == 200, found.get_json()
    return [item["id"] for item in found.get_json()["items"]], found.get_json().get("next_cursor")


def test_the_tag_rows_follow_create_change_bulk_merge_and_split(api, make_customer, db_session):
    customer = make_customer()
    a = _open(api, customer.id, "a", ["vip", "billing"])
    b = _open(api, customer.id, "b", ["billing"])
    c = _open(api, customer.id, "c")
    assert _tags(db_session) == [(a, "billing"), (a, "vip"), (b, "billing")]
    assert api.patch(f"/api/v1/service/tickets/{a}", json={"tags": ["vip", "late"]}).status_code == 200
    assert _tags(db_session) == [(a, "late"), (a, "vip"), (b, "billing")]
    assert api.post("/api/v1/service/tickets/bulk", json={"ticket_ids": [c], "action": "tag",
                                                          "value": "vip"}).status_code == 200
    assert (c, "vip") in _tags(db_session)
    assert api.post(f"/api/v1/service/tickets/{b}/merge", json={"target_id": c}).status_code == 200
    assert sorted(t for i, t in _tags(db_session) if i == c) == ["billing", "vip"]
    assert _ids(api, "tag=billing")[0] == [c, b]  # b keeps its own tag (merged, closed)
    assert _ids(api, "tag=vip")[0] == [c, a]
    assert _ids(api, "tag=nobody")[0] == []


def test_tag_pages_are_newest_first_and_continue_by_cursor(api, make_customer):
    customer = make_customer()
    tagged = [_open(api, customer.id, f"t{n}", ["wave"] if n % 2 else []) for n in range(7)]
    wanted = sorted((t for n, t in enumerate(tagged) if n % 2), reverse=True)
    first, cursor = _ids(api, "tag=wave&limit=2")
    assert first == wanted[:2] and cursor
    second, cursor = _ids(api, f"tag=wave&limit=2&cursor={cursor}")
    assert second == wanted[2:]
    assert _ids(api, "tag=wave&status=new")[0] == wanted


def test_an_agent_sees_only_the_tagged_tickets_the_rule_shows(api, api_as, make_customer, in_app):
    customer = make_customer()
    with in_app() as session:
        team = Team(name="Elsewhere")
        session.add(team)
        session.flush()
        hidden = Ticket(customer_id=customer.id, subject="hidden", team_id=team.id, tags=["vip"])
        session.add(hidden)
        session.flush()
        from payvand.plugins.service.services.tags import sync

        sync(session, hidden.id, hidden.tags)
        hidden_id = hidden.id
    shown = _open(api, customer.id, "shown", ["vip"])
    assert _ids(api, "tag=vip")[0] == sorted([shown, hidden_id], reverse=True)
    assert _ids(api_as(EDIT), "tag=vip")[0] == [shown]


def test_erasing_the_customer_drops_the_tag_rows(api, make_customer, db_session):
    customer = make_customer()
    kept = make_customer()
    _open(api, customer.id, "gone", ["vip"])
    other = _open(api, kept.id, "kept", ["vip"])
    assert api.post(f"/api/v1/customers/{customer.id}/erase").status_code == 200
    assert _tags(db_session) == [(other, "vip")]
