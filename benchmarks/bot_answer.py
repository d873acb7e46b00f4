"""FAQ bot answer time: the web chat bot's decision over 1,000 knowledge-base articles.

Target (service issue): bot answer p95 < 100 ms. A fresh database (SQLite in a temporary
folder, or PostgreSQL with `--database-url`, whose tables are replaced) gets `--articles`
published public articles in Persian and English (half each, vocabulary of a help desk); then
`--questions` visitor questions (phrased around the titles, a fifth off-topic, Persian with
Arabic letters and digits) are answered, interleaved one by one with the baseline:

- `answer`: `bot.best_answer` — retrieval (folded `LIKE` search through `bot.retrieve`),
  confidence scoring, the first paragraph and citation, every `payvand_bot_answerers` source;
- `respond`: `bot.respond` on a conversation — `answer` plus the live-help state, queueing the
  chat message and recording the `BotEvent` (rolled back after each question);
- `reply`: the whole reply as the chat delivery makes it, committed — a transaction of its own
  that reads the conversation, runs `bot.respond` and commits (each question on a fresh
  conversation of the same visitor, so every reply is a first one: no conversation turns
  "silent" after a handoff); `reply_cpu` is the process's CPU time of the same calls;
- `queries_per_call`: SQL statements per `answer` and per `respond` (the rest of `respond`'s
  time is the core's message queueing: consent, thread, interaction, outbox);
- `baseline`: the raw retrieval query alone (the same `LIKE ... AND ...` SQL on the folded text,
  public and published, with the language, through the same connection);
- `baseline_commit`: the raw driver's floor of a committed write — one `INSERT` of a short row
  into a scratch table and `COMMIT`, on its own connection — interleaved with the replies, so
  `reply` minus it is what the bot's work costs beyond durably committing anything at all.

`met` is the committed `reply` p95 against the goal (`met_by_respond` / `met_by_answer`: the
rolled-back `respond` and the decision alone, as measured before).

Usage: `python benchmarks/bot_answer.py [--articles 1000] [--questions 1000] [--database-url URL]`.
Prints one JSON document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dataset import add_database_argument, log, machine, summary_ms

TARGET_P95_MS = 100.0
EN_TOPICS = ["password", "invoice", "refund", "delivery", "warranty", "account", "payment", "discount", "return",
             "shipping", "order", "address", "subscription", "coupon", "receipt", "installation", "battery",
             "screen", "charger", "login"]
EN_ACTIONS = ["reset", "change", "cancel", "track", "update", "download", "claim", "renew", "check", "fix"]
FA_TOPICS = ["رمز", "فاکتور", "بازپرداخت", "ارسال", "گارانتی", "حساب", "پرداخت", "تخفیف", "مرجوعی", "سفارش",
             "نشانی", "اشتراک", "کوپن", "رسید", "نصب", "باتری", "صفحه", "شارژر", "ورود", "کیف"]
FA_ACTIONS = ["تغییر", "لغو", "پیگیری", "به‌روزرسانی", "دریافت", "تمدید", "بررسی", "رفع", "ثبت", "حذف"]


def _articles(count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for index in range(count):
        fa = index % 2 == 1
        topics, actions = (FA_TOPICS, FA_ACTIONS) if fa else (EN_TOPICS, EN_ACTIONS)
        topic, other, action = rng.choice(topics), rng.choice(topics), rng.choice(actions)
        title = f"{action} {topic} {index}" if not fa else f"{action} {topic} {index}"
        body = (f"To {action} your {topic}, open the {other} page and follow the steps. " * 3 if not fa else
                f"برای {action} {topic} به صفحه‌ی {other} بروید و گام‌ها را دنبال کنید. " * 3)
        rows.append({"title": title, "body": body + "\n\n" + ("More details. " * 20), "language": "fa" if fa else "en",
                     "status": "published", "public": True})
    return rows


def _questions(count: int, rng: random.Random) -> list[tuple[str, str]]:
    questions = []
    for index in range(count):
        if index % 5 == 4:
            questions.append(("Do you sell blue teapots on Fridays?", "en"))
        elif index % 2:
            questions.append((f"چطور {rng.choice(FA_TOPICS).replace('ک', 'ك')} را {rng.choice(FA_ACTIONS)} کنم؟", "fa"))
        else:
            questions.append((f"How can I {rng.choice(EN_ACTIONS)} my {rng.choice(EN_TOPICS)}?", "en"))
    return questions


def main() -> None:
    """Build the articles, then time the bot against the raw retrieval query; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=1_000)
    parser.add_argument("--questions", type=int, default=1_000)
    add_database_argument(parser)
    args = parser.parse_args()
    rng = random.Random(13)

    import sqlalchemy as sa

    import payvand.plugins.service as service
    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin
    from payvand.plugins.service.models import Article
    from payvand.plugins.service.services import bot, kb
    from payvand.sdk import BotQuestion, ChatConversation, create_customer, fold_text

    folder = Path(tempfile.mkdtemp(prefix="bot-answer-"))
    url = args.database_url or f"sqlite:///{folder / 'bot.sqlite3'}"
    backend = "postgresql" if args.database_url else "sqlite"
    if args.database_url:
        from payvand.core.db import make_engine

        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    from payvand.core.db import make_engine

    engine = make_engine(url)
    upgrade(engine, [InstalledPlugin(name="service", obj=service, meta=service.meta,
                                     source="payvand.plugins.service")])
    engine.dispose()
    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(folder / "instance"),
                      "PAYVAND_PLUGINS": ["service"], "PAYVAND_EXTRA_PLUGINS": [service], "PAYVAND_JOBS": "off",
                      "PAYVAND_CHAT_ENABLED": "1", "PAYVAND_QUIET_HOURS": "off", "SECRET_KEY": "benchmark"})
    runtime = app.extensions["payvand"]
    log(f"writing {args.articles} articles ({backend})")
    with app.app_context(), runtime.sessionmaker.begin() as session, bind_session(session):
        for row in _articles(args.articles, rng):
            kb.save(session, Article(), row)
        customer = create_customer({"given_name": "Bench", "family_name": "Visitor"}, source="benchmark")
        conversation = ChatConversation(public_id="bench-conversation", customer_id=customer.id, language="en",
                                        status="open", name="Bench")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
        fresh = [ChatConversation(public_id=f"bench-reply-{i}", customer_id=customer.id, language=language,
                                  status="open", name="Bench")
                 for i, (_text, language) in enumerate(_questions(args.questions, random.Random(14)))]
        session.add_all(fresh)
        session.flush()
        reply_ids = [c.id for c in fresh]
    with runtime.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE bench_commit_floor (id INTEGER PRIMARY KEY, note VARCHAR(40))"))

    def raw_query(question: str, language: str) -> list[Any]:
        words = bot.content_words(question)
        if not words:
            return []
        clauses = " AND ".join(f"search_text LIKE :w{i} ESCAPE '\\'" for i in range(len(words)))
        sql = sa.text(f"SELECT id, title, body, search_text FROM service_article WHERE {clauses} AND language = :lang"
                      " AND status = 'published' AND public = :pub ORDER BY id DESC LIMIT 10")
        params = {f"w{i}": f"%{w}%" for i, w in enumerate(words)}
        return list(session.execute(sql, {**params, "lang": language, "pub": True}))

    statements = [0]
    sa.event.listen(runtime.engine, "before_cursor_execute", lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
    queries: dict[str, list[int]] = {"answer": [], "respond": []}
    questions = _questions(args.questions, rng)
    samples: dict[str, list[int]] = {"answer": [], "respond": [], "baseline": []}
    answered = 0
    with app.app_context(), runtime.sessionmaker() as session, bind_session(session):
        conversation = session.get(ChatConversation, conversation_id)
        for text, language in questions[:20]:  # warm-up
            bot.best_answer(session, BotQuestion(text, language))
            raw_query(text, language)
        for index, (text, language) in enumerate(questions):
            before, started = statements[0], time.perf_counter_ns()
            found, _article = bot.best_answer(session, BotQuestion(text, language, conversation.customer_id))
            samples["answer"].append(time.perf_counter_ns() - started)
            queries["answer"].append(statements[0] - before)
            answered += found is not None and found.confidence >= 0.6
            started = time.perf_counter_ns()
            raw_query(text, language)
            samples["baseline"].append(time.perf_counter_ns() - started)
            nested = session.begin_nested()
            before, started = statements[0], time.perf_counter_ns()
            bot.respond(session, conversation, None, text)
            samples["respond"].append(time.perf_counter_ns() - started)
            queries["respond"].append(statements[0] - before)
            nested.rollback()
            if index % 200 == 0:
                log(f"{index}/{len(questions)}")
        session.rollback()
    samples["reply"], samples["reply_cpu"], samples["baseline_commit"], samples["baseline_commit_cpu"] = [], [], [], []
    log("committed replies")
    floor = runtime.engine.connect()
    for index, (text, _language) in enumerate(questions):
        wall, cpu = time.perf_counter_ns(), time.process_time_ns()
        with app.app_context(), runtime.sessionmaker.begin() as session, bind_session(session):
            bot.respond(session, session.get(ChatConversation, reply_ids[index]), None, text)
        samples["reply"].append(time.perf_counter_ns() - wall)
        samples["reply_cpu"].append(time.process_time_ns() - cpu)
        wall, cpu = time.perf_counter_ns(), time.process_time_ns()
        floor.execute(sa.text("INSERT INTO bench_commit_floor (id, note) VALUES (:id, :note)"),
                      {"id": index + 1, "note": text[:40]})
        floor.commit()
        samples["baseline_commit"].append(time.perf_counter_ns() - wall)
        samples["baseline_commit_cpu"].append(time.process_time_ns() - cpu)
        if index % 200 == 0:
            log(f"{index}/{len(questions)}")
    floor.close()
    figures = {name: summary_ms(values) for name, values in samples.items()}
    result = {
        "benchmark": "bot_answer", "backend": backend, "articles": args.articles, "questions": args.questions,
        "answered_above_threshold": answered, "target_p95_ms": TARGET_P95_MS, **figures,
        "answer_vs_baseline_p95": round(figures["answer"]["p95"] / max(figures["baseline"]["p95"], 1e-6), 2),
        "queries_per_call": {name: round(sum(v) / max(len(v), 1), 1) for name, v in queries.items()},
        "reply_vs_baseline_commit_p95": round(figures["reply"]["p95"] / max(figures["baseline_commit"]["p95"], 1e-6), 2),
        "met": figures["reply"]["p95"] < TARGET_P95_MS, "met_by_respond": figures["respond"]["p95"] < TARGET_P95_MS,
        "met_by_answer": figures["answer"]["p95"] < TARGET_P95_MS,
        "machine": machine(),
        "folding_check": fold_text("كالا ۱۲") == "کالا 12",
    }
    runtime.engine.dispose()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
