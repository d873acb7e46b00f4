"""`payvand init | run | worker | demo`: setting up, serving and demonstrating an instance."""

from __future__ import annotations

import datetime as dt
import os
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cli_results import assert_one_line_error, ok
from click.testing import CliRunner, Result

from payvand.core.auth import verify_password
from payvand.core.cli import cli
from payvand.core.db import make_engine
from payvand.core.models import AuditLog, Customer, Interaction, OutboxEvent, User
from payvand.sdk.testing import POSTGRES_ENV

Invoke = Callable[..., Result]
PASSWORD_LINE = re.compile(r"admin@example\.com with password: (\S+)")


@pytest.fixture(autouse=True)
def _only_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI enables no installed plugin in these tests, and keeps its key in the instance."""
    monkeypatch.setenv("PAYVAND_PLUGINS", "none")
    monkeypatch.delenv("PAYVAND_SECRET_KEY", raising=False)


@pytest.fixture
def fresh_database_url(payvand_database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty, never migrated database: a new SQLite file, or the PostgreSQL one wiped."""
    if payvand_database == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    url = request.getfixturevalue("payvand_database_url")  # leaves the core migrated, as we will
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    yield url
    from payvand.core.migrations.runner import upgrade

    engine = make_engine(url)
    upgrade(engine)  # back to what the shared fixtures expect: the core at head
    engine.dispose()


def make_invoke(instance: Path, url: str) -> Invoke:
    """Run `payvand --instance ... --database-url ... ARGS` in-process."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, ["--instance", str(instance), "--database-url", url, *args], input=input)

    return invoke


@pytest.fixture
def invoke(fresh_database_url: str, tmp_path: Path) -> Invoke:
    """The CLI on a fresh database with an instance folder in tmp_path."""
    return make_invoke(tmp_path / "instance", fresh_database_url)


def counts(url: str) -> dict[str, int]:
    """How many customers, interactions, users and demo loads a database holds."""
    engine = make_engine(url)
    with engine.connect() as connection:
        def count(model: Any, *where: Any) -> int:
            return connection.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

        result = {
            "customers": count(Customer), "interactions": count(Interaction), "users": count(User),
            "demo_loads": count(AuditLog, AuditLog.object_type == "demo"),
        }
    engine.dispose()
    return result


# --------------------------------------------------------------------------- init


def test_init_creates_the_instance_and_migrates(invoke, tmp_path, fresh_database_url):
    output = ok(invoke("init"))
    instance = tmp_path / "instance"
    key = instance / "secret_key"
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert str(instance) in output and "created and migrated" in output
    assert counts(fresh_database_url)["customers"] == 0


def test_init_is_idempotent(invoke, tmp_path):
    ok(invoke("init"))
    key = (tmp_path / "instance" / "secret_key").read_text()
    output = ok(invoke("init"))
    assert "already initialised" in output
    assert (tmp_path / "instance" / "secret_key").read_text() == key


def test_init_reports_an_unreachable_database_in_one_line(tmp_path):
    invoke = make_invoke(tmp_path / "instance", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert_one_line_error(invoke("init"), "database")


# --------------------------------------------------------------------------- demo


def test_demo_loads_data_and_an_admin_who_can_log_in(invoke, fresh_database_url):
    output = ok(invoke("demo", "--no-serve"))
    assert "no demo data" not in output  # every enabled plugin loaded its demo (in an app context)
    found = counts(fresh_database_url)
    assert found["customers"] >= 500 and found["interactions"] >= 10_000
    password = PASSWORD_LINE.search(output).group(1)
    assert output.count(password) == 1
    engine = make_engine(fresh_database_url)
    with engine.connect() as connection:
        channels = set(connection.scalars(sa.select(Interaction.channel).distinct()))
        first, last = connection.execute(
            sa.select(sa.func.min(Interaction.occurred_at), sa.func.max(Interaction.occurred_at))
        ).one()
        audit_text = " ".join(str(row) for row in connection.execute(sa.select(AuditLog)))
    engine.dispose()
    assert {"web", "email", "phone", "chat", "social", "in_person"} <= channels
    first, last = (v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(v) for v in (first, last))
    assert dt.timedelta(days=650) < last - first <= dt.timedelta(days=731)
    assert password not in audit_text
    from payvand.core.config import build_config
    from payvand.core.runtime import Runtime

    runtime = Runtime(build_config({"PAYVAND_DATABASE_URL": fresh_database_url, "SECRET_KEY": "x"}))
    with runtime.sessionmaker() as session:
        admin = session.scalars(sa.select(User).where(User.email == "admin@example.com")).one()
        assert admin.is_superuser and admin.is_active
        assert admin.password_hash != password and password not in admin.password_hash
        assert verify_password(admin, password)
        assert not verify_password(admin, password + "x")
    runtime.engine.dispose()


def test_second_demo_run_creates_nothing_twice(invoke, fresh_database_url):
    ok(invoke("demo", "--no-serve", "--customers", "50", "--interactions", "200"))
    before = counts(fresh_database_url)
    output = ok(invoke("demo", "--no-serve", "--customers", "50", "--interactions", "200"))
    expected = {"customers": 50, "interactions": 200, "users": 1, "demo_loads": 1}
    assert counts(fresh_database_url) == before == expected
    assert "already exists" in output and "payvand users set-password admin@example.com" in output
    assert "password:" not in output


def test_demo_keeps_existing_customers_and_still_creates_the_admin(invoke, fresh_database_url):
    ok(invoke("init"))
    engine = make_engine(fresh_database_url)
    with engine.begin() as connection:
        connection.execute(sa.insert(Customer.__table__), [{
            "kind": "person", "display_name": "Real Customer", "search_name": "real customer",
            "search_name_alt": "customer real", "lifecycle_stage": "customer", "attributes": {}, "version": 1,
        }])
    engine.dispose()
    output = ok(invoke("demo", "--no-serve"))
    assert "no demo data loaded" in output
    assert counts(fresh_database_url)["customers"] == 1
    assert PASSWORD_LINE.search(output)


# --------------------------------------------------------------------------- worker


def test_worker_once_delivers_the_demo_events(invoke, fresh_database_url):
    ok(invoke("demo", "--no-serve", "--customers", "30", "--interactions", "2500"))
    assert "Handled 3 events" in ok(invoke("worker", "--once"))
    assert "Handled 0 events" in ok(invoke("worker", "--once"))
    engine = make_engine(fresh_database_url)
    with engine.connect() as connection:
        undelivered = connection.scalar(
            sa.select(sa.func.count()).select_from(OutboxEvent).where(OutboxEvent.delivered_at.is_(None)))
    engine.dispose()
    assert undelivered == 0


# --------------------------------------------------------------------------- refusing to start


@pytest.mark.parametrize("command", [["run"], ["worker", "--once"], ["users", "list"]])
def test_commands_refuse_an_uninitialised_database_in_one_line(tmp_path, command):
    invoke = make_invoke(tmp_path / "instance", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert_one_line_error(invoke(*command), "payvand init")


def test_run_rejects_a_bad_port_with_a_usage_error(invoke):
    result = invoke("run", "--port", "70000")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_every_lifecycle_command_has_help(invoke):
    for command in ("init", "run", "worker", "demo"):
        output = ok(invoke(command, "--help"))
        assert "Usage:" in output and "Options:" in output


# --------------------------------------------------------------------------- real processes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PAYVAND_PLUGINS": "none", "PYTHONUNBUFFERED": "1"}
    env.pop(POSTGRES_ENV, None)
    command = [sys.executable, "-c", "from payvand.core.cli import main; main()", *args]
    return subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return process.returncode, output


@pytest.mark.slow
def test_run_serves_the_api_until_terminated(tmp_path):
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    ok(make_invoke(tmp_path / "instance", url)("init"))
    port = _free_port()
    process = _start(["--instance", str(tmp_path / "instance"), "--database-url", url,
                      "run", "--port", str(port)], tmp_path)
    status = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2) as response:
                    status = response.status
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
    finally:
        code, output = _stop(process)
    assert status == 200, output
    assert code == 0, output
    assert "job runner: in this process" in output and "Stopped." in output
    assert "Traceback" not in output


@pytest.mark.slow
def test_worker_runs_until_terminated(tmp_path):
    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    ok(make_invoke(tmp_path / "instance", url)("init"))
    process = _start(["--instance", str(tmp_path / "instance"), "--database-url", url, "worker"], tmp_path)
    try:
        assert process.stdout is not None
        first = ""  # the lines up to "Worker running" (the database it opened comes first, on stderr)
        while "Worker running" not in first:
            readable, _, _ = select.select([process.stdout], [], [], 30)
            line = process.stdout.readline() if readable else ""
            if not line:
                break
            first += line
    finally:
        code, output = _stop(process)
    assert "Worker running" in first, first + output
    assert first.startswith(f"Database: {url}\n"), first
    assert code == 0 and "Worker stopped." in output and "Traceback" not in output
