"""API errors: always `{"error": {"code", "message", "fields"}}` with a 4xx status."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
}


class ErrorDetail(Schema):
    """What went wrong: a stable `code`, a message for people and per-field messages."""

    code = fields.String(required=True, metadata={"description": "Stable machine-readable code, e.g. `stale_version`"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for people"})
    fields_ = fields.Dict(required=True, data_key="fields",
                          metadata={"description": "Messages per field (lists, or nested by item index)"})


class ErrorOut(Schema):
    """Every API error: `{"error": {"code", "message", "fields"}}` with a 4xx status."""

    error = fields.Nested(ErrorDetail, required=True)


class ApiError(Exception):
    """An error answered to an API client with a status, a code, a message and field messages."""

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 fields: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """Build the JSON error response."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def from_api_error(exc: ApiError) -> Response:
    """Render an ApiError."""
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


def flatten_webargs_messages(messages: Any) -> dict[str, Any]:
    """Merge webargs' per-location messages (`json`, `query`, ...) into one field mapping."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    fields: dict[str, Any] = {}
    for location, value in messages.items():
        if isinstance(value, dict):
            fields.update(value)
        else:
            fields[location] = value
    return fields


def from_http_exception(exc: HTTPException) -> Response:
    """Render a werkzeug HTTP exception (including webargs' 422) in the API's error format."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    fields = flatten_webargs_messages(data.get("messages")) if data.get("messages") else {}
    message = {
        422: "The request has invalid fields.",
        400: "The request is malformed.",
    }.get(status) or (exc.description or exc.name)
    headers = {}
    if status == 405:
        response = exc.get_response()
        if "Allow" in response.headers:
            headers["Allow"] = response.headers["Allow"]
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="payvand"'
    return error_response(status, CODES.get(status, "error"), message, fields, headers)
