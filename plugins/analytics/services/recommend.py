"""Recommendations: "customers who bought this also bought" and per-customer cross-sell and up-sell.

The model is item-item collaborative filtering over who bought what (the purchase facts of
every plugin that sells, products from `payvand_product_facts`):

- each customer is a binary vector over products (bought it or not, however often);
- two products are similar by *shrunk cosine*: `s(i, j) = c(i, j) / (sqrt(n(i) · n(j)) + λ)`,
  `c(i, j)` the customers who bought both, `n(i)` the buyers of `i`, λ (`shrink`, 5 by default)
  pulling similarities resting on few shared buyers towards zero — cosine removes the pull of
  popular products that raw co-counts have, shrinkage the noise of rare ones;
- each product keeps its `neighbours` (50) most similar products, stored per run
  (`analytics_item_neighbour`), so a customer's suggestions are one indexed lookup: the sum of
  the similarities from everything the customer bought, minus what they bought.

A suggestion is *up-sell* when it is in a category the customer bought from at a higher
typical unit price than they paid there, *cross-sell* when it is in a category they never
bought from, *related* otherwise; customers with nothing the model knows get the most bought
products (*popular*). Fitting runs in numpy/scipy sparse matrices (one pass over the
customer-product pairs, grouped in SQL); `evaluate` measures hit-rate@10 on a time split
against the most-popular baseline (docs/decisions.md says why no outside library).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from scipy import sparse

from payvand.plugins.analytics.models import ItemNeighbour, ItemStat, Run
from payvand.plugins.analytics.services.facts import purchase_facts
from payvand.plugins.analytics.services.local_days import midnight
from payvand.sdk import PRODUCT_FACTS, Recommendation, bulk_insert, call_hook, plugins_generation, session

log = logging.getLogger(__name__)

KIND = "recommend"
#: Test customers `evaluate` scores at most (a seeded sample beyond it).
EVALUATION_SAMPLE = 20_000


def _table(model: type) -> sa.Table:
    """The Core table of one of the plugin's models (lookups and bulk inserts skip the ORM)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, sa.Table)
    return table


class NoPurchases(ValueError):
    """There are no purchases of known products to learn from."""


@dataclasses.dataclass(frozen=True)
class RecommendOptions:
    """How to fit: purchases before `until` (all when None), `neighbours` kept per product,
    shrinkage `shrink` of the cosine similarity."""

    until: dt.date | None = None
    neighbours: int = 50
    shrink: float = 5.0


@dataclasses.dataclass
class ItemModel:
    """A fitted model in memory: product ids, buyers per product and each product's neighbours."""

    products: np.ndarray  # product ids, by index
    buyers: np.ndarray  # customers who bought each product
    neighbours: dict[int, list[tuple[int, float]]]  # product id -> [(neighbour id, similarity)], best first

    def popular(self) -> list[int]:
        """Product ids, most bought first (ties by id)."""
        order = np.lexsort((self.products, -self.buyers))
        return [int(self.products[i]) for i in order]

    def scores(self, bought: Iterable[int]) -> dict[int, float]:
        """Summed similarity of every product reachable from `bought`, leaving `bought` out."""
        owned = set(bought)
        total: dict[int, float] = defaultdict(float)
        for product in owned:
            for neighbour, similarity in self.neighbours.get(product, ()):
                if neighbour not in owned:
                    total[neighbour] += similarity
        return total


def product_facts() -> sa.Subquery | None:
    """Every active plugin's products (`PRODUCT_FACTS`) as one subquery, or None when none answers."""
    selects = []
    for select in call_hook("payvand_product_facts"):
        problems = PRODUCT_FACTS.problems(select)
        if problems:
            log.warning("analytics: product facts left out: %s", "; ".join(problems))
            continue
        selects.append(select)
    if not selects:
        return None
    if len(selects) == 1:
        return selects[0].subquery("products")
    return sa.union_all(*selects).subquery("products")


def _before(facts: sa.Subquery, until: dt.date | None) -> Any:
    if until is None:
        return sa.true()
    return facts.c.occurred_at < midnight(until)  # the site's local midnight


@dataclasses.dataclass
class Purchases:
    """What one scan of the purchase facts gives the fit: each distinct (customer, product) pair,
    the main currency (most lines) and each product's typical unit price in it."""

    customers: np.ndarray
    products: np.ndarray
    currency: str | None
    unit_prices: dict[int, float]


def _purchases(facts: sa.Subquery, until: dt.date | None) -> Purchases:
    """One pass over the facts before `until`, grouped in SQL by customer, product and currency
    (line count, amount and quantity summed), gathered into numpy arrays chunk by chunk."""
    query = (sa.select(facts.c.customer_id, facts.c.product_id, facts.c.currency, sa.func.count(),
                       sa.cast(sa.func.sum(facts.c.amount), sa.Float), sa.cast(sa.func.sum(facts.c.quantity), sa.Float))
             .where(facts.c.product_id.is_not(None), _before(facts, until))
             .group_by(facts.c.customer_id, facts.c.product_id, facts.c.currency))
    codes: dict[str, int] = {}
    parts: list[np.ndarray] = []
    for chunk in session().execute(query.execution_options(yield_per=100_000)).partitions():
        parts.append(np.array([(c, p, codes.setdefault(cur, len(codes)), n, a or 0.0, q or 0.0)
                               for c, p, cur, n, a, q in chunk], dtype=np.float64))
    table = np.concatenate(parts) if parts else np.zeros((0, 6))
    customers, products = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    currency, prices = None, {}
    if len(table):
        names = {code: name for name, code in codes.items()}
        lines = np.bincount(table[:, 2].astype(np.int64), weights=table[:, 3])
        best = max(range(len(lines)), key=lambda code: (lines[code], names[code]))
        currency = names[best]
        main = table[table[:, 2] == best]
        ids, index = np.unique(main[:, 1].astype(np.int64), return_inverse=True)
        amount, quantity = np.bincount(index, weights=main[:, 4]), np.bincount(index, weights=main[:, 5])
        prices = {int(i): float(a / q) for i, a, q in zip(ids, amount, quantity, strict=True) if q > 0}
    pairs = np.unique(np.stack([customers, products], axis=1), axis=0) if len(table) else np.zeros((0, 2), np.int64)
    return Purchases(pairs[:, 0], pairs[:, 1], currency, prices)


def _pairs(facts: sa.Subquery, until: dt.date | None) -> tuple[np.ndarray, np.ndarray]:
    """(customer ids, product ids) of every distinct customer-product purchase before `until`."""
    bought = _purchases(facts, until)
    return bought.customers, bought.products


def fit(customers: np.ndarray, products: np.ndarray, *, neighbours: int = 50, shrink: float = 5.0) -> ItemModel:
    """The item-item model of the (customer, product) pairs (each pair once): shrunk cosine
    similarities, the best `neighbours` kept per product (ties by product id)."""
    if len(products) == 0:
        raise NoPurchases("no purchases of known products to learn from")
    item_ids, item_index = np.unique(products, return_inverse=True)
    _, customer_index = np.unique(customers, return_inverse=True)
    matrix = sparse.csr_matrix((np.ones(len(products), dtype=np.float64), (customer_index, item_index)))
    matrix.data[:] = 1.0  # a pair given twice still counts once
    buyers = np.asarray(matrix.sum(axis=0)).ravel()
    together = (matrix.T @ matrix).tocsr()  # c(i, j)
    together.setdiag(0)
    together.eliminate_zeros()
    rows = np.repeat(np.arange(together.shape[0]), np.diff(together.indptr))
    norms = np.sqrt(buyers)
    together.data = together.data / (norms[rows] * norms[together.indices] + shrink)
    kept: dict[int, list[tuple[int, float]]] = {}
    for row in range(together.shape[0]):
        start, end = together.indptr[row], together.indptr[row + 1]
        if start == end:
            continue
        columns, values = together.indices[start:end], together.data[start:end]
        if len(values) > neighbours:
            best = np.argpartition(-values, neighbours - 1)[:neighbours]
            columns, values = columns[best], values[best]
        order = np.lexsort((item_ids[columns], -values))
        kept[int(item_ids[row])] = [(int(item_ids[columns[k]]), float(values[k])) for k in order]
    return ItemModel(item_ids, buyers.astype(np.int64), kept)


def run_recommend(options: RecommendOptions = RecommendOptions(), *, evaluate_from: dt.date | None = None) -> Run:
    """Fit the model on the purchases before `options.until` and store it as a new run (in the
    current session; the caller commits). With `evaluate_from`, the run's results also hold
    the time-split evaluation (`evaluate`). NoPurchases when nothing can be learnt."""
    facts = purchase_facts()
    if facts is None:
        raise NoPurchases("no plugin reports purchases")
    bought = _purchases(facts, options.until)
    model = fit(bought.customers, bought.products, neighbours=options.neighbours, shrink=options.shrink)
    catalog = _catalog([int(p) for p in model.products])
    db = session()
    run = Run(kind=KIND, options={"until": options.until.isoformat() if options.until else None,
                                  "neighbours": options.neighbours, "shrink": options.shrink,
                                  "currency": bought.currency},
              customers=int(len(np.unique(bought.customers))))
    db.add(run)
    db.flush()
    rank = {product: n for n, product in enumerate(model.popular(), start=1)}
    bulk_insert(_table(ItemStat), ("run_id", "product_id", "buyers", "popularity_rank", "unit_price",
                                                 "category"),
                [(run.id, int(product), int(count), rank[int(product)], bought.unit_prices.get(int(product)),
                  (catalog.get(int(product)) or ("", None, True))[1])
                 for product, count in zip(model.products, model.buyers, strict=True)])
    rows = bulk_insert(_table(ItemNeighbour), ("run_id", "product_id", "neighbour_id", "score"),
                       ((run.id, product, neighbour, score)
                        for product, kept in model.neighbours.items() for neighbour, score in kept))
    results: dict[str, Any] = {"products": int(len(model.products)), "pairs": int(len(bought.products)),
                               "neighbour_rows": rows}
    if evaluate_from is not None:
        results["evaluation"] = evaluate(evaluate_from, options=options)
    run.results = results
    db.flush()
    return run


def evaluate(split: dt.date, *, horizon_days: int = 90, options: RecommendOptions = RecommendOptions(),
             k: int = 10, seed: int = 7) -> dict[str, Any]:
    """Hit-rate@k on a time split: fit on purchases before `split`; for each customer who bought
    before it and bought a product new to them in the `horizon_days` after it, a *hit* is one of
    those new products among the top `k` suggestions. The same for the most-popular baseline
    (the `k` most bought products the customer does not have). At most `EVALUATION_SAMPLE`
    customers (seeded sample) are scored."""
    facts = purchase_facts()
    if facts is None:
        raise NoPurchases("no plugin reports purchases")
    customers, products = _pairs(facts, split)
    model = fit(customers, products, neighbours=options.neighbours, shrink=options.shrink)
    history: dict[int, set[int]] = defaultdict(set)
    for customer, product in zip(customers.tolist(), products.tolist(), strict=True):
        history[customer].add(product)
    end = midnight(split + dt.timedelta(days=horizon_days))  # local midnights of the site
    start = midnight(split)
    later = (sa.select(facts.c.customer_id, facts.c.product_id)
             .where(facts.c.product_id.is_not(None), facts.c.occurred_at >= start, facts.c.occurred_at < end)
             .group_by(facts.c.customer_id, facts.c.product_id))
    new: dict[int, set[int]] = defaultdict(set)
    for customer, product in session().execute(later):
        if customer in history and product not in history[customer]:
            new[customer].add(product)
    tested = sorted(new)
    if len(tested) > EVALUATION_SAMPLE:
        tested = sorted(random.Random(seed).sample(tested, EVALUATION_SAMPLE))
    popular = model.popular()
    model_hits = popular_hits = 0
    for customer in tested:
        owned = history[customer]
        scored = model.scores(owned)
        top = [p for p, _ in sorted(scored.items(), key=lambda item: (-item[1], item[0]))[:k]]
        if len(top) < k:  # too few neighbours: fill from the popular list, as the lookup does
            top += [p for p in popular if p not in owned and p not in top][:k - len(top)]
        baseline = [p for p in popular if p not in owned][:k]
        model_hits += bool(new[customer].intersection(top))
        popular_hits += bool(new[customer].intersection(baseline))
    count = len(tested)
    return {"split": split.isoformat(), "horizon_days": horizon_days, "k": k, "customers": count,
            "model_hit_rate": model_hits / count if count else None,
            "popular_hit_rate": popular_hits / count if count else None}


def latest_run() -> Run | None:
    """The newest recommendations run, or None."""
    return session().scalars(sa.select(Run).where(Run.kind == KIND).order_by(Run.id.desc()).limit(1)).first()


def latest_run_id() -> int | None:
    """The id of the newest recommendations run (one probe of the (kind, id) index), or None."""
    return session().connection().execute(_lookups().latest_run, {"kind": KIND}).scalar()


def _catalog(product_ids: Sequence[int]) -> dict[int, tuple[str, str | None, bool]]:
    """{product id: (name, category, active)} from the product facts."""
    products = product_facts()
    if products is None or not product_ids:
        return {}
    query = sa.select(products.c.product_id, products.c.name, products.c.category, products.c.active).where(
        products.c.product_id.in_(list(product_ids)))
    return {int(p): (str(n), c, bool(a)) for p, n, c, a in session().execute(query)}


def bought_by(customer_id: int) -> set[int]:
    """The products customer `customer_id` bought (every plugin's purchase facts)."""
    facts = purchase_facts()
    if facts is None:
        return set()
    query = sa.select(facts.c.product_id).where(facts.c.customer_id == customer_id,
                                                 facts.c.product_id.is_not(None)).distinct()
    return {int(p) for p in session().scalars(query)}


@dataclasses.dataclass(frozen=True)
class _Lookups:
    """The per-customer lookup's statements, built once per set of active plugins (`plugins_generation`).

    Built per call they cost more than running them: every plugin's facts select composed again,
    its subquery's columns proxied, the statement's cache key computed. Bound parameters:
    `customer_id`, `run_id`, `ids` (expanding), `kind`.
    """

    latest_run: Any
    owned_neighbours: Any  # (owned product, neighbour or NULL, score): what the customer bought and its neighbours
    details: Any  # (product, name, category, active, unit price) of `ids` in run `run_id`
    popular: Any  # the run's products by popularity, `limit` bound


_LOOKUPS: dict[tuple[int, int], _Lookups] = {}


def _lookups() -> _Lookups:
    key = plugins_generation()
    found = _LOOKUPS.get(key)
    if found is not None:
        return found
    run = _table(Run).c
    neighbour, stat = _table(ItemNeighbour), _table(ItemStat)
    latest = sa.select(sa.func.max(run.id)).where(run.kind == sa.bindparam("kind"))
    facts, products = purchase_facts(), product_facts()
    owned_neighbours = details = None
    if facts is not None:
        owned = (sa.select(facts.c.product_id).where(facts.c.customer_id == sa.bindparam("customer_id"),
                                                     facts.c.product_id.is_not(None)).distinct().subquery("owned"))
        owned_neighbours = (sa.select(owned.c.product_id, neighbour.c.neighbour_id, neighbour.c.score)
                            .select_from(owned.outerjoin(neighbour, sa.and_(
                                neighbour.c.run_id == sa.bindparam("run_id"),
                                neighbour.c.product_id == owned.c.product_id))))
    if products is not None:
        details = (sa.select(products.c.product_id, products.c.name, products.c.category, products.c.active,
                             stat.c.unit_price)
                   .join_from(products, stat, sa.and_(stat.c.product_id == products.c.product_id,
                                                      stat.c.run_id == sa.bindparam("run_id")))
                   .where(products.c.product_id.in_(sa.bindparam("ids", expanding=True))))
    popular = (sa.select(stat.c.product_id).where(stat.c.run_id == sa.bindparam("run_id"))
               .order_by(stat.c.popularity_rank).limit(sa.bindparam("limit")))
    if len(_LOOKUPS) > 8:
        _LOOKUPS.clear()
    found = _LOOKUPS[key] = _Lookups(latest, owned_neighbours, details, popular)
    return found


def _popular(run_id: int, count: int) -> list[int]:
    """The run's `count` most bought products."""
    return list(session().connection().execute(_lookups().popular, {"run_id": run_id, "limit": count}).scalars())


def _details(run_id: int, product_ids: Sequence[int]) -> dict[int, tuple[str, str | None, bool, float | None]]:
    """{product id: (name, category, active, unit price)} of products in run `run_id`: the run's
    stored figures joined to the product facts in one query."""
    statement = _lookups().details
    if statement is None or not product_ids:
        return {}
    rows = session().connection().execute(statement, {"run_id": run_id, "ids": sorted(set(product_ids))})
    return {int(p): (str(n), c, bool(a), u) for p, n, c, a, u in rows}


def for_customer(customer_id: int, limit: int = 10, *, run: Run | None = None) -> list[Recommendation]:
    """Up to `limit` products to suggest to customer `customer_id` from the newest run (or `run`),
    best first: neighbours of what they bought (cross-sell, up-sell, related), then the most
    bought products they lack (popular). Empty before the first run. Inactive products never
    appear. Three indexed queries (the newest run; what the customer bought with its stored
    neighbours; the candidates' names, categories and prices), a fourth for the popular
    products when the neighbours give too few, whatever the customer's history."""
    run_id = run.id if run is not None else latest_run_id()
    if run_id is None or limit <= 0:
        return []
    db = session().connection()  # Core statements: no ORM layer around their execution
    statement = _lookups().owned_neighbours
    rows = db.execute(statement, {"customer_id": customer_id, "run_id": run_id}).all() if statement is not None else []
    owned = {int(product) for product, _, _ in rows}
    scores: dict[int, float] = defaultdict(float)
    reasons: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for product, near, score in rows:
        if near is None or near in owned:
            continue
        scores[near] += score
        reasons[near].append((score, product))
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit * 3]
    popular = _popular(run_id, limit * 3 + len(owned)) if len(ranked) < limit * 3 else []
    details = _details(run_id, [p for p, _ in ranked] + popular + sorted(owned))
    paid: dict[str, float] = {}
    for product in owned:
        _, category, _, price = details.get(product, ("", None, False, None))
        if category is not None and price is not None:
            paid[category] = max(paid.get(category, 0.0), price)
    answer: list[Recommendation] = []
    for product, score in ranked:
        name, category, active, price = details.get(product, ("", None, False, None))
        if not active:
            continue
        if category is not None and category in paid:
            kind = "up_sell" if price is not None and price > paid[category] else "related"
        else:
            kind = "cross_sell"
        because = tuple(p for _, p in sorted(reasons[product], key=lambda r: (-r[0], r[1]))[:3])
        answer.append(Recommendation(product, name, round(score, 6), kind, because))  # type: ignore[arg-type]
        if len(answer) == limit:
            return answer
    taken = {r.product_id for r in answer}
    for product in popular:
        name, _, active, _ = details.get(product, ("", None, False, None))
        if active and product not in owned and product not in taken:
            answer.append(Recommendation(product, name, 0.0, "popular"))
            if len(answer) == limit:
                break
    return answer


def also_bought(product_id: int, limit: int = 10, *, run: Run | None = None) -> list[tuple[int, str, float]]:
    """"Customers who bought this also bought": (product id, name, similarity) of `product_id`'s
    nearest products in the newest run, best first, active products only."""
    run = run or latest_run()
    if run is None:
        return []
    rows = session().execute(sa.select(ItemNeighbour.neighbour_id, ItemNeighbour.score).where(
        ItemNeighbour.run_id == run.id, ItemNeighbour.product_id == product_id)
        .order_by(ItemNeighbour.score.desc(), ItemNeighbour.neighbour_id).limit(limit * 2)).all()
    catalog = _catalog([p for p, _ in rows])
    found = [(p, catalog[p][0], round(s, 6)) for p, s in rows if p in catalog and catalog[p][2]]
    return found[:limit]
