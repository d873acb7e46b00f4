"""The Channels page's settings form of one channel, built from what the channel declares.

`form_schema(channel)` is the marshmallow schema (the on/off switch, a field per declared
setting by its type, a `clear_<name>` box per secret); `required_missing` lists the required
settings a switched-on channel would be left without. Messages never contain a value.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from payvand.core.messaging.channel_settings import ChannelState
from payvand.core.messaging.contract import MessageChannel

if TYPE_CHECKING:
    from marshmallow import Schema


def check_url(value: str, schemes: Iterable[str]) -> str | None:
    """A problem with `value` as a URL of one of `schemes` (http/https when none), else None."""
    allowed = tuple(schemes) or ("http", "https")
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in allowed or not parts.netloc or not parts.hostname:
        return "a URL such as %s://host/..." % allowed[0]  # noqa: UP031 - not translated here
    return None


def form_schema(channel: MessageChannel) -> Schema:
    """The marshmallow schema of `channel`'s settings form: the switch, each declared setting
    (by its type), and a `clear_<name>` box per secret."""
    from flask_babel import lazy_gettext as _l
    from marshmallow import Schema, ValidationError, fields, validate

    truthy, falsy = {"1", "true", "on", "yes"}, {"0", "false", "off", "no", ""}

    def url_check(schemes: tuple[str, ...]) -> Any:
        def check(value: str) -> None:
            if value and check_url(value, schemes) is not None:
                raise ValidationError(str(_l("Enter a URL starting with %(schemes)s.",
                                             schemes=", ".join(f"{s}://" for s in (schemes or ("http", "https"))))))
        return check

    attrs: dict[str, fields.Field] = {
        "switched_on": fields.Boolean(load_default=False, truthy=truthy, falsy=falsy)}
    for field in channel.settings_fields:
        checks: list[Any] = [validate.Length(max=field.max_length)]
        if field.choices:
            checks.append(validate.OneOf(field.choices))
        if field.type == "bool":
            attrs[field.name] = fields.Boolean(load_default=False, truthy=truthy, falsy=falsy)
        elif field.type == "int":
            attrs[field.name] = fields.Integer(load_default=None, allow_none=True, strict=False,
                                               validate=validate.Range(min=0, max=10**9))
        else:
            if field.type == "url" or field.schemes:
                checks.append(url_check(field.schemes))
            attrs[field.name] = fields.String(load_default=None, allow_none=True, validate=checks)
            if field.type == "secret":
                attrs[f"clear_{field.name}"] = fields.Boolean(load_default=False, truthy=truthy, falsy=falsy)
    return type(f"{channel.name.title()}ChannelSettingsForm", (Schema,), attrs)()


def required_missing(state: ChannelState, data: Mapping[str, Any]) -> list[str]:
    """The required settings a switched-on channel would be left without by `data` (a loaded form)."""
    if not data.get("switched_on"):
        return []
    missing = []
    for name, item in state.settings.items():
        if not item.field.required or item.source == "environment":
            continue
        if item.field.type == "secret":
            kept = item.source == "stored" and not data.get(f"clear_{name}")
            if not kept and data.get(name) in (None, ""):
                missing.append(name)
        elif data.get(name) in (None, ""):
            missing.append(name)
    return missing


def secret_fields(channel: MessageChannel) -> list[str]:
    """The names of `channel`'s secret settings (and their clear boxes are `clear_<name>`)."""
    return [field.name for field in channel.settings_fields if field.type == "secret"]
