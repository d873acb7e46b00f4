"""Product images and brochures: upload (the whole file's type checked by the kernel's
`check_upload`: PDF, PNG, JPEG or WebP, nothing that sniffs as HTML, a matching extension), list, delete, and
"send" to a customer, which records a `sales.brochure_sent` interaction on the timeline.

Files live under `<PAYVAND_INSTANCE>/sales/attachments/<id>.<ext>`; the stored name is made by
the server, the original file name is kept only for the download's Content-Disposition.
"""

from __future__ import annotations

import dataclasses
import os
import unicodedata
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.sales.models import Attachment, Product
from payvand.plugins.sales.services import catalog
from payvand.sdk import Attachment as MailAttachment
from payvand.sdk import Customer, UploadRejected, audit, check_upload, mail_enabled, record_interaction, send_mail
from payvand.sdk import lazy_gettext as _l

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
KINDS = ("image", "brochure")
#: The upload types (`payvand.sdk.FILE_TYPES`) each kind accepts.
ALLOWED = {"image": ("png", "jpeg", "webp"), "brochure": ("pdf", "png", "jpeg", "webp")}
CHUNK = 64 * 1024


class AttachmentError(Exception):
    """An attachment rule was broken: `status` 404 (missing) or 422 (invalid `field`)."""

    def __init__(self, message: Any, *, status: int = 422, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.field = field


def max_bytes(config: Any) -> int:
    """The largest file accepted: `PAYVAND_SALES_ATTACHMENT_MAX_BYTES`, default 10 MB."""
    return int(config.get("PAYVAND_SALES_ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def folder(instance: str | os.PathLike[str]) -> Path:
    """The attachments folder of an instance."""
    return Path(instance) / "sales" / "attachments"


def clean_filename(name: str | None) -> str:
    """The original file name without any folder part or control characters (for display only)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    return base[:255] or "file"


def add_attachment(session: Session, product_id: int, kind: str, stream: IO[bytes], filename: str | None, *,
                   instance: str | os.PathLike[str], limit: int) -> Attachment:
    """Store an uploaded file for a product after checking its kind, size and whole type
    (`check_upload`); it is stored under a name made here, with its type's extension."""
    product = catalog.get_product(session, product_id)
    if kind not in KINDS:
        raise AttachmentError(_l("Choose image or brochure."), field="kind")
    head = stream.read(CHUNK)
    if not head:
        raise AttachmentError(_l("Choose a file to upload."), field="file")
    target_dir = folder(instance)
    target_dir.mkdir(parents=True, exist_ok=True)
    temp = target_dir / f".upload-{uuid.uuid4().hex}"
    size = 0
    try:
        with temp.open("wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise AttachmentError(_l("The file is larger than %(limit)s bytes.", limit=limit), field="file")
                out.write(chunk)
                chunk = stream.read(CHUNK)
        try:
            found = check_upload(temp, filename, ALLOWED["brochure"])
        except UploadRejected as exc:
            if exc.code == "type":
                raise AttachmentError(_l("Only PDF, PNG, JPEG and WebP files are accepted."), field="file") from None
            raise AttachmentError(exc.message, field="file") from None
        if found.name not in ALLOWED[kind]:
            raise AttachmentError(_l("An image must be a PNG, JPEG or WebP file."), field="kind")
        content_type, ext = found.content_type, found.extension
        attachment = Attachment(product_id=product.id, kind=kind, filename=clean_filename(filename),
                                content_type=content_type, size=size, stored_path="")
        session.add(attachment)
        session.flush()
        final = target_dir / f"{attachment.id}.{ext}"
        os.replace(temp, final)
        attachment.stored_path = str(Path("sales") / "attachments" / final.name)
        audit("sales.attachment.create", "sales_attachment", attachment.id,
              after={"product_id": product.id, "kind": kind, "filename": attachment.filename, "size": size})
        session.flush()
        return attachment
    finally:
        temp.unlink(missing_ok=True)


def get_attachment(session: Session, attachment_id: int) -> Attachment:
    """The attachment with this id; AttachmentError 404 if there is none."""
    found = session.get(Attachment, attachment_id) if 1 <= attachment_id <= catalog.MAX_ID else None
    if found is None:
        raise AttachmentError(f"There is no attachment {attachment_id}.", status=404)
    return found


def list_attachments(session: Session, product_id: int) -> Sequence[Attachment]:
    """A product's attachments, oldest first (one query)."""
    return session.scalars(sa.select(Attachment).where(Attachment.product_id == product_id)
                           .order_by(Attachment.id)).all()


def file_path(attachment: Attachment, instance: str | os.PathLike[str]) -> Path:
    """The stored file of an attachment (always inside the attachments folder)."""
    return folder(instance) / Path(attachment.stored_path).name


def delete_attachment(session: Session, attachment: Attachment, *, instance: str | os.PathLike[str]) -> None:
    """Delete an attachment's row (audited) and its stored file."""
    path = file_path(attachment, instance)
    audit("sales.attachment.delete", "sales_attachment", attachment.id,
          before={"product_id": attachment.product_id, "filename": attachment.filename})
    session.delete(attachment)
    session.flush()
    path.unlink(missing_ok=True)


@dataclasses.dataclass(frozen=True)
class Sent:
    """What sending did: the timeline interaction, and the address it was emailed to (None: recorded only)."""

    interaction: Any
    emailed_to: str | None


def send_attachment(session: Session, attachment: Attachment, customer_id: int, note: str | None = None, *,
                    instance: str | os.PathLike[str] | None = None) -> Sent:
    """Send the file to a customer and record a `sales.brochure_sent` interaction (email, outbound).

    When mail is configured and the customer has an email address, the file is emailed to it
    (the note, if any, is the message) before anything is recorded — a `MailError` leaves
    nothing recorded. Otherwise the hand-over is only recorded, and `emailed_to` is None.
    """
    customer = session.get(Customer, customer_id) if 1 <= customer_id <= catalog.MAX_ID else None
    if customer is None or customer.merged_into_id or customer.erased_at:
        raise AttachmentError(_l("There is no such customer."), field="customer_id")
    product = session.get(Product, attachment.product_id)
    name = product.name if product else attachment.filename
    address = customer.primary_email if instance is not None and mail_enabled() else None
    if address is not None:
        assert instance is not None  # an address is only looked up with an instance to read the file from
        body = "\n\n".join(part for part in (note, str(_l("Attached: %(file)s (%(product)s).", file=attachment.filename,
                                                                product=name))) if part)
        send_mail(f"{customer.display_name} <{address}>", str(_l("%(product)s: %(file)s", product=name,
                                                                    file=attachment.filename)), body,
                  attachments=[MailAttachment(attachment.filename, file_path(attachment, instance).read_bytes(),
                                              attachment.content_type)])
    summary = f"{name}: {attachment.filename} sent" + (f" to {address}" if address else "")
    if note:
        summary = f"{summary} — {note}"
    interaction = record_interaction(
        customer.id, "sales.brochure_sent", "email", summary[:500], direction="outbound",
        source=("sales.attachment", attachment.id),
        payload={"attachment_id": attachment.id, "product_id": attachment.product_id, "emailed": address is not None,
                 "product": name, "file": attachment.filename,
                 **({"to": address} if address else {}), **({"note": note} if note else {})})
    session.flush()
    return Sent(interaction, address)
