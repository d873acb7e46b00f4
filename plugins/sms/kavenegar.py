"""An adapter for Kavenegar (کاوه‌نگار), following its documented REST API v1 (kavenegar.com/rest.html).

- Send: `POST {base}/{API-KEY}/sms/send.json`, form fields `receptor`, `message`, `sender`
  (optional: the account's default line) and `localid` (our id; Kavenegar does not send a
  second message with a `localid` it has seen, it returns the first one's entry).
- Status: `GET {base}/{API-KEY}/sms/status.json?messageid=1,2,3`.
- Every answer is `{"return": {"status": 200, "message": "..."}, "entries": [...]}`; an error
  has the same status in `return.status` and as the HTTP status, and `entries: null`.
- A sent entry: `{"messageid": 8792343, "message": "...", "status": 1, "statustext": "...",
  "sender": "10004346", "receptor": "09121234567", "date": 1356619709, "cost": 120}`.

The provider cannot run here: the tests talk HTTP to a local server speaking this format
(docs/decisions.md). The API key is part of the URL, so no error message carries the URL.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

from payvand.plugins.sms.numbers import national_or_international
from payvand.plugins.sms.provider import ProviderAnswer
from payvand.plugins.sms.transport import HttpAnswer, TransportError, request

DEFAULT_URL = "https://api.kavenegar.com/v1"

#: Kavenegar's `return.status` codes other than 200, as (meaning, outcome, halt, retry after).
#: `failed`: this message can never go as it is. `retry` + halt: the account or the settings
#: are wrong, or the provider is busy — every message of the batch waits, none is lost.
ERRORS: dict[int, tuple[str, str, bool, float | None]] = {
    400: ("parameters are incomplete", "failed", False, None),
    401: ("the account is deactivated", "retry", True, 600.0),
    402: ("the operation failed", "failed", False, None),
    403: ("the API key is not valid (PAYVAND_SMS_KAVENEGAR_API_KEY)", "retry", True, 600.0),
    404: ("the method is unknown (check PAYVAND_SMS_KAVENEGAR_URL)", "retry", True, 600.0),
    405: ("the HTTP method is wrong for this API method", "retry", True, 600.0),
    406: ("a required parameter is empty", "failed", False, None),
    407: ("the account may not use this", "retry", True, 600.0),
    409: ("the server cannot answer now", "retry", True, 60.0),
    411: ("the receptor (recipient number) is not valid", "failed", False, None),
    412: ("the sender line is not valid (PAYVAND_SMS_SENDER)", "retry", True, 600.0),
    413: ("the message is empty or too long", "failed", False, None),
    414: ("the request is too large", "failed", False, None),
    416: ("this server's IP address is not allowed by the account's settings", "retry", True, 600.0),
    417: ("the send date is wrong", "failed", False, None),
    418: ("the account's credit is not enough", "retry", True, 900.0),
    419: ("the receptor, sender and message lists differ in length", "failed", False, None),
    420: ("links are not allowed in this account's messages", "failed", False, None),
    422: ("the text holds characters that cannot be processed", "failed", False, None),
    424: ("the template was not found", "failed", False, None),
    426: ("this method needs Kavenegar's advanced service", "retry", True, 600.0),
    427: ("this line needs an access level to be granted", "retry", True, 600.0),
    428: ("a code cannot be sent by voice call", "failed", False, None),
    429: ("calls cannot be made from this line", "failed", False, None),
    431: ("the code's structure is not valid", "failed", False, None),
    432: ("the code parameter was not found in the text", "failed", False, None),
    451: ("too many calls in a short time: Kavenegar blocked this IP for a while", "retry", True, 300.0),
    501: ("the account may only send test messages to its owner's number", "retry", True, 600.0),
}

#: Kavenegar's delivery statuses (send and status answers, delivery callbacks), as
#: (meaning, receipt status or None while still on its way).
DELIVERY: dict[int, tuple[str, str | None]] = {
    1: ("queued", None),
    2: ("scheduled", None),
    4: ("sent to the operator", None),
    5: ("sent to the operator", None),
    6: ("sending failed", "failed"),
    10: ("delivered to the recipient", "delivered"),
    11: ("not delivered to the recipient", "failed"),
    13: ("cancelled, or failed and refunded", "failed"),
    14: ("blocked: the recipient refuses advertising messages", "failed"),
    100: ("message id not valid", None),
}


def delivery_status(code: int) -> tuple[str, str | None]:
    """The meaning of a Kavenegar delivery status and the receipt it makes (None: nothing to record yet)."""
    return DELIVERY.get(code, (f"unknown status {code}", None))


def numeric_localid(reference: str, fallback: int) -> str:
    """Kavenegar's `localid` is a number: the reference when it is one, else the message's id (also stable)."""
    return reference if reference.isdigit() else str(fallback)


class Kavenegar:
    """Send through Kavenegar; `base_url` points at the real API or at a local test double."""

    name = "kavenegar"

    def __init__(self, api_key: str, sender: str = "", base_url: str = DEFAULT_URL, timeout: float = 10.0) -> None:
        self._api_key = api_key
        self.sender = sender
        self.base_url = (base_url or DEFAULT_URL).rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:  # never the key
        return f"Kavenegar(sender={self.sender!r}, base_url={self.base_url!r})"

    def _url(self, method: str) -> str:
        return f"{self.base_url}/{urllib.parse.quote(self._api_key, safe='')}/{method}"

    def send(self, to: str, text: str, reference: str) -> ProviderAnswer:
        """Send one message (`sms/send.json`); `reference` goes as `localid` (it must be digits)."""
        fields = {"receptor": national_or_international(to), "message": text, "localid": reference}
        if self.sender:
            fields["sender"] = self.sender
        body = urllib.parse.urlencode(fields).encode("ascii")
        try:
            answer = request("POST", self._url("sms/send.json"), body=body, timeout=self.timeout,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                      "Accept": "application/json"})
        except TransportError as error:
            return ProviderAnswer("retry", reason=f"Kavenegar: {error}", halt=True)
        return read_send_answer(answer)

    def status(self, message_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Kavenegar's entries for these message ids (`sms/status.json`); empty when it cannot say."""
        if not message_ids:
            return []
        query = urllib.parse.urlencode({"messageid": ",".join(message_ids)})
        try:
            answer = request("GET", f"{self._url('sms/status.json')}?{query}", timeout=self.timeout,
                             headers={"Accept": "application/json"})
        except TransportError:
            return []
        data = answer.json()
        if answer.status != 200 or not isinstance(data, dict):
            return []
        entries = data.get("entries") or []
        return [entry for entry in entries if isinstance(entry, dict)]

    def check(self) -> list[str]:
        """A missing key or a URL that is not http(s)."""
        problems = []
        if not self._api_key:
            problems.append("PAYVAND_SMS_KAVENEGAR_API_KEY is not set: Kavenegar needs the account's API key.")
        if urllib.parse.urlsplit(self.base_url).scheme not in ("http", "https"):
            problems.append(f"PAYVAND_SMS_KAVENEGAR_URL {self.base_url!r} is not an http(s) URL.")
        return problems


def read_send_answer(answer: HttpAnswer) -> ProviderAnswer:
    """Turn Kavenegar's answer to `sms/send.json` into accepted / failed / retry."""
    data = answer.json()
    returned = data.get("return") if isinstance(data, dict) else None
    code = returned.get("status") if isinstance(returned, dict) else None
    if not isinstance(code, int):
        code = answer.status
    if answer.status >= 500 and code == answer.status:
        return ProviderAnswer("retry", reason=f"Kavenegar answered HTTP {answer.status}", halt=True,
                              retry_after=answer.retry_after())
    if code != 200:
        meaning, outcome, halt, after = ERRORS.get(
            code, ("unknown error", "failed" if 400 <= code < 500 else "retry", code >= 500, None))
        text = f"Kavenegar {code}: {meaning}"
        if outcome == "failed":
            return ProviderAnswer("failed", reason=text)
        return ProviderAnswer("retry", reason=text, halt=halt, retry_after=answer.retry_after() or after)
    entries = data.get("entries") if isinstance(data, dict) else None
    entry = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else None
    if entry is None or entry.get("messageid") in (None, ""):
        return ProviderAnswer("retry", reason="Kavenegar accepted the request but returned no message id", halt=True)
    status = entry.get("status")
    meaning, receipt = delivery_status(status) if isinstance(status, int) else ("", None)
    if receipt == "failed":
        return ProviderAnswer("failed", reason=f"Kavenegar status {status}: {meaning}")
    return ProviderAnswer("accepted", provider_id=str(entry["messageid"]))
