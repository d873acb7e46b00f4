"""A customer's NPS answers in merges, exports and erasures (called from `services/privacy.py`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models_nps import NpsResponse
from payvand.sdk import MovedRows


def merge(s: Session, target_id: int, source_id: int) -> list[MovedRows]:
    """Move the source's invitations to the target, except in campaigns the target was invited to too."""
    taken = sa.select(NpsResponse.campaign).where(NpsResponse.customer_id == target_id)
    ids = list(s.scalars(sa.select(NpsResponse.id).where(NpsResponse.customer_id == source_id,
                                                         NpsResponse.campaign.not_in(taken))))
    if not ids:
        return []
    s.execute(sa.update(NpsResponse).where(NpsResponse.id.in_(ids)).values(customer_id=target_id)
              .execution_options(synchronize_session=False))
    return [MovedRows(table=NpsResponse.__tablename__, column="customer_id", ids=ids)]


def export(s: Session, customer_id: int) -> list[dict[str, Any]]:
    """The customer's invitations and answers."""
    rows = s.scalars(sa.select(NpsResponse).where(NpsResponse.customer_id == customer_id).order_by(NpsResponse.id))
    return [{"campaign": r.campaign, "sent_at": r.sent_at.isoformat(), "score": r.score, "comment": r.comment,
             "answered_at": r.answered_at.isoformat() if r.answered_at else None} for r in rows]


def erase(s: Session, customer_id: int) -> list[int]:
    """Blank the customer's NPS comments (scores stay for the figures); the ids changed."""
    ids = list(s.scalars(sa.select(NpsResponse.id).where(NpsResponse.customer_id == customer_id)))
    if ids:
        s.execute(sa.update(NpsResponse).where(NpsResponse.id.in_(ids)).values(comment="")
                  .execution_options(synchronize_session=False))
    return ids
