"""The service REST API under `/api/v1/service/...`."""

from __future__ import annotations

from payvand.sdk import ApiBlueprint

blp = ApiBlueprint("service", __name__, url_prefix="/service", description="Service: tickets and their conversations.")

from payvand.plugins.service.api import admin, articles, contracts, tickets  # noqa: E402,F401 - add routes
