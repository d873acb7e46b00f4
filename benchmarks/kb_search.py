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

Each question is searched twice per pass: *cold* (the process's word-list cache, `kb_cache`,
emptied first: every word goes to the engine) and *warm* (as a long-running web process serves
it: the words' lists held), and once more *held out* (the cache emptied, then filled by the
other questions of the same language only, so a word is cached only if another question used it —
a process that has served other people's questions, not this one). Wall and this process's CPU time are both given (the database
server's CPU is not in the latter). `--before FILE` times an earlier `kb_search.py` interleaved
with these (the baseline of a change: `git show main:plugins/service/services/kb_search.py > FILE`),
with its own digest.

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
    parser.add_argument("--before", help="an earlier kb_search.py to time interleaved with this one (the baseline)")
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
    from payvand.plugins.service.services import kb_cache
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

    before = _load_before(args.before) if args.before else None
    load_start = machine()["loadavg"]
    timed: dict[str, list[int]] = {name: [] for name in ("warm", "warm_cpu", "cold", "cold_cpu", "raw", "before",
                                                          "before_cpu", "held_out", "held_out_cpu")}
    digests = {name: hashlib.sha256() for name in ("warm", "cold", "before")}
    candidates: list[int] = []

    def run(name: str, search: Any, session: Any, question: dict[str, Any], record: bool, cold: bool = False) -> None:
        """One timed search (wall and this process's CPU); the ids go to the digest on the first pass."""
        if cold:
            kb_cache.clear()
        wall, cpu = time.perf_counter_ns(), time.process_time_ns()
        found = search(session, question["q"], language=question["language"], limit=10)
        cpu, wall = time.process_time_ns() - cpu, time.perf_counter_ns() - wall
        if record:
            timed[name].append(wall)
            timed[f"{name}_cpu"].append(cpu)
        elif name in digests:
            digests[name].update(json.dumps([a.id for a in found]).encode())
        session.expunge_all()

    with runtime.sessionmaker() as session, bind_session(session), runtime.engine.connect() as conn:
        for record in (False, *([True] * args.repeat)):  # the first pass: warm-up and the digests
            for question in questions:
                run("cold", search_articles, session, question, record, cold=True)
                if before is not None:
                    run("before", before.search_articles, session, question, record)
                run("warm", search_articles, session, question, record)
                began = time.perf_counter_ns()
                conn.execute(sa.text(raw_sql), {"q": raw_query(question), "lang": question["language"]}).all()
                if record:
                    timed["raw"].append(time.perf_counter_ns() - began)
        for question in questions:  # held out: the cache warmed by the other questions only
            kb_cache.clear()
            for other in questions:
                if other is not question and other["language"] == question["language"]:
                    search_articles(session, other["q"], language=other["language"], limit=10)
            session.expunge_all()
            run("held_out", search_articles, session, question, True)
        for question in questions[:10]:
            groups = query_groups(question["q"])
            candidates.append(len(groups) + sum(len(s) for _, s in groups))
    figures: dict[str, Any] = {
        "search_articles_ms": summary_ms(timed["warm"]), "search_articles_cpu_ms": summary_ms(timed["warm_cpu"]),
        "search_articles_cold_ms": summary_ms(timed["cold"]),
        "search_articles_cold_cpu_ms": summary_ms(timed["cold_cpu"]),
        "search_articles_held_out_ms": summary_ms(timed["held_out"]),
        "search_articles_held_out_cpu_ms": summary_ms(timed["held_out_cpu"]), "raw_fts_ms": summary_ms(timed["raw"])}
    if before is not None:
        figures.update({"before_ms": summary_ms(timed["before"]), "before_cpu_ms": summary_ms(timed["before_cpu"]),
                        "before_results_digest": digests["before"].hexdigest()[:16]})
    print(json.dumps({"benchmark": "kb_search", "backend": backend, "articles": args.articles,
                      "questions": len(questions), "repeat": args.repeat, **figures, "goal_p95_ms": 30,
                      "results_digest": digests["warm"].hexdigest()[:16],
                      "cold_results_digest": digests["cold"].hexdigest()[:16],
                      "engine_queries_per_search_first10": candidates, "loadavg_start": load_start,
                      "machine": machine()}, indent=2))


def _load_before(path: str) -> Any:
    """An earlier `kb_search.py` (e.g. `git show main:plugins/service/services/kb_search.py > f`), as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("kb_search_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
