"""The SMS plugin's one table: the ids of the signed webhook requests already taken (replay refusal)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.sdk import Base, UTCDateTime


class WebhookDelivery(Base):
    """One accepted webhook request, by its `webhook-id`, written in the same transaction as what it
    brought: the same request again is refused, and a request whose work failed (rolled back)
    can be sent again. Rows older than the signature's tolerance are deleted by a job."""

    __tablename__ = "sms_webhook_delivery"

    webhook_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
