"""The sales lists on the list kit: deals, activities and products (with leads) share one opaque
cursor format, and each list refuses a cursor another list (or another sort) made — in the API
(400 on `cursor`) and on the pages (400, the filters kept, the message on the cursor)."""

from __future__ import annotations

import pytest

from payvand.plugins.sales import permissions as perm

#: API list path → query giving a one-row first page with a next cursor.
LISTS = {
    "deals": "sales/deals?limit=1",
    "activities": "sales/activities?limit=1",
    "products": "sales/products?limit=1",
    "leads": "sales/leads?limit=1",
}


@pytest.fixture
def cursors(api, make_customer):
    customer = make_customer(given_name="Sara")
    for n in range(2):
        assert api.post("sales/deals", json={"title": f"Deal {n}"}).status_code == 201
        assert api.post("sales/activities", json={"subject": f"Call {n}", "customer_id": customer.id}).status_code == 201
        assert api.post("sales/products", json={"sku": f"SKU-{n}", "name": f"Tea {n}"}).status_code == 201
        assert api.post("sales/leads", json={"given_name": f"Lead {n}", "email": f"l{n}@example.com"}).status_code == 201
    found = {}
    for name, query in LISTS.items():
        page = api.get(query).get_json()
        assert len(page["items"]) == 1 and page["next_cursor"], name
        found[name] = page["next_cursor"]
    return found


def test_each_list_follows_its_own_cursor(api, cursors):
    for name, query in LISTS.items():
        second = api.get(f"{query}&cursor={cursors[name]}")
        assert second.status_code == 200, name
        assert len(second.get_json()["items"]) == 1, name


def test_a_cursor_of_another_list_is_refused_in_the_api(api, cursors):
    for name, query in LISTS.items():
        for other, cursor in cursors.items():
            if other == name:
                continue
            refused = api.get(f"{query}&cursor={cursor}")
            assert refused.status_code == 400, (name, other)
            assert list(refused.get_json()["error"]["fields"]) == ["cursor"], (name, other)


def test_the_done_activities_refuse_a_cursor_of_the_open_order(api, make_customer):
    customer = make_customer(given_name="Sara")
    for n in range(2):
        made = api.post("sales/activities", json={"subject": f"Call {n}", "customer_id": customer.id}).get_json()
        api.post(f"sales/activities/{made['id']}/done")
    open_cursor = api.get("sales/activities?limit=1").get_json()["next_cursor"]
    assert open_cursor
    assert api.get(f"sales/activities?status=done&limit=1&cursor={open_cursor}").status_code == 400


@pytest.mark.parametrize("path", ["/sales/deals", "/sales/products"])
def test_a_page_refuses_another_lists_cursor_and_keeps_its_filters(web_as, cursors, path):
    web = web_as([perm.DEAL_VIEW, perm.CATALOG_VIEW, perm.MANAGE])
    foreign = cursors["leads"]
    page = web.get(f"{path}?cursor={foreign}")
    assert page.status_code == 400
    assert "The page link is no longer valid" in page.text
    assert web.get(path).status_code == 200


def test_the_activities_page_refuses_another_lists_cursor(web_as, cursors):
    web = web_as([perm.DEAL_VIEW])
    page = web.get(f"/sales/activities?status=open&cursor={cursors['deals']}")
    assert page.status_code == 400 and 'id="activities-cursor-error"' in page.text


def test_a_price_lists_prices_page_refuses_another_lists_cursor(web_as, api, cursors):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    web = web_as([perm.CATALOG_VIEW])
    page = web.get(f"/sales/price-lists/{retail['id']}?cursor={cursors['deals']}")
    assert page.status_code == 400 and 'id="prices-cursor-error"' in page.text
    following = web.get(f"/sales/price-lists/{retail['id']}?cursor={cursors['products']}")
    assert following.status_code == 200


def test_a_rep_giving_a_lead_away_sees_the_refusal_on_the_owner_field(web_as, make_user, db_session):
    from payvand.plugins.sales.models import Lead
    from payvand.plugins.sales.services import leads as lead_service

    rep = web_as([perm.LEAD_VIEW, perm.LEAD_EDIT])
    other = make_user(email="other-rep@example.com", name="Other Rep")
    new = rep.post("/sales/leads/new", {"given_name": "Ali", "email": "ali@example.com", "owner_id": str(other.id)})
    assert new.status_code == 422 and 'id="f-owner_id-error"' in new.text
    assert "Only a sales manager may give a lead to someone else." in new.text
    assert 'value="Ali"' in new.text  # the form is kept
    assert db_session.query(Lead).count() == 0
    mine = lead_service.create_lead({"given_name": "Sara", "email": "sara@example.com"}, owner_id=rep.user_id)
    db_session.commit()
    edit = rep.post(f"/sales/leads/{mine.id}", {"given_name": "Sara", "email": "sara@example.com",
                                                "owner_id": str(other.id)})
    assert edit.status_code == 422 and 'id="f-owner_id-error"' in edit.text
    db_session.expire_all()
    assert db_session.get(Lead, mine.id).owner_id == rep.user_id
