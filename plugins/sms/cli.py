"""`payvand sms ...`: check the SMS settings and send a test message, as an admin does after configuring."""

from __future__ import annotations

import secrets
import sys

import click

from payvand.plugins.sms.channel import SETTINGS_FIELDS, SmsChannel
from payvand.plugins.sms.config import CONFIG_KEYS
from payvand.sdk import config_value
from payvand.sdk.messages import OutboundMessage, channel_settings


def configured_channel() -> SmsChannel:
    """A channel configured as the running one is: this deployment's PAYVAND_SMS_* keys, with the
    values saved on the Channels page where the environment sets none."""
    channel = SmsChannel()
    config = {key.name: config_value(key.name) for key in CONFIG_KEYS}
    current = channel_settings("sms")
    config.update({field.env: current[field.name] for field in SETTINGS_FIELDS if field.name in current})
    channel.configure(config)
    return channel


@click.group("sms")
def sms_cli() -> None:
    """SMS: check the settings, send a test message."""


@sms_cli.command("check")
def check() -> None:
    """Print one line per problem with the SMS settings (exit 1 when there is any)."""
    problems = configured_channel().check()
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo("The SMS settings are complete.")


@sms_cli.command("test")
@click.argument("number")
@click.option("--text", default="Payvand: test message / پیام آزمایشی پیوند", show_default=True)
def test(number: str, text: str) -> None:
    """Send one text to NUMBER through the configured provider now (not queued, not on any timeline)."""
    channel = configured_channel()
    if not channel.enabled():
        raise click.ClickException("SMS is off: set PAYVAND_SMS_PROVIDER (see `payvand sms check`).")
    reference = str(secrets.randbelow(9 * 10**14) + 10**14)  # numeric: Kavenegar's localid
    message = OutboundMessage(id=0, customer_id=0, channel="sms", address=number, purpose="transactional",
                              subject="", body=text, reference=reference)
    [result] = channel.send([message])
    if result.outcome != "accepted":
        raise click.ClickException(f"Not sent ({result.outcome}): {result.reason}")
    click.echo(f"Accepted by the provider (id {result.provider_id or 'not given'}).")
