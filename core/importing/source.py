"""Reading a CSV file as a stream of rows: encoding and delimiter detection, line numbers.

The file is never loaded whole: a sample of the first 64 KiB decides the encoding (UTF-8
with or without BOM, UTF-16 with BOM, else cp1256 — what Excel writes on Persian Windows)
and the delimiter (comma, semicolon or tab); rows are then read one at a time. Bytes that
are not valid in the chosen encoding do not stop the import: they are kept as surrogate
escapes and the row that holds them is rejected. A file that is not text at all (an xlsx
workbook, a PDF, an image, anything with NUL bytes) is refused before a byte is decoded.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from typing import IO, Any

SAMPLE_BYTES = 64 * 1024
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
_BAD_BYTES = re.compile("[\udc80-\udcff]")
_ERROR_HANDLER = "payvand-import"
#: How many undecodable byte runs all imports have met; a change tells a reader to check rows.
_decode_errors = [0]


def _count_and_escape(exc: UnicodeError) -> tuple[str | bytes, int]:
    _decode_errors[0] += 1
    return codecs.lookup_error("surrogateescape")(exc)


codecs.register_error(_ERROR_HANDLER, _count_and_escape)


class SourceError(ValueError):
    """The file cannot be read at all (empty, no header, unsupported encoding)."""


class _Prefixed(io.RawIOBase):
    """A non-seekable binary stream with its already-read first bytes put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


#: File signatures of what people pick by mistake instead of a CSV export.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) or Word document"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"SQLite format 3\x00", "a SQLite database"),
)
#: Control bytes that never occur in a text file (tab, newlines and form feed excepted).
_CONTROL_BYTES = bytes([*range(9), 11, *range(14, 27), *range(28, 32)])


def binary_kind(sample: bytes, *, wide: bool = False) -> str | None:
    """What a file starting with `sample` is when it is not text (None for text).

    Known signatures (xlsx/zip, xls, PDF, images, archives) name the kind; otherwise a NUL
    byte, or control bytes in more than 1 % of the sample, mean binary data — no encoding
    turns those into a header. UTF-16 files (with a BOM, or `wide` when the caller named a
    UTF-16/32 encoding) are text.
    """
    for signature, kind in _SIGNATURES:
        if sample.startswith(signature):
            return kind
    if wide or sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if b"\x00" in sample:
        return "binary data (it contains NUL bytes)"
    controls = sum(sample.count(bytes([b])) for b in _CONTROL_BYTES)
    if controls * 100 > len(sample):
        return "binary data (control characters, no text)"
    return None


def detect_encoding(sample: bytes) -> str:
    """The encoding of a file starting with `sample`: BOMs, then UTF-8 if valid, else cp1256."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1256"
    return "utf-8-sig"


def detect_delimiter(first_line: str) -> str:
    """The delimiter of a header line: whichever of `,` `;` tab occurs most outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def problem_code(problem: str) -> str:
    """The reason code (`payvand.core.importing.reasons`) of a problem `CsvSource.rows` yields."""
    return "bad_encoding" if problem.startswith("the line is not valid") else "unreadable_csv"


class CsvSource:
    """An open CSV file: its header, encoding, delimiter and an iterator of numbered rows."""

    def __init__(
        self,
        source: str | os.PathLike[str] | IO[Any],
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        self.name = "stream"
        self._owned: IO[bytes] | None = None
        self.total_bytes: int | None = None
        self.binary = self._open_binary(source)
        self._errors_at_start = _decode_errors[0]
        self.encoding = self._resolve_encoding(encoding)
        self.text = io.TextIOWrapper(
            self.binary, encoding=self.encoding, errors=_ERROR_HANDLER, newline=""
        )
        self._setup_reader(delimiter)

    @classmethod
    def from_text(cls, stream: IO[str], *, delimiter: str | None = None) -> CsvSource:
        """A source over an already decoded text stream (e.g. an uploaded file wrapper)."""
        self = cls.__new__(cls)
        self.name = getattr(stream, "name", "stream")
        self._owned = None
        self.total_bytes = None
        self.binary = None
        self.encoding = getattr(stream, "encoding", None) or "text"
        self.text = stream  # type: ignore[assignment]
        self._errors_at_start = _decode_errors[0]
        self._setup_reader(delimiter)
        return self

    def _open_binary(self, source: Any) -> Any:
        if isinstance(source, (str, os.PathLike)):
            self.name = os.fspath(source)
            try:
                self._owned = open(source, "rb", buffering=1 << 20)  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise SourceError(f"cannot open {self.name}: {exc.strerror or exc}") from None
            self.total_bytes = os.fstat(self._owned.fileno()).st_size
            return self._owned
        self.name = str(getattr(source, "name", "stream"))
        return source

    def _resolve_encoding(self, encoding: str | None) -> str:
        binary = self.binary
        seekable = getattr(binary, "seekable", lambda: False)()
        if seekable:
            start = binary.tell()
            sample = binary.read(SAMPLE_BYTES)
            binary.seek(start)
        else:
            sample = binary.read(SAMPLE_BYTES)
            self.binary = io.BufferedReader(_Prefixed(sample, binary), 1 << 20)
        if not sample.strip():
            raise SourceError(f"{self.name} is empty")
        wide = encoding is not None and encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32", "utf16", "utf32"))
        kind = binary_kind(sample, wide=wide)
        if kind is not None:
            raise SourceError(
                f"{self.name} is not a CSV text file but {kind}: save it as CSV (UTF-8) and import that file"
            )
        if encoding and encoding.lower() not in ("auto", ""):
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise SourceError(f"unknown encoding {encoding!r}") from None
            return (
                "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
            )
        return detect_encoding(sample)

    def _setup_reader(self, delimiter: str | None) -> None:
        first = self.text.readline()
        self.header_line = 1
        while first and not first.strip():
            first = self.text.readline()
            self.header_line += 1
        if not first:
            raise SourceError(f"{self.name} has no header row")
        if delimiter and delimiter != "auto":
            if delimiter not in DELIMITERS:
                raise SourceError(f"unknown delimiter {delimiter!r}: use ',', ';', 'tab' or '|'")
            self.delimiter = DELIMITERS[delimiter]
        else:
            self.delimiter = detect_delimiter(first)
        self.header = next(csv.reader([first], delimiter=self.delimiter))
        if _BAD_BYTES.search(first):
            raise SourceError(
                f"the header of {self.name} is not valid {self.encoding}: pass --encoding"
            )
        self._reader = csv.reader(self.text, delimiter=self.delimiter)

    @property
    def bytes_read(self) -> int | None:
        """How far into the file the reader is (for progress), when the stream can tell."""
        try:
            return self.binary.tell() if self.binary is not None else None
        except (OSError, ValueError, AttributeError):
            return None

    def rows(self) -> Iterator[tuple[int, list[str] | None, str | None]]:
        """Yield `(line, cells, problem)` per record; `problem` explains an unreadable record.

        `line` is the physical line where the record starts (quoted fields may span lines).
        Blank lines are skipped.
        """
        reader = self._reader
        offset = self.header_line
        consumed = 0
        check_bytes = False
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield offset + consumed + 1, None, f"unreadable CSV: {exc}"
                consumed = reader.line_num
                continue
            start = offset + consumed + 1
            consumed = reader.line_num
            if not cells:
                continue
            if not check_bytes:
                check_bytes = _decode_errors[0] != self._errors_at_start
            if check_bytes and _BAD_BYTES.search("".join(cells)):
                yield (
                    start,
                    cells,
                    f"the line is not valid {self.encoding.replace('-sig', '')} text",
                )
                continue
            yield start, cells, None

    def close(self) -> None:
        """Close the file if this source opened it."""
        if self._owned is not None:
            self._owned.close()
