"""Optimistic concurrency: a write based on an old version is refused with 409, nothing is lost."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm.exc import StaleDataError

from payvand.core.audit import SYSTEM
from payvand.core.models import AuditLog, Customer
from payvand.core.services import customers as service

from .helpers import error_of


def test_two_writers_with_the_same_if_match_one_wins_the_other_gets_409(api, api_as, make_customer):
    customer = make_customer(given_name="Sara", family_name="Karimi")
    url = f"customers/{customer.id}"
    other = api_as(superuser=True)
    etag = api.get(url).headers["ETag"]
    assert etag == '"1"' and other.get(url).headers["ETag"] == etag

    first = api.patch(url, json={"given_name": "Sarah"}, headers={"If-Match": etag})
    second = other.patch(url, json={"family_name": "Ahmadi"}, headers={"If-Match": etag})

    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    assert second.status_code == 409
    error = error_of(second)
    assert error["code"] == "stale_version"
    assert error["fields"] == {"version": ["Current version is 2."]}
    assert second.headers["ETag"] == '"2"'
    now = api.get(url).json
    assert (now["given_name"], now["family_name"], now["version"]) == ("Sarah", "Karimi", 2)


def test_version_in_the_body_works_like_if_match(api, make_customer):
    customer = make_customer(given_name="Sara")
    url = f"customers/{customer.id}"
    assert api.patch(url, json={"given_name": "A", "version": 1}).status_code == 200
    stale = api.patch(url, json={"given_name": "B", "version": 1})
    assert stale.status_code == 409
    assert api.get(url).json["given_name"] == "A"
    assert api.patch(url, json={"given_name": "C", "version": 2}).json["version"] == 3


def test_if_match_wins_over_the_body_version(api, make_customer):
    customer = make_customer()
    url = f"customers/{customer.id}"
    assert api.patch(url, json={"given_name": "A", "version": 1}, headers={"If-Match": '"7"'}).status_code == 409
    assert api.patch(url, json={"given_name": "A", "version": 7}, headers={"If-Match": 'W/"1"'}).status_code == 200


def test_if_match_star_and_no_precondition_write_unconditionally(api, make_customer):
    customer = make_customer()
    url = f"customers/{customer.id}"
    assert api.patch(url, json={"given_name": "A"}).status_code == 200
    assert api.patch(url, json={"given_name": "B"}, headers={"If-Match": "*"}).json["version"] == 3


def test_stale_write_writes_no_audit_entry(api, make_customer, count_rows):
    customer = make_customer()
    url = f"customers/{customer.id}"
    api.patch(url, json={"given_name": "A"})
    before = count_rows(AuditLog)
    assert api.patch(url, json={"given_name": "B"}, headers={"If-Match": '"1"'}).status_code == 409
    assert count_rows(AuditLog) == before


def test_database_guard_refuses_a_writer_whose_read_went_stale_between_check_and_write(api, runtime, make_customer):
    """Another transaction commits after this request's version check but before its UPDATE.

    The pre-check passes, so only the version column (`UPDATE ... WHERE version = 1`) can
    catch it: the request must answer 409 and the other writer's change must survive.
    """
    customer = make_customer(given_name="Sara", family_name="Karimi")
    fired = []

    def concurrent_writer(mapper, connection, target):
        if fired or target.id != customer.id:
            return
        fired.append(True)
        with runtime.sessionmaker.begin() as other:
            row = service.get_customer(other, customer.id)
            service.update_customer(other, row, {"family_name": "Ahmadi"}, SYSTEM)

    event.listen(Customer, "before_update", concurrent_writer)
    try:
        response = api.patch(f"customers/{customer.id}", json={"given_name": "Sarah"}, headers={"If-Match": '"1"'})
    finally:
        event.remove(Customer, "before_update", concurrent_writer)
    assert fired
    assert response.status_code == 409, response.json
    assert response.headers["ETag"] == '"2"'
    now = api.get(f"customers/{customer.id}").json
    assert (now["given_name"], now["family_name"], now["version"]) == ("Sara", "Ahmadi", 2)


def test_two_sessions_that_read_the_same_version_cannot_both_commit(runtime, make_customer):
    customer = make_customer(given_name="Sara", family_name="Karimi")
    first, second = runtime.sessionmaker(), runtime.sessionmaker()
    try:
        a = service.get_customer(first, customer.id)
        b = service.get_customer(second, customer.id)
        assert a.version == b.version == 1
        service.update_customer(first, a, {"given_name": "Sarah"}, SYSTEM, expected_version=1)
        first.commit()
        with pytest.raises(StaleDataError):
            service.update_customer(second, b, {"family_name": "Ahmadi"}, SYSTEM, expected_version=1)
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()
    with runtime.sessionmaker() as session:
        row = session.get(Customer, customer.id)
        assert (row.given_name, row.family_name, row.version) == ("Sarah", "Karimi", 2)
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "update")) == 1


def test_concurrent_writers_in_threads_exactly_one_succeeds(app, api, make_customer):
    customer = make_customer(given_name="Sara")
    url = f"/api/v1/customers/{customer.id}"
    writers = 6
    barrier = threading.Barrier(writers)
    results: dict[int, tuple[int, str | None]] = {}

    def write(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.patch(url, json={"given_name": f"Writer{n}"},
                                headers={"Authorization": f"Bearer {api.token}", "If-Match": '"1"'})
        results[n] = (response.status_code, (response.get_json() or {}).get("error", {}).get("code"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200] + [409] * (writers - 1), results
    assert all(code == "stale_version" for status, code in results.values() if status == 409)
    winner = next(n for n, (status, _) in results.items() if status == 200)
    now = api.get(url).json
    assert (now["given_name"], now["version"]) == (f"Writer{winner}", 2)
