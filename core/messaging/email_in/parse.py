"""One raw email (RFC 5322 bytes) to what the core records: an `InboundMessage`, a
`DeliveryReceipt` (a bounce), or a rejection with its reason. Never raises.

Reading, in order:

1. headers with the stdlib `email` package and `policy.default` (RFC 2047 encoded words in
   any charset Python knows, `windows-1256` included); subject and sender name get the
   Persian letter folding (ي→ی, ك→ک);
2. a DSN (`multipart/report; report-type=delivery-status`) becomes a receipt (`bounces.py`);
3. the body: the first `text/plain` of the message (inside alternative, related or mixed
   parts), else its HTML converted to text (`html_text.py`); the HTML part, sanitised, is kept
   as `html`. Each text part is decoded with its declared charset, and when that is missing or
   wrong (bytes that do not decode, UTF-8 declared as Latin-1) with UTF-8, then Windows-1256
   when the text reads as Arabic script, then Windows-1252/Latin-1;
4. `summary`: the new text with quotes and signature trimmed, at most 500 characters (`quotes.py`);
5. attachments and inline images: the type is checked from the bytes by the project's upload
   checker (`payvand.core.uploads.check_upload`: PDF, PNG, JPEG, WebP, CSV); a file of another
   type or larger than `PAYVAND_MAIL_MAX_ATTACHMENT_BYTES` is dropped and noted in the message's
   headers (`X-Payvand-Dropped`), the message kept. An inline image keeps its `Content-ID`
   (`MailAttachment.content_id`);
6. threading: `replies_to` from `References` then `In-Reply-To` (newest last); `subject_tag`
   from a `[#123]` in the subject; `automatic` from the auto-reply and loop headers (`autoreply.py`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import hashlib
import re
from collections.abc import Collection, Mapping
from email import message_from_bytes, policy
from email.message import Message
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from payvand.core.mail import Attachment
from payvand.core.messaging.contract import DeliveryReceipt, InboundMessage
from payvand.core.messaging.email_in import autoreply, bounces, html_text, quotes
from payvand.core.normalize import NormalizationError, clean_text, normalize_email, persian_letters
from payvand.core.uploads import FILE_TYPES, UploadRejected, check_upload

#: Largest attachment kept (bytes) unless `PAYVAND_MAIL_MAX_ATTACHMENT_BYTES` says otherwise.
DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
#: The upload types a mail attachment may be (the project's one list, `payvand.core.uploads.FILE_TYPES`).
ATTACHMENT_TYPES: tuple[str, ...] = tuple(FILE_TYPES)
#: The subject tag a reply carries when its headers are lost: `[#123]` (the digits are kept).
SUBJECT_TAG = re.compile(r"\[#(\d{1,18})\]")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_DECLARED = frozenset({"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"})
#: Headers kept with the message (for threading, display and diagnosis).
KEPT_HEADERS = ("Message-ID", "In-Reply-To", "References", "Date", "From", "To", "Cc", "Reply-To", "Subject",
                "Auto-Submitted", "Precedence", "List-Id", "Content-Language")


@dataclasses.dataclass(frozen=True)
class MailAttachment(Attachment):
    """An attachment of an inbound mail; `content_id` is an inline image's `Content-ID` (no `<>`)."""

    content_id: str | None = None
    inline: bool = False


@dataclasses.dataclass(frozen=True)
class ParseOptions:
    """How to read mail: our own addresses (loop protection: `PAYVAND_MAIL_FROM` and the IMAP login when
    it is an address), the attachment size limit, the channel name."""

    own_addresses: frozenset[str] = frozenset()
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
    channel: str = "email"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ParseOptions:
        """Options from an app/CLI configuration (`PAYVAND_MAIL_FROM`, `PAYVAND_MAIL_MAX_ATTACHMENT_BYTES`)."""
        own = set()
        sender = config.get("PAYVAND_MAIL_FROM")
        if sender:
            own.add(email.utils.parseaddr(str(sender))[1].strip().lower())
        imap_url = config.get("PAYVAND_IMAP_URL")
        if imap_url:  # the polled mailbox's own address (its login, when it is one)
            user = unquote(urlsplit(str(imap_url)).username or "").strip().lower()
            if "@" in user:
                own.add(user)
        own.discard("")
        limit = config.get("PAYVAND_MAIL_MAX_ATTACHMENT_BYTES") or DEFAULT_MAX_ATTACHMENT_BYTES
        return cls(own_addresses=frozenset(own), max_attachment_bytes=int(limit))


@dataclasses.dataclass(frozen=True)
class ParsedMail:
    """What one raw mail is: a `message`, a `receipt` (a DSN), or `rejected` with a reason.

    `automatic` (on the message) says why no hook should react; `notes` say what was dropped.
    """

    kind: Literal["message", "receipt", "rejected", "ignored"]
    message: InboundMessage | None = None
    receipt: DeliveryReceipt | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()
    automatic_reason: str | None = None


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # an unparseable header reads as its raw text, or nothing
        try:
            value = message.get_all(name, [None])[0]
        except Exception:
            return ""
    return " ".join(str(value).split()) if value is not None else ""


def message_id(value: str) -> str | None:
    """The first `<id@host>` in a header value (angle brackets kept), or None."""
    found = _MESSAGE_ID.search(value or "")
    return found.group() if found else None


def _message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _charset_ok(name: str) -> bool:
    import codecs

    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _looks_arabic(text: str) -> bool:
    non_ascii = [c for c in text if ord(c) > 127]
    return bool(non_ascii) and sum(1 for c in non_ascii if _ARABIC_SCRIPT.match(c)) * 2 > len(non_ascii)


def decode_text(raw: bytes, declared: str | None) -> str:
    """Text of a part's bytes: the declared charset when it fits, else UTF-8, Windows-1256, Latin-1.

    A part declared Latin-1 or ASCII whose bytes are valid UTF-8 with non-ASCII characters is
    read as UTF-8 (a common mislabelling); Windows-1256 is chosen only when it reads as Arabic
    script. The result has Arabic ي/ك folded to Persian.
    """
    charset = (declared or "").strip().strip('"').lower() or None
    if charset in ("windows-1256", "cp1256", "x-mac-arabic", "iso-8859-6"):
        charset = "cp1256" if charset != "iso-8859-6" else charset
    text: str | None = None
    if raw.isascii():
        text = raw.decode("ascii")
    if text is None and charset in _LATIN_DECLARED:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is None and charset and charset not in _LATIN_DECLARED and _charset_ok(charset):
        try:
            text = raw.decode(charset)
        except UnicodeDecodeError:
            text = None
    if text is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            candidate = raw.decode("cp1256", "replace")
            if _looks_arabic(candidate):
                text = candidate
            elif charset in _LATIN_DECLARED and charset not in ("us-ascii", "ascii"):
                text = raw.decode("cp1252" if charset in ("windows-1252", "cp1252") else "latin-1", "replace")
            else:
                text = raw.decode("cp1252", "replace")
    return persian_letters(text.replace("\r\n", "\n").replace("\r", "\n"))


def _part_text(part: Message) -> str:
    try:
        raw = part.get_payload(decode=True)
    except Exception:
        raw = None
    if not isinstance(raw, bytes):
        payload = part.get_payload()
        raw = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    return decode_text(raw, declared)


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
    except Exception:
        return True
    return disposition == "attachment" or bool(filename)


def _body_parts(message: Message) -> tuple[Message | None, Message | None]:
    """The first plain and first HTML text part that are not attachments (outside nested messages)."""
    plain: Message | None = None
    html: Message | None = None
    stack: list[Message] = [message]
    while stack:
        part = stack.pop(0)
        kind = part.get_content_type()
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack[0:0] = [child for child in children if isinstance(child, Message)]
            continue
        if kind == "message/rfc822" or _is_attachment(part):
            continue
        if kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    return plain, html


def _checked_type(content: bytes, filename: str) -> tuple[str, str]:
    """(content type, file name) of an attachment its bytes prove, or raises UploadRejected."""
    try:
        found = check_upload(content, filename, ATTACHMENT_TYPES)
        return found.content_type, filename
    except UploadRejected as exc:
        if exc.code != "extension":
            raise
    for kind in ATTACHMENT_TYPES:  # right content, wrong name: keep the content, fix the name
        try:
            found = check_upload(content, f"file.{FILE_TYPES[kind].extension}", (kind,))
        except UploadRejected:
            continue
        stem = filename.rsplit(".", 1)[0] if "." in filename else filename
        return found.content_type, f"{stem}.{found.extension}"
    raise UploadRejected("type")


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def _attachments(message: Message, skip: Collection[int], options: ParseOptions
                 ) -> tuple[list[MailAttachment], list[str]]:
    kept: list[MailAttachment] = []
    notes: list[str] = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart() or id(part) in skip:
            continue
        kind = part.get_content_type()
        if kind.startswith("text/") and not _is_attachment(part):
            continue
        if kind == "message/rfc822":
            continue
        try:
            content = part.get_payload(decode=True)
            filename = part.get_filename() or ""
        except Exception:
            notes.append(f"an attachment could not be read (part {index})")
            continue
        if not isinstance(content, bytes) or not content:
            continue
        content_id = (_header(part, "Content-ID").strip().strip("<>") or None)
        if not filename:
            subtype = kind.split("/", 1)[-1] if "/" in kind else "bin"
            filename = f"{'inline' if content_id else 'attachment'}-{index}.{subtype.replace('jpeg', 'jpg')}"
        filename = clean_text(filename.replace("/", "_").replace("\\", "_")) or f"attachment-{index}"
        if len(content) > options.max_attachment_bytes:
            notes.append(f"{filename} dropped: {_size_text(len(content))}, larger than the "
                         f"{_size_text(options.max_attachment_bytes)} limit")
            continue
        try:
            content_type, filename = _checked_type(content, filename)
        except UploadRejected as exc:
            notes.append(f"{filename} dropped: {exc.message}")
            continue
        inline = (part.get_content_disposition() or "").lower() == "inline" or (
            content_id is not None and (part.get_content_disposition() or "") != "attachment")
        kept.append(MailAttachment(filename=filename[:255], content=content, content_type=content_type,
                                   content_id=content_id, inline=inline))
    return kept, notes


def _received_at(message: Message) -> dt.datetime:
    value = _header(message, "Date")
    try:
        when = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None:
        return dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _sender(message: Message) -> tuple[str, str]:
    """(address, display name) of the From header (Sender or Return-Path when From is unreadable)."""
    for name in ("From", "Sender", "Reply-To", "Return-Path"):
        value = _header(message, name)
        if not value:
            continue
        display, address = email.utils.parseaddr(value)
        if address and "@" in address:
            try:
                address = normalize_email(address)
            except NormalizationError:
                address = address.strip().lower()
            return address, clean_text(display) or ""
    return "", ""


def _language(message: Message, text: str) -> str | None:
    declared = _header(message, "Content-Language").split(",")[0].strip().lower()
    if declared:
        return declared.split("-")[0][:16]
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    arabic = sum(1 for c in letters if _ARABIC_SCRIPT.match(c))
    return "fa" if arabic * 3 > len(letters) else "en"


def _synthetic_id(raw: bytes) -> str:
    """A stable Message-ID for mail without one, so reading it again is still recognised."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.payvand.invalid>"


def parse_email(raw: bytes, options: ParseOptions | None = None) -> ParsedMail:
    """Read one raw RFC 5322 message into a `ParsedMail`; never raises (see the module's notes)."""
    options = options or ParseOptions()
    try:
        return _parse(raw, options)
    except Exception as exc:  # the last guard: a message is rejected with a reason, never lost silently
        return ParsedMail("rejected", reason=f"unreadable message: {type(exc).__name__}: {exc}"[:500])


def _parse(raw: bytes, options: ParseOptions) -> ParsedMail:
    if not raw or not raw.strip():
        return ParsedMail("rejected", reason="empty message")
    message = message_from_bytes(raw, policy=policy.default)
    received_at = _received_at(message)
    if bounces.is_dsn(message):
        dsn = bounces.read_dsn(message)
        receipt = bounces.receipt_of(dsn, options.channel, received_at) if dsn else None
        if receipt is not None:
            return ParsedMail("receipt", receipt=receipt)
        reason = "delivery delayed (no outcome yet)" if dsn and dsn.action == "delayed" else \
            "delivery report without the original message's id"
        return ParsedMail("ignored", reason=reason)
    sender, sender_name = _sender(message)
    if not sender:
        return ParsedMail("rejected", reason="no sender address (From) could be read")
    external_id = message_id(_header(message, "Message-ID")) or _synthetic_id(raw)
    plain, html_part = _body_parts(message)
    html_source = _part_text(html_part) if html_part is not None else None
    if plain is not None:
        body = _part_text(plain).strip()
    elif html_source is not None:
        body = html_text.html_to_text(html_source)
    else:
        body = ""
    safe_html = html_text.sanitize_html(html_source) if html_source else None
    skip = {id(part) for part in (plain, html_part) if part is not None}
    attachments, notes = _attachments(message, skip, options)
    if message.defects:
        notes.append("malformed MIME: " + ", ".join(sorted({type(d).__name__ for d in message.defects}))[:200])
    subject = clean_text(_header(message, "Subject")) or ""
    tag = SUBJECT_TAG.search(subject)
    references = _message_ids(_header(message, "References"))
    for reference in _message_ids(_header(message, "In-Reply-To")):
        if reference in references:
            references.remove(reference)
        references.append(reference)
    automatic = autoreply.automatic_reason(message, sender, options.own_addresses)
    headers = {name: _header(message, name)[:1000] for name in KEPT_HEADERS if _header(message, name)}
    if notes:
        headers["X-Payvand-Dropped"] = "; ".join(notes)[:1000]
    if automatic:
        headers["X-Payvand-Automatic"] = automatic
    inbound = InboundMessage(
        channel=options.channel, external_id=external_id, sender=sender, received_at=received_at,
        subject=subject[:500], body=body, summary=quotes.summary(body), html=safe_html or None,
        sender_name=sender_name, attachments=tuple(attachments), replies_to=tuple(references),
        subject_tag=tag.group(1) if tag else None, automatic=automatic is not None,
        language=_language(message, body), headers=headers,
    )
    return ParsedMail("message", message=inbound, notes=tuple(notes), automatic_reason=automatic)
