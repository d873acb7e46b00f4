"""Messages in the staff UI: one message opened in full, its attachments, and the Channels admin page.

A message is shown to staff who may read messages (`core.messages.read`) and see its customer
(and the message itself) under the record rules. Its HTML was sanitised when stored and is
shown in a sandboxed `iframe` (`srcdoc`, no scripts, no same origin), so even markup that
slipped through cannot act on the page. Attachments are served as downloads with their type
checked from the bytes, `nosniff` and a policy that runs nothing. The Channels page lists each
messaging channel (switch, enabled, rate, settings problems, recent errors) with its settings
form — the fields the channel declares, validated by marshmallow; secrets write-only (shown as
set or not set, replaced or cleared, never rendered back); values the environment sets shown
read-only — and a test-send form that uses the saved settings at once.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from payvand.core import permissions as perm
from payvand.core.db import current_session
from payvand.core.models.message import Message
from payvand.core.services.messages import attachment_of, channel_activity, message_details, visible_message
from payvand.core.web.access import staff_required, staff_user
from payvand.core.web.forms import FormResult, parse_form
from payvand.core.web.i18n import format_number
from payvand.core.web.labels import message_badge

bp = Blueprint("messages", __name__)

def _visible_message(customer_id: int, message_id: int) -> Message:
    """The message if it is the customer's and the user may see both, else 404."""
    user = staff_user()
    message = visible_message(current_session(), user, customer_id, message_id) if user is not None else None
    if message is None:
        abort(404)
    return message


@bp.get("/customers/<int:customer_id>/messages/<int:message_id>")
@staff_required(perm.MESSAGES_READ)
def message(customer_id: int, message_id: int) -> Any:
    """One message in full: addresses, status and its receipts, text, sanitised HTML, attachments."""
    row = _visible_message(customer_id, message_id)
    return render_template("customer/message.html", message=row, badge=message_badge(row.status),
                           **message_details(current_session(), row))


@bp.get("/customers/<int:customer_id>/messages/<int:message_id>/attachments/<int:attachment_id>")
@staff_required(perm.MESSAGES_READ)
def attachment(customer_id: int, message_id: int, attachment_id: int) -> Any:
    """An attachment as a download: its type checked from the bytes (else octet-stream), nothing runs."""
    from payvand.core.uploads import FILE_TYPES, UploadRejected, check_upload, download_name

    _visible_message(customer_id, message_id)
    item = attachment_of(current_session(), message_id, attachment_id)
    if item is None:
        abort(404)
    content_type, filename = "application/octet-stream", item.filename or "attachment"
    try:
        found = check_upload(item.content, filename, FILE_TYPES)
        content_type, filename = found.content_type, download_name(filename, found)
    except UploadRejected:
        pass
    response = make_response(item.content)
    response.headers["Content-Type"] = content_type
    from werkzeug.http import dump_options_header

    response.headers["Content-Disposition"] = dump_options_header("attachment", {"filename": filename})
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- channels (admin)


def channel_rows(forms: dict[str, FormResult] | None = None) -> list[dict[str, Any]]:
    """Each messaging channel with what the page shows: switch, enabled, rate, problems, recent errors,
    and its settings (a secret only as set or not set; a value from the environment read-only)."""
    from payvand.core.messaging.channel_settings import channel_state
    from payvand.core.messaging.dispatch import channel_rate

    runtime = current_app.extensions["payvand"]
    session = current_session()
    rows = []
    for name, channel in sorted(runtime.message_channels(fresh=True).items()):
        try:
            problems = list(channel.check())
            enabled = bool(channel.enabled())
        except Exception as exc:  # a broken channel is shown as such, not as a 500
            problems, enabled = [f"{type(exc).__name__}: {exc}"], False
        state = channel_state(session, runtime, channel)
        settings = [{"name": item.field.name, "label": item.field.label, "help": item.field.help,
                     "type": item.field.type, "required": item.field.required, "choices": item.field.choices,
                     "source": item.source, "key": item.key, "is_set": item.is_set,
                     # a secret's value never leaves the server; the others are shown to edit
                     "value": None if item.field.type == "secret" else item.value}
                    for item in state.settings.values()]
        form = (forms or {}).get(name) or FormResult.empty(
            {"switched_on": state.switched_on,
             **{item.field.name: item.value for item in state.settings.values() if item.field.type != "secret"}})
        rows.append({**channel_activity(session, name), "name": name, "label": channel.label or name,
                     "owner": runtime.channel_owner(name), "enabled": enabled, "switched_on": state.switched_on,
                     "rate": channel_rate(runtime.config, channel), "problems": problems,
                     "address_kind": channel.address_kind, "polls": channel.polls, "settings": settings,
                     "form": form})
    return rows


@bp.get("/admin/channels")
@staff_required(perm.CHANNELS_MANAGE)
def channels() -> Any:
    """The Channels page."""
    return render_template("admin/channels.html", channels=channel_rows())


@bp.post("/admin/channels/<name>/settings")
@staff_required(perm.CHANNELS_MANAGE)
def save_settings(name: str) -> Any:
    """Save a channel's switch and settings (validated; secrets write-only; audited), then show the page."""
    from flask_babel import lazy_gettext

    from payvand.core import audit
    from payvand.core.messaging import channel_settings as cs
    from payvand.core.messaging import channel_settings_form as form_kit

    runtime = current_app.extensions["payvand"]
    channel = runtime.message_channels().get(name)
    if channel is None:
        abort(404)
    session = current_session()
    secrets = form_kit.secret_fields(channel)
    plain = [f.name for f in channel.settings_fields if f.type not in ("secret", "bool")]
    form = parse_form(form_kit.form_schema(channel), keep_empty=plain, verbatim=secrets)
    for secret in secrets:  # never sent back to the browser, even with an error
        form.values.pop(secret, None)
    state = cs.channel_state(session, runtime, channel)
    if form.ok:
        for missing in form_kit.required_missing(state, form.data):
            form.errors[missing] = [str(lazy_gettext("Required while the channel is on."))]
    if not form.ok:
        flash(_("The settings were not saved: correct the fields marked below."), "danger")
        return render_template("admin/channels.html", channels=channel_rows({name: form}), open_channel=name), 422
    user = staff_user()
    clear = [secret for secret in secrets if form.data.get(f"clear_{secret}")]
    values = {f.name: form.data.get(f.name) for f in channel.settings_fields}
    changed: list[str] = []
    for attempt in range(2):  # two admins saving the same new key at once: the second one updates it
        try:
            changed = cs.save_channel_settings(session, user if user is not None else audit.SYSTEM, runtime,
                                               channel, bool(form.data.get("switched_on")), values, clear)
            session.commit()
            break
        except IntegrityError:
            session.rollback()
            if attempt:
                flash(_("Someone saved these settings at the same moment; check them and save again."), "warning")
                return redirect(url_for("messages.channels") + f"#channel-{name}")
    cs.forget_read(runtime)
    if changed:
        flash(_("Settings saved: %(count)s changed.", count=format_number(len(changed))), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("messages.channels") + f"#channel-{name}")


@bp.post("/admin/channels/<name>/test")
@staff_required(perm.CHANNELS_MANAGE)
def test_send(name: str) -> Any:
    """Send one test message to an address at once (not queued, no customer), and say what happened."""
    import secrets

    from payvand.core.messaging.contract import OutboundMessage
    from payvand.core.messaging.outbox import normalise_address
    from payvand.core.messaging.store import mail_domain
    from payvand.core.normalize import NormalizationError

    runtime = current_app.extensions["payvand"]
    channel = runtime.message_channels(fresh=True).get(name)
    if channel is None:
        abort(404)
    try:
        address = normalise_address(channel.address_kind, request.form.get("address", ""))
    except NormalizationError:
        address = ""
    if not address:
        flash(_("Give an address to send the test to."), "danger")
        return redirect(url_for("messages.channels"))
    reference = f"<payvand.test.{secrets.token_hex(6)}@{mail_domain(runtime.config)}>"
    test = OutboundMessage(id=0, customer_id=0, channel=name, address=address, purpose="transactional",
                           subject=_("Payvand test message"), body=_("This is a test message from Payvand."),
                           reference=reference, language="fa")
    try:
        [result] = channel.send([test])
    except Exception as exc:
        result = None
        reason = "%s: %s" % (type(exc).__name__, exc)  # noqa: UP031 - not a translated string
        flash(_("The test failed: %(reason)s", reason=reason), "danger")
    if result is not None:
        if result.outcome == "accepted":
            flash(_("The test message was accepted."), "success")
        else:
            flash(_("The test failed: %(reason)s", reason=result.reason), "danger")
    return redirect(url_for("messages.channels"))
