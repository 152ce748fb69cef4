"""The numeric grid cells agree with GEOS: ``piece ∩ square`` area and point_on_surface."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gardencity.assessment.inputs import AssessmentInputs
from gardencity.io.workspace import Workspace
from gardencity.toolkit import CellTable, cell_table, cells, residential_pieces

X0, Y0 = 500_013.7, 3_000_021.3


def _shapes() -> list[shapely.Geometry]:
    rng = np.random.default_rng(7)
    shapes: list[shapely.Geometry] = []
    for _ in range(60):  # warped, rotated quadrilaterals with extra vertices (demo parcels)
        cx, cy = X0 + rng.uniform(0, 2000), Y0 + rng.uniform(0, 2000)
        w, h, angle = rng.uniform(5, 160), rng.uniform(5, 160), rng.uniform(0, 90)
        box = shapely.affinity.rotate(shapely.box(cx, cy, cx + w, cy + h), angle)
        wobble = shapely.segmentize(box, 20.0)
        xy = shapely.get_coordinates(wobble) + rng.normal(
            0, 0.3, (len(shapely.get_coordinates(wobble)), 2)
        )
        xy[-1] = xy[0]
        shapes.append(shapely.make_valid(shapely.Polygon(xy)))
    # concave: a U whose arms one square cuts twice (two pieces), an L, a ring with a hole
    shapes.append(
        shapely.Polygon(
            [
                (X0, Y0),
                (X0 + 90, Y0),
                (X0 + 90, Y0 + 80),
                (X0 + 70, Y0 + 80),
                (X0 + 70, Y0 + 20),
                (X0 + 20, Y0 + 20),
                (X0 + 20, Y0 + 80),
                (X0, Y0 + 80),
            ]
        )
    )
    shapes.append(
        shapely.Polygon(
            [
                (X0, Y0 + 300),
                (X0 + 140, Y0 + 300),
                (X0 + 140, Y0 + 330),
                (X0 + 33, Y0 + 330),
                (X0 + 33, Y0 + 420),
                (X0, Y0 + 420),
            ]
        )
    )
    shapes.append(
        shapely.box(X0 + 400, Y0 + 400, X0 + 560, Y0 + 560).difference(
            shapely.box(X0 + 450, Y0 + 450, X0 + 500, Y0 + 500)
        )
    )
    shapes.append(
        shapely.MultiPolygon(
            [
                shapely.box(X0 + 700, Y0, X0 + 730, Y0 + 30),
                shapely.box(X0 + 760, Y0, X0 + 790, Y0 + 30),
            ]
        )
    )
    shapes.append(shapely.box(500_000, 3_000_000, 500_100, 3_000_050))  # on grid lines
    # a sliver triangle (6.7e-5 m²) inside one square: its orientation must survive rounding
    shapes.append(
        shapely.Polygon(
            [(496018.3440451654, 3811291.8300010543), (496017.4961902551, 3811291.699093079),
             (496018.4872140754, 3811291.8522632364)]
        )
    )  # fmt: skip
    return shapes


def grid_cells(pieces: gpd.GeoDataFrame, cell_size: float) -> gpd.GeoDataFrame:
    """The reference: every piece cut by the grid squares with GEOS, one square at a time."""
    rows = []
    for geom in pieces.geometry:
        x0, y0, x1, y1 = geom.bounds
        for iy in range(int(np.floor(y0 / cell_size)), int(np.floor(y1 / cell_size)) + 1):
            for ix in range(int(np.floor(x0 / cell_size)), int(np.floor(x1 / cell_size)) + 1):
                square = shapely.box(
                    ix * cell_size, iy * cell_size, (ix + 1) * cell_size, (iy + 1) * cell_size
                )
                cell = square if geom.contains_properly(square) else geom.intersection(square)
                if cell.area > 0:
                    rows.append({"cell_area": cell.area, "geometry": cell})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=pieces.crs)


@pytest.mark.parametrize("cell_size", [25.0, 50.0])
def test_cells_match_geos_intersection_and_point_on_surface(cell_size: float) -> None:
    shapes = _shapes()
    pieces = gpd.GeoDataFrame(geometry=shapes + shapes[:5], crs=4547)  # repeats are reused
    geos = grid_cells(pieces, cell_size)
    table = cell_table(pieces.geometry.to_numpy(), cell_size)
    assert len(table.area) == len(geos)
    np.testing.assert_allclose(table.area, geos["cell_area"], rtol=1e-9, atol=1e-6)
    points = shapely.point_on_surface(geos.geometry.to_numpy())
    np.testing.assert_allclose(table.x, shapely.get_x(points), rtol=0, atol=1e-6)
    np.testing.assert_allclose(table.y, shapely.get_y(points), rtol=0, atol=1e-6)
    cells = table.geometries(pieces.geometry.to_numpy(), cell_size)
    assert shapely.equals(cells, geos.geometry.to_numpy()).all()
    for i in range(5):  # a repeated piece has the very same cells
        assert (table.key[table.piece == len(shapes) + i] == table.key[table.piece == i]).all()


def _regions_one_by_one(
    table: CellTable, pieces: np.ndarray, cell_size: float, rows: np.ndarray
) -> tuple[np.ndarray, list[shapely.Geometry]]:
    """The reference: for each piece, its own cells' squares unioned alone, then cut from it
    (the piece itself where all its cells are given)."""
    owner = table.piece[rows]
    out = []
    for p in np.unique(owner):
        mine = rows[owner == p]
        if len(mine) == np.count_nonzero(table.piece == p):
            out.append(pieces[p])
            continue
        ix, iy = table.ix[mine], table.iy[mine]
        squares = shapely.box(
            ix * cell_size, iy * cell_size, (ix + 1) * cell_size, (iy + 1) * cell_size
        )
        out.append(shapely.intersection(pieces[p], shapely.union_all(squares)))
    return np.unique(owner), out


@pytest.mark.parametrize("batch_squares", [cells._BATCH_SQUARES, 16])
def test_regions_equal_each_piece_merged_on_its_own(
    demo_city: Path, batch_squares: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pieces merged in padded batches on two threads give exactly (coordinate for coordinate,
    in the same order) what merging each piece on its own gives: the demo city's residential
    land, its cells taken at random, by halves and where a piece has many cells."""
    monkeypatch.setattr(cells, "_BATCH_SQUARES", batch_squares)  # small: many batches
    inputs = AssessmentInputs(Workspace.open(demo_city))
    pieces = residential_pieces(inputs.get("land_use"), inputs.get("zones")).geometry.to_numpy()
    cell_size = 25.0
    table = cell_table(pieces, cell_size)
    rng = np.random.default_rng(19)
    many = np.isin(table.piece, np.flatnonzero(np.bincount(table.piece) > 12))
    for rows in (
        np.flatnonzero(rng.random(len(table.key)) < 0.5),
        np.flatnonzero(rng.random(len(table.key)) < 0.9),
        np.flatnonzero(many & (rng.random(len(table.key)) < 0.7)),
    ):
        piece, merged = table.regions(pieces, cell_size, rows)
        expected_piece, expected = _regions_one_by_one(table, pieces, cell_size, rows)
        assert (np.bincount(table.piece[rows]) > 8).any()  # several batch widths
        np.testing.assert_array_equal(piece, expected_piece)
        assert (shapely.to_wkb(merged) == shapely.to_wkb(np.asarray(expected))).all()
