"""Every rejected row carries a stable reason code; the downloaded rejects read in the
downloader's language."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from payvand.core.audit import Actor
from payvand.core.importer import ImportOptions, import_customers
from payvand.core.importing.mapping import EXPORT_ATTRIBUTES
from payvand.core.importing.reasons import REASON_CODES
from payvand.core.importing.referrers import REASONS as REFERRER_REASONS
from payvand.core.models import ImportJob
from payvand.core.services import import_jobs
from payvand.sdk import CustomerField, PluginMeta, hookimpl
from payvand.sdk.testing import english_words


class FieldsProbe:
    """Declares the custom fields the file fills."""

    meta = PluginMeta(name="reasons_probe", version="1.0.0", title="Reasons probe")

    @hookimpl
    def payvand_customer_fields(self) -> list[Any]:
        """A choice and a whole number."""
        return [
            CustomerField("reasons_probe.segment", type="choice", choices=["gold", "silver"]),
            CustomerField("reasons_probe.count", type="integer"),
        ]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The probe plugin."""
    return [FieldsProbe()]


COLUMNS = [
    "given",
    "family",
    "org",
    "kind",
    "email",
    "mobile",
    "birthday",
    "tags",
    "stage",
    "lang",
    "tz",
    "newsletter",
    "attributes",
    "segment",
    "count",
    "street",
    "city",
    "zip",
    "country",
    "addresses",
]
MAPPING = {
    "given": "given_name",
    "family": "family_name",
    "org": "organization_name",
    "kind": "kind",
    "email": "email",
    "mobile": "mobile",
    "birthday": "birthday",
    "tags": "tags",
    "stage": "lifecycle_stage",
    "lang": "preferred_language",
    "tz": "timezone",
    "newsletter": "consent:email",
    "attributes": EXPORT_ATTRIBUTES,
    "segment": "attributes.reasons_probe.segment",
    "count": "attributes.reasons_probe.count",
    "street": "address_line1",
    "city": "city",
    "zip": "postal_code",
    "country": "country",
    "addresses": "addresses",
}
#: One bad row per reason (by column), with the code it must be rejected with.
BAD_ROWS: list[tuple[dict[str, str], str]] = [
    ({"given": "Extra", "count": "1", "__extra__": "surplus"}, "field_count"),
    ({"tags": "vip"}, "no_name_or_contact"),
    ({"given": "Ali", "kind": "organization"}, "organization_without_name"),
    ({"given": "A" * 300}, "too_long"),
    ({"given": "Tags", "tags": "x" * 80}, "too_long"),
    ({"given": "Bad", "email": "bad@"}, "invalid_email"),
    ({"given": "Bad", "mobile": "12"}, "invalid_phone"),
    (
        {"given": "Many", "email": "|".join(f"m{i}@example.com" for i in range(21))},
        "too_many_contacts",
    ),
    ({"given": "Tagged", "tags": "|".join(f"t{i}" for i in range(51))}, "too_many_tags"),
    ({"given": "Lang", "lang": "english"}, "invalid_language"),
    ({"given": "Zone", "tz": "Mars/Olympus"}, "invalid_timezone"),
    ({"given": "Born", "birthday": "yesterday"}, "invalid_birthday"),
    ({"given": "Born", "birthday": "2999-01-01"}, "birthday_out_of_range"),
    ({"given": "Consent", "newsletter": "maybe"}, "invalid_yes_no"),
    ({"given": "Kind", "kind": "robot"}, "invalid_kind"),
    ({"given": "Stage", "stage": "zombie"}, "invalid_stage"),
    ({"given": "Json", "attributes": "[1]"}, "invalid_attributes"),
    ({"given": "Segment", "segment": "bronze"}, "invalid_attribute"),
    ({"given": "Count", "count": "1.5"}, "not_whole_number"),
    ({"given": "Street", "city": "Tehran"}, "address_without_line1"),
    ({"given": "Country", "street": "Main St 1", "country": "Narnia"}, "invalid_country"),
    ({"given": "Zip", "street": "Main St 1", "zip": "1" * 21}, "invalid_postal_code"),
    ({"given": "Addresses", "addresses": "[1]"}, "invalid_address"),
    (
        {"given": "Huge", "family": "x" * 140_000},
        "unreadable_csv",
    ),  # over the csv module's field limit
]
#: The values the reasons quote (the user's own data) and a library's wording kept in a reason.
DATA = [
    "bad@",
    "12",
    "english",
    "Mars/Olympus",
    "Zone",
    "IANA",
    "Asia/Tehran",
    "yesterday",
    "2999-01-01",
    "maybe",
    "robot",
    "zombie",
    "bronze",
    "1.5",
    "gold",
    "silver",
    "prospect",
    "lead",
    "customer",
    "loyal",
    "churned",
    "count",
    "segment",
    "reasons_probe",
    "field",
    "larger",
    "than",
    "limit",
    "utf",
    "8",
    "Many",
    "Extra",
    "Ali",
    "Huge",
    "Born",
    "fa",
    "en",
    "YYYY/MM/DD",
    "YYYY-MM-DD",
    "Narnia",
]


def _text() -> tuple[str, dict[int, str]]:
    """The file (good rows pad it past the encoding sample) and the code expected per line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    expected: dict[int, str] = {}
    line = 1
    for cells, code in BAD_ROWS:
        line += 1
        row = [cells.get(name, "") for name in COLUMNS] + (
            [cells["__extra__"]] if "__extra__" in cells else []
        )
        writer.writerow(row)
        expected[line] = code
    for i in range(
        1400
    ):  # 64 KB of good rows: the bad bytes below fall outside the encoding sample
        line += 1
        writer.writerow(
            [f"Good{i}", "Row", "", "", f"good{i}@example.com"] + [""] * (len(COLUMNS) - 5)
        )
    return out.getvalue(), {**expected, line + 1: "bad_encoding"}


def _file_bytes() -> tuple[bytes, dict[int, str]]:
    text, expected = _text()
    return text.encode(
        "utf-8"
    ) + b"Bad\xff\xfeBytes,Row,,,bytes@example.com" + b"," * 9 + b"\n", expected


def test_every_rejected_row_has_its_reason_code(runtime, tmp_path):
    data, expected = _file_bytes()
    path = tmp_path / "reasons.csv"
    path.write_bytes(data)
    rejects = tmp_path / "rejects.csv"
    report = import_customers(runtime, path, ImportOptions(mapping=MAPPING, rejects=rejects))
    assert {r.line: r.code for r in report.rejects} == expected
    with open(rejects, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["line", "reason", "reason_code"] and rows[0][3:] == COLUMNS
    assert {int(row[0]): row[2] for row in rows[1:]} == expected
    # the referrer codes (a row imported, its referrer refused): tests/test_import_referrers.py
    assert set(expected.values()) == set(REASON_CODES) - {"database_refused", "duplicate"} - set(REFERRER_REASONS)


def test_a_skipped_duplicate_is_reported_with_its_code(runtime, tmp_path):
    path = tmp_path / "dupes.csv"
    path.write_text(
        "name,email\nAli,ali@example.com\nAli again,ALI@example.com\n", encoding="utf-8"
    )
    report = import_customers(runtime, path, ImportOptions(on_duplicate="skip"))
    assert [(r.line, r.code) for r in report.skipped_rows] == [(3, "duplicate")]


def test_the_rejects_download_reads_in_the_downloaders_language(web, web_as, runtime):
    data, expected = _file_bytes()
    with runtime.sessionmaker() as session:
        job = import_jobs.create_job(
            session, runtime.config, io.BytesIO(data), "reasons.csv", web.user_id
        )
        session.commit()
        import_jobs.start_job(
            session,
            job,
            mapping=MAPPING,
            on_duplicate="merge",
            dry_run=False,
            region="IR",
            actor=Actor(user_id=web.user_id, label="test"),
        )
        session.commit()
        job_id = job.id
    assert import_jobs.run_import_job(runtime, job_id) == "done"
    persian = web_as(superuser=True)
    persian.post("/account/locale", {"locale": "fa"})

    def download(client: Any) -> list[list[str]]:
        response = client.get(f"/import/{job_id}/rejects")
        assert response.status_code == 200 and response.headers["Content-Type"].startswith(
            "text/csv"
        )
        assert "reasons-rejects.csv" in response.headers["Content-Disposition"]
        assert response.data.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(response.data[3:].decode("utf-8", "surrogateescape"))))

    english, farsi = download(web), download(persian)
    assert english[0] == farsi[0] == ["line", "reason", "reason_code", *COLUMNS]
    assert {
        int(row[0]): row[2] for row in farsi[1:]
    } == expected  # the codes are the same in every language
    assert [row[3:] for row in english[1:]] == [
        row[3:] for row in farsi[1:]
    ]  # so are the row's own cells
    by_code = {row[2]: row[1] for row in english[1:]}
    assert by_code["invalid_email"] == "\u2068'bad@'\u2069 is not a valid email address."
    assert by_code["too_long"] in (
        "Given name is longer than 120 characters.",
        "A tag is longer than 64 characters.",
    )
    for _line, reason, code, *_ in farsi[1:]:
        assert english_words(reason, allow=DATA) == [], (code, reason)
    persian_by_code = {row[2]: row[1] for row in farsi[1:]}
    assert persian_by_code["invalid_email"] == "\u2068'bad@'\u2069 نشانی ایمیل معتبری نیست."
    page = persian.get(
        f"/import/{job_id}"
    ).text  # the first rejected rows on the page read the same
    assert persian_by_code["no_name_or_contact"] in page
    with runtime.sessionmaker() as session:
        assert session.get(ImportJob, job_id).report["rejects"][0]["code"] == "field_count"
