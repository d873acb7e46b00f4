"""A generic HTTP gateway: any local SMS gateway that takes one request per message.

Configured by a URL template, a method, a body template (JSON or form fields), an auth header
whose value is read from an environment variable, where the provider's id is in the JSON answer
and which statuses mean success. The placeholders `{to}` (E.164), `{to_local}` (`0912…` for
Iran, `00…` otherwise), `{text}`, `{reference}` and `{sender}` are filled in safely: URL-encoded
in the URL, as JSON string values in a JSON body (the template is parsed first, so a quote in
the text cannot break out), as field values in a form body.

Answers: a success status → accepted (the id from `id_path`, e.g. `data.messages[0].id`);
408, 425, 429 and 5xx or no answer → retry (honouring `Retry-After`); any other status → failed.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from payvand.plugins.sms.numbers import national_or_international
from payvand.plugins.sms.provider import ProviderAnswer
from payvand.plugins.sms.transport import HttpAnswer, TransportError, request

PLACEHOLDER = re.compile(r"\{(to|to_local|text|reference|sender)\}")
RETRY_STATUSES = frozenset({408, 425, 429})
_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class GatewayConfigError(ValueError):
    """The gateway's settings cannot work (a template that does not parse, a bad status list)."""


def fill(template: str, values: Mapping[str, str], quote: bool = False) -> str:
    """Replace the placeholders of `template` (URL-encoding each value when `quote`)."""
    return PLACEHOLDER.sub(lambda m: urllib.parse.quote(values[m.group(1)], safe="") if quote else values[m.group(1)],
                           template)


def _fill_json(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return fill(node, values)
    if isinstance(node, list):
        return [_fill_json(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _fill_json(item, values) for key, item in node.items()}
    return node


def json_path(data: Any, path: str) -> Any:
    """The value at a dotted path with list indexes (`data.messages[0].id`, a leading `$.` allowed), or None."""
    path = path.strip()
    if path.startswith("$"):
        path = path[1:].lstrip(".")
    for key, index in _PATH_STEP.findall(path):
        if key:
            data = data.get(key) if isinstance(data, dict) else None
        else:
            data = data[int(index)] if isinstance(data, list) and int(index) < len(data) else None
        if data is None:
            return None
    return data


def parse_statuses(text: str) -> frozenset[int]:
    """`"200,201,202"` or `"200-299"` as a set of statuses."""
    statuses: set[int] = set()
    for piece in filter(None, (p.strip() for p in text.split(","))):
        low, _, high = piece.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise GatewayConfigError(f"PAYVAND_SMS_GATEWAY_SUCCESS {text!r} is not a list of HTTP statuses")
        statuses.update(range(int(low), int(high or low) + 1))
    if not statuses:
        raise GatewayConfigError("PAYVAND_SMS_GATEWAY_SUCCESS names no HTTP status")
    return frozenset(statuses)


class Gateway:
    """A configurable HTTP SMS gateway."""

    name = "gateway"

    def __init__(self, url: str, *, method: str = "POST", body: str = "", body_format: str = "json",
                 sender: str = "", auth_header: str = "Authorization", auth_env: str = "", id_path: str = "",
                 success: str = "200-299", timeout: float = 10.0, auth_value: str = "") -> None:
        self.url = url
        self.method = (method or "POST").upper()
        self.body = body
        self.body_format = (body_format or "json").lower()
        self.sender = sender
        self.auth_header = auth_header or "Authorization"
        self.auth_env = auth_env
        self._auth_value = auth_value
        self.id_path = id_path
        self.success_text = success or "200-299"
        self.timeout = timeout

    def __repr__(self) -> str:  # never the credential
        return f"Gateway(url={self.url!r}, method={self.method!r})"

    def check(self) -> list[str]:
        """Every problem with the settings, one sentence each."""
        problems = []
        if urllib.parse.urlsplit(self.url).scheme not in ("http", "https"):
            problems.append("PAYVAND_SMS_GATEWAY_URL must be an http(s) URL template, e.g. https://gw.local/send?to={to}.")
        if self.method not in ("GET", "POST", "PUT"):
            problems.append(f"PAYVAND_SMS_GATEWAY_METHOD {self.method!r} is not GET, POST or PUT.")
        if self.body_format not in ("json", "form"):
            problems.append(f"PAYVAND_SMS_GATEWAY_BODY_FORMAT {self.body_format!r} is not json or form.")
        elif self.body and self.body_format == "json":
            try:
                json.loads(self.body)
            except json.JSONDecodeError as error:
                problems.append(f"PAYVAND_SMS_GATEWAY_BODY is not valid JSON ({error.msg}).")
        if self.body and self.method == "GET":
            problems.append("PAYVAND_SMS_GATEWAY_BODY is set but a GET request has no body: put the fields in the URL.")
        if "{text}" not in self.url + self.body:
            problems.append("Neither PAYVAND_SMS_GATEWAY_URL nor PAYVAND_SMS_GATEWAY_BODY has the {text} placeholder.")
        if "{to}" not in self.url + self.body and "{to_local}" not in self.url + self.body:
            problems.append("Neither PAYVAND_SMS_GATEWAY_URL nor PAYVAND_SMS_GATEWAY_BODY has a {to} or {to_local} placeholder.")
        if self.auth_env and not self._auth_value and not os.environ.get(self.auth_env):
            problems.append(f"The environment variable {self.auth_env} (PAYVAND_SMS_GATEWAY_AUTH_ENV) is empty.")
        try:
            parse_statuses(self.success_text)
        except GatewayConfigError as error:
            problems.append(str(error) + ".")
        return problems

    def build(self, to: str, text: str, reference: str) -> tuple[str, bytes | None, dict[str, str]]:
        """The URL, body and headers of the request for one message."""
        values = {"to": to, "to_local": national_or_international(to), "text": text, "reference": reference,
                  "sender": self.sender}
        url = fill(self.url, values, quote=True)
        headers = {"Accept": "application/json"}
        if self._auth_value:  # from the Channels page (PAYVAND_SMS_GATEWAY_AUTH_VALUE)
            headers[self.auth_header] = self._auth_value
        elif self.auth_env and os.environ.get(self.auth_env):
            headers[self.auth_header] = os.environ[self.auth_env]
        body: bytes | None = None
        if self.body and self.body_format == "json":
            body = json.dumps(_fill_json(json.loads(self.body), values), ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        elif self.body:
            fields = [(key, fill(value, values)) for key, value in urllib.parse.parse_qsl(self.body, keep_blank_values=True)]
            body = urllib.parse.urlencode(fields).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        return url, body, headers

    def send(self, to: str, text: str, reference: str) -> ProviderAnswer:
        """Send one message; the answer by the configured success statuses."""
        try:
            success = parse_statuses(self.success_text)
            url, body, headers = self.build(to, text, reference)
        except (GatewayConfigError, ValueError) as error:
            return ProviderAnswer("retry", reason=f"the gateway's settings are wrong: {error}", halt=True, retry_after=600.0)
        try:
            answer = request(self.method, url, body=body, headers=headers, timeout=self.timeout)
        except TransportError as error:
            return ProviderAnswer("retry", reason=f"gateway: {error}", halt=True)
        return self.read(answer, success)

    def read(self, answer: HttpAnswer, success: frozenset[int]) -> ProviderAnswer:
        """Accepted, failed or retry from the gateway's answer."""
        if answer.status in success:
            provider_id = json_path(answer.json(), self.id_path) if self.id_path else None
            return ProviderAnswer("accepted", provider_id=None if provider_id is None else str(provider_id))
        snippet = answer.body[:200].decode("utf-8", "replace").strip()
        reason = f"the gateway answered HTTP {answer.status}" + (f": {snippet}" if snippet else "")
        if answer.status in RETRY_STATUSES or answer.status >= 500:
            return ProviderAnswer("retry", reason=reason, retry_after=answer.retry_after(), halt=True)
        return ProviderAnswer("failed", reason=reason)
