"""The service staff pages: one blueprint (`service`)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

_ROOT = Path(__file__).resolve().parent.parent
bp = Blueprint("service", __name__, template_folder=str(_ROOT / "templates"))

from payvand.plugins.service.views import tickets  # noqa: E402,F401 - adds its pages to `bp`
