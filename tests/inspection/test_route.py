"""Inspection route planner: feasible days, never worse than the given order, real networks."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.errors import DataError
from gardencity.inspection.route import (
    PlannedRoute,
    choose_showcase_sites,
    order_stops,
    plan_inspection_route,
)
from gardencity.inspection.route_outputs import (
    TABLE_HEADERS,
    route_table,
    write_route_docx,
    write_route_map,
    write_route_xlsx,
)
from gardencity.inspection.sites import candidate_sites
from gardencity.inspection.travel import travel_graph_from_roads
from gardencity.io.workspace import Workspace
from tests._office import lint_workbook


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def assert_day_adds_up(route: PlannedRoute, roads: gpd.GeoDataFrame) -> None:
    stops = route.stops
    assert stops["kind"].iloc[0] == "start" and stops["kind"].iloc[-1] == "end"
    for previous, stop in zip(
        stops.iloc[:-1].itertuples(), stops.iloc[1:].itertuples(), strict=True
    ):
        expected = _minutes(previous.depart) + stop.travel_min  # then waits (lunch, opening)
        assert abs(_minutes(stop.arrive) - expected) <= 1.01, (previous, stop)
        assert (
            abs(_minutes(stop.depart) - (_minutes(stop.arrive) + stop.wait_min + stop.visit_min))
            <= 1.01
        )
    assert _minutes(stops["depart"].iloc[-1]) <= _minutes(route.day_end)
    assert route.feasible
    total = route.travel_minutes + route.visit_minutes + route.wait_minutes
    assert route.total_minutes == pytest.approx(total, abs=0.1 * len(stops))
    # roads connect: every leg runs along road lines (its vertices lie on the roads)
    network = shapely.union_all(roads.geometry.to_numpy())
    for leg in route.legs.geometry:
        vertices = shapely.points(np.asarray(leg.coords))
        assert shapely.dwithin(vertices, network, 0.05).all()


def _demo_sites(city: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, shapely.Point]:
    inputs = AssessmentInputs(Workspace.open(city))
    sites = candidate_sites(
        green_spaces=inputs.get("green_spaces"),
        roads=inputs.get("roads"),
        land_use=inputs.get("land_use"),
        canopy=inputs.get("canopy"),
    )
    centre = inputs.get("built_up_area").geometry.iloc[0].centroid
    return sites, inputs.get("roads"), centre


def test_demo_city_day_is_feasible_and_not_worse_than_the_given_order(
    demo_city: Path, tmp_path: Path
) -> None:
    sites, roads, centre = _demo_sites(demo_city)
    assert {"park", "road", "compound", "unit"} <= set(sites["kind"])
    assert sites["score"].between(0, 100).all()
    chosen = choose_showcase_sites(sites, {"park": 3, "road": 2, "compound": 2, "unit": 1})
    shuffled = chosen.sample(frac=1.0, random_state=4)
    route = plan_inspection_route(shuffled, roads, start=centre)
    assert len(route.stops) == len(chosen) + 2 and route.dropped.empty
    assert_day_adds_up(route, roads)
    assert route.total_minutes <= route.given_order_total_minutes + 1e-6
    assert route.total_minutes < route.given_order_total_minutes  # a random order is improvable

    png = write_route_map(route, roads, tmp_path / "route.png")
    xlsx = write_route_xlsx(route, tmp_path / "route.xlsx")
    docx = write_route_docx(route, tmp_path / "route.docx", map_png=png)
    image = np.asarray(Image.open(png).convert("RGB"))
    assert image.shape[0] > 400 and len(np.unique(image.reshape(-1, 3), axis=0)) > 50
    rows = route_table(route)
    shown = [r["name"] for r in rows]
    assert shown[0] == "集合、汇报会" and shown[-1] == "返回" and "午餐" in shown
    assert [n for n in shown if n not in ("集合、汇报会", "返回", "午餐")] == route.stops["name"][
        1:-1
    ].tolist()
    sheet = load_workbook(xlsx).active
    assert [c.value for c in sheet[3]] == list(TABLE_HEADERS)
    names = [sheet.cell(row=r, column=3).value for r in range(4, 4 + len(rows))]
    assert names == shown
    assert lint_workbook(xlsx) == []
    document = Document(str(docx))
    section = document.sections[0]
    assert round(section.page_width.mm) == 297 and round(section.page_height.mm) == 210  # A4
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == list(TABLE_HEADERS)
    assert [r.cells[2].text for r in table.rows[1:]] == shown
    assert len(document.inline_shapes) == 1


def test_showcase_parks_are_chosen_by_class_size_and_quality(demo_city: Path) -> None:
    """The experts see the big 综合公园 and one park of each class, not five small pocket
    parks ranked by their canopy share; each stop is named and addressed."""
    inputs = AssessmentInputs(Workspace.open(demo_city))
    zones = inputs.get("zones")
    sites = candidate_sites(
        green_spaces=inputs.get("green_spaces"),
        roads=inputs.get("roads"),
        land_use=inputs.get("land_use"),
        canopy=inputs.get("canopy"),
        districts=zones[zones["kind"] == "district"],
    )
    parks = sites[sites["kind"] == "park"]
    chosen = choose_showcase_sites(sites, {"park": 4})
    big = chosen[chosen["class_name"] == "综合公园"]
    assert len(big) == 1 and big["size"].iloc[0] > 100_000  # a 13 ha 综合公园
    assert chosen["class_name"].nunique() == len(chosen) == 4  # one of each park class
    assert (chosen["class_name"] == "游园").sum() <= 1
    # by canopy share alone, the small pocket parks would have won
    by_share = parks.sort_values(["score", "size"], ascending=False).head(4)
    assert (by_share["size"] < 5000).sum() > (chosen["size"] < 5000).sum()
    district_names = set(zones.loc[zones["kind"] == "district", "name"])
    assert all(any(a.startswith(d) for d in district_names) for a in chosen["address"])
    assert all("路" in a for a in chosen["address"])


def test_the_day_has_a_briefing_lunch_and_time_to_park_and_walk(demo_city: Path) -> None:
    sites, roads, centre = _demo_sites(demo_city)
    chosen = choose_showcase_sites(sites, {"park": 3, "road": 2, "compound": 2})
    route = plan_inspection_route(chosen, roads, start=centre, day_start="08:30")
    stops = route.stops
    assert stops["arrive"].iloc[0] == "08:30" and stops["depart"].iloc[0] == "09:30"  # 汇报会
    lunch = stops[stops["lunch"] != ""]
    assert len(lunch) == 1 and lunch["lunch"].iloc[0] >= "11:45"
    parks = stops[stops["kind"] == "park"]
    assert (parks["access_min"] == 10).all() and (parks["visit_min"] == 50).all()
    # a coach in city traffic: never faster than 40 km/h over a leg
    legs = stops[stops["travel_min"] > 0]
    assert ((legs["travel_km"] / (legs["travel_min"] / 60)) <= 40.5).all()
    assert_day_adds_up(route, roads)


def test_a_short_day_drops_the_lowest_scored_sites(demo_city: Path) -> None:
    sites, roads, centre = _demo_sites(demo_city)
    chosen = choose_showcase_sites(sites, {"park": 4, "compound": 4})
    route = plan_inspection_route(chosen, roads, start=centre, day_start="09:00", day_end="11:00")
    assert route.feasible and not route.dropped.empty
    kept = chosen[chosen["site_id"].isin(route.stops["site_id"])]
    dropped = chosen[chosen["site_id"].isin(route.dropped["site_id"])]
    assert dropped["quality"].max() <= kept["quality"].min()
    assert_day_adds_up(route, roads)


BARE: dict[str, Any] = {
    "briefing_minutes": 0,
    "lunch": None,
    "access_minutes": dict.fromkeys(("park", "road", "compound", "unit"), 0.0),
}
"""No briefing, lunch or walking: the ordering and opening times alone."""


def test_opening_times_are_respected_on_a_grid() -> None:
    # a 1 km grid whose lines share a vertex at every crossing
    lines = [shapely.LineString([(x, y) for x in range(0, 3001, 1000)]) for y in (0, 1000, 2000)]
    lines += [
        shapely.LineString([(x, y) for y in range(0, 2001, 1000)]) for x in range(0, 3001, 1000)
    ]
    roads = gpd.GeoDataFrame(
        {"grade": ["branch"] * len(lines)}, geometry=lines, crs=4547
    )  # 20 km/h
    points = [(1000, 0), (2000, 0), (3000, 1000), (2000, 2000)]
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"park:{i}" for i in range(4)],
            "kind": "park",
            "name": [f"公园{i}" for i in range(4)],
            "score": [90.0, 80.0, 70.0, 60.0],
            "size": 1.0,
            "visit_minutes": 20.0,
            "open_from": ["", "", "", "10:30"],
            "open_to": ["", "", "", ""],
        },
        geometry=[shapely.Point(p) for p in points],
        crs=4547,
    )
    route = plan_inspection_route(sites, roads, start=(0, 0), day_start="09:00", **BARE)
    seq = route.stops.set_index("site_id")["seq"]
    assert seq["park:0"] < seq["park:1"] < seq["park:2"] < seq["park:3"]
    row = route.stops.set_index("site_id").loc["park:3"]
    assert row["wait_min"] > 0 and row["depart"] == "10:50"
    # 1 km on a branch road at a coach's 15 km/h is 4 minutes
    assert route.stops.set_index("site_id").loc["park:0", "travel_min"] == pytest.approx(4.0)
    closing = sites.assign(open_from="", open_to=["", "", "", "09:40"])
    late = plan_inspection_route(closing, roads, start=(0, 0), day_start="09:00", **BARE)
    assert late.feasible and "park:3" in late.stops["site_id"].tolist()
    assert late.stops["site_id"].iloc[1] == "park:3"  # visited first, before it closes


def test_order_is_never_worse_than_the_given_one() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        xy = rng.uniform(0, 5000, size=(9, 2))
        seconds = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        given = [0, *rng.permutation(np.arange(1, 8)).tolist(), 8]
        order = order_stops(seconds, start=0, end=8, given=given)
        cost = sum(seconds[a, b] for a, b in itertools.pairwise(order))
        given_cost = sum(seconds[a, b] for a, b in itertools.pairwise(given))
        assert sorted(order) == list(range(9)) and order[0] == 0 and order[-1] == 8
        assert cost <= given_cost + 1e-9


def test_unreachable_site_is_a_clear_error() -> None:
    roads = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1000, 0)])], crs=4547)
    sites = gpd.GeoDataFrame(
        {"site_id": ["park:1"], "kind": ["park"], "name": ["远方"], "score": [50.0], "size": 1.0},
        geometry=[shapely.Point(0, 5000)],
        crs=4547,
    )
    with pytest.raises(DataError, match="距路网超过"):
        plan_inspection_route(sites, roads, start=(0, 0))


@pytest.mark.shared_data
def test_shenzhen_longgang_osm_network(shared_data: Path, tmp_path: Path) -> None:
    from gardencity.io.osm import import_osm

    city = tmp_path / "longgang"
    import_osm(shared_data / "shenzhen_longgang_2019.osm", city, name="龙岗", population=100000)
    inputs = AssessmentInputs(Workspace.open(city))
    roads = inputs.get("roads")
    sites = candidate_sites(
        green_spaces=inputs.get("green_spaces"),
        roads=roads,
        land_use=inputs.get("land_use"),
        vegetation=inputs.get("vegetation"),
    )
    chosen = choose_showcase_sites(sites, {"park": 5, "road": 3, "compound": 2})
    assert (chosen["kind"] == "park").sum() == 5
    start = inputs.get("built_up_area").geometry.iloc[0].centroid
    graph = travel_graph_from_roads(roads)
    assert graph.main_part.mean() > 0.5
    for mode in ("drive", "walk"):
        route = plan_inspection_route(
            chosen,
            roads,
            start=start,
            mode=mode,
            day_end="18:00",
            graph=graph if mode == "drive" else None,
        )
        assert_day_adds_up(route, roads)
        assert route.total_minutes <= route.given_order_total_minutes + 1e-6
    assert "大运" in " ".join(chosen["name"]) or len(chosen) == 10
