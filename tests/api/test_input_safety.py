"""Hostile or careless input: control characters, formula injection, coordinates that are
not on Earth or not in the city, paging and date spans beyond reason. Each answer is a
clear 4xx in the route's error shape, never a 500 or a broken file."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from gardencity.campaign.models import Case
from tests._campaign import CampaignEnv


def _post(env: CampaignEnv, fmt: str = "json", **fields: Any):  # type: ignore[no-untyped-def]
    lon, lat = env.lonlat(500_400, 3_800_400)
    data = {
        "api_key": env.seed.api_key,
        "service_code": "weeds",
        "lat": str(lat),
        "long": str(lon),
    } | fields
    return env.client.post(f"/open311/v2/requests.{fmt}", data=data)


def _open311_error(response: Any, fmt: str) -> str:
    if fmt == "xml":
        error = ET.fromstring(response.content).find("error")
        assert error is not None and error.findtext("code") == str(response.status_code)
        return error.findtext("description") or ""
    [error] = response.json()
    assert error["code"] == response.status_code
    return str(error["description"])


# a password is compared byte for byte: cleaning it on change but not at login would lock
# its owner out; the policy refuses control characters instead
KEPT_EXACTLY = {"PasswordChange"}


def _subclasses(model: type) -> set[str]:
    found = set()
    for sub in model.__subclasses__():
        found |= {sub.__name__} | _subclasses(sub)
    return found


def test_every_input_model_cleans_control_characters(campaign: CampaignEnv) -> None:
    """Every JSON body the API takes is a model that strips control characters."""
    from gardencity.text import CleanInput

    bodies = {
        f"{method.upper()} {path}": op["requestBody"]["content"]["application/json"]["schema"]
        for path, operations in campaign.app.openapi()["paths"].items()
        for method, op in operations.items()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    }
    assert len(bodies) >= 10
    names = {
        where: ref.rsplit("/", 1)[1]
        for where, schema in bodies.items()
        for ref in [schema.get("$ref")] + [s.get("$ref") for s in schema.get("anyOf", [])]
        if ref
    }
    assert set(names) == set(bodies)
    cleaning = _subclasses(CleanInput) | KEPT_EXACTLY
    assert {where: name for where, name in names.items() if name not in cleaning} == {}


def test_control_characters_are_stripped_and_xml_stays_valid(campaign: CampaignEnv) -> None:
    env = campaign
    created = _post(env, description="第一行\x0b第二行\x00\x07\x1b完")
    assert created.status_code == 201, created.text
    reference = created.json()[0]["service_request_id"]
    case = env.file("admin", title="标题\x0c续\x08", description="a\x1fb")
    assert (case["title"], case["description"]) == ("标题\n续", "ab")
    [one] = env.client.get(f"/open311/v2/requests/{reference}.json").json()
    assert one["description"] == "第一行\n第二行完"
    # a control character stored by an older version still leaves requests.xml valid
    with env.app.state.db.session() as session:
        session.execute(
            update(Case).where(Case.reference == reference).values(description="x\x0by")
        )
        session.commit()
    env.app.state.public_cache.clear()
    root = ET.fromstring(env.client.get("/open311/v2/requests.xml").content)
    assert "xy" in [r.findtext("description") for r in root]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_neutralise_formulas_and_survive_control_characters(
    campaign: CampaignEnv, fmt: str
) -> None:
    env = campaign
    titles = ['=HYPERLINK("http://evil.example","点我")', "+1+2", "-3 棵树", "@SUM(A1)", "正常"]
    ids = [env.file("admin", title=title)["id"] for title in titles]
    with env.app.state.db.session() as session:  # as an older version may have stored it
        session.execute(update(Case).where(Case.id == ids[-1]).values(title="\tTAB\x07\x0b"))
        session.commit()
    response = env.client.get(f"/api/v1/exports/cases.{fmt}", headers=env.headers("admin"))
    assert response.status_code == 200, response.text
    expected = [*titles[:-1], "\tTAB"]
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        for title in expected:
            assert f"'{title}" in text.replace('""', '"')
        assert "\x07" not in text and "\x0b" not in text
        return
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header = int(sheet.freeze_panes[1:]) - 1  # the office layout: a title row above
    column = [c.value for c in sheet[header]].index("标题") + 1
    rows = range(header + 1, header + 6)
    cells = {sheet.cell(row, column).value: sheet.cell(row, column) for row in rows}
    assert set(cells) == set(expected)
    for cell in cells.values():
        assert cell.data_type == "s" and cell.quotePrefix  # text, never a formula


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"lat": "999"}, "lat"),
        ({"lat": "nan"}, "lat"),
        ({"long": "inf"}, "long"),
        ({"long": "-Infinity", "lat": "NaN"}, "long"),
        ({"lat": ""}, "lat 和 long"),
        ({"lat": "north"}, "lat 和 long"),
    ],
)
def test_open311_refuses_impossible_coordinates(
    campaign: CampaignEnv, fmt: str, fields: dict[str, str], says: str
) -> None:
    response = _post(campaign, fmt, **fields)
    assert response.status_code == 400
    assert says in _open311_error(response, fmt)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("page=10000000000000000000000", "page must be between"),
        ("page=0", "page must be between"),
        ("page_size=1001", "page_size must be between"),
        ("page=abc", "whole number"),
        ("start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-06-01T00:00:00%2B08:00", "90 days"),
        ("start_date=2026-06-01T00:00:00%2B08:00&end_date=2026-01-01T00:00:00%2B08:00", "before"),
    ],
)
def test_open311_list_refuses_unreasonable_queries(
    campaign: CampaignEnv, query: str, says: str
) -> None:
    for fmt in ("json", "xml"):
        english = {"Accept-Language": "en"}
        response = campaign.client.get(f"/open311/v2/requests.{fmt}?{query}", headers=english)
        assert response.status_code == 400, response.text
        assert says in _open311_error(response, fmt)


def test_open311_keywords_and_one_sided_date_spans(campaign: CampaignEnv) -> None:
    env = campaign
    services = env.client.get("/open311/v2/services.json").json()
    assert all(isinstance(s["keywords"], str) and "," in s["keywords"] for s in services)
    xml = ET.fromstring(env.client.get("/open311/v2/services.xml").content)
    assert xml.findtext("service/keywords") == services[0]["keywords"]
    assert _post(env).status_code == 201  # filed at START (2026-05-04)
    get = env.client.get
    since = get("/open311/v2/requests.json?start_date=2026-05-01T00:00:00%2B08:00").json()
    assert len(since) == 1
    # one date alone means 90 days from (or up to) it
    assert get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00%2B08:00").json() == []
    assert len(get("/open311/v2/requests.json?end_date=2026-06-01T00:00:00%2B08:00").json()) == 1
    assert get("/open311/v2/requests.json?end_date=2026-09-01T00:00:00%2B08:00").json() == []


def test_reports_outside_the_city_are_refused(campaign: CampaignEnv) -> None:
    env = campaign
    far = _post(env, "xml", lat="39.9042", long="116.4074")  # Beijing
    assert far.status_code == 400
    message = _open311_error(far, "xml")
    assert "位置不在本市范围内" in message and "outside the city" not in message
    lon, lat = env.lonlat(500_400, 3_800_400)
    public = env.client.post(
        "/api/v1/public/cases",
        data={"category": "weeds", "lon": lon + 1, "lat": lat},
        headers={"Accept-Language": "en"},
    )
    assert public.status_code == 422 and "outside the city" in public.json()["error"]["message"]
    staff = env.client.post(
        "/api/v1/cases",
        json={"category": "weeds", "lon": lon, "lat": lat + 0.5},
        headers=env.headers("admin"),
    )
    assert staff.status_code == 422
    # within the margin (500 m by default) beyond the edge: accepted
    near_lon, near_lat = env.lonlat(499_700, 3_800_400)  # 300 m west of the city
    assert _post(env, lat=str(near_lat), long=str(near_lon)).status_code == 201
    beyond_lon, beyond_lat = env.lonlat(499_300, 3_800_400)  # 700 m west
    assert _post(env, lat=str(beyond_lat), long=str(beyond_lon)).status_code == 400
