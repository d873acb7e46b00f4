"""The sales staff pages: one blueprint (`sales`), pages in one module per area."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Blueprint

bp = Blueprint("sales", __name__, template_folder=str(Path(__file__).resolve().parent.parent / "templates"))

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    importlib.import_module(f"{__name__}.{_info.name}")  # each area module adds its pages to `bp`
