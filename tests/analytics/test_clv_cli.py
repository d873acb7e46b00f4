"""`payvand analytics clv` over the instance's purchases and `clv-csv` over an outside file: same code, same numbers."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from plugins_system.entrypoints import installed

from payvand.core.cli import cli
from payvand.core.models import Customer
from payvand.plugins.analytics.models import CustomerClv, Run
from payvand.plugins.analytics.services import lifetime
from tests.analytics.cdnow import cdnow_rows
from tests.analytics.orders import add_orders


@pytest.fixture
def analytics_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYVAND_PLUGINS", "sales,analytics")
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path / "cli-instance"))
    with installed(tmp_path / "dist", {"sales": "payvand.plugins.sales", "analytics": "payvand.plugins.analytics"},
                   distribution="payvand_analytics_test"):
        yield


def simulated_purchases(customer_ids: list[int], seed: int = 7) -> list[tuple[int, str, str]]:
    """Purchases drawn from a BG/NBD process: a gamma-distributed weekly rate, a beta-distributed
    chance of leaving after each purchase; first purchases in the first four weeks of 2024."""
    rng = random.Random(seed)
    start = dt.date(2024, 1, 1)
    rows = []
    for cid in customer_ids:
        rate, leave = rng.gammavariate(0.8, 1 / 2.5), rng.betavariate(1.0, 3.0)
        day = rng.uniform(0, 28)
        while day < 300:
            rows.append((cid, (start + dt.timedelta(days=int(day))).isoformat(), str(rng.randint(10, 90) * 1000)))
            if rng.random() < leave:
                break
            day += rng.expovariate(rate) * 7 if rate > 0 else 1e9
    return rows


def test_clv_csv_prints_the_papers_parameters_for_the_cdnow_file(analytics_installed, payvand_database_url, tmp_path):
    path = tmp_path / "cdnow.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cust", "when", "spent"])
        writer.writerows(cdnow_rows())
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "analytics", "clv-csv", str(path),
                                      "--customer", "cust", "--date", "when", "--amount", "spent",
                                      "--calibration-end", "1997-09-30", "--period", "week", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["customers"] == 2357
    assert printed["bgnbd"] == pytest.approx({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, rel=0.01)
    assert printed["gamma_gamma"] == pytest.approx({"p": 6.25, "q": 3.74, "v": 15.44}, rel=0.01)


def test_clv_csv_names_a_missing_column_and_a_bad_line(analytics_installed, payvand_database_url, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("cust,when,spent\na,2024-01-01,10\nb,not a date,5\n")
    runner = CliRunner()
    base = ["--database-url", payvand_database_url, "analytics", "clv-csv", str(path), "--calibration-end", "2024-06-30"]
    missing = runner.invoke(cli, [*base, "--customer", "client", "--date", "when", "--amount", "spent"])
    assert missing.exit_code == 1 and "no column client" in missing.output
    bad = runner.invoke(cli, [*base, "--customer", "cust", "--date", "when", "--amount", "spent"])
    assert bad.exit_code == 1 and "line 3" in bad.output


def test_clv_over_the_instance_stores_a_run_and_writes_customer_fields(
        analytics_installed, payvand_database_url, db_session, make_customer):
    ids = [make_customer(given_name=f"C{n}").id for n in range(60)]
    purchases = simulated_purchases(ids)
    add_orders(db_session, purchases)
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "analytics", "clv",
                                      "--calibration-end", "2024-07-31", "--period", "week", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    # The same code on the same transactions in memory gives the same fit (SQLite and PostgreSQL alike).
    expected = lifetime.fit(purchases, lifetime.ClvOptions(dt.date(2024, 7, 31))).as_json()
    assert printed["customers"] == expected["customers"] == 60
    assert printed["bgnbd"] == pytest.approx(expected["bgnbd"], rel=1e-4)
    assert printed["gamma_gamma"] == pytest.approx(expected["gamma_gamma"], rel=1e-4)
    db_session.expire_all()
    run = db_session.scalars(sa.select(Run)).one()
    assert (run.kind, run.customers, run.options["currency"]) == ("clv", 60, "IRR")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CustomerClv)) == 60
    attributes = db_session.scalars(sa.select(Customer.attributes).where(Customer.id == ids[0])).one()
    assert 0 <= float(attributes["analytics.p_alive"]) <= 1
    assert float(attributes["analytics.clv"]) >= 0


def test_clv_without_purchases_says_why(analytics_installed, payvand_database_url):
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "analytics", "clv", "--calibration-end",
                                      "2024-07-31"])
    assert result.exit_code == 1
    assert "no purchases" in result.output


def test_refresh_from_the_cli_names_each_step_with_its_seconds(analytics_installed, payvand_database_url):
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "analytics", "refresh"])
    assert result.exit_code == 0, result.output
    assert "clv: there are no purchases yet (" in result.output
    assert re.search(r"rfm: run \d+ \(\d+\.\d s\)", result.output)
    assert "seconds" not in result.output
