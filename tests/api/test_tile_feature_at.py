"""The feature at a point of the map (a click where the tiles carry no feature ids): a
parcel holding the point, the road segment nearest it within the tolerance, nothing (404),
a point that is not one (422), in Chinese and English; staff only. On SQLite and
PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
import shapely.geometry

from tests._campaign import CampaignEnv, campaign_fixture


@dataclass
class Mapped:
    env: CampaignEnv
    workspace: Path
    run: str  # the run's URL

    def at(self, layer: str, lon: float, lat: float, user: str = "admin", **query: Any) -> Any:
        params = {"at": f"{lon:.7f},{lat:.7f}"} | query
        return self.env.client.get(
            f"{self.run}/tiles/{layer}/features", params=params, headers=self.env.headers(user)
        )


@pytest.fixture(scope="module")
def outputs(demo_assessment: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gardencity.reports.outputs import write_outputs

    folder = tmp_path_factory.mktemp("assessed") / "out"
    write_outputs(demo_assessment, folder)
    return folder


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def mapped(
    request: pytest.FixtureRequest,
    demo_city: Path,
    outputs: Path,
    seeded_templates: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Mapped]:
    from gardencity.jobs.runs import import_outputs

    root = tmp_path_factory.mktemp(f"lookup-{request.param}")
    workspace = Path(shutil.copytree(demo_city, root / "city"))
    with campaign_fixture(request.param, seeded_templates, root, workspace=workspace) as env:
        with env.app.state.db.session() as session:
            run_id = import_outputs(session, workspace, outputs).id
        yield Mapped(env, workspace, f"/api/v1/runs/{run_id}")


def _lonlat(point: shapely.Point, crs: Any) -> tuple[float, float]:
    found = gpd.GeoSeries([point], crs=crs).to_crs(4326).iloc[0]
    return found.x, found.y


def test_a_point_inside_a_parcel_finds_the_parcel(mapped: Mapped) -> None:
    land_use = gpd.read_file(mapped.workspace / "city.gpkg", layer="land_use")
    residential = land_use[land_use["code"].str.startswith("R")]
    for _, parcel in residential.sample(5, random_state=1).iterrows():
        lon, lat = _lonlat(parcel.geometry.representative_point(), land_use.crs)
        answer = mapped.at("residential", lon, lat, "leader")  # every staff role reads the map
        assert answer.status_code == 200, answer.text
        found = answer.json()
        assert found["layer"] == "residential"
        assert found["properties"]["parcel_id"] == parcel["parcel_id"]
        assert found["properties"]["area_m2"] == pytest.approx(parcel.geometry.area, abs=0.1)
        # its shape, for the map to outline it
        shape = gpd.GeoSeries([shapely.geometry.shape(found["geometry"])], crs=4326)
        assert shape.to_crs(land_use.crs).iloc[0].symmetric_difference(
            parcel.geometry
        ).area == pytest.approx(0, abs=1.0)
        # the same details as a click on the parcel's own tile feature (by its id)
        by_id = mapped.env.client.get(
            f"{mapped.run}/tiles/residential/features/{found['id']}",
            headers=mapped.env.headers("admin"),
        )
        assert by_id.json() == found


def test_a_point_beside_a_road_segment_finds_the_nearest_one(mapped: Mapped) -> None:
    path = mapped.workspace / "runs" / mapped.run.rsplit("/", 1)[1] / "diagnostics.gpkg"
    roads = gpd.read_file(path, layer="unshaded_road_segments")
    segment = roads.loc[roads.length.idxmax()]
    # 3 m beside the segment's middle, where no other segment is nearer
    middle = segment.geometry.interpolate(0.5, normalized=True)
    beside = shapely.Point(middle.x + 3, middle.y)
    nearest = roads.distance(beside).sort_values()
    assert nearest.index[0] == segment.name and nearest.iloc[1] > nearest.iloc[0]
    lon, lat = _lonlat(beside, roads.crs)
    found = mapped.at("unshaded_road_segments", lon, lat, tolerance=8)
    assert found.status_code == 200, found.text
    properties = found.json()["properties"]
    assert properties["length_m"] == pytest.approx(segment["length_m"])
    assert properties["canopy_fraction"] == pytest.approx(segment["canopy_fraction"])
    assert properties.get("name") == (segment["name"] or None)
    # beyond the tolerance the segment is not there
    missed = mapped.at("unshaded_road_segments", lon, lat, tolerance=1)
    assert missed.status_code == 404, missed.text


def test_nothing_there_is_404_in_the_readers_language(mapped: Mapped) -> None:
    zh = mapped.at("residential", 100.0, 20.0)
    assert zh.status_code == 404
    assert zh.json()["error"]["message"] == (
        "“居住用地”在此处（经度 100.000000，纬度 20.000000）没有要素："
        "概览中相邻要素合并显示，放大地图可看清各个要素"
    )
    en = mapped.at("residential", 100.0, 20.0, lang="en")
    assert en.status_code == 404
    assert en.json()["error"]["message"].startswith("'Residential land' has no feature here")
    unknown = mapped.at("land_use", 100.0, 20.0)
    assert unknown.status_code == 404 and "residential" in unknown.json()["error"]["message"]


@pytest.mark.parametrize("at", ["117.2", "abc,34", "117.2,34,1", "200,30", "117,-91", "nan,nan"])
def test_a_point_that_is_not_one_is_422_with_what_to_give(mapped: Mapped, at: str) -> None:
    url = f"{mapped.run}/tiles/residential/features"
    headers = mapped.env.headers("admin")
    zh = mapped.env.client.get(url, params={"at": at}, headers=headers)
    assert zh.status_code == 422, zh.text
    assert f"位置“{at}”无效：应为“经度,纬度”" in zh.json()["error"]["message"]
    en = mapped.env.client.get(url, params={"at": at}, headers=headers | {"Accept-Language": "en"})
    assert f"Point '{at}' is not valid: give 'longitude,latitude'" in en.json()["error"]["message"]


def test_a_tolerance_out_of_range_or_no_point_is_422(mapped: Mapped) -> None:
    far = mapped.at("unshaded_road_segments", 117.0, 34.0, tolerance=10_000)
    assert far.status_code == 422 and "500" in far.json()["error"]["message"]
    bare = mapped.env.client.get(
        f"{mapped.run}/tiles/residential/features", headers=mapped.env.headers("admin")
    )
    assert bare.status_code == 422 and "at" in bare.json()["error"]["message"]


def test_residents_and_strangers_are_refused(mapped: Mapped) -> None:
    assert mapped.at("residential", 117.0, 34.0, "resident").status_code == 403
    anonymous = mapped.env.client.get(
        f"{mapped.run}/tiles/residential/features", params={"at": "117,34"}
    )
    assert anonymous.status_code == 401


def test_a_runs_tiles_ask_the_database_for_the_run_once(mapped: Mapped) -> None:
    from sqlalchemy import event

    from gardencity.jobs.runs import run_dir
    from gardencity.jobs.tiles import open_tiles

    run_id = int(mapped.run.rsplit("/", 1)[1])
    archive = open_tiles(run_dir(mapped.workspace, run_id), "residential")
    z = archive.describe()["minzoom"] + 4
    mapped.env.app.state.run_tile_folders.clear()  # as on a server just started
    engine = mapped.env.app.state.db.engine
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    headers = mapped.env.headers("leader")
    mapped.env.client.get("/api/v1/auth/me", headers=headers)  # the token known
    event.listen(engine, "before_cursor_execute", seen)
    try:
        answers = [
            mapped.env.client.get(f"{mapped.run}/tiles/residential/{z}/{x}/0.pbf", headers=headers)
            for x in range(6)
        ]
        # a run that is not there is asked for each time (it may be made later)
        missing = [
            mapped.env.client.get("/api/v1/runs/999/tiles/residential/1/0/0.pbf", headers=headers)
            for _ in range(2)
        ]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert {a.status_code for a in answers} <= {200, 204}
    assert [m.status_code for m in missing] == [404, 404]
    asked = [s for s in statements if "assessment_runs" in s]
    assert len(asked) == 3, asked  # the run once, the missing one twice
    # the same rules as before: a resident is refused, whether the run is known or not
    refused = mapped.env.client.get(
        f"{mapped.run}/tiles/residential/{z}/0/0.pbf", headers=mapped.env.headers("resident")
    )
    assert refused.status_code == 403
