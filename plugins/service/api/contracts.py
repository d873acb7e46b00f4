"""`/api/v1/service/contracts`: service contracts (entitlements) and their usage.

Reading needs `service.ticket.view`, creating and changing `service.manage`, logging time
`service.ticket.edit`. The rules live in `services/setup.py`, shared with the settings pages.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask.views import MethodView

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.api.admin import api_error, run
from payvand.plugins.service.models import Contract
from payvand.plugins.service.schemas import ContractIO, TimeIn
from payvand.plugins.service.services import setup
from payvand.plugins.service.services.contracts import usage
from payvand.sdk import current_actor, require, session


def _out(contract: Contract) -> Contract:
    contract.usage = dataclasses.asdict(usage(session(), contract))  # type: ignore[attr-defined]
    return contract


def _contract(contract_id: int) -> Contract:
    try:
        return setup.visible_contract(session(), contract_id, current_actor())
    except setup.SetupError as exc:
        raise api_error(exc) from None


@blp.route("/contracts")
class Contracts(MethodView):
    """Contracts."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, ContractIO(many=True))
    def get(self) -> Any:
        """Contracts of the customers the caller may see, newest first (at most 500)."""
        from payvand.plugins.service.services.contract_lists import visible_contracts

        return [_out(c) for c in visible_contracts(session(), current_actor(), 500)]

    @require(perm.MANAGE)
    @blp.arguments(ContractIO)
    @blp.response(201, ContractIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a contract: tickets opened for the customer during its period count against it."""
        return _out(run(lambda: setup.save_contract(session(), None, data, current_actor()))), 201


@blp.route("/contracts/<int:contract_id>")
class ContractItem(MethodView):
    """One contract."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, ContractIO)
    def get(self, contract_id: int) -> Any:
        """A contract with its usage and warnings."""
        return _out(_contract(contract_id))

    @require(perm.MANAGE)
    @blp.arguments(ContractIO)
    @blp.response(200, ContractIO)
    def put(self, data: dict[str, Any], contract_id: int) -> Any:
        """Replace a contract's terms (the minutes already logged stay)."""
        contract = _contract(contract_id)
        return _out(run(lambda: setup.save_contract(session(), contract, data, current_actor())))


@blp.route("/contracts/<int:contract_id>/time")
class ContractTime(MethodView):
    """Time logged."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(TimeIn)
    @blp.response(200, ContractIO)
    def post(self, data: dict[str, Any], contract_id: int) -> Any:
        """Log minutes of work against the contract (row-locked)."""
        contract = _contract(contract_id)
        return _out(run(lambda: setup.log_time(session(), contract, data["minutes"])))
