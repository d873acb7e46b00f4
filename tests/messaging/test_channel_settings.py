"""Channel settings on the Channels page: saved, validated per field, secrets write-only, the
environment winning, the switch, and the next real send using what was saved."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core import permissions as perm
from payvand.core.models import AuditLog, Setting
from payvand.core.models.message import Message
from payvand.sdk.messages import MessageRefused, send_message
from payvand.sdk.testing import MailSink

IMAP_SECRET = "Imap-S3cret-pw-7731"
IMAP_URL = f"imaps://support:{IMAP_SECRET}@mail.example.com:993/INBOX"


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return []


@pytest.fixture
def sink() -> Iterator[tuple[MailSink, str]]:
    """A local SMTP server the deployment does NOT point at (the page has to)."""
    server = MailSink()
    url = server.start()
    try:
        yield server, url
    finally:
        server.stop()


def _audit(runtime: Any, entity: str = "channel") -> list[AuditLog]:
    with runtime.sessionmaker() as session:
        rows = session.scalars(sa.select(AuditLog).where(AuditLog.object_type == entity).order_by(AuditLog.id)).all()
        session.expunge_all()
        return list(rows)


def _stored(runtime: Any) -> dict[str, Any]:
    with runtime.sessionmaker() as session:
        return dict(session.execute(sa.select(Setting.key, Setting.value).where(Setting.key.like("channel.%"))).all())


def test_the_page_and_the_form_need_the_channels_permission(web_as: Any) -> None:
    other = web_as([perm.CUSTOMER_VIEW])
    assert other.get("/admin/channels").status_code == 403
    assert other.post("/admin/channels/email/settings", {"switched_on": "1", "mail_from": "x@example.com"}).status_code == 403
    admin = web_as([perm.CHANNELS_MANAGE])
    page = admin.get("/admin/channels")
    assert page.status_code == 200 and 'id="channel-email-settings"' in page.text and 'id="channel-chat-settings"' in page.text
    assert admin.post("/admin/channels/nope/settings", {"switched_on": "1"}).status_code == 404


def test_the_form_needs_a_csrf_token(web: Any) -> None:
    assert web.post("/admin/channels/email/settings", {"switched_on": "1"}, csrf=False).status_code == 400


def test_saved_smtp_settings_are_used_by_the_next_send(
        web: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any, no_quiet_hours: None,
        sink: tuple[MailSink, str]) -> None:
    server, url = sink
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    with in_app(), pytest.raises(MessageRefused) as refused:  # no SMTP server anywhere yet
        send_message(customer.id, "email", subject="Hi", body="Hello", purpose="service")
    assert refused.value.code == "channel_disabled"

    done = web.post("/admin/channels/email/settings",
                    {"switched_on": "1", "smtp_url": url, "mail_from": "Shop <shop@example.com>"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/channels#channel-email")
    with in_app():
        queued = send_message(customer.id, "email", subject="Your order", body="It is on its way.", purpose="service")
    run_jobs()
    [mail] = server.messages
    assert mail["To"] == "sara@example.com" and "shop@example.com" in mail["From"]
    with runtime.sessionmaker() as session:
        assert session.get(Message, queued.id).status == "sent"

    web.post("/admin/channels/email/settings", {"switched_on": "1", "mail_from": "Desk <desk@example.com>"})
    assert web.post("/admin/channels/email/test", {"address": "ops@example.com"}).status_code == 302
    assert "desk@example.com" in server.messages[-1]["From"]  # the test send uses the new value at once


def test_a_secret_is_never_shown_logged_or_audited(
        web: Any, runtime: Any, caplog: pytest.LogCaptureFixture, sink: tuple[MailSink, str]) -> None:
    _server, url = sink
    caplog.set_level(logging.DEBUG)
    done = web.post("/admin/channels/email/settings", {"switched_on": "1", "smtp_url": url, "imap_url": IMAP_URL})
    assert done.status_code == 302
    page = web.get("/admin/channels")
    assert IMAP_SECRET not in page.text and "mail.example.com" not in page.text and url not in page.text
    assert 'data-secret-state="set"' in page.text
    # a form that fails validation is shown again without the secrets typed into it
    again = web.post("/admin/channels/email/settings",
                     {"switched_on": "1", "imap_url": IMAP_URL.replace("Imap", "Other"), "smtp_url": "http://nope"})
    assert again.status_code == 422
    assert "Other-S3cret" not in again.text and IMAP_SECRET not in again.text
    for row in _audit(runtime):
        text = repr(row.before) + repr(row.after)
        assert IMAP_SECRET not in text and url not in text
    [entry] = _audit(runtime)
    assert entry.after["imap_url"] == "changed" and entry.before["imap_url"] == "not set"
    assert entry.after["smtp_url"] == "changed" and "enabled" not in entry.after  # on already
    assert all(IMAP_SECRET not in record.getMessage() for record in caplog.records)
    assert _stored(runtime)["channel.email.imap_url"] == IMAP_URL  # kept for the channel only


def test_an_empty_secret_field_keeps_the_secret_and_the_clear_box_removes_it(web: Any, runtime: Any) -> None:
    web.post("/admin/channels/email/settings", {"imap_url": IMAP_URL})
    assert web.post("/admin/channels/email/settings",
                    {"imap_url": "", "mail_from": "A <a@example.com>"}).status_code == 302
    assert _stored(runtime)["channel.email.imap_url"] == IMAP_URL
    assert web.post("/admin/channels/email/settings",
                    {"clear_imap_url": "1", "mail_from": "A <a@example.com>"}).status_code == 302
    assert "channel.email.imap_url" not in _stored(runtime)
    assert 'data-secret-state="not set"' in web.get("/admin/channels").text
    assert _audit(runtime)[-1].after == {"imap_url": "changed"}


def test_validation_errors_are_shown_next_to_each_field(web: Any, runtime: Any) -> None:
    answer = web.post("/admin/channels/email/settings",
                      {"switched_on": "1", "smtp_url": "ftp://mail.example.com", "imap_url": "imaps://"})
    assert answer.status_code == 422
    assert 'id="ch-email-smtp_url-error"' in answer.text and 'id="ch-email-imap_url-error"' in answer.text
    assert "smtp://" in answer.text.split('id="ch-email-smtp_url-error"', 1)[1].split("</div>", 1)[0]
    assert _stored(runtime) == {} and _audit(runtime) == []


def test_a_required_setting_is_asked_for_while_the_channel_is_on(web: Any, runtime: Any) -> None:
    answer = web.post("/admin/channels/email/settings", {"switched_on": "1", "mail_from": "A <a@example.com>"})
    assert answer.status_code == 422 and 'id="ch-email-smtp_url-error"' in answer.text
    assert web.post("/admin/channels/email/settings", {"mail_from": "A <a@example.com>"}).status_code == 302


def test_an_environment_value_is_shown_read_only_and_beats_a_saved_one(
        web: Any, runtime: Any, mail_sink: Any, in_app: Any, make_customer: Any, run_jobs: Any,
        no_quiet_hours: None, sink: tuple[MailSink, str]) -> None:
    other, other_url = sink
    page = web.get("/admin/channels")
    block = page.text.split('data-setting="smtp_url"', 1)[1].split('data-setting="', 1)[0]
    assert 'data-source="environment"' in page.text.split('data-setting="smtp_url"', 1)[1][:40]
    assert "from environment" in block and 'name="smtp_url"' not in block
    web.post("/admin/channels/email/settings", {"switched_on": "1", "smtp_url": other_url})
    assert "channel.email.smtp_url" not in _stored(runtime)  # not stored: it would change nothing
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    with in_app():
        send_message(customer.id, "email", subject="Hi", body="Hello", purpose="service")
    run_jobs()
    assert len(mail_sink.messages) == 1 and other.messages == []


def test_switching_a_channel_off_holds_queued_messages_and_refuses_new_ones(
        web: Any, runtime: Any, mail_sink: Any, in_app: Any, make_customer: Any, run_jobs: Any,
        no_quiet_hours: None) -> None:
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    with in_app():
        queued = send_message(customer.id, "email", subject="Hi", body="Hello", purpose="service")
    assert web.post("/admin/channels/email/settings", {}).status_code == 302  # the switch unticked
    assert 'data-state="switched-off"' in web.get("/admin/channels").text
    run_jobs()
    assert mail_sink.messages == []
    with runtime.sessionmaker() as session:
        assert session.get(Message, queued.id).status == "queued"
    with in_app(), pytest.raises(MessageRefused) as refused:
        send_message(customer.id, "email", subject="Again", body="Hello", purpose="service")
    assert refused.value.code == "channel_disabled"
    assert _audit(runtime)[-1].after == {"enabled": False}
    web.post("/admin/channels/email/settings", {"switched_on": "1"})
    run_jobs()
    assert [m["Subject"] for m in mail_sink.messages] == ["Hi"]


def test_the_chat_settings_turn_the_public_chat_on(web: Any, client: Any) -> None:
    assert client.post("/chat/v1/conversations", json={}).status_code == 404
    assert web.post("/admin/channels/chat/settings",
                    {"switched_on": "1", "enabled": "1", "origins": "https://shop.example.com"}).status_code == 302
    answer = client.options("/chat/v1/conversations", headers={"Origin": "https://shop.example.com"})
    assert answer.status_code == 204 and answer.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert client.options("/chat/v1/conversations", headers={"Origin": "https://evil.example"}).status_code == 403


def test_the_saved_smtp_server_also_carries_the_cores_direct_mail(
        web: Any, app: Any, sink: tuple[MailSink, str]) -> None:
    from payvand.sdk.mail import mail_enabled, send_mail

    server, url = sink
    with app.app_context():
        assert not mail_enabled()
    web.post("/admin/channels/email/settings", {"switched_on": "1", "smtp_url": url, "mail_from": "Desk <desk@example.com>"})
    with app.app_context():
        assert mail_enabled()
        send_mail("ops@example.com", "Your quote", "Attached.")
    [mail] = server.messages
    assert mail["To"] == "ops@example.com" and "desk@example.com" in mail["From"]


@pytest.mark.skipif(not __import__("messaging.dovecot").dovecot.dovecot_available(), reason="needs dovecot and root")
def test_an_imap_mailbox_saved_on_the_page_is_polled_by_the_worker(web: Any, runtime: Any, run_jobs: Any) -> None:
    import shutil
    import tempfile
    from pathlib import Path

    from imap_tools import MailBoxUnencrypted

    from messaging.dovecot import Dovecot

    base = Path(tempfile.mkdtemp(prefix="payvand-dovecot-"))
    server = Dovecot(base)
    server.start()
    try:
        eml = (Path(__file__).parent / "eml" / "01_plain_english.eml").read_bytes()
        with MailBoxUnencrypted("127.0.0.1", server.port).login(server.user, server.password, "INBOX") as box:
            box.append(eml, "INBOX", flag_set=())
        assert "core.poll_email" not in [job.name for _, job in runtime.job_runner.jobs()]
        assert web.post("/admin/channels/email/settings", {"imap_url": server.url()}).status_code == 302
        assert "core.poll_email" in [job.name for _, job in runtime.job_runner.jobs()]  # no restart needed
        run_jobs()
        with runtime.sessionmaker() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(Message).where(
                Message.direction == "inbound", Message.channel == "email")) == 1
        assert server.url() not in web.get("/admin/channels").text and f":{server.port}/" not in web.get("/admin/channels").text
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_environment_beats_saved_beats_default(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from payvand.core.messaging.channel_settings import effective_config, resolve
    from payvand.core.messaging.contract import ChannelSetting, MessageChannel

    class Probe(MessageChannel):
        name = "probe"
        settings_fields = (ChannelSetting("token", "Token", "secret", env="PAYVAND_PROBE_TOKEN"),
                           ChannelSetting("mode", "Mode", "text", default="fast"),
                           ChannelSetting("size", "Size", "int", default=3))

    channel = Probe()
    assert ChannelSetting("mode", "Mode").config_key("probe") == "PAYVAND_CHANNEL_PROBE_MODE"
    saved = {"channel.probe.token": "saved-token", "channel.probe.mode": "slow", "channel.probe.enabled": False}
    state = resolve(runtime, channel, saved)
    assert [(n, s.source, s.value) for n, s in state.settings.items()] == [
        ("token", "stored", "saved-token"), ("mode", "stored", "slow"), ("size", "default", 3)]
    assert state.switched_on is False and "saved-token" not in repr(state.settings["token"])
    config = effective_config(runtime, state)
    assert config["PAYVAND_PROBE_TOKEN"] == "saved-token" and config["PAYVAND_CHANNEL_PROBE_MODE"] == "slow"
    monkeypatch.setenv("PAYVAND_PROBE_TOKEN", "env-token")
    monkeypatch.setenv("PAYVAND_CHANNEL_PROBE_MODE", "fast")  # the default's value, set on purpose: still wins
    state = resolve(runtime, channel, saved)
    assert [(n, s.source, s.value) for n, s in state.settings.items()][:2] == [
        ("token", "environment", "env-token"), ("mode", "environment", "fast")]
    assert effective_config(runtime, state)["PAYVAND_PROBE_TOKEN"] == "env-token"  # read one way: from config


def test_a_key_saved_by_someone_else_at_the_same_moment_is_updated_not_a_500(
        web: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from payvand.core.messaging import channel_settings as cs

    original = cs.save_channel_settings
    calls: list[int] = []

    def racing(session: Any, *args: Any, **kwargs: Any) -> list[str]:
        changed = original(session, *args, **kwargs)  # rows added, not yet flushed
        if not calls:  # the other admin's save commits first
            with runtime.sessionmaker.begin() as other:
                other.add(Setting(key="channel.email.mail_from", value="Other <other@example.com>"))
        calls.append(1)
        return changed

    monkeypatch.setattr(cs, "save_channel_settings", racing)
    answer = web.post("/admin/channels/email/settings", {"mail_from": "Mine <mine@example.com>"})
    assert answer.status_code == 302 and len(calls) == 2
    assert _stored(runtime)["channel.email.mail_from"] == "Mine <mine@example.com>"
