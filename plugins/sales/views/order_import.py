"""Order history import page: upload a CSV of past order lines, import it, show what was done.

Only for `sales.manage` (history changes revenue reports and analytics). The import runs in the
request, so the file is limited to `PAYVAND_LEAD_IMPORT_MAX_MB` like the lead import (larger
files go through `payvand sales import-orders`); the result (counts and the first rejected rows)
is kept in the staff session for the result page, so a reload does not import twice.
"""

from __future__ import annotations

import io
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask import session as web_session

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.services import order_import as service
from payvand.plugins.sales.services.csv_rows import CsvFileError
from payvand.plugins.sales.views import bp
from payvand.plugins.sales.views.lead_import import _SLACK, KEPT_REJECTS, SHOWN_REJECTS, _read_upload, max_bytes
from payvand.sdk import FormResult, format_number, session, staff_required
from payvand.sdk import gettext as _

RESULT_KEY = "sales.order_import"


@bp.url_value_preprocessor
def _order_import_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Let the order import route read bodies up to the import limit (before the CSRF check reads it)."""
    if endpoint == "sales.order_import_upload":
        request.max_content_length = max_bytes() + _SLACK


def _page(form: FormResult, status: int = 200) -> Any:
    return render_template("sales/order_import.html", form=form, columns=service.COLUMNS,
                           limit_mb=format(max_bytes() / (1024 * 1024), "g")), status


@bp.get("/sales/orders/import")
@staff_required(perm.MANAGE)
def order_import() -> Any:
    """The upload form of the order history import."""
    return _page(FormResult.empty({}))


@bp.post("/sales/orders/import")
@staff_required(perm.MANAGE)
def order_import_upload() -> Any:
    """Import the uploaded order history; then show the result (POST/redirect/GET)."""
    values = {"dry_run": request.form.get("dry_run", "")}
    form = FormResult(values=values, errors={})
    data = _read_upload(form)
    if data is None or form.errors:
        return _page(form, 422)
    dry_run = values["dry_run"] in ("1", "on")
    filename = (request.files["file"].filename or "orders.csv")[-200:]
    try:
        result = service.import_orders(io.BytesIO(data), dry_run=dry_run, name=filename)
    except (CsvFileError, service.OrderImportError, ValueError) as exc:
        session().rollback()
        form.errors["file"] = [_("The file cannot be imported: %(reason)s", reason=str(exc))]
        return _page(form, 422)
    if dry_run:
        session().rollback()
    else:
        session().commit()
    web_session[RESULT_KEY] = {"file": filename, **result.summary(),
                               "rejects": [list(r) for r in result.errors[:KEPT_REJECTS]],
                               "rejects_total": len(result.errors)}
    if not dry_run:
        flash(_("%(count)s orders imported.", count=format_number(result.created + result.updated)), "success")
    return redirect(url_for("sales.order_import_result"))


@bp.get("/sales/orders/import/result")
@staff_required(perm.MANAGE)
def order_import_result() -> Any:
    """What the last order import of this session did: counts and the rejected rows with line and reason."""
    found = web_session.get(RESULT_KEY)
    if not found:
        return redirect(url_for("sales.order_import"))
    shown = [tuple(item) for item in found["rejects"][:SHOWN_REJECTS]]
    return render_template("sales/order_import_result.html", result=found, shown=shown)
