"""PDF pages of a document, as the printable pages show them: a header (company, title, facts,
customer), the lines table, the totals block, a footer with the number and page, a VOID mark.

fpdf2 draws the pages in pure Python; its HarfBuzz text shaping (`uharfbuzz`) joins Persian
letters and orders mixed right-to-left and left-to-right text, with Vazirmatn (the UI's font,
vendored as TTF, `font_path`) embedded as a subset. The layout follows the current locale:
right to left with Jalali dates and Persian digits in `fa`, left to right with Gregorian dates
in `en` (the same formatting helpers as the HTML pages). Long documents break over pages, the
table's headings repeated on each.

User text keeps its own direction: a cell or line holding only user text (a line's
description, the company name) gets its base direction from its first strong character
(fpdf2's paragraph detection, the shaping direction being left open), and user text inside a
labelled line ("مشتری: Ali (علی) Co.") is wrapped in the Unicode isolates FSI…PDI, which the
bidi algorithm of fpdf2 honours and HarfBuzz draws as nothing — so parentheses and full stops
stay where they were typed in either layout.

    pdf = DocumentPdf.for_locale(footer_text=number)
    pdf.add_page()
    pdf.header_block(_("Repair invoice") + " " + isolate(number), [(_("Date"), format_date(day))], customer)
    pdf.lines_table(lines, currency)
    pdf.totals_block(money_rows(document, lines))
    return pdf.finish(title)
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from payvand.core.documents.lines import tax_summary
from payvand.core.fonts import font_path
from payvand.core.locale_format import isolate
from payvand.core.web.i18n import current_locale, format_money, format_number, localize_digits

FONT = "Vazirmatn"
#: Column widths (fractions of the page width) of the lines table, in reading order.
COLUMNS = (5, 29, 9, 14, 12, 7, 11, 13)
GREY = (236, 238, 241)
VOID_RED = (200, 30, 45)


def labelled(label: str, value: str) -> str:
    """"label: value" with the value isolated (FSI…PDI): mixed-script values keep their order."""
    return f"{label}: {isolate(value)}"


class DocumentPdf(FPDF):
    """A4 pages with a footer (number and page) and, for a void document, a VOID watermark."""

    def __init__(self, *, rtl: bool, footer_text: str, void_mark: str | None = None) -> None:
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

    @classmethod
    def for_locale(cls, *, footer_text: str, void_mark: str | None = None) -> DocumentPdf:
        """Pages laid out for the current locale (right to left in `fa`)."""
        return cls(rtl=current_locale() == "fa", footer_text=footer_text, void_mark=void_mark)

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

    @property
    def start(self) -> str:
        """The alignment of the reading start ("R" right to left)."""
        return "R" if self.rtl else "L"

    @property
    def end(self) -> str:
        """The alignment of the reading end."""
        return "L" if self.rtl else "R"

    def ordered(self, cells: Sequence[Any]) -> list[Any]:
        """Cells in drawing order (left to right): reversed on a right-to-left page."""
        return list(reversed(cells)) if self.rtl else list(cells)

    def text_line(self, text: str, *, size: float = 10, bold: bool = False, height: float = 6,
                  color: tuple[int, int, int] = (0, 0, 0)) -> None:
        """A paragraph on the start side."""
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(0, height, text, align=self.start, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def header_block(self, title: str, facts: Sequence[tuple[str, str]], customer: Any | None,
                     company: str = "") -> None:
        """Company name, title, the labelled facts that have a value, and the customer with contacts."""
        if company:
            self.text_line(company, size=15, bold=True, height=8)
        self.text_line(title, size=13, bold=True, height=8)
        for label, value in facts:
            if value:
                self.text_line(labelled(label, value), size=9.5, height=5.5)
        self.ln(2)
        if customer is not None:
            self.text_line(labelled(_("Customer"), customer.display_name or ""), size=10.5, bold=True)
            contact = " · ".join(isolate(v) for v in (customer.primary_email,
                                                      localize_digits(customer.primary_phone or "")) if v)
            if contact:
                self.text_line(contact, size=9, height=5)
        self.ln(3)

    def lines_table(self, lines: Sequence[Any], currency: str) -> None:
        """The lines (description, quantity, unit_price, discount, tax_rate, tax, total), headings repeated per page."""
        headings = ["#", _("Description"), _("Quantity"), _("Unit price"), _("Discount"), _("Tax rate"), _("Tax"),
                    _("Total")]
        aligns = ["C", self.start] + [self.end] * 6
        self.set_font(FONT, "", 8.5)
        with self.table(col_widths=self.ordered(COLUMNS), text_align=self.ordered(aligns),
                        headings_style=FontFace(emphasis="BOLD", fill_color=GREY), borders_layout="HORIZONTAL_LINES",
                        line_height=5.2, padding=1.2, repeat_headings=1, first_row_as_headings=True) as table:
            row = table.row()
            for heading in self.ordered(headings):
                row.cell(heading)
            for n, line in enumerate(lines, 1):
                values = [localize_digits(n), line.description, format_number(line.quantity),
                          format_money(line.unit_price, currency), format_money(line.discount, currency),
                          f"{format_number(Decimal(line.tax_rate).normalize())}%", format_money(line.tax, currency),
                          format_money(line.total, currency)]
                row = table.row()
                for value in self.ordered(values):
                    row.cell(value)
        self.ln(3)

    def totals_block(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """The totals block on the end side: (label, amount, bold) rows."""
        self.set_font(FONT, "", 9.5)
        with self.table(width=85, col_widths=self.ordered((48, 37)), align="LEFT" if self.rtl else "RIGHT",
                        text_align=self.ordered((self.start, self.end)), first_row_as_headings=False,
                        borders_layout="HORIZONTAL_LINES", line_height=5.8, padding=1.2) as table:
            for label, amount, bold in rows:
                style = FontFace(emphasis="BOLD", fill_color=GREY) if bold else None
                row = table.row(style=style)
                for value in self.ordered((label, amount)):
                    row.cell(value)

    def finish(self, title: str) -> bytes:
        """The PDF's bytes, titled."""
        self.set_title(title)
        return bytes(self.output())


def money_rows(document: Any, lines: Sequence[Any]) -> list[tuple[str, str, bool]]:
    """Subtotal, discounts, the tax per rate and the total of a document, as `totals_block` rows."""
    rows = [(_("Subtotal"), format_money(document.subtotal, document.currency), False),
            (_("Discounts"), format_money(document.discount_total, document.currency), False)]
    for rate, tax in tax_summary(lines).items():
        rows.append((_("Tax at %(rate)s%%", rate=format_number(rate)), format_money(tax, document.currency), False))
    rows.append((_("Total"), format_money(document.total, document.currency), True))
    return rows
