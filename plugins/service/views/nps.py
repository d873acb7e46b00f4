"""NPS pages: the public answer page (GET shows the chosen score, POST records it once) and the
staff page that sends the survey to a segment chosen by the customer list's filters."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.services import nps as service
from payvand.plugins.service.views import bp
from payvand.sdk import (
    Customer,
    csrf_exempt,
    current_actor,
    customer_list,
    localize_digits,
    public_page,
    session,
    staff_required,
    to_latin_digits,
)
from payvand.sdk import gettext as _

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


def _send_form(values: Any) -> dict[str, Any]:
    """The send's data from the page's fields: filters by their list parameters, ids one per line."""
    params = {flt["params"]["eq"] if "eq" in flt["params"] else next(iter(flt["params"].values()))
              for flt in customer_list().describe()["filters"]}
    ids_text = to_latin_digits(values.get("customer_ids") or "")
    ids = [part for part in ids_text.replace(",", " ").split() if part]
    return {"campaign": (values.get("campaign") or "").strip(), "channel": (values.get("channel") or "email").strip(),
            "filters": {key: to_latin_digits(values[key].strip()) for key in params if (values.get(key) or "").strip()},
            "customer_ids": ids}


@bp.route("/service/surveys/nps", methods=["GET", "POST"])
@staff_required(perm.NPS_SEND)
def nps_send() -> Any:
    """Send the NPS survey to the customers the customer list's filters choose (or to a list of
    ids): the count first (Preview), then the send in the background."""
    from marshmallow import ValidationError

    from payvand.plugins.service.schemas_nps import NpsSendIn

    values = request.form if request.method == "POST" else request.args
    data, errors, matching = _send_form(values), {}, None
    if request.method == "POST" or values.get("preview"):
        try:
            loaded = NpsSendIn().load(data)
        except ValidationError as exc:
            errors = _flat(exc.normalized_messages())
        else:
            if request.method == "POST":
                row = service.request_send(session(), current_actor(), loaded["campaign"], loaded["channel"],
                                           filters=loaded["filters"], ids=loaded["customer_ids"])
                session().commit()
                flash(_("The survey is being sent to %(count)s customers.", count=localize_digits(str(row.matching))),
                      "success")
                return redirect(url_for("service.nps_send"))
            matching = service.preview(session(), loaded["filters"], loaded["customer_ids"], current_actor())
    status = 422 if errors else 200
    return render_template("service/nps_send.html", data=data, errors=errors, matching=matching,
                           filters=customer_list().describe()["filters"], sends=service.recent_sends(session())), status


def _flat(messages: dict[str, Any]) -> dict[str, str]:
    """Field messages as one text per field of the page (a filter's under its own parameter)."""
    found: dict[str, str] = {}
    for key, value in messages.items():
        if key == "filters" and isinstance(value, dict):
            found.update(_flat(value))
        elif isinstance(value, dict):  # a list's items: {index: [messages]}
            found[key] = " ".join(str(m) for items in value.values() for m in (items if isinstance(items, list) else [items]))
        else:
            found[key] = " ".join(str(m) for m in value) if isinstance(value, list) else str(value)
    return found
