"""`/api/v1/customers/{id}/interactions`: a customer's timeline, newest first, and logging to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields

from payvand.core import permissions as perm
from payvand.core.actor import current_actor
from payvand.core.api.base import (
    ApiBlueprint,
    bad_cursor,
    cursor_id,
    decode_cursor,
    encode_cursor,
    json_body,
    require,
    runtime,
)
from payvand.core.api.customers import get_or_404, load_json
from payvand.core.api.errors import ApiError
from payvand.core.db import current_session
from payvand.core.models import Interaction
from payvand.core.schemas import InteractionIn, InteractionListArgs, InteractionOut
from payvand.core.services import customers as customer_service
from payvand.core.services import interactions as service

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
        query = sa.select(Interaction).where(Interaction.customer_id == customer_id)
        if args.get("kind"):
            query = query.where(Interaction.kind == args["kind"])
        if args.get("channel"):
            query = query.where(Interaction.channel == args["channel"])
        if args.get("cursor"):
            when, last_id = decode_cursor(args["cursor"], 2)
            last_id = cursor_id(last_id)
            try:
                when = dt.datetime.fromisoformat(when).astimezone(dt.UTC)
            except (TypeError, ValueError, OverflowError):
                raise bad_cursor() from None
            query = query.where(sa.or_(
                Interaction.occurred_at < when,
                sa.and_(Interaction.occurred_at == when, Interaction.id < last_id),
            ))
        limit = args["limit"]
        # Plain rows, not entities: a page is only dumped, and Core rows cost a fraction.
        rows = current_session().connection().execute(
            query.with_only_columns(*Interaction.__table__.columns)
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit + 1)
        ).mappings().all()
        items = rows[:limit]
        cursor = encode_cursor([items[-1]["occurred_at"].isoformat(), items[-1]["id"]]) if len(rows) > limit else None
        return {"items": items, "next_cursor": cursor}

    @require(perm.INTERACTION_CREATE)
    @blp.response(201, InteractionOut)
    @blp.alt_response(409, description="The customer was merged into another or erased")
    @blp.doc(requestBody=json_body(InteractionIn, {
        "kind": "core.call", "channel": "phone", "direction": "outbound", "summary": "Asked about delivery",
        "occurred_at": "2024-03-20T15:30:00+03:30", "value": "1250000", "currency": "IRR",
    }))
    def post(self, customer_id: int) -> Any:
        """Record an interaction (a call, note, meeting, message, ...) on the timeline."""
        data = load_json(InteractionIn())
        customer = get_or_404(customer_id, with_children=False)
        if customer.merged_into_id is not None:
            raise ApiError(409, f"Customer {customer_id} was merged into {customer.merged_into_id}.", code="customer_inactive")
        if customer.erased_at is not None:
            raise ApiError(409, f"Customer {customer_id} is erased.", code="customer_inactive")
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
