"""Quote, order and invoice pages: lists (the list kit's `QUOTES`, `ORDERS`, `INVOICES`: filter
bar, keyset pages), printable quote and
invoice pages (company name, lines, tax summary by rate, totals; Jalali dates in `fa`) and their
PDFs, the quote's send (by email), accept and reject buttons, order status changes and
invoicing, recording payments and voiding an invoice.

Every page runs a constant number of queries whatever the number of rows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.api.documents import PaymentIn
from payvand.plugins.sales.models import Order
from payvand.plugins.sales.services import documents as service
from payvand.plugins.sales.services.documents import DocumentError
from payvand.plugins.sales.views import bp
from payvand.plugins.sales.views.messages import service_message
from payvand.sdk import (
    Customer,
    FormResult,
    Panel,
    call_hook,
    current_actor,
    isolate,
    list_view,
    localize_digits,
    parse_form,
    session,
    staff_required,
    to_latin_digits,
)
from payvand.sdk import gettext as _
from payvand.sdk import lazy_gettext as _l

PAGE_SIZE = 50

QUOTE_STATUSES = dict(service.QUOTE_FLOW.labels)
ORDER_STATUSES = dict(service.ORDER.labels)
INVOICE_STATUSES = dict(service.INVOICE_FLOW.labels)
METHODS = {"cash": _l("Cash"), "card": _l("Card"), "transfer": _l("Bank transfer"), "online": _l("Online"),
           "cheque": _l("Cheque")}


def _names(ids: Any) -> dict[int, str]:
    """Customers' display names in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(session().execute(sa.select(Customer.id, Customer.display_name).where(Customer.id.in_(wanted))).all())


def _list_page(spec: Any, endpoint: str, template: str, statuses: dict[str, Any], **extra: Any) -> Any:
    """A document list page on the list kit: its filter bar (status, customer), keyset pages with
    the kit's cursor, 400 with field messages for a refused value (ids in any digits)."""
    params = {k: to_latin_digits(v) if k == "customer_id" else v for k, v in request.args.items()}
    view = list_view(spec, session(), current_actor(), endpoint, limit=PAGE_SIZE, params=params,
                     message=lambda: _("The page link is no longer valid; start again from the first page."))
    items = view.items
    return render_template(template, view=view, items=items, statuses=statuses,
                           names=_names(i.customer_id for i in items), **extra), view.status


def _number(number: str) -> str:
    """A document number inside a message: the reader's digits, isolated."""
    return isolate(localize_digits(number))


def _fail(exc: DocumentError, target: str) -> Any:
    session().rollback()  # end the refused change (and release its row lock) before the flash is stored
    flash(service_message(exc.message), "danger")
    return redirect(target)


# --------------------------------------------------------------------------- quotes


@bp.route("/sales/quotes")
@staff_required(perm.DOCUMENT_VIEW)
def quotes() -> Any:
    """Quotes, newest first."""
    return _list_page(service.QUOTES, "sales.quotes", "sales/quotes.html", QUOTE_STATUSES)


@bp.route("/sales/quotes/<int:quote_id>")
@staff_required(perm.DOCUMENT_VIEW)
def quote(quote_id: int) -> Any:
    """The printable quote."""
    found = _quote_or_404(quote_id)
    return render_template("sales/quote.html", doc=found, lines=found.lines, taxes=service.tax_summary(found.lines),
                           customer=session().get(Customer, found.customer_id), statuses=QUOTE_STATUSES)


def _quote_or_404(quote_id: int) -> Any:
    """The quote if the user may see it (`rules.py`), else 404 as for a missing one."""
    try:
        return service.get_quote(session(), quote_id)
    except service.DocumentError:
        abort(404)


def _invoice_or_404(invoice_id: int) -> Any:
    """The invoice if the user may see it (`rules.py`), else 404 as for a missing one."""
    try:
        return service.get_invoice(session(), invoice_id)
    except service.DocumentError:
        abort(404)


def _pdf(body: bytes, number: str) -> Response:
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{number}.pdf"'})


@bp.route("/sales/quotes/<int:quote_id>.pdf")
@staff_required(perm.DOCUMENT_VIEW)
def quote_pdf(quote_id: int) -> Any:
    """The quote as a PDF (downloaded), in the user's language."""
    from payvand.plugins.sales.services import pdf

    found = _quote_or_404(quote_id)
    return _pdf(pdf.quote_pdf(found), found.number)


@bp.route("/sales/quotes/<int:quote_id>/send", methods=["POST"])
@staff_required(perm.DOCUMENT_EDIT)
def quote_send(quote_id: int) -> Any:
    """Send the quote: marked sent, and its email with the PDF queued when mail is on and the customer
    has an address (mailed after the commit, through the outbox); the message says which, and if
    it is not emailed, why."""
    target = url_for("sales.quote", quote_id=quote_id)
    try:
        delivery = service.deliver_quote(session(), service.get_quote(session(), quote_id))
    except DocumentError as exc:
        if exc.status == 404:
            abort(404)
        return _fail(exc, target)
    session().commit()
    number = delivery.quote.number
    if delivery.emailed:
        flash(_("Quote %(number)s was sent; it is being emailed to %(email)s.", number=_number(number),
                email=isolate(delivery.to)), "success")
    else:
        flash(_("Quote %(number)s was marked sent but not emailed: %(reason)s", number=_number(number),
                reason=_mail_problem(delivery)), "warning")
    return redirect(target)


def _mail_problem(delivery: service.QuoteDelivery) -> str:
    if delivery.problem == "mail_off":
        return _("mail is not configured on this server.")
    if delivery.problem == "no_email":
        return _("the customer has no email address.")
    return _("the mail server failed (%(error)s).", error=delivery.mail_error or "")


@bp.route("/sales/quotes/<int:quote_id>/reject", methods=["POST"])
@staff_required(perm.DOCUMENT_EDIT)
def quote_reject(quote_id: int) -> Any:
    """The customer declined the quote (with the reason typed)."""
    target = url_for("sales.quote", quote_id=quote_id)
    try:
        found = service.reject_quote(session(), service.get_quote(session(), quote_id), request.form.get("reason"))
    except DocumentError as exc:
        if exc.status == 404:
            abort(404)
        return _fail(exc, target)
    session().commit()
    flash(_("Quote %(number)s was marked rejected.", number=_number(found.number)), "success")
    return redirect(target)


@bp.route("/sales/quotes/<int:quote_id>/accept", methods=["POST"])
@staff_required(perm.DOCUMENT_EDIT)
def quote_accept(quote_id: int) -> Any:
    """Accept the quote: an order is placed with its lines."""
    try:
        order = service.accept_quote(session(), service.get_quote(session(), quote_id))
    except DocumentError as exc:
        if exc.status == 404:
            abort(404)
        return _fail(exc, url_for("sales.quote", quote_id=quote_id))
    session().commit()
    flash(_("Order %(number)s was placed.", number=_number(order.number)), "success")
    return redirect(url_for("sales.orders"))


# --------------------------------------------------------------------------- orders


@bp.route("/sales/orders")
@staff_required(perm.DOCUMENT_VIEW)
def orders() -> Any:
    """Orders, newest first, with their next statuses and an invoice button."""
    return _list_page(service.ORDERS, "sales.orders", "sales/orders.html", ORDER_STATUSES, flow=service.ORDER_FLOW)


@bp.route("/sales/orders/<int:order_id>")
@staff_required(perm.DOCUMENT_VIEW)
def order(order_id: int) -> Any:
    """The order: its lines — each with the units returns took back, linked to the return through
    its opaque reference — tax summary and totals, and its next statuses."""
    from payvand.plugins.sales.views.order_returns import returns_by_line

    try:
        found = service.get_order(session(), order_id)
    except DocumentError:
        abort(404)
    return render_template("sales/order.html", doc=found, lines=found.lines, taxes=service.tax_summary(found.lines),
                           customer=session().get(Customer, found.customer_id), statuses=ORDER_STATUSES,
                           flow=service.ORDER_FLOW, returned=returns_by_line(session(), found.id))


@bp.route("/sales/orders/<int:order_id>/status", methods=["POST"])
@staff_required(perm.DOCUMENT_EDIT)
def order_status(order_id: int) -> Any:
    """Move an order to the next status chosen."""
    try:
        order = service.change_order_status(session(), service.get_order(session(), order_id),
                                            request.form.get("status", ""))
    except DocumentError as exc:
        if exc.status == 404:
            abort(404)
        return _fail(exc, url_for("sales.orders"))
    session().commit()
    flash(_("Order %(number)s is now %(status)s.", number=_number(order.number), status=ORDER_STATUSES[order.status]), "success")
    return redirect(url_for("sales.orders"))


@bp.route("/sales/orders/<int:order_id>/invoice", methods=["POST"])
@staff_required(perm.DOCUMENT_EDIT)
def order_invoice(order_id: int) -> Any:
    """Invoice the order and show the invoice."""
    try:
        invoice = service.create_invoice(session(), service.get_order(session(), order_id))
    except DocumentError as exc:
        if exc.status == 404:
            abort(404)
        return _fail(exc, url_for("sales.orders"))
    session().commit()
    flash(_("Invoice %(number)s was issued.", number=_number(invoice.number)), "success")
    return redirect(url_for("sales.invoice", invoice_id=invoice.id))


# --------------------------------------------------------------------------- invoices


class PaymentForm(PaymentIn):
    """`PaymentIn` as typed on the invoice page: "۱۰۰٬۰۰۰", "100,000" and "12٫5" are amounts too
    (`parse_form` reads every number field by the staff forms' one rule, `read_number`)."""


@bp.route("/sales/invoices")
@staff_required(perm.DOCUMENT_VIEW)
def invoices() -> Any:
    """Invoices, newest first, with their balance due."""
    return _list_page(service.INVOICES, "sales.invoices", "sales/invoices.html", INVOICE_STATUSES,
                      balance=service.balance)


def _invoice_page(invoice_id: int, form: FormResult, status: int = 200) -> Any:
    found = _invoice_or_404(invoice_id)
    order = session().get(Order, found.order_id) if found.order_id else None
    lines = order.lines if order is not None else []
    views = [view for view in call_hook("payvand_invoice_views", invoice=found, actor=current_actor())
             if isinstance(view, Panel)]  # other plugins' billing views (e.g. an official layout)
    return render_template("sales/invoice.html", doc=found, order=order, lines=lines, taxes=service.tax_summary(lines),
                           customer=session().get(Customer, found.customer_id), statuses=INVOICE_STATUSES,
                           methods=METHODS, balance=service.balance(found), form=form, views=views), status


@bp.route("/sales/invoices/<int:invoice_id>")
@staff_required(perm.DOCUMENT_VIEW)
def invoice(invoice_id: int) -> Any:
    """The printable invoice with its payments, balance due and a form to record a payment."""
    return _invoice_page(invoice_id, FormResult.empty({"method": "transfer"}))


@bp.route("/sales/invoices/<int:invoice_id>.pdf")
@staff_required(perm.DOCUMENT_VIEW)
def invoice_pdf(invoice_id: int) -> Any:
    """The invoice as a PDF (downloaded), in the user's language."""
    from payvand.plugins.sales.services import pdf

    found = _invoice_or_404(invoice_id)
    return _pdf(pdf.invoice_pdf(found), found.number)


@bp.route("/sales/invoices/<int:invoice_id>/void", methods=["POST"])
@staff_required(perm.DOCUMENT_EDIT)
def invoice_void(invoice_id: int) -> Any:
    """Void the invoice (refused while payments do not net to zero)."""
    target = url_for("sales.invoice", invoice_id=invoice_id)
    try:
        found = service.void_invoice(session(), service.get_invoice(session(), invoice_id), request.form.get("reason"))
    except DocumentError as exc:
        if exc.status == 404:
            abort(404)
        return _fail(exc, target)
    session().commit()
    flash(_("Invoice %(number)s is void.", number=_number(found.number)), "success")
    return redirect(target)


@bp.route("/sales/invoices/<int:invoice_id>/payments", methods=["POST"])
@staff_required(perm.PAYMENT_RECORD)
def invoice_payment(invoice_id: int) -> Any:
    """Record a payment (negative: a refund); errors are shown next to the fields (422)."""
    form = parse_form(PaymentForm())
    if form.ok:
        try:
            found = service.get_invoice(session(), invoice_id)
            service.record_payment(session(), found, form.data["amount"], method=form.data["method"],
                                   reference=form.data.get("reference"))
        except DocumentError as exc:
            if exc.status == 404:
                abort(404)
            session().rollback()
            form.errors[exc.field or "_form"] = [service_message(exc.message)]
        else:
            session().commit()
            flash(_("The payment was recorded."), "success")
            return redirect(url_for("sales.invoice", invoice_id=invoice_id))
    return _invoice_page(invoice_id, form, 422)
