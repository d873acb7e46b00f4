"""Customer search (`q`), filters and cursor pagination of `GET /api/v1/customers`."""

from __future__ import annotations

import pytest

CORPUS = [
    {"given_name": "علی", "family_name": "رضایی", "emails": ["ali.rezaei@example.com"], "phones": ["09123456789"]},
    {"given_name": "کاوه", "family_name": "کریمی", "emails": ["kaveh@karimi.ir"], "phones": ["09351112233"]},
    {"given_name": "Sara", "family_name": "Karimi", "emails": ["sara.k@example.com"], "phones": ["+44 20 7946 0958"]},
    {"given_name": "Reza", "family_name": "Alavi", "emails": ["reza@example.org"], "phones": ["09129998877"]},
]


@pytest.fixture
def corpus(make_customer):
    """Four customers with Persian and English names, emails and phones, by given name."""
    return {fields["given_name"]: make_customer(**fields).id for fields in CORPUS}


def ids(api, **query):
    response = api.get("customers", query_string=query)
    assert response.status_code == 200, response.json
    return sorted(c["id"] for c in response.json["items"])


def test_persian_name_typed_with_arabic_letters_is_found(api, corpus, subtests):
    for q, name in (("علي", "علی"), ("علي رضائي", "علی"), ("كاوه", "کاوه"), ("كريمي", "کاوه"), ("عَلی", "علی")):
        with subtests.test(q=q):
            assert ids(api, q=q) == ([corpus[name]] if name else [])


def test_name_is_found_by_family_name_and_by_any_prefix(api, corpus, subtests):
    for q, names in (("رضایی", ["علی"]), ("رضایی عل", ["علی"]), ("کری", ["کاوه"]), ("karimi", ["Sara"]),
                     ("KARIMI sa", ["Sara"]), ("sa", ["Sara"]), ("re", ["Reza"]), ("alavi reza", ["Reza"]),
                     ("zzz", [])):
        with subtests.test(q=q):
            assert ids(api, q=q) == sorted(corpus[n] for n in names)


def test_email_prefix_finds_the_customer_case_insensitively(api, corpus, subtests):
    for q, names in (("sara.k@", ["Sara"]), ("SARA.K@EXA", ["Sara"]), ("ali.rezaei@example.com", ["علی"]),
                     ("reza@", ["Reza"]), ("@example", []), ("nobody@example.com", [])):
        with subtests.test(q=q):
            assert ids(api, q=q) == sorted(corpus[n] for n in names)


def test_phone_is_found_in_any_form(api, corpus, subtests):
    ali = [corpus["علی"]]
    for q in ("09123456789", "0912 345", "0912-345-67", "+98912345", "+98 912 345 6789", "00989123456",
              "9123456789", "912345", "۰۹۱۲۳۴۵", "٠٩١٢٣٤٥٦٧٨٩", "(0912) 345"):
        with subtests.test(q=q):
            assert ids(api, q=q) == ali
    with subtests.test(q="foreign number"):
        assert ids(api, q="+44 20 7946") == [corpus["Sara"]]
    with subtests.test(q="two customers share a prefix"):
        assert ids(api, q="0912") == []  # four digits is a name search, not a phone
        assert ids(api, q="09129") == [corpus["Reza"]]
        assert ids(api, q="+98912") == sorted([corpus["علی"], corpus["Reza"]])


def test_filters_by_tag_stage_and_owner_combine(api, make_customer, make_user, subtests):
    owner, other = make_user(), make_user()
    a = make_customer(given_name="Ali", tags=["vip"], lifecycle_stage="lead", owner_id=owner.id).id
    b = make_customer(given_name="Ali", tags=["vip"], lifecycle_stage="customer", owner_id=owner.id).id
    c = make_customer(given_name="Ali", tags=["new"], lifecycle_stage="lead", owner_id=other.id).id
    d = make_customer(given_name="Bita", tags=["vip"], lifecycle_stage="lead", owner_id=owner.id).id
    cases = [
        ({"tag": "vip"}, [a, b, d]),
        ({"stage": "lead"}, [a, c, d]),
        ({"owner_id": owner.id}, [a, b, d]),
        ({"owner_id": str(other.id)}, [c]),
        ({"tag": "vip", "stage": "lead"}, [a, d]),
        ({"tag": "vip", "stage": "lead", "owner_id": owner.id, "q": "ali"}, [a]),
        ({"tag": "nope"}, []),
        ({"q": "ali", "stage": "customer"}, [b]),
    ]
    for query, expected in cases:
        with subtests.test(query=query):
            assert ids(api, **query) == sorted(expected)


def walk(api, limit, **query):
    """Every page of the list: (ids in order, number of pages)."""
    seen, pages, cursor = [], 0, None
    while True:
        params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        response = api.get("customers", query_string=params)
        assert response.status_code == 200, response.json
        pages += 1
        seen.extend(c["id"] for c in response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return seen, pages
        assert len(response.json["items"]) == limit


NAMES = ["Ziba", "ali", "Bahram", "Ali", "ali", "Darya", "Elham", "Farhad", "Golnar", "Hamid", "Iraj",
         "Jaleh", "Kian", "Leila", "Mina", "Nima", "Omid", "Parisa", "Ramin", "Shirin", "Taha", "Yasaman", "Zahra"]


@pytest.fixture
def many(make_customer):
    """23 customers, some with the same folded name: {id: folded name}."""
    return {make_customer(given_name=name, family_name="Test").id: f"{name.lower()} test" for name in NAMES}


@pytest.mark.parametrize("sort", ["-id", "id", "name", "-name"])
def test_walking_all_pages_gives_every_customer_once_in_order(api, many, sort):
    seen, pages = walk(api, 5, sort=sort)
    assert pages == 5
    assert len(seen) == len(set(seen)) == len(many)
    if sort.lstrip("-") == "id":
        expected = sorted(many, reverse=sort.startswith("-"))
    else:
        expected = sorted(many, key=lambda i: (many[i], i), reverse=sort.startswith("-"))
    assert seen == expected


def test_pages_of_a_search_are_complete(api, many):
    seen, pages = walk(api, 2, q="ali")
    assert pages == 2
    assert sorted(seen) == sorted(i for i, name in many.items() if name.startswith("ali"))


@pytest.mark.parametrize("sort", ["-id", "id", "name", "-name"])
def test_inserts_between_pages_neither_repeat_nor_hide_rows(api, many, make_customer, sort):
    first = api.get("customers", query_string={"limit": 5, "sort": sort}).json
    seen = [c["id"] for c in first["items"]]
    added = [make_customer(given_name=name, family_name="Test").id for name in ("Aaron", "Mmm", "Zzz")]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get("customers", query_string={"limit": 5, "sort": sort, "cursor": cursor}).json
        seen.extend(c["id"] for c in page["items"])
        cursor = page["next_cursor"]
    originals = [i for i in seen if i in many]
    assert sorted(originals) == sorted(many)
    assert len(seen) == len(set(seen))
    if sort == "-id":
        assert not set(added) & set(seen)  # newer than the first page: they start the next walk
    if sort == "id":
        assert seen[-3:] == added
