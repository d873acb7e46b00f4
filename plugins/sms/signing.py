"""Signed webhooks in the Standard Webhooks scheme (standardwebhooks.com), with the stdlib.

A request carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256>` items separated by spaces) over `"{id}.{timestamp}.{body}"`. The
secret is `whsec_<base64>` as the spec's libraries make it (a secret without the prefix is
used as its UTF-8 bytes). Requests older or newer than five minutes are refused; the id of an
accepted request is remembered by the caller so the same request twice is refused (replay).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

TOLERANCE_SECONDS = 5 * 60


class SignatureRefused(Exception):
    """A webhook request that is not signed right; `reason` is safe to send back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (or of a plain one)."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_"):], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def signature(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The `webhook-signature` value for a request (`v1,<base64>`)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three headers a sender adds (what a relay in front of Payvand, or a test, sends)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": signature(secret, msg_id, stamp, body)}


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> str:
    """Check a request's signature and age; its `webhook-id`, or SignatureRefused saying why."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and stamp and signatures):
        raise SignatureRefused("unsigned request: webhook-id, webhook-timestamp and webhook-signature are required")
    if len(msg_id) > 200:
        raise SignatureRefused("webhook-id is too long")
    if not stamp.isdigit():
        raise SignatureRefused("webhook-timestamp is not a Unix time in seconds")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > TOLERANCE_SECONDS:
        raise SignatureRefused("webhook-timestamp is too old or too new (more than five minutes away)")
    expected = signature(secret, msg_id, stamp, body).encode("ascii")
    for item in signatures.split():
        if hmac.compare_digest(item.encode("ascii", "replace"), expected):
            return msg_id
    raise SignatureRefused("the signature does not match")
