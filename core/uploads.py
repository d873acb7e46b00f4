"""Checking an uploaded file's whole type, and serving a stored upload safely.

A file is accepted as a type only when all of it is that type, not just its first bytes:

- PNG: the signature, then chunks whose lengths add up and whose CRCs match, IHDR first and
  IEND last with nothing after it.
- JPEG: SOI at the start, EOI at the end (trailing padding allowed).
- WebP: the RIFF size field equals the file's length.
- PDF: `%PDF-1.x` / `%PDF-2.x` at the start, and `startxref` and `%%EOF` in the last KB
  with nothing but white space after the last `%%EOF`.
- CSV: text — no NUL byte (unless UTF-16 with its BOM; in the first MB of a file on disk), no
  signature of a binary format.

Besides, no file may sniff as HTML or script: a browser that ignored the declared type would
run it. The first KB is searched for the tags browsers' sniffing looks for (`<html`,
`<script`, `<!doctype html`, …, case-insensitive), and so is the last KB of a PDF, where a
polyglot would hide its page. The file name's extension must be one of the detected type's,
and the file is stored under a name made by the server with the type's own extension.

Served back (`send_upload`), a file gets its checked type, `nosniff`, a CSP that runs nothing
(`default-src 'none'; sandbox`), and `Content-Disposition: attachment` unless its type is
safe to show inline (PNG, JPEG, WebP).
"""

from __future__ import annotations

import codecs
import re
import struct
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

#: How much of a file is searched for HTML (and of a PDF's end for its trailer).
SNIFF_BYTES = 1024
#: How much of a text file stored on disk is read to tell that it is text.
TEXT_HEAD = 1024 * 1024
#: Tags whose presence makes a browser's sniffer (or a careless viewer) treat bytes as HTML.
_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|script|iframe|frame|frameset|object|embed|svg|img|style|"
                   rb"title|meta|link|div|table|font|form|base)[\s/>]", re.IGNORECASE)
_PNG = b"\x89PNG\r\n\x1a\n"
_BINARY_SIGNATURES = (b"%PDF-", _PNG, b"\xff\xd8\xff", b"RIFF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"GIF8",
                      b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"MZ", b"\x7fELF")


@dataclass(frozen=True)
class FileType:
    """A type of upload: its name, Content-Type, the extension it is stored with, the extensions a
    file name may have, and whether it may be shown inline (else it is always a download)."""

    name: str
    content_type: str
    extension: str
    extensions: tuple[str, ...]
    inline: bool


FILE_TYPES: dict[str, FileType] = {
    "pdf": FileType("pdf", "application/pdf", "pdf", ("pdf",), inline=False),
    "png": FileType("png", "image/png", "png", ("png",), inline=True),
    "jpeg": FileType("jpeg", "image/jpeg", "jpg", ("jpg", "jpeg", "jpe", "jfif"), inline=True),
    "webp": FileType("webp", "image/webp", "webp", ("webp",), inline=True),
    "csv": FileType("csv", "text/csv", "csv", ("csv", "txt"), inline=False),
}

MESSAGES = {
    "empty": _l("The file is empty."),
    "type": _l("This kind of file is not accepted here."),
    "corrupt": _l("The file is damaged or is not what its first bytes say it is."),
    "html": _l("The file holds web page or script code and is not accepted."),
    "extension": _l("The file name's extension does not match its content (a %(kind)s file)."),
}


class UploadRejected(ValueError):
    """An upload that is not one of the allowed types; `code` is one of `MESSAGES`' keys and
    `message` the translated reason to show next to the file field."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        """The reason, in the current language."""
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])


def _png_whole(data: bytes) -> bool:
    offset, first = len(_PNG), True
    while offset + 12 <= len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        end = offset + 12 + length
        if length > 0x7FFFFFFF or end > len(data) or not kind.isalpha():
            return False
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(data[offset + 4:end - 4]) != crc or (first and kind != b"IHDR"):
            return False
        first = False
        offset = end
        if kind == b"IEND":
            return offset == len(data)
    return False


def _jpeg_whole(data: bytes) -> bool:
    return data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")


def _webp_whole(data: bytes) -> bool:
    if len(data) < 16 or data[8:12] != b"WEBP":
        return False
    (size,) = struct.unpack("<I", data[4:8])
    return size + 8 == len(data) or size + 9 == len(data)  # RIFF pads an odd payload with one byte


def _pdf_whole(data: bytes) -> bool:
    if not re.match(rb"%PDF-[12]\.\d", data):
        return False
    tail = data[-SNIFF_BYTES:]
    end = tail.rfind(b"%%EOF")
    return end >= 0 and b"startxref" in tail and not tail[end + 5:].strip()


def _is_text(data: bytes) -> bool:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    return b"\x00" not in data and not data.startswith(_BINARY_SIGNATURES)


def _detect(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(_PNG):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "csv" if _is_text(data) else None


_WHOLE = {"pdf": _pdf_whole, "png": _png_whole, "jpeg": _jpeg_whole, "webp": _webp_whole}


def sniffs_as_html(data: bytes, kind: str | None = None) -> bool:
    """Whether `data` holds what a browser would run as a page: an HTML tag in its first KB (and,
    for a PDF, its last KB). For text, leading white space and a BOM are skipped first."""
    head = data[:SNIFF_BYTES]
    if kind == "csv":
        text = head.lstrip(b"\xef\xbb\xbf").lstrip()
        return bool(_HTML.match(text))  # a CSV may quote tags in its cells; it must not *be* a page
    if _HTML.search(head):
        return True
    return kind == "pdf" and bool(_HTML.search(data[-SNIFF_BYTES:]))


def _read(data: bytes | Path) -> bytes:
    """The bytes to check: all of them, except for a large text file, of which the first
    `TEXT_HEAD` bytes tell whether it is text (a CSV import may be tens of megabytes)."""
    if not isinstance(data, Path):
        return bytes(data)
    with data.open("rb") as handle:
        head = handle.read(TEXT_HEAD)
        if _detect(head) != "csv":
            return head + handle.read()
    return head


def check_upload(data: bytes | Path, filename: str | None, allowed: Collection[str]) -> FileType:
    """The type of an uploaded file (its bytes, or the path of a temporary copy) when it is wholly one
    of `allowed` (names of `FILE_TYPES`) and `filename`'s extension is one of that type's.

    Raises `UploadRejected` otherwise: `empty`, `type` (none of the allowed types), `corrupt`
    (starts like a type but is not wholly one), `html` (sniffs as a page or script) or
    `extension` (the name does not match the content). Store the file under a name of your own
    with `FileType.extension`, and serve it with `send_upload`.
    """
    raw = _read(data)
    if not raw.strip():
        raise UploadRejected("empty")
    kind = _detect(raw)
    if kind is None or kind not in allowed:
        raise UploadRejected("type")
    whole = _WHOLE.get(kind)
    if whole is not None and not whole(raw):
        raise UploadRejected("corrupt")
    if sniffs_as_html(raw, kind):
        raise UploadRejected("html")
    found = FILE_TYPES[kind]
    suffix = Path((filename or "").replace("\\", "/")).suffix.lower().lstrip(".")
    if suffix not in found.extensions:
        raise UploadRejected("extension", kind=found.extension.upper())
    return found


def download_name(filename: str, file_type: FileType) -> str:
    """`filename` with an extension of `file_type` (its own is appended when it has another one),
    so a file saved from the browser never opens as something else."""
    suffix = Path(filename).suffix.lower().lstrip(".")
    return filename if suffix in file_type.extensions else f"{filename}.{file_type.extension}"


def send_upload(path: Path, file_type: FileType, filename: str) -> Any:
    """A Flask response serving a checked, stored upload under `filename` (its extension made to
    match): its type's Content-Type, `nosniff`, a policy that runs nothing (`default-src 'none';
    sandbox`), and a download unless the type is safe inline (images)."""
    from flask import send_file

    response = send_file(path, mimetype=file_type.content_type, download_name=download_name(filename, file_type),
                         as_attachment=not file_type.inline, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def upload_type(content_type: str) -> FileType | None:
    """The upload type with this Content-Type (for files stored before their type was recorded by name)."""
    return next((t for t in FILE_TYPES.values() if t.content_type == content_type), None)
