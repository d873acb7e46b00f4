"""The SMS channel: the object `payvand_channels` returns, sending through the configured provider.

The core hands it batches of queued messages; for each it reads the number as E.164, counts
the SMS parts, and sends through Kavenegar or the generic gateway, turning the provider's
answer into `SendResult.accepted` / `failed` / `retry`. A problem of the account or the
settings (a wrong key, no credit, the provider down) is answered for the rest of the batch
without sending it, so nothing is lost and the provider is not hammered. Receipts and replies
come back through the signed webhook routes of `webhooks.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from payvand.plugins.sms import config as keys
from payvand.plugins.sms.config import SmsSettings
from payvand.plugins.sms.gateway import Gateway
from payvand.plugins.sms.kavenegar import Kavenegar, numeric_localid
from payvand.plugins.sms.numbers import NumberRefused, to_e164
from payvand.plugins.sms.parts import split_sms
from payvand.plugins.sms.provider import Provider, ProviderAnswer
from payvand.sdk import N_
from payvand.sdk.messages import MessageChannel, OutboundMessage, SendResult

PROVIDERS = ("kavenegar", "gateway")


class SmsChannel(MessageChannel):
    """Text messages to customers' mobile numbers, through Kavenegar or a configurable HTTP gateway."""

    name = "sms"
    label = N_("SMS")
    address_kind = "phone"
    #: Providers take a request per message; 50 keeps one batch's time bounded.
    max_batch = 50
    #: Kavenegar's plans allow a few requests a second from one server; PAYVAND_CHANNEL_SMS_RATE overrides.
    rate_per_second = 5.0

    def __init__(self) -> None:
        self.settings = SmsSettings()
        self.provider: Provider | None = None

    def __repr__(self) -> str:
        return f"SmsChannel(provider={self.settings.provider!r})"

    def configure(self, config: Mapping[str, Any]) -> None:
        """Read the PAYVAND_SMS_* keys and make the provider they name."""
        self.settings = settings = SmsSettings.from_config(config)
        self.provider = None
        if settings.provider == "kavenegar":
            self.provider = Kavenegar(settings.kavenegar_api_key, sender=settings.sender,
                                      base_url=settings.kavenegar_url, timeout=settings.timeout)
        elif settings.provider == "gateway":
            gateway = settings.gateway
            self.provider = Gateway(gateway["url"], method=gateway["method"], body=gateway["body"],
                                    body_format=gateway["body_format"], sender=settings.sender,
                                    auth_header=gateway["auth_header"], auth_env=gateway["auth_env"],
                                    id_path=gateway["id_path"], success=gateway["success"], timeout=settings.timeout)

    def enabled(self) -> bool:
        """On when a provider is chosen."""
        return self.provider is not None

    def check(self) -> list[str]:
        """One sentence per problem with the SMS settings."""
        settings = self.settings
        if not settings.provider:
            return [f"{keys.PROVIDER} is not set: choose kavenegar or gateway to send SMS."]
        if settings.provider not in PROVIDERS:
            return [f"{keys.PROVIDER} is {settings.provider!r}: it must be kavenegar or gateway."]
        problems = list(self.provider.check()) if self.provider else []
        if not settings.webhook_secret:
            problems.append(f"{keys.WEBHOOK_SECRET} is not set: delivery receipts and replies are refused until it is.")
        if settings.max_parts < 1:
            problems.append(f"{keys.MAX_PARTS} must be at least 1.")
        return problems

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]:
        """Send a batch; one result per message, in order. Never raises for one message."""
        results: list[SendResult] = []
        halted: ProviderAnswer | None = None
        for message in messages:
            if halted is not None:
                results.append(SendResult.retry(halted.reason, halted.retry_after))
                continue
            answer = self._send_one(message)
            if isinstance(answer, SendResult):
                results.append(answer)
                continue
            if answer.halt:
                halted = answer
            results.append(to_result(answer))
        return results

    def _send_one(self, message: OutboundMessage) -> SendResult | ProviderAnswer:
        if self.provider is None:
            return ProviderAnswer("retry", reason=f"SMS is not configured ({keys.PROVIDER})", halt=True, retry_after=600.0)
        try:
            to = to_e164(message.address, self.settings.region)
        except NumberRefused as refused:
            return SendResult.failed(refused.reason)
        text = (message.body or message.subject).strip()
        parts = split_sms(text)
        if parts.count == 0:
            return SendResult.failed("the message is empty")
        if parts.count > self.settings.max_parts:
            return SendResult.failed(f"the text needs {parts.count} SMS parts, more than {keys.MAX_PARTS} "
                                     f"({self.settings.max_parts}) allows")
        reference = numeric_localid(message.reference, message.id) if self.provider.name == "kavenegar" else message.reference
        try:
            return self.provider.send(to, text, reference)
        except Exception as error:  # an adapter bug must not cost the rest of the batch
            return ProviderAnswer("retry", reason=f"the SMS provider adapter raised {type(error).__name__}")

    def blueprint(self) -> Any:
        """The signed webhook routes for delivery receipts and replies (`webhooks.py`)."""
        from payvand.plugins.sms.webhooks import make_blueprint

        return make_blueprint()


def to_result(answer: ProviderAnswer) -> SendResult:
    """A provider's answer as the core's `SendResult`."""
    if answer.outcome == "accepted":
        return SendResult.accepted(answer.provider_id)
    if answer.outcome == "failed":
        return SendResult.failed(answer.reason)
    return SendResult.retry(answer.reason, answer.retry_after)
