"""Admin settings page: core and plugin settings, validation, audit, and the settings taking effect."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.models import AuditLog, Setting
from payvand.sdk import PluginMeta, SettingSpec, hookimpl


class SettingsPlugin:
    """A plugin declaring two settings."""

    meta = PluginMeta("web_settings", "1.0", title="Settings plugin")

    @hookimpl
    def payvand_settings(self) -> list[SettingSpec]:
        return [SettingSpec("web_settings.greeting", "Salam", "Greeting", "Said to new customers."),
                SettingSpec("web_settings.limit", 10, "Limit"),
                SettingSpec("web_settings.answers", "Hello\nGoodbye", "Answers", "One per line.")]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [SettingsPlugin()]


#: Every core setting changed from the test app's defaults (whose default language is en).
VALID = {"company_name": "Acme Trading", "default_locale": "fa", "currency": "usd", "money_display": "rial",
         "timezone": "Europe/Berlin", "phone_region": "de"}


@pytest.fixture
def web(web_as: Any) -> Any:
    """A superuser's client reading the pages in English (their own choice of language)."""
    client = web_as(superuser=True)
    client.post("/account/locale", {"locale": "en"})
    return client


def stored(db_session: Any) -> dict[str, Any]:
    db_session.expire_all()
    return dict(db_session.execute(sa.select(Setting.key, Setting.value)).all())


def test_the_form_shows_the_current_values_and_the_plugins_settings(web):
    page = web.get("/admin/settings")
    assert page.status_code == 200
    assert 'id="settings-form"' in page.text and 'id="settings-save"' in page.text
    assert 'id="f-company_name"' in page.text and 'value="Payvand"' in page.text
    assert 'value="Asia/Tehran"' in page.text and 'value="IR"' in page.text
    assert 'id="settings-plugin-web_settings"' in page.text
    assert 'name="web_settings.greeting"' in page.text and 'value="Salam"' in page.text
    assert 'name="web_settings.limit"' in page.text


def test_saving_stores_the_changed_settings_with_an_audit_entry_each(web, db_session):
    response = web.post("/admin/settings", {**VALID, "web_settings.limit": "۲۵"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/settings"
    assert stored(db_session) == {
        "core.company_name": "Acme Trading", "core.default_locale": "fa", "core.currency": "USD",
        "core.timezone": "Europe/Berlin", "core.phone_region": "DE", "web_settings.limit": 25,
    }
    entries = db_session.execute(sa.select(AuditLog.object_id, AuditLog.before, AuditLog.after, AuditLog.actor_id)
                                 .where(AuditLog.object_type == "setting").order_by(AuditLog.id)).all()
    assert {e.object_id: (e.before, e.after) for e in entries}["core.currency"] == ({"value": "IRR"}, {"value": "USD"})
    assert len(entries) == 6 and {e.actor_id for e in entries} == {web.user_id}
    page = web.get("/admin/settings")
    assert "Settings saved: 6 changed." in page.text
    assert web.post("/admin/settings", {**VALID, "web_settings.limit": "25"}).status_code == 302
    assert "Nothing changed." in web.get("/admin/settings").text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 6


@pytest.mark.parametrize(("field", "value", "message"), [
    ("timezone", "Mars/Olympus", "Not a known time zone"),
    ("currency", "XYZQ", "Not an ISO 4217 currency code"),
    ("phone_region", "ZZ", "Not a supported phone region"),
    ("default_locale", "de", "Must be one of"),
    ("money_display", "dinar", "Must be one of"),
    ("company_name", "", "Missing data for required field."),
    ("web_settings.limit", "many", "Enter a number such as 1250000"),  # the staff forms' one number rule
])
def test_invalid_values_are_field_errors_and_nothing_is_stored(web, db_session, field, value, message):
    page = web.post("/admin/settings", {**VALID, field: value})
    assert page.status_code == 422
    error = re.search(rf'<div class="invalid-feedback d-block" id="f-{re.escape(field)}-error">(.*?)</div>', page.text)
    assert error and message in error.group(1)
    assert 'value="Acme Trading"' in page.text or field == "company_name"  # the form keeps what was typed
    assert stored(db_session) == {}


def test_the_company_name_appears_in_the_page_header(web):
    web.post("/admin/settings", {**VALID, "company_name": "شرکت پیوند"})
    page = web.get("/")
    assert '<a class="navbar-brand fw-bold" href="/"><bdi>شرکت پیوند</bdi></a>' in page.text
    assert "· \u2068شرکت پیوند\u2069</title>" in page.text


def test_the_default_locale_sets_the_language_of_users_without_one(web, web_as):
    other = web_as([perm.CUSTOMER_VIEW])  # has not chosen a language
    web.post("/admin/settings", {**VALID, "default_locale": "fa"})
    assert '<html lang="fa" dir="rtl">' in other.get("/").text
    web.post("/admin/settings", {**VALID, "default_locale": "en"})
    assert '<html lang="en" dir="ltr">' in other.get("/").text
    other.post("/account/locale", {"locale": "fa"})  # their own choice wins
    assert '<html lang="fa" dir="rtl">' in other.get("/").text
    assert '<html lang="en" dir="ltr">' in web.get("/").text  # and the admin's own choice (en) too


def test_the_phone_region_setting_decides_how_local_numbers_are_read(web, api):
    german = "030 1234567"
    refused = api.post("customers", json={"given_name": "Hans", "phones": [german]})
    assert refused.status_code == 422  # not an Iranian number
    web.post("/admin/settings", VALID)  # phone_region: DE
    created = api.post("customers", json={"given_name": "Hans", "phones": [german]})
    assert created.status_code == 201, created.json
    assert created.json["phones"][0]["value"] == "+49301234567"


def test_an_empty_plugin_setting_goes_back_to_its_default(web, db_session):
    web.post("/admin/settings", {**VALID, "web_settings.greeting": "Dorood"})
    assert stored(db_session)["web_settings.greeting"] == "Dorood"
    web.post("/admin/settings", {**VALID, "web_settings.greeting": ""})
    assert stored(db_session)["web_settings.greeting"] == "Salam"


def test_permissions_and_csrf(web, web_as, client, db_session):
    assert web_as([perm.SETTINGS_MANAGE]).get("/admin/settings").status_code == 200
    outsider = web_as([perm.AUDIT_VIEW, perm.PLUGINS_MANAGE])
    assert outsider.get("/admin/settings").status_code == 403
    assert outsider.post("/admin/settings", VALID).status_code == 403
    response = client.get("/admin/settings")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert web.post("/admin/settings", VALID, csrf=False).status_code == 400
    assert stored(db_session) == {}


def test_the_page_runs_a_constant_number_of_queries(web, count_queries):
    web.get("/admin/settings")
    with count_queries() as before:
        web.get("/admin/settings")
    web.post("/admin/settings", VALID)
    web.get("/admin/settings")  # shows (and removes) the flash message
    with count_queries() as after:
        web.get("/admin/settings")
    assert len(after) == len(before)


def test_a_setting_of_several_lines_is_a_text_area_that_keeps_its_lines(web, db_session):
    page = web.get("/admin/settings").text
    area = re.search(r'<textarea[^>]*name="web_settings.answers"[^>]*>(.*?)</textarea>', page, re.S)
    assert area is not None and area.group(1).strip() == "Hello\nGoodbye"  # a text input would drop the break
    assert web.post("/admin/settings", {**VALID, "web_settings.answers": "Hello\r\nGoodbye\r\nThanks"}).status_code == 302
    assert stored(db_session)["web_settings.answers"] == "Hello\nGoodbye\nThanks"  # the browser's CRLF stored as LF
