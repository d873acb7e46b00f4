"""Staff pages for customers: the list (search, filters, sort, keyset pages), create and edit
forms, tags and consent per channel with its history.

The list runs the same service query as `GET /api/v1/customers`; the forms validate with the
API's `CustomerIn` schema, so a value the API refuses is refused here with the same message,
shown next to its field.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from payvand.core import locale_format
from payvand.core import permissions as perm
from payvand.core.api.customers import customer_in_schema
from payvand.core.db import current_session
from payvand.core.listing import list_view
from payvand.core.locale_format import isolate
from payvand.core.models import CustomerConsent, CustomerKind, LifecycleStage
from payvand.core.normalize import fold, looks_like_email, looks_like_phone
from payvand.core.services import customers as service
from payvand.core.services import staff
from payvand.core.services.customer_list import CUSTOMERS, CustomerListArgs
from payvand.core.settings import phone_region
from payvand.core.web import labels
from payvand.core.web.access import local_path, staff_required, staff_user
from payvand.core.web.forms import FormResult, form_values, read_numbers, validate
from payvand.core.web.i18n import current_locale, format_date, translate_text
from payvand.core.web.messages import translate_error

bp = Blueprint("customers", __name__)

#: Rows per list page.
PAGE_SIZE = 50
#: Owners offered in the selects: active users, by name (a deployment has tens, not thousands).
OWNER_LIMIT = 500
#: Where staff decisions on consent come from, in the consent history.
STAFF_SOURCE = "staff UI"

SORT_OPTIONS = tuple((sort.key, sort.label) for sort in CUSTOMERS.sorts)
LANGUAGES = (("fa", "فارسی"), ("en", "English"))

#: Form inputs that are cleared when left empty on edit.
CLEARABLE = ("given_name", "family_name", "organization_name", "birthday", "owner_id",
             "preferred_language", "preferred_channel", "timezone", "referred_by_id")
ATTR_PREFIX = "attr."


def _owners() -> list[tuple[int, str]]:
    """Active users as (id, label) pairs, for the owner selects (one query)."""
    rows = staff.user_choices(current_session(), limit=OWNER_LIMIT)
    return [(row.id, row.name or row.email) for row in rows]


def _too_short(q: str) -> bool:
    """A name query under two letters would match a large share of customers: ask for more."""
    q = q.strip()
    if not q or looks_like_email(q) or looks_like_phone(q):
        return False
    return len(fold(q).replace(" ", "")) < 2


# --------------------------------------------------------------------------- list


@bp.get("/customers")
@staff_required(perm.CUSTOMER_VIEW)
def index() -> Any:
    """The customer list: search, filters, sort and keyset pages of 50.

    Queries per page, whatever the data size: the customers, one per child table and the
    owners for the select (plus the shell's user, session and settings lookups).
    """
    known = CustomerListArgs().fields  # other query arguments (tracking tags, old links) are ignored here
    raw = {k: v.strip() for k, v in request.args.items() if k in known and isinstance(v, str) and v.strip()}
    hint = None
    view = None
    if raw.get("q") and _too_short(raw["q"]):
        hint = _("Type at least two letters of a name, or a phone number or email.")
    else:
        view = list_view(CUSTOMERS, current_session(), staff_user(), "customers.index", limit=PAGE_SIZE, params=raw,
                         message=lambda: _("The page link is no longer valid; start again from the first page."),
                         region=phone_region())
    filters = FormResult.empty(raw)
    if view is not None:
        filters.errors = view.errors
    owners = _owners()
    owner_names = dict(owners)
    return render_template(
        "customers/index.html", filters=filters, items=view.items if view else [], hint=hint, owners=owners,
        owner_names=owner_names, channels=labels.channels(), stages=labels.STAGES, sorts=SORT_OPTIONS,
        next_url=view.next_url if view else None, first_url=view.first_url if view else None,
        filtered=any(raw.get(k) for k in ("q", "tag", "stage", "owner_id", "consent")),
    ), view.status if view else 200


# --------------------------------------------------------------------------- forms


def _as_int(value: Any) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    return value


def _attribute_value(field: Any, raw: Any) -> Any:
    if field.type == "boolean":
        return raw in ("1", "on", "true", True)
    if raw in (None, ""):
        return None
    if field.type == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    return raw


def _read_form(*, editing: bool) -> FormResult:
    """The submitted customer form validated by `CustomerIn`; the birthday read in the user's calendar."""
    declared = current_app.extensions["payvand"].customer_fields()
    numeric = [ATTR_PREFIX + name for name, field in declared.items() if field.type in ("integer", "decimal", "date")]
    shown = form_values(lists=["emails", "phones", "tags"], keep_empty=CLEARABLE if editing else (),
                        numbers=["owner_id", "referred_by_id", "version", *numeric])
    shown["tags"] = [t.strip() for line in shown.get("tags", []) for t in line.split(",") if t.strip()]
    amounts = [ATTR_PREFIX + name for name, field in declared.items() if field.type in ("integer", "decimal")]
    errors: dict[str, list[str]] = read_numbers(shown, ["owner_id", "referred_by_id", "version", *amounts])  # "۱٬۲۵۰" is 1250
    payload: dict[str, Any] = {k: v for k, v in shown.items() if not k.startswith(ATTR_PREFIX)}
    if payload.get("birthday"):
        try:
            payload["birthday"] = locale_format.parse_date(payload["birthday"], current_locale()).isoformat()
        except ValueError:
            payload.pop("birthday")
            errors["birthday"] = [_("Not a valid date; use YYYY/MM/DD (Jalali) or YYYY-MM-DD.") if current_locale() == "fa"
                                  else _("Not a valid date; use YYYY-MM-DD.")]
    for name in ("owner_id", "referred_by_id", "version"):
        if name in payload:
            payload[name] = _as_int(payload[name])
    declared = current_app.extensions["payvand"].customer_fields()
    attributes = {}
    for name, field in declared.items():
        key = ATTR_PREFIX + name
        value = _attribute_value(field, shown.get(key))
        if value is not None or editing or field.required:
            attributes[name] = value
    if attributes:
        payload["attributes"] = attributes
    result = validate(customer_in_schema(partial=editing), payload)
    result.values = shown
    for name, messages in result.errors.items():
        if name in errors or ATTR_PREFIX + name.removeprefix("attributes.") in errors:
            continue  # the number rule's message is already there
        if name.startswith("attributes."):
            errors.setdefault(ATTR_PREFIX + name.removeprefix("attributes."), []).extend(messages)
        else:
            errors.setdefault(name, []).extend(messages)
    owner_id = result.data.get("owner_id")
    if owner_id is not None and "owner_id" not in errors:
        user = staff.get_user(current_session(), owner_id)
        if user is None or not user.is_active:
            errors["owner_id"] = [_("Choose an active user.")]
    result.errors = errors
    return result


def _form_page(form: FormResult, *, customer: Any = None, status: int = 200, stale: bool = False) -> Any:
    declared = current_app.extensions["payvand"].customer_fields()
    return render_template(
        "customers/form.html", form=form, customer=customer, stale=stale, owners=_owners(),
        channels=labels.channels(), stages=labels.STAGES, kinds=labels.CUSTOMER_KINDS, languages=LANGUAGES,
        custom_fields=list(declared.values()), attr_prefix=ATTR_PREFIX,
        choice_options={name: [(c, translate_text(f.choice_labels.get(c, c), name.split(".", 1)[0])) for c in f.choices]
                        for name, f in declared.items()},  # the declaring plugin's catalog first
    ), status


def _actor() -> Any:
    user = staff_user()
    assert user is not None
    return user


@bp.route("/customers/new", methods=["GET", "POST"])
@staff_required(perm.CUSTOMER_EDIT)
def new() -> Any:
    """Create a customer; on success go to their 360 page."""
    if request.method == "GET":
        return _form_page(FormResult.empty({"kind": CustomerKind.person.value,
                                            "lifecycle_stage": LifecycleStage.prospect.value}))
    form = _read_form(editing=False)
    if not form.ok:
        return _form_page(form, status=422)
    data = dict(form.data)
    data.pop("version", None)
    session = current_session()
    try:
        customer = service.create_customer(session, data, _actor(), source=STAFF_SOURCE)
    except service.InvalidChange as exc:
        session.rollback()
        form.errors = exc.fields
        return _form_page(form, status=422)
    session.commit()
    flash(_("Customer %(name)s was created.", name=isolate(customer.display_name)), "success")
    return redirect(url_for("customer.view", customer_id=customer.id))


def _customer_or_404(customer_id: int) -> Any:
    customer = service.get_customer(current_session(), customer_id)
    if customer is None:
        abort(404)
    return customer


def _birthday_text(value: Any) -> str:
    if value is None:
        return ""
    if current_locale() == "fa":
        return format_date(value, "short")
    return str(value.isoformat())


def _edit_values(customer: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": customer.kind, "given_name": customer.given_name, "family_name": customer.family_name,
        "organization_name": customer.organization_name, "emails": [e.email for e in customer.emails],
        "phones": [p.number for p in customer.phones], "tags": customer.tag_names,
        "birthday": _birthday_text(customer.birthday), "lifecycle_stage": customer.lifecycle_stage,
        "owner_id": customer.owner_id, "preferred_language": customer.preferred_language,
        "preferred_channel": customer.preferred_channel, "timezone": customer.timezone,
        "referred_by_id": customer.referred_by_id, "version": customer.version,
    }
    for name, value in (customer.attributes or {}).items():
        values[ATTR_PREFIX + name] = value
    return values


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@staff_required(perm.CUSTOMER_EDIT)
def edit(customer_id: int) -> Any:
    """Change a customer; a write based on an old version is refused with a message (409)."""
    customer = _customer_or_404(customer_id)
    if not service.is_active(customer):
        flash(_("A merged or erased customer cannot be changed."), "warning")
        return redirect(url_for("customer.view", customer_id=customer_id))
    if request.method == "GET":
        return _form_page(FormResult.empty(_edit_values(customer)), customer=customer)
    form = _read_form(editing=True)
    if not form.ok:
        return _form_page(form, customer=customer, status=422)
    data = dict(form.data)
    errors = _save(customer, data, expected_version=data.pop("version", None))
    if STALE_KEY in errors:
        current = _customer_or_404(customer_id)
        form.values["version"] = current.version
        return _form_page(form, customer=current, status=409, stale=True)
    if errors:
        form.errors = errors
        return _form_page(form, customer=_customer_or_404(customer_id), status=422)
    flash(_("Your changes were saved."), "success")
    return redirect(url_for("customer.view", customer_id=customer_id))


#: The key `_save` gives its message under when someone else changed the customer first.
STALE_KEY = "_stale"
#: Where `_save` puts the service's refusal of a merged or erased customer (a form-wide error).
INACTIVE_KEY = "_form"


def _save(customer: Any, data: dict[str, Any], expected_version: int | None = None) -> dict[str, list[str]]:
    """Apply a change to a customer and commit; the field errors when it was refused (then nothing is saved)."""
    session = current_session()
    try:
        service.update_customer(session, customer, data, _actor(), expected_version=expected_version,
                                source=STAFF_SOURCE)
        session.commit()
    except service.InvalidChange as exc:
        session.rollback()
        return exc.fields
    except (service.StaleVersion, sa.orm.exc.StaleDataError):
        session.rollback()
        return {STALE_KEY: [_("The customer was changed by someone else; reload and try again.")]}
    except service.CustomerInactive:
        session.rollback()
        return {INACTIVE_KEY: [_("A merged or erased customer cannot be changed.")]}
    return {}


# --------------------------------------------------------------------------- tags


def _back(customer_id: int) -> Any:
    return redirect(local_path(request.form.get("next")) or url_for("customer.view", customer_id=customer_id))


@bp.post("/customers/<int:customer_id>/tags")
@staff_required(perm.CUSTOMER_EDIT)
def tags(customer_id: int) -> Any:
    """Add (`action=add`, `tag=...`) or remove (`action=remove`) one tag.

    An htmx request gets the tags fragment back (`customers/_tags.html`); a plain form post
    goes back to `next` or the 360 page.
    """
    customer = _customer_or_404(customer_id)
    action = request.form.get("action", "add")
    form = form_values()
    tag = form.get("tag") or ""
    current = customer.tag_names
    wanted = current + [tag] if action == "add" else [t for t in current if t != tag]
    errors: dict[str, list[str]] = {}
    if action not in ("add", "remove"):
        errors["tag"] = [_("Choose add or remove.")]
    elif not tag:
        errors["tag"] = [_("Give a tag.")]
    else:
        result = validate(customer_in_schema(partial=True), {"tags": wanted})
        errors = {"tag": [m for messages in result.errors.values() for m in messages]} if result.errors else {}
        if not errors:
            refused = _save(customer, result.data)
            errors = {"tag": [m for messages in refused.values() for m in messages]} if refused else {}
            customer = _customer_or_404(customer_id)
    status = 422 if errors else 200
    if request.headers.get("HX-Request"):
        return render_template("customers/_tags.html", customer=customer,
                               tag_form=FormResult(values={"tag": tag if errors else ""}, errors=errors)), status
    for message in errors.get("tag", []):
        flash(translate_error(message), "danger")  # the schema's messages are English msgids
    if not errors:
        added = action == "add"
        flash(_("Tag %(tag)s added.", tag=isolate(tag)) if added else _("Tag %(tag)s removed.", tag=isolate(tag)), "success")
    return _back(customer_id)


# --------------------------------------------------------------------------- consent


def _history(customer_id: int) -> list[CustomerConsent]:
    return service.consent_history(current_session(), customer_id)


def _consent_page(customer: Any, form: FormResult, status: int = 200) -> Any:
    template = "customers/_consents.html" if request.headers.get("HX-Request") else "customers/consents.html"
    history = _history(customer.id)
    current = {}
    for row in reversed(history):
        current[(row.channel, row.purpose)] = row
    current_rows = sorted(current.values(), key=lambda r: (r.channel, r.purpose))
    return render_template(template, customer=customer, history=history, current=current_rows,
                           channels=labels.channels(), purposes=list(labels.PURPOSES.items()), consent_form=form), status


@bp.get("/customers/<int:customer_id>/consents")
@staff_required(perm.CUSTOMER_VIEW)
def consents(customer_id: int) -> Any:
    """The customer's consent per channel and purpose now, and every decision before (newest first)."""
    customer = service.get_customer(current_session(), customer_id, with_children=False)
    if customer is None:
        abort(404)
    return _consent_page(customer, FormResult.empty({"purpose": "marketing"}))


@bp.post("/customers/<int:customer_id>/consents")
@staff_required(perm.CUSTOMER_EDIT)
def consent(customer_id: int) -> Any:
    """Record a grant (`granted=1`) or a withdrawal (`granted=0`) for a channel and purpose."""
    customer = _customer_or_404(customer_id)
    shown = form_values()
    decision = {"channel": shown.get("channel"), "purpose": shown.get("purpose") or "marketing",
                "granted": shown.get("granted"), "source": STAFF_SOURCE}
    result = validate(customer_in_schema(partial=True), {"consents": [{k: v for k, v in decision.items() if v is not None}]})
    errors = {name.removeprefix("consents."): messages for name, messages in result.errors.items()}
    form = FormResult(values=shown, errors=errors)
    if form.errors:
        return _consent_page(customer, form, 422)
    refused = _save(customer, result.data)
    if refused:
        form.errors = {"_form": [m for messages in refused.values() for m in messages]}
        return _consent_page(_customer_or_404(customer_id), form, 409 if STALE_KEY in refused else 422)
    if request.headers.get("HX-Request"):
        return _consent_page(customer, FormResult.empty({"purpose": "marketing"}))
    flash(_("The consent decision was recorded."), "success")
    return redirect(url_for("customers.consents", customer_id=customer_id))
