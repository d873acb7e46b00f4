"""Demo data: realistic, bulk-inserted, deterministic, announced to plugins in batches."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.demo import CUSTOMER_BATCH, INTERACTION_BATCH, has_customers, load_demo
from payvand.core.models import (
    AuditLog,
    Customer,
    CustomerAddress,
    CustomerConsent,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    Interaction,
    OutboxEvent,
)
from payvand.core.services.interactions import KIND_RE
from payvand.sdk import PluginMeta, hookimpl

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
PERSIAN = re.compile("[\u0600-\u06ff]")
IR_CITIES = {"تهران", "Tehran", "مشهد", "Mashhad", "اصفهان", "Isfahan", "شیراز", "Shiraz", "تبریز", "Tabriz"}


class DemoWatcher:
    """A plugin that remembers how it was told about new customers and interactions."""

    meta = PluginMeta("demo_watcher", "1.0", "Watches demo events")

    def __init__(self) -> None:
        self.customer_calls: list[int] = []
        self.interaction_calls: list[int] = []

    @hookimpl
    def payvand_customer_created(self, customers: list[Any]) -> None:
        self.customer_calls.append(len(customers))

    @hookimpl
    def payvand_interaction_recorded(self, interactions: list[Any]) -> None:
        self.interaction_calls.append(len(interactions))


watcher = DemoWatcher()


def _count(session: Any, model: Any) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def default_demo(runtime, payvand_seed):
    """The default demo (500 customers, 10,000 interactions) as of NOW, built once per module
    and copied into each test's database (`payvand_seed`)."""
    return payvand_seed("default demo", lambda: load_demo(runtime.sessionmaker, now=NOW))


def test_default_demo_has_500_customers_and_10000_interactions(runtime, default_demo):
    result = default_demo
    assert (result.customers, result.interactions) == (500, 10_000)
    with runtime.sessionmaker() as session:
        assert _count(session, Customer) == 500
        assert _count(session, Interaction) == 10_000


def test_demo_customers_look_like_an_iranian_customer_base(runtime, default_demo):
    with runtime.sessionmaker() as session:
        people = session.execute(sa.select(Customer.display_name, Customer.kind, Customer.birthday,
                                           Customer.preferred_language, Customer.lifecycle_stage,
                                           Customer.preferred_channel)).all()
        phones = session.scalars(sa.select(CustomerPhone.number).where(CustomerPhone.label == "mobile")).all()
        emails = session.scalars(sa.select(CustomerEmail.email)).all()
        cities = set(session.scalars(sa.select(CustomerAddress.city)))
        countries = set(session.scalars(sa.select(CustomerAddress.country)))
        tags = set(session.scalars(sa.select(CustomerTag.tag)))
        consents = session.scalars(sa.select(CustomerConsent)).all()
    persian = [p for p in people if p.kind == "person" and PERSIAN.search(p.display_name)]
    latin = [p for p in people if p.kind == "person" and not PERSIAN.search(p.display_name)]
    organisations = [p for p in people if p.kind == "organization"]
    assert len(persian) > 150 and len(latin) > 50
    assert any(o.display_name.startswith("شرکت") for o in organisations)
    assert sum(1 for p in people if p.birthday) > 300
    assert {p.preferred_language for p in people} == {"fa", "en"}
    assert {p.lifecycle_stage for p in people} == {"prospect", "lead", "customer", "loyal", "churned"}
    assert len({p.preferred_channel for p in people}) >= 5
    assert len(phones) > 400 and all(re.fullmatch(r"\+989\d{9}", n) for n in phones)
    assert len(emails) > 400 and len(set(emails)) == len(emails)
    assert cities & IR_CITIES and countries == {"IR"}
    assert len(tags) >= 8
    assert {c.channel for c in consents} == {"email", "sms", "phone"}
    assert {c.granted for c in consents} == {True, False}
    assert all(c.source and c.recorded_at <= NOW for c in consents)


def test_demo_interactions_span_two_years_across_channels_and_kinds(runtime, default_demo):
    with runtime.sessionmaker() as session:
        rows = session.execute(sa.select(Interaction.kind, Interaction.channel, Interaction.direction,
                                         Interaction.occurred_at, Interaction.summary, Interaction.value,
                                         Interaction.currency)).all()
    channels = Counter(r.channel for r in rows)
    assert {"web", "email", "phone", "chat", "social", "in_person"} <= set(channels)
    assert min(channels.values()) > 200
    assert all(KIND_RE.match(r.kind) for r in rows)
    core_kinds = {"core.note", "core.call", "core.email", "core.chat", "core.visit", "core.social_mention"}
    assert core_kinds <= {r.kind for r in rows}
    assert {r.direction for r in rows} == {"inbound", "outbound", "internal"}
    first, last = min(r.occurred_at for r in rows), max(r.occurred_at for r in rows)
    assert first >= NOW - dt.timedelta(days=731) and last <= NOW
    assert last - first > dt.timedelta(days=650)
    valued = [r for r in rows if r.value is not None]
    assert len(valued) > 500 and {r.currency for r in valued} == {"IRR"} and all(r.value > 0 for r in valued)
    assert any(PERSIAN.search(r.summary) for r in rows) and any(r.summary.isascii() for r in rows)


def test_interactions_never_precede_their_customer(runtime):
    load_demo(runtime.sessionmaker, customers=100, interactions=2_000, now=NOW)
    with runtime.sessionmaker() as session:
        early = session.scalar(
            sa.select(sa.func.count()).select_from(Interaction)
            .join(Customer, Customer.id == Interaction.customer_id)
            .where(Interaction.occurred_at < Customer.created_at)
        )
    assert early == 0


def test_same_seed_gives_the_same_data(runtime):
    load_demo(runtime.sessionmaker, customers=40, interactions=300, seed=7, now=NOW)
    load_demo(runtime.sessionmaker, customers=40, interactions=300, seed=7, now=NOW)
    load_demo(runtime.sessionmaker, customers=40, interactions=300, seed=8, now=NOW)
    with runtime.sessionmaker() as session:
        names = session.scalars(sa.select(Customer.display_name).order_by(Customer.id)).all()
        summaries = session.scalars(sa.select(Interaction.summary).order_by(Interaction.id)).all()
    assert names[:40] == names[40:80] != names[80:]
    assert summaries[:300] == summaries[300:600] != summaries[600:]


def test_events_are_one_outbox_row_per_batch_not_per_row(runtime):
    load_demo(runtime.sessionmaker, customers=CUSTOMER_BATCH + 10, interactions=INTERACTION_BATCH * 2 + 1, now=NOW)
    with runtime.sessionmaker() as session:
        events = session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id)).all()
    by_hook = Counter(e.hook for e in events)
    assert by_hook == {"payvand_customer_created": 2, "payvand_interaction_recorded": 3}
    sizes = {h: sum(len(e.payload["ids"]) for e in events if e.hook == h) for h in by_hook}
    assert sizes == {"payvand_customer_created": CUSTOMER_BATCH + 10,
                     "payvand_interaction_recorded": INTERACTION_BATCH * 2 + 1}


def test_one_audit_entry_records_the_load(runtime):
    load_demo(runtime.sessionmaker, customers=20, interactions=50, seed=3, now=NOW)
    with runtime.sessionmaker() as session:
        entries = session.scalars(sa.select(AuditLog)).all()
    assert [(e.action, e.object_type) for e in entries] == [("load", "demo")]
    assert entries[0].after == {"customers": 20, "interactions": 50, "seed": 3}


def test_has_customers_tells_an_empty_database_from_a_loaded_one(runtime):
    assert not has_customers(runtime.sessionmaker)
    load_demo(runtime.sessionmaker, customers=1, interactions=0, now=NOW)
    assert has_customers(runtime.sessionmaker)


def test_interactions_without_customers_are_refused(runtime):
    with pytest.raises(ValueError, match="at least one customer"):
        load_demo(runtime.sessionmaker, customers=0, interactions=5)


class TestPluginsSeeDemoData:
    @pytest.fixture
    def payvand_plugins(self) -> list[Any]:
        watcher.customer_calls.clear()
        watcher.interaction_calls.clear()
        return [watcher]

    def test_plugins_receive_demo_customers_in_one_call_per_batch(self, runtime, run_jobs):
        load_demo(runtime.sessionmaker, customers=300, interactions=INTERACTION_BATCH + 500, now=NOW)
        assert run_jobs() == 3
        assert watcher.customer_calls == [300]
        assert watcher.interaction_calls == [INTERACTION_BATCH, 500]
