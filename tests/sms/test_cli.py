"""`payvand sms check` and `payvand sms test`, run as an admin would (the plugin installed through its entry point)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from payvand.core.cli import cli
from tests.sms.conftest import API_KEY
from tests.sms.servers import KavenegarDouble


@pytest.fixture
def sms_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object, kavenegar: KavenegarDouble) -> KavenegarDouble:
    monkeypatch.setenv("PAYVAND_PLUGINS", "sms")
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path))
    monkeypatch.setenv("PAYVAND_SMS_PROVIDER", "kavenegar")
    monkeypatch.setenv("PAYVAND_SMS_KAVENEGAR_API_KEY", API_KEY)
    monkeypatch.setenv("PAYVAND_SMS_KAVENEGAR_URL", kavenegar.url + "/v1")
    return kavenegar


def test_check_prints_one_line_per_problem_and_exits_1(sms_env: KavenegarDouble, payvand_database_url: str) -> None:
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sms", "check"])
    assert result.exit_code == 1
    assert result.stdout.strip().splitlines() == [
        "PAYVAND_SMS_WEBHOOK_SECRET is not set: delivery receipts and replies are refused until it is."]


def test_check_says_when_all_is_well(sms_env: KavenegarDouble, payvand_database_url: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYVAND_SMS_WEBHOOK_SECRET", "whsec_c2VjcmV0")
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sms", "check"])
    assert result.exit_code == 0 and "complete" in result.stdout


def test_a_test_message_reaches_the_provider(sms_env: KavenegarDouble, payvand_database_url: str) -> None:
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sms", "test", "09121234567", "--text", "آزمایش"])
    assert result.exit_code == 0, result.output
    assert "Accepted by the provider (id 8792343)" in result.stdout
    [sent] = sms_env.send_requests()
    assert sent.form["receptor"] == "09121234567" and sent.form["message"] == "آزمایش" and sent.form["localid"].isdigit()


def test_a_refused_test_message_says_why(sms_env: KavenegarDouble, payvand_database_url: str) -> None:
    sms_env.credit = 0
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sms", "test", "09121234567"])
    assert result.exit_code == 1 and "418" in result.output and API_KEY not in result.output


def test_check_reads_the_secret_saved_on_the_channels_page(sms_env: KavenegarDouble, payvand_database_url: str) -> None:
    import sqlalchemy as sa

    from payvand.core.models import Setting

    engine = sa.create_engine(payvand_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(Setting).values(key="channel.sms.webhook_secret", value="whsec_c2VjcmV0"))
        result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sms", "check"])
        assert result.exit_code == 0 and "complete" in result.stdout
    finally:
        with engine.begin() as connection:
            connection.execute(sa.delete(Setting).where(Setting.key == "channel.sms.webhook_secret"))
        engine.dispose()
