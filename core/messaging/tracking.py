"""Open and click tracking of outbound HTML email (`PAYVAND_MAIL_TRACKING`).

When tracking applies to a message's purpose (`marketing` — the default — every marketing
purpose; `all` every purpose; `off` none), the email channel rewrites the HTML part as it
builds the mail: each `http(s)` link points at `/mail/click/<token>` and a 1x1 image
`/mail/open/<token>` is appended. The plain-text part keeps the original links.

A token is signed with the app's secret key (itsdangerous, its own salt) and carries the
message's reference (its `Message-ID`) and, for a link, the address the message linked to:
the click route redirects only to that address, so it can never be used as an open redirect,
and a forged or altered token is a 404. Opens and clicks are recorded as delivery receipts
through `record_receipts` (statuses only move forward); a click first records an `opened`
receipt when the message has none, since a click implies the mail was opened; a second open
adds nothing (mail clients reload images), every click adds a receipt.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.messaging.contract import DeliveryReceipt, needs_consent

TRACKING_SALT = "payvand.tracking"
MODES = ("marketing", "all", "off")

#: The 1x1 transparent GIF the open route answers with.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
         b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def tracking_mode(config: Mapping[str, Any]) -> str:
    """`PAYVAND_MAIL_TRACKING`: `marketing` (default), `all` or `off` (anything unknown counts as off)."""
    value = str(config.get("PAYVAND_MAIL_TRACKING") or "marketing").strip().lower()
    return value if value in MODES else "off"


def tracks(config: Mapping[str, Any], purpose: str) -> bool:
    """Whether mail of `purpose` is tracked under the configured mode."""
    mode = tracking_mode(config)
    return mode == "all" or (mode == "marketing" and needs_consent(purpose))


def _serializer(secret: str) -> Any:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(secret, salt=TRACKING_SALT)


def tracking_token(secret: str, reference: str, url: str | None = None) -> str:
    """A signed token naming a message (its reference) and, for a click, the link's address."""
    data: dict[str, str] = {"m": reference}
    if url is not None:
        data["u"] = url
    return str(_serializer(secret).dumps(data))


def read_tracking_token(secret: str, token: str) -> tuple[str, str | None] | None:
    """(reference, url or None) of a valid token, else None (also for a link that is not http(s))."""
    from itsdangerous import BadSignature

    try:
        data = _serializer(secret).loads(token)
        reference, url = str(data["m"]), data.get("u")
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None
    if url is not None and not _trackable(str(url)):
        return None
    return reference, (str(url) if url is not None else None)


def _trackable(url: str) -> bool:
    """Only absolute http(s) links are rewritten (and followed): not mailto:, tel:, anchors."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _base(config: Mapping[str, Any]) -> str:
    return str(config.get("PAYVAND_BASE_URL") or "http://localhost:5000").rstrip("/")


def open_url(config: Mapping[str, Any], token: str) -> str:
    """The public address of a message's tracking pixel."""
    return f"{_base(config)}/mail/open/{token}"


def click_url(config: Mapping[str, Any], token: str) -> str:
    """The public address of a tracked link."""
    return f"{_base(config)}/mail/click/{token}"


def track_html(html: str, config: Mapping[str, Any], reference: str) -> str:
    """`html` with its http(s) links pointing at the click route and the open pixel appended."""
    secret = str(config.get("SECRET_KEY") or "")

    def rewrite(match: re.Match[str]) -> str:
        original = html_lib.unescape(match.group(3)).strip()
        if not _trackable(original):
            return match.group(0)
        target = click_url(config, tracking_token(secret, reference, original))
        return f'{match.group(1)}"{html_lib.escape(target, quote=True)}"'

    tracked = _HREF.sub(rewrite, html)
    pixel = (f'<img src="{html_lib.escape(open_url(config, tracking_token(secret, reference)), quote=True)}" '
             'width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">')
    ends = list(_BODY_END.finditer(tracked))
    if ends:
        at = ends[-1].start()
        return tracked[:at] + pixel + tracked[at:]
    return tracked + pixel


def record_interaction(session: Session, reference: str, clicked: bool) -> bool:
    """Record an open (or a click, with the open it implies) of the email `reference`; False when
    no message has that reference. Runs in the caller's transaction."""
    from payvand.core.messaging.inbox import record_receipts
    from payvand.core.models.message import Message, MessageReceipt

    now = dt.datetime.now(dt.UTC)
    opened = session.scalar(
        sa.select(MessageReceipt.id).join(Message, Message.id == MessageReceipt.message_id)
        .where(Message.channel == "email", Message.direction == "outbound", Message.reference == reference,
               MessageReceipt.status == "opened").limit(1))
    receipts = [] if opened is not None else [DeliveryReceipt("email", reference, "opened", now)]
    if clicked:
        receipts.append(DeliveryReceipt("email", reference, "clicked", now))
    if not receipts:  # opened again: the first open is what counts (a pixel reload adds no row)
        return session.scalar(sa.select(Message.id).where(
            Message.channel == "email", Message.direction == "outbound", Message.reference == reference)) is not None
    return record_receipts(session, receipts) > 0
