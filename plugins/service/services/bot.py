"""The FAQ bot of the web chat: answers from the knowledge base and other plugins' sources,
offers a person, hands over to an agent of the conversation's language, or takes a ticket.

Every visitor message on the `chat` channel comes here (the `payvand_message_received` hook,
after the commit). While the conversation is the bot's (`LiveChat.state` `bot`/`offered`):

1. "talk to a person" (or "yes" after an offer) → `handoff`: outside the business hours of the
   team's calendar (else the default service calendar) the bot offers to leave a ticket
   (`ticket_offered`; "yes" creates a ticket holding the transcript); in hours an available
   member of a team speaking the conversation's language takes it (`routing.pick_agent`;
   `assigned`), or it waits for one (`waiting`, listed in the live console).
2. otherwise the bot asks its sources: published public articles (`retrieve`, one swappable
   search call) and every `payvand_bot_answerers` answerer; the most confident answer at or
   above `service.bot_threshold` is sent (a short answer citing the article), else the bot
   offers a person.

Once an agent has the conversation the bot is silent. Every answer, offer, handoff and ticket
is a `BotEvent`; `resolution` reports how many conversations the bot answered without a person.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Article, Team, TeamMember
from payvand.plugins.service.models_bot import BotEvent, LiveChat
from payvand.plugins.service.services import kb
from payvand.sdk import (
    SYSTEM,
    BotAnswer,
    BotQuestion,
    ChatConversation,
    MessageRefused,
    ReceivedMessage,
    call_hook,
    fold_text,
    send_message,
    setting,
    utcnow,
)

log = logging.getLogger(__name__)

#: Words that say nothing about the topic (folded), left out of retrieval and of the confidence.
STOPWORDS = frozenset("""
a an the is are was be do does did i my me you your we our it its to of in on for with and or how what when
where why which can could would should will please hi hello thanks thank there this that from at by about
not no yes have has get any some if as am
من ما شما او این آن که را با به از در برای و یا چطور چگونه چه کی کجا چرا آیا است هست هستم بود می نمی
کنم کنید کند شود میشه میخواهم میخوام لطفا سلام ممنون مرسی یک هم تا اگر ولی باید دارم دارید
""".split())
#: What asks for a person (folded words; any one of them).
PERSON_WORDS = frozenset("person human agent operator representative "
                         "اپراتور کارشناس پشتیبان انسان شخص همکار".split())
YES_WORDS = frozenset("yes yeah ok okay sure ticket بله بلی آره باشه حتما تیکت".split())
#: The bot's own texts, in the conversation's language (fa or en).
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "cite": "Read more: {title} — {link}",
        "offer": "I am not sure I can answer that. I can connect you with a person: write \"talk to a person\".",
        "assigned": "You are now talking with {agent}. They can read our conversation so far.",
        "waiting": "All our colleagues are busy; please stay here, someone will answer you shortly.",
        "closed": "We are outside business hours now. Would you like to leave a ticket? Write \"yes\" and we "
                  "will answer you by email as soon as we are back.",
        "ticket": "Thank you. Your ticket #{ticket} has been recorded with this conversation; we will answer you soon.",
    },
    "fa": {
        "cite": "بیشتر بخوانید: {title} — {link}",
        "offer": "مطمئن نیستم بتوانم به این پرسش پاسخ دهم. می‌توانم شما را به یکی از همکاران وصل کنم: بنویسید «کارشناس».",
        "assigned": "اکنون با {agent} گفت‌وگو می‌کنید. ایشان گفت‌وگوی ما تا این‌جا را می‌بینند.",
        "waiting": "همه‌ی همکاران ما مشغول‌اند؛ لطفاً همین‌جا بمانید، به‌زودی پاسخ می‌دهیم.",
        "closed": "اکنون خارج از ساعت کاری هستیم. می‌خواهید درخواستی ثبت کنید؟ بنویسید «بله» تا به‌محض بازگشت پاسخ دهیم.",
        "ticket": "سپاس. درخواست شماره‌ی {ticket} با همین گفت‌وگو ثبت شد؛ به‌زودی پاسخ می‌دهیم.",
    },
}
SUMMARY_CHARS = 300


# --------------------------------------------------------------------------- retrieval


def content_words(text: str) -> list[str]:
    """The folded words of `text` that carry meaning (no stopwords, no one-letter words), in order, once."""
    words = re.findall(r"\w+", fold_text(text) or "")
    return list(dict.fromkeys(w for w in words if len(w) > 1 and w not in STOPWORDS))[:8]


def _search(session: Session, query: str, language: str | None) -> list[Article]:
    # The one line to swap for the full-text engine (`kb.search_articles`) when it lands.
    return kb.search(session, query, language=language, public_only=True, limit=10)


def confidence(words: Sequence[str], article: Article) -> float:
    """How well `article` answers a question of these content words (0 to 1): the share of the
    words whose stem its indexed text holds, weighted 0.6, plus the share its title holds,
    weighted 0.4 (stems as the knowledge base's full-text index makes them: `kb_text.stem`)."""
    from payvand.plugins.service.services.kb_text import stem, terms

    if not words:
        return 0.0
    stems = [stem(word) for word in words]
    text = set((article.search_text or "").split())
    title = set(terms(article.title))
    in_text = sum(word in text for word in stems) / len(stems)
    in_title = sum(word in title for word in stems) / len(stems)
    return round(0.6 * in_text + 0.4 * in_title, 3)


def _any_word(session: Session, words: Sequence[str], language: str | None, limit: int = 20) -> list[Article]:
    """Published public articles holding at least one of `words` (one query), most words first."""
    likes = [Article.search_text.like("%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
                                      escape="\\") for w in words]
    matched = sum((sa.case((like, 1), else_=0) for like in likes), sa.literal(0))
    query = sa.select(Article).where(sa.or_(*likes), Article.status == "published", Article.public.is_(True))
    if language:
        query = query.where(Article.language == language)
    return list(session.scalars(query.order_by(matched.desc(), Article.id.desc()).limit(limit)))


def retrieve(session: Session, question: str, language: str | None = None, limit: int = 3) -> list[tuple[Article, float]]:
    """Published public articles in `language` answering `question`, best first, each with its confidence.

    Candidates are the articles holding every content word (the knowledge base's search); when
    none does, those holding any one of them (one query)."""
    words = content_words(question)
    if not words:
        return []
    found = _search(session, " ".join(words), language) or _any_word(session, words, language)
    scored = sorted(((a, confidence(words, a)) for a in found), key=lambda pair: (-pair[1], -pair[0].id))
    return scored[:limit]


def summary(article: Article) -> str:
    """The article's first paragraph as plain text (Markdown marks dropped), at most 300 characters."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", article.body or "") if p.strip()]
    first = next((p for p in paragraphs if not p.startswith("#")), paragraphs[0] if paragraphs else "")
    text = re.sub(r"[*_`>#]+", "", re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", first))
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


def article_link(article: Article) -> str:
    """The public address of an article (`/help/articles/<id>`, absolute with `PAYVAND_BASE_URL`)."""
    from flask import current_app, has_app_context

    base = str(current_app.config.get("PAYVAND_BASE_URL") or "") if has_app_context() else ""
    return f"{base.rstrip('/')}/help/articles/{article.id}"


def answerers() -> list[Any]:
    """The answer sources other plugins add (`payvand_bot_answerers`)."""
    try:
        return list(call_hook("payvand_bot_answerers"))
    except RuntimeError:  # outside an app: no plugins
        return []


def best_answer(session: Session, question: BotQuestion) -> tuple[BotAnswer | None, int | None]:
    """The most confident answer of every source (the knowledge base first on ties), and its article id."""
    best: BotAnswer | None = None
    article_id = None
    for article, score in retrieve(session, question.text, question.language, limit=1):
        texts = TEXTS.get(question.language, TEXTS["en"])
        link = article_link(article)
        text = f"{summary(article)}\n{texts['cite'].format(title=article.title, link=link)}"
        best, article_id = BotAnswer(text=text, confidence=score, link=link, source="kb"), article.id
    for answerer in answerers():
        try:
            found = answerer.answer(question)
        except Exception:  # noqa: BLE001 - another plugin's source must not stop the bot
            log.exception("bot answerer %s failed", getattr(answerer, "name", answerer))
            continue
        if found is not None and (best is None or found.confidence > best.confidence):
            text = f"{found.text}\n{found.link}" if found.link and found.link not in found.text else found.text
            best = BotAnswer(text, found.confidence, found.link, found.source or answerer.name)
            article_id = None
    return best, article_id


# --------------------------------------------------------------------------- the conversation


def threshold() -> float:
    """The confidence an answer needs (`service.bot_threshold`, 0 to 1)."""
    try:
        return min(1.0, max(0.0, float(setting("service.bot_threshold"))))
    except (TypeError, ValueError):
        return 0.6


def live_chat(session: Session, conversation: ChatConversation) -> LiveChat:
    """The conversation's live-help state (created as the bot's on first use)."""
    live = session.get(LiveChat, conversation.id)
    if live is None:
        language = conversation.language if conversation.language in TEXTS else "fa"
        live = LiveChat(conversation_id=conversation.id, state="bot", language=language, updated_at=utcnow())
        session.add(live)
        session.flush()
    return live


def _text(live: LiveChat, key: str, **values: Any) -> str:
    return TEXTS.get(live.language, TEXTS["fa"])[key].format(**values)


def say(session: Session, conversation: ChatConversation, message_id: int | None, text: str) -> int | None:
    """Queue the bot's message to the visitor (a `service` chat message); its id, or None when refused."""
    if conversation.customer_id is None:
        return None
    try:
        queued = send_message(conversation.customer_id, "chat", body=text, purpose="service", reply_to=message_id,
                              to=conversation.address, source=("service.bot", conversation.id))
    except MessageRefused:
        log.warning("the bot could not answer conversation %s", conversation.id)
        return None
    return queued.id if queued.status != "refused" else None


def record(session: Session, live: LiveChat, kind: str, message_id: int | None = None, **fields: Any) -> BotEvent:
    """Record what the bot did (`BotEvent`)."""
    event = BotEvent(conversation_id=live.conversation_id, message_id=message_id, kind=kind, language=live.language,
                     created_at=utcnow(), **fields)
    session.add(event)
    session.flush()
    return event


def transcript(session: Session, conversation: ChatConversation) -> str:
    """The conversation so far as plain text, one `Visitor:`/`Bot or staff:` line per message."""
    from payvand.sdk import Message

    if conversation.thread_id is None:
        return ""
    rows = session.execute(sa.select(Message.direction, Message.body, Message.created_at).where(
        Message.thread_id == conversation.thread_id, Message.channel == "chat", Message.status != "refused")
        .order_by(Message.id).limit(500))
    return "\n".join(f"[{at:%Y-%m-%d %H:%M}] {'Visitor' if direction == 'inbound' else 'Bot or staff'}: {body}"
                     for direction, body, at in rows)


def _team_for(session: Session, language: str) -> Team | None:
    """A team speaking `language` with an available member (else any speaking it), the smallest id first."""
    teams = [t for t in session.scalars(sa.select(Team).order_by(Team.id)) if language in (t.languages or [])]
    for team in teams:
        if session.scalar(sa.select(TeamMember.user_id).where(TeamMember.team_id == team.id,
                                                             TeamMember.available.is_(True)).limit(1)):
            return team
    return teams[0] if teams else None


def in_business_hours(session: Session, team: Team | None, now: dt.datetime | None = None) -> bool:
    """Whether `now` is inside the team's calendar's open hours (else the default service calendar's)."""
    from payvand.plugins.service.services.sla import hours_of

    moment = (now or utcnow()).astimezone(dt.UTC)
    hours = hours_of(session, team.calendar_id if team is not None else None)
    local_day = moment.astimezone(hours.zone).date()
    return any(start <= moment < end for day in (local_day - dt.timedelta(days=1), local_day)
               for start, end in hours.open_intervals(day))


def agent_name(session: Session, user_id: int) -> str:
    """How the visitor sees an agent: their display name (or "a colleague")."""
    from payvand.sdk import User

    user = session.get(User, user_id)
    return (user.name or "a colleague") if user is not None else "a colleague"


def assign(session: Session, live: LiveChat, conversation: ChatConversation, user_id: int | None,
           team_id: int | None, message_id: int | None = None, *, kind: str = "handoff") -> None:
    """Give the conversation to an agent (`assigned`) or leave it waiting for the team (`waiting`),
    tell the visitor, and record it with the transcript."""
    now = utcnow()
    live.team_id, live.assignee_id = team_id, user_id
    live.state = "assigned" if user_id else "waiting"
    live.handed_over_at = live.handed_over_at or now
    live.updated_at = now
    text = _text(live, "assigned", agent=agent_name(session, user_id)) if user_id else _text(live, "waiting")
    say(session, conversation, message_id, text)
    record(session, live, kind if user_id else "waiting", message_id, agent_id=user_id, team_id=team_id,
           transcript=transcript(session, conversation))


def handoff(session: Session, live: LiveChat, conversation: ChatConversation, message_id: int | None,
            now: dt.datetime | None = None) -> None:
    """The visitor asked for a person: an agent of their language in hours, else the offer of a ticket."""
    from payvand.plugins.service.services.routing import pick_agent

    team = _team_for(session, live.language)
    if not in_business_hours(session, team, now):
        live.state, live.updated_at = "ticket_offered", utcnow()
        say(session, conversation, message_id, _text(live, "closed"))
        record(session, live, "ticket_offer", message_id, team_id=team.id if team else None)
        return
    agent = pick_agent(session, team) if team is not None else None
    assign(session, live, conversation, agent, team.id if team else None, message_id)


def leave_ticket(session: Session, live: LiveChat, conversation: ChatConversation, message_id: int | None) -> int | None:
    """Open a ticket holding the transcript (outside business hours); its id."""
    from payvand.plugins.service.services.tickets import TicketError, create_ticket

    text = transcript(session, conversation)
    first = text.split("\n", 1)[0].split(": ", 1)[-1] if text else ""
    data = {"customer_id": conversation.customer_id, "subject": (first or "Web chat")[:120], "body": text,
            "channel": "chat", "language": live.language, "team_id": live.team_id,
            "references": [f"core.chat:{conversation.id}"]}
    try:
        ticket = create_ticket(session, data, SYSTEM, source="chat", message_id=message_id)
    except TicketError:
        return None
    live.state, live.ticket_id, live.updated_at = "ticket", ticket.id, utcnow()
    say(session, conversation, message_id, _text(live, "ticket", ticket=ticket.id))
    record(session, live, "ticket", message_id, ticket_id=ticket.id, team_id=ticket.team_id,
           transcript=text)
    return ticket.id


def verified(conversation: ChatConversation) -> bool:
    """Whether the visitor is signed in as the conversation's customer (portal); the core's chat
    records no such flag yet, so a visitor is never verified (answerers ask for proof)."""
    return bool(getattr(conversation, "verified", False))


def respond(session: Session, conversation: ChatConversation, message_id: int | None, text: str,
            now: dt.datetime | None = None) -> str:
    """React to one visitor message; what the bot did (`answer`, `offer`, `handoff`, `ticket`, `silent`)."""
    live = live_chat(session, conversation)
    words = set(re.findall(r"\w+", fold_text(text) or ""))
    if live.state in ("assigned", "waiting", "ticket"):
        return "silent"
    if live.state == "ticket_offered":
        if words & YES_WORDS:
            return "ticket" if leave_ticket(session, live, conversation, message_id) else "silent"
        live.state = "bot"
    if words & PERSON_WORDS or (live.state == "offered" and words & YES_WORDS):
        handoff(session, live, conversation, message_id, now)
        return "handoff"
    question = BotQuestion(text=text, language=live.language, customer_id=conversation.customer_id,
                           verified=verified(conversation))
    found, article_id = best_answer(session, question)
    if found is not None and found.confidence >= threshold():
        live.state, live.updated_at = "bot", utcnow()
        say(session, conversation, message_id, found.text)
        record(session, live, "answer", message_id, source=found.source[:64], article_id=article_id,
               confidence=found.confidence)
        return "answer"
    live.state, live.updated_at = "offered", utcnow()
    say(session, conversation, message_id, _text(live, "offer"))
    record(session, live, "offer", message_id, source=found.source[:64] if found else None,
           confidence=found.confidence if found else None)
    return "offer"


def split(messages: Sequence[ReceivedMessage]) -> tuple[list[ReceivedMessage], list[ReceivedMessage]]:
    """(the web chat messages the bot takes, the rest for tickets); all go to tickets when the bot is off."""
    if not setting("service.bot_enabled"):
        return [], list(messages)
    chat = [m for m in messages if m.channel == "chat"]
    return chat, [m for m in messages if m.channel != "chat"]


def receive(session: Session, messages: Sequence[ReceivedMessage]) -> list[str]:
    """The chat part of `payvand_message_received`: the bot reacts to each visitor message once."""
    done = []
    for received in messages:
        public_id = (received.message.headers or {}).get("Chat-Conversation")
        if received.channel != "chat" or received.message.automatic or not public_id:
            continue
        if session.scalar(sa.select(BotEvent.id).where(BotEvent.message_id == received.message_id).limit(1)):
            continue  # delivered again
        conversation = session.scalars(sa.select(ChatConversation).where(
            ChatConversation.public_id == public_id)).first()
        if conversation is None or conversation.status != "open":
            continue
        done.append(respond(session, conversation, received.message_id,
                            received.message.body or received.message.summary or ""))
    return done


# --------------------------------------------------------------------------- the report


def resolution(session: Session, since: dt.datetime | None = None, until: dt.datetime | None = None) -> dict[str, Any]:
    """Bot resolution over conversations the bot took part in (events in [since, until)): how many
    it answered at least once, how many went to a person or a ticket, and the rate of those the
    bot answered that never went to a person or a ticket."""
    query = sa.select(BotEvent.conversation_id, BotEvent.kind)
    if since is not None:
        query = query.where(BotEvent.created_at >= since)
    if until is not None:
        query = query.where(BotEvent.created_at < until)
    kinds: dict[int, set[str]] = {}
    for conversation_id, kind in session.execute(query.distinct()):
        kinds.setdefault(conversation_id, set()).add(kind)
    human = {"handoff", "waiting", "ticket"}
    answered = [k for k in kinds.values() if "answer" in k]
    resolved = sum(1 for k in answered if not k & human)
    escalated = sum(1 for k in kinds.values() if k & human)
    answers = session.scalar(sa.select(sa.func.count()).select_from(BotEvent).where(
        BotEvent.kind == "answer", *([BotEvent.created_at >= since] if since else []),
        *([BotEvent.created_at < until] if until else []))) or 0
    return {"conversations": len(kinds), "answered": len(answered), "resolved_by_bot": resolved,
            "handed_over": escalated, "answers": int(answers),
            "resolution_rate": round(resolved / len(answered), 4) if answered else None}
