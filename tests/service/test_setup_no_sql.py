"""The service setup's API handlers and settings pages build and run no SQL: they call
`services/setup.py` and `services/macros.py` (the core's check, applied to these modules)."""

from __future__ import annotations

from pathlib import Path

import payvand.plugins.service as service
from tests.test_no_sql_in_pages import problems_of

ROOT = Path(service.__file__).resolve().parent
MODULES = ("api/admin.py", "api/contracts.py", "api/macros.py", "views/setup.py")


def test_setup_api_and_pages_hold_no_sql():
    report = [f"{name}:{item}" for name in MODULES for item in problems_of((ROOT / name).read_text(encoding="utf-8"))]
    assert not report, "SQL in the service setup's handlers (move it to services/):\n" + "\n".join(report)
