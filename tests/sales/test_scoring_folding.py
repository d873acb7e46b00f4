"""A scoring rule's text value is compared through the same ی/ک folding as the leads' stored names
and labels, on both sides; the rule keeps the value as typed for display."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Lead, ScoringRule

ARABIC = "كمپين بهاري"      # Arabic ك and ي, as an Arabic keyboard types them
PERSIAN = "کمپین بهاری"


def test_a_rule_typed_with_arabic_letters_matches_the_folded_campaign(web_as, api, db_session):
    created = api.post("sales/leads", json={"given_name": "Sara", "email": "s@example.com", "campaign": PERSIAN})
    assert created.status_code == 201, created.get_json()
    manager = web_as([perm.LEAD_VIEW, perm.LEAD_EDIT, perm.MANAGE])
    for operator in ("eq", "contains"):
        added = manager.post("/sales/scoring", {"name": f"Spring {operator}", "field": "campaign", "operator": operator,
                                                "value": ARABIC if operator == "eq" else "بهاري", "points": "۵"})
        assert added.status_code == 302, added.get_data(as_text=True)
    assert manager.post("/sales/scoring", {"action": "recompute"}).status_code == 302
    db_session.expire_all()
    lead = db_session.scalars(sa.select(Lead)).one()
    assert lead.score == 10 and sorted(tuple(p) for p in lead.score_details) == [("Spring contains", 5), ("Spring eq", 5)]
    assert db_session.scalars(sa.select(ScoringRule.value).order_by(ScoringRule.id)).all() == [ARABIC, "بهاري"]
    assert ARABIC in manager.get("/sales/scoring").get_data(as_text=True)  # shown as typed


def test_a_persian_rule_matches_a_utm_value_sent_with_arabic_letters(web_as, api, db_session):
    created = api.post("sales/leads", json={"given_name": "Sara", "email": "s@example.com",
                                            "utm": {"campaign": ARABIC}})
    assert created.status_code == 201, created.get_json()
    manager = web_as([perm.LEAD_VIEW, perm.LEAD_EDIT, perm.MANAGE])
    manager.post("/sales/scoring", {"name": "Spring", "field": "utm_campaign", "operator": "eq", "value": PERSIAN,
                                    "points": "7"})
    manager.post("/sales/scoring", {"name": "Not spring", "field": "utm_campaign", "operator": "ne", "value": PERSIAN,
                                    "points": "-3"})
    manager.post("/sales/scoring", {"action": "recompute"})
    db_session.expire_all()
    assert db_session.scalars(sa.select(Lead.score)).one() == 7
