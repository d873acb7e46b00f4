"""The list kit's own contract: one cursor format, generated arguments, keyset SQL, filters as data."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from payvand.core.actor import ANONYMOUS, SYSTEM
from payvand.core.listing import BadCursor, Filter, ListSpec, Sort, SortKey, decode_cursor, encode_cursor
from payvand.core.models import AuditLog

LOG = AuditLog.__table__.c
SPEC = ListSpec(
    name="test.log",
    model=AuditLog,
    filters=(
        Filter("action", "choice", column=LOG.action, choices=("create", "update"), operators=("eq", "in")),
        Filter("at", "datetime", column=LOG.at, operators=("gte", "between", "is_null")),
        Filter("object_id", "text", column=LOG.object_id, operators=("prefix", "contains")),
    ),
    sorts=(
        Sort("-at", (SortKey(LOG.at, "at", "datetime", True), SortKey(LOG.id, "id", "id", True))),
        Sort("action", (SortKey(LOG.action, "action", "str"), SortKey(LOG.id, "id", "id", True))),
    ),
)


def test_a_cursor_reads_back_only_in_its_own_list_and_sort():
    moment = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    cursor = encode_cursor("test.log", "-at", [moment, 7])
    assert decode_cursor(cursor, "test.log", "-at", ["datetime", "id"]) == [moment, 7]
    for other_list, other_sort in (("customers", "-at"), ("test.log", "action")):
        with pytest.raises(BadCursor):
            decode_cursor(cursor, other_list, other_sort, ["datetime", "id"])
    for bad in ("garbage!", encode_cursor("test.log", "-at", ["2024-05-01T12:00:00", 7]),
                encode_cursor("test.log", "-at", [moment, 2**64]), encode_cursor("test.log", "-at", [moment, True])):
        with pytest.raises(BadCursor):
            decode_cursor(bad, "test.log", "-at", ["datetime", "id"])


def test_the_generated_schema_names_each_operator_and_refuses_bad_values():
    schema = SPEC.args_schema()()
    assert {"action", "action__in", "at__gte", "at__between", "at__is_null", "object_id__prefix",
            "object_id__contains", "sort", "limit", "cursor"} == set(schema.fields)
    loaded = schema.load({"action__in": "create,update", "at__between": "2024-01-01T00:00:00+00:00,2024-02-01T00:00:00+00:00"})
    assert loaded["action__in"] == ["create", "update"] and len(loaded["at__between"]) == 2
    for bad in ({"action": "drop"}, {"action__eq": "create"}, {"at__gte": "yesterday"}, {"limit": "0"},
                {"sort": "id"}, {"at__between": "2024-01-01T00:00:00+00:00"}):
        with pytest.raises(ValidationError) as refused:
            schema.load(bad)
        assert set(refused.value.messages) == set(bad)


def test_filters_become_bound_conditions_and_pages_seek_without_offset():
    context = SPEC.context(None, SYSTEM)
    statement = SPEC.select({"object_id__prefix": "4_%", "action__in": ["create"]}, context)
    sort = SPEC.sort("action")
    sql = str(statement.where(sort.seek(["create", 5])).order_by(*sort.order_by()).limit(3)
              .compile(dialect=sa.dialects.postgresql.dialect()))
    assert "OFFSET" not in sql and "LIKE" in sql and "4_%" not in sql  # values are parameters
    assert " OR " in sql  # mixed directions: the OR expansion
    same = str(SPEC.sort("-at").seek([dt.datetime(2024, 1, 1, tzinfo=dt.UTC), 5])
               .compile(dialect=sa.dialects.postgresql.dialect()))
    assert "(core_audit_log.at, core_audit_log.id) <" in same


def test_filters_read_as_data():
    described = {f["name"]: f for f in SPEC.describe()["filters"]}
    assert described["action"]["type"] == "choice"
    assert [c["value"] for c in described["action"]["choices"]] == ["create", "update"]
    assert described["at"]["params"] == {"gte": "at__gte", "between": "at__between", "is_null": "at__is_null"}


def test_a_description_with_an_unknown_type_or_operator_is_refused():
    with pytest.raises(ValueError):
        Filter("x", "colour", column=LOG.action)
    with pytest.raises(ValueError):
        Filter("x", "text", column=LOG.action, operators=("like",))


def test_a_list_read_with_no_actor_is_read_as_anonymous():
    assert SPEC.context(None, None).actor is ANONYMOUS
