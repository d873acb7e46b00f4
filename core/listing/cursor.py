"""The one opaque cursor of every list: base64url of `{"v": 1, "l": list, "s": sort, "k": [key values]}`.

The key values are those of the last row of a page, in the order of the sort's columns (the
last is the primary key). A cursor names its list and sort, so one from another list or sort
is refused (`BadCursor`) instead of seeking somewhere meaningless.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from typing import Any

from payvand.core.db import MAX_ID

#: The version written into every cursor; a cursor of another version is refused.
CURSOR_VERSION = 1
#: The longest text a cursor may carry per key value (sort keys are names, numbers, codes).
MAX_TEXT = 500


class BadCursor(ValueError):
    """A cursor this list did not make: tampered, truncated, old, or from another list or sort."""


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, (dt.date, decimal.Decimal)):
        return str(value) if isinstance(value, decimal.Decimal) else value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (int, str)):  # an enum
        return value.value
    return value


def encode_cursor(list_name: str, sort: str, values: list[Any]) -> str:
    """The cursor after the row whose sort key values are `values` (list `list_name`, sort `sort`)."""
    body = {"v": CURSOR_VERSION, "l": list_name, "s": sort, "k": [_plain(value) for value in values]}
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, list_name: str, sort: str, kinds: list[str]) -> list[Any]:
    """The key values of `cursor`, typed by `kinds` (`id`, `int`, `str`, `datetime`, `date`, `decimal`, `bool`).

    BadCursor for anything this list did not make with this sort.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, UnicodeError, RecursionError):
        raise BadCursor(cursor) from None
    if (not isinstance(body, dict) or body.get("v") != CURSOR_VERSION or body.get("l") != list_name
            or body.get("s") != sort or not isinstance(body.get("k"), list) or len(body["k"]) != len(kinds)):
        raise BadCursor(cursor)
    return [_typed(value, kind, cursor) for value, kind in zip(body["k"], kinds, strict=True)]


def _typed(value: Any, kind: str, cursor: str) -> Any:
    if value is None:
        return None
    try:
        if kind in ("id", "int"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
            if kind == "id" and not 0 <= value <= MAX_ID:
                raise ValueError
            if not -MAX_ID - 1 <= value <= MAX_ID:
                raise ValueError
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ValueError
        if kind == "str":
            return value
        if kind == "datetime":
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:  # every stored moment is aware; a naive one was not made here
                raise ValueError
            return parsed.astimezone(dt.UTC)
        if kind == "date":
            return dt.date.fromisoformat(value)
        if kind == "decimal":
            number = decimal.Decimal(value)
            if not number.is_finite():
                raise ValueError
            return number
    except (ValueError, TypeError, OverflowError, decimal.InvalidOperation):
        raise BadCursor(cursor) from None
    raise BadCursor(cursor)
