"""`|` joins a customer's tags in CSV exports and splits them on import, so no tag may hold it:
refused at every entry (API, staff forms, SDK), split on import; every other tag survives the
export → import round trip."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from customer_csv import export_text, import_text, wipe_customers

from payvand.core.importer import ImportOptions, import_customers
from payvand.core.models import CustomerTag
from payvand.core.schemas import TAG_SEPARATOR_MESSAGE
from payvand.sdk.testing import assert_csv_round_trip

#: Tags next to the separator: other bars, commas, slashes, backslashes, quotes.
NEAR_SEPARATOR = ("a/b", "a\\b", "a¦b", "a｜b", "a, b", "a، b", "\\x", "'x", '"q"', "کی")


def _tags(runtime: Any) -> set[str]:
    with runtime.sessionmaker() as session:
        return set(session.scalars(sa.select(CustomerTag.tag)))


def test_the_api_refuses_a_tag_with_the_separator(api):
    for body in ({"given_name": "Ali", "tags": ["vip|gold"]}, {"given_name": "Ali", "tags": ["ok", "|"]}):
        refused = api.post("customers", json=body)
        assert refused.status_code == 422, refused.get_json()
        assert TAG_SEPARATOR_MESSAGE in str(refused.get_json()["error"]["fields"]), refused.get_json()
    customer = api.post("customers", json={"given_name": "Ali", "tags": ["vip"]}).get_json()
    patched = api.patch(f"customers/{customer['id']}", json={"tags": ["vip|gold"]})
    assert patched.status_code == 422


def test_the_staff_forms_refuse_a_tag_with_the_separator(web, make_customer, runtime):
    created = web.post("/customers/new", {"given_name": "Ali", "tags": "vip|gold"})
    assert created.status_code == 422 and "“|”" in created.get_data(as_text=True)
    customer = make_customer(given_name="Sara", tags=["vip"])
    added = web.post(f"/customers/{customer.id}/tags", {"action": "add", "tag": "a|b"}, headers={"HX-Request": "true"})
    assert added.status_code == 422 and "“|”" in added.get_data(as_text=True)
    flashed = web.post(f"/customers/{customer.id}/tags", {"action": "add", "tag": "a|b"}, follow_redirects=True)
    assert "“|”" in flashed.get_data(as_text=True)
    assert _tags(runtime) == {"vip"}


def test_the_persian_form_says_why_in_persian(web, make_customer):
    web.post("/locale", {"locale": "fa"})
    customer = make_customer(given_name="Sara")
    added = web.post(f"/customers/{customer.id}/tags", {"action": "add", "tag": "a|b"}, follow_redirects=True)
    assert "این نویسه برچسب‌ها" in added.get_data(as_text=True)  # the flash, in Persian


def test_an_imported_tags_cell_is_split_on_the_separator(runtime, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("given_name,tags\nAli,vip|gold\n", encoding="utf-8")
    import_customers(runtime, path, ImportOptions())
    assert _tags(runtime) == {"vip", "gold"}


def test_every_tag_the_api_accepts_survives_the_round_trip(runtime, make_customer, tmp_path):
    make_customer(given_name="Ali", tags=list(NEAR_SEPARATOR))
    make_customer(given_name="Sara", tags=["vip", "+1"])
    assert_csv_round_trip(lambda: export_text(runtime), lambda text: import_text(runtime, tmp_path / "e.csv", text),
                          reset=lambda: wipe_customers(runtime), ignore=("id", "created_at", "updated_at"))
    assert _tags(runtime) == set(NEAR_SEPARATOR) | {"vip", "+1"}


@pytest.mark.parametrize("tag", ["|", "a|b", " |x", "x| "])
def test_the_sdk_refuses_the_separator_too(make_customer, tag):
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        make_customer(given_name="Ali", tags=[tag])


def test_the_migration_rewrites_stored_tags_holding_the_separator(tmp_path):
    """Tags saved before the rule get "/" for "|" (a duplicate the customer already has is dropped)."""
    from alembic import command

    from payvand.core.migrations.runner import branch_config

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")  # no FK enforcement: tag rows alone
    with engine.begin() as connection:
        command.upgrade(branch_config(connection), "13265aff31d9")
        connection.execute(sa.text("INSERT INTO core_customer_tag (customer_id, tag) VALUES "
                                   "(1, 'vip|gold'), (1, 'x|y'), (1, 'x/y'), (2, 'plain'), (2, '|')"))
    with engine.begin() as connection:
        command.upgrade(branch_config(connection), "heads")
    with engine.connect() as connection:
        rows = set(connection.execute(sa.text("SELECT customer_id, tag FROM core_customer_tag")).all())
    assert rows == {(1, "vip/gold"), (1, "x/y"), (2, "plain"), (2, "/")}
