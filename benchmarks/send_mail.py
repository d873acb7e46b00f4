"""Queue and send personalised emails to a local SMTP sink: messages/s end to end, with default settings.

A fresh SQLite database gets `--count` customers with an email each. `send_messages` queues
one personalised message per customer (a `MessageTemplate` rendered in the sandbox with the
customer's name and an order number, a `core.message` interaction each) in transactions of
1,000, then the dispatcher (`dispatch_due`, as `payvand worker` runs it, default settings:
no rate limit, batches of 200 over one SMTP connection each) sends them to an aiosmtpd sink
running in its own process, which counts what it receives. The clock stops when the sink has
every message.

Baseline, same run: the sink's own ceiling — raw `smtplib` sending the same number of
equally-sized, already-built messages over one connection (no database, no templates).

Usage: `python benchmarks/send_mail.py [--count 100000]`. Prints one JSON document on stdout;
progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dataset import log, machine

SINK = textwrap.dedent('''
    import sys, threading, time
    from aiosmtpd.controller import Controller

    count = 0
    class Handler:
        async def handle_DATA(self, server, session, envelope):
            global count
            count += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    for line in sys.stdin:  # "count" -> the number received so far; "reset" -> start again from 0
        if line.strip() == "reset":
            count = 0
        print(count, flush=True)
''')


class Sink:
    """The aiosmtpd sink in its own process; `received()` asks how many messages it has."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen([sys.executable, "-c", SINK, str(self.port)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "ready"

    def ask(self, what: str = "count") -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(what + "\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def wait_for(self, count: int, timeout: float = 3600) -> None:
        deadline = time.monotonic() + timeout
        while self.ask() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sink got {self.ask()} of {count}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def baseline(sink: Sink, count: int) -> dict[str, Any]:
    """Raw smtplib: the same number of built messages over one connection."""
    import smtplib
    from email.message import EmailMessage

    messages = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = "Shop <crm@shop.example>"
        message["To"] = f"customer{n}@example.com"
        message["Subject"] = f"Your order O-{n:06d} has shipped"
        message["Message-ID"] = f"<bench.{n}@shop.example>"
        message.set_content(f"Dear Customer{n},\n\nyour order O-{n:06d} has shipped.\n\nThank you.")
        messages.append(message)
    sink.ask("reset")
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as client:
        for message in messages:
            client.send_message(message)
    sink.wait_for(count)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "messages_per_s": round(count / seconds, 1)}


def build_database(folder: Path, count: int) -> str:
    """A migrated SQLite database with `count` customers, each with one email."""
    import sqlalchemy as sa

    from payvand.core.db import make_engine, utcnow
    from payvand.core.migrations.runner import upgrade
    from payvand.core.models import Customer, CustomerEmail

    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    with engine.begin() as connection:
        for start in range(0, count, 10_000):
            rows = [{"id": n + 1, "kind": "person", "given_name": f"Customer{n}", "family_name": "Bench",
                     "display_name": f"Customer{n} Bench", "search_name": f"customer{n} bench",
                     "search_name_alt": f"bench customer{n}", "lifecycle_stage": "customer", "attributes": {},
                     "created_at": now, "updated_at": now, "version": 1}
                    for n in range(start, min(start + 10_000, count))]
            connection.execute(sa.insert(Customer.__table__), rows)
            connection.execute(sa.insert(CustomerEmail.__table__),
                               [{"customer_id": r["id"], "email": f"customer{r['id'] - 1}@example.com"} for r in rows])
    engine.dispose()
    return url


def run(count: int) -> dict[str, Any]:
    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.core.messaging.dispatch import dispatch_due
    from payvand.sdk import MessageRequest, MessageTemplate, send_messages

    sink = Sink()
    try:
        with tempfile.TemporaryDirectory() as folder:
            log(f"building {count:,} customers")
            url = build_database(Path(folder), count)
            app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": folder, "PAYVAND_JOBS": "off",
                              "PAYVAND_DISCOVER_PLUGINS": False, "SECRET_KEY": "benchmark",
                              "PAYVAND_SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
                              "PAYVAND_MAIL_FROM": "Shop <crm@shop.example>"})
            runtime = app.extensions["payvand"]
            template = MessageTemplate("bench.shipped", "Your order {{ order }} has shipped",
                                       "Dear {{ customer.given_name }},\n\nyour order {{ order }} has shipped.\n\nThank you.")
            log("queueing")
            started = time.perf_counter()
            for start in range(0, count, 1000):
                with app.app_context(), runtime.sessionmaker.begin() as session, bind_session(session):
                    send_messages([MessageRequest(n + 1, "email", "transactional", template=template,
                                                  context={"order": f"O-{n:06d}"})
                                   for n in range(start, min(start + 1000, count))])
            queued = time.perf_counter() - started
            log(f"queued in {queued:.1f} s; sending")
            sink.ask("reset")
            with app.app_context():
                dispatch_due(runtime)
            sink.wait_for(count)
            total = time.perf_counter() - started
            sent = total - queued
            log(f"sent in {sent:.1f} s; baseline")
            base = baseline(sink, count)
    finally:
        sink.stop()
    overall = count / total
    return {
        "benchmark": "send_mail", "count": count, "machine": machine(),
        "queue": {"seconds": round(queued, 2), "messages_per_s": round(count / queued, 1)},
        "send": {"seconds": round(sent, 2), "messages_per_s": round(count / sent, 1)},
        "end_to_end": {"seconds": round(total, 2), "messages_per_s": round(overall, 1)},
        "baseline_sink_ceiling": base,
        "ratio_send_to_ceiling": round((count / sent) / base["messages_per_s"], 3),
        "goal_messages_per_s": 200, "goal_met": overall >= 200,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("PAYVAND_QUIET_HOURS", "off")  # transactional mail is never deferred anyway
    print(json.dumps(run(args.count), indent=2))


if __name__ == "__main__":
    main()
