"""`payvand plugin new NAME`: start a plugin from a working, tested template."""

from __future__ import annotations

from pathlib import Path

import click

from payvand.core.cli.common import CliError


@click.group("plugin")
def plugin_group() -> None:
    """Write new plugins (see `payvand plugins` to manage installed ones)."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write it (default: ./payvand-NAME).")
@click.option("--title", help="Human title (default: from the name).")
def new_command(name: str, directory: Path | None, title: str | None) -> None:
    """Write a plugin package NAME with a table, a migration, an API route, hooks and tests."""
    from payvand.core.scaffold import ScaffoldError, new_plugin

    target = directory or Path(f"payvand-{name.replace('_', '-')}")
    try:
        files = new_plugin(name, target, title)
    except ScaffoldError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"Wrote {len(files)} files into {target}/. Next, here in your deployment's folder "
               "(where instance/ is; not inside the plugin's folder, which would get a second database):")
    click.echo(f"  python -m pip install -e {target}")
    click.echo(f"  (cd {target} && python -m pytest)")
    click.echo(f"  payvand db upgrade && payvand plugins check {name}")


def register(cli: click.Group) -> None:
    """Add `payvand plugin new` to the root CLI."""
    cli.add_command(plugin_group)
