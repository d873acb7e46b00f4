"""The service settings pages: teams, assignment rules, calendars, SLA policies, contracts and macros."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payvand.plugins.service.models import AssignmentRule, Calendar, Contract, SlaPolicy, Team, Ticket

MANAGE = ["service.manage", "service.ticket.view", "core.customer.view"]
PAGES = ["/service/settings/teams", "/service/settings/rules", "/service/settings/calendars",
         "/service/settings/policies", "/service/settings/contracts", "/service/settings/contracts/new",
         "/service/settings/macros", "/service/settings/lunar-holidays"]


@pytest.mark.parametrize("path", PAGES)
def test_each_settings_page_needs_service_manage(path, web_as, client):
    assert web_as(MANAGE).get(path).status_code == 200
    assert web_as(["service.ticket.view", "service.ticket.edit"]).get(path).status_code == 403
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_settings_forms_refuse_a_missing_csrf_token(web_as):
    assert web_as(MANAGE).post("/service/settings/teams", {"name": "Desk"}, csrf=False).status_code == 400


def test_a_team_is_created_with_members_and_edited(web_as, make_user, runtime):
    web = web_as(MANAGE)
    agent = make_user(permissions=["service.ticket.view"])
    made = web.post("/service/settings/teams", {"name": "Desk", "languages": "fa\nen", "skills": "printers",
                                                "strategy": "least_open", "member_ids": [str(agent.id)]})
    assert made.status_code == 302
    with runtime.sessionmaker() as session:
        team = session.scalars(sa.select(Team)).one()
        assert (team.languages, team.skills, team.strategy) == (["fa", "en"], ["printers"], "least_open")
        assert [m.user_id for m in team.members] == [agent.id]
        team_id = team.id
    page = web.get(f"/service/settings/teams/{team_id}")
    assert page.status_code == 200 and f'id="member-{agent.id}" checked' in page.get_data(as_text=True)
    assert web.post(f"/service/settings/teams/{team_id}", {"name": "Desk 2", "strategy": "round_robin"}).status_code == 302
    with runtime.sessionmaker() as session:
        team = session.get(Team, team_id)
        assert (team.name, team.members) == ("Desk 2", [])


def test_team_form_errors_are_shown_next_to_the_fields(web_as):
    web = web_as(MANAGE)
    assert web.post("/service/settings/teams", {"name": "Desk"}).status_code == 302
    taken = web.post("/service/settings/teams", {"name": "Desk"})
    assert taken.status_code == 422 and 'id="f-name-error"' in taken.get_data(as_text=True)
    bad = web.post("/service/settings/teams", {"name": "", "strategy": "random", "languages": "xx"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert all(f'id="f-{name}-error"' in text for name in ("name", "strategy", "languages"))
    unknown = web.post("/service/settings/teams", {"name": "Ghosts", "member_ids": ["999999"]})
    assert unknown.status_code == 422 and "No user 999999." in unknown.get_data(as_text=True)


def test_assignment_rules_are_added_in_order_and_removed(web_as, runtime, in_app):
    with in_app() as session:
        session.add(Team(name="Desk"))
    with runtime.sessionmaker() as session:
        team_id = session.scalar(sa.select(Team.id))
    web = web_as(MANAGE)
    bad = web.post("/service/settings/rules", {"position": "x", "type": "nonsense"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="f-team_id-error"' in text and 'id="f-type-error"' in text
    added = web.post("/service/settings/rules", {"position": "۲", "type": "problem", "language": "fa",
                                                 "team_id": str(team_id), "assign_agent": "1"})
    assert added.status_code == 302
    with runtime.sessionmaker() as session:
        rule = session.scalars(sa.select(AssignmentRule)).one()
        assert (rule.position, rule.type, rule.language, rule.assign_agent) == (2, "problem", "fa", True)
    assert web.post(f"/service/settings/rules/{rule.id}/delete", {}).status_code == 302
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AssignmentRule)) == 0


def test_a_calendar_is_edited_in_the_weekly_editor_and_recomputes_due_times(web_as, api, make_customer, runtime):
    web = web_as(MANAGE)
    made = web.post("/service/settings/calendars", {"name": "Office", "timezone": "Asia/Tehran", "is_default": "1",
                                                    "holidays": "01-01, jalali, Nowruz\n2026-12-25, gregorian, Xmas"})
    assert made.status_code == 302
    with runtime.sessionmaker() as session:
        calendar = session.scalars(sa.select(Calendar)).one()
        assert calendar.schedule == {} and calendar.is_default
        assert calendar.holidays == [{"date": "01-01", "calendar": "jalali", "yearly": True, "name": "Nowruz"},
                                     {"date": "2026-12-25", "calendar": "gregorian", "yearly": False, "name": "Xmas"}]
        calendar_id = calendar.id
    policy = api.post("/api/v1/service/sla-policies", json={"name": "Std", "resolution_minutes": 60,
                                                            "calendar_id": calendar_id})
    assert policy.status_code == 201
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": make_customer().id, "subject": "t"}).get_json()
    with runtime.sessionmaker.begin() as session:
        session.execute(sa.update(Ticket).values(created_at=dt.datetime(2026, 12, 7, 5, 30, tzinfo=dt.UTC)))
    week = {f"day_{d}": "09:00-17:00" for d in (1, 2, 3, 6, 7)}
    saved = web.post(f"/service/settings/calendars/{calendar_id}", {
        "name": "Office", "timezone": "Asia/Tehran", "is_default": "1", "holidays": "2026-12-07, gregorian", **week})
    assert saved.status_code == 302
    assert "1" in web.get("/service/settings/calendars").get_data(as_text=True)
    due = api.get(f"/api/v1/service/tickets/{ticket['id']}").get_json()["resolution_due_at"]
    assert dt.datetime.fromisoformat(due) == dt.datetime(2026, 12, 8, 6, 30, tzinfo=dt.UTC)  # Tue 09:00+60 Tehran
    page = web.get(f"/service/settings/calendars/{calendar_id}").get_data(as_text=True)
    assert 'value="09:00-17:00"' in page


def test_calendar_form_errors_name_the_day_zone_and_holiday(web_as):
    web = web_as(MANAGE)
    bad = web.post("/service/settings/calendars", {"name": "Office", "day_1": "nine to five"})
    assert bad.status_code == 422 and 'id="f-day_1-error"' in bad.get_data(as_text=True)
    zone = web.post("/service/settings/calendars", {"name": "Office", "timezone": "Mars/Base"})
    assert zone.status_code == 422 and 'id="f-timezone-error"' in zone.get_data(as_text=True)
    holiday = web.post("/service/settings/calendars", {"name": "Office", "holidays": "soon, jalali"})
    assert holiday.status_code == 422 and 'id="f-holidays-error"' in holiday.get_data(as_text=True)
    backwards = web.post("/service/settings/calendars", {"name": "Office", "day_2": "17:00-09:00"})
    assert backwards.status_code == 422 and 'id="f-day_2-error"' in backwards.get_data(as_text=True)
    late = web.post("/service/settings/calendars", {"name": "Office", "day_3": "09:00-25:00"})
    assert late.status_code == 422 and 'id="f-day_3-error"' in late.get_data(as_text=True)


def test_sla_policies_are_created_and_edited(web_as, runtime):
    web = web_as(MANAGE)
    bad = web.post("/service/settings/policies", {"name": "", "resolution_minutes": "0", "priority": "huge"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert all(f'id="f-{n}-error"' in text for n in ("name", "resolution_minutes", "priority"))
    assert web.post("/service/settings/policies", {"name": "Urgent", "priority": "urgent", "position": "1",
                                                   "first_response_minutes": "۶۰", "warn_minutes": "10"}).status_code == 302
    with runtime.sessionmaker() as session:
        policy = session.scalars(sa.select(SlaPolicy)).one()
        assert (policy.priority, policy.first_response_minutes, policy.warn_minutes) == ("urgent", 60, 10)
    assert web.get(f"/service/settings/policies/{policy.id}").status_code == 200
    assert web.post(f"/service/settings/policies/{policy.id}", {"name": "Urgent", "priority": "",
                                                                "resolution_minutes": "480"}).status_code == 302
    with runtime.sessionmaker() as session:
        policy = session.get(SlaPolicy, policy.id)
        assert (policy.priority, policy.first_response_minutes, policy.resolution_minutes) == (None, None, 480)


def test_contracts_are_listed_through_the_list_kit_and_created(web_as, make_customer, runtime, count_queries):
    web = web_as(MANAGE)
    customer = make_customer()
    bad = web.post("/service/settings/contracts/new", {"customer_id": "999999", "name": "Gold",
                                                       "starts_on": "2026-12-01", "ends_on": "2026-01-01"})
    assert bad.status_code == 422 and 'id="f-ends_on-error"' in bad.get_data(as_text=True)
    missing = web.post("/service/settings/contracts/new", {"customer_id": "999999", "name": "Gold",
                                                           "starts_on": "2026-01-01", "ends_on": "2026-12-01"})
    assert missing.status_code == 422 and 'id="f-customer_id-error"' in missing.get_data(as_text=True)
    junk = web.post("/service/settings/contracts/new", {"customer_id": "x", "starts_on": "soon"})
    assert junk.status_code == 422
    with count_queries() as one:
        assert web.get("/service/settings/contracts").status_code == 200
    made = web.post("/service/settings/contracts/new", {
        "customer_id": str(customer.id), "name": "Gold", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "included_tickets": "10", "products": "sales.product:7"})
    assert made.status_code == 302
    for index in range(3):
        web.post("/service/settings/contracts/new", {"customer_id": str(customer.id), "name": f"Extra {index}",
                                                     "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    web.get("/service/settings/contracts")  # shows (and clears) the flashed messages
    with count_queries() as many:
        page = web.get("/service/settings/contracts")
    assert page.status_code == 200 and "Gold" in page.get_data(as_text=True)
    assert len(one) == len(many)
    with runtime.sessionmaker() as session:
        gold = session.scalars(sa.select(Contract).where(Contract.name == "Gold")).one()
        assert (gold.included_tickets, gold.products) == (10, ["sales.product:7"])
    edit = web.get(f"/service/settings/contracts/{gold.id}")
    assert edit.status_code == 200 and 'value="2026-12-31"' in edit.get_data(as_text=True)
    changed = web.post(f"/service/settings/contracts/{gold.id}", {
        "customer_id": str(customer.id), "name": "Gold+", "starts_on": "2026-01-01", "ends_on": "2027-06-30",
        "included_tickets": "", "products": ""})
    assert changed.status_code == 302
    backwards = web.post(f"/service/settings/contracts/{gold.id}", {
        "customer_id": str(customer.id), "name": "Gold+", "starts_on": "2027-01-01", "ends_on": "2026-06-30"})
    assert backwards.status_code == 422
    assert web.get("/service/settings/contracts/999999").status_code == 404
    with runtime.sessionmaker() as session:
        gold = session.get(Contract, gold.id)
        assert (gold.name, gold.ends_on, gold.included_tickets, gold.products) == (
            "Gold+", dt.date(2027, 6, 30), None, [])


def test_settings_changes_are_audited_with_the_manager(web_as, runtime):
    from payvand.core.models import AuditLog

    web = web_as(MANAGE)
    assert web.post("/service/settings/teams", {"name": "Desk"}).status_code == 302
    assert web.post("/service/settings/macros", {"name": "Hi", "body": "Hello {customer_name}"}).status_code == 302
    with runtime.sessionmaker() as session:
        rows = {(r.action, r.object_type, r.actor_id) for r in session.scalars(sa.select(AuditLog))}
    assert {("create", "service_team", web.user_id), ("create", "service_macro", web.user_id)} <= rows


def test_the_teams_and_policies_pages_run_the_same_queries_for_one_or_many_rows(web_as, make_user, count_queries):
    web = web_as(MANAGE)
    counts = []
    for size, added in ((1, 1), (4, 3)):
        for index in range(added):
            user = make_user()
            web.post("/service/settings/teams", {"name": f"Team {size}-{index}", "member_ids": [str(user.id)]})
            web.post("/service/settings/policies", {"name": f"Policy {size}-{index}", "resolution_minutes": "60"})
        web.get("/service/settings/teams")  # shows (and clears) the flashed messages
        with count_queries() as teams:
            assert web.get("/service/settings/teams").status_code == 200
        with count_queries() as policies:
            assert web.get("/service/settings/policies").status_code == 200
        counts.append((len(teams), len(policies)))
    assert counts[0] == counts[1]


def test_rules_move_up_and_down_with_buttons_and_through_the_api(web_as, api, runtime, in_app):
    with in_app() as session:
        session.add(Team(name="Desk"))
    with runtime.sessionmaker() as session:
        team_id = session.scalar(sa.select(Team.id))
    ids = [api.post("/api/v1/service/assignment-rules", json={"team_id": team_id, "position": 5, "category": name})
           .get_json()["id"] for name in ("a", "b", "c")]

    def order() -> list[int]:
        with runtime.sessionmaker() as session:
            return list(session.scalars(sa.select(AssignmentRule.id).order_by(AssignmentRule.position, AssignmentRule.id)))

    web = web_as(MANAGE)
    page = web.get("/service/settings/rules").get_data(as_text=True)
    assert f'id="rule-{ids[0]}-up"' in page and f'id="rule-{ids[2]}-down"' in page
    assert web.post(f"/service/settings/rules/{ids[2]}/move", {"direction": "up"}).status_code == 302
    assert order() == [ids[0], ids[2], ids[1]]
    assert web.post(f"/service/settings/rules/{ids[0]}/move", {"direction": "up"}).status_code == 302  # first stays
    assert order() == [ids[0], ids[2], ids[1]]
    moved = api.post(f"/api/v1/service/assignment-rules/{ids[0]}/move", json={"direction": "down"})
    assert moved.status_code == 200 and [r["id"] for r in moved.get_json()] == [ids[2], ids[0], ids[1]]
    assert [r["position"] for r in moved.get_json()] == [10, 20, 30]
    assert api.post(f"/api/v1/service/assignment-rules/{ids[0]}/move", json={"direction": "left"}).status_code == 422
    assert api.post("/api/v1/service/assignment-rules/999999/move", json={"direction": "up"}).status_code == 404
    assert web.post(f"/service/settings/rules/{ids[0]}/move", {"direction": "left"}).status_code == 400
    assert web_as(["service.ticket.view"]).post(f"/service/settings/rules/{ids[0]}/move",
                                                {"direction": "up"}).status_code == 403


def test_the_lunar_holidays_page_shows_the_shipped_years_and_saves_a_new_one(web_as, runtime):
    from payvand.plugins.service.models_holidays import HolidayYear

    web = web_as(MANAGE)
    page = web.get("/service/settings/lunar-holidays").get_data(as_text=True)
    assert 'id="lunar-1405"' in page and 'id="lunar-1406"' in page and "Tasua" in page
    bad = web.post("/service/settings/lunar-holidays", {"year": "1407", "holidays": "13-40, Nothing"})
    assert bad.status_code == 422 and 'id="lunar-lines-error"' in bad.get_data(as_text=True)
    saved = web.post("/service/settings/lunar-holidays", {"year": "۱۴۰۷", "holidays": "01-02, Eid al-Fitr\n03-12, Tasua"})
    assert saved.status_code == 302
    with runtime.sessionmaker() as session:
        row = session.scalars(sa.select(HolidayYear).where(HolidayYear.year == 1407)).one()
        assert row.holidays == [{"date": "1407-01-02", "name": "Eid al-Fitr"}, {"date": "1407-03-12", "name": "Tasua"}]
    assert web_as(["service.ticket.view"]).get("/service/settings/lunar-holidays").status_code == 403
