"""Translated labels of the core's fixed values: stages, customer kinds, channels, purposes, directions.

One place for every page, and Jinja globals (`stage_label`, `customer_kind_label`,
`channel_label`, `purpose_label`) so templates show a value's label in the request's language.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from flask_babel import lazy_gettext as _l

from payvand.core.locale_format import isolate
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
#: What staff log from the customer page: the core's interaction kinds.
CORE_KINDS: dict[str, Any] = {"core.call": _l("Call"), "core.note": _l("Note"), "core.meeting": _l("Meeting"),
                              "core.message": _l("Message")}
#: Labels of the other `core.*` kinds (recorded by imports, integrations and the demo).
OTHER_CORE_KINDS: dict[str, Any] = {
    "core.web_visit": _l("Website visit"), "core.form_submitted": _l("Form submitted"),
    "core.purchase": _l("Purchase"), "core.email": _l("Email"), "core.quote": _l("Quote"), "core.sms": _l("SMS"),
    "core.chat": _l("Chat"), "core.social_mention": _l("Social media mention"),
    "core.social_message": _l("Social media message"), "core.visit": _l("Visit"),
}


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


def _declared_kinds() -> dict[str, Any]:
    """The interaction kinds declared through `payvand_interaction_kinds`, once per request."""
    found = g.get("payvand_interaction_kinds")
    if found is None:
        found = g.payvand_interaction_kinds = current_app.extensions["payvand"].interaction_kinds()
    return found


def kind_label(kind: str) -> str:
    """An interaction kind's label: the core's log kinds, then the plugins' declared kinds, else the name."""
    core = CORE_KINDS.get(kind, OTHER_CORE_KINDS.get(kind))
    if core is not None:
        return str(core)
    declared = _declared_kinds().get(kind)
    return str(declared.label) if declared is not None and declared.label else kind


def interaction_summary(item: Any) -> str:
    """The summary of a timeline entry in the reader's language.

    When the entry's kind declares a `summary` (see `InteractionKind`), it is filled from the
    entry's payload now, in the request's language; otherwise, or when the payload lacks a
    parameter, the summary stored on the row is shown as it was written.
    """
    stored = str(getattr(item, "summary", "") or "")
    declared = _declared_kinds().get(getattr(item, "kind", ""))
    payload = getattr(item, "payload", None)
    if declared is None or declared.summary is None or not isinstance(payload, dict):
        return stored
    try:
        if callable(declared.summary):
            text = declared.summary(payload)
            return stored if text is None else str(text)
        params = {key: isolate(value) for key, value in payload.items() if isinstance(value, (str, int, float))}
        return str(declared.summary) % params if "%" in str(declared.summary) else str(declared.summary)
    except (KeyError, TypeError, ValueError):
        return stored


#: Labels of emails, phones and addresses that imports and the demo use; others are shown as typed.
CONTACT_LABELS: dict[str, Any] = {"home": _l("home"), "work": _l("work"), "mobile": _l("mobile"),
                                  "personal": _l("personal"), "office": _l("office"), "billing": _l("billing"),
                                  "other": _l("other")}


def contact_label(label: str | None) -> str:
    """An email's, phone's or address's label: the usual ones translated, any other as typed."""
    return str(CONTACT_LABELS.get((label or "").strip().lower(), label or ""))


#: Message statuses (outbound and inbound), translated.
MESSAGE_STATUSES: dict[str, Any] = {
    "queued": _l("Queued"), "sending": _l("Sending"), "sent": _l("Sent"), "delivered": _l("Delivered"),
    "opened": _l("Opened"), "clicked": _l("Clicked"), "failed": _l("Failed"), "bounced": _l("Bounced"),
    "refused": _l("Refused"), "received": _l("Received"),
}
#: Badge colours of message statuses.
MESSAGE_BADGES = {"queued": "secondary", "sending": "secondary", "sent": "primary", "delivered": "success",
                  "opened": "success", "clicked": "success", "failed": "danger", "bounced": "danger",
                  "refused": "warning", "received": "info"}


def message_status_label(status: str | None) -> str:
    """A message status in the request's language."""
    return str(MESSAGE_STATUSES.get(status or "", status or ""))


def message_badge(status: str | None) -> str:
    """The Bootstrap colour of a message status's badge."""
    return MESSAGE_BADGES.get(status or "", "secondary")


def init_labels(app: Flask) -> None:
    """Make the label functions available to every template."""
    app.jinja_env.globals.update(channel_label=channel_label, stage_label=stage_label,
                                 customer_kind_label=customer_kind_label, purpose_label=purpose_label,
                                 kind_label=kind_label, interaction_summary=interaction_summary,
                                 contact_label=contact_label, message_status_label=message_status_label,
                                 message_badge=message_badge)
