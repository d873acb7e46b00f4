"""The public NPS answer page: GET shows the chosen score, POST records it (once)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_babel import force_locale

from payvand.plugins.service.services import nps as service
from payvand.plugins.service.views import bp
from payvand.sdk import Customer, csrf_exempt, public_page, session

SCORES = {str(n): n for n in range(11)}


@bp.route("/service/nps/<token_text>", methods=["GET", "POST"])
@public_page
@csrf_exempt  # the signed token is the proof; a scanner's GET records nothing
def nps(token_text: str) -> Any:
    """Answer 0–10 with an optional comment."""
    found = service.read_token(token_text)
    row = service.invitation(session(), *found) if found else None
    if row is None:
        abort(404)
    customer = session().get(Customer, row.customer_id)
    language = customer.preferred_language if customer and customer.preferred_language in ("fa", "en") else "fa"
    score = SCORES.get(request.values.get("score", ""))
    status, done = 200, row.answered_at is not None
    if request.method == "POST" and not done:
        if score is None:
            status = 422
        else:
            service.answer(session(), row, score, (request.form.get("comment") or "").strip())
            session().commit()
            done = True
    with force_locale(language):
        page = render_template("service/nps.html", token_text=token_text, score=score, done=done,
                               page_locale=language, missing=status == 422)
    return page, status, {"Cache-Control": "no-store", "Content-Language": language}
