"""The service staff pages: one blueprint (`service`)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from flask import Blueprint

_ROOT = Path(__file__).resolve().parent.parent
bp = Blueprint("service", __name__, template_folder=str(_ROOT / "templates"), static_folder=str(_ROOT / "static"),
               static_url_path="/service/static")


@bp.context_processor
def _ticket_labels() -> dict[str, Any]:
    """`ticket_labels.status|priority|type`: the ticket vocabulary in the reader's language, on every
    service page (`payvand.plugins.service.labels`)."""
    from payvand.plugins.service.labels import PRIORITY_LABELS, STATUS_LABELS, TYPE_LABELS, shown

    return {"ticket_labels": {"status": shown(STATUS_LABELS), "priority": shown(PRIORITY_LABELS),
                              "type": shown(TYPE_LABELS)}}


for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    importlib.import_module(f"{__name__}.{_info.name}")  # each area module adds its routes to the blueprint
