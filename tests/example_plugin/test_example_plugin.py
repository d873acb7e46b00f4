"""The example plugin, installed through a real entry point, end to end through the app."""

from __future__ import annotations

import importlib.metadata

import sqlalchemy as sa
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.models import Interaction, Permission


def test_the_plugin_is_found_through_its_entry_point(runtime):
    names = [ep.name for ep in importlib.metadata.entry_points(group="payvand.plugins")]
    assert "payvand_example" in names
    plugin = runtime.plugins.installed["payvand_example"]
    assert plugin.source == "payvand_example" and plugin.load_error is None
    assert runtime.plugins.enabled == ["payvand_example"]
    assert runtime.check_plugins()["payvand_example"] == []


def test_notes_route_writes_and_lists_notes(api, make_customer):
    customer = make_customer()
    created = api.post("example/notes", json={"customer_id": customer.id, "text": "Prefers calls after 5pm"})
    assert created.status_code == 201, created.json
    assert created.json["text"] == "Prefers calls after 5pm"
    listed = api.get("example/notes", query_string={"customer_id": customer.id})
    assert listed.status_code == 200
    assert [n["text"] for n in listed.json["items"]] == ["Prefers calls after 5pm"]


def test_notes_route_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/example/notes" in spec["paths"]


def test_notes_route_needs_the_plugins_permission(api_as, make_customer):
    customer = make_customer()
    viewer = api_as(["payvand_example.note.view"])
    refused = viewer.post("example/notes", json={"customer_id": customer.id, "text": "x"})
    assert refused.status_code == 403
    assert refused.json["error"]["fields"] == {"permission": ["payvand_example.note.edit"]}
    assert viewer.get("example/notes", query_string={"customer_id": customer.id}).status_code == 200


def test_the_plugins_permissions_are_recorded_for_admins(runtime, db_session):
    rows = {p.name: p.plugin for p in db_session.scalars(sa.select(Permission).where(Permission.plugin == "payvand_example"))}
    assert rows == {"payvand_example.note.view": "payvand_example", "payvand_example.note.edit": "payvand_example"}


def test_the_custom_field_is_validated_and_stored(api):
    ok = api.post("customers", json={"given_name": "Sara", "attributes": {"payvand_example.nickname": "Sari"}})
    assert ok.status_code == 201, ok.json
    assert ok.json["attributes"] == {"payvand_example.nickname": "Sari"}
    too_long = api.post("customers", json={"given_name": "Sara", "attributes": {"payvand_example.nickname": "x" * 41}})
    assert too_long.status_code == 422
    assert "payvand_example.nickname" in too_long.json["error"]["fields"]["attributes"]


def test_a_new_customer_is_welcomed_after_commit_through_the_outbox(api, run_jobs, db_session):
    created = api.post("customers", json={"given_name": "Reza", "family_name": "Ahmadi"})
    customer_id = created.json["id"]
    welcomed = sa.select(Interaction).where(
        Interaction.customer_id == customer_id, Interaction.kind == "payvand_example.welcomed"
    )
    assert db_session.scalars(welcomed).all() == []  # not inside the request
    run_jobs()
    rows = db_session.scalars(welcomed).all()
    assert len(rows) == 1
    assert rows[0].direction == "outbound" and rows[0].channel == "email"
    assert (rows[0].source_type, rows[0].source_id) == ("payvand_example.welcome", str(customer_id))
    run_jobs()
    assert len(db_session.scalars(welcomed).all()) == 1


def test_the_panel_counts_the_customers_notes(runtime, api, make_customer, db_session):
    customer = make_customer()
    api.post("example/notes", json={"customer_id": customer.id, "text": "one"})
    api.post("example/notes", json={"customer_id": customer.id, "text": "two"})
    panels = runtime.customer_panels(customer, None)
    assert [(p.key, p.title, p.html) for p in panels] == [("payvand_example.notes", "Example notes", "<p>2 note(s)</p>")]


def test_the_nav_item_is_shown_only_to_holders_of_its_permission(runtime):
    from payvand.core.actor import Actor

    holder = Actor.user(1, "a", permissions=frozenset({"payvand_example.note.view"}))
    other = Actor.user(2, "b", permissions=frozenset())
    assert [i.endpoint for i in runtime.nav_items(holder)] == ["payvand_example.notes"]
    assert runtime.nav_items(other) == []
    assert runtime.nav_items(None) == []


def test_the_job_welcomes_customers_the_event_missed(runtime, make_customer, db_session):
    customer = make_customer()  # its event is still in the outbox: only the job runs here
    ran = runtime.job_runner.run_due_jobs()
    assert "payvand_example.welcome_missed" in ran
    kinds = db_session.scalars(sa.select(Interaction.kind).where(Interaction.customer_id == customer.id)).all()
    assert kinds == ["payvand_example.welcomed"]
    runtime.job_runner.run_pending()  # the event finds the customer welcomed: no second welcome
    kinds = db_session.scalars(sa.select(Interaction.kind).where(Interaction.customer_id == customer.id)).all()
    assert kinds == ["payvand_example.welcomed"]


def test_export_merge_and_erase_include_the_plugins_rows(api, make_customer):
    target, source = make_customer(), make_customer()
    api.post("example/notes", json={"customer_id": source.id, "text": "VIP at the Tehran branch"})
    merged = api.post(f"customers/{target.id}/merge", json={"source_id": source.id})
    assert merged.status_code == 200, merged.json
    assert merged.json["moved"]["payvand_example_note"] == 1
    exported = api.get(f"customers/{target.id}/export")
    assert [n["text"] for n in exported.json["plugins"]["payvand_example"]["notes"]] == ["VIP at the Tehran branch"]
    erased = api.post(f"customers/{target.id}/erase")
    assert erased.status_code == 200, erased.json
    notes = api.get("example/notes", query_string={"customer_id": target.id}).json["items"]
    assert [n["text"] for n in notes] == [""]


def test_the_plugins_cli_command_runs_through_payvand(payvand_database_url):
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "example", "hello", "Maryam"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Hello, Maryam, from payvand_example 0.1.0."
