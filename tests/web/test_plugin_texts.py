"""Texts a plugin declares as data (title, description, permission descriptions) are translated
through that plugin's own catalog: two plugins may translate the same English text differently,
and each page shows each plugin's own translation (the merged catalogs would give one of them)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from plugins_system.generated import plugins_installed

TRANSLATIONS = {"text_one": "کارت‌های باشگاه", "text_two": "کارت‌های هدیه"}


def _source(name: str) -> str:
    return textwrap.dedent(f"""
        from payvand.sdk import N_, PermissionSpec, PluginMeta, hookimpl

        meta = PluginMeta("{name}", "1.0", title=N_("Cards"), description=N_("Cards of customers."))

        @hookimpl
        def payvand_permissions():
            return [PermissionSpec("{name}.card.view", N_("See cards"))]
        """)


def _catalog(folder: Path, strings: dict[str, str]) -> None:
    catalog = Catalog(locale="fa")
    for msgid, msgstr in strings.items():
        catalog.add(msgid, msgstr)
    (folder / "fa" / "LC_MESSAGES").mkdir(parents=True)
    with (folder / "fa" / "LC_MESSAGES" / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)


@pytest.fixture(autouse=True)
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two plugins declaring the same English texts, each with its own Persian catalog."""
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    with plugins_installed(tmp_path, {name: _source(name) for name in TRANSLATIONS}):
        for name, cards in TRANSLATIONS.items():
            _catalog(tmp_path / "code" / name / "translations",
                     {"Cards": cards, "Cards of customers.": f"{cards} مشتریان.", "See cards": f"دیدن {cards}"})
        yield


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    """The PluginState rows decide which plugins run (both are enabled by default)."""
    return {"PAYVAND_PLUGINS": None, "PAYVAND_PLUGIN_REFRESH_SECONDS": 0}


def _card(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}".*?</section>', html, re.S)
    assert found, element_id
    return found.group(0)


def test_each_plugin_title_and_description_use_its_own_catalog(web_as):
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": "fa"})
    page = web.get("/admin/plugins").get_data(as_text=True)
    for name, cards in TRANSLATIONS.items():
        card = _card(page, f"plugin-{name}")
        assert cards in card and f"{cards} مشتریان." in card and "Cards" not in card


def test_each_plugin_permission_descriptions_use_its_own_catalog(web_as):
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": "fa"})
    page = web.get("/admin/roles/new").get_data(as_text=True)
    for name, cards in TRANSLATIONS.items():
        group = _card(page, f"perm-group-{name}")
        assert cards in group and f"دیدن {cards}" in group and "See cards" not in group


def test_english_readers_get_the_declared_text(web_as):
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": "en"})
    page = web.get("/admin/plugins").get_data(as_text=True)
    assert "Cards of customers." in _card(page, "plugin-text_one")
