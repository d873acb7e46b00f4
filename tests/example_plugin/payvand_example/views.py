"""The staff page of the example plugin: the latest notes and a form to write one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from marshmallow import ValidationError, fields, validate

from payvand.sdk import (
    Customer,
    FormResult,
    csv_response,
    current_staff,
    lazy_gettext,
    list_args,
    list_view,
    parse_form,
    session,
    staff_required,
)
from payvand_example.api import NoteIn
from payvand_example.lists import NOTES
from payvand_example.models import Note

bp = Blueprint("payvand_example", __name__, template_folder="templates")


class NoteForm(NoteIn):
    """The API's note schema; a form sends the customer number as text."""

    customer_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**63 - 1))


def _page(form: FormResult, status: int = 200) -> Any:
    view = list_view(NOTES, session(), current_staff(), "payvand_example.notes")
    return render_template("payvand_example/notes.html", view=view, form=form), status if form.errors else view.status


@bp.get("/example/notes.csv")
@staff_required("payvand_example.note.view")
def notes_csv() -> Any:
    """The notes matching the page's filters, as CSV (streamed, formula-guarded)."""
    try:
        args = list_args(NOTES)
    except ValidationError as exc:
        return {"errors": exc.messages}, 400
    return csv_response(NOTES, session(), args, current_staff(), "notes.csv")


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
