"""Deal pages: the kanban board, the deal list, a deal's page (products, activities), the deal
form and the weighted forecast.

The board moves a card with `POST /sales/deals/<id>/move` (form fields `stage_id`, `position`,
`reason_id`): the board's script sends it with `fetch` and the CSRF header when a card is
dragged, and every card also has a "Move to" select that posts the same form without script.
The record rule applies: without `sales.manage` a user sees and moves only their own deals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Deal, Pipeline, Reason, Stage
from payvand.plugins.sales.schemas import DealActivityForm, DealForm, MoveForm, PipelineForm, ReasonForm
from payvand.plugins.sales.services import activities as activity_service
from payvand.plugins.sales.services import pipeline as service
from payvand.plugins.sales.views import bp, id_arg, staff
from payvand.plugins.sales.views.messages import service_message
from payvand.sdk import FormResult, list_view, parse_form, session, staff_required
from payvand.sdk import gettext as _
from payvand.sdk import lazy_gettext as _l

PAGE = 50
STATUS_LABELS = {"open": _l("Open"), "won": _l("Won"), "lost": _l("Lost")}
KIND_LABELS = {"task": _l("Task"), "call": _l("Call"), "meeting": _l("Meeting"), "email": _l("Email")}
JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
#: The pipeline service's refusals (`services/pipeline.py`, English as the API gives them), shown by
#: these pages through `service_message(exc.message)`: listed so that message extraction finds them.
MESSAGES = (
    _l("Only a sales manager may give a deal to someone else."), _l("A deal needs a title."),
    _l("There is no such stage."), _l("A product is listed twice."), _l("Choose a won reason."),
    _l("Choose a lost reason."), _l("Say why the deal was lost."), _l("Choose a stage of the deal's pipeline."),
    _l("A pipeline needs a name."), _l("A pipeline with this name exists."), _l("A pipeline needs at least one stage."),
    _l("Stage names must be present and distinct."), _l("A probability is a percentage from 0 to 100."),
    _l("A reason is for won or lost deals."), _l("A reason needs a name."), _l("This reason exists."),
)


def _deal_or_404(deal_id: int) -> Deal:
    try:
        return service.get_deal(session(), deal_id, staff())
    except service.DealNotFound:
        abort(404)


def _pipelines() -> list[Pipeline]:
    found = service.list_pipelines(session())
    session().commit()  # the default pipeline, when it was just made
    return found


def _owner_choices() -> list[tuple[int, str]]:
    from payvand.sdk import User

    rows = session().execute(sa.select(User.id, User.name, User.email).where(User.is_active.is_(True))
                             .order_by(User.name, User.email).limit(500))
    return [(r.id, r.name or r.email) for r in rows]


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("HX-Request") == "true"


# --------------------------------------------------------------------------- board


@bp.get("/sales/board")
@staff_required(perm.DEAL_VIEW)
def board() -> Any:
    """The kanban board of a pipeline: a column per stage, a card per deal."""
    pipelines = _pipelines()
    wanted = id_arg("pipeline")
    pipeline = next((p for p in pipelines if p.id == wanted), pipelines[0])
    columns = service.board(session(), pipeline, staff())
    reasons = service.list_reasons(session())
    return render_template("sales/board.html", pipelines=pipelines, pipeline=pipeline, columns=columns,
                           reasons=reasons, can_edit=staff().can(perm.DEAL_EDIT))


@bp.post("/sales/deals/<int:deal_id>/move")
@staff_required(perm.DEAL_EDIT)
def deal_move(deal_id: int) -> Any:
    """Move a deal to a stage and place (from a drag on the board, or the card's "Move to" form)."""
    deal = _deal_or_404(deal_id)
    form = parse_form(MoveForm())
    error = None
    if not form.ok:
        error = next(iter(form.errors.values()))[0]
    else:
        try:
            service.move_deal(session(), deal, form.data["stage_id"], form.data.get("position"),
                              form.data.get("reason_id"), staff())
            session().commit()
        except service.PipelineError as exc:
            session().rollback()
            error = service_message(exc.message)
    if _wants_json():
        if error:
            return jsonify({"ok": False, "message": str(error)}), 422
        return jsonify({"ok": True, "id": deal.id, "stage_id": deal.stage_id, "position": deal.position,
                        "status": deal.status})
    if error:
        flash(str(error), "error")
    else:
        flash(_("Deal moved."), "success")
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("sales.board", pipeline=deal.pipeline_id)
    return redirect(target)


# --------------------------------------------------------------------------- list and detail


@bp.get("/sales/deals")
@staff_required(perm.DEAL_VIEW)
def deals() -> Any:
    """The deal list (`pipeline.DEALS`), newest first, filtered by status, stage and owner, a page at a time."""
    viewer = staff()
    view = list_view(service.DEALS, session(), viewer, "sales.deals", limit=PAGE,
                     message=lambda: _("The page link is no longer valid; start again from the first page."))
    names = _names(view.items)
    stages = {s.id: s for p in _pipelines() for s in p.stages}
    return render_template("sales/deals.html", view=view, deals=view.items, names=names, stages=stages,
                           statuses=STATUS_LABELS, filters=view.values, next_url=view.next_url,
                           first_url=view.first_url,
                           owner_choices=_owner_choices() if viewer.can(perm.MANAGE) else []), view.status


def _names(items: list[Deal]) -> dict[str, dict[int, str]]:
    from payvand.sdk import Customer

    customers = {d.customer_id for d in items if d.customer_id}
    found = dict(session().execute(sa.select(Customer.id, Customer.display_name).where(Customer.id.in_(customers)))
                 .all()) if customers else {}
    return {"customers": found, "owners": service.owner_names(session(), [d.owner_id for d in items])}


@bp.get("/sales/deals/<int:deal_id>")
@staff_required(perm.DEAL_VIEW)
def deal(deal_id: int) -> Any:
    """A deal: its stage, amount, customer, products and activities."""
    return _deal_page(_deal_or_404(deal_id), FormResult.empty({"kind": "task"}))


def _reminder_choices() -> Any:
    from payvand.plugins.sales.views.activities import REMINDER_CHOICES

    return REMINDER_CHOICES


def _deal_page(found: Deal, activity_form: FormResult, status: int = 200) -> Any:
    s = session()
    stage = s.get(Stage, found.stage_id)
    pipeline = s.get(Pipeline, found.pipeline_id)
    reason = s.get(Reason, found.reason_id) if found.reason_id else None
    names = _names([found])
    return render_template(
        "sales/deal.html", deal=found, stage=stage, pipeline=pipeline, reason=reason, names=names,
        products=service.deal_products(s, found.id), activities=activity_service.deal_activities(s, found.id),
        history=service.stage_history(s, found.id),
        activity_form=activity_form, kinds=KIND_LABELS, statuses=STATUS_LABELS, reminders=_reminder_choices(),
        reasons=service.list_reasons(s), can_edit=staff().can(perm.DEAL_EDIT),
    ), status


# --------------------------------------------------------------------------- form


def _form_page(form: FormResult, found: Deal | None, status: int = 200) -> Any:
    """The deal form. A manager picks any active owner; a rep has no owner field, unless the owner
    they posted was refused: then the field shows the refusal, offering the one owner they may
    name (themselves, or the deal's current owner)."""
    viewer = staff()
    stages = [(s.id, f"{p.name} · {s.name}") for p in _pipelines() for s in p.stages]
    if viewer.can(perm.MANAGE):
        owners = _owner_choices()
    elif form.error("owner_id"):
        owner = found.owner_id if found is not None and found.owner_id is not None else viewer.user_id
        assert owner is not None  # a staff user's actor always carries its user id
        owners = [(owner, service.owner_names(session(), [owner]).get(owner) or str(owner))]
    else:
        owners = []
    return render_template("sales/deal_form.html", form=form, deal=found, stages=stages,
                           owner_choices=owners), status


@bp.route("/sales/deals/new", methods=["GET", "POST"])
@staff_required(perm.DEAL_EDIT)
def deal_new() -> Any:
    """The new-deal form (validated like the API)."""
    if request.method == "GET":
        return _form_page(FormResult.empty({"currency": "IRR", "owner_id": staff().user_id,
                                            "customer_id": request.args.get("customer_id", "")}), None)
    form = parse_form(DealForm())
    if form.ok:
        try:
            made = service.create_deal(session(), form.data, staff())
            session().commit()
            flash(_("Deal saved."), "success")
            return redirect(url_for("sales.deal", deal_id=made.id))
        except service.PipelineError as exc:
            session().rollback()
            form.errors[exc.field] = [service_message(exc.message)]
    return _form_page(form, None, 422)


@bp.route("/sales/deals/<int:deal_id>/edit", methods=["GET", "POST"])
@staff_required(perm.DEAL_EDIT)
def deal_edit(deal_id: int) -> Any:
    """Change a deal (its stage changes on the board)."""
    found = _deal_or_404(deal_id)
    if request.method == "GET":
        values = {k: getattr(found, k) for k in ("title", "currency", "expected_close", "customer_id", "owner_id")}
        values["amount"] = format(found.amount, "f")
        return _form_page(FormResult.empty({k: ("" if v is None else v) for k, v in values.items()}), found)
    form = parse_form(DealForm(), keep_empty=["expected_close", "customer_id"])
    if form.ok:
        data = {k: v for k, v in form.data.items() if k != "stage_id"}  # the owner: held to rules.may_assign
        try:
            service.update_deal(session(), found, data, staff())
            session().commit()
            flash(_("Deal saved."), "success")
            return redirect(url_for("sales.deal", deal_id=found.id))
        except service.PipelineError as exc:
            session().rollback()
            form.errors[exc.field] = [service_message(exc.message)]
    return _form_page(form, found, 422)


# --------------------------------------------------------------------------- activities


@bp.post("/sales/deals/<int:deal_id>/activities")
@staff_required(perm.DEAL_EDIT)
def deal_activity_add(deal_id: int) -> Any:
    """Plan a task, call, meeting or email on a deal, with a due time and a reminder (the form and
    rules of the activities page; errors come back on the deal page)."""
    from payvand.plugins.sales.views.activities import activity_data

    found = _deal_or_404(deal_id)
    form = parse_form(DealActivityForm())
    if form.ok:
        try:
            activity_service.create_activity(session(), {**activity_data(form.data), "deal_id": found.id},
                                             staff())
            session().commit()
            flash(_("Activity planned."), "success")
            return redirect(url_for("sales.deal", deal_id=found.id))
        except activity_service.ActivityError as exc:
            session().rollback()
            field = {"_schema": "subject", "remind_at": "remind_before"}.get(exc.field, exc.field)
            form.errors[field] = [service_message(exc.message)]
    return _deal_page(found, form, 422)


# (marking an activity done or reopening it: views/activities.py)


# --------------------------------------------------------------------------- forecast


def month_label(key: tuple[int, int] | None, calendar: str) -> str:
    """A month key as text: Jalali month name in Persian, else the English month name."""
    if key is None:
        return _("No expected close date")
    year, month = key
    if calendar == "jalali":
        return f"{JALALI_MONTHS[month - 1]} {year}"
    return dt.date(year, month, 1).strftime("%B %Y")


@bp.get("/sales/forecast")
@staff_required(perm.DEAL_VIEW)
def forecast() -> Any:
    """The weighted forecast of open deals by month of expected close and by owner, per currency."""
    from flask_babel import get_locale

    calendar: Literal["gregorian", "jalali"] = "jalali" if str(get_locale()) == "fa" else "gregorian"
    pipelines = _pipelines()
    pipeline_id = id_arg("pipeline")
    viewer = staff()
    by_month = service.forecast_by_month(session(), viewer, calendar=calendar, pipeline_id=pipeline_id)
    by_owner = service.forecast_by_owner(session(), viewer, pipeline_id=pipeline_id)
    owners = service.owner_names(session(), [r.key for r in by_owner])
    return render_template("sales/forecast.html", by_month=by_month, by_owner=by_owner, owners=owners,
                           month_label=lambda key: month_label(key, calendar), pipelines=pipelines,
                           pipeline_id=pipeline_id)


# --------------------------------------------------------------------------- pipelines and reasons (managers)


def _stage_lines(lines: list[str]) -> list[tuple[str, int, str]]:
    """Parse `name, probability, outcome` lines (outcome optional: open); ValueError names the bad line."""
    stages = []
    for number, line in enumerate(lines, start=1):
        parts = [p.strip() for p in line.replace("،", ",").split(",")]
        if len(parts) not in (2, 3) or not parts[1].isdigit():
            raise ValueError(_("Line %(number)s: write name, probability, outcome.", number=number))
        outcome = parts[2].lower() if len(parts) == 3 and parts[2] else "open"
        stages.append((parts[0], int(parts[1]), outcome))
    return stages


def _pipelines_page(pipeline_form: FormResult, reason_form: FormResult, status: int = 200) -> Any:
    return render_template("sales/pipelines.html", pipelines=_pipelines(), reasons=service.list_reasons(session()),
                           pipeline_form=pipeline_form, reason_form=reason_form), status


@bp.get("/sales/pipelines")
@staff_required(perm.MANAGE)
def pipelines() -> Any:
    """Pipelines with their stages and probabilities, and the won/lost reasons."""
    return _pipelines_page(FormResult.empty(), FormResult.empty({"outcome": "lost"}))


@bp.post("/sales/pipelines")
@staff_required(perm.MANAGE)
def pipeline_new() -> Any:
    """Add a pipeline with its stages."""
    form = parse_form(PipelineForm(), lists=["stages"])
    if form.ok:
        try:
            service.create_pipeline(session(), form.data["name"], _stage_lines(form.data["stages"]))
            session().commit()
            flash(_("Pipeline saved."), "success")
            return redirect(url_for("sales.pipelines"))
        except ValueError as exc:
            form.errors["stages"] = [str(exc)]
        except service.PipelineError as exc:
            session().rollback()
            form.errors[exc.field] = [service_message(exc.message)]
    return _pipelines_page(form, FormResult.empty({"outcome": "lost"}), 422)


@bp.post("/sales/reasons")
@staff_required(perm.MANAGE)
def reason_new() -> Any:
    """Add a won or lost reason."""
    form = parse_form(ReasonForm())
    if form.ok:
        try:
            service.add_reason(session(), form.data["outcome"], form.data["name"])
            session().commit()
            flash(_("Reason saved."), "success")
            return redirect(url_for("sales.pipelines"))
        except service.PipelineError as exc:
            session().rollback()
            form.errors[exc.field] = [service_message(exc.message)]
    return _pipelines_page(FormResult.empty(), form, 422)
