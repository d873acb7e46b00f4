"""The sales services' refusals, shown to staff in their language.

`services/documents.py`, `services/pipeline.py` and `services/leads.py` raise errors with an English message (the
API's `message`); the pages translate it here when they show it: fixed messages are looked up as they are, and
messages that carry values (a document number, a status, a date) are matched by pattern and
rebuilt from a translated template, the values isolated (FSI…PDI) and with the reader's digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from payvand.sdk import gettext as _
from payvand.sdk import isolate, lazy_gettext, localize_digits

#: Statuses of quotes, orders and invoices as they appear inside messages.
_STATUSES = {"draft": lazy_gettext("draft"), "sent": lazy_gettext("sent"), "accepted": lazy_gettext("accepted"),
             "rejected": lazy_gettext("rejected"), "expired": lazy_gettext("expired"),
             "placed": lazy_gettext("placed"), "cancelled": lazy_gettext("cancelled"),
             "fulfilled": lazy_gettext("fulfilled"), "void": lazy_gettext("void")}


def _n(value: str) -> str:
    """A document number or amount: the reader's digits, isolated."""
    return isolate(localize_digits(value))


def _s(value: str) -> str:
    return str(_STATUSES.get(value, value))


_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Order (\S+) already has invoice (\S+)\."),
     lambda m: _("Order %(order)s already has invoice %(invoice)s.", order=_n(m[1]), invoice=_n(m[2]))),
    (re.compile(r"Invoice (\S+) is already void\."), lambda m: _("Invoice %(number)s is already void.", number=_n(m[1]))),
    (re.compile(r"Invoice (\S+) is void\."), lambda m: _("Invoice %(number)s is void.", number=_n(m[1]))),
    (re.compile(r"Order (\S+) is cancelled\."), lambda m: _("Order %(number)s is cancelled.", number=_n(m[1]))),
    (re.compile(r"Quote (\S+) is (\w+); only a draft or sent quote can be (accepted|rejected|sent)\."),
     lambda m: {"accepted": _("Quote %(number)s is %(status)s; only a draft or sent quote can be accepted."),
                "rejected": _("Quote %(number)s is %(status)s; only a draft or sent quote can be rejected."),
                "sent": _("Quote %(number)s is %(status)s; only a draft or sent quote can be sent.")}[m[3]]
     % {"number": _n(m[1]), "status": _s(m[2])}),
    (re.compile(r"Quote (\S+) expired on (\d{4}-\d{2}-\d{2})\."),
     lambda m: _("Quote %(number)s expired on %(date)s.", number=_n(m[1]), date=_n(m[2]))),
    (re.compile(r"Order (\S+) is (\w+): (\w+), not (\w+)\."),
     lambda m: _("Order %(number)s is %(status)s and cannot become %(wanted)s.", number=_n(m[1]), status=_s(m[2]),
                 wanted=_s(m[4]))),
    (re.compile(r"Product (\S+) is not active\."), lambda m: _("Product %(sku)s is not active.", sku=isolate(m[1]))),
    (re.compile(r"Product (\S+) has no price in the price list; give a unit price\."),
     lambda m: _("Product %(sku)s has no price in the price list; give a unit price.", sku=isolate(m[1]))),
    (re.compile(r"A refund cannot exceed the (\S+) (\w+) paid\."),
     lambda m: _("A refund cannot exceed the %(amount)s %(currency)s paid.", amount=_n(m[1]), currency=isolate(m[2]))),
    (re.compile(r"A payment cannot exceed the (\S+) (\w+) due\."),
     lambda m: _("A payment cannot exceed the %(amount)s %(currency)s due.", amount=_n(m[1]), currency=isolate(m[2]))),
    # the pipeline service's refusals that carry a value
    (re.compile(r"Unknown outcome '(.*)'\."), lambda m: _("Unknown outcome %(value)s.", value=isolate(m[1]))),
    (re.compile(r"Unknown currency '(.*)'\."), lambda m: _("Unknown currency %(value)s.", value=isolate(m[1]))),
    (re.compile(r"There is no product (\d+)\."), lambda m: _("There is no product %(id)s.", id=_n(m[1]))),
    # the lead service's
    (re.compile(r"There is no user (\d+)\."), lambda m: _("There is no user %(id)s.", id=_n(m[1]))),
)


def service_message(message: str) -> str:
    """A sales service's refusal in the request's language (English messages without a pattern go through gettext)."""
    for pattern, build in _PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return build(match)
    return _(message)
