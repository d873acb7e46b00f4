"""Demo data of the service plugin: a calendar, two teams, assignment rules, SLA policies, contracts and tickets."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import sqlalchemy as sa

from payvand.plugins.service.models import AssignmentRule, Calendar, Contract, SlaPolicy, Team, TeamMember
from payvand.plugins.service.services import hours as bh
from payvand.sdk import SYSTEM, Customer, User, session

_SUBJECTS = [
    ("question", "fa", "ساعت کاری فروشگاه"), ("problem", "fa", "چاپگر روشن نمی‌شود"),
    ("request", "fa", "درخواست فاکتور رسمی"), ("complaint", "fa", "تأخیر در ارسال سفارش"),
    ("return", "fa", "مرجوعی کالای معیوب"), ("question", "en", "Do you ship abroad?"),
    ("problem", "en", "The app crashes on login"), ("request", "en", "Please update my address"),
]


def load_service_demo(seed: int = 1) -> dict[str, int]:
    """Create the demo help desk once (nothing when a team exists); the counts created."""

    s = session()
    if s.scalar(sa.select(sa.func.count()).select_from(Team)):
        return {}
    rng = random.Random(seed)
    s.add(Calendar(name="Tehran office", timezone="Asia/Tehran", schedule=bh.IRANIAN_WEEK,
                   holidays=bh.IRANIAN_HOLIDAYS, is_default=True, lunar_holidays=True))
    users = list(s.scalars(sa.select(User.id).order_by(User.id).limit(4)))
    fa = Team(name="پشتیبانی فارسی", languages=["fa"], strategy="round_robin")
    en = Team(name="English support", languages=["en"], strategy="least_open")
    s.add_all([fa, en])
    s.flush()
    for index, user in enumerate(users):
        s.add(TeamMember(team_id=(fa if index % 2 == 0 else en).id, user_id=user))
    s.add_all([AssignmentRule(position=1, language="en", team_id=en.id),
               AssignmentRule(position=2, team_id=fa.id)])
    s.add_all([SlaPolicy(name="Urgent", position=1, priority="urgent", first_response_minutes=60,
                         next_response_minutes=120, resolution_minutes=480),
               SlaPolicy(name="Standard", position=9, first_response_minutes=240, next_response_minutes=480,
                         resolution_minutes=2400)])
    s.flush()
    customers = list(s.scalars(sa.select(Customer.id).where(Customer.merged_into_id.is_(None),
                                                            Customer.erased_at.is_(None)).order_by(Customer.id).limit(200)))
    gold = SlaPolicy(name="Gold contract", position=0, first_response_minutes=30, next_response_minutes=60,
                     resolution_minutes=240)
    s.add(gold)
    s.flush()
    start = dt.date.today() - dt.timedelta(days=90)
    for customer_id in customers[:5]:
        s.add(Contract(customer_id=customer_id, name="پشتیبانی طلایی", starts_on=start,
                       ends_on=start + dt.timedelta(days=365), included_tickets=10, included_minutes=600,
                       sla_policy_id=gold.id))
    s.flush()
    made = _demo_tickets(rng, customers) if customers else 0
    from payvand.plugins.service.demo_macros import load_demo_macros
    from payvand.plugins.service.kb_demo import load_kb_demo

    macros = load_demo_macros(s, fa.id)
    articles = load_kb_demo(s)
    return {"service_articles": articles, "service_teams": 2, "service_contracts": min(5, len(customers)),
            "service_tickets": made, "service_macros": macros,
            "service_complaint_causes": _demo_complaints(rng), **_demo_opinions(rng, customers)}


#: Demo tickets over the two years before today (more of them recently, as a growing business has).
DEMO_TICKETS = 320
_REPLIES = {
    "fa": ("سلام، درخواست شما بررسی شد و انجام شد. اگر پرسش دیگری دارید همین‌جا بنویسید.",
           "با پوزش از تأخیر؛ موضوع را پیگیری کردیم و برطرف شد."),
    "en": ("Hello, we have looked into this and it is sorted now. Reply here if anything else comes up.",
           "Sorry for the wait; we followed this up and it is fixed."),
}


def _demo_tickets(rng: random.Random, customers: list[int]) -> int:
    """`DEMO_TICKETS` tickets in Persian and English spread over two years: each is created through
    the service (routing, SLA, audit, timeline), answered and mostly solved, then moved back in time
    as a whole (opened, answered, solved and closed times, due times, entries and its timeline
    entries), so the reports, the SLA achievement and the dashboard have two years of history.
    Replies of the past are recorded on the ticket only (nothing is sent)."""
    from payvand.plugins.service.services import sla
    from payvand.plugins.service.services.tickets import _add_entry, create_ticket
    from payvand.plugins.service.services.timeline import note_on_timeline
    from payvand.sdk import Interaction

    s = session()
    agents = list(s.scalars(sa.select(User.id).order_by(User.id).limit(4)))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for n in range(DEMO_TICKETS):
        kind, language, subject = rng.choice(_SUBJECTS)
        ticket = create_ticket(s, {"customer_id": customers[n % len(customers)], "type": kind, "subject": subject,
                                   "language": language, "body": subject,
                                   "priority": rng.choice(["low", "normal", "normal", "normal", "high", "urgent"])},
                               SYSTEM, source=rng.choice(["email", "email", "chat", "form", "staff"]))
        age = dt.timedelta(days=730 * rng.random() ** 1.6, minutes=rng.randint(0, 1439))
        if age < dt.timedelta(days=2) and rng.random() < 0.5:
            made_at = now - age  # some of the last days' tickets wait for their first answer
            _shift(s, ticket, now - made_at)
            continue
        answered = min(48.0, 0.2 + rng.expovariate(1 / 4))  # hours to the first answer (mean about 4)
        _add_entry(ticket, "reply", rng.choice(_REPLIES[language]), agents[n % len(agents)] if agents else None,
                   public=True, at=now)
        sla.staff_answered(ticket, now)
        ticket.status = "open"
        solved = age > dt.timedelta(days=3) or rng.random() < 0.5
        if solved:  # no survey goes out for the past: the ratings come from `_demo_opinions`
            ticket.status = "solved"
            note_on_timeline(ticket, "service.ticket_solved", f"Ticket #{ticket.id} solved")
        s.flush()
        created = now - age
        _shift(s, ticket, now - created)
        reply_at = created + dt.timedelta(hours=answered)
        ticket.first_response_at = reply_at
        ticket.entries[-1].created_at = reply_at
        if ticket.status == "solved":
            ticket.solved_at = reply_at + dt.timedelta(hours=rng.uniform(0.5, 96.0))
            ticket.updated_at = ticket.solved_at
            if ticket.solved_at < now - dt.timedelta(days=7):
                ticket.status, ticket.closed_at = "closed", ticket.solved_at + dt.timedelta(days=7)
        if ticket.solved_at is not None:
            s.execute(sa.update(Interaction).where(Interaction.source_type == "service.ticket",
                                                   Interaction.source_id == str(ticket.id),
                                                   Interaction.kind == "service.ticket_solved")
                      .values(occurred_at=ticket.solved_at))
    s.flush()
    return DEMO_TICKETS


def _shift(s: Any, ticket: Any, back: dt.timedelta) -> None:
    """Move a ticket made now, its entries and its timeline entries `back` into the past (its due
    times too)."""
    from payvand.sdk import Interaction

    for column in ("created_at", "updated_at", "first_response_at", "solved_at", "closed_at",
                   "first_response_due_at", "next_response_due_at", "resolution_due_at", "paused_at"):
        value = getattr(ticket, column)
        if value is not None:
            setattr(ticket, column, value - back)
    for entry in ticket.entries:
        entry.created_at = entry.created_at - back
    for interaction in s.scalars(sa.select(Interaction).where(Interaction.source_type == "service.ticket",
                                                              Interaction.source_id == str(ticket.id))):
        interaction.occurred_at = interaction.occurred_at - back


def _demo_opinions(rng: random.Random, customers: list[int]) -> dict[str, int]:
    """Satisfaction ratings of about half the solved tickets (a day or two after solving) and a
    quarterly relationship NPS survey over the two years, so the KPI dashboard's CSAT and NPS and
    the Evaluation report have figures in every period."""
    from payvand.plugins.service.models import Ticket
    from payvand.plugins.service.models_nps import NpsResponse
    from payvand.plugins.service.services import csat

    s = session()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rated = 0
    for ticket in s.scalars(sa.select(Ticket).where(Ticket.status.in_(("solved", "closed"))).order_by(Ticket.id)):
        if rng.random() < 0.45:  # not every customer answers the survey
            continue
        interaction = csat.record(s, ticket, rng.choice((5, 5, 4, 4, 4, 3, 2)), "")
        interaction.occurred_at = min(now, (ticket.solved_at or now) + dt.timedelta(hours=rng.uniform(1, 48)))
        rated += 1
    answers = []
    for quarter in range(8):  # a relationship survey each quarter of the two years
        sent = now - dt.timedelta(days=91 * quarter + 30)
        answers += [NpsResponse(campaign=f"demo-{8 - quarter}", customer_id=customer_id, channel="email", sent_at=sent,
                                score=rng.choice((10, 10, 9, 9, 8, 7, 6, 4)),
                                answered_at=sent + dt.timedelta(days=rng.randint(0, 20)))
                    for customer_id in customers[:30] if rng.random() < 0.6]
    s.add_all(answers)
    s.flush()
    return {"service_ratings": rated, "service_nps_answers": len(answers)}


def _demo_complaints(rng: random.Random) -> int:
    """Root causes of complaints, and the demo's complaint tickets filed under them."""
    from payvand.plugins.service.models import Ticket
    from payvand.plugins.service.services.complaints import add_cause, file_complaint

    s = session()
    causes = [add_cause(s, name) for name in ("تأخیر در ارسال", "کالای معیوب", "خطای صورتحساب", "برخورد نامناسب")]
    for ticket in s.scalars(sa.select(Ticket).where(Ticket.type == "complaint")):
        file_complaint(s, ticket, rng.choice(causes).id)
    return len(causes)
