"""The sales REST API under `/api/v1/sales/...`: one blueprint, routes in one module per area."""

from __future__ import annotations

import importlib
import pkgutil

from payvand.sdk import ApiBlueprint

blp = ApiBlueprint("sales", __name__, url_prefix="/sales", description="Sales: leads, deals, catalog, quotes, orders, invoices.")

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    importlib.import_module(f"{__name__}.{_info.name}")  # each area module adds its routes to `blp`
