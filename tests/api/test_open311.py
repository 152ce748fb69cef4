"""Open311 GeoReport v2: JSON and XML against the spec's shapes, the real `georeport` client
on a live server, privacy of reporters and staff, rate limits; and the public report page."""

from __future__ import annotations

import io
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from georeport import GeoReport
from PIL import Image

from gardencity.app import create_app
from gardencity.settings import Settings
from tests._campaign import CampaignEnv
from tests.campaign.test_workflow import JPEG

SERVICE_KEYS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
PRIVATE = ["张三丰", "zhang@example.cn", "13800138000"]


def _check_request(item: dict[str, Any]) -> None:
    assert set(item) >= REQUEST_KEYS, REQUEST_KEYS - set(item)
    assert item["status"] in {"open", "closed"}
    assert isinstance(item["lat"], float) and isinstance(item["long"], float)
    assert item["requested_datetime"].endswith("+08:00")


def _post(env: CampaignEnv, fmt: str = "json", **fields: Any):  # type: ignore[no-untyped-def]
    lon, lat = env.lonlat(500_400, 3_800_400)
    data = {
        "api_key": env.seed.api_key,
        "service_code": "dead_or_missing_tree",
        "lat": lat,
        "long": lon,
        "description": "行道树枯死",
        "first_name": "张三丰",
        "email": "zhang@example.cn",
        "phone": "13800138000",
    } | fields
    return env.client.post(f"/open311/v2/requests.{fmt}", data=data)


def test_services_in_json_and_xml(campaign: CampaignEnv) -> None:
    services = campaign.client.get("/open311/v2/services.json").json()
    assert all(set(s) >= SERVICE_KEYS for s in services)
    codes = [s["service_code"] for s in services]
    assert "dead_or_missing_tree" in codes and "indicator_gap" not in codes  # internal only
    root = ET.fromstring(campaign.client.get("/open311/v2/services.xml").content)
    assert root.tag == "services" and [s.findtext("service_code") for s in root] == codes
    definition = campaign.client.get("/open311/v2/services/weeds.json").json()
    assert definition == {"service_code": "weeds", "attributes": []}
    missing = campaign.client.get("/open311/v2/services/nope.xml")
    assert missing.status_code == 404
    assert ET.fromstring(missing.content).find("error/code").text == "404"  # type: ignore[union-attr]


def test_post_then_read_back_everywhere(campaign: CampaignEnv) -> None:
    created = _post(campaign)
    assert created.status_code == 201, created.text
    [receipt] = created.json()
    assert set(receipt) == {"service_request_id", "token", "service_notice", "account_id"}
    reference = receipt["service_request_id"]
    staff = campaign.client.get(f"/api/v1/cases?q={reference}", headers=campaign.headers("admin"))
    [case] = staff.json()["items"]
    assert case["source"] == "resident" and case["unit_id"] is not None
    assert case["reporter_name"] == "张三丰"  # kept for staff
    [one] = campaign.client.get(f"/open311/v2/requests/{reference}.json").json()
    _check_request(one)
    assert one["status"] == "open" and one["agency_responsible"]
    token = campaign.client.get(f"/open311/v2/tokens/{receipt['token']}.json").json()
    assert token == [{"service_request_id": reference, "token": receipt["token"]}]
    xml = ET.fromstring(campaign.client.get(f"/open311/v2/requests/{reference}.xml").content)
    assert xml.tag == "service_requests" and xml.findtext("request/service_request_id") == reference
    campaign.act("coord1", case, "dispatch", reason="派遣", unit_id=campaign.unit("d1s1"))
    campaign.act("coord1", {"id": case["id"]}, "reopen", reason="x")  # refused: not closed
    listed = campaign.client.get("/open311/v2/requests.json?extensions=true").json()
    assert [u["action"] for u in listed[0]["updates"]] == ["file", "dispatch"]
    assert listed[0]["status_label"] == "已派遣"


def test_names_and_labels_follow_the_requests_language(campaign: CampaignEnv) -> None:
    """Chinese by default (as before), English on Accept-Language: en; each language cached
    on its own."""
    reference = _post(campaign).json()[0]["service_request_id"]
    staff = campaign.client.get(f"/api/v1/cases?q={reference}", headers=campaign.headers("admin"))
    [case] = staff.json()["items"]
    campaign.act("coord1", case, "dispatch", reason="派遣", unit_id=campaign.unit("d1park"))
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    for _ in range(2):  # the second answer of each language comes from the cache
        [zh] = campaign.client.get("/open311/v2/requests.json?extensions=true").json()
        [en] = campaign.client.get(
            "/open311/v2/requests.json?extensions=true", headers=english
        ).json()
        assert (zh["agency_responsible"], zh["service_name"]) == (
            "鼓楼区中心公园管理处",
            "死树缺株",
        )
        assert en["agency_responsible"] == "Gulou District Central Park Management Office"
        assert en["service_name"] == "Dead or missing tree"
        assert en["status_label"] == "Dispatched" and zh["status_label"] == "已派遣"
        assert [u["status_label"] for u in en["updates"]] == ["Reported", "Dispatched"]
    [one] = campaign.client.get(f"/open311/v2/requests/{reference}.json", headers=english).json()
    assert one["service_name"] == "Dead or missing tree"
    services = campaign.client.get("/open311/v2/services.json", headers=english).json()
    assert all(s["service_name"].isascii() for s in services)


def test_filters_and_paging(campaign: CampaignEnv) -> None:
    refs = [
        _post(campaign, service_code=code).json()[0]["service_request_id"]
        for code in ("weeds", "weeds", "bare_soil")
    ]
    get = campaign.client.get
    assert len(get("/open311/v2/requests.json?service_code=weeds").json()) == 2
    assert len(get(f"/open311/v2/requests.json?service_request_id={refs[0]},{refs[2]}").json()) == 2
    assert get("/open311/v2/requests.json?status=closed").json() == []
    assert len(get("/open311/v2/requests.json?status=open").json()) == 3
    assert get("/open311/v2/requests.json?start_date=2030-01-01T00:00:00+08:00").json() == []
    pages = [get(f"/open311/v2/requests.json?page={p}&page_size=2").json() for p in (1, 2)]
    assert [len(p) for p in pages] == [2, 1]
    assert {r["service_request_id"] for p in pages for r in p} == set(refs)
    bad = get("/open311/v2/requests.json?start_date=yesterday")
    assert bad.status_code == 400 and "ISO 8601" in bad.json()[0]["description"]


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"api_key": "wrong"}, 403, "api_key"),
        ({"service_code": "indicator_gap"}, 400, "service_code"),
        ({"lat": ""}, 400, "lat 和 long"),
    ],
)
def test_bad_posts_get_open311_errors(
    campaign: CampaignEnv, fields: dict[str, str], status: int, says: str
) -> None:
    response = _post(campaign, "xml", **fields)
    assert response.status_code == status
    error = ET.fromstring(response.content).find("error")
    assert error is not None and says in (error.findtext("description") or "")


def test_no_personal_data_or_staff_names_in_public_answers(campaign: CampaignEnv) -> None:
    reference = _post(campaign).json()[0]["service_request_id"]
    staff_names = ["鼓楼区协调员", "市督查员", "创园办管理员"]
    case = campaign.client.get(f"/api/v1/cases?q={reference}", headers=campaign.headers("admin"))
    campaign.act("coord1", case.json()["items"][0], "dispatch", unit_id=campaign.unit("d1s1"))
    bodies = [
        campaign.client.get(url).content.decode()
        for url in (
            "/open311/v2/requests.json?extensions=true",
            "/open311/v2/requests.xml?extensions=true",
            f"/open311/v2/requests/{reference}.json?extensions=true",
            f"/api/v1/public/cases/{reference}",
            "/api/v1/public/cases.geojson",
        )
    ]
    for body in bodies:
        for secret in PRIVATE + staff_names:
            assert secret not in body
    follow = campaign.client.get(f"/api/v1/public/cases/{reference}").json()
    assert [e["by"] for e in follow["timeline"]] == ["系统", "区协调员"]


def test_public_page_report_with_photo_and_follow(campaign: CampaignEnv) -> None:
    lon, lat = campaign.lonlat(501_500, 3_800_500)
    response = campaign.client.post(
        "/api/v1/public/cases",
        data={"category": "litter_in_green_space", "lon": lon, "lat": lat, "description": "垃圾"},
        files={"photo": ("p.jpg", JPEG, "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]
    followed = campaign.client.get(f"/api/v1/public/cases/{reference}").json()
    assert followed["status_label"] == "已上报" and followed["open311_status"] == "open"
    [listed] = campaign.client.get(f"/open311/v2/requests/{reference}.json").json()
    photo = campaign.client.get(listed["media_url"].replace("http://testserver", ""))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.content)).size == Image.open(io.BytesIO(JPEG)).size
    spoof = campaign.client.post(
        "/api/v1/public/cases",
        data={"category": "weeds", "lon": lon, "lat": lat},
        files={"photo": ("x.jpg", b"<html>hi</html>", "image/jpeg")},
    )
    assert spoof.status_code == 422 and spoof.json()["error"]["code"] == "invalid_request"


def test_rate_limit_on_public_writes(campaign: CampaignEnv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    settings = Settings(
        database_url=campaign.url, files_dir=tmp_path / "f", public_writes_per_minute=3
    )
    app = create_app(settings, clock=campaign.clock)
    with TestClient(app) as client:
        lon, lat = campaign.lonlat(500_400, 3_800_400)
        data = {"api_key": campaign.seed.api_key, "service_code": "weeds", "lat": lat, "long": lon}
        codes = [client.post("/open311/v2/requests.json", data=data).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        limited = client.post("/open311/v2/requests.json", data=data)
        assert int(limited.headers["Retry-After"]) > 0
        public = client.post(
            "/api/v1/public/cases", data={"category": "weeds", "lon": lon, "lat": lat}
        )
        assert public.status_code == 201  # its own bucket
    app.state.db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(env: CampaignEnv, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    app = create_app(Settings(database_url=env.url, files_dir=tmp_path / "live"), clock=env.clock)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}/open311/v2/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.db.dispose()


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_the_georeport_client_reads_a_live_server(
    campaign: CampaignEnv,
    tmp_path,
    output_format: str,  # type: ignore[no-untyped-def]
) -> None:
    references = [
        _post(campaign, service_code=c).json()[0]["service_request_id"]
        for c in ("weeds", "bare_soil")
    ]
    with live_server(campaign, tmp_path) as root:
        client = GeoReport(root_address=root, output_format=output_format)
        services = client.get_service_list()
        assert "weeds" in [s["service_code"] for s in services]
        requests = client.get_service_requests()
        assert {r["service_request_id"] for r in requests} == set(references)
        one = client.get_service_request(references[0])
        one = one[0] if isinstance(one, list) else one
        assert one["service_request_id"] == references[0]
        assert one["service_code"] == "weeds"
