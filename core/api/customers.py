"""`/api/v1/customers`: list, create, read, patch, delete, merge, export and erase."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from payvand.core import permissions as perm
from payvand.core.actor import current_actor
from payvand.core.api.base import (
    ApiBlueprint,
    json_body,
    require,
    runtime,
)
from payvand.core.api.errors import ApiError
from payvand.core.db import MAX_ID, current_session
from payvand.core.listing.web import api_page
from payvand.core.models import Customer, CustomerMerge
from payvand.core.plugins import PluginError
from payvand.core.schemas import ConsentOut, CustomerIn, CustomerOut, InteractionOut
from payvand.core.services import customers as service
from payvand.core.services import staff
from payvand.core.services.customer_list import CUSTOMERS, CustomerListArgs
from payvand.core.services.merge import MergeError, get_merge, merge_customers, moved_summary, undo_merge
from payvand.core.services.privacy import erase_customer, export_customer
from payvand.core.settings import phone_region

blp = ApiBlueprint("customers", __name__, url_prefix="/customers", description="Customers: people and organisations.")


class CustomerPage(Schema):
    """One page of customers; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(CustomerOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class MergeIn(Schema):
    """Which customer to merge into this one."""

    source_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))


class MergeOut(Schema):
    """A recorded merge and how many rows moved, per table."""

    id = fields.Integer(required=True)
    target_id = fields.Integer(required=True)
    source_id = fields.Integer(required=True)
    moved = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                        metadata={"description": "Rows re-pointed to the target, per table (core and plugins)"})
    merged_at = fields.DateTime(required=True)
    undone_at = fields.DateTime(allow_none=True, required=True)


class MergeSummary(Schema):
    """A merge the customer took part in, as listed in an export."""

    id = fields.Integer(required=True)
    target_id = fields.Integer(required=True)
    source_id = fields.Integer(required=True)
    merged_at = fields.DateTime(required=True)
    undone_at = fields.DateTime(allow_none=True, required=True)


class ExportedAttachment(Schema):
    """An attachment of an exported message (its name and type; the bytes stay in Payvand)."""

    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)


class ExportedReceipt(Schema):
    """A status a provider reported for an exported message."""

    status = fields.String(required=True)
    occurred_at = fields.DateTime(required=True)
    reason = fields.String(required=True)


class ExportedMessage(Schema):
    """A message sent to or received from the customer, on any channel."""

    id = fields.Integer(required=True)
    channel = fields.String(required=True)
    direction = fields.String(required=True, metadata={"enum": ["outbound", "inbound"]})
    purpose = fields.String(required=True)
    status = fields.String(required=True)
    address = fields.String(required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    html = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)
    reply_to_id = fields.Integer(required=True, allow_none=True)
    attachments = fields.List(fields.Nested(ExportedAttachment), required=True)
    receipts = fields.List(fields.Nested(ExportedReceipt), required=True)


class ExportOut(Schema):
    """Everything about a customer: the record, consent history, timeline, merges and plugins' parts."""

    format = fields.String(required=True, metadata={"enum": ["payvand.customer-export/1"]})
    exported_at = fields.DateTime(required=True)
    customer = fields.Nested(CustomerOut, required=True)
    consent_history = fields.List(fields.Nested(ConsentOut), required=True)
    interactions = fields.List(fields.Nested(InteractionOut), required=True)
    merges = fields.List(fields.Nested(MergeSummary), required=True)
    messages = fields.List(fields.Nested(ExportedMessage), required=True)
    plugins = fields.Dict(keys=fields.String(), required=True,
                          metadata={"description": "Each plugin's part under its name"})


CUSTOMER_EXAMPLE = {
    "given_name": "علی", "family_name": "رضایی", "emails": ["ali.rezaei@example.com"], "phones": ["۰۹۱۲ ۳۴۵ ۶۷۸۹"],
    "birthday": "1990-05-01", "tags": ["vip"], "lifecycle_stage": "lead",
    "addresses": [{"line1": "خیابان ولیعصر ۱۲", "city": "تهران", "country": "IR"}],
    "consents": [{"channel": "sms", "granted": True, "source": "shop form"}],
}
ETAG_HEADER = {"ETag": {"description": "The customer's version, to send back as `If-Match`",
                        "schema": {"type": "string"}}}
IF_MATCH = {"in": "header", "name": "If-Match", "required": False,
            "description": "The `ETag` you read; a stale one is refused with 409",
            "schema": {"type": "string", "pattern": r'^(\*|(W/)?"[0-9]{1,10}")$'}}


def customer_in_schema(*, partial: bool) -> CustomerIn:
    """The input schema bound to this deployment's region, custom fields and channels."""
    rt = runtime()
    return CustomerIn(
        partial=partial,
        region=phone_region(),
        declared=rt.customer_fields(),
        channels=rt.channels(),
    )


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(schema: Schema) -> dict[str, Any]:
    """Parse and validate the JSON body with `schema`; 415/400/422 with field messages."""
    from marshmallow import ValidationError

    if not request.is_json:
        raise ApiError(415, "Send a JSON body with 'Content-Type: application/json'.")
    try:
        body = json.loads(request.get_data(), parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise ApiError(400, "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(422, "The body must be a JSON object.", fields={"_schema": ["Expected an object."]})
    try:
        return schema.load(body)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ApiError(422, "The request has invalid fields.", fields=messages) from None


def get_or_404(customer_id: int, *, with_children: bool = True) -> Customer:
    """The customer with this id, or a 404."""
    customer = service.get_customer(current_session(), customer_id, with_children=with_children)
    if customer is None:
        raise ApiError(404, f"There is no customer {customer_id}.")
    return customer


def etag(customer: Customer | service.CustomerView) -> str:
    """The strong ETag of a customer's current version."""
    return f'"{customer.version}"'


def expected_version(body: dict[str, Any] | None = None) -> int | None:
    """The version the client read, from `If-Match` (wins) or the body's `version`.

    `If-Match: *` means "whatever the version"; a malformed header is a 400.
    """
    header = request.headers.get("If-Match")
    version = (body or {}).pop("version", None)
    if header is not None:
        value = header.strip()
        if value == "*":
            return None
        value = value.removeprefix("W/").strip('"')
        if not value.isascii() or not value.isdigit() or len(value) > 10:
            raise ApiError(400, "If-Match must be the ETag you received, e.g. '\"3\"'.", fields={"If-Match": ["Malformed."]})
        return int(value)
    return version


def stale(customer_id: int) -> ApiError:
    """The 409 for a write based on an old version, naming the current one."""
    current = get_or_404(customer_id, with_children=False)
    return ApiError(409, "The customer was changed by someone else; reload and try again.",
                    code="stale_version", fields={"version": [f"Current version is {current.version}."]},
                    headers={"ETag": etag(current)})


@blp.route("")
class Customers(MethodView):
    """The customer collection."""

    @require(perm.CUSTOMER_VIEW)
    @blp.arguments(CustomerListArgs, location="query", unknown=RAISE)
    @blp.response(200, CustomerPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List customers: search `q` (name, email, phone), filter by tag, stage, owner, consent; cursor pages.

        Merged-away customers are left out. Pages are keyed on the sort value and the id, so
        rows inserted while a client walks the pages neither repeat nor hide other rows.
        """
        return api_page(CUSTOMERS, current_session(), args, current_actor(), region=phone_region())

    @require(perm.CUSTOMER_EDIT)
    @blp.response(201, CustomerOut, headers={
        **ETAG_HEADER, "Location": {"description": "The new customer's URL", "schema": {"type": "string"}}})
    @blp.doc(requestBody=json_body(CustomerIn, CUSTOMER_EXAMPLE))
    def post(self) -> Any:
        """Create a customer."""
        data = load_json(customer_in_schema(partial=False))
        data.pop("version", None)
        session = current_session()
        _check_owner(data)
        try:
            customer = service.create_customer(session, data, current_actor())
        except service.InvalidChange as exc:
            session.rollback()
            raise ApiError(422, "The request has invalid fields.", fields=exc.fields) from None
        session.commit()
        customer = get_or_404(customer.id)
        return customer, 201, {"ETag": etag(customer), "Location": f"/api/v1/customers/{customer.id}"}


def _check_owner(data: dict[str, Any]) -> None:
    owner_id = data.get("owner_id")
    if owner_id is not None and staff.get_user(current_session(), owner_id) is None:
        raise ApiError(422, "The request has invalid fields.", fields={"owner_id": [f"There is no user {owner_id}."]})


@blp.route("/<int:customer_id>")
class CustomerItem(MethodView):
    """One customer."""

    @require(perm.CUSTOMER_VIEW)
    @blp.response(200, CustomerOut, headers=ETAG_HEADER)
    def get(self, customer_id: int) -> Any:
        """Read a customer; the `ETag` header carries its version for `If-Match`."""
        customer = service.read_customer(current_session(), customer_id)
        if customer is None:
            raise ApiError(404, f"There is no customer {customer_id}.")
        return customer, 200, {"ETag": etag(customer)}

    @require(perm.CUSTOMER_EDIT)
    @blp.response(200, CustomerOut, headers=ETAG_HEADER)
    @blp.alt_response(409, description="Stale version (someone changed the customer since you read it), "
                                       "or the customer is merged or erased")
    @blp.doc(requestBody=json_body(CustomerIn, {"family_name": "Karimi", "tags": ["vip"]}), parameters=[IF_MATCH])
    def patch(self, customer_id: int) -> Any:
        """Change some fields; send `If-Match` (or `version`) to be refused with 409 on a stale write.

        Lists (emails, phones, addresses, tags) are replaced as a whole; `consents` add
        decisions; `attributes` are merged key by key (null removes a key).
        """
        data = load_json(customer_in_schema(partial=True))
        customer = get_or_404(customer_id)
        _check_owner(data)
        session = current_session()
        try:
            service.update_customer(session, customer, data, current_actor(), expected_version=expected_version(data))
            session.commit()
        except service.InvalidChange as exc:
            session.rollback()
            raise ApiError(422, "The request has invalid fields.", fields=exc.fields) from None
        except (service.StaleVersion, sa.orm.exc.StaleDataError):
            session.rollback()
            raise stale(customer_id) from None
        customer = get_or_404(customer_id)
        return customer, 200, {"ETag": etag(customer)}

    @require(perm.CUSTOMER_DELETE)
    @blp.response(204)
    @blp.alt_response(409, description="Stale version given in `If-Match`, or a module keeps records of the customer")
    @blp.doc(parameters=[IF_MATCH])
    def delete(self, customer_id: int) -> Response:
        """Delete a customer with their history (use erase to keep aggregates)."""
        session = current_session()
        customer = get_or_404(customer_id)
        wanted = expected_version()
        if wanted is not None and wanted != customer.version:
            raise stale(customer_id)
        try:
            service.delete_customer(session, customer, current_actor())
            session.commit()
        except sa.orm.exc.StaleDataError:
            session.rollback()
            if service.get_customer(session, customer_id, with_children=False) is None:
                raise ApiError(404, f"There is no customer {customer_id}.") from None
            raise stale(customer_id) from None
        except sa.exc.IntegrityError:
            session.rollback()  # a plugin keeps records that must outlive the customer (e.g. invoices)
            raise ApiError(409, "The customer has records a module must keep (such as invoices); "
                                "erase the customer instead, which keeps those records anonymised.",
                           code="customer_referenced") from None
        return Response(status=204)


@blp.route("/<int:customer_id>/merge", methods=["POST"])
@require(perm.CUSTOMER_MERGE)
@blp.response(200, MergeOut)
@blp.alt_response(409, description="Refused: merged or erased customer, or a plugin's veto")
@blp.doc(requestBody=json_body(MergeIn, {"source_id": 2}))
def merge(customer_id: int) -> dict[str, Any]:
    """Merge `source_id` into this customer; every plugin moves its rows. Undo with the merge id."""
    body = load_json(MergeIn())
    session = current_session()
    target = get_or_404(customer_id)
    if body["source_id"] == customer_id:
        raise ApiError(422, "A customer cannot be merged into itself.", fields={"source_id": ["Same as the target."]})
    source = get_or_404(body["source_id"])
    with committed_or_409(session, "One of the customers changed during the merge; try again.", "merge_refused"):
        record = merge_customers(session, target, source, current_actor(), runtime().plugins)
    return _merge_out(record)


@contextlib.contextmanager
def committed_or_409(session: Any, stale_message: str, stale_code: str) -> Iterator[None]:
    """Commit the block's work; turn a refusal (merge rule, plugin veto, concurrent change) into 409."""
    try:
        yield
        session.commit()
    except MergeError as exc:
        session.rollback()
        raise ApiError(409, str(exc), code="merge_refused") from None
    except PluginError as exc:
        session.rollback()
        raise ApiError(409, exc.message, code=exc.code) from None
    except sa.orm.exc.StaleDataError:
        session.rollback()
        raise ApiError(409, stale_message, code=stale_code) from None


def _merge_out(record: CustomerMerge) -> dict[str, Any]:
    return {
        "id": record.id, "target_id": record.target_id, "source_id": record.source_id,
        "moved": moved_summary(record.moves), "merged_at": record.merged_at, "undone_at": record.undone_at,
    }


@blp.route("/merges/<int:merge_id>/undo", methods=["POST"])
@require(perm.CUSTOMER_MERGE)
@blp.response(200, MergeOut)
@blp.alt_response(409, description="Already undone, or a customer changed so that it cannot be undone")
def undo(merge_id: int) -> dict[str, Any]:
    """Undo a merge: the recorded rows go back to the source customer."""
    session = current_session()
    record = get_merge(session, merge_id)
    if record is None:
        raise ApiError(404, f"There is no merge {merge_id}.")
    with committed_or_409(session, "A customer changed during the undo; try again.", "merge_refused"):
        undo_merge(session, record, current_actor())
    return _merge_out(record)


@blp.route("/<int:customer_id>/export", methods=["GET"])
@require(perm.CUSTOMER_EXPORT)
@blp.response(200, ExportOut)
def export(customer_id: int) -> Response:
    """Everything about the customer, the plugins' parts included (data portability).

    Each plugin's part holds only the rows the caller may see through that plugin's own routes
    (e.g. a sales rep without `sales.manage` gets their own deals and activities only).
    """
    return jsonify(export_customer(current_session(), get_or_404(customer_id), runtime().plugins, current_actor()))


@blp.route("/<int:customer_id>/erase", methods=["POST"])
@require(perm.CUSTOMER_ERASE)
@blp.response(200, CustomerOut)
@blp.alt_response(409, description="Already erased, or a plugin's veto (e.g. the law requires keeping the data)")
def erase(customer_id: int) -> Any:
    """Anonymise the customer (and any customer merged into it) across the core and plugins.

    Names, contacts, addresses, birthday, custom fields, interaction summaries and payloads
    and the personal values in the audit trail go; interaction counts, kinds, dates and
    amounts stay, so reports do not change.
    """
    session = current_session()
    customer = get_or_404(customer_id)
    if customer.erased_at is not None:
        raise ApiError(409, "This customer is already erased.", code="already_erased")
    with committed_or_409(session, "The customer changed during the erasure; try again.", "stale_version"):
        erase_customer(session, customer, current_actor(), runtime().plugins)
    return get_or_404(customer_id)
