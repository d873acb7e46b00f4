"""Lead import page: upload a CSV file (size and type checked), import it, show what was done.

The import runs in the request, so the file is limited to `PAYVAND_LEAD_IMPORT_MAX_MB` (default
5 MB, about 50,000 rows, some 15–25 s; larger files go through `payvand sales import-leads`). The result
(counts and the first `KEPT_REJECTS` rejected rows)
is kept in the staff session for the result page and its rejects CSV download, so the upload
is a POST/redirect/GET and a reload does not import twice.
"""

from __future__ import annotations

import io
import re
from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask import session as web_session

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.services import lead_import as service
from payvand.plugins.sales.services.csv_rows import CsvFileError
from payvand.plugins.sales.views import bp
from payvand.sdk import (
    FormResult,
    UploadRejected,
    check_upload,
    current_staff,
    format_number,
    isolate,
    localize_digits,
    session,
    staff_required,
)
from payvand.sdk import gettext as _
from payvand.sdk import lazy_gettext as _l

RESULT_KEY = "sales.lead_import"
SUFFIXES = (".csv", ".txt")
#: Content types browsers send for a CSV file (Excel on Windows says vnd.ms-excel).
CONTENT_TYPES = ("text/csv", "text/plain", "application/csv", "text/comma-separated-values",
                 "application/vnd.ms-excel", "application/octet-stream", "")
KEPT_REJECTS = 5000
SHOWN_REJECTS = 200
_SLACK = 64 * 1024
DUPLICATE_LABELS = {"skip": _l("Skip the row"), "update": _l("Update the existing lead")}


def max_bytes() -> int:
    """The largest file accepted, in bytes (`PAYVAND_LEAD_IMPORT_MAX_MB`, default 5)."""
    return int(float(current_app.config.get("PAYVAND_LEAD_IMPORT_MAX_MB", 5)) * 1024 * 1024)


@bp.url_value_preprocessor
def _import_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Let the import route (only) read bodies up to the import limit (before the CSRF check reads it)."""
    if endpoint == "sales.lead_import_upload":
        request.max_content_length = max_bytes() + _SLACK


def _page(form: FormResult, status: int = 200) -> Any:
    return render_template("sales/lead_import.html", form=form, duplicates=list(DUPLICATE_LABELS.items()),
                           limit_mb=format(max_bytes() / (1024 * 1024), "g"), columns=service.COLUMNS), status


def _read_upload(form: FormResult) -> bytes | None:
    """The uploaded file's bytes after the name, type, size and text checks (errors go to the form)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.errors["file"] = [_("Choose a CSV file to import.")]
        return None
    name = upload.filename.lower()
    mimetype = (upload.mimetype or "").lower()
    if not name.endswith(SUFFIXES) or mimetype not in CONTENT_TYPES:
        form.errors["file"] = [_("Only CSV files (.csv or .txt) can be imported.")]
        return None
    limit = max_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        megabytes = format(limit / (1024 * 1024), "g")
        form.errors["file"] = [_("The file is larger than %(limit)s MB.", limit=megabytes)]
        return None
    if not data.strip():
        form.errors["file"] = [_("The file is empty.")]
        return None
    try:
        check_upload(data, upload.filename, ("csv",))  # text, not a binary file or a web page
    except UploadRejected as exc:
        form.errors["file"] = [_("This is not a text (CSV) file.") if exc.code == "type" else exc.message]
        return None
    return data


@bp.get("/sales/leads/import")
@staff_required(perm.LEAD_EDIT)
def lead_import() -> Any:
    """The upload form of the lead import."""
    return _page(FormResult.empty({"on_duplicate": "skip"}))


@bp.post("/sales/leads/import")
@staff_required(perm.LEAD_EDIT)
def lead_import_upload() -> Any:
    """Import the uploaded file; then show the result (POST/redirect/GET)."""
    user = current_staff()
    assert user is not None  # guaranteed by staff_required
    values = {"on_duplicate": request.form.get("on_duplicate", "skip"), "dry_run": request.form.get("dry_run", "")}
    form = FormResult(values=values, errors={})
    if values["on_duplicate"] not in service.ON_DUPLICATE:
        form.errors["on_duplicate"] = [_("Choose what to do with duplicates.")]
    data = _read_upload(form)
    if data is None or form.errors:
        return _page(form, 422)
    dry_run = values["dry_run"] in ("1", "on")
    filename = (request.files["file"].filename or "leads.csv")[-200:]
    try:
        result = service.import_leads(io.BytesIO(data), on_duplicate=values["on_duplicate"], owner_id=user.user_id,
                                      only_owner=None if user.can(perm.MANAGE) else user.user_id, dry_run=dry_run,
                                      name=filename)
    except CsvFileError as exc:
        session().rollback()
        form.errors["file"] = [_("The file cannot be imported: %(reason)s", reason=str(exc))]
        return _page(form, 422)
    if dry_run:
        session().rollback()
    else:
        session().commit()
    rejects = result.rejects
    web_session[RESULT_KEY] = {"file": filename, **result.summary(), "rejects": [list(r) for r in rejects[:KEPT_REJECTS]],
                               "rejects_total": len(rejects)}
    if not dry_run:
        flash(_("%(count)s leads imported.", count=format_number(result.created + result.updated)), "success")
    return redirect(url_for("sales.lead_import_result"))


@bp.get("/sales/leads/import/result")
@staff_required(perm.LEAD_EDIT)
def lead_import_result() -> Any:
    """What the last import of this session did: counts and the rejected rows with line and reason."""
    found = web_session.get(RESULT_KEY)
    if not found:  # no import in this session yet
        return redirect(url_for("sales.lead_import"))
    shown = [(line, reason_text(reason)) for line, reason in found["rejects"][:SHOWN_REJECTS]]
    return render_template("sales/lead_import_result.html", result=found, shown=shown, shown_limit=SHOWN_REJECTS)


_DUPLICATE = re.compile(r"duplicate: the same (email|phone) as (?:line (\d+)|open lead #(\d+))")
#: Reasons of the file reader, the owner and consent checks and the database, in the reader's language.
_WHOLE: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"(\d+) cells for (\d+) columns"),
     lambda m: _("The row has %(fields)s fields but the header has %(header)s.", fields=m[1], header=m[2])),
    (re.compile(r"unreadable CSV: (.*)", re.S), lambda m: _("The CSV record cannot be read: %(detail)s",
                                                           detail=isolate(m[1]))),
    (re.compile(r"unreadable row"), lambda m: _("The row cannot be read.")),
    (re.compile(r"the line is not valid (\S+) text"),
     lambda m: _("The line is not valid %(encoding)s text.", encoding=m[1])),
    (re.compile(r"owner: there is no active user (.*)", re.S),
     lambda m: _("Owner: there is no active user %(email)s.", email=isolate(m[1]))),
    (re.compile(r"owner: you can assign leads only to yourself"),
     lambda m: _("Owner: you can assign leads only to yourself.")),
    (re.compile(r"consent (.*) is not yes or no", re.S),
     lambda m: _("Consent: %(value)s is not yes or no.", value=isolate(m[1]))),
    (re.compile(r"not saved: the database refused the batch of lines (\d+)–(\d+) \((.*)\)", re.S),
     lambda m: _("Not saved: the database refused the batch of lines %(first)s–%(last)s (%(detail)s).",
                 first=m[1], last=m[2], detail=isolate(m[3]))),
)


def reason_text(reason: str) -> str:
    """A rejected row's reason in the page's language: duplicates, the reader's and the checks'
    own reasons, and each `column: message` part with the message translated as the forms
    translate validation messages."""
    if match := _DUPLICATE.fullmatch(reason):
        kind = _("email") if match.group(1) == "email" else _("phone")
        if match.group(2):
            return localize_digits(_("Duplicate: the same %(kind)s as line %(line)s.", kind=kind, line=match.group(2)))
        return localize_digits(_("Duplicate: the same %(kind)s as open lead #%(lead)s.", kind=kind,
                                 lead=match.group(3)))
    for pattern, build in _WHOLE:
        if found := pattern.fullmatch(reason):
            return localize_digits(build(found))
    translate = current_app.jinja_env.filters["error_text"]
    parts = []
    for part in reason.split("; "):
        column, sep, message = part.partition(": ")
        label = COLUMN_LABELS.get(column, column)
        parts.append(f"{label}: {translate(message)}" if sep else translate(part))
    return "; ".join(parts)


#: `LeadIn`'s own messages a reason may hold (listed so extraction finds them; `error_text` translates them).
SCHEMA_MESSAGES = (_l("Give an email or a phone number."), _l("Give a name or an organisation."),
                   _l("Not a valid phone number."))
#: The file's columns as a reason names them (`lead_import.FIELD_COLUMNS`), in the reader's language.
COLUMN_LABELS = {"email": _l("Email"), "phone": _l("Phone"), "first": _l("Given name"), "last/name": _l("Family name"),
                 "company": _l("Company"), "notes": _l("Notes"), "owner": _l("Owner"), "source": _l("Source"),
                 "campaign": _l("Campaign"), "referrer": _l("Referrer"), "consent": _l("Consent"), "utm": "UTM"}


@bp.get("/sales/leads/import/rejects.csv")
@staff_required(perm.LEAD_EDIT)
def lead_import_rejects() -> Any:
    """The rejected rows of the last import as CSV (line, reason in the reader's language, reason
    code), UTF-8 with a BOM for Excel."""
    rejects = (web_session.get(RESULT_KEY) or {}).get("rejects", [])
    response = make_response("\ufeff" + service.rejects_csv(rejects, translate=reason_text))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="lead-import-rejects.csv"'
    return response
