"""Importing customers in the staff UI: upload, mapping with preview, background run, report, rejects."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.db import utcnow
from payvand.core.models import Customer, CustomerEmail, ImportJob
from payvand.core.services import import_jobs
from payvand.sdk.testing import WebClient

PERSIAN_CSV = (
    "نام,نام خانوادگی,ایمیل,موبایل,برچسب\n"
    "علی,رضایی,ali@example.com,09121234567,vip\n"
    "سارا,احمدی,not-an-email,09121234568,\n"
    "مریم,کریمی,maryam@example.com,12,\n"
    "رضا,محمدی,reza@example.com,۰۹۱۲۱۲۳۴۵۶۹,vip|new\n"
)


@pytest.fixture(autouse=True)
def english_by_default(runtime):
    """Pages in English (the deployment default), so the tests read the English messages."""
    from payvand.core import settings as core_settings
    from payvand.core.models import Setting

    with runtime.sessionmaker.begin() as session:
        session.merge(Setting(key=core_settings.DEFAULT_LOCALE, value="en"))


def upload(web: WebClient, content: bytes, name: str = "customers.csv", **kwargs: Any) -> Any:
    """POST a file to the upload form."""
    return web.post("/import", {"file": (io.BytesIO(content), name)}, content_type="multipart/form-data", **kwargs)


def job_id_from(response: Any) -> int:
    """The job id of the mapping page an upload redirected to."""
    assert response.status_code == 302, response.text
    found = re.fullmatch(r"/import/(\d+)/mapping", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def columns(page: str) -> dict[str, str]:
    """`{select name: selected target}` of the mapping page."""
    selects = re.findall(r'<select id="map-\d+" name="(col-\d+)".*?</select>', page, re.S)
    blocks = re.findall(r'<select id="map-\d+" name="col-\d+".*?</select>', page, re.S)
    result = {}
    for name, block in zip(selects, blocks, strict=False):
        chosen = re.search(r'<option value="([^"]+)" selected>', block)
        result[name] = chosen.group(1) if chosen else ""
    return result


def wait_for(runtime: Any, job_id: int, timeout: float = 30.0) -> ImportJob:
    """Poll the job row until it is finished (done or failed)."""
    deadline = time.monotonic() + timeout
    while True:
        with runtime.sessionmaker() as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            if job.status in (import_jobs.DONE, import_jobs.FAILED):
                session.expunge(job)
                return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
        time.sleep(0.05)


def start(web: WebClient, job_id: int, **extra: str) -> Any:
    """Submit the mapping form with the preselected targets and `extra` fields, pressing Start."""
    page = web.get(f"/import/{job_id}/mapping").text
    data = {**columns(page), "on_duplicate": "merge", "action": "start", **extra}
    return web.post(f"/import/{job_id}/mapping", data)


def test_persian_file_is_mapped_previewed_imported_and_its_rejects_downloaded(web, runtime):
    job_id = job_id_from(upload(web, PERSIAN_CSV.encode("utf-8")))

    page = web.get(f"/import/{job_id}/mapping")
    assert page.status_code == 200
    assert columns(page.text) == {"col-0": "given_name", "col-1": "family_name", "col-2": "email",
                                  "col-3": "mobile", "col-4": "tags"}
    assert 'id="import-start"' in page.text
    preview = page.text.split('id="import-preview"', 1)[1]
    assert "+989121234567" in preview and "+989121234569" in preview  # normalised, Persian digits too
    assert "\u2068&#39;not-an-email&#39;\u2069 is not a valid email address." in preview  # translated when shown
    assert "\u2068&#39;12&#39;\u2069 is not a valid phone number." in preview
    assert preview.count('data-error="1"') == 2

    response = start(web, job_id)
    assert response.status_code == 302 and response.headers["Location"] == f"/import/{job_id}"
    job = wait_for(runtime, job_id)
    assert job.status == "done", job.error
    assert job.report["inserted"] == 2 and job.report["rejected"] == 2 and job.report["rows"] == 4
    assert job.rows_read == 4 and job.bytes_read == job.bytes_total
    assert job.options["actor"]["user_id"] == web.user_id

    with runtime.sessionmaker() as session:
        emails = set(session.execute(sa.select(CustomerEmail.email)).scalars())
        names = set(session.execute(sa.select(Customer.display_name)).scalars())
    assert emails == {"ali@example.com", "reza@example.com"}
    assert names == {"علی رضایی", "رضا محمدی"}

    page = web.get(f"/import/{job_id}")
    assert page.status_code == 200
    assert re.search(r'id="import-count-created">\s*2<', page.text)
    assert re.search(r'id="import-count-rejected">\s*2<', page.text)
    assert 'id="import-rejects-link"' in page.text
    assert "hx-trigger" not in page.text.split('id="import-progress"', 1)[1].split(">", 1)[0]

    download = web.get(f"/import/{job_id}/rejects")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "customers-rejects.csv" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["line", "reason", "reason_code"]
    assert rows[0][3:] == ["نام", "نام خانوادگی", "ایمیل", "موبایل", "برچسب"]
    by_line = {row[0]: row for row in rows[1:]}
    assert set(by_line) == {"3", "4"}
    assert by_line["3"][1:3] == ["\u2068'not-an-email'\u2069 is not a valid email address.", "invalid_email"]
    assert by_line["3"][3] == "سارا"
    assert by_line["4"][1:3] == ["\u2068'12'\u2069 is not a valid phone number.", "invalid_phone"]
    assert not import_jobs.source_path(runtime.config, job_id).exists()  # the upload is gone once imported


def test_a_windows_persian_cp1256_file_is_read(web, runtime):
    # Excel on Persian Windows writes Arabic yeh (cp1256 has no Persian ی); names are stored with ی
    text = "نام,نام خانوادگي,تلفن همراه\nکاوه,يزداني,09351112233\n"
    job_id = job_id_from(upload(web, text.encode("cp1256"), name="excel.CSV"))
    page = web.get(f"/import/{job_id}/mapping").text
    assert "cp1256" in page and "کاوه" in page and "یزدانی" in page and "+989351112233" in page
    assert columns(page)["col-2"] == "mobile"
    start(web, job_id)
    job = wait_for(runtime, job_id)
    assert job.status == "done" and job.report["inserted"] == 1 and job.rejects_path is None
    assert web.get(f"/import/{job_id}/rejects").status_code == 404  # nothing rejected
    with runtime.sessionmaker() as session:
        assert session.execute(sa.select(Customer.display_name)).scalar_one() == "کاوه یزدانی"


def test_the_mapping_chosen_by_the_user_is_used(web, runtime):
    content = "Col A,Col B,Col C\nSara,sara@example.com,not used\n"
    job_id = job_id_from(upload(web, content.encode()))
    page = web.get(f"/import/{job_id}/mapping").text
    assert columns(page) == {"col-0": "ignore", "col-1": "ignore", "col-2": "ignore"}
    assert 'id="import-mapping-error"' in page

    refused = web.post(f"/import/{job_id}/mapping", {"col-0": "ignore", "col-1": "ignore", "col-2": "ignore",
                                                      "action": "start"})
    assert refused.status_code == 422 and "no column maps to a name, email or phone" in refused.text

    twice = web.post(f"/import/{job_id}/mapping", {"col-0": "given_name", "col-1": "email", "col-2": "given_name",
                                                    "action": "start"})
    assert twice.status_code == 422 and "given_name is chosen for two columns" in twice.text

    unknown = web.post(f"/import/{job_id}/mapping", {"col-0": "password", "col-1": "email", "col-2": "ignore",
                                                      "action": "start"})
    assert unknown.status_code == 422 and 'id="f-col-0-error"' in unknown.text

    chosen = {"col-0": "given_name", "col-1": "email", "col-2": "ignore"}
    preview = web.post(f"/import/{job_id}/mapping", {**chosen, "action": "preview"})
    assert preview.status_code == 200 and "sara@example.com" in preview.text
    assert "not used" not in preview.text.split('id="import-preview"')[1]
    assert web.post(f"/import/{job_id}/mapping", {**chosen, "action": "start"}).status_code == 302
    job = wait_for(runtime, job_id)
    assert job.status == "done" and job.report["inserted"] == 1
    assert job.options["mapping"] == {"Col A": "given_name", "Col B": "email", "Col C": "ignore"}
    with runtime.sessionmaker() as session:
        customer = session.execute(sa.select(Customer)).scalar_one()
        assert customer.given_name == "Sara" and customer.attributes in ({}, None)
    # a started job cannot be started again: its mapping page leads to its progress
    again = web.post(f"/import/{job_id}/mapping", {**chosen, "action": "start"})
    assert again.status_code == 302 and again.headers["Location"] == f"/import/{job_id}"


def test_skip_leaves_known_customers_alone_and_check_only_writes_nothing(web, runtime, make_customer):
    make_customer(given_name="Old", emails=["ali@example.com"])
    content = b"first name,email\nAli,ali@example.com\nNew,new@example.com\n"
    dry = job_id_from(upload(web, content))
    start(web, dry, on_duplicate="skip", dry_run="1")
    job = wait_for(runtime, dry)
    assert job.status == "done" and job.report["dry_run"] and job.report["inserted"] == 1
    assert "check only" in web.get(f"/import/{dry}").text
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1

    real = job_id_from(upload(web, content))
    start(web, real, on_duplicate="skip")
    job = wait_for(runtime, real)
    assert (job.report["inserted"], job.report["skipped"], job.report["merged"]) == (1, 1, 0)
    assert re.search(r'id="import-count-skipped">\s*1<', web.get(f"/import/{real}").text)
    with runtime.sessionmaker() as session:
        assert set(session.execute(sa.select(Customer.given_name)).scalars()) == {"Old", "New"}


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (None, "Choose a CSV file to import."),
        ((b"", ""), "Choose a CSV file to import."),
        ((b"", "empty.csv"), "The file is empty."),
        ((b"\n\n  \n", "blank.csv"), "The file is empty."),
        ((b"name,email\nA,a@example.com\n", "customers.xlsx"), "Only CSV files (.csv or .txt)"),
    ],
)
def test_upload_problems_are_shown_next_to_the_file_field(web, runtime, file, message):
    files = {} if file is None else {"file": (io.BytesIO(file[0]), file[1])}
    response = web.post("/import", files, content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="f-file-error"' in response.text and message in response.text
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0
    assert [p.name for p in import_jobs.imports_folder(runtime.config).iterdir()] == []


def test_a_file_over_the_configured_limit_is_refused(app, web, runtime):
    app.config["PAYVAND_IMPORT_MAX_BYTES"] = 1000
    row = "Sara,sara@example.com\n"
    just_over = ("name,email\n" + row * 60).encode()
    assert 1000 < len(just_over) < 1000 + 64 * 1024
    response = upload(web, just_over)
    assert response.status_code == 422 and "The file is larger than 0.00 MB." in response.text
    far_over = ("name,email\n" + row * 10_000).encode()  # beyond the request limit: refused before reading
    response = upload(web, far_over)
    assert response.status_code == 422 and 'id="f-file-error"' in response.text
    assert upload(web, ("name,email\n" + row * 10).encode()).status_code == 302
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 1


def test_the_upload_page_lists_recent_jobs(web):
    page = web.get("/import")
    assert page.status_code == 200
    assert 'id="import-upload-form"' in page.text and 'enctype="multipart/form-data"' in page.text
    assert '<label for="f-file"' in page.text and 'accept=".csv' in page.text
    job_id = job_id_from(upload(web, b"name,email\nSara,sara@example.com\n", name="leads.csv"))
    page = web.get("/import").text
    assert f'id="import-job-{job_id}" data-status="uploaded"' in page and "leads.csv" in page


def test_import_pages_need_the_import_permission(app, web_as, runtime):
    owner = web_as([perm.CUSTOMER_IMPORT])
    job_id = job_id_from(upload(owner, b"name,email\nSara,sara@example.com\n"))
    viewer = web_as([perm.CUSTOMER_VIEW])
    for path in ("/import", f"/import/{job_id}/mapping", f"/import/{job_id}", f"/import/{job_id}/progress",
                 f"/import/{job_id}/rejects"):
        assert viewer.get(path).status_code == 403, path
        anonymous = WebClient(app.test_client(), None).get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"], path
    assert upload(viewer, b"name\nA\n").status_code == 403
    assert viewer.post(f"/import/{job_id}/mapping", {"action": "start"}).status_code == 403


def test_forms_without_the_csrf_token_are_refused(web):
    assert upload(web, b"name,email\nSara,sara@example.com\n", csrf=False).status_code == 400
    job_id = job_id_from(upload(web, b"name,email\nSara,sara@example.com\n"))
    response = web.post(f"/import/{job_id}/mapping", {"col-0": "given_name", "col-1": "email", "action": "start"},
                        csrf=False)
    assert response.status_code == 400
    assert web.get(f"/import/{job_id}").headers["Location"].endswith("/mapping")  # not started


def test_users_see_only_their_own_jobs_and_superusers_see_all(web_as, web, runtime):
    alice = web_as([perm.CUSTOMER_IMPORT])
    bob = web_as([perm.CUSTOMER_IMPORT])
    job_id = job_id_from(upload(alice, b"name,email\nSara,sara@example.com\nBad,bad\n", name="alice.csv"))
    for path in (f"/import/{job_id}/mapping", f"/import/{job_id}", f"/import/{job_id}/progress",
                 f"/import/{job_id}/rejects"):
        assert bob.get(path).status_code == 404, path
    assert bob.post(f"/import/{job_id}/mapping", {"col-0": "full_name", "col-1": "email", "action": "start"}).status_code == 404
    assert "alice.csv" not in bob.get("/import").text
    assert start(alice, job_id).status_code == 302
    assert wait_for(runtime, job_id).report["rejected"] == 1
    assert bob.get(f"/import/{job_id}/rejects").status_code == 404
    assert alice.get(f"/import/{job_id}/rejects").status_code == 200
    assert "alice.csv" in web.get("/import").text  # the superuser sees every job, with its owner
    assert web.get(f"/import/{job_id}/rejects").status_code == 200


def _job_row(runtime: Any, user_id: int, **values: Any) -> int:
    with runtime.sessionmaker.begin() as session:
        values.setdefault("options", {})
        job = ImportJob(filename="big.csv", stored_path="", user_id=user_id, bytes_total=1000,
                        bytes_read=250, rows_read=1234, **values)
        session.add(job)
        session.flush()
        return job.id


def test_a_running_job_is_polled_and_a_stale_one_is_shown_as_interrupted(web, runtime):
    fresh = _job_row(runtime, web.user_id, status="running",
                     options={"pid": -1, "heartbeat": utcnow().isoformat()})
    stale = _job_row(runtime, web.user_id, status="running",
                     options={"pid": -1, "heartbeat": (utcnow() - dt.timedelta(minutes=5)).isoformat()})
    page = web.get(f"/import/{fresh}").text
    assert f'hx-get="/import/{fresh}/progress" hx-trigger="every 1s"' in page
    assert 'aria-valuenow="25"' in page and 'data-status="running"' in page
    fragment = web.get(f"/import/{fresh}/progress")
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="import-progress"' in fragment.text
    assert 'hx-trigger="every 1s"' in fragment.text

    page = web.get(f"/import/{stale}").text
    assert 'data-status="interrupted"' in page and "hx-trigger" not in page.split('id="import-progress"')[1].split(">")[0]
    assert 'id="import-error"' in page
    assert 'data-status="interrupted"' in web.get("/import").text


def test_a_failed_job_says_why_and_what_was_kept(web, runtime):
    job_id = _job_row(runtime, web.user_id, status="queued",
                      options={"mapping": {}, "on_duplicate": "merge", "heartbeat": utcnow().isoformat()})
    assert import_jobs.run_import_job(runtime, job_id) == "failed"  # the stored file is missing
    with runtime.sessionmaker() as session:
        job = session.get(ImportJob, job_id)
        assert job.status == "failed" and job.finished_at is not None
        assert job.error.startswith("cannot open big.csv:") and "\n" not in job.error
    page = web.get(f"/import/{job_id}").text
    assert 'id="import-error"' in page and "cannot open" in page


def test_import_pages_run_a_constant_number_of_queries(web, runtime, count_queries):
    first = job_id_from(upload(web, b"name,email\nSara,sara@example.com\n"))
    web.get("/import")
    with count_queries() as few:
        assert web.get("/import").status_code == 200
    with count_queries() as job_page:
        web.get(f"/import/{first}/mapping")
    for _ in range(5):
        _job_row(runtime, web.user_id, status="done", report={"inserted": 1})
    with count_queries() as many:
        assert web.get("/import").status_code == 200
    assert len(few) == len(many)
    with count_queries() as progress:
        web.get(f"/import/{first + 1}/progress")
    with count_queries() as progress_again:
        web.get(f"/import/{first + 5}/progress")
    assert len(progress) == len(progress_again) and len(job_page) <= len(few) + 1


def test_a_job_is_started_only_once(web, runtime):
    job_id = job_id_from(upload(web, b"name,email\nSara,sara@example.com\n"))
    actor = import_jobs.Actor(user_id=web.user_id, label="test")
    with runtime.sessionmaker() as session:
        job = session.get(ImportJob, job_id)
        import_jobs.start_job(session, job, mapping={}, on_duplicate="merge", dry_run=False, region="IR", actor=actor)
        session.commit()
        assert job.status == "queued"
        with pytest.raises(import_jobs.CannotImport):
            import_jobs.start_job(session, job, mapping={}, on_duplicate="merge", dry_run=False, region="IR",
                                  actor=actor)
    assert import_jobs.run_import_job(runtime, job_id) == "done"
    assert import_jobs.run_import_job(runtime, job_id) == "done"  # a finished job is not run again
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1


def test_a_web_page_or_a_binary_file_named_csv_is_refused(web, app):
    from pathlib import Path

    from payvand.sdk.testing import sample_upload

    page = upload(web, b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n")
    assert page.status_code == 422 and "web page or script code" in page.text
    pdf = upload(web, sample_upload("pdf"))
    assert pdf.status_code == 422 and "Only CSV files (.csv or .txt) can be imported." in pdf.text
    assert list((Path(app.config["PAYVAND_INSTANCE"]) / "imports").glob("*.csv")) == []


def test_an_export_imported_through_the_page_comes_back_unchanged(web, runtime, make_customer):
    """The export → import round trip through the staff import page (the SDK's round-trip check)."""
    from customer_csv import export_text, wipe_customers

    from payvand.sdk.testing import FORMULA_VALUES, assert_csv_round_trip

    for n, value in enumerate(FORMULA_VALUES):
        make_customer(given_name=value, family_name="سفارش ۱۲", tags=[value], emails=[f"+{n}x@example.com"])

    def load(text: str) -> None:
        job_id = job_id_from(upload(web, text.encode("utf-8-sig"), "export.csv"))
        from payvand.core.importing.guard import EXPORT_HEADER

        column = f"col-{EXPORT_HEADER.index('attributes')}"
        assert columns(web.get(f"/import/{job_id}/mapping").text)[column] == "attributes.*"
        assert start(web, job_id).status_code == 302
        job = wait_for(runtime, job_id)
        assert job.status == "done" and job.report["rejected"] == 0, job.report

    assert_csv_round_trip(
        lambda: export_text(runtime), load, reset=lambda: wipe_customers(runtime), ignore=("id", "created_at", "updated_at")
    )


def test_a_persian_import_shows_its_rejected_rows_in_persian(web, runtime):
    from payvand.sdk.testing import english_words

    web.post("/account/locale", {"locale": "fa"})
    bad = PERSIAN_CSV + "Kian,Karimi,kian@example.com,09121234570,,\n" + "نگار,رضوی,negar@example.com,09121234571,\n"
    job_id = job_id_from(upload(web, bad.encode("utf-8")))
    preview = web.get(f"/import/{job_id}/mapping").text
    assert "is not a valid email address" not in preview and "ایمیل معتبری نیست" in preview
    assert start(web, job_id).status_code == 302
    assert wait_for(runtime, job_id).status == "done"
    page = web.get(f"/import/{job_id}").text
    assert page.count("import-row-error") == 0 and "ایمیل معتبری نیست" in page
    data = ["not-an-email", "Kian", "Karimi", "kian@example.com", "vip", "new", "customers.csv", "Test User",
            "user@example.com", "ali@example.com", "maryam@example.com", "reza@example.com", "negar@example.com"]
    assert english_words(page, allow=data) == []
    found = english_words(preview, allow=data)
    assert found == [], found


def test_a_file_that_is_not_csv_is_refused_in_the_readers_language(web):
    """The reader's reason (binary-file detection in `core.importing.source`) is translated where shown."""
    from payvand.sdk.testing import english_words

    control = b"\x01\x02\x03\x04\x05\x06\x07" * 50  # passes the type check, is no text
    web.post("/account/locale", {"locale": "fa"})
    persian = upload(web, control, "report 2024.csv")
    assert persian.status_code == 422
    assert "is not a CSV text file" not in persian.text
    assert "فایل متنی CSV نیست" in persian.text and "دادهٔ دودویی (نویسه‌های کنترلی، بدون متن)" in persian.text
    data = ["report 2024.csv", "Test User", "user@example.com", "user2@example.com",
            "cp1256", ".txt"]  # the file's name; the staff user; names of an encoding and an extension
    assert english_words(persian.text, allow=data) == []
    web.post("/account/locale", {"locale": "en"})
    english = upload(web, control, "report 2024.csv")
    assert english.status_code == 422
    assert "is not a CSV text file but binary data (control characters, no text)" in english.text


ADDRESS_TARGETS = ["address_line1", "address_line2", "city", "region", "postal_code", "country", "address_label",
                   "addresses"]


def test_the_mapping_page_offers_the_address_columns_and_imports_them(web, runtime):
    text = "نام,ایمیل,نشانی,شهر,کد پستی,کشور\nعلی رضایی,ali@example.com,خیابان آزادی ۱۲,تهران,۱۲۳۴۵۶۷۸۹۰,ایران\n"
    job_id = job_id_from(upload(web, text.encode("utf-8")))
    page = web.get(f"/import/{job_id}/mapping").text
    assert columns(page) == {"col-0": "given_name", "col-1": "email", "col-2": "address_line1", "col-3": "city",
                             "col-4": "postal_code", "col-5": "country"}
    offered = re.findall(r'<option value="([^"]+)"', page.split('id="map-0"', 1)[1].split("</select>", 1)[0])
    assert all(target in offered for target in ADDRESS_TARGETS), offered
    assert "Address: postal code" in page and "Addresses (a JSON list, as exported)" in page
    web.post("/account/locale", {"locale": "fa"})
    persian = web.get(f"/import/{job_id}/mapping").text
    assert "Address: postal code" not in persian and "کد پستی" in persian
    assert start(web, job_id).status_code == 302
    assert wait_for(runtime, job_id).status == "done"
    from payvand.core.models import CustomerAddress

    with runtime.sessionmaker() as session:
        found = session.execute(sa.select(CustomerAddress.line1, CustomerAddress.postal_code,
                                          CustomerAddress.country)).one()
    assert tuple(found) == ("خیابان آزادی ۱۲", "1234567890", "IR")
