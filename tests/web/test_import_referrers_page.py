"""The staff import page with referrer columns: mapped, previewed, imported, refused referrers reported."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa

from payvand.core.importing.reasons import REASON_CODES
from payvand.core.importing.referrers import REASONS
from payvand.core.models import Customer
from payvand.core.web.pages.imports import _BY_CODE
from tests.web.test_imports import columns, english_by_default, job_id_from, start, upload, wait_for  # noqa: F401

REFERRER_CSV = (
    "نام,ایمیل,ایمیل معرف,موبایل معرف\n"
    "Ali,ali@example.com,sara@example.com,\n"
    "Sara,sara@example.com,,\n"
    "Reza,reza@example.com,nobody@example.com,\n"
    "Mina,mina@example.com,,12\n"
)


def test_referrer_columns_are_mapped_previewed_imported_and_refusals_downloaded(web, runtime):
    job_id = job_id_from(upload(web, REFERRER_CSV.encode("utf-8")))
    page = web.get(f"/import/{job_id}/mapping").text
    assert columns(page) == {"col-0": "given_name", "col-1": "email", "col-2": "referrer_email",
                             "col-3": "referrer_phone"}
    assert "Referrer: email" in page
    preview = page.split('id="import-preview"', 1)[1]
    assert "sara@example.com" in preview and "invalid_referrer_phone" not in preview
    assert "the referrer&#39;s phone is not a valid phone number" in preview
    assert preview.count('data-error="1"') == 0  # a bad referrer does not refuse its row

    response = start(web, job_id)
    assert response.status_code == 302
    job = wait_for(runtime, job_id)
    assert job.status == "done", job.error
    report = job.report
    assert (report["inserted"], report["rejected"], report["referrers"], report["referrers_refused"]) == (4, 0, 1, 2)
    with runtime.sessionmaker() as session:
        rows = session.execute(sa.select(Customer.id, Customer.given_name, Customer.referred_by_id)).all()
    names = {row.id: row.given_name for row in rows}
    assert {row.given_name: names.get(row.referred_by_id) for row in rows} == {
        "Ali": "Sara", "Sara": None, "Reza": None, "Mina": None}

    page = web.get(f"/import/{job_id}").text
    assert re.search(r'id="import-count-referrers">\s*1<', page)
    assert re.search(r'id="import-count-referrers-refused">\s*2<', page)
    assert "a customer cannot" not in page and "no customer in the file or the database has the referrer" in page
    download = web.get(f"/import/{job_id}/rejects")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert [(row[0], row[2]) for row in rows[1:]] == [("4", "unknown_referrer"), ("5", "invalid_referrer_phone")]
    assert rows[1][1].startswith("The customer was imported without a referrer")


def test_every_referrer_reason_has_a_stable_code_and_a_translation():
    assert set(REASONS) <= set(REASON_CODES)
    assert set(REASONS) <= set(_BY_CODE)


def test_the_persian_preview_and_report_show_referrers_in_persian(web, runtime):
    from payvand.sdk.testing import english_words

    web.post("/account/locale", {"locale": "fa"})
    job_id = job_id_from(upload(web, REFERRER_CSV.encode("utf-8")))
    page = web.get(f"/import/{job_id}/mapping").text
    assert "تلفن معرف شمارهٔ معتبری نیست" in page.split('id="import-preview"', 1)[1]
    data = ["Ali", "Sara", "Reza", "Mina", "ali@example.com", "sara@example.com", "reza@example.com",
            "mina@example.com", "nobody@example.com", "customers.csv", "Test User", "user@example.com"]
    assert english_words(page, allow=data) == []
    assert start(web, job_id).status_code == 302
    assert wait_for(runtime, job_id).status == "done"
    report = web.get(f"/import/{job_id}").text
    assert "معرف‌های ثبت‌شده" in report and "مشتری بدون معرف وارد شد" in report
    assert english_words(report, allow=data) == []
