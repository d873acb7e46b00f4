"""Two plugins for the kill -9 test: each writes one receipt (an audit row) per event it
receives, in the delivery's transaction; each takes its time (0.2 s an event), so a worker
can be killed while it holds a batch. Importable by a worker subprocess through `PYTHONPATH`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from payvand.sdk import PluginMeta, hookimpl, session


def _receipt(plugin: str, customers: Sequence[Any]) -> None:
    from payvand.core.models import AuditLog

    for customer in customers:
        session().add(AuditLog(actor_label="test", action="receipt", object_type=plugin, object_id=str(customer.id)))


class Receipts:
    """Writes a receipt per delivered customer, after `delay` seconds."""

    def __init__(self, name: str, delay: float) -> None:
        self.meta = PluginMeta(name, "1.0")
        self.delay = delay

    @hookimpl
    def payvand_customer_created(self, customers: Sequence[Any]) -> None:
        """Record the receipt."""
        time.sleep(self.delay)
        _receipt(self.meta.name, customers)


first = Receipts("receipts_one", 0.2)
second = Receipts("receipts_two", 0.2)
PLUGINS = [first, second]
