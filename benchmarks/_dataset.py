"""The benchmark database: customers and interactions of realistic shape, built once and cached.

The schema comes from Payvand's own migrations, so the indexes are the real ones; the rows
are written with raw `sqlite3` executemany (secondary indexes are dropped during the load and
recreated from their own DDL afterwards, which is much faster than maintaining them row by
row). The file lands in `benchmarks/.data/` (git-ignored) under a name carrying its size and
shape version, next to a small JSON sidecar, and is reused by later runs.

Shapes:

* customers: three in four with Persian names, the rest English, one in twenty an
  organisation; one or two emails, one or two Iranian mobile numbers (E.164), zero to three
  tags, some addresses, consents, owners, birthdays; display and search names come from the
  core's own `names()`;
* interactions: ids in time order over the last two years; skewed per customer so a few
  hundred customers (per million) have thousands of interactions, one percent have hundreds
  and most have a handful or none.

No `ANALYZE` is run: a deployment that has just imported its data has no planner statistics
either, and the read paths must be fast without them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Where datasets are cached; `PAYVAND_BENCH_DATA_DIR` moves it (the tests use a temporary folder).
DATA_DIR = Path(os.environ.get("PAYVAND_BENCH_DATA_DIR") or Path(__file__).resolve().parent / ".data")
#: The environment variable every benchmark reads its PostgreSQL URL from (`--database-url` overrides it).
DATABASE_URL_ENV = "PAYVAND_BENCH_DATABASE_URL"
#: Bump when the generated shape changes, so stale caches are not reused.
SHAPE_VERSION = 1
DEFAULT_CUSTOMERS = 1_000_000
DEFAULT_INTERACTIONS = 10_000_000
SEED = 20261126
BATCH = 100_000
OWNERS = 20
BULK_TABLES = (
    "core_customer",
    "core_customer_email",
    "core_customer_phone",
    "core_customer_tag",
    "core_customer_address",
    "core_customer_consent",
    "core_interaction",
)

# --------------------------------------------------------------------------- names

#: (Persian, Latin transliteration) pairs; the Latin form builds the email address.
PERSIAN_GIVEN = [
    ("علی", "ali"),
    ("محمد", "mohammad"),
    ("حسین", "hossein"),
    ("رضا", "reza"),
    ("مهدی", "mahdi"),
    ("امیر", "amir"),
    ("حمید", "hamid"),
    ("سعید", "saeed"),
    ("مجید", "majid"),
    ("محسن", "mohsen"),
    ("کاوه", "kaveh"),
    ("بابک", "babak"),
    ("آرش", "arash"),
    ("پویا", "pouya"),
    ("سینا", "sina"),
    ("یاسر", "yaser"),
    ("کیان", "kian"),
    ("نیما", "nima"),
    ("فرهاد", "farhad"),
    ("بهرام", "bahram"),
    ("فاطمه", "fatemeh"),
    ("زهرا", "zahra"),
    ("مریم", "maryam"),
    ("سارا", "sara"),
    ("نرگس", "narges"),
    ("لیلا", "leila"),
    ("مینا", "mina"),
    ("شیرین", "shirin"),
    ("پریسا", "parisa"),
    ("نازنین", "nazanin"),
    ("الهام", "elham"),
    ("سمیه", "somayeh"),
    ("آزاده", "azadeh"),
    ("یاسمن", "yasaman"),
    ("کیمیا", "kimia"),
    ("محمدرضا", "mohammadreza"),
    ("امیرحسین", "amirhossein"),
    ("فاطمه‌زهرا", "fatemehzahra"),
]
PERSIAN_FAMILY = [
    ("رضایی", "rezaei"),
    ("محمدی", "mohammadi"),
    ("حسینی", "hosseini"),
    ("احمدی", "ahmadi"),
    ("کریمی", "karimi"),
    ("موسوی", "mousavi"),
    ("جعفری", "jafari"),
    ("قاسمی", "ghasemi"),
    ("صادقی", "sadeghi"),
    ("رحیمی", "rahimi"),
    ("کاظمی", "kazemi"),
    ("هاشمی", "hashemi"),
    ("نوری", "nouri"),
    ("طاهری", "taheri"),
    ("ابراهیمی", "ebrahimi"),
    ("یزدانی", "yazdani"),
    ("شریفی", "sharifi"),
    ("تهرانی", "tehrani"),
    ("اصفهانی", "esfahani"),
    ("شیرازی", "shirazi"),
    ("مرادی", "moradi"),
    ("زارعی", "zarei"),
    ("عباسی", "abbasi"),
    ("نجفی", "najafi"),
    ("بهرامی", "bahrami"),
    ("فرهادی", "farhadi"),
    ("سلطانی", "soltani"),
    ("کیانی", "kiani"),
    ("میرزایی", "mirzaei"),
    ("پورمحمدی", "pourmohammadi"),
    ("علی‌پور", "alipour"),
    ("نیک‌نام", "niknam"),
]
ENGLISH_GIVEN = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Daniel",
    "Karen",
    "Emma",
    "Olivia",
    "Noah",
    "Liam",
    "Sophia",
    "Lucas",
    "Mia",
    "Ethan",
]
ENGLISH_FAMILY = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
]
ORGANIZATIONS = [
    ("شرکت پارس", "pars"),
    ("گروه صنعتی آریا", "arya"),
    ("فروشگاه نگین", "negin"),
    ("بازرگانی سپهر", "sepehr"),
    ("Tehran Trading", "tehrantrading"),
    ("Caspian Foods", "caspian"),
    ("Zagros Logistics", "zagros"),
    ("کارخانه البرز", "alborz"),
    ("Persepolis Tech", "persepolis"),
]
MAIL_DOMAINS = ["gmail.com", "yahoo.com", "chmail.ir", "outlook.com", "mail.ir", "example.ir"]
WORK_DOMAINS = ["company.ir", "pars-co.ir", "aryagroup.com", "example.com"]
MOBILE_PREFIXES = [
    "912",
    "913",
    "914",
    "915",
    "916",
    "917",
    "919",
    "935",
    "936",
    "937",
    "939",
    "901",
    "902",
    "903",
    "905",
    "990",
    "991",
    "921",
    "922",
]
TAGS = [
    "vip",
    "newsletter",
    "b2b",
    "tehran",
    "isfahan",
    "shiraz",
    "wholesale",
    "returning",
    "instagram",
    "referral",
    "مشتری-ویژه",
    "نمایشگاه",
]
STAGES = ["prospect"] * 2 + ["lead"] * 3 + ["customer"] * 6 + ["loyal"] * 2 + ["churned"]
CHANNELS = ["web", "email", "phone", "sms", "chat", "social", "in_person"]
CITIES = [
    ("تهران", "Tehran"),
    ("اصفهان", "Isfahan"),
    ("شیراز", "Fars"),
    ("مشهد", "Razavi Khorasan"),
    ("تبریز", "East Azerbaijan"),
    ("کرج", "Alborz"),
]

#: (kind, channel, direction, summary template, carries a value) with a relative weight.
INTERACTION_TEMPLATES: list[tuple[int, tuple[str, str, str, str, bool]]] = [
    (20, ("marketing.email_opened", "email", "inbound", "Opened newsletter #{n}", False)),
    (15, ("web.page_view", "web", "inbound", "بازدید از صفحه محصول {n}", False)),
    (10, ("sales.order", "web", "inbound", "سفارش شماره {n} ثبت شد", True)),
    (6, ("sales.order", "in_person", "inbound", "Order #{n} at the Tehran shop", True)),
    (8, ("service.ticket_opened", "chat", "inbound", "درخواست پشتیبانی {n}: مشکل در ارسال", False)),
    (6, ("service.ticket_closed", "chat", "outbound", "Ticket {n} resolved", False)),
    (10, ("core.note", "phone", "outbound", "تماس پیگیری؛ مشتری درباره تخفیف پرسید ({n})", False)),
    (8, ("marketing.sms_sent", "sms", "outbound", "پیامک جشنواره پاییزه {n}", False)),
    (7, ("social.mention", "social", "inbound", "Mentioned us on Instagram ({n})", False)),
    (5, ("core.meeting", "in_person", "outbound", "جلسه معرفی محصول {n}", False)),
    (5, ("sales.invoice_paid", "email", "inbound", "Invoice {n} paid", True)),
]


@dataclass(frozen=True)
class Dataset:
    """A built benchmark database and what the benchmarks need to know about it."""

    path: Path
    customers: int
    interactions: int
    heavy_ids: list[int]
    build_seconds: float

    postgres_url: str | None = None

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the database (the PostgreSQL copy when there is one)."""
        return self.postgres_url or f"sqlite:///{self.path}"


def log(message: str) -> None:
    """Progress on stderr (stdout is reserved for the JSON figures)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--customers`, `--interactions` and `--rebuild` to a benchmark's argument parser."""
    parser.add_argument(
        "--customers",
        type=int,
        default=DEFAULT_CUSTOMERS,
        help=f"customers in the dataset (default {DEFAULT_CUSTOMERS:,})",
    )
    parser.add_argument(
        "--interactions",
        type=int,
        default=DEFAULT_INTERACTIONS,
        help=f"interactions in the dataset (default {DEFAULT_INTERACTIONS:,})",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached dataset")


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--database-url` (default: `$PAYVAND_BENCH_DATABASE_URL`, else SQLite) to a parser."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get(DATABASE_URL_ENV) or None,
        help=f"a PostgreSQL database to run on (its tables are replaced); default ${DATABASE_URL_ENV}, else SQLite",
    )


def dataset_path(customers: int, interactions: int) -> Path:
    """Where the dataset of this size is cached."""
    return DATA_DIR / f"crm-v{SHAPE_VERSION}-{customers}c-{interactions}i.sqlite3"


def ensure_dataset(
    customers: int = DEFAULT_CUSTOMERS,
    interactions: int = DEFAULT_INTERACTIONS,
    *,
    rebuild: bool = False,
    seed: int = SEED,
) -> Dataset:
    """Return the cached dataset of this size, building it first when missing (or asked to)."""
    path = dataset_path(customers, interactions)
    sidecar = path.with_suffix(".json")
    if rebuild or not (path.exists() and sidecar.exists()):
        build(path, customers, interactions, seed=seed)
    else:
        bring_to_head(path)
    info = json.loads(sidecar.read_text())
    return Dataset(
        path=path,
        customers=info["customers"],
        interactions=info["interactions"],
        heavy_ids=info["heavy_ids"],
        build_seconds=info["build_seconds"],
    )


def bring_to_head(path: Path) -> None:
    """Apply migrations added since the cached file was built, as a deployment would."""
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import core_at_head, upgrade

    engine = make_engine(f"sqlite:///{path}")
    try:
        if not core_at_head(engine):
            log(f"{path.name}: applying new core migrations")
            upgrade(engine)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- generators


def _mobile(rng: random.Random) -> str:
    return f"+989{rng.choice(MOBILE_PREFIXES)[1:]}{rng.randrange(10_000_000):07d}"


def _stamp(value: dt.datetime) -> str:
    """A naive-UTC timestamp in the text form SQLAlchemy stores on SQLite."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def customer_rows(
    count: int, rng: random.Random, now: dt.datetime
) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """Customers and their child rows, in batches of `BATCH` customers, ids 1..count."""
    from payvand.core.services.customers import names

    email_id = phone_id = address_id = consent_id = 0
    two_years = 2 * 365 * 86400
    for start in range(1, count + 1, BATCH):
        batch: dict[str, list[tuple[Any, ...]]] = {
            t: [] for t in BULK_TABLES if t != "core_interaction"
        }
        for cid in range(start, min(start + BATCH, count + 1)):
            roll = rng.random()
            if roll < 0.05:
                org, latin = rng.choice(ORGANIZATIONS)
                kind, given, family, organization = (
                    "organization",
                    None,
                    None,
                    f"{org} {cid % 97 + 1}",
                )
                local, language = f"info{cid}", "fa" if not org.isascii() else "en"
                domain = f"{latin}{cid % 97 + 1}.ir"
            elif roll < 0.77:
                (given, g_latin), (family, f_latin) = (
                    rng.choice(PERSIAN_GIVEN),
                    rng.choice(PERSIAN_FAMILY),
                )
                kind, organization, language = "person", None, "fa"
                local, domain = f"{g_latin}.{f_latin}{cid}", rng.choice(MAIL_DOMAINS)
            else:
                given, family = rng.choice(ENGLISH_GIVEN), rng.choice(ENGLISH_FAMILY)
                kind, organization, language = "person", None, "en"
                local, domain = f"{given.lower()}.{family.lower()}{cid}", rng.choice(MAIL_DOMAINS)
            display, search, alt = names(kind, given, family, organization)
            created = now - dt.timedelta(seconds=rng.randrange(two_years))
            birthday = (
                (dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000))).isoformat()
                if kind == "person" and rng.random() < 0.6
                else None
            )
            owner = rng.randrange(1, OWNERS + 1) if rng.random() < 0.6 else None
            stamp = _stamp(created)
            batch["core_customer"].append(
                (
                    cid,
                    kind,
                    given,
                    family,
                    organization,
                    display,
                    search,
                    alt,
                    birthday,
                    language,
                    rng.choice(CHANNELS) if rng.random() < 0.5 else None,
                    rng.choice(STAGES),
                    owner,
                    "{}",
                    None,
                    None,
                    stamp,
                    stamp,
                    1,
                )
            )
            emails = [f"{local}@{domain}"]
            if rng.random() < 0.3:
                emails.append(f"{local.split('.')[0]}{cid}@{rng.choice(WORK_DOMAINS)}")
            for n, email in enumerate(emails):
                email_id += 1
                batch["core_customer_email"].append(
                    (email_id, cid, email, None if n == 0 else "work")
                )
            phones = {_mobile(rng) for _ in range(1 if rng.random() < 0.7 else 2)}
            for n, number in enumerate(sorted(phones)):
                phone_id += 1
                batch["core_customer_phone"].append(
                    (phone_id, cid, number, None if n == 0 else "work")
                )
            for tag in sorted(set(rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2, 3))))):
                batch["core_customer_tag"].append((cid, tag))
            if rng.random() < 0.3:
                address_id += 1
                city, region = rng.choice(CITIES)
                batch["core_customer_address"].append(
                    (
                        address_id,
                        cid,
                        "home",
                        f"خیابان ولیعصر، پلاک {cid % 400 + 1}",
                        None,
                        city,
                        region,
                        f"{rng.randrange(10**9, 10**10)}",
                        "IR",
                    )
                )
            for channel in rng.sample(("email", "sms"), rng.choice((0, 1, 1, 2))):
                consent_id += 1
                batch["core_customer_consent"].append(
                    (
                        consent_id,
                        cid,
                        channel,
                        "marketing",
                        rng.random() < 0.8,
                        stamp,
                        "import",
                    )
                )
        yield batch


def interaction_counts(
    customers: int, interactions: int, rng: random.Random
) -> tuple[list[int], list[int]]:
    """Interactions per customer (index 0 is customer 1), skewed; and the heaviest customers.

    About one customer in 5,000 gets thousands, one in a hundred hundreds, the rest an
    exponentially distributed handful (many none).
    """
    ids = list(range(customers))
    rng.shuffle(ids)
    heavy = max(1, customers // 5000)
    medium = max(1, customers // 100)
    weights = [0.0] * customers
    for n, index in enumerate(ids):
        if n < heavy:
            weights[index] = rng.uniform(400, 1600)
        elif n < heavy + medium:
            weights[index] = rng.uniform(20, 100)
        else:
            weights[index] = rng.expovariate(1.0)
    scale = interactions / sum(weights)
    counts = [int(w * scale) for w in weights]
    short = interactions - sum(counts)
    for index in rng.choices(range(customers), weights=weights, k=short):
        counts[index] += 1
    heaviest = sorted(range(customers), key=counts.__getitem__, reverse=True)[: max(heavy, 1)]
    return counts, [i + 1 for i in heaviest]


def interaction_rows(
    counts: Sequence[int], rng: random.Random, now: dt.datetime
) -> Iterator[list[tuple[Any, ...]]]:
    """Interactions in time order (ids follow occurred_at), customers interleaved, in batches."""
    owners = [i + 1 for i, c in enumerate(counts) for _ in range(c)]
    rng.shuffle(owners)
    total = len(owners)
    templates = [t for weight, t in INTERACTION_TEMPLATES for _ in range(weight)]
    epoch = dt.datetime(1970, 1, 1)
    start = (now - dt.timedelta(days=730) - epoch) // dt.timedelta(microseconds=1)
    step = (730 * 86400 * 1_000_000) // max(total, 1)
    day_prefix: dict[int, str] = {}
    rand, n_templates = rng.random, len(templates)
    batch: list[tuple[Any, ...]] = []
    for index, customer_id in enumerate(owners):
        micros = start + index * step + int(rand() * step)
        day, rest = divmod(micros, 86_400_000_000)
        prefix = day_prefix.get(day)
        if prefix is None:
            prefix = day_prefix[day] = (epoch + dt.timedelta(days=day)).strftime("%Y-%m-%d ")
        seconds, us = divmod(rest, 1_000_000)
        stamp = (
            f"{prefix}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{us:06d}"
        )
        kind, channel, direction, summary, valued = templates[int(rand() * n_templates)]
        ref = 100_000 + index
        if valued:
            value, currency, source_type, source_id = (
                str(int(rand() * 500) * 10_000 + 50_000),
                "IRR",
                kind,
                str(ref),
            )
            payload = f'{{"ref":{ref},"items":{1 + int(rand() * 5)}}}'
        else:
            value = currency = source_type = source_id = None
            payload = "{}"
        batch.append(
            (
                index + 1,
                customer_id,
                kind,
                channel,
                direction,
                stamp,
                summary.format(n=ref),
                value,
                currency,
                source_type,
                source_id,
                payload,
                None,
                stamp,
            )
        )
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------- build


def _insert_sql(connection: sqlite3.Connection, table: str, width: int | None = None) -> str:
    """An INSERT of the table's first `width` columns (all by default): columns migrations added
    later come last (SQLite's ADD COLUMN) and are nullable, so rows of the shape stay valid."""
    columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")][:width]
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _executemany(
    connection: sqlite3.Connection, table: str, rows: Iterable[tuple[Any, ...]]
) -> None:
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    sql = _insert_sql(connection, table, len(first))
    connection.execute(sql, first)
    connection.executemany(sql, iterator)


def build(
    path: Path,
    customers: int,
    interactions: int,
    *,
    seed: int = SEED,
    progress: Callable[[str], None] = log,
) -> None:
    """Build the dataset at `path` (through a temporary file, renamed when complete)."""
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    began = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    progress(f"building {path.name}: migrating an empty database")
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine)
    engine.dispose()

    rng = random.Random(seed)
    now = dt.datetime(2026, 11, 1)  # naive UTC, as stored; fixed so rebuilds are identical
    connection = sqlite3.connect(tmp, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    placeholders = ", ".join("?" * len(BULK_TABLES))
    indexes = connection.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({placeholders})",
        BULK_TABLES,
    ).fetchall()
    connection.execute("BEGIN")
    for name, _ in indexes:
        connection.execute(f"DROP INDEX {name}")
    connection.executemany(
        "INSERT INTO core_user (id, email, name, password_hash, is_active, is_superuser, locale, created_at)"
        " VALUES (?, ?, ?, NULL, 1, 0, 'fa', ?)",
        [(i, f"owner{i}@example.com", f"Owner {i}", _stamp(now)) for i in range(1, OWNERS + 1)],
    )
    done = 0
    for batch in customer_rows(customers, rng, now):
        for table, rows in batch.items():
            _executemany(connection, table, rows)
        done += len(batch["core_customer"])
        progress(f"customers {done:,}/{customers:,}")
    counts, heavy_ids = interaction_counts(customers, interactions, rng)
    done = 0
    for rows in interaction_rows(counts, rng, now):
        _executemany(connection, "core_interaction", rows)
        done += len(rows)
        if done % 1_000_000 < BATCH or done == interactions:
            progress(f"interactions {done:,}/{interactions:,}")
    connection.execute("COMMIT")
    for name, sql in indexes:
        progress(f"creating index {name}")
        connection.execute(sql)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    tmp.replace(path)
    seconds = round(time.perf_counter() - began, 1)
    path.with_suffix(".json").write_text(
        json.dumps(
            {
                "customers": customers,
                "interactions": interactions,
                "seed": seed,
                "shape_version": SHAPE_VERSION,
                "heavy_ids": heavy_ids,
                "build_seconds": seconds,
            }
        )
    )
    progress(f"built {path.name} in {seconds} s ({path.stat().st_size / 2**20:,.0f} MiB)")


# --------------------------------------------------------------------------- PostgreSQL


def backend_cpu(pids: list[int]) -> float | None:
    """CPU seconds (user + system) the PostgreSQL backends `pids` have used, from /proc (None
    when the server is not on this machine or /proc is unreadable)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    except (OSError, ValueError, IndexError):
        return None
    return total


def psycopg_url(url: str) -> str:
    """A SQLAlchemy `postgresql+psycopg://` URL as psycopg itself takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def dataset_label(customers: int, interactions: int) -> str:
    """The name a dataset copy is known by in PostgreSQL (a comment on `core_customer`)."""
    return f"payvand-bench crm-v{SHAPE_VERSION}-{customers}c-{interactions}i"


def reset_postgres_schema(url: str) -> None:
    """Replace the database's `public` schema by an empty one (everything in it is lost)."""
    import psycopg

    with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")


def postgres_label(url: str) -> str | None:
    """The dataset label of the copy in this PostgreSQL database, if there is one."""
    import psycopg

    with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
        row = connection.execute("SELECT obj_description(to_regclass('public.core_customer'), 'pg_class')").fetchone()
    return row[0] if row else None


def ensure_postgres_dataset(
    url: str,
    customers: int = DEFAULT_CUSTOMERS,
    interactions: int = DEFAULT_INTERACTIONS,
    *,
    rebuild: bool = False,
    plugins: Sequence[Any] = (),
    progress: Callable[[str], None] = log,
) -> Dataset:
    """The dataset of this size in the PostgreSQL database at `url`, copied there from the cached
    SQLite build when missing (or asked to): the schema from Payvand's migrations (the core's and
    `plugins`' — `InstalledPlugin`s), rows through `COPY`, secondary indexes dropped for the load
    and recreated from their own DDL, sequences moved past the copied ids, then `ANALYZE` (a
    PostgreSQL deployment has autovacuum's statistics soon after a load; the SQLite build has none).
    The copy is labelled by a comment on `core_customer`, so a second run reuses it; the database's
    `public` schema is replaced when it is (re)built. Plugins' migrations are applied on reuse too.
    """
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    source = ensure_dataset(customers, interactions, rebuild=rebuild)
    label = dataset_label(customers, interactions)
    if rebuild or postgres_label(url) != label:
        began = time.perf_counter()
        progress(f"copying {source.path.name} into PostgreSQL")
        reset_postgres_schema(url)
        engine = make_engine(url)
        try:
            upgrade(engine, plugins)
        finally:
            engine.dispose()
        _copy_into_postgres(source.path, url, progress)
        import psycopg

        with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
            connection.execute("ANALYZE")
            connection.execute(f"COMMENT ON TABLE core_customer IS '{label}'")
        progress(f"copied into PostgreSQL in {time.perf_counter() - began:.1f} s")
    else:
        engine = make_engine(url)
        try:
            upgrade(engine, plugins)
        finally:
            engine.dispose()
    return Dataset(path=source.path, customers=source.customers, interactions=source.interactions,
                   heavy_ids=source.heavy_ids, build_seconds=source.build_seconds, postgres_url=url)


def _copy_into_postgres(path: Path, url: str, progress: Callable[[str], None]) -> None:
    """COPY the bulk tables (and the owners) of the dataset into migrated PostgreSQL tables."""
    copy_sqlite_into_postgres(path, url, ("core_user", *BULK_TABLES), progress,
                              where={"core_user": f"id <= {OWNERS}"})


def copy_sqlite_into_postgres(
    path: Path,
    url: str,
    tables: Sequence[str] | None = None,
    progress: Callable[[str], None] = log,
    *,
    where: dict[str, str] | None = None,
) -> None:
    """COPY rows of a SQLite database into the same, already migrated, PostgreSQL tables.

    `tables` (default: every table of the SQLite file holding rows, migration bookkeeping
    excepted) are emptied first — rows the migrations seeded come again from the file, which the
    same migrations built — and loaded with their secondary indexes dropped and recreated after;
    foreign keys are not checked during the copy (`session_replication_role = replica`: the
    rows come from a consistent database); id sequences move past the copied ids.
    """
    import psycopg

    lite = sqlite3.connect(path)
    if tables is None:
        names = [r[0] for r in lite.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE 'alembic%' ORDER BY name")]
        tables = [t for t in names if lite.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()]
    where = where or {}
    with psycopg.connect(psycopg_url(url)) as connection:
        connection.execute("SET TIME ZONE 'UTC'")
        connection.execute("SET session_replication_role = replica")
        connection.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        indexes = connection.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public'"
            " AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conname = i.indexname)", [list(tables)]).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        for table in tables:
            wanted = [r[0] for r in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
                " AND table_name = %s ORDER BY ordinal_position", [table])]
            present = {row[1] for row in lite.execute(f"PRAGMA table_info({table})")}
            columns = [c for c in wanted if c in present]
            condition = f" WHERE {where[table]}" if table in where else ""
            names = ", ".join(columns)
            done = 0
            with connection.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in lite.execute(f"SELECT {names} FROM {table}{condition}"):
                    copy.write_row(row)
                    done += 1
            progress(f"{table}: {done:,} rows")
            if "id" in columns:
                connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    f" WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL AND EXISTS (SELECT 1 FROM {table})")
        for name, sql in indexes:
            progress(f"creating index {name}")
            connection.execute(sql)
        connection.execute("SET session_replication_role = DEFAULT")
        connection.commit()
    lite.close()


def ensure_api_token(
    url: str, permissions: Sequence[str], email: str = "bench-reader@example.com"
) -> str:
    """A fresh API token for a staff user holding exactly `permissions` (created on first use)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from payvand.core.auth import create_token
    from payvand.core.db import make_engine
    from payvand.core.models import User
    from payvand.core.services.users import create_user

    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            user = session.scalars(sa.select(User).where(User.email == email)).first()
            if user is None:
                user = create_user(
                    session, email, password=None, name="Benchmark reader", permissions=permissions
                )
            _, secret = create_token(session, user, "benchmark", ["*"])
    finally:
        engine.dispose()
    return secret


# --------------------------------------------------------------------------- figures


def summary_ms(samples_ns: Sequence[int]) -> dict[str, float]:
    """p50/p95/p99/mean/min of timings given in nanoseconds, in milliseconds (3 decimals)."""
    ordered = sorted(samples_ns)
    if not ordered:
        return {}

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] / 1e6

    return {
        "n": len(ordered),
        "p50": round(pick(0.50), 3),
        "p95": round(pick(0.95), 3),
        "p99": round(pick(0.99), 3),
        "mean": round(sum(ordered) / len(ordered) / 1e6, 3),
        "min": round(ordered[0] / 1e6, 3),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import os
    import platform

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "loadavg": [round(x, 2) for x in load] if load else None,
    }


def main() -> None:
    """Build (or rebuild) the dataset from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_size_arguments(parser)
    args = parser.parse_args()
    data = ensure_dataset(args.customers, args.interactions, rebuild=args.rebuild)
    print(
        json.dumps(
            {
                "path": str(data.path),
                "customers": data.customers,
                "interactions": data.interactions,
                "build_seconds": data.build_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
