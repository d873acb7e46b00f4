"""Accessibility smoke checks of every main page, in English and in Persian, in Chromium.

On each page a script looks for form controls without an accessible label, buttons and links
without an accessible name, duplicate ids (a `<label for>` must point at one control), the
number of `<h1>` and `<html lang>`. The login form is also driven with the keyboard only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from .data import Account
from .helpers import LiveServer, staff_login

#: Runs in the page; returns a list of problems (empty when the page passes).
AUDIT_JS = r"""
() => {
  const problems = [];
  const text = (el) => (el ? (el.textContent || "").replace(/\s+/g, " ").trim() : "");
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.name) s += "[name=" + el.name + "]";
    if (el.type && el.tagName === "INPUT") s += "[type=" + el.type + "]";
    if (el.className && typeof el.className === "string") s += "." + el.className.trim().split(/\s+/).slice(0, 2).join(".");
    return s;
  };
  const labelledBy = (el) => (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean)
    .map((id) => text(document.getElementById(id))).join(" ").trim();
  const ariaLabel = (el) => (el.getAttribute("aria-label") || "").trim();
  const imageAlt = (el) => [...el.querySelectorAll("img[alt], svg[aria-label]")]
    .map((img) => img.getAttribute("alt") || img.getAttribute("aria-label") || "").join(" ").trim();
  // Shown to the user, or reachable by opening a menu (Bootstrap dropdowns and collapsed navs).
  const relevant = (el) => {
    if (el.closest("[hidden], [aria-hidden=true], template")) return false;
    if (el.checkVisibility({visibilityProperty: true})) return true;
    return !!el.closest(".dropdown-menu, .collapse");
  };

  const controls = document.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea");
  for (const el of controls) {
    if (!relevant(el)) continue;
    const fromLabels = [...(el.labels || [])].map(text).join(" ").trim();
    if (!(fromLabels || ariaLabel(el) || labelledBy(el))) problems.push("control without a label: " + describe(el));
  }
  const named = document.querySelectorAll(
    "button, a[href], [role=button], input[type=submit], input[type=button], input[type=reset]");
  for (const el of named) {
    if (!relevant(el)) continue;
    const value = el.tagName === "INPUT" ? (el.value || "").trim() : "";
    const name = ariaLabel(el) || labelledBy(el) || text(el) || value || imageAlt(el) || (el.getAttribute("title") || "").trim();
    if (!name) problems.push("button or link without a name: " + describe(el));
  }
  const seen = {};
  for (const el of document.querySelectorAll("[id]")) { seen[el.id] = (seen[el.id] || 0) + 1; }
  for (const [id, count] of Object.entries(seen)) { if (count > 1) problems.push("id used " + count + " times: " + id); }
  for (const label of document.querySelectorAll("label[for]")) {
    if (!document.getElementById(label.htmlFor)) problems.push("label for a missing id: " + label.htmlFor);
  }
  for (const el of document.querySelectorAll("[aria-labelledby], [aria-describedby]")) {
    for (const attr of ["aria-labelledby", "aria-describedby"]) {
      for (const id of (el.getAttribute(attr) || "").split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(attr + " points at a missing id: " + describe(el) + " -> " + id);
      }
    }
  }
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push("h1 elements: " + h1);
  const lang = document.documentElement.getAttribute("lang") || "";
  if (!lang) problems.push("html has no lang");
  if (!document.title.trim()) problems.push("the page has no title");
  return problems;
}
"""


def audit(page: Page) -> list[str]:
    """The accessibility problems the script finds on the page as it is now."""
    return page.evaluate(AUDIT_JS)


def switch_language(page: Page, locale: str) -> None:
    """Switch the language with the header's (or the login page's) buttons, unless it is `locale` already."""
    if page.locator("html").get_attribute("lang") != locale:
        with page.expect_navigation():
            page.locator(f"button[name=locale][value={locale}]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if locale == "fa" else "ltr")


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_every_main_page_labels_its_controls_and_names_its_buttons_and_links(
        page: Page, live_server: LiveServer, admin: Account, locale: str, csv_with_a_bad_row: Path,
        make_customer: Callable[..., Any], make_interaction: Callable[..., Any]) -> None:
    customer = make_customer(given_name="Maryam", family_name="Ahmadi", emails=["m.ahmadi@example.com"],
                             phones=["09121234567"], tags=["vip"],
                             consents=[{"channel": "email", "purpose": "marketing", "granted": True}])
    twin = make_customer(given_name="مریم", family_name="احمدی", emails=["m.ahmadi@example.com"])
    for n in range(3):
        make_interaction(customer.id, kind="core.call", channel="phone", summary=f"Call {n}")

    page.goto(live_server.at("/login"))
    switch_language(page, locale)
    problems = {"/login": audit(page)}
    staff_login(page, live_server, admin.email, admin.password)
    switch_language(page, locale)

    page.goto(live_server.at("/import"))
    page.locator("#f-file").set_input_files(csv_with_a_bad_row)
    with page.expect_navigation():
        page.locator("#import-upload-submit").click()
    expect(page.locator("#import-mapping-form")).to_be_visible()
    mapping = urlsplit(page.url).path

    paths = [
        "/", "/customers", "/customers/new", f"/customers/{customer.id}", f"/customers/{customer.id}/edit",
        f"/customers/{customer.id}/consents", "/duplicates",
        f"/duplicates/compare?target={customer.id}&source={twin.id}", "/import", mapping,
        "/admin/plugins", "/admin/users", "/admin/users/new", "/admin/roles", "/admin/roles/new",
        "/admin/tokens", "/admin/tokens/new", "/admin/audit", "/admin/settings",
    ]
    for path in paths:
        response = page.goto(live_server.at(path))
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.locator("html").get_attribute("lang") == locale, path
        problems[path] = audit(page)

    assert {path: found for path, found in problems.items() if found} == {}


def test_the_login_form_works_with_the_keyboard_alone(
        page: Page, live_server: LiveServer, admin: Account) -> None:
    page.goto(live_server.at("/login"))
    focused: list[str] = []
    for _ in range(6):
        page.keyboard.press("Tab")
        focused.append(page.evaluate(
            "() => { const e = document.activeElement; return e.name || e.id || e.textContent.trim(); }"))
        if focused[-1] == "password":
            break
    assert focused[-2:] == ["email", "password"], focused

    page.keyboard.press("Shift+Tab")
    page.keyboard.type(admin.email)
    page.keyboard.press("Tab")
    page.keyboard.type(admin.password)
    page.keyboard.press("Tab")
    submit = page.locator("#login-form button[type=submit]")
    expect(submit).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/"
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()


def test_enter_in_the_password_field_submits_the_login_form(
        page: Page, live_server: LiveServer, admin: Account) -> None:
    page.goto(live_server.at("/login"))
    page.locator("#f-email").fill(admin.email)
    page.locator("#f-password").fill(admin.password)
    with page.expect_navigation():
        page.locator("#f-password").press("Enter")
    assert urlsplit(page.url).path == "/"


def test_the_audit_script_reports_unlabelled_controls_nameless_buttons_and_headings(page: Page) -> None:
    page.set_content("""<!doctype html><html><head><title>t</title></head><body>
        <label for="ok">Name</label><input id="ok">
        <label>Wrapped <select name="wrapped"><option>1</option></select></label>
        <input aria-label="Labelled"> <textarea aria-labelledby="cap"></textarea><span id="cap">Caption</span>
        <input type="hidden" name="csrf"> <input type="submit" value="Send">
        <input name="bare" placeholder="a placeholder is no label"> <textarea id="empty"></textarea><label for="empty"> </label>
        <div hidden><input name="hidden-away"></div>
        <button><span class="icon"></span></button> <button aria-label="Close"></button> <a href="/x"></a>
        <a href="/y"><img src="data:," alt="Home"></a> <h2>No h1</h2></body></html>""")
    problems = audit(page)
    assert sorted(problems) == sorted([
        "control without a label: input[name=bare][type=text]",
        "control without a label: textarea#empty",
        "button or link without a name: button",
        "button or link without a name: a",
        "h1 elements: 0",
        "html has no lang",
    ])
