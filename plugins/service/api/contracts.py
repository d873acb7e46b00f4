"""`/api/v1/service/contracts`: service contracts (entitlements) and their usage.

Reading needs `service.ticket.view`, creating `service.manage`, logging time `service.ticket.edit`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from flask.views import MethodView

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.models import Contract, SlaPolicy
from payvand.plugins.service.schemas import ContractIO, TimeIn
from payvand.plugins.service.services.contracts import usage
from payvand.sdk import ApiError, Customer, audit, current_actor, get_visible, require, session
from payvand.sdk.documents import lock_row


def _out(contract: Contract) -> Contract:
    contract.usage = dataclasses.asdict(usage(session(), contract))  # type: ignore[attr-defined]
    return contract


def _contract(contract_id: int) -> Contract:
    found = session().get(Contract, contract_id)
    if found is None or get_visible(session(), Customer, found.customer_id, current_actor()) is None:
        raise ApiError(404, f"There is no contract {contract_id}.")
    return found


@blp.route("/contracts")
class Contracts(MethodView):
    """Contracts."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, ContractIO(many=True))
    def get(self) -> Any:
        """Contracts of the customers the caller may see, newest first (at most 500)."""
        rows = session().scalars(sa.select(Contract).order_by(Contract.id.desc()).limit(500))
        actor = current_actor()
        return [_out(c) for c in rows if get_visible(session(), Customer, c.customer_id, actor) is not None]

    @require(perm.MANAGE)
    @blp.arguments(ContractIO)
    @blp.response(201, ContractIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a contract: tickets opened for the customer during its period count against it."""
        if data["ends_on"] < data["starts_on"]:
            raise ApiError(422, "The contract ends before it starts.", fields={"ends_on": ["Before starts_on."]})
        if get_visible(session(), Customer, data["customer_id"], current_actor()) is None:
            raise ApiError(422, "There is no such customer.", fields={"customer_id": ["There is no such customer."]})
        if data.get("sla_policy_id") and session().get(SlaPolicy, data["sla_policy_id"]) is None:
            raise ApiError(422, "There is no such SLA policy.", fields={"sla_policy_id": ["Unknown policy."]})
        contract = Contract(**data)
        session().add(contract)
        session().flush()
        audit("create", "service_contract", contract.id, after={"name": contract.name})
        session().commit()
        return _out(contract), 201


@blp.route("/contracts/<int:contract_id>")
class ContractItem(MethodView):
    """One contract."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, ContractIO)
    def get(self, contract_id: int) -> Any:
        """A contract with its usage and warnings."""
        return _out(_contract(contract_id))


@blp.route("/contracts/<int:contract_id>/time")
class ContractTime(MethodView):
    """Time logged."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(TimeIn)
    @blp.response(200, ContractIO)
    def post(self, data: dict[str, Any], contract_id: int) -> Any:
        """Log minutes of work against the contract (row-locked)."""
        contract = lock_row(session(), _contract(contract_id))
        contract.used_minutes = (contract.used_minutes or 0) + data["minutes"]
        audit("time", "service_contract", contract.id, after={"minutes": data["minutes"]})
        session().commit()
        return _out(contract)
