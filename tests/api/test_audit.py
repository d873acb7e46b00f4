"""Every change through the API leaves one audit entry, written in the change's transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from payvand.core.models import AuditLog, Customer


def entries(runtime, **where):
    with runtime.sessionmaker() as session:
        query = sa.select(AuditLog).where(*[getattr(AuditLog, k) == v for k, v in where.items()]).order_by(AuditLog.id)
        return list(session.scalars(query))


def test_create_is_audited_with_the_new_values_and_the_actor(api, runtime):
    created = api.post("customers", json={"given_name": "Sara", "family_name": "Karimi", "emails": ["s@example.com"]}).json
    (entry,) = entries(runtime, action="create")
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("customer", str(created["id"]), api.user_id)
    assert "(token " in entry.actor_label
    assert entry.before is None
    assert entry.after["given_name"] == "Sara" and entry.after["emails"] == ["s@example.com"]


def test_update_is_audited_with_only_the_changed_fields_before_and_after(api, make_customer, runtime):
    customer = make_customer(given_name="Sara", family_name="Karimi", tags=["a"])
    api.patch(f"customers/{customer.id}", json={"family_name": "Ahmadi", "tags": ["a", "b"], "given_name": "Sara"})
    (entry,) = entries(runtime, action="update")
    assert entry.before == {"family_name": "Karimi", "tags": ["a"]}
    assert entry.after == {"family_name": "Ahmadi", "tags": ["a", "b"]}


def test_patch_that_changes_nothing_is_not_audited(api, make_customer, runtime):
    customer = make_customer(given_name="Sara")
    api.patch(f"customers/{customer.id}", json={"given_name": "Sara"})
    assert entries(runtime, action="update") == []


def test_delete_is_audited_with_the_last_values(api, make_customer, runtime):
    customer = make_customer(given_name="Sara", family_name="Karimi")
    assert api.delete(f"customers/{customer.id}").status_code == 204
    (entry,) = entries(runtime, action="delete")
    assert entry.object_id == str(customer.id)
    assert entry.before["given_name"] == "Sara" and entry.after is None


def test_merge_and_undo_are_audited(api, make_customer, make_interaction, runtime):
    target, source = make_customer(), make_customer()
    make_interaction(source.id)
    merged = api.post(f"customers/{target.id}/merge", json={"source_id": source.id}).json
    (entry,) = entries(runtime, action="merge")
    assert entry.object_id == str(target.id)
    assert entry.before == {"source_id": source.id}
    assert entry.after["merge_id"] == merged["id"] and entry.after["moved"]["core_interaction"] == 1
    api.post(f"customers/merges/{merged['id']}/undo")
    (undo,) = entries(runtime, action="unmerge")
    assert undo.before == {"merge_id": merged["id"]}


def test_erase_is_audited(api, make_customer, runtime):
    customer = make_customer()
    api.post(f"customers/{customer.id}/erase")
    (entry,) = entries(runtime, action="erase")
    assert entry.object_id == str(customer.id)
    assert entry.after == {"erased": True}


def test_failed_requests_write_no_audit_entry(api, plugin, make_customer, runtime, subtests):
    target, source = make_customer(), make_customer()
    before = len(entries(runtime))
    plugin.veto_merge = plugin.veto_erase = True
    failures = [
        ("POST", "customers", {"given_name": 5}, 422),
        ("PATCH", f"customers/{target.id}", {"emails": ["bad"]}, 422),
        ("PATCH", f"customers/{target.id}", {"family_name": None, "given_name": None}, 422),
        ("POST", f"customers/{target.id}/merge", {"source_id": source.id}, 409),
        ("POST", f"customers/{target.id}/erase", None, 409),
        ("DELETE", "customers/999999", None, 404),
    ]
    for method, path, body, status in failures:
        with subtests.test(request=f"{method} {path}"):
            assert api._call(method, path, json=body).status_code == status
    assert len(entries(runtime)) == before


@pytest.fixture
def failing_commit():
    """Make every commit that carries an audit entry fail, as a lost connection would."""

    def note(session: Session, _context) -> None:
        if any(isinstance(o, AuditLog) for o in session.new):
            session.info["test_audited"] = True

    def fail(session: Session) -> None:
        if session.info.pop("test_audited", False):
            raise RuntimeError("the database went away")

    event.listen(Session, "after_flush", note)
    event.listen(Session, "before_commit", fail)
    yield
    event.remove(Session, "before_commit", fail)
    event.remove(Session, "after_flush", note)


def test_change_and_audit_entry_commit_or_fail_together(api, make_customer, runtime, failing_commit):
    response = api.post("customers", json={"given_name": "Sara"})
    assert response.status_code == 500
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
    assert entries(runtime) == []
