"""What a person wrote is stored as written: digits are normalised only in numbers, ids and
search keys (docs/decisions.md, "Which text is normalised")."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.models import Customer, Interaction
from payvand.core.normalize import clean_text, fold, keep_text
from payvand.sdk import CustomerField, PluginMeta, hookimpl
from payvand.sdk.testing import assert_text_kept


def test_interaction_summary_from_the_staff_page_keeps_its_digits(web, make_customer, db_session):
    customer = make_customer()

    def send(text: str) -> int:
        response = web.post(f"/customers/{customer.id}/interactions", {
            "type": "core.note", "channel": "phone", "direction": "inbound", "summary": text, "value": "۱۲٬۰۰۰"})
        assert response.status_code == 302, response.text
        row = db_session.scalars(sa.select(Interaction).where(Interaction.customer_id == customer.id)).one()
        assert row.value == 12000  # the number field still reads Persian digits
        return row.id

    assert_text_kept(send, lambda row_id: db_session.get(Interaction, row_id).summary)


def test_interaction_summary_from_the_api_keeps_its_digits(api, make_customer, db_session):
    customer = make_customer()
    assert_text_kept(
        lambda text: api.post(f"customers/{customer.id}/interactions",
                              json={"kind": "core.note", "channel": "phone", "summary": text}).json,
        lambda body: db_session.get(Interaction, body["id"]).summary)


def test_summary_with_arabic_letters_and_line_breaks_is_kept(api, make_customer, db_session):
    customer = make_customer()
    assert_text_kept(
        lambda text: api.post(f"customers/{customer.id}/interactions",
                              json={"kind": "core.note", "channel": "phone", "summary": text}).json,
        lambda body: db_session.get(Interaction, body["id"]).summary,
        "مشتري گفت: كالا  رسيد\nشماره ٣٤ و ۱۲")


def test_customer_names_keep_their_digits_and_fold_only_yeh_and_kaf(web, db_session):
    response = web.post("/customers/new", {"kind": "organization", "organization_name": "شركت ۱۲ و ٣٤"})
    assert response.status_code == 302, response.text
    customer = db_session.scalars(sa.select(Customer)).one()
    assert customer.organization_name == "شرکت ۱۲ و ٣٤"
    found = web.get("/customers", query_string={"q": "شرکت 12"})
    assert f"/customers/{customer.id}" in found.text  # the search key folds digits


@pytest.mark.parametrize("text", ["سفارش ۱۲", "٣٤ عدد", "نیم‌فاصله ۱"])
def test_clean_text_keeps_digits_and_fold_folds_them(text):
    assert clean_text(text) == text
    assert keep_text(f"  {text}\n") == text
    assert fold(text) == fold(text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")))


def test_names_fold_arabic_yeh_and_kaf_only():
    assert clean_text("علي  كريمي ۱۲") == "علی کریمی ۱۲"


class NotesField:
    """A plugin declaring a free-text and a one-line custom field."""

    meta = PluginMeta(name="free_text_probe", version="1.0", title="Free text probe")

    @hookimpl
    def payvand_customer_fields(self) -> list[Any]:
        """A `text` (free text) and a `string` (a label) field."""
        return [CustomerField("free_text_probe.notes", type="text", max_length=2000),
                CustomerField("free_text_probe.label", type="string")]


class TestCustomFields:
    @pytest.fixture
    def payvand_plugins(self) -> list[Any]:
        return [NotesField()]

    def test_a_text_field_is_kept_as_written_and_a_string_field_tidied(self, api, db_session):
        notes = "خط اول  با ۱۲\nخط دوم ٣٤ — كالا"
        response = api.post("customers", json={"given_name": "Ali", "attributes": {
            "free_text_probe.notes": notes, "free_text_probe.label": "  برچسب  ويژه ۱۲ "}})
        assert response.status_code == 201, response.json
        customer = db_session.get(Customer, response.json["id"])
        assert customer.attributes == {"free_text_probe.notes": notes, "free_text_probe.label": "برچسب ویژه ۱۲"}
