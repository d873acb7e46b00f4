"""Messaging: one contract for sending and receiving on every channel (email, SMS, web chat, ...).

- `contract`: the channel base class and the values channels exchange with the core;
- `outbox`: `queue_messages` (what `payvand.sdk.send_message(s)` calls): consent, address,
  suppression, templates, the queued row and its interaction, in the caller's transaction;
- `dispatch`: the dispatcher the job runner calls: leases, rates, quiet hours, results;
- `inbox`: `receive_messages` and `record_receipts`, for channels that receive;
- `email_channel`: the core's `email` channel and the one-click unsubscribe token;
- `store`: references, thread tags, the status order shared by both sides.

Inbound email parsing (MIME, IMAP, DSN) lives in `email_in` (built separately) and hands its
results to `inbox`.
"""
