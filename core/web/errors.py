"""Friendly error pages for the staff UI (the API keeps its JSON errors)."""

from __future__ import annotations

import logging
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from payvand.core.services.customers import CustomerInactive

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    401: (_l("Please log in"), _l("Your session has ended. Log in again to continue.")),
    403: (_l("Not allowed"), _l("You do not have permission to see this page. Ask an administrator if you need it.")),
    404: (_l("Page not found"), _l("There is nothing at this address. It may have been moved or deleted.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    413: (_l("File too large"), _l("The file is larger than this server accepts.")),
    429: (_l("Too many attempts"), _l("Too many failed attempts. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again.")),
}


def error_page(status: int, message: str | None = None) -> Any:
    """Render the error page for `status`, with an optional more specific message."""
    title, default = MESSAGES.get(status, (_l("Error"), _l("The request failed.")))
    try:
        body = render_template("errors/error.html", status=status, title=title, message=message or default)
    except Exception:  # the layout itself failed: answer plainly rather than not at all
        log.exception("error page %s could not be rendered", status)
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1>"
    return body, status


def inactive_customer_text(exc: CustomerInactive) -> str:
    """The translated message for a change refused because the customer was merged away or erased."""
    if exc.erased:
        return _("Customer %(id)s is erased.", id=exc.customer_id)
    return _("Customer %(id)s was merged into customer %(other)s.", id=exc.customer_id, other=exc.merged_into_id)


def handle_ui_error(exc: BaseException) -> Any:
    """The page for an HTTP error or an unexpected exception on a UI route."""
    if isinstance(exc, CSRFError):
        return error_page(400, str(_l("The form has expired or was not sent from this site. Reload the page and try again.")))
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        if status == 429:
            return error_page(429, str(exc.description) if exc.description else None)
        return error_page(status)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_page(500)

