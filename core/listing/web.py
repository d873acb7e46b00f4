"""Lists on staff pages and in the API: reading the arguments, the page links, the API's answer."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from flask import request, url_for
from marshmallow import ValidationError

from payvand.core.listing.cursor import BadCursor
from payvand.core.listing.spec import Column, ListSpec, Page

#: The message of a cursor a list did not make, on the `cursor` field (API).
INVALID_CURSOR = "Invalid cursor."


def api_page(spec: ListSpec, session: Any, args: Mapping[str, Any], actor: Any, **extra: Any) -> dict[str, Any]:
    """`{"items", "next_cursor"}` for an API list route; a cursor the list did not make is a 400 on `cursor`."""
    from payvand.core.api.errors import ApiError

    try:
        page = spec.page(session, args, actor, **extra)
    except BadCursor:
        raise ApiError(400, "The cursor is not valid; start again from the first page.",
                       fields={"cursor": [INVALID_CURSOR]}) from None
    return {"items": page.items, "next_cursor": page.next_cursor}


@dataclasses.dataclass
class ListView:
    """What the list macro renders: the values typed, errors, rows, and the page links."""

    spec: ListSpec
    values: dict[str, str]
    errors: dict[str, list[str]]
    args: dict[str, Any] | None
    page: Page | None
    next_url: str | None
    first_url: str | None
    filtered: bool
    columns: tuple[Column, ...]
    status: int = 200

    @property
    def items(self) -> list[Any]:
        """The rows of the page (none when the arguments were refused)."""
        return self.page.items if self.page is not None else []


def list_view(spec: ListSpec, session: Any, actor: Any, endpoint: str, *, limit: int | None = None,
              message: Callable[[], str] | None = None, url_values: Mapping[str, Any] | None = None,
              params: Mapping[str, str] | None = None, **extra: Any) -> ListView:
    """Read the list's arguments from the query string, run one page and build its links.

    Unknown query parameters are ignored on pages (tracking tags, old links); a bad value is a
    field error (status 400), a bad cursor too, with `message()` (translated) on `cursor`.
    """
    schema = spec.args_schema()()
    known = schema.fields
    source = params if params is not None else request.args
    values = {k: v.strip() for k, v in source.items() if k in known and isinstance(v, str) and v.strip()}
    errors: dict[str, list[str]] = {}
    args: dict[str, Any] | None = None
    page = None
    status = 200
    try:
        args = schema.load(values)
    except ValidationError as exc:
        from payvand.core.web.forms import flatten_errors

        errors = flatten_errors(exc.messages)
        status = 400
    if args is not None:
        if limit is not None:
            args["limit"] = limit
        try:
            page = spec.page(session, args, actor, **extra)
        except BadCursor:
            errors["cursor"] = [message() if message else INVALID_CURSOR]
            status = 400
    kept = {k: v for k, v in values.items() if k not in ("cursor", "limit")}
    if kept.get("sort") == spec.default_sort:
        kept.pop("sort")
    base: dict[str, Any] = {**(url_values or {}), **kept}
    next_url = url_for(endpoint, **base, cursor=page.next_cursor) if page and page.next_cursor else None
    first_url = url_for(endpoint, **base) if values.get("cursor") else None
    filtered = any(k in spec.filter_params() for k in values)
    return ListView(spec, values, errors, args, page, next_url, first_url, filtered, spec.columns, status)


def csv_response(spec: ListSpec, session: Any, args: Mapping[str, Any], actor: Any, filename: str,
                 **extra: Any) -> Any:
    """A streamed CSV download of every row matching `args` (the page's filters), formula-guarded.

    The rows are read while the response streams, so the request's session must stay open:
    the response is wrapped in `stream_with_context`.
    """
    from flask import Response, stream_with_context

    lines = spec.csv(session, args, actor, **extra)
    return Response(stream_with_context(lines), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def list_args(spec: ListSpec, params: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The list's arguments read from the query string (unknown ones ignored); ValidationError when refused."""
    schema = spec.args_schema()()
    source = params if params is not None else request.args
    return schema.load({k: v.strip() for k, v in source.items()
                        if k in schema.fields and isinstance(v, str) and v.strip()})
