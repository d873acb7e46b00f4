"""The service REST API under `/api/v1/service/...`."""

from __future__ import annotations

import importlib
import pkgutil

from payvand.sdk import ApiBlueprint

blp = ApiBlueprint("service", __name__, url_prefix="/service", description="Service: tickets and their conversations.")

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    importlib.import_module(f"{__name__}.{_info.name}")  # each area module adds its routes to the blueprint
