"""A property-based run of the API's OpenAPI schema (schemathesis, on hypothesis): requests
generated from the schema, valid and not, never make the server fail (no 5xx), and every
error is JSON {"error", "detail"}. Bounded: 30 cases per operation, derandomised.

schemathesis's own pytest plugin fails on this pytest (``Function`` has no ``_nodeid``),
so each operation's strategy runs under hypothesis's ``given`` here."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

# /api/index adds folders named in the request: generated paths could name "/", so it is
# tested by hand (test_errors) and left out here.
SKIPPED = {"/api/index"}


def test_no_generated_request_makes_the_server_fail(served):
    schema = schemathesis.openapi.from_url(served.url + "/api/openapi.json", timeout=60)
    headers = {"Authorization": f"Bearer {served.token}"}
    tried = []
    for found in schema.get_all_operations():
        operation = found.ok()
        if operation.path in SKIPPED:
            continue
        tried.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def never_fails(case):
            response = case.call(headers=headers, timeout=60)
            assert response.status_code < 500, (case.method, case.path, response.text[:500])
            if response.status_code >= 400:
                assert set(response.json()) == {"error", "detail"}, response.text[:500]

        never_fails()
    assert len(tried) == 10, tried
