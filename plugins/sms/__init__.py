"""payvand.plugins.sms: the SMS channel — Kavenegar or a configurable HTTP gateway, signed receipts and replies.

Written only against `payvand.sdk`, as a third party would write a channel (the integrator
guide points here). Layout: `channel.py` (the `MessageChannel`), `parts.py` (GSM-7 / UCS-2
parts), `numbers.py` (E.164), `kavenegar.py` and `gateway.py` (the providers, over
`transport.py`), `signing.py` and `webhooks.py` (signed receipts and replies), `models.py` (the
webhook ids taken, for replay refusal), `config.py` (its configuration keys), `cli.py`
(`payvand sms check`, `payvand sms test`).
"""

from __future__ import annotations

from typing import Any

from payvand.plugins.sms import models  # noqa: F401 - the plugin's table, for its migration
from payvand.plugins.sms.channel import SmsChannel
from payvand.sdk import N_, PluginMeta, hookimpl

meta = PluginMeta(
    name="sms",
    version="0.1.0",
    title=N_("SMS"),
    description=N_("Text messages to customers through Kavenegar or a local HTTP gateway, with delivery receipts and replies."),
    requires=("payvand>=0.1",),
)

#: The one channel object; the core configures it (`configure`) from the deployment's settings.
CHANNEL = SmsChannel()


@hookimpl
def payvand_channels() -> list[Any]:
    """The `sms` messaging channel."""
    return [CHANNEL]


@hookimpl
def payvand_blueprints() -> list[Any]:
    """The channel's signed webhook routes (`/webhooks/sms/receipts`, `/webhooks/sms/inbound`)."""
    return [CHANNEL.blueprint()]


@hookimpl
def payvand_cli() -> list[Any]:
    """`payvand sms check` and `payvand sms test NUMBER` (`cli.py`)."""
    from payvand.plugins.sms.cli import sms_cli

    return [sms_cli]


@hookimpl
def payvand_config_keys() -> list[Any]:
    """PAYVAND_SMS_* (`config.py`)."""
    from payvand.plugins.sms.config import CONFIG_KEYS

    return list(CONFIG_KEYS)


@hookimpl
def payvand_jobs() -> list[Any]:
    """Forget the webhook ids that are too old to be replayed (hourly)."""
    from payvand.plugins.sms.webhooks import forget_old_deliveries
    from payvand.sdk import JobSpec

    return [JobSpec("sms.forget_webhook_ids", forget_old_deliveries, 3600, "Forget SMS webhook ids past their tolerance")]
