"""Activity pages: "My activities" (overdue, today, upcoming, done; filters; add form; mark done or
reopen inline with htmx), the edit page, the customer picker of both forms and the calendar
(month or week, Jalali or Gregorian).

The record rule applies: without `sales.manage` a user sees the activities they own and those
on deals and leads they own. Times are typed and shown in the site's time zone.
Also here: the pieces the lead page and the customer 360 panel embed
(`lead_activities_html`, `customer_activities_panel`) and the nav badge count (`badge_count`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from marshmallow import ValidationError

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.schemas import MAX_REMIND_BEFORE, ActivityForm, ActivityPageArgs
from payvand.plugins.sales.services import activities as service
from payvand.plugins.sales.services import calendar as cal
from payvand.plugins.sales.services import leads as lead_service
from payvand.plugins.sales.views import bp, staff
from payvand.sdk import (
    FormResult,
    Panel,
    in_business_range,
    local_zone,
    parse_form,
    search_customers,
    session,
    staff_required,
    utcnow,
)
from payvand.sdk import gettext as _
from payvand.sdk import lazy_gettext as _l

SECTION = 20  # rows per section of "My activities"
PAGE = 50  # rows per page of a filtered list
PER_DAY = 4  # activities shown in a calendar day before "+k more"
KIND_LABELS = {"task": _l("Task"), "call": _l("Call"), "meeting": _l("Meeting"), "email": _l("Email")}
STATUS_LABELS = {"open": _l("Open"), "overdue": _l("Overdue"), "done": _l("Done")}
REMINDER_CHOICES = (("", _l("No reminder")), ("0", _l("At the due time")), ("15", _l("15 minutes before")),
                    ("60", _l("1 hour before")), ("1440", _l("1 day before")))
REMINDER_MINUTES = (0, 15, 60, 1440)
PICKS = 10  # customers the picker lists at most
CUSTOMER_VIEW = "core.customer.view"  # the core permission the customer picker needs too
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday"))


def _local_to_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=local_zone()).astimezone(dt.UTC)


def activity_data(form_data: dict[str, Any]) -> dict[str, Any]:
    """The service's input from a valid `ActivityForm`: the due time (typed in the site's time
    zone) in UTC and the reminder (minutes before) as a time."""
    data = dict(form_data)
    before = data.pop("remind_before", None)
    if data.get("due_at") is not None:
        data["due_at"] = _local_to_utc(data["due_at"])
        if before is not None:
            data["remind_at"] = data["due_at"] - dt.timedelta(minutes=before)
    return data


def _locale() -> str:
    return str(get_locale() or "en")


def _choices(current: Any = None) -> dict[str, list[tuple[int, str]]]:
    """The open deals and unconverted leads the user may link an activity to (two bounded queries);
    with `current` (an activity being edited) its own deal and lead are offered too."""
    s = session()
    found = service.link_choices(s, staff())
    if current is not None:  # a won deal or a converted lead stays selectable on its own activity
        links = service.link_names(s, [current])
        for key, record_id, names in (("deals", current.deal_id, links.deals), ("leads", current.lead_id, links.leads)):
            if record_id is not None and record_id not in {i for i, _t in found[key]}:
                found[key].insert(0, (record_id, names.get(record_id) or f"#{record_id}"))
    return found


def _read_args() -> tuple[dict[str, Any], dict[str, Any]]:
    raw = {k: v for k, v in request.args.items() if v.strip()}
    try:
        return raw, ActivityPageArgs().load(raw)
    except ValidationError as exc:
        bad = exc.messages if isinstance(exc.messages, dict) else {}
        raw = {k: v for k, v in raw.items() if k not in bad}
        return raw, ActivityPageArgs().load(raw)


def _filter(args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The activity list's arguments (`activities.ACTIVITIES`) from the page's: `scope` is `mine`,
    a `day` is its due range in the site's time zone."""
    values: dict[str, Any] = {k: args[k] for k in ("kind", "deal_id", "lead_id", "customer_id", "status") if k in args}
    values["mine"] = args.get("scope", "mine") == "mine"
    if args.get("day"):
        values["due_from"], values["due_to"] = service.day_bounds(args["day"], local_zone())
    values.update(extra)
    return values


def _page(form: FormResult, status: int = 200) -> Any:
    raw, args = _read_args()
    s, viewer, now = session(), staff(), utcnow()
    zone = local_zone()
    focused = any(k in args for k in ("status", "day", "cursor"))
    sections: list[tuple[str, str, list[Any], str | None]] = []
    next_url = cursor_error = None
    if focused:
        try:
            page = service.list_activities(s, viewer, {**_filter(args), "cursor": args.get("cursor"), "limit": PAGE},
                                           now=now)
        except service.BadCursor:  # a link of another list or an old one: the first page, and say so
            cursor_error = _("The page link is no longer valid; start again from the first page.")
            status = max(status, 400)
            page = service.list_activities(s, viewer, {**_filter(args), "limit": PAGE}, now=now)
        base = {k: v for k, v in raw.items() if k != "cursor"}
        next_url = url_for("sales.activities", cursor=page.next_cursor, **base) if page.next_cursor else None
        sections.append(("results", str(_("Activities")), page.items, None))
    else:
        today_start, today_end = service.day_bounds(now.astimezone(zone).date(), zone)
        plan = (
            ("overdue", _("Overdue"), {"status": "overdue"}, {"status": "overdue"}),
            ("today", _("Today"), {"status": "open", "due_from": now, "due_to": today_end},
             {"day": now.astimezone(zone).date().isoformat()}),
            ("upcoming", _("Upcoming"), {"status": "open", "due_from": today_end}, {"status": "open"}),
            ("someday", _("No due date"), {"status": "open", "undated": True}, {"status": "open"}),
            ("done", _("Done"), {"status": "done"}, {"status": "done"}),
        )
        for key, title, extra, more_args in plan:
            page = service.list_activities(s, viewer, {**_filter(args, **extra), "limit": SECTION}, now=now)
            more_url = url_for("sales.activities", **{**raw, **more_args}) if page.next_cursor else None
            sections.append((key, str(title), page.items, more_url))
    shown = [a for section in sections for a in section[2]]
    return render_template(
        "sales/activities.html", sections=sections, links=service.link_names(s, shown), kinds=KIND_LABELS,
        statuses=STATUS_LABELS, args=args, raw=raw, focused=focused, next_url=next_url, form=form,
        reminders=REMINDER_CHOICES, choices=_choices(), now=now, can_edit=viewer.can(perm.DEAL_EDIT),
        cursor_error=cursor_error,
        first_url=url_for("sales.activities", **{k: v for k, v in raw.items() if k != "cursor"}) if "cursor" in args else None,
    ), status


@bp.get("/sales/activities")
@staff_required(perm.DEAL_VIEW)
def activities() -> Any:
    """My activities: overdue, today, upcoming, undated and done ones; or one filtered list, a page at a time."""
    prefill = {k: request.args.get(k, "") for k in ("deal_id", "lead_id", "customer_id")}
    return _page(FormResult.empty({"kind": "task", **prefill}))


@bp.post("/sales/activities")
@staff_required(perm.DEAL_EDIT)
def activity_add() -> Any:
    """Plan an activity on a deal, a lead or a customer."""
    form = parse_form(ActivityForm())
    if form.ok:
        try:
            service.create_activity(session(), activity_data(form.data), staff())
            session().commit()
            flash(_("Activity planned."), "success")
            target = request.form.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("sales.activities")
            return redirect(target)
        except service.ActivityError as exc:
            session().rollback()
            form.errors[exc.field if exc.field != "_schema" else "deal_id"] = [_(exc.message)]
    return _page(form, 422)


def _activity_or_404(activity_id: int) -> Any:
    try:
        return service.get_activity(session(), activity_id, staff())
    except service.ActivityNotFound:
        abort(404)


def _after_change(activity: Any, message: str) -> Any:
    """The changed row for htmx, else back to `next` (a local path), the deal or the list."""
    if request.headers.get("HX-Request") == "true":
        s = session()
        return render_template("sales/activities_row.html", a=activity, links=service.link_names(s, [activity]),
                               kinds=KIND_LABELS, now=utcnow(), can_edit=True)
    flash(message, "success")
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = (url_for("sales.deal", deal_id=activity.deal_id) if activity.deal_id
                  else url_for("sales.activities"))
    return redirect(target)


@bp.post("/sales/activities/<int:activity_id>/done")
@staff_required(perm.DEAL_EDIT)
def activity_done(activity_id: int) -> Any:
    """Mark an activity done (a call, meeting or email on a customer goes on the customer's timeline)."""
    activity = _activity_or_404(activity_id)
    service.complete_activity(session(), activity, staff())
    session().commit()
    return _after_change(activity, _("Activity done."))


@bp.post("/sales/activities/<int:activity_id>/reopen")
@staff_required(perm.DEAL_EDIT)
def activity_reopen(activity_id: int) -> Any:
    """Mark a done activity open again."""
    activity = _activity_or_404(activity_id)
    service.reopen_activity(session(), activity, staff())
    session().commit()
    return _after_change(activity, _("Activity reopened."))


@bp.post("/sales/activities/<int:activity_id>/delete")
@staff_required(perm.DEAL_EDIT)
def activity_delete(activity_id: int) -> Any:
    """Delete an activity."""
    activity = _activity_or_404(activity_id)
    service.delete_activity(session(), activity, staff())
    session().commit()
    flash(_("Activity deleted."), "success")
    return redirect(url_for("sales.activities"))


def _local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site (no open redirect), else None."""
    target = target or ""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else None


def _edit_values(activity: Any) -> dict[str, Any]:
    """The edit form's inputs for `activity`: the due time in the site's time zone, the reminder as an offset."""
    values: dict[str, Any] = {k: getattr(activity, k) for k in ("subject", "kind", "notes", "deal_id", "lead_id",
                                                               "customer_id", "owner_id")}
    if activity.due_at is not None:
        try:
            local = activity.due_at.astimezone(local_zone())
        except (OverflowError, ValueError):  # a far time stored before the business-date range
            local = activity.due_at
        values["due_at"] = local.strftime("%Y-%m-%dT%H:%M")
        if activity.remind_at is not None:
            minutes = (activity.due_at - activity.remind_at).total_seconds() / 60
            if minutes == int(minutes) and 0 <= minutes <= MAX_REMIND_BEFORE:
                values["remind_before"] = int(minutes)
    return values


def _reminder_choices(activity: Any) -> tuple[tuple[str, Any], ...]:
    """The reminder choices of the edit form, with the activity's own offset when it is not a usual one
    (set through the API), so that saving the form keeps it."""
    values = _edit_values(activity)
    minutes = values.get("remind_before")
    if minutes is None or minutes in REMINDER_MINUTES:
        return REMINDER_CHOICES
    return (*REMINDER_CHOICES, (str(minutes), _("%(minutes)s minutes before", minutes=minutes)))


def _edit_page(activity: Any, form: FormResult, status: int = 200) -> Any:
    viewer = staff()
    links = service.link_names(session(), [activity])
    return render_template(
        "sales/activities_edit.html", a=activity, form=form, kinds=KIND_LABELS, reminders=_reminder_choices(activity),
        choices=_choices(activity), links=links, next=_local_path(request.values.get("next")),
        owner_choices=lead_service.owner_choices() if viewer.can(perm.MANAGE) else [],
    ), status


@bp.get("/sales/activities/<int:activity_id>/edit")
@staff_required(perm.DEAL_EDIT)
def activity_edit(activity_id: int) -> Any:
    """The edit form of an activity the user may see (404 otherwise), filled in with its values."""
    activity = _activity_or_404(activity_id)
    return _edit_page(activity, FormResult.empty(_edit_values(activity)))


@bp.post("/sales/activities/<int:activity_id>/edit")
@staff_required(perm.DEAL_EDIT)
def activity_update(activity_id: int) -> Any:
    """Save the edit form (validated as the add form; only a sales manager changes the owner); audited."""
    activity = _activity_or_404(activity_id)
    viewer = staff()
    form = parse_form(ActivityForm())
    if form.ok:
        data = dict(form.data)
        before = data.get("remind_before")
        due = _local_to_utc(data["due_at"]) if data.get("due_at") is not None else None
        if due is not None and activity.due_at is not None and activity.due_at.replace(second=0, microsecond=0) == due:
            due = activity.due_at  # the form shows minutes: an untouched due time keeps its seconds
        changes: dict[str, Any] = {
            "subject": data["subject"], "kind": data["kind"], "notes": data.get("notes"), "due_at": due,
            "remind_at": None if due is None or before is None else due - dt.timedelta(minutes=before),
        }
        for key in ("deal_id", "lead_id", "customer_id"):  # only a changed link is checked again
            if data.get(key) != getattr(activity, key):
                changes[key] = data.get(key)
        if "owner_id" in request.form and data.get("owner_id") != activity.owner_id:
            changes["owner_id"] = data.get("owner_id")  # the service holds it to rules.may_assign (a field error)
    if form.ok:
        try:
            service.update_activity(session(), activity, changes, viewer)
            session().commit()
            flash(_("Activity saved."), "success")
            return redirect(_local_path(request.form.get("next")) or url_for("sales.activities"))
        except service.ActivityError as exc:
            session().rollback()
            field = {"_schema": "deal_id", "remind_at": "remind_before"}.get(exc.field, exc.field)
            form.errors[field] = [_(exc.message)]
    return _edit_page(activity, form, 422)


@bp.get("/sales/activities/customers")
@staff_required(perm.DEAL_VIEW)
def activity_customers() -> Any:
    """The customer picker of the activity forms: up to ten live customers matching `q` (a name
    in either order, an email, a phone in any digits), as an HTML fragment; the core's search."""
    return customer_picks()


def customer_picks() -> Any:
    """The customer picker's answer to `?q=` (the activity and quote forms share it): up to PICKS
    live customers found by the core's search, as an HTML fragment; 403 without customer view."""
    if not staff().can(CUSTOMER_VIEW):
        abort(403)
    q = " ".join((request.args.get("q") or "").split())[:200]
    items: list[Any] = []
    hint = None
    if q and len(q.replace(" ", "")) < 2:
        hint = _("Type at least two letters of a name, or a phone number or email.")
    elif q:
        items = search_customers(q, PICKS)
    return render_template("sales/activities_customers.html", items=items, hint=hint, q=q)


# --------------------------------------------------------------------------- calendar


def _calendar_kind() -> str:
    wanted = request.args.get("calendar")
    if wanted in cal.CALENDARS:
        return wanted
    return "jalali" if _locale().startswith("fa") else "gregorian"


def _int_arg(name: str, low: int, high: int) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and low <= value <= high else None


@bp.get("/sales/calendar")
@staff_required(perm.DEAL_VIEW)
def calendar() -> Any:
    """A month (or week: `view=week`) of activities in the Jalali or Gregorian calendar, in the site's time zone."""
    kind, locale, zone = _calendar_kind(), _locale(), local_zone()
    today = utcnow().astimezone(zone).date()
    scope = "all" if request.args.get("scope") == "all" else "mine"
    view = "week" if request.args.get("view") == "week" else "month"
    year, month = cal.month_of(kind, today)
    low, high = (1200, 1600) if kind == "jalali" else (1800, 2300)
    year = _int_arg("year", low, high) or year
    month = _int_arg("month", 1, 12) or month
    grid = cal.month_grid(kind, year, month, today)
    try:
        focus = dt.date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        focus = None
    if focus is None or not in_business_range(focus):
        focus = today if grid.first <= today <= grid.last else grid.first
    week = cal.week_grid(kind, focus, today)
    days = [d.date for d in week] if view == "week" else [d.date for w in grid.weeks for d in w]
    per_day = 50 if view == "week" else PER_DAY
    by_day = cal.activities_by_day(session(), staff(), days, zone, per_day=per_day, mine=scope == "mine")
    monday_first = list(WEEKDAYS)
    start = cal.WEEK_START[kind]
    weekdays = [str(monday_first[(start + i) % 7]) for i in range(7)]
    prev_week, next_week = week[0].date - dt.timedelta(days=7), week[0].date + dt.timedelta(days=7)
    return render_template(
        "sales/calendar.html", kind=kind, grid=grid, week=week, view=view, by_day=by_day, weekdays=weekdays,
        title=cal.month_title(kind, year, month, locale), scope=scope, kinds=KIND_LABELS, zone=zone,
        today=today, prev_week=prev_week, next_week=next_week,
        week_title=_week_title(kind, week, locale), month_of=lambda d: cal.month_of(kind, d),
        clock=lambda moment: cal.localize(moment.astimezone(zone).strftime("%H:%M"), locale),
    )


def _week_title(kind: str, week: list[cal.Day], locale: str) -> str:
    first, last = week[0].date, week[-1].date
    y, m = cal.month_of(kind, first)
    y2, m2 = cal.month_of(kind, last)
    start = f"{week[0].number} {cal.month_title(kind, y, m, locale)}" if (y, m) != (y2, m2) else str(week[0].number)
    return cal.localize(f"{start} – {week[-1].number} ", locale) + cal.month_title(kind, y2, m2, locale)


# --------------------------------------------------------------------------- pieces for other pages


def lead_activities_html(lead: Any, user: Any) -> str:
    """The activities of a lead with a link to plan one, as HTML for the lead page (two to five queries)."""
    s = session()
    items = service.lead_activities(s, lead.id)
    return render_template("sales/activities_embed.html", items=items, links=service.link_names(s, items),
                           kinds=KIND_LABELS, now=utcnow(), can_edit=user.can(perm.DEAL_EDIT),
                           add_url=url_for("sales.activities", lead_id=lead.id) + "#activity-add")


def customer_activities_panel(customer: Any, user: Any) -> Panel | None:
    """The customer's open activities (the ones the user may see) for the customer 360 page."""
    if user is None or not user.can(perm.DEAL_VIEW):
        return None
    s = session()
    items = service.customer_activities(s, customer.id, user)
    html = render_template("sales/activities_embed.html", items=items, links=service.link_names(s, items),
                           kinds=KIND_LABELS, now=utcnow(), can_edit=user.can(perm.DEAL_EDIT),
                           add_url=url_for("sales.activities", customer_id=customer.id) + "#activity-add")
    return Panel(title=str(_l("Activities")), html=html, order=31, key="sales-activities")


def badge_count(user: Any) -> int:
    """How many of the user's open activities are overdue or due today (for a nav badge); one query."""
    user_id = user.user_id
    if user_id is None:
        return 0
    return service.reminder_count(session(), user_id, local_zone())
