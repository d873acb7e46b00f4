"""Value types that hooks exchange with the core; re-exported by `payvand.sdk`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Literal

FieldType = Literal["string", "text", "integer", "decimal", "boolean", "date", "choice"]


@dataclasses.dataclass(frozen=True)
class PluginMeta:
    """What a plugin says about itself; every plugin module exposes one as `meta`.

    `requires` names other plugins (optionally `name>=version`) that must be enabled first.
    """

    name: str
    version: str
    title: str = ""
    description: str = ""
    requires: Sequence[str] = ()


@dataclasses.dataclass(frozen=True)
class PermissionSpec:
    """A permission a plugin declares: `<plugin>.<thing>.<action>` with a human description."""

    name: str
    description: str = ""


@dataclasses.dataclass(frozen=True)
class CustomerField:
    """A custom field on customers, stored in `Customer.attributes[name]`.

    Names must start with the declaring plugin's name and a dot (`sales.segment`), so two
    plugins never collide.
    """

    name: str
    type: FieldType = "string"
    label: str = ""
    required: bool = False
    choices: Sequence[str] = ()
    max_length: int = 500
    description: str = ""


@dataclasses.dataclass(frozen=True)
class NavItem:
    """An entry in the staff navigation; shown only to users holding `permission`.

    Entries sharing a `group` go into one drop-down menu of the menu bar, titled `group_label`
    (the first entry's that has one); a plugin with many pages groups them so the bar stays
    short. Without a group the entry sits on the bar itself.
    """

    label: str
    endpoint: str
    permission: str | None = None
    icon: str | None = None
    order: int = 100
    group: str | None = None
    group_label: str | None = None


@dataclasses.dataclass(frozen=True)
class Panel:
    """A section of the customer 360 page; `html` is trusted markup rendered by the plugin."""

    title: str
    html: str
    order: int = 100
    key: str = ""


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """A scheduled job: `func()` runs every `every_seconds` inside a fresh current session."""

    name: str
    func: Callable[[], Any]
    every_seconds: int
    description: str = ""


@dataclasses.dataclass(frozen=True)
class ChannelSpec:
    """A communication channel (e.g. `telegram`) interactions may use."""

    name: str
    label: str


@dataclasses.dataclass(frozen=True)
class InteractionKind:
    """How the timeline shows an interaction kind a plugin records (e.g. `sales.quote_expired`).

    `label` names the kind in the reader's language (a `lazy_gettext` string). `summary`, when
    given, is shown instead of the summary stored on the row, translated when the page renders:
    either a translatable template (`lazy_gettext("Quote %(number)s expired")`) whose
    `%(name)s` placeholders are filled from the interaction's `payload` (each value isolated
    with FSI…PDI so mixed-script names keep their order), or a callable taking the payload and
    returning the text (or None). When a placeholder is missing from the payload, or the
    callable returns None, the stored summary is shown. Store codes and parameters in the
    payload, never a sentence in one language.
    """

    name: str
    label: Any
    summary: Any = None


@dataclasses.dataclass(frozen=True)
class SettingSpec:
    """A deployment setting a plugin declares, with its default."""

    key: str
    default: Any
    label: str = ""
    description: str = ""


@dataclasses.dataclass(frozen=True)
class MovedRows:
    """Rows a plugin re-pointed from the merged-away customer to the surviving one.

    The core undoes a merge by setting `column` back to the source customer for `ids`.
    """

    table: str
    column: str
    ids: Sequence[int]
    key: str = "id"


@dataclasses.dataclass(frozen=True)
class RecordRule:
    """Which rows of `model` an actor may see, declared once and applied by the kernel.

    `clause(actor)` returns a SQL condition on `model`'s columns (e.g.
    `Lead.owner_id == actor.user_id`), or None when this rule does not narrow what that actor
    sees. An actor holding `bypass` (e.g. `sales.manage`; a tuple names several, any one
    suffices) skips the rule; the system skips every rule. `applies_to` names the actor kinds the rule is for: rules for `user`/`token`
    actors narrow what staff see (a model without one is open to staff with the route's
    permission); for a `customer` actor a model is closed unless a rule applies to customers
    (the portal declares `customer_id == actor.customer_id`). The rules applying to one actor
    are combined with AND. `name` (`<plugin>.<rule>`) and `description` document the rule
    (the admin guide and `payvand plugins rules` list them).
    """

    name: str
    model: type
    clause: Callable[[Any], Any]
    bypass: str | tuple[str, ...] | None = None
    applies_to: frozenset[str] = frozenset({"user", "token"})
    description: str = ""

