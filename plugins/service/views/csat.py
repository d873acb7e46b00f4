"""The public rating page of the CSAT survey: GET shows the chosen score, POST records it."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_babel import force_locale

from payvand.plugins.service.models import Ticket
from payvand.plugins.service.services import csat as service
from payvand.plugins.service.views import bp
from payvand.sdk import Customer, csrf_exempt, public_page, session


@bp.route("/service/csat/<token_text>", methods=["GET", "POST"])
@public_page
@csrf_exempt  # the signed token is the proof; posting records nothing a scanner's GET could
def csat(token_text: str) -> Any:
    """Rate a solved ticket 1–5 with an optional comment (once)."""
    ticket_id = service.read_token(token_text)
    ticket = session().get(Ticket, ticket_id) if ticket_id else None
    if ticket is None:
        abort(404)
    customer = session().get(Customer, ticket.customer_id)
    language = customer.preferred_language if customer and customer.preferred_language in ("fa", "en") else "fa"
    text = request.values.get("score", "")
    score = int(text) if text in {"1", "2", "3", "4", "5"} else None
    status, done = 200, service.rated(session(), ticket.id)
    if request.method == "POST" and not done:
        if score is None:
            status = 422
        else:
            service.record(session(), ticket, score, (request.form.get("comment") or "").strip())
            session().commit()
            done = True
    with force_locale(language):
        page = render_template("service/csat.html", token_text=token_text, score=score, done=done, ticket=ticket,
                               page_locale=language, missing=status == 422)
    return page, status, {"Cache-Control": "no-store", "Content-Language": language}
