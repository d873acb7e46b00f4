"""The Evaluation report: every registered evaluation program with its summary.

Programs come from `payvand_evaluation_programs` (`EvaluationProgram`); this module picks the
ones a user may see and calls each program's `summarise` for one date range and dimension,
recording a program that raises on its plugin instead of failing the page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from payvand.core.actor import Actor
from payvand.core.contracts import EvaluationProgram, EvaluationRow


@dataclasses.dataclass(frozen=True)
class ProgramSummary:
    """One program on the report: its rows for the chosen dimension, or `failed`."""

    plugin: str
    program: EvaluationProgram
    dimension: str
    rows: Sequence[EvaluationRow]
    failed: bool = False


def visible_programs(runtime: Any, actor: Actor) -> list[tuple[str, EvaluationProgram]]:
    """(plugin, program) for the programs `actor` may see, by key."""
    return [(plugin, program) for plugin, program in runtime.evaluation_programs()
            if program.permission is None or actor.can(program.permission)]


def month_start(moment: dt.datetime, back: int = 0) -> dt.datetime:
    """The first instant (UTC) of the calendar month `back` months before `moment`'s."""
    index = moment.year * 12 + moment.month - 1 - back
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)


def local_month_start(moment: dt.datetime, back: int, zone: dt.tzinfo, calendar: str) -> dt.datetime:
    """The first instant (UTC) of the month `back` months before `moment`'s, counting months of
    `calendar` (`jalali` or `gregorian`) in the time zone `zone` — the periods a reader of the
    report sees (a Persian reader's months are Jalali months of the site's zone)."""
    from payvand.core.locale_format import jalali_parts, jalali_to_gregorian

    local = moment.astimezone(zone).date()
    year, month = jalali_parts(local)[:2] if calendar == "jalali" else (local.year, local.month)
    index = year * 12 + month - 1 - back
    year, month = index // 12, index % 12 + 1
    first = jalali_to_gregorian(year, month, 1) if calendar == "jalali" else dt.date(year, month, 1)
    return dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)


def summaries(runtime: Any, session: Session, actor: Actor, start: dt.datetime, end: dt.datetime,
              dimensions: dict[str, str] | None = None) -> list[ProgramSummary]:
    """Each visible program's summary over `[start, end)`, grouped by `dimensions[key]` (else period)."""
    found: list[ProgramSummary] = []
    for plugin, program in visible_programs(runtime, actor):
        dimension = (dimensions or {}).get(program.key, "period")
        if dimension not in program.dimensions:
            dimension = "period"
        try:
            with session.begin_nested():
                rows = list(program.summarise(session, actor, start, end, dimension))
        except Exception as exc:  # a plugin's fault: recorded, the page still shows the others
            runtime.record_plugin_error(plugin, f"evaluation program {program.key}", exc)
            found.append(ProgramSummary(plugin, program, dimension, (), failed=True))
            continue
        found.append(ProgramSummary(plugin, program, dimension,
                                    [row for row in rows if isinstance(row, EvaluationRow)]))
    return found


def month_key(moment: dt.datetime) -> str:
    """The period key of a moment: its UTC calendar month, `YYYY-MM`."""
    return f"{moment.year:04d}-{moment.month:02d}"
