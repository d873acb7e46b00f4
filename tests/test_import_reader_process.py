"""The customer import's forked reader process (`payvand.core.importing.pipeline`), SQLite and PostgreSQL.

Reading in a child process must change nothing the import does: the same rows inserted,
merged and rejected with the same lines, reasons and rejects file, one audit entry per batch.
A cancelled import ends its reader; an importing process killed with SIGKILL leaves whole
batches and its reader exits too.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from payvand.core.importer import ImportOptions, import_customers
from payvand.core.importing import pipeline
from payvand.core.models import AuditLog

HEADER = "given_name,family_name,email,mobile,tags\n"


def people_file(path: Path, count: int) -> Path:
    """`count` rows: every 7th a duplicate of an earlier row's email, every 11th without name or contact."""
    lines = [HEADER]
    for i in range(1, count + 1):
        if i % 11 == 0:
            lines.append(",,,,\n")
        elif i % 7 == 0:
            lines.append(f"Dup{i},Row,person{i - 3}@example.com,,extra\n")
        else:
            lines.append(f"Given{i},Family{i},person{i}@example.com,0912{i:07d},tag{i % 3}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def snapshot(runtime: Any) -> list[tuple[Any, ...]]:
    """The customers with their emails, phones and tags (ids left out: two databases are compared)."""
    query = sa.text(
        "SELECT c.display_name, c.search_name,"
        " (SELECT string_agg(email, ',') FROM (SELECT email FROM core_customer_email e"
        "  WHERE e.customer_id = c.id ORDER BY email) AS x),"
        " (SELECT string_agg(number, ',') FROM (SELECT number FROM core_customer_phone p"
        "  WHERE p.customer_id = c.id ORDER BY number) AS y),"
        " (SELECT string_agg(tag, ',') FROM (SELECT tag FROM core_customer_tag t"
        "  WHERE t.customer_id = c.id ORDER BY tag) AS z)"
        " FROM core_customer c ORDER BY c.id"
    )
    if runtime.engine.dialect.name == "sqlite":
        query = sa.text(str(query).replace("string_agg(email, ',')", "group_concat(email, ',')")
                        .replace("string_agg(number, ',')", "group_concat(number, ',')")
                        .replace("string_agg(tag, ',')", "group_concat(tag, ',')"))
    with runtime.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def clear(runtime: Any) -> None:
    """Delete what an import wrote, so the same database takes the second run."""
    with runtime.engine.begin() as connection:
        for table in ("core_customer_tag", "core_customer_email", "core_customer_phone",
                      "core_customer_consent", "core_outbox", "core_audit_log", "core_customer"):
            connection.execute(sa.text(f"DELETE FROM {table}"))


def test_a_forked_reader_imports_exactly_what_the_in_process_reader_does(runtime, tmp_path):
    path = people_file(tmp_path / "people.csv", 500)
    results = {}
    for forked in (False, True):
        clear(runtime)
        rejects = tmp_path / f"rejects-{forked}.csv"
        report = import_customers(runtime, path, ImportOptions(batch_size=40, reader_process=forked,
                                                               rejects=rejects))
        assert report.reader_process is forked
        with runtime.sessionmaker() as session:
            audits = session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
        results[forked] = (report.rows, report.inserted, report.merged, report.rejected, report.batches,
                           [(r.line, r.reason, r.code) for r in report.rejects],
                           rejects.read_text(encoding="utf-8"), audits, snapshot(runtime))
    assert results[True] == results[False]
    rows, inserted, merged, rejected, batches, first_rejects, _, audits, _ = results[True]
    assert (rows, rejected) == (500, 45)
    assert merged > 50 and inserted == 500 - 45 - merged
    assert first_rejects[0] == (12, "the row has no name, email or phone", "no_name_or_contact")
    assert audits == batches  # one audit entry per batch written


def test_a_cancelled_import_ends_its_reader_process(runtime, tmp_path):
    path = people_file(tmp_path / "people.csv", 2000)
    report = import_customers(runtime, path, ImportOptions(batch_size=50, reader_process=True,
                                                           should_stop=lambda: True))
    assert report.cancelled and report.reader_process
    assert report.inserted < 60
    assert not [p for p in multiprocessing.active_children() if p.name == "payvand-import-reader"]


def test_the_automatic_choice_forks_only_a_big_file_in_a_one_thread_process(monkeypatch):
    monkeypatch.delenv(pipeline.FORK_ENV, raising=False)
    assert pipeline.can_fork(10_000_000) is (__import__("threading").active_count() == 1)
    assert pipeline.can_fork(10_000) is False
    assert pipeline.can_fork(10_000_000, False) is False
    assert pipeline.can_fork(10, True) is True
    monkeypatch.setenv(pipeline.FORK_ENV, "0")
    assert pipeline.can_fork(10_000_000) is False


KILLED_IMPORT = """
import os, signal, sys, multiprocessing
from payvand.core.importer import ImportOptions, import_customers
from payvand.core.runtime import Runtime
url, path = sys.argv[1], sys.argv[2]
runtime = Runtime({"PAYVAND_DATABASE_URL": url, "PAYVAND_PLUGINS": [], "PAYVAND_INSTANCE": os.path.dirname(path)})
done = []
def progress(_):
    done.append(1)
    if len(done) == 3:
        readers = [p.pid for p in multiprocessing.active_children()]
        print(readers[0], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
import_customers(runtime, path, ImportOptions(batch_size=50, reader_process=True), progress=progress)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return any(line.startswith("State:") and "Z" in line for line in status)
    except FileNotFoundError:
        return True


def test_a_killed_import_leaves_whole_batches_and_its_reader_exits(runtime, tmp_path):
    path = people_file(tmp_path / "people.csv", 3000)
    url = runtime.engine.url.render_as_string(hide_password=False)
    child = subprocess.run([sys.executable, "-c", KILLED_IMPORT, url, str(path)],
                           capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert child.returncode == -9, child.stderr
    reader = int(child.stdout.split()[0])
    deadline = time.monotonic() + 20
    while not _gone(reader) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(reader)
    with runtime.engine.connect() as connection:
        written = connection.execute(sa.text("SELECT count(*) FROM core_audit_log")).scalar_one()
        people = connection.execute(sa.text("SELECT count(*) FROM core_customer")).scalar_one()
    assert written == 3  # three whole batches committed, the fourth never began
    again = import_customers(runtime, path, ImportOptions(batch_size=500))
    with runtime.engine.connect() as connection:
        total = connection.execute(sa.text("SELECT count(*) FROM core_customer")).scalar_one()
    assert total == people + again.inserted
    assert total == len({r for r in snapshot(runtime)})  # nobody twice


def test_reserved_ids_are_every_id_the_sequence_gave_contiguous_or_not(runtime, payvand_database):
    from payvand.core.db import table_of
    from payvand.core.importing.tables import sequence_ids
    from payvand.core.models import Customer

    if payvand_database != "postgresql":
        return  # SQLite has no sequences (sequence_ids is None there: checked in test_import.py)
    table = table_of(Customer)
    with runtime.engine.begin() as connection:
        contiguous = sequence_ids(connection, table, 500)
        assert contiguous == list(range(contiguous[0], contiguous[0] + 500))
        sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence('core_customer', 'id')")).scalar_one()
        connection.execute(sa.text(f"ALTER SEQUENCE {sequence} INCREMENT BY 3"))  # as if others took ids between
        scattered = sequence_ids(connection, table, 5)
        connection.execute(sa.text(f"ALTER SEQUENCE {sequence} INCREMENT BY 1"))
    assert scattered == [contiguous[-1] + 3 * n for n in range(1, 6)]
