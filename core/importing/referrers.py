"""Who referred whom in a customer import: staged per batch, resolved set-based after the last one.

A row names its referrer by `referrer_external_id`, `referrer_email` or `referrer_phone` (tried in
that order, as the order import finds a customer). The referrer may be a customer already in the
database or a row of the same file, before or after this one, so nothing is resolved while the
batches run. Each batch stages, in its own transaction, the file rows that have an external id
or a referrer, in narrow temporary tables: the line and the id of the customer the row became or
merged into, with the row's external id (`EXT`), or the referrer's keys (`STAGE`) and the row's
cells for the rejects file (`CELLS`). After the last batch, in one transaction under
the import lock (`ReferrerStage.resolve`):

1. each staged referrer is looked up — the file's external ids, then the ids plugins keep
   (`payvand_customer_keys`, e.g. the order import's), then the live owner of the email, then of
   the phone — and checked as `services.customers.referrer_problems` checks one: it must
   be known (`unknown_referrer`), not the customer itself (`self_referral`) and active, neither
   merged away nor erased (`inactive_referrer`); a cell that is not an email or phone at all is
   `invalid_referrer_email` / `invalid_referrer_phone`;
2. per customer the first good line counts (several rows of a file may be one customer), and only
   for a customer without a referrer: as a merge fills only empty fields, an import never replaces
   a referrer, so importing the same file again changes nothing;
3. a link that would close a loop (the referrer was referred, up the chain of existing and new
   links, through the customer) is refused (`referral_loop`): in each loop the new link of the
   latest line, so the others stand (one recursive query, at most `REFERRAL_DEPTH` levels up);
4. one `UPDATE core_customer ... FROM` the staged links sets `referred_by_id` (and the version),
   with one audit entry and one `payvand_customer_updated` event per `EVENT_CHUNK` customers.

A refused referrer does not refuse its row: the customer is imported without it, and the row is
reported with its line and reason and written to the rejects file, so a corrected rejects file can
be imported again (its rows merge into the customers and fill the referrer). A dry run writes
nothing and sets no referrer; it checks them against the file's own keys and the database
(`ReferrerStage.check`), without following loops.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from payvand.core import audit, events
from payvand.core.actor import Actor
from payvand.core.models import Customer
from payvand.core.services.customers import REFERRAL_DEPTH

if TYPE_CHECKING:
    from payvand.core.importing.records import Record

log = logging.getLogger(__name__)

#: Audit entries and events name at most this many customers each.
EVENT_CHUNK = 5000
#: The reason (English, as in the other rejects) of each referrer problem code.
REASONS = {
    "unknown_referrer": "no customer in the file or the database has the referrer's external id, email or phone",
    "self_referral": "the referrer is the customer itself",
    "inactive_referrer": "the referrer was merged away or erased",
    "referral_loop": "the referrer was referred through this customer: a referral loop",
    "invalid_referrer_email": "the referrer's email is not a valid email address",
    "invalid_referrer_phone": "the referrer's phone is not a valid phone number in the phone region",
}

_metadata = sa.MetaData()
#: The rows naming a referrer: keys as read, or the problem code of a cell that cannot be read.
STAGE = sa.Table(
    "payvand_import_referrer", _metadata,
    sa.Column("line", sa.BigInteger, primary_key=True),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("ref_ext", sa.String(64)),
    sa.Column("ref_email", sa.String(320)),
    sa.Column("ref_phone", sa.String(32)),
    sa.Column("problem", sa.String(32)),
    prefixes=["TEMPORARY"],
)
#: The file's external ids and the customers their rows became or merged into.
EXT = sa.Table(
    "payvand_import_referrer_ext", _metadata,
    sa.Column("line", sa.BigInteger, primary_key=True),
    sa.Column("ext", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Index("ix_payvand_import_referrer_ext_ext", "ext"),
    prefixes=["TEMPORARY"],
)
#: The cells of the rows naming a referrer (apart, so the lookups scan narrow rows), for the rejects file.
CELLS = sa.Table(
    "payvand_import_referrer_cells", _metadata,
    sa.Column("line", sa.BigInteger, primary_key=True),
    sa.Column("cells", sa.Text, nullable=False),
    prefixes=["TEMPORARY"],
)
FOUND = sa.Table(
    "payvand_import_referrer_found", _metadata,
    sa.Column("line", sa.BigInteger, primary_key=True),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("referrer_id", sa.BigInteger),
    sa.Column("code", sa.String(32)),
    prefixes=["TEMPORARY"],
)
EDGE = sa.Table(
    "payvand_import_referrer_edge", _metadata,
    sa.Column("customer_id", sa.BigInteger, primary_key=True),
    sa.Column("referrer_id", sa.BigInteger, nullable=False),
    sa.Column("line", sa.BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)
KEYS = sa.Table(
    "payvand_import_referrer_key", _metadata,
    sa.Column("ext", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)
#: A dry run's rows' own keys (`x:` external id, `e:` email, `p:` phone), as nothing is written.
OWN = sa.Table(
    "payvand_import_referrer_own", _metadata,
    sa.Column("line", sa.BigInteger, nullable=False),
    sa.Column("value", sa.String(330), nullable=False),
    sa.Index("ix_payvand_import_referrer_own_value", "value"),
    prefixes=["TEMPORARY"],
)
_TABLES = (STAGE, EXT, CELLS, FOUND, EDGE, KEYS, OWN)
#: The cells of a row with a referrer, as JSON (one encoder: `json.dumps` with options builds one per call).
_encode_cells = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode

#: The owner of each email (phone) the staged rows name: the lowest live one, else the lowest of
#: any (merged away or erased: refused as such), as one grouped lookup joined by hash or index.
_OWNERS = """(SELECT o.{column} AS value, COALESCE(
    MIN(CASE WHEN c.merged_into_id IS NULL AND c.erased_at IS NULL THEN o.customer_id END),
    MIN(o.customer_id)) AS customer_id
  FROM {table} o JOIN core_customer c ON c.id = o.customer_id
  WHERE o.{column} IN (SELECT {key} FROM payvand_import_referrer WHERE {key} IS NOT NULL)
  GROUP BY o.{column})"""
#: The lookups (the file's external ids, the plugins', emails, phones) as joins, one pass; the
#: problem code of an unreadable cell waits in `code` for `_CHECK`, which runs apart so the
#: lookups run once per row.
_FIND = f"""
INSERT INTO payvand_import_referrer_found (line, customer_id, referrer_id, code)
SELECT s.line, s.customer_id, COALESCE(x.customer_id, k.customer_id, e.customer_id, p.customer_id), s.problem
FROM payvand_import_referrer s
LEFT JOIN (SELECT ext, MIN(customer_id) AS customer_id FROM payvand_import_referrer_ext GROUP BY ext) x
  ON x.ext = s.ref_ext
LEFT JOIN payvand_import_referrer_key k ON k.ext = s.ref_ext
LEFT JOIN {_OWNERS.format(table="core_customer_email", column="email", key="ref_email")} e ON e.value = s.ref_email
LEFT JOIN {_OWNERS.format(table="core_customer_phone", column="number", key="ref_phone")} p ON p.value = s.ref_phone
"""
_CHECK = """
UPDATE payvand_import_referrer_found SET code =
  CASE WHEN referrer_id IS NULL THEN COALESCE(code, 'unknown_referrer')
       WHEN referrer_id = customer_id THEN 'self_referral'
       WHEN EXISTS (SELECT 1 FROM core_customer r WHERE r.id = payvand_import_referrer_found.referrer_id
                    AND (r.merged_into_id IS NOT NULL OR r.erased_at IS NOT NULL)) THEN 'inactive_referrer'
  END
"""
def _known(kind: str, key: str, table: str, column: str, live: bool) -> str:
    """SQL: the staged row's `key` is a key of the file (`kind` prefix) or of a (live) customer."""
    state = "c.merged_into_id IS NULL AND c.erased_at IS NULL" if live else "1 = 1"
    return (f"(s.{key} IS NOT NULL AND (EXISTS (SELECT 1 FROM payvand_import_referrer_own f "
            f"WHERE f.value = '{kind}' || s.{key}) OR EXISTS (SELECT 1 FROM {table} o JOIN core_customer c "
            f"ON c.id = o.customer_id WHERE o.{column} = s.{key} AND {state})))")


_OWN_KEY = "EXISTS (SELECT 1 FROM payvand_import_referrer_own f WHERE f.line = s.line AND f.value = '{kind}' || s.{key})"
#: A dry run's check, one pass over the staged referrers (see `ReferrerStage.check`).
_CHECK_ONLY = f"""
INSERT INTO payvand_import_referrer_found (line, customer_id, referrer_id, code)
SELECT s.line, s.customer_id, NULL, CASE
  WHEN {_OWN_KEY.format(kind="x:", key="ref_ext")} OR {_OWN_KEY.format(kind="e:", key="ref_email")}
    OR {_OWN_KEY.format(kind="p:", key="ref_phone")} THEN 'self_referral'
  WHEN (s.ref_ext IS NOT NULL AND (EXISTS (SELECT 1 FROM payvand_import_referrer_own f WHERE f.value = 'x:' || s.ref_ext)
                                   OR EXISTS (SELECT 1 FROM payvand_import_referrer_key k WHERE k.ext = s.ref_ext)))
    OR {_known("e:", "ref_email", "core_customer_email", "email", True)}
    OR {_known("p:", "ref_phone", "core_customer_phone", "number", True)} THEN NULL
  WHEN {_known("e:", "ref_email", "core_customer_email", "email", False)}
    OR {_known("p:", "ref_phone", "core_customer_phone", "number", False)} THEN 'inactive_referrer'
  ELSE COALESCE(s.problem, 'unknown_referrer')
END
FROM payvand_import_referrer s
"""
_EDGES = """
INSERT INTO payvand_import_referrer_edge (customer_id, referrer_id, line)
SELECT f.customer_id, f.referrer_id, f.line
FROM payvand_import_referrer_found f
JOIN (SELECT customer_id, MIN(line) AS line FROM payvand_import_referrer_found
      WHERE code IS NULL GROUP BY customer_id) m ON m.line = f.line
JOIN core_customer c ON c.id = f.customer_id
WHERE c.referred_by_id IS NULL AND c.merged_into_id IS NULL AND c.erased_at IS NULL
"""
#: Only a customer somebody was referred by can close a loop, so only their links walk. Each walks
#: up its referrer's chain (existing links, else new ones) and keeps the
#: latest line of a new link it passed (`top`); back at its own customer it closed a loop, and
#: it is the one refused when its line is the latest of the loop's new links.
_LOOPS = f"""
WITH RECURSIVE walk(start, node, top, depth) AS (
  SELECT e.customer_id, e.referrer_id, CAST(0 AS BIGINT), 1 FROM payvand_import_referrer_edge e
  WHERE e.customer_id IN (SELECT referrer_id FROM payvand_import_referrer_edge)
     OR e.customer_id IN (SELECT referred_by_id FROM core_customer WHERE referred_by_id IS NOT NULL)
  UNION ALL
  SELECT w.start, COALESCE(c.referred_by_id, e.referrer_id),
         CASE WHEN e.line > w.top THEN e.line ELSE w.top END, w.depth + 1
  FROM walk w JOIN core_customer c ON c.id = w.node
  LEFT JOIN payvand_import_referrer_edge e ON e.customer_id = w.node
  WHERE w.node <> w.start AND w.depth < {REFERRAL_DEPTH}
)
SELECT DISTINCT e.line FROM walk w JOIN payvand_import_referrer_edge e ON e.customer_id = w.start
WHERE w.node = w.start AND e.line > w.top
"""
_UPDATE = """
UPDATE core_customer SET referred_by_id = e.referrer_id, version = core_customer.version + 1, updated_at = :now
FROM payvand_import_referrer_edge e
WHERE core_customer.id = e.customer_id AND core_customer.referred_by_id IS NULL
"""
_PROBLEMS = """
SELECT f.line, f.code, s.cells FROM payvand_import_referrer_found f
JOIN payvand_import_referrer_cells s ON s.line = f.line
WHERE f.code IS NOT NULL ORDER BY f.line
"""


@dataclasses.dataclass
class Resolution:
    """What resolving the referrers did: links set, and the refused ones (line, reason, code, cells)."""

    linked: int = 0
    refused: list[tuple[int, str, str, list[str]]] = dataclasses.field(default_factory=list)


class ReferrerStage:
    """The import's staging tables (temporary, on the writer's one connection) and their resolution."""

    def __init__(self, keys: Sequence[Any] = ()) -> None:
        """`keys`: the plugins' `payvand_customer_keys` selects (checked, see `customer_keys`)."""
        self._inserts: dict[str, Any] = {}
        self.staged = 0
        self.keys = list(keys)

    def create(self, connection: Connection) -> None:
        """Create the (empty) temporary tables on `connection` and commit."""
        from payvand.core.importing.tables import BulkInsert

        self.drop(connection)
        for table in _TABLES:
            table.create(connection)
        connection.commit()
        dialect = connection.dialect
        self._inserts = {table.name: BulkInsert(table, [c.name for c in table.columns], dialect)
                         for table in (STAGE, EXT, CELLS, OWN)}

    def add(self, connection: Connection, rows: Sequence[tuple[int, int, Record]]) -> None:
        """Stage `(line, customer id, record)` rows in the batch's transaction."""
        if not rows:
            return
        refs: list[tuple[Any, ...]] = []
        exts: list[tuple[int, str, int]] = []
        cells: list[tuple[int, str]] = []
        encode = _encode_cells
        for line, customer_id, record in rows:
            if record.ext is not None:
                exts.append((line, record.ext, customer_id))
            ref = record.ref
            if ref is not None:
                refs.append((line, customer_id, *ref))
                cells.append((line, encode(record.cells)))
        inserts = self._inserts
        inserts[STAGE.name].run(connection, refs)
        inserts[EXT.name].run(connection, exts)
        inserts[CELLS.name].run(connection, cells)
        self.staged += len(refs)

    def add_check(self, connection: Connection, records: Sequence[Record]) -> None:
        """Stage a dry run's batch: every row's own keys, and the referrers named (nothing is written,
        so a row stands for its customer by its line)."""
        own = [(r.line, f"{kind}{value}") for r in records
               for kind, values in (("x:", [r.ext] if r.ext else []), ("e:", r.emails),
                                    ("p:", [p for p, _ in r.phones]))
               for value in values]
        self._inserts[OWN.name].run(connection, own)
        self.add(connection, [(r.line, -r.line, r) for r in records if r.ref is not None])

    def check(self, session: Session) -> Resolution:
        """A dry run's check of the staged referrers (the caller rolls back): unreadable, unknown
        (in neither the file nor the database), the row's own key (`self_referral`), or only a
        merged or erased customer's. Loops and the rows merged into one customer are not followed
        (nothing was written to follow them in); `linked` counts the rows whose referrer was found."""
        result = Resolution()
        if not self.staged:
            return result
        connection = session.connection()
        if self.keys:
            self._outside_keys(connection)
        connection.exec_driver_sql(_CHECK_ONLY)
        result.linked = int(connection.exec_driver_sql(
            "SELECT COUNT(*) FROM payvand_import_referrer_found WHERE code IS NULL").scalar() or 0)
        for line, code, cells in connection.exec_driver_sql(_PROBLEMS):
            result.refused.append((int(line), REASONS[code], code, json.loads(cells) if cells else []))
        return result

    def resolve(self, session: Session, actor: Actor, source: str, now: dt.datetime) -> Resolution:
        """Resolve every staged referrer and set the good ones (see the module doc); the caller commits."""
        result = Resolution()
        if not self.staged:
            return result
        connection = session.connection()
        if connection.dialect.name == "postgresql":  # temporary tables get no statistics by themselves
            for table in (STAGE, EXT):
                connection.exec_driver_sql(f"ANALYZE {table.name}")
        if self.keys:
            self._outside_keys(connection)
        connection.exec_driver_sql(_FIND)
        connection.exec_driver_sql(_CHECK)
        connection.exec_driver_sql(_EDGES)
        loops = [row[0] for row in connection.exec_driver_sql(_LOOPS)]
        for start in range(0, len(loops), EVENT_CHUNK):
            chunk = loops[start:start + EVENT_CHUNK]
            connection.execute(sa.update(FOUND).where(FOUND.c.line.in_(chunk)).values(code="referral_loop"))
            connection.execute(sa.delete(EDGE).where(EDGE.c.line.in_(chunk)))
        links = [(row[0], row[1]) for row in connection.execute(
            sa.select(EDGE.c.customer_id, EDGE.c.referrer_id).order_by(EDGE.c.customer_id))]
        if links:
            stamp = sa.bindparam("now", now, type_=Customer.__table__.c.updated_at.type)
            connection.execute(sa.text(_UPDATE).bindparams(stamp))
        result.linked = len(links)
        for start in range(0, len(links), EVENT_CHUNK):
            chunk = links[start:start + EVENT_CHUNK]
            changes = {customer_id: {"referred_by_id": [None, referrer_id]} for customer_id, referrer_id in chunk}
            audit.record(session, actor, "import", "customer", None,
                         after={"source": source, "referrers": len(chunk),
                                "updated": {str(k): v for k, v in changes.items()}})
            events.emit(session, "payvand_customer_updated", list(changes), {"changes": changes})
        for line, code, cells in connection.exec_driver_sql(_PROBLEMS):
            result.refused.append((int(line), REASONS[code], code, json.loads(cells) if cells else []))
        return result

    def _outside_keys(self, connection: Connection) -> None:
        """Copy the plugins' keys the staged referrers name (one statement; the first owner of a key wins)."""
        union = sa.union_all(*self.keys).subquery() if len(self.keys) > 1 else self.keys[0].subquery()
        named = sa.select(STAGE.c.ref_ext).where(STAGE.c.ref_ext.is_not(None))
        wanted = (sa.select(union.c.external_id, sa.func.min(union.c.customer_id))
                  .where(union.c.external_id.in_(named)).group_by(union.c.external_id))
        connection.execute(sa.insert(KEYS).from_select(["ext", "customer_id"], wanted))

    @staticmethod
    def drop(connection: Connection) -> None:
        """Drop the temporary tables (the pool keeps the connection, and with it its temporary tables)."""
        for table in reversed(_TABLES):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
        connection.commit()


def customer_keys(target: Any) -> list[Any]:
    """The `payvand_customer_keys` selects of a Runtime's active plugins whose columns are right
    (a wrong one is logged and left out); none for a bare sessionmaker."""
    from payvand.core.contracts import CUSTOMER_KEYS

    plugins = getattr(target, "plugins", None)
    if plugins is None:
        return []
    found = []
    for select in plugins.call("payvand_customer_keys"):
        problems = CUSTOMER_KEYS.problems(select)
        if problems:
            log.warning("payvand_customer_keys: a select left out: %s", "; ".join(problems))
            continue
        found.append(select)
    return found
