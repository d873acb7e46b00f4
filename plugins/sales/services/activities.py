"""Activities: tasks, calls, meetings and emails planned on a deal, a lead or a customer.

Used by the API (`api/activities.py`), the staff pages (`views/activities.py`, the deal page)
and the scheduled reminder job. Every function works in the current session and leaves
committing to the actor (the job excepted: the job runner commits it).

- An activity is attached to a deal, a lead or a customer (at least one). On a deal or a
  lead whose customer is known, the customer is filled in from it.
- The owner defaults to the acting user; only a manager (`sales.manage`) gives an activity
  to someone else.
- Record rule: a actor without `sales.manage` sees and changes only the activities they own
  and those attached to deals or leads they own (others answer "not found").
- Completing a call, meeting or email on a customer records the core interaction
  `sales.activity_done` on the customer's timeline (channel phone, in person or email).
- Reminders: the job `sales.activity_reminders` mails each owner whose reminder time has
  come (in the owner's language), marking `reminded_at` only for the messages the server
  accepted; a failed send is tried again at the next run. With mail off, reminders show
  in-app only (`reminders_widget`, `reminder_count`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import MAX_ID, Activity, Deal, Lead
from payvand.plugins.sales.services import rules
from payvand.plugins.sales.services.local_time import day_bounds as day_bounds  # the pages read service.day_bounds
from payvand.plugins.sales.services.local_time import format_moment
from payvand.plugins.sales.services.pipeline import PipelineError
from payvand.sdk import (
    SYSTEM,
    Actor,
    Customer,
    Filter,
    ListContext,
    ListSpec,
    Page,
    Sort,
    SortKey,
    User,
    audit,
    get_visible,
    record_interaction,
    restrict,
    utcnow,
)
from payvand.sdk import (
    BadCursor as BadCursor,  # the activity API and page catch service.BadCursor
)

log = logging.getLogger(__name__)

KINDS = ("task", "call", "meeting", "email")
STATUSES = ("open", "done", "overdue")
#: The core channel of the timeline entry recorded when an activity of this kind is completed.
CHANNEL_OF_KIND = {"call": "phone", "meeting": "in_person", "email": "email"}
#: How many due reminders one run of the job mails at most.
REMINDER_BATCH = 200
_AUDITED = ("kind", "subject", "deal_id", "lead_id", "customer_id", "owner_id", "due_at", "remind_at", "done_at")


def N_(text: str) -> str:
    """Mark a message for translation where it is raised; the pages translate it when shown."""
    return text


class ActivityError(PipelineError):
    """A request the activity rules refuse: `field` names the offending input (or `_schema`)."""


class ActivityNotFound(Exception):
    """No such activity, or one the actor may not see (the record rule answers 404, not 403)."""


# --------------------------------------------------------------------------- record rule


def get_activity(s: Session, activity_id: int, actor: Actor = SYSTEM) -> Activity:
    """The activity with this id the actor may see; else ActivityNotFound."""
    if not 1 <= activity_id <= MAX_ID:
        raise ActivityNotFound(activity_id)
    found = get_visible(s, Activity, activity_id, actor)
    if found is None:
        raise ActivityNotFound(activity_id)
    return found


def link_choices(s: Session, actor: Actor, limit: int = 200) -> dict[str, list[tuple[int, str]]]:
    """The newest open deals and unconverted leads `actor` may see, as (id, name) choices to link
    an activity to (two bounded queries)."""
    deals = restrict(cast(sa.Select[Any], sa.select(Deal.id, Deal.title).where(Deal.status == "open")), actor, Deal)
    name = sa.func.coalesce(Lead.organization_name, Lead.family_name, Lead.given_name, Lead.email, Lead.phone)
    leads = restrict(cast(sa.Select[Any], sa.select(Lead.id, name).where(Lead.status != "converted")), actor, Lead)
    return {"deals": [(i, t) for i, t in s.execute(deals.order_by(Deal.id.desc()).limit(limit))],
            "leads": [(i, t or f"#{i}") for i, t in s.execute(leads.order_by(Lead.id.desc()).limit(limit))]}


# --------------------------------------------------------------------------- create / change


def _audited(activity: Activity) -> dict[str, Any]:
    values = {key: getattr(activity, key) for key in _AUDITED}
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in values.items()}


def _aware(value: Any, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ActivityError(field, N_("Give a time with its time zone."))
    return value.astimezone(dt.UTC)


def _link(s: Session, activity: Activity, data: dict[str, Any], actor: Actor) -> None:
    """Set the deal, lead and customer of `activity` from `data` (each checked), then require one."""
    for field, model, missing in (("deal_id", Deal, N_("There is no such deal.")),
                                  ("lead_id", Lead, N_("There is no such lead."))):
        if field not in data:
            continue
        record_id = data[field]
        if record_id is not None:
            found = get_visible(s, model, record_id, actor) if 1 <= record_id <= MAX_ID else None
            if found is None:
                raise ActivityError(field, missing)
            if found.customer_id is not None and "customer_id" not in data and activity.customer_id is None:
                activity.customer_id = found.customer_id
        setattr(activity, field, record_id)
    if "customer_id" in data:
        customer_id = data["customer_id"]
        if customer_id is not None and (not 1 <= customer_id <= MAX_ID or s.scalar(
                sa.select(Customer.id).where(Customer.id == customer_id, Customer.merged_into_id.is_(None))) is None):
            raise ActivityError("customer_id", N_("There is no such customer."))
        activity.customer_id = customer_id
    if activity.deal_id is None and activity.lead_id is None and activity.customer_id is None:
        raise ActivityError("_schema", N_("Attach the activity to a deal, a lead or a customer."))


def _set_fields(s: Session, activity: Activity, data: dict[str, Any], actor: Actor) -> None:
    if "kind" in data:
        if data["kind"] not in KINDS:
            raise ActivityError("kind", N_("Choose task, call, meeting or email."))
        activity.kind = data["kind"]
    if "subject" in data:
        subject = (data["subject"] or "").strip()
        if not subject:
            raise ActivityError("subject", N_("An activity needs a subject."))
        activity.subject = subject[:200]
    if "notes" in data:
        activity.notes = (data["notes"] or "").strip() or None
    if "due_at" in data:
        activity.due_at = _aware(data["due_at"], "due_at")
    if "remind_at" in data:
        remind = _aware(data["remind_at"], "remind_at")
        if remind != activity.remind_at:
            activity.reminded_at = None  # a new reminder time: remind again
        activity.remind_at = remind
    if activity.remind_at is not None and activity.due_at is not None and activity.remind_at > activity.due_at:
        raise ActivityError("remind_at", N_("The reminder must come before the due time."))
    if "owner_id" in data:
        owner_id = data["owner_id"]
        if not rules.may_assign(actor, owner_id, activity.owner_id):
            raise ActivityError("owner_id", N_("Only a sales manager may give an activity to someone else."))
        if owner_id is not None and (not 1 <= owner_id <= MAX_ID or s.scalar(
                sa.select(User.id).where(User.id == owner_id, User.is_active.is_(True))) is None):
            raise ActivityError("owner_id", N_("There is no such user."))
        activity.owner_id = owner_id
    _link(s, activity, data, actor)


def create_activity(s: Session, data: dict[str, Any], actor: Actor = SYSTEM) -> Activity:
    """Plan an activity. `data`: kind (task), subject, notes, deal_id/lead_id/customer_id (at
    least one), owner_id (default: the actor, else the deal's or lead's owner), due_at and
    remind_at (aware datetimes; the reminder not after the due time)."""
    data = dict(data)
    data.setdefault("kind", "task")
    data.setdefault("subject", "")
    if data.get("owner_id") is None:
        data.pop("owner_id", None)
    activity = Activity(kind="task", subject="", owner_id=actor.user_id)
    _set_fields(s, activity, data, actor)
    if activity.owner_id is None:  # a script or job: the owner of what it is attached to
        if activity.deal_id is not None:
            activity.owner_id = s.scalar(sa.select(Deal.owner_id).where(Deal.id == activity.deal_id))
        elif activity.lead_id is not None:
            activity.owner_id = s.scalar(sa.select(Lead.owner_id).where(Lead.id == activity.lead_id))
    s.add(activity)
    s.flush()
    audit("create", Activity.__tablename__, activity.id, after=_audited(activity))
    return activity


def update_activity(s: Session, activity: Activity, data: dict[str, Any], actor: Actor = SYSTEM) -> Activity:
    """Change an activity's fields (those present in `data`); a new reminder time re-arms the reminder."""
    before = _audited(activity)
    _set_fields(s, activity, dict(data), actor)
    s.flush()
    after = _audited(activity)
    changed = [k for k in _AUDITED if before[k] != after[k]]
    if changed:
        audit("update", Activity.__tablename__, activity.id, before={k: before[k] for k in changed},
              after={k: after[k] for k in changed})
    return activity


def complete_activity(s: Session, activity: Activity, actor: Actor = SYSTEM) -> Activity:
    """Mark an activity done (now); completing it again keeps the first time.

    A call, meeting or email on a customer is recorded on the customer's timeline
    (`sales.activity_done`).
    """
    if activity.done_at is not None:
        return activity
    activity.done_at = utcnow()
    s.flush()
    audit("complete", Activity.__tablename__, activity.id, before={"done_at": None},
          after={"done_at": activity.done_at.isoformat()})
    channel = CHANNEL_OF_KIND.get(activity.kind)
    if channel is not None and activity.customer_id is not None:
        record_interaction(
            activity.customer_id, "sales.activity_done", channel, f"{activity.kind.capitalize()}: {activity.subject}"[:500],
            occurred_at=activity.done_at, source=("sales.activity", activity.id), direction="outbound",
            payload={"activity_id": activity.id, "kind": activity.kind, "subject": activity.subject,
                     "deal_id": activity.deal_id, "lead_id": activity.lead_id},
        )
    return activity


def reopen_activity(s: Session, activity: Activity, actor: Actor = SYSTEM) -> Activity:
    """Mark a done activity open again (its timeline entry, if any, stays)."""
    if activity.done_at is None:
        return activity
    before = activity.done_at.isoformat()
    activity.done_at = None
    s.flush()
    audit("reopen", Activity.__tablename__, activity.id, before={"done_at": before}, after={"done_at": None})
    return activity


def delete_activity(s: Session, activity: Activity, actor: Actor = SYSTEM) -> None:
    """Delete an activity (audited with its fields)."""
    audit("delete", Activity.__tablename__, activity.id, before=_audited(activity))
    s.delete(activity)
    s.flush()


# --------------------------------------------------------------------------- lists


#: Where activities without a due time sort in the `due` order (after every dated one; the
#: `undated` key orders them first, so a real date this far out cannot interleave).
_NO_DUE = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def _now(context: ListContext) -> dt.datetime:
    return cast(dt.datetime, context.extra.get("now") or utcnow())


def _mine(value: bool, _op: str, context: ListContext) -> Any:
    if not value:
        return None
    return Activity.owner_id == (context.actor.user_id if context.actor is not None else None)


def _status(value: str, _op: str, context: ListContext) -> Any:
    if value == "done":
        return Activity.done_at.is_not(None)
    if value == "overdue":
        return sa.and_(Activity.done_at.is_(None), Activity.due_at < _now(context))
    return Activity.done_at.is_(None)


def _undated_key() -> Any:
    return sa.case((Activity.due_at.is_(None), 1), else_=0)


def _due_key() -> Any:
    return sa.func.coalesce(Activity.due_at, sa.literal(_NO_DUE, Activity.due_at.type))


_FILTERS = (
    Filter("mine", "boolean", apply=_mine, description="Only the caller's own activities"),
    Filter("status", "choice", apply=_status, choices=STATUSES,
           description="open, done or overdue (open and due before now)"),
    Filter("kind", "choice", column=Activity.kind, choices=KINDS),
    Filter("owner_id", "id", column=Activity.owner_id),
    Filter("deal_id", "id", column=Activity.deal_id),
    Filter("lead_id", "id", column=Activity.lead_id),
    Filter("customer_id", "id", column=Activity.customer_id),
    Filter("due_from", "datetime", apply=lambda value, _op, _ctx: Activity.due_at >= value,
           description="Due at or after this time"),
    Filter("due_to", "datetime", apply=lambda value, _op, _ctx: Activity.due_at < value,
           description="Due before this time"),
    Filter("undated", "boolean", apply=lambda value, _op, _ctx: Activity.due_at.is_(None) if value else None,
           description="Only the activities without a due time"),
)

#: The activity list (API, "My activities" page): filters `mine`, `status` (open, done, overdue =
#: open and due before now), `kind`, `owner_id`, `deal_id`, `lead_id`, `customer_id`, `due_from`
#: (inclusive), `due_to` (exclusive), `undated`; by due time, those without one last, then by id.
#: Record rules of activities applied by the kit.
ACTIVITIES = ListSpec(
    name="sales.activities",
    model=Activity,
    filters=_FILTERS,
    sorts=(Sort("due", (SortKey(_undated_key, "undated", "int", value=lambda row: 1 if row.due_at is None else 0),
                        SortKey(_due_key, "due_at", "datetime", value=lambda row: row.due_at or _NO_DUE),
                        SortKey(Activity.id, "id", "id"))),),
)
#: The same list when it shows done activities (`status=done`): most recently done first. The
#: order is not a choice of the caller but follows the status, so each is a one-sort list (no
#: `sort` argument); the cursor names the sort, so one order's cursor is refused by the other.
DONE_ACTIVITIES = ListSpec(
    name="sales.activities",
    model=Activity,
    filters=_FILTERS,
    sorts=(Sort("done", (SortKey(Activity.done_at, "done_at", "datetime", descending=True),
                         SortKey(Activity.id, "id", "id", descending=True))),),
)


def activity_list(args: dict[str, Any]) -> ListSpec:
    """The list that answers `args` (ACTIVITIES' arguments): DONE_ACTIVITIES for `status=done`,
    else ACTIVITIES; ActivityError on `due_to` for a range that ends before it starts."""
    if args.get("due_from") and args.get("due_to") and args["due_from"] > args["due_to"]:
        raise ActivityError("due_to", N_("Must not be before due_from."))
    return DONE_ACTIVITIES if args.get("status") == "done" else ACTIVITIES


def list_activities(s: Session, actor: Actor, args: dict[str, Any], *, now: dt.datetime | None = None) -> Page:
    """One page of the activities the actor may see, filtered by `args` (ACTIVITIES' arguments).

    Done activities (`status=done`) come most recently done first; every other list by due time
    (earliest first), then those without a due time, by id. One query. Raises ActivityError (see
    `activity_list`), BadCursor for a cursor this list (in this order) did not make.
    """
    return activity_list(args).page(s, args, actor, now=now or utcnow())


def deal_activities(s: Session, deal_id: int) -> list[Activity]:
    """A deal's activities: open ones by due time first, then done ones (at most 200)."""
    return list(s.scalars(sa.select(Activity).where(Activity.deal_id == deal_id)
                          .order_by(Activity.done_at.is_not(None), Activity.due_at, Activity.id).limit(200)))


def lead_activities(s: Session, lead_id: int, limit: int = 100) -> list[Activity]:
    """A lead's activities (for the lead page): open ones by due time first, then done ones."""
    return list(s.scalars(sa.select(Activity).where(Activity.lead_id == lead_id)
                          .order_by(Activity.done_at.is_not(None), Activity.due_at, Activity.id).limit(limit)))


def customer_activities(s: Session, customer_id: int, actor: Actor = SYSTEM, limit: int = 10) -> list[Activity]:
    """The customer's open activities the actor may see, by due time (for the customer 360 panel)."""
    query = restrict(sa.select(Activity), actor, Activity).where(Activity.customer_id == customer_id,
                                                        Activity.done_at.is_(None))
    return list(s.scalars(query.order_by(Activity.due_at.is_(None), Activity.due_at, Activity.id).limit(limit)))


@dataclasses.dataclass(frozen=True)
class Links:
    """Names of the deals, leads, customers and owners a list of activities points at."""

    deals: dict[int, str]
    leads: dict[int, str]
    customers: dict[int, str]
    owners: dict[int, str]


def link_names(s: Session, activities: list[Any]) -> Links:
    """The titles and names shown beside activities (four queries at most, whatever their number)."""

    def ids(attr: str) -> set[int]:
        return {getattr(a, attr) for a in activities if getattr(a, attr) is not None}

    def fetch(query: Any, wanted: set[int]) -> dict[int, str]:
        return {row[0]: row[1] or "" for row in s.execute(query)} if wanted else {}

    deals, leads, customers, owners = ids("deal_id"), ids("lead_id"), ids("customer_id"), ids("owner_id")
    lead_name = sa.func.coalesce(sa.func.nullif(sa.func.trim(sa.func.coalesce(Lead.given_name, "") + " "
                                                             + sa.func.coalesce(Lead.family_name, "")), ""),
                                 Lead.organization_name, Lead.email, Lead.phone)
    return Links(
        deals=fetch(sa.select(Deal.id, Deal.title).where(Deal.id.in_(deals)), deals),
        leads=fetch(sa.select(Lead.id, lead_name).where(Lead.id.in_(leads)), leads),
        customers=fetch(sa.select(Customer.id, Customer.display_name).where(Customer.id.in_(customers)), customers),
        owners=fetch(sa.select(User.id, sa.func.coalesce(sa.func.nullif(User.name, ""), User.email))
                     .where(User.id.in_(owners)), owners),
    )


# --------------------------------------------------------------------------- in-app reminders


def due_soon(s: Session, user_id: int, zone: dt.tzinfo, now: dt.datetime | None = None,
             limit: int = 10) -> tuple[list[Activity], int]:
    """The user's open activities that are overdue or due before the end of today (local), earliest
    first (at most `limit`), and how many there are in all (two queries, on the owner index)."""
    now = now or utcnow()
    _, end = day_bounds(now.astimezone(zone).date(), zone)
    where = (Activity.owner_id == user_id, Activity.done_at.is_(None), Activity.due_at < end)
    items = list(s.scalars(sa.select(Activity).where(*where).order_by(Activity.due_at, Activity.id).limit(limit)))
    count = len(items) if len(items) < limit else int(s.scalar(sa.select(sa.func.count()).select_from(Activity)
                                                                .where(*where)) or 0)
    return items, count


def reminder_count(s: Session, user_id: int, zone: dt.tzinfo, now: dt.datetime | None = None) -> int:
    """How many open activities of the user are overdue or due today (a nav badge); one query."""
    now = now or utcnow()
    _, end = day_bounds(now.astimezone(zone).date(), zone)
    return int(s.scalar(sa.select(sa.func.count()).select_from(Activity)
                        .where(Activity.owner_id == user_id, Activity.done_at.is_(None), Activity.due_at < end)) or 0)


# --------------------------------------------------------------------------- reminder mail


def due_conditions(now: dt.datetime) -> tuple[Any, ...]:
    """Where-clauses of the open activities whose reminder time has come and that were not
    reminded yet (served by the `remind_at` index)."""
    return (Activity.remind_at <= now, Activity.reminded_at.is_(None), Activity.done_at.is_(None))


def _base_url() -> str:
    from flask import current_app, has_app_context

    found = current_app.config.get("PAYVAND_BASE_URL") if has_app_context() else None
    return str(found or os.environ.get("PAYVAND_BASE_URL") or "").rstrip("/")


def _default_locale() -> str:
    from flask import current_app, has_app_context

    return str(current_app.config.get("PAYVAND_DEFAULT_LOCALE") or "fa") if has_app_context() else "fa"


def link_path(activity: Any) -> str:
    """The staff page an activity is about: its deal, else its lead, else its customer."""
    if activity.deal_id is not None:
        return f"/sales/deals/{activity.deal_id}"
    if activity.lead_id is not None:
        return f"/sales/leads/{activity.lead_id}"
    if activity.customer_id is not None:
        return f"/customers/{activity.customer_id}"
    return "/sales/activities"


def reminder_message(activity: Any, about: str, locale: str, zone: dt.tzinfo) -> tuple[str, str]:
    """The subject and plain-text body of a reminder mail in `locale` (Flask-Babel `force_locale`)."""
    from flask_babel import force_locale
    from flask_babel import gettext as _


    link = _base_url() + link_path(activity)
    with force_locale(locale):
        kind = {"task": _("Task"), "call": _("Call"), "meeting": _("Meeting"), "email": _("Email")}[activity.kind]
        subject = _("Reminder: %(subject)s", subject=activity.subject)
        lines = [f"{kind}: {activity.subject}"]
        if activity.due_at is not None:
            lines.append(_("Due: %(when)s", when=format_moment(activity.due_at, locale, zone)))
        if about:
            lines.append(_("About: %(name)s", name=about))
        if activity.notes:
            lines += ["", activity.notes]
        lines += ["", _("Open it: %(link)s", link=link), "", _("This reminder was sent by Payvand.")]
    return subject, "\n".join(str(line) for line in lines)


#: Consecutive send failures after which a run stops (the rest wait for the next run).
MAX_FAILURES_IN_A_ROW = 3


def deliver_reminders(now: dt.datetime | None = None, limit: int = REMINDER_BATCH) -> int:
    """Mail the owner of each due reminder (one bounded batch); returns how many were delivered.

    Only delivered reminders are marked (`reminded_at`); one the server refused stays due and
    is tried again at the next run. With mail off nothing is sent or marked: the reminders
    show in-app (`reminders_widget`). Failures are logged without the server's credentials.
    """
    from payvand.sdk import MailError, local_zone, mail_enabled, send_mail, session

    if not mail_enabled():
        return 0
    s = session()
    now = now or utcnow()
    zone = local_zone()
    lead_name = sa.func.coalesce(sa.func.nullif(sa.func.trim(sa.func.coalesce(Lead.given_name, "") + " "
                                                             + sa.func.coalesce(Lead.family_name, "")), ""),
                                 Lead.organization_name, Lead.email)
    rows = s.execute(
        sa.select(Activity, User.email, User.locale,
                  sa.func.coalesce(Deal.title, lead_name, Customer.display_name).label("about"))
        .join(User, User.id == Activity.owner_id)
        .outerjoin(Deal, Deal.id == Activity.deal_id)
        .outerjoin(Lead, Lead.id == Activity.lead_id)
        .outerjoin(Customer, Customer.id == Activity.customer_id)
        .where(*due_conditions(now), User.is_active.is_(True))
        .order_by(Activity.remind_at, Activity.id).limit(limit)
    ).all()
    sent: list[int] = []
    fallback = _default_locale()
    failures = 0
    for activity, email, locale, about in rows:
        subject, text = reminder_message(activity, about or "", locale or fallback, zone)
        try:
            send_mail(email, subject, text)
        except MailError as exc:
            log.warning("reminder for activity %s not sent, will retry: %s", activity.id, exc)
            failures += 1
            if failures >= MAX_FAILURES_IN_A_ROW:  # the server is down: don't wait on it once per reminder
                break
            continue
        failures = 0
        sent.append(activity.id)
    if sent:
        s.execute(sa.update(Activity).where(Activity.id.in_(sent)).values(reminded_at=now)
                  .execution_options(synchronize_session="fetch"))
    return len(sent)


def remind_job() -> int:
    """The scheduled job: mail the due reminders; returns how many were delivered."""
    return deliver_reminders()


def jobs() -> list[Any]:
    """The activities' scheduled jobs (for `payvand_jobs`): reminder mail every 5 minutes."""
    from payvand.sdk import JobSpec

    return [JobSpec("sales.activity_reminders", remind_job, 300, "Mail activity reminders to their owners")]


def reminders_widget(user: Any) -> Any:
    """The start page's reminders (`payvand_dashboard_widgets`): the user's overdue and due-today
    activities; None for users who do not see deals."""
    from flask import render_template
    from flask_babel import lazy_gettext

    from payvand.sdk import Panel, local_zone, session

    if user is None or not user.can(perm.DEAL_VIEW):
        return None
    user_id = user.user_id
    if user_id is None:
        return None
    s = session()
    now = utcnow()
    items, count = due_soon(s, user_id, local_zone(), now)
    html = render_template("sales/activities_widget.html", items=items, count=count, now=now,
                           links=link_names(s, items))
    return Panel(title=str(lazy_gettext("My activities due")), html=html, order=5, key="sales-activities")
