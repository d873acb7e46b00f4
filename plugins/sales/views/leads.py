"""Lead pages: the public, embeddable lead form, and the staff list, detail, new-lead and scoring pages.

The public form (`/forms/lead`) is open to anyone (`public_page`). Embedded in another site,
browsers do not send Payvand's `SameSite=Lax` session cookie, so instead of the session CSRF
token (`csrf_exempt`) it carries its own signed, expiring timestamp; it acts for nobody and is
kept free of spam without third parties: a hidden honeypot field, a signed timestamp that
must be at least `PAYVAND_LEAD_FORM_MIN_SECONDS` old (default 3) and at most a day, and a
per-address limit (`PAYVAND_LEAD_FORM_RATE`, default "5 per 10 minutes", counted in the
staff UI's rate-limit storage: memory, or Redis shared by every web process).
It may be framed by the origins of the `sales.lead_form_frame_ancestors` setting (a CSP
`frame-ancestors` list; default `*`), and it keeps UTM parameters, campaign and referrer.
"""

from __future__ import annotations

import time
from typing import Any, cast

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from marshmallow import ValidationError

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import ScoringRule
from payvand.plugins.sales.schemas import ConvertIn, LeadIn, LeadPatch
from payvand.plugins.sales.services import leads as service
from payvand.plugins.sales.services import scoring
from payvand.plugins.sales.views import as_id, bp, staff
from payvand.plugins.sales.views.activities import lead_activities_html
from payvand.plugins.sales.views.messages import service_message
from payvand.sdk import (
    N_,
    Actor,
    ApiError,
    FormResult,
    content_security_policy,
    csrf_exempt,
    current_staff,
    format_number,
    list_view,
    over_rate_limit,
    public_page,
    read_number,
    read_numbers,
    session,
    setting,
    staff_required,
)
from payvand.sdk import (
    gettext as _,
)
from payvand.sdk import (
    lazy_gettext as _l,
)

FRAME_SETTING = "sales.lead_form_frame_ancestors"
HONEYPOT = "website"
TOKEN = "form_token"
MAX_FORM_AGE = 24 * 3600
UTM_FIELDS = tuple(f"utm_{key}" for key in service.UTM_KEYS)
FORM_FIELDS = ("given_name", "family_name", "organization_name", "email", "phone", "message")

STATUS_LABELS = {
    "new": _l("New"), "contacted": _l("Contacted"), "qualified": _l("Qualified"),
    "converted": _l("Converted"), "disqualified": _l("Disqualified"),
}
#: The lead service's refusals (`services/leads.py`, English as the API gives them), shown by these
#: pages through `service_message`: listed so that message extraction finds them.
MESSAGES = (_l("Only a sales manager may give a lead to someone else."), _l("The request has invalid fields."),
            _l("A converted lead keeps its status."), _l("Already converted."))
SOURCE_LABELS = {"web_form": _l("Web form"), "api": _l("API"), "import": _l("Import"), "manual": _l("Manual entry")}


def settings_specs() -> list[Any]:
    """The settings the lead pages read (for `payvand_settings`)."""
    from payvand.sdk import SettingSpec

    return [SettingSpec(FRAME_SETTING, "*", N_("Lead form: sites that may embed it"),
                        N_("Origins allowed to show the public lead form in a frame, separated by spaces "
                           "(CSP frame-ancestors), e.g. https://www.example.com; * for any, 'none' for none."))]


# --------------------------------------------------------------------------- spam protection


def _serializer() -> URLSafeSerializer:
    secret = cast("str | bytes", current_app.secret_key)  # the app's settings always give SECRET_KEY
    return URLSafeSerializer(secret, salt="sales.lead_form")


def form_token(issued_at: float | None = None) -> str:
    """A signed token carrying the time the form was shown."""
    return _serializer().dumps({"t": round(time.time() if issued_at is None else issued_at, 3)})


def token_age(token: str | None) -> float | None:
    """Seconds since the form carrying `token` was shown, or None when it was not made here."""
    if not token:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), (int, float)):
        return None
    return time.time() - float(data["t"])


def _rate_limited() -> bool:
    """Count a submission from this address; True when it is over `PAYVAND_LEAD_FORM_RATE`."""
    limit = current_app.config.get("PAYVAND_LEAD_FORM_RATE", "5 per 10 minutes")
    return over_rate_limit(f"sales.lead_form:{request.remote_addr or '?'}", limit)


def _frame_ancestors() -> str:
    try:
        value = setting(FRAME_SETTING)
    except KeyError:  # the setting is not declared (hook not wired): allow any site
        value = "*"
    text = " ".join(str(value or "*").split())
    return "".join(ch for ch in text if ch not in ";,\r\n") or "'none'"


def _embeddable(response: Any) -> Any:
    response.headers["Content-Security-Policy"] = content_security_policy(frame_ancestors=_frame_ancestors())
    return response


def _tracking_from_request() -> dict[str, str]:
    """UTM parameters, campaign and referrer from the query string (and the Referer header)."""
    found = {name: request.args.get(name, "").strip()[:120] for name in UTM_FIELDS + ("campaign",)}
    found["referrer"] = (request.args.get("ref") or request.referrer or "").strip()[:500]
    return {key: value for key, value in found.items() if value}


# --------------------------------------------------------------------------- the public form


def _public_values() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FORM_FIELDS + UTM_FIELDS + ("campaign", "referrer"):
        text = request.form.get(name, "").strip()  # normalised by the service (`normalize_lead`)
        if text:
            values[name] = text
    values["consent"] = request.form.get("consent") in ("1", "on", "true", "yes")
    return values


def _public_form(form: FormResult, tracking: dict[str, str], status: int = 200) -> Any:
    response = make_response(render_template(
        "sales/lead_form_public.html", form=form, tracking=tracking, token=form_token(), honeypot=HONEYPOT), status)
    return _embeddable(response)


@bp.route("/forms/lead", methods=["GET", "POST"])
@public_page
@csrf_exempt  # framed in other sites the session cookie is not sent; the signed timestamp guards it
def lead_form() -> Any:
    """The public lead form: anyone may leave their details; embeddable in other sites."""
    if request.method == "GET":
        return _public_form(FormResult.empty(), _tracking_from_request())
    values = _public_values()
    tracking = {k: values[k] for k in UTM_FIELDS + ("campaign", "referrer") if k in values}
    if _rate_limited():
        form = FormResult(values=values, errors={"_form": [_("Too many submissions from your address. Try again later.")]})
        return _public_form(form, tracking, 429)
    if request.form.get(HONEYPOT):  # a bot filled the hidden field: thank it and keep nothing
        return _embeddable(redirect(url_for("sales.lead_form_thanks")))
    age = token_age(request.form.get(TOKEN))
    min_seconds = float(current_app.config.get("PAYVAND_LEAD_FORM_MIN_SECONDS", 3))
    if age is None or age > MAX_FORM_AGE:
        form = FormResult(values=values, errors={"_form": [_("The form has expired. Please send it again.")]})
        return _public_form(form, tracking, 400)
    if age < min_seconds:
        form = FormResult(values=values, errors={"_form": [_("That was too quick. Please check your details and send again.")]})
        return _public_form(form, tracking, 422)
    data = {k: values[k] for k in FORM_FIELDS if k in values}
    data.update(source="web_form", consent=values["consent"],
                utm={key: values[f"utm_{key}"] for key in service.UTM_KEYS if f"utm_{key}" in values})
    for key in ("campaign", "referrer"):
        if key in values:
            data[key] = values[key]
    errors: dict[str, list[str]] = {}
    try:
        loaded = LeadIn().load(data)
    except ValidationError as exc:
        errors = {k: list(v) if isinstance(v, list) else [str(v)] for k, v in exc.messages.items()}  # type: ignore[union-attr]
        loaded = {}
    if not values["consent"]:
        errors.setdefault("consent", []).append(_("Please agree to be contacted."))
    if errors:
        return _public_form(FormResult(values=values, errors=errors), tracking, 422)
    service.create_lead(loaded, owner_id=None)
    session().commit()
    return _embeddable(redirect(url_for("sales.lead_form_thanks")))


@bp.get("/forms/lead/thanks")
@public_page
def lead_form_thanks() -> Any:
    """The page shown after the public form is sent."""
    return _embeddable(make_response(render_template("sales/lead_form_thanks.html")))


# --------------------------------------------------------------------------- staff pages


def _viewer() -> Actor:
    user = current_staff()
    assert user is not None  # guaranteed by staff_required
    return user


def _lead_or_404(lead_id: int) -> Any:
    lead = service.get_lead(lead_id, _viewer())
    if lead is None:
        abort(404)
    return lead


def _staff_values() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FORM_FIELDS + UTM_FIELDS + ("campaign", "referrer", "status", "owner_id", "source"):
        text = request.form.get(name, "")
        text = text.strip()  # the rest: `normalize_lead`
        if name == "owner_id" and as_id(text) is not None:
            text = str(as_id(text))  # any digits, by the staff forms' one number rule
        values[name] = text or None
    values["consent"] = request.form.get("consent") in ("1", "on", "true", "yes")
    return values


def _staff_data(values: dict[str, Any], *, new: bool) -> dict[str, Any]:
    data: dict[str, Any] = {k: values[k] for k in FORM_FIELDS + ("campaign", "referrer")}
    data["consent"] = values["consent"]
    data["utm"] = {key: values[f"utm_{key}"] for key in service.UTM_KEYS if values.get(f"utm_{key}")}
    if "owner_id" in request.form:  # only managers are offered the owner field
        owner = values.get("owner_id")
        data["owner_id"] = int(owner) if owner and owner.isdigit() else None
    if values.get("status"):
        data["status"] = values["status"]
    if new:
        data["source"] = values.get("source") or "manual"
        data = {k: v for k, v in data.items() if v is not None}
    return data


def _validate(schema: Any, data: dict[str, Any], values: dict[str, Any]) -> FormResult:
    try:
        return FormResult(values=values, data=schema.load(data))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return FormResult(values=values, errors={k: list(v) if isinstance(v, list) else [str(v)]
                                                 for k, v in messages.items()})


def _owner_choices(form: FormResult | None, current: int | None = None) -> list[tuple[int, str]]:
    """A manager picks any active owner; a rep has no owner field, unless the owner they posted was
    refused: then the field shows the refusal, offering the one owner they may name (the lead's
    current owner, or themselves)."""
    viewer = _viewer()
    if viewer.can(perm.MANAGE):
        return service.owner_choices()
    if form is None or not form.error("owner_id"):
        return []
    owner = current if current is not None else viewer.user_id
    if owner is None:
        return []
    return [(owner, service.owner_names_by_id([owner]).get(owner) or str(owner))]


def _refusal(form: FormResult, exc: service.LeadError) -> None:
    """The lead service's refusal on the form's fields, in the reader's language (the owner rule,
    `rules.may_assign`, is the service's: a rep giving a lead away gets it on the owner field)."""
    session().rollback()
    fields = exc.fields or {"_form": [exc.message]}
    form.errors.update({name: [service_message(str(m)) for m in messages] for name, messages in fields.items()})


@bp.get("/sales/leads")
@staff_required(perm.LEAD_VIEW)
def leads() -> Any:
    """Leads with filters (status, owner, source, minimum score, search), their scores explained, keyset pages."""
    viewer = _viewer()
    params = {k: v for k, v in request.args.items() if isinstance(v, str)}
    read_numbers(params, ("min_score", "owner_id"))  # "۱۰" is 10, by the staff forms' number rule
    view = list_view(service.LEADS, session(), viewer, "sales.leads", params=params,
                     message=lambda: _("The page link is no longer valid; start again from the first page."))
    rows = view.items
    return render_template(
        "sales/leads.html", view=view, leads=rows, owners=service.owner_names(rows), filters=request.args,
        owner_choices=service.owner_choices() if viewer.can(perm.MANAGE) else [], next_url=view.next_url,
        first_url=view.first_url, statuses=STATUS_LABELS, sources=SOURCE_LABELS, display_name=service.display_name,
    ), view.status


@bp.route("/sales/leads/new", methods=["GET", "POST"])
@staff_required(perm.LEAD_EDIT)
def lead_new() -> Any:
    """Enter a lead by hand (owned by the author unless a manager assigns it)."""
    viewer = _viewer()
    if request.method == "GET":
        form = FormResult.empty({"owner_id": viewer.user_id, "source": "manual"})
        return render_template("sales/lead_new.html", form=form, owner_choices=_owner_choices(None),
                               sources=SOURCE_LABELS)
    values = _staff_values()
    form = _validate(LeadIn(), _staff_data(values, new=True), values)
    if form.ok:
        try:
            lead = service.create_lead(form.data, owner_id=viewer.user_id, actor=viewer)
        except service.LeadError as exc:
            _refusal(form, exc)
        else:
            session().commit()
            flash(_("Lead saved."), "success")
            return redirect(url_for("sales.lead", lead_id=lead.id))
    return render_template("sales/lead_new.html", form=form, owner_choices=_owner_choices(form),
                           sources=SOURCE_LABELS), 422


def _lead_page(lead: Any, form: FormResult | None = None, status: int = 200) -> Any:
    if form is None:
        values = {name: getattr(lead, name) for name in FORM_FIELDS + ("campaign", "referrer", "status", "owner_id")}
        values.update({f"utm_{k}": v for k, v in (lead.utm or {}).items()})
        values["consent"] = lead.consent
        form = FormResult.empty(values)
    return render_template(
        "sales/lead.html", lead=lead, form=form, explain=scoring.explain(lead), owners=service.owner_names([lead]),
        owner_choices=_owner_choices(form, lead.owner_id), statuses=STATUS_LABELS,
        sources=SOURCE_LABELS, open_statuses=service.OPEN_STATUSES, display_name=service.display_name,
        activities_html=Markup(lead_activities_html(lead, staff())) if staff().can(perm.DEAL_VIEW) else None,
    ), status


@bp.get("/sales/leads/<int:lead_id>")
@staff_required(perm.LEAD_VIEW)
def lead(lead_id: int) -> Any:
    """One lead: details, the score explained, edit and convert."""
    return _lead_page(_lead_or_404(lead_id))


@bp.post("/sales/leads/<int:lead_id>")
@staff_required(perm.LEAD_EDIT)
def lead_edit(lead_id: int) -> Any:
    """Save changes to a lead."""
    item = _lead_or_404(lead_id)
    values = _staff_values()
    data = _staff_data(values, new=False)
    if item.status == "converted":
        data.pop("status", None)
    form = _validate(LeadPatch(partial=True), data, values)
    if form.ok:
        try:
            service.update_lead(item, form.data, _viewer())
        except service.LeadError as exc:
            _refusal(form, exc)
        else:
            session().commit()
            flash(_("Lead saved."), "success")
            return redirect(url_for("sales.lead", lead_id=lead_id))
    return _lead_page(_lead_or_404(lead_id), form, 422)


@bp.post("/sales/leads/<int:lead_id>/convert")
@staff_required(perm.LEAD_EDIT)
def lead_convert(lead_id: int) -> Any:
    """Convert the lead into a customer (and a deal when asked)."""
    item = _lead_or_404(lead_id)
    options: dict[str, Any] = {"create_deal": request.form.get("create_deal") in ("1", "on")}
    title = (request.form.get("deal_title") or "").strip()
    if title:
        options["deal_title"] = title[:200]
    amount = (request.form.get("deal_amount") or "").strip()
    if amount:
        try:
            options["deal_amount"] = str(read_number(amount))  # "۱٬۲۵۰٬۰۰۰" is 1250000; "1,5" is refused
        except ValueError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("sales.lead", lead_id=lead_id))
    try:
        options = ConvertIn().load(options)
        result = service.convert_lead(item, options)
    except (ValidationError, service.LeadError, ApiError) as exc:
        session().rollback()
        message = getattr(exc, "message", None) or _("The lead could not be converted.")
        flash(str(message), "danger")
        return redirect(url_for("sales.lead", lead_id=lead_id))
    session().commit()
    flash(_("Lead converted."), "success")
    return redirect(url_for("customer.view", customer_id=result.customer_id))


@bp.route("/sales/scoring", methods=["GET", "POST"])
@staff_required(perm.MANAGE)
def leads_scoring() -> Any:
    """Scoring rules: list, add, switch on or off; recompute every lead's score."""
    import sqlalchemy as sa

    form = FormResult.empty({"operator": "eq"})
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "add")
        if action == "recompute":
            done = scoring.recompute_scores()
            session().commit()
            flash(_("Scores recomputed for %(count)s leads.", count=format_number(done.leads)), "success")
            return redirect(url_for("sales.leads_scoring"))
        if action == "toggle":
            rule_id = (request.form.get("rule_id") or "").strip()
            rule = session().get(ScoringRule, int(rule_id)) if rule_id.isdigit() else None
            if rule is None:
                abort(404)
            rule.active = not rule.active
            session().commit()
            return redirect(url_for("sales.leads_scoring"))
        values = {k: (request.form.get(k) or "").strip() or None for k in ("name", "field", "operator", "value", "points")}
        numeric = ("points", "value") if values["field"] in scoring.NUMBER_FIELDS else ("points",)
        not_numbers = read_numbers(values, numeric)  # a name, and a value matched against text, stay as typed
        # (a text value is compared through `scoring`'s folding, so ي/ك typed on an Arabic keyboard match)
        form = _validate(scoring.RuleIn(), {k: v for k, v in values.items() if v is not None}, values)
        form.errors.update(not_numbers)
        if form.ok:
            scoring.create_rule(form.data)
            session().commit()
            flash(_("Rule added."), "success")
            return redirect(url_for("sales.leads_scoring"))
        status = 422
    rules = list(session().scalars(sa.select(ScoringRule).order_by(ScoringRule.id)))
    return render_template("sales/leads_scoring.html", rules=rules, form=form, fields=scoring.FIELDS,
                           operators=scoring.OPERATORS, field_labels=SCORING_FIELD_LABELS,
                           operator_labels=SCORING_OPERATOR_LABELS), status


#: The scoring rules' facts and comparisons in the reader's language (the stored names are the API's).
SCORING_FIELD_LABELS = {
    "source": _l("Source"), "status": _l("Status"), "campaign": _l("Campaign"), "utm_source": _l("UTM source"),
    "utm_medium": _l("UTM medium"), "utm_campaign": _l("UTM campaign"), "email_domain": _l("Email domain"),
    "has_phone": _l("Has a phone"), "consent": _l("Marketing consent"), "web_visits": _l("Web visits (30 days)"),
    "email_opens": _l("Emails opened (30 days)"), "form_fills": _l("Forms filled (30 days)"),
    "interactions": _l("Interactions (30 days)"), "recency": _l("Recency"),
}
SCORING_OPERATOR_LABELS = {
    "eq": _l("is"), "ne": _l("is not"), "contains": _l("contains"), "gte": _l("at least"), "lte": _l("at most"),
    "exists": _l("is given"), "decay": _l("fades with a half-life (days)"),
}
