"""schemathesis against /openapi.json: whatever it sends, the API never answers 5xx.

The pytest plugin's fixture loader does not combine with our parametrised `engine`
fixture, so each operation's strategy is driven with Hypothesis directly.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES_PER_OPERATION = 15


def test_the_api_never_fails_with_a_server_error(app, people, raised, token_for):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = token_for(people.council.iro)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        check()
    assert failures == []
