"""Configuration: defaults, the instance folder and `PAYVAND_*` environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


#: Environment variables read as configuration, with how to parse them.
ENV_KEYS: dict[str, Any] = {
    "PAYVAND_DATABASE_URL": str,
    "PAYVAND_PHONE_REGION": str,
    "PAYVAND_DEFAULT_CURRENCY": str,
    "PAYVAND_DEFAULT_LOCALE": str,
    "PAYVAND_TIMEZONE": str,
    "PAYVAND_JOBS": str,
    "PAYVAND_SECRET_KEY": str,
    "PAYVAND_PLUGIN_REFRESH_SECONDS": float,
    "PAYVAND_PASSWORD_PROFILE": str,
    "PAYVAND_SESSION_HOURS": float,
    "PAYVAND_SESSION_REDIS_URL": str,
    "PAYVAND_WORKER_LEASE_SECONDS": float,  # how long a claimed event batch is a worker's without a heartbeat
    "PAYVAND_RATELIMIT_STORAGE_URI": str,
    "PAYVAND_SECURE_COOKIES": _flag,
    "PAYVAND_IMPORT_MAX_BYTES": int,
    "PAYVAND_IMPORT_KEEP_DAYS": float,  # files of ended import jobs (rejects) are deleted after this
    "PAYVAND_IMPORT_UPLOAD_KEEP_HOURS": float,  # an upload never started is deleted after this
    "PAYVAND_SMTP_URL": str,
    "PAYVAND_MAIL_FROM": str,
    "PAYVAND_BASE_URL": str,  # e.g. https://crm.example.com: absolute links in mail (reminders)
    "PAYVAND_IDEMPOTENCY_WAIT_SECONDS": float,  # a retry waits this long for the first request with its key
    "PAYVAND_IDEMPOTENCY_LEASE_SECONDS": float,  # a key whose request died is taken over after this
    # read by the sales plugin
    "PAYVAND_LEAD_FORM_MIN_SECONDS": float,
    "PAYVAND_LEAD_FORM_RATE": str,
    "PAYVAND_SALES_ATTACHMENT_MAX_BYTES": int,
    "PAYVAND_LEAD_IMPORT_MAX_MB": float,
}


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
        key = config.get("PAYVAND_SECRET_KEY")
        if not key and not create_instance and not (folder / "secret_key").exists():
            key = os.environ.get("PAYVAND_SECRET_KEY") or secrets.token_urlsafe(48)  # signs nothing kept
        config["SECRET_KEY"] = key or secret_key(folder)
    return config
