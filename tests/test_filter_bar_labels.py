"""Every list page's filter bar speaks the reader's language: in Persian no filter is labelled with
its query parameter (`team_id`) and no choice with its stored value (`urgent`)."""

from __future__ import annotations

import re
from typing import Any

import pytest

import payvand.plugins.analytics as analytics
import payvand.plugins.sales as sales
import payvand.plugins.service as service

#: The pages drawing a list kit's filter bar (`macros/list.html`'s `filter_bar`), by the form's id.
PAGES = {"/service/tickets": "tickets-filter", "/sales/quotes": "quotes-filter", "/sales/orders": "orders-filter",
         "/sales/invoices": "invoices-filter", "/analytics/costs": "costs-filter"}


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [sales, service, analytics]


def test_filter_bars_have_persian_labels_and_choices(web_as: Any, subtests: Any) -> None:
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": "fa"})
    for path, form_id in PAGES.items():
        with subtests.test(path=path):
            page = web.get(path)
            assert page.status_code == 200
            form = page.get_data(as_text=True).split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
            shown = re.findall(r"<label[^>]*>(.*?)</label>|<option[^>]*>(.*?)</option>", form, re.S)
            texts = [text.strip() for pair in shown for text in pair if text.strip()]
            assert texts and [t for t in texts if re.search("[A-Za-z]", t)] == [], (path, texts)
