"""The one error of the document kit: a rule of a document was broken (404, 409 or 422)."""

from __future__ import annotations

from sqlalchemy.orm import Session


class DocumentError(Exception):
    """A document rule was broken: `status` 404 (missing), 409 (wrong state) or 422 (invalid `field`)."""

    def __init__(self, message: str, *, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def conflict(session: Session, message: str) -> DocumentError:
    """A 409 for a write the database refused by a constraint: the transaction is rolled back."""
    session.rollback()
    return DocumentError(message, status=409)
