"""`payvand service ...` commands, run as an admin would, with the plugin installed through an entry point."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from plugins_system.entrypoints import installed

from payvand.core.cli import cli
from payvand.plugins.service.models import Article, Calendar, SlaPolicy, Ticket

ARTICLE = """---
title: How to return an item
language: en
category: Returns
visibility: public
---
Send it back within **7 days**.
"""

PERSIAN = """---
title: "ساعت کاری"
language: fa
slug: hours
---
شنبه تا چهارشنبه ۸ تا ۱۶.
"""


@pytest.fixture
def service_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYVAND_PLUGINS", "service")
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path / "cli-instance"))
    with installed(tmp_path / "dist", {"service": "payvand.plugins.service"}, distribution="payvand_service_test"):
        yield


def _run(url, *args):
    return CliRunner().invoke(cli, ["--database-url", url, "service", *args])


def test_import_kb_creates_then_updates_by_slug(service_installed, payvand_database_url, db_session, tmp_path):
    folder = tmp_path / "kb"
    (folder / "returns").mkdir(parents=True)
    (folder / "returns" / "howto.md").write_text(ARTICLE, encoding="utf-8")
    (folder / "hours.md").write_text(PERSIAN, encoding="utf-8")
    first = _run(payvand_database_url, "import-kb", str(folder))
    assert first.exit_code == 0, first.output
    assert "2 created, 0 updated, 0 unchanged, 0 refused" in first.output
    rows = {a.slug: a for a in db_session.scalars(sa.select(Article))}
    assert set(rows) == {"returns-howto", "hours"}
    howto = rows["returns-howto"]
    assert (howto.title, howto.language, howto.category, howto.public, howto.status) == (
        "How to return an item", "en", "Returns", True, "published")
    assert (rows["hours"].language, rows["hours"].public) == ("fa", False)
    (folder / "returns" / "howto.md").write_text(ARTICLE.replace("7 days", "14 days"), encoding="utf-8")
    again = _run(payvand_database_url, "import-kb", str(folder))
    assert again.exit_code == 0, again.output
    assert "0 created, 1 updated, 1 unchanged, 0 refused" in again.output
    db_session.expire_all()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Article)) == 2
    updated = db_session.scalars(sa.select(Article).where(Article.slug == "returns-howto")).one()
    assert "14 days" in updated.body and updated.version == 2 and "14 day" in updated.search_text  # indexed as stems


def test_import_kb_reports_bad_files_and_keeps_the_good_ones(service_installed, payvand_database_url, db_session,
                                                              tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text(ARTICLE, encoding="utf-8")
    (folder / "no-title.md").write_text("---\nlanguage: en\n---\nbody\n", encoding="utf-8")
    (folder / "klingon.md").write_text("---\ntitle: Q\nlanguage: tlh\n---\n", encoding="utf-8")
    (folder / "open.md").write_text("---\ntitle: never closed\n", encoding="utf-8")
    (folder / "secret.md").write_text("---\ntitle: S\nvisibility: everyone\n---\n", encoding="utf-8")
    result = _run(payvand_database_url, "import-kb", str(folder))
    assert result.exit_code == 1
    assert "1 created, 0 updated, 0 unchanged, 4 refused" in result.output
    for name in ("no-title.md: title", "klingon.md: language", "open.md: the front matter", "secret.md: visibility"):
        assert name in result.output
    assert [a.slug for a in db_session.scalars(sa.select(Article))] == ["good"]
    assert _run(payvand_database_url, "import-kb", str(tmp_path / "missing")).exit_code == 2


def test_close_solved_takes_the_days_from_the_option(service_installed, payvand_database_url, db_session,
                                                      make_customer):
    customer = make_customer()
    now = dt.datetime.now(dt.UTC)
    db_session.add_all([Ticket(customer_id=customer.id, subject="old", status="solved", solved_at=now - dt.timedelta(days=3)),
                        Ticket(customer_id=customer.id, subject="new", status="solved", solved_at=now - dt.timedelta(hours=2))])
    db_session.commit()
    default = _run(payvand_database_url, "close-solved")
    assert default.exit_code == 0 and "Closed 0 solved tickets." in default.output  # the setting: 4 days
    two = _run(payvand_database_url, "close-solved", "--days", "2")
    assert two.exit_code == 0 and "Closed 1 solved tickets." in two.output
    db_session.expire_all()
    assert {t.subject: t.status for t in db_session.scalars(sa.select(Ticket))} == {"old": "closed", "new": "solved"}
    assert _run(payvand_database_url, "close-solved", "--days", "-1").exit_code == 2


def test_recompute_sla_for_one_calendar_or_refuses_an_unknown_one(service_installed, payvand_database_url, db_session,
                                                                   make_customer):
    customer = make_customer()
    calendar = Calendar(name="Office", timezone="Asia/Tehran", schedule={}, holidays=[], is_default=True)
    db_session.add(calendar)
    db_session.flush()
    policy = SlaPolicy(name="Std", resolution_minutes=60, calendar_id=calendar.id)
    db_session.add(policy)
    db_session.flush()
    db_session.add(Ticket(customer_id=customer.id, subject="t", status="open", sla_policy_id=policy.id,
                          created_at=dt.datetime(2026, 12, 7, 5, 30, tzinfo=dt.UTC)))
    db_session.commit()
    done = _run(payvand_database_url, "recompute-sla", "--calendar", str(calendar.id))
    assert done.exit_code == 0 and "Recomputed the due times of 1 tickets" in done.output, done.output
    db_session.expire_all()
    ticket = db_session.scalars(sa.select(Ticket)).one()
    assert ticket.resolution_due_at == dt.datetime(2026, 12, 7, 6, 30, tzinfo=dt.UTC)  # Monday 09:00 Tehran + 60
    unknown = _run(payvand_database_url, "recompute-sla", "--calendar", "999999")
    assert unknown.exit_code == 1 and "There is no calendar 999999." in unknown.output
