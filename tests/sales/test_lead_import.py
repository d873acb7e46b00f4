"""Lead import from CSV: the service, `payvand sales import-leads` and the staff page `/sales/leads/import`."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from payvand.core.cli import cli
from payvand.core.models import AuditLog
from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Lead, ScoringRule
from payvand.plugins.sales.services.csv_rows import CsvFileError
from payvand.plugins.sales.services.lead_import import import_leads

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
    assert (lead.email, lead.phone, lead.campaign, lead.message) == ("ali@example.com", "09123456789", "بهار",
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
    assert [lead.email or lead.phone for lead in _leads(db_session)] == ["reza@example.com", "09121112233"]


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
        "New", "Name", "09121234567", "contacted", "api")
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


def test_rows_are_inserted_in_batches_not_one_query_per_row(in_app, db_session, count_queries):
    text = "name,email\n" + "".join(f"Q {n},q{n}@example.com\n" for n in range(250))
    with count_queries() as queries:
        result = _import(text, batch_size=100)
    assert result.created == 250
    inserts = [q for q in queries if q.lstrip().upper().startswith("INSERT INTO SALES_LEAD ")]
    assert len(inserts) == 3  # one multi-row INSERT per batch
    assert len(queries) < 40


# --------------------------------------------------------------------------- the command


def test_the_command_prints_a_summary_and_writes_the_rejects_next_to_the_file(sales_installed, payvand_database_url,
                                                                               db_session, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,email\nSara A,sara@example.com\nBad,\nSara B,sara@example.com\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sales", "import-leads", str(path),
                                      "--source", "web_form"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["line 3: email: Give an email or a phone number.",
                         "line 4: duplicate: the same email as line 2"]
    assert lines[2].startswith("Imported 1 leads (1 created, 0 updated); 1 duplicates skipped; 1 rows rejected")
    rejects = tmp_path / "leads.rejects.csv"
    assert rejects.read_text(encoding="utf-8-sig").splitlines() == [
        "line,reason", "3,email: Give an email or a phone number.", "4,duplicate: the same email as line 2"]
    assert [lead.source for lead in _leads(db_session)] == ["web_form"]


def test_the_command_dry_run_and_update_options(sales_installed, payvand_database_url, db_session, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,email\nSara A,sara@example.com\nSara B,sara@example.com\n", encoding="utf-8")
    base = ["--database-url", payvand_database_url, "sales", "import-leads", str(path)]
    dry = CliRunner().invoke(cli, [*base, "--dry-run", "--on-duplicate", "update", "--rejects", str(tmp_path / "r.csv")])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("Dry run, nothing written: would import 2 leads (1 created, 1 updated)")
    assert _leads(db_session) == [] and not (tmp_path / "r.csv").exists()
    done = CliRunner().invoke(cli, [*base, "--on-duplicate", "update"])
    assert done.output.startswith("Imported 2 leads (1 created, 1 updated)")
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
        "line,reason", "3,email: Give an email or a phone number."]
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
    assert "owner: you can assign leads only to yourself" in page
    assert [(lead.email, lead.owner_id) for lead in _leads(db_session)] == [("m@example.com", rep.user.id)]
