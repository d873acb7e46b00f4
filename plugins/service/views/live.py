"""The live chat console: conversations the FAQ bot handed over (waiting, mine), one conversation
with its transcript (new messages appear by the chat's htmx polling), answers and canned answers,
taking and transferring. Needs `service.live_chat` (and seeing the customer)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.schemas_bot import LiveReplyForm, LiveTransferForm
from payvand.plugins.service.services import live as service
from payvand.plugins.service.views import bp
from payvand.sdk import current_actor, parse_form, session, staff_required

POLL_SECONDS = 3


@bp.route("/service/live")
@staff_required(perm.LIVE_CHAT)
def live() -> Any:
    """Waiting conversations and mine."""
    actor = current_actor()
    return render_template("service/live.html", waiting=service.waiting(session(), actor),
                           mine=service.mine(session(), actor), poll=POLL_SECONDS)


def _found(conversation_id: int) -> tuple[Any, Any]:
    found = service.find(session(), conversation_id, current_actor())
    if found is None:
        abort(404)
    return found


def _page(conversation_id: int, errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    live_chat, conversation = _found(conversation_id)
    messages = service.messages(session(), conversation)
    return render_template(
        "service/live_chat.html", live=live_chat, conversation=conversation, messages=messages,
        since=max([0, *(m.id for m in messages)]), poll=POLL_SECONDS, canned=service.canned_answers(),
        agents=service.agents(session()), teams=service.teams(session()), errors=errors or {},
        events=service.events(session(), conversation.id), me=current_actor().user_id), status


@bp.route("/service/live/<int:conversation_id>")
@staff_required(perm.LIVE_CHAT)
def live_chat(conversation_id: int) -> Any:
    """One handed-over conversation."""
    return _page(conversation_id)


def _act(conversation_id: int, action: Any) -> Any:
    live_chat, conversation = _found(conversation_id)
    try:
        action(live_chat, conversation)
    except service.LiveError as exc:
        session().rollback()
        return _page(conversation_id, {exc.field: [_(exc.message)]}, 422)
    session().commit()
    return redirect(url_for("service.live_chat", conversation_id=conversation_id))


@bp.route("/service/live/<int:conversation_id>/take", methods=["POST"])
@staff_required(perm.LIVE_CHAT)
def live_take(conversation_id: int) -> Any:
    """Take a waiting conversation."""
    return _act(conversation_id, lambda lc, cv: service.take(session(), lc, cv, current_actor()))


@bp.route("/service/live/<int:conversation_id>/reply", methods=["POST"])
@staff_required(perm.LIVE_CHAT)
def live_reply(conversation_id: int) -> Any:
    """Send a typed or canned answer."""
    form = parse_form(LiveReplyForm())
    if not form.ok:
        return _page(conversation_id, form.errors, 422)
    text = form.data["text"]
    if form.data.get("canned") is not None:
        canned = service.canned_answers()
        if form.data["canned"] >= len(canned):
            return _page(conversation_id, {"canned": [_("There is no such canned answer.")]}, 422)
        text = canned[form.data["canned"]]
    return _act(conversation_id, lambda lc, cv: service.answer(session(), lc, cv, current_actor(), text))


@bp.route("/service/live/<int:conversation_id>/transfer", methods=["POST"])
@staff_required(perm.LIVE_CHAT)
def live_transfer(conversation_id: int) -> Any:
    """Transfer to another agent or a team."""
    form = parse_form(LiveTransferForm())
    if not form.ok:
        return _page(conversation_id, form.errors, 422)
    result = _act(conversation_id, lambda lc, cv: service.transfer(
        session(), lc, cv, current_actor(), user_id=form.data.get("user_id"), team_id=form.data.get("team_id")))
    if getattr(result, "status_code", 200) == 302:
        flash(_("The conversation was transferred."), "success")
        return redirect(url_for("service.live"))
    return result
