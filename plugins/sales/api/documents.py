"""`/api/v1/sales/quotes`, `/orders` and `/invoices`: priced documents, their flow and payments."""

from __future__ import annotations

import contextlib
import decimal
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_babel import force_locale
from marshmallow import RAISE, Schema, ValidationError, fields, pre_dump, validate, validates_schema

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.api import blp
from payvand.plugins.sales.api.fields import (
    Amount,
    BusinessDate,
    BusinessDateTime,
    fail,
    id_field,
    needs_json,
)
from payvand.plugins.sales.services import documents as service
from payvand.plugins.sales.services.document_lists import (
    INVOICES,
    ORDERS,
    QUOTES,
    InvoiceListArgs,
    OrderListArgs,
    QuoteListArgs,
)
from payvand.plugins.sales.services.documents import DocumentError, LineIn
from payvand.sdk import api_page, current_actor, require, session

_MAX_QTY = decimal.Decimal(1_000_000)


class LineInSchema(Schema):
    """A line: a product (priced from the price list unless `unit_price` is given) or free text."""

    class Meta:
        unknown = RAISE

    product_id = id_field(allow_none=True)
    description = fields.String(allow_none=True, validate=validate.Length(min=1, max=500))
    quantity = Amount(required=True, minimum=decimal.Decimal("0.001"), maximum=_MAX_QTY,
                      metadata={"description": "Positive, at most 3 decimals"})
    unit_price = Amount(allow_none=True, minimum=decimal.Decimal(0))
    discount_percent = Amount(allow_none=True, minimum=decimal.Decimal(0), maximum=decimal.Decimal(100))
    discount_amount = Amount(allow_none=True, minimum=decimal.Decimal(0))
    tax_rate = Amount(allow_none=True, minimum=decimal.Decimal(0), maximum=decimal.Decimal(100),
                      metadata={"description": "Percent; by default from the product's tax class"})


class OrderLineIn(Schema):
    """A line of an online order: a product and a quantity (the price comes from the default list)."""

    class Meta:
        unknown = RAISE

    product_id = id_field(required=True)
    quantity = Amount(required=True, minimum=decimal.Decimal("0.001"), maximum=_MAX_QTY)


class QuoteIn(Schema):
    """A new quote."""

    class Meta:
        unknown = RAISE

    customer_id = id_field(required=True)
    price_list_id = id_field(allow_none=True)
    deal_id = id_field(allow_none=True, metadata={"description": "The deal it is for: its order counts for the deal's "
                                                                 "owner. A deal you may not see is refused as a missing one."})
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    valid_until = BusinessDate(allow_none=True)
    lines = fields.List(fields.Nested(LineInSchema), required=True, validate=validate.Length(min=1, max=200))


class OrderIn(Schema):
    """An order placed on behalf of a customer (online ordering, the customer portal)."""

    class Meta:
        unknown = RAISE

    customer_id = id_field(required=True)
    lines = fields.List(fields.Nested(OrderLineIn), required=True, validate=validate.Length(min=1, max=200))


class LineOut(Schema):
    """A priced line as printed."""

    position = fields.Integer(required=True)
    product_id = fields.Integer(allow_none=True, required=True)
    description = fields.String(required=True)
    quantity = Amount(required=True)
    unit_price = Amount(required=True)
    discount = Amount(required=True)
    tax_rate = Amount(required=True)
    net = Amount(required=True)
    tax = Amount(required=True)
    total = Amount(required=True)


class _DocumentOut(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    customer_id = fields.Integer(required=True)
    currency = fields.String(required=True)
    status = fields.String(required=True)
    subtotal = Amount(required=True)
    discount_total = Amount(required=True)
    tax_total = Amount(required=True)
    total = Amount(required=True)
    created_at = fields.DateTime(required=True)


class QuoteOut(_DocumentOut):
    """A quote with its lines."""

    price_list_id = fields.Integer(allow_none=True, required=True)
    deal_id = fields.Integer(allow_none=True, required=True)
    valid_until = fields.Date(allow_none=True, required=True)
    sent_at = fields.DateTime(allow_none=True, required=True)
    accepted_at = fields.DateTime(allow_none=True, required=True)
    rejected_at = fields.DateTime(allow_none=True, required=True)
    reject_reason = fields.String(allow_none=True, required=True)
    expired_at = fields.DateTime(allow_none=True, required=True)
    lines = fields.List(fields.Nested(LineOut), required=True)


class QuoteSentOut(QuoteOut):
    """The sent quote, and whether its email to the customer is queued (else why not)."""

    emailed = fields.Boolean(required=True, metadata={
        "description": "The quote's email with its PDF is queued: it goes to the customer's address after the "
                       "send is committed, retried by the job runner until the mail server takes it"})
    mail_error = fields.String(allow_none=True, required=True,
                               metadata={"description": "Why it is not emailed (mail off, no address)"})


class RejectIn(Schema):
    """Why the customer declined the quote."""

    class Meta:
        unknown = RAISE

    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class VoidIn(Schema):
    """Why the invoice is voided."""

    class Meta:
        unknown = RAISE

    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class PdfArgs(Schema):
    """The language of the PDF (default: the deployment's)."""

    lang = fields.String(validate=validate.OneOf(("fa", "en")),
                         metadata={"description": "fa: right to left, Jalali dates; en: left to right, Gregorian"})


PDF_BODY = {"type": "string", "format": "binary"}


class OrderSummary(_DocumentOut):
    """An order without its lines."""

    channel = fields.String(required=True)
    quote_id = fields.Integer(allow_none=True, required=True)
    owner_id = fields.Integer(allow_none=True, required=True,
                              metadata={"description": "Who the sale counts for: the deal's owner, else the "
                                                       "customer's, else the user who placed it"})
    placed_at = fields.DateTime(required=True)
    status_changed_at = fields.DateTime(allow_none=True, required=True)


class LineReturnOut(Schema):
    """Units of one order line a return took back (refunded) or replaced, once per line and return."""

    order_line_id = fields.Integer(required=True)
    reference = fields.String(required=True, metadata={"description": "The return, e.g. service.return:7"})
    kind = fields.String(required=True, metadata={"description": "refunded or replaced"})
    quantity = Amount(required=True)
    replacement_order_id = fields.Integer(allow_none=True, required=True)


class OrderLineOut(LineOut):
    """An order's line, with the units returns took back of it."""

    id = fields.Integer(required=True)
    returned = Amount(required=True, attribute="returned_units",
                      metadata={"description": "Units of the line returns took back so far (refunded or replaced, "
                                               "over every return; details in the order's `returns`)"})


class OrderOut(OrderSummary):
    """An order with its lines and what returns took back of them."""

    lines = fields.List(fields.Nested(OrderLineOut), required=True)

    @pre_dump
    def _count_returned(self, order: Any, **_: Any) -> Any:
        """Every line's returned units, in one query for the order."""
        from payvand.plugins.sales.services.returns import returned_quantities

        done = returned_quantities(session(), order.id)
        for line in order.lines:
            line.returned_units = done.get(line.id, decimal.Decimal(0))
        return order
    returns = fields.Method("_returns", metadata={"description": "The returned units per line and return (a partial "
                                                                "return leaves the order's status; the last unit "
                                                                "refunded makes it `returned`)"})

    def _returns(self, order: Any) -> Any:
        from payvand.plugins.sales.services.returns import line_returns

        return LineReturnOut(many=True).dump(line_returns(session(), order.id))


class PaymentOut(Schema):
    """A payment (negative: a refund)."""

    id = fields.Integer(required=True)
    amount = Amount(required=True)
    method = fields.String(required=True)
    reference = fields.String(allow_none=True, required=True)
    paid_at = fields.DateTime(required=True)


class InvoiceSummary(_DocumentOut):
    """An invoice without its payments."""

    order_id = fields.Integer(allow_none=True, required=True)
    year = fields.Integer(required=True)
    sequence = fields.Integer(required=True)
    issued_at = fields.DateTime(required=True)
    due_at = fields.Date(allow_none=True, required=True)
    paid_total = Amount(required=True)
    balance_due = Amount(required=True, metadata={"description": "0 on a void invoice"})
    voided_at = fields.DateTime(allow_none=True, required=True)
    void_reason = fields.String(allow_none=True, required=True)


class InvoiceOut(InvoiceSummary):
    """An invoice with its payments."""

    payments = fields.List(fields.Nested(PaymentOut), required=True)


class InvoiceIn(Schema):
    """Invoice an order."""

    class Meta:
        unknown = RAISE

    order_id = id_field(required=True)
    due_at = BusinessDate(allow_none=True)


class PaymentIn(Schema):
    """A payment on an invoice; a negative amount is a refund."""

    class Meta:
        unknown = RAISE

    amount = Amount(required=True, minimum=-decimal.Decimal("1e15"))
    method = fields.String(load_default="transfer", validate=validate.OneOf(service.PAYMENT_METHODS))
    reference = fields.String(allow_none=True, validate=validate.Length(max=120))
    paid_at = BusinessDateTime(allow_none=True)

    @validates_schema
    def _not_zero(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("amount") == 0:
            raise ValidationError("A payment must not be zero.", "amount")


class StatusIn(Schema):
    """The status an order moves to."""

    class Meta:
        unknown = RAISE

    status = fields.String(required=True, validate=validate.OneOf(service.ORDER_STATUSES))


def _page_schema(item: type[Schema], name: str) -> type[Schema]:
    return type(name, (Schema,), {
        "__doc__": "One page, newest first; pass `next_cursor` as `cursor` for the next.",
        "items": fields.List(fields.Nested(item), required=True),
        "next_cursor": fields.String(allow_none=True, required=True),
    })


QuotePage = _page_schema(_DocumentOut, "QuotePage")
OrderPage = _page_schema(OrderSummary, "OrderPage")
InvoicePage = _page_schema(InvoiceSummary, "InvoicePage")


def _refused(exc: DocumentError) -> Any:
    """The API error for a refused change, after rolling it back: a refusal may come after the
    document's row was locked, and the lock (on SQLite the database's write lock) is released now."""
    session().rollback()
    return fail(exc)


def _lines(rows: list[dict[str, Any]]) -> list[LineIn]:
    return [LineIn(**row) for row in rows]


def _invoice(invoice: Any) -> Any:
    invoice.balance_due = service.balance(invoice)
    return invoice


def _list(spec: Any, args: dict[str, Any]) -> dict[str, Any]:
    """One page of a document list (the list kit: record rules, filters, the opaque cursor)."""
    return api_page(spec, session(), args, current_actor())


# --------------------------------------------------------------------------- quotes


@blp.route("/quotes")
class Quotes(MethodView):
    """Quotes."""

    @require(perm.DOCUMENT_VIEW)
    @blp.arguments(QuoteListArgs, location="query", unknown=RAISE)
    @blp.response(200, QuotePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the quotes you may see, newest first; filter by status (draft, sent, accepted, ...) or customer.

        Without `sales.manage` or `sales.document.all`: the quotes you wrote, those on your deals
        and those of your customers. Every quote, order and invoice route answers 404 for one you
        may not see, as for a missing one."""
        return _list(QUOTES, args)

    @require(perm.DOCUMENT_EDIT)
    @needs_json
    @blp.arguments(QuoteIn)
    @blp.response(201, QuoteOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Write a draft quote; products are priced from the price list (the default one) and taxed by tax class."""
        try:
            quote = service.create_quote(session(), data["customer_id"], _lines(data["lines"]),
                                         price_list_id=data.get("price_list_id"), currency=data.get("currency"),
                                         valid_until=data.get("valid_until"), deal_id=data.get("deal_id"))
        except DocumentError as exc:
            raise _refused(exc) from None
        session().commit()
        return quote


@blp.route("/quotes/<int:quote_id>")
@require(perm.DOCUMENT_VIEW)
@blp.response(200, QuoteOut)
def get_quote(quote_id: int) -> Any:
    """A quote with its lines."""
    try:
        return service.get_quote(session(), quote_id)
    except DocumentError as exc:
        raise _refused(exc) from None


def _pdf(body: bytes, number: str) -> Response:
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{number}.pdf"'})


def _locale(args: dict[str, Any]) -> Any:
    return force_locale(args["lang"]) if args.get("lang") else contextlib.nullcontext()


@blp.route("/quotes/<int:quote_id>/pdf")
@require(perm.DOCUMENT_VIEW)
@blp.arguments(PdfArgs, location="query", unknown=RAISE)
@blp.response(200, PDF_BODY, content_type="application/pdf", description="The quote as a PDF (an attachment)")
def quote_pdf(args: dict[str, Any], quote_id: int) -> Any:
    """The quote as a PDF: lines, tax per rate and totals; Persian right to left (`fa`) or English."""
    from payvand.plugins.sales.services import pdf

    try:
        quote = service.get_quote(session(), quote_id)
    except DocumentError as exc:
        raise _refused(exc) from None
    with _locale(args):
        return _pdf(pdf.quote_pdf(quote), quote.number)


@blp.route("/quotes/<int:quote_id>/send", methods=["POST"])
@require(perm.DOCUMENT_EDIT)
@blp.response(200, QuoteSentOut)
def send_quote(quote_id: int) -> Any:
    """Send the quote: marked sent (`sales.quote_sent`) and, when mail is on, its email with the PDF to
    the customer's primary address queued, mailed after the commit; `emailed` and `mail_error` say which."""
    try:
        delivery = service.deliver_quote(session(), service.get_quote(session(), quote_id))
    except DocumentError as exc:
        raise _refused(exc) from None
    session().commit()
    quote: Any = delivery.quote  # `QuoteSentOut` reads the two delivery fields set on it here
    quote.emailed, quote.mail_error = delivery.emailed, delivery.mail_error
    return quote


@blp.route("/quotes/<int:quote_id>/reject", methods=["POST"])
@require(perm.DOCUMENT_EDIT)
@needs_json
@blp.arguments(RejectIn)
@blp.response(200, QuoteOut)
def reject_quote(data: dict[str, Any], quote_id: int) -> Any:
    """The customer declined the quote (draft or sent; 409 otherwise): `sales.quote_rejected`."""
    try:
        quote = service.reject_quote(session(), service.get_quote(session(), quote_id), data.get("reason"))
    except DocumentError as exc:
        raise _refused(exc) from None
    session().commit()
    return quote


@blp.route("/quotes/<int:quote_id>/accept", methods=["POST"])
@require(perm.DOCUMENT_EDIT)
@blp.response(201, OrderOut)
def accept_quote(quote_id: int) -> Any:
    """Accept the quote: it becomes an order with the same lines (`sales.order_placed`); a quote makes
    one order (409 once accepted, rejected or expired)."""
    try:
        order = service.accept_quote(session(), service.get_quote(session(), quote_id))
    except DocumentError as exc:
        raise _refused(exc) from None
    session().commit()
    return order


# --------------------------------------------------------------------------- orders


@blp.route("/orders")
class Orders(MethodView):
    """Orders."""

    @require(perm.DOCUMENT_VIEW)
    @blp.arguments(OrderListArgs, location="query", unknown=RAISE)
    @blp.response(200, OrderPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the orders you may see, newest first; filter by status or customer.

        Without `sales.manage` or `sales.document.all`: those counting for you, placed by you, of
        your customers or made from a quote you see."""
        return _list(ORDERS, args)

    @require(perm.DOCUMENT_EDIT)
    @needs_json
    @blp.arguments(OrderIn)
    @blp.response(201, OrderOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Place an order online on behalf of a customer: products and quantities, priced from the default list."""
        try:
            order = service.place_order(session(), data["customer_id"], _lines(data["lines"]), channel="api")
        except DocumentError as exc:
            raise _refused(exc) from None
        session().commit()
        return order


@blp.route("/orders/<int:order_id>")
@require(perm.DOCUMENT_VIEW)
@blp.response(200, OrderOut)
def get_order(order_id: int) -> Any:
    """An order with its lines."""
    try:
        return service.get_order(session(), order_id)
    except DocumentError as exc:
        raise _refused(exc) from None


@blp.route("/orders/<int:order_id>/status", methods=["POST"])
@require(perm.DOCUMENT_EDIT)
@needs_json
@blp.arguments(StatusIn)
@blp.response(200, OrderOut)
def change_order_status(data: dict[str, Any], order_id: int) -> Any:
    """Move the order along placed→paid→shipped→delivered, placed→cancelled or shipped/delivered→returned (409 otherwise)."""
    try:
        order = service.change_order_status(session(), service.get_order(session(), order_id), data["status"])
    except DocumentError as exc:
        raise _refused(exc) from None
    session().commit()
    return order


# --------------------------------------------------------------------------- invoices


@blp.route("/invoices")
class Invoices(MethodView):
    """Invoices."""

    @require(perm.DOCUMENT_VIEW)
    @blp.arguments(InvoiceListArgs, location="query", unknown=RAISE)
    @blp.response(200, InvoicePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the invoices you may see, newest first; filter by status (unpaid, partially_paid, paid, ...) or customer.

        Without `sales.manage` or `sales.document.all`: those of an order you see or of your customers."""
        page = _list(INVOICES, args)
        page["items"] = [_invoice(item) for item in page["items"]]
        return page

    @require(perm.DOCUMENT_EDIT)
    @needs_json
    @blp.arguments(InvoiceIn)
    @blp.response(201, InvoiceOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Invoice an order (once: 409 while it has an invoice that is not void), numbered per fiscal year
        (`INV-1405-000001`)."""
        try:
            invoice = service.create_invoice(session(), service.get_order(session(), data["order_id"]),
                                             due_at=data.get("due_at"))
        except DocumentError as exc:
            if exc.status == 404:
                exc.status, exc.field = 422, "order_id"
            raise _refused(exc) from None
        session().commit()
        return _invoice(invoice)


@blp.route("/invoices/<int:invoice_id>")
@require(perm.DOCUMENT_VIEW)
@blp.response(200, InvoiceOut)
def get_invoice(invoice_id: int) -> Any:
    """An invoice with its payments and balance due."""
    try:
        return _invoice(service.get_invoice(session(), invoice_id))
    except DocumentError as exc:
        raise _refused(exc) from None


@blp.route("/invoices/<int:invoice_id>/pdf")
@require(perm.DOCUMENT_VIEW)
@blp.arguments(PdfArgs, location="query", unknown=RAISE)
@blp.response(200, PDF_BODY, content_type="application/pdf", description="The invoice as a PDF (an attachment)")
def invoice_pdf(args: dict[str, Any], invoice_id: int) -> Any:
    """The invoice as a PDF: lines, tax per rate, totals, paid and balance due (a void one is marked VOID)."""
    from payvand.plugins.sales.services import pdf

    try:
        invoice = service.get_invoice(session(), invoice_id)
    except DocumentError as exc:
        raise _refused(exc) from None
    with _locale(args):
        return _pdf(pdf.invoice_pdf(invoice), invoice.number)


@blp.route("/invoices/<int:invoice_id>/void", methods=["POST"])
@require(perm.DOCUMENT_EDIT)
@needs_json
@blp.arguments(VoidIn)
@blp.response(200, InvoiceOut)
def void_invoice(data: dict[str, Any], invoice_id: int) -> Any:
    """Void the invoice (409 while its payments do not net to zero: refund first); the order may be
    invoiced again. Recorded as `sales.invoice_voided`."""
    try:
        invoice = service.void_invoice(session(), service.get_invoice(session(), invoice_id), data.get("reason"))
    except DocumentError as exc:
        raise _refused(exc) from None
    session().commit()
    return _invoice(invoice)


@blp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
@require(perm.PAYMENT_RECORD)
@needs_json
@blp.arguments(PaymentIn)
@blp.response(201, InvoiceOut)
def record_payment(data: dict[str, Any], invoice_id: int) -> Any:
    """Record a payment (partial too; negative: a refund); answers the updated invoice.

    A payment may not exceed the balance due, nor a refund what was paid (422, field `amount`);
    parallel payments are applied one after another. A void invoice takes none (409)."""
    try:
        invoice = service.get_invoice(session(), invoice_id)
        service.record_payment(session(), invoice, data["amount"], method=data["method"],
                               reference=data.get("reference"), paid_at=data.get("paid_at"))
    except DocumentError as exc:
        raise _refused(exc) from None
    session().commit()
    session().refresh(invoice)
    return _invoice(invoice)
