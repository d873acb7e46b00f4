"""The SMS channel's configuration keys (`payvand_config_keys`) and the settings read from them.

Secrets (the Kavenegar API key, the webhook secret, the gateway's auth value) come from the
deployment's configuration or environment only, are declared `secret=True` (never printed
whole by `payvand config`) and are kept out of every `repr` and message.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from payvand.sdk import ConfigKey

PROVIDER = "PAYVAND_SMS_PROVIDER"
SENDER = "PAYVAND_SMS_SENDER"
REGION = "PAYVAND_SMS_REGION"
MAX_PARTS = "PAYVAND_SMS_MAX_PARTS"
TIMEOUT = "PAYVAND_SMS_TIMEOUT"
WEBHOOK_SECRET = "PAYVAND_SMS_WEBHOOK_SECRET"
KAVENEGAR_API_KEY = "PAYVAND_SMS_KAVENEGAR_API_KEY"
KAVENEGAR_URL = "PAYVAND_SMS_KAVENEGAR_URL"
GATEWAY_URL = "PAYVAND_SMS_GATEWAY_URL"
GATEWAY_METHOD = "PAYVAND_SMS_GATEWAY_METHOD"
GATEWAY_BODY = "PAYVAND_SMS_GATEWAY_BODY"
GATEWAY_BODY_FORMAT = "PAYVAND_SMS_GATEWAY_BODY_FORMAT"
GATEWAY_AUTH_HEADER = "PAYVAND_SMS_GATEWAY_AUTH_HEADER"
GATEWAY_AUTH_ENV = "PAYVAND_SMS_GATEWAY_AUTH_ENV"
GATEWAY_AUTH_VALUE = "PAYVAND_SMS_GATEWAY_AUTH_VALUE"
KAVENEGAR_CALLBACK_TOKEN = "PAYVAND_SMS_KAVENEGAR_CALLBACK_TOKEN"
GATEWAY_ID_PATH = "PAYVAND_SMS_GATEWAY_ID_PATH"
GATEWAY_SUCCESS = "PAYVAND_SMS_GATEWAY_SUCCESS"

CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(PROVIDER, str, "", "who sends the texts: kavenegar or gateway (empty: SMS is off)"),
    ConfigKey(SENDER, str, "", "the sender line (Kavenegar: empty uses the account's default line)"),
    ConfigKey(REGION, str, "IR", "the region local numbers (0912...) are read in"),
    ConfigKey(MAX_PARTS, int, 6, "a text needing more SMS parts than this fails instead of being sent"),
    ConfigKey(TIMEOUT, float, 10.0, "seconds to wait for the provider's answer"),
    ConfigKey(WEBHOOK_SECRET, str, "", "the Standard Webhooks secret (whsec_...) receipts and replies are signed with",
              secret=True),
    ConfigKey(KAVENEGAR_API_KEY, str, "", "the Kavenegar account's API key", secret=True),
    ConfigKey(KAVENEGAR_CALLBACK_TOKEN, str, "", "the secret token in the URLs Kavenegar calls back "
              "(/webhooks/sms/kavenegar/<token>/receipt and /inbound); empty: those routes answer 404", secret=True),
    ConfigKey(KAVENEGAR_URL, str, "https://api.kavenegar.com/v1", "Kavenegar's REST API base URL"),
    ConfigKey(GATEWAY_URL, str, "", "the gateway's URL template ({to}, {to_local}, {text}, {reference}, {sender})"),
    ConfigKey(GATEWAY_METHOD, str, "POST", "the gateway's HTTP method: GET, POST or PUT"),
    ConfigKey(GATEWAY_BODY, str, "", "the gateway's body template (JSON, or form fields a=b&c=d) with the placeholders"),
    ConfigKey(GATEWAY_BODY_FORMAT, str, "json", "json or form"),
    ConfigKey(GATEWAY_AUTH_HEADER, str, "Authorization", "the header the gateway's credential goes in"),
    ConfigKey(GATEWAY_AUTH_ENV, str, "", "the environment variable holding that header's value (e.g. SMS_GATEWAY_TOKEN)"),
    ConfigKey(GATEWAY_AUTH_VALUE, str, "", "the value of the gateway's auth header itself (instead of AUTH_ENV)",
              secret=True),
    ConfigKey(GATEWAY_ID_PATH, str, "", "where the provider's message id is in the JSON answer (e.g. data.messages[0].id)"),
    ConfigKey(GATEWAY_SUCCESS, str, "200-299", "the HTTP statuses meaning accepted (e.g. 200,201 or 200-299)"),
)

_KEYS = {key.name: key for key in CONFIG_KEYS}


def read(config: Mapping[str, Any], name: str) -> Any:
    """The value of one key: `config`, else the environment, else the default, as the key's type."""
    key = _KEYS[name]
    raw = config[name] if name in config else os.environ.get(name)
    if raw is None:
        return key.default
    if isinstance(raw, key.type) and not (key.type is int and isinstance(raw, bool)):
        return raw
    text = str(raw).strip()
    if key.type is bool:
        return text.lower() in ("1", "true", "yes", "on")
    try:
        return key.type(text)
    except ValueError:
        return key.default


@dataclasses.dataclass(frozen=True)
class SmsSettings:
    """Everything the channel reads at start-up (secrets kept out of `repr`)."""

    provider: str = ""
    sender: str = ""
    region: str = "IR"
    max_parts: int = 6
    timeout: float = 10.0
    webhook_secret: str = dataclasses.field(default="", repr=False)
    kavenegar_api_key: str = dataclasses.field(default="", repr=False)
    kavenegar_url: str = "https://api.kavenegar.com/v1"
    kavenegar_callback_token: str = dataclasses.field(default="", repr=False)
    gateway: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmsSettings:
        """The settings from the app's configuration (and the environment)."""
        gateway = {name: str(read(config, key)) for name, key in (
            ("url", GATEWAY_URL), ("method", GATEWAY_METHOD), ("body", GATEWAY_BODY),
            ("body_format", GATEWAY_BODY_FORMAT), ("auth_header", GATEWAY_AUTH_HEADER), ("auth_env", GATEWAY_AUTH_ENV),
            ("id_path", GATEWAY_ID_PATH), ("success", GATEWAY_SUCCESS), ("auth_value", GATEWAY_AUTH_VALUE))}
        return cls(provider=str(read(config, PROVIDER)).strip().lower(), sender=str(read(config, SENDER)).strip(),
                   region=str(read(config, REGION)).strip().upper() or "IR", max_parts=int(read(config, MAX_PARTS)),
                   timeout=float(read(config, TIMEOUT)), webhook_secret=str(read(config, WEBHOOK_SECRET)),
                   kavenegar_api_key=str(read(config, KAVENEGAR_API_KEY)).strip(),
                   kavenegar_url=str(read(config, KAVENEGAR_URL)).strip(),
                   kavenegar_callback_token=str(read(config, KAVENEGAR_CALLBACK_TOKEN)).strip(), gateway=gateway)
