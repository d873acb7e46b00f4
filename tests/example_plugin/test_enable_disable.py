"""Enabling and disabling the example plugin in a deployment whose database decides (no override)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.models import Interaction, PluginState


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    """Let the database's PluginState decide, and look at it on every request."""
    return {"PAYVAND_PLUGINS": None, "PAYVAND_PLUGIN_REFRESH_SECONDS": 0}


@pytest.fixture(autouse=True)
def no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)


def payvand(url: str, *args: str) -> Any:
    """Run the `payvand` CLI against the test database, as an admin would in another shell."""
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def test_disabling_hides_the_route_but_keeps_the_data(api, make_customer, payvand_database_url, db_session):
    customer = make_customer()
    assert api.post("example/notes", json={"customer_id": customer.id, "text": "kept"}).status_code == 201

    result = payvand(payvand_database_url, "plugins", "disable", "payvand_example")
    assert result.exit_code == 0, result.output
    assert "its data is kept" in result.output

    hidden = api.get("example/notes", query_string={"customer_id": customer.id})
    assert hidden.status_code == 404
    assert hidden.json["error"]["code"] == "not_found"
    assert db_session.scalar(sa.text("SELECT count(*) FROM payvand_example_note")) == 1
    assert db_session.get(PluginState, "payvand_example").enabled is False

    result = payvand(payvand_database_url, "plugins", "enable", "payvand_example")
    assert result.exit_code == 0, result.output
    shown = api.get("example/notes", query_string={"customer_id": customer.id})
    assert shown.status_code == 200
    assert [n["text"] for n in shown.json["items"]] == ["kept"]


def test_a_disabled_plugin_gets_no_events_and_its_job_catches_up_after_enabling(
    api, runtime, run_jobs, payvand_database_url, db_session
):
    assert payvand(payvand_database_url, "plugins", "disable", "payvand_example").exit_code == 0
    runtime.refresh_plugins(force=True)
    customer_id = api.post("customers", json={"given_name": "Nima"}).json["id"]
    run_jobs()
    welcomed = sa.select(sa.func.count()).select_from(Interaction).where(
        Interaction.customer_id == customer_id, Interaction.kind == "payvand_example.welcomed")
    assert db_session.scalar(welcomed) == 0
    assert "payvand_example.welcome_missed" not in [job.name for _, job in runtime.job_runner.jobs()]

    assert payvand(payvand_database_url, "plugins", "enable", "payvand_example").exit_code == 0
    run_jobs()  # picks up the change, then the hourly job welcomes the missed customer
    assert db_session.scalar(welcomed) == 1


def test_disabled_plugins_fields_are_no_longer_accepted(api, payvand_database_url):
    assert payvand(payvand_database_url, "plugins", "disable", "payvand_example").exit_code == 0
    refused = api.post("customers", json={"given_name": "Sara", "attributes": {"payvand_example.nickname": "Sari"}})
    assert refused.status_code == 422


def test_disabling_hides_the_staff_page_and_its_navigation(web_as, payvand_database_url):
    web = web_as(["payvand_example.note.view"])
    assert web.get("/example/notes").status_code == 200
    assert payvand(payvand_database_url, "plugins", "disable", "payvand_example").exit_code == 0
    assert web.get("/example/notes").status_code == 404
    assert 'href="/example/notes"' not in web.get("/").text
    assert payvand(payvand_database_url, "plugins", "enable", "payvand_example").exit_code == 0
    assert web.get("/example/notes").status_code == 200
