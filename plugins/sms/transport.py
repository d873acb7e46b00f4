"""One HTTP request to a provider, with the answer whatever its status (stdlib `urllib`).

Errors never carry the URL: Kavenegar puts the API key in the path, and a reason is stored
on the message and shown to staff.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any


class TransportError(Exception):
    """The provider could not be reached or did not answer in time (a passing problem: retry)."""


@dataclasses.dataclass(frozen=True)
class HttpAnswer:
    """A provider's answer: status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def retry_after(self) -> float | None:
        """The seconds of a `Retry-After` header given in seconds, if any."""
        value = self.headers.get("retry-after", "")
        return float(value) if value.strip().isdigit() else None


def request(method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None,
            timeout: float = 10.0) -> HttpAnswer:
    """Send one request and return the answer (4xx and 5xx included); TransportError when there is none."""
    prepared = urllib.request.Request(url, data=body, method=method.upper(), headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(prepared, timeout=timeout) as response:  # noqa: S310 - configured URL
            return HttpAnswer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())
    except urllib.error.URLError as error:
        raise TransportError(f"the provider could not be reached ({_plain(error.reason)})") from None
    except (TimeoutError, OSError) as error:
        raise TransportError(f"the provider did not answer ({_plain(error)})") from None


def _plain(reason: object) -> str:
    """A connection error's reason without any URL in it."""
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return text.split("http", 1)[0].strip() or type(reason).__name__
