"""`payvand init | run | worker | demo`: the life cycle of an instance.

`init` makes the instance folder and migrates the database; `run` serves the web app with
the in-process job runner; `worker` runs the job runner alone (several of them at scale);
`demo` does all of it on demo data with an admin account, for a first look.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from payvand.core.cli.common import CliEnv, CliError, creates_database, friendly_errors, one_line, pass_env, require_ready

F = TypeVar("F", bound=Callable[..., Any])

ADMIN_EMAIL = "admin@example.com"


def safe_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    from payvand.core.database_url import display_url

    return display_url(url)


def initialise(env: CliEnv) -> list[str]:
    """Create the instance folder and secret key, and migrate the database; return branches run."""
    from payvand.core.cli.db import upgrade_all

    Path(env.config["PAYVAND_INSTANCE"]).mkdir(parents=True, exist_ok=True)
    try:
        return upgrade_all(env)
    except SQLAlchemyError as exc:
        raise CliError(f"migration failed: {one_line(exc)}") from None


def serving_config(env: CliEnv) -> dict[str, Any]:
    """The configuration for a server or worker: the CLI's, but with the instance's lasting
    secret key (read, or made once in the instance folder) rather than a reading command's
    throwaway one."""
    return {key: value for key, value in env.config.items() if key != "SECRET_KEY"}


def _secret_key_source(folder: Path) -> str:
    if os.environ.get("PAYVAND_SECRET_KEY"):
        return "from $PAYVAND_SECRET_KEY"
    path = folder / "secret_key"
    return str(path) if path.exists() else "from the configuration"


# --------------------------------------------------------------------------- serving


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl+C so servers and workers stop cleanly (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(env: CliEnv, host: str, port: int, *, jobs: bool, debug: bool = False) -> None:
    """Serve the app with the development server and, unless `jobs` is off, the job runner."""
    from payvand.core.app import create_app

    app = create_app(serving_config(env))
    runtime = app.extensions["payvand"]
    run_jobs = jobs and str(app.config.get("PAYVAND_JOBS", "thread")).lower() != "off"
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    click.echo(f"Payvand is serving on {url}: staff log in at {url}login "
               f"(API document: {url}api/v1/openapi.json).")
    click.echo(f"Database: {safe_url(env.config['PAYVAND_DATABASE_URL'])}; job runner: "
               f"{'in this process' if run_jobs else 'off (run `payvand worker`)'}. Press Ctrl+C to stop.")
    try:
        with _terminate_as_interrupt():
            if run_jobs:
                runtime.job_runner.start_thread()
            app.run(host=host, port=port, debug=debug, use_reloader=False, threaded=True)
    except KeyboardInterrupt:
        click.echo("Stopping (Ctrl+C or SIGTERM).")
    except OSError as exc:
        raise CliError(f"cannot serve on {host}:{port}: {one_line(exc)}") from None
    finally:
        if run_jobs:
            runtime.job_runner.stop()
        runtime.engine.dispose()
    click.echo("Stopped.")


def _serve_options(function: F) -> F:
    function = click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
                            help="Port to listen on.")(function)
    return click.option("--host", default="127.0.0.1", show_default=True,
                        help="Address to listen on (0.0.0.0 for every interface).")(function)


# --------------------------------------------------------------------------- commands


@click.command("init")
@pass_env
@creates_database
@friendly_errors
def init_command(env: CliEnv) -> None:
    """Create the instance folder and migrate the database.

    Safe to run again: it only applies migrations not yet applied.
    """
    folder = Path(env.config["PAYVAND_INSTANCE"])
    existed = env.runtime.schema_ready()
    ran = initialise(env)
    click.echo(f"Instance folder: {folder}")
    click.echo(f"Secret key: {_secret_key_source(folder)}")
    state = "already initialised, migrations at head" if existed else "created and migrated"
    click.echo(f"Database {safe_url(env.config['PAYVAND_DATABASE_URL'])}: {state} ({', '.join(ran)})")
    click.echo("Next: `payvand users create you@example.com --superuser`, then `payvand run`.")


@click.command("run")
@_serve_options
@click.option("--no-jobs", is_flag=True,
              help="Do not start the in-process job runner (run `payvand worker` instead).")
@click.option("--debug", is_flag=True, help="Flask debug mode: interactive tracebacks. Never in production.")
@pass_env
@friendly_errors
def run_command(env: CliEnv, host: str, port: int, no_jobs: bool, debug: bool) -> None:
    """Serve the web app with the in-process job runner.

    At scale, serve `payvand.core.app:create_app()` with gunicorn and run `payvand worker`
    processes instead.
    """
    require_ready(env)
    env.runtime.engine.dispose()
    serve(env, host, port, jobs=not no_jobs, debug=debug)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass (deliver due events, run due jobs) and exit.")
@pass_env
@friendly_errors
def worker_command(env: CliEnv, once: bool) -> None:
    """Deliver events to plugins and run scheduled jobs.

    Runs in the foreground until stopped; start several against PostgreSQL to scale.
    """
    from payvand.core.app import create_app
    from payvand.core.jobs import JobRunner
    from payvand.core.observability.logs import configure_logging
    from payvand.core.observability.metrics import use_shared_folder

    require_ready(env)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # beside `payvand serve`: its /metrics counts this worker too
        use_shared_folder(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    app = create_app({**serving_config(env), "PAYVAND_JOBS": "off"})  # jobs run in its app context: mail, translations
    if not once:
        configure_logging(app.config)
    runner = JobRunner(app.extensions["payvand"], app=app)
    if once:
        handled = runner.deliver_due()
        ran = runner.run_due_jobs()
        click.echo(f"Handled {handled} event{'' if handled == 1 else 's'}; "
                   f"jobs run: {', '.join(ran) if ran else 'none due'}.")
        return
    try:
        with _terminate_as_interrupt():
            click.echo(f"Worker running on {safe_url(env.config['PAYVAND_DATABASE_URL'])}. Press Ctrl+C to stop.")
            runner.loop()
    except KeyboardInterrupt:
        click.echo("Stopping (Ctrl+C or SIGTERM).")
    finally:
        runner.stop()
    click.echo("Worker stopped.")


def ensure_admin(env: CliEnv) -> str | None:
    """Create the demo superuser unless it exists; return its new password, or None."""
    from payvand.core import audit
    from payvand.core.actor import Actor
    from payvand.core.models import User
    from payvand.core.services.users import create_user

    with env.runtime.sessionmaker.begin() as session:
        if session.scalar(sa.select(User.id).where(User.email == ADMIN_EMAIL)) is not None:
            return None
        password = secrets.token_urlsafe(15)
        user = create_user(session, ADMIN_EMAIL, password=password, name="Administrator", superuser=True,
                           profile=env.config.get("PAYVAND_PASSWORD_PROFILE", "default"))
        audit.record(session, Actor.system("cli"), "create", "user", user.id,
                     after={"email": user.email, "name": user.name, "is_superuser": True})
    return password


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Prepare the instance and exit without serving.")
@_serve_options
@click.option("--customers", default=500, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Demo customers to create.")
@click.option("--interactions", default=10_000, show_default=True, type=click.IntRange(0, 10_000_000),
              help="Demo interactions to create.")
@click.option("--seed", type=int, help="Random seed (the same seed gives the same data). Default: fixed.")
@pass_env
@creates_database
@friendly_errors
def demo_command(env: CliEnv, no_serve: bool, host: str, port: int, customers: int,
                 interactions: int, seed: int | None) -> None:
    """Set up demo data and an admin account, then serve.

    Safe to run again: data and the admin are created only once.
    """
    from payvand.core.actor import Actor
    from payvand.core.demo import DEFAULT_SEED, has_customers, load_demo

    ran = initialise(env)
    click.echo(f"Instance: {env.config['PAYVAND_INSTANCE']}; database "
               f"{safe_url(env.config['PAYVAND_DATABASE_URL'])} at head ({', '.join(ran)}).")
    runtime = env.runtime
    if has_customers(runtime.sessionmaker):
        click.echo("The database already has customers: no demo data loaded.")
    else:
        result = load_demo(runtime.sessionmaker, customers, interactions,
                           DEFAULT_SEED if seed is None else seed, actor=Actor.system("cli"))
        click.echo(f"Loaded {result.customers} customers and {result.interactions} interactions "
                   f"in {result.seconds:.1f} s.")
    password = ensure_admin(env)  # first, so that plugins' demo records have an owner who can log in
    load_plugin_demos_in_app(env, DEFAULT_SEED if seed is None else seed)
    if password is None:
        click.echo(f"The admin account {ADMIN_EMAIL} already exists; reset its password with "
                   f"`payvand users set-password {ADMIN_EMAIL}`.")
    else:
        click.echo(f"Created the admin account {ADMIN_EMAIL} with password: {password}")
        click.echo("  (shown only this once; change it with "
                   f"`payvand users set-password {ADMIN_EMAIL}`)")
    click.echo(f"API token for scripts: `payvand tokens create {ADMIN_EMAIL} --name demo`.")
    if no_serve:
        return
    runtime.engine.dispose()
    serve(env, host, port, jobs=True)


def load_plugin_demos_in_app(env: CliEnv, seed: int) -> None:
    """Load the plugins' demo data inside an app context, as a worker runs jobs: a plugin's demo
    may sign links with the secret key, render mail or build URLs, as its services do."""
    from payvand.core.app import create_app

    app = create_app({**serving_config(env), "PAYVAND_JOBS": "off"})
    try:
        with app.app_context():
            load_plugin_demos(app.extensions["payvand"], seed)
    finally:
        app.extensions["payvand"].engine.dispose()


def load_plugin_demos(runtime: Any, seed: int) -> None:
    """Let each enabled plugin load its demo data (`payvand_demo_data`), one transaction each."""
    from payvand.core.db import session_scope

    for name in runtime.plugins.implementers("payvand_demo_data"):
        try:
            with session_scope(runtime.sessionmaker):
                counts = runtime.plugins.call_each_result("payvand_demo_data", {"seed": seed}, name)
        except Exception as exc:  # recorded on the plugins page; the demo goes on without it
            runtime.record_plugin_error(name, "payvand_demo_data", exc)
            click.echo(f"{name}: no demo data ({one_line(exc)}).")
            continue
        if counts:
            click.echo(f"{name}: " + ", ".join(f"{count:,} {what.replace('_', ' ')}" for what, count in counts.items()) + ".")


def register(cli: click.Group) -> None:
    """Add `init`, `run`, `worker` and `demo` to the root CLI."""
    for command in (init_command, run_command, worker_command, demo_command):
        cli.add_command(command)
