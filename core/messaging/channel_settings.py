"""Channel settings: what staff set on the Channels page, merged with the environment, given to channels.

Each channel declares its settings (`MessageChannel.settings_fields`, `ChannelSetting`). A
value is stored in the core's `Setting` table under `channel.<channel>.<name>`, and whether
an administrator switched the channel off under `channel.<channel>.enabled`. The value a
channel uses is, in order: the deployment's configuration or environment (the setting's
`env` key, when set to something other than its declared default: shown "from environment",
read-only), the stored value, the default.

`apply_settings` gives each channel a configuration mapping holding those values under the
settings' keys (`configure`), but only when something changed; the runtime calls it whenever
the channels are asked for (re-reading the table at most every few seconds) and the
dispatcher forces a fresh read before each round of sending, so a saved value is used by the
next send in every process.

Secrets are write-only: the page shows "set"/"not set", the audit entry says "changed", and no
value leaves this module except to the channel.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections import ChainMap
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from payvand.core import audit
from payvand.core.messaging.contract import ChannelSetting, MessageChannel

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from payvand.core.actor import Actor

log = logging.getLogger(__name__)

PREFIX = "channel."
#: How long a process trusts the settings it read (seconds) before reading them again.
REFRESH_SECONDS = 5.0
#: What the audit log records for a secret that changed (never the value).
SECRET_CHANGED = "changed"

Source = Literal["environment", "stored", "default"]


def setting_key(channel: str, name: str) -> str:
    """The `Setting` key of a channel's setting (`channel.sms.kavenegar_api_key`)."""
    return f"{PREFIX}{channel}.{name}"


def enabled_key(channel: str) -> str:
    """The `Setting` key of a channel's on/off switch."""
    return f"{PREFIX}{channel}.enabled"


@dataclasses.dataclass(frozen=True)
class ResolvedSetting:
    """One setting of a channel as it stands: its value and where the value came from."""

    field: ChannelSetting
    key: str
    value: Any
    source: Source

    @property
    def is_set(self) -> bool:
        """Whether the setting has a non-empty value."""
        return self.value not in (None, "")

    def __repr__(self) -> str:  # never a secret's value
        shown = "***" if self.field.type == "secret" else repr(self.value)
        return f"ResolvedSetting({self.key}={shown}, source={self.source})"


@dataclasses.dataclass(frozen=True)
class ChannelState:
    """A channel's switch and settings as resolved from environment, stored values and defaults."""

    channel: str
    switched_on: bool
    settings: dict[str, ResolvedSetting]

    def values(self) -> dict[str, Any]:
        """Each setting's current value by name."""
        return {name: item.value for name, item in self.settings.items()}


def _declared_default(runtime: Any, key: str, field: ChannelSetting) -> Any:
    declared = runtime.config_keys().get(key)
    return declared[1].default if declared is not None else field.default


def environment_value(runtime: Any, key: str, field: ChannelSetting) -> tuple[bool, Any]:
    """(True, value) when the deployment sets `key` (environment variable, or configuration
    other than the key's declared default), else (False, None)."""
    config = runtime.config
    raw = os.environ.get(key)
    if raw not in (None, ""):
        value = config.get(key)
        return True, value if value not in (None, "") else raw
    value = config.get(key)
    if value in (None, "") or value == _declared_default(runtime, key, field):
        return False, None
    return True, value


def stored_settings(session: Session) -> dict[str, Any]:
    """Every stored channel setting (`channel.*`), key -> value, in one query."""
    from payvand.core.models import Setting

    rows = session.execute(sa.select(Setting.key, Setting.value).where(Setting.key.like(f"{PREFIX}%")))
    return {key: value for key, value in rows}


def resolve(runtime: Any, channel: MessageChannel, stored: Mapping[str, Any]) -> ChannelState:
    """`channel`'s switch and each declared setting: environment, else stored, else default."""
    settings: dict[str, ResolvedSetting] = {}
    for field in channel.settings_fields:
        key = field.config_key(channel.name)
        from_env, value = environment_value(runtime, key, field)
        if from_env:
            settings[field.name] = ResolvedSetting(field, key, value, "environment")
        elif stored.get(setting_key(channel.name, field.name)) not in (None, ""):
            settings[field.name] = ResolvedSetting(field, key, stored[setting_key(channel.name, field.name)], "stored")
        else:
            default = runtime.config.get(key, field.default)
            settings[field.name] = ResolvedSetting(field, key, field.default if default is None else default, "default")
    switch = stored.get(enabled_key(channel.name))
    return ChannelState(channel.name, switch is not False, settings)


def effective_config(runtime: Any, state: ChannelState) -> ChainMap[str, Any]:
    """The configuration a channel is given: its saved values (and values found only in the process
    environment) under their keys, over the app's configuration."""
    layer = {item.key: item.value for item in state.settings.values()
             if item.source == "stored" or (item.source == "environment" and item.key not in runtime.config)}
    return ChainMap(layer, runtime.config)


def saved_layer(channel: MessageChannel) -> Mapping[str, Any]:
    """The values saved on the Channels page that `channel` was last configured with, by configuration key."""
    return getattr(channel, "_payvand_saved_layer", {})


def mail_config(runtime: Any) -> Mapping[str, Any]:
    """The configuration the core's direct mail (`send_mail`: password resets, documents) uses: the
    SMTP server and sender saved for the `email` channel over the app's configuration."""
    channel = runtime.message_channels().get("email")
    layer = dict(saved_layer(channel)) if channel is not None else {}
    return ChainMap(layer, runtime.config) if layer else runtime.config


def _fingerprint(state: ChannelState) -> tuple[Any, ...]:
    return (state.switched_on, tuple((name, item.source, repr(item.value) if item.field.type != "secret"
                                      else hash(str(item.value))) for name, item in sorted(state.settings.items())))


def apply_settings(runtime: Any, channels: Mapping[str, MessageChannel], stored: Mapping[str, Any]) -> None:
    """Give each channel its switch, its current settings and — when they changed — a new `configure`."""
    for channel in channels.values():
        state = resolve(runtime, channel, stored)
        stamp = _fingerprint(state)
        if getattr(channel, "_payvand_settings_stamp", None) == stamp:
            continue
        channel.switched_on = state.switched_on
        channel.current_settings = MappingProxyType(state.values())
        config = effective_config(runtime, state)
        channel._payvand_saved_layer = config.maps[0]  # type: ignore[attr-defined]
        try:
            channel.configure(config)
        except Exception as exc:  # a channel that cannot read its settings is reported, not fatal
            log.warning("channel %s could not be configured: %s", channel.name, type(exc).__name__)
        channel._payvand_settings_stamp = stamp  # type: ignore[attr-defined]


def refresh(runtime: Any, channels: Mapping[str, MessageChannel], *, force: bool = False) -> None:
    """Re-read the stored settings (at most every `REFRESH_SECONDS` unless `force`) and apply them."""
    now = time.monotonic()
    last = getattr(runtime, "_channel_settings_read", None)
    seen = tuple(sorted(id(channel) for channel in channels.values()))
    if not force and last is not None and now - last[0] < REFRESH_SECONDS:
        if getattr(runtime, "_channel_settings_applied", None) != (last[0], seen):
            apply_settings(runtime, channels, last[1])  # channels seen for the first time get configured
            runtime._channel_settings_applied = (last[0], seen)
        return
    try:
        with runtime.sessionmaker() as session:
            stored = stored_settings(session)
    except SQLAlchemyError as exc:  # no tables yet (a fresh database): environment and defaults only
        log.debug("channel settings not read: %s", type(exc).__name__)
        stored = {}
    runtime._channel_settings_read = (now, stored)
    apply_settings(runtime, channels, stored)
    runtime._channel_settings_applied = (now, seen)


def forget_read(runtime: Any) -> None:
    """Make the next `refresh` read the table (after this process saved settings)."""
    runtime._channel_settings_read = None


# --------------------------------------------------------------------------- saving


def channel_state(session: Session, runtime: Any, channel: MessageChannel) -> ChannelState:
    """`channel`'s switch and settings as they stand now (read from `session`)."""
    return resolve(runtime, channel, stored_settings(session))


def save_channel_settings(session: Session, actor: Actor, runtime: Any, channel: MessageChannel,
                          switched_on: bool, values: Mapping[str, Any], clear: Iterable[str] = ()) -> list[str]:
    """Store `channel`'s switch and the given setting values (validated by the caller's schema),
    audited as `actor`; return the names that changed.

    A secret given empty keeps its stored value (the page never shows it back); naming it in
    `clear` removes it. A value the environment sets is not stored (it would have no effect).
    The audit entry holds non-secret values before and after, and "changed" for a secret.
    """
    from payvand.core.models import Setting

    state = channel_state(session, runtime, channel)
    stored = {row.key: row for row in session.scalars(
        sa.select(Setting).where(Setting.key.like(f"{PREFIX}{channel.name}.%")))}
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    changed: list[str] = []
    cleared = set(clear)

    def put(key: str, value: Any) -> None:
        row = stored.get(key)
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value

    if switched_on != state.switched_on:
        put(enabled_key(channel.name), switched_on)
        before["enabled"], after["enabled"] = state.switched_on, switched_on
        changed.append("enabled")
    for field in channel.settings_fields:
        current = state.settings[field.name]
        if current.source == "environment":
            continue
        row = stored.get(setting_key(channel.name, field.name))
        old = row.value if row is not None else None
        if field.type == "secret":
            if field.name in cleared:
                new = None
            else:
                given = values.get(field.name)
                if given in (None, ""):
                    continue
                new = given
            if new == old:
                continue
            put(setting_key(channel.name, field.name), new)
            before[field.name] = "set" if old not in (None, "") else "not set"
            after[field.name] = SECRET_CHANGED
        else:
            if field.name not in values:
                continue
            new = values[field.name]
            if new in ("", None):
                new = None
            if new == old or (row is None and new == current.value):
                continue  # unchanged, or the default left as it was: nothing to store
            put(setting_key(channel.name, field.name), new)
            before[field.name], after[field.name] = old, new
        changed.append(field.name)
    if changed:
        audit.record(session, actor, "update", "channel", channel.name, before=before, after=after)
    return changed
