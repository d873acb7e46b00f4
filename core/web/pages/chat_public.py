"""The web chat's public side: the widget script and the JSON endpoints it calls.

- `GET /chat/widget/<version>/chat.js` (and `chat.css`): the widget, cached for a year; an old
  version redirects to the current one. `GET /chat/widget.js` redirects to the current version.
- `POST /chat/v1/conversations` `{name?, email?, phone?, lang?, page?}` → 201 `{token, conversation}`.
- `POST /chat/v1/messages` `{text, client_id}` with `Authorization: Bearer <token>` → 201 (or 200
  when that `client_id` was already recorded) `{id}`.
- `GET /chat/v1/messages?since=<id>` with the token → `{messages: [{id, from, text, at}], closed}`.

No session cookie: the signed token (itsdangerous, the app's secret) names the conversation.
CORS: a request from another site gets `Access-Control-Allow-Origin` only when its `Origin` is
one of `PAYVAND_CHAT_ORIGINS`; any other foreign origin is refused 403. Every endpoint is
rate-limited per address through the core's limiter (429 with `Retry-After`); bodies are
bounded, text only, validated with marshmallow (422 with messages by field). The views are
CSRF-exempt (`csrf_exempt`): they act for nobody but the token's visitor.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request, send_file, url_for
from flask_limiter.util import get_remote_address
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from payvand.core.actor import current_actor
from payvand.core.db import current_session
from payvand.core.messaging import chat
from payvand.core.web.access import csrf_exempt, public_page

bp = Blueprint("chat_public", __name__)

#: Largest JSON body accepted by the chat endpoints (bytes).
MAX_BODY = 16 * 1024  # 2,000 characters even when every letter is a 6-byte JSON escape
MAX_TEXT = 2000
CLIENT_ID = r"^[A-Za-z0-9_-]{8,64}$"


def _no_control(value: str) -> None:
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValidationError("Control characters are not allowed.")


class StartIn(Schema):
    """A new conversation: who the visitor says they are (all optional)."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(load_default="", validate=[validate.Length(max=120), _no_control])
    email = fields.Email(load_default="", validate=validate.Length(max=254))
    phone = fields.String(load_default="", validate=validate.Length(max=32))
    lang = fields.String(load_default="fa", validate=validate.OneOf(["fa", "en"]))
    page = fields.String(load_default="", validate=validate.Length(max=500))

    @validates("phone")
    def _phone(self, value: str, **_: Any) -> None:
        from payvand.core.normalize import NormalizationError, normalize_phone

        if value:
            try:
                normalize_phone(value)
            except NormalizationError as exc:
                raise ValidationError(str(exc)) from None


class PostIn(Schema):
    """A visitor's message: plain text and the widget's own id of it (a retry sends the same id)."""

    class Meta:
        unknown = EXCLUDE

    text = fields.String(required=True, validate=[validate.Length(min=1, max=MAX_TEXT), _no_control])
    client_id = fields.String(required=True, validate=validate.Regexp(CLIENT_ID, error="Not a valid message id."))

    @validates("text")
    def _text(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Write a message.")


class FetchIn(Schema):
    """Which messages the widget wants: those after id `since`."""

    class Meta:
        unknown = EXCLUDE

    since = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))


# --------------------------------------------------------------------------- helpers


def _error(status: int, message: str, errors: dict[str, list[str]] | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response


def _own_origin() -> str:
    return request.host_url.rstrip("/")


def _chat_config() -> Any:
    """The app's configuration with the chat values saved on the Channels page over it (the
    environment's values are never saved there, so they still win)."""
    from payvand.core.messaging.channel_settings import saved_layer

    channel = current_app.extensions["payvand"].message_channels().get("chat")
    return ChainMap(dict(saved_layer(channel)), current_app.config) if channel is not None else current_app.config


def _origin_allowed(origin: str) -> bool:
    return origin == _own_origin() or origin in chat.allowed_origins(_chat_config())


@bp.before_request
def _guard() -> Any:
    """Chat off → 404; a foreign origin not configured → 403 (no CORS headers)."""
    if request.endpoint in ("chat_public.widget", "chat_public.widget_latest", "chat_public.stylesheet"):
        return None
    channel = current_app.extensions["payvand"].message_channels().get("chat")
    if not chat.chat_enabled(_chat_config()) or (channel is not None and not channel.switched_on):
        return _error(404, "The web chat is not enabled.")
    origin = request.headers.get("Origin")
    if origin and not _origin_allowed(origin):
        return _error(403, "This web site may not use the chat.")
    if request.method == "OPTIONS":
        return Response(status=204)
    if request.content_length and request.content_length > MAX_BODY:
        return _error(413, "The request is too large.")
    return None


@bp.after_request
def _cors(response: Response) -> Response:
    """`Access-Control-Allow-Origin` for a configured origin; never cached."""
    origin = request.headers.get("Origin")
    if origin and origin in chat.allowed_origins(_chat_config()) and not request.path.startswith("/chat/widget"):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        response.headers["Access-Control-Max-Age"] = "600"
    if request.path.startswith("/chat/v1/"):
        response.headers["Vary"] = "Origin"
        response.headers["Cache-Control"] = "no-store"
    return response


def _limited(action: str, key: str) -> Response | None:
    """Count one `action` for `key`; a 429 response when over the configured rate."""
    from payvand.sdk.web import over_rate_limit

    if over_rate_limit(f"chat.{action}.{key}", chat.rate(current_app.config, action)):
        return _error(429, "Too many requests. Wait a little and try again.")
    return None


def _load(schema: Schema, data: Any) -> tuple[dict[str, Any] | None, Response | None]:
    if not isinstance(data, dict):
        return None, _error(400, "Send a JSON object.")
    try:
        return schema.load(data), None
    except ValidationError as exc:
        return None, _error(422, "The request has invalid fields.", exc.normalized_messages())


def _conversation() -> tuple[Any, Response | None]:
    """The conversation the request's bearer token names, or a 401 response."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    public_id = chat.read_token(str(current_app.config["SECRET_KEY"]), token) if token else None
    found = chat.find_conversation(current_session(), public_id) if public_id else None
    if found is None:
        return None, _error(401, "The chat token is missing, invalid or expired.",
                            {"token": ["Start a new conversation."]})
    return found, None


# --------------------------------------------------------------------------- the widget


def widget_url(base: str) -> str:
    """The versioned URL of the widget script at Payvand's public address `base` (what sites embed)."""
    return base.rstrip("/") + url_for("chat_public.widget", version=chat.widget_version())


def _static(name: str, mimetype: str) -> Response:
    response = send_file(chat.WIDGET_FILE.parent / name, mimetype=mimetype, max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/chat/widget/<version>/chat.js")
@public_page
def widget(version: str) -> Any:
    """The widget script of `version` (another version redirects to the current one)."""
    if version != chat.widget_version():
        return redirect(url_for("chat_public.widget", version=chat.widget_version()))
    return _static("chat.js", "text/javascript")


@bp.route("/chat/widget/<version>/chat.css")
@public_page
def stylesheet(version: str) -> Any:
    """The widget's style sheet (loaded by the script with a `<link>`, no inline style)."""
    if version != chat.widget_version():
        abort(404)
    return _static("chat.css", "text/css")


@bp.route("/chat/widget.js")
@public_page
def widget_latest() -> Any:
    """Redirect to the current widget version."""
    return redirect(url_for("chat_public.widget", version=chat.widget_version()))


# --------------------------------------------------------------------------- the API


@bp.route("/chat/v1/conversations", methods=["POST", "OPTIONS"])
@public_page
@csrf_exempt
def start() -> Any:
    """Start a conversation; a signed-in portal customer (a customer `Actor`) is linked at once."""
    limited = _limited("start", get_remote_address())
    if limited is not None:
        return limited
    data, problem = _load(StartIn(), request.get_json(silent=True))
    if problem is not None or data is None:
        return problem
    session = current_session()
    actor = current_actor()
    conversation = chat.start_conversation(
        session, name=data["name"].strip(), email=data["email"].strip(), phone=data["phone"].strip(),
        language=data["lang"], origin=request.headers.get("Origin", "")[:255], page=data["page"],
        actor=actor if actor.kind == "customer" else None)
    session.commit()
    token = chat.make_token(str(current_app.config["SECRET_KEY"]), conversation)
    return jsonify({"token": token, "conversation": conversation.public_id}), 201


@bp.route("/chat/v1/messages", methods=["POST", "OPTIONS"])
@public_page
@csrf_exempt
def post() -> Any:
    """Record the visitor's message (once per `client_id`)."""
    conversation, problem = _conversation()
    if problem is not None:
        return problem
    limited = _limited("post", f"{get_remote_address()}.{conversation.public_id}")
    if limited is not None:
        return limited
    data, problem = _load(PostIn(), request.get_json(silent=True))
    if problem is not None or data is None:
        return problem
    session = current_session()
    try:
        message_id, new = chat.post_message(session, conversation, data["text"].strip(), data["client_id"])
    except chat.ChatError as exc:
        return _error(409, str(exc))
    session.commit()
    return jsonify({"id": message_id}), 201 if new else 200


@bp.route("/chat/v1/messages", methods=["GET"])
@public_page
def fetch() -> Any:
    """The conversation's messages after `since` (the widget polls this)."""
    conversation, problem = _conversation()
    if problem is not None:
        return problem
    limited = _limited("fetch", f"{get_remote_address()}.{conversation.public_id}")
    if limited is not None:
        return limited
    data, problem = _load(FetchIn(), request.args.to_dict())
    if problem is not None or data is None:
        return problem
    session = current_session()
    messages = chat.messages_since(session, conversation, data["since"])
    session.commit()
    return jsonify({"messages": messages, "closed": conversation.status != "open"})
