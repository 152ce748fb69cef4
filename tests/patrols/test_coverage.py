"""Coverage of the demo city's grid by patrol tracks, computed exactly and checked by hand:
a segment is buffered by the larger accuracy of its ends (round caps), cells share the
buffer's area."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import select

from gardencity.auth.models import Grid
from gardencity.patrols.coverage import covered_share, track_cover

DEMO_CRS = 4548  # the demo city's CRS (CGCS2000 / 3-degree Gauss-Krüger CM 117°E)
REL = 2e-4  # the buffers' circles are 256-gons: short of π r² by 0.01 %


@pytest.fixture(scope="module")
def demo_grid(demo_city: Path, tmp_path_factory: pytest.TempPathFactory) -> gpd.GeoSeries:
    """The grid the demo city's server has (its districts seeded with 500 m cells)."""
    from gardencity.campaign.config import load_campaign_config
    from gardencity.campaign.context import ServiceContext
    from gardencity.campaign.seed import seed_organisation
    from gardencity.db.engine import open_database
    from gardencity.io.workspace import Workspace
    from gardencity.storage.files import FileStore

    root = tmp_path_factory.mktemp("grid")
    db = open_database(f"sqlite:///{root / 'campaign.db'}")
    districts = Workspace.open(demo_city).load_layer("districts")
    ctx = ServiceContext(load_campaign_config(), FileStore(root / "files"))
    with db.session() as session:
        seed_organisation(session, ctx, districts)
        rows = session.execute(select(Grid.code, Grid.geometry)).all()
    db.dispose()
    return gpd.GeoSeries([r.geometry for r in rows], index=[r.code for r in rows], crs=4326)


def _track(
    xy: list[tuple[float, float]], accuracy: list[float], seconds: list[float]
) -> pd.DataFrame:
    """Points given in the demo city's metres, as the phone sends them (WGS 84)."""
    lonlat = gpd.GeoSeries(shapely.points(xy), crs=DEMO_CRS).to_crs(4326)
    at = pd.Timestamp("2026-05-04T01:00Z") + pd.to_timedelta(seconds, unit="s")
    return pd.DataFrame(
        {
            "track": 1,
            "seq": range(len(xy)),
            "at": at,
            "lon": lonlat.x,
            "lat": lonlat.y,
            "accuracy": accuracy,
        }
    )


def _square_cells(grid: gpd.GeoSeries) -> tuple[str, str, tuple[float, float, float, float]]:
    """Two whole 500 m cells side by side (west, east) and the west one's bounds (metres)."""
    metric = grid.to_crs(DEMO_CRS)
    whole = metric[(metric.area - 250_000).abs() < 1]
    for code, cell in whole.items():
        minx, miny, maxx, maxy = cell.bounds
        east = whole[(whole.bounds.minx - maxx).abs() < 0.01]
        east = east[(east.bounds.miny - miny).abs() < 0.01]
        if len(east):
            return str(code), str(east.index[0]), (minx, miny, maxx, maxy)
    raise AssertionError("the demo grid has no two whole cells side by side")


def test_a_straight_walk_inside_one_cell_covers_a_stadium(demo_grid: gpd.GeoSeries) -> None:
    west, _east, (x, y, _, _) = _square_cells(demo_grid)
    # 300 m along the cell's middle, every 100 m, ±10 m: 300 × 20 + π × 10² m²
    walk = _track([(x + 100 + 100 * i, y + 250) for i in range(4)], [10.0] * 4, [0, 30, 60, 90])
    share = covered_share(walk, demo_grid)
    expected = (300 * 20 + math.pi * 100) / 250_000
    assert share[west] == pytest.approx(expected, rel=REL)
    assert share.drop(west).eq(0).all()
    assert share.index.equals(demo_grid.index) and share.name == "covered_share"


def test_a_walk_across_a_cell_edge_shares_it_and_the_larger_accuracy_counts(
    demo_grid: gpd.GeoSeries,
) -> None:
    west, east, (_x, y, maxx, _) = _square_cells(demo_grid)
    # from 100 m west of the edge to 100 m east of it, ±10 m then ±30 m: the segment is
    # buffered by 30 m, so each cell has 100 × 60 m and half a disc of 30 m
    walk = _track([(maxx - 100, y + 250), (maxx + 100, y + 250)], [10.0, 30.0], [0, 60])
    share = covered_share(walk, demo_grid)
    half = (100 * 60 + math.pi * 30**2 / 2) / 250_000
    assert share[west] == pytest.approx(half, rel=REL)
    assert share[east] == pytest.approx(half, rel=REL)
    # what a patroller sees (sight_m) widens a narrower buffer: 25 m either side
    seen = covered_share(walk, demo_grid, sight_m=25)
    assert seen[west] == pytest.approx(half, rel=REL)  # 30 m of accuracy is wider still
    sharp = _track([(maxx - 100, y + 250), (maxx + 100, y + 250)], [5.0, 5.0], [0, 60])
    narrow = (100 * 50 + math.pi * 25**2 / 2) / 250_000
    assert covered_share(sharp, demo_grid, sight_m=25)[west] == pytest.approx(narrow, rel=REL)


def test_gaps_in_time_and_vague_points_are_not_coverage(demo_grid: gpd.GeoSeries) -> None:
    west, _, (x, y, _, _) = _square_cells(demo_grid)
    # 10 minutes between the two points: where the patroller went is unknown, two discs
    apart = _track([(x + 100, y + 100), (x + 400, y + 100)], [10.0, 10.0], [0, 600])
    share = covered_share(apart, demo_grid)
    assert share[west] == pytest.approx(2 * math.pi * 100 / 250_000, rel=REL)
    # a point known to ±300 m is left out: the walk is the two good points' stadium
    vague = _track(
        [(x + 100, y + 250), (x + 250, y + 400), (x + 400, y + 250)],
        [10.0, 300.0, 10.0],
        [0, 30, 60],
    )
    share = covered_share(vague, demo_grid)
    assert share[west] == pytest.approx((300 * 20 + math.pi * 100) / 250_000, rel=REL)


def test_two_tracks_over_the_same_street_count_once() -> None:
    at = pd.to_datetime(["2026-05-04T01:00Z", "2026-05-04T01:01Z"] * 2)
    points = pd.DataFrame(
        {
            "track": [1, 1, 2, 2],
            "seq": [0, 1, 0, 1],
            "at": at,
            "x": [0.0, 100.0, 0.0, 100.0],
            "y": [0.0, 0.0, 0.0, 0.0],
            "accuracy": [10.0] * 4,
        }
    )
    assert track_cover(points).area == pytest.approx(100 * 20 + math.pi * 100, rel=REL)
    assert track_cover(points.iloc[:0]).is_empty
