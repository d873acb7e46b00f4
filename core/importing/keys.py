"""The in-memory index of known dedupe keys (emails and phone numbers) during one import.

A real run keeps a one-probe Bloom filter (a bitmap indexed by the key's `hash()`) over every
key in the database, read once at the start, and every key the import commits. Its size is
fixed when the import starts — 32 bits per expected key, at most 2**28 bits (32 MB) — so
memory stays flat whatever the file size. A key whose bit is clear is certainly new and needs
no database lookup; a key whose bit is set is a candidate, confirmed by a set-based query
(`WHERE email IN (...)`). False positives only cost a lookup: about 3% of keys at the
expected size, more for bigger files than expected.

A dry run commits nothing, so the database cannot confirm that a key appeared earlier in the
file: it also keeps an exact set of the keys' 64-bit hashes (about 60 bytes a key), up to
`DRY_RUN_LIMIT` keys, beyond which duplicates within the file are no longer detected.

Other imports may run at the same time (see `payvand.core.importing.writer`): the filter must
also hold the keys they commit after it was read. It remembers the highest email and phone
row id it has seen (its watermarks); each batch, holding the import lock, first adds the keys
of rows above them (`catch_up`, one primary-key range query per table, empty when nobody else
wrote) and, after writing its own rows, moves the watermarks past them (`settle`). Batches of
concurrent imports take turns under the lock, so every row an import commits is either in the
filter or above the watermarks when the next batch looks.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from payvand.core.models import CustomerEmail, CustomerPhone

MIN_BITS_LOG2 = 20
MAX_BITS_LOG2 = 28
BITS_PER_KEY = 32
#: Rough bytes of CSV per dedupe key, to size the filter from the file size.
BYTES_PER_KEY = 30
DRY_RUN_LIMIT = 5_000_000
_COLUMNS = (CustomerEmail.__table__.c.email, CustomerPhone.__table__.c.number)


class KeyFilter:
    """A bitmap of key hashes: `maybe(key)` is False only for keys never added."""

    def __init__(self, expected_keys: int | None) -> None:
        bits_log2 = MAX_BITS_LOG2
        if expected_keys is not None:
            bits_log2 = max(
                MIN_BITS_LOG2, min(MAX_BITS_LOG2, (expected_keys * BITS_PER_KEY).bit_length())
            )
        self.mask = (1 << bits_log2) - 1
        self.bits = bytearray(1 << (bits_log2 - 3))

    def add(self, keys: Iterable[str]) -> None:
        """Set the bits of `keys`."""
        bits, mask = self.bits, self.mask
        for key in keys:
            a = hash(key) & mask
            bits[a >> 3] |= 1 << (a & 7)

    def maybe(self, key: str) -> bool:
        """False when `key` was certainly never added; True when it may have been."""
        a = hash(key) & self.mask
        return bool(self.bits[a >> 3] >> (a & 7) & 1)


class KeyIndex:
    """What an import knows about existing emails and phones (see the module docstring)."""

    def __init__(self, *, dry_run: bool = False, file_bytes: int | None = None) -> None:
        self.dry_run = dry_run
        self.file_bytes = file_bytes
        self.filter: KeyFilter | None = None
        self.seen: set[int] = set()
        self.overflowed = False
        self.watermarks: dict[str, int] = {}

    def preload(self, connection: Connection) -> None:
        """Size the filter and add every email and phone already in the database (once)."""
        if self.filter is not None:
            return
        columns = _COLUMNS
        self.settle(connection)  # before reading: rows added meanwhile are read again, harmlessly
        existing = sum(
            connection.execute(sa.select(sa.func.count()).select_from(c.table)).scalar_one()
            for c in columns
        )
        expected = None if self.file_bytes is None else existing + self.file_bytes // BYTES_PER_KEY
        self.filter = KeyFilter(expected)
        for column in columns:
            result = connection.execute(
                sa.select(column).execution_options(stream_results=True, yield_per=20_000)
            )
            for chunk in result.scalars().partitions():
                self.filter.add(chunk)

    def catch_up(self, connection: Connection) -> int:
        """Add the keys of rows above the watermarks (committed by others); return how many.

        One statement for both tables (a `UNION ALL` of their primary-key range queries): each
        batch runs it, so a round trip saved here is one per batch.
        """
        assert self.filter is not None, "preload() first"
        parts = [
            sa.select(sa.literal(index).label("which"), column.table.c.id, column.label("key"))
            .where(column.table.c.id > self.watermarks[column.table.name])
            for index, column in enumerate(_COLUMNS)
        ]
        rows = connection.execute(sa.union_all(*parts)).all()
        for index, column in enumerate(_COLUMNS):
            mine = [row for row in rows if row[0] == index]
            if mine:
                self.filter.add(row[2] for row in mine)
                self.watermarks[column.table.name] = max(row[1] for row in mine)
        return len(rows)

    def settle(self, connection: Connection) -> None:
        """Move the watermarks to the highest ids now visible (after this import's own inserts); one statement."""
        tops = connection.execute(
            sa.select(*(sa.select(sa.func.max(column.table.c.id)).scalar_subquery() for column in _COLUMNS))
        ).one()
        for column, top in zip(_COLUMNS, tops, strict=True):
            self.watermarks[column.table.name] = int(top or 0)

    def candidates(self, keys: Iterable[str]) -> list[str]:
        """The keys that may already exist and must be looked up in the database."""
        assert self.filter is not None, "preload() first"
        bits, mask = self.filter.bits, self.filter.mask
        return [k for k in keys if bits[(a := hash(k) & mask) >> 3] >> (a & 7) & 1]

    def seen_before(self, key: str) -> bool:
        """In a dry run: True when an earlier row of the file had this key."""
        return hash(key) in self.seen

    def add(self, keys: list[str]) -> None:
        """Remember keys that were committed (or, in a dry run, accepted)."""
        assert self.filter is not None, "preload() first"
        self.filter.add(keys)
        if self.dry_run and not self.overflowed:
            self.seen.update(map(hash, keys))
            self.overflowed = len(self.seen) > DRY_RUN_LIMIT
