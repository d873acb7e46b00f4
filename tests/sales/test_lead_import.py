"""Lead import from CSV: the service, `payvand sales import-leads` and the staff page `/sales/leads/import`."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from payvand.core.cli import cli
from payvand.core.models import AuditLog
from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Lead, ScoringRule
from payvand.plugins.sales.schemas import LeadIn
from payvand.plugins.sales.services import lead_import
from payvand.plugins.sales.services.csv_rows import CsvFileError
from payvand.plugins.sales.services.lead_import import import_leads, quick_load
from payvand.plugins.sales.services.leads import SOURCES, UTM_KEYS
from tests.sales.test_import_products import sales_installed  # noqa: F401 - the plugin installed for the CLI

HEADER = "name,company,email,phone,source,campaign,utm_source,notes,owner,consent\n"


def _leads(db_session) -> list[Lead]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Lead).order_by(Lead.id)))


def _import(text: str, **options):
    return import_leads(io.StringIO(text), **options)


# --------------------------------------------------------------------------- the service


def test_good_rows_are_kept_and_bad_rows_reported_with_their_lines(in_app, db_session):
    result = _import(HEADER
                     + "Sara Ahmadi,,sara@example.com,,,spring,news,met at the fair,,yes\n"  # 2 good
                     + "Nobody,,,,,,,,,\n"                                                 # 3 no contact
                     + ",,x@example.com,,,,,,,\n"                                          # 4 no name
                     + "Bad Mail,,not-an-email,,,,,,,\n"                                   # 5 bad email
                     + "Bad Consent,,bc@example.com,,,,,,,maybe\n"                         # 6 bad consent
                     + "No Owner,,no@example.com,,,,,,ghost@example.com,\n"                # 7 unknown owner
                     + "Bad Source,,bs@example.com,,fair,,,,,\n"                           # 8 bad source
                     + ",Acme Co,,+98 21 1234 5678,,,,,,no\n")                             # 9 good (company)
    db_session.commit()
    assert (result.created, result.updated, result.skipped) == (2, 0, [])
    assert [line for line, _ in result.errors] == [3, 4, 5, 6, 7, 8]
    reasons = dict(result.errors)
    assert reasons[3] == "email: Give an email or a phone number."
    assert reasons[4] == "last/name: Give a name or an organisation."
    assert reasons[5] == "email: Not a valid email address."
    assert reasons[6] == "consent 'maybe' is not yes or no"
    assert reasons[7] == "owner: there is no active user 'ghost@example.com'"
    assert reasons[8].startswith("source: Must be one of")
    sara, acme = _leads(db_session)
    assert (sara.given_name, sara.family_name, sara.email, sara.source, sara.consent) == (
        "Sara", "Ahmadi", "sara@example.com", "import", True)
    assert (sara.campaign, sara.utm, sara.utm_source, sara.message) == ("spring", {"source": "news"}, "news",
                                                                        "met at the fair")
    assert (acme.organization_name, acme.phone, acme.consent) == ("Acme Co", "+982112345678", False)


def test_persian_headers_digits_and_yes_no_words_are_read(in_app, db_session, make_user):
    owner = make_user(email="rep@example.com")
    text = ("نام کوچک,نام خانوادگی,شرکت,ایمیل,تلفن همراه,کمپین,یادداشت,مسئول,رضایت\n"
            "علي,رضايي,شرکت نمونه,ALI@Example.com,۰۹۱۲ ۳۴۵ ۶۷۸۹,بهار,تماس بگیرید,REP@example.com,بله\n")
    result = _import(text)
    db_session.commit()
    assert (result.created, result.errors) == (1, [])
    lead = _leads(db_session)[0]
    assert (lead.given_name, lead.family_name, lead.organization_name) == ("علی", "رضایی", "شرکت نمونه")
    assert (lead.email, lead.phone, lead.campaign, lead.message) == ("ali@example.com", "+989123456789", "بهار",
                                                                     "تماس بگیرید")
    assert (lead.owner_id, lead.consent) == (owner.id, True)


def test_a_cp1256_file_with_semicolons_is_read(in_app, db_session, tmp_path):
    path = tmp_path / "leads.csv"
    text = "نام;ایمیل;رضایت\nمریم کریمی;maryam@example.com;خیر\n".replace("ی", "ي").replace("ک", "ك")
    path.write_bytes(text.encode("cp1256"))  # Windows-1256 has only the Arabic forms of ی and ک
    result = import_leads(path)
    db_session.commit()
    assert (result.created, result.errors) == (1, [])
    lead = _leads(db_session)[0]
    assert (lead.given_name, lead.family_name, lead.consent) == ("مریم", "کریمی", False)  # Persian letters


def test_utf16_and_a_bom_are_read(in_app, db_session):
    utf16 = "name\temail\nReza A\treza@example.com\n".encode("utf-16")
    bom = "\ufeffname,phone\nNima B,09121112233\n".encode()
    assert import_leads(io.BytesIO(utf16)).created == 1
    assert import_leads(io.BytesIO(bom)).created == 1
    db_session.commit()
    assert [lead.email or lead.phone for lead in _leads(db_session)] == ["reza@example.com", "+989121112233"]


def test_a_file_without_a_contact_column_is_refused_whole(in_app):
    with pytest.raises(CsvFileError, match="The file has no email or phone column."):
        _import("name,company\nSara,Acme\n")
    with pytest.raises(CsvFileError, match="Unknown columns: 'shoe size'"):
        _import("name,email,shoe size\nSara,s@example.com,42\n")


def test_duplicates_in_the_file_and_in_the_database_are_skipped_and_reported(in_app, db_session):
    db_session.add_all([Lead(given_name="Old", email="old@example.com", source="api"),
                        Lead(given_name="Won", email="won@example.com", source="api", status="converted")])
    db_session.commit()
    result = _import("name,email,phone\n"
                     "A One,a@example.com,09120000001\n"    # 2 new
                     "A Two,A@example.com,\n"               # 3 same email as line 2
                     "B One,b@example.com,09120000001\n"    # 4 same phone as line 2
                     "Old Again,old@example.com,\n"         # 5 an open lead has it
                     "Won Again,won@example.com,\n",        # 6 the lead with it is converted: not open
                     batch_size=2)
    db_session.commit()
    assert (result.created, result.updated) == (2, 0)
    old_id = _leads(db_session)[0].id
    assert result.skipped == [(3, "duplicate: the same email as line 2"), (4, "duplicate: the same phone as line 2"),
                              (5, f"duplicate: the same email as open lead #{old_id}")]
    assert [lead.email for lead in _leads(db_session)] == ["old@example.com", "won@example.com", "a@example.com",
                                                           "won@example.com"]


def test_duplicates_update_the_existing_lead_when_asked(in_app, db_session):
    db_session.add(Lead(given_name="Old", family_name="Name", email="old@example.com", source="api",
                        status="contacted", utm={"medium": "email"}, utm_medium="email"))
    db_session.commit()
    result = _import("name,email,phone,utm_source,campaign\n"
                     "New Name,old@example.com,09121234567,news,\n"  # 2 updates the database lead
                     "C One,c@example.com,,,\n"                      # 3 new
                     "C Two,c@example.com,,,autumn\n"                # 4 updates line 3 (same batch)
                     "D One,d@example.com,,,\n"                      # 5 new
                     "D Two,d@example.com,,,winter\n",               # 6 updates line 5 (written batch)
                     on_duplicate="update", batch_size=5)
    db_session.commit()
    assert (result.created, result.updated, result.skipped, result.errors) == (2, 3, [], [])
    old, c, d = _leads(db_session)
    assert (old.given_name, old.family_name, old.phone, old.status, old.source) == (
        "New", "Name", "+989121234567", "contacted", "api")
    assert (old.utm, old.utm_source) == ({"medium": "email", "source": "news"}, "news")
    assert (c.given_name, c.family_name, c.campaign) == ("C", "Two", "autumn")
    assert (d.given_name, d.family_name, d.campaign) == ("D", "Two", "winter")


def test_a_dry_run_writes_nothing_but_counts_what_it_would_do(in_app, db_session):
    db_session.add(Lead(given_name="Old", email="old@example.com", source="api"))
    db_session.commit()
    result = _import("name,email\nOld Again,old@example.com\nNew One,new@example.com\nNew Two,new@example.com\n"
                     "Bad,\n", dry_run=True, on_duplicate="update", batch_size=1)
    db_session.rollback()
    assert (result.created, result.updated, len(result.errors), result.dry_run) == (1, 2, 1, True)
    assert [lead.given_name for lead in _leads(db_session)] == ["Old"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0


@pytest.fixture
def refuse_boom(db_session):
    """A database trigger refusing leads with the email boom@example.com (a real failure mid-import)."""
    dialect = db_session.get_bind().dialect.name
    if dialect == "sqlite":
        db_session.execute(sa.text("CREATE TRIGGER refuse_boom BEFORE INSERT ON sales_lead "
                                   "WHEN NEW.email = 'boom@example.com' BEGIN SELECT RAISE(ABORT, 'boom'); END"))
    else:
        db_session.execute(sa.text("CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
                                   "IF NEW.email = 'boom@example.com' THEN RAISE EXCEPTION 'boom'; END IF; "
                                   "RETURN NEW; END $$ LANGUAGE plpgsql"))
        db_session.execute(sa.text("CREATE TRIGGER refuse_boom BEFORE INSERT ON sales_lead "
                                   "FOR EACH ROW EXECUTE FUNCTION refuse_boom()"))
    db_session.commit()
    yield
    db_session.rollback()
    db_session.execute(sa.text("DROP TRIGGER refuse_boom" + ("" if dialect == "sqlite" else " ON sales_lead")))
    if dialect != "sqlite":
        db_session.execute(sa.text("DROP FUNCTION refuse_boom()"))
    db_session.commit()


def test_a_batch_the_database_refuses_leaves_nothing_and_the_other_batches_are_kept(in_app, db_session, refuse_boom):
    db_session.add(Lead(given_name="Old", email="old@example.com", source="api"))
    db_session.commit()
    result = _import("name,email\n"
                     "A A,a@example.com\nB B,b@example.com\nC C,c@example.com\n"                 # batch 1: kept
                     "Old Again,old@example.com\nBoom X,boom@example.com\nE E,e@example.com\n"  # batch 2: refused
                     "D D,d@example.com\n",                                                     # batch 3: kept
                     on_duplicate="update", batch_size=3)
    db_session.commit()
    emails = [lead.email for lead in _leads(db_session)]
    assert emails == ["old@example.com", "a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    assert _leads(db_session)[0].given_name == "Old"  # the update in the refused batch was rolled back
    assert [line for line, _ in result.errors] == [5, 6, 7]
    assert all("not saved: the database refused the batch of lines 5–7" in reason for _, reason in result.errors)
    assert (result.created, result.updated) == (4, 0)


def test_the_import_scores_its_leads_writes_one_audit_entry_and_nothing_on_the_timeline(in_app, db_session):
    db_session.add(ScoringRule(name="From the fair", field="campaign", operator="eq", value="fair", points=15))
    db_session.commit()
    result = _import("name,email,campaign\n" + "".join(f"P {n},p{n}@example.com,fair\n" for n in range(30)),
                     name="fair.csv")
    db_session.commit()
    assert result.scored == 30
    assert {lead.score for lead in _leads(db_session)} == {15}
    entries = list(db_session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "sales_lead")))
    assert len(entries) == 1
    assert entries[0].action == "import"
    assert db_session.scalar(sa.text("SELECT count(*) FROM core_interaction")) == 0


def test_rows_are_inserted_in_batches_not_one_query_per_row(in_app, db_session, count_queries, payvand_database):
    text = "name,email\n" + "".join(f"Q {n},q{n}@example.com\n" for n in range(250))
    with count_queries() as queries:
        result = _import(text, batch_size=100)
    assert result.created == 250
    inserts = [q for q in queries if q.lstrip().upper().startswith("INSERT INTO SALES_LEAD ")]
    if payvand_database == "postgresql":  # ids reserved per batch, rows through COPY (no statement event sees it)
        assert inserts == []
        assert len([q for q in queries if "nextval" in q]) == 3
        assert len(set(db_session.scalars(sa.select(Lead.id)))) == 250
    else:
        assert len(inserts) == 3  # one multi-row INSERT per batch
    assert len(queries) < 40


def test_a_batch_larger_than_one_statement_allows_is_split_and_every_lead_kept(in_app, db_session):
    rows = 1600  # over SQLite's 32,766 parameters for one multi-row INSERT of 22 columns
    text = "name,email,phone,utm_source,consent\n" + "".join(
        f"W {n},w{n}@example.com,0912{n:07d},{'news' if n % 2 else ''},{'yes' if n % 3 else 'no'}\n" for n in range(rows))
    result = _import(text, batch_size=2000)
    db_session.commit()
    assert (result.created, result.errors, result.skipped) == (rows, [], [])
    leads = _leads(db_session)
    assert [(lead.given_name, lead.family_name, lead.email, lead.phone) for lead in leads] == [
        ("W", str(n), f"w{n}@example.com", f"+98912{n:07d}") for n in range(rows)]
    assert [(lead.utm, lead.utm_source, lead.consent) for lead in leads[:3]] == [
        ({}, None, False), ({"source": "news"}, "news", True), ({}, None, True)]


# --------------------------------------------------------------------------- the command


def test_the_command_prints_a_summary_and_writes_the_rejects_next_to_the_file(sales_installed, payvand_database_url,  # noqa: F811
                                                                               db_session, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,email\nSara A,sara@example.com\nBad,\nSara B,sara@example.com\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sales", "import-leads", str(path),
                                      "--source", "web_form"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["line 3: email: Give an email or a phone number.",
                         "line 4: duplicate: the same email as line 2"]
    assert lines[2].startswith("Imported 1 leads (1 created, 0 updated); 1 duplicates skipped; 1 rows rejected")
    rejects = tmp_path / "leads.rejects.csv"
    assert rejects.read_text(encoding="utf-8-sig").splitlines() == [
        "line,reason,reason_code", "3,email: Give an email or a phone number.,missing_contact",
        "4,duplicate: the same email as line 2,duplicate_email"]
    assert [lead.source for lead in _leads(db_session)] == ["web_form"]


def test_the_command_dry_run_and_update_options(sales_installed, payvand_database_url, db_session, tmp_path):  # noqa: F811
    path = tmp_path / "leads.csv"
    path.write_text("name,email\nSara A,sara@example.com\nSara B,sara@example.com\n", encoding="utf-8")
    base = ["--database-url", payvand_database_url, "sales", "import-leads", str(path)]
    dry = CliRunner().invoke(cli, [*base, "--dry-run", "--on-duplicate", "update", "--rejects", str(tmp_path / "r.csv")])
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("Dry run, nothing written: would import 2 leads (1 created, 1 updated)")
    assert _leads(db_session) == [] and not (tmp_path / "r.csv").exists()
    done = CliRunner().invoke(cli, [*base, "--on-duplicate", "update"])
    assert done.stdout.startswith("Imported 2 leads (1 created, 1 updated)")
    assert [(lead.given_name, lead.family_name) for lead in _leads(db_session)] == [("Sara", "B")]
    bad = CliRunner().invoke(cli, [*base, "--on-duplicate", "merge"])
    assert bad.exit_code == 2


# --------------------------------------------------------------------------- the page


def _upload(web, text: str | bytes, name: str = "leads.csv", **fields):
    data = text.encode() if isinstance(text, str) else text
    return web.post("/sales/leads/import", {"file": (io.BytesIO(data), name), "on_duplicate": "skip", **fields},
                    content_type="multipart/form-data")


def test_the_page_imports_and_shows_the_rejected_rows_with_a_csv(web, db_session):
    listing = web.get("/sales/leads").get_data(as_text=True)
    assert 'id="lead-import"' in listing
    form = web.get("/sales/leads/import")
    assert form.status_code == 200 and 'id="lead-import-form"' in form.get_data(as_text=True)
    done = _upload(web, "name,email\nSara A,sara@example.com\nBad,\n")
    assert done.status_code == 302 and done.headers["Location"].endswith("/sales/leads/import/result")
    page = web.get("/sales/leads/import/result").get_data(as_text=True)
    assert 'id="lead-import-rejects"' in page and "Give an email or a phone number." in page
    rejects = web.get("/sales/leads/import/rejects.csv")
    assert rejects.headers["Content-Type"].startswith("text/csv")
    assert rejects.get_data(as_text=True).lstrip("\ufeff").splitlines() == [
        "line,reason,reason_code", "3,Email: Give an email or a phone number.,missing_contact"]
    lead = _leads(db_session)[0]
    assert (lead.email, lead.owner_id, lead.source) == ("sara@example.com", web.user.id, "import")


def test_the_page_dry_run_saves_nothing(web, db_session):
    assert _upload(web, "name,email\nSara A,sara@example.com\n", dry_run="1").status_code == 302
    assert 'id="lead-import-dry-run"' in web.get("/sales/leads/import/result").get_data(as_text=True)
    assert _leads(db_session) == []


def test_the_page_refuses_other_files_with_a_field_error(web, app):
    wrong_type = _upload(web, "name,email\n", name="leads.xlsx")
    assert wrong_type.status_code == 422 and "Only CSV files" in wrong_type.get_data(as_text=True)
    binary = _upload(web, b"PK\x03\x04\x00\x00binary")
    assert binary.status_code == 422 and "not a text (CSV) file" in binary.get_data(as_text=True)
    no_column = _upload(web, "name,company\nSara,Acme\n")
    assert no_column.status_code == 422 and "no email or phone column" in no_column.get_data(as_text=True)
    app.config["PAYVAND_LEAD_IMPORT_MAX_MB"] = 0.001
    too_large = _upload(web, "name,email\n" + "Sara A,sara@example.com\n" * 100)
    assert too_large.status_code == 422 and "larger than" in too_large.get_data(as_text=True)


def test_the_page_needs_the_lead_edit_permission_and_a_csrf_token(web_as, client):
    viewer = web_as([perm.LEAD_VIEW])
    assert viewer.get("/sales/leads/import").status_code == 403
    assert _upload(viewer, "name,email\nSara A,s@example.com\n").status_code == 403
    assert 'id="lead-import"' not in viewer.get("/sales/leads").get_data(as_text=True)
    assert client.get("/sales/leads/import").headers["Location"].startswith("/login")
    editor = web_as([perm.LEAD_VIEW, perm.LEAD_EDIT])
    refused = editor.post("/sales/leads/import", {"file": (io.BytesIO(b"name,email\n"), "x.csv")}, csrf=False,
                          content_type="multipart/form-data")
    assert refused.status_code == 400


def test_a_rep_may_import_leads_only_for_themselves(web_as, make_user, db_session):
    make_user(email="other@example.com")
    rep = web_as([perm.LEAD_VIEW, perm.LEAD_EDIT])
    _upload(rep, f"name,email,owner\nMine A,m@example.com,{rep.user.email}\nTheirs B,t@example.com,other@example.com\n")
    page = rep.get("/sales/leads/import/result").get_data(as_text=True)
    assert "Owner: you can assign leads only to yourself." in page
    assert [(lead.email, lead.owner_id) for lead in _leads(db_session)] == [("m@example.com", rep.user.id)]


# --------------------------------------------------------------------------- the same rules as the API


def test_the_quick_path_knows_every_field_of_the_api_schema():
    """A field added to or retyped in `LeadIn` must be taught to `quick_load` (it turns itself off meanwhile)."""
    assert lead_import._quick_rules() is not None
    assert lead_import._LIMITS == {"given_name": 120, "family_name": 120, "organization_name": 200, "email": 254,
                                   "phone": 40, "message": 5000, "campaign": 120, "referrer": 500, "utm": 120}


_CHARS = st.sampled_from(list("aZz09.@+-_() \t\n") + ["۰", "۹", "٣", "س", "ا", "ي", "\u200c", "İ", "ß", "é", "\u00a0"])
_TEXT = st.one_of(st.text(_CHARS, max_size=12),
                  st.builds(lambda char, n: char * n, _CHARS, st.integers(110, 260)),
                  st.builds(lambda head, n: head + "a" * n, st.text(_CHARS, max_size=3), st.sampled_from(
                      [119, 120, 121, 199, 200, 201, 253, 254, 255, 499, 500, 501, 4999, 5000, 5001])))
_EMAILS = st.one_of(_TEXT, st.emails(), st.builds("{}@{}".format, st.text(_CHARS, max_size=8), st.sampled_from(
    ["example.com", "EXAMPLE.ir", "x", "localhost", "ex ample.com", "exa..mple.com", "مثال.ایران", "[1.2.3.4]"])),
    st.builds(lambda e: e.upper(), st.emails()))
_PHONES = st.one_of(_TEXT, st.builds("{}{}{}".format, st.sampled_from(["", "+", "+98", "0098", "0", "00", "+۹۸", "۰۰۹۸"]),
                                     st.sampled_from(["", " ", "-", "(", ") "]),
                                     st.text(st.sampled_from(list("0123456789۰۱۲۳۴۵۶۷۸۹ -")), max_size=44)))
_OPTIONAL = {
    "given_name": _TEXT, "family_name": _TEXT, "organization_name": _TEXT, "email": _EMAILS, "phone": _PHONES,
    "message": _TEXT, "source": st.sampled_from([*SOURCES, "fair", "Import", ""]), "campaign": _TEXT,
    "referrer": _TEXT, "utm": st.dictionaries(st.sampled_from([*UTM_KEYS, "bogus"]), _TEXT, max_size=3),
    "consent": st.booleans(), "owner_id": st.one_of(st.integers(-1, 2**63), st.none()),
}
_SHORT = st.text(_CHARS, min_size=1, max_size=12)
#: Rows that mostly pass (a name and a usable email or phone), so the values loaded get compared too.
_GOOD = st.fixed_dictionaries(
    {"given_name": st.one_of(st.sampled_from(["Sara", "  Sara   Ahmadi ", "علی", "x\ny"]), _SHORT),
     "email": st.one_of(st.emails(), st.sampled_from(["Sara@Example.COM", " a۱۲@b.ir ", "\tx@localhost"]))},
    optional={**{name: st.one_of(_SHORT, strategy) for name, strategy in _OPTIONAL.items()
                 if name not in ("given_name", "email", "source", "utm", "consent", "owner_id")},
              "source": st.sampled_from(SOURCES), "consent": st.booleans(), "owner_id": st.integers(1, 10**6),
              "phone": st.sampled_from(["+98 912 345 6789", "0098 (912) 345-6789", "۰۹۱۲۳۴۵۶۷۸۹", "abc", "12"]),
              "utm": st.dictionaries(st.sampled_from(UTM_KEYS), st.one_of(_SHORT, _TEXT), max_size=5)})
_DATA = st.one_of(st.fixed_dictionaries({}, optional=_OPTIONAL), _GOOD)


@settings(max_examples=600, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=_DATA)
def test_the_quick_path_accepts_only_what_lead_in_accepts_and_loads_the_same_values(data: dict[str, Any]):
    """`quick_load` either defers (None: the import then asks `LeadIn` itself) or returns exactly `LeadIn().load`."""
    try:
        expected = LeadIn().load(data)
    except ValidationError:
        expected = None
    got = quick_load(data)
    if expected is None:
        assert got is None
    elif got is not None:
        assert got == expected
    event("LeadIn accepts" if expected is not None else "LeadIn refuses")


#: (cells, why it is tricky); columns as in TRICKY_COLUMNS, every row with its own email and phone.
TRICKY_COLUMNS = ("first", "last", "company", "email", "phone", "campaign", "utm_source", "notes", "consent", "owner")
TRICKY_ROWS: list[tuple[tuple[str, ...], str]] = [
    (("Sara", "Ahmadi", "", "SARA@Example.COM", "", "", "", "", "yes", ""), "mixed-case email"),
    (("مریم", "کریمی", "", "", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "", "", "", "", ""), "Persian digits in a phone"),
    (("Reza", "", "", "", "+98 912 111 2233", "", "", "", "", ""), "+98 form"),
    (("Nima", "", "", "", "0098 912 222 3344", "", "", "", "", ""), "0098 form"),
    (("Lena", "", "", "", "(0912) 333-4455", "", "", "", "", ""), "09 form with brackets and dash"),
    (("", "", "Acme", "acme@example.com", "not a phone", "", "", "", "no", ""), "a phone without digits"),
    (("Short", "Phone", "", "", "0912", "", "", "", "", ""), "too few digits"),
    (("Long", "Phone", "", "", "0" * 25, "", "", "", "", ""), "too many digits"),
    (("Longer", "Phone", "", "", "0" * 41, "", "", "", "", ""), "a phone over the length limit"),
    (("Bad", "Mail", "", "not-an-email", "", "", "", "", "", ""), "no @"),
    (("Bad", "Domain", "", "bad@domain", "", "", "", "", "", ""), "no dot in the domain"),
    (("Dots", "", "", "a..b@example.com", "", "", "", "", "", ""), "two dots"),
    (("Persian", "Digits", "", "user۱۲@example.com", "", "", "", "", "", ""), "Persian digits in an email"),
    (("Dotted", "I", "", "İNFO@EXAMPLE.COM", "", "", "", "", "", ""), "lower-casing grows the address"),
    (("Local", "", "", "someone@localhost", "", "", "", "", "", ""), "a whitelisted domain"),
    (("Far", "", "", "x" * 250 + "@e.co", "", "", "", "", "", ""), "an email over the length limit"),
    (("", "", "", "noname@example.com", "", "", "", "", "", ""), "missing name"),
    (("No", "Contact", "", "", "", "", "", "", "", ""), "missing email and phone"),
    (("", "", "", "", "", "spring", "", "just a note", "", ""), "missing name and email"),
    (("N" * 121, "", "", "n121@example.com", "", "", "", "", "", ""), "a given name over the limit"),
    (("N" * 120, "F" * 120, "C" * 200, "n120@example.com", "", "", "", "", "", ""), "every name at its limit"),
    (("", "", "C" * 201, "c201@example.com", "", "", "", "", "", ""), "a company over the limit"),
    (("Camp", "", "", "camp@example.com", "", "c" * 121, "", "", "", ""), "a campaign over the limit"),
    (("Spaces", "", "", "spaces@example.com", "", "spring   sale", "", "", "", ""), "spaces folded in a campaign"),
    (("Utm", "", "", "utm@example.com", "", "", "u" * 121, "", "", ""), "a UTM value over the limit"),
    (("Utm", "Ok", "", "utm2@example.com", "", "", "newsletter", "", "", ""), "a UTM source"),
    (("Notes", "", "", "notes@example.com", "", "", "", "n" * 5001, "", ""), "notes over the limit"),
    (("Lines", "", "", "lines@example.com", "", "", "", "line one\nline two", "", ""), "notes over two lines"),
    (("علي", "رضايي", "شرکت   نمونه", "ali@example.com", "", "بهار", "", "", "بله", ""), "Persian, spaces folded"),
    (("Owner", "", "", "owner@example.com", "", "", "", "", "", "ghost@example.com"), "unknown owner"),
]


def _tricky_csv(rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TRICKY_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def _api_body(cells: dict[str, str]) -> dict[str, Any]:
    """What a client would post for the row's cells (the cells the import keeps, as `LeadIn` names them)."""
    names = {"first": "given_name", "last": "family_name", "company": "organization_name", "email": "email",
             "phone": "phone", "campaign": "campaign", "notes": "message"}
    body: dict[str, Any] = {names[k]: v for k, v in cells.items() if k in names}
    if cells.get("utm_source"):
        body["utm"] = {"source": cells["utm_source"]}
    if cells.get("consent"):
        body["consent"] = cells["consent"] in ("yes", "بله")
    if cells.get("owner"):
        body["owner_id"] = 10**12  # no such user
    body["source"] = "import"
    return body


#: The columns a row's cells decide (not the owner, which the API defaults to the caller, nor times and scores).
STORED = ("status", "given_name", "family_name", "organization_name", "email", "phone", "message", "source",
          "campaign", "referrer", "utm", "utm_source", "utm_medium", "utm_campaign", "consent", "customer_id")


def test_the_import_accepts_refuses_and_stores_what_the_api_would(in_app, app, db_session, api):
    imported = _import(_tricky_csv([cells for cells, _ in TRICKY_ROWS]))
    db_session.commit()
    by_email_or_phone = {lead.email or lead.phone: {key: getattr(lead, key) for key in STORED}
                         for lead in _leads(db_session)}
    reasons = dict(imported.errors)
    assert imported.skipped == []
    db_session.execute(sa.delete(Lead))
    db_session.commit()
    quick = 0
    records = list(lead_import.CsvRows(io.StringIO(_tricky_csv([cells for cells, _ in TRICKY_ROWS])),
                                       lead_import.LEAD_COLUMNS).records())
    assert len(records) == len(TRICKY_ROWS)
    for record, (_, why) in zip(records, TRICKY_ROWS, strict=False):
        line, cells = record.line, record.cells  # as the import reads them (stripped, Arabic letters as Persian)
        response = api.post("/api/v1/sales/leads", json=_api_body(cells))
        if response.status_code == 201:
            assert line not in reasons, (why, reasons.get(line))
            db_session.expire_all()
            posted = db_session.get(Lead, response.get_json()["id"])
            assert by_email_or_phone[posted.email or posted.phone] == {key: getattr(posted, key) for key in STORED}, why
            body = _api_body(cells)
            quick += quick_load(body) == LeadIn().load(body)  # the import took the quick path
        else:
            assert response.status_code == 422, why
            assert line in reasons, why
            fields = response.get_json()["error"]["fields"]
            if "owner_id" in fields:  # the file names owners by email; the API by id
                assert reasons[line] == f"owner: there is no active user {cells['owner']!r}", why
            else:
                assert reasons[line] == lead_import._reason(fields), why
    assert quick == imported.created == len(by_email_or_phone) == len(TRICKY_ROWS) - len(reasons)
    assert 0 < len(reasons) < len(TRICKY_ROWS)


def test_the_persian_result_page_gives_the_reasons_in_persian(web, db_session):
    web.post("/account/locale", {"locale": "fa"})
    _upload(web, "name,email\nSara A,sara@example.com\nBad,not-an-email\nSara B,sara@example.com\n")
    page = web.get("/sales/leads/import/result").get_data(as_text=True)
    assert "email: Not a valid email address." not in page
    assert "تکراری: همان ایمیل سطر ۲." in page
    rejects = list(csv.reader(io.StringIO(web.get("/sales/leads/import/rejects.csv").get_data(as_text=True))))
    assert rejects[0] == ["\ufeffline", "reason", "reason_code"]  # the column names stay, for programs
    assert rejects[1:] == [["3", "ایمیل: نشانی ایمیل معتبر نیست.", "invalid_email"],
                           ["4", "تکراری: همان ایمیل سطر ۲.", "duplicate_email"]]  # reasons in the reader's language


def test_the_page_refuses_a_web_page_named_csv(web):
    page = _upload(web, "<html><body><script>alert(1)</script></body></html>\n")
    assert page.status_code == 422 and "web page or script code" in page.get_data(as_text=True)


def test_new_leads_no_rule_scores_are_not_rewritten_yet_count_as_scored(in_app, db_session, count_queries):
    db_session.add(ScoringRule(name="From the fair", field="campaign", operator="eq", value="fair", points=15))
    db_session.commit()
    result = _import("name,email,campaign\nFair One,f1@example.com,fair\nOther One,o1@example.com,web\n")
    db_session.commit()
    leads = {lead.email: lead for lead in _leads(db_session)}
    assert result.scored == 2
    assert (leads["f1@example.com"].score, leads["o1@example.com"].score) == (15, 0)
    assert leads["f1@example.com"].score_details == [["From the fair", 15]]
    assert leads["o1@example.com"].score_details == []
    assert all(lead.scored_at is not None for lead in leads.values())  # written scored at the import's time


def test_a_file_read_in_a_child_process_imports_as_one_read_here(in_app, db_session, monkeypatch):
    """`read_in_child`: the rows parsed in a forked process give the same leads, duplicates and reasons."""
    from payvand.core.importing import pipeline

    forked = []
    real = pipeline.forked_chunks
    monkeypatch.setattr(pipeline, "forked_chunks", lambda chunks: forked.append(1) or real(chunks))
    text = ("name,company,email,phone,source,campaign,utm_source,notes,consent\n"
            + "".join(f"Lead {i},,lead{i}@example.com,0912{i:07d},,spring,news,,yes\n" for i in range(1, 8))
            + "Nobody,,,,,,,,\n"                       # no contact
            + "Again,,lead2@example.com,,,,,,\n"       # a duplicate of line 3, in a later batch
            + "Bad Consent,,bc@example.com,,,,,,maybe\n")
    outcomes = []
    for switch in ("0", "1"):
        monkeypatch.setenv("PAYVAND_IMPORT_READER_PROCESS", switch)
        result = _import(text, batch_size=3)
        leads = [(lead.given_name, lead.email, lead.phone, lead.campaign, lead.consent) for lead in _leads(db_session)]
        outcomes.append((result.created, result.skipped, result.errors, leads))
        db_session.rollback()
    assert forked == [1]
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 7 and [line for line, _ in outcomes[0][1]] == [10]
    assert [line for line, _ in outcomes[0][2]] == [9, 11]


def test_notes_with_tabs_backslashes_and_line_ends_arrive_as_written(in_app, db_session, monkeypatch):
    """The new leads' COPY text (PostgreSQL; built where the row is read) escapes what COPY reads
    specially; a row changed by a later duplicate line is written again from its values."""
    notes = ["tab\there", "back\\slash \\N \\.", "two\nlines", "plain"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "email", "notes", "campaign"])
    writer.writerows([f"N {n}", f"n{n}@example.com", note, ""] for n, note in enumerate(notes))
    writer.writerow(["N Again", "n3@example.com", "", "autumn\\x"])  # updates line 5 before it is written
    for switch in ("0", "1"):
        monkeypatch.setenv("PAYVAND_IMPORT_READER_PROCESS", switch)
        result = _import(out.getvalue(), on_duplicate="update")
        assert (result.created, result.updated, result.errors) == (4, 1, [])
        leads = _leads(db_session)
        assert [lead.message for lead in leads] == notes
        assert [(lead.given_name, lead.family_name, lead.campaign) for lead in leads][-1] == ("N", "Again", "autumn\\x")
        db_session.rollback()


def test_new_leads_are_not_rescored_when_no_rule_or_plugin_gives_points(in_app, db_session, count_queries):
    with count_queries() as queries:
        result = _import("name,email\n" + "".join(f"S {n},s{n}@example.com\n" for n in range(20)))
    assert (result.created, result.scored) == (20, 20)
    assert [q for q in queries if q.lstrip().upper().startswith("UPDATE SALES_LEAD")] == []
    assert {(lead.score, str(lead.score_details)) for lead in _leads(db_session)} == {(0, "[]")}


def test_duplicates_are_found_whatever_characters_the_emails_hold(in_app, db_session):
    """The batch's emails reach the lookup whole: also one holding the character the PostgreSQL
    lookup joins them with (a quoted email may), and ones with commas, quotes and braces."""
    odd = ['"a\x1fb"@example.com', '"x,y"@example.com', '"{q}"@example.com']
    db_session.add_all([Lead(given_name="Old", email=email, source="api") for email in odd])
    db_session.commit()
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["name", "email"], *[["Again", email] for email in odd],
                                                    ["New", "new@example.com"]])
    result = _import(out.getvalue())
    assert result.errors == []
    assert [line for line, _ in result.skipped] == [2, 3, 4] and result.created == 1
