"""Who referred whom: `referred_by_id` on customers through the API, its checks (no unknown,
inactive or self referrer, no loop), what a merge and its undo do with it, what an erase does,
and tagging a set of customers (`payvand.sdk.tag_customers`)."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.core.models import AuditLog, Customer, CustomerTag


def referrer_of(runtime, customer_id):
    with runtime.sessionmaker() as session:
        return session.scalar(sa.select(Customer.referred_by_id).where(Customer.id == customer_id))


def test_a_customer_is_created_and_changed_with_their_referrer(api, make_customer):
    referrer = make_customer(given_name="Reza")
    created = api.post("customers", json={"given_name": "Mina", "referred_by_id": referrer.id})
    assert created.status_code == 201, created.json
    assert created.json["referred_by_id"] == referrer.id
    other = make_customer(given_name="Other")
    changed = api.patch(f"customers/{created.json['id']}", json={"referred_by_id": other.id})
    assert changed.status_code == 200 and changed.json["referred_by_id"] == other.id
    cleared = api.patch(f"customers/{created.json['id']}", json={"referred_by_id": None})
    assert cleared.json["referred_by_id"] is None


def test_an_unknown_self_or_looping_referrer_is_a_422_with_a_field_message(api, make_customer):
    unknown = api.post("customers", json={"given_name": "Mina", "referred_by_id": 999999})
    assert unknown.status_code == 422 and "referred_by_id" in unknown.json["error"]["fields"]
    a = make_customer(given_name="A")
    b = make_customer(given_name="B", referred_by_id=a.id)
    c = make_customer(given_name="C", referred_by_id=b.id)
    itself = api.patch(f"customers/{a.id}", json={"referred_by_id": a.id})
    assert itself.status_code == 422 and "themselves" in itself.json["error"]["fields"]["referred_by_id"][0]
    loop = api.patch(f"customers/{a.id}", json={"referred_by_id": c.id})
    assert loop.status_code == 422 and "loop" in loop.json["error"]["fields"]["referred_by_id"][0]
    assert api.get(f"customers/{a.id}").json["referred_by_id"] is None


def test_a_merged_away_customer_cannot_become_a_referrer(api, make_customer):
    target, source = make_customer(given_name="T"), make_customer(given_name="S")
    assert api.post(f"customers/{target.id}/merge", json={"source_id": source.id}).status_code == 200
    refused = api.post("customers", json={"given_name": "Mina", "referred_by_id": source.id})
    assert refused.status_code == 422 and "merged" in refused.json["error"]["fields"]["referred_by_id"][0]


def test_a_merge_moves_the_sources_referrals_and_its_undo_moves_them_back(api, runtime, make_customer):
    grand = make_customer(given_name="G")
    target = make_customer(given_name="T")
    source = make_customer(given_name="S", referred_by_id=grand.id)
    referred = [make_customer(given_name=f"R{n}", referred_by_id=source.id).id for n in range(3)]
    merge = api.post(f"customers/{target.id}/merge", json={"source_id": source.id})
    assert merge.status_code == 200, merge.json
    assert merge.json["moved"]["core_customer"] == 3
    assert [referrer_of(runtime, cid) for cid in referred] == [target.id] * 3
    assert referrer_of(runtime, target.id) == grand.id  # filled from the source: it had none
    undo = api.post(f"customers/merges/{merge.json['id']}/undo")
    assert undo.status_code == 200, undo.json
    assert [referrer_of(runtime, cid) for cid in referred] == [source.id] * 3
    assert referrer_of(runtime, target.id) is None


def test_a_target_referred_by_its_source_loses_that_link_and_gets_it_back_on_undo(api, runtime, make_customer):
    source = make_customer(given_name="S")
    target = make_customer(given_name="T", referred_by_id=source.id)
    merge = api.post(f"customers/{target.id}/merge", json={"source_id": source.id})
    assert merge.status_code == 200, merge.json
    assert referrer_of(runtime, target.id) is None  # not referred by itself
    api.post(f"customers/merges/{merge.json['id']}/undo")
    assert referrer_of(runtime, target.id) == source.id


def test_erase_forgets_who_referred_the_customer_and_keeps_whom_they_referred(api, runtime, make_customer):
    referrer = make_customer(given_name="R")
    person = make_customer(given_name="P", referred_by_id=referrer.id)
    friend = make_customer(given_name="F", referred_by_id=person.id)
    response = api.post(f"customers/{person.id}/erase")
    assert response.status_code == 200, response.json
    assert response.json["referred_by_id"] is None
    assert referrer_of(runtime, friend.id) == person.id


def test_the_export_carries_the_referrer(api, make_customer):
    referrer = make_customer(given_name="R")
    person = make_customer(given_name="P", referred_by_id=referrer.id)
    assert api.get(f"customers/{person.id}/export").json["customer"]["referred_by_id"] == referrer.id


def test_tag_customers_tags_the_active_ones_lacking_it_once_audited(app, runtime, db_session, make_customer):
    from payvand.sdk import tag_customers

    keep = [make_customer(given_name=f"K{n}").id for n in range(3)]
    already = make_customer(given_name="Tagged", tags=["target"]).id
    gone = make_customer(given_name="Gone")
    with app.app_context():
        db_session.execute(sa.update(Customer).where(Customer.id == gone.id).values(merged_into_id=keep[0]))
        count = tag_customers(sa.select(Customer.id).where(Customer.id.in_([*keep, already, gone.id])), "target")
        db_session.commit()
    assert count == 3
    tagged = set(db_session.scalars(sa.select(CustomerTag.customer_id).where(CustomerTag.tag == "target")))
    assert tagged == {*keep, already}
    entries = db_session.scalars(sa.select(AuditLog.object_id).where(AuditLog.action == "update",
                                                                     AuditLog.object_type == "customer")).all()
    assert sorted(entries) == sorted(str(cid) for cid in keep)
