"""The declarative description of a list: columns, typed filters with operators, keyset sorts."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from payvand.core.actor import Actor
from payvand.core.listing.cursor import BadCursor, decode_cursor, encode_cursor

#: The value types a filter may have.
FILTER_TYPES = ("text", "choice", "integer", "decimal", "date", "datetime", "boolean", "id", "tag")
#: The operators a filter may offer; `eq` is the bare parameter name, the others `name__op`.
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "prefix", "between", "is_null")
#: Rows read per statement by the CSV export (it walks the list page by page, by keyset).
EXPORT_BATCH = 500


@dataclasses.dataclass
class ListContext:
    """What a filter may need besides its value: the session (None when only SQL is built), the
    actor whose record rules apply (`SYSTEM` for none; no actor is read as `ANONYMOUS`, who sees
    no row of a ruled model) and list-specific extras."""

    session: Session | None
    actor: Actor
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: The filter parameters this page applies (`param -> value`), set by `ListSpec.select`, so a
    #: filter can choose its shape knowing which others narrow the page too (e.g. a search).
    filters: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: The sort of the page being built (None when only the set of matching rows is wanted), so a
    #: filter can pick the shape that reads about one page's worth in that order.
    sort: Sort | None = None
    #: The `Either` a filter returned that the page being built reads arm by arm (set by `plan`).
    either: Either | None = None


def _resolve(expression: Any) -> Any:
    return expression() if callable(expression) and not isinstance(expression, sa.ColumnElement) \
        and not hasattr(expression, "__clause_element__") else expression


def read(row: Any, attr: str) -> Any:
    """The value `attr` of a row: an entity or dataclass attribute, or a key of a mapping row."""
    if isinstance(row, Mapping):
        return row[attr]
    return getattr(row, attr)


@dataclasses.dataclass(frozen=True)
class Column:
    """A column of the list: its name (CSV header), label, how to read it from a row and its format.

    `format`: `text` (a fixed word), `user_text` (text a person typed: isolated with `dir="auto"`
    on pages, formula-guarded in CSV), `number`, `money`, `date`, `datetime`, `id`, `boolean`.
    """

    name: str
    label: Any = ""
    value: Callable[[Any], Any] | None = None
    format: str = "text"
    sortable: bool = False

    def get(self, row: Any) -> Any:
        """This column's value in `row`."""
        return self.value(row) if self.value is not None else read(row, self.name)


class _Unindexed(sa.sql.expression.ColumnElement[Any]):
    """A column read as a value, not through its index (see `unindexed`)."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        self.column = sa.sql.coercions.expect(sa.sql.roles.ExpressionElementRole, column)
        self.type = self.column.type

    _traverse_internals = [("column", sa.sql.visitors.InternalTraversal.dp_clauseelement)]


@compiles(_Unindexed)
def _unindexed_default(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def unindexed(column: Any) -> Any:
    """`column` as a plain value the planner will not answer from an index (SQLite: unary `+`).

    For a filter that should be *checked* on each row while the page walks its sort's index
    (a frequent stage under a name sort) rather than *seek* its own index and sort everything it
    finds. SQLite, without statistics, would otherwise prefer any index on an equality; other
    databases plan from their statistics and get the column unchanged.
    """
    return _Unindexed(column)


#: Below this many matching rows (counted with a LIMIT) `by_share` reads a value's rows from its
#: index and sorts them; from here on it walks the sort's index and checks each row.
RARE_ROWS = 5000


def plans_without_statistics(session: Session | None) -> bool:
    """True when `session`'s database plans a query from its shape alone (SQLite, which has no
    statistics unless ANALYZE ran), so a filter must choose its shape itself; False without a
    session or on PostgreSQL, which weighs the same choices from its statistics."""
    return session is not None and session.get_bind().dialect.name == "sqlite"


def count_up_to(session: Session, statement: sa.Select[Any], limit: int) -> int:
    """How many rows `statement` has, counting no further than `limit` (one bounded index read)."""
    return int(session.execute(sa.select(sa.func.count()).select_from(statement.limit(limit).subquery())).scalar_one())


def by_share(column: Any, *, served: Sequence[str] = (), rare: int | None = None,
             narrowing: Sequence[str] = ()) -> Callable[[Any, str, ListContext], Any]:
    """An `apply` for an equality (or `in`) filter on an indexed column that reads about one
    page under every sort, whatever the value's share of the rows.

    Under a sort in `served` (an index `(column, <sort columns>)` serves it), with a filter in
    `narrowing` active (a search that finds few rows first) or without a session, it is the
    plain condition. Otherwise the value's rows are counted up to `rare` (default `RARE_ROWS`):
    fewer, and they are read from the column's index and sorted (at most that many); more, and
    the condition is `unindexed`, so the page walks its sort's index and checks each row, which
    stops after about `limit / share` rows — instead of seeking every matching row and sorting
    them all, which SQLite does for any indexed equality when it has no statistics. A database
    that plans from statistics (PostgreSQL) gets the plain condition and no count.
    """

    def apply(value: Any, operator: str, context: ListContext) -> Any:
        target = _resolve(column)
        matching = target.in_(list(value)) if operator == "in" else target == value
        sort = context.sort
        if (sort is None or sort.key in served or not plans_without_statistics(context.session)
                or any(name in context.filters for name in narrowing)):
            return matching
        assert context.session is not None
        rows = sa.select(sa.literal(1)).select_from(target.table).where(matching)
        if count_up_to(context.session, rows, rare or RARE_ROWS) < (rare or RARE_ROWS):
            return matching
        plain = unindexed(target)
        return plain.in_(list(value)) if operator == "in" else plain == value

    return apply


@dataclasses.dataclass(frozen=True)
class Drive:
    """A filter's way of *driving* a page instead of narrowing it with a WHERE condition.

    `join(statement)` returns the statement joined to the rows that carry the filter's condition
    (e.g. the `(tag, customer_id)` index's rows for one tag); `stand_ins` pairs a sort column of the
    list with the joined column equal to it (`(Customer.id, CustomerTag.customer_id)`), so ORDER BY
    and the keyset seek are written on the joined index and the database reads it in order, one
    page's worth, instead of collecting every matching row first. The cursor is unchanged (the
    values are equal), so a page driven this way and one narrowed by `Filter.clause` continue
    each other. The join must not multiply rows (join on a unique key of the driving table).
    """

    join: Callable[[sa.Select[Any]], sa.Select[Any]]
    stand_ins: tuple[tuple[Any, Any], ...] = ()

    def stand_in(self, column: Any) -> Any:
        """The joined column standing in for the sort column `column` (itself when none does)."""
        for original, replacement in self.stand_ins:
            if _resolve(original) is column:
                return _resolve(replacement)
        return column


@dataclasses.dataclass(frozen=True)
class Either:
    """A filter's condition as alternatives (`arms`, joined by OR) that a page reads apart.

    An `apply` may return one instead of a clause when each arm alone can be read in the page's
    order from an index but their OR cannot (a name prefix matched on the folded name or on the
    folded name in the other order: SQLite reads every match of both indexes and sorts them). A
    sorted page then runs the filtered statement once per arm, each with the seek, the order and
    the page's limit, and merges them (UNION: a row matching both arms counts once) in the sort's
    order, so it reads about one page per arm that is served by the sort's index. Without a sort
    (the bare set of rows: counts, segments, exports by id) it is `or_(*arms)`. Every other filter
    and the record rules apply inside each arm, so the merge's rows are the same as the OR's.
    """

    arms: tuple[Any, ...]

    def condition(self) -> Any:
        """The arms as one WHERE condition."""
        return sa.or_(*self.arms)


@dataclasses.dataclass(frozen=True)
class Filter:
    """A typed filter: which operators it accepts, and the column (or clause builder) it narrows.

    `column` is a SQL expression (or a callable returning one, for late binding); `apply`,
    when given, builds the clause itself from `(value, operator, context)` (searches, EXISTS
    over a child table). `choices` lists `(value, label)` pairs (or a callable returning them).
    `drive`, when given, is asked first with `(value, operator, context, sort)`: a `Drive` it
    returns replaces the clause (the page is read from the filter's own index, joined; the first
    filter of the list that drives wins, the others narrow as usual); None falls back to the clause.
    Readable as data through `describe()`: marketing segments are built on these descriptions
    (a segment counts or walks the same rows whichever shape the page took).
    """

    name: str
    type: str
    column: Any = None
    operators: tuple[str, ...] = ("eq",)
    label: Any = ""
    choices: Any = ()
    apply: Callable[[Any, str, ListContext], Any] | None = None
    max_length: int = 200
    description: str = ""
    #: The range an `integer` filter accepts (default that of a 32-bit INTEGER column; a value
    #: outside it is a 422, never an overflow in the database).
    bounds: tuple[int, int] = (-(2**31), 2**31 - 1)
    drive: Callable[[Any, str, ListContext, Sort], Drive | None] | None = None

    def __post_init__(self) -> None:
        if self.type not in FILTER_TYPES:
            raise ValueError(f"Filter {self.name!r}: unknown type {self.type!r}")
        unknown = set(self.operators) - set(OPERATORS)
        if unknown:
            raise ValueError(f"Filter {self.name!r}: unknown operators {sorted(unknown)}")
        if self.column is None and self.apply is None:
            raise ValueError(f"Filter {self.name!r}: give a column or an apply function")

    def param(self, operator: str) -> str:
        """The query parameter of `operator`: the bare name for `eq`, else `name__operator`."""
        return self.name if operator == "eq" else f"{self.name}__{operator}"

    def choice_values(self) -> list[tuple[Any, Any]]:
        """The `(value, label)` pairs of a choice filter."""
        choices = self.choices() if callable(self.choices) else self.choices
        return [choice if isinstance(choice, tuple) else (choice, choice) for choice in choices]

    def describe(self) -> dict[str, Any]:
        """This filter as data: name, type, operators, parameters, choices (and an integer's bounds)."""
        described: dict[str, Any] = {
            "name": self.name, "type": self.type, "label": str(self.label or self.name),
            "operators": list(self.operators),
            "params": {operator: self.param(operator) for operator in self.operators},
            "choices": [{"value": value, "label": str(label)} for value, label in self.choice_values()],
            "description": self.description,
        }
        if self.type == "integer":
            described["bounds"] = list(self.bounds)
        if self.drive is not None:
            described["drives"] = True
        return described

    def clause(self, operator: str, value: Any, context: ListContext) -> Any:
        """The WHERE condition of this filter for `operator` and a validated `value` (bound parameters)."""
        if self.apply is not None:
            return self.apply(value, operator, context)
        column = _resolve(self.column)
        if operator == "eq":
            return column == value
        if operator == "ne":
            return column != value
        if operator in ("lt", "lte", "gt", "gte"):
            return {"lt": column < value, "lte": column <= value, "gt": column > value, "gte": column >= value}[operator]
        if operator == "in":
            return column.in_(list(value))
        if operator == "contains":
            return column.contains(value, autoescape=True)
        if operator == "prefix":
            return column.startswith(value, autoescape=True)
        if operator == "between":
            low, high = value
            return column.between(low, high)
        if operator == "is_null":
            return column.is_(None) if value else column.is_not(None)
        raise ValueError(operator)


@dataclasses.dataclass(frozen=True)
class SortKey:
    """One column of a sort: the SQL expression, how its value is read from a row and its cursor kind.

    Sort columns must be NOT NULL (a keyset cannot seek past NULLs portably). When the column is
    an expression (e.g. a COALESCE that puts NULLs last), `value` reads the same value from a row.
    """

    column: Any
    attr: str
    kind: str = "id"
    descending: bool = False
    value: Callable[[Any], Any] | None = None

    def get(self, row: Any) -> Any:
        """This key's value in `row` (for its cursor)."""
        return self.value(row) if self.value is not None else read(row, self.attr)


@dataclasses.dataclass(frozen=True)
class Sort:
    """A sort of the list, named by `key` (e.g. `-id`, `name`): a keyset ending in the primary key."""

    key: str
    keys: tuple[SortKey, ...]
    label: Any = ""

    def columns(self, drive: Drive | None = None) -> list[Any]:
        """The key columns, each replaced by its stand-in when a filter drives the page."""
        columns = [_resolve(k.column) for k in self.keys]
        return [drive.stand_in(column) for column in columns] if drive is not None else columns

    def order_by(self, drive: Drive | None = None) -> list[Any]:
        """The ORDER BY terms (on the driving index's columns when `drive` is given)."""
        return [column.desc() if k.descending else column.asc() for k, column in
                zip(self.keys, self.columns(drive), strict=True)]

    def seek(self, values: Sequence[Any], drive: Drive | None = None) -> Any:
        """The condition "after the row whose key values are `values`" in this order (bound parameters)."""
        columns = self.columns(drive)
        if len({k.descending for k in self.keys}) == 1:  # one direction: a row-value comparison (index friendly)
            if len(columns) == 1:
                return columns[0] < values[0] if self.keys[0].descending else columns[0] > values[0]
            row = sa.tuple_(*columns)
            return row < tuple(values) if self.keys[0].descending else row > tuple(values)
        terms = []
        for index, key in enumerate(self.keys):
            column = columns[index]
            after = column < values[index] if key.descending else column > values[index]
            terms.append(sa.and_(*[columns[i] == values[i] for i in range(index)], after))
        return sa.or_(*terms)

    def values(self, row: Any) -> list[Any]:
        """The key values of `row`, for its cursor."""
        return [key.get(row) for key in self.keys]


@dataclasses.dataclass
class Page:
    """One page of a list: its rows and the cursor of the next page (None on the last)."""

    items: list[Any]
    next_cursor: str | None
    sort: str
    limit: int


def _fetch_default(session: Session, statement: sa.Select[Any]) -> list[Any]:
    if len(statement.column_descriptions) == 1 and isinstance(statement.column_descriptions[0].get("type"), type) \
            and statement.column_descriptions[0].get("entity") is statement.column_descriptions[0].get("type"):
        return list(session.scalars(statement))
    return list(session.execute(statement))


@dataclasses.dataclass
class ListSpec:
    """A list: its model, columns, filters and sorts, page size limits and how rows are fetched.

    `base(context)` returns the select to narrow (default `select(model)`); `fetch(session,
    statement)` turns the final statement into rows (default: entities for an entity select,
    else rows). Every page applies the record rules of `model` for the actor.
    """

    name: str
    model: Any
    columns: tuple[Column, ...] = ()
    filters: tuple[Filter, ...] = ()
    sorts: tuple[Sort, ...] = ()
    default_sort: str | None = None
    default_limit: int = 50
    max_limit: int = 200
    base: Callable[[ListContext], sa.Select[Any]] | None = None
    fetch: Callable[[Session, sa.Select[Any]], list[Any]] | None = None
    _schemas: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.sorts:
            raise ValueError(f"List {self.name!r} needs at least one sort")
        if self.default_sort is None:
            self.default_sort = self.sorts[0].key

    # ------------------------------------------------------------------ descriptions

    def sort(self, key: str | None) -> Sort:
        """The sort named `key` (the default when None); ValueError for an unknown one."""
        key = key or self.default_sort
        for sort in self.sorts:
            if sort.key == key:
                return sort
        raise ValueError(f"Unknown sort {key!r}")

    def filter_params(self) -> dict[str, tuple[Filter, str]]:
        """Every query parameter of a filter, with its filter and operator."""
        return {f.param(op): (f, op) for f in self.filters for op in f.operators}

    def describe(self) -> dict[str, Any]:
        """The list as data: filters (name, type, operators, choices), sorts and columns."""
        return {
            "name": self.name,
            "filters": [f.describe() for f in self.filters],
            "sorts": [{"key": s.key, "label": str(s.label or s.key)} for s in self.sorts],
            "columns": [{"name": c.name, "label": str(c.label or c.name), "format": c.format,
                         "sortable": c.sortable} for c in self.columns],
            "limit": {"default": self.default_limit, "max": self.max_limit},
        }

    def args_schema(self, name: str | None = None) -> Any:
        """The marshmallow schema (a class) of this list's query arguments; see `args.build_schema`."""
        from payvand.core.listing.args import build_schema

        key = name or ""
        if key not in self._schemas:
            self._schemas[key] = build_schema(self, name)
        return self._schemas[key]

    # ------------------------------------------------------------------ SQL

    def context(self, session: Session, actor: Actor | None, **extra: Any) -> ListContext:
        """A ListContext for this list (no actor: `ANONYMOUS`, so a missing actor fails closed)."""
        from payvand.core.actor import ANONYMOUS

        return ListContext(session, actor if actor is not None else ANONYMOUS, extra)

    def select(self, args: Mapping[str, Any], context: ListContext, base: sa.Select[Any] | None = None) -> sa.Select[Any]:
        """The select of the rows matching `args`' filters, record rules applied (not ordered, not limited)."""
        return self.plan(args, context, base)[0]

    def plan(self, args: Mapping[str, Any], context: ListContext, base: sa.Select[Any] | None = None,
             sort: Sort | None = None) -> tuple[sa.Select[Any], Drive | None]:
        """The filtered select and the `Drive` one filter chose for `sort` (None: every filter a WHERE).

        Without a sort no filter drives (the select is the plain set of matching rows).
        """
        from payvand.core.records import restrict

        statement = base if base is not None else (self.base(context) if self.base else sa.select(self.model))
        active = [(param, flt, operator, args[param]) for param, (flt, operator) in self.filter_params().items()
                  if not (args.get(param) is None or args.get(param) == "" or args.get(param) == [])]
        context.filters = {param: value for param, _flt, _operator, value in active}
        context.sort = sort
        driving: Drive | None = None
        for _param, flt, operator, value in active:
            if driving is None and sort is not None and flt.drive is not None:
                driving = flt.drive(value, operator, context, sort)
                if driving is not None:
                    statement = driving.join(statement)
                    continue
            condition = flt.clause(operator, value, context)
            if isinstance(condition, Either):
                if sort is not None and driving is None and context.either is None:
                    context.either = condition
                    continue
                condition = condition.condition()
            if condition is not None:
                statement = statement.where(condition)
        if context.either is not None and driving is not None:
            statement, context.either = statement.where(context.either.condition()), None
        return restrict(statement, context.actor, self.model), driving

    def page(self, session: Session, args: Mapping[str, Any], actor: Actor | None, *,
             base: sa.Select[Any] | None = None, **extra: Any) -> Page:
        """One keyset page for `args` (filters, `sort`, `limit`, `cursor`): LIMIT n+1, no OFFSET.

        Raises BadCursor for a cursor this list and sort did not make.
        """
        context = self.context(session, actor, **extra)
        sort = self.sort(args.get("sort"))
        limit = min(int(args.get("limit") or self.default_limit), self.max_limit)
        statement = self.statement(args, context, base, sort, limit)
        rows = (self.fetch or _fetch_default)(session, statement)
        items = rows[:limit]
        cursor = encode_cursor(self.name, sort.key, sort.values(items[-1])) if len(rows) > limit else None
        return Page(items, cursor, sort.key, limit)

    def statement(self, args: Mapping[str, Any], context: ListContext, base: sa.Select[Any] | None,
                  sort: Sort, limit: int) -> sa.Select[Any]:
        """The statement of one page: filters (one may drive), the seek past `args`' cursor, the
        order and LIMIT `limit` + 1. Raises BadCursor for a cursor this list and sort did not make."""
        context.either = None
        statement, drive = self.plan(args, context, base, sort)
        seek = None
        if args.get("cursor"):
            values = decode_cursor(args["cursor"], self.name, sort.key, [k.kind for k in sort.keys])
            if any(value is None for value in values):
                raise BadCursor(args["cursor"])
            seek = sort.seek(values, drive)
        if context.either is not None:
            return self._merged(statement, context.either, sort, seek, limit)
        if seek is not None:
            statement = statement.where(seek)
        return statement.order_by(*sort.order_by(drive)).limit(limit + 1)

    def _merged(self, statement: sa.Select[Any], either: Either, sort: Sort, seek: Any, limit: int) -> sa.Select[Any]:
        """One page of `statement` whose filter is `either`: each arm read in the sort's order up
        to the page (seek included), merged (UNION), and the page's rows joined by primary key."""
        key = sa.inspect(self.model).primary_key[0]
        columns = sort.columns()
        picked = [*columns, *([] if any(column is key for column in columns) else [key])]
        labels = [f"k{i}" for i in range(len(picked))]
        arms = []
        for i, arm in enumerate(either.arms):
            one = statement.where(arm) if seek is None else statement.where(arm, seek)
            one = one.with_only_columns(*(column.label(label) for column, label in zip(picked, labels, strict=True)))
            read = one.order_by(*sort.order_by()).limit(limit + 1).subquery(f"arm{i}")
            arms.append(sa.select(*read.c))
        merged = sa.union(*arms).subquery("merged")
        stand_ins = Drive(join=lambda s: s, stand_ins=tuple(
            (column, merged.c[label]) for column, label in zip(picked, labels, strict=True)))
        base = sa.select(self.model).join(merged, merged.c[labels[picked.index(key)]] == key)
        return base.order_by(*sort.order_by(stand_ins)).limit(limit + 1)

    def all_rows(self, session: Session, args: Mapping[str, Any], actor: Actor | None, *,
                 base: sa.Select[Any] | None = None, batch: int = EXPORT_BATCH, **extra: Any) -> Iterator[Any]:
        """Every row matching `args`' filters, in the list's sort, read `batch` rows per statement."""
        walk = {key: value for key, value in args.items() if key not in ("cursor", "limit")}
        walk["limit"] = batch
        spec = dataclasses.replace(self, max_limit=max(batch, self.max_limit), _schemas={})
        while True:
            page = spec.page(session, walk, actor, base=base, **extra)
            yield from page.items
            if page.next_cursor is None:
                return
            walk["cursor"] = page.next_cursor

    def csv(self, session: Session, args: Mapping[str, Any], actor: Actor | None, *,
            columns: Sequence[Column] | None = None, base: sa.Select[Any] | None = None,
            **extra: Any) -> Iterator[str]:
        """The CSV of every row matching `args` (same filters as the page), streamed line by line.

        Cells of `user_text` and `text` columns go through the formula guard (`csv_guard`).
        """
        from payvand.core.importing.guard import guard

        chosen = list(columns or self.columns)
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def line(cells: list[Any]) -> str:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(cells)
            return buffer.getvalue()

        yield line([c.name for c in chosen])
        for row in self.all_rows(session, args, actor, base=base, **extra):
            cells = []
            for column in chosen:
                value = column.get(row)
                if value is None:
                    cells.append("")
                elif column.format in ("user_text", "text"):
                    cells.append(guard(str(value)))
                else:
                    cells.append(value.isoformat() if hasattr(value, "isoformat") else str(value))
            yield line(cells)
