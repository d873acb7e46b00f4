"""How the customer timeline shows the service plugin's interactions, in the reader's language."""

from __future__ import annotations

from payvand.sdk import InteractionKind, lazy_gettext

KINDS: tuple[InteractionKind, ...] = (
    InteractionKind("service.ticket_opened", lazy_gettext("Ticket opened"),
                    summary=lazy_gettext("Ticket #%(ticket_id)s opened: %(subject)s")),
    InteractionKind("service.ticket_solved", lazy_gettext("Ticket solved"),
                    summary=lazy_gettext("Ticket #%(ticket_id)s solved: %(subject)s")),
    InteractionKind("service.csat_received", lazy_gettext("Satisfaction rating"),
                    summary=lazy_gettext("Rated ticket #%(ticket_id)s %(score)s of 5")),
    InteractionKind("service.sla_breached", lazy_gettext("SLA breached"),
                    summary=lazy_gettext("SLA breached on ticket #%(ticket_id)s")),
    InteractionKind("service.nps_received", lazy_gettext("Recommendation score (NPS)"),
                    summary=lazy_gettext("Would recommend us: %(score)s of 10")),
)
