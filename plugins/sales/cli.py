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


@sales_cli.command("demo")
@click.option("--seed", type=int, default=None, help="Random seed (the same seed gives the same data). Default: fixed.")
def demo(seed: int | None) -> None:
    """Load demo sales data (catalog, leads, deals, quotes, orders, invoices) for the existing customers.

    Does nothing when the database already has sales data. Run `payvand demo --no-serve` first
    for customers and users.
    """
    from payvand.plugins.sales.demo import DEFAULT_SEED, load_sales_demo

    began = time.perf_counter()
    with transaction():
        counts = load_sales_demo(seed=DEFAULT_SEED if seed is None else seed)
    if not counts:
        click.echo("The database already has sales data: no sales demo data loaded.")
        return
    click.echo(f"Loaded the sales demo in {time.perf_counter() - began:.1f} s: "
               + ", ".join(f"{value:,} {key.replace('_', ' ')}" for key, value in counts.items()) + ".")


@sales_cli.command("import-products")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000),
              help="Rows per batch (one SKU lookup and one flush per batch).")
def import_products_command(file: str, batch_size: int) -> None:
    """Create or update products from a CSV file, matched by SKU.

    Columns: sku, name, category, unit, price, currency, tax_class, in_stock (or their Persian
    names: شناسه کالا، نام، دسته، واحد، قیمت، ارز، کلاس مالیاتی، موجود). Only sku and name are
    required. Bad rows are reported with their line numbers and skipped; the good ones are kept.
    """
    from payvand.plugins.sales.services.product_import import ImportFileError, import_products

    began = time.perf_counter()
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle, transaction():
            result = import_products(handle, batch_size=batch_size)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    except UnicodeDecodeError:
        raise click.ClickException("The file is not UTF-8 text.") from None
    for line, reason in result.errors:
        click.echo(f"line {line}: {reason}")
    click.echo(f"Imported {result.created + result.updated:,} products ({result.created:,} created, "
               f"{result.updated:,} updated); {len(result.errors):,} rows rejected; "
               f"{time.perf_counter() - began:.1f} s.")


@sales_cli.command("sync-catalogs")
@click.argument("names", nargs=-1)
def sync_catalogs(names: tuple[str, ...]) -> None:
    """Import the products of outside catalogs other plugins offer (`payvand_catalogs`); all, or NAMES."""
    from payvand.sdk import call_hook
    from payvand.plugins.sales.services.catalog import CatalogError, sync_catalog

    with transaction() as session:
        catalogs = [c for c in call_hook("payvand_catalogs") if not names or c.name in names]
        if not catalogs:
            raise click.ClickException("No plugin offers a catalog" + (f" named {', '.join(names)}." if names else "."))
        for catalog in catalogs:
            try:
                counts = sync_catalog(session, catalog)
            except CatalogError as exc:
                raise click.ClickException(f"{catalog.name}: {exc}") from None
            click.echo(f"{catalog.name}: {counts['created']:,} products created, {counts['updated']:,} updated.")
