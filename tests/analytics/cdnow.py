"""The vendored CDNOW sample as (customer, date, amount) rows (see data/README.md)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data" / "CDNOW_sample.txt"


def cdnow_rows() -> list[tuple[str, str, str]]:
    """Every purchase of the sample: (customer id, YYYYMMDD, amount)."""
    rows = []
    for line in DATA.read_text().splitlines():
        customer, _sample_id, day, _quantity, amount = line.split()
        rows.append((customer, day, amount))
    return rows
