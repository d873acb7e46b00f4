"""`payvand mail ingest | check`: inbound mail from a mail server's pipe or files, and a test of the mail settings.

`payvand mail ingest` reads one message on standard input (a mail server's delivery command,
e.g. a Postfix alias `support: "|payvand mail ingest"`) or the files, folders of `.eml` files
and maildirs given as arguments, and prints one line per message: `recorded`, `duplicate`,
`bounce`, `ignored automatic`, `ignored` or `rejected`, with the reason. Exit status: 0 when
every message was taken, 65 (EX_DATAERR: the mail server bounces it) when one could not be
read at all, 75 (EX_TEMPFAIL: the mail server tries again later) when the database failed.

`payvand mail check` tests the SMTP settings (connect, EHLO, STARTTLS and login when
configured; a test message only with `--send-to`) and the IMAP settings (connect, login, the
folder), printing one clear line per problem and exiting 1 when there is one.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from payvand.core.cli.common import CliEnv, CliError, pass_env, require_ready

EX_DATAERR = 65
EX_TEMPFAIL = 75
#: Largest message `mail ingest` reads (a mail server's own limit is usually lower).
MAX_MESSAGE_BYTES = 50 * 1024 * 1024


@click.group("mail")
def mail_group() -> None:
    """Inbound mail (ingest) and a test of the mail settings (check)."""


def _sources(paths: tuple[str, ...]) -> Iterator[tuple[str, bytes]]:
    """(name, raw bytes) of each message: stdin when no path, else files, `.eml` folders and maildirs."""
    if not paths:
        yield "stdin", sys.stdin.buffer.read(MAX_MESSAGE_BYTES + 1)
        return
    for given in paths:
        path = Path(given)
        if path.is_dir():
            maildir = [path / "new", path / "cur"]
            if all(folder.is_dir() for folder in maildir):
                files = sorted(f for folder in maildir for f in folder.iterdir() if f.is_file())
            else:
                files = sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() == ".eml")
            for file in files:
                yield str(file), file.read_bytes()[: MAX_MESSAGE_BYTES + 1]
        elif path.is_file():
            yield str(path), path.read_bytes()[: MAX_MESSAGE_BYTES + 1]
        else:
            raise CliError(f"{given}: no such file or folder")


@mail_group.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--batch", default=200, show_default=True, help="Messages recorded per transaction.")
@pass_env
def ingest_command(env: CliEnv, paths: tuple[str, ...], batch: int) -> None:
    """Record inbound mail: one message on stdin, or files, folders of .eml files and maildirs."""
    from payvand.core.messaging.email_in.ingest import ingest_batch
    from payvand.core.messaging.email_in.parse import ParsedMail, ParseOptions, parse_email

    require_ready(env)
    options = ParseOptions.from_config(env.config)
    factory = env.runtime.sessionmaker
    pending: list[tuple[str, ParsedMail]] = []
    status = 0

    def flush() -> None:
        nonlocal status
        if not pending:
            return
        try:
            outcomes = ingest_batch(factory, [parsed for _, parsed in pending])
        except SQLAlchemyError as exc:
            click.echo(f"error: the database failed, nothing of this batch was recorded: {exc.__class__.__name__}: "
                       f"{str(exc).splitlines()[0]}", err=True)
            sys.exit(EX_TEMPFAIL)
        for (name, _), outcome in zip(pending, outcomes, strict=True):
            click.echo(outcome.line("" if name == "stdin" else name))
            if outcome.kind == "rejected":
                status = EX_DATAERR
        pending.clear()

    for name, raw in _sources(paths):
        if len(raw) > MAX_MESSAGE_BYTES:
            parsed = ParsedMail("rejected", reason=f"larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB")
        else:
            parsed = parse_email(raw, options)
        pending.append((name, parsed))
        if len(pending) >= batch:
            flush()
    flush()
    if status:
        sys.exit(status)


# --------------------------------------------------------------------------- check


def check_smtp(config: dict[str, object]) -> list[str]:
    """Problems with the SMTP settings, one sentence each: connect, EHLO, STARTTLS, login."""
    from payvand.core import mail

    try:
        settings = mail.parse_config(config)
    except mail.MailError as exc:
        return [f"SMTP: {exc}"]
    if settings is None:
        return ["SMTP: PAYVAND_SMTP_URL is not set: no mail is sent"]
    where = settings.describe()
    client: smtplib.SMTP | None = None
    try:
        try:
            if settings.security == "ssl":
                client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        except ssl.SSLError as exc:
            return [f"SMTP: {where}: TLS failed ({exc.reason or exc})"]
        except (OSError, smtplib.SMTPException) as exc:
            return [f"SMTP: {where}: cannot connect ({exc})"]
        code, answer = client.ehlo()
        if code != 250:
            return [f"SMTP: {where}: EHLO refused ({code} {answer.decode(errors='replace')})"]
        if settings.security == "starttls":
            if not client.has_extn("starttls"):
                return [f"SMTP: {where}: the server does not offer STARTTLS"]
            try:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            except (ssl.SSLError, smtplib.SMTPException, OSError) as exc:
                return [f"SMTP: {where}: STARTTLS failed ({exc})"]
        if settings.username:
            if not client.has_extn("auth"):
                return [f"SMTP: {where}: a user is configured but the server offers no login (AUTH)"]
            try:
                client.login(settings.username, settings.password or "")
            except smtplib.SMTPAuthenticationError:
                return [f"SMTP: {where}: login refused (user name or password wrong)"]
            except (smtplib.SMTPException, OSError) as exc:
                return [f"SMTP: {where}: login failed ({exc})"]
    except (OSError, smtplib.SMTPException) as exc:
        return [f"SMTP: {where}: the server closed the conversation ({exc})"]
    finally:
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
    return []


def check_imap(config: dict[str, object]) -> list[str]:
    """Problems with the IMAP settings, one sentence each (none when `PAYVAND_IMAP_URL` is unset)."""
    from payvand.core.messaging.email_in.imap import ImapConfigError, ImapPoller, imap_config

    try:
        settings = imap_config(config)
    except ImapConfigError as exc:
        return [f"IMAP: {exc}"]
    if settings is None:
        return []
    return ImapPoller(settings).check()


def _email_config(env: CliEnv) -> dict[str, Any]:
    """The configuration the email channel runs with: values saved on the Channels page over the
    instance's configuration (the environment still wins, as for the channel itself)."""
    from payvand.core.messaging.channel_settings import channel_state, effective_config

    channel = env.runtime.message_channels().get("email")
    if channel is None:
        return env.config
    with env.runtime.sessionmaker() as session:
        state = channel_state(session, env.runtime, channel)
    return dict(effective_config(env.runtime, state))


@mail_group.command("check")
@click.option("--send-to", help="Also send a test message to this address.")
@pass_env
def check_command(env: CliEnv, send_to: str | None) -> None:
    """Test the SMTP and IMAP settings; one line per problem, exit status 1 when there is one."""
    from payvand.core import mail
    from payvand.core.messaging.email_in.imap import ImapConfigError, imap_config

    config = _email_config(env)
    socket.setdefaulttimeout(30)
    problems = check_smtp(config)
    if not problems and send_to:
        try:
            mail.send_mail(config, send_to, "Payvand mail check", "This is a test message from `payvand mail check`.")
        except mail.MailError as exc:
            problems.append(f"SMTP: the test message was not accepted ({exc})")
    problems += check_imap(config)
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    smtp = mail.parse_config(config)
    try:
        imap = imap_config(config)
    except ImapConfigError:
        imap = None
    click.echo(f"SMTP ok: {smtp.describe() if smtp else '-'}" + (f" (test message sent to {send_to})" if send_to else ""))
    click.echo(f"IMAP ok: {imap.describe()}" if imap else "IMAP: not configured (PAYVAND_IMAP_URL unset): no polling")


def register(cli: click.Group) -> None:
    """Add `payvand mail`."""
    cli.add_command(mail_group)
