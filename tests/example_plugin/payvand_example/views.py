"""The staff page of the example plugin: the latest notes and a form to write one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from marshmallow import fields, validate

from payvand.sdk import Customer, FormResult, current_actor, lazy_gettext, parse_form, restrict, session, staff_required
from payvand_example.api import NoteIn
from payvand_example.models import Note

bp = Blueprint("payvand_example", __name__, template_folder="templates")


class NoteForm(NoteIn):
    """The API's note schema; a form sends the customer number as text."""

    customer_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**63 - 1))


LATEST = 50


def _page(form: FormResult, status: int = 200) -> Any:
    notes = session().execute(restrict(
        sa.select(Note.id, Note.text, Note.created_at, Customer.id.label("customer_id"), Customer.display_name)
        .join(Customer, Customer.id == Note.customer_id), current_actor(), Note)  # the record rules of notes
        .order_by(Note.id.desc())
        .limit(LATEST)
    ).all()
    return render_template("payvand_example/notes.html", notes=notes, form=form), status


@bp.get("/example/notes")
@staff_required("payvand_example.note.view")
def notes() -> Any:
    """The latest notes on any customer."""
    return _page(FormResult.empty())


@bp.post("/example/notes")
@staff_required("payvand_example.note.edit")
def add_note() -> Any:
    """Write a note (validated by the same schema as the API)."""
    form = parse_form(NoteForm())
    if form.ok and session().get(Customer, form.data["customer_id"]) is None:
        form.errors["customer_id"] = ["There is no such customer."]
    if not form.ok:
        return _page(form, 422)
    session().add(Note(**form.data))
    session().commit()
    flash(str(lazy_gettext("Note saved.")), "success")
    return redirect(url_for("payvand_example.notes"))
