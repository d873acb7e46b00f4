"""Saving a year's lunar holidays: the list stored (`lunar_holidays`), then the due times
recomputed under every calendar that uses the lists (`sla`) — the two joined here so that
neither module needs the other."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Calendar
from payvand.plugins.service.services.lunar_holidays import store_year
from payvand.plugins.service.services.sla import recompute


def save_year(session: Session, year: int, holidays: list[dict[str, Any]]) -> tuple[list[dict[str, str]], int]:
    """Store a year's list (replacing the shipped one) and recompute the due times under every
    calendar that uses the lists; returns the list and how many tickets were recomputed."""
    cleaned = store_year(session, year, holidays)
    done = 0
    for calendar_id in session.scalars(sa.select(Calendar.id).where(Calendar.lunar_holidays.is_(True))):
        done += recompute(session, calendar_id)
    return cleaned, done
