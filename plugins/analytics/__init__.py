"""payvand.plugins.analytics: lifetime value (BG/NBD, Gamma-Gamma), RFM segments and recommendations.

Built as a third party would build it: it imports only `payvand.sdk` and reads other plugins'
data through data hooks that return SQLAlchemy selectables (`payvand_purchase_facts`,
`payvand_product_facts`) and answers `payvand_recommendations` for every other plugin.
Layout: `models.py` (snapshot tables), `permissions.py`, `services/` (`clv.py` the models in
numpy/scipy, `facts.py` the purchase facts, `runs.py` the stored runs, `rfm.py` scoring),
`cli.py` (`payvand analytics ...`), `views/` (staff pages) and `templates/analytics/`.
"""

from __future__ import annotations

from typing import Any

from payvand.plugins.analytics import models  # noqa: F401 - the plugin's tables, for its migrations
from payvand.plugins.analytics import permissions as perm
from payvand.sdk import N_, Actor, CustomerField, NavItem, PermissionSpec, PluginMeta, SettingSpec, hookimpl, lazy_gettext

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


@hookimpl
def payvand_cli() -> list[Any]:
    """`payvand analytics ...` (see `cli.py`)."""
    from payvand.plugins.analytics.cli import analytics_cli

    return [analytics_cli]


@hookimpl
def payvand_customer_fields() -> list[CustomerField]:
    """The figures analytics writes onto customers (for segments, templates and the 360 page)."""
    from payvand.plugins.analytics.services import lifetime, profit, rfm

    return [
        CustomerField(profit.FIELD_SOURCE_CHANNEL, "string", label=lazy_gettext("Acquisition channel"), max_length=64,
                      description=N_("The channel that won this customer (e.g. search, instagram): "
                                     "acquisition costs of that channel are spread over them")),
        CustomerField(profit.FIELD_SOURCE_CAMPAIGN, "string", label=lazy_gettext("Acquisition campaign"),
                      max_length=120,
                      description=N_("The campaign that won this customer: its acquisition costs are spread over them")),
        CustomerField(rfm.FIELD_SEGMENT, "choice", label=lazy_gettext("RFM segment"), choices=rfm.SEGMENTS,
                      choice_labels=rfm.SEGMENT_LABELS,
                      description=N_("Segment of the last RFM scoring (champions, loyal, at risk, ...)")),
        CustomerField(rfm.FIELD_SCORE, "string", label=lazy_gettext("RFM score"), max_length=3,
                      description=N_("Recency, frequency and monetary quintiles of the last RFM scoring, e.g. 545")),
        CustomerField(lifetime.FIELD_CLV, "decimal", label=lazy_gettext("Lifetime value (CLV)"),
                      description=N_("Expected discounted value over the horizon of the last lifetime-value run")),
        CustomerField(lifetime.FIELD_P_ALIVE, "decimal", label=lazy_gettext("Probability still active"),
                      description=N_("P(alive) from the BG/NBD model of the last lifetime-value run")),
        CustomerField(lifetime.FIELD_EXPECTED, "decimal", label=lazy_gettext("Expected purchases"),
                      description=N_("Expected purchases over the horizon of the last lifetime-value run")),
        CustomerField(lifetime.FIELD_NEXT, "date", label=lazy_gettext("Expected next purchase"),
                      description=N_("The day by which this customer has more likely than not bought again (empty "
                                     "when more likely gone), from the last lifetime-value run")),
    ]


@hookimpl
def payvand_settings() -> list[SettingSpec]:
    """Run retention (recent runs and months kept), profitability (margin rate, service cost per
    ticket and per hour) and social value (reach fields, weights of the parts, second-level damping)."""
    from payvand.plugins.analytics.services import profit, retention, social

    return [
        SettingSpec(retention.SETTING_RECENT, retention.DEFAULT_RECENT, N_("Recent runs kept"),
                    N_("How many of the newest runs of each analysis (RFM, lifetime value, ...) are kept with their "
                       "per-customer rows; older ones are deleted after the nightly refresh.")),
        SettingSpec(retention.SETTING_MONTHLY, retention.DEFAULT_MONTHLY, N_("Months with a kept run"),
                    N_("For how many past months the newest run of each month (Gregorian and Jalali) is also kept, "
                       "to compare with.")),
        SettingSpec(profit.SETTING_MARGIN, 0.3, N_("Margin rate"),
                    N_("Share of revenue kept as margin (0.3 = 30%), for customer profitability.")),
        SettingSpec(profit.SETTING_PER_TICKET, 0, N_("Service cost per ticket"),
                    N_("What one service ticket costs, in the main currency.")),
        SettingSpec(profit.SETTING_PER_HOUR, 0, N_("Service cost per hour"),
                    N_("What an hour of handling costs, for tickets that record their minutes.")),
        SettingSpec(social.SETTING_REACH_FIELDS, "", N_("More reach fields"),
                    N_("Comma-separated customer fields whose numbers also add up to a customer's reach (fields "
                       "ending in .followers or .reach always count).")),
        SettingSpec(social.SETTING_DAMPING, 0.5, N_("Second-level influence damping"),
                    N_("Share of the revenue of customers referred by those a customer referred that counts.")),
        *(SettingSpec(social.weight_key(part), social.DEFAULT_WEIGHTS[part], label, N_("Weight in the social score."))
          for part, label in (("referrals", N_("Weight of referrals")), ("reach", N_("Weight of reach")),
                              ("engagement", N_("Weight of engagement")), ("influence", N_("Weight of influence")))),
    ]


@hookimpl
def payvand_blueprints() -> list[Any]:
    """The API (`/api/v1/analytics/...`) and the staff pages."""
    from payvand.plugins.analytics.api import blp
    from payvand.plugins.analytics.views import bp

    return [blp, bp]


@hookimpl
def payvand_nav_items() -> list[NavItem]:
    """Menu entries, grouped under Analytics."""
    group = {"group": "analytics", "group_label": lazy_gettext("Analytics")}
    return [
        NavItem(lazy_gettext("KPI dashboard"), "analytics.dashboard_page", perm.VIEW, order=69, **group),
        NavItem(lazy_gettext("Lifetime value"), "analytics.clv_page", perm.VIEW, order=70, **group),
        NavItem(lazy_gettext("RFM segments"), "analytics.rfm_page", perm.VIEW, order=71, **group),
        NavItem(lazy_gettext("Cohort retention"), "analytics.cohorts_page", perm.VIEW, order=72, **group),
        NavItem(lazy_gettext("Customer cycle"), "analytics.cycle_page", perm.VIEW, order=73, **group),
        NavItem(lazy_gettext("Recommendations"), "analytics.recommendations_page", perm.VIEW, order=74, **group),
        NavItem(lazy_gettext("Costs and profitability"), "analytics.profit_page", perm.VIEW, order=75, **group),
        NavItem(lazy_gettext("Marketing costs"), "analytics.costs_page", perm.VIEW, order=76, **group),
        NavItem(lazy_gettext("Social value"), "analytics.social_page", perm.VIEW, order=77, **group),
    ]


@hookimpl
def payvand_customer_panels(customer: Any, actor: Actor) -> Any:
    """The customer's lifetime value, P(alive) and RFM segment from the last runs (customer 360 page)."""
    from payvand.plugins.analytics.views.panel import customer_panel

    return customer_panel(customer, actor)


@hookimpl
def payvand_dashboard_widgets(actor: Actor, purpose: str) -> Any:
    """The KPI dashboard's customer KPIs (acquired, active, retention, churn, lifetime value); nothing
    on the start page."""
    if purpose != "kpi" or not actor.can(perm.VIEW):
        return None
    from payvand.plugins.analytics.services import kpis

    return kpis.widgets(actor)


@hookimpl
def payvand_event_types() -> list[Any]:
    """`analytics.kpi_requested`: a shared KPI widget to compute in the background (`kpi_jobs.py`)."""
    from payvand.plugins.analytics.services.kpi_jobs import EVENT_TYPES

    return list(EVENT_TYPES)


@hookimpl
def payvand_subscriptions() -> list[Any]:
    """The plugin's own `analytics.kpi_requested`: dashboard figures are computed after the view's commit."""
    from payvand.plugins.analytics.services.kpi_jobs import EVENT, kpi_requested
    from payvand.sdk import Subscription

    return [Subscription(EVENT, kpi_requested)]


@hookimpl
def payvand_recommendations(customer_id: int, limit: int) -> list[Any] | None:
    """Products to suggest to a customer from the newest recommendations fit (a stored lookup)."""
    from payvand.plugins.analytics.services import recommend

    return recommend.for_customer(customer_id, limit) or None


@hookimpl
def payvand_jobs() -> list[Any]:
    """The nightly refresh (RFM, lifetime value, recommendations, cycle) and the KPI dashboard mail."""
    from payvand.plugins.analytics.services import dashboard_mail, refresh

    return [*refresh.jobs(), *dashboard_mail.jobs()]


@hookimpl(trylast=True)
def payvand_demo_data(seed: int) -> dict[str, int] | None:
    """Run the refresh over the demo's purchases (called after the sales demo: `trylast`)."""
    from payvand.plugins.analytics.services import refresh

    return refresh.demo(seed)
