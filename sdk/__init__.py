"""payvand.sdk: the one import for plugin authors — small, documented and stable.

Everything a plugin needs is re-exported here; anything else in `payvand.core` is private
and may change between releases. First-party plugins import only this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import time
from collections.abc import Iterator
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session

from payvand.core.actor import ANONYMOUS, SYSTEM, Actor, current_actor
from payvand.core.records import clause as record_clause
from payvand.core.records import get_visible, may_see, restrict
from payvand.core.api.base import ApiBlueprint, require
from payvand.core.api.errors import ApiError
from payvand.core.contracts import (
    ChannelSpec,
    CustomerField,
    InteractionKind,
    JobSpec,
    MovedRows,
    NavItem,
    Panel,
    PermissionSpec,
    PluginMeta,
    RecordRule,
    SettingSpec,
)
from payvand.core.db import Base, BigId, ExactDecimal, JSONText, UTCDateTime, current_session, session_scope, utcnow
from payvand.core.hookspecs import hookimpl
from payvand.core.importing.guard import guard as csv_guard  # CSV writing: the formula guard
from payvand.core.importing.source import CsvSource, SourceError as CsvSourceError  # CSV reading: encoding, delimiter
from payvand.core.normalize import NormalizationError, keep_text, normalize_email, normalize_phone
from payvand.core.normalize import clean_text as clean_name
from payvand.core.normalize import fold as fold_text
from payvand.core.dates import MAX_BUSINESS_DATE, MIN_BUSINESS_DATE, BusinessDate, BusinessDateTime, business_date, in_business_range
from payvand.core.dates import RANGE_MESSAGE as BUSINESS_DATE_MESSAGE
from payvand.core.locale_format import parse_date, parse_number
from payvand.core.importer import quiet_gc
from payvand.core.mail import Attachment, MailError
from payvand.sdk.documents import (  # the document kit (also as payvand.sdk.documents)
    CounterMixin,
    DocumentError,
    DocumentMixin,
    DocumentPdf,
    LineMixin,
    MailOutcome,
    StatusFlow,
    compute_totals,
    font_path,
    line_amounts,
    line_input,
    lock_row,
    mail_document,
    money_rows,
    next_number,
    set_totals,
    tax_summary,
    transition,
)
from payvand.core.models import Customer, CustomerEmail, Interaction, User
from payvand.core.plugins import PluginError
from payvand.core.schemas import CustomerOut, InteractionOut
from payvand.core.services.interactions import InteractionError, Source, build_interaction, record
from payvand.core.web.access import csrf_exempt, public_page, staff_required
from payvand.core.web.access import staff_user as current_staff
from payvand.core.web.forms import NUMBER_MESSAGE, FormResult, parse_form, read_number, read_numbers
from payvand.core.web.i18n import N_  # marks texts declared as data for extraction
from payvand.core.uploads import FILE_TYPES, FileType, UploadRejected, check_upload, send_upload, upload_type
from payvand.core.web.security import content_security_policy, note_retry_after

__all__ = [
    "FormResult", "csrf_exempt", "current_staff", "gettext", "lazy_gettext", "N_", "parse_form", "public_page", "staff_required",
    "ApiBlueprint", "ApiError", "Base", "BigId", "ChannelSpec", "Customer", "CustomerField",
    "CustomerOut", "ExactDecimal", "Interaction", "InteractionError", "InteractionOut", "JSONText",
    "JobSpec", "MovedRows", "NavItem", "Panel", "PermissionSpec", "PluginError", "PluginMeta",
    "SettingSpec", "UTCDateTime", "User", "current_user_can", "hookimpl",
    "Actor", "SYSTEM", "ANONYMOUS", "current_actor",
    "RecordRule", "record_clause", "restrict", "may_see", "get_visible",
    "record_interaction", "require", "session", "setting", "transaction", "utcnow",
    "CustomerEmail", "audit", "call_hook", "over_rate_limit", "parse_date", "parse_number", "create_customer", "find_customer_ids_by_email",
    "search_customers",
    "Attachment", "MailError", "mail_enabled", "send_mail", "to_local", "local_zone",
    "CsvSource", "CsvSourceError", "csv_guard", "fold_text",
    "NormalizationError", "clean_name", "keep_text", "normalize_email", "normalize_phone", "phone_region",
    "phone_search_prefixes",
    "record_interactions", "font_path", "format_date", "format_money", "format_number", "localize_digits", "current_locale",
    "isolate", "InteractionKind",
    "to_jalali", "from_jalali", "jalali_month_days", "jalali_month_name", "quiet_gc",
    "content_security_policy", "FILE_TYPES", "FileType", "UploadRejected", "check_upload", "send_upload", "upload_type",

    "BusinessDate", "BusinessDateTime", "business_date", "in_business_range", "MIN_BUSINESS_DATE", "MAX_BUSINESS_DATE",
    "BUSINESS_DATE_MESSAGE",
    "NUMBER_MESSAGE", "read_number", "read_numbers",
    # the document kit (payvand.sdk.documents)
    "CounterMixin", "DocumentError", "DocumentMixin", "DocumentPdf", "LineMixin", "MailOutcome", "StatusFlow", "compute_totals", "line_amounts",
    "line_input", "lock_row", "mail_document", "money_rows", "next_number", "set_totals", "tax_summary", "transition",
]


def session() -> Session:
    """The current database session (the request's, the job's or the event delivery's).

    Plugins add and query through it. The job runner commits it after a job or an event hook
    returns; in a plugin's own route, call `session().commit()` once the change is complete
    (an uncommitted request session is rolled back at the end of the request).
    """
    return current_session()


def _runtime() -> Any:
    if has_app_context() and "payvand" in current_app.extensions:
        return current_app.extensions["payvand"]
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        from payvand.core.cli.common import get_env

        return get_env(ctx).runtime
    raise RuntimeError("no Payvand app or CLI command is running")


@contextlib.contextmanager
def transaction() -> Iterator[Session]:
    """Open a session of the running app or CLI command, current for SDK calls, and commit it.

    For a plugin's CLI commands and scripts::

        with transaction() as s:
            s.add(Card(customer_id=1))
    """
    with session_scope(_runtime().sessionmaker) as opened:
        yield opened


def phone_region() -> str:
    """The deployment's phone region (setting `core.phone_region`, default `PAYVAND_PHONE_REGION`),
    in which a phone typed without a country code is read; "IR" outside an app or command."""
    from payvand.core.settings import PHONE_REGION

    try:
        runtime = _runtime()
    except RuntimeError:
        return "IR"
    return str(runtime.setting(current_session(), PHONE_REGION) or runtime.config["PAYVAND_PHONE_REGION"]).upper()


def phone_search_prefixes(text: str, region: str | None = None) -> list[str]:
    """The E.164 prefixes a typed phone fragment may stand for (`۰۹۱۲ ۹۹` → `+98912 99`…), as the
    customer search matches them; `region` defaults to `phone_region()`."""
    from payvand.core.services.customer_list import phone_prefixes

    return phone_prefixes(text, region or phone_region())


def setting(key: str) -> Any:
    """The value of a setting declared through `payvand_settings` (stored, else its default)."""
    return _runtime().setting(current_session(), key)


def current_user_can(permission: str) -> bool:
    """True when the caller of the current request holds `permission` (False outside requests)."""
    if not has_app_context():
        return False
    found = g.get("payvand_actor")
    return bool(found is not None and found.can(permission))


def _known_channels() -> dict[str, str] | None:
    if has_app_context() and "payvand" in current_app.extensions:
        return current_app.extensions["payvand"].channels()
    return None


def record_interaction(
    customer_id: int,
    kind: str,
    channel: str,
    summary: str,
    *,
    value: decimal.Decimal | int | str | None = None,
    currency: str | None = None,
    occurred_at: dt.datetime | None = None,
    payload: dict[str, Any] | None = None,
    source: Source = None,
    direction: str = "inbound",
) -> Interaction:
    """Record a customer-facing event on the timeline, in the current session.

    `kind` is namespaced by the plugin (`sales.order_placed`); `value` is an exact decimal
    with its ISO `currency`; `source` points at the plugin's row, as `("sales.order", 42)` or
    `"sales.order:42"`. `payvand_interaction_recorded` is delivered after the commit. Raises
    InteractionError on a malformed argument.
    """
    values = build_interaction(
        customer_id, kind, channel, summary, channels=_known_channels(), direction=direction,
        value=value, currency=currency, occurred_at=occurred_at, payload=payload, source=source,
    )
    return record(current_session(), values)


def record_interactions(items: list[dict[str, Any]]) -> list[int]:
    """Record many timeline events at once (one INSERT, one `payvand_interaction_recorded` event).

    Each item holds `record_interaction`'s arguments by name (`customer_id`, `kind`, `channel`,
    `summary`, `value`, `currency`, `payload`, `source`, `direction`, ...); returns the new ids.
    For set-based jobs (e.g. expiring quotes) that would otherwise record one row at a time.
    """
    from payvand.core.services.interactions import record_many

    channels = _known_channels()
    rows = [build_interaction(channels=channels, **item) for item in items]
    return record_many(current_session(), rows)


def create_customer(data: dict[str, Any], *, source: str = "plugin") -> Customer:
    """Create a customer in the current session from API-style input (as `POST /api/v1/customers`).

    `data` is validated with the core's customer schema (names, `emails`/`phones` as strings,
    `consents`, `tags`, `owner_id`, ...; phones read in the deployment's phone region); the
    creation is audited as the request's caller (else the system) and
    `payvand_customer_created` is queued. Raises `ApiError(422)` with field messages on
    invalid input. The caller commits.
    """
    from marshmallow import ValidationError

    from payvand.core.schemas import CustomerIn
    from payvand.core.services.customers import create_customer as create
    from payvand.core.settings import PHONE_REGION

    runtime = _runtime()
    region = str(runtime.setting(current_session(), PHONE_REGION) or runtime.config["PAYVAND_PHONE_REGION"]).upper()
    schema = CustomerIn(region=region, declared=runtime.customer_fields(), channels=runtime.channels())
    try:
        values = schema.load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ApiError(422, "The customer has invalid fields.", fields=messages) from None
    actor = current_actor()
    return create(current_session(), values, actor, source=source)


def audit(action: str, object_type: str, object_id: Any, *, before: dict[str, Any] | None = None,
          after: dict[str, Any] | None = None) -> None:
    """Write an audit-log entry in the current session (committed or rolled back with the change).

    The actor is the request's caller (a staff user or an API token), else the system. Name
    the object type after the plugin's table (`sales_deal`); `before`/`after` hold JSON-ready
    values of the fields that changed.
    """
    from payvand.core.audit import record as write

    actor = current_actor()
    write(current_session(), actor, action, object_type, None if object_id is None else str(object_id),
          before=before, after=after)


def over_rate_limit(key: str, limit: str) -> bool:
    """Count one event for `key`; True when it goes over `limit` (e.g. "5 per 10 minutes").

    Uses the staff UI's rate-limit storage (process memory, or Redis with
    `PAYVAND_RATELIMIT_STORAGE_URI`), so several web processes share the counts.
    When it is over, a 429 response of this request gets `Retry-After` (the seconds until the
    limit lets `key` through again) without the plugin doing more.
    """
    from limits import parse

    limiter = current_app.extensions["payvand_limiter"]
    item = parse(limit)
    if limiter.limiter.hit(item, "payvand.plugin", key):
        return False
    reset_at, _ = limiter.limiter.get_window_stats(item, "payvand.plugin", key)
    note_retry_after(reset_at - time.time())
    return True


def call_hook(name: str, **kwargs: Any) -> list[Any]:
    """Call hook `name` on every active plugin (in a request, a job or a CLI command).

    Returns the non-None results (lists flattened, as pluggy does); a plugin that raises is
    recorded on the plugins page and left out. For plugins that own a contribution hook, such
    as the sales plugin calling `payvand_lead_score`.
    """
    return list(_runtime().plugins.call(name, **kwargs))


def find_customer_ids_by_email(email: str) -> list[int]:
    """Ids of the live (not merged, not erased) customers having `email` (lower-cased), oldest first."""
    import sqlalchemy as sa

    query = (
        sa.select(Customer.id).join(CustomerEmail, CustomerEmail.customer_id == Customer.id)
        .where(CustomerEmail.email == email.strip().lower(), Customer.merged_into_id.is_(None),
               Customer.erased_at.is_(None))
        .order_by(Customer.id)
    )
    return list(current_session().scalars(query))


def search_customers(q: str, limit: int = 10) -> list[Customer]:
    """Live (not merged, not erased) customers matching `q` as the staff customer list searches.

    `q` is an email prefix, a phone fragment (any digits: Persian, Arabic or Latin; `0912…` is
    read in the deployment's phone region) or a name prefix in either order (Persian letters
    folded). At most `limit` (1–100), newest first, with their emails and phones loaded (three
    queries whatever the number); an empty `q` finds nothing.
    """
    import sqlalchemy as sa
    from sqlalchemy.orm import selectinload

    from payvand.core.services.customer_list import search_filter
    from payvand.core.settings import PHONE_REGION

    if not q or not q.strip():
        return []
    runtime = _runtime()
    region = str(runtime.setting(current_session(), PHONE_REGION) or runtime.config["PAYVAND_PHONE_REGION"]).upper()
    query = (
        sa.select(Customer)
        .where(search_filter(q, region), Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))
        .options(selectinload(Customer.emails), selectinload(Customer.phones))
        .order_by(Customer.id.desc()).limit(max(1, min(int(limit), 100)))
    )
    return list(current_session().scalars(query))


def mail_enabled() -> bool:
    """True when outgoing mail is configured (`PAYVAND_SMTP_URL`)."""
    from payvand.core.mail import parse_config

    return parse_config(_runtime().config) is not None


def send_mail(to: str | list[str], subject: str, text: str, *, html: str | None = None,
              attachments: list[Attachment] | tuple[Attachment, ...] = (), reply_to: str | None = None) -> str:
    """Send an email through the configured SMTP server; returns its Message-ID.

    Raises `MailError` when mail is off, there is no recipient or the server refuses. Sending
    is not transactional: call it after the change it reports is safe to keep (or accept that
    a rolled-back change may still have been mailed).
    """
    from payvand.core.mail import send_mail as deliver

    return deliver(_runtime().config, to, subject, text, html=html, attachments=attachments, reply_to=reply_to)


def local_zone() -> dt.tzinfo:
    """The site's time zone: the `core.timezone` setting, else `PAYVAND_TIMEZONE`, else Asia/Tehran.

    Outside a running app or CLI command (a bare session in a script) the environment decides.
    """
    import os
    from zoneinfo import ZoneInfo

    from payvand.core.config import DEFAULTS

    try:
        runtime = _runtime()
    except RuntimeError:
        return ZoneInfo(os.environ.get("PAYVAND_TIMEZONE") or DEFAULTS["PAYVAND_TIMEZONE"])
    name = None
    with contextlib.suppress(Exception):  # no settings table yet (before migrations)
        name = runtime.setting(current_session(), "core.timezone")
    return ZoneInfo(name or runtime.config.get("PAYVAND_TIMEZONE") or DEFAULTS["PAYVAND_TIMEZONE"])


def to_local(moment: dt.datetime) -> dt.datetime:
    """A UTC moment in the site's time zone."""
    return moment.astimezone(local_zone())


def format_date(value: dt.date | dt.datetime | None, style: str = "medium") -> str:
    """A date as the staff pages show it (`|date`): Jalali with Persian digits in `fa`, Gregorian in `en`."""
    from payvand.core.web.i18n import format_date as fmt

    return fmt(value, style)


def format_money(amount: Any, currency: str | None = None) -> str:
    """An exact amount as the staff pages show it (`|money(currency)`), in the current locale."""
    from payvand.core.web.i18n import format_money as fmt

    return fmt(amount, currency)


def format_number(value: Any, decimals: int | None = None) -> str:
    """A number as the staff pages show it (`|number`): locale grouping and digits."""
    from payvand.core.web.i18n import format_number as fmt

    return fmt(value, decimals)


def localize_digits(value: Any) -> str:
    """Text with Persian digits in `fa` (`|digits`); unchanged in `en`."""
    from payvand.core.web.i18n import localize_digits as fmt

    return fmt(value)


def isolate(text: Any) -> str:
    """User text wrapped in the Unicode isolates FSI…PDI (`|isolate`), for messages, titles and options.

    A mixed name such as "Ali (علی) Co." inside a translated sentence keeps its parentheses
    and full stop in place: `flash(gettext("Deal %(title)s saved.", title=isolate(deal.title)))`.
    In markup prefer `<bdi>{{ value }}</bdi>` or `dir="auto"`.
    """
    from payvand.core.locale_format import isolate as wrap

    return wrap(text)


def current_locale() -> str:
    """The current request's language (`fa` or `en`; `flask_babel.force_locale` changes it)."""
    from payvand.core.web.i18n import current_locale as locale

    return locale()



# --------------------------------------------------------------------------- Jalali calendar


def to_jalali(day: dt.date) -> tuple[int, int, int]:
    """A Gregorian date as a Jalali (Solar Hijri) (year, month, day): 2026-03-21 is (1405, 1, 1).

    Total over every date Python holds (proleptic: 0001-01-01 is (-621, 10, 11)).
    """
    from payvand.core.locale_format import jalali_parts

    return jalali_parts(day)


def from_jalali(year: int, month: int, day: int) -> dt.date:
    """A Jalali date as a Gregorian one; ValueError when it does not exist (1404/12/30)."""
    from payvand.core.locale_format import jalali_to_gregorian

    return jalali_to_gregorian(year, month, day)


def jalali_month_days(year: int, month: int) -> int:
    """Days in a Jalali month: 31 in the first six, 30 in the next five, Esfand 29 (30 in leap years)."""
    from payvand.core.locale_format import jalali_is_leap

    if not 1 <= month <= 12:
        raise ValueError(f"Not a month: {month!r}")
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jalali_is_leap(year) else 29


def jalali_month_name(month: int, locale: str = "fa") -> str:
    """A Jalali month's name: Persian in `fa` ("فروردین"), transliterated otherwise ("Farvardin")."""
    import jdatetime

    if not 1 <= month <= 12:
        raise ValueError(f"Not a month: {month!r}")
    names = jdatetime.date.j_months_fa if str(locale).split("_")[0].split("-")[0] == "fa" else jdatetime.date.j_months_en
    return names[month - 1]
