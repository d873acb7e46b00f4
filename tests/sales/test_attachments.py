"""Product images and brochures: upload checked by its whole type and size, download headers,
delete, sending to a customer (a `sales.brochure_sent` interaction), permissions and CSRF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Attachment
from payvand.sdk import Interaction
from payvand.sdk.testing import hostile_uploads, sample_upload

LIMIT = 4096
PDF = sample_upload("pdf")
PNG = sample_upload("png")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture
def payvand_config() -> dict:
    """A small attachment limit, so the too-large case needs only a few kilobytes."""
    return {"PAYVAND_SALES_ATTACHMENT_MAX_BYTES": LIMIT}


@pytest.fixture
def product(api) -> dict:
    """A product to attach files to."""
    return api.post("sales/products", json={"sku": "PEN-7", "name": "Fountain pen"}).get_json()


def _upload(client, product_id: int, content: bytes, name: str, kind: str = "brochure", **kwargs):
    return client.post(f"/sales/products/{product_id}/attachments",
                       {"kind": kind, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", **kwargs)


def _rows(runtime) -> list[Attachment]:
    with runtime.sessionmaker() as session:
        return list(session.scalars(sa.select(Attachment).order_by(Attachment.id)))


def test_a_pdf_brochure_is_stored_under_a_server_made_name_and_listed_with_its_size(web, product, runtime, app):
    response = _upload(web, product["id"], PDF, "../../etc/Price list.pdf")
    assert response.status_code == 302
    [row] = _rows(runtime)
    assert (row.kind, row.filename, row.content_type, row.size) == ("brochure", "Price list.pdf", "application/pdf", len(PDF))
    stored = Path(app.config["PAYVAND_INSTANCE"]) / "sales" / "attachments" / f"{row.id}.pdf"
    assert stored.read_bytes() == PDF
    page = web.get(f"/sales/products/{product['id']}/attachments").get_data(as_text=True)
    assert f'id="attachment-row-{row.id}"' in page and "Price list.pdf" in page and f"{len(PDF)} bytes" in page
    assert "recorded on the customer" in page
    assert f'id="product-{product["id"]}-attachments"' in web.get("/sales/products").get_data(as_text=True)


def test_a_png_image_is_accepted_and_shown_inline(web, product, runtime):
    assert _upload(web, product["id"], PNG, "pen.png", kind="image").status_code == 302
    [row] = _rows(runtime)
    assert (row.kind, row.content_type) == ("image", "image/png")
    download = web.get(f"/sales/attachments/{row.id}")
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Disposition"].startswith("inline")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_pdf_downloads_as_an_attachment_with_its_original_name(web, product, runtime):
    _upload(web, product["id"], PDF, "brochure.pdf")
    [row] = _rows(runtime)
    download = web.get(f"/sales/attachments/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment; filename=brochure.pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_an_executable_renamed_pdf_is_refused_with_a_field_error(web, product, runtime, app):
    response = _upload(web, product["id"], EXE, "brochure.pdf")
    assert response.status_code == 422
    assert 'id="f-file-error"' in response.get_data(as_text=True)
    assert _rows(runtime) == []
    folder = Path(app.config["PAYVAND_INSTANCE"]) / "sales" / "attachments"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_pdf_cannot_be_uploaded_as_an_image_nor_with_an_unknown_kind(web, product, runtime):
    assert _upload(web, product["id"], PDF, "a.pdf", kind="image").status_code == 422
    bad_kind = _upload(web, product["id"], PDF, "a.pdf", kind="video")
    assert bad_kind.status_code == 422 and 'id="f-kind-error"' in bad_kind.get_data(as_text=True)
    assert _rows(runtime) == []


def test_a_file_over_the_configured_limit_is_refused_and_nothing_is_kept(web, product, runtime, app):
    response = _upload(web, product["id"], sample_upload("pdf", padding=LIMIT), "big.pdf")
    assert response.status_code == 422
    assert 'id="f-file-error"' in response.get_data(as_text=True)
    assert _rows(runtime) == []
    folder = Path(app.config["PAYVAND_INSTANCE"]) / "sales" / "attachments"
    assert list(folder.iterdir()) == []
    exactly = next(data for pad in range(LIMIT - len(PDF) - 8, LIMIT) if len(data := sample_upload("pdf", padding=pad)) == LIMIT)
    assert _upload(web, product["id"], exactly, "fits.pdf").status_code == 302


def test_a_missing_file_is_a_field_error(web, product):
    response = web.post(f"/sales/products/{product['id']}/attachments", {"kind": "brochure"})
    assert response.status_code == 422 and 'id="f-file-error"' in response.get_data(as_text=True)


def test_sending_records_a_brochure_sent_interaction_on_the_customer_timeline(web, product, runtime, make_customer):
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    _upload(web, product["id"], PDF, "brochure.pdf")
    [row] = _rows(runtime)
    sent = web.post(f"/sales/attachments/{row.id}/send", {"customer_id": str(customer.id), "note": "as asked"})
    assert sent.status_code == 302
    with runtime.sessionmaker() as session:
        [event] = session.scalars(sa.select(Interaction).where(Interaction.customer_id == customer.id,
                                                               Interaction.kind == "sales.brochure_sent")).all()
        assert (event.channel, event.direction) == ("email", "outbound")
        assert "Fountain pen" in event.summary and "brochure.pdf" in event.summary
        assert event.payload == {"attachment_id": row.id, "product_id": product["id"], "emailed": False,
                                 "product": "Fountain pen", "file": "brochure.pdf", "note": "as asked"}
    timeline = web.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "brochure.pdf" in timeline


def test_with_mail_on_the_brochure_is_emailed_to_the_customer_with_the_file(web, product, runtime, make_customer,
                                                                            mail_sink):
    customer = make_customer(given_name="Sara", family_name="Ahmadi", emails=["sara@example.com"])
    _upload(web, product["id"], PDF, "brochure.pdf")
    [row] = _rows(runtime)
    assert "emailed to the customer" in web.get(f"/sales/products/{product['id']}/attachments").text
    sent = web.post(f"/sales/attachments/{row.id}/send", {"customer_id": str(customer.id), "note": "As promised"})
    assert sent.status_code == 302
    [message] = mail_sink.to("sara@example.com")
    assert "Fountain pen" in message["Subject"]
    assert message.get_body(("plain",)).get_content().startswith("As promised")
    [attached] = list(message.iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == ("brochure.pdf", PDF)
    with runtime.sessionmaker() as session:
        [event] = session.scalars(sa.select(Interaction).where(Interaction.kind == "sales.brochure_sent")).all()
        assert event.payload["emailed"] is True and "sara@example.com" in event.summary


def test_a_mail_failure_records_nothing_and_says_so(web, product, runtime, make_customer, mail_sink):
    customer = make_customer(emails=["sara@example.com"])
    _upload(web, product["id"], PDF, "brochure.pdf")
    [row] = _rows(runtime)
    mail_sink.stop()  # the server goes away
    sent = web.post(f"/sales/attachments/{row.id}/send", {"customer_id": str(customer.id)})
    assert sent.status_code == 302
    assert "could not be sent" in web.get(sent.headers["Location"]).text
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Interaction)
                              .where(Interaction.kind == "sales.brochure_sent")) == 0


def test_sending_to_an_unknown_customer_is_a_field_error(web, product, runtime):
    _upload(web, product["id"], PDF, "brochure.pdf")
    [row] = _rows(runtime)
    for value in ("999999", "abc", ""):
        response = web.post(f"/sales/attachments/{row.id}/send", {"customer_id": value})
        assert response.status_code == 422 and 'id="f-customer_id-error"' in response.get_data(as_text=True)
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Interaction)
                              .where(Interaction.kind == "sales.brochure_sent")) == 0


def test_delete_removes_the_row_and_the_file(web, product, runtime, app):
    _upload(web, product["id"], PNG, "pen.png", kind="image")
    [row] = _rows(runtime)
    stored = Path(app.config["PAYVAND_INSTANCE"]) / "sales" / "attachments" / f"{row.id}.png"
    assert stored.exists()
    assert web.post(f"/sales/attachments/{row.id}/delete").status_code == 302
    assert _rows(runtime) == [] and not stored.exists()
    assert web.get(f"/sales/attachments/{row.id}").status_code == 404


def test_permissions_are_enforced(web, web_as, product, runtime, make_customer, client):
    _upload(web, product["id"], PDF, "brochure.pdf")
    [row] = _rows(runtime)
    customer = make_customer(given_name="Reza")
    nobody = web_as([])
    assert nobody.get(f"/sales/products/{product['id']}/attachments").status_code == 403
    assert nobody.get(f"/sales/attachments/{row.id}").status_code == 403
    viewer = web_as([perm.CATALOG_VIEW])
    assert viewer.get(f"/sales/products/{product['id']}/attachments").status_code == 200
    assert viewer.get(f"/sales/attachments/{row.id}").status_code == 200
    assert _upload(viewer, product["id"], PDF, "x.pdf").status_code == 403
    assert viewer.post(f"/sales/attachments/{row.id}/delete").status_code == 403
    assert viewer.post(f"/sales/attachments/{row.id}/send", {"customer_id": str(customer.id)}).status_code == 403
    sender = web_as([perm.CATALOG_VIEW, "core.interaction.create"])
    assert sender.post(f"/sales/attachments/{row.id}/send", {"customer_id": str(customer.id)}).status_code == 302
    assert client.get(f"/sales/attachments/{row.id}").status_code in (302, 401)
    assert len(_rows(runtime)) == 1


def test_posting_without_csrf_is_refused(web, product, runtime):
    assert _upload(web, product["id"], PDF, "a.pdf", csrf=False).status_code == 400
    _upload(web, product["id"], PDF, "a.pdf")
    [row] = _rows(runtime)
    assert web.post(f"/sales/attachments/{row.id}/delete", csrf=False).status_code == 400
    assert web.post(f"/sales/attachments/{row.id}/send", {"customer_id": "1"}, csrf=False).status_code == 400
    assert len(_rows(runtime)) == 1


@pytest.mark.parametrize("case", sorted(hostile_uploads()))
def test_a_disguised_page_or_script_is_refused_and_nothing_is_kept(web, product, runtime, app, case):
    content, name = hostile_uploads()[case]
    for kind in ("brochure", "image"):
        response = _upload(web, product["id"], content, name, kind=kind)
        assert response.status_code == 422, (case, kind)
        assert 'id="f-file-error"' in response.get_data(as_text=True)
    assert _rows(runtime) == []
    folder = Path(app.config["PAYVAND_INSTANCE"]) / "sales" / "attachments"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_file_is_stored_with_its_types_extension_and_served_with_its_type(web, product, runtime, app):
    for kind, name in (("jpeg", "photo.JPEG"), ("webp", "pen.webp"), ("png", "pen.png")):
        assert _upload(web, product["id"], sample_upload(kind), name, kind="image").status_code == 302
    rows = _rows(runtime)
    assert [Path(row.stored_path).suffix for row in rows] == [".jpg", ".webp", ".png"]
    for row, content_type in zip(rows, ("image/jpeg", "image/webp", "image/png"), strict=False):
        download = web.get(f"/sales/attachments/{row.id}")
        assert download.headers["Content-Type"] == content_type
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Disposition"].startswith("inline")
        assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_an_old_attachment_under_another_extension_downloads_with_its_types(web, product, runtime):
    _upload(web, product["id"], PDF, "brochure.pdf")
    [row] = _rows(runtime)
    with runtime.sessionmaker.begin() as session:
        session.get(Attachment, row.id).filename = "brochure.html"  # as stored before the whole-type check
    download = web.get(f"/sales/attachments/{row.id}")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "brochure.html.pdf" in download.headers["Content-Disposition"]
