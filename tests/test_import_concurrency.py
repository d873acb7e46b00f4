"""Customer imports running at the same time create each new person once (SQLite and PostgreSQL).

Each import runs in its own thread with its own database connection, as two web processes,
a worker and the CLI would.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from payvand.core.importer import ImportOptions, ImportProgress, ImportReport, import_customers
from payvand.core.models import Customer, CustomerEmail, CustomerPhone

HEADER = "given_name,family_name,email,mobile\n"


def _file(folder: Path, name: str, rows: list[tuple[str, str, str, str]]) -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _run_together(
    runtime: Any, paths: list[Path], batch: int, rendezvous: bool
) -> list[ImportReport]:
    """Import the files in threads started together; with `rendezvous` every import waits after
    its first batch until all have written theirs (so all read their key filters first)."""
    barrier = threading.Barrier(len(paths), timeout=60)
    reports: list[ImportReport | None] = [None] * len(paths)
    errors: list[Exception] = []

    def run(index: int, path: Path) -> None:
        calls = 0

        def progress(_: ImportProgress) -> None:
            nonlocal calls
            calls += 1
            if rendezvous and calls == 1:
                barrier.wait()

        try:
            if not rendezvous:
                barrier.wait()
            reports[index] = import_customers(
                runtime, path, ImportOptions(batch_size=batch), progress=progress
            )
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert all(report is not None for report in reports)
    return reports  # type: ignore[return-value]


def _owners(runtime: Any) -> tuple[dict[str, set[int]], dict[str, set[int]], int]:
    """Who holds each email and each phone, and how many customers there are."""
    with runtime.sessionmaker() as session:
        emails: dict[str, set[int]] = {}
        for email, customer_id in session.execute(
            sa.select(CustomerEmail.email, CustomerEmail.customer_id)
        ):
            emails.setdefault(email, set()).add(customer_id)
        phones: dict[str, set[int]] = {}
        for number, customer_id in session.execute(
            sa.select(CustomerPhone.number, CustomerPhone.customer_id)
        ):
            phones.setdefault(number, set()).add(customer_id)
        count = session.scalar(sa.select(sa.func.count()).select_from(Customer)) or 0
    return emails, phones, count


def test_imports_that_read_their_filters_before_either_writes_create_shared_people_once(
    runtime, tmp_path
):
    # Batch 1 of each file is its own; batch 2 holds the same three people in both files.
    # Both imports finish batch 1 (and so read the existing keys) before either writes batch 2.
    shared = [("Shared", f"P{i}", f"shared{i}@example.com", f"0912000000{i}") for i in range(3)]
    first = _file(
        tmp_path, "a.csv", [("Ali", f"A{i}", f"a{i}@example.com", "") for i in range(3)] + shared
    )
    second = _file(
        tmp_path,
        "b.csv",
        [("Bita", f"B{i}", f"b{i}@example.com", "") for i in range(3)]
        + [
            (given, family, email.upper(), "+98 912 000 000" + phone[-1])
            for given, family, email, phone in shared
        ],
    )

    reports = _run_together(runtime, [first, second], batch=3, rendezvous=True)

    emails, phones, count = _owners(runtime)
    assert count == 9
    assert all(len(owners) == 1 for owners in emails.values()), emails
    assert all(len(owners) == 1 for owners in phones.values()), phones
    assert sorted(r.inserted for r in reports) == [3, 6] and sum(r.merged for r in reports) == 3


def test_three_imports_of_overlapping_files_at_once_create_every_person_once(runtime, tmp_path):
    people = [
        (f"Given{i}", f"Family{i}", f"person{i}@example.com", f"0912{i:07d}") for i in range(60)
    ]
    paths = [
        _file(tmp_path, "all.csv", people),
        _file(tmp_path, "even.csv", people[::2]),
        _file(tmp_path, "reversed.csv", people[::-1]),
    ]

    reports = _run_together(runtime, paths, batch=4, rendezvous=False)

    emails, phones, count = _owners(runtime)
    assert count == len(people)
    assert sorted(emails) == sorted(p[2] for p in people)
    assert all(len(owners) == 1 for owners in emails.values()), emails
    assert all(len(owners) == 1 for owners in phones.values()), phones
    assert sum(r.inserted for r in reports) == len(people)
    assert sum(r.inserted + r.merged for r in reports) == sum(r.rows for r in reports)
