"""Telling machine-sent mail from a person's: auto-replies, bulk mail and loops.

Such mail is recorded but marked `automatic`, so no hook reacts to it (an out-of-office reply
must not reopen a ticket, and answering it would start a loop between two robots).
"""

from __future__ import annotations

from collections.abc import Collection
from email.message import Message

#: The reason given for mail from one of our own addresses: a loop, never recorded (`ingest.store_parsed`).
LOOP_REASON = "sent from our own address (loop)"


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse is as good as absent
        return ""
    return str(value).strip() if value is not None else ""


def automatic_reason(message: Message, sender: str, own_addresses: Collection[str]) -> str | None:
    """Why `message` is machine-sent, or None for a person's mail.

    - `Auto-Submitted` other than `no` (RFC 3834: `auto-replied`, `auto-generated`, ...);
    - `X-Autoreply`, `X-Autorespond` (any value), `X-Auto-Response-Suppress` set by
      Exchange's out-of-office on its replies is not used (ordinary Outlook mail carries it too);
    - `Precedence: bulk`, `junk` or `list`; a mailing list's `List-Id` with any `Precedence`;
    - an empty return path (`Return-Path: <>`, a bounce) or a `MAILER-DAEMON` sender;
    - mail from one of our own addresses (`own_addresses`, lower-case): a loop.
    """
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _header(message, name):
            return f"{name} header"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    if precedence and _header(message, "List-Id"):
        return "mailing list (List-Id with Precedence)"
    if _header(message, "Return-Path") == "<>":
        return "empty return path (a delivery report)"
    local = sender.split("@", 1)[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        return f"sent by {local}"
    if sender.lower() in own_addresses:
        return LOOP_REASON
    return None
