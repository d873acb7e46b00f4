"""`/api/v1/service/teams`, `/assignment-rules`, `/calendars`, `/sla-policies`: the help desk's setup.

Reading and changing need `service.manage`, except an agent's own availability
(`PUT /teams/{id}/members/{user_id}/availability`), which the agent may set with
`service.ticket.edit`. Changing a calendar recomputes, in bulk, the due times of every
unfinished ticket under its policies (the answer's `recomputed`). The rules live in
`services/setup.py`, shared with the settings pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.models import AssignmentRule, Calendar, SlaPolicy, Team
from payvand.plugins.service.schemas import AvailabilityIn, CalendarIO, MemberIO, PolicyIO, RuleIO, TeamIO
from payvand.plugins.service.schemas_setup import HolidayYearIO
from payvand.plugins.service.services import setup
from payvand.sdk import ApiError, current_actor, require, session


def api_error(exc: setup.SetupError) -> ApiError:
    """A setup refusal as the API's answer (404, 403, or 422 naming the field)."""
    if exc.status != 422:
        return ApiError(exc.status, exc.message)
    return ApiError(422, exc.message, fields={exc.field: [exc.message]})


def run(change: Callable[[], Any]) -> Any:
    """Run a setup change and commit it; a refusal rolls back and becomes the API's error."""
    try:
        result = change()
    except setup.SetupError as exc:
        session().rollback()
        raise api_error(exc) from None
    session().commit()
    return result


def _get(model: Any, row_id: int) -> Any:
    try:
        return setup.get(session(), model, row_id)
    except setup.SetupError as exc:
        raise api_error(exc) from None


@blp.route("/teams")
class Teams(MethodView):
    """Teams."""

    @require(perm.MANAGE)
    @blp.response(200, TeamIO(many=True))
    def get(self) -> Any:
        """Every team with its members."""
        return setup.teams(session())

    @require(perm.MANAGE)
    @blp.arguments(TeamIO)
    @blp.response(201, TeamIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a team."""
        return run(lambda: setup.save_team(session(), None, data)), 201


@blp.route("/teams/<int:team_id>")
class TeamItem(MethodView):
    """One team."""

    @require(perm.MANAGE)
    @blp.arguments(TeamIO)
    @blp.response(200, TeamIO)
    def put(self, data: dict[str, Any], team_id: int) -> Any:
        """Replace a team's settings and members."""
        team = _get(Team, team_id)
        return run(lambda: setup.save_team(session(), team, data))


@blp.route("/teams/<int:team_id>/members/<int:user_id>/availability")
class Availability(MethodView):
    """An agent's availability."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(AvailabilityIn)
    @blp.response(200, MemberIO)
    def put(self, data: dict[str, Any], team_id: int, user_id: int) -> Any:
        """Take (true) or stop taking (false) new tickets of the team; an agent sets their own, a manager anyone's."""
        return run(lambda: setup.set_availability(session(), team_id, user_id, data["available"], current_actor()))


@blp.route("/assignment-rules")
class Rules(MethodView):
    """Assignment rules."""

    @require(perm.MANAGE)
    @blp.response(200, RuleIO(many=True))
    def get(self) -> Any:
        """The rules in the order they are tried."""
        return setup.rules(session())

    @require(perm.MANAGE)
    @blp.arguments(RuleIO)
    @blp.response(201, RuleIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a rule (an unknown team is a 422 on `team_id`)."""
        return run(lambda: setup.save_rule(session(), None, data)), 201


@blp.route("/assignment-rules/<int:rule_id>")
class RuleItem(MethodView):
    """One rule."""

    @require(perm.MANAGE)
    @blp.arguments(RuleIO)
    @blp.response(200, RuleIO)
    def put(self, data: dict[str, Any], rule_id: int) -> Any:
        """Replace a rule."""
        rule = _get(AssignmentRule, rule_id)
        return run(lambda: setup.save_rule(session(), rule, data))

    @require(perm.MANAGE)
    @blp.response(204)
    def delete(self, rule_id: int) -> None:
        """Remove a rule."""
        run(lambda: setup.delete_rule(session(), rule_id))


class RuleMoveIn(Schema):
    """Where to move a rule in the order the rules are tried: one place (`direction`) or to a place (`to`)."""

    direction = fields.String(validate=validate.OneOf(("up", "down")))
    to = fields.Integer(validate=validate.Range(min=1, max=1_000_000),
                        metadata={"description": "The place to move the rule to (1 = tried first)"})

    @validates_schema
    def _one_way(self, data: dict[str, Any], **_: Any) -> None:
        if ("direction" in data) == ("to" in data):
            raise ValidationError("Give either direction or to.", "direction")


@blp.route("/assignment-rules/<int:rule_id>/move", methods=["POST"])
@require(perm.MANAGE)
@blp.arguments(RuleMoveIn, example={"direction": "up"})
@blp.response(200, RuleIO(many=True))
def rule_move(data: dict[str, Any], rule_id: int) -> Any:
    """Move a rule one place up or down, or to place `to`; every rule is renumbered 10, 20, ...
    Returns them in order."""
    return run(lambda: setup.move_rule(session(), rule_id, data.get("direction"), data.get("to")))


@blp.route("/calendars")
class Calendars(MethodView):
    """Business-hours calendars."""

    @require(perm.MANAGE)
    @blp.response(200, CalendarIO(many=True))
    def get(self) -> Any:
        """Every calendar."""
        return setup.calendars(session())

    @require(perm.MANAGE)
    @blp.arguments(CalendarIO, example={"name": "Tehran office", "timezone": "Asia/Tehran", "is_default": True,
                                        "holidays": [{"date": "01-01", "calendar": "jalali", "yearly": True,
                                                      "name": "Nowruz"}]})
    @blp.response(201, CalendarIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a calendar (an empty schedule is the Iranian week)."""
        calendar, _done = run(lambda: setup.save_calendar(session(), None, data))
        return calendar, 201


@blp.route("/calendars/<int:calendar_id>")
class CalendarItem(MethodView):
    """One calendar."""

    @require(perm.MANAGE)
    @blp.arguments(CalendarIO)
    @blp.response(200, CalendarIO)
    def put(self, data: dict[str, Any], calendar_id: int) -> Any:
        """Replace a calendar; the due times of unfinished tickets under it are recomputed."""
        calendar = _get(Calendar, calendar_id)
        calendar, done = run(lambda: setup.save_calendar(session(), calendar, data))
        calendar.recomputed = done
        return calendar


@blp.route("/sla-policies")
class Policies(MethodView):
    """SLA policies."""

    @require(perm.MANAGE)
    @blp.response(200, PolicyIO(many=True))
    def get(self) -> Any:
        """The policies in the order they are tried."""
        return setup.policies(session())

    @require(perm.MANAGE)
    @blp.arguments(PolicyIO)
    @blp.response(201, PolicyIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a policy (applies to tickets opened, or re-prioritised, from now on)."""
        return run(lambda: setup.save_policy(session(), None, data)), 201


@blp.route("/sla-policies/<int:policy_id>")
class PolicyItem(MethodView):
    """One policy."""

    @require(perm.MANAGE)
    @blp.arguments(PolicyIO)
    @blp.response(200, PolicyIO)
    def put(self, data: dict[str, Any], policy_id: int) -> Any:
        """Replace a policy."""
        policy = _get(SlaPolicy, policy_id)
        return run(lambda: setup.save_policy(session(), policy, data))


@blp.route("/lunar-holidays")
@require(perm.MANAGE)
@blp.response(200, HolidayYearIO(many=True))
def lunar_years() -> Any:
    """The Iranian lunar holidays of each Jalali year (shipped for 1405 and 1406, or as edited)."""
    from payvand.plugins.service.services import lunar_holidays

    return lunar_holidays.years(session())


@blp.route("/lunar-holidays/<int:year>", methods=["PUT"])
@require(perm.MANAGE)
@blp.arguments(HolidayYearIO, example={"holidays": [{"date": "1405-04-03", "name": "Tasua"}]})
@blp.response(200, HolidayYearIO)
def lunar_year_put(data: dict[str, Any], year: int) -> Any:
    """Replace a year's list (each date a Jalali date of that year; `04-03` is read in it); the due
    times under the calendars using the lists are recomputed (`recomputed`)."""
    from payvand.plugins.service.services import holiday_years, lunar_holidays

    try:
        saved, done = holiday_years.save_year(session(), year, data["holidays"])
    except lunar_holidays.HolidayListError as exc:
        session().rollback()
        raise ApiError(422, exc.message, fields={exc.field: [exc.message]}) from None
    session().commit()
    return {"year": year, "holidays": saved, "edited": True, "recomputed": done}
