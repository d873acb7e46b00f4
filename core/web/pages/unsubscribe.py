"""The public one-click unsubscribe page of marketing mail (RFC 8058).

A marketing email's `List-Unsubscribe` names `/unsubscribe/<token>`, the token signed with the
app's secret key and naming the customer, the channel and the purpose. A mail client's
one-click POST (`List-Unsubscribe=One-Click`, no cookies, no session) withdraws that consent at
once: a new consent row, granted False, source `unsubscribe`. A person who opens the link gets
a confirmation page in the customer's language (fa/en) with one button, which posts the same.
The POST is CSRF-exempt (`csrf_exempt`): it acts for nobody but the token's customer and the
token is its proof; repeating it changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask_babel import force_locale

from payvand.core.actor import SYSTEM
from payvand.core.db import current_session
from payvand.core.messaging.email_channel import read_unsubscribe_token
from payvand.core.web.access import csrf_exempt, public_page

bp = Blueprint("unsubscribe", __name__)


def _subject(token: str) -> tuple[Any, str, str]:
    """The customer, channel and purpose of a valid token, else 404."""
    from payvand.core.services.customers import get_customer, is_active

    found = read_unsubscribe_token(str(current_app.config["SECRET_KEY"]), token)
    if found is None:
        abort(404)
    customer_id, channel, purpose = found
    customer = get_customer(current_session(), customer_id)
    if customer is None or not is_active(customer):
        abort(404)
    return customer, channel, purpose


def withdraw(customer: Any, channel: str) -> bool:
    """Record the withdrawal of `channel`'s marketing consent (when it is not already withdrawn); True when recorded."""
    from payvand.core.services.customers import update_customer

    if not customer.has_consent(channel) and (channel, "marketing") in customer.current_consents():
        return False
    changes = update_customer(current_session(), customer, {"consents": [
        {"channel": channel, "purpose": "marketing", "granted": False, "source": "unsubscribe"}]},
        SYSTEM, source="unsubscribe")
    return bool(changes)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public_page
@csrf_exempt  # RFC 8058: mail clients post without cookies; the signed token is the proof
def unsubscribe(token: str) -> Any:
    """GET: a confirmation page with one button; POST: withdraw the consent and say so."""
    from flask import request

    customer, channel, _purpose = _subject(token)
    done = False
    if request.method == "POST":
        withdraw(customer, channel)
        current_session().commit()
        done = True
    language = customer.preferred_language if customer.preferred_language in ("fa", "en") else "fa"
    with force_locale(language):
        page = render_template("messages/unsubscribe.html", token=token, done=done, channel=channel,
                               page_locale=language)
    return page, 200, {"Cache-Control": "no-store", "Content-Language": language}
