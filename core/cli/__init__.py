"""The `payvand` command line: one click group; each module adds its commands, plugins theirs."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from payvand.core.cli.common import CliError, pass_env

__all__ = ["CliError", "cli", "main", "pass_env"]


class PayvandGroup(click.Group):
    """The root group: adds the enabled plugins' commands lazily, on first lookup.

    The plugin commands belong to one invocation (kept on the root context), so a process
    that runs the CLI several times (tests) never sees a previous database's plugins.
    """

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        root = ctx.find_root()
        obj = root.ensure_object(dict)
        if "plugin_commands" in obj:
            return obj["plugin_commands"]
        commands: dict[str, click.Command] = {}
        obj["plugin_commands"] = commands
        obj.setdefault("overrides", _overrides(root.params.get("instance"), root.params.get("database_url")))
        try:
            from payvand.core.cli.common import get_env

            env = get_env(ctx)
            if env.missing_database() is not None:
                return commands  # nothing initialised yet: list the core commands, create nothing
            for command in env.runtime.plugins.call_cached("payvand_cli"):
                if isinstance(command, click.Command) and command.name not in self.commands:
                    commands.setdefault(command.name or "", command)
        except Exception as exc:  # the core commands must keep working
            logging.getLogger(__name__).warning("plugin commands unavailable: %s", exc)
        return commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            command = self._plugin_commands(ctx).get(name)
        return command


def _overrides(instance: str | None, database_url: str | None) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if instance:
        overrides["PAYVAND_INSTANCE"] = instance
    if database_url:
        overrides["PAYVAND_DATABASE_URL"] = database_url
    return overrides


@click.group(cls=PayvandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--instance", envvar="PAYVAND_INSTANCE", type=click.Path(file_okay=False), is_eager=True,
              help="Instance folder (database, secret key). Default: ./instance or $PAYVAND_INSTANCE.")
@click.option("--database-url", envvar="PAYVAND_DATABASE_URL", is_eager=True,
              help="SQLAlchemy URL; default: SQLite in the instance folder.")
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.pass_context
def cli(ctx: click.Context, instance: str | None, database_url: str | None, verbose: bool) -> None:
    """Payvand: a plugin-based CRM. Start with `payvand demo`."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)["overrides"] = _overrides(instance, database_url)


def _register() -> None:
    from payvand.core.cli import config, data, db, mail, plugins, production, scaffold, serve, users

    for module in (db, plugins, scaffold, users, data, serve, production, config, mail):
        module.register(cli)


_register()


def main() -> None:
    """Console entry point: errors are one clear line and a non-zero exit, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # last resort: never show a traceback to the user
        click.echo(f"Error: {exc.__class__.__name__}: {exc}", err=True)
        sys.exit(1)
