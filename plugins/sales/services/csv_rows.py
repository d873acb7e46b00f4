"""Reading the rows of an import file, shared by the product and lead imports.

The bytes are read by the SDK's `CsvSource`, the reader the core's customer import uses:
encoding detected from a sample (UTF-8 with or without BOM, UTF-16 with BOM, else cp1256 as
Excel writes on Persian Windows), delimiter sniffed (comma, semicolon or tab), rows streamed
with the physical line they start on, and a row with undecodable bytes reported instead of
stopping the import. On top of that this module matches headers written in English or Persian
(folded: Arabic ي/ك as Persian, ZWNJ, spaces, underscores and case ignored), turns each row
into a `{column: text}` record with Arabic ي/ك written as Persian ی/ک in names and codes (a
cp1256 file has only the Arabic forms; free-text columns declared `verbatim` are kept as
written), and reads Persian digits and yes/no words in cells.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, TypeVar

from payvand.sdk import CsvSource, CsvSourceError, fold_text, to_latin_digits

_NOISE = re.compile(r"[\s_\-.:/()]+")
_SEPARATORS = str.maketrans("٬،", ",,")  # the Persian thousands separator and the Arabic comma
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "بله", "آری", "دارد", "موجود", "بلی"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "خیر", "نه", "ندارد", "ناموجود"})


T = TypeVar("T")


class CsvFileError(Exception):
    """The file cannot be imported at all: empty, no header, unknown or missing columns."""


def header_key(text: str) -> str:
    """A header reduced for matching: folded, without spaces, underscores or punctuation."""
    return _NOISE.sub("", fold_text(text.lstrip("\ufeff")))


def latin_digits(text: str) -> str:
    """Persian and Arabic-Indic digits as Latin ones, Persian thousands separators as commas."""
    if text.isascii():  # the usual cell: nothing to translate (two passes saved per cell of an import)
        return text
    return to_latin_digits(text).translate(_SEPARATORS)


def parse_yes_no(text: str, column: str) -> bool:
    """A yes/no cell of `column` in English or Persian (`yes`, `1`, `بله`, `no`, `0`, `خیر`).

    Raises ValueError naming the column and the cell otherwise.
    """
    answer = _yes_no(text)
    if answer is None:
        raise ValueError(f"{column} {text!r} is not yes or no")
    return answer


@functools.lru_cache(maxsize=1024)
def _yes_no(text: str) -> bool | None:
    """True, False or None (neither) for a yes/no cell; cached, since a file repeats a few words."""
    word = fold_text(latin_digits(text))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


@dataclasses.dataclass(frozen=True)
class Columns:
    """The columns an import knows: spellings (any case, English or Persian) → column, and the required ones.

    `required` is a list of groups: the file must have at least one column of each group.
    `verbatim` columns hold free text a person wrote (notes): their cells are only stripped,
    never folded.
    """

    spellings: Mapping[str, str]
    required: Sequence[Sequence[str]] = ()
    verbatim: Sequence[str] = ()

    def lookup(self) -> dict[str, str]:
        """Folded spelling → column."""
        return {header_key(spelling): column for spelling, column in self.spellings.items()}

    def names(self) -> list[str]:
        """The columns, in the order they were first spelt."""
        return list(dict.fromkeys(self.spellings.values()))


@dataclasses.dataclass
class Record:
    """One data row: the line it starts on and its cells by column (stripped, empty ones left out)."""

    line: int
    cells: dict[str, str]


class CsvRows:
    """An open import file: its columns, encoding, delimiter and a stream of records or problems.

    `source` is a path, a binary stream (encoding detected) or a text stream (already decoded).
    """

    def __init__(self, source: str | os.PathLike[str] | IO[Any], columns: Columns) -> None:
        try:
            if hasattr(source, "read") and isinstance(source.read(0), str):
                self.source = CsvSource.from_text(source)  # type: ignore[arg-type]
            else:
                self.source = CsvSource(source)
        except CsvSourceError as exc:
            raise CsvFileError(_file_message(str(exc))) from None
        self.columns = self._header(self.source.header, columns)
        self.verbatim = frozenset(columns.verbatim)

    @property
    def encoding(self) -> str:
        """The encoding the file is read in (e.g. `utf-8-sig`, `cp1256`)."""
        return self.source.encoding

    @property
    def delimiter(self) -> str:
        """The delimiter of the file."""
        return self.source.delimiter

    @staticmethod
    def _header(fields: list[str], columns: Columns) -> list[str]:
        lookup = columns.lookup()
        found: list[str] = []
        unknown: list[str] = []
        for raw in fields:
            column = lookup.get(header_key(raw or ""))
            if column is None and (raw or "").strip():
                unknown.append(raw)
            found.append(column or "")
        if unknown:
            raise CsvFileError(f"Unknown columns: {', '.join(map(repr, unknown))}; "
                               f"use {', '.join(columns.names())}.")
        for group in columns.required:
            if not any(column in found for column in group):
                raise CsvFileError(f"The file has no {' or '.join(group)} column.")
        return found

    def records(self) -> Iterator[Record | tuple[int, str]]:
        """Each data row as a `Record`, or `(line, reason)` when the row cannot be read.

        Rows whose cells are all blank are skipped; a row with more cells than the header is
        refused (a stray delimiter would shift every value after it).
        """
        width = len(self.columns)
        for line, cells, problem in self.source.rows():
            if problem is not None or cells is None:
                yield line, problem or "unreadable row"
                continue
            texts = [cell.strip() for cell in cells]
            if not any(texts):
                continue
            if len(texts) > width and any(texts[width:]):
                yield line, f"{len(cells)} cells for {width} columns"
                continue
            verbatim = self.verbatim
            yield Record(line, {column: text if column in verbatim else text.translate(_LETTERS)
                                for column, text in zip(self.columns, texts, strict=False) if column and text})

    def parsed(self, parse: Callable[[Record], T], errors: list[tuple[int, str]]) -> Iterator[T]:
        """Each readable record through `parse`; a row that cannot be read, or whose `parse`
        raises ValueError, goes to `errors` as (line, reason) and the next row is read."""
        for item in self.records():
            if not isinstance(item, Record):
                errors.append(item)
                continue
            try:
                yield parse(item)
            except ValueError as exc:
                errors.append((item.line, str(exc)))

    def close(self) -> None:
        """Close the file if it was opened here (from a path)."""
        self.source.close()

    def __enter__(self) -> CsvRows:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last one shorter), read lazily."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _file_message(text: str) -> str:
    """A reader error as a sentence for the user."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
