"""`payvand plugins list | enable | disable | info | check` against a real database."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cli_results import without_database_line
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.config import build_config
from payvand.core.models import PluginState
from payvand.core.runtime import Runtime
from plugins_system.generated import plugins_installed

SOURCES = {
    "cli_base": textwrap.dedent("""
        from payvand.sdk import CustomerField, PermissionSpec, PluginMeta, hookimpl

        meta = PluginMeta("cli_base", "1.2", title="CLI base", description="The base of the CLI tests.")

        @hookimpl
        def payvand_permissions():
            return [PermissionSpec("cli_base.item.view", "See items")]

        @hookimpl
        def payvand_customer_fields():
            return [CustomerField("cli_base.level", "integer", label="Level")]

        @hookimpl
        def payvand_customer_created(customers):
            return None  # a no-op: only the signature matters here
        """),
    "cli_dep": textwrap.dedent("""
        from payvand.sdk import PluginMeta

        meta = PluginMeta("cli_dep", "0.3", requires=["cli_base>=1.0"])
        """),
    "cli_mig": textwrap.dedent("""
        from payvand.sdk import PluginMeta

        meta = PluginMeta("cli_mig", "2.0")
        """),
}


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The three plugins, installed through entry points; the database decides."""
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    with plugins_installed(tmp_path, SOURCES, migrations={"cli_mig": "c11a00000001"}):
        yield


@pytest.fixture
def url(payvand_database_url: str, plugins: None) -> Iterator[str]:
    """The test database; on PostgreSQL cli_mig's migration is undone afterwards."""
    yield payvand_database_url
    engine = sa.create_engine(payvand_database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS cli_mig_thing"))
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version_cli_mig"))
    engine.dispose()


@dataclasses.dataclass
class Run:
    """What one command printed (without its `Database:` line) and its exit code."""

    exit_code: int
    output: str
    stderr: str


def payvand(url: str, *args: str) -> Run:
    """Run `payvand --database-url URL ARGS...`; it names the database it opens on stderr."""
    result = CliRunner().invoke(cli, ["--database-url", url, *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if not url.startswith("sqlite") or Path(url.split("///", 1)[1]).exists():
        assert result.stderr.startswith(f"Database: {url}\n"), result.stderr
    return Run(result.exit_code, without_database_line(result.output), without_database_line(result.stderr))


def states(url: str) -> dict[str, bool]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(PluginState.name, PluginState.enabled)).all()
    engine.dispose()
    return dict(rows)


def test_list_shows_version_enabled_active_and_errors(url):
    result = payvand(url, "plugins", "list")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines[0] == ["NAME", "VERSION", "ENABLED", "ACTIVE", "ERRORS", "TITLE"]
    rows = {line[0]: line[1:5] for line in lines[1:4]}
    assert rows == {
        "cli_base": ["1.2", "yes", "yes", "0"],
        "cli_dep": ["0.3", "yes", "yes", "0"],
        "cli_mig": ["2.0", "yes", "no", "0"],  # enabled, but its migrations are not applied yet
    }
    assert "1 plugin(s) have problems (cli_mig): run `payvand plugins check`." in result.output


def test_list_json(url):
    import json

    rows = json.loads(payvand(url, "plugins", "list", "--json").output)
    assert [(r["name"], r["enabled"], r["active"]) for r in rows] == [
        ("cli_base", True, True), ("cli_dep", True, True), ("cli_mig", True, False)]


def test_disabling_a_plugin_others_require_says_which(url):
    result = payvand(url, "plugins", "disable", "cli_base")
    assert result.exit_code == 1
    assert result.output == "Error: cannot disable cli_base: cli_dep requires it; disable it first\n"
    assert states(url)["cli_base"] is True


def test_enabling_a_plugin_whose_requirement_is_disabled_says_so(url):
    assert payvand(url, "plugins", "disable", "cli_dep").exit_code == 0
    assert payvand(url, "plugins", "disable", "cli_base").exit_code == 0
    result = payvand(url, "plugins", "enable", "cli_dep")
    assert result.exit_code == 1
    assert result.output == ("Error: cannot enable cli_dep: it requires cli_base, which is disabled; "
                             "enable it first (`payvand plugins enable cli_base`)\n")
    assert payvand(url, "plugins", "enable", "cli_base").exit_code == 0
    assert payvand(url, "plugins", "enable", "cli_dep").exit_code == 0
    assert states(url) == {"cli_base": True, "cli_dep": True, "cli_mig": True}


def test_disable_keeps_the_state_row_and_says_the_data_is_kept(url):
    result = payvand(url, "plugins", "disable", "cli_dep")
    assert result.exit_code == 0
    assert result.output.startswith("Disabled cli_dep; its data is kept.")
    assert states(url)["cli_dep"] is False
    listed = {line.split()[0]: line.split()[2:4] for line in payvand(url, "plugins", "list").output.splitlines()[1:4]}
    assert listed["cli_dep"] == ["no", "no"]


def test_enable_runs_the_plugins_migrations_and_activates_it(url):
    result = payvand(url, "plugins", "enable", "cli_mig")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Enabled cli_mig 2.0. Migrated: cli_mig.")
    engine = sa.create_engine(url)
    assert sa.inspect(engine).has_table("cli_mig_thing")
    engine.dispose()
    listed = payvand(url, "plugins", "list").output
    assert [line.split()[1:4] for line in listed.splitlines() if line.startswith("cli_mig")] == [["2.0", "yes", "yes"]]
    assert "have problems" not in listed
    assert payvand(url, "plugins", "check").exit_code == 0


def test_enable_says_plainly_what_needs_a_restart(url, tmp_path):
    running = Runtime(build_config({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(tmp_path), "SECRET_KEY": "x"}))
    running.activate_plugins()  # a server started before the plugin below was installed
    try:
        late = {"cli_late": 'from payvand.sdk import PluginMeta\nmeta = PluginMeta("cli_late", "1.0")\n'}
        with plugins_installed(tmp_path / "late", late):
            result = payvand(url, "plugins", "enable", "cli_late")
            assert result.exit_code == 0, result.output
            running.refresh_plugins(force=True)
            assert "cli_late" not in running.plugins.installed  # within seconds? never, until it restarts
    finally:
        running.engine.dispose()
    text = " ".join(result.output.split())
    assert ("Running servers and workers that already knew cli_late when they started serve its pages and API "
            "routes and call its hooks (panels, menu entries, events, jobs) within seconds, without a restart") in text
    assert ("Restart the servers and workers (`payvand run`, gunicorn, `payvand worker`) started before cli_late "
            "was installed (pip install): they do not know it at all until then") in text


def test_info_shows_meta_hooks_permissions_fields_and_recent_errors(url, tmp_path):
    runtime = Runtime(build_config({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(tmp_path), "SECRET_KEY": "x"}))
    runtime.activate_plugins()
    runtime.record_plugin_error("cli_base", "payvand_customer_created", ConnectionError("mail server down"))
    runtime.engine.dispose()
    result = payvand(url, "plugins", "info", "cli_base")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("cli_base 1.2 — CLI base\n  The base of the CLI tests.\n")
    assert "enabled:      yes\n" in out and "active:       yes\n" in out
    assert "hooks:        payvand_customer_created, payvand_customer_fields, payvand_permissions\n" in out
    assert "  cli_base.item.view: See items\n" in out
    assert "fields:       cli_base.level (integer)\n" in out
    assert "errors:       1\n" in out
    assert " UTC  payvand_customer_created: ConnectionError: mail server down\n" in out


def test_info_of_a_disabled_plugin_still_lists_its_contributions(url):
    payvand(url, "plugins", "disable", "cli_dep")
    payvand(url, "plugins", "disable", "cli_base")
    out = payvand(url, "plugins", "info", "cli_base").output
    assert "active:       no\n" in out and "  cli_base.item.view: See items\n" in out


@pytest.mark.parametrize("command", ["enable", "disable", "info"])
def test_an_unknown_plugin_is_one_clear_line(url, command):
    result = payvand(url, "plugins", command, "nope")
    assert result.exit_code == 1
    assert result.output == "Error: no installed plugin is named 'nope'; installed: cli_base, cli_dep, cli_mig\n"


def test_the_environment_override_wins_and_the_cli_says_so(url, monkeypatch):
    monkeypatch.setenv("PAYVAND_PLUGINS", "cli_base")
    out = payvand(url, "plugins", "list").output
    rows = {line.split()[0]: line.split()[2:4] for line in out.splitlines()[1:4]}
    assert rows == {"cli_base": ["yes", "yes"], "cli_dep": ["no", "no"], "cli_mig": ["no", "no"]}
    assert "PAYVAND_PLUGINS is set" in out
    result = payvand(url, "plugins", "disable", "cli_dep")
    assert result.exit_code == 0 and "PAYVAND_PLUGINS is set" in result.output


def test_enable_on_an_uninitialised_database_says_what_to_do(plugins, tmp_path):
    (tmp_path / "empty.sqlite3").touch()
    result = payvand(f"sqlite:///{tmp_path / 'empty.sqlite3'}", "plugins", "enable", "cli_base")
    assert result.exit_code == 1
    assert result.output == "Error: the database is not initialised: run `payvand db upgrade` first\n"


def test_enable_where_there_is_no_database_says_so_and_creates_nothing(plugins, tmp_path):
    result = payvand(f"sqlite:///{tmp_path / 'nothing' / 'payvand.sqlite3'}", "plugins", "enable", "cli_base")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: no database at {tmp_path / 'nothing' / 'payvand.sqlite3'}: "
                                    "run `payvand init` to create one there")
    assert not (tmp_path / "nothing").exists()
