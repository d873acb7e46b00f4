"""The `fa` and `en` catalogs: complete, compiled, placeholders intact, used by the pages."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
i18n = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(i18n)

PLACEHOLDER = re.compile(r"%\(\w+\)s")


PACKAGES = pytest.mark.parametrize("package", i18n.PACKAGES, ids=lambda p: p.name)


@PACKAGES
@pytest.mark.parametrize("locale", ["fa", "en"])
def test_every_string_of_the_ui_is_translated(locale, package):
    assert i18n.missing(locale, package) == [], "run: python scripts/i18n.py update (and translate what it lists)"


def _key(value):
    return (value,) if isinstance(value, str) else tuple(value)


@PACKAGES
@pytest.mark.parametrize("locale", ["fa", "en"])
def test_the_compiled_catalog_matches_its_source(locale, package):
    catalog = i18n.read_catalog(locale, package)
    with (package / "translations" / locale / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    source = {_key(m.id): _key(m.string) for m in catalog if m.id and any(_key(m.string))}
    built = {_key(m.id): _key(m.string) for m in compiled if m.id}
    assert source == {key: built.get(key) for key in source}, "run: python scripts/i18n.py update"


@PACKAGES
def test_persian_translations_keep_every_placeholder(package):
    for message in i18n.read_catalog("fa", package):
        if message.id and isinstance(message.id, str) and message.string:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), message.id


@PACKAGES
def test_persian_translations_use_persian_letters(package):
    for message in i18n.read_catalog("fa", package):
        if isinstance(message.string, str):
            assert "ي" not in message.string and "ك" not in message.string, message.id


def test_the_login_page_is_in_persian_when_chosen(client):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/locale", data={"locale": "fa", "csrf_token": token})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page
    assert "ورود" in page and "گذرواژه" in page


def test_a_validation_message_is_shown_in_persian(app):
    from payvand.core.web.messages import translate_error

    with app.test_request_context("/"):
        from flask import session

        session["locale"] = "fa"
        assert translate_error("Longer than maximum length 120.") == "بیشتر از حداکثر طول ۱۲۰ است."
        assert translate_error("Missing data for required field.") == "پر کردن این فیلد لازم است."


@pytest.mark.parametrize("payvand_plugins", [["sales", "service", "analytics"]])
def test_persian_plurals_are_persian_whatever_the_count_with_every_plugins_catalog(app, payvand_plugins):
    from flask_babel import force_locale, ngettext

    with app.test_request_context("/"), force_locale("fa"):
        # the catalogs are merged under one plural rule; each must give every index its form
        assert [ngettext("%(num)s field changed", "%(num)s fields changed", n) for n in (1, 2, 7)] == [
            "1 فیلد تغییر کرد", "2 فیلد تغییر کرد", "7 فیلد تغییر کرد"]


@PACKAGES
def test_persian_catalogs_share_one_plural_rule(package):
    with (package / "translations" / "fa" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="fa")
    assert (catalog.num_plurals, catalog.plural_expr) == (2, "(n > 1)")
    assert all(all(message.string) for message in catalog if message.id and not isinstance(message.id, str))
