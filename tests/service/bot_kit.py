"""Helpers of the FAQ bot tests: a visitor on the chat API, articles, teams and calendars."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from payvand.plugins.service.models import Article, Calendar, Team, TeamMember
from payvand.plugins.service.services import kb

SITE = "https://shop.example"
CHAT_CONFIG = {"PAYVAND_CHAT_ENABLED": "1", "PAYVAND_CHAT_ORIGINS": SITE, "PAYVAND_QUIET_HOURS": "off",
               "PAYVAND_CHAT_RATE_POST": "1000 per minute", "PAYVAND_CHAT_RATE_START": "1000 per minute"}
ALWAYS_OPEN = {str(day): [["00:00", "24:00"]] for day in range(1, 8)}


class Visitor:
    """A web chat visitor talking through the public chat API; `say` posts and lets the bot answer."""

    def __init__(self, client: Any, run_jobs: Any, **start: Any) -> None:
        response = client.post("/chat/v1/conversations", json=start, headers={"Origin": SITE})
        assert response.status_code == 201, response.get_json()
        self.client, self.run_jobs, self.token, self.count = client, run_jobs, response.get_json()["token"], 0

    def say(self, text: str) -> list[str]:
        """Post `text`, run the worker once, and return the staff/bot messages the widget shows."""
        self.count += 1
        response = self.client.post("/chat/v1/messages", json={"text": text, "client_id": f"client-{self.count:04d}"},
                                    headers={"Origin": SITE, "Authorization": f"Bearer {self.token}"})
        assert response.status_code == 201, response.get_json()
        self.run_jobs()
        self.run_jobs()  # the bot's answer is queued by the hook, then handed to the chat channel
        return self.replies()

    def replies(self) -> list[str]:
        """Every staff or bot message shown so far."""
        got = self.client.get("/chat/v1/messages?since=0", headers={"Authorization": f"Bearer {self.token}"})
        return [m["text"] for m in got.get_json()["messages"] if m["from"] == "staff"]


def article(in_app: Any, title: str, body: str, *, language: str = "en", status: str = "published",
            public: bool = True) -> int:
    """Write an article; its id."""
    with in_app() as session:
        return kb.save(session, Article(), {"title": title, "body": body, "language": language, "status": status,
                                            "public": public}).id


def team(in_app: Any, name: str, languages: list[str], members: dict[int, bool], schedule: dict | None = None) -> int:
    """A team speaking `languages` with `members` (user id → available) and its own calendar; its id."""
    with in_app() as session:
        calendar = Calendar(name=f"{name} hours", timezone="Asia/Tehran",
                            schedule=ALWAYS_OPEN if schedule is None else schedule, holidays=[])
        session.add(calendar)
        session.flush()
        made = Team(name=name, languages=languages, calendar_id=calendar.id)
        session.add(made)
        session.flush()
        session.add_all([TeamMember(team_id=made.id, user_id=user, available=available)
                         for user, available in members.items()])
        return made.id


def default_calendar(in_app: Any, schedule: dict) -> None:
    """Make the default service calendar (used when no team speaks the language)."""
    with in_app() as session:
        session.execute(sa.update(Calendar).values(is_default=False))
        session.add(Calendar(name="Default hours", timezone="Asia/Tehran", schedule=schedule, holidays=[],
                             is_default=True))
