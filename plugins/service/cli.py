"""`payvand service ...`: the service plugin's commands."""

from __future__ import annotations

import time
from pathlib import Path

import click

from payvand.sdk import transaction


@click.group("service")
def service_cli() -> None:
    """Service: SLA, ticket and knowledge-base maintenance."""


@service_cli.command("recompute-sla")
@click.option("--calendar", "calendar_id", type=int, default=None, help="Only the policies of this calendar.")
def recompute_sla(calendar_id: int | None) -> None:
    """Recompute the SLA due times of every unfinished ticket (after a calendar or policy changed)."""
    from payvand.plugins.service.models import Calendar
    from payvand.plugins.service.services.sla import recompute
    from payvand.sdk import session

    began = time.perf_counter()
    with transaction():
        if calendar_id is not None and session().get(Calendar, calendar_id) is None:
            raise click.ClickException(f"There is no calendar {calendar_id}.")
        done = recompute(session(), calendar_id)
    click.echo(f"Recomputed the due times of {done:,} tickets in {time.perf_counter() - began:.1f} s.")


@service_cli.command("close-solved")
@click.option("--days", type=click.IntRange(min=0, max=3650), default=None,
              help="Close tickets solved more than this many days ago (default: the setting service.close_after_days).")
def close_solved(days: int | None) -> None:
    """Close the tickets solved more than `--days` (or `service.close_after_days`) days ago."""
    from payvand.plugins.service.services.tickets import close_solved as close
    from payvand.sdk import session

    with transaction():
        done = close(session(), days=days)
    click.echo(f"Closed {done:,} solved tickets.")


@service_cli.command("import-kb")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_kb(folder: Path) -> None:
    """Import the Markdown articles under FOLDER (front matter: title, language, category, visibility);
    running it again updates the articles by slug. Exits with 1 when a file was refused."""
    from payvand.plugins.service.services.kb_import import import_folder
    from payvand.sdk import session

    with transaction():
        result = import_folder(session(), folder)
    for name, message in result.errors:
        click.echo(f"{name}: {message}", err=True)
    click.echo(f"Articles: {result.created:,} created, {result.updated:,} updated, {result.unchanged:,} unchanged, "
               f"{len(result.errors):,} refused.")
    if result.errors:
        raise SystemExit(1)
