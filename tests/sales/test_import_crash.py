"""A lead or product import killed mid-file (kill -9 of its process) leaves only whole, committed
work behind, and running the file again completes it with every row once.

Each import is one transaction (the caller's: `payvand sales import-leads`, the staff page), so
the batches a killed import wrote are rolled back with it: the database keeps exactly what the
imports before it committed — whole batches of whole files. On PostgreSQL the rows go in
through `COPY` with ids reserved from the sequence; the kill also proves the import lock dies
with the process (the re-run would wait for it otherwise). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

HERE = Path(__file__).parent
BATCH = 100
ROWS = 1500


def _lead_file(path: Path, rows: int) -> set[str]:
    """Leads with a duplicate of an earlier row every 50th line and a bad row every 97th; the good emails."""
    good: set[str] = set()
    lines = ["name,email,phone"]
    for n in range(rows):
        if n and n % 97 == 0:
            lines.append(f"Nobody {n},,")  # no way to reach them: rejected
        elif n and n % 50 == 0:
            lines.append(f"Again {n},lead{n - 7}@example.com,")  # the same email as an earlier row
        else:
            lines.append(f"Lead {n},lead{n}@example.com,0912{n:07d}")
            good.add(f"lead{n}@example.com")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return good


def _product_file(path: Path, rows: int) -> set[str]:
    """Products with a repeated SKU every 50th line and a bad price every 97th; the good SKUs."""
    good: set[str] = set()
    lines = ["sku,name,price"]
    for n in range(rows):
        if n and n % 97 == 0:
            lines.append(f"P-{n},Bad {n},abc")
        elif n and n % 50 == 0:
            lines.append(f"P-{n - 7},Again {n},5")
        else:
            lines.append(f"P-{n},Item {n},{1000 + n}")
            good.add(f"P-{n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return good


def _start(config: dict[str, Any], kind: str, path: Path, stop_after: int) -> subprocess.Popen[str]:
    environment = {**os.environ,
                   "PYTHONPATH": os.pathsep.join([str(HERE.parent.parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(HERE / "import_process.py"), json.dumps(config), kind, str(path),
                             str(stop_after)], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _keys(runtime: Any, kind: str) -> list[str]:
    """Every lead's email (or product's SKU) in the database, duplicates kept."""
    column = "email" if kind == "leads" else "sku"
    table = "sales_lead" if kind == "leads" else "sales_product"
    with runtime.engine.connect() as connection:
        return list(connection.execute(sa.text(f"SELECT {column} FROM {table}")).scalars())


@pytest.mark.parametrize("kind", ["leads", "products"])
def test_an_import_killed_mid_file_leaves_whole_batches_and_a_rerun_adds_each_row_once(
        app: Any, runtime: Any, payvand_database_url: str, tmp_path: Path, kind: str) -> None:
    config = {"PAYVAND_DATABASE_URL": payvand_database_url, "PAYVAND_INSTANCE": str(tmp_path / "instance"),
              "SECRET_KEY": "x" * 32, "PAYVAND_PLUGINS": ["sales"], "BATCH": BATCH}
    write = _lead_file if kind == "leads" else _product_file
    first, whole = tmp_path / "first.csv", tmp_path / "whole.csv"
    earlier = write(first, ROWS // 3)  # an import that completed before the crash
    good = write(whole, ROWS)
    assert _finish(_start(config, kind, first, 0))["created"] == len(earlier)
    assert sorted(_keys(runtime, kind)) == sorted(earlier)

    crashing = _start(config, kind, whole, 6)
    assert crashing.stdout is not None and crashing.stdout.readline().strip() == "mid"  # six batches written
    assert sorted(_keys(runtime, kind)) == sorted(earlier)  # not committed: nobody else sees them
    crashing.kill()
    crashing.wait(timeout=30)
    crashing.communicate()
    assert sorted(_keys(runtime, kind)) == sorted(earlier)  # the killed import's batches went with it

    again = _finish(_start(config, kind, whole, 0))  # takes the import lock the killed one held
    keys = _keys(runtime, kind)
    assert len(keys) == len(set(keys)) == len(good)  # every good row once, no duplicate
    assert set(keys) == good
    assert again["created"] == len(good - earlier)
    if kind == "products":
        assert again["updated"] == len(earlier)
        with runtime.engine.connect() as connection:
            prices = connection.execute(sa.text("SELECT count(*), count(DISTINCT product_id) FROM sales_price")).one()
        assert tuple(prices) == (len(good), len(good))
