"""The customer 360 page: profile, key figures, timeline, logging and plugin panels."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from markupsafe import escape

from payvand.core.models import Interaction
from payvand.core.services.interactions import build_interaction, record_many
from payvand.sdk import Panel, PluginMeta, hookimpl

UTC = dt.UTC
ITEM = re.compile(r'data-interaction-id="(\d+)"')


class PanelPlugin:
    """Adds one panel naming the customer."""

    meta = PluginMeta("panel_probe", "1.0")

    @hookimpl
    def payvand_customer_panels(self, customer: Any, actor: Any) -> Panel:
        """A panel with trusted markup."""
        return Panel("Loyalty points", f"<p class='probe-points'>{escape(customer.display_name)}: 42</p>", order=5)


class RaisingPanelPlugin:
    """Its panel hook always fails."""

    meta = PluginMeta("panel_crasher", "1.0")

    @hookimpl
    def payvand_customer_panels(self, customer: Any, actor: Any) -> Panel:
        """Fail."""
        raise RuntimeError("panel exploded")


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The panel plugin above."""
    return [PanelPlugin()]


@pytest.fixture(autouse=True)
def english(runtime: Any) -> None:
    """Pages in English (the deployment's default language is Persian otherwise)."""
    from payvand.core.models import Setting

    with runtime.sessionmaker.begin() as session:
        session.merge(Setting(key="core.default_locale", value="en"))


def ids_on(html: str) -> list[int]:
    """The interaction ids of the timeline items in a page or fragment, in order."""
    return [int(x) for x in ITEM.findall(html)]


def bulk(runtime: Any, customer_id: int, count: int, *, when: dt.datetime | None = None,
         channels: tuple[str, ...] = ("phone",), kind: str = "core.note") -> list[int]:
    """Record `count` interactions at once (all at `when` if given, else one minute apart)."""
    start = dt.datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        build_interaction(customer_id, kind, channels[i % len(channels)], f"entry {i}",
                          occurred_at=when or start + dt.timedelta(minutes=i))
        for i in range(count)
    ]
    with runtime.sessionmaker.begin() as session:
        return record_many(session, rows)


def test_the_page_shows_the_profile(web, make_customer, make_user):
    owner = make_user(name="Sara Owner")
    customer = make_customer(given_name="Maryam", family_name="Ahmadi", emails=["maryam@example.com"],
                             phones=["+989121234567"], birthday="1990-05-17", lifecycle_stage="lead",
                             owner_id=owner.id, tags=["vip", "tehran"],
                             addresses=[{"line1": "Valiasr St 12", "city": "Tehran", "country": "IR"}],
                             consents=[{"channel": "email", "granted": True}, {"channel": "sms", "granted": False}])
    page = web.get(f"/customers/{customer.id}")
    assert page.status_code == 200
    html = page.text
    for text in ("Maryam Ahmadi", "maryam@example.com", "+989121234567", "Valiasr St 12", "Sara Owner",
                 "vip", "tehran", "Lead", "Granted", "Withdrawn", "Loyalty points"):
        assert text in html, text
    assert 'dir="ltr"' in html
    assert "1990" in html  # the birthday (Gregorian in en)


def test_unknown_customer_is_a_404_page(web):
    page = web.get("/customers/999999")
    assert page.status_code == 404
    assert "Page not found" in page.text
    assert web.get("/customers/999999/timeline").status_code == 404


def test_a_merged_away_customer_links_to_the_survivor(web, make_customer, runtime):
    survivor = make_customer(given_name="Survivor")
    merged = make_customer(given_name="Merged")
    with runtime.engine.begin() as connection:
        connection.execute(sa.text("UPDATE core_customer SET merged_into_id = :s WHERE id = :m"),
                           {"s": survivor.id, "m": merged.id})
    html = web.get(f"/customers/{merged.id}").text
    assert 'id="customer-merged"' in html
    assert f'href="/customers/{survivor.id}"' in html
    assert 'id="log-interaction-form"' not in html
    refused = web.post(f"/customers/{merged.id}/interactions",
                       {"type": "core.call", "channel": "phone", "direction": "outbound", "summary": "hi"})
    assert refused.status_code == 409


def test_an_erased_customer_says_so(web, make_customer, runtime):
    customer = make_customer()
    with runtime.engine.begin() as connection:
        connection.execute(sa.text("UPDATE core_customer SET erased_at = :t WHERE id = :i"),
                           {"t": dt.datetime(2024, 3, 1, tzinfo=UTC), "i": customer.id})
    html = web.get(f"/customers/{customer.id}").text
    assert 'id="customer-erased"' in html and "erased" in html
    assert 'id="log-interaction-form"' not in html


def test_timeline_shows_interactions_newest_first_across_channels(web, make_customer, make_interaction):
    customer = make_customer()
    base = dt.datetime(2024, 5, 1, 10, tzinfo=UTC)
    old = make_interaction(customer.id, "sales.order", "web", "Ordered a lamp", occurred_at=base)
    mid = make_interaction(customer.id, "core.call", "phone", "Called about delivery", occurred_at=base + dt.timedelta(days=1))
    new = make_interaction(customer.id, "service.ticket_opened", "email", "Lamp broken", occurred_at=base + dt.timedelta(days=2))
    html = web.get(f"/customers/{customer.id}").text
    assert ids_on(html) == [new.id, mid.id, old.id]
    assert "Ordered a lamp" in html and "Lamp broken" in html
    assert 'id="figure-total">3<' in html
    assert 'data-channel="web"' in html and 'data-channel="email"' in html


def test_timeline_filters_by_channel_and_kind(web, make_customer, make_interaction):
    customer = make_customer()
    base = dt.datetime(2024, 5, 1, tzinfo=UTC)
    call = make_interaction(customer.id, "core.call", "phone", occurred_at=base)
    mail = make_interaction(customer.id, "core.message", "email", occurred_at=base + dt.timedelta(hours=1))
    order = make_interaction(customer.id, "sales.order", "web", occurred_at=base + dt.timedelta(hours=2))
    fragment = web.get(f"/customers/{customer.id}/timeline?channel=email", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert ids_on(fragment.text) == [mail.id]
    assert "<html" not in fragment.text
    assert ids_on(web.get(f"/customers/{customer.id}/timeline?kind=sales.order").text) == [order.id]
    assert ids_on(web.get(f"/customers/{customer.id}/timeline?kind=core.call&channel=phone").text) == [call.id]
    assert ids_on(web.get(f"/customers/{customer.id}/timeline?kind=core.call&channel=email").text) == []
    # The full page honours the same filters (the form's no-JavaScript path).
    assert ids_on(web.get(f"/customers/{customer.id}?channel=web").text) == [order.id]


def test_timeline_pages_have_no_repeats_or_gaps_with_equal_times(web, make_customer, runtime):
    customer = make_customer()
    same = dt.datetime(2024, 6, 1, 12, tzinfo=UTC)
    ids = bulk(runtime, customer.id, 40, when=same) + bulk(runtime, customer.id, 30)
    seen: list[int] = []
    html = web.get(f"/customers/{customer.id}").text
    seen += ids_on(html)
    while True:
        found = re.search(r'hx-get="([^"]+)"[^>]*rel="next"', html)
        if not found:
            break
        html = web.get(found.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"}).text
        seen += ids_on(html)
    assert len(seen) == len(set(seen)) == 70
    assert set(seen) == set(ids)
    # Newest first: the 40 at `same` (June) by id descending, then the January ones.
    assert seen[:40] == sorted(ids[:40], reverse=True)
    assert seen[40:] == sorted(ids[40:], reverse=True)


def test_load_more_without_javascript_opens_the_next_page(web, make_customer, runtime):
    customer = make_customer()
    bulk(runtime, customer.id, 30)
    html = web.get(f"/customers/{customer.id}").text
    link = re.search(r'id="timeline-load-more"[^>]*href="([^"]+)"', html)
    assert link and link.group(1).startswith(f"/customers/{customer.id}?")
    second = web.get(link.group(1).replace("&amp;", "&").split("#")[0]).text
    assert len(ids_on(second)) == 5 and not set(ids_on(second)) & set(ids_on(html))


def test_a_tampered_cursor_is_a_400(web, make_customer):
    customer = make_customer()
    assert web.get(f"/customers/{customer.id}/timeline?cursor=bm90LWEtY3Vyc29y").status_code == 400


def test_logging_a_call_puts_it_on_the_timeline_as_a_core_interaction(web, make_customer, db_session):
    customer = make_customer()
    response = web.post(f"/customers/{customer.id}/interactions", {
        "type": "core.call", "channel": "phone", "direction": "outbound", "summary": "Asked about delivery",
        "details": "Line one\nLine two", "occurred_at": "2024-08-02 14:30", "value": "1,250,000",
    })
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/customers/{customer.id}")
    row = db_session.scalars(sa.select(Interaction).where(Interaction.customer_id == customer.id)).one()
    assert (row.kind, row.channel, row.direction, row.summary) == ("core.call", "phone", "outbound", "Asked about delivery")
    assert row.payload == {"details": "Line one\nLine two"}
    assert row.occurred_at == dt.datetime(2024, 8, 2, 11, 0, tzinfo=UTC)  # 14:30 in Tehran (+03:30)
    assert row.value == 1250000 and row.currency == "IRR"
    assert row.created_by_id == web.user_id
    page = web.get(f"/customers/{customer.id}")
    assert "Call logged." in page.text
    assert ids_on(page.text) == [row.id] and "Asked about delivery" in page.text


def test_logging_without_a_time_uses_now(web, make_customer, db_session):
    customer = make_customer()
    before = dt.datetime.now(UTC) - dt.timedelta(seconds=5)
    assert web.post(
        f"/customers/{customer.id}/interactions",
        {"type": "core.note", "channel": "other", "direction": "internal", "summary": "Prefers mornings"},
    ).status_code == 302
    row = db_session.scalars(sa.select(Interaction).where(Interaction.customer_id == customer.id)).one()
    assert row.occurred_at >= before and row.value is None and row.payload == {}


def test_logging_accepts_a_jalali_date_in_persian(web_as, make_customer, db_session):
    staff = web_as(superuser=True, )
    staff.post("/account/locale", {"locale": "fa", "next": "/"})
    customer = make_customer()
    response = staff.post(f"/customers/{customer.id}/interactions", {
        "type": "core.meeting", "channel": "in_person", "direction": "inbound", "summary": "جلسه",
        "occurred_at": "۱۴۰۳/۰۵/۱۲ ۱۴:۳۰", "value": "۱۲۰٬۰۰۰",
    })
    assert response.status_code == 302, response.text
    row = db_session.scalars(sa.select(Interaction).where(Interaction.customer_id == customer.id)).one()
    assert row.occurred_at == dt.datetime(2024, 8, 2, 11, 0, tzinfo=UTC)  # 1403/05/12 is 2024-08-02
    assert row.value == 120000


def test_logging_with_htmx_returns_the_new_timeline_item(web, make_customer):
    customer = make_customer()
    response = web.post(f"/customers/{customer.id}/interactions",
                        {"type": "core.message", "channel": "chat", "direction": "inbound", "summary": "Hello there"},
                        headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'hx-swap-oob="afterbegin:#timeline-items"' in response.text
    assert len(ids_on(response.text)) == 1 and "Hello there" in response.text
    assert 'id="log-interaction-form"' in response.text and "<html" not in response.text


def test_log_form_errors_are_shown_per_field_with_422(web, make_customer, db_session):
    customer = make_customer()
    response = web.post(f"/customers/{customer.id}/interactions", {
        "type": "sales.order", "channel": "pigeon", "direction": "sideways", "summary": "",
        "occurred_at": "yesterday", "value": "12.345678",
    })
    assert response.status_code == 422
    html = response.text
    for name in ("type", "channel", "direction", "summary", "occurred_at", "value"):
        assert f'id="f-{name}-error"' in html, name
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 0
    htmx = web.post(f"/customers/{customer.id}/interactions", {"type": "core.call", "channel": "phone", "summary": ""},
                    headers={"HX-Request": "true"})
    assert htmx.status_code == 422 and 'id="f-summary-error"' in htmx.text and "<html" not in htmx.text


def test_permissions(web_as, client, make_customer, make_interaction):
    customer = make_customer()
    make_interaction(customer.id, summary="Secret call")
    page = f"/customers/{customer.id}"
    assert web_as([]).get(page).status_code == 403
    profile_only = web_as(["core.customer.view"])
    html = profile_only.get(page)
    assert html.status_code == 200 and customer.display_name in html.text
    assert "Secret call" not in html.text and 'id="timeline"' not in html.text and 'id="log-interaction-form"' not in html.text
    assert profile_only.get(f"{page}/timeline").status_code == 403
    form = {"type": "core.call", "channel": "phone", "direction": "outbound", "summary": "x"}
    assert profile_only.post(f"{page}/interactions", form).status_code == 403
    viewer = web_as(["core.customer.view", "core.interaction.view"])
    assert "Secret call" in viewer.get(page).text
    assert viewer.post(f"{page}/interactions", form).status_code == 403
    logger = web_as(["core.customer.view", "core.interaction.view", "core.interaction.create"])
    assert 'id="log-interaction-form"' in logger.get(page).text
    assert logger.post(f"{page}/interactions", form).status_code == 302
    anonymous = client.get(page)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")


def test_logging_without_the_csrf_token_is_refused(web, make_customer, db_session):
    customer = make_customer()
    response = web.post(f"/customers/{customer.id}/interactions",
                        {"type": "core.call", "channel": "phone", "summary": "x"}, csrf=False)
    assert response.status_code == 400
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 0


def test_a_plugin_panel_is_shown(web, make_customer):
    customer = make_customer(given_name="Leila")
    html = web.get(f"/customers/{customer.id}").text
    assert 'id="panel-panel_probe"' in html
    assert "<p class='probe-points'>Leila Test: 42</p>" in html  # trusted markup, not escaped


@pytest.mark.parametrize("payvand_plugins", [[RaisingPanelPlugin(), PanelPlugin()]])
def test_a_raising_panel_plugin_does_not_break_the_page(web, make_customer, payvand_plugins):
    customer = make_customer()
    page = web.get(f"/customers/{customer.id}")
    assert page.status_code == 200
    assert "Loyalty points" in page.text and customer.display_name in page.text


def test_key_figures_count_per_channel_and_recent(web, make_customer, make_interaction):
    customer = make_customer()
    now = dt.datetime.now(UTC)
    make_interaction(customer.id, channel="phone", occurred_at=now - dt.timedelta(days=400))
    make_interaction(customer.id, channel="phone", occurred_at=now - dt.timedelta(days=10))
    make_interaction(customer.id, channel="email", occurred_at=now - dt.timedelta(days=1))
    html = web.get(f"/customers/{customer.id}").text
    assert 'id="figure-total">3<' in html and 'id="figure-recent">2<' in html
    channels = re.search(r'id="figure-channels">(.*?)</ul>', html, re.S).group(1)
    assert re.search(r'data-channel="phone">Phone: <strong>2</strong>', channels)
    assert re.search(r'data-channel="email">Email: <strong>1</strong>', channels)


def test_key_figures_are_capped_for_huge_histories(web, make_customer, runtime, monkeypatch):
    from payvand.core.web.pages import customer as page_module

    monkeypatch.setattr(page_module, "FIGURES_CAP", 20)
    customer = make_customer()
    bulk(runtime, customer.id, 30)
    html = web.get(f"/customers/{customer.id}").text
    assert 'id="figure-total">20+<' in html
    assert "Jan 1, 2024" in html  # the first interaction's date is exact all the same


def test_the_page_runs_the_same_small_number_of_queries_whatever_the_history(web, make_customer, runtime, count_queries):
    small = make_customer(emails=["a@example.com"], tags=["x"])
    large = make_customer(emails=["b@example.com"], tags=["y"])
    bulk(runtime, small.id, 1)
    bulk(runtime, large.id, 300, channels=("phone", "email", "web", "chat"))
    web.get(f"/customers/{small.id}")  # warm up
    counts = []
    for customer in (small, large):
        with count_queries() as queries:
            assert web.get(f"/customers/{customer.id}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 14, counts
    with count_queries() as queries:
        assert web.get(f"/customers/{large.id}/timeline?channel=phone").status_code == 200
    assert len(queries) <= 6, len(queries)


def test_the_page_in_persian_uses_jalali_dates_and_persian_digits(web, make_customer, make_interaction):
    web.post("/account/locale", {"locale": "fa", "next": "/"})
    customer = make_customer(phones=["+989121234567"], birthday="1990-05-17")
    make_interaction(customer.id, occurred_at=dt.datetime(2024, 8, 2, 11, tzinfo=UTC))
    html = web.get(f"/customers/{customer.id}").text
    assert '<html lang="fa" dir="rtl">' in html
    assert "+۹۸۹۱۲۱۲۳۴۵۶۷" in html  # the phone with Persian digits, in an ltr run
    assert "۱۳۶۹" in html  # the birthday's Jalali year (1990-05-17 is 1369/02/27)
    assert "۱۴۰۳" in html  # the interaction's Jalali year


def test_amounts_follow_the_locale_and_the_rial_or_toman_setting(web, make_customer, make_interaction, runtime):
    from decimal import Decimal

    from payvand.core.models import Setting

    customer = make_customer(given_name="Parisa")
    make_interaction(customer.id, kind="core.call", summary="Order by phone", value=Decimal("12500000"), currency="IRR")
    assert "12,500,000 rials" in web.get(f"/customers/{customer.id}").text
    with runtime.sessionmaker.begin() as session:
        session.add(Setting(key="core.money_display", value="toman"))
    assert "1,250,000 tomans" in web.get(f"/customers/{customer.id}").text
    web.post("/account/locale", {"locale": "fa"})
    assert "۱٬۲۵۰٬۰۰۰ تومان" in web.get(f"/customers/{customer.id}").text
