"""Answer sources from other plugins: the most confident wins, one that raises is skipped."""

from __future__ import annotations

from typing import Any

import pytest

import payvand.plugins.service as service
from payvand.plugins.service.services import bot
from payvand.sdk import BotAnswer, BotAnswerer, BotQuestion, PluginMeta, hookimpl

from .bot_kit import CHAT_CONFIG, Visitor, article


def _broken(question: BotQuestion) -> BotAnswer | None:
    raise RuntimeError("the parcel service is down")


def _parcels(question: BotQuestion) -> BotAnswer | None:
    return BotAnswer("Parcels leave every morning.", 0.95, link="https://shop.example/parcels") \
        if "parcel" in question.text.lower() else None


class ParcelPlugin:
    """A plugin with two answer sources, one of them broken."""

    meta = PluginMeta(name="parcels", version="1.0", title="Parcels")

    @hookimpl
    def payvand_bot_answerers(self) -> list[BotAnswerer]:
        """A broken source and a working one."""
        return [BotAnswerer("parcels.broken", _broken), BotAnswerer("parcels.times", _parcels)]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [service, ParcelPlugin()]


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    return dict(CHAT_CONFIG)


def test_a_plugins_answer_wins_when_more_confident_and_a_broken_source_is_skipped(client, run_jobs, in_app):
    article(in_app, "Parcel sizes", "Parcels may weigh up to 30 kg.")
    [reply] = Visitor(client, run_jobs, lang="en").say("When does my parcel leave?")
    assert reply == "Parcels leave every morning.\nhttps://shop.example/parcels"  # the source's link cited
    with in_app() as session:
        found, article_id = bot.best_answer(session, BotQuestion("parcel sizes", "en"))
        assert found is not None and found.source == "kb" and article_id is not None  # 1.0 beats 0.95
