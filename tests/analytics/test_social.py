"""Social value on a crafted referral tree: referrals at two levels, reach from a channel's
followers field, engagement from inbound interactions, influence with a damped second level, the
weighted score, its explanation and the ranking."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
import sqlalchemy as sa

import payvand.plugins.analytics as analytics
import payvand.plugins.sales as sales
from payvand.core.models import Customer, Setting
from payvand.plugins.analytics.models import CustomerSocial
from payvand.plugins.analytics.services import local_days, social
from tests.analytics import cost_plugin
from tests.analytics.orders import add_orders

TODAY = local_days.today()  # the site's day (Tehran): after 20:30 UTC it is already tomorrow there


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Sales (purchases), analytics and the test plugin declaring a followers field."""
    return [sales, analytics, cost_plugin]


def _day(days_ago: int) -> str:
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


@pytest.fixture
def tree(in_app, db_session, make_customer, make_interaction):
    """R referred X1 and X2; X1 referred Y1 and Y2; X2 referred Y3; Y1 referred Z.
    Spend in the window: X1 1000, X2 500, Y1 200, Y2 100, Z 50 (X1 also 9,999 two years ago).
    R has 1,000 followers and X2 10; R made three inbound non-money interactions, X1 one."""
    r = make_customer(given_name="R", attributes={"costs_test.followers": 1000}).id
    x1 = make_customer(given_name="X1", referred_by_id=r).id
    x2 = make_customer(given_name="X2", referred_by_id=r, attributes={"costs_test.followers": 10}).id
    y1 = make_customer(given_name="Y1", referred_by_id=x1).id
    y2 = make_customer(given_name="Y2", referred_by_id=x1).id
    y3 = make_customer(given_name="Y3", referred_by_id=x2).id
    z = make_customer(given_name="Z", referred_by_id=y1).id
    lonely = make_customer(given_name="Nobody").id
    add_orders(db_session, [(x1, _day(10), "1000"), (x2, _day(20), "500"), (y1, _day(5), "200"),
                            (y2, _day(30), "100"), (z, _day(3), "50"), (x1, _day(800), "9999")])
    for _ in range(3):
        make_interaction(customer_id=r, kind="core.note", channel="web", direction="inbound",
                         occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    make_interaction(customer_id=x1, kind="core.note", channel="chat", direction="inbound")
    make_interaction(customer_id=x1, kind="core.note", channel="email", direction="outbound")
    return {"R": r, "X1": x1, "X2": x2, "Y1": y1, "Y2": y2, "Y3": y3, "Z": z, "lonely": lonely}


def _run(db_session):
    run = social.run_social(social.SocialOptions(TODAY - dt.timedelta(days=364), TODAY))
    db_session.commit()
    rows = {row.customer_id: row for row in db_session.scalars(sa.select(CustomerSocial).where(CustomerSocial.run_id == run.id))}
    return run, rows


def test_parts_count_referrals_reach_engagement_and_damped_influence(tree, db_session):
    run, rows = _run(db_session)
    r, x1, x2, y1 = (rows[tree[k]] for k in ("R", "X1", "X2", "Y1"))
    assert (r.referrals, r.second_level, r.reach, r.engagement) == (2, 3, 1000, 3)
    assert r.influence == pytest.approx(1000 + 500 + 0.5 * (200 + 100))  # Z is three levels down
    assert (x1.referrals, x1.second_level, x1.engagement) == (2, 1, 1)  # the outbound email is not engagement
    assert x1.influence == pytest.approx(200 + 100 + 0.5 * 50)
    assert (x2.referrals, x2.reach, x2.influence) == (1, 10, 0)
    assert (y1.referrals, y1.influence) == (1, pytest.approx(50))
    assert tree["lonely"] not in rows and tree["Z"] not in rows and tree["Y3"] not in rows
    assert run.results["reach_fields"] == ["costs_test.followers"]


def test_the_score_is_the_weighted_mean_of_log_scaled_parts_and_ranks_customers(tree, db_session):
    run, rows = _run(db_session)
    r, x1 = rows[tree["R"]], rows[tree["X1"]]
    assert r.referrals_score == pytest.approx(100.0) and r.reach_score == pytest.approx(100.0)
    assert x1.engagement_score == pytest.approx(100 * math.log1p(1) / math.log1p(3))
    expected = (30 * r.referrals_score + 20 * r.reach_score + 20 * r.engagement_score + 30 * r.influence_score) / 100
    assert r.score == pytest.approx(expected) and r.score == pytest.approx(100.0)
    assert r.rank == 1
    ranks = sorted(rows.values(), key=lambda row: row.rank)
    assert [row.score for row in ranks] == sorted((row.score for row in ranks), reverse=True)
    parts = social.explain(r, run)
    assert [p["part"] for p in parts] == list(social.PARTS)
    assert sum(p["points"] for p in parts) == pytest.approx(r.score)


def test_weights_and_damping_come_from_the_settings(tree, db_session):
    db_session.add_all([Setting(key="analytics.social_weight_referrals", value=0),
                        Setting(key="analytics.social_weight_reach", value="0"),
                        Setting(key="analytics.social_weight_engagement", value=1),
                        Setting(key="analytics.social_weight_influence", value=0),
                        Setting(key="analytics.social_damping", value=0)])
    db_session.commit()
    run, rows = _run(db_session)
    assert run.results["weights"] == {"referrals": 0, "reach": 0, "engagement": 1, "influence": 0}
    assert rows[tree["R"]].influence == pytest.approx(1500)
    assert rows[tree["X1"]].score == pytest.approx(rows[tree["X1"]].engagement_score)
    assert rows[tree["X2"]].score == 0


def test_merged_away_customers_get_no_score_and_their_referrals_follow_the_merge(tree, db_session, runtime):
    from payvand.core.audit import SYSTEM
    from payvand.core.services.merge import merge_customers

    target = db_session.get(Customer, tree["X2"])
    source = db_session.get(Customer, tree["X1"])
    merge_customers(db_session, target, source, SYSTEM, runtime.plugins)
    db_session.commit()
    referred = set(db_session.scalars(sa.select(Customer.id).where(Customer.referred_by_id == tree["X2"])))
    assert referred == {tree["Y1"], tree["Y2"], tree["Y3"]}
    _run_obj, rows = _run(db_session)
    assert tree["X1"] not in rows
    assert rows[tree["X2"]].referrals == 3
    assert rows[tree["R"]].referrals == 1  # X1 is merged away: X2 is the one person R referred
