"""One number rule for every number field of every staff form (core and sales): Latin, Persian and
Arabic-Indic digits, the decimal mark ٫, grouping separators between groups of three ("۱٬۲۵۰" is
1250), ambiguous input ("1,5") refused with one translated message. The API keeps its stricter
rule (no grouping) with the same digits."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from payvand.core.web.forms import NUMBER_MESSAGE
from payvand.core.web.pages.admin_settings import plugin_settings, settings_schema
from payvand.plugins.sales.models import Activity, Deal, Lead, ScoringRule
from payvand.sdk.testing import assert_number_fields_read, form_schemas


def test_every_staff_form_reads_its_number_fields_by_one_rule(app):
    schemas = [cls() for cls in form_schemas("payvand.core.web", "payvand.plugins.sales.views", "payvand.plugins.sales.schemas")]
    with app.app_context():
        schemas.append(settings_schema(plugin_settings()))  # the settings page, with the plugins' settings
    checked = {f"{type(schema).__name__}.{name}" for schema in schemas
               for name in assert_number_fields_read(app, schema)}
    # the walk finds the fields by their types; these must be among them
    assert {"DealForm.amount", "DealForm.customer_id", "ActivityForm.remind_before", "MoveForm.position",
            "PaymentForm.amount", "MergeForm.target_id", "TokenForm.user_id"} <= checked, sorted(checked)
    assert any(name.startswith("SettingsForm.") for name in checked), sorted(checked)
    assert len(checked) >= 20, sorted(checked)


def test_deal_form_amount_with_persian_separators(web, db_session, make_customer):
    made = web.post("/sales/deals/new", {"title": "Pens", "amount": "۱٬۲۵۰٬۰۰۰", "currency": "IRR"})
    assert made.status_code == 302, made.get_data(as_text=True)
    assert db_session.scalars(sa.select(Deal.amount)).one() == Decimal(1250000)


def test_deal_form_refuses_an_ambiguous_amount_with_the_rule_message(web, db_session):
    refused = web.post("/sales/deals/new", {"title": "Pens", "amount": "1,5", "currency": "IRR"})
    assert refused.status_code == 422
    assert str(NUMBER_MESSAGE) in refused.get_data(as_text=True).replace("&#39;", "'")
    assert db_session.scalars(sa.select(Deal)).all() == []


def test_persian_deal_form_says_why_in_persian(web, db_session):
    web.post("/locale", {"locale": "fa"})
    refused = web.post("/sales/deals/new", {"title": "Pens", "amount": "۱٬۲۵", "currency": "IRR"})
    assert refused.status_code == 422
    assert "جداکننده" in refused.get_data(as_text=True)


def test_lead_conversion_reads_a_grouped_persian_amount_and_refuses_an_ambiguous_one(web, db_session):
    web.post("/sales/leads/new", {"family_name": "Moradi", "email": "m@example.com"})
    lead = db_session.scalars(sa.select(Lead)).one()
    refused = web.post(f"/sales/leads/{lead.id}/convert", {"create_deal": "1", "deal_amount": "2,5"},
                       follow_redirects=True)
    assert str(NUMBER_MESSAGE) in refused.get_data(as_text=True).replace("&#39;", "'")
    db_session.expire_all()
    assert db_session.get(Lead, lead.id).status != "converted"
    converted = web.post(f"/sales/leads/{lead.id}/convert", {"create_deal": "1", "deal_amount": "۲٬۵۰۰٬۰۰۰"})
    assert converted.status_code == 302 and "/customers/" in converted.headers["Location"]
    assert db_session.scalars(sa.select(Deal.amount)).one() == Decimal(2500000)


def test_activity_reminder_minutes_and_ids_with_separators(web, db_session, make_customer):
    customer = make_customer()
    response = web.post("/sales/activities", {"kind": "call", "subject": "Call", "customer_id": str(customer.id),
                                               "due_at": "2030-01-02T10:30", "remind_before": "۱٬۴۴۰"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    activity = db_session.scalars(sa.select(Activity)).one()
    assert (activity.due_at - activity.remind_at).total_seconds() == 1440 * 60


def test_scoring_rule_points_with_persian_digits_and_ambiguous_refused(web_as, db_session):
    from payvand.plugins.sales import permissions as perm

    manager = web_as([perm.LEAD_VIEW, perm.LEAD_EDIT, perm.MANAGE])
    refused = manager.post("/sales/scoring", {"name": "Web", "field": "source", "operator": "eq",
                                              "value": "web_form", "points": "1,5"})
    assert refused.status_code == 422 and str(NUMBER_MESSAGE) in refused.get_data(as_text=True).replace("&#39;", "'")
    added = manager.post("/sales/scoring", {"name": "Web", "field": "source", "operator": "eq",
                                            "value": "web_form", "points": "۱٬۰۰۰"})
    assert added.status_code == 302, added.get_data(as_text=True)
    assert db_session.scalars(sa.select(ScoringRule.points)).one() == 1000


@pytest.mark.parametrize("amount", ["1,250", "1 250"])
def test_the_api_keeps_strict_amounts_with_the_same_digits(api, amount):
    """The API takes decimal strings in any digits ("۱۲۵۰٫۵") but no grouping: JSON is not typed by hand."""
    assert api.post("sales/deals", json={"title": "Pens", "amount": "۱۲۵۰٫۵"}).status_code == 201
    refused = api.post("sales/deals", json={"title": "Pens", "amount": amount})
    assert refused.status_code == 422 and "amount" in refused.get_json()["error"]["fields"]


def test_no_staff_template_has_a_browser_number_input():
    """`<input type="number">` refuses Persian digits and separators in the browser before the
    server's rule sees them: number fields are text inputs (with `inputmode`) in every template."""
    import re
    from pathlib import Path

    import payvand.core
    import payvand.plugins.sales

    roots = [Path(payvand.core.__file__).parent / "templates", Path(payvand.plugins.sales.__file__).parent / "templates"]
    found = [f"{path.name}: {match.group(0)}" for root in roots for path in sorted(root.rglob("*.html"))
             for match in re.finditer(r"<input[^>]*type=\"number\"[^>]*>|type=\"number\"", path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_leads_filter_reads_a_persian_minimum_score(web, db_session):
    for name, score in (("Low", 5), ("High", 1500)):
        web.post("/sales/leads/new", {"family_name": name, "email": f"{name}@example.com"})
        lead = db_session.scalars(sa.select(Lead).where(Lead.family_name == name)).one()
        lead.score = score
    db_session.commit()
    page = web.get("/sales/leads", query_string={"min_score": "۱٬۰۰۰"}).get_data(as_text=True)
    assert "High" in page and "Low" not in page


@pytest.mark.parametrize("text", ["۱۲۵۰", "١٢٥٠", "1250", "۱۲۵۰٫۵", "١٢٥٠٫٠٥", "-۳۰۰", "0.0001", "۰"])
def test_the_api_amount_and_the_form_rule_read_ungrouped_digits_alike(text):
    """The API's `Amount` is the form rule without grouping: the same digits and decimal marks."""
    from payvand.plugins.sales.api.fields import Amount
    from payvand.sdk import read_number

    assert Amount(minimum=None).deserialize(text) == read_number(text)
