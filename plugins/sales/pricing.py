"""Exact money for quotes, orders and invoices: the document kit's `pricing` module
(`payvand.sdk.documents.pricing`), re-exported under its old name for the sales plugin."""

from __future__ import annotations

from payvand.sdk.documents import pricing

DEFAULT_VAT_RATE = pricing.DEFAULT_VAT_RATE
Discount = pricing.Discount
DocumentTotals = pricing.DocumentTotals
InvoiceNumber = pricing.InvoiceNumber
LineAmounts = pricing.LineAmounts
LineInput = pricing.LineInput
PaymentStatus = pricing.PaymentStatus
amount_off = pricing.amount_off
balance_due = pricing.balance_due
compute_document = pricing.compute_document
compute_line = pricing.compute_line
currency_places = pricing.currency_places
fiscal_year = pricing.fiscal_year
invoice_number = pricing.invoice_number
next_invoice_number = pricing.next_invoice_number
parse_invoice_number = pricing.parse_invoice_number
payment_status = pricing.payment_status
percent_off = pricing.percent_off
round_money = pricing.round_money
