"""The sales staff pages: one blueprint (`sales`), pages in one module per area."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Blueprint, abort, request

from payvand.sdk import Actor, current_staff, read_number

_ROOT = Path(__file__).resolve().parent.parent
bp = Blueprint("sales", __name__, template_folder=str(_ROOT / "templates"), static_folder=str(_ROOT / "static"),
               static_url_path="/sales/static")


def as_id(text: str | None) -> int | None:
    """A typed id (1 … 2^63 − 1) read by the staff forms' one number rule (`read_number`: Latin,
    Persian or Arabic-Indic digits, separators between groups of three); None otherwise."""
    from payvand.plugins.sales.models import MAX_ID

    try:
        value = read_number(text or "")
    except ValueError:
        return None
    if value.as_tuple().exponent != 0 or not 1 <= value <= MAX_ID:
        return None
    return int(value)


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


def staff() -> Actor:
    """The signed-in staff user of a page behind `staff_required` (which sends anyone else to the
    login page, so there always is one); `current_staff()` typed for those pages."""
    user = current_staff()
    assert user is not None, "a sales staff page without staff_required"
    return user


for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    importlib.import_module(f"{__name__}.{_info.name}")  # each area module adds its pages to `bp`
