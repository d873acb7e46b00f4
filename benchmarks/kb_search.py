"""Knowledge-base search (`plugins/service/services/kb_search.py`) over 100,000 articles.

Builds (once, cached in benchmarks/.data/; or into the PostgreSQL database of `--database-url`,
whose tables are replaced) 100,000 published articles, half Persian, half English: each is one
of the 36 demo articles' title and body with a few sentences of other articles and a tail of
words drawn from a 20,000-word Zipf vocabulary, so common words match tens of thousands of
articles and rare ones a handful. The search text comes from the plugin's own `index_text`,
and the engines' indexes (FTS5 triggers, the generated tsvector + GIN) from its migrations.

It then times `search_articles` (limit 10, public, the question's language) for the 50
questions of tests/service/data/kb_questions.json, `--repeat` times each. Baseline, in the
same run and interleaved: the raw engine query for the same stems, ranked by the engine
(FTS5 `MATCH 'a OR b' ORDER BY rank LIMIT 10`; PostgreSQL `@@ 'a' | 'b'` ORDER BY `ts_rank`
LIMIT 10). `results_digest` hashes the ids found for every question: equal on both databases
means the same order. Prints JSON.

    python benchmarks/kb_search.py
    python benchmarks/kb_search.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_kb
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from pathlib import Path
from typing import Any

from _dataset import DATA_DIR, add_database_argument, log, machine, summary_ms

ARTICLES = 100_000
VOCABULARY = 20_000
SHAPE = 2
QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "service" / "data" / "kb_questions.json"


def _plugins() -> list[Any]:
    from payvand.core.plugins import InstalledPlugin
    from payvand.plugins import service

    return [InstalledPlugin(name="service", obj=service, meta=service.meta, source="payvand.plugins.service")]


def articles(count: int, seed: int = 5) -> list[dict[str, Any]]:
    """The generated articles (the same on both databases)."""
    from payvand.plugins.service.kb_demo import ARTICLES as DEMO
    from payvand.plugins.service.services.kb_text import index_text

    rng = random.Random(seed)
    by_language = {lang: [a for a in DEMO if a["language"] == lang] for lang in ("fa", "en")}
    letters = {"fa": "ابپتجچدرزسشغفکگلمنوهی", "en": "abcdefghiklmnoprstuvw"}
    words = {lang: ["".join(rng.choice(chars) for _ in range(rng.randint(4, 9))) for _ in range(VOCABULARY)]
             for lang, chars in letters.items()}
    weights = [1 / (rank + 1) for rank in range(VOCABULARY)]
    made = []
    for number in range(count):
        language = "fa" if number % 2 == 0 else "en"
        base = rng.choice(by_language[language])
        others = rng.sample(by_language[language], 2)
        sentences = [s for other in others for s in other["body"].split(". ")[:1]]
        tail = " ".join(rng.choices(words[language], weights=weights, k=rng.randint(20, 80)))
        title = f"{base['title']} {rng.choice(words[language])}"
        body = f"{base['body']}\n\n{' '.join(sentences)}\n\n{tail}"
        made.append({"language": language, "title": title, "body": body, "category": base["category"],
                     "status": "published", "public": True, "search_text": index_text(title, body),
                     "version": 1})
    return made


def build(url: str, count: int) -> None:
    """Migrate and load the articles (once: skipped when the table holds them)."""
    import sqlalchemy as sa

    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.plugins.service.models import Article
    from payvand.sdk import utcnow

    engine = make_engine(url)
    upgrade(engine, _plugins())
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT count(*) FROM service_article")).scalar() == count:
            engine.dispose()
            return
        conn.execute(sa.delete(Article))
    now = utcnow()
    rows = articles(count)
    began = time.perf_counter()
    with engine.begin() as conn:
        for start in range(0, len(rows), 5_000):
            conn.execute(sa.insert(Article), [{**row, "created_at": now, "updated_at": now}
                                             for row in rows[start:start + 5_000]])
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    log(f"loaded {len(rows):,} articles in {time.perf_counter() - began:.0f} s")
    engine.dispose()


def main() -> None:
    """Build or reuse the articles, time the search against the raw engine query; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_database_argument(parser)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--articles", type=int, default=ARTICLES, help="how many articles (a smaller run for checks)")
    args = parser.parse_args()
    if args.database_url:
        url, backend = args.database_url, "postgresql"
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url, backend = f"sqlite:///{DATA_DIR / f'kb-search-v{SHAPE}-{args.articles}.sqlite3'}", "sqlite"
    build(url, args.articles)

    import sqlalchemy as sa

    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.plugins import service
    from payvand.plugins.service.services.kb_search import search_articles
    from payvand.plugins.service.services.kb_text import query_groups

    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(DATA_DIR / "kb-search-instance"),
                      "PAYVAND_PLUGINS": ["service"], "PAYVAND_EXTRA_PLUGINS": [service], "PAYVAND_JOBS": "off",
                      "SECRET_KEY": "benchmark"})
    runtime = app.extensions["payvand"]
    app.app_context().push()
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    if backend == "postgresql":
        raw_sql = ("SELECT id FROM service_article, CAST(:q AS tsquery) AS q WHERE search_tsv @@ q "
                   "AND language = :lang ORDER BY ts_rank(search_tsv, q) DESC, id DESC LIMIT 10")
    else:
        raw_sql = ("SELECT a.id FROM service_article_fts f JOIN service_article a ON a.id = f.rowid "
                   "WHERE service_article_fts MATCH :q AND a.language = :lang ORDER BY f.rank, a.id DESC LIMIT 10")

    def raw_query(question: dict[str, Any]) -> str:
        stems = [word for word, _ in query_groups(question["q"])]
        if backend == "postgresql":
            return " | ".join(f"'{w}'" for w in stems)
        return " OR ".join(f'"{w}"' for w in stems)

    samples: list[int] = []
    baseline: list[int] = []
    digest = hashlib.sha256()
    candidates: list[int] = []
    with runtime.sessionmaker() as session, bind_session(session), runtime.engine.connect() as conn:
        for question in questions:  # warm-up, and the ids for the digest
            found = search_articles(session, question["q"], language=question["language"], limit=10)
            digest.update(json.dumps([a.id for a in found]).encode())
            conn.execute(sa.text(raw_sql), {"q": raw_query(question), "lang": question["language"]}).all()
        for _ in range(args.repeat):
            for question in questions:
                began = time.perf_counter_ns()
                search_articles(session, question["q"], language=question["language"], limit=10)
                samples.append(time.perf_counter_ns() - began)
                session.expunge_all()
                began = time.perf_counter_ns()
                conn.execute(sa.text(raw_sql), {"q": raw_query(question), "lang": question["language"]}).all()
                baseline.append(time.perf_counter_ns() - began)
        for question in questions[:10]:
            groups = query_groups(question["q"])
            candidates.append(len(groups) + sum(len(s) for _, s in groups))
    print(json.dumps({"benchmark": "kb_search", "backend": backend, "articles": args.articles,
                      "questions": len(questions), "repeat": args.repeat,
                      "search_articles_ms": summary_ms(samples), "raw_fts_ms": summary_ms(baseline),
                      "goal_p95_ms": 30, "results_digest": digest.hexdigest()[:16],
                      "engine_queries_per_search_first10": candidates, "machine": machine()}, indent=2))


if __name__ == "__main__":
    main()
