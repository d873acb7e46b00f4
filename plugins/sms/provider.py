"""What a provider adapter answers for one message, before the channel turns it into a `SendResult`.

Adapters (`kavenegar.py`, `gateway.py`) know only HTTP and their provider's format; they do not
import the core's contract, so each can be tested against a local server on its own.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, Protocol


@dataclasses.dataclass(frozen=True)
class ProviderAnswer:
    """Accepted (with the provider's id), failed (for good) or retry later; `halt` stops the batch.

    `halt` marks a problem of the account or the settings (a wrong key, no credit, the
    provider down): every other message of the batch would get the same answer, so the
    channel does not send them and gives them this answer too.
    """

    outcome: Literal["accepted", "failed", "retry"]
    provider_id: str | None = None
    reason: str = ""
    retry_after: float | None = None
    halt: bool = False


class Provider(Protocol):
    """An SMS provider adapter."""

    name: str

    def send(self, to: str, text: str, reference: str) -> ProviderAnswer:
        """Send `text` to the E.164 number `to`; `reference` is stable across retries (dedupe)."""
        ...

    def check(self) -> list[str]:
        """Problems with the adapter's settings, one sentence each."""
        ...
