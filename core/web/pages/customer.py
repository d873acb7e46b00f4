"""The customer 360 page: profile, key figures, the timeline of every interaction, logging, plugin panels.

Every request runs a fixed number of queries whatever the customer's history: the profile
(`read_customer`: the row and one query per child table), the owner's name, ONE aggregate
query for the key figures (over at most `FIGURES_CAP` latest rows, through the
`(customer_id, occurred_at, id)` index) and one keyset page of the timeline.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from payvand.core import locale_format
from payvand.core import permissions as perm
from payvand.core import settings as core_settings
from payvand.core.db import current_session
from payvand.core.listing import BadCursor
from payvand.core.models import Direction
from payvand.core.schemas import InteractionIn
from payvand.core.services import customers as customer_service
from payvand.core.services import interactions as interaction_service
from payvand.core.services import users as user_service
from payvand.core.services.interaction_list import INTERACTIONS, InteractionListArgs, timeline_entry, timeline_figures
from payvand.core.web import labels
from payvand.core.web.access import staff_required, staff_user
from payvand.core.web.forms import FormResult, flatten_errors, form_values, read_numbers
from payvand.core.web.i18n import current_locale, select_timezone, site_settings

bp = Blueprint("customer", __name__)

#: Interactions per timeline page.
PAGE_SIZE = 25
#: The key figures are computed over at most this many of the latest interactions; beyond it
#: the page shows "10,000+" (a whale's figures stay one bounded index range scan).
FIGURES_CAP = 10_000
#: Days counted as "recent" in the key figures.
RECENT_DAYS = 90

#: What staff log from the page: kind -> label.
LOG_KINDS: dict[str, Any] = labels.CORE_KINDS
#: Form field -> InteractionIn field, and back for the error messages.
_FORM_TO_SCHEMA = {"type": "kind", "details": "payload"}
_SCHEMA_TO_FORM = {"kind": "type", "payload": "details", "currency": "value"}
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DETAILS_MAX = 5000

def key_figures(customer_id: int) -> dict[str, Any]:
    """Counts and dates of the customer's interactions (one query, bounded by FIGURES_CAP)."""
    return timeline_figures(current_session(), customer_id, cap=FIGURES_CAP, recent_days=RECENT_DAYS)


# --------------------------------------------------------------------------- timeline


class BadRequest(ValueError):
    """A timeline query the page did not make (bad filter)."""


def timeline_filters() -> dict[str, Any]:
    """The timeline's query arguments (`channel`, `kind`, `cursor`), validated like the API's."""
    raw = {k: request.args.get(k, "").strip() for k in ("channel", "kind", "cursor")}
    try:
        args = InteractionListArgs().load({k: v for k, v in raw.items() if v})
    except ValidationError:
        raise BadRequest("filters") from None
    return {"channel": args.get("channel"), "kind": args.get("kind"), "cursor": args.get("cursor")}


def timeline_page(customer_id: int, filters: dict[str, Any]) -> dict[str, Any]:
    """One page of the timeline, newest first (the list kit's INTERACTIONS); BadCursor for a foreign cursor."""
    args = {k: v for k, v in filters.items() if v}
    page = INTERACTIONS.page(current_session(), {**args, "limit": PAGE_SIZE}, staff_user(), customer_id=customer_id)
    cursor = page.next_cursor
    base = {k: v for k, v in filters.items() if k != "cursor" and v}
    return {
        "items": page.items,
        "filters": filters,
        "next_cursor": cursor,
        "more_url": url_for("customer.timeline", customer_id=customer_id, cursor=cursor, **base) if cursor else None,
        "more_page_url": (url_for("customer.view", customer_id=customer_id, cursor=cursor, **base, _anchor="timeline")
                          if cursor else None),
    }


# --------------------------------------------------------------------------- helpers


def optional_url(endpoint: str, **values: Any) -> str | None:
    """`url_for(endpoint)` when another module registered it, else None (the link is left out)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def _labels() -> dict[str, dict[str, str]]:
    """The translated labels of channels, kinds and directions, computed once per request."""
    found = g.get("payvand_customer_labels")
    if found is None:
        found = g.payvand_customer_labels = {
            "channels": labels.channels(),
            "kinds": {kind: str(label) for kind, label in LOG_KINDS.items()},
            "directions": {name: str(label) for name, label in labels.DIRECTIONS.items()},
        }
    return found


def kind_label(kind: str) -> str:
    """A readable label for an interaction kind (the core's and the plugins' declared kinds; others as is)."""
    return labels.kind_label(kind)


def _owner_name(owner_id: int | None) -> str | None:
    return None if owner_id is None else user_service.user_label(current_session(), owner_id)


def parse_when(text: str, locale: str, tz: str) -> dt.datetime:
    """A typed date and time ("1403/05/12 14:30" in `fa`, "2024-08-02 14:30") in the deployment's zone.

    The time may be left out (midnight); ValueError when the text is not a date and time.
    """
    parts = text.replace("T", " ").split()
    if not 1 <= len(parts) <= 2:
        raise ValueError(text)
    day = locale_format.parse_date(parts[0], locale)
    hour = minute = second = 0
    if len(parts) == 2:
        match = _TIME_RE.match(parts[1])
        if not match:
            raise ValueError(text)
        hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=ZoneInfo(tz))



def read_log_form() -> FormResult:
    """The log form validated with the API's `InteractionIn` (errors keyed by the form's field names)."""
    values = form_values(numbers=("occurred_at", "value"))
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    for name in ("type", "channel", "direction", "summary"):
        if name in values:
            data[_FORM_TO_SCHEMA.get(name, name)] = values[name]
    if values.get("type") not in LOG_KINDS:
        errors["type"] = [_("Choose a call, note, meeting or message.")]
    if "channel" in values and values["channel"] not in labels.channels():
        errors["channel"] = [_("Choose a channel from the list.")]
    if not values.get("summary"):
        errors["summary"] = [_("Write a short summary.")]
    if values.get("details"):
        if len(values["details"]) > _DETAILS_MAX:
            errors["details"] = [_("At most %(count)s characters.", count=_DETAILS_MAX)]
        data["payload"] = {"details": request.form.get("details", "").strip()}
    if values.get("occurred_at"):
        try:
            data["occurred_at"] = parse_when(values["occurred_at"], current_locale(), select_timezone()).isoformat()
        except ValueError:
            errors["occurred_at"] = [_("Give a date and time such as %(example)s.",
                                       example="1403/05/12 14:30" if current_locale() == "fa" else "2024-08-02 14:30")]
    errors.update(read_numbers(values, ["value"]))  # "۱٬۲۵۰٬۰۰۰" is 1250000; "1,5" is refused
    if values.get("value") and "value" not in errors:
        data["value"] = values["value"]
        data["currency"] = site_settings().get(core_settings.CURRENCY) or "IRR"
    try:
        loaded = InteractionIn().load(data)
    except ValidationError as exc:
        loaded = {}
        for field, messages in flatten_errors(exc.messages).items():
            name = _SCHEMA_TO_FORM.get(field.split(".")[0], field.split(".")[0])
            errors.setdefault(name, []).extend(messages)  # translated by the `error_text` filter
    return FormResult(values=values, data=loaded if not errors else {}, errors=errors)


def _form_context() -> dict[str, Any]:
    """What the log form's template needs besides the form itself."""
    names = _labels()
    return {
        "channel_options": list(names["channels"].items()), "channel_label": labels.channel_label,
        "purposes": labels.PURPOSES, "log_kinds": names["kinds"], "directions": names["directions"],
        "kind_label": kind_label,
        "currency": site_settings().get(core_settings.CURRENCY) or "IRR",
        "when_example": "1403/05/12 14:30" if current_locale() == "fa" else "2024-08-02 14:30",
    }


class _Ref:
    """A customer named by id only, for the log form's templates (which need nothing else)."""

    def __init__(self, customer_id: int) -> None:
        self.id = customer_id


def _render_page(customer: Any, form: FormResult, status: int = 200) -> Any:
    """The 360 page of `customer` with the log form `form`."""
    user = staff_user()
    assert user is not None
    context: dict[str, Any] = {
        "customer": customer, "form": form, "owner_name": None, "figures": None, "timeline": None,
        "panels": [], "customer_kinds": labels.CUSTOMER_KINDS, "stages": labels.STAGES, "optional_url": optional_url,
        "can_view_timeline": user.can(perm.INTERACTION_VIEW),
        "can_log": user.can(perm.INTERACTION_CREATE) and customer_service.is_active(customer),
        "consents": sorted(customer.current_consents().values(), key=lambda c: (c.channel, c.purpose)),
        **_form_context(),
    }
    if customer.merged_into_id is None:
        context["owner_name"] = _owner_name(customer.owner_id)
        if context["can_view_timeline"]:
            try:
                filters = timeline_filters()
                context["timeline"] = timeline_page(customer.id, filters)
            except (BadRequest, BadCursor):
                context["timeline"] = timeline_page(customer.id, {})
            context["figures"] = key_figures(customer.id)
        context["panels"] = current_app.extensions["payvand"].customer_panels(customer, user)
    return render_template("customer/view.html", **context), status


def _load(customer_id: int) -> Any:
    customer = customer_service.read_customer(current_session(), customer_id)
    if customer is None:
        abort(404)
    return customer


# --------------------------------------------------------------------------- views


@bp.get("/customers/<int:customer_id>")
@staff_required(perm.CUSTOMER_VIEW)
def view(customer_id: int) -> Any:
    """The customer 360 page."""
    return _render_page(_load(customer_id), FormResult.empty({"type": "core.call", "channel": "phone",
                                                              "direction": Direction.outbound.value}))


@bp.get("/customers/<int:customer_id>/timeline")
@staff_required(perm.CUSTOMER_VIEW)
def timeline(customer_id: int) -> Any:
    """An htmx fragment: the next page of the timeline (filters `channel`, `kind`; `cursor`)."""
    user = staff_user()
    if user is None or not user.can(perm.INTERACTION_VIEW):
        abort(403)
    try:
        filters = timeline_filters()
    except BadRequest:
        abort(400)
    if not customer_service.customer_exists(current_session(), customer_id):
        abort(404)
    try:
        page = timeline_page(customer_id, filters)
    except BadCursor:
        abort(400)
    return render_template("customer/_timeline_page.html", page=page, customer_id=customer_id, **_form_context())


@bp.post("/customers/<int:customer_id>/interactions")
@staff_required(perm.CUSTOMER_VIEW)
def log(customer_id: int) -> Any:
    """Log a call, note, meeting or message on the customer's timeline."""
    user = staff_user()
    if user is None or not user.can(perm.INTERACTION_CREATE):
        abort(403)
    if not customer_service.customer_exists(current_session(), customer_id):
        abort(404)
    form = read_log_form()
    customer = _Ref(customer_id)
    htmx = bool(request.headers.get("HX-Request"))
    if not form.ok:
        if htmx:
            return render_template("customer/_log_form.html", form=form, customer=customer, **_form_context()), 422
        return _render_page(_load(customer_id), form, 422)
    data = form.data
    session = current_session()
    try:
        values = interaction_service.build_interaction(
            customer_id, data["kind"], data["channel"], data.get("summary") or "",
            direction=data["direction"], value=data.get("value"), currency=data.get("currency"),
            occurred_at=data.get("occurred_at"), payload=data.get("payload"), created_by_id=user.user_id,
        )
    except interaction_service.InteractionError as exc:
        form.errors[_SCHEMA_TO_FORM.get(exc.field, exc.field)] = [exc.message]
        return _render_page(_load(customer_id), form, 422)
    interaction = interaction_service.record(session, values)  # CustomerInactive: a 409 page
    session.commit()
    message = _("%(kind)s logged.", kind=kind_label(interaction.kind))
    if not htmx:
        flash(message, "success")
        return redirect(url_for("customer.view", customer_id=customer_id, _anchor="timeline"))
    item = timeline_entry(session, customer_id, interaction.id, user)
    fresh = FormResult.empty({"type": data["kind"], "channel": data["channel"], "direction": data["direction"]})
    return render_template("customer/_logged.html", item=item, form=fresh, customer=customer, message=message,
                           **_form_context())

