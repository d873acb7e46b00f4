"""The public lead form's per-address limit is shared by every web process when it counts in Redis."""

from __future__ import annotations

import os
import secrets
import time

import pytest

import payvand.plugins.sales as sales
from payvand.plugins.sales.views.leads import form_token
from tests.sales.test_leads_web import _CSRF, GOOD

pytestmark = pytest.mark.skipif(not os.environ.get("PAYVAND_TEST_REDIS_URL"), reason="PAYVAND_TEST_REDIS_URL is not set")


def _post(app, client, address):
    client.environ_base["REMOTE_ADDR"] = address
    csrf = _CSRF.search(client.get("/forms/lead").text).group(1)
    with app.test_request_context():
        token = form_token(time.time() - 10)
    return client.post("/forms/lead", data={"csrf_token": csrf, "form_token": token, **GOOD}).status_code


def test_two_web_processes_share_the_lead_form_limit(payvand_database_url, tmp_path):
    from payvand.core.app import create_app
    from payvand.sdk.testing import _make_config

    url = os.environ["PAYVAND_TEST_REDIS_URL"]
    apps = [create_app(_make_config([sales], payvand_database_url, tmp_path / f"web-{n}",
                                    {"PAYVAND_RATELIMIT_STORAGE_URI": url, "PAYVAND_LEAD_FORM_RATE": "3 per 10 minutes"}))
            for n in (1, 2)]
    clients = [app.test_client() for app in apps]
    address = "10.{}.{}.{}".format(*secrets.token_bytes(3))  # fresh counters in the shared store
    statuses = [_post(apps[n % 2], clients[n % 2], address) for n in range(4)]
    assert statuses == [302, 302, 302, 429]  # neither process alone saw more than two
    other = "10.{}.{}.{}".format(*secrets.token_bytes(3))
    assert _post(apps[1], clients[1], other) == 302  # another address has its own count
    for app in apps:
        app.extensions["payvand"].engine.dispose()
