"""The service-radius measures' intermediates, computed in a fork of the assessment."""

from __future__ import annotations

import os
from concurrent.futures import Future
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gardencity.errors import DataError
from gardencity.indicators.service_cover import service_covered_m2
from gardencity.indicators.service_start import SERVICE_MEASURES, start_service_coverage
from gardencity.indicators.walking_cells import WalkedCells, walked_cells
from gardencity.network import walk_graph_from_roads
from gardencity.toolkit import ForkedCalls, RunContext, shared

X0, Y0 = 500_000.0, 3_000_000.0
WALKED = "gardencity.indicators.walking_cells.walked_cells"
COVERED = "gardencity.indicators.service_cover.service_covered_m2"
COVER = {
    "bands": [{"min_area_m2": 0, "radius_m": 300}],
    "eligible_classes": ["G1"],
    "require_open": False,
}


def _inputs(category: str = "category") -> dict[str, Any]:
    zones = gpd.GeoDataFrame(
        {"population": [1.0]},
        index=["built_up_area"],
        geometry=[shapely.box(X0, Y0, X0 + 900, Y0 + 600)],
        crs=4547,
    )
    land = gpd.GeoDataFrame(
        {category: ["residential", "industrial", "residential"]},
        geometry=[
            shapely.box(X0 + 10, Y0 + 10, X0 + 400, Y0 + 290),
            shapely.box(X0 + 500, Y0 + 10, X0 + 890, Y0 + 290),
            shapely.Polygon([(X0 + 20, Y0 + 320), (X0 + 880, Y0 + 330), (X0 + 300, Y0 + 590)]),
        ],
        crs=4547,
    )
    roads = gpd.GeoDataFrame(
        geometry=[
            shapely.LineString([(X0, Y0 + 300), (X0 + 900, Y0 + 305)]),
            shapely.LineString([(X0 + 450, Y0), (X0 + 450, Y0 + 300), (X0 + 470, Y0 + 600)]),
        ],
        crs=4547,
    )
    park = gpd.GeoDataFrame(
        {"green_class": ["G11"]}, geometry=[shapely.box(X0 + 480, Y0 + 320, X0 + 580, Y0 + 420)]
    ).set_crs(4547)
    return {
        "zones": zones,
        "land_use": land,
        "green_spaces": park,
        "historic_districts": None,
        "park_entrances": None,
        "walk_graph": walk_graph_from_roads(roads),
    }


class _Recording(ForkedCalls):
    """Forks that remember which functions they were given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[str] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.given.append(fn.__name__)
        return super().submit(fn, *args, **kwargs)


def _wanted(size: float = 20.0) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("park_area_per_capita", {}),
        ("park_service_coverage", COVER),
        ("park_service_coverage_walking", {**COVER, "cell_size_m": size}),
    ]


def _walked(run: RunContext, size: float = 20.0) -> WalkedCells:
    zones, land, green, graph = (
        run.get(n) for n in ("zones", "land_use", "green_spaces", "walk_graph")
    )
    return shared(
        run, walked_cells, zones, land, green, graph, None, None, run,
        **COVER, entrance_max_distance_m=50.0, cell_size_m=size,
    )  # fmt: skip


def _covered(run: RunContext) -> Any:
    zones, land, green = (run.get(n) for n in ("zones", "land_use", "green_spaces"))
    return shared(run, service_covered_m2, zones, land, green, None, run, **COVER)


def _same(mine: WalkedCells, theirs: WalkedCells) -> None:
    for field in ("piece", "key", "x", "y", "area", "ix", "iy", "whole"):
        assert np.array_equal(getattr(mine.table, field), getattr(theirs.table, field)), field
    assert mine.snap is not None and theirs.snap is not None
    for field in ("distance", "node_u", "node_v", "to_u", "to_v"):
        assert np.array_equal(getattr(mine.snap, field), getattr(theirs.snap, field)), field
    assert np.array_equal(mine.park_i, theirs.park_i) and len(mine.park_i) > 0
    assert np.array_equal(mine.node_i, theirs.node_i)
    assert mine.node_distance.keys() == theirs.node_distance.keys() == {300.0}
    assert np.array_equal(mine.node_distance[300.0], theirs.node_distance[300.0])


def test_intermediates_made_in_a_fork_are_the_ones_made_here() -> None:
    here = RunContext(_inputs())
    cells, covered = _walked(here), _covered(here)
    assert len(cells.table.key) > 100 and len(np.unique(cells.table.piece)) == 2
    assert 0 < covered.sum() < shapely.area(_inputs()["land_use"].geometry).sum()
    run = RunContext(_inputs())
    with _Recording() as forks:
        assert start_service_coverage(run, forks, _wanted()) == SERVICE_MEASURES
        assert start_service_coverage(run, forks, _wanted()) == SERVICE_MEASURES  # once
    assert forks.given == ["service_covered_m2", "walked_cells"]
    _same(_walked(run), cells)
    assert np.array_equal(_covered(run), covered)
    # the pieces and the cover were made here, before the fork, once; the rest there
    made_here = {"residential_pieces", "service_cover", "eligible_parks"}
    assert {name.rsplit(".", 1)[-1] for name in run.computed} == made_here | {
        "service_covered_m2",
        "walked_cells",
    }
    assert set(run.computed.values()) == {1}


def test_nothing_is_started_without_a_service_measure_or_its_inputs() -> None:
    run = RunContext(_inputs())
    with _Recording() as forks:
        assert start_service_coverage(run, forks, _wanted()[:1]) == ()
        no_roads = RunContext({**_inputs(), "walk_graph": None})
        assert start_service_coverage(no_roads, forks, _wanted()[2:]) == ()
        no_land = RunContext({**_inputs(), "land_use": None})
        assert start_service_coverage(no_land, forks, _wanted()) == ()
    assert forks.given == [] and run.computed == {}


def test_intermediates_the_fork_dies_before_making_are_made_here() -> None:
    here = RunContext(_inputs())
    run = RunContext(_inputs())
    with ForkedCalls() as forks:
        forks.submit(os._exit, 1)  # the fork dies before its first call
        start_service_coverage(run, forks, _wanted())
    _same(_walked(run), _walked(here))
    assert np.array_equal(_covered(run), _covered(here))
    assert run.computed[WALKED] == 1 and run.computed[COVERED] == 1


def test_pieces_in_error_start_nothing_and_the_measure_raises_it() -> None:
    run = RunContext(_inputs(category="kind"))  # no category: not land use
    with _Recording() as forks:
        assert start_service_coverage(run, forks, _wanted()) == ()
    assert forks.given == []
    with pytest.raises(DataError):
        _walked(run)
