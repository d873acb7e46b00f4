"""Admin audit log page: newest first, keyset pages, filters (user, object, action, dates), diffs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.models import AuditLog
from payvand.core.services.audit_list import filtered_query
from payvand.core.web.pages.admin_audit import PAGE_SIZE

UTC = dt.UTC
NOON = dt.datetime(2024, 5, 4, 12, 0, tzinfo=UTC)  # 1403/02/15 in Tehran


@pytest.fixture
def web(web_as: Any) -> Any:
    """A superuser's client reading the pages in English (their own choice of language)."""
    client = web_as(superuser=True)
    client.post("/account/locale", {"locale": "en"})
    return client


def add_entries(db_session: Any, count: int, *, start: dt.datetime = NOON, step: dt.timedelta = dt.timedelta(minutes=1),
                **values: Any) -> None:
    """Insert `count` audit entries one `step` apart (bulk), the last at `start + (count-1)*step`."""
    defaults = {"actor_id": None, "actor_label": "system", "action": "update", "object_type": "customer",
                "object_id": "1", "before": None, "after": None}
    rows = [{**defaults, **values, "at": start + i * step} for i in range(count)]
    db_session.execute(sa.insert(AuditLog), rows)
    db_session.commit()


def row_ids(page: Any) -> list[int]:
    """The entry ids listed on a page, in order."""
    return [int(i) for i in re.findall(r'<tr id="audit-(\d+)"', page.text)]


def next_link(page: Any) -> str | None:
    found = re.search(r'<a class="page-link" href="([^"]+)" rel="next">', page.text)
    return found.group(1).replace("&amp;", "&") if found else None


def test_entries_are_listed_newest_first_in_keyset_pages(web, db_session):
    add_entries(db_session, PAGE_SIZE + 10)
    add_entries(db_session, 3, start=NOON + dt.timedelta(minutes=30), step=dt.timedelta(0))  # same instant: id decides
    all_ids = db_session.scalars(sa.select(AuditLog.id).order_by(AuditLog.at.desc(), AuditLog.id.desc())).all()
    first = web.get("/admin/audit")
    assert first.status_code == 200
    assert row_ids(first) == all_ids[:PAGE_SIZE]
    link = next_link(first)
    assert link is not None
    second = web.get(link)
    assert row_ids(second) == all_ids[PAGE_SIZE:]
    assert next_link(second) is None
    assert "First page" in second.text


def test_a_row_expands_to_the_changed_keys_only(web, db_session):
    add_entries(db_session, 1, before={"given_name": "Ali", "city": "Tehran", "tags": ["a"]},
                after={"given_name": "Ali", "city": "Shiraz", "tags": ["a", "b"]})
    page = web.get("/admin/audit")
    changes = re.search(r'<details class="audit-changes">(.*?)</details>', page.text, re.S).group(1)
    assert "2 fields changed" in changes
    assert "city" in changes and "Tehran" in changes and "Shiraz" in changes
    assert '[&#34;a&#34;, &#34;b&#34;]' in changes
    assert "given_name" not in changes
    web.post("/account/locale", {"locale": "fa"})
    persian = re.search(r'<details class="audit-changes">(.*?)</details>', web.get("/admin/audit").text, re.S).group(1)
    assert "۲ فیلد تغییر کرد" in persian  # the plural in Persian, with Persian digits
    assert "<td>سامانه</td>" in web.get("/admin/audit").text  # the system actor named in the reader's language


def test_filter_by_user(web, db_session, make_user):
    sara = make_user(email="sara@example.com", name="Sara")
    add_entries(db_session, 2, actor_id=sara.id, actor_label="sara@example.com")
    add_entries(db_session, 3)
    page = web.get(f"/admin/audit?actor={sara.id}")
    assert len(row_ids(page)) == 2
    assert f'<option value="{sara.id}" selected>\u2068Sara &lt;sara@example.com&gt;\u2069</option>' in page.text


def test_filter_by_object_type_and_id(web, db_session):
    add_entries(db_session, 2, object_type="customer", object_id="7")
    add_entries(db_session, 3, object_type="customer", object_id="8")
    add_entries(db_session, 4, object_type="setting", object_id="core.currency")
    assert len(row_ids(web.get("/admin/audit?object_type=customer&object_id=7"))) == 2
    assert len(row_ids(web.get("/admin/audit?object_type=customer"))) == 5
    assert len(row_ids(web.get("/admin/audit?object_type=setting&object_id=core.currency"))) == 4
    assert len(row_ids(web.get("/admin/audit?object_id=۸"))) == 3  # Persian digits are read


def test_filter_by_action_keeps_the_filter_across_pages(web, db_session):
    add_entries(db_session, PAGE_SIZE + 2, action="merge")
    add_entries(db_session, 5, action="update")
    first = web.get("/admin/audit?action=merge")
    assert len(row_ids(first)) == PAGE_SIZE
    link = next_link(first)
    assert "action=merge" in link
    assert len(row_ids(web.get(link))) == 2


def test_filter_by_dates_in_english(web, db_session):
    add_entries(db_session, 3, step=dt.timedelta(days=1))  # 4, 5 and 6 May 2024, at noon UTC
    web.post("/account/locale", {"locale": "en"})
    assert len(row_ids(web.get("/admin/audit?date_from=2024-05-05"))) == 2
    assert len(row_ids(web.get("/admin/audit?date_to=2024-05-05"))) == 2
    assert len(row_ids(web.get("/admin/audit?date_from=2024-05-05&date_to=2024-05-05"))) == 1


def test_filter_by_jalali_dates_in_persian(web, db_session):
    # 20:00 UTC on 4 May is 23:30 in Tehran (still 1403/02/15); 21:00 UTC is 00:30 on 1403/02/16
    add_entries(db_session, 1, start=dt.datetime(2024, 5, 4, 20, 0, tzinfo=UTC), object_id="a")
    add_entries(db_session, 1, start=dt.datetime(2024, 5, 4, 21, 0, tzinfo=UTC), object_id="b")
    web.post("/account/locale", {"locale": "fa"})
    page = web.get("/admin/audit?date_from=۱۴۰۳/۰۲/۱۵&date_to=۱۴۰۳/۰۲/۱۵")
    assert page.status_code == 200
    assert len(row_ids(page)) == 1
    assert len(row_ids(web.get("/admin/audit?date_from=1403/02/16"))) == 1


def test_invalid_dates_and_cursor_are_field_errors(web, db_session):
    add_entries(db_session, 1)
    web.post("/account/locale", {"locale": "en"})
    page = web.get("/admin/audit?date_from=yesterday")
    assert page.status_code == 422
    assert 'id="f-date_from-error"' in page.text and "Not a date" in page.text
    assert row_ids(page) == []
    page = web.get("/admin/audit?date_from=2024-05-06&date_to=2024-05-01")
    assert page.status_code == 422 and "The end date is before the start date." in page.text
    page = web.get("/admin/audit?after=garbage")
    assert page.status_code == 422 and "This page link is not valid" in page.text
    assert web.get("/admin/audit?actor=abc").status_code == 422


def test_the_page_runs_the_same_number_of_queries_with_one_or_many_entries(web, db_session, count_queries, make_user):
    add_entries(db_session, 1, before={"a": 1}, after={"a": 2})
    web.get("/admin/audit")  # warm up (plugin refresh, caches)
    with count_queries() as one:
        assert web.get("/admin/audit").status_code == 200
    for n in range(5):
        make_user(email=f"u{n}@example.com")
    add_entries(db_session, PAGE_SIZE + 20, before={"a": 1}, after={"a": 2})
    with count_queries() as many:
        page = web.get("/admin/audit")
    assert len(row_ids(page)) == PAGE_SIZE
    assert len(many) == len(one)


def test_permissions(web_as, client):
    assert web_as([perm.AUDIT_VIEW]).get("/admin/audit").status_code == 200
    assert web_as([perm.CUSTOMER_VIEW]).get("/admin/audit").status_code == 403
    response = client.get("/admin/audit")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


FILTER_COMBINATIONS = [
    {},
    {"actor": 3},
    {"object_type": "customer"},
    {"object_type": "customer", "object_id": "7"},
    {"object_id": "7"},
    {"action": "update"},
    {"date_from": dt.date(2024, 5, 1)},
    {"date_from": dt.date(2024, 5, 1), "date_to": dt.date(2024, 5, 5), "action": "merge"},
    {"actor": 3, "action": "update", "date_to": dt.date(2024, 5, 5)},
    {"object_type": "customer", "object_id": "7", "actor": 3, "after": (NOON, 10)},
    {"after": (NOON, 10)},
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("filters", FILTER_COMBINATIONS, ids=lambda f: "+".join(sorted(f)) or "none")
def test_every_filter_combination_reads_through_an_index(runtime, filters):
    query = filtered_query(filters, "Asia/Tehran").limit(PAGE_SIZE + 1)
    compiled = query.compile(runtime.engine, compile_kwargs={"literal_binds": False})
    with runtime.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", tuple(
            compiled.construct_params()[name] if not isinstance(compiled.construct_params()[name], dt.datetime)
            else compiled.construct_params()[name].replace(tzinfo=None).isoformat(" ")
            for name in compiled.positiontup)).all()
    details = " | ".join(row[-1] for row in plan)
    assert "INDEX ix_core_audit_log" in details, details
    assert "USE TEMP B-TREE" not in details, details
