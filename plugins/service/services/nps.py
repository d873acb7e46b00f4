"""Net Promoter Score: a relationship survey sent to chosen customers, answered by a signed link.

`invite(campaign, customer_ids, channel)` sends one message per customer (purpose
`marketing.nps`: a survey nobody asked for needs the customer's marketing consent for the
channel, so customers without it are refused by the messaging core and counted as such) with
links `/service/nps/<token>?score=0..10`; the token signs `(campaign, customer id)`. A customer
is invited once per campaign. Opening a link shows the score chosen and a comment box; posting
records the answer on `service_nps_response` and one `service.nps_received` interaction (the
score in its payload: the core's `value` is money and needs a currency). NPS = % promoters
(9–10) − % detractors (0–6), per calendar month of the answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from payvand.plugins.service.models_nps import NpsResponse
from payvand.sdk import (
    N_,
    CustomerInactive,
    EvaluationProgram,
    EvaluationRow,
    EvaluationScale,
    MessageRefused,
    config_value,
    record_interaction,
    send_message,
    utcnow,
)

KIND = "service.nps_received"
PURPOSE = "marketing.nps"


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


def nps_summary(session: Session, actor: Any, start: dt.datetime, end: dt.datetime,
                dimension: str) -> list[EvaluationRow]:
    """NPS per calendar month of the answers in `[start, end)`: answers, promoters, detractors, score."""
    rows = session.execute(sa.select(NpsResponse.answered_at, NpsResponse.score).where(
        NpsResponse.answered_at >= start, NpsResponse.answered_at < end, NpsResponse.score.is_not(None)))
    months: dict[str, list[int]] = {}
    for answered_at, score in rows:
        if answered_at is None or score is None:  # excluded by the query; for the type checker
            continue
        months.setdefault(f"{answered_at.year:04d}-{answered_at.month:02d}", []).append(score)
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
