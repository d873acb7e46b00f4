"""`payvand analytics import-costs`, `costs` and `social`: the same services as the pages, from the CLI."""

from __future__ import annotations

import json

import sqlalchemy as sa
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.plugins.analytics.models import Cost, Run
from tests.analytics.orders import add_orders
from tests.analytics.test_clv_cli import analytics_installed  # noqa: F401 - the fixture


def test_import_costs_then_allocate_and_score_from_the_cli(analytics_installed, payvand_database_url,  # noqa: F811
                                                           db_session, make_customer, tmp_path):
    referrer = make_customer(given_name="R").id
    ids = [make_customer(given_name=f"C{n}", referred_by_id=referrer).id for n in range(3)]
    add_orders(db_session, [(cid, "2024-01-15", "1000") for cid in ids])
    path = tmp_path / "costs.csv"
    path.write_text("period_start,period_end,purpose,amount,currency\n2024-01-01,2024-01-31,acquisition,300,IRR\n"
                    "2024-01-01,2024-01-31,acquisition,oops,IRR\n", encoding="utf-8")
    base = ["--database-url", payvand_database_url, "analytics"]
    imported = CliRunner().invoke(cli, [*base, "import-costs", str(path)])
    assert imported.exit_code == 0, imported.output
    assert "1 costs added" in imported.output and "line 3" in imported.output
    allocated = CliRunner().invoke(cli, [*base, "costs", "--start", "2024-01-01", "--end", "2024-01-31", "--json"])
    assert allocated.exit_code == 0, allocated.output
    (month,) = json.loads(allocated.stdout)["periods"]
    assert (month["acquired"], month["cac"]) == (3, 100.0)
    scored = CliRunner().invoke(cli, [*base, "social", "--days", "3650", "--top", "1", "--json"])
    assert scored.exit_code == 0, scored.output
    top = json.loads(scored.stdout)["top"]
    assert top[0]["customer_id"] == referrer
    db_session.expire_all()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Cost)) == 1
    assert sorted(db_session.scalars(sa.select(Run.kind))) == ["costs", "social"]
