"""Admin: the deployment's settings — the core's (company, language, money, time zone, phones)
and those the enabled plugins declare through `payvand_settings`.

Values are stored in `Setting` rows with an audit entry per changed key; the layout reads them
on every request (`i18n.site_settings()`), so a change takes effect on the next page.
"""

from __future__ import annotations

import decimal
import functools
import zoneinfo
from collections.abc import Mapping
from typing import Any

import phonenumbers
from babel.numbers import list_currencies
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates

from payvand.core import audit
from payvand.core import permissions as perm
from payvand.core import settings as core_settings
from payvand.core.contracts import SettingSpec
from payvand.core.db import current_session
from payvand.core.services import admin
from payvand.core.web.access import staff_required, staff_user
from payvand.core.web.forms import FormResult, parse_form
from payvand.core.web.i18n import format_number

bp = Blueprint("admin_settings", __name__)

#: Form field name -> setting key, for the core's settings (in the order of the form).
CORE_FIELDS: dict[str, str] = {
    "company_name": core_settings.COMPANY_NAME,
    "default_locale": core_settings.DEFAULT_LOCALE,
    "currency": core_settings.CURRENCY,
    "money_display": core_settings.MONEY_DISPLAY,
    "timezone": core_settings.TIMEZONE,
    "phone_region": core_settings.PHONE_REGION,
}
CORE_LABELS = {
    "company_name": (_l("Company name"), _l("Shown in the header and on printed pages.")),
    "default_locale": (_l("Default language"), _l("For users who have not chosen one.")),
    "currency": (_l("Currency"), _l("ISO 4217 code of amounts entered without one, e.g. IRR.")),
    "money_display": (_l("Show Iranian rials as"), _l("Rials, or tomans (a tenth of a rial).")),
    "timezone": (_l("Time zone"), _l("Dates and times are shown in it, e.g. Asia/Tehran.")),
    "phone_region": (_l("Phone region"),
                     _l("Country whose local numbers (09...) are accepted without a country code, e.g. IR.")),
}
MONEY_LABELS = {"rial": _l("Rial"), "toman": _l("Toman")}


@functools.lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """Every IANA time zone name zoneinfo knows."""
    return frozenset(zoneinfo.available_timezones())


@functools.lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """Every ISO 4217 currency code Babel knows."""
    return frozenset(list_currencies())


class CoreSettingsForm(Schema):
    """The core's settings as the form submits them."""

    company_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    default_locale = fields.String(required=True, validate=validate.OneOf(list(core_settings.LOCALES)))
    currency = fields.String(required=True)
    money_display = fields.String(required=True, validate=validate.OneOf(list(core_settings.MONEY_DISPLAYS)))
    timezone = fields.String(required=True)
    phone_region = fields.String(required=True)

    @pre_load
    def _upper_codes(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        values = dict(data)
        for name in ("currency", "phone_region"):
            if isinstance(values.get(name), str):
                values[name] = values[name].strip().upper()
        return values

    @validates("currency")
    def _currency(self, value: str, **kwargs: Any) -> None:
        if value not in currencies():
            raise ValidationError(_("Not an ISO 4217 currency code (e.g. IRR, USD, EUR)."))

    @validates("timezone")
    def _timezone(self, value: str, **kwargs: Any) -> None:
        if value not in time_zones():
            raise ValidationError(_("Not a known time zone; use a name such as Asia/Tehran or Europe/Berlin."))

    @validates("phone_region")
    def _phone_region(self, value: str, **kwargs: Any) -> None:
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationError(_("Not a supported phone region; use a two-letter country code such as IR or DE."))


def _plugin_field(spec: SettingSpec) -> fields.Field:
    """A text input for a plugin's setting, loaded as the type of its default."""
    default = spec.default
    if isinstance(default, bool):
        return fields.Boolean(data_key=spec.key, load_default=None,
                              truthy={"true", "1", "yes", "on"}, falsy={"false", "0", "no", "off"})
    if isinstance(default, int):
        return fields.Integer(data_key=spec.key, load_default=None, strict=False)
    if isinstance(default, (float, decimal.Decimal)):
        return fields.Float(data_key=spec.key, load_default=None) if isinstance(default, float) \
            else fields.Decimal(data_key=spec.key, load_default=None, as_string=True)
    return fields.String(data_key=spec.key, load_default=None, validate=validate.Length(max=2000))


def settings_schema(plugin_specs: list[tuple[str, SettingSpec]]) -> Schema:
    """The form's schema: the core's fields plus one per plugin setting (named by its key)."""
    extra = {f"plugin_{i}": _plugin_field(spec) for i, (_plugin, spec) in enumerate(plugin_specs)}
    return type("SettingsForm", (CoreSettingsForm,), extra)()


def plugin_settings() -> list[tuple[str, SettingSpec]]:
    """(plugin, spec) for every setting the active plugins declare, by plugin then key."""
    return current_app.extensions["payvand"].plugin_settings()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _render(form: FormResult, specs: list[tuple[str, SettingSpec]], status: int = 200) -> Any:
    groups: dict[str, list[SettingSpec]] = {}
    for plugin, spec in specs:
        groups.setdefault(plugin, []).append(spec)
    installed = current_app.extensions["payvand"].plugins.installed
    titles = {name: plugin.meta.title for name in groups
              if (plugin := installed.get(name)) is not None and plugin.meta is not None and plugin.meta.title}
    return render_template(
        "admin/settings.html", form=form, labels=CORE_LABELS, plugin_groups=groups, plugin_titles=titles,
        locales=list(core_settings.LOCALES.items()),
        money_displays=[(key, MONEY_LABELS[key]) for key in core_settings.MONEY_DISPLAYS],
    ), status


@bp.route("/admin/settings", methods=["GET", "POST"])
@staff_required(perm.SETTINGS_MANAGE)
def index() -> Any:
    """Show the settings; on POST validate, store the changed ones (audited) and redirect."""
    runtime = current_app.extensions["payvand"]
    session = current_session()
    specs = plugin_settings()
    keys = list(CORE_FIELDS.values()) + [spec.key for _plugin, spec in specs]
    current = runtime.settings_values(session, keys)
    stored_values = {name: _text(current.get(key)) for name, key in CORE_FIELDS.items()}
    stored_values.update({spec.key: _text(current.get(spec.key)) for _plugin, spec in specs})

    if request.method == "GET":
        return _render(FormResult.empty(stored_values), specs)

    form = parse_form(settings_schema(specs))
    if not form.ok:
        return _render(form, specs, 422)
    new_values = {key: form.data[name] for name, key in CORE_FIELDS.items()}
    for i, (_plugin, spec) in enumerate(specs):
        value = form.data.get(f"plugin_{i}")
        if isinstance(value, str):
            value = value.replace("\r\n", "\n")  # a text area's line breaks, as the default writes them
        new_values[spec.key] = spec.default if value is None else value
    user = staff_user()
    changed = admin.save_settings(session, user if user is not None else audit.SYSTEM, new_values, current)
    session.commit()
    if changed:
        flash(_("Settings saved: %(count)s changed.", count=format_number(len(changed))), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("admin_settings.index"))
