"""payvand.plugins.analytics: customer lifetime value (BG/NBD, Gamma-Gamma) and RFM segments.

Built as a third party would build it: it imports only `payvand.sdk` and reads other plugins'
data through data hooks that return SQLAlchemy selectables (`payvand_purchase_facts`).
Layout: `models.py` (snapshot tables), `permissions.py`, `services/` (`clv.py` the models in
numpy/scipy, `facts.py` the purchase facts, `runs.py` the stored runs, `rfm.py` scoring),
`cli.py` (`payvand analytics ...`), `views/` (staff pages) and `templates/analytics/`.
"""

from __future__ import annotations

from payvand.plugins.analytics import permissions as perm
from payvand.sdk import N_, PermissionSpec, PluginMeta, hookimpl

meta = PluginMeta(
    name="analytics",
    version="0.1.0",
    title=N_("Analytics"),
    description=N_("Customer lifetime value (BG/NBD and Gamma-Gamma), P(alive) and RFM segments."),
    requires=("payvand>=0.1",),
)


@hookimpl
def payvand_permissions() -> list[PermissionSpec]:
    """The analytics permissions (see `permissions.py`)."""
    return list(perm.PERMISSIONS)
