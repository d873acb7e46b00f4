"""payvand.sdk.web: staff pages, public pages and API routes.

The guards (`staff_required`, `require`, `public_page`, `csrf_exempt`) and who is calling
(`current_staff`, `current_user_can`; the actor itself is `payvand.sdk.records.current_actor`); forms read by
a marshmallow schema with the
one number rule (`parse_form`, `read_number`); the API blueprint and its error; rate limits
and the Content-Security-Policy; and the one upload checker.

Stability: every name is stable (semantic versioning) except those in `PROVISIONAL`, which may
change in any minor release. Lists (filters, sorting, cursors, the list macro) are
`payvand.sdk.lists`.
"""

from __future__ import annotations

import time as _clock

from flask import current_app, g, has_app_context

from payvand.core.api.base import ApiBlueprint, require
from payvand.core.api.errors import ApiError
from payvand.core.uploads import (
    FILE_TYPES,
    FileType,
    UploadRejected,
    check_upload,
    send_upload,
    upload_type,
)
from payvand.core.web.access import csrf_exempt, public_page, staff_required
from payvand.core.web.access import staff_user as current_staff
from payvand.core.web.forms import NUMBER_MESSAGE, FormResult, parse_form, read_number, read_numbers
from payvand.core.web.security import content_security_policy, note_retry_after

__all__ = [
    # staff and public pages
    "staff_required", "current_staff", "current_user_can", "public_page", "csrf_exempt",
    "FormResult", "parse_form", "read_number", "read_numbers", "NUMBER_MESSAGE",
    # API routes
    "ApiBlueprint", "ApiError", "require",
    # security: rate limits, the page policy, uploads
    "over_rate_limit", "content_security_policy",
    "FILE_TYPES", "FileType", "UploadRejected", "check_upload", "send_upload", "upload_type",
]

#: Names that may change in a minor release (the rest are stable).
PROVISIONAL: frozenset[str] = frozenset()


def current_user_can(permission: str) -> bool:
    """True when the caller of the current request holds `permission` (False outside requests)."""
    if not has_app_context():
        return False
    found = g.get("payvand_actor")
    return bool(found is not None and found.can(permission))


def over_rate_limit(key: str, limit: str) -> bool:
    """Count one event for `key`; True when it goes over `limit` (e.g. "5 per 10 minutes").

    Uses the staff UI's rate-limit storage (process memory, or Redis with
    `PAYVAND_RATELIMIT_STORAGE_URI`), so several web processes share the counts.
    When it is over, a 429 response of this request gets `Retry-After` (the seconds until the
    limit lets `key` through again) without the plugin doing more.
    """
    from limits import parse

    limiter = current_app.extensions["payvand_limiter"]
    item = parse(limit)
    if limiter.limiter.hit(item, "payvand.plugin", key):
        return False
    reset_at, _ = limiter.limiter.get_window_stats(item, "payvand.plugin", key)
    note_retry_after(reset_at - _clock.time())
    return True
