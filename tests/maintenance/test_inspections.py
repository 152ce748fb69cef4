"""Maintenance inspections over the API: failed items become cases with photos, scores per
site, unit and district follow from the check-list's weights, bad input is refused whole."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests._campaign import CampaignEnv
from tests._images import MARKERS, phone_photo, plain_jpeg

JPEG = plain_jpeg()


def _site(env: CampaignEnv, code: str, site_type: str, unit: str, x: float, y: float) -> int:
    lon, lat = env.lonlat(x, y)
    body = {
        "code": code,
        "name": f"{code}绿地",
        "site_type": site_type,
        "unit_id": env.unit(unit),
        "lon": lon,
        "lat": lat,
    }
    response = env.client.post("/api/v1/maintenance/sites", json=body, headers=env.headers("admin"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _results(
    env: CampaignEnv, site_type: str, failed: dict[str, bool], na: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    lists = env.client.get("/api/v1/maintenance/checklists", headers=env.headers("admin")).json()
    items = next(t for t in lists["site_types"] if t["code"] == site_type)["items"]
    out = []
    for item in items:
        result = "fail" if item["code"] in failed else "na" if item["code"] in na else "pass"
        row: dict[str, Any] = {"code": item["code"], "result": result}
        if item["code"] in failed:
            row["file_case"] = failed[item["code"]]
        out.append(row)
    return out


def inspect(
    env: CampaignEnv,
    user: str,
    site_id: int,
    items: list[dict[str, Any]],
    photos: list[tuple[str, bytes, str]] | None = None,
    **extra: Any,
) -> Any:
    failed = [i["code"] for i in items if i["result"] == "fail"]
    sent = photos if photos is not None else [(code, JPEG, "image/jpeg") for code in failed]
    return env.client.post(
        f"/api/v1/maintenance/sites/{site_id}/inspections",
        data={
            "inspection": json.dumps({"items": items} | extra),
            "photo_item": [p[0] for p in sent],
        },
        files=[("photos", (f"{p[0]}.jpg", p[1], p[2])) for p in sent],
        headers=env.headers(user),
    )


def test_a_park_with_two_failed_items_files_two_cases_with_photos(campaign: CampaignEnv) -> None:
    park = _site(campaign, "GL-P01", "park", "d1park", 501_000, 3_801_000)
    items = _results(
        campaign, "park", {"no_dead_trees": True, "weeds_controlled": True}, na=("water_clean",)
    )
    camera = phone_photo("JPEG")  # GPS, make, model, XMP, comment: none may be kept
    photos = [("no_dead_trees", camera, "image/jpeg"), ("weeds_controlled", JPEG, "image/jpeg")]
    response = inspect(campaign, "inspector", park, items, photos, site_type="park")
    assert response.status_code == 201, response.text
    done = response.json()
    # weights: 100 in all, water (5) not applicable → 95 checked; failed 15 + 10 → 70 / 95
    assert done["score"] == pytest.approx(100 * 70 / 95)
    assert done["grade_label"] == "三级养护"
    assert len(done["case_ids"]) == 2
    admin = campaign.headers("admin")
    cases = [
        campaign.client.get(f"/api/v1/cases/{i}", headers=admin).json() for i in done["case_ids"]
    ]
    assert sorted(c["category"] for c in cases) == ["dead_or_missing_tree", "weeds"]
    for case in cases:
        assert case["source"] == "maintenance_inspection"
        assert case["unit_id"] == campaign.unit("d1park")
        assert case["status"] == "filed"  # an inspector files; the coordinator dispatches
        [photo] = case["attachments"]
        assert photo["media_type"] == "image/jpeg" and photo["role"] == "before"
        stored = campaign.client.get(f"/api/v1/attachments/{photo['id']}", headers=admin)
        assert stored.status_code == 200 and stored.content[:2] == b"\xff\xd8"
        assert not any(marker in stored.content for marker in MARKERS)
    # a coordinator may dispatch: the case goes to the park's office at once
    again = inspect(campaign, "coord1", park, _results(campaign, "park", {"clean": True}))
    assert again.status_code == 201, again.text
    [case_id] = again.json()["case_ids"]
    case = campaign.client.get(f"/api/v1/cases/{case_id}", headers=admin).json()
    assert case["status"] == "dispatched" and case["unit_id"] == campaign.unit("d1park")


def test_scores_per_site_unit_and_district_follow_the_weights(campaign: CampaignEnv) -> None:
    park = _site(campaign, "GL-P01", "park", "d1park", 501_000, 3_801_000)
    road = _site(campaign, "GL-R01", "road_green", "d1park", 501_050, 3_801_000)
    compound = _site(campaign, "GL-C01", "compound", "d1s1", 500_300, 3_800_300)
    checks = [
        # park: 70 / 95 (water not applicable), then every item passed: 100
        (park, "park", {"no_dead_trees": False, "weeds_controlled": False}, ("water_clean",)),
        (park, "park", {}, ()),
        (road, "road_green", {"no_missing_trees": False}, ()),  # 100 − 20 = 80
        (compound, "compound", {"clean": False}, ()),  # 100 − 15 = 85
    ]
    for site, kind, failed, na in checks:
        response = inspect(campaign, "inspector", site, _results(campaign, kind, failed, na))
        assert response.status_code == 201, response.text
        assert response.json()["case_ids"] == []  # file_case false: photos kept, no case
    headers = campaign.headers("admin")
    sites = {
        s["code"]: s
        for s in campaign.client.get("/api/v1/maintenance/sites", headers=headers).json()
    }
    assert sites["GL-P01"]["latest_score"] == pytest.approx(100.0)  # its latest inspection
    assert sites["GL-R01"]["latest_grade"] == "二级养护"
    assert sites["GL-P01"]["district_id"] == campaign.unit("d1")
    units = campaign.client.get(
        "/api/v1/maintenance/scores?by=unit&period=month&periods=1", headers=headers
    ).json()
    by_unit = {r["unit_id"]: r["score"] for r in units}
    park_mean = (100 * 70 / 95 + 100) / 2  # each site counts once: its mean first
    assert by_unit[campaign.unit("d1park")] == pytest.approx((park_mean + 80) / 2)
    assert by_unit[campaign.unit("d1s1")] == pytest.approx(85.0)
    assert campaign.unit("d2park") not in by_unit  # never inspected: unknown, not 0
    districts = campaign.client.get(
        "/api/v1/maintenance/scores?by=district&periods=1", headers=headers
    ).json()
    assert {r["unit_id"]: r["score"] for r in districts} == {
        campaign.unit("d1"): pytest.approx((park_mean + 80 + 85) / 3)
    }
    worst = campaign.client.get(
        "/api/v1/maintenance/worst-sites", headers=campaign.headers("leader")
    ).json()
    assert [w["code"] for w in worst] == ["GL-R01", "GL-C01"]  # the park's latest is 100
    assert worst[0]["failed_items"][0]["name"] == "无死树缺株"


def test_bad_inspections_are_refused_listing_every_problem(campaign: CampaignEnv) -> None:
    road = _site(campaign, "GL-R01", "road_green", "d1park", 501_050, 3_801_000)
    items = _results(campaign, "road_green", {"no_missing_trees": True, "clean": True})
    items.append({"code": "water_clean", "result": "pass"})  # a park's item
    photos = [("no_missing_trees", b"%PDF-1.4 not a photo", "application/pdf")]  # clean: none
    response = inspect(campaign, "inspector", road, items, photos, site_type="park")
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    for part in (
        "道路绿地",
        "公园检查表",
        "water_clean",
        "不是图片",
        "绿地整洁",
        "需要一张现场照片",
    ):
        assert part in message, message
    english = campaign.client.post(
        f"/api/v1/maintenance/sites/{road}/inspections?lang=en",
        data={
            "inspection": json.dumps({"items": items, "site_type": "park"}),
            "photo_item": ["no_missing_trees"],
        },
        files=[("photos", ("x.pdf", b"%PDF-1.4 x", "application/pdf"))],
        headers=campaign.headers("inspector") | {"Accept-Language": "en"},
    ).json()["error"]["message"]
    assert "Road green" in english and "not an image" in english and "道路" not in english
    listed = campaign.client.get(
        "/api/v1/maintenance/sites", headers=campaign.headers("admin")
    ).json()
    assert listed[0]["latest_score"] is None  # nothing was stored
    cases = campaign.client.get("/api/v1/cases", headers=campaign.headers("admin")).json()
    assert cases["total"] == 0


def test_sites_are_imported_all_or_none_listing_every_problem(campaign: CampaignEnv) -> None:
    lon, lat = campaign.lonlat(501_000, 3_801_000)

    def feature(**props: Any) -> dict[str, Any]:
        base = {"code": "GL-P01", "name": "滨河公园", "site_type": "park", "unit_code": "d1park"}
        point = {"type": "Point", "coordinates": [lon, lat]}
        return {"type": "Feature", "geometry": point, "properties": base | props}

    bad = [
        feature(),
        feature(code="GL-P02", site_type="river", unit_code="nowhere"),
        feature(code="GL-P01"),  # the first one's code again
        feature(code="GL P03"),  # a space: not a code
    ]
    admin = campaign.headers("admin")
    response = campaign.client.post(
        "/api/v1/maintenance/sites/import",
        json={"type": "FeatureCollection", "features": bad},
        headers=admin,
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    for part in (
        "第 2 个要素：类型“river”未知",
        "nowhere",
        "第 3 个要素：编号“GL-P01”",
        "第 4 个要素",
    ):
        assert part in message, message
    assert campaign.client.get("/api/v1/maintenance/sites", headers=admin).json() == []
    in_chinese = {"编号": "GL-R01", "名称": "中山路", "类型": "道路绿地", "责任单位编号": "d1park"}
    headed = {"type": "Feature", "geometry": feature()["geometry"], "properties": in_chinese}
    good = [feature(), feature(code="GL-G01", site_type="Greenway", unit_code="d2park"), headed]
    done = campaign.client.post(
        "/api/v1/maintenance/sites/import",
        json={"type": "FeatureCollection", "features": good},
        headers=admin,
    )
    assert done.status_code == 201, done.text
    sites = {
        s["code"]: s for s in campaign.client.get("/api/v1/maintenance/sites", headers=admin).json()
    }
    assert sites["GL-G01"]["district_id"] == campaign.unit("d2")  # from its unit, not its place
    assert sites["GL-R01"]["site_type"] == "road_green"  # a table headed in Chinese
    assert sites["GL-G01"]["site_type_label"] == "绿道"


def test_malformed_sites_are_refused_in_words(campaign: CampaignEnv) -> None:
    admin = campaign.headers("admin")
    odd = {"type": "Point", "coordinates": [[1.5e131, {"a": True}]]}
    base = {"code": "X1", "name": "{名称}", "site_type": "park", "unit_code": "d1park"}
    single = campaign.client.post(
        "/api/v1/maintenance/sites", json=base | {"geometry": odd}, headers=admin
    )
    assert single.status_code == 422 and "几何图形无效" in single.json()["error"]["message"]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [200.0, 95.0]},
            "properties": base,
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [1, 2]},
            "properties": {"{x}": "}{", "code": "{bad code}"},
        },
    ]
    response = campaign.client.post(
        "/api/v1/maintenance/sites/import",
        json={"type": "FeatureCollection", "features": features},
        headers=admin,
    )
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert (
        "第 1 个要素：几何图形应为 WGS 84 经纬度" in message
        and "第 2 个要素：要素格式有误" in message
    )


def test_an_inspection_sent_again_with_its_key_is_stored_once(campaign: CampaignEnv) -> None:
    """The phone's queue sends an inspection kept without signal; the answer is lost and it
    sends it again: one inspection, its cases and photos once, stamped when it was filled."""
    env = campaign
    park = _site(env, "GL-P01", "park", "d1park", 501_000, 3_801_000)
    items = _results(env, "park", {"no_dead_trees": True, "weeds_controlled": False})
    key = "5b0e2c8e-1f0a-4c55-9d55-1f3c9b1d2a77"
    filled = "2026-05-04T00:40:00+00:00"  # 08:40, twenty minutes before it reached the server
    headers = env.headers("inspector") | {"Idempotency-Key": key}

    def send(**extra: Any) -> Any:
        failed = [i["code"] for i in items if i["result"] == "fail"]
        return env.client.post(
            f"/api/v1/maintenance/sites/{park}/inspections",
            data={
                "inspection": json.dumps({"items": items, "inspected_at": filled} | extra),
                "photo_item": failed,
            },
            files=[("photos", (f"{c}.jpg", JPEG, "image/jpeg")) for c in failed],
            headers=headers,
        )

    first = send()
    assert first.status_code == 201, first.text
    again = send()
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(first.json()["case_ids"]) == 1
    assert first.json()["inspected_at"].startswith("2026-05-04T00:40:00")
    admin = env.headers("admin")
    sites = env.client.get("/api/v1/maintenance/sites", headers=admin).json()
    cases = env.client.get("/api/v1/cases", params={"limit": 100}, headers=admin).json()
    listed = cases["items"] if isinstance(cases, dict) else cases
    assert sum(c.get("source") == "maintenance_inspection" for c in listed) == 1
    assert next(s for s in sites if s["id"] == park)["latest_score"] is not None
    # the same key with another inspection: refused, saying why
    other = send(note="另一次检查")
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["error"]["message"]
    # a phone whose clock runs an hour ahead
    headers["Idempotency-Key"] = "0d7c7a36-7f44-4a8e-8c1e-2b3c4d5e6f70"
    ahead = send(inspected_at="2026-05-04T02:30:00+00:00")
    assert ahead.status_code == 422 and "时钟" in ahead.json()["error"]["message"]
