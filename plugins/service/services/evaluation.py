"""The service plugin's evaluation programs: CSAT after solved tickets (NPS is registered beside it).

CSAT answers are `service.csat_received` interactions whose payload holds the score (1..5);
the summary is the average score and the share of satisfied answers (4 or 5), grouped by
month (`period`: in the site's time zone, a Jalali month for a Persian reader, a Gregorian one
otherwise), by the ticket's agent, team or category. One query reads the
answers of the range with their tickets' groups; the score is read from the payload in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.models import Team, Ticket
from payvand.plugins.service.services import csat
from payvand.plugins.service.services.report_periods import period_key, reader_locale
from payvand.sdk import (
    N_,
    EvaluationProgram,
    EvaluationRow,
    EvaluationScale,
    Interaction,
    User,
)

CSAT_DIMENSIONS = ("period", "agent", "team", "category")
SATISFIED = N_("Satisfied, percent")


def _group_column(dimension: str) -> Any:
    """The column a CSAT answer is grouped by (None for period: computed from the time)."""
    return {"agent": User.name, "team": Team.name, "category": Ticket.category}.get(dimension)


def csat_summary(session: Session, actor: Any, start: dt.datetime, end: dt.datetime,
                 dimension: str) -> list[EvaluationRow]:
    """CSAT answers in `[start, end)` grouped by `dimension`: count, average, satisfied share."""
    column = _group_column(dimension)
    query = (sa.select(Interaction.occurred_at, Interaction.payload,
                       column if column is not None else sa.literal(None))
             .join(Ticket, sa.cast(Ticket.id, sa.String) == Interaction.source_id)
             .where(Interaction.kind == csat.KIND, Interaction.source_type == "service.ticket",
                    Interaction.occurred_at >= start, Interaction.occurred_at < end))
    if dimension == "agent":
        query = query.outerjoin(User, User.id == Ticket.assignee_id)
    elif dimension == "team":
        query = query.outerjoin(Team, Team.id == Ticket.team_id)
    scores: dict[str, list[int]] = defaultdict(list)
    locale = reader_locale(actor)
    for occurred_at, payload, group in session.execute(query):
        score = (payload or {}).get("score")
        if not isinstance(score, int) or not 1 <= score <= 5:
            continue
        key = period_key(occurred_at, locale) if dimension == "period" else (group or "—")
        scores[str(key)].append(score)
    return [_row(dimension, key, values) for key, values in sorted(scores.items())]


def _row(dimension: str, key: str, values: Sequence[int]) -> EvaluationRow:
    satisfied = sum(1 for value in values if value >= 4)
    return EvaluationRow(dimension, key, len(values), round(sum(values) / len(values), 2),
                         {SATISFIED: round(100 * satisfied / len(values), 1)})


CSAT_PROGRAM = EvaluationProgram(
    key="service.csat",
    label=N_("Customer satisfaction (CSAT)"),
    measures=N_("How satisfied customers were with the handling of a solved ticket."),
    collection=N_("One message on the ticket's channel when it is solved, with a signed link per score and a comment box."),
    scale=EvaluationScale(1, 5, N_("1 = not at all satisfied, 5 = very satisfied"), N_("Average score")),
    summarise=csat_summary,
    dimensions=CSAT_DIMENSIONS,
    permission=perm.TICKET_ALL,
)


def programs() -> list[EvaluationProgram]:
    """The programs the service plugin registers through `payvand_evaluation_programs`."""
    from payvand.plugins.service.services.nps import NPS_PROGRAM

    return [CSAT_PROGRAM, NPS_PROGRAM]
