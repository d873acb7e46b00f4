"""The analytics staff pages: one blueprint (`analytics`), pages in one module per area."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Blueprint

_ROOT = Path(__file__).resolve().parent.parent
bp = Blueprint("analytics", __name__, template_folder=str(_ROOT / "templates"))

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
