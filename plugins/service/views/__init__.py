"""The service staff pages: one blueprint (`service`)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

_ROOT = Path(__file__).resolve().parent.parent
bp = Blueprint("service", __name__, template_folder=str(_ROOT / "templates"), static_folder=str(_ROOT / "static"),
               static_url_path="/service/static")

from payvand.plugins.service.views import csat, kb, reports, tickets  # noqa: E402,F401 - add their pages
