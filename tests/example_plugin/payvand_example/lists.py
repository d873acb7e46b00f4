"""The example plugin's notes as a list of the list kit: one description for the API, the page and the CSV."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from payvand.sdk import Column, Customer, Filter, ListContext, ListSpec, Sort, SortKey, lazy_gettext
from payvand_example.models import Note


def _with_customer_name(context: ListContext) -> sa.Select[Any]:
    """The notes' columns and their customer's name (the filters and the keyset apply on top)."""
    return (sa.select(Note.id, Note.customer_id, Note.text, Note.created_at, Customer.display_name)
            .join(Customer, Customer.id == Note.customer_id))


NOTES = ListSpec(
    name="payvand_example.notes",
    model=Note,
    columns=(
        Column("id", lazy_gettext("Number"), format="id"),
        Column("customer_id", lazy_gettext("Customer"), format="id"),
        Column("display_name", lazy_gettext("Name"), format="user_text"),
        Column("text", lazy_gettext("Note"), format="user_text"),
        Column("created_at", lazy_gettext("Written"), format="datetime"),
    ),
    filters=(
        Filter("customer_id", "id", column=Note.customer_id, label=lazy_gettext("Customer")),
        Filter("text", "text", column=Note.text, operators=("contains", "prefix"), label=lazy_gettext("Note")),
        Filter("created_at", "datetime", column=Note.created_at, operators=("gte", "lt"), label=lazy_gettext("Written")),
    ),
    sorts=(
        Sort("-id", (SortKey(Note.id, "id", "id", descending=True),), lazy_gettext("Newest first")),
        Sort("id", (SortKey(Note.id, "id", "id"),), lazy_gettext("Oldest first")),
    ),
    base=_with_customer_name,
    default_limit=50,
    max_limit=200,
)
