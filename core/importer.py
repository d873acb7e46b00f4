"""Importing customers from a CSV file: streamed, normalised, deduplicated, written in batches.

`import_customers(runtime, "customers.csv", ImportOptions(...))` is what `payvand import
customers` and the web UI call. The file is read row by row; every good row is normalised
(`payvand.core.normalize`) and collected into batches of a few thousand, each written in its
own transaction with set-based lookups and executemany inserts (`payvand.core.importing`).
A bad row never stops the import: it is reported with its line number and reason (and
written to the rejects file), and the good rows around it are kept. When a batch fails in
the database it is split in halves until the failing rows are isolated and rejected. On
SQLite, a first import of a big file defers the secondary indexes to its end
(`payvand.core.importing.bulk_sqlite`; `ImportOptions.bulk`).
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from payvand.core.actor import SYSTEM, Actor
from payvand.core.importing import bulk_sqlite, pipeline
from payvand.core.importing.guard import REJECTS_PREFIX
from payvand.core.importing.mapping import REFERRER_TARGETS, ColumnMap, MappingError, build_mapping
from payvand.core.importing.records import Record, RowParser
from payvand.core.importing.referrers import ReferrerStage, customer_keys
from payvand.core.importing.source import CsvSource, SourceError
from payvand.core.importing.writer import BatchOutcome, BatchWriter, ConcurrentChange, with_copy_text
from payvand.core.settings import phone_region

__all__ = [
    "CannotImport",
    "ImportAborted",
    "ImportOptions",
    "ImportProgress",
    "ImportReport",
    "MappingError",
    "Reject",
    "SourceError",
    "import_customers",
]

KEEP_IN_REPORT = 100
DEFAULT_BATCH = 5000
log = logging.getLogger(__name__)


class CannotImport(ValueError):
    """The import cannot start (unreadable file, bad mapping or options)."""


class ImportAborted(RuntimeError):
    """The import stopped part-way (database unavailable); `report` says what was committed."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


@dataclasses.dataclass
class ImportOptions:
    """How to read and apply a customer file.

    `mapping` maps column headers to fields (see `payvand.core.importing.mapping`), on top of
    the automatic mapping. `on_duplicate` is "merge" (fill empty fields, add new emails,
    phones, tags) or "skip". `region` reads phone numbers without a country code (default:
    the deployment's, `payvand.core.settings.phone_region`). `rejects` is a path or text
    stream receiving the rejected rows as CSV: `line`, `reason` (English), `reason_code`
    (stable, see `payvand.core.importing.reasons`), then the row's own cells. `should_stop` is
    polled between batches: when it returns True the import stops there (`report.cancelled`).
    `reader_process` reads and normalises the file in a forked child process while this one
    writes (`payvand.core.importing.pipeline`): None decides automatically (a file of 1 MB or
    more, a process with one thread), True forces it, False never. `bulk` (SQLite only) defers
    the secondary indexes to the end of the import
    (`payvand.core.importing.bulk_sqlite`): None decides automatically (an empty or small
    database and a big file), True forces it, False never.
    """

    mapping: dict[str, str] = dataclasses.field(default_factory=dict)
    on_duplicate: str = "merge"
    dry_run: bool = False
    region: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    batch_size: int = DEFAULT_BATCH
    rejects: str | os.PathLike[str] | IO[str] | None = None
    actor: Actor = SYSTEM
    should_stop: Callable[[], bool] | None = None
    bulk: bool | None = None
    reader_process: bool | None = None


@dataclasses.dataclass(frozen=True)
class Reject:
    """A row that was not imported: where it is in the file, why, and the reason's code."""

    line: int
    reason: str
    code: str = ""


@dataclasses.dataclass(frozen=True)
class ImportProgress:
    """Counts so far, passed to the progress callback after each batch."""

    rows: int
    inserted: int
    merged: int
    skipped: int
    rejected: int
    bytes_read: int | None
    total_bytes: int | None


@dataclasses.dataclass
class ImportReport:
    """What an import did. `rejects`, `skipped_rows` and `referrer_rejects` keep the first 100 of each.

    `referrers` counts the customers whose referrer the import set; `referrers_refused` the rows
    whose referrer was refused (their customers are imported without one; each is in
    `referrer_rejects` and the rejects file with its line and reason, not in `rejected`).
    """

    source: str = ""
    dry_run: bool = False
    rows: int = 0
    inserted: int = 0
    merged: int = 0
    skipped: int = 0
    rejected: int = 0
    batches: int = 0
    seconds: float = 0.0
    encoding: str = ""
    delimiter: str = ""
    mapping: dict[str, str] = dataclasses.field(default_factory=dict)
    ignored_columns: list[str] = dataclasses.field(default_factory=list)
    rejects: list[Reject] = dataclasses.field(default_factory=list)
    skipped_rows: list[Reject] = dataclasses.field(default_factory=list)
    first_id: int | None = None
    last_id: int | None = None
    cancelled: bool = False
    bulk: bool = False
    index_rebuild_seconds: float = 0.0
    reader_process: bool = False
    referrers: int = 0
    referrers_refused: int = 0
    referrer_rejects: list[Reject] = dataclasses.field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of wall time."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line for people: what happened, how long it took."""
        verb = "would insert" if self.dry_run else "inserted"
        head = "Dry run: " if self.dry_run else ("Cancelled: " if self.cancelled else "")
        return (
            f"{head}{self.rows:,} rows: {verb} {self.inserted:,}, merged {self.merged:,}, "
            f"skipped {self.skipped:,}, rejected {self.rejected:,}{self._referrer_summary()} "
            f"in {self.seconds:.1f} s ({self.rows_per_second:,.0f} rows/s)."
        )

    def _referrer_summary(self) -> str:
        if not (self.referrers or self.referrers_refused):
            return ""
        found = "referrers found" if self.dry_run else "referrers set"
        return f"; {found} {self.referrers:,}, refused {self.referrers_refused:,}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for the API and `--json` output)."""
        data = dataclasses.asdict(self)
        data["rows_per_second"] = round(self.rows_per_second, 1)
        return data


class _RejectSink:
    """Collects rejected rows: counts them, keeps the first few, writes all to the rejects CSV."""

    def __init__(
        self,
        report: ImportReport,
        target: str | os.PathLike[str] | IO[str] | None,
        header: list[str],
    ) -> None:
        self.report = report
        self._file: IO[str] | None = None
        self._writer: Any = None
        if target is not None:
            if isinstance(target, (str, os.PathLike)):
                try:
                    self._file = open(  # noqa: SIM115 - closed by close()
                        target, "w", encoding="utf-8-sig", errors="surrogateescape", newline=""
                    )
                except OSError as exc:
                    raise CannotImport(
                        f"cannot write the rejects file {os.fspath(target)}: {exc.strerror or exc}"
                    ) from None
                stream: IO[str] = self._file
            else:
                stream = target
            self._writer = csv.writer(stream)
            self._writer.writerow([*REJECTS_PREFIX, *header])

    def add(self, line: int, reason: str, code: str, cells: list[str] | None) -> None:
        """Record one rejected row."""
        self.report.rejected += 1
        if len(self.report.rejects) < KEEP_IN_REPORT:
            self.report.rejects.append(Reject(line, reason, code))
        if self._writer is not None:
            self._writer.writerow([line, reason, code, *(cells or [])])

    def add_referrer(self, line: int, reason: str, code: str, cells: list[str]) -> None:
        """Record a row whose referrer was refused (the row itself was imported)."""
        self.report.referrers_refused += 1
        if len(self.report.referrer_rejects) < KEEP_IN_REPORT:
            self.report.referrer_rejects.append(Reject(line, reason, code))
        if self._writer is not None:
            self._writer.writerow([line, reason, code, *cells])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _factory_and_fields(target: Any) -> tuple[sessionmaker[Session], dict[str, Any]]:
    """The sessionmaker of `target` (a Runtime or a sessionmaker) and its declared custom fields."""
    if isinstance(target, sessionmaker):
        return target, {}
    factory = getattr(target, "sessionmaker", None)
    if factory is None:
        raise TypeError("import_customers needs a Runtime or a sessionmaker")
    declared = target.customer_fields() if hasattr(target, "customer_fields") else {}
    return factory, declared


def _deployment_region(target: Any, factory: sessionmaker[Session]) -> str:
    """The phone region of a Runtime's deployment (its setting); the default for a bare sessionmaker."""
    if isinstance(target, sessionmaker) or not hasattr(target, "setting"):
        return phone_region()
    with factory() as session:
        return phone_region(target, session)


def _open(source: Any, options: ImportOptions) -> CsvSource:
    if hasattr(source, "read") and not isinstance(source, (str, os.PathLike)):
        probe = source.read(0)
        if isinstance(probe, str):
            return CsvSource.from_text(source, delimiter=options.delimiter)
    return CsvSource(source, encoding=options.encoding, delimiter=options.delimiter)


def import_customers(
    target: Any,
    source: str | os.PathLike[str] | IO[Any],
    options: ImportOptions | None = None,
    *,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportReport:
    """Import the customers of a CSV file; return what was inserted, merged, skipped, rejected.

    `target` is a Runtime (its configuration and custom fields are used) or a sessionmaker.
    `source` is a path, a binary stream (encoding detected) or a text stream. `progress` is
    called after each batch. The garbage collector is left as it is (a web process runs
    imports in a thread; `payvand import customers` pauses it for its own process). Raises
    CannotImport before anything is written when the file or the options are unusable, and
    ImportAborted when the database fails part-way (committed batches stay).
    """
    options = options or ImportOptions()
    if options.on_duplicate not in ("merge", "skip"):
        raise CannotImport(f"on_duplicate must be 'merge' or 'skip', not {options.on_duplicate!r}")
    if options.batch_size < 1:
        raise CannotImport("batch_size must be at least 1")
    factory, declared = _factory_and_fields(target)
    region = (options.region or _deployment_region(target, factory)).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise CannotImport(
            f"unknown phone region {region!r}: use a two-letter country code such as IR"
        )
    started = time.perf_counter()
    try:
        src = _open(source, options)
    except SourceError as exc:
        raise CannotImport(str(exc)) from None
    try:
        try:
            mapping = build_mapping(src.header, options.mapping, declared)
        except MappingError as exc:
            raise CannotImport(str(exc)) from None
        report = ImportReport(
            source=src.name,
            dry_run=options.dry_run,
            encoding=src.encoding.replace("-sig", ""),
            delimiter=src.delimiter,
            mapping=mapping.describe(),
            ignored_columns=mapping.ignored,
        )
        keys = customer_keys(target) if mapping.columns_for("referrer_external_id") else []
        run = _Run(factory, src, mapping, region, declared, options, report, progress, keys)
        try:
            run.execute()
        finally:
            report.seconds = time.perf_counter() - started
    finally:
        src.close()
    return report


class _Run:
    """One import: reads rows, parses them, writes batches with the fallback on failure."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        src: CsvSource,
        mapping: ColumnMap,
        region: str,
        declared: dict[str, Any],
        options: ImportOptions,
        report: ImportReport,
        progress: Callable[[ImportProgress], None] | None,
        keys: list[Any] | None = None,
    ) -> None:
        self.src = src
        self.options = options
        self.report = report
        self.progress = progress
        self.parser = RowParser(mapping, region, declared)
        label = f"import:{Path(src.name).name}"[:120]
        wants_referrers = any(mapping.columns_for(target) for target in REFERRER_TARGETS)
        self.writer = BatchWriter(
            factory,
            on_duplicate=options.on_duplicate,
            dry_run=options.dry_run,
            actor=options.actor,
            source=label,
            file_bytes=src.total_bytes,
            referrers=ReferrerStage(keys or ()) if wants_referrers else None,
        )
        self.header = mapping.header
        self.batch_size = options.batch_size
        self.bulk: bulk_sqlite.BulkLoad | None = None

    def execute(self) -> None:
        """Read, parse and write batch by batch."""
        self.sink = _RejectSink(self.report, self.options.rejects, self.header)
        try:
            with self.writer:
                self._start_bulk()
                try:
                    self._loop()
                    self._resolve_referrers()
                except BaseException:
                    self._finish_bulk(failed=True)
                    raise
                self._finish_bulk(failed=False)
        except sa.exc.SQLAlchemyError as exc:  # e.g. the database cannot be reached at all
            raise ImportAborted(
                f"database error: {_short(exc)}; {self.report.inserted:,} customers were "
                "imported before it",
                self.report,
            ) from exc
        finally:
            self.sink.close()
        if self.report.rows == 0:
            self._notify()

    def _start_bulk(self) -> None:
        """On SQLite: finish an interrupted bulk load, then start this one's when it takes that path."""
        connection = self.writer.connection
        assert connection is not None
        if connection.dialect.name != "sqlite":
            if self.options.bulk:
                raise CannotImport("the bulk option is for SQLite; PostgreSQL imports use COPY")
            return
        try:
            if self.options.dry_run:
                return
            if self.options.bulk and bulk_sqlite.database_file(connection) is None:
                raise CannotImport("the bulk option needs a SQLite database file")
            if not bulk_sqlite.wanted(connection, self.options.bulk, self.src.total_bytes):
                bulk_sqlite.recover(connection)
                return
            load = bulk_sqlite.BulkLoad(connection)
            load.start()
        except bulk_sqlite.BulkImportRunning as exc:
            raise CannotImport(str(exc)) from None
        self.bulk = load
        self.report.bulk = True
        self.batch_size = bulk_sqlite.batch_size(self.options.batch_size, DEFAULT_BATCH)

    def _finish_bulk(self, *, failed: bool) -> None:
        """Rebuild the deferred indexes (after a failure too; if that fails, the next start does)."""
        load, self.bulk = self.bulk, None
        if load is None:
            return
        try:
            load.finish()
        except Exception:
            if not failed:
                raise
            log.exception("rebuilding the deferred indexes failed; the next import or start will")
        finally:
            self.report.index_rebuild_seconds = round(load.rebuild_seconds, 3)

    def _loop(self) -> None:
        report, batch_size = self.report, self.batch_size
        add_reject = self.sink.add
        read = pipeline.read_batches
        if pipeline.can_fork(self.src.total_bytes, self.options.reader_process):
            read = pipeline.forked_batches
            report.reader_process = True
        parse: Callable[[int, list[str]], Record] = self.parser.parse
        if self.writer.copies and not self.options.dry_run:  # PostgreSQL: the reader builds the COPY text too
            parse = with_copy_text(parse)
        chunks = read(self.src, parse, batch_size)
        try:
            for chunk in chunks:
                for line, reason, code, cells in chunk.rejects:
                    add_reject(line, reason, code, cells)
                report.rows = chunk.rows_read
                if not chunk.records:
                    continue
                self._flush(chunk.records, chunk.rows_read, chunk.bytes_read)
                if self.options.should_stop is not None and self.options.should_stop():
                    report.cancelled = True
                    return
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _resolve_referrers(self) -> None:
        """Set the referrers once every row is in (a row may name one later in the file)."""
        try:
            result = self.writer.resolve_referrers()
        except sa.exc.SQLAlchemyError as exc:
            raise ImportAborted(
                f"database error while setting the referrers: {_short(exc)}; the "
                f"{self.report.inserted:,} customers imported stay, without referrers",
                self.report,
            ) from exc
        self.report.referrers = result.linked
        for line, reason, code, cells in result.refused:
            self.sink.add_referrer(line, reason, code, cells)

    def _flush(self, batch: list[Record], rows_read: int, bytes_read: int | None) -> None:
        """Write one batch, count it and report progress."""
        self._write(batch)
        self.report.batches += 1
        if self.bulk is not None:
            self.bulk.after_batch()
        self._notify(rows_read, bytes_read)

    def _notify(self, rows: int = 0, bytes_read: int | None = None) -> None:
        if self.progress is None:
            return
        r = self.report
        self.progress(
            ImportProgress(
                rows, r.inserted, r.merged, r.skipped, r.rejected, bytes_read, self.src.total_bytes
            )
        )

    def _write(self, records: list[Record]) -> None:
        """Write a batch; on a row-level database error split it until the bad rows are alone."""
        try:
            outcome = self.writer.write(records)
        except (sa.exc.IntegrityError, sa.exc.DataError, ConcurrentChange) as exc:
            if len(records) == 1:
                record = records[0]
                reason = f"database refused the row: {_short(exc)}"
                self.sink.add(record.line, reason, "database_refused", record.cells)
                return
            middle = len(records) // 2
            self._write(records[:middle])
            self._write(records[middle:])
            return
        except sa.exc.SQLAlchemyError as exc:
            raise ImportAborted(
                f"database error at line {records[0].line}: {_short(exc)}; "
                f"{self.report.inserted:,} customers were imported before it",
                self.report,
            ) from exc
        self._count(outcome)

    def _count(self, outcome: BatchOutcome) -> None:
        report = self.report
        report.inserted += len(outcome.inserted_lines)
        report.merged += len(outcome.merged)
        report.skipped += len(outcome.skipped)
        for line, reason in outcome.skipped:
            if len(report.skipped_rows) >= KEEP_IN_REPORT:
                break
            report.skipped_rows.append(Reject(line, reason, "duplicate"))
        if outcome.inserted_ids:
            report.first_id = (
                outcome.inserted_ids[0] if report.first_id is None else report.first_id
            )
            report.last_id = outcome.inserted_ids[-1]


def _short(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's statement dump."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    return text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__
