"""Inbound mail ingestion: 1,000 generated `.eml` messages parsed and recorded, with threading to
earlier outbound messages and customer matching against the benchmark dataset's customers.

The messages (`--messages`, default 1,000) are generated in the run: 55 % replies to an
earlier outbound message (In-Reply-To/References, a quoted Gmail, Persian Gmail or Outlook
block, some `windows-1256`), 10 % replies whose headers were lost (only the `[#id]` subject
tag), 20 % new messages from known customers (some multipart/alternative with HTML, some with
a small PNG attachment), 10 % from unknown senders (each becomes a prospect), 3 % auto-replies
and 2 % DSN hard bounces of outbound messages. The outbound messages they answer (one per
reply) are inserted first, in the dataset's customers' names.

Ingestion is what `payvand mail ingest` does: `parse_email` for each message, then
`ingest_batch` per 200 messages (customer match by normalised email, new prospects, reply
match by reference then subject tag, interaction, attachments, receipts, suppression), on a
copy of the dataset (SQLite). The baseline, in the same run: the stdlib's
`message_from_bytes(policy=default)` and `get_body()` of the same messages, and the raw sqlite3
look-up of every sender's email (what parsing and matching cost at the least). Prints JSON.

    python benchmarks/ingest_mail.py                         # 1,000 messages, 1M customers
    python benchmarks/ingest_mail.py --customers 100000 --interactions 100000   # a busy machine
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import email.utils
import json
import random
import resource
import shutil
import sqlite3
import tempfile
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from _dataset import add_size_arguments, ensure_dataset, log, machine

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==")
DOMAIN = "payvand.test"
FA_TEXTS = ["سلام، سفارش من هنوز نرسیده است. لطفاً پیگیری کنید.", "فاکتور را دریافت کردم، ممنون.",
            "آيا امكان تعويض كالا وجود دارد؟", "لطفاً با من تماس بگیرید، شماره‌ام عوض شده است."]
EN_TEXTS = ["Thanks, that solves it.", "Could you send the invoice again?", "The delivery date works for us.",
            "I would like to cancel my order, please."]


def _quote(rng: random.Random, persian: bool) -> str:
    style = rng.randrange(3)
    if style == 0:
        head = ("در تاریخ ۱۹ آذر ۱۴۰۵، ساعت ۱۷:۱۲ پشتیبانی <support@payvand.test> نوشت:" if persian else
                "On Thu, Dec 10, 2026 at 5:12 PM Support <support@payvand.test> wrote:")
        return f"\n\n{head}\n> Your order was sent today.\n> Tracking code: 123456\n"
    if style == 1:
        return ("\n\n-----Original Message-----\nFrom: Support <support@payvand.test>\nSent: Thursday\n"
                "To: you\nSubject: Your order\n\nYour order was sent today.\n")
    return "\n\n-- \nSent from my phone\n"


def generate(rng: random.Random, count: int, known: list[tuple[int, str]], outbound: list[tuple[int, int, str]]
             ) -> tuple[list[bytes], dict[str, int]]:
    """`count` raw messages and how many of each kind; `outbound` is (message id, customer id, reference)."""
    emails = dict(known)
    messages: list[bytes] = []
    kinds = {"reply": 0, "tag_reply": 0, "new": 0, "unknown": 0, "automatic": 0, "bounce": 0}
    replies = iter(outbound)
    for n in range(count):
        roll = rng.random()
        persian = rng.random() < 0.7
        text = rng.choice(FA_TEXTS if persian else EN_TEXTS)
        message = EmailMessage()
        message["To"] = f"support@{DOMAIN}"
        message["Date"] = email.utils.format_datetime(dt.datetime(2026, 12, 7, 8, tzinfo=dt.UTC) + dt.timedelta(seconds=n))
        message["Message-ID"] = f"<bench-{n}.{rng.randrange(10**9)}@mail.example.com>"
        if roll < 0.55:
            kind = "reply"
            message_id, customer_id, reference = next(replies)
            message["From"] = emails[customer_id]
            message["Subject"] = f"Re: Your order [#{message_id}]"
            message["In-Reply-To"] = reference
            message["References"] = reference
            body = text + _quote(rng, persian)
        elif roll < 0.65:
            kind = "tag_reply"
            message_id, customer_id, _ = next(replies)
            message["From"] = emails[customer_id]
            message["Subject"] = f"پاسخ: سفارش [#{message_id}]" if persian else f"Re: Your order [#{message_id}]"
            body = text
        elif roll < 0.85:
            kind = "new"
            customer_id, address = rng.choice(known)
            message["From"] = address
            message["Subject"] = "درخواست جدید" if persian else "A new request"
            body = text
        elif roll < 0.95:
            kind = "unknown"
            message["From"] = f"new.person{n}@unknown-{n % 50}.example"
            message["Subject"] = "سوال" if persian else "A question"
            body = text
        elif roll < 0.98:
            kind = "automatic"
            customer_id, address = rng.choice(known)
            message["From"] = address
            message["Subject"] = "Out of office"
            message["Auto-Submitted"] = "auto-replied"
            body = "I am away until Monday."
        else:
            kind = "bounce"
            message_id, customer_id, reference = next(replies)
            messages.append(_dsn(n, emails[customer_id], reference))
            kinds[kind] += 1
            continue
        kinds[kind] += 1
        arabic = body.replace("ی", "ي").replace("ک", "ك").translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
        if persian and rng.random() < 0.3:  # Iranian Outlook: windows-1256, Arabic letters, Latin digits
            message.set_content(arabic, charset="windows-1256", cte="quoted-printable")
        else:
            message.set_content(body)
        if rng.random() < 0.3:
            message.add_alternative(f"<div dir='rtl'><p onclick='x()'>{body}</p><script>x()</script></div>", subtype="html")
        if rng.random() < 0.1:
            message.add_attachment(PNG, maintype="image", subtype="png", filename="photo.png")
        messages.append(message.as_bytes())
    return messages, kinds


def _dsn(n: int, recipient: str, reference: str) -> bytes:
    return (f"From: MAILER-DAEMON@mx.{DOMAIN}\r\nTo: crm@{DOMAIN}\r\nSubject: Undelivered Mail\r\n"
            f"Message-ID: <dsn-{n}@mx.{DOMAIN}>\r\nDate: Mon, 07 Dec 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nUndeliverable.\r\n"
            f"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.{DOMAIN}\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
            f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {reference}\r\n\r\n--B--\r\n").encode()


def insert_outbound(runtime: Any, count: int, known: list[tuple[int, str]], rng: random.Random
                    ) -> list[tuple[int, int, str]]:
    """`count` sent outbound messages to known customers (what replies answer); (id, customer id, reference)."""
    from payvand.core.models.message import Message

    rows = []
    with runtime.sessionmaker.begin() as session:
        for n in range(count):
            customer_id, address = rng.choice(known)
            reference = f"<payvand.bench{n}.{rng.randrange(16**12):012x}@{DOMAIN}>"
            row = Message(customer_id=customer_id, channel="email", direction="outbound", purpose="service",
                          status="sent", address=address, subject="Your order", body="Your order was sent.",
                          reference=reference, provider_id=reference, headers={}, attempts=1)
            session.add(row)
            rows.append(row)
        session.flush()
        for row in rows:
            row.thread_id = row.id
    return [(row.id, row.customer_id, row.reference) for row in rows]


def baseline(path: Path, messages: list[bytes]) -> dict[str, float]:
    """Seconds of the least parsing (stdlib parse + get_body) and the raw sqlite3 sender look-ups."""
    t0 = time.perf_counter()
    senders = []
    for raw in messages:
        parsed = message_from_bytes(raw, policy=policy.default)
        body = parsed.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_payload(decode=True)
        senders.append(email.utils.parseaddr(str(parsed["From"]))[1].lower())
    parse_seconds = time.perf_counter() - t0
    db = sqlite3.connect(path)
    t0 = time.perf_counter()
    for address in senders:
        db.execute("SELECT customer_id FROM core_customer_email WHERE email = ? ORDER BY customer_id LIMIT 1",
                   (address,)).fetchone()
    lookup_seconds = time.perf_counter() - t0
    db.close()
    return {"stdlib_parse_seconds": round(parse_seconds, 3), "sqlite_sender_lookup_seconds": round(lookup_seconds, 3)}


def main() -> None:
    """Build or reuse the dataset, copy it, generate the mail, ingest it, check it, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_size_arguments(parser)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200, help="messages per transaction (as `payvand mail ingest`)")
    args = parser.parse_args()
    data = ensure_dataset(args.customers, args.interactions, rebuild=args.rebuild)
    folder = Path(tempfile.mkdtemp(prefix="payvand-ingest-mail-"))
    try:
        path = folder / "crm.sqlite3"
        log(f"copying {data.path.name} ({data.path.stat().st_size / 1e6:.0f} MB)")
        shutil.copyfile(data.path, path)
        rng = random.Random(20261207)
        with sqlite3.connect(path) as db:
            ids = rng.sample(range(1, data.customers + 1), min(5000, data.customers))
            known = [(cid, db.execute("SELECT email FROM core_customer_email WHERE customer_id = ? ORDER BY id LIMIT 1",
                                      (cid,)).fetchone()[0]) for cid in ids]
        from payvand.core.app import create_app
        from payvand.core.messaging.email_in import ParseOptions, parse_email
        from payvand.core.messaging.email_in.ingest import ingest_batch

        app = create_app({"PAYVAND_DATABASE_URL": f"sqlite:///{path}", "PAYVAND_INSTANCE": str(folder / "instance"),
                          "PAYVAND_PLUGINS": "none", "PAYVAND_JOBS": "off", "SECRET_KEY": "benchmark",
                          "PAYVAND_MAIL_FROM": f"Payvand <crm@{DOMAIN}>"})
        runtime = app.extensions["payvand"]
        outbound = insert_outbound(runtime, args.messages, known, rng)
        messages, kinds = generate(rng, args.messages, known, outbound)
        log(f"{len(messages):,} messages generated ({sum(map(len, messages)) / 1e6:.1f} MB): {kinds}")
        floor = baseline(path, messages)
        options = ParseOptions.from_config(runtime.config)
        outcomes: dict[str, int] = {}
        parse_seconds = 0.0
        with app.app_context():
            t0, c0 = time.perf_counter(), time.process_time()
            for start in range(0, len(messages), args.batch):
                p0 = time.perf_counter()
                parsed = [parse_email(raw, options) for raw in messages[start:start + args.batch]]
                parse_seconds += time.perf_counter() - p0
                for outcome in ingest_batch(runtime.sessionmaker, parsed):
                    outcomes[outcome.kind] = outcomes.get(outcome.kind, 0) + 1
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        log(f"ingested in {seconds:.2f} s: {outcomes}")
        with sqlite3.connect(path) as db:
            inbound, matched, threaded = db.execute(
                "SELECT count(*), count(DISTINCT customer_id), sum(reply_to_id IS NOT NULL) FROM core_message "
                "WHERE direction = 'inbound'").fetchone()
            prospects = db.execute("SELECT count(*) FROM core_customer WHERE id > ?", (data.customers,)).fetchone()[0]
            bounced = db.execute("SELECT count(*) FROM core_message WHERE status = 'bounced'").fetchone()[0]
            suppressed = db.execute("SELECT count(*) FROM core_suppression").fetchone()[0]
        runtime.engine.dispose()
        expected_threaded = kinds["reply"] + kinds["tag_reply"]
        print(json.dumps({
            "benchmark": "ingest_mail", "customers": data.customers, "interactions": data.interactions,
            "messages": len(messages), "generated": kinds, "batch": args.batch,
            "ingest": {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                       "parse_seconds": round(parse_seconds, 2), "record_seconds": round(seconds - parse_seconds, 2),
                       "messages_per_second": round(len(messages) / seconds, 1), "outcomes": outcomes},
            "goal_seconds": 60, "goal_met": seconds < 60,
            "baseline": floor,
            "checks": {"inbound_recorded": inbound, "threaded_replies": threaded,
                       "threaded_expected": expected_threaded, "customers_with_messages": matched,
                       "new_prospects": prospects, "prospects_expected": kinds["unknown"],
                       "bounced": bounced, "suppressed": suppressed},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "machine": machine(),
        }, indent=2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
