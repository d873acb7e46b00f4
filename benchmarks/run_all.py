"""Run every benchmark at a small scale, on SQLite and (with a URL) on PostgreSQL; one JSON line each.

A check that the benchmarks still run, not figures to publish: the sizes are tiny. Each line
is the benchmark's own JSON document on one line, with `run_all` added: the database, the exit
status, the seconds it took and the command. On PostgreSQL each benchmark gets its own
database, named after the given one with the benchmark's name appended
(`…/payvand_bench` → `payvand_bench_read_paths`, …), created when missing; their tables are
replaced. The exit status is 1 when any benchmark failed.

    python benchmarks/run_all.py                                  # SQLite only
    python benchmarks/run_all.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/payvand_bench
    PAYVAND_BENCH_DATABASE_URL=postgresql+psycopg://… python benchmarks/run_all.py --only read_paths load_test
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _dataset import add_database_argument, psycopg_url

HERE = Path(__file__).resolve().parent
SMALL_DATASET = ["--customers", "2000", "--interactions", "20000"]
#: name -> (small-scale arguments, runs on PostgreSQL too)
BENCHMARKS: dict[str, tuple[list[str], bool]] = {
    "read_paths": ([*SMALL_DATASET, "--requests", "30", "--warmup", "5"], True),
    "web_pages": ([*SMALL_DATASET, "--requests", "10", "--warmup", "2"], True),
    "hook_overhead": (["--requests", "40", "--warmup", "5", "--plugins", "10", "--deliver", "5"], False),
    "import_customers": (["--rows", "3000", "--batch", "1000"], True),
    "lead_import": (["--rows", "2000"], True),
    "lead_scores": (["--leads", "5000"], True),
    "pipeline_reports": (["--deals", "5000", "--repeat", "1"], True),
    "sales_revenue": (["--orders", "5000", "--repeat", "1"], True),
    "order_api": (["--orders", "5000", "--requests", "30", "--warmup", "5"], True),
    "event_delivery": (["--events", "40", "--plugins", "1,10", "--workers", "1,2"], True),
    "sales_rules": (["--repeat", "1"], True),
    "bot_answer": (["--articles", "200", "--questions", "30"], True),
    "kb_search": (["--articles", "2000", "--repeat", "1"], True),
    "service_inbox": (["--tickets", "5000", "--entries", "20000", "--requests", "5"], True),
    "sla_recompute": (["--tickets", "5000", "--per-ticket", "500", "--check", "200"], True),
    "dashboard": (["--customers", "2000", "--requests", "3"], True),
    "rfm": (["--customers", "2000"], True),  # needs the bench extra (DuckDB)
    "cycle": (["--customers", "2000"], True),
    "load_test": ([*SMALL_DATASET, "--processes", "1", "--duration", "3", "--warmup", "1", "--port", "8771"], True),
}


def database_for(url: str, name: str) -> str:
    """The URL of the benchmark's own PostgreSQL database (created when missing)."""
    import psycopg

    base, _, database = url.rpartition("/")
    database, _, query = database.partition("?")
    own = f"{database}_{name}"
    with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [own]).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{own}"')
    return f"{base}/{own}" + (f"?{query}" if query else "")


def run(name: str, arguments: list[str], url: str | None, timeout: float) -> dict[str, object]:
    """Run one benchmark; its JSON on one line with what `run_all` adds."""
    command = [sys.executable, str(HERE / f"{name}.py"), *arguments]
    env = {k: v for k, v in os.environ.items() if k != "PAYVAND_BENCH_DATABASE_URL"}
    if url:
        command += ["--database-url", database_for(url, name)]
    began = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, cwd=HERE.parent)
        status, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        status, out, err = "timeout", "", str(exc.stderr or "")
    try:
        figures = json.loads(out) if out.strip() else {}
    except json.JSONDecodeError:
        figures = {"output": out[-500:]}
    if status != 0:
        figures["stderr_tail"] = err[-1500:]
    figures["run_all"] = {"benchmark": name, "database": "postgresql" if url else "sqlite", "status": status,
                          "seconds": round(time.perf_counter() - began, 1),
                          "command": " ".join(c if "://" not in c else "<url>" for c in command[1:])}
    return figures


def main() -> None:
    """Run the benchmarks; one JSON line each on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_database_argument(parser)
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even with a URL")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one benchmark may take (default 900)")
    args = parser.parse_args()
    failed = []
    for name, (arguments, postgres) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        urls: list[str | None] = [None]
        if postgres and args.database_url and not args.sqlite_only:
            urls.append(args.database_url)
        for url in urls:
            figures = run(name, arguments, url, args.timeout)
            print(json.dumps(figures, ensure_ascii=False), flush=True)
            if figures["run_all"]["status"] != 0:  # type: ignore[index]
                failed.append(f"{name} ({figures['run_all']['database']})")  # type: ignore[index]
    print(f"run_all: {'failed: ' + ', '.join(failed) if failed else 'every benchmark ran'}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
