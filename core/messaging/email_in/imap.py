"""The IMAP poller of inbound mail (imap-tools), configured by `PAYVAND_IMAP_URL`.

    imaps://user:password@host:993/INBOX                      TLS from the start
    imap://user:password@host:143/INBOX?starttls=1            plain connection upgraded by STARTTLS
    imap://user:password@host:143/INBOX                       no TLS (a server on the same machine only)
    ...?processed=seen | processed=move:Processed | processed=delete

A server whose certificate comes from a private authority is trusted through
`PAYVAND_IMAP_CA_FILE` (a PEM file; then only its authorities are trusted).

A poll reads the folder's unprocessed messages (`UNSEEN` when processed mail is marked seen,
else every message, since processed ones are moved or deleted), oldest first, in batches of
`PAYVAND_IMAP_BATCH`, without marking them seen (`BODY.PEEK`). Each batch is parsed and handed
to `store` — which records it and commits — and only then marked processed. A crash between
the commit and the marking leaves the messages unprocessed: the next poll reads them again,
and the inbox's de-duplication by Message-ID makes that harmless. A message that cannot be
read at all (no sender) is marked processed too, with its reason logged, so it cannot block
the folder.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from imap_tools import MailBox, MailboxLoginError, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.mailbox import BaseMailBox

from payvand.core.messaging.email_in.parse import ParsedMail, ParseOptions, parse_email

log = logging.getLogger(__name__)

SCHEMES = {"imap": 143, "imaps": 993}
#: Batches one poll reads at most (so one poll ends even while mail keeps arriving).
MAX_BATCHES_PER_POLL = 20


class ImapConfigError(ValueError):
    """`PAYVAND_IMAP_URL` does not describe a mailbox; the message says what is wrong."""


@dataclasses.dataclass(frozen=True)
class ImapConfig:
    """A mailbox to poll: server, security, login, folder and what becomes of processed mail."""

    host: str
    port: int
    security: str  # ssl, starttls, none
    username: str
    password: str
    folder: str = "INBOX"
    processed: str = "seen"  # seen, move, delete
    move_to: str | None = None
    batch: int = 50
    timeout: float = 30.0
    #: A PEM file of the authorities the server's certificate is checked against
    #: (`PAYVAND_IMAP_CA_FILE`, a private CA); None: the system's.
    cafile: str | None = None

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context of a connection: hostname and certificate checked, against `cafile`
        alone when it is set, else against the system's authorities."""
        return ssl.create_default_context(cafile=self.cafile)

    def describe(self) -> str:
        """The mailbox as text for logs and `payvand mail check`, without the password."""
        then = f"move:{self.move_to}" if self.processed == "move" else self.processed
        return f"{self.security}://{self.username}@{self.host}:{self.port}/{self.folder} (processed: {then})"


def parse_imap_url(url: str, batch: int = 50) -> ImapConfig:
    """The `ImapConfig` of a `PAYVAND_IMAP_URL`; raises ImapConfigError saying what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ImapConfigError("PAYVAND_IMAP_URL must look like imaps://user:password@host:993/INBOX or "
                              "imap://user:password@host:143/INBOX?starttls=1")
    if not parts.username or parts.password is None:
        raise ImapConfigError("PAYVAND_IMAP_URL has no user name and password (URL-encode @ in the user as %40)")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "processed", "batch", "timeout"}
    if unknown:
        raise ImapConfigError(f"PAYVAND_IMAP_URL has unknown options: {', '.join(sorted(unknown))}")
    starttls = query.get("starttls", "0").lower() in ("1", "true", "yes", "on")
    if parts.scheme == "imaps" and starttls:
        raise ImapConfigError("PAYVAND_IMAP_URL: imaps:// is TLS already; starttls=1 is for imap://")
    security = "ssl" if parts.scheme == "imaps" else "starttls" if starttls else "none"
    processed = query.get("processed", "seen")
    move_to = None
    if processed.startswith("move:"):
        move_to = processed.split(":", 1)[1].strip()
        processed = "move"
        if not move_to:
            raise ImapConfigError("PAYVAND_IMAP_URL: processed=move: needs a folder (processed=move:Processed)")
    elif processed not in ("seen", "delete"):
        raise ImapConfigError("PAYVAND_IMAP_URL: processed must be seen, move:<folder> or delete")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    try:
        batch = int(query.get("batch", batch))
        timeout = float(query.get("timeout", 30))
    except ValueError:
        raise ImapConfigError("PAYVAND_IMAP_URL: batch and timeout must be numbers") from None
    return ImapConfig(host=parts.hostname, port=parts.port or SCHEMES[parts.scheme], security=security,
                      username=unquote(parts.username), password=unquote(parts.password), folder=folder,
                      processed=processed, move_to=move_to, batch=max(1, batch), timeout=timeout)


def imap_config(config: Mapping[str, Any]) -> ImapConfig | None:
    """The poller's configuration from an app/CLI config mapping, or None when `PAYVAND_IMAP_URL` is unset."""
    url = config.get("PAYVAND_IMAP_URL")
    if not url:
        return None
    settings = parse_imap_url(str(url), batch=int(config.get("PAYVAND_IMAP_BATCH") or 50))
    cafile = config.get("PAYVAND_IMAP_CA_FILE")
    if cafile:
        if not os.path.isfile(str(cafile)):
            raise ImapConfigError(f"PAYVAND_IMAP_CA_FILE: {cafile} is not a readable file")
        settings = dataclasses.replace(settings, cafile=str(cafile))
    return settings


class _RawMessage(MailMessage):
    """A fetched message kept as its raw bytes (imap-tools' own parse is skipped: ours reads them)."""

    def __init__(self, fetch_data: list) -> None:  # noqa: D107 - imap-tools' constructor, raw kept
        raw, uid_data, flag_data = self._get_message_data_parts(fetch_data)
        self._raw_uid_data = uid_data
        self._raw_flag_data = flag_data
        self.raw: bytes = raw


@dataclasses.dataclass
class PollReport:
    """What one poll did: messages read, and outcomes counted by kind (`recorded`, `duplicate`, ...)."""

    read: int = 0
    batches: int = 0
    outcomes: dict[str, int] = dataclasses.field(default_factory=dict)
    parsed: list[ParsedMail] = dataclasses.field(default_factory=list)


#: Records a parsed batch and commits; returns one outcome word per message (e.g. `recorded`).
Store = Callable[[Sequence[ParsedMail]], Sequence[str]]


def connect(config: ImapConfig, ssl_context: ssl.SSLContext | None = None) -> BaseMailBox:
    """A logged-in mailbox with `config.folder` selected (raises imap-tools' errors or OSError)."""
    mailbox: BaseMailBox
    if config.security == "ssl":
        mailbox = MailBox(config.host, config.port, timeout=config.timeout,
                          ssl_context=ssl_context or config.ssl_context())
    elif config.security == "starttls":
        mailbox = MailBoxStartTls(config.host, config.port, timeout=config.timeout,
                                  ssl_context=ssl_context or config.ssl_context())
    else:
        mailbox = MailBoxUnencrypted(config.host, config.port, timeout=config.timeout)
    mailbox.email_message_class = _RawMessage
    return mailbox.login(config.username, config.password, initial_folder=config.folder)


class ImapPoller:
    """Polls one mailbox: fetch unprocessed mail in batches, store each batch, then mark it processed."""

    def __init__(self, config: ImapConfig, options: ParseOptions | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.options = options or ParseOptions()
        self.ssl_context = ssl_context

    def _criteria(self) -> str:
        return "UNSEEN" if self.config.processed == "seen" else "ALL"

    def _mark_processed(self, mailbox: BaseMailBox, uids: list[str]) -> None:
        if not uids:
            return
        if self.config.processed == "seen":
            mailbox.flag(uids, "\\Seen", True)
        elif self.config.processed == "move":
            assert self.config.move_to is not None
            mailbox.move(uids, self.config.move_to)
        else:
            mailbox.delete(uids)

    def _batches(self, mailbox: BaseMailBox) -> Iterator[list[_RawMessage]]:
        done: set[str] = set()
        for _ in range(MAX_BATCHES_PER_POLL):
            uids = [uid for uid in mailbox.uids(self._criteria()) if uid not in done][: self.config.batch]
            if not uids:
                return
            done.update(uids)
            fetched = mailbox.fetch(uid_list=uids, mark_seen=False, bulk=True)
            yield [message for message in fetched if isinstance(message, _RawMessage)]

    def poll(self, store: Store) -> PollReport:
        """Read, store and mark unprocessed messages, batch by batch; the report counts what happened.

        `store` must commit before it returns: a batch is marked processed only afterwards. If
        `store` raises, nothing of that batch is marked and the error propagates.
        """
        report = PollReport()
        if self.config.processed == "move" and self.config.move_to:
            self._ensure_folder(self.config.move_to)
        with connect(self.config, self.ssl_context) as mailbox:
            for batch in self._batches(mailbox):
                parsed = [parse_email(message.raw, self.options) for message in batch]
                outcomes = store(parsed)
                self._mark_processed(mailbox, [str(message.uid) for message in batch if message.uid])
                report.batches += 1
                report.read += len(batch)
                report.parsed.extend(parsed)
                for item, outcome in zip(parsed, outcomes, strict=False):
                    report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
                    if item.kind == "rejected":
                        log.warning("inbound mail rejected: %s", item.reason)
        return report

    def _ensure_folder(self, name: str) -> None:
        with connect(self.config, self.ssl_context) as mailbox:
            if not mailbox.folder.exists(name):
                mailbox.folder.create(name)

    def check(self) -> list[str]:
        """Problems reaching the mailbox (login, folder, the processed folder), one sentence each."""
        try:
            with connect(self.config, self.ssl_context) as mailbox:
                if self.config.processed == "move" and self.config.move_to and \
                        not mailbox.folder.exists(self.config.move_to):
                    return [f"IMAP: the folder {self.config.move_to!r} for processed mail does not exist "
                            "(the poller creates it on its first run)"]
        except MailboxLoginError:
            return [f"IMAP: {self.config.describe()}: login refused (user name or password wrong)"]
        except ssl.SSLCertVerificationError as exc:
            hint = "" if self.config.cafile else "; a private authority's certificate needs PAYVAND_IMAP_CA_FILE"
            return [f"IMAP: {self.config.describe()}: the server's TLS certificate is not trusted "
                    f"({exc.verify_message or exc}{hint})"]
        except ssl.SSLError as exc:
            return [f"IMAP: {self.config.describe()}: TLS failed ({exc.reason or exc})"]
        except OSError as exc:
            return [f"IMAP: {self.config.describe()}: cannot connect ({exc})"]
        except Exception as exc:  # imap-tools' folder errors name the failing command
            text = str(exc)
            if "SELECT" in text.upper() or "folder" in text.lower() or "mailbox" in text.lower():
                return [f"IMAP: {self.config.describe()}: the folder {self.config.folder!r} cannot be opened ({text})"]
            return [f"IMAP: {self.config.describe()}: {type(exc).__name__}: {text}"]
        return []
