"""`payvand service ...`: the service plugin's commands."""

from __future__ import annotations

import time

import click

from payvand.sdk import transaction


@click.group("service")
def service_cli() -> None:
    """Service: SLA and ticket maintenance."""


@service_cli.command("recompute-sla")
@click.option("--calendar", "calendar_id", type=int, default=None, help="Only the policies of this calendar.")
def recompute_sla(calendar_id: int | None) -> None:
    """Recompute the SLA due times of every unfinished ticket (after a calendar or policy changed)."""
    from payvand.plugins.service.services.sla import recompute
    from payvand.sdk import session

    began = time.perf_counter()
    with transaction():
        done = recompute(session(), calendar_id)
    click.echo(f"Recomputed the due times of {done:,} tickets in {time.perf_counter() - began:.1f} s.")


@service_cli.command("close-solved")
def close_solved() -> None:
    """Close the tickets solved more than `service.close_after_days` days ago."""
    from payvand.plugins.service.services.tickets import close_solved as close
    from payvand.sdk import session

    with transaction():
        done = close(session())
    click.echo(f"Closed {done:,} solved tickets.")
