"""The staff customer list (search, filters, sort, pages), the create and edit forms, tags and consent."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.models import AuditLog, Customer, CustomerConsent

VIEW = perm.CUSTOMER_VIEW
EDIT = perm.CUSTOMER_EDIT
_ROW = re.compile(r'data-customer-id="(\d+)"')
_NEXT = re.compile(r'id="next-page" href="([^"]+)"')


@pytest.fixture
def payvand_config():
    """No periodic plugin-generation check during a test, so query counts do not depend on timing."""
    return {"PAYVAND_PLUGIN_REFRESH_SECONDS": 3600}


def listed(web, query=""):
    """The customer ids on a list page, in page order, and the page itself."""
    page = web.get("/customers" + query)
    assert page.status_code == 200, page.text
    return [int(i) for i in _ROW.findall(page.text)], page


def ids_for(web, query):
    return sorted(listed(web, query)[0])


@pytest.fixture
def corpus(make_customer):
    """Customers with Persian and English names, emails and phones, by given name."""
    people = [
        {"given_name": "علی", "family_name": "رضایی", "emails": ["ali.rezaei@example.com"], "phones": ["09123456789"],
         "tags": ["vip"], "lifecycle_stage": "lead"},
        {"given_name": "کاوه", "family_name": "کریمی", "emails": ["kaveh@karimi.ir"], "phones": ["09351112233"],
         "lifecycle_stage": "customer"},
        {"given_name": "Sara", "family_name": "Karimi", "emails": ["sara.k@example.com"], "phones": ["09129998877"],
         "tags": ["vip", "tehran"], "lifecycle_stage": "customer"},
    ]
    return {p["given_name"]: make_customer(**p).id for p in people}


# --------------------------------------------------------------------------- list


def test_list_shows_customers_newest_first_with_their_contacts(web, corpus):
    ids, page = listed(web)
    assert ids == [corpus["Sara"], corpus["کاوه"], corpus["علی"]]
    assert "sara.k@example.com" in page.text and 'id="customer-filters"' in page.text


def test_search_by_phone_typed_with_persian_digits(web, corpus):
    assert ids_for(web, "?q=۰۹۱۲۳۴۵") == [corpus["علی"]]
    assert ids_for(web, "?q=%2B98 912") == sorted([corpus["علی"], corpus["Sara"]])


def test_search_by_persian_name_in_either_order_and_arabic_letters(web, corpus):
    assert ids_for(web, "?q=علی رضا") == [corpus["علی"]]
    assert ids_for(web, "?q=رضایی") == [corpus["علی"]]
    assert ids_for(web, "?q=كاوه") == [corpus["کاوه"]]


def test_search_by_email_prefix(web, corpus):
    assert ids_for(web, "?q=kaveh@") == [corpus["کاوه"]]
    assert ids_for(web, "?q=SARA.K@example.com") == [corpus["Sara"]]


def test_one_letter_name_query_asks_for_two_letters_without_searching(web, corpus, count_queries):
    web.get("/customers")
    with count_queries() as all_rows:
        web.get("/customers")
    with count_queries() as hinted:
        page = web.get("/customers?q=S")
    assert page.status_code == 200
    assert 'id="customer-search-hint"' in page.text and _ROW.findall(page.text) == []
    assert len(hinted) < len(all_rows)


def test_filter_by_tag(web, corpus):
    assert ids_for(web, "?tag=vip") == sorted([corpus["علی"], corpus["Sara"]])
    assert ids_for(web, "?tag=tehran") == [corpus["Sara"]]


def test_filter_by_stage(web, corpus):
    assert ids_for(web, "?stage=customer") == sorted([corpus["کاوه"], corpus["Sara"]])
    assert ids_for(web, "?stage=lead&tag=vip") == [corpus["علی"]]


def test_filter_by_owner_lists_active_users_in_the_select(web, make_customer, make_user):
    owner = make_user(name="Owner Person")
    owned = make_customer(given_name="Owned", owner_id=owner.id).id
    make_customer(given_name="Free")
    ids, page = listed(web, f"?owner_id={owner.id}")
    assert ids == [owned]
    assert f'<option value="{owner.id}" selected>\u2068Owner Person\u2069</option>' in page.text


def test_filter_by_current_consent_ignores_withdrawn_grants(web, make_customer, runtime):
    granted = make_customer(given_name="Yes", consents=[{"channel": "email", "granted": True}]).id
    withdrawn = make_customer(given_name="No", consents=[{"channel": "email", "granted": True}]).id
    make_customer(given_name="Sms", consents=[{"channel": "sms", "granted": True}])
    make_customer(given_name="None")
    web.post(f"/customers/{withdrawn}/consents", {"channel": "email", "purpose": "marketing", "granted": "0"})
    assert ids_for(web, "?consent=email") == [granted]


@pytest.mark.parametrize("rare_grants", [5000, 1], ids=["starting-from-grants", "walking-the-list"])
def test_consent_filter_gives_the_same_rows_whether_grants_are_rare_or_common(web, make_customer, monkeypatch, rare_grants):
    from payvand.core.services import customer_list

    monkeypatch.setattr(customer_list, "RARE_GRANTS", rare_grants)
    wanted = [make_customer(given_name=f"G{i}", consents=[{"channel": "sms", "granted": True}]).id for i in range(3)]
    make_customer(given_name="Never")
    withdrawn = make_customer(given_name="Gone", consents=[{"channel": "sms", "granted": True}]).id
    web.post(f"/customers/{withdrawn}/consents", {"channel": "sms", "purpose": "marketing", "granted": "0"})
    assert ids_for(web, "?consent=sms") == sorted(wanted)
    assert ids_for(web, "?consent=telegram") == []


def test_api_list_has_the_consent_filter_too(api, make_customer):
    granted = make_customer(consents=[{"channel": "sms", "granted": True}]).id
    make_customer(consents=[{"channel": "sms", "granted": False}])
    response = api.get("customers", query_string={"consent": "sms"})
    assert [c["id"] for c in response.json["items"]] == [granted]


def test_sort_by_name_both_ways_and_oldest_first(web, make_customer):
    b = make_customer(given_name="Bahar", family_name="X").id
    a = make_customer(given_name="Arash", family_name="X").id
    c = make_customer(given_name="Cyrus", family_name="X").id
    assert listed(web, "?sort=name")[0] == [a, b, c]
    assert listed(web, "?sort=-name")[0] == [c, b, a]
    assert listed(web, "?sort=id")[0] == [b, a, c]
    assert listed(web, "?sort=-id")[0] == [c, a, b]


def test_bad_filter_value_is_shown_as_an_error_not_a_crash(web):
    page = web.get("/customers?stage=nonsense")
    assert page.status_code == 400 and 'id="f-stage-error"' in page.text
    assert web.get("/customers?cursor=garbage").status_code == 400


@pytest.mark.parametrize("sort", ["-id", "name"])
def test_pages_of_fifty_cover_every_customer_once(web, make_customer, sort):
    made = {make_customer(given_name=f"N{i:03d}").id for i in range(120)}
    seen: list[int] = []
    ids, page = listed(web, f"?sort={sort}")
    pages = 1
    while True:
        seen.extend(ids)
        found = _NEXT.search(page.text)
        if not found:
            break
        assert 'id="first-page"' in page.text or pages == 1
        ids, page = listed(web, found.group(1).replace("&amp;", "&").removeprefix("/customers"))
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 120 and set(seen) == made
    assert 'id="first-page"' in page.text


def test_list_runs_the_same_number_of_queries_for_3_and_60_customers(web, make_customer, count_queries):
    for i in range(3):
        make_customer(
            given_name=f"A{i}", tags=["t"], emails=[f"a{i}@example.com"], consents=[{"channel": "sms", "granted": True}]
        )
    web.get("/customers")
    with count_queries() as few:
        assert web.get("/customers?tag=t&consent=sms").status_code == 200
    for i in range(57):
        make_customer(
            given_name=f"B{i}", tags=["t"], emails=[f"b{i}@example.com"], consents=[{"channel": "sms", "granted": True}]
        )
    with count_queries() as many:
        page = web.get("/customers?tag=t&consent=sms")
    assert len(_ROW.findall(page.text)) == 50
    assert len(few) == len(many), [s[:80] for s in many]


# --------------------------------------------------------------------------- permissions and CSRF


def test_pages_need_the_view_or_edit_permission(web_as, make_customer):
    customer = make_customer().id
    nobody = web_as([])
    for path in ("/customers", f"/customers/{customer}/consents", "/customers/new", f"/customers/{customer}/edit"):
        assert nobody.get(path).status_code == 403, path
    viewer = web_as([VIEW])
    assert viewer.get("/customers").status_code == 200
    assert viewer.get(f"/customers/{customer}/consents").status_code == 200
    assert 'id="new-customer"' not in viewer.get("/customers").text
    assert viewer.get("/customers/new").status_code == 403
    assert viewer.get(f"/customers/{customer}/edit").status_code == 403
    assert viewer.post("/customers/new", {"family_name": "X"}).status_code == 403
    assert viewer.post(f"/customers/{customer}/tags", {"action": "add", "tag": "x"}).status_code == 403
    assert viewer.post(f"/customers/{customer}/consents", {"channel": "sms", "granted": "1"}).status_code == 403
    editor = web_as([VIEW, EDIT])
    assert editor.get("/customers/new").status_code == 200


def test_anonymous_visitors_are_sent_to_the_login_page(client, make_customer):
    customer = make_customer().id
    for path in ("/customers", "/customers/new", f"/customers/{customer}/edit", f"/customers/{customer}/consents"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def test_posts_without_the_csrf_token_are_refused(web, make_customer):
    customer = make_customer().id
    assert web.post("/customers/new", {"family_name": "X"}, csrf=False).status_code == 400
    assert web.post(f"/customers/{customer}/tags", {"tag": "x"}, csrf=False).status_code == 400
    assert web.post(f"/customers/{customer}/consents", {"channel": "sms", "granted": "1"}, csrf=False).status_code == 400


# --------------------------------------------------------------------------- create


def test_create_shows_each_error_next_to_its_field(web, db_session):
    nameless = web.post("/customers/new", {"kind": "person", "birthday": "1370/13/40", "lifecycle_stage": "lead"})
    assert nameless.status_code == 422
    for name in ("family_name", "birthday"):
        assert f'id="f-{name}-error"' in nameless.text, name
    response = web.post("/customers/new", {"kind": "person", "family_name": "Karimi", "emails": "not-an-email\nok@example.com",
                                           "phones": "12", "lifecycle_stage": "lead"})
    assert response.status_code == 422
    for name in ("emails", "phones"):
        assert f'id="f-{name}-error"' in response.text, name
    assert "ok@example.com" in response.text and 'value="Karimi"' in response.text  # the typed values are kept
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_create_with_persian_input_and_jalali_birthday_goes_to_the_360_page(web_as, db_session, make_user):
    owner = make_user(name="Maryam")
    web = web_as([VIEW, EDIT])
    web.post("/account/locale", {"locale": "fa", "next": "/"})
    response = web.post("/customers/new", {
        "kind": "person", "given_name": "علي", "family_name": "رضایی", "emails": "Ali@Example.com",
        "phones": "۰۹۱۲ ۳۴۵ ۶۷۸۹\n09351112233", "birthday": "۱۳۷۰/۰۵/۱۲", "lifecycle_stage": "lead",
        "owner_id": str(owner.id), "tags": "vip, tehran",
    })
    assert response.status_code == 302, response.text
    customer = db_session.scalars(sa.select(Customer)).one()
    assert response.headers["Location"] == f"/customers/{customer.id}"
    assert (customer.given_name, customer.display_name) == ("علی", "علی رضایی")
    assert customer.birthday.isoformat() == "1991-08-03"
    assert [p.number for p in customer.phones] == ["+989123456789", "+989351112233"]
    assert customer.primary_email == "ali@example.com" and customer.owner_id == owner.id
    assert customer.tag_names == ["tehran", "vip"]
    entry = db_session.scalars(
        sa.select(AuditLog).where(AuditLog.object_type == "customer", AuditLog.object_id == str(customer.id))
    ).one()
    assert entry.actor_id == web.user_id


def test_create_accepts_a_gregorian_birthday_in_english(web, db_session):
    web.post("/account/locale", {"locale": "en", "next": "/"})
    response = web.post("/customers/new", {"kind": "organization", "organization_name": "Acme", "birthday": "1991-08-03"})
    assert response.status_code == 302
    customer = db_session.scalars(sa.select(Customer)).one()
    assert (customer.kind, customer.display_name, str(customer.birthday)) == ("organization", "Acme", "1991-08-03")


def test_create_refuses_an_unknown_owner(web):
    response = web.post("/customers/new", {"family_name": "X", "owner_id": "999999"})
    assert response.status_code == 422 and 'id="f-owner_id-error"' in response.text


# --------------------------------------------------------------------------- edit


def test_edit_form_is_filled_and_saves_changes(web, make_customer, db_session):
    customer = make_customer(given_name="Sara", family_name="Karimi", emails=["s@example.com"], birthday="1991-08-03")
    web.post("/account/locale", {"locale": "en", "next": "/"})
    form = web.get(f"/customers/{customer.id}/edit").text
    assert 'value="Sara"' in form and "s@example.com" in form and 'value="1991-08-03"' in form
    assert f'name="version" id="f-version" value="{customer.version}"' in form
    response = web.post(f"/customers/{customer.id}/edit", {
        "version": str(customer.version), "kind": "person", "given_name": "", "family_name": "Ahmadi",
        "emails": "", "phones": "09121111111", "birthday": "", "lifecycle_stage": "loyal"})
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{customer.id}"
    saved = db_session.get(Customer, customer.id)
    assert (saved.display_name, saved.emails, saved.birthday, saved.lifecycle_stage) == ("Ahmadi", [], None, "loyal")
    assert saved.version == customer.version + 1


def test_edit_with_a_stale_version_shows_a_message_and_keeps_the_input(web, make_customer, db_session):
    customer = make_customer(given_name="Sara", family_name="Karimi")
    web.post(f"/customers/{customer.id}/tags", {"action": "add", "tag": "moved"})  # someone else's change
    response = web.post(f"/customers/{customer.id}/edit", {
        "version": str(customer.version), "kind": "person", "family_name": "Mine", "lifecycle_stage": "lead"})
    assert response.status_code == 409
    assert 'id="customer-stale"' in response.text and 'value="Mine"' in response.text
    assert db_session.get(Customer, customer.id).family_name == "Karimi"


def test_edit_that_removes_every_name_is_refused_on_the_field(web, make_customer):
    customer = make_customer(given_name="Sara", family_name="Karimi")
    response = web.post(f"/customers/{customer.id}/edit", {
        "version": str(customer.version), "kind": "person", "given_name": "", "family_name": ""})
    assert response.status_code == 422 and 'id="f-family_name-error"' in response.text


def test_edit_of_a_missing_customer_is_404(web):
    assert web.get("/customers/999999/edit").status_code == 404


# --------------------------------------------------------------------------- tags


def test_tags_are_added_and_removed(web, make_customer, db_session):
    customer = make_customer(tags=["old"])
    assert web.post(f"/customers/{customer.id}/tags", {"action": "add", "tag": "VIP مشتری"}).status_code == 302
    fragment = web.post(f"/customers/{customer.id}/tags", {"action": "remove", "tag": "old"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and f'id="customer-tags-{customer.id}"' in fragment.text
    assert "VIP مشتری" in fragment.text and 'data-tag="old"' not in fragment.text
    assert db_session.get(Customer, customer.id).tag_names == ["VIP مشتری"]


def test_a_too_long_tag_is_refused_with_a_message(web, make_customer):
    customer = make_customer()
    fragment = web.post(f"/customers/{customer.id}/tags", {"action": "add", "tag": "x" * 65}, headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and f'id="tag-add-{customer.id}-error"' in fragment.text


# --------------------------------------------------------------------------- consent


def test_consent_grant_and_withdrawal_are_recorded_with_their_history(web, make_customer, db_session):
    customer = make_customer()
    response = web.post(f"/customers/{customer.id}/consents", {"channel": "sms", "purpose": "marketing", "granted": "1"})
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{customer.id}/consents"
    fragment = web.post(f"/customers/{customer.id}/consents", {"channel": "sms", "granted": "0"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'data-granted="no"' in fragment.text
    rows = db_session.scalars(sa.select(CustomerConsent).order_by(CustomerConsent.id)).all()
    assert [(r.channel, r.purpose, r.granted, r.source) for r in rows] == [
        ("sms", "marketing", True, "staff UI"), ("sms", "marketing", False, "staff UI")]
    page = web.get(f"/customers/{customer.id}/consents")
    assert page.status_code == 200 and page.text.count("<tr>") == 3  # header + two decisions


def test_consent_for_an_unknown_channel_is_refused_on_the_field(web, make_customer):
    customer = make_customer()
    response = web.post(f"/customers/{customer.id}/consents", {"channel": "pigeon", "granted": "1"})
    assert response.status_code == 422 and 'id="f-channel-error"' in response.text


def test_consent_pages_run_a_constant_number_of_queries(web, make_customer, count_queries):
    customer = make_customer()
    web.get(f"/customers/{customer.id}/consents")
    with count_queries() as few:
        web.get(f"/customers/{customer.id}/consents")
    for granted in (True, False) * 10:
        web.post(f"/customers/{customer.id}/consents", {"channel": "sms", "granted": "1" if granted else "0"},
                 headers={"HX-Request": "true"})
    with count_queries() as many:
        web.get(f"/customers/{customer.id}/consents")
    assert len(few) == len(many)


# --------------------------------------------------------------------------- plugin fields


class TestPluginFields:
    """Custom fields declared by a plugin appear on the form and are validated like the API's."""

    @pytest.fixture
    def payvand_plugins(self):
        from tests.api.plugin import ApiTestPlugin

        return [ApiTestPlugin()]

    def test_custom_fields_are_shown_saved_and_checked(self, web, db_session):
        form = web.get("/customers/new").text
        for name in ("apitest.tier", "apitest.score", "apitest.vip", "apitest.since"):
            assert f'id="f-attr.{name}"' in form, name
        bad = web.post("/customers/new", {"family_name": "K", "attr.apitest.tier": "bronze", "attr.apitest.score": "many"})
        assert bad.status_code == 422
        assert 'id="f-attr.apitest.tier-error"' in bad.text and 'id="f-attr.apitest.score-error"' in bad.text
        good = web.post("/customers/new", {"family_name": "K", "attr.apitest.tier": "gold", "attr.apitest.score": "۱۲",
                                           "attr.apitest.vip": "1", "attr.apitest.since": "2020-01-02"})
        assert good.status_code == 302, good.text
        customer = db_session.scalars(sa.select(Customer)).one()
        assert customer.attributes == {"apitest.tier": "gold", "apitest.score": 12, "apitest.vip": True,
                                       "apitest.since": "2020-01-02"}
