"""`payvand import customers` and `payvand export customers` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.models import Customer


@pytest.fixture
def payvand(runtime: Any, tmp_path: Path) -> Any:
    """Run `payvand --database-url <the test database> ...`; returns the click Result."""
    url = runtime.config["PAYVAND_DATABASE_URL"]
    runner = CliRunner()

    def invoke(*args: str, input: bytes | str | None = None) -> Any:
        return runner.invoke(
            cli,
            ["--instance", str(tmp_path / "instance"), "--database-url", url, *args],
            input=input,
            catch_exceptions=False,
        )

    return invoke


def count(runtime: Any) -> int:
    """How many customers the database holds."""
    with runtime.sessionmaker() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Customer))


def test_import_prints_the_summary_and_the_rejected_lines(payvand, runtime, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "نام,ایمیل,موبایل\nعلی,ali@example.com,۰۹۱۲۱۱۱۱۱۱۱\nبد,bad,\n", encoding="utf-8"
    )
    result = payvand("import", "customers", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 rows: inserted 1, merged 0, skipped 0, rejected 1 in ")
    assert "line 3: invalid email 'bad'" in result.stderr
    assert count(runtime) == 1


def test_import_writes_the_rejects_file_and_honours_map_and_skip(
    payvand, runtime, make_customer, tmp_path
):
    make_customer(emails=["dup@example.com"])
    path = tmp_path / "c.csv"
    path.write_text(
        "Who;E-mail;Cell\nAli;dup@example.com;\nSara;sara@example.com;09121111111\nX;;123\n"
    )
    rejects = tmp_path / "rejects.csv"
    result = payvand(
        "import",
        "customers",
        str(path),
        "--map",
        "Who=given_name",
        "--map",
        "Cell=phone",
        "--on-duplicate",
        "skip",
        "--rejects",
        str(rejects),
    )
    assert result.exit_code == 0, result.output
    assert "inserted 1, merged 0, skipped 1, rejected 1" in result.stdout
    assert (
        rejects.read_text(encoding="utf-8-sig").splitlines()[1].startswith("4,invalid phone '123'")
    )
    assert count(runtime) == 2


def test_import_dry_run_writes_nothing(payvand, runtime, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name,email\nAli,a@example.com\n")
    result = payvand("import", "customers", str(path), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dry_run"] is True and report["inserted"] == 1
    assert count(runtime) == 0


def test_import_reads_standard_input(payvand, runtime):
    result = payvand("import", "customers", "-", input=b"name,email\nAli,a@example.com\n")
    assert result.exit_code == 0, result.output
    assert count(runtime) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "customers", "missing.csv"], "Error: no such file: missing.csv"),
        (["import", "customers", "{file}", "--map", "nonsense"], "use COLUMN=FIELD"),
        (["import", "customers", "{file}", "--map", "Nope=email"], "the file has no column 'Nope'"),
        (
            ["import", "customers", "{file}", "--on-duplicate", "replace"],
            "Invalid value for '--on-duplicate'",
        ),
        (["import", "customers", "{file}", "--encoding", "klingon"], "unknown encoding 'klingon'"),
        (["import", "customers", "{file}", "--region", "XX"], "unknown phone region 'XX'"),
    ],
)
def test_import_errors_are_one_clear_line_without_traceback(payvand, tmp_path, args, message):
    path = tmp_path / "c.csv"
    path.write_text("name,email\nAli,a@example.com\n")
    result = payvand(*[a.replace("{file}", str(path)) for a in args])
    assert result.exit_code != 0
    assert message in result.stderr and "Traceback" not in result.output


def test_import_into_an_uninitialised_database_says_so(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name,email\nAli,a@example.com\n")
    result = CliRunner().invoke(
        cli,
        [
            "--database-url",
            f"sqlite:///{tmp_path / 'empty.db'}",
            "--instance",
            str(tmp_path),
            "import",
            "customers",
            str(path),
        ],
    )
    assert result.exit_code == 1 and f"no database at {tmp_path / 'empty.db'}" in result.stderr
    assert not (tmp_path / "empty.db").exists()


def test_export_csv_file_is_utf8_with_bom_and_readable_persian(payvand, make_customer, tmp_path):
    make_customer(
        given_name="علی", family_name="رضایی", emails=["ali@example.com"], phones=["09121111111"]
    )
    out = tmp_path / "out.csv"
    result = payvand("export", "customers", "--output", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,kind,given_name")
    assert "علی,رضایی,,علی رضایی,ali@example.com,+989121111111" in data.decode("utf-8-sig")
    assert "Exported 1 customers" in result.stderr


def test_export_jsonl_to_standard_output(payvand, make_customer):
    make_customer(given_name="Sara", emails=["s@example.com"], tags=["vip"])
    result = payvand("export", "customers", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    data = json.loads(line)
    assert (data["given_name"], data["emails"], data["tags"]) == (
        "Sara",
        ["s@example.com"],
        ["vip"],
    )


def test_export_then_import_into_another_database_keeps_the_customers(
    payvand, runtime, make_customer, tmp_path
):
    make_customer(
        given_name="علی",
        family_name="رضایی",
        emails=["a@example.com"],
        phones=["09121111111"],
        tags=["vip"],
        birthday="1990-01-02",
    )
    out = tmp_path / "out.csv"
    assert payvand("export", "customers", "-o", str(out)).exit_code == 0
    target = tmp_path / "other.db"
    runner = CliRunner()
    base = ["--instance", str(tmp_path / "other"), "--database-url", f"sqlite:///{target}"]
    assert runner.invoke(cli, [*base, "db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, [*base, "import", "customers", str(out)])
    assert result.exit_code == 0 and "inserted 1" in result.stdout, result.output
    again = runner.invoke(cli, [*base, "export", "customers", "--format", "jsonl"])
    data = json.loads(again.stdout)
    assert (
        data["display_name"],
        data["emails"],
        data["phones"],
        data["tags"],
        data["birthday"],
    ) == ("علی رضایی", ["a@example.com"], ["+989121111111"], ["vip"], "1990-01-02")


@pytest.mark.parametrize(
    "command", [["import"], ["import", "customers"], ["export"], ["export", "customers"]]
)
def test_every_data_command_has_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output and len(result.output) > 100


def _xlsx_bytes() -> bytes:
    """A minimal Excel workbook as Excel writes it: a ZIP archive of XML parts."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as workbook:
        workbook.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        workbook.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        workbook.writestr(
            "xl/worksheets/sheet1.xml", "<worksheet><sheetData><row><c><v>نام</v></c></row></sheetData></worksheet>"
        )
    return buffer.getvalue()


def _junk_without_nul() -> bytes:
    import random

    generator = random.Random(9)
    return bytes(generator.choice(range(1, 256)) for _ in range(4000))


@pytest.mark.parametrize("content, kind", [
    (_xlsx_bytes(), "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "an old Excel (.xls) or Word document"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
    (b"name,email\nAli,a@example.com\x00\x00\x01\x02\n", "binary data (it contains NUL bytes)"),
    (_junk_without_nul(), "binary data (control characters, no text)"),
], ids=["xlsx", "xls", "pdf", "png", "nul", "junk"])
def test_a_binary_file_is_refused_with_a_clear_message_not_read_as_cp1256(payvand, runtime, tmp_path, content, kind):
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    for extra in ([], ["--encoding", "cp1256"]):
        result = payvand("import", "customers", str(path), *extra)
        assert result.exit_code == 1
        lines = [line for line in result.stderr.splitlines() if not line.startswith("Database: ")]
        assert lines == [f"Error: {path} is not a CSV text file but {kind}: save it as CSV (UTF-8) and import that file"]
        assert "column" not in result.output.lower()
    assert count(runtime) == 0


def test_utf16_and_cp1256_text_files_are_still_imported(payvand, runtime, tmp_path):
    (tmp_path / "u16.csv").write_bytes("نام,موبایل\nسارا,09121234567\n".encode("utf-16"))
    (tmp_path / "win.csv").write_bytes("نام,موبايل\nعلي,09121234568\n".encode("cp1256"))
    assert payvand("import", "customers", str(tmp_path / "u16.csv")).exit_code == 0
    assert payvand("import", "customers", str(tmp_path / "win.csv")).exit_code == 0
    assert count(runtime) == 2


def test_import_sets_referrers_and_prints_the_refused_ones(payvand, runtime, make_customer, tmp_path):
    old = make_customer(given_name="Old", phones=["09121111111"])
    path = tmp_path / "c.csv"
    path.write_text("name,email,referrer email,referrer phone\n"
                    "Ali,ali@example.com,sara@example.com,\n"
                    "Sara,sara@example.com,,09121111111\n"
                    "Reza,reza@example.com,reza@example.com,\n", encoding="utf-8")
    result = payvand("import", "customers", str(path))
    assert result.exit_code == 0, result.output
    assert "rejected 0; referrers set 2, refused 1 in " in result.stdout
    assert "line 4: imported without a referrer: the referrer is the customer itself" in result.stderr
    with runtime.sessionmaker() as session:
        rows = dict(session.execute(sa.select(Customer.given_name, Customer.referred_by_id)).all())
        ids = dict(session.execute(sa.select(Customer.given_name, Customer.id)).all())
    assert rows == {"Old": None, "Ali": ids["Sara"], "Sara": old.id, "Reza": None}
    again = payvand("import", "customers", str(path), "--json")
    report = json.loads(again.stdout)
    assert (report["merged"], report["referrers"], report["referrers_refused"]) == (3, 0, 1)
