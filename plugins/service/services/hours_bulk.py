"""Business minutes added to many moments at once (numpy), with exactly `hours.add_business_minutes`'s results.

A calendar's open intervals over the days the moments need are laid out once as UTC
microseconds since the epoch (`Timeline`: sorted, overlaps merged), with the open time before
each interval summed (`before`). Then for every start `s` and target `m` minutes, in arrays:

- `B(s)`, the open time before `s`: `before[j] + clip(s - begin[j], 0, length[j])` for the last
  interval `j` beginning at or before `s`;
- the target open time `T = B(s) + m`;
- the first interval `k` ending after `s` whose end reaches `T` (`before[k] + length[k] >= T`);
- the due moment `begin[k] + (T - before[k])`.

This is the day-by-day walk of `add_business_minutes` written for arrays: the walk's interval
is the same `k` (it skips intervals ending at or before `s`, and stops at the first whose open
time reaches what is left, an end exactly reaching it included: zero minutes from a closed moment
is the next opening), and integer microseconds make the moment exact. `tests/service/test_sla_bulk.py`
checks it against `add_business_minutes` and the minute-by-minute walk with hypothesis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from payvand.plugins.service.services.hours import MAX_DAYS, Hours, HoursError

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
MINUTE_US = 60_000_000


def to_us(moments: Sequence[dt.datetime]) -> np.ndarray:
    """Aware (or naive UTC) moments as int64 microseconds since the epoch."""
    out = np.empty(len(moments), dtype=np.int64)
    for index, moment in enumerate(moments):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        out[index] = (moment - EPOCH) // _US
    return out


def from_us(values: np.ndarray) -> list[dt.datetime]:
    """int64 microseconds since the epoch as aware UTC moments."""
    return [EPOCH + dt.timedelta(microseconds=value) for value in values.tolist()]


class Timeline:
    """The open intervals of `hours` on local dates `first` … `last` (inclusive), in microseconds."""

    def __init__(self, hours: Hours, first: dt.date, last: dt.date) -> None:
        self.hours, self.first, self.last = hours, first, last
        spans: list[tuple[int, int]] = []
        day = first
        while day <= last:
            for begin, finish in hours.open_intervals(day):
                spans.append(((begin - EPOCH) // _US, (finish - EPOCH) // _US))
            day += dt.timedelta(days=1)
        spans.sort()
        merged: list[list[int]] = []
        for low, high in spans:  # the walk counts overlapping intervals once (its cursor moves on)
            if merged and low <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        array = np.array(merged, dtype=np.int64).reshape(-1, 2)
        self.begin, self.end = array[:, 0], array[:, 1]
        length = self.end - self.begin
        self.before = np.concatenate(([0], np.cumsum(length)[:-1])).astype(np.int64)
        self.reach = self.before + length  # open time up to each interval's end

    def open_before(self, moments: np.ndarray) -> np.ndarray:
        """The open time (µs) from the timeline's start to each moment."""
        j = np.searchsorted(self.begin, moments, side="right") - 1
        inside = j >= 0
        jj = np.where(inside, j, 0)
        spent = np.clip(moments - self.begin[jj], 0, self.end[jj] - self.begin[jj])
        return np.where(inside, self.before[jj] + spent, 0)


def add_business_minutes_many(hours: Hours, starts_us: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """`add_business_minutes(hours, start, minutes)` for arrays of starts (µs) and minutes: due moments (µs).

    HoursError when a due moment lies further than `MAX_DAYS` days after the latest start (the
    walk's own limit, counted from each start, is at least as far for every earlier start).
    """
    starts_us = np.asarray(starts_us, dtype=np.int64)
    wanted = np.maximum(np.asarray(minutes, dtype=np.int64), 0) * MINUTE_US
    if starts_us.size == 0:
        return starts_us.copy()
    zone = hours.zone
    first = (EPOCH + dt.timedelta(microseconds=int(starts_us.min()))).astimezone(zone).date() - dt.timedelta(days=1)
    latest = (EPOCH + dt.timedelta(microseconds=int(starts_us.max()))).astimezone(zone).date()
    span = int(wanted.max() // (MINUTE_US * 60 * 4)) + 14  # at least four open hours a day, two weeks spare
    while True:
        last = latest + dt.timedelta(days=min(span, MAX_DAYS))
        timeline = Timeline(hours, first, last)
        if timeline.begin.size:
            target = timeline.open_before(starts_us) + wanted
            if target.max() <= timeline.reach[-1]:
                break
        if span >= MAX_DAYS:
            raise HoursError("the calendar has no open hours")
        span *= 2
    k = np.maximum(np.searchsorted(timeline.reach, target, side="left"),
                   np.searchsorted(timeline.end, starts_us, side="right"))
    if (k >= timeline.begin.size).any():
        raise HoursError("the calendar has no open hours")
    return timeline.begin[k] + (target - timeline.before[k])
