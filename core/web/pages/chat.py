"""The staff chat pages: open web chat conversations and answering them.

`/chat` lists open conversations, newest activity first (htmx reloads the list every few
seconds); `/chat/<id>` shows one conversation, its messages reloaded by htmx polling, and a
reply box: the reply is queued with `send_message(..., channel="chat", purpose="service")`
and handed to the chat channel at once, so the visitor's widget shows it on its next fetch.
Reading needs `core.messages.read` (and seeing the customer under the record rules);
answering and closing need `core.messages.send`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from payvand.core import permissions as perm
from payvand.core.db import current_session
from payvand.core.messaging import chat
from payvand.core.models.chat import ChatConversation
from payvand.core.web.access import staff_required, staff_user

bp = Blueprint("chat", __name__)

#: Open conversations listed at most (the newest activity first).
LIST_LIMIT = 100
#: Seconds between htmx reloads of the list and of a conversation's messages.
POLL_SECONDS = 3


def _open_rows() -> list[tuple[ChatConversation, str | None]]:
    return chat.open_conversations(current_session(), staff_user(), LIST_LIMIT)


def _conversation(conversation_id: int) -> tuple[ChatConversation, Any]:
    """The conversation and its customer when the user may see them, else 404."""
    found = chat.visible_conversation(current_session(), conversation_id, staff_user())
    if found is None:
        abort(404)
    return found


@bp.get("/chat")
@staff_required(perm.MESSAGES_READ)
def index() -> Any:
    """Open conversations, newest activity first."""
    from payvand.core.web.pages.chat_public import widget_url

    base = str(current_app.config.get("PAYVAND_BASE_URL") or request.host_url).rstrip("/")
    embed = f'<script src="{widget_url(base)}" data-payvand-chat="{base}" defer></script>'
    return render_template("chat/index.html", rows=_open_rows(), poll=POLL_SECONDS, embed=embed,
                           enabled=chat.chat_enabled(current_app.config))


@bp.get("/chat/list")
@staff_required(perm.MESSAGES_READ)
def rows() -> Any:
    """The list's rows (htmx polling)."""
    return render_template("chat/_rows.html", rows=_open_rows())


def _last_id(messages: list[Any], since: int = 0) -> int:
    return max([since, *(m.id for m in messages)])


@bp.get("/chat/<int:conversation_id>")
@staff_required(perm.MESSAGES_READ)
def view(conversation_id: int) -> Any:
    """One conversation: its messages and the reply box."""
    conversation, customer = _conversation(conversation_id)
    messages = chat.thread_messages(current_session(), conversation)
    return render_template("chat/view.html", conversation=conversation, customer=customer, messages=messages,
                           poll=POLL_SECONDS, since=_last_id(messages), errors={})


def _fragment(conversation: ChatConversation, since: int, error: str | None = None, status: int = 200) -> Any:
    """The poller with the new last id and the messages after `since` (appended out of band); 204 when none."""
    messages = chat.thread_messages(current_session(), conversation, since)
    if not messages and error is None and status == 200 and request.method == "GET":
        return "", 204  # htmx keeps the page as it is and polls again
    return render_template("chat/_messages.html", conversation=conversation, messages=messages, error=error,
                           since=_last_id(messages, since), poll=POLL_SECONDS), status


def _since() -> int:
    value = request.values.get("since", "0")
    return int(value) if value.isdigit() and len(value) < 19 else 0


@bp.get("/chat/<int:conversation_id>/messages")
@staff_required(perm.MESSAGES_READ)
def messages(conversation_id: int) -> Any:
    """The messages after `since` (htmx polling): appended to the page's live list."""
    conversation, _customer = _conversation(conversation_id)
    return _fragment(conversation, _since())


@bp.post("/chat/<int:conversation_id>/reply")
@staff_required(perm.MESSAGES_SEND)
def reply(conversation_id: int) -> Any:
    """Send the staff answer; htmx gets the new messages, a plain form post a redirect."""
    conversation, customer = _conversation(conversation_id)
    session = current_session()
    text = (request.form.get("text") or "").strip()
    error = None
    if not text:
        error = _("Write an answer.")
    elif len(text) > 4000:
        error = _("The answer is too long (at most 4000 characters).")
    if error is None:
        try:
            chat.reply(session, conversation, text, staff_user())  # type: ignore[arg-type]
            session.commit()
            chat.deliver_now(current_app.extensions["payvand"])
        except chat.ChatError as exc:
            session.rollback()
            error = str(exc)
    if request.headers.get("HX-Request"):
        return _fragment(conversation, _since(), error, 422 if error else 200)
    if error:
        messages = chat.thread_messages(session, conversation)
        return render_template("chat/view.html", conversation=conversation, customer=customer, messages=messages,
                               poll=POLL_SECONDS, since=_last_id(messages), errors={"text": [error]}), 422
    return redirect(url_for("chat.view", conversation_id=conversation.id))


@bp.post("/chat/<int:conversation_id>/close")
@staff_required(perm.MESSAGES_SEND)
def close(conversation_id: int) -> Any:
    """Close the conversation (it leaves the open list)."""
    conversation, _customer = _conversation(conversation_id)
    chat.close(current_session(), conversation)
    current_session().commit()
    flash(_("The conversation is closed."), "success")
    return redirect(url_for("chat.index"))
