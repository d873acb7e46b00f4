"""Staff pages of the pipeline: board, move, deal list, deal page, deal form, activities, forecast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Activity, Deal
from payvand.plugins.sales.services import activities
from payvand.plugins.sales.services import pipeline as svc
from payvand.sdk import Interaction

VIEW_EDIT = [perm.DEAL_VIEW, perm.DEAL_EDIT]


@pytest.fixture
def stages(db_session):
    pipeline = svc.ensure_default_pipeline(db_session)
    db_session.commit()
    return {s.name: s.id for s in pipeline.stages}


def _deal(db_session, **values):
    values.setdefault("title", "Deal")
    made = svc.create_deal(db_session, values)
    db_session.commit()
    return made


PAGES = ["/sales/board", "/sales/deals", "/sales/deals/new", "/sales/forecast"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_login_and_the_deal_permission(path, client, web_as):
    assert client.get(path).status_code == 302
    assert "/login" in client.get(path).headers["Location"]
    assert web_as([]).get(path).status_code == 403


def test_the_board_shows_a_column_per_stage_and_cards_with_money(web, db_session, stages, make_customer):
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    _deal(db_session, title="Routers", amount=Decimal(1250000), customer_id=customer.id)
    page = web.get("/sales/board")
    assert page.status_code == 200
    for name in ("New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"):
        assert f"><bdi>{name}</bdi></span>" in page.text
    assert 'id="deal-card-' in page.text and "Routers" in page.text and "Sara Ahmadi" in page.text
    assert "1,250,000" in page.text
    assert 'id="move-stage-' in page.text  # the keyboard alternative


def test_the_board_runs_a_constant_number_of_queries(web, db_session, stages, count_queries):
    _deal(db_session, title="One")
    web.get("/sales/board")
    with count_queries() as few:
        web.get("/sales/board")
    for n in range(30):
        _deal(db_session, title=f"D{n}", stage_id=stages["Proposal" if n % 2 else "New"])
    with count_queries() as many:
        web.get("/sales/board")
    assert len(few) == len(many)


def test_moving_with_the_form_changes_the_stage_and_redirects(web, db_session, stages):
    made = _deal(db_session, title="A")
    response = web.post(f"/sales/deals/{made.id}/move", {"stage_id": stages["Qualified"], "next": "/sales/board"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sales/board")
    db_session.expire_all()
    assert db_session.get(Deal, made.id).stage_id == stages["Qualified"]
    assert "New → Qualified" in web.get(f"/sales/deals/{made.id}").text  # the stage history


def test_moving_by_fetch_answers_json_and_refuses_a_lost_move_without_reason(web, db_session, stages, make_customer):
    customer = make_customer()
    made = _deal(db_session, title="A", amount=Decimal(900), customer_id=customer.id)
    headers = {"Accept": "application/json"}
    refused = web.post(f"/sales/deals/{made.id}/move", {"stage_id": stages["Lost"]}, headers=headers)
    assert refused.status_code == 422 and "lost" in refused.json["message"]
    moved = web.post(f"/sales/deals/{made.id}/move", {"stage_id": stages["Won"], "position": "0"}, headers=headers)
    assert moved.status_code == 200
    assert (moved.json["stage_id"], moved.json["status"]) == (stages["Won"], "won")
    kinds = list(db_session.scalars(sa.select(Interaction.kind).where(Interaction.customer_id == customer.id)))
    assert kinds == ["sales.deal_won"]


def test_a_move_without_the_csrf_token_is_refused(web, db_session, stages):
    made = _deal(db_session, title="A")
    assert web.post(f"/sales/deals/{made.id}/move", {"stage_id": stages["Won"]}, csrf=False).status_code == 400


def test_a_rep_sees_and_moves_only_their_own_deals(web_as, db_session, stages):
    rep = web_as(VIEW_EDIT)
    mine = _deal(db_session, title="Mine", owner_id=rep.user_id)
    theirs = _deal(db_session, title="Theirs")
    board = rep.get("/sales/board").text
    assert "Mine" in board and "Theirs" not in board
    assert "Theirs" not in rep.get("/sales/deals").text
    assert rep.get(f"/sales/deals/{theirs.id}").status_code == 404
    assert rep.post(f"/sales/deals/{theirs.id}/move", {"stage_id": stages["Won"]}).status_code == 404
    assert rep.post(f"/sales/deals/{mine.id}/move", {"stage_id": stages["Won"]}).status_code == 302


def test_a_viewer_without_edit_cannot_move(web_as, db_session, stages):
    viewer = web_as([perm.DEAL_VIEW, perm.MANAGE])
    made = _deal(db_session, title="A")
    assert 'id="move-stage-' not in viewer.get("/sales/board").text
    assert viewer.post(f"/sales/deals/{made.id}/move", {"stage_id": stages["Won"]}).status_code == 403


def test_a_new_deal_is_saved_and_errors_are_shown_next_to_fields(web, db_session, stages, make_customer):
    customer = make_customer()
    bad = web.post("/sales/deals/new", {"title": "", "amount": "12.345678", "currency": "IRR"})
    assert bad.status_code == 422
    assert 'id="f-title-error"' in bad.text and 'id="f-amount-error"' in bad.text
    unknown = web.post("/sales/deals/new", {"title": "X", "customer_id": "999999"})
    assert unknown.status_code == 422 and 'id="f-customer_id-error"' in unknown.text
    made = web.post("/sales/deals/new", {"title": "Laptops", "amount": "۱۵۰۰۰۰۰", "currency": "IRR",
                                         "expected_close": "2026-12-01", "customer_id": str(customer.id)})
    assert made.status_code == 302
    deal = db_session.scalars(sa.select(Deal).where(Deal.title == "Laptops")).one()
    assert (deal.amount, deal.stage_id, deal.owner_id) == (Decimal(1500000), stages["New"], web.user_id)
    edited = web.post(f"/sales/deals/{deal.id}/edit", {"title": "Laptops x2", "amount": "2000000", "currency": "IRR"})
    assert edited.status_code == 302
    db_session.expire_all()
    assert db_session.get(Deal, deal.id).title == "Laptops x2"
    assert web.get(f"/sales/deals/{deal.id}/edit").status_code == 200


def test_the_deal_page_plans_and_completes_activities(web, db_session, stages):
    made = _deal(db_session, title="A")
    page = web.get(f"/sales/deals/{made.id}")
    assert page.status_code == 200 and 'id="activity-form"' in page.text
    bad = web.post(f"/sales/deals/{made.id}/activities", {"kind": "call", "subject": ""})
    assert bad.status_code == 422 and 'id="f-subject-error"' in bad.text
    ok = web.post(f"/sales/deals/{made.id}/activities", {"kind": "call", "subject": "Call Sara",
                                                          "due_at": "2026-12-01T10:30", "remind_before": "30"})
    assert ok.status_code == 302
    activity = db_session.scalars(sa.select(Activity).where(Activity.deal_id == made.id)).one()
    assert activity.due_at == dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)  # 10:30 in Tehran (+03:30)
    assert activity.remind_at == dt.datetime(2026, 12, 1, 6, 30, tzinfo=dt.UTC)
    no_due = web.post(f"/sales/deals/{made.id}/activities", {"kind": "call", "subject": "X", "remind_before": "15"})
    assert no_due.status_code == 422 and 'id="f-remind_before-error"' in no_due.text  # a reminder needs a due time
    assert "Call Sara" in web.get(f"/sales/deals/{made.id}").text
    assert web.post(f"/sales/activities/{activity.id}/done").status_code == 302
    db_session.expire_all()
    assert db_session.get(Activity, activity.id).done_at is not None


def test_the_deal_list_pages_and_filters(web, db_session, stages, count_queries):
    for n in range(3):
        _deal(db_session, title=f"Deal {n}")
    _deal(db_session, title="Far along", stage_id=stages["Proposal"])
    page = web.get("/sales/deals")
    assert page.status_code == 200 and "Deal 0" in page.text and "Far along" in page.text
    filtered = web.get(f"/sales/deals?stage_id={stages['Proposal']}").text
    assert "Far along" in filtered and "Deal 0" not in filtered
    with count_queries() as few:
        web.get("/sales/deals")
    for n in range(60):
        _deal(db_session, title=f"More {n}")
    with count_queries() as many:
        listing = web.get("/sales/deals")
    assert len(few) == len(many)
    assert 'rel="next"' in listing.text


def test_the_forecast_page_shows_weighted_months_and_owners(web, db_session, stages):
    _deal(db_session, title="A", amount=Decimal(1000000), expected_close=dt.date(2026, 3, 5),
          stage_id=stages["Proposal"], owner_id=web.user_id)
    page = web.get("/sales/forecast")
    assert page.status_code == 200
    assert "March 2026" in page.text and "500,000" in page.text
    web.post("/account/locale", {"locale": "fa"})
    fa = web.get("/sales/forecast")
    assert "اسفند ۱۴۰۴" in fa.text


def test_the_deal_page_runs_a_constant_number_of_queries(web, db_session, stages, count_queries):
    made = _deal(db_session, title="A")
    web.get(f"/sales/deals/{made.id}")
    with count_queries() as few:
        web.get(f"/sales/deals/{made.id}")
    for n in range(20):
        activities.create_activity(db_session, {"deal_id": made.id, "subject": f"Call {n}"})
        svc.move_deal(db_session, made, stages["Qualified" if n % 2 == 0 else "New"])
    db_session.commit()
    with count_queries() as many:
        page = web.get(f"/sales/deals/{made.id}")
    assert "Call 19" in page.text
    assert len(few) == len(many)


def test_managers_add_pipelines_and_reasons_and_others_may_not(web, web_as, db_session):
    assert web_as(VIEW_EDIT).get("/sales/pipelines").status_code == 403
    page = web.get("/sales/pipelines")
    assert page.status_code == 200 and "Negotiation" in page.text
    bad = web.post("/sales/pipelines", {"name": "Renewals", "stages": "Due, many"})
    assert bad.status_code == 422 and 'id="f-stages-error"' in bad.text
    ok = web.post("/sales/pipelines", {"name": "Renewals", "stages": "Due, 60, open\nRenewed, 100, won\nChurned, 0, lost"})
    assert ok.status_code == 302
    (renewals,) = [p for p in svc.list_pipelines(db_session) if p.name == "Renewals"]
    assert [(s.name, s.probability, s.outcome) for s in renewals.stages] == [
        ("Due", 60, "open"), ("Renewed", 100, "won"), ("Churned", 0, "lost")]
    assert web.post("/sales/reasons", {"outcome": "lost", "name": "Too expensive"}).status_code == 302
    assert web.post("/sales/reasons", {"outcome": "lost", "name": "Too expensive"}).status_code == 422
    assert "Too expensive" in web.get("/sales/board").text  # offered on the lost column and the move forms
