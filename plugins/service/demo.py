"""Demo data of the service plugin: a calendar, two teams, assignment rules, SLA policies, contracts and tickets."""

from __future__ import annotations

import datetime as dt
import random

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
    from payvand.plugins.service.services.tickets import change, create_ticket

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
                                                            Customer.erased_at.is_(None)).order_by(Customer.id).limit(40)))
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
    made = 0
    for customer_id in customers:
        kind, language, subject = rng.choice(_SUBJECTS)
        ticket = create_ticket(s, {"customer_id": customer_id, "type": kind, "subject": subject, "language": language,
                                   "body": subject, "priority": rng.choice(["low", "normal", "normal", "high"])},
                               SYSTEM, source="email")
        ticket.created_at = ticket.created_at - dt.timedelta(days=rng.randint(0, 60))
        if rng.random() < 0.4:
            change(s, ticket, SYSTEM, {"status": "solved"})
        made += 1
    from payvand.plugins.service.demo_macros import load_demo_macros
    from payvand.plugins.service.kb_demo import load_kb_demo

    macros = load_demo_macros(s, fa.id)
    articles = load_kb_demo(s)
    return {"service_articles": articles, "service_teams": 2, "service_contracts": min(5, len(customers)),
            "service_tickets": made, "service_macros": macros,
            "service_complaint_causes": _demo_complaints(rng), **_demo_opinions(rng, customers)}


def _demo_opinions(rng: random.Random, customers: list[int]) -> dict[str, int]:
    """Satisfaction ratings of the solved tickets and NPS answers over the last two months, so the
    KPI dashboard's CSAT and NPS and the Evaluation report have figures."""
    from payvand.plugins.service.models import Ticket
    from payvand.plugins.service.models_nps import NpsResponse
    from payvand.plugins.service.services import csat

    s = session()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rated = 0
    for ticket in s.scalars(sa.select(Ticket).where(Ticket.status == "solved").order_by(Ticket.id)):
        interaction = csat.record(s, ticket, rng.choice((5, 5, 4, 4, 4, 3, 2)), "")
        interaction.occurred_at = now - dt.timedelta(days=rng.randint(0, 55))  # spread over two months
        rated += 1
    answers = [NpsResponse(campaign="demo", customer_id=customer_id, channel="email",
                           sent_at=now - dt.timedelta(days=60), score=rng.choice((10, 10, 9, 9, 8, 7, 6, 4)),
                           answered_at=now - dt.timedelta(days=rng.randint(0, 55)))
               for customer_id in customers[:30]]
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
