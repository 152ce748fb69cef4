"""The map's canopy overlay: the raster warped to Web Mercator as a PNG with its corners."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.warp
from PIL import Image
from pyproj import Transformer

from gardencity.errors import NotFoundError
from gardencity.jobs.layers import CANOPY_MAX_PIXELS, canopy_overlay
from gardencity.vocabulary import rgba, vocabulary


@pytest.fixture
def city(demo_city: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_city, tmp_path / "city"))


def test_canopy_pixels_keep_their_class_and_place(city: Path) -> None:
    png, meta = canopy_overlay(city)
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    assert max(image.size) <= CANOPY_MAX_PIXELS
    assert list(image.size) == meta["size"]
    with rasterio.open(city / "canopy.tif") as src:
        band = src.read(1)
        to_wgs84 = Transformer.from_crs(src.crs, 4326, always_xy=True)
        rows, cols = np.nonzero(band == 1)
        # a tree pixel well inside a patch of trees (its neighbours are trees too)
        step = max(1, len(rows) // 2000)
        inner = [
            (r, c)
            for r, c in zip(rows[::step], cols[::step], strict=True)
            if 10 < r < band.shape[0] - 10 and 10 < c < band.shape[1] - 10
            and (band[r - 8 : r + 9, c - 8 : c + 9] == 1).all()
        ]  # fmt: skip
        assert inner
        row, col = inner[0]
        x, y = src.xy(row, col)
        # the raster's corners lie inside the image's corners
        west, south, east, north = rasterio.warp.transform_bounds(src.crs, 4326, *src.bounds)
    lon, lat = to_wgs84.transform(x, y)
    (s, w), (n, e) = meta["bounds"]
    assert w <= west + 1e-4 and e >= east - 1e-4 and s <= south + 1e-4 and n >= north - 1e-4
    to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    x0, y0 = to_mercator.transform(w, n)
    x1, y1 = to_mercator.transform(e, s)
    px, py = to_mercator.transform(lon, lat)
    width, height = image.size
    pixel = image.getpixel(
        (int((px - x0) / (x1 - x0) * width), int((y0 - py) / (y0 - y1) * height))
    )
    tree = vocabulary().style("canopy_classes", "tree")
    assert pixel == tuple(int(p) for p in rgba(tree.fill or "", tree.fill_opacity).split(","))
    assert meta["pixels"]["tree"] > meta["pixels"]["shrub"] > 0
    # cached next to the workspace's other map layers, and served from there the second time
    cached = sorted(p.name for p in (city / "runs" / "cache").iterdir())
    assert any(n.startswith("canopy.") and n.endswith(".png") for n in cached)
    assert canopy_overlay(city)[0] == png


def test_a_workspace_without_canopy_raster_says_how_to_add_one(city: Path) -> None:
    toml = city / "city.toml"
    toml.write_text(toml.read_text().replace('canopy = "canopy.tif"\n', ""))
    with pytest.raises(NotFoundError, match=r"\[rasters\]"):
        canopy_overlay(city)


def test_map_layers_of_a_postgis_workspace_follow_table_edits(
    postgis_database: str, tmp_path: Path
) -> None:
    import psycopg

    from gardencity.io.postgis_push import push_to_postgis
    from gardencity.io.workspace import write_workspace
    from gardencity.jobs.layers import workspace_geojson
    from tests.io._small import CRS, small_layers

    root = write_workspace(
        tmp_path / "ws", config={"city": {"name": "测试市", "crs": CRS}}, layers=small_layers()
    )
    push_to_postgis(root, postgis_database, schema="city")
    assert "甲区" in workspace_geojson(root, "districts").decode("utf-8")
    cached = list((root / "runs" / "cache").glob("districts.*.geojson"))
    assert len(cached) == 1
    assert workspace_geojson(root, "districts") == cached[0].read_bytes()  # served from cache

    with psycopg.connect(postgis_database, autocommit=True) as conn:
        conn.execute("UPDATE city.districts SET name = '乙区'")

    shown = workspace_geojson(root, "districts").decode("utf-8")
    assert "乙区" in shown and "甲区" not in shown
    assert len(list((root / "runs" / "cache").glob("districts.*.geojson"))) == 1
