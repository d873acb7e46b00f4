"""The formula guard of Payvand's CSV exports, and how the importer recognises and undoes it.

A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as
a formula (CSV injection). The export therefore writes such a cell with a leading `'`. To
keep the escape reversible it also guards a cell that itself starts with `'`: in a Payvand
export, *every* cell of a guarded column that starts with `'` carries exactly one guard, and
the importer removes exactly one.

The importer knows a file is a Payvand export by its header row: exactly `EXPORT_HEADER`,
in that order (a byte-order mark and spaces around names are ignored), or the rejects file an
import of an export writes (`line`, `reason`, then the export's columns, cells as read). Any
other file is someone's own data, and a leading `'` there is kept as typed.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The header row of the customer CSV export, in order.
EXPORT_HEADER = (
    "id",
    "kind",
    "given_name",
    "family_name",
    "organization_name",
    "display_name",
    "email",
    "phone",
    "tags",
    "birthday",
    "lifecycle_stage",
    "preferred_language",
    "preferred_channel",
    "timezone",
    "owner_id",
    "referred_by_id",
    "attributes",
    "addresses",
    "created_at",
    "updated_at",
)
#: Header rows of earlier exports, still recognised (before `timezone`, then before `referred_by_id`,
#: then before `addresses`, 2026-12).
_OLD_EXPORT_HEADERS = tuple(
    tuple(name for name in EXPORT_HEADER if name not in added)
    for added in (("timezone", "referred_by_id", "addresses"), ("referred_by_id", "addresses"), ("addresses",))
)
#: Columns the export guards: the ones holding text a person typed. The others hold ids, codes,
#: ISO dates, E.164 phone numbers (`+` and digits: never a harmful formula), a JSON object or list.
GUARDED_COLUMNS = frozenset(
    {"given_name", "family_name", "organization_name", "display_name", "email", "tags", "preferred_channel"}
)
#: First characters a spreadsheet reads as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"


def guard(text: str | None) -> str:
    """A cell a spreadsheet will not run: a leading `'` before a formula start or a `'`."""
    if not text:
        return ""
    return GUARD + text if text.startswith((*FORMULA_START, GUARD)) else text


def unguard(text: str) -> str:
    """The value `guard` was given: one leading `'` removed (a cell of a Payvand export only)."""
    return text[1:] if text.startswith(GUARD) else text


#: The columns the importer's rejects file puts before the file's own.
REJECTS_PREFIX = ("line", "reason", "reason_code")
#: The same before reason codes existed (such files still import).
_OLD_REJECTS_PREFIX = ("line", "reason")


def _export_match(header: Sequence[str]) -> tuple[int, tuple[str, ...]] | None:
    """(offset of the export's columns, the export header they match) of a Payvand export, else None."""
    names = tuple(h.lstrip("\ufeff").strip() for h in header)
    for export in (EXPORT_HEADER, *_OLD_EXPORT_HEADERS):
        if names == export:
            return 0, export
        for prefix in (REJECTS_PREFIX, _OLD_REJECTS_PREFIX):
            if names == prefix + export:
                return len(prefix), export
    return None


def _export_offset(header: Sequence[str]) -> int | None:
    found = _export_match(header)
    return None if found is None else found[0]


def is_payvand_export(header: Sequence[str]) -> bool:
    """True when `header` is the header row of Payvand's customer CSV export (or of the rejects
    file of its import)."""
    return _export_offset(header) is not None


def guarded_indexes(header: Sequence[str]) -> tuple[int, ...]:
    """The positions of the guarded columns in a Payvand export's header (empty for other files)."""
    found = _export_match(header)
    if found is None:
        return ()
    offset, export = found
    return tuple(offset + i for i, name in enumerate(export) if name in GUARDED_COLUMNS)
