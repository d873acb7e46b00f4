"""The IMAP poller against a real dovecot: batches, processed-mail handling, a crash between the
commit and the marking, the worker's polling job and `payvand mail check`."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from imap_tools import MailBoxUnencrypted

from messaging.dovecot import Dovecot, dovecot_available, free_port
from payvand.core.cli import cli
from payvand.core.messaging.email_in.imap import ImapConfigError, ImapPoller, parse_imap_url
from payvand.core.messaging.email_in.ingest import ingest_batch
from payvand.core.messaging.email_in.parse import ParsedMail
from payvand.core.models.message import Message

pytestmark = pytest.mark.skipif(not dovecot_available(), reason="needs dovecot (dovecot-imapd) and root")

CORPUS = Path(__file__).parent / "eml"
MESSAGES = ["01_plain_english.eml", "02_persian_utf8_encoded_headers.eml", "03_windows1256_outlook.eml",
            "09_alternative_plain_and_html.eml", "22_inline_image_related.eml"]


@pytest.fixture(scope="module")
def dovecot_server() -> Iterator[Dovecot]:
    """A dovecot for this module's tests (a throwaway configuration, user and maildir), stopped by its pid."""
    base = Path(tempfile.mkdtemp(prefix="payvand-dovecot-"))
    server = Dovecot(base)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Dovecot:
    """The module's dovecot with an empty mailbox."""
    dovecot_server.empty()
    return dovecot_server


def deliver(server: Dovecot, names: Sequence[str] = MESSAGES, folder: str = "INBOX") -> None:
    """Put corpus messages into a folder, unseen (as a mail server delivers them)."""
    with MailBoxUnencrypted("127.0.0.1", server.port).login(server.user, server.password, folder) as box:
        for name in names:
            box.append((CORPUS / name).read_bytes(), folder, flag_set=())


def folder_state(server: Dovecot, folder: str = "INBOX") -> list[tuple[str, bool]]:
    """(Message-ID, seen) of each message in a folder."""
    with MailBoxUnencrypted("127.0.0.1", server.port).login(server.user, server.password, folder) as box:
        return [(m.headers.get("message-id", ("",))[0], "\\Seen" in m.flags)
                for m in box.fetch("ALL", mark_seen=False, headers_only=True)]


def inbound(runtime: Any) -> list[Message]:
    with runtime.sessionmaker() as session:
        return list(session.scalars(sa.select(Message).where(Message.direction == "inbound").order_by(Message.id)))


def store_into(runtime: Any) -> Any:
    return lambda batch: [outcome.kind for outcome in ingest_batch(runtime.sessionmaker, batch)]


def test_the_imap_url_forms_parse_and_bad_ones_say_what_is_wrong() -> None:
    tls = parse_imap_url("imaps://crm%40example.com:p%40ss@mail.example.com/INBOX?processed=move:Done")
    assert (tls.security, tls.port, tls.username, tls.password, tls.processed, tls.move_to) == \
        ("ssl", 993, "crm@example.com", "p@ss", "move", "Done")
    starttls = parse_imap_url("imap://u:p@mail.example.com:143/Support%20Mail?starttls=1&processed=delete")
    assert (starttls.security, starttls.folder, starttls.processed) == ("starttls", "Support Mail", "delete")
    assert parse_imap_url("imap://u:p@localhost").processed == "seen"
    for bad, words in [("pop3://u:p@h/INBOX", "must look like"), ("imap://h/INBOX", "no user name"),
                       ("imap://u:p@h/INBOX?processed=archive", "processed must be"),
                       ("imaps://u:p@h/INBOX?starttls=1", "TLS already"), ("imap://u:p@h/?colour=red", "unknown")]:
        with pytest.raises(ImapConfigError, match=words):
            parse_imap_url(bad)


def test_a_poll_records_every_unseen_message_in_bounded_batches_and_marks_them_seen(dovecot, runtime):
    deliver(dovecot)
    poller = ImapPoller(parse_imap_url(dovecot.url("batch=2")))
    report = poller.poll(store_into(runtime))
    assert (report.read, report.batches, report.outcomes) == (5, 3, {"recorded": 5})
    assert sorted(row.reference for row in inbound(runtime)) == sorted(mid for mid, _ in folder_state(dovecot))
    assert all(seen for _, seen in folder_state(dovecot))
    again = poller.poll(store_into(runtime))
    assert (again.read, len(inbound(runtime))) == (0, 5)


def test_processed_mail_is_moved_to_the_folder_named_in_the_url(dovecot, runtime):
    deliver(dovecot, MESSAGES[:2])
    report = ImapPoller(parse_imap_url(dovecot.url("processed=move:Processed"))).poll(store_into(runtime))
    assert report.outcomes == {"recorded": 2}
    assert folder_state(dovecot) == []
    assert len(folder_state(dovecot, "Processed")) == 2


def test_processed_mail_is_deleted_when_the_url_says_delete(dovecot, runtime):
    deliver(dovecot, MESSAGES[:2])
    ImapPoller(parse_imap_url(dovecot.url("processed=delete"))).poll(store_into(runtime))
    assert folder_state(dovecot) == [] and len(inbound(runtime)) == 2


def test_a_crash_after_the_commit_leaves_the_mail_unprocessed_and_reading_it_again_is_harmless(dovecot, runtime):
    deliver(dovecot, MESSAGES[:3])
    poller = ImapPoller(parse_imap_url(dovecot.url()))

    def commit_then_crash(batch: Sequence[ParsedMail]) -> list[str]:
        ingest_batch(runtime.sessionmaker, batch)
        raise SystemError("the process dies between the commit and the marking")

    with pytest.raises(SystemError):
        poller.poll(commit_then_crash)
    assert len(inbound(runtime)) == 3
    assert [seen for _, seen in folder_state(dovecot)] == [False, False, False]
    report = poller.poll(store_into(runtime))
    assert report.outcomes == {"duplicate": 3}
    assert len(inbound(runtime)) == 3 and all(seen for _, seen in folder_state(dovecot))


def test_a_store_that_fails_before_its_commit_marks_nothing_and_records_nothing(dovecot, runtime):
    deliver(dovecot, MESSAGES[:2])

    def fail(batch: Sequence[ParsedMail]) -> list[str]:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        ImapPoller(parse_imap_url(dovecot.url())).poll(fail)
    assert inbound(runtime) == [] and [seen for _, seen in folder_state(dovecot)] == [False, False]


def test_the_worker_polls_the_mailbox_through_the_email_channel(dovecot, runtime, run_jobs):
    deliver(dovecot, MESSAGES[:2])
    runtime.config["PAYVAND_IMAP_URL"] = dovecot.url()
    channel = runtime.message_channels()["email"]
    channel.configure(runtime.config)
    try:
        assert channel.polls
        assert "core.poll_email" in [job.name for _, job in runtime.job_runner.jobs()]
        run_jobs()
        assert len(inbound(runtime)) == 2 and all(seen for _, seen in folder_state(dovecot))
    finally:
        runtime.config.pop("PAYVAND_IMAP_URL")
        channel.configure(runtime.config)
    assert not channel.polls


def _check(runtime: Any, tmp_path: Path, **env: str) -> Any:
    url = runtime.config["PAYVAND_DATABASE_URL"]
    return CliRunner().invoke(cli, ["--instance", str(tmp_path / "instance"), "--database-url", url, "mail", "check"],
                              env=env, catch_exceptions=False)


def test_mail_check_passes_with_a_working_smtp_server_and_mailbox(dovecot, runtime, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        result = _check(runtime, tmp_path, PAYVAND_SMTP_URL=f"smtp://127.0.0.1:{port}", PAYVAND_IMAP_URL=dovecot.url())
    finally:
        smtp.stop()
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines() == [f"SMTP ok: none://127.0.0.1:{port}",
                                          f"IMAP ok: none://{dovecot.user}@127.0.0.1:{dovecot.port}/INBOX "
                                          "(processed: seen)"]


def test_mail_check_prints_one_line_per_problem_and_exits_1(dovecot, runtime, tmp_path):
    closed = free_port()
    wrong = dovecot.url().replace(f":{dovecot.password}@", ":wrong@")
    result = _check(runtime, tmp_path, PAYVAND_SMTP_URL=f"smtp://127.0.0.1:{closed}", PAYVAND_IMAP_URL=wrong)
    assert result.exit_code == 1
    smtp_line, imap_line = result.stdout.splitlines()
    assert smtp_line.startswith(f"SMTP: none://127.0.0.1:{closed}: cannot connect")
    assert imap_line.endswith("login refused (user name or password wrong)")
    missing = _check(runtime, tmp_path, PAYVAND_IMAP_URL=dovecot.url().replace("/INBOX", "/Nowhere"))
    assert missing.exit_code == 1
    assert missing.stdout.splitlines() == [
        "SMTP: PAYVAND_SMTP_URL is not set: no mail is sent",
        f"IMAP: none://{dovecot.user}@127.0.0.1:{dovecot.port}/Nowhere (processed: seen): the folder 'Nowhere' "
        f"cannot be opened ({missing.stdout.split('cannot be opened (', 1)[1][:-2]})"]


@pytest.mark.parametrize("form", ["imaps", "starttls"])
def test_the_poller_reads_over_tls_and_over_starttls(form, runtime):
    import ssl

    base = Path(tempfile.mkdtemp(prefix="payvand-dovecot-tls-"))
    server = Dovecot(base, tls=True)
    try:
        server.start()
        deliver(server, MESSAGES[:1])
        user = server.user.replace("@", "%40")
        url = (f"imaps://{user}:{server.password}@127.0.0.1:{server.imaps_port}/INBOX" if form == "imaps" else
               f"imap://{user}:{server.password}@127.0.0.1:{server.port}/INBOX?starttls=1")
        trust = ssl.create_default_context(cafile=str(server.certificate))
        config = parse_imap_url(url)
        assert config.security == ("ssl" if form == "imaps" else "starttls")
        report = ImapPoller(config, ssl_context=trust).poll(store_into(runtime))
        assert report.outcomes == {"recorded": 1}
        [problem] = ImapPoller(config).check()  # the system's authorities do not know this certificate
        assert problem.startswith(f"IMAP: {config.describe()}: the server's TLS certificate is not trusted")
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def private_ca_dovecot() -> Iterator[Dovecot]:
    """A dovecot whose TLS certificate a throwaway certificate authority signed (openssl)."""
    base = Path(tempfile.mkdtemp(prefix="payvand-dovecot-ca-"))
    server = Dovecot(base, tls=True, private_ca=True)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def _imaps_url(server: Dovecot) -> str:
    return f"imaps://{server.user.replace('@', '%40')}:{server.password}@127.0.0.1:{server.imaps_port}/INBOX"


def test_the_poller_trusts_a_private_authority_named_by_the_ca_file_setting(private_ca_dovecot, runtime):
    from payvand.core.messaging.email_in.imap import imap_config

    private_ca_dovecot.empty()
    deliver(private_ca_dovecot, MESSAGES[:1])
    url = _imaps_url(private_ca_dovecot)
    trusted = imap_config({"PAYVAND_IMAP_URL": url, "PAYVAND_IMAP_CA_FILE": str(private_ca_dovecot.ca_certificate)})
    assert trusted is not None and trusted.cafile == str(private_ca_dovecot.ca_certificate)
    assert ImapPoller(trusted).poll(store_into(runtime)).outcomes == {"recorded": 1}
    starttls = imap_config({"PAYVAND_IMAP_URL": private_ca_dovecot.url("starttls=1"),
                            "PAYVAND_IMAP_CA_FILE": str(private_ca_dovecot.ca_certificate)})
    assert ImapPoller(starttls).check() == []
    untrusted = imap_config({"PAYVAND_IMAP_URL": url})
    with pytest.raises(Exception, match="certificate verify failed"):
        ImapPoller(untrusted).poll(store_into(runtime))  # type: ignore[arg-type]


def test_mail_check_connects_with_the_ca_file_and_names_the_certificate_problem_without_it(private_ca_dovecot,
                                                                                          runtime, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    url, ca = _imaps_url(private_ca_dovecot), str(private_ca_dovecot.ca_certificate)
    where = f"ssl://{private_ca_dovecot.user}@127.0.0.1:{private_ca_dovecot.imaps_port}/INBOX (processed: seen)"
    try:
        with_ca = _check(runtime, tmp_path, PAYVAND_SMTP_URL=f"smtp://127.0.0.1:{port}", PAYVAND_IMAP_URL=url,
                         PAYVAND_IMAP_CA_FILE=ca)
        without = _check(runtime, tmp_path, PAYVAND_SMTP_URL=f"smtp://127.0.0.1:{port}", PAYVAND_IMAP_URL=url)
        missing = _check(runtime, tmp_path, PAYVAND_SMTP_URL=f"smtp://127.0.0.1:{port}", PAYVAND_IMAP_URL=url,
                         PAYVAND_IMAP_CA_FILE=str(tmp_path / "nowhere.pem"))
    finally:
        smtp.stop()
    assert with_ca.exit_code == 0, with_ca.stdout
    assert with_ca.stdout.splitlines()[1] == f"IMAP ok: {where}"
    assert without.exit_code == 1
    [line] = without.stdout.splitlines()
    assert line.startswith(f"IMAP: {where}: the server's TLS certificate is not trusted (")
    assert line.endswith("; a private authority's certificate needs PAYVAND_IMAP_CA_FILE)")
    assert missing.exit_code == 1
    assert missing.stdout.splitlines() == [f"IMAP: PAYVAND_IMAP_CA_FILE: {tmp_path / 'nowhere.pem'} is not a readable file"]


class _Accounts:
    """An aiosmtpd authenticator knowing one user (LOGIN and PLAIN)."""

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"crm@shop.example",
                                                                                               b"s3cret")
        return AuthResult(success=ok, handled=False)  # a failure answers 535


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a plain test port on purpose
@pytest.mark.parametrize("password, expected", [("s3cret", "ok"), ("wrong", "refused")])
def test_mail_check_logs_in_to_an_smtp_server_that_requires_auth(password, expected, runtime, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port, authenticator=_Accounts(), auth_required=True,
                      auth_require_tls=False)
    smtp.start()
    try:
        result = _check(runtime, tmp_path, PAYVAND_SMTP_URL=f"smtp://crm%40shop.example:{password}@127.0.0.1:{port}")
    finally:
        smtp.stop()
    if expected == "ok":
        assert result.exit_code == 0, result.stdout
        assert result.stdout.splitlines()[0] == f"SMTP ok: none://crm@shop.example@127.0.0.1:{port}"
    else:
        assert result.exit_code == 1
        assert result.stdout.splitlines() == [
            f"SMTP: none://crm@shop.example@127.0.0.1:{port}: login refused (user name or password wrong)"]


def test_mail_check_says_when_a_user_is_set_but_the_server_offers_no_login(runtime, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)  # AUTH is only offered over TLS by default
    smtp.start()
    try:
        result = _check(runtime, tmp_path, PAYVAND_SMTP_URL=f"smtp://crm:s3cret@127.0.0.1:{port}")
    finally:
        smtp.stop()
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"SMTP: none://crm@127.0.0.1:{port}: a user is configured but the server offers no login (AUTH)"]


def test_mail_check_tests_the_settings_saved_on_the_channels_page(dovecot, runtime, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    from payvand.core.actor import SYSTEM
    from payvand.core.messaging.channel_settings import save_channel_settings

    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        channel = runtime.message_channels()["email"]
        with runtime.sessionmaker() as session:
            save_channel_settings(session, SYSTEM, runtime, channel, True,
                                  {"smtp_url": f"smtp://127.0.0.1:{port}", "imap_url": dovecot.url()})
            session.commit()
        result = _check(runtime, tmp_path)
    finally:
        smtp.stop()
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[0] == f"SMTP ok: none://127.0.0.1:{port}"
