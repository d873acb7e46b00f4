"""payvand.sdk.pdf: for plugins that write PDFs (quotes, invoices, vouchers).

`font_path` gives the bundled Vazirmatn TTF files, which cover Persian and Latin, for
embedding with fpdf2 (`pdf.add_font("Vazirmatn", "", font_path("Regular"))`); format the
values with `payvand.sdk.i18n` and wrap user text with `isolate`.

Not re-exported by `payvand.sdk`: import it from here (`from payvand.sdk.pdf import
font_path`). Stability: provisional as a whole (every name is in `PROVISIONAL`): the shared
document kit of issue 10 (numbering, lines and totals, the PDF layout) is expected to grow
this module, and its names may change in a minor release until it settles.
"""

from __future__ import annotations

from payvand.core.fonts import FONT_WEIGHTS, font_path

__all__ = ["font_path", "FONT_WEIGHTS"]

#: Names that may change in a minor release (here: all of them).
PROVISIONAL = frozenset(__all__)
