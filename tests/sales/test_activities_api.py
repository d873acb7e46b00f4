"""`/api/v1/sales/activities`: plan, read, filter, page, change, complete, reopen and delete activities."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.sdk import Interaction

VIEW_EDIT = [perm.DEAL_VIEW, perm.DEAL_EDIT]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _at(hours: float) -> str:
    return (NOW + dt.timedelta(hours=hours)).isoformat()


def _deal(api, **fields):
    return api.post("sales/deals", json={"title": "Routers", **fields}).json


def test_an_activity_on_a_deal_takes_its_customer_and_the_caller_as_owner(api, make_customer):
    customer = make_customer()
    deal = _deal(api, customer_id=customer.id)
    made = api.post("sales/activities", json={"kind": "call", "subject": "Call Sara", "deal_id": deal["id"],
                                              "due_at": "2026-12-01T10:30:00+03:30",
                                              "remind_at": "2026-12-01T10:00:00+03:30"})
    assert made.status_code == 201, made.json
    body = made.json
    assert (body["deal_id"], body["customer_id"], body["owner_id"]) == (deal["id"], customer.id, api.user_id)
    assert body["due_at"].startswith("2026-12-01T07:00:00")
    assert made.headers["Location"] == f"/api/v1/sales/activities/{body['id']}"
    assert api.get(f"sales/activities/{body['id']}").json["subject"] == "Call Sara"


def test_invalid_activities_are_refused_with_field_messages(api, make_customer):
    customer = make_customer()
    unattached = api.post("sales/activities", json={"subject": "Floating"})
    assert unattached.status_code == 422 and "_schema" in unattached.json["error"]["fields"]
    naive = api.post("sales/activities", json={"subject": "X", "customer_id": customer.id, "due_at": "2026-12-01T10:30:00"})
    assert naive.status_code == 422 and "due_at" in naive.json["error"]["fields"]
    late = api.post("sales/activities", json={"subject": "X", "customer_id": customer.id, "due_at": _at(1),
                                              "remind_at": _at(2)})
    assert late.status_code == 422 and "remind_at" in late.json["error"]["fields"]
    missing = api.post("sales/activities", json={"subject": "X", "deal_id": 999999})
    assert missing.status_code == 422 and "deal_id" in missing.json["error"]["fields"]
    kind = api.post("sales/activities", json={"subject": "X", "customer_id": customer.id, "kind": "party"})
    assert kind.status_code == 422


def test_a_rep_sees_own_activities_and_those_on_own_deals_only(api_as, make_customer):
    customer = make_customer()
    rep, other = api_as(VIEW_EDIT), api_as(VIEW_EDIT)
    manager = api_as([*VIEW_EDIT, perm.MANAGE])
    mine = rep.post("sales/activities", json={"subject": "Mine", "customer_id": customer.id}).json
    theirs = other.post("sales/activities", json={"subject": "Theirs", "customer_id": customer.id}).json
    rep_deal = _deal(rep)
    on_my_deal = manager.post("sales/activities", json={"subject": "Manager's note on rep's deal",
                                                        "deal_id": rep_deal["id"]}).json
    assert on_my_deal["owner_id"] == manager.user_id
    seen = {a["subject"] for a in rep.get("sales/activities").json["items"]}
    assert seen == {"Mine", "Manager's note on rep's deal"}
    assert rep.get(f"sales/activities/{theirs['id']}").status_code == 404
    assert rep.patch(f"sales/activities/{theirs['id']}", json={"subject": "Hijack"}).status_code == 404
    assert rep.post(f"sales/activities/{on_my_deal['id']}/done").status_code == 200
    given = rep.patch(f"sales/activities/{mine['id']}", json={"owner_id": other.user_id})
    assert given.status_code == 422 and "owner_id" in given.json["error"]["fields"]
    assert {a["subject"] for a in manager.get("sales/activities").json["items"]} >= {"Mine", "Theirs"}
    assert {a["subject"] for a in rep.get("sales/activities?mine=true").json["items"]} == {"Mine"}


def test_the_list_filters_by_status_kind_link_and_due_range(api, make_customer):
    customer = make_customer()
    deal = _deal(api)
    overdue = api.post("sales/activities", json={"subject": "Late", "kind": "call", "customer_id": customer.id,
                                                 "due_at": _at(-5)}).json
    soon = api.post("sales/activities", json={"subject": "Soon", "deal_id": deal["id"], "due_at": _at(5)}).json
    done = api.post("sales/activities", json={"subject": "Done", "customer_id": customer.id, "due_at": _at(-1)}).json
    api.post(f"sales/activities/{done['id']}/done")
    undated = api.post("sales/activities", json={"subject": "Someday", "customer_id": customer.id}).json

    def subjects(query):
        response = api.get(f"sales/activities?{query}")
        assert response.status_code == 200, response.json
        return [a["subject"] for a in response.json["items"]]

    assert subjects("status=overdue") == ["Late"]
    assert subjects("status=open") == ["Late", "Soon", "Someday"]  # by due time, undated last
    assert subjects("status=done") == ["Done"]
    assert subjects("kind=call") == ["Late"]
    assert subjects(f"deal_id={deal['id']}") == ["Soon"]
    assert subjects(f"customer_id={customer.id}&status=open") == ["Late", "Someday"]
    window = f"due_from={_at(-2).replace('+', '%2B')}&due_to={_at(10).replace('+', '%2B')}"
    assert subjects(window) == ["Done", "Soon"]
    assert {overdue["id"], soon["id"], undated["id"]} <= {a["id"] for a in api.get("sales/activities").json["items"]}
    assert api.get("sales/activities?cursor=nonsense").status_code == 400  # the list kit: a 400 on `cursor`
    assert api.get("sales/activities?status=lost").status_code == 422


def test_pages_of_the_list_follow_the_cursor_across_timed_and_untimed_activities(api, make_customer):
    customer = make_customer()
    for n in range(5):
        api.post("sales/activities", json={"subject": f"T{n}", "customer_id": customer.id, "due_at": _at(n)})
    for n in range(4):
        api.post("sales/activities", json={"subject": f"U{n}", "customer_id": customer.id})
    seen, cursor = [], None
    while True:
        page = api.get("sales/activities?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [a["subject"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["T0", "T1", "T2", "T3", "T4", "U0", "U1", "U2", "U3"]
    for n in range(3):
        api.post(f"sales/activities/{api.get('sales/activities?limit=200').json['items'][n]['id']}/done")
    first = api.get("sales/activities?status=done&limit=2").json
    rest = api.get(f"sales/activities?status=done&limit=2&cursor={first['next_cursor']}").json
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_completing_a_call_on_a_customer_records_it_on_the_timeline_once(api, make_customer, db_session):
    customer = make_customer()
    call = api.post("sales/activities", json={"kind": "call", "subject": "Quote follow-up",
                                              "customer_id": customer.id}).json
    task = api.post("sales/activities", json={"kind": "task", "subject": "Prepare", "customer_id": customer.id}).json
    assert api.post(f"sales/activities/{call['id']}/done").json["done_at"] is not None
    assert api.post(f"sales/activities/{call['id']}/done").status_code == 200  # again: no second entry
    api.post(f"sales/activities/{task['id']}/done")
    rows = db_session.scalars(sa.select(Interaction).where(Interaction.customer_id == customer.id)).all()
    assert [(r.kind, r.channel) for r in rows] == [("sales.activity_done", "phone")]
    assert rows[0].source_type == "sales.activity" and "Quote follow-up" in rows[0].summary
    reopened = api.patch(f"sales/activities/{call['id']}", json={"done": False})
    assert reopened.status_code == 200 and reopened.json["done_at"] is None


def test_a_meeting_and_an_email_use_their_channels(api, make_customer, db_session):
    customer = make_customer()
    for kind in ("meeting", "email"):
        made = api.post("sales/activities", json={"kind": kind, "subject": kind, "customer_id": customer.id}).json
        api.patch(f"sales/activities/{made['id']}", json={"done": True})
    channels = db_session.scalars(sa.select(Interaction.channel).where(Interaction.customer_id == customer.id)
                                  .order_by(Interaction.id)).all()
    assert channels == ["in_person", "email"]


def test_patch_and_delete_are_audited(api, make_customer, db_session):
    from payvand.core.models import AuditLog

    customer = make_customer()
    made = api.post("sales/activities", json={"subject": "Old", "customer_id": customer.id}).json
    patched = api.patch(f"sales/activities/{made['id']}", json={"subject": "New", "due_at": _at(3)})
    assert patched.status_code == 200 and patched.json["subject"] == "New"
    assert api.delete(f"sales/activities/{made['id']}").status_code == 204
    assert api.get(f"sales/activities/{made['id']}").status_code == 404
    actions = db_session.scalars(sa.select(AuditLog.action).where(AuditLog.object_type == "sales_activity",
                                                                  AuditLog.object_id == str(made["id"]))
                                 .order_by(AuditLog.id)).all()
    assert actions == ["create", "update", "delete"]


def test_the_activity_routes_need_their_permissions(api_as, make_customer):
    customer = make_customer()
    reader = api_as([perm.DEAL_VIEW])
    nobody = api_as([perm.LEAD_VIEW])
    assert nobody.get("sales/activities").status_code == 403
    assert reader.get("sales/activities").status_code == 200
    assert reader.post("sales/activities", json={"subject": "X", "customer_id": customer.id}).status_code == 403
