"""Load test of the production deployment: `payvand serve` with 1, 2 and 4 web processes plus
`payvand worker`, on PostgreSQL with the benchmark dataset, Redis for sessions and rate limits.

For each web process count the script starts `payvand serve` (gunicorn gthread, the production
defaults: 4 threads, JSON access log, metrics) and `--workers` `payvand worker` processes itself,
waits for `/readyz`, then runs closed-loop virtual users on loopback — each with its own staff
session (logged in through the form) and the API token the script made — picking requests from
a fixed mix: the customer list (first page, a filtered page), the customer 360 page, API search
by email, phone and name, the timeline API, recording an interaction and placing an order. A
warm-up is discarded, then a fixed duration is measured. It reports per process count:
throughput, p50/p95/p99 per request kind, errors (any status but the expected one; the run
fails on any), the CPU used by the web processes, the workers, the database's backends for this
database and the load generator itself (from /proc), the whole machine's busy cores, the outbox
left behind (from `/metrics`), and which of them saturates first. Machine load at start and end.

The virtual users run in `--generators` processes (threads in each, plain `http.client` with
keep-alive), so the generator is not limited to one core by the interpreter lock; its own CPU
is reported, and a run where it is the bottleneck says so.

    python benchmarks/load_test.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/payvand_load \\
        --redis-url redis://127.0.0.1:6379/8                                  # 1M customers, 1/2/4 processes
    python benchmarks/load_test.py ... --customers 10000000 --interactions 100000000   # 10M
    python benchmarks/load_test.py --customers 2000 --interactions 20000 --processes 1 --duration 3 --warmup 1
                                                                              # SQLite, a smoke run

Every request is to 127.0.0.1 (the server the script started); every loop stops at its deadline.
The database keeps what the run wrote (interactions, orders); the dataset's copy is reused.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from _dataset import (
    add_database_argument,
    add_size_arguments,
    ensure_dataset,
    ensure_postgres_dataset,
    log,
    machine,
    psycopg_url,
    summary_ms,
)

EMAIL = "load-staff@example.com"
PASSWORD = "load test password 1"
PRODUCTS = 2_000
HOST = "127.0.0.1"
#: (kind, weight): the request mix, in percent of requests.
MIX: list[tuple[str, int]] = [
    ("list_first_page", 10),
    ("list_filtered", 10),
    ("customer_360", 20),
    ("search_email", 8),
    ("search_phone", 8),
    ("search_name", 8),
    ("timeline_api", 20),
    ("create_interaction", 10),
    ("place_order", 6),
]
FILTERS = ["stage=churned", "stage=lead", "tag=vip", "tag=b2b"]
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --------------------------------------------------------------------------- preparing the database


def sales_plugin() -> Any:
    """The sales module as an installed plugin (for its migrations)."""
    import payvand.plugins.sales as sales
    from payvand.core.plugins import InstalledPlugin

    return InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")


def prepare_database(url: str, customers: int) -> tuple[str, dict[str, list[Any]]]:
    """Products with a default price list, the staff user and its API token; samples for the mix."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from payvand.core import permissions as perm
    from payvand.core.auth import create_token
    from payvand.core.db import make_engine
    from payvand.core.models import User
    from payvand.core.services.users import create_user

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if not conn.execute(sa.text("SELECT count(*) FROM sales_product WHERE sku LIKE 'LT-%'")).scalar():
                conn.execute(sa.text(
                    "INSERT INTO sales_product (sku, name, kind, unit, tax_class, in_stock, active, created_at)"
                    " VALUES (:sku, :name, 'product', 'unit', 'standard', true, true, CURRENT_TIMESTAMP)"),
                    [{"sku": f"LT-{p}", "name": f"Load product {p}"} for p in range(1, PRODUCTS + 1)])
            if not conn.execute(sa.text("SELECT count(*) FROM sales_price_list WHERE is_default")).scalar():
                conn.execute(sa.text("INSERT INTO sales_price_list (name, currency, is_default)"
                                     " VALUES ('Load test', 'IRR', true)"))
            list_id = conn.execute(sa.text("SELECT id FROM sales_price_list WHERE is_default")).scalar()
            conn.execute(sa.text(
                "INSERT INTO sales_price (price_list_id, product_id, unit_price) SELECT :l, p.id, 10000 * (p.id % 97 + 1)"
                " FROM sales_product p WHERE p.sku LIKE 'LT-%' AND NOT EXISTS (SELECT 1 FROM sales_price x"
                " WHERE x.price_list_id = :l AND x.product_id = p.id)"), {"l": list_id})
            products = list(conn.execute(sa.text("SELECT id FROM sales_product WHERE sku LIKE 'LT-%'")).scalars())
        with Session(engine) as session, session.begin():
            user = session.scalars(sa.select(User).where(User.email == EMAIL)).first()
            if user is None:
                user = create_user(session, EMAIL, password=PASSWORD, name="Load test staff", profile="fast",
                                   permissions=[perm.CUSTOMER_VIEW, perm.INTERACTION_VIEW, perm.INTERACTION_CREATE,
                                                "sales.document.view", "sales.document.edit"])
            _, token = create_token(session, user, "load test", ["*"])
        rng = random.Random(5)
        ids = sorted({rng.randrange(1, customers + 1) for _ in range(min(customers, 3000))})
        with engine.connect() as conn:
            live = sa.text("SELECT id FROM core_customer WHERE id IN :ids AND merged_into_id IS NULL"
                           " AND erased_at IS NULL").bindparams(sa.bindparam("ids", expanding=True))
            ids = list(conn.execute(live, {"ids": ids}).scalars())
            emails = list(conn.execute(sa.text("SELECT email FROM core_customer_email WHERE customer_id IN :ids")
                                       .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids[:1000]}).scalars())
            phones = list(conn.execute(sa.text("SELECT number FROM core_customer_phone WHERE customer_id IN :ids")
                                       .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids[:1000]}).scalars())
            names = [f"{g} {f[:2]}" for g, f in conn.execute(sa.text(
                "SELECT given_name, family_name FROM core_customer WHERE id IN :ids AND kind = 'person'")
                .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids[:1000]}) if g and f]
    finally:
        engine.dispose()
    if not (ids and emails and phones and names):
        raise SystemExit("the dataset is too small to sample customers, emails, phones and names from")
    return token, {"ids": ids, "emails": emails, "phones": ["0" + p[3:] for p in phones], "names": names,
                   "products": products}


# --------------------------------------------------------------------------- the load generator


class Client:
    """One virtual user's keep-alive connection and cookies (its staff session).

    gunicorn's gthread workers close a kept-alive connection that waited longer than its
    keep-alive (5 s) for a thread — under overload a request can wait that long — and a worker
    replaced after `max_requests` closes its connections too: the request is sent again once on
    a new connection and counted in `reconnects` (a GET is safe to repeat; every POST carries an
    `Idempotency-Key`).
    """

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.reconnects = 0

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, http.client.HTTPResponse]:
        """Send one request (reconnecting once when the server closed a kept-alive connection)."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (0, 1):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                # a worker replaced after max_requests, or keep-alive ended: the request never ran
                # (or, for a POST, its Idempotency-Key makes the retry safe)
                self.connection.close()
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
                self.reconnects += 1
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data, response

    def login(self) -> None:
        """Log in through the staff form (CSRF token from the page)."""
        status, page, _ = self.request("GET", "/login")
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise RuntimeError(f"login page answered {status}")
        form = urlencode({"email": EMAIL, "password": PASSWORD, "csrf_token": match.group(1).decode()}).encode()
        status, _, _ = self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"login answered {status}")


def build_request(kind: str, rng: random.Random, samples: dict[str, list[Any]],
                  token: str) -> tuple[str, str, bytes | None, dict[str, str], int]:
    """(method, path, body, headers, expected status) of one request of this kind."""
    api = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    ids = samples["ids"]
    if kind == "list_first_page":
        return "GET", "/customers", None, {}, 200
    if kind == "list_filtered":
        return "GET", f"/customers?{rng.choice(FILTERS)}", None, {}, 200
    if kind == "customer_360":
        return "GET", f"/customers/{rng.choice(ids)}", None, {}, 200
    if kind == "search_email":
        return "GET", f"/api/v1/customers?q={quote(rng.choice(samples['emails']))}", None, api, 200
    if kind == "search_phone":
        return "GET", f"/api/v1/customers?q={quote(rng.choice(samples['phones']))}", None, api, 200
    if kind == "search_name":
        return "GET", f"/api/v1/customers?q={quote(rng.choice(samples['names']))}", None, api, 200
    if kind == "timeline_api":
        return "GET", f"/api/v1/customers/{rng.choice(ids)}/interactions", None, api, 200
    post = {**api, "Content-Type": "application/json", "Idempotency-Key": secrets.token_hex(16)}
    if kind == "create_interaction":
        body = {"kind": "core.note", "channel": "phone", "direction": "outbound",
                "summary": f"تماس پیگیری {rng.randrange(10**6)}"}
        return "POST", f"/api/v1/customers/{rng.choice(ids)}/interactions", json.dumps(body).encode(), post, 201
    if kind == "place_order":
        body = {"customer_id": rng.choice(ids),
                "lines": [{"product_id": p, "quantity": str(rng.randint(1, 4))}
                          for p in rng.sample(samples["products"], 3)]}
        return "POST", "/api/v1/sales/orders", json.dumps(body).encode(), post, 201
    raise ValueError(kind)


def generate(spec: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    """One load generator process of `spec['users']` threads, each a virtual user.

    Every user logs in first; then the process says so on `ready` and waits for the schedule
    (start, measure-from and end times) on `go`; the figures go to `results`.
    """
    kinds = [k for k, w in MIX for _ in range(w)]
    lock = threading.Lock()
    logged_in = threading.Barrier(spec["users"] + 1)
    started = threading.Event()
    latencies: dict[str, list[int]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    failures: list[str] = []
    reconnects = [0]

    def user(n: int) -> None:
        rng = random.Random(spec["seed"] * 1000 + n)
        try:
            client = Client(spec["port"], spec["token"])
            client.login()
        except Exception as exc:  # noqa: BLE001 - reported, the run fails
            with lock:
                failures.append(f"login: {exc!r}")
            logged_in.wait()
            return
        mine: dict[str, list[int]] = defaultdict(list)
        my_errors: list[tuple[str, str]] = []
        logged_in.wait()
        started.wait()
        time.sleep(max(0.0, spec["start_at"] - time.time()))
        while True:
            now = time.time()
            if now >= spec["end_at"]:
                break
            kind = kinds[int(rng.random() * len(kinds))]
            method, path, body, headers, expected = build_request(kind, rng, spec["samples"], spec["token"])
            t0 = time.perf_counter_ns()
            try:
                status, _, _ = client.request(method, path, body, headers)
            except Exception as exc:  # noqa: BLE001 - counted as an error of this kind
                status = type(exc).__name__
            elapsed = time.perf_counter_ns() - t0
            if now < spec["measure_at"]:
                continue
            if status == expected:
                mine[kind].append(elapsed)
            else:
                my_errors.append((kind, str(status)))
        with lock:
            for kind, values in mine.items():
                latencies[kind].extend(values)
            for kind, status in my_errors:
                errors[kind][status] += 1
            reconnects[0] += client.reconnects

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(spec["users"])]
    for thread in threads:
        thread.start()
    logged_in.wait(300)
    ready.put(len(failures))
    spec.update(go.get(timeout=600))
    started.set()
    for thread in threads:
        thread.join(spec["end_at"] - time.time() + 90)
    results.put({"latencies": dict(latencies), "errors": {k: dict(v) for k, v in errors.items()},
                 "failures": failures, "reconnects": reconnects[0]})


# --------------------------------------------------------------------------- CPU from /proc


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, utime + stime ticks) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def descendants(roots: list[int]) -> set[int]:
    """The given processes and all their descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat:
                parents[int(entry)] = stat[0]
    found = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class CpuSampler:
    """CPU seconds used by groups of processes over a window, sampled every `interval` s.

    A process first seen after the window began counts from its birth (a replaced gunicorn
    worker); one that ends between samples loses its last interval.
    """

    def __init__(self, groups: dict[str, Any], interval: float = 0.5) -> None:
        self.groups = groups  # name -> callable returning the group's pids
        self.interval = interval
        self.first: dict[str, dict[int, int]] = {g: {} for g in groups}
        self.last: dict[str, dict[int, int]] = {g: {} for g in groups}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.samples = 0

    def _sample(self, initial: bool) -> None:
        for group, pids_of in self.groups.items():
            for pid in pids_of():
                stat = _proc_stat(pid)
                if stat is None:
                    continue
                if pid not in self.first[group]:
                    self.first[group][pid] = stat[1] if initial else 0
                self.last[group][pid] = stat[1]
        self.samples += 1

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            self._sample(False)

    def start(self) -> None:
        """Take the first sample and keep sampling."""
        self.machine0 = machine_ticks()
        self.began = time.perf_counter()
        self._sample(True)
        self.thread.start()

    def finish(self) -> dict[str, Any]:
        """Stop; cores used per group (CPU seconds / wall seconds) and by the whole machine."""
        self.stop.set()
        self.thread.join()
        self._sample(False)
        wall = time.perf_counter() - self.began
        busy1, total1 = machine_ticks()
        busy0, total0 = self.machine0
        cores = os.cpu_count() or 1
        figures: dict[str, Any] = {}
        for group in self.groups:
            ticks = sum(self.last[group][p] - self.first[group][p] for p in self.last[group])
            figures[group] = {"cpu_seconds": round(ticks / CLK_TCK, 2), "cores": round(ticks / CLK_TCK / wall, 2),
                              "processes": len(self.last[group])}
        figures["machine"] = {"busy_cores": round((busy1 - busy0) / max(1, total1 - total0) * cores, 2),
                              "cores": cores}
        figures["window_seconds"] = round(wall, 1)
        return figures


# --------------------------------------------------------------------------- serving


def server_env(args: argparse.Namespace, url: str, instance: Path, metrics_token: str) -> dict[str, str]:
    """The environment of `payvand serve` and `payvand worker`: production settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYVAND_")}
    env.update({
        "PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(instance), "PAYVAND_PLUGINS": "sales",
        "PAYVAND_JOBS": "off", "PAYVAND_LOG_FORMAT": "json", "PAYVAND_METRICS_TOKEN": metrics_token,
        "PAYVAND_SECRET_KEY": "load-test-" + metrics_token, "PROMETHEUS_MULTIPROC_DIR": str(instance / "metrics"),
    })
    if args.redis_url:
        base = args.redis_url.rstrip("/")
        env["PAYVAND_SESSION_REDIS_URL"] = base
        env["PAYVAND_RATELIMIT_STORAGE_URI"] = base
    return env


def wait_ready(port: int, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    """Poll /readyz until it answers 200 (the server is up and migrated)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"payvand serve exited with {process.returncode} (see its log)")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise SystemExit("payvand serve did not become ready in time")


def scrape(port: int, token: str) -> dict[str, float]:
    """The outbox gauges and the request count from `/metrics`."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
    text = connection.getresponse().read().decode()
    connection.close()
    wanted = {"payvand_outbox_pending_events", "payvand_outbox_failing_events", "payvand_event_delivery_lag_seconds"}
    found: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            found[name] = float(value)
    return found


def postgres_backends(url: str) -> Any:
    """A callable listing the pids of this database's backends (not the sampler's own)."""
    import psycopg

    connection = psycopg.connect(psycopg_url(url), autocommit=True)

    def pids() -> list[int]:
        return [r[0] for r in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]

    pids.connection = connection  # type: ignore[attr-defined]
    return pids


def stop(process: subprocess.Popen[bytes], timeout: float = 40) -> None:
    """TERM a process the script started and wait for it (KILL after `timeout`)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_round(args: argparse.Namespace, url: str, processes: int, token: str, samples: dict[str, list[Any]],
              workdir: Path, backends: Any) -> dict[str, Any]:
    """Serve with `processes` web processes, load it, measure; the figures of this round."""
    instance = workdir / f"instance-{processes}"
    instance.mkdir(exist_ok=True)
    metrics_token = secrets.token_hex(12)
    env = server_env(args, url, instance, metrics_token)
    beside = Path(sys.executable).parent / "payvand"  # the CLI of the interpreter running this script
    payvand = [str(beside) if beside.exists() else shutil.which("payvand") or "payvand"]
    serve_log = open(instance / "serve.log", "wb")  # noqa: SIM115 - closed below
    worker_log = open(instance / "worker.log", "wb")  # noqa: SIM115
    server = subprocess.Popen([*payvand, "serve", "--port", str(args.port), "--workers", str(processes),
                               "--threads", str(args.threads)], env=env, stdout=serve_log, stderr=serve_log)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        wait_ready(args.port, server)
        log(f"payvand serve ready with {processes} process(es)")
        workers = [subprocess.Popen([*payvand, "worker"], env=env, stdout=worker_log, stderr=worker_log)
                   for _ in range(args.workers)]
        users = args.users or 2 * processes * args.threads
        per_generator = [users // args.generators + (n < users % args.generators) for n in range(args.generators)]
        context = multiprocessing.get_context("spawn")
        ready, go, queue = context.Queue(), context.Queue(), context.Queue()
        generators = [context.Process(target=generate, args=({
            "port": args.port, "token": token, "samples": samples, "users": n, "seed": args.seed + g},
            ready, go, queue), daemon=True) for g, n in enumerate(per_generator) if n]
        for generator in generators:
            generator.start()
        generator_pids = [g.pid for g in generators if g.pid]
        for _ in generators:  # every virtual user logged in (a staff session each)
            ready.get(timeout=600)
        log("every virtual user logged in")
        start_at = time.time() + 0.5
        measure_at = start_at + args.warmup
        end_at = measure_at + args.duration
        for _ in generators:
            go.put({"start_at": start_at, "measure_at": measure_at, "end_at": end_at})
        sampler = CpuSampler({
            "web": lambda: descendants([server.pid]),
            "workers": lambda: descendants([w.pid for w in workers]),
            "database": backends if backends else list,
            "load_generator": lambda: generator_pids,
        })
        log(f"{processes} web process(es), {len(workers)} worker(s), {users} virtual users in "
            f"{len(generators)} generator process(es): warm-up {args.warmup} s, then {args.duration} s")
        time.sleep(max(0.0, measure_at - time.time()))
        sampler.start()
        time.sleep(max(0.0, end_at - time.time()))
        cpu = sampler.finish()
        parts = [queue.get(timeout=args.duration + 120) for _ in generators]
        for generator in generators:
            generator.join(30)
        outbox = scrape(args.port, metrics_token)
        log("round measured; stopping the server and workers")
    finally:
        # the round is measured: the server stops at once (INT: gunicorn's quick shutdown; its
        # graceful TERM waited 10 s here with no request in flight), the workers gracefully
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*workers, server]:
            began_stop = time.perf_counter()
            stop(process)
            log(f"pid {process.pid} stopped in {time.perf_counter() - began_stop:.1f} s")
        serve_log.close()
        worker_log.close()
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for name in ("serve.log", "worker.log"):
                shutil.copyfile(instance / name, args.logs / f"{processes}-{name}")
    return summarise(args, processes, len(workers), users, len(generators), parts, cpu, outbox)


def summarise(args: argparse.Namespace, processes: int, workers: int, users: int, generators: int,
              parts: list[dict[str, Any]], cpu: dict[str, Any], outbox: dict[str, float]) -> dict[str, Any]:
    """Throughput, latency per kind, errors, CPU per group and the saturation verdict of one round."""
    latencies: dict[str, list[int]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    failures: list[str] = []
    for part in parts:
        for kind, values in part["latencies"].items():
            latencies[kind].extend(values)
        for kind, statuses in part["errors"].items():
            for status, count in statuses.items():
                errors[kind][status] += count
        failures.extend(part["failures"])
    ok = sum(len(v) for v in latencies.values())
    error_count = sum(sum(v.values()) for v in errors.values())
    seconds = args.duration
    everything = [x for values in latencies.values() for x in values]
    return {
        "web_processes": processes, "threads_per_process": args.threads, "worker_processes": workers,
        "virtual_users": users, "generator_processes": generators, "measured_seconds": seconds,
        "requests": ok, "throughput_rps": round(ok / seconds, 1),
        "errors": error_count, "errors_by_kind": {k: dict(v) for k, v in errors.items()},
        "login_failures": failures, "reconnects": sum(p["reconnects"] for p in parts),
        "latency_ms_all": summary_ms(everything),
        "by_kind": {kind: {"rps": round(len(latencies.get(kind, [])) / seconds, 1),
                           **summary_ms(latencies.get(kind, []))} for kind, _ in MIX},
        "cpu": cpu,
        # CPU per answered request: what each part costs, much less bent by other work on the machine
        "cpu_ms_per_request": {group: round(cpu[group]["cpu_seconds"] * 1000 / ok, 2) if ok else None
                               for group in ("web", "database", "workers", "load_generator")},
        "outbox_after": outbox,
        "saturation": saturation(cpu, processes, generators),
    }


def saturation(cpu: dict[str, Any], processes: int, generators: int) -> dict[str, Any]:
    """What ran out first, judged from the cores each group used.

    A Python process serves at most about one core (the interpreter lock), so web processes near
    one core each are saturated; a load generator process near one core is the bottleneck and
    the round's figures understate the server; all of the machine's cores busy means the CPU is
    the limit, shared among the groups in the proportions shown.
    """
    cores = cpu["machine"]["cores"]
    busy = cpu["machine"]["busy_cores"]
    web, db, gen = cpu["web"]["cores"], cpu["database"]["cores"], cpu["load_generator"]["cores"]
    ours = web + db + gen + cpu["workers"]["cores"]
    generator_bound = gen >= 0.85 * generators
    if generator_bound:
        verdict = "load generator"
    elif busy >= 0.9 * cores:
        verdict = "machine CPU (every core busy): " + ("web processes" if web >= db else "database")
    elif web >= 0.85 * processes:
        verdict = "web processes (each near one core)"
    elif db >= 0.85 * cores:
        verdict = "database CPU"
    else:
        verdict = "no CPU limit reached: waiting (locks, I/O or too few virtual users)"
    other = round(max(0.0, busy - ours), 2)
    warning = (f"other processes used {other} of {cores} cores: the figures measure a shared machine, not capacity"
               if other > 0.25 * cores else None)
    return {"verdict": verdict, "load_generator_is_bottleneck": generator_bound, "shared_machine_warning": warning,
            "cores_used": {"web": web, "database": db, "workers": cpu["workers"]["cores"], "load_generator": gen,
                           "other_processes_on_machine": other},
            "machine_cores": cores}


def main() -> None:
    """Prepare the data, run each process count, print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_size_arguments(parser)
    add_database_argument(parser)
    parser.add_argument("--redis-url", default=os.environ.get("PAYVAND_BENCH_REDIS_URL") or None,
                        help="Redis for sessions and rate limits (default $PAYVAND_BENCH_REDIS_URL; none: the database)")
    parser.add_argument("--processes", default="1,2,4", help="web process counts, one round each (default 1,2,4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per web process (default 4, as payvand serve)")
    parser.add_argument("--workers", type=int, default=1, help="payvand worker processes (default 1)")
    parser.add_argument("--users", type=int, default=0, help="virtual users (default 2 × processes × threads)")
    parser.add_argument("--generators", type=int, default=2, help="load generator processes (default 2)")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds per round (default 60)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of load discarded first (default 10)")
    parser.add_argument("--port", type=int, default=8761)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--logs", type=Path, help="keep the server's and workers' logs in this folder")
    parser.add_argument("--label", default="", help="a note stored in the JSON (e.g. 'smoke run, machine busy')")
    args = parser.parse_args()
    if args.duration > 3600 or args.warmup > 600:
        raise SystemExit("a round is bounded: --duration ≤ 3600 s, --warmup ≤ 600 s")

    at_start = machine()
    began = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="payvand-load-"))
    backends = None
    try:
        if args.database_url:
            data = ensure_postgres_dataset(args.database_url, args.customers, args.interactions,
                                           rebuild=args.rebuild, plugins=[sales_plugin()])
            url, backend = data.url, "postgresql"
            backends = postgres_backends(url)
        else:
            from payvand.core.db import make_engine
            from payvand.core.migrations.runner import upgrade

            data = ensure_dataset(args.customers, args.interactions, rebuild=args.rebuild)
            target = workdir / "load.sqlite3"
            shutil.copyfile(data.path, target)
            url, backend = f"sqlite:///{target}", "sqlite"
            engine = make_engine(url)
            upgrade(engine, [sales_plugin()])
            engine.dispose()
        log("preparing products, the staff user and samples")
        token, samples = prepare_database(url, data.customers)
        log("prepared")
        rounds = [run_round(args, url, int(n), token, samples, workdir, backends) for n in args.processes.split(",")]
    finally:
        if backends is not None:
            backends.connection.close()
        shutil.rmtree(workdir, ignore_errors=True)
    base = rounds[0]["throughput_rps"] or 1
    print(json.dumps({
        "benchmark": "load_test", "label": args.label, "database": backend,
        "dataset": {"customers": data.customers, "interactions": data.interactions},
        "redis": bool(args.redis_url), "mix_percent": dict(MIX),
        "machine": at_start, "seconds": round(time.perf_counter() - began, 1),
        "rounds": rounds,
        "scaling": {str(r["web_processes"]): round(r["throughput_rps"] / base, 2) for r in rounds},
        "errors": sum(r["errors"] + len(r["login_failures"]) for r in rounds),
        "machine_at_end": machine(),
    }, indent=2, ensure_ascii=False))
    if any(r["errors"] or r["login_failures"] for r in rounds):
        sys.exit(1)


if __name__ == "__main__":
    main()
