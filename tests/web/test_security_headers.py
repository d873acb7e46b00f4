"""Security headers: CSP on every page, nosniff and no-store on the API, Retry-After on 429,
and the Secure flag on cookies when `PAYVAND_SECURE_COOKIES` is on."""

from __future__ import annotations

import pytest

from payvand.sdk.testing import WebClient, assert_security_headers, inline_code

PASSWORD = "correct horse battery staple"


def test_every_core_page_and_api_route_carries_the_security_headers(walk_pages, web, runtime, make_customer,
                                                                     make_interaction):
    import io

    from payvand.core.audit import SYSTEM
    from payvand.core.services.users import create_role

    customer = make_customer(given_name="Sara")
    interaction = make_interaction(customer.id)
    with runtime.sessionmaker.begin() as session:
        role_id = create_role(session, SYSTEM, "Walkers", ["core.customer.view"]).id
    upload = web.post("/import", {"file": (io.BytesIO(b"name,email\nSara,sara@example.com\n"), "c.csv")},
                      content_type="multipart/form-data")
    job_id = int(upload.headers["Location"].split("/")[2])
    walked = walk_pages(values={"customer_id": customer.id, "interaction_id": interaction.id, "user_id": web.user_id,
                                "role_id": role_id, "job_id": job_id})
    paths = {path for path, _ in walked}
    assert {"/", "/customers", f"/customers/{customer.id}", "/admin/settings", "/api/v1/customers",
            f"/admin/users/{web.user_id}", f"/admin/roles/{role_id}", f"/import/{job_id}/mapping"} <= paths
    assert len(walked) >= 30 and [w for w in walked if w[1] not in (200, 302, 404)] == []


def test_pages_forbid_inline_code_and_framing(web):
    response = web.get("/customers")
    policy = response.headers["Content-Security-Policy"]
    for directive in ("script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "form-action 'self'", "frame-ancestors 'none'"):
        assert directive in policy
    assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("style-src-attr")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false' in response.text


def test_the_login_and_error_pages_carry_the_policy_too(client):
    for response in (client.get("/login"), client.get("/no-such-page")):
        assert_security_headers(response)
        assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("path, status", [("/api/v1/customers", 401), ("/api/v1/openapi.json", 200)])
def test_api_responses_are_nosniff_and_never_stored(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_api_errors_and_successes_are_nosniff_and_never_stored(api):
    for response in (api.get("customers"), api.get("customers/999999"), api.post("customers", json={"kind": "?"})):
        assert_security_headers(response)


def test_a_refused_login_says_when_to_retry(app, make_user):
    make_user(email="victim@example.com", password=PASSWORD)
    attacker = WebClient(app.test_client(), None)
    for _ in range(5):
        assert attacker.login("victim@example.com", "guess").status_code == 200
    blocked = attacker.login("victim@example.com", PASSWORD)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60 + 1  # the window, rounded up
    assert_security_headers(blocked)


def test_inline_code_finds_what_the_policy_blocks():
    page = ('<script>alert(1)</script><script src="/static/x.js"></script><style>p{}</style>'
            '<button onclick="go()">x</button><a href="javascript:go()">y</a><input hx-on:keydown="go()">'
            '<p style="color: red">ok</p>')
    assert len(inline_code(page)) == 5
    assert inline_code('<script src="/static/payvand.js" defer></script><p style="width: 5%">ok</p>') == []
