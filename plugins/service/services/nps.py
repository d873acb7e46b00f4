"""Net Promoter Score: a relationship survey sent to chosen customers, answered by a signed link.

`invite(campaign, customer_ids, channel)` sends one message per customer (purpose
`marketing.nps`: a survey nobody asked for needs the customer's marketing consent for the
channel, so customers without it are refused by the messaging core and counted as such) with
links `/service/nps/<token>?score=0..10`; the token signs `(campaign, customer id)`. A customer
is invited once per campaign. Opening a link shows the score chosen and a comment box; posting
records the answer on `service_nps_response` and one `service.nps_received` interaction (the
score in its payload: the core's `value` is money and needs a currency). NPS = % promoters
(9–10) − % detractors (0–6), per month of the answers in the site's time zone (Jalali months for
a Persian reader, `report_periods.period_key`).

Sending to a segment: `request_send` records a `service_nps_send` (the customer list's filters
as the Customers page takes them, or a list of ids) with its preview count and emits
`service.nps_send_requested`; the plugin's own subscriber (`run_send`) walks the matching
customers by id in batches after the commit and invites each (`invite`: once per campaign and
customer, so a repeated or retried send skips those already invited). The segment is resolved
when it is sent, by the customer list's own filters (`payvand.sdk.customer_ids`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from payvand.plugins.service.models_nps import NpsResponse, NpsSend
from payvand.sdk import (
    N_,
    SYSTEM,
    Actor,
    Customer,
    CustomerInactive,
    EvaluationProgram,
    EvaluationRow,
    EvaluationScale,
    Event,
    MessageRefused,
    audit,
    config_value,
    customer_ids,
    customer_list,
    emit_event,
    record_interaction,
    send_message,
    utcnow,
)

KIND = "service.nps_received"
PURPOSE = "marketing.nps"
SEND_REQUESTED = "service.nps_send_requested"
#: Customers invited per statement while a send walks its segment.
BATCH = 500
#: The most ids a send by list takes.
MAX_IDS = 5000


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.secret_key), salt="payvand.service.nps")


def token(campaign: str, customer_id: int) -> str:
    """The signed token of a customer's answer link in a campaign."""
    return str(_signer().dumps([campaign, customer_id]))


def read_token(text: str) -> tuple[str, int] | None:
    """(campaign, customer id) a token was made for, or None when it is not ours."""
    try:
        value = _signer().loads(text)
    except BadSignature:
        return None
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], int):
        return value[0], value[1]
    return None


def link(campaign: str, customer_id: int) -> str:
    """The answer link (absolute with PAYVAND_BASE_URL, else a path)."""
    path = f"/service/nps/{token(campaign, customer_id)}"
    try:
        base = config_value("PAYVAND_BASE_URL")
    except KeyError:
        base = None
    return str(base).rstrip("/") + path if base else path


def invite(session: Session, campaign: str, customer_ids: Iterable[int], channel: str = "email") -> dict[str, int]:
    """Send the survey of `campaign` to each customer not yet invited in it: counts sent, refused, skipped."""
    wanted = list(dict.fromkeys(customer_ids))
    done = set(session.scalars(sa.select(NpsResponse.customer_id).where(
        NpsResponse.campaign == campaign, NpsResponse.customer_id.in_(wanted)))) if wanted else set()
    counts = {"sent": 0, "refused": 0, "skipped": len(done)}
    for customer_id in wanted:
        if customer_id in done:
            continue
        url = link(campaign, customer_id)
        lines = "\n".join(f"{n} — {url}?score={n}" for n in range(11))
        body = ("How likely are you to recommend us to a friend or colleague? (0 = not at all, 10 = extremely)\n"
                f"{lines}\n\nچقدر احتمال دارد ما را به دوست یا همکارتان پیشنهاد کنید؟ (۰ = اصلاً، ۱۰ = بسیار زیاد)")
        try:
            queued = send_message(customer_id, channel, subject="Would you recommend us? / ما را پیشنهاد می‌کنید؟",
                                  body=body, purpose=PURPOSE, idempotency_key=f"service.nps:{campaign}:{customer_id}")
        except (MessageRefused, CustomerInactive):
            counts["refused"] += 1
            continue
        session.add(NpsResponse(campaign=campaign, customer_id=customer_id, channel=channel, message_id=queued.id))
        counts["sent"] += 1
    session.flush()
    return counts


def invitation(session: Session, campaign: str, customer_id: int) -> NpsResponse | None:
    """The customer's invitation in a campaign, if one went out."""
    return session.scalar(sa.select(NpsResponse).where(NpsResponse.campaign == campaign,
                                                       NpsResponse.customer_id == customer_id))


def answer(session: Session, row: NpsResponse, score: int, comment: str) -> bool:
    """Record the answer (once): False when already answered."""
    if row.answered_at is not None:
        return False
    row.score, row.comment, row.answered_at = score, comment[:1000], utcnow()
    record_interaction(row.customer_id, KIND, "other",
                       f"NPS {score}/10", payload={"score": score, "campaign": row.campaign, "comment": row.comment},
                       source=("service.nps", row.id))
    session.flush()
    return True


def filter_errors(raw: dict[str, Any]) -> dict[str, list[str]]:
    """Field messages for customer-list filters that are unknown or invalid (empty when valid)."""
    from marshmallow import ValidationError

    params = customer_list().filter_params()
    unknown = {key: ["Not a filter of the customer list."] for key in raw if key not in params}
    if unknown:
        return unknown
    try:
        customer_list().args_schema()().load(raw)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        return {key: value if isinstance(value, list) else [str(value)] for key, value in messages.items()}
    return {}


def _filters(raw: dict[str, Any]) -> dict[str, Any]:
    loaded = customer_list().args_schema()().load(raw)
    params = customer_list().filter_params()
    return {key: value for key, value in loaded.items() if key in params}


def selection(session: Session, filters: dict[str, Any], ids: list[int], actor: Actor) -> sa.Select[Any]:
    """The ids of the customers a send reaches: `ids` when given, else those matching the raw
    customer-list `filters` (validated again here), the actor's record rules applied."""
    if ids:
        return customer_ids(session, {}, actor).where(Customer.id.in_(ids))
    return customer_ids(session, _filters(filters), actor)


def preview(session: Session, filters: dict[str, Any], ids: list[int], actor: Actor) -> int:
    """How many customers a send with these filters or ids would reach now (before consent)."""
    statement = selection(session, filters, ids, actor)
    return int(session.execute(sa.select(sa.func.count()).select_from(statement.subquery())).scalar_one())


def request_send(session: Session, actor: Actor, campaign: str, channel: str, *,
                 filters: dict[str, Any] | None = None, ids: list[int] | None = None) -> NpsSend:
    """Record a send of `campaign`'s survey to a segment (`filters`) or a list (`ids`) and queue it
    (sent after the commit by `run_send`)."""
    wanted = list(dict.fromkeys(ids or []))
    row = NpsSend(campaign=campaign, channel=channel, filters=dict(filters or {}) if not wanted else {},
                  customer_ids=wanted, requested_by_id=actor.user_id,
                  matching=preview(session, filters or {}, wanted, actor))
    session.add(row)
    session.flush()
    audit("create", "service_nps_send", row.id,
          after={"campaign": campaign, "channel": channel, "filters": row.filters, "customers": len(wanted),
                 "matching": row.matching})
    emit_event(SEND_REQUESTED, {"send_id": row.id})
    return row


def run_send(session: Session, send: NpsSend) -> dict[str, int]:
    """Invite every customer of a send not yet invited in its campaign, `BATCH` ids at a time.

    The segment is resolved now with the system actor (a background job has no staff member;
    the customer list has no record rule, so the reach is the one the preview counted).
    """
    totals = {"sent": 0, "refused": 0, "skipped": 0}
    statement = selection(session, send.filters, send.customer_ids, SYSTEM)
    last = 0
    while True:
        batch = list(session.scalars(statement.where(Customer.id > last).order_by(Customer.id).limit(BATCH)))
        if not batch:
            break
        for key, value in invite(session, send.campaign, batch, send.channel).items():
            totals[key] += value
        last = batch[-1]
    send.sent, send.refused, send.skipped = totals["sent"], totals["refused"], totals["skipped"]
    send.finished_at = utcnow()
    session.flush()
    return totals


def send_requested(events: Iterable[Event]) -> None:
    """`service.nps_send_requested` subscriber: run each send (again on a retry: invitations are once)."""
    from payvand.sdk import session as current

    for event in events:
        row = current().get(NpsSend, event["send_id"])
        if row is not None and row.finished_at is None:
            run_send(current(), row)


def recent_sends(session: Session, limit: int = 20) -> list[NpsSend]:
    """The latest send requests, newest first."""
    return list(session.scalars(sa.select(NpsSend).order_by(NpsSend.requested_at.desc(), NpsSend.id.desc())
                                .limit(limit)))


def nps_summary(session: Session, actor: Any, start: dt.datetime, end: dt.datetime,
                dimension: str) -> list[EvaluationRow]:
    """NPS per month (site's time zone; Jalali for a Persian reader) of the answers in `[start, end)`."""
    from payvand.plugins.service.services.report_periods import period_key, reader_locale

    locale = reader_locale(actor)
    rows = session.execute(sa.select(NpsResponse.answered_at, NpsResponse.score).where(
        NpsResponse.answered_at >= start, NpsResponse.answered_at < end, NpsResponse.score.is_not(None)))
    months: dict[str, list[int]] = {}
    for answered_at, score in rows:
        if answered_at is None or score is None:  # excluded by the query; for the type checker
            continue
        months.setdefault(period_key(answered_at, locale), []).append(score)
    return [nps_row(key, scores) for key, scores in sorted(months.items())]


def nps_row(key: str, scores: list[int]) -> EvaluationRow:
    """One period's NPS: % promoters (9–10) minus % detractors (0–6), rounded to one decimal."""
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    score = round(100 * (promoters - detractors) / len(scores), 1)
    return EvaluationRow("period", key, len(scores), score,
                         {PROMOTERS: promoters, PASSIVES: len(scores) - promoters - detractors, DETRACTORS: detractors})


PROMOTERS, PASSIVES, DETRACTORS = N_("Promoters"), N_("Passives"), N_("Detractors")

NPS_PROGRAM = EvaluationProgram(
    key="service.nps",
    label=N_("Net Promoter Score (NPS)"),
    measures=N_("How likely customers are to recommend the company, whatever they bought or asked."),
    collection=N_("A message to chosen customers who consented to marketing on the channel, "
                  "with a signed link per score and a comment box."),
    scale=EvaluationScale(0, 10, N_("0 = not at all likely, 10 = extremely likely"), N_("NPS (promoters − detractors, %)")),
    summarise=nps_summary,
)
