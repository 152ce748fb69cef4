"""Mixed reads and writes against a running campaign server (used by benchmarks/campaign_load.py).

Environment: GC_TOKEN (an admin API token), GC_CASES (comma-separated case ids),
GC_LON / GC_LAT (a point inside the city), GC_UNIT (a unit id to dispatch to).
"""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, between, task

TOKEN = os.environ["GC_TOKEN"]
CASES = [int(c) for c in os.environ["GC_CASES"].split(",")]
LON, LAT = float(os.environ["GC_LON"]), float(os.environ["GC_LAT"])
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


class CampaignUser(FastHttpUser):
    wait_time = between(0.0, 0.05)

    @task(5)
    def list_cases(self) -> None:
        self.client.get("/api/v1/cases?per_page=20", headers=HEADERS, name="GET /cases")

    @task(4)
    def read_case(self) -> None:
        self.client.get(
            f"/api/v1/cases/{random.choice(CASES)}", headers=HEADERS, name="GET /cases/{id}"
        )

    @task(1)
    def open311_list(self) -> None:
        self.client.get("/open311/v2/requests.json?page_size=50", name="GET open311 requests")

    @task(1)
    def public_map(self) -> None:
        self.client.get("/api/v1/public/cases.geojson?limit=200", name="GET public map")

    @task(2)
    def file_case(self) -> None:
        body = {
            "category": random.choice(["weeds", "bare_soil", "damaged_facility"]),
            "lon": LON + random.uniform(-0.005, 0.005),
            "lat": LAT + random.uniform(-0.005, 0.005),
            "description": "压测",
        }
        self.client.post("/api/v1/cases", json=body, headers=HEADERS, name="POST /cases")

    @task(2)
    def comment(self) -> None:
        case = random.choice(CASES)
        current = self.client.get(f"/api/v1/cases/{case}", headers=HEADERS, name="GET /cases/{id}")
        version = current.json()["version"]
        with self.client.post(
            f"/api/v1/cases/{case}/actions/comment",
            json={"version": version, "reason": "督办"},
            headers=HEADERS,
            name="POST comment",
            catch_response=True,
        ) as response:
            if response.status_code == 409:  # someone commented first: optimistic locking
                response.success()
