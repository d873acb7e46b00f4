"""The analytics plugin's permissions (`analytics.<thing>.<action>`), declared through `payvand_permissions`."""

from __future__ import annotations

from payvand.sdk import N_, PermissionSpec

VIEW = "analytics.view"  # the analytics pages and the customer's analytics fields
DASHBOARD_MANAGE = "analytics.dashboard.manage"  # the shared default KPI dashboard
RUN = "analytics.run"  # run a refresh (CLV fit, RFM scoring) from the pages or the API
COSTS = "analytics.costs.edit"  # enter, import, change and delete marketing costs
TARGET = "analytics.target.save"  # save a ranked list of target customers as a customer tag

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(VIEW, N_("See analytics: lifetime value, RFM segments and model fit")),
    PermissionSpec(DASHBOARD_MANAGE, N_("Edit the shared default KPI dashboard")),
    PermissionSpec(RUN, N_("Run analytics refreshes (lifetime value fit, RFM scoring)")),
    PermissionSpec(COSTS, N_("Enter, import, change and delete marketing costs")),
    PermissionSpec(TARGET, N_("Save target customers (by profitability or social value) as a customer tag")),
)
