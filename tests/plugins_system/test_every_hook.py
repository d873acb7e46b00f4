"""Every hook is implemented by the every-hook plugin, and the core calls each one as documented."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from payvand.core import hookspecs
from payvand.core.actor import Actor
from payvand.core.audit import SYSTEM
from payvand.core.cli import cli
from payvand.core.contracts import SettingSpec
from payvand.core.models import Customer, Permission
from payvand.core.plugins import hook_functions, spec_names
from payvand.core.schemas import CustomerIn
from payvand.core.services.customers import create_customer
from plugins_system import every_hook_plugin as plugin
from plugins_system.entrypoints import installed

EXPECTED_HOOKS = {
    "payvand_blueprints", "payvand_cli", "payvand_permissions", "payvand_customer_fields",
    "payvand_nav_items", "payvand_jobs", "payvand_channels", "payvand_interaction_kinds", "payvand_settings",
    "payvand_customer_panels", "payvand_customer_merge", "payvand_customer_export", "payvand_customer_erase",
    "payvand_customer_created", "payvand_customer_updated", "payvand_customer_deleted",
    "payvand_interaction_recorded", "payvand_message_received", "payvand_event_types", "payvand_subscriptions",
    "payvand_config_keys", "payvand_bot_answerers", "payvand_evaluation_programs",
    "payvand_dashboard_widgets", "payvand_demo_data", "payvand_purchase_facts", "payvand_returnable_items",
    "payvand_product_facts", "payvand_recommendations", "payvand_lead_facts", "payvand_marketing_costs",
    "payvand_service_facts", "payvand_customer_keys",
}


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Only the every-hook plugin."""
    return [plugin]


@pytest.fixture(autouse=True)
def fresh_calls(payvand_database_url: str) -> None:
    """Start each test with no recorded calls (autouse: before the app is built, after the
    database template is migrated, whose Runtime reads the plugins' configuration keys)."""
    plugin.CALLS.clear()


def names() -> list[str]:
    return [name for name, _ in plugin.CALLS]


# --------------------------------------------------------------------------- coverage


def test_the_plugin_implements_every_hookspec():
    specs = set(spec_names())
    assert specs >= EXPECTED_HOOKS
    missing = specs - set(hook_functions(plugin))
    assert not missing, f"every_hook_plugin.py does not implement {sorted(missing)}"


def test_every_hookspec_has_a_kind():
    kinds = (set(hookspecs.REGISTRATION_HOOKS) | set(hookspecs.CONTRIBUTION_HOOKS) | set(hookspecs.DATA_HOOKS)
             | set(hookspecs.EVENT_HOOKS))
    assert kinds == set(spec_names())
    assert set(hookspecs.VETO_HOOKS) <= set(hookspecs.CONTRIBUTION_HOOKS)


def test_every_event_hook_delivers_a_declared_core_event_type():
    from payvand.core.events import CORE_DELIVERY, CORE_EVENT_TYPES

    assert {event.hook for event in CORE_EVENT_TYPES} == set(hookspecs.EVENT_HOOKS)
    assert set(CORE_DELIVERY) == {event.name for event in CORE_EVENT_TYPES}


def test_the_plugin_passes_every_check(runtime):
    assert runtime.check_plugins()["every_hook"] == []
    assert runtime.plugins.enabled == ["every_hook"]


# --------------------------------------------------------------------------- registration


def test_registration_hooks_are_called_once_at_start_up(app):
    startup = sorted(names())
    assert startup == sorted(h for h in hookspecs.REGISTRATION_HOOKS if h != "payvand_cli")


def test_record_rules_are_registered_and_applied_to_the_actor_they_are_for(runtime, app, make_customer, make_interaction):
    from payvand.core.actor import Actor
    from payvand.core.models import Interaction
    from payvand.core.records import clause

    (rule,) = runtime.record_rules()[Interaction]
    assert rule.name == "every_hook.own_interactions"
    with app.app_context():
        assert clause(Interaction, Actor.user(1, "staff", is_superuser=True)) is None  # staff: not narrowed
        assert clause(Interaction, Actor.customer(7, "portal")) is not None


def test_blueprints_are_served_api_under_api_v1_and_pages_as_they_are(app, api, client):
    assert api.get("every-hook/ping").json == {"pong": True}
    assert "/api/v1/every-hook/ping" in client.get("/api/v1/openapi.json").json["paths"]
    page = client.get("/every-hook/page")
    assert page.status_code == 200 and page.text == "every hook page"


def test_cli_commands_are_added_under_payvand(payvand_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PAYVAND_PLUGINS", "every_hook")
    with installed(tmp_path / "dist", {"every_hook": "plugins_system.every_hook_plugin"}):
        result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "every-hook"])
        help_text = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "--help"]).output
    assert result.exit_code == 0, result.output
    assert result.stdout == "every hook here\n"
    assert "every-hook" in help_text
    assert names().count("payvand_cli") == 2  # once per invocation


def test_permissions_are_recorded_with_their_plugin(db_session):
    row = db_session.get(Permission, "every_hook.thing.view")
    assert (row.plugin, row.description) == ("every_hook", "See things")


def test_customer_fields_validate_attributes(api):
    assert api.post("customers", json={"given_name": "A", "attributes": {"every_hook.score": 7}}).status_code == 201
    wrong = api.post("customers", json={"given_name": "A", "attributes": {"every_hook.score": "high"}})
    assert wrong.status_code == 422
    unknown = api.post("customers", json={"given_name": "A", "attributes": {"every_hook.other": 1}})
    assert unknown.status_code == 422


def test_channels_are_accepted_for_interactions(api, make_customer):
    customer = make_customer()
    ok = api.post(f"customers/{customer.id}/interactions", json={"kind": "core.note", "channel": "pigeon"})
    assert ok.status_code == 201, ok.json
    owl = api.post(f"customers/{customer.id}/interactions", json={"kind": "core.note", "channel": "owl_post"})
    assert owl.status_code == 201, owl.json
    refused = api.post(f"customers/{customer.id}/interactions", json={"kind": "core.note", "channel": "owl"})
    assert refused.status_code == 422


def test_settings_are_listed(runtime):
    settings = runtime.settings()
    assert settings["every_hook.colour"] == SettingSpec("every_hook.colour", "blue", label="Colour")
    assert {key for key in settings if not key.startswith("core.")} == {"every_hook.colour"}


def test_jobs_run_through_the_job_runner(runtime):
    assert "every_hook.tick" in runtime.job_runner.run_due_jobs()
    assert names().count("job:every_hook.tick") == 1
    assert "every_hook.tick" not in runtime.job_runner.run_due_jobs()  # not due again yet


def test_nav_items_are_filtered_by_permission_and_sorted(runtime):
    allowed = Actor.user(1, "a", permissions=frozenset({"every_hook.thing.view"}))
    plain = Actor.user(2, "b", permissions=frozenset())
    assert [i.endpoint for i in runtime.nav_items(allowed)] == ["every_hook.help", "every_hook.things"]
    assert [i.endpoint for i in runtime.nav_items(plain)] == ["every_hook.help"]
    assert [i.endpoint for i in runtime.nav_items(None)] == ["every_hook.help"]


# --------------------------------------------------------------------------- contribution


def test_customer_panels_get_the_customer_and_actor_and_are_sorted(runtime, make_customer, make_user):
    customer, user = make_customer(), make_user()
    panels = runtime.customer_panels(customer, Actor.user(user.id, user.email))
    assert [p.title for p in panels] == ["First", "Second"]
    assert {p.key for p in panels} == {"every_hook"}
    assert plugin.called("payvand_customer_panels") == [{"customer": customer.id, "user": user.id}]


def test_export_calls_the_export_hook_and_places_the_result_under_the_plugin(api, make_customer):
    customer = make_customer()
    exported = api.get(f"customers/{customer.id}/export")
    assert exported.status_code == 200
    assert exported.json["plugins"] == {"every_hook": {"seen": customer.id}}
    assert plugin.called("payvand_customer_export") == [{"customer": customer.id, "actor": api.user_id}]


def test_merge_calls_the_merge_hook_with_target_and_source(api, make_customer):
    target, source = make_customer(), make_customer()
    assert api.post(f"customers/{target.id}/merge", json={"source_id": source.id}).status_code == 200
    assert plugin.called("payvand_customer_merge") == [
        {"target": target.id, "source": source.id, "types": ("Customer", "Customer")}]


def test_erase_calls_the_erase_hook_before_the_core_erases(api, make_customer):
    customer = make_customer()
    assert api.post(f"customers/{customer.id}/erase").status_code == 200
    assert plugin.called("payvand_customer_erase") == [{"customer": customer.id, "erased_at": None}]


def test_the_kernel_scrubs_the_audit_values_of_the_records_an_erase_hook_reports(api, make_customer, runtime):
    import sqlalchemy as sa

    from payvand.core import audit
    from payvand.core.models import AuditLog

    customer, bystander = make_customer(), make_customer()
    with runtime.sessionmaker.begin() as session:
        for each in (customer, bystander):
            audit.record(session, audit.SYSTEM, "create", "every_hook_card", each.id, after={"text": "Card-Secret"})
    assert api.post(f"customers/{customer.id}/erase").status_code == 200
    with runtime.sessionmaker() as session:
        rows = dict(session.execute(sa.select(AuditLog.object_id, AuditLog.after)
                                    .where(AuditLog.object_type == "every_hook_card")).all())
    assert rows == {str(customer.id): {"erased": True}, str(bystander.id): {"text": "Card-Secret"}}


# --------------------------------------------------------------------------- events


def test_creating_a_customer_calls_no_hook_synchronously(api, run_jobs):
    api.get("customers")  # warm up the request path
    plugin.CALLS.clear()
    created = api.post("customers", json={"given_name": "Leila"})
    assert created.status_code == 201
    assert plugin.CALLS == []  # registrations are cached; the event waits in the outbox
    run_jobs()
    assert [n for n in names() if n.startswith("payvand_")] == ["payvand_customer_created"]


def test_event_hooks_are_called_after_commit_not_in_the_request(api, run_jobs):
    customer_id = api.post("customers", json={"given_name": "Ali"}).json["id"]
    assert plugin.called("payvand_customer_created") == []
    run_jobs()
    assert plugin.called("payvand_customer_created") == [{"customers": [("Customer", customer_id)]}]
    assert api.delete(f"customers/{customer_id}").status_code == 204
    assert plugin.called("payvand_customer_deleted") == []
    run_jobs()
    assert plugin.called("payvand_customer_deleted") == [{"customer_ids": [customer_id]}]


def test_objects_deleted_before_delivery_are_left_out_and_empty_calls_skipped(api, run_jobs):
    customer_id = api.post("customers", json={"given_name": "Ali"}).json["id"]
    api.patch(f"customers/{customer_id}", json={"given_name": "Alireza"})
    api.post(f"customers/{customer_id}/interactions", json={"kind": "core.note", "channel": "phone"})
    assert api.delete(f"customers/{customer_id}").status_code == 204
    run_jobs()
    assert [n for n in names() if n in hookspecs.EVENT_HOOKS] == ["payvand_customer_deleted"]
    assert plugin.called("payvand_customer_deleted") == [{"customer_ids": [customer_id]}]


def test_update_and_interaction_events_carry_objects_and_changes(api, run_jobs):
    customer_id = api.post("customers", json={"given_name": "Ali"}).json["id"]
    api.patch(f"customers/{customer_id}", json={"given_name": "Alireza"})
    interaction_id = api.post(f"customers/{customer_id}/interactions",
                              json={"kind": "core.note", "channel": "phone", "summary": "called"}).json["id"]
    run_jobs()
    [updated] = plugin.called("payvand_customer_updated")
    assert updated["customers"] == [("Customer", customer_id)]
    assert updated["changes"][customer_id]["given_name"] == ["Ali", "Alireza"]
    assert plugin.called("payvand_interaction_recorded") == [
        {"interactions": [("Interaction", interaction_id, customer_id, "core.note")]}]


def test_event_hooks_get_one_transactions_changes_as_one_batch(runtime, run_jobs):
    with runtime.sessionmaker.begin() as session:
        ids = []
        for name in ("Mina", "Omid", "Parisa"):
            customer = create_customer(session, CustomerIn().load({"given_name": name}), SYSTEM)
            ids.append(customer.id)
    run_jobs()
    assert plugin.called("payvand_customer_created") == [{"customers": [("Customer", i) for i in ids]}]
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM core_outbox WHERE delivered_at IS NULL")) == 0


def test_dashboard_widgets_are_shown_on_the_start_page(web):
    page = web.get("/").text
    assert "Every hook widget" in page and "<b>42</b>" in page
    assert names().count("payvand_dashboard_widgets") >= 1


def test_the_data_hook_returns_a_selectable_of_the_declared_shape_that_runs(runtime, db_session, make_customer):
    from payvand.sdk import PURCHASE_FACTS

    customer = make_customer()
    (facts,) = runtime.plugins.call("payvand_purchase_facts")
    assert PURCHASE_FACTS.problems(facts) == []
    assert [tuple(row)[0] for row in db_session.execute(facts)] == [customer.id]
    assert PURCHASE_FACTS.problems(sa.select(sa.literal(1).label("customer_id"))) == [
        "expected the columns (customer_id, product_id, occurred_at, quantity, amount, currency), got (customer_id)"]


def test_data_and_scoring_hooks_return_selectables_that_run(runtime, db_session, make_customer):
    import sqlalchemy as sa

    customer = make_customer()
    leads = sa.select(sa.literal(7).label("id"), sa.literal(None).label("email"), sa.literal(None).label("phone"),
                      sa.literal(customer.id).label("customer_id"), sa.literal(None).label("created_at")).subquery()
    (points,) = runtime.plugins.call("payvand_lead_score", leads=leads)
    assert db_session.execute(points).all() == [(7, "every_hook bonus", 5)]
    (facts,) = runtime.plugins.call("payvand_purchase_facts")
    assert [tuple(row)[0] for row in db_session.execute(facts)] == [customer.id]


def test_the_cost_and_service_data_hooks_return_selectables_of_their_shapes(runtime, db_session, make_customer):
    from payvand.sdk import MARKETING_COSTS, SERVICE_FACTS

    customer = make_customer()
    (costs,) = runtime.plugins.call("payvand_marketing_costs")
    assert MARKETING_COSTS.problems(costs) == []
    assert [(row.purpose, int(row.amount)) for row in db_session.execute(costs)] == [("acquisition", 1000)]
    (cases,) = runtime.plugins.call("payvand_service_facts")
    assert SERVICE_FACTS.problems(cases) == []
    assert [(row.customer_id, int(row.handling_minutes)) for row in db_session.execute(cases)] == [(customer.id, 30)]


def test_the_returnable_items_hook_answers_value_types(runtime):
    (item,) = runtime.plugins.call("payvand_returnable_items", customer_id=5)
    assert (item.source, item.quantity, item.amount, item.currency) == ("every_hook.line:5", 2, 1000, "IRR")


def test_catalog_and_invoice_view_contributions_are_returned(runtime):
    (catalog,) = runtime.plugins.call("payvand_catalogs")  # lists are flattened across plugins
    assert catalog.name == "every_hook" and list(catalog.products())[0]["sku"] == "EH-1"
    (views,) = runtime.plugins.call("payvand_invoice_views", invoice=None, actor=SYSTEM)
    assert views.title == "Every hook layout"


def test_payvand_demo_loads_each_plugins_demo_data(payvand_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PAYVAND_PLUGINS", "every_hook")
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path / "demo-instance"))
    with installed(tmp_path / "dist", {"every_hook": "plugins_system.every_hook_plugin"}):
        result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "demo", "--no-serve",
                                          "--customers", "5", "--interactions", "10"])
    assert result.exit_code == 0, result.output
    assert "every_hook: 1 demo things." in result.output
    assert names().count("payvand_demo_data") == 1


def test_a_declared_interaction_kind_is_labelled_and_summarised_from_its_payload_on_the_timeline(
        web, make_customer, make_interaction):
    customer = make_customer(given_name="Sara")
    make_interaction(customer.id, kind="every_hook.parcel_sent", channel="other", summary="stored text",
                     payload={"code": "P-7", "city": "Tabriz (تبریز)"})
    make_interaction(customer.id, kind="every_hook.parcel_sent", channel="other", summary="kept as written",
                     payload={"code": "P-8"})
    page = web.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Parcel sent" in page
    assert "Parcel \u2068P-7\u2069 sent to \u2068Tabriz (تبریز)\u2069" in page and "stored text" not in page
    assert "kept as written" in page  # a parameter missing from the payload: the stored summary


# --------------------------------------------------------------------------- declared events and configuration


def test_a_subscriber_gets_the_cores_events_by_name_after_the_commit(api, run_jobs):
    customer_id = api.post("customers", json={"given_name": "Ali"}).json["id"]
    assert plugin.called("subscriber") == []
    run_jobs()
    assert plugin.called("subscriber") == [{"events": [("core.customer_created", {"customer_id": customer_id})]}]


def test_a_plugin_event_goes_out_with_the_commit_in_one_batch_with_its_declared_types(runtime, db_session, run_jobs):
    from decimal import Decimal

    plugin.send_parcel(7, Decimal("1.50"))
    plugin.send_parcel(8, 2)
    run_jobs()
    assert plugin.called("subscriber") == []  # not committed yet
    db_session.commit()
    run_jobs()
    assert plugin.called("subscriber") == [{"events": [
        ("every_hook.parcel_sent", {"customer_id": 7, "weight": Decimal("1.50"), "note": None}),
        ("every_hook.parcel_sent", {"customer_id": 8, "weight": Decimal("2"), "note": None})]}]


def test_a_rolled_back_emit_sends_nothing(runtime, db_session, run_jobs):
    from decimal import Decimal

    plugin.send_parcel(7, Decimal(1))
    db_session.rollback()
    db_session.commit()
    run_jobs()
    assert plugin.called("subscriber") == []
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM core_outbox WHERE hook = 'every_hook.parcel_sent'")) == 0


@pytest.mark.parametrize("name, payload, message", [
    ("every_hook.parcel_lost", {}, "unknown event type 'every_hook.parcel_lost'"),
    (plugin.PARCEL_SENT, {"customer_id": 1, "weight": "heavy", "note": None}, "weight must be a Decimal"),
    (plugin.PARCEL_SENT, {"customer_id": True, "weight": 1}, "customer_id must be a int"),
    (plugin.PARCEL_SENT, {"customer_id": 1}, "missing weight"),
    (plugin.PARCEL_SENT, {"customer_id": 1, "weight": 1, "colour": "red"}, "colour not declared"),
    (plugin.PARCEL_SENT, {"customer_id": None, "weight": 1}, "customer_id must not be None"),
    ("core.customer_created", {"customer_id": 1}, "emitted by the core only"),
])
def test_an_undeclared_event_or_a_payload_that_does_not_match_is_refused_at_emit(db_session, name, payload, message):
    from payvand.core.events import pending_events
    from payvand.sdk import EventError, emit_event

    with pytest.raises(EventError, match=message):
        emit_event(name, payload)
    assert pending_events(db_session) == {}


def test_event_types_and_configuration_keys_are_registered(runtime, app):
    from payvand.sdk import config_value

    owner, declared = runtime.event_types()[plugin.PARCEL_SENT]
    assert owner == "every_hook" and [f.name for f in declared.fields] == ["customer_id", "weight", "note"]
    assert runtime.event_recipients(plugin.PARCEL_SENT) == ["every_hook"]
    assert runtime.event_recipients("core.customer_created") == ["every_hook"]  # hook and subscription: once
    assert runtime.config_keys()["PAYVAND_EVERY_HOOK_PARCELS"][0] == "every_hook"
    with app.app_context():
        assert config_value("PAYVAND_EVERY_HOOK_PARCELS") == 3
        with pytest.raises(KeyError):
            config_value("PAYVAND_EVERY_HOOK_PARCEL")


def test_a_messaging_channel_sends_and_received_messages_reach_the_hook(app, runtime, make_customer, run_jobs):
    import datetime as dt

    from payvand.core.db import bind_session
    from payvand.sdk import InboundMessage, receive_messages, send_message

    customer = make_customer(emails=[{"value": "harry@example.com"}])
    assert isinstance(runtime.message_channels()["owl_post"], plugin.OwlPost)
    with app.app_context(), runtime.sessionmaker.begin() as session, bind_session(session):
        queued = send_message(customer.id, "owl_post", subject="Letter", body="Hello", purpose="service")
        [received] = receive_messages(session, [InboundMessage(
            "owl_post", "owl-1", "harry@example.com", dt.datetime.now(dt.UTC), subject="Reply",
            replies_to=(queued.reference,))])
    run_jobs()
    assert plugin.called("payvand_message_received") == [
        {"messages": [("ReceivedMessage", received.message_id, customer.id, "owl_post")]}]


def test_the_product_facts_and_recommendations_hooks_answer(app, runtime, db_session):
    from payvand.sdk import PRODUCT_FACTS, recommend

    (products,) = runtime.plugins.call("payvand_product_facts")
    assert not PRODUCT_FACTS.problems(products)
    assert [tuple(row) for row in db_session.execute(products)] == [(1, "Every hook product", None, True)]
    with app.app_context():
        assert [(r.product_id, r.kind) for r in recommend(5, 3)] == [(1, "popular")]
        assert recommend(5, 0) == []


def test_customer_keys_name_an_existing_referrer_in_the_customer_import(runtime, make_customer, tmp_path):
    from payvand.core.importer import import_customers

    known = make_customer(given_name="Known", emails=["known@example.com"])
    path = tmp_path / "c.csv"
    path.write_text(f"given_name,email,referrer_id\nNew,new@example.com,E{known.id}\n", encoding="utf-8")
    report = import_customers(runtime, path)
    assert (report.inserted, report.referrers, report.referrers_refused) == (1, 1, 0)
    assert "payvand_customer_keys" in [name for name, _ in plugin.CALLS]
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(Customer.referred_by_id).where(Customer.given_name == "New")) == known.id
