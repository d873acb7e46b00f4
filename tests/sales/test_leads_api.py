"""`/api/v1/sales/leads`: capture, validation, the record rule, keyset pages and conversion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Deal, Lead, Pipeline
from payvand.sdk import Customer, Interaction

BASE = "/api/v1/sales/leads"
EDIT = [perm.LEAD_VIEW, perm.LEAD_EDIT]


def _lead(api, **fields):
    body = {"given_name": "Sara", "family_name": "Ahmadi", "email": "sara@example.com"} | fields
    response = api.post(BASE, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_normalises_email_phone_and_utm_and_owns_the_lead(api_as):
    api = api_as(EDIT)
    lead = _lead(api, email=" Sara@Example.COM ", phone="۰۹۱۲-۳۴۵ ۶۷۸۹", utm={"source": "newsletter", "medium": "email"},
                 campaign="spring", consent=True)
    assert lead["email"] == "sara@example.com"
    assert lead["phone"] == "+989123456789"
    assert lead["utm"] == {"source": "newsletter", "medium": "email"}
    assert lead["source"] == "api" and lead["status"] == "new" and lead["consent"] is True
    assert lead["owner_id"] == api.user_id
    assert api.get(f"{BASE}/{lead['id']}").get_json()["campaign"] == "spring"


def test_create_refuses_a_lead_without_name_or_contact_with_field_messages(api_as):
    api = api_as(EDIT)
    response = api.post(BASE, json={"message": "hi", "email": "not-an-email"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert "family_name" in fields and "email" in fields
    bad_source = api.post(BASE, json={"organization_name": "Acme", "phone": "0912", "source": "fax"})
    assert bad_source.status_code == 422


def test_viewing_needs_permission_and_a_rep_sees_only_their_own_leads(api_as):
    rep_a, rep_b, manager = api_as(EDIT), api_as(EDIT), api_as(EDIT + [perm.MANAGE])
    mine = _lead(rep_a, email="a@example.com")
    theirs = _lead(rep_b, email="b@example.com")
    assert [item["id"] for item in rep_a.get(BASE).get_json()["items"]] == [mine["id"]]
    assert rep_a.get(f"{BASE}/{theirs['id']}").status_code == 404
    assert rep_a.patch(f"{BASE}/{theirs['id']}", json={"status": "contacted"}).status_code == 404
    assert {item["id"] for item in manager.get(BASE).get_json()["items"]} == {mine["id"], theirs["id"]}
    assert api_as([]).get(BASE).status_code == 403
    assert api_as([perm.LEAD_VIEW]).post(BASE, json={"organization_name": "X", "phone": "0912345678"}).status_code == 403


def test_list_filters_and_keyset_pages(api_as):
    api = api_as(EDIT + [perm.MANAGE])
    ids = [_lead(api, family_name=f"Karimi{i}", email=f"k{i}@example.com", source="manual")["id"] for i in range(5)]
    other = _lead(api, organization_name="Behsaz", given_name=None, family_name=None, email="info@behsaz.ir",
                  phone="+989121112233")
    first = api.get(BASE, query_string={"limit": 2, "source": "manual"}).get_json()
    second = api.get(BASE, query_string={"limit": 2, "source": "manual", "cursor": first["next_cursor"]}).get_json()
    third = api.get(BASE, query_string={"limit": 2, "source": "manual", "cursor": second["next_cursor"]}).get_json()
    walked = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert walked == sorted(ids, reverse=True) and third["next_cursor"] is None
    assert [i["id"] for i in api.get(BASE, query_string={"q": "Behs"}).get_json()["items"]] == [other["id"]]
    assert [i["id"] for i in api.get(BASE, query_string={"q": "INFO@beh"}).get_json()["items"]] == [other["id"]]
    assert [i["id"] for i in api.get(BASE, query_string={"q": "+98912111"}).get_json()["items"]] == [other["id"]]
    assert api.get(BASE, query_string={"status": "converted"}).get_json()["items"] == []
    assert api.get(BASE, query_string={"cursor": "garbage!"}).status_code == 400


def test_patch_changes_fields_but_not_the_source_nor_to_converted(api_as):
    api = api_as(EDIT)
    lead = _lead(api)
    changed = api.patch(f"{BASE}/{lead['id']}", json={"status": "qualified", "phone": "09120000000"}).get_json()
    assert changed["status"] == "qualified" and changed["phone"] == "+989120000000"
    assert api.patch(f"{BASE}/{lead['id']}", json={"source": "import"}).status_code == 422
    assert api.patch(f"{BASE}/{lead['id']}", json={"status": "converted"}).status_code == 422
    assert api.patch(f"{BASE}/{lead['id']}", json={"owner_id": 999999}).status_code == 422


def test_convert_creates_customer_and_deal_and_records_the_lead_history(api_as, db_session):
    api = api_as(EDIT)
    lead = _lead(api, phone="09123456789", campaign="spring", consent=True)
    past = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    db_session.execute(sa.update(Lead).where(Lead.id == lead["id"]).values(created_at=past))
    db_session.commit()
    response = api.post(f"{BASE}/{lead['id']}/convert", json={"create_deal": True, "deal_amount": "1500000"})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["created_customer"] is True and result["lead"]["status"] == "converted"
    assert result["lead"]["customer_id"] == result["customer_id"] and result["lead"]["converted_at"]
    db_session.expire_all()
    customer = db_session.get(Customer, result["customer_id"])
    assert customer.given_name == "Sara" and [e.email for e in customer.emails] == ["sara@example.com"]
    kinds = db_session.execute(sa.select(Interaction.kind, Interaction.occurred_at)
                               .where(Interaction.customer_id == customer.id).order_by(Interaction.occurred_at)).all()
    assert [k for k, _ in kinds] == ["sales.lead_created", "sales.lead_converted"]
    assert kinds[0][1].replace(tzinfo=dt.UTC) == past
    deal = db_session.get(Deal, result["deal_id"])
    assert deal.customer_id == customer.id and deal.lead_id == lead["id"] and deal.amount == Decimal("1500000")
    pipeline = db_session.get(Pipeline, deal.pipeline_id)
    assert pipeline.is_default and pipeline.stages[0].id == deal.stage_id
    again = api.post(f"{BASE}/{lead['id']}/convert", json={})
    assert again.status_code == 409


def test_convert_links_to_the_existing_customer_with_the_same_email(api_as, make_customer, db_session):
    existing = make_customer(given_name="Sara", family_name="Ahmadi", emails=["sara@example.com"])
    api = api_as(EDIT)
    lead = _lead(api, email="SARA@example.com")
    result = api.post(f"{BASE}/{lead['id']}/convert", json={}).get_json()
    assert result["customer_id"] == existing.id and result["created_customer"] is False and result["deal_id"] is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1
    missing = _lead(api, email="x@example.com")
    assert api.post(f"{BASE}/{missing['id']}/convert", json={"customer_id": 987654}).status_code == 422


def test_leads_are_in_the_openapi_document(api):
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/sales/leads"])
    assert {"get", "patch"} <= set(paths["/api/v1/sales/leads/{lead_id}"])
    assert "post" in paths["/api/v1/sales/leads/{lead_id}/convert"]
