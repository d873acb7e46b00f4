"""The help desk's setup through the API: teams, availability, rules, calendars (recompute) and SLA policies."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from payvand.plugins.service.models import Ticket

EDIT = ["service.ticket.view", "service.ticket.edit"]


def test_team_rule_and_availability_route_new_tickets(api, api_as, make_user, make_customer):
    agent = api_as(EDIT)
    other = make_user(permissions=EDIT)
    team = api.post("service/teams", json={"name": "Desk", "members": [{"user_id": agent.user_id},
                                                                        {"user_id": other.id}]})
    assert team.status_code == 201, team.get_json()
    team_id = team.get_json()["id"]
    assert api.post("service/teams", json={"name": "Desk"}).status_code == 422
    assert api.post("service/assignment-rules", json={"team_id": team_id, "type": "problem"}).status_code == 201
    off = agent.put(f"service/teams/{team_id}/members/{agent.user_id}/availability", json={"available": False})
    assert off.status_code == 200
    assert agent.put(f"service/teams/{team_id}/members/{other.id}/availability",
                     json={"available": False}).status_code == 403
    customer = make_customer()
    for _ in range(2):
        made = api.post("service/tickets", json={"customer_id": customer.id, "subject": "p", "type": "problem"}).get_json()
        assert (made["team_id"], made["assignee_id"]) == (team_id, other.id)
    question = api.post("service/tickets", json={"customer_id": customer.id, "subject": "q"}).get_json()
    assert question["team_id"] is None


def test_setup_needs_service_manage(api_as):
    assert api_as(EDIT).get("service/teams").status_code == 403


def test_setup_refusals_name_their_field(api):
    unknown = api.post("service/teams", json={"name": "Desk", "calendar_id": 999999})
    assert unknown.status_code == 422 and "calendar_id" in unknown.get_json()["error"]["fields"]
    policy = api.post("service/sla-policies", json={"name": "Std"}).get_json()
    changed = api.put(f"service/sla-policies/{policy['id']}", json={"name": "Std", "calendar_id": 999999})
    assert changed.status_code == 422 and "calendar_id" in changed.get_json()["error"]["fields"]
    assert api.post("service/sla-policies", json={"name": "x", "calendar_id": 999999}).status_code == 422
    assert api.put("service/sla-policies/999999", json={"name": "x"}).status_code == 404  # not in the path: missing
    rule = api.post("service/assignment-rules", json={"team_id": 999999})
    assert rule.status_code == 422 and "team_id" in rule.get_json()["error"]["fields"]


def test_changing_a_calendar_recomputes_due_times(api, make_customer, runtime):
    calendar = api.post("service/calendars", json={"name": "Office", "is_default": True, "holidays": [
        {"date": "01-01", "calendar": "jalali", "yearly": True, "name": "Nowruz"}]})
    assert calendar.status_code == 201, calendar.get_json()
    cal = calendar.get_json()
    assert cal["schedule"] == {}
    policy = api.post("service/sla-policies", json={"name": "Std", "resolution_minutes": 60,
                                                    "calendar_id": cal["id"]})
    assert policy.status_code == 201, policy.get_json()
    ticket = api.post("service/tickets", json={"customer_id": make_customer().id, "subject": "t"}).get_json()
    with runtime.sessionmaker.begin() as session:
        session.execute(sa.update(Ticket).values(created_at=dt.datetime(2026, 12, 7, 5, 30, tzinfo=dt.UTC)))
    changed = api.put(f"service/calendars/{cal['id']}", json={
        "name": "Office", "is_default": True, "holidays": [{"date": "2026-12-07"}],
        "schedule": {str(d): [["09:00", "17:00"]] for d in (1, 2, 3, 6, 7)}})
    assert changed.status_code == 200 and changed.get_json()["recomputed"] == 1
    due = api.get(f"service/tickets/{ticket['id']}").get_json()["resolution_due_at"]
    assert dt.datetime.fromisoformat(due) == dt.datetime(2026, 12, 8, 6, 30, tzinfo=dt.UTC)  # Tue 09:00+60 Tehran
    bad = api.put(f"service/calendars/{cal['id']}", json={"name": "Office", "timezone": "Mars/Base"})
    assert bad.status_code == 422


def test_a_calendar_using_the_lunar_lists_is_closed_on_them_and_editing_a_year_recomputes(api, make_customer, runtime):
    cal = api.post("service/calendars", json={"name": "Office", "is_default": True, "lunar_holidays": True}).get_json()
    assert cal["lunar_holidays"] is True
    assert api.post("service/sla-policies", json={"name": "Std", "resolution_minutes": 60,
                                                  "calendar_id": cal["id"]}).status_code == 201
    ticket = api.post("service/tickets", json={"customer_id": make_customer().id, "subject": "t"}).get_json()
    with runtime.sessionmaker.begin() as session:  # Monday 2026-12-21 15:30 Tehran; Tuesday is 1405-10-01 (lunar)
        session.execute(sa.update(Ticket).values(created_at=dt.datetime(2026, 12, 21, 12, 0, tzinfo=dt.UTC)))
    years = api.get("service/lunar-holidays").get_json()
    [y1405] = [y for y in years if y["year"] == 1405]
    assert {"date": "1405-10-01", "name": "Birth of Imam Ali"} in y1405["holidays"] and not y1405["edited"]
    same = api.put("service/lunar-holidays/1405", json={"holidays": y1405["holidays"]})
    assert same.status_code == 200 and same.get_json()["recomputed"] == 1
    due = api.get(f"service/tickets/{ticket['id']}").get_json()["resolution_due_at"]
    assert dt.datetime.fromisoformat(due) == dt.datetime(2026, 12, 23, 5, 0, tzinfo=dt.UTC)  # Wednesday 08:30
    without = [h for h in y1405["holidays"] if h["date"] != "1405-10-01"]
    edited = api.put("service/lunar-holidays/1405", json={"holidays": without})
    assert edited.status_code == 200 and edited.get_json()["edited"] is True
    due = api.get(f"service/tickets/{ticket['id']}").get_json()["resolution_due_at"]
    assert dt.datetime.fromisoformat(due) == dt.datetime(2026, 12, 22, 5, 0, tzinfo=dt.UTC)  # Tuesday 08:30
    bad = api.put("service/lunar-holidays/1405", json={"holidays": [{"date": "1406-01-13"}]})
    assert bad.status_code == 422 and "holidays" in bad.get_json()["error"]["fields"]
    assert api.put("service/lunar-holidays/1405", json={"holidays": [{"date": "12-30"}]}).status_code == 422  # no 30 Esfand
