"""The "My activities" page: sections, filters, the add form, done/reopen inline, and the embeds."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Activity
from payvand.plugins.sales.services import activities
from payvand.plugins.sales.services import pipeline as svc
from payvand.sdk import Actor

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

    viewer = Actor.user(web.user.id, "viewer", is_superuser=True)
    with app.test_request_context("/"):
        html = lead_activities_html(lead, viewer)
        panel = customer_activities_panel(customer, viewer)
    assert "Lead call" in html and f"lead_id={lead.id}" in html
    assert "Customer visit" in panel.html and panel.key == "sales-activities"


# --------------------------------------------------------------------------- edit page


def _audits(db_session, activity_id):
    from payvand.core.models import AuditLog

    db_session.expire_all()
    return list(db_session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "sales_activity",
                                                             AuditLog.object_id == str(activity_id),
                                                             AuditLog.action == "update")))


def test_the_edit_page_shows_the_activity_in_local_time_and_saves_it_audited(web, db_session, make_customer):
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    other = make_customer()
    due = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)  # 10:30 in Tehran
    made = activities.create_activity(db_session, {"subject": "Call Sara", "kind": "call", "due_at": due,
                                                   "remind_at": due - dt.timedelta(minutes=60),
                                                   "customer_id": customer.id, "owner_id": web.user.id})
    db_session.commit()
    listing = web.get("/sales/activities")
    assert f'id="activity-edit-{made.id}"' in listing.text
    page = web.get(f"/sales/activities/{made.id}/edit")
    assert page.status_code == 200 and 'id="activity-edit-form"' in page.text
    assert 'value="2026-12-01T10:30"' in page.text and 'value="60" selected' in page.text
    assert "Chosen: \u2068Sara Ahmadi\u2069" in page.text and 'id="customer-q"' in page.text
    saved = web.post(f"/sales/activities/{made.id}/edit", {
        "subject": "Visit Sara", "kind": "meeting", "due_at": "۲۰۲۶-۱۲-۰۲T۰۹:۰۰", "remind_before": "15",
        "customer_id": str(other.id), "notes": "Bring the brochure", "next": "/sales/activities?status=open"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/sales/activities?status=open")
    db_session.expire_all()
    after = db_session.get(Activity, made.id)
    assert (after.subject, after.kind, after.customer_id, after.notes) == ("Visit Sara", "meeting", other.id,
                                                                           "Bring the brochure")
    assert after.due_at == dt.datetime(2026, 12, 2, 5, 30, tzinfo=dt.UTC)  # 09:00 in Tehran
    assert after.remind_at == dt.datetime(2026, 12, 2, 5, 15, tzinfo=dt.UTC)
    entries = _audits(db_session, made.id)
    assert len(entries) == 1 and entries[0].after["subject"] == "Visit Sara"
    assert entries[0].before["customer_id"] == customer.id
    cleared = web.post(f"/sales/activities/{made.id}/edit", {"subject": "Visit Sara", "kind": "meeting",
                                                              "customer_id": str(other.id)})
    assert cleared.status_code == 302 and cleared.headers["Location"].endswith("/sales/activities")
    db_session.expire_all()
    after = db_session.get(Activity, made.id)
    assert (after.due_at, after.remind_at, after.notes) == (None, None, None)
    assert web.post(f"/sales/activities/{made.id}/edit", {"subject": "X", "customer_id": str(other.id)},
                    csrf=False).status_code == 400


def test_the_edit_form_shows_field_errors_with_422_and_changes_nothing(web, db_session, make_customer):
    customer = make_customer()
    made = _plan(db_session, web.user.id, "Keep me", 5, customer_id=customer.id)
    for data, field in (({"subject": "", "kind": "call", "customer_id": str(customer.id)}, "subject"),
                        ({"subject": "X", "remind_before": "15", "customer_id": str(customer.id)}, "remind_before"),
                        ({"subject": "X", "kind": "fax", "customer_id": str(customer.id)}, "kind"),
                        ({"subject": "X", "due_at": "tomorrow", "customer_id": str(customer.id)}, "due_at"),
                        ({"subject": "X"}, "deal_id"),
                        ({"subject": "X", "customer_id": "999999999"}, "customer_id")):
        bad = web.post(f"/sales/activities/{made.id}/edit", data)
        assert bad.status_code == 422 and f'id="f-{field}-error"' in bad.text, field
        assert 'id="activity-edit-form"' in bad.text
    db_session.expire_all()
    assert db_session.get(Activity, made.id).subject == "Keep me"
    assert _audits(db_session, made.id) == []


def test_a_rep_cannot_edit_another_reps_activity(web_as, make_user, db_session, make_customer):
    customer = make_customer()
    other = make_user()
    theirs = _plan(db_session, other.id, "Not yours", 1, customer_id=customer.id)
    rep = web_as(VIEW_EDIT)
    assert rep.get(f"/sales/activities/{theirs.id}/edit").status_code == 404
    assert rep.post(f"/sales/activities/{theirs.id}/edit", {"subject": "Mine now",
                                                             "customer_id": str(customer.id)}).status_code == 404
    assert rep.get("/sales/activities/999999/edit").status_code == 404
    assert web_as([perm.DEAL_VIEW]).get(f"/sales/activities/{theirs.id}/edit").status_code == 403
    db_session.expire_all()
    assert db_session.get(Activity, theirs.id).subject == "Not yours"


def test_only_a_sales_manager_changes_the_owner(web_as, make_user, db_session, make_customer):
    customer = make_customer()
    colleague = make_user(name="Colleague")
    rep = web_as(VIEW_EDIT)
    mine = _plan(db_session, rep.user.id, "My call", 1, customer_id=customer.id)
    form = rep.get(f"/sales/activities/{mine.id}/edit")
    assert form.status_code == 200 and 'id="f-owner_id"' not in form.text
    refused = rep.post(f"/sales/activities/{mine.id}/edit", {"subject": "My call", "kind": "task",
                                                             "customer_id": str(customer.id),
                                                             "owner_id": str(colleague.id)})
    assert refused.status_code == 422 and 'id="f-owner_id-error"' in refused.text
    db_session.expire_all()
    assert db_session.get(Activity, mine.id).owner_id == rep.user.id
    manager = web_as([*VIEW_EDIT, perm.MANAGE])
    page = manager.get(f"/sales/activities/{mine.id}/edit")
    assert 'id="f-owner_id"' in page.text and "Colleague" in page.text
    given = manager.post(f"/sales/activities/{mine.id}/edit", {"subject": "My call", "kind": "task",
                                                               "customer_id": str(customer.id),
                                                               "owner_id": str(colleague.id)})
    assert given.status_code == 302
    db_session.expire_all()
    assert db_session.get(Activity, mine.id).owner_id == colleague.id
    assert _audits(db_session, mine.id)[-1].after == {"owner_id": colleague.id, "due_at": None}


def test_saving_an_untouched_edit_form_changes_nothing(web, db_session, make_customer):
    from zoneinfo import ZoneInfo

    customer = make_customer()
    made = _plan(db_session, web.user.id, "Same", 30, customer_id=customer.id)
    activities.update_activity(db_session, made, {"remind_at": made.due_at - dt.timedelta(minutes=90)})  # as the API may
    db_session.commit()
    before = len(_audits(db_session, made.id))
    shown = made.due_at.astimezone(ZoneInfo("Asia/Tehran")).strftime("%Y-%m-%dT%H:%M")
    page = web.get(f"/sales/activities/{made.id}/edit")
    assert f'value="{shown}"' in page.text
    assert '<option value="90" selected' in page.text and "90 minutes before" in page.text  # the odd offset is offered
    saved = web.post(f"/sales/activities/{made.id}/edit", {"subject": "Same", "kind": "task", "due_at": shown,
                                                           "remind_before": "90", "customer_id": str(customer.id),
                                                           "owner_id": str(web.user.id)})
    assert saved.status_code == 302
    db_session.expire_all()
    kept = db_session.get(Activity, made.id)
    assert (kept.due_at, kept.remind_at) == (made.due_at, made.due_at - dt.timedelta(minutes=90))
    assert len(_audits(db_session, made.id)) == before  # nothing changed, nothing audited


def test_editing_keeps_a_won_deal_the_activity_is_on(web, db_session, make_customer):
    customer = make_customer()
    deal = svc.create_deal(db_session, {"title": "Closed routers", "customer_id": customer.id})
    made = _plan(db_session, web.user.id, "Thank-you call", 2, deal_id=deal.id)
    deal.status = "won"
    db_session.commit()
    page = web.get(f"/sales/activities/{made.id}/edit")
    assert f'<option value="{deal.id}" selected>\u2068Closed routers\u2069</option>' in page.text
    saved = web.post(f"/sales/activities/{made.id}/edit", {"subject": "Thank-you visit", "kind": "meeting",
                                                            "deal_id": str(deal.id), "customer_id": str(customer.id)})
    assert saved.status_code == 302
    db_session.expire_all()
    assert db_session.get(Activity, made.id).deal_id == deal.id


# --------------------------------------------------------------------------- customer picker


def test_the_customer_picker_finds_customers_by_name_email_and_phone(web, make_customer, db_session):
    sara = make_customer(given_name="Sara", family_name="Ahmadi", emails=["sara@example.com"], phones=["09121234567"])
    make_customer(given_name="Reza", family_name="Karimi", emails=["reza@example.com"])
    gone = make_customer(given_name="Sara", family_name="Ahmadinejad")
    from payvand.core.models import Customer

    db_session.execute(sa.update(Customer).where(Customer.id == gone.id).values(merged_into_id=sara.id))
    db_session.commit()
    for q in ("Sara", "ahmadi sara", "sara@exa", "09121234", "۰۹۱۲۱۲۳۴", "+98912123"):
        found = web.get("/sales/activities/customers", query_string={"q": q})
        assert found.status_code == 200, q
        assert f'id="customer-pick-{sara.id}"' in found.text and f'data-customer-id="{sara.id}"' in found.text, q
        assert "Reza" not in found.text and f"customer-pick-{gone.id}" not in found.text, q
    none = web.get("/sales/activities/customers", query_string={"q": "Nobody"})
    assert none.status_code == 200 and "No customer matches." in none.text
    short = web.get("/sales/activities/customers", query_string={"q": "S"})
    assert "at least two letters" in short.text and "customer-pick-" not in short.text
    assert web.get("/sales/activities/customers").text.strip() == ""


def test_the_customer_picker_lists_at_most_ten(web, make_customer):
    for n in range(12):
        make_customer(given_name="Mina", family_name=f"Family{n}")
    found = web.get("/sales/activities/customers", query_string={"q": "Mina"})
    assert found.text.count('id="customer-pick-') == 10


def test_the_customer_picker_needs_deal_view_and_customer_view(web_as, client, make_customer):
    make_customer(given_name="Sara")
    assert web_as([perm.DEAL_VIEW]).get("/sales/activities/customers?q=Sara").status_code == 403
    assert web_as(["core.customer.view"]).get("/sales/activities/customers?q=Sara").status_code == 403
    both = web_as([perm.DEAL_VIEW, "core.customer.view"]).get("/sales/activities/customers?q=Sara")
    assert both.status_code == 200 and "Sara" in both.text
    anonymous = client.get("/sales/activities/customers?q=Sara")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_add_form_has_the_picker_and_still_takes_a_typed_number(web, db_session, make_customer):
    customer = make_customer()
    page = web.get("/sales/activities")
    assert 'id="customer-q"' in page.text and 'for="customer-q"' in page.text and 'id="f-customer_id"' in page.text
    ok = web.post("/sales/activities", {"subject": "Typed number", "customer_id": "".join(
        "۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in str(customer.id))})
    assert ok.status_code == 302
    assert db_session.scalars(sa.select(Activity).where(Activity.subject == "Typed number")).one().customer_id == customer.id
