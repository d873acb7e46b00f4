"""The lead import's rejected rows: a stable reason code each, the reason in the reader's
language."""

from __future__ import annotations

import csv
import io

from payvand.plugins.sales.services.lead_import import (
    REASON_CODES,
    import_leads,
    reason_code,
    rejects_csv,
)
from payvand.sdk.testing import english_words

HEADER = "name,company,email,phone,source,campaign,notes,owner,consent\n"
ROWS = [  # (cells, code), from line 2 on
    ("Sara Ahmadi,,sara@example.com,,,,,,", None),
    ("Nobody,,,,,,,,", "missing_contact"),
    (",,x@example.com,,,,,,", "missing_name"),
    ("Bad Mail,,not-an-email,,,,,,", "invalid_email"),
    ("Bad Phone,,,12,,,,,", "invalid_phone"),
    ("Bad Consent,,bc@example.com,,,,,,maybe", "invalid_consent"),
    ("No Owner,,no@example.com,,,,,ghost@example.com,", "unknown_owner"),
    ("Bad Source,,bs@example.com,,fair,,,,", "invalid_source"),
    (f"Long Campaign,,lc@example.com,,,{'c' * 200},,,", "invalid_campaign"),
    (f"Long Company,{'o' * 300},lo@example.com,,,,,,", "invalid_company"),
    ("Sara Again,,SARA@example.com,,,,,,", "duplicate_email"),
    ("Too,Many,cells,,,,,,,,extra", "field_count"),
]


def _result(in_app_session) -> tuple:
    text = HEADER + "".join(cells + "\n" for cells, _ in ROWS)
    return import_leads(io.StringIO(text), on_duplicate="skip")


def test_every_rejected_row_gets_its_code(in_app, db_session):
    result = _result(db_session)
    expected = {line: code for line, (_, code) in enumerate(ROWS, start=2) if code}
    assert {line: reason_code(reason) for line, reason in result.rejects} == expected
    assert set(expected.values()) <= set(REASON_CODES)
    assert reason_code("owner: you can assign leads only to yourself") == "owner_not_allowed"
    assert (
        reason_code("not saved: the database refused the batch of lines 2–9 (IntegrityError: x)")
        == "database_refused"
    )
    assert reason_code("the line is not valid utf-8 text") == "bad_encoding"
    assert reason_code("duplicate: the same phone as open lead #4") == "duplicate_phone"
    text = rejects_csv(result.rejects)  # the command's file: English reasons
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["line", "reason", "reason_code"]
    assert rows[1] == ["3", "email: Give an email or a phone number.", "missing_contact"]


def test_the_rejects_download_is_in_the_readers_language(web, db_session):
    web.post("/account/locale", {"locale": "fa"})
    text = HEADER + "".join(cells + "\n" for cells, _ in ROWS)
    web.post(
        "/sales/leads/import",
        {"file": (io.BytesIO(text.encode()), "leads.csv"), "on_duplicate": "skip"},
        content_type="multipart/form-data",
    )
    rows = list(
        csv.reader(io.StringIO(web.get("/sales/leads/import/rejects.csv").get_data(as_text=True)))
    )
    assert rows[0] == ["\ufeffline", "reason", "reason_code"]
    codes = {int(line): code for line, _, code in rows[1:]}
    assert codes == {line: code for line, (_, code) in enumerate(ROWS, start=2) if code}
    data = [
        "not-an-email",
        "maybe",
        "ghost@example.com",
        "fair",
        "web_form",
        "api",
        "manual",
        "import",
        "12",
        "UTM",
        "extra",
    ]
    for _line, reason, code in rows[1:]:
        assert english_words(reason, allow=data) == [], (code, reason)
