"""`/api/v1/example/notes`: list and write notes on a customer."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from payvand.sdk import (
    ApiBlueprint,
    ApiError,
    Customer,
    api_page,
    config_value,
    current_actor,
    emit_event,
    require,
    session,
)
from payvand_example.lists import NOTES
from payvand_example.models import Note

blp = ApiBlueprint("payvand_example", __name__, url_prefix="/example", description="Example plugin: customer notes.")

MAX_ID = 2**63 - 1


class NoteIn(Schema):
    """A new note."""

    customer_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


class NotePage(Schema):
    """One page of notes; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(lambda: NoteOut()), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class NoteOut(Schema):
    """A note."""

    id = fields.Integer(required=True)
    customer_id = fields.Integer(required=True)
    text = fields.String(required=True)
    created_at = fields.DateTime(required=True)


@blp.route("/notes")
class Notes(MethodView):
    """A customer's notes."""

    @require("payvand_example.note.view")
    @blp.arguments(NOTES.args_schema("NoteListArgs"), location="query", unknown=RAISE)
    @blp.response(200, NotePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Notes, oldest first (filters `customer_id`, `text__contains`, ...; cursor pages)."""
        return api_page(NOTES, session(), args, current_actor())

    @require("payvand_example.note.edit")
    @blp.arguments(NoteIn)
    @blp.response(201, NoteOut)
    def post(self, data: dict[str, Any]) -> Note:
        """Write a note on a customer."""
        if session().get(Customer, data["customer_id"]) is None:
            raise ApiError(404, f"There is no customer {data['customer_id']}.")
        longest = config_value("PAYVAND_EXAMPLE_NOTE_MAX_LENGTH")
        if len(data["text"]) > longest:
            raise ApiError(422, "The note is too long.", fields={"text": [f"At most {longest} characters."]})
        note = Note(customer_id=data["customer_id"], text=data["text"])
        session().add(note)
        session().flush()
        emit_event("payvand_example.note_added", {"note_id": note.id, "customer_id": note.customer_id})
        session().commit()  # the note and its event together
        return note
