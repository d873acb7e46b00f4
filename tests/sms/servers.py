"""Local HTTP servers the SMS tests talk to: Kavenegar's documented REST format, and a plain gateway.

Kavenegar cannot run here, so `KavenegarDouble` speaks its documented v1 format
(kavenegar.com/rest.html): `/v1/{API-KEY}/sms/send.json` with the form fields `receptor`,
`sender`, `message`, `localid`; answers `{"return": {"status", "message"}, "entries": [...]}`
with the error statuses as HTTP statuses too; a repeated `localid` returns the first send's
entry without sending again; `sms/status.json?messageid=...`. Every request is recorded so the
tests assert exactly what was sent.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclasses.dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """The form-encoded body as a dict."""
        return dict(urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))

    def json(self) -> Any:
        """The JSON body."""
        return json.loads(self.body.decode("utf-8"))


Reply = tuple[int, dict[str, str], bytes]


class RecordingServer:
    """A threaded HTTP server on 127.0.0.1 that records requests and answers through `respond`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                split = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(self.command, urllib.parse.unquote(split.path), dict(urllib.parse.parse_qsl(split.query)),
                                    {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                with outer.lock:
                    outer.requests.append(recorded)
                    status, headers, body = outer.respond(recorded)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def respond(self, request: Recorded) -> Reply:
        """The answer to a request (override)."""
        return 200, {}, b""

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def kavenegar_body(status: int, message: str, entries: Any) -> bytes:
    """A body in Kavenegar's format."""
    return json.dumps({"return": {"status": status, "message": message}, "entries": entries}, ensure_ascii=False).encode()


class KavenegarDouble(RecordingServer):
    """Kavenegar's REST v1 as documented, for one API key; `credit` messages can be sent."""

    def __init__(self, api_key: str = "test-key", credit: int = 1000) -> None:
        super().__init__()
        self.api_key = api_key
        self.credit = credit
        self.next_id = 8792343
        self.by_localid: dict[str, dict[str, Any]] = {}
        self.sent: dict[str, dict[str, Any]] = {}
        #: Force the next answers: a list of (status, message) popped one per send request.
        self.forced: list[tuple[int, str]] = []
        self.on_send: Callable[[Recorded], None] | None = None

    def _error(self, status: int, message: str) -> Reply:
        return status, {"Content-Type": "application/json"}, kavenegar_body(status, message, None)

    def respond(self, request: Recorded) -> Reply:
        match = re.fullmatch(r"/v1/([^/]+)/sms/(send|status)\.json", request.path)
        if not match:
            return self._error(404, "متد نامشخص است")
        if match.group(1) != self.api_key:
            return self._error(403, "کد شناسائی API-Key معتبر نمی‌باشد")
        if match.group(2) == "status":
            return self._status(request)
        if request.method != "POST":
            return self._error(405, "متد Get/Post اشتباه است")
        if self.forced:
            return self._error(*self.forced.pop(0))
        form = request.form
        if not form.get("receptor") or not form.get("message"):
            return self._error(406, "پارامترهای اجباری خالی ارسال شده اند")
        if not re.fullmatch(r"09\d{9}|00[1-9]\d{6,14}", form["receptor"]):
            return self._error(411, "دریافت کننده نامعتبر است")
        localid = form.get("localid")
        if localid and not localid.isdigit():
            return self._error(400, "پارامترها ناقص هستند")
        if localid and localid in self.by_localid:
            return 200, {"Content-Type": "application/json"}, kavenegar_body(200, "تایید شد", [self.by_localid[localid]])
        if self.credit <= 0:
            return self._error(418, "اعتبار حساب شما کافی نیست")
        self.credit -= 1
        entry = {"messageid": self.next_id, "message": form["message"], "status": 1, "statustext": "در صف ارسال",
                 "sender": form.get("sender", "10004346"), "receptor": form["receptor"], "date": 1356619709, "cost": 120}
        self.next_id += 1
        self.sent[str(entry["messageid"])] = entry
        if localid:
            self.by_localid[localid] = entry
        if self.on_send:
            self.on_send(request)
        return 200, {"Content-Type": "application/json"}, kavenegar_body(200, "تایید شد", [entry])

    def _status(self, request: Recorded) -> Reply:
        ids = [i for i in request.query.get("messageid", "").split(",") if i]
        entries = [{"messageid": int(i), "status": self.sent[i]["status"], "statustext": self.sent[i]["statustext"]}
                   if i in self.sent else {"messageid": int(i) if i.isdigit() else i, "status": 100,
                                           "statustext": "شناسه پیامک نامعتبر است"} for i in ids]
        return 200, {"Content-Type": "application/json"}, kavenegar_body(200, "تایید شد", entries)

    def send_requests(self) -> list[Recorded]:
        """The send requests received, in order."""
        return [r for r in self.requests if r.path.endswith("/sms/send.json")]


class GatewayDouble(RecordingServer):
    """A local gateway answering each request with `reply` (default: 201 and an id)."""

    def __init__(self, reply: Callable[[Recorded], Reply] | None = None) -> None:
        super().__init__()
        self.count = 0
        self.reply = reply

    def respond(self, request: Recorded) -> Reply:
        self.count += 1
        if self.reply:
            return self.reply(request)
        body = json.dumps({"data": {"messages": [{"id": f"gw-{self.count}"}]}}).encode()
        return 201, {"Content-Type": "application/json"}, body
