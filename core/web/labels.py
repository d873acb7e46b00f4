"""Translated labels of the core's fixed values: stages, customer kinds, channels, purposes, directions.

One place for every page, and Jinja globals (`stage_label`, `customer_kind_label`,
`channel_label`, `purpose_label`) so templates show a value's label in the request's language.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from flask_babel import lazy_gettext as _l

from payvand.core.models import CustomerKind, Direction, LifecycleStage

STAGES: dict[str, Any] = {
    LifecycleStage.prospect.value: _l("Prospect"), LifecycleStage.lead.value: _l("Lead"),
    LifecycleStage.customer.value: _l("Customer"), LifecycleStage.loyal.value: _l("Loyal"),
    LifecycleStage.churned.value: _l("Churned"),
}
CUSTOMER_KINDS: dict[str, Any] = {CustomerKind.person.value: _l("Person"),
                                  CustomerKind.organization.value: _l("Organisation")}
DIRECTIONS: dict[str, Any] = {Direction.inbound.value: _l("Inbound"), Direction.outbound.value: _l("Outbound"),
                              Direction.internal.value: _l("Internal")}
#: The core's channels, translated; a plugin's channel shows the label it declares.
CORE_CHANNELS: dict[str, Any] = {
    "web": _l("Web"), "email": _l("Email"), "phone": _l("Phone"), "sms": _l("SMS"), "chat": _l("Chat"),
    "social": _l("Social media"), "in_person": _l("In person"), "other": _l("Other"),
}
PURPOSES: dict[str, Any] = {"marketing": _l("Marketing"), "service": _l("Service messages")}


def channels() -> dict[str, str]:
    """Every channel of the deployment (the plugins' included): name -> label, once per request."""
    found = g.get("payvand_channel_labels")
    if found is None:
        declared = current_app.extensions["payvand"].channels()
        found = g.payvand_channel_labels = {name: str(CORE_CHANNELS.get(name, label)) for name, label in declared.items()}
    return found


def channel_label(name: str) -> str:
    """A channel's label in the request's language."""
    return channels().get(name, name)


def purpose_label(purpose: str | None) -> str:
    """A consent purpose's label (marketing, service messages)."""
    return str(PURPOSES.get(purpose or "", purpose or ""))


def stage_label(stage: str | None) -> str:
    """A lifecycle stage's label."""
    return str(STAGES.get(stage or "", stage or ""))


def customer_kind_label(kind: str | None) -> str:
    """"Person" or "Organisation", translated."""
    return str(CUSTOMER_KINDS.get(kind or "", kind or ""))


def init_labels(app: Flask) -> None:
    """Make the label functions available to every template."""
    app.jinja_env.globals.update(channel_label=channel_label, stage_label=stage_label,
                                 customer_kind_label=customer_kind_label, purpose_label=purpose_label)
