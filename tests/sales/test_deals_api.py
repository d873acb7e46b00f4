"""`/api/v1/sales/pipelines`, `/deals`, `/deals/{id}/move` and `/forecast`."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.sdk import Interaction

VIEW_EDIT = [perm.DEAL_VIEW, perm.DEAL_EDIT]


def _stages(api):
    (pipeline,) = api.get("sales/pipelines").json
    return {s["name"]: s["id"] for s in pipeline["stages"]}


def test_pipelines_list_the_default_pipeline_with_its_stages(api):
    response = api.get("sales/pipelines")
    assert response.status_code == 200
    (pipeline,) = response.json
    assert pipeline["name"] == "Sales" and pipeline["is_default"] is True
    assert [(s["name"], s["probability"], s["outcome"]) for s in pipeline["stages"]][-2:] == [
        ("Won", 100, "won"), ("Lost", 0, "lost")
    ]


def test_a_deal_is_created_read_and_patched_with_exact_amounts(api, make_customer):
    customer = make_customer()
    created = api.post("sales/deals", json={"title": "Routers", "amount": "1250000.50", "currency": "USD",
                                            "expected_close": "2026-12-20", "customer_id": customer.id})
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["amount"], body["currency"], body["status"], body["owner_id"]) == ("1250000.5", "USD", "open", api.user_id)
    assert created.headers["Location"] == f"/api/v1/sales/deals/{body['id']}"
    patched = api.patch(f"sales/deals/{body['id']}", json={"amount": 300, "title": "Routers x2"})
    assert (patched.status_code, patched.json["amount"], patched.json["title"]) == (200, "300", "Routers x2")
    assert api.get(f"sales/deals/{body['id']}").json["title"] == "Routers x2"


def test_invalid_deals_are_refused_with_field_messages(api):
    assert api.post("sales/deals", json={"amount": "1"}).json["error"]["fields"].keys() == {"title"}
    refused = api.post("sales/deals", json={"title": "X", "currency": "ABC"})
    assert refused.status_code == 422 and "currency" in refused.json["error"]["fields"]
    refused = api.post("sales/deals", json={"title": "X", "customer_id": 999})
    assert refused.status_code == 422 and "customer_id" in refused.json["error"]["fields"]
    assert api.post("sales/deals", json={"title": "X", "amount": 1.5}).status_code == 422  # floats are not exact


def test_moving_a_deal_to_won_records_the_amount_on_the_customer(api, make_customer, db_session):
    customer = make_customer()
    stages = _stages(api)
    deal = api.post("sales/deals", json={"title": "Big", "amount": "5000000", "customer_id": customer.id}).json
    moved = api.post(f"sales/deals/{deal['id']}/move", json={"stage_id": stages["Won"], "position": 0})
    assert moved.status_code == 200
    assert (moved.json["status"], moved.json["stage_id"]) == ("won", stages["Won"])
    assert moved.json["closed_at"] is not None
    won = db_session.scalars(sa.select(Interaction).where(Interaction.customer_id == customer.id)).one()
    assert (won.kind, won.value, won.currency) == ("sales.deal_won", Decimal(5000000), "IRR")


def test_a_lost_move_without_a_reason_is_refused_and_changes_nothing(api):
    stages = _stages(api)
    deal = api.post("sales/deals", json={"title": "Maybe"}).json
    refused = api.post(f"sales/deals/{deal['id']}/move", json={"stage_id": stages["Lost"]})
    assert refused.status_code == 422 and "reason_id" in refused.json["error"]["fields"]
    assert api.get(f"sales/deals/{deal['id']}").json["status"] == "open"


def test_a_rep_sees_and_moves_only_their_own_deals(api, api_as):
    stages = _stages(api)
    rep = api_as(VIEW_EDIT)
    theirs = api.post("sales/deals", json={"title": "Manager's"}).json
    refused = rep.post("sales/deals", json={"title": "Rep's", "owner_id": api.user_id})
    assert refused.status_code == 422 and "owner_id" in refused.json["error"]["fields"]  # refused, not rewritten
    mine = rep.post("sales/deals", json={"title": "Rep's"}).json
    assert mine["owner_id"] == rep.user_id
    assert [d["title"] for d in rep.get("sales/deals").json["items"]] == ["Rep's"]
    assert rep.get(f"sales/deals/{theirs['id']}").status_code == 404
    assert rep.post(f"sales/deals/{theirs['id']}/move", json={"stage_id": stages["Qualified"]}).status_code == 404
    assert rep.post(f"sales/deals/{mine['id']}/move", json={"stage_id": stages["Qualified"]}).status_code == 200
    assert {d["title"] for d in api.get("sales/deals").json["items"]} == {"Manager's", "Rep's"}


def test_deal_routes_need_their_permissions(api_as):
    viewer = api_as([perm.DEAL_VIEW])
    assert viewer.get("sales/deals").status_code == 200
    assert viewer.post("sales/deals", json={"title": "X"}).status_code == 403
    nobody = api_as([])
    for path in ("sales/deals", "sales/pipelines", "sales/forecast"):
        assert nobody.get(path).status_code == 403


def test_the_deal_list_filters_and_pages_with_a_cursor(api):
    stages = _stages(api)
    ids = [api.post("sales/deals", json={"title": f"D{n}"}).json["id"] for n in range(5)]
    api.post(f"sales/deals/{ids[0]}/move", json={"stage_id": stages["Proposal"]})
    first = api.get("sales/deals?limit=2").json
    assert [d["title"] for d in first["items"]] == ["D4", "D3"]
    second = api.get(f"sales/deals?limit=2&cursor={first['next_cursor']}").json
    assert [d["title"] for d in second["items"]] == ["D2", "D1"]
    assert [d["title"] for d in api.get(f"sales/deals?stage_id={stages['Proposal']}").json["items"]] == ["D0"]
    assert api.get("sales/deals?status=won").json == {"items": [], "next_cursor": None}
    assert api.get("sales/deals?cursor=abc").status_code == 400  # the list kit: a cursor it did not make is a 400 on `cursor`


def test_the_forecast_is_weighted_by_stage_probability(api):
    stages = _stages(api)
    a = api.post("sales/deals", json={"title": "A", "amount": "1000000", "expected_close": "2026-03-05"}).json
    api.post("sales/deals", json={"title": "B", "amount": "2000000", "expected_close": "2026-03-25"})
    api.post(f"sales/deals/{a['id']}/move", json={"stage_id": stages["Proposal"]})
    by_month = api.get("sales/forecast").json
    assert by_month["rows"] == [{"month": "2026-03", "currency": "IRR", "count": 2, "amount": "3000000",
                                 "weighted": "700000"}]
    jalali = api.get("sales/forecast?calendar=jalali").json["rows"]
    assert [(r["month"], r["weighted"]) for r in jalali] == [("1404-12", "500000"), ("1405-01", "200000")]
    by_owner = api.get("sales/forecast?by=owner").json["rows"]
    assert [(r["owner_id"], r["weighted"]) for r in by_owner] == [(api.user_id, "700000")]
    by_stage = {r["stage_id"]: r["count"] for r in api.get("sales/forecast?by=stage").json["rows"]}
    assert by_stage == {stages["New"]: 1, stages["Proposal"]: 1}


def test_the_forecast_of_one_pipeline_leaves_the_others_out(api, db_session):
    from payvand.plugins.sales.services import pipeline as svc

    stages = _stages(api)
    other = svc.create_pipeline(db_session, "Renewals", [("Due", 60, "open"), ("Renewed", 100, "won")])
    db_session.commit()
    api.post("sales/deals", json={"title": "Sale", "amount": "1000", "expected_close": "2026-05-01"})
    api.post("sales/deals", json={"title": "Renewal", "amount": "500", "stage_id": other.stages[0].id,
                                  "expected_close": "2026-05-01"})
    rows = api.get(f"sales/forecast?pipeline_id={other.id}").json["rows"]
    assert [(r["count"], r["weighted"]) for r in rows] == [(1, "300")]
    rows = api.get(f"sales/forecast?by=stage&pipeline_id={other.id}").json["rows"]
    assert [r["stage_id"] for r in rows] == [other.stages[0].id]
    assert stages["New"] not in [r["stage_id"] for r in rows]
