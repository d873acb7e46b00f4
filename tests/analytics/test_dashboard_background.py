"""The KPI dashboard never computes a shared widget inside a request: a missing or stale snapshot
is shown as being computed (or as the last figures) and its computation is queued as one
background job per widget and periods, done by the job runner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

import payvand.plugins.analytics as analytics
import payvand.plugins.sales as sales
from payvand.core.models import OutboxEvent
from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import KpiRequest, KpiSnapshot
from payvand.plugins.analytics.services import kpi_jobs
from payvand.sdk import KpiData, KpiWidget, PluginMeta, hookimpl

URL = "/analytics/dashboard?period=custom&start=2026-03-01&end=2026-03-31"


class CountingPlugin:
    """One shared widget that counts how often it is computed (the slow figure of a big site)."""

    meta = PluginMeta("kpicount", "1.0")

    def __init__(self) -> None:
        self.calls: list[tuple[dt.date, dt.date]] = []

    @hookimpl
    def payvand_dashboard_widgets(self, actor: Any, purpose: str) -> Any:
        """The counting widget on the KPI dashboard."""
        if purpose != "kpi":
            return None

        def slow(actor: Any, period: Any, comparison: Any) -> KpiData:
            self.calls.append((period.first_day, period.last_day))
            return KpiData(value=len(self.calls), previous=None)

        return [KpiWidget("kpicount.slow", "Slow figure", "number", slow, shared=True, order=1)]


@pytest.fixture
def counting() -> CountingPlugin:
    """The counting plugin of this test."""
    return CountingPlugin()


@pytest.fixture
def payvand_plugins(counting: CountingPlugin) -> list[Any]:
    """Sales, analytics and the counting plugin."""
    return [sales, analytics, counting]


def _requests(db_session: Any, widget: str = "kpicount.slow") -> list[KpiRequest]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(KpiRequest).where(KpiRequest.widget == widget)))


def _events(db_session: Any) -> int:
    return int(db_session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent).where(
        OutboxEvent.hook == kpi_jobs.EVENT)) or 0)


def test_views_never_compute_a_shared_widget_and_queue_one_job_for_it(web_as, api_as, db_session, counting, deliver):
    web = web_as([perm.VIEW])
    first = web.get(URL)
    assert first.status_code == 200
    assert 'id="kpi-kpicount-slow-pending"' in first.text and 'id="kpi-kpicount-slow-value"' not in first.text
    assert "Being computed for 2026-03-01" in first.text
    queued = _events(db_session)  # the view's events (one outbox row holds a transaction's events of a type)
    assert queued == 1
    web.get(URL)  # a second view, the CSV and the API ask for the same figures: still one job
    web.get("/analytics/dashboard/kpicount.slow.csv?period=custom&start=2026-03-01&end=2026-03-31")
    api = api_as([perm.VIEW]).get("analytics/dashboard?period=custom&start=2026-03-01&end=2026-03-31")
    slow = next(w for w in api.json["widgets"] if w["key"] == "kpicount.slow")
    assert slow["pending"] is True and slow["value"] is None
    assert counting.calls == []  # no request computed it
    [request] = _requests(db_session)
    assert (request.first_day, request.last_day) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert (request.comparison_first, request.comparison_last) == (dt.date(2026, 1, 29), dt.date(2026, 2, 28))
    assert _events(db_session) == queued  # the later views queued nothing

    deliver()
    assert counting.calls == [(dt.date(2026, 3, 1), dt.date(2026, 3, 31))]
    assert _requests(db_session) == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(KpiSnapshot).where(
        KpiSnapshot.widget == "kpicount.slow")) == 1
    text = web.get(URL).text
    assert 'id="kpi-kpicount-slow-pending"' not in text and 'id="kpi-kpicount-slow-value"' in text
    assert ">1</span>" in text.split('id="kpi-kpicount-slow-value"')[1][:10]
    assert _events(db_session) == queued and counting.calls == [(dt.date(2026, 3, 1), dt.date(2026, 3, 31))]


def test_each_period_is_its_own_job(web_as, db_session, counting, deliver):
    web = web_as([perm.VIEW])
    web.get(URL)
    web.get("/analytics/dashboard?period=custom&start=2026-04-01&end=2026-04-30")
    assert sorted(r.first_day for r in _requests(db_session)) == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    deliver()
    assert sorted(counting.calls) == [(dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
                                      (dt.date(2026, 4, 1), dt.date(2026, 4, 30))]


def test_a_stale_snapshot_is_shown_while_it_is_computed_again(web_as, db_session, counting, deliver):
    web = web_as([perm.VIEW, perm.RUN])
    web.get(URL)
    deliver()
    assert web.post("/analytics/dashboard/refresh", {}).status_code == 302  # every snapshot stale
    text = web.get(URL).text
    assert "Being computed again for 2026-03-01" in text and 'id="kpi-kpicount-slow-as-of"' in text
    assert ">1</span>" in text.split('id="kpi-kpicount-slow-value"')[1][:10]  # the last figures
    assert len(counting.calls) == 1 and len(_requests(db_session)) == 1
    deliver()
    text = web.get(URL).text
    assert ">2</span>" in text.split('id="kpi-kpicount-slow-value"')[1][:10]
    assert 'id="kpi-kpicount-slow-pending"' not in text


def test_a_lost_request_is_queued_again_and_a_fresh_one_is_not(web_as, db_session, counting, deliver):
    web = web_as([perm.VIEW])
    web.get(URL)
    [request] = _requests(db_session)
    first_id = request.id
    web.get(URL)
    assert [r.id for r in _requests(db_session)] == [first_id]
    db_session.execute(sa.update(KpiRequest).values(requested_at=request.requested_at - kpi_jobs.LOST_AFTER
                                                    - dt.timedelta(minutes=1)))
    db_session.commit()
    web.get(URL)
    [again] = _requests(db_session)
    assert again.id != first_id
    deliver()  # the old event finds its request gone; the new one computes once
    assert len(counting.calls) == 1 and _requests(db_session) == []


def test_the_job_computes_in_the_readers_language_and_calendar(web_as, db_session, counting, deliver):
    web = web_as([perm.VIEW])
    web.post("/account/locale", {"locale": "fa"})
    web.get("/analytics/dashboard?period=custom&start=1405/01/01&end=1405/01/31&comparison=none")
    [request] = _requests(db_session)
    assert (request.locale, request.calendar, request.first_day) == ("fa", "jalali", dt.date(2026, 3, 21))
    assert request.comparison_first is None
    deliver()
    text = web.get("/analytics/dashboard?period=custom&start=1405/01/01&end=1405/01/31&comparison=none").text
    assert 'id="kpi-kpicount-slow-value"' in text and 'id="kpi-kpicount-slow-pending"' not in text
