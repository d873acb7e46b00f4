"""`payvand sales ...`: the sales plugin's commands."""

from __future__ import annotations

import time

import click

from payvand.sdk import transaction


@click.group("sales")
def sales_cli() -> None:
    """Sales: rollups, scores and the catalog."""


@sales_cli.command("rebuild-rollups")
def rebuild_rollups() -> None:
    """Recompute the monthly product rollup of the reports from every order (after an import)."""
    from payvand.plugins.sales.services.rollup import rebuild

    began = time.perf_counter()
    with transaction():
        rows = rebuild()
    click.echo(f"Rebuilt the monthly product rollup: {rows:,} rows in {time.perf_counter() - began:.1f} s.")


@sales_cli.command("recompute-scores")
def recompute_scores() -> None:
    """Recompute every lead's score from the scoring rules and other plugins' points (in SQL)."""
    from payvand.plugins.sales.services.scoring import recompute_job

    began = time.perf_counter()
    with transaction():
        leads = recompute_job()
    click.echo(f"Recomputed the scores of {leads:,} leads in {time.perf_counter() - began:.1f} s.")
