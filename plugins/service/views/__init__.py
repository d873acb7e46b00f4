"""The service staff pages: one blueprint (`service`)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Blueprint

_ROOT = Path(__file__).resolve().parent.parent
bp = Blueprint("service", __name__, template_folder=str(_ROOT / "templates"), static_folder=str(_ROOT / "static"),
               static_url_path="/service/static")

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    importlib.import_module(f"{__name__}.{_info.name}")  # each area module adds its routes to the blueprint
