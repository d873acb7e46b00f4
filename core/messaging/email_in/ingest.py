"""Recording parsed mail: messages to the inbox, bounces to the receipts, one outcome per mail.

Both ways mail comes in use this: the IMAP poller (through the email channel's `poll`) and
`payvand mail ingest` (a mail server's pipe, files, a maildir). The caller's transaction holds
the batch; `ingest_batch` opens one, commits it and only then returns, so whoever marks the
mail processed (the poller) does so after the commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from payvand.core.db import session_scope
from payvand.core.messaging.email_in.autoreply import LOOP_REASON
from payvand.core.messaging.email_in.imap import ImapPoller, PollReport, imap_config
from payvand.core.messaging.email_in.parse import ParsedMail, ParseOptions

OutcomeKind = Literal["recorded", "duplicate", "automatic", "bounce", "unmatched-bounce", "ignored", "rejected"]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one mail: its kind, the message's or receipt's id, and details for the line."""

    kind: OutcomeKind
    reference: str = ""
    detail: str = ""
    message_id: int | None = None

    def line(self, source: str = "") -> str:
        """One line for `payvand mail ingest`: `recorded <Message-ID>: ...`."""
        where = f" [{source}]" if source else ""
        words = {"automatic": "ignored automatic", "unmatched-bounce": "bounce for an unknown message"}
        text = f"{words.get(self.kind, self.kind)} {self.reference}".strip()
        return f"{text}{where}" + (f": {self.detail}" if self.detail else "")


def store_parsed(session: Session, parsed: Sequence[ParsedMail]) -> list[Outcome]:
    """Record a batch of parsed mail in `session` (not committed); one outcome per item, in order.

    Messages go to `receive_messages` together (a message already recorded, or twice in the
    batch, is a `duplicate`; an automatic one is recorded but fires no hook, except mail from our
    own address, a loop, which is not recorded at all: it would make us a customer); receipts go to
    `record_receipts`; rejected and ignored mail is only reported.
    """
    from payvand.core.messaging.inbox import receive_messages, record_receipts

    messages = [item.message for item in parsed if item.kind == "message" and item.message is not None
                and item.automatic_reason != LOOP_REASON]
    received = {r.message.external_id: r for r in receive_messages(session, messages)} if messages else {}
    seen: set[str] = set()
    outcomes: list[Outcome] = []
    for item in parsed:
        if item.kind == "message" and item.message is not None and item.automatic_reason == LOOP_REASON:
            outcomes.append(Outcome("automatic", item.message.external_id, f"{LOOP_REASON}: not recorded"))
        elif item.kind == "message" and item.message is not None:
            reference = item.message.external_id
            result = received.get(reference) if reference not in seen else None
            seen.add(reference)
            if result is None:
                outcomes.append(Outcome("duplicate", reference, "already recorded"))
                continue
            detail = f"customer {result.customer_id}" + (" (new prospect)" if result.new_customer else "")
            if result.reply_to_message_id is not None:
                detail += f", reply to message {result.reply_to_message_id}"
            if item.notes:
                detail += "; " + "; ".join(item.notes)
            if item.message.automatic:
                outcomes.append(Outcome("automatic", reference, f"{item.automatic_reason}; recorded, no hook; {detail}",
                                        result.message_id))
            else:
                outcomes.append(Outcome("recorded", reference, detail, result.message_id))
        elif item.kind == "receipt" and item.receipt is not None:
            receipt = item.receipt
            matched = record_receipts(session, [receipt])
            detail = f"{receipt.status}{' (permanent)' if receipt.permanent else ''}: {receipt.reason}"
            outcomes.append(Outcome("bounce" if matched else "unmatched-bounce", receipt.provider_id, detail))
        else:
            outcomes.append(Outcome("rejected" if item.kind == "rejected" else "ignored", "", item.reason))
    return outcomes


def ingest_batch(factory: sessionmaker[Session], parsed: Sequence[ParsedMail]) -> list[Outcome]:
    """Record a batch in its own transaction and commit it; the outcomes are returned after the commit."""
    if not parsed:
        return []
    with session_scope(factory) as session:
        return store_parsed(session, parsed)


def poll_mailbox(config: Mapping[str, Any], factory: sessionmaker[Session]) -> PollReport | None:
    """Poll the mailbox of `PAYVAND_IMAP_URL` once (None when it is unset): each batch is recorded
    and committed in its own transaction, then marked processed on the server."""
    settings = imap_config(config)
    if settings is None:
        return None
    poller = ImapPoller(settings, ParseOptions.from_config(config))
    return poller.poll(lambda batch: [outcome.kind for outcome in ingest_batch(factory, batch)])


def poll_current(config: Mapping[str, Any]) -> PollReport | None:
    """`poll_mailbox` with the running app's or command's sessions (the email channel's `poll`).

    The poll's batches commit in sessions of their own, never in the job's session, so that a
    batch is marked processed on the server only after its own commit.
    """
    from payvand.core.current import current_runtime

    try:
        factory = current_runtime().sessionmaker
    except RuntimeError:
        from payvand.core.db import current_session

        factory = sessionmaker(current_session().get_bind(), expire_on_commit=False)
    return poll_mailbox(config, factory)
