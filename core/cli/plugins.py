"""`payvand plugins list | enable | disable | info | check`: the plugins of this deployment."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from payvand.core.cli.common import CliEnv, CliError, pass_env

F = TypeVar("F", bound=Callable[..., Any])


def _one_line_errors(function: F) -> F:
    """Turn refusals and database errors into one-line `CliError`s (never a traceback)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from payvand.core.runtime import PluginStateError

        try:
            return function(*args, **kwargs)
        except PluginStateError as exc:
            raise CliError(str(exc)) from None
        except SQLAlchemyError as exc:
            original = getattr(exc, "orig", None) or exc
            line = (str(original).strip().splitlines() or [type(original).__name__])[0]
            raise CliError(f"database error: {line}") from None

    return wrapper  # type: ignore[return-value]


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def _override_note(env: CliEnv) -> str | None:
    if env.runtime.override() is None:
        return None
    return "note: PAYVAND_PLUGINS is set, so it (not the database) decides which plugins are enabled here"


#: What enabling changes in processes that are already running (docs/admin-guide.md, "Plugins").
RESTART_NOTE = (
    "Running servers and workers that already knew {name} when they started serve its pages and API "
    "routes and call its hooks (panels, menu entries, events, jobs) within seconds, without a restart. "
    "Restart the servers and workers (`payvand run`, gunicorn, `payvand worker`) started before {name} "
    "was installed (pip install): they do not know it at all until then."
)


@click.group("plugins")
def plugins_group() -> None:
    """Installed plugins: list, enable, disable, inspect and check them."""


@plugins_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_env
@_one_line_errors
def list_command(env: CliEnv, as_json: bool) -> None:
    """Every installed plugin: version, enabled (this deployment), active (loaded), error count."""
    runtime = env.runtime
    rows = _rows(runtime)
    if as_json:
        click.echo(json.dumps([{k: row[k] for k in ("name", "version", "title", "enabled", "active", "fails_checks",
                                                    "error_count", "problems")} for row in rows],
                              ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No plugins are installed (entry-point group `payvand.plugins`).")
        return
    header = ("NAME", "VERSION", "ENABLED", "ACTIVE", "ERRORS", "TITLE")
    table = [header] + [
        (r["name"], r["version"], "failed" if r["fails_checks"] else _yes(r["enabled"]), _yes(r["active"]),
         str(r["error_count"]), r["title"])
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[-1])
    if any(r["fails_checks"] for r in rows):
        click.echo("\nfailed: enabled for this deployment, but it fails its checks, so it is not loaded.")
    troubled = [r["name"] for r in rows if r["problems"]]
    if troubled:
        click.echo(f"\n{len(troubled)} plugin(s) have problems ({', '.join(troubled)}): "
                   "run `payvand plugins check`.")
    note = _override_note(env)
    if note:
        click.echo(note)


def _rows(runtime: Any) -> list[dict[str, Any]]:
    """`plugin_info` of every installed plugin, with all its problems (`check_plugins`) and
    `enabled` false for a plugin that fails its checks (`fails_checks`): it is not loaded."""
    from payvand.core.plugins import static_problems

    checks = runtime.check_plugins()
    rows = []
    for name in sorted(runtime.plugins.installed):
        row = runtime.plugin_info(name)
        plugin = runtime.plugins.installed[name]
        fails = row["enabled"] and not row["active"] and bool(static_problems(plugin, runtime.plugins.installed))
        row.update(problems=checks.get(name, row["problems"]) if fails or row["problems"] else row["problems"],
                   fails_checks=fails, enabled=row["enabled"] and not fails)
        rows.append(row)
    return rows


@plugins_group.command("rules")
@pass_env
@_one_line_errors
def rules_command(env: CliEnv) -> None:
    """Every active record rule: model, name, who it applies to, the permissions that bypass it."""
    found = env.runtime.record_rules()
    if not found:
        click.echo("No active plugin declares record rules: staff see every row their permissions allow.")
        return
    for model in sorted(found, key=lambda m: m.__tablename__):
        for rule in found[model]:
            bypass = (rule.bypass,) if isinstance(rule.bypass, str) else rule.bypass or ()
            click.echo(f"{model.__tablename__}  {rule.name}  for {', '.join(sorted(rule.applies_to))}"
                       f"  bypass: {', '.join(bypass) or '-'}" + (f"  ({rule.description})" if rule.description else ""))


@plugins_group.command("enable")
@click.argument("name")
@pass_env
@_one_line_errors
def enable_command(env: CliEnv, name: str) -> None:
    """Enable NAME: check its requirements, run its migrations and record it as enabled."""
    change = env.runtime.enable_plugin(name)
    plugin = env.runtime.plugins.installed[name]
    migrated = f" Migrated: {', '.join(change.migrated)}." if change.migrated else ""
    click.echo(f"Enabled {name} {plugin.version}.{migrated}")
    if not change.active and not change.overridden:
        problems = "; ".join(env.runtime.plugins.problems.get(name, [])) or "see `payvand plugins check`"
        click.echo(f"warning: {name} is enabled but not active: {problems}")
    else:
        click.echo(RESTART_NOTE.format(name=name))
    note = _override_note(env)
    if note:
        click.echo(note)


@plugins_group.command("disable")
@click.argument("name")
@pass_env
@_one_line_errors
def disable_command(env: CliEnv, name: str) -> None:
    """Disable NAME, keeping its data (enable it again to get everything back)."""
    env.runtime.disable_plugin(name)
    click.echo(f"Disabled {name}; its data is kept. Running servers and workers stop using it within seconds.")
    note = _override_note(env)
    if note:
        click.echo(note)


@plugins_group.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_env
@_one_line_errors
def info_command(env: CliEnv, name: str, as_json: bool) -> None:
    """Everything about NAME: metadata, state, hooks, permissions, customer fields, recent errors."""
    from payvand.core.plugins import static_problems

    info = env.runtime.plugin_info(name)
    plugin = env.runtime.plugins.installed[name]
    problems = static_problems(plugin, env.runtime.plugins.installed)
    fails = info["enabled"] and not info["active"] and bool(problems)
    info.update(enabled=info["enabled"] and not fails, fails_checks=fails,
                problems=[*problems, *(p for p in info["problems"] if p not in problems)])
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{info['name']} {info['version']} — {info['title']}")
    if info["description"]:
        click.echo(f"  {info['description']}")
    click.echo(f"source:       {info['source']}")
    state = "no: it fails its checks (recorded as enabled), so it is not loaded" if fails else _yes(info["enabled"])
    click.echo(f"enabled:      {state}{' (set by PAYVAND_PLUGINS)' if info['overridden'] else ''}")
    click.echo(f"active:       {_yes(info['active'])}")
    click.echo(f"requires:     {', '.join(info['requires']) or '-'}")
    click.echo(f"hooks:        {', '.join(info['hooks']) or '-'}")
    click.echo(f"offers hooks: {', '.join(info['offers_hooks']) or '-'}")
    click.echo(f"emits:        {', '.join(info['emits']) or '-'}")
    click.echo(f"subscribes:   {', '.join(info['subscribes']) or '-'}")
    click.echo(f"config keys:  {', '.join(info['config_keys']) or '-'}")
    click.echo("permissions:  " + (", ".join(p for p, _ in info["permissions"]) or "-"))
    for permission, description in info["permissions"]:
        click.echo(f"  {permission}: {description}")
    click.echo("fields:       " + (", ".join(f"{f} ({t})" for f, t, _ in info["customer_fields"]) or "-"))
    for problem in info["problems"]:
        click.echo(f"problem:      {problem}")
    click.echo(f"errors:       {info['error_count']}")
    for entry in info["recent_errors"][:10]:
        click.echo(f"  {_when(entry.get('at'))}  {entry.get('error')}")


@plugins_group.command("check")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@pass_env
@_one_line_errors
def check_command(env: CliEnv, names: tuple[str, ...]) -> None:
    """Check every installed plugin (or only NAME...) at once; list every problem and exit 1 if there is any.

    Looks at: loading, names, the hook specifications a plugin offers, each hook against its
    spec, the kernel's or a plugin's (unknown hooks, arguments, unmarked `payvand_*`
    functions), registrations, subscriptions to undeclared events, configuration values,
    `requires` (the Payvand version, plugins with versions) and migrations (missing, or not
    applied for an enabled plugin).
    """
    runtime = env.runtime
    results = runtime.check_plugins()
    unknown = [name for name in names if name not in results]
    if unknown:
        installed = ", ".join(sorted(results)) or "none"
        raise CliError(f"no installed plugin is named {', '.join(map(repr, unknown))}; installed: {installed}")
    if names:  # a plugin author checks their own plugin, whatever else is installed
        results = {name: results[name] for name in sorted(set(names))}
    if not results:
        click.echo("No plugins are installed (entry-point group `payvand.plugins`).")
        return
    for name, problems in results.items():
        version = runtime.plugins.installed[name].version
        if not problems:
            click.echo(f"{name} {version}: ok")
            continue
        loaded = "" if name in runtime.plugins.enabled else ", not loaded"
        click.echo(f"{name} {version}: {len(problems)} problem(s){loaded}")
        for problem in problems:
            click.echo(f"  - {problem}")
    if not runtime.schema_ready():
        click.echo("note: the database is not initialised, so applied migrations were not checked")
    total = sum(len(p) for p in results.values())
    if total:
        broken = sum(1 for p in results.values() if p)
        raise CliError(f"{total} problem(s) in {broken} of {len(results)} plugin(s)")


def register(cli: click.Group) -> None:
    """Add the `plugins` group to the root CLI."""
    cli.add_command(plugins_group)
