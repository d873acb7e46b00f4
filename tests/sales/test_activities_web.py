"""The "My activities" page: sections, filters, the add form, done/reopen inline, and the embeds."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Activity
from payvand.plugins.sales.services import activities
from payvand.plugins.sales.services import pipeline as svc

VIEW_EDIT = [perm.DEAL_VIEW, perm.DEAL_EDIT]


def _plan(db_session, owner_id, subject, hours=None, **fields):
    due = None if hours is None else dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    made = activities.create_activity(db_session, {"subject": subject, "due_at": due, "owner_id": owner_id, **fields})
    db_session.commit()
    return made


def test_the_page_sorts_my_activities_into_overdue_today_upcoming_and_done(web, db_session, make_customer):
    customer = make_customer()
    me = web.user.id
    _plan(db_session, me, "Late call", -30, customer_id=customer.id)
    _plan(db_session, me, "Next month", 24 * 30, customer_id=customer.id)
    _plan(db_session, me, "Someday", customer_id=customer.id)
    finished = _plan(db_session, me, "Finished", -1, customer_id=customer.id)
    activities.complete_activity(db_session, finished)
    db_session.commit()
    page = web.get("/sales/activities")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    overdue = page.text.split('id="activities-overdue"')[1].split("</section>")[0]
    upcoming = page.text.split('id="activities-upcoming"')[1].split("</section>")[0]
    someday = page.text.split('id="activities-someday"')[1].split("</section>")[0]
    done = page.text.split('id="activities-done"')[1].split("</section>")[0]
    assert "Late call" in overdue and "Next month" in upcoming and "Someday" in someday and "Finished" in done
    assert 'id="activity-add-form"' in page.text
    only_overdue = web.get("/sales/activities?status=overdue")
    assert "Late call" in only_overdue.text and "Next month" not in only_overdue.text


def test_the_add_form_plans_an_activity_with_a_reminder_in_local_time(web, db_session, make_customer):
    customer = make_customer()
    bad = web.post("/sales/activities", {"subject": "", "kind": "call"})
    assert bad.status_code == 422 and 'id="f-subject-error"' in bad.text
    no_due = web.post("/sales/activities", {"subject": "X", "remind_before": "15", "customer_id": str(customer.id)})
    assert no_due.status_code == 422 and 'id="f-remind_before-error"' in no_due.text
    unattached = web.post("/sales/activities", {"subject": "Alone", "kind": "task"})
    assert unattached.status_code == 422 and 'id="f-deal_id-error"' in unattached.text
    ok = web.post("/sales/activities", {"subject": "Call Sara", "kind": "call", "due_at": "2026-12-01T10:30",
                                        "remind_before": "60", "customer_id": str(customer.id)})
    assert ok.status_code == 302
    made = db_session.scalars(sa.select(Activity).where(Activity.subject == "Call Sara")).one()
    assert made.due_at == dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)  # 10:30 in Tehran
    assert made.remind_at == dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)
    assert (made.owner_id, made.customer_id, made.kind) == (web.user.id, customer.id, "call")
    assert web.post("/sales/activities", {"subject": "X", "customer_id": "1"}, csrf=False).status_code == 400


def test_done_and_reopen_work_inline_with_htmx_and_without(web, db_session, make_customer):
    customer = make_customer()
    made = _plan(db_session, web.user.id, "Quote follow-up", 2, customer_id=customer.id, kind="call")
    row = web.post(f"/sales/activities/{made.id}/done", headers={"HX-Request": "true"})
    assert row.status_code == 200 and f'id="activity-{made.id}"' in row.text and "<s><bdi>Quote follow-up" in row.text
    assert f'id="activity-reopen-{made.id}"' in row.text
    db_session.expire_all()
    assert db_session.get(Activity, made.id).done_at is not None
    back = web.post(f"/sales/activities/{made.id}/reopen", {"next": "/sales/activities?status=open"})
    assert back.status_code == 302 and back.headers["Location"].endswith("/sales/activities?status=open")
    db_session.expire_all()
    assert db_session.get(Activity, made.id).done_at is None


def test_a_rep_cannot_touch_someone_elses_activity(web_as, make_user, db_session, make_customer):
    customer = make_customer()
    other = make_user()
    theirs = _plan(db_session, other.id, "Not yours", 1, customer_id=customer.id)
    rep = web_as(VIEW_EDIT)
    assert "Not yours" not in rep.get("/sales/activities?scope=all").text
    assert rep.post(f"/sales/activities/{theirs.id}/done").status_code == 404
    assert rep.post(f"/sales/activities/{theirs.id}/delete").status_code == 404
    assert web_as([perm.DEAL_VIEW]).post(f"/sales/activities/{theirs.id}/done").status_code == 403
    assert web_as(["core.customer.view"]).get("/sales/activities").status_code == 403


def test_the_page_runs_a_constant_number_of_queries(web, db_session, make_customer, count_queries):
    customer = make_customer()
    deal = svc.create_deal(db_session, {"title": "Routers", "customer_id": customer.id})
    _plan(db_session, web.user.id, "First", 1, deal_id=deal.id)
    web.get("/sales/activities")
    with count_queries() as few:
        web.get("/sales/activities")
    for n in range(30):
        _plan(db_session, web.user.id, f"A{n}", n - 15, deal_id=deal.id, kind="call")
    with count_queries() as many:
        page = web.get("/sales/activities")
    assert "A29" in page.text
    assert len(few) == len(many)


def test_the_embeds_for_the_lead_page_and_the_customer_panel(app, web, db_session, make_customer):
    from payvand.plugins.sales.models import Lead
    from payvand.plugins.sales.views.activities import customer_activities_panel, lead_activities_html

    customer = make_customer()
    lead = Lead(given_name="Sara", owner_id=web.user.id, utm={}, score=0, score_details=[])
    db_session.add(lead)
    db_session.flush()
    _plan(db_session, web.user.id, "Lead call", 3, lead_id=lead.id)
    _plan(db_session, web.user.id, "Customer visit", 3, customer_id=customer.id, kind="meeting")

    class Viewer:
        id = web.user.id

        def can(self, permission):
            return True

    with app.test_request_context("/"):
        html = lead_activities_html(lead, Viewer())
        panel = customer_activities_panel(customer, Viewer())
    assert "Lead call" in html and f"lead_id={lead.id}" in html
    assert "Customer visit" in panel.html and panel.key == "sales-activities"
