"""Complaints: root causes, filing a ticket under one, the report (per period, per cause, time to
resolve) through the API and its page; the ticket page's complaint and return sections."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from payvand.plugins.service.models import Ticket
from payvand.plugins.service.models_returns import ComplaintCause
from payvand.plugins.service.services.report_periods import period_key

VIEW = ["service.ticket.view", "service.ticket.edit", "core.customer.view"]


def _complaint(api, customer_id: int, cause_id: int | None, subject: str = "Late") -> dict:
    ticket = api.post("service/tickets", json={"customer_id": customer_id, "subject": subject}).get_json()
    filed = api.put(f"service/tickets/{ticket['id']}/complaint", json={"cause_id": cause_id})
    assert filed.status_code == 200, filed.get_json()
    return ticket


def test_the_report_counts_complaints_per_cause_with_hours_to_resolve(api, make_customer, runtime):
    customer = make_customer()
    late = api.post("service/complaint-causes", json={"name": "Late delivery"}).get_json()
    rude = api.post("service/complaint-causes", json={"name": "Rude staff"}).get_json()
    assert api.post("service/complaint-causes", json={"name": "Late delivery"}).status_code == 409
    first = _complaint(api, customer.id, late["id"])
    _complaint(api, customer.id, late["id"])
    _complaint(api, customer.id, rude["id"])
    _complaint(api, customer.id, None)
    with runtime.sessionmaker.begin() as session:  # the first was solved 5 hours after it was opened
        ticket = session.get(Ticket, first["id"])
        ticket.created_at = ticket.created_at - dt.timedelta(hours=5)
        ticket.solved_at, ticket.status = ticket.created_at + dt.timedelta(hours=5), "solved"
    assert api.get(f"service/tickets/{first['id']}").get_json()["type"] == "complaint"
    report = api.get("service/reports/complaints?days=30&period=day").get_json()
    assert report["overall"]["complaints"] == 4 and report["overall"]["resolved"] == 1
    assert report["overall"]["mean_hours"] == 5.0
    causes = {row["cause"]: row for row in report["causes"]}
    assert (causes["Late delivery"]["complaints"], causes["Late delivery"]["median_hours"]) == (2, 5.0)
    assert causes["Rude staff"]["open"] == 1 and causes[None]["complaints"] == 1
    assert sum(row["complaints"] for row in report["periods"]) == 4
    assert api.get("service/reports/complaints?period=year").status_code == 422
    assert api.put(f"service/tickets/{first['id']}/complaint", json={"cause_id": 999}).status_code == 422


def test_period_keys_are_local_days_weeks_and_months_jalali_for_a_persian_reader(in_app):
    with in_app():
        moment = dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)
        assert [period_key(moment, "en", p) for p in ("day", "week", "month")] == ["2026-12-07", "2026-W50", "2026-12"]
        # Monday 7 December 2026 is 16 Azar 1405; its week began on Saturday 14 Azar
        assert [period_key(moment, "fa", p) for p in ("day", "week", "month")] == ["1405-09-16", "1405-09-14", "1405-09"]
        late = dt.datetime(2026, 11, 30, 21, tzinfo=dt.UTC)  # 00:30 on 1 December in Tehran
        assert (period_key(late, "en", "day"), period_key(late, "en", "month")) == ("2026-12-01", "2026-12")
        saturday = dt.datetime(2026, 12, 12, 6, tzinfo=dt.UTC)
        assert period_key(saturday, "fa", "week") == "1405-09-21"  # a Saturday starts its own week


def test_the_report_page_has_the_chart_and_the_table_and_managers_add_causes(web_as, api, make_customer):
    api.post("service/complaint-causes", json={"name": "Billing error"})
    _complaint(api, make_customer().id, 1)
    page = web_as(VIEW).get("/service/reports/complaints?period=week")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="complaints-chart"' in text and "Billing error" in text
    assert 'id="cause-form"' not in text  # agents do not manage causes
    manager = web_as([*VIEW, "service.manage"])
    assert manager.post("/service/complaint-causes", {"name": "Wrong item"}).status_code == 302
    assert "Wrong item" in manager.get("/service/reports/complaints").get_data(as_text=True)
    manager.post("/account/locale", {"locale": "fa"})
    persian = manager.get("/service/reports/complaints").get_data(as_text=True)
    month = persian.split('id="complaints-periods"', 1)[1].split('<th scope="row">', 1)[1].split("</th>", 1)[0]
    assert month.startswith("۱۴") and month.count("/") == 1  # a Jalali month, 1405/09, in Persian digits


def test_the_ticket_page_shows_the_complaint_and_return_sections(web_as, api, make_customer, db_session):
    cause = api.post("service/complaint-causes", json={"name": "Broken on arrival"}).get_json()
    ticket = _complaint(api, make_customer().id, None)
    web = web_as(VIEW)
    text = web.get(f"/service/tickets/{ticket['id']}").get_data(as_text=True)
    assert 'id="ticket-complaint"' in text and 'id="ticket-return"' not in text
    assert web.post(f"/service/tickets/{ticket['id']}/complaint", {"cause_id": str(cause["id"])}).status_code == 302
    assert "Broken on arrival" in web.get(f"/service/tickets/{ticket['id']}").get_data(as_text=True)
    other = api.post("service/tickets", json={"customer_id": ticket["customer_id"], "subject": "Return",
                                              "type": "return"}).get_json()
    page = web.get(f"/service/tickets/{other['id']}").get_data(as_text=True)
    assert 'id="return-open-form"' in page and 'id="return-no-purchases"' in page
    opened = web.post(f"/service/tickets/{other['id']}/return", {"label": "Kettle", "label_quantity": "1",
                                                                  "reason": "Leaks"})
    assert opened.status_code == 302
    page = web.get(f"/service/tickets/{other['id']}").get_data(as_text=True)
    assert 'id="return-items"' in page and "Kettle" in page
    assert 'id="return-receive"' not in page and 'id="return-approve"' not in page  # deciding needs the permission
    decider = web_as([*VIEW, "service.return.decide"])
    return_id = api.get(f"service/tickets/{other['id']}/return").get_json()["id"]
    assert decider.post(f"/service/returns/{return_id}/approve", {"note": "ok"}).status_code == 302
    assert 'id="return-receive"' in web.get(f"/service/tickets/{other['id']}").get_data(as_text=True)
    assert db_session.scalar(sa.select(Ticket.type).where(Ticket.id == other["id"])) == "return"


def test_the_demo_files_its_complaints_under_root_causes(in_app, make_customer, db_session):
    from payvand.plugins.service.demo import load_service_demo
    from payvand.plugins.service.models_returns import Complaint

    for _ in range(12):
        make_customer()
    with in_app():
        counts = load_service_demo(seed=3)
    assert counts["service_complaint_causes"] == 4
    complaints = db_session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.type == "complaint"))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == complaints


def test_managers_rename_and_retire_a_cause_on_the_page_and_through_the_api(web_as, api, db_session):
    late = api.post("/api/v1/service/complaint-causes", json={"name": "Late"}).get_json()
    rude = api.post("/api/v1/service/complaint-causes", json={"name": "Rude"}).get_json()
    web = web_as(["service.ticket.view", "service.manage"])
    page = web.get("/service/reports/complaints").text
    assert f'id="cause-edit-{late["id"]}"' in page and 'type="number"' not in page
    saved = web.post(f"/service/complaint-causes/{late['id']}", {"name": "Late delivery", "description": "Courier"})
    assert saved.status_code == 302
    cause = db_session.get(ComplaintCause, late["id"])
    db_session.refresh(cause)
    assert (cause.name, cause.description, cause.active) == ("Late delivery", "Courier", False)  # unchecked: retired
    taken = api.put(f"/api/v1/service/complaint-causes/{rude['id']}", json={"name": "Late delivery"})
    assert taken.status_code == 409
    back = api.put(f"/api/v1/service/complaint-causes/{late['id']}", json={"name": "Late delivery", "active": True})
    assert back.status_code == 200 and back.get_json()["active"] is True
    assert api.put("/api/v1/service/complaint-causes/99999", json={"name": "x"}).status_code == 404
    assert web_as(["service.ticket.view"]).post(f"/service/complaint-causes/{late['id']}", {"name": "x"}).status_code == 403
