"""Languages of the staff UI: Flask-Babel, the locale of each request, and formatting filters.

Persian (`fa`, right to left, Jalali dates, Persian digits) and English (`en`). The locale is
the user's choice (stored on the user), else the session's (before login), else the
deployment's default setting. Dates, numbers and money go through `core.locale_format`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from babel import support
from flask import Flask, current_app, session
from flask_babel import Babel, get_locale

from payvand.core import locale_format
from payvand.core import settings as core_settings
from payvand.core.normalize import to_persian_digits
from payvand.core.web.access import staff_user

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def site_settings() -> dict[str, Any]:
    """The core settings for this request (see `payvand.core.settings.request_settings`)."""
    return core_settings.request_settings()


def select_locale() -> str:
    """The request's locale: the user's, else the session's, else the deployment default."""
    user = staff_user()
    for candidate in (user.locale if user else None, session.get("locale"),
                      site_settings().get(core_settings.DEFAULT_LOCALE)):
        if candidate in core_settings.LOCALES:
            return str(candidate)
    return "fa"


def select_timezone() -> str:
    """The deployment's time zone."""
    return str(site_settings().get(core_settings.TIMEZONE) or "Asia/Tehran")


def current_locale() -> str:
    """The language code of this request (`fa` or `en`)."""
    return str(get_locale() or "fa")


def is_rtl() -> bool:
    """True when the page reads right to left."""
    return locale_format.direction(current_locale()) == "rtl"


def format_date(value: dt.date | dt.datetime | None, style: str = "medium") -> str:
    """A date in the request's locale and time zone (Jalali in `fa`); empty for None."""
    if value is None:
        return ""
    return locale_format.format_date(value, current_locale(), tz=select_timezone(), style=style)  # type: ignore[arg-type]


def format_datetime(value: dt.datetime | None, style: str = "medium") -> str:
    """A date and time in the request's locale and time zone; empty for None."""
    if value is None:
        return ""
    return locale_format.format_datetime(value, current_locale(), tz=select_timezone(), style=style)  # type: ignore[arg-type]


def format_number(value: Any, decimals: int | None = None) -> str:
    """A number with the locale's grouping and digits."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = decimal.Decimal(value)
    return locale_format.format_number(value, current_locale(), decimals=decimals)


def format_money(amount: Any, currency: str | None = None) -> str:
    """An exact amount in `currency` (default: the deployment's), rials or tomans per setting."""
    if amount is None:
        return ""
    if isinstance(amount, str):
        amount = decimal.Decimal(amount)
    site = site_settings()
    display = cast(locale_format.MoneyDisplay, site.get(core_settings.MONEY_DISPLAY) or "rial")  # the setting's choices
    return locale_format.format_money(amount, currency or site.get(core_settings.CURRENCY) or "IRR",
                                      current_locale(), display=display)


def localize_digits(value: Any) -> str:
    """Text with Persian digits in `fa` (ids, counts, phone numbers); unchanged in `en`."""
    text = "" if value is None else str(value)
    return to_persian_digits(text) if current_locale() == "fa" else text


def localize_chart(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A chart's spec for Chart.js with its category `labels` written in the page's digits (the
    table view beside it writes them with `digits`; Chart.js draws labels as given, while it
    formats the value axis by the page's `lang` itself). Labels that are people's text (product
    or person names: `"verbatim_labels": true`) keep the digits they were typed with and are
    isolated (FSI…PDI), so "Ali (علی) Co." keeps its own direction on the canvas too."""
    if spec.get("verbatim_labels"):
        return {**spec, "labels": [locale_format.isolate(label) for label in spec.get("labels", [])]}
    return {**spec, "labels": [localize_digits(label) for label in spec.get("labels", [])]}


def N_(text: str) -> str:
    """Mark `text` for extraction into the catalogs and return it unchanged.

    For texts declared as data (a plugin's title and description, a permission's description,
    a setting's label): they stay plain English where declared and are translated when shown,
    with the `translated` filter (`translate_text`).
    """
    return text


def translate_text(text: Any, plugin: str | None = None) -> str:
    """Text declared as data (a plugin's title, description or setting label, a permission's
    description) in the request's language: looked up in the catalogs, never %-formatted.

    With `plugin` (the declaring plugin's name) the plugin's own catalog is asked first, so its
    translation wins over another package's for the same English text; then the merged catalogs.
    Jinja's `_()` treats its argument as a format string, so "VAT rate (%)" raised in it; such
    texts go through this filter (`{{ spec.label | translated(plugin) }}`) instead.
    """
    from flask_babel import gettext

    if not text:
        return ""
    text = str(text)
    if plugin:
        folder = plugin_translation_folder(plugin)
        catalog = _catalog(folder, current_locale()) if folder else None
        if catalog is not None:
            found = catalog.gettext(text)
            if found != text:
                return found
    return gettext(text)


@functools.lru_cache(maxsize=64)
def _catalog(folder: str, locale: str) -> support.Translations | None:
    """The compiled catalog of `locale` in a `translations/` folder (None when there is none)."""
    loaded = support.Translations.load(folder, [locale])
    return loaded if isinstance(loaded, support.Translations) else None


def _plugin_folder(plugin: Any) -> str | None:
    """The `translations/` folder next to an installed plugin's module, if it has one."""
    module = inspect.getmodule(plugin.obj) if plugin is not None and plugin.obj is not None else None
    path = getattr(module, "__file__", None)
    if not path:
        return None
    candidate = Path(path).resolve().parent / "translations"
    return str(candidate) if candidate.is_dir() else None


def plugin_translation_folder(name: str) -> str | None:
    """The `translations/` folder of the installed plugin `name` in this app (None if it has none)."""
    runtime = current_app.extensions.get("payvand")
    return _plugin_folder(runtime.plugins.installed.get(name)) if runtime is not None else None


def translation_directories(app: Flask) -> list[str]:
    """The core's catalogs, then each installed plugin's `translations/` folder next to its module.

    A plugin ships `translations/<locale>/LC_MESSAGES/messages.mo` in its package and marks
    its strings with `payvand.sdk.gettext`/`lazy_gettext` (`N_` for texts declared as data);
    Flask-Babel merges the catalogs.
    """
    folders = [str(TRANSLATIONS)]
    for plugin in app.extensions["payvand"].plugins.installed.values():
        folder = _plugin_folder(plugin)
        if folder and folder not in folders:
            folders.append(folder)
    return folders


def init_i18n(app: Flask) -> None:
    """Install Flask-Babel and the formatting filters on `app` (`error_text` is installed by
    `payvand.core.web.messages.init_messages`, which builds on this module)."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(translation_directories(app)))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters.update(
        date=format_date, datetime=format_datetime, number=format_number, money=format_money,
        digits=localize_digits, chart_spec=localize_chart, translated=translate_text, isolate=locale_format.isolate,
    )
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
