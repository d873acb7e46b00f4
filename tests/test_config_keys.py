"""Configuration keys: the core's declared in one place, the plugins' declared by the plugins,
read and parsed by the core, listed by `payvand config` and in the admin guide."""

from __future__ import annotations

import json
import pathlib

import pytest
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.config import CORE_KEYS, ENV_KEYS, build_config, config_key_problem, parse_config_value
from payvand.core.contracts import ConfigKey
from payvand.plugins.sales.config import CONFIG_KEYS as SALES_KEYS

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_key_of_the_core_and_the_sales_plugin_is_explained_in_the_admin_guide():
    guide = (ROOT / "docs" / "admin-guide.md").read_text(encoding="utf-8")
    missing = [key.name for key in (*CORE_KEYS, *SALES_KEYS) if f"| `{key.name}` |" not in guide]
    assert missing == []


def test_the_sales_keys_left_the_core():
    assert not [name for name in ENV_KEYS if "LEAD" in name or "SALES" in name]


def test_core_keys_are_parsed_from_the_environment(monkeypatch):
    monkeypatch.setenv("PAYVAND_SECURE_COOKIES", "yes")
    monkeypatch.setenv("PAYVAND_IMPORT_MAX_BYTES", "1000")
    config = build_config({"PAYVAND_DATABASE_URL": "sqlite://"}, create_instance=False)
    assert (config["PAYVAND_SECURE_COOKIES"], config["PAYVAND_IMPORT_MAX_BYTES"]) == (True, 1000)


@pytest.mark.parametrize("key, raw, value", [
    (ConfigKey("PAYVAND_X_N", int, 1, ""), " 42 ", 42),
    (ConfigKey("PAYVAND_X_F", float, 1.0, ""), "2.5", 2.5),
    (ConfigKey("PAYVAND_X_F", float, 1.0, ""), 3, 3.0),
    (ConfigKey("PAYVAND_X_B", bool, False, ""), "On", True),
    (ConfigKey("PAYVAND_X_B", bool, False, ""), "0", False),
    (ConfigKey("PAYVAND_X_S", str, "", ""), " kept as written ", " kept as written "),
])
def test_values_are_parsed_as_the_declared_type(key, raw, value):
    assert parse_config_value(key, raw) == value


@pytest.mark.parametrize("key, raw, message", [
    (ConfigKey("PAYVAND_X_N", int, 1, ""), "ten", "PAYVAND_X_N='ten' is not an integer"),
    (ConfigKey("PAYVAND_X_N", int, 1, ""), True, "PAYVAND_X_N=True is not a int"),
    (ConfigKey("PAYVAND_X_F", float, 1.0, ""), "1,5", "PAYVAND_X_F='1,5' is not a number"),
    (ConfigKey("PAYVAND_X_B", bool, False, ""), "maybe", "is not on or off"),
])
def test_a_value_that_does_not_parse_is_refused_naming_the_key(key, raw, message):
    with pytest.raises(ValueError, match=message):
        parse_config_value(key, raw)


@pytest.mark.parametrize("key, problem", [
    (ConfigKey("LOYALTY_LIMIT", int, 1, ""), "must be named PAYVAND_<PLUGIN>_<KEY>"),
    (ConfigKey("PAYVAND_loyalty", int, 1, ""), "must be named PAYVAND_<PLUGIN>_<KEY>"),
    (ConfigKey("PAYVAND_SMTP_URL", str, None, ""), "PAYVAND_SMTP_URL is a core key"),
    (ConfigKey("PAYVAND_LOYALTY_RATE", dict, None, ""), "use str, int, float or bool"),
    (ConfigKey("PAYVAND_LOYALTY_RATE", int, "many", ""), "the default of PAYVAND_LOYALTY_RATE ('many') is not a int"),
])
def test_a_bad_declaration_is_a_problem(key, problem):
    assert problem in config_key_problem(key)


def test_payvand_config_lists_every_key_with_its_source_hiding_passwords(tmp_path, monkeypatch):
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    monkeypatch.setenv("PAYVAND_SMTP_URL", "smtp+starttls://crm%40example.com:s3cret@smtp.example.com:587")
    monkeypatch.setenv("PAYVAND_SECRET_KEY", "very-secret")
    monkeypatch.setenv("PAYVAND_LEAD_FORM_RATE", "3 per minute")
    result = CliRunner().invoke(cli, ["--instance", str(tmp_path / "none"), "config", "--json"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output and "very-secret" not in result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)["keys"]}
    assert {key.name for key in CORE_KEYS} <= set(rows)
    assert rows["PAYVAND_SMTP_URL"]["value"] == "smtp+starttls://crm%40example.com:***@smtp.example.com:587"
    assert rows["PAYVAND_SECRET_KEY"]["value"] == "***"
    assert (rows["PAYVAND_LEAD_FORM_RATE"]["owner"], rows["PAYVAND_LEAD_FORM_RATE"]["value"],
            rows["PAYVAND_LEAD_FORM_RATE"]["source"]) == ("sales", "3 per minute", "environment")
    assert (rows["PAYVAND_SALES_ATTACHMENT_MAX_BYTES"]["value"],
            rows["PAYVAND_SALES_ATTACHMENT_MAX_BYTES"]["source"]) == ("10485760", "default")
    assert rows["PAYVAND_INSTANCE"]["source"] == "option"
    assert not (tmp_path / "none").exists()  # reading the configuration creates nothing


def test_payvand_config_fails_on_a_plugin_value_that_does_not_parse(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYVAND_SALES_ATTACHMENT_MAX_BYTES", "ten")
    result = CliRunner().invoke(cli, ["--instance", str(tmp_path), "config"])
    assert result.exit_code == 1
    assert "PAYVAND_SALES_ATTACHMENT_MAX_BYTES=ten (invalid: not used)" in result.stdout
    assert "sales: configuration: PAYVAND_SALES_ATTACHMENT_MAX_BYTES='ten' is not an integer" in result.output
