"""PDF of a quote or an invoice, as the printable pages show them: company name, number, dates,
customer, the lines, the tax per rate, the totals and (invoices) the balance due.

fpdf2 draws the pages in pure Python; its HarfBuzz text shaping (`uharfbuzz`) joins Persian
letters and orders mixed right-to-left and left-to-right text, with Vazirmatn (the UI's font,
vendored as TTF) embedded as a subset. The layout follows the current locale: right to left
with Jalali dates and Persian digits in `fa`, left to right with Gregorian dates in `en` (the
same formatting helpers as the HTML pages). Long documents break over pages, the table's
headings repeated on each. A void invoice carries a VOID mark on every page.

User text keeps its own direction: a cell or line holding only user text (a line's
description, the company name) gets its base direction from its first strong character
(fpdf2's paragraph detection, the shaping direction being left open), and user text inside a
labelled line ("مشتری: Ali (علی) Co.") is wrapped in the Unicode isolates FSI…PDI, which the
bidi algorithm of fpdf2 honours and HarfBuzz draws as nothing — so parentheses and full stops
stay where they were typed in either layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from fpdf import FPDF
from fpdf.fonts import FontFace

from payvand.plugins.sales.models import Invoice, Order, OrderLine, Quote
from payvand.plugins.sales.services import documents
from payvand.sdk import (
    Customer,
    current_locale,
    format_date,
    format_money,
    format_number,
    isolate,
    localize_digits,
)
from payvand.sdk import gettext as _
from payvand.sdk import session as current_session
from payvand.sdk.pdf import font_path

FONT = "Vazirmatn"
#: Column widths (fractions of the page width) of the lines table, in reading order.
_COLUMNS = (5, 29, 9, 14, 12, 7, 11, 13)
_GREY = (236, 238, 241)
_VOID_RED = (200, 30, 45)


class _Page(FPDF):
    """A4 pages with a footer (number and page) and, for a void document, a VOID watermark."""

    def __init__(self, *, rtl: bool, footer_text: str, void_mark: str | None) -> None:
        super().__init__(format="A4", unit="mm")
        self.rtl = rtl
        self.footer_text = footer_text
        self.void_mark = void_mark
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.add_font(FONT, "", font_path("Regular"))
        self.add_font(FONT, "B", font_path("Bold"))
        self.set_text_shaping(True)  # HarfBuzz: joined Persian letters, bidi order of mixed text
        self.set_creator("Payvand")

    def header(self) -> None:
        """The VOID watermark across a void document's pages."""
        if not self.void_mark:
            return
        self.set_font(FONT, "B", 72)
        self.set_text_color(245, 200, 205)
        with self.rotation(35, self.w / 2, self.h / 2):
            width = self.get_string_width(self.void_mark)
            self.text(self.w / 2 - width / 2, self.h / 2, self.void_mark)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        """The document's number and the page number."""
        self.set_y(-13)
        self.set_font(FONT, "", 8)
        self.set_text_color(110, 110, 110)
        page = _("Page %(page)s", page=localize_digits(self.page_no()))
        self.cell(0, 6, f"{isolate(self.footer_text)} · {page}", align="C")
        self.set_text_color(0, 0, 0)


def _start(pdf: _Page) -> str:
    return "R" if pdf.rtl else "L"


def _end(pdf: _Page) -> str:
    return "L" if pdf.rtl else "R"


def _ordered(pdf: _Page, cells: Sequence[Any]) -> list[Any]:
    """Cells in drawing order (left to right): reversed on a right-to-left page."""
    return list(reversed(cells)) if pdf.rtl else list(cells)


def _line(pdf: _Page, text: str, *, size: float = 10, bold: bool = False, height: float = 6,
          color: tuple[int, int, int] = (0, 0, 0)) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, height, text, align=_start(pdf), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def labelled(label: str, value: str) -> str:
    """"label: value" with the value isolated (FSI…PDI): mixed-script values keep their order."""
    return f"{label}: {isolate(value)}"


def _header(pdf: _Page, title: str, facts: Sequence[tuple[str, str]], customer: Customer | None) -> None:
    company = documents.company_name()
    if company:
        _line(pdf, company, size=15, bold=True, height=8)
    _line(pdf, title, size=13, bold=True, height=8)
    for label, value in facts:
        if value:
            _line(pdf, labelled(label, value), size=9.5, height=5.5)
    pdf.ln(2)
    if customer is not None:
        _line(pdf, labelled(_("Customer"), customer.display_name or ""), size=10.5, bold=True)
        contact = " · ".join(isolate(v) for v in (customer.primary_email,
                                                  localize_digits(customer.primary_phone or "")) if v)
        if contact:
            _line(pdf, contact, size=9, height=5)
    pdf.ln(3)


def _lines_table(pdf: _Page, lines: Sequence[Any], currency: str) -> None:
    headings = ["#", _("Description"), _("Quantity"), _("Unit price"), _("Discount"), _("Tax rate"), _("Tax"),
                _("Total")]
    aligns = ["C", _start(pdf)] + [_end(pdf)] * 6
    pdf.set_font(FONT, "", 8.5)
    with pdf.table(col_widths=_ordered(pdf, _COLUMNS), text_align=_ordered(pdf, aligns),
                   headings_style=FontFace(emphasis="BOLD", fill_color=_GREY), borders_layout="HORIZONTAL_LINES",
                   line_height=5.2, padding=1.2, repeat_headings=1, first_row_as_headings=True) as table:
        row = table.row()
        for heading in _ordered(pdf, headings):
            row.cell(heading)
        for n, line in enumerate(lines, 1):
            values = [localize_digits(n), line.description, format_number(line.quantity),
                      format_money(line.unit_price, currency), format_money(line.discount, currency),
                      f"{format_number(Decimal(line.tax_rate).normalize())}%", format_money(line.tax, currency),
                      format_money(line.total, currency)]
            row = table.row()
            for value in _ordered(pdf, values):
                row.cell(value)
    pdf.ln(3)


def _totals(pdf: _Page, rows: Sequence[tuple[str, str, bool]]) -> None:
    """The totals block on the end side: (label, amount, bold) rows."""
    pdf.set_font(FONT, "", 9.5)
    width = 85
    with pdf.table(width=width, col_widths=_ordered(pdf, (48, 37)), align="LEFT" if pdf.rtl else "RIGHT",
                   text_align=_ordered(pdf, (_start(pdf), _end(pdf))), first_row_as_headings=False,
                   borders_layout="HORIZONTAL_LINES", line_height=5.8, padding=1.2) as table:
        for label, amount, bold in rows:
            style = FontFace(emphasis="BOLD", fill_color=_GREY) if bold else None
            row = table.row(style=style)
            for value in _ordered(pdf, (label, amount)):
                row.cell(value)


def _money_rows(doc: Any, lines: Sequence[Any]) -> list[tuple[str, str, bool]]:
    rows = [(_("Subtotal"), format_money(doc.subtotal, doc.currency), False),
            (_("Discounts"), format_money(doc.discount_total, doc.currency), False)]
    for rate, tax in documents.tax_summary(lines).items():
        rows.append((_("Tax at %(rate)s%%", rate=format_number(rate)), format_money(tax, doc.currency), False))
    rows.append((_("Total"), format_money(doc.total, doc.currency), True))
    return rows


def _finish(pdf: _Page, title: str) -> bytes:
    pdf.set_title(title)
    return bytes(pdf.output())


def quote_pdf(quote: Quote) -> bytes:
    """The quote as a PDF in the current locale (needs the app: settings, translations)."""
    customer = current_session().get(Customer, quote.customer_id)
    number = localize_digits(quote.number)
    title = f"{_('Quote')} {isolate(number)}"
    pdf = _Page(rtl=current_locale() == "fa", footer_text=number, void_mark=None)
    pdf.add_page()
    status = _quote_status(quote.status)
    _header(pdf, title, [(_("Date"), format_date(quote.created_at)),
                         (_("Valid until"), format_date(quote.valid_until)), (_("Status"), status)], customer)
    if quote.status == "rejected" and quote.reject_reason:
        _line(pdf, labelled(_("Reason"), quote.reject_reason), size=9.5)
    lines = list(quote.lines)
    _lines_table(pdf, lines, quote.currency)
    _totals(pdf, _money_rows(quote, lines))
    return _finish(pdf, title)


def _quote_status(status: str) -> str:
    from payvand.plugins.sales.views.documents import QUOTE_STATUSES

    return str(QUOTE_STATUSES.get(status, status))


def _invoice_status(status: str) -> str:
    from payvand.plugins.sales.views.documents import INVOICE_STATUSES

    return str(INVOICE_STATUSES.get(status, status))


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
    pdf = _Page(rtl=current_locale() == "fa", footer_text=number, void_mark=_("VOID") if void else None)
    pdf.add_page()
    facts = [(_("Issued"), format_date(invoice.issued_at)), (_("Due"), format_date(invoice.due_at)),
             (_("Order"), localize_digits(order.number) if order else ""), (_("Status"), _invoice_status(invoice.status))]
    _header(pdf, title, facts, customer)
    if void:
        _line(pdf, _("VOID"), size=16, bold=True, height=8, color=_VOID_RED)
        when = format_date(invoice.voided_at)
        reason = f" — {isolate(invoice.void_reason)}" if invoice.void_reason else ""
        _line(pdf, f"{_('Voided on %(date)s', date=when)}" + reason,
              size=9.5, color=_VOID_RED)
        pdf.ln(2)
    _lines_table(pdf, lines, invoice.currency)
    rows = _money_rows(invoice, lines)
    rows.append((_("Paid"), format_money(invoice.paid_total, invoice.currency), False))
    if not void:
        rows.append((_("Balance due"), format_money(documents.balance(invoice), invoice.currency), True))
    _totals(pdf, rows)
    return _finish(pdf, title)
