"""The SQLite bulk path of the customer import (`payvand.core.importing.bulk_sqlite`)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from payvand.core.importer import CannotImport, ImportOptions, import_customers
from payvand.core.importing import bulk_sqlite

pytestmark = pytest.mark.sqlite_only

DEFERRED = {
    "ix_core_customer_lifecycle_stage_id",
    "ix_core_customer_merged_into_id",
    "ix_core_customer_owner_id_id",
    "ix_core_customer_referred_by_id",
    "ix_core_customer_search_name",
    "ix_core_customer_search_name_alt",
    "ix_core_customer_consent_channel_purpose_granted_customer_id",
    "ix_core_customer_tag_tag_customer_id",
}


def schema(runtime: Any) -> list[tuple[Any, ...]]:
    """Every object of the database as `sqlite_master` describes it (planner statistics aside)."""
    with runtime.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name"
        ).all()
    return [tuple(row) for row in rows]


def index_names(runtime: Any) -> set[str]:
    with runtime.engine.connect() as connection:
        return set(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
            ).scalars()
        )


def pending(runtime: Any) -> Any:
    with runtime.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT value FROM core_setting WHERE key = ?", (bulk_sqlite.SETTING_KEY,)
        ).scalar()


def people_file(path: Path, rows: int, *, start: int = 0, extra: str = "") -> Path:
    """A CSV of `rows` distinct people (each its own email and mobile), with a tag and a consent."""
    lines = ["given_name,family_name,email,phone,tags,lifecycle_stage,consent:email"]
    for i in range(start, start + rows):
        stage = "customer" if i % 3 else "lead"
        lines.append(f"Name{i},Family{i},user{i}@example.com,0912{i:07d},vip|t{i % 5},{stage},yes")
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def count(runtime: Any, sql: str) -> int:
    with runtime.engine.connect() as connection:
        return int(connection.exec_driver_sql(sql).scalar_one())


def test_bulk_import_drops_the_secondary_indexes_and_rebuilds_exactly_the_same_ones(runtime, tmp_path):
    before = schema(runtime)
    during: list[set[str]] = []
    flags: list[Any] = []

    def watch(_progress: Any) -> None:
        during.append(index_names(runtime))
        flags.append(pending(runtime))

    path = people_file(tmp_path / "people.csv", 300)
    report = import_customers(runtime, path, ImportOptions(bulk=True, batch_size=100), progress=watch)

    assert report.bulk and report.inserted == 300 and report.batches == 3
    assert all(not (DEFERRED & names) for names in during)  # dropped for the whole load
    assert all("ix_core_customer_email_email" in names for names in during)  # dedupe's are kept
    recorded = json.loads(flags[0])
    assert {i["name"] for i in recorded["indexes"]} == DEFERRED
    assert schema(runtime) == before  # the same names, tables and CREATE INDEX texts
    assert pending(runtime) is None
    assert count(runtime, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'core_customer'") > 0


def test_queries_use_the_rebuilt_indexes(runtime, tmp_path):
    import_customers(runtime, people_file(tmp_path / "people.csv", 200), ImportOptions(bulk=True))
    plans = {
        "ix_core_customer_search_name": "SELECT id FROM core_customer WHERE search_name >= 'name1' "
        "AND search_name < 'name2' ORDER BY search_name LIMIT 20",
        "ix_core_customer_tag_tag_customer_id": "SELECT customer_id FROM core_customer_tag "
        "WHERE tag = 'vip' ORDER BY customer_id LIMIT 20",
        "ix_core_customer_lifecycle_stage_id": "SELECT id FROM core_customer "
        "WHERE lifecycle_stage = 'lead' ORDER BY id LIMIT 20",
        "ix_core_customer_consent_channel_purpose_granted_customer_id": "SELECT customer_id "
        "FROM core_customer_consent WHERE channel = 'email' AND purpose = 'marketing' "
        "AND granted = 1 ORDER BY customer_id LIMIT 20",
        "ix_core_customer_email_email": "SELECT customer_id FROM core_customer_email "
        "WHERE email = 'user5@example.com'",
    }
    with runtime.engine.connect() as connection:
        for index, query in plans.items():
            plan = " ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}"))
            assert index in plan, (index, plan)


def test_bulk_import_still_reports_rejects_by_line_and_merges_duplicates(runtime, tmp_path):
    extra = (
        "Bad,Email,not-an-email,,,,\n"  # line 53
        "Again,Person,USER3@example.com,,newtag,,\n"  # line 54: the person of line 5
    )
    path = people_file(tmp_path / "people.csv", 51, extra=extra)
    rejects = tmp_path / "rejects.csv"
    report = import_customers(
        runtime, path, ImportOptions(bulk=True, batch_size=10, rejects=str(rejects))
    )
    assert report.bulk
    assert report.inserted == 51 and report.merged == 1 and report.rejected == 1
    assert [r.line for r in report.rejects] == [53]
    assert "53" in rejects.read_text(encoding="utf-8-sig").splitlines()[1]
    assert count(runtime, "SELECT count(*) FROM core_customer") == 51
    assert count(runtime, "SELECT count(*) FROM core_customer_tag WHERE tag = 'newtag'") == 1


def test_a_bulk_batch_is_bounded_whatever_batch_size_is_asked(runtime, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk_sqlite, "MAX_BULK_BATCH", 40)
    seen: list[int] = []
    report = import_customers(
        runtime,
        people_file(tmp_path / "people.csv", 200),
        ImportOptions(bulk=True, batch_size=100_000),
        progress=lambda p: seen.append(p.rows),
    )
    assert report.batches == 5
    assert [b - a for a, b in zip([0, *seen], seen, strict=False)] == [40] * 5
    monkeypatch.undo()
    assert bulk_sqlite.batch_size(5000, 5000) == bulk_sqlite.BULK_BATCH <= bulk_sqlite.MAX_BULK_BATCH
    assert bulk_sqlite.batch_size(10**6, 5000) == bulk_sqlite.MAX_BULK_BATCH


def test_the_wal_is_truncated_after_a_bulk_import(runtime, tmp_path):
    import_customers(runtime, people_file(tmp_path / "people.csv", 500), ImportOptions(bulk=True))
    database = bulk_sqlite.database_file(runtime.engine)
    assert database is not None
    wal = database.with_name(database.name + "-wal")
    assert not wal.exists() or wal.stat().st_size <= bulk_sqlite.JOURNAL_SIZE_LIMIT


def test_another_import_is_refused_while_a_bulk_import_runs(runtime, tmp_path):
    second = people_file(tmp_path / "second.csv", 5, start=1000)
    refusals: list[str] = []

    def try_another(_progress: Any) -> None:
        if refusals:
            return
        with pytest.raises(CannotImport) as caught:
            import_customers(runtime, second, ImportOptions(bulk=False))
        refusals.append(str(caught.value))
        with runtime.engine.connect() as connection:
            assert bulk_sqlite.running(connection)

    report = import_customers(
        runtime, people_file(tmp_path / "first.csv", 40), ImportOptions(bulk=True, batch_size=10),
        progress=try_another,
    )
    assert report.inserted == 40
    assert "bulk import" in refusals[0] and "running" in refusals[0]
    assert import_customers(runtime, second).inserted == 5  # once it has ended
    with runtime.engine.connect() as connection:
        assert not bulk_sqlite.running(connection)


def test_a_dry_run_never_takes_the_bulk_path(runtime, tmp_path):
    report = import_customers(runtime, people_file(tmp_path / "p.csv", 20), ImportOptions(bulk=True, dry_run=True))
    assert not report.bulk and pending(runtime) is None


def test_the_automatic_choice_wants_a_big_file_and_an_empty_or_small_database(runtime, monkeypatch):
    big = bulk_sqlite.AUTO_MIN_BYTES
    with runtime.engine.connect() as connection:
        assert bulk_sqlite.wanted(connection, None, big)
        assert bulk_sqlite.wanted(connection, None, None)  # size unknown (a stream): by the database
        assert not bulk_sqlite.wanted(connection, None, big - 1)
        assert bulk_sqlite.wanted(connection, True, 10)
        assert not bulk_sqlite.wanted(connection, False, big)
    import_customers(runtime, people_file_text(runtime, 3))
    monkeypatch.setattr(bulk_sqlite, "AUTO_MAX_CUSTOMERS", 2)
    with runtime.engine.connect() as connection:
        assert not bulk_sqlite.wanted(connection, None, big)
        assert bulk_sqlite.wanted(connection, True, big)


def people_file_text(runtime: Any, rows: int) -> Any:
    import io

    lines = ["given_name,email"] + [f"P{i},p{i}@example.com" for i in range(rows)]
    return io.StringIO("\n".join(lines) + "\n")


CRASHING_IMPORT = textwrap.dedent(
    """
    import os, signal, sys
    from payvand.core.importer import ImportOptions, import_customers
    from payvand.core.runtime import Runtime

    url, path, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
    runtime = Runtime({"PAYVAND_DATABASE_URL": url, "PAYVAND_PLUGINS": [],
                       "PAYVAND_INSTANCE": os.path.dirname(path)})
    batches = []

    def progress(done):
        batches.append(done.rows)
        if len(batches) == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    import_customers(runtime, path, ImportOptions(bulk=True, batch_size=50), progress=progress)
    """
)


def crash_an_import(runtime: Any, path: Path, after_batches: int) -> None:
    """Run a bulk import of `path` in a child process killed with SIGKILL after some batches."""
    url = runtime.engine.url.render_as_string(hide_password=False)
    child = subprocess.run(
        [sys.executable, "-c", CRASHING_IMPORT, url, str(path), str(after_batches)],
        capture_output=True, text=True, timeout=120,
    )
    assert child.returncode == -9, child.stderr


def test_a_killed_bulk_import_leaves_whole_batches_and_the_next_import_restores_the_indexes(runtime, tmp_path):
    before = schema(runtime)
    path = people_file(tmp_path / "people.csv", 400)
    crash_an_import(runtime, path, after_batches=3)

    # usable: whole batches, the record of the dropped indexes, nobody holding the lock
    assert count(runtime, "SELECT count(*) FROM core_customer") == 150
    assert count(runtime, "SELECT count(*) FROM core_customer_email") == 150
    assert pending(runtime) is not None and not (DEFERRED & index_names(runtime))
    with runtime.engine.connect() as connection:
        assert not bulk_sqlite.running(connection)
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM core_customer WHERE search_name LIKE 'name1%'"
        ).scalar_one() > 0  # reads still work, without the index

    report = import_customers(runtime, path, ImportOptions(bulk=False))  # the re-run
    assert report.inserted == 250 and report.merged == 150 and not report.bulk
    assert schema(runtime) == before and pending(runtime) is None
    assert count(runtime, "SELECT count(*) FROM core_customer") == 400
    assert count(runtime, "SELECT count(*) FROM (SELECT email FROM core_customer_email "
                          "GROUP BY email HAVING count(*) > 1)") == 0
    assert count(runtime, "SELECT count(*) FROM (SELECT number FROM core_customer_phone "
                          "GROUP BY number HAVING count(*) > 1)") == 0


def test_a_killed_bulk_import_rerun_in_bulk_completes_without_duplicates(runtime, tmp_path):
    before = schema(runtime)
    path = people_file(tmp_path / "people.csv", 300)
    crash_an_import(runtime, path, after_batches=2)
    during: list[set[str]] = []
    report = import_customers(runtime, path, ImportOptions(bulk=True, batch_size=50),
                              progress=lambda _: during.append(index_names(runtime)))
    assert report.bulk and report.inserted == 200 and report.merged == 100
    assert all(not (DEFERRED & names) for names in during)  # taken over, not rebuilt and dropped again
    assert schema(runtime) == before and pending(runtime) is None
    assert count(runtime, "SELECT count(DISTINCT email) FROM core_customer_email") == 300
    assert count(runtime, "SELECT count(*) FROM core_customer_email") == 300


def test_the_next_start_restores_the_indexes_of_a_killed_bulk_import(runtime, tmp_path):
    before = schema(runtime)
    crash_an_import(runtime, people_file(tmp_path / "people.csv", 200), after_batches=1)
    assert schema(runtime) != before
    from payvand.core.app import create_app

    app = create_app({"PAYVAND_DATABASE_URL": runtime.engine.url.render_as_string(hide_password=False),
                      "PAYVAND_PLUGINS": [], "PAYVAND_INSTANCE": str(tmp_path / "instance"),
                      "SECRET_KEY": "test"})
    app.extensions["payvand"].engine.dispose()
    assert schema(runtime) == before and pending(runtime) is None


def test_an_in_memory_database_never_takes_the_bulk_path(tmp_path):
    from payvand.core.runtime import Runtime

    runtime = Runtime({"PAYVAND_DATABASE_URL": "sqlite://", "PAYVAND_PLUGINS": [],
                       "PAYVAND_INSTANCE": str(tmp_path)})
    try:
        with runtime.engine.connect() as connection:
            assert bulk_sqlite.database_file(connection) is None
            assert not bulk_sqlite.wanted(connection, None, None)
    finally:
        runtime.engine.dispose()


def test_an_import_that_fails_part_way_rebuilds_the_indexes_on_its_way_out(runtime, tmp_path):
    before = schema(runtime)
    calls = []

    def explode(_progress: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        import_customers(runtime, people_file(tmp_path / "p.csv", 100),
                         ImportOptions(bulk=True, batch_size=20), progress=explode)
    assert schema(runtime) == before and pending(runtime) is None
    assert count(runtime, "SELECT count(*) FROM core_customer") == 40


def test_the_import_page_offers_the_bulk_option_and_the_job_takes_it(web, runtime):
    import io
    import re

    from tests.web.test_imports import job_id_from, start, wait_for

    content = "given_name,family_name,email,phone\n" + "".join(
        f"N{i},F{i},n{i}@example.com,0912{i:07d}\n" for i in range(30)
    )
    response = web.post("/import", {"file": (io.BytesIO(content.encode()), "people.csv")},
                        content_type="multipart/form-data")
    job_id = job_id_from(response)
    page = web.get(f"/import/{job_id}/mapping").text
    assert re.search(r'<input[^>]*name="bulk"', page)
    assert start(web, job_id, bulk="1").status_code == 302
    job = wait_for(runtime, job_id)
    assert job.options["bulk"] is True
    assert job.report["bulk"] is True and job.report["inserted"] == 30
    assert pending(runtime) is None and DEFERRED <= index_names(runtime)


def wal_sizes_during_a_bulk_import(runtime: Any, path: Path) -> list[int]:
    database = bulk_sqlite.database_file(runtime.engine)
    assert database is not None
    wal = database.with_name(database.name + "-wal")
    sizes: list[int] = []
    import_customers(runtime, path, ImportOptions(bulk=True, batch_size=100),
                     progress=lambda _: sizes.append(wal.stat().st_size if wal.exists() else 0))
    return sizes


def test_the_wal_is_checkpointed_between_batches_once_it_outgrows_the_limit(runtime, tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(bulk_sqlite, "JOURNAL_SIZE_LIMIT", 64 * 1024)
        bounded = wal_sizes_during_a_bulk_import(runtime, people_file(tmp_path / "a.csv", 3000))
    # the default 64 MB limit is not reached by this file: the WAL grows until wal_autocheckpoint
    unbounded = wal_sizes_during_a_bulk_import(runtime, people_file(tmp_path / "b.csv", 3000, start=5000))
    assert max(unbounded) > 2 * 1024 * 1024  # grows batch after batch until wal_autocheckpoint
    assert max(bounded) < 512 * 1024  # the limit plus about one batch


def test_the_cli_bulk_flags_choose_the_path(runtime, tmp_path):
    from click.testing import CliRunner

    from payvand.core.cli import cli

    url = runtime.config["PAYVAND_DATABASE_URL"]

    def run(*args: str) -> dict[str, Any]:
        result = CliRunner().invoke(
            cli, ["--instance", str(tmp_path / "instance"), "--database-url", url, "import", "customers",
                  *args, "--json", "-q"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    forced = run(str(people_file(tmp_path / "a.csv", 20)), "--bulk")
    assert forced["bulk"] is True and forced["inserted"] == 20
    assert run(str(people_file(tmp_path / "b.csv", 20, start=100)), "--no-bulk")["bulk"] is False
    assert run(str(people_file(tmp_path / "c.csv", 20, start=200)))["bulk"] is False  # a small file
    assert DEFERRED <= index_names(runtime) and pending(runtime) is None


def test_db_upgrade_restores_the_indexes_of_a_killed_bulk_import(runtime, tmp_path):
    from click.testing import CliRunner

    from payvand.core.cli import cli

    before = schema(runtime)
    crash_an_import(runtime, people_file(tmp_path / "people.csv", 200), after_batches=1)
    result = CliRunner().invoke(cli, ["--instance", str(tmp_path / "instance"), "--database-url",
                                      runtime.config["PAYVAND_DATABASE_URL"], "db", "upgrade"])
    assert result.exit_code == 0, result.output
    customer_tables = set(bulk_sqlite.TABLES)
    assert [row for row in schema(runtime) if row[2] in customer_tables] == [
        row for row in before if row[2] in customer_tables
    ]  # (the upgrade also migrated the sales plugin, enabled by default)
    assert pending(runtime) is None
