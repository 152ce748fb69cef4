"""A heavy layer at the overview zooms: parcels side by side drawn as the blocks they form
(none vanishes, the area stays), road segments as the streets they form."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, box

from gardencity.jobs.tile_overview import blocks, overview_shapes, streets

CRS = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E: metres
X0, Y0 = 500_000, 3_800_000


def _parcels() -> gpd.GeoDataFrame:
    """Two blocks of 10 × 10 parcels of 30 m, 3 m apart within a block, a 60 m road
    between the blocks, and one parcel of 4 m × 4 m on its own."""
    shapes = []
    for left in (X0, X0 + 330 + 60):
        for i in range(10):
            for j in range(10):
                x, y = left + i * 33, Y0 + j * 33
                shapes.append(box(x, y, x + 30, y + 30))
    shapes.append(box(X0 + 1000, Y0 + 1000, X0 + 1004, Y0 + 1004))
    return gpd.GeoDataFrame({"parcel_id": range(len(shapes))}, geometry=shapes, crs=CRS)


def test_parcels_side_by_side_become_their_blocks_and_none_vanishes() -> None:
    parcels = _parcels()
    drawn = blocks(parcels, cell_m=5).to_crs(CRS)
    assert list(drawn.columns) == ["geometry"] and str(blocks(parcels, 5).crs) == "EPSG:4326"
    assert len(drawn) == 3  # two blocks (gaps narrower than a cell closed) and the small one
    # the area drawn is the area there is (to a cell's edge around each block)
    assert drawn.area.sum() == pytest.approx(parcels.area.sum(), rel=0.2)
    # the road between the blocks stays open; the small parcel is there
    road = box(X0 + 335, Y0, X0 + 385, Y0 + 330)
    assert not drawn.intersects(road).any()
    small = parcels.geometry.iloc[-1]
    assert drawn.intersects(small).sum() == 1


def test_a_grid_too_fine_for_the_area_is_made_coarser(monkeypatch: pytest.MonkeyPatch) -> None:
    import gardencity.jobs.tile_overview as overview

    monkeypatch.setattr(overview, "MAX_CELLS", 1_000)
    drawn = blocks(_parcels(), cell_m=1).to_crs(CRS)
    assert 3 <= len(drawn) <= 5  # still the blocks, on a grid of ~35 m
    assert drawn.geometry.apply(lambda g: len(g.exterior.coords)).max() < 100


def test_road_segments_become_streets() -> None:
    # a street of 20 segments, each side drawn (left and right segments on the same line),
    # crossed by a second street of 10 segments
    segments = [LineString([(X0 + i * 10, Y0), (X0 + (i + 1) * 10, Y0)]) for i in range(20)]
    segments += segments  # the other side
    segments += [LineString([(X0 + 95, Y0 - 50 + i * 10), (X0 + 95, Y0 - 40 + i * 10)])
                 for i in range(10)]  # fmt: skip
    frame = gpd.GeoDataFrame({"side": ["left"] * len(segments)}, geometry=segments, crs=CRS)
    joined = streets(frame)
    assert 2 <= len(joined) <= 4  # each street one line (split where they cross)
    assert joined.length.sum() == pytest.approx(200 + 100)  # each stretch drawn once
    assert overview_shapes(frame, [], as_blocks=True, cell_m=5).length.sum() == pytest.approx(300)


def test_other_layers_keep_their_features_with_their_colour_only() -> None:
    parcels = _parcels().assign(green_class="G11")
    kept = overview_shapes(parcels, ["green_class"], as_blocks=False, cell_m=5)
    assert list(kept.columns) == ["green_class", "geometry"] and len(kept) == len(parcels)
    assert shapely.equals(kept.geometry.values, parcels.geometry.values).all()
    empty = overview_shapes(parcels.iloc[:0], [], as_blocks=True, cell_m=5)
    assert empty.empty
