"""The API object (flask-smorest, OpenAPI 3.1) and helpers shared by every API blueprint."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint

from payvand.core.api.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])

API_PREFIX = "/api/v1"


class Api(SmorestApi):
    """flask-smorest's Api, answering HTTP errors in Payvand's format only under `/api/`.

    flask-smorest installs an app-wide HTTP error handler; staff and portal pages must keep
    their own error pages, so anything outside the API is handed back to Flask.
    """

    def handle_http_exception(self, error: Any) -> Any:
        from payvand.core.api.errors import from_http_exception

        if not request.path.startswith("/api/"):
            return error
        return from_http_exception(error)


class ApiBlueprint(SmorestBlueprint):
    """A blueprint of API routes, mounted under `/api/v1` and documented in OpenAPI."""


def principal() -> Any:
    """The authenticated caller of the current API request."""
    found = g.get("payvand_principal")
    if found is None:
        raise ApiError(401, "Authentication required: send 'Authorization: Bearer <token>'.")
    return found


def require(permission: str) -> Callable[[F], F]:
    """Decorate a view so it answers 403 unless the caller holds `permission`."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not principal().can(permission):
                raise ApiError(403, f"You lack the permission {permission!r}.", fields={"permission": [permission]})
            return view(*args, **kwargs)

        wrapper.__payvand_permission__ = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def runtime() -> Any:
    """The Runtime of the current app."""
    return current_app.extensions["payvand"]


def encode_cursor(values: list[Any]) -> str:
    """An opaque pagination cursor for the last row of a page."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    """Read a cursor made by `encode_cursor`; a tampered one is a 400 with a field message."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != length:
            raise ValueError
        return values
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ApiError(400, "The cursor is not valid; start again from the first page.", fields={"cursor": ["Invalid cursor."]}) from None


def init_api(app: Flask) -> Api:
    """Create the API object for `app` with Payvand's OpenAPI settings."""
    app.config.setdefault("API_TITLE", "Payvand API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "Payvand's REST API. Authenticate with `Authorization: Bearer <token>`."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    })
    return Api(app)
