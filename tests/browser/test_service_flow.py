"""The service desk in Chromium, end to end: a real .eml goes through the core's inbound mail path
and opens a ticket, the agent finds it in the inbox, reads the knowledge-base article the ticket
page suggests, inserts it into the reply and answers from the ticket page, the reply reaches the
SMTP sink with threading headers, the customer's answer (In-Reply-To of the sent Message-ID)
lands in the same ticket, the agent solves it, the customer opens the signed rating link in the
browser and rates, and the rating shows on the 360 page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

import payvand.plugins.service as service
from payvand.core.messaging.email_in.ingest import ingest_batch
from payvand.core.messaging.email_in.parse import ParseOptions, parse_email
from payvand.plugins.service.models import Article, Ticket
from payvand.plugins.service.models_kb import ArticleSolution
from payvand.plugins.service.services.kb_text import index_text

from .data import Account
from .helpers import LiveServer, save_screenshot

EML = Path(__file__).resolve().parents[1] / "messaging" / "eml"
FIRST = "01_plain_english.eml"  # John Smith: "Question about my invoice"
ANSWER = "11_reply_english_with_quote.eml"  # John's reply; its threading headers are pointed at our mail


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [service]


def ingest(runtime: Any, raw: bytes) -> None:
    """Record one raw message the way `payvand mail ingest` does (parse, then one committed batch)."""
    [outcome] = ingest_batch(runtime.sessionmaker, [parse_email(raw, ParseOptions.from_config(runtime.config))])
    assert outcome.kind not in ("rejected", "ignored"), outcome


def answer_to(message_id: str, references: str) -> bytes:
    """The customer's reply .eml with In-Reply-To and References naming the mail we sent."""
    raw = (EML / ANSWER).read_bytes()
    raw = re.sub(rb"(?m)^In-Reply-To: .*$", b"In-Reply-To: " + message_id.encode(), raw)
    return re.sub(rb"(?m)^References: .*$", b"References: " + f"{references} {message_id}".encode(), raw)


def test_an_email_becomes_a_ticket_answered_threaded_solved_and_rated_in_the_browser(
        signed_in: Page, live_server: LiveServer, admin: Account, runtime: Any, db_session: Any,
        mail_sink: Any, run_jobs: Any) -> None:
    page = signed_in
    runtime.config["PAYVAND_MAIL_FROM"] = "Support <support@payvand.test>"
    body = "If an invoice arrives twice, pay the **newest** one."
    article = Article(language="en", title="Duplicate invoices", status="published", public=True, body=body,
                      search_text=index_text("Duplicate invoices", body))  # what the engines index, as kb.save writes
    db_session.add(article)
    db_session.commit()
    article_id = article.id

    ingest(runtime, (EML / FIRST).read_bytes())
    run_jobs()
    [ticket] = db_session.scalars(sa.select(Ticket)).all()
    assert ticket.subject == "Question about my invoice"

    # The inbox lists it; the agent opens it.
    page.goto(live_server.at("/service/tickets"))
    row = page.locator(f"#ticket-row-{ticket.id}")
    expect(row).to_contain_text("Question about my invoice")
    with page.expect_navigation():
        row.get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text("Question about my invoice")
    expect(page.locator("#ticket-entries")).to_contain_text("I received invoice 1024 twice")

    # The page suggests the matching article; the agent reads it, inserts it into the reply and sends.
    ticket_url = page.url
    suggestion = page.locator(f"#kb-suggestion-{article_id}")
    expect(suggestion).to_contain_text("Duplicate invoices")
    with page.expect_navigation():
        suggestion.get_by_role("link", name="Duplicate invoices").click()
    advice = page.locator("main strong", has_text="newest")
    expect(advice).to_be_visible()  # Markdown rendered
    page.goto(ticket_url)
    with page.expect_navigation():
        page.locator(f"#kb-insert-{article_id}").click()
    reply = page.locator("#reply-body")
    expect(reply).to_have_value(re.compile("newest"))  # the article's text is in the reply
    reply.fill(reply.input_value() + "\n\nDear John, pay the newest invoice, 1024-B.")
    with page.expect_navigation():
        page.locator("#reply-send").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    expect(page.locator("#ticket-entries > li")).to_have_count(2)

    assert db_session.scalar(sa.select(ArticleSolution.article_id).where(ArticleSolution.ticket_id == ticket.id)) \
        == article_id  # the article that solved the ticket is remembered
    run_jobs()
    [mail] = mail_sink.messages
    assert "john.smith@example.com" in mail["To"].lower()
    assert mail["In-Reply-To"] == "<CAF1234plain@mail.example.com>"
    assert "<CAF1234plain@mail.example.com>" in mail["References"]
    assert mail["Subject"] == f"Re: Question about my invoice [#{ticket.id}]"
    assert "1024-B" in mail.get_body(("plain",)).get_content()

    # The customer answers that mail: the answer threads into the same ticket.
    ingest(runtime, answer_to(mail["Message-ID"], mail["References"]))
    run_jobs()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    page.reload()
    entries = page.locator("#ticket-entries > li")
    expect(entries).to_have_count(3)
    expect(entries.nth(2)).to_contain_text("Thanks, that solves it.")
    expect(page.locator("#ticket-status")).to_have_attribute("data-state", "open")
    save_screenshot(page, "service-ticket")

    # Solved: the survey mail carries a signed rating link.
    with page.expect_navigation():
        page.locator("#ticket-status-solved").click()
    expect(page.locator("#ticket-status")).to_have_attribute("data-state", "solved")
    run_jobs()
    survey = mail_sink.messages[-1]
    assert survey is not mail
    found = re.search(r"(/service/csat/[^\s?]+)\?score=4", survey.get_body(("plain",)).get_content())
    assert found, survey.get_body(("plain",)).get_content()

    # The customer, in a browser without the staff session, follows the "4" link and sends it.
    customer = page.context.browser.new_context(locale="en-US")
    try:
        rating = customer.new_page()
        rating.goto(live_server.at(found.group(1) + "?score=4"))
        expect(rating.locator("#csat-4")).to_be_checked()
        rating.locator("#csat-5").check()
        rating.locator("#csat-comment").fill("Quick and clear, thank you.")
        with rating.expect_navigation():
            rating.locator("#csat-send").click()
        expect(rating.locator("#csat-thanks")).to_be_visible()
    finally:
        customer.close()

    # The 360 page shows the rating on the customer's timeline.
    page.goto(live_server.at(f"/customers/{ticket.customer_id}"))
    rated = re.compile(rf"Rated ticket #\W?{ticket.id}\W? \W?5\W? of 5")  # values are bidi-isolated (U+2068/9)
    expect(page.get_by_text(rated)).to_be_visible()
    save_screenshot(page, "service-customer-csat")
