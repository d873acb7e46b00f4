"""Per-year holiday lists (`service_holiday_year`): the Iranian lunar holidays of one Jalali year.

The lunar (Hijri) holidays move about eleven days a year, so they are kept per Jalali year:
a row holds the year's dates as edited by an administrator; a year without a row uses the
list shipped with the plugin (`services/lunar_holidays.py`). Calendars whose
`lunar_holidays` is on are closed on them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.sdk import Base, BigId, JSONText, UTCDateTime, utcnow


class HolidayYear(Base):
    """One Jalali year's lunar holidays: `[{"date": "1405-04-03", "name": "Tasua"}, ...]`."""

    __tablename__ = "service_holiday_year"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, unique=True)
    holidays: Mapped[list[dict[str, Any]]] = mapped_column(JSONText, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
