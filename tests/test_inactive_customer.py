"""A merged-away or erased customer cannot be changed, whichever door asks (issue 10).

The rule lives in the services (`services.customers.CustomerInactive`); the API, the staff
pages, the SDK (`record_interaction`, `record_interactions`, which once skipped it) and the
importer all refuse the same way. Each door is tried on a merged and on an erased customer,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from payvand import sdk
from payvand.core.actor import SYSTEM
from payvand.core.importer import import_customers
from payvand.core.models import Customer, CustomerTag, Interaction
from payvand.core.services import customers as service
from payvand.core.services.interactions import build_interaction, record, record_many


@pytest.fixture(params=["merged", "erased"])
def inactive(request: pytest.FixtureRequest, runtime: Any, make_customer: Any) -> Any:
    """A customer merged into another (its emails kept) or erased, set in the database directly."""
    survivor = make_customer(given_name="Survivor")
    customer = make_customer(given_name="Gone", emails=["gone@example.com"])
    values = ({"merged_into_id": survivor.id} if request.param == "merged"
              else {"erased_at": dt.datetime(2024, 3, 1, tzinfo=dt.UTC)})
    with runtime.engine.begin() as connection:
        connection.execute(sa.update(Customer.__table__).where(Customer.__table__.c.id == customer.id).values(**values))
    customer.state = request.param
    customer.survivor_id = survivor.id
    return customer


def interactions_of(runtime: Any, customer_id: int) -> int:
    """How many interactions the customer has."""
    with runtime.sessionmaker() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Interaction).where(Interaction.customer_id == customer_id))


def check_refusal(exc: service.CustomerInactive, customer: Any) -> None:
    """The error names the customer and what happened to it."""
    assert exc.customer_id == customer.id
    if customer.state == "merged":
        assert (exc.merged_into_id, exc.erased) == (customer.survivor_id, False)
        assert str(exc) == f"Customer {customer.id} was merged into {customer.survivor_id}."
    else:
        assert (exc.merged_into_id, exc.erased) == (None, True)
        assert str(exc) == f"Customer {customer.id} is erased."


def test_the_services_refuse(runtime, inactive, make_customer):
    live = make_customer()
    with runtime.sessionmaker() as session:
        customer = service.get_customer(session, inactive.id)
        with pytest.raises(service.CustomerInactive) as caught:
            service.update_customer(session, customer, {"family_name": "Changed"}, SYSTEM)
        check_refusal(caught.value, inactive)
        session.rollback()
        with pytest.raises(service.CustomerInactive):
            record(session, build_interaction(inactive.id, "core.note", "phone", "hi"))
        session.rollback()
        rows = [build_interaction(i, "core.note", "phone", "hi") for i in (live.id, inactive.id)]
        with pytest.raises(service.CustomerInactive) as caught:
            record_many(session, rows)
        check_refusal(caught.value, inactive)
        session.rollback()
        assert record_many(session, rows[:1])  # a live customer is still fine
        session.commit()
    assert interactions_of(runtime, inactive.id) == 0
    assert interactions_of(runtime, live.id) == 1


def test_the_sdk_refuses_record_interaction_and_record_interactions(app, runtime, inactive):
    with app.app_context():
        with pytest.raises(sdk.CustomerInactive) as caught, sdk.transaction():
            sdk.record_interaction(inactive.id, "sdktest.ping", "web", "from a script")
        check_refusal(caught.value, inactive)
        with pytest.raises(sdk.CustomerInactive), sdk.transaction():
            sdk.record_interactions([{"customer_id": inactive.id, "kind": "sdktest.ping", "channel": "web",
                                      "summary": "bulk"}])
    assert sdk.records.CustomerInactive is service.CustomerInactive
    assert interactions_of(runtime, inactive.id) == 0


def test_a_batch_job_may_skip_inactive_customers_instead(app, runtime, inactive, make_customer):
    live = make_customer()
    items = [{"customer_id": i, "kind": "sdktest.ping", "channel": "web", "summary": "bulk"} for i in (inactive.id, live.id)]
    with app.app_context(), sdk.transaction():
        assert len(sdk.record_interactions(items, skip_inactive=True)) == 1
        assert sdk.record_interactions(items[:1], skip_inactive=True) == []
    assert (interactions_of(runtime, inactive.id), interactions_of(runtime, live.id)) == (0, 1)


def test_the_api_answers_409_customer_inactive(api, inactive, runtime):
    patched = api.patch(f"customers/{inactive.id}", json={"family_name": "Changed"})
    logged = api.post(f"customers/{inactive.id}/interactions", json={"kind": "core.note", "channel": "phone"})
    for response in (patched, logged):
        assert response.status_code == 409, response.json
        error = response.json["error"]
        assert error["code"] == "customer_inactive"
        assert error["message"].startswith(f"Customer {inactive.id} ")
    assert interactions_of(runtime, inactive.id) == 0


def test_the_pages_refuse(web, inactive, runtime):
    logged = web.post(f"/customers/{inactive.id}/interactions",
                      {"type": "core.call", "channel": "phone", "direction": "outbound", "summary": "hi"})
    assert logged.status_code == 409
    assert f"Customer {inactive.id}" in logged.text
    tagged = web.post(f"/customers/{inactive.id}/tags", {"action": "add", "tag": "vip"}, headers={"HX-Request": "true"})
    assert tagged.status_code == 422 and "A merged or erased customer cannot be changed." in tagged.text
    consent = web.post(f"/customers/{inactive.id}/consents", {"channel": "sms", "purpose": "marketing", "granted": "1"})
    assert consent.status_code == 422 and "A merged or erased customer cannot be changed." in consent.text
    edited = web.post(f"/customers/{inactive.id}/edit", {"kind": "person", "family_name": "Changed"})
    assert edited.status_code == 302
    assert interactions_of(runtime, inactive.id) == 0
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(Customer.family_name).where(Customer.id == inactive.id)) == "Test"
        assert session.scalar(sa.select(sa.func.count()).select_from(CustomerTag)
                              .where(CustomerTag.customer_id == inactive.id)) == 0


def test_the_importer_leaves_an_inactive_customer_alone(runtime, inactive, tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text("given_name,family_name,email\nNew,Person,gone@example.com\n", encoding="utf-8")
    report = import_customers(runtime, path)
    assert (report.inserted, report.merged) == (1, 0)
    with runtime.sessionmaker() as session:
        gone = session.get(Customer, inactive.id)
        assert (gone.given_name, gone.version) == ("Gone", 1)
