"""Demo macros (canned responses) in Persian and English, loaded with the service demo data."""

from __future__ import annotations

from sqlalchemy.orm import Session

from payvand.plugins.service.models_macros import Macro

MACROS = (
    {"name": "دریافت درخواست", "language": "fa", "set_status": "open",
     "body": "{customer_name} گرامی، سلام.\nدرخواست شما با شماره {ticket_number} در تاریخ {today} ثبت شد و "
             "به‌زودی پاسخ می‌دهیم.\nبا احترام، {agent_name}"},
    {"name": "حل شد", "language": "fa", "set_status": "solved", "add_tags": ["حل‌شده"],
     "body": "{customer_name} گرامی،\nموضوع «{ticket_subject}» برطرف شد. اگر پرسش دیگری دارید همین نامه را پاسخ دهید."
             "\n{agent_name}"},
    {"name": "منتظر پاسخ مشتری", "language": "fa", "set_status": "pending",
     "body": "{customer_name} گرامی، برای پیگیری درخواست {ticket_number} لطفاً شماره سفارش و تصویر فاکتور را بفرستید."},
    {"name": "Request received", "language": "en", "set_status": "open",
     "body": "Dear {customer_name},\nwe received your request {ticket_number} on {today} and will answer soon.\n"
             "Kind regards, {agent_name}"},
    {"name": "Solved", "language": "en", "set_status": "solved", "add_tags": ["solved"],
     "body": "Dear {customer_name},\n\"{ticket_subject}\" is solved. Reply to this mail if anything is left.\n{agent_name}"},
    {"name": "Escalate (urgent)", "language": None, "set_priority": "urgent", "add_tags": ["escalated"],
     "body": "{agent_name}: escalated on {today}."},
)


def load_demo_macros(session: Session, team_id: int | None = None) -> int:
    """Add the demo macros (the Persian ones for `team_id`, the rest global); how many."""
    for values in MACROS:
        team = team_id if values["language"] == "fa" else None
        session.add(Macro(**{"add_tags": [], **values, "team_id": team}))
    session.flush()
    return len(MACROS)
