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
    """Recompute the daily product rollup of the reports from every order, in the site's time zone
    (after an import, or after changing the time zone)."""
    from payvand.plugins.sales.services.rollup import rebuild

    began = time.perf_counter()
    with transaction():
        rows = rebuild()
    click.echo(f"Rebuilt the daily product rollup: {rows:,} rows in {time.perf_counter() - began:.1f} s.")


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
    The encoding (UTF-8, UTF-16, Windows-1256) and the delimiter (, ; tab) are detected.
    """
    from payvand.plugins.sales.services.product_import import ImportFileError, import_products

    began = time.perf_counter()
    try:
        with transaction():
            result = import_products(file, batch_size=batch_size)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    for line, reason in result.errors:
        click.echo(f"line {line}: {reason}")
    click.echo(f"Imported {result.created + result.updated:,} products ({result.created:,} created, "
               f"{result.updated:,} updated); {len(result.errors):,} rows rejected; "
               f"{time.perf_counter() - began:.1f} s.")


@sales_cli.command("sync-catalogs")
@click.argument("names", nargs=-1)
def sync_catalogs(names: tuple[str, ...]) -> None:
    """Import the products of outside catalogs other plugins offer (`payvand_catalogs`); all, or NAMES."""
    from payvand.plugins.sales.services.catalog import CatalogError, sync_catalog
    from payvand.sdk import call_hook

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


@sales_cli.command("import-leads")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Check the file and say what would be done; write nothing.")
@click.option("--on-duplicate", type=click.Choice(["skip", "update"]), default="skip", show_default=True,
              help="A row with the email or phone of an open lead (or of an earlier row): skip it, or update that lead.")
@click.option("--source", "default_source", type=click.Choice(["import", "web_form", "api", "manual"]),
              default="import", show_default=True, help="The source of rows without a source column.")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Where to write the rejected rows (line, reason). Default: FILE.rejects.csv next to FILE.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 5000),
              help="Rows per batch (one lookup, one multi-row insert, one savepoint per batch).")
def import_leads_command(file: str, dry_run: bool, on_duplicate: str, default_source: str, rejects_path: str | None,
                         batch_size: int) -> None:
    """Import leads from a CSV file (UTF-8, UTF-16 or Windows-1256; comma, semicolon or tab).

    Columns: name (or first and last), company, email, phone, source, campaign, referrer,
    utm_source … utm_content, notes, owner (a user's email), consent (yes/no) — or their Persian
    names (نام، نام خانوادگی، شرکت، ایمیل، تلفن، ...). Rows are checked as the API checks a lead;
    bad rows and skipped duplicates are reported with their line and written to the rejects file.
    """
    from pathlib import Path

    from payvand.plugins.sales.services.csv_rows import CsvFileError
    from payvand.plugins.sales.services.lead_import import import_leads, rejects_csv

    began = time.perf_counter()
    try:
        with transaction():
            result = import_leads(file, on_duplicate=on_duplicate, default_source=default_source, dry_run=dry_run,
                                  batch_size=batch_size, name=Path(file).name)
    except CsvFileError as exc:
        raise click.ClickException(str(exc)) from None
    rejects = result.rejects
    target = Path(rejects_path) if rejects_path else Path(file).with_suffix(".rejects.csv")
    if rejects:
        target.write_text(rejects_csv(rejects), encoding="utf-8-sig", newline="")
    for line, reason in rejects[:20]:
        click.echo(f"line {line}: {reason}")
    if len(rejects) > 20:
        click.echo(f"… and {len(rejects) - 20:,} more rows.")
    click.echo(("Dry run, nothing written: would import " if dry_run else "Imported ")
               + f"{result.created + result.updated:,} leads ({result.created:,} created, {result.updated:,} updated); "
               f"{len(result.skipped):,} duplicates skipped; {len(result.errors):,} rows rejected; "
               f"{time.perf_counter() - began:.1f} s.")
    if rejects:
        click.echo(f"Rejected rows: {target}")


@sales_cli.command("import-orders")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Check the file and say what would be done; write nothing.")
@click.option("--currency", default=None, help="The currency of rows without one (default: the site's).")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 5000),
              help="Orders per batch (one lookup of each kind and one write per batch).")
def import_orders_command(file: str, dry_run: bool, currency: str | None, batch_size: int) -> None:
    """Import past orders (purchase history) from a CSV file, one row per order line.

    Columns: order_number, date, customer_id, email, phone, customer, sku, description,
    quantity, amount, currency (or their Persian names). Required: order_number, date, amount
    and one of customer_id, email or phone. Customers are matched by customer_id, email or phone
    and created when missing; an order number imported before is updated, so running the same
    file again changes nothing. Imported orders count as purchases in analytics; no invoice,
    mail or timeline entry is made. Bad rows are reported with their lines; good orders are kept.
    """
    from payvand.plugins.sales.services.csv_rows import CsvFileError
    from payvand.plugins.sales.services.order_import import OrderImportError, import_orders

    began = time.perf_counter()
    try:
        with transaction():
            result = import_orders(file, dry_run=dry_run, batch_size=batch_size, default_currency=currency)
    except (CsvFileError, OrderImportError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for line, reason in result.errors:
        click.echo(f"line {line}: {reason}")
    click.echo(("Dry run, nothing written: would import " if dry_run else "Imported ")
               + f"{result.created + result.updated:,} orders ({result.created:,} created, {result.updated:,} updated; "
               f"{result.lines:,} lines; {result.customers_created:,} customers created); "
               f"{len(result.errors):,} rows rejected; {time.perf_counter() - began:.1f} s.")
