"""A small workspace with every input the 2022 standard asks for (1 km², two districts), so
that each indicator has a value; the tests take away one thing at a time."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import tomli_w

from gardencity.io.workspace import write_workspace

X0, Y0 = 500_000.0, 3_800_000.0
CRS = "EPSG:4548"
MANAGEMENT = ("green_system_plan", "dedicated_funding", "management_agency", "research_capacity")


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def line(*points: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in points])


def frame(rows: Mapping[str, list[Any]], geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(rows), geometry=geoms, crs=CRS)


def full_layers() -> dict[str, gpd.GeoDataFrame]:
    return {
        "built_up_area": frame({"name": ["城"]}, [box(0, 0, 1000, 1000)]),
        "districts": frame(
            {"district_id": ["w", "e"], "name": ["西区", "东区"], "population": [6000.0, 4000.0]},
            [box(0, 0, 500, 1000), box(500, 0, 1000, 1000)],
        ),
        "land_use": frame(
            {"code": ["R2", "R2", "B1", "G1"], "parcel_id": ["r1", "r2", "b1", "g1"]},
            [
                box(0, 0, 400, 400),
                box(600, 0, 1000, 400),
                box(0, 600, 400, 1000),
                box(400, 400, 600, 600),
            ],
        ),
        "green_spaces": frame(
            {
                "green_class": ["G11", "G12", "XG", "EG"],
                "name": ["中心公园", "社区公园", "附属绿地", "郊野"],
                "in_construction_land": [None, None, None, False],
            },
            [
                box(400, 400, 600, 600),
                box(600, 600, 700, 700),
                box(0, 600, 100, 700),
                box(700, 600, 900, 700),
            ],
        ),
        "vegetation": frame(
            {"veg_type": ["tree", "grass", "shrub", "tree"]},
            [
                box(400, 400, 500, 600),
                box(500, 400, 600, 600),
                box(600, 600, 700, 700),
                box(0, 480, 1000, 520),
            ],
        ),
        "roads": frame(
            {
                "grade": ["次干路", "支路"],
                "red_line_width_m": [30.0, 20.0],
                "sidewalk_width_m": [3.0, 2.5],
            },
            [line((0, 500), (1000, 500)), line((300, 0), (300, 1000))],
        ),
        "trees": frame(
            {
                "species": ["国槐", "银杏", "悬铃木", "国槐"],
                "is_native": [True, True, False, True],
                "crown_radius_m": [4.0, 4.0, 4.0, 4.0],
            },
            [shapely.Point(X0 + x, Y0 + 510) for x in (100, 200, 700, 800)],
        ),
        "greenways": frame({"name": ["滨河绿道"]}, [line((0, 450), (1000, 450))]),
    }


def stations() -> pd.DataFrame:
    dates = pd.date_range("2024-07-01", periods=3).strftime("%Y-%m-%d").tolist()
    return pd.DataFrame(
        {
            "station_id": ["u1"] * 3 + ["r1"] * 3,
            "is_urban": [True] * 3 + [False] * 3,
            "date": dates * 2,
            "tmax_c": [35.0, 36.0, 34.0, 33.0, 33.5, 32.0],
        }
    )


def full_config() -> dict[str, Any]:
    return {
        "city": {
            "name": "全要素市",
            "crs": CRS,
            "standard": "national_ecological_garden_city_2022",
        },
        "tables": {"weather_stations": "stations.csv"},
        "management": {
            item: {"status": item != "research_capacity", "evidence": [f"docs/{item}.pdf"]}
            for item in MANAGEMENT
        },
    }


OWN_FILES = ("vegetation", "trees", "greenways")  # kept beside city.gpkg, as cities often do


def write_city(
    root: Path,
    layers: Mapping[str, gpd.GeoDataFrame],
    config: Mapping[str, Any],
    station_table: pd.DataFrame | None = None,
    template: Path | None = None,
) -> Path:
    """Write the workspace with its evidence files and station table. With ``template`` (a
    workspace this function wrote from :func:`full_layers`), only what differs is written."""
    config = dict(config)
    own = {n: {"path": f"{n}.gpkg"} for n in OWN_FILES if n in layers}
    config["layers"] = {**own, **config.get("layers", {})}
    in_gpkg = {n: g for n, g in layers.items() if n not in OWN_FILES}
    if template is None or set(in_gpkg) != set(full_layers()) - set(OWN_FILES):
        write_workspace(root, config=config, layers=in_gpkg, overwrite=True)
    else:
        shutil.copytree(template, root, dirs_exist_ok=True)
        for name in (n for n in OWN_FILES if (root / f"{n}.gpkg").exists()):
            (root / f"{name}.gpkg").unlink()
        base = full_layers()
        for name, layer in in_gpkg.items():
            if layer.to_json() != base[name].to_json():
                pyogrio.write_dataframe(
                    layer, root / "city.gpkg", layer=name, layer_options={"OVERWRITE": "YES"}
                )
        (root / "city.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    for name in own:
        pyogrio.write_dataframe(layers[name], root / f"{name}.gpkg", layer=name)
    (root / "docs").mkdir(exist_ok=True)
    for item in MANAGEMENT:
        (root / "docs" / f"{item}.pdf").write_bytes(b"%PDF-1.4 evidence")
    (station_table if station_table is not None else stations()).to_csv(
        root / "stations.csv", index=False
    )
    return root


def write_canopy(root: Path, nodata_share: float) -> str:
    """A 10 m canopy raster over the city (tree everywhere), its first rows nodata."""
    import rasterio
    from affine import Affine

    array = np.ones((100, 100), dtype=np.uint8)
    array[: round(100 * nodata_share), :] = 255
    path = root / "canopy.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=100,
        width=100,
        count=1,
        dtype="uint8",
        crs=CRS,
        transform=Affine(10.0, 0.0, X0, 0.0, -10.0, Y0 + 1000),
        nodata=255,
    ) as dst:
        dst.write(array, 1)
    return path.name
