"""payvand.plugins.sales: leads, scoring, pipeline, catalog, quotes, online orders and invoices.

Built as a third party would build it: it imports only `payvand.sdk` and talks to the core
and to other plugins through hooks. Work in progress (issue 4): see docs/dev/status.md.
"""

from __future__ import annotations

from payvand.sdk import PluginMeta

from payvand.plugins.sales import models  # noqa: F401 - the plugin's tables, for its migrations

meta = PluginMeta(
    name="sales",
    version="0.1.0",
    title="Sales",
    description="Leads and scoring, pipelines and deals, catalog and price lists, quotes, orders and invoices.",
)
