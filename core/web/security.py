"""Security headers of every response: a Content-Security-Policy on pages, `nosniff` and
`no-store` on the API, `Retry-After` on every 429, and the `Secure` flag on cookies.

Pages run only the vendored scripts and style sheets served by the app itself (no inline
`<script>`, no `on…=` handler, no `<style>` element); `style="…"` attributes are allowed
(`style-src-attr 'unsafe-inline'`), because a style attribute cannot hold a selector and so
cannot read the page. A page may be framed by nobody (`frame-ancestors 'none'`) unless its view
names its framers (`content_security_policy(frame_ancestors=...)`, as the public lead form does).
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Flask, current_app, g, request

#: Seconds a client is told to wait on a 429 when the limit that refused it is unknown.
DEFAULT_RETRY_AFTER = 60

#: The policy of API responses and of anything else that is not a page: nothing may run or load.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """The Content-Security-Policy of an HTML page, framed by `frame_ancestors` (a CSP source list)."""
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",  # Bootstrap draws its icons (select arrow, close) as data: SVG
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ))


def note_retry_after(seconds: float) -> None:
    """Record that this request was refused for `seconds` (its 429 then says `Retry-After`)."""
    g.payvand_retry_after = max(1, math.ceil(seconds))


def _retry_after(app: Flask) -> int:
    noted = g.get("payvand_retry_after")
    if noted:
        return int(noted)
    limiter = app.extensions.get("payvand_limiter")
    current = limiter.current_limit if limiter is not None else None
    if current is not None:
        try:
            return max(1, math.ceil(current.reset_at - time.time()))
        except Exception:  # the limiter's storage is unreachable: fall back to the default
            pass
    return DEFAULT_RETRY_AFTER


def secure_cookies(app: Flask) -> None:
    """Give every cookie the `Secure` flag when `PAYVAND_SECURE_COOKIES` is on (HTTPS deployments).

    Flask sets `SESSION_COOKIE_SECURE` (False) itself, so the setting is assigned, not defaulted.
    """
    if app.config.get("PAYVAND_SECURE_COOKIES"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def is_html(response: Any) -> bool:
    """Whether `response` is an HTML document or fragment."""
    return (response.mimetype or "") == "text/html"


def install_security_headers(app: Flask) -> None:
    """Add the headers above to every response of `app`."""

    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.status_code == 429 and "Retry-After" not in headers:
            headers["Retry-After"] = str(_retry_after(current_app))
        if request.path.startswith("/api/"):
            headers["Cache-Control"] = "no-store"
            headers.setdefault("Content-Security-Policy", API_CSP)
            return response
        if is_html(response):
            headers.setdefault("Content-Security-Policy", content_security_policy())
            if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
                headers.setdefault("X-Frame-Options", "DENY")  # for browsers without CSP level 2
        headers.setdefault("Referrer-Policy", "same-origin")
        return response
