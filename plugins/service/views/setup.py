"""The help desk's settings pages (`service.manage`): teams, assignment rules, business-hours
calendars, SLA policies, service contracts and macros; and applying a macro on a ticket.

Every form is validated by the API's schemas (`schemas_setup.py` reads numbers from text) and
saved through `services/setup.py` / `services/macros.py`, the same functions the API calls.
A refusal is shown next to its field with status 422; a success redirects (POST/redirect/GET).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.labels import PRIORITY_LABELS, TYPE_LABELS, choices
from payvand.plugins.service.models import AssignmentRule, Calendar, SlaPolicy, Team
from payvand.plugins.service.models_macros import Macro
from payvand.plugins.service.schemas_setup import CalendarForm, ContractForm, MacroForm, PolicyForm, RuleForm, TeamForm
from payvand.plugins.service.services import macros as macro_service
from payvand.plugins.service.services import setup
from payvand.plugins.service.services.contract_lists import CONTRACTS
from payvand.plugins.service.views import bp
from payvand.plugins.service.views.tickets import status_labels
from payvand.sdk import FormResult, current_actor, list_view, parse_form, session, staff_required, to_latin_digits
from payvand.sdk import gettext as _

_TIME = r"(?:[01]?\d|2[0-3]):[0-5]\d|24:00"
_INTERVAL = re.compile(rf"^\s*({_TIME})\s*[-–]\s*({_TIME})\s*$")


def _row(model: Any, row_id: int) -> Any:
    try:
        return setup.get(session(), model, row_id)
    except setup.SetupError:
        abort(404)


def _save(form: FormResult, change: Callable[[], Any], done: str, target: str) -> Any:
    """Run a setup change for a valid form and commit; None when refused (the error is put on the form)."""
    if not form.ok:
        return None
    try:
        change()
    except setup.SetupError as exc:
        session().rollback()
        if exc.status == 404:
            abort(404)
        form.errors.setdefault(exc.field, []).append(_(exc.message))
        return None
    session().commit()
    flash(done, "success")
    return redirect(target)


def _cleared(form: FormResult, optional: list[str]) -> dict[str, Any]:
    """An edit form's data with the optional fields it left out (or empty) cleared."""
    return {**dict.fromkeys(optional), **form.data}


def _choices() -> dict[str, Any]:
    teams = [(t.id, t.name) for t in setup.teams(session())]
    calendars = [(c.id, c.name) for c in setup.calendars(session())]
    return {"team_choices": teams, "calendar_choices": calendars, "type_choices": choices(TYPE_LABELS),
            "priority_choices": choices(PRIORITY_LABELS), "status_choices": list(status_labels().items())}


@bp.route("/service/settings")
@staff_required(perm.MANAGE)
def settings() -> Any:
    """The settings start page: links to each area."""
    return redirect(url_for("service.settings_teams"))


# teams ---------------------------------------------------------------------------------------


def _users() -> list[tuple[int, str]]:
    return setup.active_users(session())


def _team_values(team: Team) -> dict[str, Any]:
    return {"name": team.name, "languages": team.languages, "skills": team.skills, "strategy": team.strategy,
            "calendar_id": team.calendar_id or "", "member_ids": [m.user_id for m in team.members]}


def _teams_page(form: FormResult, editing: Team | None = None, status: int = 200) -> Any:
    return render_template("service/settings_teams.html", teams=setup.teams(session()), form=form, editing=editing,
                           users=_users(), **_choices()), status


def _team_data(form: FormResult) -> dict[str, Any]:
    data = dict(form.data)
    data["members"] = [{"user_id": u} for u in sorted(set(data.pop("member_ids")))]
    return data


@bp.route("/service/settings/teams", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_teams() -> Any:
    """The teams, and a form for a new one."""
    if request.method == "GET":
        return _teams_page(FormResult.empty({"strategy": "round_robin"}))
    form = parse_form(TeamForm(), lists=["languages", "skills", "member_ids"])
    done = _save(form, lambda: setup.save_team(session(), None, _team_data(form)), _("Team saved."),
                 url_for("service.settings_teams"))
    return done or _teams_page(form, status=422)


@bp.route("/service/settings/teams/<int:team_id>", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_team(team_id: int) -> Any:
    """Edit a team: name, languages, skills, strategy, calendar and members."""
    team = _row(Team, team_id)
    if request.method == "GET":
        return _teams_page(FormResult.empty(_team_values(team)), team)
    form = parse_form(TeamForm(), lists=["languages", "skills", "member_ids"], keep_empty=["calendar_id"])
    done = _save(form, lambda: setup.save_team(session(), team, {"calendar_id": None, **_team_data(form)}),
                 _("Team saved."),
                 url_for("service.settings_teams"))
    return done or _teams_page(form, team, 422)


# assignment rules ----------------------------------------------------------------------------


def _rules_page(form: FormResult, status: int = 200) -> Any:
    return render_template("service/settings_rules.html", rules=setup.rules(session()), form=form,
                           **_choices()), status


@bp.route("/service/settings/rules", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_rules() -> Any:
    """The assignment rules in the order they are tried, and a form for a new one."""
    if request.method == "GET":
        return _rules_page(FormResult.empty({"assign_agent": True}))
    form = parse_form(RuleForm())
    done = _save(form, lambda: setup.save_rule(session(), None, form.data), _("Rule saved."),
                 url_for("service.settings_rules"))
    return done or _rules_page(form, 422)


@bp.post("/service/settings/rules/<int:rule_id>/move")
@staff_required(perm.MANAGE)
def settings_rule_move(rule_id: int) -> Any:
    """Move a rule one place up or down (the row's arrow buttons; no script needed), or to the
    place `to` (1 = first) where the row was dropped (`rules_reorder.js`, drag and drop)."""
    _row(AssignmentRule, rule_id)
    direction = request.form.get("direction", "")
    place = to_latin_digits(request.form.get("to", "")).strip()
    if place and not (place.isascii() and place.isdigit()):
        abort(400)
    try:  # the service checks the place's range and the direction (SetupError: 400)
        setup.move_rule(session(), rule_id, None if place else direction, int(place) if place else None)
    except setup.SetupError:
        abort(400)
    session().commit()
    return redirect(url_for("service.settings_rules") + f"#rule-row-{rule_id}")


@bp.post("/service/settings/rules/<int:rule_id>/delete")
@staff_required(perm.MANAGE)
def settings_rule_delete(rule_id: int) -> Any:
    """Remove an assignment rule."""
    _row(AssignmentRule, rule_id)
    setup.delete_rule(session(), rule_id)
    session().commit()
    flash(_("Rule removed."), "success")
    return redirect(url_for("service.settings_rules"))


# calendars -----------------------------------------------------------------------------------


def _calendar_values(calendar: Calendar) -> dict[str, Any]:
    values: dict[str, Any] = {"name": calendar.name, "timezone": calendar.timezone, "is_default": calendar.is_default,
                              "lunar_holidays": calendar.lunar_holidays}
    for day in range(1, 8):
        values[f"day_{day}"] = ", ".join(f"{a}-{b}" for a, b in (calendar.schedule or {}).get(str(day), []))
    values["holidays"] = [", ".join(x for x in (h["date"], h.get("calendar", "gregorian"), h.get("name", "")) if x)
                          for h in calendar.holidays or []]
    return values


def calendar_data(form: FormResult) -> dict[str, Any]:
    """The calendar form as the API's data: weekday texts to intervals, holiday lines to holidays
    (`date, jalali|gregorian, name`; a date without a year repeats yearly). Errors go on `form`."""
    data = form.data
    schedule: dict[str, list[list[str]]] = {}
    for day in range(1, 8):
        intervals = []
        for part in filter(None, (p.strip() for p in data.get(f"day_{day}", "").split(","))):
            match = _INTERVAL.match(part)
            if match is None:
                form.errors.setdefault(f"day_{day}", []).append(_("Write hours as 08:00-16:00, separated by commas."))
                break
            start, end = (value.zfill(5) for value in match.groups())
            if end <= start:
                form.errors.setdefault(f"day_{day}", []).append(_("An interval must end after it starts."))
                break
            intervals.append([start, end])
        if intervals:
            schedule[str(day)] = intervals
    holidays = []
    for line in data.get("holidays", []):
        parts = [p.strip() for p in line.split(",")]
        date = parts[0]
        kind = parts[1] if len(parts) > 1 and parts[1] in ("jalali", "gregorian") else "gregorian"
        name = ", ".join(parts[2:] if len(parts) > 1 and parts[1] in ("jalali", "gregorian") else parts[1:])
        if not re.fullmatch(r"(\d{4}[-/])?\d{1,2}[-/]\d{1,2}", date):
            form.errors.setdefault("holidays", []).append(_("Not a date: %(line)s", line=line))
            continue
        holidays.append({"date": date, "calendar": kind, "yearly": date.count("-") + date.count("/") == 1,
                         "name": name[:120]})
    return {"name": data["name"], "timezone": data["timezone"], "is_default": data["is_default"],
            "lunar_holidays": data["lunar_holidays"], "schedule": schedule, "holidays": holidays}


def _calendars_page(form: FormResult, editing: Calendar | None = None, status: int = 200) -> Any:
    return render_template("service/settings_calendars.html", calendars=setup.calendars(session()), form=form,
                           editing=editing), status


def _calendar_save(form: FormResult, calendar: Calendar | None) -> Any:
    if not form.ok:
        return None
    data = calendar_data(form)
    if not form.ok:
        return None
    result: dict[str, int] = {}

    def change() -> None:
        result["done"] = setup.save_calendar(session(), calendar, data)[1]

    done = _save(form, change, _("Calendar saved."), url_for("service.settings_calendars"))
    if "schedule" in form.errors:  # the weekly hours as a whole (an interval ending before it starts)
        form.errors.setdefault("_form", []).extend(form.errors.pop("schedule"))
    if done is not None and calendar is not None:
        flash(_("Due times of %(count)s open tickets recomputed.", count=result["done"]), "info")
    return done


@bp.route("/service/settings/calendars", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_calendars() -> Any:
    """The business-hours calendars, and a form for a new one."""
    if request.method == "GET":
        return _calendars_page(FormResult.empty({"timezone": "Asia/Tehran"}))
    form = parse_form(CalendarForm(), lists=["holidays"])
    return _calendar_save(form, None) or _calendars_page(form, status=422)


@bp.route("/service/settings/calendars/<int:calendar_id>", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_calendar(calendar_id: int) -> Any:
    """Edit a calendar: saving recomputes the due times of the unfinished tickets under it."""
    calendar = _row(Calendar, calendar_id)
    if request.method == "GET":
        return _calendars_page(FormResult.empty(_calendar_values(calendar)), calendar)
    form = parse_form(CalendarForm(), lists=["holidays"])
    return _calendar_save(form, calendar) or _calendars_page(form, calendar, 422)


# lunar holidays ------------------------------------------------------------------------------


def _lunar_page(form: FormResult | None = None, status: int = 200) -> Any:
    from payvand.plugins.service.services import lunar_holidays

    return render_template("service/settings_lunar.html", years=lunar_holidays.years(session()),
                           form=form or FormResult.empty({})), status


@bp.route("/service/settings/lunar-holidays", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_lunar() -> Any:
    """The lunar holidays of each Jalali year (shipped for 1405 and 1406, editable, new years added);
    saving a year recomputes the due times under the calendars that use the lists."""
    from payvand.plugins.service.schemas_setup import HolidayYearForm
    from payvand.plugins.service.services import holiday_years, lunar_holidays

    if request.method == "GET":
        return _lunar_page()
    form = parse_form(HolidayYearForm(), lists=["holidays"])
    if not form.ok:
        return _lunar_page(form, 422)
    entries = []
    for line in form.data["holidays"]:
        date, _comma, name = line.partition(",")
        entries.append({"date": date.strip(), "name": name.strip()})
    try:
        _saved, done = holiday_years.save_year(session(), form.data["year"], entries)
    except lunar_holidays.HolidayListError as exc:
        session().rollback()
        form.errors.setdefault(exc.field, []).append(exc.message)
        return _lunar_page(form, 422)
    session().commit()
    flash(_("Holidays of %(year)s saved; due times of %(count)s open tickets recomputed.",
            year=form.data["year"], count=done), "success")
    return redirect(url_for("service.settings_lunar") + f"#lunar-{form.data['year']}")


# SLA policies --------------------------------------------------------------------------------

_POLICY_FIELDS = ("name", "position", "priority", "type", "customer_field", "customer_value", "first_response_minutes",
                  "next_response_minutes", "resolution_minutes", "calendar_id", "warn_minutes")
_POLICY_OPTIONAL = ["priority", "type", "customer_field", "customer_value", "first_response_minutes",
                    "next_response_minutes", "resolution_minutes", "calendar_id"]


def _policies_page(form: FormResult, editing: SlaPolicy | None = None, status: int = 200) -> Any:
    return render_template("service/settings_policies.html", policies=setup.policies(session()), form=form,
                           editing=editing, **_choices()), status


@bp.route("/service/settings/policies", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_policies() -> Any:
    """The SLA policies in the order they are tried, and a form for a new one."""
    if request.method == "GET":
        return _policies_page(FormResult.empty({"warn_minutes": 30, "position": 0}))
    form = parse_form(PolicyForm())
    done = _save(form, lambda: setup.save_policy(session(), None, form.data), _("SLA policy saved."),
                 url_for("service.settings_policies"))
    return done or _policies_page(form, status=422)


@bp.route("/service/settings/policies/<int:policy_id>", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_policy(policy_id: int) -> Any:
    """Edit an SLA policy."""
    policy = _row(SlaPolicy, policy_id)
    if request.method == "GET":
        return _policies_page(FormResult.empty({k: getattr(policy, k) for k in _POLICY_FIELDS}), policy)
    form = parse_form(PolicyForm(), keep_empty=_POLICY_OPTIONAL)
    done = _save(form, lambda: setup.save_policy(session(), policy, _cleared(form, _POLICY_OPTIONAL)),
                 _("SLA policy saved."),
                 url_for("service.settings_policies"))
    return done or _policies_page(form, policy, 422)


# contracts -----------------------------------------------------------------------------------


@bp.route("/service/settings/contracts")
@staff_required(perm.MANAGE)
def settings_contracts() -> Any:
    """The service contracts of the customers the manager may see (list kit), newest first."""
    view = list_view(CONTRACTS, session(), current_actor(), "service.settings_contracts",
                     message=lambda: _("The page link is no longer valid; start again from the first page."))
    return render_template("service/settings_contracts.html", view=view, items=view.items), view.status


_CONTRACT_FIELDS = ("customer_id", "name", "starts_on", "ends_on", "included_tickets", "included_minutes",
                    "sla_policy_id", "products")
_CONTRACT_OPTIONAL = ["included_tickets", "included_minutes", "sla_policy_id"]


def _contract_page(form: FormResult, status: int = 200, editing: Any = None) -> Any:
    return render_template("service/settings_contract_form.html", form=form, editing=editing,
                           policy_choices=[(p.id, p.name) for p in setup.policies(session())]), status


@bp.route("/service/settings/contracts/new", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_contract_new() -> Any:
    """A new service contract of a customer."""
    if request.method == "GET":
        return _contract_page(FormResult.empty({"customer_id": request.args.get("customer_id", "")}))
    form = parse_form(ContractForm(), lists=["products"])
    done = _save(form, lambda: setup.save_contract(session(), None, form.data, current_actor()),
                 _("Contract saved."), url_for("service.settings_contracts"))
    return done or _contract_page(form, 422)


@bp.route("/service/settings/contracts/<int:contract_id>", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_contract(contract_id: int) -> Any:
    """Edit a contract of a customer the manager may see (the minutes logged stay)."""
    try:
        contract = setup.visible_contract(session(), contract_id, current_actor())
    except setup.SetupError:
        abort(404)
    if request.method == "GET":
        values = {k: getattr(contract, k) for k in _CONTRACT_FIELDS}
        return _contract_page(FormResult.empty({**values, "starts_on": contract.starts_on.isoformat(),
                                                "ends_on": contract.ends_on.isoformat()}), editing=contract)
    form = parse_form(ContractForm(), lists=["products"], keep_empty=_CONTRACT_OPTIONAL)
    done = _save(form, lambda: setup.save_contract(session(), contract, _cleared(form, _CONTRACT_OPTIONAL),
                                                   current_actor()), _("Contract saved."),
                 url_for("service.settings_contracts"))
    return done or _contract_page(form, 422, contract)


# macros --------------------------------------------------------------------------------------

_MACRO_FIELDS = ("name", "team_id", "language", "body", "set_status", "set_priority", "add_tags")


def _macros_page(form: FormResult, editing: Macro | None = None, status: int = 200) -> Any:
    return render_template("service/settings_macros.html", macros=macro_service.macros(session()), form=form,
                           editing=editing, placeholders=macro_service.PLACEHOLDERS, **_choices()), status


@bp.route("/service/settings/macros", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_macros() -> Any:
    """The macros (canned responses), and a form for a new one."""
    if request.method == "GET":
        return _macros_page(FormResult.empty())
    form = parse_form(MacroForm(), lists=["add_tags"], verbatim=["body"])
    done = _save(form, lambda: macro_service.save_macro(session(), None, form.data), _("Macro saved."),
                 url_for("service.settings_macros"))
    return done or _macros_page(form, status=422)


@bp.route("/service/settings/macros/<int:macro_id>", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def settings_macro(macro_id: int) -> Any:
    """Edit a macro."""
    macro = _row(Macro, macro_id)
    if request.method == "GET":
        return _macros_page(FormResult.empty({k: getattr(macro, k) for k in _MACRO_FIELDS}), macro)
    optional = ["team_id", "language", "set_status", "set_priority"]
    form = parse_form(MacroForm(), lists=["add_tags"], verbatim=["body"], keep_empty=optional)
    done = _save(form, lambda: macro_service.save_macro(session(), macro, _cleared(form, optional)), _("Macro saved."),
                 url_for("service.settings_macros"))
    return done or _macros_page(form, macro, 422)


@bp.post("/service/settings/macros/<int:macro_id>/delete")
@staff_required(perm.MANAGE)
def settings_macro_delete(macro_id: int) -> Any:
    """Delete a macro."""
    macro_service.delete_macro(session(), _row(Macro, macro_id))
    session().commit()
    flash(_("Macro deleted."), "success")
    return redirect(url_for("service.settings_macros"))


@bp.post("/service/tickets/<int:ticket_id>/macro")
@staff_required(perm.TICKET_EDIT)
def ticket_macro(ticket_id: int) -> Any:
    """Apply a macro on the ticket page: make its changes and put its text into the reply box."""
    from payvand.plugins.service.services import tickets as ticket_service
    from payvand.plugins.service.services.tickets import ALLOWED
    from payvand.plugins.service.views.tickets import _choices as ticket_choices
    from payvand.plugins.service.views.tickets import _contract_of

    text = (request.form.get("macro_id") or "").strip()
    try:
        found = ticket_service.get_ticket(session(), ticket_id, current_actor())
    except ticket_service.TicketNotFound:
        abort(404)
    try:
        macro = setup.get(session(), Macro, int(text)) if text.isdigit() and len(text) < 19 else None
    except setup.SetupError:
        macro = None
    if macro is None:
        flash(_("Choose a macro."), "danger")
        return redirect(url_for("service.ticket", ticket_id=ticket_id))
    try:
        draft, found = macro_service.apply(session(), found, macro, current_actor())
    except (setup.SetupError, ticket_service.TicketError) as exc:
        session().rollback()
        flash(_(exc.message), "danger")
        return redirect(url_for("service.ticket", ticket_id=ticket_id))
    session().commit()
    found = ticket_service.get_ticket(session(), ticket_id, current_actor())
    return render_template("service/ticket.html", ticket=found, statuses=status_labels(), flow=ALLOWED[found.status],
                           arrived=[], draft=draft, **ticket_choices(), **_contract_of(found))


@bp.app_template_global("service_macros_for")
def service_macros_for(ticket: Any) -> list[Macro]:
    """The macros offered on a ticket (for the ticket page's macro picker)."""
    return macro_service.macros_for(session(), ticket)
