"""Property-based API testing with Schemathesis: requests generated from the app's own `/openapi.json`, valid
and invalid, to /ask, /weeks, /sources and /feedback never get a 5xx, and every answer has a documented
status code and matches its documented schema. Admin, streaming and OpenAI-compatible routes are left out.
(Schemathesis' pytest loader does not work with pytest 9, so each operation's strategy is run with Hypothesis.)
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from api.app import create_app
from tests.servers import serve

POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
CASES = [("POST", "/ask", POSITIVE), ("POST", "/ask", NEGATIVE), ("GET", "/weeks", POSITIVE),  # /weeks takes no input
         ("GET", "/sources", POSITIVE), ("GET", "/sources", NEGATIVE), ("POST", "/feedback", POSITIVE),
         ("POST", "/feedback", NEGATIVE)]
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(fixture_index):
    with serve(create_app(fixture_index)) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


@pytest.mark.parametrize("method,path,mode", CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES])
def test_generated_requests_get_no_server_error(api_schema, method, path, mode):
    """No generated request to the operation makes the service answer 5xx or off its documented schema."""
    operation = api_schema[path][method]
    examples = 50 if method == "POST" else 15

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(checks=CHECKS, timeout=30)

    check()
