"""The settings page renders and saves with every first-party plugin enabled, in both languages,
and a plugin's label or description may hold any text (a `%` included): it is data, not a format."""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
from typing import Any

import pytest

import payvand.plugins
from payvand.sdk import PluginMeta, SettingSpec, hookimpl


def first_party_plugins() -> list[Any]:
    """Every plugin package of the `plugins/` folder (`payvand.plugins.*`), and every entry point
    of the `payvand.plugins` group that points into it: found, not listed by hand."""
    names = {f"payvand.plugins.{info.name}" for info in pkgutil.iter_modules(payvand.plugins.__path__) if info.ispkg}
    names |= {point.value.split(":")[0] for point in importlib.metadata.entry_points(group="payvand.plugins")
              if point.value.startswith("payvand.plugins.")}
    return [importlib.import_module(name) for name in sorted(names)]


class PercentPlugin:
    """A plugin whose setting texts are full of `%` signs."""

    meta = PluginMeta("percent_labels", "1.0", title="Percent labels")

    @hookimpl
    def payvand_settings(self) -> list[SettingSpec]:
        return [SettingSpec("percent_labels.rate", "9", "Rate (%) at 100% of %(base)s", "Between 0% and 100 %s."),
                SettingSpec("percent_labels.other", "x", "50 % off", None)]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [*first_party_plugins(), PercentPlugin()]


def test_first_party_plugins_are_found():
    assert "payvand.plugins.sales" in [module.__name__ for module in first_party_plugins()]


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_the_settings_page_renders_and_saves_with_every_first_party_plugin(web_as, runtime, locale):
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": locale})
    page = web.get("/admin/settings")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    for plugin in first_party_plugins():
        name = plugin.meta.name if hasattr(plugin, "meta") else plugin.__name__.rsplit(".", 1)[1]
        assert name in runtime.plugins.enabled
    assert "Rate (%) at 100% of %(base)s" in html and "Between 0% and 100 %s." in html and "50 % off" in html
    form = {"company_name": "Acme", "default_locale": locale, "currency": "IRR", "money_display": "rial",
            "timezone": "Asia/Tehran", "phone_region": "IR", "percent_labels.rate": "12"}
    saved = web.post("/admin/settings", form)
    assert saved.status_code == 302, saved.status_code
    assert web.get("/admin/settings").status_code == 200
