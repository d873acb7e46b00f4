"""Importing customers from a CSV file: upload, map columns with a preview, run, follow, download rejects.

The work is done by `payvand.core.services.import_jobs` (the job table, the background thread)
over the importer the CLI uses. A user sees their own import jobs; a superuser sees everyone's.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, validate

from payvand.core import permissions as perm
from payvand.core import settings as core_settings
from payvand.core.db import current_session
from payvand.core.importer import CannotImport
from payvand.core.importing.guard import REJECTS_PREFIX
from payvand.core.importing.mapping import MappingError, build_mapping
from payvand.core.importing.source import SourceError
from payvand.core.locale_format import isolate
from payvand.core.models import ImportJob
from payvand.core.services import import_jobs
from payvand.core.web.access import staff_required, staff_user
from payvand.core.web.errors import error_page
from payvand.core.web.forms import FormResult, parse_form
from payvand.core.web.i18n import localize_digits
from payvand.core.web.messages import translate_error

bp = Blueprint("imports", __name__)

RECENT_JOBS = 20
#: A translated rejects file is built in memory up to this size, then on disk.
SPOOL_BYTES = 4 * 1024 * 1024
#: The shown states a job can be cancelled in (`import_jobs.cancel_job`).
CANCELLABLE = ("uploaded", "queued", "running", "interrupted")

TARGET_LABELS = {
    "ignore": _l("Do not import"),
    "given_name": _l("Given name"),
    "family_name": _l("Family name"),
    "full_name": _l("Full name (split at the first space)"),
    "organization_name": _l("Organization name"),
    "kind": _l("Kind (person or organization)"),
    "birthday": _l("Birthday"),
    "lifecycle_stage": _l("Lifecycle stage"),
    "preferred_language": _l("Preferred language"),
    "preferred_channel": _l("Preferred channel"),
    "timezone": _l("Time zone"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "mobile": _l("Mobile"),
    "tags": _l("Tags"),
    "attributes.*": _l("Custom fields (a JSON object, as exported)"),
    "address_line1": _l("Address: line 1 (street and number)"),
    "address_line2": _l("Address: line 2"),
    "city": _l("Address: city"),
    "region": _l("Address: province or state"),
    "postal_code": _l("Address: postal code"),
    "country": _l("Address: country (code or name)"),
    "address_label": _l("Address: label (home, work, ...)"),
    "addresses": _l("Addresses (a JSON list, as exported)"),
    "external_id": _l("ID in the source system (names the row for referrers)"),
    "referrer_external_id": _l("Referrer: ID in the source system"),
    "referrer_email": _l("Referrer: email"),
    "referrer_phone": _l("Referrer: phone"),
}

FIELD_LABELS = {
    "kind": _l("Kind"),
    "given_name": _l("Given name"),
    "family_name": _l("Family name"),
    "organization_name": _l("Organization name"),
    "email": _l("Emails"),
    "phone": _l("Phones"),
    "birthday": _l("Birthday"),
    "tags": _l("Tags"),
    "lifecycle_stage": _l("Lifecycle stage"),
    "preferred_language": _l("Preferred language"),
    "preferred_channel": _l("Preferred channel"),
    "timezone": _l("Time zone"),
    "consent": _l("Consent"),
    "attributes": _l("Custom fields"),
    "external_id": _l("ID in the source system"),
    "referrer": _l("Referrer"),
}

STATUS_LABELS = {
    "uploaded": (_l("Waiting for mapping"), "secondary"),
    "queued": (_l("Queued"), "info"),
    "running": (_l("Running"), "primary"),
    "done": (_l("Done"), "success"),
    "failed": (_l("Failed"), "danger"),
    "interrupted": (_l("Interrupted"), "warning"),
    "cancelling": (_l("Cancelling"), "warning"),
    "cancelled": (_l("Cancelled"), "secondary"),
    "expired": (_l("Expired"), "secondary"),
}

UPLOAD_MESSAGES = {
    "missing": _l("Choose a CSV file to import."),
    "type": _l("Only CSV files (.csv or .txt) can be imported."),
    "empty": _l("The file is empty."),
    "too_large": _l("The file is larger than %(limit)s MB."),
    "unreadable": _l("The file cannot be read as CSV: %(reason)s"),
}


class MappingForm(Schema):
    """The options of the mapping form (the per-column targets are read separately)."""

    class Meta:
        unknown = EXCLUDE

    on_duplicate = fields.String(load_default="merge", validate=validate.OneOf(["merge", "skip"]))
    dry_run = fields.Boolean(load_default=False)
    bulk = fields.Boolean(load_default=False)
    action = fields.String(load_default="preview", validate=validate.OneOf(["preview", "start"]))


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Let the upload route (only) read files up to the import limit.

    Runs before the app's CSRF check, which is what first reads the body. A little slack is
    left for the multipart envelope, so a file just over the limit still gets the field error.
    """
    if endpoint == "imports.upload":
        request.max_content_length = import_jobs.max_upload_bytes(current_app.config) + 64 * 1024


@bp.app_template_filter("import_status")
def _status_label(state: str) -> str:
    return str(STATUS_LABELS.get(state, (state, "secondary"))[0])


def _target_label(target: str, declared: dict[str, Any]) -> str:
    if target in TARGET_LABELS:
        return str(TARGET_LABELS[target])
    if target.startswith("consent:"):
        from payvand.core.web.labels import channel_label

        return _("Consent: %(channel)s", channel=channel_label(target[8:]))
    if target.startswith("attributes."):
        field = declared.get(target[11:])
        return getattr(field, "label", "") or target[11:]
    return target


def _visible_job(job_id: int) -> ImportJob:
    """The job if this user may see it (their own, or any for a superuser), else 404."""
    user = staff_user()
    assert user is not None
    job = import_jobs.visible_job(current_session(), job_id, user)
    if job is None:
        abort(404)
    return job


def _recent_jobs() -> list[Any]:
    user = staff_user()
    assert user is not None
    return [(job, email, import_jobs.job_state(job))
            for job, email in import_jobs.recent_jobs(current_session(), user, RECENT_JOBS)]


def _upload_page(form: FormResult, status: int = 200) -> Any:
    limit = import_jobs.max_upload_bytes(current_app.config)
    return render_template(
        "imports/index.html", form=form, jobs=_recent_jobs(), limit_mb=import_jobs._megabytes(limit),
        show_owner=bool(staff_user() and staff_user().is_superuser),  # type: ignore[union-attr]
    ), status


@bp.get("/import")
@staff_required(perm.CUSTOMER_IMPORT)
def index() -> Any:
    """The upload form and the recent import jobs."""
    return _upload_page(FormResult.empty())


@bp.post("/import")
@staff_required(perm.CUSTOMER_IMPORT)
def upload() -> Any:
    """Store the uploaded CSV as a new job and go on to its mapping."""
    user = staff_user()
    assert user is not None
    upload_file = request.files.get("file")
    filename = upload_file.filename if upload_file is not None else ""
    db = current_session()
    try:
        if upload_file is None or not filename:
            raise import_jobs.UploadError("missing", "Choose a CSV file to import.")
        job = import_jobs.create_job(db, current_app.config, upload_file.stream, filename, user.user_id)
        db.commit()
    except import_jobs.UploadError as exc:
        db.rollback()
        return _upload_page(_upload_error(exc), 422)
    return redirect(url_for("imports.mapping", job_id=job.id))


def _upload_error(exc: import_jobs.UploadError) -> FormResult:
    message = UPLOAD_MESSAGES.get(exc.code)
    params = dict(exc.params)
    if isinstance(params.get("reason"), str):  # the reader's English reason, in the page's language
        params["reason"] = translate_error(params["reason"])
    text = str(message) % params if message is not None else str(exc)
    return FormResult(values={}, errors={"file": [text]})


@bp.errorhandler(413)
def _too_large(_: Any) -> Any:
    """A body over the hard limit: the same field error as a file just over the limit."""
    user = staff_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if not user.can(perm.CUSTOMER_IMPORT):
        return error_page(403)
    limit = import_jobs.max_upload_bytes(current_app.config)
    return _upload_page(_upload_error(import_jobs.UploadError("too_large", "", limit=import_jobs._megabytes(limit))), 422)


@bp.route("/import/<int:job_id>/mapping", methods=["GET", "POST"])
@staff_required(perm.CUSTOMER_IMPORT)
def mapping(job_id: int) -> Any:
    """Choose a field for each column, see the first rows as they would be imported, start."""
    job = _visible_job(job_id)
    if job.status != import_jobs.UPLOADED:
        return redirect(url_for("imports.job", job_id=job.id))
    runtime = current_app.extensions["payvand"]
    declared = runtime.customer_fields()
    region = core_settings.phone_region()
    choices = import_jobs.target_choices(declared)
    try:
        preview = import_jobs.read_head(job.stored_path, region=region, declared=declared)
    except SourceError as exc:
        flash(_("The uploaded file cannot be read any more: %(reason)s", reason=translate_error(str(exc))), "error")
        return redirect(url_for("imports.index"))
    form = FormResult.empty({"on_duplicate": "merge"})
    status = 200
    if request.method == "POST":
        form = parse_form(MappingForm())
        chosen = [request.form.get(f"col-{i}", "") for i in range(len(preview.header))]
        bad = [i for i, target in enumerate(chosen) if target not in choices]
        for index in bad:
            form.errors.setdefault(f"col-{index}", []).append(_("Choose a field from the list."))
        if not bad:
            preview = import_jobs.read_head(job.stored_path, chosen=chosen, region=region, declared=declared)
        if form.ok and not bad and preview.mapping_error is None and form.data["action"] == "start":
            user = staff_user()
            assert user is not None
            mapping_dict = import_jobs.mapping_for(preview.header, chosen)
            try:
                build_mapping(preview.header, mapping_dict, declared)
                import_jobs.start_job(
                    current_session(), job, mapping=mapping_dict, on_duplicate=form.data["on_duplicate"],
                    dry_run=form.data["dry_run"], region=region, actor=user,
                    bulk=True if form.data["bulk"] else None,  # unticked: the automatic choice
                )
            except (MappingError, CannotImport) as exc:
                form.errors.setdefault("_form", []).append(str(exc))
            else:
                current_session().commit()
                import_jobs.launch(runtime, job.id)
                return redirect(url_for("imports.job", job_id=job.id))
        if preview.mapping_error and form.value("action") == "start":
            form.errors.setdefault("_form", []).append(preview.mapping_error)
        if form.value("action") == "start" and not form.ok:
            status = 422
    labels = {target: _target_label(target, declared) for target in choices}
    return render_template(
        "imports/mapping.html", job=job, preview=preview, form=form, choices=choices, labels=labels,
        field_labels={name: str(label) for name, label in FIELD_LABELS.items()},
        bulk_available=runtime.engine.dialect.name == "sqlite",
    ), status


def _job_context(job: ImportJob) -> dict[str, Any]:
    state = import_jobs.job_state(job)
    percent = 0
    if job.status == import_jobs.DONE:
        percent = 100
    elif job.bytes_total:
        percent = max(0, min(100, int(100 * (job.bytes_read or 0) / job.bytes_total)))
    has_rejects = bool(job.rejects_path) and import_jobs.rejects_file(current_app.config, job) is not None
    return {"job": job, "state": state, "percent": percent, "report": job.report or {},
            "active": state in import_jobs.ACTIVE, "has_rejects": has_rejects,
            "can_cancel": state in CANCELLABLE}


@bp.get("/import/<int:job_id>")
@staff_required(perm.CUSTOMER_IMPORT)
def job(job_id: int) -> Any:
    """A job's progress (polled while it runs) and, at the end, its report."""
    found = _visible_job(job_id)
    if found.status == import_jobs.UPLOADED:
        return redirect(url_for("imports.mapping", job_id=found.id))
    return render_template("imports/job.html", **_job_context(found))


@bp.get("/import/<int:job_id>/progress")
@staff_required(perm.CUSTOMER_IMPORT)
def progress(job_id: int) -> Any:
    """The progress fragment htmx polls every second while the job runs (it stops polling at the end)."""
    found = _visible_job(job_id)
    return render_template("imports/_progress.html", **_job_context(found))


@bp.get("/import/<int:job_id>/rejects")
@staff_required(perm.CUSTOMER_IMPORT)
def rejects(job_id: int) -> Any:
    """Download the rejected rows: line, reason in the reader's language, reason code, the row's
    cells (404 when there are none)."""
    found = _visible_job(job_id)
    path = import_jobs.rejects_file(current_app.config, found)
    if path is None:
        abort(404)
    stem = found.filename.rsplit(".", 1)[0] or "import"
    return send_file(translated_rejects(path), mimetype="text/csv", as_attachment=True,
                     download_name=f"{stem}-rejects.csv", max_age=0)


@bp.app_template_filter("import_reason")
def reason_text(reason: str, code: str = "") -> str:
    """A rejected row's reason (English, as the importer words it) in the reader's language.

    A custom-field refusal (`invalid_attribute`) is `field: message; field: message`: each
    message is translated as the forms translate it; every other reason as one message.
    """
    if code == "invalid_attribute":
        parts = []
        for part in reason.split("; "):
            field, sep, message = part.partition(": ")
            parts.append(f"{field}: {translate_error(message)}" if sep else translate_error(part))
        return "; ".join(parts)
    found = _BY_CODE.get(code)
    match = found[0].fullmatch(reason) if found is not None else None
    if match:
        return localize_digits(found[1](match))  # type: ignore[index]
    return translate_error(reason)


def _too_long(match: re.Match[str]) -> str:
    label = TOO_LONG_LABELS.get(match[1])
    return _("%(field)s is longer than %(n)s characters.", field=str(label) if label else match[1], n=match[2])


#: What a field is called in a "too long" reason (the importer names it as in the code).
TOO_LONG_LABELS = {"given_name": _l("Given name"), "family_name": _l("Family name"), "name": _l("Full name"),
                   "organization_name": _l("Organization name"), "a tag": _l("A tag"),
                   "address_line1": _l("Address line 1"), "address_line2": _l("Address line 2"),
                   "city": _l("City"), "region": _l("Province or state"), "address_label": _l("Address label")}
#: Reasons whose English the shared validation messages do not cover, read by their code.
_BY_CODE: dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = {
    "unreadable_csv": (re.compile(r"unreadable CSV: (.*)", re.S),
                       lambda m: _("The CSV record cannot be read: %(detail)s", detail=isolate(m[1]))),
    "bad_encoding": (re.compile(r"the line is not valid (\S+) text"),
                     lambda m: _("The line is not valid %(encoding)s text.", encoding=m[1])),
    "database_refused": (re.compile(r"database refused the row: (.*)", re.S),
                         lambda m: _("The database refused the row: %(detail)s", detail=isolate(m[1]))),
    "invalid_attributes": (re.compile(r"attributes: not a JSON object"),
                           lambda m: _("The custom fields column does not hold a JSON object.")),
    "too_long": (re.compile(r"(.+) is longer than (\d+) characters"), _too_long),
    "address_without_line1": (re.compile(r".*", re.S), lambda m: _(
        "The address has no first line: a city, postal code or country needs the street and number too.")),
    "invalid_country": (re.compile(r"country (.*) is not a two-letter code such as IR or a country name", re.S),
                        lambda m: _("Country %(value)s is neither a two-letter country code nor a country name.",
                                    value=isolate(m[1]))),
    "invalid_postal_code": (re.compile(r"postal code (.*) is refused: (.*)", re.S),
                            lambda m: _("Postal code %(value)s is refused: %(reason)s", value=isolate(m[1]),
                                        reason=translate_error(m[2]))),
    "invalid_address": (re.compile(r"addresses: (.*)", re.S), lambda m: _(
        "The addresses column does not hold a JSON list of at most 20 addresses.")),
    "not_whole_number": (re.compile(r"([\w.]+): (.*) is not a whole number", re.S),
                         lambda m: _("%(field)s: %(value)s is not a whole number.", field=m[1], value=isolate(m[2]))),
    "unknown_referrer": (re.compile(r".*", re.S), lambda m: _(
        "The customer was imported without a referrer: no customer in the file or the database has the "
        "referrer's ID, email or phone.")),
    "self_referral": (re.compile(r".*", re.S), lambda m: _(
        "The customer was imported without a referrer: a customer cannot refer themselves.")),
    "inactive_referrer": (re.compile(r".*", re.S), lambda m: _(
        "The customer was imported without a referrer: the referrer was merged away or erased.")),
    "referral_loop": (re.compile(r".*", re.S), lambda m: _(
        "The customer was imported without a referrer: that customer was referred through this one "
        "(a referral loop).")),
    "invalid_referrer_email": (re.compile(r".*", re.S), lambda m: _(
        "The customer was imported without a referrer: the referrer's email is not a valid email address.")),
    "invalid_referrer_phone": (re.compile(r".*", re.S), lambda m: _(
        "The customer was imported without a referrer: the referrer's phone is not a valid phone number.")),
}


def translated_rejects(path: Path) -> IO[bytes]:
    """The rejects file with each reason in the reader's language (UTF-8 with a BOM for Excel).

    The column names stay as they are (`line`, `reason`, `reason_code`, then the file's own
    headers), so programs can read the file; a file written before reason codes existed gets
    an empty `reason_code` column. Built in a spooled temporary file (memory, then disk).
    """
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by send_file
    text = io.TextIOWrapper(out, encoding="utf-8-sig", errors="surrogateescape", newline="")
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        writer = csv.writer(text)
        header = next(reader, [])
        coded = tuple(header[:3]) == REJECTS_PREFIX
        writer.writerow(header if coded else [*header[:2], "reason_code", *header[2:]])
        for row in reader:
            if len(row) < 2:
                continue
            code = row[2] if coded and len(row) > 2 else ""
            row[1] = reason_text(row[1], code)
            writer.writerow(row if coded else [*row[:2], "", *row[2:]])
    text.flush()
    text.detach()
    out.seek(0)
    return out


@bp.post("/import/<int:job_id>/cancel")
@staff_required(perm.CUSTOMER_IMPORT)
def cancel(job_id: int) -> Any:
    """Cancel a job: at once when it is not running (its files deleted), else after the current batch."""
    found = _visible_job(job_id)
    db = current_session()
    try:
        status = import_jobs.cancel_job(db, current_app.config, found)
    except import_jobs.CannotCancel:
        db.rollback()
        flash(_("This import has ended; there is nothing to cancel."), "error")
        return render_template("imports/job.html", **_job_context(found)), 409
    db.commit()
    if status == import_jobs.CANCELLING:
        flash(_("The import stops after the batch it is writing; rows already imported are kept."), "info")
        return redirect(url_for("imports.job", job_id=found.id))
    flash(_("The import was cancelled and its file deleted."), "success")
    return redirect(url_for("imports.index"))
