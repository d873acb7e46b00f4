"""A test plugin implementing every hook of `core/hookspecs.py` (like Datasette's `my_plugin.py`).

It also implements the sales plugin's hooks (`payvand_lead_score`, `payvand_catalogs`,
`payvand_invoice_views`), marked `optionalhook=True`: checked against the sales plugin's specs
when sales is installed, accepted without them when it is not.

Each implementation records its call in `CALLS` as `(hook, arguments)`, with the arguments
reduced to plain values while the objects are still attached, so tests can check that the
core calls each hook, when, and with the documented arguments. `test_every_hook.py` fails
when a hook is added to the specs and not implemented here.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import click
import sqlalchemy as sa
from flask import Blueprint

from payvand.sdk import (
    Actor,
    ApiBlueprint,
    BotAnswer,
    BotAnswerer,
    BotQuestion,
    ChannelSpec,
    ConfigKey,
    Customer,
    CustomerField,
    EvaluationProgram,
    EvaluationRow,
    EvaluationScale,
    Event,
    EventField,
    EventType,
    Interaction,
    InteractionKind,
    JobSpec,
    KpiData,
    KpiWidget,
    MessageChannel,
    MovedRows,
    NavItem,
    OutboundMessage,
    Panel,
    PermissionSpec,
    PluginMeta,
    ReceivedMessage,
    RecordRule,
    SendResult,
    SettingSpec,
    Subscription,
    emit_event,
    hookimpl,
)

meta = PluginMeta(name="every_hook", version="1.0", title="Every hook")

CALLS: list[tuple[str, dict[str, Any]]] = []


def called(hook: str) -> list[dict[str, Any]]:
    """The arguments of each recorded call of `hook`."""
    return [args for name, args in CALLS if name == hook]


def _customers(customers: Sequence[Customer]) -> list[tuple[str, int]]:
    return [(type(c).__name__, c.id) for c in customers]


api_blp = ApiBlueprint("every_hook", __name__, url_prefix="/every-hook", description="Every-hook test plugin.")
page_blp = Blueprint("every_hook_pages", __name__, url_prefix="/every-hook")


@api_blp.route("/ping", methods=["GET"])
def ping() -> dict[str, bool]:
    """Answer pong."""
    return {"pong": True}


@page_blp.get("/page")
def page() -> str:
    """A plain page."""
    return "every hook page"


@click.command("every-hook")
def every_hook_command() -> None:
    """Say that the every-hook plugin is here."""
    click.echo("every hook here")


def tick() -> None:
    """The plugin's scheduled job."""
    CALLS.append(("job:every_hook.tick", {}))


# --------------------------------------------------------------------------- registration


@hookimpl
def payvand_blueprints() -> list[Blueprint]:
    """Record the call."""
    CALLS.append(("payvand_blueprints", {}))
    return [api_blp, page_blp]


@hookimpl
def payvand_cli() -> list[click.Command]:
    """Record the call."""
    CALLS.append(("payvand_cli", {}))
    return [every_hook_command]


@hookimpl
def payvand_permissions() -> list[PermissionSpec]:
    """Record the call."""
    CALLS.append(("payvand_permissions", {}))
    return [PermissionSpec("every_hook.thing.view", "See things")]


@hookimpl
def payvand_customer_fields() -> list[CustomerField]:
    """Record the call."""
    CALLS.append(("payvand_customer_fields", {}))
    return [CustomerField("every_hook.score", "integer", label="Score")]


@hookimpl
def payvand_nav_items() -> list[NavItem]:
    """Record the call."""
    CALLS.append(("payvand_nav_items", {}))
    return [
        NavItem("Things", "every_hook.things", permission="every_hook.thing.view", order=20),
        NavItem("Help", "every_hook.help", order=10),
    ]


@hookimpl
def payvand_jobs() -> list[JobSpec]:
    """Record the call."""
    CALLS.append(("payvand_jobs", {}))
    return [JobSpec("every_hook.tick", tick, 60)]


class OwlPost(MessageChannel):
    """A messaging channel that delivers to an email address by owl, always at once."""

    name = "owl_post"
    label = "Owl post"
    address_kind = "email"

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]:
        """Accept every message; its reference is the provider id."""
        return [SendResult.accepted(message.reference) for message in messages]


@hookimpl
def payvand_channels() -> list[ChannelSpec | MessageChannel]:
    """Record the call: a label-only channel and a messaging channel."""
    CALLS.append(("payvand_channels", {}))
    return [ChannelSpec("pigeon", "Carrier pigeon"), OwlPost()]


@hookimpl
def payvand_interaction_kinds() -> list[InteractionKind]:
    """Record the call; a kind whose summary is translated from its payload when shown."""
    CALLS.append(("payvand_interaction_kinds", {}))
    return [InteractionKind("every_hook.parcel_sent", "Parcel sent", "Parcel %(code)s sent to %(city)s")]


@hookimpl
def payvand_settings() -> list[SettingSpec]:
    """Record the call."""
    CALLS.append(("payvand_settings", {}))
    return [SettingSpec("every_hook.colour", "blue", label="Colour")]


@hookimpl
def payvand_record_rules() -> list[RecordRule]:
    """Record the call; a portal rule: a signed-in customer sees only their own interactions."""
    CALLS.append(("payvand_record_rules", {}))
    return [RecordRule("every_hook.own_interactions", Interaction,
                       lambda actor: Interaction.customer_id == actor.customer_id, applies_to=frozenset({"customer"}))]


PARCEL_SENT = "every_hook.parcel_sent"


def note_events(events: Sequence[Event]) -> None:
    """A subscriber: record each event it gets (name and payload)."""
    CALLS.append(("subscriber", {"events": [(e.name, dict(e.payload)) for e in events]}))


def send_parcel(customer_id: int, weight: Decimal) -> None:
    """Emit `every_hook.parcel_sent` in the current transaction."""
    emit_event(PARCEL_SENT, {"customer_id": customer_id, "weight": weight, "note": None})


@hookimpl
def payvand_event_types() -> list[EventType]:
    """Record the call; one event type."""
    CALLS.append(("payvand_event_types", {}))
    return [EventType(PARCEL_SENT, "A parcel was sent to a customer.",
                      (EventField("customer_id", int, "the customer"), EventField("weight", Decimal, "in kg"),
                       EventField("note", str, "a code", optional=True)))]


@hookimpl
def payvand_subscriptions() -> list[Subscription]:
    """Record the call; subscribe to its own event and to the core's customers created."""
    CALLS.append(("payvand_subscriptions", {}))
    return [Subscription(PARCEL_SENT, note_events), Subscription("core.customer_created", note_events)]


@hookimpl
def payvand_config_keys() -> list[ConfigKey]:
    """Record the call; one key."""
    CALLS.append(("payvand_config_keys", {}))
    return [ConfigKey("PAYVAND_EVERY_HOOK_PARCELS", int, 3, "parcels a day")]


def parcel_answer(question: BotQuestion) -> BotAnswer | None:
    """Answer questions about parcels."""
    return BotAnswer("Parcels leave daily.", 0.9) if "parcel" in question.text else None


@hookimpl
def payvand_bot_answerers() -> list[BotAnswerer]:
    """Record the call; one answer source."""
    CALLS.append(("payvand_bot_answerers", {}))
    return [BotAnswerer("every_hook.parcels", parcel_answer, "Parcels")]


@hookimpl
def payvand_evaluation_programs() -> list[EvaluationProgram]:
    """Record the call; one program without answers."""
    CALLS.append(("payvand_evaluation_programs", {}))

    def summary(session: Any, actor: Any, start: Any, end: Any, dimension: str) -> list[EvaluationRow]:
        return []

    return [EvaluationProgram(key="every_hook.stars", label="Stars", measures="", collection="",
                              scale=EvaluationScale(1, 5), summarise=summary)]


# --------------------------------------------------------------------------- contribution


@hookimpl
def payvand_customer_panels(customer: Customer, actor: Actor) -> list[Panel]:
    """Record the call."""
    CALLS.append(("payvand_customer_panels", {"customer": customer.id, "user": actor.user_id}))
    return [Panel("Second", "<p>2</p>", order=20), Panel("First", "<p>1</p>", order=10)]


@hookimpl
def payvand_customer_merge(target: Customer, source: Customer) -> MovedRows | None:
    """Record the call."""
    CALLS.append(("payvand_customer_merge", {"target": target.id, "source": source.id,
                                             "types": (type(target).__name__, type(source).__name__)}))
    return None


@hookimpl
def payvand_customer_export(customer: Customer, actor: Actor) -> dict[str, Any]:
    """Record the call (with who asked)."""
    CALLS.append(("payvand_customer_export", {"customer": customer.id, "actor": actor.user_id}))
    return {"seen": customer.id}


@hookimpl
def payvand_customer_erase(customer: Customer) -> dict[str, list[int]]:
    """Record the call; report one record of ours (`every_hook_card`, the customer's id) for the audit scrub."""
    CALLS.append(("payvand_customer_erase", {"customer": customer.id, "erased_at": customer.erased_at}))
    return {"every_hook_card": [customer.id]}


@hookimpl
def payvand_dashboard_widgets(actor: Actor, purpose: str) -> Any:
    """Record the call; one start-page widget, or one KPI on the KPI dashboard."""
    CALLS.append(("payvand_dashboard_widgets", {"user": actor.user_id, "purpose": purpose}))
    if purpose == "kpi":
        return KpiWidget("every_hook.answer", "Every hook answer", "number",
                         lambda actor, period, comparison: KpiData(value=42, previous=41 if comparison else None))
    return Panel("Every hook widget", "<p><b>42</b> things</p>", order=5)


@hookimpl(optionalhook=True)  # the sales plugin's hook: checked when sales is installed
def payvand_lead_score(leads: Any) -> Any:
    """Five points for every lead scored."""
    CALLS.append(("payvand_lead_score", {}))
    return sa.select(leads.c.id.label("lead_id"), sa.literal("every_hook bonus").label("rule"),
                     sa.literal(5).label("points"))


class _Catalog:
    name = "every_hook"
    title = "Every hook catalog"

    def products(self) -> list[dict[str, Any]]:
        return [{"sku": "EH-1", "name": "Widget", "unit_price": Decimal("1000"), "currency": "IRR"}]


@hookimpl(optionalhook=True)  # the sales plugin's hook: checked when sales is installed
def payvand_catalogs() -> list[Any]:
    """One outside catalog with one product."""
    CALLS.append(("payvand_catalogs", {}))
    return [_Catalog()]


@hookimpl(optionalhook=True)  # the sales plugin's hook: checked when sales is installed
def payvand_invoice_views(invoice: Any, actor: Actor) -> Panel:
    """An alternative layout of any invoice."""
    CALLS.append(("payvand_invoice_views", {"invoice": getattr(invoice, "id", None)}))
    return Panel("Every hook layout", "<p>invoice</p>")


@hookimpl
def payvand_purchase_facts() -> Any:
    """One purchase per customer, as a selectable."""
    CALLS.append(("payvand_purchase_facts", {}))
    return sa.select(Customer.id.label("customer_id"), sa.literal(None).label("product_id"),
                     Customer.created_at.label("occurred_at"), sa.literal(1).label("quantity"),
                     sa.literal("1000").label("amount"), sa.literal("IRR").label("currency"))


@hookimpl
def payvand_returnable_items(customer_id: int) -> list[Any]:
    """One returnable line per customer asked about."""
    from payvand.sdk import ReturnableItem

    CALLS.append(("payvand_returnable_items", {"customer_id": customer_id}))
    return [ReturnableItem(source=f"every_hook.line:{customer_id}", document=f"every_hook.order:{customer_id}",
                           label="Every hook line", quantity=Decimal(2), amount=Decimal("1000"), currency="IRR")]


@hookimpl
def payvand_lead_facts() -> Any:
    """Every customer as a lead that converted at once, as a selectable."""
    CALLS.append(("payvand_lead_facts", {}))
    return sa.select(Customer.id.label("lead_id"), Customer.id.label("customer_id"),
                     Customer.created_at.label("created_at"), Customer.created_at.label("converted_at"))


@hookimpl
def payvand_customer_keys() -> Any:
    """Every customer under the key `E<id>`, as a selectable."""
    CALLS.append(("payvand_customer_keys", {}))
    return sa.select((sa.literal("E") + sa.cast(Customer.id, sa.String)).label("external_id"),
                     Customer.id.label("customer_id"))


@hookimpl
def payvand_demo_data(seed: int) -> dict[str, int]:
    """Record the call; report one demo thing."""
    CALLS.append(("payvand_demo_data", {"seed": seed}))
    return {"demo things": 1}


# --------------------------------------------------------------------------- events


@hookimpl
def payvand_customer_created(customers: Sequence[Customer]) -> None:
    """Record the call."""
    CALLS.append(("payvand_customer_created", {"customers": _customers(customers)}))


@hookimpl
def payvand_customer_updated(customers: Sequence[Customer], changes: dict[int, dict[str, Any]]) -> None:
    """Record the call."""
    CALLS.append(("payvand_customer_updated", {"customers": _customers(customers), "changes": changes}))


@hookimpl
def payvand_customer_deleted(customer_ids: Sequence[int]) -> None:
    """Record the call."""
    CALLS.append(("payvand_customer_deleted", {"customer_ids": list(customer_ids)}))


@hookimpl
def payvand_message_received(messages: Sequence[ReceivedMessage]) -> None:
    """Record the call."""
    CALLS.append(("payvand_message_received", {
        "messages": [(type(m).__name__, m.message_id, m.customer_id, m.channel) for m in messages]}))


@hookimpl
def payvand_interaction_recorded(interactions: Sequence[Interaction]) -> None:
    """Record the call."""
    CALLS.append(("payvand_interaction_recorded", {
        "interactions": [(type(i).__name__, i.id, i.customer_id, i.kind) for i in interactions]}))


@hookimpl
def payvand_product_facts() -> Any:
    """One product, as a selectable of `PRODUCT_FACTS`."""
    CALLS.append(("payvand_product_facts", {}))
    return sa.select(sa.literal(1).label("product_id"), sa.literal("Every hook product").label("name"),
                     sa.literal(None).label("category"), sa.literal(True).label("active"))


@hookimpl
def payvand_recommendations(customer_id: int, limit: int) -> list[Any]:
    """The one product, suggested to everyone."""
    from payvand.sdk import Recommendation

    CALLS.append(("payvand_recommendations", {"customer_id": customer_id, "limit": limit}))
    return [Recommendation(product_id=1, name="Every hook product", score=1.0, kind="popular")][:limit]


@hookimpl
def payvand_marketing_costs() -> Any:
    """One acquisition cost of 1,000 IRR in January 2026, as a selectable of `MARKETING_COSTS`."""
    import datetime as dt

    CALLS.append(("payvand_marketing_costs", {}))
    return sa.select(sa.literal(dt.date(2026, 1, 1), sa.Date).label("period_start"),
                     sa.literal(dt.date(2026, 1, 31), sa.Date).label("period_end"),
                     sa.literal("acquisition").label("purpose"), sa.literal("email").label("channel"),
                     sa.literal("every-hook").label("campaign"), sa.literal(1000).label("amount"),
                     sa.literal("IRR").label("currency"))


@hookimpl
def payvand_service_facts() -> Any:
    """Every customer as one 30-minute ticket, as a selectable of `SERVICE_FACTS`."""
    CALLS.append(("payvand_service_facts", {}))
    return sa.select(Customer.id.label("ticket_id"), Customer.id.label("customer_id"),
                     Customer.created_at.label("opened_at"), sa.literal(None).label("solved_at"),
                     sa.literal(30).label("handling_minutes"))
