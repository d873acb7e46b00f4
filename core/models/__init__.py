"""The kernel's SQLAlchemy models."""

from payvand.core.models.auth import ApiToken, Permission, Role, RolePermission, User, user_role
from payvand.core.models.chat import ChatConversation
from payvand.core.models.customer import (
    Customer,
    CustomerAddress,
    CustomerConsent,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    CustomerTag,
    LifecycleStage,
)
from payvand.core.models.idempotency import IdempotencyKey
from payvand.core.models.interaction import CORE_CHANNELS, Direction, Interaction
from payvand.core.models.message import Message, MessageAttachment, MessageReceipt, Suppression
from payvand.core.models.system import AuditLog, CustomerMerge, OutboxEvent, PluginState, Setting
from payvand.core.models.web import ImportJob, WebSession

__all__ = [
    "ApiToken", "AuditLog", "CORE_CHANNELS", "ChatConversation", "Customer", "CustomerAddress", "CustomerConsent",
    "CustomerEmail", "CustomerKind", "CustomerMerge", "CustomerPhone", "CustomerTag", "Direction",
    "IdempotencyKey", "ImportJob", "Interaction", "LifecycleStage", "Message", "MessageAttachment",
    "MessageReceipt", "OutboxEvent", "Permission", "PluginState", "Role",
    "RolePermission", "Setting", "Suppression", "User", "WebSession", "user_role",
]
