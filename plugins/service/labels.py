"""The ticket vocabulary in the reader's language: statuses, priorities, types and inbox queues.

The stored values (`models.STATUSES`, `PRIORITIES`, `TYPES`, `services.lists.QUEUES`) are
English words the API speaks; pages, filters and reports show these labels instead.
"""

from __future__ import annotations

from typing import Any

from payvand.sdk import lazy_gettext as _l

STATUS_LABELS: dict[str, Any] = {"new": _l("New"), "open": _l("Open"), "pending": _l("Pending customer"),
                                 "on_hold": _l("On hold"), "solved": _l("Solved"), "closed": _l("Closed")}
PRIORITY_LABELS: dict[str, Any] = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
TYPE_LABELS: dict[str, Any] = {"question": _l("Question"), "request": _l("Request"), "problem": _l("Problem"),
                               "complaint": _l("Complaint"), "return": _l("Return")}
QUEUE_LABELS: dict[str, Any] = {"unassigned": _l("Unassigned"), "overdue": _l("Overdue"), "mine": _l("Mine"),
                                "open": _l("Unfinished")}


def shown(labels: dict[str, Any]) -> dict[str, str]:
    """`labels` with each label in the reader's language (for templates)."""
    return {value: str(label) for value, label in labels.items()}


def choices(labels: dict[str, Any]) -> list[tuple[str, Any]]:
    """`(value, label)` pairs of `labels`, in their order (for filters and selects)."""
    return list(labels.items())
