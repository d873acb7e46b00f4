"""The kernel's upload checker (`payvand.sdk.check_upload`): the whole type, no HTML inside, an
extension that matches the content; the SDK test kit's sample and hostile files."""

from __future__ import annotations

import pytest

from payvand.sdk import FILE_TYPES, UploadRejected, check_upload
from payvand.sdk.testing import hostile_uploads, sample_upload

IMAGES_AND_PDF = ("pdf", "png", "jpeg", "webp")


@pytest.mark.parametrize("kind, name", [("pdf", "a.pdf"), ("png", "a.PNG"), ("jpeg", "a.jpg"), ("jpeg", "a.jpeg"),
                                        ("webp", "a.webp"), ("csv", "a.csv"), ("csv", "a.txt")])
@pytest.mark.parametrize("padding", [0, 1, 5000])
def test_a_whole_file_is_accepted_as_its_type(kind, name, padding):
    found = check_upload(sample_upload(kind, padding=padding), name, FILE_TYPES)
    assert found is FILE_TYPES[kind]


@pytest.mark.parametrize("case", sorted(hostile_uploads()))
def test_a_disguised_page_is_refused(case):
    content, name = hostile_uploads()[case]
    with pytest.raises(UploadRejected) as refused:
        check_upload(content, name, IMAGES_AND_PDF)
    assert refused.value.code in ("type", "corrupt", "html", "extension")


def test_the_reasons_say_what_is_wrong(app):
    with app.test_request_context():
        with pytest.raises(UploadRejected) as wrong_name:
            check_upload(sample_upload("png"), "pen.html", IMAGES_AND_PDF)
        assert wrong_name.value.code == "extension" and "PNG" in wrong_name.value.message
        with pytest.raises(UploadRejected) as truncated:
            check_upload(sample_upload("png")[:-12], "pen.png", IMAGES_AND_PDF)  # IEND cut off
        assert truncated.value.code == "corrupt"
        with pytest.raises(UploadRejected) as empty:
            check_upload(b"  \n", "a.csv", ("csv",))
        assert empty.value.code == "empty"


def test_only_the_allowed_types_are_accepted():
    with pytest.raises(UploadRejected) as refused:
        check_upload(sample_upload("pdf"), "a.pdf", ("png",))
    assert refused.value.code == "type"


def test_a_csv_may_quote_tags_in_its_cells_but_may_not_be_a_page():
    assert check_upload(sample_upload("csv", text=b'Ali,"<b>VIP</b> <script>"'), "a.csv", ("csv",)).name == "csv"
    for page in (b"<!DOCTYPE html><html><body>x</body></html>", b"\xef\xbb\xbf  <script>alert(1)</script>"):
        with pytest.raises(UploadRejected) as refused:
            check_upload(page, "a.csv", ("csv",))
        assert refused.value.code == "html"


def test_a_binary_file_is_not_a_csv():
    for content in (sample_upload("pdf"), b"PK\x03\x04" + b"\x00" * 40, b"name\x00email\n"):
        with pytest.raises(UploadRejected) as refused:
            check_upload(content, "data.csv", ("csv",))
        assert refused.value.code == "type"
    utf16 = "name,email\r\nسارا,sara@example.com\r\n".encode("utf-16")
    assert check_upload(utf16, "a.csv", ("csv",)).name == "csv"
