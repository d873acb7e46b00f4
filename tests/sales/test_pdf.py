"""PDFs of quotes and invoices: valid files with the number, customer and exact total, Persian
shaped and right to left, long documents over several pages, permissions, and the vendored font."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from flask_babel import force_locale
from fontTools.ttLib import TTFont
from fpdf import FPDF

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Invoice, Quote
from payvand.plugins.sales.services import pdf
from payvand.sdk import format_money
from payvand.sdk.pdf import font_path


@pytest.fixture
def priced(api):
    """A default price list with one standard-VAT product (1,250,000 IRR)."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    pen = api.post("sales/products", json={"sku": "PEN", "name": "Fountain pen"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{pen['id']}", json={"unit_price": "1250000"})
    return pen


def _quote(api, customer_id: int, lines: list[dict]) -> dict:
    response = api.post("sales/quotes", json={"customer_id": customer_id, "lines": lines})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _reader(body: bytes) -> pypdf.PdfReader:
    assert body.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(body))


def _text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in _reader(body).pages)


def _glyph_names(body: bytes) -> set[str]:
    """The glyphs of every embedded font subset."""
    names: set[str] = set()
    for page in _reader(body).pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            program = descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()
            names.update(TTFont(io.BytesIO(program)).getGlyphOrder())
    return names


def test_the_vendored_ttf_fonts_are_there_for_the_sdk():
    for weight in ("Regular", "Bold"):
        path = Path(font_path(weight))
        assert path.is_file() and path.read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    with pytest.raises(ValueError):
        font_path("Heavy")


def test_an_english_quote_pdf_has_the_number_the_customer_and_the_exact_total(web_as, api, priced, make_customer, app):
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    quote = _quote(api, customer.id, [{"product_id": priced["id"], "quantity": "3", "discount_percent": "10"},
                                      {"description": "Gift wrapping", "quantity": "1", "unit_price": "50001"}])
    web = web_as([perm.DOCUMENT_VIEW, perm.DOCUMENT_ALL])
    web.post("/account/locale", {"locale": "en"})
    response = web.get(f"/sales/quotes/{quote['id']}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{quote["number"]}.pdf"'
    text = _text(response.data)
    with app.test_request_context(), force_locale("en"):
        total = format_money(quote["total"], "IRR")
    assert quote["number"] in text and "Sara Ahmadi" in text
    assert total in text and quote["total"] == "3767501"
    assert "Gift wrapping" in text and "Tax at 10%" in text


def test_a_persian_quote_is_shaped_and_right_to_left(api, priced, make_customer, app, db_session):
    customer = make_customer(given_name="سارا", family_name="احمدی")
    quote = _quote(api, customer.id, [{"description": "خودکار آبی", "quantity": "2", "unit_price": "1000"}])
    with app.test_request_context(), force_locale("fa"):
        found = db_session.get(Quote, quote["id"])
        shaped = pdf.quote_pdf(found)
    text = _text(shaped)
    assert "سارا احمدی" in text and "پیش‌فاکتور" in text  # logical order back out: shaped, not reversed
    # joined letters: the initial/medial forms of س, ح and م (U+FEB3, U+FEA3, U+FEE4) are embedded,
    # where drawing the letters one by one would use the isolated forms only
    assert {"uniFEB3", "uniFEA3", "uniFEE4"} <= _glyph_names(shaped)


def test_without_shaping_the_same_letters_would_not_join(app):
    """The control for the test above: fpdf2 without HarfBuzz draws isolated, reversed letters."""
    from fpdf import FPDF

    plain = FPDF()
    plain.add_font("V", "", font_path())
    plain.set_font("V", size=12)
    plain.add_page()
    plain.cell(0, 10, "سارا احمدی")
    body = bytes(plain.output())
    assert "سارا احمدی" not in _text(body)
    assert not {"uniFEB3", "uniFEA3", "uniFEE4"} & _glyph_names(body)


def test_a_quote_of_200_lines_breaks_over_pages_with_every_line(api, priced, make_customer, app, db_session):
    customer = make_customer()
    lines = [{"description": f"Item {n:03d}", "quantity": "1", "unit_price": str(1000 + n)} for n in range(200)]
    quote = _quote(api, customer.id, lines)
    with app.test_request_context(), force_locale("en"):
        body = pdf.quote_pdf(db_session.get(Quote, quote["id"]))
        total = format_money(quote["total"], "IRR")
    reader = _reader(body)
    assert len(reader.pages) >= 4
    text = _text(body)
    assert all(f"Item {n:03d}" in text for n in range(200))
    assert total in reader.pages[-1].extract_text()
    assert all("Description" in page.extract_text() for page in reader.pages[:-1])  # headings repeated


def _invoice(api, priced, make_customer, **customer) -> dict:
    order = api.post("sales/orders", json={"customer_id": make_customer(**customer).id, "lines": [
        {"product_id": priced["id"], "quantity": "2"}]}).get_json()
    return api.post("sales/invoices", json={"order_id": order["id"]}).get_json()


def test_an_invoice_pdf_shows_the_balance_due_and_a_void_one_says_void(api, priced, make_customer, app, db_session):
    invoice = _invoice(api, priced, make_customer, given_name="Reza", family_name="Karimi")
    api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "750000"})
    response = api.get(f"sales/invoices/{invoice['id']}/pdf?lang=en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    with app.test_request_context(), force_locale("en"):
        due = format_money("2000000", "IRR")
        total = format_money("2750000", "IRR")
    assert invoice["number"] in text and "Reza Karimi" in text and total in text
    assert "Balance due" in text and due in text and "VOID" not in text
    api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "-750000"})
    assert api.post(f"sales/invoices/{invoice['id']}/void", json={"reason": "Wrong address"}).status_code == 200
    void = _text(api.get(f"sales/invoices/{invoice['id']}/pdf?lang=en").data)
    assert "VOID" in void and "Wrong address" in void and "Balance due" not in void


def test_a_persian_invoice_pdf_renders(api, priced, make_customer, app, db_session):
    invoice = _invoice(api, priced, make_customer, given_name="رضا", family_name="کریمی")
    with app.test_request_context(), force_locale("fa"):
        body = pdf.invoice_pdf(db_session.get(Invoice, invoice["id"]))
    text = _text(body)
    assert "رضا کریمی" in text and "فاکتور" in text


def test_pdfs_need_the_document_view_permission(web_as, api_as, api, priced, make_customer):
    quote = _quote(api, make_customer().id, [{"product_id": priced["id"], "quantity": "1"}])
    invoice = _invoice(api, priced, make_customer)
    for path in (f"/sales/quotes/{quote['id']}.pdf", f"/sales/invoices/{invoice['id']}.pdf"):
        assert web_as([]).get(path).status_code == 403
        assert web_as([perm.DOCUMENT_VIEW]).get(path).status_code == 404  # another's document (rules.py)
        assert web_as([perm.DOCUMENT_VIEW, perm.DOCUMENT_ALL]).get(path).status_code == 200
    for path in (f"sales/quotes/{quote['id']}/pdf", f"sales/invoices/{invoice['id']}/pdf"):
        assert api_as([perm.CATALOG_VIEW]).get(path).status_code == 403
        assert api_as([perm.DOCUMENT_VIEW]).get(path).status_code == 404
        assert api_as([perm.DOCUMENT_VIEW, perm.DOCUMENT_ALL]).get(path).status_code == 200


def test_a_missing_document_has_no_pdf(web, api):
    assert web.get("/sales/quotes/999.pdf").status_code == 404
    assert web.get("/sales/invoices/999.pdf").status_code == 404
    assert api.get("sales/quotes/999/pdf").status_code == 404
    assert api.get("sales/invoices/999/pdf").status_code == 404


def test_the_pdf_routes_are_application_pdf_in_the_openapi_document(api):
    document = api.get("openapi.json").get_json()
    for path in ("/api/v1/sales/quotes/{quote_id}/pdf", "/api/v1/sales/invoices/{invoice_id}/pdf"):
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        # application/pdf first; application/octet-stream too, for client generators (decisions.md)
        assert list(content) == ["application/pdf", "application/octet-stream"]
        for kind in content:
            assert content[kind]["schema"] == {"type": "string", "format": "binary"}


def _visual_runs(line: str) -> list[tuple[str, str]]:
    """The runs fpdf2's bidi algorithm makes of a right-to-left line: (text, direction)."""
    from fpdf.bidi import BidiParagraph, auto_detect_base_direction

    paragraph = BidiParagraph(text=line, base_direction=auto_detect_base_direction(line))
    return [(text, str(direction).rsplit(".", 1)[-1]) for text, direction in paragraph.get_bidi_fragments()]


@pytest.mark.parametrize("name", ["Ali (علی) Co.", "علی (Ali) Co.", "Saffron (زعفران) 5 g."])
def test_a_mixed_name_in_a_persian_labelled_line_keeps_its_brackets_and_full_stop(name):
    runs = _visual_runs(pdf.labelled("مشتری", name))
    # Without isolation the brackets around the Persian word and the final full stop fall into
    # right-to-left runs of the Persian line (mirrored and moved); isolated, every bracket and
    # full stop of a name starting with Latin stays in a left-to-right run with its words.
    starts_latin = name[0].isascii()
    for text, direction in runs:
        if any(mark in text for mark in "().") and starts_latin:
            assert direction == "LTR", runs
    plain = _visual_runs(f"مشتری: {name}")
    if starts_latin:
        assert any(direction == "RTL" and any(mark in text for mark in "().") for text, direction in plain)


def test_a_persian_pdf_isolates_user_text_and_draws_no_glyph_for_the_isolates(
        api, priced, make_customer, app, db_session):
    customer = make_customer(kind="organization", organization_name="Ali (علی) Co.")
    quote = _quote(api, customer.id, [{"description": "Saffron (زعفران) 5 g.", "quantity": "1", "unit_price": "1000"}])
    with app.test_request_context(), force_locale("fa"):
        shaped = pdf.quote_pdf(db_session.get(Quote, quote["id"]))
    text = _text(shaped)
    assert "\u2068" in text and "\u2069" in text  # the isolates reach the PDF's text (copy and paste keep them)
    assert "علی" in text and "زعفران" in text
    page = FPDF()
    page.add_font("Vazirmatn", "", font_path("Regular"))
    page.set_text_shaping(True)
    page.add_page()
    page.set_font("Vazirmatn", "", 12)
    line = "مشتری: Ali (علی) Co."
    assert page.get_string_width(pdf.labelled("مشتری", "Ali (علی) Co.")) == page.get_string_width(line)  # FSI/PDI take no room
