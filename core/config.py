"""Configuration: defaults, the instance folder and `PAYVAND_*` environment variables.

The core declares its keys in `CORE_KEYS`; plugins declare theirs through `payvand_config_keys`
and the Runtime reads them (`payvand.core.plugins.resolve_plugin_keys`). `payvand config` lists both.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from payvand.core.contracts import ConfigKey

DEFAULTS: dict[str, Any] = {
    "PAYVAND_DATABASE_URL": None,  # default: SQLite file in the instance folder
    "PAYVAND_PHONE_REGION": "IR",
    "PAYVAND_DEFAULT_CURRENCY": "IRR",
    "PAYVAND_DEFAULT_LOCALE": "fa",
    "PAYVAND_TIMEZONE": "Asia/Tehran",
    "PAYVAND_JOBS": "thread",  # "thread": in-process runner with `payvand run`; "off": none
    "PAYVAND_DISCOVER_PLUGINS": True,
    "PAYVAND_EXTRA_PLUGINS": (),
    "PAYVAND_PASSWORD_PROFILE": "default",  # "fast" for tests only
    "PAYVAND_PAGE_LIMIT_MAX": 200,
    "PAYVAND_PLUGIN_REFRESH_SECONDS": 2.0,  # how often a process looks for enable/disable elsewhere
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "JSON_SORT_KEYS": False,
}

def _flag(text: str) -> bool:
    """An on/off environment value: 1, true, yes, on (any case) mean on."""
    return text.strip().lower() in ("1", "true", "yes", "on")


_K = ConfigKey
#: The core's configuration keys (environment variables), with their types, defaults and meaning.
#: `payvand config` lists them with the plugins' keys; the admin guide's table explains them.
CORE_KEYS: tuple[ConfigKey, ...] = (
    _K("PAYVAND_INSTANCE", str, "./instance", "instance folder (SQLite file, secret key); `--instance`"),
    _K("PAYVAND_DATABASE_URL", str, None, "database; default: SQLite in the instance folder; `--database-url`",
       secret=True),
    _K("PAYVAND_SECRET_KEY", str, None, "signs sessions; default: generated into instance/secret_key", secret=True),
    _K("PAYVAND_PLUGINS", str, None, "`all`, `none` or `sales,service`: overrides which plugins are enabled"),
    _K("PAYVAND_PHONE_REGION", str, "IR", "region of phone numbers written without a country code"),
    _K("PAYVAND_DEFAULT_CURRENCY", str, "IRR", "currency of amounts without one"),
    _K("PAYVAND_DEFAULT_LOCALE", str, "fa", "`fa` or `en`"),
    _K("PAYVAND_TIMEZONE", str, "Asia/Tehran", "display time zone (storage is always UTC)"),
    _K("PAYVAND_JOBS", str, "thread", "`thread`: `payvand run` starts the job runner; `off`: run `payvand worker`"),
    _K("PAYVAND_PLUGIN_REFRESH_SECONDS", float, 2.0, "how often a process looks for plugins enabled or disabled elsewhere"),
    _K("PAYVAND_PASSWORD_PROFILE", str, "default", "Argon2id cost; `fast` for test suites only"),
    _K("PAYVAND_SESSION_HOURS", float, 12.0, "a staff session ends after this many hours without use"),
    _K("PAYVAND_SESSION_REDIS_URL", str, None, "keep staff sessions in Redis (default: in the database)", secret=True),
    _K("PAYVAND_WORKER_LEASE_SECONDS", float, 30.0, "how long a claimed event batch is a worker's without a heartbeat"),
    _K("PAYVAND_RATELIMIT_STORAGE_URI", str, "memory://", "where rate-limit counters live (`redis://...` for several processes)",
       secret=True),
    _K("PAYVAND_SECURE_COOKIES", bool, False, "send the session cookie over HTTPS only"),
    _K("PAYVAND_IMPORT_MAX_BYTES", int, 52428800, "largest CSV the web import accepts"),
    _K("PAYVAND_IMPORT_KEEP_DAYS", float, 7.0, "files of ended import jobs (rejects) are deleted after this many days"),
    _K("PAYVAND_IMPORT_UPLOAD_KEEP_HOURS", float, 24.0, "an upload never started is deleted after this many hours"),
    _K("PAYVAND_SMTP_URL", str, None, "outgoing mail server (`smtp://`, `smtp+starttls://`, `smtps://`); none: mail off",
       secret=True),
    _K("PAYVAND_MAIL_FROM", str, "Payvand <noreply@localhost>", "the sender of mail Payvand sends"),
    _K("PAYVAND_BASE_URL", str, None, "the address staff reach Payvand at: absolute links in mail"),
    _K("PAYVAND_IMAP_URL", str, None, "inbound mail: `imaps://user:pw@host:993/INBOX` or `imap://…:143/INBOX?starttls=1`; "
       "`?processed=seen|move:Folder|delete`; none: no polling", secret=True),
    _K("PAYVAND_IMAP_CA_FILE", str, None, "a PEM file of the authorities the IMAP server's TLS certificate is "
       "checked against (a private CA); none: the system's"),
    _K("PAYVAND_IMAP_BATCH", int, 50, "most messages one IMAP poll reads and records in one transaction"),
    _K("PAYVAND_MAIL_MAX_ATTACHMENT_BYTES", int, 10485760, "inbound mail attachments larger than this are dropped "
       "(and noted on the message)"),
    _K("PAYVAND_QUIET_HOURS", str, "21:00-08:00", "marketing waits out this window in the customer's time zone; `off`: none"),
    _K("PAYVAND_CHANNEL_EMAIL_RATE", float, None, "emails sent per second at most (all workers together); none: no limit"),
    _K("PAYVAND_MAIL_TRACKING", str, "marketing", "open/click tracking of HTML email: `marketing` purposes, `all`, "
       "or `off` (no pixel, links left as written)"),
    _K("PAYVAND_MAIL_TRACKING_RATE", str, "120 per minute", "opens and clicks counted per client address at most "
       "(more get a 429)"),
    _K("PAYVAND_UNSUBSCRIBE_MAILTO", str, None, "an address for mailto unsubscribes in marketing mail's List-Unsubscribe"),
    _K("PAYVAND_IDEMPOTENCY_WAIT_SECONDS", float, 10.0, "how long a retry waits for the first request with its key"),
    _K("PAYVAND_IDEMPOTENCY_LEASE_SECONDS", float, 300.0, "a key whose request died is taken over after this"),
    _K("PAYVAND_LOG_FORMAT", str, "text", "`json` (one object per line, with the request id) or `text`"),
    _K("PAYVAND_LOG_LEVEL", str, "INFO", "log threshold: DEBUG, INFO, WARNING, ERROR"),
    _K("PAYVAND_ACCESS_LOG", bool, False, "log one line per request (method, route, status, duration, actor id)"),
    _K("PAYVAND_METRICS_TOKEN", str, None, "bearer token a scraper sends to `/metrics`; none: no metrics route",
       secret=True),
)
del _K

#: Keys read elsewhere than `build_config` (the instance folder, the enabled plugins' override).
_READ_ELSEWHERE = ("PAYVAND_INSTANCE", "PAYVAND_PLUGINS")

_PARSERS: dict[type, Any] = {str: str, int: int, float: float, bool: _flag}

#: Environment variables read as configuration, with how to parse them (the core's; the
#: plugins' keys are read by the Runtime, see `payvand.core.plugins.resolve_plugin_keys`).
ENV_KEYS: dict[str, Any] = {key.name: _PARSERS[key.type] for key in CORE_KEYS if key.name not in _READ_ELSEWHERE}

_KEY_NAME = re.compile(r"^PAYVAND_[A-Z0-9]+(?:_[A-Z0-9]+)*$")


def config_key_problem(key: ConfigKey) -> str | None:
    """What is wrong with a plugin's `ConfigKey` declaration (its name, type or default), or None."""
    if not isinstance(key.name, str) or not _KEY_NAME.match(key.name):
        return f"payvand_config_keys: {key.name!r} must be named PAYVAND_<PLUGIN>_<KEY> (upper case, digits, _)"
    if key.name in {k.name for k in CORE_KEYS} or key.name in DEFAULTS:
        return f"payvand_config_keys: {key.name} is a core key"
    if key.type not in _PARSERS:
        return f"payvand_config_keys: {key.name} has type {key.type!r}; use str, int, float or bool"
    if key.default is not None:
        try:
            parse_config_value(key, key.default)
        except ValueError:
            return f"payvand_config_keys: the default of {key.name} ({key.default!r}) is not a {key.type.__name__}"
    return None


def parse_config_value(key: ConfigKey, raw: Any) -> Any:
    """`raw` (a string from the environment, or a value given in the configuration) as the key's type.

    Raises ValueError with a message naming the key when it does not parse.
    """
    if not isinstance(raw, str):
        if isinstance(raw, bool) and key.type is not bool:
            raise ValueError(f"{key.name}={raw!r} is not a {key.type.__name__}")
        if key.type is float and isinstance(raw, int):
            return float(raw)
        if not isinstance(raw, key.type):
            raise ValueError(f"{key.name}={raw!r} is not a {key.type.__name__}")
        return raw
    if key.type is bool:
        if raw.strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
            raise ValueError(f"{key.name}={raw!r} is not on or off (1/0, true/false, yes/no, on/off)")
        return _flag(raw)
    try:
        return _PARSERS[key.type](raw.strip() if key.type is not str else raw)
    except ValueError:
        kind = {int: "an integer", float: "a number"}.get(key.type, key.type.__name__)
        raise ValueError(f"{key.name}={raw!r} is not {kind}") from None


def instance_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The instance folder: explicit, else `PAYVAND_INSTANCE`, else `./instance`."""
    raw = explicit or os.environ.get("PAYVAND_INSTANCE") or "instance"
    return Path(raw).resolve()


def default_database_url(folder: Path) -> str:
    """The embedded default: a SQLite file inside the instance folder."""
    return f"sqlite:///{folder / 'payvand.sqlite3'}"


def secret_key(folder: Path) -> str:
    """The instance's secret key: from `PAYVAND_SECRET_KEY`, else a generated file (mode 600)."""
    env = os.environ.get("PAYVAND_SECRET_KEY")
    if env:
        return env
    path = folder / "secret_key"
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def build_config(overrides: Mapping[str, Any] | None = None, *, create_instance: bool = True) -> dict[str, Any]:
    """Merge defaults, environment and `overrides` (highest) into one configuration mapping.

    With `create_instance` off (commands that only read) nothing is written: the instance
    folder is not made and, when no secret key exists yet, a throwaway one is used.
    """
    config = dict(DEFAULTS)
    for key, kind in ENV_KEYS.items():
        if key in os.environ:
            config[key] = kind(os.environ[key])
    if overrides:
        config.update(overrides)
    folder = instance_path(config.get("PAYVAND_INSTANCE"))
    config["PAYVAND_INSTANCE"] = str(folder)
    if not config.get("PAYVAND_DATABASE_URL"):
        if create_instance:
            folder.mkdir(parents=True, exist_ok=True)
        config["PAYVAND_DATABASE_URL"] = default_database_url(folder)
    if not config.get("SECRET_KEY"):
        secret = config.get("PAYVAND_SECRET_KEY")
        if not secret and not create_instance and not (folder / "secret_key").exists():
            secret = os.environ.get("PAYVAND_SECRET_KEY") or secrets.token_urlsafe(48)  # signs nothing kept
        config["SECRET_KEY"] = secret or secret_key(folder)
    return config
