"""`/api/v1/sales/leads`: list, create, read, change and convert leads (record rule applied)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.api import blp
from payvand.plugins.sales.api.fields import needs_json
from payvand.plugins.sales.schemas import ConversionOut, ConvertIn, LeadIn, LeadListArgs, LeadOut, LeadPage, LeadPatch
from payvand.plugins.sales.services import leads as service
from payvand.sdk import Actor, ApiError, current_actor, require, session

LEAD_EXAMPLE = {
    "given_name": "Sara", "family_name": "Ahmadi", "email": "Sara@Example.com", "phone": "+98 912 345 6789",
    "source": "api", "campaign": "spring-sale", "utm": {"source": "newsletter", "medium": "email"}, "consent": True,
}


def _viewer() -> Actor:
    return current_actor()


def _api_error(exc: service.LeadError) -> ApiError:
    return ApiError(exc.status, exc.message, code=exc.code, fields=exc.fields)


def _lead_or_404(lead_id: int) -> Any:
    lead = service.get_lead(lead_id, _viewer())
    if lead is None:
        raise ApiError(404, f"There is no lead {lead_id}.")
    return lead


@blp.route("/leads")
class Leads(MethodView):
    """The lead collection."""

    @require(perm.LEAD_VIEW)
    @blp.arguments(LeadListArgs, location="query")
    @blp.response(200, LeadPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List leads (own only without `sales.manage`): filter by status, owner, source, minimum score, prefix `q`."""
        try:
            items, cursor = service.list_leads(args, _viewer())
        except service.BadCursor:
            raise ApiError(400, "The cursor is not valid; start again from the first page.",
                           fields={"cursor": ["Invalid cursor."]}) from None
        return {"items": items, "next_cursor": cursor}

    @require(perm.LEAD_EDIT)
    @needs_json
    @blp.arguments(LeadIn, example=LEAD_EXAMPLE)
    @blp.response(201, LeadOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a lead; it is owned by the caller unless a manager (`sales.manage`) names `owner_id`
        (a rep naming someone else gets 422)."""
        data.setdefault("source", "api")
        try:
            lead = service.create_lead(data, owner_id=current_actor().user_id, actor=_viewer())
        except service.LeadError as exc:
            session().rollback()
            raise _api_error(exc) from None
        session().commit()
        return lead, 201, {"Location": f"/api/v1/sales/leads/{lead.id}"}


@blp.route("/leads/<int:lead_id>")
class LeadItem(MethodView):
    """One lead."""

    @require(perm.LEAD_VIEW)
    @blp.response(200, LeadOut)
    def get(self, lead_id: int) -> Any:
        """Read a lead with its score explained (`score_details`)."""
        return _lead_or_404(lead_id)

    @require(perm.LEAD_EDIT)
    @needs_json
    @blp.arguments(LeadPatch(partial=True), example={"status": "qualified", "phone": "09123456789"})
    @blp.response(200, LeadOut)
    def patch(self, data: dict[str, Any], lead_id: int) -> Any:
        """Change some fields of a lead (not its source; `converted` is reached by converting)."""
        lead = _lead_or_404(lead_id)
        try:
            service.update_lead(lead, data, _viewer())
        except service.LeadError as exc:
            session().rollback()
            raise _api_error(exc) from None
        session().commit()
        return lead


@blp.route("/leads/<int:lead_id>/convert", methods=["POST"])
@require(perm.LEAD_EDIT)
@needs_json
@blp.arguments(ConvertIn, example={"create_deal": True, "deal_amount": "25000000", "deal_currency": "IRR"})
@blp.response(200, ConversionOut)
@blp.alt_response(409, description="The lead is already converted")
def convert(data: dict[str, Any], lead_id: int) -> dict[str, Any]:
    """Convert a lead into a customer (new, or the one with its email) and optionally a deal, in one step."""
    lead = _lead_or_404(lead_id)
    try:
        result = service.convert_lead(lead, data)
    except service.LeadError as exc:
        session().rollback()
        raise _api_error(exc) from None
    session().commit()
    return {"lead": lead, "customer_id": result.customer_id, "created_customer": result.created_customer,
            "deal_id": result.deal.id if result.deal else None}
