"""The live chat console: waiting and mine, take, answer (typed and canned), transfer, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from payvand.plugins.service.models_bot import LiveChat

from .bot_kit import CHAT_CONFIG, Visitor, team

LIVE = ["service.live_chat", "core.messages.read", "core.customers.read"]


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    return dict(CHAT_CONFIG)


def _conversation_id(runtime: Any) -> int:
    with runtime.sessionmaker() as session:
        return int(session.scalars(sa.select(LiveChat.conversation_id)).one())


def _live(runtime: Any) -> LiveChat:
    with runtime.sessionmaker() as session:
        return session.scalars(sa.select(LiveChat)).one()


@pytest.fixture
def waiting_chat(client, run_jobs, runtime, in_app, make_user) -> tuple[Visitor, int]:
    """A visitor who asked for a person while the English team's only agent was away."""
    team(in_app, "English", ["en"], {make_user(name="Away").id: False})
    visitor = Visitor(client, run_jobs, name="Waiting Walt", lang="en")
    visitor.say("talk to a person")
    return visitor, _conversation_id(runtime)


def test_every_console_route_refuses_a_user_without_the_permission(web_as, waiting_chat):
    _visitor, cid = waiting_chat
    outsider = web_as(["service.ticket.view", "core.messages.read", "core.customers.read"])
    for path in ("/service/live", f"/service/live/{cid}"):
        assert outsider.get(path).status_code == 403, path
    for path, data in ((f"/service/live/{cid}/take", {}), (f"/service/live/{cid}/reply", {"text": "hi"}),
                       (f"/service/live/{cid}/transfer", {"user_id": "1"})):
        assert outsider.post(path, data).status_code == 403, path
    assert web_as(LIVE).post(f"/service/live/{cid}/take", {}, csrf=False).status_code in (400, 403)
    assert outsider.get("/service/reports/bot").status_code == 200  # the report needs service.ticket.view only
    assert web_as([]).get("/service/reports/bot").status_code == 403


def test_an_agent_takes_a_waiting_chat_answers_and_uses_a_canned_answer(web_as, waiting_chat, runtime, run_jobs):
    visitor, cid = waiting_chat
    agent = web_as(LIVE, name="Agent Ava")
    page = agent.get("/service/live")
    assert page.status_code == 200 and "Waiting Walt" in page.text.split("live-mine")[0]
    assert agent.post(f"/service/live/{cid}/take", {}).status_code == 302
    run_jobs()
    assert "You are now talking with Agent Ava" in visitor.replies()[-1]
    assert "Waiting Walt" in agent.get("/service/live").text.split("live-mine")[1]
    assert agent.post(f"/service/live/{cid}/reply", {"text": "Hello Walt, how can I help?"}).status_code == 302
    assert agent.post(f"/service/live/{cid}/reply", {"canned": "0"}).status_code == 302
    assert agent.post(f"/service/live/{cid}/reply", {"canned": "29"}).status_code == 422
    assert agent.post(f"/service/live/{cid}/reply", {"text": "  "}).status_code == 422
    assert agent.post(f"/service/live/{cid}/reply", {"canned": "x"}).status_code == 422
    run_jobs()
    assert visitor.replies()[-2:] == ["Hello Walt, how can I help?", "Hello! How can I help you?"]
    page = agent.get(f"/service/live/{cid}")
    assert "Hello Walt, how can I help?" in page.text and 'id="chat-poller"' in page.text
    assert _live(runtime).state == "assigned"


def test_transfer_to_another_agent_or_a_team_and_only_the_assignee_may(web_as, waiting_chat, runtime, in_app,
                                                                        make_user):
    _visitor, cid = waiting_chat
    first, second = web_as(LIVE, name="First"), web_as(LIVE, name="Second")
    first.post(f"/service/live/{cid}/take", {})
    assert second.post(f"/service/live/{cid}/reply", {"text": "mine now?"}).status_code == 422  # not theirs
    assert first.post(f"/service/live/{cid}/transfer", {"user_id": str(second.user_id)}).status_code == 302
    assert _live(runtime).assignee_id == second.user_id
    assert second.post(f"/service/live/{cid}/transfer", {}).status_code == 422  # neither agent nor team
    assert second.post(f"/service/live/{cid}/transfer", {"user_id": "999999"}).status_code == 422
    fa_agent = make_user(name="Farsi Agent")
    fa_team = team(in_app, "Persian", ["fa"], {fa_agent.id: True})
    assert second.post(f"/service/live/{cid}/transfer", {"team_id": str(fa_team)}).status_code == 302
    live = _live(runtime)
    assert (live.team_id, live.assignee_id, live.state) == (fa_team, fa_agent.id, "assigned")


def test_a_conversation_the_bot_still_has_cannot_be_answered_from_the_console(web_as, client, run_jobs, runtime):
    Visitor(client, run_jobs, lang="en").say("hello there teapot")
    cid = _conversation_id(runtime)
    agent = web_as(LIVE)
    assert agent.post(f"/service/live/{cid}/reply", {"text": "hi"}).status_code == 422
    assert agent.get("/service/live/999999").status_code == 404
