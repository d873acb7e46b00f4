"""Every way a lead comes in — the public form, the API, a CSV import, the staff page — goes
through one normalisation (`leads.normalize_lead`): names with Arabic ي/ك are stored with
Persian ی/ک, a phone in Persian digits as E.164, the message as written; and the search finds
the lead by either spelling and by the phone in any form."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.models import Lead
from payvand.plugins.sales.services.lead_import import import_leads
from payvand.sdk.testing import PERSIAN_FREE_TEXT, assert_text_kept
from tests.sales.test_leads_web import _public_post

TYPED = {"given_name": "ليلا", "family_name": "كريمي", "phone": "۰۹۱۲ ۹۹۹ ۸۸۷۷", "message": PERSIAN_FREE_TEXT}
STORED = ("لیلا", "کریمی", "+989129998877", PERSIAN_FREE_TEXT)
SEARCHES = ("لیلا", "ليلا", "کریمی", "+989129998877", "09129998877", "۰۹۱۲ ۹۹۹", "912999")


def _only_lead(db_session: Any) -> Lead:
    db_session.expire_all()
    return db_session.scalars(sa.select(Lead)).one()


def _assert_stored_and_found(api: Any, db_session: Any) -> None:
    lead = _only_lead(db_session)
    assert (lead.given_name, lead.family_name, lead.phone, lead.message) == STORED
    for q in SEARCHES:
        found = api.get("/api/v1/sales/leads", query_string={"q": q}).get_json()
        assert [item["id"] for item in found["items"]] == [lead.id], q


def test_public_form(app, client, api, db_session):
    response = _public_post(app, client, {**TYPED, "consent": "1"})
    assert response.status_code == 302, response.text
    _assert_stored_and_found(api, db_session)


def test_api(api, db_session):
    assert api.post("/api/v1/sales/leads", json=TYPED).status_code == 201
    _assert_stored_and_found(api, db_session)


def test_csv_import(in_app, api, db_session):
    text = "first,last,phone,notes\n" + ",".join(TYPED[k] for k in ("given_name", "family_name", "phone", "message")) + "\n"
    result = import_leads(io.StringIO(text))
    assert result.errors == []
    db_session.commit()
    _assert_stored_and_found(api, db_session)


def test_staff_page(web, api, db_session):
    response = web.post("/sales/leads/new", TYPED)
    assert response.status_code == 302, response.text
    _assert_stored_and_found(api, db_session)
    page = web.get("/sales/leads", query_string={"q": "کریمی"})
    assert f"/sales/leads/{_only_lead(db_session).id}" in page.text


def test_staff_edit_normalises_too(web, api, db_session):
    assert api.post("/api/v1/sales/leads", json={"given_name": "x", "email": "x@example.com"}).status_code == 201
    lead_id = _only_lead(db_session).id
    response = web.post(f"/sales/leads/{lead_id}", {**TYPED, "email": "x@example.com"})
    assert response.status_code == 302, response.text
    _assert_stored_and_found(api, db_session)


@pytest.mark.parametrize("message", ["تماس درباره سفارش ۱۲", "كالا  رسيد\nشماره ٣٤"])
def test_the_message_is_kept_as_written(api, db_session, message):
    assert_text_kept(lambda text: api.post("/api/v1/sales/leads", json={**TYPED, "message": text}).get_json(),
                     lambda body: db_session.get(Lead, body["id"]).message, message)


def test_the_service_normalises_whoever_calls_it(in_app, api, db_session):
    from payvand.plugins.sales.services import leads

    leads.create_lead({**TYPED, "source": "manual"})
    db_session.commit()
    _assert_stored_and_found(api, db_session)


def test_a_name_search_finds_digits_in_any_script(api):
    lead = api.post("/api/v1/sales/leads", json={"organization_name": "شركت ۱۲", "email": "co@example.com"}).get_json()
    assert lead["organization_name"] == "شرکت ۱۲"
    for q in ("شرکت 12", "شركت ۱۲", "شرکت ١٢"):
        found = api.get("/api/v1/sales/leads", query_string={"q": q}).get_json()["items"]
        assert [item["id"] for item in found] == [lead["id"]], q
