"""The pipeline service: default pipeline, deals, moving cards, closing won/lost, record rule, forecast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Activity, Deal, Product
from payvand.plugins.sales.services import activities
from payvand.plugins.sales.services import pipeline as svc
from payvand.sdk import SYSTEM, Actor, Interaction


def Caller(user_id: int, permissions: tuple[str, ...] = ()) -> Actor:  # noqa: N802 - reads as a type in the tests
    """A staff actor of the service with a user id and permissions."""
    return Actor.user(user_id, f"user{user_id}@example.com", permissions=frozenset(permissions))


def _stages(db_session):
    pipeline = svc.ensure_default_pipeline(db_session)
    return pipeline, {s.name: s for s in pipeline.stages}


def _column(db_session, stage_id):
    return list(db_session.scalars(sa.select(Deal.title).where(Deal.stage_id == stage_id).order_by(Deal.position)))


def _positions(db_session, stage_id):
    return list(db_session.scalars(sa.select(Deal.position).where(Deal.stage_id == stage_id).order_by(Deal.position)))


def test_the_default_pipeline_is_made_once_with_six_stages(db_session):
    first = svc.list_pipelines(db_session)
    second = svc.list_pipelines(db_session)
    assert [p.id for p in first] == [p.id for p in second]
    (pipeline,) = first
    assert pipeline.name == "Sales" and pipeline.is_default
    assert [(s.name, s.probability, s.outcome) for s in pipeline.stages] == [
        ("New", 10, "open"), ("Qualified", 25, "open"), ("Proposal", 50, "open"),
        ("Negotiation", 75, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")]


def test_a_new_pipeline_keeps_its_stage_order_and_refuses_bad_stages(db_session):
    made = svc.create_pipeline(db_session, "Renewals", [("Due", 60, "open"), ("Renewed", 100, "won"), ("Churned", 0, "lost")])
    assert [s.name for s in made.stages] == ["Due", "Renewed", "Churned"]
    with pytest.raises(svc.PipelineError) as refused:
        svc.create_pipeline(db_session, "Bad", [("A", 120, "open")])
    assert refused.value.field == "stages"
    with pytest.raises(svc.PipelineError):
        svc.create_pipeline(db_session, "Renewals", [("A", 10, "open")])


def test_deals_are_added_at_the_bottom_of_the_first_stage_with_exact_amounts(db_session, make_customer):
    customer = make_customer()
    _, stages = _stages(db_session)
    one = svc.create_deal(db_session, {"title": "One", "amount": Decimal("1500000.4"), "currency": "IRR",
                                       "customer_id": customer.id})
    two = svc.create_deal(db_session, {"title": "Two", "amount": Decimal("19.995"), "currency": "USD"})
    assert (one.stage_id, one.position, one.status) == (stages["New"].id, 0, "open")
    assert two.position > one.position  # below it
    assert one.amount == Decimal(1500000)  # rials have no minor unit
    assert two.amount == Decimal("20.00")
    with pytest.raises(svc.PipelineError) as refused:
        svc.create_deal(db_session, {"title": "X", "currency": "XYZ"})
    assert refused.value.field == "currency"


def test_products_go_on_a_deal_and_unknown_products_are_refused(db_session):
    db_session.add(Product(id=7, sku="P-7", name="Router"))
    db_session.flush()
    deal = svc.create_deal(db_session, {"title": "Kit", "products": [{"product_id": 7, "quantity": "2", "unit_price": "150"}]})
    (line,) = svc.deal_products(db_session, deal.id)
    assert (line.name, line.quantity, line.unit_price) == ("Router", Decimal(2), Decimal(150))
    with pytest.raises(svc.PipelineError) as refused:
        svc.create_deal(db_session, {"title": "Bad", "products": [{"product_id": 99}]})
    assert refused.value.field == "products"


def test_moving_within_a_column_and_across_columns_keeps_positions_contiguous(db_session):
    _, stages = _stages(db_session)
    new, qualified = stages["New"].id, stages["Qualified"].id
    deals = {t: svc.create_deal(db_session, {"title": t}) for t in "ABCD"}
    svc.move_deal(db_session, deals["D"], new, 0)
    assert _column(db_session, new) == ["D", "A", "B", "C"]
    svc.move_deal(db_session, deals["D"], new, 2)
    assert _column(db_session, new) == ["A", "B", "D", "C"]
    svc.move_deal(db_session, deals["B"], qualified, 0)
    svc.move_deal(db_session, deals["A"], qualified, 0)
    svc.move_deal(db_session, deals["C"], qualified, 99)  # past the end: the bottom
    db_session.expire_all()
    assert _column(db_session, new) == ["D"]
    assert _column(db_session, qualified) == ["A", "B", "C"]
    keys = _positions(db_session, qualified)
    assert keys == sorted(set(keys))  # distinct sort keys


def test_moves_into_the_same_place_keep_the_order_when_the_gap_runs_out(db_session):
    _, stages = _stages(db_session)
    new, won = stages["New"].id, stages["Won"].id
    svc.create_deal(db_session, {"title": "top"})
    svc.create_deal(db_session, {"title": "bottom"})
    expected = ["top", "bottom"]
    for n in range(12):  # each lands just below "top": the gap of 64 runs out after 6 halvings
        made = svc.create_deal(db_session, {"title": f"m{n}", "stage_id": won})
        svc.move_deal(db_session, made, new, 1)
        expected.insert(1, f"m{n}")
    db_session.expire_all()
    assert _column(db_session, new) == expected
    keys = _positions(db_session, new)
    assert keys == sorted(set(keys))


def test_a_move_writes_only_the_moved_card_when_there_is_room(db_session):
    _, stages = _stages(db_session)
    deals = [svc.create_deal(db_session, {"title": t}) for t in "ABC"]
    before = {d.id: d.position for d in deals}
    svc.move_deal(db_session, deals[2], stages["New"].id, 0)
    db_session.expire_all()
    after = dict(db_session.execute(sa.select(Deal.id, Deal.position)).all())
    assert [i for i in before if before[i] != after[i]] == [deals[2].id]
    assert _column(db_session, stages["New"].id) == ["C", "A", "B"]


def test_winning_a_deal_closes_it_and_records_the_amount_on_the_customer(db_session, make_customer):
    customer = make_customer()
    _, stages = _stages(db_session)
    deal = svc.create_deal(db_session, {"title": "Big", "amount": Decimal(2500000), "customer_id": customer.id})
    svc.move_deal(db_session, deal, stages["Won"].id, 0)
    assert deal.status == "won" and deal.closed_at is not None
    (won,) = db_session.scalars(sa.select(Interaction).where(Interaction.customer_id == customer.id,
                                                             Interaction.kind == "sales.deal_won"))
    assert (won.value, won.currency) == (Decimal(2500000), "IRR")
    svc.move_deal(db_session, deal, stages["Negotiation"].id, 0)  # reopened
    assert (deal.status, deal.closed_at) == ("open", None)


def test_losing_a_deal_needs_a_lost_reason(db_session, make_customer):
    customer = make_customer()
    _, stages = _stages(db_session)
    deal = svc.create_deal(db_session, {"title": "Maybe", "customer_id": customer.id})
    with pytest.raises(svc.PipelineError) as refused:
        svc.move_deal(db_session, deal, stages["Lost"].id)
    assert refused.value.field == "reason_id"
    assert deal.stage_id == stages["New"].id and deal.status == "open"
    won_reason = svc.add_reason(db_session, "won", "Best price")
    with pytest.raises(svc.PipelineError):
        svc.move_deal(db_session, deal, stages["Lost"].id, reason_id=won_reason.id)
    lost_reason = svc.add_reason(db_session, "lost", "Too expensive")
    svc.move_deal(db_session, deal, stages["Lost"].id, reason_id=lost_reason.id)
    assert (deal.status, deal.reason_id) == ("lost", lost_reason.id)
    kinds = list(db_session.scalars(sa.select(Interaction.kind).where(Interaction.customer_id == customer.id)))
    assert kinds == ["sales.deal_lost"]


def test_a_stage_of_another_pipeline_is_refused(db_session):
    svc.ensure_default_pipeline(db_session)
    other = svc.create_pipeline(db_session, "Other", [("Start", 5, "open")])
    deal = svc.create_deal(db_session, {"title": "A"})
    with pytest.raises(svc.PipelineError) as refused:
        svc.move_deal(db_session, deal, other.stages[0].id)
    assert refused.value.field == "stage_id"


def test_a_rep_sees_only_their_own_deals_and_a_manager_sees_all(db_session, make_user, in_app):
    rep, other = make_user(), make_user()
    rep_caller = Caller(rep.id, (perm.DEAL_VIEW,))
    with pytest.raises(svc.PipelineError) as refused:  # a rep naming another owner is refused, not rewritten
        svc.create_deal(db_session, {"title": "Mine", "owner_id": other.id}, rep_caller)
    assert refused.value.field == "owner_id"
    mine = svc.create_deal(db_session, {"title": "Mine"}, rep_caller)  # reps own what they create
    theirs = svc.create_deal(db_session, {"title": "Theirs", "owner_id": other.id})
    assert mine.owner_id == rep.id
    assert [d.title for d in svc.list_deals(db_session, rep_caller, {}).items] == ["Mine"]
    with pytest.raises(svc.DealNotFound):
        svc.get_deal(db_session, theirs.id, rep_caller)
    manager = Caller(rep.id, (perm.DEAL_VIEW, perm.MANAGE))
    assert {d.title for d in svc.list_deals(db_session, manager, {}).items} == {"Mine", "Theirs"}
    with pytest.raises(svc.PipelineError):
        svc.update_deal(db_session, mine, {"owner_id": other.id}, rep_caller)


def test_deal_lists_are_keyset_paged_newest_first(db_session):
    for n in range(5):
        svc.create_deal(db_session, {"title": f"D{n}"})
    page = svc.list_deals(db_session, SYSTEM, {"limit": 2})
    assert [d.title for d in page.items] == ["D4", "D3"]
    page = svc.list_deals(db_session, SYSTEM, {"limit": 2, "cursor": page.next_cursor})
    assert [d.title for d in page.items] == ["D2", "D1"]
    page = svc.list_deals(db_session, SYSTEM, {"limit": 2, "cursor": page.next_cursor})
    assert [d.title for d in page.items] == ["D0"] and page.next_cursor is None


def test_the_weighted_forecast_groups_open_deals_by_month_owner_and_currency(db_session, make_user):
    owner = make_user()
    _, stages = _stages(db_session)
    lost = svc.add_reason(db_session, "lost", "No budget")

    def deal(title, amount, currency, close, stage):
        made = svc.create_deal(db_session, {"title": title, "amount": Decimal(amount), "currency": currency,
                                            "expected_close": close, "owner_id": owner.id})
        svc.move_deal(db_session, made, stages[stage].id, reason_id=lost.id if stage == "Lost" else None)

    deal("a", "1000000", "IRR", dt.date(2026, 3, 5), "Proposal")       # 500 000
    deal("b", "2000000", "IRR", dt.date(2026, 3, 25), "Negotiation")   # 1 500 000
    deal("c", "100.00", "USD", dt.date(2026, 3, 25), "Qualified")      # 25.00
    deal("d", "9999999", "IRR", dt.date(2026, 3, 6), "Lost")           # closed: left out
    deal("e", "4000000", "IRR", None, "New")                           # 400 000, no date
    rows = svc.forecast_by_month(db_session)
    assert [(r.key, r.currency, r.count, str(r.amount), str(r.weighted)) for r in rows] == [
        ((2026, 3), "IRR", 2, "3000000", "2000000"),
        ((2026, 3), "USD", 1, "100.00", "25.00"),
        (None, "IRR", 1, "4000000", "400000"),
    ]
    jalali = svc.forecast_by_month(db_session, calendar="jalali")  # 5 March is Esfand 1404, 25 March Farvardin 1405
    assert [(r.key, r.currency, str(r.weighted)) for r in jalali[:3]] == [
        ((1404, 12), "IRR", "500000"), ((1405, 1), "IRR", "1500000"), ((1405, 1), "USD", "25.00")]
    by_owner = svc.forecast_by_owner(db_session)
    assert [(r.key, r.currency, r.count, str(r.weighted)) for r in by_owner] == [
        (owner.id, "IRR", 3, "2400000"), (owner.id, "USD", 1, "25.00")]
    by_stage = {(r.key, r.currency): (r.count, str(r.amount)) for r in svc.pipeline_by_stage(db_session)}
    assert by_stage[(stages["Lost"].id, "IRR")] == (1, "9999999")


def test_activities_are_planned_on_a_deal_and_completed(db_session):
    deal = svc.create_deal(db_session, {"title": "A"})
    now = dt.datetime.now(dt.UTC)
    call = activities.create_activity(db_session, {"deal_id": deal.id, "kind": "call", "subject": "Call back",
                                                      "due_at": now + dt.timedelta(hours=2),
                                                      "remind_at": now - dt.timedelta(minutes=1)})
    with pytest.raises(svc.PipelineError):
        activities.create_activity(db_session, {"deal_id": deal.id, "kind": "call", "subject": "x", "due_at": now,
                                                   "remind_at": now + dt.timedelta(hours=1)})
    due = sa.select(Activity.id).where(*activities.due_conditions(now))
    assert list(db_session.scalars(due)) == [call.id]
    activities.complete_activity(db_session, call)
    assert call.done_at is not None
    assert list(db_session.scalars(due)) == []


def test_the_stage_history_keeps_each_stage_change_with_who_made_it(db_session, make_user):
    user = make_user(name="Rep Karimi")
    _, stages = _stages(db_session)
    caller = Caller(user.id, (perm.MANAGE,))
    deal = svc.create_deal(db_session, {"title": "A"}, caller)
    svc.move_deal(db_session, deal, stages["Qualified"].id, actor=caller)
    svc.move_deal(db_session, deal, stages["Qualified"].id, 0, actor=caller)  # same column: no history row
    svc.move_deal(db_session, deal, stages["Proposal"].id)
    history = svc.stage_history(db_session, deal.id)
    assert [(h.from_stage, h.to_stage, h.user_name) for h in history] == [
        (None, "New", "Rep Karimi"), ("New", "Qualified", "Rep Karimi"), ("Qualified", "Proposal", None)]


def test_the_reminder_job_is_declared_for_the_scheduler():
    import payvand.plugins.sales as sales

    jobs = {job.name: job for job in sales.payvand_jobs()}
    job = jobs["sales.activity_reminders"]
    assert (job.every_seconds, job.func) == (300, activities.remind_job)


def test_customer_hooks_move_export_and_erase_deals_and_activities(db_session, make_customer):
    source, target = make_customer(), make_customer()
    deal = svc.create_deal(db_session, {"title": "Sara's routers", "amount": Decimal(1000), "customer_id": source.id})
    activities.create_activity(db_session, {"deal_id": deal.id, "subject": "Call Sara", "notes": "Her mobile is 0912..."})
    moved = svc.merge_customer(target, source)
    assert sorted((m.table, len(m.ids)) for m in moved) == [("sales_activity", 1), ("sales_deal", 1)]
    db_session.expire_all()
    assert db_session.get(Deal, deal.id).customer_id == target.id
    exported = svc.export_customer(target)
    assert exported["deals"][0]["title"] == "Sara's routers" and exported["deals"][0]["amount"] == "1000"
    assert exported["activities"][0]["subject"] == "Call Sara"
    assert svc.export_customer(source) is None
    svc.erase_customer(target)
    db_session.expire_all()
    erased = db_session.get(Deal, deal.id)
    assert (erased.title, erased.amount) == (f"Deal {deal.id}", Decimal(1000))
    assert "Sara" not in str(svc.export_customer(target))


def test_creating_changing_and_moving_a_deal_is_audited(api_as, db_session):
    from payvand.core.models import AuditLog
    from payvand.plugins.sales import permissions as perm

    client = api_as([perm.DEAL_VIEW, perm.DEAL_EDIT, perm.MANAGE])
    created = client.post("sales/deals", json={"title": "Audit me", "amount": "1000", "currency": "IRR"})
    assert created.status_code == 201, created.json
    deal_id = created.json["id"]
    assert client.patch(f"sales/deals/{deal_id}", json={"title": "Audited"}).status_code == 200
    stages = client.get("sales/pipelines").json[0]["stages"]
    assert client.post(f"sales/deals/{deal_id}/move", json={"stage_id": stages[1]["id"]}).status_code == 200
    entries = db_session.execute(sa.select(AuditLog.action, AuditLog.actor_id, AuditLog.after)
                                 .where(AuditLog.object_type == "sales_deal", AuditLog.object_id == str(deal_id))
                                 .order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["create", "update", "move"]
    assert all(e.actor_id == client.user_id for e in entries)
    assert entries[1].after == {"title": "Audited"}
