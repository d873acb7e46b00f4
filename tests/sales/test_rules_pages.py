"""The two forms of each document rule agree, and `rules.page` gives the same rows by every path.

`services/rules.py` declares each quote, order, invoice and payment rule twice — a row form
(primary-key probes, for gets and for walking the newest rows) and an id-set form (a union of
indexed lookups, for reps with few rows) — and `page()` picks between them by volume. These
tests hold the two forms to one meaning and make `page()` take each path on a small table
(the benchmark, `benchmarks/sales_rules.py`, measures them on 300,000 orders).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Invoice, Order, Payment, Quote
from payvand.plugins.sales.services import rules
from payvand.sdk import Actor, record_clause, restrict
from tests.sales import test_access_rules as access

REP, _made = access.REP, access._made
team = access.team  # the fixture: two reps and a manager, B's rows of every kind
LINE = [{"description": "Consulting", "quantity": "1", "unit_price": "1000"}]
DOCUMENTS = (Quote, Order, Invoice, Payment)


def _rep(user_id: int, *, manager: bool = False) -> Actor:
    """A staff actor who sees documents: a rep, or a manager (`sales.manage`)."""
    granted = {perm.DOCUMENT_VIEW, perm.MANAGE} if manager else {perm.DOCUMENT_VIEW}
    return Actor.user(user_id, f"user{user_id}@example.com", permissions=frozenset(granted))


def _ids_by_row_form(session: Any, model: type, actor: Actor) -> list[int]:
    return list(session.scalars(sa.select(model.id).where(record_clause(model, actor)).order_by(model.id.desc())))


def _ids_by_set_form(session: Any, model: type, actor: Actor) -> list[int]:
    query = sa.select(model.id).where(model.id.in_(rules.id_set(model, actor))).order_by(model.id.desc())
    return list(session.scalars(query))


def test_the_row_and_set_forms_of_every_document_rule_agree(team, api, db_session, in_app):
    t = team
    # rows that rep A sees by one branch only: a quote A wrote for B's customer, its order, its invoice
    quote = _made(t["a"].post("sales/quotes", json={"customer_id": t["customer"].id, "lines": LINE}))
    order = _made(t["a"].post(f"sales/quotes/{quote['id']}/accept"))
    invoice = _made(t["a"].post("sales/invoices", json={"order_id": order["id"]}))
    a = _rep(t["a"].user_id)
    for model, row in ((Quote, quote), (Order, order), (Invoice, invoice)):
        assert _ids_by_row_form(db_session, model, a) == [row["id"]], model.__name__
    for who in ("a", "b", "manager"):
        user_id = t[who].user_id
        scope = _rep(user_id, manager=who == "manager")
        for model in DOCUMENTS:
            if who == "manager":
                assert rules.id_set(model, scope) is None and record_clause(model, scope) is None
                continue
            assert _ids_by_row_form(db_session, model, scope) == _ids_by_set_form(db_session, model, scope), \
                (who, model.__name__)
    b = _rep(t["b"].user_id)
    assert _ids_by_row_form(db_session, Order, b) == sorted([t["order"]["id"], t["spare_order"]["id"], order["id"]],
                                                            reverse=True)  # A's order too: B owns its customer


def test_narrowed_lists_give_the_rows_of_the_rule_by_the_set_or_by_the_plain_select(api, api_as, make_customer,
                                                                                   db_session, in_app):
    rep, other = api_as(REP), api_as(REP)
    mine, theirs = make_customer(given_name="Mine", owner_id=rep.user_id), make_customer(given_name="Theirs",
                                                                                         owner_id=other.user_id)
    for n in range(12):  # the rep's orders come in runs between the other rep's
        customer = mine if n % 4 == 0 or n == 11 else theirs
        quote = _made(api.post("sales/quotes", json={"customer_id": customer.id, "lines": LINE}))
        _made(api.post(f"sales/quotes/{quote['id']}/accept"))
    scope = _rep(rep.user_id)
    expected = _ids_by_set_form(db_session, Order, scope)
    assert len(expected) == 4
    for cap in (rules.FEW, 4, 1):  # few rows: read through the id set; at or over the cap: the plain select
        select = rules.narrowed(db_session, Order, scope, cap=cap)
        assert ("IN" in str(select.whereclause)) is (cap > 4)
        found = db_session.scalars(restrict(select, scope, Order).order_by(Order.id.desc())).all()
        assert [row.id for row in found] == expected, cap
