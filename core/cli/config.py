"""`payvand config`: every configuration key, the core's and the installed plugins', with its value."""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any

import click

from payvand.core.cli.common import CliEnv, CliError, pass_env
from payvand.core.contracts import ConfigKey


def shown(key: ConfigKey, value: Any) -> str:
    """A value as `payvand config` prints it: a secret's password (or the whole secret) hidden."""
    if value is None:
        return "(not set)"
    if not key.secret:
        return str(value)
    text = str(value)
    if "://" not in text:
        return "***"
    parts = urllib.parse.urlsplit(text)
    if parts.password is None:
        return text
    host = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else "***@"
    return urllib.parse.urlunsplit(parts._replace(netloc=user + host))


def config_rows(env: CliEnv) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Each key with its owner, type, value, where the value comes from and its meaning; and the
    plugins' configuration problems (values that do not parse, bad declarations), by plugin."""
    from payvand.core.config import CORE_KEYS
    from payvand.core.plugins import discover, resolve_plugin_keys

    config = dict(env.config)
    installed = discover() if config.get("PAYVAND_DISCOVER_PLUGINS", True) else {}
    declared = [("core", key) for key in CORE_KEYS] + list(resolve_plugin_keys(config, installed).values())
    invalid = {key.name for owner, key in declared if owner != "core"
               and any(key.name in problem for problem in installed[owner].config_problems)}
    rows = []
    for owner, key in declared:
        if key.name in env.overrides:
            source = "option"
        elif key.name in os.environ:
            source = "environment"
        else:
            source = "default"
        value = shown(key, config.get(key.name, os.environ.get(key.name, key.default)))
        if key.name in invalid:
            value = f"{shown(key, os.environ.get(key.name, config.get(key.name)))} (invalid: not used)"
        rows.append({"name": key.name, "owner": owner, "type": key.type.__name__, "value": value,
                     "source": source, "default": shown(key, key.default), "description": key.description})
    problems = {name: plugin.config_problems for name, plugin in sorted(installed.items()) if plugin.config_problems}
    return rows, problems


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a list.")
@pass_env
def config_command(env: CliEnv, as_json: bool) -> None:
    """Every configuration key (environment variable) of the core and the installed plugins.

    Shows each value and where it comes from (environment, option or default), passwords
    hidden; exits 1 when a plugin's key has a value that does not parse. Opens no database.
    """
    rows, problems = config_rows(env)
    if as_json:
        click.echo(json.dumps({"keys": rows, "problems": problems}, ensure_ascii=False, indent=2))
    else:
        owner = None
        for row in rows:
            if row["owner"] != owner:
                owner = row["owner"]
                click.echo(f"{'' if owner == 'core' else chr(10)}# {owner}")
            click.echo(f"{row['name']}={row['value']}  ({row['source']}; {row['type']}, default {row['default']})")
            click.echo(f"    {row['description']}")
    if problems:
        lines = [f"{name}: {problem}" for name, found in problems.items() for problem in found]
        raise CliError(f"{len(lines)} configuration problem(s): " + "; ".join(lines))


def register(cli: click.Group) -> None:
    """Add `payvand config`."""
    cli.add_command(config_command)
