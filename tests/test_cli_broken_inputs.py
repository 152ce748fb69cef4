"""Every CLI command against a catalogue of broken inputs: a clear message naming the problem
and the fix, the right exit status, no traceback, and no file of the workspace changed."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from gardencity.cli import main
from gardencity.io.gcj02 import wgs84_to_gcj02
from gardencity.io.workspace import write_workspace
from tests.io._small import CRS, X0, Y0, small_layers

OSM = "beijing_haidian_2017.osm"


@dataclass(frozen=True)
class Broken:
    """A broken input: how to make it in a copy of a small workspace, the command line (WS is
    the workspace, SRC a file beside it, OSM the real extract), the exit status, the words."""

    name: str
    make: Callable[[Path], None]
    argv: tuple[str, ...]
    status: int
    words: tuple[str, ...]


def _truncate(root: Path) -> None:
    gpkg = root / "city.gpkg"
    data = gpkg.read_bytes()
    gpkg.write_bytes(data[: len(data) // 2])


def _garbage(root: Path) -> None:
    (root / "city.gpkg").write_bytes(np.random.default_rng(1).bytes(8192))


def _binary_toml(root: Path) -> None:
    (root / "city.toml").write_bytes(b"\xff\xfe[city]\x00name")


def _source(root: Path) -> None:
    """A good source file beside the workspace (SRC)."""
    layers = small_layers()
    layers["land_use"].to_file(root.parent / "src.gpkg", layer="land_use")


def _truncated_source(root: Path) -> None:
    _source(root)
    source = root.parent / "src.gpkg"
    source.write_bytes(source.read_bytes()[:3000])


def _config(root: Path, old: str, new: str) -> None:
    toml = root / "city.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def _append(root: Path, text: str) -> None:
    with (root / "city.toml").open("a", encoding="utf-8") as handle:
        handle.write(text)


def _raster(root: Path, name: str, array: np.ndarray, nodata: float | None = None) -> None:
    import rasterio
    from affine import Affine

    with rasterio.open(
        root / name, "w", driver="GTiff", height=array.shape[0], width=array.shape[1], count=1,
        dtype=array.dtype, crs=CRS, transform=Affine(10.0, 0, X0 - 6000, 0, -10.0, Y0 + 7000),
        nodata=nodata,
    ) as dst:  # fmt: skip
        dst.write(array, 1)


def _kelvin(root: Path) -> None:
    _raster(root, "lst.tif", np.full((1300, 1300), 303.0, dtype=np.float32))
    _append(root, '\n[rasters]\nland_surface_temperature = "lst.tif"\n')


def _canopy_codes(root: Path) -> None:
    _raster(root, "canopy.tif", np.full((1300, 1300), 7, dtype=np.uint8), nodata=255)
    _append(root, '\n[rasters]\ncanopy = "canopy.tif"\n')


def _corrupt_raster(root: Path) -> None:
    (root / "canopy.tif").write_bytes(b"II*\x00 not a tiff")
    _append(root, '\n[rasters]\ncanopy = "canopy.tif"\n')


def _stations_without_tmax(root: Path) -> None:
    pd.DataFrame({"station_id": ["a"], "is_urban": [True], "date": ["2024-07-01"]}).to_csv(
        root / "stations.csv", index=False
    )
    _append(root, '\n[tables]\nweather_stations = "stations.csv"\n')


def _evidence_missing(root: Path) -> None:
    _append(root, '\n[management.green_system_plan]\nstatus = true\nevidence = ["docs/批复.pdf"]\n')


def _gcj02_land_use(root: Path) -> None:
    """land_use traced on a Chinese web map: GCJ-02 coordinates declared as WGS 84."""
    land = small_layers()["land_use"].to_crs(4326)

    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    land = land.set_geometry(shapely.transform(land.geometry.to_numpy(), shift), crs=4326)
    write_workspace(root, config=_small_config(), layers={**small_layers(), "land_use": land},
                    overwrite=True)  # fmt: skip


def _vegetation_in_chinese(root: Path) -> None:
    vegetation = small_layers()["green_spaces"].assign(veg_type="乔木")[["veg_type", "geometry"]]
    layers = {**small_layers(), "vegetation": vegetation}
    write_workspace(root, config=_small_config(), layers=layers, overwrite=True)


def _small_config(crs: str = CRS) -> dict[str, dict[str, str]]:
    return {"city": {"name": "小城", "crs": crs}}


def _nothing(root: Path) -> None:
    return None


def _truncated_with_source(root: Path) -> None:
    _truncate(root)
    _source(root)


def _unknown_standard(root: Path) -> None:
    _config(root, '小城"', '小城"\nstandard = "gb9999"')


CATALOGUE = [
    # 2. no tracebacks
    Broken("truncated gpkg / validate", _truncate, ("validate", "WS"), 2, ("已损坏", "文件不完整")),
    Broken("truncated gpkg / assess", _truncate, ("assess", "--lang", "en", "WS"), 2,
           ("damaged", "truncated")),
    Broken("truncated gpkg / import-layer", _truncated_with_source,
           ("import-layer", "WS", "land_use", "SRC"), 2, ("已损坏", "从备份恢复")),
    Broken("corrupt gpkg / validate", _garbage, ("validate", "WS"), 2, ("不是 GeoPackage 文件",)),
    Broken("corrupt gpkg / assess", _garbage, ("assess", "--lang", "en", "WS"), 2,
           ("not a GeoPackage",)),
    Broken("binary city.toml / validate", _binary_toml, ("validate", "WS"), 2, ("UTF-8",)),
    Broken("unknown layer", _source, ("import-layer", "WS", "parks", "SRC"), 2,
           ("unknown layer 'parks'", "green_spaces")),
    Broken("--field without =", _source,
           ("import-layer", "WS", "land_use", "SRC", "--field", "code"), 2, ("OURS=THEIRS",)),
    Broken("truncated source / import-layer", _truncated_source,
           ("import-layer", "WS", "land_use", "SRC"), 2, ("无法从", "处理：")),
    Broken("invalid --crs / import-osm", _nothing,
           ("import-osm", "OSM", "WS", "--force", "--crs", "EPSG:99999"), 2,
           ("不是可识别的坐标参考系", "EPSG:4547")),
    Broken("geographic --crs / import-osm", _nothing,
           ("import-osm", "--lang", "en", "OSM", "WS", "--force", "--crs", "EPSG:4326"), 2,
           ("geographic",)),
    Broken("invalid --crs / init", _nothing, ("init", "WS/new", "--name", "x", "--crs", "4548x"),
           2, ("不是可识别的坐标参考系",)),
    # 3. imports say everything
    Broken("boundary holds none of the data", _nothing,
           ("import-osm", "OSM", "WS", "--force", "--boundary", "bbox:100,20,100.1,20.1"), 2,
           ("与数据范围不相交",)),
    Broken("import-osm over a workspace without --force", _nothing, ("import-osm", "OSM", "WS"),
           2, ("已有工作区", "--force")),
    # 5. validation catches what assess would hit; init
    Broken("unknown standard / validate", _unknown_standard,
           ("validate", "--lang", "en", "WS"), 2, ("Unknown standard 'gb9999'", "gb55014_2021")),
    Broken("unknown standard / assess", _unknown_standard,
           ("assess", "WS"), 2, ("未知标准“gb9999”", "gb55014_2021")),
    Broken("management evidence missing", _evidence_missing, ("validate", "WS"), 0,
           ("证明材料文件不存在：docs/批复.pdf",)),
    Broken("canopy values outside the classes", _canopy_codes, ("validate", "--lang", "en", "WS"),
           0, ("not in [rasters.canopy_classes]", "7 ×")),
    Broken("temperatures in kelvin", _kelvin, ("validate", "--lang", "en", "WS"), 0,
           ("look like kelvin",)),
    Broken("corrupt raster / validate", _corrupt_raster, ("validate", "--lang", "en", "WS"), 2,
           ("Cannot read the raster",)),
    Broken("corrupt raster / assess", _corrupt_raster, ("assess", "WS"), 2,
           ("无法读取栅格",)),
    Broken("vegetation type outside the allowed values", _vegetation_in_chinese,
           ("validate", "WS"), 0,
           ("veg_type（植被类型）不在 tree/shrub/grass/unknown 之中", "乔木 ×1")),
    Broken("station table lacks a column", _stations_without_tmax,
           ("validate", "--lang", "en", "WS"), 2, ("tmax_c",)),
    Broken("init over a workspace", _nothing, ("init", "WS", "--name", "x", "--crs", "EPSG:4548"),
           2, ("已是一个工作区",)),
    # 6. hints where the data itself is wrong
    Broken("undeclared GCJ-02 layer", _gcj02_land_use, ("validate", "WS"), 0,
           ("GCJ-02", 'coordinates = "gcj02"')),
    Broken("working CRS beyond its zone", lambda r: _config(r, CRS, "EPSG:4545"),
           ("validate", "--lang", "en", "WS"), 0, ("central meridian at 108°E", "EPSG:4548")),
]  # fmt: skip


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small") / "ws"
    return write_workspace(root, config=_small_config(), layers=small_layers())


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.shared_data
@pytest.mark.parametrize("case", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_broken_input_gives_a_message_and_changes_nothing(
    case: Broken, small: Path, tmp_path: Path, shared_data: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(small, root)
    case.make(root)
    before = _snapshot(root)
    words = {"WS": str(root), "SRC": str(tmp_path / "src.gpkg"), "OSM": str(shared_data / OSM)}
    argv = [str(root / a[3:]) if a.startswith("WS/") else words.get(a, a) for a in case.argv]
    result = CliRunner(env={"COLUMNS": "250"}).invoke(main, argv)
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output and "internal error" not in output, output
    assert result.exit_code == case.status, output
    flat = " ".join(output.split())
    for word in case.words:
        assert word in flat, (word, output)
    assert _snapshot(root) == before, "the command changed the workspace"


def test_the_catalogue_covers_every_command_that_reads_a_workspace() -> None:
    commands = {case.argv[0] for case in CATALOGUE}
    assert {"validate", "assess", "import-layer", "import-osm", "init"} <= commands
    assert gpd is not None  # geopandas builds the fixtures above
