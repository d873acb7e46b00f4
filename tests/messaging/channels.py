"""A test plugin with a recording channel (`fake`, phone addresses) for the messaging tests."""

from __future__ import annotations

import types
from collections.abc import Sequence

from payvand.sdk import MessageChannel, OutboundMessage, PluginMeta, SendResult, hookimpl


class FakeChannel(MessageChannel):
    """Records every batch; answers per address: `+98912000000x` with x=9 fails, x=8 asks for a retry."""

    name = "fake"
    label = "Fake SMS"
    address_kind = "phone"
    max_batch = 50

    def __init__(self) -> None:
        self.batches: list[list[OutboundMessage]] = []
        self.sent_at: list[float] = []
        self.on = True

    def enabled(self) -> bool:
        return self.on

    def send(self, messages: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        import time

        self.batches.append(list(messages))
        results = []
        for message in messages:
            self.sent_at.append(time.monotonic())
            if message.address.endswith("9"):
                results.append(SendResult.failed("unknown number"))
            elif message.address.endswith("8"):
                results.append(SendResult.retry("busy", after=60))
            else:
                results.append(SendResult.accepted(f"fake-{message.id}"))
        return results

    @property
    def sent(self) -> list[OutboundMessage]:
        return [m for batch in self.batches for m in batch]


#: What `payvand_message_received` was called with: (message id, reply_to_message_id, new_customer) per call.
RECEIVED: list[list[tuple[int, int | None, bool]]] = []


def make_plugin() -> tuple[types.ModuleType, FakeChannel]:
    """A fresh plugin module and its channel; it also records `payvand_message_received` calls."""
    channel = FakeChannel()
    module = types.ModuleType("fakechannel_plugin")
    module.meta = PluginMeta(name="fakechannel", version="1.0")

    @hookimpl
    def payvand_channels():
        return [channel]

    @hookimpl
    def payvand_message_received(messages):
        RECEIVED.append([(m.message_id, m.reply_to_message_id, m.new_customer) for m in messages])

    module.payvand_channels = payvand_channels
    module.payvand_message_received = payvand_message_received
    return module, channel
