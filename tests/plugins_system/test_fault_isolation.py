"""A plugin that raises is recorded on its PluginState and never fails the request; vetoes refuse."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa

from payvand.core.db import bind_session
from payvand.core.models import Customer, PluginState
from payvand.sdk import (
    CustomerField,
    JobSpec,
    NavItem,
    Panel,
    PluginError,
    PluginMeta,
    hookimpl,
    session,
)


class Faulty:
    """Raises in a registration hook, a contribution hook and its job."""

    meta = PluginMeta("faulty", "1.0")

    @hookimpl
    def payvand_nav_items(self) -> list[NavItem]:
        """Raise at start-up."""
        raise RuntimeError("nav exploded")

    @hookimpl
    def payvand_customer_export(self, customer: Any) -> dict[str, Any]:
        """Raise during a request."""
        raise RuntimeError("export exploded")

    @hookimpl
    def payvand_customer_panels(self, customer: Any) -> Panel:
        """Raise PluginError outside a veto hook: just an error."""
        raise PluginError("panels are not for you")

    @hookimpl
    def payvand_jobs(self) -> list[JobSpec]:
        """A job that writes, then raises."""
        return [JobSpec("faulty.boom", self.boom, 60)]

    @staticmethod
    def boom() -> None:
        """Change a customer, then fail: the change must be rolled back."""
        session().execute(sa.update(Customer).values(display_name="changed by a failing job"))
        raise RuntimeError("job exploded")


class Healthy:
    """Contributes normally."""

    meta = PluginMeta("healthy", "1.0")
    ran: ClassVar[list[str]] = []

    @hookimpl
    def payvand_customer_fields(self) -> list[CustomerField]:
        """One field."""
        return [CustomerField("healthy.colour", "string")]

    @hookimpl
    def payvand_nav_items(self) -> list[NavItem]:
        """One entry for everybody."""
        return [NavItem("Healthy", "healthy.home")]

    @hookimpl
    def payvand_customer_export(self, customer: Any) -> dict[str, Any]:
        """A small part."""
        return {"ok": True}

    @hookimpl
    def payvand_customer_panels(self, customer: Any) -> Panel:
        """One panel."""
        return Panel("Healthy", "<p>ok</p>")

    @hookimpl
    def payvand_jobs(self) -> list[JobSpec]:
        """A job that works."""
        return [JobSpec("healthy.work", lambda: Healthy.ran.append("work"), 60)]


class Vetoer:
    """Refuses erasures; breaks half-way through merges."""

    meta = PluginMeta("vetoer", "1.0")

    @hookimpl
    def payvand_customer_erase(self, customer: Any) -> None:
        """Refuse: the law requires keeping the data."""
        raise PluginError("Customer 1 has unpaid invoices; they must be kept for 7 years.")

    @hookimpl
    def payvand_customer_merge(self, target: Any, source: Any) -> None:
        """Write inside the merge's transaction, then crash."""
        session().execute(sa.update(Customer).where(Customer.id == source.id).values(display_name="half moved"))
        raise RuntimeError("merge exploded")


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The three plugins above."""
    return [Faulty(), Healthy(), Vetoer()]


def state(db_session: Any, name: str) -> PluginState:
    db_session.expire_all()
    found = db_session.get(PluginState, name)
    assert found is not None, f"no PluginState for {name}"
    return found


def test_a_raising_contribution_hook_does_not_fail_the_request_and_is_recorded(api, make_customer, db_session):
    customer = make_customer()
    exported = api.get(f"customers/{customer.id}/export")
    assert exported.status_code == 200
    assert exported.json["plugins"] == {"healthy": {"ok": True}}
    faulty = state(db_session, "faulty")
    assert faulty.error_count == 2  # nav items at start-up, then the export
    assert faulty.last_error == "payvand_customer_export: RuntimeError: export exploded"
    latest = faulty.recent_errors[0]
    assert latest["where"] == "payvand_customer_export"
    assert latest["at"] and "RuntimeError: export exploded" in latest["traceback"]
    assert faulty.last_error_at is not None


def test_the_plugins_api_reports_the_recorded_errors(api, make_customer):
    api.get(f"customers/{make_customer().id}/export")
    rows = {row["name"]: row for row in api.get("plugins").json}
    assert rows["faulty"]["error_count"] == 2
    assert [e["where"] for e in rows["faulty"]["recent_errors"]] == ["payvand_customer_export", "payvand_nav_items"]
    assert rows["healthy"]["error_count"] == 0


def test_a_raising_registration_hook_is_recorded_and_the_others_still_register(runtime, db_session):
    assert [i.endpoint for i in runtime.nav_items(None)] == ["healthy.home"]
    assert "healthy.colour" in runtime.customer_fields()
    assert state(db_session, "faulty").recent_errors[-1]["error"] == "payvand_nav_items: RuntimeError: nav exploded"


def test_plugin_error_outside_a_veto_hook_is_just_a_recorded_error(runtime, make_customer, db_session):
    panels = runtime.customer_panels(make_customer(), None)
    assert [p.title for p in panels] == ["Healthy"]
    assert state(db_session, "faulty").last_error == "payvand_customer_panels: PluginError: panels are not for you"


def test_a_veto_refuses_the_operation_with_the_plugins_message(api, make_customer, db_session):
    customer = make_customer(given_name="Kept")
    refused = api.post(f"customers/{customer.id}/erase")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "plugin_refused"
    assert refused.json["error"]["message"] == "Customer 1 has unpaid invoices; they must be kept for 7 years."
    assert api.get(f"customers/{customer.id}").json["given_name"] == "Kept"
    assert db_session.get(PluginState, "vetoer") is None or state(db_session, "vetoer").error_count == 0


def test_a_crash_in_a_veto_hook_refuses_rolls_back_and_is_recorded(api, make_customer, db_session):
    target, source = make_customer(), make_customer(given_name="Source")
    started = time.monotonic()
    refused = api.post(f"customers/{target.id}/merge", json={"source_id": source.id})
    assert time.monotonic() - started < 5  # recording the error did not wait on the request's own lock
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "plugin_failed"
    again = api.get(f"customers/{source.id}").json
    assert again["merged_into_id"] is None and again["display_name"].startswith("Source")
    vetoer = state(db_session, "vetoer")
    assert vetoer.error_count == 1
    assert vetoer.last_error == "payvand_customer_merge: RuntimeError: merge exploded"


def test_an_error_recorded_inside_a_transaction_that_rolls_back_is_kept(runtime, make_customer, db_session):
    customer = make_customer()
    request_session = runtime.sessionmaker()
    with bind_session(request_session):
        request_session.execute(sa.update(Customer).where(Customer.id == customer.id).values(display_name="doomed"))
        runtime.record_plugin_error("healthy", "payvand_customer_panels", ValueError("while writing"))
        request_session.rollback()
    request_session.close()
    healthy = state(db_session, "healthy")
    assert healthy.error_count == 1
    assert healthy.last_error == "payvand_customer_panels: ValueError: while writing"
    assert db_session.get(Customer, customer.id).display_name != "doomed"


def test_a_failing_job_is_rolled_back_and_recorded_and_the_other_jobs_run(runtime, make_customer, db_session):
    customer = make_customer()
    Healthy.ran.clear()
    ran = runtime.job_runner.run_due_jobs()
    assert {"faulty.boom", "healthy.work"} <= set(ran)
    assert Healthy.ran == ["work"]
    assert db_session.get(Customer, customer.id).display_name != "changed by a failing job"
    faulty = state(db_session, "faulty")
    assert faulty.last_error == "job faulty.boom: RuntimeError: job exploded"
    assert "faulty.boom" not in runtime.job_runner.run_due_jobs()  # it waits for its next interval
