"""The admin pages that show the sales plugin's own texts — its title and description, its
permissions' descriptions, its settings' labels — speak Persian on a Persian page.

Those texts are declared as data (plain English in `PluginMeta`, `PermissionSpec`,
`SettingSpec`) and translated when shown, through the catalogs of the plugin that declares them.
"""

from __future__ import annotations

from payvand.sdk.testing import english_words

#: The staff user's own data, and setting values that are data (time zone, document prefixes).
DATA = ["Test User", "user@example.com", "Asia/Tehran", "INV", "O", "Q"]
#: Literal values and names an admin types or reads as they are (not words of ours): the setting
#: values jalali/gregorian, a CSP directive and origin, a command and an environment variable,
#: the currency standard and a phone region code.
LITERALS = ["jalali", "gregorian", "CSP frame-ancestors", "https://www.example.com", "'none'", "pip",
            "PAYVAND_PLUGINS", "ISO 4217", "IR"]


def _persian(web):
    web.post("/account/locale", {"locale": "fa"})
    return web


def test_the_persian_plugins_page_shows_no_english_of_ours(web):
    page = _persian(web).get("/admin/plugins")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert english_words(html, allow=DATA + LITERALS) == []
    assert "فروش" in html


def test_the_persian_role_form_shows_no_english_of_ours(web):
    page = _persian(web).get("/admin/roles/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert english_words(html, allow=DATA + LITERALS) == []
    assert "Leads and scoring" not in html and "Record payments on invoices" not in html


def test_the_persian_settings_page_shows_no_english_of_ours(web):
    page = _persian(web).get("/admin/settings")
    assert page.status_code == 200
    assert english_words(page.get_data(as_text=True), allow=DATA + LITERALS) == []


def test_the_english_pages_keep_the_declared_texts(web):
    web.post("/account/locale", {"locale": "en"})
    plugins = web.get("/admin/plugins").get_data(as_text=True)
    assert "Leads and scoring, pipelines and deals" in plugins
    roles = web.get("/admin/roles/new").get_data(as_text=True)
    assert "Record payments on invoices" in roles and "See customers and their profiles" in roles


def test_the_persian_scoring_page_names_fields_and_comparisons_in_persian(web):
    added = _persian(web).post("/sales/scoring", {"name": "پرداخت", "field": "utm_medium", "operator": "eq",
                                                  "value": "cpc", "points": "10"})
    assert added.status_code == 302
    html = web.get("/sales/scoring").get_data(as_text=True)
    assert english_words(html, allow=DATA + LITERALS + ["UTM", "true", "false", "cpc"]) == []
    assert 'data-field="utm_medium">رسانهٔ UTM' in html and 'data-operator="eq">هست' in html  # labels, not the stored names
