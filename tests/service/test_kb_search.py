"""Knowledge-base search: relevance on the demo KB, the same order on SQLite and PostgreSQL, the engines kept in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from payvand.plugins.service.kb_demo import ARTICLES, load_kb_demo
from payvand.plugins.service.models import Article
from payvand.plugins.service.services import kb, kb_cache, kb_search

QUESTIONS = json.loads((Path(__file__).parent / "data" / "kb_questions.json").read_text(encoding="utf-8"))


def test_the_relevance_set_is_big_enough_and_names_real_articles():
    titles = {a["title"] for a in ARTICLES}
    assert len(ARTICLES) >= 30 and {a["language"] for a in ARTICLES} == {"fa", "en"}
    assert len(QUESTIONS) >= 40 and all(q["answer"] in titles for q in QUESTIONS)
    assert sum(q["language"] == "fa" for q in QUESTIONS) >= 20


def test_the_right_article_is_in_the_top_three_for_at_least_85_percent_of_questions(in_app):
    with in_app() as session:
        load_kb_demo(session)
    misses = []
    with in_app() as session:
        for question in QUESTIONS:
            found = [a.title for a in kb_search.search_articles(session, question["q"], language=question["language"],
                                                                visibility="public", limit=3)]
            if question["answer"] not in found:
                misses.append((question["q"], question["answer"], found))
    rate = 1 - len(misses) / len(QUESTIONS)
    print(f"\nKB relevance: top-3 hit rate {rate:.1%} ({len(QUESTIONS) - len(misses)}/{len(QUESTIONS)})")
    for miss in misses:
        print("  miss:", miss)
    assert rate >= 0.85, misses


def test_the_order_is_the_engine_independent_reference_order(in_app, monkeypatch):
    """The engine only gives sets: replaying the search with a pure-Python matcher gives the same list."""
    with in_app() as session:
        load_kb_demo(session)
        session.add(Article(language="en", title="Draft about returns", body="return refund", status="draft",
                            search_text=kb_search.terms_text("Draft about returns", "return refund")))
    with in_app() as session:
        engine = {(q["q"], v): [a.id for a in kb_search.search_articles(session, q["q"], visibility=v, limit=10)]
                  for q in QUESTIONS for v in ("public", "all")}
        rows = session.execute(sa.select(Article.id, Article.language, Article.status, Article.public,
                                         Article.search_text)).all()

        def python_match_sets(session, requests, language, visibility, walk_key=False):  # the plan only
            visible = [r for r in rows if visibility == "all" or (r.status == "published" and r.public)]
            return [sorted((r.id for r in visible if set(words) <= set(r.search_text.split())), reverse=True)[:limit]
                    for words, limit in requests]

        monkeypatch.setattr(kb_search, "_match_sets", python_match_sets)
        kb_cache.clear()  # else the replay would take the engine's word lists from the process's cache
        reference = {(q["q"], v): [a.id for a in kb_search.search_articles(session, q["q"], visibility=v, limit=10)]
                     for q in QUESTIONS for v in ("public", "all")}
    assert engine == reference
    assert any(len(ids) >= 3 for ids in engine.values())


def test_the_full_text_index_follows_inserts_updates_and_deletes(in_app):
    with in_app() as session:
        made = kb.save(session, Article(), {"title": "Gift wrapping", "body": "We wrap presents in blue paper.",
                                            "language": "en", "status": "published", "public": True})
        article_id = made.id
    with in_app() as session:
        assert [a.id for a in kb_search.search_articles(session, "wrapped presents")] == [article_id]
        kb.save(session, session.get(Article, article_id), {"body": "Gifts come in a red box."})
    with in_app() as session:
        assert kb_search.search_articles(session, "paper") == []
        assert [a.id for a in kb_search.search_articles(session, "red boxes")] == [article_id]
        session.delete(session.get(Article, article_id))
    with in_app() as session:
        assert kb_search.search_articles(session, "red boxes") == []


@pytest.mark.parametrize(("query", "expected"), [("كالاها", ["کالا"]), ("۱۸ ماهه", ["18", "ماهه"]),
                                                 ("Shipped parcels", ["ship", "parcel"]), ("the and", [])])
def test_query_words_are_folded_stemmed_and_stopwords_dropped(query, expected):
    assert [word for word, _ in kb_search.query_groups(query)] == expected


def test_the_service_demo_loads_the_knowledge_base_once(in_app):
    from payvand.plugins.service.demo import load_service_demo

    with in_app():
        made = load_service_demo()
    assert made["service_articles"] == len(ARTICLES)
    with in_app() as session:
        assert load_kb_demo(session) == 0
        assert kb_search.search_articles(session, "مرجوعی", language="fa")


def _stamp(session) -> int | None:
    return session.execute(sa.text("SELECT stamp FROM service_kb_stamp")).scalar()


def _publish(session, title: str, body: str) -> int:
    """An English public article written by plain SQL (not `kb.save`): only the triggers see it."""
    return session.execute(sa.text(
        "INSERT INTO service_article (language, title, body, status, public, search_text, version, created_at, "
        "updated_at) VALUES ('en', :t, :b, 'published', true, :s, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) "
        "RETURNING id"), {"t": title, "b": body, "s": kb_search.terms_text(title, body)}).scalar_one()


def test_cached_word_lists_follow_articles_written_by_plain_sql(in_app):
    with in_app() as session:
        first = _publish(session, "Gift wrapping", "We wrap presents in blue paper.")
    with in_app() as session:
        assert [a.id for a in kb_search.search_articles(session, "paper")] == [first]
        assert len(kb_cache.word_lists) >= 1
    with in_app() as session:
        second = _publish(session, "Paper invoices", "Paper copies of an invoice on request.")
    with in_app() as session:
        assert sorted(a.id for a in kb_search.search_articles(session, "paper")) == sorted([first, second])
        session.execute(sa.text("UPDATE service_article SET status = 'draft' WHERE id = :i"), {"i": second})
    with in_app() as session:
        assert [a.id for a in kb_search.search_articles(session, "paper")] == [first]
        session.execute(sa.text("DELETE FROM service_article WHERE id = :i"), {"i": first})
    with in_app() as session:
        assert kb_search.search_articles(session, "paper") == []


def test_a_rolled_back_article_is_not_served_from_the_cache(app, runtime, in_app):
    with in_app() as session:
        kept = _publish(session, "Paper bags", "Paper bags for every order.")
    with in_app() as session:
        before = _stamp(session)
    with app.app_context(), runtime.sessionmaker() as session:
        added = _publish(session, "Paper boxes", "Paper boxes for big orders.")
        assert _stamp(session) != before
        assert {a.id for a in kb_search.search_articles(session, "paper")} == {kept, added}
        session.rollback()
    with in_app() as session:  # a commit right after: a stamp the rolled-back one could have been
        cups = _publish(session, "Paper cups", "Paper cups for the coffee corner.")
    with in_app() as session:
        assert {a.id for a in kb_search.search_articles(session, "paper")} == {kept, cups}


def test_only_searchable_fields_change_the_stamp(in_app):
    with in_app() as session:
        article_id = _publish(session, "Gift wrapping", "We wrap presents.")
        before = _stamp(session)
        session.execute(sa.text("UPDATE service_article SET category = 'gifts', version = 2 WHERE id = :i"),
                        {"i": article_id})
        assert _stamp(session) == before
        session.execute(sa.text("UPDATE service_article SET public = false WHERE id = :i"), {"i": article_id})
        assert _stamp(session) != before


def test_the_cache_keeps_one_state_and_its_most_recently_used_values():
    cache = kb_cache.StateCache(size=2)
    cache.get("s1", [])
    cache.put("s1", {"a": (3, 2), "b": (1,)})
    assert cache.get("s1", ["a", "b", "c"]) == {"a": (3, 2), "b": (1,)}
    cache.get("s1", ["a"])
    cache.put("s1", {"c": (9,)})  # "a" was used after "b": "b" goes
    assert cache.get("s1", ["a", "b", "c"]) == {"a": (3, 2), "c": (9,)}
    cache.put("s0", {"b": (7,)})  # found under a state the cache has left: not kept
    assert cache.get("s1", ["b"]) == {}
    assert cache.get("s2", ["a", "c"]) == {} and len(cache) == 0
    assert cache.get(None, ["a"]) == {}


def test_without_a_stamp_row_nothing_is_cached_until_the_next_change(in_app):
    with in_app() as session:
        first = _publish(session, "Gift wrapping", "We wrap presents in blue paper.")
        session.execute(sa.text("DELETE FROM service_kb_stamp"))
    kb_cache.clear()
    with in_app() as session:
        assert [a.id for a in kb_search.search_articles(session, "paper")] == [first]
        assert len(kb_cache.word_lists) == 0 and len(kb_cache.article_terms) == 0
        second = _publish(session, "Paper invoices", "Paper copies on request.")
        assert _stamp(session) is not None
    with in_app() as session:
        assert sorted(a.id for a in kb_search.search_articles(session, "paper")) == sorted([first, second])
        assert len(kb_cache.word_lists) >= 1
