"""pytest fixtures for Payvand and its plugins (registered through the `pytest11` entry point).

Choose the plugins of a test module by overriding `payvand_plugins`::

    @pytest.fixture
    def payvand_plugins():
        return ["my_plugin"]            # entry-point names, or plugin modules/objects

Then use `app`, `client`, `api` (a superuser's authenticated API client), `api_as`
(a client holding only the given permissions), `make_customer`, `make_interaction`,
`make_user` and `run_jobs` (delivers the outbox and runs due jobs, synchronously). For the
staff UI: `web` (a superuser logged in through the login form), `web_as(permissions)` and
`count_queries` (the SQL statements a block runs). For concurrency: `race` fires N requests at
once at a real threaded server of the app (use it on the PostgreSQL run to prove money paths).

Every test runs on a fresh SQLite database; when `PAYVAND_TEST_DATABASE_URL` points at a
PostgreSQL database, every test using `app` runs a second time there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

POSTGRES_ENV = "PAYVAND_TEST_DATABASE_URL"
_templates: dict[tuple[str, ...], Path] = {}
_pg_migrated: set[tuple[str, ...]] = set()
_counter = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    """Register the `sqlite_only` marker."""
    config.addinivalue_line("markers", "sqlite_only: the test runs on SQLite only")


def _database_params() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if os.environ.get(POSTGRES_ENV):
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=_database_params())
def payvand_database(request: pytest.FixtureRequest) -> str:
    """The database kind this test runs on: `sqlite`, then `postgresql` when configured."""
    if request.param == "postgresql" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite-only test")
    return str(request.param)


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The plugins to enable: entry-point names and/or plugin objects. Override per module."""
    return []


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    """Extra configuration for the test app. Override per module."""
    return {}


def _plugin_key(plugins: list[Any]) -> tuple[str, ...]:
    return tuple(sorted(p if isinstance(p, str) else getattr(p, "meta").name for p in plugins))


def _make_config(plugins: list[Any], url: str, instance: Path, extra: dict[str, Any]) -> dict[str, Any]:
    names = [p if isinstance(p, str) else p.meta.name for p in plugins]
    return {
        "PAYVAND_INSTANCE": str(instance),
        "PAYVAND_DATABASE_URL": url,
        "PAYVAND_PLUGINS": names,
        "PAYVAND_EXTRA_PLUGINS": [p for p in plugins if not isinstance(p, str)],
        "PAYVAND_PASSWORD_PROFILE": "fast",
        "PAYVAND_DEFAULT_LOCALE": "en",  # pages in English unless a test switches (deployments default to fa)
        "PAYVAND_JOBS": "off",
        "SECRET_KEY": "test-secret-key",
        "TESTING": True,
        **extra,
    }


def _migrate(url: str, plugins: list[Any], instance: Path) -> None:
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.runtime import Runtime

    runtime = Runtime(_make_config(plugins, url, instance, {}))
    wanted = set(_plugin_key(plugins))
    upgrade(runtime.engine, [p for n, p in runtime.plugins.installed.items() if n in wanted])
    runtime.engine.dispose()
    del make_engine


@functools.lru_cache(maxsize=None)
def _worker_url(url: str) -> str:
    """Under pytest-xdist, give each worker its own PostgreSQL database (created on demand)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _truncate_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'alembic_version%'"
        )).scalars().all()
        if tables:
            connection.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def payvand_database_url(payvand_database: str, payvand_plugins: list[Any], tmp_path: Path,
                         tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database for this test (a copied SQLite template, or truncated PostgreSQL)."""
    key = _plugin_key(payvand_plugins)
    if payvand_database == "postgresql":
        url = _worker_url(os.environ[POSTGRES_ENV])
        if key not in _pg_migrated:
            _reset_postgres(url)
            _pg_migrated.clear()
            _migrate(url, payvand_plugins, tmp_path / "migrate")
            _pg_migrated.add(key)
        _truncate_postgres(url)
        return url
    template = _templates.get(key)
    if template is None:
        folder = tmp_path_factory.mktemp("payvand-template")
        template = folder / "template.sqlite3"
        _migrate(f"sqlite:///{template}", payvand_plugins, folder)
        _templates[key] = template
    target = tmp_path / f"payvand-{next(_counter)}.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(payvand_database_url: str, payvand_plugins: list[Any], payvand_config: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    """A Payvand app on a fresh database with the chosen plugins enabled."""
    from payvand.core.app import create_app

    application = create_app(_make_config(payvand_plugins, payvand_database_url, tmp_path / "instance", payvand_config))
    yield application
    application.extensions["payvand"].engine.dispose()


@pytest.fixture
def runtime(app: Any) -> Any:
    """The app's Runtime (engine, sessions, plugin manager, job runner)."""
    return app.extensions["payvand"]


@pytest.fixture
def db_session(runtime: Any) -> Iterator[Any]:
    """A session on the test database, made current for SDK calls; closed after the test."""
    from payvand.core.db import bind_session

    session = runtime.sessionmaker()
    with bind_session(session):
        yield session
    session.rollback()
    session.close()


@pytest.fixture
def client(app: Any) -> Any:
    """Flask's test client (unauthenticated)."""
    return app.test_client()


class ApiClient:
    """A test client that sends a bearer token and JSON bodies."""

    def __init__(self, client: Any, token: str, user_id: int) -> None:
        self.client = client
        self.token = token
        self.user_id = user_id

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        if not path.startswith("/"):
            path = "/api/v1/" + path
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET with the token."""
        return self._call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        """POST with the token (`json=` for a body)."""
        return self._call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        """PATCH with the token."""
        return self._call("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        """PUT with the token."""
        return self._call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        """DELETE with the token."""
        return self._call("DELETE", path, **kwargs)


@pytest.fixture
def make_user(runtime: Any) -> Callable[..., Any]:
    """Create a staff user: `make_user(email=..., permissions=[...], superuser=False, password=...)`."""
    from payvand.core.services.users import create_user

    def factory(email: str | None = None, *, permissions: list[str] | None = None, superuser: bool = False,
                password: str | None = "correct horse battery staple", name: str = "Test User") -> Any:
        with runtime.sessionmaker.begin() as session:
            user = create_user(session, email or f"user{next(_counter)}@example.com", password=password,
                               name=name, superuser=superuser, permissions=permissions or [],
                               profile="fast")
            session.flush()
            session.expunge(user)
            return user

    return factory


@pytest.fixture
def api_as(app: Any, runtime: Any, make_user: Callable[..., Any]) -> Callable[..., ApiClient]:
    """An API client for a new user with exactly `permissions` (and token `scopes`)."""
    from payvand.core.auth import create_token
    from payvand.core.models import User

    def factory(permissions: list[str] | None = None, *, superuser: bool = False, scopes: list[str] | None = None) -> ApiClient:
        user = make_user(permissions=permissions or [], superuser=superuser)
        with runtime.sessionmaker.begin() as session:
            _, secret = create_token(session, session.get(User, user.id), "test", scopes or ["*"])
        return ApiClient(app.test_client(), secret, user.id)

    return factory


@pytest.fixture
def api(api_as: Callable[..., ApiClient]) -> ApiClient:
    """An API client authenticated as a superuser."""
    return api_as(superuser=True)


@pytest.fixture
def make_customer(runtime: Any) -> Callable[..., Any]:
    """Create a customer through the service layer: `make_customer(given_name=..., emails=[...])`."""
    from payvand.core.audit import SYSTEM
    from payvand.core.schemas import CustomerIn
    from payvand.core.services.customers import create_customer

    def factory(**fields: Any) -> Any:
        n = next(_counter)
        fields.setdefault("given_name", f"Customer{n}")
        fields.setdefault("family_name", "Test")
        data = CustomerIn(region="IR", declared=runtime.customer_fields()).load(fields)
        with runtime.sessionmaker.begin() as session:
            customer = create_customer(session, data, SYSTEM, source="test")
            session.flush()
            customer_id = customer.id
        from payvand.core.services.customers import get_customer

        with runtime.sessionmaker() as session:
            found = get_customer(session, customer_id)
            session.expunge_all()
            return found

    return factory


@pytest.fixture
def make_interaction(runtime: Any) -> Callable[..., Any]:
    """Record an interaction: `make_interaction(customer_id, kind="core.note", channel="phone", ...)`."""
    from payvand.core.services.interactions import build_interaction, record

    def factory(customer_id: int, kind: str = "core.note", channel: str = "phone", summary: str = "A note", **kwargs: Any) -> Any:
        kwargs.setdefault("occurred_at", dt.datetime.now(dt.timezone.utc))
        with runtime.sessionmaker.begin() as session:
            interaction = record(session, build_interaction(customer_id, kind, channel, summary, **kwargs))
            session.flush()
            session.expunge(interaction)
            return interaction

    return factory


@pytest.fixture
def run_jobs(runtime: Any) -> Callable[[], int]:
    """Deliver every due outbox event and run due jobs now; return how many events were handled."""
    return runtime.job_runner.run_pending


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """A test client logged in to the staff UI; `post` adds the form's CSRF token itself."""

    def __init__(self, client: Any, user: Any) -> None:
        self.client = client
        self.user = user
        self.user_id = user.id if user is not None else None
        self._token: str | None = None

    def csrf_token(self) -> str:
        """A valid CSRF token of this session (read once from a page)."""
        if self._token is None:
            page = self.client.get("/login", follow_redirects=True)  # the start page once logged in
            found = _CSRF_META.search(page.text) or _CSRF_INPUT.search(page.text)
            assert found, "no CSRF token on the login page"
            self._token = found.group(1)
        return self._token

    def login(self, email: str, password: str) -> Any:
        """Log in through the login form; returns the response (302 on success)."""
        response = self.post("/login", data={"email": email, "password": password})
        self._token = None  # the session was regenerated
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a page."""
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any) -> Any:
        """POST a form, with this session's CSRF token unless `csrf=False`."""
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def web_as(app: Any, make_user: Callable[..., Any]) -> Callable[..., WebClient]:
    """A staff-UI client logged in as a new user holding exactly `permissions` (or a superuser)."""

    def factory(permissions: list[str] | None = None, *, superuser: bool = False, **user_fields: Any) -> WebClient:
        password = "correct horse battery staple"
        user = make_user(permissions=permissions or [], superuser=superuser, password=password, **user_fields)
        web = WebClient(app.test_client(), user)
        response = web.login(user.email, password)
        assert response.status_code == 302, f"login failed: {response.status_code}"
        return web

    return factory


@pytest.fixture
def web(web_as: Callable[..., WebClient]) -> WebClient:
    """A staff-UI client logged in as a superuser."""
    return web_as(superuser=True)


@pytest.fixture
def count_queries(runtime: Any) -> Callable[[], Any]:
    """`with count_queries() as queries: ...` collects the SQL statements run on the app's engine.

    The periodic look for plugins enabled elsewhere (one query every few seconds, not part of
    any page) is paused inside the block, so counts do not depend on timing.
    """

    @contextlib.contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        interval = runtime.config.get("PAYVAND_PLUGIN_REFRESH_SECONDS")
        runtime.config["PAYVAND_PLUGIN_REFRESH_SECONDS"] = float("inf")
        sa.event.listen(runtime.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(runtime.engine, "before_cursor_execute", record)
            runtime.config["PAYVAND_PLUGIN_REFRESH_SECONDS"] = interval

    return counter


class MailSink:
    """A real SMTP server (aiosmtpd) on a free local port that keeps every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self._stopped = False
        sink = self

        class _Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
                import email
                import email.policy

                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                sink.messages.append(message)
                return "250 OK"

        import socket

        with socket.socket() as probe:  # a free port (aiosmtpd checks its port by connecting to it)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(_Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> str:
        """Start the server; return its `smtp://` URL."""
        self._controller.start()
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server (once; later calls do nothing): a test may stop it to see a mail failure."""
        if not self._stopped:
            self._stopped = True
            self._controller.stop()

    def to(self, address: str) -> list[Any]:
        """The messages received for `address`."""
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def mail_sink(runtime: Any, app: Any) -> Iterator[MailSink]:
    """A local SMTP server the app sends to (`PAYVAND_SMTP_URL` set); `.messages` holds what arrived."""
    sink = MailSink()
    url = sink.start()
    runtime.config["PAYVAND_SMTP_URL"] = url
    app.config["PAYVAND_SMTP_URL"] = url
    try:
        yield sink
    finally:
        runtime.config.pop("PAYVAND_SMTP_URL", None)
        app.config.pop("PAYVAND_SMTP_URL", None)
        sink.stop()


class RaceResult:
    """One response of a `race`: its status, headers and body (parsed as JSON when it is JSON)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.status_code = status
        self.headers = headers
        self.body = body

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when it is not JSON)."""
        import json

        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self) -> str:
        return f"<RaceResult {self.status} {self.body[:120]!r}>"


class Race:
    """Fires N HTTP requests at the same instant at a real, threaded server of the test app.

    The app is served by Werkzeug's threaded WSGI server on 127.0.0.1 (started on first use,
    stopped after the test); each request runs in its own thread on its own connection, and a
    barrier releases them together, so the database sees truly concurrent transactions. Use it
    with the PostgreSQL run of a test (`payvand_database == "postgresql"`) to prove that a money or
    state change is correct under any interleaving; it works on SQLite too, where writers queue.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self._server: Any = None
        self._thread: Any = None

    @property
    def base_url(self) -> str:
        """The server's address (`http://127.0.0.1:PORT`), starting it if needed."""
        if self._server is None:
            import threading

            from werkzeug.serving import make_server

            self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()
        return f"http://127.0.0.1:{self._server.server_port}"

    def __call__(self, n: int, method: str, path: str, *, client: Any = None, token: str | None = None,
                 json: Any = None, jsons: list[Any] | None = None, headers: dict[str, str] | None = None,
                 header_list: list[dict[str, str]] | None = None, timeout: float = 60.0) -> list[RaceResult]:
        """Send `n` requests at once and return their results in request order.

        `client` is an `ApiClient` (its bearer token is used) or give `token` directly. Every
        request sends `json` and `headers`, unless `jsons` / `header_list` give one per request.
        `path` may be relative to `/api/v1/`.
        """
        import json as jsonlib
        import threading
        import urllib.error
        import urllib.request

        if not path.startswith("/"):
            path = "/api/v1/" + path
        secret = token or (client.token if client is not None else None)
        bodies = jsons if jsons is not None else [json] * n
        extra = header_list if header_list is not None else [dict(headers or {})] * n
        if len(bodies) != n or len(extra) != n:
            raise ValueError("jsons and header_list must hold one entry per request")
        url = self.base_url + path
        barrier = threading.Barrier(n)
        results: list[RaceResult | None] = [None] * n
        errors: list[BaseException] = []

        def fire(index: int) -> None:
            request_headers = {"Accept": "application/json", **extra[index]}
            if secret:
                request_headers["Authorization"] = f"Bearer {secret}"
            data = None
            if bodies[index] is not None:
                data = jsonlib.dumps(bodies[index]).encode()
                request_headers.setdefault("Content-Type", "application/json")
            prepared = urllib.request.Request(url, data=data, method=method.upper(), headers=request_headers)
            try:
                barrier.wait(timeout)
                try:
                    with urllib.request.urlopen(prepared, timeout=timeout) as response:  # noqa: S310 - loopback
                        results[index] = RaceResult(response.status, dict(response.headers), response.read())
                except urllib.error.HTTPError as failed:
                    results[index] = RaceResult(failed.code, dict(failed.headers), failed.read())
            except BaseException as exc:  # reported below, with the test's traceback
                errors.append(exc)

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout * 2)
        if errors:
            raise errors[0]
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def race(app: Any) -> Iterator[Race]:
    """`race(n, "POST", path, client=api, json=...)` fires `n` requests at once at a real threaded
    server of the app and returns their `RaceResult`s (status, headers, body, json)."""
    kit = Race(app)
    try:
        yield kit
    finally:
        kit.close()


# --------------------------------------------------------------------------- page checks
# Checks of rendered pages in both languages (user text isolated, one number format, no English
# left in Persian pages); pure functions, documented in `payvand.sdk.page_checks`.
from payvand.sdk.page_checks import (  # noqa: E402
    assert_isolated,
    english_words,
    foreign_number_formats,
    isolate,
    unisolated,
    visible_text,
)

