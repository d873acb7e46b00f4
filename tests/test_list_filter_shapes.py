"""Customer list filters read about one page's worth, not every matching row, in every sort.

The tag filter drives pages sorted by id from the `(tag, customer_id)` index (a join read in
order); under a name sort it is a probe, a set walked against, or a read-and-sort depending on
how many customers carry the tag. The stage and owner filters walk the name index for common
values. Each shape is checked twice: the rows are the same whichever shape is chosen (every
sort, every page), and the query plan uses the intended index with no sort of every match.
Plans only, never timings.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.actor import SYSTEM
from payvand.core.listing import Drive, Filter, ListSpec, Sort, SortKey, unindexed
from payvand.core.listing import spec as listing_spec
from payvand.core.models import Customer, CustomerTag
from payvand.core.services import customer_list
from payvand.core.services.customer_list import CUSTOMERS

SORT_KEYS = ("-id", "id", "name", "-name")
#: (RARE_TAG, FREQUENT_TAG) forcing each shape of a name-sorted tag page on a small table.
TAG_REGIMES = {"rare": (10**6, 10**7), "middle": (1, 10**7), "frequent": (1, 1)}


@pytest.fixture
def corpus(make_customer):
    """Twelve customers: tag `all` on each, `half` on every other one, `one` on one; two stages."""
    made = []
    for n in range(12):
        tags = ["all"] + (["half"] if n % 2 == 0 else []) + (["one"] if n == 7 else [])
        customer = make_customer(given_name=f"N{(n * 5) % 12:02d}", family_name="Z", tags=tags,
                                 lifecycle_stage="churned" if n % 3 == 0 else "lead")
        made.append(customer)
    return made


def expected(corpus: list[Any], sort: str, keep: Any) -> list[int]:
    """The ids `keep` selects, in the list's order for `sort` (name sorts: folded name, then id)."""
    rows = [c for c in corpus if keep(c)]
    descending = sort.startswith("-")
    if sort.lstrip("-") == "id":
        rows.sort(key=lambda c: c.id, reverse=descending)
    else:
        rows.sort(key=lambda c: (c.search_name, c.id), reverse=descending)
    return [c.id for c in rows]


def walked(session: Any, args: dict[str, Any], limit: int = 2) -> list[int]:
    """Every id of the list for `args`, page by page (`limit` rows each) through the cursors."""
    ids: list[int] = []
    args = {**args, "limit": limit}
    while True:
        page = CUSTOMERS.page(session, args, SYSTEM, region="IR")
        ids += [row.id for row in page.items]
        if page.next_cursor is None:
            return ids
        args["cursor"] = page.next_cursor


@pytest.mark.parametrize("regime", TAG_REGIMES)
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_a_tag_page_has_the_same_rows_whatever_shape_reads_it(corpus, db_session, monkeypatch, regime, sort):
    monkeypatch.setattr(customer_list, "RARE_TAG", TAG_REGIMES[regime][0])
    monkeypatch.setattr(customer_list, "FREQUENT_TAG", TAG_REGIMES[regime][1])
    monkeypatch.setattr(customer_list, "HASHED_TAG", TAG_REGIMES[regime][1])  # PostgreSQL's middle shape
    for tag in ("all", "half", "one", "nobody"):
        assert walked(db_session, {"tag": tag, "sort": sort}) == \
            expected(corpus, sort, lambda c, tag=tag: tag in c.tag_names), tag
    assert walked(db_session, {"tag": "half", "stage": "churned", "sort": sort}) == \
        expected(corpus, sort, lambda c: "half" in c.tag_names and c.lifecycle_stage == "churned")
    assert walked(db_session, {"tag": "half", "q": "N0", "sort": sort}) == \
        expected(corpus, sort, lambda c: "half" in c.tag_names and c.search_name.startswith("n0"))


@pytest.mark.parametrize("rare_value", [10**6, 1], ids=["read-and-sorted", "walked"])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_a_stage_page_has_the_same_rows_whatever_shape_reads_it(corpus, db_session, monkeypatch, rare_value, sort):
    monkeypatch.setattr(listing_spec, "RARE_ROWS", rare_value)
    assert walked(db_session, {"stage": "churned", "sort": sort}) == \
        expected(corpus, sort, lambda c: c.lifecycle_stage == "churned")


def test_a_driven_page_continues_a_cursor_from_a_page_that_was_not_driven(corpus, db_session):
    first = CUSTOMERS.page(db_session, {"sort": "-id", "limit": 3}, SYSTEM)
    rest = walked(db_session, {"tag": "all", "sort": "-id", "cursor": first.next_cursor}, limit=4)
    assert [row.id for row in first.items] + rest == expected(corpus, "-id", lambda c: True)


def test_the_filter_description_still_reads_as_data_and_says_the_tag_can_drive():
    described = {f["name"]: f for f in CUSTOMERS.describe()["filters"]}
    assert described["tag"]["drives"] is True and described["tag"]["params"] == {"eq": "tag"}
    assert "drives" not in described["stage"]
    assert [c["value"] for c in described["stage"]["choices"]][:1] == ["prospect"]


# --------------------------------------------------------------------------- the kit, generically

def test_a_drive_replaces_the_clause_and_moves_order_and_seek_onto_its_stand_in():
    from payvand.core.models import AuditLog

    log = AuditLog.__table__.c
    seen = []

    def drive(value: Any, operator: str, context: Any, sort: Sort) -> Drive | None:
        seen.append((value, sort.key, dict(context.filters)))
        if sort.key != "-id":
            return None
        other = AuditLog.__table__.alias("other")
        return Drive(join=lambda statement: statement.join(other, sa.and_(other.c.id == log.id, other.c.action == value)),
                     stand_ins=((log.id, other.c.id),))

    spec = ListSpec(
        name="test.driven", model=AuditLog,
        filters=(Filter("action", "text", column=log.action, drive=drive),
                 Filter("object_type", "text", column=log.object_type)),
        sorts=(Sort("-id", (SortKey(log.id, "id", "id", True),)), Sort("at", (SortKey(log.at, "at", "datetime"),
                                                                               SortKey(log.id, "id", "id")))),
    )
    context = spec.context(None, SYSTEM)
    driven = str(spec.statement({"action": "merge", "object_type": "customer", "cursor": None}, context, None,
                                spec.sort("-id"), 10))
    assert "JOIN audit_log AS other" in driven.replace("core_audit_log", "audit_log")
    assert "ORDER BY other.id DESC" in driven and "audit_log.action =" not in driven.replace("core_audit_log", "audit_log")
    plain = str(spec.statement({"action": "merge"}, spec.context(None, SYSTEM), None, spec.sort("at"), 10))
    assert "JOIN" not in plain and "action = " in plain
    assert seen[0] == ("merge", "-id", {"action": "merge", "object_type": "customer"})
    assert str(spec.select({"action": "merge"}, spec.context(None, SYSTEM))).count("JOIN") == 0


def test_unindexed_is_a_unary_plus_on_sqlite_only():
    from sqlalchemy.dialects import postgresql, sqlite

    statement = sa.select(Customer.id).where(unindexed(Customer.lifecycle_stage) == "lead")
    assert "WHERE +core_customer.lifecycle_stage = " in str(statement.compile(dialect=sqlite.dialect()))
    assert "WHERE core_customer.lifecycle_stage = " in str(statement.compile(dialect=postgresql.dialect()))


# --------------------------------------------------------------------------- query plans

def plan_of(session: Any, args: dict[str, Any], **settings: Any) -> str:
    """The database's plan of the customer page for `args` (one line per step, ` | ` joined)."""
    context = CUSTOMERS.context(session, SYSTEM, region="IR")
    sort = CUSTOMERS.sort(args.get("sort"))
    statement = CUSTOMERS.statement(args, context, None, sort, 50).with_only_columns(*Customer.__table__.columns)
    connection = session.connection()
    compiled = statement.compile(connection)
    params = compiled.construct_params()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}",
                                          tuple(params[name] for name in compiled.positiontup)).all()
        return " | ".join(row[-1] for row in rows)
    for name, value in settings.items():
        connection.exec_driver_sql(f"SET LOCAL {name} = {value}")
    return " | ".join(connection.exec_driver_sql(f"EXPLAIN {compiled}", params).scalars())


TAG_INDEX = "ix_core_customer_tag_tag_customer_id"


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sort", ["-id", "id"])
def test_sqlite_reads_a_tag_page_by_id_from_the_tag_index_in_order(corpus, db_session, sort):
    plan = plan_of(db_session, {"tag": "half", "sort": sort})
    assert f"SEARCH tagged USING COVERING INDEX {TAG_INDEX} (tag=?)" in plan, plan
    assert "SEARCH core_customer USING INTEGER PRIMARY KEY" in plan, plan
    assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sort", ["name", "-name"])
def test_sqlite_walks_the_name_index_for_a_frequent_or_middling_tag_and_sorts_only_a_rare_one(
        corpus, db_session, monkeypatch, sort):
    monkeypatch.setattr(customer_list, "FREQUENT_TAG", 1)
    frequent = plan_of(db_session, {"tag": "half", "sort": sort})
    assert "SCAN core_customer USING INDEX ix_core_customer_search_name" in frequent, frequent
    assert "sqlite_autoindex_core_customer_tag_1 (customer_id=? AND tag=?)" in frequent, frequent
    assert "TEMP B-TREE" not in frequent, frequent
    monkeypatch.setattr(customer_list, "FREQUENT_TAG", 10**7)
    monkeypatch.setattr(customer_list, "RARE_TAG", 1)
    middling = plan_of(db_session, {"tag": "half", "sort": sort})
    assert "SCAN core_customer USING INDEX ix_core_customer_search_name" in middling, middling
    assert "LIST SUBQUERY" in middling and f"COVERING INDEX {TAG_INDEX} (tag=?)" in middling, middling
    assert "TEMP B-TREE" not in middling, middling
    monkeypatch.setattr(customer_list, "RARE_TAG", 10**6)
    rare = plan_of(db_session, {"tag": "one", "sort": sort})
    assert "SEARCH core_customer USING INTEGER PRIMARY KEY (rowid=?)" in rare, rare
    assert f"COVERING INDEX {TAG_INDEX} (tag=?)" in rare and "SCAN" not in rare, rare


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_sqlite_lets_a_search_narrow_first_and_probes_the_tag(corpus, db_session, sort):
    plan = plan_of(db_session, {"tag": "all", "q": "N0", "sort": sort})
    assert "SEARCH core_customer USING INDEX ix_core_customer_search_name (search_name>? AND search_name<?)" in plan, plan
    assert "sqlite_autoindex_core_customer_tag_1 (customer_id=? AND tag=?)" in plan, plan


@pytest.mark.sqlite_only
@pytest.mark.parametrize("column,value", [("stage", "churned"), ("owner_id", 1)])
def test_sqlite_reads_stage_and_owner_pages_from_their_index_by_id_and_walks_names_when_common(
        corpus, db_session, monkeypatch, column, value):
    index = {"stage": "ix_core_customer_lifecycle_stage_id", "owner_id": "ix_core_customer_owner_id_id"}[column]
    for sort in ("-id", "id"):
        plan = plan_of(db_session, {column: value, "sort": sort})
        assert f"USING INDEX {index}" in plan and "TEMP B-TREE" not in plan, plan
    monkeypatch.setattr(listing_spec, "RARE_ROWS", 0)  # every value common
    for sort in ("name", "-name"):
        plan = plan_of(db_session, {column: value, "sort": sort})
        assert plan == "SCAN core_customer USING INDEX ix_core_customer_search_name", plan
    monkeypatch.setattr(listing_spec, "RARE_ROWS", 10**6)
    plan = plan_of(db_session, {column: value, "sort": "name"})
    assert f"SEARCH core_customer USING INDEX {index}" in plan, plan


@pytest.mark.parametrize("sort", ["-id", "id"])
def test_postgresql_can_serve_a_tag_page_by_id_from_the_tag_index_without_a_sort(corpus, db_session, sort):
    if db_session.connection().dialect.name != "postgresql":
        pytest.skip("the PostgreSQL plan (SQLite's is checked above)")
    plan = plan_of(db_session, {"tag": "half", "sort": sort}, enable_seqscan="off", enable_sort="off",
                   enable_bitmapscan="off", enable_hashjoin="off", enable_mergejoin="off")
    assert f"Index Only Scan{' Backward' if sort == '-id' else ''} using {TAG_INDEX} on core_customer_tag tagged" in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.sqlite_only
def test_the_count_that_picks_a_name_sorted_tag_shape_stops_at_the_frequent_threshold(corpus, db_session, monkeypatch):
    monkeypatch.setattr(customer_list, "FREQUENT_TAG", 3)
    statements: list[str] = []
    connection = db_session.connection()

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        walked(db_session, {"tag": "all", "sort": "name"}, limit=50)
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)
    counts = [s for s in statements if "count(" in s and "core_customer_tag" in s]
    assert len(counts) == 1 and "LIMIT" in counts[0], counts
    assert sum(1 for s in statements if "core_customer_tag" in s) >= 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CustomerTag).where(CustomerTag.tag == "all")) == 12


def test_postgresql_counts_a_name_sorted_tag_up_to_the_hashed_threshold_and_never_the_stage(
        corpus, db_session, count_queries):
    if db_session.connection().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (SQLite counts, see above)")
    with count_queries() as statements:
        walked(db_session, {"tag": "all", "stage": "churned", "sort": "name"}, limit=50)
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1 and "core_customer_tag" in counts[0] and "LIMIT" in counts[0], statements
    with count_queries() as statements:
        walked(db_session, {"stage": "churned", "sort": "name"}, limit=50)
    assert statements and not [s for s in statements if "count(" in s.lower()], statements


@pytest.mark.parametrize("rare_names", [5000, 0], ids=["read-and-sorted", "walked"])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_a_name_search_has_the_same_rows_whether_its_matches_are_read_or_walked(
        corpus, db_session, monkeypatch, rare_names, sort):
    monkeypatch.setattr(customer_list, "RARE_NAMES", rare_names)
    assert walked(db_session, {"q": "N0", "sort": sort}) == expected(corpus, sort, lambda c: c.search_name.startswith("n0"))
    assert walked(db_session, {"q": "Z", "sort": sort}) == expected(corpus, sort, lambda c: True)  # the family name


@pytest.mark.sqlite_only
def test_sqlite_walks_the_table_by_id_for_a_common_name_prefix_and_reads_a_rare_one_from_the_name_indexes(
        corpus, db_session, monkeypatch):
    monkeypatch.setattr(customer_list, "RARE_NAMES", 0)
    for sort in ("-id", "id"):
        assert plan_of(db_session, {"q": "N0", "sort": sort}) == "SCAN core_customer"
    monkeypatch.setattr(customer_list, "RARE_NAMES", 5000)
    plan = plan_of(db_session, {"q": "N0", "sort": "-id"})
    assert "MULTI-INDEX OR" in plan and "ix_core_customer_search_name_alt" in plan, plan


@pytest.mark.parametrize("sort", ["name", "-name"])
def test_postgresql_walks_the_name_index_only_against_a_middling_tags_hashed_ids(
        corpus, db_session, monkeypatch, sort):
    if db_session.connection().dialect.name != "postgresql":
        pytest.skip("the PostgreSQL plan (SQLite walks against a list subquery, checked above)")
    monkeypatch.setattr(customer_list, "RARE_TAG", 1)
    plan = plan_of(db_session, {"tag": "half", "sort": sort}, enable_seqscan="off", enable_sort="off",
                   enable_bitmapscan="off", enable_hashjoin="off", enable_mergejoin="off")
    backward = " Backward" if sort == "-name" else ""
    assert f"Index Only Scan{backward} using ix_core_customer_search_name on core_customer walk" in plan, plan
    assert "hashed SubPlan" in plan, plan
    assert "Index Scan using pk_core_customer on core_customer" in plan, plan
    assert "Sort" not in plan, plan  # the index is the sort's whole key: no sort, not even incremental
    monkeypatch.setattr(customer_list, "RARE_TAG", 10**6)  # a rare tag: read and sorted, no walk
    assert "walk" not in plan_of(db_session, {"tag": "half", "sort": sort})


@pytest.mark.parametrize("shape", ["chosen", "merged"])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_a_name_search_merged_from_both_name_orders_has_the_rows_of_the_or(
        corpus, db_session, make_customer, monkeypatch, shape, sort):
    """Under a name sort (SQLite) the search reads each name order apart and merges them; the
    rows, pages and cursors are those of the plain OR: a customer matching in both orders once,
    other filters applied before each arm's limit. `merged` forces that shape on PostgreSQL too
    (the merged statement must run there as well)."""
    if shape == "merged":
        monkeypatch.setattr(customer_list, "plans_without_statistics", lambda session: True)
    both = [make_customer(given_name=f"Aa{n}", family_name="Ab", lifecycle_stage="churned" if n % 2 else "lead",
                          tags=["all"] if n % 3 else []) for n in range(5)]
    family = [make_customer(given_name="Zz", family_name=f"Aa{n}", lifecycle_stage="churned") for n in range(4)]
    everyone = [*corpus, *both, *family]
    for limit in (1, 2, 3, 50):
        assert walked(db_session, {"q": "aa", "sort": sort}, limit=limit) == \
            expected(everyone, sort, lambda c: c.search_name.startswith("aa") or c.search_name_alt.startswith("aa"))
    assert walked(db_session, {"q": "a", "sort": sort}) == \
        expected(everyone, sort, lambda c: c.search_name.startswith("a") or c.search_name_alt.startswith("a"))
    assert walked(db_session, {"q": "aa", "stage": "churned", "sort": sort}) == \
        expected(everyone, sort, lambda c: "aa" in (c.search_name[:2], c.search_name_alt[:2]) and c.lifecycle_stage == "churned")
    assert walked(db_session, {"q": "aa", "tag": "all", "sort": sort}) == \
        expected(everyone, sort, lambda c: "aa" in (c.search_name[:2], c.search_name_alt[:2]) and "all" in c.tag_names)
    assert walked(db_session, {"q": "nobody", "sort": sort}) == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sort", ["name", "-name"])
def test_sqlite_reads_a_name_search_by_name_from_the_name_index_in_order_and_merges_the_other_order(
        corpus, db_session, sort):
    plan = plan_of(db_session, {"q": "N0", "sort": sort})
    assert "MULTI-INDEX OR" not in plan, plan
    # the first order: the name index's range read in the page's order (no sort of its matches)
    assert "CO-ROUTINE arm0 | SEARCH core_customer USING INDEX ix_core_customer_search_name" \
           " (search_name>? AND search_name<?) | SCAN arm0" in plan, plan
    # the other order: its own index's range, sorted; then the two pages merged and joined by id
    assert "SEARCH core_customer USING INDEX ix_core_customer_search_name_alt (search_name_alt>? AND search_name_alt<?)" \
        " | USE TEMP B-TREE FOR ORDER BY | SCAN arm1" in plan, plan
    assert "SEARCH core_customer USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan


def test_an_either_filter_is_a_plain_or_without_a_sort(corpus, db_session):
    """Counts, segments and exports by id read the set of rows: the arms as one OR."""
    statement = CUSTOMERS.select({"q": "N0"}, CUSTOMERS.context(db_session, SYSTEM, region="IR"))
    ids = sorted(db_session.scalars(statement.with_only_columns(Customer.id)))
    assert ids == sorted(c.id for c in corpus if c.search_name.startswith("n0"))


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_sqlite_reads_a_phone_prefix_from_the_number_index_alone(db_session, make_customer, sort):
    """A five-digit phone prefix matches thousands of numbers at a million customers: their
    customer ids come from the `(number, customer_id)` index, not one phone row per number."""
    made = [make_customer(given_name=f"P{n}", family_name="Q", phones=[f"+98905{n % 3}12345{n}"]) for n in range(9)]
    plan = plan_of(db_session, {"q": "09051", "sort": sort})
    assert "SEARCH core_customer_phone USING COVERING INDEX ix_core_customer_phone_number (number>? AND number<?)" \
        in plan, plan
    matching = expected(made, sort, lambda c: any(p.number.startswith("+989051") for p in c.phones))
    assert len(matching) == 3 and walked(db_session, {"q": "09051", "sort": sort}) == matching
