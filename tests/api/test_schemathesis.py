"""Property-based tests of the whole API from its own OpenAPI document (schemathesis, in-process).

Every operation, the plugin's included, gets a bounded number of generated requests as a
superuser (examples, coverage and fuzzing phases; at most 15 fuzzed cases per operation,
derandomized); no response may be a 5xx, every response must match the document (a
documented status code, the documented content type and headers, a body that validates
against the documented schema), and data the document calls invalid must be refused.

Operations answering `application/pdf` are left out of every generated run (`produces_pdf`):
each case would render a document with font shaping; each is checked once, directly, by
`tests/sales/test_documents_openapi.py::test_each_pdf_operation_conforms_to_the_openapi_document`.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)


def _negates_our_token(case) -> bool:
    """True when a negative case's mutations include the Authorization header.

    The test always sends a valid token, which undoes that mutation; what is left may be a
    query-level `additionalProperties` negation that schemathesis itself exempts when alone,
    so such a case would be reported as "accepted" although the request sent was valid.
    """
    data = case.meta.phase.data if case.meta is not None else None
    if data is None:
        return False
    if str(getattr(data, "parameter", "") or "").lower() == "authorization":
        return True
    for mutation in getattr(data, "mutations", ()):
        if getattr(mutation.parameter_location, "value", "") != "header":
            continue
        mentioned = " ".join(str(x) for x in (mutation.parameter, mutation.path, mutation.original_value, mutation.new_value))
        if "authorization" in mentioned.lower():
            return True
    return False


def negative_data_rejection_with_our_token(ctx, response, case):
    """`negative_data_rejection`, except for cases whose negation our Authorization header undoes.

    413 counts as a rejection: a generated body over the request size limit is refused before
    its fields are read (documented on every operation with a body).
    """
    if _negates_our_token(case) or response.status_code == 413:
        return None
    return negative_data_rejection(ctx, response, case)


def answers_pdf(operation) -> bool:
    """True for an operation with a response in `application/pdf`."""
    responses = operation.definition.raw.get("responses") or {}
    return any("application/pdf" in ((response or {}).get("content") or {}) for response in responses.values())


def produces_pdf(ctx) -> bool:
    """The schemathesis filter leaving the PDF operations out of generated runs."""
    return answers_pdf(ctx.operation)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection_with_our_token,
]

SEEDED = 6


@pytest.fixture
def api_schema(app, api, make_customer, make_interaction):
    """The app's OpenAPI document loaded by schemathesis, over a database with some data.

    Valid generated ids are folded onto seeded rows, so requests reach past the 404 into the
    routes' real work (merges, erasure, stale writes, ...): the first SEEDED ids for most
    operations, the next SEEDED for DELETE, so deletions do not starve the operations after it.
    Out-of-range ids (negative tests of the coverage phase) stay as generated: 404s.
    """
    for n in range(2 * SEEDED):
        customer = make_customer(emails=[f"c{n}@example.com"], phones=[f"0912000{n:04d}"], tags=["seed"],
                                 consents=[{"channel": "sms", "granted": n % 2 == 0}])
        make_interaction(customer.id, kind="apitest.badge")
        make_interaction(customer.id, kind="core.call", value="12.5", currency="IRR")
    api.post(f"customers/{SEEDED - 1}/merge", json={"source_id": SEEDED})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    @schema.hook
    def map_path_parameters(context, path_parameters):
        if not isinstance(path_parameters, dict):
            return path_parameters
        offset = SEEDED if context.operation.method.upper() == "DELETE" else 0
        return {k: offset + v % SEEDED + 1 if isinstance(v, int) and not isinstance(v, bool) and 1 <= v < 2**63 else v
                for k, v in path_parameters.items()}

    return schema


schema = schemathesis.pytest.from_fixture("api_schema").exclude(func=produces_pdf)


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, api):
    case.call_and_validate(headers={"Authorization": f"Bearer {api.token}"}, checks=CHECKS)
