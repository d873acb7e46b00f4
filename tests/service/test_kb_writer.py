"""The KB writer's pages: create, edit as a new version, history with a diff, preview through the
same sanitiser, the writer permission, and the search index kept in step."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.plugins.service.models import Article
from payvand.plugins.service.models_kb import ArticleVersion

WRITER = ["service.ticket.view", "service.kb.write"]


def test_a_writer_creates_edits_and_reads_the_history_with_a_diff(web_as, runtime, api):
    web = web_as(WRITER)
    assert web.get("/service/kb/articles/new").status_code == 200
    preview = web.post("/service/kb/articles/new", {"title": "Reset the router", "language": "en", "status": "draft",
                                                    "body": "## Steps\n\nHold **reset**.<script>alert(1)</script>",
                                                    "preview": "1"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="kb-preview-body"' in text and "<strong>reset</strong>" in text
    assert "<script>alert" not in text
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0  # a preview saves nothing
    made = web.post("/service/kb/articles/new", {"title": "Reset the router", "language": "en", "status": "draft",
                                                 "category": "Internet", "body": "Hold reset for 5 seconds."})
    assert made.status_code == 302
    with runtime.sessionmaker() as session:
        article = session.scalars(sa.select(Article)).one()
    assert (article.version, article.status, article.public, article.category) == (1, "draft", False, "Internet")
    edited = web.post(f"/service/kb/articles/{article.id}/edit", {
        "title": "Reset the router", "language": "en", "status": "published", "public": "1", "category": "Internet",
        "body": "Hold reset for 10 seconds.", "version": "1"})
    assert edited.status_code == 302
    stale = web.post(f"/service/kb/articles/{article.id}/edit", {
        "title": "Old tab", "language": "en", "status": "draft", "body": "x", "version": "1"})
    assert stale.status_code == 409
    found = api.get("service/articles?q=router&public_only=true").get_json()  # the index follows the edits
    assert [a["id"] for a in found] == [article.id]
    history = web.get(f"/service/kb/articles/{article.id}/history").get_data(as_text=True)
    assert 'id="kb-version-1"' in history and 'id="kb-version-2"' in history
    old = web.get(f"/service/kb/articles/{article.id}/versions/1").get_data(as_text=True)
    assert "5 seconds" in old and "10 seconds" in old and 'id="kb-diff"' in old
    versions = api.get(f"service/articles/{article.id}/versions").get_json()
    assert [(v["version"], v["status"]) for v in versions] == [(2, "published"), (1, "draft")]
    assert api.get(f"service/articles/{article.id}/versions/1").get_json()["body"] == "Hold reset for 5 seconds."
    assert api.get(f"service/articles/{article.id}/versions/9").status_code == 404
    assert web.get(f"/service/kb/articles/{article.id}/versions/9").status_code == 404


def test_writing_needs_the_writer_permission_and_bad_input_is_a_field_error(web_as, api_as):
    agent = web_as(["service.ticket.view", "service.ticket.edit"])
    assert agent.get("/service/kb/articles").status_code == 403
    assert agent.post("/service/kb/articles/new", {"title": "x"}).status_code == 403
    assert api_as(["service.ticket.view", "service.ticket.edit"]).post(
        "service/articles", json={"title": "x"}).status_code == 403
    web = web_as(WRITER)
    bad = web.post("/service/kb/articles/new", {"title": "", "language": "de", "status": "draft"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="f-title-error"' in text and 'id="f-language-error"' in text
    assert web.post("/service/kb/articles/new", {"title": "x"}, csrf=False).status_code == 400


def test_the_article_list_pages_by_keyset_with_a_constant_query_count(web_as, api, count_queries):
    web = web_as(WRITER)
    api.post("service/articles", json={"title": "One"})
    with count_queries() as few:
        assert web.get("/service/kb/articles").status_code == 200
    for n in range(55):
        api.post("service/articles", json={"title": f"Article {n}"})
    with count_queries() as many:
        page = web.get("/service/kb/articles").get_data(as_text=True)
    assert len(few) == len(many) and 'id="kb-next"' in page


def test_every_api_write_is_a_version(api, db_session):
    made = api.post("service/articles", json={"title": "Returns", "body": "7 days"}).get_json()
    api.put(f"service/articles/{made['id']}", json={"title": "Returns", "body": "14 days"})
    rows = db_session.scalars(sa.select(ArticleVersion.body).where(ArticleVersion.article_id == made["id"])
                              .order_by(ArticleVersion.version)).all()
    assert rows == ["7 days", "14 days"]


def test_a_staff_search_with_a_typo_shows_the_corrected_results(web_as, api):
    from payvand.plugins.service.services.kb_typos import forget

    forget()
    made = api.post("service/articles", json={"title": "Printer reset", "language": "en", "body": "Hold the button."})
    page = web_as(["service.ticket.view"]).get("/service/kb?q=priner").get_data(as_text=True)
    assert 'id="kb-corrected"' in page and f"/service/kb/{made.get_json()['id']}" in page
    assert 'id="kb-corrected"' not in web_as(["service.ticket.view"]).get("/service/kb?q=xqzzy").get_data(as_text=True)
    forget()
