r"""Benchmark: the customer import with a referrer column against the same file without it.

Generates `import_customers.py`'s file (realistic rows, ~2% bad, ~2% duplicates), then a copy
with one more column, `ایمیل معرف` (referrer email), filled for `--share` of the rows with the
email of another row of the file chosen at random — before or after it, so about half are
forward references, some naming a row without an email (refused: unknown referrer) and a few
closing a loop. Each round imports both files, each into a fresh database, one after the other:
the file without the column is the baseline measured in the same run; `cost` is the extra
wall time of the file with it over the baseline, `cpu_cost` the extra CPU time (the import
process, its forked reader and, on PostgreSQL, its database backends), medians over rounds.
On a shared machine the CPU figure is the steadier one.

    python benchmarks/import_referrers.py --rows 100000 --repeat 3
    python benchmarks/import_referrers.py --rows 100000 --repeat 3 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_import

SQLite: `payvand import customers` as the CLI runs it (automatic choice: the bulk path, indexes
deferred, for this first import into an empty database), and with `--no-bulk` (the normal path)
when `--normal` is given. PostgreSQL: the import as the CLI runs it (COPY, forked reader).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import import_customers as base  # noqa: E402 - the benchmark folder is not a package

HEADER = "ایمیل معرف"


def with_referrers(source: Path, target: Path, share: float, seed: int = 11) -> dict[str, int]:
    """Copy `source` with a referrer-email column naming another row's email for `share` of the rows."""
    rnd = random.Random(seed)
    with open(source, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    email_at = header.index("ایمیل")
    filled = forward = 0
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, HEADER])
        for index, row in enumerate(body):
            referrer = ""
            if rnd.random() < share:
                other = rnd.randrange(len(body))
                if other != index:
                    referrer = body[other][email_at] or f"user{other}@{base.DOMAINS[other % 7]}"
                    filled += 1
                    forward += other > index
            writer.writerow([*row, referrer])
    return {"rows_with_referrer": filled, "forward_references": forward}


def import_once(args: argparse.Namespace, folder: Path, template: Path | None, csv_path: Path,
                kind: str) -> dict[str, Any]:
    """Import `csv_path` into a fresh database in a child process; its figures."""
    if args.database_url:
        base.reset_postgres(args.database_url)
        target = args.database_url
    else:
        assert template is not None
        path = folder / "run.sqlite3"
        for old in folder.glob("run.sqlite3*"):
            old.unlink()
        shutil.copyfile(template, path)
        target = str(path)
    return base.run_child("--child", kind, "--db", target, "--src", str(csv_path), "--batch", str(args.batch))


def main() -> None:
    """Generate both files, run the rounds, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.3, help="share of rows naming a referrer")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--normal", action="store_true", help="SQLite: also the normal path (--no-bulk)")
    parser.add_argument("--database-url", default=os.environ.get("PAYVAND_BENCH_DATABASE_URL") or None,
                        help="a PostgreSQL database (emptied) instead of SQLite")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="payvand-bench-ref-"))
    try:
        plain = folder / "customers.csv"
        shape = base.generate(plain, args.rows)
        referred = folder / "customers-referrers.csv"
        shape.update(with_referrers(plain, referred, args.share))
        template = None if args.database_url else base.migrated_template(folder)
        kinds = ["import_cli"] + (["import_cli_normal"] if args.normal and not args.database_url else [])
        load_start = os.getloadavg()
        results: dict[str, dict[str, list[dict[str, Any]]]] = {k: {"without": [], "with": []} for k in kinds}
        for _ in range(args.repeat):
            for kind in kinds:
                for name, path in (("without", plain), ("with", referred)):
                    done = import_once(args, folder, template, path, kind)
                    results[kind][name].append(done)
                    print(f"{kind} {name}: {done['seconds']:.2f} s, CPU {done['cpu_seconds']:.2f} s + reader "
                          f"{done['reader_cpu_seconds']:.2f} s + database {done['database_cpu_seconds']}, index rebuild "
                          f"{done['index_rebuild_seconds']} s, load {os.getloadavg()[0]:.1f}", file=sys.stderr)
        load_end = os.getloadavg()
        figures: dict[str, Any] = {}
        for kind, runs in results.items():
            without = [r["seconds"] for r in runs["without"]]
            with_ = [r["seconds"] for r in runs["with"]]
            costs = [w / b - 1 for w, b in zip(with_, without, strict=True)]
            cpu = {name: [r["cpu_seconds"] + r["reader_cpu_seconds"] + (r["database_cpu_seconds"] or 0)
                          for r in runs[name]] for name in ("without", "with")}
            cpu_costs = [w / b - 1 for w, b in zip(cpu["with"], cpu["without"], strict=True)]
            last = runs["with"][-1]
            figures[kind] = {
                "baseline_without_column_seconds": [round(x, 2) for x in without],
                "with_referrer_column_seconds": [round(x, 2) for x in with_],
                "baseline_rows_per_s": round(args.rows / min(without)),
                "with_referrers_rows_per_s": round(args.rows / min(with_)),
                "cost_median": round(statistics.median(costs), 3),
                "cost_per_round": [round(c, 3) for c in costs],
                "cpu_seconds_without": [round(x, 2) for x in cpu["without"]],
                "cpu_seconds_with": [round(x, 2) for x in cpu["with"]],
                "cpu_cost_median": round(statistics.median(cpu_costs), 3),
                "inserted": last["inserted"], "merged": last["merged"], "rejected": last["rejected"],
                "referrers_set": last["referrers"], "referrers_refused": last["referrers_refused"],
                "bulk": last["bulk"], "reader_process": last["reader_process"],
                "peak_rss_mb_without": round(max(r["peak_rss_mb"] for r in runs["without"]), 1),
                "peak_rss_mb_with": round(max(r["peak_rss_mb"] for r in runs["with"]), 1),
            }
        print(json.dumps({
            "database": "postgresql" if args.database_url else "sqlite",
            "rows": args.rows, "share": args.share, "batch": args.batch, "rounds": args.repeat,
            **shape, "runs": figures, "cpus": os.cpu_count(),
            "load_average_start": [round(x, 2) for x in load_start],
            "load_average_end": [round(x, 2) for x in load_end],
        }))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
