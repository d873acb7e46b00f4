"""`Idempotency-Key` on every POST of the API: a retried request acts once and answers the same."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from payvand.core.idempotency import HEADER, fingerprint
from payvand.core.models import Customer, IdempotencyKey, Interaction
from payvand.sdk.testing import assert_idempotent

from .helpers import error_of

_emails = itertools.count(1)


def customer_body() -> dict:
    """A valid new customer with an email no other test uses."""
    return {"given_name": "Sara", "family_name": "Karimi", "emails": [f"sara{next(_emails)}@example.com"]}


def keyed(key: str) -> dict[str, str]:
    return {HEADER: key}


def test_the_same_key_and_body_replays_the_first_answer_without_acting_again(api, count_rows):
    body = customer_body()
    first = api.post("customers", json=body, headers=keyed("k1"))
    second = api.post("customers", json=body, headers=keyed("k1"))

    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert second.status_code == 201 and second.headers["Idempotent-Replayed"] == "true"
    assert second.get_data() == first.get_data()
    for header in ("Location", "ETag", "Content-Type"):
        assert second.headers[header] == first.headers[header]
    assert count_rows(Customer) == 1


def test_the_same_body_written_differently_is_the_same_request(api, count_rows):
    api.post("customers", data='{"given_name": "Sara", "family_name": "Karimi"}',
             content_type="application/json", headers=keyed("k1"))
    again = api.post("customers", data='{"family_name":"Karimi","given_name":"Sara"}',
                     content_type="application/json", headers=keyed("k1"))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert count_rows(Customer) == 1


def test_the_same_key_with_another_body_is_refused_with_422(api, count_rows):
    assert api.post("customers", json=customer_body(), headers=keyed("k1")).status_code == 201
    reused = api.post("customers", json=customer_body(), headers=keyed("k1"))
    assert reused.status_code == 422
    error = error_of(reused)
    assert error["code"] == "idempotency_key_reused" and HEADER in error["fields"]
    assert count_rows(Customer) == 1


def test_another_query_string_is_another_request(api, make_customer):
    customer = make_customer()
    body = {"kind": "core.note", "channel": "phone"}
    url = f"customers/{customer.id}/interactions"
    assert api.post(url, json=body, headers=keyed("k1")).status_code == 201
    assert api.post(url + "?x=1", json=body, headers=keyed("k1")).status_code == 422


def test_keys_belong_to_their_principal(api, api_as, count_rows):
    other = api_as(superuser=True)
    body = customer_body()
    mine = api.post("customers", json=body, headers=keyed("shared"))
    theirs = other.post("customers", json=body, headers=keyed("shared"))
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers and theirs.json["id"] != mine.json["id"]
    assert count_rows(Customer) == 2


def test_one_key_on_two_routes_is_two_keys(api, make_customer, count_rows):
    first, second = make_customer(), make_customer()
    body = {"kind": "core.note", "channel": "phone"}
    assert api.post(f"customers/{first.id}/interactions", json=body, headers=keyed("k1")).status_code == 201
    other = api.post(f"customers/{second.id}/interactions", json=body, headers=keyed("k1"))
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert count_rows(Interaction) == 2


def test_a_key_expires_after_24_hours(api, runtime, count_rows):
    body = customer_body()
    assert api.post("customers", json=body, headers=keyed("k1")).status_code == 201
    _age(runtime, dt.timedelta(hours=24, seconds=1))
    again = api.post("customers", json=body, headers=keyed("k1"))
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert count_rows(Customer) == 2


def test_the_cleanup_job_deletes_keys_older_than_24_hours(api, runtime, run_jobs, count_rows):
    api.post("customers", json=customer_body(), headers=keyed("old"))
    api.post("customers", json=customer_body(), headers=keyed("new"))
    _age(runtime, dt.timedelta(hours=25), IdempotencyKey.idem_key == "old")
    assert "core.idempotency_cleanup" in runtime.job_runner.run_due_jobs()
    assert [k.idem_key for k in _keys(runtime)] == ["new"]


def _age(runtime, by, *where):
    """Move the keys' `created_at` back `by`, as if they had been sent that long ago."""
    with runtime.sessionmaker.begin() as session:
        for key in session.scalars(sa.select(IdempotencyKey).where(*where)):
            key.created_at -= by


def _keys(runtime):
    with runtime.sessionmaker() as session:
        return session.scalars(sa.select(IdempotencyKey).order_by(IdempotencyKey.id)).all()


def test_an_error_answer_is_not_kept_so_the_key_can_be_used_again(api, count_rows, runtime):
    refused = api.post("customers", json={"given_name": ""}, headers=keyed("k1"))
    assert refused.status_code == 422 and HEADER not in error_of(refused)["fields"]
    assert _keys(runtime) == []
    corrected = api.post("customers", json=customer_body(), headers=keyed("k1"))
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers
    assert count_rows(Customer) == 1


def test_a_5xx_answer_is_not_kept_and_the_retry_acts(app, api, runtime):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the first attempt fails")
        return {"attempt": len(calls)}, 201

    app.add_url_rule("/api/v1/test-flaky", "test_flaky", flaky, methods=["POST"])
    failed = api.post("test-flaky", json={"a": 1}, headers=keyed("k1"))
    assert failed.status_code == 500 and _keys(runtime) == []
    retried = api.post("test-flaky", json={"a": 1}, headers=keyed("k1"))
    assert (retried.status_code, retried.json) == (201, {"attempt": 2})
    replayed = api.post("test-flaky", json={"a": 1}, headers=keyed("k1"))
    assert (replayed.json, replayed.headers["Idempotent-Replayed"]) == ({"attempt": 2}, "true")
    assert len(calls) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "کلید"])
def test_a_malformed_key_is_refused_with_400(api, count_rows, key):
    response = api.post("customers", json=customer_body(), headers={HEADER: key.encode().decode("latin-1")})
    assert response.status_code == 400
    assert HEADER in error_of(response)["fields"]
    assert count_rows(Customer) == 0


def test_a_key_of_255_characters_is_accepted(api):
    key = "k" * 255
    assert api.post("customers", json=customer_body(), headers=keyed(key)).status_code == 201


def test_other_methods_ignore_the_key(api, make_customer, runtime):
    customer = make_customer()
    assert api.patch(f"customers/{customer.id}", json={"given_name": "A"}, headers=keyed("k1")).status_code == 200
    assert api.get("customers", headers=keyed("k1")).status_code == 200
    assert _keys(runtime) == []


def test_a_request_whose_key_is_still_in_progress_gets_409_then_takes_over_after_the_lease(api, app, runtime, count_rows):
    body = customer_body()
    now = dt.datetime.now(dt.UTC)
    with runtime.sessionmaker.begin() as session:  # as if a request with this key were running
        session.add(IdempotencyKey(principal=f"token:{_token_id(runtime, api)}", method="POST", path="/api/v1/customers",
                                   idem_key="k1", fingerprint=_fingerprint(body), state="in_progress",
                                   lock_token="someone", locked_at=now, created_at=now))
    app.config["PAYVAND_IDEMPOTENCY_WAIT_SECONDS"] = 0
    busy = api.post("customers", json=body, headers=keyed("k1"))
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert error_of(busy)["code"] == "idempotency_in_progress"
    assert count_rows(Customer) == 0

    with runtime.sessionmaker.begin() as session:  # that request died: its lease runs out
        session.execute(sa.update(IdempotencyKey).values(locked_at=now - dt.timedelta(seconds=301)))
    taken = api.post("customers", json=body, headers=keyed("k1"))
    assert taken.status_code == 201 and count_rows(Customer) == 1
    assert api.post("customers", json=body, headers=keyed("k1")).headers["Idempotent-Replayed"] == "true"


def _fingerprint(body: dict) -> str:
    import json

    return fingerprint(json.dumps(body).encode(), [])


def _token_id(runtime, api) -> int:
    from payvand.core.models import ApiToken

    with runtime.sessionmaker() as session:
        return session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == api.user_id))


def test_concurrent_requests_with_one_key_act_once(api, race, count_rows):
    results = race(8, "POST", "customers", client=api, json=customer_body(), headers=keyed("k1"))
    created = [r for r in results if r.status == 201]
    assert created and all(r.status == 409 for r in results if r.status != 201), results
    assert {r.body for r in created} == {created[0].body}
    assert [r.headers.get("Idempotent-Replayed") for r in created].count("true") == len(created) - 1
    assert count_rows(Customer) == 1


def test_every_post_operation_declares_the_header(client, subtests):
    spec = client.get("/api/v1/openapi.json").json
    posts = [(path, item["post"]) for path, item in spec["paths"].items() if "post" in item]
    assert len(posts) >= 4
    for path, operation in posts:
        with subtests.test(path=path):
            header = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == HEADER]
            assert len(header) == 1 and header[0]["required"] is False
            assert header[0]["schema"]["maxLength"] == 255
            assert {"400", "409", "422"} <= set(operation["responses"])
            success = [r for code, r in operation["responses"].items() if code.startswith("2")]
            assert success and all("Idempotent-Replayed" in r["headers"] for r in success)
    for path, item in spec["paths"].items():
        for method in set(item) - {"post", "parameters"}:
            assert HEADER not in {p.get("name") for p in item[method].get("parameters", [])}, (method, path)
            assert not any("Idempotent-Replayed" in r.get("headers", {}) for r in item[method]["responses"].values())


def test_the_kit_check_passes_for_customers(api, race):
    assert_idempotent(api, "customers", customer_body, race=race)


def test_the_kit_check_passes_for_interactions(api, make_customer, race):
    customer = make_customer()
    assert_idempotent(api, f"customers/{customer.id}/interactions",
                      {"kind": "core.note", "channel": "phone", "summary": "Called back"}, race=race)



def test_erasing_a_customer_forgets_the_stored_answers_that_show_them(api, runtime):
    body = {"given_name": "ژینوس", "family_name": "Farahmand", "emails": ["zhinoos@example.com"],
            "phones": ["09121234567"]}
    created = api.post("customers", json=body, headers=keyed("create")).json
    api.post(f"customers/{created['id']}/interactions", json={"kind": "core.note", "channel": "phone"},
             headers=keyed("note"))
    api.post("customers", json=customer_body(), headers=keyed("someone-else"))

    assert api.post(f"customers/{created['id']}/erase").status_code == 200
    kept = _keys(runtime)
    assert [k.idem_key for k in kept] == ["someone-else"]
    for text in ("ژینوس", "Farahmand", "zhinoos", "+989121234567"):
        assert all(text.encode() not in (k.body or b"") for k in kept)


def test_an_erasure_sent_with_a_key_is_replayed(api, make_customer, runtime):
    customer = make_customer(emails=["gone@example.com"])
    first = api.post(f"customers/{customer.id}/erase", headers=keyed("erase"))
    again = api.post(f"customers/{customer.id}/erase", headers=keyed("erase"))
    assert first.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert b"gone@example.com" not in again.get_data()


def test_a_request_killed_between_its_commit_and_storing_its_answer_never_acts_again(
        app, api, runtime, count_rows, payvand_database_url, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from .crash_process import CRASHED

    body = customer_body()
    config = {key: app.config[key] for key in ("PAYVAND_DATABASE_URL", "PAYVAND_PLUGINS", "PAYVAND_PASSWORD_PROFILE",
                                               "PAYVAND_JOBS", "SECRET_KEY")}
    config["PAYVAND_INSTANCE"] = str(tmp_path / "crashing")
    root = Path(__file__).resolve().parents[2]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    died = subprocess.run([sys.executable, str(Path(__file__).with_name("crash_process.py")), json.dumps(config),
                           api.token, "k1", json.dumps(body)],
                          env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert (died.returncode, died.stdout) == (CRASHED, "201\n"), died.stderr
    assert count_rows(Customer) == 1  # the route's work committed…
    [key] = _keys(runtime)
    assert (key.state, key.body) == ("acted", None)  # …and, in its transaction, marked the key; no answer stored

    app.config["PAYVAND_IDEMPOTENCY_WAIT_SECONDS"] = 0
    assert error_of(api.post("customers", json=body, headers=keyed("k1")))["code"] == "idempotency_in_progress"
    with runtime.sessionmaker.begin() as session:  # the dead request's lease runs out
        session.execute(sa.update(IdempotencyKey).values(locked_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=301)))
    retried = api.post("customers", json=body, headers=keyed("k1"))
    assert retried.status_code == 409 and error_of(retried)["code"] == "idempotency_outcome_unknown"
    assert count_rows(Customer) == 1  # taken over, it would have created the customer twice


@pytest.mark.parametrize("status", [422, 500])
def test_an_error_answered_after_the_route_committed_is_kept_and_replayed(app, api, runtime, make_customer, count_rows,
                                                                         status):
    from payvand.core.db import current_session

    customer = make_customer()
    calls = []

    def commits_then_fails():
        calls.append(1)
        session = current_session()
        session.add(Interaction(customer_id=customer.id, kind="note", channel="note", summary="written before the error"))
        session.commit()
        if status == 500:
            raise RuntimeError("fails after committing")
        return {"error": {"code": "refused_late", "message": "refused after committing"}}, status

    app.add_url_rule("/api/v1/test-commits-then-fails", "test_commits_then_fails", commits_then_fails, methods=["POST"])
    first = api.post("test-commits-then-fails", json={"a": 1}, headers=keyed("k1"))
    again = api.post("test-commits-then-fails", json={"a": 1}, headers=keyed("k1"))
    assert (first.status_code, again.status_code) == (status, status)
    assert again.headers["Idempotent-Replayed"] == "true" and again.data == first.data
    assert len(calls) == 1 and [k.state for k in _keys(runtime)] == ["done"]
    assert count_rows(Interaction, Interaction.customer_id == customer.id) == 1
