"""Server-side sessions for the staff UI: the cookie carries a random key, the data stays here.

Two stores behind one interface: the database (default, no server needed) and Redis (set
`PAYVAND_SESSION_REDIS_URL` when several web processes run). Keys are stored as SHA-256, so a
copy of the table gives no live session. `end_sessions(user_id)` ends every session of a user
at once (logout everywhere, user disabled).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any, Protocol, cast

import sqlalchemy as sa
from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from payvand.core.db import table_of, utcnow
from payvand.core.models import WebSession

COOKIE_NAME = "payvand_session"
STATIC_PREFIX = "/static/"
#: Sessions are extended on use, but at most this often, to spare a write per request.
TOUCH_INTERVAL = dt.timedelta(minutes=5)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session dict of one request; `key` is None until it is first saved."""

    def __init__(self, initial: dict[str, Any] | None = None, key: str | None = None,
                 expires_at: dt.datetime | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.key = key
        self.expires_at = expires_at
        self.modified = False
        self.rotate = False

    def regenerate(self) -> None:
        """Give the session a new key on save (call at login, against session fixation)."""
        self.rotate = True
        self.modified = True


class SessionStore(Protocol):
    """Where session data lives."""

    def load(self, key_hash: str) -> tuple[dict[str, Any], dt.datetime] | None:
        """The data and expiry of a live session, or None."""

    def save(self, key_hash: str, data: dict[str, Any], user_id: int | None, expires_at: dt.datetime) -> None:
        """Create or replace a session."""

    def delete(self, key_hash: str) -> None:
        """End one session."""

    def end_user(self, user_id: int) -> int:
        """End every session of a user; return how many ended."""


class DatabaseStore:
    """Sessions in `core_web_session`, through the app's engine (own short transactions)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.table = table_of(WebSession)

    def load(self, key_hash: str) -> tuple[dict[str, Any], dt.datetime] | None:
        """The data and expiry of a live session, or None (expired rows are deleted lazily)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(self.table.c.data, self.table.c.expires_at).where(self.table.c.key_hash == key_hash)
            ).first()
        if row is None or row.expires_at <= utcnow():
            return None
        return dict(row.data or {}), row.expires_at

    def save(self, key_hash: str, data: dict[str, Any], user_id: int | None, expires_at: dt.datetime) -> None:
        """Create or replace a session row."""
        with self.engine.begin() as connection:
            updated = connection.execute(
                sa.update(self.table).where(self.table.c.key_hash == key_hash)
                .values(data=data, user_id=user_id, expires_at=expires_at)
            ).rowcount
            if not updated:
                connection.execute(sa.insert(self.table).values(
                    key_hash=key_hash, data=data, user_id=user_id, expires_at=expires_at, created_at=utcnow()))
                connection.execute(sa.delete(self.table).where(self.table.c.expires_at <= utcnow()))

    def delete(self, key_hash: str) -> None:
        """End one session."""
        with self.engine.begin() as connection:
            connection.execute(sa.delete(self.table).where(self.table.c.key_hash == key_hash))

    def end_user(self, user_id: int) -> int:
        """End every session of a user."""
        with self.engine.begin() as connection:
            return connection.execute(sa.delete(self.table).where(self.table.c.user_id == user_id)).rowcount


class RedisStore:
    """Sessions in Redis with native expiry; a set per user lists their sessions."""

    def __init__(self, url: str, prefix: str = "payvand:session:") -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def load(self, key_hash: str) -> tuple[dict[str, Any], dt.datetime] | None:
        """The data and expiry of a live session, or None."""
        raw = self.redis.get(self.prefix + key_hash)
        if raw is None:
            return None
        stored = json.loads(raw)
        return stored["data"], dt.datetime.fromisoformat(stored["expires_at"])

    def save(self, key_hash: str, data: dict[str, Any], user_id: int | None, expires_at: dt.datetime) -> None:
        """Create or replace a session; Redis drops it at `expires_at`."""
        seconds = max(1, int((expires_at - utcnow()).total_seconds()))
        value = json.dumps({"data": data, "user_id": user_id, "expires_at": expires_at.isoformat()})
        pipe = self.redis.pipeline()
        pipe.set(self.prefix + key_hash, value, ex=seconds)
        if user_id is not None:
            pipe.sadd(f"{self.prefix}user:{user_id}", key_hash)
            pipe.expire(f"{self.prefix}user:{user_id}", seconds)
        pipe.execute()

    def delete(self, key_hash: str) -> None:
        """End one session."""
        self.redis.delete(self.prefix + key_hash)

    def end_user(self, user_id: int) -> int:
        """End every session of a user."""
        # the client is made without decode_responses, so the members are bytes
        members = cast("set[bytes]", self.redis.smembers(f"{self.prefix}user:{user_id}"))
        keys = [self.prefix + m.decode() for m in members]
        ended = self.redis.delete(*keys) if keys else 0
        self.redis.delete(f"{self.prefix}user:{user_id}")
        return int(ended)


class ServerSessionInterface(SessionInterface):
    """Flask's session interface over a `SessionStore`, with an idle timeout."""

    def __init__(self, store: SessionStore, lifetime: dt.timedelta) -> None:
        self.store = store
        self.lifetime = lifetime

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        """Load the session named by the cookie, or start an empty one (static files need none)."""
        if request.path.startswith(STATIC_PREFIX):
            return ServerSession()
        key = request.cookies.get(COOKIE_NAME)
        if key and len(key) <= 100:
            found = self.store.load(_hash(key))
            if found is not None:
                data, expires_at = found
                return ServerSession(data, key=key, expires_at=expires_at)
        return ServerSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Store a changed session, extend a used one and set or clear the cookie."""
        assert isinstance(session, ServerSession)
        if request.path.startswith(STATIC_PREFIX):
            return
        secure = bool(app.config.get("SESSION_COOKIE_SECURE"))
        if not session:
            if session.key is not None:
                self.store.delete(_hash(session.key))
                response.delete_cookie(COOKIE_NAME, path="/", secure=secure, httponly=True, samesite="Lax")
            return
        now = utcnow()
        stale = session.expires_at is None or session.expires_at - now < self.lifetime - TOUCH_INTERVAL
        if not (session.modified or stale):
            return
        if session.rotate and session.key is not None:
            self.store.delete(_hash(session.key))
            session.key = None
        if session.key is None:
            session.key = secrets.token_urlsafe(32)
        expires_at = now + self.lifetime
        user_id = session.get("_user_id")
        self.store.save(_hash(session.key), dict(session), int(user_id) if user_id else None, expires_at)
        response.vary.add("Cookie")
        response.set_cookie(COOKIE_NAME, session.key, expires=expires_at, path="/", secure=secure,
                            httponly=True, samesite="Lax")


def make_store(app: Flask, engine: sa.Engine) -> SessionStore:
    """The configured store: Redis when `PAYVAND_SESSION_REDIS_URL` is set, else the database."""
    url = app.config.get("PAYVAND_SESSION_REDIS_URL")
    return RedisStore(url) if url else DatabaseStore(engine)
