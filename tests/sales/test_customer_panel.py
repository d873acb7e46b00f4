"""The sales panel on the customer 360 page: open deals (record rule), last orders, balance due."""

from __future__ import annotations

from decimal import Decimal

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Deal, Invoice, Order, Pipeline, Stage


def _pipeline(db_session) -> Stage:
    pipeline = Pipeline(name="Panel test", is_default=False)
    stage = Stage(name="Open", position=0, probability=10, outcome="open")
    pipeline.stages.append(stage)
    db_session.add(pipeline)
    db_session.flush()
    return stage


def test_the_panel_shows_open_deals_last_orders_and_balance_due(web_as, make_customer, db_session):
    customer = make_customer(given_name="Shirin")
    web = web_as([perm.DEAL_VIEW, perm.DOCUMENT_VIEW, perm.MANAGE, "core.customer.view"])
    stage = _pipeline(db_session)
    db_session.add_all([
        Deal(title="Office chairs", pipeline_id=stage.pipeline_id, stage_id=stage.id, customer_id=customer.id,
             amount=Decimal("120000000"), currency="IRR"),
        Deal(title="Closed one", pipeline_id=stage.pipeline_id, stage_id=stage.id, customer_id=customer.id,
             amount=Decimal("1"), currency="IRR", status="won"),
        Order(number="O-1405-000001", customer_id=customer.id, total=Decimal("55000000"), currency="IRR"),
        Invoice(number="INV-1405-000001", customer_id=customer.id, total=Decimal("55000000"),
                paid_total=Decimal("20000000"), currency="IRR", status="partially_paid", year=1405, sequence=1),
        Invoice(number="INV-1405-000002", customer_id=customer.id, total=Decimal("10"), paid_total=Decimal("10"),
                currency="IRR", status="paid", year=1405, sequence=2),
    ])
    db_session.commit()
    page = web.get(f"/customers/{customer.id}").text
    assert 'id="panel-sales"' in page
    assert "Office chairs" in page and "Closed one" not in page
    assert "O-1405-000001" in page
    assert "35,000,000 rials" in page  # 55,000,000 - 20,000,000 still owed


def test_a_rep_sees_only_their_own_deals_in_the_panel(web_as, make_customer, make_user, db_session):
    customer = make_customer()
    rep = web_as([perm.DEAL_VIEW, "core.customer.view"])
    other = make_user()
    stage = _pipeline(db_session)
    db_session.add_all([
        Deal(title="Mine", pipeline_id=stage.pipeline_id, stage_id=stage.id, customer_id=customer.id, owner_id=rep.user_id),
        Deal(title="Theirs", pipeline_id=stage.pipeline_id, stage_id=stage.id, customer_id=customer.id, owner_id=other.id),
    ])
    db_session.commit()
    page = rep.get(f"/customers/{customer.id}").text
    assert "Mine" in page and "Theirs" not in page
    assert 'id="sales-balance-due"' not in page  # no document permission: no money shown


def test_no_sales_permission_no_panel(web_as, make_customer):
    customer = make_customer()
    assert 'id="panel-sales"' not in web_as(["core.customer.view"]).get(f"/customers/{customer.id}").text


def test_the_panel_keeps_the_page_query_count_constant(web, make_customer, db_session, count_queries):
    few, many = make_customer(), make_customer()
    stage = _pipeline(db_session)
    db_session.add_all([Deal(title=f"D{i}", pipeline_id=stage.pipeline_id, stage_id=stage.id, customer_id=many.id)
                        for i in range(30)])
    db_session.add_all([Order(number=f"O-1405-{i:06d}", customer_id=many.id) for i in range(1, 30)])
    db_session.commit()
    web.get("/")  # the first page after logging in also stores the session once
    counts = []
    for customer in (few, many):
        with count_queries() as queries:
            assert web.get(f"/customers/{customer.id}").status_code == 200
        counts.append(list(queries))
    assert len(counts[0]) == len(counts[1])
