"""Accessibility sweep of the service plugin's pages in Chromium, in English and in Persian.

Every page (the inbox, a ticket, a new ticket, the staff knowledge base with results and an
article, the SLA report, each service settings page with a row to edit, and the public CSAT page)
is checked with the audit of `test_accessibility.py` (labels, names, ids, one `<h1>`, `lang`,
title) plus: one `<main>` landmark, named navigation landmarks when there are several, `lang`
and `dir` of the reader's language, WCAG AA text contrast (4.5:1, 3:1 for large text) and no
sideways scrolling at 1280 px.
The staff knowledge base has no public counterpart yet, so there is no public KB page to sweep.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page

import payvand.plugins.service as service
from payvand.plugins.service.demo import load_service_demo
from payvand.plugins.service.models import (
    Article,
    AssignmentRule,
    Calendar,
    Contract,
    Macro,
    SlaPolicy,
    Team,
    Ticket,
)
from payvand.plugins.service.services import csat, kb

from .data import Account
from .helpers import LiveServer, horizontal_overflow
from .test_accessibility import audit, switch_language

#: Runs in the page: landmarks, `dir`, and text contrast of every visible element with its own text.
LANDMARKS_AND_CONTRAST_JS = r"""
(locale) => {
  const problems = [];
  const mains = document.querySelectorAll("main, [role=main]").length;
  if (mains !== 1) problems.push("main landmarks: " + mains);
  const navs = [...document.querySelectorAll("nav, [role=navigation]")].filter((n) => n.checkVisibility());
  if (navs.length > 1) {
    for (const nav of navs) {
      if (!(nav.getAttribute("aria-label") || nav.getAttribute("aria-labelledby")))
        problems.push("unnamed navigation among " + navs.length + ": " + (nav.id || nav.className));
    }
  }
  const dir = document.documentElement.getAttribute("dir") || "ltr";
  if (dir !== (locale === "fa" ? "rtl" : "ltr")) problems.push("html dir " + dir + " for " + locale);

  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage && s.backgroundImage !== "none") return null;  // gradients, images: not judged
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let color = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    if (el.closest("[aria-hidden=true], option, select, [disabled], .disabled")) continue;
    const s = getComputedStyle(el);
    const bg = background(el);
    const fg = parse(s.color);
    if (!bg || !fg) continue;
    const ratio = (Math.max(luminance(over(fg, bg)), luminance(bg)) + 0.05) /
                  (Math.min(luminance(over(fg, bg)), luminance(bg)) + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push("contrast " + ratio.toFixed(2) + ": " + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                    "." + String(el.className).trim().split(/\s+/).slice(0, 2).join(".") + " '" +
                    el.textContent.trim().slice(0, 30) + "'");
    }
  }
  return problems;
}
"""


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [service]


@pytest.fixture
def service_data(app: Any, db_session: Any, admin: Account, make_customer: Any) -> dict[str, Any]:
    """The service demo (teams, rules, calendar, policies, contracts, tickets, macros) plus a KB
    article, a solved ticket with its rating link; the ids and paths the sweep visits."""
    for n in range(4):
        make_customer(given_name=f"Customer{n}", emails=[f"customer{n}@example.com"],
                      preferred_language="fa" if n % 2 else "en")
    with app.test_request_context():
        load_service_demo(seed=3)
        db_session.add(Article(language="fa", title="راهنمای بازگرداندن کالا", status="published", public=True,
                               body="# بازگرداندن\n\nتا **هفت روز** پس از خرید.", search_text="راهنمای بازگرداندن کالا"))
        db_session.flush()
        first = {model.__name__: db_session.scalar(sa.select(sa.func.min(model.id)))
                 for model in (Article, Ticket, Team, AssignmentRule, Calendar, Contract, Macro, SlaPolicy)}
        token = csat.token(first["Ticket"])
        article = db_session.get(Article, first["Article"])
        kb.save(db_session, article, {"category": "Returns"})  # two saved versions: a diff with a line
        kb.save(db_session, article, {"category": "Returns and refunds"})
        version = article.version - 1
        db_session.commit()
    return {**first, "csat": f"/service/csat/{token}?score=4", "Version": version}


def pages(ids: dict[str, Any]) -> list[str]:
    """The service pages a staff member with every permission can open."""
    return [
        "/service/tickets", "/service/tickets?queue=unassigned", f"/service/tickets/{ids['Ticket']}",
        "/service/tickets/new", "/service/kb", "/service/kb?q=%D8%A8%D8%A7%D8%B2%DA%AF%D8%B1%D8%AF%D8%A7%D9%86%D8%AF%D9%86",
        f"/service/kb/{ids['Article']}", "/service/reports/sla", "/service/settings",
        "/service/settings/teams", f"/service/settings/teams/{ids['Team']}", "/service/settings/rules",
        "/service/settings/calendars", f"/service/settings/calendars/{ids['Calendar']}",
        "/service/settings/policies", f"/service/settings/policies/{ids['SlaPolicy']}",
        "/service/settings/contracts", "/service/settings/contracts/new",
        f"/service/settings/contracts/{ids['Contract']}", "/service/settings/macros",
        f"/service/settings/macros/{ids['Macro']}", "/service/settings/lunar-holidays",
        "/service/surveys/nps", "/service/surveys/nps?campaign=q4&tag=vip&preview=1", "/service/reports/complaints",
        "/service/kb/articles", "/service/kb/articles/new", f"/service/kb/articles/{ids['Article']}/edit",
        f"/service/kb/articles/{ids['Article']}/history",
        f"/service/kb/articles/{ids['Article']}/versions/{ids['Version']}",
    ]


def check(page: Page, locale: str) -> list[str]:
    """Every problem on the page as it is now."""
    return audit(page) + page.evaluate(LANDMARKS_AND_CONTRAST_JS, locale)


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_service_pages_pass_the_accessibility_sweep(
        signed_in: Page, live_server: LiveServer, service_data: dict[str, Any], locale: str) -> None:
    page = signed_in
    switch_language(page, locale)
    problems: dict[str, list[str]] = {}
    for path in pages(service_data):
        response = page.goto(live_server.at(path))
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.locator("html").get_attribute("lang") == locale, path
        problems[path] = check(page, locale)
        if overflow := horizontal_overflow(page):
            problems[path].append(f"wider than the window by {overflow}px")
    assert {path: found for path, found in problems.items() if found} == {}


def test_the_public_rating_page_passes_the_sweep_in_the_customers_language(
        page: Page, live_server: LiveServer, service_data: dict[str, Any]) -> None:
    response = page.goto(live_server.at(service_data["csat"]))
    assert response is not None and response.status == 200
    language = response.headers["content-language"]
    form = page.locator("#csat-form")
    assert form.evaluate("(f) => f.closest('[lang]').getAttribute('lang')") == language
    assert form.evaluate("(f) => getComputedStyle(f).direction") == ("rtl" if language == "fa" else "ltr")
    found = audit(page) + [p for p in page.evaluate(LANDMARKS_AND_CONTRAST_JS, page.locator("html").get_attribute("lang"))]
    assert found == []


def test_the_sweep_script_reports_missing_landmarks_unnamed_navigation_wrong_dir_and_low_contrast(
        page: Page) -> None:
    page.set_content("""<!doctype html><html lang="fa" dir="ltr"><head><title>t</title></head>
        <body style="background: #f8f9fa"><nav><a href="/a">A</a></nav><nav aria-label="Tabs"><a href="/b">B</a></nav>
        <p style="color: #0d6efd">Bootstrap's link blue on the grey page</p>
        <p style="color: #0a58ca">Darker blue</p>
        <h1 style="color: #767676; font-size: 32px">Large grey is enough</h1>
        <p style="color: #999; background: #fff">Light grey on white</p>
        <p aria-hidden="true" style="color: #eee">ignored</p></body></html>""")
    problems = page.evaluate(LANDMARKS_AND_CONTRAST_JS, "fa")
    assert [p.split(":")[0] if p.startswith("contrast") else p for p in problems] == [
        "main landmarks: 0", "unnamed navigation among 2: ", "html dir ltr for fa", "contrast 4.27", "contrast 2.85"]
