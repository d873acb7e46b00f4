"""Record rules applied by the kernel: which rows an actor may see, declared once per model.

Plugins declare `RecordRule`s through `payvand_record_rules` (Odoo's `ir.rule` is the model);
every read of rows for an actor goes through `restrict` (a select), `clause` (a condition to
combine by hand) or `may_see` (one row by id), so lists, gets by id, search, exports, PDFs,
reports and CSVs all see the same rows. Semantics:

- the system sees every row; an anonymous actor sees no row of a model that has rules;
- a staff actor (`user`, `token`) is narrowed by the rules for staff of each model it reads,
  except those whose `bypass` permission (any one of them, for a tuple) it holds; a model without rules is open to staff (the
  route's permission guards it);
- a `customer` actor (portal) sees a model only through rules that apply to customers: a model
  without one is closed to customers;
- the rules applying to one actor are combined with AND; a rule whose `clause` returns None
  does not narrow that actor;
- outside a running app or CLI command the rules cannot be known: reading for any actor but
  the system raises RuntimeError (fail closed) instead of seeing every row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.actor import Actor
from payvand.core.contracts import RecordRule


def _rules(model: type) -> list[RecordRule]:
    """The rules declared for `model`; RuntimeError with no running app or command (fail closed)."""
    from payvand.core.current import current_runtime

    try:
        runtime = current_runtime()
    except RuntimeError:
        raise RuntimeError("record rules come from the running Payvand app or CLI command: read rows for an actor "
                           "inside one (app.app_context()), or as SYSTEM") from None
    return runtime.record_rules().get(model, [])


def bypassed(rule: RecordRule, actor: Actor) -> bool:
    """True when `actor` holds a permission that lets it skip `rule`."""
    if rule.bypass is None:
        return False
    permissions = (rule.bypass,) if isinstance(rule.bypass, str) else rule.bypass
    return any(actor.can(permission) for permission in permissions)


def clause(model: type, actor: Actor) -> Any:
    """The condition on `model`'s columns that the rules put on `actor`'s reads, or None for none."""
    if actor.is_system:
        return None
    rules = _rules(model)
    if actor.kind == "anonymous":
        return sa.false() if rules else None
    applying = [rule for rule in rules if actor.kind in rule.applies_to]
    if actor.kind == "customer" and not applying:
        return sa.false()
    conditions = [condition for rule in applying
                  if not bypassed(rule, actor)
                  for condition in [rule.clause(actor)] if condition is not None]
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else sa.and_(*conditions)


def _entities(statement: sa.Select[Any]) -> list[type]:
    found: list[type] = []
    for description in statement.column_descriptions:
        entity = description.get("entity")
        if isinstance(entity, type) and entity not in found:
            found.append(entity)
    return found


#: Any select: `restrict` returns the same select type it is given (its row type kept).
AnySelect = TypeVar("AnySelect", bound=sa.Select[Any])


def restrict(statement: AnySelect, actor: Actor, *models: type) -> AnySelect:
    """`statement` narrowed to the rows `actor` may see of `models` (default: the entities it selects).

    Pass the models explicitly when the select reads columns (`select(Lead.id)`) or joins
    another ruled model whose rows must be visible too.
    """
    for model in models or _entities(statement):
        condition = clause(model, actor)
        if condition is not None:
            statement = statement.where(condition)
    return statement


def may_see(session: Session, model: Any, row_id: Any, actor: Actor) -> bool:
    """True when `actor` may see the row of `model` with primary key `row_id` (one indexed probe)."""
    key = sa.inspect(model).primary_key[0]
    statement = sa.select(sa.literal(1)).select_from(model).where(key == row_id)
    return session.scalar(restrict(statement, actor, model)) is not None


def get_visible(session: Session, model: Any, row_id: Any, actor: Actor) -> Any:
    """The row of `model` with primary key `row_id` if `actor` may see it, else None (as if missing)."""
    key = sa.inspect(model).primary_key[0]
    return session.scalars(restrict(sa.select(model).where(key == row_id), actor, model)).first()


def ruled_models() -> Iterable[type]:
    """Every model some active plugin has declared rules for."""
    from payvand.core.current import current_runtime

    return list(current_runtime().record_rules())
