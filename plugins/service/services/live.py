"""The live chat console's rules: the waiting and mine lists, taking, transferring and answering
web chats the FAQ bot handed over, and the canned answers.

A conversation is in the console once the bot handed it over (`LiveChat.state` `waiting` or
`assigned`). Any agent with `service.live_chat` may take a waiting one; the assignee (or a
manager with `service.ticket.all`) may transfer it to another agent or to a team (the team's
next available agent takes it, else it waits for that team). Answers go out with
`send_message(..., "chat", purpose="service")` like the core chat's, and the visitor's widget
shows them on its next poll. Every take and transfer is audited and recorded as a `BotEvent`
(`handoff`), so the resolution report counts it as a person's conversation.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Team, TeamMember
from payvand.plugins.service.models_bot import LiveChat
from payvand.plugins.service.services import bot
from payvand.sdk import (
    N_,
    Actor,
    ChatConversation,
    Customer,
    MessageRefused,
    SettingSpec,
    audit,
    restrict,
    send_message,
    setting,
    utcnow,
)

SETTINGS = (
    SettingSpec("service.bot_enabled", True, N_("FAQ bot on the web chat"),
                N_("Answer web chat visitors from public knowledge-base articles before a person does.")),
    SettingSpec("service.bot_threshold", 0.6, N_("FAQ bot confidence threshold"),
                N_("From 0 to 1: below it the bot does not answer and offers a person instead.")),
    SettingSpec("service.canned_answers",
                "Hello! How can I help you?\nOne moment please, I am checking that for you.\n"
                "Is there anything else I can help you with?\nThank you for contacting us. Goodbye!",
                N_("Canned chat answers"), N_("One answer per line; agents send them with one click in the live console.")),
)
LIST_LIMIT = 100


class LiveError(Exception):
    """A refused console action: `message` in English, `field` it is about."""

    def __init__(self, message: str, field: str = "_schema") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def canned_answers() -> list[str]:
    """The canned answers (`service.canned_answers`, one a line)."""
    return [line.strip() for line in str(setting("service.canned_answers") or "").splitlines() if line.strip()][:30]


def _rows(session: Session, actor: Actor, *where: Any) -> list[tuple[LiveChat, ChatConversation, str | None]]:
    visible = restrict(sa.select(Customer.id), actor, Customer)
    query = (sa.select(LiveChat, ChatConversation, Customer.display_name)
             .join(ChatConversation, ChatConversation.id == LiveChat.conversation_id)
             .outerjoin(Customer, Customer.id == ChatConversation.customer_id)
             .where(ChatConversation.status == "open", ChatConversation.customer_id.in_(visible.scalar_subquery()),
                    *where)
             .order_by(ChatConversation.last_activity_at.desc(), ChatConversation.id.desc()).limit(LIST_LIMIT))
    return [(live, conversation, name) for live, conversation, name in session.execute(query)]


def waiting(session: Session, actor: Actor) -> list[tuple[LiveChat, ChatConversation, str | None]]:
    """Handed-over conversations nobody has taken yet, the newest activity first."""
    return _rows(session, actor, LiveChat.state == "waiting")


def mine(session: Session, actor: Actor) -> list[tuple[LiveChat, ChatConversation, str | None]]:
    """The open conversations assigned to `actor`."""
    return _rows(session, actor, LiveChat.state == "assigned", LiveChat.assignee_id == actor.user_id)


def find(session: Session, conversation_id: int, actor: Actor) -> tuple[LiveChat, ChatConversation] | None:
    """A handed-over conversation `actor` may see (its customer under the record rules), else None."""
    from payvand.sdk import get_visible

    live = session.get(LiveChat, conversation_id)
    conversation = session.get(ChatConversation, conversation_id)
    if live is None or conversation is None or conversation.customer_id is None:
        return None
    if get_visible(session, Customer, conversation.customer_id, actor) is None:
        return None
    return live, conversation


def _may_act(live: LiveChat, actor: Actor) -> None:
    if live.state not in ("waiting", "assigned"):
        raise LiveError(N_("The bot still has this conversation (the visitor has not asked for a person)."))
    if live.state == "assigned" and live.assignee_id != actor.user_id and not actor.can("service.ticket.all"):
        raise LiveError(N_("Another agent has this conversation."))


def take(session: Session, live: LiveChat, conversation: ChatConversation, actor: Actor) -> None:
    """Take a waiting conversation (or one transferred to the team)."""
    if live.state != "waiting":
        raise LiveError(N_("This conversation is not waiting."))
    bot.assign(session, live, conversation, actor.user_id, live.team_id, conversation.last_inbound_id)
    audit("take", "service_live_chat", conversation.id, after={"assignee_id": actor.user_id})


def transfer(session: Session, live: LiveChat, conversation: ChatConversation, actor: Actor, *,
             user_id: int | None = None, team_id: int | None = None) -> None:
    """Give the conversation to another agent (`user_id`) or team (`team_id`: its next available agent)."""
    from payvand.plugins.service.services.routing import pick_agent
    from payvand.sdk import User

    _may_act(live, actor)
    before = {"assignee_id": live.assignee_id, "team_id": live.team_id}
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or not getattr(user, "active", True):
            raise LiveError(N_("There is no such agent."), "user_id")
        if user_id == live.assignee_id:
            raise LiveError(N_("The conversation is already theirs."), "user_id")
        team_of_user = session.scalar(sa.select(TeamMember.team_id).where(TeamMember.user_id == user_id).limit(1))
        bot.assign(session, live, conversation, user_id, team_of_user or live.team_id, conversation.last_inbound_id,
                   kind="handoff")
    elif team_id is not None:
        team = session.get(Team, team_id)
        if team is None:
            raise LiveError(N_("There is no such team."), "team_id")
        bot.assign(session, live, conversation, pick_agent(session, team), team.id, conversation.last_inbound_id)
    else:
        raise LiveError(N_("Choose an agent or a team."), "user_id")
    audit("transfer", "service_live_chat", conversation.id, before=before,
          after={"assignee_id": live.assignee_id, "team_id": live.team_id})


def answer(session: Session, live: LiveChat, conversation: ChatConversation, actor: Actor, text: str) -> int | None:
    """Send the agent's answer to the visitor; the message id."""
    _may_act(live, actor)
    if live.state == "waiting":  # answering a waiting conversation takes it
        take(session, live, conversation, actor)
    text = text.strip()
    if not text:
        raise LiveError(N_("Write an answer."), "text")
    if len(text) > 4000:
        raise LiveError(N_("The answer is too long (at most 4000 characters)."), "text")
    if conversation.status != "open" or conversation.customer_id is None:
        raise LiveError(N_("This conversation is closed."), "text")
    try:
        queued = send_message(conversation.customer_id, "chat", body=text, purpose="service",
                              reply_to=conversation.last_inbound_id, to=conversation.address,
                              source=("service.live_chat", conversation.id))
    except MessageRefused as exc:
        raise LiveError(str(exc), "text") from None
    conversation.unread = 0
    conversation.last_activity_at = live.updated_at = utcnow()
    session.flush()
    return queued.id


def agents(session: Session) -> list[tuple[int, str, bool]]:
    """Team members one may transfer to: (user id, name, available), by name."""
    from payvand.sdk import User

    rows = session.execute(sa.select(User.id, User.name, sa.func.max(sa.case((TeamMember.available.is_(True), 1),
                                                                              else_=0)))
                           .join(TeamMember, TeamMember.user_id == User.id).group_by(User.id, User.name)
                           .order_by(User.name, User.id))
    return [(int(uid), name or f"#{uid}", bool(available)) for uid, name, available in rows]


def teams(session: Session) -> list[Team]:
    """Every team, by name."""
    return list(session.scalars(sa.select(Team).order_by(Team.name)))


def messages(session: Session, conversation: ChatConversation, limit: int = 500) -> list[Any]:
    """The conversation's chat messages (not refused ones), oldest first: the transcript the agent reads."""
    from payvand.sdk import Message

    if conversation.thread_id is None:
        return []
    return list(session.scalars(sa.select(Message).where(
        Message.thread_id == conversation.thread_id, Message.channel == "chat", Message.status != "refused")
        .order_by(Message.id).limit(limit)))


def events(session: Session, conversation_id: int) -> list[Any]:
    """What the bot did in a conversation, oldest first."""
    from payvand.plugins.service.models_bot import BotEvent

    return list(session.scalars(sa.select(BotEvent).where(BotEvent.conversation_id == conversation_id)
                                .order_by(BotEvent.id).limit(200)))


def public_article(session: Session, article_id: int) -> Any:
    """A published public article, else None (the bot's citation links open these)."""
    from payvand.plugins.service.models import Article

    article = session.get(Article, article_id)
    return article if article is not None and article.status == "published" and article.public else None
