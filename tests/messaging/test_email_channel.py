"""The core's email channel: headers, one connection per batch, refusals, and the kill -9 test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.messaging.email_channel import read_unsubscribe_token
from payvand.core.models.message import Message
from payvand.sdk import MessageRequest, send_message, send_messages

HERE = Path(__file__).resolve().parent


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return []


def statuses(runtime: Any) -> list[tuple[str, str | None]]:
    with runtime.sessionmaker() as session:
        return [(m.status, m.error) for m in session.scalars(sa.select(Message).order_by(Message.id))]


def test_a_reply_has_its_message_id_threading_headers_and_a_text_part(runtime, in_app, make_customer, mail_sink, run_jobs):
    runtime.config["PAYVAND_MAIL_FROM"] = "Shop <crm@shop.example>"
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    import datetime as dt

    from payvand.sdk import InboundMessage, receive_messages
    with in_app() as session:
        [question] = receive_messages(session, [InboundMessage(
            "email", "<q@mail.example>", "sara@example.com", dt.datetime.now(dt.UTC), subject="سوال",
            replies_to=("<root@mail.example>",))])
    with in_app():
        answer = send_message(customer.id, "email", subject="پاسخ", body="", html="<p>سلام <b>سارا</b></p>",
                              purpose="service", reply_to=question.message_id)
    run_jobs()
    runtime.config.pop("PAYVAND_MAIL_FROM")
    [mail] = mail_sink.messages
    assert mail["Message-ID"] == answer.reference and answer.reference.endswith("@shop.example>")
    assert mail["In-Reply-To"] == "<q@mail.example>"
    assert mail["References"] == "<root@mail.example> <q@mail.example>"
    assert mail["Subject"] == f"پاسخ [#{question.message_id}]" and mail["List-Unsubscribe"] is None
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "سلام سارا" in text and "<b>سارا</b>" in html
    assert statuses(runtime)[1] == ("sent", None)


def test_marketing_mail_carries_one_click_unsubscribe(runtime, in_app, make_customer, mail_sink, run_jobs):
    runtime.config["PAYVAND_QUIET_HOURS"] = "off"
    runtime.config["PAYVAND_BASE_URL"] = "https://crm.shop.example"
    try:
        customer = make_customer(emails=[{"value": "sara@example.com"}], consents=[{"channel": "email", "granted": True}])
        with in_app():
            send_message(customer.id, "email", subject="Sale", body="50% off", purpose="marketing.newsletter")
        run_jobs()
    finally:
        runtime.config.pop("PAYVAND_QUIET_HOURS")
        runtime.config.pop("PAYVAND_BASE_URL")
    [mail] = mail_sink.messages
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip().strip("<>")
    assert url.startswith("https://crm.shop.example/unsubscribe/")
    assert read_unsubscribe_token("test-secret-key", url.rsplit("/", 1)[1]) == (customer.id, "email", "marketing.newsletter")
    assert read_unsubscribe_token("test-secret-key", url.rsplit("/", 1)[1] + "x") is None


class _Refusing:
    """An aiosmtpd handler refusing `perm@` (550) and `temp@` (451), counting connections."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("perm@"):
            return "550 5.1.1 no such user"
        if address.startswith("temp@"):
            return "451 4.3.0 try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def refusing_sink(runtime: Any, app: Any) -> Any:
    import socket

    from aiosmtpd.controller import Controller

    handler = _Refusing()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    runtime.config["PAYVAND_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    yield handler
    runtime.config.pop("PAYVAND_SMTP_URL", None)
    controller.stop()


def test_a_batch_goes_over_one_connection_and_refusals_fail_or_retry(runtime, in_app, make_customer, refusing_sink, run_jobs):
    addresses = ["a@example.com", "perm@example.com", "temp@example.com", "b@example.com"]
    customers = [make_customer(emails=[{"value": a}]) for a in addresses]
    with in_app():
        send_messages([MessageRequest(c.id, "email", "service", subject="Hi", body="x") for c in customers])
    run_jobs()
    assert refusing_sink.connections == 1 and len(refusing_sink.messages) == 2
    result = statuses(runtime)
    assert result[0] == ("sent", None) and result[3] == ("sent", None)
    assert result[1][0] == "failed" and result[1][1].startswith("550")
    assert result[2][0] == "queued" and result[2][1].startswith("451")


def test_mail_off_refuses_with_channel_disabled(runtime, in_app, make_customer):
    customer = make_customer(emails=[{"value": "a@example.com"}])
    from payvand.sdk import MessageRefused
    with in_app(), pytest.raises(MessageRefused) as refused:
        send_message(customer.id, "email", subject="x", body="x", purpose="service")
    assert refused.value.code == "channel_disabled"


@pytest.mark.slow
def test_a_worker_killed_between_queue_and_send_sends_each_message_exactly_once(
        app, runtime, in_app, make_customer, mail_sink, payvand_database_url, tmp_path):
    customers = [make_customer(emails=[{"value": f"k{i}@example.com"}]) for i in range(6)]
    with in_app():
        queued = send_messages([MessageRequest(c.id, "email", "transactional", subject=f"Receipt {n}", body="x")
                                for n, c in enumerate(customers)])
    config = {"PAYVAND_DATABASE_URL": payvand_database_url, "PAYVAND_INSTANCE": str(tmp_path / "worker"),
              "PAYVAND_SECRET_KEY": "x" * 32, "PAYVAND_PLUGINS": "all", "PAYVAND_DISCOVER_PLUGINS": False,
              "PAYVAND_SMTP_URL": runtime.config["PAYVAND_SMTP_URL"], "MESSAGE_LEASE_SECONDS": 2}
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent.parent), os.environ.get("PYTHONPATH", "")])}

    def start(*extra: str) -> subprocess.Popen[str]:
        process = subprocess.Popen([sys.executable, str(HERE / "worker.py"), json.dumps(config), *extra],
                                   env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None and process.stdout.readline().strip() == "ready", process.stderr.read()
        return process

    first = start("pause")
    assert first.stdout is not None and first.stdout.readline().split() == ["sending", "6"]  # claimed, not sent
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert [s for s, _ in statuses(runtime)] == ["sending"] * 6 and mail_sink.messages == []
    second = start()
    try:
        deadline = time.monotonic() + 60
        while any(s != "sent" for s, _ in statuses(runtime)):
            assert time.monotonic() < deadline and second.poll() is None, "the second worker did not send"
            time.sleep(0.1)
        time.sleep(1.0)  # anything sent twice would have arrived by now
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait(timeout=10)
    ids = sorted(str(m["Message-ID"]) for m in mail_sink.messages)
    assert ids == sorted(q.reference for q in queued)  # each exactly once
