"""Which database a command opens: it says so, reading commands create nothing, bad URLs are explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_results import assert_one_line_error, ok
from click.testing import CliRunner

from payvand.core.cli import cli

READING_COMMANDS = [
    ["users", "list"],
    ["roles", "list"],
    ["tokens", "list"],
    ["plugins", "list"],
    ["plugins", "info", "sales"],
    ["plugins", "rules"],
    ["plugins", "enable", "sales"],
    ["export", "customers"],
    ["worker", "--once"],
]


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new user's empty working folder, with no instance or database configured anywhere."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name in ("PAYVAND_INSTANCE", "PAYVAND_DATABASE_URL", "PAYVAND_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAYVAND_PLUGINS", "none")
    return folder


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_a_reading_command_in_an_empty_folder_creates_nothing_and_says_how_to_start(empty_folder, command):
    result = CliRunner().invoke(cli, command)
    assert_one_line_error(result, f"no database at {empty_folder / 'instance' / 'payvand.sqlite3'}",
                          "run `payvand init` to create one")
    assert list(empty_folder.iterdir()) == []


def test_init_creates_the_instance_and_every_command_names_the_database_on_stderr(empty_folder):
    database = empty_folder / "instance" / "payvand.sqlite3"
    init = CliRunner().invoke(cli, ["init"])
    ok(init)
    assert init.stderr == f"Database: sqlite:///{database}\n"
    listed = CliRunner().invoke(cli, ["users", "list"])
    ok(listed)
    assert listed.stderr == f"Database: sqlite:///{database}\n"
    assert "Database:" not in listed.stdout


def test_db_upgrade_creates_the_database_it_names(empty_folder):
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    ok(result)
    assert result.stderr.startswith(f"Database: sqlite:///{empty_folder / 'instance' / 'payvand.sqlite3'}\n")
    assert (empty_folder / "instance" / "payvand.sqlite3").is_file()


def test_the_password_of_a_database_url_is_never_printed(empty_folder):
    url = "postgresql+psycopg://payvand:s3cret-pw@127.0.0.1:1/payvand"
    result = CliRunner().invoke(cli, ["--database-url", url, "users", "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Database: postgresql+psycopg://payvand:***@127.0.0.1:1/payvand\n")
    assert "s3cret-pw" not in result.output
    assert list(empty_folder.iterdir()) == []


@pytest.mark.parametrize("url, expected", [
    ("mysql://crm:pw@localhost/crm", "mysql://crm:***@localhost/crm: mysql databases are not supported"),
    ("postgresql+nodriver://x/y", "unknown postgresql driver 'nodriver'"),
    ("not a url", "'not a url' is not a database URL"),
])
def test_an_unsupported_database_url_names_the_supported_ones_and_their_driver(empty_folder, url, expected):
    for command in (["init"], ["users", "list"]):
        result = CliRunner().invoke(cli, ["--database-url", url, *command])
        line = assert_one_line_error(result, expected, "Payvand supports SQLite",
                                     "PostgreSQL (postgresql+psycopg://", "pip install 'payvand[postgres]'")
        assert "ModuleNotFoundError" not in line and "MySQLdb" not in line
    assert list(empty_folder.iterdir()) == []


def test_the_app_refuses_an_unsupported_database_url_with_the_same_explanation(tmp_path):
    from payvand.core.app import create_app
    from payvand.core.database_url import DatabaseUrlError

    with pytest.raises(DatabaseUrlError, match="mysql databases are not supported; Payvand supports SQLite"):
        create_app({"PAYVAND_DATABASE_URL": "mysql://crm@localhost/crm", "PAYVAND_INSTANCE": str(tmp_path),
                    "SECRET_KEY": "x"})


def test_help_and_plugin_new_in_an_empty_folder_create_no_instance(empty_folder):
    assert "Payvand: a plugin-based CRM" in ok(CliRunner().invoke(cli, ["--help"]))
    ok(CliRunner().invoke(cli, ["plugin", "new", "loyalty"]))
    assert sorted(p.name for p in empty_folder.iterdir()) == ["payvand-loyalty"]


def test_a_server_keeps_one_lasting_secret_key_even_when_no_command_made_it(empty_folder, tmp_path):
    from payvand.core.cli.common import CliEnv
    from payvand.core.cli.serve import serving_config
    from payvand.core.config import build_config

    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    ok(CliRunner().invoke(cli, ["--database-url", url, "db", "upgrade"]))
    (empty_folder / "instance" / "secret_key").unlink()  # e.g. a database made elsewhere
    env = CliEnv({"PAYVAND_DATABASE_URL": url})
    assert env.config["SECRET_KEY"]  # a reading command's throwaway key: nothing written
    assert not (empty_folder / "instance" / "secret_key").exists()
    first = build_config(serving_config(env))["SECRET_KEY"]
    assert (empty_folder / "instance" / "secret_key").read_text() == first
    assert build_config(serving_config(CliEnv({"PAYVAND_DATABASE_URL": url})))["SECRET_KEY"] == first
