"""Cancelling import jobs (the button, the runner's stop between batches) and the clean-up of
their files."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.audit import Actor
from payvand.core.db import utcnow
from payvand.core.importer import ImportOptions, import_customers
from payvand.core.importing.writer import IMPORT_LOCK
from payvand.core.locks import transaction_lock
from payvand.core.models import Customer, ImportJob
from payvand.core.services import import_jobs
from payvand.sdk.testing import WebClient
from tests.db_locks import someone_waits_for_a_lock
from tests.web.test_imports import english_by_default, job_id_from, upload  # noqa: F401 - fixture

PEOPLE = "name,email\n" + "".join(f"Person {i},p{i}@example.com\n" for i in range(10))


def _customers(runtime: Any) -> int:
    with runtime.sessionmaker() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Customer)) or 0


def _job(runtime: Any, job_id: int) -> ImportJob:
    with runtime.sessionmaker() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        session.expunge(job)
        return job


def _queue(web: WebClient, runtime: Any, text: str = PEOPLE, batch_size: int = 2) -> int:
    """Upload `text` and queue its import (automatic mapping) in batches of `batch_size` rows."""
    job_id = job_id_from(upload(web, text.encode()))
    with runtime.sessionmaker() as session:
        job = session.get(ImportJob, job_id)
        import_jobs.start_job(
            session,
            job,
            mapping={},
            on_duplicate="merge",
            dry_run=False,
            region="IR",
            actor=Actor(user_id=web.user_id, label="test"),
        )
        session.execute(
            sa.update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(options={**job.options, "batch_size": batch_size})
        )
        session.commit()
    return job_id


def _wait(runtime: Any, job_id: int, statuses: tuple[str, ...], timeout: float = 60.0) -> ImportJob:
    deadline = time.monotonic() + timeout
    while (job := _job(runtime, job_id)).status not in statuses:
        assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
        time.sleep(0.05)
    return job


# --------------------------------------------------------------------------- cancelling


def test_the_importer_stops_between_batches_when_asked_and_keeps_the_committed_ones(
    runtime, tmp_path
):
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8")
    asked = []

    def should_stop() -> bool:
        asked.append(_customers(runtime))  # what was committed when the importer asked
        return len(asked) == 2

    report = import_customers(runtime, path, ImportOptions(batch_size=3, should_stop=should_stop))
    assert asked == [3, 6] and report.cancelled
    assert (report.rows, report.inserted, report.batches) == (6, 6, 2)
    assert _customers(runtime) == 6


def test_cancel_of_a_running_import_stops_it_between_batches(web, runtime, payvand_database):
    if payvand_database != "postgresql":
        pytest.skip("needs PostgreSQL's lock view to hold the runner before its first batch")
    job_id = _queue(web, runtime, batch_size=2)
    with runtime.engine.connect() as holder:  # another import's batch: the runner waits for it
        transaction_lock(holder, IMPORT_LOCK)
        thread = import_jobs.launch(runtime, job_id)
        deadline = time.monotonic() + 60
        while not someone_waits_for_a_lock(runtime):
            assert time.monotonic() < deadline and thread.is_alive(), (
                "the runner did not reach its first batch"
            )
            time.sleep(0.02)
        page = web.get(f"/import/{job_id}").text
        assert 'id="import-cancel"' in page and 'data-status="running"' in page
        response = web.post(f"/import/{job_id}/cancel")
        assert response.status_code == 302 and response.headers["Location"] == f"/import/{job_id}"
        assert _job(runtime, job_id).status == "cancelling"
        assert 'id="import-cancelling"' in web.get(f"/import/{job_id}").text
        holder.rollback()
    thread.join(60)

    job = _job(runtime, job_id)
    assert job.status == "cancelled" and job.finished_at is not None
    assert _customers(runtime) == 2  # the batch being written when the cancel came stays; no other
    assert (job.report["inserted"], job.report["rows"], job.report["cancelled"]) == (2, 2, True)
    assert not import_jobs.source_path(runtime.config, job_id).exists()
    assert not import_jobs.rejects_path(runtime.config, job_id).exists()
    page = web.get(f"/import/{job_id}").text
    assert (
        'id="import-cancelled"' in page
        and 'id="import-cancel"' not in page
        and "hx-trigger" not in page
    )


def test_a_queued_import_cancelled_before_it_runs_imports_nothing(web, runtime):
    job_id = _queue(web, runtime)
    assert 'id="import-cancel"' in web.get(f"/import/{job_id}").text
    response = web.post(f"/import/{job_id}/cancel")
    assert response.status_code == 302 and response.headers["Location"] == "/import"
    assert import_jobs.run_import_job(runtime, job_id) == "cancelled"
    job = _job(runtime, job_id)
    assert job.status == "cancelled" and job.started_at is None
    assert _customers(runtime) == 0 and not import_jobs.source_path(runtime.config, job_id).exists()
    assert f'id="import-job-{job_id}" data-status="cancelled"' in web.get("/import").text


def test_an_upload_is_cancelled_from_its_mapping_page(web, runtime):
    job_id = job_id_from(upload(web, PEOPLE.encode()))
    page = web.get(f"/import/{job_id}/mapping").text
    assert 'id="import-cancel" type="submit" form="import-cancel-form"' in page
    assert (
        'id="import-cancel-form"' in page
        and "data-confirm=" in page.split('id="import-cancel-form"')[1][:300]
    )
    response = web.post(f"/import/{job_id}/cancel")
    assert response.status_code == 302 and response.headers["Location"] == "/import"
    assert "The import was cancelled and its file deleted." in web.get("/import").text
    assert _job(runtime, job_id).status == "cancelled"
    assert not import_jobs.source_path(runtime.config, job_id).exists()
    assert web.get(f"/import/{job_id}/mapping").headers["Location"] == f"/import/{job_id}"


def test_an_interrupted_import_is_cancelled_at_once_and_its_files_deleted(web, runtime):
    job_id = _queue(web, runtime)
    stale = (utcnow() - dt.timedelta(minutes=5)).isoformat()
    with runtime.sessionmaker.begin() as session:
        job = session.get(ImportJob, job_id)
        job.status, job.options = "running", {**job.options, "pid": -1, "heartbeat": stale}
    import_jobs.rejects_path(runtime.config, job_id).write_text("line,reason\n", encoding="utf-8")
    assert 'data-status="interrupted"' in web.get(f"/import/{job_id}").text
    assert web.post(f"/import/{job_id}/cancel").headers["Location"] == "/import"
    assert _job(runtime, job_id).status == "cancelled"
    assert not import_jobs.source_path(runtime.config, job_id).exists()
    assert not import_jobs.rejects_path(runtime.config, job_id).exists()


def test_an_ended_import_cannot_be_cancelled(web, runtime):
    job_id = _queue(web, runtime)
    assert import_jobs.run_import_job(runtime, job_id) == "done"
    page = web.get(f"/import/{job_id}").text
    assert 'id="import-cancel"' not in page
    response = web.post(f"/import/{job_id}/cancel")
    assert response.status_code == 409
    assert "This import has ended; there is nothing to cancel." in response.text
    assert _job(runtime, job_id).status == "done" and _customers(runtime) == 10


def test_cancel_needs_the_permission_the_owner_and_the_csrf_token(app, web_as, web, runtime):
    alice = web_as([perm.CUSTOMER_IMPORT])
    job_id = job_id_from(upload(alice, PEOPLE.encode()))
    assert (
        web_as([perm.CUSTOMER_IMPORT]).post(f"/import/{job_id}/cancel").status_code == 404
    )  # not theirs
    assert web_as([perm.CUSTOMER_VIEW]).post(f"/import/{job_id}/cancel").status_code == 403
    anonymous = WebClient(app.test_client(), None).post(f"/import/{job_id}/cancel", csrf=False)
    assert anonymous.status_code in (302, 400)
    assert alice.post(f"/import/{job_id}/cancel", csrf=False).status_code == 400
    assert _job(runtime, job_id).status == "uploaded"
    assert (
        web.post(f"/import/{job_id}/cancel").status_code == 302
    )  # a superuser may cancel anyone's
    assert _job(runtime, job_id).status == "cancelled"


# --------------------------------------------------------------------------- clean-up


def _aged(path: Path, age: dt.timedelta, text: str = "x\n") -> Path:
    path.write_text(text, encoding="utf-8")
    moment = (utcnow() - age).timestamp()
    os.utime(path, (moment, moment))
    return path


def _row(
    runtime: Any,
    status: str,
    *,
    created: dt.timedelta,
    finished: dt.timedelta | None = None,
    heartbeat: dt.timedelta | None = None,
) -> int:
    now = utcnow()
    options: dict[str, Any] = {"pid": -1}
    if heartbeat is not None:
        options["heartbeat"] = (now - heartbeat).isoformat()
    with runtime.sessionmaker.begin() as session:
        job = ImportJob(
            filename="f.csv",
            stored_path="",
            status=status,
            options=options,
            bytes_total=1,
            bytes_read=0,
            rows_read=0,
            created_at=now - created,
            finished_at=None if finished is None else now - finished,
        )
        session.add(job)
        session.flush()
        job_id = job.id
    _aged(import_jobs.source_path(runtime.config, job_id), created)
    _aged(import_jobs.rejects_path(runtime.config, job_id), finished or created)
    return job_id


def _files(runtime: Any, job_id: int) -> int:
    return sum(
        path.exists()
        for path in (
            import_jobs.source_path(runtime.config, job_id),
            import_jobs.rejects_path(runtime.config, job_id),
        )
    )


def test_the_clean_up_job_deletes_only_expired_files(runtime):
    day, hour = dt.timedelta(days=1), dt.timedelta(hours=1)
    deleted = {
        "done 8 days ago": _row(runtime, "done", created=9 * day, finished=8 * day),
        "failed 8 days ago": _row(runtime, "failed", created=9 * day, finished=8 * day),
        "cancelled 8 days ago": _row(runtime, "cancelled", created=9 * day, finished=8 * day),
        "interrupted 8 days ago": _row(runtime, "running", created=9 * day, heartbeat=8 * day),
    }
    expired = _row(runtime, "uploaded", created=25 * hour)
    kept = {
        "done 6 days ago": _row(runtime, "done", created=9 * day, finished=6 * day),
        "failed yesterday": _row(runtime, "failed", created=2 * day, finished=day),
        "uploaded an hour ago": _row(runtime, "uploaded", created=hour),
        "running for 30 days": _row(
            runtime, "running", created=30 * day, heartbeat=dt.timedelta(seconds=1)
        ),
        "queued": _row(runtime, "queued", created=9 * day, heartbeat=dt.timedelta(seconds=1)),
        "interrupted 2 days ago": _row(runtime, "running", created=3 * day, heartbeat=2 * day),
    }
    folder = import_jobs.imports_folder(runtime.config)
    orphan = _aged(folder / "987654.csv", 2 * day)
    fresh_orphan = _aged(folder / "987655.rejects.csv", hour)
    half_written = _aged(folder / "upload-0123456789abcdef.part", 2 * day)
    fresh_upload = _aged(folder / "upload-fedcba9876543210.part", hour)
    unrelated = _aged(folder / "notes.txt", 30 * day)

    assert "core.import_cleanup" in runtime.job_runner.run_due_jobs()

    assert {name: _files(runtime, job_id) for name, job_id in deleted.items()} == dict.fromkeys(
        deleted, 0
    )
    assert {name: _files(runtime, job_id) for name, job_id in kept.items()} == dict.fromkeys(
        kept, 2
    )
    assert _files(runtime, expired) == 0 and _job(runtime, expired).status == "expired"
    assert _job(runtime, kept["uploaded an hour ago"]).status == "uploaded"
    assert not orphan.exists() and not half_written.exists()
    assert fresh_orphan.exists() and fresh_upload.exists() and unrelated.exists()
    assert import_jobs.clean_up_files(runtime) == import_jobs.CleanUp(files=0, expired=0, orphans=0)


@pytest.mark.parametrize(
    "payvand_config", [{"PAYVAND_IMPORT_KEEP_DAYS": 0.5, "PAYVAND_IMPORT_UPLOAD_KEEP_HOURS": 2}]
)
def test_the_retention_is_configured(runtime):
    hour = dt.timedelta(hours=1)
    done = _row(runtime, "done", created=20 * hour, finished=13 * hour)
    recent = _row(runtime, "done", created=20 * hour, finished=11 * hour)
    upload_old = _row(runtime, "uploaded", created=3 * hour)
    upload_new = _row(runtime, "uploaded", created=hour)
    assert import_jobs.clean_up_files(runtime) == import_jobs.CleanUp(files=4, expired=1, orphans=0)
    assert (_files(runtime, done), _files(runtime, recent)) == (0, 2)
    assert (_files(runtime, upload_old), _files(runtime, upload_new)) == (0, 2)
