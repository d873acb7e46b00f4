"""The staff navigation: the core's entries plus those plugins give through `payvand_nav_items`."""

from __future__ import annotations

import dataclasses
import logging

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from payvand.core import permissions as perm
from payvand.core.actor import Actor
from payvand.core.contracts import NavItem

log = logging.getLogger(__name__)

ADMIN_GROUP = "admin"

CORE_NAV: tuple[NavItem, ...] = (
    NavItem(_l("Customers"), "customers.index", perm.CUSTOMER_VIEW, icon="people", order=10),
    NavItem(_l("Duplicates"), "duplicates.index", perm.CUSTOMER_MERGE, icon="intersect", order=20),
    NavItem(_l("Import"), "imports.index", perm.CUSTOMER_IMPORT, icon="upload", order=30),
    NavItem(_l("Chat"), "chat.index", perm.MESSAGES_READ, icon="chat-dots", order=40),
    NavItem(_l("Evaluation"), "evaluation.index", perm.EVALUATION_VIEW, icon="clipboard-data", order=50),
    NavItem(_l("Plugins"), "admin_plugins.index", perm.PLUGINS_VIEW, order=910, group=ADMIN_GROUP),
    NavItem(_l("Users"), "admin_users.users", perm.USERS_MANAGE, order=920, group=ADMIN_GROUP),
    NavItem(_l("Roles"), "admin_users.roles", perm.USERS_MANAGE, order=930, group=ADMIN_GROUP),
    NavItem(_l("API tokens"), "admin_tokens.index", perm.USERS_MANAGE, order=940, group=ADMIN_GROUP),
    NavItem(_l("Audit log"), "admin_audit.index", perm.AUDIT_VIEW, order=950, group=ADMIN_GROUP),
    NavItem(_l("Settings"), "admin_settings.index", perm.SETTINGS_MANAGE, order=960, group=ADMIN_GROUP),
    NavItem(_l("Channels"), "messages.channels", perm.CHANNELS_MANAGE, order=970, group=ADMIN_GROUP),
)


@dataclasses.dataclass(frozen=True)
class NavLink:
    """A navigation entry ready to render."""

    label: str
    url: str
    endpoint: str
    icon: str | None
    group: str | None
    group_label: str | None = None


@dataclasses.dataclass(frozen=True)
class NavGroup:
    """A drop-down menu of the menu bar: its title and entries."""

    key: str
    label: str
    links: list[NavLink]

    def holds(self, endpoint: str | None) -> bool:
        """True when `endpoint` belongs to one of the group's pages' blueprints (to mark it active)."""
        blueprint = (endpoint or "").split(".")[0]
        return any(link.endpoint.split(".")[0] == blueprint for link in self.links)


def nav_groups(links: list[NavLink]) -> list[NavGroup]:
    """The grouped entries (not the admin menu) as drop-downs, in the order of their first entry."""
    groups: dict[str, NavGroup] = {}
    for link in links:
        if link.group is None or link.group == ADMIN_GROUP:
            continue
        group = groups.get(link.group)
        if group is None:
            group = groups[link.group] = NavGroup(link.group, link.group_label or link.group.title(), [])
        elif link.group_label and group.label == link.group.title():
            group = groups[link.group] = NavGroup(group.key, link.group_label, group.links)
        group.links.append(link)
    return list(groups.values())


def nav_links(actor: Actor) -> list[NavLink]:
    """The entries `actor` may see with their URLs; entries whose route is missing are skipped."""
    runtime = current_app.extensions["payvand"]
    visible = [item for item in CORE_NAV if item.permission is None or actor.can(item.permission)]
    visible += runtime.nav_items(actor)
    links = []
    for item in sorted(visible, key=lambda item: (item.order, str(item.label))):
        try:
            url = url_for(item.endpoint)
        except BuildError:
            log.debug("navigation entry %s points at the unknown endpoint %s", item.label, item.endpoint)
            continue
        links.append(NavLink(str(item.label), url, item.endpoint, item.icon, item.group,
                             str(item.group_label) if item.group_label else None))
    return links
