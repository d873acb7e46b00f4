"""The kernel's record rules (`payvand.core.records`): who sees which rows, whatever plugin declared them.

Two small plugins declare rules on the core's customers: `rules_one` lets staff see the
customers they own (bypassed by `rules_one.all`) and lets a portal customer see itself;
`rules_two` lets staff see people only (organisations hidden, no bypass). The rules are ANDed.
"""

from __future__ import annotations

import types
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.sdk import (
    ANONYMOUS,
    SYSTEM,
    Actor,
    Customer,
    PluginMeta,
    RecordRule,
    get_visible,
    hookimpl,
    may_see,
    record_clause,
    restrict,
)


def _plugin(name: str, *rules: RecordRule) -> Any:
    @hookimpl
    def payvand_record_rules() -> list[RecordRule]:
        return list(rules)

    return types.SimpleNamespace(meta=PluginMeta(name=name, version="0.1", title=name),
                                 payvand_record_rules=payvand_record_rules)


ONE = _plugin("rules_one",
              RecordRule("rules_one.owner", Customer, lambda actor: Customer.owner_id == actor.user_id,
                         bypass="rules_one.all"),
              RecordRule("rules_one.portal", Customer, lambda actor: Customer.id == actor.customer_id,
                         applies_to=frozenset({"customer"})))
TWO = _plugin("rules_two", RecordRule("rules_two.people", Customer, lambda actor: Customer.kind == "person"))


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Both rule plugins."""
    return [ONE, TWO]


@pytest.fixture
def rows(app: Any, db_session: Any, make_user: Any, make_customer: Any) -> dict[str, Any]:
    """Rep 1's person and organisation, rep 2's person, and nobody's person."""
    one, two = make_user(), make_user()
    return {"one": one, "two": two,
            "one_person": make_customer(given_name="Ona", owner_id=one.id).id,
            "one_org": make_customer(kind="organization", organization_name="Ona Co", owner_id=one.id).id,
            "two_person": make_customer(given_name="Tova", owner_id=two.id).id,
            "nobodys": make_customer(given_name="Nima").id}


def _seen(db_session: Any, actor: Actor) -> set[int]:
    return set(db_session.scalars(restrict(sa.select(Customer.id), actor, Customer)))


def test_the_system_sees_every_row_and_nobody_signed_in_sees_none(app: Any, db_session: Any, rows: Any) -> None:
    with app.app_context():
        assert record_clause(Customer, SYSTEM) is None
        assert _seen(db_session, SYSTEM) == {rows[k] for k in ("one_person", "one_org", "two_person", "nobodys")}
        assert _seen(db_session, ANONYMOUS) == set()
        assert not may_see(db_session, Customer, rows["one_person"], ANONYMOUS)


def test_staff_see_the_and_of_both_plugins_rules_unless_they_hold_a_bypass(app: Any, db_session: Any,
                                                                           rows: Any) -> None:
    with app.app_context():
        rep = Actor.user(rows["one"].id, "one@example.com")
        assert _seen(db_session, rep) == {rows["one_person"]}  # owned AND a person
        assert get_visible(db_session, Customer, rows["two_person"], rep) is None  # as if missing
        assert get_visible(db_session, Customer, rows["one_person"], rep).id == rows["one_person"]
        manager = Actor.user(rows["one"].id, "one@example.com", permissions=frozenset({"rules_one.all"}))
        # the bypass skips rules_one only: rules_two (no bypass) still hides the organisation
        assert _seen(db_session, manager) == {rows["one_person"], rows["two_person"], rows["nobodys"]}
        token = Actor.token(rows["one"].id, "one@example.com", 1, ("customers:read",),
                            permissions=frozenset({"rules_one.all"}))
        assert not token.can("rules_one.all")  # outside the token's scopes: the bypass does not apply
        assert _seen(db_session, token) == {rows["one_person"]}


def test_a_customer_sees_only_what_a_rule_for_customers_grants(app: Any, db_session: Any, rows: Any) -> None:
    with app.app_context():
        me = Actor.customer(rows["two_person"], "tova@example.com")
        assert _seen(db_session, me) == {rows["two_person"]}
        assert not may_see(db_session, Customer, rows["one_person"], me)


def test_a_model_without_rules_is_open_to_staff_and_closed_to_customers(app: Any, db_session: Any,
                                                                        rows: Any) -> None:
    from payvand.core.models import User

    with app.app_context():
        assert record_clause(User, Actor.user(rows["one"].id, "one@example.com")) is None
        assert db_session.scalars(restrict(sa.select(User.id), Actor.customer(1, "c@example.com"), User)).all() == []


def test_outside_a_running_app_rules_fail_closed_for_everyone_but_the_system() -> None:
    rep = Actor.user(1, "rep@example.com")
    with pytest.raises(RuntimeError, match="record rules come from the running Payvand app"):
        restrict(sa.select(Customer), rep)
    assert "WHERE" not in str(restrict(sa.select(Customer), SYSTEM))
