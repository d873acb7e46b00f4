"""Finding likely duplicate customers (core/services/duplicates.py)."""

from __future__ import annotations

from typing import Any

import pytest

from payvand.core.audit import SYSTEM
from payvand.core.models import Customer
from payvand.core.services import duplicates as dup
from payvand.core.services.merge import merge_customers
from payvand.core.services.privacy import erase_customer


def all_pairs(db_session: Any, reason: str | None = None, limit: int = 50) -> list[dup.CandidatePair]:
    """Every pair of the list, walking the pages with the cursor."""
    pairs: list[dup.CandidatePair] = []
    cursor = None
    for _ in range(200):
        page = dup.find_duplicates(db_session, reason=reason, cursor=cursor, limit=limit)
        pairs.extend(page.pairs)
        cursor = page.next_cursor
        if cursor is None:
            return pairs
    raise AssertionError("the pages never ended")


def keys(pairs: list[dup.CandidatePair]) -> set[tuple[int, int]]:
    return {pair.key for pair in pairs}


def kinds(pair: dup.CandidatePair) -> set[str]:
    return {reason.kind for reason in pair.reasons}


def test_customers_with_the_same_email_are_paired_with_the_email_as_reason(db_session, make_customer):
    a = make_customer(given_name="Sara", family_name="Karimi", emails=["Sara.K@Example.com"])
    b = make_customer(given_name="Babak", family_name="Ahmadi", emails=["sara.k@example.com"])
    pairs = all_pairs(db_session)
    assert keys(pairs) == {(a.id, b.id)}
    assert pairs[0].reasons == [dup.Reason("email", "sara.k@example.com")]
    assert pairs[0].score == dup.EMAIL_SCORE


def test_phones_typed_differently_are_the_same_phone(db_session, make_customer):
    a = make_customer(given_name="Sara", family_name="Karimi", phones=["+98 912 345 6789"])
    b = make_customer(given_name="Babak", family_name="Ahmadi", phones=["09123456789"])
    c = make_customer(given_name="Nima", family_name="Tehrani", phones=["۰۹۱۲ ۳۴۵ ۶۷۸۹"])
    pairs = all_pairs(db_session, reason="phone")
    assert keys(pairs) == {(a.id, b.id), (a.id, c.id)}  # each paired with the oldest
    assert all(pair.reasons == [dup.Reason("phone", "+989123456789")] for pair in pairs)


@pytest.mark.parametrize(("first", "second"), [
    (("علي", "رضائي"), ("علی", "رضایی")),          # Arabic ي and hamza forms
    (("مهدي", "كريمي"), ("مهدی", "کریمی")),        # Arabic ي and ك
    (("محمد\u200cرضا", "کاظمی"), ("محمدرضا", "کاظمی")),  # with and without ZWNJ
    (("Zahra", "Ahmadi"), ("Zahara", "Ahmadi")),   # a typo early in the given name
])
def test_similar_persian_and_latin_names_are_paired(db_session, make_customer, first, second):
    make_customer(given_name="بابک", family_name="توکلی")
    a = make_customer(given_name=first[0], family_name=first[1])
    make_customer(given_name="Kaveh", family_name="Farahani")
    b = make_customer(given_name=second[0], family_name=second[1])
    pairs = all_pairs(db_session, reason="name")
    assert keys(pairs) == {(a.id, b.id)}
    assert kinds(pairs[0]) == {"name"}
    assert pairs[0].reasons[0].similarity >= dup.NAME_THRESHOLD


def test_different_people_are_not_paired(db_session, make_customer):
    make_customer(given_name="Sara", family_name="Karimi", emails=["sara@example.com"], phones=["09121111111"])
    make_customer(given_name="Babak", family_name="Ahmadi", emails=["babak@example.com"], phones=["09352222222"])
    make_customer(given_name="فاطمه", family_name="محمدی", emails=["f@example.com"], phones=["09193333333"])
    make_customer(given_name="علی", family_name="رحیمی")
    make_customer(given_name="علی", family_name="رضایی")
    assert all_pairs(db_session) == []


def test_merged_away_and_erased_customers_are_not_paired(db_session, make_customer, runtime):
    a = make_customer(given_name="Sara", family_name="Karimi", emails=["sara@example.com"])
    b = make_customer(given_name="Sara", family_name="Karimi", emails=["sara@example.com"])
    c = make_customer(given_name="Babak", family_name="Ahmadi", phones=["09121234567"])
    d = make_customer(given_name="Babak", family_name="Ahmadi", phones=["09121234567"])
    assert keys(all_pairs(db_session)) == {(a.id, b.id), (c.id, d.id)}
    merge_customers(db_session, db_session.get(Customer, a.id), db_session.get(Customer, b.id), SYSTEM, runtime.plugins)
    erase_customer(db_session, db_session.get(Customer, d.id), SYSTEM, runtime.plugins)
    db_session.commit()
    assert all_pairs(db_session) == []
    assert dup.duplicates_of(db_session, a.id) == []
    assert dup.duplicates_of(db_session, b.id) == []


def test_the_combined_list_shows_each_pair_once_with_all_its_reasons(db_session, make_customer):
    a = make_customer(given_name="Sara", family_name="Karimi", emails=["sara@example.com"], phones=["09121111111"])
    b = make_customer(given_name="Sara", family_name="Karimi", emails=["sara@example.com"], phones=["09121111111"])
    pairs = all_pairs(db_session)
    assert keys(pairs) == {(a.id, b.id)} and len(pairs) == 1
    assert kinds(pairs[0]) == {"email", "phone", "name"}
    assert pairs[0].score == 100
    assert [p.key for p in all_pairs(db_session, reason="phone")] == [(a.id, b.id)]
    assert [p.key for p in all_pairs(db_session, reason="name")] == [(a.id, b.id)]


def test_pages_of_one_pair_walk_every_stage_without_repeats(db_session, make_customer):
    people = iter([("Sara", "Karimi"), ("Babak", "Ahmadi"), ("Nima", "Tehrani"), ("Leila", "Moradi"),
                   ("Kaveh", "Farahani"), ("Mina", "Jafari"), ("Arash", "Sadeghi"), ("Parisa", "Nouri"),
                   ("Omid", "Rahmani"), ("Shirin", "Ebadi")])
    expected = set()
    for n in range(3):
        x = make_customer(given_name=(p := next(people))[0], family_name=p[1], emails=[f"shared{n}@example.com"])
        y = make_customer(given_name=(p := next(people))[0], family_name=p[1], emails=[f"shared{n}@example.com"])
        expected.add((x.id, y.id))
    for n in range(2):
        x = make_customer(given_name=(p := next(people))[0], family_name=p[1], phones=[f"0912000000{n}"])
        y = make_customer(given_name=(p := next(people))[0], family_name=p[1], phones=[f"0912000000{n}"])
        expected.add((x.id, y.id))
    x = make_customer(given_name="Hossein", family_name="Tavakoli")
    y = make_customer(given_name="Hosein", family_name="Tavakoli")
    expected.add((x.id, y.id))
    walked = all_pairs(db_session, limit=1)
    assert [p.key for p in walked] == sorted(expected)  # emails, then phones, then names
    assert len(walked) == len(expected)
    assert keys(all_pairs(db_session, limit=2)) == expected


def test_a_cursor_not_made_by_the_list_is_refused(db_session, make_customer):
    with pytest.raises(dup.BadCursor):
        dup.find_duplicates(db_session, cursor="not-a-cursor")
    with pytest.raises(dup.BadCursor):
        dup.find_duplicates(db_session, cursor=dup.encode_cursor("name", [7, "x", 1]))
    with pytest.raises(dup.BadCursor):  # a name cursor on the email list
        dup.find_duplicates(db_session, reason="email", cursor=dup.encode_cursor("name", [0, "", 0]))


def test_duplicates_of_one_customer_lists_email_phone_and_name_matches_best_first(db_session, make_customer):
    me = make_customer(given_name="رضا", family_name="کریمی", emails=["reza@example.com"], phones=["09120000001"])
    by_email = make_customer(given_name="Someone", family_name="Else", emails=["reza@example.com"])
    by_phone = make_customer(given_name="Another", family_name="Person", phones=["+989120000001"])
    by_name = make_customer(given_name="رضا", family_name="كريمي")
    make_customer(given_name="Kaveh", family_name="Farahani")
    found = dup.duplicates_of(db_session, me.id)
    assert [(p.first.id, p.second.id) for p in found] == [
        (me.id, by_email.id), (me.id, by_phone.id), (me.id, by_name.id)]
    assert [kinds(p) for p in found] == [{"email"}, {"phone"}, {"name"}]
    assert dup.duplicates_of(db_session, 10**12) == []


def test_score_rises_with_each_further_kind_of_evidence():
    email = dup.Reason("email", "a@example.com")
    phone = dup.Reason("phone", "+989120000000")
    name = dup.Reason("name", "95")
    assert dup.score_of([name]) == 76
    assert dup.score_of([phone]) == 85
    assert dup.score_of([email, phone]) == 95
    assert dup.score_of([email, phone, name]) == 100
