"""PDF of a quote or an invoice, as the printable pages show them: company name, number, dates,
customer, the lines, the tax per rate, the totals and (invoices) the balance due; a void
invoice carries a VOID mark on every page.

The pages are the document kit's (`payvand.sdk.documents.DocumentPdf`: fpdf2 with HarfBuzz
shaping, Vazirmatn embedded, right to left with Jalali dates and Persian digits in `fa`); the
statuses' labels come from the flows in `document_base`.
"""

from __future__ import annotations

import sqlalchemy as sa

from payvand.plugins.sales.models import Invoice, Order, OrderLine, Quote
from payvand.plugins.sales.services.document_base import INVOICE_FLOW, QUOTE_FLOW, company_name
from payvand.plugins.sales.services.invoices import balance
from payvand.sdk import Customer, format_date, format_money, isolate, localize_digits
from payvand.sdk import gettext as _
from payvand.sdk import session as current_session
from payvand.sdk.documents import VOID_RED, DocumentPdf, labelled, money_rows

__all__ = ["invoice_pdf", "labelled", "quote_pdf"]


def quote_pdf(quote: Quote) -> bytes:
    """The quote as a PDF in the current locale (needs the app: settings, translations)."""
    customer = current_session().get(Customer, quote.customer_id)
    number = localize_digits(quote.number)
    title = f"{_('Quote')} {isolate(number)}"
    pdf = DocumentPdf.for_locale(footer_text=number)
    pdf.add_page()
    pdf.header_block(title, [(_("Date"), format_date(quote.created_at)),
                             (_("Valid until"), format_date(quote.valid_until)),
                             (_("Status"), QUOTE_FLOW.label(quote.status))], customer, company_name())
    if quote.status == "rejected" and quote.reject_reason:
        pdf.text_line(labelled(_("Reason"), quote.reject_reason), size=9.5)
    lines = list(quote.lines)
    pdf.lines_table(lines, quote.currency)
    pdf.totals_block(money_rows(quote, lines))
    return pdf.finish(title)


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF in the current locale: its order's lines, totals, paid and balance due;
    a void invoice is marked VOID (with the reason) and owes nothing."""
    session = current_session()
    customer = session.get(Customer, invoice.customer_id)
    order = session.get(Order, invoice.order_id) if invoice.order_id else None
    lines = list(session.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id)
                                 .order_by(OrderLine.position))) if order is not None else []
    number = localize_digits(invoice.number)
    title = f"{_('Invoice')} {isolate(number)}"
    void = invoice.status == "void"
    pdf = DocumentPdf.for_locale(footer_text=number, void_mark=_("VOID") if void else None)
    pdf.add_page()
    facts = [(_("Issued"), format_date(invoice.issued_at)), (_("Due"), format_date(invoice.due_at)),
             (_("Order"), localize_digits(order.number) if order else ""),
             (_("Status"), INVOICE_FLOW.label(invoice.status))]
    pdf.header_block(title, facts, customer, company_name())
    if void:
        pdf.text_line(_("VOID"), size=16, bold=True, height=8, color=VOID_RED)
        when = format_date(invoice.voided_at)
        pdf.text_line(f"{_('Voided on %(date)s', date=when)}"
                      + (f" — {isolate(invoice.void_reason)}" if invoice.void_reason else ""),
                      size=9.5, color=VOID_RED)
        pdf.ln(2)
    pdf.lines_table(lines, invoice.currency)
    rows = money_rows(invoice, lines)
    rows.append((_("Paid"), format_money(invoice.paid_total, invoice.currency), False))
    if not void:
        rows.append((_("Balance due"), format_money(balance(invoice), invoice.currency), True))
    pdf.totals_block(rows)
    return pdf.finish(title)
