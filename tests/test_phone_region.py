"""One phone-region lookup (`payvand.core.settings.phone_region`) behind every entry point.

A deployment in Germany sets the phone region to DE (admin settings page, or
`PAYVAND_PHONE_REGION`): a number typed without a country code ("030 12345678") is then read
as +49 by the API, the staff import page, `payvand import customers`, the importer and the SDK.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from payvand import sdk
from payvand.core import settings as core_settings
from payvand.core.cli import cli
from payvand.core.importer import import_customers
from payvand.core.models import CustomerPhone, Setting
from tests.web.test_imports import job_id_from, start, upload, wait_for

LOCAL = "030 12345678"
E164 = "+493012345678"

#: How the deployment says DE: (configuration, stored setting or None for no row).
CASES = {
    "the admin's setting": ({}, "DE"),
    "the configuration, typed in lower case": ({"PAYVAND_PHONE_REGION": "de"}, None),
    "the configuration under an empty setting": ({"PAYVAND_PHONE_REGION": "DE"}, ""),
}


@pytest.fixture(params=list(CASES))
def case(request: Any) -> tuple[dict[str, str], str | None]:
    return CASES[request.param]


@pytest.fixture
def payvand_config(case: tuple[dict[str, str], str | None]) -> dict[str, str]:
    return case[0]


@pytest.fixture(autouse=True)
def german_deployment(runtime: Any, case: tuple[dict[str, str], str | None]) -> None:
    """Store the case's setting (pages in English, so the page texts read as in the other tests)."""
    with runtime.sessionmaker.begin() as session:
        session.merge(Setting(key=core_settings.DEFAULT_LOCALE, value="en"))
        if case[1] is not None:
            session.merge(Setting(key=core_settings.PHONE_REGION, value=case[1]))


def phones(runtime: Any) -> set[str]:
    with runtime.sessionmaker() as session:
        return set(session.scalars(sa.select(CustomerPhone.number)))


def test_the_customer_import_page_reads_phones_in_the_deployments_region(web, runtime):
    job_id = job_id_from(upload(web, f"given_name,phone\nHans,{LOCAL}\n".encode()))
    preview = web.get(f"/import/{job_id}/mapping").text.split('id="import-preview"', 1)[1]
    assert E164 in preview and 'data-error="1"' not in preview
    assert start(web, job_id).status_code == 302
    job = wait_for(runtime, job_id)
    assert job.status == "done", job.error
    assert job.options["region"] == "DE"
    assert phones(runtime) == {E164}


def test_the_api_reads_phones_in_the_deployments_region(api, runtime):
    created = api.post("customers", json={"given_name": "Hans", "phones": [LOCAL]})
    assert created.status_code == 201, created.json
    assert phones(runtime) == {E164}


def test_the_cli_import_and_the_importer_read_phones_in_the_deployments_region(runtime, tmp_path, case):
    path = tmp_path / "people.csv"
    path.write_text(f"given_name,phone\nHans,{LOCAL}\n", encoding="utf-8")
    args = ["--instance", str(tmp_path / "instance"), "--database-url", runtime.config["PAYVAND_DATABASE_URL"],
            "import", "customers", str(path)]
    result = CliRunner(env=case[0]).invoke(cli, args, catch_exceptions=False)  # its configuration: the environment
    assert result.exit_code == 0, result.output
    assert phones(runtime) == {E164}
    path.write_text(f"given_name,phone\nKarl,{LOCAL[:-1]}9\n", encoding="utf-8")
    assert import_customers(runtime, path).inserted == 1
    assert phones(runtime) == {E164, E164[:-1] + "9"}


def test_the_sdk_reads_phones_in_the_deployments_region(app, runtime):
    with app.app_context(), sdk.transaction():
        assert sdk.phone_region() == "DE"
        customer = sdk.create_customer({"given_name": "Hans", "phones": [LOCAL]})
        assert [p.number for p in customer.phones] == [E164]
        assert "+49301234" in sdk.phone_search_prefixes("030 1234")


def test_outside_an_app_the_region_is_the_default():
    assert sdk.phone_region() == core_settings.phone_region() == "IR"
