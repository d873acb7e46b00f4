"""`/api/v1/messages` (send one) and `/api/v1/customers/{id}/messages` (a customer's messages)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from payvand.core import permissions as perm
from payvand.core.actor import current_actor
from payvand.core.api.base import ApiBlueprint, json_body, require, runtime
from payvand.core.api.customers import load_json
from payvand.core.api.errors import ApiError
from payvand.core.db import current_session
from payvand.core.listing.web import api_page
from payvand.core.services import customers as customer_service
from payvand.core.services.message_list import MESSAGES, MessageListArgs

blp = ApiBlueprint("messages", __name__, url_prefix="", description="Messages to and from customers, on any channel.")


class MessageIn(Schema):
    """A message to queue (see the integrator guide's "Messaging")."""

    customer_id = fields.Integer(required=True, validate=validate.Range(min=1))
    channel = fields.String(required=True, validate=validate.Length(min=1, max=32))
    purpose = fields.String(required=True, validate=validate.Regexp(
        r"^(service|transactional|marketing)(\.[a-z][a-z0-9_]*)*$",
        error="Use service, transactional or marketing (or marketing.<name>)."))
    subject = fields.String(load_default="", validate=validate.Length(max=500))
    body = fields.String(load_default="", validate=validate.Length(max=200_000))
    html = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500_000))
    reply_to = fields.Integer(load_default=None, allow_none=True)
    to = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=320))
    source_type = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    source_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class MessageOut(Schema):
    """A message as listed (no body: the 360 page opens it in full)."""

    id = fields.Integer()
    customer_id = fields.Integer()
    channel = fields.String()
    direction = fields.String()
    purpose = fields.String()
    status = fields.String()
    address = fields.String()
    subject = fields.String()
    reference = fields.String()
    reply_to_id = fields.Integer(allow_none=True)
    thread_id = fields.Integer(allow_none=True)
    source_type = fields.String(allow_none=True)
    source_id = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    interaction_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    status_at = fields.DateTime()


class QueuedOut(Schema):
    """What became of a sent request: queued (sent after the commit by the dispatcher)."""

    id = fields.Integer()
    status = fields.String()
    reference = fields.String()
    interaction_id = fields.Integer(allow_none=True)


class MessagePage(Schema):
    """One page of a customer's messages; pass `next_cursor` as `cursor` for older ones."""

    items = fields.List(fields.Nested(MessageOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


@blp.route("/customers/<int:customer_id>/messages")
class CustomerMessages(MethodView):
    """A customer's messages."""

    @require(perm.MESSAGES_READ)
    @blp.arguments(MessageListArgs, location="query", unknown=RAISE)
    @blp.response(200, MessagePage)
    def get(self, args: dict[str, Any], customer_id: int) -> dict[str, Any]:
        """The messages sent to and received from the customer, newest first (filters channel, direction, status)."""
        if not customer_service.customer_exists(current_session(), customer_id):
            raise ApiError(404, f"There is no customer {customer_id}.")
        return api_page(MESSAGES, current_session(), args, current_actor(), customer_id=customer_id)


@blp.route("/messages")
class Messages(MethodView):
    """Sending messages."""

    @require(perm.MESSAGES_SEND)
    @blp.response(201, QueuedOut)
    @blp.alt_response(409, description="The customer was merged into another or erased")
    @blp.alt_response(422, description="Invalid fields, or the message is refused (`code`: no_consent, no_address, "
                                       "suppressed, channel_disabled, unknown_channel)")
    @blp.doc(requestBody=json_body(MessageIn, {
        "customer_id": 42, "channel": "email", "purpose": "service", "subject": "Your order",
        "body": "It ships today.", "source_type": "sales.order", "source_id": "17",
    }))
    def post(self) -> Any:
        """Queue a message to a customer (sent after the request commits, at the channel's rate).

        A refusal is recorded on the timeline and answered 422 with its code; the same
        `Idempotency-Key` header (or `idempotency_key` field) gives back the first message.
        """
        from payvand.core.messaging.outbox import MessageRefused, MessageRequest, queue_messages

        data = load_json(MessageIn())
        session = current_session()
        if not customer_service.customer_exists(session, data["customer_id"]):
            raise ApiError(404, f"There is no customer {data['customer_id']}.")
        source = (data["source_type"], data.get("source_id")) if data.get("source_type") else None
        request = MessageRequest(
            customer_id=data["customer_id"], channel=data["channel"], purpose=data["purpose"], subject=data["subject"],
            body=data["body"], html=data["html"], reply_to=data["reply_to"], to=data["to"], source=source,
            idempotency_key=data["idempotency_key"])
        app_runtime = runtime()
        try:
            [queued] = queue_messages(session, [request], current_actor(), channels=app_runtime.message_channels(),
                                      config=app_runtime.config)
        except MessageRefused as exc:
            raise ApiError(422, exc.reason, fields={"channel": [exc.reason]}, code=exc.code) from None
        except ValueError as exc:
            field, _, text = str(exc).partition(": ")
            problem = {field: [text]} if text else {"_schema": [field]}
            raise ApiError(422, "The request has invalid fields.", fields=problem) from None
        session.commit()
        if queued.refused:
            raise ApiError(422, queued.reason, fields={"customer_id": [queued.reason]}, code=queued.refused)
        return queued, 201
