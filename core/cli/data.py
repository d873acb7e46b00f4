"""`payvand import ...` and `payvand export ...`: customer data in and out as files."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from payvand.core.cli.bulk import paused_gc
from payvand.core.cli.common import CliEnv, CliError, pass_env

SHOWN_REJECTS = 10


@click.group("import")
def import_group() -> None:
    """Import data from files."""


@click.group("export")
def export_group() -> None:
    """Export data to files."""


@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator[Any]:
    """A click progress bar on stderr, only when stderr is a terminal; yields the callback."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=1000, label="Importing", file=sys.stderr, show_eta=True) as bar:
        done = [0]

        def update(progress: Any) -> None:
            if progress.total_bytes and progress.bytes_read is not None:
                target = min(1000, int(1000 * progress.bytes_read / progress.total_bytes))
                bar.update(target - done[0])
                done[0] = target
            bar.label = f"Importing ({progress.rows:,} rows)"

        yield update
        bar.update(1000 - done[0])


@import_group.command("customers")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="COLUMN=FIELD",
    help='Map a column to a field, e.g. --map "Mobile=phone" --map "E-mail=email"; '
    "repeatable. Fields: given_name, family_name, full_name, organization_name, kind, email, "
    "phone, mobile, birthday, tags, lifecycle_stage, preferred_language, preferred_channel, "
    "timezone, consent:<channel>, attributes.<field>, external_id, referrer_external_id, referrer_email, "
    "referrer_phone, or nothing to ignore the column. Common English "
    "and Persian headers (نام, نام خانوادگی, موبایل, ایمیل, ...) are mapped automatically.",
)
@click.option(
    "--on-duplicate",
    type=click.Choice(["merge", "skip"]),
    default="merge",
    show_default=True,
    help="A row whose email or phone is already known (in the database or earlier in the file): "
    "merge fills the customer's empty fields and adds new emails, phones and tags; skip "
    "leaves the customer as it is.",
)
@click.option(
    "--dry-run", is_flag=True, help="Read, check and deduplicate everything; write nothing."
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the rejected rows to this CSV, with their line number and the reason.",
)
@click.option(
    "--region",
    help="Country for phone numbers without a country code (default: the deployment's "
    "phone region setting, else PAYVAND_PHONE_REGION, else IR).",
)
@click.option(
    "--encoding",
    default="auto",
    show_default=True,
    help="File encoding: auto (UTF-8 with or without BOM, else cp1256), or e.g. utf-8, cp1256.",
)
@click.option(
    "--delimiter",
    default="auto",
    show_default=True,
    help="Column delimiter: auto, ',', ';', 'tab' or '|'.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=5000,
    show_default=True,
    help="Rows per transaction.",
)
@click.option(
    "--bulk/--no-bulk",
    default=None,
    help="SQLite: drop the secondary indexes for the load and rebuild them at the end (faster "
    "for big files). Default: automatic, for a big file into an empty or small database. "
    "Other imports are refused meanwhile; after a crash the next start rebuilds the indexes.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the report as JSON instead of the summary."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@pass_env
def import_customers_command(
    env: CliEnv,
    file: str,
    mappings: tuple[str, ...],
    on_duplicate: str,
    dry_run: bool,
    rejects: str | None,
    region: str | None,
    encoding: str,
    delimiter: str,
    batch_size: int,
    bulk: bool | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Import customers from a CSV FILE ('-' reads standard input).

    Emails, phones (E.164; Persian and Arabic digits accepted), names (Arabic ي/ك to ی/ک,
    stray spaces), birthdays (YYYY-MM-DD, or Jalali YYYY/MM/DD), tags (separated by | or ,)
    are normalised. Bad rows are reported with their line number and reason, and the good
    rows are imported.

    Who referred a customer: a referrer_external_id (matched against the file's external_id
    column), referrer_email or referrer_phone column, tried in that order; the referrer may be
    an existing customer or any row of the file. After the rows are in, the referrers are set;
    a referrer that is unknown, the customer itself, merged away or erased, or that would close
    a referral loop is reported with its line, and its customer is imported without one.
    """
    from payvand.core.importer import CannotImport, ImportAborted, ImportOptions, import_customers
    from payvand.core.importing.mapping import MappingError, parse_map_options

    if file != "-" and not Path(file).is_file():
        raise CliError(f"no such file: {file}")
    try:
        mapping = parse_map_options(mappings)
    except MappingError as exc:
        raise CliError(str(exc)) from None
    if rejects and file != "-" and Path(rejects).resolve() == Path(file).resolve():
        raise CliError("--rejects must not be the file being imported")
    env.require_schema()
    options = ImportOptions(
        mapping=mapping,
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        region=region,
        encoding=encoding,
        delimiter=delimiter,
        batch_size=batch_size,
        rejects=rejects,
        bulk=bulk,
    )
    source: Any = sys.stdin.buffer if file == "-" else file
    try:
        with _progress_bar(not quiet) as show, paused_gc() as collect:  # this process is ours alone

            def progress(done: Any) -> None:
                collect()
                if show is not None:
                    show(done)

            report = import_customers(env.runtime, source, options, progress=progress)
    except CannotImport as exc:
        raise CliError(str(exc)) from None
    except ImportAborted as exc:
        click.echo(exc.report.summary(), err=True)
        raise CliError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, default=str))
        return
    if report.ignored_columns:
        click.echo(f"Ignored columns: {', '.join(report.ignored_columns)}", err=True)
    for reject in report.rejects[:SHOWN_REJECTS]:
        click.echo(f"line {reject.line}: {reject.reason}", err=True)
    if report.rejected > SHOWN_REJECTS:
        more = "" if rejects else "; use --rejects FILE to get them all"
        click.echo(
            f"... and {report.rejected - SHOWN_REJECTS:,} more rejected rows{more}", err=True
        )
    for reject in report.referrer_rejects[:SHOWN_REJECTS]:
        click.echo(f"line {reject.line}: imported without a referrer: {reject.reason}", err=True)
    if report.referrers_refused > SHOWN_REJECTS:
        more = "" if rejects else "; use --rejects FILE to get them all"
        click.echo(f"... and {report.referrers_refused - SHOWN_REJECTS:,} more refused referrers{more}", err=True)
    click.echo(report.summary())


@export_group.command("customers")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="File to write (default: standard output).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="csv (UTF-8; a file gets a BOM so Excel opens it) or jsonl (one JSON object per line); "
    "default: from the file extension, else csv.",
)
@pass_env
def export_customers_command(env: CliEnv, output: str, fmt: str | None) -> None:
    """Export all customers (not merged away) with their emails, phones and tags.

    Rows are streamed page by page, so memory stays flat for any number of customers; the
    CSV can be imported again with `payvand import customers`.
    """
    from payvand.core.importing.export import export_customers

    if fmt is None:
        fmt = "jsonl" if output.lower().endswith((".jsonl", ".ndjson")) else "csv"
    env.require_schema()
    to_stdout = output == "-"
    try:
        with _open_output(output, fmt) as stream:
            count = export_customers(env.runtime.sessionmaker, stream, fmt)
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror or exc}") from None
    if not to_stdout:
        click.echo(f"Exported {count:,} customers to {output}.", err=True)


@contextlib.contextmanager
def _open_output(output: str, fmt: str) -> Iterator[IO[str]]:
    """The text stream to export into: a file (CSV with a BOM for Excel) or standard output."""
    if output == "-":
        stream = sys.stdout
        yield stream
        stream.flush()
        return
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    with open(output, "w", encoding=encoding, newline="") as handle:
        yield handle


def register(cli: click.Group) -> None:
    """Add the `import` and `export` groups to the root CLI."""
    cli.add_command(import_group)
    cli.add_command(export_group)
