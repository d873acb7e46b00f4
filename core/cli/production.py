"""`payvand serve`: the production web server — gunicorn worker processes with threads.

The web processes run no job runner (`payvand worker` does that); each builds its own app
after the fork, so database pools and Redis clients are never shared across processes. Under
gunicorn the metrics of every process are kept in a shared folder, so a scrape of any one
reads them all. `kill -HUP <master pid>` reloads gracefully (new workers start, old ones
finish their requests); `kill -TERM` stops gracefully.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import click

from payvand.core.cli.common import CliEnv, CliError, friendly_errors, pass_env, require_ready

#: Threads per worker process: requests wait on the database most of their time.
DEFAULT_THREADS = 4


def default_workers() -> int:
    """Worker processes: one per core (at least two, so one busy process never stops the site)."""
    return max(2, os.cpu_count() or 1)


def gunicorn_options(*, bind: str, workers: int, threads: int, timeout: int, pidfile: str | None,
                     metrics_dir: Path) -> dict[str, Any]:
    """gunicorn's settings for Payvand (see gunicorn's settings reference)."""
    from prometheus_client import multiprocess

    def child_exit(_server: Any, worker: Any) -> None:
        multiprocess.mark_process_dead(worker.pid, str(metrics_dir))

    return {
        "bind": [bind],
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        "max_requests": 20_000,  # a worker is replaced now and then, bounding slow leaks…
        "max_requests_jitter": 2_000,  # …never all at once
        "accesslog": None,  # the app writes its own access line, with the request id (PAYVAND_ACCESS_LOG)
        "errorlog": "-",
        "pidfile": pidfile,
        "proc_name": "payvand",
        "child_exit": child_exit,
        "control_socket_disable": True,  # gunicorn 25+'s admin socket: signals (HUP, TERM) are the interface here
    }


def prepare_metrics_dir(folder: Path) -> Path:
    """An empty folder for the processes' metric files (old files would add stale counts)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


class PayvandServer:
    """A gunicorn application serving `create_app(config)` in each worker."""

    def __init__(self, config: dict[str, Any], options: dict[str, Any]) -> None:
        from gunicorn.app.base import BaseApplication

        outer = self

        class _App(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    if value is not None and key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return outer.build()

        self.config = config
        self.application = _App()

    def build(self) -> Any:
        """The app of one worker process, with JSON or text logging as configured."""
        from payvand.core.app import create_app
        from payvand.core.observability.logs import configure_logging

        app = create_app(self.config)
        configure_logging(app.config)
        return app

    def run(self) -> None:
        """Run the master process until stopped."""
        self.application.run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1, 256), envvar="PAYVAND_WEB_WORKERS",
              help="Worker processes (default: one per core, at least 2; env PAYVAND_WEB_WORKERS).")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=click.IntRange(1, 64),
              envvar="PAYVAND_WEB_THREADS", help="Threads per worker (env PAYVAND_WEB_THREADS).")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(5, 3600),
              help="Seconds a request may take before its worker is restarted.")
@click.option("--pid", "pidfile", type=click.Path(dir_okay=False), help="Write the master's process id here (for HUP/TERM).")
@pass_env
@friendly_errors
def serve_command(env: CliEnv, host: str, port: int, workers: int | None, threads: int, timeout: int,
                  pidfile: str | None) -> None:
    """Serve the web app in production: gunicorn processes, JSON logs, metrics, health checks.

    Run `payvand worker` beside it for events and scheduled jobs. Reload gracefully with
    `kill -HUP` of the master process, stop with `kill -TERM`.
    """
    from payvand.core.cli.serve import safe_url, serving_config

    require_ready(env)
    env.runtime.engine.dispose()
    if env.config["PAYVAND_DATABASE_URL"].startswith("sqlite") and (workers or default_workers()) > 1:
        click.echo("Note: SQLite allows one writer at a time; at scale use PostgreSQL (PAYVAND_DATABASE_URL).", err=True)
    from payvand.core.observability.metrics import use_shared_folder

    config = {**serving_config(env), "PAYVAND_JOBS": "off"}
    if "PAYVAND_ACCESS_LOG" not in os.environ:
        config["PAYVAND_ACCESS_LOG"] = True  # on by default in production
    metrics_dir = prepare_metrics_dir(Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR")
                                           or Path(env.config["PAYVAND_INSTANCE"]) / "metrics"))
    use_shared_folder(str(metrics_dir))  # before any worker counts
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = gunicorn_options(bind=bind, workers=workers or default_workers(), threads=threads, timeout=timeout,
                               pidfile=pidfile, metrics_dir=metrics_dir)
    click.echo(f"Payvand serving on http://{bind}/ with {options['workers']} processes × {threads} threads; "
               f"database {safe_url(env.config['PAYVAND_DATABASE_URL'])}; jobs: run `payvand worker`.")
    try:
        PayvandServer(config, options).run()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise CliError(f"the server stopped with status {exc.code}") from None


def register(cli: click.Group) -> None:
    """Add `serve` to the root CLI."""
    cli.add_command(serve_command)
