"""The core's deployment settings, changed on the admin settings page (defaults from configuration)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, g, has_request_context

from payvand.core.contracts import SettingSpec

COMPANY_NAME = "core.company_name"
DEFAULT_LOCALE = "core.default_locale"
CURRENCY = "core.currency"
MONEY_DISPLAY = "core.money_display"
TIMEZONE = "core.timezone"
PHONE_REGION = "core.phone_region"
#: The phone region when neither the setting nor the configuration gives one.
DEFAULT_PHONE_REGION = "IR"

LOCALES = {"fa": "فارسی", "en": "English"}
MONEY_DISPLAYS = ("rial", "toman")

#: Configuration key giving each setting's default, so `PAYVAND_*` still sets a deployment's start.
CONFIG_DEFAULTS = {
    DEFAULT_LOCALE: "PAYVAND_DEFAULT_LOCALE",
    CURRENCY: "PAYVAND_DEFAULT_CURRENCY",
    TIMEZONE: "PAYVAND_TIMEZONE",
    PHONE_REGION: "PAYVAND_PHONE_REGION",
}


def core_settings(config: Mapping[str, Any]) -> tuple[SettingSpec, ...]:
    """The core's settings with defaults taken from `config`."""
    return (
        SettingSpec(COMPANY_NAME, "Payvand", "Company name", "Shown in the header and on printed pages."),
        SettingSpec(DEFAULT_LOCALE, config.get("PAYVAND_DEFAULT_LOCALE", "fa"), "Default language",
                    "For users who have not chosen one."),
        SettingSpec(CURRENCY, config.get("PAYVAND_DEFAULT_CURRENCY", "IRR"), "Currency",
                    "ISO 4217 code of amounts entered without one."),
        SettingSpec(MONEY_DISPLAY, "rial", "Show Iranian rials as", "rial or toman (a tenth)."),
        SettingSpec(TIMEZONE, config.get("PAYVAND_TIMEZONE", "Asia/Tehran"), "Time zone",
                    "Dates and times are shown in it."),
        SettingSpec(PHONE_REGION, config.get("PAYVAND_PHONE_REGION", "IR"), "Phone region",
                    "Country whose local numbers (09...) are accepted without a country code."),
    )


SITE_KEYS = (COMPANY_NAME, DEFAULT_LOCALE, CURRENCY, MONEY_DISPLAY, TIMEZONE, PHONE_REGION)


def request_settings() -> dict[str, Any]:
    """The core settings for the current request, read once (one query) and kept on `g`."""
    found = g.get("payvand_site")
    if found is None:
        from payvand.core.db import current_session

        found = current_app.extensions["payvand"].settings_values(current_session(), SITE_KEYS)
        g.payvand_site = found
    return found


def phone_region(runtime: Any = None, session: Any = None) -> str:
    """The deployment's phone region, in which a phone typed without a country code is read.

    The one lookup (upper-case ISO code): the `core.phone_region` setting (admin settings
    page), else the `PAYVAND_PHONE_REGION` configuration, else "IR". In a request of the app it
    comes from the request's settings (`request_settings`, read once per request); elsewhere
    from `runtime` and `session` (a job, a CLI command, the SDK); with neither, "IR".
    """
    app_runtime = current_app.extensions.get("payvand") if has_request_context() else None
    config: Mapping[str, Any]
    if app_runtime is not None and runtime in (None, app_runtime):
        stored, config = request_settings().get(PHONE_REGION), current_app.config
    elif runtime is not None and session is not None:
        stored, config = runtime.setting(session, PHONE_REGION), runtime.config
    else:
        stored, config = None, {}
    return str(stored or config.get("PAYVAND_PHONE_REGION") or DEFAULT_PHONE_REGION).upper()
