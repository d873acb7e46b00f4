"""The duplicates pages: candidate pairs, comparison with a merge preview, merge, undo."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.models import Customer, CustomerMerge, Interaction
from payvand.sdk import PluginError, PluginMeta, hookimpl


class MergeGuard:
    """A plugin that takes part in merges and refuses them when `veto` is set."""

    meta = PluginMeta(name="mergeguard", version="1.0", title="Merge guard")

    def __init__(self) -> None:
        self.veto = False

    @hookimpl
    def payvand_customer_merge(self, target: Any, source: Any) -> None:
        if self.veto:
            raise PluginError("Customer has an open dispute; resolve it before merging.")


@pytest.fixture
def guard() -> MergeGuard:
    return MergeGuard()


@pytest.fixture
def payvand_plugins(guard: MergeGuard) -> list[Any]:
    return [guard]


@pytest.fixture
def web(web_as: Any) -> Any:
    """A superuser who reads the pages in English."""
    client = web_as(superuser=True)
    client.post("/account/locale", {"locale": "en", "next": "/"})
    return client


def expected_customer_url(app: Any, customer_id: int) -> str:
    from payvand.core.web.pages.duplicates import customer_url

    with app.test_request_context():
        return customer_url(customer_id)


def moved(page: str, what: str) -> int:
    found = re.search(rf'id="moves-{what}">[^<]*<strong>(\d+)</strong>', page)
    assert found, f"no count of {what} on the page"
    return int(found.group(1))


@pytest.fixture
def twins(make_customer: Any, make_interaction: Any) -> tuple[Any, Any]:
    """Two records of one person: the second has three interactions, an address, consents and a tag."""
    target = make_customer(given_name="Sara", family_name="Karimi", emails=["sara@example.com"], phones=["09121111111"])
    source = make_customer(given_name="Sara", family_name="Karimi", emails=["sara@example.com", "sk@work.example"],
                           phones=["09121111111"], tags=["vip"], birthday="1990-05-01",
                           addresses=[{"line1": "Valiasr 12", "city": "Tehran", "country": "IR"}],
                           consents=[{"channel": "sms", "granted": True}, {"channel": "email", "granted": False}])
    for n in range(3):
        make_interaction(source.id, summary=f"Call {n}")
    return target, source


def test_the_list_shows_pairs_with_reasons_and_a_compare_link(web, twins):
    target, source = twins
    page = web.get("/duplicates")
    assert page.status_code == 200
    assert f'id="pair-{target.id}-{source.id}"' in page.text
    assert "sara@example.com" in page.text and "+989121111111" in page.text
    assert "Similar names 100%" in page.text
    assert f'href="/duplicates/compare?target={target.id}&amp;source={source.id}"' in page.text


def test_the_list_in_persian_uses_persian_digits_and_labels(web, twins):
    target, source = twins
    web.post("/account/locale", {"locale": "fa", "next": "/"})
    page = web.get("/duplicates").text
    assert 'dir="rtl"' in page
    assert "+۹۸۹۱۲۱۱۱۱۱۱۱" in page and f"#{str(target.id).translate(str.maketrans('0123456789', '۰۱۲۳۴۵۶۷۸۹'))}" in page


def test_every_string_of_the_duplicates_pages_has_a_persian_translation():
    import json
    from pathlib import Path

    from babel.messages.extract import extract_from_file

    core = Path(__file__).resolve().parents[2] / "core"
    parts = json.loads((core / "translations" / "parts" / "duplicates.json").read_text(encoding="utf-8"))
    keywords = {"_": None, "_l": None}
    found = {m[1] for m in extract_from_file("python", core / "web" / "pages" / "duplicates.py", keywords=keywords)}
    for template in (core / "templates" / "duplicates").glob("*.html"):
        found |= {m[1] for m in extract_from_file("jinja2.ext:babel_extract", template, keywords=keywords,
                                                  options={"trimmed": "true"})}
    assert len(found) > 40
    assert sorted(found - set(parts)) == []
    assert all("ي" not in text and "ك" not in text for text in parts.values())


def test_the_list_filters_by_reason(web, make_customer):
    a = make_customer(given_name="Sara", family_name="Karimi", emails=["sara@example.com"])
    b = make_customer(given_name="Babak", family_name="Ahmadi", emails=["sara@example.com"])
    c = make_customer(given_name="Nima", family_name="Tehrani", phones=["09121111111"])
    d = make_customer(given_name="Leila", family_name="Moradi", phones=["۰۹۱۲۱۱۱۱۱۱۱"])
    phones = web.get("/duplicates?reason=phone").text
    assert f'id="pair-{c.id}-{d.id}"' in phones and f'id="pair-{a.id}-{b.id}"' not in phones
    emails = web.get("/duplicates?reason=email").text
    assert f'id="pair-{a.id}-{b.id}"' in emails and f'id="pair-{c.id}-{d.id}"' not in emails
    assert 'id="duplicates-empty"' in web.get("/duplicates?reason=name").text


def test_a_tampered_cursor_shows_the_first_page(web, twins):
    page = web.get("/duplicates?cursor=garbage")
    assert page.status_code == 200
    assert "no longer valid" in page.text and 'class="duplicate-pair"' in page.text


def test_the_comparison_previews_what_moves(web, twins):
    target, source = twins
    page = web.get(f"/duplicates/compare?target={target.id}&source={source.id}")
    assert page.status_code == 200
    text = page.text
    assert moved(text, "interactions") == 3
    assert moved(text, "emails") == 1 and "sk@work.example" in text  # the shared one stays behind
    assert moved(text, "phones") == 0
    assert moved(text, "addresses") == 1
    assert moved(text, "tags") == 1
    assert moved(text, "consents") == 2
    assert 'id="moves-filled"' in text and "Birthday" in text
    assert 'id="moves-plugins"' in text and "Merge guard" in text
    assert f'href="/duplicates/compare?target={source.id}&amp;source={target.id}"' in text  # swap
    assert 'id="merge-form"' in text and "data-confirm=" in text


def test_comparing_an_unknown_customer_is_404(web, twins):
    target, _ = twins
    assert web.get(f"/duplicates/compare?target={target.id}&source=999999").status_code == 404
    assert web.get(f"/duplicates/compare?target={target.id}&source=abc").status_code == 404


def test_merge_moves_the_history_hides_the_source_and_offers_undo(app, web, twins, db_session):
    target, source = twins
    response = web.post("/duplicates/merge", {"target_id": target.id, "source_id": source.id})
    assert response.status_code == 302
    assert response.headers["Location"] == expected_customer_url(app, target.id)
    db_session.expire_all()
    assert db_session.get(Customer, source.id).merged_into_id == target.id
    assert db_session.scalar(sa.select(sa.func.count()).where(Interaction.customer_id == target.id)) == 3
    merge = db_session.scalars(sa.select(CustomerMerge)).one()
    listing = web.get("/duplicates").text  # the flash with its Undo button, and the pair gone
    assert 'id="flash-undo-form"' in listing and f'action="/duplicates/merges/{merge.id}/undo"' in listing
    assert f'id="pair-{target.id}-{source.id}"' not in listing


def test_undo_restores_the_merged_customer(web, twins, db_session):
    target, source = twins
    web.post("/duplicates/merge", {"target_id": target.id, "source_id": source.id})
    merge = db_session.scalars(sa.select(CustomerMerge)).one()
    response = web.post(f"/duplicates/merges/{merge.id}/undo")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/duplicates/compare?target={target.id}&source={source.id}"
    db_session.expire_all()
    assert db_session.get(Customer, source.id).merged_into_id is None
    assert db_session.scalar(sa.select(sa.func.count()).where(Interaction.customer_id == source.id)) == 3
    again = web.post(f"/duplicates/merges/{merge.id}/undo")
    assert "already undone" in web.get(again.headers["Location"]).text
    assert web.post("/duplicates/merges/999999/undo").status_code == 404


def test_a_plugin_veto_is_shown_and_nothing_moves(web, twins, guard, db_session):
    target, source = twins
    guard.veto = True
    response = web.post("/duplicates/merge", {"target_id": target.id, "source_id": source.id})
    assert response.status_code == 409
    assert 'id="merge-error"' in response.text and "open dispute" in response.text
    db_session.expire_all()
    assert db_session.get(Customer, source.id).merged_into_id is None
    assert db_session.scalar(sa.select(sa.func.count()).where(Interaction.customer_id == source.id)) == 3


def test_merging_a_customer_into_itself_or_an_already_merged_one_is_refused(web, twins):
    target, source = twins
    itself = web.post("/duplicates/merge", {"target_id": target.id, "source_id": target.id})
    assert itself.status_code == 409 and "cannot be merged into itself" in itself.text
    web.post("/duplicates/merge", {"target_id": target.id, "source_id": source.id})
    twice = web.post("/duplicates/merge", {"target_id": target.id, "source_id": source.id})
    assert twice.status_code == 409 and "already merged" in twice.text
    page = web.get(f"/duplicates/compare?target={target.id}&source={source.id}")
    assert "already merged" in page.text and 'id="merge-button"' not in page.text


def test_a_merge_form_without_ids_is_422(web):
    assert web.post("/duplicates/merge", {"target_id": "x"}).status_code == 422


def test_a_merge_without_the_csrf_token_is_400(web, twins, db_session):
    target, source = twins
    form = {"target_id": target.id, "source_id": source.id}
    assert web.post("/duplicates/merge", form, csrf=False).status_code == 400
    db_session.expire_all()
    assert db_session.get(Customer, source.id).merged_into_id is None


def test_pages_need_the_merge_and_view_permissions(web_as, twins):
    target, source = twins
    compare = f"/duplicates/compare?target={target.id}&source={source.id}"
    viewer = web_as([perm.CUSTOMER_VIEW])
    merger_only = web_as([perm.CUSTOMER_MERGE])
    staff = web_as([perm.CUSTOMER_VIEW, perm.CUSTOMER_MERGE])
    for path in ("/duplicates", compare):
        assert viewer.get(path).status_code == 403
        assert merger_only.get(path).status_code == 403
        assert staff.get(path).status_code == 200
    assert viewer.post("/duplicates/merge", {"target_id": target.id, "source_id": source.id}).status_code == 403
    assert viewer.post("/duplicates/merges/1/undo").status_code == 403
    assert staff.post("/duplicates/merge", {"target_id": target.id, "source_id": source.id}).status_code == 302


def test_anonymous_visitors_are_sent_to_the_login_page(client, twins):
    target, source = twins
    for path in ("/duplicates", f"/duplicates/compare?target={target.id}&source={source.id}"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_list_runs_the_same_number_of_queries_for_few_and_many_pairs(web, make_customer, count_queries):
    def add_pairs(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_customer(given_name=f"E{i}", family_name="Alpha", emails=[f"e{i}@example.com"])
            make_customer(given_name=f"Q{i}", family_name="Beta", emails=[f"e{i}@example.com"])
            make_customer(given_name=f"P{i}", family_name="Gamma", phones=[f"0912{i:07d}"])
            make_customer(given_name=f"R{i}", family_name="Delta", phones=[f"0912{i:07d}"])

    add_pairs(1, 0)
    web.get("/duplicates")
    with count_queries() as few:
        assert web.get("/duplicates").status_code == 200
    add_pairs(8, 1)
    web.get("/duplicates")  # caches (settings) warm again, as for the first count
    with count_queries() as many:
        page = web.get("/duplicates")
    assert page.text.count('class="duplicate-pair"') >= 18
    assert len(many) == len(few)


def test_the_comparison_runs_the_same_number_of_queries_whatever_the_history(web, twins, make_interaction,
                                                                             count_queries):
    target, source = twins
    path = f"/duplicates/compare?target={target.id}&source={source.id}"
    web.get(path)
    with count_queries() as few:
        web.get(path)
    for n in range(20):
        make_interaction(source.id, summary=f"More {n}")
    web.get(path)
    with count_queries() as many:
        page = web.get(path)
    assert moved(page.text, "interactions") == 23
    assert len(many) == len(few)


def test_the_360_page_loads_a_customers_likely_duplicates(web, web_as, make_customer):
    ali = make_customer(given_name="Ali", family_name="Rezaei", emails=["ali@example.com"])
    twin = make_customer(given_name="Ali", family_name="Rezayi", emails=["ali@example.com"])
    page = web.get(f"/customers/{ali.id}").text
    assert f'hx-get="/duplicates/of/{ali.id}"' in page
    fragment = web.get(f"/duplicates/of/{ali.id}")
    assert fragment.status_code == 200
    assert f'data-customer-id="{twin.id}"' in fragment.text and "ali@example.com" in fragment.text
    assert f"/duplicates/compare?target={ali.id}&amp;source={twin.id}" in fragment.text
    viewer = web_as(["core.customer.view"])
    assert "possible-duplicates" not in viewer.get(f"/customers/{ali.id}").text
    assert viewer.get(f"/duplicates/of/{ali.id}").status_code == 403
