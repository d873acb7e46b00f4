"""Lead pages: the public embeddable form with its spam protection, and the staff list, detail, new and scoring pages."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Lead, ScoringRule
from payvand.plugins.sales.views.leads import form_token
from payvand.sdk import Interaction

FORM = "/forms/lead"
VIEW_EDIT = [perm.LEAD_VIEW, perm.LEAD_EDIT]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _public_post(app, client, data, *, age=10.0, query=""):
    page = client.get(FORM + query)
    csrf = _CSRF.search(page.text).group(1)
    with app.test_request_context():
        token = form_token(time.time() - age)
    hidden = dict(re.findall(r'<input type="hidden" name="(utm_[a-z]+|campaign|referrer)" value="([^"]*)"', page.text))
    body = {"csrf_token": csrf, "form_token": token, **hidden, **data}
    return client.post(FORM, data=body)


GOOD = {"given_name": "Reza", "family_name": "Karimi", "email": "Reza@Example.com", "phone": "۰۹۱۲۱۲۳۴۵۶۷",
        "message": "Call me", "consent": "1"}


def _leads(db_session):
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Lead).order_by(Lead.id)))


def test_public_form_is_open_embeddable_and_keeps_utm_and_referrer(app, client, db_session):
    page = client.get(FORM + "?utm_source=instagram&utm_campaign=yalda&campaign=yalda-1404",
                      headers={"Referer": "https://shop.example.com/landing"})
    assert page.status_code == 200 and 'id="lead-public-form"' in page.text
    assert "X-Frame-Options" not in page.headers
    policy = page.headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors *") and "script-src 'self'" in policy
    response = _public_post(app, client, GOOD, query="?utm_source=instagram&utm_campaign=yalda&campaign=yalda-1404")
    assert response.status_code == 302 and response.headers["Location"].endswith("/forms/lead/thanks")
    thanks = client.get("/forms/lead/thanks")
    assert thanks.status_code == 200 and "X-Frame-Options" not in thanks.headers
    [lead] = _leads(db_session)
    assert (lead.source, lead.email, lead.phone, lead.consent) == ("web_form", "reza@example.com", "+989121234567", True)
    assert lead.utm == {"source": "instagram", "campaign": "yalda"} and lead.utm_source == "instagram"
    assert lead.campaign == "yalda-1404" and lead.owner_id is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 0  # not a customer yet


def test_public_form_needs_csrf_consent_and_valid_fields(app, client, db_session):
    assert client.post(FORM, data={**GOOD}).status_code == 400  # no CSRF token
    no_consent = _public_post(app, client, {k: v for k, v in GOOD.items() if k != "consent"})
    assert no_consent.status_code == 422 and 'id="f-consent"' in no_consent.text and "is-invalid" in no_consent.text
    bad = _public_post(app, client, {"email": "nope", "consent": "1"})
    assert bad.status_code == 422 and 'id="f-email-error"' in bad.text
    assert _leads(db_session) == []


def test_public_form_drops_bots_honeypot_too_fast_and_forged_tokens(app, client, db_session):
    trapped = _public_post(app, client, {**GOOD, "website": "http://spam.example"})
    assert trapped.status_code == 302  # looks like success to the bot
    too_fast = _public_post(app, client, GOOD, age=0.5)
    assert too_fast.status_code == 422
    page = client.get(FORM)
    forged = client.post(FORM, data={**GOOD, "csrf_token": _CSRF.search(page.text).group(1), "form_token": "x.y"})
    assert forged.status_code == 400
    assert _leads(db_session) == []


def test_public_form_limits_submissions_per_address(app, client, db_session):
    app.config["PAYVAND_LEAD_FORM_RATE"] = "2 per 10 minutes"
    assert _public_post(app, client, GOOD).status_code == 302
    assert _public_post(app, client, GOOD).status_code == 302
    assert _public_post(app, client, GOOD).status_code == 429
    assert len(_leads(db_session)) == 2


def test_staff_pages_need_login_and_permission(client, web_as):
    for path in ("/sales/leads", "/sales/leads/new", "/sales/scoring"):
        assert client.get(path).status_code == 302
    viewer = web_as([perm.LEAD_VIEW])
    assert viewer.get("/sales/leads").status_code == 200
    assert viewer.get("/sales/leads/new").status_code == 403
    assert viewer.get("/sales/scoring").status_code == 403
    assert web_as([]).get("/sales/leads").status_code == 403


def test_new_lead_page_saves_and_shows_field_errors(web_as, db_session):
    rep = web_as(VIEW_EDIT)
    bad = rep.post("/sales/leads/new", {"given_name": "Ali", "email": "broken"})
    assert bad.status_code == 422 and 'id="f-email-error"' in bad.text
    assert rep.post("/sales/leads/new", {"given_name": "Ali"}, csrf=False).status_code == 400
    saved = rep.post("/sales/leads/new", {"given_name": "Ali", "email": "ali@acme.ir", "source": "manual",
                                          "utm_source": "fair"})
    assert saved.status_code == 302
    [lead] = _leads(db_session)
    assert lead.owner_id == rep.user_id and lead.utm == {"source": "fair"} and lead.source == "manual"
    page = rep.get(saved.headers["Location"])
    assert page.status_code == 200 and 'id="lead-convert-form"' in page.text


def test_rep_sees_own_leads_only_and_manager_filters_by_score(web_as, db_session):
    rep, other = web_as(VIEW_EDIT), web_as(VIEW_EDIT)
    rep.post("/sales/leads/new", {"given_name": "Mine", "email": "mine@example.com"})
    other.post("/sales/leads/new", {"given_name": "Theirs", "email": "theirs@example.com"})
    mine, theirs = _leads(db_session)
    page = rep.get("/sales/leads")
    assert f'id="lead-row-{mine.id}"' in page.text and f'id="lead-row-{theirs.id}"' not in page.text
    assert rep.get(f"/sales/leads/{theirs.id}").status_code == 404
    theirs.score, theirs.score_details = 25, [["Company email", 25]]
    db_session.commit()
    manager = web_as(VIEW_EDIT + [perm.MANAGE])
    filtered = manager.get("/sales/leads?min_score=10")
    assert f'id="lead-row-{theirs.id}"' in filtered.text and f'id="lead-row-{mine.id}"' not in filtered.text
    assert "Company email" in filtered.text


def test_edit_and_convert_from_the_lead_page(web_as, db_session):
    rep = web_as(VIEW_EDIT)
    rep.post("/sales/leads/new", {"family_name": "Moradi", "email": "m@example.com"})
    [lead] = _leads(db_session)
    edited = rep.post(f"/sales/leads/{lead.id}", {"family_name": "Moradi", "email": "m@example.com",
                                                 "status": "qualified", "phone": "0912 000 1111"})
    assert edited.status_code == 302
    converted = rep.post(f"/sales/leads/{lead.id}/convert", {"create_deal": "1", "deal_title": "Moradi deal",
                                                             "deal_amount": "۲۰۰۰"})
    assert converted.status_code == 302 and "/customers/" in converted.headers["Location"]
    [lead] = _leads(db_session)
    assert lead.status == "converted" and lead.phone == "+989120001111" and lead.customer_id


def test_scoring_page_adds_rules_and_recomputes(web_as, db_session):
    manager = web_as(VIEW_EDIT + [perm.MANAGE])
    manager.post("/sales/leads/new", {"given_name": "A", "email": "a@acme.ir"})
    bad = manager.post("/sales/scoring", {"action": "add", "name": "x", "field": "source", "operator": "gte",
                                          "value": "1", "points": "5"})
    assert bad.status_code == 422 and 'id="f-operator-error"' in bad.text
    assert manager.post("/sales/scoring", {"action": "add", "name": "Company email", "field": "email_domain",
                                           "operator": "eq", "value": "acme.ir", "points": "۱۵"}).status_code == 302
    assert manager.post("/sales/scoring", {"action": "recompute"}).status_code == 302
    [lead] = _leads(db_session)
    assert lead.score == 15 and lead.score_details == [["Company email", 15]]
    rule = db_session.scalar(sa.select(ScoringRule))
    manager.post("/sales/scoring", {"action": "toggle", "rule_id": str(rule.id)})
    db_session.expire_all()
    assert db_session.get(ScoringRule, rule.id).active is False


def _queries(web, path, count_queries):
    web.get(path)
    with count_queries() as queries:
        assert web.get(path).status_code == 200
    return len(queries)


def test_lead_pages_run_a_constant_number_of_queries(web_as, db_session, count_queries):
    manager = web_as(VIEW_EDIT + [perm.MANAGE])
    manager.post("/sales/leads/new", {"given_name": "First", "email": "first@example.com"})
    first = _leads(db_session)[0].id
    few_list = _queries(manager, "/sales/leads", count_queries)
    few_lead = _queries(manager, f"/sales/leads/{first}", count_queries)
    for i in range(12):
        owner = web_as(VIEW_EDIT)
        owner.post("/sales/leads/new", {"given_name": f"L{i}", "email": f"l{i}@example.com"})
    assert _queries(manager, "/sales/leads", count_queries) == few_list
    assert _queries(manager, f"/sales/leads/{first}", count_queries) == few_lead


def test_the_embedded_form_works_without_the_session_cookie(client, app, db_session):
    """Framed in another site the browser sends no Payvand cookie: the signed timestamp is enough."""
    import time as _time

    from payvand.plugins.sales.models import Lead
    from payvand.plugins.sales.views import leads as views

    with app.test_request_context("/forms/lead"):
        token = views.form_token(_time.time() - 60)
    response = client.post("/forms/lead", data={"given_name": "Nima", "email": "nima@example.com", "consent": "1",
                                                 views.TOKEN: token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db_session.scalar(sa.select(Lead.email).where(Lead.email == "nima@example.com")) == "nima@example.com"
