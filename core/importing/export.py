"""Exporting customers as CSV (UTF-8 with BOM, for Excel) or JSON Lines, streamed in pages.

Customers are read in keyset pages by id (`WHERE id > :last ORDER BY id LIMIT n`), each page
with its emails, phones, tags and addresses fetched by `customer_id IN (...)`: a bounded number of
queries per page, flat memory for any number of customers, and the same on SQLite and
PostgreSQL. Merged-away customers are left out. The CSV's headers are the ones the importer
recognises, so an export can be imported again: cells a spreadsheet would run as a formula
get a leading `'` (`guard.py`), which the importer removes again from a Payvand export. The
`addresses` column holds every postal address as a JSON list of objects (the API's address
fields), which the importer maps back (`mapping.EXPORT_ADDRESSES`) without adding an address
the customer already has.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from payvand.core.db import table_of
from payvand.core.importing.guard import EXPORT_HEADER, guard
from payvand.core.importing.tables import address_dict, addresses_by_customer, rows_by_customer
from payvand.core.models import Customer, CustomerEmail, CustomerPhone, CustomerTag

PAGE = 2000
FORMATS = ("csv", "jsonl")
#: The header row; `guard.is_payvand_export` recognises it when the file is imported again.
CSV_COLUMNS = EXPORT_HEADER
#: The customer columns read directly (the rest of CSV_COLUMNS come from child tables).
_SCALARS = tuple(c for c in CSV_COLUMNS if c not in ("email", "phone", "tags", "addresses"))


def customer_pages(
    factory: sessionmaker[Session], page: int = PAGE
) -> Iterator[list[dict[str, Any]]]:
    """Yield pages of non-merged customers as dicts with `emails`, `phones`, `tags` and
    `addresses` lists (an address as a dict of the API's address fields)."""
    table = Customer.__table__
    columns = [table.c[name] for name in _SCALARS]
    last = 0
    while True:
        with factory() as session:
            connection = session.connection()
            rows = (
                connection.execute(
                    sa.select(*columns)
                    .where(table.c.id > last, table.c.merged_into_id.is_(None))
                    .order_by(table.c.id)
                    .limit(page)
                )
                .mappings()
                .all()
            )
            if not rows:
                return
            ids = [row["id"] for row in rows]
            emails = rows_by_customer(connection, table_of(CustomerEmail), "email", ids)
            phones = rows_by_customer(connection, table_of(CustomerPhone), "number", ids)
            tags = rows_by_customer(connection, table_of(CustomerTag), "tag", ids)
            addresses = addresses_by_customer(connection, ids)
        yield [
            {
                **row,
                "emails": emails.get(row["id"], []),
                "phones": phones.get(row["id"], []),
                "tags": tags.get(row["id"], []),
                "addresses": [address_dict(a) for a in addresses.get(row["id"], [])],
            }
            for row in rows
        ]
        last = ids[-1]


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _csv_row(customer: dict[str, Any]) -> list[Any]:
    attributes = customer["attributes"] or {}
    return [
        customer["id"],
        customer["kind"],
        guard(customer["given_name"]),
        guard(customer["family_name"]),
        guard(customer["organization_name"]),
        guard(customer["display_name"]),
        guard("|".join(customer["emails"])),
        "|".join(customer["phones"]),
        guard("|".join(customer["tags"])),
        _iso(customer["birthday"]) or "",
        customer["lifecycle_stage"],
        customer["preferred_language"] or "",
        guard(customer["preferred_channel"]),
        customer["timezone"] or "",
        customer["owner_id"] or "",
        customer["referred_by_id"] or "",
        json.dumps(attributes, ensure_ascii=False) if attributes else "",
        json.dumps(customer["addresses"], ensure_ascii=False) if customer["addresses"] else "",
        _iso(customer["created_at"]),
        _iso(customer["updated_at"]),
    ]


def _json_row(customer: dict[str, Any]) -> str:
    data = {key: _iso(value) for key, value in customer.items()}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def export_customers(
    factory: sessionmaker[Session],
    out: IO[str],
    fmt: str = "csv",
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every non-merged customer to the text stream `out`; return how many were written.

    `fmt` is "csv" (one row per customer, emails/phones/tags joined with `|`, addresses as a JSON
    list) or "jsonl"
    (one JSON object per line, lists kept). The caller chooses the stream's encoding; for
    CSV files meant for Excel, open them with `utf-8-sig`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use {' or '.join(FORMATS)}")
    count = 0
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    for page in customer_pages(factory):
        if writer is not None:
            writer.writerows(_csv_row(c) for c in page)
        else:
            out.writelines(_json_row(c) + "\n" for c in page)
        count += len(page)
        if progress is not None:
            progress(count)
    return count
