"""The FAQ bot on the web chat: answers from public articles, offers a person, hands over by
language in business hours, takes a ticket outside them, and reports its resolution rate."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from payvand.plugins.service.models import Ticket
from payvand.plugins.service.models_bot import BotEvent, LiveChat
from payvand.plugins.service.services import bot

from .bot_kit import ALWAYS_OPEN, CHAT_CONFIG, Visitor, article, default_calendar, team


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    return dict(CHAT_CONFIG)


def _events(runtime: Any) -> list[BotEvent]:
    with runtime.sessionmaker() as session:
        return list(session.scalars(sa.select(BotEvent).order_by(BotEvent.id)))


@pytest.fixture
def password_article(in_app: Any) -> int:
    """A published public English article about resetting a password, and two that must never be cited."""
    article(in_app, "Reset your password (internal notes)", "Staff: reset a password from the admin page.",
            public=False)
    article(in_app, "Reset your password draft", "Not ready: reset password steps.", status="draft")
    return article(in_app, "How to reset your password",
                   "Open **Settings**, choose *Security* and press Reset password; a link arrives by email.\n\n"
                   "## If no email arrives\nCheck the spam folder.")


def test_the_bot_answers_from_a_public_article_with_a_short_cited_answer(client, run_jobs, runtime,
                                                                          password_article):
    visitor = Visitor(client, run_jobs, name="Sara", lang="en")
    [answer] = visitor.say("How can I reset my password?")
    assert answer.startswith("Open Settings, choose Security and press Reset password; a link arrives by email.")
    assert "spam" not in answer  # the first paragraph only
    assert f"/help/articles/{password_article}" in answer and "How to reset your password" in answer
    [event] = _events(runtime)
    assert (event.kind, event.source, event.article_id) == ("answer", "kb", password_article)
    assert event.confidence >= 0.6
    assert client.get(f"/help/articles/{password_article}").status_code == 200
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0  # chat opens no ticket by itself


def test_internal_and_draft_articles_are_never_shown_publicly(client, in_app):
    hidden = article(in_app, "Secret", "internal", public=False)
    draft = article(in_app, "Draft", "draft", status="draft")
    assert client.get(f"/help/articles/{hidden}").status_code == 404
    assert client.get(f"/help/articles/{draft}").status_code == 404


def test_a_low_confidence_question_gets_the_offer_of_a_person(client, run_jobs, runtime, password_article):
    visitor = Visitor(client, run_jobs, lang="en")
    [offer] = visitor.say("Do you sell blue teapots with a reset button?")
    assert "connect you with a person" in offer
    [event] = _events(runtime)
    assert event.kind == "offer" and event.confidence is not None and event.confidence < 0.6


def test_the_threshold_is_a_setting(client, run_jobs, runtime, in_app, password_article):
    from payvand.core.models import Setting

    [reply] = Visitor(client, run_jobs, lang="en").say("reset my shop password")  # 2 of 3 words: 0.667
    assert reply.startswith("Open Settings")
    with in_app() as session:
        session.add(Setting(key="service.bot_threshold", value=0.9))
    [reply] = Visitor(client, run_jobs, lang="en").say("reset my shop password")
    assert "connect you with a person" in reply


def test_talk_to_a_person_hands_over_to_an_available_agent_of_the_language_with_the_transcript(
        client, run_jobs, runtime, in_app, make_user, password_article):
    persian, away, english = (make_user(name=n) for n in ("Parisa", "Away Ann", "Emma English"))
    team(in_app, "Persian", ["fa"], {persian.id: True})
    team(in_app, "English", ["en"], {away.id: False, english.id: True})
    visitor = Visitor(client, run_jobs, name="Sam", lang="en")
    visitor.say("Do you sell blue teapots?")
    replies = visitor.say("yes")  # after the offer: yes means a person
    assert "You are now talking with Emma English" in replies[-1]
    with runtime.sessionmaker() as session:
        live = session.scalars(sa.select(LiveChat)).one()
        assert (live.state, live.assignee_id) == ("assigned", english.id)
        handoff = session.scalars(sa.select(BotEvent).where(BotEvent.kind == "handoff")).one()
        assert handoff.agent_id == english.id and "Visitor: Do you sell blue teapots?" in handoff.transcript
    assert len(visitor.say("hello, anyone?")) == 2  # the bot is silent once an agent has the chat


def test_a_persian_visitor_asking_for_an_operator_goes_to_the_persian_team(client, run_jobs, runtime, in_app,
                                                                          make_user):
    persian, english = make_user(name="Parisa"), make_user(name="Emma")
    team(in_app, "Persian", ["fa"], {persian.id: True})
    team(in_app, "English", ["en"], {english.id: True})
    visitor = Visitor(client, run_jobs, lang="fa")
    assert "Parisa" in visitor.say("لطفا با یک کارشناس صحبت کنم")[-1]
    assert [e.agent_id for e in _events(runtime)] == [persian.id]


def test_nobody_available_waits_in_the_console(client, run_jobs, runtime, in_app, make_user):
    team(in_app, "English", ["en"], {make_user().id: False})
    visitor = Visitor(client, run_jobs, lang="en")
    assert "someone will answer you shortly" in visitor.say("talk to a person")[-1]
    assert [e.kind for e in _events(runtime)] == ["waiting"]


def test_out_of_hours_the_bot_offers_a_ticket_and_yes_leaves_one_with_the_transcript(
        client, run_jobs, runtime, in_app, make_user):
    team(in_app, "English", ["en"], {make_user().id: True}, schedule={"1": []})  # never open
    visitor = Visitor(client, run_jobs, name="Night Owl", email="owl@example.com", lang="en")
    visitor.say("My invoice total looks wrong")
    assert "outside business hours" in visitor.say("I want a human")[-1]
    assert "Your ticket #" in visitor.say("yes")[-1]
    with runtime.sessionmaker() as session:
        ticket = session.scalars(sa.select(Ticket)).one()
        assert (ticket.channel, ticket.source, ticket.subject) == ("chat", "chat", "My invoice total looks wrong")
        body = ticket.entries[0].body
        assert "Visitor: My invoice total looks wrong" in body and "Visitor: yes" in body
    assert [e.kind for e in _events(runtime)] == ["offer", "ticket_offer", "ticket"]


def test_in_business_hours_follows_the_calendar(in_app):
    import datetime as dt

    default_calendar(in_app, {"6": [["09:00", "17:00"]]})  # Saturdays 09-17 Tehran time
    with in_app() as session:
        saturday_noon = dt.datetime(2026, 12, 5, 8, 30, tzinfo=dt.UTC)  # 12:00 in Tehran
        assert bot.in_business_hours(session, None, saturday_noon)
        assert not bot.in_business_hours(session, None, saturday_noon + dt.timedelta(hours=6))
        assert not bot.in_business_hours(session, None, saturday_noon + dt.timedelta(days=1))


def test_retrieval_folds_persian_and_scores_title_words(in_app):
    found = article(in_app, "بازگرداندن کالا", "برای بازگرداندن کالا تا هفت روز فرصت دارید.", language="fa")
    with in_app() as session:
        [(best, score)] = bot.retrieve(session, "چطور كالا را بازگرداندن كنم؟", "fa")  # Arabic kaf
        assert best.id == found and score == 1.0
        assert bot.retrieve(session, "سلام", "fa") == []  # only stopwords


def test_resolution_rate_in_the_api_and_the_page(client, run_jobs, api, web, in_app, make_user, password_article):
    default_calendar(in_app, ALWAYS_OPEN)
    team(in_app, "English", ["en"], {make_user().id: True})
    Visitor(client, run_jobs, lang="en").say("how to reset my password")  # resolved by the bot
    other = Visitor(client, run_jobs, lang="en")
    other.say("reset my password")
    other.say("talk to a person")  # answered, then handed over
    figures = api.get("service/bot/resolution?days=7").get_json()
    assert figures == {"days": 7, "conversations": 2, "answered": 2, "resolved_by_bot": 1, "handed_over": 1,
                       "answers": 2, "resolution_rate": 0.5}
    assert api.get("service/bot/resolution?days=0").status_code == 422
    page = web.get("/service/reports/bot?days=7")
    assert page.status_code == 200 and 'id="bot-rate">50.0%' in page.text


def test_without_sales_an_order_question_gets_the_offer_of_a_person(client, run_jobs, runtime):
    assert list(runtime.plugins.call("payvand_bot_answerers")) == []
    [reply] = Visitor(client, run_jobs, email="buyer@example.com", lang="en").say("Where is my order O-1405-000001?")
    assert "connect you with a person" in reply
