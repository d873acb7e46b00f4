"""The core's deployment settings, changed on the admin settings page (defaults from configuration)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, g

from payvand.core.contracts import SettingSpec

COMPANY_NAME = "core.company_name"
DEFAULT_LOCALE = "core.default_locale"
CURRENCY = "core.currency"
MONEY_DISPLAY = "core.money_display"
TIMEZONE = "core.timezone"
PHONE_REGION = "core.phone_region"

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
