"""`payvand_evaluation_programs`: a third-party program shows on the Evaluation report; broken ones do not break it."""

from __future__ import annotations

import types

import pytest
import sqlalchemy as sa

import payvand.sdk as sdk
from payvand.sdk import EvaluationProgram, EvaluationRow, EvaluationScale, Interaction

# The integrator guide's minimal program, as written there: "stars" answers are interactions.
survey = types.ModuleType("survey_plugin")
survey.meta = sdk.PluginMeta(name="survey", version="1.0")


def stars_summary(session, actor, start, end, dimension):
    """Answers per month: how many, and their average (the score is the interaction's summary)."""
    month = sa.func.substr(sa.cast(Interaction.occurred_at, sa.String), 1, 7)
    rows = session.execute(sa.select(month, sa.func.count(), sa.func.avg(sa.cast(Interaction.summary, sa.Integer)))
                           .where(Interaction.kind == "survey.stars", Interaction.occurred_at >= start,
                                  Interaction.occurred_at < end).group_by(month).order_by(month))
    return [EvaluationRow("period", key, count, round(float(avg), 2)) for key, count, avg in rows]


def broken_summary(session, actor, start, end, dimension):
    raise RuntimeError("the survey service is down")


@sdk.hookimpl
def _programs():
    return [
        EvaluationProgram(key="survey.stars", label="Store stars", measures="How customers rate the store.",
                          collection="A card at the till.", scale=EvaluationScale(1, 5, score_label="Stars"),
                          summarise=stars_summary),
        EvaluationProgram(key="survey.broken", label="Broken survey", measures="Nothing.", collection="None.",
                          scale=EvaluationScale(0, 10), summarise=broken_summary),
        EvaluationProgram(key="other.stolen", label="Unprefixed", measures="", collection="",
                          scale=EvaluationScale(0, 10), summarise=broken_summary),
        EvaluationProgram(key="survey.upside_down", label="Upside down", measures="", collection="",
                          scale=EvaluationScale(5, 1), summarise=broken_summary),
    ]


survey.payvand_evaluation_programs = _programs


@pytest.fixture
def payvand_plugins():
    """Only the survey plugin."""
    return [survey]


def test_a_third_party_program_is_summarised_and_a_failing_one_is_recorded(web_as, make_customer, make_interaction,
                                                                          runtime, db_session):
    customer = make_customer()
    for stars in ("4", "5"):
        make_interaction(customer.id, kind="survey.stars", summary=stars)
    assert [program.key for _, program in runtime.evaluation_programs()] == ["survey.broken", "survey.stars"]
    page = web_as(["core.evaluation.view"]).get("/reports/evaluation")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="program-survey-stars"' in text and "4.5" in text and "Store stars" in text
    assert 'id="program-survey-broken"' in text and "could not be computed" in text
    assert "Unprefixed" not in text and "Upside down" not in text
    from payvand.core.models import PluginState

    db_session.expire_all()
    state = db_session.scalar(sa.select(PluginState).where(PluginState.name == "survey"))
    assert "the survey service is down" in state.recent_errors[0]["error"]
