"""payvand_example: a tiny Payvand plugin that uses only `payvand.sdk`.

It keeps notes on customers and welcomes every new customer with an outbound interaction.
It shows each kind of contribution: a permission, a custom customer field, an API route
under `/api/v1/example/`, a staff page with its navigation entry, an event hook, a
`payvand example` command, a customer panel, a scheduled job, and the merge, export and
erase hooks for its own rows. It also offers a hook of its own (`hookspecs.py`: other plugins
may write the welcome text), declares an event it emits (`payvand_example.note_added`),
subscribes to another plugin's event without importing it (`sales.order_placed`: a note on
the customer), declares a configuration key (`PAYVAND_EXAMPLE_NOTE_MAX_LENGTH`) and states the
core version it needs.
It is installed through a real entry point in the tests (see `tests/example_plugin/conftest.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
import sqlalchemy as sa

from payvand.sdk import (
    Actor,
    ConfigKey,
    Customer,
    CustomerField,
    Event,
    EventField,
    EventType,
    Interaction,
    JobSpec,
    MovedRows,
    NavItem,
    Panel,
    PermissionSpec,
    PluginMeta,
    RecordRule,
    Subscription,
    call_hook_first,
    hookimpl,
    record_interaction,
    restrict,
    session,
)
from payvand_example.api import blp
from payvand_example.models import Note
from payvand_example.views import bp as pages

meta = PluginMeta(
    name="payvand_example",
    version="0.1.0",
    title="Example notes",
    description="Notes on customers and a welcome message for each new customer.",
    requires=("payvand>=0.1",),          # the core version it needs
    hookspecs="payvand_example.hookspecs",  # the hook it offers: payvand_example_welcome_text
)

NOTE_VIEW = "payvand_example.note.view"
NOTE_EDIT = "payvand_example.note.edit"
WELCOMED = "payvand_example.welcomed"
NOTE_ADDED = "payvand_example.note_added"
NOTE_MAX_LENGTH = "PAYVAND_EXAMPLE_NOTE_MAX_LENGTH"


def welcome(customers: Sequence[Customer]) -> list[int]:
    """Record a welcome on the timeline of each customer not yet welcomed; return their ids."""
    ids = [c.id for c in customers if c.erased_at is None and c.merged_into_id is None]
    if not ids:
        return []
    done = set(session().scalars(
        sa.select(Interaction.customer_id).where(Interaction.kind == WELCOMED, Interaction.customer_id.in_(ids))
    ))
    welcomed = []
    for customer in customers:
        if customer.id in ids and customer.id not in done:
            text = call_hook_first("payvand_example_welcome_text", customer=customer)  # another plugin's, if any
            record_interaction(customer.id, WELCOMED, "email", text or f"Welcome message sent to {customer.display_name}",
                               direction="outbound", source=("payvand_example.welcome", customer.id))
            welcomed.append(customer.id)
    return welcomed


def welcome_missed() -> None:
    """Scheduled job: welcome customers created while the plugin was disabled (500 per run)."""
    already = sa.select(Interaction.customer_id).where(Interaction.kind == WELCOMED)
    customers = session().scalars(
        sa.select(Customer)
        .where(Customer.erased_at.is_(None), Customer.merged_into_id.is_(None), Customer.id.not_in(already))
        .order_by(Customer.id)
        .limit(500)
    ).all()
    welcome(customers)


@hookimpl
def payvand_permissions() -> list[PermissionSpec]:
    """The plugin's two permissions."""
    return [PermissionSpec(NOTE_VIEW, "See example notes"), PermissionSpec(NOTE_EDIT, "Write example notes")]


@hookimpl
def payvand_record_rules() -> list[RecordRule]:
    """Staff with the view permission see every note; a customer signed in to the portal sees
    only the notes about themselves (without this rule, notes would be closed to customers)."""
    return [RecordRule("payvand_example.own_notes", Note, lambda actor: Note.customer_id == actor.customer_id,
                       applies_to=frozenset({"customer"}), description="a customer sees the notes about them")]


@hookimpl
def payvand_customer_fields() -> list[CustomerField]:
    """A nickname stored in `Customer.attributes`."""
    return [CustomerField("payvand_example.nickname", "string", label="Nickname", max_length=40)]


@hookimpl
def payvand_blueprints() -> list[Any]:
    """The notes API at `/api/v1/example/notes` and the staff page at `/example/notes`."""
    return [blp, pages]


@hookimpl
def payvand_customer_created(customers: Sequence[Customer]) -> None:
    """Welcome the new customers (after commit, through the outbox)."""
    welcome(customers)


@click.group("example")
def example_cli() -> None:
    """Commands of the example plugin."""


@example_cli.command("hello")
@click.argument("name", default="world")
def hello(name: str) -> None:
    """Greet NAME."""
    click.echo(f"Hello, {name}, from payvand_example {meta.version}.")


@hookimpl
def payvand_cli() -> list[click.Command]:
    """`payvand example ...`."""
    return [example_cli]


@hookimpl
def payvand_customer_panels(customer: Customer, actor: Actor) -> Panel:
    """How many notes the customer has (one query)."""
    count = session().scalar(sa.select(sa.func.count()).select_from(Note).where(Note.customer_id == customer.id))
    return Panel(title="Example notes", html=f"<p>{count} note(s)</p>", order=50, key="payvand_example.notes")


@hookimpl
def payvand_nav_items() -> list[NavItem]:
    """A navigation entry for users who may see notes."""
    return [NavItem("Example notes", "payvand_example.notes", permission=NOTE_VIEW, order=50)]


@hookimpl
def payvand_jobs() -> list[JobSpec]:
    """Catch up on welcomes every hour."""
    return [JobSpec("payvand_example.welcome_missed", welcome_missed, 3600, "Welcome customers missed while disabled")]


@hookimpl
def payvand_customer_merge(target: Customer, source: Customer) -> MovedRows | None:
    """Move the source customer's notes to the target, in one UPDATE."""
    ids = list(session().scalars(sa.select(Note.id).where(Note.customer_id == source.id)))
    if not ids:
        return None
    session().execute(sa.update(Note).where(Note.id.in_(ids)).values(customer_id=target.id))
    return MovedRows(table=Note.__tablename__, column="customer_id", ids=ids)


@hookimpl
def payvand_customer_export(customer: Customer, actor: Actor) -> dict[str, Any]:
    """The customer's notes."""
    notes = session().scalars(restrict(sa.select(Note).where(Note.customer_id == customer.id), actor).order_by(Note.id))
    return {"notes": [{"text": n.text, "created_at": n.created_at.isoformat()} for n in notes]}


@hookimpl
def payvand_customer_erase(customer: Customer) -> None:
    """Blank the notes' text (free text is personal data); keep the rows so counts stay right."""
    session().execute(sa.update(Note).where(Note.customer_id == customer.id).values(text=""))


@hookimpl
def payvand_event_types() -> list[EventType]:
    """The event the notes API emits when a note is written."""
    return [EventType(NOTE_ADDED, "A note was written on a customer.",
                      (EventField("note_id", int, "the note"), EventField("customer_id", int, "the customer")))]


def note_orders(events: Sequence[Event]) -> None:
    """`sales.order_placed` subscriber: a note on each ordering customer (no import of the sales plugin)."""
    session().add_all(Note(customer_id=event["customer_id"], text=f"Ordered {event['total']} {event['currency']}")
                      for event in events)


@hookimpl
def payvand_subscriptions() -> list[Subscription]:
    """Orders placed, when the sales plugin is there (optional: it may not be installed)."""
    return [Subscription("sales.order_placed", note_orders, optional=True)]


@hookimpl
def payvand_config_keys() -> list[ConfigKey]:
    """The longest note the API accepts."""
    return [ConfigKey(NOTE_MAX_LENGTH, int, 500, "longest note the example notes API accepts (at most 500)")]
