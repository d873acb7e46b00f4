"""Quotes, orders, invoices and payments — one import for the API, the pages, the CLI and the
plugin's hooks. The code lives by document on top of the kernel's document kit
(`payvand.sdk.documents`: numbering per fiscal year, status flows, row locks, lines and
totals, PDF pages, mail):

- `document_base`: settings, status flows with labels, visibility checks, priced lines, numbers;
- `quotes`: create, send (`deliver_quote` emails it), accept, reject, expire;
- `orders`: place, change status, purchase facts;
- `invoices`: invoice an order, payments and refunds, void;
- `customer_documents`: the customer merge, export and erase hooks;
- `document_lists`: the quote, order and invoice lists on the list kit (`QUOTES`, `ORDERS`, `INVOICES`).

This module only re-exports their names (the names the sales code always imported from here).
"""

from __future__ import annotations

from payvand.plugins.sales.services.customer_documents import (
    customer_erase,
    customer_export,
    merge_customer,
)
from payvand.plugins.sales.services.document_base import (
    ACTING,
    FISCAL_CALENDAR,
    INVOICE_DUE_DAYS,
    INVOICE_FLOW,
    MAX_AMOUNT,
    ORDER,
    ORDER_FLOW,
    ORDER_STATUSES,
    PAYMENT_METHODS,
    QUOTE_FLOW,
    SETTINGS,
    VAT_RATE,
    DocumentError,
    LineIn,
    company_name,
    fiscal_calendar,
    local_today,
    next_number,
    plain,
    price_lines,
    require_visible,
    tax_rate_for,
    tax_summary,
    vat_rate,
)
from payvand.plugins.sales.services.document_lists import INVOICES, ORDERS, QUOTES
from payvand.plugins.sales.services.invoices import (
    balance,
    create_invoice,
    get_invoice,
    record_payment,
    void_invoice,
)
from payvand.plugins.sales.services.orders import (
    change_order_status,
    get_order,
    order_owner,
    place_order,
    purchase_facts,
)
from payvand.plugins.sales.services.quotes import (
    QuoteDelivery,
    accept_quote,
    create_quote,
    deliver_quote,
    expire_quotes,
    get_quote,
    jobs,
    reject_quote,
    send_quote,
)

__all__ = [
    "INVOICES", "ORDERS", "QUOTES",
    "ACTING", "FISCAL_CALENDAR", "INVOICE_DUE_DAYS", "INVOICE_FLOW", "MAX_AMOUNT", "ORDER", "ORDER_FLOW",
    "ORDER_STATUSES", "PAYMENT_METHODS", "QUOTE_FLOW", "SETTINGS", "VAT_RATE", "DocumentError", "LineIn",
    "QuoteDelivery", "accept_quote", "balance", "change_order_status", "company_name", "create_invoice",
    "create_quote", "customer_erase", "customer_export", "deliver_quote", "expire_quotes", "fiscal_calendar",
    "get_invoice", "get_order", "get_quote", "jobs", "local_today",
    "merge_customer", "next_number", "order_owner", "place_order", "plain", "price_lines", "purchase_facts",
    "record_payment", "reject_quote", "require_visible", "send_quote", "tax_rate_for",
    "tax_summary", "vat_rate", "void_invoice",
]
