"""What the send and receive sides share: references, thread tags, the status order, addresses.

A message's `reference` is our stable id of it: `<payvand.{id}.{random}@{domain}>`, where the
domain is that of `PAYVAND_MAIL_FROM` (an email's `Message-ID`; other channels pass it to
providers that deduplicate by a client reference). A thread's subject tag is `[#<thread id>]`
(the id of the thread's first message); replies carry it in their subject so that an answer
whose headers were lost is still matched (`thread_tag`, `find_thread_tag`).
"""

from __future__ import annotations

import email.utils
import re
import secrets
from collections.abc import Mapping
from typing import Any

from payvand.core.mail import DEFAULT_SENDER

#: Interaction kind of every message on the timeline (direction tells sent from received).
MESSAGE_KIND = "core.message"

#: Outbound statuses in the order receipts move them; `failed` and `bounced` are final.
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "opened": 4, "clicked": 5}
FINAL_STATUSES = frozenset({"failed", "bounced", "refused"})

_TAG = re.compile(r"\[#(\d{1,18})\]")


def mail_domain(config: Mapping[str, Any]) -> str:
    """The domain of `PAYVAND_MAIL_FROM` (our references and Message-IDs end in it)."""
    sender = str(config.get("PAYVAND_MAIL_FROM") or DEFAULT_SENDER)
    return email.utils.parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def make_reference(message_id: int, domain: str) -> str:
    """A message's stable reference: `<payvand.{id}.{random}@{domain}>`."""
    return f"<payvand.{message_id}.{secrets.token_hex(6)}@{domain}>"


def pending_reference() -> str:
    """A unique placeholder reference for a row inserted before its id is known."""
    return f"pending.{secrets.token_hex(12)}"


def thread_tag(thread_id: int) -> str:
    """The subject tag of a thread: `[#42]`."""
    return f"[#{thread_id}]"


def tag_subject(subject: str, thread_id: int | None) -> str:
    """`subject` with its thread's tag appended (once), when there is a thread."""
    if thread_id is None:
        return subject
    tag = thread_tag(thread_id)
    return subject if tag in subject else f"{subject} {tag}".strip()


def find_thread_tag(subject: str) -> int | None:
    """The thread id of the last `[#id]` tag in `subject`, if any."""
    found = _TAG.findall(subject or "")
    return int(found[-1]) if found else None


def parse_tag(tag: str | None) -> int | None:
    """A `subject_tag` as a channel gives it (`[#42]`, `#42` or `42`) as a thread id."""
    if not tag:
        return None
    digits = tag.strip().strip("[]").lstrip("#")
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


def moves_forward(current: str, new: str) -> bool:
    """Whether a receipt's `new` status replaces `current`: never after a final status, always
    to `failed`/`bounced`, otherwise only further along `STATUS_RANK` (a late `delivered`
    never overwrites `clicked`)."""
    if current in FINAL_STATUSES or current == "received":
        return False
    if new in FINAL_STATUSES:
        return True
    return STATUS_RANK.get(new, -1) > STATUS_RANK.get(current, -1)


def savepoint(session: Any) -> Any:
    """`session.begin_nested()`, first making sure SQLite's driver has begun the real transaction.

    pysqlite begins a transaction only before a write, so a SAVEPOINT after reads alone would
    be the outermost transaction and its RELEASE would commit the caller's work.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN")
    return session.begin_nested()
