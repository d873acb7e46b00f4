"""A customer's messages as a list of the list kit (`GET /api/v1/customers/{id}/messages`), newest first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from payvand.core.listing import Column, Filter, ListContext, ListSpec, Sort, SortKey
from payvand.core.models.message import Message

_M = Message.__table__.c
#: What the list shows of a message (no bodies: open one message for those).
LISTED = ("id", "customer_id", "channel", "direction", "purpose", "status", "address", "subject", "reference",
          "reply_to_id", "thread_id", "source_type", "source_id", "error", "created_at", "sent_at", "status_at",
          "interaction_id")


def _base(context: ListContext) -> sa.Select[Any]:
    return sa.select(*(_M[name] for name in LISTED)).where(_M.customer_id == context.extra["customer_id"])


MESSAGES = ListSpec(
    name="messages",
    model=Message,
    columns=(
        Column("created_at", _l("When"), format="datetime", sortable=True),
        Column("channel", _l("Channel")),
        Column("status", _l("Status")),
        Column("subject", _l("Subject"), format="user_text"),
    ),
    filters=(
        Filter("channel", "text", column=_M.channel, label=_l("Channel"), max_length=32),
        Filter("direction", "text", column=_M.direction, label=_l("Direction"), max_length=16),
        Filter("status", "text", column=_M.status, label=_l("Status"), max_length=16),
    ),
    sorts=(Sort("-created_at", (SortKey(_M.created_at, "created_at", "datetime", True),
                                SortKey(_M.id, "id", "id", True)), _l("Newest first")),),
    base=_base,
)
#: The query arguments of a customer's message list.
MessageListArgs = MESSAGES.args_schema("MessageListArgs")
