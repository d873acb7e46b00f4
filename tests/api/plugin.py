"""A test plugin implementing the hooks the API relies on, with switches to make it refuse.

It uses only `payvand.sdk`, like a third-party plugin: custom customer fields, merge
participation (it re-points its own interactions, kinds `apitest.*`), an export part, an
erase hook, event hooks that record what they receive, and an ApiBlueprint.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import Schema, fields

from payvand.sdk import (
    ApiBlueprint,
    ApiError,
    Customer,
    CustomerField,
    Interaction,
    MovedRows,
    PermissionSpec,
    PluginError,
    PluginMeta,
    hookimpl,
    require,
    session,
)

NAME = "apitest"
BADGE_VIEW = "apitest.badge.view"

blp = ApiBlueprint(NAME, __name__, url_prefix="/apitest", description="The API test plugin's own routes.")


class BadgeOut(Schema):
    """A customer's badge: how many `apitest.*` interactions they have."""

    customer_id = fields.Integer(required=True)
    badge = fields.String(required=True)
    count = fields.Integer(required=True)


def plugin_interactions(customer_id: int) -> list[int]:
    """Ids of the customer's interactions recorded by this plugin (kinds `apitest.*`)."""
    return list(session().scalars(
        sa.select(Interaction.id).where(Interaction.customer_id == customer_id, Interaction.kind.like(f"{NAME}.%"))
        .order_by(Interaction.id)
    ))


@blp.route("/customers/<int:customer_id>/badge")
class Badge(MethodView):
    """The badge of one customer."""

    @require(BADGE_VIEW)
    @blp.response(200, BadgeOut)
    def get(self, customer_id: int) -> dict[str, Any]:
        """The customer's badge."""
        customer = session().get(Customer, customer_id) if customer_id < 2**63 else None
        if customer is None:
            raise ApiError(404, f"There is no customer {customer_id}.")
        count = len(plugin_interactions(customer_id))
        return {"customer_id": customer_id, "badge": "gold" if count >= 3 else "none", "count": count}


class ApiTestPlugin:
    """The plugin object; a fresh one per test, so its switches and records start empty."""

    meta = PluginMeta(name=NAME, version="1.0", title="API test plugin")

    def __init__(self) -> None:
        self.veto_merge = False
        self.veto_erase = False
        self.events: list[tuple[str, Any]] = []
        self.erased: list[int] = []
        self.merged: list[tuple[int, int]] = []

    @hookimpl
    def payvand_permissions(self) -> list[PermissionSpec]:
        return [PermissionSpec(BADGE_VIEW, "See badges")]

    @hookimpl
    def payvand_customer_fields(self) -> list[CustomerField]:
        return [
            CustomerField(f"{NAME}.tier", "choice", choices=("gold", "silver")),
            CustomerField(f"{NAME}.score", "integer"),
            CustomerField(f"{NAME}.vip", "boolean"),
            CustomerField(f"{NAME}.since", "date"),
        ]

    @hookimpl
    def payvand_blueprints(self) -> list[ApiBlueprint]:
        return [blp]

    @hookimpl
    def payvand_customer_merge(self, target: Customer, source: Customer) -> list[MovedRows] | None:
        if self.veto_merge:
            raise PluginError("apitest refuses: this customer has an open dispute.")
        ids = plugin_interactions(source.id)
        self.merged.append((target.id, source.id))
        if not ids:
            return None
        session().execute(sa.update(Interaction).where(Interaction.id.in_(ids)).values(customer_id=target.id))
        return [MovedRows("core_interaction", "customer_id", ids)]

    @hookimpl
    def payvand_customer_export(self, customer: Customer) -> dict[str, Any]:
        return {"badge_interactions": plugin_interactions(customer.id), "note": "from apitest",
                "member_since": dt.date(2024, 1, 1), "credit": decimal.Decimal("12.50")}

    @hookimpl
    def payvand_customer_erase(self, customer: Customer) -> None:
        if self.veto_erase:
            raise PluginError("apitest refuses: unpaid invoices must be kept.")
        self.erased.append(customer.id)

    @hookimpl
    def payvand_customer_created(self, customers: list[Customer]) -> None:
        self.events.append(("created", [(c.id, c.display_name) for c in customers]))

    @hookimpl
    def payvand_customer_updated(self, customers: list[Customer], changes: dict[int, dict[str, Any]]) -> None:
        self.events.append(("updated", [(c.id, c.display_name) for c in customers], changes))

    @hookimpl
    def payvand_interaction_recorded(self, interactions: list[Interaction]) -> None:
        self.events.append(("interaction", [(i.id, i.kind, i.customer_id) for i in interactions]))
