"""Shared data and fixtures of the browser flow, accessibility and screenshot tests.

- `admin`: a superuser (email and password) to log in with through the form.
- `signed_in`: the test's `page`, already logged in as `admin` (English, the test default).
- `toy_plugin`: an installed plugin (`browser_toy`, through a real entry point), for the
  plugins page; use it with `payvand_config` set to let the database decide (see
  `DATABASE_DECIDES` and `test_flows.py`).
- `csv_with_a_bad_row`: a small CSV file (name, email, phone) whose line 3 has a bad email.
- `load_sample_data`: a small realistic dataset (the demo generator plus a duplicate pair).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from .helpers import LiveServer, staff_login

PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "admin@example.com"
TOY_PLUGIN = "browser_toy"
#: `payvand_config` of an app whose enabled plugins come from the database (no override).
DATABASE_DECIDES = {"PAYVAND_PLUGINS": None, "PAYVAND_PLUGIN_REFRESH_SECONDS": 0}
TOY_SOURCE = textwrap.dedent('''
    """A plugin that only declares itself: enough for the plugins page."""
    from payvand.sdk import PluginMeta

    meta = PluginMeta("browser_toy", "0.4", title="Browser toy",
                      description="A plugin installed for the browser tests.")
    ''')
#: The lines of the CSV of the import flow; line 3 (the second data row) has a bad email.
BAD_LINE = 3
CSV_LINES = [
    "name,email,phone",
    "Sara Karimi,sara.karimi@example.com,09121110001",
    "Reza Bad,not-an-email,09121110002",
    "مریم احمدی,maryam@example.com,۰۹۱۲۱۱۱۰۰۰۳",
]


@dataclass(frozen=True)
class Account:
    """Login details of a staff user created for the test."""

    id: int
    email: str
    password: str


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Account:
    """A superuser who logs in through the form."""
    user = make_user(email=ADMIN_EMAIL, password=PASSWORD, superuser=True, name="Admin Karimi")
    return Account(user.id, ADMIN_EMAIL, PASSWORD)


@pytest.fixture
def signed_in(page: Page, live_server: LiveServer, admin: Account) -> Page:
    """The test's page, logged in as `admin`."""
    staff_login(page, live_server, admin.email, admin.password)
    return page


@pytest.fixture
def toy_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`browser_toy` installed through an entry point (a dist-info on sys.path) for this test."""
    from plugins_system.generated import plugins_installed

    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    with plugins_installed(tmp_path / "toy-plugin", {TOY_PLUGIN: TOY_SOURCE}):
        yield TOY_PLUGIN


@pytest.fixture
def csv_with_a_bad_row(tmp_path: Path) -> Path:
    """A UTF-8 CSV of three customers, the second with the email `not-an-email`."""
    path = tmp_path / "customers.csv"
    path.write_text("\n".join(CSV_LINES) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def load_sample_data(runtime: Any, make_customer: Callable[..., Any],
                     make_interaction: Callable[..., Any]) -> Callable[[], dict[str, int]]:
    """Load ~30 demo customers with interactions, plus a duplicate pair; return the ids to show."""

    def load() -> dict[str, int]:
        from payvand.core.demo import load_demo

        now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
        load_demo(runtime.sessionmaker, customers=30, interactions=300, now=now)
        first = make_customer(given_name="Maryam", family_name="Ahmadi", emails=["maryam.ahmadi@example.com"],
                              phones=["09121234567"], tags=["vip"])
        second = make_customer(given_name="مریم", family_name="احمدی", emails=["maryam.ahmadi@example.com"])
        moments = [now - dt.timedelta(days=d, hours=h) for d, h in ((0, 2), (3, 5), (12, 1), (40, 7))]
        for when, (kind, channel, summary) in zip(moments, [
            ("core.call", "phone", "Asked about the new price list"),
            ("core.note", "in_person", "Visited the Tehran showroom"),
            ("core.message", "email", "پیگیری سفارش شماره ۱۲۴"),
            ("core.meeting", "in_person", "Contract renewal meeting"),
        ], strict=True):
            make_interaction(first.id, kind=kind, channel=channel, summary=summary, occurred_at=when)
        make_interaction(second.id, kind="core.call", channel="phone", summary="تماس برای پیگیری", occurred_at=now)
        return {"customer": first.id, "duplicate": second.id}

    return load
