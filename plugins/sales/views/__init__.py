"""The sales staff pages: one blueprint (`sales`), pages in one module per area."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Blueprint, abort, request

_ROOT = Path(__file__).resolve().parent.parent
bp = Blueprint("sales", __name__, template_folder=str(_ROOT / "templates"), static_folder=str(_ROOT / "static"),
               static_url_path="/sales/static")


_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def as_id(text: str | None) -> int | None:
    """A typed id (1 … 2^63 − 1) in Latin, Persian (۰-۹) or Arabic-Indic (٠-٩) digits; None otherwise."""
    from payvand.plugins.sales.models import MAX_ID

    digits = (text or "").translate(_DIGITS).strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19 or not 1 <= int(digits) <= MAX_ID:
        return None
    return int(digits)


def id_arg(name: str) -> int | None:
    """The query-string id `name` (None when absent or blank, any digits); 400 when it is not an id
    (1 … 2^63 − 1)."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    found = as_id(text)
    if found is None:
        abort(400)
    return found

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    importlib.import_module(f"{__name__}.{_info.name}")  # each area module adds its pages to `bp`
