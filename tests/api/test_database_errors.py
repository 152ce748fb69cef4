"""A database server that drops its connections (restart, failover) costs one request a 503
"retry", never a 500, and the server recovers by itself."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests._campaign import _admin_url, campaign_fixture


def test_a_dropped_database_connection_is_a_503_and_the_retry_succeeds(
    seeded_templates: dict, tmp_path: Path
) -> None:
    if seeded_templates["pg"] is None:
        pytest.skip("needs the PostgreSQL test server that `make test` starts")
    with campaign_fixture("postgresql", seeded_templates, tmp_path) as campaign:
        admin = campaign.headers("admin")
        assert campaign.client.get("/api/v1/cases", headers=admin).status_code == 200
        database = campaign.url.rsplit("/", 1)[1]
        with psycopg.connect(
            _admin_url(seeded_templates["pg"], "postgres"), autocommit=True
        ) as conn:
            dropped = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            ).fetchone()
        assert dropped is not None and dropped[0] >= 1

        failed = campaign.client.get("/api/v1/cases", headers=admin)
        assert failed.status_code == 503
        assert failed.json()["error"]["code"] == "database_unavailable"
        assert "请重试" in failed.json()["error"]["message"]
        assert failed.headers["retry-after"] == "1"

        retried = campaign.client.get("/api/v1/cases", headers=admin)
        assert retried.status_code == 200, retried.text
