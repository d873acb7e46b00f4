"""The sales staff pages: one blueprint (`sales`), pages in one module per area."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Blueprint, abort, request

_ROOT = Path(__file__).resolve().parent.parent
bp = Blueprint("sales", __name__, template_folder=str(_ROOT / "templates"), static_folder=str(_ROOT / "static"),
               static_url_path="/sales/static")


def id_arg(name: str) -> int | None:
    """The query-string id `name` (None when absent or blank); 400 when it is not an id (1 … 2^63 − 1)."""
    from payvand.plugins.sales.models import MAX_ID

    text = request.args.get(name, "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        abort(400)
    return int(text)

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    importlib.import_module(f"{__name__}.{_info.name}")  # each area module adds its pages to `bp`
