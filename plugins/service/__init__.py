"""payvand.plugins.service: the help desk — tickets, routing, business hours and SLA.

Built as a third party would build it: it imports only `payvand.sdk` and talks to the core
and to other plugins through hooks (never importing sales: links to orders or products are
opaque references such as `sales.order:42`). Layout as in the sales plugin: `models.py`
(tables, own Alembic branch `service` and version table), `permissions.py`, `services/`
(tickets, routing, hours, sla, rules), `api/` (`/api/v1/service/...`), `views/` (staff pages)
and `templates/service/`. Messages in and out go through the messaging core:
`payvand_message_received` opens or threads tickets, replies go out with `send_message`.
"""

from __future__ import annotations

from typing import Any

from payvand.plugins.service import models  # noqa: F401 - the plugin's tables, for its migrations
from payvand.plugins.service import permissions as perm
from payvand.sdk import N_, Actor, NavItem, PermissionSpec, PluginMeta, SettingSpec, hookimpl, lazy_gettext

meta = PluginMeta(
    name="service",
    version="0.1.0",
    title=N_("Service"),
    description=N_("Help desk: tickets from email and staff entry, teams and routing, business hours and SLA."),
    requires=("payvand>=0.1",),
)


@hookimpl
def payvand_permissions() -> list[PermissionSpec]:
    """The service permissions (see `permissions.py`)."""
    return list(perm.PERMISSIONS)


@hookimpl
def payvand_record_rules() -> list[Any]:
    """Agents see their teams' tickets (`services/rules.py`)."""
    from payvand.plugins.service.services.rules import RECORD_RULES

    return list(RECORD_RULES)


@hookimpl
def payvand_interaction_kinds() -> list[Any]:
    """Timeline labels of tickets opened, solved and SLA breaches (`timeline.py`)."""
    from payvand.plugins.service.timeline import KINDS

    return list(KINDS)


@hookimpl
def payvand_blueprints() -> list[Any]:
    """The API (`/api/v1/service/...`) and the staff pages."""
    from payvand.plugins.service.api import blp
    from payvand.plugins.service.views import bp

    return [blp, bp]


@hookimpl
def payvand_nav_items() -> list[NavItem]:
    """Menu entries of the help desk."""
    group = {"group": "service", "group_label": lazy_gettext("Service")}
    return [
        NavItem(lazy_gettext("Tickets"), "service.tickets", perm.TICKET_VIEW, order=60, **group),
        NavItem(lazy_gettext("SLA achievement"), "service.sla_report", perm.TICKET_VIEW, order=61, **group),
        NavItem(lazy_gettext("Knowledge base"), "service.kb_search", perm.TICKET_VIEW, order=62, **group),
        NavItem(lazy_gettext("Service settings"), "service.settings_teams", perm.MANAGE, order=69, **group),
        NavItem(lazy_gettext("Live chat"), "service.live", perm.LIVE_CHAT, order=63, **group),
        NavItem(lazy_gettext("Bot resolution"), "service.bot_report", perm.TICKET_VIEW, order=64, **group),
        NavItem(lazy_gettext("Complaints"), "service.complaints_report", perm.TICKET_VIEW, order=63, **group),
        NavItem(lazy_gettext("Send NPS survey"), "service.nps_send", perm.NPS_SEND, order=65, **group),
    ]


@hookimpl
def payvand_settings() -> list[Any]:
    """`service.close_after_days` (solved tickets are closed this many days later) and
    `service.breach_actions` (what an SLA breach does)."""
    return [SettingSpec("service.close_after_days", 4, N_("Close solved tickets after (days)"),
                        N_("A solved ticket nobody answers is closed this many days after it was solved.")),
            SettingSpec("service.breach_actions", "raise_priority", N_("On an SLA breach"),
                        N_("Comma-separated: raise_priority (one step), reassign (the team's next available agent).")),
            SettingSpec("service.csat_enabled", True, N_("Satisfaction survey after solving"),
                        N_("Send a one-question rating (1-5) on the ticket's channel when a ticket is solved.")),
            *_bot_settings(), *_form_settings()]


def _bot_settings() -> list[Any]:
    from payvand.plugins.service.services.live import SETTINGS

    return list(SETTINGS)


def _form_settings() -> list[Any]:
    from payvand.plugins.service.views.public_form import setting_specs

    return setting_specs()


@hookimpl
def payvand_jobs() -> list[Any]:
    """Closing solved tickets (hourly) and the SLA check (every five minutes)."""
    from payvand.plugins.service.jobs import JOBS

    return list(JOBS)


@hookimpl
def payvand_message_received(messages: Any) -> None:
    """Customers' messages: the web chat's go to the FAQ bot (`services/bot.py`); the others thread
    replies into their tickets or open tickets for new conversations."""
    from payvand.plugins.service.services import bot
    from payvand.plugins.service.services.tickets import receive
    from payvand.sdk import session

    chat, others = bot.split(messages)
    bot.receive(session(), chat)
    receive(session(), others)


@hookimpl
def payvand_dashboard_widgets(actor: Actor, purpose: str) -> Any:
    """SLA achievement, CSAT and NPS on the KPI dashboard (nothing on the start page)."""
    if purpose != "kpi":
        return None
    from payvand.plugins.service.services.kpis import widgets

    return widgets(actor)


@hookimpl
def payvand_cli() -> list[Any]:
    """`payvand service ...` (see `cli.py`)."""
    from payvand.plugins.service.cli import service_cli

    return [service_cli]


@hookimpl
def payvand_demo_data(seed: int) -> dict[str, int] | None:
    """Demo teams, a calendar, SLA policies and tickets for `payvand demo`."""
    from payvand.plugins.service.demo import load_service_demo

    return load_service_demo(seed=seed) or None


@hookimpl
def payvand_customer_panels(customer: Any, actor: Actor) -> Any:
    """The customer's open tickets and their SLA state on the 360 page."""
    from payvand.plugins.service.views.tickets import customer_panel

    return customer_panel(customer, actor)


@hookimpl
def payvand_customer_merge(target: Any, source: Any) -> list[Any]:
    """Move the source customer's tickets to the target."""
    from payvand.plugins.service.services.privacy import merge_customer

    return merge_customer(target, source)


@hookimpl
def payvand_customer_export(customer: Any, actor: Actor) -> dict[str, Any] | None:
    """The customer's tickets the actor may see, with their public conversation."""
    from payvand.plugins.service.services.privacy import export_customer

    return export_customer(customer, actor)


@hookimpl
def payvand_customer_erase(customer: Any) -> dict[str, list[int]]:
    """Blank the customer's ticket subjects and texts, delete attachments; keep the tickets (counts)."""
    from payvand.plugins.service.services.privacy import erase_customer

    return erase_customer(customer)


@hookimpl
def payvand_event_types() -> list[Any]:
    """The return events (`events.py`): approved, refunded, replaced."""
    from payvand.plugins.service.events import EVENT_TYPES

    return list(EVENT_TYPES)


@hookimpl
def payvand_subscriptions() -> list[Any]:
    """The plugin's own `service.nps_send_requested`: NPS surveys go out after the request's commit."""
    from payvand.plugins.service.services.nps import send_requested
    from payvand.sdk import Subscription

    return [Subscription("service.nps_send_requested", send_requested)]


@hookimpl
def payvand_config_keys() -> list[Any]:
    """The public support form's limits (`views/public_form.py`)."""
    from payvand.plugins.service.views.public_form import CONFIG_KEYS

    return list(CONFIG_KEYS)


@hookimpl
def payvand_evaluation_programs() -> list[Any]:
    """CSAT (after solved tickets) and NPS (relationship survey), on the core's Evaluation report."""
    from payvand.plugins.service.services.evaluation import programs

    return programs()


@hookimpl
def payvand_service_facts() -> Any:
    """Every ticket as a `SERVICE_FACTS` row (analytics prices service per customer)."""
    from payvand.plugins.service.services.facts import service_facts

    return service_facts()
