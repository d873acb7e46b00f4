"""Helpers shared by the sales API routes: the JSON-body check, the documents' page cursors and
the error of a service refusal; the field types (`payvand.plugins.sales.fields`) re-exported."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import request

from payvand.plugins.sales.fields import (
    MAX_ID,
    Amount,
    BusinessDate,
    BusinessDateTime,
    StrictBoolean,
    id_field,
    strict_bool,
)
from payvand.sdk import ApiError

__all__ = ["Amount", "BusinessDate", "BusinessDateTime", "MAX_ID", "StrictBoolean", "fail", "id_field",
           "needs_json", "strict_bool"]

def needs_json(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (415) a request whose body is not JSON before its arguments are read."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not request.is_json:
            raise ApiError(415, "Send a JSON body with 'Content-Type: application/json'.")
        return view(*args, **kwargs)

    return wrapper


def fail(exc: Any) -> ApiError:
    """The API error for a service error carrying `status`, `message` and `field` (catalog,
    documents, pipeline, activities): the status, the message and the field's message."""
    return ApiError(exc.status, exc.message, fields={exc.field: [exc.message]} if exc.field else None)
