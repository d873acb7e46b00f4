"""The web chat channel: the public API (tokens, CORS, rate limits, retries, matching) and the staff pages."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.messaging import chat
from payvand.core.models import Customer
from payvand.core.models.chat import ChatConversation
from payvand.core.models.message import Message

SITE = "https://shop.example"


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    return {"PAYVAND_CHAT_ENABLED": "1", "PAYVAND_CHAT_ORIGINS": f"{SITE}, https://other.example",
            "PAYVAND_CHAT_RATE_START": "3 per minute", "PAYVAND_CHAT_RATE_POST": "5 per minute",
            "PAYVAND_QUIET_HOURS": "off"}


def _start(client: Any, **body: Any) -> str:
    response = client.post("/chat/v1/conversations", json=body, headers={"Origin": SITE})
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["token"])


def _post(client: Any, token: str, text: str, client_id: str = "abcdefgh01") -> Any:
    return client.post("/chat/v1/messages", json={"text": text, "client_id": client_id},
                       headers={"Origin": SITE, "Authorization": f"Bearer {token}"})


def _fetch(client: Any, token: str, since: int = 0) -> Any:
    return client.get(f"/chat/v1/messages?since={since}", headers={"Authorization": f"Bearer {token}"})


def test_a_visitor_starts_posts_and_fetches_without_a_cookie(client: Any) -> None:
    token = _start(client, name="Sara", lang="en")
    response = _post(client, token, "Hello, is the blue one in stock?")
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    messages = _fetch(client, token).get_json()["messages"]
    assert [(m["from"], m["text"]) for m in messages] == [("visitor", "Hello, is the blue one in stock?")]


def test_a_tampered_token_is_refused_401(client: Any) -> None:
    token = _start(client)
    head, _, tail = token.rpartition(".")
    forged = f"{head}.{'A' if tail[0] != 'A' else 'B'}{tail[1:]}"
    response = _post(client, forged, "hi")
    assert response.status_code == 401
    assert "token" in response.get_json()["errors"]
    assert _fetch(client, "not-a-token").status_code == 401
    assert client.post("/chat/v1/messages", json={"text": "hi", "client_id": "abcdefgh01"}).status_code == 401


def test_a_token_signed_with_another_secret_is_refused(client: Any, app: Any) -> None:
    with app.app_context():
        conversation = ChatConversation(public_id="guessed-id")
        assert _fetch(client, chat.make_token("another secret", conversation)).status_code == 401


def test_invalid_fields_get_422_with_messages_by_field(client: Any) -> None:
    response = client.post("/chat/v1/conversations", json={"email": "not-an-email", "lang": "de"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"email", "lang"}
    token = _start(client)
    response = _post(client, token, "x" * 2001, client_id="short")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"text", "client_id"}
    assert _post(client, token, "   ").status_code == 422


def test_a_retried_post_is_recorded_once(client: Any, runtime: Any) -> None:
    token = _start(client, email="visitor@example.com")
    first = _post(client, token, "Where is my order?", client_id="retry-0001")
    again = _post(client, token, "Where is my order?", client_id="retry-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Message).where(Message.channel == "chat")) == 1


def test_the_visitor_is_matched_to_the_customer_with_that_email(client: Any, runtime: Any, make_customer: Any) -> None:
    customer = make_customer(given_name="Nima", emails=[{"value": "nima@example.com"}])
    token = _start(client, email="Nima@Example.com")
    _post(client, token, "first", client_id="match-0001")
    _post(client, token, "second", client_id="match-0002")
    with runtime.sessionmaker() as session:
        rows = session.scalars(sa.select(Message).where(Message.channel == "chat").order_by(Message.id)).all()
        assert {row.customer_id for row in rows} == {customer.id}
        assert rows[1].thread_id == rows[0].id and rows[1].reply_to_id == rows[0].id
        conversation = session.scalars(sa.select(ChatConversation)).one()
        assert conversation.customer_id == customer.id


def test_a_phone_matches_and_an_unknown_visitor_becomes_one_prospect(client: Any, runtime: Any,
                                                                       make_customer: Any) -> None:
    customer = make_customer(given_name="Reza", phones=[{"value": "09121234567"}])
    token = _start(client, phone="0912 123 4567")
    _post(client, token, "hi", client_id="phone-0001")
    anonymous = _start(client, name="Mina")
    _post(client, anonymous, "one", client_id="anon-00001")
    _post(client, anonymous, "two", client_id="anon-00002")
    with runtime.sessionmaker() as session:
        by_conv = {name: cid for name, cid in session.execute(sa.select(ChatConversation.name, ChatConversation.customer_id))}
        assert by_conv["Mina"] != customer.id
        prospect = session.get(Customer, by_conv["Mina"])
        assert prospect.lifecycle_stage == "prospect" and prospect.given_name == "Mina"
        owners = set(session.scalars(sa.select(Message.customer_id).where(Message.channel == "chat")))
        assert owners == {customer.id, prospect.id}


def test_a_portal_customer_actor_links_the_conversation_at_once(app: Any, runtime: Any, make_customer: Any) -> None:
    from payvand.core.actor import Actor

    customer = make_customer(given_name="Portal", emails=[{"value": "portal@example.com"}])
    with app.app_context(), runtime.sessionmaker() as session:
        conversation = chat.start_conversation(session, actor=Actor.customer(customer.id, "portal@example.com"))
        assert conversation.customer_id == customer.id and conversation.email == "portal@example.com"
        message_id, new = chat.post_message(session, conversation, "Hello from the portal", "portal-001")
        assert new and session.get(Message, message_id).customer_id == customer.id
        session.commit()


def test_cors_only_for_configured_origins(client: Any) -> None:
    allowed = client.options("/chat/v1/conversations", headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    refused = client.options("/chat/v1/conversations", headers={"Origin": "https://evil.example",
                                                                "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    posted = client.post("/chat/v1/conversations", json={}, headers={"Origin": "https://evil.example"})
    assert posted.status_code == 403 and "Access-Control-Allow-Origin" not in posted.headers
    token = _start(client)
    assert _fetch(client, token).headers.get("Access-Control-Allow-Origin") is None  # no Origin, no CORS
    same_site = client.post("/chat/v1/conversations", json={}, headers={"Origin": "http://localhost"})
    assert same_site.status_code == 201


def test_starting_too_often_gets_429_with_retry_after(client: Any) -> None:
    for _ in range(3):
        _start(client)
    response = client.post("/chat/v1/conversations", json={}, headers={"Origin": SITE})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["Access-Control-Allow-Origin"] == SITE  # the widget can read the refusal


def test_posting_too_often_gets_429(client: Any) -> None:
    token = _start(client)
    codes = [_post(client, token, f"m{n}", client_id=f"burst-{n:04d}").status_code for n in range(6)]
    assert codes == [201] * 5 + [429]


def test_chat_off_answers_404(client: Any, app: Any) -> None:
    app.config["PAYVAND_CHAT_ENABLED"] = "0"
    assert client.post("/chat/v1/conversations", json={}).status_code == 404


def test_the_widget_is_served_with_a_versioned_immutable_url(client: Any) -> None:
    latest = client.get("/chat/widget.js")
    assert latest.status_code == 302
    response = client.get(latest.headers["Location"])
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    assert response.mimetype == "text/javascript" and b"data-payvand-chat" in response.data
    assert client.get("/chat/widget/0000000000/chat.js").status_code == 302
    assert client.get(f"/chat/widget/{chat.widget_version()}/chat.css").mimetype == "text/css"


def _conversation_id(runtime: Any) -> int:
    with runtime.sessionmaker() as session:
        return int(session.scalars(sa.select(ChatConversation.id).order_by(ChatConversation.id.desc())).first())


def test_staff_see_the_conversation_and_their_answer_reaches_the_widget(client: Any, web: Any, runtime: Any) -> None:
    token = _start(client, name="Leila")
    _post(client, token, "Do you ship to Shiraz?", client_id="staff-0001")
    listing = web.get("/chat")
    assert listing.status_code == 200 and "Leila" in listing.text
    assert f"/chat/widget/{chat.widget_version()}/chat.js" in listing.text  # the embed snippet for admins
    conversation_id = _conversation_id(runtime)
    page = web.get(f"/chat/{conversation_id}")
    assert "Do you ship to Shiraz?" in page.text
    with runtime.sessionmaker() as session:
        last = session.scalar(sa.select(sa.func.max(Message.id)))
    assert web.get(f"/chat/{conversation_id}/messages?since={last}").status_code == 204  # nothing new: no swap
    answer = web.post(f"/chat/{conversation_id}/reply", {"text": "Yes, in two days.", "since": str(last)},
                      headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "Yes, in two days." in answer.text
    assert "Do you ship to Shiraz?" not in answer.text  # only what is new is appended
    messages = _fetch(client, token).get_json()["messages"]
    assert [(m["from"], m["text"]) for m in messages] == [("visitor", "Do you ship to Shiraz?"),
                                                         ("staff", "Yes, in two days.")]
    with runtime.sessionmaker() as session:
        reply = session.scalars(sa.select(Message).where(Message.direction == "outbound")).one()
        assert (reply.channel, reply.purpose, reply.status, reply.address) == (
            "chat", "service", "delivered", f"chat:{session.get(ChatConversation, conversation_id).public_id}")


def test_an_empty_answer_is_refused_422(client: Any, web: Any, runtime: Any) -> None:
    token = _start(client)
    _post(client, token, "hi", client_id="empty-0001")
    response = web.post(f"/chat/{_conversation_id(runtime)}/reply", {"text": "  "})
    assert response.status_code == 422 and "Write an answer." in response.text


def test_chat_pages_need_the_permission(client: Any, web_as: Any, runtime: Any) -> None:
    token = _start(client)
    _post(client, token, "hi", client_id="perm-00001")
    conversation_id = _conversation_id(runtime)
    assert client.get("/chat").status_code == 302
    reader = web_as(["core.customer.view", "core.messages.read"])
    assert reader.get(f"/chat/{conversation_id}").status_code == 200
    assert reader.post(f"/chat/{conversation_id}/reply", {"text": "x"}).status_code == 403
    assert web_as([]).get("/chat").status_code == 403


def test_a_closed_conversation_leaves_the_list_and_refuses_posts(client: Any, web: Any, runtime: Any) -> None:
    token = _start(client, name="Closing")
    _post(client, token, "bye", client_id="close-0001")
    web.post(f"/chat/{_conversation_id(runtime)}/close", {})
    assert "Closing" not in web.get("/chat").text
    assert _post(client, token, "again", client_id="close-0002").status_code == 409
    assert _fetch(client, token).get_json()["closed"] is True


def test_the_list_runs_a_constant_number_of_queries(client: Any, web: Any, count_queries: Any) -> None:
    token = _start(client)
    _post(client, token, "one", client_id="count-0001")
    with count_queries() as one:
        web.get("/chat/list")
    for n in range(4):
        _post(client, _start(client) if n < 2 else token, f"more {n}", client_id=f"count-{n + 10:04d}")
    with count_queries() as many:
        web.get("/chat/list")
    assert len(one) == len(many)


def test_a_worker_hands_queued_chat_replies_to_the_channel(client: Any, runtime: Any, app: Any) -> None:
    from payvand.core.actor import SYSTEM
    from payvand.core.messaging.dispatch import dispatch_due

    token = _start(client)
    _post(client, token, "hello", client_id="worker-001")
    with app.test_request_context(), runtime.sessionmaker() as session:
        conversation = session.scalars(sa.select(ChatConversation)).one()
        chat.reply(session, conversation, "Queued answer", SYSTEM)
        session.commit()
    assert [m["from"] for m in _fetch(client, token).get_json()["messages"]] == ["visitor"]  # not sent yet
    assert dispatch_due(runtime) == 1
    assert [m["text"] for m in _fetch(client, token).get_json()["messages"]] == ["hello", "Queued answer"]


def test_erasing_the_customer_blanks_their_chat_conversations(client: Any, runtime: Any) -> None:
    from payvand.core.actor import SYSTEM
    from payvand.core.services.privacy import erase_customer

    token = _start(client, name="Erase Me", email="erase@example.com")
    _post(client, token, "my address is 12 Vali-Asr", client_id="erase-0001")
    with runtime.sessionmaker.begin() as session:
        conversation = session.scalars(sa.select(ChatConversation)).one()
        erase_customer(session, session.get(Customer, conversation.customer_id), SYSTEM, runtime.plugins)
    with runtime.sessionmaker() as session:
        conversation = session.scalars(sa.select(ChatConversation)).one()
        assert (conversation.name, conversation.email, conversation.status) == ("", "", "closed")
        assert session.scalars(sa.select(Message.body).where(Message.channel == "chat")).one() == ""
    assert _post(client, token, "again", client_id="erase-0002").status_code == 409


def test_markup_is_kept_as_text_and_shown_escaped(client: Any, web: Any, runtime: Any) -> None:
    token = _start(client, name="Markup")
    _post(client, token, "<script>alert(1)</script> <b>bold</b>", client_id="markup-001")
    assert _fetch(client, token).get_json()["messages"][0]["text"] == "<script>alert(1)</script> <b>bold</b>"
    page = web.get(f"/chat/{_conversation_id(runtime)}/messages").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_list_shows_the_newest_activity_first(client: Any, web: Any) -> None:
    first, second = _start(client, name="Early"), _start(client, name="Later")
    _post(client, first, "one", client_id="order-0001")
    _post(client, second, "two", client_id="order-0002")
    text = web.get("/chat/list").text
    assert text.index("Later") < text.index("Early")
    _post(client, first, "three", client_id="order-0003")
    text = web.get("/chat/list").text
    assert text.index("Early") < text.index("Later")


def test_a_long_persian_message_fits_and_an_oversized_body_gets_413(client: Any) -> None:
    import json

    token = _start(client, lang="fa")
    text = "سلام، سفارشم کی می‌رسد؟ " * 80
    body = json.dumps({"text": text[:2000], "client_id": "persian-01"})  # ensure_ascii: 6 bytes a letter
    response = client.post("/chat/v1/messages", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    assert _fetch(client, token).get_json()["messages"][0]["text"] == text[:2000].strip()
    huge = client.post("/chat/v1/messages", data=" " * 20000, content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})
    assert huge.status_code == 413
