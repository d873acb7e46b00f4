"""Customer CSV helpers shared by the export → import round-trip tests: export the customers,
empty their tables as a fresh database would be, import a text through the core importer."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from payvand.core.importer import ImportOptions, import_customers
from payvand.core.importing.export import export_customers
from payvand.core.models import (
    Customer,
    CustomerAddress,
    CustomerConsent,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
)


def export_text(runtime: Any) -> str:
    """Every customer as the CSV export writes it."""
    out = io.StringIO()
    export_customers(runtime.sessionmaker, out, "csv")
    return out.getvalue()


def wipe_customers(runtime: Any) -> None:
    """Empty the customer tables, as a fresh database."""
    with runtime.sessionmaker.begin() as session:
        for model in (CustomerTag, CustomerEmail, CustomerPhone, CustomerConsent, CustomerAddress, Customer):
            session.execute(sa.delete(model))


def import_text(runtime: Any, path: Path, text: str) -> Any:
    """Write `text` to `path` (UTF-8 with a BOM, as a spreadsheet saves) and import it; no row may be rejected."""
    path.write_bytes(text.encode("utf-8-sig"))
    report = import_customers(runtime, path, ImportOptions())
    assert report.rejected == 0, report.summary()
    return report
