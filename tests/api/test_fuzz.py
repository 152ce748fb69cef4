"""API fuzzing against the live server: schemathesis generates requests from the OpenAPI
schema for every operation, valid and invalid ones, and sends them as the administrator (who
may call them all) to uvicorn serving a seeded organisation, on SQLite (here) and on
PostgreSQL (test_fuzz_postgresql.py); tests/api/_fuzz.py does it.

At least 5,000 requests per backend within a time box; every response must be no server
error and no time-out, have a documented status code and content type and match its
schema, and every invalid request must be refused (e.g. ``rankings/compute?when=0.5``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests._campaign import CampaignEnv
from tests.api._fuzz import answers_every_generated_request_as_documented, live_api

pytestmark = pytest.mark.slow


# PostgreSQL's run is test_fuzz_postgresql.py: a file of its own, so that the two backends'
# runs (minutes each) go to two workers
@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_live_api_answers_every_generated_request_as_documented(
    backend: str, seeded_templates: dict[str, Any], tmp_path: Path
) -> None:
    with live_api(backend, seeded_templates, tmp_path) as api:
        answers_every_generated_request_as_documented(api)


def test_a_number_is_not_a_time(campaign: CampaignEnv) -> None:
    """``when=0.5`` was read as half a second after 1970; only ISO 8601 is a time."""
    admin = campaign.headers("admin")
    for when in ("0.5", "1714784400", "tomorrow"):
        response = campaign.client.post(f"/api/v1/rankings/compute?when={when}", headers=admin)
        assert response.status_code == 422, (when, response.text)
        assert "ISO 8601" in response.json()["error"]["details"][0]["message"]
    for when in ("2026-05-04T09:00:00+08:00", "2026-05-04T01:00:00Z", "2026-05-04"):
        response = campaign.client.post(
            "/api/v1/rankings/compute", params={"when": when}, headers=admin
        )
        assert response.status_code == 200, (when, response.text)
    unit = campaign.client.post(
        "/api/v1/units",
        json={"code": "x1", "name": "新单位", "kind": "department", "parent_id": True},
        headers=admin,
    )
    assert unit.status_code == 422  # true is not unit 1
