"""`/api/v1/service/bot/resolution`: how many web chats the FAQ bot resolved without a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.schemas_bot import ResolutionArgs, ResolutionOut
from payvand.plugins.service.services import bot
from payvand.sdk import require, session, utcnow


@blp.route("/bot/resolution")
@require(perm.TICKET_VIEW)
@blp.arguments(ResolutionArgs, location="query")
@blp.response(200, ResolutionOut)
def bot_resolution(args: dict[str, Any]) -> Any:
    """Bot resolution over the last `days` days: conversations, answered, resolved by the bot, handed over, rate."""
    end = utcnow() + dt.timedelta(minutes=1)
    return {"days": args["days"], **bot.resolution(session(), end - dt.timedelta(days=args["days"]), end)}
