"""payvand.plugins.sales: leads, scoring, pipeline, catalog, quotes, online orders and invoices.

Built as a third party would build it: it imports only `payvand.sdk` and talks to the core
and to other plugins through hooks. Layout: `models.py` (tables), `permissions.py`,
`pricing.py` (exact money), `services/` (rules per area), `api/` (`/api/v1/sales/...`),
`views/` (staff pages) and `templates/sales/`. This module holds the metadata and every
hook implementation; each delegates to its area. The hooks the plugin offers others are in
`hookspecs.py`, the events it emits in `events.py`, its configuration keys in `config.py`.
What it does and leaves: docs/dev/status.md.
"""

from __future__ import annotations

from typing import Any

from payvand.plugins.sales import models  # noqa: F401 - the plugin's tables, for its migrations
from payvand.plugins.sales import permissions as perm
from payvand.sdk import N_, Actor, NavItem, PermissionSpec, PluginMeta, hookimpl, lazy_gettext

meta = PluginMeta(
    name="sales",
    version="0.1.0",
    title=N_("Sales"),
    description=N_("Leads and scoring, pipelines and deals, catalog and price lists, quotes, orders and invoices."),
    requires=("payvand>=0.1",),
    hookspecs="payvand.plugins.sales.hookspecs",  # payvand_lead_score, payvand_catalogs, payvand_invoice_views
)


@hookimpl
def payvand_permissions() -> list[PermissionSpec]:
    """The sales permissions (see `permissions.py`)."""
    return list(perm.PERMISSIONS)


@hookimpl
def payvand_record_rules() -> list[Any]:
    """Who sees which leads, deals, activities, quotes, orders, invoices and payments (`services/rules.py`)."""
    from payvand.plugins.sales.services.rules import RECORD_RULES

    return list(RECORD_RULES)


@hookimpl
def payvand_interaction_kinds() -> list[Any]:
    """Labels and translated summaries of the sales interactions on the timeline (`timeline.py`)."""
    from payvand.plugins.sales.timeline import KINDS

    return list(KINDS)


@hookimpl
def payvand_blueprints() -> list[Any]:
    """The API (`/api/v1/sales/...`) and the staff pages."""
    from payvand.plugins.sales.api import blp
    from payvand.plugins.sales.views import bp

    return [blp, bp]


@hookimpl
def payvand_nav_items() -> list[NavItem]:
    """Menu entries; an entry whose page is not built yet is left out by the core."""
    sales = {"group": "sales", "group_label": lazy_gettext("Sales")}
    return [
        NavItem(lazy_gettext("Leads"), "sales.leads", perm.LEAD_VIEW, order=40, **sales),
        NavItem(lazy_gettext("Deals"), "sales.board", perm.DEAL_VIEW, order=41, **sales),
        NavItem(lazy_gettext("Activities"), "sales.activities", perm.DEAL_VIEW, order=42, **sales),
        NavItem(lazy_gettext("Calendar"), "sales.calendar", perm.DEAL_VIEW, order=43, **sales),
        NavItem(lazy_gettext("Forecast"), "sales.forecast", perm.DEAL_VIEW, order=44, **sales),
        NavItem(lazy_gettext("Products"), "sales.products", perm.CATALOG_VIEW, order=45, **sales),
        NavItem(lazy_gettext("Quotes"), "sales.quotes", perm.DOCUMENT_VIEW, order=46, **sales),
        NavItem(lazy_gettext("Orders"), "sales.orders", perm.DOCUMENT_VIEW, order=47, **sales),
        NavItem(lazy_gettext("Invoices"), "sales.invoices", perm.DOCUMENT_VIEW, order=48, **sales),
        NavItem(lazy_gettext("Sales reports"), "sales.reports_page", perm.REPORTS_VIEW, order=49, **sales),
    ]


@hookimpl
def payvand_customer_panels(customer: Any, actor: Actor) -> Any:
    """Open deals, last orders and the balance due; the customer's open activities (customer 360 page)."""
    from payvand.plugins.sales.services.panel import customer_panel
    from payvand.plugins.sales.views.activities import customer_activities_panel

    return [panel for panel in (customer_panel(customer, actor), customer_activities_panel(customer, actor)) if panel]


@hookimpl
def payvand_dashboard_widgets(actor: Actor, purpose: str) -> Any:
    """This month's revenue, and the user's overdue and due-today activities, on the start page;
    revenue, average order value and the pipeline by stage on the KPI dashboard."""
    if purpose == "kpi":
        from payvand.plugins.sales.services.kpis import widgets

        return widgets(actor)
    from payvand.plugins.sales.services.activities import reminders_widget
    from payvand.plugins.sales.views.reports import dashboard_widget

    return [widget for widget in (dashboard_widget(actor), reminders_widget(actor)) if widget]


@hookimpl
def payvand_cli() -> list[Any]:
    """`payvand sales ...` (see `cli.py`)."""
    from payvand.plugins.sales.cli import sales_cli

    return [sales_cli]


@hookimpl
def payvand_settings() -> list[Any]:
    """The sales settings: VAT rate, fiscal calendar, invoice due days, lead-form framing."""
    from payvand.plugins.sales.services import documents
    from payvand.plugins.sales.views.leads import settings_specs

    return [*documents.SETTINGS, *settings_specs()]


@hookimpl
def payvand_event_types() -> list[Any]:
    """The events the plugin emits: orders placed, deals won and lost, quotes, invoices (`events.py`)."""
    from payvand.plugins.sales.events import EVENT_TYPES

    return list(EVENT_TYPES)


@hookimpl
def payvand_subscriptions() -> list[Any]:
    """Its own `sales.quote_sent`: the quote's email goes out after the send is committed (`quote_mail.py`);
    the service plugin's `service.return_refunded` (the refund on the invoice, the returned quantities)
    and `service.return_replaced` (a replacement order at no charge), `services/returns.py`."""
    from payvand.plugins.sales.services import returns
    from payvand.plugins.sales.services.quote_mail import SUBSCRIPTION

    return [SUBSCRIPTION, returns.SUBSCRIPTION, returns.REPLACEMENT]


@hookimpl
def payvand_config_keys() -> list[Any]:
    """The lead form's limits, the lead-import and attachment sizes (`config.py`)."""
    from payvand.plugins.sales.config import CONFIG_KEYS

    return list(CONFIG_KEYS)


@hookimpl
def payvand_jobs() -> list[Any]:
    """Nightly lead-score recompute, activity reminders and the daily expiry of quotes."""
    from payvand.plugins.sales.services import activities, documents, scoring

    return [*scoring.jobs(), *activities.jobs(), *documents.jobs()]


@hookimpl
def payvand_customer_merge(target: Any, source: Any) -> list[Any]:
    """Move the source customer's sales rows (leads, deals, quotes, orders, invoices) to the target."""
    from payvand.plugins.sales.services import documents, leads, pipeline

    return [*leads.merge_customer(target, source), *pipeline.merge_customer(target, source),
            *documents.merge_customer(target, source)]


@hookimpl
def payvand_customer_export(customer: Any, actor: Actor) -> dict[str, Any] | None:
    """The customer's sales data for a data-portability export: only what `actor` may see (`services/rules.py`)."""
    from payvand.plugins.sales.schemas import LeadOut
    from payvand.plugins.sales.services import documents, leads, pipeline

    found = leads.customer_leads(customer, actor)
    return {**({"leads": LeadOut(many=True).dump(found)} if found else {}),
            **(pipeline.export_customer(customer, actor) or {}), **documents.customer_export(customer, actor)}


@hookimpl
def payvand_customer_erase(customer: Any) -> dict[str, list[int]]:
    """Blank personal data and free text in the customer's sales rows — leads converted into it or sharing
    its emails or phones, deals, activities, quotes, orders, invoices, payments — keeping amounts and dates;
    return the records erased, whose audit values the kernel then scrubs."""
    from payvand.plugins.sales.models import Lead
    from payvand.plugins.sales.services import documents, leads, pipeline

    lead_ids = leads.erase_customer(customer)
    return {Lead.__tablename__: lead_ids, **pipeline.erase_customer(customer, lead_ids),
            **documents.customer_erase(customer)}


@hookimpl
def payvand_purchase_facts() -> Any:
    """Order lines of orders that were not cancelled or returned, for analytics."""
    from payvand.plugins.sales.services import documents

    return documents.purchase_facts()


@hookimpl
def payvand_product_facts() -> Any:
    """The catalog's products (name, category, active), for analytics' recommendations."""
    from payvand.plugins.sales.services import orders

    return orders.product_facts()


@hookimpl
def payvand_lead_facts() -> Any:
    """Every lead (open, converted or lost), with the customer it became, for the analytics funnel."""
    import sqlalchemy as sa

    from payvand.plugins.sales.models import Lead

    return sa.select(Lead.id.label("lead_id"), Lead.customer_id.label("customer_id"),
                     Lead.created_at.label("created_at"), Lead.converted_at.label("converted_at"))


@hookimpl
def payvand_customer_keys() -> Any:
    """The customers' ids in outside systems the order import recorded (`sales_customer_key`),
    so the customer import can name a referrer by one."""
    import sqlalchemy as sa

    from payvand.plugins.sales.models import CustomerKey

    return sa.select(CustomerKey.external_id.label("external_id"), CustomerKey.customer_id.label("customer_id"))


@hookimpl
def payvand_demo_data(seed: int) -> dict[str, int] | None:
    """Demo products, leads, deals, quotes, orders and invoices for `payvand demo`."""
    from payvand.plugins.sales.demo import load_sales_demo

    return load_sales_demo(seed=seed) or None


@hookimpl
def payvand_bot_answerers() -> list[Any]:
    """"Where is my order" for the web chat's FAQ bot (`bot.py`)."""
    from payvand.plugins.sales.bot import ANSWERERS

    return list(ANSWERERS)


@hookimpl
def payvand_returnable_items(customer_id: int) -> list[Any]:
    """The lines of the customer's paid, shipped or delivered orders, for the service plugin's returns."""
    from payvand.plugins.sales.services.returns import returnable_items

    return returnable_items(customer_id)
