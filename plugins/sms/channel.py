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
from payvand.sdk.messages import ChannelSetting, MessageChannel, OutboundMessage, SendResult

PROVIDERS = ("kavenegar", "gateway")

_S = ChannelSetting
#: What staff may set on the Channels page; each PAYVAND_SMS_* variable overrides its field.
SETTINGS_FIELDS: tuple[ChannelSetting, ...] = (
    _S("provider", N_("Provider"), "text", required=True, env=keys.PROVIDER, default="", choices=PROVIDERS,
       help=N_("Who sends the texts: Kavenegar, or a generic HTTP gateway.")),
    _S("sender", N_("Sender line"), "text", env=keys.SENDER, default="",
       help=N_("The line the texts come from (Kavenegar: empty uses the account's default line).")),
    _S("max_parts", N_("Most parts per text"), "int", env=keys.MAX_PARTS, default=6,
       help=N_("A text needing more SMS parts than this fails instead of being sent.")),
    _S("webhook_secret", N_("Webhook secret"), "secret", env=keys.WEBHOOK_SECRET, default="",
       help=N_("The Standard Webhooks secret (whsec_...) signed receipts and replies are checked with.")),
    _S("kavenegar_api_key", N_("Kavenegar API key"), "secret", env=keys.KAVENEGAR_API_KEY, default="",
       help=N_("From the Kavenegar panel (Settings → API key).")),
    _S("kavenegar_url", N_("Kavenegar API address"), "url", env=keys.KAVENEGAR_URL,
       default="https://api.kavenegar.com/v1", help=N_("Change only to test against another server.")),
    _S("kavenegar_callback_token", N_("Kavenegar callback token"), "secret", env=keys.KAVENEGAR_CALLBACK_TOKEN,
       default="", help=N_("A long random word; give Kavenegar the addresses /webhooks/sms/kavenegar/<token>/receipt "
                           "and /webhooks/sms/kavenegar/<token>/inbound.")),
    _S("gateway_url", N_("Gateway URL"), "url", env=keys.GATEWAY_URL, default="", max_length=2000,
       help=N_("The URL template, with {to}, {to_local}, {text}, {reference} and {sender}.")),
    _S("gateway_method", N_("Gateway HTTP method"), "text", env=keys.GATEWAY_METHOD, default="POST",
       choices=("GET", "POST", "PUT")),
    _S("gateway_body", N_("Gateway body"), "text", env=keys.GATEWAY_BODY, default="", max_length=4000,
       help=N_("The body template: JSON, or form fields a=b&c=d, with the same placeholders.")),
    _S("gateway_body_format", N_("Gateway body format"), "text", env=keys.GATEWAY_BODY_FORMAT, default="json",
       choices=("json", "form")),
    _S("gateway_auth_header", N_("Gateway auth header"), "text", env=keys.GATEWAY_AUTH_HEADER,
       default="Authorization"),
    _S("gateway_auth_value", N_("Gateway auth value"), "secret", env=keys.GATEWAY_AUTH_VALUE, default="",
       help=N_("The value sent in that header, e.g. Bearer abc123.")),
    _S("gateway_id_path", N_("Message id in the answer"), "text", env=keys.GATEWAY_ID_PATH, default="",
       help=N_("Where the gateway's message id is in its JSON answer, e.g. data.messages[0].id.")),
    _S("gateway_success", N_("Accepted HTTP statuses"), "text", env=keys.GATEWAY_SUCCESS, default="200-299"),
)


class SmsChannel(MessageChannel):
    """Text messages to customers' mobile numbers, through Kavenegar or a configurable HTTP gateway."""

    name = "sms"
    label = N_("SMS")
    address_kind = "phone"
    #: Providers take a request per message; 50 keeps one batch's time bounded.
    max_batch = 50
    #: Kavenegar's plans allow a few requests a second from one server; PAYVAND_CHANNEL_SMS_RATE overrides.
    rate_per_second = 5.0
    settings_fields = SETTINGS_FIELDS

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
                                    id_path=gateway["id_path"], success=gateway["success"], timeout=settings.timeout,
                                    auth_value=gateway["auth_value"])

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
