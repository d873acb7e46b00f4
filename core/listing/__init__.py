"""The list kit: one declarative description of a list, from which come the API arguments,
the SQL (filters and a keyset seek), the OpenAPI parameters, the staff page's list macro and
the CSV export, with one opaque cursor format.

Declare a `ListSpec` of `Column`s, `Filter`s and `Sort`s; then `spec.args_schema()` is the
marshmallow schema of its query arguments, `spec.page(session, args, actor)` one keyset page
(record rules applied), `spec.csv(...)` the streamed CSV and `spec.view(...)` what the Jinja
macro `macros/list.html` renders. `spec.describe()` reads the filters as data (for segments).
"""

from payvand.core.listing.cursor import CURSOR_VERSION, BadCursor, decode_cursor, encode_cursor
from payvand.core.listing.spec import (
    FILTER_TYPES,
    OPERATORS,
    RARE_ROWS,
    Column,
    Drive,
    Either,
    Filter,
    ListContext,
    ListSpec,
    Page,
    Sort,
    SortKey,
    by_share,
    count_up_to,
    plans_without_statistics,
    unindexed,
)
from payvand.core.listing.web import ListView, api_page, csv_response, list_args, list_view

__all__ = [
    "CURSOR_VERSION",
    "FILTER_TYPES",
    "OPERATORS",
    "RARE_ROWS",
    "BadCursor",
    "Column",
    "Drive",
    "Either",
    "Filter",
    "ListContext",
    "ListSpec",
    "ListView",
    "Page",
    "Sort",
    "SortKey",
    "api_page",
    "by_share",
    "count_up_to",
    "csv_response",
    "decode_cursor",
    "encode_cursor",
    "list_args",
    "list_view",
    "plans_without_statistics",
    "unindexed",
]
