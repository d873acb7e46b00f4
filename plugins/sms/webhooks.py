"""The SMS channel's public webhook routes: delivery receipts and customers' replies.

Signed routes (a relay, or a gateway that signs): `POST /webhooks/sms/receipts` and
`POST /webhooks/sms/inbound` take a JSON body — one item or a list — or a form body
(`application/x-www-form-urlencoded`, one item), signed in the Standard Webhooks scheme with
the webhook secret (`PAYVAND_SMS_WEBHOOK_SECRET` or the Channels page; `signing.py`; the
signature covers the raw bytes, which the core keeps for these routes). Refused, always with
a 4xx and the error format: no secret configured (403), unsigned or badly signed (401), older
or newer than five minutes (401), the same `webhook-id` again (409), a body too large (413),
neither JSON nor a form (415) or unreadable (400).

Kavenegar's own callbacks (`kavenegar_routes`), which Kavenegar does not sign:
`POST /webhooks/sms/kavenegar/<token>/receipt` and `.../<token>/inbound` (GET too: Kavenegar
may call with a query string), authenticated by the secret token in the path (the Kavenegar
callback token setting, compared in constant time; wrong or unset → 404, as for any unknown
address). Form or query fields as Kavenegar sends them: a receipt `messageid`, `status`
(10 delivered; 11 undelivered, 6 failed, 13 cancelled, 14 blocked → failed; 1, 2, 4, 5 still
on the way → nothing recorded; 100 unknown id → nothing), an inbound SMS `messageid`, `from`,
`to`, `message`. A repeated callback changes nothing (receipts only move forward; an inbound
message is recorded once per `messageid`).

Items, with the fields of Kavenegar's callbacks or in a provider-neutral form:

- receipt: `{"messageid": 8792343, "status": 10}` (Kavenegar's delivery codes), or
  `{"id": "...", "status": "delivered" | "failed" | "undelivered" | "rejected" | "expired",
  "reason": "...", "permanent": false, "occurred_at": "2026-12-07T04:00:00Z"}`; a failure
  because the number is invalid (`"reason": "invalid_number"`) is permanent: the core then
  suppresses the number for SMS.
- inbound: `{"messageid": "...", "from": "09121234567", "to": "10004346", "message": "..."}`
  (Kavenegar), or `{"id": "...", "from": "...", "text": "...", "received_at": "..."}`.

The accepted signed request's id is written in the same transaction as what it brought
(`WebhookDelivery`), so a replay is refused and a request whose work failed can be resent.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import urllib.parse
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import IntegrityError

from payvand.plugins.sms import config as keys
from payvand.plugins.sms.kavenegar import delivery_status
from payvand.plugins.sms.models import WebhookDelivery
from payvand.plugins.sms.numbers import NumberRefused, to_e164
from payvand.plugins.sms.signing import TOLERANCE_SECONDS, SignatureRefused, verify
from payvand.sdk import csrf_exempt, public_page, session, utcnow
from payvand.sdk.messages import DeliveryReceipt, InboundMessage, channel_settings, receive_messages, record_receipts

MAX_BODY = 256 * 1024
_FAILED_WORDS = {"failed", "undelivered", "rejected", "expired", "blocked", "error"}
_PERMANENT_REASONS = {"invalid_number", "invalid_receptor", "unknown_subscriber", "number_invalid"}


class PayloadError(ValueError):
    """A signed body whose content cannot be read."""


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "fields": {}}})
    response.status_code = status
    return response


FORM_TYPE = "application/x-www-form-urlencoded"


def read_form(body: bytes) -> dict[str, Any]:
    """The one item of a form body (`a=1&b=2`, UTF-8); the last value of a repeated field wins."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("the form body is not UTF-8") from None
    item = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    if not item:
        raise PayloadError("the form body is empty")
    return item


def read_items(body: bytes, mimetype: str = "application/json") -> list[dict[str, Any]]:
    """The items of a JSON body (an object or a list of objects), or the one item of a form body."""
    if mimetype == FORM_TYPE:
        return [read_form(body)]
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("the body is not valid JSON") from None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise PayloadError("the body must be an object or a list of objects")
    return items


def _when(value: Any) -> dt.datetime:
    if value in (None, ""):
        return utcnow()
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{value!r} is not a time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_receipt(item: dict[str, Any]) -> DeliveryReceipt | None:
    """One receipt item as a DeliveryReceipt; None when it only says the message is still on its way."""
    provider_id = str(item.get("messageid") or item.get("id") or "").strip()
    if not provider_id:
        raise PayloadError("a receipt needs messageid (or id)")
    status = item.get("status")
    reason = str(item.get("reason") or "")
    permanent = bool(item.get("permanent")) or reason in _PERMANENT_REASONS
    if isinstance(status, int) or (isinstance(status, str) and status.strip().isdigit()):
        meaning, outcome = delivery_status(int(status))
        reason = reason or f"Kavenegar status {int(status)}: {meaning}"
    elif isinstance(status, str):
        word = status.strip().lower()
        outcome = "delivered" if word == "delivered" else "failed" if word in _FAILED_WORDS else None
    else:
        raise PayloadError("a receipt needs a status")
    if outcome is None:
        return None
    return DeliveryReceipt(channel="sms", provider_id=provider_id, status=outcome,  # type: ignore[arg-type]
                           occurred_at=_when(item.get("occurred_at") or item.get("date")),
                           reason="" if outcome == "delivered" else reason, permanent=permanent and outcome == "failed")


def parse_inbound(item: dict[str, Any], region: str = "IR") -> InboundMessage:
    """One inbound item as an InboundMessage (sender in E.164 when it reads as a number)."""
    external_id = str(item.get("messageid") or item.get("id") or "").strip()
    sender = str(item.get("from") or item.get("sender") or "").strip()
    text = str(item.get("message") if item.get("message") is not None else item.get("text") or "")
    if not external_id or not sender:
        raise PayloadError("an inbound message needs messageid (or id) and from")
    try:
        sender = to_e164(sender, region)
    except NumberRefused:
        pass  # a short code or a name: kept as sent, the core matches no customer by it
    return InboundMessage(channel="sms", external_id=external_id, sender=sender,
                          received_at=_when(item.get("received_at") or item.get("date")), body=text,
                          summary=text[:200], headers={"to": str(item.get("to") or "")})


def _verified(secret: str) -> str | Response:
    """The request's webhook id, or the refusal to send back."""
    if not secret:
        return _error(403, "webhooks_off", "SMS webhooks are off: PAYVAND_SMS_WEBHOOK_SECRET is not set")
    if not (request.mimetype or "").endswith("json") and request.mimetype != FORM_TYPE:
        return _error(415, "unsupported_media_type",
                      f"send the items as JSON (application/json) or as a form ({FORM_TYPE})")
    if (request.content_length or 0) > MAX_BODY:
        return _error(413, "too_large", "the body is too large")
    body = request.get_data(cache=True)
    if len(body) > MAX_BODY:
        return _error(413, "too_large", "the body is too large")
    try:
        return verify(secret, {name.lower(): value for name, value in request.headers.items()}, body)
    except SignatureRefused as refused:
        return _error(401, "bad_signature", refused.reason)


def _take(webhook_id: str) -> bool:
    """Record the request's id in the current transaction; False when it was taken before (a replay)."""
    db = session()
    if db.get(WebhookDelivery, webhook_id) is not None:
        return False
    db.add(WebhookDelivery(webhook_id=webhook_id, received_at=utcnow()))
    try:
        db.flush()
    except IntegrityError:  # the same request arrived twice at once: the other one has it
        db.rollback()
        return False
    return True


def make_blueprint() -> Blueprint:
    """The webhook routes; the secret and the region are read per request through `config_value`,
    so they hold whether or not the channel was configured yet in this process."""
    bp = Blueprint("sms_webhooks", __name__, url_prefix="/webhooks/sms")

    def handle(parse: Any, deliver: Any) -> Response:
        verified = _verified(str(_settings().get("webhook_secret") or ""))
        if isinstance(verified, Response):
            return verified
        mimetype = request.mimetype if request.mimetype == FORM_TYPE else "application/json"
        try:
            items = [parsed for parsed in (parse(item) for item in read_items(request.get_data(cache=True), mimetype))
                     if parsed is not None]
        except PayloadError as error:
            return _error(400, "bad_payload", str(error))
        db = session()
        if not _take(verified):
            return _error(409, "replayed", "this webhook-id was received already")
        if items:
            deliver(db, items)
        db.commit()
        return jsonify({"accepted": len(items)})

    @bp.post("/receipts")
    @public_page
    @csrf_exempt
    def receipts() -> Response:
        """Delivery receipts from the provider (signed)."""
        return handle(parse_receipt, record_receipts)

    @bp.post("/inbound")
    @public_page
    @csrf_exempt
    def inbound() -> Response:
        """Customers' replies (signed)."""
        return handle(lambda item: parse_inbound(item, _region()), receive_messages)

    kavenegar_routes(bp)
    return bp


def _settings() -> Any:
    """The SMS channel's current settings (environment, else the Channels page, else defaults)."""
    return channel_settings("sms")


def _region() -> str:
    from payvand.sdk import config_value

    return str(config_value(keys.REGION) or "IR").upper()


def token_matches(expected: str, given: str) -> bool:
    """Whether the callback token in the path is the configured one (constant time; never when unset)."""
    return bool(expected) and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def kavenegar_routes(bp: Blueprint) -> None:
    """Kavenegar's unsigned callbacks, authenticated by the secret token in their path."""

    def handle(token: str, parse: Any, deliver: Any) -> Response:
        if not token_matches(str(_settings().get("kavenegar_callback_token") or ""), token):
            return _error(404, "not_found", "no such address")
        if (request.content_length or 0) > MAX_BODY:
            return _error(413, "too_large", "the body is too large")
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY:
            return _error(413, "too_large", "the body is too large")
        fields: dict[str, Any] = {}
        try:
            if request.method == "POST" and body and request.mimetype == FORM_TYPE:
                fields = read_form(body)
            elif request.method == "POST" and body and (request.mimetype or "").endswith("json"):
                items = read_items(body)
                if len(items) != 1:
                    raise PayloadError("Kavenegar sends one callback at a time")
                fields = items[0]
        except PayloadError as error:
            return _error(400, "bad_payload", str(error))
        fields = {**request.args.to_dict(), **fields}
        try:
            parsed = parse(fields)
        except PayloadError as error:
            return _error(400, "bad_payload", str(error))
        db = session()
        if parsed is not None:
            deliver(db, [parsed])
        db.commit()
        return jsonify({"accepted": 0 if parsed is None else 1})

    @bp.route("/kavenegar/<token>/receipt", methods=["GET", "POST"])
    @public_page
    @csrf_exempt
    def kavenegar_receipt(token: str) -> Response:
        """A delivery report from Kavenegar (`messageid`, `status`)."""
        return handle(token, parse_receipt, record_receipts)

    @bp.route("/kavenegar/<token>/inbound", methods=["GET", "POST"])
    @public_page
    @csrf_exempt
    def kavenegar_inbound(token: str) -> Response:
        """An SMS a customer sent to our Kavenegar line (`messageid`, `from`, `to`, `message`)."""
        return handle(token, lambda item: parse_inbound(item, _region()), receive_messages)

    return None


def expired_deliveries() -> sa.Delete:
    """The DELETE of webhook ids older than the signature's tolerance (a replay of them is refused by age)."""
    cutoff = utcnow() - dt.timedelta(seconds=2 * TOLERANCE_SECONDS)
    return sa.delete(WebhookDelivery).where(WebhookDelivery.received_at < cutoff)


def forget_old_deliveries() -> None:
    """`payvand_jobs`: delete the webhook ids no request can replay any more (set-based)."""
    session().execute(expired_deliveries())
