"""The canopy raster's values are checked strip by strip: never the whole raster at once."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from gardencity.io import validate_setup
from gardencity.io.workspace import Workspace


def test_canopy_values_are_counted_by_strips_with_the_whole_rasters_counts(
    demo_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.open(demo_city)
    canopy = ws.load_raster("canopy")
    assert canopy is not None
    monkeypatch.setattr(validate_setup, "_COUNT_STRIP_PIXELS", 5000)  # many strips
    values, counts = validate_setup._value_counts(canopy)
    assert "array" not in canopy.__dict__  # the file was read by strips, never held whole
    whole = canopy.array
    expected, expected_counts = np.unique(whole[whole != canopy.nodata], return_counts=True)
    assert values.tolist() == expected.tolist()
    assert counts.tolist() == expected_counts.tolist()
    assert validate_setup.raster_content_problems(ws) == []


def test_canopy_values_counted_by_another_process_give_the_same_problems(
    demo_city: Path, tmp_path: Path
) -> None:
    import multiprocessing
    import shutil
    from concurrent.futures import ProcessPoolExecutor

    city = tmp_path / "city"
    shutil.copytree(demo_city, city)
    config = city / "city.toml"  # grass pixels are no longer a declared class: one problem
    config.write_text(config.read_text(encoding="utf-8").replace("grass = 3\n", ""), "utf-8")
    here = validate_setup.raster_content_problems(Workspace.open(city))
    assert [p.layer for p in here] == ["canopy"]
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        ws = Workspace.open(city)
        beside = validate_setup.start_raster_content_problems(ws, pool)()
    assert beside == here


def test_a_value_first_met_in_a_later_strip_is_counted_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Strips are counted by comparison with the values met before; a strip holding a value
    not met before is counted in full, so every value's count is exact."""
    from affine import Affine
    from pyproj import CRS

    from gardencity.io.raster import Raster

    rng = np.random.default_rng(3)
    array = rng.integers(0, 3, (120, 50), dtype=np.uint8)
    array[70, 7] = 9  # first met in the eighth strip
    array[100:, :] = 255  # nodata: not counted
    array[110, 3] = 200
    raster = Raster(array, Affine(1, 0, 0, 0, -1, 120), CRS.from_epsg(4547), nodata=255)
    monkeypatch.setattr(validate_setup, "_COUNT_STRIP_PIXELS", 500)  # ten rows a strip
    values, counts = validate_setup._value_counts(raster)
    expected, expected_counts = np.unique(array[array != 255], return_counts=True)
    assert values.tolist() == expected.tolist() == [0, 1, 2, 9, 200]
    assert counts.tolist() == expected_counts.tolist()
