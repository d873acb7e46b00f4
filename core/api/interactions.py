"""`/api/v1/customers/{id}/interactions`: a customer's timeline, newest first, and logging to it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE, Schema, fields

from payvand.core import permissions as perm
from payvand.core.actor import current_actor
from payvand.core.api.base import (
    ApiBlueprint,
    json_body,
    require,
    runtime,
)
from payvand.core.api.customers import load_json
from payvand.core.api.errors import ApiError
from payvand.core.db import current_session
from payvand.core.listing.web import api_page
from payvand.core.schemas import InteractionIn, InteractionOut
from payvand.core.services import customers as customer_service
from payvand.core.services import interactions as service
from payvand.core.services.interaction_list import INTERACTIONS, InteractionListArgs

blp = ApiBlueprint("interactions", __name__, url_prefix="/customers", description="The customer timeline.")


class InteractionPage(Schema):
    """One page of a timeline; pass `next_cursor` as `cursor` for older entries."""

    items = fields.List(fields.Nested(InteractionOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


@blp.route("/<int:customer_id>/interactions")
class Timeline(MethodView):
    """A customer's interactions."""

    @require(perm.INTERACTION_VIEW)
    @blp.arguments(InteractionListArgs, location="query", unknown=RAISE)
    @blp.response(200, InteractionPage)
    def get(self, args: dict[str, Any], customer_id: int) -> dict[str, Any]:
        """The timeline, newest first, filterable by kind and channel."""
        if not customer_service.customer_exists(current_session(), customer_id):
            raise ApiError(404, f"There is no customer {customer_id}.")
        return api_page(INTERACTIONS, current_session(), args, current_actor(), customer_id=customer_id)

    @require(perm.INTERACTION_CREATE)
    @blp.response(201, InteractionOut)
    @blp.alt_response(409, description="The customer was merged into another or erased")
    @blp.doc(requestBody=json_body(InteractionIn, {
        "kind": "core.call", "channel": "phone", "direction": "outbound", "summary": "Asked about delivery",
        "occurred_at": "2024-03-20T15:30:00+03:30", "value": "1250000", "currency": "IRR",
    }))
    def post(self, customer_id: int) -> Any:
        """Record an interaction (a call, note, meeting, message, ...) on the timeline.

        A merged-away or erased customer is refused with 409 `customer_inactive` (by the service).
        """
        data = load_json(InteractionIn())
        if not customer_service.customer_exists(current_session(), customer_id):
            raise ApiError(404, f"There is no customer {customer_id}.")
        channels = runtime().channels()
        if data["channel"] not in channels:
            message = f"Unknown channel; use one of: {', '.join(channels)}."
            raise ApiError(422, "The request has invalid fields.", fields={"channel": [message]})
        try:
            values = service.build_interaction(
                customer_id, data["kind"], data["channel"], data.get("summary") or "",
                direction=data["direction"], value=data.get("value"), currency=data.get("currency"),
                occurred_at=data.get("occurred_at"), payload=data.get("payload"),
                source=(data["source_type"], data.get("source_id")) if data.get("source_type") else None,
                created_by_id=current_actor().user_id,
            )
        except service.InteractionError as exc:
            raise ApiError(422, "The request has invalid fields.", fields={exc.field: [exc.message]}) from None
        session = current_session()
        interaction = service.record(session, values)
        session.commit()
        return interaction, 201
