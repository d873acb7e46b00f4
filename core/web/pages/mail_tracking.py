"""The public open pixel and click redirect of tracked email (`payvand.core.messaging.tracking`).

`GET /mail/open/<token>` records that the message was opened and answers a 1x1 GIF;
`GET /mail/click/<token>` records the click (and the open it implies) and redirects to the
address the message linked to — the one inside the signed token, never one from the request.
No login, no session, no CSRF (GET, nothing but a receipt changes); a token that does not
verify is a 404 page, and the answer is the same whether or not the message still exists, so
the routes tell nothing about our messages. Counted per client address
(`PAYVAND_MAIL_TRACKING_RATE`): over it, a 429 and nothing recorded.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, request

from payvand.core.db import current_session
from payvand.core.messaging import tracking
from payvand.core.web.access import public_page

bp = Blueprint("mail_tracking", __name__)

_NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


def _read(token: str, clicked: bool) -> tuple[str, str | None]:
    """The (reference, url) of a valid token of the right kind, else 404; 429 when over the rate."""
    from payvand.sdk.web import over_rate_limit

    found = tracking.read_tracking_token(str(current_app.config["SECRET_KEY"]), token)
    if found is None or (found[1] is not None) != clicked:
        abort(404)
    limit = str(current_app.config.get("PAYVAND_MAIL_TRACKING_RATE") or "120 per minute")
    if over_rate_limit(f"mail.tracking.{request.remote_addr}", limit):
        abort(429)
    return found


def _record(reference: str, clicked: bool) -> None:
    if request.method == "HEAD":  # link checkers and security scanners probe: that is not a person
        return
    tracking.record_interaction(current_session(), reference, clicked=clicked)
    current_session().commit()


@bp.route("/mail/open/<token>", methods=["GET"])
@public_page
def mail_open(token: str) -> Any:
    """Record the open; answer the transparent pixel."""
    reference, _ = _read(token, clicked=False)
    _record(reference, clicked=False)
    return Response(tracking.PIXEL, 200, {**_NO_STORE, "Content-Type": "image/gif"})


@bp.route("/mail/click/<token>", methods=["GET"])
@public_page
def mail_click(token: str) -> Any:
    """Record the click; redirect to the link the message carried."""
    reference, url = _read(token, clicked=True)
    _record(reference, clicked=True)
    response = redirect(str(url), 302)
    response.headers.update(_NO_STORE)
    return response
