"""`/api/v1/service/teams`, `/assignment-rules`, `/calendars`, `/sla-policies`: the help desk's setup.

Reading and changing need `service.manage`, except an agent's own availability
(`PUT /teams/{id}/members/{user_id}/availability`), which the agent may set with
`service.ticket.edit`. Changing a calendar recomputes, in bulk, the due times of every
unfinished ticket under its policies (the answer's `recomputed`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.views import MethodView

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.models import AssignmentRule, Calendar, SlaPolicy, Team, TeamMember
from payvand.plugins.service.schemas import AvailabilityIn, CalendarIO, MemberIO, PolicyIO, RuleIO, TeamIO
from payvand.plugins.service.services import hours as bh
from payvand.plugins.service.services import sla
from payvand.sdk import ApiError, User, audit, current_actor, require, session


def _get(model: Any, row_id: int) -> Any:
    found = session().get(model, row_id)
    if found is None:
        raise ApiError(404, f"There is no {model.__tablename__.removeprefix('service_').replace('_', ' ')} {row_id}.")
    return found


def _flush_named(field: str = "name") -> None:
    """Write the pending change; a second row of the same name is a 422 on `field`, nothing kept."""
    try:
        session().flush()
    except sa.exc.IntegrityError:
        session().rollback()
        raise ApiError(422, "That name is taken.", fields={field: ["That name is taken."]}) from None


def _team_values(team: Team, data: dict[str, Any]) -> None:
    members = data.pop("members", None)
    for key, value in data.items():
        setattr(team, key, value)
    if members is not None:
        users = {m["user_id"] for m in members}
        known = set(session().scalars(sa.select(User.id).where(User.id.in_(users))))
        if users - known:
            raise ApiError(422, "Unknown users.", fields={"members": [f"No user {u}." for u in sorted(users - known)]})
        team.members = [TeamMember(user_id=m["user_id"], available=m["available"]) for m in members]


@blp.route("/teams")
class Teams(MethodView):
    """Teams."""

    @require(perm.MANAGE)
    @blp.response(200, TeamIO(many=True))
    def get(self) -> Any:
        """Every team with its members."""
        return list(session().scalars(sa.select(Team).order_by(Team.name)))

    @require(perm.MANAGE)
    @blp.arguments(TeamIO)
    @blp.response(201, TeamIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a team."""
        team = Team()
        _team_values(team, data)
        session().add(team)
        _flush_named()
        audit("create", "service_team", team.id, after={"name": team.name})
        session().commit()
        return team, 201


@blp.route("/teams/<int:team_id>")
class TeamItem(MethodView):
    """One team."""

    @require(perm.MANAGE)
    @blp.arguments(TeamIO)
    @blp.response(200, TeamIO)
    def put(self, data: dict[str, Any], team_id: int) -> Any:
        """Replace a team's settings and members."""
        team = _get(Team, team_id)
        _team_values(team, data)
        _flush_named()
        audit("update", "service_team", team.id, after={"name": team.name})
        session().commit()
        return team


@blp.route("/teams/<int:team_id>/members/<int:user_id>/availability")
class Availability(MethodView):
    """An agent's availability."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(AvailabilityIn)
    @blp.response(200, MemberIO)
    def put(self, data: dict[str, Any], team_id: int, user_id: int) -> Any:
        """Take (true) or stop taking (false) new tickets of the team; an agent sets their own, a manager anyone's."""
        actor = current_actor()
        if actor.user_id != user_id and not actor.can(perm.MANAGE):
            raise ApiError(403, "Only a manager sets another agent's availability.")
        member = session().get(TeamMember, (team_id, user_id))
        if member is None:
            raise ApiError(404, f"User {user_id} is not in team {team_id}.")
        member.available = data["available"]
        audit("availability", "service_team", team_id, after={"user_id": user_id, "available": member.available})
        session().commit()
        return member


@blp.route("/assignment-rules")
class Rules(MethodView):
    """Assignment rules."""

    @require(perm.MANAGE)
    @blp.response(200, RuleIO(many=True))
    def get(self) -> Any:
        """The rules in the order they are tried."""
        return list(session().scalars(sa.select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id)))

    @require(perm.MANAGE)
    @blp.arguments(RuleIO)
    @blp.response(201, RuleIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a rule."""
        _get(Team, data["team_id"])
        rule = AssignmentRule(**data)
        session().add(rule)
        session().flush()
        audit("create", "service_assignment_rule", rule.id, after={"team_id": rule.team_id})
        session().commit()
        return rule, 201


@blp.route("/assignment-rules/<int:rule_id>")
class RuleItem(MethodView):
    """One rule."""

    @require(perm.MANAGE)
    @blp.response(204)
    def delete(self, rule_id: int) -> None:
        """Remove a rule."""
        session().delete(_get(AssignmentRule, rule_id))
        audit("delete", "service_assignment_rule", rule_id)
        session().commit()


def _calendar_values(calendar: Calendar, data: dict[str, Any]) -> None:
    try:
        bh.Hours.build(data["timezone"], data["schedule"] or bh.IRANIAN_WEEK, data["holidays"])
    except bh.HoursError as exc:
        raise ApiError(422, str(exc), fields={"schedule": [str(exc)]}) from None
    for key, value in data.items():
        setattr(calendar, key, value)
    if calendar.is_default:
        session().execute(sa.update(Calendar).where(Calendar.id != (calendar.id or 0)).values(is_default=False))


@blp.route("/calendars")
class Calendars(MethodView):
    """Business-hours calendars."""

    @require(perm.MANAGE)
    @blp.response(200, CalendarIO(many=True))
    def get(self) -> Any:
        """Every calendar."""
        return list(session().scalars(sa.select(Calendar).order_by(Calendar.name)))

    @require(perm.MANAGE)
    @blp.arguments(CalendarIO, example={"name": "Tehran office", "timezone": "Asia/Tehran", "is_default": True,
                                        "holidays": [{"date": "01-01", "calendar": "jalali", "yearly": True,
                                                      "name": "Nowruz"}]})
    @blp.response(201, CalendarIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a calendar (an empty schedule is the Iranian week)."""
        calendar = Calendar()
        _calendar_values(calendar, data)
        session().add(calendar)
        _flush_named()
        audit("create", "service_calendar", calendar.id, after={"name": calendar.name})
        session().commit()
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
        _calendar_values(calendar, data)
        calendar.version += 1
        _flush_named()
        done = sla.recompute(session(), calendar.id)
        audit("update", "service_calendar", calendar.id, after={"name": calendar.name, "recomputed": done})
        session().commit()
        calendar.recomputed = done
        return calendar


@blp.route("/sla-policies")
class Policies(MethodView):
    """SLA policies."""

    @require(perm.MANAGE)
    @blp.response(200, PolicyIO(many=True))
    def get(self) -> Any:
        """The policies in the order they are tried."""
        return list(session().scalars(sa.select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)))

    @require(perm.MANAGE)
    @blp.arguments(PolicyIO)
    @blp.response(201, PolicyIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a policy (applies to tickets opened, or re-prioritised, from now on)."""
        if data.get("calendar_id"):
            _get(Calendar, data["calendar_id"])
        policy = SlaPolicy(**data)
        session().add(policy)
        _flush_named()
        audit("create", "service_sla_policy", policy.id, after={"name": policy.name})
        session().commit()
        return policy, 201
