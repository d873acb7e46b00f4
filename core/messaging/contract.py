"""The channel contract: what a messaging channel is and the values it exchanges with the core.

A channel (email, SMS, web chat, a third party's Telegram) is an object a plugin returns from
`payvand_channels`. The core queues every outbound message in its own table (through
`send_message`), hands due messages to the channel in batches (`MessageChannel.send`) and
records each result; inbound messages and delivery receipts come back either from a polling
job (`MessageChannel.poll`) or from HTTP routes the channel declares (`MessageChannel.blueprint`),
which hand them to the core (`receive_messages`, `record_receipts`). A channel never writes
to the database itself and never decides consent: the core does both, the same way for every
channel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from payvand.core.mail import Attachment

if TYPE_CHECKING:
    from flask import Blueprint

#: What a channel sends to: a customer's email address, phone number (E.164) or chat visitor.
AddressKind = Literal["email", "phone", "chat"]

#: Why a message is sent. `service` (an answer to the customer's own request) and
#: `transactional` (a document, a receipt, a password reset) need no marketing consent;
#: `marketing` needs the customer's current consent for that channel. Plugins may use a
#: namespaced purpose (`marketing.newsletter`): it follows the rule of its first part.
BASE_PURPOSES: tuple[str, ...] = ("service", "transactional", "marketing")

#: Where a message stands; receipts move it on. `queued` → `sending` → `sent` → `delivered`
#: (→ `opened` → `clicked`), or `failed` / `bounced`; `refused` never left (no consent, no
#: address, suppressed); `received` is an inbound message.
MessageStatus = Literal["queued", "sending", "sent", "delivered", "opened", "clicked",
                        "failed", "bounced", "refused", "received"]

ReceiptStatus = Literal["delivered", "opened", "clicked", "failed", "bounced"]


def base_purpose(purpose: str) -> str:
    """The base purpose a (possibly namespaced) purpose follows: `marketing.newsletter` → `marketing`."""
    return purpose.split(".", 1)[0]


def needs_consent(purpose: str) -> bool:
    """Whether sending for `purpose` needs the customer's current consent for the channel."""
    return base_purpose(purpose) == "marketing"


@dataclasses.dataclass(frozen=True)
class OutboundMessage:
    """One queued message as a channel receives it, ready to send (templates already rendered).

    `reference` is stable across retries (for email the `Message-ID`); a provider that
    deduplicates by a client reference should be given it, so a retry after a crash between
    the provider accepting and the core recording cannot deliver twice. `headers` are extra
    transport headers the core decided (`In-Reply-To`, `References`, `List-Unsubscribe`, ...).
    """

    id: int
    customer_id: int
    channel: str
    address: str
    purpose: str
    subject: str
    body: str
    reference: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    language: str = "fa"
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SendResult:
    """What became of one message of a batch: accepted (with the provider's id), failed, or retry later."""

    outcome: Literal["accepted", "failed", "retry"]
    provider_id: str | None = None
    reason: str = ""
    #: Seconds to wait before trying again (`retry`); None lets the core back off.
    retry_after: float | None = None

    @classmethod
    def accepted(cls, provider_id: str | None = None) -> SendResult:
        """The provider took the message."""
        return cls("accepted", provider_id=provider_id)

    @classmethod
    def failed(cls, reason: str) -> SendResult:
        """The message can never be sent as it is (bad address, rejected content)."""
        return cls("failed", reason=reason)

    @classmethod
    def retry(cls, reason: str, after: float | None = None) -> SendResult:
        """A passing problem (server down, rate limited): try again later."""
        return cls("retry", reason=reason, retry_after=after)


@dataclasses.dataclass(frozen=True)
class InboundMessage:
    """A message a customer sent us, as a channel parsed it (text clean, HTML sanitised).

    `external_id` identifies it at its source (an email's `Message-ID`, a provider's id): the
    core records one message per channel and external id, so reading it again changes nothing.
    `replies_to` are the references of the messages it answers (an email's `In-Reply-To` and
    `References`), newest last; `subject_tag` is a `[#123]`-style fallback. `automatic` marks
    auto-replies, bulk mail and loops: recorded, but no hook reacts to them.
    """

    channel: str
    external_id: str
    sender: str
    received_at: dt.datetime
    subject: str = ""
    body: str = ""
    summary: str = ""
    html: str | None = None
    sender_name: str = ""
    attachments: tuple[Attachment, ...] = ()
    replies_to: tuple[str, ...] = ()
    subject_tag: str | None = None
    automatic: bool = False
    language: str | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class DeliveryReceipt:
    """News about a message we sent, from its provider (a DSN, a delivery report, an open pixel)."""

    channel: str
    #: The provider's id (`SendResult.provider_id`) or our own `reference` of the message.
    provider_id: str
    status: ReceiptStatus
    occurred_at: dt.datetime
    reason: str = ""
    #: A hard bounce or a permanent failure: the address is suppressed for the channel.
    permanent: bool = False


@dataclasses.dataclass(frozen=True)
class ReceivedMessage:
    """What `payvand_message_received` subscribers get for each inbound message the core recorded."""

    message_id: int
    interaction_id: int
    customer_id: int
    channel: str
    #: Our message it answers (matched by headers, then by subject tag), if any.
    reply_to_message_id: int | None
    #: The source record that outbound message belonged to (`"service.ticket"`, `"42"`), if any.
    source_type: str | None
    source_id: str | None
    #: Whether the customer was created for this message (a new prospect).
    new_customer: bool
    message: InboundMessage


#: How a channel setting is entered and checked: `secret` values are write-only (never shown back,
#: never logged, audited as "changed"); `url` is checked for a scheme and a host.
SettingType = Literal["text", "secret", "int", "bool", "url"]


@dataclasses.dataclass(frozen=True)
class ChannelSetting:
    """One setting a channel declares (`MessageChannel.settings_fields`), edited on the Channels admin page.

    The value is stored in the core's settings (`channel.<channel>.<name>`); the configuration
    key `env` (an environment variable such as `PAYVAND_SMS_KAVENEGAR_API_KEY`, by default
    `PAYVAND_CHANNEL_<CHANNEL>_<NAME>`) overrides it when the deployment sets it, and the page
    then shows it as "from environment", read-only. The channel reads the value under that same
    key from the mapping given to `configure`, which the core calls again whenever a stored
    value changes (before the next send), so a channel reads settings one way only.
    """

    name: str
    label: str
    type: SettingType = "text"
    required: bool = False
    help: str = ""
    env: str = ""
    default: Any = None
    #: Allowed values (shown as a choice); empty: any value of the type.
    choices: tuple[str, ...] = ()
    #: For `url` (and a `secret` that is a URL, such as an SMTP URL with a password): allowed schemes.
    schemes: tuple[str, ...] = ()
    #: Longest text accepted.
    max_length: int = 2000

    def config_key(self, channel: str) -> str:
        """The configuration key (environment variable) of this setting for `channel`."""
        if self.env:
            return self.env
        return f"PAYVAND_CHANNEL_{channel}_{self.name}".upper().replace("-", "_").replace(".", "_")


class MessageChannel:
    """Base class of a messaging channel a plugin returns from `payvand_channels`.

    Subclasses set `name` (the interaction channel, e.g. `sms`), `label`, `address_kind`, and
    implement `send`. Everything else is optional. A channel object lives as long as the app;
    it reads its settings from the config mapping passed to `configure`.
    """

    name: str = ""
    label: str = ""
    address_kind: AddressKind = "email"
    #: Largest batch `send` is given.
    max_batch: int = 100
    #: Default sending rate (messages per second); `PAYVAND_CHANNEL_<NAME>_RATE` overrides it.
    rate_per_second: float | None = None
    #: Whether `poll` fetches anything (the core then runs it as a scheduled job).
    polls: bool = False
    poll_every_seconds: int = 60
    #: The settings staff may edit on the Channels page (see `ChannelSetting`); empty: environment only.
    settings_fields: tuple[ChannelSetting, ...] = ()
    #: Set by the core: False when an administrator switched the channel off on the Channels page
    #: (nothing is sent and new messages are refused until it is switched on again).
    switched_on: bool = True
    #: Set by the core before `configure`: the current value of each declared setting, by name
    #: (environment beats stored beats default). Webhook routes read their secrets here.
    current_settings: Mapping[str, Any] = MappingProxyType({})

    def configure(self, config: Mapping[str, object]) -> None:
        """Read this channel's settings from `config`: the app's configuration with the values
        stored on the Channels page under each declared setting's key (environment values win).
        Called at start-up and again whenever a stored setting changed, before the next send."""

    def enabled(self) -> bool:
        """Whether the channel is configured to send (an unconfigured channel queues nothing)."""
        return True

    def send(self, messages: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        """Send a batch; return one result per message, in the same order. Must not raise for one bad message."""
        raise NotImplementedError

    def poll(self) -> Sequence[InboundMessage | DeliveryReceipt]:
        """Fetch new inbound messages and receipts (when `polls` is True)."""
        return ()

    def blueprint(self) -> Blueprint | None:
        """Public HTTP routes (webhooks for inbound messages and receipts) that verify themselves.

        The plugin returns it from `payvand_blueprints` too (`[CHANNEL.blueprint()]`), so the
        routes are registered with its pages and answer only while the plugin is active.
        """
        return None

    def check(self) -> list[str]:
        """Problems with this channel's settings, one clear sentence each (empty when fine)."""
        return []
