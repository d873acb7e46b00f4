"""Two lead imports at the same time on PostgreSQL: a lead both files hold is created once.

The first import runs to its end but does not commit; the second starts and, with the import
lock, waits for it (seen in `pg_locks`) — only then does the first commit. Without the lock the
second would finish its lookups without seeing the first's uncommitted leads and insert them
again. (SQLite has a single writer: the second import's write lock waits the same way.)
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.db import bind_session
from payvand.plugins.sales.models import Lead
from payvand.plugins.sales.services.lead_import import import_leads
from tests.db_locks import someone_waits_for_a_lock

WAIT_LIMIT = 60.0


def test_two_lead_imports_at_once_create_a_shared_lead_once(app, runtime, payvand_database):
    if payvand_database != "postgresql":
        pytest.skip("needs PostgreSQL's lock view to know the second import waits")
    first = (
        "name,email,phone\nSara A,sara@example.com,\nOnly First,first@example.com,\n"
        "Reza R,,09121110000\n"
    )
    second = (
        "name,email,phone\nReza R,,+989121110000\nOnly Second,second@example.com,\n"
        "Sara A,SARA@example.com,\n"
    )
    first_imported, second_done = threading.Event(), threading.Event()
    results: dict[str, Any] = {}
    errors: list[Exception] = []

    def run(
        name: str,
        text: str,
        before: threading.Event | None,
        after: threading.Event,
        hold: Any = None,
    ) -> None:
        try:
            with app.app_context():
                session = runtime.sessionmaker()
                with bind_session(session):
                    if before is not None:
                        assert before.wait(WAIT_LIMIT)
                    results[name] = import_leads(io.StringIO(text), on_duplicate="skip")
                    after.set()
                    if hold is not None:
                        hold()
                    session.commit()
                session.close()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            after.set()

    def until_the_second_waits_or_ends() -> None:
        deadline = time.monotonic() + WAIT_LIMIT
        while not second_done.is_set() and not someone_waits_for_a_lock(runtime):
            assert time.monotonic() < deadline, "the second import neither waited nor finished"
            time.sleep(0.02)

    threads = [
        threading.Thread(
            target=run, args=("first", first, None, first_imported, until_the_second_waits_or_ends)
        ),
        threading.Thread(target=run, args=("second", second, first_imported, second_done)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_LIMIT * 2)
    assert not errors, errors

    with runtime.sessionmaker() as session:
        leads = session.execute(sa.select(Lead.email, Lead.phone)).all()
    emails = sorted(email for email, _ in leads if email)
    phones = sorted(phone for _, phone in leads if phone)
    assert emails == ["first@example.com", "sara@example.com", "second@example.com"]
    assert phones == ["+989121110000"]
    assert (results["first"].created, results["second"].created) == (3, 1)
    assert [reason for _, reason in results["second"].skipped] == [
        "duplicate: the same phone as open lead #3",
        "duplicate: the same email as open lead #1",
    ]
