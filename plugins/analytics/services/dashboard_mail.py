"""The scheduled KPI dashboard mail: a user's dashboard (their layout, their permissions, their
language) as an HTML table summary, daily, weekly or monthly.

A job (`analytics.dashboard_mail`, every 15 minutes) mails every layout whose `mail_next_at` has
come (served by its index), at most `BATCH` per run. The daily mail covers yesterday against the
day before; the weekly one the seven days up to yesterday against the seven before; the monthly
one last month (in the reader's calendar) against the month before. Mails go out at 07:00 site
time: daily every day, weekly on Saturdays (the first day of the Iranian week), monthly on the
first day of the month of the reader's calendar.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from markupsafe import escape

from payvand.plugins.analytics.models import DashboardLayout
from payvand.plugins.analytics.services import dashboard, periods
from payvand.sdk import MailError, User, local_zone, mail_enabled, send_mail, session, user_actor, utcnow

log = logging.getLogger(__name__)

#: Mails sent per job run at most (the rest wait for the next run).
BATCH = 200
SEND_HOUR = 7
SATURDAY = 5  # dt.date.weekday()


def _calendar(locale: str) -> periods.Calendar:
    return "jalali" if locale == "fa" else "gregorian"


def next_due(now: dt.datetime, frequency: str, locale: str = "fa") -> dt.datetime | None:
    """When a mail of `frequency` is next due after `now` (07:00 site time), None for `none`."""
    if frequency == "none":
        return None
    zone = local_zone()
    local = now.astimezone(zone)
    day = local.date() if local.hour < SEND_HOUR else local.date() + dt.timedelta(days=1)
    if frequency == "weekly":
        day += dt.timedelta(days=(SATURDAY - day.weekday()) % 7)
    elif frequency == "monthly":
        calendar = _calendar(locale)
        first = periods.unit_start(day, "month", calendar)
        day = first if first == day else periods.shift_months(first, 1, calendar)
    return dt.datetime.combine(day, dt.time(SEND_HOUR), tzinfo=zone).astimezone(dt.UTC)


def schedule(row: DashboardLayout, frequency: str, now: dt.datetime | None = None) -> None:
    """Set the layout's mail frequency and when it is next due."""
    user = session().get(User, row.user_id) if row.user_id is not None else None
    locale = (user.locale if user is not None else None) or _default_locale()
    if row.mail_frequency != frequency or (frequency != "none" and row.mail_next_at is None):
        row.mail_next_at = next_due(now or utcnow(), frequency, locale)
    row.mail_frequency = frequency


def mail_choice(frequency: str, today: dt.date, calendar: periods.Calendar) -> dashboard.Choice:
    """The period and comparison a mail of `frequency` sent on `today` covers."""
    yesterday = today - dt.timedelta(days=1)
    if frequency == "monthly":
        return dashboard.choose("last_month", "previous", calendar, today)
    first = yesterday - dt.timedelta(days=6 if frequency == "weekly" else 0)
    return dashboard.choose("custom", "previous", calendar, today, first, yesterday)


def render(title: str, intro: str, rows: list[tuple[str, str, str, str]], headers: tuple[str, str, str, str],
           rtl: bool, link: str) -> str:
    """The mail's HTML: a heading, one sentence and the summary table (inline styles only)."""
    align = "right" if rtl else "left"
    cell = f'style="border:1px solid #ccc;padding:4px 8px;text-align:{align}"'
    head = "".join(f"<th {cell}>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td {cell}><bdi>{escape(v)}</bdi></td>" for v in row) + "</tr>" for row in rows)
    more = f'<p><a href="{escape(link)}">{escape(link)}</a></p>' if link else ""
    return (f'<!doctype html><html dir="{"rtl" if rtl else "ltr"}"><body style="font-family:Vazirmatn,Tahoma,sans-serif">'
            f"<h1 style=\"font-size:18px\">{escape(title)}</h1><p>{escape(intro)}</p>"
            f'<table style="border-collapse:collapse">{"<thead><tr>" + head + "</tr></thead>"}<tbody>{body}</tbody>'
            f"</table>{more}</body></html>")


def _default_locale() -> str:
    """The deployment's language for users who chose none (`PAYVAND_DEFAULT_LOCALE`, else fa)."""
    from flask import current_app, has_app_context

    return str(current_app.config.get("PAYVAND_DEFAULT_LOCALE") or "fa") if has_app_context() else "fa"


def _base_url() -> str:
    import os

    from flask import current_app, has_app_context

    found = current_app.config.get("PAYVAND_BASE_URL") if has_app_context() else None
    return str(found or os.environ.get("PAYVAND_BASE_URL") or "").rstrip("/")


def message(row: DashboardLayout, user: User, today: dt.date) -> tuple[str, str, str] | None:
    """(subject, text, html) of the user's dashboard mail, in their language; None when they no
    longer see the dashboard."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from payvand.plugins.analytics import permissions as perm

    actor = user_actor(user.id)
    if actor is None or not actor.can(perm.VIEW):
        return None
    locale = user.locale or _default_locale()
    with force_locale(locale):
        choice = mail_choice(row.mail_frequency, today, _calendar(locale))
        results = dashboard.compute(actor, dashboard.entries(actor, dashboard.effective_layout(user.id)),
                                    choice.period, choice.comparison)
        rows = []
        for result in results:
            data = result.data
            if data is None:
                rows.append((result.widget.title, _("Unavailable"), "", ""))
                continue
            change = result.change
            rows.append((result.widget.title, dashboard.display(data.value, result.widget.unit, data.currency),
                         dashboard.display(data.previous, result.widget.unit, data.currency),
                         "" if change is None else f"{change:+.1f}%"))
        period = periods.label(choice.period)
        compared = periods.label(choice.comparison) if choice.comparison else ""
        subject = _("KPI dashboard: %(period)s", period=period)
        intro = _("Figures for %(period)s compared with %(previous)s.", period=period, previous=compared)
        headers = (_("KPI"), _("Value"), _("Previous"), _("Change"))
        link = _base_url() + "/analytics/dashboard" if _base_url() else ""
        html = render(subject, intro, rows, headers, locale == "fa", link)
        text = "\n".join([subject, "", intro, ""] + [" | ".join(v for v in r if v) for r in rows])
    return str(subject), str(text), html


def send_due(now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Mail every dashboard whose time has come (one bounded batch); returns how many were sent.

    A mail the server refuses stays due and is tried at the next run; a user who may no longer
    see the dashboard has their schedule switched off. Nothing happens while mail is off.
    """
    if not mail_enabled():
        return 0
    now = now or utcnow()
    db = session()
    due = db.execute(sa.select(DashboardLayout, User).join(User, User.id == DashboardLayout.user_id)
                     .where(DashboardLayout.mail_next_at <= now, DashboardLayout.mail_frequency != "none")
                     .order_by(DashboardLayout.mail_next_at, DashboardLayout.id).limit(limit)).all()
    sent = 0
    today = now.astimezone(local_zone()).date()
    for row, user in due:
        found = message(row, user, today) if user.is_active else None
        if found is None:
            row.mail_frequency, row.mail_next_at = "none", None
            continue
        subject, text, html = found
        try:
            send_mail(user.email, subject, text, html=html)
        except MailError as exc:
            log.warning("dashboard mail to user %s not sent, will retry: %s", user.id, exc)
            continue
        row.mail_last_at = now
        row.mail_next_at = next_due(now, row.mail_frequency, user.locale or _default_locale())
        sent += 1
    db.flush()
    return sent


def job() -> int:
    """The scheduled job: send the due dashboard mails."""
    return send_due()


def jobs() -> list[Any]:
    """`payvand_jobs`: the dashboard mail every 15 minutes."""
    from payvand.sdk import JobSpec

    return [JobSpec("analytics.dashboard_mail", job, 900, "Mail the KPI dashboards that are due")]
