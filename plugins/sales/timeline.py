"""How the customer timeline shows the sales plugin's interactions, in the reader's language.

Each interaction the plugin records keeps its parameters (document number, deal title, reason,
…) in its JSON payload; the summary stored on the row is a plain English fallback for the API
and exports. The timeline renders the summary from these declarations when it shows an entry,
so a Persian reader sees "پیش‌فاکتور Q-… منقضی شد" whatever language the job that recorded it ran
in. Declared through `payvand_interaction_kinds` (see `payvand.sdk.InteractionKind`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payvand.sdk import InteractionKind, gettext, isolate, lazy_gettext, localize_digits

_SOURCES = {"web_form": lazy_gettext("Web form"), "api": lazy_gettext("API"), "import": lazy_gettext("Import"),
            "manual": lazy_gettext("Manual entry")}
_ACTIVITY_KINDS = {"task": lazy_gettext("Task"), "call": lazy_gettext("Call"), "meeting": lazy_gettext("Meeting"),
                   "email": lazy_gettext("Email")}


def _number(payload: dict[str, Any], key: str = "number") -> str:
    """A document number with the reader's digits, isolated."""
    return isolate(localize_digits(payload[key]))


def _document(template: Any, with_reason: Any = None) -> Callable[[dict[str, Any]], str | None]:
    """A summary "<document> <number> <verb>" (lazy templates), with the reason when the payload has one."""

    def render(payload: dict[str, Any]) -> str | None:
        if not payload.get("number"):
            return None
        if with_reason is not None and payload.get("reason"):
            return str(with_reason) % {"number": _number(payload), "reason": isolate(payload["reason"])}
        return str(template) % {"number": _number(payload)}

    return render


def _lead_created(payload: dict[str, Any]) -> str | None:
    source = payload.get("source")
    if not source:
        return None
    label = isolate(str(_SOURCES.get(source, source)))
    if payload.get("campaign"):
        return gettext("Lead from %(source)s (%(campaign)s)", source=label, campaign=isolate(payload["campaign"]))
    return gettext("Lead from %(source)s", source=label)


def _lead_converted(payload: dict[str, Any]) -> str | None:
    if payload.get("deal_title"):
        return gettext("Lead converted; deal %(title)s", title=isolate(payload["deal_title"]))
    if payload.get("deal_id"):
        return None  # recorded before the title was kept: the stored summary names the deal
    return gettext("Lead converted")


def _deal_closed(won: bool) -> Callable[[dict[str, Any]], str | None]:
    def render(payload: dict[str, Any]) -> str | None:
        if not payload.get("title"):
            return None
        title = isolate(payload["title"])
        if payload.get("reason"):
            reason = isolate(payload["reason"])
            return (gettext("Deal won: %(title)s (%(reason)s)", title=title, reason=reason) if won
                    else gettext("Deal lost: %(title)s (%(reason)s)", title=title, reason=reason))
        return gettext("Deal won: %(title)s", title=title) if won else gettext("Deal lost: %(title)s", title=title)

    return render


def _activity_done(payload: dict[str, Any]) -> str | None:
    if not payload.get("subject"):
        return None
    kind = payload.get("kind") or "task"
    return gettext("%(kind)s: %(subject)s", kind=str(_ACTIVITY_KINDS.get(kind, kind)),
                   subject=isolate(payload["subject"]))


def _brochure_sent(payload: dict[str, Any]) -> str | None:
    if not payload.get("file"):
        return None
    product, file = isolate(payload.get("product") or ""), isolate(payload["file"])
    text = (gettext("%(product)s: %(file)s sent to %(to)s", product=product, file=file, to=isolate(payload["to"]))
            if payload.get("to") else gettext("%(product)s: %(file)s sent", product=product, file=file))
    return f"{text} — {isolate(payload['note'])}" if payload.get("note") else text


KINDS = (
    InteractionKind("sales.quote_sent", lazy_gettext("Quote sent"), _document(lazy_gettext("Quote %(number)s sent"))),
    InteractionKind("sales.quote_rejected", lazy_gettext("Quote rejected"),
                    _document(lazy_gettext("Quote %(number)s rejected"),
                              lazy_gettext("Quote %(number)s rejected: %(reason)s"))),
    InteractionKind("sales.quote_expired", lazy_gettext("Quote expired"), _document(lazy_gettext("Quote %(number)s expired"))),
    InteractionKind("sales.order_placed", lazy_gettext("Order placed"), _document(lazy_gettext("Order %(number)s placed"))),
    InteractionKind("sales.invoice_issued", lazy_gettext("Invoice issued"), _document(lazy_gettext("Invoice %(number)s issued"))),
    InteractionKind("sales.invoice_paid", lazy_gettext("Invoice paid"), _document(lazy_gettext("Invoice %(number)s paid"))),
    InteractionKind("sales.invoice_voided", lazy_gettext("Invoice voided"),
                    _document(lazy_gettext("Invoice %(number)s voided"),
                              lazy_gettext("Invoice %(number)s voided: %(reason)s"))),
    InteractionKind("sales.lead_created", lazy_gettext("Lead created"), _lead_created),
    InteractionKind("sales.lead_converted", lazy_gettext("Lead converted"), _lead_converted),
    InteractionKind("sales.deal_won", lazy_gettext("Deal won"), _deal_closed(True)),
    InteractionKind("sales.deal_lost", lazy_gettext("Deal lost"), _deal_closed(False)),
    InteractionKind("sales.activity_done", lazy_gettext("Activity done"), _activity_done),
    InteractionKind("sales.brochure_sent", lazy_gettext("Brochure sent"), _brochure_sent),
)
