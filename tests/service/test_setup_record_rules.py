"""The contracts list (page and API) follows the customers' record rules: a manager sees the
contracts of the customers they may see, and nothing of the others."""

from __future__ import annotations

import types
from typing import Any

import pytest

import payvand.plugins.service as service
from payvand.sdk import Customer, PluginMeta, RecordRule, hookimpl


@hookimpl
def payvand_record_rules() -> list[RecordRule]:
    return [RecordRule("own_customers.owner", Customer, lambda actor: Customer.owner_id == actor.user_id,
                       bypass="core.customer.all")]


OWN = types.SimpleNamespace(meta=PluginMeta(name="own_customers", version="0.1", title="own"),
                            payvand_record_rules=payvand_record_rules)


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The service plugin and a rule: staff see only the customers they own."""
    return [service, OWN]


def test_contracts_of_customers_the_manager_may_not_see_are_left_out(web_as, api_as, make_customer, api):
    web = web_as(["service.manage", "service.ticket.view", "core.customer.view"])
    mine, theirs = make_customer(owner_id=web.user.id), make_customer()
    for customer, name in ((mine, "MineGoldXyz"), (theirs, "TheirGoldXyz")):
        made = api.post("/api/v1/service/contracts", json={"customer_id": customer.id, "name": name,
                                                           "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
        assert made.status_code == 201, made.get_json()
    page = web.get("/service/settings/contracts").get_data(as_text=True)
    assert "MineGoldXyz" in page and "TheirGoldXyz" not in page
    refused = web.post("/service/settings/contracts/new", {"customer_id": str(theirs.id), "name": "x",
                                                           "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    assert refused.status_code == 422 and 'id="f-customer_id-error"' in refused.get_data(as_text=True)
    theirs_contract = api.get("/api/v1/service/contracts").get_json()
    hidden = next(c["id"] for c in theirs_contract if c["name"] == "TheirGoldXyz")
    assert web.get(f"/service/settings/contracts/{hidden}").status_code == 404
