"""The deal form shows a refused owner on the owner field, in the reader's language.

A rep (no `sales.manage`) who posts another user's `owner_id` is refused by the rules
(`rules.may_assign`, 422 on `owner_id` in the API); the form must say so on the owner field, not
only with the generic "correct the fields" banner, and nothing is saved or changed.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Deal
from payvand.plugins.sales.services import pipeline as svc
from payvand.sdk.testing import english_words

REFUSAL = "Only a sales manager may give a deal to someone else."
PERSIAN = "فقط مدیر فروش می‌تواند معامله را به دیگری بسپارد."


@pytest.fixture
def rep(web_as, db_session):
    svc.ensure_default_pipeline(db_session)
    db_session.commit()
    return web_as([perm.DEAL_VIEW, perm.DEAL_EDIT])


@pytest.fixture
def other(make_user):
    return make_user(email="other-rep@example.com", name="Other Rep")


def _owner_error(page: str) -> str:
    assert 'id="f-owner_id-error"' in page, "no message on the owner field"
    return page.split('id="f-owner_id-error"', 1)[1].split("</div>", 1)[0]


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_a_new_deal_for_someone_else_is_refused_on_the_owner_field(rep, other, db_session, locale):
    rep.post("/account/locale", {"locale": locale})
    page = rep.post("/sales/deals/new", {"title": "Tea", "currency": "IRR", "owner_id": str(other.id)})
    assert page.status_code == 422
    assert (REFUSAL if locale == "en" else PERSIAN) in _owner_error(page.text)
    if locale == "fa":
        pipeline = svc.ensure_default_pipeline(db_session)  # its names are data, in the instance's language
        data = ["Tea", "IRR", "Test User", "user@example.com", pipeline.name, *(stage.name for stage in pipeline.stages)]
        assert english_words(page.text, allow=data) == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Deal)) == 0


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_giving_a_deal_away_on_the_edit_form_is_refused_on_the_owner_field(rep, other, db_session, locale):
    mine = svc.create_deal(db_session, {"title": "Tea", "owner_id": rep.user_id})
    db_session.commit()
    rep.post("/account/locale", {"locale": locale})
    page = rep.post(f"/sales/deals/{mine.id}/edit", {"title": "Tea", "currency": "IRR", "owner_id": str(other.id)})
    assert page.status_code == 422
    assert (REFUSAL if locale == "en" else PERSIAN) in _owner_error(page.text)
    db_session.expire_all()
    assert db_session.get(Deal, mine.id).owner_id == rep.user_id


def test_a_rep_naming_themselves_is_not_refused(rep, db_session):
    made = rep.post("/sales/deals/new", {"title": "Mine", "currency": "IRR", "owner_id": str(rep.user_id)})
    assert made.status_code == 302
    assert db_session.scalars(sa.select(Deal.owner_id).where(Deal.title == "Mine")).one() == rep.user_id
