"""API fuzzing: schemathesis generates requests from the OpenAPI schema for every operation
(as the admin, who may call them all); no request may cause a server error (5xx)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests._campaign import CampaignEnv


def test_no_server_errors(campaign: CampaignEnv) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", campaign.app)
    headers = campaign.headers("admin")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40

    for operation in operations:

        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query} -> "
                    f"{response.status_code} {response.text[:200]}"
                )

        run()
    assert not failures, "\n".join(failures[:20])
