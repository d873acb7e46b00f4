"""Quotes sent by email, rejected and expired; invoices voided; the owner an order counts for."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest
import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Order, Quote
from payvand.plugins.sales.services import documents
from payvand.sdk import Interaction


@pytest.fixture
def pen(api):
    """A default price list with one standard-VAT product (1,250,000 IRR)."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    product = api.post("sales/products", json={"sku": "PEN", "name": "Fountain pen"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": "1250000"})
    return product


def _quote(api, customer_id: int, product: dict, **extra) -> dict:
    made = api.post("sales/quotes", json={"customer_id": customer_id, "lines": [
        {"product_id": product["id"], "quantity": "1"}], **extra})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _events(db_session, kind: str) -> list[Interaction]:
    return list(db_session.scalars(sa.select(Interaction).where(Interaction.kind == kind).order_by(Interaction.id)))


# --------------------------------------------------------------------------- sending by email


def test_sending_a_quote_emails_the_customer_its_pdf_after_the_commit(api, pen, make_customer, mail_sink, db_session,
                                                                       run_jobs):
    customer = make_customer(given_name="Sara", family_name="Ahmadi", emails=["sara@example.com"],
                             preferred_language="en")
    quote = _quote(api, customer.id, pen)
    sent = api.post(f"sales/quotes/{quote['id']}/send")
    assert sent.status_code == 200, sent.get_json()
    body = sent.get_json()
    assert (body["status"], body["emailed"], body["mail_error"]) == ("sent", True, None)
    assert mail_sink.messages == []  # queued in the outbox with the send: the job runner mails it
    run_jobs()
    [message] = mail_sink.to("sara@example.com")
    assert quote["number"] in message["Subject"]
    assert "Hello Sara Ahmadi," in message.get_body(("plain",)).get_content()
    assert quote["number"] in message.get_body(("html",)).get_content()
    [attached] = list(message.iter_attachments())
    assert attached.get_filename() == f"{quote['number']}.pdf"
    assert attached.get_content_type() == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(attached.get_content())).pages)
    assert quote["number"] in text and "Sara Ahmadi" in text  # in the customer's language: English
    [event] = _events(db_session, "sales.quote_sent")
    assert event.payload["emailed"] is True and event.channel == "email"


def test_a_persian_customer_gets_a_persian_email(api, pen, make_customer, mail_sink, run_jobs):
    customer = make_customer(given_name="سارا", family_name="احمدی", emails=["sara@example.ir"], preferred_language="fa")
    quote = _quote(api, customer.id, pen)
    assert api.post(f"sales/quotes/{quote['id']}/send").get_json()["emailed"] is True
    run_jobs()
    [message] = mail_sink.to("sara@example.ir")
    assert "پیش‌فاکتور" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and "سارا احمدی" in html


def test_without_mail_the_quote_is_only_marked_sent_and_says_why(api, pen, make_customer, db_session):
    customer = make_customer(emails=["a@example.com"])
    quote = _quote(api, customer.id, pen)
    body = api.post(f"sales/quotes/{quote['id']}/send").get_json()
    assert (body["status"], body["emailed"]) == ("sent", False)
    assert "not configured" in body["mail_error"]
    [event] = _events(db_session, "sales.quote_sent")
    assert event.payload["emailed"] is False


def test_a_customer_without_an_email_address_is_not_emailed(api, pen, make_customer, mail_sink):
    quote = _quote(api, make_customer().id, pen)
    body = api.post(f"sales/quotes/{quote['id']}/send").get_json()
    assert (body["status"], body["emailed"]) == ("sent", False)
    assert "no email address" in body["mail_error"]
    assert mail_sink.messages == []


def test_a_failing_mail_server_keeps_the_send_and_the_outbox_retries_the_mail(api, pen, make_customer, runtime, app,
                                                                            db_session, mail_sink):
    from payvand.core.db import utcnow
    from payvand.core.models import OutboxEvent, PluginState

    customer = make_customer(emails=["a@example.com"])
    quote = _quote(api, customer.id, pen)
    working = runtime.config["PAYVAND_SMTP_URL"]
    runtime.config["PAYVAND_SMTP_URL"] = app.config["PAYVAND_SMTP_URL"] = "smtp://127.0.0.1:9"  # nothing listens
    response = api.post(f"sales/quotes/{quote['id']}/send")
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["emailed"]) == ("sent", True)
    runtime.job_runner.run_pending()
    assert db_session.get(Quote, quote["id"]).status == "sent"  # committed before any mail was tried
    [event] = db_session.scalars(sa.select(OutboxEvent).where(OutboxEvent.hook == "sales.quote_sent")).all()
    assert event.pending == ["sales"] and event.delivered_at is None and "sales: MailError" in event.last_error
    assert "sales.quote_sent" in db_session.get(PluginState, "sales").last_error  # shown on the plugins page
    assert mail_sink.messages == []

    runtime.config["PAYVAND_SMTP_URL"] = app.config["PAYVAND_SMTP_URL"] = working  # the server is back
    runtime.job_runner.deliver_due(utcnow() + dt.timedelta(minutes=1))  # after the backoff
    [message] = mail_sink.to("a@example.com")
    assert quote["number"] in message["Subject"]
    db_session.expire_all()
    assert db_session.get(OutboxEvent, event.id).delivered_at is not None


def test_a_rolled_back_send_mails_nothing(api, pen, make_customer, db_session, in_app, mail_sink, run_jobs):
    quote = _quote(api, make_customer(emails=["c@example.com"]).id, pen)
    delivery = documents.deliver_quote(db_session, documents.get_quote(db_session, quote["id"]))
    assert delivery.emailed is True
    db_session.rollback()
    run_jobs()
    assert mail_sink.messages == [] and db_session.get(Quote, quote["id"]).status == "draft"


def test_the_send_button_says_whether_the_quote_was_emailed(web, api, pen, make_customer, mail_sink, run_jobs):
    web.post("/account/locale", {"locale": "en"})
    emailed = _quote(api, make_customer(emails=["b@example.com"]).id, pen)
    page = web.post(f"/sales/quotes/{emailed['id']}/send", follow_redirects=True).get_data(as_text=True)
    assert "it is being emailed to \u2068b@example.com\u2069" in page
    unmailed = _quote(api, make_customer().id, pen)
    page = web.post(f"/sales/quotes/{unmailed['id']}/send", follow_redirects=True).get_data(as_text=True)
    assert "marked sent but not emailed" in page and "no email address" in page
    run_jobs()
    assert len(mail_sink.messages) == 1


# --------------------------------------------------------------------------- rejecting and expiring


def test_a_rejected_quote_keeps_its_reason_and_cannot_be_accepted(api, pen, make_customer, db_session):
    from payvand.core.models import AuditLog

    quote = _quote(api, make_customer().id, pen)
    rejected = api.post(f"sales/quotes/{quote['id']}/reject", json={"reason": "  Too   expensive (۱۲٪ more) "})
    assert rejected.status_code == 200, rejected.get_json()
    body = rejected.get_json()
    assert (body["status"], body["reject_reason"]) == ("rejected", "Too   expensive (۱۲٪ more)") and body["rejected_at"]
    assert api.post(f"sales/quotes/{quote['id']}/accept").status_code == 409
    again = api.post(f"sales/quotes/{quote['id']}/reject", json={})
    assert again.status_code == 409 and "only a draft or sent quote" in again.get_json()["error"]["message"]
    [event] = _events(db_session, "sales.quote_rejected")
    assert event.payload == {"number": quote["number"], "reason": "Too   expensive (۱۲٪ more)"}
    audit = db_session.scalar(sa.select(AuditLog).where(AuditLog.object_type == "sales_quote", AuditLog.action == "reject"))
    assert audit.after == {"status": "rejected", "reason": "Too   expensive (۱۲٪ more)"}


def test_rejecting_needs_the_edit_permission_and_an_existing_quote(api_as, api, pen, make_customer):
    quote = _quote(api, make_customer().id, pen)
    assert api_as([perm.DOCUMENT_VIEW]).post(f"sales/quotes/{quote['id']}/reject", json={}).status_code == 403
    assert api.post("sales/quotes/999/reject", json={}).status_code == 404


def test_the_reject_button_records_the_reason(web, api, pen, make_customer):
    quote = _quote(api, make_customer().id, pen)
    page = web.get(f"/sales/quotes/{quote['id']}").get_data(as_text=True)
    assert 'id="quote-reject-form"' in page and 'id="quote-pdf"' in page
    assert web.post(f"/sales/quotes/{quote['id']}/reject", {"reason": "Chose a rival"}).status_code == 302
    assert api.get(f"sales/quotes/{quote['id']}").get_json()["reject_reason"] == "Chose a rival"
    page = web.get(f"/sales/quotes/{quote['id']}").get_data(as_text=True)
    assert 'id="quote-rejected"' in page and "Chose a rival" in page and 'id="quote-reject-form"' not in page


def test_quotes_past_their_validity_expire_in_one_pass(api, pen, make_customer, app, db_session):
    customer = make_customer()
    with app.app_context():
        today = documents.local_today()
    yesterday, tomorrow = (today - dt.timedelta(days=1)).isoformat(), (today + dt.timedelta(days=1)).isoformat()
    old_draft = _quote(api, customer.id, pen, valid_until=yesterday)
    old_sent = _quote(api, customer.id, pen, valid_until=yesterday)
    api.post(f"sales/quotes/{old_sent['id']}/send")
    due_today = _quote(api, customer.id, pen, valid_until=today.isoformat())
    later = _quote(api, customer.id, pen, valid_until=tomorrow)
    open_ended = _quote(api, customer.id, pen)
    accepted = _quote(api, customer.id, pen, valid_until=tomorrow)
    api.post(f"sales/quotes/{accepted['id']}/accept")
    db_session.execute(sa.update(Quote).where(Quote.id == accepted["id"]).values(valid_until=today - dt.timedelta(days=3)))
    db_session.commit()
    with app.app_context():
        from payvand.core.db import session_scope

        with session_scope(app.extensions["payvand"].sessionmaker) as session:
            from payvand.core.db import bind_session

            with bind_session(session):
                assert documents.expire_quotes() == 2
                assert documents.expire_quotes() == 0  # nothing left to expire
    statuses = {q: api.get(f"sales/quotes/{q}").get_json()["status"] for q in
                (old_draft["id"], old_sent["id"], due_today["id"], later["id"], open_ended["id"], accepted["id"])}
    assert statuses == {old_draft["id"]: "expired", old_sent["id"]: "expired", due_today["id"]: "draft",
                        later["id"]: "draft", open_ended["id"]: "draft", accepted["id"]: "accepted"}
    assert api.get(f"sales/quotes/{old_sent['id']}").get_json()["expired_at"]
    [event] = _events(db_session, "sales.quote_expired")  # the customer had only the sent one
    assert event.source_id == str(old_sent["id"]) and event.value == Decimal(1375000)


def test_the_expiry_job_is_declared_daily():
    [job] = documents.jobs()
    assert (job.name, job.func, job.every_seconds) == ("sales.quote_expiry", documents.expire_quotes, 86400)


# --------------------------------------------------------------------------- voiding invoices


def _invoice(api, pen, make_customer) -> dict:
    order = api.post("sales/orders", json={"customer_id": make_customer().id, "lines": [
        {"product_id": pen["id"], "quantity": "1"}]}).get_json()
    return api.post("sales/invoices", json={"order_id": order["id"]}).get_json()


def test_an_invoice_with_payments_is_voided_only_once_refunded(api, pen, make_customer, db_session):
    from payvand.core.models import AuditLog

    invoice = _invoice(api, pen, make_customer)
    api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "375000"})
    refused = api.post(f"sales/invoices/{invoice['id']}/void", json={"reason": "Duplicate"})
    assert refused.status_code == 409 and "refund" in refused.get_json()["error"]["message"]
    api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "-375000"})
    voided = api.post(f"sales/invoices/{invoice['id']}/void", json={"reason": "Duplicate"})
    assert voided.status_code == 200, voided.get_json()
    body = voided.get_json()
    assert (body["status"], body["void_reason"], body["balance_due"]) == ("void", "Duplicate", "0") and body["voided_at"]
    assert api.post(f"sales/invoices/{invoice['id']}/void", json={}).status_code == 409
    assert api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "1"}).status_code == 409
    [event] = _events(db_session, "sales.invoice_voided")
    assert event.payload == {"number": invoice["number"], "reason": "Duplicate"}
    assert db_session.scalar(sa.select(AuditLog.id).where(AuditLog.object_type == "sales_invoice",
                                                          AuditLog.action == "void")) is not None
    again = api.post("sales/invoices", json={"order_id": invoice["order_id"]})  # the order may be invoiced anew
    assert again.status_code == 201 and again.get_json()["number"] != invoice["number"]


def test_a_void_invoice_owes_nothing_on_the_customer_panel(api, pen, make_customer, app):
    from payvand.plugins.sales.services import panel

    invoice = _invoice(api, pen, make_customer)
    with app.app_context():
        assert panel.balance_due(invoice["customer_id"]) == {"IRR": Decimal(1375000)}
    api.post(f"sales/invoices/{invoice['id']}/void", json={})
    with app.app_context():
        assert panel.balance_due(invoice["customer_id"]) == {}


def test_voiding_needs_the_edit_permission_and_an_existing_invoice(api_as, api, pen, make_customer):
    invoice = _invoice(api, pen, make_customer)
    assert api_as([perm.DOCUMENT_VIEW, perm.PAYMENT_RECORD]).post(
        f"sales/invoices/{invoice['id']}/void", json={}).status_code == 403
    assert api.post("sales/invoices/999/void", json={}).status_code == 404


def test_the_void_button_marks_the_invoice_page(web, api, pen, make_customer):
    web.post("/account/locale", {"locale": "en"})
    invoice = _invoice(api, pen, make_customer)
    page = web.get(f"/sales/invoices/{invoice['id']}").get_data(as_text=True)
    assert 'id="invoice-void-form"' in page and "data-confirm" in page and 'id="invoice-void-mark"' not in page
    assert web.post(f"/sales/invoices/{invoice['id']}/void", {"reason": "Typo"}).status_code == 302
    page = web.get(f"/sales/invoices/{invoice['id']}").get_data(as_text=True)
    assert 'id="invoice-void-mark"' in page and "VOID" in page and "Typo" in page
    assert 'id="invoice-balance"' not in page and 'id="invoice-void-form"' not in page and 'id="payment-form"' not in page


def test_the_void_button_explains_a_refusal(web, api, pen, make_customer):
    invoice = _invoice(api, pen, make_customer)
    api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "1000"})
    page = web.post(f"/sales/invoices/{invoice['id']}/void", {}, follow_redirects=True).get_data(as_text=True)
    assert "refund the payments before voiding it" in page
    assert api.get(f"sales/invoices/{invoice['id']}").get_json()["status"] == "partially_paid"


# --------------------------------------------------------------------------- order owner


def test_an_order_counts_for_the_deal_owner_else_the_customer_owner_else_the_user(api_as, api, pen, make_customer,
                                                                                  make_user, db_session):
    rep, manager = make_user(), make_user()
    clerk = api_as([perm.DOCUMENT_VIEW, perm.DOCUMENT_EDIT, perm.DOCUMENT_ALL])
    owned = make_customer(owner_id=manager.id)
    lines = [{"product_id": pen["id"], "quantity": "1"}]
    assert clerk.post("sales/orders", json={"customer_id": owned.id, "lines": lines}).get_json()["owner_id"] == manager.id
    unowned = make_customer()
    placed = clerk.post("sales/orders", json={"customer_id": unowned.id, "lines": lines}).get_json()
    assert placed["owner_id"] == clerk.user_id
    # a quote made for a deal: the order counts for the deal's owner
    deal = api.post("sales/deals", json={"title": "Pens", "customer_id": owned.id, "owner_id": rep.id,
                                         "amount": "1375000"})
    assert deal.status_code == 201, deal.get_json()
    quote = _quote(api, owned.id, pen, deal_id=deal.get_json()["id"])
    assert quote["deal_id"] == deal.get_json()["id"]
    order = clerk.post(f"sales/quotes/{quote['id']}/accept").get_json()
    assert order["owner_id"] == rep.id
    assert db_session.get(Order, order["id"]).owner_id == rep.id
    unknown = api.post("sales/quotes", json={"customer_id": owned.id, "deal_id": 999, "lines": lines})
    assert unknown.status_code == 422 and "deal_id" in unknown.get_json()["error"]["fields"]


def test_an_expired_quote_reads_in_the_readers_language_on_the_timeline(api, pen, make_customer, app, db_session, web):
    customer = make_customer()
    with app.app_context():
        yesterday = (documents.local_today() - dt.timedelta(days=1)).isoformat()
    quote = _quote(api, customer.id, pen, valid_until=yesterday)
    api.post(f"sales/quotes/{quote['id']}/send")
    with app.app_context():
        from payvand.core.db import bind_session, session_scope

        with session_scope(app.extensions["payvand"].sessionmaker) as session, bind_session(session):
            assert documents.expire_quotes() == 1
    [event] = _events(db_session, "sales.quote_expired")
    assert event.payload == {"number": quote["number"]}  # the parameters are kept; the text is made when shown
    web.post("/account/locale", {"locale": "fa"})
    page = web.get(f"/customers/{customer.id}").get_data(as_text=True)
    persian_number = quote["number"].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"پیش‌فاکتور \u2068{persian_number}\u2069 منقضی شد" in page
    assert "Quote" not in page.split('id="timeline"')[-1]
    web.post("/account/locale", {"locale": "en"})
    assert f"Quote \u2068{quote['number']}\u2069 expired" in web.get(f"/customers/{customer.id}").get_data(as_text=True)
