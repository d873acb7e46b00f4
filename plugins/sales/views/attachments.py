"""Product images and brochures: the attachments page of a product (list with sizes, upload
form, send form), upload, download, delete, and "send to a customer" (recorded on the
customer's timeline as `sales.brochure_sent`; no email is delivered).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.services import attachments as service
from payvand.plugins.sales.services import catalog
from payvand.plugins.sales.services.attachments import AttachmentError
from payvand.plugins.sales.views import bp, staff
from payvand.sdk import (
    FormResult,
    MailError,
    isolate,
    mail_enabled,
    send_upload,
    session,
    staff_required,
    to_latin_digits,
    upload_type,
)
from payvand.sdk import gettext as _

INTERACTION_CREATE = "core.interaction.create"
_SLACK = 64 * 1024  # the multipart envelope, so a file just over the limit still gets the field error


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Let the upload route (only) read bodies up to the attachment limit (before the CSRF check reads it)."""
    if endpoint == "sales.upload_attachment":
        request.max_content_length = service.max_bytes(current_app.config) + _SLACK


def _instance() -> str:
    return str(current_app.config["PAYVAND_INSTANCE"])


def _product(product_id: int) -> Any:
    try:
        return catalog.get_product(session(), product_id)
    except catalog.CatalogError:
        abort(404)


def _attachment(attachment_id: int) -> Any:
    try:
        return service.get_attachment(session(), attachment_id)
    except AttachmentError:
        abort(404)


def size_text(size: int) -> str:
    """A file size for people: bytes, KB or MB (one decimal)."""
    if size < 1024:
        return _("%(size)s bytes", size=size)
    if size < 1024 * 1024:
        return _("%(size)s KB", size=f"{size / 1024:.1f}")
    return _("%(size)s MB", size=f"{size / (1024 * 1024):.1f}")


def _page(product: Any, upload: FormResult, send: FormResult, status: int = 200) -> Any:
    items = service.list_attachments(session(), product.id)
    return render_template(
        "sales/product_attachments.html", product=product, attachments=items, upload=upload, send=send,
        sizes={a.id: size_text(a.size) for a in items}, limit=size_text(service.max_bytes(current_app.config)),
        can_send=staff().can(INTERACTION_CREATE), mail_on=mail_enabled()), status


@bp.get("/sales/products/<int:product_id>/attachments")
@staff_required(perm.CATALOG_VIEW)
def product_attachments(product_id: int) -> Any:
    """A product's images and brochures: list with sizes, the upload form and the send form."""
    return _page(_product(product_id), FormResult.empty({"kind": "brochure"}), FormResult.empty())


@bp.post("/sales/products/<int:product_id>/attachments")
@staff_required(perm.CATALOG_EDIT)
def upload_attachment(product_id: int) -> Any:
    """Upload an image or brochure (PDF, PNG, JPEG, WebP, the whole file checked; size limited); 422 with field errors."""
    product = _product(product_id)
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    values = {"kind": kind}
    if upload is None or not upload.filename:
        return _page(product, FormResult(values=values, errors={"file": [_("Choose a file to upload.")]}),
                     FormResult.empty(), 422)
    try:
        attachment = service.add_attachment(session(), product.id, kind, upload.stream, upload.filename,
                                            instance=_instance(), limit=service.max_bytes(current_app.config))
    except AttachmentError as exc:
        session().rollback()
        return _page(product, FormResult(values=values, errors={exc.field or "file": [str(exc.message)]}),
                     FormResult.empty(), exc.status)
    session().commit()
    flash(_("Uploaded %(name)s.", name=isolate(attachment.filename)), "success")
    return redirect(url_for("sales.product_attachments", product_id=product.id))


@bp.get("/sales/attachments/<int:attachment_id>")
@staff_required(perm.CATALOG_VIEW)
def download_attachment(attachment_id: int) -> Any:
    """The stored file under its original name (with its type's extension): PDFs as a download,
    images inline; never sniffed, never run (`send_upload`)."""
    attachment = _attachment(attachment_id)
    path = service.file_path(attachment, _instance())
    file_type = upload_type(attachment.content_type)
    if not path.is_file() or file_type is None:
        abort(404)
    return send_upload(path, file_type, attachment.filename)


@bp.post("/sales/attachments/<int:attachment_id>/delete")
@staff_required(perm.CATALOG_EDIT)
def delete_attachment(attachment_id: int) -> Any:
    """Delete an attachment and its file."""
    attachment = _attachment(attachment_id)
    product_id, name = attachment.product_id, attachment.filename
    service.delete_attachment(session(), attachment, instance=_instance())
    session().commit()
    flash(_("Deleted %(name)s.", name=isolate(name)), "success")
    return redirect(url_for("sales.product_attachments", product_id=product_id))


@bp.post("/sales/attachments/<int:attachment_id>/send")
@staff_required(perm.CATALOG_VIEW)
def send_attachment(attachment_id: int) -> Any:
    """Email the file to a customer when mail is on (else only record it): a `sales.brochure_sent` interaction."""
    if not staff().can(INTERACTION_CREATE):
        abort(403)
    attachment = _attachment(attachment_id)
    product = _product(attachment.product_id)
    raw = request.form.get("customer_id", "").strip()
    note = request.form.get("note", "").strip()[:200] or None
    values = {"customer_id": raw, "note": note or "", "attachment_id": str(attachment.id)}
    digits = to_latin_digits(raw)
    if not (digits.isascii() and digits.isdigit()):
        errors = {"customer_id": [_("Enter a customer number.")]}
        return _page(product, FormResult.empty({"kind": "brochure"}), FormResult(values=values, errors=errors), 422)
    customer_id = int(digits)
    try:
        sent = service.send_attachment(session(), attachment, customer_id, note, instance=_instance())
    except MailError as exc:
        session().rollback()
        current_app.logger.warning("brochure %s not emailed: %s", attachment.id, exc)
        flash(_("The email could not be sent, so nothing was recorded. Try again later or ask your administrator "
                "to check the mail settings."), "danger")
        return redirect(url_for("sales.product_attachments", product_id=product.id))
    except AttachmentError as exc:
        session().rollback()
        errors = {exc.field or "customer_id": [str(exc.message)]}
        return _page(product, FormResult.empty({"kind": "brochure"}), FormResult(values=values, errors=errors),
                     exc.status)
    session().commit()
    if sent.emailed_to:
        flash(_("Emailed %(name)s to %(address)s and recorded it on the customer's timeline.",
                name=isolate(attachment.filename), address=isolate(sent.emailed_to)), "success")
    else:
        flash(_("Recorded on the customer's timeline: %(name)s sent (not emailed: mail is off or the customer "
                "has no email address).", name=isolate(attachment.filename)), "success")
    return redirect(url_for("sales.product_attachments", product_id=product.id))
