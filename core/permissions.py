"""The core's permissions and the checks every route and service uses."""

from __future__ import annotations

from collections.abc import Iterable

from payvand.core.contracts import PermissionSpec

CUSTOMER_VIEW = "core.customer.view"
CUSTOMER_EDIT = "core.customer.edit"
CUSTOMER_DELETE = "core.customer.delete"
CUSTOMER_MERGE = "core.customer.merge"
CUSTOMER_EXPORT = "core.customer.export"
CUSTOMER_ERASE = "core.customer.erase"
CUSTOMER_IMPORT = "core.customer.import"
INTERACTION_VIEW = "core.interaction.view"
INTERACTION_CREATE = "core.interaction.create"
PLUGINS_VIEW = "core.plugins.view"
PLUGINS_MANAGE = "core.plugins.manage"
USERS_MANAGE = "core.users.manage"
AUDIT_VIEW = "core.audit.view"
SETTINGS_MANAGE = "core.settings.manage"
MESSAGES_READ = "core.messages.read"
MESSAGES_SEND = "core.messages.send"
CHANNELS_MANAGE = "core.channels.manage"
EVALUATION_VIEW = "core.evaluation.view"

CORE_PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(CUSTOMER_VIEW, "See customers and their profiles"),
    PermissionSpec(CUSTOMER_EDIT, "Create and change customers"),
    PermissionSpec(CUSTOMER_DELETE, "Delete customers"),
    PermissionSpec(CUSTOMER_MERGE, "Merge duplicate customers and undo merges"),
    PermissionSpec(CUSTOMER_EXPORT, "Export a customer's data or the customer list"),
    PermissionSpec(CUSTOMER_ERASE, "Erase (anonymise) a customer"),
    PermissionSpec(CUSTOMER_IMPORT, "Import customers from files"),
    PermissionSpec(INTERACTION_VIEW, "See customer timelines"),
    PermissionSpec(INTERACTION_CREATE, "Log calls, notes, meetings and messages"),
    PermissionSpec(PLUGINS_VIEW, "See installed plugins and their errors"),
    PermissionSpec(PLUGINS_MANAGE, "Enable and disable plugins"),
    PermissionSpec(USERS_MANAGE, "Manage users, roles and API tokens"),
    PermissionSpec(AUDIT_VIEW, "Read the audit log"),
    PermissionSpec(SETTINGS_MANAGE, "Change deployment settings"),
    PermissionSpec(MESSAGES_READ, "Open customers' messages in full (bodies, attachments)"),
    PermissionSpec(MESSAGES_SEND, "Send messages to customers (email, SMS, ...)"),
    PermissionSpec(CHANNELS_MANAGE, "See messaging channels, their errors, and send test messages"),
    PermissionSpec(EVALUATION_VIEW, "See the Evaluation report (each program also needs its own permission)"),
)


def scope_allows(scopes: Iterable[str], permission: str) -> bool:
    """True when a token's scopes cover `permission`.

    A scope is a permission name, a prefix wildcard (`core.customer.*`, `sales.*`) or `*`.
    """
    for scope in scopes:
        if scope == "*" or scope == permission:
            return True
        if scope.endswith(".*") and permission.startswith(scope[:-1]):
            return True
    return False
