"""The public web form that opens a ticket (`/forms/ticket`), embeddable like the sales lead form.

Anyone may write (`public_page`); no login. Framed in another site the session cookie is not
sent, so instead of the session CSRF token (`csrf_exempt`) the form carries its own signed,
expiring timestamp (salt `service.ticket_form`): at least `PAYVAND_SERVICE_FORM_MIN_SECONDS`
(default 3) old and at most a day. A hidden honeypot field catches bots (thanked, nothing kept);
each address may send `PAYVAND_SERVICE_FORM_RATE` (default "5 per 10 minutes", in the staff UI's
rate-limit storage). The sender is matched by email to a live customer, else created as a
prospect (source `service.web_form`); the ticket is opened with source `web_form`, channel
email, in the visitor's language — chosen by `?lang=fa|en`, else the browser's preference —
which the confirmation page is shown in too. Framing: the `service.form_frame_ancestors` setting.
"""

from __future__ import annotations

import time
from typing import Any, cast

from flask import current_app, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer

from payvand.plugins.service.services import tickets
from payvand.plugins.service.views import bp
from payvand.sdk import (
    N_,
    SYSTEM,
    ApiError,
    ConfigKey,
    FormResult,
    SettingSpec,
    content_security_policy,
    create_customer,
    csrf_exempt,
    find_customer_ids_by_email,
    normalize_email,
    over_rate_limit,
    public_page,
    session,
    setting,
)
from payvand.sdk import gettext as _

FRAME_SETTING = "service.form_frame_ancestors"
HONEYPOT = "website"
TOKEN = "form_token"
MAX_FORM_AGE = 24 * 3600
LANGUAGES = ("fa", "en")
FIELDS = ("name", "email", "phone", "subject", "message")
FORM_RATE = "PAYVAND_SERVICE_FORM_RATE"
FORM_MIN_SECONDS = "PAYVAND_SERVICE_FORM_MIN_SECONDS"
#: The form's configuration keys (`payvand_config_keys`).
CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(FORM_MIN_SECONDS, float, 3.0, "a support form sent sooner after it was shown is refused (bots)"),
    ConfigKey(FORM_RATE, str, "5 per 10 minutes",
              "support forms accepted per address (shared through PAYVAND_RATELIMIT_STORAGE_URI)"),
)


def setting_specs() -> list[SettingSpec]:
    """The setting the public form reads (for `payvand_settings`)."""
    return [SettingSpec(FRAME_SETTING, "*", N_("Support form: sites that may embed it"),
                        N_("Origins allowed to show the public support form in a frame, separated by spaces "
                           "(CSP frame-ancestors); * for any, 'none' for none."))]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(cast("str | bytes", current_app.secret_key), salt="service.ticket_form")


def form_token(issued_at: float | None = None) -> str:
    """A signed token carrying the time the form was shown."""
    return _serializer().dumps({"t": round(time.time() if issued_at is None else issued_at, 3)})


def _token_age(token: str | None) -> float | None:
    if not token:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), (int, float)):
        return None
    return time.time() - float(data["t"])


def _language() -> str:
    asked = request.values.get("lang", "")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or "fa"


def _embeddable(response: Any) -> Any:
    try:
        value = setting(FRAME_SETTING)
    except KeyError:
        value = "*"
    text = "".join(ch for ch in " ".join(str(value or "*").split()) if ch not in ";,\r\n") or "'none'"
    response.headers["Content-Security-Policy"] = content_security_policy(frame_ancestors=text)
    return response


def _page(form: FormResult, lang: str, status: int = 200) -> Any:
    with force_locale(lang):
        html = render_template("service/ticket_form_public.html", form=form, token=form_token(), honeypot=HONEYPOT,
                               lang=lang)
    return _embeddable(make_response(html, status))


def _refuse(values: dict[str, Any], lang: str, status: int, message: str) -> Any:
    return _page(FormResult(values=values, errors={"_form": [message]}), lang, status)


def _check(values: dict[str, str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not values.get("email"):
        errors["email"] = [_("Enter your email address so that we can answer.")]
    else:
        try:
            values["email"] = normalize_email(values["email"])
        except Exception:  # noqa: BLE001 - the SDK's NormalizationError and friends: a bad address
            errors["email"] = [_("Enter a valid email address.")]
    if not values.get("message"):
        errors["message"] = [_("Write your message.")]
    for name, limit in (("name", 200), ("phone", 40), ("subject", 300), ("message", 10000)):
        if len(values.get(name, "")) > limit:
            errors.setdefault(name, []).append(_("At most %(count)s characters.", count=limit))
    return errors


def _customer_id(values: dict[str, str], lang: str) -> int:
    found = find_customer_ids_by_email(values["email"])
    if found:
        return found[0]
    parts = values.get("name", "").split(None, 1)
    data: dict[str, Any] = {"emails": [values["email"]], "lifecycle_stage": "prospect", "preferred_language": lang}
    if parts:
        data["given_name"] = parts[0]
        if len(parts) > 1:
            data["family_name"] = parts[1]
    if values.get("phone"):
        data["phones"] = [values["phone"]]
    try:
        return create_customer(data, source="service.web_form").id
    except ApiError:  # a phone the core refuses: keep the visitor's email only
        data.pop("phones", None)
        return create_customer(data, source="service.web_form").id


@bp.route("/forms/ticket", methods=["GET", "POST"])
@public_page
@csrf_exempt  # framed in other sites the session cookie is not sent; the signed timestamp guards it
def ticket_form() -> Any:
    """The public support form: anyone may ask for help; embeddable in other sites."""
    lang = _language()
    if request.method == "GET":
        return _page(FormResult.empty(), lang)
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    with force_locale(lang):
        if over_rate_limit(f"service.ticket_form:{request.remote_addr or '?'}",
                           current_app.config.get(FORM_RATE, "5 per 10 minutes")):
            return _refuse(values, lang, 429, _("Too many submissions from your address. Try again later."))
        if request.form.get(HONEYPOT):  # a bot filled the hidden field: thank it and keep nothing
            return _embeddable(redirect(url_for("service.ticket_form_thanks", lang=lang)))
        age = _token_age(request.form.get(TOKEN))
        if age is None or age > MAX_FORM_AGE:
            return _refuse(values, lang, 400, _("The form has expired. Please send it again."))
        if age < float(current_app.config.get(FORM_MIN_SECONDS, 3)):
            return _refuse(values, lang, 422, _("That was too quick. Please check your details and send again."))
        errors = _check(values)
    if errors:
        return _page(FormResult(values=values, errors=errors), lang, 422)
    customer_id = _customer_id(values, lang)
    subject = values.get("subject") or values["message"].split("\n", 1)[0][:120]
    tickets.create_ticket(session(), {"customer_id": customer_id, "subject": subject, "body": values["message"],
                                      "channel": "email", "language": lang}, SYSTEM, source="web_form")
    session().commit()
    return _embeddable(redirect(url_for("service.ticket_form_thanks", lang=lang)))


@bp.get("/forms/ticket/thanks")
@public_page
def ticket_form_thanks() -> Any:
    """The confirmation shown after the form is sent, in the visitor's language."""
    lang = _language()
    with force_locale(lang):
        html = render_template("service/ticket_form_thanks.html", lang=lang)
    return _embeddable(make_response(html))
