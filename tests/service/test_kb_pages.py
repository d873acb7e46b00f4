"""KB pages: suggestions on the ticket page, "insert into reply" remembered and reported, the public
help centre with helpful votes, and searches with no results reported."""

from __future__ import annotations

from payvand.plugins.service.kb_demo import load_kb_demo
from payvand.plugins.service.models import Article, ArticleFeedback, ArticleSolution

EDIT = ["service.ticket.view", "service.ticket.edit", "core.customer.view"]


def _article_id(in_app, title):
    import sqlalchemy as sa

    with in_app() as session:
        return session.scalar(sa.select(Article.id).where(Article.title == title))


def test_the_ticket_page_suggests_articles_and_insert_into_reply_is_remembered(web_as, api, make_customer, in_app):
    with in_app() as session:
        load_kb_demo(session)
    ticket = api.post("/api/v1/service/tickets", json={
        "customer_id": make_customer().id, "subject": "Parcel arrived broken", "language": "en",
        "body": "The blender I ordered came damaged, the glass is cracked."}).get_json()
    refund = _article_id(in_app, "I received a damaged or faulty item")
    web = web_as(EDIT)
    page = web.get(f"/service/tickets/{ticket['id']}").get_data(as_text=True)
    suggestions = page.split('id="kb-suggestions"')[1].split("</section>")[0]
    assert f'id="kb-suggestion-{refund}"' in suggestions.split("</li>")[0]  # the best match comes first
    inserted = web.post(f"/service/tickets/{ticket['id']}/kb/{refund}")
    assert inserted.status_code == 302 and f"article={refund}" in inserted.headers["Location"]
    again = web.post(f"/service/tickets/{ticket['id']}/kb/{refund}")  # a second click counts once
    assert again.status_code == 302
    draft = web.get(inserted.headers["Location"]).get_data(as_text=True).split('id="reply-body"')[1]
    assert "take photos within 24 hours" in draft.split("</textarea>")[0]
    assert f"/kb/{refund}" in draft.split("</textarea>")[0]  # a public article brings its link
    with in_app() as session:
        assert [(s.article_id, s.ticket_id) for s in session.query(ArticleSolution)] == [(refund, ticket["id"])]
    report = web.get("/service/kb/report").get_data(as_text=True)
    row = report.split(f'id="kb-solved-{refund}"')[1].split("</tr>")[0]
    assert "I received a damaged or faulty item" in row and "<td>1</td>" in row


def test_insert_into_reply_needs_the_edit_permission_and_a_published_article(web_as, api, make_customer, in_app):
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": make_customer().id, "subject": "x",
                                                       "body": "y"}).get_json()
    draft = api.post("service/articles", json={"title": "Draft", "body": "not yet", "language": "en"}).get_json()
    assert web_as(["service.ticket.view"]).post(f"/service/tickets/{ticket['id']}/kb/{draft['id']}").status_code == 403
    assert web_as(EDIT).post(f"/service/tickets/{ticket['id']}/kb/{draft['id']}").status_code == 404


def test_the_public_help_centre_searches_public_articles_and_takes_helpful_votes(web_as, in_app, api):
    with in_app() as session:
        load_kb_demo(session)
    internal = api.post("service/articles", json={"title": "Internal refund override", "language": "en",
                                                  "body": "refund override steps", "status": "published"}).get_json()
    reader = web_as([])
    found = reader.get("/kb?lang=en&q=refund money back")
    assert found.status_code == 200
    text = found.get_data(as_text=True)
    assert "When will I get my refund?" in text and "Internal refund override" not in text
    assert reader.get(f"/kb/{internal['id']}").status_code == 404
    article = _article_id(in_app, "When will I get my refund?")
    assert reader.post(f"/kb/{article}", {"helpful": "maybe"}).status_code == 422
    assert reader.post(f"/kb/{article}", {"helpful": "yes"}, csrf=False).status_code == 400
    voted = reader.post(f"/kb/{article}", {"helpful": "yes"})
    assert voted.status_code == 200 and 'id="kb-feedback-thanks"' in voted.get_data(as_text=True)
    reader.post(f"/kb/{article}", {"helpful": "no"})
    with in_app() as session:
        assert sorted(f.helpful for f in session.query(ArticleFeedback)) == [False, True]
    report = web_as(["service.ticket.view"]).get("/service/kb/report").get_data(as_text=True)
    assert "<td>0</td><td>1</td><td>1</td>" in report.split(f'id="kb-solved-{article}"')[1]


def test_searches_with_no_results_are_reported_for_staff(web_as, in_app):
    with in_app() as session:
        load_kb_demo(session)
    web_as([]).get("/kb?lang=fa&q=هلیکوپتر زرد")
    staff = web_as(["service.ticket.view"])
    staff.get("/service/kb?q=helicopter")
    staff.get("/service/kb?q=Helicopter")
    staff.get("/service/kb?q=refund")  # found something: not a miss
    report = staff.get("/service/kb/report").get_data(as_text=True)
    misses = report.split('id="kb-misses"')[1].split("</table>")[0]
    assert misses.index("helicopter") < misses.index("هلیکوپتر")  # twice before once
    assert "<td>2</td>" in misses and "refund" not in misses
    assert staff.get("/service/kb/report").status_code == 200
    assert web_as([]).get("/service/kb/report").status_code == 403
