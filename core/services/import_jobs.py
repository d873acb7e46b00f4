"""Customer imports started from the web UI: upload, mapping preview and a background run.

A job's life: `create_job` stores the uploaded file as `<instance>/imports/<job id>.csv`
(never a path the user chose) and records an `ImportJob` (status `uploaded`); the mapping page
shows `read_head` (the columns with their automatic targets and the first rows as they would
be imported, with the reason of each bad row); `start_job` records the chosen mapping and
options (status `queued`) and `launch` runs `run_import_job` in a daemon thread of the web
process — the embedded default. `run_import_job(runtime, job_id)` is standalone, so a worker
process can run a queued job instead.

While it runs the job row gets `rows_read`, `bytes_read` and a heartbeat (`options["heartbeat"]`,
with the owning `options["pid"]`) at most every half second, and a heartbeat at least every
ten seconds; at the end the report (`ImportReport.as_dict()`) and the rejects file
`<instance>/imports/<job id>.rejects.csv` (only when rows were rejected or their referrers
refused). A failure sets
status `failed` with a one-line error; the batches committed before it stay, and the report
says how many. A job still `queued`/`running` whose heartbeat is older than
`STALE_SECONDS` (its process died or restarted) is shown as `interrupted` (`job_state`).

Jobs may run at the same time, in one process or several: the importer's batches take turns
under the database's import lock (`payvand.core.importing.writer`), so a person two files
share is created once.

Cancelling (`cancel_job`): a job not yet running (or one nobody runs any more) becomes
`cancelled` at once and its files are deleted; a running job becomes `cancelling`, and its
runner, which reads the status between batches (`ImportOptions.should_stop`), stops after the
batch it is writing — committed batches stay — sets `cancelled` with the report of what was
done and deletes the files.

Files do not stay forever: the kernel job `core.import_cleanup` (hourly, `clean_up_files`)
deletes the upload of a job never started after `PAYVAND_IMPORT_UPLOAD_KEEP_HOURS` (default
24; the job becomes `expired`), the files of a finished, failed, cancelled or interrupted job
`PAYVAND_IMPORT_KEEP_DAYS` after it ended (default 7: the rejects stay downloadable that
long), and files in the folder that belong to no job.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.actor import Actor
from payvand.core.db import MAX_ID, utcnow
from payvand.core.importer import (
    CannotImport,
    ImportAborted,
    ImportOptions,
    ImportProgress,
    import_customers,
)
from payvand.core.importing.mapping import (
    EXPORT_ADDRESSES,
    EXPORT_ATTRIBUTES,
    IGNORE,
    MULTI_TARGETS,
    SINGLE_TARGETS,
    MappingError,
    build_mapping,
)
from payvand.core.importing.records import Record, RowError, RowParser
from payvand.core.importing.source import CsvSource, SourceError, problem_code
from payvand.core.models import ImportJob, User
from payvand.core.uploads import UploadRejected, check_upload

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".txt")
PREVIEW_ROWS = 10
SAMPLE_VALUES = 3
PROGRESS_SECONDS = 0.5
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 30.0
BATCH_SIZE = 2000
CHUNK = 1 << 20

UPLOADED, QUEUED, RUNNING, DONE, FAILED, INTERRUPTED = (
    "uploaded", "queued", "running", "done", "failed", "interrupted",
)
CANCELLING, CANCELLED, EXPIRED = "cancelling", "cancelled", "expired"
ACTIVE = (QUEUED, RUNNING, CANCELLING)
#: Statuses a job ends in (`interrupted` is shown, never stored).
ENDED = (DONE, FAILED, CANCELLED, EXPIRED)
DEFAULT_KEEP_DAYS = 7.0
DEFAULT_UPLOAD_KEEP_HOURS = 24.0
_FILE_NAME = re.compile(r"(\d+)(?:\.rejects)?\.csv")
LOOKUP_CHUNK = 500

_threads: dict[int, threading.Thread] = {}


class UploadError(ValueError):
    """The uploaded file cannot become an import job; the message says why (shown by the file field)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


# --------------------------------------------------------------------------- files


def max_upload_bytes(config: Mapping[str, Any]) -> int:
    """The largest file an import accepts: `PAYVAND_IMPORT_MAX_BYTES`, default 50 MB."""
    return int(config.get("PAYVAND_IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def imports_folder(config: Mapping[str, Any]) -> Path:
    """`<instance>/imports`, created on demand."""
    folder = Path(config["PAYVAND_INSTANCE"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def source_path(config: Mapping[str, Any], job_id: int) -> Path:
    """Where the uploaded file of job `job_id` is kept."""
    return imports_folder(config) / f"{int(job_id)}.csv"


def rejects_path(config: Mapping[str, Any], job_id: int) -> Path:
    """Where the rejected rows of job `job_id` are written."""
    return imports_folder(config) / f"{int(job_id)}.rejects.csv"


def remove_files(config: Mapping[str, Any], job_id: int) -> int:
    """Delete the upload and the rejects file of a job; return how many files were there."""
    removed = 0
    for path in (source_path(config, job_id), rejects_path(config, job_id)):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed


def rejects_file(config: Mapping[str, Any], job: ImportJob) -> Path | None:
    """The job's rejects CSV when it has one (a path inside the imports folder), else None."""
    if not job.rejects_path:
        return None
    path = rejects_path(config, job.id)
    return path if path.is_file() else None


def _copy_limited(stream: IO[bytes], target: Path, limit: int) -> int:
    """Copy `stream` into `target`, refusing more than `limit` bytes; returns the size."""
    size = 0
    with open(target, "wb") as out:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                return size
            size += len(chunk)
            if size > limit:
                raise UploadError("too_large", "The file is larger than %(limit)s MB.",
                                  limit=_megabytes(limit))
            out.write(chunk)


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value >= 1 else f"{value:.2f}"


def create_job(session: Session, config: Mapping[str, Any], stream: IO[bytes], filename: str,
               user_id: int | None) -> ImportJob:
    """Store an uploaded CSV and record its job (status `uploaded`); the caller commits.

    Checks: a `.csv`/`.txt` name, not empty, at most `max_upload_bytes`, text that is not a
    web page (`payvand.core.uploads.check_upload`), a readable header row. Raises UploadError
    (nothing kept) otherwise.
    """
    name = os.path.basename((filename or "").replace("\\", "/")).strip()[:255]
    if not name:
        raise UploadError("missing", "Choose a CSV file to import.")
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise UploadError("type", "Only CSV files (.csv or .txt) can be imported.")
    folder = imports_folder(config)
    temporary = folder / f"upload-{secrets.token_hex(8)}.part"
    try:
        size = _copy_limited(stream, temporary, max_upload_bytes(config))
        if size == 0:
            raise UploadError("empty", "The file is empty.")
        try:
            check_upload(temporary, name, ("csv",))
        except UploadRejected as exc:
            raise UploadError(exc.code, exc.message) from None
        try:
            CsvSource(temporary).close()
        except SourceError as exc:
            message = str(exc)
            if message.endswith("is empty"):
                raise UploadError("empty", "The file is empty.") from None
            raise UploadError("unreadable", "The file cannot be read as CSV: %(reason)s",
                              reason=message.replace(str(temporary), name)) from None
        job = ImportJob(filename=name, stored_path="", status=UPLOADED, options={},
                        bytes_total=size, bytes_read=0, rows_read=0, user_id=user_id)
        session.add(job)
        session.flush()
        final = source_path(config, job.id)
        os.replace(temporary, final)
        job.stored_path = str(final)
        return job
    finally:
        temporary.unlink(missing_ok=True)


# --------------------------------------------------------------------------- mapping and preview


def target_choices(declared: Iterable[str] = (), channels: Iterable[str] = ("email", "sms")) -> list[str]:
    """Every field a column can be mapped to, `ignore` first."""
    return [IGNORE, *SINGLE_TARGETS, *MULTI_TARGETS, *(f"consent:{c}" for c in channels),
            *(f"attributes.{name}" for name in sorted(declared)), EXPORT_ATTRIBUTES, EXPORT_ADDRESSES]


def auto_targets(header: list[str], declared: Iterable[str] = ()) -> list[str]:
    """The automatic target of each column (`ignore` when none), by the importer's own rules.

    `build_mapping` refuses a header with no name, email or phone column; then it is asked
    again with a probe column mapped to `email`, so the other columns still get theirs.
    """
    declared = list(declared)
    try:
        mapping = build_mapping(header, {}, declared)
    except MappingError:
        probe = "\u0000payvand-probe"
        mapping = build_mapping([*header, probe], {probe: "email"}, declared)
    return [mapping.targets.get(i, IGNORE) for i in range(len(header))]


def mapping_for(header: list[str], chosen: list[str]) -> dict[str, str]:
    """The importer's `{column: target}` mapping from one target per column (in file order).

    Raises MappingError when a single-valued field is chosen for two columns, or when two
    columns of the same name get different targets (the importer names columns by header).
    """
    seen: dict[str, str] = {}
    result: dict[str, str] = {}
    for column, target in zip(header, chosen, strict=True):
        if target != IGNORE and not target.startswith("consent:") and target not in MULTI_TARGETS:
            if target in seen:
                raise MappingError(f"{target} is chosen for two columns: {seen[target]!r} and {column!r}")
            seen[target] = column
        if column in result and result[column] != target:
            raise MappingError(f"two columns are named {column!r}; rename one in the file")
        result[column] = target
    return result


@dataclasses.dataclass
class PreviewRow:
    """One row of the preview: its line, the normalised values by field, or why it is rejected."""

    line: int
    values: dict[str, str]
    error: str | None = None
    cells: list[str] = dataclasses.field(default_factory=list)
    code: str = ""


@dataclasses.dataclass
class Preview:
    """The head of an uploaded file read with a mapping."""

    header: list[str]
    encoding: str
    delimiter: str
    targets: list[str]
    samples: list[list[str]]
    rows: list[PreviewRow]
    fields: list[str]
    mapping_error: str | None = None


def _record_values(record: Record) -> dict[str, str]:
    values = {
        "kind": record.kind or "",
        "given_name": record.given or "",
        "family_name": record.family or "",
        "organization_name": record.org or "",
        "email": ", ".join(record.emails),
        "phone": ", ".join(number for number, _ in record.phones),
        "birthday": record.birthday.isoformat() if record.birthday else "",
        "tags": ", ".join(record.tags),
        "lifecycle_stage": record.stage or "",
        "preferred_language": record.lang or "",
        "preferred_channel": record.channel or "",
        "timezone": record.tz or "",
        "consent": ", ".join(f"{c}: {'yes' if v else 'no'}" for c, v in record.consents),
        "attributes": ", ".join(f"{k}: {v}" for k, v in record.attributes.items()),
        "external_id": record.ext or "",
        "referrer": _referrer_text(record),
    }
    return values


def _referrer_text(record: Record) -> str:
    """The referrer's keys as the import reads them (external id, email, phone), or its problem code."""
    if record.ref is None:
        return ""
    ext, email, phone, problem = record.ref
    return ", ".join(value for value in (ext, email, phone) if value) or (problem or "")


PREVIEW_FIELDS = ("kind", "given_name", "family_name", "organization_name", "email", "phone",
                  "birthday", "tags", "lifecycle_stage", "preferred_language", "preferred_channel",
                  "timezone", "consent", "attributes", "external_id", "referrer")


def read_head(path: str | os.PathLike[str], *, chosen: list[str] | None = None, region: str = "IR",
              declared: Mapping[str, Any] | None = None, rows: int = PREVIEW_ROWS) -> Preview:
    """The header, automatic (or `chosen`) targets and the first `rows` rows as they would be imported.

    Rows go through the importer's own `RowParser`, so a value it would reject shows here with
    the same reason. Deduplication against the database is not previewed. Raises SourceError
    when the file cannot be read.
    """
    declared = dict(declared or {})
    src = CsvSource(path)
    try:
        header = [h.lstrip("\ufeff").strip() for h in src.header]
        targets = list(chosen) if chosen is not None else auto_targets(header, declared)
        raw: list[tuple[int, list[str] | None, str | None]] = []
        for item in src.rows():
            raw.append(item)
            if len(raw) >= rows:
                break
        preview = Preview(header=header, encoding=src.encoding.replace("-sig", ""),
                          delimiter=src.delimiter, targets=targets,
                          samples=[[] for _ in header], rows=[], fields=[])
    finally:
        src.close()
    for _, cells, _ in raw:
        for index, cell in enumerate((cells or [])[: len(header)]):
            if cell.strip() and len(preview.samples[index]) < SAMPLE_VALUES:
                preview.samples[index].append(cell.strip()[:60])
    try:
        mapping = build_mapping(header, mapping_for(header, targets), declared)
    except MappingError as exc:
        preview.mapping_error = str(exc).replace('use --map "Column=field" ', "")
        return preview
    parser = RowParser(mapping, region, declared)
    used: set[str] = set()
    for line, cells, problem in raw:
        if problem is not None:
            preview.rows.append(PreviewRow(line, {}, problem, cells or [], problem_code(problem)))
            continue
        try:
            values = _record_values(parser.parse(line, cells or []))
        except RowError as exc:
            preview.rows.append(PreviewRow(line, {}, str(exc), cells or [], exc.code))
            continue
        used.update(name for name, value in values.items() if value and (name, value) != ("kind", "person"))
        preview.rows.append(PreviewRow(line, values, None, cells or []))
    preview.fields = [name for name in PREVIEW_FIELDS if name in used]
    return preview


# --------------------------------------------------------------------------- starting and running


def start_job(session: Session, job: ImportJob, *, mapping: dict[str, str], on_duplicate: str,
              dry_run: bool, region: str, actor: Actor, bulk: bool | None = None) -> None:
    """Record the chosen mapping and options and queue the job; the caller commits, then `launch`es.

    `bulk` is `ImportOptions.bulk` (SQLite: defer the secondary indexes; None decides itself).
    """
    if on_duplicate not in ("merge", "skip"):
        raise CannotImport(f"on_duplicate must be 'merge' or 'skip', not {on_duplicate!r}")
    options = {
        "mapping": mapping,
        "on_duplicate": on_duplicate,
        "dry_run": bool(dry_run),
        "bulk": bulk,
        "region": region,
        "actor": {"kind": actor.kind, "user_id": actor.user_id, "label": actor.label, "token_id": actor.token_id},
        "pid": os.getpid(),
        "heartbeat": utcnow().isoformat(),
    }
    # a conditional update: of two clicks on Start (even in two processes) only one queues the job
    result = session.execute(
        sa.update(ImportJob).where(ImportJob.id == job.id, ImportJob.status == UPLOADED)
        .values(status=QUEUED, options=options)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise CannotImport("this import has already been started")
    session.expire(job)


def launch(runtime: Any, job_id: int) -> threading.Thread:
    """Run the job in a daemon thread of this process (the embedded default) and return the thread."""
    thread = threading.Thread(target=run_import_job, args=(runtime, job_id),
                              name=f"payvand-import-{job_id}", daemon=True)
    _threads[job_id] = thread
    thread.start()
    return thread


def running_here(job_id: int) -> bool:
    """True when this process runs (or queues) the job in a live thread."""
    thread = _threads.get(job_id)
    return thread is not None and thread.is_alive()


def visible_job(session: Session, job_id: int, actor: Actor) -> ImportJob | None:
    """The import job if `actor` may see it (their own, or any for a superuser), else None."""
    if not 0 < job_id <= MAX_ID:
        return None
    query = sa.select(ImportJob).where(ImportJob.id == job_id)
    if not actor.is_superuser:
        query = query.where(ImportJob.user_id == actor.user_id)
    return session.execute(query).scalar_one_or_none()


def recent_jobs(session: Session, actor: Actor, limit: int) -> list[Any]:
    """The latest import jobs `actor` may see, newest first, as rows of (job, the starter's email)."""
    query = (sa.select(ImportJob, User.email).outerjoin(User, User.id == ImportJob.user_id)
             .order_by(ImportJob.id.desc()).limit(limit))
    if not actor.is_superuser:
        query = query.where(ImportJob.user_id == actor.user_id)
    return [(job, email) for job, email in session.execute(query).all()]


def job_state(job: ImportJob, now: dt.datetime | None = None) -> str:
    """The status to show: the stored one, or `interrupted` for an active job nobody runs any more."""
    if job.status not in ACTIVE:
        return job.status
    options = job.options or {}
    if options.get("pid") == os.getpid() and running_here(job.id):
        return job.status
    beat = options.get("heartbeat")
    try:
        last = dt.datetime.fromisoformat(beat) if beat else None
    except ValueError:
        last = None
    now = now or utcnow()
    if last is None or (now - last).total_seconds() > STALE_SECONDS:
        return INTERRUPTED
    return job.status


def _one_line(exc: BaseException, hide: Path | None = None, shown: str = "the file") -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    if hide is not None:
        line = line.replace(str(hide), shown)  # no server paths in the UI
    return line[:500]


class _Progress:
    """Writes a job's progress and heartbeat to its row, throttled, from the import's thread."""

    def __init__(self, runtime: Any, job_id: int, options: dict[str, Any]) -> None:
        self.runtime = runtime
        self.job_id = job_id
        self.options = options
        self.lock = threading.Lock()
        self.last_write = 0.0
        self.rows = 0
        self.bytes = 0
        self.stop = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name=f"payvand-import-{job_id}-beat", daemon=True)

    def write(self, **values: Any) -> None:
        """Store the counters, the heartbeat and `values` on the job row."""
        with self.lock:
            self.options["heartbeat"] = utcnow().isoformat()
            with self.runtime.sessionmaker.begin() as session:
                session.execute(sa.update(ImportJob).where(ImportJob.id == self.job_id).values(
                    rows_read=self.rows, bytes_read=self.bytes, options=dict(self.options), **values))
            self.last_write = time.monotonic()

    def __call__(self, progress: ImportProgress) -> None:
        """The importer's progress callback (after each batch)."""
        self.rows = progress.rows or self.rows
        self.bytes = progress.bytes_read if progress.bytes_read is not None else self.bytes
        if time.monotonic() - self.last_write >= PROGRESS_SECONDS:
            self.write()

    def _tick(self) -> None:
        while not self.stop.wait(HEARTBEAT_SECONDS / 2):
            if time.monotonic() - self.last_write >= HEARTBEAT_SECONDS:
                try:
                    self.write()
                except Exception:  # the next beat or the end of the run will try again
                    log.warning("import job %s: heartbeat not written", self.job_id, exc_info=True)


def run_import_job(runtime: Any, job_id: int) -> str:
    """Run a queued import job to its end; return the final status (`done`, `failed` or `cancelled`).

    Standalone: needs only the Runtime (configuration, sessions, custom fields), so the web
    process's thread (`launch`) or a worker can call it. A job cancelled before it starts is
    left as it is.
    """
    with runtime.sessionmaker() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status != QUEUED:
            return job.status if job is not None else FAILED
        options = dict(job.options or {})
        options["pid"] = os.getpid()
        options["filename"] = job.filename
    progress = _Progress(runtime, job_id, options)
    if not _set_status(runtime, job_id, (QUEUED,), RUNNING, started_at=utcnow()):
        return _status_of(runtime, job_id)  # cancelled between the read and now
    progress.ticker.start()
    try:
        return _run(runtime, job_id, options, progress)
    except Exception as exc:  # the job row itself could not be written (database gone)
        log.exception("import job %s could not be run", job_id)
        try:
            _end(runtime, job_id, progress, FAILED, None, rejects_path(runtime.config, job_id), _one_line(exc))
        except Exception:
            log.exception("import job %s: the failure could not be recorded", job_id)
        return FAILED
    finally:
        progress.stop.set()


def _set_status(runtime: Any, job_id: int, expected: tuple[str, ...], status: str, **values: Any) -> bool:
    """Move the job to `status` if it is in one of the `expected` statuses; True when it was."""
    with runtime.sessionmaker.begin() as session:
        result = session.execute(
            sa.update(ImportJob).where(ImportJob.id == job_id, ImportJob.status.in_(expected))
            .values(status=status, **values).execution_options(synchronize_session=False))
        return bool(result.rowcount)


def _status_of(runtime: Any, job_id: int) -> str:
    with runtime.sessionmaker() as session:
        return session.scalar(sa.select(ImportJob.status).where(ImportJob.id == job_id)) or FAILED


def _cancel_requested(runtime: Any, job_id: int) -> bool:
    """The importer's `should_stop`, asked between batches: has someone cancelled the job?"""
    return _status_of(runtime, job_id) in (CANCELLING, CANCELLED)


def _run(runtime: Any, job_id: int, options: dict[str, Any], progress: _Progress) -> str:
    config = runtime.config
    source = source_path(config, job_id)
    rejects = rejects_path(config, job_id)
    progress.write()
    actor_data = options.get("actor") or {}
    import_options = ImportOptions(
        mapping=dict(options.get("mapping") or {}),
        on_duplicate=options.get("on_duplicate", "merge"),
        dry_run=bool(options.get("dry_run")),
        region=options.get("region"),
        batch_size=int(options.get("batch_size") or BATCH_SIZE),
        bulk=options.get("bulk"),
        rejects=rejects,
        actor=Actor(actor_data.get("kind") or ("user" if actor_data.get("user_id") else "system"),
                    actor_data.get("label") or "system", user_id=actor_data.get("user_id"),
                    token_id=actor_data.get("token_id")),
        should_stop=lambda: _cancel_requested(runtime, job_id),
    )
    report: dict[str, Any] | None = None
    try:
        result = import_customers(runtime, source, import_options, progress=progress)
    except ImportAborted as exc:
        report = exc.report.as_dict()
        return _end(runtime, job_id, progress, FAILED, report, rejects,
                    _one_line(exc, source, options.get("filename") or source.name))
    except Exception as exc:  # CannotImport, a bug, a full disk: record it, keep the process alive
        if not isinstance(exc, CannotImport):
            log.exception("import job %s failed", job_id)
        return _end(runtime, job_id, progress, FAILED, None, rejects,
                    _one_line(exc, source, options.get("filename") or source.name))
    report = result.as_dict()
    progress.rows = result.rows
    if source.exists() and not result.cancelled:
        progress.bytes = source.stat().st_size
    status = _end(runtime, job_id, progress, CANCELLED if result.cancelled else DONE, report, rejects, None)
    source.unlink(missing_ok=True)  # the customers are in the database; rejected rows in the rejects file
    return status


def _end(runtime: Any, job_id: int, progress: _Progress, status: str, report: dict[str, Any] | None,
         rejects: Path, error: str | None) -> str:
    """Record the job's end; a job cancelled meanwhile ends `cancelled`, its files deleted."""
    keep_rejects = bool(report and (report.get("rejected") or report.get("referrers_refused"))) and rejects.is_file()
    if report is not None:
        progress.rows = max(progress.rows, int(report.get("rows") or 0))
    progress.write()
    values = {"finished_at": utcnow(), "report": report, "error": error}
    if status != CANCELLED and _set_status(runtime, job_id, (RUNNING,), status,
                                            rejects_path=str(rejects) if keep_rejects else None, **values):
        if not keep_rejects:
            rejects.unlink(missing_ok=True)
        return status
    _set_status(runtime, job_id, (RUNNING, CANCELLING, CANCELLED), CANCELLED, rejects_path=None, **values)
    remove_files(runtime.config, job_id)
    return CANCELLED


class CannotCancel(ValueError):
    """The job has ended already (done, failed, cancelled or expired)."""


def cancel_job(session: Session, config: Mapping[str, Any], job: ImportJob) -> str:
    """Cancel a job; return its new status (`cancelled` or `cancelling`). The caller commits.

    A job waiting for its mapping, queued, or interrupted (nobody runs it) is cancelled at
    once and its files are deleted; a running one is asked to stop (`cancelling`): its runner
    stops after the batch it is writing, keeps the committed batches, and deletes the files.
    Raises CannotCancel when the job has ended.
    """
    state = job_state(job)
    now = utcnow()
    expected: tuple[str, ...]
    if state in (UPLOADED, QUEUED, INTERRUPTED):
        expected = (job.status,)
        status, values = CANCELLED, {"finished_at": now, "rejects_path": None}
    elif state in (RUNNING, CANCELLING):
        expected, status, values = (RUNNING, CANCELLING), CANCELLING, {}
    else:
        raise CannotCancel(f"import job {job.id} has ended ({job.status})")
    result = session.execute(
        sa.update(ImportJob).where(ImportJob.id == job.id, ImportJob.status.in_(expected))
        .values(status=status, **values).execution_options(synchronize_session=False))
    if not result.rowcount:  # type: ignore[attr-defined]
        session.expire(job)
        if session.get(ImportJob, job.id) is not None and job.status in ENDED:
            raise CannotCancel(f"import job {job.id} has ended ({job.status})")
        return job.status
    session.expire(job)
    if status == CANCELLED:
        remove_files(config, job.id)
    return status


# --------------------------------------------------------------------------- clean-up


def keep_days(config: Mapping[str, Any]) -> float:
    """How long an ended job's files are kept: `PAYVAND_IMPORT_KEEP_DAYS`, default 7 days."""
    return float(config.get("PAYVAND_IMPORT_KEEP_DAYS") or DEFAULT_KEEP_DAYS)


def upload_keep_hours(config: Mapping[str, Any]) -> float:
    """How long an upload waits for its mapping: `PAYVAND_IMPORT_UPLOAD_KEEP_HOURS`, default 24."""
    return float(config.get("PAYVAND_IMPORT_UPLOAD_KEEP_HOURS") or DEFAULT_UPLOAD_KEEP_HOURS)


@dataclasses.dataclass
class CleanUp:
    """What `clean_up_files` did: files deleted, uploads expired, files of unknown jobs deleted."""

    files: int = 0
    expired: int = 0
    orphans: int = 0


def _ended_at(job: Any) -> dt.datetime | None:
    """When a job ended: its end time, or the last sign of life of one nobody runs any more."""
    if job.status in ENDED:
        return job.finished_at or job.created_at
    beat = (job.options or {}).get("heartbeat")
    try:
        return dt.datetime.fromisoformat(beat) if beat else job.created_at
    except ValueError:
        return job.created_at


def clean_up_files(runtime: Any, now: dt.datetime | None = None) -> CleanUp:
    """Delete the import files past their retention (the kernel job `core.import_cleanup`).

    Reads the imports folder and the jobs its files belong to (one query per 500 jobs):
    an upload never started older than the upload retention is deleted and its job becomes
    `expired`; the files of a job that ended (or was interrupted) longer than the job
    retention ago are deleted; files of no job, and half-written uploads, once older than the
    upload retention. Files of queued and running jobs are never touched.
    """
    config = runtime.config
    now = now or utcnow()
    job_cutoff = now - dt.timedelta(days=keep_days(config))
    upload_cutoff = now - dt.timedelta(hours=upload_keep_hours(config))
    folder = imports_folder(config)
    files: dict[int, list[Path]] = {}
    done = CleanUp()
    for path in folder.iterdir():
        match = _FILE_NAME.fullmatch(path.name)
        if match:
            files.setdefault(int(match[1]), []).append(path)
        elif path.name.startswith("upload-") and _modified(path) < upload_cutoff:
            done.orphans += _unlink(path)
    ids = sorted(files)
    expired: list[int] = []
    with runtime.sessionmaker() as session:
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start:start + LOOKUP_CHUNK]
            jobs = {job.id: job for job in session.scalars(sa.select(ImportJob).where(ImportJob.id.in_(chunk)))}
            for job_id in chunk:
                job = jobs.get(job_id)
                if job is None:
                    old = [path for path in files[job_id] if _modified(path) < upload_cutoff]
                    done.orphans += sum(_unlink(path) for path in old)
                elif job.status == UPLOADED:
                    if job.created_at < upload_cutoff:
                        expired.append(job_id)
                elif job_state(job, now) in (*ENDED, INTERRUPTED):
                    ended = _ended_at(job)
                    if ended is None or ended < job_cutoff:
                        done.files += sum(_unlink(path) for path in files[job_id])
        for start in range(0, len(expired), LOOKUP_CHUNK):  # a job started meanwhile keeps its file
            chunk = expired[start:start + LOOKUP_CHUNK]
            found = list(session.scalars(
                sa.update(ImportJob).where(ImportJob.id.in_(chunk), ImportJob.status == UPLOADED)
                .values(status=EXPIRED, finished_at=now).returning(ImportJob.id)))
            session.commit()
            for job_id in found:
                done.files += sum(_unlink(path) for path in files[job_id])
            done.expired += len(found)
    return done


def _modified(path: Path) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except FileNotFoundError:
        return dt.datetime.max.replace(tzinfo=dt.UTC)


def _unlink(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    return 1
